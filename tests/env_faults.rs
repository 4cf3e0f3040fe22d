//! Real suites run under a real environment fault, with no code change (tests/fixtures/
//! env_faults/, each made by its `record.sh`):
//!
//! * `rust/erofs`: a small crate's tests with `TMPDIR` on a read-only tmpfs;
//! * `rust/diskfull`: the same tests with `TMPDIR` on a full 256 KiB tmpfs;
//! * `python_dns`: a pytest suite whose host names no longer resolve.
//!
//! Each `truth.json` lists every test that changed, and whether its failure output names the
//! cause (`names_cause`). What a user checks: every failure that names the cause is
//! environmental, with its matched line quoted; every failure that does not is a
//! **regression** (never environmental without its own evidence) carrying the run-wide
//! possible cause and `suspect_environment`; a gate policy may count those as inconclusive.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/env_faults")
}

const SCENARIOS: &[&str] = &["rust/erofs", "rust/diskfull", "python_dns"];

fn compare(base: &Path, head: &Path, extra: &[&str]) -> (u8, Value) {
    let mut args: Vec<String> = ["regdiff", "compare", "--no-history", "--format", "json"]
        .map(String::from)
        .to_vec();
    args.extend(["--base".into(), base.display().to_string()]);
    args.extend(["--head".into(), head.display().to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let (code, out, err) = common::run_in_process(args);
    let json = serde_json::from_slice(&out).unwrap_or_else(|e| {
        panic!("no JSON ({e}): {}", String::from_utf8_lossy(&err));
    });
    (code, json)
}

fn truth(scenario: &str) -> Value {
    serde_json::from_slice(&std::fs::read(root().join(scenario).join("truth.json")).unwrap())
        .unwrap()
}

/// Checks one comparison against the truth; returns (named and environmental, named,
/// unnamed and suspect regressions, unnamed) and the problems found.
fn check(
    scenario: &str,
    report: &Value,
    by_name: bool,
    problems: &mut Vec<String>,
) -> (usize, usize, usize, usize) {
    let truth = truth(scenario);
    let items = common::test_items(report);
    let mut listed = std::collections::BTreeSet::new();
    let (mut env, mut named, mut suspect, mut unnamed) = (0, 0, 0, 0);
    for ch in truth["changes"].as_array().unwrap() {
        let id = if by_name {
            ch["name"].as_str().unwrap().to_string()
        } else {
            format!(
                "{}::{}",
                ch["classname"].as_str().unwrap(),
                ch["name"].as_str().unwrap()
            )
        };
        listed.insert(id.clone());
        let Some(item) = items.get(&id) else {
            problems.push(format!("{scenario}: {id} is missing from the report"));
            continue;
        };
        let verdict = item["verdict"].as_str().unwrap();
        let evidence = item["evidence"].as_array().unwrap();
        if ch["names_cause"].as_bool().unwrap() {
            named += 1;
            let quoted = evidence.iter().any(|e| {
                e["rule"] == "E4" && e["detail"].as_str().unwrap().contains("matched in ")
            });
            if verdict == "environmental" && quoted {
                env += 1;
            } else {
                problems.push(format!(
                    "{scenario}: {id} names its cause but is {verdict} (quoted: {quoted})"
                ));
            }
        } else {
            unnamed += 1;
            let names_run = evidence.iter().any(|e| {
                e["rule"] == "possible_cause"
                    && e["detail"].as_str().unwrap().contains("also had")
                    && e["detail"].as_str().unwrap().contains("rerun to tell")
            });
            if verdict == "regression" && item["suspect_environment"] == true && names_run {
                suspect += 1;
            } else {
                problems.push(format!(
                    "{scenario}: {id} names no cause: expected a suspect regression, got {verdict} (suspect {}, run-wide cause {names_run})",
                    item["suspect_environment"]
                ));
            }
        }
    }
    for id in truth["still_failing"].as_array().unwrap() {
        let id = id.as_str().unwrap();
        let id = if by_name {
            id.rsplit("::").next().unwrap()
        } else {
            id
        };
        listed.insert(id.to_string());
        match items.get(id) {
            Some(i) if i["verdict"] == "unchanged" && i["change"] == "still_failing" => {}
            other => problems.push(format!(
                "{scenario}: {id} fails on both sides: expected unchanged, got {:?}",
                other.map(|i| &i["verdict"])
            )),
        }
    }
    for (id, item) in &items {
        if !listed.contains(id) && item["verdict"] != "unchanged" {
            problems.push(format!(
                "{scenario}: {id} did not change but is {}",
                item["verdict"]
            ));
        }
    }
    (env, named, suspect, unnamed)
}

#[test]
fn failures_that_name_the_fault_are_environmental_and_the_rest_suspect_regressions() {
    let mut problems = Vec::new();
    let mut totals = (0, 0, 0, 0);
    for s in SCENARIOS {
        let dir = root().join(s);
        let (code, report) = compare(
            &dir.join("base/run-1.xml"),
            &dir.join("head/run-1.xml"),
            &["--gate"],
        );
        let (e, n, sus, u) = check(s, &report, false, &mut problems);
        println!(
            "{s}: {e} of {n} failures naming the fault environmental; {sus} of {u} without a cause suspect regressions"
        );
        totals = (totals.0 + e, totals.1 + n, totals.2 + sus, totals.3 + u);
        // The suspect regressions fail the default gate: the verdict stands.
        assert_eq!(code, 1, "{s}: the default gate counts suspect regressions");
        assert!(report["gate"].get("treated_inconclusive").is_none());
    }
    println!(
        "all: {} of {} naming the fault environmental, {} of {} without a cause suspect regressions, 0 environmental without evidence",
        totals.0, totals.1, totals.2, totals.3
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        totals.1 >= 30 && totals.3 >= 15,
        "the fixtures hold both kinds"
    );
}

/// The same runs read from `cargo test`'s plain text output give the same verdicts.
#[test]
fn cargo_test_text_output_gives_the_same_verdicts() {
    let mut problems = Vec::new();
    for s in ["rust/erofs", "rust/diskfull"] {
        let dir = root().join(s);
        let (_, report) = compare(
            &dir.join("base/run-1.txt"),
            &dir.join("head/run-1.txt"),
            &[],
        );
        let (e, n, sus, u) = check(s, &report, true, &mut problems);
        assert_eq!((e, sus), (n, u), "{s}");
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `[gate] suspect_environment = "inconclusive"` counts the suspect regressions as
/// inconclusive in the gate (the verdicts in the report stay regressions); with the pass-rate
/// rule off, the gate then passes.
#[test]
fn a_gate_policy_may_count_suspect_regressions_as_inconclusive() {
    let dir = root().join("rust/erofs");
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("regdiff.toml");
    std::fs::write(
        &cfg,
        "[gate]\nsuspect_environment = \"inconclusive\"\npass_rate_drop = false\n",
    )
    .unwrap();
    let cfg_arg = cfg.display().to_string();
    let (code, report) = compare(
        &dir.join("base/run-1.xml"),
        &dir.join("head/run-1.xml"),
        &["--config", &cfg_arg],
    );
    assert_eq!(code, 0, "{}", report["gate"]);
    let treated = report["gate"]["treated_inconclusive"].as_array().unwrap();
    assert_eq!(treated.len(), 7, "{}", report["gate"]);
    assert_eq!(report["summary"]["regression"], 7, "verdicts are unchanged");
    // With `fail_on` including inconclusive, they fail it again, as inconclusive.
    std::fs::write(
        &cfg,
        "[gate]\nsuspect_environment = \"inconclusive\"\npass_rate_drop = false\nfail_on = [\"regression\", \"inconclusive\"]\n",
    )
    .unwrap();
    let (code, report) = compare(
        &dir.join("base/run-1.xml"),
        &dir.join("head/run-1.xml"),
        &["--config", &cfg_arg],
    );
    assert_eq!(code, 1);
    let reasons = report["gate"]["reasons"].to_string();
    assert!(
        reasons.contains("7 item(s) with verdict inconclusive"),
        "{reasons}"
    );
    // A mistyped policy is an error, not a silently weaker gate.
    std::fs::write(&cfg, "[gate]\nsuspect_environment = \"environmental\"\n").unwrap();
    let (code, _, err) = common::run_in_process(
        [
            "regdiff",
            "compare",
            "--config",
            &cfg_arg,
            &dir.join("base/run-1.xml").display().to_string(),
            &dir.join("head/run-1.xml").display().to_string(),
        ]
        .map(String::from)
        .to_vec(),
    );
    assert_eq!(code, 2, "{}", String::from_utf8_lossy(&err));
}

/// A real regression in a faulted run is not made environmental by the fault: the same
/// fixture with one test's failure replaced by an ordinary assertion is a regression.
#[test]
fn a_real_regression_in_a_faulted_run_stays_a_regression() {
    let dir = root().join("rust/erofs");
    let head = std::fs::read_to_string(dir.join("head/run-1.xml")).unwrap();
    let base = std::fs::read_to_string(dir.join("base/run-1.xml")).unwrap();
    // A test that passes in both runs now fails on head with an assertion of its own.
    let line = head
        .lines()
        .find(|l| l.contains("name=\"size::tests::parse_plain_bytes\"") && l.ends_with("/>"))
        .expect("the fixture has this passing test");
    assert!(base.contains("name=\"size::tests::parse_plain_bytes\""));
    let failure = "><failure message=\"thread &apos;size::tests::parse_plain_bytes&apos; (1) panicked at src/size.rs:40:9\" type=\"test failure with exit code 101\">thread &apos;size::tests::parse_plain_bytes&apos; (1) panicked at src/size.rs:40:9:\nassertion `left == right` failed\n  left: Some(1000)\n right: Some(1024)</failure></testcase>";
    let failing = format!("{}{failure}", line.strip_suffix("/>").unwrap());
    let tmp = tempfile::tempdir().unwrap();
    let head_path = tmp.path().join("head.xml");
    std::fs::write(&head_path, head.replacen(line, &failing, 1)).unwrap();
    let (_, report) = compare(&dir.join("base/run-1.xml"), &head_path, &[]);
    let item = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "size::tests::parse_plain_bytes")
        .unwrap();
    assert_eq!(item["verdict"], "regression", "{item}");
    assert_eq!(item["suspect_environment"], true, "{item}");
}

/// The new formats go through the store like any other: recorded, then compared by selector.
#[test]
fn cargo_text_and_gtest_json_round_trip_through_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let store_arg = store.display().to_string();
    let gtest =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ingest/gtest-json/gtest.json");
    let text = root().join("rust/erofs/base/run-1.txt");
    for (file, branch, executed) in [(&gtest, "gtest", 12), (&text, "cargo", 30)] {
        let (code, _, err) = common::run_in_process(
            [
                "regdiff",
                "record",
                &file.display().to_string(),
                "--branch",
                branch,
                "--commit",
                "abc1234",
                "--store",
                &store_arg,
            ]
            .map(String::from)
            .to_vec(),
        );
        assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
        let (code, report) = compare(Path::new(branch), file, &["--store", &store_arg]);
        assert_eq!(code, 0);
        let tests = report["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["kind"] == "test")
            .count();
        assert!(tests >= 14, "{branch}: {tests}");
        assert_eq!(report["summary"]["regression"], 0, "{branch}");
        assert_eq!(report["summary"]["environmental"], 0, "{branch}");
        // Every executed test is common to the stored run and the file: nothing was lost.
        assert_eq!(report["pass_rate"]["common"], executed, "{branch}");
    }
}

/// A fault that the base side had too is not a run-wide fault of head: the failures without a
/// cause are plain regressions, not suspect ones.
#[test]
fn a_fault_seen_on_base_too_marks_nothing_suspect() {
    let dir = root().join("rust/erofs");
    let base = std::fs::read_to_string(dir.join("base/run-1.xml")).unwrap();
    let line = base
        .lines()
        .find(|l| l.contains("name=\"size::tests::parse_plain_bytes\"") && l.ends_with("/>"))
        .unwrap();
    let failing = format!(
        "{}><failure message=\"thread &apos;x&apos; panicked at src/size.rs:1:1\" type=\"test failure with exit code 101\">thread &apos;x&apos; panicked at src/size.rs:1:1:\ncalled `Result::unwrap()` on an `Err` value: Os {{ code: 30, kind: ReadOnlyFilesystem, message: &quot;Read-only file system&quot; }}</failure></testcase>",
        line.strip_suffix("/>").unwrap()
    );
    let tmp = tempfile::tempdir().unwrap();
    let base_path = tmp.path().join("base.xml");
    std::fs::write(&base_path, base.replacen(line, &failing, 1)).unwrap();
    let (_, report) = compare(&base_path, &dir.join("head/run-1.xml"), &[]);
    let items: Vec<&Value> = report["items"].as_array().unwrap().iter().collect();
    let regressions: Vec<&&Value> = items
        .iter()
        .filter(|i| i["verdict"] == "regression")
        .collect();
    assert_eq!(regressions.len(), 7, "{}", report["summary"]);
    for r in regressions {
        assert!(r.get("suspect_environment").is_none(), "{r}");
    }
}
