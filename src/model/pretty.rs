//! A test as pretty JSON, written straight into a buffer: the same bytes as
//! `serde_json::to_writer_pretty` writes for it at the same depth, without serde's
//! formatter. Streaming `show --format json` of ten million tests spends most of its
//! writing time in that formatter (a key is escaped like any string, each value goes
//! through several calls); here keys are constants and a string is copied whole when it
//! needs no escape. Tests hold this writer to serde's output on random tests and on every
//! JUnit fixture.

use super::{Attempt, Status, TestResult};

/// Appends `t` as `serde_json::to_writer_pretty` writes it (two spaces an indent), as a
/// value nested `depth` levels deep: its inner lines are indented by `depth + 1` levels and
/// its closing brace by `depth`. No newline is written before the opening brace.
pub fn write_test(out: &mut Vec<u8>, t: &TestResult, depth: usize) {
    let d = depth + 1;
    out.push(b'{');
    key(out, d, "id", true);
    string(out, &t.id);
    key(out, d, "suite", false);
    opt_string(out, t.suite.as_deref());
    key(out, d, "classname", false);
    opt_string(out, t.classname.as_deref());
    key(out, d, "name", false);
    string(out, &t.name);
    key(out, d, "status", false);
    status(out, t.status);
    key(out, d, "attempts", false);
    array(out, d, &t.attempts, |out, a| attempt(out, a, d + 1));
    key(out, d, "duration_s", false);
    opt_f64(out, t.duration_s);
    key(out, d, "file", false);
    opt_string(out, t.file.as_deref());
    key(out, d, "line", false);
    match t.line {
        Some(l) => {
            use std::io::Write;
            // Writing to a vector cannot fail.
            let _ = write!(out, "{l}");
        }
        None => out.extend_from_slice(b"null"),
    }
    key(out, d, "tags", false);
    array(out, d, &t.tags, |out, tag| string(out, tag));
    // Skipped when empty, as the serde attribute says.
    if !t.properties.is_empty() {
        key(out, d, "properties", false);
        out.push(b'{');
        for (i, (k, v)) in t.properties.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            newline(out, d + 1);
            string(out, k);
            out.extend_from_slice(b": ");
            string(out, v);
        }
        newline(out, d);
        out.push(b'}');
    }
    newline(out, depth);
    out.push(b'}');
}

fn attempt(out: &mut Vec<u8>, a: &Attempt, depth: usize) {
    let d = depth + 1;
    out.push(b'{');
    key(out, d, "status", true);
    status(out, a.status);
    key(out, d, "duration_s", false);
    opt_f64(out, a.duration_s);
    // Each text only when present, as the serde attributes say.
    for (name, text) in [
        ("message", a.message()),
        ("type", a.kind()),
        ("trace", a.trace()),
        ("stdout", a.stdout()),
        ("stderr", a.stderr()),
    ] {
        if let Some(text) = text {
            key(out, d, name, false);
            string(out, text);
        }
    }
    newline(out, depth);
    out.push(b'}');
}

/// An array whose brackets are at `depth`, one item a line (`[]` when empty).
fn array<T>(out: &mut Vec<u8>, depth: usize, items: &[T], mut each: impl FnMut(&mut Vec<u8>, &T)) {
    if items.is_empty() {
        out.extend_from_slice(b"[]");
        return;
    }
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        newline(out, depth + 1);
        each(out, item);
    }
    newline(out, depth);
    out.push(b']');
}

fn newline(out: &mut Vec<u8>, depth: usize) {
    out.push(b'\n');
    for _ in 0..depth {
        out.extend_from_slice(b"  ");
    }
}

/// A key of an object at `depth` (its keys' indentation): keys here need no escape.
fn key(out: &mut Vec<u8>, depth: usize, name: &str, first: bool) {
    if !first {
        out.push(b',');
    }
    newline(out, depth);
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\": ");
}

fn status(out: &mut Vec<u8>, s: Status) {
    out.push(b'"');
    out.extend_from_slice(s.as_str().as_bytes());
    out.push(b'"');
}

fn opt_string(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => string(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

fn opt_f64(out: &mut Vec<u8>, v: Option<f64>) {
    match v {
        // serde_json's own float formatting (and `null` for a value JSON cannot hold).
        Some(v) => {
            if serde_json::to_writer(&mut *out, &v).is_err() {
                out.extend_from_slice(b"null");
            }
        }
        None => out.extend_from_slice(b"null"),
    }
}

/// Whether a byte needs an escape in a JSON string: a control character, `"` or `\`.
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// A JSON string, escaped as serde_json escapes it: the short forms `\" \\ \b \f \n \r \t`,
/// `\u00XX` (lowercase hex) for the other control characters, everything else as it is.
pub fn string(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.push(b'"');
    // Most names need no escape: one pass without branching per byte to know it.
    if !bytes.iter().fold(false, |any, &b| any | needs_escape(b)) {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !needs_escape(b) {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        start = i + 1;
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0C => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xF)]);
            }
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::AttemptText;
    use proptest::prelude::*;

    /// serde_json's pretty output of `t` as a value `depth` levels deep.
    fn serde_pretty(t: &TestResult, depth: usize) -> Vec<u8> {
        let text = serde_json::to_vec_pretty(t).unwrap();
        let pad = "  ".repeat(depth);
        let mut out = Vec::new();
        for (i, line) in text.split(|&b| b == b'\n').enumerate() {
            if i > 0 {
                out.push(b'\n');
                out.extend_from_slice(pad.as_bytes());
            }
            out.extend_from_slice(line);
        }
        out
    }

    pub(crate) fn text() -> impl Strategy<Value = String> {
        // Control characters, quotes, backslashes, non-ASCII, and plain names.
        prop_oneof![
            "[a-zA-Z0-9_.:\\[\\]-]{0,30}",
            "[\\x00-\\x1f\"\\\\a-z\u{7f}é中\u{2028}]{0,12}",
            any::<String>(),
        ]
    }

    fn float() -> impl Strategy<Value = Option<f64>> {
        prop_oneof![
            Just(None),
            any::<f64>().prop_map(Some),
            (0u32..100_000).prop_map(|ms| Some(f64::from(ms) / 1000.0)),
            Just(Some(f64::NAN)),
            Just(Some(f64::INFINITY)),
            Just(Some(-0.0)),
            Just(Some(1e-300)),
        ]
    }

    fn status() -> impl Strategy<Value = Status> {
        prop_oneof![
            Just(Status::Passed),
            Just(Status::Failed),
            Just(Status::Errored),
            Just(Status::Skipped),
        ]
    }

    fn attempt() -> impl Strategy<Value = Attempt> {
        (
            status(),
            float(),
            proptest::collection::vec(proptest::option::of(text()), 5),
        )
            .prop_map(|(s, d, texts)| {
                let mut t = texts.into_iter();
                let mut next = || t.next().flatten();
                Attempt::with_text(
                    s,
                    d,
                    AttemptText {
                        message: next(),
                        kind: next(),
                        trace: next(),
                        stdout: next(),
                        stderr: next(),
                    },
                )
            })
    }

    /// Random tests, with every field filled or not, for writers held to serde's output.
    pub(crate) fn test_result() -> impl Strategy<Value = TestResult> {
        (
            (
                text(),
                proptest::option::of(text()),
                proptest::option::of(text()),
                text(),
            ),
            (
                status(),
                proptest::collection::vec(attempt(), 0..4),
                float(),
            ),
            (
                proptest::option::of(text()),
                proptest::option::of(any::<u32>()),
            ),
            proptest::collection::vec(text(), 0..3),
            proptest::collection::btree_map(text(), text(), 0..3),
        )
            .prop_map(
                |(
                    (id, suite, classname, name),
                    (status, attempts, duration_s),
                    (file, line),
                    tags,
                    properties,
                )| {
                    TestResult {
                        id: id.into(),
                        suite: suite.map(Into::into),
                        classname: classname.map(Into::into),
                        name: name.into(),
                        status,
                        attempts: attempts.into_iter().collect(),
                        duration_s,
                        file: file.map(Into::into),
                        line,
                        tags: tags.into(),
                        properties: properties.into(),
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn writes_what_serde_json_writes(t in test_result(), depth in 0usize..4) {
            let mut out = Vec::new();
            write_test(&mut out, &t, depth);
            prop_assert_eq!(
                String::from_utf8(out).unwrap(),
                String::from_utf8(serde_pretty(&t, depth)).unwrap()
            );
        }

        #[test]
        fn strings_escape_as_serde_json_does(s in any::<String>()) {
            let mut out = Vec::new();
            string(&mut out, &s);
            prop_assert_eq!(out, serde_json::to_vec(&s).unwrap());
        }
    }

    #[test]
    fn every_byte_below_0x80_escapes_as_serde_json_does() {
        for b in 0u8..0x80 {
            let s = char::from(b).to_string();
            let mut out = Vec::new();
            string(&mut out, &s);
            assert_eq!(out, serde_json::to_vec(&s).unwrap(), "byte {b:#04x}");
        }
    }
}
