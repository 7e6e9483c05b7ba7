//! Physical clocks behind a trait, so simulations and tests control time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of wall-clock time in milliseconds since the Unix epoch. It may jump backwards;
/// the hybrid logical clock built on it (`txn::hlc`) never does.
pub trait PhysicalClock: Send + Sync + std::fmt::Debug {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    fn now_millis(&self) -> u64;
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl PhysicalClock for SystemClock {
    fn now_millis(&self) -> u64 {
        // A clock before 1970 is a misconfigured machine; treat it as the epoch rather than
        // failing every transaction. The HLC keeps timestamps increasing regardless.
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
    }
}

/// A clock that only moves when told to: for deterministic tests and simulation.
#[derive(Debug, Default)]
pub struct ManualClock {
    millis: AtomicU64,
}

impl ManualClock {
    /// A clock stopped at `millis`.
    pub fn new(millis: u64) -> Self {
        Self { millis: AtomicU64::new(millis) }
    }

    /// Moves the clock to `millis` (backwards too, to test clock skew).
    pub fn set(&self, millis: u64) {
        self.millis.store(millis, Ordering::SeqCst);
    }

    /// Moves the clock forward by `millis`.
    pub fn advance(&self, millis: u64) {
        self.millis.fetch_add(millis, Ordering::SeqCst);
    }
}

impl PhysicalClock for ManualClock {
    fn now_millis(&self) -> u64 {
        self.millis.load(Ordering::SeqCst)
    }
}
