//! pytest-benchmark JSON (`--benchmark-json` or a saved run in `.benchmarks/`).
//!
//! Each benchmark is a metric named by its `fullname`, in seconds. The raw per-round times
//! (`stats.data`, saved with `--benchmark-save-data`) are its samples; without them, the
//! summary statistics (min, quartiles, median, mean, stddev, rounds) are kept instead, and
//! the reader says so once per file. `machine_info` and `commit_info` fill the run's
//! fingerprint and metadata.

use std::path::Path;

use serde::Deserialize;

use super::RunBuilder;
use crate::error::IngestError;
use crate::model::{Better, Metric, MetricSummary};

#[derive(Deserialize)]
struct PFile {
    #[serde(default)]
    machine_info: Option<PMachine>,
    #[serde(default)]
    commit_info: Option<PCommit>,
    #[serde(default)]
    datetime: Option<String>,
    benchmarks: Vec<PBench>,
}

#[derive(Deserialize)]
struct PMachine {
    #[serde(default)]
    node: Option<String>,
    #[serde(default)]
    cpu: Option<PCpu>,
    #[serde(default)]
    python_version: Option<String>,
}

#[derive(Deserialize)]
struct PCpu {
    #[serde(default)]
    brand_raw: Option<String>,
    #[serde(default)]
    count: Option<u32>,
}

#[derive(Deserialize)]
struct PCommit {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    branch: Option<String>,
}

#[derive(Deserialize)]
struct PBench {
    name: String,
    #[serde(default)]
    fullname: Option<String>,
    stats: PStats,
}

#[derive(Deserialize)]
struct PStats {
    min: f64,
    max: f64,
    mean: f64,
    stddev: f64,
    rounds: u64,
    median: f64,
    #[serde(default)]
    q1: Option<f64>,
    #[serde(default)]
    q3: Option<f64>,
    #[serde(default)]
    data: Option<Vec<f64>>,
}

/// Reads a pytest-benchmark JSON file.
pub fn read_file(path: &Path, bytes: &[u8], builder: &mut RunBuilder) -> Result<(), IngestError> {
    let f: PFile = serde_json::from_slice(bytes).map_err(|e| {
        IngestError::json(path.to_path_buf(), &e, "not a pytest-benchmark JSON file")
    })?;
    let source = path.display().to_string();
    if let Some(m) = f.machine_info {
        builder.env.host = builder.env.host.take().or(m.node);
        if let Some(cpu) = m.cpu {
            builder.env.cpu = builder.env.cpu.take().or(cpu.brand_raw);
            builder.env.cores = builder.env.cores.or(cpu.count);
        }
        if let Some(v) = m.python_version {
            builder.env.toolchains.entry("python".into()).or_insert(v);
        }
    }
    if let Some(c) = f.commit_info {
        // pytest-benchmark writes placeholders outside a repository.
        let id = c.id.filter(|i| i != "unversioned" && !i.is_empty());
        let branch = c.branch.filter(|b| !b.starts_with('(') && !b.is_empty());
        builder.run.commit = builder.run.commit.take().or(id);
        builder.run.branch = builder.run.branch.take().or(branch);
    }
    if let Some(t) = f.datetime {
        builder.time.get_or_insert(t);
    }
    if f.benchmarks.is_empty() {
        return Err(IngestError::unusable(
            path,
            "the pytest-benchmark file holds no benchmarks",
        ));
    }
    let mut summarised = 0;
    for (i, b) in f.benchmarks.into_iter().enumerate() {
        let id = b.fullname.unwrap_or(b.name);
        let s = b.stats;
        for (what, v) in [
            ("min", s.min),
            ("median", s.median),
            ("mean", s.mean),
            ("max", s.max),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(IngestError::unusable(
                    path,
                    format!("benchmarks[{i}] (`{id}`): stats.{what} = {v} is not a positive time"),
                ));
            }
        }
        let mut m = Metric::new(id.clone(), "s", Better::Lower, Vec::new());
        match s.data {
            Some(data) if !data.is_empty() => {
                if let Some(bad) = data.iter().find(|x| !(x.is_finite() && **x > 0.0)) {
                    return Err(IngestError::unusable(
                        path,
                        format!(
                            "benchmarks[{i}] (`{id}`): a round time of {bad} is not a positive time"
                        ),
                    ));
                }
                m.samples = data;
            }
            _ => {
                summarised += 1;
                m.summary = Some(MetricSummary {
                    n: s.rounds,
                    min: s.min,
                    median: s.median,
                    max: Some(s.max),
                    mean: Some(s.mean),
                    stddev: Some(s.stddev),
                    q1: s.q1,
                    q3: s.q3,
                });
            }
        }
        builder.add_metric(m, &source);
    }
    if summarised > 0 {
        builder.warnings.push(format!(
            "{source}: {summarised} benchmark(s) have summary statistics only (saved without --benchmark-save-data); their medians are compared"
        ));
    }
    Ok(())
}
