//! A test's history over a window of runs: how often it failed (with a Wilson interval), how
//! often it flipped between passing and failing, and whether its failures form a step (it
//! started failing at one commit and kept failing) rather than flakiness.
//!
//! [`FailureHistory`] is the one computation of a test's failure rate: `compare`'s evidence
//! E3 (flaky history) and `regdiff flaky` both use it, so the two never disagree about the
//! same runs.

use crate::stats::common::Interval;
use crate::stats::rates::wilson;

pub use crate::history::Outcome;

/// A test's failures over a window of executed runs, oldest first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FailureHistory {
    /// Executed runs.
    pub runs: u64,
    /// Runs whose final result was a failure.
    pub failures: u64,
    /// Changes between passing and failing from one executed run to the next.
    pub flips: u64,
    /// Runs where a retry passed after a failed attempt (flaky within the run).
    pub mixed_runs: u64,
    /// 95% Wilson interval of the failure rate (`None` without runs).
    pub rate_ci: Option<Interval>,
    /// Index (into the outcomes) of the first run of the last unbroken stretch of failures
    /// that ends the window, when the runs before it all passed: a step, not flakiness.
    pub failing_since: Option<usize>,
    /// Index of the first run of the last unbroken stretch of passes, when every run before
    /// it failed: fixed at that run.
    pub passing_since: Option<usize>,
}

/// What a test's history says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestKind {
    /// Passed in every executed run.
    Stable,
    /// Failed in every executed run.
    Failing,
    /// Passed, then failed in every run since one run: a step.
    Broke,
    /// Failed, then passed in every run since one run.
    Fixed,
    /// Both passed and failed, alternating, over at least the minimum sample.
    Flaky,
    /// Both passed and failed, but over fewer runs than the minimum sample.
    TooFewRuns,
}

impl TestKind {
    /// The name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            TestKind::Stable => "stable",
            TestKind::Failing => "failing",
            TestKind::Broke => "broke",
            TestKind::Fixed => "fixed",
            TestKind::Flaky => "flaky",
            TestKind::TooFewRuns => "too_few_runs",
        }
    }
}

impl FailureHistory {
    /// The history of `outcomes`, oldest first.
    pub fn of(outcomes: impl IntoIterator<Item = Outcome>) -> FailureHistory {
        let mut runs = 0u64;
        let mut failures = 0u64;
        let mut flips = 0u64;
        let mut mixed_runs = 0u64;
        let mut prev: Option<bool> = None;
        // Start of the current stretch of equal outcomes, and whether an earlier stretch
        // exists with the other outcome only.
        let mut stretch_start = 0usize;
        let mut stretches = 0u32;
        for (i, o) in outcomes.into_iter().enumerate() {
            runs += 1;
            failures += u64::from(o.failed);
            mixed_runs += u64::from(o.mixed);
            if prev.is_some_and(|p| p != o.failed) {
                flips += 1;
                stretch_start = i;
            }
            if prev.is_none() || prev != Some(o.failed) {
                stretches += 1;
            }
            prev = Some(o.failed);
        }
        let rate_ci = (runs > 0)
            .then(|| wilson(failures, runs, 0.95).ok())
            .flatten();
        // Exactly two stretches: one change, at `stretch_start`.
        let step = (stretches == 2).then_some(stretch_start);
        let last_failed = prev == Some(true);
        FailureHistory {
            runs,
            failures,
            flips,
            mixed_runs,
            rate_ci,
            failing_since: step.filter(|_| last_failed),
            passing_since: step.filter(|_| !last_failed),
        }
    }

    /// The failure rate k/n (0 without runs).
    pub fn rate(&self) -> f64 {
        if self.runs == 0 {
            0.0
        } else {
            self.failures as f64 / self.runs as f64
        }
    }

    /// Flips per pair of consecutive runs (0 with fewer than two runs).
    pub fn flip_rate(&self) -> f64 {
        if self.runs < 2 {
            0.0
        } else {
            self.flips as f64 / (self.runs - 1) as f64
        }
    }

    /// What the history says, with `min_runs` executed runs needed to call a test flaky.
    ///
    /// A single change (passing, then failing ever since) is a step, whatever the sample:
    /// the code broke there. Flaky needs both outcomes more than once apart (two flips or
    /// more) or a retry that passed, over at least `min_runs` runs.
    pub fn kind(&self, min_runs: u64) -> TestKind {
        if self.failures == 0 && self.mixed_runs == 0 {
            return TestKind::Stable;
        }
        if self.failures == self.runs && self.mixed_runs == 0 {
            return TestKind::Failing;
        }
        if self.mixed_runs == 0 {
            if self.failing_since.is_some() {
                return TestKind::Broke;
            }
            if self.passing_since.is_some() {
                return TestKind::Fixed;
            }
        }
        if self.runs < min_runs {
            TestKind::TooFewRuns
        } else {
            TestKind::Flaky
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist(s: &str) -> FailureHistory {
        FailureHistory::of(s.chars().map(|c| Outcome {
            failed: c == 'F' || c == 'M',
            mixed: c == 'M' || c == 'm',
        }))
    }

    #[test]
    fn counts_rate_and_flips() {
        let h = hist("PPFPPFFPPP");
        assert_eq!((h.runs, h.failures, h.flips), (10, 3, 4));
        assert!((h.rate() - 0.3).abs() < 1e-12);
        assert!((h.flip_rate() - 4.0 / 9.0).abs() < 1e-12);
        let ci = h.rate_ci.unwrap();
        // Wilson 95% for 3 of 10: 0.1078–0.6032.
        assert!((ci.lower - 0.1078).abs() < 1e-3 && (ci.upper - 0.6032).abs() < 1e-3);
        assert_eq!(h.kind(10), TestKind::Flaky);
        assert_eq!(h.kind(20), TestKind::TooFewRuns);
    }

    #[test]
    fn a_step_is_not_flakiness() {
        let h = hist("PPPPPPPFFFF");
        assert_eq!(h.failing_since, Some(7));
        assert_eq!(h.kind(5), TestKind::Broke);
        let h = hist("FFFPPPPP");
        assert_eq!(h.passing_since, Some(3));
        assert_eq!(h.kind(5), TestKind::Fixed);
        // A single failure at the latest run is a step too: the code broke there.
        assert_eq!(hist("PPPPPF").kind(3), TestKind::Broke);
        assert_eq!(hist("PPPP").kind(3), TestKind::Stable);
        assert_eq!(hist("FFFF").kind(3), TestKind::Failing);
    }

    #[test]
    fn a_passing_retry_is_flaky_even_without_flips() {
        let h = hist("PPPmPPPPPPP");
        assert_eq!(h.failures, 0);
        assert_eq!(h.mixed_runs, 1);
        assert_eq!(h.kind(10), TestKind::Flaky);
    }
}
