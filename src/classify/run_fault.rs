//! Run-wide faults: one head run where a strong infrastructure rule fired on many failures.
//!
//! When a strong signature (a full disk, a broken resolver, a read-only temp folder) fires on
//! at least `run_fault_min` newly failing tests of one head run, and on no failure of the
//! base side, that run had an environment fault. The other failures of that run carry no
//! signature of their own: they may be the same fault seen through an assertion
//! (`assert 0 == 1`, `t.roll().is_ok()`), or a real regression. They stay **regressions**,
//! with the possible cause named and `suspect_environment` set, so that a gate policy may
//! treat them as inconclusive (`[gate] suspect_environment = "inconclusive"`). They are never
//! environmental: only a test's own evidence makes it so.

use std::collections::{BTreeMap, BTreeSet};

use super::TestVerdict;
use crate::attribute::rules::RuleSet;
use crate::attribute::{Findings, newly_failing};
use crate::compare::cases::TestComparison;
use crate::config::Strength;
use crate::model::{Evidence, Verdict};

/// A head run where a strong rule fired on many newly failing tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunFault {
    /// The head run.
    pub run_id: String,
    /// The rule's index in the rule set.
    pub rule: usize,
    /// Newly failing tests of that run the rule fired on.
    pub failures: usize,
}

/// Finds the run-wide faults (strongest first within a run, runs in id order).
pub fn find(
    comparisons: &[TestComparison<'_>],
    findings: &[&Findings],
    rules: &RuleSet,
    min: usize,
) -> Vec<RunFault> {
    let mut on_base: BTreeSet<usize> = BTreeSet::new();
    let mut counts: BTreeMap<(&str, usize), usize> = BTreeMap::new();
    for (c, f) in comparisons.iter().zip(findings) {
        on_base.extend(f.base_rules.iter().copied());
        if !newly_failing(c) {
            continue;
        }
        let mut seen = BTreeSet::new();
        for h in &f.head_runs {
            if let Some(r) = h.rule
                && rules.rules[r].strength == Strength::Strong
                && seen.insert((h.run_id.as_str(), r))
            {
                *counts.entry((h.run_id.as_str(), r)).or_default() += 1;
            }
        }
    }
    let mut faults: Vec<RunFault> = counts
        .into_iter()
        .filter(|((_, r), n)| *n >= min.max(1) && !on_base.contains(r))
        .map(|((run, rule), failures)| RunFault {
            run_id: run.to_string(),
            rule,
            failures,
        })
        .collect();
    faults.sort_by(|a, b| a.run_id.cmp(&b.run_id).then(b.failures.cmp(&a.failures)));
    faults
}

/// Annotates the regressions whose every failing head run had a run-wide fault and whose
/// own failure there names no strong rule: a possible cause, and `suspect_environment`.
pub fn annotate(
    verdict: &mut TestVerdict,
    findings: &Findings,
    faults: &[RunFault],
    rules: &RuleSet,
) {
    if verdict.verdict != Verdict::Regression
        || faults.is_empty()
        || findings.head_runs.is_empty()
        || findings.changed_files_veto
    {
        return;
    }
    let mut named: Vec<&RunFault> = Vec::new();
    for h in &findings.head_runs {
        let own_strong = h
            .rule
            .is_some_and(|r| rules.rules[r].strength == Strength::Strong);
        let fault = faults.iter().find(|f| f.run_id == h.run_id);
        match fault {
            Some(fault) if !own_strong => {
                if !named.iter().any(|n| n.run_id == fault.run_id) {
                    named.push(fault);
                }
            }
            // A failure in a run without a fault (or with its own, different, strong
            // signature that did not excuse it) is not explained by the fault.
            _ => return,
        }
    }
    let parts: Vec<String> = named
        .iter()
        .map(|f| {
            let r = &rules.rules[f.rule];
            format!(
                "head run {} also had {} failure(s) from {} [rule {}]",
                f.run_id, f.failures, r.meaning, r.name
            )
        })
        .collect();
    verdict.evidence.push(Evidence {
        rule: "possible_cause".into(),
        detail: format!(
            "{}, and this failure names no cause of its own; rerun to tell",
            parts.join("; ")
        ),
        snapshots: named.iter().map(|f| f.run_id.clone()).collect(),
    });
    verdict.suspect_environment = true;
}
