//! WITH queries (common table expressions): reading one, computing it once when several
//! readers share it, and the iterative evaluation of `WITH RECURSIVE` (PostgreSQL's
//! working-table algorithm). A recursive query streams: each iteration runs only when the
//! reader wants more rows, so `LIMIT` stops an unbounded recursion.
//!
//! Depends on: `sql::plan`, `sql::expr`, `txn` (a read view of the statement's
//! transaction runs the iterations).

use super::instrument::{clock, instrument};
use super::memory::{self, Reservation};
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
    let mut held = Reservation::new(&env.memory, "a WITH query");
    let mut rows = Vec::new();
    for row in evaluate(txn, table, env)? {
        env.check_cancel()?;
        let row = row?;
        held.grow_row(&row)?;
        rows.push(row);
    }
    // Kept for the rest of the statement.
    held.keep();
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
            let opened = clock(env);
            let mut seen = HashSet::new();
            let mut seen_held = Reservation::new(&env.memory, "a recursive WITH query");
            let mut batch_held = Reservation::new(&env.memory, "a recursive WITH query");
            let mut first = Vec::new();
            for row in select(txn, (**anchor).clone(), env.clone())? {
                env.check_cancel()?;
                let row = row?;
                if *union_all || remember(&mut seen, &mut seen_held, &row)? {
                    batch_held.grow(2 * memory::row_size(&row))?;
                    first.push(row);
                }
            }
            let rows: Rows = Box::new(Recursion {
                view: txn.read_view(),
                step: (**step).clone(),
                working: working.clone(),
                env: env.clone(),
                union_all: *union_all,
                seen,
                batch: first.into_iter(),
                produced: Vec::new(),
                done: false,
                seen_held,
                batch_held,
            });
            Ok(instrument(rows, Some(&table.stats), env, opened))
        }
    }
}

/// Adds `row` to the rows produced so far; false when it was there already.
fn remember(
    seen: &mut HashSet<Vec<u8>>,
    held: &mut Reservation,
    row: &[crate::sql::types::Value],
) -> Result<bool, SqlError> {
    let key = values_key(row);
    let size = key.len() + 48;
    if !seen.insert(key) {
        return Ok(false);
    }
    held.grow(size)?;
    Ok(true)
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
    /// Memory of `seen`, and of the current batch with the rows produced from it.
    seen_held: Reservation,
    batch_held: Reservation,
}

impl Recursion {
    /// Runs the step once over the rows produced by the previous batch.
    fn next_batch(&mut self) -> Result<Vec<Row>, SqlError> {
        self.env.check_cancel()?;
        *self.working.rows.lock() = Arc::new(std::mem::take(&mut self.produced));
        // The previous working table is gone once the step has read it.
        let mut held = Reservation::new(&self.env.memory, "a recursive WITH query");
        let mut rows = Vec::new();
        for row in select(&mut self.view, self.step.clone(), self.env.clone())? {
            self.env.check_cancel()?;
            let row = row?;
            if self.union_all || remember(&mut self.seen, &mut self.seen_held, &row)? {
                held.grow(2 * memory::row_size(&row))?;
                rows.push(row);
            }
        }
        self.batch_held = held;
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
