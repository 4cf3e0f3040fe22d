//! The command line as a user meets it: exit statuses (0 gate passed, 1 gate failed,
//! 2 unusable input), messages naming file and position, the store, and the attribution
//! rules that need history or changed files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use predicates::prelude::*;
use tempfile::TempDir;

mod common;
use common::{item, regdiff, write};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("baselines/examples")
}

/// A JUnit file with one suite; each case is (classname, name, failure message or None).
fn junit(cases: &[(&str, &str, Option<&str>)]) -> String {
    let mut s = String::from("<?xml version=\"1.0\"?>\n<testsuites><testsuite name=\"s\">\n");
    for (c, n, f) in cases {
        match f {
            None => s.push_str(&format!("<testcase classname=\"{c}\" name=\"{n}\" time=\"0.1\"/>\n")),
            Some(m) => s.push_str(&format!(
                "<testcase classname=\"{c}\" name=\"{n}\" time=\"0.1\"><failure message=\"{m}\">{m}</failure></testcase>\n"
            )),
        }
    }
    s.push_str("</testsuite></testsuites>\n");
    s
}

fn json_report(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).expect("JSON report")
}

/// Every file of a folder with its bytes, to check that nothing was touched.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut m = BTreeMap::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd {
            let p = e.unwrap().path();
            if p.is_file() {
                m.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    m
}

#[test]
fn showcase_exit_statuses() {
    let ex = examples();
    let d = TempDir::new().unwrap();
    regdiff(d.path())
        .args(["compare"])
        .arg(ex.join("websocket-auth/base"))
        .arg(ex.join("websocket-auth/head"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("2 regressions"));
    regdiff(d.path())
        .args(["compare", "--gate"])
        .arg(ex.join("websocket-auth/base"))
        .arg(ex.join("websocket-auth/head"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("Gate: FAILED"));
    regdiff(d.path())
        .args(["compare", "--gate"])
        .arg(ex.join("error-1011/base"))
        .arg(ex.join("error-1011/head"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Gate: passed"));
}

#[test]
fn help_has_examples() {
    let d = TempDir::new().unwrap();
    for sub in ["compare", "record", "list", "show"] {
        regdiff(d.path())
            .args([sub, "--help"])
            .assert()
            .code(0)
            .stdout(predicate::str::contains("Examples:"));
    }
    regdiff(d.path())
        .arg("--help")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Exit status"));
    regdiff(d.path())
        .args(["compare", "--nope"])
        .assert()
        .code(2);
}

#[test]
fn bad_inputs_exit_2_naming_the_file() {
    let d = TempDir::new().unwrap();
    let good = write(d.path(), "good.xml", &junit(&[("c", "t", None)]));
    let truncated = write(
        d.path(),
        "truncated.xml",
        "<?xml version=\"1.0\"?>\n<testsuites>\n  <testsuite name=\"s\">\n    <testcase name=\"a\"",
    );
    let not_xml = write(d.path(), "notes.txt", "this is not a report\n");
    let empty = write(d.path(), "empty.xml", "");
    let future = write(
        d.path(),
        "future.json",
        r#"{"schema": "regdiff.snapshot/9", "run": {}}"#,
    );
    let cases: Vec<(&PathBuf, &str)> = vec![
        (&truncated, "truncated.xml:4:5"),
        (&not_xml, "not a known input format"),
        (&empty, "empty"),
        (&future, "`regdiff.snapshot/9` is not supported"),
    ];
    for (bad, msg) in cases {
        regdiff(d.path())
            .arg("compare")
            .arg(bad)
            .arg(&good)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(msg))
            .stderr(predicate::str::contains("panicked").not());
        regdiff(d.path())
            .arg("compare")
            .arg(&good)
            .arg(bad)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(msg));
    }
    // A missing base is an error, not "everything is new"…
    regdiff(d.path())
        .args(["compare", "no-such-file.xml"])
        .arg(&good)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not an existing file or folder"));
    // …unless asked for.
    let out = regdiff(d.path())
        .args([
            "compare",
            "--allow-missing-base",
            "--format",
            "json",
            "no-such-file.xml",
        ])
        .arg(&good)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let r = json_report(&out);
    assert_eq!(item(&r, "c::t")["change"], "added");
    assert!(
        r["warnings"][0]
            .as_str()
            .unwrap()
            .contains("--allow-missing-base")
    );
    // An empty base (a run with no tests) is refused too.
    let none = write(
        d.path(),
        "none.xml",
        "<testsuites><testsuite name=\"s\"/></testsuites>",
    );
    regdiff(d.path())
        .arg("compare")
        .arg(&none)
        .arg(&good)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("holds no tests"));
}

#[test]
fn record_list_show_and_select() {
    let d = TempDir::new().unwrap();
    let store = d.path().join("store");
    for (i, failing) in [(1, false), (2, false), (3, true)] {
        let f = write(
            d.path(),
            &format!("run{i}.xml"),
            &junit(&[("c", "a", None), ("c", "b", failing.then_some("boom"))]),
        );
        regdiff(d.path())
            .args(["record", "--store"])
            .arg(&store)
            .arg(&f)
            .args([
                "--branch",
                "main",
                "--commit",
                &format!("abc{i}"),
                "--time",
                &format!("2026-01-0{i}T00:00:00Z"),
                "--label",
                "job=linux",
                "--env",
                "REGDIFF_TEST_VAR",
            ])
            .env("REGDIFF_TEST_VAR", "x")
            .assert()
            .code(0)
            .stdout(predicate::str::contains("stored 2026010"));
    }
    let listed = regdiff(d.path())
        .args(["list", "--format", "json", "--store"])
        .arg(&store)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let listed: serde_json::Value = serde_json::from_slice(&listed).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 3);
    assert_eq!(listed[0]["run"]["labels"]["job"], "linux");
    // The snapshot keeps the chosen variable in its fingerprint.
    let shown = regdiff(d.path())
        .args(["show", "main", "--format", "json", "--store"])
        .arg(&store)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let shown: serde_json::Value = serde_json::from_slice(&shown).unwrap();
    assert_eq!(shown["schema"], "regdiff.snapshot/1");
    assert_eq!(shown["env"]["vars"]["REGDIFF_TEST_VAR"], "x");
    assert_eq!(shown["run"]["commit"], "abc3");
    // Too few runs for a selector is an error naming what is stored.
    regdiff(d.path())
        .args(["compare", "--store"])
        .arg(&store)
        .args(["--base", "main[5]", "--head", "main"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("asked for the last 5 runs of `main`")
                .and(predicate::str::contains("holds 3")),
        );
    // main[2] (runs 2 and 3) against a clean head: b failed in one of two base runs.
    let head = write(
        d.path(),
        "head.xml",
        &junit(&[("c", "a", None), ("c", "b", None)]),
    );
    let out = regdiff(d.path())
        .args(["compare", "--format", "json", "--store"])
        .arg(&store)
        .args(["--base", "main[2]", "--head"])
        .arg(&head)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let r = json_report(&out);
    assert_eq!(r["base"]["runs"], 2);
    assert_eq!(r["history"]["runs"], 1, "run 1 of main is the history");
    assert_eq!(item(&r, "c::b")["verdict"], "environmental");
    assert_eq!(item(&r, "c::b")["change"], "flaky");
    // By commit.
    regdiff(d.path())
        .args(["show", "main@abc1", "--store"])
        .arg(&store)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("commit abc1"));
    // Several runs: each is shown with every test it holds, in words and in JSON (the runs
    // after the first repeat its tests; a comparison may hold them as repeats, `show` never).
    let summary = regdiff(d.path())
        .args(["show", "main[3]", "--store"])
        .arg(&store)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let summary = String::from_utf8(summary).unwrap();
    assert_eq!(
        summary.matches("  tests: 2 (").count(),
        3,
        "each of the three runs holds two tests:\n{summary}"
    );
    assert!(
        summary.contains("tests: 2 (1 passed, 1 failed"),
        "{summary}"
    );
    let all = regdiff(d.path())
        .args(["show", "main[3]", "--format", "json", "--store"])
        .arg(&store)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let all: serde_json::Value = serde_json::from_slice(&all).unwrap();
    let runs = all.as_array().unwrap();
    assert_eq!(runs.len(), 3);
    for r in runs {
        let ids: Vec<&str> = r["tests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["c::a", "c::b"], "{}", r["run"]["commit"]);
    }
}

#[test]
fn record_refuses_without_branch_and_keeps_the_store_intact() {
    let d = TempDir::new().unwrap();
    let store = d.path().join("store");
    let good = write(d.path(), "good.xml", &junit(&[("c", "t", None)]));
    regdiff(d.path())
        .args(["record", "--store"])
        .arg(&store)
        .arg(&good)
        .args(["--branch", "main", "--commit", "1"])
        .assert()
        .code(0);
    let before = tree(&store);
    regdiff(d.path())
        .args(["record", "--store"])
        .arg(&store)
        .arg(&good)
        .args(["--commit", "2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--branch"));
    let broken = write(
        d.path(),
        "broken.xml",
        "<testsuites><testsuite name=\"s\"><testcase name=\"x\">",
    );
    regdiff(d.path())
        .args(["record", "--store"])
        .arg(&store)
        .arg(&broken)
        .args(["--branch", "main", "--commit", "3"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("broken.xml:1:"));
    regdiff(d.path())
        .args(["record", "--store"])
        .arg(&store)
        .arg(&good)
        .args(["--branch", "main", "--commit", "4", "--time", "yesterday"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("RFC 3339"));
    assert_eq!(
        tree(&store),
        before,
        "a failed command must not touch the store"
    );
}

#[test]
fn corrupt_snapshot_in_the_store_is_reported() {
    let d = TempDir::new().unwrap();
    let store = d.path().join("store");
    let good = write(d.path(), "good.xml", &junit(&[("c", "t", None)]));
    regdiff(d.path())
        .args(["record", "--store"])
        .arg(&store)
        .arg(&good)
        .args([
            "--branch",
            "main",
            "--commit",
            "1",
            "--time",
            "2026-01-01T00:00:00Z",
        ])
        .assert()
        .code(0);
    std::fs::write(
        store.join("20260102T000000Z-main-2-deadbeef.json"),
        b"{\"schema\": \"regdiff.snapshot/1\", \"run\": {\"branch\": \"ma",
    )
    .unwrap();
    let before = tree(&store);
    regdiff(d.path())
        .args(["list", "--store"])
        .arg(&store)
        .assert()
        .code(2)
        .stdout(predicate::str::contains("1 snapshot(s)"))
        .stderr(predicate::str::contains(
            "20260102T000000Z-main-2-deadbeef.json:1:",
        ));
    // The comparison goes on with what is readable, says what was not, and exits 2.
    regdiff(d.path())
        .args(["compare", "--store"])
        .arg(&store)
        .args(["--base", "main", "--head"])
        .arg(&good)
        .assert()
        .code(2)
        .stdout(predicate::str::contains("0 regressions"))
        .stderr(predicate::str::contains("deadbeef.json"));
    assert_eq!(tree(&store), before);
}

#[test]
fn history_shows_a_flaky_test_with_enough_runs() {
    let d = TempDir::new().unwrap();
    let store = d.path().join("store");
    // 12 runs of main: test `b` fails in 3 of them.
    for i in 0..12 {
        let f = write(
            d.path(),
            "r.xml",
            &junit(&[
                ("c", "a", None),
                (
                    "c",
                    "b",
                    (i % 4 == 1).then_some("timing-sensitive check took 0.3s"),
                ),
            ]),
        );
        regdiff(d.path())
            .args(["record", "--store"])
            .arg(&store)
            .arg(&f)
            .args([
                "--branch",
                "main",
                "--commit",
                &format!("{i:04}"),
                "--time",
                &format!("2026-02-{:02}T00:00:00Z", i + 1),
            ])
            .assert()
            .code(0);
    }
    let head = write(
        d.path(),
        "head.xml",
        &junit(&[
            ("c", "a", None),
            ("c", "b", Some("timing-sensitive check took 0.4s")),
        ]),
    );
    let out = regdiff(d.path())
        .args(["compare", "--gate", "--format", "json", "--store"])
        .arg(&store)
        .args(["--base", "main", "--head"])
        .arg(&head)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let r = json_report(&out);
    let b = item(&r, "c::b");
    assert_eq!(b["verdict"], "environmental", "{b}");
    assert_eq!(b["change"], "flaky");
    assert!(
        b["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["rule"] == "E3")
    );
    // With too little history the same failure stays a regression and says why.
    let out = regdiff(d.path())
        .args(["compare", "--format", "json", "--store"])
        .arg(&store)
        .args(["--base", "main", "--history", "main[4]", "--head"])
        .arg(&head)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let r = json_report(&out);
    let b = item(&r, "c::b");
    assert_eq!(b["verdict"], "regression", "{b}");
    assert!(
        b["evidence"]
            .to_string()
            .contains("at least 10 runs are needed")
    );
}

#[test]
fn infrastructure_failures_and_the_changed_files_veto() {
    let d = TempDir::new().unwrap();
    let base = write(
        d.path(),
        "base.xml",
        &junit(&[
            ("tests.test_io", "test_write", None),
            ("tests.test_math", "test_add", None),
        ]),
    );
    let head = write(
        d.path(),
        "head.xml",
        &junit(&[
            (
                "tests.test_io",
                "test_write",
                Some("OSError: [Errno 28] No space left on device: '/tmp/x'"),
            ),
            ("tests.test_math", "test_add", Some("assert 3 == 4")),
        ]),
    );
    let out = regdiff(d.path())
        .args(["compare", "--gate", "--format", "json"])
        .arg(&base)
        .arg(&head)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let r = json_report(&out);
    assert_eq!(
        item(&r, "tests.test_io::test_write")["verdict"],
        "environmental"
    );
    assert_eq!(
        item(&r, "tests.test_math::test_add")["verdict"],
        "regression"
    );
    let hits: Vec<_> = r["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["hits"] != 0)
        .collect();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["name"], "disk-full");
    // The same failure in a test whose file the change touched is never excused.
    let changed = write(d.path(), "changed.txt", "src/app.py\ntests/test_io.py\n");
    let out = regdiff(d.path())
        .args(["compare", "--format", "json", "--changed-files"])
        .arg(&changed)
        .arg(&base)
        .arg(&head)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let r = json_report(&out);
    let w = item(&r, "tests.test_io::test_write");
    assert_eq!(w["verdict"], "regression");
    assert!(w["evidence"].to_string().contains("veto"));
}

#[test]
fn user_rules_and_their_warnings() {
    let d = TempDir::new().unwrap();
    write(
        d.path(),
        "regdiff.toml",
        "[[rules]]\nname = \"vault\"\npattern = \"vault unreachable\"\nstrength = \"strong\"\n\n[[rules]]\nname = \"never\"\npattern = \"this text never appears\"\nstrength = \"weak\"\n\n[[rules]]\nname = \"broken\"\npattern = \"([\"\nstrength = \"weak\"\n",
    );
    let base = write(d.path(), "base.xml", &junit(&[("c", "a", None)]));
    let head = write(
        d.path(),
        "head.xml",
        &junit(&[("c", "a", Some("vault unreachable at 10.0.0.7"))]),
    );
    let out = regdiff(d.path())
        .args(["compare", "--format", "json"])
        .arg(&base)
        .arg(&head)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let r = json_report(&out);
    assert_eq!(item(&r, "c::a")["verdict"], "environmental");
    let warnings = r["warnings"].to_string();
    assert!(warnings.contains("`broken` does not compile"), "{warnings}");
    assert!(warnings.contains("`never` matched none"), "{warnings}");
    // A typo in the configuration is an error naming the file and line.
    write(d.path(), "regdiff.toml", "[gate]\nfail_onn = []\n");
    regdiff(d.path())
        .arg("compare")
        .arg(&base)
        .arg(&head)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("regdiff.toml").and(predicate::str::contains("fail_onn")));
}

/// Tags a report gives (JUnit `tag` properties) reach the report's items from either side,
/// each once, head's first, also when only some runs of a side carry them.
#[test]
fn tags_from_the_reports_reach_the_items() {
    let d = TempDir::new().unwrap();
    let case = |name: &str, tags: &str, fail: bool| {
        let props = if tags.is_empty() {
            String::new()
        } else {
            format!(r#"<properties><property name="tags" value="{tags}"/></properties>"#)
        };
        let failure = if fail {
            "<failure message=\"boom\"/>"
        } else {
            ""
        };
        format!(r#"<testcase classname="c" name="{name}">{props}{failure}</testcase>"#)
    };
    let suite =
        |cases: Vec<String>| format!("<testsuite name=\"s\">{}</testsuite>", cases.concat());
    let base = write(
        d.path(),
        "base.xml",
        &suite(vec![case("a", "slow", false), case("b", "", false)]),
    );
    let head = write(
        d.path(),
        "head.xml",
        &suite(vec![case("a", "db, slow", true), case("b", "", true)]),
    );
    let out = regdiff(d.path())
        .args(["compare", "--format", "json"])
        .arg(&base)
        .arg(&head)
        .assert()
        .get_output()
        .stdout
        .clone();
    let r = json_report(&out);
    assert_eq!(item(&r, "c::a")["tags"], serde_json::json!(["db", "slow"]));
    assert!(
        item(&r, "c::b")["tags"]
            .as_array()
            .is_none_or(|t| t.is_empty()),
        "{}",
        item(&r, "c::b")
    );
}

#[test]
fn critical_tests_and_coverage_limits_in_the_gate() {
    let d = TempDir::new().unwrap();
    write(
        d.path(),
        "regdiff.toml",
        "[tags]\ncritical = [\"tests/golden*\"]\n\n[gate]\nmax_removed = 0\n",
    );
    let base = write(
        d.path(),
        "base.xml",
        &junit(&[
            ("tests.golden", "test_login", None),
            ("tests.other", "test_x", None),
            ("tests.other", "test_gone", None),
        ]),
    );
    // The golden test fails with an infrastructure signature: environmental, but critical.
    let head = write(
        d.path(),
        "head.xml",
        &junit(&[
            (
                "tests.golden",
                "test_login",
                Some("curl: (6) Could not resolve host: auth.example.com"),
            ),
            ("tests.other", "test_x", None),
        ]),
    );
    let out = regdiff(d.path())
        .args(["compare", "--gate", "--format", "json"])
        .arg(&base)
        .arg(&head)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let r = json_report(&out);
    let reasons = r["gate"]["reasons"].to_string();
    assert!(reasons.contains("1 tests were removed"), "{reasons}");
    assert!(
        !reasons.contains("critical"),
        "critical_must_pass is off: {reasons}"
    );
    assert_eq!(item(&r, "tests.golden::test_login")["tags"][0], "critical");
    let out = regdiff(d.path())
        .args([
            "compare",
            "--gate",
            "--critical-must-pass",
            "--format",
            "json",
        ])
        .arg(&base)
        .arg(&head)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let r = json_report(&out);
    assert!(
        r["gate"]["reasons"]
            .to_string()
            .contains("critical test(s) do not pass")
    );
}

#[test]
fn github_format_writes_annotations_and_the_job_summary() {
    let ex = examples();
    let d = TempDir::new().unwrap();
    let summary = d.path().join("summary.md");
    regdiff(d.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["compare", "--gate", "--format", "github"])
        .arg(ex.join("websocket-auth/base"))
        .arg(ex.join("websocket-auth/head"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("::error file=tests/test_api.py,line=12,title=regdiff regression (broke)%3A tests.test_api%3A%3Atest_health_check::"));
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.starts_with("## regdiff: tests: 2 regressions"), "{md}");
}

#[test]
fn output_file_and_show_summary() {
    let ex = examples();
    let d = TempDir::new().unwrap();
    let out = d.path().join("report.json");
    regdiff(d.path())
        .args(["compare", "--format", "json", "--output"])
        .arg(&out)
        .arg(ex.join("error-1011/base"))
        .arg(ex.join("error-1011/head"))
        .assert()
        .code(0)
        .stdout("");
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(r["schema"], "regdiff.report/1");
    assert_eq!(r["summary"]["improvement"], 1);
    regdiff(d.path())
        .arg("show")
        .arg(ex.join("websocket-auth/head"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "tests: 5 (3 passed, 2 failed, 0 errored, 0 skipped; 0 with retries)",
        ));
}

/// The configuration example in the README is a valid configuration: the documentation cannot
/// drift from what regdiff accepts.
#[test]
fn the_readme_configuration_example_is_accepted() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme
        .find("```toml\n")
        .expect("a toml block in the README")
        + 8;
    let len = readme[start..].find("```").unwrap();
    let text = &readme[start..start + len];
    let config = regdiff::config::Config::parse(Path::new("README.md"), text)
        .unwrap_or_else(|e| panic!("the README's configuration is refused: {e}"));
    assert_eq!(config.metrics.threshold, 0.05);
    assert_eq!(config.metrics.thresholds.get("io/*"), Some(&0.10));
    let gate = config.gate.expect("the example has a [gate] section");
    assert_eq!(gate.budgets.get("parse/*").map(|b| b.0), Some(0.03));
}

#[test]
fn id_map_matches_tests_whose_names_embed_random_values() {
    let d = tempfile::tempdir().unwrap();
    let suite = |hex: &str, failing: bool| {
        format!(
            "<testsuite name=\"s\"><testcase classname=\"up\" name=\"upload[tmp_{hex}]\">{}</testcase><testcase classname=\"up\" name=\"plain\"/></testsuite>",
            if failing {
                "<failure message=\"boom\"/>"
            } else {
                ""
            }
        )
    };
    let base = write(d.path(), "base.xml", &suite("8f3a1c", false));
    let head = write(d.path(), "head.xml", &suite("77aa00", true));
    let compare = |extra: &[&str]| {
        let mut cmd = regdiff(d.path());
        cmd.args(extra)
            .args(["compare", "--format", "json"])
            .arg(&base)
            .arg(&head);
        json_report(&cmd.assert().code(0).get_output().stdout.clone())
    };
    // Without a map the random part makes two unrelated tests: the failure hides as `added`.
    let r = compare(&[]);
    assert_eq!(item(&r, "up::upload[tmp_77aa00]")["change"], "added");
    // With one, the test is the same on both sides and its failure is a change of its own.
    let r = compare(&["--id-map", "tmp_[0-9a-f]{6} => tmp_<hex>"]);
    let t = item(&r, "up::upload[tmp_<hex>]");
    assert_eq!(
        (&t["change"], &t["verdict"]),
        (&"broke".into(), &"regression".into()),
        "{t}"
    );
    assert_eq!(t["head"]["failed"], 1);
    // The same rule from regdiff.toml.
    write(
        d.path(),
        "regdiff.toml",
        "[[id_map]]\npattern = \"tmp_[0-9a-f]{6}\"\nreplace = \"tmp_<hex>\"\n",
    );
    let r = compare(&[]);
    assert_eq!(item(&r, "up::upload[tmp_<hex>]")["change"], "broke");
    // A bad rule is an error naming where it came from.
    regdiff(d.path())
        .args(["--id-map", "( => x", "show"])
        .arg(&base)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--id-map: `(` is not a valid regular expression",
        ));
    write(
        d.path(),
        "regdiff.toml",
        "[[id_map]]\npattern = \"[\"\nreplace = \"\"\n",
    );
    regdiff(d.path())
        .arg("show")
        .arg(&base)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "[[id_map]] #1: `[` is not a valid regular expression",
        ));
}

#[test]
fn list_of_a_store_without_runs_says_so() {
    let d = tempfile::tempdir().unwrap();
    regdiff(d.path())
        .args(["list", "--store"])
        .arg(d.path().join("no-such-store"))
        .assert()
        .code(0)
        .stderr(predicate::str::contains("no-such-store/: no stored runs"));
}
