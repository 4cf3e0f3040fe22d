//! The baseline store: where snapshots live between runs, and how they are selected.
//!
//! The analysis never touches files: it receives snapshots. The store sits behind the
//! [`Store`] trait so that a team that outgrows one folder can keep history in a database
//! without changing the analysis. [`fs::FsStore`] is the default: one JSON file per snapshot
//! in `baselines/`, written atomically and loaded in parallel.
//!
//! Selectors name snapshots of the store:
//!
//! | selector | meaning |
//! |---|---|
//! | `main` | the latest snapshot of branch `main` |
//! | `main[10]` | the last 10 snapshots of `main` (an error if the store holds fewer) |
//! | `main@3f2a1b9` | the latest snapshot of `main` whose commit starts with `3f2a1b9` |
//! | `@3f2a1b9` | the latest snapshot of any branch whose commit starts with `3f2a1b9` |
//! | `id:NAME` | the snapshot whose id (file name without `.json`) is `NAME` |

pub mod clickhouse;
pub mod fs;

use std::cmp::Ordering;
use std::path::PathBuf;

use rayon::prelude::*;

use crate::error::{IngestError, StoreError};
use crate::history::{History, MetricRun, RunRows};
use crate::ingest::snapshot_lines::{Counts, Sink};
use crate::model::{EnvFingerprint, RunInfo, Snapshot};

/// A snapshot with its id in the store.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Id in the store (for the folder store: the file name without its extension).
    pub id: String,
    /// The snapshot.
    pub snapshot: Snapshot,
}

/// A stored run's metadata: what `list` and the selectors read, without its tests.
#[derive(Debug, Clone)]
pub struct RunMeta {
    /// Id in the store.
    pub id: String,
    /// Branch, commit, time and labels.
    pub run: RunInfo,
    /// The machine.
    pub env: EnvFingerprint,
    /// How many tests (by outcome), metrics and warnings it holds.
    pub counts: Counts,
    /// Where it is kept (for the folder store: its file), for messages.
    pub path: PathBuf,
    /// The store's own handle on the run (for ClickHouse: the write that made it visible;
    /// 0 for the folder store).
    pub token: u64,
}

/// What a store holds, as metadata, and what could not be read.
#[derive(Debug, Default)]
pub struct Catalog {
    /// Readable runs, oldest first.
    pub runs: Vec<RunMeta>,
    /// Unreadable snapshots, each naming its file and reason.
    pub failures: Vec<IngestError>,
    /// JSON files in the store that are not snapshots at all (left alone, with a warning).
    pub foreign: Vec<IngestError>,
    /// Temporary files of writes that never finished (a `record` killed mid-write), older
    /// than [`STALE_TEMP_SECS`]: path and size in bytes.
    pub stale_temps: Vec<(std::path::PathBuf, u64)>,
}

impl Catalog {
    /// A one-line warning about stale temporary files, if there are any.
    pub fn stale_warning(&self) -> Option<String> {
        stale_warning(&self.stale_temps)
    }
}

/// Everything a store holds, read whole, and what could not be read.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Readable snapshots, oldest first.
    pub snapshots: Vec<Stored>,
    /// Unreadable snapshots, each naming its file and reason.
    pub failures: Vec<IngestError>,
    /// JSON files in the store that are not snapshots at all (left alone, with a warning).
    pub foreign: Vec<IngestError>,
    /// Temporary files of writes that never finished (a `record` killed mid-write), older
    /// than [`STALE_TEMP_SECS`]: path and size in bytes.
    pub stale_temps: Vec<(std::path::PathBuf, u64)>,
}

/// A temporary file older than this (in seconds) is taken to be left by a killed write: no
/// write takes an hour.
pub const STALE_TEMP_SECS: u64 = 3600;

impl Loaded {
    /// A one-line warning about stale temporary files, if there are any.
    pub fn stale_warning(&self) -> Option<String> {
        stale_warning(&self.stale_temps)
    }
}

/// A one-line warning about stale temporary files, if there are any.
pub fn stale_warning(stale_temps: &[(PathBuf, u64)]) -> Option<String> {
    if stale_temps.is_empty() {
        return None;
    }
    let bytes: u64 = stale_temps.iter().map(|(_, n)| n).sum();
    Some(format!(
        "{} temporary file(s) of writes that never finished ({}), older than an hour, e.g. {}; `regdiff store gc` removes them",
        stale_temps.len(),
        crate::units::fmt_bytes(bytes),
        stale_temps[0].0.display()
    ))
}

/// The names the runs of a side point to, and what makes them: the first run read, or given
/// by an earlier batch of the same side.
#[derive(Default)]
pub struct Sharing {
    /// The names carry the first run's tests, for the others to hold as repeats of them
    /// ([`crate::model::Repeats`]).
    repeat: bool,
    names: Option<crate::model::SharedNames>,
    /// Each worker's copy of `names` (see [`load_shared`]).
    copies: Vec<std::sync::OnceLock<crate::model::SharedNames>>,
}

impl Sharing {
    /// For runs read with repeats of the first run read.
    pub fn repeating() -> Self {
        Sharing {
            repeat: true,
            ..Sharing::default()
        }
    }
}

/// Reads `n` runs whole with `load(i, names)`: the first alone, then the others in parallel,
/// pointing to the first run's ids and names where they hold the same (the runs of one side
/// are mostly the same tests, so 200 runs hold each id about once). One result per run, in
/// order. The names are those of `sharing`: made from the first run when it has none yet,
/// and kept there for the next batch of the same side.
pub fn load_shared<F>(
    n: usize,
    sharing: &mut Sharing,
    load: F,
) -> Vec<Result<Snapshot, IngestError>>
where
    F: Fn(usize, Option<&crate::model::SharedNames>) -> Result<Snapshot, IngestError> + Sync,
{
    if n == 0 {
        return Vec::new();
    }
    let mut first = None;
    if sharing.names.is_none() {
        let f = load(0, None);
        if n == 1 {
            return vec![f];
        }
        sharing.names = f.as_ref().ok().map(|s| {
            if sharing.repeat {
                let keys = crate::ingest::snapshot_lines::row_keys(s);
                crate::model::SharedNames::with_template(s, keys)
            } else {
                crate::model::SharedNames::of(s)
            }
        });
        // Each worker points to a copy of its own: two cores taking a reference to the same
        // names count on the same counters, and each count moved the counter's cache line
        // from one core to the other (10% of the samples of reading 200 runs of 10,000
        // tests). The first worker (and a caller outside the pool) points to the first
        // run's names.
        sharing.copies = (1..rayon::current_num_threads())
            .map(|_| Default::default())
            .collect();
        first = Some(f);
    }
    let (names, copies) = (&sharing.names, &sharing.copies);
    let rest: Vec<_> = (usize::from(first.is_some())..n)
        .into_par_iter()
        .map(|i| {
            let own = names.as_ref().map(|shared| {
                let worker = rayon::current_thread_index().unwrap_or(0);
                match worker.checked_sub(1).and_then(|t| copies.get(t)) {
                    Some(copy) => copy.get_or_init(|| shared.copy()),
                    None => shared,
                }
            });
            load(i, own)
        })
        .collect();
    first.into_iter().chain(rest).collect()
}

/// A run being stored row by row (see [`Store::begin_save`]). Dropped before
/// [`SaveInProgress::commit`], it leaves nothing behind.
pub trait SaveInProgress {
    /// Writes one test.
    fn test(&mut self, t: &crate::model::TestResult) -> std::io::Result<()>;
    /// Writes one metric.
    fn metric(&mut self, m: &crate::model::Metric) -> std::io::Result<()>;
    /// Writes what is known only at the end and puts the run in place.
    fn commit(
        self: Box<Self>,
        warnings: &[String],
        sources: &[String],
        properties: &std::collections::BTreeMap<String, String>,
    ) -> Result<SaveOutcome, StoreError>;
}

/// A place that keeps snapshots.
pub trait Store: Sync {
    /// A short description for messages (`baselines/`).
    fn describe(&self) -> String;
    /// Every stored run's metadata, oldest first, without reading their tests.
    fn catalog(&self) -> Result<Catalog, StoreError>;
    /// Reads one run whole.
    fn load(&self, run: &RunMeta) -> Result<Snapshot, IngestError>;
    /// Hands one run's rows to `sink`, without building the run.
    fn scan(&self, run: &RunMeta, sink: &mut dyn Sink) -> Result<(), IngestError>;
    /// Stores a snapshot and returns its id. Never replaces another snapshot.
    fn save(&self, snapshot: &Snapshot) -> Result<SaveOutcome, StoreError>;
    /// Reads several runs whole, one result per run in the order given; the default reads
    /// them in parallel one by one (a database store asks for them together).
    fn load_batch(&self, runs: &[&RunMeta]) -> Vec<Result<Snapshot, IngestError>> {
        self.load_batch_shared(runs, &mut Sharing::default())
    }
    /// [`Store::load_batch`], the runs pointing to the names of `sharing` ([`load_shared`]).
    /// With [`Sharing::repeating`], they may hold the tests that repeat its template (its
    /// first run, read by this batch or an earlier one) as [`crate::model::Repeats`], for the
    /// comparison's alignment, the only reader of them. The default reads the runs one by
    /// one, sharing nothing.
    fn load_batch_shared(
        &self,
        runs: &[&RunMeta],
        sharing: &mut Sharing,
    ) -> Vec<Result<Snapshot, IngestError>> {
        let _ = sharing;
        runs.par_iter().map(|m| self.load(m)).collect()
    }
    /// Hands several runs' rows to their sinks (one per run, in the order given), one
    /// result per run; the default scans them in parallel one by one (a database store asks
    /// for them together).
    fn scan_batch(
        &self,
        runs: &[&RunMeta],
        sinks: &mut [&mut (dyn Sink + Send)],
    ) -> Vec<Result<(), IngestError>> {
        runs.par_iter()
            .zip(sinks.par_iter_mut())
            .map(|(m, s)| self.scan(m, &mut **s))
            .collect()
    }
    /// A branch's history for the trend analysis: every run's metrics and every test's
    /// outcome, runs that cannot be read left out (and returned); `tick` is called once per
    /// run read, from any thread. The default streams each run's rows; a database store
    /// aggregates in the server.
    fn history(&self, runs: &[&RunMeta], tick: &(dyn Fn() + Sync)) -> (History, Vec<IngestError>) {
        history_streamed(self, runs, tick)
    }
    /// Whether the store can take a run whose tests arrive one at a time (a run too big to
    /// hold), through [`Store::begin_save`]: `begin_save` then returns `Some`, and the run
    /// is stored as [`Store::save`] would store it whole.
    fn saves_in_rows(&self) -> bool {
        false
    }
    /// See [`Store::saves_in_rows`].
    fn begin_save(
        &self,
        _run: &crate::model::RunInfo,
        _env: &crate::model::EnvFingerprint,
    ) -> Option<Result<Box<dyn SaveInProgress + '_>, StoreError>> {
        None
    }
    /// Stores a snapshot under a given id (a copy from another store keeps its ids), where
    /// the store can; the folder store names its files by their content and ignores `id`.
    fn save_as(&self, snapshot: &Snapshot, _id: &str) -> Result<SaveOutcome, StoreError> {
        self.save(snapshot)
    }
    /// What writes that never finished left behind (a `record` killed mid-write), older than
    /// an hour: where, and its size in bytes.
    fn stale_temps(&self) -> Result<Vec<(PathBuf, u64)>, StoreError>;
    /// Verifies every stored run; nothing is changed.
    fn check(&self) -> Result<CheckReport, StoreError>;
    /// Removes what writes that never finished left, older than `older_than` seconds;
    /// stored runs are never touched.
    fn gc(&self, older_than: u64) -> Result<Vec<(PathBuf, u64)>, StoreError>;

    /// The stored runs of one branch at one commit (their metadata).
    fn runs_of_commit(&self, branch: &str, commit: &str) -> Result<Vec<RunMeta>, StoreError> {
        Ok(self
            .catalog()?
            .runs
            .into_iter()
            .filter(|m| {
                m.run.branch.as_deref() == Some(branch) && m.run.commit.as_deref() == Some(commit)
            })
            .collect())
    }

    /// Reads every snapshot whole (in parallel), oldest first.
    fn load_all(&self) -> Result<Loaded, StoreError> {
        let catalog = self.catalog()?;
        let metas: Vec<&RunMeta> = catalog.runs.iter().collect();
        let (snapshots, mut failures) = load_many(self, &metas);
        failures.extend(catalog.failures);
        Ok(Loaded {
            snapshots,
            failures,
            foreign: catalog.foreign,
            stale_temps: catalog.stale_temps,
        })
    }
}

/// What [`Store::check`] found.
#[derive(Debug, Default)]
pub struct CheckReport {
    /// Runs verified.
    pub checked: usize,
    /// One line per problem, naming the run.
    pub problems: Vec<String>,
    /// What unfinished writes left, and its size.
    pub stale_temps: Vec<(PathBuf, u64)>,
}

/// The store a `--store` value names: a folder, or `clickhouse://…`.
pub fn open(spec: &str) -> Result<Box<dyn Store>, StoreError> {
    if clickhouse::is_url(spec) {
        Ok(Box::new(clickhouse::ClickHouseStore::open(spec)?))
    } else {
        Ok(Box::new(fs::FsStore::new(spec)))
    }
}

/// Reads runs whole, in parallel, in the order given; the unreadable ones apart.
pub fn load_many<S: Store + ?Sized>(
    store: &S,
    runs: &[&RunMeta],
) -> (Vec<Stored>, Vec<IngestError>) {
    load_many_with(store, runs, false)
}

/// [`load_many`], where a run may hold the tests that repeat an earlier run's as
/// [`crate::model::Repeats`]: for a comparison's side, whose alignment alone reads them.
/// Each batch's first run is read whole, and the others repeat it.
pub fn load_many_repeating<S: Store + ?Sized>(
    store: &S,
    runs: &[&RunMeta],
) -> (Vec<Stored>, Vec<IngestError>) {
    load_many_with(store, runs, true)
}

fn load_many_with<S: Store + ?Sized>(
    store: &S,
    runs: &[&RunMeta],
    repeat: bool,
) -> (Vec<Stored>, Vec<IngestError>) {
    let mut ok = Vec::with_capacity(runs.len());
    let mut failures = Vec::new();
    // One template for the batches of the side while most of their tests repeat it; a
    // batch where fewer than half do hands the next batch a template of its own.
    let mut sharing = Sharing::repeating();
    for chunk in runs.chunks(STREAM_CHUNK) {
        let loaded = if repeat {
            store.load_batch_shared(chunk, &mut sharing)
        } else {
            store.load_batch(chunk)
        };
        if repeat {
            let (tests, repeats) = loaded.iter().flatten().fold((0, 0), |(t, r), s| {
                let n = s.repeats.as_ref().map_or(0, |x| x.at.len());
                (t + s.test_count(), r + n)
            });
            if 2 * repeats < tests {
                sharing = Sharing::repeating();
            }
        }
        for (m, r) in chunk.iter().zip(loaded) {
            match r {
                Ok(snapshot) => ok.push(Stored {
                    id: m.id.clone(),
                    snapshot,
                }),
                Err(e) => failures.push(e),
            }
        }
    }
    (ok, failures)
}

/// Runs read at once while streaming a history: enough to keep both cores busy, few enough
/// that memory stays bounded whatever the length of the history.
const STREAM_CHUNK: usize = 32;

/// Streams `runs` row by row, in parallel, without holding them whole: each run's rows go
/// to a sink made by `make`, and each filled sink is handed to `take` in the order of `runs`
/// (so what `take` builds does not depend on the number of threads). Returns the runs that
/// could not be read.
pub fn stream<S, T, M, F>(store: &S, runs: &[&RunMeta], make: M, mut take: F) -> Vec<IngestError>
where
    S: Store + ?Sized,
    T: Sink + Send,
    M: Fn(&RunMeta) -> T + Sync,
    F: FnMut(&RunMeta, T),
{
    let mut failures = Vec::new();
    for chunk in runs.chunks(STREAM_CHUNK) {
        let mut sinks: Vec<T> = chunk.iter().map(|m| make(m)).collect();
        let results = {
            let mut refs: Vec<&mut (dyn Sink + Send)> = sinks
                .iter_mut()
                .map(|s| s as &mut (dyn Sink + Send))
                .collect();
            store.scan_batch(chunk, &mut refs)
        };
        for ((m, sink), r) in chunk.iter().zip(sinks).zip(results) {
            match r {
                Ok(()) => take(m, sink),
                Err(e) => failures.push(e),
            }
        }
    }
    failures
}

/// [`Store::history`] by streaming every run's rows (see [`stream`]).
pub fn history_streamed<S: Store + ?Sized>(
    store: &S,
    runs: &[&RunMeta],
    tick: &(dyn Fn() + Sync),
) -> (History, Vec<IngestError>) {
    let mut history = History::default();
    let failures = stream(
        store,
        runs,
        |_| {
            tick();
            RunRows::default()
        },
        |m, rows| {
            history.runs.push(MetricRun {
                id: m.id.clone(),
                run: m.run.clone(),
                env: m.env.clone(),
                metrics: rows.metrics,
            });
            history.tests.push(Some(rows.column));
        },
    );
    (history, failures)
}

/// What `save` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveOutcome {
    /// Id of the stored snapshot.
    pub id: String,
    /// Where it is (a path for the folder store).
    pub location: String,
    /// True when an identical snapshot was already stored under this id.
    pub already_stored: bool,
}

/// A parsed selector (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// The latest `count` snapshots of a branch (`main`, `main[10]`).
    Branch {
        /// Branch name.
        branch: String,
        /// How many runs; `None` means the latest one.
        count: Option<usize>,
    },
    /// The latest snapshot whose commit starts with a prefix, optionally on one branch.
    Commit {
        /// Branch, if given.
        branch: Option<String>,
        /// Commit prefix.
        commit: String,
    },
    /// One snapshot by id.
    Id(String),
}

impl Selector {
    /// Parses a selector.
    pub fn parse(s: &str) -> Result<Selector, StoreError> {
        let bad = |m: &str| StoreError::Selector {
            selector: s.to_string(),
            message: m.to_string(),
        };
        if let Some(id) = s.strip_prefix("id:") {
            if id.is_empty() {
                return Err(bad("`id:` needs a snapshot id"));
            }
            return Ok(Selector::Id(id.to_string()));
        }
        if let Some((branch, commit)) = s.split_once('@') {
            if commit.is_empty() || !commit.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(bad("the part after `@` must be a commit id (hex digits)"));
            }
            return Ok(Selector::Commit {
                branch: (!branch.is_empty()).then(|| branch.to_string()),
                commit: commit.to_ascii_lowercase(),
            });
        }
        if let Some(open) = s.find('[') {
            let Some(inner) = s[open + 1..].strip_suffix(']') else {
                return Err(bad("expected `BRANCH[N]`, e.g. `main[10]`"));
            };
            let count: usize = inner
                .trim()
                .parse()
                .map_err(|_| bad("the count in `[N]` must be a whole number"))?;
            if count == 0 {
                return Err(bad("the count in `[N]` must be at least 1"));
            }
            let branch = &s[..open];
            if branch.is_empty() {
                return Err(bad("a branch name is needed before `[N]`"));
            }
            return Ok(Selector::Branch {
                branch: branch.to_string(),
                count: Some(count),
            });
        }
        if s.is_empty() {
            return Err(bad("empty selector"));
        }
        Ok(Selector::Branch {
            branch: s.to_string(),
            count: None,
        })
    }

    /// The branch this selector names, if it names one.
    pub fn branch(&self) -> Option<&str> {
        match self {
            Selector::Branch { branch, .. } => Some(branch),
            Selector::Commit { branch, .. } => branch.as_deref(),
            Selector::Id(_) => None,
        }
    }
}

/// What a stored run must hold to be picked by a branch or commit selector: a comparison of
/// tests needs a base with tests, a comparison of benchmarks one with metrics. A branch that
/// records its JUnit report and its benchmarks as two runs holds both kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunKind {
    /// The run must hold test results.
    pub tests: bool,
    /// The run must hold metrics.
    pub metrics: bool,
}

impl RunKind {
    /// Any run.
    pub const ANY: RunKind = RunKind {
        tests: false,
        metrics: false,
    };

    /// Whether `s` holds what this kind asks for.
    pub fn holds(self, s: &Snapshot) -> bool {
        (!self.tests || s.test_count() > 0) && (!self.metrics || !s.metrics.is_empty())
    }

    /// Whether the stored run `m` holds what this kind asks for.
    pub fn holds_meta(self, m: &RunMeta) -> bool {
        (!self.tests || m.counts.tests > 0) && (!self.metrics || m.counts.metrics > 0)
    }

    /// "tests", "metrics", "tests and metrics", or "anything".
    pub fn describe(self) -> &'static str {
        match (self.tests, self.metrics) {
            (true, true) => "tests and metrics",
            (true, false) => "tests",
            (false, true) => "metrics",
            (false, false) => "anything",
        }
    }
}

/// Checks that a branch name can be named again by a selector: `main[3]` would read as three
/// runs of `main`, `x@y` as a commit, `id:foo` as an id. The error states the rule.
pub fn check_branch_name(branch: &str) -> Result<(), String> {
    let rule = "a branch name must not be empty, `.` or `..`, start with `id:` or `-`, hold `@`, `[`, `]`, white space at either end, or control characters, so that a selector can name it";
    let bad = branch.is_empty()
        || branch == "."
        || branch == ".."
        || branch.starts_with("id:")
        || branch.starts_with('-')
        || branch.contains(['@', '[', ']'])
        || branch.trim() != branch
        || branch.chars().any(char::is_control);
    let reachable = matches!(
        Selector::parse(branch),
        Ok(Selector::Branch { branch: b, count: None }) if b == branch
    );
    if bad || !reachable {
        return Err(format!(
            "`{}` cannot be recorded: {rule}",
            branch.escape_debug()
        ));
    }
    Ok(())
}

/// Orders runs by run time (RFC 3339, compared as instants), then by id.
pub fn chronological(a: &RunMeta, b: &RunMeta) -> Ordering {
    let ta = a.run.time.as_deref().and_then(parse_time);
    let tb = b.run.time.as_deref().and_then(parse_time);
    ta.cmp(&tb).then_with(|| a.id.cmp(&b.id))
}

/// Parses an RFC 3339 time into an instant.
pub fn parse_time(s: &str) -> Option<jiff::Timestamp> {
    s.parse::<jiff::Timestamp>().ok()
}

/// Picks the snapshots a selector names, oldest first.
///
/// A selector that asks for more runs than the store holds is an error: a comparison never
/// silently uses fewer snapshots than asked. Unreadable snapshots are mentioned, since one of
/// them may have been the one asked for.
pub fn select<'a>(
    catalog: &'a Catalog,
    selector: &Selector,
    store_name: &str,
) -> Result<Vec<&'a RunMeta>, StoreError> {
    select_kind(catalog, selector, RunKind::ANY, store_name)
}

/// [`select`], where a branch or commit selector considers only the runs that hold what
/// `kind` asks for (`id:` names one run, taken as it is). When that leaves too few, the error
/// says how many runs the selector matched before the kind was applied.
pub fn select_kind<'a>(
    catalog: &'a Catalog,
    selector: &Selector,
    kind: RunKind,
    store_name: &str,
) -> Result<Vec<&'a RunMeta>, StoreError> {
    let note_failures = || {
        if catalog.failures.is_empty() {
            String::new()
        } else {
            format!(
                " ({} stored snapshot(s) could not be read and were not considered)",
                catalog.failures.len()
            )
        }
    };
    let matches: Vec<&RunMeta> = match selector {
        Selector::Id(id) => catalog.runs.iter().filter(|s| &s.id == id).collect(),
        Selector::Branch { branch, .. } => catalog
            .runs
            .iter()
            .filter(|s| s.run.branch.as_deref() == Some(branch.as_str()))
            .collect(),
        Selector::Commit { branch, commit } => catalog
            .runs
            .iter()
            .filter(|s| {
                branch
                    .as_deref()
                    .is_none_or(|b| s.run.branch.as_deref() == Some(b))
                    && s.run
                        .commit
                        .as_deref()
                        .is_some_and(|c| c.to_ascii_lowercase().starts_with(commit.as_str()))
            })
            .collect(),
    };
    let want = match selector {
        Selector::Branch { count: Some(n), .. } => *n,
        _ => 1,
    };
    let before_kind = matches.len();
    let matches: Vec<&RunMeta> = if matches!(selector, Selector::Id(_)) {
        matches
    } else {
        matches.into_iter().filter(|s| kind.holds_meta(s)).collect()
    };
    if matches.len() < want && before_kind > matches.len() {
        return Err(StoreError::NotEnough {
            message: format!(
                "`{}` matches {before_kind} run(s) in the store {store_name}, but {} of them hold {}, which the other side holds; record such a run, or choose the kind of run with --base-kind",
                selector_text(selector),
                matches.len(),
                kind.describe()
            ),
        });
    }
    if matches.is_empty() {
        let what = match selector {
            Selector::Id(id) => format!("no snapshot with id `{id}`"),
            Selector::Branch { branch, .. } => format!("no snapshot of branch `{branch}`"),
            Selector::Commit {
                branch: Some(b),
                commit,
            } => format!("no snapshot of branch `{b}` at commit `{commit}`"),
            Selector::Commit {
                branch: None,
                commit,
            } => format!("no snapshot at commit `{commit}`"),
        };
        return Err(StoreError::NotEnough {
            message: format!(
                "{what} in the store {store_name}{}; `regdiff list` shows what is stored",
                note_failures()
            ),
        });
    }
    if matches.len() < want {
        let branch = selector.branch().unwrap_or("?");
        return Err(StoreError::NotEnough {
            message: format!(
                "asked for the last {want} runs of `{branch}`, the store {store_name} holds {}{}; ask for `{branch}[{}]` or record more runs",
                matches.len(),
                note_failures(),
                matches.len()
            ),
        });
    }
    let start = matches.len() - want;
    Ok(matches[start..].to_vec())
}

fn selector_text(selector: &Selector) -> String {
    match selector {
        Selector::Id(id) => format!("id:{id}"),
        Selector::Branch {
            branch,
            count: None,
        } => branch.clone(),
        Selector::Branch {
            branch,
            count: Some(n),
        } => format!("{branch}[{n}]"),
        Selector::Commit { branch, commit } => {
            format!("{}@{commit}", branch.as_deref().unwrap_or(""))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selector_grammar() {
        assert_eq!(
            Selector::parse("main").unwrap(),
            Selector::Branch {
                branch: "main".into(),
                count: None
            }
        );
        assert_eq!(
            Selector::parse("feature/x[20]").unwrap(),
            Selector::Branch {
                branch: "feature/x".into(),
                count: Some(20)
            }
        );
        assert_eq!(
            Selector::parse("main@3F2a").unwrap(),
            Selector::Commit {
                branch: Some("main".into()),
                commit: "3f2a".into()
            }
        );
        assert_eq!(
            Selector::parse("@abc").unwrap(),
            Selector::Commit {
                branch: None,
                commit: "abc".into()
            }
        );
        assert_eq!(Selector::parse("id:x").unwrap(), Selector::Id("x".into()));
        for bad in ["main[0]", "main[x]", "main[3", "[3]", "main@zz", "", "id:"] {
            assert!(Selector::parse(bad).is_err(), "{bad}");
        }
    }

    fn stored(id: &str, branch: &str, commit: &str, time: &str) -> RunMeta {
        let run = RunInfo {
            branch: Some(branch.into()),
            commit: Some(commit.into()),
            time: Some(time.into()),
            ..RunInfo::default()
        };
        RunMeta {
            id: id.into(),
            run,
            env: EnvFingerprint::default(),
            counts: Counts::default(),
            path: PathBuf::new(),
            token: 0,
        }
    }

    #[test]
    fn selection_takes_the_latest_and_refuses_too_few() {
        let loaded = Catalog {
            runs: vec![
                stored("a", "main", "aaa1", "2026-01-01T00:00:00Z"),
                stored("b", "main", "bbb2", "2026-01-02T00:00:00Z"),
                stored("c", "dev", "ccc3", "2026-01-03T00:00:00Z"),
            ],
            ..Catalog::default()
        };
        let one = select(&loaded, &Selector::parse("main").unwrap(), "s").unwrap();
        assert_eq!(one.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["b"]);
        let two = select(&loaded, &Selector::parse("main[2]").unwrap(), "s").unwrap();
        assert_eq!(two.len(), 2);
        let err = select(&loaded, &Selector::parse("main[3]").unwrap(), "s")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("asked for the last 3 runs of `main`, the store s holds 2"),
            "{err}"
        );
        let by_commit = select(&loaded, &Selector::parse("@CCC").unwrap(), "s").unwrap();
        assert_eq!(by_commit[0].id, "c");
        assert!(select(&loaded, &Selector::parse("nope").unwrap(), "s").is_err());
    }
}
