//! `cargo test`'s plain text output: libtest's human format, one block per test binary.
//!
//! ```text
//!      Running tests/roll.rs (target/debug/deps/roll-fbe0a547d38d4283)
//! running 10 tests
//! test append_and_read_back ... FAILED
//! test parse_size_units ... ok
//! failures:
//! ---- append_and_read_back stdout ----
//! thread 'append_and_read_back' (16161) panicked at tests/roll.rs:13:28:
//! …
//! test result: FAILED. 3 passed; 7 failed; 0 ignored; 0 measured; 0 filtered out; …
//! ```
//!
//! * A binary starts at its `Running …` line (its suite is the binary's name: `roll`, or the
//!   crate's name for `unittests src/lib.rs`) or at `Doc-tests CRATE` (suite `CRATE (doc)`).
//!   The id is the test's name, as in libtest's JSON; a name in two binaries is qualified
//!   with its suite.
//! * `ok` is passed, `FAILED` failed, `ignored` (with its reason) skipped. The failure block
//!   `---- NAME stdout ----` is the failure's body, and its panic message the message.
//! * The binary's `test result:` counts are checked against its tests. A binary that stopped
//!   before its result line (a crash, an abort, a kill) leaves its started tests errored
//!   (with `--test-threads=1` libtest prints `test NAME ... ` before running it), and a
//!   warning naming how many of the tests it announced never reported.
//! * cargo's own `error:` lines outside a test (a doc-test harness that could not start) are
//!   reported as warnings with their line: they are not tests, and are not dropped silently.
//! * Durations are not in this format (unless `--report-time`: `ok <0.003s>`), so they are
//!   unknown, never zero.

use std::collections::BTreeMap;
use std::path::Path;

use super::libtest::panic_message;
use super::text::{LineReader, bound};
use super::{CaseInput, RunBuilder};
use crate::error::IngestError;
use crate::model::{Attempt, Status};

const MESSAGE_MAX: usize = 4 << 10;
const OUTPUT_HEAD: usize = 32 << 10;
const OUTPUT_TAIL: usize = 16 << 10;

/// Whether the first bytes look like `cargo test` text output.
pub fn sniff(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    text.lines().any(|l| {
        let t = l.trim();
        is_running_count(t)
            || (t.starts_with("Running ") && t.contains("(target/") && l.starts_with("   "))
            || t.starts_with("Doc-tests ") && l.starts_with("   ")
            || t.starts_with("Finished `test` profile")
            || (t.starts_with("test result: ") && t.contains(" passed; "))
    })
}

/// `running 10 tests` / `running 1 test`.
fn is_running_count(t: &str) -> bool {
    running_count(t).is_some()
}

fn running_count(t: &str) -> Option<u64> {
    let rest = t.strip_prefix("running ")?;
    let n = rest
        .strip_suffix(" tests")
        .or_else(|| rest.strip_suffix(" test"))?;
    n.parse().ok()
}

/// A `test NAME ... RESULT` line: (name, status, ignore reason, duration, line number).
type TestLine = (String, Status, Option<String>, Option<f64>, u64);

/// A test binary being read.
#[derive(Default)]
struct Binary {
    suite: String,
    line: u64,
    announced: Option<u64>,
    /// Results in order.
    results: Vec<TestLine>,
    /// A test whose `test NAME ... ` line has no result yet (single-threaded output).
    pending: Option<(String, u64)>,
    /// Failure blocks by test name.
    blocks: BTreeMap<String, String>,
    /// The block being read.
    block: Option<(String, Vec<String>)>,
    /// `test result:` counts (passed, failed, ignored) and line.
    summary: Option<([u64; 3], u64)>,
    /// Why the binary stopped, when cargo said (`process didn't exit successfully: …`).
    stopped: Option<String>,
}

/// Reads `cargo test` text output.
pub fn read_file(path: &Path, builder: &mut RunBuilder) -> Result<(), IngestError> {
    let mut input = LineReader::open(path)?;
    let source = path.display().to_string();
    let mut current: Option<Binary> = None;
    let mut binaries = 0u64;
    let mut warnings = Vec::new();
    let mut benches = 0u64;
    let mut harness_errors: Vec<(u64, String)> = Vec::new();
    while let Some((lineno, raw)) = input.next_line()? {
        let line = String::from_utf8_lossy(raw);
        let line = line.trim_end_matches(['\n', '\r']);
        let t = line.trim();
        // A new binary.
        let starts = if let Some(rest) = t.strip_prefix("Running ") {
            line.starts_with(' ').then(|| binary_name(rest))
        } else {
            t.strip_prefix("Doc-tests ")
                .filter(|_| line.starts_with(' '))
                .map(|c| format!("{} (doc)", c.trim()))
        };
        if let Some(suite) = starts {
            if let Some(b) = current.take() {
                finish(b, &source, builder, &mut warnings);
            }
            binaries += 1;
            current = Some(Binary {
                suite,
                line: lineno,
                ..Binary::default()
            });
            continue;
        }
        let b = current.get_or_insert_with(|| {
            binaries += 1;
            Binary {
                suite: "binary 1".into(),
                line: lineno,
                ..Binary::default()
            }
        });
        // Inside a failure block, everything up to the next header is the block.
        if let Some((name, lines)) = b.block.as_mut() {
            let header = block_header(line);
            if header.is_none() && t != "failures:" && !t.starts_with("test result: ") {
                lines.push(line.to_string());
                continue;
            }
            let text = lines.join("\n").trim_matches('\n').to_string();
            let name = std::mem::take(name);
            b.block = None;
            b.blocks
                .entry(name)
                .and_modify(|s| {
                    s.push('\n');
                    s.push_str(&text);
                })
                .or_insert(text);
        }
        if let Some(name) = block_header(line) {
            b.block = Some((name, Vec::new()));
            continue;
        }
        if let Some(n) = running_count(t) {
            b.announced = Some(n);
            continue;
        }
        if let Some(rest) = t.strip_prefix("test result: ") {
            b.summary = Some((summary_counts(rest), lineno));
            continue;
        }
        if let Some(rest) = line.strip_prefix("test ") {
            if let Some((name, outcome)) = rest.rsplit_once(" ... ") {
                let name = name.strip_suffix(" - should panic").unwrap_or(name);
                match outcome_of(outcome) {
                    Some(Outcome::Bench) => benches += 1,
                    Some(Outcome::Result(status, reason, duration)) => {
                        b.pending = None;
                        b.results
                            .push((name.to_string(), status, reason, duration, lineno));
                    }
                    None => b.pending = Some((name.to_string(), lineno)),
                }
                continue;
            }
            if let Some(name) = rest.strip_suffix(" ...") {
                b.pending = Some((name.to_string(), lineno));
                continue;
            }
        }
        // A result on a line of its own after the test's own output (`--nocapture`).
        if let Some((name, at)) = b.pending.clone()
            && let Some(Outcome::Result(status, reason, duration)) = outcome_of(t)
        {
            b.pending = None;
            b.results.push((name, status, reason, duration, at));
            continue;
        }
        if let Some(why) = t.strip_prefix("process didn't exit successfully: ") {
            b.stopped = Some(why.to_string());
            continue;
        }
        if t.starts_with("error: ") && !is_consequence(t) {
            harness_errors.push((lineno, t.to_string()));
        }
    }
    if let Some(b) = current.take() {
        finish(b, &source, builder, &mut warnings);
    }
    if binaries == 0 {
        return Err(IngestError::unusable(
            path,
            "no test binary in the output (expected `running N tests` and `test NAME ... ok` lines of `cargo test`)",
        ));
    }
    for (lineno, text) in harness_errors.iter().take(5) {
        warnings.push(format!(
            "{source}:{lineno}: cargo reported an error outside any test: {}",
            text.chars().take(200).collect::<String>()
        ));
    }
    if harness_errors.len() > 5 {
        warnings.push(format!(
            "{source}: {} more error lines outside any test",
            harness_errors.len() - 5
        ));
    }
    if benches > 0 {
        warnings.push(format!(
            "{source}: {benches} benchmark line(s) not read: give benchmark results in a benchmark format"
        ));
    }
    builder.warnings.append(&mut warnings);
    Ok(())
}

/// cargo's lines that only repeat that tests failed (`error: test failed, to rerun pass
/// --lib`, `error: 5 targets failed:`): the tests themselves say it.
fn is_consequence(t: &str) -> bool {
    t.starts_with("error: test failed, to rerun pass")
        || t.starts_with("error: doctest failed, to rerun pass")
        || (t.ends_with("targets failed:") || t.ends_with("target failed:"))
            && t["error: ".len()..]
                .split_whitespace()
                .next()
                .is_some_and(|n| n.parse::<u64>().is_ok())
}

/// `---- NAME stdout ----` (or `stderr`): the test's name.
fn block_header(line: &str) -> Option<String> {
    let inner = line.strip_prefix("---- ")?.strip_suffix(" ----")?;
    inner
        .strip_suffix(" stdout")
        .or_else(|| inner.strip_suffix(" stderr"))
        .map(str::to_string)
}

/// The binary's name from `tests/roll.rs (target/debug/deps/roll-fbe0a547d38d4283)`.
fn binary_name(rest: &str) -> String {
    let path = rest
        .rsplit_once(" (")
        .and_then(|(_, p)| p.strip_suffix(')'))
        .unwrap_or(rest);
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let file = file.strip_suffix(".exe").unwrap_or(file);
    match file.rsplit_once('-') {
        Some((name, hash)) if hash.len() >= 8 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            name.to_string()
        }
        _ => file.to_string(),
    }
}

enum Outcome {
    Result(Status, Option<String>, Option<f64>),
    Bench,
}

/// `ok`, `FAILED`, `ignored`, `ignored, reason`, with `--report-time`'s ` <0.003s>`.
fn outcome_of(raw: &str) -> Option<Outcome> {
    let raw = raw.trim();
    if raw.starts_with("bench:") {
        return Some(Outcome::Bench);
    }
    let (word, time) = match raw.split_once(" <") {
        Some((w, t)) => (w, t.strip_suffix("s>").and_then(|s| s.parse::<f64>().ok())),
        None => (raw, None),
    };
    let time = time.filter(|d| d.is_finite() && *d >= 0.0);
    Some(match word {
        "ok" => Outcome::Result(Status::Passed, None, time),
        "FAILED" => Outcome::Result(Status::Failed, None, time),
        "ignored" => Outcome::Result(Status::Skipped, None, None),
        w => match w.strip_prefix("ignored, ") {
            Some(reason) => Outcome::Result(Status::Skipped, Some(reason.to_string()), None),
            None => return None,
        },
    })
}

/// `FAILED. 4 passed; 1 failed; 0 ignored; …` → [passed, failed, ignored].
fn summary_counts(rest: &str) -> [u64; 3] {
    let mut out = [0; 3];
    for part in rest.split(';') {
        let words: Vec<&str> = part.split_whitespace().collect();
        let Some(i) = words
            .iter()
            .position(|w| matches!(*w, "passed" | "failed" | "ignored"))
        else {
            continue;
        };
        let Some(n) = i.checked_sub(1).and_then(|j| words[j].parse::<u64>().ok()) else {
            continue;
        };
        match words[i] {
            "passed" => out[0] = n,
            "failed" => out[1] = n,
            _ => out[2] = n,
        }
    }
    out
}

/// Adds a binary's tests, and checks its counts.
fn finish(mut b: Binary, source: &str, builder: &mut RunBuilder, warnings: &mut Vec<String>) {
    if let Some((name, lines)) = b.block.take() {
        b.blocks
            .insert(name, lines.join("\n").trim_matches('\n').to_string());
    }
    let mut counted = [0u64; 3];
    for (name, status, reason, duration, lineno) in std::mem::take(&mut b.results) {
        counted[match status {
            Status::Passed => 0,
            Status::Failed => 1,
            _ => 2,
        }] += 1;
        let mut a = Attempt::new(status);
        a.duration_s = duration;
        match status {
            Status::Failed => {
                if let Some(block) = b.blocks.get(&name).filter(|s| !s.trim().is_empty()) {
                    a.text_mut().message = panic_message(block).map(|m| bound(&m, MESSAGE_MAX, 0));
                    a.text_mut().trace = Some(bound(block, OUTPUT_HEAD, OUTPUT_TAIL));
                }
            }
            Status::Skipped => a.text_mut().message = reason,
            _ => {}
        }
        builder.add_case(case(&b.suite, name, a), source, lineno);
    }
    let stopped_why = b
        .stopped
        .as_deref()
        .map(|w| format!(" ({})", w.chars().take(160).collect::<String>()))
        .unwrap_or_default();
    if let Some((name, lineno)) = b.pending.take() {
        let mut a = Attempt::new(Status::Errored);
        a.text_mut().kind = Some("no result".into());
        a.text_mut().message = Some(format!(
            "started at {source}:{lineno} but no result followed: the test binary stopped{stopped_why}"
        ));
        counted[1] += 1;
        builder.add_case(case(&b.suite, name, a), source, lineno);
    }
    let seen: u64 = counted.iter().sum();
    match b.summary {
        Some((declared, lineno)) if declared != counted => warnings.push(format!(
            "{source}:{lineno}: `{}` says {} passed, {} failed, {} ignored, but its tests are {} passed, {} failed, {} ignored; the tests are used",
            b.suite, declared[0], declared[1], declared[2], counted[0], counted[1], counted[2]
        )),
        Some(_) => {}
        None => {
            if let Some(n) = b.announced
                && n > seen
            {
                warnings.push(format!(
                    "{source}:{}: `{}` announced {n} tests but reported {seen} and no `test result:` line: the binary stopped{stopped_why}; the {} tests it did not report are missing from the run",
                    b.line,
                    b.suite,
                    n - seen
                ));
            }
        }
    }
}

fn case(suite: &str, name: String, a: Attempt) -> CaseInput {
    CaseInput {
        suite: Some(suite.into()),
        classname: None,
        name: name.into(),
        attempts: vec![a],
        file: None,
        line: None,
        tags: Vec::new(),
        properties: BTreeMap::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_names_and_outcomes() {
        assert_eq!(
            binary_name("tests/roll.rs (target/debug/deps/roll-fbe0a547d38d4283)"),
            "roll"
        );
        assert_eq!(
            binary_name("unittests src/lib.rs (target/debug/deps/roll_store-3e2e6e4b1ea31159)"),
            "roll_store"
        );
        assert!(matches!(
            outcome_of("ignored, needs a database"),
            Some(Outcome::Result(Status::Skipped, Some(ref r), None)) if r == "needs a database"
        ));
        assert!(matches!(
            outcome_of("ok <0.003s>"),
            Some(Outcome::Result(Status::Passed, None, Some(d))) if (d - 0.003).abs() < 1e-12
        ));
        assert!(outcome_of("hello").is_none());
        assert_eq!(
            summary_counts(
                "FAILED. 4 passed; 1 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.00s"
            ),
            [4, 1, 2]
        );
        assert_eq!(
            block_header("---- kv::tests::x stdout ----").as_deref(),
            Some("kv::tests::x")
        );
    }
}
