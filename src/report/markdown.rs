//! Markdown for a pull-request comment or a GitHub job summary: a headline, the gate, the
//! pass rate with its denominators, a table per verdict, and long lists folded into
//! `<details>` blocks so the comment stays readable.

use std::io::{self, Write};

use super::table::{evidence_lines, short_counts};
use super::{
    Render, RenderOptions, Report, TestItem, coverage_sentence, fmt_ci, fmt_rate, headline,
    pass_rate_sentence,
};
use crate::model::Verdict;

/// The Markdown renderer.
pub struct Markdown;

/// Lists longer than this are folded.
const FOLD_AFTER: usize = 10;

/// Escapes a table cell: pipes, newlines and HTML-significant characters.
fn cell(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace('\n', "<br>")
}

fn code(s: &str) -> String {
    // Inline code cannot hold a backtick; fall back to escaped text.
    if s.contains('`') {
        cell(s)
    } else {
        format!("`{}`", s.replace('|', "\\|"))
    }
}

fn write_items(out: &mut dyn Write, items: &[&TestItem]) -> io::Result<()> {
    writeln!(out, "| test | change | base | head | evidence |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    for t in items {
        let mut id = code(&t.id);
        if !t.tags.is_empty() {
            id.push_str(&format!(" ({})", cell(&t.tags.join(", "))));
        }
        writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            id,
            t.change,
            cell(&short_counts(&t.base)),
            cell(&short_counts(&t.head)),
            cell(&evidence_lines(t).join("\n"))
        )?;
    }
    Ok(())
}

impl Render for Markdown {
    fn render(&self, r: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "## regdiff: {}", headline(r))?;
        writeln!(out)?;
        if r.gate.enabled {
            if r.gate.passed {
                writeln!(out, "**Gate: passed.**")?;
            } else {
                writeln!(out, "**Gate: failed.**")?;
                writeln!(out)?;
                for reason in &r.gate.reasons {
                    writeln!(out, "- {}", cell(reason))?;
                }
            }
            if let Some(note) = super::gate_note(&r.gate) {
                writeln!(out)?;
                writeln!(out, "Note: {}", cell(&note))?;
            }
            writeln!(out)?;
        }
        let has_tests = r.base.tests + r.head.tests > 0;
        writeln!(out, "| | base | head |")?;
        writeln!(out, "|---|---|---|")?;
        writeln!(out, "| runs | {} | {} |", r.base.runs, r.head.runs)?;
        if has_tests {
            writeln!(out, "| tests | {} | {} |", r.base.tests, r.head.tests)?;
        }
        if r.base.metrics + r.head.metrics > 0 {
            writeln!(out, "| metrics | {} | {} |", r.base.metrics, r.head.metrics)?;
        }
        let p = &r.pass_rate;
        if has_tests {
            writeln!(
                out,
                "| pass rate, common tests ({}) | {} | {} |",
                p.common,
                fmt_rate(&p.base),
                fmt_rate(&p.head)
            )?;
            writeln!(
                out,
                "| 95% interval | {} | {} |",
                fmt_ci(&p.base),
                fmt_ci(&p.head)
            )?;
            writeln!(
                out,
                "| pass rate, own tests | {} | {} |",
                fmt_rate(&p.base_all),
                fmt_rate(&p.head_all)
            )?;
            writeln!(out)?;
            let mut sentence = pass_rate_sentence(p);
            if let Some(first) = sentence.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            writeln!(out, "{}.", sentence)?;
            writeln!(out, "{}.", coverage_sentence(p).replacen('b', "B", 1))?;
        }
        for (v, group) in super::test_groups(r, opts.show_unchanged) {
            let title = match v {
                Verdict::Regression => "Regressions",
                Verdict::Improvement => "Improvements",
                Verdict::Environmental => "Environmental",
                Verdict::Inconclusive => "Inconclusive",
                Verdict::Unchanged if opts.show_unchanged => "Unchanged",
                Verdict::Unchanged => "Unchanged: still failing",
            };
            writeln!(out)?;
            let fold = group.len() > FOLD_AFTER || v == Verdict::Unchanged;
            if fold {
                writeln!(
                    out,
                    "<details><summary>{title} ({})</summary>\n",
                    group.len()
                )?;
            } else {
                writeln!(out, "### {title} ({})", group.len())?;
                writeln!(out)?;
            }
            write_items(out, &group)?;
            if fold {
                writeln!(out, "\n</details>")?;
            }
        }
        if !opts.show_unchanged {
            for (title, ids) in super::coverage_lists(r) {
                writeln!(out)?;
                writeln!(out, "<details><summary>{title} ({})</summary>\n", ids.len())?;
                for id in &ids {
                    writeln!(out, "- {}", code(id))?;
                }
                writeln!(out, "\n</details>")?;
            }
        }
        let metrics = super::metric_rows(r, opts.show_unchanged);
        if r.items.iter().any(|i| i.as_metric().is_some()) {
            writeln!(out)?;
            let fold = metrics.len() > FOLD_AFTER;
            if fold {
                writeln!(
                    out,
                    "<details><summary>Metrics ({})</summary>\n",
                    metrics.len()
                )?;
            } else {
                writeln!(out, "### Metrics")?;
                writeln!(out)?;
            }
            if !metrics.is_empty() {
                writeln!(
                    out,
                    "| metric | base | head | change | q | verdict | evidence |"
                )?;
                writeln!(out, "|---|---|---|---|---|---|---|")?;
            }
            for m in &metrics {
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    code(&m.id),
                    cell(&super::fmt_side(&m.base, &m.unit)),
                    cell(&super::fmt_side(&m.head, &m.unit)),
                    cell(&super::fmt_change(m)),
                    m.q.map(super::fmt_p).unwrap_or_else(|| "–".into()),
                    super::metric_verdict(m),
                    cell(&super::metric_reason(m))
                )?;
            }
            if fold {
                writeln!(out, "\n</details>")?;
            }
            if !metrics.is_empty() {
                writeln!(out)?;
            }
            if let Some(line) = super::hidden_metrics_line(r, &metrics) {
                writeln!(out, "{line}")?;
                writeln!(out)?;
            }
            for line in super::group_lines(r) {
                writeln!(out, "- {}", cell(&line))?;
            }
        }
        if r.suites.len() > 1 {
            writeln!(out)?;
            writeln!(
                out,
                "<details><summary>Suites ({})</summary>\n",
                r.suites.len()
            )?;
            writeln!(
                out,
                "| suite | tests | regressions | improvements | environmental | inconclusive | pass rate (common) | rate verdict |"
            )?;
            writeln!(out, "|---|---|---|---|---|---|---|---|")?;
            for s in &r.suites {
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} → {} | {} |",
                    code(&s.name),
                    s.tests,
                    s.summary.regression,
                    s.summary.improvement,
                    s.summary.environmental,
                    s.summary.inconclusive,
                    fmt_rate(&s.base),
                    fmt_rate(&s.head),
                    s.verdict
                )?;
            }
            writeln!(out, "\n</details>")?;
        }
        if !r.environment.is_empty() {
            writeln!(out)?;
            writeln!(out, "**Environment differs between the sides:**")?;
            writeln!(out)?;
            for d in &r.environment {
                writeln!(
                    out,
                    "- {}: {} → {}",
                    cell(&d.field),
                    cell(&d.base.join(", ")),
                    cell(&d.head.join(", "))
                )?;
            }
        }
        if !r.warnings.is_empty() {
            writeln!(out)?;
            writeln!(
                out,
                "<details><summary>Warnings ({})</summary>\n",
                r.warnings.len()
            )?;
            for w in &r.warnings {
                writeln!(out, "- {}", cell(w))?;
            }
            writeln!(out, "\n</details>")?;
        }
        Ok(())
    }
}
