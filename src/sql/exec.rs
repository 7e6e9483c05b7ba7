//! The executor: runs bound plans against a transaction. Reads stream (pull-based iterators
//! over owned scans, so a large result is never materialised unless it must be sorted,
//! grouped or windowed); a SELECT runs source → WHERE → grouping → HAVING → window functions
//! → projection → DISTINCT [ON] / ORDER BY → OFFSET / LIMIT. Writes go into the
//! transaction's buffer with every constraint checked first.
//!
//! Operators that hold rows account them against the statement's `work_mem` budget
//! (`exec::memory`, 53200 beyond it); under EXPLAIN ANALYZE each operator's output is counted
//! into the plan's counters (`exec::instrument`).
//!
//! Depends on: `sql::plan`, `sql::expr`, `sql::catalog`, `sql::types`, `txn`, `encoding`;
//! `sql::binder` for what foreign-key actions need on their own (access paths, the DEFAULT
//! and CHECK rules of the tables they change).

use super::catalog::{self, TableDef};
use super::error::{SqlError, sqlstate};
use super::expr::{Env, Expr, truth};
use super::plan::{
    Access, DeletePlan, InsertPlan, OnConflict, SelectPlan, SortKey, Source, UpdatePlan,
};
use super::session::RowStream;
use super::types::{DataType, Value, decode_row, encode_row};
use crate::encoding::keycode::KeyEncoder;
use crate::txn::Transaction;
use bytes::Bytes;
use std::cmp::Ordering;
use std::ops::Bound;
use std::sync::Arc;

mod aggregate;
mod cte;
mod ddl;
mod foreign_keys;
mod instrument;
mod join;
mod lookup_join;
mod memory;
mod window;

pub use ddl::{build_index, drop_index_entries, run_alter};
use foreign_keys::ForeignKeys;
pub use instrument::{Instrument, NodeStats, SelectStats, StatsSnapshot};
pub use memory::{MemoryBudget, Reservation};

use instrument::{clock, instrument};

type Row = Vec<Value>;

/// Rows with their keys, as an access path yields them.
type KeyedRows = Box<dyn Iterator<Item = Result<(Bytes, Row), SqlError>> + Send>;

/// How a table without a primary key numbers its rows.
pub type RowIds<'a> = &'a dyn Fn(&TableDef) -> Result<i64, SqlError>;

/// Encodes the primary key (or hidden row id) of `row` into a full row key.
pub fn row_key(table: &TableDef, row: &[Value], row_id: Option<i64>) -> Vec<u8> {
    let mut key = table.row_prefix();
    let mut encoder = KeyEncoder::new();
    if table.primary_key.is_empty() {
        encoder = encoder.i64(row_id.unwrap_or(0));
    } else {
        for &column in &table.primary_key {
            row.get(column).unwrap_or(&Value::Null).encode_key(&mut encoder);
        }
    }
    key.extend_from_slice(&encoder.finish());
    key
}

/// Key of a secondary-index entry for `row` stored under `row_key`: unique indexes key by
/// the values alone (None when one is NULL: no entry), others append the row key's suffix.
fn index_entry_key(
    table: &TableDef,
    index: &catalog::IndexDef,
    row: &[Value],
    row_key: &[u8],
) -> Option<Vec<u8>> {
    let values: Vec<&Value> =
        index.columns.iter().map(|&c| row.get(c).unwrap_or(&Value::Null)).collect();
    if index.unique {
        if values.iter().any(|v| v.is_null()) {
            return None;
        }
        return Some(unique_key(table, index.index_no, &values));
    }
    let mut key = unique_key(table, index.index_no, &values);
    key.extend_from_slice(row_key.get(table.row_prefix().len()..).unwrap_or_default());
    Some(key)
}

fn unique_key(table: &TableDef, index_no: u16, values: &[&Value]) -> Vec<u8> {
    let mut key = table.unique_prefix(index_no);
    let mut encoder = KeyEncoder::new();
    for value in values {
        value.encode_key(&mut encoder);
    }
    key.extend_from_slice(&encoder.finish());
    key
}

/// Rows of `table` as an owned stream (key, decoded row).
fn scan_table(
    txn: &mut Transaction,
    table: &Arc<TableDef>,
) -> Result<impl Iterator<Item = Result<(Bytes, Row), SqlError>> + Send + 'static, SqlError> {
    let prefix = table.row_prefix();
    let end =
        catalog::prefix_end(&prefix).map_or(Bound::Unbounded, |e| Bound::Excluded(Bytes::from(e)));
    let scan = txn.scan_owned(Bound::Included(Bytes::from(prefix)), end)?;
    let types = table.column_types();
    Ok(scan.map(move |entry| {
        let (key, value) = entry?;
        Ok((key, decode_row(&value, &types)?))
    }))
}

/// Every row of `table` in descending primary-key order, decoded lazily.
fn scan_table_backward(
    txn: &mut Transaction,
    table: &Arc<TableDef>,
) -> Result<impl Iterator<Item = Result<(Bytes, Row), SqlError>> + Send + 'static, SqlError> {
    let prefix = table.row_prefix();
    let end =
        catalog::prefix_end(&prefix).map_or(Bound::Unbounded, |e| Bound::Excluded(Bytes::from(e)));
    let scan = txn.scan_owned_reverse(Bound::Included(Bytes::from(prefix)), end)?;
    let types = table.column_types();
    Ok(scan.map(move |entry| {
        let (key, value) = entry?;
        Ok((key, decode_row(&value, &types)?))
    }))
}

/// Reads the rows an access path selects, with their keys. Point reads cast the key values
/// to the key columns' types first.
fn read_rows(
    txn: &mut Transaction,
    table: &Arc<TableDef>,
    access: &Access,
    env: &Env,
) -> Result<KeyedRows, SqlError> {
    match access {
        Access::Full | Access::Ordered(None) => Ok(Box::new(scan_table(txn, table)?)),
        Access::Ordered(Some(index_no)) => ordered_index_scan(txn, table, *index_no, false),
        Access::Backward(None) => Ok(Box::new(scan_table_backward(txn, table)?)),
        Access::Backward(Some(index_no)) => ordered_index_scan(txn, table, *index_no, true),
        Access::Point(values) => {
            let Some(key) = point_key(table, values, env)? else {
                return Ok(Box::new(std::iter::empty()));
            };
            let found = txn.get(&key)?;
            let types = table.column_types();
            let row =
                found.map(|bytes| decode_row(&bytes, &types).map(|row| (Bytes::from(key), row)));
            Ok(Box::new(row.into_iter()))
        }
        Access::Any(accesses) => read_any(txn, table, accesses, env),
        Access::Range { index_no, column, lower, upper } => {
            read_range(txn, table, *index_no, *column, lower.as_ref(), upper.as_ref(), env)
        }
        Access::Index { index_no, values } => {
            let columns = table
                .uniques
                .iter()
                .find(|u| u.index_no == *index_no)
                .map(|u| &u.columns)
                .or_else(|| {
                    table.indexes.iter().find(|i| i.index_no == *index_no).map(|i| &i.columns)
                })
                .ok_or_else(|| SqlError::internal("index of the access path is gone"))?;
            let mut key_values = Vec::with_capacity(values.len());
            for (expr, &column) in values.iter().zip(columns) {
                let Some(cast) = key_value(table, column, expr, env)? else {
                    return Ok(Box::new(std::iter::empty()));
                };
                key_values.push(cast);
            }
            let refs: Vec<&Value> = key_values.iter().collect();
            let prefix = unique_key(table, *index_no, &refs);
            let end = catalog::prefix_end(&prefix)
                .map_or(Bound::Unbounded, |e| Bound::Excluded(Bytes::from(e)));
            let row_keys: Vec<Bytes> = txn
                .scan(Bound::Included(Bytes::from(prefix)), end)?
                .map(|entry| entry.map(|(_, value)| value))
                .collect::<Result<_, _>>()?;
            fetch_rows(txn, table, row_keys, env)
        }
    }
}

/// The primary key of the row an [`Access::Point`] names, or None if a key value cannot be
/// cast to its column's type (then no row can match).
fn point_key(table: &TableDef, values: &[Expr], env: &Env) -> Result<Option<Vec<u8>>, SqlError> {
    let mut key_row = vec![Value::Null; table.columns.len()];
    for (expr, &column) in values.iter().zip(&table.primary_key) {
        let Some(cast) = key_value(table, column, expr, env)? else {
            return Ok(None);
        };
        if let Some(slot) = key_row.get_mut(column) {
            *slot = cast;
        }
    }
    Ok(Some(row_key(table, &key_row, None)))
}

/// Reads the row an UPDATE or DELETE by primary key changes, holding its row lock: if
/// another transaction is changing the same row, this waits for it to end and then reads
/// what it committed (see [`Transaction::get_for_update`]).
fn lock_point_row(
    txn: &mut Transaction,
    table: &TableDef,
    values: &[Expr],
    env: &Env,
) -> Result<KeyedRows, SqlError> {
    let Some(key) = point_key(table, values, env)? else {
        return Ok(Box::new(std::iter::empty()));
    };
    let found = txn.get_for_update(&key, || env.check_cancel())?;
    let types = table.column_types();
    let row = found.map(|bytes| decode_row(&bytes, &types).map(|row| (Bytes::from(key), row)));
    Ok(Box::new(row.into_iter()))
}

/// Every row in the order of index `index_no`, read lazily: each index entry is followed
/// to its row (through a read view of the transaction) only when the reader wants it.
fn ordered_index_scan(
    txn: &mut Transaction,
    table: &TableDef,
    index_no: u16,
    backward: bool,
) -> Result<KeyedRows, SqlError> {
    let prefix = table.unique_prefix(index_no);
    let end =
        catalog::prefix_end(&prefix).map_or(Bound::Unbounded, |e| Bound::Excluded(Bytes::from(e)));
    let start = Bound::Included(Bytes::from(prefix));
    let entries: Box<dyn Iterator<Item = Result<(Bytes, Bytes), crate::txn::TxnError>> + Send> =
        if backward {
            Box::new(txn.scan_owned_reverse(start, end)?)
        } else {
            Box::new(txn.scan_owned(start, end)?)
        };
    let mut view = txn.read_view();
    let types = table.column_types();
    Ok(Box::new(entries.filter_map(move |entry| {
        let fetch = || -> Result<Option<(Bytes, Row)>, SqlError> {
            let (_, row_key) = entry?;
            match view.get(&row_key)? {
                Some(bytes) => Ok(Some((row_key, decode_row(&bytes, &types)?))),
                None => Ok(None),
            }
        };
        fetch().transpose()
    })))
}

/// The rows stored under `row_keys` (those that exist), held in memory.
fn fetch_rows(
    txn: &mut Transaction,
    table: &TableDef,
    row_keys: Vec<Bytes>,
    env: &Env,
) -> Result<KeyedRows, SqlError> {
    let types = table.column_types();
    let mut held = Reservation::new(&env.memory, "an index scan");
    held.grow(row_keys.iter().map(|k| k.len() + 32).sum())?;
    let mut rows = Vec::with_capacity(row_keys.len());
    for key in row_keys {
        env.check_cancel()?;
        if let Some(bytes) = txn.get(&key)? {
            let row = decode_row(&bytes, &types)?;
            held.grow_row(&row)?;
            rows.push(Ok((key, row)));
        }
    }
    Ok(Box::new(Held { rows: rows.into_iter(), _held: held }))
}

/// The rows of a range access (see [`Access::Range`]).
fn read_range(
    txn: &mut Transaction,
    table: &Arc<TableDef>,
    index_no: Option<u16>,
    column: usize,
    lower: Option<&(Expr, bool)>,
    upper: Option<&(Expr, bool)>,
    env: &Env,
) -> Result<KeyedRows, SqlError> {
    let prefix = match index_no {
        None => table.row_prefix(),
        Some(no) => table.unique_prefix(no),
    };
    let bound_key = |value: &Value| {
        let mut key = prefix.clone();
        let mut encoder = KeyEncoder::new();
        value.encode_key(&mut encoder);
        key.extend_from_slice(&encoder.finish());
        key
    };
    let prefix_bound = |key: Vec<u8>| {
        catalog::prefix_end(&key).map_or(Bound::Unbounded, |e| Bound::Excluded(Bytes::from(e)))
    };
    let start = match lower {
        Some((expr, inclusive)) => match range_value(table, column, expr, env)? {
            RangeValue::Empty => return Ok(Box::new(std::iter::empty())),
            RangeValue::Exact(v) if *inclusive => Bound::Included(Bytes::from(bound_key(&v))),
            RangeValue::Exact(v) => match catalog::prefix_end(&bound_key(&v)) {
                Some(after) => Bound::Included(Bytes::from(after)),
                None => return Ok(Box::new(std::iter::empty())),
            },
            RangeValue::Inexact => Bound::Included(Bytes::from(prefix.clone())),
        },
        None => Bound::Included(Bytes::from(prefix.clone())),
    };
    let end = match upper {
        Some((expr, inclusive)) => match range_value(table, column, expr, env)? {
            RangeValue::Empty => return Ok(Box::new(std::iter::empty())),
            RangeValue::Exact(v) if *inclusive => prefix_bound(bound_key(&v)),
            RangeValue::Exact(v) => Bound::Excluded(Bytes::from(bound_key(&v))),
            RangeValue::Inexact => prefix_bound(prefix.clone()),
        },
        None => prefix_bound(prefix.clone()),
    };
    let types = table.column_types();
    if index_no.is_none() {
        let scan = txn.scan_owned(start, end)?;
        return Ok(Box::new(scan.map(move |entry| {
            let (key, value) = entry?;
            Ok((key, decode_row(&value, &types)?))
        })));
    }
    let row_keys: Vec<Bytes> = txn
        .scan(start, end)?
        .map(|entry| entry.map(|(_, value)| value))
        .collect::<Result<_, _>>()?;
    fetch_rows(txn, table, row_keys, env)
}

/// A range bound converted to a key column's type.
enum RangeValue {
    /// NULL: the comparison is never true.
    Empty,
    Exact(Value),
    /// Does not convert exactly (out of range, fractional): no bound on that side.
    Inexact,
}

fn range_value(
    table: &TableDef,
    column: usize,
    expr: &Expr,
    env: &Env,
) -> Result<RangeValue, SqlError> {
    let value = expr.eval(&[], env)?;
    if value.is_null() {
        return Ok(RangeValue::Empty);
    }
    let ty = table.columns.get(column).map(|c| c.ty.clone()).unwrap_or(DataType::Text);
    let cast = match value.cast(&ty, false) {
        Ok(v) => v,
        Err(err)
            if err.code == sqlstate::NUMERIC_VALUE_OUT_OF_RANGE
                || err.code == sqlstate::STRING_DATA_RIGHT_TRUNCATION =>
        {
            return Ok(RangeValue::Inexact);
        }
        Err(err) => return Err(err),
    };
    if value.sql_cmp(&cast)? != Some(Ordering::Equal) {
        return Ok(RangeValue::Inexact);
    }
    Ok(RangeValue::Exact(cast))
}

/// The rows of several access paths, each row (by key) once, in path order.
fn read_any(
    txn: &mut Transaction,
    table: &Arc<TableDef>,
    accesses: &[Access],
    env: &Env,
) -> Result<KeyedRows, SqlError> {
    let mut seen = std::collections::HashSet::new();
    let mut held = Reservation::new(&env.memory, "an index scan");
    let mut rows = Vec::new();
    for access in accesses {
        for entry in read_rows(txn, table, access, env)? {
            let (key, row) = entry?;
            if seen.insert(key.clone()) {
                held.grow(key.len() * 2 + 64 + memory::row_size(&row))?;
                rows.push(Ok((key, row)));
            }
        }
    }
    Ok(Box::new(Held { rows: rows.into_iter(), _held: held }))
}

/// A lookup value cast to key column `column`'s type; None when it cannot match any row
/// (NULL, out of range for the type, or fractional for an integer column).
fn key_value(
    table: &TableDef,
    column: usize,
    expr: &Expr,
    env: &Env,
) -> Result<Option<Value>, SqlError> {
    let value = expr.eval(&[], env)?;
    if value.is_null() {
        return Ok(None);
    }
    let ty = table.columns.get(column).map(|c| c.ty.clone()).unwrap_or(DataType::Text);
    // A value that does not fit the key type cannot match any row, except that bad text is
    // an input error, as in PostgreSQL.
    let cast = match value.cast(&ty, false) {
        Ok(v) => v,
        Err(err)
            if err.code == sqlstate::NUMERIC_VALUE_OUT_OF_RANGE
                || err.code == sqlstate::STRING_DATA_RIGHT_TRUNCATION =>
        {
            return Ok(None);
        }
        Err(err) => return Err(err),
    };
    // Fractional values (id = 1.5) never equal an integer key.
    if value.sql_cmp(&cast)? != Some(Ordering::Equal) {
        return Ok(None);
    }
    Ok(Some(cast))
}

/// A stream of rows.
pub type Rows = Box<dyn Iterator<Item = Result<Row, SqlError>> + Send>;

/// An iterator that holds a memory reservation for as long as it lives (the rows it yields
/// were accounted against the statement's budget).
struct Held<I> {
    rows: I,
    _held: Reservation,
}

impl<I: Iterator> Iterator for Held<I> {
    type Item = I::Item;

    fn next(&mut self) -> Option<Self::Item> {
        self.rows.next()
    }
}

/// Rows kept in memory, accounted by `held` until the stream is dropped.
fn held_rows(rows: Vec<Row>, held: Reservation) -> Rows {
    Box::new(Held { rows: rows.into_iter().map(Ok), _held: held })
}

/// Runs a SELECT: a lazily evaluated stream of projected rows.
pub fn select(
    txn: &mut Transaction,
    plan: SelectPlan,
    env: Arc<Env>,
) -> Result<RowStream, SqlError> {
    let SelectPlan {
        source,
        filter,
        grouping,
        having,
        windows,
        projection,
        distinct,
        distinct_on,
        order_by,
        limit,
        with_ties,
        offset,
        stats,
        ..
    } = plan;
    // Every operator's time counts from the start of the query: each includes its input's
    // (inclusive times, as PostgreSQL reports them).
    let opened = clock(&env);
    // The plan's counters, only under EXPLAIN ANALYZE.
    let counting = env.instrument != Instrument::Off;
    let slot = |pick: fn(&SelectStats) -> &Arc<NodeStats>| counting.then(|| pick(&stats).clone());
    let source_slot = slot(SelectStats::source);
    let source_rows = open_source_rows(txn, source, &env, source_slot.as_ref())?;
    let rows = filtered(source_rows, filter, &env, source_slot.as_ref());
    let rows = instrument(rows, source_slot.as_ref(), &env, opened);
    let rows = match grouping {
        Some(grouping) => {
            let (groups, mut held) = aggregate::group(rows, &grouping, &env)?;
            let aggregate_slot = slot(SelectStats::aggregate);
            held.report_to(aggregate_slot.as_ref());
            let rows = filtered(held_rows(groups, held), having, &env, aggregate_slot.as_ref());
            instrument(rows, aggregate_slot.as_ref(), &env, opened)
        }
        None => rows,
    };
    let rows: Rows = if windows.is_empty() {
        rows
    } else {
        let mut held = Reservation::new(&env.memory, "window functions");
        let mut input = Vec::new();
        for row in rows {
            env.check_cancel()?;
            let row = row?;
            held.grow_row(&row)?;
            input.push(row);
        }
        let output = window::apply(input, &windows, &env, &mut held)?;
        instrument(held_rows(output, held), slot(SelectStats::window).as_ref(), &env, opened)
    };
    let limited = limit.is_some() || offset.is_some();
    let offset = match offset {
        Some(e) => count_value(&e.eval(&[], &env)?, "OFFSET")?.unwrap_or(0),
        None => 0,
    };
    let limit = match limit {
        Some(e) => count_value(&e.eval(&[], &env)?, "LIMIT")?,
        None => None,
    };
    let projected: Rows = if order_by.is_empty() && !distinct && distinct_on.is_empty() {
        let env = env.clone();
        Box::new(rows.map(move |row| {
            env.check_cancel()?;
            let row = row?;
            projection.iter().map(|e| e.eval(&row, &env)).collect()
        }))
    } else {
        let what = if order_by.is_empty() { "DISTINCT" } else { "a sort" };
        let mut held = Reservation::new(&env.memory, what);
        held.report_to(slot(SelectStats::sort).as_ref());
        // ORDER BY ... LIMIT keeps only the first OFFSET + LIMIT rows (a top-N sort).
        let top_n = match limit {
            Some(limit) if !distinct && distinct_on.is_empty() && !with_ties => {
                usize::try_from(offset.saturating_add(limit)).ok()
            }
            _ => None,
        };
        let size = |entry: &(Row, Row, Row)| {
            memory::row_size(&entry.0) + memory::row_size(&entry.1) + memory::row_size(&entry.2)
        };
        // (sort keys, DISTINCT ON values, output row)
        let mut keyed: Vec<(Row, Row, Row)> = Vec::new();
        for row in rows {
            env.check_cancel()?;
            let row = row?;
            let keys =
                order_by.iter().map(|k| k.expr.eval(&row, &env)).collect::<Result<Row, _>>()?;
            let on = distinct_on.iter().map(|e| e.eval(&row, &env)).collect::<Result<Row, _>>()?;
            let out = projection.iter().map(|e| e.eval(&row, &env)).collect::<Result<Row, _>>()?;
            let entry = (keys, on, out);
            held.grow(size(&entry))?;
            keyed.push(entry);
            if let Some(n) = top_n
                && keyed.len() >= n.saturating_mul(2).max(1024)
            {
                // Stable: among equal keys the earlier rows stay, as a full sort keeps them.
                keyed.sort_by(|a, b| compare_keys(&a.0, &b.0, &order_by));
                keyed.truncate(n);
                held.set(keyed.iter().map(size).sum())?;
            }
        }
        let sorted = keyed.len() as u64;
        if distinct {
            keyed.sort_by(|a, b| compare_rows(&a.2, &b.2));
            keyed.dedup_by(|a, b| compare_rows(&a.2, &b.2) == Ordering::Equal);
        }
        if !order_by.is_empty() || !distinct_on.is_empty() {
            keyed.sort_by(|a, b| {
                compare_keys(&a.0, &b.0, &order_by).then_with(|| compare_rows(&a.1, &b.1))
            });
        }
        if !distinct_on.is_empty() {
            // The first row of each group of equal DISTINCT ON values, in ORDER BY order.
            let mut seen = std::collections::HashSet::new();
            keyed.retain(|(_, on, _)| seen.insert(values_key(on)));
        }
        if with_ties && let Some(limit) = limit {
            // Keep the rows tied with the last one inside OFFSET + LIMIT.
            let skip = usize::try_from(offset).unwrap_or(usize::MAX);
            let end = skip.saturating_add(usize::try_from(limit).unwrap_or(usize::MAX));
            let mut keep = end.min(keyed.len());
            if let Some(last) = keep.checked_sub(1).and_then(|i| keyed.get(i)).map(|k| k.0.clone())
                && keep > skip
            {
                while keyed
                    .get(keep)
                    .is_some_and(|k| compare_keys(&k.0, &last, &order_by) == Ordering::Equal)
                {
                    keep += 1;
                }
            }
            keyed.truncate(keep);
        }
        let output: Rows =
            Box::new(Held { rows: keyed.into_iter().map(|(_, _, row)| Ok(row)), _held: held });
        if distinct || !distinct_on.is_empty() {
            // The sort hands every row to the de-duplication fused with it.
            if let Some(sort) = slot(SelectStats::sort) {
                sort.record(sorted, opened);
            }
            instrument(output, slot(SelectStats::unique).as_ref(), &env, opened)
        } else {
            instrument(output, slot(SelectStats::sort).as_ref(), &env, opened)
        }
    };
    let limit = if with_ties { None } else { limit };
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    let rows = projected.skip(offset);
    let rows: Rows = match limit {
        Some(limit) => Box::new(rows.take(usize::try_from(limit).unwrap_or(usize::MAX))),
        None => Box::new(rows),
    };
    Ok(if limited {
        instrument(rows, slot(SelectStats::limit).as_ref(), &env, opened)
    } else {
        rows
    })
}

/// The rows of a FROM source, counted into `stats` (the slot of the plan node that reads
/// it) under EXPLAIN ANALYZE.
fn open_source(
    txn: &mut Transaction,
    source: Source,
    env: &Arc<Env>,
    stats: &Arc<NodeStats>,
) -> Result<Rows, SqlError> {
    let opened = clock(env);
    let stats = (env.instrument != Instrument::Off).then_some(stats);
    let rows = open_source_rows(txn, source, env, stats)?;
    Ok(instrument(rows, stats, env, opened))
}

/// The rows of a FROM source (uncounted; a pushed-down filter counts the rows it removes
/// into `stats`).
fn open_source_rows(
    txn: &mut Transaction,
    source: Source,
    env: &Arc<Env>,
    stats: Option<&Arc<NodeStats>>,
) -> Result<Rows, SqlError> {
    Ok(match source {
        Source::Single => Box::new(std::iter::once(Ok(Vec::new()))),
        Source::Values(rows) => {
            let env = env.clone();
            Box::new(
                rows.into_iter().map(move |row| row.iter().map(|e| e.eval(&[], &env)).collect()),
            )
        }
        Source::Table { table, access } => {
            Box::new(read_rows(txn, &table, &access, env)?.map(|r| r.map(|(_, row)| row)))
        }
        Source::Series { start, stop, step } => series(&start, &stop, &step, env)?,
        Source::Unnest { arrays, ordinality } => unnest(&arrays, ordinality, env)?,
        Source::Rows(rows) => Box::new(rows.into_iter().map(Ok)),
        Source::Sequence(sequence) => {
            let state = env.sequences.state(&sequence)?;
            let row = vec![
                Value::Int8(state.last_value),
                Value::Int8(state.log_cnt),
                Value::Bool(state.is_called),
            ];
            Box::new(std::iter::once(Ok(row)))
        }
        Source::Filter { input, predicate } => {
            filtered(open_source_rows(txn, *input, env, stats)?, Some(predicate), env, stats)
        }
        Source::Query(plan) => select(txn, *plan, env.clone())?,
        Source::Join(plan) => join::join(txn, *plan, env, stats)?,
        Source::Lookup(plan) => lookup_join::lookup_join(txn, *plan, env, stats)?,
        Source::SetOp(plan) => join::set_op(txn, *plan, env)?,
        Source::CommonTable(table) => cte::scan(txn, &table, env)?,
        Source::WorkingTable(table) => cte::scan_working(&table),
    })
}

/// The rows for which `filter` is true (all rows without one). Under EXPLAIN ANALYZE the
/// rows it removes are counted into `stats`.
fn filtered(
    rows: Rows,
    filter: Option<Expr>,
    env: &Arc<Env>,
    stats: Option<&Arc<NodeStats>>,
) -> Rows {
    let stats = stats.filter(|_| env.instrument != Instrument::Off).cloned();
    match filter {
        Some(filter) => {
            let env = env.clone();
            Box::new(rows.filter_map(move |row| match row {
                Ok(row) => match filter.eval(&row, &env).and_then(|v| truth(&v)) {
                    Ok(Some(true)) => Some(Ok(row)),
                    Ok(_) => {
                        if let Some(stats) = &stats {
                            stats.removed_one();
                        }
                        None
                    }
                    Err(err) => Some(Err(err)),
                },
                Err(err) => Some(Err(err)),
            }))
        }
        None => rows,
    }
}

/// A byte key equal for rows that GROUP BY / DISTINCT / UNION treat as equal.
fn values_key(values: &[Value]) -> Vec<u8> {
    let mut encoder = KeyEncoder::new();
    for value in values {
        value.encode_key(&mut encoder);
    }
    encoder.finish()
}

fn count_value(value: &Value, what: &str) -> Result<Option<i64>, SqlError> {
    match value {
        Value::Null => Ok(None),
        v => match v.cast(&DataType::Int8, false)? {
            Value::Int8(n) if n < 0 => {
                Err(SqlError::new("2201W", format!("{what} must not be negative")))
            }
            Value::Int8(n) => Ok(Some(n)),
            _ => Ok(None),
        },
    }
}

pub(super) fn compare_rows(a: &[Value], b: &[Value]) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.sort_cmp(y))
        .find(|o| *o != Ordering::Equal)
        .unwrap_or(Ordering::Equal)
}

pub(super) fn compare_keys(a: &[Value], b: &[Value], keys: &[SortKey]) -> Ordering {
    for ((x, y), key) in a.iter().zip(b).zip(keys) {
        let ordering = match (x.is_null(), y.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => {
                if key.nulls_first {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (false, true) => {
                if key.nulls_first {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (false, false) => {
                let o = x.sort_cmp(y);
                if key.descending { o.reverse() } else { o }
            }
        };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    Ordering::Equal
}

/// The rows of `unnest(a, b, ...)`: element i of every array side by side.
fn unnest(arrays: &[Expr], ordinality: bool, env: &Arc<Env>) -> Result<Rows, SqlError> {
    let mut columns = Vec::with_capacity(arrays.len());
    for array in arrays {
        columns.push(match array.eval(&[], env)? {
            Value::Array(array) => array.elements,
            Value::Null => Vec::new(),
            other => {
                return Err(SqlError::new(
                    sqlstate::DATATYPE_MISMATCH,
                    format!("function unnest({}) does not exist", other.type_name()),
                ));
            }
        });
    }
    let count = columns.iter().map(Vec::len).max().unwrap_or(0);
    let mut iters: Vec<_> = columns.into_iter().map(Vec::into_iter).collect();
    Ok(Box::new((0..count).map(move |i| {
        let mut row: Row = iters.iter_mut().map(|it| it.next().unwrap_or(Value::Null)).collect();
        if ordinality {
            row.push(Value::Int8(i as i64 + 1));
        }
        Ok(row)
    })))
}

fn series(
    start: &Expr,
    stop: &Expr,
    step: &Expr,
    env: &Arc<Env>,
) -> Result<Box<dyn Iterator<Item = Result<Row, SqlError>> + Send>, SqlError> {
    let int = |e: &Expr| -> Result<Option<i64>, SqlError> {
        match e.eval(&[], env)? {
            Value::Int8(n) => Ok(Some(n)),
            Value::Null => Ok(None),
            other => match other.cast(&DataType::Int8, true)? {
                Value::Int8(n) => Ok(Some(n)),
                _ => Ok(None),
            },
        }
    };
    let (Some(start), Some(stop), Some(step)) = (int(start)?, int(stop)?, int(step)?) else {
        return Ok(Box::new(std::iter::empty()));
    };
    if step == 0 {
        return Err(SqlError::new(
            sqlstate::INVALID_PARAMETER_VALUE,
            "step size cannot equal zero",
        ));
    }
    let env = env.clone();
    let mut next = Some(start);
    Ok(Box::new(std::iter::from_fn(move || {
        let current = next?;
        if (step > 0 && current > stop) || (step < 0 && current < stop) {
            return None;
        }
        next = current.checked_add(step);
        if let Err(err) = env.check_cancel() {
            next = None;
            return Some(Err(err));
        }
        Some(Ok(vec![match i32::try_from(current) {
            Ok(small) if i32::try_from(start).is_ok() && i32::try_from(stop).is_ok() => {
                Value::Int4(small)
            }
            _ => Value::Int8(current),
        }]))
    })))
}

/// Outcome of writing one row.
enum WriteOutcome {
    Written(Row),
    /// A key conflict: the constraint and the existing row's key.
    Conflict {
        constraint: String,
        existing_key: Vec<u8>,
        detail: String,
    },
}

fn row_text(row: &[Value]) -> String {
    let parts: Vec<String> =
        row.iter().map(|v| if v.is_null() { "null".to_string() } else { v.to_text() }).collect();
    format!("Failing row contains ({}).", parts.join(", "))
}

fn key_detail(table: &TableDef, columns: &[usize], row: &[Value]) -> String {
    let names: Vec<&str> =
        columns.iter().filter_map(|&c| table.columns.get(c)).map(|c| c.name.as_str()).collect();
    let values: Vec<String> =
        columns.iter().map(|&c| row.get(c).map(Value::to_text).unwrap_or_default()).collect();
    format!("Key ({})=({}) already exists.", names.join(", "), values.join(", "))
}

/// Coerces a full row to the column types and checks NOT NULL and CHECK constraints.
fn validate_row(
    table: &TableDef,
    row: Row,
    checks: &[(String, Expr)],
    env: &Env,
) -> Result<Row, SqlError> {
    let mut out = Vec::with_capacity(row.len());
    for (value, column) in row.into_iter().zip(&table.columns) {
        let value =
            value.cast(&column.ty, false).map_err(|e| e.with_column(column.name.clone()))?;
        out.push(value);
    }
    for (value, column) in out.iter().zip(&table.columns) {
        if column.not_null && value.is_null() {
            return Err(SqlError::new(
                sqlstate::NOT_NULL_VIOLATION,
                format!(
                    "null value in column \"{}\" of relation \"{}\" violates not-null constraint",
                    column.name, table.name
                ),
            )
            .with_detail(row_text(&out))
            .with_table(table.name.clone())
            .with_column(column.name.clone()));
        }
    }
    for (name, check) in checks {
        if truth(&check.eval(&out, env)?)? == Some(false) {
            return Err(SqlError::new(
                sqlstate::CHECK_VIOLATION,
                format!(
                    "new row for relation \"{}\" violates check constraint \"{name}\"",
                    table.name
                ),
            )
            .with_detail(row_text(&out))
            .with_table(table.name.clone())
            .with_constraint(name.clone()));
        }
    }
    Ok(out)
}

/// Writes a validated new row unless a key conflicts. `replacing` is the key of the row this
/// one replaces (UPDATE), whose own unique entries do not count as conflicts.
fn write_row(
    txn: &mut Transaction,
    table: &TableDef,
    row: Row,
    key: Vec<u8>,
    replacing: Option<(&[u8], &Row)>,
) -> Result<WriteOutcome, SqlError> {
    let same_key = replacing.is_some_and(|(old, _)| old == key.as_slice());
    // A hidden row id is fresh from its sequence (never reused), so it cannot exist yet.
    let fresh_row_id = table.primary_key.is_empty() && replacing.is_none();
    if !same_key && !fresh_row_id && txn.get(&key)?.is_some() {
        return Ok(WriteOutcome::Conflict {
            constraint: table.primary_key_name.clone().unwrap_or_default(),
            existing_key: key,
            detail: key_detail(table, &table.primary_key, &row),
        });
    }
    let mut new_entries = Vec::new();
    for unique in &table.uniques {
        let values: Vec<&Value> = unique.columns.iter().filter_map(|&c| row.get(c)).collect();
        if values.iter().any(|v| v.is_null()) {
            continue;
        }
        let entry = unique_key(table, unique.index_no, &values);
        if let Some(existing) = txn.get(&entry)? {
            let own = replacing.is_some_and(|(old, _)| old == existing.as_ref());
            if !own {
                return Ok(WriteOutcome::Conflict {
                    constraint: unique.name.clone(),
                    existing_key: existing.to_vec(),
                    detail: key_detail(table, &unique.columns, &row),
                });
            }
        }
        new_entries.push(entry);
    }
    for index in &table.indexes {
        let Some(entry) = index_entry_key(table, index, &row, &key) else {
            continue;
        };
        if index.unique
            && let Some(existing) = txn.get(&entry)?
        {
            let own = replacing.is_some_and(|(old, _)| old == existing.as_ref());
            if !own {
                return Ok(WriteOutcome::Conflict {
                    constraint: index.name.clone(),
                    existing_key: existing.to_vec(),
                    detail: key_detail(table, &index.columns, &row),
                });
            }
        }
        new_entries.push(entry);
    }
    if let Some((old_key, old_row)) = replacing {
        remove_row(txn, table, old_key, old_row);
    }
    for entry in new_entries {
        txn.put(entry, key.clone());
    }
    let mut encoded = Vec::with_capacity(64);
    encode_row(&row, &mut encoded);
    txn.put(key, encoded);
    // Bulk writes into storage this transaction created go to the engine every few MB.
    txn.flush_private_if_large()?;
    Ok(WriteOutcome::Written(row))
}

fn remove_row(txn: &mut Transaction, table: &TableDef, key: &[u8], row: &Row) {
    for unique in &table.uniques {
        let values: Vec<&Value> = unique.columns.iter().filter_map(|&c| row.get(c)).collect();
        if values.iter().any(|v| v.is_null()) {
            continue;
        }
        txn.delete(unique_key(table, unique.index_no, &values));
    }
    for index in &table.indexes {
        if let Some(entry) = index_entry_key(table, index, row, key) {
            txn.delete(entry);
        }
    }
    txn.delete(Bytes::copy_from_slice(key));
}

fn unique_violation(table: &TableDef, constraint: String, detail: String) -> SqlError {
    SqlError::new(
        sqlstate::UNIQUE_VIOLATION,
        format!("duplicate key value violates unique constraint \"{constraint}\""),
    )
    .with_detail(detail)
    .with_table(table.name.clone())
    .with_constraint(constraint)
}

/// Runs an INSERT; returns the RETURNING rows (or none) and the count.
pub fn insert(
    txn: &mut Transaction,
    plan: InsertPlan,
    env: Arc<Env>,
    row_ids: &dyn Fn(&TableDef) -> Result<i64, SqlError>,
) -> Result<(Vec<Row>, u64), SqlError> {
    let InsertPlan {
        table,
        target_columns,
        source,
        defaults,
        checks,
        on_conflict,
        returning,
        always_identity,
        ..
    } = plan;
    catalog::guard_table(txn, &table.name);
    // Evaluate VALUES rows here so the DEFAULT keyword can pick the column default.
    let source_rows: Rows = match &source.source {
        Source::Values(rows)
            if source.filter.is_none() && source.order_by.is_empty() && source.limit.is_none() =>
        {
            let opened = clock(&env);
            let stats = (env.instrument != Instrument::Off).then(|| source.stats.source().clone());
            let outer_env = env.clone();
            let env = env.clone();
            let defaults = defaults.clone();
            let targets = target_columns.clone();
            let rows = rows.clone();
            let values: Rows = Box::new(rows.into_iter().map(move |row| {
                row.iter()
                    .enumerate()
                    .map(|(i, e)| match e {
                        Expr::Default => {
                            let column = targets.get(i).copied().unwrap_or(usize::MAX);
                            match defaults.get(column).cloned().flatten() {
                                Some(default) => default.eval(&[], &env),
                                None => Ok(Value::Null),
                            }
                        }
                        e => e.eval(&[], &env),
                    })
                    .collect()
            }));
            instrument(values, stats.as_ref(), &outer_env, opened)
        }
        _ => {
            // The rows are read in full before any is written (the query must not see them).
            let mut held = Reservation::new(&env.memory, "the rows to insert");
            let mut rows = Vec::new();
            for row in select(txn, source, env.clone())? {
                let row = row?;
                held.grow_row(&row)?;
                rows.push(Ok(row));
            }
            Box::new(Held { rows: rows.into_iter(), _held: held })
        }
    };
    let mut returned = Vec::new();
    let mut count = 0u64;
    let mut fks = ForeignKeys::default();
    for source_row in source_rows {
        env.check_cancel()?;
        let source_row = source_row?;
        let mut row = vec![Value::Null; table.columns.len()];
        let mut provided = vec![false; table.columns.len()];
        for (value, &column) in source_row.into_iter().zip(&target_columns) {
            if always_identity.contains(&column) {
                let name = table.columns.get(column).map(|c| c.name.clone()).unwrap_or_default();
                return Err(SqlError::new(
                    "428C9",
                    format!("cannot insert a non-DEFAULT value into column \"{name}\""),
                )
                .with_detail(format!(
                    "Column \"{name}\" is an identity column defined as GENERATED ALWAYS."
                ))
                .with_hint("Use OVERRIDING SYSTEM VALUE to override."));
            }
            if let Some(slot) = row.get_mut(column) {
                *slot = value;
            }
            if let Some(flag) = provided.get_mut(column) {
                *flag = true;
            }
        }
        for (column, default) in defaults.iter().enumerate() {
            if provided.get(column) == Some(&false)
                && let Some(default) = default
                && let Some(slot) = row.get_mut(column)
            {
                *slot = default.eval(&[], &env)?;
            }
        }
        let row = validate_row(&table, row, &checks, &env)?;
        let row_id = if table.primary_key.is_empty() { Some(row_ids(&table)?) } else { None };
        let key = row_key(&table, &row, row_id);
        match write_row(txn, &table, row.clone(), key, None)? {
            WriteOutcome::Written(row) => {
                count += 1;
                fks.row_written(&table, None, &row);
                if let Some(returning) = &returning {
                    returned.push(
                        returning.iter().map(|e| e.eval(&row, &env)).collect::<Result<Row, _>>()?,
                    );
                }
            }
            WriteOutcome::Conflict { constraint, existing_key, detail } => match &on_conflict {
                OnConflict::Error => return Err(unique_violation(&table, constraint, detail)),
                OnConflict::DoNothing => {}
                OnConflict::DoUpdate { assignments, filter } => {
                    let Some(existing) = txn.get(&existing_key)? else {
                        return Err(unique_violation(&table, constraint, detail));
                    };
                    let existing_row = decode_row(&existing, &table.column_types())?;
                    let mut both = existing_row.clone();
                    both.extend(row.iter().cloned());
                    if let Some(filter) = filter
                        && truth(&filter.eval(&both, &env)?)? != Some(true)
                    {
                        continue;
                    }
                    let mut updated = existing_row.clone();
                    for (column, expr) in assignments {
                        let value = expr.eval(&both, &env)?;
                        if let Some(slot) = updated.get_mut(*column) {
                            *slot = value;
                        }
                    }
                    let updated = validate_row(&table, updated, &checks, &env)?;
                    let new_key = if table.primary_key.is_empty() {
                        existing_key.clone()
                    } else {
                        row_key(&table, &updated, None)
                    };
                    match write_row(
                        txn,
                        &table,
                        updated,
                        new_key,
                        Some((&existing_key, &existing_row)),
                    )? {
                        WriteOutcome::Written(row) => {
                            count += 1;
                            fks.row_written(&table, Some(&existing_row), &row);
                            fks.row_updated(txn, &table, &existing_row, &row, &env)?;
                            if let Some(returning) = &returning {
                                returned.push(
                                    returning
                                        .iter()
                                        .map(|e| e.eval(&row, &env))
                                        .collect::<Result<Row, _>>()?,
                                );
                            }
                        }
                        WriteOutcome::Conflict { constraint, detail, .. } => {
                            return Err(unique_violation(&table, constraint, detail));
                        }
                    }
                }
            },
        }
    }
    fks.finish(txn, &env)?;
    Ok((returned, count))
}

/// Runs an UPDATE.
pub fn update(
    txn: &mut Transaction,
    plan: UpdatePlan,
    env: Arc<Env>,
) -> Result<(Vec<Row>, u64), SqlError> {
    let UpdatePlan { table, access, filter, assignments, checks, returning, stats, .. } = plan;
    catalog::guard_table(txn, &table.name);
    let (targets, _held) = matching_rows(txn, &table, &access, filter.as_ref(), &env, &stats)?;
    let mut returned = Vec::new();
    let mut count = 0;
    let mut fks = ForeignKeys::default();
    for (key, old_row) in targets {
        env.check_cancel()?;
        let mut row = old_row.clone();
        for (column, expr) in &assignments {
            let value = expr.eval(&old_row, &env)?;
            if let Some(slot) = row.get_mut(*column) {
                *slot = value;
            }
        }
        let row = validate_row(&table, row, &checks, &env)?;
        let new_key =
            if table.primary_key.is_empty() { key.to_vec() } else { row_key(&table, &row, None) };
        match write_row(txn, &table, row, new_key, Some((&key, &old_row)))? {
            WriteOutcome::Written(row) => {
                count += 1;
                fks.row_written(&table, Some(&old_row), &row);
                fks.row_updated(txn, &table, &old_row, &row, &env)?;
                if let Some(returning) = &returning {
                    returned.push(
                        returning.iter().map(|e| e.eval(&row, &env)).collect::<Result<Row, _>>()?,
                    );
                }
            }
            WriteOutcome::Conflict { constraint, detail, .. } => {
                return Err(unique_violation(&table, constraint, detail));
            }
        }
    }
    fks.finish(txn, &env)?;
    Ok((returned, count))
}

/// Runs a DELETE.
pub fn delete(
    txn: &mut Transaction,
    plan: DeletePlan,
    env: Arc<Env>,
) -> Result<(Vec<Row>, u64), SqlError> {
    let DeletePlan { table, access, filter, returning, stats, .. } = plan;
    catalog::guard_table(txn, &table.name);
    let (targets, _held) = matching_rows(txn, &table, &access, filter.as_ref(), &env, &stats)?;
    let mut returned = Vec::new();
    let mut count = 0;
    let mut fks = ForeignKeys::default();
    for (key, row) in targets {
        env.check_cancel()?;
        // A foreign-key cascade earlier in the statement may have deleted it already.
        if fks.cascaded() && txn.get(&key)?.is_none() {
            continue;
        }
        remove_row(txn, &table, &key, &row);
        fks.row_deleted(txn, &table, &row, &env)?;
        count += 1;
        if let Some(returning) = &returning {
            returned
                .push(returning.iter().map(|e| e.eval(&row, &env)).collect::<Result<Row, _>>()?);
        }
    }
    fks.finish(txn, &env)?;
    Ok((returned, count))
}

/// The rows an UPDATE or DELETE changes (read in full first), counted into `stats` under
/// EXPLAIN ANALYZE.
fn matching_rows(
    txn: &mut Transaction,
    table: &Arc<TableDef>,
    access: &Access,
    filter: Option<&Expr>,
    env: &Env,
    stats: &NodeStats,
) -> Result<(Vec<(Bytes, Row)>, Reservation), SqlError> {
    let opened = clock(env);
    let mut held = Reservation::new(&env.memory, "the rows to change");
    let mut out = Vec::new();
    let rows = match access {
        Access::Point(values) => lock_point_row(txn, table, values, env)?,
        _ => read_rows(txn, table, access, env)?,
    };
    for entry in rows {
        env.check_cancel()?;
        let (key, row) = entry?;
        let keep = match filter {
            Some(f) => truth(&f.eval(&row, env)?)? == Some(true),
            None => true,
        };
        if keep {
            held.grow(key.len() + memory::row_size(&row))?;
            out.push((key, row));
        } else if env.instrument != Instrument::Off {
            stats.removed_one();
        }
    }
    if env.instrument != Instrument::Off {
        stats.record(out.len() as u64, opened);
    }
    Ok((out, held))
}

/// Lets go of a table's storage (DROP TABLE, TRUNCATE, a row rewrite): once the
/// transaction commits, its rows and index entries are deleted in the background. Until
/// then a concurrent commit that writes into it fails this transaction (40001), so no row
/// written meanwhile is silently thrown away.
pub fn discard_storage(txn: &mut Transaction, table: &TableDef) {
    for prefix in table.storage_prefixes() {
        let end = catalog::prefix_end(&prefix)
            .map_or(Bound::Unbounded, |e| Bound::Excluded(Bytes::from(e)));
        txn.guard(Bound::Included(Bytes::from(prefix.clone())), end);
        txn.discard_on_commit(prefix);
    }
}

/// Gives `table` fresh, empty storage `id`, private to the transaction until it commits
/// (so bulk writes into it need not be buffered in memory: see `txn::private`).
pub fn fresh_storage(txn: &mut Transaction, table: &mut TableDef, id: u32) {
    table.storage = id;
    for prefix in table.storage_prefixes() {
        txn.make_private(prefix);
    }
}

/// Inserts rows that arrive from COPY (already parsed to the target columns' types).
pub fn copy_row(
    txn: &mut Transaction,
    table: &TableDef,
    columns: &[usize],
    values: Row,
    rules: (&[Option<Expr>], &[(String, Expr)]),
    env: &Env,
    row_ids: RowIds<'_>,
) -> Result<(), SqlError> {
    let (defaults, checks) = rules;
    let mut row = vec![Value::Null; table.columns.len()];
    let mut provided = vec![false; table.columns.len()];
    for (value, &column) in values.into_iter().zip(columns) {
        if let Some(slot) = row.get_mut(column) {
            *slot = value;
        }
        if let Some(flag) = provided.get_mut(column) {
            *flag = true;
        }
    }
    for (column, default) in defaults.iter().enumerate() {
        if provided.get(column) == Some(&false)
            && let Some(default) = default
            && let Some(slot) = row.get_mut(column)
        {
            *slot = default.eval(&[], env)?;
        }
    }
    let row = validate_row(table, row, checks, env)?;
    let row_id = if table.primary_key.is_empty() { Some(row_ids(table)?) } else { None };
    let key = row_key(table, &row, row_id);
    match write_row(txn, table, row, key, None)? {
        WriteOutcome::Written(row) => {
            let mut fks = ForeignKeys::default();
            fks.row_written(&Arc::new(table.clone()), None, &row);
            fks.finish(txn, env)
        }
        WriteOutcome::Conflict { constraint, detail, .. } => {
            Err(unique_violation(table, constraint, detail))
        }
    }
}
