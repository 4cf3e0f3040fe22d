//! The ClickHouse store against a real server (Debian's clickhouse-server, started by
//! `scripts/clickhouse.sh`; `.ci/run` starts it and sets `REGDIFF_TEST_CLICKHOUSE`).
//!
//! Without a server these tests say why they did not run; in CI (`CI=true`) a missing
//! server is a failure, never a skip.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin_cmd;
use regdiff::ingest::snapshot_lines::{Sink, TestRow, TestsWanted};
use regdiff::model::Metric;
use regdiff::store::Store;
use regdiff::store::clickhouse::ClickHouseStore;

/// `http://127.0.0.1:PORT` of the test server: the one `.ci/run` started
/// (`REGDIFF_TEST_CLICKHOUSE`), else one this test binary starts with
/// `scripts/clickhouse.sh` (installing Debian's package when missing), stopped when the
/// binary ends. `None`, with the reason printed, when neither works outside CI.
fn server() -> Option<String> {
    static STARTED: std::sync::OnceLock<Result<String, String>> = std::sync::OnceLock::new();
    if let Ok(url) = std::env::var("REGDIFF_TEST_CLICKHOUSE")
        && !url.is_empty()
    {
        return Some(url);
    }
    let started = STARTED.get_or_init(|| {
        let dir = root()
            .join("target/clickhouse-test")
            .join(std::process::id().to_string());
        let out = Command::new(root().join("scripts/clickhouse.sh"))
            .arg("start")
            .arg(&dir)
            .arg("--watch")
            .arg(std::process::id().to_string())
            .output()
            .map_err(|e| format!("cannot run scripts/clickhouse.sh: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        match text
            .lines()
            .find_map(|l| l.strip_prefix("export REGDIFF_TEST_CLICKHOUSE="))
        {
            Some(url) if out.status.success() => Ok(url.to_string()),
            _ => Err(format!(
                "scripts/clickhouse.sh could not start a server: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )),
        }
    });
    match started {
        Ok(url) => Some(url.clone()),
        Err(why) => {
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!("the ClickHouse tests must run in CI: {why}");
            }
            eprintln!("skipped: {why}");
            None
        }
    }
}

/// A store URL on a fresh database of the test server.
fn fresh(server: &str, name: &str) -> String {
    let host = server.trim_start_matches("http://");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "clickhouse://{host}/t_{name}_{}_{nanos}",
        std::process::id()
    )
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn regdiff(store: &str, args: &[&str]) -> Output {
    cargo_bin_cmd!("regdiff")
        .env("RAYON_NUM_THREADS", "2")
        .env_remove("REGDIFF_STORE_USER")
        .env_remove("REGDIFF_STORE_PASSWORD")
        .arg("--store")
        .arg(store)
        .args(args)
        .output()
        .unwrap()
}

fn ok(store: &str, args: &[&str]) -> Vec<u8> {
    let out = regdiff(store, args);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "regdiff --store {store} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The inputs of commit `i` of the perf history fixtures, as the shipped example history
/// records them (`scripts/make-trend-example.sh`).
fn commit_inputs(i: usize) -> Vec<String> {
    let f = root().join("tests/fixtures");
    let c = format!("commit-{i:02}");
    let tests = [
        "base/run-1.xml",
        "base/run-2.xml",
        "head/run-1.xml",
        "head/run-2.xml",
    ];
    let mut v: Vec<String> = [
        "criterion",
        "google-benchmark",
        "hyperfine",
        "pytest-benchmark",
    ]
    .iter()
    .map(|h| {
        f.join("perf")
            .join(h)
            .join("history")
            .join(&c)
            .display()
            .to_string()
    })
    .collect();
    v.push(
        f.join("scenarios/semver/f_flaky")
            .join(tests[i % 4])
            .display()
            .to_string(),
    );
    v
}

fn record_commit(store: &str, i: usize) -> Output {
    let c = format!("commit-{i:02}");
    let time = format!("2026-11-{:02}T12:00:00Z", i + 1);
    let mut args: Vec<String> = vec!["record".into()];
    args.extend(commit_inputs(i));
    args.extend(
        [
            "--criterion-baseline",
            &c,
            "--branch",
            "main",
            "--commit",
            &c,
            "--time",
            &time,
            "--no-env",
        ]
        .map(String::from),
    );
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    regdiff(store, &a)
}

/// Commit `i` recorded into a store of its own: its one snapshot file, for `--head`.
fn head_snapshot(dir: &Path, i: usize) -> String {
    let store = dir.join(format!("head-{i}"));
    let out = record_commit(&store.display().to_string(), i);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = std::fs::read_dir(&store)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .unwrap();
    file.display().to_string()
}

#[test]
fn the_same_records_give_the_same_reports_from_both_stores() {
    let Some(server) = server() else { return };
    let ch = fresh(&server, "same");
    let dir = tempfile::tempdir().unwrap();
    let fs = dir.path().join("store").display().to_string();
    for i in 0..11 {
        for store in [&fs, &ch] {
            let out = record_commit(store, i);
            assert!(
                out.status.success(),
                "record {i} into {store}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    // Recording the same snapshot twice stores it once.
    let again = record_commit(&ch, 10);
    assert!(String::from_utf8_lossy(&again.stdout).contains("already stored"));
    let head = head_snapshot(dir.path(), 11);
    let mut questions: Vec<Vec<String>> = vec![
        vec!["list".into(), "--format".into(), "json".into()],
        vec!["trend", "--branch", "main", "--format", "json"]
            .into_iter()
            .map(String::from)
            .collect(),
        vec!["flaky", "--branch", "main", "--last", "8"]
            .into_iter()
            .map(String::from)
            .collect(),
        vec!["show", "main", "--format", "json"]
            .into_iter()
            .map(String::from)
            .collect(),
    ];
    for base in ["main", "main[3]"] {
        let q: Vec<String> = vec![
            "compare".into(),
            "--base".into(),
            base.into(),
            "--head".into(),
            head.clone(),
            "--format".into(),
            "json".into(),
        ];
        questions.push(q);
    }
    for q in &questions {
        let a: Vec<&str> = q.iter().map(String::as_str).collect();
        let from_fs = ok(&fs, &a);
        let from_ch = ok(&ch, &a);
        assert!(!from_fs.is_empty(), "{q:?}");
        if from_fs != from_ch {
            let (x, y) = (
                String::from_utf8_lossy(&from_fs),
                String::from_utf8_lossy(&from_ch),
            );
            let first = x
                .lines()
                .zip(y.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            panic!(
                "{q:?}: the reports differ from line {}:\nfolder:     {}\nclickhouse: {}",
                first + 1,
                x.lines().nth(first).unwrap_or(""),
                y.lines().nth(first).unwrap_or("")
            );
        }
    }
}

#[test]
fn a_shipped_store_copied_into_clickhouse_answers_the_same() {
    let Some(server) = server() else { return };
    let ch = fresh(&server, "copy");
    let example = root().join("baselines/examples/websocket-auth");
    let from = example.join("store").display().to_string();
    let out = regdiff(&ch, &["store", "copy", "--from", &from, "--to", &ch]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("copied 3 run(s)"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let head = example.join("head").display().to_string();
    for args in [
        vec![
            "compare",
            "--base",
            "main",
            "--base-kind",
            "tests",
            "--head",
            &head,
            "--format",
            "json",
        ],
        vec!["list", "--format", "json"],
    ] {
        assert_eq!(
            String::from_utf8_lossy(&ok(&from, &args)),
            String::from_utf8_lossy(&ok(&ch, &args)),
            "{args:?}"
        );
    }
}

/// Counts the tests it is handed, asking for some only.
struct Counting<'a> {
    wanted: &'a HashSet<String>,
    seen: usize,
}

impl Sink for Counting<'_> {
    fn test(&mut self, row: TestRow<'_>) {
        assert!(self.wanted.contains(row.id), "{} was not asked for", row.id);
        self.seen += 1;
    }
    fn metric(&mut self, _metric: Metric) {
        panic!("no metric was asked for");
    }
    fn tests_wanted(&self) -> TestsWanted<'_> {
        TestsWanted::Only(self.wanted)
    }
    fn wants_metrics(&self) -> bool {
        false
    }
}

#[test]
fn history_questions_read_only_the_tests_asked_for() {
    let Some(server) = server() else { return };
    let url = fresh(&server, "push");
    for i in 0..3 {
        assert!(record_commit(&url, i).status.success());
    }
    let store = ClickHouseStore::open(&url).unwrap();
    let catalog = store.catalog().unwrap();
    assert_eq!(catalog.runs.len(), 3);
    let run = &catalog.runs[0];
    let whole = store.load(run).unwrap();
    assert!(whole.tests.len() > 10 && !whole.metrics.is_empty());
    let wanted: HashSet<String> = whole
        .tests
        .iter()
        .take(3)
        .map(|t| t.id.to_string())
        .collect();
    let mut sink = Counting {
        wanted: &wanted,
        seen: 0,
    };
    store.scan(run, &mut sink).unwrap();
    assert_eq!(sink.seen, 3);
}

fn junit(tests: usize, seed: usize) -> String {
    let mut s = String::from("<?xml version=\"1.0\"?>\n<testsuite name=\"s\">\n");
    for t in 0..tests {
        if (t + seed).is_multiple_of(97) {
            s.push_str(&format!(
                "<testcase classname=\"pkg.C{}\" name=\"t{t}\" time=\"0.01\"><failure message=\"boom {t}\">trace</failure></testcase>\n",
                t % 20
            ));
        } else {
            s.push_str(&format!(
                "<testcase classname=\"pkg.C{}\" name=\"t{t}\" time=\"0.01\"/>\n",
                t % 20
            ));
        }
    }
    s.push_str("</testsuite>\n");
    s
}

/// `record` killed at random moments: every run the store shows is whole, and what the
/// killed writes left is found by `store check` and removed by `store gc`.
#[test]
fn killed_records_leave_no_half_visible_run() {
    let Some(server) = server() else { return };
    let url = fresh(&server, "kill");
    let dir = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin!("regdiff");
    // One timed record to spread the kills over its length.
    let reports: Vec<PathBuf> = (0..4)
        .map(|k| {
            let p = dir.path().join(format!("r{k}.xml"));
            std::fs::write(&p, junit(3000, k)).unwrap();
            p
        })
        .collect();
    let record = |i: usize| {
        let mut c = Command::new(bin);
        c.arg("--store")
            .arg(&url)
            .arg("record")
            .arg(&reports[i % 4])
            .args(["--branch", "main", "--commit"])
            .arg(format!("c{i:03}"))
            .arg("--time")
            .arg(format!(
                "2026-10-{:02}T{:02}:{:02}:00Z",
                1 + i / 100,
                (i / 60) % 24,
                i % 60
            ))
            .arg("--no-env")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    };
    let t = Instant::now();
    assert!(record(999).status().unwrap().success());
    let full = t.elapsed().as_micros() as u64;
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let (mut finished, mut killed) = (0, 0);
    for i in 0..200 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut child = record(i).spawn().unwrap();
        std::thread::sleep(Duration::from_micros(state % (full + full / 4)));
        match child.try_wait().unwrap() {
            Some(_) => finished += 1,
            None => {
                child.kill().unwrap();
                let _ = child.wait();
                killed += 1;
            }
        }
    }
    eprintln!(
        "200 records: {killed} killed, {finished} finished first (a whole record takes {full} µs)"
    );
    assert!(killed >= 20, "too few kills to tell: {killed}");
    let store = ClickHouseStore::open(&url).unwrap();
    let catalog = store.catalog().unwrap();
    assert!(catalog.failures.is_empty(), "{:?}", catalog.failures);
    for m in &catalog.runs {
        let s = store
            .load(m)
            .unwrap_or_else(|e| panic!("run {} is visible but not whole: {e}", m.id));
        assert_eq!(s.tests.len(), 3000, "{}", m.id);
    }
    // What the killed writes left is invisible, but `store check` finds it…
    let check = regdiff(&url, &["store", "check"]);
    let text = String::from_utf8_lossy(&check.stdout).to_string();
    let stale = text
        .lines()
        .filter(|l| l.contains("never finished"))
        .count();
    eprintln!("store check after the kills: {stale} unfinished write(s) found");
    assert!(stale >= 1 && check.status.code() == Some(1), "{text}");
    // …and `store gc` removes it (ALTER … DELETE runs in the background: wait for it).
    let gc = regdiff(&url, &["store", "gc", "--older-than", "0"]);
    assert!(
        gc.status.success(),
        "{}",
        String::from_utf8_lossy(&gc.stderr)
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let c = regdiff(&url, &["store", "check"]);
        if c.status.success() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "leftovers not removed: {}",
            String::from_utf8_lossy(&c.stdout)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Recording again stores the killed runs whole; the finished ones are stored once.
    for i in 0..200 {
        assert!(record(i).status().unwrap().success());
    }
    let after = store.catalog().unwrap();
    assert_eq!(after.runs.len(), 201);
    for m in &after.runs {
        assert_eq!(store.load(m).unwrap().tests.len(), 3000);
    }
}

#[test]
fn clear_errors_for_a_wrong_url_wrong_credentials_and_an_unknown_schema() {
    let Some(server) = server() else { return };
    // Nothing listens on this port.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let out = regdiff(&format!("clickhouse://127.0.0.1:{port}/x"), &["list"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("clickhouse://127.0.0.1:{port}/x")) && err.contains("cannot reach"),
        "{err}"
    );

    let host = server.trim_start_matches("http://");
    let out = cargo_bin_cmd!("regdiff")
        .env("REGDIFF_STORE_USER", "regdiff")
        .env("REGDIFF_STORE_PASSWORD", "not-the-password")
        .args(["--store", &format!("clickhouse://{host}/creds"), "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refused the credentials"), "{err}");
    assert!(!err.contains("not-the-password"), "{err}");
    // The right password works, and is never printed either.
    let out = cargo_bin_cmd!("regdiff")
        .env("REGDIFF_STORE_USER", "regdiff")
        .env("REGDIFF_STORE_PASSWORD", "regdiff-test")
        .args(["--store", &fresh(&server, "creds_ok"), "list"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A database written by a newer regdiff.
    let url = fresh(&server, "schema");
    assert!(regdiff(&url, &["list"]).status.success());
    let db = url.rsplit('/').next().unwrap();
    let sql = format!("INSERT INTO {db}.schema_version VALUES (2, now())");
    let resp = Command::new("python3")
        .args([
            "-c",
            "import sys, urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=sys.argv[2].encode())).read()",
            &format!("{server}/"),
            &sql,
        ])
        .status()
        .unwrap();
    assert!(resp.success());
    let out = regdiff(&url, &["list"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("schema is version 2") && err.contains("reads version 1"),
        "{err}"
    );
}

/// A server of its own, stopped before a compare: exit 2 naming the store.
#[test]
fn a_server_stopped_during_use_is_a_clear_error() {
    let Some(_) = server() else { return };
    let script = root().join("scripts/clickhouse.sh");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ch");
    let out = Command::new(&script)
        .arg("start")
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env = String::from_utf8_lossy(&out.stdout).to_string();
    let url = env
        .lines()
        .find_map(|l| l.strip_prefix("export REGDIFF_TEST_CLICKHOUSE="))
        .unwrap()
        .to_string();
    let store = format!("clickhouse://{}/stop", url.trim_start_matches("http://"));
    for i in 0..3 {
        assert!(record_commit(&store, i).status.success());
    }
    let head = head_snapshot(dir.path(), 3);
    // Killed while a compare waits for its answer: the server is frozen (SIGSTOP) so that
    // the compare is surely mid-request, then killed.
    let pid = std::fs::read_to_string(data.join("server.pid"))
        .unwrap()
        .trim()
        .to_string();
    assert!(
        Command::new("kill")
            .args(["-STOP", &pid])
            .status()
            .unwrap()
            .success()
    );
    let compare = Command::new(assert_cmd::cargo::cargo_bin!("regdiff"))
        .args([
            "--store", &store, "compare", "--base", "main", "--head", &head,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = compare.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&store), "{err}");
    assert!(
        out.stdout.is_empty(),
        "a report was written: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    eprintln!("server killed during a compare: {}", err.trim());
    // Stopped before: the same.
    let stop = Command::new(&script)
        .arg("stop")
        .arg(&data)
        .status()
        .unwrap();
    assert!(stop.success());
    let out = regdiff(&store, &["compare", "--base", "main", "--head", &head]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&store) && err.contains("cannot reach"),
        "{err}"
    );
    assert!(
        out.stdout.is_empty(),
        "a report was written: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!Path::new(&data).exists());
}
