//! The gate: verdicts and a policy in, pass or fail out.
//!
//! By default the gate fails on any regression and on a significant drop of the pass rate
//! over the common tests; environmental and inconclusive findings do not fail it unless the
//! policy says so (`fail_on`), and `critical` tests can be required to pass on every head
//! run, and performance budgets (`[gate.budgets] "parse/*" = "+3%"`) cap how much worse a
//! metric may get. Each failed rule is one line of `reasons`.

use crate::config::{GatePolicy, SuspectPolicy};
use crate::model::Verdict;
use crate::report::{GateOutcome, Item, Report};

/// How many item ids a reason names before "and N more".
const NAMED: usize = 5;

/// Evaluates the policy. When no gate was asked for, the outcome passes with no reasons.
pub fn evaluate(report: &Report, policy: &GatePolicy, enabled: bool) -> GateOutcome {
    if !enabled {
        return GateOutcome {
            enabled: false,
            passed: true,
            reasons: Vec::new(),
            treated_inconclusive: Vec::new(),
        };
    }
    // Regressions with a suspect environment, when the policy counts them as inconclusive.
    let suspect = |i: &Item| {
        policy.suspect_environment == SuspectPolicy::Inconclusive
            && i.verdict() == Verdict::Regression
            && i.as_test().is_some_and(|t| t.suspect_environment)
    };
    let gate_verdict = |i: &Item| {
        if suspect(i) {
            Verdict::Inconclusive
        } else {
            i.verdict()
        }
    };
    let treated_inconclusive: Vec<String> = report
        .items
        .iter()
        .filter(|i| suspect(i))
        .map(|i| i.id().to_string())
        .collect();
    let mut reasons = Vec::new();
    for v in &policy.fail_on {
        let ids: Vec<&str> = report
            .items
            .iter()
            .filter(|i| gate_verdict(i) == *v)
            .map(Item::id)
            .collect();
        if !ids.is_empty() {
            reasons.push(format!(
                "{} item(s) with verdict {v}: {}",
                ids.len(),
                name_some(&ids)
            ));
        }
    }
    if policy.pass_rate_drop && report.pass_rate.verdict == Verdict::Regression {
        reasons.push(format!(
            "the pass rate over the {} common tests dropped significantly: {}",
            report.pass_rate.common,
            crate::report::pass_rate_sentence(&report.pass_rate)
        ));
    }
    if policy.critical_must_pass {
        let ids: Vec<&str> = report
            .items
            .iter()
            .filter_map(Item::as_test)
            .filter(|t| t.tags.iter().any(|g| g == "critical"))
            .filter(|t| t.head.runs == 0 || t.head.passed < t.head.runs)
            .map(|t| &*t.id)
            .collect();
        if !ids.is_empty() {
            reasons.push(format!(
                "{} critical test(s) do not pass on every head run: {}",
                ids.len(),
                name_some(&ids)
            ));
        }
    }
    if let Some(max) = policy.max_removed
        && report.pass_rate.removed > max
    {
        reasons.push(format!(
            "{} tests were removed (the policy allows {max})",
            report.pass_rate.removed
        ));
    }
    if let Some(max) = policy.max_newly_skipped
        && report.pass_rate.newly_skipped > max
    {
        reasons.push(format!(
            "{} tests are newly skipped (the policy allows {max})",
            report.pass_rate.newly_skipped
        ));
    }
    // Performance budgets: the estimated change beyond the budget in the worse direction, for a
    // metric not judged environmental or unchanged.
    if !policy.budgets.is_empty() {
        let budgets: Vec<(globset::GlobMatcher, f64, &str)> = policy
            .budgets
            .iter()
            .filter_map(|(p, b)| {
                globset::Glob::new(p)
                    .ok()
                    .map(|g| (g.compile_matcher(), b.0, p.as_str()))
            })
            .collect();
        for m in report.items.iter().filter_map(Item::as_metric) {
            let Some((_, budget, pattern)) = budgets.iter().find(|(g, _, _)| g.is_match(&m.id))
            else {
                continue;
            };
            let Some(ratio) = m.ratio else { continue };
            let worse_by = match m.better {
                crate::model::Better::Lower => ratio - 1.0,
                crate::model::Better::Higher => 1.0 / ratio - 1.0,
            };
            if worse_by > *budget
                && matches!(m.verdict, Verdict::Regression | Verdict::Inconclusive)
            {
                reasons.push(format!(
                    "`{}` is {:.1}% worse, over its budget of {:.1}% (`{pattern}`; verdict {})",
                    m.id,
                    100.0 * worse_by,
                    100.0 * budget,
                    m.verdict
                ));
            }
        }
    }
    GateOutcome {
        enabled: true,
        passed: reasons.is_empty(),
        reasons,
        treated_inconclusive,
    }
}

fn name_some(ids: &[&str]) -> String {
    let mut s = ids
        .iter()
        .take(NAMED)
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > NAMED {
        s.push_str(&format!(" and {} more", ids.len() - NAMED));
    }
    s
}
