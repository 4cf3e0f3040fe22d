//! Reading a JUnit report too big to hold, in two passes over the same file.
//!
//! A run read whole keeps every test until the end, because the last case of a file can
//! still change the first: a repeated case becomes another attempt of the test it repeats,
//! an id that two suites share is qualified with the suite in both, and a suite's declared
//! count, read at its end, can turn its cases into reruns or todo tests. Streaming keeps the
//! result identical by learning first where that can happen:
//!
//! 1. The first pass reads the file with a builder that keeps no test, only the hash of each
//!    case's id and the suites whose declared count is below their number of cases (the only
//!    suites whose end can change their tests).
//! 2. The second pass reads the file again with the real builder. A test whose id hash
//!    occurred once in the first pass is final as soon as it is read, unless a suite that can
//!    still change it is open; it is handed on in file order. A test whose id hash occurred
//!    more than once waits until every case of that hash has been read, then its repetitions
//!    are merged and its id qualified exactly as [`RunBuilder::finish`] does. A test
//!    repeated inside a suite that can still change its tests waits for that suite's end,
//!    wherever it was first read (a rerun there relabels its earlier attempts).
//!
//! The two passes must read the same file: the second checks the first's counts and the
//! run's head, and fails if the file changed in between. A stream (a pipe) cannot be read
//! twice and is read whole.

use std::io::Write;
use std::path::Path;

use hashbrown::{DefaultHashBuilder, HashMap, HashSet};

use super::RunBuilder;
use crate::error::IngestError;
use crate::model::{Snapshot, TestResult};

/// Whether `show --format json` of `path` streams (see the module documentation): a regular
/// JUnit file, with no id rewrites (a rewrite can merge tests anywhere in the run). Streaming
/// costs no more than reading whole even for small files: the first pass only parses, and
/// the second writes on one core while it reads on the other (a JUnit file of 100,000 cases:
/// 0.20–0.30 s and 17–19 MB against 0.32–0.35 s and 83 MB).
pub fn streams(path: &Path, opts: &super::ReadOptions) -> bool {
    let file = super::input::kind(path).is_ok_and(|k| k == super::input::Kind::File);
    file && opts.id_map.is_empty()
        && match opts.format {
            Some(f) => f == super::Format::Junit,
            None => super::detect(path).is_ok_and(|f| f == super::Format::Junit),
        }
}

/// Tests handed on at a time.
const BATCH: usize = 4096;

/// What the first pass learns.
#[derive(Default)]
pub(crate) struct Scan {
    /// The id hash of every case, in file order.
    ids: Vec<u64>,
    /// The id being hashed.
    id: String,
    /// Suites opened so far.
    suites_opened: u64,
    /// The ordinals of the open suites, innermost last.
    open: Vec<u64>,
    /// Suites whose end may change their tests.
    revisable: HashSet<u64>,
}

impl Scan {
    /// Notes a case: the hash of its id, as [`crate::model::test_id`] writes it (built in a
    /// buffer kept from case to case).
    pub(crate) fn case(
        &mut self,
        hasher: &DefaultHashBuilder,
        classname: Option<&str>,
        name: &str,
    ) {
        use std::hash::BuildHasher;
        crate::model::write_test_id(&mut self.id, classname, name);
        self.ids.push(hasher.hash_one(self.id.as_str()));
    }

    pub(crate) fn suite_opened(&mut self) {
        self.open.push(self.suites_opened);
        self.suites_opened += 1;
    }

    pub(crate) fn suite_closed(&mut self, may_revise: bool) {
        if let Some(ordinal) = self.open.pop()
            && may_revise
        {
            self.revisable.insert(ordinal);
        }
    }

    /// The second pass's plan: each id hash carried by more than one case, with how many.
    fn plan(mut self, hasher: DefaultHashBuilder, head: Snapshot) -> Plan {
        let cases = self.ids.len() as u64;
        self.ids.sort_unstable();
        let mut groups = HashMap::new();
        for run in self.ids.chunk_by(|a, b| a == b) {
            if run.len() > 1 {
                groups.insert(
                    run[0],
                    Group {
                        total: run.len() as u64,
                        seen: 0,
                        members: Vec::new(),
                    },
                );
            }
        }
        Plan {
            hasher,
            groups,
            revisable: self.revisable,
            cases,
            head,
        }
    }
}

/// The cases that share one id hash.
pub(crate) struct Group {
    /// Cases of the first pass.
    total: u64,
    /// Cases read so far in the second.
    seen: u64,
    /// The tests read so far (global indices), in file order.
    members: Vec<usize>,
}

/// The first pass's findings, for the second.
pub(crate) struct Plan {
    hasher: DefaultHashBuilder,
    groups: HashMap<u64, Group>,
    revisable: HashSet<u64>,
    cases: u64,
    head: Snapshot,
}

/// An id that several suites share, for the warning [`RunBuilder::finish`] writes.
pub(crate) struct Clash {
    pub id: String,
    /// How many tests carry it.
    pub count: usize,
    /// The suites of the first few, in file order.
    pub suites: Vec<String>,
}

/// The second pass's state, held by the builder.
pub(crate) struct Streaming {
    pub(crate) groups: HashMap<u64, Group>,
    revisable: HashSet<u64>,
    suites_opened: u64,
    /// Open suites, innermost last: their ordinal and, for a suite that can still change
    /// its tests, the global index of its first test.
    open: Vec<(u64, Option<usize>)>,
    /// The global index of the builder's first held test.
    pub(crate) base: usize,
    /// Per held test: whether it waits for the rest of its group.
    pending: Vec<bool>,
    /// Leading held tests known to be final.
    ready: usize,
    pub(crate) clashes: Vec<Clash>,
    /// Cases read.
    pub(crate) cases: u64,
    expected_cases: u64,
    sink: Box<dyn FnMut(Vec<TestResult>) -> bool + Send>,
    /// The receiver went away (the output failed): stop handing tests on.
    sink_closed: bool,
    /// Tests handed on at a time ([`BATCH`]; tests make it small).
    batch: usize,
}

impl Streaming {
    /// The lowest global index a suite can still change, if any.
    fn limit(&self) -> Option<usize> {
        self.open.iter().find_map(|(_, first)| *first)
    }

    pub(crate) fn suite_opened(&mut self, len: usize) {
        let ordinal = self.suites_opened;
        self.suites_opened += 1;
        let holds = self.revisable.contains(&ordinal).then_some(len);
        self.open.push((ordinal, holds));
    }

    pub(crate) fn suite_closed(&mut self) {
        self.open.pop();
    }

    /// A case repeated the held test at global index `i`. A suite that can still change
    /// its tests changes the tests repeated in it, wherever they were first read: hold
    /// everything from `i` on until the outermost such suite open ends.
    pub(crate) fn repeated(&mut self, i: usize) {
        if let Some(first) = self.open.iter_mut().find_map(|(_, f)| f.as_mut()) {
            *first = (*first).min(i);
            self.ready = self.ready.min(i.saturating_sub(self.base));
        }
    }

    /// The reading ended: no suite can change its tests any more.
    pub(crate) fn close_all(&mut self) {
        self.open.clear();
    }

    /// A test was added to the end of the held ones.
    pub(crate) fn pushed(&mut self, pending: bool) {
        self.pending.push(pending);
    }

    /// The held test at global index `i` no longer waits for its group.
    pub(crate) fn settle(&mut self, i: usize) {
        if let Some(p) = i
            .checked_sub(self.base)
            .and_then(|l| self.pending.get_mut(l))
        {
            *p = false;
        }
    }

    /// How many leading held tests can be handed on (at least `at_least`, else none).
    fn take_count(&mut self, at_least: usize) -> usize {
        let limit = self.limit().map(|l| l - self.base);
        while self.ready < self.pending.len()
            && !self.pending[self.ready]
            && limit.is_none_or(|l| self.ready < l)
        {
            self.ready += 1;
        }
        if self.ready >= at_least.max(1) {
            self.ready
        } else {
            0
        }
    }

    /// Hands on the leading final tests of `tests` when there are enough of them (all of
    /// them with `all`).
    pub(crate) fn flush(&mut self, tests: &mut Vec<TestResult>, all: bool) {
        let n = self.take_count(if all { 1 } else { self.batch });
        if n == 0 {
            return;
        }
        let batch: Vec<TestResult> = tests.drain(..n).collect();
        self.pending.drain(..n);
        self.ready -= n;
        self.base += n;
        if !self.sink_closed && !(self.sink)(batch) {
            self.sink_closed = true;
        }
    }

    /// After the last case: whether the second pass read what the first did.
    pub(crate) fn check(&self) -> Result<(), String> {
        let unfinished = self.groups.values().any(|g| g.seen != g.total);
        if self.cases != self.expected_cases || unfinished || !self.pending.is_empty() {
            return Err(format!(
                "the file changed while it was read: {} test cases in the first pass, {} in the second",
                self.expected_cases, self.cases
            ));
        }
        Ok(())
    }
}

impl Group {
    /// Counts one more case of the group; returns whether it was the last.
    pub(crate) fn saw(&mut self) -> bool {
        self.seen += 1;
        self.seen == self.total
    }

    pub(crate) fn add(&mut self, i: usize) {
        self.members.push(i);
    }

    pub(crate) fn take_members(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.members)
    }
}

impl RunBuilder {
    /// A builder for the first pass: it keeps no test (like [`RunBuilder::counting`]) but
    /// the hash of each case's id, with room for about `cases` of them (room never used is
    /// never touched; a vector grown by doubling to ten million hashes would fault in and
    /// copy twice that).
    pub(crate) fn scanning(cases: usize) -> Self {
        let mut b = RunBuilder::counting();
        let mut scan = Box::<Scan>::default();
        scan.ids.reserve_exact(cases);
        b.scan = Some(scan);
        b
    }

    /// A builder for the second pass, handing final tests to `sink` in file order; `sink`
    /// returns false once it takes no more.
    fn streaming(
        plan: Plan,
        sink: Box<dyn FnMut(Vec<TestResult>) -> bool + Send>,
        batch: usize,
    ) -> Self {
        RunBuilder {
            hasher: plan.hasher,
            stream: Some(Box::new(Streaming {
                groups: plan.groups,
                revisable: plan.revisable,
                suites_opened: 0,
                open: Vec::new(),
                base: 0,
                pending: Vec::new(),
                ready: 0,
                clashes: Vec::new(),
                cases: 0,
                expected_cases: plan.cases,
                sink,
                sink_closed: false,
                batch: batch.max(1),
            })),
            ..RunBuilder::default()
        }
    }

    /// Ends the first pass.
    fn into_plan(mut self) -> Plan {
        let scan = self.scan.take().map(|s| *s).unwrap_or_default();
        let hasher = self.hasher.clone();
        let head = self.finish();
        scan.plan(hasher, head)
    }
}

/// The part of `snapshot`'s pretty JSON before its tests and the part after, split inside
/// the empty array of tests (`"tests": [` and `]…`).
fn split_around_tests(snapshot: &Snapshot) -> Result<(String, String), IngestError> {
    debug_assert!(snapshot.tests.is_empty());
    let text = serde_json::to_string_pretty(snapshot)
        .map_err(|e| IngestError::unusable(Path::new("-"), e.to_string()))?;
    // Top-level fields are indented by two spaces: a nested key would be indented deeper,
    // and a string holding these characters would have its quotes escaped.
    const MARK: &str = "\n  \"tests\": [";
    let at = text
        .find(&format!("{MARK}]"))
        .map(|i| i + MARK.len())
        .ok_or_else(|| {
            IngestError::unusable(Path::new("-"), "no tests field in a snapshot".to_string())
        })?;
    let (head, tail) = text.split_at(at);
    Ok((head.to_string(), tail.to_string()))
}

/// Writes one test as an element of the top-level `tests` array of a pretty snapshot:
/// indented by four spaces, as `serde_json::to_writer_pretty` writes it there.
fn write_test(out: &mut dyn Write, scratch: &mut Vec<u8>, t: &TestResult) -> std::io::Result<()> {
    scratch.clear();
    scratch.extend_from_slice(b"\n    ");
    crate::model::pretty::write_test(scratch, t, 2);
    out.write_all(scratch)
}

/// What can go wrong while streaming: reading the report, or handing its tests on.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// The report could not be read (or changed between the passes).
    #[error(transparent)]
    Read(#[from] IngestError),
    /// The receiver of the tests failed (the output could not be written).
    #[error("cannot write the output: {0}")]
    Write(#[source] std::io::Error),
}

/// The first pass over a JUnit file (see the module documentation).
pub struct Planned {
    plan: Plan,
}

impl Planned {
    /// The run as the first pass read it, without tests: its run information and
    /// environment are those the second pass will find.
    pub fn head(&self) -> &Snapshot {
        &self.plan.head
    }

    /// The test cases of the file (a repeated case counts each time).
    pub fn cases(&self) -> u64 {
        self.plan.cases
    }
}

/// Reads a regular JUnit file a first time, keeping no test.
pub fn plan_junit(path: &Path) -> Result<Planned, IngestError> {
    // A case every 64 bytes of the file, as the reader reserves for tests.
    let cases = std::fs::metadata(path).map_or(0, |m| m.len() / 64);
    let mut scan = RunBuilder::scanning(usize::try_from(cases).unwrap_or(0));
    super::add_file(path, super::Format::Junit, &mut scan)?;
    Ok(Planned {
        plan: scan.into_plan(),
    })
}

/// Reads the JUnit file at `path` a second time and hands each test to `each`, in file
/// order, once nothing later in the file can change it; `each` runs on this thread while
/// the file is read on another. Returns the run without its tests (its warnings, sources
/// and properties are complete) and how many tests were handed on. Fails if the file
/// differs from the one `planned` read.
pub fn stream_junit(
    planned: Planned,
    path: &Path,
    each: &mut dyn FnMut(&TestResult) -> std::io::Result<()>,
) -> Result<(Snapshot, u64), StreamError> {
    stream_junit_batched(planned, path, each, BATCH)
}

fn stream_junit_batched(
    planned: Planned,
    path: &Path,
    each: &mut dyn FnMut(&TestResult) -> std::io::Result<()>,
    batch: usize,
) -> Result<(Snapshot, u64), StreamError> {
    let head = run_head(&planned.plan.head)?;
    let plan = planned.plan;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<TestResult>>(2);
    let (handed, outcome) = std::thread::scope(|s| {
        let second = s.spawn(move || {
            let sink = Box::new(move |batch: Vec<TestResult>| tx.send(batch).is_ok());
            let mut b = RunBuilder::streaming(plan, sink, batch);
            super::add_file(path, super::Format::Junit, &mut b)?;
            b.finish_streamed()
                .map_err(|message| IngestError::unusable(path, message))
        });
        let mut handed: Result<u64, std::io::Error> = Ok(0);
        'batches: for batch in rx {
            for t in &batch {
                let Ok(n) = &mut handed else {
                    // Leaving drops the receiver: the reader stops sending.
                    break 'batches;
                };
                match each(t) {
                    Ok(()) => *n += 1,
                    Err(e) => handed = Err(e),
                }
            }
        }
        let outcome = second
            .join()
            .unwrap_or_else(|_| Err(IngestError::unusable(path, "the reader panicked")));
        (handed, outcome)
    });
    let handed = handed.map_err(StreamError::Write)?;
    let mut snap = outcome?;
    if run_head(&snap)? != head {
        return Err(IngestError::unusable(
            path,
            "the file changed while it was read: its run information differs between the two passes",
        )
        .into());
    }
    snap.sources.push(path.display().to_string());
    Ok((snap, handed))
}

/// The part of a snapshot's pretty JSON before its tests, for a run without tests.
fn run_head(s: &Snapshot) -> Result<String, IngestError> {
    let mut head = Snapshot::new();
    head.schema.clone_from(&s.schema);
    head.run = s.run.clone();
    head.env = s.env.clone();
    Ok(split_around_tests(&head)?.0)
}

/// Writes the run of the JUnit file at `path` as `show --format json` does, with the same
/// bytes as serialising [`super::read_path`]'s snapshot, holding only the tests that can
/// still change (see the module documentation). The file must be a regular file.
pub fn show_json_junit(path: &Path, out: &mut dyn Write) -> Result<(), StreamError> {
    show_json_junit_planned_from(path, path, out)
}

/// [`show_json_junit`], handing tests on `batch` at a time rather than 4,096: small batches
/// make every hold matter in a small file. For tests.
#[doc(hidden)]
pub fn show_json_junit_batched(
    path: &Path,
    out: &mut dyn Write,
    batch: usize,
) -> Result<(), StreamError> {
    show_json(path, path, out, batch)
}

/// [`show_json_junit`] with the first pass over `first` and the second over `path`: what
/// happens when a file changes between the passes. For tests.
#[doc(hidden)]
pub fn show_json_junit_planned_from(
    first: &Path,
    path: &Path,
    out: &mut dyn Write,
) -> Result<(), StreamError> {
    show_json(first, path, out, BATCH)
}

fn show_json(
    first: &Path,
    path: &Path,
    out: &mut dyn Write,
    batch: usize,
) -> Result<(), StreamError> {
    let planned = plan_junit(first)?;
    let prefix = run_head(planned.head())?;
    let write = StreamError::Write;
    out.write_all(prefix.as_bytes()).map_err(write)?;
    let mut scratch = Vec::with_capacity(4096);
    let mut first_test = true;
    let mut each = |t: &TestResult| {
        if !first_test {
            out.write_all(b",")?;
        }
        first_test = false;
        write_test(out, &mut scratch, t)
    };
    let (snap, handed) = stream_junit_batched(planned, path, &mut each, batch)?;
    let (_, tail) = split_around_tests(&snap)?;
    if handed > 0 {
        out.write_all(b"\n  ").map_err(write)?;
    }
    out.write_all(tail.as_bytes()).map_err(write)?;
    out.write_all(b"\n").map_err(write)?;
    Ok(())
}
