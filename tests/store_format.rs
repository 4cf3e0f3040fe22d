//! The store's snapshot files: the JSON Lines encoding written today, the one-document JSON
//! of earlier versions read beside it, and the catalog (`list`) that reads only the first and
//! last lines of each file, never hiding or inventing a run.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn regdiff(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("regdiff").unwrap();
    c.current_dir(dir);
    c
}

const JUNIT: &str = r#"<testsuite name="s"><testcase classname="a.B" name="ok" time="0.5"/>
<testcase classname="a.B" name="bad" time="1.5"><failure message="boom">trace</failure></testcase>
<testcase classname="a.B" name="skip"><skipped/></testcase></testsuite>"#;

fn list_json(dir: &Path, store: &str) -> serde_json::Value {
    let out = regdiff(dir)
        .args(["list", "--store", store, "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A snapshot stored by an earlier version (one JSON document, `.json`) is listed, selected
/// and compared beside the runs stored today, with its id kept.
#[test]
fn snapshots_of_the_earlier_format_stay_readable_beside_new_ones() {
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("st");
    std::fs::create_dir_all(&store).unwrap();
    let old = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "baselines/examples/websocket-auth/store/20261119T090540Z-main-7e2f9a31c0d4-9e962819.json",
    );
    std::fs::copy(&old, store.join(old.file_name().unwrap())).unwrap();
    std::fs::write(d.path().join("junit.xml"), JUNIT).unwrap();
    regdiff(d.path())
        .args([
            "record",
            "junit.xml",
            "--store",
            "st",
            "--branch",
            "dev",
            "--commit",
            "c0ffee",
            "--no-env",
        ])
        .assert()
        .code(0);
    let names: Vec<String> = std::fs::read_dir(&store)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names.iter().filter(|n| n.ends_with(".jsonl")).count(),
        1,
        "{names:?}"
    );
    assert_eq!(
        names.iter().filter(|n| n.ends_with(".json")).count(),
        1,
        "{names:?}"
    );
    let listed = list_json(d.path(), "st");
    let runs = listed.as_array().unwrap();
    assert_eq!(runs.len(), 2);
    let old_run = runs
        .iter()
        .find(|r| r["id"] == "20261119T090540Z-main-7e2f9a31c0d4-9e962819")
        .expect("the old snapshot keeps its id");
    assert_eq!(old_run["tests"], 5);
    assert_eq!(old_run["metrics"], 0);
    let new_run = runs.iter().find(|r| r["run"]["branch"] == "dev").unwrap();
    assert_eq!(new_run["tests"], 3);
    // Both formats read whole, by selector.
    regdiff(d.path())
        .args(["show", "--store", "st", "main", "--format", "json"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "\"schema\": \"regdiff.snapshot/1\"",
        ))
        .stdout(predicate::str::contains("test_health_check"));
    let shown = regdiff(d.path())
        .args(["show", "--store", "st", "dev", "--format", "json"])
        .output()
        .unwrap();
    let snap: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(snap["tests"][1]["attempts"][0]["message"], "boom");
    assert_eq!(snap["tests"][2]["status"], "skipped");
    // A stored `.jsonl` file is also an input of its own.
    let file = store.join(names.iter().find(|n| n.ends_with(".jsonl")).unwrap());
    regdiff(d.path())
        .args(["compare", "--store", "st", "--base", "dev", "--head"])
        .arg(&file)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("3 unchanged"));
    regdiff(d.path())
        .args(["store", "check", "--store", "st"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "2 snapshot(s) checked, 0 problem(s)",
        ));
}

/// `list` reads only the first and last lines: a run whose rows were damaged is still listed
/// (`store check` and the comparison that reads it say what is wrong), and a file cut short
/// (no end line) is reported as unreadable, never listed with made-up counts.
#[test]
fn the_catalog_never_hides_or_invents_a_run() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("junit.xml"), JUNIT).unwrap();
    for c in ["a1", "a2", "a3"] {
        regdiff(d.path())
            .args([
                "record",
                "junit.xml",
                "--store",
                "st",
                "--branch",
                "main",
                "--commit",
                c,
                "--no-env",
            ])
            .assert()
            .code(0);
    }
    let store = d.path().join("st");
    let mut files: Vec<_> = std::fs::read_dir(&store)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(list_json(d.path(), "st").as_array().unwrap().len(), 3);
    // Damage the rows of the first: listed, but the comparison reading it says why it fails.
    let text = std::fs::read_to_string(&files[0]).unwrap();
    std::fs::write(&files[0], text.replacen("\"s\":\"f\"", "\"s\":\"?\"", 1)).unwrap();
    assert_eq!(list_json(d.path(), "st").as_array().unwrap().len(), 3);
    regdiff(d.path())
        .args([
            "compare",
            "--store",
            "st",
            "--base",
            "main[3]",
            "--head",
            "junit.xml",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("a test row needs a status"));
    regdiff(d.path())
        .args(["store", "check", "--store", "st"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("1 problem(s)"));
    // Cut the second short: not listed, reported with its file and why.
    let bytes = std::fs::read(&files[1]).unwrap();
    std::fs::write(&files[1], &bytes[..bytes.len() / 2]).unwrap();
    let out = regdiff(d.path())
        .args(["list", "--store", "st", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cut short"), "{err}");
    assert!(
        err.contains(&*files[1].file_name().unwrap().to_string_lossy()),
        "{err}"
    );
}
