//! Text output ([`Value::write_text`]): exactly what PostgreSQL 15 prints with default
//! settings (DateStyle ISO, IntervalStyle postgres, extra_float_digits 1, bytea_output hex,
//! TimeZone UTC).

use super::datetime::{write_date, write_timestamp};
use super::float_fmt::{write_f32, write_f64};
use super::interval::write_interval;
use super::json::write_jsonb;
use super::numeric::normalize_zero;
use super::value::Value;
use bytes::BytesMut;
use std::fmt::Write;

const HEX: &[u8; 16] = b"0123456789abcdef";

impl Value {
    /// Appends the PostgreSQL text output form (`t`/`f`, `1.50`, `2024-01-02 03:04:05+00`,
    /// `\x0102`, `1 year 2 mons`, jsonb normalised, floats shortest round-trip as with
    /// extra_float_digits=1...). NULL appends nothing (the wire sends length -1).
    pub fn write_text(&self, out: &mut BytesMut) {
        match self {
            Value::Null => {}
            Value::Bool(b) => out.extend_from_slice(if *b { b"t" } else { b"f" }),
            Value::Int2(v) => {
                let _ = write!(out, "{v}");
            }
            Value::Int4(v) => {
                let _ = write!(out, "{v}");
            }
            Value::Int8(v) => {
                let _ = write!(out, "{v}");
            }
            Value::Oid(v) => {
                let _ = write!(out, "{v}");
            }
            Value::Float4(v) => write_f32(*v, out),
            Value::Float8(v) => write_f64(*v, out),
            Value::Numeric(d) => {
                let _ = write!(out, "{}", normalize_zero(*d));
            }
            Value::Text(s) | Value::Json(s) => out.extend_from_slice(s.as_bytes()),
            Value::Bytea(bytes) => {
                out.reserve(2 + bytes.len() * 2);
                out.extend_from_slice(b"\\x");
                for b in bytes {
                    out.extend_from_slice(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xF)]]);
                }
            }
            Value::Date(d) => write_date(*d, out),
            Value::Timestamp(ts) => write_timestamp(*ts, false, out),
            Value::Timestamptz(ts) => write_timestamp(ts.naive_utc(), true, out),
            Value::Interval(iv) => write_interval(*iv, out),
            Value::Uuid(u) => {
                let mut buf = uuid::Uuid::encode_buffer();
                out.extend_from_slice(u.hyphenated().encode_lower(&mut buf).as_bytes());
            }
            Value::Jsonb(j) => write_jsonb(j, out),
            Value::Array(a) => a.write_text(out),
        }
    }

    /// Text output appended to a `String` (same form as [`Value::write_text`]).
    pub fn write_text_to_string(&self, out: &mut String) {
        match self {
            Value::Null => {}
            Value::Text(s) | Value::Json(s) => out.push_str(s),
            Value::Float8(v) => write_f64(*v, out),
            Value::Float4(v) => write_f32(*v, out),
            Value::Jsonb(j) => write_jsonb(j, out),
            Value::Array(a) => a.write_text(out),
            other => {
                let mut buf = BytesMut::new();
                other.write_text(&mut buf);
                out.push_str(&String::from_utf8_lossy(&buf));
            }
        }
    }
}
