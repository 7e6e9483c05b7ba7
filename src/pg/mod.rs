//! The PostgreSQL wire protocol (v3) server side: TCP listener, startup and authentication,
//! simple and extended query, COPY, cancel requests and graceful shutdown.
//!
//! Owns: connections and their protocol state (statements, portals), message framing, the
//! mapping of `SqlError` to ErrorResponse. Depends on: `sql` (a [`crate::sql::Session`] per
//! connection), `pgwire` (backend message encoding, SCRAM), `tokio` (listener and signals
//! only; each connection thread does blocking socket IO). Never touches disk.
//!
//! Files, one job each:
//! * [`frame`]: sans-IO decoding of frontend messages with our length limit (fuzzed).
//! * `wire`: the blocking socket and its buffers; reads frames, flushing output before blocking.
//! * `encode`: backend messages from our types (RowDescription, DataRow, ErrorResponse...).
//! * `startup`: SSL/GSS refusal, startup parameters, trust or SCRAM-SHA-256, cancel requests.
//! * `connection`: the protocol loop and the simple query protocol; row streaming.
//! * `extended`: Parse/Bind/Describe/Execute/Close/Sync, statements and portals.
//! * `copy`: COPY FROM STDIN / TO STDOUT framing and text/csv row encoding.
//! * [`server`]: listener, connection registry, cancel keys, graceful shutdown.

mod connection;
mod copy;
mod encode;
mod extended;
pub mod frame;
pub mod server;
mod startup;
mod wire;

pub use server::{ServerConfig, serve};
