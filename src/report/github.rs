//! GitHub Actions: workflow-command annotations (`::error`, `::warning`, `::notice`) with
//! file and line where known, then a one-line summary. The job summary itself is the
//! Markdown rendering, which the CLI appends to `$GITHUB_STEP_SUMMARY` when it is set.

use std::io::{self, Write};

use super::table::evidence_lines;
use super::{Render, RenderOptions, Report, headline, pass_rate_sentence};
use crate::model::Verdict;

/// The GitHub Actions renderer.
pub struct Github;

/// Annotations beyond this are summarised (GitHub shows a limited number per step anyway).
const MAX_ANNOTATIONS: usize = 50;

/// Escapes a workflow-command message (`%`, CR, LF).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow-command property (also `:` and `,`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

impl Render for Github {
    fn render(&self, r: &Report, _opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
        let mut written = 0;
        let mut skipped = 0;
        for item in &r.items {
            let verdict = match (item.as_metric(), item.as_test()) {
                (Some(m), _) => m.verdict,
                (None, Some(t)) => t.verdict,
                (None, None) => continue,
            };
            let level = match verdict {
                Verdict::Regression => "error",
                Verdict::Environmental | Verdict::Inconclusive => "warning",
                Verdict::Improvement => "notice",
                Verdict::Unchanged => continue,
            };
            if written == MAX_ANNOTATIONS {
                skipped += 1;
                continue;
            }
            written += 1;
            if let Some(m) = item.as_metric() {
                writeln!(
                    out,
                    "::{level} title={}::{}",
                    escape_property(&title(m.verdict, m.change, &m.id)),
                    escape_data(&format!(
                        "{}\n{}",
                        super::fmt_change(m),
                        super::metric_reason(m)
                    ))
                )?;
                continue;
            }
            let Some(t) = item.as_test() else {
                continue;
            };
            let mut props = Vec::new();
            if let Some(f) = &t.file {
                props.push(format!("file={}", escape_property(f)));
                if let Some(l) = t.line {
                    props.push(format!("line={l}"));
                }
            }
            props.push(format!(
                "title={}",
                escape_property(&title(t.verdict, t.change, &t.id))
            ));
            let body = evidence_lines(t).join("\n");
            writeln!(out, "::{level} {}::{}", props.join(","), escape_data(&body))?;
        }
        if skipped > 0 {
            writeln!(
                out,
                "::warning title=regdiff::{} more findings are not annotated; see the job summary",
                skipped
            )?;
        }
        writeln!(out, "regdiff: {}", headline(r))?;
        writeln!(out, "regdiff: {}", pass_rate_sentence(&r.pass_rate))?;
        if r.gate.enabled {
            let state = if r.gate.passed { "passed" } else { "failed" };
            writeln!(out, "regdiff: gate {state}")?;
            for reason in &r.gate.reasons {
                writeln!(out, "::error title=regdiff gate::{}", escape_data(reason))?;
            }
            if let Some(note) = super::gate_note(&r.gate) {
                writeln!(out, "::notice title=regdiff gate::{}", escape_data(&note))?;
            }
        }
        Ok(())
    }
}

/// An annotation's title: `regdiff regression (newly failing): id`, without a change of
/// `none` (a metric with no verdict-worthy change would read "inconclusive (none)").
fn title(verdict: impl std::fmt::Display, change: crate::model::Change, id: &str) -> String {
    if change == crate::model::Change::None {
        format!("regdiff {verdict}: {id}")
    } else {
        format!("regdiff {verdict} ({change}): {id}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_workflow_commands() {
        assert_eq!(escape_data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
