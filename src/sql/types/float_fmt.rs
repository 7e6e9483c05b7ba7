//! Float text I/O as PostgreSQL 15 does it with `extra_float_digits = 1`: shortest
//! round-trip digits, fixed notation for decimal exponents in `-4..15` (float8) or `-4..6`
//! (float4) and `1e+20` style otherwise; `NaN`, `Infinity`, `-Infinity`, `-0`. Input accepts
//! strtod syntax plus `inf`/`infinity`/`nan` in any case and rejects overflow and underflow.

use super::errors::invalid_text;
use super::numeric::is_pg_space;
use crate::sql::error::{SqlError, sqlstate};
use std::fmt::Write;

/// A fixed stack buffer implementing `fmt::Write` (float formatting without allocation).
struct StackBuf {
    buf: [u8; 64],
    len: usize,
}

impl StackBuf {
    fn new() -> Self {
        Self { buf: [0; 64], len: 0 }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(self.buf.get(..self.len).unwrap_or(&[])).unwrap_or("")
    }
}

impl Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(std::fmt::Error)?;
        let target = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        target.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Writes a float8 as `float8out` does.
pub(crate) fn write_f64<W: Write>(value: f64, out: &mut W) {
    if value.is_nan() {
        let _ = out.write_str("NaN");
    } else if value.is_infinite() {
        let _ = out.write_str(if value > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        let mut buf = StackBuf::new();
        let _ = write!(buf, "{value:e}");
        write_shortest(buf.as_str(), 15, out);
    }
}

/// Writes a float4 as `float4out` does.
pub(crate) fn write_f32<W: Write>(value: f32, out: &mut W) {
    if value.is_nan() {
        let _ = out.write_str("NaN");
    } else if value.is_infinite() {
        let _ = out.write_str(if value > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        let mut buf = StackBuf::new();
        let _ = write!(buf, "{value:e}");
        write_shortest(buf.as_str(), 6, out);
    }
}

/// Re-lays Rust's shortest `{:e}` output (`-1.5e-7`) in PostgreSQL's style.
fn write_shortest<W: Write>(sci: &str, fixed_limit: i32, out: &mut W) {
    let (negative, body) = match sci.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, sci),
    };
    let (mantissa, exponent) = body.split_once('e').unwrap_or((body, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let mut digits = [0u8; 24];
    let mut ndigits = 0;
    for b in mantissa.bytes().filter(u8::is_ascii_digit) {
        if let Some(slot) = digits.get_mut(ndigits) {
            *slot = b;
            ndigits += 1;
        }
    }
    let digits = std::str::from_utf8(digits.get(..ndigits).unwrap_or(&[])).unwrap_or("0");
    if negative {
        let _ = out.write_char('-');
    }
    if exponent < -4 || exponent >= fixed_limit {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        let _ = out.write_str(first);
        if !rest.is_empty() {
            let _ = out.write_char('.');
            let _ = out.write_str(rest);
        }
        let sign = if exponent < 0 { '-' } else { '+' };
        let _ = write!(out, "e{sign}{:02}", exponent.unsigned_abs());
    } else if exponent >= 0 {
        let int_len = exponent as usize + 1;
        if digits.len() <= int_len {
            let _ = out.write_str(digits);
            for _ in digits.len()..int_len {
                let _ = out.write_char('0');
            }
        } else {
            let (int_part, frac_part) = digits.split_at(int_len);
            let _ = write!(out, "{int_part}.{frac_part}");
        }
    } else {
        let _ = out.write_str("0.");
        for _ in 0..(-exponent - 1) {
            let _ = out.write_char('0');
        }
        let _ = out.write_str(digits);
    }
}

/// Checks strtod syntax: `[+-]` then `digits[.digits]` or `.digits`, then `[eE][+-]digits`.
/// Returns whether the mantissa has a nonzero digit.
fn check_float_syntax(s: &str) -> Option<bool> {
    let bytes = s.as_bytes();
    let mut pos = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
    let mut digits = 0;
    let mut nonzero = false;
    let mut seen_point = false;
    while let Some(&b) = bytes.get(pos) {
        match b {
            b'0'..=b'9' => {
                digits += 1;
                nonzero |= b != b'0';
            }
            b'.' if !seen_point => seen_point = true,
            _ => break,
        }
        pos += 1;
    }
    if digits == 0 {
        return None;
    }
    if matches!(bytes.get(pos), Some(b'e' | b'E')) {
        pos += 1;
        if matches!(bytes.get(pos), Some(b'+' | b'-')) {
            pos += 1;
        }
        let start = pos;
        while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
            pos += 1;
        }
        if pos == start {
            return None;
        }
    }
    (pos == bytes.len()).then_some(nonzero)
}

/// `inf`, `-Infinity`, `NaN`, ... in any case.
fn special_float(s: &str) -> Option<f64> {
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..)?),
        Some(b'+') => (false, s.get(1..)?),
        _ => (false, s),
    };
    if body.eq_ignore_ascii_case("nan") {
        Some(f64::NAN)
    } else if body.eq_ignore_ascii_case("inf") || body.eq_ignore_ascii_case("infinity") {
        Some(if negative { f64::NEG_INFINITY } else { f64::INFINITY })
    } else {
        None
    }
}

fn float_out_of_range(input: &str, type_name: &str) -> SqlError {
    SqlError::new(
        sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
        format!("\"{input}\" is out of range for type {type_name}"),
    )
}

/// `float8in`.
pub(crate) fn parse_f64(text: &str) -> Result<f64, SqlError> {
    const NAME: &str = "double precision";
    let s = text.trim_matches(is_pg_space);
    if let Some(v) = special_float(s) {
        return Ok(v);
    }
    let nonzero = check_float_syntax(s).ok_or_else(|| invalid_text(NAME, text))?;
    let value: f64 = s.parse().map_err(|_| invalid_text(NAME, text))?;
    if value.is_infinite() || (value == 0.0 && nonzero) {
        return Err(float_out_of_range(text, NAME));
    }
    Ok(value)
}

/// `float4in`.
pub(crate) fn parse_f32(text: &str) -> Result<f32, SqlError> {
    const NAME: &str = "real";
    let s = text.trim_matches(is_pg_space);
    if let Some(v) = special_float(s) {
        return Ok(v as f32);
    }
    let nonzero = check_float_syntax(s).ok_or_else(|| invalid_text(NAME, text))?;
    let value: f32 = s.parse().map_err(|_| invalid_text(NAME, text))?;
    if value.is_infinite() || (value == 0.0 && nonzero) {
        return Err(float_out_of_range(text, NAME));
    }
    Ok(value)
}
