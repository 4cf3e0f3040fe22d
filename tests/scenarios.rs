//! Acceptance over real test runs (jinja2 with pytest, semver with cargo-nextest), each
//! scenario with a `truth.json` of what changed and why (tests/fixtures/scenarios/, copied
//! from shared/fixtures/tests). For every scenario, `compare` runs in-process on all base and
//! head runs, and the verdicts are checked against the truth labels:
//!
//! * REGRESSION → regression (unless `also_environmental`), and never environmental;
//! * IMPROVEMENT → improvement; FLAKY → environmental (flaky);
//! * ENVIRONMENTAL → environmental where the evidence allows it; when it does not (a timeout
//!   alone is only a weak signal) the regression must name the possible cause;
//! * ADDED, REMOVED, RENAMED, NEWLY_SKIPPED → never regression or improvement; RENAMED is
//!   shown as renamed (probably) from the truth's old id, and the old id is not an item;
//! * tests the truth does not list did not change → unchanged; A/A → no regression at all.
//!
//! The confusion matrix (truth label × verdict) is printed (`cargo test -- --nocapture`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;

fn scenarios_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scenarios")
}

fn runs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    v.sort();
    v
}

/// Runs `regdiff compare` in-process and returns (exit code, parsed JSON report).
fn compare_json(base: &[PathBuf], head: &[PathBuf]) -> (u8, Value) {
    let mut args: Vec<String> = vec!["regdiff".into(), "compare".into()];
    for b in base {
        args.push("--base".into());
        args.push(b.display().to_string());
    }
    for h in head {
        args.push("--head".into());
        args.push(h.display().to_string());
    }
    args.extend(["--format", "json", "--gate", "--no-history"].map(String::from));
    let (code, out, err) = common::run_in_process(args);
    let json: Value = serde_json::from_slice(&out).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}); stderr: {}",
            String::from_utf8_lossy(&err)
        )
    });
    (code, json)
}

#[derive(Default)]
struct Matrix(BTreeMap<(String, String), usize>);

impl Matrix {
    fn add(&mut self, label: &str, verdict: &str) {
        *self.0.entry((label.into(), verdict.into())).or_default() += 1;
    }

    fn print(&self, title: &str) {
        let verdicts = [
            "regression",
            "improvement",
            "environmental",
            "inconclusive",
            "unchanged",
        ];
        let labels: std::collections::BTreeSet<&String> = self.0.keys().map(|(l, _)| l).collect();
        println!("\n{title}");
        println!(
            "{:<16} {}",
            "truth \\ verdict",
            verdicts.map(|v| format!("{v:>14}")).join("")
        );
        for l in labels {
            let row: String = verdicts
                .iter()
                .map(|v| {
                    format!(
                        "{:>14}",
                        self.0
                            .get(&(l.clone(), v.to_string()))
                            .copied()
                            .unwrap_or(0)
                    )
                })
                .collect();
            println!("{l:<16} {row}");
        }
    }
}

#[test]
fn every_scenario_matches_its_truth() {
    let root = scenarios_root();
    let mut total = Matrix::default();
    let mut failures: Vec<String> = Vec::new();
    let mut scenario_count = 0;
    let mut strong_named = 0;
    for project in ["jinja2", "semver"] {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join(project))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        for dir in dirs {
            scenario_count += 1;
            let name = format!("{project}/{}", dir.file_name().unwrap().to_string_lossy());
            let truth: Value =
                serde_json::from_slice(&std::fs::read(dir.join("truth.json")).unwrap()).unwrap();
            let (code, report) = compare_json(&runs(&dir.join("base")), &runs(&dir.join("head")));
            let items = common::test_items(&report);
            // Test durations are metrics: with one or two runs a side they may be
            // inconclusive, but no code change here touches them.
            for m in report["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|i| i["kind"] == "metric")
            {
                let v = m["verdict"].as_str().unwrap();
                if v == "regression" || v == "improvement" {
                    failures.push(format!("{name}: metric {} judged {v}", m["id"]));
                }
            }
            // Every head failure whose text (message, trace, captured output) names a strong
            // infrastructure rule is environmental, unless it was already failing on base.
            let rules = regdiff::attribute::rules::RuleSet::build(&[], true);
            for run in runs(&dir.join("head")) {
                let snap = regdiff::ingest::read_path(&run, Default::default())
                    .unwrap()
                    .remove(0);
                for t in snap.tests.iter().filter(|t| t.status.is_failure()) {
                    let Some(m) = t.last_attempt().and_then(|a| rules.match_failure(a)) else {
                        continue;
                    };
                    if rules.rules[m.rule].strength != regdiff::config::Strength::Strong {
                        continue;
                    }
                    strong_named += 1;
                    let verdict = items.get(&*t.id).map(|i| i["verdict"].as_str().unwrap());
                    let change = items.get(&*t.id).map(|i| i["change"].as_str().unwrap());
                    if verdict != Some("environmental") && change != Some("still_failing") {
                        failures.push(format!(
                            "{name}: {} names `{}` ({}) but is {verdict:?}",
                            t.id,
                            rules.rules[m.rule].name,
                            m.quoted()
                        ));
                    }
                }
            }
            let mut listed = std::collections::BTreeSet::new();
            let mut matrix = Matrix::default();
            for change in truth["changes"].as_array().unwrap() {
                let id = format!(
                    "{}::{}",
                    change["classname"].as_str().unwrap(),
                    change["name"].as_str().unwrap()
                );
                if let Some(from) = change.get("renamed_from") {
                    let old = format!(
                        "{}::{}",
                        from["classname"].as_str().unwrap(),
                        from["name"].as_str().unwrap()
                    );
                    if items.contains_key(&old) {
                        failures.push(format!(
                            "{name}: `{old}` was renamed: it is shown within its new id, not as an item of its own"
                        ));
                    }
                    listed.insert(old);
                }
                listed.insert(id.clone());
                let label = change["label"].as_str().unwrap();
                let also_env = change["also_environmental"].as_bool().unwrap_or(false);
                let Some(item) = items.get(&id) else {
                    // Absent on both sides' files (nextest leaves ignored tests out): the
                    // truth counts it, the report cannot.
                    matrix.add(label, "(absent)");
                    continue;
                };
                let verdict = item["verdict"].as_str().unwrap();
                let change_kind = item["change"].as_str().unwrap();
                matrix.add(label, verdict);
                let fail = |why: &str| {
                    format!("{name}: {id}: truth {label}, got {verdict}/{change_kind}: {why}")
                };
                match label {
                    "REGRESSION" => {
                        if verdict == "environmental" {
                            failures
                                .push(fail("a regression must never be excused as environmental"));
                        } else if verdict != "regression" && !also_env {
                            failures.push(fail("expected regression"));
                        }
                    }
                    "IMPROVEMENT" if verdict != "improvement" => {
                        failures.push(fail("expected improvement"))
                    }
                    "FLAKY" if verdict != "environmental" || change_kind != "flaky" => {
                        failures.push(fail("expected environmental (flaky)"))
                    }
                    "ENVIRONMENTAL" => {
                        let names_cause = item["evidence"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|e| e["rule"] == "possible_cause");
                        match verdict {
                            "environmental" => {}
                            "regression" if names_cause => {}
                            _ => failures.push(fail(
                                "expected environmental, or a regression that names its possible cause",
                            )),
                        }
                    }
                    "RENAMED"
                        if change_kind != "renamed"
                            || item["renamed_from"].as_str()
                                != change
                                    .get("renamed_from")
                                    .map(|f| {
                                        format!(
                                            "{}::{}",
                                            f["classname"].as_str().unwrap(),
                                            f["name"].as_str().unwrap()
                                        )
                                    })
                                    .as_deref() =>
                    {
                        failures.push(fail("expected renamed (probably), from the truth's old id"))
                    }
                    "ADDED" | "REMOVED" | "RENAMED" | "NEWLY_SKIPPED"
                        if verdict == "regression" || verdict == "improvement" =>
                    {
                        failures.push(fail(
                            "a change of the test set is not a regression or improvement",
                        ))
                    }
                    _ => {}
                }
            }
            // Whatever the truth does not list did not change.
            for (id, item) in &items {
                if listed.contains(id) {
                    continue;
                }
                let verdict = item["verdict"].as_str().unwrap();
                matrix.add("(not listed)", verdict);
                if verdict != "unchanged" {
                    failures.push(format!("{name}: {id}: not in the truth, got {verdict}"));
                }
            }
            let test_regressions = items
                .values()
                .filter(|i| i["verdict"] == "regression")
                .count();
            if name.ends_with("a_aa") && test_regressions != 0 {
                failures.push(format!("{name}: an A/A comparison reports regressions"));
            }
            let regressions = report["summary"]["regression"].as_u64().unwrap();
            assert_eq!(
                regressions as usize, test_regressions,
                "{name}: no metric regressions"
            );
            let expected_code = if regressions > 0 || report["pass_rate"]["verdict"] == "regression"
            {
                1
            } else {
                0
            };
            if code != expected_code {
                failures.push(format!(
                    "{name}: exit status {code}, expected {expected_code}"
                ));
            }
            matrix.print(&format!("{name} (exit {code})"));
            for (k, v) in matrix.0 {
                *total.0.entry(k).or_default() += v;
            }
        }
    }
    total.print(&format!("all {scenario_count} scenarios"));
    println!("{strong_named} head failure(s) name a strong infrastructure rule");
    assert_eq!(scenario_count, 14);
    assert!(
        failures.is_empty(),
        "{} problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
