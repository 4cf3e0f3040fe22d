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
fn is_criterion_meta(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let has = |needle: &[u8]| memchr::memmem::find(head, needle).is_some();
    has(b"\"group_id\"") || has(b"\"full_id\"")
}

/// The bytes of `path` if it is a regular file that can be read. Opened without blocking
/// and checked before it is read: a FIFO of that name is not waited on.
fn read_regular(path: &Path) -> Option<Vec<u8>> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let mut f = options.open(path).ok()?;
    let meta = f.metadata().ok()?;
    if !meta.is_file() {
        return None;
    }
    read_from(&mut f, meta.len() as usize + 1).ok()
}

/// The rest of `f`, read into room for `room` bytes first (grown while the file fills it):
/// a file read whole by `std::fs::read` costs two more system calls, to ask its size and
/// position, than the open and the two reads (the second finds the end) it needs.
fn read_from(f: &mut std::fs::File, room: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = vec![0; room.max(1)];
    let mut filled = 0;
    loop {
        if filled == bytes.len() {
            bytes.resize(2 * bytes.len(), 0);
        }
        match f.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    bytes.truncate(filled);
    Ok(bytes)
}

/// Collects the benchmark folders below `dir` (at most `depth` levels down) into `out`,
/// stopping once it holds `limit`; folders with measurements (`sample.json`) but no
/// `benchmark.json` go to `orphans`. Each folder is listed once and its entries' types come
/// with the listing (no `stat` per file); subfolders are walked in parallel when the whole
/// tree is wanted, and the results keep the sorted order whatever the threads.
fn find_benchmark_dirs(
    dir: &Path,
    depth: usize,
    limit: usize,
    out: &mut Vec<(PathBuf, Vec<u8>)>,
    orphans: &mut Vec<PathBuf>,
) -> std::io::Result<()> {
    use rayon::prelude::*;
    // A baseline folder of criterion's tree holds benchmark.json: read straight away, such a
    // folder (half the folders of a tree) is not listed. What is not a readable criterion
    // description is left to the listing below.
    if let Some(bytes) = read_regular(&dir.join("benchmark.json"))
        && is_criterion_meta(&bytes)
    {
        out.push((dir.to_path_buf(), bytes));
        return Ok(());
    }
    let mut has_samples = false;
    let mut subdirs: Vec<PathBuf> = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let Ok(e) = e else { continue };
        let is_dir = match e.file_type() {
            Ok(t) if t.is_symlink() => e.path().is_dir(),
            Ok(t) => t.is_dir(),
            Err(_) => false,
        };
        if is_dir {
            subdirs.push(e.path());
        } else {
            has_samples |= e.file_name() == "sample.json";
        }
    }
    // A benchmark.json here was tried above: it is not criterion's (Google Benchmark writes
    // files of that name), or not a regular file that can be read (a FIFO is not waited on).
    if has_samples {
        orphans.push(dir.to_path_buf());
    }
    if depth == 0 {
        return Ok(());
    }
    // All in `dir`: by name is by path (comparing whole paths was 2% of reading 20,000
    // benchmarks).
    subdirs.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    // criterion's HTML report folders hold no measurements.
    subdirs.retain(|e| e.file_name().is_none_or(|n| n != "report"));
    if limit == usize::MAX {
        type Found = (Vec<(PathBuf, Vec<u8>)>, Vec<PathBuf>);
        let found: Vec<std::io::Result<Found>> = subdirs
            .par_iter()
            .map(|e| {
                let (mut o, mut orph) = (Vec::new(), Vec::new());
                find_benchmark_dirs(e, depth - 1, limit, &mut o, &mut orph).map(|()| (o, orph))
            })
            .collect();
        for f in found {
            let (o, orph) = f?;
            out.extend(o);
            orphans.extend(orph);
        }
        return Ok(());
    }
    for e in subdirs {
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
        builder.warnings.push(if d.join("benchmark.json").exists() {
            format!(
                "{}: holds sample.json, but its benchmark.json is not a criterion description that can be read as a regular file; it is left out",
                d.display()
            )
        } else {
            format!(
                "{}: holds sample.json but no benchmark.json (which names the benchmark); it is left out",
                d.display()
            )
        });
    }
    // Classify each folder holding benchmark.json: a baseline folder of the tree layout
    // (its parent is the benchmark's directory) or a copied-out benchmark folder.
    let mut by_baseline: BTreeMap<String, Vec<(PathBuf, CBenchmark)>> = BTreeMap::new();
    let mut copied: Vec<(PathBuf, CBenchmark)> = Vec::new();
    // benchmark.json files are read in parallel, then classified in order.
    let described: Vec<Result<(PathBuf, CBenchmark), IngestError>> = {
        use rayon::prelude::*;
        found
            .into_par_iter()
            .map(|(d, bytes)| {
                let file = d.join("benchmark.json");
                let b: CBenchmark = serde_json::from_slice(&bytes).map_err(|e| {
                    IngestError::json(file.clone(), &e, "not a criterion benchmark.json")
                })?;
                Ok((d, b))
            })
            .collect()
    };
    for r in described {
        let (d, b) = r?;
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
    // sample.json files are read and checked in parallel; their metrics, warnings and the
    // first error (in the folders' order) are then taken in order.
    enum Read {
        Metric(Box<Metric>),
        Warning(String),
    }
    let reads: Vec<Result<Read, IngestError>> = {
        use rayon::prelude::*;
        chosen
            .into_par_iter()
            .map(|(d, b)| -> Result<Read, IngestError> {
                let sample_path = d.join("sample.json");
                // criterion's sample.json of 100 samples is about 4 KB.
                let bytes = match std::fs::File::open(&sample_path)
                    .and_then(|mut f| read_from(&mut f, 8192))
                {
                    Ok(b) => b,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        return Ok(Read::Warning(format!(
                            "{}: benchmark `{}` has no sample.json; it is left out",
                            d.display(),
                            b.full_id
                        )));
                    }
                    Err(e) => return Err(IngestError::io(&sample_path, e)),
                };
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
                    return Ok(Read::Warning(format!(
                        "{}: benchmark `{}` has no samples; it is left out",
                        sample_path.display(),
                        b.full_id
                    )));
                }
                Ok(Read::Metric(Box::new(Metric::new(
                    b.full_id,
                    "s",
                    Better::Lower,
                    samples,
                ))))
            })
            .collect()
    };
    let mut read = 0;
    for r in reads {
        match r? {
            Read::Metric(m) => {
                builder.add_metric(*m, &source);
                read += 1;
            }
            Read::Warning(w) => builder.warnings.push(w),
        }
    }
    if read == 0 {
        return Err(IngestError::unusable(
            dir,
            "no criterion benchmark here has a usable sample.json",
        ));
    }
    Ok(())
}
