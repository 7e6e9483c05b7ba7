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

mod array_functions;
mod binder;
pub mod catalog;
mod catalog_version;
mod copy;
mod database;
mod datetime_functions;
pub mod error;
mod exec;
mod explain;
mod expr;
mod functions;
pub mod parser;
mod plan;
mod sequences;
mod session;
mod settings;
mod statement_shape;
pub(crate) mod system;
pub mod types;

pub use database::{Database, DatabaseOptions};
pub use error::{SqlError, sqlstate};
pub use session::{
    Column, CopyFormat, CopyIn, Outcome, Prepared, RowStream, Session, Statement, TxnStatus,
    completion_tag,
};

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_ddl;
#[cfg(test)]
mod tests_explain;
#[cfg(test)]
mod tests_objects;
#[cfg(test)]
mod tests_plan_cache;
#[cfg(test)]
mod tests_query_features;
#[cfg(test)]
mod tests_shape_cache;
#[cfg(test)]
mod tests_storage;
