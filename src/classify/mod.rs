//! Classification: a comparison and its evidence in, exactly one verdict out.
//!
//! This is the only place that decides verdicts. The rules, from DESIGN.md:
//!
//! * passing on base, failing on head → **regression** (broke), unless attribution found
//!   strong evidence and no veto: E1 → unchanged (still failing), E2/E3 → environmental
//!   (flaky), E4/E5 → environmental;
//! * failing on base, passing on head → **improvement** (fixed); environmental when the base
//!   failures were infrastructure (E4 on base);
//! * failing on both → unchanged (still failing);
//! * mixed results on a side, or a retry that passed → environmental (flaky), unless the
//!   exact test on the failure counts is significant: a rise is a regression, a fall an
//!   improvement;
//! * added and failing → regression; added and passing → unchanged; removed → unchanged;
//!   ran on base and skipped on head → inconclusive (its signal is lost).
//!
//! Vetoes (changed files, a deterministic break explained only by E5–E7, a mass failure
//! with a new signature) keep the verdict a regression whatever the evidence. When in doubt
//! the verdict is regression or inconclusive, never environmental.

pub mod pass_rate;

use crate::attribute::{Findings, Strong};
use crate::compare::cases::TestComparison;
use crate::model::{Change, Evidence, Verdict};

/// A test's verdict with its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct TestVerdict {
    /// The verdict.
    pub verdict: Verdict,
    /// What happened (may differ from the comparison's: a known failure becomes still_failing).
    pub change: Change,
    /// Evidence, most decisive first.
    pub evidence: Vec<Evidence>,
}

/// Classifies one test.
pub fn classify_test(c: &TestComparison<'_>, f: &Findings) -> TestVerdict {
    if c.change == Change::Passing {
        // The bulk of every comparison: its counts are in the item, no sentence needed.
        return TestVerdict {
            verdict: Verdict::Unchanged,
            change: Change::Passing,
            evidence: Vec::new(),
        };
    }
    let counts = Evidence::new(
        "counts",
        format!("base: {}; head: {}", c.base.describe(), c.head.describe()),
    );
    let mut evidence = vec![counts];
    let (verdict, change) = match c.change {
        Change::Passing => (Verdict::Unchanged, Change::Passing),
        Change::StillSkipped => (Verdict::Unchanged, Change::StillSkipped),
        Change::Removed => {
            if c.base.failures() > 0 {
                evidence.push(Evidence::new(
                    "removed",
                    "the test was failing on base and is gone from head: its failure is no longer visible",
                ));
            }
            (Verdict::Unchanged, Change::Removed)
        }
        Change::Skipped => {
            evidence.push(Evidence::new(
                "skipped",
                format!(
                    "ran on base ({} of {} executed runs passed) and is skipped on head: its signal is lost{}",
                    c.base.passed,
                    c.base.executed(),
                    skip_reason(c).map(|r| format!(" (skip reason: {r})")).unwrap_or_default()
                ),
            ));
            (Verdict::Inconclusive, Change::Skipped)
        }
        Change::Added | Change::Unskipped if !c.head_fails() => (Verdict::Unchanged, c.change),
        Change::Added | Change::Unskipped | Change::Broke => failing_on_head(c, f, &mut evidence),
        Change::Fixed => match &f.base_infra {
            Some(e) => {
                evidence.push(e.clone());
                (Verdict::Environmental, Change::Fixed)
            }
            None => (Verdict::Improvement, Change::Fixed),
        },
        Change::StillFailing => {
            // A base that failed only because of infrastructure never tested the code; a head
            // that now fails differently is judged as a new failure.
            let head_differs = f
                .strong
                .iter()
                .all(|(k, _)| *k != Strong::E1 && *k != Strong::E4);
            match &f.base_infra {
                Some(e) if head_differs => {
                    evidence.push(Evidence::new(
                        "base_infrastructure",
                        format!(
                            "{}; the head fails differently, so it is judged as a new failure",
                            e.detail
                        ),
                    ));
                    failing_on_head(c, f, &mut evidence)
                }
                _ => (Verdict::Unchanged, Change::StillFailing),
            }
        }
        Change::Flaky => {
            evidence.push(mixed_runs(c));
            if let Some(t) = c.rate_test {
                evidence.push(Evidence::new(
                    "fisher",
                    format!(
                        "failed {} of {} base runs and {} of {} head runs, Fisher exact p = {:.3}: the failure rate did not change significantly",
                        c.base.failures(),
                        c.base.executed(),
                        c.head.failures(),
                        c.head.executed(),
                        t.p
                    ),
                ));
            }
            evidence.extend(
                f.strong
                    .iter()
                    .filter(|(k, _)| *k == Strong::E2 || *k == Strong::E3)
                    .map(|(_, e)| e.clone()),
            );
            let vetoes: Vec<Evidence> = f
                .vetoes
                .iter()
                .filter(|v| !v.detail.starts_with("too few history runs"))
                .cloned()
                .collect();
            if c.head_fails() && !vetoes.is_empty() {
                // A test in a changed file that starts failing some of the time is the change's.
                evidence.extend(f.causes.iter().cloned());
                evidence.extend(vetoes);
                (Verdict::Regression, Change::Flaky)
            } else {
                if c.base.failed_attempts == 0 && c.head_fails() {
                    evidence.push(Evidence::new(
                        "possible_cause",
                        format!(
                            "base passed every attempt of its {} run(s); if the change made the test non-deterministic, more runs will show a significant rise",
                            c.base.executed()
                        ),
                    ));
                }
                (Verdict::Environmental, Change::Flaky)
            }
        }
        Change::FailsMore | Change::FailsLess => {
            if let Some(t) = c.rate_test {
                evidence.push(Evidence::new(
                    "fisher",
                    format!(
                        "failed {} of {} base runs and {} of {} head runs, Fisher exact p = {:.3}: a significant change",
                        c.base.failures(),
                        c.base.executed(),
                        c.head.failures(),
                        c.head.executed(),
                        t.p
                    ),
                ));
            }
            if c.change == Change::FailsMore {
                evidence.extend(f.causes.iter().cloned());
                (Verdict::Regression, Change::FailsMore)
            } else {
                (Verdict::Improvement, Change::FailsLess)
            }
        }
        // Metric kinds never reach a test.
        Change::Slower | Change::Faster | Change::None => (Verdict::Inconclusive, c.change),
    };
    TestVerdict {
        verdict,
        change,
        evidence,
    }
}

/// The attribution decision for a test that fails on head while it did not on base.
fn failing_on_head(
    c: &TestComparison<'_>,
    f: &Findings,
    evidence: &mut Vec<Evidence>,
) -> (Verdict, Change) {
    let kinds: Vec<Strong> = f.strong.iter().map(|(k, _)| *k).collect();
    let mut vetoes: Vec<Evidence> = f
        .vetoes
        .iter()
        .filter(|v| !v.detail.starts_with("too few history runs"))
        .cloned()
        .collect();
    // V2: a deterministic break may only be excused by E1–E4, never by E5–E7 alone.
    let only_weak_kinds = !kinds.is_empty() && kinds.iter().all(|k| *k == Strong::E5);
    if c.deterministic_break() && only_weak_kinds {
        vetoes.push(Evidence::new(
            "veto",
            format!(
                "every attempt fails in every head run ({} of {}) while base passed every run: a deterministic break is not excused by a mass-failure signature alone",
                c.head.failures(),
                c.head.executed()
            ),
        ));
    }
    let strong_evidence = || f.strong.iter().map(|(_, e)| e.clone());
    if !vetoes.is_empty() || kinds.is_empty() {
        if !vetoes.is_empty() && !kinds.is_empty() {
            evidence.extend(strong_evidence().map(|mut e| {
                e.detail = format!("(not used: vetoed) {}", e.detail);
                e
            }));
        }
        evidence.extend(f.causes.iter().cloned());
        evidence.extend(vetoes);
        return (Verdict::Regression, c.change);
    }
    evidence.extend(strong_evidence());
    evidence.extend(f.causes.iter().cloned());
    if kinds.contains(&Strong::E1) && f.known_failure_final {
        (Verdict::Unchanged, Change::StillFailing)
    } else if kinds.contains(&Strong::E1) {
        // The same failure showed on base and passed on retry there: a known flaky failure.
        (Verdict::Environmental, Change::Flaky)
    } else if kinds.contains(&Strong::E2) || kinds.contains(&Strong::E3) {
        (Verdict::Environmental, Change::Flaky)
    } else {
        (Verdict::Environmental, c.change)
    }
}

fn skip_reason(c: &TestComparison<'_>) -> Option<String> {
    c.head_obs
        .iter()
        .filter_map(|o| o.result.last_attempt())
        .find_map(|a| a.message.clone())
        .map(|m| m.lines().next().unwrap_or("").chars().take(120).collect())
}

/// Named evidence for mixed results: which runs of each side passed and which failed.
fn mixed_runs<'a>(c: &TestComparison<'a>) -> Evidence {
    fn describe<'a>(obs: &[crate::align::Observation<'a>]) -> (Vec<&'a str>, Vec<&'a str>, usize) {
        let passed: Vec<&str> = obs
            .iter()
            .filter(|o| o.result.status == crate::model::Status::Passed)
            .map(|o| o.run_id)
            .collect();
        let failed: Vec<&str> = obs
            .iter()
            .filter(|o| o.result.status.is_failure())
            .map(|o| o.run_id)
            .collect();
        let retried = obs.iter().filter(|o| o.result.passed_after_retry()).count();
        (passed, failed, retried)
    }
    let (bp, bf, br) = describe(c.base_obs);
    let (hp, hf, hr) = describe(c.head_obs);
    let mut parts = Vec::new();
    for (side, p, f, r) in [("base", &bp, &bf, br), ("head", &hp, &hf, hr)] {
        if !p.is_empty() && !f.is_empty() {
            parts.push(format!(
                "on {side} the same code passed in {} run(s) and failed in {}",
                p.len(),
                f.len()
            ));
        }
        if r > 0 {
            parts.push(format!(
                "on {side} {r} run(s) passed only after a failed attempt"
            ));
        }
    }
    let mut snapshots: Vec<String> = Vec::new();
    for id in bp.iter().chain(&bf).chain(&hp).chain(&hf) {
        if !snapshots.iter().any(|s| s == id) {
            snapshots.push((*id).to_string());
        }
    }
    Evidence {
        rule: "flaky".into(),
        detail: format!("{}: non-deterministic", parts.join("; ")),
        snapshots,
    }
}

/// A metric's verdict with its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricVerdict {
    /// The verdict.
    pub verdict: Verdict,
    /// `slower` (worse by the metric's direction), `faster` (better), `added`, `removed`,
    /// `none`.
    pub change: Change,
    /// Evidence, most decisive first.
    pub evidence: Vec<Evidence>,
}

/// Classifies one metric (DESIGN.md "Metrics", "Attribution" E6/E7):
///
/// * regression or improvement only when the q-value is below α **and** the whole interval
///   of the change lies beyond the practical threshold (for one run a side without history:
///   when the metric moved significantly more than the other metrics of its group);
/// * when the group's common shift is significant, a metric that moved with it is
///   environmental (E6), and one beyond it is judged on its deviation from the shift;
/// * a move beyond the threshold that the data cannot confirm is inconclusive, with the
///   runs needed; a move within the threshold is unchanged only when its whole interval
///   lies within the threshold too (otherwise inconclusive: a larger change is not ruled out).
pub fn classify_metric(
    f: &crate::compare::metrics::MetricFacts,
    shift: Option<&crate::compare::metrics::GroupShift>,
    env_diff: &[crate::attribute::EnvDifference],
    alpha: f64,
) -> MetricVerdict {
    use crate::compare::metrics::NoiseModel;
    use crate::model::Better;
    use crate::units::push_fixed;
    // Evidence texts are written straight into their strings: this runs for every metric of
    // a comparison, ten thousand and more.
    let push_pct = |out: &mut String, x: f64| {
        push_fixed(out, 100.0 * (x.exp() - 1.0), 1, true);
        out.push('%');
    };
    let pct = |x: f64| {
        let mut s = String::with_capacity(8);
        push_pct(&mut s, x);
        s
    };
    let mut evidence = Vec::new();
    let mut counts = String::with_capacity(112);
    for (label, s) in [("base: ", &f.base), ("; head: ", &f.head)] {
        counts.push_str(label);
        match s.median {
            Some(m) => {
                counts.push_str("median ");
                crate::units::push_human(&mut counts, m, &f.input.unit);
                counts.push_str(" over ");
                crate::units::push_u64(&mut counts, s.runs as u64);
                counts.push_str(" run(s), ");
                crate::units::push_u64(&mut counts, s.samples);
                counts.push_str(" sample(s)");
            }
            None => counts.push_str("absent"),
        }
    }
    evidence.push(Evidence::new("counts", counts));
    let done = |verdict, change, evidence| MetricVerdict {
        verdict,
        change,
        evidence,
    };
    if let Some(problem) = &f.input.problem {
        evidence.push(Evidence::new("not_compared", problem.clone()));
        return done(Verdict::Inconclusive, Change::None, evidence);
    }
    if f.base.runs == 0 {
        return done(Verdict::Unchanged, Change::Added, evidence);
    }
    if f.head.runs == 0 {
        return done(Verdict::Unchanged, Change::Removed, evidence);
    }
    let Some(r) = f.log_ratio else {
        evidence.push(Evidence::new("not_compared", "no ratio could be formed"));
        return done(Verdict::Inconclusive, Change::None, evidence);
    };
    let thr = f.log_threshold();
    let worse = match f.input.better {
        Better::Lower => r > 0.0,
        Better::Higher => r < 0.0,
    };
    let direction = if worse {
        Change::Slower
    } else {
        Change::Faster
    };
    let moved = r.abs() > thr;
    let judged = |worse: bool| {
        if worse {
            Verdict::Regression
        } else {
            Verdict::Improvement
        }
    };
    let mut effect = String::with_capacity(192 + f.method.len());
    effect.push_str("change ");
    push_pct(&mut effect, r);
    if let Some([lo, hi]) = f.ci {
        match f.ci_level {
            Some(level) => {
                effect.push_str(" (");
                push_fixed(&mut effect, 100.0 * level, 0, false);
                effect.push_str("% CI ");
            }
            None => effect.push_str(" (interval "),
        }
        push_pct(&mut effect, lo);
        effect.push_str(" to ");
        push_pct(&mut effect, hi);
        effect.push(')');
    }
    match (f.p, f.q) {
        (Some(p), Some(q)) => {
            effect.push_str(", p = ");
            effect.push_str(&crate::units::fmt_p(p));
            effect.push_str(", q = ");
            effect.push_str(&crate::units::fmt_p(q));
        }
        (Some(p), None) => {
            effect.push_str(", p = ");
            effect.push_str(&crate::units::fmt_p(p));
            effect.push_str(" (cannot reach significance)");
        }
        _ => {}
    }
    effect.push_str("; threshold ");
    push_fixed(&mut effect, 100.0 * f.input.threshold, 0, false);
    effect.push('%');
    if let Some((configured, runs)) = f.threshold_raised {
        effect.push_str(" (raised from ");
        push_fixed(&mut effect, 100.0 * configured, 0, false);
        effect.push_str("% to the metric's run-to-run noise over ");
        crate::units::push_u64(&mut effect, runs as u64);
        effect.push_str(" history runs)");
    }
    effect.push_str("; ");
    effect.push_str(&f.method);
    evidence.push(Evidence::new("effect", effect));
    let env_note = |evidence: &mut Vec<Evidence>| {
        if !env_diff.is_empty() {
            let parts: Vec<String> = env_diff
                .iter()
                .take(4)
                .map(|d| format!("{}: {} → {}", d.field, d.base.join("/"), d.head.join("/")))
                .collect();
            evidence.push(Evidence::new(
                "E7",
                format!("the environments differ ({})", parts.join("; ")),
            ));
        }
    };
    if f.input.deterministic {
        if moved {
            env_note(&mut evidence);
            return done(judged(worse), direction, evidence);
        }
        return done(Verdict::Unchanged, Change::None, evidence);
    }
    let significant = f.q.is_some_and(|q| q < alpha);
    let beyond = match f.ci {
        Some([lo, hi]) => (r > 0.0 && lo > thr) || (r < 0.0 && hi < -thr),
        None => false,
    };
    let shift_sig = shift.is_some_and(|s| s.significant);
    let guidance = match &f.noise {
        NoiseModel::Runs | NoiseModel::History { .. } => String::new(),
        _ => format!(
            "; to tell, record {} runs per side or a history of {} runs",
            f.runs_needed,
            crate::compare::metrics::MIN_HISTORY_RUNS
        ),
    };
    // Within the threshold is "unchanged" only when the data can say so: the whole interval
    // inside the threshold. A wide interval, or none, leaves it open.
    let within = |evidence: Vec<Evidence>| {
        let mut evidence = evidence;
        let open = match f.ci {
            Some([lo, hi]) if lo >= -thr && hi <= thr => None,
            Some([lo, hi]) => Some(format!(
                "{} is within the {}% threshold, but the interval reaches {}: a change beyond the threshold cannot be ruled out",
                pct(r),
                crate::units::fixed(100.0 * f.input.threshold, 0, false),
                if hi > thr { pct(hi) } else { pct(lo) }
            )),
            None => Some(format!(
                "{} is within the {}% threshold, but with no noise model the data cannot rule out a larger change",
                pct(r),
                crate::units::fixed(100.0 * f.input.threshold, 0, false)
            )),
        };
        match open {
            None => done(Verdict::Unchanged, Change::None, evidence),
            Some(text) => {
                let more = match &f.noise {
                    NoiseModel::Runs => {
                        "; more runs per side would narrow the interval".to_string()
                    }
                    NoiseModel::History { .. } => {
                        "; more runs per side would narrow the interval".to_string()
                    }
                    _ => guidance.clone(),
                };
                evidence.push(Evidence::new("inconclusive", format!("{text}{more}")));
                done(Verdict::Inconclusive, Change::None, evidence)
            }
        }
    };
    if shift_sig {
        let s = shift.expect("checked");
        let c = s.shift_ratio.unwrap_or(1.0).ln();
        let dev = f.deviation.unwrap_or(r - c);
        let from = if s.controls.is_empty() {
            format!("{} metrics of this group", s.metrics)
        } else {
            format!("control metric(s) {}", s.controls.join(", "))
        };
        let rel_sig = f.consistency_q.is_some_and(|q| q < alpha)
            && dev.abs() > thr
            && (dev > 0.0) == (r > 0.0);
        let abs_ok = match f.noise {
            NoiseModel::Spread { .. } => significant,
            _ => significant && beyond,
        };
        if rel_sig && abs_ok && moved {
            evidence.push(Evidence::new(
                "E6",
                format!(
                    "the common shift is {} (from {from}); this metric moved {} beyond it (t = {:.1})",
                    pct(c),
                    pct(dev),
                    f.consistency_t.unwrap_or(0.0)
                ),
            ));
            env_note(&mut evidence);
            let rel_worse = match f.input.better {
                Better::Lower => dev > 0.0,
                Better::Higher => dev < 0.0,
            };
            return done(judged(rel_worse), direction, evidence);
        }
        let consistent = match f.consistency_t {
            Some(t) => t.abs() <= 2.0,
            None => dev.abs() <= thr,
        };
        if moved && consistent {
            evidence.push(Evidence::new(
                "E6",
                format!(
                    "moved {}, with the common shift of {} (from {from}; deviation {}{})",
                    pct(r),
                    pct(c),
                    pct(dev),
                    f.consistency_t
                        .map(|t| format!(", t = {t:.1}"))
                        .unwrap_or_default()
                ),
            ));
            env_note(&mut evidence);
            return done(Verdict::Environmental, direction, evidence);
        }
        if moved {
            evidence.push(Evidence::new(
                "inconclusive",
                format!(
                    "moved {}, more than the common shift of {} explains ({} beyond it), but not significantly{guidance}",
                    pct(r),
                    pct(c),
                    pct(dev)
                ),
            ));
            env_note(&mut evidence);
            return done(Verdict::Inconclusive, direction, evidence);
        }
        return within(evidence);
    }
    if significant && beyond && moved {
        env_note(&mut evidence);
        return done(judged(worse), direction, evidence);
    }
    if moved {
        let why = if significant {
            "significant, but its interval reaches within the threshold"
        } else if f.p.is_some() {
            "not significant after adjusting for the number of metrics"
        } else {
            "there is no noise model to test it against"
        };
        evidence.push(Evidence::new(
            "inconclusive",
            format!("moved {}: {why}{guidance}", pct(r)),
        ));
        env_note(&mut evidence);
        return done(Verdict::Inconclusive, direction, evidence);
    }
    within(evidence)
}
