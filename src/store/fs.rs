//! The folder store: `baselines/` holds one file per snapshot.
//!
//! Snapshots are written as `ID.jsonl`, in the JSON Lines encoding of
//! [`crate::ingest::snapshot_lines`]: `list` and the selectors read only each file's first
//! and last lines, history questions stream the rows, and only the runs compared are decoded
//! whole. Snapshots stored by earlier versions as one JSON document (`ID.json`) stay
//! readable and keep their ids.
//!
//! Writes are atomic: the snapshot is written to a hidden temporary file in the same folder,
//! flushed to disk (fsync), then linked under its final name, which fails if that name exists,
//! so a crash never leaves a half-written baseline and no snapshot is ever replaced. Only the
//! top-level `*.jsonl` and `*.json` files are read, in parallel (sub-folders such as
//! `examples/` are not part of the store).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Deserialize;

use super::{Catalog, CheckReport, RunMeta, SaveOutcome, Store, chronological};
use crate::error::{IngestError, StoreError};
use crate::ingest::snapshot;
use crate::ingest::snapshot_lines::{self, Counts, Sink};
use crate::model::{EnvFingerprint, RunInfo, SNAPSHOT_SCHEMA, Snapshot, Status};

/// The snapshot files of a store folder, and its temporary files with their sizes.
type Scan = (Vec<PathBuf>, Vec<(PathBuf, u64)>);

/// A store kept in a folder.
#[derive(Debug, Clone)]
pub struct FsStore {
    dir: PathBuf,
}

impl FsStore {
    /// A store in `dir` (created on the first save).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        FsStore { dir: dir.into() }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The snapshot files, in name order, and the stale temporary files beside them.
    fn snapshot_files(&self) -> Result<Scan, StoreError> {
        self.scan(super::STALE_TEMP_SECS)
    }

    /// The snapshot files, and the temporary files at least `temp_age` seconds old.
    fn scan(&self, temp_age: u64) -> Result<Scan, StoreError> {
        if !self.dir.exists() {
            return Ok((Vec::new(), Vec::new()));
        }
        let io = |source| StoreError::Io {
            path: self.dir.clone(),
            action: "cannot list the store",
            source,
        };
        let mut files = Vec::new();
        let mut stale = Vec::new();
        let now = std::time::SystemTime::now();
        for entry in fs::read_dir(&self.dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with(TEMP_PREFIX) {
                if let Ok(meta) = fs::symlink_metadata(&path)
                    && meta.is_file()
                    && meta
                        .modified()
                        .ok()
                        .and_then(|m| now.duration_since(m).ok())
                        .is_some_and(|age| age.as_secs() >= temp_age)
                {
                    stale.push((path, meta.len()));
                }
                continue;
            }
            if name.starts_with('.')
                || !(name.ends_with(".json") || name.ends_with(".jsonl"))
                || !path.is_file()
            {
                continue;
            }
            files.push(path);
        }
        files.sort();
        stale.sort();
        Ok((files, stale))
    }
}

/// An I/O error of the store at `path`, while doing `action`.
fn io_error(path: &Path, action: &'static str) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.to_path_buf();
    move |source| StoreError::Io {
        path,
        action,
        source,
    }
}

/// Why linking the written snapshot into place failed, in words: a full disk, an exhausted
/// quota or inode table is not a file system without hard links.
fn link_failure(e: &std::io::Error) -> &'static str {
    match e.raw_os_error() {
        Some(28) => {
            "cannot link the snapshot into place: the file system is full (no space or no free inodes)"
        }
        Some(122) => "cannot link the snapshot into place: the disk quota is exhausted",
        Some(30) => "cannot link the snapshot into place: the file system is read-only",
        Some(13) => "cannot link the snapshot into place: permission denied",
        Some(1) => {
            "cannot link the snapshot into place: not permitted (the store needs a file system with hard links)"
        }
        Some(31) => "cannot link the snapshot into place: too many links to the temporary file",
        Some(18) | Some(95) | Some(38) => {
            "cannot link the snapshot into place (the store needs a file system with hard links)"
        }
        _ => "cannot link the snapshot into place",
    }
}

/// The prefix of the temporary files a save writes before linking them into place.
const TEMP_PREFIX: &str = ".tmp-";

/// The id of a stored file: its name without `.jsonl` or `.json`.
fn id_of(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_string()
}

/// A file-name-safe rendering of a branch name.
fn sanitize(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(48)
        .collect();
    if cleaned.is_empty() {
        "none".into()
    } else {
        cleaned
    }
}

/// FNV-1a, 64 bits: a stable content hash for file names (not for security).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    fnv1a64_more(FNV_START, bytes)
}

const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// [`fnv1a64`] continued over more bytes.
fn fnv1a64_more(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A file being written, hashed as it goes.
struct Hashing {
    out: std::io::BufWriter<File>,
    hash: u64,
}

impl Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.hash = fnv1a64_more(self.hash, &buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Whether two files hold the same bytes, read a block at a time.
fn same_contents(a: &Path, b: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    let (fa, fb) = (File::open(a)?, File::open(b)?);
    if fa.metadata()?.len() != fb.metadata()?.len() {
        return Ok(false);
    }
    let (mut ra, mut rb) = (
        std::io::BufReader::with_capacity(1 << 16, fa),
        std::io::BufReader::with_capacity(1 << 16, fb),
    );
    let (mut ba, mut bb) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let n = ra.read(&mut ba)?;
        if n == 0 {
            return Ok(true);
        }
        rb.read_exact(&mut bb[..n])?;
        if ba[..n] != bb[..n] {
            return Ok(false);
        }
    }
}

/// A run being stored by [`FsStore`], its rows written to a temporary file as they come;
/// dropped before [`SaveInProgress::commit`], it removes the file.
struct FsSave<'a> {
    dir: &'a Path,
    tmp_path: PathBuf,
    run: RunInfo,
    writer: Option<snapshot_lines::Writer<Hashing>>,
}

impl Drop for FsSave<'_> {
    fn drop(&mut self) {
        if self.writer.is_some() {
            let _ = fs::remove_file(&self.tmp_path);
        }
    }
}

impl FsSave<'_> {
    fn writer(&mut self) -> &mut snapshot_lines::Writer<Hashing> {
        self.writer
            .as_mut()
            .expect("a save in progress has its writer")
    }
}

impl super::SaveInProgress for FsSave<'_> {
    fn test(&mut self, t: &crate::model::TestResult) -> std::io::Result<()> {
        self.writer().test(t)
    }

    fn metric(&mut self, m: &crate::model::Metric) -> std::io::Result<()> {
        self.writer().metric(m)
    }

    fn commit(
        mut self: Box<Self>,
        warnings: &[String],
        sources: &[String],
        properties: &std::collections::BTreeMap<String, String>,
    ) -> Result<SaveOutcome, StoreError> {
        let io = io_error;
        let tmp_path = self.tmp_path.clone();
        let writer = self.writer.take().expect("committed once");
        let written = (|| {
            let hashing = writer.finish(warnings, sources, properties)?;
            let hash = hashing.hash;
            let file = hashing.out.into_inner().map_err(|e| e.into_error())?;
            Ok((file, hash))
        })();
        let (file, hash) = match written {
            Ok(x) => x,
            Err(e) => {
                let _ = fs::remove_file(&tmp_path);
                return Err(io(&tmp_path, "cannot write the snapshot")(e));
            }
        };
        if let Err(e) = file.sync_all() {
            let _ = fs::remove_file(&tmp_path);
            return Err(io(&tmp_path, "cannot flush the snapshot to disk")(e));
        }
        drop(file);
        let id = snapshot_id_of(&self.run, hash);
        let final_path = self.dir.join(format!("{id}.jsonl"));
        // Link under the final name: fails if the name exists, so nothing is replaced.
        let linked = fs::hard_link(&tmp_path, &final_path);
        let outcome = match linked {
            Ok(()) => Ok(false),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                match same_contents(&final_path, &tmp_path) {
                    Ok(true) => Ok(true),
                    _ => Err(StoreError::Io {
                        path: final_path.clone(),
                        action: "a different snapshot is already stored under this name; not replaced",
                        source: e,
                    }),
                }
            }
            // A rename would silently replace a snapshot written meanwhile under the same
            // name; without hard links there is no safe way to place the file.
            Err(e) => Err(StoreError::Io {
                path: final_path.clone(),
                action: link_failure(&e),
                source: e,
            }),
        };
        let _ = fs::remove_file(&tmp_path);
        let already_stored = outcome?;
        if let Ok(d) = File::open(self.dir) {
            // Make the new directory entry durable too (not possible on every platform).
            let _ = d.sync_all();
        }
        Ok(SaveOutcome {
            id,
            location: final_path.display().to_string(),
            already_stored,
        })
    }
}

/// The id a snapshot is stored under: time, branch, commit and a content hash.
pub fn snapshot_id(snapshot: &Snapshot, json: &[u8]) -> String {
    snapshot_id_of(&snapshot.run, fnv1a64(json))
}

/// [`snapshot_id`] from the run and the content hash.
fn snapshot_id_of(run: &RunInfo, hash: u64) -> String {
    let time = run
        .time
        .as_deref()
        .and_then(super::parse_time)
        .map(|t| t.strftime("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_else(|| "notime".into());
    let branch = sanitize(run.branch.as_deref().unwrap_or("none"));
    let commit: String = run
        .commit
        .as_deref()
        .unwrap_or("nocommit")
        .chars()
        .take(12)
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{time}-{branch}-{commit}-{:08x}", hash >> 32)
}

/// What an earlier version's snapshot file (one JSON document) says of its run, read
/// without building its tests.
#[derive(Deserialize)]
struct LegacyMeta {
    schema: String,
    run: RunInfo,
    #[serde(default)]
    env: EnvFingerprint,
    #[serde(default)]
    tests: Vec<StatusOnly>,
    #[serde(default)]
    metrics: Vec<serde::de::IgnoredAny>,
    #[serde(default)]
    warnings: Vec<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct StatusOnly {
    status: Status,
}

/// The metadata of one stored file.
fn read_meta(path: &Path) -> Result<RunMeta, IngestError> {
    let id = id_of(path);
    if path.extension().is_some_and(|e| e == "jsonl") {
        let m = snapshot_lines::read_meta(path)?;
        return Ok(RunMeta {
            id,
            run: m.header.run,
            env: m.header.env,
            counts: m.counts,
            path: path.to_path_buf(),
            token: 0,
        });
    }
    let bytes = crate::ingest::input::read_all(path)?;
    if snapshot_lines::sniff(&bytes[..bytes.len().min(4096)]) {
        // The new encoding under the old extension (copied by hand): read it whole.
        let s = snapshot::parse(path, &bytes)?;
        return Ok(meta_of(id, path, &s));
    }
    match serde_json::from_slice::<LegacyMeta>(&bytes) {
        Ok(m)
            if m.schema == SNAPSHOT_SCHEMA
                && m.run
                    .time
                    .as_deref()
                    .is_none_or(|t| t.parse::<jiff::Timestamp>().is_ok()) =>
        {
            let mut counts = Counts {
                tests: m.tests.len() as u64,
                metrics: m.metrics.len() as u64,
                warnings: m.warnings.len() as u64,
                ..Counts::default()
            };
            for t in &m.tests {
                match t.status {
                    Status::Passed => counts.passed += 1,
                    Status::Failed => counts.failed += 1,
                    Status::Errored => counts.errored += 1,
                    Status::Skipped => counts.skipped += 1,
                }
            }
            Ok(RunMeta {
                id,
                run: m.run,
                env: m.env,
                counts,
                path: path.to_path_buf(),
                token: 0,
            })
        }
        // Anything else: the full reader says precisely what is wrong.
        _ => {
            let s = snapshot::parse(path, &bytes)?;
            Ok(meta_of(id, path, &s))
        }
    }
}

fn meta_of(id: String, path: &Path, s: &Snapshot) -> RunMeta {
    RunMeta {
        id,
        run: s.run.clone(),
        env: s.env.clone(),
        counts: Counts::of(s),
        path: path.to_path_buf(),
        token: 0,
    }
}

impl FsStore {
    /// [`Store::catalog`], telling how many snapshot files there are (`start`) and when
    /// each has been read (`tick`, from any thread): for a progress bar.
    pub fn catalog_with(
        &self,
        start: &dyn Fn(usize),
        tick: &(dyn Fn() + Sync),
    ) -> Result<Catalog, StoreError> {
        let (files, stale_temps) = self.snapshot_files()?;
        start(files.len());
        let results: Vec<_> = files
            .par_iter()
            .map(|p| {
                let r = read_meta(p);
                tick();
                r
            })
            .collect();
        let mut catalog = Catalog {
            stale_temps,
            ..Catalog::default()
        };
        for r in results {
            match r {
                Ok(m) => catalog.runs.push(m),
                Err(e @ IngestError::NotSnapshot { .. }) => catalog.foreign.push(e),
                Err(e) => catalog.failures.push(e),
            }
        }
        catalog.runs.sort_by(chronological);
        Ok(catalog)
    }
}

impl Store for FsStore {
    fn describe(&self) -> String {
        format!("{}/", self.dir.display())
    }

    fn catalog(&self) -> Result<Catalog, StoreError> {
        self.catalog_with(&|_| {}, &|| {})
    }

    /// Temporary files left by killed writes (see [`super::Loaded::stale_temps`]).
    fn stale_temps(&self) -> Result<Vec<(PathBuf, u64)>, StoreError> {
        Ok(self.snapshot_files()?.1)
    }

    /// Verifies every file of the store: each snapshot parses, and its name is the id of its
    /// content (time, branch, commit and the content hash, so a changed byte shows); temporary
    /// files left by killed writes are listed. Nothing is changed.
    fn check(&self) -> Result<CheckReport, StoreError> {
        let (files, stale) = self.snapshot_files()?;
        let problems: Vec<Option<String>> = files
            .par_iter()
            .map(|p| {
                let bytes = match fs::read(p) {
                    Ok(b) => b,
                    Err(e) => {
                        return Some(format!(
                            "{}: cannot read: {}",
                            p.display(),
                            crate::error::os_message(&e)
                        ));
                    }
                };
                match snapshot::parse(p, &bytes) {
                    Err(e) => Some(e.to_string()),
                    Ok(s) => {
                        let want = snapshot_id(&s, &bytes);
                        let have = id_of(p);
                        (want != have).then(|| {
                            format!(
                                "{}: the name does not match the content (its content gives the id `{want}`): the file was changed after it was stored, or stored by other means",
                                p.display()
                            )
                        })
                    }
                }
            })
            .collect();
        Ok(CheckReport {
            checked: files.len(),
            problems: problems.into_iter().flatten().collect(),
            stale_temps: stale,
        })
    }

    /// Removes the temporary files of writes that never finished, older than `older_than`
    /// seconds, and returns them with their sizes. Snapshots are never touched.
    fn gc(&self, older_than: u64) -> Result<Vec<(PathBuf, u64)>, StoreError> {
        let (_, old) = self.scan(older_than)?;
        for (path, _) in &old {
            fs::remove_file(path)
                .map_err(io_error(path, "cannot remove a stale temporary file"))?;
        }
        Ok(old)
    }

    fn load(&self, run: &RunMeta) -> Result<Snapshot, IngestError> {
        snapshot::read_file(&run.path)
    }

    fn load_batch_shared(
        &self,
        runs: &[&RunMeta],
        sharing: &mut super::Sharing,
    ) -> Vec<Result<Snapshot, IngestError>> {
        super::load_shared(runs.len(), sharing, |i, names| {
            let path = &runs[i].path;
            snapshot::parse_shared(path, &crate::ingest::input::read_all(path)?, names)
        })
    }

    fn scan(&self, run: &RunMeta, sink: &mut dyn Sink) -> Result<(), IngestError> {
        let bytes = crate::ingest::input::read_all(&run.path)?;
        if snapshot_lines::sniff(&bytes[..bytes.len().min(4096)]) {
            snapshot_lines::scan(&run.path, &bytes, sink)?;
        } else {
            snapshot_lines::feed(snapshot::parse(&run.path, &bytes)?, sink);
        }
        Ok(())
    }

    fn save(&self, snap: &Snapshot) -> Result<SaveOutcome, StoreError> {
        // Repeats are the comparison's reading of stored runs, never written (they would be
        // lost).
        assert!(
            snap.repeats.is_none(),
            "a run read with repeats is not written"
        );
        let mut save = self.start_save(&snap.run, &snap.env)?;
        let tmp = save.tmp_path.clone();
        let write = |save: &mut FsSave<'_>| -> std::io::Result<()> {
            for t in &snap.tests {
                save.writer().test(t)?;
            }
            for m in &snap.metrics {
                save.writer().metric(m)?;
            }
            Ok(())
        };
        write(&mut save).map_err(io_error(&tmp, "cannot write the snapshot"))?;
        super::SaveInProgress::commit(
            Box::new(save),
            &snap.warnings,
            &snap.sources,
            &snap.properties,
        )
    }

    fn saves_in_rows(&self) -> bool {
        true
    }

    fn begin_save(
        &self,
        run: &RunInfo,
        env: &EnvFingerprint,
    ) -> Option<Result<Box<dyn super::SaveInProgress + '_>, StoreError>> {
        Some(
            self.start_save(run, env)
                .map(|s| Box::new(s) as Box<dyn super::SaveInProgress>),
        )
    }
}

impl FsStore {
    /// Creates the temporary file of a new snapshot and writes its header.
    fn start_save(&self, run: &RunInfo, env: &EnvFingerprint) -> Result<FsSave<'_>, StoreError> {
        let io = io_error;
        fs::create_dir_all(&self.dir).map_err(io(&self.dir, "cannot create the store folder"))?;
        let tmp_path = self.dir.join(format!(
            "{TEMP_PREFIX}{}-{}.jsonl",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        let f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp_path)
            .map_err(io(&tmp_path, "cannot create a temporary file"))?;
        let mut save = FsSave {
            dir: &self.dir,
            tmp_path,
            run: run.clone(),
            writer: None,
        };
        let hashing = Hashing {
            out: std::io::BufWriter::with_capacity(1 << 16, f),
            hash: FNV_START,
        };
        match snapshot_lines::Writer::new(hashing, run, env) {
            Ok(w) => save.writer = Some(w),
            Err(e) => {
                let _ = fs::remove_file(&save.tmp_path);
                return Err(io(&save.tmp_path, "cannot write the snapshot")(e));
            }
        }
        Ok(save)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_then_load_round_trips_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::new(dir.path().join("b"));
        let mut s = Snapshot::new();
        s.run.branch = Some("feature/x y".into());
        s.run.commit = Some("0123456789abcdef".into());
        s.run.time = Some("2026-11-22T01:02:03Z".into());
        let first = store.save(&s).unwrap();
        assert!(
            first
                .id
                .starts_with("20261122T010203Z-feature_x_y-0123456789ab-")
        );
        assert!(!first.already_stored);
        let again = store.save(&s).unwrap();
        assert!(again.already_stored);
        assert_eq!(again.id, first.id);
        let loaded = store.load_all().unwrap();
        assert_eq!(loaded.snapshots.len(), 1);
        assert_eq!(loaded.snapshots[0].snapshot, s);
        assert!(store.dir().join(format!("{}.jsonl", first.id)).is_file());
        // no temporary files left behind
        let names: Vec<_> = fs::read_dir(store.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1);
    }

    /// Runs read together point to shared copies of their ids, names and class names (one
    /// copy for each worker, not one for each run), and every run still reads as it was
    /// stored, whatever the order of its tests.
    #[test]
    fn runs_read_together_share_their_names_and_read_as_stored() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::new(dir.path().join("b"));
        let mut saved = Vec::new();
        for run in 0..12 {
            let mut order: Vec<usize> = (0..30).collect();
            if run % 3 == 1 {
                order.reverse();
            }
            let cases: String = order
                .iter()
                .map(|&i| {
                    // A renamed test in some runs: no shared copy holds its id.
                    let name = if run % 4 == 3 && i == 7 {
                        "renamed".to_string()
                    } else {
                        format!("case_{i}")
                    };
                    format!(
                        r#"<testcase classname="pkg.Class{}" name="{name}" time="0.{i}"/>"#,
                        i / 10
                    )
                })
                .collect();
            let xml = dir.path().join(format!("run{run}.xml"));
            fs::write(
                &xml,
                format!(r#"<testsuites><testsuite name="suite">{cases}</testsuite></testsuites>"#),
            )
            .unwrap();
            let mut s = crate::ingest::read_path(&xml, Default::default())
                .unwrap()
                .remove(0);
            s.run.branch = Some("main".into());
            s.run.time = Some(format!("2026-11-22T01:02:{run:02}Z"));
            store.save(&s).unwrap();
            saved.push(s);
        }
        let catalog = store.catalog().unwrap();
        let metas: Vec<&RunMeta> = catalog.runs.iter().collect();
        let loaded: Vec<Snapshot> = store
            .load_batch(&metas)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        for (l, s) in loaded.iter().zip(&saved) {
            assert_eq!(l.tests, s.tests);
        }
        let copies = |pick: &dyn Fn(&crate::model::TestResult) -> Option<&crate::model::Name>| {
            let mut at: Vec<*const u8> = loaded
                .iter()
                .flat_map(|r| &r.tests)
                .filter(|t| &*t.name == "case_3")
                .filter_map(|t| pick(t).map(|n| n.as_ptr()))
                .collect();
            at.sort();
            at.dedup();
            at.len()
        };
        let most = 1 + rayon::current_num_threads();
        assert!(
            copies(&|t| Some(&t.id)) <= most,
            "{}",
            copies(&|t| Some(&t.id))
        );
        assert!(copies(&|t| Some(&t.name)) <= most);
        assert!(copies(&|t| t.classname.as_ref()) <= most);
        assert!(copies(&|t| t.suite.as_ref()) <= most);
    }

    #[test]
    fn link_failures_name_their_cause() {
        let said = |code| link_failure(&std::io::Error::from_raw_os_error(code));
        assert!(said(28).contains("full"));
        assert!(said(122).contains("quota"));
        assert!(said(18).contains("hard links"));
        for code in [28, 122, 30, 13] {
            assert!(!said(code).contains("hard links"), "{code}");
        }
    }

    #[test]
    fn corrupt_files_are_reported_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::new(dir.path());
        let mut s = Snapshot::new();
        s.run.branch = Some("main".into());
        store.save(&s).unwrap();
        fs::write(
            dir.path().join("broken.json"),
            b"{\"schema\": \"regdiff.snap",
        )
        .unwrap();
        fs::create_dir(dir.path().join("examples")).unwrap();
        fs::write(dir.path().join("examples/x.json"), b"not even json").unwrap();
        let loaded = store.load_all().unwrap();
        assert_eq!(loaded.snapshots.len(), 1);
        assert_eq!(loaded.failures.len(), 1);
        assert!(loaded.failures[0].to_string().contains("broken.json"));
    }
}
