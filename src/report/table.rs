//! Terminal output: a headline, one table per verdict (regressions first), the pass rate
//! with its denominators, rules that fired, environment differences, warnings, the gate.
//!
//! Colour is used only for headings and the gate line (ANSI codes inside table cells would
//! upset column widths); the CLI decides whether colour is on (`--color`, `NO_COLOR`, tty).

use std::io::{self, Write};

use comfy_table::{ContentArrangement, Table as CTable, presets};

use super::{
    Render, RenderOptions, Report, TestItem, coverage_sentence, diff, fmt_ci, fmt_rate, headline,
    pass_rate_sentence,
};
use crate::compare::cases::SideCounts;
use crate::model::Verdict;

/// The terminal renderer.
pub struct Table;

const WIDTH: u16 = 140;
/// Ids listed per coverage list before "and N more".
const LIST_LIMIT: usize = 20;

fn paint(on: bool, code: &str, s: &str) -> String {
    if on {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn verdict_color(v: Verdict) -> &'static str {
    match v {
        Verdict::Regression => "1;31",
        Verdict::Improvement => "1;32",
        Verdict::Environmental => "1;33",
        Verdict::Inconclusive => "1;35",
        Verdict::Unchanged => "1",
    }
}

/// `1/1 passed`, `0/2 passed (1 retried)`, `skipped`, `absent`.
pub fn short_counts(c: &SideCounts) -> String {
    if c.runs == 0 {
        return "absent".into();
    }
    if c.executed() == 0 {
        return format!("skipped ({}/{})", c.skipped, c.runs);
    }
    let mut s = format!("{}/{} passed", c.passed, c.executed());
    if c.errored > 0 {
        s.push_str(&format!(", {} errored", c.errored));
    }
    if c.passed_after_retry > 0 {
        s.push_str(&format!(" ({} after retry)", c.passed_after_retry));
    }
    if c.skipped > 0 {
        s.push_str(&format!(", {} skipped", c.skipped));
    }
    if c.absent > 0 {
        s.push_str(&format!(", absent {}", c.absent));
    }
    s
}

/// The evidence lines worth a table cell: everything but the raw counts (already in columns).
pub fn evidence_lines(t: &TestItem) -> Vec<String> {
    let mut lines: Vec<String> = t
        .evidence
        .iter()
        .filter(|e| e.rule != "counts")
        .map(|e| match e.rule.as_str() {
            "possible_cause" => format!("possible cause: {}", e.detail),
            "veto" => format!("veto: {}", e.detail),
            r if r.starts_with('E') && r.len() == 2 => format!("{r}: {}", e.detail),
            _ => e.detail.clone(),
        })
        .collect();
    if let Some(d) = t.message_diff() {
        lines.push(format!("message (base → head): {}", diff::inline(d)));
    } else if let Some(m) = &t.message {
        lines.push(format!("message: {}", m.lines().next().unwrap_or("")));
    } else if let Some(m) = t.base_message() {
        lines.push(format!("base failure: {}", m.lines().next().unwrap_or("")));
    }
    lines
}

/// Writes a table line by line, as its `Display` would print it plus a newline, without
/// joining its lines into one string first (a table of 93,000 metrics is 278 MB of text).
fn write_table(out: &mut dyn std::io::Write, t: &CTable) -> std::io::Result<()> {
    for line in t.lines() {
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

fn item_table(items: &[&TestItem]) -> CTable {
    let mut table = CTable::new();
    table
        .load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(WIDTH)
        .set_header(vec!["test", "change", "base", "head", "evidence"]);
    for t in items {
        let mut id = t.id.to_string();
        if !t.tags.is_empty() {
            id.push_str(&format!(" [{}]", t.tags.join(", ")));
        }
        table.add_row(vec![
            id,
            t.change.to_string(),
            short_counts(&t.base),
            short_counts(&t.head),
            evidence_lines(t).join("\n"),
        ]);
    }
    table
}

impl Render for Table {
    fn render(&self, r: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
        let c = opts.color;
        writeln!(
            out,
            "{} base: {} run(s), {} tests, {} metrics  →  head: {} run(s), {} tests, {} metrics{}",
            paint(c, "1", "regdiff"),
            r.base.runs,
            r.base.tests,
            r.base.metrics,
            r.head.runs,
            r.head.tests,
            r.head.metrics,
            if r.history.runs > 0 {
                format!("  (history: {} runs)", r.history.runs)
            } else {
                String::new()
            }
        )?;
        writeln!(out, "{}", headline(r))?;
        for (v, group) in super::test_groups(r, opts.show_unchanged) {
            let title = if v == Verdict::Unchanged && !opts.show_unchanged {
                format!("UNCHANGED: still failing ({})", group.len())
            } else {
                format!("{} ({})", v.as_str().to_uppercase(), group.len())
            };
            writeln!(out)?;
            writeln!(out, "{}", paint(c, verdict_color(v), &title))?;
            write_table(out, &item_table(&group))?;
        }
        if !opts.show_unchanged {
            for (title, ids) in super::coverage_lists(r) {
                writeln!(out)?;
                writeln!(out, "{} ({})", paint(c, "1", title), ids.len())?;
                for id in ids.iter().take(LIST_LIMIT) {
                    writeln!(out, "  {id}")?;
                }
                if ids.len() > LIST_LIMIT {
                    writeln!(
                        out,
                        "  … and {} more (--show-unchanged or --format json lists all)",
                        ids.len() - LIST_LIMIT
                    )?;
                }
            }
        }
        let metrics = super::metric_rows(r, opts.show_unchanged);
        if r.items.iter().any(|i| i.as_metric().is_some()) {
            writeln!(out)?;
            writeln!(out, "{}", paint(c, "1", "Metrics"))?;
            let mut t = CTable::new();
            t.load_style(presets::UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(WIDTH)
                .set_header(vec![
                    "metric", "base", "head", "change", "q", "verdict", "evidence",
                ]);
            for m in &metrics {
                t.add_row(vec![
                    m.id.clone(),
                    super::fmt_side(&m.base, &m.unit),
                    super::fmt_side(&m.head, &m.unit),
                    super::fmt_change(m),
                    m.q.map(super::fmt_p).unwrap_or_else(|| "–".into()),
                    super::metric_verdict(m),
                    super::metric_reason(m),
                ]);
            }
            if !metrics.is_empty() {
                write_table(out, &t)?;
            }
            if let Some(line) = super::hidden_metrics_line(r, &metrics) {
                writeln!(out, "  {line}")?;
            }
            for line in super::group_lines(r) {
                writeln!(out, "  {line}")?;
            }
        }
        if r.pass_rate.common > 0 || r.pass_rate.base_tests + r.pass_rate.head_tests > 0 {
            writeln!(out)?;
            let p = &r.pass_rate;
            writeln!(out, "{}", paint(c, "1", "Pass rate"))?;
            writeln!(out, "  {}", pass_rate_sentence(p))?;
            writeln!(out, "  base {}, head {}", fmt_ci(&p.base), fmt_ci(&p.head))?;
            writeln!(out, "  {}", coverage_sentence(p))?;
            if r.suites.len() > 1 {
                let mut t = CTable::new();
                t.load_style(presets::UTF8_FULL_CONDENSED)
                    .set_content_arrangement(ContentArrangement::Dynamic)
                    .set_width(WIDTH)
                    .set_header(vec![
                        "suite",
                        "tests",
                        "regr.",
                        "impr.",
                        "env.",
                        "inconcl.",
                        "pass rate (common)",
                        "rate verdict",
                    ]);
                for s in &r.suites {
                    t.add_row(vec![
                        s.name.clone(),
                        s.tests.to_string(),
                        s.summary.regression.to_string(),
                        s.summary.improvement.to_string(),
                        s.summary.environmental.to_string(),
                        s.summary.inconclusive.to_string(),
                        format!("{} → {}", fmt_rate(&s.base), fmt_rate(&s.head)),
                        s.verdict.to_string(),
                    ]);
                }
                write_table(out, &t)?;
            }
        }
        let fired: Vec<String> = r
            .rules
            .iter()
            .filter(|h| h.hits > 0)
            .map(|h| format!("{} ({}) {}", h.name, h.strength, h.hits))
            .collect();
        if !fired.is_empty() {
            writeln!(
                out,
                "Signature rules that fired on head failures: {}",
                fired.join(", ")
            )?;
        }
        if !r.environment.is_empty() {
            writeln!(
                out,
                "{}",
                paint(c, "1", "Environment differs between the sides")
            )?;
            for d in &r.environment {
                writeln!(
                    out,
                    "  {}: {} → {}",
                    d.field,
                    d.base.join(", "),
                    d.head.join(", ")
                )?;
            }
        }
        if !r.warnings.is_empty() {
            writeln!(
                out,
                "{}",
                paint(c, "1;33", &format!("Warnings ({})", r.warnings.len()))
            )?;
            for w in r.warnings.iter().take(20) {
                writeln!(out, "  {w}")?;
            }
            if r.warnings.len() > 20 {
                writeln!(
                    out,
                    "  … and {} more (see --format json)",
                    r.warnings.len() - 20
                )?;
            }
        }
        if r.gate.enabled {
            if r.gate.passed {
                writeln!(out, "{}", paint(c, "1;32", "Gate: passed"))?;
            } else {
                writeln!(out, "{}", paint(c, "1;31", "Gate: FAILED"))?;
                for reason in &r.gate.reasons {
                    writeln!(out, "  - {reason}")?;
                }
            }
            if let Some(note) = super::gate_note(&r.gate) {
                writeln!(out, "  note: {note}")?;
            }
        }
        Ok(())
    }
}
