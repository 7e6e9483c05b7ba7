//! Text input ([`Value::parse_text`]): PostgreSQL's `*_in` functions for every type, with the
//! type modifier applied (varchar/char length, char padding, numeric precision and scale).
//! Also the string length coercions shared with casts.

use super::datetime::{DateTimeKind, parse_date, parse_datetime, utc};
use super::errors::{invalid_text, value_out_of_range};
use super::float_fmt::{parse_f32, parse_f64};
use super::interval::parse_interval;
use super::json::{parse_jsonb, validate_json};
use super::numeric::{apply_numeric_typmod, is_pg_space, parse_decimal};
use super::value::{DataType, Value};
use crate::sql::error::{SqlError, sqlstate};

/// Longest `name` in bytes (NAMEDATALEN - 1).
pub(crate) const NAME_MAX_BYTES: usize = 63;

impl Value {
    /// Parses PostgreSQL text input for `ty` (`'t'`, `'yes'`, `' 42 '`, `'1e3'`, ISO dates and
    /// timestamps incl. `T` and zone suffixes, `'\x0a'` bytea, uuid with or without dashes,
    /// intervals like `1 day 02:00:00` and `P1D`, json). Errors: 22P02 with PostgreSQL's
    /// message (`invalid input syntax for type integer: "abc"`), 22003 for out-of-range
    /// numbers (`value "99999999999" is out of range for type integer`), 22008/22007 for
    /// dates. Applies `ty`'s modifier (varchar length → 22001, numeric scale rounding,
    /// precision → 22003, char(n) padding).
    pub fn parse_text(ty: &DataType, text: &str) -> Result<Value, SqlError> {
        Ok(match ty {
            DataType::Bool => Value::Bool(parse_bool(text)?),
            DataType::Int2 => Value::Int2(parse_int(text, "smallint")?),
            DataType::Int4 => Value::Int4(parse_int(text, "integer")?),
            DataType::Int8 => Value::Int8(parse_int(text, "bigint")?),
            DataType::Float4 => Value::Float4(parse_f32(text)?),
            DataType::Float8 => Value::Float8(parse_f64(text)?),
            DataType::Numeric { precision, scale } => {
                let d = parse_decimal(text)?;
                match precision {
                    Some(p) => Value::Numeric(apply_numeric_typmod(d, *p, scale.unwrap_or(0))?),
                    None => Value::Numeric(d),
                }
            }
            DataType::Text | DataType::Unknown => Value::Text(text.to_string()),
            DataType::Varchar(_) | DataType::Char(_) | DataType::Name => {
                Value::Text(coerce_string(text, ty, false)?.into_owned())
            }
            DataType::Bytea => Value::Bytea(parse_bytea(text)?),
            DataType::Date => Value::Date(parse_date(text)?),
            DataType::Timestamp => Value::Timestamp(parse_datetime(text, DateTimeKind::Timestamp)?),
            DataType::Timestamptz => {
                Value::Timestamptz(utc(parse_datetime(text, DateTimeKind::Timestamptz)?))
            }
            DataType::Interval => Value::Interval(parse_interval(text)?),
            DataType::Uuid => Value::Uuid(parse_uuid(text)?),
            DataType::Json => {
                validate_json(text)?;
                Value::Json(text.to_string())
            }
            DataType::Jsonb => Value::Jsonb(parse_jsonb(text)?),
            DataType::Oid => Value::Oid(parse_oid(text)?),
            DataType::Array(element) => {
                Value::Array(Box::new(super::array::Array::parse_text(element, text)?))
            }
        })
    }
}

/// `boolin`: t/true/yes/on/1, f/false/no/off/0, any case, unique prefixes, blanks trimmed.
pub(crate) fn parse_bool(text: &str) -> Result<bool, SqlError> {
    let s = text.trim_matches(is_pg_space);
    let lower = s.to_ascii_lowercase();
    let len = lower.len();
    let prefix_of = |word: &str, min: usize| len >= min && word.starts_with(lower.as_str());
    let result = match lower.as_bytes().first() {
        Some(b't') if prefix_of("true", 1) => Some(true),
        Some(b'f') if prefix_of("false", 1) => Some(false),
        Some(b'y') if prefix_of("yes", 1) => Some(true),
        Some(b'n') if prefix_of("no", 1) => Some(false),
        Some(b'o') if prefix_of("on", 2) => Some(true),
        Some(b'o') if prefix_of("off", 2) => Some(false),
        Some(b'1') if len == 1 => Some(true),
        Some(b'0') if len == 1 => Some(false),
        _ => None,
    };
    result.ok_or_else(|| invalid_text("boolean", text))
}

/// `pg_strtoint16/32/64`: optional blanks and sign, decimal digits, optional blanks.
pub(crate) fn parse_int<T: TryFrom<i128>>(text: &str, type_name: &str) -> Result<T, SqlError> {
    let s = text.trim_matches(is_pg_space);
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..).unwrap_or("")),
        Some(b'+') => (false, s.get(1..).unwrap_or("")),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid_text(type_name, text));
    }
    let mut value: i128 = 0;
    for b in digits.bytes() {
        value = value * 10 + i128::from(b - b'0');
        if value > i128::from(u64::MAX) {
            return Err(value_out_of_range(text, type_name));
        }
    }
    if negative {
        value = -value;
    }
    T::try_from(value).map_err(|_| value_out_of_range(text, type_name))
}

/// `oidin`: an unsigned 32-bit number; negative inputs down to -2^31 wrap around.
fn parse_oid(text: &str) -> Result<u32, SqlError> {
    let value: i64 = parse_int(text, "oid")?;
    if (-2_147_483_648..=4_294_967_295).contains(&value) {
        Ok(value as u32)
    } else {
        Err(value_out_of_range(text, "oid"))
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `byteain`: `\x` hex format or the escape format.
pub(crate) fn parse_bytea(text: &str) -> Result<Vec<u8>, SqlError> {
    let bytes = text.as_bytes();
    if let Some(hex) = bytes.strip_prefix(b"\\x") {
        let mut out = Vec::with_capacity(hex.len() / 2);
        let mut pos = 0;
        while let Some(&b) = hex.get(pos) {
            if matches!(b, b' ' | b'\n' | b'\t' | b'\r') {
                pos += 1;
                continue;
            }
            let bad_digit = |c: u8| {
                SqlError::new(
                    sqlstate::INVALID_PARAMETER_VALUE,
                    format!("invalid hexadecimal digit: \"{}\"", char::from(c)),
                )
            };
            let high = hex_value(b).ok_or_else(|| bad_digit(b))?;
            let next = *hex.get(pos + 1).ok_or_else(|| {
                SqlError::new(
                    sqlstate::INVALID_PARAMETER_VALUE,
                    "invalid hexadecimal data: odd number of digits",
                )
            })?;
            let low = hex_value(next).ok_or_else(|| bad_digit(next))?;
            out.push((high << 4) | low);
            pos += 2;
        }
        return Ok(out);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut pos = 0;
    while let Some(&b) = bytes.get(pos) {
        if b != b'\\' {
            out.push(b);
            pos += 1;
            continue;
        }
        match (bytes.get(pos + 1), bytes.get(pos + 2), bytes.get(pos + 3)) {
            (Some(b'\\'), _, _) => {
                out.push(b'\\');
                pos += 2;
            }
            (Some(&a @ b'0'..=b'3'), Some(&m @ b'0'..=b'7'), Some(&c @ b'0'..=b'7')) => {
                out.push(((a - b'0') << 6) | ((m - b'0') << 3) | (c - b'0'));
                pos += 4;
            }
            _ => return Err(invalid_text("bytea", text)),
        }
    }
    Ok(out)
}

/// `uuid_in`: 32 hex digits, optional `{}` and a `-` after any group of four.
pub(crate) fn parse_uuid(text: &str) -> Result<uuid::Uuid, SqlError> {
    let invalid = || invalid_text("uuid", text);
    let bytes = text.as_bytes();
    let mut pos = 0;
    let braces = bytes.first() == Some(&b'{');
    if braces {
        pos = 1;
    }
    let mut out = [0u8; 16];
    for (i, slot) in out.iter_mut().enumerate() {
        let high = bytes.get(pos).copied().and_then(hex_value).ok_or_else(invalid)?;
        let low = bytes.get(pos + 1).copied().and_then(hex_value).ok_or_else(invalid)?;
        *slot = (high << 4) | low;
        pos += 2;
        if bytes.get(pos) == Some(&b'-') && i % 2 == 1 && i < 15 {
            pos += 1;
        }
    }
    if braces {
        if bytes.get(pos) != Some(&b'}') {
            return Err(invalid());
        }
        pos += 1;
    }
    if pos != bytes.len() {
        return Err(invalid());
    }
    Ok(uuid::Uuid::from_bytes(out))
}

fn too_long(ty: &DataType) -> SqlError {
    SqlError::new(
        sqlstate::STRING_DATA_RIGHT_TRUNCATION,
        format!("value too long for type {}", ty.display_name()),
    )
}

/// Byte offset of the `n`th character (or the length when shorter).
fn char_boundary(s: &str, n: usize) -> usize {
    s.char_indices().nth(n).map_or(s.len(), |(i, _)| i)
}

/// Applies a string type's length rule: varchar(n)/char(n) longer than `n` characters are
/// cut when `explicit` or when only spaces are cut, else 22001; char(n) pads with spaces;
/// `name` is cut to 63 bytes. Other types return the text unchanged.
pub(crate) fn coerce_string<'a>(
    text: &'a str,
    ty: &DataType,
    explicit: bool,
) -> Result<std::borrow::Cow<'a, str>, SqlError> {
    use std::borrow::Cow;
    match ty {
        DataType::Varchar(Some(n)) | DataType::Char(Some(n)) => {
            let n = *n as usize;
            // Fast path: no more bytes than allowed characters.
            if text.len() <= n && matches!(ty, DataType::Varchar(_)) {
                return Ok(Cow::Borrowed(text));
            }
            let cut = char_boundary(text, n);
            let (kept, rest) = text.split_at(cut);
            if !rest.is_empty() && !explicit && !rest.bytes().all(|b| b == b' ') {
                return Err(too_long(ty));
            }
            if matches!(ty, DataType::Char(_)) {
                let len = kept.chars().count();
                if len < n {
                    let mut padded = String::with_capacity(kept.len() + n - len);
                    padded.push_str(kept);
                    padded.extend(std::iter::repeat_n(' ', n - len));
                    return Ok(Cow::Owned(padded));
                }
            }
            Ok(Cow::Borrowed(kept))
        }
        DataType::Name if text.len() > NAME_MAX_BYTES => {
            let mut cut = NAME_MAX_BYTES;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            Ok(Cow::Borrowed(text.get(..cut).unwrap_or("")))
        }
        _ => Ok(Cow::Borrowed(text)),
    }
}

/// Text of a char(n) value as `text` sees it: trailing spaces removed.
pub fn bpchar_trim(s: &str) -> &str {
    s.trim_end_matches(' ')
}
