//! The order-preserving key form of values ([`Value::encode_key`]), built on
//! `encoding::keycode`: comparing encoded keys bytewise gives [`Value::sort_cmp`] order for
//! values of one type.
//!
//! Every value starts with a presence marker so that NULL sorts last (PostgreSQL's NULLS
//! LAST): a present value writes `bool(false)` then its body, NULL writes `bool(true)`.
//! Bodies: integers (any width) and OIDs as `i64`, so equal values of different widths
//! encode equally; floats as `f64` with -0 folded into 0 and every NaN made the canonical
//! positive NaN (sorting last); numerics as a byte string `sign, exponent, digits` with
//! trailing zeros dropped (1.5 and 1.50 encode equally); strings, bytea, uuid and json as
//! `bytes`; dates as day numbers; timestamps as microseconds; intervals as their 128-bit
//! span (so `1 mon` equals `30 days`, as in comparisons); jsonb as a recursive encoding of
//! its order (kind rank, length, members).

use super::datetime::{date_to_days, timestamp_to_micros};
use super::interval::span;
use super::json::{kind_rank, number_key, sorted_entries};
use super::value::Value;
use crate::encoding::keycode::KeyEncoder;
use rust_decimal::Decimal;
use serde_json::Value as Json;

/// Marker bytes of the numeric key body (inside a `bytes` value).
const NUM_NEGATIVE: u8 = 0x01;
const NUM_ZERO: u8 = 0x02;
const NUM_POSITIVE: u8 = 0x03;

fn push(key: &mut KeyEncoder, f: impl FnOnce(KeyEncoder) -> KeyEncoder) {
    *key = f(std::mem::take(key));
}

/// A float made canonical for keys: -0 → 0, any NaN → the positive quiet NaN.
fn canonical_f64(v: f64) -> f64 {
    if v.is_nan() {
        f64::NAN.copysign(1.0)
    } else if v == 0.0 {
        0.0
    } else {
        v
    }
}

/// Order-preserving bytes for a decimal: sign marker, then (for non-zero values) the
/// decimal exponent and the significant digits, complemented for negative values.
pub(crate) fn numeric_key_bytes(d: Decimal, out: &mut [u8; 48]) -> usize {
    let mut magnitude = d.mantissa().unsigned_abs();
    if magnitude == 0 {
        out[0] = NUM_ZERO;
        return 1;
    }
    let negative = d.is_sign_negative();
    // Significant digits, most significant first, without trailing zeros.
    let mut digits = [0u8; 40];
    let mut count = 0;
    while magnitude > 0 && count < digits.len() {
        digits[count] = (magnitude % 10) as u8;
        magnitude /= 10;
        count += 1;
    }
    let total = count as i32;
    digits[..count].reverse();
    let mut significant = count;
    while significant > 1 && digits[significant - 1] == 0 {
        significant -= 1;
    }
    // value = 0.d1d2... × 10^exponent
    let exponent = total - d.scale() as i32;
    let exponent_byte = (exponent + 128).clamp(0, 255) as u8;
    let mut len = 0;
    let mut put = |b: u8| {
        if let Some(slot) = out.get_mut(len) {
            *slot = b;
            len += 1;
        }
    };
    if negative {
        put(NUM_NEGATIVE);
        put(255 - exponent_byte);
        for digit in &digits[..significant] {
            put(b'0' + (9 - digit));
        }
        // Shorter digit strings are larger among negatives: end above every digit.
        put(b'9' + 1);
    } else {
        put(NUM_POSITIVE);
        put(exponent_byte);
        for digit in &digits[..significant] {
            put(b'0' + digit);
        }
    }
    len
}

fn encode_json_key(value: &Json, key: &mut KeyEncoder) {
    push(key, |k| k.i64(kind_rank(value)));
    match value {
        Json::Null => {}
        Json::Bool(b) => push(key, |k| k.bool(*b)),
        Json::Number(n) => push(key, |k| k.f64(canonical_f64(number_key(n)))),
        Json::String(s) => push(key, |k| k.bytes(s.as_bytes())),
        Json::Array(items) => {
            push(key, |k| k.i64(items.len() as i64));
            for item in items {
                encode_json_key(item, key);
            }
        }
        Json::Object(map) => {
            push(key, |k| k.i64(map.len() as i64));
            for (name, item) in sorted_entries(map) {
                push(key, |k| k.bytes(name.as_bytes()));
                encode_json_key(item, key);
            }
        }
    }
}

impl Value {
    /// Appends the order-preserving key form (via `KeyEncoder`) so byte order of encoded keys
    /// equals [`Value::sort_cmp`] order for values of one type. Used for primary keys.
    pub fn encode_key(&self, key: &mut KeyEncoder) {
        if self.is_null() {
            push(key, |k| k.bool(true));
            return;
        }
        push(key, |k| k.bool(false));
        match self {
            Value::Null => {}
            Value::Bool(b) => push(key, |k| k.bool(*b)),
            Value::Int2(v) => push(key, |k| k.i64(i64::from(*v))),
            Value::Int4(v) => push(key, |k| k.i64(i64::from(*v))),
            Value::Int8(v) => push(key, |k| k.i64(*v)),
            Value::Oid(v) => push(key, |k| k.i64(i64::from(*v))),
            Value::Float4(v) => push(key, |k| k.f64(canonical_f64(f64::from(*v)))),
            Value::Float8(v) => push(key, |k| k.f64(canonical_f64(*v))),
            Value::Numeric(d) => {
                let mut buf = [0u8; 48];
                let len = numeric_key_bytes(*d, &mut buf);
                push(key, |k| k.bytes(buf.get(..len).unwrap_or(&[])));
            }
            Value::Text(s) | Value::Json(s) => push(key, |k| k.bytes(s.as_bytes())),
            Value::Bytea(b) => push(key, |k| k.bytes(b)),
            Value::Uuid(u) => push(key, |k| k.bytes(u.as_bytes())),
            Value::Date(d) => push(key, |k| k.i64(i64::from(date_to_days(*d)))),
            Value::Timestamp(ts) => push(key, |k| k.i64(timestamp_to_micros(*ts))),
            Value::Timestamptz(ts) => {
                push(key, |k| k.i64(timestamp_to_micros(ts.naive_utc())));
            }
            Value::Interval(iv) => {
                let s = span(*iv);
                push(key, |k| k.i64((s >> 64) as i64).u64(s as u64));
            }
            Value::Jsonb(j) => encode_json_key(j, key),
            // Each element behind a `true` marker, then `false`: a prefix sorts first.
            Value::Array(a) => {
                for element in &a.elements {
                    push(key, |k| k.bool(true));
                    element.encode_key(key);
                }
                push(key, |k| k.bool(false));
            }
        }
    }

    /// The key form of the value alone (a fresh [`KeyEncoder`]).
    pub fn key_bytes(&self) -> Vec<u8> {
        let mut key = KeyEncoder::new();
        self.encode_key(&mut key);
        key.finish()
    }
}
