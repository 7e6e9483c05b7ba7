//! WITH queries (common table expressions): reading one, computing it once when several
//! readers share it, and the iterative evaluation of `WITH RECURSIVE` (PostgreSQL's
//! working-table algorithm). A recursive query streams: each iteration runs only when the
//! reader wants more rows, so `LIMIT` stops an unbounded recursion.
//!
//! Depends on: `sql::plan`, `sql::expr`, `txn` (a read view of the statement's
//! transaction runs the iterations).

use super::{Row, Rows, select, values_key};
use crate::sql::error::SqlError;
use crate::sql::expr::Env;
use crate::sql::plan::{CommonTable, CommonTableBody, SelectPlan, WorkingTable};
use crate::txn::Transaction;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// The rows of a WITH query, as one reference reads them.
pub fn scan(
    txn: &mut Transaction,
    table: &Arc<CommonTable>,
    env: &Arc<Env>,
) -> Result<Rows, SqlError> {
    if table.correlated || !table.shared.load(Ordering::Relaxed) {
        return evaluate(txn, table, env);
    }
    if let Some(rows) = table.rows.get() {
        return Ok(kept_rows(rows.clone()));
    }
    let mut rows = Vec::new();
    for row in evaluate(txn, table, env)? {
        env.check_cancel()?;
        rows.push(row?);
    }
    let rows = Arc::new(rows);
    // Only this statement's thread evaluates the plan, so nobody else can have set it.
    let _ = table.rows.set(rows.clone());
    Ok(kept_rows(rows))
}

/// The rows the working table holds now.
pub fn scan_working(table: &WorkingTable) -> Rows {
    kept_rows(table.rows.lock().clone())
}

/// Streams shared rows (cloned one at a time).
fn kept_rows(rows: Arc<Vec<Row>>) -> Rows {
    let mut next = 0;
    Box::new(std::iter::from_fn(move || {
        let row = rows.get(next)?.clone();
        next += 1;
        Some(Ok(row))
    }))
}

fn evaluate(txn: &mut Transaction, table: &CommonTable, env: &Arc<Env>) -> Result<Rows, SqlError> {
    match &table.body {
        CommonTableBody::Plain(plan) => select(txn, (**plan).clone(), env.clone()),
        CommonTableBody::Recursive { anchor, step, union_all, working } => {
            let mut seen = HashSet::new();
            let mut first = Vec::new();
            for row in select(txn, (**anchor).clone(), env.clone())? {
                env.check_cancel()?;
                let row = row?;
                if *union_all || seen.insert(values_key(&row)) {
                    first.push(row);
                }
            }
            Ok(Box::new(Recursion {
                view: txn.read_view(),
                step: (**step).clone(),
                working: working.clone(),
                env: env.clone(),
                union_all: *union_all,
                seen,
                batch: first.into_iter(),
                produced: Vec::new(),
                done: false,
            }))
        }
    }
}

/// The iterative evaluation of a recursive WITH query: yields the rows of the current
/// batch, then runs the step over them (the new working table) for the next batch.
struct Recursion {
    view: Transaction,
    step: SelectPlan,
    working: Arc<WorkingTable>,
    env: Arc<Env>,
    union_all: bool,
    /// Every row produced so far (UNION without ALL only).
    seen: HashSet<Vec<u8>>,
    batch: std::vec::IntoIter<Row>,
    /// The rows of the current batch yielded so far: the next working table.
    produced: Vec<Row>,
    done: bool,
}

impl Recursion {
    /// Runs the step once over the rows produced by the previous batch.
    fn next_batch(&mut self) -> Result<Vec<Row>, SqlError> {
        self.env.check_cancel()?;
        *self.working.rows.lock() = Arc::new(std::mem::take(&mut self.produced));
        let mut rows = Vec::new();
        for row in select(&mut self.view, self.step.clone(), self.env.clone())? {
            self.env.check_cancel()?;
            let row = row?;
            if self.union_all || self.seen.insert(values_key(&row)) {
                rows.push(row);
            }
        }
        Ok(rows)
    }
}

impl Iterator for Recursion {
    type Item = Result<Row, SqlError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(row) = self.batch.next() {
                self.produced.push(row.clone());
                return Some(Ok(row));
            }
            if self.done || self.produced.is_empty() {
                self.done = true;
                return None;
            }
            match self.next_batch() {
                Ok(rows) => self.batch = rows.into_iter(),
                Err(err) => {
                    self.done = true;
                    return Some(Err(err));
                }
            }
        }
    }
}
