//! The PostgreSQL wire protocol (v3) server side: TCP listener, startup and authentication,
//! simple and extended query, COPY, cancel requests and graceful shutdown.
//!
//! Owns: connections and their protocol state (statements, portals), message framing via the
//! `pgwire` crate's codec, the mapping of `SqlError` to ErrorResponse. Depends on: `sql`.
//! Never touches disk.
