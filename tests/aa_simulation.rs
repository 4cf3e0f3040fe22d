//! Simulation study of the metric verdicts (issue acceptance):
//!
//! * **A/A**: 200 suites × 50 metrics, log-normal noise with a per-metric CV drawn from 1–10%,
//!   several runs per side of 10 samples each, the same distribution on both sides. The
//!   fraction of suites with any regression or improvement (a false alarm) must be ≤ 5%.
//! * **Power**: the same suites with one metric made 10% slower at CV 3% and 10 runs per
//!   side; the fraction of suites where it is called a regression must be ≥ 90%.
//!
//! Noise model: every sample has the stated CV on the log scale, most of it shared by the
//! samples of one run — a run effect with sd 0.8·CV carries 64% of the variance (machines and
//! processes differ between runs) — and the rest within the run (sd 0.6·CV). Seeds are fixed,
//! so the figures are reproducible; they are printed
//! (`cargo test --test aa_simulation -- --nocapture`).

use regdiff::align::Run;
use regdiff::config::Config;
use regdiff::model::{Better, Metric, Snapshot, Verdict};
use regdiff::pipeline::{Inputs, analyse};

mod common;
use common::Rng;

/// One side's runs: `runs` snapshots, each with `metrics` metrics of 10 samples.
fn side(rng: &mut Rng, cvs: &[f64], runs: usize, shift: &[f64]) -> Vec<Snapshot> {
    (0..runs)
        .map(|_| {
            let mut s = Snapshot::new();
            for (i, cv) in cvs.iter().enumerate() {
                let run_effect = 0.8 * cv * rng.normal();
                let samples: Vec<f64> = (0..10)
                    .map(|_| (1e-3f64.ln() + shift[i] + run_effect + 0.6 * cv * rng.normal()).exp())
                    .collect();
                s.metrics.push(Metric::new(
                    format!("bench/{i}"),
                    "s",
                    Better::Lower,
                    samples,
                ));
            }
            s
        })
        .collect()
}

/// Runs one suite; returns the verdict of every metric.
fn suite(rng: &mut Rng, cvs: &[f64], runs: usize, shift: &[f64]) -> Vec<(String, Verdict)> {
    let zero = vec![0.0; cvs.len()];
    let base = side(rng, cvs, runs, &zero);
    let head = side(rng, cvs, runs, shift);
    let ids_b: Vec<String> = (0..runs).map(|i| format!("base-{i}")).collect();
    let ids_h: Vec<String> = (0..runs).map(|i| format!("head-{i}")).collect();
    let config = Config::default();
    let inputs = Inputs {
        base: base
            .iter()
            .zip(&ids_b)
            .map(|(s, id)| Run { id, snapshot: s })
            .collect(),
        head: head
            .iter()
            .zip(&ids_h)
            .map(|(s, id)| Run { id, snapshot: s })
            .collect(),
        history: Default::default(),
        config: &config,
        changed_files: None,
        gate: None,
        warnings: Vec::new(),
    };
    let report = analyse(&inputs);
    report
        .items
        .iter()
        .filter_map(|i| i.as_metric())
        .map(|m| (m.id.clone(), m.verdict))
        .collect()
}

#[test]
fn aa_false_alarms_and_power() {
    const SUITES: usize = 200;
    const METRICS: usize = 50;
    let mut rng = Rng::new(0x5eed_a11a);

    // A/A with 3, 5 and 10 runs per side.
    for runs in [3, 5, 10] {
        let mut alarmed = 0;
        let mut false_metrics = 0;
        for _ in 0..SUITES {
            let cvs: Vec<f64> = (0..METRICS).map(|_| 0.01 + 0.09 * rng.uniform()).collect();
            let verdicts = suite(&mut rng, &cvs, runs, &vec![0.0; METRICS]);
            let bad = verdicts
                .iter()
                .filter(|(_, v)| matches!(v, Verdict::Regression | Verdict::Improvement))
                .count();
            false_metrics += bad;
            alarmed += usize::from(bad > 0);
        }
        let rate = alarmed as f64 / SUITES as f64;
        println!(
            "A/A, {runs} runs per side: {alarmed} of {SUITES} suites ({:.1}%) with a false regression or improvement; {false_metrics} of {} metric verdicts",
            100.0 * rate,
            SUITES * METRICS
        );
        assert!(rate <= 0.05, "{runs} runs: false-alarm rate {rate}");
    }

    // Power: one metric 10% slower at CV 3%, 10 runs per side.
    let mut detected = 0;
    let mut others_flagged = 0;
    for _ in 0..SUITES {
        let mut cvs: Vec<f64> = (0..METRICS).map(|_| 0.01 + 0.09 * rng.uniform()).collect();
        cvs[0] = 0.03;
        let mut shift = vec![0.0; METRICS];
        shift[0] = 1.10f64.ln();
        let verdicts = suite(&mut rng, &cvs, 10, &shift);
        for (id, v) in &verdicts {
            if id == "bench/0" {
                detected += usize::from(*v == Verdict::Regression);
            } else if matches!(v, Verdict::Regression | Verdict::Improvement) {
                others_flagged += 1;
            }
        }
    }
    let power = detected as f64 / SUITES as f64;
    println!(
        "power, +10% at CV 3% with 10 runs per side: {detected} of {SUITES} ({:.1}%); {others_flagged} false verdicts among the other {} metrics",
        100.0 * power,
        SUITES * (METRICS - 1)
    );
    assert!(power >= 0.90, "power {power}");
}
