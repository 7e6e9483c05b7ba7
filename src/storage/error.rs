//! [`StorageError`]: errors of the MVCC storage engine.

use crate::wal::WalError;
use std::path::PathBuf;
use std::sync::Arc;
use thiserror::Error;

/// An error of the storage engine.
#[derive(Debug, Clone, Error)]
pub enum StorageError {
    /// The write-ahead log failed or is damaged.
    #[error(transparent)]
    Wal(#[from] WalError),
    /// A file operation outside the WAL failed.
    #[error("storage I/O error during {op} on {}: {source}", path.display())]
    Io {
        /// What the engine was doing.
        op: &'static str,
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// A checkpoint file, the manifest, or a logged batch is damaged; the engine refuses to
    /// open rather than serve wrong data.
    #[error("storage corruption in {} at byte offset {offset}: {reason}", file.display())]
    Corruption {
        /// The damaged file.
        file: PathBuf,
        /// Byte offset of the damage, as close as known.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// A read asked for a snapshot older than the garbage-collection horizon: the versions it
    /// would need may be gone.
    #[error("snapshot {requested} is older than the garbage collection horizon {horizon}")]
    SnapshotTooOld {
        /// The requested snapshot timestamp.
        requested: u64,
        /// Versions below this timestamp may have been collected.
        horizon: u64,
    },
    /// The data directory is already open in another engine in this process.
    #[error("invalid storage request: {0}")]
    InvalidRequest(String),
}

impl StorageError {
    /// Wraps an I/O error with what was being done and where.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { op, path: path.into(), source: Arc::new(source) }
    }

    /// A corruption error for `file` at `offset`.
    pub fn corruption(file: impl Into<PathBuf>, offset: u64, reason: impl Into<String>) -> Self {
        Self::Corruption { file: file.into(), offset, reason: reason.into() }
    }

    /// True if the error means damaged data on disk.
    pub fn is_corruption(&self) -> bool {
        match self {
            Self::Corruption { .. } => true,
            Self::Wal(wal) => wal.is_corruption(),
            _ => false,
        }
    }
}
