//! JUnit dialects: every file under tests/fixtures/ingest/junit/ is read and checked against
//! `expected.json`, whose counts come from each producer's own console summary (see the
//! README beside the fixtures: pytest, pytest-rerunfailures, cargo-nextest, jest-junit,
//! gotestsum, CTest, Google Test and PHPUnit files are real output; Surefire, Gradle, Bazel
//! and the edge cases are hand-written after their documentation or source).
//! The normalised snapshot of each file is also pinned with insta.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regdiff::ingest::{ReadOptions, read_path};
use regdiff::model::{Snapshot, Status};
use serde_json::Value;

mod common;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ingest/junit")
}

fn expected() -> Value {
    serde_json::from_slice(&std::fs::read(dir().join("expected.json")).unwrap()).unwrap()
}

fn read(name: &str) -> Result<Snapshot, String> {
    read_path(&dir().join(name), ReadOptions::default())
        .map(|mut v| v.remove(0))
        .map_err(|e| e.to_string())
}

fn status_name(s: Status) -> &'static str {
    s.as_str()
}

/// pytest-rerunfailures cannot tell failed from errored in earlier attempts (it writes them
/// without any failure element), so those compare as "did not pass".
fn same_outcome(got: &str, want: &str, lenient: bool) -> bool {
    got == want || (lenient && got != "passed" && want != "passed" && got != "skipped")
}

#[test]
fn every_fixture_reads_as_its_producer_reported() {
    let exp = expected();
    let files = exp["files"].as_object().unwrap();
    let mut problems = Vec::new();
    let mut checked = 0;
    for (name, want) in files {
        checked += 1;
        let result = read(name);
        if want["parse"] == "error" {
            match result {
                Ok(s) => problems.push(format!(
                    "{name}: read {} tests, expected an error",
                    s.tests.len()
                )),
                Err(e) => {
                    if !e.contains(name.as_str()) {
                        problems.push(format!("{name}: the error does not name the file: {e}"));
                    }
                }
            }
            continue;
        }
        let snap = match result {
            Ok(s) => s,
            Err(e) => {
                problems.push(format!("{name}: {e}"));
                continue;
            }
        };
        // Same id in two suites: regdiff qualifies the ids (the README's alternative reading).
        let qualified = name == "edge-same-name-two-suites.xml";
        let count = |s: Status| snap.tests.iter().filter(|t| t.status == s).count() as u64;
        let attempts: u64 = snap.tests.iter().map(|t| t.attempts.len() as u64).sum();
        // What the file cannot show: retries some producers leave no trace of (jest
        // `retryTimes`, ctest `--repeat`), and outcomes written exactly like another (a jest
        // `test.todo` is a bare passing <testcase>). `extras` lists those tests with what the
        // file says; the console's counts are moved accordingly, never guessed.
        let extras = &want["extras"];
        let retries_hidden = extras["retries_visible_in_file"] == Value::Bool(false);
        let mut as_written: BTreeMap<String, String> = extras
            .get("statuses_as_written")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        // A jest todo is told apart when its suite's `tests` count leaves out exactly the
        // empty zero-time cases: then the console's status is expected.
        if snap.warnings.iter().any(|w| w.contains("read as todo")) {
            for id in extras["todo"].as_array().into_iter().flatten() {
                as_written.remove(id.as_str().unwrap());
            }
        }
        let (tests, passed, failed, errored, skipped, total_attempts) = if qualified {
            (4, 3, 1, 0, 0, 4)
        } else {
            let mut by_status: BTreeMap<&str, u64> = ["passed", "failed", "errored", "skipped"]
                .iter()
                .map(|k| (*k, want[*k].as_u64().unwrap()))
                .collect();
            for (id, written) in &as_written {
                let console = want["statuses"][id.as_str()].as_str().unwrap();
                *by_status.get_mut(console).unwrap() -= 1;
                *by_status.get_mut(written.as_str()).unwrap() += 1;
            }
            (
                want["tests"].as_u64().unwrap(),
                by_status["passed"],
                by_status["failed"],
                by_status["errored"],
                by_status["skipped"],
                if retries_hidden {
                    extras["testcase_elements"].as_u64().unwrap()
                } else {
                    want["total_attempts"].as_u64().unwrap()
                },
            )
        };
        let got = (
            snap.tests.len() as u64,
            count(Status::Passed),
            count(Status::Failed),
            count(Status::Errored),
            count(Status::Skipped),
            attempts,
        );
        if got != (tests, passed, failed, errored, skipped, total_attempts) {
            problems.push(format!(
                "{name}: (tests, passed, failed, errored, skipped, attempts) = {got:?}, expected {:?}",
                (tests, passed, failed, errored, skipped, total_attempts)
            ));
        }
        if !qualified {
            let by_id: BTreeMap<&str, _> = snap.tests.iter().map(|t| (&*t.id, t)).collect();
            let lenient = name == "pytest-rerunfailures.xml";
            for m in want["multi_attempt"].as_array().unwrap() {
                let id = m["id"].as_str().unwrap();
                let Some(t) = by_id.get(id) else {
                    problems.push(format!("{name}: no test `{id}`"));
                    continue;
                };
                let key = if retries_hidden && m.get("attempts_as_written").is_some() {
                    "attempts_as_written"
                } else {
                    "attempts"
                };
                let want_seq: Vec<&str> = m[key]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap())
                    .collect();
                let got_seq: Vec<&str> = t.attempts.iter().map(|a| status_name(a.status)).collect();
                let ok = want_seq.len() == got_seq.len()
                    && want_seq
                        .iter()
                        .zip(&got_seq)
                        .all(|(w, g)| same_outcome(g, w, lenient));
                if !ok {
                    problems.push(format!(
                        "{name}: `{id}` attempts {got_seq:?}, expected {want_seq:?}"
                    ));
                }
                if let Some(durations) = m.get("attempt_durations_s").and_then(Value::as_array) {
                    let got_d: Vec<Option<f64>> = t.attempts.iter().map(|a| a.duration_s).collect();
                    let want_d: Vec<Option<f64>> = durations.iter().map(Value::as_f64).collect();
                    if got_d != want_d {
                        problems.push(format!(
                            "{name}: `{id}` attempt durations {got_d:?}, expected {want_d:?}"
                        ));
                    }
                }
            }
            if let Some(statuses) = want.get("statuses").and_then(Value::as_object) {
                for (id, st) in statuses {
                    let st = as_written
                        .get(id)
                        .map(String::as_str)
                        .unwrap_or_else(|| st.as_str().unwrap());
                    match by_id.get(id.as_str()) {
                        Some(t) if t.status.as_str() == st => {}
                        Some(t) => {
                            problems.push(format!("{name}: `{id}` is {}, expected {st}", t.status))
                        }
                        None => problems.push(format!("{name}: no test `{id}`")),
                    }
                }
            }
            if let Some(durations) = want.get("durations_s").and_then(Value::as_object) {
                for (id, d) in durations {
                    let got = by_id.get(id.as_str()).and_then(|t| t.duration_s);
                    if got != d.as_f64() {
                        problems.push(format!("{name}: `{id}` duration {got:?}, expected {d}"));
                    }
                }
            }
        }
        if want["parse"] == "ok-lenient" && snap.warnings.is_empty() {
            problems.push(format!("{name}: repaired damage without a warning"));
        }
    }
    assert!(checked >= 20, "only {checked} fixtures checked");
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn entities_cdata_and_output_are_decoded() {
    let snap = read("edge-entities-cdata.xml").unwrap();
    let exp = expected();
    let want = &exp["files"]["edge-entities-cdata.xml"];
    let t = snap
        .tests
        .iter()
        .find(|t| &*t.id == "ent.Suite::cdata_failure")
        .unwrap();
    let a = t.last_attempt().unwrap();
    assert_eq!(
        a.message(),
        want["failure_message"]["ent.Suite::cdata_failure"].as_str()
    );
    assert_eq!(a.kind(), Some("AssertionError"));
    assert_eq!(
        a.trace().map(str::trim),
        want["failure_body"]["ent.Suite::cdata_failure"]
            .as_str()
            .map(str::trim)
    );
    assert_eq!(
        a.stdout(),
        want["system_out"]["ent.Suite::cdata_failure"].as_str()
    );
}

#[test]
fn properties_and_tags_keep_every_value() {
    let snap = read("edge-properties.xml").unwrap();
    let t = snap
        .tests
        .iter()
        .find(|t| &*t.id == "props.Suite::with_repeated_tag")
        .unwrap();
    assert_eq!(*t.tags, vec!["smoke", "db"]);
    assert_eq!(t.properties["owner"], "team-a");
    let csv = snap
        .tests
        .iter()
        .find(|t| &*t.id == "props.Suite::with_tags_csv")
        .unwrap();
    assert_eq!(*csv.tags, vec!["slow", "network"]);
    let text = snap
        .tests
        .iter()
        .find(|t| &*t.id == "props.Suite::with_text_value")
        .unwrap();
    assert_eq!(
        text.properties["description"],
        "multi-line\nproperty value as element text"
    );
    assert!(snap.properties.values().any(|v| v == "4711"));
}

#[test]
fn truncated_file_error_names_line_and_column() {
    let e = read("edge-truncated.xml").unwrap_err();
    // `path:line:column: message`
    let after = e
        .split("edge-truncated.xml:")
        .nth(1)
        .expect("names the file");
    let mut parts = after.splitn(3, ':');
    assert!(parts.next().unwrap().parse::<u64>().is_ok(), "{e}");
    assert!(parts.next().unwrap().parse::<u64>().is_ok(), "{e}");
}

#[test]
fn wrong_files_say_what_was_expected() {
    assert!(read("edge-empty.xml").unwrap_err().contains("empty"));
    assert!(
        read("edge-html-root.xml")
            .unwrap_err()
            .contains("root element is <html>")
    );
    assert!(
        read("edge-not-xml.xml")
            .unwrap_err()
            .contains("not a regdiff snapshot")
    );
}

#[test]
fn normalised_snapshots() {
    insta::glob!("fixtures/ingest/junit/*.xml", |path| {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        match read_path(path, ReadOptions::default()) {
            Ok(mut snaps) => {
                let mut s = snaps.remove(0);
                s.sources.clear();
                s.warnings = s
                    .warnings
                    .iter()
                    .map(|w| w.replace(&dir().display().to_string(), "<fixtures>"))
                    .collect();
                insta::assert_json_snapshot!(s);
                common::round_trips(&s);
            }
            Err(e) => {
                let msg = e
                    .to_string()
                    .replace(&dir().display().to_string(), "<fixtures>");
                insta::assert_snapshot!(format!("{name}: {msg}"));
            }
        }
    });
}

#[test]
fn huge_system_out_is_kept_bounded_with_a_warning() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.xml");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    write!(f, "<testsuites><testsuite name=\"s\"><testcase classname=\"c\" name=\"noisy\" time=\"1\"><system-out>").unwrap();
    let line: &[u8] = b"a log line with \x1b[31mcolour\x1b[0m and a stray byte \xff...\n";
    let mut written = 0;
    while written < 12 << 20 {
        f.write_all(line).unwrap();
        written += line.len();
    }
    write!(f, "last line</system-out></testcase><testcase classname=\"c\" name=\"after\"/></testsuite></testsuites>").unwrap();
    drop(f);
    let snap = read_path(&path, ReadOptions::default()).unwrap().remove(0);
    assert_eq!(
        snap.tests.len(),
        2,
        "the test after the huge output is still read"
    );
    let out = snap.tests[0].attempts[0].stdout().unwrap();
    assert!(out.len() < 64 << 10, "kept {} bytes", out.len());
    assert!(out.ends_with("last line"), "the end of the output is kept");
    assert!(out.contains("regdiff left out"));
    let w = snap.warnings.join("\n");
    assert!(w.contains("too long to keep"), "{w}");
    assert!(w.contains("control character"), "{w}");
    assert!(w.contains("invalid UTF-8"), "{w}");
}
