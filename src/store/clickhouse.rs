//! The store in a ClickHouse server: `--store clickhouse://HOST:PORT/DATABASE`.
//!
//! Three tables (`sql/clickhouse/v1.sql`): `runs`, one row per stored run with its metadata;
//! `test_results`, one row per test per run; `metrics`, one row per metric per run. Each row
//! keeps its line of the stored encoding (`regdiff.snapshot-lines/1`) beside the columns that
//! questions filter on, so that a run read back is the run recorded, byte for byte, and a
//! report from this store is the report from the folder store.
//!
//! Writes are atomic: rows first, the `runs` row last, readers only see runs listed there
//! (see the SQL file). History questions are pushed down: a sink says which tests it needs
//! ([`Sink::tests_wanted`], [`Sink::wants_metrics`]) and only those rows cross the wire;
//! `trend` and `flaky` have the server group each test's outcomes ([`Store::history`]).
//!
//! The client speaks ClickHouse's HTTP interface with `JSONEachRow` through `minreq`, a
//! small blocking HTTP client without dependencies: regdiff's reads are few large requests,
//! so an async runtime would only add weight. The user and password come from the
//! environment (`REGDIFF_STORE_USER`, `REGDIFF_STORE_PASSWORD`), or from the URL, and are
//! never printed.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::fs::{fnv1a64, snapshot_id};
use super::{Catalog, CheckReport, RunMeta, SaveOutcome, Store, chronological};
use crate::error::{IngestError, StoreError};
use crate::history::{Code, History, MetricRun, RawColumn};
use crate::ingest::snapshot_lines::{self, Counts, Header, Sink, TestsWanted};
use crate::model::{Better, Metric, Snapshot, Status};

/// The schema version this regdiff writes and reads.
pub const SCHEMA_VERSION: u32 = 1;
const SCHEMA_SQL: &str = include_str!("../../sql/clickhouse/v1.sql");

/// Runs whose test columns one aggregating query asks for (the query names each).
const OUTCOME_CHUNK: usize = 250;
/// Rows per insert request.
const INSERT_BATCH: usize = 100_000;
/// Tries of a request whose connection was refused or reset before anything was sent.
const TRIES: u32 = 4;

/// A store in a ClickHouse database.
pub struct ClickHouseStore {
    /// `http://host:port`.
    base: String,
    /// The database.
    db: String,
    /// `Basic …` when a user is given.
    auth: Option<String>,
    /// The URL without credentials, for messages.
    shown: String,
    /// Seconds a request may take.
    timeout: u64,
    /// Whether the schema was checked (held while it is being checked or created, so that
    /// the threads of one process do it once).
    schema: Mutex<bool>,
}

impl std::fmt::Debug for ClickHouseStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClickHouseStore")
            .field("url", &self.shown)
            .finish()
    }
}

/// Whether a `--store` value names a ClickHouse store.
pub fn is_url(spec: &str) -> bool {
    spec.starts_with("clickhouse://")
}

fn percent(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn unpercent(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A string as a ClickHouse SQL literal.
fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[derive(Deserialize)]
struct CatalogRow {
    id: String,
    write_id: String,
    header: String,
    tests: String,
    metrics: String,
    passed: String,
    failed: String,
    errored: String,
    skipped: String,
    warnings: String,
}

#[derive(Serialize)]
struct RunRow<'a> {
    id: &'a str,
    write_id: u64,
    branch: &'a str,
    commit: &'a str,
    time: &'a str,
    time_ms: i64,
    recorded: u64,
    header: &'a str,
    contexts: &'a str,
    tail: &'a str,
    end_line: &'a str,
    tests: u64,
    metrics: u64,
    passed: u64,
    failed: u64,
    errored: u64,
    skipped: u64,
    warnings: u64,
    hash: &'a str,
}

#[derive(Serialize)]
struct TestRowOut<'a> {
    branch: &'a str,
    time_ms: i64,
    run_id: &'a str,
    write_id: u64,
    seq: u32,
    id: &'a str,
    status: Status,
    duration: Option<f64>,
    attempts: u16,
    mixed: u8,
    signature: &'a str,
    message: &'a str,
    row: &'a str,
}

#[derive(Serialize)]
struct MetricRowOut<'a> {
    branch: &'a str,
    time_ms: i64,
    run_id: &'a str,
    write_id: u64,
    seq: u32,
    id: &'a str,
    unit: &'a str,
    better: Better,
    samples: u32,
    median: Option<f64>,
    row: &'a str,
}

fn parse_u64(s: &str) -> u64 {
    s.parse().unwrap_or(0)
}

/// Splits an encoded snapshot into its header, context rows, test rows, metric rows, the
/// rest (warnings, sources, properties) and its end line.
struct Parts<'a> {
    header: &'a str,
    contexts: String,
    tests: Vec<&'a str>,
    metrics: Vec<&'a str>,
    tail: String,
    end: &'a str,
}

fn split(encoded: &str) -> Parts<'_> {
    let mut lines = encoded.lines();
    let header = lines.next().unwrap_or_default();
    let mut p = Parts {
        header,
        contexts: String::new(),
        tests: Vec::new(),
        metrics: Vec::new(),
        tail: String::new(),
        end: "",
    };
    for l in lines {
        // The first key tells the kind of row (serde writes fields in declaration order).
        if l.starts_with("{\"t\":") {
            p.tests.push(l);
        } else if l.starts_with("{\"c\":") {
            p.contexts.push_str(l);
            p.contexts.push('\n');
        } else if l.starts_with("{\"m\":") {
            p.metrics.push(l);
        } else if l.starts_with("{\"end\":") {
            p.end = l;
        } else {
            p.tail.push_str(l);
            p.tail.push('\n');
        }
    }
    p
}

fn median(samples: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite()).collect();
    (!v.is_empty()).then(|| crate::stats::robust::median_select(&mut v))
}

fn millis(time: Option<&str>) -> i64 {
    time.and_then(super::parse_time)
        .map(|t| t.as_millisecond())
        .unwrap_or(0)
}

fn unix_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A write id, unique per save: the time in seconds in the high bits (so that the age of an
/// unfinished write can be told), 32 bits of a hash of the time in nanoseconds, the process
/// and a counter below.
fn write_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let low = fnv1a64(format!("{nanos}-{}-{n}", std::process::id()).as_bytes()) & 0xFFFF_FFFF;
    (unix_secs() << 32) | low
}

impl ClickHouseStore {
    /// Opens `clickhouse://[USER[:PASSWORD]@]HOST[:PORT][/DATABASE]` (port 8123 and database
    /// `regdiff` by default). `REGDIFF_STORE_USER` and `REGDIFF_STORE_PASSWORD` give the
    /// credentials when the URL does not. Nothing is sent before the first question.
    pub fn open(url: &str) -> Result<ClickHouseStore, StoreError> {
        let bad = |m: String| StoreError::Server {
            url: redact(url),
            message: m,
        };
        let rest = url
            .strip_prefix("clickhouse://")
            .ok_or_else(|| bad("a ClickHouse store URL starts with clickhouse://".into()))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        if hostport.is_empty() {
            return Err(bad(
                "no host: expected clickhouse://HOST[:PORT]/DATABASE".into()
            ));
        }
        let hostport = if hostport.contains(':') {
            hostport.to_string()
        } else {
            format!("{hostport}:8123")
        };
        let db = path.trim_end_matches('/');
        let db = if db.is_empty() { "regdiff" } else { db };
        if !db.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(bad(format!(
                "database `{db}`: use letters, digits and underscores"
            )));
        }
        let (mut user, mut password) = (None, None);
        if let Some(ui) = userinfo {
            match ui.split_once(':') {
                Some((u, p)) => {
                    user = Some(unpercent(u));
                    password = Some(unpercent(p));
                }
                None => user = Some(unpercent(ui)),
            }
        }
        if let Ok(u) = std::env::var("REGDIFF_STORE_USER") {
            user = Some(u);
        }
        if let Ok(p) = std::env::var("REGDIFF_STORE_PASSWORD") {
            password = Some(p);
        }
        let auth = user.map(|u| {
            let token = base64::engine::general_purpose::STANDARD
                .encode(format!("{u}:{}", password.unwrap_or_default()));
            format!("Basic {token}")
        });
        let timeout = std::env::var("REGDIFF_STORE_TIMEOUT")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(300);
        Ok(ClickHouseStore {
            base: format!("http://{hostport}"),
            db: db.to_string(),
            auth,
            shown: format!("clickhouse://{hostport}/{db}"),
            timeout,
            schema: Mutex::new(false),
        })
    }

    fn err(&self, message: impl Into<String>) -> StoreError {
        StoreError::Server {
            url: self.shown.clone(),
            message: message.into(),
        }
    }

    fn run_path(&self, id: &str) -> PathBuf {
        PathBuf::from(format!("{} (run {id})", self.shown))
    }

    /// Sends one statement: `sql` in the URL and `body` as data when there is data, else
    /// `sql` as the body. Retries with backoff while the connection is refused (nothing was
    /// sent). Returns the response, read lazily.
    fn request(
        &self,
        sql: &str,
        body: Option<Vec<u8>>,
    ) -> Result<minreq::ResponseLazy, StoreError> {
        // Every statement names its tables with the database: the URL names none, so that
        // the statement creating the database runs too.
        let mut url = format!("{}/", self.base);
        let payload = match body {
            Some(b) => {
                url.push_str("?query=");
                url.push_str(&percent(sql));
                b
            }
            None => sql.as_bytes().to_vec(),
        };
        let mut delay = Duration::from_millis(100);
        let mut tries = 0;
        loop {
            tries += 1;
            let mut req = minreq::post(url.as_str())
                .with_timeout(self.timeout)
                .with_body(payload.clone());
            if let Some(a) = &self.auth {
                req = req.with_header("Authorization", a.as_str());
            }
            match req.send_lazy() {
                Ok(resp) if resp.status_code == 200 => return Ok(resp),
                Ok(resp) => {
                    let code = resp.status_code;
                    let mut text = String::new();
                    let _ = std::io::Read::read_to_string(
                        &mut std::io::Read::take(resp, 64 * 1024),
                        &mut text,
                    );
                    return Err(self.err(server_message(code, &text)));
                }
                Err(e) => {
                    let refused = matches!(&e, minreq::Error::IoError(io)
                        if matches!(io.kind(), std::io::ErrorKind::ConnectionRefused));
                    if refused && tries < TRIES {
                        std::thread::sleep(delay);
                        delay *= 4;
                        continue;
                    }
                    return Err(self.err(format!(
                        "cannot reach the server{}: {}",
                        if tries > 1 {
                            format!(" ({tries} tries)")
                        } else {
                            String::new()
                        },
                        connection_message(&e)
                    )));
                }
            }
        }
    }

    /// Runs a statement and returns its whole answer as text.
    fn text(&self, sql: &str) -> Result<String, StoreError> {
        let mut out = String::new();
        std::io::Read::read_to_string(&mut self.request(sql, None)?, &mut out)
            .map_err(|e| self.err(format!("the answer broke off: {e}")))?;
        Ok(out)
    }

    /// Runs a query and hands each line of its answer to `f`.
    fn lines(
        &self,
        sql: &str,
        mut f: impl FnMut(&str) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let started = std::time::Instant::now();
        let resp = self.request(sql, None)?;
        let first = started.elapsed();
        let mut r = BufReader::with_capacity(1 << 16, resp);
        let mut line = String::new();
        loop {
            line.clear();
            let n = r
                .read_line(&mut line)
                .map_err(|e| self.err(format!("the answer broke off: {e}")))?;
            if n == 0 {
                // REGDIFF_SQL_LOG=1: each query, its time to the first byte and in all.
                if std::env::var_os("REGDIFF_SQL_LOG").is_some() {
                    eprintln!(
                        "[{first:?} to the answer, {:?} in all] {}",
                        started.elapsed(),
                        &sql[..sql.len().min(120)]
                    );
                }
                return Ok(());
            }
            f(line.trim_end_matches('\n'))?;
        }
    }

    fn insert<T: Serialize>(&self, table: &str, rows: &[T]) -> Result<(), StoreError> {
        for chunk in rows.chunks(INSERT_BATCH) {
            let mut body = Vec::with_capacity(chunk.len() * 256);
            for r in chunk {
                serde_json::to_writer(&mut body, r).expect("rows serialise");
                body.push(b'\n');
            }
            let sql = format!("INSERT INTO {}.{table} FORMAT JSONEachRow", self.db);
            let mut resp = self.request(&sql, Some(body))?;
            let _ = std::io::copy(&mut resp, &mut std::io::sink());
        }
        Ok(())
    }

    /// Creates the schema on first use, or checks its version.
    pub fn ensure_schema(&self) -> Result<(), StoreError> {
        let mut checked = self.schema.lock().unwrap_or_else(|e| e.into_inner());
        if *checked {
            return Ok(());
        }
        self.text(&format!("CREATE DATABASE IF NOT EXISTS {}", self.db))?;
        let exists = self.text(&format!("EXISTS TABLE {}.schema_version", self.db))?;
        let version = if exists.trim() == "1" {
            let v = self.text(&format!(
                "SELECT count(), max(version) FROM {}.schema_version FORMAT TabSeparated",
                self.db
            ))?;
            let mut it = v.split_whitespace();
            let n: u64 = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            let max: u32 = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            (n > 0).then_some(max)
        } else {
            None
        };
        match version {
            Some(SCHEMA_VERSION) => {}
            Some(v) => {
                return Err(self.err(format!(
                    "the store's schema is version {v}; this regdiff reads version {SCHEMA_VERSION} (upgrade regdiff, or use another database)"
                )));
            }
            None => {
                for stmt in schema_statements(&self.db) {
                    self.text(&stmt)?;
                }
                self.text(&format!(
                    "CREATE TABLE IF NOT EXISTS {}.schema_version (version UInt32, applied DateTime) ENGINE = MergeTree ORDER BY version",
                    self.db
                ))?;
                self.text(&format!(
                    "INSERT INTO {}.schema_version VALUES ({SCHEMA_VERSION}, now())",
                    self.db
                ))?;
            }
        }
        *checked = true;
        Ok(())
    }

    /// The rows of writes that never became visible: run id, write id, rows, bytes.
    fn orphans(&self) -> Result<Vec<(String, u64, u64, u64)>, StoreError> {
        self.ensure_schema()?;
        let mut out = Vec::new();
        for table in ["test_results", "metrics"] {
            let sql = format!(
                "SELECT run_id, write_id, count(), sum(length(row)) FROM {db}.{table} WHERE (run_id, write_id) NOT IN (SELECT id, write_id FROM {db}.runs) GROUP BY run_id, write_id ORDER BY run_id, write_id FORMAT TabSeparated",
                db = self.db
            );
            self.lines(&sql, |l| {
                let f: Vec<&str> = l.split('\t').collect();
                if f.len() == 4 {
                    out.push((
                        f[0].to_string(),
                        parse_u64(f[1]),
                        parse_u64(f[2]),
                        parse_u64(f[3]),
                    ));
                }
                Ok(())
            })?;
        }
        Ok(out)
    }

    fn describe_orphan(&self, o: &(String, u64, u64, u64)) -> (PathBuf, u64) {
        (
            PathBuf::from(format!(
                "{}: {} row(s) of run {} from a write that never finished (write {})",
                self.shown, o.2, o.0, o.1
            )),
            o.3,
        )
    }

    fn delete_write(&self, run_id: &str, write: u64, keep: bool) -> Result<(), StoreError> {
        for table in ["test_results", "metrics"] {
            let op = if keep { "!=" } else { "=" };
            self.text(&format!(
                "ALTER TABLE {db}.{table} DELETE WHERE run_id = {id} AND write_id {op} {write}",
                db = self.db,
                id = lit(run_id)
            ))?;
        }
        Ok(())
    }
}

fn schema_statements(db: &str) -> Vec<String> {
    let without_comments: String = SCHEMA_SQL
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    without_comments
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.replace("{db}", db))
        .collect()
}

/// The URL with its credentials taken out.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(a)) if a > s => format!("{}{}", &url[..s + 3], &url[a + 1..]),
        _ => url.to_string(),
    }
}

fn server_message(code: u16, text: &str) -> String {
    let text = text.trim();
    // ClickHouse: "Code: 193, e.displayText() = DB::Exception: Wrong password for user x, e.what() = DB::Exception"
    let msg = text
        .split_once("DB::Exception: ")
        .map(|(_, m)| m)
        .unwrap_or(text);
    let msg = msg.split(", e.what()").next().unwrap_or(msg);
    let msg: String = msg.chars().take(500).collect();
    let from_clickhouse = text.contains("DB::Exception");
    let what = match code {
        _ if text.contains("Code: 193") || text.contains("Code: 192") => {
            "the server refused the credentials"
        }
        401 | 403 => "the server refused the credentials",
        404 if !from_clickhouse => "no ClickHouse HTTP interface at this address",
        _ => "the server answered with an error",
    };
    let msg = if from_clickhouse || code != 404 {
        msg
    } else {
        String::new()
    };
    if msg.is_empty() {
        format!("{what} (HTTP {code})")
    } else {
        format!("{what} (HTTP {code}): {msg}")
    }
}

fn connection_message(e: &minreq::Error) -> String {
    match e {
        minreq::Error::IoError(io) => crate::error::os_message(io),
        other => other.to_string(),
    }
}

impl From<StoreError> for IngestError {
    fn from(e: StoreError) -> IngestError {
        match e {
            StoreError::Snapshot(i) => i,
            other => IngestError::unusable(PathBuf::new(), other.to_string()),
        }
    }
}

impl Store for ClickHouseStore {
    fn describe(&self) -> String {
        self.shown.clone()
    }

    fn catalog(&self) -> Result<Catalog, StoreError> {
        self.ensure_schema()?;
        let sql = format!(
            "SELECT id, write_id, header, tests, metrics, passed, failed, errored, skipped, warnings FROM {db}.runs ORDER BY id, write_id LIMIT 1 BY id FORMAT JSONEachRow",
            db = self.db
        );
        let mut catalog = Catalog::default();
        self.lines(&sql, |l| {
            let r: CatalogRow = serde_json::from_str(l)
                .map_err(|e| self.err(format!("unexpected answer from the server: {e}")))?;
            match serde_json::from_str::<Header>(&r.header) {
                Ok(h) => catalog.runs.push(RunMeta {
                    path: self.run_path(&r.id),
                    id: r.id,
                    run: h.run,
                    env: h.env,
                    counts: Counts {
                        tests: parse_u64(&r.tests),
                        metrics: parse_u64(&r.metrics),
                        passed: parse_u64(&r.passed),
                        failed: parse_u64(&r.failed),
                        errored: parse_u64(&r.errored),
                        skipped: parse_u64(&r.skipped),
                        warnings: parse_u64(&r.warnings),
                    },
                    token: parse_u64(&r.write_id),
                }),
                Err(e) => catalog.failures.push(IngestError::unusable(
                    self.run_path(&r.id),
                    format!("the run's header is not valid: {e}"),
                )),
            }
            Ok(())
        })?;
        catalog.runs.sort_by(chronological);
        Ok(catalog)
    }

    fn load(&self, run: &RunMeta) -> Result<Snapshot, IngestError> {
        self.load_batch(&[run])
            .pop()
            .expect("one result for one run")
    }

    fn load_batch_shared(
        &self,
        runs: &[&RunMeta],
        sharing: &mut super::Sharing,
    ) -> Vec<Result<Snapshot, IngestError>> {
        let what: Vec<Fetch<'_>> = runs
            .iter()
            .map(|_| Fetch {
                tests: TestsWanted::All,
                metrics: true,
                whole: true,
            })
            .collect();
        match self.fetch(runs, &what) {
            Ok(bufs) => super::load_shared(runs.len(), sharing, |i, names| {
                crate::ingest::snapshot::parse_shared(&runs[i].path, &bufs[i], names)
            }),
            Err(e) => self.batch_failed(runs, &e).into_iter().map(Err).collect(),
        }
    }

    fn scan_batch(
        &self,
        runs: &[&RunMeta],
        sinks: &mut [&mut (dyn Sink + Send)],
    ) -> Vec<Result<(), IngestError>> {
        let what: Vec<Fetch<'_>> = sinks.iter().map(|s| Fetch::of(&**s)).collect();
        let fetched = self.fetch(runs, &what);
        drop(what);
        match fetched {
            Ok(bufs) => runs
                .iter()
                .zip(sinks.iter_mut())
                .zip(bufs)
                .map(|((m, s), b)| snapshot_lines::scan_part(&m.path, &b, &mut **s).map(|_| ()))
                .collect(),
            Err(e) => self.batch_failed(runs, &e).into_iter().map(Err).collect(),
        }
    }

    fn history(&self, runs: &[&RunMeta], tick: &(dyn Fn() + Sync)) -> (History, Vec<IngestError>) {
        /// A run's metrics alone.
        #[derive(Default)]
        struct MetricsOnly(Vec<Metric>);
        impl Sink for MetricsOnly {
            fn test(&mut self, _row: snapshot_lines::TestRow<'_>) {}
            fn metric(&mut self, metric: Metric) {
                self.0.push(metric);
            }
            fn tests_wanted(&self) -> TestsWanted<'_> {
                TestsWanted::None
            }
        }
        let mut metrics: std::collections::HashMap<String, Vec<Metric>> =
            std::collections::HashMap::new();
        let mut failures = super::stream(
            self,
            runs,
            |_| {
                tick();
                MetricsOnly::default()
            },
            |m, s| {
                metrics.insert(m.id.clone(), s.0);
            },
        );
        // Each chunk's columns go into the matrix as they come, in run order: a run's
        // column is one byte a test there, not its ids.
        let mut history = History::default();
        for chunk in runs.chunks(OUTCOME_CHUNK) {
            match self.outcome_columns(chunk) {
                Ok(cols) => {
                    for (m, col) in chunk.iter().zip(cols) {
                        if let Some(ms) = metrics.remove(&m.id) {
                            history.runs.push(MetricRun {
                                id: m.id.clone(),
                                run: m.run.clone(),
                                env: m.env.clone(),
                                metrics: ms,
                            });
                            history.tests.push(Some(col));
                        }
                    }
                }
                Err(e) => failures.extend(
                    self.batch_failed(chunk, &e)
                        .into_iter()
                        .zip(chunk)
                        .filter(|(_, m)| metrics.contains_key(&m.id))
                        .map(|(f, _)| f),
                ),
            }
        }
        (history, failures)
    }

    fn scan(&self, run: &RunMeta, sink: &mut dyn Sink) -> Result<(), IngestError> {
        let bytes = self
            .fetch(&[run], &[Fetch::of(&*sink)])?
            .pop()
            .expect("one buffer for one run");
        snapshot_lines::scan_part(&run.path, &bytes, sink).map(|_| ())
    }

    fn save(&self, snap: &Snapshot) -> Result<SaveOutcome, StoreError> {
        // Repeats are the comparison's reading of stored runs, never written (they would be
        // lost).
        assert!(
            snap.repeats.is_none(),
            "a run read with repeats is not written"
        );
        self.save_with(snap, None)
    }

    fn save_as(&self, snap: &Snapshot, id: &str) -> Result<SaveOutcome, StoreError> {
        self.save_with(snap, Some(id))
    }
    fn stale_temps(&self) -> Result<Vec<(PathBuf, u64)>, StoreError> {
        Ok(self
            .orphans()?
            .iter()
            .map(|o| self.describe_orphan(o))
            .collect())
    }

    fn check(&self) -> Result<CheckReport, StoreError> {
        let catalog = self.catalog()?;
        let mut problems: Vec<String> = catalog.failures.iter().map(|e| e.to_string()).collect();
        // Each run's rows against its counts, in one query.
        let sql = format!(
            "SELECT r.id, r.tests, t.n FROM {db}.runs AS r ANY LEFT JOIN (SELECT run_id AS id, write_id, count() AS n FROM {db}.test_results GROUP BY run_id, write_id) AS t USING (id, write_id) FORMAT TabSeparated",
            db = self.db
        );
        self.lines(&sql, |l| {
            let f: Vec<&str> = l.split('\t').collect();
            if f.len() == 3 && f[1] != f[2] {
                problems.push(format!(
                    "{}: run {} counts {} tests, the store holds {} rows for it",
                    self.shown, f[0], f[1], f[2]
                ));
            }
            Ok(())
        })?;
        // Every run read back whole and checked as a snapshot file is, 32 runs a batch.
        let metas: Vec<&RunMeta> = catalog.runs.iter().collect();
        for chunk in metas.chunks(32) {
            for r in self.load_batch(chunk) {
                if let Err(e) = r {
                    problems.push(e.to_string());
                }
            }
        }
        Ok(CheckReport {
            checked: catalog.runs.len(),
            problems,
            stale_temps: self.stale_temps()?,
        })
    }

    fn gc(&self, older_than: u64) -> Result<Vec<(PathBuf, u64)>, StoreError> {
        // A write still in progress has no runs row yet either: only writes older than
        // `older_than` seconds (their id starts with their time) are removed.
        let now = unix_secs();
        let orphans: Vec<_> = self
            .orphans()?
            .into_iter()
            .filter(|o| now.saturating_sub(o.1 >> 32) >= older_than)
            .collect();
        for o in &orphans {
            self.delete_write(&o.0, o.1, false)?;
        }
        Ok(orphans.iter().map(|o| self.describe_orphan(o)).collect())
    }
}

impl ClickHouseStore {
    fn save_with(&self, snap: &Snapshot, given: Option<&str>) -> Result<SaveOutcome, StoreError> {
        self.ensure_schema()?;
        let encoded = snapshot_lines::encode(snap);
        let id = given.map_or_else(|| snapshot_id(snap, &encoded), str::to_string);
        let hash = format!("{:016x}", fnv1a64(&encoded));
        let existing = self.text(&format!(
            "SELECT hash FROM {db}.runs WHERE id = {i} LIMIT 1 FORMAT TabSeparated",
            db = self.db,
            i = lit(&id)
        ))?;
        let location = format!("{} (run {id})", self.shown);
        if let Some(h) = existing.lines().next() {
            if h == hash {
                return Ok(SaveOutcome {
                    id,
                    location,
                    already_stored: true,
                });
            }
            return Err(self.err(format!(
                "a different snapshot is already stored under the id {id}; not replaced"
            )));
        }
        let text = std::str::from_utf8(&encoded).expect("the encoding is UTF-8");
        let parts = split(text);
        let branch = snap.run.branch.as_deref().unwrap_or("");
        let time_ms = millis(snap.run.time.as_deref());
        let write = write_id();
        let signatures: Vec<(String, String)> = snap
            .tests
            .iter()
            .map(|t| match t.attempts.last() {
                Some(a) if t.status.is_failure() => (
                    crate::signature::signature(a),
                    a.message().map(str::to_string).unwrap_or_default(),
                ),
                _ => (String::new(), String::new()),
            })
            .collect();
        let tests: Vec<TestRowOut<'_>> = snap
            .tests
            .iter()
            .zip(&parts.tests)
            .zip(&signatures)
            .enumerate()
            .map(|(i, ((t, row), (sig, msg)))| TestRowOut {
                branch,
                time_ms,
                run_id: &id,
                write_id: write,
                seq: i as u32,
                id: &t.id,
                status: t.status,
                duration: t.duration_s.filter(|d| d.is_finite()),
                attempts: t.attempts.len().min(u16::MAX as usize) as u16,
                mixed: u8::from(crate::history::mixed(&t.attempts)),
                signature: sig,
                message: msg,
                row,
            })
            .collect();
        let metrics: Vec<MetricRowOut<'_>> = snap
            .metrics
            .iter()
            .zip(&parts.metrics)
            .enumerate()
            .map(|(i, (m, row))| MetricRowOut {
                branch,
                time_ms,
                run_id: &id,
                write_id: write,
                seq: i as u32,
                id: &m.id,
                unit: &m.unit,
                better: m.better,
                samples: m.samples.len() as u32,
                median: median(&m.samples),
                row,
            })
            .collect();
        self.insert("test_results", &tests)?;
        self.insert("metrics", &metrics)?;
        let counts = Counts::of(snap);
        let recorded = unix_secs();
        // The run becomes visible here, in one insert of one row.
        self.insert(
            "runs",
            &[RunRow {
                id: &id,
                write_id: write,
                branch,
                commit: snap.run.commit.as_deref().unwrap_or(""),
                time: snap.run.time.as_deref().unwrap_or(""),
                time_ms,
                recorded,
                header: parts.header,
                contexts: &parts.contexts,
                tail: &parts.tail,
                end_line: parts.end,
                tests: counts.tests,
                metrics: counts.metrics,
                passed: counts.passed,
                failed: counts.failed,
                errored: counts.errored,
                skipped: counts.skipped,
                warnings: counts.warnings,
                hash: &hash,
            }],
        )?;
        // Rows of earlier writes of this run that never finished (a killed record).
        let leftover = self.text(&format!(
            "SELECT count() FROM {db}.test_results WHERE branch = {b} AND time_ms = {time_ms} AND run_id = {i} AND write_id != {write}",
            db = self.db,
            b = lit(branch),
            i = lit(&id)
        ))?;
        if leftover.trim() != "0" {
            self.delete_write(&id, write, true)?;
        }
        Ok(SaveOutcome {
            id,
            location,
            already_stored: false,
        })
    }
}

/// What to fetch of one run in a batch.
struct Fetch<'a> {
    tests: TestsWanted<'a>,
    metrics: bool,
    /// The rest too (warnings, sources, properties, the end line): a whole run.
    whole: bool,
}

impl<'a> Fetch<'a> {
    /// What `sink` reads.
    fn of(sink: &'a dyn Sink) -> Fetch<'a> {
        Fetch {
            tests: sink.tests_wanted(),
            metrics: sink.wants_metrics(),
            whole: false,
        }
    }
}

/// Undoes ClickHouse's TabSeparated escaping of one field.
fn unescape_tsv(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

impl ClickHouseStore {
    /// The condition selecting the rows of `runs` (by the key's branch and time first, so
    /// that only their ranges are read); `run` names the column holding the run's id.
    fn batch_where(&self, runs: &[&RunMeta], run: &str) -> String {
        let mut branches: Vec<String> = runs
            .iter()
            .map(|m| lit(m.run.branch.as_deref().unwrap_or("")))
            .collect();
        branches.sort();
        branches.dedup();
        let times: Vec<i64> = runs.iter().map(|m| millis(m.run.time.as_deref())).collect();
        let keys: Vec<String> = runs
            .iter()
            .map(|m| format!("({}, {})", lit(&m.id), m.token))
            .collect();
        format!(
            "branch IN ({}) AND time_ms BETWEEN {} AND {} AND ({run}, write_id) IN ({})",
            branches.join(","),
            times.iter().min().copied().unwrap_or(0),
            times.iter().max().copied().unwrap_or(0),
            keys.join(",")
        )
    }

    /// The rows of `table` of `runs`, each appended to its run's buffer, in order.
    fn batch_rows(
        &self,
        table: &str,
        runs: &[(usize, &RunMeta)],
        cond: &str,
        bufs: &mut [Vec<u8>],
    ) -> Result<(), StoreError> {
        if runs.is_empty() {
            return Ok(());
        }
        let metas: Vec<&RunMeta> = runs.iter().map(|(_, m)| *m).collect();
        let index: std::collections::HashMap<&str, usize> =
            runs.iter().map(|(i, m)| (m.id.as_str(), *i)).collect();
        let sql = format!(
            "SELECT run_id, row FROM {db}.{table} WHERE {w}{cond} ORDER BY time_ms, run_id, seq FORMAT TabSeparatedRaw",
            db = self.db,
            w = self.batch_where(&metas, "run_id")
        );
        // Run ids are file-name safe and rows are compact JSON: neither holds a tab or a
        // line break, so the raw format splits cleanly.
        self.lines(&sql, |l| {
            let (id, row) = l
                .split_once('\t')
                .ok_or_else(|| self.err("unexpected answer: a row without its run"))?;
            if let Some(&i) = index.get(id) {
                bufs[i].extend_from_slice(row.as_bytes());
                bufs[i].push(b'\n');
            }
            Ok(())
        })
    }

    /// Fetches the rows of several runs in a few queries (one per table), as the encoding's
    /// lines.
    fn fetch(&self, runs: &[&RunMeta], what: &[Fetch<'_>]) -> Result<Vec<Vec<u8>>, StoreError> {
        #[derive(Deserialize)]
        struct Head {
            id: String,
            header: String,
            #[serde(default)]
            contexts: String,
            #[serde(default)]
            tail: String,
            #[serde(default)]
            end_line: String,
        }
        // Only what is asked for: a run's contexts (suite, class, file) are needed by its
        // test rows alone, its tail and end line by a whole run alone.
        let mut columns = String::from("id, header");
        if what.iter().any(|w| !matches!(w.tests, TestsWanted::None)) {
            columns.push_str(", contexts");
        }
        if what.iter().any(|w| w.whole) {
            columns.push_str(", tail, end_line");
        }
        // The runs table is keyed like the others, with `id` for `run_id`.
        let cond = self.batch_where(runs, "id");
        let mut heads: std::collections::HashMap<String, Head> = std::collections::HashMap::new();
        self.lines(
            &format!(
                "SELECT {columns} FROM {db}.runs WHERE {cond} FORMAT JSONEachRow",
                db = self.db,
            ),
            |l| {
                let h: Head = serde_json::from_str(l)
                    .map_err(|e| self.err(format!("unexpected answer: {e}")))?;
                heads.insert(h.id.clone(), h);
                Ok(())
            },
        )?;
        let mut bufs: Vec<Vec<u8>> = Vec::with_capacity(runs.len());
        for (m, w) in runs.iter().zip(what) {
            let h = heads.get(&m.id).ok_or_else(|| {
                self.err(format!(
                    "run {} is no longer in the store (removed since it was listed)",
                    m.id
                ))
            })?;
            let rows = if matches!(w.tests, TestsWanted::All) {
                m.counts.tests as usize
            } else {
                0
            };
            let mut b = Vec::with_capacity(rows * 80 + h.header.len() + h.contexts.len() + 1);
            b.extend_from_slice(h.header.as_bytes());
            b.push(b'\n');
            b.extend_from_slice(h.contexts.as_bytes());
            bufs.push(b);
        }
        // Tests: every test of the runs that want all; else the union of the ids asked for.
        let mut all: Vec<(usize, &RunMeta)> = Vec::new();
        let mut some: Vec<(usize, &RunMeta)> = Vec::new();
        let mut ids: HashSet<&String> = HashSet::new();
        for (i, (m, w)) in runs.iter().zip(what).enumerate() {
            match w.tests {
                TestsWanted::All => all.push((i, m)),
                TestsWanted::None => {}
                TestsWanted::Only(set) if set.is_empty() => {}
                TestsWanted::Only(set) => {
                    some.push((i, m));
                    ids.extend(set.iter());
                }
            }
        }
        self.batch_rows("test_results", &all, "", &mut bufs)?;
        if !some.is_empty() {
            let mut v: Vec<&String> = ids.into_iter().collect();
            v.sort();
            let list: Vec<String> = v.iter().map(|s| lit(s)).collect();
            self.batch_rows(
                "test_results",
                &some,
                &format!(" AND id IN ({})", list.join(",")),
                &mut bufs,
            )?;
        }
        let with_metrics: Vec<(usize, &RunMeta)> = runs
            .iter()
            .zip(what)
            .enumerate()
            .filter(|(_, (_, w))| w.metrics)
            .map(|(i, (m, _))| (i, *m))
            .collect();
        self.batch_rows("metrics", &with_metrics, "", &mut bufs)?;
        for ((m, w), b) in runs.iter().zip(what).zip(&mut bufs) {
            if w.whole {
                let h = &heads[&m.id];
                b.extend_from_slice(h.tail.as_bytes());
                b.extend_from_slice(h.end_line.as_bytes());
                b.push(b'\n');
            }
        }
        Ok(bufs)
    }

    /// The test column of each of `runs` (at most a few hundred: the query names them),
    /// aggregated in the server: one row per test with the runs it ran in, its row number
    /// there and its outcome, so that each id crosses the wire once rather than once a run.
    fn outcome_columns(&self, runs: &[&RunMeta]) -> Result<Vec<RawColumn>, StoreError> {
        // Each row's run by its write id, through a hash lookup (`transform`); by its id
        // string (`indexOf`, a scan of the list per row) only when two runs share a write id.
        let tokens: Vec<u64> = runs.iter().map(|m| m.token).collect();
        let distinct: HashSet<u64> = tokens.iter().copied().collect();
        let idx =
            if distinct.len() == tokens.len() && tokens.iter().all(|t| *t > u64::from(u32::MAX)) {
                let from: Vec<String> = tokens.iter().map(u64::to_string).collect();
                let to: Vec<String> = (1..=runs.len()).map(|i| i.to_string()).collect();
                format!(
                    "transform(write_id, [{}], [{}], 0)",
                    from.join(","),
                    to.join(",")
                )
            } else {
                let names: Vec<String> = runs.iter().map(|m| lit(&m.id)).collect();
                format!("indexOf([{}], run_id)", names.join(","))
            };
        let sql = format!(
            "SELECT id, groupArray(idx), groupArray(seq), groupArray(code) FROM (SELECT id, {idx} AS idx, seq, toUInt8(CAST(status AS Int8) * 2 + mixed) AS code FROM {db}.test_results WHERE {w}) GROUP BY id FORMAT TabSeparated",
            db = self.db,
            w = self.batch_where(runs, "run_id")
        );
        let mut ids: Vec<String> = Vec::new();
        // Per run: (row number, test, code).
        let mut per_run: Vec<Vec<(u32, u32, u8)>> = runs
            .iter()
            .map(|m| Vec::with_capacity(m.counts.tests as usize))
            .collect();
        let nums = |text: &str, out: &mut Vec<u64>| -> Result<(), StoreError> {
            out.clear();
            let inner = text
                .strip_prefix('[')
                .and_then(|t| t.strip_suffix(']'))
                .ok_or_else(|| self.err(format!("unexpected answer: `{text}` is not an array")))?;
            if inner.is_empty() {
                return Ok(());
            }
            for x in inner.split(',') {
                out.push(
                    x.parse()
                        .map_err(|_| self.err(format!("unexpected answer: `{x}` in an array")))?,
                );
            }
            Ok(())
        };
        let (mut codes, mut seqs, mut idxs) = (Vec::new(), Vec::new(), Vec::new());
        self.lines(&sql, |l| {
            let mut f = l.rsplitn(4, '\t');
            let (Some(c_text), Some(s_text), Some(i_text), Some(id)) =
                (f.next(), f.next(), f.next(), f.next())
            else {
                return Err(self.err("unexpected answer: a short test row"));
            };
            nums(c_text, &mut codes)?;
            nums(s_text, &mut seqs)?;
            nums(i_text, &mut idxs)?;
            if codes.len() != seqs.len() || codes.len() != idxs.len() {
                return Err(self.err("unexpected answer: arrays of different lengths"));
            }
            let t = ids.len() as u32;
            ids.push(unescape_tsv(id));
            for ((&c, &s), &i) in codes.iter().zip(&seqs).zip(&idxs) {
                let run = (i as usize)
                    .checked_sub(1)
                    .filter(|r| *r < runs.len())
                    .ok_or_else(|| self.err("unexpected answer: a row of a run not asked for"))?;
                per_run[run].push((s as u32, t, c as u8));
            }
            Ok(())
        })?;
        Ok(per_run
            .into_iter()
            .map(|mut rows| {
                rows.sort_unstable_by_key(|r| r.0);
                let mut col = RawColumn::default();
                for (_, t, c) in rows {
                    let status = match c / 2 {
                        1 => Status::Passed,
                        2 => Status::Failed,
                        3 => Status::Errored,
                        _ => Status::Skipped,
                    };
                    col.add(&ids[t as usize], Code::new(status, c % 2 == 1));
                }
                col
            })
            .collect())
    }

    fn batch_failed(&self, runs: &[&RunMeta], e: &StoreError) -> Vec<IngestError> {
        runs.iter()
            .map(|m| IngestError::unusable(&m.path, e.to_string()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_parsed_and_credentials_never_shown() {
        let s = ClickHouseStore::open("clickhouse://bob:s3cret@db.example:9000/ci").unwrap();
        assert_eq!(s.describe(), "clickhouse://db.example:9000/ci");
        assert_eq!(s.base, "http://db.example:9000");
        assert!(s.auth.is_some());
        let d = ClickHouseStore::open("clickhouse://localhost").unwrap();
        assert_eq!(d.describe(), "clickhouse://localhost:8123/regdiff");
        assert!(ClickHouseStore::open("clickhouse:///x").is_err());
        let e = ClickHouseStore::open("clickhouse://u:pw@h/bad-name!").unwrap_err();
        assert!(!e.to_string().contains("pw"), "{e}");
        assert_eq!(redact("clickhouse://u:pw@h:1/d"), "clickhouse://h:1/d");
    }

    #[test]
    fn literals_escape_quotes_and_backslashes() {
        assert_eq!(lit("a'b\\c\n"), "'a\\'b\\\\c\\n'");
    }

    #[test]
    fn the_schema_has_three_tables() {
        let s = schema_statements("x");
        assert_eq!(s.len(), 3);
        assert!(
            s.iter()
                .all(|q| q.starts_with("CREATE TABLE IF NOT EXISTS x."))
        );
    }
}
