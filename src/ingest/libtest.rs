//! Rust libtest JSON events (`cargo test -- -Z unstable-options --format json`) and
//! cargo-nextest's `--message-format libtest-json[-plus]`, read line by line.
//!
//! * `cargo test` prints one stream per test binary, one after another (`suite started` …
//!   `suite ok|failed`), without naming the binary: the id is the test's name
//!   (`tests::parses`), and the suite is the binary's place in the file (`binary 2`); the same
//!   name in two binaries is qualified with it.
//! * nextest names tests `crate::binary$path`: the class name is `crate::binary`, the name the
//!   path. A test that ran more than once ends as `name#N` (N attempts): the attempts before
//!   the last are failed ones (nextest retries only failures) of unknown duration.
//! * `ok` is passed, `failed` failed, `ignored` skipped; `exec_time` is in seconds.
//! * A test that started and never ended (the binary crashed, aborted or was killed) is an
//!   errored test, never dropped. Suite counts that disagree with the tests are reported.
//! * Lines that are not JSON (cargo's own messages when stderr was mixed in) are skipped and
//!   counted; a malformed JSON line is an error naming its line.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::text::{LineReader, MAX_COUNTED_ATTEMPTS, bound, checked_seconds};
use super::{CaseInput, RunBuilder};
use crate::error::IngestError;
use crate::model::{Attempt, Status};

const MESSAGE_MAX: usize = 4 << 10;
const OUTPUT_HEAD: usize = 32 << 10;
const OUTPUT_TAIL: usize = 16 << 10;

/// Whether the first bytes look like libtest JSON events.
pub fn sniff(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    text.lines().take(20).any(|l| {
        let l = l.trim_start();
        l.starts_with('{')
            && l.contains("\"type\"")
            && l.contains("\"event\"")
            && (l.contains("\"suite\"") || l.contains("\"test\""))
    })
}

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    event: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    name: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    exec_time: Option<f64>,
    #[serde(default, borrow)]
    stdout: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    message: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    passed: Option<u64>,
    #[serde(default)]
    failed: Option<u64>,
    #[serde(default)]
    ignored: Option<u64>,
}

/// The state of one stream being read.
struct Reader {
    source: String,
    /// Suites seen (`suite started` events) in plain libtest streams.
    binary: u64,
    /// nextest names (`crate::binary$path`) were seen.
    nextest: bool,
    /// Tests started and not ended, by name, with the line of their start.
    running: BTreeMap<String, (u64, u64)>,
    /// Durations that were not a number of seconds >= 0.
    bad_durations: u64,
    /// What the current plain suite declared and what its tests were.
    declared: Option<(u64, [u64; 3])>,
    counted: [u64; 3],
    warnings: Vec<String>,
}

/// Reads a libtest or nextest JSON event stream.
pub fn read_file(path: &Path, builder: &mut RunBuilder) -> Result<(), IngestError> {
    let mut input = LineReader::open(path)?;
    let mut r = Reader {
        source: path.display().to_string(),
        binary: 0,
        nextest: false,
        running: BTreeMap::new(),
        declared: None,
        bad_durations: 0,
        counted: [0; 3],
        warnings: Vec::new(),
    };
    let (mut plain, mut events, mut benches) = (0u64, 0u64, 0u64);
    while let Some((lineno, buf)) = input.next_line()? {
        let trimmed = buf.trim_ascii();
        if trimmed.is_empty() {
            continue;
        }
        if trimmed[0] != b'{' {
            plain += 1;
            continue;
        }
        let indent = (buf.len() - buf.trim_ascii_start().len()) as u64;
        let ev: Event<'_> = serde_json::from_slice(trimmed).map_err(|e| IngestError::Syntax {
            path: path.to_path_buf(),
            line: lineno,
            column: e.column() as u64 + indent,
            message: format!("not a libtest JSON event: {e}"),
        })?;
        events += 1;
        match (ev.kind.as_ref(), ev.event.as_deref()) {
            ("suite", Some("started")) => r.suite_started(builder),
            ("suite", Some("ok" | "failed")) => {
                if let (Some(p), Some(f), Some(i)) = (ev.passed, ev.failed, ev.ignored) {
                    r.declared = Some((lineno, [p, f, i]));
                }
            }
            ("test", Some("started")) => {
                let name = ev.name.as_deref().unwrap_or_default();
                r.nextest |= name.contains('$');
                r.running.insert(name.to_string(), (lineno, r.binary));
            }
            ("test", Some(outcome @ ("ok" | "failed" | "ignored"))) => {
                let name = ev.name.as_deref().unwrap_or_default();
                let case = r.ended(name, outcome, &ev);
                builder.add_case(case, &r.source, lineno);
            }
            ("bench", _) => benches += 1,
            // `timeout` (a slow-test notice: the test goes on) and unknown events.
            _ => {}
        }
    }
    r.check_suite();
    r.flush_running(builder);
    if events == 0 {
        return Err(IngestError::unusable(
            path,
            "no libtest JSON event in the file (expected lines like `{ \"type\": \"test\", \"event\": \"ok\", \"name\": ... }`)",
        ));
    }
    if r.bad_durations > 0 {
        r.warnings.push(format!(
            "{}: {} exec_time value(s) that are not a number of seconds >= 0 read as unknown",
            r.source, r.bad_durations
        ));
    }
    if plain > 0 {
        r.warnings.push(format!(
            "{}: {plain} line(s) that are not JSON events skipped (cargo's own output?)",
            r.source
        ));
    }
    if benches > 0 {
        r.warnings.push(format!(
            "{}: {benches} benchmark event(s) not read: give benchmark results in a benchmark format",
            r.source
        ));
    }
    builder.warnings.append(&mut r.warnings);
    Ok(())
}

impl Reader {
    fn suite_started(&mut self, builder: &mut RunBuilder) {
        // nextest closes and reopens suites while tests run: only plain streams end there.
        if !self.nextest {
            self.check_suite();
            self.flush_running(builder);
        }
        self.binary += 1;
    }

    /// Compares the suite's own counts with its tests (plain libtest only).
    fn check_suite(&mut self) {
        let counted = std::mem::take(&mut self.counted);
        if let Some((lineno, [p, f, i])) = self.declared.take()
            && !self.nextest
            && [p, f, i] != counted
        {
            self.warnings.push(format!(
                "{}:{lineno}: the suite says {p} passed, {f} failed, {i} ignored, but its tests are {} passed, {} failed, {} ignored; the tests are used",
                self.source, counted[0], counted[1], counted[2]
            ));
        }
    }

    fn suite(&self, binary: u64) -> Option<String> {
        (!self.nextest).then(|| format!("binary {}", binary.max(1)))
    }

    fn ended(&mut self, raw: &str, outcome: &str, ev: &Event<'_>) -> CaseInput {
        // nextest: `name#N` is the last of N attempts.
        let (name, tries) = match raw.rsplit_once('#') {
            Some((base, n)) if self.nextest || base.contains('$') => match n.parse::<u32>() {
                Ok(n) if n >= 1 => (base, n),
                _ => (raw, 1),
            },
            _ => (raw, 1),
        };
        let binary = self
            .running
            .remove(name)
            .map(|(_, b)| b)
            .unwrap_or(self.binary);
        let status = match outcome {
            "ok" => Status::Passed,
            "failed" => Status::Failed,
            _ => Status::Skipped,
        };
        self.counted[match status {
            Status::Passed => 0,
            Status::Failed => 1,
            _ => 2,
        }] += 1;
        let mut a = Attempt::new(status);
        a.duration_s = checked_seconds(ev.exec_time, &mut self.bad_durations);
        let stdout = ev.stdout.as_deref().filter(|s| !s.trim().is_empty());
        a.text_mut().message = ev
            .message
            .as_deref()
            .map(str::to_string)
            .or_else(|| stdout.and_then(panic_message))
            .map(|m| bound(&m, MESSAGE_MAX, 0));
        if status == Status::Failed {
            a.text_mut().trace = stdout.map(|s| bound(s, OUTPUT_HEAD, OUTPUT_TAIL));
        }
        let mut attempts: Vec<Attempt> = (1..tries.min(MAX_COUNTED_ATTEMPTS))
            .map(|_| {
                let mut e = Attempt::new(Status::Failed);
                e.text_mut().kind = Some("retry".into());
                e.text_mut().message = Some(format!(
                    "[regdiff] nextest reports only the last of {tries} attempts; the earlier ones failed"
                ));
                e
            })
            .collect();
        attempts.push(a);
        self.case(name, binary, attempts)
    }

    fn case(&self, name: &str, binary: u64, attempts: Vec<Attempt>) -> CaseInput {
        let (classname, name) = match name.split_once('$') {
            Some((c, n)) => (Some(c.to_string()), n.to_string()),
            None => (None, name.to_string()),
        };
        CaseInput {
            suite: self.suite(binary).map(Into::into),
            classname: classname.map(Into::into),
            name: name.into(),
            attempts,
            file: None,
            line: None,
            tags: Vec::new(),
            properties: BTreeMap::new(),
        }
    }

    /// Tests that started and never ended become errored tests.
    fn flush_running(&mut self, builder: &mut RunBuilder) {
        for (name, (lineno, binary)) in std::mem::take(&mut self.running) {
            let mut a = Attempt::new(Status::Errored);
            a.text_mut().kind = Some("no result".into());
            a.text_mut().message = Some(format!(
                "started at {}:{lineno} but no result followed: the test binary stopped (crash, abort, kill or time limit)",
                self.source
            ));
            let case = self.case(&name, binary, vec![a]);
            builder.add_case(case, &self.source, lineno);
        }
    }
}

/// The panic message in libtest's captured output: the line after `panicked at …:`.
pub(super) fn panic_message(stdout: &str) -> Option<String> {
    let mut lines = stdout.lines();
    while let Some(l) = lines.next() {
        if l.contains("panicked at") {
            let msg: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.starts_with("stack backtrace:") && !l.starts_with("note: "))
                .collect();
            let msg = msg.join("\n");
            if !msg.trim().is_empty() {
                return Some(msg.trim_end().to_string());
            }
        }
    }
    stdout
        .lines()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
}
