//! The store at scale (issues 10 and 14): a store of 1,000 runs × 10,000 tests (generated,
//! about 714 MB), and the questions asked of it.
//!
//! - `catalog`: what `list` and the selectors read (targets: ≤ 50 ms);
//! - `trend_history`: every run's metrics and every test's outcome streamed for `regdiff
//!   trend` (issue 10: under 5 s);
//! - `compare_with_history`: a 10,000-test head against `main` with its 50-run history,
//!   end to end, JSON report (issue 14: ≤ 0.5 s);
//! - `compare_base_200_runs`: the same head against `main[200]` (issue 14: ≤ 0.5 s; not met,
//!   see the README's performance table).
//!
//! `cargo bench --bench store_scale`; whole-process figures with peak memory come from
//! `benches/scale.sh`.

use criterion::{Criterion, criterion_group, criterion_main};
use regdiff::store::Store;
use regdiff::store::fs::FsStore;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "support/mod.rs"]
mod common;

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (stored, junit) = common::gen_store(dir.path(), 1_000, 10_000);
    eprintln!(
        "store: 1000 runs x 10000 tests; a stored run {stored} bytes, its JUnit report {junit} bytes"
    );
    let store = FsStore::new(dir.path().join("store"));
    let store_arg = dir.path().join("store");
    let head = dir.path().join("head.xml");
    let (s, h) = (store_arg.to_str().unwrap(), head.to_str().unwrap());
    let mut g = c.benchmark_group("store_1000x10000");
    g.sample_size(10);
    g.bench_function("catalog", |b| {
        b.iter(|| {
            let c = store.catalog().unwrap();
            assert_eq!(c.runs.len(), 1000);
            c.runs.len()
        })
    });
    g.bench_function("trend_history", |b| {
        b.iter(|| {
            let catalog = store.catalog().unwrap();
            let runs: Vec<_> = catalog.runs.iter().collect();
            let (history, failures) = store.history(&runs, &|| {});
            assert!(failures.is_empty());
            history.tests.tests()
        })
    });
    g.bench_function("compare_with_history", |b| {
        b.iter(|| {
            common::run(&[
                "regdiff", "compare", "--store", s, "--base", "main", "--head", h, "--format",
                "json",
            ])
        })
    });
    g.bench_function("compare_base_200_runs", |b| {
        b.iter(|| {
            common::run(&[
                "regdiff",
                "compare",
                "--store",
                s,
                "--base",
                "main[200]",
                "--head",
                h,
                "--format",
                "json",
            ])
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
