//! Pass-rate drift over the common tests.
//!
//! A hand-written report that prints "43.5% → 64.1%" over 23 and 39 tests compares two
//! different denominators. Here the rate is compared over the tests both sides executed
//! (counting test runs, so several runs per side weigh in), with a Wilson interval on each
//! side and Fisher's exact test on the 2×2 counts. Added, removed and newly skipped tests are
//! counted beside it, never mixed in. A significant drop that disappears once the failures
//! judged environmental are set aside is called environmental, with both p-values shown.

use std::collections::BTreeMap;

use crate::compare::cases::TestComparison;
use crate::model::{Change, Evidence, Verdict};
use serde::Serialize;

use crate::model::Summary;
use crate::stats::fisher::fisher_exact;
use crate::stats::rates::wilson;
use crate::units::fmt_p;

/// A pass rate on one side with its interval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Rate {
    /// Passed test runs.
    pub passed: u64,
    /// Executed test runs (passed + failed + errored).
    pub total: u64,
    /// passed / total; `null` when total is 0.
    pub rate: Option<f64>,
    /// 95% Wilson interval of the rate; `null` when total is 0.
    pub ci: Option<[f64; 2]>,
}

/// Pass-rate drift over the tests both sides ran.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PassRate {
    /// Tests executed on both sides (the denominator of the comparison).
    pub common: usize,
    /// Base rate over the common tests.
    pub base: Rate,
    /// Head rate over the common tests.
    pub head: Rate,
    /// Fisher exact two-sided p on the 2×2 counts; `null` when a side ran nothing.
    pub p: Option<f64>,
    /// regression (significant drop), improvement (significant rise), environmental (the
    /// drop is significant only because of failures judged environmental), or unchanged.
    pub verdict: Verdict,
    /// Tests only on head.
    pub added: usize,
    /// Tests only on base.
    pub removed: usize,
    /// Pairs of a removed and an added test that were probably renamed (counted in neither).
    pub renamed: usize,
    /// Tests run on base and skipped on head.
    pub newly_skipped: usize,
    /// Tests skipped on base and run on head.
    pub unskipped: usize,
    /// Base rate over every test base ran (its own denominator).
    pub base_all: Rate,
    /// Head rate over every test head ran.
    pub head_all: Rate,
    /// Distinct tests executed on base.
    pub base_tests: usize,
    /// Distinct tests executed on head.
    pub head_tests: usize,
    /// Why the verdict is what it is.
    pub evidence: Vec<Evidence>,
}

/// One suite's share of the comparison.
#[derive(Debug, Clone, Serialize)]
pub struct SuiteSummary {
    /// Suite name (`(no suite)` when the source has none).
    pub name: String,
    /// Tests in the suite (either side).
    pub tests: usize,
    /// Verdict counts.
    pub summary: Summary,
    /// Pass rate over the suite's common tests.
    pub common: usize,
    /// Base rate over the suite's common tests.
    pub base: Rate,
    /// Head rate over the suite's common tests.
    pub head: Rate,
    /// Fisher exact two-sided p.
    pub p: Option<f64>,
    /// The suite's pass-rate verdict (same rule as the overall pass rate).
    pub verdict: Verdict,
}

/// A rate with its 95% Wilson interval.
pub fn rate(passed: u64, total: u64) -> Rate {
    if total == 0 {
        return Rate {
            passed,
            total,
            rate: None,
            ci: None,
        };
    }
    let ci = wilson(passed, total, 0.95).ok().map(|i| [i.lower, i.upper]);
    Rate {
        passed,
        total,
        rate: Some(passed as f64 / total as f64),
        ci,
    }
}

/// Whether a test counts in the common denominator: present and executed on both sides.
pub fn is_common(c: &TestComparison<'_>) -> bool {
    !matches!(
        c.change,
        Change::Added
            | Change::Removed
            | Change::Skipped
            | Change::StillSkipped
            | Change::Unskipped
    )
}

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    common: usize,
    base_pass: u64,
    base_total: u64,
    head_pass: u64,
    head_total: u64,
    // the same, without the tests judged environmental
    base_pass_x: u64,
    base_total_x: u64,
    head_pass_x: u64,
    head_total_x: u64,
}

impl Tally {
    fn add(&mut self, c: &TestComparison<'_>, verdict: Verdict) {
        if !is_common(c) {
            return;
        }
        self.common += 1;
        let (bp, bt) = (u64::from(c.base.passed), u64::from(c.base.executed()));
        let (hp, ht) = (u64::from(c.head.passed), u64::from(c.head.executed()));
        self.base_pass += bp;
        self.base_total += bt;
        self.head_pass += hp;
        self.head_total += ht;
        if verdict != Verdict::Environmental {
            self.base_pass_x += bp;
            self.base_total_x += bt;
            self.head_pass_x += hp;
            self.head_total_x += ht;
        }
    }

    fn p(pass_b: u64, total_b: u64, pass_h: u64, total_h: u64) -> Option<f64> {
        if total_b == 0 || total_h == 0 {
            return None;
        }
        Some(fisher_exact(total_b - pass_b, pass_b, total_h - pass_h, pass_h).p_two_sided)
    }
}

/// Computes the overall pass rate and the per-suite breakdown.
pub fn compute(
    tests: &[(&TestComparison<'_>, Verdict)],
    alpha: f64,
) -> (PassRate, Vec<SuiteSummary>) {
    let mut all = Tally::default();
    let mut suites: BTreeMap<String, (Tally, Summary, usize)> = BTreeMap::new();
    let mut pr = PassRate::default();
    let (mut bp_all, mut bt_all, mut hp_all, mut ht_all) = (0u64, 0u64, 0u64, 0u64);
    for (c, v) in tests {
        all.add(c, *v);
        let name = c.suite().unwrap_or("(no suite)").to_string();
        let entry = suites.entry(name).or_default();
        entry.0.add(c, *v);
        entry.1.add(*v);
        entry.2 += 1;
        match c.change {
            Change::Added => pr.added += 1,
            Change::Removed => pr.removed += 1,
            Change::Skipped => pr.newly_skipped += 1,
            Change::Unskipped => pr.unskipped += 1,
            _ => {}
        }
        if c.base.executed() > 0 {
            pr.base_tests += 1;
        }
        if c.head.executed() > 0 {
            pr.head_tests += 1;
        }
        bp_all += u64::from(c.base.passed);
        bt_all += u64::from(c.base.executed());
        hp_all += u64::from(c.head.passed);
        ht_all += u64::from(c.head.executed());
    }
    pr.common = all.common;
    pr.base = rate(all.base_pass, all.base_total);
    pr.head = rate(all.head_pass, all.head_total);
    pr.base_all = rate(bp_all, bt_all);
    pr.head_all = rate(hp_all, ht_all);
    pr.p = Tally::p(all.base_pass, all.base_total, all.head_pass, all.head_total);
    let (verdict, evidence) = judge(&all, pr.p, &pr, alpha);
    pr.verdict = verdict;
    pr.evidence = evidence;

    let suites = suites
        .into_iter()
        .map(|(name, (t, summary, tests))| {
            let base = rate(t.base_pass, t.base_total);
            let head = rate(t.head_pass, t.head_total);
            let p = Tally::p(t.base_pass, t.base_total, t.head_pass, t.head_total);
            let shell = PassRate {
                base,
                head,
                ..PassRate::default()
            };
            let (verdict, _) = judge(&t, p, &shell, alpha);
            SuiteSummary {
                name,
                tests,
                summary,
                common: t.common,
                base,
                head,
                p,
                verdict,
            }
        })
        .collect();
    (pr, suites)
}

fn judge(t: &Tally, p: Option<f64>, pr: &PassRate, alpha: f64) -> (Verdict, Vec<Evidence>) {
    let mut ev = Vec::new();
    let Some(p) = p else {
        ev.push(Evidence::new(
            "pass_rate",
            "no test ran on both sides: there is no common pass rate to compare",
        ));
        return (Verdict::Inconclusive, ev);
    };
    let (Some(rb), Some(rh)) = (pr.base.rate, pr.head.rate) else {
        return (Verdict::Inconclusive, ev);
    };
    if p >= alpha || rb == rh {
        ev.push(Evidence::new(
            "fisher",
            format!(
                "{:.1}% → {:.1}% over {} common tests, Fisher exact p = {}: not significant at {alpha}",
                100.0 * rb,
                100.0 * rh,
                t.common,
                fmt_p(p)
            ),
        ));
        return (Verdict::Unchanged, ev);
    }
    let direction = if rh < rb {
        Verdict::Regression
    } else {
        Verdict::Improvement
    };
    ev.push(Evidence::new(
        "fisher",
        format!(
            "{:.1}% → {:.1}% over {} common tests, Fisher exact p = {}: significant at {alpha}",
            100.0 * rb,
            100.0 * rh,
            t.common,
            fmt_p(p)
        ),
    ));
    let px = Tally::p(t.base_pass_x, t.base_total_x, t.head_pass_x, t.head_total_x);
    let rate = |p: u64, n: u64| {
        if n == 0 {
            None
        } else {
            Some(p as f64 / n as f64)
        }
    };
    let (rbx, rhx) = (
        rate(t.base_pass_x, t.base_total_x),
        rate(t.head_pass_x, t.head_total_x),
    );
    match px {
        Some(px) if px < alpha => {
            ev.push(Evidence::new(
                "fisher",
                format!(
                    "still significant without the tests judged environmental (Fisher exact p = {})",
                    fmt_p(px)
                ),
            ));
            (direction, ev)
        }
        Some(px) => {
            // Setting the environmental tests aside also costs power: only when nothing of the
            // move remains is the move environmental.
            let remains = match (rbx, rhx) {
                (Some(b), Some(h)) => {
                    if direction == Verdict::Regression {
                        h < b
                    } else {
                        h > b
                    }
                }
                _ => false,
            };
            if remains {
                ev.push(Evidence::new(
                    "inconclusive",
                    format!(
                        "without the tests judged environmental part of the move remains, but it is not significant (Fisher exact p = {})",
                        fmt_p(px)
                    ),
                ));
                (Verdict::Inconclusive, ev)
            } else {
                ev.push(Evidence::new(
                    "environmental",
                    format!(
                        "without the tests judged environmental the rate does not move (Fisher exact p = {})",
                        fmt_p(px)
                    ),
                ));
                (Verdict::Environmental, ev)
            }
        }
        None => {
            ev.push(Evidence::new(
                "environmental",
                "every common test was judged environmental",
            ));
            (Verdict::Environmental, ev)
        }
    }
}
