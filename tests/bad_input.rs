//! Bad input, format by format: an empty file, a file cut off part-way, and a file of another
//! format given with an explicit `--input-format`. Each is a clear error naming the file (and
//! the line and column where there is one) with exit status 2, never a panic and never an
//! empty run. Streams (TAP, go test -json, libtest) cut off between lines are not errors:
//! what they hold is real, and the tests they planned or started but never finished are
//! errored tests (see tests/ingest_formats.rs); cut inside a line, the JSON event streams are
//! errors too. TAP has no syntax a cut can break: a cut TAP stream is read with the tests its
//! plan promised and it never printed counted as errored, and a warning at the cut.

use std::path::{Path, PathBuf};

mod common;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// `regdiff show --input-format FORMAT PATH`: (exit status, standard error).
fn show(format: Option<&str>, path: &Path) -> (u8, String) {
    let mut args = vec!["regdiff".to_string(), "show".to_string()];
    if let Some(f) = format {
        args.push("--input-format".into());
        args.push(f.into());
    }
    args.push(path.display().to_string());
    let (code, _, err) = common::run_in_process(args);
    (code, String::from_utf8(err).unwrap())
}

/// A valid input of each file format, by its `--input-format` name.
const VALID: &[(&str, &str)] = &[
    ("junit", "tests/fixtures/ingest/junit/pytest-xunit2.xml"),
    ("tap", "tests/fixtures/ingest/tap/calc.tap"),
    ("go-test-json", "tests/fixtures/ingest/gotest/run.json"),
    ("libtest-json", "tests/fixtures/ingest/libtest/libtest.json"),
    (
        "pytest-json",
        "tests/fixtures/ingest/pytest-json/report.json",
    ),
    ("ctrf", "tests/fixtures/ingest/ctrf/ctrf-report.json"),
    (
        "pytest-benchmark",
        "tests/fixtures/perf/pytest-benchmark/aa/base/benchmark.json",
    ),
    (
        "google-benchmark",
        "tests/fixtures/perf/google-benchmark/history/commit-01/benchmark.json",
    ),
    (
        "hyperfine",
        "tests/fixtures/perf/hyperfine/aa/base/hyperfine.json",
    ),
    (
        "metrics",
        "baselines/examples/websocket-auth/base/metrics.json",
    ),
];

/// Formats whose files are one document: any cut is an error with a position.
fn is_document(format: &str) -> bool {
    !matches!(format, "tap" | "go-test-json" | "libtest-json")
}

fn has_position(err: &str, name: &str) -> bool {
    let re = regex::Regex::new(&format!(r"{}:\d+:\d+: ", regex::escape(name))).unwrap();
    re.is_match(err)
}

#[test]
fn every_format_rejects_empty_truncated_and_foreign_files_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    for (format, rel) in VALID {
        let bytes = std::fs::read(fixture(rel)).unwrap();
        // Valid: read (the control for the cases below).
        let (code, err) = show(Some(format), &fixture(rel));
        if code != 0 {
            problems.push(format!("{format}: the valid file fails: {err}"));
        }
        // Empty.
        let empty = common::write(dir.path(), &format!("empty-{format}"), "");
        let (code, err) = show(Some(format), &empty);
        if code != 2 || !err.contains(&format!("empty-{format}: the file is empty")) {
            problems.push(format!("{format} empty: exit {code}: {err}"));
        }
        // Cut inside a line, 60% of the way through.
        let mut cut = bytes.len() * 6 / 10;
        while bytes[cut - 1] == b'\n' || bytes[cut] == b'\n' {
            cut -= 1;
        }
        let name = format!("cut-{format}");
        let truncated = dir.path().join(&name);
        std::fs::write(&truncated, &bytes[..cut]).unwrap();
        if *format == "tap" {
            let (code, out, _) = common::run_in_process([
                "regdiff",
                "show",
                "--input-format",
                "tap",
                truncated.to_str().unwrap(),
            ]);
            let out = String::from_utf8(out).unwrap();
            let warned = out.contains("cut-tap:")
                && out.contains("planned 7 tests but the stream ended after")
                && out.contains("missing test(s) counted as errors");
            if code != 0 || !warned {
                problems.push(format!("tap cut: exit {code}: {out}"));
            }
        } else {
            let (code, err) = show(Some(format), &truncated);
            if code != 2 || !has_position(&err, &name) {
                problems.push(format!("{format} cut: exit {code}: {err}"));
            }
        }
        // Another format's file under this format's name.
        let foreign = if *format == "junit" {
            fixture("tests/fixtures/ingest/ctrf/ctrf-report.json")
        } else {
            fixture("tests/fixtures/ingest/junit/pytest-xunit2.xml")
        };
        let foreign_name = foreign.file_name().unwrap().to_string_lossy().into_owned();
        let (code, err) = show(Some(format), &foreign);
        let placed = !is_document(format) || has_position(&err, &foreign_name);
        if code != 2 || !err.contains(&foreign_name) || !placed {
            problems.push(format!("{format} given {foreign_name}: exit {code}: {err}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_foreign_json_file_is_not_read_as_junit() {
    let (code, err) = show(
        Some("junit"),
        &fixture("tests/fixtures/ingest/ctrf/ctrf-report.json"),
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("ctrf-report.json:1:1: text `{") && err.contains("not an XML document"),
        "{err}"
    );
}

#[test]
fn detection_rejects_empty_and_unknown_files_listing_what_it_tried() {
    let dir = tempfile::tempdir().unwrap();
    let empty = common::write(dir.path(), "empty.xml", "  \n");
    let (code, err) = show(None, &empty);
    assert_eq!(code, 2);
    assert!(err.contains("empty.xml: the file is empty"), "{err}");
    let png = dir.path().join("shot.png");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    let (code, err) = show(None, &png);
    assert_eq!(code, 2);
    assert!(
        err.contains("shot.png: not a known input format (tried: JUnit XML; TAP; go test -json; libtest or nextest JSON; cargo test text; pytest-json-report; CTRF JSON; Google Test JSON"),
        "{err}"
    );
}

#[test]
fn go_bench_snapshot_and_criterion_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    // Go benchmark text: empty, and a file with no benchmark line.
    let empty = common::write(dir.path(), "bench.txt", "");
    let (code, err) = show(Some("go-bench"), &empty);
    assert!(
        code == 2 && err.contains("bench.txt: the file is empty"),
        "{err}"
    );
    let prose = common::write(dir.path(), "notes.txt", "hello\nworld\n");
    let (code, err) = show(Some("go-bench"), &prose);
    assert!(code == 2 && err.contains("notes.txt"), "{err}");
    // A snapshot cut off part-way.
    let (code, out, _) = common::run_in_process([
        "regdiff",
        "show",
        "--format",
        "json",
        fixture("tests/fixtures/ingest/junit/pytest-xunit2.xml")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(code, 0);
    let snap = dir.path().join("snap.json");
    std::fs::write(&snap, &out[..out.len() / 2]).unwrap();
    let (code, err) = show(Some("snapshot"), &snap);
    assert!(code == 2 && has_position(&err, "snap.json"), "{err}");
    let empty_snap = common::write(dir.path(), "empty-snap.json", "");
    let (code, err) = show(Some("snapshot"), &empty_snap);
    assert!(code == 2 && err.contains("empty-snap.json"), "{err}");
    // A criterion folder whose estimates.json is cut off.
    let src = fixture("tests/fixtures/perf/criterion/aa/base/math_fib_iter_90/base");
    let bench = dir.path().join("crit/math_fib_iter_90/new");
    std::fs::create_dir_all(&bench).unwrap();
    for f in ["benchmark.json", "sample.json", "estimates.json"] {
        std::fs::copy(src.join(f), bench.join(f)).unwrap();
    }
    let est = std::fs::read(bench.join("estimates.json")).unwrap();
    std::fs::write(bench.join("estimates.json"), &est[..est.len() / 2]).unwrap();
    let sample = std::fs::read(bench.join("sample.json")).unwrap();
    std::fs::write(bench.join("sample.json"), &sample[..sample.len() / 2]).unwrap();
    let (code, err) = show(Some("criterion"), &dir.path().join("crit"));
    assert!(code == 2 && has_position(&err, "sample.json"), "{err}");
}
