//! The MVCC key-value engine: durable, multi-version, with snapshot reads and range scans.
//!
//! Shape
//! =====
//!
//! ```text
//!   write(ts, batch) ──► WAL (group commit, fsync) ──► active memtable ──┐ reads at ts:
//!                                                       frozen memtables │ newest level
//!                                   checkpoint ──────►  checkpoint files ┘ first, mmap'd
//! ```
//!
//! * Every committed batch is one WAL record (atomic across a crash), then inserted into the
//!   active [`memtable::Memtable`] as versions keyed by (key, commit timestamp).
//! * A checkpoint freezes the active memtable at a WAL position P, writes it as an immutable,
//!   sorted, checksummed [`checkpoint_file`], switches the [`manifest`] atomically, and deletes
//!   WAL segments below P. Writers keep going during all of it; they only wait if memory use
//!   would exceed the configured limit.
//! * Checkpoint files are merged when there are too many (size-tiered); merges and flushes
//!   drop versions below the garbage-collection horizon.
//! * Recovery = open the files the manifest names (fully verified) + replay the WAL from the
//!   manifest's checkpoint position. Replayed versions are sorted once into a frozen, immutable
//!   run (no per-version tree insert), which the first checkpoint after startup writes out.
//!
//! Invariant that keeps reads simple: commit timestamps increase with WAL position (the
//! caller submits in timestamp order; [`Engine::submit`] checks it), so every version in a
//! newer level is newer than every version in an older one, and a point read can stop at the
//! first level that has a visible version.
//!
//! Timestamps are opaque `u64`s here; the `txn` layer gives them meaning (hybrid logical
//! clock) and decides what may commit.
//!
//! Depends on: `wal`, `vfs`, `encoding`.

mod background;
mod batch;
pub mod checkpoint_file;
mod engine;
mod error;
mod maintenance;
pub mod manifest;
pub mod memtable;
pub mod merge;

pub use batch::WriteBatch;
pub use engine::{Engine, EngineOptions, EngineStats, PendingWrite};
pub use error::StorageError;
pub use merge::{ReverseScan, Scan};

/// A commit timestamp. Larger is later.
pub type Timestamp = u64;

/// WAL record kind of a committed write batch.
pub const RECORD_COMMIT: u8 = 1;

#[cfg(test)]
mod tests;
