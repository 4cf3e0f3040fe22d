//! The snapshot model: one run of a suite normalised into regdiff's own format.
//!
//! Every input format converts into these types at its boundary (see `ingest`), the store
//! keeps them as JSON files (see `store`), and the analysis only ever sees them. The JSON
//! shape is a contract (`docs/snapshot.md`): fields may be added, the ones here keep their
//! meaning. Optional values are `null` when the source did not say (a missing duration is
//! unknown, not zero).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

pub mod pretty;
pub mod rare;

pub use rare::{Properties, Tags};

/// The schema tag written into every snapshot file.
pub const SNAPSHOT_SCHEMA: &str = "regdiff.snapshot/1";
/// The prefix shared by every version of the snapshot schema.
pub const SNAPSHOT_SCHEMA_PREFIX: &str = "regdiff.snapshot/";

/// One run normalised: metadata, environment fingerprint, test results and metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Always [`SNAPSHOT_SCHEMA`]; a file with another version is refused with a clear error.
    pub schema: String,
    /// Branch, commit, time and free labels of the run.
    pub run: RunInfo,
    /// The machine and toolchain the run executed on.
    #[serde(default)]
    pub env: EnvFingerprint,
    /// Every test case of the run, in source order.
    #[serde(default)]
    pub tests: Vec<TestResult>,
    /// Measured figures (benchmarks, memory, sizes) with their raw samples.
    #[serde(default)]
    pub metrics: Vec<Metric>,
    /// What was repaired or skipped while reading, each naming file and position.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The report files this snapshot was read from, as given on the command line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// Suite-level properties of the source report (`suite name / property name` → value).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
    /// Tests held as repeats of another run's, beside `tests` (see [`Repeats`]). Only the
    /// comparison's reading of stored runs makes them (`store::load_many_repeating`), and
    /// only its alignment reads them; they are never written.
    #[serde(skip)]
    pub repeats: Option<Box<Repeats>>,
}

/// The tests of a run that are another run's (the template's) but for their duration:
/// same id, names, context, line, status, tags and properties, one attempt with no text, and
/// no failure. Of 200 stored runs of one suite nearly every result is such a repeat of the
/// first run's; held as an index and a duration each, they take 20 bytes rather than the 168
/// of a result.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Repeats {
    /// The template run's tests, shared by every run that repeats them.
    pub template: std::sync::Arc<[TestResult]>,
    /// Each repeat's test, as its index in `template`, in the order of the run's rows.
    pub at: Vec<u32>,
    /// Each repeat's duration (of its one attempt), beside `at`.
    pub durations: Vec<Option<f64>>,
}

impl Snapshot {
    /// Number of tests of the run, repeats included.
    pub fn test_count(&self) -> usize {
        self.tests.len() + self.repeats.as_ref().map_or(0, |r| r.at.len())
    }

    /// Every test of the run (its own results, then its repeats, see [`Repeats`]), each with
    /// its duration: a repeat's result is the template's, whose own duration is not the run's.
    pub fn results(&self) -> impl Iterator<Item = (&TestResult, &Option<f64>)> {
        let own = self.tests.iter().map(|t| (t, &t.duration_s));
        let repeated = self.repeats.iter().flat_map(|r| {
            r.at.iter()
                .zip(&r.durations)
                .map(|(&i, d)| (&r.template[i as usize], d))
        });
        own.chain(repeated)
    }

    /// Every test of the run as a result of its own, as the run read whole holds it: a
    /// repeat's result is the template's with the run's duration (its one attempt's too).
    pub fn own_results(&self) -> impl Iterator<Item = TestResult> {
        self.results().map(|(t, d)| {
            let mut t = t.clone();
            if t.duration_s.map(f64::to_bits) != d.map(f64::to_bits) {
                t.duration_s = *d;
                if let [a] = t.attempts.as_mut_slice() {
                    a.duration_s = *d;
                }
            }
            t
        })
    }

    /// An empty snapshot with the current schema tag.
    pub fn new() -> Self {
        Snapshot {
            schema: SNAPSHOT_SCHEMA.to_string(),
            run: RunInfo::default(),
            env: EnvFingerprint::default(),
            tests: Vec::new(),
            metrics: Vec::new(),
            warnings: Vec::new(),
            sources: Vec::new(),
            properties: BTreeMap::new(),
            repeats: None,
        }
    }
}

impl Default for Snapshot {
    fn default() -> Self {
        Snapshot::new()
    }
}

/// Run metadata.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// Branch the run was made on, when known.
    pub branch: Option<String>,
    /// Commit id the run was made on, when known.
    pub commit: Option<String>,
    /// Start time of the run, RFC 3339, when known.
    pub time: Option<String>,
    /// Free `key = value` labels given to `record --label`.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// The environment fingerprint: what must match for two runs to be comparable as-is.
///
/// `vars` and `toolchains` take part in the comparison of the two sides (evidence E7);
/// `ci` only documents the run (job ids differ on every run and would always differ).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EnvFingerprint {
    /// Host name.
    pub host: Option<String>,
    /// Operating system, e.g. `Debian GNU/Linux 12 (bookworm)`.
    pub os: Option<String>,
    /// Kernel release.
    #[serde(default)]
    pub kernel: Option<String>,
    /// CPU model name.
    pub cpu: Option<String>,
    /// Logical cores available to the run.
    pub cores: Option<u32>,
    /// Toolchain versions given with `record --toolchain NAME=VERSION`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub toolchains: BTreeMap<String, String>,
    /// Environment variables chosen with `record --env NAME`.
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    /// Common CI variables present at record time (informational, not compared).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ci: BTreeMap<String, String>,
}

/// Outcome of a test case or of one of its attempts.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The test ran and passed.
    #[default]
    Passed,
    /// An assertion failed.
    Failed,
    /// The test could not complete (an exception outside an assertion, a setup error).
    Errored,
    /// The test did not run (skip marker, ignored, not run).
    Skipped,
}

impl Status {
    /// Failed or errored: the test ran and did not pass.
    pub fn is_failure(self) -> bool {
        matches!(self, Status::Failed | Status::Errored)
    }

    /// The lowercase name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Errored => "errored",
            Status::Skipped => "skipped",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One execution of a test inside a run (a run can retry a test).
///
/// Most attempts are a bare pass: a status and a duration. The texts of the others
/// (message, type, trace, captured output) live behind one pointer, so a bare attempt is 32
/// bytes; the JSON shape is the flat one of `docs/snapshot.md`.
#[derive(Debug, Clone, Default)]
pub struct Attempt {
    /// Outcome of this attempt.
    pub status: Status,
    /// Wall time of this attempt in seconds; `null` when the report does not give it.
    pub duration_s: Option<f64>,
    /// The texts, when there is any.
    detail: Option<Box<AttemptText>>,
}

/// The texts of an attempt (see [`Attempt`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AttemptText {
    /// Failure or skip message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Failure type (exception class, `test timeout`, …).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Failure body: stack trace or captured assertion output (bounded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// Captured standard output (bounded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdout: Option<String>,
    /// Captured standard error (bounded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stderr: Option<String>,
}

impl AttemptText {
    fn is_empty(&self) -> bool {
        self.message.is_none()
            && self.kind.is_none()
            && self.trace.is_none()
            && self.stdout.is_none()
            && self.stderr.is_none()
    }
}

impl Attempt {
    /// An attempt with only a status.
    pub fn new(status: Status) -> Self {
        Attempt {
            status,
            duration_s: None,
            detail: None,
        }
    }

    /// An attempt with its texts (none kept when all are empty).
    pub fn with_text(status: Status, duration_s: Option<f64>, text: AttemptText) -> Self {
        Attempt {
            status,
            duration_s,
            detail: (!text.is_empty()).then(|| Box::new(text)),
        }
    }

    /// Failure or skip message.
    pub fn message(&self) -> Option<&str> {
        self.detail.as_ref()?.message.as_deref()
    }

    /// Failure type (exception class, `test timeout`, …).
    pub fn kind(&self) -> Option<&str> {
        self.detail.as_ref()?.kind.as_deref()
    }

    /// Failure body: stack trace or captured assertion output.
    pub fn trace(&self) -> Option<&str> {
        self.detail.as_ref()?.trace.as_deref()
    }

    /// Captured standard output.
    pub fn stdout(&self) -> Option<&str> {
        self.detail.as_ref()?.stdout.as_deref()
    }

    /// Captured standard error.
    pub fn stderr(&self) -> Option<&str> {
        self.detail.as_ref()?.stderr.as_deref()
    }

    /// The texts, to change them (made empty when there was none).
    pub fn text_mut(&mut self) -> &mut AttemptText {
        self.detail.get_or_insert_with(Default::default)
    }

    /// Drops the texts when all of them are empty (after [`Attempt::text_mut`] set them
    /// to nothing), so that a bare attempt keeps no allocation.
    pub fn drop_empty_text(&mut self) {
        if self.detail.as_deref().is_some_and(AttemptText::is_empty) {
            self.detail = None;
        }
    }
}

impl PartialEq for Attempt {
    fn eq(&self, other: &Self) -> bool {
        fn text(a: &Attempt) -> Option<&AttemptText> {
            a.detail.as_deref().filter(|t| !t.is_empty())
        }
        self.status == other.status
            && self.duration_s == other.duration_s
            && text(self) == text(other)
    }
}

/// The flat JSON shape of an attempt.
#[derive(Serialize, Deserialize)]
struct AttemptFlat<'a> {
    status: Status,
    duration_s: Option<f64>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    message: Option<std::borrow::Cow<'a, str>>,
    #[serde(
        default,
        borrow,
        rename = "type",
        skip_serializing_if = "Option::is_none"
    )]
    kind: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    trace: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    stdout: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    stderr: Option<std::borrow::Cow<'a, str>>,
}

impl Serialize for Attempt {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        fn b(v: Option<&str>) -> Option<std::borrow::Cow<'_, str>> {
            v.map(std::borrow::Cow::Borrowed)
        }
        AttemptFlat {
            status: self.status,
            duration_s: self.duration_s,
            message: b(self.message()),
            kind: b(self.kind()),
            trace: b(self.trace()),
            stdout: b(self.stdout()),
            stderr: b(self.stderr()),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Attempt {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f: AttemptFlat<'de> = AttemptFlat::deserialize(d)?;
        let o = |v: Option<std::borrow::Cow<'_, str>>| v.map(|c| c.into_owned());
        Ok(Attempt::with_text(
            f.status,
            f.duration_s,
            AttemptText {
                message: o(f.message),
                kind: o(f.kind),
                trace: o(f.trace),
                stdout: o(f.stdout),
                stderr: o(f.stderr),
            },
        ))
    }
}

/// The attempts of a test: one (nearly every test) is held inline, without an allocation of
/// its own.
pub type Attempts = smallvec::SmallVec<[Attempt; 1]>;

/// A name many tests of a run share (suite, class name, file): held once, pointed to by
/// each test. Serialised as a plain string.
pub type Name = std::sync::Arc<str>;

/// The ids and names one run holds, for the other runs of the same side to point to
/// instead of making copies of their own: 200 runs of a suite then hold each test's id
/// and name once.
#[derive(Debug, Default)]
pub struct SharedNames {
    set: hashbrown::HashSet<Name>,
    /// Each test's id and name, in the run's order: the runs of a side list their tests in
    /// the same order, so the test at the same place is tried before the table.
    in_order: Vec<[Name; 2]>,
    /// The run's tests, for the other runs to hold as [`Repeats`], when asked for.
    template: Option<std::sync::Arc<Template>>,
}

/// A run's tests as others may repeat them (see [`Repeats`]).
#[derive(Debug)]
pub struct Template {
    /// The tests.
    pub results: std::sync::Arc<[TestResult]>,
    /// Whether each may be repeated: one attempt with no text, and no failure.
    repeatable: Vec<bool>,
    /// Each test's index by id.
    index: hashbrown::HashMap<Name, u32>,
    /// The rows of the tests as a stored file writes them, when given.
    keys: RowKeys,
}

/// A run's test rows as its stored file writes them, each up to its duration, and its
/// context rows: a row of a later run whose bytes start as the template's row at the same
/// place, with the same context row, is that test but for its duration, and is read as a
/// repeat from its bytes alone (see [`Repeats`]). The encoding's reader makes them.
#[derive(Debug, Default)]
pub struct RowKeys {
    bytes: Vec<u8>,
    /// Each test's row up to its duration's number (`start..end` in `bytes`) and its
    /// context's index (`u32::MAX` for none), for the tests that may be repeated and whose
    /// row is plain.
    tests: Vec<Option<(u32, u32, u32)>>,
    /// Each context row (`start..end` in `bytes`).
    contexts: Vec<(u32, u32)>,
}

impl RowKeys {
    /// Keys over `bytes`: each test's span and context, and each context row's span.
    pub fn new(
        bytes: Vec<u8>,
        tests: Vec<Option<(u32, u32, Option<u32>)>>,
        contexts: Vec<(u32, u32)>,
    ) -> Self {
        let tests = tests
            .into_iter()
            .map(|t| t.map(|(a, b, x)| (a, b, x.unwrap_or(u32::MAX))))
            .collect();
        RowKeys {
            bytes,
            tests,
            contexts,
        }
    }

    /// The `i`-th test's row up to its duration, and its context's index.
    pub fn test(&self, i: usize) -> Option<(&[u8], Option<usize>)> {
        let &(a, b, x) = self.tests.get(i)?.as_ref()?;
        let x = (x != u32::MAX).then_some(x as usize);
        Some((&self.bytes[a as usize..b as usize], x))
    }

    /// The `k`-th context row.
    pub fn context(&self, k: usize) -> Option<&[u8]> {
        let &(a, b) = self.contexts.get(k)?;
        Some(&self.bytes[a as usize..b as usize])
    }
}

impl Template {
    fn of(s: &Snapshot, keys: RowKeys) -> Self {
        let results: std::sync::Arc<[TestResult]> = s.tests.clone().into();
        let repeatable = results
            .iter()
            .map(|t| !t.status.is_failure() && t.implied_attempt())
            .collect();
        let index = results
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.clone(), i as u32))
            .collect();
        // Keys for other tests than the run's are no keys.
        let keys = if keys.tests.len() == results.len() {
            keys
        } else {
            RowKeys::default()
        };
        Template {
            results,
            repeatable,
            index,
            keys,
        }
    }

    /// The rows of the tests as a stored file writes them.
    pub fn keys(&self) -> &RowKeys {
        &self.keys
    }

    /// The index of the test `id`, tried at `at` (the place of the row being read) first.
    pub fn find(&self, at: usize, id: &str) -> Option<usize> {
        match self.results.get(at) {
            Some(t) if *t.id == *id => Some(at),
            _ => self.index.get(id).map(|&i| i as usize),
        }
    }

    /// Number of tests.
    pub fn len(&self) -> usize {
        self.results.len()
    }

    /// Whether it holds no test.
    pub fn is_empty(&self) -> bool {
        self.results.is_empty()
    }

    /// Whether the `i`-th test may be repeated (see [`Repeats`]).
    pub fn repeatable(&self, i: usize) -> bool {
        self.repeatable[i]
    }
}

impl SharedNames {
    /// The ids, names, suites, class names and files of a run.
    pub fn of(s: &Snapshot) -> Self {
        let mut set = hashbrown::HashSet::with_capacity(s.tests.len() * 2);
        for t in &s.tests {
            set.insert(t.id.clone());
            set.insert(t.name.clone());
            for n in [&t.suite, &t.classname, &t.file].into_iter().flatten() {
                set.insert(n.clone());
            }
        }
        let in_order = s
            .tests
            .iter()
            .map(|t| [t.id.clone(), t.name.clone()])
            .collect();
        SharedNames {
            set,
            in_order,
            template: None,
        }
    }

    /// [`SharedNames::of`], with the run's tests for the others to repeat (see [`Repeats`]),
    /// and their rows as `keys`.
    pub fn with_template(s: &Snapshot, keys: RowKeys) -> Self {
        SharedNames {
            template: Some(std::sync::Arc::new(Template::of(s, keys))),
            ..SharedNames::of(s)
        }
    }

    /// The run whose tests the others may repeat, when asked for.
    pub fn template(&self) -> Option<&Template> {
        self.template.as_deref()
    }

    /// The same names in copies of their own (for another thread to point to).
    pub fn copy(&self) -> Self {
        let set: hashbrown::HashSet<Name> = self.set.iter().map(|n| Name::from(&**n)).collect();
        let own = |n: &Name| set.get(&**n).cloned().unwrap_or_else(|| Name::from(&**n));
        let in_order = self
            .in_order
            .iter()
            .map(|[a, b]| [own(a), own(b)])
            .collect();
        SharedNames {
            set,
            in_order,
            template: self.template.clone(),
        }
    }

    /// The shared copies of the id and name of the `i`-th test of a run.
    pub fn id_and_name(&self, i: usize, id: &str, name: &str) -> (Name, Name) {
        match self.in_order.get(i) {
            Some([a, b]) if **a == *id => {
                let name = if **b == *name {
                    b.clone()
                } else {
                    self.get(name)
                };
                (a.clone(), name)
            }
            _ => (self.get(id), self.get(name)),
        }
    }

    /// Whether `id` is the shared copy of the id of the `i`-th test of the run these names
    /// come from (the same pointer, not only the same text). That run was checked, so its
    /// ids are distinct: a run whose every id is such a copy at its own place holds each
    /// test once.
    pub fn is_id_at(&self, i: usize, id: &Name) -> bool {
        self.in_order
            .get(i)
            .is_some_and(|[a, _]| std::sync::Arc::ptr_eq(a, id))
    }

    /// The shared copy of `s`, or a new one when no run holds it.
    pub fn get(&self, s: &str) -> Name {
        self.set.get(s).cloned().unwrap_or_else(|| Name::from(s))
    }

    /// The shared copy of `s`, kept as the shared copy when there is none yet.
    pub fn intern(&mut self, s: Name) -> Name {
        if let Some(n) = self.set.get(&*s) {
            return n.clone();
        }
        self.set.insert(s.clone());
        s
    }

    /// The shared copy of `s`, made and kept when there is none yet (no allocation when
    /// there is one).
    pub fn intern_str(&mut self, s: &str) -> Name {
        if let Some(n) = self.set.get(s) {
            return n.clone();
        }
        let n = Name::from(s);
        self.set.insert(n.clone());
        n
    }

    /// Points a run's ids and names to the shared copies.
    pub fn share(&self, s: &mut Snapshot) {
        let swap = |n: &mut Name| {
            if let Some(shared) = self.set.get(&**n) {
                *n = shared.clone();
            }
        };
        for t in &mut s.tests {
            swap(&mut t.id);
            swap(&mut t.name);
            for n in [&mut t.suite, &mut t.classname, &mut t.file]
                .into_iter()
                .flatten()
            {
                swap(n);
            }
        }
    }
}

/// One test case of a run, with every attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    /// Stable identity: `classname::name` when the source gives a class name other than the name, else `name`
    /// (qualified with the suite when the same id appears in two suites of one run).
    pub id: Name,
    /// Innermost suite name, when the source has suites.
    #[serde(default)]
    pub suite: Option<Name>,
    /// Class name (module path, test binary) as the source gives it.
    #[serde(default)]
    pub classname: Option<Name>,
    /// Test name, parameters kept.
    pub name: Name,
    /// Outcome of the last attempt.
    pub status: Status,
    /// Every attempt in order; the last one decides `status`.
    pub attempts: Attempts,
    /// Duration of the last attempt in seconds; `null` when unknown.
    pub duration_s: Option<f64>,
    /// Source file of the test, when known.
    #[serde(default)]
    pub file: Option<Name>,
    /// Line in `file`, when known.
    #[serde(default)]
    pub line: Option<u32>,
    /// Tags from the report (properties, markers) and from `regdiff.toml` patterns.
    #[serde(default)]
    pub tags: Tags,
    /// Test-level properties of the report, as given.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: Properties,
}

impl TestResult {
    /// The attempt that decided the outcome.
    pub fn last_attempt(&self) -> Option<&Attempt> {
        self.attempts.last()
    }

    /// Whether any attempt failed while the final one passed (a retry passed).
    pub fn passed_after_retry(&self) -> bool {
        self.status == Status::Passed && self.attempts.iter().any(|a| a.status.is_failure())
    }

    /// Whether any attempt passed.
    pub fn any_attempt_passed(&self) -> bool {
        self.attempts.iter().any(|a| a.status == Status::Passed)
    }

    /// Whether its attempts are the one implied by its status and duration: one attempt,
    /// of its status and duration, with no text.
    pub fn implied_attempt(&self) -> bool {
        match self.attempts.as_slice() {
            [a] => {
                a.status == self.status
                    && a.duration_s.map(f64::to_bits) == self.duration_s.map(f64::to_bits)
                    && a.message().is_none()
                    && a.kind().is_none()
                    && a.trace().is_none()
                    && a.stdout().is_none()
                    && a.stderr().is_none()
            }
            _ => false,
        }
    }

    /// Whether the test carries a tag.
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }
}

/// Which direction of a metric is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    /// Smaller is better (time, memory, size).
    Lower,
    /// Larger is better (throughput).
    Higher,
}

impl Better {
    /// The sign that turns ln(value) into cost (ln for lower-is-better, −ln for
    /// higher-is-better): in cost space a positive change is always worse.
    pub fn cost_sign(self) -> f64 {
        match self {
            Better::Lower => 1.0,
            Better::Higher => -1.0,
        }
    }
}

/// A named measured figure with its raw samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// The benchmark's own full name in its source.
    pub id: String,
    /// Unit of every sample (`s`, `bytes`, `ops/s`, …).
    pub unit: String,
    /// Which direction is better.
    pub better: Better,
    /// Raw samples in `unit`.
    pub samples: Vec<f64>,
    /// How many separate runs (processes) the samples come from.
    pub runs: u32,
    /// Tags (`control` marks a benchmark whose code no change touches).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Summary statistics, when the source gives no raw samples (pytest-benchmark saved
    /// without `--benchmark-save-data`); `samples` is then empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<MetricSummary>,
    /// CPU time beside wall time, where the harness gives it (Google Benchmark's `cpu_time`,
    /// hyperfine's user + system). A same-core CPU hog inflates wall time while the process's
    /// own CPU time barely moves, so this tells code from contention.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<CpuTime>,
}

/// CPU time of a metric's samples, in the metric's unit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuTime {
    /// CPU time of each sample, paired one to one with the metric's `samples`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<f64>,
    /// Mean CPU time per sample, when the harness gives only the mean (hyperfine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
}

impl Metric {
    /// A metric with raw samples from one run.
    pub fn new(
        id: impl Into<String>,
        unit: impl Into<String>,
        better: Better,
        samples: Vec<f64>,
    ) -> Self {
        Metric {
            id: id.into(),
            unit: unit.into(),
            better,
            samples,
            runs: 1,
            tags: Vec::new(),
            summary: None,
            cpu: None,
        }
    }

    /// Number of samples (raw, or as the summary counts them).
    pub fn sample_count(&self) -> u64 {
        match &self.summary {
            Some(s) if self.samples.is_empty() => s.n,
            _ => self.samples.len() as u64,
        }
    }

    /// The run's location: the median of its samples, or the summary's median.
    pub fn location(&self) -> Option<f64> {
        if !self.samples.is_empty() {
            let mut v = self.samples.clone();
            v.sort_by(f64::total_cmp);
            let n = v.len();
            return Some(if n % 2 == 1 {
                v[n / 2]
            } else {
                (v[n / 2 - 1] + v[n / 2]) / 2.0
            });
        }
        self.summary.as_ref().map(|s| s.median)
    }
}

/// Summary statistics of a run's samples, for sources that keep no raw samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSummary {
    /// Number of samples summarised.
    pub n: u64,
    /// Smallest sample.
    pub min: f64,
    /// Median.
    pub median: f64,
    /// Largest sample, when given.
    #[serde(default)]
    pub max: Option<f64>,
    /// Mean, when given.
    #[serde(default)]
    pub mean: Option<f64>,
    /// Standard deviation, when given.
    #[serde(default)]
    pub stddev: Option<f64>,
    /// First quartile, when given.
    #[serde(default)]
    pub q1: Option<f64>,
    /// Third quartile, when given.
    #[serde(default)]
    pub q3: Option<f64>,
}

/// The one verdict every compared item gets.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The change made it worse, with evidence strong enough to say so.
    Regression,
    /// The change made it better, likewise.
    Improvement,
    /// It moved, and named evidence puts the cause outside the change.
    Environmental,
    /// A change may be there, but the data cannot tell.
    Inconclusive,
    /// No change the data can show (including a failure that was already there).
    #[default]
    Unchanged,
}

impl Verdict {
    /// Every verdict, in report order (regressions first).
    pub const ALL: [Verdict; 5] = [
        Verdict::Regression,
        Verdict::Improvement,
        Verdict::Environmental,
        Verdict::Inconclusive,
        Verdict::Unchanged,
    ];

    /// The lowercase name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Regression => "regression",
            Verdict::Improvement => "improvement",
            Verdict::Environmental => "environmental",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Unchanged => "unchanged",
        }
    }

    /// Parses a verdict name.
    pub fn parse(s: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Items per verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Regressions.
    pub regression: usize,
    /// Improvements.
    pub improvement: usize,
    /// Environmental changes.
    pub environmental: usize,
    /// Unchanged items.
    pub unchanged: usize,
    /// Inconclusive items.
    pub inconclusive: usize,
}

impl Summary {
    /// Adds one verdict.
    pub fn add(&mut self, v: Verdict) {
        match v {
            Verdict::Regression => self.regression += 1,
            Verdict::Improvement => self.improvement += 1,
            Verdict::Environmental => self.environmental += 1,
            Verdict::Unchanged => self.unchanged += 1,
            Verdict::Inconclusive => self.inconclusive += 1,
        }
    }

    /// The count for one verdict.
    pub fn get(&self, v: Verdict) -> usize {
        match v {
            Verdict::Regression => self.regression,
            Verdict::Improvement => self.improvement,
            Verdict::Environmental => self.environmental,
            Verdict::Unchanged => self.unchanged,
            Verdict::Inconclusive => self.inconclusive,
        }
    }

    /// Total items.
    pub fn total(&self) -> usize {
        Verdict::ALL.iter().map(|v| self.get(*v)).sum()
    }
}

/// What happened to an item, beside its verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Passed on base, fails on head.
    Broke,
    /// Failed on base, passes on head.
    Fixed,
    /// Fails on both sides.
    StillFailing,
    /// Passes and fails on the same code (mixed results, or a retry that passed).
    Flaky,
    /// Its failure rate rose significantly between the sides.
    FailsMore,
    /// Its failure rate fell significantly between the sides.
    FailsLess,
    /// Only on head.
    Added,
    /// Only on base.
    Removed,
    /// Only on base under one name and only on head under a near-identical one: probably
    /// renamed (see `compare::renames`).
    Renamed,
    /// Ran on base, skipped on head: its signal is lost.
    Skipped,
    /// Skipped on both sides.
    StillSkipped,
    /// Skipped on base, runs on head.
    Unskipped,
    /// Passes on both sides.
    Passing,
    /// A metric got worse by its direction.
    Slower,
    /// A metric got better by its direction.
    Faster,
    /// A metric did not move beyond what the data can show.
    None,
}

impl Change {
    /// The snake_case name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Broke => "broke",
            Change::Fixed => "fixed",
            Change::StillFailing => "still_failing",
            Change::Flaky => "flaky",
            Change::FailsMore => "fails_more",
            Change::FailsLess => "fails_less",
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Renamed => "renamed",
            Change::Skipped => "skipped",
            Change::StillSkipped => "still_skipped",
            Change::Unskipped => "unskipped",
            Change::Passing => "passing",
            Change::Slower => "slower",
            Change::Faster => "faster",
            Change::None => "none",
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One piece of evidence behind a verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Which rule produced it: `E1`..`E7` (DESIGN.md attribution), `veto`, `possible_cause`,
    /// `counts`, `fisher`, `diff`, or a signature rule's name.
    pub rule: String,
    /// What was found, with its numbers.
    pub detail: String,
    /// Ids of the snapshots it was found in, when it comes from stored runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub snapshots: Vec<String>,
}

impl Evidence {
    /// Evidence without snapshot ids.
    pub fn new(rule: impl Into<String>, detail: impl Into<String>) -> Self {
        Evidence {
            rule: rule.into(),
            detail: detail.into(),
            snapshots: Vec::new(),
        }
    }
}

/// The identity of a test as the id rule builds it: `classname::name`, else `name`; a class
/// name that repeats the name (jest-junit and CTest write both the same) adds nothing.
pub fn test_id(classname: Option<&str>, name: &str) -> String {
    let mut id = String::new();
    write_test_id(&mut id, classname, name);
    id
}

/// Whether `id` is the id [`test_id`] gives this class name and name (without building it).
pub fn is_test_id(id: &str, classname: Option<&str>, name: &str) -> bool {
    match classname {
        Some(c) if !c.is_empty() && c != name => id
            .strip_prefix(c)
            .and_then(|rest| rest.strip_prefix("::"))
            .is_some_and(|rest| rest == name),
        _ => id == name,
    }
}

/// [`test_id`] written into `out` (cleared first), to reuse one buffer.
pub fn write_test_id(out: &mut String, classname: Option<&str>, name: &str) {
    out.clear();
    match classname {
        Some(c) if !c.is_empty() && c != name => {
            out.reserve(c.len() + 2 + name.len());
            out.push_str(c);
            out.push_str("::");
        }
        _ => {}
    }
    out.push_str(name);
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// `is_test_id` answers what comparing with `test_id` answers, on ids built from
        /// few letters so that near misses (a class that is the name, `::` inside names)
        /// come up.
        #[test]
        fn is_test_id_is_comparing_with_test_id(
            id in "[ab:]{0,7}",
            classname in proptest::option::of("[ab:]{0,3}"),
            name in "[ab:]{0,3}",
        ) {
            let expected = id == test_id(classname.as_deref(), &name);
            proptest::prop_assert_eq!(is_test_id(&id, classname.as_deref(), &name), expected);
            let own = test_id(classname.as_deref(), &name);
            proptest::prop_assert!(is_test_id(&own, classname.as_deref(), &name));
        }
    }

    #[test]
    fn id_rule_uses_classname_when_given() {
        assert_eq!(test_id(Some("a.b.C"), "t[1]"), "a.b.C::t[1]");
        assert_eq!(test_id(None, "t"), "t");
        assert_eq!(test_id(Some(""), "t"), "t");
        assert_eq!(test_id(Some("adds two"), "adds two"), "adds two");
    }

    #[test]
    fn status_serialises_lowercase() {
        assert_eq!(
            serde_json::to_string(&Status::Errored).unwrap(),
            "\"errored\""
        );
        let s: Status = serde_json::from_str("\"skipped\"").unwrap();
        assert_eq!(s, Status::Skipped);
    }

    #[test]
    fn retry_detection() {
        let mut t = TestResult {
            id: "x".into(),
            suite: None,
            classname: None,
            name: "x".into(),
            status: Status::Passed,
            attempts: smallvec::smallvec![
                Attempt::new(Status::Failed),
                Attempt::new(Status::Passed)
            ],
            duration_s: None,
            file: None,
            line: None,
            tags: Default::default(),
            properties: Default::default(),
        };
        assert!(t.passed_after_retry());
        t.attempts.remove(0);
        assert!(!t.passed_after_retry());
    }
}
