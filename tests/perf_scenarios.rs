//! Acceptance over real benchmark runs (criterion, Google Benchmark, hyperfine and
//! pytest-benchmark on a shared, loaded 2-core machine; tests/fixtures/perf/, copied from
//! shared/fixtures/perf), each scenario with a `truth.json`: per benchmark the label, the
//! true change measured separately, and `acceptable_labels`.
//!
//! Checked for every scenario (one run per side, no history — the hardest case):
//!
//! * no benchmark whose code did not change is a regression or improvement (the hard rule);
//! * no benchmark with a real regression is called environmental (never excuse a regression);
//! * in the environmental scenarios no benchmark is a regression or improvement, and the ones
//!   judged environmental are so by the common shift.
//!
//! Regressions are found where the data can show them and reported inconclusive where the
//! scenario's own run-to-run spread is as large as the change; the per-scenario confusion
//! matrix (truth × verdict) is printed (`cargo test --test perf_scenarios -- --nocapture`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/perf")
}

/// A side as a user gives it: the folder the harness wrote into (its format is detected from
/// the content; Google Benchmark and pytest-benchmark files named `benchmark.json` must not be
/// taken for criterion's).
fn side(h: &str, sc: &str, side: &str) -> PathBuf {
    root().join(h).join(sc).join(side)
}

fn compare(h: &str, sc: &str) -> Value {
    let base = side(h, sc, "base");
    let head = side(h, sc, "head");
    let args = [
        "regdiff".to_string(),
        "compare".into(),
        base.display().to_string(),
        head.display().to_string(),
        "--format".into(),
        "json".into(),
        "--no-history".into(),
    ];
    let (code, out, err) = common::run_in_process(args);
    assert_ne!(code, 2, "{h}/{sc}: {}", String::from_utf8_lossy(&err));
    serde_json::from_slice(&out).unwrap()
}

/// The truth's id for a report id: pytest-benchmark's truth uses `name`, the report the full
/// name (`file.py::name`); Google Benchmark's CPU-time metric is `NAME:cpu_time`.
fn truth_key<'a>(id: &'a str, truth: &BTreeMap<String, Value>) -> Option<&'a str> {
    let base = id.strip_suffix(":cpu_time").unwrap_or(id);
    if truth.contains_key(base) {
        return Some(base);
    }
    base.rsplit_once("::")
        .map(|(_, n)| n)
        .filter(|n| truth.contains_key(*n))
}

#[test]
fn every_perf_scenario_keeps_the_hard_rules() {
    let mut problems = Vec::new();
    let mut totals: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut found = 0;
    let mut real_regressions = 0;
    for h in [
        "criterion",
        "google-benchmark",
        "hyperfine",
        "pytest-benchmark",
    ] {
        for sc in ["aa", "regression", "environmental", "mixed"] {
            let truth_file: Value = serde_json::from_slice(
                &std::fs::read(root().join(h).join(sc).join("truth.json")).unwrap(),
            )
            .unwrap();
            let truth: BTreeMap<String, Value> = truth_file["benchmarks"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let report = compare(h, sc);
            let mut matrix: BTreeMap<(String, String), usize> = BTreeMap::new();
            let mut seen = 0;
            for item in report["items"].as_array().unwrap() {
                if item["kind"] != "metric" {
                    continue;
                }
                let id = item["id"].as_str().unwrap();
                let Some(key) = truth_key(id, &truth) else {
                    problems.push(format!("{h}/{sc}: `{id}` is not in the truth"));
                    continue;
                };
                seen += 1;
                let t = &truth[key];
                let label = t["label"].as_str().unwrap();
                let accept: Vec<&str> = t["acceptable_labels"]
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_else(|| vec![label]);
                let verdict = item["verdict"].as_str().unwrap();
                let cpu = id.ends_with(":cpu_time");
                let col = format!("{verdict}{}", if cpu { " (cpu)" } else { "" });
                *matrix.entry((label.to_string(), col.clone())).or_default() += 1;
                *totals.entry((label.to_string(), col)).or_default() += 1;
                let as_label = verdict.to_uppercase();
                if (verdict == "regression" || verdict == "improvement")
                    && label != "REGRESSION"
                    && !accept.contains(&as_label.as_str())
                {
                    problems.push(format!(
                        "{h}/{sc}: `{id}` ({label}, code unchanged) judged {verdict}: {}",
                        item["evidence"]
                    ));
                }
                if label == "REGRESSION" {
                    if verdict == "environmental" {
                        problems.push(format!(
                            "{h}/{sc}: `{id}` is a real regression judged environmental"
                        ));
                    }
                    if verdict == "improvement" {
                        problems.push(format!(
                            "{h}/{sc}: `{id}` is a real regression judged an improvement"
                        ));
                    }
                    if !cpu {
                        real_regressions += 1;
                        found += usize::from(verdict == "regression");
                    }
                }
            }
            if seen != truth.len() && h != "google-benchmark" {
                problems.push(format!(
                    "{h}/{sc}: {seen} metrics for {} benchmarks",
                    truth.len()
                ));
            }
            let cells: Vec<String> = matrix
                .iter()
                .map(|((l, v), n)| format!("{l}→{v}: {n}"))
                .collect();
            println!("{h}/{sc}: {}", cells.join(", "));
        }
    }
    println!("\nall scenarios (truth → verdict):");
    for ((l, v), n) in &totals {
        println!("  {l:<14} → {v:<22} {n}");
    }
    println!("real regressions (wall time) found: {found} of {real_regressions}");
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
    // The regressions the data show beyond the scenario's own spread must be found.
    assert!(found >= 2, "found {found} regressions");
}

fn history_side(h: &str, commit: &str) -> (PathBuf, Vec<String>) {
    let d = root().join(h).join("history").join(commit);
    match h {
        "criterion" => (d, vec!["--criterion-baseline".into(), commit.to_string()]),
        "hyperfine" => (d.join("hyperfine.json"), vec![]),
        _ => (d.join("benchmark.json"), vec![]),
    }
}

/// With the base branch's history in the store, one run per side is judged against each
/// benchmark's own run-to-run noise (floored by the current spread across metrics): the step
/// regression of the history scenarios is found where it stands out, and no unchanged
/// benchmark is called a regression or improvement.
#[test]
fn history_gives_single_runs_a_noise_model() {
    let mut problems = Vec::new();
    let mut found = Vec::new();
    for h in [
        "criterion",
        "google-benchmark",
        "hyperfine",
        "pytest-benchmark",
    ] {
        let store = tempfile::tempdir().unwrap();
        let truth: Value = serde_json::from_slice(
            &std::fs::read(root().join(h).join("history/truth.json")).unwrap(),
        )
        .unwrap();
        let run = common::run_in_process::<Vec<String>, String>;
        for i in 0..8 {
            let commit = format!("commit-{i:02}");
            let (path, extra) = history_side(h, &commit);
            let mut args: Vec<String> = ["regdiff", "record", "--store"].map(String::from).to_vec();
            args.push(store.path().display().to_string());
            args.push(path.display().to_string());
            args.extend(["--branch", "main", "--no-env"].map(String::from));
            args.extend(["--commit".to_string(), format!("{i:040x}")]);
            args.extend([
                "--time".to_string(),
                format!("2026-11-{:02}T00:00:00Z", i + 1),
            ]);
            args.extend(extra);
            let (code, _, err) = run(args);
            assert_eq!(code, 0, "{h}: {}", String::from_utf8_lossy(&err));
        }
        let (head, extra) = history_side(h, "commit-08");
        let mut args: Vec<String> = ["regdiff", "compare", "--format", "json", "--store"]
            .map(String::from)
            .to_vec();
        args.push(store.path().display().to_string());
        args.extend([
            "--base".to_string(),
            "main".into(),
            "--head".into(),
            head.display().to_string(),
        ]);
        args.extend(extra);
        let (code, out, err) = run(args);
        assert_ne!(code, 2, "{h}: {}", String::from_utf8_lossy(&err));
        let report: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(report["history"]["runs"], 7, "{h}");
        let benchmarks: BTreeMap<String, Value> = truth["benchmarks"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for item in report["items"].as_array().unwrap() {
            let id = item["id"].as_str().unwrap();
            let Some(key) = truth_key(id, &benchmarks) else {
                continue;
            };
            let label = benchmarks[key]["label_at_step"].as_str().unwrap();
            let verdict = item["verdict"].as_str().unwrap();
            if label != "REGRESSION" && (verdict == "regression" || verdict == "improvement") {
                problems.push(format!(
                    "{h}: `{id}` (unchanged code) judged {verdict}: {}",
                    item["evidence"]
                ));
            }
            if label == "REGRESSION" {
                if verdict == "environmental" || verdict == "improvement" {
                    problems.push(format!("{h}: `{id}` (a regression) judged {verdict}"));
                }
                println!("{h}: {id} (REGRESSION) → {verdict}");
                if verdict == "regression" {
                    found.push(format!("{h}:{id}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        found.iter().any(|f| f.starts_with("criterion:")),
        "{found:?}"
    );
}
