//! The defects of the reliability audit (issue 12), one test each, as a user meets them on
//! the command line. Each failed on the code before its fix.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use predicates::prelude::*;
use tempfile::TempDir;

mod common;
use common::{regdiff, write};

const JUNIT: &str = "<testsuite name=\"s\"><testcase classname=\"c\" name=\"a\"/><testcase classname=\"c\" name=\"b\"/></testsuite>";

fn criterion_fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/perf/criterion/history")
}

fn mkfifo(path: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "mkfifo is needed");
}

/// 1. A metrics-only run recorded last on the branch is not the base of a JUnit head.
#[test]
fn defect_01_a_metrics_only_run_is_not_taken_as_the_test_base() {
    let d = TempDir::new().unwrap();
    let xml = write(d.path(), "junit.xml", JUNIT);
    regdiff(d.path())
        .args([
            "record", "--store", "st", "--branch", "main", "--commit", "a1",
        ])
        .args(["--time", "2026-01-01T00:00:00Z"])
        .arg(&xml)
        .assert()
        .code(0);
    regdiff(d.path())
        .args([
            "record", "--store", "st", "--branch", "main", "--commit", "a1",
        ])
        .args(["--time", "2026-01-01T00:01:00Z"])
        .args(["--criterion-baseline", "commit-00"])
        .arg(criterion_fixture())
        .assert()
        .code(0);
    // `main` means the latest run that holds tests, since the head holds tests.
    regdiff(d.path())
        .args(["compare", "--store", "st", "--base", "main", "--head"])
        .arg(&xml)
        .arg("--gate")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "base: 1 run(s), 2 tests, 0 metrics",
        ));
    // Asked for any run, the latest is the benchmark run: a base without tests is refused.
    regdiff(d.path())
        .args([
            "compare",
            "--store",
            "st",
            "--base",
            "main",
            "--base-kind",
            "any",
        ])
        .arg("--head")
        .arg(&xml)
        .arg("--gate")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "the base side (main) holds no tests while the head holds some",
        ));
    // A branch with only benchmark runs: the selector says what it found.
    regdiff(d.path())
        .args([
            "record",
            "--store",
            "st",
            "--branch",
            "bench-only",
            "--commit",
            "b1",
        ])
        .args(["--criterion-baseline", "commit-00"])
        .arg(criterion_fixture())
        .assert()
        .code(0);
    regdiff(d.path())
        .args(["compare", "--store", "st", "--base", "bench-only", "--head"])
        .arg(&xml)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`bench-only` matches 1 run(s) in the store st/, but 0 of them hold tests",
        ));
    // A file base without tests against a head with tests is the missing-base error too.
    regdiff(d.path())
        .args(["compare", "--head"])
        .arg(&xml)
        .arg("--base")
        .arg(criterion_fixture())
        .args(["--criterion-baseline", "commit-00"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("pass --allow-missing-base"));
    regdiff(d.path())
        .args(["compare", "--allow-missing-base", "--head"])
        .arg(&xml)
        .arg("--base")
        .arg(criterion_fixture())
        .args(["--criterion-baseline", "commit-00"])
        .assert()
        .code(0);
}

/// 2. Two same-named passing cases are two passes, not a failure and a pass.
#[test]
fn defect_02_repeated_passing_cases_keep_their_outcomes() {
    let d = TempDir::new().unwrap();
    let xml = write(
        d.path(),
        "dup.xml",
        "<testsuite name=\"s\"><testcase classname=\"c\" name=\"r\"/><testcase classname=\"c\" name=\"r\"/></testsuite>",
    );
    let out = regdiff(d.path())
        .args(["show", "--format", "json"])
        .arg(&xml)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let attempts: Vec<&str> = v["tests"][0]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert_eq!(attempts, ["passed", "passed"]);
    regdiff(d.path())
        .args(["compare"])
        .arg(&xml)
        .arg(&xml)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("1 unchanged"))
        .stdout(predicate::str::contains("environmental").not())
        .stdout(predicate::str::contains("flaky").not());
}

/// 3. A FIFO in a report folder is left out with a warning, not read (which would hang).
#[test]
fn defect_03_a_fifo_in_a_folder_is_skipped_with_a_warning() {
    let d = TempDir::new().unwrap();
    let dir = d.path().join("reports");
    std::fs::create_dir(&dir).unwrap();
    write(&dir, "junit.xml", JUNIT);
    mkfifo(&dir.join("pipe"));
    regdiff(d.path())
        .args(["show", "reports"])
        .timeout(Duration::from_secs(60))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("tests: 2"))
        .stdout(predicate::str::contains(
            "pipe: not a regular file (a FIFO, socket or device); left out of the run",
        ));
}

/// 3 and 4. A FIFO given by name, `-` and `/dev/stdin` are read as streams: detection does
/// not use up what the reader needs.
#[test]
fn defect_04_piped_input_is_read() {
    let d = TempDir::new().unwrap();
    for spec in ["-", "/dev/stdin"] {
        regdiff(d.path())
            .args(["show", spec])
            .write_stdin(JUNIT)
            .timeout(Duration::from_secs(60))
            .assert()
            .code(0)
            .stdout(predicate::str::contains("tests: 2 (2 passed"));
    }
    // Benchmark JSON too (read as one document).
    let gbench = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/perf/google-benchmark/environmental/base/benchmark.json"),
    )
    .unwrap();
    regdiff(d.path())
        .args(["show", "-"])
        .write_stdin(gbench)
        .timeout(Duration::from_secs(60))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("tests: 0"))
        .stdout(predicate::str::contains("metrics: 0").not());
    // A named FIFO, written by another process.
    let fifo = d.path().join("fifo");
    mkfifo(&fifo);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, JUNIT).unwrap())
    };
    regdiff(d.path())
        .arg("show")
        .arg(&fifo)
        .timeout(Duration::from_secs(60))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("tests: 2 (2 passed"));
    writer.join().unwrap();
    // A broken stream names its position in bytes (a stream cannot be read again for lines).
    regdiff(d.path())
        .args(["show", "-"])
        .write_stdin("<testsuite><testcase name=\"x\">")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("-: at byte"));
}

/// 5. A symbolic link back up the tree is followed once.
#[test]
fn defect_05_a_symlink_loop_reads_each_folder_once() {
    let d = TempDir::new().unwrap();
    let dir = d.path().join("reports");
    std::fs::create_dir(&dir).unwrap();
    write(&dir, "run-1.xml", JUNIT);
    write(&dir, "run-2.xml", JUNIT);
    std::os::unix::fs::symlink(".", dir.join("loop")).unwrap();
    let out = regdiff(d.path())
        .args(["show", "--format", "json", "reports"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Two files that repeat the same tests: two runs, not 41.
    assert_eq!(v.as_array().map(Vec::len), Some(2), "{v}");
    let warnings = v[0]["warnings"].to_string();
    assert!(
        warnings.contains("(a symbolic link); read once"),
        "{warnings}"
    );
}

/// 6. A criterion benchmark with measurements but no benchmark.json is named in a warning.
#[test]
fn defect_06_a_criterion_benchmark_without_its_description_is_named() {
    let d = TempDir::new().unwrap();
    // Take the description out of one benchmark's chosen baseline.
    let (dst, _, victim) = criterion_copy_without_a_description(d.path());
    regdiff(d.path())
        .args(["show", "--criterion-baseline", "commit-00"])
        .arg(&dst)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(format!(
            "{}: holds sample.json but no benchmark.json",
            victim.display()
        )));
}

/// A FIFO named benchmark.json in a criterion folder is not waited on (reading it hung):
/// the benchmark is left out with a warning naming its folder, the others are read.
#[test]
fn a_fifo_in_place_of_a_criterion_description_is_not_read() {
    let d = TempDir::new().unwrap();
    let (dst, benches, victim) = criterion_copy_without_a_description(d.path());
    assert!(benches > 1);
    mkfifo(&victim.join("benchmark.json"));
    let out = regdiff(d.path())
        .args([
            "show",
            "--format",
            "json",
            "--criterion-baseline",
            "commit-00",
        ])
        .arg(&dst)
        .timeout(Duration::from_secs(60))
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        v["metrics"].as_array().unwrap().len(),
        benches - 1,
        "every other benchmark is read"
    );
    let warnings = v["warnings"].to_string();
    assert!(
        warnings.contains(&format!(
            "{}: holds sample.json, but its benchmark.json is not a criterion description",
            victim.display()
        )),
        "{warnings}"
    );
}

/// A copy of the criterion fixture in `dir` whose first benchmark's chosen baseline has no
/// benchmark.json: the copy, how many benchmarks it holds, that baseline's folder.
fn criterion_copy_without_a_description(
    dir: &Path,
) -> (std::path::PathBuf, usize, std::path::PathBuf) {
    let dst = dir.join("criterion");
    copy_dir(&criterion_fixture(), &dst);
    let mut benches: Vec<_> = std::fs::read_dir(dst.join("commit-00"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("commit-00/benchmark.json").is_file())
        .collect();
    benches.sort();
    let victim = benches[0].join("commit-00");
    std::fs::remove_file(victim.join("benchmark.json")).unwrap();
    (dst, benches.len(), victim)
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let p = e.unwrap().path();
        let to = dst.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &to);
        } else {
            std::fs::copy(&p, &to).unwrap();
        }
    }
}

fn age(path: &Path, secs: u64) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    let t = std::time::SystemTime::now() - Duration::from_secs(secs);
    f.set_modified(t).unwrap();
}

/// Defect 7: temporary files of killed writes are reported by `list` and `record`, and
/// removed by `store gc`; `store check` verifies every snapshot.
#[test]
fn defect_07_stale_temporary_files_are_reported_and_collected() {
    let d = TempDir::new().unwrap();
    let xml = write(d.path(), "junit.xml", JUNIT);
    regdiff(d.path())
        .args([
            "record", "--store", "st", "--branch", "main", "--commit", "a1",
        ])
        .arg(&xml)
        .assert()
        .code(0);
    let st = d.path().join("st");
    let stale = write(&st, ".tmp-123-456-x.json", &"x".repeat(5000));
    age(&stale, 2 * 3600);
    let fresh = write(&st, ".tmp-124-457-y.json", "y");
    regdiff(d.path())
        .args(["list", "--store", "st"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "1 temporary file(s) of writes that never finished (5.0 KB), older than an hour",
        ));
    regdiff(d.path())
        .args([
            "record", "--store", "st", "--branch", "main", "--commit", "a2",
        ])
        .arg(&xml)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("`regdiff store gc` removes them"));
    regdiff(d.path())
        .args(["store", "check", "--store", "st"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "2 snapshot(s) checked, 0 problem(s), 1 stale temporary file(s)",
        ));
    regdiff(d.path())
        .args(["store", "gc", "--store", "st"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("removed 1 temporary file(s)"));
    assert!(!stale.exists());
    assert!(
        fresh.exists(),
        "a write in progress is younger than an hour"
    );
    regdiff(d.path())
        .args(["store", "check", "--store", "st"])
        .assert()
        .code(0);
    // One changed byte in a snapshot: its content no longer gives its name.
    let snap = std::fs::read_dir(&st)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.extension().is_some_and(|e| e == "jsonl")
                && !p.file_name().unwrap().to_string_lossy().starts_with('.')
        })
        .unwrap();
    let text = std::fs::read_to_string(&snap).unwrap();
    let changed = text.replacen("\"commit\":\"a", "\"commit\":\"b", 1);
    assert_ne!(changed, text);
    std::fs::write(&snap, changed).unwrap();
    write(&st, "garbage.json", "{\"schema\": \"regdiff.snap");
    regdiff(d.path())
        .args(["store", "check", "--store", "st"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "the name does not match the content",
        ))
        .stdout(predicate::str::contains("garbage.json"))
        .stdout(predicate::str::contains("2 problem(s)"));
}

/// 8. Branch names no selector can reach are refused, with the rule.
#[test]
fn defect_08_unreachable_branch_names_are_refused() {
    let d = TempDir::new().unwrap();
    let xml = write(d.path(), "junit.xml", JUNIT);
    for bad in ["main[3]", "x@y", "id:foo", ".", "..", "a\nb", " main"] {
        regdiff(d.path())
            .args(["record", "--store", "st", "--commit", "a1", "--branch", bad])
            .arg(&xml)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("a branch name must not"));
    }
    assert!(!d.path().join("st").exists(), "nothing was stored");
    for good in ["main", "feature/x-1", "release_2.0"] {
        regdiff(d.path())
            .args([
                "record", "--store", "st", "--commit", "a1", "--branch", good,
            ])
            .arg(&xml)
            .assert()
            .code(0);
    }
}

/// 9. The same commit recorded twice on different machines: said, with what selectors do.
#[test]
fn defect_09_the_same_commit_twice_is_reported() {
    let d = TempDir::new().unwrap();
    let xml = write(d.path(), "junit.xml", JUNIT);
    regdiff(d.path())
        .args([
            "record", "--store", "st", "--branch", "main", "--commit", "abc1",
        ])
        .args(["--no-env", "--time", "2026-01-01T00:00:00Z"])
        .arg(&xml)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("already has").not());
    regdiff(d.path())
        .args([
            "record", "--store", "st", "--branch", "main", "--commit", "abc1",
        ])
        .args([
            "--time",
            "2026-01-01T00:05:00Z",
            "--toolchain",
            "rustc=1.95",
        ])
        .arg(&xml)
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "branch `main` already has 1 run(s) of commit abc1",
        ))
        .stderr(predicate::str::contains(
            "1 recorded with a different fingerprint",
        ))
        .stderr(predicate::str::contains("`main@abc1` picks the latest"));
}

/// 10. A closed pipe ends quietly with status 0, JSON output included.
#[test]
fn defect_10_a_closed_pipe_exits_0() {
    let d = TempDir::new().unwrap();
    let xml = write(d.path(), "junit.xml", JUNIT);
    for i in 0..3 {
        regdiff(d.path())
            .args(["record", "--store", "st", "--branch", "main", "--no-env"])
            .args(["--commit", &format!("c{i}")])
            .arg(&xml)
            .assert()
            .code(0);
    }
    // Many runs' worth of JSON: more than a pipe buffer, so the writer meets the closed end.
    let big: String = (0..3000)
        .map(|i| format!("<testcase classname=\"c\" name=\"t{i}\"/>"))
        .collect();
    let xml = write(
        d.path(),
        "big.xml",
        &format!("<testsuite name=\"s\">{big}</testsuite>"),
    );
    for args in [
        vec!["show", "--format", "json", xml.to_str().unwrap()],
        vec![
            "compare",
            "--format",
            "json",
            xml.to_str().unwrap(),
            xml.to_str().unwrap(),
        ],
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_regdiff"))
            .args(&args)
            .current_dir(d.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read 10 bytes and close the pipe, as `head -c 10` does.
        let mut stdout = child.stdout.take().unwrap();
        let mut ten = [0u8; 10];
        std::io::Read::read_exact(&mut stdout, &mut ten).unwrap();
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Compares one metric `x`, given as (unit, samples) a side, and returns the report.
fn compare_one_metric(dir: &Path, format: &str, base: (&str, &str), head: (&str, &str)) -> String {
    let file = |name: &str, (unit, samples): (&str, &str)| {
        write(
            dir,
            name,
            &format!(
                r#"{{"schema":"regdiff.metrics/1","metrics":[{{"id":"x","unit":"{unit}","samples":{samples}}}]}}"#
            ),
        )
    };
    let (base, head) = (file("base.json", base), file("head.json", head));
    let out = regdiff(dir)
        .args(["compare", "--format", format])
        .arg(&base)
        .arg(&head)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// 13. Extreme values print in scientific notation; each side shows in its own unit.
#[test]
fn defect_13_extreme_values_and_mismatched_units_print_plainly() {
    let d = TempDir::new().unwrap();
    let text = compare_one_metric(
        d.path(),
        "markdown",
        ("ns", "[1,2,3]"),
        ("B", "[1e300,2e300,3e300]"),
    );
    assert!(text.contains("2.000 ns"), "{text}");
    assert!(text.contains("2.000e291 GB"), "{text}");
    assert!(!text.contains("000000000000"), "{text}");
    assert!(text.contains("units differ"), "{text}");
}

fn warnings_of(dir: &Path, file: &Path) -> String {
    let out = regdiff(dir)
        .args(["show", "--format", "json"])
        .arg(file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["warnings"].to_string()
}

/// 14. What readers change or drop is a counted warning.
#[test]
fn defect_14_readers_say_what_they_changed() {
    let d = TempDir::new().unwrap();
    // TAP: a repeated description is renamed, and says so.
    let tap = write(
        d.path(),
        "t.tap",
        "1..3\nok 1 - works\nok 2 - works\nok 3 - works\n",
    );
    let w = warnings_of(d.path(), &tap);
    assert!(
        w.contains("2 test point(s) repeat the description of an earlier point"),
        "{w}"
    );
    // TAP: a plan beyond the cap says how the missing points were counted.
    let tap = write(d.path(), "plan.tap", "1..20005\nok 1 - a\n");
    let w = warnings_of(d.path(), &tap);
    assert!(w.contains("20004 missing test(s) counted as errors (9999 as one test each, the other 10005 as one test `tests 10001..20005`)"), "{w}");
    // JUnit: an attribute given twice, and counts that are not numbers.
    let xml = write(
        d.path(),
        "dup-attr.xml",
        "<testsuite name=\"s\" tests=\"many\"><testcase classname=\"c\" name=\"a\" name=\"b\"/><testcase classname=\"c\" name=\"d\" time=\"1\" time=\"2\"/></testsuite>",
    );
    let w = warnings_of(d.path(), &xml);
    assert!(
        w.contains(
            "attribute `name` is given twice on one element; the first value is used (first here)"
        ),
        "{w}"
    );
    assert!(
        w.contains("2 attribute(s) given twice on one element in all"),
        "{w}"
    );
    assert!(
        w.contains("the suite's `tests=\\\"many\\\"` is not a count"),
        "{w}"
    );
    // go test: a negative Elapsed.
    let go = write(
        d.path(),
        "go.json",
        "{\"Action\":\"run\",\"Package\":\"p\",\"Test\":\"T\"}\n{\"Action\":\"pass\",\"Package\":\"p\",\"Test\":\"T\",\"Elapsed\":-1}\n{\"Action\":\"pass\",\"Package\":\"p\",\"Elapsed\":0.1}\n",
    );
    let w = warnings_of(d.path(), &go);
    assert!(
        w.contains("1 event(s) with a negative or non-finite `Elapsed`"),
        "{w}"
    );
    // One id in many suites: one line with a count, not every suite's name.
    let suites: String = (0..300)
        .map(|i| {
            format!(
                "<testsuite name=\"s{i}\"><testcase classname=\"c\" name=\"same\"/></testsuite>"
            )
        })
        .collect();
    let xml = write(
        d.path(),
        "many.xml",
        &format!("<testsuites>{suites}</testsuites>"),
    );
    let w = warnings_of(d.path(), &xml);
    assert!(
        w.contains("appears in 300 suites (s0, s1, s2, s3, s4 and 295 more)"),
        "{w}"
    );
    assert!(w.len() < 2000, "{} bytes of warnings", w.len());
}

/// 15. Help, configuration and messages.
#[test]
fn defect_15_help_config_and_messages() {
    let d = TempDir::new().unwrap();
    let help = regdiff(d.path())
        .args(["compare", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for format in [
        "pytest-json-report",
        "libtest JSON",
        "CTRF",
        "criterion",
        "`-`",
    ] {
        assert!(
            help.contains(format),
            "compare --help does not name {format}"
        );
    }
    // A rule without `strength` is read (as weak); a rule that does not compile is one line.
    write(
        d.path(),
        "regdiff.toml",
        "[[rules]]\nname = \"no-strength\"\npattern = \"vault\"\n\n[[rules]]\nname = \"broken\"\npattern = \"(unclosed\"\n",
    );
    let xml = write(d.path(), "junit.xml", JUNIT);
    let out = regdiff(d.path())
        .arg("compare")
        .arg(&xml)
        .arg(&xml)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.contains("signature rule `broken` does not compile"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("unclosed group (at column 1 of the pattern)"),
        "{line}"
    );
    assert!(!text.lines().any(|l| l.starts_with("error:")), "{text}");
    // GitHub annotations never title a metric "inconclusive (none)" (units that differ leave
    // a metric inconclusive with no change).
    let text = compare_one_metric(d.path(), "github", ("ns", "[1,2,3]"), ("B", "[1,2,3]"));
    assert!(text.contains("title=regdiff inconclusive%3A x::"), "{text}");
    assert!(!text.contains("(none)"), "{text}");
}

/// A probable rename is one item, never a regression or a fix by itself; a renamed test that
/// now fails is still a failing test, with the rename named; ambiguous pairs are not paired.
#[test]
fn renames_are_shown_once_and_never_excuse_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let case = |name: &str, body: &str| {
        format!(
            "<testcase classname=\"tests.test_api\" name=\"{name}\" time=\"0.01\">{body}</testcase>"
        )
    };
    let fail = "<failure message=\"assert 1 == 2\">assert 1 == 2</failure>";
    let suite = |cases: &[String]| {
        format!(
            "<testsuite name=\"s\" tests=\"{}\">{}</testsuite>",
            cases.len(),
            cases.join("")
        )
    };
    let base = common::write(
        dir.path(),
        "base.xml",
        &suite(&[
            case("test_login_ok", ""),
            case("test_parse_headers", ""),
            case("test_a_value", ""),
            case("test_b_value", ""),
            case("test_keep", ""),
        ]),
    );
    let head = common::write(
        dir.path(),
        "head.xml",
        &suite(&[
            // A passing rename.
            case("test_login_ok_with_token", ""),
            // A rename that now fails.
            case("test_parse_header", fail),
            // Two removed tests alike and one added: ambiguous, not paired.
            case("test_c_value", ""),
            case("test_keep", ""),
        ]),
    );
    let out = common::regdiff(dir.path())
        .args(["compare", "--no-history", "--format", "json"])
        .arg(&base)
        .arg(&head)
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let item = |id: &str| {
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .cloned()
    };
    let ok = item("tests.test_api::test_login_ok_with_token").unwrap();
    assert_eq!(ok["change"], "renamed", "{ok}");
    assert_eq!(ok["verdict"], "unchanged");
    assert_eq!(ok["renamed_from"], "tests.test_api::test_login_ok");
    assert!(
        item("tests.test_api::test_login_ok").is_none(),
        "the old id is within the new one"
    );
    let broke = item("tests.test_api::test_parse_header").unwrap();
    assert_eq!(broke["verdict"], "regression", "{broke}");
    assert_eq!(broke["renamed_from"], "tests.test_api::test_parse_headers");
    assert!(
        broke["evidence"]
            .to_string()
            .contains("renamed (probably) from"),
        "{broke}"
    );
    for id in ["test_a_value", "test_b_value"] {
        assert_eq!(
            item(&format!("tests.test_api::{id}")).unwrap()["change"],
            "removed"
        );
    }
    assert_eq!(
        item("tests.test_api::test_c_value").unwrap()["change"],
        "added"
    );
    assert_eq!(r["pass_rate"]["renamed"], 2);
    assert_eq!(r["pass_rate"]["added"], 1);
    assert_eq!(r["pass_rate"]["removed"], 2);
    // The table lists the passing rename with both names.
    let out = common::regdiff(dir.path())
        .args(["compare", "--no-history"])
        .arg(&base)
        .arg(&head)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Renamed tests (probably) (1)"), "{text}");
    assert!(
        text.contains("tests.test_api::test_login_ok → tests.test_api::test_login_ok_with_token"),
        "{text}"
    );
    assert!(text.contains("2 renamed (probably)"), "{text}");
}

/// A class whose tests were replaced wholesale is not a set of renames, and looking for them
/// stays cheap; a clear rename among hundreds of unrelated changes is still found.
#[test]
fn renames_among_many_added_and_removed_tests() {
    let dir = tempfile::tempdir().unwrap();
    let name = |side: u64, i: u64| {
        let h = (i ^ side.wrapping_mul(0x9E37_79B9_7F4A_7C15)).wrapping_mul(0x2545_F491_4F6C_DD1D);
        format!("test_gen_{h:016x}")
    };
    let file = |side: u64, n: u64, extra: &str| {
        let cases: String = (0..n)
            .map(|i| {
                format!(
                    "<testcase classname=\"tests.test_gen\" name=\"{}\"/>",
                    name(side, i)
                )
            })
            .collect();
        format!(
            "<testsuite name=\"s\">{cases}<testcase classname=\"tests.test_gen\" name=\"{extra}\"/></testsuite>"
        )
    };
    for (n, expect_rename) in [(300, true), (1200, false)] {
        let base = common::write(dir.path(), "base.xml", &file(1, n, "test_login_flow"));
        let head = common::write(dir.path(), "head.xml", &file(2, n, "test_login_flows"));
        let out = common::regdiff(dir.path())
            .args(["compare", "--no-history", "--format", "json"])
            .arg(&base)
            .arg(&head)
            .output()
            .unwrap();
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let renamed = r["pass_rate"]["renamed"].as_u64().unwrap();
        if expect_rename {
            // 301 x 301 pairs: compared, and only the clear one paired.
            assert_eq!(renamed, 1, "{n}");
            assert_eq!(
                common::item(&r, "tests.test_gen::test_login_flows")["renamed_from"],
                "tests.test_gen::test_login_flow"
            );
        } else {
            // 1,201 x 1,201 pairs: more than is searched; everything stays added and removed.
            assert_eq!(renamed, 0, "{n}");
            assert_eq!(r["pass_rate"]["added"], n + 1);
        }
    }
}
