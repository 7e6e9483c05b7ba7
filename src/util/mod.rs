//! Small building blocks with no knowledge of databases: injectable clocks, range bounds.
//!
//! Depends on: nothing inside the crate.

pub mod bounds;
pub mod clock;
