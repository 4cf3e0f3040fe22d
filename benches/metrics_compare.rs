//! Performance comparisons at scale (issue 3): 10,000 benchmarks × 10 samples per side as two
//! Go benchmark text files, and 10,000 × 30 repetitions per side as two Google Benchmark
//! JSON files (about 110 MB each); parse included. Stages are measured apart (parse one
//! file; the whole comparison) so that their shares can be reported.
//!
//! The inputs stay in `target/bench-inputs/` afterwards, for timing the whole process:
//! `/usr/bin/time -v target/release/regdiff compare target/bench-inputs/go-base.txt
//! target/bench-inputs/go-head.txt`.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "support/mod.rs"]
mod common;

use common::run;

/// Writes `text` under target/bench-inputs/ unless the file is there with that length.
fn input(name: &str, text: impl FnOnce() -> String) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-inputs");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let text = text();
    let fresh = std::fs::metadata(&path).is_ok_and(|m| m.len() == text.len() as u64);
    if !fresh {
        std::fs::write(&path, text).unwrap();
    }
    path
}

fn bench(c: &mut Criterion) {
    let go_b = input("go-base.txt", || {
        common::go_bench_text(10_000, 10, false, 1)
    });
    let go_h = input("go-head.txt", || common::go_bench_text(10_000, 10, true, 2));
    let gb_b = input("gbench-base.json", || {
        common::gbench_json(10_000, 30, false, 3)
    });
    let gb_h = input("gbench-head.json", || {
        common::gbench_json(10_000, 30, true, 4)
    });

    let mut g = c.benchmark_group("go_10k_x10");
    g.sample_size(20);
    g.bench_function("parse_one_file", |b| {
        b.iter(|| {
            regdiff::ingest::read_path(black_box(&go_b), Default::default())
                .unwrap()
                .len()
        })
    });
    let (b, h) = (go_b.to_str().unwrap(), go_h.to_str().unwrap());
    g.bench_function("compare_table_end_to_end", |bench| {
        bench.iter(|| run(&["regdiff", "compare", b, h]))
    });
    g.bench_function("compare_json_end_to_end", |bench| {
        bench.iter(|| run(&["regdiff", "compare", b, h, "--format", "json"]))
    });
    g.finish();

    let mut g = c.benchmark_group("gbench_10k_x30");
    g.sample_size(10);
    g.bench_function("parse_one_file", |b| {
        b.iter(|| {
            regdiff::ingest::read_path(black_box(&gb_b), Default::default())
                .unwrap()
                .len()
        })
    });
    let (b, h) = (gb_b.to_str().unwrap(), gb_h.to_str().unwrap());
    g.bench_function("compare_table_end_to_end", |bench| {
        bench.iter(|| run(&["regdiff", "compare", b, h]))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
