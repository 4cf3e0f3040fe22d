//! The JSON report of a large comparison is written compactly, with its test items written
//! by hand (`report::json::write_report_compact`): the bytes must be serde's, on real
//! comparisons with every kind of item (tests of every change, metrics, renames, messages
//! and their diffs, warnings, environment differences).

use std::path::Path;

use regdiff::align::Run;
use regdiff::ingest::{ReadOptions, read_path};
use regdiff::model::Snapshot;

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
    let mut kinds = std::collections::BTreeSet::new();
    for pair in &pairs {
        let (base, head) = (runs(&pair.join("base")), runs(&pair.join("head")));
        // Each way round: a fix is a break read backwards.
        for (b, h) in [(&base, &head), (&head, &base)] {
            let r = report(b, h);
            let mut mine = Vec::new();
            regdiff::report::json::write_report_compact(&mut mine, &r).unwrap();
            let mut theirs = serde_json::to_vec(&r).unwrap();
            theirs.push(b'\n');
            assert!(
                mine == theirs,
                "{}: the hand-written report differs from serde's",
                pair.display()
            );
            let v: serde_json::Value = serde_json::from_slice(&mine).unwrap();
            for item in v["items"].as_array().unwrap() {
                kinds.insert(format!("{} {}", item["kind"], item["change"]));
                for key in ["message", "base_message", "message_diff", "renamed_from"] {
                    if !item[key].is_null() {
                        kinds.insert(key.to_string());
                    }
                }
            }
        }
    }
    // The comparisons hold what the writer must get right.
    for want in [
        "\"test\" \"broke\"",
        "\"test\" \"fixed\"",
        "\"test\" \"added\"",
        "\"test\" \"removed\"",
        "\"metric\" \"slower\"",
        "message",
        "base_message",
    ] {
        assert!(kinds.contains(want), "no {want} among {kinds:?}");
    }
}
