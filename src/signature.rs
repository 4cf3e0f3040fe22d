//! Failure signatures: a failure message with its run-specific parts masked.
//!
//! Two failures with the same cause rarely print the same bytes: addresses, ports, temp
//! paths, ids, timings and counts differ from run to run. The signature keeps the failure
//! type and the first lines of the message, masks those parts, and folds white space, so
//! that "the same failure" can be recognised across runs (E1) and across tests (E5).

use std::sync::LazyLock;

use regex::Regex;

use crate::model::Attempt;

/// How much of a message takes part in its signature.
const SIGNATURE_LINES: usize = 3;
const SIGNATURE_CHARS: usize = 300;

struct Mask {
    re: Regex,
    with: &'static str,
}

static MASKS: LazyLock<Vec<Mask>> = LazyLock::new(|| {
    let m = |re: &str, with: &'static str| Mask {
        re: Regex::new(re).expect("built-in mask compiles"),
        with,
    };
    vec![
        m(
            r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
            "<uuid>",
        ),
        m(
            r#"(?i)(?:/tmp|/var/folders|/private/var|[a-z]:\\users\\[^\\\s]+\\appdata\\local\\temp|@TMP@|@BASETEMP@)[^\s'"),]*"#,
            "<tmp>",
        ),
        m(r"(?i)\b0x[0-9a-f]+\b", "<hex>"),
        // Ports of four or five digits (service and ephemeral ports; :80 and :443 are stable).
        m(r":\d{4,5}\b", ":<port>"),
        // Decimals (durations) and numbers of four or more digits (pids, counts, ids) vary
        // from run to run; short integers (status codes, expected values) carry meaning.
        // Digits inside words (`opentest4j`) are part of the word.
        m(r"\b\d+\.\d+(?:e[+-]?\d+)?|\b\d{4,}", "<n>"),
        m(r"\s+", " "),
    ]
});

/// Hex tokens of 6+ characters with both letters and digits (commit ids, object ids).
static HEX_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[0-9a-fA-F]{6,}\b").expect("built-in mask compiles"));

fn mask_hex_ids(s: &str) -> String {
    HEX_ID
        .replace_all(s, |c: &regex::Captures| {
            let t = &c[0];
            let digit = t.bytes().any(|b| b.is_ascii_digit());
            let letter = t.bytes().any(|b| b.is_ascii_alphabetic());
            if digit && letter {
                "<hex>".to_string()
            } else {
                t.to_string()
            }
        })
        .into_owned()
}

/// The normalised signature of a failed attempt: `type: first lines of the message`, with
/// numbers, hex ids, UUIDs, temp paths and ports masked.
pub fn signature(attempt: &Attempt) -> String {
    let mut raw = String::new();
    if let Some(k) = attempt.kind() {
        raw.push_str(k);
    }
    let text = attempt
        .message()
        .filter(|m| !m.trim().is_empty())
        .or(attempt.trace())
        .unwrap_or("");
    let first: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(SIGNATURE_LINES)
        .collect();
    if !first.is_empty() {
        if !raw.is_empty() {
            raw.push_str(": ");
        }
        raw.push_str(&first.join(" "));
    }
    normalise(&raw)
}

/// Masks the run-specific parts of a text (see the module documentation).
pub fn normalise(text: &str) -> String {
    let mut s: String = text.chars().take(SIGNATURE_CHARS * 2).collect();
    for (i, m) in MASKS.iter().enumerate() {
        if i == 3 {
            // after UUIDs, temp paths and 0x-numbers, before plain numbers
            s = mask_hex_ids(&s);
        }
        s = m.re.replace_all(&s, m.with).into_owned();
    }
    s.trim().chars().take(SIGNATURE_CHARS).collect()
}

/// Similarity of two signatures in [0, 1] (character-level diff ratio). Numbers that survive
/// masking (status codes, expected and actual values) must be the same in both, otherwise the
/// failures are different (similarity 0): `was <503>` and `was <400>` are not one failure.
pub fn similarity(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let numbers = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_ascii_digit())
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect()
    };
    if numbers(a) != numbers(b) {
        return 0.0;
    }
    let diff = similar::TextDiff::configure()
        .algorithm(similar::Algorithm::Patience)
        .timeout(std::time::Duration::from_millis(20))
        .diff_chars(a, b);
    f64::from(diff.ratio())
}

/// Where in a failure a rule matched, in the order the parts are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    /// The failure type and message (the report's own one-line statement).
    Message,
    /// The failure body: trace, panic output, pytest's long report.
    Trace,
    /// Captured standard error.
    Stderr,
    /// Captured standard output.
    Stdout,
}

impl Part {
    /// "the message", "the trace", … for evidence sentences.
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Message => "the message",
            Part::Trace => "the trace",
            Part::Stderr => "the captured stderr",
            Part::Stdout => "the captured stdout",
        }
    }
}

/// How much of each part the rules read: a failure's cause is near its start or its end, and
/// a test that printed megabytes must not make every rule scan them.
const MESSAGE_CAP: usize = 8 << 10;
const TRACE_CAP: usize = 32 << 10;
const OUTPUT_CAP: usize = 16 << 10;

/// The texts signature rules look at, in the order they are read: the failure type and
/// message, then the *error lines* of the trace, then captured stderr, then stdout. Echoed
/// source code and stack frames are never read, so an assertion that mentions "No space left
/// on device" in its own source is not taken for a full disk.
///
/// Error lines are pytest's `E   …` lines when the trace has them (every one, through chained
/// exceptions); otherwise every line of the trace that is not echoed source (`>   …`,
/// indented code) or a stack frame. Each part is cut at a cap; a long part keeps its first
/// two thirds and its last third, where tracebacks and panics put their cause.
pub fn failure_parts(attempt: &Attempt) -> Vec<(Part, String)> {
    let mut parts = Vec::with_capacity(4);
    let mut message = String::new();
    for part in [attempt.kind(), attempt.message()].into_iter().flatten() {
        message.push_str(part);
        message.push('\n');
    }
    if !message.trim().is_empty() {
        parts.push((Part::Message, capped(&message, MESSAGE_CAP)));
    }
    if let Some(trace) = attempt.trace() {
        let has_pytest_errors = trace.lines().any(|l| l.starts_with("E ") || l == "E");
        let mut text = String::new();
        for l in trace.lines().map(str::trim_end) {
            let keep = if has_pytest_errors {
                l.starts_with("E ")
            } else {
                !l.trim().is_empty() && !is_source_or_frame(l)
            };
            if keep {
                text.push_str(l);
                text.push('\n');
            }
        }
        if !text.is_empty() {
            parts.push((Part::Trace, capped(&text, TRACE_CAP)));
        }
    }
    for (part, text) in [
        (Part::Stderr, attempt.stderr()),
        (Part::Stdout, attempt.stdout()),
    ] {
        if let Some(t) = text.filter(|t| !t.trim().is_empty()) {
            parts.push((part, capped(t, OUTPUT_CAP)));
        }
    }
    parts
}

/// `text` cut to about `cap` bytes on character boundaries: its first two thirds and its last
/// third, joined by a line `…`.
fn capped(text: &str, cap: usize) -> String {
    if text.len() <= cap {
        return text.to_string();
    }
    let floor = |i: usize| {
        (0..=i)
            .rev()
            .find(|&j| text.is_char_boundary(j))
            .unwrap_or(0)
    };
    let ceil = |i: usize| {
        (i..=text.len())
            .find(|&j| text.is_char_boundary(j))
            .unwrap_or(text.len())
    };
    let head = floor(cap * 2 / 3);
    let tail = ceil(text.len() - cap / 3);
    format!("{}\n…\n{}", &text[..head], &text[tail..])
}

/// The line of `text` around byte `at`, trimmed and cut to about 160 characters around it:
/// what evidence quotes.
pub fn quote_line(text: &str, at: usize, len: usize) -> String {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line = &text[start..end];
    let (m0, m1) = (at - start, (at - start + len).min(line.len()));
    const WIDTH: usize = 160;
    if line.chars().count() <= WIDTH {
        return line.trim().to_string();
    }
    // Keep the match and what surrounds it.
    let room = WIDTH.saturating_sub(line[m0..m1].chars().count()) / 2;
    let before: String = {
        let v: Vec<char> = line[..m0].chars().collect();
        v[v.len().saturating_sub(room)..].iter().collect()
    };
    let after: String = line[m1..].chars().take(room).collect();
    let mut q = String::new();
    if before.len() < m0 {
        q.push('…');
    }
    q.push_str(&before);
    q.push_str(&line[m0..m1]);
    q.push_str(&after);
    if m1 + after.len() < line.len() {
        q.push('…');
    }
    q.trim().to_string()
}

/// Echoed source code and stack frames, which say where a failure happened, not why.
fn is_source_or_frame(line: &str) -> bool {
    let t = line.trim_start();
    line.starts_with('>')
        || line.starts_with("    ")
        || line.starts_with('\t')
        || t.starts_with("at ")
        || t.starts_with("File \"")
        || t.starts_with("Traceback")
        || t.starts_with("stack backtrace")
        || t.chars().next().is_some_and(|c| c.is_ascii_digit()) && t.contains(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;

    fn failed(kind: Option<&str>, msg: &str) -> Attempt {
        let mut a = Attempt::new(Status::Failed);
        a.text_mut().kind = kind.map(str::to_string);
        a.text_mut().message = Some(msg.to_string());
        a
    }

    #[test]
    fn masks_run_specific_parts() {
        let a = failed(
            Some("OSError"),
            "write to /tmp/pytest-of-root/pytest-7/x.html failed after 12.5 s on port :54321 id 3f2a9c1e-1111-2222-3333-444455556666 at 0xdeadbeef",
        );
        let b = failed(
            Some("OSError"),
            "write to /tmp/pytest-of-root/pytest-9/y.html failed after 3.25 s on port :40000 id 00000000-aaaa-bbbb-cccc-dddddddddddd at 0x1234",
        );
        assert_eq!(signature(&a), signature(&b));
        assert!(signature(&a).contains("<tmp>"), "{}", signature(&a));
        assert!(signature(&a).contains("<uuid>"));
    }

    #[test]
    fn different_assertions_differ() {
        let a = failed(Some("AssertionError"), "assert 'Joe...' == 'Joel...'");
        let b = failed(Some("AssertionError"), "assert out == expected_html");
        assert_ne!(signature(&a), signature(&b));
        assert!(similarity(&signature(&a), &signature(&b)) < 0.9);
    }

    #[test]
    fn short_numbers_keep_failures_apart() {
        let a = failed(None, "expected <200> but was <503>");
        let b = failed(None, "expected <200> but was <400>");
        assert_ne!(signature(&a), signature(&b));
        assert_eq!(similarity(&signature(&a), &signature(&b)), 0.0);
        let t1 = failed(
            None,
            "worker did not finish within 0.2s (took 0.285s) in thread 19250",
        );
        let t2 = failed(
            None,
            "worker did not finish within 0.2s (took 0.250s) in thread 19509",
        );
        assert_eq!(signature(&t1), signature(&t2));
        let w = failed(Some("org.opentest4j.AssertionFailedError"), "x");
        assert!(signature(&w).contains("opentest4j"), "{}", signature(&w));
    }

    #[test]
    fn rules_do_not_read_echoed_source() {
        let mut a = failed(Some("AssertionError"), "assert 'x' == 'y'");
        a.text_mut().trace = Some(
            "tests/test_io.py:12: in test_write\n    raise OSError(errno.ENOSPC, \"No space left on device\")\n>   assert out == 'y'\nE   AssertionError: assert 'x' == 'y'".into(),
        );
        let t = failure_parts(&a);
        let trace = &t.iter().find(|(p, _)| *p == Part::Trace).unwrap().1;
        assert!(!trace.contains("No space left"), "{trace}");
        assert!(trace.contains("E   AssertionError"), "{trace}");
        let mut p = failed(
            Some("test failure with exit code 101"),
            "thread 't' panicked at tests/a.rs:3:5",
        );
        p.text_mut().trace = Some("thread 't' panicked at tests/a.rs:3:5:\nNo space left on device (os error 28)\nstack backtrace:\n   0: std::panicking".into());
        let parts = failure_parts(&p);
        assert_eq!(parts[0].0, Part::Message);
        assert!(parts[1].1.contains("No space left"), "{parts:?}");
        assert!(!parts[1].1.contains("std::panicking"), "{parts:?}");
    }

    #[test]
    fn type_alone_when_no_message() {
        let a = failed(Some("test timeout"), "");
        assert_eq!(signature(&a), "test timeout");
    }
}
