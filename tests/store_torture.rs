//! The store under abuse (issue 12): `record`s killed at random moments, concurrent writers,
//! and a file system that fills up. Afterwards no snapshot is half-written or lost, the
//! temporary files of killed writes are reported once stale, and `store check` is clean after
//! `store gc`. Seeded, and bounded in time by the number of runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::Rng;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_regdiff")
}

/// A report big enough (about 0.5 MB as a snapshot) that a kill often lands mid-write.
fn report(dir: &Path, cases: usize) -> PathBuf {
    let mut s = String::from("<testsuite name=\"torture\">");
    for i in 0..cases {
        s.push_str(&format!(
            "<testcase classname=\"t.Class{}\" name=\"case_{i}\" time=\"0.{i:03}\"/>",
            i % 17
        ));
    }
    s.push_str("</testsuite>");
    let p = dir.join("report.xml");
    std::fs::write(&p, s).unwrap();
    p
}

fn record(store: &Path, report: &Path, commit: &str) -> Command {
    let mut c = Command::new(bin());
    c.args(["record", "--no-env", "--branch", "main", "--commit", commit])
        .arg("--store")
        .arg(store)
        .arg(report)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

fn snapshots(store: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(store)
        .map(|rd| {
            rd.map(|e| e.unwrap().path())
                .filter(|p| {
                    let name = p.file_name().unwrap().to_string_lossy().into_owned();
                    (name.ends_with(".json") || name.ends_with(".jsonl")) && !name.starts_with('.')
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn temps(store: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(store)
        .map(|rd| {
            rd.map(|e| e.unwrap().path())
                .filter(|p| {
                    p.file_name()
                        .unwrap()
                        .to_string_lossy()
                        .starts_with(".tmp-")
                })
                .collect()
        })
        .unwrap_or_default()
}

fn store_cmd(store: &Path, what: &str) -> std::process::Output {
    Command::new(bin())
        .args(["store", what, "--store"])
        .arg(store)
        .output()
        .unwrap()
}

/// Every file is a whole snapshot whose name matches its content, and every record that
/// reported success is there.
fn assert_intact(store: &Path, acknowledged: &[String]) {
    let out = store_cmd(store, "check");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("problem:"),
        "store check found problems:\n{text}"
    );
    let ids: Vec<String> = snapshots(store)
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    for a in acknowledged {
        assert!(ids.contains(a), "acknowledged snapshot {a} is missing");
    }
}

/// The id `record` printed (`stored ID (…)`), read from its standard output.
fn stored_id(out: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(out);
    let rest = text
        .strip_prefix("stored ")
        .or_else(|| text.strip_prefix("already stored as "))?;
    rest.split_whitespace().next().map(str::to_string)
}

#[test]
fn records_killed_at_random_leave_whole_snapshots_or_none() {
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("store");
    let xml = report(d.path(), 4000);
    // How long one record takes here, to spread the kills over its whole life.
    let t = Instant::now();
    let out = record(&store, &xml, "calibrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let life = t.elapsed().max(Duration::from_millis(5));
    let mut rng = Rng::new(0x5eed_0012);
    let mut acknowledged = Vec::new();
    let (mut killed, mut finished) = (0, 0);
    for i in 0..500 {
        let mut cmd = record(&store, &xml, &format!("{i:08x}"));
        cmd.stdout(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let wait = life.mul_f64(rng.range(0.0, 1.3));
        std::thread::sleep(wait);
        // SIGKILL: no chance to clean up.
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        if out.status.success() {
            finished += 1;
            acknowledged.extend(stored_id(&out.stdout));
        } else {
            killed += 1;
        }
    }
    eprintln!(
        "500 records, one lasting about {life:?}: {killed} killed, {finished} finished; {} snapshots, {} temporary files left",
        snapshots(&store).len(),
        temps(&store).len()
    );
    assert!(killed > 50, "too few kills to test anything: {killed}");
    assert_intact(&store, &acknowledged);
    // What killed writes left is young, then reported once an hour old, then collected.
    let left = temps(&store);
    for p in &left {
        let f = std::fs::File::options().write(true).open(p).unwrap();
        f.set_modified(std::time::SystemTime::now() - Duration::from_secs(7200))
            .unwrap();
    }
    let check = store_cmd(&store, "check");
    let text = String::from_utf8_lossy(&check.stdout).into_owned();
    assert!(
        text.contains(&format!("{} stale temporary file(s)", left.len())),
        "{text}"
    );
    assert_eq!(
        check.status.code(),
        Some(if left.is_empty() { 0 } else { 1 })
    );
    let list = Command::new(bin())
        .args(["list", "--store"])
        .arg(&store)
        .output()
        .unwrap();
    if !left.is_empty() {
        assert!(String::from_utf8_lossy(&list.stderr).contains("never finished"));
    }
    assert!(store_cmd(&store, "gc").status.success());
    assert!(temps(&store).is_empty());
    let check = store_cmd(&store, "check");
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    assert_intact(&store, &acknowledged);
}

#[test]
fn four_concurrent_writers_lose_nothing() {
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("store");
    let xml = report(d.path(), 500);
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (store, xml) = (store.clone(), xml.clone());
            std::thread::spawn(move || {
                let mut ids = Vec::new();
                for i in 0..25 {
                    // Two writers share each commit: the same content may race for one name.
                    let commit = format!("{:04x}{i:04x}", w % 2);
                    let mut cmd = record(&store, &xml, &commit);
                    cmd.stdout(Stdio::piped());
                    let out = cmd.output().unwrap();
                    assert!(
                        out.status.success(),
                        "{}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    ids.extend(stored_id(&out.stdout));
                }
                ids
            })
        })
        .collect();
    let mut acknowledged: Vec<String> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    assert_eq!(acknowledged.len(), 100);
    acknowledged.sort();
    acknowledged.dedup();
    assert_intact(&store, &acknowledged);
    assert_eq!(snapshots(&store).len(), acknowledged.len());
    assert!(
        temps(&store).is_empty(),
        "a finished write leaves no temporary file"
    );
}

/// Mounts a tmpfs with `options` on `dir`; where mounting is not allowed, says why the test
/// is skipped and returns false.
fn mount_tmpfs(dir: &Path, options: &str) -> bool {
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", options, "tmpfs"])
        .arg(dir)
        .output();
    match mounted {
        Ok(o) if o.status.success() => true,
        Ok(o) => {
            eprintln!(
                "skipped: cannot mount a small tmpfs here ({})",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            false
        }
        Err(e) => {
            eprintln!("skipped: cannot run mount ({e})");
            false
        }
    }
}

#[test]
fn a_full_file_system_fails_cleanly() {
    let d = tempfile::tempdir().unwrap();
    let mnt = d.path().join("small");
    std::fs::create_dir(&mnt).unwrap();
    if !mount_tmpfs(&mnt, "size=1m") {
        return;
    }
    let unmount = |p: &Path| {
        let _ = Command::new("umount").arg(p).status();
    };
    let store = mnt.join("store");
    let xml = report(d.path(), 2000);
    let mut acknowledged = Vec::new();
    let mut full = None;
    for i in 0..40 {
        let mut cmd = record(&store, &xml, &format!("{i:08x}"));
        cmd.stdout(Stdio::piped());
        let out = cmd.output().unwrap();
        if out.status.success() {
            acknowledged.extend(stored_id(&out.stdout));
        } else {
            full = Some(String::from_utf8_lossy(&out.stderr).into_owned());
            break;
        }
    }
    let result = std::panic::catch_unwind(|| {
        let err = full.expect("1 MB fills up within 40 records");
        assert!(err.contains("No space left on device"), "{err}");
        assert!(!err.contains("hard links"), "{err}");
        assert_eq!(err.matches("os error 28").count(), 1, "{err}");
        assert!(
            temps(&store).is_empty(),
            "a failed write removes its temporary file"
        );
        assert_intact(&store, &acknowledged);
    });
    unmount(&mnt);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

/// Issue 12, defect 11: out of inodes, the link into place fails with ENOSPC; that is a
/// full file system, not one without hard links.
#[test]
fn running_out_of_inodes_is_not_blamed_on_hard_links() {
    let d = tempfile::tempdir().unwrap();
    let mnt = d.path().join("few-inodes");
    std::fs::create_dir(&mnt).unwrap();
    // The root, the store folder and the temporary file: a hard link needs a fourth.
    if !mount_tmpfs(&mnt, "size=4m,nr_inodes=3") {
        return;
    }
    let store = mnt.join("store");
    let xml = report(d.path(), 10);
    let out = record(&store, &xml, "abc").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let left = temps(&store);
    let _ = Command::new("umount").arg(&mnt).status();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    assert!(!err.contains("hard links"), "{err}");
    assert!(left.is_empty(), "the temporary file is removed: {left:?}");
}
