//! hyperfine JSON (`--export-json`): each command is a metric named by the command (its
//! `-n` name when given), with every timing run (`times`, seconds) as a sample and the mean
//! CPU time (`user` + `system`) beside them. Runs that exited with a non-zero status are
//! counted in a warning.

use std::path::Path;

use serde::Deserialize;

use super::RunBuilder;
use crate::error::IngestError;
use crate::model::{Better, CpuTime, Metric, MetricSummary};

#[derive(Deserialize)]
struct HFile {
    results: Vec<HResult>,
}

#[derive(Deserialize)]
struct HResult {
    command: String,
    mean: f64,
    #[serde(default)]
    stddev: Option<f64>,
    median: f64,
    min: f64,
    max: f64,
    /// Mean user CPU time per run, seconds.
    #[serde(default)]
    user: Option<f64>,
    /// Mean system CPU time per run, seconds.
    #[serde(default)]
    system: Option<f64>,
    #[serde(default)]
    times: Option<Vec<f64>>,
    #[serde(default)]
    exit_codes: Option<Vec<Option<i64>>>,
}

/// Reads a hyperfine JSON file.
pub fn read_file(path: &Path, bytes: &[u8], builder: &mut RunBuilder) -> Result<(), IngestError> {
    let f: HFile = serde_json::from_slice(bytes)
        .map_err(|e| IngestError::json(path.to_path_buf(), &e, "not a hyperfine JSON file"))?;
    let source = path.display().to_string();
    if f.results.is_empty() {
        return Err(IngestError::unusable(
            path,
            "the hyperfine file holds no results",
        ));
    }
    for (i, r) in f.results.into_iter().enumerate() {
        let failed = r
            .exit_codes
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .filter(|c| c.is_some_and(|c| c != 0))
            .count();
        if failed > 0 {
            builder.warnings.push(format!(
                "{source}: command `{}`: {failed} run(s) exited with a non-zero status",
                r.command
            ));
        }
        let mut m = Metric::new(r.command.clone(), "s", Better::Lower, Vec::new());
        match r.times {
            Some(times) if !times.is_empty() => {
                if let Some(bad) = times.iter().find(|t| !(t.is_finite() && **t > 0.0)) {
                    return Err(IngestError::unusable(
                        path,
                        format!(
                            "results[{i}] (`{}`): a time of {bad} is not a positive time",
                            r.command
                        ),
                    ));
                }
                m.samples = times;
            }
            _ => {
                if !(r.median.is_finite() && r.median > 0.0) {
                    return Err(IngestError::unusable(
                        path,
                        format!(
                            "results[{i}] (`{}`): median {} is not a positive time",
                            r.command, r.median
                        ),
                    ));
                }
                builder.warnings.push(format!(
                    "{source}: command `{}` has no per-run times; its median is read as one value",
                    r.command
                ));
                m.summary = Some(MetricSummary {
                    n: 1,
                    min: r.min,
                    median: r.median,
                    max: Some(r.max),
                    mean: Some(r.mean),
                    stddev: r.stddev,
                    q1: None,
                    q3: None,
                });
            }
        }
        // hyperfine gives the mean CPU time (user + system) of the runs, not each run's.
        if let (Some(u), Some(sys)) = (r.user, r.system)
            && u.is_finite()
            && sys.is_finite()
            && u >= 0.0
            && sys >= 0.0
            && u + sys > 0.0
        {
            m.cpu = Some(CpuTime {
                samples: Vec::new(),
                mean: Some(u + sys),
            });
        }
        builder.add_metric(m, &source);
    }
    Ok(())
}
