//! Value ordering: [`Value::sql_cmp`] (SQL comparison operators, NULL → unknown) and
//! [`Value::sort_cmp`] (the total order of ORDER BY, GROUP BY and indexes, NULLs last).
//!
//! Numbers compare across types exactly (integers against numerics without rounding; with a
//! float involved both sides compare as float8, where NaN equals NaN and sorts above every
//! other value, and -0 equals 0). Strings compare bytewise (C collation). Dates, timestamps
//! and timestamptz compare with each other (session time zone UTC). Intervals compare by
//! their 30-day-month span, so `1 mon` equals `30 days`. A text value against another type
//! is parsed as that type, as PostgreSQL does with unknown-typed literals.

use super::errors::operator_not_exist;
use super::interval::span;
use super::json::jsonb_cmp;
use super::numeric::to_f64;
use super::value::Value;
use crate::sql::error::SqlError;
use chrono::NaiveTime;
use rust_decimal::Decimal;
use std::cmp::Ordering;

/// A value of the numeric family, widened for comparison.
#[derive(Clone, Copy)]
pub(crate) enum Num {
    Int(i64),
    Dec(Decimal),
    Float(f64),
}

impl Num {
    pub(crate) fn of(value: &Value) -> Option<Num> {
        Some(match value {
            Value::Int2(v) => Num::Int(i64::from(*v)),
            Value::Int4(v) => Num::Int(i64::from(*v)),
            Value::Int8(v) => Num::Int(*v),
            Value::Oid(v) => Num::Int(i64::from(*v)),
            Value::Numeric(d) => Num::Dec(*d),
            Value::Float4(v) => Num::Float(f64::from(*v)),
            Value::Float8(v) => Num::Float(*v),
            _ => return None,
        })
    }

    fn as_f64(self) -> f64 {
        match self {
            Num::Int(v) => v as f64,
            Num::Dec(d) => to_f64(d),
            Num::Float(f) => f,
        }
    }
}

/// PostgreSQL's `float8_cmp_internal`: NaN equals NaN and is above everything else.
pub(crate) fn float_cmp(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

fn num_cmp(a: Num, b: Num) -> Ordering {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => x.cmp(&y),
        (Num::Dec(x), Num::Dec(y)) => x.cmp(&y),
        (Num::Int(x), Num::Dec(y)) => Decimal::from(x).cmp(&y),
        (Num::Dec(x), Num::Int(y)) => x.cmp(&Decimal::from(y)),
        (x, y) => float_cmp(x.as_f64(), y.as_f64()),
    }
}

/// Compares two non-NULL values whose types have a comparison operator; `None` otherwise
/// (including text against non-text, which needs parsing).
fn typed_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    use Value as V;
    let midnight = |d: &chrono::NaiveDate| d.and_time(NaiveTime::MIN);
    Some(match (a, b) {
        (V::Int4(x), V::Int4(y)) => x.cmp(y),
        (V::Int8(x), V::Int8(y)) => x.cmp(y),
        (V::Text(x), V::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        (V::Bool(x), V::Bool(y)) => x.cmp(y),
        (V::Float8(x), V::Float8(y)) => float_cmp(*x, *y),
        (V::Bytea(x), V::Bytea(y)) => x.cmp(y),
        (V::Date(x), V::Date(y)) => x.cmp(y),
        (V::Timestamp(x), V::Timestamp(y)) => x.cmp(y),
        (V::Timestamptz(x), V::Timestamptz(y)) => x.cmp(y),
        (V::Date(x), V::Timestamp(y)) => midnight(x).cmp(y),
        (V::Timestamp(x), V::Date(y)) => x.cmp(&midnight(y)),
        (V::Date(x), V::Timestamptz(y)) => midnight(x).cmp(&y.naive_utc()),
        (V::Timestamptz(x), V::Date(y)) => x.naive_utc().cmp(&midnight(y)),
        (V::Timestamp(x), V::Timestamptz(y)) => x.cmp(&y.naive_utc()),
        (V::Timestamptz(x), V::Timestamp(y)) => x.naive_utc().cmp(y),
        (V::Interval(x), V::Interval(y)) => span(*x).cmp(&span(*y)),
        (V::Uuid(x), V::Uuid(y)) => x.as_bytes().cmp(y.as_bytes()),
        (V::Jsonb(x), V::Jsonb(y)) => jsonb_cmp(x, y),
        (V::Array(x), V::Array(y)) => x.array_cmp(y),
        _ => num_cmp(Num::of(a)?, Num::of(b)?),
    })
}

/// Rank of a value's type for the (otherwise meaningless) order between different types.
fn type_rank(value: &Value) -> u8 {
    match value {
        Value::Bool(_) => 0,
        Value::Int2(_)
        | Value::Int4(_)
        | Value::Int8(_)
        | Value::Float4(_)
        | Value::Float8(_)
        | Value::Numeric(_)
        | Value::Oid(_) => 1,
        Value::Text(_) => 2,
        Value::Bytea(_) => 3,
        Value::Date(_) | Value::Timestamp(_) | Value::Timestamptz(_) => 4,
        Value::Interval(_) => 5,
        Value::Uuid(_) => 6,
        Value::Json(_) => 7,
        Value::Jsonb(_) => 8,
        Value::Array(_) => 9,
        Value::Null => 10,
    }
}

/// Parses a text value as the other side's type (unknown literal resolution).
fn parse_as(text: &str, other: &Value) -> Result<Value, SqlError> {
    match other.data_type() {
        Some(ty) => Value::parse_text(&ty, text),
        None => Ok(Value::Text(text.to_string())),
    }
}

impl Value {
    /// SQL comparison: `None` if either side is NULL. Numeric types compare across widths
    /// (int4 vs numeric vs float8); text compares bytewise (C collation); mismatched types that
    /// cannot be compared → Err 42883 `operator does not exist: integer = text`.
    ///
    /// A text value compared with a value of another type is parsed as that type first (the
    /// resolution PostgreSQL applies to unknown-typed literals); parse errors are returned.
    pub fn sql_cmp(&self, other: &Value) -> Result<Option<Ordering>, SqlError> {
        if self.is_null() || other.is_null() {
            return Ok(None);
        }
        if let Some(order) = typed_cmp(self, other) {
            return Ok(Some(order));
        }
        let incomparable = || operator_not_exist(self.type_name(), "=", other.type_name());
        let order = match (self, other) {
            (Value::Text(s), o) if !matches!(o, Value::Json(_)) => typed_cmp(&parse_as(s, o)?, o),
            (o, Value::Text(s)) if !matches!(o, Value::Json(_)) => typed_cmp(o, &parse_as(s, o)?),
            _ => None,
        };
        order.map(Some).ok_or_else(incomparable)
    }

    /// Total order for ORDER BY (ascending, NULLs last as PostgreSQL's default) and for
    /// sorting/grouping. NaN sorts above all other floats, as in PostgreSQL.
    pub fn sort_cmp(&self, other: &Value) -> Ordering {
        match (self, other) {
            (Value::Null, Value::Null) => return Ordering::Equal,
            (Value::Null, _) => return Ordering::Greater,
            (_, Value::Null) => return Ordering::Less,
            _ => {}
        }
        if let Some(order) = typed_cmp(self, other) {
            return order;
        }
        match (self, other) {
            (Value::Json(x), Value::Json(y)) => x.as_bytes().cmp(y.as_bytes()),
            _ => type_rank(self).cmp(&type_rank(other)),
        }
    }

    /// Equality in the sense of [`Value::sort_cmp`] (NULL equals NULL, NaN equals NaN,
    /// `1.5` equals `1.50`, `1::int4` equals `1::int8`): what GROUP BY and DISTINCT use.
    pub fn sort_eq(&self, other: &Value) -> bool {
        self.sort_cmp(other) == Ordering::Equal
    }
}
