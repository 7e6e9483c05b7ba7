//! Hash aggregation: input rows fold into one row per distinct GROUP BY key (the key values,
//! then each aggregate's result); without keys, into exactly one row even over no input.
//!
//! Depends on: `sql::plan`, `sql::expr`, `sql::types`.

use super::memory::{self, Reservation};
use super::{Row, Rows, compare_keys, values_key};
use crate::sql::error::SqlError;
use crate::sql::expr::{Env, truth};
use crate::sql::plan::{Aggregate, AggregateFunction as F, Grouping};
use crate::sql::types::{Array, BinaryOp, DataType, Value, binary_op};
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

/// Groups `rows` and computes the aggregates of each group, in order of first appearance;
/// the memory the groups hold is accounted by the returned reservation.
pub fn group(
    rows: Rows,
    grouping: &Grouping,
    env: &Env,
) -> Result<(Vec<Row>, Reservation), SqlError> {
    let what = if grouping.keys.is_empty() { "an aggregate" } else { "a hash aggregate" };
    let mut held = Reservation::new(&env.memory, what);
    let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut groups: Vec<(Row, Vec<Accumulator>)> = Vec::new();
    let fresh = || grouping.aggregates.iter().map(Accumulator::new).collect::<Vec<_>>();
    for row in rows {
        env.check_cancel()?;
        let row = row?;
        let keys = grouping.keys.iter().map(|k| k.eval(&row, env)).collect::<Result<Row, _>>()?;
        let key = values_key(&keys);
        let slot = match index.get(&key) {
            Some(&slot) => slot,
            None => {
                held.grow(
                    key.len()
                        + memory::row_size(&keys)
                        + 64
                        + grouping.aggregates.len() * std::mem::size_of::<Accumulator>(),
                )?;
                groups.push((keys, fresh()));
                index.insert(key, groups.len() - 1);
                groups.len() - 1
            }
        };
        if let Some((_, accumulators)) = groups.get_mut(slot) {
            for (aggregate, acc) in grouping.aggregates.iter().zip(accumulators.iter_mut()) {
                let grown = acc.feed(aggregate, &row, env)?;
                if grown > 0 {
                    held.grow(grown)?;
                }
            }
        }
    }
    if groups.is_empty() && grouping.keys.is_empty() {
        groups.push((Vec::new(), fresh()));
    }
    let rows = groups
        .into_iter()
        .map(|(mut row, accumulators)| {
            for (aggregate, acc) in grouping.aggregates.iter().zip(accumulators) {
                row.push(acc.finish(aggregate)?);
            }
            Ok(row)
        })
        .collect::<Result<Vec<Row>, SqlError>>()?;
    Ok((rows, held))
}

/// The running state of one aggregate in one group (or one window frame).
#[derive(Clone)]
pub(super) struct Accumulator {
    state: State,
    /// Argument keys seen (DISTINCT).
    seen: HashSet<Vec<u8>>,
    /// (sort keys, arguments) held back until the end (aggregate ORDER BY).
    buffered: Vec<(Row, Row)>,
}

#[derive(Clone)]
enum State {
    Count(i64),
    Sum {
        total: Value,
        count: i64,
    },
    Extreme(Value),
    Text(Option<String>),
    Bool(Option<bool>),
    /// array_agg: every value, NULLs included (None until the first row).
    Values(Option<Vec<Value>>),
}

impl Accumulator {
    pub(super) fn new(aggregate: &Aggregate) -> Accumulator {
        let state = match aggregate.function {
            F::CountStar | F::Count => State::Count(0),
            F::Sum | F::Avg => State::Sum { total: Value::Null, count: 0 },
            F::Min | F::Max => State::Extreme(Value::Null),
            F::StringAgg => State::Text(None),
            F::BoolAnd | F::BoolOr => State::Bool(None),
            F::ArrayAgg => State::Values(None),
        };
        Accumulator { state, seen: HashSet::new(), buffered: Vec::new() }
    }

    /// Feeds one input row; returns roughly how many bytes the state grew by (kept values:
    /// DISTINCT keys, ORDER BY buffers, string_agg text, array_agg elements).
    pub(super) fn feed(
        &mut self,
        aggregate: &Aggregate,
        row: &[Value],
        env: &Env,
    ) -> Result<usize, SqlError> {
        if let Some(filter) = &aggregate.filter
            && truth(&filter.eval(row, env)?)? != Some(true)
        {
            return Ok(0);
        }
        let args = aggregate.args.iter().map(|a| a.eval(row, env)).collect::<Result<Row, _>>()?;
        if !aggregate.order_by.is_empty() {
            let keys = aggregate
                .order_by
                .iter()
                .map(|k| k.expr.eval(row, env))
                .collect::<Result<Row, _>>()?;
            let grown = memory::row_size(&keys) + memory::row_size(&args);
            self.buffered.push((keys, args));
            return Ok(grown);
        }
        self.accept(aggregate, args)
    }

    fn accept(&mut self, aggregate: &Aggregate, args: Row) -> Result<usize, SqlError> {
        let keeps_nulls = matches!(aggregate.function, F::CountStar | F::ArrayAgg);
        if !keeps_nulls && args.first().is_none_or(Value::is_null) {
            return Ok(0);
        }
        let mut grown = 0;
        if aggregate.distinct {
            let key = values_key(&args);
            grown += key.len() + 48;
            if !self.seen.insert(key) {
                return Ok(0);
            }
        }
        let mut args = args.into_iter();
        let value = args.next().unwrap_or(Value::Null);
        match &mut self.state {
            State::Count(n) => *n += 1,
            State::Sum { total, count } => {
                let value = value.cast(&sum_type(aggregate), false)?;
                *total =
                    if total.is_null() { value } else { binary_op(BinaryOp::Add, total, &value)? };
                *count += 1;
            }
            State::Extreme(best) => {
                let ordering = value.sort_cmp(best);
                let better = best.is_null()
                    || match aggregate.function {
                        F::Min => ordering == Ordering::Less,
                        _ => ordering == Ordering::Greater,
                    };
                if better {
                    *best = value;
                }
            }
            State::Text(text) => {
                let separator = args.next().unwrap_or(Value::Null);
                match text {
                    Some(text) => {
                        let before = text.len();
                        if !separator.is_null() {
                            text.push_str(&separator.to_text());
                        }
                        text.push_str(&value.to_text());
                        grown += text.len() - before;
                    }
                    None => {
                        let first = value.to_text();
                        grown += first.len();
                        *text = Some(first);
                    }
                }
            }
            State::Values(values) => {
                grown += memory::value_size(&value);
                values.get_or_insert_with(Vec::new).push(value);
            }
            State::Bool(result) => {
                let b = truth(&value)?.unwrap_or(true);
                *result = Some(match (aggregate.function, *result) {
                    (F::BoolAnd, Some(r)) => r && b,
                    (F::BoolOr, Some(r)) => r || b,
                    _ => b,
                });
            }
        }
        Ok(grown)
    }

    pub(super) fn finish(mut self, aggregate: &Aggregate) -> Result<Value, SqlError> {
        if !self.buffered.is_empty() {
            let mut buffered = std::mem::take(&mut self.buffered);
            buffered.sort_by(|a, b| compare_keys(&a.0, &b.0, &aggregate.order_by));
            for (_, args) in buffered {
                self.accept(aggregate, args)?;
            }
        }
        Ok(match self.state {
            State::Count(n) => Value::Int8(n),
            State::Sum { count: 0, .. } => Value::Null,
            State::Sum { total, count } => {
                if aggregate.function == F::Avg {
                    let divisor = match aggregate.result_type {
                        DataType::Interval => Value::Float8(count as f64),
                        _ => Value::Int8(count).cast(&sum_type(aggregate), false)?,
                    };
                    binary_op(BinaryOp::Div, &total, &divisor)?
                        .cast(&aggregate.result_type, false)?
                } else {
                    total.cast(&aggregate.result_type, false)?
                }
            }
            State::Extreme(value) => {
                if value.is_null() {
                    value
                } else {
                    value.cast(&aggregate.result_type, false)?
                }
            }
            State::Text(text) => text.map_or(Value::Null, Value::Text),
            State::Bool(b) => b.map_or(Value::Null, Value::Bool),
            State::Values(None) => Value::Null,
            State::Values(Some(values)) => array_of(values, &aggregate.result_type)?,
        })
    }
}

/// The array_agg result: the values as a one-dimensional array, or (for array inputs) one
/// more dimension over arrays of equal dimensions.
fn array_of(values: Vec<Value>, result_type: &DataType) -> Result<Value, SqlError> {
    let element_type = match result_type {
        DataType::Array(element) => (**element).clone(),
        other => other.clone(),
    };
    if matches!(result_type, DataType::Array(_))
        && values.iter().any(|v| matches!(v, Value::Array(_)))
    {
        use crate::sql::error::sqlstate;
        let mut parts: Vec<Array> = Vec::with_capacity(values.len());
        for value in values {
            let Value::Array(array) = value else {
                return Err(SqlError::new(
                    sqlstate::NULL_VALUE_NOT_ALLOWED,
                    "cannot accumulate null arrays",
                ));
            };
            if array.elements.is_empty() {
                return Err(SqlError::new(
                    sqlstate::ARRAY_SUBSCRIPT_ERROR,
                    "cannot accumulate empty arrays",
                ));
            }
            if parts.first().is_some_and(|first| {
                first.dims.iter().map(|d| d.length).ne(array.dims.iter().map(|d| d.length))
            }) {
                return Err(SqlError::new(
                    sqlstate::ARRAY_SUBSCRIPT_ERROR,
                    "cannot accumulate arrays of different dimensionality",
                ));
            }
            parts.push(*array);
        }
        return Ok(Value::Array(Box::new(Array::from_subarrays(element_type, parts)?)));
    }
    let array = Array::new(element_type.clone(), values);
    Ok(Value::Array(Box::new(array.cast_elements(&element_type, false)?)))
}

/// The type sums (and averages) accumulate in.
fn sum_type(aggregate: &Aggregate) -> DataType {
    aggregate.result_type.clone()
}
