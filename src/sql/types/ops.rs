//! Operators: [`binary_op`] evaluates `left op right` on values, [`binary_op_type`] gives its
//! static result type, [`unary_op`] handles `-x` / `+x`.
//!
//! Result types follow PostgreSQL's operator catalogue: integer widths widen (int2 + int2
//! stays int2), any integer with numeric gives numeric, any float with anything numeric
//! gives float8 (float4 with float4 stays float4), date ± int gives date, date - date gives
//! int4, timestamp ± interval keeps the timestamp type, timestamp - timestamp gives an
//! interval. Overflow is 22003, division by zero 22012, an unsupported combination 42883.
//! Text values paired with another type are parsed as that type (unknown literals).

use super::cast::int_value;
use super::compare::Num;
use super::datetime::{add_interval, date_to_days, days_to_date, timestamp_to_micros, utc};
use super::errors::{
    datetime_overflow, division_by_zero, numeric_out_of_range, operator_not_exist,
};
use super::interval;
use super::json::{self as jsonfn, jsonb_to_string};
use super::numeric::{checked, numeric_div, numeric_rem, to_f64};
use super::value::{BinaryOp, DataType, Interval, UnaryOp, Value};
use crate::sql::error::SqlError;
use chrono::{NaiveDateTime, NaiveTime};
use rust_decimal::Decimal;
use serde_json::Value as Json;
use std::cmp::Ordering;

/// The operator's SQL spelling, as error messages print it.
pub fn op_symbol(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
        BinaryOp::Mod => "%",
        BinaryOp::Concat => "||",
        BinaryOp::Eq => "=",
        BinaryOp::NotEq => "<>",
        BinaryOp::Lt => "<",
        BinaryOp::LtEq => "<=",
        BinaryOp::Gt => ">",
        BinaryOp::GtEq => ">=",
        BinaryOp::JsonGet => "->",
        BinaryOp::JsonGetText => "->>",
    }
}

fn is_comparison(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Eq
            | BinaryOp::NotEq
            | BinaryOp::Lt
            | BinaryOp::LtEq
            | BinaryOp::Gt
            | BinaryOp::GtEq
    )
}

fn not_unique(left: &str, op: BinaryOp, right: &str) -> SqlError {
    SqlError::new(
        "42725",
        format!("operator is not unique: {left} {} {right}", op_symbol(op)),
    )
    .with_hint(
        "Could not choose a best candidate operator. You might need to add explicit type casts.",
    )
}

/// Static type family used to decide comparability.
#[derive(PartialEq, Eq)]
enum Family {
    Bool,
    Number,
    String,
    Bytea,
    DateTime,
    Interval,
    Uuid,
    Json,
    Jsonb,
    Array,
}

fn family(ty: &DataType) -> Family {
    match ty {
        DataType::Bool => Family::Bool,
        DataType::Int2
        | DataType::Int4
        | DataType::Int8
        | DataType::Float4
        | DataType::Float8
        | DataType::Numeric { .. }
        | DataType::Oid => Family::Number,
        DataType::Text
        | DataType::Varchar(_)
        | DataType::Char(_)
        | DataType::Name
        | DataType::Unknown => Family::String,
        DataType::Bytea => Family::Bytea,
        DataType::Date | DataType::Timestamp | DataType::Timestamptz => Family::DateTime,
        DataType::Interval => Family::Interval,
        DataType::Uuid => Family::Uuid,
        DataType::Json => Family::Json,
        DataType::Jsonb => Family::Jsonb,
        DataType::Array(_) => Family::Array,
    }
}

/// Whether arrays of these element types compare (their element families match).
fn arrays_comparable(l: &DataType, r: &DataType) -> bool {
    match (l, r) {
        (DataType::Array(x), DataType::Array(y)) => arrays_comparable(x, y),
        (DataType::Unknown, _) | (_, DataType::Unknown) => true,
        (x, y) => family(x) == family(y) && family(x) != Family::Json,
    }
}

fn int_rank(ty: &DataType) -> Option<u8> {
    match ty {
        DataType::Int2 => Some(2),
        DataType::Int4 => Some(4),
        DataType::Int8 => Some(8),
        _ => None,
    }
}

/// Result type of `+ - * / %` on two numeric-family types.
fn numeric_result(op: BinaryOp, l: &DataType, r: &DataType) -> Option<DataType> {
    use DataType as T;
    if let (Some(a), Some(b)) = (int_rank(l), int_rank(r)) {
        return Some(match a.max(b) {
            2 => T::Int2,
            4 => T::Int4,
            _ => T::Int8,
        });
    }
    let is_float = |t: &DataType| matches!(t, T::Float4 | T::Float8);
    let is_num = |t: &DataType| int_rank(t).is_some() || matches!(t, T::Numeric { .. });
    if is_float(l) || is_float(r) {
        if op == BinaryOp::Mod || !(is_float(l) || is_num(l)) || !(is_float(r) || is_num(r)) {
            return None;
        }
        return Some(if *l == T::Float4 && *r == T::Float4 { T::Float4 } else { T::Float8 });
    }
    (is_num(l) && is_num(r)).then_some(T::Numeric { precision: None, scale: None })
}

/// Result type of arithmetic involving dates, timestamps and intervals.
fn datetime_result(op: BinaryOp, l: &DataType, r: &DataType) -> Option<DataType> {
    use DataType as T;
    let small_int = |t: &DataType| matches!(t, T::Int2 | T::Int4);
    let number = |t: &DataType| t.is_numeric();
    Some(match (op, l, r) {
        (BinaryOp::Add, T::Date, t) | (BinaryOp::Add, t, T::Date) if small_int(t) => T::Date,
        (BinaryOp::Sub, T::Date, t) if small_int(t) => T::Date,
        (BinaryOp::Sub, T::Date, T::Date) => T::Int4,
        (BinaryOp::Add, T::Date | T::Timestamp, T::Interval)
        | (BinaryOp::Add, T::Interval, T::Date | T::Timestamp)
        | (BinaryOp::Sub, T::Date | T::Timestamp, T::Interval) => T::Timestamp,
        (BinaryOp::Add, T::Timestamptz, T::Interval)
        | (BinaryOp::Add, T::Interval, T::Timestamptz)
        | (BinaryOp::Sub, T::Timestamptz, T::Interval) => T::Timestamptz,
        (BinaryOp::Sub, T::Date | T::Timestamp | T::Timestamptz, T::Timestamp | T::Timestamptz)
        | (BinaryOp::Sub, T::Timestamp | T::Timestamptz, T::Date) => T::Interval,
        (BinaryOp::Add | BinaryOp::Sub, T::Interval, T::Interval) => T::Interval,
        (BinaryOp::Mul, T::Interval, t) | (BinaryOp::Mul, t, T::Interval) if number(t) => {
            T::Interval
        }
        (BinaryOp::Div, T::Interval, t) if number(t) => T::Interval,
        _ => return None,
    })
}

/// The result type of `left op right` for static typing (RowDescription before execution).
/// `Unknown` operands take the other side's type.
pub fn binary_op_type(
    op: BinaryOp,
    left: &DataType,
    right: &DataType,
) -> Result<DataType, SqlError> {
    use DataType as T;
    let error = || operator_not_exist(left.base_name(), op_symbol(op), right.base_name());
    match op {
        BinaryOp::JsonGet | BinaryOp::JsonGetText => {
            let key_ok = matches!(right, T::Int2 | T::Int4) || right.is_string();
            let base = match left {
                T::Jsonb | T::Unknown => T::Jsonb,
                T::Json => T::Json,
                _ => return Err(error()),
            };
            if !key_ok {
                return Err(error());
            }
            return Ok(if op == BinaryOp::JsonGet { base } else { T::Text });
        }
        BinaryOp::Concat => {
            return match (left, right) {
                (T::Array(l), T::Array(r)) if arrays_comparable(l, r) => Ok(left.clone()),
                (T::Array(e), other) | (other, T::Array(e))
                    if *other == T::Unknown || arrays_comparable(e, other) =>
                {
                    Ok(T::Array(e.clone()))
                }
                (T::Bytea | T::Unknown, T::Bytea) | (T::Bytea, T::Unknown) => Ok(T::Bytea),
                (T::Jsonb | T::Unknown, T::Jsonb) | (T::Jsonb, T::Unknown) => Ok(T::Jsonb),
                (l, r) if l.is_string() || r.is_string() => Ok(T::Text),
                _ => Err(error()),
            };
        }
        _ => {}
    }
    // Unknown operands take the other side's type.
    let (l, r) = match (left, right) {
        (T::Unknown, T::Unknown) if is_comparison(op) => (T::Text, T::Text),
        (T::Unknown, T::Unknown) => return Err(not_unique("unknown", op, "unknown")),
        (T::Unknown, T::Date) if op == BinaryOp::Add => {
            return Err(not_unique("unknown", op, "date"));
        }
        (T::Date, T::Unknown) if op == BinaryOp::Add => {
            return Err(not_unique("date", op, "unknown"));
        }
        (T::Unknown, other) => (unknown_partner(op, other, true), other.clone()),
        (other, T::Unknown) => (other.clone(), unknown_partner(op, other, false)),
        (l, r) => (l.clone(), r.clone()),
    };
    if is_comparison(op) && (matches!(l, T::Array(_)) || matches!(r, T::Array(_))) {
        return if arrays_comparable(&l, &r) && family(&l) == family(&r) {
            Ok(T::Bool)
        } else {
            Err(error())
        };
    }
    if is_comparison(op) {
        let fl = family(&l);
        return if fl == family(&r) && fl != Family::Json { Ok(T::Bool) } else { Err(error()) };
    }
    numeric_result(op, &l, &r).or_else(|| datetime_result(op, &l, &r)).ok_or_else(error)
}

/// The type an unknown operand takes next to `other` for `op`.
fn unknown_partner(op: BinaryOp, other: &DataType, unknown_is_left: bool) -> DataType {
    match (op, other) {
        (BinaryOp::Add, DataType::Timestamp | DataType::Timestamptz) => DataType::Interval,
        (BinaryOp::Sub, DataType::Timestamp | DataType::Timestamptz) if !unknown_is_left => {
            other.clone()
        }
        (BinaryOp::Mul | BinaryOp::Div, DataType::Interval) => DataType::Float8,
        _ => other.clone(),
    }
}

/// Evaluates `left op right` with PostgreSQL semantics: NULL in → NULL out (comparisons too),
/// integer overflow → 22003 `integer out of range`, division by zero → 22012, int/int
/// division truncates, numeric promotion (int op numeric → numeric, anything op float8 →
/// float8), text `||` anything → text, date + int → date, timestamp ± interval, date - date
/// → int4, timestamp - timestamp → interval. Unsupported combination → 42883
/// `operator does not exist: boolean + integer`.
pub fn binary_op(op: BinaryOp, left: &Value, right: &Value) -> Result<Value, SqlError> {
    if is_comparison(op) {
        return Ok(match left.sql_cmp(right)? {
            None => Value::Null,
            Some(order) => Value::Bool(match op {
                BinaryOp::Eq => order == Ordering::Equal,
                BinaryOp::NotEq => order != Ordering::Equal,
                BinaryOp::Lt => order == Ordering::Less,
                BinaryOp::LtEq => order != Ordering::Greater,
                BinaryOp::Gt => order == Ordering::Greater,
                _ => order != Ordering::Less,
            }),
        });
    }
    if op == BinaryOp::Concat
        && (matches!(left, Value::Array(_)) || matches!(right, Value::Array(_)))
    {
        return super::array_ops::concat_operator(left, right);
    }
    if left.is_null() || right.is_null() {
        return Ok(Value::Null);
    }
    match op {
        BinaryOp::Concat => concat(left, right),
        BinaryOp::JsonGet | BinaryOp::JsonGetText => json_get(op, left, right),
        _ => {
            let error = || operator_not_exist(left.type_name(), op_symbol(op), right.type_name());
            match (left, right) {
                (Value::Text(_), Value::Text(_)) => Err(error()),
                (Value::Text(s), other) => {
                    let parsed = parse_partner(op, s, other, true)?;
                    arithmetic(op, &parsed, other).ok_or_else(error)?
                }
                (other, Value::Text(s)) => {
                    let parsed = parse_partner(op, s, other, false)?;
                    arithmetic(op, other, &parsed).ok_or_else(error)?
                }
                _ => arithmetic(op, left, right).ok_or_else(error)?,
            }
        }
    }
}

/// Parses a text operand next to `other` (unknown-literal resolution at run time).
fn parse_partner(
    op: BinaryOp,
    text: &str,
    other: &Value,
    text_is_left: bool,
) -> Result<Value, SqlError> {
    let Some(other_ty) = other.data_type() else {
        return Ok(Value::Text(text.to_string()));
    };
    if other_ty == DataType::Date && !text_is_left {
        // date - '2024-01-01' is date - date; date + '1' tries integer, then interval.
        if op == BinaryOp::Sub
            && let Ok(date) = Value::parse_text(&DataType::Date, text)
        {
            return Ok(date);
        }
        if let Ok(days) = Value::parse_text(&DataType::Int4, text) {
            return Ok(days);
        }
        return Value::parse_text(&DataType::Interval, text);
    }
    if other_ty == DataType::Date && text_is_left && op == BinaryOp::Add {
        if let Ok(days) = Value::parse_text(&DataType::Int4, text) {
            return Ok(days);
        }
        return Value::parse_text(&DataType::Interval, text);
    }
    Value::parse_text(&unknown_partner(op, &other_ty, text_is_left), text)
}

/// The result of an arithmetic operator, `None` if the types have no such operator.
fn arithmetic(op: BinaryOp, l: &Value, r: &Value) -> Option<Result<Value, SqlError>> {
    let lt = l.data_type()?;
    let rt = r.data_type()?;
    if let Some(result_ty) = numeric_result(op, &lt, &rt) {
        return Some(numeric_op(op, l, r, &result_ty));
    }
    datetime_result(op, &lt, &rt)?;
    Some(datetime_op(op, l, r))
}

fn numeric_op(op: BinaryOp, l: &Value, r: &Value, ty: &DataType) -> Result<Value, SqlError> {
    let (a, b) = match (Num::of(l), Num::of(r)) {
        (Some(a), Some(b)) => (a, b),
        _ => return Err(SqlError::internal("numeric operator on non-numeric values")),
    };
    match ty {
        DataType::Int2 | DataType::Int4 | DataType::Int8 => {
            let (Num::Int(x), Num::Int(y)) = (a, b) else {
                return Err(SqlError::internal("integer operator on non-integers"));
            };
            int_op(op, x, y, ty)
        }
        DataType::Float4 => {
            let x = as_f64(a) as f32;
            let y = as_f64(b) as f32;
            float_op(op, f64::from(x), f64::from(y)).map(|v| Value::Float4(v as f32)).and_then(
                |v| match v {
                    Value::Float4(f) if f.is_infinite() && !x.is_infinite() && !y.is_infinite() => {
                        Err(numeric_out_of_range("value out of range: overflow"))
                    }
                    other => Ok(other),
                },
            )
        }
        DataType::Float8 => float_op(op, as_f64(a), as_f64(b)).map(Value::Float8),
        _ => {
            let x = as_decimal(a);
            let y = as_decimal(b);
            let result = match op {
                BinaryOp::Add => checked(x.checked_add(y))?,
                BinaryOp::Sub => checked(x.checked_sub(y))?,
                BinaryOp::Mul => checked(x.checked_mul(y))?,
                BinaryOp::Div => numeric_div(x, y)?,
                _ => numeric_rem(x, y)?,
            };
            Ok(Value::Numeric(result))
        }
    }
}

fn as_f64(n: Num) -> f64 {
    match n {
        Num::Int(v) => v as f64,
        Num::Dec(d) => to_f64(d),
        Num::Float(f) => f,
    }
}

fn as_decimal(n: Num) -> Decimal {
    match n {
        Num::Int(v) => Decimal::from(v),
        Num::Dec(d) => d,
        Num::Float(f) => Decimal::try_from(f).unwrap_or_default(),
    }
}

fn int_op(op: BinaryOp, x: i64, y: i64, ty: &DataType) -> Result<Value, SqlError> {
    let overflow = || {
        numeric_out_of_range(match ty {
            DataType::Int2 => "smallint out of range",
            DataType::Int4 => "integer out of range",
            _ => "bigint out of range",
        })
    };
    let result = match op {
        BinaryOp::Add => x.checked_add(y),
        BinaryOp::Sub => x.checked_sub(y),
        BinaryOp::Mul => x.checked_mul(y),
        BinaryOp::Div => {
            if y == 0 {
                return Err(division_by_zero());
            }
            x.checked_div(y)
        }
        _ => {
            if y == 0 {
                return Err(division_by_zero());
            }
            if y == -1 { Some(0) } else { x.checked_rem(y) }
        }
    }
    .ok_or_else(overflow)?;
    int_value(ty, i128::from(result)).map_err(|_| overflow())
}

/// float8 arithmetic with PostgreSQL's overflow, underflow and zero-division checks.
fn float_op(op: BinaryOp, x: f64, y: f64) -> Result<f64, SqlError> {
    let overflow = || numeric_out_of_range("value out of range: overflow");
    let underflow = || numeric_out_of_range("value out of range: underflow");
    let result = match op {
        BinaryOp::Add => x + y,
        BinaryOp::Sub => x - y,
        BinaryOp::Mul => {
            let r = x * y;
            if r == 0.0 && x != 0.0 && y != 0.0 {
                return Err(underflow());
            }
            r
        }
        BinaryOp::Div => {
            if y == 0.0 && !x.is_nan() {
                return Err(division_by_zero());
            }
            let r = x / y;
            if r == 0.0 && x != 0.0 && !y.is_infinite() {
                return Err(underflow());
            }
            r
        }
        _ => return Err(SqlError::internal("float modulo")),
    };
    if result.is_infinite() && !x.is_infinite() && !y.is_infinite() {
        return Err(overflow());
    }
    Ok(result)
}

fn as_timestamp(v: &Value) -> Option<NaiveDateTime> {
    match v {
        Value::Date(d) => Some(d.and_time(NaiveTime::MIN)),
        Value::Timestamp(ts) => Some(*ts),
        Value::Timestamptz(ts) => Some(ts.naive_utc()),
        _ => None,
    }
}

fn datetime_op(op: BinaryOp, l: &Value, r: &Value) -> Result<Value, SqlError> {
    use Value as V;
    let bad = || SqlError::internal("datetime operator on unexpected values");
    let small_int = |v: &Value| match v {
        V::Int2(x) => Some(i64::from(*x)),
        V::Int4(x) => Some(i64::from(*x)),
        _ => None,
    };
    let date_plus = |d: &chrono::NaiveDate, days: i64| {
        days_to_date(i64::from(date_to_days(*d)) + days)
            .map(V::Date)
            .ok_or_else(|| datetime_overflow("date out of range"))
    };
    match (op, l, r) {
        (BinaryOp::Add, V::Date(d), n) | (BinaryOp::Add, n, V::Date(d))
            if small_int(n).is_some() =>
        {
            date_plus(d, small_int(n).unwrap_or(0))
        }
        (BinaryOp::Sub, V::Date(d), n) if small_int(n).is_some() => {
            date_plus(d, -small_int(n).unwrap_or(0))
        }
        (BinaryOp::Sub, V::Date(a), V::Date(b)) => {
            Ok(V::Int4(date_to_days(*a).wrapping_sub(date_to_days(*b))))
        }
        (BinaryOp::Add | BinaryOp::Sub, V::Interval(a), V::Interval(b)) => {
            Ok(V::Interval(if op == BinaryOp::Add {
                interval::add(*a, *b)?
            } else {
                interval::sub(*a, *b)?
            }))
        }
        (BinaryOp::Add, ts, V::Interval(iv)) | (BinaryOp::Add, V::Interval(iv), ts) => {
            shift(ts, *iv)
        }
        (BinaryOp::Sub, ts, V::Interval(iv)) => shift(ts, interval::neg(*iv)?),
        (BinaryOp::Sub, a, b) => {
            let (x, y) = (as_timestamp(a).ok_or_else(bad)?, as_timestamp(b).ok_or_else(bad)?);
            let micros = timestamp_to_micros(x)
                .checked_sub(timestamp_to_micros(y))
                .ok_or_else(|| datetime_overflow("interval out of range"))?;
            Ok(V::Interval(interval::justify_hours(micros)?))
        }
        (BinaryOp::Mul, V::Interval(iv), n) | (BinaryOp::Mul, n, V::Interval(iv)) => {
            Ok(V::Interval(interval::mul(*iv, Num::of(n).map(as_f64).ok_or_else(bad)?)?))
        }
        (BinaryOp::Div, V::Interval(iv), n) => {
            Ok(V::Interval(interval::div(*iv, Num::of(n).map(as_f64).ok_or_else(bad)?)?))
        }
        _ => Err(bad()),
    }
}

/// `date/timestamp/timestamptz + interval`; a date becomes a timestamp.
fn shift(ts: &Value, iv: Interval) -> Result<Value, SqlError> {
    match ts {
        Value::Timestamptz(t) => Ok(Value::Timestamptz(utc(add_interval(t.naive_utc(), iv)?))),
        other => {
            let base = as_timestamp(other)
                .ok_or_else(|| SqlError::internal("interval added to a non-timestamp"))?;
            Ok(Value::Timestamp(add_interval(base, iv)?))
        }
    }
}

/// The text `||` prints for a value (booleans as `true`/`false`, like a text cast).
fn concat_text(v: &Value, out: &mut String) {
    match v {
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        other => other.write_text_to_string(out),
    }
}

fn concat(left: &Value, right: &Value) -> Result<Value, SqlError> {
    match (left, right) {
        (Value::Bytea(a), Value::Bytea(b)) => {
            let mut out = Vec::with_capacity(a.len() + b.len());
            out.extend_from_slice(a);
            out.extend_from_slice(b);
            Ok(Value::Bytea(out))
        }
        (Value::Jsonb(a), Value::Jsonb(b)) => Ok(Value::Jsonb(jsonb_concat(a, b))),
        (Value::Jsonb(a), Value::Text(s)) if looks_like_json(s) => {
            Ok(Value::Jsonb(jsonb_concat(a, &jsonfn::parse_jsonb(s)?)))
        }
        (Value::Text(s), Value::Jsonb(b)) if looks_like_json(s) => {
            Ok(Value::Jsonb(jsonb_concat(&jsonfn::parse_jsonb(s)?, b)))
        }
        (Value::Text(_), _) | (_, Value::Text(_)) => {
            let mut out = String::new();
            concat_text(left, &mut out);
            concat_text(right, &mut out);
            Ok(Value::Text(out))
        }
        _ => Err(operator_not_exist(left.type_name(), "||", right.type_name())),
    }
}

fn looks_like_json(s: &str) -> bool {
    jsonfn::parse_jsonb(s).is_ok()
}

/// jsonb `||`: objects merge (right wins); otherwise both sides concatenate as arrays.
fn jsonb_concat(a: &Json, b: &Json) -> Json {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            let mut merged = x.clone();
            for (k, v) in y {
                merged.insert(k.clone(), v.clone());
            }
            Json::Object(merged)
        }
        _ => {
            let mut items = match a {
                Json::Array(x) => x.clone(),
                other => vec![other.clone()],
            };
            match b {
                Json::Array(y) => items.extend(y.iter().cloned()),
                other => items.push(other.clone()),
            }
            Json::Array(items)
        }
    }
}

fn json_get(op: BinaryOp, left: &Value, right: &Value) -> Result<Value, SqlError> {
    let error = || operator_not_exist(left.type_name(), op_symbol(op), right.type_name());
    let owned;
    let (doc, is_json) = match left {
        Value::Jsonb(j) => (j, false),
        Value::Json(s) => {
            owned = serde_json::from_str::<Json>(s).map_err(|_| error())?;
            (&owned, true)
        }
        Value::Text(s) => {
            owned = jsonfn::parse_jsonb(s)?;
            (&owned, false)
        }
        _ => return Err(error()),
    };
    let found = match right {
        Value::Text(key) => jsonfn::get_key(doc, key),
        Value::Int2(i) => jsonfn::get_index(doc, i64::from(*i)),
        Value::Int4(i) => jsonfn::get_index(doc, i64::from(*i)),
        _ => return Err(error()),
    };
    let Some(found) = found else {
        return Ok(Value::Null);
    };
    Ok(match (op, is_json) {
        (BinaryOp::JsonGetText, _) => jsonfn::as_text(found).map_or(Value::Null, Value::Text),
        (_, true) => {
            Value::Json(json_sub_text(left, right).unwrap_or_else(|| jsonb_to_string(found)))
        }
        (_, false) => Value::Jsonb(found.clone()),
    })
}

/// For `json -> key`, the member's original text (PostgreSQL keeps json text as written).
fn json_sub_text(left: &Value, right: &Value) -> Option<String> {
    let Value::Json(text) = left else { return None };
    let span = match right {
        Value::Text(key) => jsonfn::json_member_span(text, key)?,
        Value::Int4(i) => jsonfn::json_element_span(text, i64::from(*i))?,
        Value::Int2(i) => jsonfn::json_element_span(text, i64::from(*i))?,
        _ => return None,
    };
    text.get(span).map(str::to_string)
}

/// Evaluates a unary operator (negation overflow → 22003).
pub fn unary_op(op: UnaryOp, value: &Value) -> Result<Value, SqlError> {
    let symbol = match op {
        UnaryOp::Neg => "-",
        UnaryOp::Plus => "+",
    };
    let error = || operator_not_exist("", symbol, value.type_name());
    let numeric_like = matches!(
        value,
        Value::Null
            | Value::Int2(_)
            | Value::Int4(_)
            | Value::Int8(_)
            | Value::Float4(_)
            | Value::Float8(_)
            | Value::Numeric(_)
            | Value::Interval(_)
    );
    if !numeric_like {
        return Err(error());
    }
    if op == UnaryOp::Plus {
        return Ok(value.clone());
    }
    Ok(match value {
        Value::Int2(v) => Value::Int2(
            v.checked_neg().ok_or_else(|| numeric_out_of_range("smallint out of range"))?,
        ),
        Value::Int4(v) => Value::Int4(
            v.checked_neg().ok_or_else(|| numeric_out_of_range("integer out of range"))?,
        ),
        Value::Int8(v) => {
            Value::Int8(v.checked_neg().ok_or_else(|| numeric_out_of_range("bigint out of range"))?)
        }
        Value::Float4(v) => Value::Float4(-v),
        Value::Float8(v) => Value::Float8(-v),
        Value::Numeric(d) => Value::Numeric(super::numeric::normalize_zero(-*d)),
        Value::Interval(iv) => Value::Interval(interval::neg(*iv)?),
        _ => Value::Null,
    })
}
