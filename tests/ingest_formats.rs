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
                None => t.name.to_string(),
            }
        })
        .collect();
    assert_eq!(top.len(), 7, "{top:?}");
    let failing_top: std::collections::BTreeSet<&str> = s
        .tests
        .iter()
        .filter(|t| t.status.is_failure())
        .map(|t| &*t.id)
        .collect();
    assert_eq!(
        failing_top.into_iter().collect::<Vec<_>>(),
        ["calc > parsing::rounding", "calc::multiplication"]
    );
    assert_eq!(
        counts(&s),
        BTreeMap::from([("failed", 2), ("passed", 6), ("skipped", 2)])
    );
    let mult = s
        .tests
        .iter()
        .find(|t| &*t.name == "multiplication")
        .unwrap();
    assert_eq!(mult.attempts[0].message(), Some("got: '6'; expected: '7'"));
    assert_eq!((mult.file.as_deref(), mult.line), (Some("calc.t"), Some(8)));
    // The TODO point failed as expected: not a failure.
    let todo = s
        .tests
        .iter()
        .find(|t| &*t.name == "dotted capital I")
        .unwrap();
    assert_eq!(todo.status, Status::Skipped);
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    insta::assert_json_snapshot!("tap-calc", pinned(&s));
    common::round_trips(&s);
}

#[test]
fn tap_that_ends_before_its_plan_reports_the_missing_tests() {
    // prove: short.t Tests: 2 Failed: 0; "Bad plan. You planned 5 tests but ran 2."
    let s = read("tap/short.tap");
    assert_eq!(counts(&s), BTreeMap::from([("errored", 3), ("passed", 2)]));
    let missing = s.tests.iter().find(|t| &*t.name == "test 3").unwrap();
    let a = &missing.attempts[0];
    assert_eq!(
        a.message(),
        Some("planned 5 tests but the stream ended after 2")
    );
    assert!(
        a.trace().unwrap_or("").contains("database went away"),
        "{a:?}"
    );
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("3 missing test(s) counted as errors")),
        "{:?}",
        s.warnings
    );
    common::round_trips(&s);
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
    let divides = s.tests.iter().find(|t| &*t.name == "divides").unwrap();
    assert_eq!(&*divides.id, "node > arithmetic::divides");
    let a = &divides.attempts[0];
    assert_eq!(a.kind(), Some("AssertionError"));
    assert!(a.message().unwrap().contains("3.5 !== 3"), "{a:?}");
    assert!(a.trace().unwrap().contains("math.test.mjs:7:34"));
    assert_eq!(divides.line, Some(7));
    assert!((a.duration_s.unwrap() - 0.001480128).abs() < 1e-12);
    let todo = s
        .tests
        .iter()
        .find(|t| &*t.name == "todo: big numbers")
        .unwrap();
    assert_eq!(todo.status, Status::Skipped);
    insta::assert_json_snapshot!("tap-node", pinned(&s));
    common::round_trips(&s);
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
        .map(|t| (&*t.id, t.status.as_str()))
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
            .message()
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
        s.tests.iter().map(|t| (&*t.id, t)).collect();
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
            .message()
            .unwrap()
            .contains("broken_test.go:6:14: cannot use")
    );
    let hangs = by_id["example.com/calc/slow::TestHangs"];
    assert_eq!(hangs.status, Status::Errored);
    assert!(
        hangs.attempts[0]
            .message()
            .unwrap()
            .contains("panic: test timed out after 2s")
    );
    // The cached package's test is read, tagged and counted in a warning.
    assert_eq!(
        *by_id["example.com/calc/good::TestGreeting"].tags,
        ["cached"]
    );
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("1 test(s) in 1 package(s) are cached"))
    );
    let mult = by_id["example.com/calc/calc::TestMultiply"];
    assert_eq!(mult.attempts[0].message(), Some("got 6, want 7"));
    assert_eq!(
        (mult.file.as_deref(), mult.line),
        (Some("calc_test.go"), Some(16))
    );
    assert_eq!(
        counts(&s),
        BTreeMap::from([("errored", 2), ("failed", 3), ("passed", 5), ("skipped", 1)])
    );
    insta::assert_json_snapshot!("go-test-json", pinned(&s));
    common::round_trips(&s);
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

/// The counts a producer printed, from the summary file beside a fixture: every
/// `<number> <word>` (or `<word>: <number>`) pair of the given lines, summed by word.
fn console_counts(rel: &str, line_filter: &str) -> BTreeMap<String, u64> {
    let text = std::fs::read_to_string(fixture(rel)).unwrap();
    let re = regex::Regex::new(r"(\d+) ([a-z]+)").unwrap();
    let mut m = BTreeMap::new();
    for line in text.lines().filter(|l| l.contains(line_filter)) {
        for c in re.captures_iter(line) {
            *m.entry(c[2].to_string()).or_default() += c[1].parse::<u64>().unwrap();
        }
    }
    assert!(
        !m.is_empty(),
        "{rel}: no counts in lines with `{line_filter}`"
    );
    m
}

fn attempts(s: &Snapshot) -> usize {
    s.tests.iter().map(|t| t.attempts.len()).sum()
}

fn get<'a>(s: &'a Snapshot, id: &str) -> &'a regdiff::model::TestResult {
    s.tests.iter().find(|t| &*t.id == id).unwrap_or_else(|| {
        panic!(
            "no test `{id}` in {:?}",
            s.tests.iter().map(|t| &t.id).collect::<Vec<_>>()
        )
    })
}

/// pytest's console counts a test whose body passed and whose teardown failed twice (passed
/// and error), an xfail apart from skips and an xpass apart from passes. regdiff has one
/// status per test: the teardown error is errored, xfailed skipped, xpassed passed.
fn pytest_console_as_statuses(
    c: &BTreeMap<String, u64>,
    teardown_errors: u64,
) -> BTreeMap<&'static str, usize> {
    let n = |k: &str| c.get(k).copied().unwrap_or(0);
    BTreeMap::from([
        ("errored", n("errors") as usize),
        ("failed", n("failed") as usize),
        (
            "passed",
            (n("passed") + n("xpassed") - teardown_errors) as usize,
        ),
        ("skipped", (n("skipped") + n("xfailed")) as usize),
    ])
}

#[test]
fn pytest_json_report_matches_pytest_and_tells_setup_errors_from_failures() {
    // summary.txt: `= 5 failed, 8 passed, 3 skipped, 1 xfailed, 1 xpassed, 2 errors, 3 rerun`
    let s = read("pytest-json/report.json");
    let console = console_counts("pytest-json/summary.txt", "passed");
    assert_eq!(counts(&s), pytest_console_as_statuses(&console, 1));
    let setup = get(&s, "test_sample.py::test_setup_error");
    assert_eq!(
        (setup.status, setup.attempts[0].kind()),
        (Status::Errored, Some("setup"))
    );
    let teardown = get(&s, "test_sample.py::test_teardown_error");
    assert_eq!(teardown.status, Status::Errored);
    assert!(
        teardown.attempts[0]
            .message()
            .unwrap()
            .contains("the test body passed; teardown failed")
    );
    let body = get(&s, "test_sample.py::test_assert_failure");
    assert_eq!(
        (body.status, body.attempts[0].kind()),
        (Status::Failed, None)
    );
    assert!(
        body.attempts[0]
            .message()
            .unwrap()
            .starts_with("AssertionError")
    );
    // Parameters may hold `::`; the class name stops before them.
    let param = get(&s, "test_sample.py::test_param[quote\"and::colons]");
    assert_eq!(param.classname.as_deref(), Some("test_sample.py"));
    // A rerun that passed: one failed attempt before the passing one. The 2 reruns of the
    // test that never passed leave no trace in this format (pytest printed `3 rerun`).
    let flaky = get(&s, "test_sample.py::test_flaky_passes_on_second_try");
    let seq: Vec<Status> = flaky.attempts.iter().map(|a| a.status).collect();
    assert_eq!(seq, [Status::Failed, Status::Passed]);
    assert_eq!(attempts(&s), 20);
    insta::assert_json_snapshot!("pytest-json", pinned(&s));
    common::round_trips(&s);
    // Without rerunfailures: `= 6 failed, 7 passed, 3 skipped, 1 xfailed, 1 xpassed, 2 errors`.
    let s = read("pytest-json/report-noreruns.json");
    let console = console_counts("pytest-json/summary-noreruns.txt", "passed");
    assert_eq!(counts(&s), pytest_console_as_statuses(&console, 1));
    assert_eq!(attempts(&s), s.tests.len());
}

#[test]
fn libtest_json_matches_cargo_test() {
    // summary.txt: one `test result:` line per binary (lib, tests/it.rs, doctests).
    let s = read("libtest/libtest.json");
    let c = console_counts("libtest/summary.txt", "test result");
    assert_eq!(
        counts(&s),
        BTreeMap::from([
            ("failed", c["failed"] as usize),
            ("passed", c["passed"] as usize),
            ("skipped", c["ignored"] as usize),
        ])
    );
    assert_eq!(s.tests.len(), 17);
    let eq = get(&s, "tests::fails_assert_eq");
    assert_eq!(
        eq.attempts[0].message(),
        Some(
            "assertion `left == right` failed: one plus one should be three?\n  left: 2\n right: 3"
        )
    );
    assert_eq!(
        get(&s, "tests::should_panic_but_does_not").attempts[0].message(),
        Some("test did not panic as expected at src/lib.rs:65:8")
    );
    assert_eq!(get(&s, "it_passes").suite.as_deref(), Some("binary 2"));
    assert_eq!(
        get(&s, "src/lib.rs - add (line 5)").suite.as_deref(),
        Some("binary 3")
    );
    insta::assert_json_snapshot!("libtest-json", pinned(&s));
    common::round_trips(&s);
}

#[test]
fn nextest_libtest_json_matches_nextest_with_retries() {
    // `Summary [...] 11 tests run: 6 passed (1 flaky), 5 failed, 3 skipped`, then one
    // `FLAKY 2/3` and five `TRY 3 FAIL` lines.
    for (file, summary) in [
        (
            "libtest/nextest-libtest-json-plus.json",
            "libtest/nextest-summary.txt",
        ),
        (
            "libtest/nextest-libtest-json.json",
            "libtest/nextest-summary-libtest-json.txt",
        ),
    ] {
        let s = read(file);
        let c = console_counts(summary, "Summary");
        assert_eq!(
            counts(&s),
            BTreeMap::from([
                ("failed", c["failed"] as usize),
                ("passed", c["passed"] as usize),
                ("skipped", c["skipped"] as usize),
            ]),
            "{file}"
        );
        assert_eq!(s.tests.len() as u64, c["tests"] + c["skipped"], "{file}");
        let flaky = get(&s, "sample::sample::tests::flaky_counter");
        let seq: Vec<Status> = flaky.attempts.iter().map(|a| a.status).collect();
        assert_eq!(seq, [Status::Failed, Status::Passed], "{file}");
        let tries_3 = s.tests.iter().filter(|t| t.attempts.len() == 3).count();
        assert_eq!(tries_3, 5, "{file}: five `TRY 3 FAIL` lines");
        assert_eq!(get(&s, "sample::it::it_fails").status, Status::Failed);
    }
    let s = read("libtest/nextest-libtest-json-plus.json");
    insta::assert_json_snapshot!("nextest-libtest-json", pinned(&s));
    common::round_trips(&s);
}

#[test]
fn libtest_json_keeps_a_test_that_never_ended() {
    let dir = tempfile::tempdir().unwrap();
    // A binary that aborted mid-run: `tests::b` started and no result followed.
    let p = common::write(
        dir.path(),
        "abort.json",
        concat!(
            "{ \"type\": \"suite\", \"event\": \"started\", \"test_count\": 2 }\n",
            "{ \"type\": \"test\", \"event\": \"started\", \"name\": \"tests::a\" }\n",
            "{ \"type\": \"test\", \"event\": \"started\", \"name\": \"tests::b\" }\n",
            "{ \"type\": \"test\", \"name\": \"tests::a\", \"event\": \"ok\", \"exec_time\": 0.1 }\n",
            "error: test failed, to rerun pass `--lib`\n",
            "{ \"type\": \"suite\", \"event\": \"started\", \"test_count\": 1 }\n",
            "{ \"type\": \"test\", \"event\": \"started\", \"name\": \"c\" }\n",
            "{ \"type\": \"test\", \"name\": \"c\", \"event\": \"ok\", \"exec_time\": 0.1 }\n",
            "{ \"type\": \"suite\", \"event\": \"ok\", \"passed\": 1, \"failed\": 0, \"ignored\": 0, \"measured\": 0, \"filtered_out\": 0 }\n",
        ),
    );
    let s = read_path(&p, ReadOptions::default()).unwrap().remove(0);
    let b = get(&s, "tests::b");
    assert_eq!(b.status, Status::Errored);
    assert!(
        b.attempts[0]
            .message()
            .unwrap()
            .contains("abort.json:3 but no result followed")
    );
    assert_eq!(get(&s, "c").status, Status::Passed);
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("1 line(s) that are not JSON events skipped"))
    );
}

#[test]
fn ctrf_from_jest_pytest_and_playwright_match_their_consoles() {
    // jest: `Tests: 4 failed, 2 skipped, 1 todo, 6 passed, 13 total`; a todo is skipped.
    let s = read("ctrf/ctrf-report.json");
    let c = console_counts("ctrf/summary.txt", "Tests:");
    assert_eq!(
        counts(&s),
        BTreeMap::from([
            ("failed", c["failed"] as usize),
            ("passed", c["passed"] as usize),
            ("skipped", (c["skipped"] + c["todo"]) as usize),
        ])
    );
    assert_eq!(s.tests.len() as u64, c["total"]);
    // jest counts retries only: the earlier attempts are failed ones.
    let flaky = get(
        &s,
        "retry.test.js::flaky: fails first, passes on 2nd attempt",
    );
    assert_eq!(flaky.attempts.len(), 2);
    assert_eq!(
        get(&s, "retry.test.js::fails on every attempt")
            .attempts
            .len(),
        3
    );
    assert_eq!(
        s.properties
            .get("environment/branchName")
            .map(String::as_str),
        Some("main")
    );
    insta::assert_json_snapshot!("ctrf-jest", pinned(&s));
    common::round_trips(&s);

    // pytest-json-ctrf: the same pytest run as pytest-json/; fixture failures are errors.
    let s = read("ctrf/pytest-ctrf-report.json");
    let console = console_counts("ctrf/pytest-ctrf-summary.txt", "passed");
    assert_eq!(counts(&s), pytest_console_as_statuses(&console, 1));
    let always = get(&s, "test_sample.py::test_always_fails_all_reruns");
    let seq: Vec<Status> = always.attempts.iter().map(|a| a.status).collect();
    assert_eq!(seq, [Status::Failed; 3]);
    assert_eq!(always.attempts[0].duration_s, Some(0.003));
    assert_eq!(
        get(&s, "test_sample.py::test_setup_error").status,
        Status::Errored
    );
    insta::assert_json_snapshot!("ctrf-pytest", pinned(&s));
    common::round_trips(&s);

    // Playwright: `2 failed`, `1 flaky`, `3 skipped`, `3 passed`. test.fail() that passed
    // is a failure; the per-test CTRF status alone would say passed.
    let s = read("ctrf/playwright-ctrf-report.json");
    let c = console_counts("ctrf/playwright-summary.txt", "");
    assert_eq!(
        counts(&s),
        BTreeMap::from([
            ("failed", c["failed"] as usize),
            ("passed", (c["passed"] + c["flaky"]) as usize),
            ("skipped", c["skipped"] as usize),
        ])
    );
    let unexpected = get(
        &s,
        "sample.spec.js::expected to fail (test.fail) but passes",
    );
    assert_eq!(unexpected.status, Status::Failed);
    insta::assert_json_snapshot!("ctrf-playwright", pinned(&s));
    common::round_trips(&s);
}

#[test]
fn a_counting_builder_counts_without_keeping() {
    // pytest-xunit2.xml: 11 passed, 5 failed, 2 errored, 3 skipped (pytest's summary).
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ingest/junit/pytest-xunit2.xml");
    let mut b = regdiff::ingest::RunBuilder::counting();
    regdiff::ingest::add_file(&path, regdiff::ingest::Format::Junit, &mut b).unwrap();
    assert_eq!(
        b.counted,
        BTreeMap::from([
            (Status::Passed, 11),
            (Status::Failed, 5),
            (Status::Errored, 2),
            (Status::Skipped, 3)
        ])
    );
    assert!(b.finish().tests.is_empty());
}

#[test]
fn ctrf_and_nextest_edge_cases_from_review() {
    let dir = tempfile::tempdir().unwrap();
    // A test listed twice (jest `test.each` without `%s`): two tests, not a flaky one.
    let p = common::write(
        dir.path(),
        "dup.json",
        r#"{"results": {"tool": {"name": "jest"}, "summary": {"tests": 2}, "tests": [
            {"name": "adds", "suite": "sum.test.js", "status": "failed", "duration": 3},
            {"name": "adds", "suite": "sum.test.js", "status": "passed", "duration": -1}
        ]}}"#,
    );
    let s = read_path(&p, ReadOptions::default()).unwrap().remove(0);
    assert_eq!(get(&s, "sum.test.js::adds").status, Status::Failed);
    assert_eq!(get(&s, "sum.test.js::adds#2").status, Status::Passed);
    assert_eq!(get(&s, "sum.test.js::adds#2").duration_s, None);
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("kept apart as `name#N`"))
    );
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("1 duration(s) that are not"))
    );
    // A retry count from the file makes at most 100 attempts.
    let p = common::write(
        dir.path(),
        "many.json",
        r#"{"results": {"tool": {"name": "x"}, "summary": {}, "tests": [
            {"name": "t", "status": "failed", "retries": 4000000000}
        ]}}"#,
    );
    let s = read_path(&p, ReadOptions::default()).unwrap().remove(0);
    assert_eq!(s.tests[0].attempts.len(), 101);
    assert!(
        s.tests[0].attempts[0]
            .message()
            .unwrap()
            .contains("4000000000 retries")
    );
    // Likewise nextest's `name#N`.
    let p = common::write(
        dir.path(),
        "nextest.json",
        "{\"type\":\"test\",\"event\":\"started\",\"name\":\"a::b$t\"}\n{\"type\":\"test\",\"event\":\"failed\",\"name\":\"a::b$t#4000000000\",\"exec_time\":-2}\n",
    );
    let s = read_path(&p, ReadOptions::default()).unwrap().remove(0);
    assert_eq!(s.tests.len(), 1);
    assert_eq!(s.tests[0].attempts.len(), 100);
    assert_eq!(s.tests[0].duration_s, None);
    common::round_trips(&s);
}

#[test]
fn gtest_json_matches_its_console_and_its_xml() {
    // Console: 13 tests ran: 8 passed, 1 skipped, 4 failed; "YOU HAVE 1 DISABLED TEST".
    // regdiff reads the disabled test as skipped, as gtest's XML does.
    let s = read("gtest-json/gtest.json");
    assert_eq!(
        counts(&s),
        BTreeMap::from([("failed", 4), ("passed", 8), ("skipped", 2)])
    );
    let console = std::fs::read_to_string(fixture("gtest-json/console.txt")).unwrap();
    for id in [
        "Arith.WrongSum",
        "Arith.TwoFailures",
        "Strings.AssertNotEmptyFails",
        "Small/IsEven.Check/2",
    ] {
        assert!(console.contains(&format!("[  FAILED  ] {id}")), "{id}");
        let (class, name) = id.split_once('.').unwrap();
        assert_eq!(
            get(&s, &format!("{class}::{name}")).status,
            Status::Failed,
            "{id}"
        );
    }
    // Both failed assertions of one test are in its message.
    let two = get(&s, "Arith::TwoFailures");
    let m = two.attempts[0].message().unwrap();
    assert!(
        m.contains("first failure") && m.contains("second failure"),
        "{m}"
    );
    assert_eq!(
        (two.file.as_deref(), two.line),
        (Some("sample_test.cc"), Some(25))
    );
    let disabled = get(&s, "Arith::DISABLED_NotReadyYet");
    assert_eq!(disabled.status, Status::Skipped);
    assert!(disabled.attempts[0].message().unwrap().contains("disabled"));
    assert_eq!(get(&s, "Arith::SkippedOnPurpose").status, Status::Skipped);
    let p = get(&s, "Small/IsEven::Check/2");
    assert_eq!(
        p.properties.get("value_param").map(String::as_str),
        Some("7")
    );
    assert_eq!(get(&s, "Arith::AddsNegative").duration_s, Some(0.012));
    assert_eq!(s.run.time.as_deref(), Some("2026-12-02T15:17:54Z"));
    // The XML of the same run gives the same tests with the same outcomes.
    let x = read("gtest-json/gtest.xml");
    let outcomes = |s: &Snapshot| -> BTreeMap<String, Status> {
        s.tests
            .iter()
            .map(|t| (t.id.to_string(), t.status))
            .collect()
    };
    assert_eq!(outcomes(&s), outcomes(&x));
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    common::round_trips(&s);
}

#[test]
fn cargo_test_text_matches_its_summary_lines_and_the_nextest_junit_of_the_same_run() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/env_faults/rust");
    for run in ["erofs/base", "erofs/head", "diskfull/head"] {
        let txt = base.join(run).join("run-1.txt");
        let s = read_path(&txt, ReadOptions::default()).unwrap().remove(0);
        // Each binary's `test result:` line, summed.
        let text = std::fs::read_to_string(&txt).unwrap();
        let mut declared = [0usize; 3];
        for l in text.lines().filter(|l| l.starts_with("test result: ")) {
            for (i, word) in ["passed", "failed", "ignored"].iter().enumerate() {
                let n = l
                    .split(';')
                    .find(|p| p.trim_end().ends_with(word))
                    .and_then(|p| p.split_whitespace().rev().nth(1))
                    .and_then(|n| n.parse::<usize>().ok())
                    .unwrap();
                declared[i] += n;
            }
        }
        let c = counts(&s);
        let got = [
            c.get("passed").copied().unwrap_or(0),
            c.get("failed").copied().unwrap_or(0),
            c.get("skipped").copied().unwrap_or(0),
        ];
        assert_eq!(got, declared, "{run}");
        // The nextest JUnit of the same run: the same tests, by name, with the same outcomes.
        let junit = read_path(&base.join(run).join("run-1.xml"), ReadOptions::default())
            .unwrap()
            .remove(0);
        let by_name = |s: &Snapshot| -> BTreeMap<String, Status> {
            s.tests
                .iter()
                .map(|t| (t.name.to_string(), t.status))
                .collect()
        };
        assert_eq!(by_name(&s), by_name(&junit), "{run}");
        assert!(
            s.tests.iter().all(|t| t.id == t.name),
            "ids are the test names"
        );
        common::round_trips(&s);
    }
    // A failure keeps its panic message and its block; the doc-test harness that could not
    // start on a read-only TMPDIR is a warning with its line, not a test.
    let s = read_path(&base.join("erofs/head/run-1.txt"), ReadOptions::default())
        .unwrap()
        .remove(0);
    let t = s
        .tests
        .iter()
        .find(|t| &*t.name == "append_and_read_back")
        .unwrap();
    assert_eq!(t.suite.as_deref(), Some("roll"));
    let a = &t.attempts[0];
    assert!(a.message().unwrap().contains("ReadOnlyFilesystem"), "{a:?}");
    assert!(
        a.trace()
            .unwrap()
            .starts_with("thread 'append_and_read_back'"),
        "{a:?}"
    );
    let lib = s
        .tests
        .iter()
        .find(|t| &*t.name == "kv::tests::scratch_store_roundtrip")
        .unwrap();
    assert_eq!(lib.suite.as_deref(), Some("rollstore"));
    assert!(
        s.warnings.iter().any(|w| w.contains("run-1.txt:199: cargo reported an error outside any test: error: failed to create temporary directory")),
        "{:?}",
        s.warnings
    );
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
}

#[test]
fn cargo_test_text_of_a_crashed_binary_keeps_its_started_test() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::write(
        dir.path(),
        "crash.txt",
        "     Running tests/a.rs (target/debug/deps/a-0123456789abcdef)\n\nrunning 3 tests\ntest first ... ok\ntest second ... \nerror: test failed, to rerun pass `--test a`\n\nCaused by:\n  process didn't exit successfully: `/x/target/debug/deps/a-0123456789abcdef` (signal: 11, SIGSEGV: invalid memory reference)\n",
    );
    let s = read_path(&out, ReadOptions::default()).unwrap().remove(0);
    assert_eq!(get(&s, "first").status, Status::Passed);
    let second = get(&s, "second");
    assert_eq!(second.status, Status::Errored);
    assert!(
        second.attempts[0].message().unwrap().contains("SIGSEGV"),
        "{second:?}"
    );
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("announced 3 tests but reported 2")),
        "{:?}",
        s.warnings
    );
}

#[test]
fn jest_junit_todo_cases_are_counted_as_jest_counts_them_where_the_file_tells() {
    // jest: `Tests: 1 failed, 1 skipped, 1 todo, 4 passed, 7 total`: the one empty zero-time
    // case the suite's count leaves out is the todo.
    let s = read("junit/jest-junit.xml");
    assert_eq!(
        get(&s, "Calculator divide handles BigInt").status,
        Status::Skipped
    );
    assert_eq!(
        counts(&s),
        BTreeMap::from([("failed", 1), ("passed", 4), ("skipped", 2)])
    );
    // jest: `Tests: 1 failed, 2 skipped, 3 todo, 4 passed, 10 total`. Here six empty cases
    // have time 0 and the file does not say which three are todo: they stay passes, and the
    // warning says so with jest's count.
    let s = read("jest-junit-todo/jest-junit.xml");
    let c = console_counts("jest-junit-todo/console.txt", "Tests:");
    assert_eq!(s.tests.len() as u64, c["total"]);
    assert_eq!(counts(&s)["failed"] as u64, c["failed"]);
    assert_eq!(counts(&s)["skipped"] as u64, c["skipped"]);
    assert_eq!(counts(&s)["passed"] as u64, c["passed"] + c["todo"]);
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("cannot be told from passes") && w.contains("counts 3 as todo")),
        "{:?}",
        s.warnings
    );
}

#[test]
fn perl_tap_with_todo_skip_and_subtests_matches_prove() {
    // prove: `Tests: 10 Failed: 2`, `Failed tests: 2, 8`, `TODO passed: 4`, 3 skipped.
    for file in ["tap/todo.tap", "tap/todo.stdout.tap"] {
        let s = read(file);
        let top = |t: &regdiff::model::TestResult| -> String {
            match t.classname.as_deref().and_then(|c| c.split_once(" > ")) {
                Some((_, group)) => group.split(" > ").next().unwrap().to_string(),
                None => t.name.to_string(),
            }
        };
        let points: std::collections::BTreeSet<String> = s.tests.iter().map(top).collect();
        assert_eq!(points.len(), 10, "{file}: {points:?}");
        let failing: std::collections::BTreeSet<String> = s
            .tests
            .iter()
            .filter(|t| t.status.is_failure())
            .map(top)
            .collect();
        assert_eq!(failing.len(), 2, "{file}: {failing:?}");
        assert!(
            failing.iter().any(|f| f.contains("arithmetic is wrong")),
            "{failing:?}"
        );
        assert!(
            failing.iter().any(|f| f.contains("nested group")),
            "{failing:?}"
        );
        // TODO points (3, 4, 7) are neither failures nor passes; skips (5, 6, 9) are skipped.
        let skipped = s
            .tests
            .iter()
            .filter(|t| t.status == Status::Skipped)
            .count();
        assert_eq!(skipped, 6, "{file}: 3 skipped + 3 TODO");
        let todo_passed = s
            .tests
            .iter()
            .find(|t| t.name.contains("todo passes unexpectedly"))
            .unwrap();
        assert!(
            todo_passed.attempts[0]
                .message()
                .unwrap()
                .contains("passed"),
            "{todo_passed:?}"
        );
        common::round_trips(&s);
    }
}
