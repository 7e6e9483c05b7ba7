//! The work-memory budget of one statement: operators that hold rows (sorts, hash tables of
//! joins, grouping and DISTINCT / set operations, window partitions, kept WITH queries and
//! subquery results, buffered rows of DML) account the approximate bytes they hold against
//! the `work_mem` setting. A statement that would go over it fails with 53200 (out of
//! memory) instead of growing without bound; the session and the server carry on.
//!
//! Unlike PostgreSQL, whose `work_mem` bounds each sort or hash separately and spills to
//! disk beyond it, the budget here covers the whole statement and nothing spills.
//!
//! Depends on: `sql::types` (value sizes), `sql::error`.

use super::NodeStats;
use crate::sql::error::SqlError;
use crate::sql::types::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// SQLSTATE 53200 (out_of_memory).
pub const OUT_OF_MEMORY: &str = "53200";

/// The budget of one statement.
#[derive(Debug)]
pub struct MemoryBudget {
    limit: usize,
    used: AtomicUsize,
}

impl MemoryBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Arc<MemoryBudget> {
        Arc::new(MemoryBudget { limit, used: AtomicUsize::new(0) })
    }

    /// Bytes held now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }
}

/// Memory one operator holds; given back to the budget when dropped.
#[derive(Debug)]
pub struct Reservation {
    budget: Arc<MemoryBudget>,
    bytes: usize,
    what: &'static str,
    /// Where EXPLAIN ANALYZE wants the peak reported.
    report: Option<Arc<NodeStats>>,
}

impl Reservation {
    /// An empty reservation for `what` (named in the error: "a sort", "a hash join", ...).
    pub fn new(budget: &Arc<MemoryBudget>, what: &'static str) -> Reservation {
        Reservation { budget: budget.clone(), bytes: 0, what, report: None }
    }

    /// Reports the reservation's peak into `stats` (EXPLAIN ANALYZE's memory lines).
    pub fn report_to(&mut self, stats: Option<&Arc<NodeStats>>) {
        self.report = stats.cloned();
        if let Some(stats) = &self.report {
            stats.note_memory(self.bytes);
        }
    }

    /// Accounts `bytes` more; fails with 53200 when the statement goes over its budget.
    pub fn grow(&mut self, bytes: usize) -> Result<(), SqlError> {
        let used = self.budget.used.fetch_add(bytes, Ordering::Relaxed).saturating_add(bytes);
        self.bytes = self.bytes.saturating_add(bytes);
        if let Some(stats) = &self.report {
            stats.note_memory(self.bytes);
        }
        if used > self.budget.limit {
            return Err(SqlError::new(OUT_OF_MEMORY, "out of memory")
                .with_detail(format!(
                    "The query needs more than {} of work memory for {}.",
                    format_bytes(self.budget.limit),
                    self.what
                ))
                .with_hint(
                    "Raise work_mem, or make the query hold fewer rows (a LIMIT, a narrower \
                     WHERE, an index for the ORDER BY).",
                ));
        }
        Ok(())
    }

    /// Accounts `bytes` in all (after the operator dropped some of what it held).
    pub fn set(&mut self, bytes: usize) -> Result<(), SqlError> {
        if bytes >= self.bytes {
            return self.grow(bytes - self.bytes);
        }
        let released = self.bytes - bytes;
        self.budget.used.fetch_sub(released.min(self.budget.used()), Ordering::Relaxed);
        self.bytes = bytes;
        Ok(())
    }

    /// Accounts one held row.
    pub fn grow_row(&mut self, row: &[Value]) -> Result<(), SqlError> {
        self.grow(row_size(row))
    }

    /// Keeps the bytes accounted until the statement ends (for rows kept that long).
    pub fn keep(mut self) {
        self.bytes = 0;
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(self.bytes.min(self.budget.used()), Ordering::Relaxed);
    }
}

/// Approximate bytes a row takes in memory.
pub fn row_size(row: &[Value]) -> usize {
    std::mem::size_of::<Vec<Value>>() + row.iter().map(value_size).sum::<usize>()
}

/// Approximate bytes a value takes in memory (inline part and heap).
pub fn value_size(value: &Value) -> usize {
    let heap = match value {
        Value::Text(s) | Value::Json(s) => s.len(),
        Value::Bytea(b) => b.len(),
        Value::Jsonb(json) => json_size(json),
        Value::Array(array) => array.elements.iter().map(value_size).sum::<usize>() + 64,
        _ => 0,
    };
    std::mem::size_of::<Value>() + heap
}

fn json_size(json: &serde_json::Value) -> usize {
    let inline = std::mem::size_of::<serde_json::Value>();
    inline
        + match json {
            serde_json::Value::String(s) => s.len(),
            serde_json::Value::Array(items) => items.iter().map(json_size).sum(),
            serde_json::Value::Object(map) => {
                map.iter().map(|(k, v)| k.len() + 32 + json_size(v)).sum()
            }
            _ => 0,
        }
}

/// `bytes` as PostgreSQL prints memory settings (`64MB`, `1536kB`).
pub fn format_bytes(bytes: usize) -> String {
    let kb = bytes / 1024;
    if !bytes.is_multiple_of(1024) || kb == 0 {
        return format!("{bytes}B");
    }
    crate::sql::settings::format_kilobytes(kb as u64)
}
