//! Pairs the items of the two sides by identity.
//!
//! Tests are aligned by test id over the union of both sides: every id seen in any run of
//! either side gets one entry holding its observations per side (one per run it appears in).
//! Entries come in first-seen order (the base runs in order, then tests only on head), which
//! is the order the suite ran them in and does not depend on hashing or threads.
//!
//! The observations of all tests live in two flat arrays grouped by test (a counting sort), so
//! aligning 100,000 tests makes a handful of allocations rather than two per test.

use hashbrown::HashMap;

use crate::model::{Snapshot, Status, TestResult};

/// One run of a side, with the id it is known by (store id or file path).
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    /// Store id, or the path the run was read from.
    pub id: &'a str,
    /// The run.
    pub snapshot: &'a Snapshot,
}

/// A test's result in one run.
///
/// It carries the result's status, and whether the result is one attempt of that status:
/// the passes over every observation of a side (counts, attribution, the pass rate) read
/// them here, in the order they are grouped, rather than from each result in turn, which
/// for 200 runs of 10,000 tests is a cache miss for each of two million results.
///
/// It is 16 bytes: the run's id is found by its index ([`RunIds`]), not held by each of the
/// ten million observations of 1,000 pooled runs.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    /// The result. For a repeat ([`crate::model::Repeats`]), the template's: everything
    /// but its duration is the run's.
    pub result: &'a TestResult,
    /// The run's duration of the test (read it here, not from `result`).
    pub duration_s: &'a Option<f64>,
    /// Index of the run within its side (its id: [`RunIds`]).
    pub run: u32,
    /// The result's status.
    pub status: Status,
    /// The result is one attempt, of the result's status (no retry).
    pub single: bool,
    /// The result carries tags (most carry none: the passes that collect a test's tags
    /// skip the others without reading them).
    pub tagged: bool,
}

impl<'a> Observation<'a> {
    /// The observation of `result` in run `run` (index within its side).
    pub fn new(run: usize, result: &'a TestResult) -> Self {
        Observation::with_duration(run, result, &result.duration_s)
    }

    /// The observation of `result` with the run's duration `duration_s` (a repeat's).
    pub fn with_duration(run: usize, result: &'a TestResult, duration_s: &'a Option<f64>) -> Self {
        Observation {
            result,
            duration_s,
            run: run as u32,
            status: result.status,
            single: result.attempts.len() == 1 && result.attempts[0].status == result.status,
            tagged: !result.tags.is_empty(),
        }
    }

    /// Attempts in the run.
    pub fn attempts(&self) -> usize {
        if self.single {
            1
        } else {
            self.result.attempts.len()
        }
    }

    /// Attempts that failed or errored.
    pub fn failed_attempts(&self) -> usize {
        if self.single {
            usize::from(self.status.is_failure())
        } else {
            self.result
                .attempts
                .iter()
                .filter(|a| a.status.is_failure())
                .count()
        }
    }

    /// Whether the run passed only after a failed attempt.
    pub fn passed_after_retry(&self) -> bool {
        !self.single && self.result.passed_after_retry()
    }
}

/// One test id with what each side saw of it.
#[derive(Debug, Clone, Copy)]
pub struct AlignedTest<'a, 'o> {
    /// The test id.
    pub id: &'a str,
    /// Observations on the base side, in run order.
    pub base: &'o [Observation<'a>],
    /// Observations on the head side, in run order.
    pub head: &'o [Observation<'a>],
    /// The ids of the runs of each side.
    pub runs: &'o RunIds<'a>,
}

/// The ids of each side's runs, by the index an [`Observation`] holds.
#[derive(Debug, Default)]
pub struct RunIds<'a> {
    /// Base runs' ids, in side order.
    pub base: Vec<&'a str>,
    /// Head runs' ids, in side order.
    pub head: Vec<&'a str>,
}

/// The aligned tests of a comparison.
#[derive(Debug, Default)]
pub struct Alignment<'a> {
    ids: Vec<&'a str>,
    runs: RunIds<'a>,
    base: Vec<Observation<'a>>,
    head: Vec<Observation<'a>>,
    /// `base[base_start[i]..base_start[i + 1]]` are test i's base observations.
    base_start: Vec<u32>,
    head_start: Vec<u32>,
}

impl<'a> Alignment<'a> {
    /// Number of distinct test ids.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no test was seen.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The i-th aligned test.
    pub fn get(&self, i: usize) -> AlignedTest<'a, '_> {
        let b = self.base_start[i] as usize..self.base_start[i + 1] as usize;
        let h = self.head_start[i] as usize..self.head_start[i + 1] as usize;
        AlignedTest {
            id: self.ids[i],
            base: &self.base[b],
            head: &self.head[h],
            runs: &self.runs,
        }
    }

    /// Every aligned test, in first-seen order.
    pub fn iter(&self) -> impl Iterator<Item = AlignedTest<'a, '_>> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

/// A template's tests (see [`crate::model::Repeats`]) and the slot of each, once known.
type TemplateSlots<'a> = (&'a std::sync::Arc<[TestResult]>, Vec<Option<u32>>);

/// Aligns the tests of the two sides by id.
pub fn align_tests<'a>(base: &[Run<'a>], head: &[Run<'a>]) -> Alignment<'a> {
    // Room for the largest run's tests: the runs of a comparison are mostly the same tests,
    // so the distinct ids are about that many (room for every result of 200 runs was 130 MB
    // of table for 10,000 ids).
    let largest: usize = base
        .iter()
        .chain(head)
        .map(|r| r.snapshot.test_count())
        .max()
        .unwrap_or(0);
    let mut index: HashMap<&'a str, u32> = HashMap::with_capacity(largest);
    let mut ids: Vec<&'a str> = Vec::with_capacity(largest);
    // Test index of every result, side by side, run by run.
    let mut slot_of = |side: &[Run<'a>]| -> Vec<u32> {
        let mut slots = Vec::with_capacity(side.iter().map(|r| r.snapshot.test_count()).sum());
        // The slot of each test of each template the runs repeat ([`crate::model::Repeats`]):
        // a repeat's slot is its template test's, found once rather than once a run. The
        // template is an earlier run of the side, whose tests are in the table already.
        let mut templates: Vec<TemplateSlots<'a>> = Vec::new();
        for run in side {
            // Runs of one suite list their tests in the same order: the test after the
            // previous one's slot is tried before the table (two million lookups for 200
            // runs of 10,000 tests). A test found so is already in the table.
            let mut next = 0usize;
            let mut slot = |index: &mut HashMap<&'a str, u32>, id: &'a str| -> u32 {
                let slot = match ids.get(next) {
                    Some(&known) if known == id => next as u32,
                    _ => *index.entry(id).or_insert_with(|| {
                        ids.push(id);
                        (ids.len() - 1) as u32
                    }),
                };
                next = slot as usize + 1;
                slot
            };
            for t in &run.snapshot.tests {
                slots.push(slot(&mut index, &t.id));
            }
            let Some(r) = &run.snapshot.repeats else {
                continue;
            };
            let known = match templates
                .iter()
                .position(|(t, _)| std::sync::Arc::ptr_eq(t, &r.template))
            {
                Some(k) => k,
                None => {
                    let known = r
                        .template
                        .iter()
                        .map(|t| index.get(&*t.id).copied())
                        .collect();
                    templates.push((&r.template, known));
                    templates.len() - 1
                }
            };
            for &i in &r.at {
                let s = match templates[known].1[i as usize] {
                    Some(s) => s,
                    None => slot(&mut index, &r.template[i as usize].id),
                };
                slots.push(s);
            }
        }
        slots
    };
    let base_slots = slot_of(base);
    let head_slots = slot_of(head);
    drop(index);
    let n = ids.len();
    let (base_obs, base_start) = group(base, &base_slots, n);
    let (head_obs, head_start) = group(head, &head_slots, n);
    Alignment {
        ids,
        runs: RunIds {
            base: base.iter().map(|r| r.id).collect(),
            head: head.iter().map(|r| r.id).collect(),
        },
        base: base_obs,
        head: head_obs,
        base_start,
        head_start,
    }
}

/// Counting sort of one side's results by test index, keeping run order within a test.
fn group<'a>(side: &[Run<'a>], slots: &[u32], n: usize) -> (Vec<Observation<'a>>, Vec<u32>) {
    let mut start = vec![0u32; n + 1];
    for &s in slots {
        start[s as usize + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    // Every slot is written below; they start as copies of the first result (rather than
    // as `Option`s unwrapped into a second vector: 64 MB for 200 runs of 10,000 tests).
    let Some(first) = side.iter().find_map(|r| {
        r.snapshot
            .results()
            .next()
            .map(|(t, _)| Observation::new(0, t))
    }) else {
        return (Vec::new(), start);
    };
    let mut out: Vec<Observation<'a>> = vec![first; slots.len()];
    let mut k = 0;
    for (run_idx, run) in side.iter().enumerate() {
        for (result, duration_s) in run.snapshot.results() {
            let s = slots[k] as usize;
            k += 1;
            out[fill[s] as usize] = Observation::with_duration(run_idx, result, duration_s);
            fill[s] += 1;
        }
    }
    (out, start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Attempt, Name, Status};

    fn snap(ids: &[&str]) -> Snapshot {
        let mut s = Snapshot::new();
        for id in ids {
            s.tests.push(TestResult {
                id: Name::from(*id),
                suite: None,
                classname: None,
                name: Name::from(*id),
                status: Status::Passed,
                attempts: smallvec::smallvec![Attempt::new(Status::Passed)],
                duration_s: None,
                file: None,
                line: None,
                tags: Default::default(),
                properties: Default::default(),
            });
        }
        s
    }

    #[test]
    fn union_of_ids_with_observations_per_side() {
        let b1 = snap(&["b", "a"]);
        let b2 = snap(&["a"]);
        let h1 = snap(&["c", "b"]);
        let base = [
            Run {
                id: "b1",
                snapshot: &b1,
            },
            Run {
                id: "b2",
                snapshot: &b2,
            },
        ];
        let head = [Run {
            id: "h1",
            snapshot: &h1,
        }];
        let al = align_tests(&base, &head);
        let ids: Vec<_> = al.iter().map(|a| a.id).collect();
        assert_eq!(ids, ["b", "a", "c"], "first-seen order");
        let a = al.get(1);
        assert_eq!(a.base.len(), 2);
        assert_eq!(a.head.len(), 0);
        assert_eq!(a.runs.base[a.base[0].run as usize], "b1");
        assert_eq!(a.runs.base[a.base[1].run as usize], "b2");
        assert_eq!(a.runs.head, ["h1"]);
        let b = al.get(0);
        assert_eq!((b.base.len(), b.head.len()), (1, 1));
        let c = al.get(2);
        assert_eq!((c.base.len(), c.head.len()), (0, 1));
        assert_eq!(&*c.head[0].result.id, "c");
    }

    /// Each id with the (side, run, position) of its results.
    type Placed = Vec<(String, Vec<(usize, usize, usize)>)>;

    /// The alignment as a plain map would make it: ids in first-seen order, each with the
    /// (side, run, position) of its results.
    fn reference(sides: &[Vec<Vec<String>>; 2]) -> Placed {
        let mut order: Vec<String> = Vec::new();
        let mut seen: std::collections::HashMap<String, Vec<(usize, usize, usize)>> =
            Default::default();
        for (side, runs) in sides.iter().enumerate() {
            for (run, ids) in runs.iter().enumerate() {
                for (pos, id) in ids.iter().enumerate() {
                    seen.entry(id.clone())
                        .or_insert_with(|| {
                            order.push(id.clone());
                            Vec::new()
                        })
                        .push((side, run, pos));
                }
            }
        }
        order
            .into_iter()
            .map(|id| {
                let at = seen.remove(&id).unwrap();
                (id, at)
            })
            .collect()
    }

    proptest::proptest! {
        /// Runs in the same order, in other orders, with tests added, dropped or repeated:
        /// the same alignment as the map's.
        #[test]
        fn same_as_a_plain_map(
            base in proptest::collection::vec(proptest::collection::vec(0u8..12, 0..14), 0..5),
            head in proptest::collection::vec(proptest::collection::vec(0u8..12, 0..14), 0..4),
        ) {
            let names = |runs: &Vec<Vec<u8>>| -> Vec<Vec<String>> {
                runs.iter()
                    .map(|r| r.iter().map(|i| format!("t{i}")).collect())
                    .collect()
            };
            let sides = [names(&base), names(&head)];
            let snaps: Vec<Vec<Snapshot>> = sides
                .iter()
                .map(|runs| {
                    runs.iter()
                        .map(|ids| snap(&ids.iter().map(String::as_str).collect::<Vec<_>>()))
                        .collect()
                })
                .collect();
            let run_ids = ["r0", "r1", "r2", "r3", "r4"];
            fn runs<'s>(side: &'s [Snapshot], run_ids: &[&'static str]) -> Vec<Run<'s>> {
                side.iter()
                    .enumerate()
                    .map(|(i, s)| Run { id: run_ids[i], snapshot: s })
                    .collect()
            }
            let (b, h) = (runs(&snaps[0], &run_ids), runs(&snaps[1], &run_ids));
            let al = align_tests(&b, &h);
            let got: Placed = al
                .iter()
                .map(|t| {
                    let mut at = Vec::new();
                    for (side, obs, ids) in [(0, t.base, &t.runs.base), (1, t.head, &t.runs.head)] {
                        for o in obs {
                            let tests = &snaps[side][o.run as usize].tests;
                            let pos = tests
                                .iter()
                                .position(|r| std::ptr::eq(r, o.result))
                                .unwrap();
                            assert_eq!(ids[o.run as usize], run_ids[o.run as usize]);
                            at.push((side, o.run as usize, pos));
                        }
                    }
                    (t.id.to_string(), at)
                })
                .collect();
            proptest::prop_assert_eq!(got, reference(&sides));
        }
    }

    proptest::proptest! {
        /// What an observation says of its result's attempts and tags is what the result
        /// says, for any list of attempts (none, one of the result's status or of another,
        /// retries) and of tags.
        #[test]
        fn an_observation_counts_as_its_result(
            status in 0usize..4,
            attempts in proptest::collection::vec(0usize..4, 0..4),
            tags in proptest::collection::vec("[a-z]{1,3}", 0..3),
        ) {
            use crate::model::Attempt;
            let all = [Status::Passed, Status::Failed, Status::Errored, Status::Skipped];
            let mut s = snap(&["t"]);
            let t = &mut s.tests[0];
            t.status = all[status];
            t.attempts = attempts.iter().map(|&a| Attempt::new(all[a])).collect();
            t.tags = tags.into();
            let t = &s.tests[0];
            let o = Observation::new(3, t);
            proptest::prop_assert_eq!(o.status, t.status);
            proptest::prop_assert_eq!(o.run, 3);
            proptest::prop_assert_eq!(o.attempts(), t.attempts.len());
            proptest::prop_assert_eq!(
                o.failed_attempts(),
                t.attempts.iter().filter(|a| a.status.is_failure()).count()
            );
            proptest::prop_assert_eq!(o.passed_after_retry(), t.passed_after_retry());
            proptest::prop_assert_eq!(o.tagged, !t.tags.is_empty());
        }
    }
}
