//! Writes a store of generated runs for the scale benchmarks (`benches/scale.sh`):
//!
//! ```sh
//! cargo run --release --example gen_store -- DIR RUNS TESTS           # test runs
//! cargo run --release --example gen_store -- DIR RUNS METRICS metrics # benchmark runs
//! cargo run --release --example gen_store -- junit FILE CASES VARIANT  # one JUnit report
//! cargo run --release --example gen_store -- gotext FILE BENCHMARKS head|base  # Go text
//! ```
//!
//! The first writes `DIR/head.xml` (a JUnit report of TESTS cases) and `DIR/store/`, RUNS
//! runs of branch `main` of the same suite, each with its own failures. The second writes
//! `DIR/store/`, RUNS runs of METRICS benchmarks with 10 samples each (CV 3% from run to run,
//! a +10% step in every 50th benchmark at run 300).

#[path = "../benches/support/mod.rs"]
mod common;

use regdiff::store::Store;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [kind, file, n, variant] = args.as_slice() {
        let n: usize = n.parse().expect("a number of cases");
        let out = std::fs::File::create(file).expect("create the file");
        let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
        match kind.as_str() {
            "junit" => {
                let variant: u64 = variant.parse().expect("VARIANT is a number");
                common::write_junit(&mut out, n, variant).expect("write the report");
            }
            "gotext" => {
                let text = common::go_bench_text(n, 10, variant == "head", 7);
                std::io::Write::write_all(&mut out, text.as_bytes()).expect("write the text");
            }
            _ => {}
        }
        if matches!(kind.as_str(), "junit" | "gotext") {
            std::io::Write::flush(&mut out).expect("write the file");
            return;
        }
    }
    let (dir, runs, n, metrics) = match args.as_slice() {
        [dir, runs, n] => (dir, runs, n, false),
        [dir, runs, n, kind] if kind == "metrics" => (dir, runs, n, true),
        _ => {
            eprintln!("usage: gen_store DIR RUNS TESTS | gen_store DIR RUNS METRICS metrics");
            std::process::exit(2);
        }
    };
    let runs: u32 = runs.parse().expect("RUNS is a number");
    let n: usize = n.parse().expect("TESTS or METRICS is a number");
    let dir = std::path::Path::new(dir);
    if metrics {
        let store = regdiff::store::fs::FsStore::new(dir.join("store"));
        for (_, s) in common::metric_history(n, runs as usize) {
            store.save(&s).expect("save");
        }
        println!("{}: {runs} runs x {n} metrics", dir.display());
        return;
    }
    let (stored, junit) = common::gen_store(dir, runs, n);
    println!(
        "{}: {runs} runs x {n} tests; a JUnit report of {n} cases is {junit} bytes, a stored run {stored} bytes on average",
        dir.display()
    );
}
