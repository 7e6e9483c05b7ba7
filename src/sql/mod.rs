//! The SQL layer: statement text in, rows and command tags out.
//!
//! A statement goes parse (sqlparser, PostgreSQL dialect) → bind (names and types resolved
//! against the catalog, at the transaction's snapshot) → plan → execute (pull-based row
//! iterators over transactional key-value reads and writes). The catalog itself lives in the
//! key-value store, so DDL is transactional.
//!
//! Owns: sessions (transaction state, settings, prepared statements), the catalog, types and
//! values, planning and execution. Depends on: `txn`, `storage`, `encoding`. Knows nothing of
//! the wire protocol: `pg` drives a [`Session`] and encodes what it returns.

pub mod error;
mod session;
pub mod types;

pub use error::{SqlError, sqlstate};
pub use session::{
    Column, CopyFormat, CopyIn, Database, DatabaseOptions, Outcome, Prepared, RowStream, Session,
    Statement, TxnStatus, completion_tag,
};
