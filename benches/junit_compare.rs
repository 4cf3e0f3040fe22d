//! End to end: parse two JUnit files of 100,000 test cases each, compare, render.
//! Target (issue 2): under 1 s on a 2-core machine, release build.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "support/mod.rs"]
mod common;

use common::run;

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.xml");
    let head = dir.path().join("head.xml");
    std::fs::write(&base, common::junit_report(100_000, 1)).unwrap();
    std::fs::write(&head, common::junit_report(100_000, 2)).unwrap();
    let (b, h) = (base.to_str().unwrap(), head.to_str().unwrap());
    let mut g = c.benchmark_group("junit_100k");
    g.sample_size(10);
    g.bench_function("parse_one_file", |bench| {
        bench.iter(|| {
            regdiff::ingest::read_path(black_box(&base), Default::default())
                .unwrap()
                .len()
        })
    });
    g.bench_function("compare_table_end_to_end", |bench| {
        bench.iter(|| run(&["regdiff", "compare", b, h, "--format", "table", "--gate"]))
    });
    g.bench_function("compare_json_end_to_end", |bench| {
        bench.iter(|| run(&["regdiff", "compare", b, h, "--format", "json"]))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
