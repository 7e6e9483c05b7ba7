//! [`Hlc`]: a hybrid logical clock.
//!
//! A timestamp packs wall-clock milliseconds in the high 48 bits and a logical counter in the
//! low 16. `now` returns max(physical, last + 1): close to real time (so shards in different
//! regions order commits sensibly without synchronized clocks), strictly increasing even if
//! the wall clock stalls or jumps back, and never behind any timestamp it has `observe`d (from
//! recovery, or later from other nodes' messages). Counter overflow carries into the
//! millisecond part, which keeps it monotonic.
//!
//! Sans-IO: the caller passes the physical time in.

use crate::storage::Timestamp;

/// Bits of the logical counter.
pub const LOGICAL_BITS: u32 = 16;

/// Builds a timestamp from wall-clock milliseconds and a logical counter.
pub fn timestamp(physical_ms: u64, logical: u16) -> Timestamp {
    (physical_ms << LOGICAL_BITS) | Timestamp::from(logical)
}

/// The wall-clock milliseconds of a timestamp.
pub fn physical_ms(ts: Timestamp) -> u64 {
    ts >> LOGICAL_BITS
}

/// A hybrid logical clock.
#[derive(Debug, Clone, Default)]
pub struct Hlc {
    last: Timestamp,
}

impl Hlc {
    /// A clock that will never return a timestamp at or below `floor`.
    pub fn new(floor: Timestamp) -> Self {
        Self { last: floor }
    }

    /// A new timestamp, strictly greater than every one returned or observed before.
    pub fn now(&mut self, physical_ms: u64) -> Timestamp {
        let wall = timestamp(physical_ms, 0);
        self.last = if wall > self.last { wall } else { self.last + 1 };
        self.last
    }

    /// Moves the clock past a timestamp seen elsewhere.
    pub fn observe(&mut self, ts: Timestamp) {
        self.last = self.last.max(ts);
    }

    /// The last timestamp returned or observed.
    pub fn last(&self) -> Timestamp {
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strictly_increasing_even_when_wall_clock_goes_back() {
        let mut hlc = Hlc::new(0);
        let a = hlc.now(1000);
        let b = hlc.now(1000);
        let c = hlc.now(900);
        let d = hlc.now(2000);
        assert!(a < b && b < c && c < d);
        assert_eq!(physical_ms(a), 1000);
        assert_eq!(d, timestamp(2000, 0));
    }

    #[test]
    fn observed_timestamps_are_never_undercut() {
        let mut hlc = Hlc::new(timestamp(5000, 7));
        assert!(hlc.now(1000) > timestamp(5000, 7));
        hlc.observe(timestamp(9000, 0));
        assert_eq!(hlc.now(1000), timestamp(9000, 1));
    }

    #[test]
    fn logical_overflow_carries_into_milliseconds() {
        let mut hlc = Hlc::new(timestamp(10, u16::MAX));
        assert_eq!(hlc.now(10), timestamp(11, 0));
    }
}
