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

pub mod metric;
pub mod pass_rate;
pub mod run_fault;

pub use metric::{MetricVerdict, classify_metric};

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
    /// Evidence, most decisive first, after the counts sentence when `counts` says so.
    pub evidence: Vec<Evidence>,
    /// Whether the evidence starts with the counts of both sides (`counts`: "base: …; head:
    /// …"). Every test but an unchanged pass has it; it is written from the item's counts
    /// when the report is (a million of them held as text were 150 MB).
    pub counts: bool,
    /// A regression in a head run that had a run-wide environment fault, with no cause of its
    /// own (see [`run_fault`]): still a regression, which a gate policy may treat as
    /// inconclusive.
    pub suspect_environment: bool,
}

/// Classifies one test.
pub fn classify_test(c: &TestComparison<'_>, f: &Findings) -> TestVerdict {
    if c.change == Change::Passing {
        // The bulk of every comparison: its counts are in the item, no sentence needed.
        return TestVerdict {
            verdict: Verdict::Unchanged,
            change: Change::Passing,
            evidence: Vec::new(),
            counts: false,
            suspect_environment: false,
        };
    }
    let mut evidence = Vec::new();
    let (verdict, change) = match c.change {
        Change::Passing => (Verdict::Unchanged, Change::Passing),
        Change::StillSkipped => (Verdict::Unchanged, Change::StillSkipped),
        // Set on items after classification (`compare::renames`), never on a comparison.
        Change::Renamed => (Verdict::Unchanged, Change::Renamed),
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
            if let Some(t) = c.rate_test() {
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
            if let Some(t) = c.rate_test() {
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
        counts: true,
        suspect_environment: false,
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
        .find_map(|a| a.message().map(str::to_string))
        .map(|m| m.lines().next().unwrap_or("").chars().take(120).collect())
}

/// Named evidence for mixed results: which runs of each side passed and which failed.
fn mixed_runs<'a>(c: &TestComparison<'a>) -> Evidence {
    fn describe<'a>(
        obs: &[crate::align::Observation<'_>],
        id: impl Fn(&crate::align::Observation<'_>) -> &'a str,
    ) -> (Vec<&'a str>, Vec<&'a str>, usize) {
        let passed: Vec<&str> = obs
            .iter()
            .filter(|o| o.status == crate::model::Status::Passed)
            .map(&id)
            .collect();
        let failed: Vec<&str> = obs
            .iter()
            .filter(|o| o.status.is_failure())
            .map(&id)
            .collect();
        let retried = obs.iter().filter(|o| o.passed_after_retry()).count();
        (passed, failed, retried)
    }
    let (bp, bf, br) = describe(c.base_obs, |o| c.base_run_id(o));
    let (hp, hf, hr) = describe(c.head_obs, |o| c.head_run_id(o));
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
    // Each run once, in order. A set, not a scan of the list: a flaky test over 200 pooled
    // runs compared 20,000 pairs of ids (3% of such a comparison).
    let mut seen: hashbrown::HashSet<&str> = hashbrown::HashSet::new();
    let snapshots: Vec<String> = bp
        .iter()
        .chain(&bf)
        .chain(&hp)
        .chain(&hf)
        .filter(|id| seen.insert(id))
        .map(|id| (*id).to_string())
        .collect();
    Evidence {
        rule: "flaky".into(),
        detail: format!("{}: non-deterministic", parts.join("; ")),
        snapshots,
    }
}
