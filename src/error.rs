//! Typed errors of the library. Each one names the file and, where it applies, the line and
//! column, so that the CLI can print it as is and exit with status 2.

use std::io;
use std::path::PathBuf;

/// Reading a report or snapshot failed.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The file could not be opened or read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: io::Error,
    },
    /// The file is of a known format but broken at a position.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// 1-based column (in bytes).
        column: u64,
        /// What was expected and what was found.
        message: String,
    },
    /// A JSON file that is not a regdiff snapshot at all (no or another schema).
    #[error("{}: {message}", path.display())]
    NotSnapshot {
        /// The file.
        path: PathBuf,
        /// What it is instead.
        message: String,
    },
    /// The file as a whole is unusable (empty, unknown format, unsupported version).
    #[error("{}: {message}", path.display())]
    Unusable {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

/// An operating-system error's own text, without the `(os error N)` suffix Rust adds.
pub fn os_message(e: &io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(i) if text.ends_with(')') => text[..i].to_string(),
        _ => text,
    }
}

impl IngestError {
    /// An `Unusable` error.
    pub fn unusable(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        IngestError::Unusable {
            path: path.into(),
            message: message.into(),
        }
    }

    /// A `Syntax` error from a JSON document that is not what it should be: `what` names
    /// it ("not a hyperfine JSON file"), the position is serde_json's.
    pub fn json(path: impl Into<PathBuf>, e: &serde_json::Error, what: &str) -> Self {
        IngestError::Syntax {
            path: path.into(),
            line: e.line() as u64,
            column: e.column() as u64,
            message: format!("{what}: {e}"),
        }
    }

    /// An `Io` error.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        IngestError::Io {
            path: path.into(),
            source,
        }
    }
}

/// A store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store folder or a file in it could not be read or written.
    #[error("{}: {action}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What regdiff was doing.
        action: &'static str,
        /// The operating-system error.
        #[source]
        source: io::Error,
    },
    /// A stored snapshot is unreadable.
    #[error(transparent)]
    Snapshot(#[from] IngestError),
    /// A store server (ClickHouse) could not be reached or refused a request.
    #[error("{url}: {message}")]
    Server {
        /// The store's URL, without credentials.
        url: String,
        /// What went wrong, with the server's own message.
        message: String,
    },
    /// A selector such as `main[10]` is malformed.
    #[error("bad selector `{selector}`: {message}")]
    Selector {
        /// The selector as given.
        selector: String,
        /// What is wrong.
        message: String,
    },
    /// A selector matched fewer snapshots than asked for, or none.
    #[error("{message}")]
    NotEnough {
        /// What was asked and what the store holds.
        message: String,
    },
}

/// `regdiff.toml` is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: io::Error,
    },
    /// The file is not valid TOML or has unknown keys.
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
}
