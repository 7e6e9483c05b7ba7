//! Joins and set operations. A join materialises its right input and, when the condition has
//! equality keys, hashes it on them (hash join); otherwise every right row is a candidate
//! (nested loop). The left input streams. Outer joins emit NULL-extended rows for unmatched
//! left rows as they go and for unmatched right rows at the end, as PostgreSQL does.
//!
//! Depends on: `sql::plan`, `sql::expr`, `sql::types`.

use super::NodeStats;
use super::memory::{self, Reservation};
use super::{Row, Rows, open_source, select, values_key};
use crate::sql::error::SqlError;
use crate::sql::expr::{Env, Expr, truth};
use crate::sql::plan::{Join, JoinKind, SetOp, SetOpKind};
use crate::sql::types::Value;
use crate::txn::Transaction;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

/// Runs a join: a lazily produced stream of joined rows (left ++ right ++ merged).
/// Under EXPLAIN ANALYZE, the memory the right input holds is reported into `stats` (the
/// join node's counters).
pub fn join(
    txn: &mut Transaction,
    mut join: Join,
    env: &Arc<Env>,
    stats: Option<&Arc<NodeStats>>,
) -> Result<Rows, SqlError> {
    let left = std::mem::replace(&mut join.left, crate::sql::plan::Source::Single);
    let left = open_source(txn, left, env, &join.left_stats)?;
    join_with_left(txn, left, join, env, stats)
}

/// Runs `join` with its left input already open as `left` (`join.left` is not read).
pub fn join_with_left(
    txn: &mut Transaction,
    left: Rows,
    join: Join,
    env: &Arc<Env>,
    stats: Option<&Arc<NodeStats>>,
) -> Result<Rows, SqlError> {
    let Join { kind, right, left_width, right_width, keys, condition, merged, right_stats, .. } =
        join;
    let what = if keys.is_empty() { "a nested loop join" } else { "a hash join" };
    let mut held = Reservation::new(&env.memory, what);
    held.report_to(stats);
    let mut right_rows: Vec<Row> = Vec::new();
    for row in open_source(txn, right, env, &right_stats)? {
        env.check_cancel()?;
        let row = row?;
        // The row, its key values and its hash table entry.
        held.grow(memory::row_size(&row) * if keys.is_empty() { 1 } else { 2 } + 48)?;
        right_rows.push(row);
    }
    let (left_keys, right_keys): (Vec<Expr>, Vec<Expr>) = keys.into_iter().unzip();
    let mut table: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
    let mut right_key_values = Vec::new();
    if !left_keys.is_empty() {
        right_key_values.reserve(right_rows.len());
        for (i, row) in right_rows.iter().enumerate() {
            let values = eval_all(&right_keys, row, env)?;
            if let Some(key) = hash_key(&values) {
                table.entry(key).or_default().push(i);
            }
            right_key_values.push(values);
        }
    }
    let matched = vec![false; right_rows.len()];
    Ok(Box::new(JoinIter {
        kind,
        left,
        right: right_rows,
        right_keys: right_key_values,
        table,
        left_keys,
        condition,
        merged,
        left_width,
        right_width,
        matched,
        pending: VecDeque::new(),
        left_done: false,
        unmatched_next: 0,
        failed: false,
        env: env.clone(),
        _held: held,
    }))
}

struct JoinIter {
    kind: JoinKind,
    left: Rows,
    right: Vec<Row>,
    /// Key values of each right row (empty without keys).
    right_keys: Vec<Row>,
    table: HashMap<Vec<u8>, Vec<usize>>,
    left_keys: Vec<Expr>,
    condition: Option<Expr>,
    merged: Vec<Expr>,
    left_width: usize,
    right_width: usize,
    matched: Vec<bool>,
    pending: VecDeque<Row>,
    left_done: bool,
    unmatched_next: usize,
    failed: bool,
    env: Arc<Env>,
    /// The memory the right input holds.
    _held: Reservation,
}

impl JoinIter {
    /// Appends the merged (USING) columns.
    fn finish(&self, mut row: Row) -> Result<Row, SqlError> {
        if !self.merged.is_empty() {
            let extra = eval_all(&self.merged, &row, &self.env)?;
            row.extend(extra);
        }
        Ok(row)
    }

    fn probe(&mut self, left: Row) -> Result<(), SqlError> {
        self.env.check_cancel()?;
        let candidates: Vec<usize> = if self.left_keys.is_empty() {
            (0..self.right.len()).collect()
        } else {
            let values = eval_all(&self.left_keys, &left, &self.env)?;
            let mut found = Vec::new();
            if let Some(bucket) = hash_key(&values).and_then(|key| self.table.get(&key)) {
                for &i in bucket {
                    if let Some(right_values) = self.right_keys.get(i)
                        && keys_equal(&values, right_values)?
                    {
                        found.push(i);
                    }
                }
            }
            found
        };
        let mut any = false;
        for i in candidates {
            let Some(right) = self.right.get(i) else { continue };
            let mut row = Vec::with_capacity(left.len() + right.len() + self.merged.len());
            row.extend(left.iter().cloned());
            row.extend(right.iter().cloned());
            let ok = match &self.condition {
                Some(condition) => truth(&condition.eval(&row, &self.env)?)? == Some(true),
                None => true,
            };
            if ok {
                any = true;
                if let Some(flag) = self.matched.get_mut(i) {
                    *flag = true;
                }
                let row = self.finish(row)?;
                self.pending.push_back(row);
            }
        }
        if !any && matches!(self.kind, JoinKind::Left | JoinKind::Full) {
            let mut row = left;
            row.resize(row.len() + self.right_width, Value::Null);
            let row = self.finish(row)?;
            self.pending.push_back(row);
        }
        Ok(())
    }

    fn step(&mut self) -> Result<Option<Row>, SqlError> {
        loop {
            if let Some(row) = self.pending.pop_front() {
                return Ok(Some(row));
            }
            if !self.left_done {
                match self.left.next() {
                    Some(row) => {
                        self.probe(row?)?;
                        continue;
                    }
                    None => self.left_done = true,
                }
            }
            if matches!(self.kind, JoinKind::Right | JoinKind::Full) {
                while let Some(&matched) = self.matched.get(self.unmatched_next) {
                    let i = self.unmatched_next;
                    self.unmatched_next += 1;
                    if matched {
                        continue;
                    }
                    self.env.check_cancel()?;
                    let mut row = vec![Value::Null; self.left_width];
                    row.extend(self.right.get(i).into_iter().flatten().cloned());
                    return self.finish(row).map(Some);
                }
            }
            return Ok(None);
        }
    }
}

impl Iterator for JoinIter {
    type Item = Result<Row, SqlError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.step() {
            Ok(row) => row.map(Ok),
            Err(err) => {
                self.failed = true;
                Some(Err(err))
            }
        }
    }
}

fn eval_all(exprs: &[Expr], row: &[Value], env: &Env) -> Result<Row, SqlError> {
    exprs.iter().map(|e| e.eval(row, env)).collect()
}

/// Whether every key pair is equal by `=` (NULL never is).
fn keys_equal(left: &[Value], right: &[Value]) -> Result<bool, SqlError> {
    for (l, r) in left.iter().zip(right) {
        if l.sql_cmp(r)? != Some(Ordering::Equal) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A hash key under which values that are equal by `=` always agree (numbers of any type by
/// their float value, text without trailing blanks); `None` if any value is NULL. Different
/// values may share a key: candidates are compared exactly afterwards.
fn hash_key(values: &[Value]) -> Option<Vec<u8>> {
    let mut key = Vec::with_capacity(values.len() * 9);
    for value in values {
        let number = match value {
            Value::Null => return None,
            Value::Int2(n) => Some(f64::from(*n)),
            Value::Int4(n) => Some(f64::from(*n)),
            Value::Int8(n) => Some(*n as f64),
            Value::Oid(n) => Some(f64::from(*n)),
            Value::Float4(x) => Some(f64::from(*x)),
            Value::Float8(x) => Some(*x),
            Value::Numeric(d) => {
                Some(rust_decimal::prelude::ToPrimitive::to_f64(d).unwrap_or(f64::NAN))
            }
            _ => None,
        };
        match (number, value) {
            (Some(x), _) => {
                let x = if x.is_nan() {
                    f64::NAN
                } else if x == 0.0 {
                    0.0
                } else {
                    x
                };
                key.push(1);
                key.extend_from_slice(&x.to_bits().to_be_bytes());
            }
            (None, Value::Text(s)) => {
                let s = s.trim_end_matches(' ');
                key.push(2);
                key.extend_from_slice(&(s.len() as u64).to_be_bytes());
                key.extend_from_slice(s.as_bytes());
            }
            (None, other) => {
                let bytes = other.key_bytes();
                key.push(3);
                key.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
                key.extend_from_slice(&bytes);
            }
        }
    }
    Some(key)
}

/// Runs UNION / INTERSECT / EXCEPT [ALL]. Rows are compared as GROUP BY does (NULLs equal).
pub fn set_op(txn: &mut Transaction, op: SetOp, env: &Arc<Env>) -> Result<Rows, SqlError> {
    let SetOp { kind, all, left, right } = op;
    let left = select(txn, left, env.clone())?;
    let right = select(txn, right, env.clone())?;
    if kind == SetOpKind::Union {
        if all {
            return Ok(Box::new(left.chain(right)));
        }
        let mut seen: HashSet<Vec<u8>> = HashSet::new();
        let mut held = Reservation::new(&env.memory, "UNION");
        let env = env.clone();
        return Ok(Box::new(left.chain(right).filter_map(move |row| {
            let row = match row.and_then(|row| env.check_cancel().map(|()| row)) {
                Ok(row) => row,
                Err(err) => return Some(Err(err)),
            };
            let key = values_key(&row);
            let size = key.len() + 48;
            if !seen.insert(key) {
                return None;
            }
            match held.grow(size) {
                Ok(()) => Some(Ok(row)),
                Err(err) => Some(Err(err)),
            }
        })));
    }
    let what = if kind == SetOpKind::Intersect { "INTERSECT" } else { "EXCEPT" };
    let mut held = Reservation::new(&env.memory, what);
    // Per distinct row: the row, its count on the left and on the right.
    let mut counts: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut entries: Vec<(Row, usize, usize)> = Vec::new();
    for row in left {
        env.check_cancel()?;
        let row = row?;
        let key = values_key(&row);
        match counts.get(&key) {
            Some(&i) => {
                if let Some(entry) = entries.get_mut(i) {
                    entry.1 += 1;
                }
            }
            None => {
                held.grow(key.len() + memory::row_size(&row) + 64)?;
                counts.insert(key, entries.len());
                entries.push((row, 1, 0));
            }
        }
    }
    for row in right {
        env.check_cancel()?;
        let row = row?;
        if let Some(&i) = counts.get(&values_key(&row))
            && let Some(entry) = entries.get_mut(i)
        {
            entry.2 += 1;
        }
    }
    let mut out = Vec::new();
    for (row, l, r) in entries {
        let n = match (kind, all) {
            (SetOpKind::Intersect, true) => l.min(r),
            (SetOpKind::Intersect, false) => usize::from(r > 0),
            (_, true) => l.saturating_sub(r),
            (_, false) => usize::from(r == 0),
        };
        for _ in 0..n {
            out.push(Ok(row.clone()));
        }
    }
    Ok(Box::new(super::Held { rows: out.into_iter(), _held: held }))
}
