//! Metric verdicts: the facts of one metric in, exactly one verdict with its evidence out.
//!
//! One rule per verdict, tried in this order (DESIGN.md "Unit of replication, and what one
//! run still tells"):
//!
//! 1. [`call`] — **regression** or **improvement**: every location statistic agrees on the
//!    direction with a deviation from the group's common shift beyond the practical threshold
//!    (the median too: a lower envelope that moved while the median did not is a lucky or
//!    unlucky few samples, not the code); every code statistic (CPU time, or the lower
//!    envelope) is also beyond [`SPREAD_K`] times the group's spread, and the
//!    intersection–union q-value of the code statistics (Benjamini–Hochberg across the group)
//!    is below α. The rank test of the metric's own samples must agree (a veto already folded
//!    into the p-value).
//! 2. [`environmental`] — a positive finding, never the fallback of a test that failed to
//!    reject: the environment is shown to have moved (a significant common shift of the
//!    medians, a control metric, or a fingerprint difference) **and** every code statistic's
//!    raw change is shown within the threshold (its one-sided 95% bound).
//! 3. [`unchanged`] — every statistic's raw change is shown within the threshold (two
//!    one-sided 95% bounds).
//! 4. [`inconclusive`] — everything else, saying why and what would decide it.
//!
//! A metric whose code statistics moved beyond the threshold in the bad direction is never
//! environmental: it is a regression when significant, else inconclusive with the possible
//! cause named.

use crate::attribute::EnvDifference;
use crate::compare::metrics::{GroupShift, MetricFacts, MetricView, NoiseModel, Stat, StatFacts};
use crate::config::MIN_HISTORY_RUNS;
use crate::model::{Better, Change, Evidence, Verdict};
use crate::units::{fmt_p, push_fixed, push_human, push_u64};

/// A call needs every code statistic's deviation beyond this many times the group's spread
/// τ: the three-sigma fence of STATISTICS.md §1.6 (k ≈ 3; rustc-perf fences at 3 IQR). It
/// guards the call against tails heavier than the noise model's, on top of the q-value.
pub const SPREAD_K: f64 = 3.0;
/// The one-sided 95% normal quantile: a bound that shows a change within the threshold.
const BOUND_Z: f64 = 1.645;

/// A metric's verdict with its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricVerdict {
    /// The verdict.
    pub verdict: Verdict,
    /// `slower` (worse by the metric's direction), `faster` (better), `added`, `removed`,
    /// `none`.
    pub change: Change,
    /// Evidence, most decisive first after the counts.
    pub evidence: Vec<Evidence>,
}

/// Classifies one metric of a comparison, with its evidence.
pub fn classify_metric(
    f: &MetricFacts,
    group: Option<&GroupShift>,
    env_diff: &[EnvDifference],
    alpha: f64,
) -> MetricVerdict {
    judge(&f.view(), group, env_diff, alpha, true)
}

/// The verdict and change of a metric, without its evidence: the report renders the
/// evidence when it is written ([`judge`] with `text`).
pub fn verdict_of(
    f: &MetricView,
    group: Option<&GroupShift>,
    env_diff: &[EnvDifference],
    alpha: f64,
) -> (Verdict, Change) {
    let v = judge(f, group, env_diff, alpha, false);
    (v.verdict, v.change)
}

/// Whether the metric was not compared ([`judge`]'s `not_compared` evidence): it has a
/// problem (units differ, …), or both sides have it and no ratio could be formed.
pub fn not_compared(f: &MetricView) -> bool {
    f.problem.is_some() || f.base.runs > 0 && f.head.runs > 0 && f.log_ratio.is_none()
}

/// Classifies one metric. The rules decide first and then, when `text` is set, say why:
/// without it the evidence is empty and the verdict and change are the same.
pub fn judge(
    f: &MetricView,
    group: Option<&GroupShift>,
    env_diff: &[EnvDifference],
    alpha: f64,
    text: bool,
) -> MetricVerdict {
    let mut evidence = Vec::with_capacity(if text { 4 } else { 0 });
    if text {
        evidence.push(counts(f));
    }
    let mut done = |verdict, change, note: Option<Evidence>| {
        evidence.extend(note.filter(|_| text));
        MetricVerdict {
            verdict,
            change,
            evidence: std::mem::take(&mut evidence),
        }
    };
    if let Some(problem) = f.problem {
        let note = text.then(|| Evidence::new("not_compared", problem));
        return done(Verdict::Inconclusive, Change::None, note);
    }
    if f.base.runs == 0 {
        return done(Verdict::Unchanged, Change::Added, None);
    }
    if f.head.runs == 0 {
        return done(Verdict::Unchanged, Change::Removed, None);
    }
    let Some(r) = f.log_ratio else {
        let note = text.then(|| Evidence::new("not_compared", "no ratio could be formed"));
        return done(Verdict::Inconclusive, Change::None, note);
    };
    if f.deterministic {
        return exact(f, r, env_diff, evidence, text);
    }
    let ruling = rule_call(f, alpha, text)
        .or_else(|| rule_environmental(f, group, env_diff, text))
        .or_else(|| rule_unchanged(f, text))
        .unwrap_or_else(|| rule_inconclusive(f, group, alpha, text));
    if !text {
        return MetricVerdict {
            verdict: ruling.verdict,
            change: ruling.change,
            evidence,
        };
    }
    // A quiet metric's figures are in its statistics; the sentence is for the ones that moved
    // or were called.
    let quiet = ruling.change == Change::None;
    if !quiet && (f.stats.len() > 1 || f.has_noise_model()) {
        evidence.push(statistics(f, group));
    }
    evidence.extend(ruling.evidence);
    if !env_diff.is_empty() && ruling.verdict != Verdict::Unchanged {
        evidence.push(fingerprint(env_diff));
    }
    MetricVerdict {
        verdict: ruling.verdict,
        change: ruling.change,
        evidence,
    }
}

/// What a rule decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Ruling {
    /// The verdict.
    pub verdict: Verdict,
    /// What happened.
    pub change: Change,
    /// The rule's own evidence.
    pub evidence: Vec<Evidence>,
}

impl Ruling {
    /// A ruling without its evidence.
    fn bare(verdict: Verdict, change: Change) -> Ruling {
        Ruling {
            verdict,
            change,
            evidence: Vec::new(),
        }
    }
}

/// Rule 1: a regression or an improvement, when every code statistic shows it.
pub fn call(f: &MetricView, alpha: f64) -> Option<Ruling> {
    rule_call(f, alpha, true)
}

fn rule_call(f: &MetricView, alpha: f64, text: bool) -> Option<Ruling> {
    if !f.has_noise_model() || !f.q.is_some_and(|q| q < alpha) {
        return None;
    }
    let thr = f.log_threshold();
    let code: Vec<&StatFacts> = f.code_stats().collect();
    let up = code.first()?.deviation > 0.0;
    let clear = |s: &StatFacts| {
        s.noise.is_some()
            && (s.deviation > 0.0) == up
            && s.deviation.abs() > thr
            && s.spread
                .is_none_or(|tau| s.deviation.abs() > SPREAD_K * tau)
    };
    if !code.iter().all(|s| clear(s)) {
        return None;
    }
    // The median points the same way beyond the threshold.
    if !f
        .agreeing_stats()
        .all(|s| (s.deviation > 0.0) == up && s.deviation.abs() > thr)
    {
        return None;
    }
    let (verdict, change) = if up {
        (Verdict::Regression, Change::Slower)
    } else {
        (Verdict::Improvement, Change::Faster)
    };
    if !text {
        return Some(Ruling::bare(verdict, change));
    }
    let mut text = String::with_capacity(160);
    text.push_str(if up { "slower" } else { "faster" });
    text.push_str(" in every code statistic: ");
    for (i, s) in code.iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        text.push_str(s.stat.name(f.better));
        text.push(' ');
        push_pct(&mut text, f, s.deviation);
    }
    text.push_str(" beyond the common shift, each beyond the ");
    push_fixed(&mut text, 100.0 * f.threshold, 0, false);
    text.push_str("% threshold");
    if code.iter().any(|s| s.spread.is_some()) {
        text.push_str(" and ");
        push_fixed(&mut text, SPREAD_K, 0, false);
        text.push_str("× the group's spread");
    }
    if let Some(q) = f.q {
        text.push_str("; q = ");
        text.push_str(&fmt_p(q));
    }
    Some(Ruling {
        verdict,
        change,
        evidence: vec![Evidence::new("deviation", text)],
    })
}

/// Rule 2: environmental, when the environment is shown to have moved and the code is shown
/// not to have.
pub fn environmental(
    f: &MetricView,
    group: Option<&GroupShift>,
    env_diff: &[EnvDifference],
) -> Option<Ruling> {
    rule_environmental(f, group, env_diff, true)
}

fn rule_environmental(
    f: &MetricView,
    group: Option<&GroupShift>,
    env_diff: &[EnvDifference],
    text: bool,
) -> Option<Ruling> {
    let shift_moved = group.is_some_and(|g| g.significant);
    if !shift_moved && env_diff.is_empty() {
        return None;
    }
    let thr = f.log_threshold();
    let median = f.stat(Stat::Median)?;
    if median.change.abs() <= thr || !f.has_noise_model() {
        return None;
    }
    let up = median.change > 0.0;
    // A code statistic the environment is shown to have moved cannot show the code unchanged;
    // the ones it did not reach speak for the code (at least one must be left).
    let reached = |s: &&StatFacts| group.is_some_and(|g| g.moved_by_environment.contains(&s.stat));
    let code: Vec<&StatFacts> = f.code_stats().filter(|s| !reached(s)).collect();
    if code.is_empty() {
        return None;
    }
    let set_aside: Vec<&str> = f
        .code_stats()
        .filter(reached)
        .map(|s| s.stat.name(f.better))
        .collect();
    let mut bounds = Vec::with_capacity(code.len());
    for s in &code {
        let noise = s.noise?;
        let bound = if up {
            s.change + BOUND_Z * noise
        } else {
            s.change - BOUND_Z * noise
        };
        // Within the threshold in the direction the metric moved, and not a deviation beyond
        // the threshold in the bad direction once the shift is allowed for.
        let within = if up { bound < thr } else { bound > -thr };
        if !within || s.deviation > thr {
            return None;
        }
        bounds.push((s, bound));
    }
    if !text {
        return Some(Ruling::bare(Verdict::Environmental, direction(f, up)));
    }
    let mut text = String::with_capacity(200);
    text.push_str("moved ");
    push_pct(&mut text, f, median.change);
    text.push_str(" with the environment (");
    match group.filter(|g| g.significant) {
        Some(g) => text.push_str(&g.evidence),
        None => text.push_str("the two sides' fingerprints differ"),
    }
    text.push_str("), while its code statistics stayed within the ");
    push_fixed(&mut text, 100.0 * f.threshold, 0, false);
    text.push_str("% threshold: ");
    for (i, (s, bound)) in bounds.iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        text.push_str(s.stat.name(f.better));
        text.push(' ');
        push_pct(&mut text, f, s.change);
        text.push_str(" (one-sided 95% bound ");
        push_pct(&mut text, f, *bound);
        text.push(')');
    }
    if !set_aside.is_empty() {
        text.push_str("; ");
        text.push_str(&set_aside.join(", "));
        text.push_str(" moved with the environment across the group and cannot show the code");
    }
    Some(Ruling {
        verdict: Verdict::Environmental,
        change: direction(f, up),
        evidence: vec![Evidence::new("E6", text)],
    })
}

/// Rule 3: unchanged, when every statistic is shown within the threshold.
pub fn unchanged(f: &MetricView) -> Option<Ruling> {
    rule_unchanged(f, true)
}

fn rule_unchanged(f: &MetricView, text: bool) -> Option<Ruling> {
    if !f.has_noise_model() || f.stats.is_empty() {
        return None;
    }
    let thr = f.log_threshold();
    let mut widest = 0.0f64;
    for s in f.agreeing_stats() {
        let reach = s.change.abs() + BOUND_Z * s.noise?;
        if reach >= thr {
            return None;
        }
        widest = widest.max(reach);
    }
    if !text {
        return Some(Ruling::bare(Verdict::Unchanged, Change::None));
    }
    let mut text = String::with_capacity(80);
    text.push_str("every statistic within the ");
    push_fixed(&mut text, 100.0 * f.threshold, 0, false);
    text.push_str("% threshold (95% bounds reach ±");
    push_fixed(&mut text, 100.0 * (widest.exp() - 1.0), 1, false);
    text.push_str("%)");
    Some(Ruling {
        verdict: Verdict::Unchanged,
        change: Change::None,
        evidence: vec![Evidence::new("unchanged", text)],
    })
}

/// Rule 4: inconclusive, saying why and what would decide it.
pub fn inconclusive(f: &MetricView, group: Option<&GroupShift>, alpha: f64) -> Ruling {
    rule_inconclusive(f, group, alpha, true)
}

fn rule_inconclusive(f: &MetricView, group: Option<&GroupShift>, alpha: f64, text: bool) -> Ruling {
    let thr = f.log_threshold();
    let median = f.stat(Stat::Median);
    let moved = median.is_some_and(|m| m.change.abs() > thr);
    let up = median.is_some_and(|m| m.change > 0.0);
    let change = if moved {
        direction(f, up)
    } else {
        Change::None
    };
    if !text {
        return Ruling::bare(Verdict::Inconclusive, change);
    }
    let code: Vec<&StatFacts> = f.code_stats().collect();
    let mut why = String::with_capacity(200);
    if !f.has_noise_model() {
        let m = group.map(|g| g.metrics).unwrap_or(1);
        if f.base.runs <= 1 && f.head.runs <= 1 {
            why.push_str("one run a side, ");
        } else {
            push_u64(&mut why, f.base.runs as u64);
            why.push_str(" vs ");
            push_u64(&mut why, f.head.runs as u64);
            why.push_str(" runs, ");
        }
        push_u64(&mut why, m as u64);
        why.push_str(if m == 1 { " metric" } else { " metrics" });
        why.push_str(" of its kind (a spread model needs 5) and no stored history: nothing to judge the noise by");
    } else if let Some(disagree) = disagreement(f) {
        why.push_str(&disagree);
    } else if f.agreeing_stats().all(|s| s.deviation.abs() > thr) {
        // Beyond the threshold, in one direction, but not shown.
        let vetoed: Vec<&&StatFacts> = code
            .iter()
            .filter(|s| s.rank_p.is_some_and(|p| p >= alpha))
            .collect();
        let band: Vec<&&StatFacts> = code
            .iter()
            .filter(|s| s.spread.is_some_and(|t| s.deviation.abs() <= SPREAD_K * t))
            .collect();
        if let Some(s) = vetoed.first() {
            why.push_str(
                "beyond the threshold, but the metric's own samples do not show it (rank test of ",
            );
            why.push_str(s.stat.name(f.better));
            why.push_str(", p = ");
            why.push_str(&fmt_p(s.rank_p.unwrap_or(1.0)));
            why.push(')');
        } else if let Some(s) = band.first() {
            why.push_str(s.stat.name(f.better));
            why.push_str(" deviates ");
            push_pct(&mut why, f, s.deviation);
            why.push_str(", within ");
            push_fixed(&mut why, SPREAD_K, 0, false);
            why.push_str("× the group's spread (");
            push_fixed(
                &mut why,
                100.0 * (s.spread.unwrap_or(0.0).exp() - 1.0),
                1,
                false,
            );
            why.push_str("%)");
        } else {
            why.push_str("beyond the threshold, but not significant (q = ");
            why.push_str(&f.q.map(fmt_p).unwrap_or_else(|| "n/a".into()));
            why.push(')');
        }
    } else if moved && group.is_some_and(|g| g.significant) {
        // The environment moved; a code statistic is not shown within the threshold.
        let open = code
            .iter()
            .find(|s| s.noise.is_none_or(|n| s.change + BOUND_Z * n >= thr));
        why.push_str("the environment moved, but ");
        match open {
            Some(s) => {
                why.push_str(s.stat.name(f.better));
                why.push_str(" moved ");
                push_pct(&mut why, f, s.change);
                why.push_str(": the code is not shown within the threshold");
            }
            None => why.push_str("the code is not shown within the threshold"),
        }
    } else {
        why.push_str("the data cannot rule out a change beyond the ");
        push_fixed(&mut why, 100.0 * f.threshold, 0, false);
        why.push_str("% threshold");
        if let Some(m) = median.and_then(|m| m.noise.map(|n| (m, n))) {
            why.push_str(" (median ");
            push_pct(&mut why, f, m.0.change);
            why.push_str(", 95% bound ±");
            push_fixed(&mut why, 100.0 * ((BOUND_Z * m.1).exp() - 1.0), 1, false);
            why.push_str("%)");
        }
    }
    why.push_str("; to decide, ");
    match f.noise {
        NoiseModel::Runs | NoiseModel::History { .. } => {
            why.push_str("record more runs per side");
        }
        _ => {
            why.push_str("record ");
            push_u64(&mut why, f.runs_needed as u64);
            why.push_str(" runs per side or a history of ");
            push_u64(&mut why, MIN_HISTORY_RUNS as u64);
            why.push_str(" runs");
        }
    }
    Ruling {
        verdict: Verdict::Inconclusive,
        change,
        evidence: vec![Evidence::new("inconclusive", why)],
    }
}

/// When the statistics point different ways, or one moved beyond the threshold and another
/// did not.
fn disagreement(f: &MetricView) -> Option<String> {
    let thr = f.log_threshold();
    let stats: Vec<&StatFacts> = f.agreeing_stats().collect();
    let beyond: Vec<&&StatFacts> = stats.iter().filter(|s| s.deviation.abs() > thr).collect();
    if beyond.is_empty()
        || beyond.len() == stats.len() && {
            let up = beyond[0].deviation > 0.0;
            beyond.iter().all(|s| (s.deviation > 0.0) == up)
        }
    {
        return None;
    }
    let mut text = String::from("the statistics disagree: ");
    for (i, s) in stats.iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        text.push_str(s.stat.name(f.better));
        text.push(' ');
        push_pct(&mut text, f, s.deviation);
    }
    text.push_str(" beyond the common shift");
    Some(text)
}

/// A metric whose every sample is the same value on each side: the change is exact.
fn exact(
    f: &MetricView,
    r: f64,
    env_diff: &[EnvDifference],
    mut ev: Vec<Evidence>,
    text: bool,
) -> MetricVerdict {
    let thr = f.log_threshold();
    let worse = match f.better {
        Better::Lower => r > 0.0,
        Better::Higher => r < 0.0,
    };
    if text {
        let mut text = String::from("change ");
        push_pct_value(&mut text, r);
        text.push_str("; threshold ");
        push_fixed(&mut text, 100.0 * f.threshold, 0, false);
        text.push_str("%; ");
        text.push_str(f.method);
        ev.push(Evidence::new("effect", text));
    }
    if r.abs() <= thr {
        return MetricVerdict {
            verdict: Verdict::Unchanged,
            change: Change::None,
            evidence: ev,
        };
    }
    if text && !env_diff.is_empty() {
        ev.push(fingerprint(env_diff));
    }
    let (verdict, change) = if worse {
        (Verdict::Regression, Change::Slower)
    } else {
        (Verdict::Improvement, Change::Faster)
    };
    MetricVerdict {
        verdict,
        change,
        evidence: ev,
    }
}

fn direction(_f: &MetricView, up: bool) -> Change {
    // Cost space: up is worse whatever the metric's direction.
    if up { Change::Slower } else { Change::Faster }
}

/// `base: median 1.2 ms over 1 run(s), 30 sample(s); head: …`
fn counts(f: &MetricView) -> Evidence {
    let mut text = String::with_capacity(112);
    let history = matches!(f.noise, NoiseModel::History { .. });
    for (label, s) in [("base: ", &f.base), ("; head: ", &f.head)] {
        text.push_str(label);
        match s.median {
            Some(m) => {
                text.push_str("median ");
                push_human(&mut text, m, f.unit);
                if history && label == "base: " {
                    text.push_str(" (the level of the base's runs)");
                }
                text.push_str(" over ");
                push_u64(&mut text, s.runs as u64);
                text.push_str(" run(s), ");
                push_u64(&mut text, s.samples);
                text.push_str(" sample(s)");
            }
            None => text.push_str("absent"),
        }
    }
    Evidence::new("counts", text)
}

/// What every statistic did, the group's shift, and the code statistics' deviations:
/// `median +412%, min +151%, q25 +160%; suite shift +109% (median of 16); deviation of min
/// +143% (spread 6.2%), of q25 +60% (spread 4.1%); q = 0.001; <noise model>`.
fn statistics(f: &MetricView, group: Option<&GroupShift>) -> Evidence {
    let mut text = String::with_capacity(240 + f.method.len());
    for (i, s) in f.stats.iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        text.push_str(s.stat.name(f.better));
        text.push(' ');
        push_pct(&mut text, f, s.change);
    }
    if let Some(shift) = f.stat(Stat::Median).and_then(|m| m.shift) {
        text.push_str("; suite shift ");
        push_pct(&mut text, f, shift);
        text.push_str(" (median of ");
        let others = group.map(|g| g.metrics.saturating_sub(1)).unwrap_or(0);
        push_u64(&mut text, others as u64);
        text.push_str(" others)");
    }
    let mut first = true;
    for s in f.code_stats() {
        if s.shift.is_none() && s.noise.is_none() {
            continue;
        }
        text.push_str(if first { "; deviation of " } else { ", of " });
        first = false;
        text.push_str(s.stat.name(f.better));
        text.push(' ');
        push_pct(&mut text, f, s.deviation);
        if let Some(tau) = s.spread {
            text.push_str(" (spread ");
            push_fixed(&mut text, 100.0 * (tau.exp() - 1.0), 1, false);
            text.push_str("%)");
        }
    }
    if let Some(q) = f.q {
        text.push_str("; q = ");
        text.push_str(&fmt_p(q));
    }
    if f.has_noise_model() {
        text.push_str("; ");
        text.push_str(f.method);
    }
    Evidence::new("statistics", text)
}

/// E7: which fingerprint fields differ.
fn fingerprint(env_diff: &[EnvDifference]) -> Evidence {
    let parts: Vec<String> = env_diff
        .iter()
        .take(4)
        .map(|d| format!("{}: {} → {}", d.field, d.base.join("/"), d.head.join("/")))
        .collect();
    Evidence::new(
        "E7",
        format!("the environments differ ({})", parts.join("; ")),
    )
}

/// A cost-space change as a percentage in the metric's own terms.
fn push_pct(out: &mut String, f: &MetricView, cost: f64) {
    push_pct_value(out, f.better.cost_sign() * cost);
}

fn push_pct_value(out: &mut String, log_ratio: f64) {
    push_fixed(out, 100.0 * (log_ratio.exp() - 1.0), 1, true);
    out.push('%');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::metrics::{MetricInput, MetricSide};

    use crate::compare::metrics::Role;

    fn stat(s: Stat, code: bool, change: f64, shift: f64, tau: f64, own: f64) -> StatFacts {
        let noise = (tau * tau + own * own).sqrt();
        StatFacts {
            stat: s,
            role: if code { Role::Code } else { Role::Agree },
            base: 0.0,
            head: change,
            change,
            shift: Some(shift),
            deviation: change - shift,
            spread: Some(tau),
            own_se: Some(own),
            noise: Some(noise),
            df: Some(20.0),
            p: Some(1.0),
            rank_p: None,
        }
    }

    fn facts(stats: Vec<StatFacts>, q: Option<f64>, noise: NoiseModel) -> MetricFacts<'static> {
        MetricFacts {
            input: MetricInput {
                id: "bench".into(),
                unit: "s".into(),
                better: Better::Lower,
                tags: vec![],
                group: "time (s)".into(),
                base: vec![],
                head: vec![],
                base_samples: 30,
                head_samples: 30,
                deterministic: false,
                threshold: 0.05,
                problem: None,
                head_unit: None,
            },
            base: MetricSide {
                runs: 1,
                samples: 30,
                median: Some(1.0),
                unit: None,
            },
            head: MetricSide {
                runs: 1,
                samples: 30,
                median: Some(stats[0].change.exp()),
                unit: None,
            },
            log_ratio: Some(stats[0].change),
            stats,
            ci: None,
            ci_level: None,
            p: q,
            q,
            method: "test".into(),
            noise,
            runs_needed: 5,
            threshold_raised: None,
        }
    }

    fn spread() -> NoiseModel {
        NoiseModel::Spread { metrics: 15 }
    }

    fn group(significant: bool) -> GroupShift {
        GroupShift {
            group: "time (s)".into(),
            metrics: 16,
            better: Better::Lower,
            geomean_ratio: Some(2.0),
            geomean_ci: None,
            shift_ratio: Some(2.0),
            shift_ci: None,
            shift_ci_level: None,
            significant,
            evidence: "shift".into(),
            stats: vec![],
            controls: vec![],
            threshold: 0.05,
            moved_by_environment: vec![],
            moved_evidence: vec![],
        }
    }

    #[test]
    fn a_regression_under_contention_is_called_by_its_envelope() {
        // Median +412%, min +151% against a min shift of +3%: the envelope shows the code.
        let f = facts(
            vec![
                stat(Stat::Median, false, 1.634, 0.737, 0.05, 0.01),
                stat(Stat::Min, true, 0.920, 0.03, 0.06, 0.01),
                stat(Stat::Q25, true, 0.955, 0.70, 0.05, 0.01),
            ],
            Some(0.001),
            spread(),
        );
        let r = call(&f.view(), 0.05).expect("called");
        assert_eq!((r.verdict, r.change), (Verdict::Regression, Change::Slower));
        // Never environmental, whatever the shift.
        assert_eq!(environmental(&f.view(), Some(&group(true)), &[]), None);
    }

    #[test]
    fn a_call_needs_every_code_statistic() {
        // The median and q25 moved with contention, the minimum did not: no call.
        let f = facts(
            vec![
                stat(Stat::Median, false, 0.7, 0.0, 0.02, 0.01),
                stat(Stat::Min, true, 0.01, 0.0, 0.02, 0.01),
                stat(Stat::Q25, true, 0.5, 0.0, 0.02, 0.01),
            ],
            Some(0.001),
            spread(),
        );
        assert_eq!(call(&f.view(), 0.05), None);
        let r = inconclusive(&f.view(), Some(&group(false)), 0.05);
        assert!(r.evidence[0].detail.contains("disagree"), "{r:?}");
    }

    #[test]
    fn an_envelope_that_moved_while_the_median_did_not_is_no_call() {
        // A base run with a few lucky fast samples: min and q25 up, the median flat.
        let f = facts(
            vec![
                stat(Stat::Median, false, 0.04, 0.0, 0.02, 0.01),
                stat(Stat::Min, true, 0.43, 0.0, 0.05, 0.01),
                stat(Stat::Q25, true, 0.23, 0.0, 0.05, 0.01),
            ],
            Some(0.01),
            spread(),
        );
        assert_eq!(call(&f.view(), 0.05), None);
        let r = inconclusive(&f.view(), Some(&group(false)), 0.05);
        assert!(r.evidence[0].detail.contains("disagree"), "{r:?}");
    }

    #[test]
    fn a_call_needs_the_q_value_and_the_spread_fence() {
        let mk = |q, tau| {
            facts(
                vec![
                    stat(Stat::Median, false, 0.2, 0.0, tau, 0.0),
                    stat(Stat::Min, true, 0.2, 0.0, tau, 0.0),
                ],
                Some(q),
                spread(),
            )
        };
        assert!(call(&mk(0.01, 0.05).view(), 0.05).is_some());
        assert_eq!(call(&mk(0.2, 0.05).view(), 0.05), None, "not significant");
        assert_eq!(
            call(&mk(0.01, 0.08).view(), 0.05),
            None,
            "within 3 × spread"
        );
    }

    #[test]
    fn environmental_needs_the_environment_and_the_code_within_the_threshold() {
        let f = facts(
            vec![
                stat(Stat::Median, false, 0.7, 0.7, 0.03, 0.01),
                stat(Stat::Min, true, 0.005, 0.0, 0.01, 0.005),
                stat(Stat::Q25, true, 0.01, 0.0, 0.01, 0.005),
            ],
            Some(0.9),
            spread(),
        );
        let r = environmental(&f.view(), Some(&group(true)), &[]).expect("environmental");
        assert_eq!(r.verdict, Verdict::Environmental);
        assert!(r.evidence[0].detail.contains("one-sided 95% bound"));
        // No shown shift, no fingerprint difference: not environmental (a failure to reject
        // is not a finding).
        assert_eq!(environmental(&f.view(), Some(&group(false)), &[]), None);
        // A code statistic whose bound reaches the threshold keeps it open.
        let g = facts(
            vec![
                stat(Stat::Median, false, 0.7, 0.7, 0.03, 0.01),
                stat(Stat::Min, true, 0.03, 0.0, 0.02, 0.005),
            ],
            Some(0.9),
            spread(),
        );
        assert_eq!(environmental(&g.view(), Some(&group(true)), &[]), None);
    }

    #[test]
    fn a_quartile_the_environment_reached_leaves_the_minimum_to_speak() {
        // A hog that doubles the median and the 25th percentile across the group, not the
        // minimum.
        let mut g = group(true);
        g.moved_by_environment = vec![Stat::Q25];
        let hogged = facts(
            vec![
                stat(Stat::Median, false, 0.7, 0.7, 0.03, 0.01),
                stat(Stat::Min, true, 0.005, 0.0, 0.01, 0.005),
                stat(Stat::Q25, true, 0.69, 0.7, 0.03, 0.01),
            ],
            Some(0.9),
            spread(),
        );
        let r = environmental(&hogged.view(), Some(&g), &[]).expect("environmental");
        assert!(
            r.evidence[0]
                .detail
                .contains("q25 moved with the environment")
        );
        // Without that finding the quartile keeps it open.
        assert_eq!(environmental(&hogged.view(), Some(&group(true)), &[]), None);
        // A regression under the same hog moves the minimum: never environmental.
        let regressed = facts(
            vec![
                stat(Stat::Median, false, 0.95, 0.7, 0.03, 0.01),
                stat(Stat::Min, true, 0.22, 0.0, 0.01, 0.005),
                stat(Stat::Q25, true, 0.93, 0.7, 0.03, 0.01),
            ],
            Some(0.001),
            spread(),
        );
        assert_eq!(environmental(&regressed.view(), Some(&g), &[]), None);
        assert_eq!(
            call(&regressed.view(), 0.05).unwrap().verdict,
            Verdict::Regression
        );
    }

    #[test]
    fn unchanged_needs_every_statistic_shown_within() {
        let f = facts(
            vec![
                stat(Stat::Median, false, 0.01, 0.0, 0.005, 0.002),
                stat(Stat::Min, true, 0.0, 0.0, 0.005, 0.002),
            ],
            Some(0.9),
            spread(),
        );
        assert_eq!(unchanged(&f.view()).unwrap().verdict, Verdict::Unchanged);
        let wide = facts(
            vec![
                stat(Stat::Median, false, 0.01, 0.0, 0.03, 0.002),
                stat(Stat::Min, true, 0.0, 0.0, 0.005, 0.002),
            ],
            Some(0.9),
            spread(),
        );
        assert_eq!(unchanged(&wide.view()), None);
        let r = inconclusive(&wide.view(), Some(&group(false)), 0.05);
        assert!(
            r.evidence[0].detail.contains("cannot rule out"),
            "{:?}",
            r.evidence
        );
    }

    #[test]
    fn without_a_noise_model_everything_is_inconclusive_and_says_what_would_decide() {
        let mut f = facts(
            vec![
                stat(Stat::Median, false, 1.0, 0.0, 0.0, 0.0),
                stat(Stat::Min, true, 1.0, 0.0, 0.0, 0.0),
            ],
            None,
            NoiseModel::None,
        );
        f.stats.iter_mut().for_each(|s| {
            s.noise = None;
            s.spread = None;
        });
        assert_eq!(call(&f.view(), 0.05), None);
        assert_eq!(unchanged(&f.view()), None);
        let v = classify_metric(&f, None, &[], 0.05);
        assert_eq!(
            (v.verdict, v.change),
            (Verdict::Inconclusive, Change::Slower)
        );
        let text = &v.evidence.last().unwrap().detail;
        assert!(
            text.contains("record 5 runs per side or a history of 5 runs"),
            "{text}"
        );
    }

    /// The verdict is decided before any sentence is written: judged without its text (as
    /// the pipeline judges) a metric gets the verdict and change it gets with it (as the
    /// report renders it), and [`not_compared`] says what its evidence says.
    mod text_and_verdict {
        use super::*;
        use proptest::prelude::*;

        /// Values either side of the thresholds and fences, so every rule is reached.
        fn stat_facts() -> impl Strategy<Value = StatFacts> {
            use proptest::sample::select;
            (
                (
                    0usize..4,
                    select(vec![Role::Code, Role::Code, Role::Agree, Role::Info]),
                    select(vec![-0.5, -0.1, -0.03, -0.001, 0.0, 0.001, 0.03, 0.1, 0.5]),
                    select(vec![None, Some(0.0), Some(0.02), Some(0.3), Some(-0.3)]),
                ),
                (
                    select(vec![None, Some(0.001), Some(0.05)]),
                    select(vec![None, Some(0.001), Some(0.01), Some(0.2)]),
                    select(vec![None, None, Some(0.01), Some(0.5)]),
                ),
            )
                .prop_map(|((stat, role, change, shift), (spread, noise, rank_p))| {
                    StatFacts {
                        stat: Stat::ALL[stat],
                        role,
                        base: 0.0,
                        head: change,
                        change,
                        shift,
                        deviation: change - shift.unwrap_or(0.0),
                        spread,
                        own_se: noise,
                        noise,
                        df: Some(12.0),
                        p: Some(0.5),
                        rank_p,
                    }
                })
        }

        fn noise_model() -> impl Strategy<Value = NoiseModel> {
            (0u8..4).prop_map(|k| match k {
                0 => NoiseModel::None,
                1 => NoiseModel::Runs,
                2 => NoiseModel::Spread { metrics: 9 },
                _ => NoiseModel::History {
                    runs: 7,
                    branch: None,
                    commits: None,
                    sigma: 0.02,
                },
            })
        }

        proptest! {
            // A call or an environmental verdict is about one case in a hundred.
            #![proptest_config(ProptestConfig::with_cases(3000))]
            #[test]
            fn judged_without_text_gives_the_same_verdict(
                (median, others) in (stat_facts(), proptest::collection::vec(stat_facts(), 0..3)),
                q in proptest::sample::select(vec![None, Some(0.001), Some(0.3)]),
                noise in noise_model(),
                (runs, ratio, deterministic, problem) in (
                    (
                        proptest::sample::select(vec![0usize, 1, 1, 1, 1, 1, 2]),
                        proptest::sample::select(vec![0usize, 1, 1, 1, 1, 1, 2]),
                    ),
                    proptest::sample::select(vec![None, Some(-0.3), Some(0.01), Some(0.3), Some(0.3)]),
                    proptest::bool::weighted(0.1),
                    proptest::bool::weighted(0.1),
                ),
                (group_kind, moved, env) in (0u8..3, proptest::bool::ANY, proptest::bool::ANY),
                threshold in proptest::sample::select(vec![0.02, 0.05, 0.2]),
            ) {
                let median = StatFacts { stat: Stat::Median, role: Role::Agree, ..median };
                let stats = std::iter::once(median).chain(others).collect();
                let mut f = facts(stats, q, noise);
                f.base.runs = runs.0;
                f.head.runs = runs.1;
                f.log_ratio = ratio;
                f.input.deterministic = deterministic;
                f.input.threshold = threshold;
                f.input.problem = problem.then(|| "units differ".to_string());
                let mut g = group(group_kind == 1);
                if moved {
                    g.moved_by_environment = vec![Stat::Min, Stat::Q25];
                }
                let g = (group_kind > 0).then_some(&g);
                let env_diff = if env {
                    vec![EnvDifference {
                        field: "cpu".into(),
                        base: vec!["a".into()],
                        head: vec!["b".into()],
                    }]
                } else {
                    vec![]
                };
                let full = classify_metric(&f, g, &env_diff, 0.05);
                let bare = judge(&f.view(), g, &env_diff, 0.05, false);
                prop_assert_eq!(
                    (bare.verdict, bare.change),
                    (full.verdict, full.change),
                    "{:?}",
                    full.evidence
                );
                prop_assert!(bare.evidence.is_empty());
                prop_assert_eq!(
                    verdict_of(&f.view(), g, &env_diff, 0.05),
                    (full.verdict, full.change)
                );
                prop_assert_eq!(
                    not_compared(&f.view()),
                    full.evidence.iter().any(|e| e.rule == "not_compared")
                );
            }
        }
    }
}
