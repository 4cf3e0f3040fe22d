//! Benchmark inputs: every harness format read from the real fixtures, criterion baselines,
//! and bad input (NaN, negative and zero timings, unknown units, a criterion folder missing
//! sample.json, units that differ between the sides, empty files) — each a clear error or a
//! counted warning naming the file and metric, never a panic. Also the gate's budgets.

use std::path::{Path, PathBuf};

use predicates::prelude::*;
use regdiff::ingest::{ReadOptions, read_path};
use tempfile::TempDir;

mod common;
use common::{item, regdiff, write};

fn perf(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/perf")
        .join(rel)
}

fn read(p: &Path, opts: ReadOptions) -> regdiff::model::Snapshot {
    read_path(p, opts)
        .unwrap_or_else(|e| panic!("{e}"))
        .remove(0)
}

#[test]
fn every_harness_reads_with_its_samples() {
    let s = read(&perf("criterion/aa/base"), ReadOptions::default());
    assert_eq!(s.metrics.len(), 5);
    let wf = s.metrics.iter().find(|m| m.id == "text/word_freq").unwrap();
    assert_eq!((wf.unit.as_str(), wf.samples.len()), ("s", 30));
    assert!(wf.samples.iter().all(|x| *x > 1e-6 && *x < 1e-2));

    let s = read(
        &perf("google-benchmark/aa/base/benchmark.json"),
        ReadOptions::default(),
    );
    assert_eq!(
        s.metrics.len(),
        4,
        "4 benchmarks, CPU time beside real time"
    );
    let m = s
        .metrics
        .iter()
        .find(|m| m.id == "BM_ToUpper/32768")
        .unwrap();
    assert_eq!(m.samples.len(), 10, "repetitions, not aggregates");
    let cpu = m.cpu.as_ref().expect("cpu_time kept");
    assert_eq!(cpu.samples.len(), 10, "one CPU time per repetition");
    assert!(cpu.samples.iter().all(|c| *c > 0.0));
    assert_eq!(s.env.host.as_deref(), Some("vm"));
    assert_eq!(s.env.cores, Some(2));

    let s = read(
        &perf("hyperfine/aa/base/hyperfine.json"),
        ReadOptions::default(),
    );
    assert_eq!(s.metrics.len(), 4);
    assert!(s.metrics.iter().all(|m| m.samples.len() == 12));
    // hyperfine gives the mean user + system time of the runs.
    assert!(s.metrics.iter().all(|m| {
        m.cpu
            .as_ref()
            .is_some_and(|c| c.mean.is_some_and(|x| x > 0.0))
    }));

    let s = read(
        &perf("pytest-benchmark/aa/base/benchmark.json"),
        ReadOptions::default(),
    );
    assert_eq!(s.metrics.len(), 4);
    let m = s
        .metrics
        .iter()
        .find(|m| m.id == "test_shared_bench.py::test_shared[word_count]")
        .unwrap();
    let sum = m.summary.as_ref().expect("stats only");
    assert_eq!(sum.n, 1144);
    assert!(s.warnings[0].contains("summary statistics only"));
}

#[test]
fn criterion_baselines_are_chosen_by_name() {
    let d = TempDir::new().unwrap();
    // A tree with two baselines of one benchmark.
    let bench = d.path().join("parse_small");
    for (baseline, t) in [("main", 1000.0), ("new", 2000.0)] {
        let b = bench.join(baseline);
        std::fs::create_dir_all(&b).unwrap();
        write(
            &b,
            "benchmark.json",
            r#"{"group_id":"parse","function_id":"small","value_str":null,"throughput":null,"full_id":"parse/small","directory_name":"parse_small","title":"parse/small"}"#,
        );
        write(
            &b,
            "sample.json",
            &format!(
                r#"{{"sampling_mode":"Linear","iters":[1.0,2.0],"times":[{t},{}]}}"#,
                2.0 * t
            ),
        );
    }
    let s = read(d.path(), ReadOptions::default());
    assert_eq!(s.metrics[0].samples, vec![2e-6, 2e-6], "`new` by default");
    let s = read(
        d.path(),
        ReadOptions {
            criterion_baseline: Some("main".into()),
            ..Default::default()
        },
    );
    assert_eq!(s.metrics[0].samples, vec![1e-6, 1e-6]);
    let e = read_path(
        d.path(),
        ReadOptions {
            criterion_baseline: Some("nope".into()),
            ..Default::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("no criterion baseline `nope`") && e.contains("main, new"),
        "{e}"
    );
    // A benchmark without sample.json is left out with a warning naming it.
    let other = d.path().join("parse_big/new");
    std::fs::create_dir_all(&other).unwrap();
    write(
        &other,
        "benchmark.json",
        r#"{"full_id":"parse/big","directory_name":"parse_big"}"#,
    );
    let s = read(d.path(), ReadOptions::default());
    assert_eq!(s.metrics.len(), 1);
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("`parse/big` has no sample.json")),
        "{:?}",
        s.warnings
    );
}

#[test]
fn bad_benchmark_values_are_errors_naming_file_and_metric() {
    let d = TempDir::new().unwrap();
    let cases: Vec<(&str, String, &str)> = vec![
        ("go-nan.txt", "BenchmarkA-8  100  NaN ns/op\n".into(), "go-nan.txt:1:"),
        ("go-neg.txt", "BenchmarkA-8  100  -5 ns/op\n".into(), "times must be > 0"),
        ("go-empty.txt", "PASS\nok  x 0.1s\n".into(), "not a known input format"),
        (
            "hf.json",
            r#"{"results":[{"command":"sleep","mean":1,"median":1,"min":1,"max":1,"times":[1.0,0.0]}]}"#.into(),
            "(`sleep`): a time of 0 is not a positive time",
        ),
        (
            "gb.json",
            r#"{"context":{},"benchmarks":[{"name":"BM_X","run_name":"BM_X","run_type":"iteration","real_time":-1,"cpu_time":1,"time_unit":"ns"}]}"#.into(),
            "(`BM_X`): a time of -1 is not a positive time",
        ),
        (
            "gb-unit.json",
            r#"{"context":{},"benchmarks":[{"name":"BM_X","run_type":"iteration","real_time":1,"cpu_time":1,"time_unit":"furlong"}]}"#.into(),
            "time_unit `furlong` is not a unit of time",
        ),
        (
            "m.json",
            r#"{"schema":"regdiff.metrics/1","metrics":[{"id":"rss","unit":"MB","samples":[-3]}]}"#.into(),
            "metrics[0] (`rss`): sample -3",
        ),
        ("m-empty.json", r#"{"schema":"regdiff.metrics/1","metrics":[]}"#.into(), "holds no metrics"),
        ("pb.json", r#"{"machine_info":{},"benchmarks":[]}"#.into(), "holds no benchmarks"),
    ];
    for (name, text, msg) in cases {
        let p = write(d.path(), name, &text);
        let e = read_path(&p, ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains(name), "{name}: {e}");
        assert!(e.contains(msg), "{name}: {e}");
        // And on the command line: exit 2, no panic.
        regdiff(d.path())
            .arg("compare")
            .arg(&p)
            .arg(&p)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("panicked").not());
    }
    // Unknown units are read with a counted warning.
    let p = write(d.path(), "widgets.txt", "BenchmarkA-8  100  3 widgets/op\n");
    let s = read(&p, ReadOptions::default());
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("no known direction") && w.contains("widgets/op"))
    );
}

#[test]
fn units_that_differ_between_the_sides_are_not_compared() {
    let d = TempDir::new().unwrap();
    let b = write(
        d.path(),
        "b.json",
        r#"{"schema":"regdiff.metrics/1","metrics":[{"id":"size","unit":"MB","samples":[10]}]}"#,
    );
    let h = write(
        d.path(),
        "h.json",
        r#"{"schema":"regdiff.metrics/1","metrics":[{"id":"size","unit":"s","samples":[10]}]}"#,
    );
    let out = regdiff(d.path())
        .args(["compare", "--format", "json"])
        .arg(&b)
        .arg(&h)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = item(&r, "size");
    assert_eq!(m["verdict"], "inconclusive");
    assert!(m["evidence"].to_string().contains("units differ"), "{m}");
}

#[test]
fn budgets_fail_the_gate() {
    let d = TempDir::new().unwrap();
    write(
        d.path(),
        "regdiff.toml",
        "[gate.budgets]\n\"startup*\" = \"+3%\"\n",
    );
    let metrics = |v: f64| {
        format!(
            r#"{{"schema":"regdiff.metrics/1","metrics":[{{"id":"startup time","unit":"ms","samples":[{v}]}},{{"id":"binary size","unit":"MB","samples":[12]}}]}}"#
        )
    };
    let b = write(d.path(), "b.json", &metrics(100.0));
    let h = write(d.path(), "h.json", &metrics(110.0));
    let out = regdiff(d.path())
        .args(["compare", "--format", "json"])
        .arg(&b)
        .arg(&h)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        r["gate"]["reasons"]
            .to_string()
            .contains("over its budget of 3.0%"),
        "{}",
        r["gate"]
    );
    assert_eq!(
        item(&r, "startup time")["verdict"],
        "inconclusive",
        "one sample a side: inconclusive"
    );
    let h = write(d.path(), "h2.json", &metrics(102.0));
    regdiff(d.path())
        .arg("compare")
        .arg(&b)
        .arg(&h)
        .assert()
        .code(0);
}

#[test]
fn exact_metrics_need_no_statistics() {
    // Every sample identical on each side (allocations per op): the change is exact.
    let d = TempDir::new().unwrap();
    let b = write(
        d.path(),
        "b.txt",
        &"BenchmarkA-8 100 1000 ns/op 2 allocs/op\n".repeat(5),
    );
    let h = write(
        d.path(),
        "h.txt",
        &"BenchmarkA-8 100 1000 ns/op 3 allocs/op\n".repeat(5),
    );
    let out = regdiff(d.path())
        .args(["compare", "--format", "json"])
        .arg(&b)
        .arg(&h)
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = item(&r, "BenchmarkA-8:allocs/op");
    assert_eq!(m["verdict"], "regression", "{m}");
    assert!(m["evidence"].to_string().contains("the change is exact"));
    assert_eq!(item(&r, "BenchmarkA-8")["verdict"], "unchanged");
}
