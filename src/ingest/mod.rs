//! Reading inputs: report files, benchmark results and snapshots, detected by content.
//!
//! Every format converts into [`crate::model`] at its boundary, in a file of its own. A path
//! is one of:
//!
//! * a report file → one run: JUnit XML; TAP; `go test -json`; libtest / nextest JSON;
//!   pytest-json-report; CTRF JSON; pytest-benchmark, Google Benchmark or hyperfine
//!   JSON; Go benchmark text; regdiff's generic metrics JSON;
//! * a regdiff snapshot file → one run;
//! * a criterion output folder (`target/criterion` or per-benchmark folders) → one run;
//! * a folder of report files → one run (Gradle and Surefire write one file per class);
//! * a folder of snapshot files → one run per snapshot.
//!
//! Detection looks at the first bytes, never at the file name. What cannot be read is an
//! [`IngestError`] naming the file and position; what could be repaired is a warning inside
//! the snapshot.

pub mod cargo_text;
pub mod criterion;
pub mod ctrf;
pub mod gbench;
pub mod gobench;
pub mod gotest;
pub mod gtest_json;
pub mod hyperfine;
pub mod idmap;
pub mod input;
pub mod json_stream;
pub mod junit;
pub mod libtest;
pub mod metrics_json;
pub mod pytest_benchmark;
pub mod pytest_json;
pub mod sanitize;
pub mod snapshot;
pub mod snapshot_lines;
pub mod stream;
pub mod tap;
pub mod text;

use std::collections::BTreeMap;

use hashbrown::{DefaultHashBuilder, HashTable};
use rayon::prelude::*;

use std::path::{Path, PathBuf};

use crate::error::IngestError;
use crate::model::{Attempt, Name, SharedNames, Snapshot, TestResult};

/// Input formats regdiff reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JUnit XML in its dialects.
    Junit,
    /// regdiff's own snapshot JSON.
    Snapshot,
    /// criterion output folder.
    Criterion,
    /// pytest-benchmark JSON.
    PytestBenchmark,
    /// Google Benchmark JSON.
    GoogleBenchmark,
    /// hyperfine JSON.
    Hyperfine,
    /// Go benchmark text.
    GoBench,
    /// regdiff's generic metrics JSON.
    Metrics,
    /// TAP (Test Anything Protocol) 12–14.
    Tap,
    /// `go test -json` event stream.
    GoTest,
    /// pytest-json-report JSON.
    PytestJson,
    /// libtest / cargo-nextest JSON events.
    Libtest,
    /// CTRF JSON.
    Ctrf,
    /// Google Test JSON (`--gtest_output=json`).
    GtestJson,
    /// `cargo test`'s plain text output (libtest's human format).
    CargoText,
}

impl Format {
    /// The name used by `--input-format` and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::Junit => "junit",
            Format::Snapshot => "snapshot",
            Format::Criterion => "criterion",
            Format::PytestBenchmark => "pytest-benchmark",
            Format::GoogleBenchmark => "google-benchmark",
            Format::Hyperfine => "hyperfine",
            Format::GoBench => "go-bench",
            Format::Metrics => "metrics",
            Format::Tap => "tap",
            Format::GoTest => "go-test-json",
            Format::PytestJson => "pytest-json",
            Format::Libtest => "libtest-json",
            Format::Ctrf => "ctrf",
            Format::GtestJson => "gtest-json",
            Format::CargoText => "cargo-text",
        }
    }

    /// What a file of this format is, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Format::Junit => "a JUnit XML report",
            Format::Snapshot => "a regdiff snapshot",
            Format::Criterion => "a criterion output folder",
            Format::PytestBenchmark => "a pytest-benchmark JSON file",
            Format::GoogleBenchmark => "a Google Benchmark JSON file",
            Format::Hyperfine => "a hyperfine JSON file",
            Format::GoBench => "Go benchmark output",
            Format::Metrics => "a regdiff metrics JSON file",
            Format::Tap => "a TAP stream",
            Format::GoTest => "a go test -json event stream",
            Format::PytestJson => "a pytest-json-report file",
            Format::Libtest => "libtest or nextest JSON events",
            Format::Ctrf => "a CTRF JSON report",
            Format::GtestJson => "a Google Test JSON file",
            Format::CargoText => "cargo test text output",
        }
    }
}

/// What detection tried, for messages about unknown files.
const TRIED: &str = "JUnit XML; TAP; go test -json; libtest or nextest JSON; cargo test text; pytest-json-report; CTRF JSON; Google Test JSON; regdiff snapshot or metrics JSON; pytest-benchmark, Google Benchmark or hyperfine JSON; Go benchmark text; a criterion folder";

/// How to read inputs.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// `None` detects the format of each file by its content.
    pub format: Option<Format>,
    /// The criterion baseline to read (`None`: `new`, or the only one there is).
    pub criterion_baseline: Option<String>,
    /// Rewrites of test ids, applied to every run read.
    pub id_map: idmap::IdMap,
}

/// Sniffs the format of a file from its first bytes.
pub fn detect(path: &Path) -> Result<Format, IngestError> {
    let head = input::prefix(path, 4096)?;
    detect_bytes(&head).map_err(|m| IngestError::unusable(path, m))
}

fn detect_bytes(head: &[u8]) -> Result<Format, String> {
    if head.starts_with(&[0xFE, 0xFF]) || head.starts_with(&[0xFF, 0xFE]) {
        return Err("the file is UTF-16 encoded; regdiff reads UTF-8 reports".into());
    }
    let body = head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(head);
    let first = body.iter().position(|b| !b.is_ascii_whitespace());
    match first.map(|i| body[i]) {
        None => Err(format!(
            "the file is empty: expected a test report or benchmark results ({TRIED})"
        )),
        Some(b'<') => Ok(Format::Junit),
        Some(b'{') if snapshot_lines::sniff(body) => Ok(Format::Snapshot),
        Some(b'{') => {
            let text = String::from_utf8_lossy(body);
            let has = |k: &str| text.contains(&format!("\"{k}\""));
            if gotest::sniff(body) {
                Ok(Format::GoTest)
            } else if libtest::sniff(body) {
                Ok(Format::Libtest)
            } else if text.contains("\"regdiff.metrics/") {
                Ok(Format::Metrics)
            } else if ctrf::sniff(&text) {
                Ok(Format::Ctrf)
            } else if pytest_json::sniff(&text) {
                Ok(Format::PytestJson)
            } else if gtest_json::sniff(&text) {
                Ok(Format::GtestJson)
            } else if has("machine_info") || (has("benchmarks") && has("fullname")) {
                Ok(Format::PytestBenchmark)
            } else if has("context") || (has("benchmarks") && (has("run_name") || has("real_time")))
            {
                Ok(Format::GoogleBenchmark)
            } else if has("results") && has("command") {
                Ok(Format::Hyperfine)
            } else if has("full_id") && has("directory_name") {
                Err("a criterion benchmark.json: give regdiff the criterion folder (target/criterion) instead".into())
            } else {
                // Snapshot reading says precisely what is wrong with the JSON.
                Ok(Format::Snapshot)
            }
        }
        Some(_) if gotest::sniff(body) => Ok(Format::GoTest),
        Some(_) if cargo_text::sniff(body) => Ok(Format::CargoText),
        Some(_) if tap::sniff(body) => Ok(Format::Tap),
        Some(_) if gobench::sniff(body) => Ok(Format::GoBench),
        Some(_) => {
            let start = first.unwrap_or(0);
            let preview: String = String::from_utf8_lossy(&body[start..body.len().min(start + 40)])
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            Err(format!(
                "not a known input format (tried: {TRIED}); the file starts with `{preview}`"
            ))
        }
    }
}

/// Reads one report file of a known format into `builder`. Snapshots are not report files.
pub fn add_file(path: &Path, format: Format, builder: &mut RunBuilder) -> Result<(), IngestError> {
    let read = input::read_all;
    // A pipe (`/dev/stdin`, `<(…)`) has no size: only a regular file can be known empty.
    if format != Format::Criterion
        && input::kind(path)? == input::Kind::File
        && std::fs::metadata(path).is_ok_and(|m| m.len() == 0)
    {
        return Err(IngestError::unusable(
            path,
            format!("the file is empty: expected {}", format.describe()),
        ));
    }
    match format {
        Format::Junit => junit::read_file(path, builder),
        Format::Tap => tap::read_file(path, builder),
        Format::GoTest => gotest::read_file(path, builder),
        Format::PytestJson => pytest_json::read_file(path, builder),
        Format::Libtest => libtest::read_file(path, builder),
        Format::Ctrf => ctrf::read_file(path, builder),
        Format::GtestJson => gtest_json::read_file(path, builder),
        Format::CargoText => cargo_text::read_file(path, builder),
        Format::PytestBenchmark => pytest_benchmark::read_file(path, &read(path)?, builder),
        Format::GoogleBenchmark => gbench::read_file(path, &read(path)?, builder),
        Format::Hyperfine => hyperfine::read_file(path, &read(path)?, builder),
        Format::GoBench => gobench::read_bytes(path, &read(path)?, builder),
        Format::Metrics => metrics_json::read_file(path, &read(path)?, builder),
        Format::Criterion => criterion::read_folder(path, None, builder),
        Format::Snapshot => Err(IngestError::unusable(
            path,
            "a snapshot is a whole run already and cannot be merged with other files into one run",
        )),
    }
}

/// Reads a path into one or more runs (see the module documentation).
pub fn read_path(path: &Path, opts: ReadOptions) -> Result<Vec<Snapshot>, IngestError> {
    let id_map = opts.id_map.clone();
    let mut runs = read_path_as_written(path, opts)?;
    for run in &mut runs {
        id_map.apply(run);
    }
    Ok(runs)
}

fn read_path_as_written(path: &Path, opts: ReadOptions) -> Result<Vec<Snapshot>, IngestError> {
    if input::kind(path)? == input::Kind::Dir {
        return read_folder(path, &opts);
    }
    let format = match opts.format {
        Some(f) => f,
        None => detect(path)?,
    };
    if format == Format::Snapshot {
        return Ok(vec![snapshot::read_file(path)?]);
    }
    let mut builder = RunBuilder::new();
    add_file(path, format, &mut builder)?;
    let mut snap = builder.finish();
    snap.sources.push(path.display().to_string());
    Ok(vec![snap])
}

/// Reads several paths that together form one run (`record a.xml bench.json`).
pub fn read_one_run(paths: &[PathBuf], opts: ReadOptions) -> Result<Snapshot, IngestError> {
    let id_map = opts.id_map.clone();
    let mut run = read_one_run_as_written(paths, opts)?;
    id_map.apply(&mut run);
    Ok(run)
}

fn read_one_run_as_written(paths: &[PathBuf], opts: ReadOptions) -> Result<Snapshot, IngestError> {
    if let [only] = paths
        && input::kind(only).is_ok_and(|k| k != input::Kind::Dir)
    {
        let format = match opts.format {
            Some(f) => f,
            None => detect(only)?,
        };
        if format == Format::Snapshot {
            return snapshot::read_file(only);
        }
    }
    let mut builder = RunBuilder::new();
    let mut sources = Vec::new();
    for path in paths {
        let is_dir = input::kind(path)? == input::Kind::Dir;
        if is_dir && criterion::looks_like_criterion(path) {
            criterion::read_folder(path, opts.criterion_baseline.as_deref(), &mut builder)?;
            sources.push(path.display().to_string());
            continue;
        }
        let files = if is_dir {
            report_files(path, &mut builder.warnings)?
        } else {
            vec![path.clone()]
        };
        for file in files {
            let format = match opts.format {
                Some(f) => f,
                None => detect(&file)?,
            };
            add_file(&file, format, &mut builder)?;
            sources.push(file.display().to_string());
        }
    }
    let mut snap = builder.finish();
    snap.sources = sources;
    Ok(snap)
}

fn read_folder(dir: &Path, opts: &ReadOptions) -> Result<Vec<Snapshot>, IngestError> {
    if opts.format.is_none_or(|f| f == Format::Criterion) && criterion::looks_like_criterion(dir) {
        let mut builder = RunBuilder::new();
        criterion::read_folder(dir, opts.criterion_baseline.as_deref(), &mut builder)?;
        let mut snap = builder.finish();
        snap.sources = vec![dir.display().to_string()];
        return Ok(vec![snap]);
    }
    let mut warnings = Vec::new();
    let files = report_files(dir, &mut warnings)?;
    let mut formats = Vec::with_capacity(files.len());
    for f in &files {
        formats.push(match opts.format {
            Some(fmt) => fmt,
            None => detect(f)?,
        });
    }
    let snapshots = formats.iter().filter(|f| **f == Format::Snapshot).count();
    if snapshots > 0 && snapshots < files.len() {
        return Err(IngestError::unusable(
            dir,
            "the folder mixes regdiff snapshots and report files; give them separately",
        ));
    }
    if files.is_empty() {
        return Err(IngestError::unusable(
            dir,
            format!("the folder holds no test report or benchmark results (tried: {TRIED})"),
        ));
    }
    if snapshots > 0 {
        let mut out = Vec::with_capacity(files.len());
        for f in &files {
            out.push(snapshot::read_file(f)?);
        }
        return Ok(out);
    }
    let mut builder = RunBuilder::new();
    builder.warnings = warnings.clone();
    // Per file: (cases and metrics it added, how many of them the run already had).
    let mut per_file = Vec::with_capacity(files.len());
    for (f, &format) in files.iter().zip(&formats) {
        let before = builder.added_and_repeated();
        add_file(f, format, &mut builder)?;
        let after = builder.added_and_repeated();
        per_file.push((after.0 - before.0, after.1 - before.1));
    }
    // Files that each repeat the tests of the files before them are separate runs of one
    // suite (run-1.xml, run-2.xml), not shards of one run: read them as one run each, rather
    // than as retry attempts of every test.
    let with_content: Vec<&(u64, u64)> = per_file.iter().filter(|(n, _)| *n > 0).collect();
    let separate_runs = with_content.len() >= 2
        && with_content[1..]
            .iter()
            .all(|(n, repeats)| repeats * 2 >= *n);
    if separate_runs {
        let note = format!(
            "{}: its {} report files repeat the same tests, so each is read as a run of its own",
            dir.display(),
            files.len()
        );
        return files
            .par_iter()
            .zip(formats)
            .map(|(f, format)| {
                let mut builder = RunBuilder::new();
                builder.warnings = warnings.clone();
                builder.warnings.push(note.clone());
                add_file(f, format, &mut builder)?;
                let mut snap = builder.finish();
                snap.sources = vec![f.display().to_string()];
                Ok(snap)
            })
            .collect();
    }
    let mut snap = builder.finish();
    snap.sources = files.iter().map(|f| f.display().to_string()).collect();
    Ok(vec![snap])
}

/// The files of a folder that look like reports, recursively, in name order. Files whose
/// content is not a known format are left out with a warning (a README beside the reports);
/// `.xml` and `.json` files must be readable.
fn report_files(dir: &Path, warnings: &mut Vec<String>) -> Result<Vec<PathBuf>, IngestError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    // Each real folder is read once: a symbolic link back up the tree (`loop -> .`) or two
    // links to one folder would otherwise read the same reports again, as more runs.
    let mut seen = std::collections::HashSet::new();
    while let Some(d) = stack.pop() {
        let real = std::fs::canonicalize(&d).map_err(|e| IngestError::io(&d, e))?;
        if !seen.insert(real.clone()) {
            warnings.push(format!(
                "{}: the same folder as {} (a symbolic link); read once",
                d.display(),
                real.display()
            ));
            continue;
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&d)
            .map_err(|e| IngestError::io(&d, e))?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(|e| IngestError::io(&d, e))?;
        entries.sort();
        for p in entries {
            let hidden = p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            if hidden {
                continue;
            }
            // `metadata` follows links: a link to a report is read like the report.
            let meta = match std::fs::metadata(&p) {
                Ok(m) => m,
                Err(e) => {
                    warnings.push(format!(
                        "{}: cannot be read ({}); left out of the run",
                        p.display(),
                        crate::error::os_message(&e)
                    ));
                    continue;
                }
            };
            if meta.is_dir() {
                stack.push(p);
                continue;
            }
            if !meta.is_file() {
                // A FIFO would block the scan until something writes to it.
                warnings.push(format!(
                    "{}: not a regular file (a FIFO, socket or device); left out of the run",
                    p.display()
                ));
                continue;
            }
            let ext = p
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase);
            let must_read = matches!(ext.as_deref(), Some("xml" | "json"));
            if must_read {
                out.push(p);
            } else {
                match detect(&p) {
                    Ok(_) => out.push(p),
                    Err(_) => warnings.push(format!(
                        "{}: not a test report or snapshot; left out of the run",
                        p.display()
                    )),
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

/// One test case as a reader hands it over.
#[derive(Debug, Clone)]
pub struct CaseInput {
    /// Innermost suite name.
    pub suite: Option<Name>,
    /// Class name.
    pub classname: Option<Name>,
    /// Test name.
    pub name: Name,
    /// Attempts in order (at least one).
    pub attempts: Vec<Attempt>,
    /// Source file.
    pub file: Option<Name>,
    /// Line in the source file.
    pub line: Option<u32>,
    /// Tags read from the report.
    pub tags: Vec<String>,
    /// Test-level properties.
    pub properties: BTreeMap<String, String>,
}

/// Collects the test cases of one run from one or more files and applies the identity rules.
#[derive(Default)]
pub struct RunBuilder {
    tests: Vec<TestResult>,
    /// Indices into `tests`, hashed by (suite, class name, name); no key is stored twice.
    index: HashTable<usize>,
    hasher: DefaultHashBuilder,
    repeated: u64,
    repeated_example: Option<String>,
    /// Metrics added again under an id the run already had.
    metric_repeats: u64,
    relabelled: u64,
    /// Tests repeated while holding a passing attempt, in order (indices into `tests`).
    repeats: Vec<usize>,
    /// Suite, class and file names, one copy each.
    names: SharedNames,
    /// Warnings so far, each naming file and position.
    pub warnings: Vec<String>,
    /// Host name found in the report, if any.
    pub env_host: Option<String>,
    /// Run time found in the report, if any.
    pub time: Option<String>,
    /// Suite-level properties.
    pub properties: BTreeMap<String, String>,
    /// Metrics of the run, in source order.
    metrics: Vec<crate::model::Metric>,
    /// Indices into `metrics`, hashed by id.
    metric_index: HashTable<usize>,
    /// Run metadata found in the source (branch, commit, time), if any.
    pub run: crate::model::RunInfo,
    /// Environment facts found in the source (CPU, cores).
    pub env: crate::model::EnvFingerprint,
    /// Count test cases instead of keeping them (see [`RunBuilder::counting`]).
    counting: bool,
    /// Test cases added to a counting builder, by the status of their last attempt.
    pub counted: BTreeMap<crate::model::Status, u64>,
    /// The first pass of a streamed read (see [`stream`]): the hash of each case's id.
    scan: Option<Box<stream::Scan>>,
    /// The second pass of a streamed read: `tests` holds only the tests that can still
    /// change, from the global index `stream.base` on.
    stream: Option<Box<stream::Streaming>>,
    /// The id of the case being added, built in one buffer from case to case.
    id_buf: String,
    /// The names made last, for a streamed read: it hands its tests on, so a set of every
    /// name would only grow; neighbouring tests share their suite, class and file.
    recent: [Option<Name>; 4],
    /// The next slot of `recent` to replace.
    recent_next: usize,
}

impl RunBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        RunBuilder::default()
    }

    /// A builder that counts the test cases it is given (by the status of each case's last
    /// attempt, in `counted`) instead of keeping them: a report of any size is read in
    /// bounded memory, to check it or to measure the readers alone. Repetitions are not
    /// recognised, so retries count as cases of their own.
    pub fn counting() -> Self {
        RunBuilder {
            counting: true,
            ..RunBuilder::default()
        }
    }

    /// Adds a metric; the same id twice in one run merges the samples (with a warning).
    pub fn add_metric(&mut self, m: crate::model::Metric, source: &str) {
        use std::hash::BuildHasher;
        let hash = self.hasher.hash_one(m.id.as_str());
        let found = self
            .metric_index
            .find(hash, |&i| self.metrics[i].id == m.id)
            .copied();
        if let Some(i) = found {
            self.metric_repeats += 1;
            let existing = &mut self.metrics[i];
            if existing.unit != m.unit {
                self.warnings.push(format!(
                    "{source}: metric `{}` appears again in unit `{}` (first in `{}`); the second one is left out",
                    m.id, m.unit, existing.unit
                ));
                return;
            }
            let paired = |c: &Option<crate::model::CpuTime>, n: usize| {
                c.as_ref()
                    .is_some_and(|c| c.mean.is_none() && c.samples.len() == n)
            };
            // CPU time stays only while it pairs one to one with the merged samples.
            let cpu = if paired(&existing.cpu, existing.samples.len())
                && paired(&m.cpu, m.samples.len())
            {
                let mut c = existing.cpu.take().unwrap_or_default();
                c.samples.extend(m.cpu.into_iter().flat_map(|c| c.samples));
                Some(c)
            } else {
                None
            };
            existing.cpu = cpu;
            existing.samples.extend(m.samples);
            if existing.summary.is_some() || m.summary.is_some() {
                existing.summary = None;
            }
            self.warnings.push(format!(
                "{source}: metric `{}` appears more than once in one run; its samples were merged",
                m.id
            ));
            return;
        }
        let (hasher, metrics) = (&self.hasher, &self.metrics);
        self.metric_index.insert_unique(hash, metrics.len(), |&i| {
            hasher.hash_one(metrics[i].id.as_str())
        });
        self.metrics.push(m);
    }

    /// Test cases and metrics added so far, and how many of them repeated an id the run
    /// already had.
    fn added_and_repeated(&self) -> (u64, u64) {
        let repeats = self.repeated + self.metric_repeats;
        (
            self.len() as u64 + self.metrics.len() as u64 + repeats,
            repeats,
        )
    }

    /// Reserves room for `additional` more metrics.
    pub fn reserve_metrics(&mut self, additional: usize) {
        use std::hash::BuildHasher;
        self.metrics.reserve(additional);
        let (hasher, metrics) = (&self.hasher, &self.metrics);
        self.metric_index
            .reserve(additional, |&i| hasher.hash_one(metrics[i].id.as_str()));
    }

    /// Reserves room for about `additional` more test cases (a hint from the file size).
    pub fn reserve(&mut self, additional: usize) {
        if self.counting || self.stream.is_some() {
            return;
        }
        self.tests.reserve(additional);
        let hasher = &self.hasher;
        let tests = &self.tests;
        self.index
            .reserve(additional, |&i| key_hash(hasher, &tests[i]));
    }

    /// The hash of (suite, class name, name) and the index of the test holding it, if any.
    fn find(
        &self,
        suite: Option<&str>,
        classname: Option<&str>,
        name: &str,
    ) -> (u64, Option<usize>) {
        use std::hash::BuildHasher;
        let hash = self.hasher.hash_one((suite, classname, name));
        let tests = &self.tests;
        let base = self.base();
        let found = self
            .index
            .find(hash, |&i| {
                let t = &tests[i - base];
                &*t.name == name
                    && t.classname.as_deref() == classname
                    && t.suite.as_deref() == suite
            })
            .copied();
        (hash, found)
    }

    /// Whether the run already has a test of this suite, class name and name (a counting
    /// builder keeps none).
    pub fn has_case(&self, suite: Option<&str>, classname: Option<&str>, name: &str) -> bool {
        self.find(suite, classname, name).1.is_some()
    }

    /// Adds a test case; a repetition of the same suite, class and name becomes more attempts.
    /// Returns whether the case was a new test (not a repetition).
    pub fn add_case(&mut self, mut case: CaseInput, _source: &str, _offset: u64) -> bool {
        use std::hash::BuildHasher;
        for a in &mut case.attempts {
            a.drop_empty_text();
        }
        if self.counting {
            self.scan_case(case.classname.as_deref(), &case.name);
            let status = case
                .attempts
                .last()
                .map_or(crate::model::Status::Passed, |a| a.status);
            *self.counted.entry(status).or_default() += 1;
            return true;
        }
        crate::model::write_test_id(&mut self.id_buf, case.classname.as_deref(), &case.name);
        let id = self.id_buf.as_str();
        // In the second pass of a streamed read only a case whose id hash the first pass saw
        // more than once can meet an earlier test: `Some(None)` is a case that cannot.
        let group = self.stream.as_mut().map(|s| {
            s.cases += 1;
            let h = self.hasher.hash_one(id);
            s.groups.contains_key(&h).then_some(h)
        });
        let (hash, found) = match group {
            Some(None) => (0, None),
            _ => self.find(case.suite.as_deref(), case.classname.as_deref(), &case.name),
        };
        if let Some(i) = found {
            if let Some(s) = &mut self.stream {
                s.repeated(i);
            }
            let base = self.base();
            let t = &mut self.tests[i - base];
            // Each repeated case keeps its own outcome: two passing cases of one name are two
            // passes, not a failure and a pass. Only a reader with evidence that the earlier
            // cases were reruns (see `read_repeats_as_reruns`) changes that.
            if t.attempts
                .iter()
                .any(|a| a.status == crate::model::Status::Passed)
            {
                self.repeats.push(i);
            }
            t.attempts.extend(case.attempts);
            if let Some(last) = t.attempts.last() {
                t.status = last.status;
                t.duration_s = last.duration_s;
            }
            for tag in case.tags {
                if !t.tags.contains(&tag) {
                    t.tags.push(tag);
                }
            }
            t.properties.extend(case.properties);
            self.repeated += 1;
            self.repeated_example
                .get_or_insert_with(|| t.id.to_string());
            if let Some(Some(h)) = group {
                self.group_saw(h);
            }
            return false;
        }
        let last = case.attempts.last().cloned();
        let status = last
            .as_ref()
            .map(|a| a.status)
            .unwrap_or(crate::model::Status::Passed);
        let duration_s = last.and_then(|a| a.duration_s);
        let global = self.len();
        if group != Some(None) {
            let hasher = &self.hasher;
            let tests = &self.tests;
            let base = global - tests.len();
            self.index
                .insert_unique(hash, global, |&i| key_hash(hasher, &tests[i - base]));
        }
        let (names, streamed) = (&mut self.names, self.stream.is_some());
        // A streamed read keeps no set of names (see `recent`).
        let mut share = |n: Name| if streamed { n } else { names.intern(n) };
        let suite = case.suite.map(&mut share);
        let classname = case.classname.map(&mut share);
        let file = case.file.map(&mut share);
        // An id that is the name (no class name) shares the name's string.
        let id = if id == &*case.name {
            case.name.clone()
        } else {
            Name::from(id)
        };
        self.tests.push(TestResult {
            id,
            suite,
            classname,
            name: case.name,
            status,
            // Collected, not `from_vec`: a reader's vector of one attempt may have room for
            // four, which `from_vec` would keep on the heap.
            attempts: case.attempts.into_iter().collect(),
            duration_s,
            file,
            line: case.line,
            tags: case.tags.into(),
            properties: case.properties.into(),
        });
        if let Some(s) = &mut self.stream {
            s.pushed(group.flatten().is_some());
            if let Some(Some(h)) = group {
                if let Some(g) = s.groups.get_mut(&h) {
                    g.add(global);
                }
                self.group_saw(h);
            }
            self.stream_flush(false);
        }
        true
    }

    /// The global index of the first held test (0 unless streaming).
    fn base(&self) -> usize {
        self.stream.as_ref().map_or(0, |s| s.base)
    }

    /// Counts a case of the streamed group `h`; after its last case, merges are done and
    /// its ids are qualified where suites share them, as [`RunBuilder::finish`] does.
    fn group_saw(&mut self, h: u64) {
        let Some(s) = &mut self.stream else {
            return;
        };
        let Some(g) = s.groups.get_mut(&h) else {
            return;
        };
        if !g.saw() {
            return;
        }
        let members = g.take_members();
        let base = s.base;
        // By exact id: a hash can be shared by different ids.
        let mut by_id: hashbrown::HashMap<crate::model::Name, Vec<usize>> =
            hashbrown::HashMap::new();
        for &m in &members {
            by_id
                .entry(self.tests[m - base].id.clone())
                .or_default()
                .push(m);
        }
        for (id, idxs) in by_id {
            if idxs.len() > 1 {
                let clash = qualify(&mut self.tests, base, &id, &idxs);
                s.clashes.push(clash);
            }
        }
        for &m in &members {
            let key = key_hash(&self.hasher, &self.tests[m - base]);
            if let Ok(e) = self.index.find_entry(key, |&j| j == m) {
                e.remove();
            }
            s.settle(m);
        }
    }

    /// Hands on the tests that are final, in a streamed read.
    fn stream_flush(&mut self, all: bool) {
        if let Some(s) = &mut self.stream {
            s.flush(&mut self.tests, all);
        }
    }

    /// A suite, class or file name for a [`CaseInput`]: the run's shared copy (a counting
    /// builder keeps no names, so it makes a new one).
    pub(crate) fn name(&mut self, s: &str) -> Name {
        if self.counting {
            Name::from(s)
        } else if self.stream.is_some() {
            if let Some(n) = self.recent.iter().flatten().find(|n| &***n == s) {
                return n.clone();
            }
            let n = Name::from(s);
            self.recent[self.recent_next] = Some(n.clone());
            self.recent_next = (self.recent_next + 1) % self.recent.len();
            n
        } else {
            self.names.intern_str(s)
        }
    }

    /// Whether this is the first pass of a streamed read, which keeps only each case's id
    /// hash (see [`stream`]): a reader may then hand on ids alone, with [`Self::scan_case`].
    pub(crate) fn is_scanning(&self) -> bool {
        self.scan.is_some()
    }

    /// In the first pass of a streamed read, a case with this class and name: what
    /// [`Self::add_case`] notes of it, without building it.
    pub(crate) fn scan_case(&mut self, classname: Option<&str>, name: &str) {
        if let Some(scan) = &mut self.scan {
            scan.case(&self.hasher, classname, name);
        }
    }

    /// A reader opened a suite whose end may change its tests (see
    /// [`RunBuilder::suite_closed`]). Only streamed reads use this.
    pub fn suite_opened(&mut self) {
        if let Some(s) = &mut self.scan {
            s.suite_opened();
        }
        let len = self.len();
        if let Some(s) = &mut self.stream {
            s.suite_opened(len);
        }
    }

    /// A reader closed the suite it last opened, after any change to its tests;
    /// `may_revise` says whether its declared counts could have led to one (a streamed read
    /// holds the tests of such suites until their end).
    pub fn suite_closed(&mut self, may_revise: bool) {
        if let Some(s) = &mut self.scan {
            s.suite_closed(may_revise);
        }
        if let Some(s) = &mut self.stream {
            s.suite_closed();
            self.stream_flush(false);
        }
    }

    /// Ends the second pass of a streamed read: hands on the last tests, checks that the
    /// file read the same as in the first pass, and returns the run without its tests.
    pub(crate) fn finish_streamed(mut self) -> Result<Snapshot, String> {
        if let Some(s) = &mut self.stream {
            s.close_all();
            s.flush(&mut self.tests, true);
            s.check()?;
        }
        Ok(self.finish())
    }

    /// The number of tests read so far (0 for a counting builder), including those a
    /// streamed read has handed on; indices into the run count from its first test.
    pub fn len(&self) -> usize {
        self.base() + self.tests.len()
    }

    /// Whether no test has been read.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads the given passing tests as `todo` tests (skipped): jest-junit writes `test.todo`
    /// as an empty test case, and a reader calls this only when the suite's own count singles
    /// them out. Returns how many were changed.
    pub fn mark_todo(&mut self, indices: &[usize]) -> u64 {
        let mut changed = 0;
        let base = self.base();
        for &i in indices {
            let Some(t) = i.checked_sub(base).and_then(|l| self.tests.get_mut(l)) else {
                continue;
            };
            if t.status != crate::model::Status::Passed || t.attempts.len() != 1 {
                continue;
            }
            let a = &mut t.attempts[0];
            a.status = crate::model::Status::Skipped;
            a.text_mut().kind = Some("todo".into());
            a.text_mut().message = Some(
                "todo: written as an empty test case that the suite's `tests` count leaves out (jest-junit's todo)"
                    .into(),
            );
            a.duration_s = None;
            t.status = crate::model::Status::Skipped;
            t.duration_s = None;
            changed += 1;
        }
        changed
    }

    /// How many repetitions with an earlier passing attempt the builder has seen so far: a
    /// mark for [`RunBuilder::read_repeats_as_reruns`].
    pub fn repeats_mark(&self) -> usize {
        self.repeats.len()
    }

    /// Reads the earlier passing attempts of the tests repeated since `mark` as reruns that
    /// did not pass. pytest-rerunfailures writes every earlier attempt of a rerun test as a
    /// bare test case, with no failure element, and counts the test once in its suite's
    /// `tests`; a reader calls this only on such evidence.
    pub fn read_repeats_as_reruns(&mut self, mark: usize) {
        let from = mark.min(self.repeats.len());
        let base = self.base();
        for &i in &self.repeats[from..] {
            let Some(t) = i.checked_sub(base).and_then(|l| self.tests.get_mut(l)) else {
                continue;
            };
            let last = t.attempts.len().saturating_sub(1);
            for a in &mut t.attempts[..last] {
                if a.status == crate::model::Status::Passed {
                    a.status = crate::model::Status::Failed;
                    a.text_mut().kind.get_or_insert_with(|| "rerun".to_string());
                    a.text_mut().message.get_or_insert_with(|| {
                        "[regdiff] recorded without an outcome, but retried: read as not passed"
                            .to_string()
                    });
                    self.relabelled += 1;
                }
            }
        }
    }

    /// Applies the identity rules and returns the run.
    pub fn finish(mut self) -> Snapshot {
        if self.repeated > 0 {
            self.warnings.push(format!(
                "{} repeated test case(s) (same suite, class and name in one run) were read as retry attempts, e.g. `{}`",
                self.repeated,
                self.repeated_example.as_deref().unwrap_or("")
            ));
        }
        if self.relabelled > 0 {
            self.warnings.push(format!(
                "{} earlier attempt(s) of retried tests were written without a failure (pytest-rerunfailures does this); they are read as failed",
                self.relabelled
            ));
        }
        // The same id in two suites of one run: qualify those ids with the suite (a
        // streamed read did so as each id's last case was read).
        let mut clashes: Vec<stream::Clash> = match self.stream.as_mut() {
            Some(s) => std::mem::take(&mut s.clashes),
            None => {
                let shared: Vec<(String, Vec<usize>)> = {
                    // The ids seen twice first, in a set of the ids alone: a list of indices
                    // for every id would be a million small vectors for a million tests.
                    let mut seen: hashbrown::HashSet<&str> =
                        hashbrown::HashSet::with_capacity(self.tests.len());
                    let mut twice: hashbrown::HashSet<&str> = hashbrown::HashSet::new();
                    for t in &self.tests {
                        if !seen.insert(t.id.as_ref()) {
                            twice.insert(t.id.as_ref());
                        }
                    }
                    drop(seen);
                    let mut by_id: hashbrown::HashMap<&str, Vec<usize>> =
                        hashbrown::HashMap::with_capacity(twice.len());
                    if !twice.is_empty() {
                        for (i, t) in self.tests.iter().enumerate() {
                            if twice.contains(t.id.as_ref()) {
                                by_id.entry(t.id.as_ref()).or_default().push(i);
                            }
                        }
                    }
                    by_id.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
                };
                shared
                    .iter()
                    .map(|(id, idxs)| qualify(&mut self.tests, 0, id, idxs))
                    .collect()
            }
        };
        clashes.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        // One line per id, naming a few suites: an id repeated in 50,000 suites is one line
        // with a count, not the list of all of them.
        let mut ids = 0usize;
        for clash in clashes {
            ids += 1;
            if ids > 20 {
                continue;
            }
            let more = if clash.count > QUALIFY_NAMED {
                format!(" and {} more", clash.count - QUALIFY_NAMED)
            } else {
                String::new()
            };
            self.warnings.push(format!(
                "test id `{}` appears in {} suites ({}{more}); each is identified as `<suite>::{}`",
                clash.id,
                clash.count,
                clash.suites.join(", "),
                clash.id
            ));
        }
        if ids > 20 {
            self.warnings.push(format!(
                "{} more test ids appear in several suites and are identified as `<suite>::<id>` too",
                ids - 20
            ));
        }
        let mut snap = Snapshot::new();
        // The room reserved from the file's size is a guess: give back what the run did
        // not use (up to half of the tests' memory on a run of short cases).
        self.tests.shrink_to_fit();
        snap.tests = self.tests;
        snap.metrics = self.metrics;
        snap.env = self.env;
        snap.run.branch = self.run.branch;
        snap.run.commit = self.run.commit;
        if self.env_host.is_some() {
            snap.env.host = self.env_host;
        }
        snap.run.time = self.time.or(self.run.time).and_then(|t| {
            if let Ok(ts) = t.parse::<jiff::Timestamp>() {
                return Some(ts.to_string());
            }
            // Surefire and others write local times without an offset.
            match t.parse::<jiff::civil::DateTime>() {
                Ok(dt) => match dt.to_zoned(jiff::tz::TimeZone::UTC) {
                    Ok(z) => {
                        self.warnings.push(format!(
                            "the report's timestamp `{t}` has no time zone; read as UTC"
                        ));
                        Some(z.timestamp().to_string())
                    }
                    Err(_) => None,
                },
                Err(_) => {
                    self.warnings.push(format!(
                        "the report's timestamp `{t}` is not a date and time; the run has no time"
                    ));
                    None
                }
            }
        });
        snap.warnings = self.warnings;
        snap.properties = self.properties;
        snap
    }
}

/// The hash a test is found by in a run: its suite, class name and name (what
/// [`RunBuilder::find`] hashes for a case).
fn key_hash(hasher: &DefaultHashBuilder, t: &TestResult) -> u64 {
    use std::hash::BuildHasher;
    hasher.hash_one((t.suite.as_deref(), t.classname.as_deref(), t.name.as_ref()))
}

/// Suites a warning about an id that several suites share names.
const QUALIFY_NAMED: usize = 5;

/// Qualifies the tests at global indices `idxs` (`tests` starts at `base`), which share
/// `id`, with their suites: `<suite>::<id>`.
fn qualify(tests: &mut [TestResult], base: usize, id: &str, idxs: &[usize]) -> stream::Clash {
    let suites = idxs
        .iter()
        .take(QUALIFY_NAMED)
        .map(|&i| {
            tests[i - base]
                .suite
                .as_deref()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    for &i in idxs {
        let t = &mut tests[i - base];
        let suite = t.suite.as_deref().unwrap_or_default();
        t.id = format!("{suite}::{id}").into();
    }
    stream::Clash {
        id: id.to_string(),
        count: idxs.len(),
        suites,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_by_first_bytes() {
        assert_eq!(
            detect_bytes(b"  <?xml version='1.0'?><testsuites/>"),
            Ok(Format::Junit)
        );
        assert_eq!(detect_bytes(b"\xEF\xBB\xBF<testsuite/>"), Ok(Format::Junit));
        assert_eq!(detect_bytes(b"\n{\"schema\": 1}"), Ok(Format::Snapshot));
        assert_eq!(
            detect_bytes(b"{\n  \"context\": {\"date\": \"x\"},\n  \"benchmarks\": []}"),
            Ok(Format::GoogleBenchmark)
        );
        assert_eq!(
            detect_bytes(b"{\n    \"machine_info\": {}}"),
            Ok(Format::PytestBenchmark)
        );
        assert_eq!(
            detect_bytes(b"{\n  \"results\": [{\"command\": \"x\"}]}"),
            Ok(Format::Hyperfine)
        );
        assert_eq!(
            detect_bytes(b"{\"schema\": \"regdiff.metrics/1\", \"metrics\": []}"),
            Ok(Format::Metrics)
        );
        assert_eq!(
            detect_bytes(b"goos: linux\nBenchmarkA-8 10 3 ns/op\n"),
            Ok(Format::GoBench)
        );
        assert!(detect_bytes(b"").unwrap_err().contains("empty"));
        assert!(detect_bytes(b"   \n").unwrap_err().contains("empty"));
        let e = detect_bytes(b"hello world").unwrap_err();
        assert!(
            e.contains("tried: JUnit XML; TAP; go test -json; libtest or nextest JSON; cargo test text; pytest-json-report; CTRF JSON; Google Test JSON; regdiff snapshot"),
            "{e}"
        );
        assert_eq!(
            detect_bytes(b"{ \"type\": \"suite\", \"event\": \"started\", \"test_count\": 2 }\n"),
            Ok(Format::Libtest)
        );
        assert_eq!(
            detect_bytes(
                b"{\"created\": 1.5, \"exitcode\": 1, \"tests\": [{\"nodeid\": \"a.py::t\"}]}"
            ),
            Ok(Format::PytestJson)
        );
        assert_eq!(
            detect_bytes(b"{\"reportFormat\": \"CTRF\", \"results\": {\"tool\": {}}}"),
            Ok(Format::Ctrf)
        );
        assert_eq!(
            detect_bytes(b"{\"results\": {\"tool\": {\"name\": \"jest\"}, \"summary\": {}}}"),
            Ok(Format::Ctrf)
        );
        assert_eq!(
            detect_bytes(b"TAP version 13\n1..1\nok 1 - a\n"),
            Ok(Format::Tap)
        );
        assert_eq!(
            detect_bytes(b"\nrunning 2 tests\ntest a ... ok\ntest b ... FAILED\n"),
            Ok(Format::CargoText)
        );
        assert_eq!(
            detect_bytes(b"   Compiling x v0.1.0\n    Finished `test` profile [unoptimized] target(s)\n     Running unittests src/lib.rs (target/debug/deps/x-0123456789abcdef)\n"),
            Ok(Format::CargoText)
        );
        assert_eq!(
            detect_bytes(b"{\n  \"tests\": 1,\n  \"name\": \"AllTests\",\n  \"testsuites\": [{\"name\": \"A\", \"testsuite\": []}]}"),
            Ok(Format::GtestJson)
        );
        assert!(e.contains("`hello world`"), "{e}");
        assert!(
            detect_bytes(b"\xFF\xFE<\x00")
                .unwrap_err()
                .contains("UTF-16")
        );
    }
}
