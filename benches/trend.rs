//! Issue 10's scale target: change points (and outliers, verdicts, drift) for 1,000 metrics
//! × 500 runs in under 2 s. The history is built in memory (10 samples a metric a run,
//! log-normal noise of CV 3% per run, a +10% step in every 50th metric at run 300), so the
//! figure is the analysis alone; loading a long history from the store is `store_load`'s.
//!
//! `cargo bench --bench trend`; `RAYON_NUM_THREADS=1` for one core.

use criterion::{Criterion, criterion_group, criterion_main};
use regdiff::model::{Better, Metric, Snapshot};
use regdiff::stats::SplitMix64;
use regdiff::trend::{TrendOptions, analyse};

fn normal(r: &mut SplitMix64) -> f64 {
    let u1 = ((r.next_u64() >> 11) as f64 / (1u64 << 53) as f64).max(1e-300);
    let u2 = (r.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn history(metrics: usize, runs: usize) -> Vec<(String, Snapshot)> {
    let mut r = SplitMix64::new(42);
    (0..runs)
        .map(|i| {
            let mut s = Snapshot::new();
            s.run.commit = Some(format!("c{i:04}"));
            for k in 0..metrics {
                let level = if k % 50 == 0 && i >= 300 {
                    110.0
                } else {
                    100.0
                };
                let run = level * (0.03 * normal(&mut r)).exp();
                let samples = (0..10)
                    .map(|_| run * (0.01 * normal(&mut r)).exp())
                    .collect();
                s.metrics.push(Metric::new(
                    format!("bench/{k:04}"),
                    "s",
                    Better::Lower,
                    samples,
                ));
            }
            (format!("run-{i:04}"), s)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let h = history(1000, 500);
    let runs: Vec<(&str, &Snapshot)> = h.iter().map(|(i, s)| (i.as_str(), s)).collect();
    let t = analyse("main", &runs, TrendOptions::default());
    let found = t
        .metrics
        .iter()
        .filter(|m| !m.change_points.is_empty())
        .count();
    eprintln!("1000 x 500: {found} metrics with a change point (20 have a step)");
    let mut g = c.benchmark_group("trend");
    g.sample_size(10);
    g.bench_function("analyse_1000_metrics_x_500_runs", |b| {
        b.iter(|| analyse("main", &runs, TrendOptions::default()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
