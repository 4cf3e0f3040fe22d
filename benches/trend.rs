//! Issue 10's scale target: change points (and outliers, verdicts, drift) for 1,000 metrics
//! × 500 runs in under 2 s. The history is built in memory (10 samples a metric a run,
//! log-normal noise of CV 3% per run, a +10% step in every 50th metric at run 300), so the
//! figure is the analysis alone; loading a long history from the store is `store_load`'s.
//!
//! `cargo bench --bench trend`; `RAYON_NUM_THREADS=1` for one core.

use criterion::{Criterion, criterion_group, criterion_main};
use regdiff::model::Snapshot;
use regdiff::trend::{TrendOptions, analyse};

#[path = "support/mod.rs"]
mod common;

fn bench(c: &mut Criterion) {
    let h = common::metric_history(1000, 500);
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
