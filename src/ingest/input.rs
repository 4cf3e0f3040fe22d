//! Opening an input: a regular file, a folder, or a stream (`-` for standard input, a FIFO,
//! `/dev/stdin`, a `<(…)` process substitution).
//!
//! A stream can be read only once. Format detection reads its first bytes; they are kept
//! here, beside the open stream, and the reader that follows gets them back before the rest,
//! so a stream is never read twice and never held whole.

use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use crate::error::IngestError;

/// What a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A folder.
    Dir,
    /// A regular file (its size is known).
    File,
    /// Standard input, a FIFO, a character device: read once, front to back.
    Stream,
}

/// Whether `path` is `-`, standard input.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// What `path` names; an error names it.
pub fn kind(path: &Path) -> Result<Kind, IngestError> {
    if is_stdin(path) {
        return Ok(Kind::Stream);
    }
    let meta = std::fs::metadata(path).map_err(|e| IngestError::io(path, e))?;
    Ok(if meta.is_dir() {
        Kind::Dir
    } else if meta.is_file() {
        Kind::File
    } else {
        Kind::Stream
    })
}

type Opened = Box<dyn Read + Send>;

/// Streams whose first bytes were read by detection: those bytes and the open stream.
type Pending = Mutex<HashMap<PathBuf, (Vec<u8>, Opened)>>;

fn pending() -> &'static Pending {
    static PENDING: OnceLock<Pending> = OnceLock::new();
    PENDING.get_or_init(|| Mutex::new(HashMap::new()))
}

fn open_raw(path: &Path) -> Result<Opened, IngestError> {
    if is_stdin(path) {
        return Ok(Box::new(std::io::stdin()));
    }
    let file = std::fs::File::open(path).map_err(|e| IngestError::io(path, e))?;
    Ok(Box::new(file))
}

/// Reads up to `n` bytes, retrying on interruption.
fn read_up_to(input: &mut dyn Read, n: usize, path: &Path) -> Result<Vec<u8>, IngestError> {
    let mut head = vec![0u8; n];
    let mut got = 0;
    while got < n {
        match input.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(IngestError::io(path, e)),
        }
    }
    head.truncate(got);
    Ok(head)
}

/// The first `n` bytes of `path` (fewer if it is shorter). For a stream they are kept, and
/// the next [`open`] of the same path returns them first.
pub fn prefix(path: &Path, n: usize) -> Result<Vec<u8>, IngestError> {
    let lock = || pending().lock().unwrap_or_else(|e| e.into_inner());
    if let Some((head, _)) = lock().get(path) {
        return Ok(head[..head.len().min(n)].to_vec());
    }
    // Opening a FIFO waits for its writer: not while holding the lock.
    let stream = kind(path)? == Kind::Stream;
    let mut input = open_raw(path)?;
    let head = read_up_to(&mut input, n, path)?;
    if stream {
        lock().insert(path.to_path_buf(), (head.clone(), input));
    }
    Ok(head)
}

/// Opens `path` for reading from its first byte, including a stream whose first bytes
/// detection has already read.
pub fn open(path: &Path) -> Result<Opened, IngestError> {
    let taken = pending()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(path);
    match taken {
        Some((head, rest)) => Ok(Box::new(Cursor::new(head).chain(rest))),
        None => open_raw(path),
    }
}

/// The whole content of `path` (formats that are read as one document).
pub fn read_all(path: &Path) -> Result<Vec<u8>, IngestError> {
    let mut input = open(path)?;
    let mut out = Vec::new();
    input
        .read_to_end(&mut out)
        .map_err(|e| IngestError::io(path, e))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_detected_prefix_is_read_again_before_the_rest() {
        let dir = std::env::temp_dir().join(format!("regdiff-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("fifo");
        let _ = std::fs::remove_file(&fifo);
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            panic!("mkfifo is needed for this test");
        }
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::write(&fifo, b"0123456789abcdef").unwrap())
        };
        assert_eq!(kind(&fifo).unwrap(), Kind::Stream);
        assert_eq!(prefix(&fifo, 4).unwrap(), b"0123");
        assert_eq!(read_all(&fifo).unwrap(), b"0123456789abcdef");
        writer.join().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
