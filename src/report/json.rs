//! JSON (`regdiff.report/1`): every number, for machines. The shape is the contract in
//! DESIGN.md; fields may be added, existing ones keep their meaning.
//!
//! Reports of up to [`INDENT_UP_TO`] items are indented for people reading them; larger ones
//! are written compactly (the same JSON, 40% smaller and twice as fast to write at 100,000
//! tests).

use std::io::{self, Write};

use serde::Serialize;

use super::{Render, RenderOptions, Report};

/// The JSON renderer.
pub struct Json;

/// Largest number of items written indented.
pub const INDENT_UP_TO: usize = 2_000;

impl Render for Json {
    fn render(&self, r: &Report, _opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
        if r.items.len() <= INDENT_UP_TO {
            write_pretty(out, r)
        } else {
            write_report_compact(out, r)
        }
    }
}

/// Writes `v` as indented JSON and a newline.
pub fn write_pretty(out: &mut dyn Write, v: &impl Serialize) -> io::Result<()> {
    let mut out = buffered(out);
    // `io::Error::from` gives back the write's own error: a closed pipe stays one.
    serde_json::to_writer_pretty(&mut out, v).map_err(io::Error::from)?;
    writeln!(out)?;
    out.flush()
}

/// serde writes token by token: each write into a buffer of a known type is a copy, where
/// through `dyn Write` it was a call (half the output time of a compare of a million tests).
fn buffered(out: &mut dyn Write) -> io::BufWriter<&mut dyn Write> {
    io::BufWriter::with_capacity(1 << 16, out)
}

/// Writes a report as compact JSON and a newline: the bytes `serde_json::to_writer` gives
/// (tests hold the two together), with each item written by hand. A compare of a
/// million tests spent 0.6 s in serde's writing of its test items (each key escaped like
/// any string, each of the eighteen counts through several calls); here keys are constants
/// and a string is copied whole when it needs no escape. The rest of the report, and the
/// numbers, sides, noise model and statistics of a metric, go through serde.
pub fn write_report_compact(out: &mut dyn Write, r: &Report) -> io::Result<()> {
    use crate::compare::metrics::GroupShift;
    use crate::report::{GateOutcome, HistoryInfo, RuleHits, SideInfo, Summary};
    // The report's fields before and after the items, in its order.
    #[derive(Serialize)]
    struct Before<'a> {
        schema: &'a str,
        base: &'a SideInfo,
        head: &'a SideInfo,
        history: &'a HistoryInfo,
        gate: &'a GateOutcome,
        summary: &'a Summary,
        pass_rate: &'a crate::classify::pass_rate::PassRate,
        suites: &'a [crate::classify::pass_rate::SuiteSummary],
    }
    #[derive(Serialize)]
    struct After<'a> {
        rules: &'a [RuleHits],
        metric_groups: &'a [GroupShift],
        environment: &'a [crate::attribute::EnvDifference],
        warnings: &'a [String],
    }
    let mut out = buffered(out);
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 16);
    serde_json::to_writer(
        &mut buf,
        &Before {
            schema: r.schema,
            base: &r.base,
            head: &r.head,
            history: &r.history,
            gate: &r.gate,
            summary: &r.summary,
            pass_rate: &r.pass_rate,
            suites: &r.suites,
        },
    )
    .map_err(io::Error::from)?;
    // `{…}` without its closing brace: the items follow.
    buf.pop();
    buf.extend_from_slice(b",\"items\":[");
    out.write_all(&buf)?;
    buf.clear();
    // Chunks of items written on every core, a window of them at a time, then in order:
    // the window bounds the memory (a few MB), the order is the report's.
    use rayon::prelude::*;
    const CHUNK: usize = 1024;
    const WINDOW: usize = 16 * CHUNK;
    for (w, window) in r.items.chunks(WINDOW).enumerate() {
        let parts: Vec<Vec<u8>> = window
            .par_chunks(CHUNK)
            .enumerate()
            .map(|(k, chunk)| {
                let mut part = Vec::with_capacity(chunk.len() * 256);
                let mut scratch = String::new();
                for (i, item) in chunk.iter().enumerate() {
                    if w * WINDOW + k * CHUNK + i > 0 {
                        part.push(b',');
                    }
                    match item {
                        super::Item::Test(t) => write_test_item(&mut part, t, &mut scratch),
                        super::Item::Metric(m) => write_metric_item(&mut part, m),
                    }
                }
                part
            })
            .collect();
        for part in parts {
            out.write_all(&part)?;
        }
    }
    buf.push(b']');
    let start = buf.len();
    serde_json::to_writer(
        &mut buf,
        &After {
            rules: &r.rules,
            metric_groups: &r.metric_groups,
            environment: &r.environment,
            warnings: &r.warnings,
        },
    )
    .map_err(io::Error::from)?;
    // `{…}` whose opening brace becomes the comma after the items.
    buf[start] = b',';
    buf.push(b'\n');
    out.write_all(&buf)?;
    out.flush()
}

/// A test item as `serde_json::to_writer` writes `Item::Test(t)`; `scratch` is room for its
/// counts sentence.
fn write_test_item(out: &mut Vec<u8>, t: &super::TestItem, scratch: &mut String) {
    use crate::model::pretty::string;
    let opt = |out: &mut Vec<u8>, s: Option<&str>| match s {
        Some(s) => string(out, s),
        None => out.extend_from_slice(b"null"),
    };
    out.extend_from_slice(b"{\"kind\":\"test\",\"id\":");
    string(out, &t.id);
    out.extend_from_slice(b",\"suite\":");
    opt(out, t.suite.as_deref());
    out.extend_from_slice(b",\"classname\":");
    opt(out, t.classname.as_deref());
    out.extend_from_slice(b",\"name\":");
    string(out, &t.name);
    // Plain names (tests hold them to serde's, variant by variant).
    out.extend_from_slice(b",\"verdict\":\"");
    out.extend_from_slice(t.verdict.as_str().as_bytes());
    out.extend_from_slice(b"\",\"change\":\"");
    out.extend_from_slice(t.change.as_str().as_bytes());
    out.push(b'"');
    out.extend_from_slice(b",\"evidence\":[");
    if t.counts_evidence {
        // `TestItem::counts`, written without making the evidence.
        scratch.clear();
        t.counts_detail_to(scratch);
        out.extend_from_slice(b"{\"rule\":\"counts\",\"detail\":");
        string(out, scratch);
        out.push(b'}');
    }
    evidence_list(out, &t.evidence, t.counts_evidence);
    out.extend_from_slice(b"],\"base\":");
    counts(out, &t.base);
    out.extend_from_slice(b",\"head\":");
    counts(out, &t.head);
    out.extend_from_slice(b",\"tags\":");
    strings(out, &t.tags);
    out.extend_from_slice(b",\"file\":");
    opt(out, t.file.as_deref());
    out.extend_from_slice(b",\"line\":");
    match t.line {
        Some(l) => number(out, l),
        None => out.extend_from_slice(b"null"),
    }
    // The rest only when present, as the serde attributes say.
    if let Some(m) = &t.message {
        out.extend_from_slice(b",\"message\":");
        string(out, m);
    }
    if let Some(m) = t.base_message() {
        out.extend_from_slice(b",\"base_message\":");
        string(out, m);
    }
    if let Some(spans) = t.message_diff() {
        out.extend_from_slice(b",\"message_diff\":[");
        for (i, s) in spans.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"op\":");
            serde_value(out, &s.op);
            out.extend_from_slice(b",\"text\":");
            string(out, &s.text);
            out.push(b'}');
        }
        out.push(b']');
    }
    if let Some(from) = t.renamed_from() {
        out.extend_from_slice(b",\"renamed_from\":");
        string(out, from);
    }
    if t.suspect_environment {
        out.extend_from_slice(b",\"suspect_environment\":true");
    }
    out.push(b'}');
}

/// A metric item as `serde_json::to_writer` writes `Item::Metric(m)`: keys, names and
/// strings by hand; numbers, sides, the noise model and the statistics through serde.
fn write_metric_item(out: &mut Vec<u8>, m: &super::MetricItem) {
    use crate::model::pretty::string;
    out.extend_from_slice(b"{\"kind\":\"metric\",\"id\":");
    string(out, &m.id);
    out.extend_from_slice(b",\"unit\":");
    string(out, &m.unit);
    out.extend_from_slice(b",\"better\":");
    serde_value(out, &m.better);
    out.extend_from_slice(b",\"verdict\":\"");
    out.extend_from_slice(m.verdict.as_str().as_bytes());
    out.extend_from_slice(b"\",\"change\":\"");
    out.extend_from_slice(m.change.as_str().as_bytes());
    out.extend_from_slice(b"\",\"ratio\":");
    serde_value(out, &m.ratio);
    out.extend_from_slice(b",\"ci\":");
    serde_value(out, &m.ci);
    out.extend_from_slice(b",\"ci_level\":");
    serde_value(out, &m.ci_level);
    out.extend_from_slice(b",\"p\":");
    serde_value(out, &m.p);
    out.extend_from_slice(b",\"q\":");
    serde_value(out, &m.q);
    out.extend_from_slice(b",\"n\":");
    serde_value(out, &m.n);
    out.extend_from_slice(b",\"samples\":");
    serde_value(out, &m.samples);
    out.extend_from_slice(b",\"evidence\":[");
    evidence_list(out, &m.evidence(), false);
    out.extend_from_slice(b"],\"base\":");
    serde_value(out, &m.base);
    out.extend_from_slice(b",\"head\":");
    serde_value(out, &m.head);
    out.extend_from_slice(b",\"group\":");
    string(out, &m.group);
    out.extend_from_slice(b",\"threshold\":");
    serde_value(out, &m.threshold);
    if let Some(t) = m.threshold_configured {
        out.extend_from_slice(b",\"threshold_configured\":");
        serde_value(out, &t);
    }
    out.extend_from_slice(b",\"method\":");
    string(out, &m.method);
    out.extend_from_slice(b",\"noise\":");
    serde_value(out, &m.noise);
    out.extend_from_slice(b",\"statistics\":");
    serde_value(out, &super::Statistics(m));
    out.extend_from_slice(b",\"tags\":");
    strings(out, &m.tags);
    out.push(b'}');
}

/// A value as serde writes it. Into a vector nothing fails; a value serde cannot write (none
/// here) would show as a difference from serde's report in the tests.
fn serde_value(out: &mut Vec<u8>, v: &impl Serialize) {
    let _ = serde_json::to_writer(&mut *out, v);
}

/// The pieces of evidence of a list, comma-separated, without brackets (each after a comma
/// when `after_one`: an entry was written before them).
fn evidence_list(out: &mut Vec<u8>, list: &[crate::model::Evidence], after_one: bool) {
    for (i, e) in list.iter().enumerate() {
        if i > 0 || after_one {
            out.push(b',');
        }
        evidence(out, e);
    }
}

/// One piece of evidence, its snapshots only when there are any.
fn evidence(out: &mut Vec<u8>, e: &crate::model::Evidence) {
    use crate::model::pretty::string;
    out.extend_from_slice(b"{\"rule\":");
    string(out, &e.rule);
    out.extend_from_slice(b",\"detail\":");
    string(out, &e.detail);
    if !e.snapshots.is_empty() {
        out.extend_from_slice(b",\"snapshots\":");
        strings(out, &e.snapshots);
    }
    out.push(b'}');
}

/// A side's counts, in the order of their fields.
fn counts(out: &mut Vec<u8>, c: &crate::compare::cases::SideCounts) {
    let fields: [(&[u8], u32); 9] = [
        (b"{\"runs\":", c.runs),
        (b",\"absent\":", c.absent),
        (b",\"passed\":", c.passed),
        (b",\"failed\":", c.failed),
        (b",\"errored\":", c.errored),
        (b",\"skipped\":", c.skipped),
        (b",\"attempts\":", c.attempts),
        (b",\"failed_attempts\":", c.failed_attempts),
        (b",\"passed_after_retry\":", c.passed_after_retry),
    ];
    for (key, n) in fields {
        out.extend_from_slice(key);
        number(out, n);
    }
    out.push(b'}');
}

fn strings(out: &mut Vec<u8>, items: &[String]) {
    out.push(b'[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        crate::model::pretty::string(out, s);
    }
    out.push(b']');
}

fn number(out: &mut Vec<u8>, n: u32) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::cases::SideCounts;
    use crate::model::pretty::tests::text;
    use crate::model::{Change, Evidence, Verdict};
    use crate::report::diff::{DiffSpan, SpanKind};
    use crate::report::{Item, TestItem};
    use proptest::prelude::*;

    const CHANGES: [Change; 16] = [
        Change::Broke,
        Change::Fixed,
        Change::StillFailing,
        Change::Flaky,
        Change::FailsMore,
        Change::FailsLess,
        Change::Added,
        Change::Removed,
        Change::Renamed,
        Change::Skipped,
        Change::StillSkipped,
        Change::Unskipped,
        Change::Passing,
        Change::Slower,
        Change::Faster,
        Change::None,
    ];

    fn counts() -> impl Strategy<Value = SideCounts> {
        proptest::collection::vec(prop_oneof![0u32..3, any::<u32>()], 9).prop_map(|n| SideCounts {
            runs: n[0],
            absent: n[1],
            passed: n[2],
            failed: n[3],
            errored: n[4],
            skipped: n[5],
            attempts: n[6],
            failed_attempts: n[7],
            passed_after_retry: n[8],
        })
    }

    fn evidence() -> impl Strategy<Value = Evidence> {
        (text(), text(), proptest::collection::vec(text(), 0..3)).prop_map(|(r, d, s)| {
            let mut e = Evidence::new(r, d);
            e.snapshots = s;
            e
        })
    }

    fn span() -> impl Strategy<Value = DiffSpan> {
        (
            prop_oneof![
                Just(SpanKind::Equal),
                Just(SpanKind::Delete),
                Just(SpanKind::Insert)
            ],
            text(),
        )
            .prop_map(|(op, text)| DiffSpan { op, text })
    }

    fn test_item() -> impl Strategy<Value = TestItem> {
        let names = (
            text(),
            proptest::option::of(text()),
            proptest::option::of(text()),
            text(),
            proptest::option::of(text()),
            proptest::option::of(any::<u32>()),
        );
        let verdict = (
            0..Verdict::ALL.len(),
            0..CHANGES.len(),
            any::<bool>(),
            any::<bool>(),
        );
        let body = (
            proptest::collection::vec(evidence(), 0..3),
            counts(),
            counts(),
            proptest::collection::vec(text(), 0..3),
        );
        let texts = (
            proptest::option::of(text()),
            proptest::option::of(text()),
            proptest::option::of(proptest::collection::vec(span(), 0..4)),
            proptest::option::of(text()),
        );
        (names, verdict, body, texts).prop_map(
            |(
                (id, suite, classname, name, file, line),
                (v, c, suspect, counts_evidence),
                (evidence, base, head, tags),
                (message, base_message, message_diff, renamed_from),
            )| TestItem {
                id: id.into(),
                suite: suite.map(Into::into),
                classname: classname.map(Into::into),
                name: name.into(),
                verdict: Verdict::ALL[v],
                change: CHANGES[c],
                counts_evidence,
                evidence,
                base,
                head,
                tags: tags.into(),
                file: file.map(Into::into),
                line,
                message,
                detail: (base_message.is_some()
                    || message_diff.is_some()
                    || renamed_from.is_some())
                .then(|| {
                    Box::new(crate::report::TestItemDetail {
                        base_message,
                        message_diff,
                        renamed_from,
                    })
                }),
                suspect_environment: suspect,
            },
        )
    }

    /// A test item as it was before its counts sentence was written lazily: serde's derive
    /// over the evidence held whole. The reference for both writers.
    #[derive(Serialize)]
    #[serde(tag = "kind", rename = "test")]
    struct Reference<'a> {
        id: &'a str,
        suite: Option<&'a str>,
        classname: Option<&'a str>,
        name: &'a str,
        verdict: Verdict,
        change: Change,
        evidence: Vec<Evidence>,
        base: SideCounts,
        head: SideCounts,
        tags: &'a [String],
        file: Option<&'a str>,
        line: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        message: &'a Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        base_message: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        message_diff: Option<&'a [DiffSpan]>,
        #[serde(skip_serializing_if = "Option::is_none")]
        renamed_from: Option<&'a str>,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        suspect_environment: bool,
    }

    fn reference(t: &TestItem) -> Vec<u8> {
        let mut evidence: Vec<Evidence> = Vec::new();
        if t.counts_evidence {
            evidence.push(Evidence::new(
                "counts",
                format!("base: {}; head: {}", t.base.describe(), t.head.describe()),
            ));
        }
        evidence.extend(t.evidence.iter().cloned());
        serde_json::to_vec(&Reference {
            id: &t.id,
            suite: t.suite.as_deref(),
            classname: t.classname.as_deref(),
            name: &t.name,
            verdict: t.verdict,
            change: t.change,
            evidence,
            base: t.base,
            head: t.head,
            tags: &t.tags,
            file: t.file.as_deref(),
            line: t.line,
            message: &t.message,
            base_message: t.base_message(),
            message_diff: t.message_diff(),
            renamed_from: t.renamed_from(),
            suspect_environment: t.suspect_environment,
        })
        .unwrap()
    }

    proptest! {
        /// A test item written by hand, and by its own Serialize, is the item serde's derive
        /// wrote over the whole evidence, byte for byte.
        #[test]
        fn a_test_item_as_serde_writes_it(t in test_item()) {
            let want = String::from_utf8(reference(&t)).unwrap();
            let mut mine = Vec::new();
            write_test_item(&mut mine, &t, &mut String::new());
            prop_assert_eq!(&String::from_utf8(mine).unwrap(), &want);
            let serde = serde_json::to_vec(&Item::Test(t)).unwrap();
            prop_assert_eq!(&String::from_utf8(serde).unwrap(), &want);
        }
    }

    #[test]
    fn every_verdict_and_change_named_as_serde_names_it() {
        for v in Verdict::ALL {
            assert_eq!(
                serde_json::to_string(&v).unwrap(),
                format!("\"{}\"", v.as_str())
            );
        }
        for c in CHANGES {
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
        }
    }
}
