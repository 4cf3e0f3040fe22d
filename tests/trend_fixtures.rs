//! Acceptance on the perf history fixtures: each harness's 12 consecutive commits, a
//! regression step at commit-08, commit-04 run under a same-core CPU hog.

use std::path::{Path, PathBuf};

use regdiff::ingest::{ReadOptions, read_one_run};
use regdiff::model::{Snapshot, Verdict};
use regdiff::trend::{Trend, TrendOptions, analyse, fmt_ratio};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/perf")
}

fn truth(harness: &str) -> serde_json::Value {
    let dir = fixtures().join(harness).join("history");
    serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).unwrap()).unwrap()
}

/// The history of `harnesses` together: each commit's outputs of all of them form one run.
fn history_of(harnesses: &[&str]) -> Trend {
    let mut snaps: Vec<(String, Snapshot)> = Vec::new();
    for c in 0..12 {
        let name = format!("commit-{c:02}");
        let opts = ReadOptions {
            criterion_baseline: Some(name.clone()),
            ..ReadOptions::default()
        };
        let paths: Vec<PathBuf> = harnesses
            .iter()
            .map(|h| fixtures().join(h).join("history").join(&name))
            .collect();
        let mut s = read_one_run(&paths, opts).unwrap();
        s.run.commit = Some(name.clone());
        snaps.push((name, s));
    }
    let runs: Vec<(&str, &Snapshot)> = snaps.iter().map(|(i, s)| (i.as_str(), s)).collect();
    analyse("main", &runs, TrendOptions::default())
}

const HARNESSES: [&str; 4] = [
    "criterion",
    "google-benchmark",
    "hyperfine",
    "pytest-benchmark",
];

/// The truth label at the step of a metric of `h`.
fn label(truth: &serde_json::Value, h: &str, id: &str) -> String {
    // pytest-benchmark's truth names the test without its file.
    truth["benchmarks"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| id == **k || id.ends_with(&format!("::{k}")))
        .and_then(|(_, v)| v["label_at_step"].as_str())
        .unwrap_or_else(|| panic!("{h}: {id} is not in truth.json"))
        .to_string()
}

/// All four harnesses' outputs of a commit as one run (as the shipped example history is
/// recorded): the run-wide disturbance at the hog commit spans them, and no unchanged
/// benchmark gets a regression or improvement change point.
#[test]
fn history_fixtures_together() {
    let t = history_of(&HARNESSES);
    let truths: Vec<(&str, serde_json::Value)> = HARNESSES.iter().map(|h| (*h, truth(h))).collect();
    for m in &t.metrics {
        let (h, tr) = truths
            .iter()
            .find(|(_, tr)| {
                tr["benchmarks"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .any(|k| m.id == *k || m.id.ends_with(&format!("::{k}")))
            })
            .unwrap();
        let l = label(tr, h, &m.id);
        for c in &m.change_points {
            eprintln!(
                "  {} [{l}]: run {} {} {:?}: {}",
                m.id,
                c.run,
                fmt_ratio(c.ratio),
                c.verdict,
                c.reason
            );
            assert!(
                c.run != 4 || c.verdict != Verdict::Regression,
                "{}: hog run",
                m.id
            );
            if l != "REGRESSION" {
                assert!(
                    !matches!(c.verdict, Verdict::Regression | Verdict::Improvement),
                    "unchanged {} got {:?}: {}",
                    m.id,
                    c.verdict,
                    c.reason
                );
            }
        }
        // Most metrics are set apart at the hog run as a run-wide disturbance.
    }
    let at_hog = t
        .metrics
        .iter()
        .filter(|m| m.outliers.iter().any(|o| o.run == 4 && o.environmental))
        .count();
    assert!(
        at_hog * 3 >= t.metrics.len() * 2,
        "{at_hog} of {}",
        t.metrics.len()
    );
}

/// Prints what was found per harness (the closing note's table), then checks it.
#[test]
fn history_fixtures_acceptance() {
    let mut found_steps = 0;
    for h in [
        "criterion",
        "google-benchmark",
        "hyperfine",
        "pytest-benchmark",
    ] {
        let (t, truth) = (history_of(&[h]), truth(h));
        let step = 8;
        let hog = 4;
        eprintln!(
            "== {h}: {} metrics over {} runs",
            t.metrics.len(),
            t.runs.len()
        );
        for m in &t.metrics {
            let label = label(&truth, h, &m.id);
            for c in &m.change_points {
                eprintln!(
                    "  {} [{label}]: change point at run {} {} {:?} ({})",
                    m.id,
                    c.run,
                    fmt_ratio(c.ratio),
                    c.verdict,
                    c.reason
                );
            }
            for o in &m.outliers {
                eprintln!(
                    "  {} [{label}]: outlier run {} {} environmental={}",
                    m.id,
                    o.run,
                    fmt_ratio(o.ratio),
                    o.environmental
                );
            }
            // The hog-disturbed commit is never a regression change point.
            assert!(
                !m.change_points
                    .iter()
                    .any(|c| c.run == hog && c.verdict == Verdict::Regression),
                "{h}: {} has a regression change point at the hog run",
                m.id
            );
            if label == "REGRESSION" {
                let hit = m
                    .change_points
                    .iter()
                    .find(|c| c.run.abs_diff(step) <= 1 && c.verdict == Verdict::Regression);
                // Whatever else is found for it must not be an improvement.
                assert!(
                    !m.change_points
                        .iter()
                        .any(|c| c.verdict == Verdict::Improvement),
                    "{h}: {} regressed but got an improvement change point",
                    m.id
                );
                match hit {
                    Some(c) => {
                        found_steps += 1;
                        assert!(c.ratio > 1.05, "{h}: {} step {}", m.id, c.ratio);
                    }
                    None => eprintln!("  {}: the step at run {step} was not found", m.id),
                }
            } else {
                // Unchanged code: no regression or improvement change point anywhere.
                assert!(
                    !m.change_points
                        .iter()
                        .any(|c| matches!(c.verdict, Verdict::Regression | Verdict::Improvement)),
                    "{h}: unchanged {} got a regression or improvement change point",
                    m.id
                );
            }
        }
    }
    // Found on 3 of the 4 histories when this was written (criterion's word_freq is missed:
    // 12 runs with quiet runs between -31% and +5% of each other). A held-back set decides;
    // this only guards against losing what is found.
    assert!(found_steps >= 3, "steps found: {found_steps} of 4");
}
