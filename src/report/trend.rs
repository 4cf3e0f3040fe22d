//! Outputs of `regdiff trend` and `regdiff flaky`: terminal text (a sparkline per metric
//! with findings; quiet metrics counted, not listed), Markdown, JSON (`regdiff.trend/1`) and
//! one self-contained HTML page with an SVG chart per metric.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::model::Verdict;
use crate::trend::flaky::TestKind;
use crate::trend::{Drift, MetricTrend, TestTrend, Trend, fmt_ratio};
use crate::units::{fmt_p, human};

/// The JSON schema tag.
pub const TREND_SCHEMA: &str = "regdiff.trend/1";

/// A finite number, or null.
fn num(x: f64) -> Value {
    if x.is_finite() { json!(x) } else { Value::Null }
}

fn pair(p: (f64, f64)) -> Value {
    json!([num(p.0), num(p.1)])
}

fn commit_of(t: &Trend, run: usize) -> Value {
    t.runs[run]
        .commit
        .as_ref()
        .map_or(Value::Null, |c| json!(c))
}

/// The run's commit, else its snapshot id, for people.
pub fn run_label(t: &Trend, run: usize) -> String {
    let r = &t.runs[run];
    r.commit
        .as_deref()
        .map(|c| c.chars().take(12).collect())
        .unwrap_or_else(|| r.id.clone())
}

/// Whether a drift was reported, and which way.
fn drift_direction(d: &Drift) -> Option<&'static str> {
    match d.verdict {
        Verdict::Regression => Some("worse"),
        Verdict::Improvement => Some("better"),
        Verdict::Inconclusive => Some("median only"),
        _ => None,
    }
}

fn drift_json(d: &Drift) -> Value {
    json!({
        "points": d.points,
        "mann_kendall_p": num(d.p),
        "q": num(d.q),
        "tau": num(d.tau),
        "per_run": num(d.per_run),
        "ratio": num(d.over_window),
        "ci": pair(d.ci),
        "code_ratio": d.code_over_window.map_or(Value::Null, num),
        "reported": drift_direction(d).is_some(),
        "verdict": d.verdict.as_str(),
    })
}

fn metric_json(t: &Trend, m: &MetricTrend) -> Value {
    json!({
        "id": m.id,
        "unit": m.unit,
        "better": m.better,
        "code_statistic": m.code_stat,
        "points": m.points.len(),
        "series": m.points.iter().map(|p| json!([p.run, num(p.value), p.samples])).collect::<Vec<_>>(),
        "change_points": m.change_points.iter().map(|c| json!({
            "commit": commit_of(t, c.run),
            "index": c.run,
            "time": t.runs[c.run].time,
            "before": num(c.before),
            "after": num(c.after),
            "runs_before": c.runs_before,
            "runs_after": c.runs_after,
            "ratio": num(c.ratio),
            "ci": pair(c.ci),
            "p": num(c.p),
            "p_needed": num(c.p_needed),
            "found_on": c.found_on,
            "code_ratio": c.code_ratio.map_or(Value::Null, num),
            "code_ci": c.code_ci.map_or(Value::Null, pair),
            "common": c.common.map_or(Value::Null, |(r, n, of)| json!({"ratio": num(r), "metrics": n, "of": of})),
            "verdict": c.verdict.as_str(),
            "reason": c.reason,
        })).collect::<Vec<_>>(),
        "outliers": m.outliers.iter().map(|o| json!({
            "commit": commit_of(t, o.run),
            "index": o.run,
            "ratio": num(o.ratio),
            "environmental": o.environmental,
            "reason": o.reason,
        })).collect::<Vec<_>>(),
        "segments": m.segments.iter().map(|s| json!({"from": s.from, "to": s.to, "level": num(s.level)})).collect::<Vec<_>>(),
        "drift": m.drift.as_ref().map_or(Value::Null, drift_json),
    })
}

fn test_json(t: &Trend, x: &TestTrend) -> Value {
    let h = &x.history;
    json!({
        "id": x.id,
        "kind": x.kind.as_str(),
        "runs": h.runs,
        "failures": h.failures,
        "rate": num(h.rate()),
        "rate_ci": h.rate_ci.map_or(Value::Null, |c| pair((c.lower, c.upper))),
        "flips": h.flips,
        "flip_rate": num(h.flip_rate()),
        "mixed_runs": h.mixed_runs,
        "since": x.since.map(|r| json!({"index": r, "commit": commit_of(t, r)})),
    })
}

/// The `regdiff.trend/1` document.
pub fn json(t: &Trend) -> Value {
    let o = &t.options;
    json!({
        "schema": TREND_SCHEMA,
        "branch": t.branch,
        "runs": t.runs.len(),
        "history": t.runs.iter().enumerate().map(|(i, r)| json!({"index": i, "id": r.id, "commit": r.commit, "time": r.time})).collect::<Vec<_>>(),
        "options": {
            "threshold": o.threshold, "alpha": o.alpha, "window": o.window,
            "max_pvalue": o.max_pvalue, "drift_window": o.drift_window, "min_flaky_runs": o.min_flaky_runs,
        },
        "metrics": t.metrics.iter().map(|m| metric_json(t, m)).collect::<Vec<_>>(),
        "gate": {
            "after_regression": t.latest_after_regression().iter().map(|m| &m.id).collect::<Vec<_>>(),
        },
        "common_tests": t.common_tests,
        "tests_seen": t.tests_seen,
        "pass_rate": t.pass_rate.iter().map(|p| json!({
            "index": p.run,
            "commit": commit_of(t, p.run),
            "passed": p.passed,
            "executed": p.executed,
            "total": p.total,
            "rate": if p.executed > 0 { num(p.passed as f64 / p.executed as f64) } else { Value::Null },
        })).collect::<Vec<_>>(),
        "flaky": t.tests.iter().filter(|x| x.kind == TestKind::Flaky).map(|x| test_json(t, x)).collect::<Vec<_>>(),
        "tests": t.tests.iter().filter(|x| x.kind != TestKind::Flaky).map(|x| test_json(t, x)).collect::<Vec<_>>(),
    })
}

/// A sparkline of values (eight levels), one character per point.
pub fn sparkline(values: &[f64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let (lo, hi) = values
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    values
        .iter()
        .map(|v| {
            if !v.is_finite() {
                ' '
            } else if hi <= lo {
                BARS[3]
            } else {
                BARS[(((v - lo) / (hi - lo)) * 7.0).round() as usize]
            }
        })
        .collect()
}

/// The last `width` points, as a sparkline (a long history keeps its recent end).
fn metric_sparkline(m: &MetricTrend, width: usize) -> String {
    let v: Vec<f64> = m.points.iter().map(|p| p.value).collect();
    sparkline(&v[v.len().saturating_sub(width)..])
}

fn better_text(m: &MetricTrend) -> &'static str {
    match m.better {
        crate::model::Better::Lower => "lower is better",
        crate::model::Better::Higher => "higher is better",
    }
}

fn headline(t: &Trend) -> String {
    let span = match (t.runs.first(), t.runs.len()) {
        (Some(_), n) if n > 0 => format!(" ({} .. {})", run_label(t, 0), run_label(t, n - 1)),
        _ => String::new(),
    };
    format!(
        "trend of branch {}: {} run(s){span}, {} metric(s), {} test(s) seen; practical threshold {:.0}%",
        t.branch,
        t.runs.len(),
        t.metrics.len(),
        t.tests_seen,
        100.0 * t.options.threshold
    )
}

fn change_line(t: &Trend, m: &MetricTrend, c: &crate::trend::TrendChange) -> String {
    format!(
        "{} at run {} ({}): {} [{}, {}], {} -> {} ({} runs before, {} after), p = {}",
        c.verdict.as_str(),
        c.run,
        run_label(t, c.run),
        fmt_ratio(c.ratio),
        fmt_ratio(c.ci.0),
        fmt_ratio(c.ci.1),
        human(c.before, &m.unit),
        human(c.after, &m.unit),
        c.runs_before,
        c.runs_after,
        fmt_p(c.p)
    )
}

fn drift_line(m: &MetricTrend, d: &Drift) -> Option<String> {
    let dir = drift_direction(d)?;
    Some(format!(
        "slow drift ({dir}) over the last {} runs: {} [{}, {}] fitted (Mann–Kendall p = {}, q = {}){}",
        d.points,
        fmt_ratio(d.over_window),
        fmt_ratio(d.ci.0),
        fmt_ratio(d.ci.1),
        fmt_p(d.p),
        fmt_p(d.q),
        match (d.code_over_window, m.code_stat) {
            (Some(c), Some(name)) => format!("; the {name} {}", fmt_ratio(c)),
            _ => String::new(),
        }
    ))
}

fn pass_rate_line(t: &Trend) -> Option<String> {
    let last = t.pass_rate.last()?;
    let rate = |p: &crate::trend::PassRatePoint| {
        if p.executed == 0 {
            f64::NAN
        } else {
            p.passed as f64 / p.executed as f64
        }
    };
    let low = t
        .pass_rate
        .iter()
        .filter(|p| p.executed > 0)
        .min_by(|a, b| rate(a).total_cmp(&rate(b)))?;
    Some(format!(
        "pass rate over the {} tests every run holds: latest run {}/{} ({:.1}%); lowest {}/{} ({:.1}%) at run {} ({}); over {} run(s) with tests",
        t.common_tests,
        last.passed,
        last.executed,
        100.0 * rate(last),
        low.passed,
        low.executed,
        100.0 * rate(low),
        low.run,
        run_label(t, low.run),
        t.pass_rate.len()
    ))
}

/// One line per test with a failure, for people.
pub fn test_line(t: &Trend, x: &TestTrend) -> String {
    let h = &x.history;
    let ci = h.rate_ci.map_or(String::new(), |c| {
        format!(" [{:.0}–{:.0}%]", 100.0 * c.lower, 100.0 * c.upper)
    });
    let since = x
        .since
        .map(|r| format!(", since run {r} ({})", run_label(t, r)))
        .unwrap_or_default();
    format!(
        "{:<13} failed {}/{} runs ({:.0}%{ci}), {} flip(s){}{since}  {}",
        x.kind.as_str(),
        h.failures,
        h.runs,
        100.0 * h.rate(),
        h.flips,
        if h.mixed_runs > 0 {
            format!(", {} run(s) passed on retry", h.mixed_runs)
        } else {
            String::new()
        },
        x.id
    )
}

/// The metrics with findings, the most important first: regression change points, then
/// improvements, environmental and inconclusive ones, reported drift, outliers only.
pub fn with_findings(t: &Trend) -> Vec<&MetricTrend> {
    let rank = |m: &MetricTrend| {
        m.change_points
            .iter()
            .map(|c| match c.verdict {
                Verdict::Regression => 0,
                Verdict::Improvement => 1,
                Verdict::Environmental => 2,
                _ => 3,
            })
            .min()
            .unwrap_or(if m.drift.as_ref().and_then(drift_direction).is_some() {
                4
            } else {
                5
            })
    };
    let mut v: Vec<&MetricTrend> = t.metrics.iter().filter(|m| !m.is_quiet()).collect();
    v.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.id.cmp(&b.id)));
    v
}

/// Terminal text: the metrics with findings (sparkline, change points, outliers, drift),
/// the quiet ones counted, the pass rate and the tests with failures.
pub fn terminal(t: &Trend, max_tests: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", headline(t));
    let loud = with_findings(t);
    for m in &loud {
        let _ = writeln!(
            out,
            "\n{} ({}, {}; {} runs{})",
            m.id,
            m.unit,
            better_text(m),
            m.points.len(),
            m.code_stat
                .map(|c| format!(", code statistic: {c}"))
                .unwrap_or_default()
        );
        let last = m
            .points
            .last()
            .map(|p| human(p.value, &m.unit))
            .unwrap_or_default();
        let _ = writeln!(out, "  {}  latest {last}", metric_sparkline(m, 60));
        for c in &m.change_points {
            let _ = writeln!(out, "  {}", change_line(t, m, c));
            let _ = writeln!(out, "      {}", c.reason);
        }
        for o in &m.outliers {
            let _ = writeln!(
                out,
                "  {} run {} ({}): {}",
                if o.environmental {
                    "environmental outlier"
                } else {
                    "outlier"
                },
                o.run,
                run_label(t, o.run),
                o.reason
            );
        }
        if let Some(line) = m.drift.as_ref().and_then(|d| drift_line(m, d)) {
            let _ = writeln!(out, "  {line}");
        }
    }
    let quiet = t.metrics.len() - loud.len();
    if !t.metrics.is_empty() {
        let _ = writeln!(
            out,
            "\n{quiet} of {} metric(s) without a change point, outlier or drift (not listed).",
            t.metrics.len()
        );
    }
    if let Some(l) = pass_rate_line(t) {
        let _ = writeln!(out, "{l}");
    }
    if !t.tests.is_empty() {
        let flaky = t.tests.iter().filter(|x| x.kind == TestKind::Flaky).count();
        let _ = writeln!(
            out,
            "\n{} test(s) failed at least once, {flaky} flaky (at least {} executed runs and alternating, or passed on retry):",
            t.tests.len(),
            t.options.min_flaky_runs
        );
        for x in t.tests.iter().take(max_tests) {
            let _ = writeln!(out, "  {}", test_line(t, x));
        }
        if t.tests.len() > max_tests {
            let _ = writeln!(
                out,
                "  … and {} more (`regdiff flaky`)",
                t.tests.len() - max_tests
            );
        }
    }
    let gated = t.latest_after_regression();
    if !gated.is_empty() {
        let _ = writeln!(
            out,
            "\nthe latest run sits after a regression change point of {} metric(s): {}",
            gated.len(),
            gated
                .iter()
                .map(|m| m.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    out
}

/// `regdiff flaky`: the tests ranked by flakiness.
pub fn flaky_text(t: &Trend) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "tests of branch {} over {} run(s): {} seen, {} failed at least once; a test is called flaky after at least {} executed runs",
        t.branch,
        t.runs.len(),
        t.tests_seen,
        t.tests.len(),
        t.options.min_flaky_runs
    );
    for x in &t.tests {
        let _ = writeln!(out, "  {}", test_line(t, x));
    }
    out
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Markdown: the findings as tables.
pub fn markdown(t: &Trend) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## regdiff trend\n\n{}\n", headline(t));
    let rows: Vec<(&MetricTrend, &crate::trend::TrendChange)> = t
        .metrics
        .iter()
        .flat_map(|m| m.change_points.iter().map(move |c| (m, c)))
        .collect();
    if !rows.is_empty() {
        out.push_str("### Change points\n\n| metric | run | verdict | change | 95% CI | before → after | runs | p | evidence |\n|---|---|---|---|---|---|---|---|---|\n");
        for (m, c) in rows {
            let _ = writeln!(
                out,
                "| `{}` | {} ({}) | {} | {} | {} – {} | {} → {} | {} + {} | {} | {} |",
                md_escape(&m.id),
                c.run,
                md_escape(&run_label(t, c.run)),
                c.verdict.as_str(),
                fmt_ratio(c.ratio),
                fmt_ratio(c.ci.0),
                fmt_ratio(c.ci.1),
                human(c.before, &m.unit),
                human(c.after, &m.unit),
                c.runs_before,
                c.runs_after,
                fmt_p(c.p),
                md_escape(&c.reason)
            );
        }
        out.push('\n');
    }
    let outliers: Vec<_> = t
        .metrics
        .iter()
        .flat_map(|m| m.outliers.iter().map(move |o| (m, o)))
        .collect();
    if !outliers.is_empty() {
        out.push_str("### Outliers (runs set apart)\n\n| metric | run | change | environmental | why |\n|---|---|---|---|---|\n");
        for (m, o) in outliers {
            let _ = writeln!(
                out,
                "| `{}` | {} ({}) | {} | {} | {} |",
                md_escape(&m.id),
                o.run,
                md_escape(&run_label(t, o.run)),
                fmt_ratio(o.ratio),
                if o.environmental { "yes" } else { "no" },
                md_escape(&o.reason)
            );
        }
        out.push('\n');
    }
    let drifts: Vec<_> = t
        .metrics
        .iter()
        .filter_map(|m| {
            m.drift
                .as_ref()
                .and_then(|d| drift_line(m, d))
                .map(|l| (m, l))
        })
        .collect();
    if !drifts.is_empty() {
        out.push_str("### Slow drift\n\n");
        for (m, l) in drifts {
            let _ = writeln!(out, "- `{}`: {}", md_escape(&m.id), md_escape(&l));
        }
        out.push('\n');
    }
    let quiet = t.metrics.iter().filter(|m| m.is_quiet()).count();
    let _ = writeln!(
        out,
        "{quiet} of {} metric(s) without a change point, outlier or drift.\n",
        t.metrics.len()
    );
    if let Some(l) = pass_rate_line(t) {
        let _ = writeln!(out, "{l}\n");
    }
    if !t.tests.is_empty() {
        out.push_str("### Tests that failed at least once\n\n| test | kind | failed | rate (95% CI) | flips | since |\n|---|---|---|---|---|---|\n");
        for x in &t.tests {
            let h = &x.history;
            let _ = writeln!(
                out,
                "| `{}` | {} | {}/{} | {:.0}% ({}) | {} | {} |",
                md_escape(&x.id),
                x.kind.as_str(),
                h.failures,
                h.runs,
                100.0 * h.rate(),
                h.rate_ci.map_or("n/a".into(), |c| format!(
                    "{:.0}–{:.0}%",
                    100.0 * c.lower,
                    100.0 * c.upper
                )),
                h.flips,
                x.since
                    .map_or(String::new(), |r| md_escape(&run_label(t, r)))
            );
        }
    }
    out
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn verdict_color(v: Verdict) -> &'static str {
    match v {
        Verdict::Regression => "#c62828",
        Verdict::Improvement => "#2e7d32",
        Verdict::Environmental => "#6a1b9a",
        Verdict::Inconclusive => "#ef6c00",
        Verdict::Unchanged => "#607d8b",
    }
}

/// One metric's chart: points per run, segment levels as steps, change points marked with
/// their commit and change, outliers (hollow) and environmental outliers (purple) apart,
/// each with hover text.
fn chart(t: &Trend, m: &MetricTrend) -> String {
    let (w, h) = (900.0, 220.0);
    let (l, r, top, bottom) = (70.0, 20.0, 28.0, 30.0);
    let runs = t.runs.len().max(2);
    let vals: Vec<f64> = m
        .points
        .iter()
        .map(|p| p.value)
        .chain(m.segments.iter().map(|s| s.level))
        .filter(|v| v.is_finite())
        .collect();
    let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo * 0.9, lo * 1.1 + 1e-12)
    };
    let pad = 0.08 * (hi - lo);
    let (lo, hi) = (lo - pad, hi + pad);
    let x = |run: usize| l + (w - l - r) * run as f64 / (runs - 1) as f64;
    let y = |v: f64| top + (h - top - bottom) * (1.0 - (v - lo) / (hi - lo));
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{}">"#,
        esc(&m.id)
    );
    let _ = write!(
        s,
        r##"<rect x="{l}" y="{top}" width="{}" height="{}" fill="#fafafa" stroke="#ddd"/>"##,
        w - l - r,
        h - top - bottom
    );
    for k in 0..=3 {
        let v = lo + (hi - lo) * k as f64 / 3.0;
        let _ = write!(
            s,
            r##"<text x="{}" y="{:.1}" font-size="11" text-anchor="end" fill="#555">{}</text>"##,
            l - 6.0,
            y(v) + 4.0,
            esc(&human(v, &m.unit))
        );
    }
    let _ = write!(
        s,
        r##"<text x="{l}" y="{}" font-size="11" fill="#555">run 0 ({})</text><text x="{}" y="{}" font-size="11" text-anchor="end" fill="#555">run {} ({})</text>"##,
        h - 10.0,
        esc(&run_label(t, 0)),
        w - r,
        h - 10.0,
        runs - 1,
        esc(&run_label(t, t.runs.len().saturating_sub(1)))
    );
    // Levels as steps.
    for seg in &m.segments {
        let (x0, x1) = (x(seg.from) - 4.0, x(seg.to) + 4.0);
        let _ = write!(
            s,
            r##"<line class="level" x1="{x0:.1}" y1="{:.1}" x2="{x1:.1}" y2="{:.1}" stroke="#1565c0" stroke-width="2.5" opacity="0.7"><title>level {} over runs {}–{}</title></line>"##,
            y(seg.level),
            y(seg.level),
            esc(&human(seg.level, &m.unit)),
            seg.from,
            seg.to
        );
    }
    // Change points.
    for c in &m.change_points {
        let cx = x(c.run) - 0.5 * (w - l - r) / (runs - 1) as f64;
        let color = verdict_color(c.verdict);
        let _ = write!(
            s,
            r##"<g class="change-point"><line x1="{cx:.1}" y1="{top}" x2="{cx:.1}" y2="{}" stroke="{color}" stroke-dasharray="4 3" stroke-width="1.5"/><text x="{:.1}" y="{}" font-size="11" fill="{color}">{} {} {}</text><title>{}: {} at run {} ({}), {} [{}, {}], p = {}. {}</title></g>"##,
            h - bottom,
            cx + 3.0,
            top - 8.0,
            esc(&run_label(t, c.run)),
            esc(&fmt_ratio(c.ratio)),
            c.verdict.as_str(),
            esc(&m.id),
            c.verdict.as_str(),
            c.run,
            esc(&run_label(t, c.run)),
            esc(&fmt_ratio(c.ratio)),
            esc(&fmt_ratio(c.ci.0)),
            esc(&fmt_ratio(c.ci.1)),
            esc(&fmt_p(c.p)),
            esc(&c.reason)
        );
    }
    // Points.
    for p in &m.points {
        let o = m.outliers.iter().find(|o| o.run == p.run);
        let (fill, stroke, class) = match o {
            Some(o) if o.environmental => ("#8e24aa", "#8e24aa", "point environmental"),
            Some(_) => ("#fff", "#d84315", "point outlier"),
            None => ("#263238", "#263238", "point"),
        };
        let note = o.map_or(String::new(), |o| format!(" — {}", o.reason));
        let _ = write!(
            s,
            r#"<circle class="{class}" cx="{:.1}" cy="{:.1}" r="3.5" fill="{fill}" stroke="{stroke}" stroke-width="1.5"><title>run {} ({}): {} ({} samples){}</title></circle>"#,
            x(p.run),
            y(p.value),
            p.run,
            esc(&run_label(t, p.run)),
            esc(&human(p.value, &m.unit)),
            p.samples,
            esc(&note)
        );
    }
    s.push_str("</svg>");
    s
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#222;max-width:960px}h1{font-size:22px}h2{font-size:17px;margin-top:28px}h3{font-size:14px;margin:18px 0 4px;font-family:ui-monospace,monospace}p.meta{color:#555}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}th{background:#f3f3f3}ul.findings{font-size:13px;margin:4px 0 0 0}.legend span{margin-right:14px;font-size:12px}.v-regression{color:#c62828}.v-improvement{color:#2e7d32}.v-environmental{color:#6a1b9a}.v-inconclusive{color:#ef6c00}";

/// One self-contained page (no network): a chart per metric with findings, quiet metrics
/// listed by name, the pass rate, and the table of tests with failures.
pub fn html(t: &Trend) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>regdiff trend: {}</title><style>{CSS}</style></head><body>",
        esc(&t.branch)
    );
    let _ = write!(
        out,
        "<h1>regdiff trend: {}</h1><p class=\"meta\">{}</p>",
        esc(&t.branch),
        esc(&headline(t))
    );
    out.push_str("<p class=\"legend\"><span>● run median</span><span style=\"color:#1565c0\">━ level between change points</span><span style=\"color:#d84315\">○ outlier (set apart)</span><span style=\"color:#8e24aa\">● environmental outlier</span><span>┆ change point (colour: verdict)</span></p>");
    let loud = with_findings(t);
    let quiet: Vec<&MetricTrend> = t.metrics.iter().filter(|m| m.is_quiet()).collect();
    let _ = write!(
        out,
        "<h2>Metrics with findings ({} of {})</h2>",
        loud.len(),
        t.metrics.len()
    );
    for m in &loud {
        let _ = write!(
            out,
            "<section class=\"metric\"><h3>{}</h3><p class=\"meta\">{}, {}; {} runs{}</p>{}",
            esc(&m.id),
            esc(&m.unit),
            better_text(m),
            m.points.len(),
            m.code_stat
                .map(|c| format!(", code statistic: {c}"))
                .unwrap_or_default(),
            chart(t, m)
        );
        out.push_str("<ul class=\"findings\">");
        for c in &m.change_points {
            let _ = write!(
                out,
                "<li class=\"v-{}\">{} — {}</li>",
                c.verdict.as_str(),
                esc(&change_line(t, m, c)),
                esc(&c.reason)
            );
        }
        for o in &m.outliers {
            let _ = write!(
                out,
                "<li>{} run {} ({}): {}</li>",
                if o.environmental {
                    "environmental outlier"
                } else {
                    "outlier"
                },
                o.run,
                esc(&run_label(t, o.run)),
                esc(&o.reason)
            );
        }
        if let Some(l) = m.drift.as_ref().and_then(|d| drift_line(m, d)) {
            let _ = write!(out, "<li>{}</li>", esc(&l));
        }
        out.push_str("</ul></section>");
    }
    if !quiet.is_empty() {
        let _ = write!(
            out,
            "<h2>Without a change point, outlier or drift ({})</h2><p class=\"meta\">{}</p>",
            quiet.len(),
            quiet
                .iter()
                .map(|m| esc(&m.id))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if let Some(l) = pass_rate_line(t) {
        let _ = write!(out, "<h2>Pass rate</h2><p>{}</p>", esc(&l));
    }
    let _ = write!(
        out,
        "<h2>Flaky and failing tests</h2><p class=\"meta\">{} test(s) seen, {} failed at least once; flaky needs at least {} executed runs.</p>",
        t.tests_seen,
        t.tests.len(),
        t.options.min_flaky_runs
    );
    if !t.tests.is_empty() {
        out.push_str("<table id=\"flaky\"><tr><th>test</th><th>kind</th><th>failed</th><th>rate (95% CI)</th><th>flips</th><th>since</th></tr>");
        for x in &t.tests {
            let h = &x.history;
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}/{}</td><td>{:.0}% ({})</td><td>{}</td><td>{}</td></tr>",
                esc(&x.id),
                x.kind.as_str(),
                h.failures,
                h.runs,
                100.0 * h.rate(),
                h.rate_ci.map_or("n/a".into(), |c| format!(
                    "{:.0}–{:.0}%",
                    100.0 * c.lower,
                    100.0 * c.upper
                )),
                h.flips,
                x.since.map_or(String::new(), |r| esc(&run_label(t, r)))
            );
        }
        out.push_str("</table>");
    }
    out.push_str("</body></html>\n");
    out
}
