//! Helpers shared by the integration tests that run the binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub fn regdiff(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("regdiff").unwrap();
    c.current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_STEP_SUMMARY");
    for v in [
        "GITHUB_HEAD_REF",
        "GITHUB_REF_NAME",
        "GITHUB_SHA",
        "CI_COMMIT_REF_NAME",
        "CI_COMMIT_SHA",
        "BUILDKITE_BRANCH",
        "BUILDKITE_COMMIT",
        "CIRCLE_BRANCH",
        "CIRCLE_SHA1",
    ] {
        c.env_remove(v);
    }
    c
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

pub fn item<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no item {id}"))
}

/// The test items of a JSON report, by id.
pub fn test_items(
    report: &serde_json::Value,
) -> std::collections::BTreeMap<String, &serde_json::Value> {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "test")
        .map(|i| (i["id"].as_str().unwrap().to_string(), i))
        .collect()
}

/// Runs regdiff in this process (much faster than spawning the binary for every scenario)
/// and returns the exit status, standard output and standard error.
pub fn run_in_process<I, T>(args: I) -> (u8, Vec<u8>, Vec<u8>)
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let mut out = Vec::new();
    let mut err = Vec::new();
    let status = {
        let mut io = regdiff::app::Io {
            stdout: &mut out,
            stderr: &mut err,
            stdout_is_terminal: false,
        };
        regdiff::app::run(args, &mut io)
    };
    (status.code(), out, err)
}

/// Saves a run into a fresh store and loads it back: what comes back is what went in.
pub fn round_trips(s: &regdiff::model::Snapshot) {
    use regdiff::store::Store;
    let dir = tempfile::tempdir().unwrap();
    let store = regdiff::store::fs::FsStore::new(dir.path().join("baselines"));
    let mut s = s.clone();
    s.run.branch.get_or_insert_with(|| "main".into());
    s.run.commit.get_or_insert_with(|| "0123456789ab".into());
    s.run
        .time
        .get_or_insert_with(|| "2026-11-25T00:00:00Z".into());
    store.save(&s).unwrap();
    let loaded = store.load_all().unwrap();
    assert!(loaded.failures.is_empty(), "{:?}", loaded.failures);
    assert_eq!(loaded.snapshots.len(), 1);
    assert_eq!(
        serde_json::to_value(&loaded.snapshots[0].snapshot).unwrap(),
        serde_json::to_value(&s).unwrap()
    );
}

/// A seeded generator for the simulations (xoshiro256**): the same figures on every machine.
pub struct Rng(regdiff::stats::Xoshiro256StarStar);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(regdiff::stats::Xoshiro256StarStar::seed_from_u64(seed))
    }

    /// Uniform in [0, 1), 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// The report of one base run against one head run, no history, default configuration.
pub fn analyse_one_run(
    base: &regdiff::model::Snapshot,
    head: &regdiff::model::Snapshot,
) -> regdiff::report::Report {
    analyse_runs(
        vec![regdiff::align::Run {
            id: "base",
            snapshot: base,
        }],
        vec![regdiff::align::Run {
            id: "head",
            snapshot: head,
        }],
    )
}

/// The report of `base` against `head`, no history, default configuration.
pub fn analyse_runs(
    base: Vec<regdiff::align::Run<'_>>,
    head: Vec<regdiff::align::Run<'_>>,
) -> regdiff::report::Report {
    let config = regdiff::config::Config::default();
    let inputs = regdiff::pipeline::Inputs {
        base,
        head,
        history: Default::default(),
        config: &config,
        changed_files: None,
        gate: None,
        warnings: Vec::new(),
    };
    regdiff::pipeline::analyse(&inputs)
}
