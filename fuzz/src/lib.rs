//! Shared driver of the fuzz targets: every parser is reached through regdiff's public
//! reading entry point, with the fuzzer's bytes written to a file, exactly as a user's report
//! would be read. A parser may reject the input (an error naming file and position) but must
//! never panic, hang or run out of memory.

use std::path::PathBuf;

use regdiff::ingest::{Format, ReadOptions, read_path};

fn scratch() -> PathBuf {
    let base = std::env::var_os("REGDIFF_FUZZ_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/dev/shm"));
    base.join(format!("regdiff-fuzz-{}", std::process::id()))
}

/// Reads `data` as one file in `format` (`None`: detected by content).
pub fn read_as(format: Option<Format>, data: &[u8]) {
    let dir = scratch();
    std::fs::create_dir_all(&dir).expect("scratch folder");
    let file = dir.join("input");
    std::fs::write(&file, data).expect("scratch file");
    let result = read_path(
        &file,
        ReadOptions {
            format,
            ..ReadOptions::default()
        },
    );
    if let Err(e) = result {
        // Every error names the file it is about.
        let text = e.to_string();
        assert!(
            text.contains("input"),
            "error does not name the file: {text}"
        );
    }
}

/// Reads `data` as a criterion folder: the bytes, split at 0xFF, become `benchmark.json`,
/// `estimates.json` and `sample.json` of one benchmark.
pub fn read_criterion(data: &[u8]) {
    let dir = scratch().join("criterion");
    let _ = std::fs::remove_dir_all(&dir);
    let bench = dir.join("group").join("new");
    std::fs::create_dir_all(&bench).expect("scratch folder");
    let mut parts = data.splitn(3, |&b| b == 0xFF);
    let meta = parts.next().unwrap_or_default();
    // Without criterion's marker the folder is not read as criterion at all: keep one.
    let mut benchmark =
        b"{\"group_id\":\"group\",\"full_id\":\"group\",\"directory_name\":\"group\",".to_vec();
    benchmark.extend_from_slice(meta);
    std::fs::write(bench.join("benchmark.json"), benchmark).expect("scratch file");
    std::fs::write(
        bench.join("estimates.json"),
        parts.next().unwrap_or_default(),
    )
    .expect("scratch file");
    std::fs::write(bench.join("sample.json"), parts.next().unwrap_or_default())
        .expect("scratch file");
    let _ = read_path(&dir, ReadOptions::default());
}
