//! Index nested-loop joins ([`LookupJoin`]): the left input streams; for each left row the
//! matching right rows are read by key (primary key or index) through a read view of the
//! statement's transaction, so reads are recorded for serializable validation like any other.
//!
//! Depends on: `sql::plan`, `sql::expr`, `sql::types`, the table readers of `exec`.

use super::instrument::{Instrument, NodeStats, clock};
use super::{Row, Rows, open_source, read_rows};
use crate::sql::catalog::TableDef;
use crate::sql::error::SqlError;
use crate::sql::expr::{Env, Expr, truth};
use crate::sql::plan::{Access, Join, JoinKind, LookupJoin, Source};
use crate::sql::types::Value;
use crate::txn::Transaction;
use std::collections::VecDeque;
use std::sync::Arc;

/// Runs a lookup join: a lazily produced stream of joined rows (left ++ right ++ merged).
/// Under EXPLAIN ANALYZE the lookups are counted (one loop per probed left row) and `stats`
/// (the join node's counters) gets the memory of a hash join it switches to.
pub fn lookup_join(
    txn: &mut Transaction,
    join: LookupJoin,
    env: &Arc<Env>,
    stats: Option<&Arc<NodeStats>>,
) -> Result<Rows, SqlError> {
    let LookupJoin {
        kind,
        left,
        left_width,
        table,
        right_width,
        index_no,
        left_keys,
        right_filter,
        condition,
        merged,
        left_is_small,
        left_stats,
        right_stats,
        hashed,
    } = join;
    let mut left = open_source(txn, left, env, &left_stats)?;
    // Not known to be small: look at the first rows; many rows → hash join instead.
    let mut buffered: Vec<Row> = Vec::new();
    if !left_is_small {
        for row in left.by_ref() {
            buffered.push(row?);
            if buffered.len() > MAX_LOOKUPS {
                let right_source = match right_filter {
                    Some(predicate) => Source::Filter {
                        input: Box::new(Source::Table {
                            table: table.clone(),
                            access: Access::Full,
                        }),
                        predicate,
                    },
                    None => Source::Table { table: table.clone(), access: Access::Full },
                };
                let key_columns = table.key_columns(index_no);
                let keys = left_keys
                    .into_iter()
                    .zip(key_columns)
                    .map(|(l, c)| (l, Expr::Column(c)))
                    .collect();
                let join = Join {
                    kind,
                    left: Source::Single,
                    right: right_source,
                    left_width,
                    right_width,
                    keys,
                    condition,
                    merged,
                    left_stats,
                    right_stats,
                };
                hashed.store(true, std::sync::atomic::Ordering::Relaxed);
                let rows: Rows = Box::new(buffered.into_iter().map(Ok).chain(left));
                return super::join::join_with_left(txn, rows, join, env, stats);
            }
        }
    }
    let mut left: Rows = Box::new(buffered.into_iter().map(Ok).chain(left));
    let mut probe = Probe {
        kind,
        left_width,
        reader: txn.read_view(),
        table,
        right_width,
        index_no,
        left_keys,
        right_filter,
        condition,
        merged,
        env: env.clone(),
        stats: (env.instrument != Instrument::Off).then_some(right_stats),
    };
    let mut pending: VecDeque<Row> = VecDeque::new();
    let mut failed = false;
    Ok(Box::new(std::iter::from_fn(move || {
        loop {
            if failed {
                return None;
            }
            if let Some(row) = pending.pop_front() {
                return Some(Ok(row));
            }
            let result = match left.next()? {
                Ok(row) => probe.rows_for(row, &mut pending),
                Err(err) => Err(err),
            };
            if let Err(err) = result {
                failed = true;
                return Some(Err(err));
            }
        }
    })))
}

/// Most left rows a lookup join probes one by one before it switches to a hash join.
const MAX_LOOKUPS: usize = 256;

/// Everything needed to find the right rows of one left row.
struct Probe {
    kind: JoinKind,
    left_width: usize,
    reader: Transaction,
    table: Arc<TableDef>,
    right_width: usize,
    index_no: Option<u16>,
    left_keys: Vec<Expr>,
    right_filter: Option<Expr>,
    condition: Option<Expr>,
    merged: Vec<Expr>,
    env: Arc<Env>,
    /// The lookups' counters, under EXPLAIN ANALYZE.
    stats: Option<Arc<NodeStats>>,
}

impl Probe {
    /// Appends the joined rows of `left` to `out`.
    fn rows_for(&mut self, left: Row, out: &mut VecDeque<Row>) -> Result<(), SqlError> {
        self.env.check_cancel()?;
        let started = clock(&self.env);
        let mut found = 0;
        let mut values = Vec::with_capacity(self.left_keys.len());
        for key in &self.left_keys {
            values.push(Expr::Literal(key.eval(&left, &self.env)?));
        }
        // NULL never equals anything: no right row.
        let any_null = values.iter().any(|v| matches!(v, Expr::Literal(Value::Null)));
        let mut matched = false;
        if !any_null {
            let access = match self.index_no {
                None => Access::Point(values),
                Some(index_no) => Access::Index { index_no, values },
            };
            for entry in read_rows(&mut self.reader, &self.table, &access, &self.env)? {
                let (_, right) = entry?;
                if let Some(filter) = &self.right_filter
                    && truth(&filter.eval(&right, &self.env)?)? != Some(true)
                {
                    if let Some(stats) = &self.stats {
                        stats.removed_one();
                    }
                    continue;
                }
                found += 1;
                let width = self.left_width + self.right_width + self.merged.len();
                let mut row = Vec::with_capacity(width);
                row.extend(left.iter().cloned());
                row.extend(right);
                if let Some(condition) = &self.condition
                    && truth(&condition.eval(&row, &self.env)?)? != Some(true)
                {
                    continue;
                }
                matched = true;
                out.push_back(self.finish(row)?);
            }
        }
        if let Some(stats) = &self.stats {
            stats.record(found, started);
        }
        if !matched && self.kind == JoinKind::Left {
            let mut row = left;
            row.resize(row.len() + self.right_width, Value::Null);
            out.push_back(self.finish(row)?);
        }
        Ok(())
    }

    /// Appends the merged (USING) columns.
    fn finish(&self, mut row: Row) -> Result<Row, SqlError> {
        for expr in &self.merged {
            let value = expr.eval(&row, &self.env)?;
            row.push(value);
        }
        Ok(row)
    }
}
