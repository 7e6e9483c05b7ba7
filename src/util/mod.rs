//! Small building blocks with no knowledge of databases: injectable clocks.
//!
//! Depends on: nothing inside the crate.

pub mod clock;
