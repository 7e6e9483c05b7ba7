//! [`WalError`]: everything that can go wrong in the write-ahead log.

use std::path::PathBuf;
use std::sync::Arc;
use thiserror::Error;

/// An error of the write-ahead log. Cloneable: one failed group commit fails every waiter.
#[derive(Debug, Clone, Error)]
pub enum WalError {
    /// The operating system reported an error.
    #[error("WAL I/O error during {op} on {}: {source}", path.display())]
    Io {
        /// What the WAL was doing.
        op: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// The log is damaged in a way a crash cannot explain; the engine refuses to open.
    #[error("WAL corruption in {} at byte offset {offset}: {reason}", file.display())]
    Corruption {
        /// The segment file.
        file: PathBuf,
        /// Byte offset of the first bad byte or record in that file.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// A previous write or fsync failed, so what is on disk is unknown; no further commits are
    /// accepted until the process restarts and recovers the log.
    #[error("WAL is unavailable after an earlier I/O failure; restart to recover: {cause}")]
    Poisoned {
        /// The original failure.
        cause: String,
    },
    /// A record exceeds the configured maximum size.
    #[error("WAL record of {size} bytes exceeds the maximum of {max} bytes")]
    RecordTooLarge {
        /// Size of the rejected record.
        size: usize,
        /// The configured maximum.
        max: usize,
    },
    /// A caller asked for a log position that does not exist.
    #[error("invalid WAL position {lsn}: {reason}")]
    InvalidPosition {
        /// The requested position.
        lsn: u64,
        /// Why it is invalid.
        reason: &'static str,
    },
}

impl WalError {
    /// Wraps an I/O error with what was being done and where.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { op, path: path.into(), source: Arc::new(source) }
    }

    /// True if this error means the log on disk is damaged (not a transient failure).
    pub fn is_corruption(&self) -> bool {
        matches!(self, Self::Corruption { .. })
    }
}
