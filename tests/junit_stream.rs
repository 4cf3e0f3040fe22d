//! The streamed `show --format json` of a JUnit file writes the same bytes as the run read
//! whole: on every JUnit fixture, on the fuzzers' JUnit corpus, and on generated files made to
//! hit each rule that can change an earlier test (repeats near and far, ids shared by suites,
//! pytest-rerunfailures' reruns, jest-junit's todo tests, nested suites), at sizes that make
//! the stream hand tests on in several batches.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use regdiff::ingest::{self, Format, ReadOptions};

mod common;

/// The run read whole, as `show --format json` printed it before streaming.
fn whole(path: &Path) -> Result<Vec<u8>, String> {
    let runs = ingest::read_path(path, ReadOptions::default()).map_err(|e| e.to_string())?;
    assert_eq!(runs.len(), 1, "{}", path.display());
    let mut out = serde_json::to_vec_pretty(&runs[0]).unwrap();
    out.push(b'\n');
    Ok(out)
}

fn streamed(path: &Path) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    ingest::stream::show_json_junit(path, &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Checks one file; returns whether it was a readable JUnit file.
fn same(path: &Path) -> bool {
    if ingest::detect(path).ok() != Some(Format::Junit) {
        return false;
    }
    let w = whole(path);
    let s = streamed(path);
    match (&w, &s) {
        (Ok(w), Ok(s)) => {
            if w != s {
                let w = String::from_utf8_lossy(w);
                let s = String::from_utf8_lossy(s);
                let at = w
                    .bytes()
                    .zip(s.bytes())
                    .position(|(a, b)| a != b)
                    .unwrap_or(w.len().min(s.len()));
                let from = at.saturating_sub(300);
                panic!(
                    "{}: the streamed JSON differs from the whole run's at byte {at}\nwhole:\n{}\nstreamed:\n{}",
                    path.display(),
                    &w[from..w.len().min(at + 300)],
                    &s[from..s.len().min(at + 300)]
                );
            }
            true
        }
        (Err(a), Err(b)) => {
            assert_eq!(a, b, "{}: the two reads fail differently", path.display());
            false
        }
        _ => panic!(
            "{}: one read failed and the other did not: whole {:?}, streamed {:?}",
            path.display(),
            w.as_ref().map(|v| v.len()),
            s.as_ref().map(|v| v.len())
        ),
    }
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn every_junit_fixture_streams_to_the_same_bytes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    files_under(&root.join("tests/fixtures"), &mut files);
    files.retain(|p| p.extension().is_some_and(|e| e == "xml"));
    files.sort();
    let read = files.iter().filter(|p| same(p)).count();
    // 71 XML files, some of them deliberately unreadable.
    assert!(
        read >= 50,
        "only {read} of {} fixtures were JUnit",
        files.len()
    );
}

#[test]
fn the_junit_fuzz_corpus_streams_to_the_same_bytes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    files_under(&root.join("fuzz/corpus/junit"), &mut files);
    files.sort();
    let read = files.iter().filter(|p| same(p)).count();
    assert!(
        read >= 50,
        "only {read} of {} corpus files were read as JUnit",
        files.len()
    );
}

/// A generated report: `suites` suites of `per_suite` cases, where `case` writes case `i` of
/// suite `s` (or nothing).
fn generate(
    dir: &Path,
    name: &str,
    suites: usize,
    per_suite: usize,
    suite_attrs: impl Fn(usize) -> String,
    case: impl Fn(usize, usize, &mut String),
) -> PathBuf {
    let mut x = String::from("<?xml version=\"1.0\"?>\n<testsuites>\n");
    for s in 0..suites {
        writeln!(x, "<testsuite name=\"suite{s}\" {}>", suite_attrs(s)).unwrap();
        for i in 0..per_suite {
            case(s, i, &mut x);
        }
        x.push_str("</testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    let path = dir.join(name);
    std::fs::write(&path, x).unwrap();
    path
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "regdiff-junit-stream-{}-{name}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Generated reports, one for each rule that can change an earlier test.
fn generated_files(dir: &Path) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    // Many plain tests: several batches, nothing held.
    paths.push(generate(
        dir,
        "plain.xml",
        3,
        5000,
        |_| String::new(),
        |s, i, x| {
            writeln!(
                x,
                "<testcase classname=\"c{}\" name=\"t{s}_{i}\" time=\"0.{:03}\"/>",
                i % 97,
                i % 1000
            )
            .unwrap();
        },
    ));
    // A test repeated far from its first case (a retry at the end of the file), and one
    // repeated next to it; a failing first attempt.
    paths.push(generate(dir, "repeats.xml", 2, 6000, |_| String::new(), |s, i, x| {
        let (name, failed) = match (s, i) {
            (0, 3) => ("far", true),
            (1, 5999) => ("far", false),
            (0, 10) | (0, 11) => ("near", i == 10),
            _ => ("", false),
        };
        if name.is_empty() {
            writeln!(x, "<testcase classname=\"k\" name=\"t{s}_{i}\" time=\"0.5\"/>").unwrap();
        } else if failed {
            writeln!(
                x,
                "<testcase classname=\"k{}\" name=\"{name}\" time=\"1\"><failure message=\"boom\">trace</failure></testcase>",
                if name == "far" { "" } else { "n" }
            )
            .unwrap();
        } else {
            writeln!(
                x,
                "<testcase classname=\"k{}\" name=\"{name}\" time=\"2\"/>",
                if name == "far" { "" } else { "n" }
            )
            .unwrap();
        }
    }));
    // The suite of the repeat above is named differently: `k::far` in suite0 and suite1 is
    // not a repeat but one id in two suites, qualified in both. Also many ids shared by
    // every suite, and one shared only by the first and last case of the file.
    paths.push(generate(
        dir,
        "clashes.xml",
        30,
        400,
        |_| String::new(),
        |s, i, x| {
            if i < 30 {
                writeln!(
                    x,
                    "<testcase classname=\"shared\" name=\"t{i}\" time=\"0.1\"/>"
                )
                .unwrap();
            } else if (s, i) == (0, 30) || (s, i) == (29, 399) {
                writeln!(
                    x,
                    "<testcase classname=\"edge\" name=\"both\" time=\"0.1\"/>"
                )
                .unwrap();
            } else {
                writeln!(
                    x,
                    "<testcase classname=\"own{s}\" name=\"t{i}\" time=\"0.1\"/>"
                )
                .unwrap();
            }
        },
    ));
    // pytest-rerunfailures: the suite counts a rerun test once, its earlier attempts are
    // bare cases; the suite is large enough to be held across batches.
    paths.push(generate(
        dir,
        "reruns.xml",
        2,
        5000,
        |s| {
            if s == 0 {
                "tests=\"4998\"".into()
            } else {
                String::new()
            }
        },
        |s, i, x| {
            let name = if s == 0 && (i == 1 || i == 2 || i == 3) {
                "flaky".to_string()
            } else {
                format!("t{s}_{i}")
            };
            writeln!(
                x,
                "<testcase classname=\"p\" name=\"{name}\" time=\"0.2\"/>"
            )
            .unwrap();
        },
    ));
    // jest-junit's todo tests: empty zero-time cases the suite's count leaves out.
    paths.push(generate(
        dir,
        "todo.xml",
        3,
        3000,
        |s| {
            if s == 1 {
                "tests=\"2997\"".into()
            } else {
                String::new()
            }
        },
        |s, i, x| {
            let time = if s == 1 && i % 1000 == 7 {
                "0"
            } else {
                "0.003"
            };
            writeln!(
                x,
                "<testcase classname=\"j\" name=\"t{s}_{i}\" time=\"{time}\"/>"
            )
            .unwrap();
        },
    ));
    // A real repeat far from its first case: two suite elements of one name.
    {
        let mut x = String::from("<testsuites>\n");
        for s in 0..2 {
            x.push_str("<testsuite name=\"same\">\n");
            if s == 0 {
                x.push_str("<testcase classname=\"k\" name=\"far\" time=\"1\"><failure message=\"boom\"/></testcase>\n");
            }
            for i in 0..5000 {
                writeln!(
                    x,
                    "<testcase classname=\"k\" name=\"t{s}_{i}\" time=\"0.1\"/>"
                )
                .unwrap();
            }
            if s == 1 {
                x.push_str("<testcase classname=\"k\" name=\"far\" time=\"2\"/>\n");
            }
            x.push_str("</testsuite>\n");
        }
        x.push_str("</testsuites>\n");
        let p = dir.join("far_repeat.xml");
        std::fs::write(&p, x).unwrap();
        paths.push(p);
    }
    // pytest-rerunfailures' shape across two suite elements of one name: the rerun in the
    // second element turns the first element's pass into a failed attempt, after thousands
    // of tests that could otherwise be handed on in between.
    {
        let mut x = String::from("<testsuites>\n<testsuite name=\"twice\">\n");
        x.push_str("<testcase classname=\"r\" name=\"flaky\" time=\"1\"/>\n");
        for i in 0..5000 {
            writeln!(x, "<testcase classname=\"r\" name=\"a{i}\" time=\"0.1\"/>").unwrap();
        }
        x.push_str("</testsuite>\n<testsuite name=\"twice\" tests=\"5000\">\n");
        x.push_str("<testcase classname=\"r\" name=\"flaky\" time=\"2\"/>\n");
        for i in 0..5000 {
            writeln!(x, "<testcase classname=\"r\" name=\"b{i}\" time=\"0.1\"/>").unwrap();
        }
        x.push_str("</testsuite>\n</testsuites>\n");
        let p = dir.join("rerun_across_elements.xml");
        std::fs::write(&p, x).unwrap();
        paths.push(p);
    }
    // Nested suites, the outer one counting fewer tests than it holds.
    {
        let mut x = String::from("<testsuites><testsuite name=\"outer\" tests=\"2\">\n");
        for s in 0..3 {
            writeln!(x, "<testsuite name=\"inner{s}\">").unwrap();
            for i in 0..3000 {
                writeln!(x, "<testcase classname=\"n\" name=\"t{i}\" time=\"0\"/>").unwrap();
            }
            x.push_str("</testsuite>\n");
        }
        x.push_str("</testsuite></testsuites>\n");
        let p = dir.join("nested.xml");
        std::fs::write(&p, x).unwrap();
        paths.push(p);
    }
    paths
}

#[test]
fn generated_files_with_every_rule_stream_to_the_same_bytes() {
    let dir = tmp("rules");
    for p in &generated_files(&dir) {
        assert!(same(p), "{} was not read", p.display());
    }
    // The rules did fire: the whole reads carry their warnings.
    let warnings = |name: &str| {
        ingest::read_path(&dir.join(name), ReadOptions::default()).unwrap()[0]
            .warnings
            .join("\n")
    };
    assert!(warnings("repeats.xml").contains("repeated test case"));
    assert!(warnings("far_repeat.xml").contains("e.g. `k::far`"));
    assert!(warnings("clashes.xml").contains("appears in 30 suites"));
    assert!(warnings("clashes.xml").contains("test id `edge::both` appears in 2 suites"));
    assert!(warnings("reruns.xml").contains("pytest-rerunfailures"));
    assert!(warnings("rerun_across_elements.xml").contains("pytest-rerunfailures"));
    assert!(warnings("todo.xml").contains("read as todo"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_file_that_changes_between_the_passes_is_an_error() {
    // The second pass is the reader's own: change the file under it by reading a path whose
    // content the test swaps. With a FIFO-free, portable approach, check the comparison that
    // guards it instead: a plan from one file applied to another fails.
    let dir = tmp("changed");
    let a = generate(
        &dir,
        "a.xml",
        1,
        10,
        |_| String::new(),
        |_, i, x| {
            writeln!(x, "<testcase classname=\"c\" name=\"t{i}\"/>").unwrap();
        },
    );
    let b = generate(
        &dir,
        "b.xml",
        1,
        12,
        |_| String::new(),
        |_, i, x| {
            writeln!(x, "<testcase classname=\"c\" name=\"t{i}\"/>").unwrap();
        },
    );
    let mut out = Vec::new();
    let e = ingest::stream::show_json_junit_planned_from(&a, &b, &mut out).unwrap_err();
    assert!(e.to_string().contains("changed while it was read"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

/// `record` of a JUnit file streams into a folder store; an id rule (which matches nothing
/// here) makes it read the file whole. Both store the same file under the same id and say
/// the same.
#[test]
fn record_streams_the_same_snapshot_as_a_whole_read() {
    let dir = tmp("record");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("tests/fixtures/ingest/junit"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    files.extend(generated_files(&dir));
    let mut stored = 0;
    for (i, f) in files.iter().enumerate() {
        let run = |store: &str, whole: bool| {
            let mut c = common::regdiff(&dir);
            c.args(["--store", store]);
            if whole {
                c.args(["--id-map", "^matches-no-test-id$ => x"]);
            }
            c.args(["record", "--no-env", "--branch", "main", "--commit"])
                .arg(format!("c{i}"))
                .args(["--time", "2026-01-02T03:04:05Z"])
                .arg(f);
            let out = c.output().unwrap();
            let files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.join(store))
                .map(|d| {
                    let mut v: Vec<_> = d
                        .map(|e| e.unwrap().path())
                        .map(|p| {
                            (
                                p.file_name().unwrap().to_string_lossy().into_owned(),
                                std::fs::read(&p).unwrap(),
                            )
                        })
                        .collect();
                    v.sort();
                    v
                })
                .unwrap_or_default();
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).replace(store, "STORE"),
                String::from_utf8_lossy(&out.stderr).replace(store, "STORE"),
                files,
            )
        };
        let streamed = run(&format!("streamed{i}"), false);
        let whole = run(&format!("whole{i}"), true);
        assert_eq!(streamed.0, whole.0, "{}: exit status", f.display());
        assert_eq!(streamed.1, whole.1, "{}: standard output", f.display());
        assert_eq!(streamed.2, whole.2, "{}: standard error", f.display());
        assert!(
            streamed.3 == whole.3,
            "{}: the stored files differ",
            f.display()
        );
        stored += usize::from(!streamed.3.is_empty());
    }
    assert!(
        stored >= 25,
        "only {stored} of {} files were stored",
        files.len()
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A random report built from few names, so that repeats, ids shared by suites, reruns and
/// todo tests come up, with suites of one name given twice, nested suites and declared
/// counts below the number of cases.
/// One suite of a random report: its name, its declared `tests`, whether its second half is
/// a nested suite, and its cases as (class, name, kind).
type SuiteSpec = (u8, Option<u8>, bool, Vec<(u8, u8, u8)>);

fn random_report(spec: &[SuiteSpec]) -> String {
    let mut x = String::from("<?xml version=\"1.0\"?>\n<testsuites>\n");
    let case = |x: &mut String, &(class, name, kind): &(u8, u8, u8)| {
        let class = ["c1", "c2", ""][usize::from(class % 3)];
        let name = format!("t{}", name % 6);
        match kind % 5 {
            0 => writeln!(x, "<testcase classname=\"{class}\" name=\"{name}\" time=\"0\"/>"),
            1 => writeln!(x, "<testcase classname=\"{class}\" name=\"{name}\" time=\"0.5\"/>"),
            2 => writeln!(
                x,
                "<testcase classname=\"{class}\" name=\"{name}\" time=\"1\"><failure message=\"boom {kind}\">trace</failure></testcase>"
            ),
            3 => writeln!(
                x,
                "<testcase classname=\"{class}\" name=\"{name}\"><skipped/></testcase>"
            ),
            _ => writeln!(x, "<testcase classname=\"{class}\" name=\"{name}\"/>"),
        }
        .unwrap();
    };
    for (suite, declared, nest, cases) in spec {
        let tests = declared
            .map(|d| format!(" tests=\"{d}\""))
            .unwrap_or_default();
        writeln!(x, "<testsuite name=\"s{}\"{tests}>", suite % 3).unwrap();
        let (outer, inner) = cases.split_at(if *nest { cases.len() / 2 } else { cases.len() });
        for c in outer {
            case(&mut x, c);
        }
        if *nest {
            writeln!(x, "<testsuite name=\"n{}\">", suite % 2).unwrap();
            for c in inner {
                case(&mut x, c);
            }
            x.push_str("</testsuite>\n");
        }
        x.push_str("</testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
    /// Handing tests on one, two or three at a time makes every hold of the stream matter
    /// in a small file: the output must still be the whole read's.
    #[test]
    fn random_reports_stream_to_the_same_bytes_in_small_batches(
        spec in proptest::collection::vec(
            (
                proptest::num::u8::ANY,
                proptest::option::of(0u8..12),
                proptest::bool::ANY,
                proptest::collection::vec(
                    (proptest::num::u8::ANY, proptest::num::u8::ANY, proptest::num::u8::ANY),
                    0..12,
                ),
            ),
            1..6,
        ),
        batch in 1usize..4,
    ) {
        let dir = tmp("random");
        let path = dir.join(format!("r{batch}.xml"));
        std::fs::write(&path, random_report(&spec)).unwrap();
        let want = whole(&path);
        let mut got = Vec::new();
        let got = ingest::stream::show_json_junit_batched(&path, &mut got, batch)
            .map(|()| got)
            .map_err(|e| e.to_string());
        match (&want, &got) {
            (Ok(w), Ok(g)) => proptest::prop_assert!(
                w == g,
                "batch {}: the streamed JSON differs\n{}\nwhole:\n{}\nstreamed:\n{}",
                batch,
                std::fs::read_to_string(&path).unwrap(),
                String::from_utf8_lossy(w),
                String::from_utf8_lossy(g)
            ),
            _ => proptest::prop_assert_eq!(want.is_ok(), got.is_ok()),
        }
    }
}
