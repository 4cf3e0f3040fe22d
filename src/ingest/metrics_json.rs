//! regdiff's generic metrics JSON, for any figure no harness writes: memory, binary size,
//! start-up time, a count.
//!
//! ```json
//! {"schema": "regdiff.metrics/1",
//!  "metrics": [{"id": "peak memory", "unit": "MB", "better": "lower", "samples": [163.6]}]}
//! ```
//!
//! `unit` is normalised like every other unit (`MB` → bytes, `ms` → seconds); `better` is
//! `lower` or `higher` (default: by unit, lower unless a rate).

use std::path::Path;

use serde::Deserialize;

use super::RunBuilder;
use crate::error::IngestError;
use crate::model::{Better, Metric};
use crate::units;

/// The schema tag of the generic metrics file.
pub const METRICS_SCHEMA: &str = "regdiff.metrics/1";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MFile {
    schema: String,
    #[serde(default)]
    run: Option<crate::model::RunInfo>,
    metrics: Vec<MMetric>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MMetric {
    id: String,
    unit: String,
    #[serde(default)]
    better: Option<Better>,
    samples: Vec<f64>,
    #[serde(default)]
    tags: Vec<String>,
}

/// Reads a generic metrics file.
pub fn read_file(path: &Path, bytes: &[u8], builder: &mut RunBuilder) -> Result<(), IngestError> {
    let f: MFile = serde_json::from_slice(bytes)
        .map_err(|e| IngestError::json(path.to_path_buf(), &e, "not a regdiff metrics file"))?;
    if f.schema != METRICS_SCHEMA {
        return Err(IngestError::unusable(
            path,
            format!(
                "metrics schema `{}` is not supported; this regdiff reads `{METRICS_SCHEMA}`",
                f.schema
            ),
        ));
    }
    if let Some(run) = f.run {
        builder.run.branch = builder.run.branch.take().or(run.branch);
        builder.run.commit = builder.run.commit.take().or(run.commit);
        if let Some(t) = run.time {
            builder.time.get_or_insert(t);
        }
    }
    if f.metrics.is_empty() {
        return Err(IngestError::unusable(
            path,
            "the metrics file holds no metrics",
        ));
    }
    let source = path.display().to_string();
    for (i, m) in f.metrics.into_iter().enumerate() {
        let r = units::resolve(&m.unit);
        if !r.known {
            builder.warnings.push(format!(
                "{source}: metrics[{i}] (`{}`): unit `{}` is not one regdiff knows; values kept as given",
                m.id, m.unit
            ));
        }
        if m.samples.is_empty() {
            return Err(IngestError::unusable(
                path,
                format!("metrics[{i}] (`{}`) has no samples", m.id),
            ));
        }
        for v in &m.samples {
            if !v.is_finite() || *v < 0.0 || (r.is_time && *v == 0.0) {
                return Err(IngestError::unusable(
                    path,
                    format!(
                        "metrics[{i}] (`{}`): sample {v} is not a valid {}",
                        m.id,
                        if r.is_time {
                            "time (must be > 0)"
                        } else {
                            "value (must be >= 0)"
                        }
                    ),
                ));
            }
        }
        let mut metric = Metric::new(
            m.id,
            r.unit.clone(),
            m.better.unwrap_or(r.better),
            m.samples.into_iter().map(|v| r.apply(v)).collect(),
        );
        metric.tags = m.tags;
        builder.add_metric(metric, &source);
    }
    Ok(())
}
