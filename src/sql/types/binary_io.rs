//! Binary wire format ([`Value::write_binary`], [`Value::parse_binary`]): PostgreSQL's
//! `*send` / `*recv` layouts, big-endian: fixed-width integers and IEEE floats, numeric as
//! base-10000 digits with weight, sign and display scale, dates as days and timestamps as
//! microseconds since 2000-01-01, intervals as (micros, days, months), jsonb as version 1 plus
//! text, strings as raw UTF-8.

use super::datetime::{date_to_days, days_to_date, micros_to_timestamp, timestamp_to_micros, utc};
use super::errors::{bad_binary, datetime_overflow};
use super::json::{parse_jsonb, validate_json, write_jsonb};
use super::numeric::{apply_numeric_typmod, from_base10000, to_base10000, unsupported_numeric};
use super::text_in::coerce_string;
use super::value::{DataType, Interval, Value};
use crate::sql::error::{SqlError, sqlstate};
use bytes::{BufMut, BytesMut};
use std::fmt::Write;

impl Value {
    /// Appends the PostgreSQL binary send form of the value *as type `ty`* (the column type
    /// announced in RowDescription). NULL appends nothing.
    pub fn write_binary(&self, ty: &DataType, out: &mut BytesMut) -> Result<(), SqlError> {
        match (self, ty) {
            (Value::Null, _) => {}
            (Value::Bool(b), DataType::Bool) => out.put_u8(u8::from(*b)),
            (Value::Int2(v), DataType::Int2) => out.put_i16(*v),
            (Value::Int4(v), DataType::Int4) => out.put_i32(*v),
            (Value::Int8(v), DataType::Int8) => out.put_i64(*v),
            (Value::Float4(v), DataType::Float4) => out.put_f32(*v),
            (Value::Float8(v), DataType::Float8) => out.put_f64(*v),
            (Value::Oid(v), DataType::Oid) => out.put_u32(*v),
            (Value::Numeric(d), DataType::Numeric { .. }) => {
                let base = to_base10000(*d);
                out.put_i16(base.ndigits as i16);
                out.put_i16(base.weight);
                out.put_u16(if base.negative { 0x4000 } else { 0 });
                out.put_u16(base.dscale);
                for digit in base.digits() {
                    out.put_u16(*digit);
                }
            }
            (
                Value::Text(s),
                DataType::Text
                | DataType::Varchar(_)
                | DataType::Char(_)
                | DataType::Name
                | DataType::Unknown,
            ) => out.extend_from_slice(s.as_bytes()),
            (Value::Bytea(b), DataType::Bytea) => out.extend_from_slice(b),
            (Value::Date(d), DataType::Date) => out.put_i32(date_to_days(*d)),
            (Value::Timestamp(ts), DataType::Timestamp) => out.put_i64(timestamp_to_micros(*ts)),
            (Value::Timestamptz(ts), DataType::Timestamptz) => {
                out.put_i64(timestamp_to_micros(ts.naive_utc()))
            }
            (Value::Interval(iv), DataType::Interval) => {
                out.put_i64(iv.micros);
                out.put_i32(iv.days);
                out.put_i32(iv.months);
            }
            (Value::Uuid(u), DataType::Uuid) => out.extend_from_slice(u.as_bytes()),
            (Value::Json(s), DataType::Json) => out.extend_from_slice(s.as_bytes()),
            (Value::Jsonb(j), DataType::Jsonb) => {
                out.put_u8(1);
                write_jsonb(j, out);
            }
            (Value::Array(a), DataType::Array(element)) => {
                if a.element_type == **element {
                    a.write_binary(out)?;
                } else {
                    a.cast_elements(element, true)?.write_binary(out)?;
                }
            }
            (value, ty) => {
                let converted = value.cast(ty, true)?;
                if converted.data_type().is_some_and(|t| same_family(&t, ty)) {
                    return converted.write_binary(ty, out);
                }
                return Err(SqlError::internal(format!(
                    "cannot send a {} value as {}",
                    value.type_name(),
                    ty.display_name()
                )));
            }
        }
        Ok(())
    }

    /// Parses PostgreSQL binary input for `ty` (22P03 on a malformed length/content).
    pub fn parse_binary(ty: &DataType, bytes: &[u8]) -> Result<Value, SqlError> {
        Ok(match ty {
            DataType::Bool => Value::Bool(fixed::<1>(bytes)?[0] != 0),
            DataType::Int2 => Value::Int2(i16::from_be_bytes(fixed(bytes)?)),
            DataType::Int4 => Value::Int4(i32::from_be_bytes(fixed(bytes)?)),
            DataType::Int8 => Value::Int8(i64::from_be_bytes(fixed(bytes)?)),
            DataType::Float4 => Value::Float4(f32::from_be_bytes(fixed(bytes)?)),
            DataType::Float8 => Value::Float8(f64::from_be_bytes(fixed(bytes)?)),
            DataType::Oid => Value::Oid(u32::from_be_bytes(fixed(bytes)?)),
            DataType::Numeric { precision, scale } => {
                let d = parse_numeric(bytes)?;
                match precision {
                    Some(p) => Value::Numeric(apply_numeric_typmod(d, *p, scale.unwrap_or(0))?),
                    None => Value::Numeric(d),
                }
            }
            DataType::Text | DataType::Unknown => Value::Text(utf8(bytes)?.to_string()),
            DataType::Varchar(_) | DataType::Char(_) | DataType::Name => {
                Value::Text(coerce_string(utf8(bytes)?, ty, false)?.into_owned())
            }
            DataType::Bytea => Value::Bytea(bytes.to_vec()),
            DataType::Date => {
                let days = i32::from_be_bytes(fixed(bytes)?);
                if days == i32::MIN || days == i32::MAX {
                    return Err(super::errors::unsupported("infinite dates are not supported"));
                }
                Value::Date(
                    days_to_date(i64::from(days))
                        .ok_or_else(|| datetime_overflow("date out of range"))?,
                )
            }
            DataType::Timestamp => Value::Timestamp(timestamp(bytes)?),
            DataType::Timestamptz => Value::Timestamptz(utc(timestamp(bytes)?)),
            DataType::Interval => {
                let raw: [u8; 16] = fixed(bytes)?;
                let (micros, rest) = raw.split_at(8);
                let (days, months) = rest.split_at(4);
                Value::Interval(Interval {
                    micros: i64::from_be_bytes(micros.try_into().map_err(|_| bad_binary())?),
                    days: i32::from_be_bytes(days.try_into().map_err(|_| bad_binary())?),
                    months: i32::from_be_bytes(months.try_into().map_err(|_| bad_binary())?),
                })
            }
            DataType::Uuid => Value::Uuid(uuid::Uuid::from_bytes(fixed(bytes)?)),
            DataType::Json => {
                let text = utf8(bytes)?;
                validate_json(text)?;
                Value::Json(text.to_string())
            }
            DataType::Array(element) => {
                Value::Array(Box::new(super::array::Array::parse_binary(element, bytes)?))
            }
            DataType::Jsonb => match bytes.split_first() {
                Some((1, text)) => Value::Jsonb(parse_jsonb(utf8(text)?)?),
                Some((version, _)) => {
                    return Err(SqlError::new(
                        sqlstate::INVALID_BINARY_REPRESENTATION,
                        format!("unsupported jsonb version number {version}"),
                    ));
                }
                None => return Err(bad_binary()),
            },
        })
    }
}

/// Whether a value of type `a` is written by the direct arms of `write_binary` for `b`.
fn same_family(a: &DataType, b: &DataType) -> bool {
    match (a, b) {
        (DataType::Numeric { .. }, DataType::Numeric { .. }) => true,
        (x, y) if x.is_string() && y.is_string() => true,
        (x, y) => x == y,
    }
}

fn fixed<const N: usize>(bytes: &[u8]) -> Result<[u8; N], SqlError> {
    bytes.try_into().map_err(|_| bad_binary())
}

fn utf8(bytes: &[u8]) -> Result<&str, SqlError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let start = e.valid_up_to();
        let end = start + e.error_len().unwrap_or(1);
        let mut shown = String::new();
        for b in bytes.get(start..end).unwrap_or(&[]) {
            let _ = write!(shown, "{}0x{b:02x}", if shown.is_empty() { "" } else { " " });
        }
        SqlError::new(
            sqlstate::CHARACTER_NOT_IN_REPERTOIRE,
            format!("invalid byte sequence for encoding \"UTF8\": {shown}"),
        )
    })
}

fn timestamp(bytes: &[u8]) -> Result<chrono::NaiveDateTime, SqlError> {
    let micros = i64::from_be_bytes(fixed(bytes)?);
    if micros == i64::MIN || micros == i64::MAX {
        return Err(super::errors::unsupported("infinite timestamps are not supported"));
    }
    micros_to_timestamp(micros).ok_or_else(|| datetime_overflow("timestamp out of range"))
}

fn parse_numeric(bytes: &[u8]) -> Result<rust_decimal::Decimal, SqlError> {
    let header: [u8; 8] = bytes.get(..8).and_then(|h| h.try_into().ok()).ok_or_else(bad_binary)?;
    let ndigits = i16::from_be_bytes([header[0], header[1]]);
    let weight = i16::from_be_bytes([header[2], header[3]]);
    let sign = u16::from_be_bytes([header[4], header[5]]);
    let dscale = u16::from_be_bytes([header[6], header[7]]);
    let ndigits = usize::try_from(ndigits).map_err(|_| bad_binary())?;
    let body = bytes.get(8..).unwrap_or(&[]);
    if body.len() != ndigits * 2 {
        return Err(bad_binary());
    }
    let negative = match sign {
        0x0000 => false,
        0x4000 => true,
        0xC000 | 0xD000 | 0xF000 => return Err(unsupported_numeric()),
        _ => {
            return Err(SqlError::new(
                sqlstate::INVALID_BINARY_REPRESENTATION,
                "invalid sign in external \"numeric\" value",
            ));
        }
    };
    if dscale > 0x3FFF {
        return Err(SqlError::new(
            sqlstate::INVALID_BINARY_REPRESENTATION,
            "invalid scale in external \"numeric\" value",
        ));
    }
    let mut digits = Vec::with_capacity(ndigits);
    for pair in body.chunks_exact(2) {
        digits.push(u16::from_be_bytes([pair[0], pair[1]]));
    }
    from_base10000(&digits, weight, negative, dscale)
}
