//! Reading a 1 GB JUnit file of 10 million test cases (issue 4's memory target: under 10 s
//! and 256 MB), and what keeping every test of a run in memory costs per test.
//!
//! * `junit_1gb/stream_10M`: the JUnit reader over the whole file, with a builder that counts
//!   the cases instead of keeping them — the reader's own time and memory.
//! * `junit_1gb/show_json_10M`: `show --format json` of that file, streamed (two passes,
//!   only the tests that can still change held), its 4 GB of JSON written to a sink.
//! * `junit_full/snapshot_1M`: `read_path` of a 100 MB, 1 M-case file into a snapshot, as
//!   `record` and `compare` do — every test kept, so memory grows with the run.
//!
//! Each prints the process's peak resident memory (VmHWM) after it ran. The peak is for the
//! whole process: run one at a time for clean figures,
//! `cargo bench --bench junit_1gb -- stream_10M`, `… -- show_json` and `cargo bench --bench junit_1gb -- full`.
//! The generated files are kept in `target/tmp` (`REGDIFF_BENCH_DIR` to move them).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use regdiff::ingest::{Format, ReadOptions, RunBuilder, add_file, read_path};

mod support;

/// A generated report of `n` cases, made once and reused.
fn report(n: usize) -> PathBuf {
    let dir = std::env::var_os("REGDIFF_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("junit-{n}.xml"));
    let done = dir.join(format!("junit-{n}.xml.done"));
    if !done.exists() {
        let tmp = dir.join(format!("junit-{n}.xml.partial"));
        let mut out =
            std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp).unwrap());
        support::write_junit(&mut out, n, 1).unwrap();
        drop(out);
        std::fs::rename(&tmp, &path).unwrap();
        std::fs::write(&done, b"").unwrap();
    }
    path
}

fn size_mb(p: &Path) -> f64 {
    std::fs::metadata(p).unwrap().len() as f64 / 1e6
}

fn report_peak(what: &str) {
    if let Some(mib) = support::peak_rss_mib() {
        eprintln!("{what}: peak resident memory of the process so far {mib:.0} MiB");
    }
}

fn bench(c: &mut Criterion) {
    let big = report(10_000_000);
    eprintln!(
        "{}: {:.0} MB, 10 000 000 test cases",
        big.display(),
        size_mb(&big)
    );
    let mut g = c.benchmark_group("junit_1gb");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(60));
    g.bench_function("stream_10M", |b| {
        b.iter(|| {
            let mut builder = RunBuilder::counting();
            add_file(&big, Format::Junit, &mut builder).unwrap();
            let cases: u64 = builder.counted.values().sum();
            assert_eq!(cases, 10_000_000);
            black_box(cases)
        })
    });
    report_peak("junit_1gb/stream_10M");
    g.bench_function("show_json_10M", |b| {
        b.iter(|| {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::sink());
            regdiff::ingest::stream::show_json_junit(&big, &mut out).unwrap();
        })
    });
    g.finish();
    report_peak("junit_1gb/show_json_10M");

    let mid = report(1_000_000);
    let mut g = c.benchmark_group("junit_full");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(20));
    g.bench_function("snapshot_1M", |b| {
        b.iter(|| {
            let runs = read_path(&mid, ReadOptions::default()).unwrap();
            assert_eq!(runs[0].tests.len(), 1_000_000);
            black_box(runs)
        })
    });
    g.finish();
    report_peak("junit_full/snapshot_1M");
}

criterion_group!(benches, bench);
criterion_main!(benches);
