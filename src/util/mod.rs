//! Small building blocks with no knowledge of databases: injectable clocks, range bounds,
//! background-thread priorities.
//!
//! Depends on: nothing inside the crate.

pub mod bounds;
pub mod clock;
pub mod priority;
