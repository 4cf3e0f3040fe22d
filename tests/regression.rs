//! Regression tests for the paths a review found by which a real regression could be excused
//! (called environmental or unchanged) or input could be misread. Each test is named after the
//! finding it reproduces.

use std::path::Path;

use serde_json::Value;
use tempfile::TempDir;

mod common;
use common::{item, regdiff, write};

/// A JUnit report; `cases` are raw `<testcase>` elements.
fn report(cases: &[String]) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<testsuites><testsuite name=\"s\">\n{}\n</testsuite></testsuites>\n",
        cases.join("\n")
    )
}

fn pass(class: &str, name: &str) -> String {
    format!("<testcase classname=\"{class}\" name=\"{name}\" time=\"0.1\"/>")
}

fn fail(class: &str, name: &str, msg: &str, body: &str) -> String {
    format!(
        "<testcase classname=\"{class}\" name=\"{name}\" time=\"0.1\"><failure message=\"{msg}\">{body}</failure></testcase>"
    )
}

/// Runs compare with JSON output; returns (exit code, report).
fn compare(dir: &Path, args: &[&str]) -> (i32, Value) {
    let out = regdiff(dir)
        .args(["compare", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), report)
}

fn verdict(r: &Value, id: &str) -> String {
    item(r, id)["verdict"].as_str().unwrap().to_string()
}

#[test]
fn review_1_mixed_results_respect_the_changed_files_veto_and_name_their_runs() {
    let d = TempDir::new().unwrap();
    let b = write(
        d.path(),
        "b.xml",
        &report(&[pass("tests.test_pay", "test_charge")]),
    );
    let h1 = write(
        d.path(),
        "h1.xml",
        &report(&[pass("tests.test_pay", "test_charge")]),
    );
    let h2 = write(
        d.path(),
        "h2.xml",
        &report(&[fail("tests.test_pay", "test_charge", "assert 1 == 2", "")]),
    );
    let changed = write(d.path(), "changed.txt", "tests/test_pay.py\n");
    let args = |extra: &[&str]| {
        let mut v = vec![
            "--base",
            b.to_str().unwrap(),
            "--head",
            h1.to_str().unwrap(),
            "--head",
            h2.to_str().unwrap(),
        ];
        v.extend_from_slice(extra);
        v.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let a = args(&[]);
    let (_, r) = compare(d.path(), &a.iter().map(String::as_str).collect::<Vec<_>>());
    let t = item(&r, "tests.test_pay::test_charge");
    assert_eq!(t["verdict"], "environmental");
    let ev = t["evidence"].to_string();
    assert!(ev.contains("passed in 1 run(s) and failed in 1"), "{ev}");
    assert!(ev.contains("base passed every attempt"), "{ev}");
    let a = args(&["--changed-files", changed.to_str().unwrap(), "--gate"]);
    let (code, r) = compare(d.path(), &a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(verdict(&r, "tests.test_pay::test_charge"), "regression");
    assert_eq!(code, 1);
}

#[test]
fn review_2_a_mass_of_added_failing_tests_is_never_excused() {
    let d = TempDir::new().unwrap();
    let msg = "expected: &lt;true&gt; but was: &lt;false&gt;";
    let b = write(
        d.path(),
        "b.xml",
        &report(&[fail("com.x.Old", "known", msg, ""), pass("com.x.Old", "ok")]),
    );
    let mut head = vec![fail("com.x.Old", "known", msg, ""), pass("com.x.Old", "ok")];
    for i in 0..5 {
        head.push(fail(
            if i % 2 == 0 {
                "com.x.NewA"
            } else {
                "com.x.NewB"
            },
            &format!("added{i}"),
            msg,
            "",
        ));
    }
    let h = write(d.path(), "h.xml", &report(&head));
    let (code, r) = compare(
        d.path(),
        &[b.to_str().unwrap(), h.to_str().unwrap(), "--gate"],
    );
    for i in 0..5 {
        let class = if i % 2 == 0 {
            "com.x.NewA"
        } else {
            "com.x.NewB"
        };
        assert_eq!(verdict(&r, &format!("{class}::added{i}")), "regression");
    }
    assert_eq!(code, 1);
}

#[test]
fn review_3_history_must_fail_the_same_way_and_never_includes_the_head() {
    let d = TempDir::new().unwrap();
    let store = d.path().join("store");
    // 29 runs of main; one of them timed out.
    for i in 0..29 {
        let case = if i == 7 {
            fail("c", "t", "test timeout", "")
        } else {
            pass("c", "t")
        };
        let f = write(d.path(), "r.xml", &report(&[case, pass("c", "other")]));
        regdiff(d.path())
            .args(["record", "--store"])
            .arg(&store)
            .arg(&f)
            .args([
                "--branch",
                "main",
                "--commit",
                &format!("{i:04x}"),
                "--time",
                &format!("2026-03-{:02}T00:00:00Z", i + 1),
            ])
            .assert()
            .code(0);
    }
    let h = write(
        d.path(),
        "h.xml",
        &report(&[
            fail("c", "t", "AssertionError: assert 401 == 200", ""),
            pass("c", "other"),
        ]),
    );
    let (_, r) = compare(
        d.path(),
        &[
            "--store",
            store.to_str().unwrap(),
            "--base",
            "main",
            "--head",
            h.to_str().unwrap(),
        ],
    );
    let t = item(&r, "c::t");
    assert_eq!(t["verdict"], "regression", "{t}");
    assert!(
        t["evidence"]
            .to_string()
            .contains("none of those failures looks like the head's")
    );

    // A head that is itself stored: its own failure must not become its history.
    let f = write(
        d.path(),
        "r.xml",
        &report(&[fail("c", "t", "test timeout", ""), pass("c", "other")]),
    );
    regdiff(d.path())
        .args(["record", "--store"])
        .arg(&store)
        .arg(&f)
        .args([
            "--branch",
            "main",
            "--commit",
            "ffff",
            "--time",
            "2026-04-01T00:00:00Z",
        ])
        .assert()
        .code(0);
    let (_, r) = compare(
        d.path(),
        &[
            "--store",
            store.to_str().unwrap(),
            "--base",
            "main@0001",
            "--head",
            "main",
            "--history",
            "main[30]",
        ],
    );
    assert!(
        r["history"]["snapshots"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| !s.as_str().unwrap().contains("-ffff-"))
    );
    assert!(
        r["warnings"]
            .to_string()
            .contains("history run(s) left out")
    );
}

#[test]
fn review_4_infrastructure_words_in_echoed_source_or_to_internal_hosts_are_not_evidence() {
    let d = TempDir::new().unwrap();
    let b = write(
        d.path(),
        "b.xml",
        &report(&[
            pass("tests.test_io", "test_write"),
            pass("tests.test_orders", "test_list"),
        ]),
    );
    let body = "tests/test_io.py:12: in test_write\n    raise OSError(errno.ENOSPC, \"No space left on device\")\n&gt;   assert out == 'y'\nE   AssertionError: assert 'x' == 'y'";
    let h = write(
        d.path(),
        "h.xml",
        &report(&[
            fail(
                "tests.test_io",
                "test_write",
                "AssertionError: assert 'x' == 'y'",
                body,
            ),
            fail(
                "tests.test_orders",
                "test_list",
                "ConnectionRefusedError: Connection refused: orders-api.svc.cluster.local:8080",
                "",
            ),
        ]),
    );
    let (_, r) = compare(d.path(), &[b.to_str().unwrap(), h.to_str().unwrap()]);
    assert_eq!(verdict(&r, "tests.test_io::test_write"), "regression");
    assert_eq!(verdict(&r, "tests.test_orders::test_list"), "regression");
}

#[test]
fn review_5_changed_jvm_files_veto_through_stack_frames() {
    let d = TempDir::new().unwrap();
    let b = write(
        d.path(),
        "b.xml",
        &report(&[pass("com.example.PaymentClientTest", "charges")]),
    );
    let body = "java.net.ConnectException: Connection refused (to api.stripe.com:443)\n\tat com.example.PaymentClient.charge(PaymentClient.java:57)\n\tat com.example.PaymentClientTest.charges(PaymentClientTest.java:21)";
    let h = write(
        d.path(),
        "h.xml",
        &report(&[fail(
            "com.example.PaymentClientTest",
            "charges",
            "Connection refused (to api.stripe.com:443)",
            body,
        )]),
    );
    let (_, r) = compare(d.path(), &[b.to_str().unwrap(), h.to_str().unwrap()]);
    assert_eq!(
        verdict(&r, "com.example.PaymentClientTest::charges"),
        "environmental",
        "a public host outside: E4"
    );
    let changed = write(
        d.path(),
        "changed.txt",
        "src/main/java/com/example/PaymentClient.java\n",
    );
    let (_, r) = compare(
        d.path(),
        &[
            "--changed-files",
            changed.to_str().unwrap(),
            b.to_str().unwrap(),
            h.to_str().unwrap(),
        ],
    );
    assert_eq!(
        verdict(&r, "com.example.PaymentClientTest::charges"),
        "regression"
    );
}

#[test]
fn review_6_a_different_status_code_is_a_different_failure() {
    let d = TempDir::new().unwrap();
    // Base passed after one flaky attempt that failed with 503 (Surefire flakyFailure).
    let b = write(
        d.path(),
        "b.xml",
        &report(&["<testcase classname=\"c.ApiTest\" name=\"get\" time=\"1\"><flakyFailure message=\"expected &lt;200&gt; but was &lt;503&gt;\" type=\"AssertionError\"/></testcase>".to_string()]),
    );
    // Head fails every attempt with 400.
    let h = write(
        d.path(),
        "h.xml",
        &report(&["<testcase classname=\"c.ApiTest\" name=\"get\" time=\"1\"><failure message=\"expected &lt;200&gt; but was &lt;400&gt;\" type=\"AssertionError\"/><rerunFailure message=\"expected &lt;200&gt; but was &lt;400&gt;\" type=\"AssertionError\"/></testcase>".to_string()]),
    );
    let (_, r) = compare(d.path(), &[b.to_str().unwrap(), h.to_str().unwrap()]);
    assert_eq!(verdict(&r, "c.ApiTest::get"), "regression");
    // The same 503 on head is the known flaky failure: environmental, not "still failing".
    let h503 = write(
        d.path(),
        "h503.xml",
        &report(&["<testcase classname=\"c.ApiTest\" name=\"get\" time=\"1\"><failure message=\"expected &lt;200&gt; but was &lt;503&gt;\" type=\"AssertionError\"/></testcase>".to_string()]),
    );
    let (_, r) = compare(d.path(), &[b.to_str().unwrap(), h503.to_str().unwrap()]);
    let t = item(&r, "c.ApiTest::get");
    assert_eq!(t["verdict"], "environmental", "{t}");
    assert_eq!(t["change"], "flaky");
}

#[test]
fn review_7_rerun_elements_without_a_failure_do_not_invent_a_pass() {
    let d = TempDir::new().unwrap();
    let b = write(d.path(), "b.xml", &report(&[pass("c", "t")]));
    let h = write(
        d.path(),
        "h.xml",
        &report(&[
            "<testcase classname=\"c\" name=\"t\"><rerunFailure message=\"boom\"/></testcase>"
                .to_string(),
        ]),
    );
    let (_, r) = compare(d.path(), &[b.to_str().unwrap(), h.to_str().unwrap()]);
    let t = item(&r, "c::t");
    assert_eq!(t["verdict"], "regression", "{t}");
    assert_eq!(t["head"]["attempts"], 2);
    assert!(
        r["warnings"]
            .to_string()
            .contains("no <failure> or <error>")
    );
}

#[test]
fn review_8_a_teardown_error_after_a_skip_is_not_a_skip() {
    let d = TempDir::new().unwrap();
    let b = write(d.path(), "b.xml", &report(&[pass("c", "t")]));
    let h = write(
        d.path(),
        "h.xml",
        &report(&["<testcase classname=\"c\" name=\"t\"><skipped message=\"skip\"/><error message=\"failed on teardown with &quot;OSError&quot;\"/></testcase>".to_string()]),
    );
    let (_, r) = compare(d.path(), &[b.to_str().unwrap(), h.to_str().unwrap()]);
    assert_eq!(item(&r, "c::t")["head"]["errored"], 1);
    assert_eq!(verdict(&r, "c::t"), "regression");
    assert!(r["warnings"].to_string().contains("2 result elements"));
}

#[test]
fn review_9_a_base_outage_does_not_hide_a_new_head_failure() {
    let d = TempDir::new().unwrap();
    let b = write(
        d.path(),
        "b.xml",
        &report(&[fail(
            "c",
            "t",
            "curl: (6) Could not resolve host: auth.example.com",
            "",
        )]),
    );
    let h = write(
        d.path(),
        "h.xml",
        &report(&[fail("c", "t", "AssertionError: assert 401 == 200", "")]),
    );
    let (_, r) = compare(d.path(), &[b.to_str().unwrap(), h.to_str().unwrap()]);
    let t = item(&r, "c::t");
    assert_eq!(t["verdict"], "regression", "{t}");
    // The same outage on both sides stays "still failing".
    let h2 = write(
        d.path(),
        "h2.xml",
        &report(&[fail(
            "c",
            "t",
            "curl: (6) Could not resolve host: auth.example.com",
            "",
        )]),
    );
    let (_, r) = compare(d.path(), &[b.to_str().unwrap(), h2.to_str().unwrap()]);
    assert_eq!(verdict(&r, "c::t"), "unchanged");
}

#[test]
fn review_12_a_gate_section_turns_the_gate_on() {
    let d = TempDir::new().unwrap();
    write(
        d.path(),
        "regdiff.toml",
        "[gate]\nfail_on = [\"regression\"]\n",
    );
    let b = write(d.path(), "b.xml", &report(&[pass("c", "t")]));
    let h = write(d.path(), "h.xml", &report(&[fail("c", "t", "boom", "")]));
    let (code, r) = compare(d.path(), &[b.to_str().unwrap(), h.to_str().unwrap()]);
    assert_eq!(r["gate"]["enabled"], true);
    assert_eq!(code, 1);
}

#[test]
fn review_13_a_pass_rate_drop_is_not_environmental_while_real_failures_remain() {
    let d = TempDir::new().unwrap();
    let base: Vec<String> = (0..200).map(|i| pass("c", &format!("t{i}"))).collect();
    let mut head = base.clone();
    for (i, case) in head.iter_mut().enumerate().take(10) {
        let msg = if i < 5 {
            "assert 1 == 2"
        } else {
            "curl: (6) Could not resolve host: pypi.org"
        };
        *case = fail("c", &format!("t{i}"), msg, "");
    }
    let b = write(d.path(), "b.xml", &report(&base));
    let h = write(d.path(), "h.xml", &report(&head));
    let (_, r) = compare(d.path(), &[b.to_str().unwrap(), h.to_str().unwrap()]);
    assert_eq!(r["summary"]["regression"], 5);
    assert_eq!(r["summary"]["environmental"], 5);
    assert_ne!(
        r["pass_rate"]["verdict"], "environmental",
        "{}",
        r["pass_rate"]
    );
}

#[test]
fn review_15_positional_arguments_and_repeated_runs() {
    let d = TempDir::new().unwrap();
    let b = write(d.path(), "b.xml", &report(&[pass("c", "t")]));
    let h = write(d.path(), "h.xml", &report(&[fail("c", "t", "boom", "")]));
    let (_, r) = compare(
        d.path(),
        &["--head", h.to_str().unwrap(), b.to_str().unwrap()],
    );
    assert_eq!(
        verdict(&r, "c::t"),
        "regression",
        "the positional is the base"
    );
    regdiff(d.path())
        .args(["compare", "--base"])
        .arg(&b)
        .arg("--base")
        .arg(&b)
        .arg("--head")
        .arg(&h)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("given twice for the base side"));
}

#[test]
fn review_16_foreign_json_in_the_store_is_a_warning() {
    let d = TempDir::new().unwrap();
    let store = d.path().join("store");
    let f = write(d.path(), "r.xml", &report(&[pass("c", "t")]));
    regdiff(d.path())
        .args(["record", "--store"])
        .arg(&store)
        .arg(&f)
        .args(["--branch", "main", "--commit", "1"])
        .assert()
        .code(0);
    write(&store, "report.json", "{\"schema\": \"regdiff.report/1\"}");
    regdiff(d.path())
        .args(["list", "--store"])
        .arg(&store)
        .assert()
        .code(0)
        .stderr(predicates::str::contains("not a snapshot, left alone"));
}

#[test]
fn a_folder_of_whole_runs_is_several_runs_not_retries() {
    let d = TempDir::new().unwrap();
    // Base: two complete runs of one suite in one folder; head: the same, one test failing
    // in one of its runs.
    let cases = |fails: bool| {
        report(&[
            pass("t.A", "a"),
            if fails {
                fail("t.A", "b", "boom", "assert 1 == 2")
            } else {
                pass("t.A", "b")
            },
        ])
    };
    for sub in ["base", "head", "shards"] {
        std::fs::create_dir(d.path().join(sub)).unwrap();
    }
    write(&d.path().join("base"), "run-1.xml", &cases(false));
    write(&d.path().join("base"), "run-2.xml", &cases(false));
    write(&d.path().join("head"), "run-1.xml", &cases(false));
    write(&d.path().join("head"), "run-2.xml", &cases(true));
    let (_, r) = compare(d.path(), &["base", "head"]);
    assert_eq!(r["base"]["runs"], 2, "{}", r["warnings"]);
    assert_eq!(r["head"]["runs"], 2);
    // A clean pass in both runs is not "passed after a retry".
    assert_eq!(verdict(&r, "t.A::a"), "unchanged");
    assert_eq!(
        item(&r, "t.A::b")["change"],
        "flaky",
        "{}",
        item(&r, "t.A::b")
    );
    assert!(r["warnings"].as_array().unwrap().iter().any(|w| {
        w.as_str()
            .unwrap()
            .contains("each is read as a run of its own")
    }));

    // Shards of one run (one file per class, as Gradle writes) stay one run.
    write(
        &d.path().join("shards"),
        "TEST-t.A.xml",
        &report(&[pass("t.A", "a")]),
    );
    write(
        &d.path().join("shards"),
        "TEST-t.B.xml",
        &report(&[pass("t.B", "b")]),
    );
    let (_, r) = compare(d.path(), &["shards", "shards"]);
    assert_eq!(r["base"]["runs"], 1);
    assert_eq!(r["base"]["tests"], 2);
}
