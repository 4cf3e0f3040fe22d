//! criterion.rs output folders.
//!
//! criterion writes, per benchmark, `target/criterion/<directory_name>/<baseline>/` with
//! `benchmark.json` (ids), `sample.json` (raw measurements: per sample an iteration count
//! and a total time in nanoseconds) and `estimates.json` (criterion's own bootstrap, not
//! used: regdiff recomputes from the samples). Two layouts are read:
//!
//! * a whole tree: folders `…/<directory_name>/<baseline>/` — the baseline is chosen by name
//!   (`--criterion-baseline`, default `new`; when only one baseline name exists, that one);
//! * a folder of per-benchmark folders that each hold the files directly (one saved baseline
//!   copied out).
//!
//! Each benchmark becomes a metric named by its `full_id`, in seconds per iteration.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::RunBuilder;
use crate::error::IngestError;
use crate::model::{Better, Metric};

#[derive(Deserialize)]
struct CBenchmark {
    full_id: String,
    #[serde(default)]
    directory_name: Option<String>,
}

#[derive(Deserialize)]
struct CSample {
    iters: Vec<f64>,
    times: Vec<f64>,
}

/// Whether a folder holds criterion output (a `benchmark.json` somewhere below it).
pub fn looks_like_criterion(dir: &Path) -> bool {
    let mut found = Vec::new();
    // One is enough to tell; the whole walk is left to `read_folder`.
    find_benchmark_dirs(dir, 6, 1, &mut found, &mut Vec::new()).is_ok() && !found.is_empty()
}

/// Whether `path` (a file named `benchmark.json`) is criterion's benchmark description, by its
/// content: Google Benchmark also writes files of that name, and a folder holding one is not a
/// criterion folder.
fn is_criterion_meta(path: &Path) -> bool {
    use std::io::Read;
    let mut head = Vec::with_capacity(4096);
    let ok = std::fs::File::open(path)
        .and_then(|f| f.take(4096).read_to_end(&mut head))
        .is_ok();
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    ok && (has(b"\"group_id\"") || has(b"\"full_id\""))
}

/// Collects the benchmark folders below `dir` (at most `depth` levels down) into `out`,
/// stopping once it holds `limit`; folders with measurements (`sample.json`) but no
/// `benchmark.json` go to `orphans`.
fn find_benchmark_dirs(
    dir: &Path,
    depth: usize,
    limit: usize,
    out: &mut Vec<PathBuf>,
    orphans: &mut Vec<PathBuf>,
) -> std::io::Result<()> {
    let meta = dir.join("benchmark.json");
    if meta.is_file() && is_criterion_meta(&meta) {
        out.push(dir.to_path_buf());
        return Ok(());
    }
    if !meta.exists() && dir.join("sample.json").is_file() {
        orphans.push(dir.to_path_buf());
    }
    if depth == 0 {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    entries.sort();
    for e in entries {
        // criterion's HTML report folders hold no measurements.
        if e.file_name().is_some_and(|n| n == "report") {
            continue;
        }
        find_benchmark_dirs(&e, depth - 1, limit, out, orphans)?;
        if out.len() >= limit {
            break;
        }
    }
    Ok(())
}

/// Reads a criterion folder into `builder`. `baseline` is the saved baseline to read.
pub fn read_folder(
    dir: &Path,
    baseline: Option<&str>,
    builder: &mut RunBuilder,
) -> Result<(), IngestError> {
    let mut found = Vec::new();
    let mut orphans = Vec::new();
    find_benchmark_dirs(dir, 8, usize::MAX, &mut found, &mut orphans)
        .map_err(|e| IngestError::io(dir, e))?;
    for d in orphans {
        builder.warnings.push(format!(
            "{}: holds sample.json but no benchmark.json (which names the benchmark); it is left out",
            d.display()
        ));
    }
    // Classify each folder holding benchmark.json: a baseline folder of the tree layout
    // (its parent is the benchmark's directory) or a copied-out benchmark folder.
    let mut by_baseline: BTreeMap<String, Vec<(PathBuf, CBenchmark)>> = BTreeMap::new();
    let mut copied: Vec<(PathBuf, CBenchmark)> = Vec::new();
    for d in found {
        let file = d.join("benchmark.json");
        let bytes = std::fs::read(&file).map_err(|e| IngestError::io(&file, e))?;
        let b: CBenchmark = serde_json::from_slice(&bytes)
            .map_err(|e| IngestError::json(file.clone(), &e, "not a criterion benchmark.json"))?;
        let dir_name = b
            .directory_name
            .clone()
            .unwrap_or_else(|| b.full_id.replace('/', "_"));
        let parent_matches = d
            .parent()
            .is_some_and(|p| p.to_string_lossy().replace('\\', "/").ends_with(&dir_name));
        if parent_matches {
            let name = d
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            by_baseline.entry(name).or_default().push((d, b));
        } else {
            copied.push((d, b));
        }
    }
    let chosen: Vec<(PathBuf, CBenchmark)> = if !by_baseline.is_empty() {
        let names: Vec<String> = by_baseline.keys().cloned().collect();
        let pick = match baseline {
            Some(name) => name.to_string(),
            None if by_baseline.contains_key("new") => "new".to_string(),
            None if names.len() == 1 => names[0].clone(),
            None => {
                return Err(IngestError::unusable(
                    dir,
                    format!(
                        "the criterion folder holds several baselines ({}); choose one with --criterion-baseline NAME",
                        names.join(", ")
                    ),
                ));
            }
        };
        match by_baseline.remove(&pick) {
            Some(v) => {
                let mut v = v;
                v.extend(copied);
                v
            }
            None => {
                return Err(IngestError::unusable(
                    dir,
                    format!(
                        "no criterion baseline `{pick}` here; the folder holds: {}",
                        names.join(", ")
                    ),
                ));
            }
        }
    } else {
        copied
    };
    if chosen.is_empty() {
        return Err(IngestError::unusable(
            dir,
            "no criterion benchmark (benchmark.json with sample.json) found",
        ));
    }
    let source = dir.display().to_string();
    let mut read = 0;
    for (d, b) in chosen {
        let sample_path = d.join("sample.json");
        if !sample_path.is_file() {
            builder.warnings.push(format!(
                "{}: benchmark `{}` has no sample.json; it is left out",
                d.display(),
                b.full_id
            ));
            continue;
        }
        let bytes = std::fs::read(&sample_path).map_err(|e| IngestError::io(&sample_path, e))?;
        let s: CSample = serde_json::from_slice(&bytes).map_err(|e| {
            IngestError::json(sample_path.clone(), &e, "not a criterion sample.json")
        })?;
        if s.iters.len() != s.times.len() {
            return Err(IngestError::unusable(
                &sample_path,
                format!(
                    "`iters` has {} values and `times` {}; they must pair up",
                    s.iters.len(),
                    s.times.len()
                ),
            ));
        }
        let mut samples = Vec::with_capacity(s.times.len());
        for (i, (t, n)) in s.times.iter().zip(&s.iters).enumerate() {
            if !(t.is_finite() && *t > 0.0 && n.is_finite() && *n > 0.0) {
                return Err(IngestError::unusable(
                    &sample_path,
                    format!(
                        "sample {i} of `{}`: time {t} ns over {n} iterations is not a positive measurement",
                        b.full_id
                    ),
                ));
            }
            samples.push(t / n / 1e9);
        }
        if samples.is_empty() {
            builder.warnings.push(format!(
                "{}: benchmark `{}` has no samples; it is left out",
                sample_path.display(),
                b.full_id
            ));
            continue;
        }
        builder.add_metric(Metric::new(b.full_id, "s", Better::Lower, samples), &source);
        read += 1;
    }
    if read == 0 {
        return Err(IngestError::unusable(
            dir,
            "no criterion benchmark here has a usable sample.json",
        ));
    }
    Ok(())
}
