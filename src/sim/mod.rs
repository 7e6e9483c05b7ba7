//! Deterministic simulation support for tests: a simulated disk today; the simulated network
//! and clock for multi-node tests arrive with replication.
//!
//! Compiled into the library (not `#[cfg(test)]`) so integration tests, benchmarks and fuzz
//! targets can drive the real engine on it. Nothing in production code paths refers to it.
//!
//! Depends on: `vfs`.

mod disk;

pub use disk::SimFileSystem;
