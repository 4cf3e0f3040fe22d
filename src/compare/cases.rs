//! Per-test comparison: status counts on each side and what kind of change they show.
//!
//! This stage states facts (counts, the kind of change, an exact test on failure counts when
//! a side has mixed results); it does not decide verdicts, which is `classify`'s job after
//! `attribute` has gathered evidence.

use serde::Serialize;

use crate::align::{AlignedTest, Observation, RunIds};
use crate::model::{Change, Name, Status};
use crate::stats::fisher::fisher_exact;

/// Status counts of one test on one side. Every count is over runs of that side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SideCounts {
    /// Runs of the side in which the test appears.
    pub runs: u32,
    /// Runs of the side in which it does not appear.
    pub absent: u32,
    /// Runs whose final status is passed.
    pub passed: u32,
    /// Runs whose final status is failed.
    pub failed: u32,
    /// Runs whose final status is errored.
    pub errored: u32,
    /// Runs whose final status is skipped.
    pub skipped: u32,
    /// Attempts over all runs (retries included).
    pub attempts: u32,
    /// Attempts that failed or errored.
    pub failed_attempts: u32,
    /// Runs that passed only after a failed attempt.
    pub passed_after_retry: u32,
}

impl SideCounts {
    /// Counts the observations of one side of `runs_in_side` runs.
    pub fn from_observations(obs: &[Observation<'_>], runs_in_side: usize) -> Self {
        let mut c = SideCounts {
            runs: obs.len() as u32,
            absent: runs_in_side.saturating_sub(obs.len()) as u32,
            ..SideCounts::default()
        };
        for o in obs {
            match o.status {
                Status::Passed => c.passed += 1,
                Status::Failed => c.failed += 1,
                Status::Errored => c.errored += 1,
                Status::Skipped => c.skipped += 1,
            }
            c.attempts += o.attempts() as u32;
            c.failed_attempts += o.failed_attempts() as u32;
            if o.passed_after_retry() {
                c.passed_after_retry += 1;
            }
        }
        c
    }

    /// Runs in which the test executed (not skipped).
    pub fn executed(&self) -> u32 {
        self.passed + self.failed + self.errored
    }

    /// Runs whose final status is failed or errored.
    pub fn failures(&self) -> u32 {
        self.failed + self.errored
    }

    /// `failed k of n runs`-style summary.
    pub fn describe(&self) -> String {
        // Every added or removed test of a comparison carries this sentence (a million of
        // them in a large one).
        let mut s = String::with_capacity(48);
        self.describe_to(&mut s);
        s
    }

    /// [`SideCounts::describe`] appended to `s`.
    pub fn describe_to(&self, s: &mut String) {
        use std::fmt::Write;
        if self.runs == 0 {
            let _ = write!(s, "absent from {} run(s)", self.absent);
            return;
        }
        let mut first = true;
        for (n, what) in [
            (self.passed, "passed"),
            (self.failed, "failed"),
            (self.errored, "errored"),
            (self.skipped, "skipped"),
        ] {
            if n > 0 {
                if !first {
                    s.push_str(", ");
                }
                first = false;
                let _ = write!(s, "{n} {what}");
            }
        }
        let _ = write!(s, " of {} run(s)", self.runs);
        if self.absent > 0 {
            let _ = write!(s, ", absent from {}", self.absent);
        }
        if self.passed_after_retry > 0 {
            let _ = write!(s, ", {} passed only after a retry", self.passed_after_retry);
        }
    }
}

/// Result of the exact test on failure counts (Fisher, two-sided).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RateTest {
    /// Failure rate on base (failures / executed runs).
    pub base_rate: f64,
    /// Failure rate on head.
    pub head_rate: f64,
    /// Two-sided p-value of Fisher's exact test on the 2×2 counts.
    pub p: f64,
}

/// One test compared across the sides.
///
/// Its names point at the runs' own shared names (8 bytes each), its tags are gathered
/// when asked, and the rare exact test is boxed: a comparison is 176 bytes, where it was
/// 256 (a comparison of a million tests holds one each until the report is built).
#[derive(Debug, Clone)]
pub struct TestComparison<'a> {
    /// Test id.
    pub id: &'a str,
    /// Suite (head's when present, else base's).
    suite: Option<&'a Name>,
    /// Class name.
    classname: Option<&'a Name>,
    /// Name (the id's when no run gave one).
    name: Option<&'a Name>,
    /// Source file, when a report gave it.
    file: Option<&'a Name>,
    /// Line, when a report gave it.
    pub line: Option<u32>,
    /// Base counts.
    pub base: SideCounts,
    /// Head counts.
    pub head: SideCounts,
    /// Base observations.
    pub base_obs: &'a [Observation<'a>],
    /// Head observations.
    pub head_obs: &'a [Observation<'a>],
    /// The ids of the runs of each side (an observation holds its run's index).
    runs: &'a RunIds<'a>,
    /// What the counts show.
    pub change: Change,
    /// Exact test on the failure counts, when a side has mixed results.
    rate_test: Option<Box<RateTest>>,
}

impl<'a> TestComparison<'a> {
    /// Suite (head's when present, else base's).
    pub fn suite(&self) -> Option<&'a str> {
        self.suite.map(|n| &**n)
    }

    /// Class name.
    pub fn classname(&self) -> Option<&'a str> {
        self.classname.map(|n| &**n)
    }

    /// Name.
    pub fn name(&self) -> &'a str {
        self.name.map_or(self.id, |n| &**n)
    }

    /// Source file, when a report gave it.
    pub fn file(&self) -> Option<&'a str> {
        self.file.map(|n| &**n)
    }

    /// The runs' own copies of the suite, class name, name and file, to share rather than
    /// copy (the name is `None` only when no run gave one).
    pub fn shared_names(&self) -> [Option<&'a Name>; 4] {
        [self.suite, self.classname, self.name, self.file]
    }

    /// The id of the base run of `o`, one of [`Self::base_obs`].
    pub fn base_run_id(&self, o: &Observation<'_>) -> &'a str {
        self.runs.base[o.run as usize]
    }

    /// The id of the head run of `o`, one of [`Self::head_obs`].
    pub fn head_run_id(&self, o: &Observation<'_>) -> &'a str {
        self.runs.head[o.run as usize]
    }

    /// Exact test on the failure counts, when a side has mixed results.
    pub fn rate_test(&self) -> Option<RateTest> {
        self.rate_test.as_deref().copied()
    }

    /// Tags from either side (head's first), each once.
    pub fn tags(&self) -> Vec<String> {
        let mut tags: Vec<String> = Vec::new();
        for o in self
            .head_obs
            .iter()
            .chain(self.base_obs)
            .filter(|o| o.tagged)
        {
            for tag in o.result.tags.iter() {
                if !tags.contains(tag) {
                    tags.push(tag.clone());
                }
            }
        }
        tags
    }

    /// Whether head has at least one failing run.
    pub fn head_fails(&self) -> bool {
        self.head.failures() > 0
    }

    /// Whether every attempt of every head run failed while base passed every run it ran.
    pub fn deterministic_break(&self) -> bool {
        self.base.executed() > 0
            && self.base.failures() == 0
            && self.base.failed_attempts == 0
            && self.head.executed() > 0
            && self.head.failures() == self.head.executed()
            && self.head.failed_attempts == self.head.attempts - self.head.skipped
    }
}

/// Compares one aligned test. `alpha` is the level of the exact test on mixed results.
pub fn compare_test<'a>(
    t: AlignedTest<'a, 'a>,
    base_runs: usize,
    head_runs: usize,
    alpha: f64,
) -> TestComparison<'a> {
    let base = SideCounts::from_observations(t.base, base_runs);
    let head = SideCounts::from_observations(t.head, head_runs);
    let mut rate_test = None;
    let change = if base.runs == 0 {
        Change::Added
    } else if head.runs == 0 {
        Change::Removed
    } else if base.executed() == 0 && head.executed() == 0 {
        Change::StillSkipped
    } else if head.executed() == 0 {
        Change::Skipped
    } else if base.executed() == 0 {
        Change::Unskipped
    } else {
        let (bf, be) = (base.failures(), base.executed());
        let (hf, he) = (head.failures(), head.executed());
        if bf == 0 && hf == 0 {
            if base.passed_after_retry > 0 || head.passed_after_retry > 0 {
                Change::Flaky
            } else {
                Change::Passing
            }
        } else if bf == 0 && hf == he {
            Change::Broke
        } else if bf == be && hf == 0 {
            Change::Fixed
        } else if bf == be && hf == he {
            Change::StillFailing
        } else {
            // Mixed results on at least one side: is the failure rate really different?
            let f = fisher_exact(
                u64::from(bf),
                u64::from(be - bf),
                u64::from(hf),
                u64::from(he - hf),
            );
            let test = RateTest {
                base_rate: f64::from(bf) / f64::from(be),
                head_rate: f64::from(hf) / f64::from(he),
                p: f.p_two_sided,
            };
            rate_test = Some(test);
            if test.p < alpha && test.head_rate > test.base_rate {
                Change::FailsMore
            } else if test.p < alpha && test.head_rate < test.base_rate {
                Change::FailsLess
            } else {
                Change::Flaky
            }
        }
    };
    let pick = |f: &dyn Fn(&Observation<'a>) -> Option<&'a Name>| {
        t.head.iter().chain(t.base.iter()).find_map(f)
    };
    let suite = pick(&|o| o.result.suite.as_ref());
    let classname = pick(&|o| o.result.classname.as_ref());
    let file = pick(&|o| o.result.file.as_ref());
    let line = t
        .head
        .iter()
        .chain(t.base.iter())
        .find_map(|o| o.result.line);
    let name = t.head.first().or(t.base.first()).map(|o| &o.result.name);
    TestComparison {
        id: t.id,
        suite,
        classname,
        name,
        file,
        line,
        base,
        head,
        base_obs: t.base,
        head_obs: t.head,
        runs: t.runs,
        change,
        rate_test: rate_test.map(Box::new),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comparison_stays_small() {
        // One per test of a comparison, held until the report is built. 184 since it points
        // to the sides' run ids (8 bytes), which each observation held (16 bytes): a test
        // has at least one observation, two in a comparison of one run a side.
        assert!(std::mem::size_of::<TestComparison<'_>>() <= 184);
        // 24 since it points to its run's duration, which a repeat does not share with its
        // result (a repeat is 20 bytes where a result was 168).
        assert!(std::mem::size_of::<Observation<'_>>() <= 24);
    }

    /// `describe` as it was written first, part by part, for checking.
    fn describe_reference(c: &SideCounts) -> String {
        let mut parts = Vec::new();
        for (n, what) in [
            (c.passed, "passed"),
            (c.failed, "failed"),
            (c.errored, "errored"),
            (c.skipped, "skipped"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        if c.runs == 0 {
            return format!("absent from {} run(s)", c.absent);
        }
        let mut s = format!("{} of {} run(s)", parts.join(", "), c.runs);
        if c.absent > 0 {
            s.push_str(&format!(", absent from {}", c.absent));
        }
        if c.passed_after_retry > 0 {
            s.push_str(&format!(
                ", {} passed only after a retry",
                c.passed_after_retry
            ));
        }
        s
    }

    proptest::proptest! {
        #[test]
        fn describe_says_what_it_said(
            counts in proptest::collection::vec(0u32..3, 7),
        ) {
            let c = SideCounts {
                runs: counts[0],
                absent: counts[1],
                passed: counts[2],
                failed: counts[3],
                errored: counts[4],
                skipped: counts[5],
                passed_after_retry: counts[6],
                ..SideCounts::default()
            };
            proptest::prop_assert_eq!(c.describe(), describe_reference(&c));
        }
    }
}
