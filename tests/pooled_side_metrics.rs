//! A side of several runs compared with one run (`--base 'main[20]'` against a pull request's
//! run, or several base files against one head file): the pooled side is its runs' median
//! (a base of five runs or more, their level after each run's common shift), not its first
//! run. Its first run is slowed by a noisy neighbour here; taken for the whole
//! side, it made every unchanged benchmark look 20% faster and "the environment moved".

mod common;

use std::path::{Path, PathBuf};

use common::{Rng, item, regdiff, write};

/// Go benchmark text: 20 benchmarks of 10 samples, each `ratio(i)` times its true time, the
/// whole run `shift` times slower, with 2% noise per sample.
fn go_run(
    dir: &Path,
    name: &str,
    rng: &mut Rng,
    shift: f64,
    ratio: &dyn Fn(usize) -> f64,
) -> PathBuf {
    let mut text = String::from("goos: linux\ngoarch: amd64\npkg: example.com/p\n");
    for i in 0..20 {
        let t = 1000.0 * 1.3f64.powi(i as i32) * shift * ratio(i);
        for _ in 0..10 {
            let v = t * (0.02 * rng.normal()).exp();
            text.push_str(&format!("BenchmarkOp{i}-8\t100000\t{v:.1} ns/op\n"));
        }
    }
    write(dir, name, &text)
}

/// The JSON report of `compare` with these sides.
fn compare(dir: &Path, base: &[PathBuf], head: &[PathBuf]) -> serde_json::Value {
    let mut cmd = regdiff(dir);
    cmd.args(["compare", "--format", "json"]);
    for b in base {
        cmd.arg("--base").arg(b);
    }
    for h in head {
        cmd.arg("--head").arg(h);
    }
    let out = cmd.assert().code(0).get_output().stdout.clone();
    serde_json::from_slice(&out).expect("JSON report")
}

/// What a user checks: the regression is found against the side's median, nothing is
/// called environmental, and no unchanged benchmark moves.
fn check(r: &serde_json::Value, runs: [u64; 2], noise: &str, method: &str) {
    let op0 = item(r, "BenchmarkOp0-8");
    assert_eq!(op0["verdict"], "regression", "{op0:#}");
    assert_eq!(op0["n"], serde_json::json!(runs));
    let ratio = op0["ratio"].as_f64().unwrap();
    assert!((1.25..1.35).contains(&ratio), "+30% measured as {ratio}");
    // The statistics start from the pooled side's median, as the counts do.
    let median = |side: &str| op0[side]["median"].as_f64().unwrap();
    let stat = &op0["statistics"][0];
    assert_eq!(stat["name"], "median");
    for side in ["base", "head"] {
        let level = stat[side].as_f64().unwrap();
        assert!(
            (level / median(side) - 1.0).abs() < 0.01,
            "{side}: statistics at {level}, the side's median {}",
            median(side)
        );
    }
    assert_eq!(op0["noise"]["source"], noise, "{op0:#}");
    let words = op0["method"].as_str().unwrap();
    assert!(words.starts_with(method), "{words}");
    let summary = &r["summary"];
    assert_eq!(summary["environmental"], 0, "{summary}");
    assert_eq!(summary["regression"], 1, "{summary}");
    assert_eq!(summary["improvement"], 0, "{summary}");
    for i in 1..20 {
        let m = item(r, &format!("BenchmarkOp{i}-8"));
        let ratio = m["ratio"].as_f64().unwrap();
        assert!(
            (0.93..1.07).contains(&ratio),
            "Op{i} unchanged, measured {ratio}"
        );
        let evidence = m["evidence"].to_string();
        assert!(!evidence.contains("environment moved"), "Op{i}: {evidence}");
    }
    // The group's common shift is about none: the slowed run is one of six.
    let shift = r["metric_groups"][0]["shift_ratio"].as_f64().unwrap();
    assert!((0.97..1.03).contains(&shift), "common shift {shift}");
}

#[test]
fn a_pooled_base_is_its_runs_median_not_its_first_run() {
    let d = tempfile::TempDir::new().unwrap();
    let mut rng = Rng::new(3);
    let same = |_: usize| 1.0;
    // The first base run was slowed by 25% as a whole; the others are quiet.
    let base: Vec<PathBuf> = (0..6)
        .map(|k| {
            let shift = if k == 0 { 1.25 } else { 1.0 };
            go_run(d.path(), &format!("base{k}.txt"), &mut rng, shift, &same)
        })
        .collect();
    let slower = |i: usize| if i == 0 { 1.3 } else { 1.0 };
    let head = go_run(d.path(), "head.txt", &mut rng, 1.0, &slower);
    // Six base runs are a window of their own: the head is judged against their level and
    // run-to-run noise, each run's common shift removed (the slowed run's with it).
    check(
        &compare(d.path(), &base, &[head]),
        [6, 1],
        "history",
        "base: median of 6 runs, run-to-run noise",
    );
}

#[test]
fn a_pooled_head_is_its_runs_median_not_its_first_run() {
    let d = tempfile::TempDir::new().unwrap();
    let mut rng = Rng::new(5);
    let same = |_: usize| 1.0;
    let base = go_run(d.path(), "base.txt", &mut rng, 1.0, &same);
    let slower = |i: usize| if i == 0 { 1.3 } else { 1.0 };
    // The first head run is 25% faster as a whole: its samples alone sit below the base,
    // and the rank test of one run a side must place them at the head side's median.
    let head: Vec<PathBuf> = (0..6)
        .map(|k| {
            let shift = if k == 0 { 0.75 } else { 1.0 };
            go_run(d.path(), &format!("head{k}.txt"), &mut rng, shift, &slower)
        })
        .collect();
    // One base run has no run-to-run noise: the group's spread is the yardstick.
    check(
        &compare(d.path(), &[base], &head),
        [1, 6],
        "spread",
        "1 vs 6 runs, each side at the median of its runs",
    );
}
