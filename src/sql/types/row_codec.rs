//! The storage row codec ([`encode_row`], [`decode_row`]): compact, self-describing, fast.
//!
//! Layout: a format byte ([`ROW_FORMAT_V1`]), then per value a tag byte and a payload:
//! integers, dates and interval fields as zig-zag LEB128 varints, floats as their exact IEEE
//! bits (little-endian, so NaN payloads and -0 survive), numerics as a sign/scale byte and
//! the varint mantissa (scale preserved), timestamps as 8-byte microseconds since
//! 2000-01-01, strings and byte strings as varint length plus bytes, uuids as 16 bytes, and
//! jsonb as a compact tree. Rows stored with fewer values than the table has columns decode
//! with trailing NULLs; damaged bytes are XX001, never a panic.

use super::array::{Array, ArrayDim, MAX_DIMENSIONS};
use super::datetime::{date_to_days, days_to_date, micros_to_timestamp, timestamp_to_micros, utc};
use super::errors::corrupted;
use super::value::{DataType, Interval, Value};
use crate::sql::error::SqlError;
use rust_decimal::Decimal;
use serde_json::{Map, Number, Value as Json};

/// The current row format byte.
pub const ROW_FORMAT_V1: u8 = 1;

const TAG_NULL: u8 = 0;
const TAG_FALSE: u8 = 1;
const TAG_TRUE: u8 = 2;
const TAG_INT2: u8 = 3;
const TAG_INT4: u8 = 4;
const TAG_INT8: u8 = 5;
const TAG_FLOAT4: u8 = 6;
const TAG_FLOAT8: u8 = 7;
const TAG_NUMERIC: u8 = 8;
const TAG_TEXT: u8 = 9;
const TAG_BYTEA: u8 = 10;
const TAG_DATE: u8 = 11;
const TAG_TIMESTAMP: u8 = 12;
const TAG_TIMESTAMPTZ: u8 = 13;
const TAG_INTERVAL: u8 = 14;
const TAG_UUID: u8 = 15;
const TAG_JSON: u8 = 16;
const TAG_JSONB: u8 = 17;
const TAG_OID: u8 = 18;
/// Element type OID and typmod, dimension count, (length, lower bound) per dimension, then
/// the elements as values.
const TAG_ARRAY: u8 = 19;

const JSON_NULL: u8 = 0;
const JSON_FALSE: u8 = 1;
const JSON_TRUE: u8 = 2;
const JSON_I64: u8 = 3;
const JSON_U64: u8 = 4;
const JSON_F64: u8 = 5;
const JSON_STRING: u8 = 6;
const JSON_ARRAY: u8 = 7;
const JSON_OBJECT: u8 = 8;
/// A non-integer number, kept as written (`2.50` keeps its scale, as PostgreSQL's numeric).
const JSON_DECIMAL: u8 = 9;
/// Deepest jsonb nesting the decoder follows.
const MAX_JSON_DEPTH: usize = 1024;

fn put_varint(out: &mut Vec<u8>, mut v: u128) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(v: i64) -> u128 {
    u128::from(((v << 1) ^ (v >> 63)) as u64)
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u128);
    out.extend_from_slice(bytes);
}

/// Encodes a row of values for storage (compact, self-describing per value, versioned with a
/// leading format byte so columns added later decode as NULL/default).
pub fn encode_row(values: &[Value], out: &mut Vec<u8>) {
    out.push(ROW_FORMAT_V1);
    for value in values {
        encode_value(value, out);
    }
}

fn encode_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.push(TAG_NULL),
        Value::Bool(false) => out.push(TAG_FALSE),
        Value::Bool(true) => out.push(TAG_TRUE),
        Value::Int2(v) => {
            out.push(TAG_INT2);
            put_varint(out, zigzag(i64::from(*v)));
        }
        Value::Int4(v) => {
            out.push(TAG_INT4);
            put_varint(out, zigzag(i64::from(*v)));
        }
        Value::Int8(v) => {
            out.push(TAG_INT8);
            put_varint(out, zigzag(*v));
        }
        Value::Float4(v) => {
            out.push(TAG_FLOAT4);
            out.extend_from_slice(&v.to_bits().to_le_bytes());
        }
        Value::Float8(v) => {
            out.push(TAG_FLOAT8);
            out.extend_from_slice(&v.to_bits().to_le_bytes());
        }
        Value::Numeric(d) => {
            out.push(TAG_NUMERIC);
            let flags = (d.scale() as u8 & 0x3F) | if d.is_sign_negative() { 0x80 } else { 0 };
            out.push(flags);
            put_varint(out, d.mantissa().unsigned_abs());
        }
        Value::Text(s) => {
            out.push(TAG_TEXT);
            put_bytes(out, s.as_bytes());
        }
        Value::Bytea(b) => {
            out.push(TAG_BYTEA);
            put_bytes(out, b);
        }
        Value::Date(d) => {
            out.push(TAG_DATE);
            put_varint(out, zigzag(i64::from(date_to_days(*d))));
        }
        Value::Timestamp(ts) => {
            out.push(TAG_TIMESTAMP);
            out.extend_from_slice(&timestamp_to_micros(*ts).to_le_bytes());
        }
        Value::Timestamptz(ts) => {
            out.push(TAG_TIMESTAMPTZ);
            out.extend_from_slice(&timestamp_to_micros(ts.naive_utc()).to_le_bytes());
        }
        Value::Interval(iv) => {
            out.push(TAG_INTERVAL);
            put_varint(out, zigzag(i64::from(iv.months)));
            put_varint(out, zigzag(i64::from(iv.days)));
            put_varint(out, zigzag(iv.micros));
        }
        Value::Uuid(u) => {
            out.push(TAG_UUID);
            out.extend_from_slice(u.as_bytes());
        }
        Value::Json(s) => {
            out.push(TAG_JSON);
            put_bytes(out, s.as_bytes());
        }
        Value::Jsonb(j) => {
            out.push(TAG_JSONB);
            encode_json(j, out);
        }
        Value::Oid(v) => {
            out.push(TAG_OID);
            put_varint(out, u128::from(*v));
        }
        Value::Array(a) => {
            out.push(TAG_ARRAY);
            put_varint(out, u128::from(a.element_type.oid()));
            put_varint(out, zigzag(i64::from(a.element_type.typmod())));
            put_varint(out, a.dims.len() as u128);
            for d in &a.dims {
                put_varint(out, zigzag(i64::from(d.length)));
                put_varint(out, zigzag(i64::from(d.lower)));
            }
            for element in &a.elements {
                encode_value(element, out);
            }
        }
    }
}

fn encode_json(value: &Json, out: &mut Vec<u8>) {
    match value {
        Json::Null => out.push(JSON_NULL),
        Json::Bool(false) => out.push(JSON_FALSE),
        Json::Bool(true) => out.push(JSON_TRUE),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push(JSON_I64);
                put_varint(out, zigzag(i));
            } else if let Some(u) = n.as_u64() {
                out.push(JSON_U64);
                put_varint(out, u128::from(u));
            } else {
                out.push(JSON_DECIMAL);
                put_bytes(out, n.to_string().as_bytes());
            }
        }
        Json::String(s) => {
            out.push(JSON_STRING);
            put_bytes(out, s.as_bytes());
        }
        Json::Array(items) => {
            out.push(JSON_ARRAY);
            put_varint(out, items.len() as u128);
            for item in items {
                encode_json(item, out);
            }
        }
        Json::Object(map) => {
            out.push(JSON_OBJECT);
            put_varint(out, map.len() as u128);
            for (key, item) in map {
                put_bytes(out, key.as_bytes());
                encode_json(item, out);
            }
        }
    }
}

/// A bounds-checked reader over stored bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn u8(&mut self) -> Result<u8, SqlError> {
        let b = *self.bytes.get(self.pos).ok_or_else(|| corrupted("truncated value"))?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], SqlError> {
        let end = self.pos.checked_add(n).ok_or_else(|| corrupted("length overflow"))?;
        let slice = self.bytes.get(self.pos..end).ok_or_else(|| corrupted("truncated value"))?;
        self.pos = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], SqlError> {
        self.take(N)?.try_into().map_err(|_| corrupted("truncated value"))
    }

    fn varint(&mut self) -> Result<u128, SqlError> {
        let mut result: u128 = 0;
        for shift in (0..126).step_by(7) {
            let b = self.u8()?;
            result |= u128::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                return Ok(result);
            }
        }
        Err(corrupted("varint too long"))
    }

    fn u64(&mut self) -> Result<u64, SqlError> {
        u64::try_from(self.varint()?).map_err(|_| corrupted("varint out of range"))
    }

    fn i64(&mut self) -> Result<i64, SqlError> {
        Ok(unzigzag(self.u64()?))
    }

    fn i32(&mut self) -> Result<i32, SqlError> {
        i32::try_from(self.i64()?).map_err(|_| corrupted("integer out of range"))
    }

    fn len_bytes(&mut self) -> Result<&'a [u8], SqlError> {
        let len = usize::try_from(self.varint()?).map_err(|_| corrupted("bad length"))?;
        self.take(len)
    }

    fn string(&mut self) -> Result<String, SqlError> {
        let bytes = self.len_bytes()?;
        std::str::from_utf8(bytes).map(str::to_string).map_err(|_| corrupted("invalid UTF-8"))
    }

    fn done(&self) -> bool {
        self.pos >= self.bytes.len()
    }
}

/// Decodes a stored row. Fewer stored values than `types` → the rest are NULL. Damaged
/// bytes → Err XX001 (never a panic).
///
/// Values come back as stored (the codec is self-describing); more stored values than
/// `types` is treated as damage.
pub fn decode_row(bytes: &[u8], types: &[DataType]) -> Result<Vec<Value>, SqlError> {
    let mut reader = Reader { bytes, pos: 0 };
    match reader.u8() {
        Ok(ROW_FORMAT_V1) => {}
        Ok(other) => return Err(corrupted(&format!("unknown row format {other}"))),
        Err(_) => return Err(corrupted("empty row")),
    }
    let mut values = Vec::with_capacity(types.len());
    while !reader.done() {
        if values.len() >= types.len() {
            return Err(corrupted("more values than columns"));
        }
        values.push(decode_value(&mut reader)?);
    }
    values.resize(types.len(), Value::Null);
    Ok(values)
}

fn decode_value(r: &mut Reader<'_>) -> Result<Value, SqlError> {
    Ok(match r.u8()? {
        TAG_NULL => Value::Null,
        TAG_FALSE => Value::Bool(false),
        TAG_TRUE => Value::Bool(true),
        TAG_INT2 => {
            Value::Int2(i16::try_from(r.i64()?).map_err(|_| corrupted("int2 out of range"))?)
        }
        TAG_INT4 => Value::Int4(r.i32()?),
        TAG_INT8 => Value::Int8(r.i64()?),
        TAG_FLOAT4 => Value::Float4(f32::from_bits(u32::from_le_bytes(r.array()?))),
        TAG_FLOAT8 => Value::Float8(f64::from_bits(u64::from_le_bytes(r.array()?))),
        TAG_NUMERIC => {
            let flags = r.u8()?;
            let scale = u32::from(flags & 0x3F);
            let magnitude = i128::try_from(r.varint()?).map_err(|_| corrupted("numeric"))?;
            if flags & 0x40 != 0 {
                return Err(corrupted("numeric flags"));
            }
            let mantissa = if flags & 0x80 != 0 { -magnitude } else { magnitude };
            Value::Numeric(
                Decimal::try_from_i128_with_scale(mantissa, scale)
                    .map_err(|_| corrupted("numeric out of range"))?,
            )
        }
        TAG_TEXT => Value::Text(r.string()?),
        TAG_BYTEA => Value::Bytea(r.len_bytes()?.to_vec()),
        TAG_DATE => Value::Date(
            days_to_date(i64::from(r.i32()?)).ok_or_else(|| corrupted("date out of range"))?,
        ),
        TAG_TIMESTAMP => Value::Timestamp(timestamp(r)?),
        TAG_TIMESTAMPTZ => Value::Timestamptz(utc(timestamp(r)?)),
        TAG_INTERVAL => {
            Value::Interval(Interval { months: r.i32()?, days: r.i32()?, micros: r.i64()? })
        }
        TAG_UUID => Value::Uuid(uuid::Uuid::from_bytes(r.array()?)),
        TAG_JSON => Value::Json(r.string()?),
        TAG_JSONB => Value::Jsonb(decode_json(r, 0)?),
        TAG_OID => Value::Oid(u32::try_from(r.varint()?).map_err(|_| corrupted("oid"))?),
        TAG_ARRAY => Value::Array(Box::new(decode_array(r)?)),
        other => return Err(corrupted(&format!("unknown value tag {other}"))),
    })
}

fn decode_array(r: &mut Reader<'_>) -> Result<Array, SqlError> {
    let oid = u32::try_from(r.varint()?).map_err(|_| corrupted("array element type"))?;
    let typmod = r.i32()?;
    let element_type =
        DataType::from_oid_typmod(oid, typmod).ok_or_else(|| corrupted("array element type"))?;
    let ndims = usize::try_from(r.varint()?).map_err(|_| corrupted("array dimensions"))?;
    if ndims > MAX_DIMENSIONS {
        return Err(corrupted("array dimensions"));
    }
    let mut dims = Vec::with_capacity(ndims);
    let mut count: usize = if ndims == 0 { 0 } else { 1 };
    for _ in 0..ndims {
        let length = r.i32()?;
        let lower = r.i32()?;
        let n = usize::try_from(length).map_err(|_| corrupted("array length"))?;
        count = count.checked_mul(n).ok_or_else(|| corrupted("array length"))?;
        dims.push(ArrayDim { length, lower });
    }
    // Every element takes at least one byte: refuse counts the row cannot hold.
    if count > r.bytes.len().saturating_sub(r.pos) {
        return Err(corrupted("array length"));
    }
    let mut elements = Vec::with_capacity(count);
    for _ in 0..count {
        match decode_value(r)? {
            Value::Array(_) => return Err(corrupted("nested array")),
            value => elements.push(value),
        }
    }
    Ok(Array { element_type, dims, elements })
}

fn timestamp(r: &mut Reader<'_>) -> Result<chrono::NaiveDateTime, SqlError> {
    micros_to_timestamp(i64::from_le_bytes(r.array()?))
        .ok_or_else(|| corrupted("timestamp out of range"))
}

fn decode_json(r: &mut Reader<'_>, depth: usize) -> Result<Json, SqlError> {
    if depth > MAX_JSON_DEPTH {
        return Err(corrupted("jsonb nested too deeply"));
    }
    Ok(match r.u8()? {
        JSON_NULL => Json::Null,
        JSON_FALSE => Json::Bool(false),
        JSON_TRUE => Json::Bool(true),
        JSON_I64 => Json::Number(Number::from(r.i64()?)),
        JSON_U64 => Json::Number(Number::from(r.u64()?)),
        JSON_F64 => Json::Number(
            Number::from_f64(f64::from_bits(u64::from_le_bytes(r.array()?)))
                .ok_or_else(|| corrupted("jsonb number"))?,
        ),
        JSON_DECIMAL => Json::Number(
            serde_json::from_str::<Number>(&r.string()?).map_err(|_| corrupted("jsonb number"))?,
        ),
        JSON_STRING => Json::String(r.string()?),
        JSON_ARRAY => {
            let count = r.u64()?;
            // Each element takes at least one byte: a bound on the allocation.
            let remaining = (r.bytes.len() - r.pos.min(r.bytes.len())) as u64;
            if count > remaining {
                return Err(corrupted("jsonb array length"));
            }
            let mut items = Vec::with_capacity(count as usize);
            for _ in 0..count {
                items.push(decode_json(r, depth + 1)?);
            }
            Json::Array(items)
        }
        JSON_OBJECT => {
            let count = r.u64()?;
            let remaining = (r.bytes.len() - r.pos.min(r.bytes.len())) as u64;
            if count > remaining {
                return Err(corrupted("jsonb object length"));
            }
            let mut map = Map::new();
            for _ in 0..count {
                let key = r.string()?;
                let item = decode_json(r, depth + 1)?;
                map.insert(key, item);
            }
            Json::Object(map)
        }
        other => return Err(corrupted(&format!("unknown jsonb tag {other}"))),
    })
}
