//! Issue 10's synthetic acceptance for the whole trend analysis (outliers, both series,
//! verdicts), on seeded histories: each run holds a metric of 10 samples whose run level has
//! log-normal noise of CV 3% (the run is the unit of replication), the samples 1% around it.
//!
//! * a +10% step over 60 runs is found as a regression at its run (±1) in ≥ 95% of trials;
//! * a flat history of 500 runs gives a false change point in ≤ 2% of trials;
//! * one run ×3 is never a change point;
//! * a step across 90% of the metrics at one run is environmental for them;
//! * the analysis is the same on 1 and 2 threads.

use regdiff::model::{Better, Metric, Snapshot, Verdict};
use regdiff::stats::SplitMix64;
use regdiff::trend::{Trend, TrendOptions, analyse};

fn normal(r: &mut SplitMix64) -> f64 {
    let u1 = ((r.next_u64() >> 11) as f64 / (1u64 << 53) as f64).max(1e-300);
    let u2 = (r.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// One run's samples around `level`.
fn run_samples(r: &mut SplitMix64, level: f64) -> Vec<f64> {
    let run = level * (0.03 * normal(r)).exp();
    (0..10).map(|_| run * (0.01 * normal(r)).exp()).collect()
}

/// A history of `n` runs; `level(metric, run)` gives each metric's true level.
fn history(
    r: &mut SplitMix64,
    n: usize,
    metrics: usize,
    level: impl Fn(usize, usize) -> f64,
) -> Vec<(String, Snapshot)> {
    (0..n)
        .map(|i| {
            let mut s = Snapshot::new();
            s.run.commit = Some(format!("c{i:04}"));
            for k in 0..metrics {
                let samples = run_samples(r, level(k, i));
                s.metrics.push(Metric::new(
                    format!("bench/{k:02}"),
                    "ns",
                    Better::Lower,
                    samples,
                ));
            }
            (format!("run-{i:04}"), s)
        })
        .collect()
}

fn run(h: &[(String, Snapshot)]) -> Trend {
    let runs: Vec<(&str, &Snapshot)> = h.iter().map(|(i, s)| (i.as_str(), s)).collect();
    analyse("main", &runs, TrendOptions::default())
}

#[test]
fn a_ten_percent_step_is_found_as_a_regression() {
    let mut r = SplitMix64::new(20261203);
    let trials = 200;
    let mut hit = 0;
    let mut wrong = 0;
    for _ in 0..trials {
        let h = history(&mut r, 60, 1, |_, i| if i >= 30 { 110.0 } else { 100.0 });
        let t = run(&h);
        let m = &t.metrics[0];
        hit += usize::from(
            m.change_points
                .iter()
                .any(|c| c.run.abs_diff(30) <= 1 && c.verdict == Verdict::Regression),
        );
        wrong += usize::from(m.change_points.iter().any(|c| c.run.abs_diff(30) > 1));
    }
    let rate = hit as f64 / trials as f64;
    println!(
        "+10% step over 60 runs: found as a regression at its run (±1) in {:.1}%, a point elsewhere in {wrong} of {trials}",
        100.0 * rate
    );
    assert!(rate >= 0.95, "found in {:.1}%", 100.0 * rate);
}

#[test]
fn a_flat_history_has_almost_no_false_change_points() {
    let mut r = SplitMix64::new(7);
    let trials = 100;
    let mut any = 0;
    let mut claimed = 0;
    for _ in 0..trials {
        let h = history(&mut r, 500, 1, |_, _| 100.0);
        let t = run(&h);
        let m = &t.metrics[0];
        any += usize::from(!m.change_points.is_empty());
        claimed += usize::from(
            m.change_points
                .iter()
                .any(|c| matches!(c.verdict, Verdict::Regression | Verdict::Improvement)),
        );
    }
    let rate = any as f64 / trials as f64;
    println!(
        "flat 500 runs: a false change point in {:.1}% of histories ({claimed} of {trials} called regression or improvement)",
        100.0 * rate
    );
    assert!(rate <= 0.02, "false change points in {:.1}%", 100.0 * rate);
}

#[test]
fn one_run_three_times_slower_is_an_outlier_not_a_change_point() {
    let mut r = SplitMix64::new(11);
    for trial in 0..100 {
        let at = 10 + trial % 40;
        let h = history(&mut r, 60, 1, |_, i| if i == at { 300.0 } else { 100.0 });
        let t = run(&h);
        let m = &t.metrics[0];
        assert!(
            m.change_points.is_empty(),
            "trial {trial}: a change point {:?}",
            m.change_points
        );
        let o = m.outliers.iter().find(|o| o.run == at);
        let o = o.unwrap_or_else(|| panic!("trial {trial}: run {at} is not set apart"));
        assert!(o.ratio > 2.5, "{o:?}");
        // One metric alone, its samples all slower: no evidence of the environment.
        assert!(!o.environmental, "{o:?}");
    }
}

#[test]
fn a_step_across_most_metrics_at_one_run_is_environmental() {
    let mut r = SplitMix64::new(13);
    for trial in 0..20 {
        // 9 of 10 metrics step +20% at run 30; bench/09 does not.
        let h = history(
            &mut r,
            60,
            10,
            |k, i| {
                if k < 9 && i >= 30 { 120.0 } else { 100.0 }
            },
        );
        let t = run(&h);
        for m in &t.metrics[..9] {
            let c = m
                .change_points
                .iter()
                .find(|c| c.run.abs_diff(30) <= 1)
                .unwrap_or_else(|| panic!("trial {trial}: {} has no point at 30", m.id));
            assert_eq!(
                c.verdict,
                Verdict::Environmental,
                "trial {trial}: {}: {}",
                m.id,
                c.reason
            );
            assert!(c.reason.contains("other metrics stepped"), "{}", c.reason);
        }
        assert!(
            t.metrics[9].change_points.is_empty(),
            "{:?}",
            t.metrics[9].change_points
        );
        assert!(t.latest_after_regression().is_empty());
    }
}

#[test]
fn a_regression_beside_a_common_shift_is_still_a_regression() {
    // Every metric steps +20% at run 30 (the environment), bench/00 by +60% (the code too).
    let mut r = SplitMix64::new(17);
    let h = history(&mut r, 60, 6, |k, i| match (k, i >= 30) {
        (_, false) => 100.0,
        (0, true) => 160.0,
        (_, true) => 120.0,
    });
    let t = run(&h);
    let c = &t.metrics[0].change_points[0];
    assert_eq!(c.verdict, Verdict::Regression, "{}", c.reason);
    assert!(
        c.reason.contains("other metrics stepped at this run too"),
        "{}",
        c.reason
    );
    assert_eq!(t.latest_after_regression().len(), 1);
}

#[test]
fn the_same_history_gives_the_same_analysis_on_1_and_2_threads() {
    let mut r = SplitMix64::new(19);
    let h = history(&mut r, 200, 40, |k, i| {
        if k % 7 == 0 && i >= 120 { 115.0 } else { 100.0 }
    });
    let on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| format!("{:?}", run(&h)))
    };
    let one = on(1);
    assert_eq!(one, on(2));
    assert!(one.contains("Regression"), "the steps should be found");
}
