//! `regdiff trend` and `regdiff flaky` as a user runs them, on the shipped example history
//! (`baselines/examples/trend-history`, rebuilt by `scripts/make-trend-example.sh`).

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::cargo_bin_cmd;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("baselines/examples/trend-history")
}

fn trend_json(threads: &str) -> (Vec<u8>, serde_json::Value) {
    let out = cargo_bin_cmd!("regdiff")
        .env("RAYON_NUM_THREADS", threads)
        .arg("--store")
        .arg(example())
        .args(["trend", "--branch", "main", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = serde_json::from_slice(&out.stdout).unwrap();
    (out.stdout, v)
}

#[test]
fn json_follows_the_contract_and_is_the_same_on_1_and_2_threads() {
    let (one, v) = trend_json("1");
    let (two, _) = trend_json("2");
    assert!(one == two, "the JSON differs between 1 and 2 threads");
    assert_eq!(v["schema"], "regdiff.trend/1");
    assert_eq!(v["branch"], "main");
    assert_eq!(v["runs"], 12);
    let metrics = v["metrics"].as_array().unwrap();
    assert_eq!(metrics.len(), 17);
    let py = metrics.iter().find(|m| m["id"] == "py_sum").unwrap();
    assert_eq!(py["points"], 12);
    let cp = &py["change_points"][0];
    assert_eq!(cp["commit"], "commit-08");
    assert_eq!(cp["index"], 8);
    assert_eq!(cp["verdict"], "regression");
    assert_eq!(cp["time"], "2026-11-09T12:00:00Z");
    let ratio = cp["ratio"].as_f64().unwrap();
    let ci: Vec<f64> = cp["ci"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert!(ci[0] <= ratio && ratio <= ci[1] && ci[0] > 1.0, "{cp}");
    assert!(cp["before"].as_f64().unwrap() < cp["after"].as_f64().unwrap());
    assert!(cp["p"].as_f64().unwrap() < cp["p_needed"].as_f64().unwrap());
    // The hog run is an environmental outlier of most metrics, never a change point.
    let hog = metrics
        .iter()
        .filter(|m| {
            m["outliers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["commit"] == "commit-04" && o["environmental"] == true)
        })
        .count();
    assert!(hog >= 12, "{hog}");
    for m in metrics {
        for c in m["change_points"].as_array().unwrap() {
            assert_ne!(c["commit"], "commit-04", "{}", m["id"]);
            assert!(
                ["regression", "improvement", "environmental", "inconclusive"]
                    .contains(&c["verdict"].as_str().unwrap())
            );
        }
    }
    let flaky = v["flaky"].as_array().unwrap();
    assert_eq!(flaky.len(), 2, "{flaky:?}");
    let eq = flaky
        .iter()
        .find(|f| f["id"] == "semver::test_version::test_eq")
        .unwrap();
    assert_eq!(eq["runs"], 12);
    assert_eq!(eq["failures"], 6);
    assert_eq!(eq["flips"], 6);
    let ci = eq["rate_ci"].as_array().unwrap();
    assert!(ci[0].as_f64().unwrap() < 0.5 && ci[1].as_f64().unwrap() > 0.5);
    assert_eq!(v["pass_rate"].as_array().unwrap().len(), 12);
    assert_eq!(v["pass_rate"][0]["executed"], 34);
}

#[test]
fn terminal_lists_findings_and_counts_quiet_metrics() {
    let out = cargo_bin_cmd!("regdiff")
        .arg("--store")
        .arg(example())
        .args(["trend", "--branch", "main"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("regression at run 8 (commit-08)"), "{text}");
    assert!(
        text.contains("environmental outlier run 4 (commit-04): run-wide"),
        "{text}"
    );
    assert!(
        text.contains("of 17 metric(s) without a change point, outlier or drift (not listed)"),
        "{text}"
    );
    assert!(
        text.contains('▁') || text.contains('█'),
        "no sparkline: {text}"
    );
    assert!(text.contains("flaky         failed 6/12 runs"), "{text}");
}

#[test]
fn gate_fails_when_the_latest_run_sits_after_a_regression() {
    let run = |args: &[&str]| {
        cargo_bin_cmd!("regdiff")
            .arg("--store")
            .arg(example())
            .args(args)
            .output()
            .unwrap()
    };
    assert_eq!(run(&["trend", "--branch", "main"]).status.code(), Some(0));
    assert_eq!(
        run(&["trend", "--branch", "main", "--gate"]).status.code(),
        Some(1)
    );
    // The first 8 runs hold no step (and too few runs after the hog to call one): exit 0.
    let out = run(&[
        "trend", "--branch", "main", "--last", "7", "--gate", "--format", "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["runs"], 7);
    assert_eq!(v["history"][0]["commit"], "commit-05");
    let bad = run(&["trend", "--branch", "nope"]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("no stored run of branch `nope`") && err.contains("main"),
        "{err}"
    );
}

#[test]
fn flaky_ranks_tests_with_intervals() {
    let out = cargo_bin_cmd!("regdiff")
        .arg("--store")
        .arg(example())
        .args(["flaky", "--branch", "main", "--last", "100"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].contains("34 seen, 2 failed at least once"),
        "{text}"
    );
    // Ranked by flip rate: test_eq flips 6 times in 12 runs, test_parse 5.
    assert!(
        lines[1].contains("test_eq") && lines[1].contains("[25–75%]"),
        "{text}"
    );
    assert!(lines[2].contains("test_parse"), "{text}");
    let few = cargo_bin_cmd!("regdiff")
        .arg("--store")
        .arg(example())
        .args(["flaky", "--branch", "main", "--last", "6"])
        .output()
        .unwrap();
    let text = String::from_utf8(few.stdout).unwrap();
    assert!(
        text.contains("too_few_runs") && !text.contains("flaky  "),
        "{text}"
    );
}

/// The page renders in headless Chromium with no external reference. Chromium is installed
/// by `scripts/chromium-check.sh install` (`.ci/run` runs it, and this test does when it is
/// missing); in CI a Chromium that cannot be installed is a failure, locally the test says
/// why it did not run.
#[test]
fn html_page_renders_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("trend.html");
    let out = cargo_bin_cmd!("regdiff")
        .arg("--store")
        .arg(example())
        .args(["trend", "--branch", "main", "--html"])
        .arg(&page)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&page).unwrap();
    // Self-contained: no external reference of any kind.
    for needle in ["http://", "https://", "src=", "<link", "@import", "url("] {
        let hits: Vec<_> = html.match_indices(needle).collect();
        // The SVG namespace is an identifier, not a reference.
        let real = hits
            .iter()
            .filter(|(i, _)| !html[*i..].starts_with("http://www.w3.org/2000/svg"))
            .count();
        assert_eq!(real, 0, "the page refers to `{needle}`");
    }
    assert_eq!(
        html.matches("<svg").count(),
        16,
        "one chart per metric with findings"
    );
    assert!(html.contains("<table id=\"flaky\">"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/chromium-check.sh");
    if !Path::new("/usr/bin/chromium").exists() {
        // Installed here when missing (apt-get, as root or through sudo), as `.ci/run` does.
        let installed = Command::new(&script)
            .arg("install")
            .output()
            .map(|o| {
                (
                    o.status.success(),
                    String::from_utf8_lossy(&o.stderr).to_string(),
                )
            })
            .unwrap_or_else(|e| (false, e.to_string()));
        if !installed.0 {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI: chromium is missing and scripts/chromium-check.sh install failed: {}",
                installed.1
            );
            eprintln!(
                "skipped the Chromium render: /usr/bin/chromium is missing and scripts/chromium-check.sh install failed: {}",
                installed.1.trim()
            );
            return;
        }
    }
    let shots = dir.path().join("out");
    let status = Command::new(&script)
        .arg("render")
        .arg(&page)
        .arg(&shots)
        .env("WINDOW_SIZE", "1000,1400")
        .status()
        .unwrap();
    assert!(status.success(), "chromium-check.sh render failed");
    let dom = std::fs::read_to_string(shots.join("dom.html")).unwrap();
    assert_eq!(dom.matches("<svg").count(), 16);
    assert!(dom.contains("class=\"change-point\""));
    assert!(
        dom.contains("commit-08 +82.3% regression"),
        "the py_sum change point label"
    );
    let png = std::fs::read(shots.join("screenshot.png")).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "{} bytes",
        png.len()
    );
    if let Some(keep) = std::env::var_os("REGDIFF_KEEP_SCREENSHOT") {
        std::fs::copy(shots.join("screenshot.png"), keep).unwrap();
    }
}
