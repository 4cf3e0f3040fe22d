//! Test-result formats other than JUnit, each read from real output of its producer (see the
//! README beside each fixture under tests/fixtures/ingest/) and checked against the counts the
//! producer printed for the same run. The normalised snapshot of each fixture is pinned with
//! insta and round-trips through the store.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regdiff::ingest::{ReadOptions, read_path};
use regdiff::model::{Snapshot, Status};

mod common;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ingest")
        .join(rel)
}

fn read(rel: &str) -> Snapshot {
    let mut v =
        read_path(&fixture(rel), ReadOptions::default()).unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert_eq!(v.len(), 1, "{rel} is one run");
    v.remove(0)
}

fn counts(s: &Snapshot) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for t in &s.tests {
        *m.entry(t.status.as_str()).or_default() += 1;
    }
    m
}

/// The snapshot as `show --format json` prints it, with file paths made relative so the pin
/// does not depend on where the repository is checked out.
fn pinned(s: &Snapshot) -> serde_json::Value {
    let root = format!("{}/", env!("CARGO_MANIFEST_DIR"));
    let text = serde_json::to_string(s).unwrap().replace(&root, "");
    serde_json::from_str(&text).unwrap()
}

/// Writes the snapshot into a store and reads it back: nothing is lost on the way.
fn round_trips(s: &Snapshot) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snap.json");
    std::fs::write(&path, serde_json::to_vec(s).unwrap()).unwrap();
    let back = read_path(&path, ReadOptions::default()).unwrap().remove(0);
    assert_eq!(
        serde_json::to_value(&back).unwrap(),
        serde_json::to_value(s).unwrap()
    );
}

#[test]
fn tap_from_test_more_matches_prove() {
    // prove: calc.t Tests: 7 Failed: 2, failed tests 2 and 4 (4 is a subtest group with one
    // failing subtest). regdiff's tests are the leaf points: 10 of them under 7 top-level points.
    let s = read("tap/calc.tap");
    let top: std::collections::BTreeSet<String> = s
        .tests
        .iter()
        .map(|t| {
            let class = t.classname.as_deref().unwrap_or("");
            match class.split_once(" > ") {
                Some((_, group)) => group.split(" > ").next().unwrap().to_string(),
                None => t.name.clone(),
            }
        })
        .collect();
    assert_eq!(top.len(), 7, "{top:?}");
    let failing_top: std::collections::BTreeSet<&str> = s
        .tests
        .iter()
        .filter(|t| t.status.is_failure())
        .map(|t| t.id.as_str())
        .collect();
    assert_eq!(
        failing_top.into_iter().collect::<Vec<_>>(),
        ["calc > parsing::rounding", "calc::multiplication"]
    );
    assert_eq!(
        counts(&s),
        BTreeMap::from([("failed", 2), ("passed", 6), ("skipped", 2)])
    );
    let mult = s.tests.iter().find(|t| t.name == "multiplication").unwrap();
    assert_eq!(
        mult.attempts[0].message.as_deref(),
        Some("got: '6'; expected: '7'")
    );
    assert_eq!((mult.file.as_deref(), mult.line), (Some("calc.t"), Some(8)));
    // The TODO point failed as expected: not a failure.
    let todo = s
        .tests
        .iter()
        .find(|t| t.name == "dotted capital I")
        .unwrap();
    assert_eq!(todo.status, Status::Skipped);
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    insta::assert_json_snapshot!("tap-calc", pinned(&s));
    round_trips(&s);
}

#[test]
fn tap_that_ends_before_its_plan_reports_the_missing_tests() {
    // prove: short.t Tests: 2 Failed: 0; "Bad plan. You planned 5 tests but ran 2."
    let s = read("tap/short.tap");
    assert_eq!(counts(&s), BTreeMap::from([("errored", 3), ("passed", 2)]));
    let missing = s.tests.iter().find(|t| t.name == "test 3").unwrap();
    let a = &missing.attempts[0];
    assert_eq!(
        a.message.as_deref(),
        Some("planned 5 tests but the stream ended after 2")
    );
    assert!(
        a.trace
            .as_deref()
            .unwrap_or("")
            .contains("database went away"),
        "{a:?}"
    );
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("3 missing test(s) counted as errors")),
        "{:?}",
        s.warnings
    );
    round_trips(&s);
}

#[test]
fn tap_13_from_node_matches_its_footer() {
    // The stream's footer: tests 6, pass 2, fail 2, skipped 1, todo 1 (suites are not tests).
    let s = read("tap/node.tap");
    assert_eq!(s.tests.len(), 6);
    assert_eq!(
        counts(&s),
        BTreeMap::from([("failed", 2), ("passed", 2), ("skipped", 2)])
    );
    let divides = s.tests.iter().find(|t| t.name == "divides").unwrap();
    assert_eq!(divides.id, "node > arithmetic::divides");
    let a = &divides.attempts[0];
    assert_eq!(a.kind.as_deref(), Some("AssertionError"));
    assert!(a.message.as_deref().unwrap().contains("3.5 !== 3"), "{a:?}");
    assert!(a.trace.as_deref().unwrap().contains("math.test.mjs:7:34"));
    assert_eq!(divides.line, Some(7));
    assert!((a.duration_s.unwrap() - 0.001480128).abs() < 1e-12);
    let todo = s
        .tests
        .iter()
        .find(|t| t.name == "todo: big numbers")
        .unwrap();
    assert_eq!(todo.status, Status::Skipped);
    insta::assert_json_snapshot!("tap-node", pinned(&s));
    round_trips(&s);
}

#[test]
fn tap_edge_cases() {
    let dir = tempfile::tempdir().unwrap();
    // A group that fails although its subtests pass (its plan was not met) keeps its failure;
    // a description repeated in one group is qualified by its number; Bail out! turns the
    // rest of the plan into errors.
    let text = "TAP version 14\n1..4\n# Subtest: group\n    1..3\n    ok 1 - a\n    ok 2 - b\nnot ok 1 - group\nok 2 - same\nok 3 - same\nBail out! database down\nok 4 - never read\n";
    let p = common::write(dir.path(), "edge.tap", text);
    let s = read_path(&p, ReadOptions::default()).unwrap().remove(0);
    let ids: Vec<(&str, &str)> = s
        .tests
        .iter()
        .map(|t| (t.id.as_str(), t.status.as_str()))
        .collect();
    assert_eq!(
        ids,
        [
            ("edge > group::a", "passed"),
            ("edge > group::b", "passed"),
            ("edge > group::test 3", "errored"),
            ("edge::same", "passed"),
            ("edge::same (#3)", "passed"),
            ("edge::test 4", "errored"),
        ]
    );
    let last = s.tests.last().unwrap();
    assert!(
        last.attempts[0]
            .message
            .as_deref()
            .unwrap()
            .contains("bailed out after 3: Bail out! database down"),
        "{:?}",
        last.attempts[0]
    );

    // Not TAP at all, and an empty file: errors naming the file.
    let p = common::write(dir.path(), "notes.txt", "# just a comment\nhello\n");
    let e = read_path(&p, ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("notes.txt") && e.contains("TAP"), "{e}");
    let p = common::write(dir.path(), "empty.tap", "");
    let e = read_path(&p, ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("empty.tap") && e.contains("empty"), "{e}");
}

#[test]
fn go_test_json_matches_go_and_keeps_what_has_no_end_event() {
    // Go's summary: broken [build failed]; TestMultiply and TestTable (TestTable/two) fail;
    // good is (cached); TestHangs panics with a timeout and has no end event.
    let s = read("gotest/run.json");
    let by_id: BTreeMap<&str, &regdiff::model::TestResult> =
        s.tests.iter().map(|t| (t.id.as_str(), t)).collect();
    let status = |id: &str| by_id.get(id).map(|t| t.status.as_str());
    assert_eq!(
        status("example.com/calc/calc::TestMultiply"),
        Some("failed")
    );
    assert_eq!(status("example.com/calc/calc::TestTable"), Some("failed"));
    assert_eq!(
        status("example.com/calc/calc::TestTable/two"),
        Some("failed")
    );
    assert_eq!(
        status("example.com/calc/calc::TestTable/one"),
        Some("passed")
    );
    assert_eq!(
        status("example.com/calc/calc::TestNeedsNetwork"),
        Some("skipped")
    );
    // The build failure and the timeout surface as errors, not as nothing.
    let build = by_id["example.com/calc/broken::[build]"];
    assert_eq!(build.status, Status::Errored);
    assert!(
        build.attempts[0]
            .message
            .as_deref()
            .unwrap()
            .contains("broken_test.go:6:14: cannot use")
    );
    let hangs = by_id["example.com/calc/slow::TestHangs"];
    assert_eq!(hangs.status, Status::Errored);
    assert!(
        hangs.attempts[0]
            .message
            .as_deref()
            .unwrap()
            .contains("panic: test timed out after 2s")
    );
    // The cached package's test is read, tagged and counted in a warning.
    assert_eq!(
        by_id["example.com/calc/good::TestGreeting"].tags,
        ["cached"]
    );
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("1 test(s) in 1 package(s) are cached"))
    );
    let mult = by_id["example.com/calc/calc::TestMultiply"];
    assert_eq!(mult.attempts[0].message.as_deref(), Some("got 6, want 7"));
    assert_eq!(
        (mult.file.as_deref(), mult.line),
        (Some("calc_test.go"), Some(16))
    );
    assert_eq!(
        counts(&s),
        BTreeMap::from([("errored", 2), ("failed", 3), ("passed", 5), ("skipped", 1)])
    );
    insta::assert_json_snapshot!("go-test-json", pinned(&s));
    round_trips(&s);
}

#[test]
fn go_test_json_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    // A broken event line is an error naming the line.
    let p = common::write(
        dir.path(),
        "cut.json",
        "{\"Action\":\"run\",\"Package\":\"p\",\"Test\":\"TestA\"}\n{\"Action\":\"pass\",\"Pack",
    );
    let e = read_path(&p, ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("cut.json") && e.contains(":2:"), "{e}");
    // A stream cut off between events: the running test is an error, with a warning.
    let p = common::write(
        dir.path(),
        "short.json",
        "{\"Action\":\"run\",\"Package\":\"p\",\"Test\":\"TestA\"}\n",
    );
    let s = read_path(&p, ReadOptions::default()).unwrap().remove(0);
    assert_eq!(s.tests[0].status, Status::Errored);
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("stream ended before package `p`"))
    );
}
