//! Casts ([`Value::cast`]) with PostgreSQL's conversion rules, and [`cast_context`], the
//! `pg_cast` context (implicit / assignment / explicit) in which a cast may be applied.
//!
//! Integer narrowing and float/numeric → integer report 22003 (`integer out of range`);
//! floats round half to even (`rint`), numerics half away from zero; float → numeric goes
//! through 15 (float8) or 6 (float4) significant digits like PostgreSQL; strings convert to
//! and from every type through the text formats, with varchar(n)/char(n) length rules.

use super::datetime::utc;
use super::errors::{cannot_cast, numeric_out_of_range};
use super::json::{jsonb_to_string, parse_jsonb, write_json_number};
use super::numeric::{apply_numeric_typmod, from_float, parse_decimal, round_to_i128, to_f64};
use super::text_in::coerce_string;
use super::value::{DataType, Value};
use crate::sql::error::{SqlError, sqlstate};
use chrono::NaiveTime;
use rust_decimal::Decimal;
use serde_json::Value as Json;

/// In which contexts PostgreSQL applies a cast (`pg_cast.castcontext`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CastContext {
    /// Applied silently anywhere (e.g. int4 → int8 in an expression).
    Implicit,
    /// Applied when storing into a column (INSERT/UPDATE), e.g. int8 → int4.
    Assignment,
    /// Only with an explicit `CAST` / `::`, e.g. text → int4.
    Explicit,
}

/// The most permissive context in which `from` converts to `to`, or `None` if there is no
/// cast at all (PostgreSQL's `pg_cast` plus automatic I/O conversion casts).
pub fn cast_context(from: &DataType, to: &DataType) -> Option<CastContext> {
    use CastContext::{Assignment, Explicit, Implicit};
    use DataType as T;
    if let (T::Array(from), T::Array(to)) = (from, to) {
        return cast_context(from, to);
    }
    let same = std::mem::discriminant(from) == std::mem::discriminant(to);
    Some(match (from, to) {
        _ if same => Implicit,
        (T::Unknown, _) => Implicit,
        (T::Int2, T::Int4 | T::Int8 | T::Float4 | T::Float8 | T::Numeric { .. } | T::Oid) => {
            Implicit
        }
        (T::Int4, T::Int8 | T::Float4 | T::Float8 | T::Numeric { .. } | T::Oid) => Implicit,
        (T::Int8, T::Float4 | T::Float8 | T::Numeric { .. } | T::Oid) => Implicit,
        (T::Int4, T::Int2) | (T::Int8, T::Int2 | T::Int4) => Assignment,
        (T::Float4, T::Float8) => Implicit,
        (T::Float8, T::Float4) => Assignment,
        (T::Float4 | T::Float8, T::Int2 | T::Int4 | T::Int8 | T::Numeric { .. }) => Assignment,
        (T::Numeric { .. }, T::Float4 | T::Float8) => Implicit,
        (T::Numeric { .. }, T::Int2 | T::Int4 | T::Int8) => Assignment,
        (T::Int4, T::Bool) | (T::Bool, T::Int4) => Explicit,
        (T::Oid, T::Int4 | T::Int8) => Assignment,
        (T::Date, T::Timestamp | T::Timestamptz) | (T::Timestamp, T::Timestamptz) => Implicit,
        (T::Timestamp | T::Timestamptz, T::Date) | (T::Timestamptz, T::Timestamp) => Assignment,
        (T::Json, T::Jsonb) | (T::Jsonb, T::Json) => Assignment,
        (
            T::Jsonb,
            T::Bool | T::Int2 | T::Int4 | T::Int8 | T::Float4 | T::Float8 | T::Numeric { .. },
        ) => Explicit,
        (f, t) if f.is_string() && t.is_string() => Implicit,
        (_, t) if t.is_string() => Assignment,
        (f, _) if f.is_string() => Explicit,
        _ => return None,
    })
}

fn int_range_error(ty: &DataType) -> SqlError {
    numeric_out_of_range(match ty {
        DataType::Int2 => "smallint out of range",
        DataType::Int8 => "bigint out of range",
        _ => "integer out of range",
    })
}

/// Builds an integer value of type `ty` (int2/int4/int8) from an i128, range-checked.
pub(crate) fn int_value(ty: &DataType, v: i128) -> Result<Value, SqlError> {
    let err = || int_range_error(ty);
    Ok(match ty {
        DataType::Int2 => Value::Int2(i16::try_from(v).map_err(|_| err())?),
        DataType::Int8 => Value::Int8(i64::try_from(v).map_err(|_| err())?),
        _ => Value::Int4(i32::try_from(v).map_err(|_| err())?),
    })
}

/// A float rounded half to even into an integer type, as `dtoi4` and friends do.
fn float_to_int(ty: &DataType, v: f64) -> Result<Value, SqlError> {
    let rounded = v.round_ties_even();
    // 2^127 bounds keep the `as` conversion exact for every range check below.
    if rounded.is_nan() || rounded.abs() >= 1.7e38 {
        return Err(int_range_error(ty));
    }
    int_value(ty, rounded as i128)
}

fn float8_to_float4(v: f64) -> Result<f32, SqlError> {
    let result = v as f32;
    if result.is_infinite() && !v.is_infinite() {
        return Err(numeric_out_of_range("value out of range: overflow"));
    }
    if result == 0.0 && v != 0.0 {
        return Err(numeric_out_of_range("value out of range: underflow"));
    }
    Ok(result)
}

fn apply_numeric(d: Decimal, ty: &DataType) -> Result<Value, SqlError> {
    match ty {
        DataType::Numeric { precision: Some(p), scale } => {
            Ok(Value::Numeric(apply_numeric_typmod(d, *p, scale.unwrap_or(0))?))
        }
        _ => Ok(Value::Numeric(d)),
    }
}

fn jsonb_scalar_error(j: &Json, ty: &DataType) -> SqlError {
    let kind = match j {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(_) => "numeric",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    };
    SqlError::new(
        sqlstate::INVALID_PARAMETER_VALUE,
        format!("cannot cast jsonb {kind} to type {}", ty.base_name()),
    )
}

fn jsonb_number(j: &Json, ty: &DataType) -> Result<Decimal, SqlError> {
    match j {
        Json::Number(n) => {
            let mut text = String::new();
            write_json_number(n, &mut text);
            parse_decimal(&text)
        }
        other => Err(jsonb_scalar_error(other, ty)),
    }
}

impl Value {
    /// Converts to `ty` following PostgreSQL's cast rules (int overflow 22003, float→int
    /// rounds half away from zero, text → anything parses, anything → text prints, numeric
    /// precision/scale enforced, varchar(n) explicit cast truncates while assignment errors:
    /// `explicit` selects which). NULL casts to NULL.
    ///
    /// Float → int rounds half to even (PostgreSQL's `rint`); numeric → int rounds half away
    /// from zero.
    pub fn cast(&self, ty: &DataType, explicit: bool) -> Result<Value, SqlError> {
        use DataType as T;
        use Value as V;
        let fail = || cannot_cast(self.type_name(), ty.base_name());
        Ok(match (self, ty) {
            (V::Null, _) => V::Null,
            // Strings: everything prints; length rules apply.
            (V::Text(s), T::Text | T::Unknown) => V::Text(s.clone()),
            (_, T::Text | T::Unknown) => V::Text(self.cast_text()),
            (V::Text(s), T::Varchar(_) | T::Char(_) | T::Name) => {
                V::Text(coerce_string(s, ty, explicit)?.into_owned())
            }
            (_, T::Varchar(_) | T::Char(_) | T::Name) => {
                V::Text(coerce_string(&self.cast_text(), ty, explicit)?.into_owned())
            }
            (V::Text(s), _) => Value::parse_text(ty, s)?,

            // Integers.
            (V::Int2(v), T::Int2 | T::Int4 | T::Int8) => int_value(ty, i128::from(*v))?,
            (V::Int4(v), T::Int2 | T::Int4 | T::Int8) => int_value(ty, i128::from(*v))?,
            (V::Int8(v), T::Int2 | T::Int4 | T::Int8) => int_value(ty, i128::from(*v))?,
            (V::Oid(v), T::Int4) => V::Int4(*v as i32),
            (V::Oid(v), T::Int8) => V::Int8(i64::from(*v)),
            (V::Bool(b), T::Int4) => V::Int4(i32::from(*b)),
            (V::Float4(v), T::Int2 | T::Int4 | T::Int8) => float_to_int(ty, f64::from(*v))?,
            (V::Float8(v), T::Int2 | T::Int4 | T::Int8) => float_to_int(ty, *v)?,
            (V::Numeric(d), T::Int2 | T::Int4 | T::Int8) => {
                int_value(ty, round_to_i128(*d).ok_or_else(|| int_range_error(ty))?)?
            }
            (V::Jsonb(j), T::Int2 | T::Int4 | T::Int8) => {
                let d = jsonb_number(j, ty)?;
                int_value(ty, round_to_i128(d).ok_or_else(|| int_range_error(ty))?)?
            }

            // Floats.
            (V::Int2(v), T::Float4) => V::Float4(f32::from(*v)),
            (V::Int4(v), T::Float4) => V::Float4(*v as f32),
            (V::Int8(v), T::Float4) => V::Float4(*v as f32),
            (V::Int2(v), T::Float8) => V::Float8(f64::from(*v)),
            (V::Int4(v), T::Float8) => V::Float8(f64::from(*v)),
            (V::Int8(v), T::Float8) => V::Float8(*v as f64),
            (V::Float4(v), T::Float4) => V::Float4(*v),
            (V::Float4(v), T::Float8) => V::Float8(f64::from(*v)),
            (V::Float8(v), T::Float8) => V::Float8(*v),
            (V::Float8(v), T::Float4) => V::Float4(float8_to_float4(*v)?),
            (V::Numeric(d), T::Float8) => V::Float8(to_f64(*d)),
            (V::Numeric(d), T::Float4) => V::Float4(d.to_string().parse().unwrap_or(f32::NAN)),
            (V::Jsonb(j), T::Float8) => V::Float8(to_f64(jsonb_number(j, ty)?)),
            (V::Jsonb(j), T::Float4) => {
                V::Float4(jsonb_number(j, ty)?.to_string().parse().unwrap_or(f32::NAN))
            }

            // Numeric.
            (V::Numeric(d), T::Numeric { .. }) => apply_numeric(*d, ty)?,
            (V::Int2(v), T::Numeric { .. }) => apply_numeric(Decimal::from(*v), ty)?,
            (V::Int4(v), T::Numeric { .. }) => apply_numeric(Decimal::from(*v), ty)?,
            (V::Int8(v), T::Numeric { .. }) => apply_numeric(Decimal::from(*v), ty)?,
            (V::Float4(v), T::Numeric { .. }) => apply_numeric(from_float(f64::from(*v), 6)?, ty)?,
            (V::Float8(v), T::Numeric { .. }) => apply_numeric(from_float(*v, 15)?, ty)?,
            (V::Jsonb(j), T::Numeric { .. }) => apply_numeric(jsonb_number(j, ty)?, ty)?,

            // Booleans.
            (V::Bool(b), T::Bool) => V::Bool(*b),
            (V::Int4(v), T::Bool) => V::Bool(*v != 0),
            (V::Jsonb(j), T::Bool) => match j {
                Json::Bool(b) => V::Bool(*b),
                other => return Err(jsonb_scalar_error(other, ty)),
            },

            // OIDs.
            (V::Oid(v), T::Oid) => V::Oid(*v),
            (V::Int2(v), T::Oid) => V::Oid(i32::from(*v) as u32),
            (V::Int4(v), T::Oid) => V::Oid(*v as u32),
            (V::Int8(v), T::Oid) => {
                V::Oid(u32::try_from(*v).map_err(|_| numeric_out_of_range("OID out of range"))?)
            }

            // Dates and times (session time zone UTC).
            (V::Date(d), T::Date) => V::Date(*d),
            (V::Timestamp(ts), T::Date) => V::Date(ts.date()),
            (V::Timestamptz(ts), T::Date) => V::Date(ts.naive_utc().date()),
            (V::Timestamp(ts), T::Timestamp) => V::Timestamp(*ts),
            (V::Date(d), T::Timestamp) => V::Timestamp(d.and_time(NaiveTime::MIN)),
            (V::Timestamptz(ts), T::Timestamp) => V::Timestamp(ts.naive_utc()),
            (V::Timestamptz(ts), T::Timestamptz) => V::Timestamptz(*ts),
            (V::Timestamp(ts), T::Timestamptz) => V::Timestamptz(utc(*ts)),
            (V::Date(d), T::Timestamptz) => V::Timestamptz(utc(d.and_time(NaiveTime::MIN))),
            (V::Interval(iv), T::Interval) => V::Interval(*iv),

            // Everything else of the same type.
            (V::Uuid(u), T::Uuid) => V::Uuid(*u),
            (V::Bytea(b), T::Bytea) => V::Bytea(b.clone()),
            (V::Json(s), T::Json) => V::Json(s.clone()),
            (V::Jsonb(j), T::Json) => V::Json(jsonb_to_string(j)),
            (V::Jsonb(j), T::Jsonb) => V::Jsonb(j.clone()),
            (V::Json(s), T::Jsonb) => V::Jsonb(parse_jsonb(s)?),
            (V::Array(a), T::Array(element)) => {
                V::Array(Box::new(a.cast_elements(element, explicit)?))
            }
            _ => return Err(fail()),
        })
    }

    /// The text a cast to a string type produces: text output, except booleans print
    /// `true` / `false` (PostgreSQL's `booltext`).
    fn cast_text(&self) -> String {
        match self {
            Value::Bool(b) => (if *b { "true" } else { "false" }).to_string(),
            other => other.to_text(),
        }
    }
}
