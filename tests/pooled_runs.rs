//! A side of many stored runs is read with each run's tests that repeat its batch's first
//! run (the template) held as repeats (`store::load_many_repeating`): the comparison must be
//! the one of the runs read whole, byte for byte, whatever differs from run to run.

mod common;

use regdiff::align::Run;
use regdiff::model::{Attempt, Snapshot, Status, TestResult};
use regdiff::report::{Format, RenderOptions, renderer};
use regdiff::store::{RunMeta, Store, Stored};

fn result(id: &str, status: Status, d: f64) -> TestResult {
    let mut a = Attempt::new(status);
    a.duration_s = Some(d);
    TestResult {
        // The id the class name and name give: stored as a plain row.
        id: format!("pkg.Class::{id}").into(),
        suite: Some("suite".into()),
        classname: Some("pkg.Class".into()),
        name: id.into(),
        status,
        attempts: smallvec::smallvec![a],
        duration_s: Some(d),
        file: None,
        line: None,
        tags: Default::default(),
        properties: Default::default(),
    }
}

/// Run `r` of a suite that changes from run to run in every way a repeat must notice.
fn run(r: usize, rng: &mut common::Rng) -> Snapshot {
    let mut s = Snapshot::new();
    s.run.branch = Some("main".into());
    s.run.commit = Some(format!("{r:040x}"));
    s.run.time = Some(format!("2026-11-{:02}T{:02}:00:00Z", 1 + r / 24, r % 24));
    for i in 0..60 {
        // A test added after the tenth run, before the others: every later place moves.
        if i == 5 && r >= 10 {
            s.tests.push(result("late", Status::Passed, 0.2));
        }
        // A test gone after the twentieth run.
        if i == 7 && r >= 20 {
            continue;
        }
        let id = format!("t{i:02}");
        let d = 0.05 * (1 + i % 7) as f64 * (1.0 + 0.05 * rng.normal()).abs();
        let mut t = result(&id, Status::Passed, d);
        match i {
            // Flaky: fails now and then, with a message.
            10 if rng.uniform() < 0.3 => {
                t.status = Status::Failed;
                t.attempts[0].status = Status::Failed;
                t.attempts[0].text_mut().message = Some("expected 1, got 2".into());
            }
            // Passes after a retry now and then.
            11 if rng.uniform() < 0.3 => {
                t.attempts.insert(0, Attempt::new(Status::Failed));
            }
            12 => {
                t.status = Status::Skipped;
                t.attempts[0].status = Status::Skipped;
            }
            13 => t.tags.push("slow".into()),
            // Tagged in some runs only.
            14 if r.is_multiple_of(3) => t.tags.push("quarantine".into()),
            15 => {
                t.line = Some(if r < 25 { 40 } else { 41 });
            }
            16 if r % 4 == 1 => {
                t.properties.insert("seed".into(), r.to_string());
            }
            17 if r % 5 == 2 => t.name = "t17 (renamed)".into(),
            18 => t.duration_s = None,
            // Without a duration in some runs: left out of the duration metrics.
            19 if r.is_multiple_of(6) => {
                t.duration_s = None;
                t.attempts[0].duration_s = None;
            }
            // Errors in the template runs, passes in the others.
            20 if r.is_multiple_of(32) => {
                t.status = Status::Errored;
                t.attempts[0].status = Status::Errored;
            }
            // Slower from the thirtieth run.
            21 if r >= 30 => {
                t.duration_s = Some(3.0 * d);
                t.attempts[0].duration_s = Some(3.0 * d);
            }
            _ => {}
        }
        if i == 18 {
            t.attempts[0].duration_s = None;
        }
        s.tests.push(t);
    }
    // Every test of one run in another suite: its rows are the others', but for the
    // context rows they point to.
    if r == 40 {
        for t in &mut s.tests {
            t.suite = Some("moved".into());
        }
    }
    // Listed in another order now and then.
    if r % 7 == 3 {
        s.tests.swap(1, 30);
        s.tests.reverse();
    }
    s
}

/// Each run's tests by id, each repeat made its run's own result.
type Tests = Vec<std::collections::BTreeMap<String, TestResult>>;

fn report(
    store: &dyn Store,
    metas: &[&RunMeta],
    repeat: bool,
    head: &Snapshot,
) -> (usize, Tests, String) {
    let (base, failures): (Vec<Stored>, _) = if repeat {
        regdiff::store::load_many_repeating(store, metas)
    } else {
        regdiff::store::load_many(store, metas)
    };
    assert!(failures.is_empty(), "{failures:?}");
    let repeats = base
        .iter()
        .map(|s| s.snapshot.repeats.as_ref().map_or(0, |r| r.at.len()))
        .sum();
    let tests: Tests = base
        .iter()
        .map(|s| {
            s.snapshot
                .own_results()
                .map(|t| (t.id.to_string(), t))
                .collect()
        })
        .collect();
    let r = common::analyse_runs(
        base.iter()
            .map(|s| Run {
                id: &s.id,
                snapshot: &s.snapshot,
            })
            .collect(),
        vec![Run {
            id: "head",
            snapshot: head,
        }],
    );
    let mut out = Vec::new();
    for format in [Format::Json, Format::Table] {
        let opts = RenderOptions {
            color: false,
            show_unchanged: true,
        };
        renderer(format).render(&r, &opts, &mut out).unwrap();
    }
    (repeats, tests, String::from_utf8(out).unwrap())
}

#[test]
fn a_side_read_as_repeats_is_compared_as_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = regdiff::store::fs::FsStore::new(dir.path().join("baselines"));
    let mut rng = common::Rng::new(7);
    // More than one batch of the reader (32 runs), so more than one template.
    for r in 0..45 {
        store.save(&run(r, &mut rng)).unwrap();
    }
    let catalog = store.catalog().unwrap();
    let metas: Vec<&RunMeta> = catalog.runs.iter().collect();
    assert_eq!(metas.len(), 45);
    let mut head = run(45, &mut rng);
    head.tests.retain(|t| &*t.id != "pkg.Class::t30");
    head.tests[3].status = Status::Failed;
    head.tests[3].attempts[0].status = Status::Failed;

    let (none, tests, whole) = report(&store, &metas, false, &head);
    let (repeats, as_repeats, repeating) = report(&store, &metas, true, &head);
    assert!(
        tests == as_repeats,
        "the runs read with repeats hold other tests"
    );
    assert_eq!(none, 0);
    // About 50 of the 60 tests of each of the 43 runs that are not a template.
    assert!(repeats > 43 * 40, "{repeats} repeats");
    assert!(whole.contains("regression"), "{whole}");
    // Durations of tagged tests, from runs that repeat them.
    assert!(whole.contains("duration: pkg.Class::t13"), "{whole}");
    assert_eq!(repeating, whole);
}

/// A side whose suite changed (every test renamed after the 32nd run) takes a new template
/// once a batch holds few repeats of the old one: the later runs are repeats again.
#[test]
fn a_batch_that_repeats_little_hands_the_next_a_template_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let store = regdiff::store::fs::FsStore::new(dir.path().join("baselines"));
    for r in 0..80 {
        let mut s = Snapshot::new();
        s.run.branch = Some("main".into());
        s.run.commit = Some(format!("{r:040x}"));
        s.run.time = Some(format!("2026-11-{:02}T{:02}:00:00Z", 1 + r / 24, r % 24));
        let suite = if r < 32 { "old" } else { "new" };
        for i in 0..20 {
            s.tests.push(result(
                &format!("{suite}{i}"),
                Status::Passed,
                0.1 + r as f64 / 1000.0,
            ));
        }
        store.save(&s).unwrap();
    }
    let catalog = store.catalog().unwrap();
    let metas: Vec<&RunMeta> = catalog.runs.iter().collect();
    let (runs, failures) = regdiff::store::load_many_repeating(&store, &metas);
    assert!(failures.is_empty(), "{failures:?}");
    let repeats: Vec<usize> = runs
        .iter()
        .map(|s| s.snapshot.repeats.as_ref().map_or(0, |r| r.at.len()))
        .collect();
    // The first batch repeats its first run; the second (runs 32 to 63) holds none of its
    // tests; the third repeats the second's first run.
    assert_eq!(repeats[0], 0);
    assert!(repeats[1..32].iter().all(|&n| n == 20), "{repeats:?}");
    assert!(repeats[32..64].iter().all(|&n| n == 0), "{repeats:?}");
    assert!(repeats[65..].iter().all(|&n| n == 20), "{repeats:?}");
}

/// Every reader of a run's tests sees the ones it holds as repeats: the test history, the
/// matrix of outcomes, and what a selector asks a run to hold.
#[test]
fn the_readers_of_a_run_see_its_repeats() {
    use regdiff::history::{TestHistory, TestMatrix};
    let dir = tempfile::tempdir().unwrap();
    let store = regdiff::store::fs::FsStore::new(dir.path().join("baselines"));
    let mut rng = common::Rng::new(11);
    for r in 0..40 {
        store.save(&run(r, &mut rng)).unwrap();
    }
    let catalog = store.catalog().unwrap();
    let metas: Vec<&RunMeta> = catalog.runs.iter().collect();
    let (whole, failures) = regdiff::store::load_many(&store, &metas);
    assert!(failures.is_empty(), "{failures:?}");
    let (repeating, failures) = regdiff::store::load_many_repeating(&store, &metas);
    assert!(failures.is_empty(), "{failures:?}");
    assert!(
        repeating.iter().any(|s| s
            .snapshot
            .repeats
            .as_ref()
            .is_some_and(|r| !r.at.is_empty())),
        "the side is read with repeats"
    );

    let pairs = |runs: &[Stored]| -> Vec<(String, Snapshot)> {
        runs.iter()
            .map(|s| (s.id.clone(), s.snapshot.clone()))
            .collect()
    };
    let (w, r) = (pairs(&whole), pairs(&repeating));
    let history = |runs: &[(String, Snapshot)]| {
        TestHistory::from_snapshots(runs.iter().map(|(id, s)| (id.as_str(), s)), None)
    };
    let (hw, hr) = (history(&w), history(&r));
    let ids: std::collections::BTreeSet<String> = whole
        .iter()
        .flat_map(|s| s.snapshot.tests.iter().map(|t| t.id.to_string()))
        .collect();
    for id in &ids {
        assert_eq!(hw.of(id), hr.of(id), "{id}");
        assert!(!hw.of(id).is_empty(), "{id}");
    }

    let matrix = |runs: &[(String, Snapshot)]| {
        let m = TestMatrix::from_snapshots(runs.iter().map(|(_, s)| s));
        let columns: Vec<Vec<(String, regdiff::model::Status)>> = m
            .columns()
            .iter()
            .map(|c| {
                let mut e: Vec<(String, regdiff::model::Status)> = c
                    .iter()
                    .flat_map(|c| &c.entries)
                    .map(|&(i, code)| (m.id(i).to_string(), code.status()))
                    .collect();
                e.sort();
                e
            })
            .collect();
        (m.tests(), columns)
    };
    assert_eq!(matrix(&w), matrix(&r));

    // A run whose tests are all repeats still holds tests for a selector.
    let same = regdiff::store::fs::FsStore::new(dir.path().join("same"));
    for r in 0..2 {
        let mut s = Snapshot::new();
        s.run.branch = Some("main".into());
        s.run.commit = Some(format!("{r:040x}"));
        for i in 0..3 {
            s.tests
                .push(result(&format!("t{i}"), Status::Passed, 0.1 + r as f64));
        }
        same.save(&s).unwrap();
    }
    let catalog = same.catalog().unwrap();
    let metas: Vec<&RunMeta> = catalog.runs.iter().collect();
    let (runs, failures) = regdiff::store::load_many_repeating(&same, &metas);
    assert!(failures.is_empty(), "{failures:?}");
    let second = &runs[1].snapshot;
    assert!(second.tests.is_empty() && second.test_count() == 3);
    let tests = regdiff::store::RunKind {
        tests: true,
        metrics: false,
    };
    assert!(tests.holds(second));
}
