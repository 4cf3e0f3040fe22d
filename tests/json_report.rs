//! The JSON report of a large comparison is written compactly, with its test items written
//! by hand (`report::json::write_report_compact`): the bytes must be serde's, on real
//! comparisons with every kind of item (tests of every change, metrics, renames, messages
//! and their diffs, warnings, environment differences).

use std::path::Path;

#[path = "../benches/support/mod.rs"]
mod support;

use regdiff::align::Run;
use regdiff::ingest::{ReadOptions, read_path};
use regdiff::model::Snapshot;

fn read_text(dir: &Path, name: &str, text: &str) -> Vec<Snapshot> {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    runs(&p)
}

fn runs(dir: &Path) -> Vec<Snapshot> {
    read_path(dir, ReadOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn report(base: &[Snapshot], head: &[Snapshot]) -> regdiff::report::Report {
    let config = regdiff::config::Config::default();
    fn side(s: &[Snapshot]) -> Vec<Run<'_>> {
        let ids = ["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"];
        s.iter()
            .zip(ids)
            .map(|(snapshot, id)| Run { id, snapshot })
            .collect()
    }
    let inputs = regdiff::pipeline::Inputs {
        base: side(base),
        head: side(head),
        history: Default::default(),
        config: &config,
        changed_files: None,
        gate: None,
        warnings: vec!["a warning with \"quotes\" and a\ttab".into()],
    };
    regdiff::pipeline::analyse(&inputs)
}

#[test]
fn a_compact_report_is_serdes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pairs = Vec::new();
    for dir in [
        "baselines/examples",
        "tests/fixtures/scenarios/jinja2",
        "tests/fixtures/scenarios/semver",
    ] {
        let mut found: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.join("base").is_dir() && p.join("head").is_dir())
            .collect();
        found.sort();
        pairs.extend(found);
    }
    assert!(pairs.len() >= 10, "{pairs:?}");
    let mut sides: Vec<(String, Vec<Snapshot>, Vec<Snapshot>)> = pairs
        .iter()
        .map(|p| {
            (
                p.display().to_string(),
                runs(&p.join("base")),
                runs(&p.join("head")),
            )
        })
        .collect();
    // Generated: test durations judged against their group's spread, Go benchmarks with
    // samples, and two runs a side.
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // Large enough for the writer's windows of items (16,384) to come more than once.
    let (j1, j2) = (
        support::junit_report(20_000, 1),
        support::junit_report(20_000, 2),
    );
    sides.push((
        "junit".into(),
        read_text(d, "j1.xml", &j1),
        read_text(d, "j2.xml", &j2),
    ));
    let mut two = read_text(d, "j1b.xml", &support::junit_report(3_000, 1));
    two.extend(read_text(d, "j2b.xml", &support::junit_report(3_000, 2)));
    sides.push(("junit, two runs a side".into(), two.clone(), two));
    sides.push((
        "go".into(),
        read_text(d, "base.txt", &support::go_bench_text(300, 10, false, 7)),
        read_text(d, "head.txt", &support::go_bench_text(300, 10, true, 7)),
    ));
    let mut kinds = std::collections::BTreeSet::new();
    let mut windows = 0;
    for (pair, base, head) in &sides {
        // Each way round: a fix is a break read backwards.
        for (b, h) in [(&base, &head), (&head, &base)] {
            let r = report(b, h);
            let mut mine = Vec::new();
            regdiff::report::json::write_report_compact(&mut mine, &r).unwrap();
            let mut theirs = serde_json::to_vec(&r).unwrap();
            theirs.push(b'\n');
            assert!(
                mine == theirs,
                "{pair}: the hand-written report differs from serde's"
            );
            let v: serde_json::Value = serde_json::from_slice(&mine).unwrap();
            windows = windows.max(v["items"].as_array().unwrap().len() / 16_384);
            for item in v["items"].as_array().unwrap() {
                kinds.insert(format!("{} {}", item["kind"], item["change"]));
                if item["kind"] == "metric" {
                    kinds.insert(format!("noise {}", item["noise"]["source"]));
                }
                for key in ["message", "base_message", "message_diff", "renamed_from"] {
                    if !item[key].is_null() {
                        kinds.insert(key.to_string());
                    }
                }
            }
        }
    }
    assert!(windows >= 2, "no report spans three windows of items");
    // The comparisons hold what the writer must get right.
    for want in [
        "\"test\" \"broke\"",
        "\"test\" \"fixed\"",
        "\"test\" \"added\"",
        "\"test\" \"removed\"",
        "\"metric\" \"slower\"",
        "\"metric\" \"faster\"",
        "noise \"spread\"",
        "noise \"runs\"",
        "message",
        "base_message",
    ] {
        assert!(kinds.contains(want), "no {want} among {kinds:?}");
    }
}
