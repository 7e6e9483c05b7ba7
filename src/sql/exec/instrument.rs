//! EXPLAIN ANALYZE instrumentation: per plan node, how often it ran (loops), how many rows it
//! returned, how many its filter removed, and (with timing) how long it took to its first
//! row and in all, inclusive of its inputs.
//!
//! The counters live in the plan ([`NodeStats`] slots owned by the plan structure that holds
//! the node), so repeated runs of a node (a correlated subquery, a recursive step) add up as
//! PostgreSQL's loops do. The executor wraps an operator's output in a counting iterator only
//! when the statement's [`Env`] asks for it: a plain query pays one branch per operator.
//!
//! Depends on: `sql::expr` (Env), `sql::error`.

use super::Rows;
use crate::sql::error::SqlError;
use crate::sql::expr::Env;
use crate::sql::types::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// What a statement measures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Instrument {
    /// Nothing (every ordinary statement).
    #[default]
    Off,
    /// Row counts and loops (EXPLAIN ANALYZE with TIMING OFF).
    Rows,
    /// Row counts, loops and times (EXPLAIN ANALYZE).
    Timing,
}

/// The counters of one plan node.
#[derive(Debug, Default)]
pub struct NodeStats {
    loops: AtomicU64,
    rows: AtomicU64,
    removed: AtomicU64,
    startup_nanos: AtomicU64,
    total_nanos: AtomicU64,
    /// The most memory the operator held (bytes, as its work_mem reservation counted them).
    peak_memory: AtomicU64,
}

/// A copy of a node's counters, summed over its loops.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub loops: u64,
    pub rows: u64,
    /// Rows its filter removed.
    pub removed: u64,
    pub startup_nanos: u64,
    pub total_nanos: u64,
    /// Peak memory in bytes.
    pub peak_memory: u64,
}

impl NodeStats {
    /// The counters as they are now.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            loops: self.loops.load(Ordering::Relaxed),
            rows: self.rows.load(Ordering::Relaxed),
            removed: self.removed.load(Ordering::Relaxed),
            startup_nanos: self.startup_nanos.load(Ordering::Relaxed),
            total_nanos: self.total_nanos.load(Ordering::Relaxed),
            peak_memory: self.peak_memory.load(Ordering::Relaxed),
        }
    }

    /// Notes that the operator holds `bytes` now.
    pub fn note_memory(&self, bytes: usize) {
        self.peak_memory.fetch_max(bytes as u64, Ordering::Relaxed);
    }

    /// Records a run that produced `rows` rows at once, in `elapsed`.
    pub fn record(&self, rows: u64, elapsed: Option<Instant>) {
        let nanos = elapsed.map_or(0, nanos_since);
        self.loops.fetch_add(1, Ordering::Relaxed);
        self.rows.fetch_add(rows, Ordering::Relaxed);
        self.startup_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.total_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Counts a row its filter removed.
    pub fn removed_one(&self) {
        self.removed.fetch_add(1, Ordering::Relaxed);
    }
}

/// The counters of the operators of one SELECT, bottom to top. Allocated on first use
/// (only EXPLAIN ANALYZE and EXPLAIN use them), so binding a query costs one allocation.
#[derive(Debug, Default)]
pub struct SelectStats {
    source: OnceLock<Arc<NodeStats>>,
    aggregate: OnceLock<Arc<NodeStats>>,
    window: OnceLock<Arc<NodeStats>>,
    sort: OnceLock<Arc<NodeStats>>,
    unique: OnceLock<Arc<NodeStats>>,
    limit: OnceLock<Arc<NodeStats>>,
}

impl SelectStats {
    /// The FROM source with WHERE applied.
    pub fn source(&self) -> &Arc<NodeStats> {
        self.source.get_or_init(Arc::default)
    }

    /// Grouping with HAVING applied.
    pub fn aggregate(&self) -> &Arc<NodeStats> {
        self.aggregate.get_or_init(Arc::default)
    }

    pub fn window(&self) -> &Arc<NodeStats> {
        self.window.get_or_init(Arc::default)
    }

    /// The sort (ORDER BY, DISTINCT [ON]): the rows it returned (every row it sorted when
    /// DISTINCT is fused with it).
    pub fn sort(&self) -> &Arc<NodeStats> {
        self.sort.get_or_init(Arc::default)
    }

    /// The rows left after DISTINCT [ON].
    pub fn unique(&self) -> &Arc<NodeStats> {
        self.unique.get_or_init(Arc::default)
    }

    /// OFFSET / LIMIT.
    pub fn limit(&self) -> &Arc<NodeStats> {
        self.limit.get_or_init(Arc::default)
    }
}

/// The start of an operator's run when the statement measures time.
pub fn clock(env: &Env) -> Option<Instant> {
    (env.instrument == Instrument::Timing).then(Instant::now)
}

fn nanos_since(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// `rows`, counted into `stats` when the statement is instrumented (`stats` is None when it
/// is not). `opened` is when the operator started (its setup time, e.g. building a hash
/// table, counts towards it).
pub fn instrument(
    rows: Rows,
    stats: Option<&Arc<NodeStats>>,
    env: &Env,
    opened: Option<Instant>,
) -> Rows {
    let Some(stats) = stats.filter(|_| env.instrument != Instrument::Off) else {
        return rows;
    };
    stats.loops.fetch_add(1, Ordering::Relaxed);
    let elapsed = opened.map_or(0, nanos_since);
    stats.total_nanos.fetch_add(elapsed, Ordering::Relaxed);
    Box::new(Counted {
        rows,
        stats: stats.clone(),
        timing: env.instrument == Instrument::Timing,
        elapsed,
        started: false,
    })
}

/// An operator's output, counted.
struct Counted {
    rows: Rows,
    stats: Arc<NodeStats>,
    timing: bool,
    /// Time spent in this run so far.
    elapsed: u64,
    /// Whether the first call returned (the startup time is recorded then).
    started: bool,
}

impl Iterator for Counted {
    type Item = Result<Vec<Value>, SqlError>;

    fn next(&mut self) -> Option<Self::Item> {
        let start = self.timing.then(Instant::now);
        let item = self.rows.next();
        if let Some(start) = start {
            let nanos = nanos_since(start);
            self.elapsed = self.elapsed.saturating_add(nanos);
            self.stats.total_nanos.fetch_add(nanos, Ordering::Relaxed);
        }
        if !self.started {
            self.started = true;
            self.stats.startup_nanos.fetch_add(self.elapsed, Ordering::Relaxed);
        }
        if matches!(item, Some(Ok(_))) {
            self.stats.rows.fetch_add(1, Ordering::Relaxed);
        }
        item
    }
}
