//! Attribution when many tests fail with long failures: every rule reads the whole failure
//! (message, trace error lines, captured output). 10,000 tests that passed on base fail on
//! head, each with a pytest-style long trace of about 4 KB and 1 KB of captured output; one
//! in ten names a resolver error only deep in its trace (a chained exception), the rest fail
//! on plain assertions. Measures `compare --format json` end to end, in-process.

use std::fmt::Write as _;

use criterion::{Criterion, criterion_group, criterion_main};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "support/mod.rs"]
mod common;

fn report(n: usize, fail: bool) -> String {
    let mut s = String::from("<?xml version=\"1.0\"?>\n<testsuites>\n");
    for suite in 0..20 {
        let _ = writeln!(
            s,
            "<testsuite name=\"tests.test_mod{suite}\" tests=\"{}\">",
            n / 20
        );
        for i in 0..n / 20 {
            let _ = write!(
                s,
                "<testcase classname=\"tests.test_mod{suite}\" name=\"test_case_{i}\" time=\"0.01\""
            );
            if !fail {
                s.push_str("/>\n");
                continue;
            }
            let dns = i % 10 == 0;
            let message = if dns {
                "pkg.errors.IndexUnavailable: cannot reach http://index.example.org/".to_string()
            } else {
                format!("AssertionError: assert {i} == {}", i + 1)
            };
            let _ = write!(s, "><failure message=\"{message}\">");
            for frame in 0..30 {
                let _ = writeln!(
                    s,
                    "\n    def helper_{frame}(value):\n&gt;       return compute(value, {frame})\n\npkg/module_{frame}.py:{frame}: in helper_{frame}"
                );
            }
            if dns {
                s.push_str("E       socket.gaierror: [Errno -3] Temporary failure in name resolution\n\nThe above exception was the direct cause of the following exception:\n");
            }
            let _ = writeln!(s, "E       {message}");
            s.push_str("</failure><system-out>");
            for line in 0..20 {
                let _ = writeln!(s, "INFO worker {line}: processed batch {i} in 12 ms");
            }
            s.push_str("</system-out></testcase>\n");
        }
        s.push_str("</testsuite>\n");
    }
    s.push_str("</testsuites>\n");
    s
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.xml");
    let head = dir.path().join("head.xml");
    std::fs::write(&base, report(10_000, false)).unwrap();
    let head_text = report(10_000, true);
    println!(
        "head report: {:.1} MB, 10,000 failures",
        head_text.len() as f64 / 1e6
    );
    std::fs::write(&head, head_text).unwrap();
    let (b, h) = (base.to_str().unwrap(), head.to_str().unwrap());
    let mut g = c.benchmark_group("attribution_10k_long_failures");
    g.sample_size(10);
    g.bench_function("compare_json_end_to_end", |bench| {
        bench.iter(|| {
            common::run(&[
                "regdiff",
                "compare",
                b,
                h,
                "--format",
                "json",
                "--no-history",
            ])
        })
    });
    g.bench_function("parse_head_only", |bench| {
        bench.iter(|| {
            regdiff::ingest::read_path(&head, Default::default())
                .unwrap()
                .len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
