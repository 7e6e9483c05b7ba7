//! Transactions on one shard: hybrid-logical-clock timestamps, snapshot reads, write-write
//! conflict detection, and read-set validation for SERIALIZABLE.
//!
//! How a transaction runs
//! ======================
//!
//! 1. `begin` takes a snapshot timestamp: the newest timestamp at which every commit is
//!    applied. All reads see exactly the commits at or below it (plus the transaction's own
//!    buffered writes).
//! 2. Writes are buffered in the transaction; nothing is visible to others yet.
//! 3. `commit` asks the [`Oracle`] to validate: no transaction that committed after our
//!    snapshot wrote a key we write (write-write conflict, all isolation levels) or a key or
//!    range we read (read-write conflict, SERIALIZABLE only). If that passes, the oracle
//!    assigns a commit timestamp from the [`Hlc`], and the batch goes to the storage engine
//!    (one WAL record, group-committed). A failed validation is [`TxnError::Conflict`], which
//!    the SQL layer reports as SQLSTATE 40001 so clients retry.
//!
//! Why this is serializable: every committing transaction's reads are checked to be still
//! current at its commit timestamp, so it is equivalent to running it alone at that instant;
//! read-only transactions read a snapshot that is a prefix of that commit order.
//!
//! The oracle is sans-IO: a plain state machine fed timestamps and key sets, so the same code
//! runs under the deterministic simulator and in production. [`TxnStore`] is the shell that
//! connects it to the storage engine and the clock.
//!
//! Depends on: `storage`, `util`.

mod error;
pub mod hlc;
pub mod locks;
pub mod oracle;
mod private;
mod store;

pub use error::{ConflictKind, TxnError};
pub use hlc::Hlc;
pub use oracle::{IsolationLevel, Oracle, ReadSet};
pub use store::{OwnedTxnScan, Savepoint, SnapshotPin, Transaction, TxnScan, TxnStore};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_locks;
#[cfg(test)]
mod tests_private;
