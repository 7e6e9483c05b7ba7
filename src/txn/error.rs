//! [`TxnError`]: errors of the transaction layer.

use crate::storage::StorageError;
use thiserror::Error;

/// Which rule a conflicting transaction broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictKind {
    /// Another transaction committed a write to a key this one writes.
    WriteWrite,
    /// Another transaction committed a write to a key or range this one read.
    ReadWrite,
}

/// An error of the transaction layer.
#[derive(Debug, Clone, Error)]
pub enum TxnError {
    /// The transaction conflicts with one that committed after its snapshot and was rolled
    /// back. Retrying it is safe and is expected to succeed (SQLSTATE 40001).
    #[error("could not serialize access due to concurrent update ({kind:?} conflict on key {key})")]
    Conflict {
        /// Which rule was broken.
        kind: ConflictKind,
        /// The key involved, escaped for display.
        key: String,
    },
    /// Waiting for a row lock would have closed a cycle of transactions waiting for each
    /// other; this one was chosen to fail (SQLSTATE 40P01). Retrying it is safe.
    #[error("deadlock detected")]
    Deadlock,
    /// The storage engine failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl TxnError {
    /// True if retrying the whole transaction may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Conflict { .. } | Self::Deadlock)
    }
}
