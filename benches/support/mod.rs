//! Generators shared by the benchmarks.
//!
//! Each bench uses some of them; the rest are dead code there.
#![allow(dead_code)]

use std::fmt::Write as _;

/// Runs regdiff in-process with `args` and returns the report's length (so the work is not
/// optimised away); panics on exit status 2 with regdiff's message.
pub fn run(args: &[&str]) -> usize {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut io = regdiff::app::Io {
        stdout: &mut out,
        stderr: &mut err,
        stdout_is_terminal: false,
    };
    let status = regdiff::app::run(args.iter().copied(), &mut io);
    assert_ne!(status.code(), 2, "{}", String::from_utf8_lossy(&err));
    out.len()
}

/// A JUnit report of `n` test cases over 50 suites; about 1% fail with a message and a short
/// trace, 0.5% are skipped, every 100th case has some captured output. `variant` changes which
/// tests fail, so that base and head differ.
pub fn junit_report(n: usize, variant: u64) -> String {
    let mut out = Vec::with_capacity(n * 140);
    write_junit(&mut out, n, variant).expect("writing to memory");
    String::from_utf8(out).expect("the generator writes UTF-8")
}

/// Writes the report of [`junit_report`] to `out` case by case, so that a file of any size
/// can be generated without holding it (an average case takes about 100 bytes).
pub fn write_junit(out: &mut impl std::io::Write, n: usize, variant: u64) -> std::io::Result<()> {
    let mut s = String::with_capacity(1 << 16);
    s.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<testsuites name=\"bench\">\n");
    let per_suite = n.div_ceil(50);
    let mut i = 0;
    for suite in 0..50 {
        let _ = writeln!(
            s,
            "<testsuite name=\"suite_{suite}\" tests=\"{per_suite}\">"
        );
        for _ in 0..per_suite {
            if i == n {
                break;
            }
            junit_case(&mut s, i, suite, variant);
            i += 1;
            if s.len() > 60_000 {
                out.write_all(s.as_bytes())?;
                s.clear();
            }
        }
        s.push_str("</testsuite>\n");
    }
    s.push_str("</testsuites>\n");
    out.write_all(s.as_bytes())
}

fn junit_case(s: &mut String, i: usize, suite: usize, variant: u64) {
    let h = (i as u64 ^ variant.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_mul(0x2545_F491_4F6C_DD1D);
    let class = format!("pkg.module_{suite}.TestClass{}", i % 37);
    let time = (h % 5000) as f64 / 1000.0;
    if h.is_multiple_of(100) {
        let _ = writeln!(
            s,
            "<testcase classname=\"{class}\" name=\"test_case_{i}[param-{}]\" time=\"{time:.3}\"><failure message=\"AssertionError: expected {} got {}\" type=\"AssertionError\">tests/module_{suite}.py:{}: in test_case_{i}\n    assert result == expected\nE   AssertionError: expected {} got {}</failure></testcase>",
            i % 7,
            h % 97,
            h % 89,
            10 + i % 400,
            h % 97,
            h % 89
        );
    } else if h % 200 == 1 {
        let _ = writeln!(
            s,
            "<testcase classname=\"{class}\" name=\"test_case_{i}[param-{}]\" time=\"0\"><skipped message=\"not on this platform\"/></testcase>",
            i % 7
        );
    } else if i.is_multiple_of(100) {
        let _ = writeln!(
            s,
            "<testcase classname=\"{class}\" name=\"test_case_{i}[param-{}]\" time=\"{time:.3}\"><system-out>log line one\nlog line two for case {i}\n</system-out></testcase>",
            i % 7
        );
    } else {
        let _ = writeln!(
            s,
            "<testcase classname=\"{class}\" name=\"test_case_{i}[param-{}]\" time=\"{time:.3}\"/>",
            i % 7
        );
    }
}

/// Peak resident memory of this process so far (VmHWM), in MiB; `None` off Linux.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// A deterministic generator: xorshift64*.
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    /// Uniform in (0, 1).
    pub fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        ((x >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// The true time of benchmark `i` in ns, and its slowdown on `head` (0.2% of benchmarks
/// are 10–30% slower there).
fn true_ns(i: usize, head: bool) -> f64 {
    let base = 900.0 + (i % 97) as f64 * 45.0 + (i / 97) as f64 * 0.5;
    if head && i.is_multiple_of(500) {
        base * (1.1 + (i % 7) as f64 * 0.03)
    } else {
        base
    }
}

/// `go test -bench . -count=COUNT` output for `n` benchmarks: configuration lines, then
/// every benchmark once per round (as concatenated runs print them), log-normal noise of
/// CV 2% around [`true_ns`].
pub fn go_bench_text(n: usize, count: usize, head: bool, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut s = String::with_capacity(n * count * 50);
    s.push_str("goos: linux\ngoarch: amd64\npkg: example.com/bench\ncpu: bench CPU\n");
    for _ in 0..count {
        for i in 0..n {
            let v = true_ns(i, head) * (0.02 * rng.normal()).exp();
            let _ = writeln!(
                s,
                "BenchmarkOp{i}/size={}-8   \t  100000\t{v:.1} ns/op",
                i % 7
            );
        }
    }
    s.push_str("PASS\nok  \texample.com/bench\t12.345s\n");
    s
}

/// Google Benchmark JSON (`--benchmark_repetitions=REPS`, indented as the library writes
/// it) for `n` benchmarks, real and CPU time, noise as in [`go_bench_text`].
pub fn gbench_json(n: usize, reps: usize, head: bool, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut s = String::with_capacity(n * reps * 380);
    s.push_str(
        "{\n  \"context\": {\n    \"date\": \"2026-11-22T00:00:00+00:00\",\n    \"host_name\": \"bench\",\n    \"num_cpus\": 2,\n    \"library_build_type\": \"release\"\n  },\n  \"benchmarks\": [\n",
    );
    let mut first = true;
    for i in 0..n {
        for r in 0..reps {
            let real = true_ns(i, head) * (0.02 * rng.normal()).exp();
            let cpu = real * 0.98;
            if !first {
                s.push_str(",\n");
            }
            first = false;
            let _ = write!(
                s,
                "    {{\n      \"name\": \"BM_Op{i}/{}\",\n      \"family_index\": {i},\n      \"per_family_instance_index\": 0,\n      \"run_name\": \"BM_Op{i}/{}\",\n      \"run_type\": \"iteration\",\n      \"repetitions\": {reps},\n      \"repetition_index\": {r},\n      \"threads\": 1,\n      \"iterations\": 1000,\n      \"real_time\": {real},\n      \"cpu_time\": {cpu},\n      \"time_unit\": \"ns\"\n    }}",
                i % 7,
                i % 7
            );
        }
    }
    s.push_str("\n  ]\n}\n");
    s
}

/// Writes `dir/head.xml` (a JUnit report of `tests` cases) and a store `dir/store/` of `runs`
/// runs of branch `main` of the same suite, each with its own failures (ten variants in turn,
/// so a test's history both passes and fails), one minute apart. Returns the mean size of a
/// stored run and the size of the JUnit report, in bytes.
pub fn gen_store(dir: &std::path::Path, runs: u32, tests: usize) -> (u64, u64) {
    use regdiff::store::Store;
    std::fs::create_dir_all(dir).expect("create the folder");
    let head = dir.join("head.xml");
    std::fs::write(&head, junit_report(tests, 99)).expect("write head.xml");
    let variants: Vec<regdiff::model::Snapshot> = (0..10u64)
        .map(|v| {
            let p = dir.join(format!("variant-{v}.xml"));
            std::fs::write(&p, junit_report(tests, v)).expect("write a variant");
            let s = regdiff::ingest::read_path(&p, Default::default())
                .expect("read a variant")
                .remove(0);
            std::fs::remove_file(&p).ok();
            s
        })
        .collect();
    let store = regdiff::store::fs::FsStore::new(dir.join("store"));
    for i in 0..runs {
        let mut s = variants[i as usize % variants.len()].clone();
        s.sources.clear();
        s.run.branch = Some("main".into());
        s.run.commit = Some(format!("{i:040x}"));
        s.run.time = Some(format!(
            "2026-01-{:02}T{:02}:{:02}:00Z",
            1 + i / 1440,
            (i / 60) % 24,
            i % 60
        ));
        store.save(&s).expect("save");
    }
    let stored: u64 = std::fs::read_dir(store.dir())
        .expect("list the store")
        .map(|e| e.expect("entry").metadata().expect("size").len())
        .sum();
    let junit = std::fs::metadata(&head).map(|m| m.len()).unwrap_or(0);
    (stored / u64::from(runs.max(1)), junit)
}

/// A branch's history of `runs` runs of `metrics` benchmarks (10 samples a metric a run,
/// log-normal noise of CV 3% per run, a +10% step in every 50th metric at run 300), as
/// (id, snapshot) pairs, oldest first.
pub fn metric_history(metrics: usize, runs: usize) -> Vec<(String, regdiff::model::Snapshot)> {
    use regdiff::model::{Better, Metric, Snapshot};
    let mut r = regdiff::stats::SplitMix64::new(42);
    let mut normal = move || {
        let u1 = ((r.next_u64() >> 11) as f64 / (1u64 << 53) as f64).max(1e-300);
        let u2 = (r.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    };
    (0..runs)
        .map(|i| {
            let mut s = Snapshot::new();
            s.run.branch = Some("main".into());
            s.run.commit = Some(format!("c{i:04}"));
            s.run.time = Some(format!(
                "2026-01-{:02}T{:02}:{:02}:00Z",
                1 + i / 1440,
                (i / 60) % 24,
                i % 60
            ));
            for k in 0..metrics {
                let level = if k % 50 == 0 && i >= 300 {
                    110.0
                } else {
                    100.0
                };
                let run = level * (0.03 * normal()).exp();
                let samples = (0..10).map(|_| run * (0.01 * normal()).exp()).collect();
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
