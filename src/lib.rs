//! QuorumDB: a durable, Postgres-compatible SQL database replicated with Raft.
//!
//! Module map, bottom up (imports point downward only):
//!
//! * [`util`]: injectable clocks.
//! * [`vfs`]: the file-system seam every disk access goes through.
//! * [`sim`]: a simulated disk for crash tests (later: network and clock).
//! * [`encoding`]: order-preserving key encoding and checksums.
//! * [`wal`]: the segmented, checksummed, group-committed write-ahead log.
//! * [`storage`]: the MVCC key-value engine (memtables + checkpoint files) and its recovery.
//! * [`txn`]: transactions on one shard: HLC timestamps, snapshot reads, conflict detection.
//! * [`sql`]: sessions, catalog, types, planning and execution of SQL statements.
//! * [`pg`]: the PostgreSQL wire protocol server (pgwire codec; tokio listener, a thread with a
//!   blocking socket per connection).
//!
//! Still to come, per docs/architecture.md: `replication` (Raft), `coordinator` (shards and
//! 2PC) and `backup`.

pub mod encoding;
pub mod pg;
pub mod sim;
pub mod sql;
pub mod storage;
pub mod txn;
pub mod util;
pub mod vfs;
pub mod wal;
