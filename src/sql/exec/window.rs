//! Window functions: every row entering the window step (after grouping and HAVING) gets
//! one extra column per window function. For each function the rows are sorted by
//! PARTITION BY then ORDER BY; within a partition, rows with equal ORDER BY values are
//! peers. Ranking functions look at positions and peer groups, lag/lead at neighbouring
//! rows, and first/last/nth_value and aggregates at the frame (ROWS, RANGE or GROUPS
//! between two bounds). The output comes in the sort order of the last window function, as
//! PostgreSQL's (unordered) output usually does.
//!
//! Depends on: `sql::plan`, `sql::expr`, `exec::aggregate` (accumulators), `sql::types`.

use super::aggregate::Accumulator;
use super::memory::{Reservation, value_size};
use super::{Row, compare_keys, compare_rows};
use crate::sql::error::{SqlError, sqlstate};
use crate::sql::expr::{Env, Expr};
use crate::sql::plan::{
    Aggregate, AggregateFunction, FrameBound, FrameUnits, WindowFunction, WindowFunctionKind as K,
};
use crate::sql::types::{BinaryOp, DataType, Value, binary_op};
use std::cmp::Ordering;

/// Appends the result of each window function to every row.
/// The results are accounted into `held` (the input rows already are).
pub fn apply(
    mut rows: Vec<Row>,
    windows: &[WindowFunction],
    env: &Env,
    held: &mut Reservation,
) -> Result<Vec<Row>, SqlError> {
    let mut results: Vec<Vec<Value>> = Vec::with_capacity(windows.len());
    let mut order: Vec<usize> = (0..rows.len()).collect();
    for window in windows {
        let (values, sorted) = evaluate(&rows, window, env)?;
        held.grow(
            values.iter().map(value_size).sum::<usize>()
                + sorted.len() * std::mem::size_of::<usize>(),
        )?;
        results.push(values);
        order = sorted;
    }
    for column in results {
        for (row, value) in rows.iter_mut().zip(column) {
            row.push(value);
        }
    }
    let mut slots: Vec<Option<Row>> = rows.into_iter().map(Some).collect();
    Ok(order.into_iter().filter_map(|i| slots.get_mut(i).and_then(Option::take)).collect())
}

/// One partition's rows (indexes into the input, in window order) and its peer groups.
struct Partition<'a> {
    rows: &'a [usize],
    /// Peer group of each position.
    group_of: Vec<usize>,
    /// First position of each peer group; `group_start[g + 1]` ends group `g`.
    group_start: Vec<usize>,
    /// The first ORDER BY value of each position (RANGE offsets measure from it).
    keys: Vec<Value>,
    /// The positions whose key is not NULL (they are contiguous).
    non_null: (usize, usize),
}

impl Partition<'_> {
    fn len(&self) -> usize {
        self.rows.len()
    }

    fn group_end(&self, group: usize) -> usize {
        self.group_start.get(group + 1).copied().unwrap_or(self.rows.len())
    }
}

/// The results of one window function (by input row) and the window order of the rows.
fn evaluate(
    rows: &[Row],
    window: &WindowFunction,
    env: &Env,
) -> Result<(Vec<Value>, Vec<usize>), SqlError> {
    let mut keyed = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        env.check_cancel()?;
        let partition = eval_all(&window.partition_by, row, env)?;
        let order =
            window.order_by.iter().map(|k| k.expr.eval(row, env)).collect::<Result<Row, _>>()?;
        keyed.push((partition, order, i));
    }
    keyed.sort_by(|a, b| {
        compare_rows(&a.0, &b.0).then_with(|| compare_keys(&a.1, &b.1, &window.order_by))
    });
    let sorted: Vec<usize> = keyed.iter().map(|k| k.2).collect();
    let offsets = FrameOffsets::new(window, env)?;
    let mut results = vec![Value::Null; rows.len()];
    let mut start = 0;
    while start < keyed.len() {
        let mut end = start + 1;
        while keyed.get(end).is_some_and(|k| {
            keyed.get(start).is_some_and(|s| compare_rows(&s.0, &k.0) == Ordering::Equal)
        }) {
            end += 1;
        }
        let mut group_of = Vec::with_capacity(end - start);
        let mut group_start = vec![0];
        for pos in 0..end - start {
            if pos > 0
                && let (Some(prev), Some(cur)) =
                    (keyed.get(start + pos - 1), keyed.get(start + pos))
                && compare_keys(&prev.1, &cur.1, &window.order_by) != Ordering::Equal
            {
                group_start.push(pos);
            }
            group_of.push(group_start.len() - 1);
        }
        let keys: Vec<Value> = keyed
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .map(|k| k.1.first().cloned().unwrap_or(Value::Null))
            .collect();
        let first = keys.iter().position(|k| !k.is_null()).unwrap_or(keys.len());
        let last = keys.iter().rposition(|k| !k.is_null()).map_or(first, |p| p + 1);
        let partition = Partition {
            rows: sorted.get(start..end).unwrap_or_default(),
            group_of,
            group_start,
            keys,
            non_null: (first, last),
        };
        compute_partition(rows, window, &partition, &offsets, env, &mut results)?;
        start = end;
    }
    Ok((results, sorted))
}

fn eval_all(exprs: &[Expr], row: &[Value], env: &Env) -> Result<Row, SqlError> {
    exprs.iter().map(|e| e.eval(row, env)).collect()
}

/// The frame offsets, evaluated once per window function: row or group counts (ROWS,
/// GROUPS), or distances in the ORDER BY column's terms (RANGE).
struct FrameOffsets {
    start: Option<Value>,
    end: Option<Value>,
}

impl FrameOffsets {
    fn new(window: &WindowFunction, env: &Env) -> Result<FrameOffsets, SqlError> {
        let range = window.frame.units == FrameUnits::Range;
        let offset = |bound: &FrameBound, what: &str| -> Result<Option<Value>, SqlError> {
            let (FrameBound::Preceding(expr) | FrameBound::Following(expr)) = bound else {
                return Ok(None);
            };
            let value = expr.eval(&[], env)?;
            if value.is_null() {
                return Err(SqlError::new(
                    sqlstate::NULL_VALUE_NOT_ALLOWED,
                    format!("frame {what} offset must not be null"),
                ));
            }
            // Subtracting a value from itself gives its type's zero.
            let zero = binary_op(BinaryOp::Sub, &value, &value)?;
            if value.sql_cmp(&zero)? == Some(Ordering::Less) {
                return Err(SqlError::new(
                    "22013",
                    if range {
                        "invalid preceding or following size in window function".to_string()
                    } else {
                        format!("frame {what} offset must not be negative")
                    },
                ));
            }
            Ok(Some(value))
        };
        Ok(FrameOffsets {
            start: offset(&window.frame.start, "starting")?,
            end: offset(&window.frame.end, "ending")?,
        })
    }

    /// A ROWS / GROUPS offset as a count.
    fn count(value: Option<&Value>) -> usize {
        match value {
            Some(Value::Int8(n)) => usize::try_from(*n).unwrap_or(usize::MAX),
            Some(Value::Int4(n)) => usize::try_from(*n).unwrap_or(usize::MAX),
            Some(Value::Int2(n)) => usize::try_from(*n).unwrap_or(usize::MAX),
            _ => 0,
        }
    }
}

/// Where a RANGE offset bound of row `pos` falls: a start bound at the first row not before
/// `key ∓ offset` (in window order), an end bound just after the last row not beyond it.
/// A NULL key's frame bound is its peer group's edge; NULL rows are never within an offset
/// of a non-NULL one.
fn range_bound(
    window: &WindowFunction,
    partition: &Partition,
    pos: usize,
    offset: Option<&Value>,
    preceding: bool,
    is_start: bool,
) -> usize {
    let group = partition.group_of.get(pos).copied().unwrap_or(0);
    let current = partition.keys.get(pos).cloned().unwrap_or(Value::Null);
    if current.is_null() {
        return if is_start {
            partition.group_start.get(group).copied().unwrap_or(0)
        } else {
            partition.group_end(group)
        };
    }
    let descending = window.order_by.first().is_some_and(|k| k.descending);
    let op = if preceding != descending { BinaryOp::Sub } else { BinaryOp::Add };
    let target = offset.and_then(|offset| binary_op(op, &current, offset).ok());
    let (lo, hi) = partition.non_null;
    // Whether the row at `p` comes before the target (`strict`) or not after it.
    let precedes = |p: usize, strict: bool| -> bool {
        let Some(target) = &target else {
            // Out of the type's range: the target lies beyond every row on its side.
            return !preceding;
        };
        let key = partition.keys.get(p).unwrap_or(&Value::Null);
        match key.sql_cmp(target).ok().flatten() {
            Some(Ordering::Equal) => !strict,
            Some(Ordering::Less) => !descending,
            Some(Ordering::Greater) => descending,
            None => false,
        }
    };
    let (mut low, mut high) = (lo, hi);
    while low < high {
        let mid = low + (high - low) / 2;
        if precedes(mid, is_start) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    low
}

/// The frame of position `pos` as a half-open range of positions (possibly empty).
fn frame_of(
    window: &WindowFunction,
    partition: &Partition,
    offsets: &FrameOffsets,
    pos: usize,
) -> (usize, usize) {
    let n = partition.len();
    let group = partition.group_of.get(pos).copied().unwrap_or(0);
    let groups = partition.group_start.len();
    let back = |by: &Option<Value>| FrameOffsets::count(by.as_ref());
    let group_first = |g: usize| partition.group_start.get(g).copied().unwrap_or(n);
    let frame = &window.frame;
    let start = match (&frame.start, frame.units) {
        (FrameBound::UnboundedPreceding, _) => 0,
        (FrameBound::UnboundedFollowing, _) => n,
        (FrameBound::CurrentRow, FrameUnits::Rows) => pos,
        (FrameBound::CurrentRow, _) => group_first(group),
        (FrameBound::Preceding(_), FrameUnits::Range) => {
            range_bound(window, partition, pos, offsets.start.as_ref(), true, true)
        }
        (FrameBound::Following(_), FrameUnits::Range) => {
            range_bound(window, partition, pos, offsets.start.as_ref(), false, true)
        }
        (FrameBound::Preceding(_), FrameUnits::Groups) => {
            group_first(group.saturating_sub(back(&offsets.start)))
        }
        (FrameBound::Preceding(_), _) => pos.saturating_sub(back(&offsets.start)),
        (FrameBound::Following(_), FrameUnits::Groups) => {
            group_first(group.saturating_add(back(&offsets.start)))
        }
        (FrameBound::Following(_), _) => pos.saturating_add(back(&offsets.start)).min(n),
    };
    let end = match (&frame.end, frame.units) {
        (FrameBound::UnboundedFollowing, _) => n,
        (FrameBound::UnboundedPreceding, _) => 0,
        (FrameBound::CurrentRow, FrameUnits::Rows) => pos + 1,
        (FrameBound::CurrentRow, _) => partition.group_end(group),
        (FrameBound::Preceding(_), FrameUnits::Range) => {
            range_bound(window, partition, pos, offsets.end.as_ref(), true, false)
        }
        (FrameBound::Following(_), FrameUnits::Range) => {
            range_bound(window, partition, pos, offsets.end.as_ref(), false, false)
        }
        (FrameBound::Preceding(_), FrameUnits::Groups) => {
            match group.checked_sub(back(&offsets.end)) {
                Some(g) => partition.group_end(g),
                None => 0,
            }
        }
        (FrameBound::Preceding(_), _) => match pos.checked_sub(back(&offsets.end)) {
            Some(p) => p + 1,
            None => 0,
        },
        (FrameBound::Following(_), FrameUnits::Groups) => {
            let g = group.saturating_add(back(&offsets.end)).min(groups.saturating_sub(1));
            partition.group_end(g)
        }
        (FrameBound::Following(_), _) => {
            pos.saturating_add(back(&offsets.end)).saturating_add(1).min(n)
        }
    };
    (start.min(n), end.min(n).max(start.min(n)))
}

/// Computes the function for every row of one partition into `results`.
fn compute_partition(
    rows: &[Row],
    window: &WindowFunction,
    partition: &Partition,
    offsets: &FrameOffsets,
    env: &Env,
    results: &mut [Value],
) -> Result<(), SqlError> {
    let n = partition.len();
    let row_at = |pos: usize| partition.rows.get(pos).and_then(|&i| rows.get(i));
    let arg = |index: usize, pos: usize| -> Result<Value, SqlError> {
        match (window.args.get(index), row_at(pos)) {
            (Some(expr), Some(row)) => expr.eval(row, env),
            _ => Ok(Value::Null),
        }
    };
    // Running aggregate state: the frame it covers so far.
    let mut running: Option<(Accumulator, usize, usize)> = None;
    let suffixes = match &window.kind {
        K::Aggregate(aggregate) => {
            suffix_aggregates(window, aggregate, partition, offsets, rows, env)?
        }
        _ => None,
    };
    let mut tiles: Option<Option<i64>> = None;
    for pos in 0..n {
        env.check_cancel()?;
        let group = partition.group_of.get(pos).copied().unwrap_or(0);
        let first_of_group = partition.group_start.get(group).copied().unwrap_or(0);
        let value = match &window.kind {
            K::RowNumber => Value::Int8(position(pos + 1)),
            K::Rank => Value::Int8(position(first_of_group + 1)),
            K::DenseRank => Value::Int8(position(group + 1)),
            K::PercentRank => {
                Value::Float8(if n > 1 { first_of_group as f64 / (n - 1) as f64 } else { 0.0 })
            }
            K::CumeDist => Value::Float8(partition.group_end(group) as f64 / n as f64),
            K::Ntile => {
                // The bucket count is read at the partition's first row.
                if tiles.is_none() {
                    tiles = Some(match arg(0, 0)?.cast(&DataType::Int8, false)? {
                        Value::Int8(k) if k <= 0 => {
                            return Err(SqlError::new(
                                "22014",
                                "argument of ntile must be greater than zero",
                            ));
                        }
                        Value::Int8(k) => Some(k),
                        _ => None,
                    });
                }
                match tiles.flatten() {
                    Some(k) => Value::Int4(ntile(pos, n, k)),
                    None => Value::Null,
                }
            }
            K::Lag | K::Lead => {
                let offset = match window.args.get(1) {
                    Some(_) => match arg(1, pos)?.cast(&DataType::Int8, false)? {
                        Value::Int8(k) => Some(k),
                        _ => None,
                    },
                    None => Some(1),
                };
                match offset {
                    None => Value::Null,
                    Some(k) => {
                        let k = if window.kind == K::Lag { k.checked_neg() } else { Some(k) };
                        let target = k.and_then(|k| i64::try_from(pos).ok()?.checked_add(k));
                        match target.and_then(|t| usize::try_from(t).ok()).filter(|&t| t < n) {
                            Some(t) => arg(0, t)?,
                            None => arg(2, pos)?,
                        }
                    }
                }
            }
            K::FirstValue | K::LastValue | K::NthValue => {
                let (start, end) = frame_of(window, partition, offsets, pos);
                let target = match window.kind {
                    K::FirstValue => Some(start),
                    K::LastValue => end.checked_sub(1),
                    _ => match arg(1, pos)?.cast(&DataType::Int8, false)? {
                        Value::Int8(k) if k <= 0 => {
                            return Err(SqlError::new(
                                "22016",
                                "argument of nth_value must be greater than zero",
                            ));
                        }
                        Value::Int8(k) => usize::try_from(k - 1).ok().map(|k| start + k),
                        _ => None,
                    },
                };
                match target.filter(|&t| t >= start && t < end) {
                    Some(t) => arg(0, t)?,
                    None => Value::Null,
                }
            }
            K::Aggregate(_) if suffixes.is_some() => {
                suffixes.as_ref().and_then(|v| v.get(pos)).cloned().unwrap_or(Value::Null)
            }
            K::Aggregate(aggregate) => {
                let (start, end) = frame_of(window, partition, offsets, pos);
                let (mut acc, from) = match running.take() {
                    Some((acc, s, e)) if s == start && e <= end => (acc, e),
                    _ => (Accumulator::new(aggregate), start),
                };
                for p in from..end {
                    if let Some(row) = row_at(p) {
                        acc.feed(aggregate, row, env)?;
                    }
                }
                let value = acc.clone().finish(aggregate)?;
                running = Some((acc, start, end.max(start)));
                value
            }
        };
        if let Some(slot) = partition.rows.get(pos).and_then(|&i| results.get_mut(i)) {
            *slot = value;
        }
    }
    Ok(())
}

/// Aggregates over frames that end with the partition and start at a moving row
/// (`ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING`): computed from the last row
/// backwards, each frame extending the next one, instead of anew for every row. Only for
/// aggregates that do not depend on input order (not string_agg, nor float sums, whose
/// rounding does).
fn suffix_aggregates(
    window: &WindowFunction,
    aggregate: &Aggregate,
    partition: &Partition,
    offsets: &FrameOffsets,
    rows: &[Row],
    env: &Env,
) -> Result<Option<Vec<Value>>, SqlError> {
    let order_free = !matches!(aggregate.function, AggregateFunction::StringAgg)
        && !matches!(aggregate.result_type, DataType::Float4 | DataType::Float8);
    if !order_free
        || window.frame.end != FrameBound::UnboundedFollowing
        || window.frame.start == FrameBound::UnboundedPreceding
    {
        return Ok(None);
    }
    let n = partition.len();
    let mut values = vec![Value::Null; n];
    let mut acc = Accumulator::new(aggregate);
    let mut fed_from = n;
    for pos in (0..n).rev() {
        env.check_cancel()?;
        let (start, _) = frame_of(window, partition, offsets, pos);
        while fed_from > start {
            fed_from -= 1;
            if let Some(row) = partition.rows.get(fed_from).and_then(|&i| rows.get(i)) {
                acc.feed(aggregate, row, env)?;
            }
        }
        if let Some(slot) = values.get_mut(pos) {
            *slot = acc.clone().finish(aggregate)?;
        }
    }
    Ok(Some(values))
}

fn position(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The bucket (1-based) of position `pos` among `n` rows in `k` buckets: the first
/// `n % k` buckets hold one row more.
fn ntile(pos: usize, n: usize, k: i64) -> i32 {
    let k = usize::try_from(k).unwrap_or(usize::MAX).min(n.max(1));
    let per = n / k;
    let extra = n % k;
    let big = extra * (per + 1);
    let bucket = if pos < big { pos / (per + 1) } else { extra + (pos - big) / per.max(1) };
    i32::try_from(bucket + 1).unwrap_or(i32::MAX)
}
