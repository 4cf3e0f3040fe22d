//! Inputs the fuzzers (fuzz/, `cargo fuzz`) found to crash, hang or exhaust memory, kept
//! after the fix: each must now read into a bounded run or a clear error naming the file.
//! Files live in tests/fixtures/fuzz/<target>/, where <target> is the fuzz target's name.

use std::path::Path;

use regdiff::ingest::{Format, ReadOptions, read_path};

fn format_of(target: &str) -> Option<Format> {
    match target {
        "detect" => None,
        "junit" => Some(Format::Junit),
        "tap" => Some(Format::Tap),
        "gotest" => Some(Format::GoTest),
        "snapshot" => Some(Format::Snapshot),
        "gbench" => Some(Format::GoogleBenchmark),
        "gobench" => Some(Format::GoBench),
        "hyperfine" => Some(Format::Hyperfine),
        "pytest_benchmark" => Some(Format::PytestBenchmark),
        "metrics" => Some(Format::Metrics),
        "pytest_json" => Some(Format::PytestJson),
        "libtest" => Some(Format::Libtest),
        "ctrf" => Some(Format::Ctrf),
        other => panic!("tests/fixtures/fuzz/{other}: no fuzz target of that name"),
    }
}

#[test]
fn every_kept_fuzz_case_reads_or_fails_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    let mut checked = 0;
    for target in std::fs::read_dir(&root).unwrap() {
        let target = target.unwrap().path();
        let name = target.file_name().unwrap().to_string_lossy().into_owned();
        let format = format_of(&name);
        for case in std::fs::read_dir(&target).unwrap() {
            let case = case.unwrap().path();
            let opts = ReadOptions {
                format,
                ..ReadOptions::default()
            };
            match read_path(&case, opts) {
                Ok(runs) => {
                    for run in runs {
                        // Bounded: no input of a few kilobytes becomes a huge run.
                        assert!(
                            run.tests.len() <= 20_000,
                            "{}: {} tests",
                            case.display(),
                            run.tests.len()
                        );
                    }
                }
                Err(e) => {
                    let text = e.to_string();
                    let file = case.file_name().unwrap().to_string_lossy();
                    assert!(text.contains(file.as_ref()), "{text}");
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 1, "no fuzz cases found under {}", root.display());
}

#[test]
fn a_corrupt_huge_tap_plan_is_bounded_and_reported() {
    let case =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz/detect/tap-huge-plan.tap");
    let run = read_path(&case, ReadOptions::default()).unwrap().remove(0);
    // The plan inside a subtest says 1..301103677376781405: 10 000 single tests, then one
    // standing for the rest of the range.
    let range = run
        .tests
        .iter()
        .find(|t| t.name.starts_with("tests ") && t.name.ends_with("..301103677376781405"));
    assert!(
        range.is_some(),
        "{:?}",
        run.tests
            .iter()
            .map(|t| &t.name)
            .take(20)
            .collect::<Vec<_>>()
    );
    assert!(run.tests.len() <= 10_020, "{}", run.tests.len());
    assert!(
        run.warnings
            .iter()
            .any(|w| w.contains("missing test(s) counted as errors"))
    );
}
