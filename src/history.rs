//! A branch's history as the analyses ask it, without holding its runs whole.
//!
//! A store of 1,000 runs × 10,000 tests is 10 million test results; the questions asked of
//! them need a few bytes each. `compare`'s flaky-history evidence (E3) needs, for the few
//! tests failing on head, their outcome and failure signature in each history run
//! ([`TestHistory`]). `regdiff trend` and `regdiff flaky` need every test's outcome in every
//! run, one byte each ([`TestMatrix`]), and every run's metrics. Both are built row by row:
//! from stored runs as the store streams them ([`crate::ingest::snapshot_lines::Sink`]),
//! or from snapshots already in memory, with the same code, so the two give the same answers.

use std::collections::{HashMap, HashSet};

use crate::ingest::snapshot_lines::{Sink, TestRow, TestsWanted};
use crate::model::{Attempt, EnvFingerprint, Metric, RunInfo, Snapshot, Status, TestResult};

/// One executed run of a test (skipped runs are not outcomes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The run's final result was a failure (failed or errored).
    pub failed: bool,
    /// Within the run, attempts both failed and passed (a retry passed).
    pub mixed: bool,
}

impl Outcome {
    /// The outcome of one run of a test; `None` when it was skipped (not executed).
    pub fn of(t: &TestResult) -> Option<Outcome> {
        Code::new(t.status, t.attempts.len() > 1 && mixed(&t.attempts)).outcome()
    }
}

/// One test in one history run.
#[derive(Debug, Clone, PartialEq)]
pub struct TestObservation {
    /// Index of the run in [`TestHistory::runs`].
    pub run: usize,
    /// The outcome; `None` when the test was skipped (not executed).
    pub outcome: Option<Outcome>,
    /// The attempt that decided a failure (for its signature).
    pub failure: Option<Attempt>,
}

/// What the history runs say about some tests: their outcome and failure signature in each
/// run, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TestHistory {
    /// Ids of the history runs, oldest first.
    pub runs: Vec<String>,
    per_test: HashMap<String, Vec<TestObservation>>,
}

impl TestHistory {
    /// The observations of one test, oldest first (empty when the history never ran it).
    pub fn of(&self, id: &str) -> &[TestObservation] {
        self.per_test.get(id).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The history of the tests `wanted` (every test when `None`) over `runs`, oldest first.
    pub fn from_snapshots<'a>(
        runs: impl IntoIterator<Item = (&'a str, &'a Snapshot)>,
        wanted: Option<&HashSet<String>>,
    ) -> TestHistory {
        let mut h = TestHistory::default();
        for (id, s) in runs {
            let mut b = RunObservations::new(id, wanted);
            for (t, _) in s.results() {
                b.add(
                    &t.id,
                    t.status,
                    t.last_attempt(),
                    t.attempts.len() > 1 && mixed(&t.attempts),
                );
            }
            h.append(b);
        }
        h
    }

    /// Adds the next run (runs must be appended oldest first).
    pub fn append(&mut self, part: RunObservations<'_>) {
        let run = self.runs.len();
        self.runs.push(part.run_id);
        for (id, mut o) in part.found {
            o.run = run;
            self.per_test.entry(id).or_default().push(o);
        }
    }
}

/// Whether attempts within a run both failed and passed (a retry passed).
pub fn mixed(attempts: &[Attempt]) -> bool {
    attempts.iter().any(|a| a.status.is_failure())
        && attempts.iter().any(|a| a.status == Status::Passed)
}

/// One run's observations of the wanted tests, gathered row by row.
#[derive(Debug)]
pub struct RunObservations<'w> {
    run_id: String,
    wanted: Option<&'w HashSet<String>>,
    /// Ids already seen in this run: a test's first row counts.
    seen: HashSet<String>,
    found: Vec<(String, TestObservation)>,
}

impl<'w> RunObservations<'w> {
    /// Gathers run `id`'s observations of the tests `wanted` (every test when `None`); run
    /// its rows through it, then [`TestHistory::append`] it, in run order.
    pub fn new(id: &str, wanted: Option<&'w HashSet<String>>) -> RunObservations<'w> {
        RunObservations {
            run_id: id.to_string(),
            wanted,
            seen: HashSet::new(),
            found: Vec::new(),
        }
    }

    fn add(&mut self, id: &str, status: Status, last: Option<&Attempt>, mixed: bool) {
        if self.wanted.is_some_and(|w| !w.contains(id)) || !self.seen.insert(id.to_string()) {
            return;
        }
        let outcome = (status != Status::Skipped).then_some(Outcome {
            failed: status.is_failure(),
            mixed,
        });
        let failure = status
            .is_failure()
            .then(|| last.cloned().unwrap_or_else(|| Attempt::new(status)));
        self.found.push((
            id.to_string(),
            TestObservation {
                run: 0,
                outcome,
                failure,
            },
        ));
    }
}

impl Sink for RunObservations<'_> {
    fn test(&mut self, row: TestRow<'_>) {
        let mixed = row.mixed();
        self.add(row.id, row.status, row.last_attempt(), mixed);
    }

    fn metric(&mut self, _metric: Metric) {}

    fn tests_wanted(&self) -> TestsWanted<'_> {
        match self.wanted {
            Some(w) => TestsWanted::Only(w),
            None => TestsWanted::All,
        }
    }

    fn wants_metrics(&self) -> bool {
        false
    }
}

/// A test's outcome in one run, in one byte: the status, and whether a retry passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code(u8);

impl Code {
    const MIXED: u8 = 4;

    /// The code of a status, and of whether attempts both failed and passed.
    pub fn new(status: Status, mixed: bool) -> Code {
        let s = match status {
            Status::Passed => 0,
            Status::Failed => 1,
            Status::Errored => 2,
            Status::Skipped => 3,
        };
        Code(s | if mixed { Code::MIXED } else { 0 })
    }

    /// The final status.
    pub fn status(self) -> Status {
        match self.0 & 3 {
            0 => Status::Passed,
            1 => Status::Failed,
            2 => Status::Errored,
            _ => Status::Skipped,
        }
    }

    /// The outcome, `None` when skipped.
    pub fn outcome(self) -> Option<Outcome> {
        (self.status() != Status::Skipped).then_some(Outcome {
            failed: self.status().is_failure(),
            mixed: self.0 & Code::MIXED != 0,
        })
    }
}

/// Every test's outcome in every run of a history: a column of one-byte codes per run.
#[derive(Debug, Clone, Default)]
pub struct TestMatrix {
    ids: Vec<Box<str>>,
    index: hashbrown::HashMap<Box<str>, u32>,
    /// Per run: `None` when the run holds no tests, else (test index, code) per test and the
    /// run's number of tests.
    columns: Vec<Option<Column>>,
}

/// One run's column of a [`TestMatrix`].
#[derive(Debug, Clone, Default)]
pub struct Column {
    /// (test index, code), in the run's order, each test once.
    pub entries: Vec<(u32, Code)>,
    /// Test rows of the run (a test repeated in the run counts each time).
    pub total: u64,
}

/// One run's tests as read, before their ids are numbered (built in parallel, numbered in
/// run order by [`TestMatrix::push`]).
#[derive(Debug, Default)]
pub struct RawColumn {
    text: String,
    ends: Vec<u32>,
    codes: Vec<Code>,
}

impl RawColumn {
    /// Adds the next test of the run.
    pub fn add(&mut self, id: &str, code: Code) {
        self.text.push_str(id);
        self.ends.push(self.text.len() as u32);
        self.codes.push(code);
    }

    /// The column of a snapshot in memory.
    pub fn of(s: &Snapshot) -> RawColumn {
        let mut c = RawColumn::default();
        for (t, _) in s.results() {
            c.add(&t.id, code_of(t));
        }
        c
    }

    fn iter(&self) -> impl Iterator<Item = (&str, Code)> {
        let mut start = 0usize;
        self.ends.iter().zip(&self.codes).map(move |(&end, &code)| {
            let id = &self.text[start..end as usize];
            start = end as usize;
            (id, code)
        })
    }
}

fn code_of(t: &TestResult) -> Code {
    Code::new(t.status, t.attempts.len() > 1 && mixed(&t.attempts))
}

impl Sink for RawColumn {
    fn test(&mut self, row: TestRow<'_>) {
        let code = Code::new(row.status, row.mixed());
        self.add(row.id, code);
    }

    fn metric(&mut self, _metric: Metric) {}

    fn wants_metrics(&self) -> bool {
        false
    }
}

impl TestMatrix {
    /// Adds the next run's column (oldest first); `None` for a run without tests.
    pub fn push(&mut self, raw: Option<RawColumn>) {
        let Some(raw) = raw.filter(|r| !r.codes.is_empty()) else {
            self.columns.push(None);
            return;
        };
        // Consecutive runs mostly hold the same tests in the same order: try the test at the
        // same position of the previous column before hashing.
        let prev: Vec<u32> = self
            .columns
            .iter()
            .rev()
            .find_map(|c| c.as_ref())
            .map(|c| c.entries.iter().map(|e| e.0).collect())
            .unwrap_or_default();
        let mut seen = vec![false; 0];
        let mut entries = Vec::with_capacity(raw.codes.len());
        for (k, (id, code)) in raw.iter().enumerate() {
            let i = match prev.get(k) {
                Some(&p) if &*self.ids[p as usize] == id => p,
                _ => match self.index.get(id) {
                    Some(&i) => i,
                    None => {
                        let i = self.ids.len() as u32;
                        self.ids.push(id.into());
                        self.index.insert(id.into(), i);
                        i
                    }
                },
            };
            if seen.len() <= i as usize {
                seen.resize(self.ids.len(), false);
            }
            // A test's first row in a run counts.
            if std::mem::replace(&mut seen[i as usize], true) {
                continue;
            }
            entries.push((i, code));
        }
        self.columns.push(Some(Column {
            entries,
            total: raw.codes.len() as u64,
        }));
    }

    /// The matrix of snapshots in memory, oldest first.
    pub fn from_snapshots<'a>(runs: impl IntoIterator<Item = &'a Snapshot>) -> TestMatrix {
        let mut m = TestMatrix::default();
        for s in runs {
            m.push(Some(RawColumn::of(s)));
        }
        m
    }

    /// Tests seen in any run.
    pub fn tests(&self) -> usize {
        self.ids.len()
    }

    /// The id of test `i`.
    pub fn id(&self, i: u32) -> &str {
        &self.ids[i as usize]
    }

    /// The runs' columns, oldest first (`None` for a run without tests).
    pub fn columns(&self) -> &[Option<Column>] {
        &self.columns
    }
}

/// One run of a history as the trend analysis reads it: what it is, and its metrics.
#[derive(Debug, Clone)]
pub struct MetricRun {
    /// Snapshot id.
    pub id: String,
    /// Branch, commit, time.
    pub run: RunInfo,
    /// The machine.
    pub env: EnvFingerprint,
    /// Its metrics.
    pub metrics: Vec<Metric>,
}

/// Gathers a run's metrics and test column as its rows arrive.
#[derive(Debug, Default)]
pub struct RunRows {
    /// The metrics.
    pub metrics: Vec<Metric>,
    /// The tests.
    pub column: RawColumn,
}

impl Sink for RunRows {
    fn test(&mut self, row: TestRow<'_>) {
        self.column.test(row);
    }

    fn metric(&mut self, metric: Metric) {
        self.metrics.push(metric);
    }
}

/// A branch's history for the trend analysis: its runs with their metrics, and the test
/// matrix.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// The runs, oldest first.
    pub runs: Vec<MetricRun>,
    /// Every test's outcome per run.
    pub tests: TestMatrix,
}

impl History {
    /// The history of snapshots in memory, oldest first.
    pub fn from_snapshots(runs: &[(&str, &Snapshot)]) -> History {
        History {
            runs: runs
                .iter()
                .map(|(id, s)| MetricRun {
                    id: id.to_string(),
                    run: s.run.clone(),
                    env: s.env.clone(),
                    metrics: s.metrics.clone(),
                })
                .collect(),
            tests: TestMatrix::from_snapshots(runs.iter().map(|(_, s)| *s)),
        }
    }
}
