//! The stored encoding of a snapshot, `regdiff.snapshot-lines/1`: the snapshot of
//! `regdiff.snapshot/1` as JSON Lines, a header line first, one row per test, metric and
//! warning, and an end line with the counts last.
//!
//! Why not one JSON document: a store of 1,000 runs × 10,000 tests is asked three kinds of
//! question, and only one needs every field of every test. `list` and the selectors need a
//! run's metadata: the first and the last line, read without the rows between
//! ([`read_meta`]). History questions (a test's failures over the last N runs, a metric's
//! levels) need a few fields a row, read row by row without building whole runs ([`scan`]).
//! Only the runs compared are decoded whole ([`decode`]). Rows are small: suite, class and
//! file are written once, as a context row that tests refer to by number, and a test run
//! once without a message carries no attempt list (one attempt with the test's status and
//! duration is implied), so a stored run takes less room than the JUnit file it came from.
//!
//! The end line is written last: a file without it was cut short, and its counts are checked
//! against the rows.
//!
//! ```text
//! {"schema":"regdiff.snapshot-lines/1","run":{…},"env":{…}}
//! {"c":["suite","pkg.Class","tests/file.py"]}                  context 0
//! {"t":"test_ok","x":0,"s":"p","d":0.012}                       passed once
//! {"t":"test_bad","x":0,"s":"f","d":0.5,"a":[{"status":"failed",…}]}
//! {"m":{"id":"bench","unit":"s","better":"lower","samples":[…],"runs":1}}
//! {"w":"a warning"}  {"src":"junit.xml"}  {"prop":["suite / key","value"]}
//! {"end":{"tests":2,"metrics":1,"passed":1,"failed":1,"errored":0,"skipped":0,"warnings":1}}
//! ```
//!
//! Test rows: `t` the name, `x` the context, `s` the status (`p`, `f`, `e`, `s`), `d` the
//! duration in seconds, `id` when the id is not the one [`test_id`] builds from class and
//! name, `a` the attempts when they are not the implied one, `l` the line, `g` the tags, `p`
//! the properties. Unknown keys are ignored (fields may be added); an unknown kind of row is
//! an error, never skipped.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use crate::error::IngestError;
use crate::model::{
    Attempt, Attempts, EnvFingerprint, Metric, Name, Repeats, RowKeys, RunInfo, SNAPSHOT_SCHEMA,
    SharedNames, Snapshot, Status, Template, TestResult, write_test_id,
};

/// The schema tag of the header line.
pub const LINES_SCHEMA: &str = "regdiff.snapshot-lines/1";
/// The prefix shared by every version of this encoding.
pub const LINES_SCHEMA_PREFIX: &str = "regdiff.snapshot-lines/";

/// Whether `head` (the first bytes of a file) starts a snapshot in this encoding.
pub fn sniff(head: &[u8]) -> bool {
    let first_line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    memchr::memmem::find(first_line, LINES_SCHEMA_PREFIX.as_bytes()).is_some()
}

/// The first line: what the run is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    /// Always [`LINES_SCHEMA`].
    pub schema: String,
    /// Branch, commit, time and labels.
    pub run: RunInfo,
    /// The machine.
    #[serde(default)]
    pub env: EnvFingerprint,
}

/// The last line: how many rows of each kind the file holds, and the outcomes of its tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Test rows.
    pub tests: u64,
    /// Metric rows.
    pub metrics: u64,
    /// Tests whose final status is passed.
    pub passed: u64,
    /// … failed.
    pub failed: u64,
    /// … errored.
    pub errored: u64,
    /// … skipped.
    pub skipped: u64,
    /// Warning rows.
    pub warnings: u64,
}

impl Counts {
    fn add_status(&mut self, s: Status) {
        match s {
            Status::Passed => self.passed += 1,
            Status::Failed => self.failed += 1,
            Status::Errored => self.errored += 1,
            Status::Skipped => self.skipped += 1,
        }
    }

    /// The counts of a whole snapshot.
    pub fn of(s: &Snapshot) -> Counts {
        let mut c = Counts {
            tests: s.tests.len() as u64,
            metrics: s.metrics.len() as u64,
            warnings: s.warnings.len() as u64,
            ..Counts::default()
        };
        for t in &s.tests {
            c.add_status(t.status);
        }
        c
    }
}

/// A run's metadata, read from the first and last lines only.
#[derive(Debug, Clone)]
pub struct Meta {
    /// The header.
    pub header: Header,
    /// The counts of the end line.
    pub counts: Counts,
}

fn status_letter(s: Status) -> &'static str {
    match s {
        Status::Passed => "p",
        Status::Failed => "f",
        Status::Errored => "e",
        Status::Skipped => "s",
    }
}

fn letter_status(s: &str) -> Option<Status> {
    Some(match s {
        "p" => Status::Passed,
        "f" => Status::Failed,
        "e" => Status::Errored,
        "s" => Status::Skipped,
        _ => return None,
    })
}

/// A test row as serde writes it: [`write_test_row`] writes the same bytes by hand, and
/// tests hold it to this.
#[cfg(test)]
#[derive(Serialize)]
struct TestOut<'a> {
    t: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    x: Option<u32>,
    s: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    d: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    a: Option<&'a [Attempt]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    l: Option<u32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    g: &'a [String],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    p: &'a BTreeMap<String, String>,
}

#[derive(Serialize)]
struct ContextOut<'a> {
    c: [Option<&'a str>; 3],
}

#[derive(Serialize)]
struct MetricOut<'a> {
    m: &'a Metric,
}

#[derive(Serialize)]
struct EndOut {
    end: Counts,
}

/// A test's suite, class name and file: a context row.
type Context = [Option<crate::model::Name>; 3];

/// Whether `c` is `t`'s context.
fn is_context_of(c: &Context, t: &TestResult) -> bool {
    let same = |a: &Option<crate::model::Name>, b: &Option<crate::model::Name>| match (a, b) {
        (None, None) => true,
        // Tests of a run share their names: the same pointer is the same name.
        (Some(a), Some(b)) => std::sync::Arc::ptr_eq(a, b) || a == b,
        _ => false,
    };
    same(&c[0], &t.suite) && same(&c[1], &t.classname) && same(&c[2], &t.file)
}

/// Writes a test row (without its line end), with the same bytes as serialising the
/// row with serde: `t` the name, `x` the context, `s` the status letter, `d` the duration,
/// `id` when it is not the one the name and class name give, `a` the attempts unless the
/// status and duration say all of them, `l` the line, `g` the tags, `p` the properties.
fn write_test_row(out: &mut Vec<u8>, t: &TestResult, x: Option<u32>) -> std::io::Result<()> {
    use crate::model::pretty::string;
    use std::io::Write;
    out.extend_from_slice(b"{\"t\":");
    string(out, &t.name);
    if let Some(x) = x {
        write!(out, ",\"x\":{x}")?;
    }
    out.extend_from_slice(b",\"s\":\"");
    out.extend_from_slice(status_letter(t.status).as_bytes());
    out.push(b'"');
    if let Some(d) = t.duration_s {
        out.extend_from_slice(b",\"d\":");
        serde_json::to_writer(&mut *out, &d)?;
    }
    if !crate::model::is_test_id(&t.id, t.classname.as_deref(), &t.name) {
        out.extend_from_slice(b",\"id\":");
        string(out, &t.id);
    }
    if !t.implied_attempt() {
        out.extend_from_slice(b",\"a\":");
        serde_json::to_writer(&mut *out, t.attempts.as_slice())?;
    }
    if let Some(l) = t.line {
        write!(out, ",\"l\":{l}")?;
    }
    if !t.tags.is_empty() {
        out.extend_from_slice(b",\"g\":");
        serde_json::to_writer(&mut *out, &t.tags)?;
    }
    if !t.properties.is_empty() {
        out.extend_from_slice(b",\"p\":");
        serde_json::to_writer(&mut *out, &t.properties)?;
    }
    out.push(b'}');
    Ok(())
}

/// Writes a snapshot in this encoding, row by row, as its tests arrive: the header when
/// created, then [`Writer::test`] and [`Writer::metric`] in any order, then
/// [`Writer::finish`] with the warnings, sources and properties known only at the end.
pub struct Writer<W: std::io::Write> {
    out: W,
    contexts: hashbrown::HashMap<Context, u32>,
    /// The last context written: tests come grouped by class, so most rows hit it.
    last: Option<(Context, u32)>,
    counts: Counts,
    line: Vec<u8>,
}

impl<W: std::io::Write> Writer<W> {
    /// Starts a file with its header.
    pub fn new(mut out: W, run: &RunInfo, env: &EnvFingerprint) -> std::io::Result<Self> {
        let header = Header {
            schema: LINES_SCHEMA.to_string(),
            run: run.clone(),
            env: env.clone(),
        };
        serde_json::to_writer(&mut out, &header)?;
        out.write_all(b"\n")?;
        Ok(Writer {
            out,
            contexts: hashbrown::HashMap::new(),
            last: None,
            counts: Counts::default(),
            line: Vec::with_capacity(256),
        })
    }

    fn emit<T: Serialize>(&mut self, row: &T) -> std::io::Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, row)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)
    }

    /// Writes one test (and its context row when the context is new).
    pub fn test(&mut self, t: &TestResult) -> std::io::Result<()> {
        let x = if t.suite.is_none() && t.classname.is_none() && t.file.is_none() {
            None
        } else if let Some((_, i)) = self.last.as_ref().filter(|(k, _)| is_context_of(k, t)) {
            Some(*i)
        } else {
            // The test's own shared names: a context costs no copy of them.
            let key: Context = [t.suite.clone(), t.classname.clone(), t.file.clone()];
            let i = match self.contexts.get(&key) {
                Some(&i) => i,
                None => {
                    let i = self.contexts.len() as u32;
                    self.emit(&ContextOut {
                        c: [
                            t.suite.as_deref(),
                            t.classname.as_deref(),
                            t.file.as_deref(),
                        ],
                    })?;
                    self.contexts.insert(key.clone(), i);
                    i
                }
            };
            self.last = Some((key, i));
            Some(i)
        };
        self.line.clear();
        write_test_row(&mut self.line, t, x)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)?;
        self.counts.tests += 1;
        self.counts.add_status(t.status);
        Ok(())
    }

    /// Writes one metric.
    pub fn metric(&mut self, m: &Metric) -> std::io::Result<()> {
        self.emit(&MetricOut { m })?;
        self.counts.metrics += 1;
        Ok(())
    }

    /// Writes the warnings, sources and properties, then the end line; returns the output.
    pub fn finish(
        mut self,
        warnings: &[String],
        sources: &[String],
        properties: &BTreeMap<String, String>,
    ) -> std::io::Result<W> {
        #[derive(Serialize)]
        struct W1<'a> {
            w: &'a str,
        }
        #[derive(Serialize)]
        struct S1<'a> {
            src: &'a str,
        }
        #[derive(Serialize)]
        struct P1<'a> {
            prop: (&'a str, &'a str),
        }
        for w in warnings {
            self.emit(&W1 { w })?;
        }
        self.counts.warnings = warnings.len() as u64;
        for s in sources {
            self.emit(&S1 { src: s })?;
        }
        for (k, v) in properties {
            self.emit(&P1 { prop: (k, v) })?;
        }
        let end = EndOut { end: self.counts };
        self.emit(&end)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Encodes a whole snapshot.
pub fn encode(s: &Snapshot) -> Vec<u8> {
    // Repeats are the comparison's reading of stored runs, never written (they would be
    // lost).
    assert!(
        s.repeats.is_none(),
        "a run read with repeats is not written"
    );
    let mut w = Writer::new(Vec::with_capacity(64 + s.tests.len() * 64), &s.run, &s.env)
        .expect("writing to memory");
    for t in &s.tests {
        w.test(t).expect("writing to memory");
    }
    for m in &s.metrics {
        w.metric(m).expect("writing to memory");
    }
    w.finish(&s.warnings, &s.sources, &s.properties)
        .expect("writing to memory")
}

/// A string borrowed from the row when it holds no escapes, else unescaped into its own.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

#[derive(Deserialize, Default)]
struct RowIn<'a> {
    #[serde(borrow)]
    t: Option<Text<'a>>,
    x: Option<u32>,
    #[serde(borrow)]
    s: Option<Text<'a>>,
    d: Option<f64>,
    #[serde(borrow)]
    id: Option<Text<'a>>,
    a: Option<Vec<Attempt>>,
    l: Option<u32>,
    g: Option<Vec<String>>,
    p: Option<BTreeMap<String, String>>,
    #[serde(borrow)]
    c: Option<[Option<Text<'a>>; 3]>,
    // The rare rows' fields boxed: a row is made and moved for each line, and their room
    // was copied with each test row.
    m: Option<Box<Metric>>,
    w: Option<String>,
    src: Option<String>,
    prop: Option<Box<(String, String)>>,
    end: Option<Box<Counts>>,
}

impl<'a> RowIn<'a> {
    /// A test row of only a name, a context, a status and a duration.
    fn plain(t: &'a str, x: Option<u32>, s: &'a str, d: Option<f64>) -> Self {
        RowIn {
            t: Some(Text(Cow::Borrowed(t))),
            x,
            s: Some(Text(Cow::Borrowed(s))),
            d,
            ..RowIn::default()
        }
    }
}

/// The row most tests are, `{"t":"…","x":N,"s":"…","d":F}` (`x` and `d` optional), read
/// without serde: the same row serde reads, or `None` for anything else (an escape, a
/// control character, another field or order, white space, a number JSON or serde would
/// read otherwise), which serde then reads. Most of the time of loading 200 stored runs
/// was serde's field-by-field reading of these rows.
fn plain_test_row(line: &[u8]) -> Option<RowIn<'_>> {
    let mut rest = line.strip_prefix(b"{\"t\":")?;
    let t = plain_str(&mut rest)?;
    let x = match rest.strip_prefix(b",\"x\":") {
        Some(r) => {
            let digits = r.iter().take_while(|b| b.is_ascii_digit()).count();
            let (n, r) = r.split_at(digits);
            rest = r;
            // JSON has no leading zeros; a number past u32 is serde's error to give.
            if n.is_empty() || (n.len() > 1 && n[0] == b'0') || n.len() > 10 {
                return None;
            }
            Some(std::str::from_utf8(n).ok()?.parse::<u32>().ok()?)
        }
        None => None,
    };
    rest = rest.strip_prefix(b",\"s\":")?;
    let s = plain_str(&mut rest)?;
    let d = match rest.strip_prefix(b",\"d\":") {
        Some(r) => {
            let len = json_number_len(r)?;
            let (n, r) = r.split_at(len);
            rest = r;
            let v: f64 = std::str::from_utf8(n).ok()?.parse().ok()?;
            // serde reads a number too large for f64 as an error, not infinity.
            if !v.is_finite() {
                return None;
            }
            Some(v)
        }
        None => None,
    };
    (rest == b"}").then(|| RowIn::plain(t, x, s, d))
}

/// A context row, `{"c":[A,B,C]}` with each a plain string or `null`, read without serde
/// (see [`plain_test_row`]).
fn plain_context_row(line: &[u8]) -> Option<RowIn<'_>> {
    let mut rest = line.strip_prefix(b"{\"c\":[")?;
    let mut names: [Option<Text<'_>>; 3] = [None, None, None];
    for (i, name) in names.iter_mut().enumerate() {
        if i > 0 {
            rest = rest.strip_prefix(b",")?;
        }
        match rest.strip_prefix(b"null") {
            Some(r) => rest = r,
            None => *name = Some(Text(Cow::Borrowed(plain_str(&mut rest)?))),
        }
    }
    if rest != b"]}" {
        return None;
    }
    Some(RowIn {
        c: Some(names),
        ..RowIn::default()
    })
}

/// A JSON string at the start of `rest` with no escape and no control character (which
/// JSON forbids raw), borrowed; `rest` moves past it.
fn plain_str<'a>(rest: &mut &'a [u8]) -> Option<&'a str> {
    let body = rest.strip_prefix(b"\"")?;
    let end = memchr::memchr2(b'"', b'\\', body)?;
    if body[end] != b'"' || body[..end].iter().any(|&b| b < 0x20) {
        return None;
    }
    let s = std::str::from_utf8(&body[..end]).ok()?;
    *rest = &body[end + 1..];
    Some(s)
}

/// The length of the JSON number at the start of `b`:
/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, or `None` when there is none.
fn json_number_len(b: &[u8]) -> Option<usize> {
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i = usize::from(b.first() == Some(&b'-'));
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i += digits(i),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let n = digits(i + 1);
        if n == 0 {
            return None;
        }
        i += 1 + n;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let n = digits(i);
        if n == 0 {
            return None;
        }
        i += n;
    }
    Some(i)
}

/// A test row's attempts: those written (`a`), else the one implied by its status and
/// duration. Collected rather than moved, so that one attempt is held inline.
fn row_attempts(
    written: Option<Vec<Attempt>>,
    status: Status,
    duration_s: Option<f64>,
) -> Attempts {
    match written {
        Some(a) => a.into_iter().collect(),
        None => {
            let mut a = Attempt::new(status);
            a.duration_s = duration_s;
            smallvec::smallvec![a]
        }
    }
}

/// A test row as [`scan`] hands it over.
pub struct TestRow<'r> {
    /// The test's id.
    pub id: &'r str,
    /// Its name.
    pub name: &'r str,
    /// Suite, class name and file.
    pub context: &'r [Option<Name>; 3],
    /// Final status.
    pub status: Status,
    /// Duration of the last attempt.
    pub duration_s: Option<f64>,
    /// Every attempt, when they are not the one implied by status and duration.
    pub attempts: Option<Vec<Attempt>>,
    /// Line in the file.
    pub line: Option<u32>,
    /// Tags.
    pub tags: Vec<String>,
    /// Properties.
    pub properties: BTreeMap<String, String>,
}

impl TestRow<'_> {
    /// The attempts, the implied one made explicit.
    pub fn into_attempts(self) -> Attempts {
        row_attempts(self.attempts, self.status, self.duration_s)
    }

    /// Whether attempts within the run both failed and passed (a retry passed).
    pub fn mixed(&self) -> bool {
        self.attempts.as_ref().is_some_and(|a| {
            a.len() > 1
                && a.iter().any(|x| x.status.is_failure())
                && a.iter().any(|x| x.status == Status::Passed)
        })
    }

    /// The attempt that decided the outcome, when it is not the implied one.
    pub fn last_attempt(&self) -> Option<&Attempt> {
        self.attempts.as_ref().and_then(|a| a.last())
    }
}

/// Which tests a [`Sink`] needs.
pub enum TestsWanted<'a> {
    /// Every test.
    All,
    /// None.
    None,
    /// Only these ids.
    Only(&'a std::collections::HashSet<String>),
}

/// What [`scan`] hands its rows to.
///
/// A sink may say what it needs ([`Sink::tests_wanted`], [`Sink::wants_metrics`]): a store
/// that can filter in place (a database) then sends only that. A store may always hand more;
/// the sink ignores the rest.
pub trait Sink {
    /// One test.
    fn test(&mut self, row: TestRow<'_>);
    /// One metric.
    fn metric(&mut self, metric: Metric);
    /// A warning, a source or a property (only a whole decode keeps them).
    fn extra(&mut self, _extra: Extra) {}
    /// The tests this sink reads.
    fn tests_wanted(&self) -> TestsWanted<'_> {
        TestsWanted::All
    }
    /// Whether it reads the metrics.
    fn wants_metrics(&self) -> bool {
        true
    }
    /// A suite, class or file name of a context row, as this sink keeps it.
    fn name(&self, s: &str) -> Name {
        Name::from(s)
    }
    /// A test row the sink takes from its bytes alone, before it is parsed (a repeat it
    /// knows, see [`Repeats`]): the test's status when it does. It is then counted, and not
    /// handed to [`Sink::test`].
    fn test_line(&mut self, _line: &[u8]) -> Option<Status> {
        None
    }
    /// The `index`-th context row, as its bytes (after it is read).
    fn context_line(&mut self, _index: usize, _line: &[u8]) {}
}

/// The rows that describe the run rather than measure it.
pub enum Extra {
    /// A warning.
    Warning(String),
    /// A source file.
    Source(String),
    /// A suite-level property.
    Property(String, String),
}

fn syntax(path: &Path, line: usize, e: &serde_json::Error) -> IngestError {
    let msg = e.to_string();
    let msg = match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    };
    IngestError::Syntax {
        path: path.to_path_buf(),
        line: line as u64,
        column: e.column() as u64,
        message: format!("not a valid regdiff snapshot row: {msg}"),
    }
}

fn bad_row(path: &Path, line: usize, message: String) -> IngestError {
    IngestError::Syntax {
        path: path.to_path_buf(),
        line: line as u64,
        column: 1,
        message,
    }
}

/// Parses and checks the header line.
fn header(path: &Path, line: &[u8]) -> Result<Header, IngestError> {
    #[derive(Deserialize)]
    struct SchemaOnly {
        schema: Option<serde_json::Value>,
    }
    match serde_json::from_slice::<Header>(line) {
        Ok(h) if h.schema == LINES_SCHEMA => Ok(h),
        Ok(h) => Err(IngestError::unusable(
            path,
            format!(
                "snapshot encoding `{}` is not supported; this regdiff reads `{LINES_SCHEMA}` (upgrade regdiff to read newer snapshots)",
                h.schema
            ),
        )),
        Err(e) => {
            if let Ok(SchemaOnly {
                schema: Some(serde_json::Value::String(s)),
            }) = serde_json::from_slice::<SchemaOnly>(line)
                && s != LINES_SCHEMA
                && s.starts_with(LINES_SCHEMA_PREFIX)
            {
                return Err(IngestError::unusable(
                    path,
                    format!(
                        "snapshot encoding `{s}` is not supported; this regdiff reads `{LINES_SCHEMA}` (upgrade regdiff to read newer snapshots)"
                    ),
                ));
            }
            Err(syntax(path, 1, &e))
        }
    }
}

/// Reads every row of `bytes`, handing tests and metrics to `sink`; returns the header and
/// the counts of the end line, which are checked against the rows.
pub fn scan(
    path: &Path,
    bytes: &[u8],
    sink: &mut dyn Sink,
) -> Result<(Header, Counts), IngestError> {
    scan_rows(path, bytes, sink, true).map(|(h, c)| (h, c.expect("checked")))
}

/// Reads the header and some rows of a run without its end line (a store that filtered the
/// rows in place): the rows are checked one by one, their number is not.
pub fn scan_part(path: &Path, bytes: &[u8], sink: &mut dyn Sink) -> Result<Header, IngestError> {
    scan_rows(path, bytes, sink, false).map(|(h, _)| h)
}

fn scan_rows(
    path: &Path,
    bytes: &[u8],
    sink: &mut dyn Sink,
    whole: bool,
) -> Result<(Header, Option<Counts>), IngestError> {
    let mut lines = split_lines(bytes);
    let first = lines.next().unwrap_or_default();
    let header = header(path, first)?;
    let mut contexts: Vec<[Option<Name>; 3]> = Vec::new();
    let none: [Option<Name>; 3] = [None, None, None];
    let mut seen = Counts::default();
    let mut end: Option<(usize, Counts)> = None;
    // A test's id when its row leaves it to be derived (one buffer for every row).
    let mut derived = String::new();
    for (i, line) in lines.enumerate() {
        let n = i + 2;
        if line.is_empty() {
            continue;
        }
        if let Some((at, _)) = end {
            return Err(bad_row(
                path,
                n,
                format!(
                    "a row after the end line (line {at}): the file was changed after it was written"
                ),
            ));
        }
        if let Some(status) = sink.test_line(line) {
            seen.tests += 1;
            seen.add_status(status);
            continue;
        }
        let fast = plain_test_row(line).or_else(|| plain_context_row(line));
        let row: RowIn<'_> = match fast {
            Some(row) => Ok(row),
            None => serde_json::from_slice(line),
        }
        .map_err(|e| {
            // The last line without its newline: a write that never finished.
            if !bytes.ends_with(b"\n")
                && std::ptr::eq(line.as_ptr_range().end, bytes.as_ptr_range().end)
            {
                bad_row(
                    path,
                    n,
                    "the snapshot ends in the middle of a row: the file was cut short".into(),
                )
            } else {
                syntax(path, n, &e)
            }
        })?;
        if let Some(name) = row.t {
            let status = row
                .s
                .as_ref()
                .and_then(|s| letter_status(&s.0))
                .ok_or_else(|| {
                    bad_row(
                        path,
                        n,
                        "a test row needs a status `s`: one of p, f, e, s".into(),
                    )
                })?;
            let context = match row.x {
                None => &none,
                Some(x) => contexts.get(x as usize).ok_or_else(|| {
                    bad_row(
                        path,
                        n,
                        format!(
                            "the test refers to context {x}, but only {} context row(s) come before it",
                            contexts.len()
                        ),
                    )
                })?,
            };
            if let Some(a) = &row.a {
                match a.last() {
                    None => {
                        return Err(bad_row(
                            path,
                            n,
                            "a test row with an empty attempt list `a`".into(),
                        ));
                    }
                    Some(last) if last.status != status => {
                        return Err(bad_row(
                            path,
                            n,
                            format!(
                                "status `{}` differs from the last attempt's (`{}`)",
                                status, last.status
                            ),
                        ));
                    }
                    _ => {}
                }
            }
            let id: &str = match &row.id {
                Some(id) => &id.0,
                None => {
                    write_test_id(&mut derived, context[1].as_deref(), &name.0);
                    &derived
                }
            };
            seen.tests += 1;
            seen.add_status(status);
            sink.test(TestRow {
                id,
                name: &name.0,
                context,
                status,
                duration_s: row.d,
                attempts: row.a,
                line: row.l,
                tags: row.g.unwrap_or_default(),
                properties: row.p.unwrap_or_default(),
            });
        } else if let Some(c) = row.c {
            contexts.push(c.map(|n| n.map(|t| sink.name(&t.0))));
            sink.context_line(contexts.len() - 1, line);
        } else if let Some(m) = row.m {
            seen.metrics += 1;
            sink.metric(*m);
        } else if let Some(w) = row.w {
            seen.warnings += 1;
            sink.extra(Extra::Warning(w));
        } else if let Some(s) = row.src {
            sink.extra(Extra::Source(s));
        } else if let Some(prop) = row.prop {
            let (k, v) = *prop;
            sink.extra(Extra::Property(k, v));
        } else if let Some(c) = row.end {
            end = Some((n, *c));
        } else {
            return Err(bad_row(
                path,
                n,
                "a row of no known kind: expected a test (`t`), a context (`c`), a metric (`m`), a warning (`w`), a source (`src`), a property (`prop`) or the end line (`end`)".into(),
            ));
        }
    }
    match end {
        None if !whole => Ok((header, None)),
        None => Err(IngestError::unusable(
            path,
            "the snapshot has no end line: the file was cut short",
        )),
        Some((at, counts)) if counts != seen => Err(bad_row(
            path,
            at,
            format!(
                "the end line counts {} tests ({} passed, {} failed, {} errored, {} skipped), {} metrics and {} warnings, the rows hold {} ({}, {}, {}, {}), {} and {}: the file was changed after it was written",
                counts.tests,
                counts.passed,
                counts.failed,
                counts.errored,
                counts.skipped,
                counts.metrics,
                counts.warnings,
                seen.tests,
                seen.passed,
                seen.failed,
                seen.errored,
                seen.skipped,
                seen.metrics,
                seen.warnings
            ),
        )),
        Some((_, counts)) => Ok((header, Some(counts))),
    }
}

/// The lines of `bytes` as `bytes.split(|b| *b == b'\n')` gives them (a last empty one after
/// a final newline), found with `memchr` rather than byte by byte: splitting was a tenth of
/// the time of reading 200 stored runs.
fn split_lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(bytes);
    std::iter::from_fn(move || {
        let r = rest?;
        match memchr::memchr(b'\n', r) {
            Some(i) => {
                rest = Some(&r[i + 1..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// Hands a snapshot already in memory to `sink` as [`scan`] would hand its rows.
pub fn feed(s: Snapshot, sink: &mut dyn Sink) {
    for t in s.tests {
        let implied = t.implied_attempt();
        let context = [t.suite, t.classname, t.file];
        sink.test(TestRow {
            id: &t.id,
            name: &t.name,
            context: &context,
            status: t.status,
            duration_s: t.duration_s,
            attempts: (!implied).then(|| t.attempts.into_vec()),
            line: t.line,
            tags: t.tags.into_inner(),
            properties: t.properties.into_inner(),
        });
    }
    for m in s.metrics {
        sink.metric(m);
    }
    for w in s.warnings {
        sink.extra(Extra::Warning(w));
    }
    for src in s.sources {
        sink.extra(Extra::Source(src));
    }
    for (k, v) in s.properties {
        sink.extra(Extra::Property(k, v));
    }
}

/// Builds a whole snapshot from the rows.
#[derive(Default)]
struct Whole<'n> {
    /// Ids and names to point to rather than copy.
    names: Option<&'n SharedNames>,
    /// The tests held as repeats of the template's, when asked for.
    repeating: Option<Repeating<'n>>,
    /// Test rows read so far.
    rows: usize,
    tests: Vec<TestResult>,
    metrics: Vec<Metric>,
    warnings: Vec<String>,
    sources: Vec<String>,
    properties: BTreeMap<String, String>,
}

/// The repeats of a run being read (see [`Repeats`]), and what keeps its ids distinct.
struct Repeating<'n> {
    template: &'n Template,
    at: Vec<u32>,
    durations: Vec<Option<f64>>,
    /// The template's tests this run holds (repeated or not).
    held: Vec<bool>,
    /// The ids of tests the template does not hold.
    others: hashbrown::HashSet<Box<str>>,
    /// No id seen twice: a run that holds one is read again whole, for the check that
    /// names its row.
    distinct: bool,
    /// Whether each context row read so far is the template's at the same place, byte for
    /// byte.
    same_context: Vec<bool>,
}

impl Repeating<'_> {
    /// Takes the row as a repeat, or notes its id for a row read whole.
    fn take(&mut self, at: usize, row: &TestRow<'_>) -> bool {
        let Some(i) = self.template.find(at, row.id) else {
            if !self.others.insert(row.id.into()) {
                self.distinct = false;
            }
            return false;
        };
        if std::mem::replace(&mut self.held[i], true) {
            self.distinct = false;
            return false;
        }
        if !(self.template.repeatable(i) && repeats(&self.template.results[i], row)) {
            return false;
        }
        self.at.push(i as u32);
        self.durations.push(row.duration_s);
        true
    }
}

/// Whether `row` is `t` but for its duration (see [`Repeats`]); `t` has one attempt with no
/// text. A duration that is not a time is left to the check of a whole result.
fn repeats(t: &TestResult, row: &TestRow<'_>) -> bool {
    fn same(a: &Option<Name>, b: &Option<Name>) -> bool {
        match (a, b) {
            (None, None) => true,
            (Some(a), Some(b)) => std::sync::Arc::ptr_eq(a, b) || **a == **b,
            _ => false,
        }
    }
    let [suite, classname, file] = row.context;
    row.status == t.status
        && row.attempts.is_none()
        && row.duration_s.is_none_or(|d| d.is_finite() && d >= 0.0)
        && *t.name == *row.name
        && row.line == t.line
        && same(suite, &t.suite)
        && same(classname, &t.classname)
        && same(file, &t.file)
        && *t.tags == row.tags
        && *t.properties == row.properties
}

impl Sink for Whole<'_> {
    /// A row that is the template's row at the same place up to its duration, with the same
    /// context row, is a repeat: its duration alone is read. Anything else (another place,
    /// another context, a test held twice, a duration that is not a time) is read as a row.
    fn test_line(&mut self, line: &[u8]) -> Option<Status> {
        let r = self.repeating.as_mut()?;
        let at = self.rows;
        let (key, x) = r.template.keys().test(at)?;
        let rest = line.strip_prefix(key)?;
        if let Some(x) = x
            && r.same_context.get(x) != Some(&true)
        {
            return None;
        }
        let len = json_number_len(rest)?;
        if &rest[len..] != b"}" || r.held[at] {
            return None;
        }
        let d: f64 = std::str::from_utf8(&rest[..len]).ok()?.parse().ok()?;
        if !(d.is_finite() && d >= 0.0) {
            return None;
        }
        r.held[at] = true;
        r.at.push(at as u32);
        r.durations.push(Some(d));
        self.rows += 1;
        Some(r.template.results[at].status)
    }

    fn context_line(&mut self, index: usize, line: &[u8]) {
        if let Some(r) = &mut self.repeating
            && r.same_context.len() == index
        {
            let same = r.template.keys().context(index) == Some(line);
            r.same_context.push(same);
        }
    }

    fn test(&mut self, row: TestRow<'_>) {
        let at = self.rows;
        self.rows += 1;
        if let Some(r) = &mut self.repeating
            && r.take(at, &row)
        {
            return;
        }
        let [suite, classname, file] = row.context.clone();
        let (id, name) = match self.names {
            Some(n) => n.id_and_name(at, row.id, row.name),
            None => (Name::from(row.id), Name::from(row.name)),
        };
        let TestRow {
            status,
            duration_s,
            line,
            tags,
            properties,
            attempts,
            ..
        } = row;
        self.tests.push(TestResult {
            id,
            suite,
            classname,
            name,
            status,
            attempts: row_attempts(attempts, status, duration_s),
            duration_s,
            file,
            line,
            tags: tags.into(),
            properties: properties.into(),
        });
    }

    fn metric(&mut self, metric: Metric) {
        self.metrics.push(metric);
    }

    /// The shared copy: a context row per class (or per test) made two names for each test
    /// of each run, 160 MB for 200 runs of 10,000 tests.
    fn name(&self, s: &str) -> Name {
        match self.names {
            Some(n) => n.get(s),
            None => Name::from(s),
        }
    }

    fn extra(&mut self, extra: Extra) {
        match extra {
            Extra::Warning(w) => self.warnings.push(w),
            Extra::Source(s) => self.sources.push(s),
            Extra::Property(k, v) => {
                self.properties.insert(k, v);
            }
        }
    }
}

/// A run's rows as this encoding writes them (see [`RowKeys`]): each plain test row that
/// may be repeated (no failure), up to its duration's number, and each context row.
pub fn row_keys(s: &Snapshot) -> RowKeys {
    let bytes = encode(s);
    if u32::try_from(bytes.len()).is_err() {
        // Spans are 32-bit: a template of 4 GiB or more has no row to match by its bytes
        // (its repeats are still found by their fields).
        return RowKeys::new(bytes, vec![None; s.tests.len()], Vec::new());
    }
    let mut tests = Vec::with_capacity(s.tests.len());
    let mut contexts = Vec::new();
    let span = |line: &[u8]| {
        let start = line.as_ptr() as usize - bytes.as_ptr() as usize;
        (start as u32, (start + line.len()) as u32)
    };
    for line in split_lines(&bytes).skip(1) {
        if line.starts_with(b"{\"c\":") {
            contexts.push(span(line));
        } else if line.starts_with(b"{\"t\":") {
            let i = tests.len();
            let key = plain_test_row(line)
                .filter(|row| row.d.is_some())
                .filter(|_| s.tests.get(i).is_some_and(|t| !t.status.is_failure()))
                .and_then(|row| {
                    // A plain row holds `,"d":` once: its name has no quote unescaped.
                    let d = memchr::memmem::rfind(line, b",\"d\":")? + 5;
                    let (start, _) = span(line);
                    Some((start, start + d as u32, row.x))
                });
            tests.push(key);
        }
    }
    RowKeys::new(bytes, tests, contexts)
}

/// Decodes a whole snapshot, its rows and counts checked, pointing ids and names to
/// `names`' copies where it holds them. Its values (times, numbers) are checked as a
/// `regdiff.snapshot/1` file's are by [`super::snapshot::parse`], which every reader of a
/// stored run goes through.
pub fn decode(
    path: &Path,
    bytes: &[u8],
    names: Option<&SharedNames>,
) -> Result<Snapshot, IngestError> {
    Ok(decode_with(path, bytes, names, false)?.expect("read whole"))
}

/// [`decode`], holding the tests that repeat the template of `names` as [`Repeats`]; `None`
/// when the run holds an id twice (read it whole for the check that names the row).
pub fn decode_repeating(
    path: &Path,
    bytes: &[u8],
    names: &SharedNames,
) -> Result<Option<Snapshot>, IngestError> {
    decode_with(path, bytes, Some(names), true)
}

fn decode_with(
    path: &Path,
    bytes: &[u8],
    names: Option<&SharedNames>,
    repeat: bool,
) -> Result<Option<Snapshot>, IngestError> {
    let template = names.and_then(SharedNames::template).filter(|_| repeat);
    let mut whole = Whole {
        names,
        repeating: template.map(|t| Repeating {
            template: t,
            at: Vec::with_capacity(t.len()),
            durations: Vec::with_capacity(t.len()),
            held: vec![false; t.len()],
            others: Default::default(),
            distinct: true,
            same_context: Vec::new(),
        }),
        ..Whole::default()
    };
    // Room for the test rows (this writer starts each with its name), so that the vector is
    // not grown and copied by doubling. A hint: the rows decide, and a file whose rows start
    // otherwise grows the vector, whose unused room is then given back (the runs of a side
    // are held together). Repeats need none.
    if whole.repeating.is_none() {
        whole
            .tests
            .reserve_exact(memchr::memmem::find_iter(bytes, b"\n{\"t\":").count());
    }
    let (header, _) = scan(path, bytes, &mut whole)?;
    whole.tests.shrink_to_fit();
    let repeats = match whole.repeating {
        Some(r) if !r.distinct => return Ok(None),
        Some(r) if !r.at.is_empty() => {
            let (mut at, mut durations) = (r.at, r.durations);
            at.shrink_to_fit();
            durations.shrink_to_fit();
            Some(Box::new(Repeats {
                template: r.template.results.clone(),
                at,
                durations,
            }))
        }
        _ => None,
    };
    let snap = Snapshot {
        schema: SNAPSHOT_SCHEMA.to_string(),
        run: header.run,
        env: header.env,
        tests: whole.tests,
        metrics: whole.metrics,
        warnings: whole.warnings,
        sources: whole.sources,
        properties: whole.properties,
        repeats,
    };
    Ok(Some(snap))
}

/// Reads a run's metadata from the first and the last line of its file, without the rows
/// between.
pub fn read_meta(path: &Path) -> Result<Meta, IngestError> {
    let io = |e| IngestError::io(path, e);
    let mut f = std::fs::File::open(path).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    // The header: the bytes up to the first newline.
    let mut first = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let nl = loop {
        let n = f.read(&mut chunk).map_err(io)?;
        if n == 0 {
            return Err(IngestError::unusable(
                path,
                "the snapshot has no end line: the file was cut short",
            ));
        }
        let before = first.len();
        first.extend_from_slice(&chunk[..n]);
        if let Some(i) = memchr::memchr(b'\n', &first[before..]) {
            break before + i;
        }
    };
    let header = header(path, &first[..nl])?;
    // The end line: the last line (the file ends with a newline). It holds only numbers,
    // so 4 KB always holds it whole.
    let tail_len = len.min(4096);
    f.seek(SeekFrom::Start(len - tail_len)).map_err(io)?;
    let mut tail = vec![0u8; tail_len as usize];
    f.read_exact(&mut tail).map_err(io)?;
    let body = tail.strip_suffix(b"\n").unwrap_or(&tail);
    let start = memchr::memrchr(b'\n', body).map_or(0, |i| i + 1);
    let last = &body[start..];
    #[derive(Deserialize)]
    struct EndIn {
        end: Counts,
    }
    let cut =
        || IngestError::unusable(path, "the snapshot has no end line: the file was cut short");
    if !tail.ends_with(b"\n") || (start == 0 && tail_len == len) {
        return Err(cut());
    }
    let end: EndIn = serde_json::from_slice(last).map_err(|_| cut())?;
    Ok(Meta {
        header,
        counts: end.end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What serde reads of a row, as the fields the fast path fills (or `None` when serde
    /// reads another field, or fails).
    type Plain = (Option<String>, Option<u32>, Option<String>, Option<u64>);

    fn serde_plain(line: &[u8]) -> Option<Plain> {
        let r: RowIn<'_> = serde_json::from_slice(line).ok()?;
        let others = r.id.is_some()
            || r.a.is_some()
            || r.l.is_some()
            || r.g.is_some()
            || r.p.is_some()
            || r.c.is_some()
            || r.m.is_some()
            || r.w.is_some()
            || r.src.is_some()
            || r.prop.is_some()
            || r.end.is_some();
        (!others).then(|| {
            (
                r.t.map(|t| t.0.into_owned()),
                r.x,
                r.s.map(|s| s.0.into_owned()),
                r.d.map(f64::to_bits),
            )
        })
    }

    use proptest::prelude::Strategy as _;

    fn fast_plain(line: &[u8]) -> Option<Plain> {
        let r = plain_test_row(line)?;
        Some((
            r.t.map(|t| t.0.into_owned()),
            r.x,
            r.s.map(|s| s.0.into_owned()),
            r.d.map(f64::to_bits),
        ))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        /// Whatever the fast path reads, serde reads the same (names, contexts, statuses and
        /// durations bit for bit), on rows built from pieces that are near the edges: escapes,
        /// control characters, numbers JSON forbids or serde reads differently, extra
        /// fields, white space.
        #[test]
        fn the_fast_row_reader_reads_what_serde_reads(
            name in proptest::prop_oneof![
                "[a-z_\\[\\]0-9]{0,12}",
                "[a-z\"\\\\\x00-\x1fé]{0,6}",
            ],
            x in proptest::prop_oneof![
                proptest::strategy::Just(String::new()),
                "[0-9]{1,11}".prop_map(|n| format!(",\"x\":{n}")),
                proptest::strategy::Just(",\"x\":-1".to_string()),
            ],
            s in "[pfes\\\\\"]{0,2}",
            d in proptest::prop_oneof![
                proptest::strategy::Just(String::new()),
                proptest::prelude::any::<f64>().prop_map(|v| format!(",\"d\":{v}")),
                "-?[0-9]{1,25}(\\.[0-9]{0,20})?([eE][+-]?[0-9]{0,4})?"
                    .prop_map(|n| format!(",\"d\":{n}")),
                proptest::prop_oneof![
                    proptest::strategy::Just(",\"d\":-0"),
                    proptest::strategy::Just(",\"d\":1e400"),
                    proptest::strategy::Just(",\"d\":NaN"),
                    proptest::strategy::Just(",\"d\":.5"),
                    proptest::strategy::Just(",\"d\":01"),
                    proptest::strategy::Just(",\"d\": 1"),
                    proptest::strategy::Just(",\"d\":null"),
                ].prop_map(str::to_string),
            ],
            tail in proptest::prop_oneof![
                proptest::strategy::Just("}".to_string()),
                proptest::strategy::Just(",\"l\":3}".to_string()),
                proptest::strategy::Just(" }".to_string()),
                proptest::strategy::Just("}x".to_string()),
                proptest::strategy::Just(String::new()),
            ],
        ) {
            let line = format!("{{\"t\":\"{name}\"{x},\"s\":\"{s}\"{d}{tail}");
            if let Some(fast) = fast_plain(line.as_bytes()) {
                proptest::prop_assert_eq!(Some(fast), serde_plain(line.as_bytes()), "{}", line);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// The lines are the ones the standard split gives, the empty ones included (a file
        /// that is empty, ends in a newline or holds blank lines).
        #[test]
        fn lines_are_split_as_the_standard_split_does(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![3 => proptest::prelude::Just(b'\n'), 5 => proptest::prelude::any::<u8>()],
                0..60,
            )
        ) {
            let ours: Vec<&[u8]> = split_lines(&bytes).collect();
            let std: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
            proptest::prop_assert_eq!(ours, std);
        }
    }

    fn context_of(line: &[u8]) -> Option<[Option<String>; 3]> {
        let r: RowIn<'_> = serde_json::from_slice(line).ok()?;
        let c = r.c?;
        Some(c.map(|n| n.map(|t| t.0.into_owned())))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Whatever the fast path reads of a context row, serde reads the same.
        #[test]
        fn the_fast_context_reader_reads_what_serde_reads(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just("null".to_string()),
                    "[a-z_.]{0,8}".prop_map(|n| format!("\"{n}\"")),
                    "[a-z\"\\\\\x00-\x1fé]{0,4}".prop_map(|n| format!("\"{n}\"")),
                    proptest::strategy::Just("nul".to_string()),
                    proptest::strategy::Just(" null".to_string()),
                ],
                2..5,
            ),
            tail in proptest::prop_oneof![
                proptest::strategy::Just("]}".to_string()),
                proptest::strategy::Just("] }".to_string()),
                proptest::strategy::Just("],\"x\":1}".to_string()),
            ],
        ) {
            let line = format!("{{\"c\":[{}{tail}", parts.join(","));
            if let Some(fast) = plain_context_row(line.as_bytes()) {
                let fast = fast.c.map(|c| c.map(|n| n.map(|t| t.0.into_owned())));
                proptest::prop_assert_eq!(fast, context_of(line.as_bytes()), "{}", line);
            }
        }
    }

    #[test]
    fn the_fast_row_reader_takes_the_rows_record_writes() {
        let line = br#"{"c":["suite_0","pkg.C",null]}"#;
        let fast = plain_context_row(line).and_then(|r| r.c);
        assert_eq!(
            fast.map(|c| c.map(|n| n.map(|t| t.0.into_owned()))),
            context_of(line)
        );
        for line in [
            r#"{"t":"test_a[1]","x":0,"s":"p","d":0.123}"#,
            r#"{"t":"b","s":"f"}"#,
            r#"{"t":"c","x":4294967295,"s":"s","d":1e-7}"#,
        ] {
            assert!(fast_plain(line.as_bytes()).is_some(), "{line}");
            assert_eq!(fast_plain(line.as_bytes()), serde_plain(line.as_bytes()));
        }
        for line in [
            r#"{"t":"a"b","s":"p"}"#,
            r#"{"t":"a","x":01,"s":"p"}"#,
            r#"{"t":"a","s":"p","d":1e400}"#,
            r#"{"t":"a","x":4294967296,"s":"p"}"#,
            r#"{"t":"a","s":"p","l":3}"#,
        ] {
            assert!(fast_plain(line.as_bytes()).is_none(), "{line}");
        }
    }

    proptest::proptest! {
        /// The hand-written test row is the row serde writes, for a test with each field
        /// filled or not, the id derived or not, the context given or not.
        #[test]
        fn a_test_row_is_the_row_serde_writes(
            t in crate::model::pretty::tests::test_result(),
            x in proptest::option::of(proptest::prelude::any::<u32>()),
            derived in proptest::prelude::any::<bool>(),
        ) {
            let mut t = t;
            if derived {
                t.id = crate::model::test_id(t.classname.as_deref(), &t.name).into();
            }
            let derived_id = crate::model::test_id(t.classname.as_deref(), &t.name);
            let row = TestOut {
                t: &t.name,
                x,
                s: status_letter(t.status),
                d: t.duration_s,
                id: (*t.id != *derived_id).then_some(t.id.as_ref()),
                a: (!t.implied_attempt()).then_some(t.attempts.as_slice()),
                l: t.line,
                g: &t.tags,
                p: &t.properties,
            };
            let mut out = Vec::new();
            write_test_row(&mut out, &t, x).unwrap();
            proptest::prop_assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(&row).unwrap()
            );
        }
    }

    fn p() -> &'static Path {
        Path::new("s.jsonl")
    }

    fn sample() -> Snapshot {
        let mut s = Snapshot::new();
        s.run.branch = Some("main".into());
        s.run.commit = Some("abc".into());
        s.run.time = Some("2026-01-01T00:00:00Z".into());
        s.env.host = Some("h".into());
        let t = |id: &str, class: Option<&str>, name: &str, status: Status| {
            let mut a = Attempt::new(status);
            a.duration_s = Some(0.25);
            TestResult {
                id: id.into(),
                suite: Some("suite \"one\"".into()),
                classname: class.map(Name::from),
                name: name.into(),
                status,
                attempts: smallvec::smallvec![a],
                duration_s: Some(0.25),
                file: None,
                line: None,
                tags: vec![].into(),
                properties: BTreeMap::new().into(),
            }
        };
        s.tests
            .push(t("a.B::ok", Some("a.B"), "ok", Status::Passed));
        s.tests.push(t("other", None, "other", Status::Skipped));
        let mut bad = t("suite::a.B::bad", Some("a.B"), "bad", Status::Failed);
        bad.attempts.insert(0, Attempt::new(Status::Passed));
        bad.attempts[1].text_mut().message = Some("boom\nline 2 \u{1F600}".into());
        bad.tags = vec!["critical".into()].into();
        bad.line = Some(7);
        bad.properties.insert("k".into(), "v".into());
        s.tests.push(bad);
        let mut odd = t("x", Some("a.B"), "x", Status::Passed);
        odd.duration_s = None;
        s.tests.push(odd);
        s.metrics.push(Metric::new(
            "bench/a",
            "s",
            crate::model::Better::Lower,
            vec![1.0, 2.5e-9],
        ));
        s.warnings.push("w1".into());
        s.sources.push("junit.xml".into());
        s.properties.insert("suite / p".into(), "1".into());
        s
    }

    #[test]
    fn a_snapshot_round_trips_exactly() {
        let s = sample();
        let bytes = encode(&s);
        let text = std::str::from_utf8(&bytes).unwrap();
        assert!(
            text.starts_with("{\"schema\":\"regdiff.snapshot-lines/1\""),
            "{text}"
        );
        assert!(
            text.contains("{\"t\":\"ok\",\"x\":0,\"s\":\"p\",\"d\":0.25}\n"),
            "{text}"
        );
        assert_eq!(decode(p(), &bytes, None).unwrap(), s);
    }

    #[test]
    fn the_meta_is_read_from_the_first_and_last_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        std::fs::write(&path, encode(&sample())).unwrap();
        let m = read_meta(&path).unwrap();
        assert_eq!(m.header.run.branch.as_deref(), Some("main"));
        assert_eq!(
            m.counts,
            Counts {
                tests: 4,
                metrics: 1,
                passed: 2,
                failed: 1,
                errored: 0,
                skipped: 1,
                warnings: 1
            }
        );
        // Cut short: no end line.
        let bytes = encode(&sample());
        let cut = &bytes[..bytes.len() - 30];
        std::fs::write(&path, cut).unwrap();
        let e = read_meta(&path).unwrap_err().to_string();
        assert!(e.contains("cut short"), "{e}");
        assert!(
            decode(p(), cut, None)
                .unwrap_err()
                .to_string()
                .contains("cut short")
        );
    }

    #[test]
    fn broken_rows_name_their_line() {
        let bytes = encode(&sample());
        let text = String::from_utf8(bytes).unwrap();
        let edited = text.replace("\"s\":\"f\"", "\"s\":\"q\"");
        let e = decode(p(), edited.as_bytes(), None)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("s.jsonl:"), "{e}");
        assert!(e.contains("needs a status"), "{e}");
        let dropped: String = text
            .lines()
            .filter(|l| !l.contains("\"other\""))
            .map(|l| format!("{l}\n"))
            .collect();
        let e = decode(p(), dropped.as_bytes(), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("the end line counts 4 tests"), "{e}");
        let foreign = text.replacen("{\"t\":\"ok\"", "{\"zz\":1,\"q\":\"ok\"", 1);
        let e = decode(p(), foreign.as_bytes(), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no known kind"), "{e}");
        let newer = text.replacen("snapshot-lines/1", "snapshot-lines/9", 1);
        let e = decode(p(), newer.as_bytes(), None).unwrap_err().to_string();
        assert!(
            e.contains("`regdiff.snapshot-lines/9` is not supported"),
            "{e}"
        );
    }
}
