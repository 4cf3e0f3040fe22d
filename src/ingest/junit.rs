//! JUnit XML, read as a stream (never the whole document in memory).
//!
//! One reader serves the common dialects, because they differ in what they add rather than
//! in what they change:
//!
//! * roots `<testsuites>` or a bare `<testsuite>`; suites nest (PHPUnit); the innermost
//!   suite name is the test's suite;
//! * `<testcase name classname time file line>` with `<failure>`, `<error>` or `<skipped>`
//!   (message, type and body), `<system-out>`/`<system-err>` (kept bounded), `<properties>`;
//! * Maven Surefire and cargo-nextest retries: `<flakyFailure>`/`<flakyError>` are failed
//!   attempts of a test that finally passed; `<rerunFailure>`/`<rerunError>` are further
//!   failed attempts of a test that failed;
//! * a test case repeated with the same suite, class and name in one run is a retry
//!   (go-junit-report, gotestsum `--rerun-fails`, pytest-rerunfailures): its repetitions
//!   become attempts, in file order, and the run's warnings say so;
//! * Google Test's `status="notrun"` / `result="skipped"` and CTest's `status="disabled"`
//!   mean skipped;
//! * times with thousands separators, ISO-8601 durations, or missing (unknown, not zero).
//!
//! What cannot be read is an error naming the file, line and column; what can be repaired
//! (invalid UTF-8, control characters, huge text) is read with a counted warning.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufRead;
use std::path::Path;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::RunBuilder;
use super::sanitize::{Sanitizer, line_columns};
use super::text::{BoundedText, bound, parse_seconds};
use crate::error::IngestError;
use crate::model::{Attempt, AttemptText, Name, Status};

const MESSAGE_HEAD: usize = 12 << 10;
const MESSAGE_TAIL: usize = 4 << 10;
const TRACE_HEAD: usize = 48 << 10;
const TRACE_TAIL: usize = 16 << 10;
const OUTPUT_HEAD: usize = 8 << 10;
const OUTPUT_TAIL: usize = 8 << 10;

/// Property names whose values are read as tags (comma or white-space separated).
const TAG_PROPERTIES: &[&str] = &["tag", "tags", "category", "categories", "marker", "markers"];

/// A position-carrying warning, turned into `file:line:col: message` at the end.
struct PendingWarning {
    offset: u64,
    message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResultKind {
    Failure,
    Error,
    Skipped,
    FlakyFailure,
    FlakyError,
    RerunFailure,
    RerunError,
}

impl ResultKind {
    fn from_name(name: &[u8]) -> Option<Self> {
        Some(match name {
            b"failure" => ResultKind::Failure,
            b"error" => ResultKind::Error,
            b"skipped" => ResultKind::Skipped,
            b"flakyFailure" => ResultKind::FlakyFailure,
            b"flakyError" => ResultKind::FlakyError,
            b"rerunFailure" => ResultKind::RerunFailure,
            b"rerunError" => ResultKind::RerunError,
            _ => return None,
        })
    }

    fn status(self) -> Status {
        match self {
            ResultKind::Failure | ResultKind::FlakyFailure | ResultKind::RerunFailure => {
                Status::Failed
            }
            ResultKind::Error | ResultKind::FlakyError | ResultKind::RerunError => Status::Errored,
            ResultKind::Skipped => Status::Skipped,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutKind {
    Out,
    Err,
}

struct ResultDraft {
    kind: ResultKind,
    message: Option<String>,
    failure_type: Option<String>,
    time: Option<f64>,
    body: BoundedText,
    stack: BoundedText,
    stdout: BoundedText,
    stderr: BoundedText,
}

struct CaseDraft {
    offset: u64,
    suite: Option<Name>,
    classname: Option<Name>,
    name: Name,
    time: Option<f64>,
    file: Option<Name>,
    line: Option<u32>,
    not_run: bool,
    results: Vec<ResultDraft>,
    stdout: BoundedText,
    stderr: BoundedText,
    properties: BTreeMap<String, String>,
}

/// What an open element is, for routing its text and children.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    Suites,
    Suite,
    Case,
    Result,
    StackTrace,
    Output(OutKind),
    Properties,
    Property,
    /// Anything else; its content is skipped (and counted when inside a test case).
    Other,
}

struct Parser<'a> {
    source: &'a str,
    builder: &'a mut RunBuilder,
    /// Open elements: what they are, where they opened, their name (for messages).
    frames: Vec<(Frame, u64, Cow<'static, str>)>,
    /// Names of the open `<testsuite>` elements, innermost last.
    suites: Vec<Option<Name>>,
    /// What each open `<testsuite>` declares and what it holds (same order as `suites`).
    suite_counts: Vec<SuiteCount>,
    case: Option<CaseDraft>,
    warnings: Vec<PendingWarning>,
    ignored: BTreeMap<String, u64>,
    unknown_entities: u64,
    /// Attributes given twice on one element.
    duplicate_attributes: u64,
    /// Suites whose declared counts are not numbers.
    bad_suite_counts: u64,
    cases_read: u64,
    property: Option<PropertyDraft>,
    /// jest-junit todo tests recognised by their suite's count.
    todo_inferred: u64,
    /// The first pass of a streamed read (see [`super::stream`]): a case is only its id and
    /// a count, so its results, text and attributes beyond `name` and `classname` are not
    /// read. Everything that can fail the read is still checked.
    scanning: bool,
    /// Inside a `<testcase>` while scanning (no draft is kept).
    in_scanned_case: bool,
}

/// The counts a `<testsuite>` declares in its attributes, and what its test cases (nested
/// suites included) turned out to hold. Producers differ in what they count: retries as
/// one test or as several, Google Test's disabled tests apart from skipped ones. A count is
/// reported only when it matches none of those readings; the test cases always win.
#[derive(Default)]
struct SuiteCount {
    offset: u64,
    tests: Option<u64>,
    failures: Option<u64>,
    errors: Option<u64>,
    skipped: Option<u64>,
    disabled: Option<u64>,
    /// `<testcase>` elements.
    elements: u64,
    /// Elements that were not a repetition (retry) of an earlier one.
    distinct: u64,
    /// Elements whose own outcome is failed or errored.
    failing: u64,
    /// Elements whose own outcome is skipped.
    skipped_seen: u64,
    /// Elements that passed with nothing in them and a time of exactly 0: how jest-junit
    /// writes a `test.todo` test (and, alike, a pass under a millisecond).
    bare_zero: u64,
    /// The builder's indices of those test cases (while few enough to keep).
    bare_zero_at: Vec<usize>,
    /// The builder's repeat mark when the suite opened.
    repeats_mark: usize,
}

impl SuiteCount {
    /// What the suite declares, and the first declared count that is not a number, if any.
    fn declared(attrs: &Attrs<'_>, offset: u64) -> (Self, Option<String>) {
        let count = |key: &str| attrs.get(key).and_then(|v| v.trim().parse::<u64>().ok());
        let bad = ["tests", "failures", "errors", "skipped", "skips", "disabled"]
            .iter()
            .find_map(|key| {
                let v = attrs.get(key)?;
                v.trim().parse::<u64>().is_err().then(|| {
                    format!(
                        "the suite's `{key}=\"{}\"` is not a count; it is not checked against the test cases",
                        v.chars().take(40).collect::<String>()
                    )
                })
            });
        let count = SuiteCount {
            offset,
            tests: count("tests"),
            failures: count("failures"),
            errors: count("errors"),
            skipped: count("skipped").or_else(|| count("skips")),
            disabled: count("disabled"),
            ..SuiteCount::default()
        };
        (count, bad)
    }

    /// What disagrees with the test cases, if anything.
    fn disagreement(&self) -> Option<String> {
        let mut said = Vec::new();
        let mut held = Vec::new();
        if let Some(t) = self.tests
            && t != self.elements
            && t != self.distinct
        {
            said.push(format!("tests=\"{t}\""));
            held.push(if self.elements == self.distinct {
                format!("{} test cases", self.elements)
            } else {
                format!("{} test cases ({} distinct)", self.elements, self.distinct)
            });
        }
        if self.failures.is_some() || self.errors.is_some() {
            let declared = self
                .failures
                .unwrap_or(0)
                .saturating_add(self.errors.unwrap_or(0));
            if declared != self.failing {
                said.push(format!("failures+errors={declared}"));
                held.push(format!("{} failed or errored", self.failing));
            }
        }
        if let Some(s) = self.skipped {
            let with_disabled = s.saturating_add(self.disabled.unwrap_or(0));
            if s != self.skipped_seen && with_disabled != self.skipped_seen {
                said.push(format!("skipped={s}"));
                held.push(format!("{} skipped", self.skipped_seen));
            }
        }
        if said.is_empty() {
            return None;
        }
        // jest-junit leaves `test.todo` tests out of `tests` but writes each as an empty
        // test case that cannot be told from a pass.
        let todo = match self.tests {
            Some(t) if t < self.distinct && self.elements == self.distinct => {
                let surplus = self.distinct - t;
                (surplus <= self.bare_zero).then(|| {
                    format!(
                        "; {surplus} test case(s) more than the suite counts, and {} empty ones with time 0: jest-junit writes `test.todo` tests so, and they cannot be told from passes (read as passed; jest's console counts {surplus} as todo)",
                        self.bare_zero
                    )
                })
            }
            _ => None,
        };
        Some(format!(
            "the suite declares {} but holds {}; the test cases are used{}",
            said.join(", "),
            held.join(", "),
            todo.unwrap_or_default()
        ))
    }
}

/// A `<property>` being read: its value is the `value` attribute, else the element's text.
struct PropertyDraft {
    name: String,
    value: Option<String>,
    text: BoundedText,
}

/// Reads one JUnit XML file into `builder` (one run may span several files).
pub fn read_file(path: &Path, builder: &mut RunBuilder) -> Result<(), IngestError> {
    if let Ok(meta) = std::fs::metadata(path)
        && meta.is_file()
    {
        // A bare passing test case takes 50 to 100 bytes: reserve for 64, capped. Room
        // reserved and never used is never touched, so it costs no memory; too little
        // room costs a copy of every test read so far.
        builder.reserve(((meta.len() / 64) as usize).min(4_000_000));
    }
    let file = super::input::open(path)?;
    let source = path.display().to_string();
    let scanning = builder.is_scanning();
    let mut parser = Parser {
        source: &source,
        builder,
        frames: Vec::new(),
        suites: Vec::new(),
        suite_counts: Vec::new(),
        case: None,
        warnings: Vec::new(),
        ignored: BTreeMap::new(),
        unknown_entities: 0,
        duplicate_attributes: 0,
        bad_suite_counts: 0,
        cases_read: 0,
        property: None,
        todo_inferred: 0,
        scanning,
        in_scanned_case: false,
    };
    let mut reader = Reader::from_reader(Sanitizer::new(file));
    reader.config_mut().check_end_names = true;
    let outcome = parser.run(&mut reader);
    let sanitizer = reader.get_ref();
    // Map every position to line:column in one pass over the original file.
    let repairs = sanitizer.repairs().clone();
    let mut offsets: Vec<u64> = parser.warnings.iter().map(|w| w.offset).collect();
    let err_offset = match &outcome {
        Err(ParseFailure::At { offset, .. }) => Some(sanitizer.original_offset(*offset)),
        _ => None,
    };
    offsets.extend(err_offset);
    offsets.extend(repairs.first_invalid_utf8);
    offsets.extend(repairs.first_control_char);
    offsets.extend(repairs.omissions.iter().map(|o| o.original_offset));
    // A stream cannot be read again to turn byte offsets into lines: its positions are bytes.
    let stream = super::input::kind(path)? == super::input::Kind::Stream;
    let positions = if offsets.is_empty() || stream {
        Vec::new()
    } else {
        let f = File::open(path).map_err(|e| IngestError::io(path, e))?;
        line_columns(f, &offsets).map_err(|e| IngestError::io(path, e))?
    };
    let mut pos = positions.into_iter();
    let at = |p: Option<(u64, u64)>, offset: u64| match p {
        Some((l, c)) => format!("{source}:{l}:{c}"),
        None if stream => format!("{source}: at byte {}", offset + 1),
        None => source.clone(),
    };
    let mut messages: Vec<String> = Vec::new();
    for w in std::mem::take(&mut parser.warnings) {
        messages.push(format!("{}: {}", at(pos.next(), w.offset), w.message));
    }
    if let Some(off) = err_offset
        && stream
        && let Err(ParseFailure::At { message, .. }) = &outcome
    {
        return Err(IngestError::unusable(
            path,
            format!("at byte {}: {message}", off + 1),
        ));
    }
    if let Some(off) = err_offset {
        let (line, column) = pos.next().unwrap_or((1, off + 1));
        if let Err(ParseFailure::At { message, .. }) = outcome {
            return Err(IngestError::Syntax {
                path: path.to_path_buf(),
                line,
                column,
                message,
            });
        }
    }
    if let Err(ParseFailure::Unusable(message)) = outcome {
        return Err(IngestError::unusable(path, message));
    }
    if repairs.first_invalid_utf8.is_some() {
        messages.push(format!(
            "{}: {} byte(s) of invalid UTF-8 replaced with `?` (first here)",
            at(pos.next(), repairs.first_invalid_utf8.unwrap_or(0)),
            repairs.invalid_utf8_bytes
        ));
    }
    if repairs.first_control_char.is_some() {
        messages.push(format!(
            "{}: {} control character(s) that XML 1.0 forbids replaced with `?` (first here)",
            at(pos.next(), repairs.first_control_char.unwrap_or(0)),
            repairs.control_chars
        ));
    }
    for om in &repairs.omissions {
        messages.push(format!(
            "{}: a run of {} bytes without markup was too long to keep; its middle was left out",
            at(pos.next(), om.original_offset),
            om.omitted
        ));
    }
    for (name, count) in &parser.ignored {
        messages.push(format!(
            "{source}: element <{name}> inside test cases is not read ({count} time(s))"
        ));
    }
    if parser.unknown_entities > 0 {
        messages.push(format!(
            "{source}: {} unknown entity reference(s) kept as written",
            parser.unknown_entities
        ));
    }
    if parser.todo_inferred > 0 {
        messages.push(format!(
            "{source}: {} empty test case(s) with time 0 read as todo (skipped): their suites' `tests` counts leave out exactly these, as jest-junit does for `test.todo`",
            parser.todo_inferred
        ));
    }
    if parser.bad_suite_counts > 1 {
        messages.push(format!(
            "{source}: {} suite(s) in all declare counts that are not numbers",
            parser.bad_suite_counts
        ));
    }
    if parser.duplicate_attributes > 1 {
        messages.push(format!(
            "{source}: {} attribute(s) given twice on one element in all; the first value of each is used",
            parser.duplicate_attributes
        ));
    }
    if parser.cases_read == 0 {
        messages.push(format!("{source}: the report holds no test cases"));
    }
    parser.builder.warnings.extend(messages);
    Ok(())
}

/// A `<testcase>` without a name: the read fails.
fn no_name(offset: u64) -> ParseFailure {
    ParseFailure::At {
        offset,
        message: "<testcase> has no `name` attribute, so the test has no identity".into(),
    }
}

enum ParseFailure {
    At { offset: u64, message: String },
    Unusable(String),
}

impl<'a> Parser<'a> {
    fn run<R: BufRead>(&mut self, reader: &mut Reader<R>) -> Result<(), ParseFailure> {
        let mut buf = Vec::with_capacity(4096);
        let mut seen_root = false;
        loop {
            buf.clear();
            let event = match reader.read_event_into(&mut buf) {
                Ok(e) => e,
                Err(e) => {
                    return Err(ParseFailure::At {
                        offset: reader.error_position(),
                        message: format!("not well-formed XML: {e}"),
                    });
                }
            };
            let offset = reader.buffer_position();
            match event {
                Event::Start(e) => {
                    self.check_root(&e, &mut seen_root)?;
                    self.open(&e, offset)?;
                }
                Event::Empty(e) => {
                    self.check_root(&e, &mut seen_root)?;
                    self.open(&e, offset)?;
                    self.close(offset)?;
                }
                Event::End(_) => self.close(offset)?,
                // The first pass of a streamed read keeps no text but a property's.
                Event::Text(_) | Event::CData(_) if self.skips_text(seen_root) => {}
                Event::Text(t) => {
                    let text = t.xml10_content();
                    if !seen_root && !text.trim().is_empty() {
                        let start: String = text.trim().chars().take(20).collect();
                        return Err(ParseFailure::At {
                            offset: reader.buffer_position() - t.len() as u64,
                            message: format!(
                                "text `{start}` before any element: not an XML document (expected a JUnit report)"
                            ),
                        });
                    }
                    self.text(&text);
                }
                Event::CData(t) => {
                    let text = t.xml10_content();
                    self.text(&text);
                }
                Event::GeneralRef(r) => {
                    let resolved = if r.is_char_ref() {
                        match r.resolve_char_ref() {
                            Ok(Some(c)) => Some(c.to_string()),
                            _ => None,
                        }
                    } else {
                        let name = r.xml10_content();
                        quick_xml::escape::resolve_predefined_entity(&name).map(str::to_string)
                    };
                    match resolved {
                        Some(s) => self.text(&s),
                        None => {
                            self.unknown_entities += 1;
                            let raw = format!("&{};", r.xml10_content());
                            self.text(&raw);
                        }
                    }
                }
                Event::Eof => break,
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
            }
        }
        if !seen_root {
            return Err(ParseFailure::Unusable(
                "no XML element found: expected a JUnit report with a <testsuites> or <testsuite> root"
                    .into(),
            ));
        }
        if let Some((_, opened, name)) = self.frames.last() {
            return Err(ParseFailure::At {
                offset: *opened,
                message: format!(
                    "unexpected end of file: <{name}> opened here is never closed (is the file truncated?)"
                ),
            });
        }
        Ok(())
    }

    /// Whether text here is of no use: in the first pass of a streamed read, inside the
    /// root and outside a `<property>`.
    fn skips_text(&self, seen_root: bool) -> bool {
        self.scanning
            && seen_root
            && self
                .frames
                .last()
                .is_some_and(|(f, _, _)| *f != Frame::Property)
    }

    fn check_root(&self, e: &BytesStart, seen_root: &mut bool) -> Result<(), ParseFailure> {
        if *seen_root {
            if self.frames.is_empty() {
                return Err(ParseFailure::Unusable(format!(
                    "a second root element <{}> after the end of the report",
                    e.name().as_ref()
                )));
            }
            return Ok(());
        }
        *seen_root = true;
        match e.local_name().as_ref() {
            "testsuites" | "testsuite" => Ok(()),
            other => Err(ParseFailure::Unusable(format!(
                "root element is <{other}>, not a JUnit report (expected <testsuites> or <testsuite>)"
            ))),
        }
    }

    /// The attributes of an element, values decoded (borrowed unless an entity was resolved).
    fn attributes<'e>(&mut self, e: &'e BytesStart, offset: u64) -> Attrs<'e> {
        let mut pairs = smallvec::SmallVec::new();
        for attr in e.attributes().with_checks(false) {
            match attr {
                Ok(a) => {
                    let value = match a.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
                        Ok(v) => v,
                        Err(_) => {
                            self.warnings.push(PendingWarning {
                                offset,
                                message: format!(
                                    "attribute `{}` has an unknown entity; kept as written",
                                    a.key.as_ref()
                                ),
                            });
                            a.value.clone()
                        }
                    };
                    if pairs.iter().any(|(k, _)| *k == a.key) {
                        // quick-xml's check is off (it would stop the file); say it here,
                        // once with a count (see `read_file`).
                        self.duplicate_attributes += 1;
                        if self.duplicate_attributes == 1 {
                            self.warnings.push(PendingWarning {
                                offset,
                                message: format!(
                                    "attribute `{}` is given twice on one element; the first value is used (first here)",
                                    a.key.as_ref()
                                ),
                            });
                        }
                        continue;
                    }
                    pairs.push((a.key, value));
                }
                Err(err) => self.warnings.push(PendingWarning {
                    offset,
                    message: format!("malformed attribute skipped: {err}"),
                }),
            }
        }
        Attrs { pairs }
    }

    fn current_suite(&self) -> Option<Name> {
        self.suites.last().cloned().flatten()
    }

    fn open(&mut self, e: &BytesStart, offset: u64) -> Result<(), ParseFailure> {
        let raw_name = e.local_name();
        let name_bytes = raw_name.as_ref().as_bytes();
        let parent = self.frames.last().map(|(f, _, _)| *f);
        let elem_name: Cow<'static, str> = match static_name(name_bytes) {
            Some(n) => Cow::Borrowed(n),
            None => Cow::Owned(raw_name.as_ref().to_string()),
        };
        let frame = match (parent.as_ref(), name_bytes) {
            (None, b"testsuites") => Frame::Suites,
            (None | Some(Frame::Suites) | Some(Frame::Suite), b"testsuite") => {
                let attrs = self.attributes(e, offset);
                if let Some(host) = attrs.get("hostname").filter(|h| !h.is_empty()) {
                    self.builder
                        .env_host
                        .get_or_insert_with(|| host.to_string());
                }
                if let Some(ts) = attrs.get("timestamp").filter(|t| !t.is_empty()) {
                    self.builder.time.get_or_insert_with(|| ts.to_string());
                }
                let name = attrs.get("name").map(|n| self.builder.name(n));
                self.suites.push(name);
                let (mut count, bad) = SuiteCount::declared(&attrs, offset);
                if let Some(message) = bad {
                    self.bad_suite_counts += 1;
                    if self.bad_suite_counts == 1 {
                        self.warnings.push(PendingWarning { offset, message });
                    }
                }
                count.repeats_mark = self.builder.repeats_mark();
                self.suite_counts.push(count);
                self.builder.suite_opened();
                Frame::Suite
            }
            (Some(Frame::Suite) | Some(Frame::Suites), b"testcase") => {
                self.start_case(e, offset)?;
                Frame::Case
            }
            (Some(Frame::Case), n) if self.scanning && ResultKind::from_name(n).is_some() => {
                Frame::Result
            }
            (Some(Frame::Case), n) if ResultKind::from_name(n).is_some() => {
                let kind = ResultKind::from_name(n).unwrap_or(ResultKind::Failure);
                let attrs = self.attributes(e, offset);
                let time = self.time_attr(attrs.get("time"), offset);
                let draft = ResultDraft {
                    kind,
                    message: attrs
                        .get("message")
                        .map(|m| bound(m, MESSAGE_HEAD, MESSAGE_TAIL)),
                    failure_type: attrs
                        .get("type")
                        .filter(|t| !t.is_empty())
                        .map(str::to_string),
                    time,
                    body: BoundedText::new(TRACE_HEAD, TRACE_TAIL),
                    stack: BoundedText::new(TRACE_HEAD, TRACE_TAIL),
                    stdout: BoundedText::new(OUTPUT_HEAD, OUTPUT_TAIL),
                    stderr: BoundedText::new(OUTPUT_HEAD, OUTPUT_TAIL),
                };
                if let Some(case) = self.case.as_mut() {
                    case.results.push(draft);
                }
                Frame::Result
            }
            (Some(Frame::Result), b"stackTrace") => Frame::StackTrace,
            (Some(Frame::Result) | Some(Frame::Case), b"system-out") => Frame::Output(OutKind::Out),
            (Some(Frame::Result) | Some(Frame::Case), b"system-err") => Frame::Output(OutKind::Err),
            (Some(Frame::Suites) | Some(Frame::Suite), b"system-out" | b"system-err") => {
                Frame::Other
            }
            (Some(Frame::Case) | Some(Frame::Suite) | Some(Frame::Suites), b"properties") => {
                Frame::Properties
            }
            (Some(Frame::Properties), b"property") => {
                let attrs = self.attributes(e, offset);
                self.property = attrs.get("name").map(|name| PropertyDraft {
                    name: name.to_string(),
                    value: attrs.get("value").map(str::to_string),
                    text: BoundedText::new(MESSAGE_HEAD, MESSAGE_TAIL),
                });
                if self.property.is_none() {
                    self.warnings.push(PendingWarning {
                        offset,
                        message: "<property> without a `name` attribute skipped".into(),
                    });
                }
                Frame::Property
            }
            (Some(Frame::Case), _) | (Some(Frame::Result), _) => {
                *self.ignored.entry(elem_name.to_string()).or_insert(0) += 1;
                Frame::Other
            }
            (Some(Frame::Other), _) | (Some(Frame::Property), _) => Frame::Other,
            (Some(Frame::StackTrace) | Some(Frame::Output(_)), _) => Frame::Other,
            (Some(_), _) => Frame::Other,
            (None, _) => Frame::Other,
        };
        self.frames.push((frame, offset, elem_name));
        Ok(())
    }

    fn time_attr(&mut self, raw: Option<&str>, offset: u64) -> Option<f64> {
        let raw = raw?;
        match parse_seconds(raw) {
            Ok(t) => t,
            Err(msg) => {
                self.warnings.push(PendingWarning {
                    offset,
                    message: format!("{msg}; the duration is read as unknown"),
                });
                None
            }
        }
    }

    fn start_case(&mut self, e: &BytesStart, offset: u64) -> Result<(), ParseFailure> {
        if self.scanning {
            return self.scan_case(e, offset);
        }
        let attrs = self.attributes(e, offset);
        let Some(name) = attrs.get("name") else {
            return Err(no_name(offset));
        };
        let name = Name::from(name);
        let time = self.time_attr(attrs.get("time"), offset);
        let line = match attrs.get("line") {
            Some(l) => match l.trim().parse::<u32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    self.warnings.push(PendingWarning {
                        offset,
                        message: format!("line `{l}` is not a line number; ignored"),
                    });
                    None
                }
            },
            None => None,
        };
        // Google Test: `status="notrun"`, `result="skipped"|"suppressed"`; CTest:
        // `status="disabled"` (with no <skipped> child) and `status="notrun"`.
        let not_run = attrs
            .get("status")
            .is_some_and(|s| s == "notrun" || s == "disabled")
            || attrs
                .get("result")
                .is_some_and(|r| r == "skipped" || r == "suppressed");
        self.case = Some(CaseDraft {
            offset,
            suite: self.current_suite(),
            classname: attrs
                .get("classname")
                .filter(|c| !c.is_empty())
                .map(|c| self.builder.name(c)),
            name,
            time,
            file: attrs
                .get("file")
                .filter(|f| !f.is_empty())
                .map(|f| self.builder.name(f)),
            line,
            not_run,
            results: Vec::new(),
            stdout: BoundedText::new(OUTPUT_HEAD, OUTPUT_TAIL),
            stderr: BoundedText::new(OUTPUT_HEAD, OUTPUT_TAIL),
            properties: BTreeMap::new(),
        });
        Ok(())
    }

    /// A `<testcase>` in the first pass of a streamed read: its `name` and `classname` as
    /// [`Self::attributes`] decodes them (the first of a repeated attribute, the raw value
    /// when an entity is unknown), and no other attribute. Warnings are the second pass's.
    fn scan_case(&mut self, e: &BytesStart, offset: u64) -> Result<(), ParseFailure> {
        let (mut name, mut classname) = (None, None);
        for a in e.attributes().with_checks(false).flatten() {
            let slot = match a.key.as_ref() {
                "name" => &mut name,
                "classname" => &mut classname,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(
                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .unwrap_or_else(|_| a.value.clone()),
                );
            }
        }
        let Some(name) = name else {
            return Err(no_name(offset));
        };
        let classname = classname.as_deref().filter(|c| !c.is_empty());
        self.builder.scan_case(classname, &name);
        self.in_scanned_case = true;
        Ok(())
    }

    fn text(&mut self, s: &str) {
        let Some((frame, _, _)) = self.frames.last() else {
            return;
        };
        if *frame == Frame::Property {
            if let Some(p) = self.property.as_mut() {
                p.text.push(s);
            }
            return;
        }
        let Some(case) = self.case.as_mut() else {
            return;
        };
        let in_result = self
            .frames
            .iter()
            .rev()
            .nth(1)
            .is_some_and(|(f, _, _)| *f == Frame::Result);
        match frame {
            Frame::Result => {
                if let Some(r) = case.results.last_mut() {
                    r.body.push(s);
                }
            }
            Frame::StackTrace => {
                if let Some(r) = case.results.last_mut() {
                    r.stack.push(s);
                }
            }
            Frame::Output(kind) if in_result => {
                if let Some(r) = case.results.last_mut() {
                    match kind {
                        OutKind::Out => r.stdout.push(s),
                        OutKind::Err => r.stderr.push(s),
                    }
                }
            }
            Frame::Output(OutKind::Out) => case.stdout.push(s),
            Frame::Output(OutKind::Err) => case.stderr.push(s),
            _ => {}
        }
    }

    fn close(&mut self, _offset: u64) -> Result<(), ParseFailure> {
        let Some((frame, _, _)) = self.frames.pop() else {
            return Ok(());
        };
        if frame == Frame::Suite {
            self.suites.pop();
            let count = self.suite_counts.pop();
            // Only a suite that declares fewer tests than it holds cases can change them at
            // its end (as reruns or todo tests).
            let may_revise = count
                .as_ref()
                .is_some_and(|c| c.tests.is_some_and(|t| t < c.elements));
            if let Some(count) = count {
                // pytest-rerunfailures' shape: the suite counts a rerun test once, and its
                // earlier attempts are bare test cases. Without that count, repeated cases
                // keep their own outcomes.
                if count.tests == Some(count.distinct) && count.elements > count.distinct {
                    self.builder.read_repeats_as_reruns(count.repeats_mark);
                }
                // jest-junit's todo tests, when the suite's count singles them out: exactly
                // as many empty zero-time cases as the count leaves out.
                let todo = match count.tests {
                    Some(t) if t < count.distinct && count.elements == count.distinct => {
                        count.distinct - t == count.bare_zero
                            && count.bare_zero_at.len() as u64 == count.bare_zero
                    }
                    _ => false,
                };
                if todo {
                    self.todo_inferred += self.builder.mark_todo(&count.bare_zero_at);
                } else if let Some(message) = count.disagreement() {
                    self.warnings.push(PendingWarning {
                        offset: count.offset,
                        message,
                    });
                }
            }
            self.builder.suite_closed(may_revise);
        }
        if frame == Frame::Case
            && let Some(case) = self.case.take()
        {
            self.finish_case(case);
        }
        if frame == Frame::Case && self.in_scanned_case {
            // What `push_case` counts of a case that the first pass can use: a counting
            // builder takes every case as a new test.
            self.in_scanned_case = false;
            self.cases_read += 1;
            for count in &mut self.suite_counts {
                count.elements += 1;
                count.distinct += 1;
            }
        }
        if frame == Frame::Property && self.in_scanned_case {
            // A case's property belongs to a test, which the first pass does not keep.
            self.property = None;
        }
        if frame == Frame::Property
            && let Some(p) = self.property.take()
        {
            let value = p
                .value
                .unwrap_or_else(|| p.text.finish().trim().to_string());
            // A repeated name (several `tag` properties) keeps every value.
            let insert = |map: &mut BTreeMap<String, String>, key: String, value: String| {
                map.entry(key)
                    .and_modify(|v| {
                        v.push_str(", ");
                        v.push_str(&value);
                    })
                    .or_insert(value);
            };
            match self.case.as_mut() {
                Some(case) => insert(&mut case.properties, p.name, value),
                None => {
                    let suite = self.current_suite();
                    let suite = suite.as_deref().unwrap_or_default();
                    insert(
                        &mut self.builder.properties,
                        format!("{suite}/{}", p.name),
                        value,
                    );
                }
            }
        }
        Ok(())
    }

    fn finish_case(&mut self, case: CaseDraft) {
        self.cases_read += 1;
        let mut flaky = Vec::new();
        let mut reruns = Vec::new();
        let mut main: Option<ResultDraft> = None;
        let mut extra_results = 0;
        for r in case.results {
            match r.kind {
                ResultKind::FlakyFailure | ResultKind::FlakyError => flaky.push(r),
                ResultKind::RerunFailure | ResultKind::RerunError => reruns.push(r),
                _ => {
                    // Several result elements (pytest writes <skipped/> and a teardown <error>
                    // for one test): the most severe one decides, the others are counted.
                    let severity = |k: ResultKind| match k {
                        ResultKind::Skipped => 0,
                        _ => 1,
                    };
                    match &main {
                        None => main = Some(r),
                        Some(m) => {
                            extra_results += 1;
                            if severity(r.kind) > severity(m.kind) {
                                main = Some(r);
                            }
                        }
                    }
                }
            }
        }
        if extra_results > 0 {
            self.warnings.push(PendingWarning {
                offset: case.offset,
                message: format!(
                    "test `{}` has {} result elements; the most severe ({}) decides its status",
                    case.name,
                    extra_results + 1,
                    main.as_ref()
                        .map(|m| m.kind.status().as_str())
                        .unwrap_or("?")
                ),
            });
        }
        if main.is_none() && !reruns.is_empty() {
            // Reruns happen only after a failure; the first failure's element is missing.
            self.warnings.push(PendingWarning {
                offset: case.offset,
                message: format!(
                    "test `{}` has rerun elements but no <failure> or <error>; its first attempt is read as failed",
                    case.name
                ),
            });
            let mut first = Attempt::new(Status::Failed);
            first.text_mut().message =
                Some("[regdiff] no result element for the first attempt, but it was rerun".into());
            first.duration_s = case.time;
            let mut attempts = vec![first];
            attempts.extend(reruns.into_iter().map(|r| draft_attempt(r, None)));
            self.push_case(
                case.suite,
                case.classname,
                case.name,
                attempts,
                case.file,
                case.line,
                case.properties,
                case.offset,
            );
            return;
        }
        let case_stdout = case.stdout.finish_nonblank();
        let case_stderr = case.stderr.finish_nonblank();
        let mut final_attempt = match main {
            Some(r) => draft_attempt(r, case.time),
            None => {
                let mut a = Attempt::new(if case.not_run {
                    Status::Skipped
                } else {
                    Status::Passed
                });
                a.duration_s = case.time;
                a
            }
        };
        if final_attempt.stdout().is_none() {
            final_attempt.text_mut().stdout = case_stdout;
        }
        if final_attempt.stderr().is_none() {
            final_attempt.text_mut().stderr = case_stderr;
        }
        let mut attempts: Vec<Attempt> = Vec::new();
        if !flaky.is_empty() {
            // Failed attempts first, then the passing one the test case reports.
            attempts.extend(flaky.into_iter().map(|r| draft_attempt(r, None)));
            attempts.push(final_attempt);
        } else if !reruns.is_empty() {
            attempts.push(final_attempt);
            attempts.extend(reruns.into_iter().map(|r| draft_attempt(r, None)));
        } else {
            attempts.push(final_attempt);
        }
        self.push_case(
            case.suite,
            case.classname,
            case.name,
            attempts,
            case.file,
            case.line,
            case.properties,
            case.offset,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn push_case(
        &mut self,
        suite: Option<Name>,
        classname: Option<Name>,
        name: Name,
        attempts: Vec<Attempt>,
        file: Option<Name>,
        line: Option<u32>,
        properties: BTreeMap<String, String>,
        offset: u64,
    ) {
        let mut tags: Vec<String> = Vec::new();
        for key in TAG_PROPERTIES {
            if let Some(v) = properties.get(*key) {
                tags.extend(
                    v.split(|c: char| c == ',' || c.is_whitespace())
                        .filter(|t| !t.is_empty())
                        .map(str::to_string),
                );
            }
        }
        let status = attempts.last().map(|a| a.status);
        let bare_zero = matches!(attempts.as_slice(), [a] if a.status == Status::Passed
            && a.message().is_none()
            && a.trace().is_none()
            && a.duration_s == Some(0.0));
        let new = self.builder.add_case(
            super::CaseInput {
                suite,
                classname,
                name,
                attempts,
                file,
                line,
                tags,
                properties,
            },
            self.source,
            offset,
        );
        let index = self
            .builder
            .len()
            .checked_sub(1)
            .filter(|_| new && bare_zero);
        for count in &mut self.suite_counts {
            count.elements += 1;
            count.distinct += u64::from(new);
            count.bare_zero += u64::from(bare_zero);
            if let Some(i) = index
                && count.bare_zero_at.len() < 10_000
            {
                count.bare_zero_at.push(i);
            }
            match status {
                Some(Status::Failed | Status::Errored) => count.failing += 1,
                Some(Status::Skipped) => count.skipped_seen += 1,
                _ => {}
            }
        }
    }
}

/// Attributes of one element, borrowed from the parser's buffer.
struct Attrs<'e> {
    /// On the stack: an element rarely has more than eight.
    pairs: smallvec::SmallVec<[(quick_xml::name::QName<'e>, Cow<'e, str>); 8]>,
}

impl Attrs<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k.as_ref() == key)
            .map(|(_, v)| v.as_ref())
    }
}

/// Element names regdiff knows, as static strings (no allocation per element).
fn static_name(name: &[u8]) -> Option<&'static str> {
    Some(match name {
        b"testsuites" => "testsuites",
        b"testsuite" => "testsuite",
        b"testcase" => "testcase",
        b"failure" => "failure",
        b"error" => "error",
        b"skipped" => "skipped",
        b"flakyFailure" => "flakyFailure",
        b"flakyError" => "flakyError",
        b"rerunFailure" => "rerunFailure",
        b"rerunError" => "rerunError",
        b"stackTrace" => "stackTrace",
        b"system-out" => "system-out",
        b"system-err" => "system-err",
        b"properties" => "properties",
        b"property" => "property",
        _ => return None,
    })
}

fn draft_attempt(r: ResultDraft, case_time: Option<f64>) -> Attempt {
    let status = r.kind.status();
    // The element's own body is the trace; Surefire puts it in <stackTrace> for reruns.
    let trace = if !r.stack.is_empty() {
        r.stack.finish_nonblank()
    } else {
        r.body.finish_nonblank()
    };
    Attempt::with_text(
        status,
        r.time.or(case_time),
        AttemptText {
            message: r.message.filter(|m| !m.trim().is_empty()),
            kind: r.failure_type,
            trace,
            stdout: r.stdout.finish_nonblank(),
            stderr: r.stderr.finish_nonblank(),
        },
    )
}
