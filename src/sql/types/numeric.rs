//! `numeric` arithmetic details on top of `rust_decimal`: PostgreSQL's text syntax, typmod
//! rounding and overflow checks, display scale of division, the base-10000 digit form used
//! by the binary wire format, and conversions to and from floats and integers.
//!
//! Limits: `rust_decimal` holds 28–29 significant digits and at most 28 fractional digits,
//! and has no NaN or infinities; values beyond that report 22003 or 0A000.

use super::errors::{
    bad_binary, division_by_zero, invalid_text, numeric_out_of_range, numeric_overflow, unsupported,
};
use crate::sql::error::SqlError;
use rust_decimal::Decimal;

/// 0A000: numeric NaN and infinities cannot be represented.
pub(crate) fn unsupported_numeric() -> SqlError {
    unsupported("numeric NaN and infinity are not supported")
}

/// Largest scale `rust_decimal` can hold.
pub(crate) const MAX_SCALE: u32 = 28;
/// PostgreSQL's NUMERIC_MIN_SIG_DIGITS: division keeps at least this many significant digits.
const MIN_SIG_DIGITS: i64 = 16;

/// Whitespace as C's `isspace` sees it (what PostgreSQL trims around numbers, dates, ...).
pub(crate) fn is_pg_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

/// Parses PostgreSQL numeric text input (`' -1.50e3 '`); the result keeps the written scale.
pub(crate) fn parse_decimal(text: &str) -> Result<Decimal, SqlError> {
    let syntax = || invalid_text("numeric", text);
    let s = text.trim_matches(is_pg_space);
    let bytes = s.as_bytes();
    let mut pos = 0;
    let mut negative = false;
    match bytes.first() {
        Some(b'-') => {
            negative = true;
            pos = 1;
        }
        Some(b'+') => pos = 1,
        _ => {}
    }
    let rest = s.get(pos..).ok_or_else(syntax)?;
    if rest.eq_ignore_ascii_case("nan")
        || rest.eq_ignore_ascii_case("infinity")
        || rest.eq_ignore_ascii_case("inf")
    {
        return Err(unsupported_numeric());
    }
    let mut digits: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut frac_len: i64 = 0;
    let mut seen_point = false;
    let mut any_digit = false;
    while let Some(&b) = bytes.get(pos) {
        match b {
            b'0'..=b'9' => {
                any_digit = true;
                if !(digits.is_empty() && b == b'0') {
                    digits.push(b - b'0');
                }
                if seen_point {
                    frac_len += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => break,
        }
        pos += 1;
    }
    if !any_digit {
        return Err(syntax());
    }
    let mut exponent: i64 = 0;
    if matches!(bytes.get(pos), Some(b'e' | b'E')) {
        pos += 1;
        let mut exp_negative = false;
        match bytes.get(pos) {
            Some(b'-') => {
                exp_negative = true;
                pos += 1;
            }
            Some(b'+') => pos += 1,
            _ => {}
        }
        let start = pos;
        while let Some(&b) = bytes.get(pos) {
            if !b.is_ascii_digit() {
                break;
            }
            exponent = exponent.saturating_mul(10).saturating_add(i64::from(b - b'0'));
            pos += 1;
        }
        if pos == start {
            return Err(syntax());
        }
        if exponent > 1000 {
            return Err(syntax());
        }
        if exp_negative {
            exponent = -exponent;
        }
    }
    if pos != bytes.len() {
        return Err(syntax());
    }
    decimal_from_digits(negative, digits, frac_len - exponent)
}

/// Builds a decimal from significant digits (no leading zeros) and a scale (may be negative:
/// the digits are then multiplied by 10^-scale). Too many fractional digits are rounded half
/// away from zero; too large a value is 22003.
pub(crate) fn decimal_from_digits(
    negative: bool,
    mut digits: Vec<u8>,
    mut scale: i64,
) -> Result<Decimal, SqlError> {
    if digits.is_empty() {
        let zero_scale = scale.clamp(0, i64::from(MAX_SCALE)) as u32;
        return Ok(Decimal::new(0, zero_scale));
    }
    if scale < 0 {
        let zeros = usize::try_from(-scale).map_err(|_| numeric_overflow())?;
        if digits.len().saturating_add(zeros) > 40 {
            return Err(numeric_overflow());
        }
        digits.resize(digits.len() + zeros, 0);
        scale = 0;
    }
    // Drop fractional digits (rounding) until the scale and the mantissa fit rust_decimal.
    loop {
        let too_precise = scale > i64::from(MAX_SCALE);
        let too_long = digits.len() > 29 && scale > 0;
        if !too_precise && !too_long {
            break;
        }
        round_off_last_digit(&mut digits);
        scale -= 1;
    }
    if digits.len() > 38 {
        return Err(numeric_overflow());
    }
    let mut mantissa: i128 = 0;
    for d in &digits {
        mantissa = mantissa * 10 + i128::from(*d);
    }
    if negative {
        mantissa = -mantissa;
    }
    let scale = u32::try_from(scale).map_err(|_| numeric_overflow())?;
    match Decimal::try_from_i128_with_scale(mantissa, scale) {
        Ok(d) => Ok(d),
        // A value too wide for 96 bits: keep fewer fractional digits if there are any.
        Err(_) if scale > 0 => {
            let mut shorter = digits;
            round_off_last_digit(&mut shorter);
            decimal_from_digits(negative, shorter, i64::from(scale) - 1)
        }
        Err(_) => Err(numeric_overflow()),
    }
}

/// Removes the last digit, rounding half away from zero into the remaining ones.
fn round_off_last_digit(digits: &mut Vec<u8>) {
    let last = digits.pop().unwrap_or(0);
    if last < 5 {
        return;
    }
    for d in digits.iter_mut().rev() {
        if *d == 9 {
            *d = 0;
        } else {
            *d += 1;
            return;
        }
    }
    digits.insert(0, 1);
}

fn pow10(exp: u32) -> Option<i128> {
    10i128.checked_pow(exp)
}

/// The value with exactly `scale` fractional digits (rounded half away from zero), or `None`
/// when that does not fit. Scales above 28 are capped at 28.
pub(crate) fn set_scale(d: Decimal, scale: u32) -> Option<Decimal> {
    let scale = scale.min(MAX_SCALE);
    let current = d.scale();
    let mantissa = d.mantissa();
    if scale == current {
        return Some(if mantissa == 0 { Decimal::new(0, scale) } else { d });
    }
    let result = if scale > current {
        mantissa.checked_mul(pow10(scale - current)?)?
    } else {
        let divisor = pow10(current - scale)?;
        let quotient = mantissa / divisor;
        let remainder = (mantissa % divisor).abs();
        if remainder.checked_mul(2)? >= divisor { quotient + mantissa.signum() } else { quotient }
    };
    Decimal::try_from_i128_with_scale(result, scale).ok()
}

/// Number of decimal digits of `m` (0 for 0).
fn digit_count(m: u128) -> i64 {
    if m == 0 { 0 } else { i64::from(m.ilog10()) + 1 }
}

/// Applies `numeric(precision, scale)`: rounds to `scale` digits half away from zero, then
/// fails with 22003 `numeric field overflow` when the integer part needs more than
/// `precision - scale` digits.
pub(crate) fn apply_numeric_typmod(
    d: Decimal,
    precision: u32,
    scale: u32,
) -> Result<Decimal, SqlError> {
    let rounded = set_scale(d, scale).ok_or_else(numeric_overflow)?;
    let max_digits = i64::from(precision) - i64::from(scale);
    let magnitude = rounded.mantissa().unsigned_abs();
    if magnitude != 0 && digit_count(magnitude) - i64::from(rounded.scale()) > max_digits {
        let bound = if max_digits == 0 { "1".to_string() } else { format!("10^{max_digits}") };
        return Err(numeric_out_of_range("numeric field overflow").with_detail(format!(
            "A field with precision {precision}, scale {scale} must round to an absolute value \
             less than {bound}."
        )));
    }
    Ok(rounded)
}

/// A numeric in PostgreSQL's base-10000 form (binary wire format and division scale).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Base10000 {
    pub digits: [u16; 20],
    pub ndigits: usize,
    pub weight: i16,
    pub negative: bool,
    pub dscale: u16,
}

impl Base10000 {
    pub(crate) fn digits(&self) -> &[u16] {
        self.digits.get(..self.ndigits).unwrap_or(&[])
    }
}

/// Splits a decimal into base-10000 digits with leading and trailing zero digits removed.
pub(crate) fn to_base10000(d: Decimal) -> Base10000 {
    let scale = d.scale();
    let magnitude = d.mantissa().unsigned_abs();
    let mut out =
        Base10000 { digits: [0; 20], ndigits: 0, weight: 0, negative: false, dscale: scale as u16 };
    if magnitude == 0 {
        return out;
    }
    out.negative = d.is_sign_negative();
    let divisor = 10u128.pow(scale);
    let mut int_part = magnitude / divisor;
    let frac = magnitude % divisor;
    let frac_groups = scale.div_ceil(4);
    let frac_scaled = frac * 10u128.pow(frac_groups * 4 - scale);
    // Integer digits, least significant first.
    let mut int_digits = [0u16; 10];
    let mut int_len = 0;
    while int_part > 0 && int_len < int_digits.len() {
        int_digits[int_len] = (int_part % 10_000) as u16;
        int_part /= 10_000;
        int_len += 1;
    }
    let mut all = [0u16; 20];
    let mut len = 0;
    for i in (0..int_len).rev() {
        all[len] = int_digits[i];
        len += 1;
    }
    for i in (0..frac_groups).rev() {
        let digit = (frac_scaled / 10_000u128.pow(i)) % 10_000;
        if len < all.len() {
            all[len] = digit as u16;
            len += 1;
        }
    }
    let mut weight = int_len as i16 - 1;
    let mut start = 0;
    while start < len && all[start] == 0 {
        start += 1;
        weight -= 1;
    }
    let mut end = len;
    while end > start && all[end - 1] == 0 {
        end -= 1;
    }
    for (i, digit) in all[start..end].iter().enumerate() {
        out.digits[i] = *digit;
    }
    out.ndigits = end - start;
    out.weight = weight;
    out
}

/// Rebuilds a decimal from base-10000 digits (binary wire input). Digits hidden by `dscale`
/// are truncated away, as PostgreSQL's `numeric_recv` does. Bad digits are 22P03.
pub(crate) fn from_base10000(
    digits: &[u16],
    weight: i16,
    negative: bool,
    dscale: u16,
) -> Result<Decimal, SqlError> {
    let scale = u32::from(dscale).min(MAX_SCALE);
    let mut mantissa: i128 = 0;
    for (i, digit) in digits.iter().enumerate() {
        if *digit >= 10_000 {
            return Err(bad_binary().with_detail("invalid digit in external \"numeric\" value"));
        }
        let position = i64::from(weight) - i as i64;
        let exponent = position * 4 + i64::from(scale);
        let contribution = if exponent >= 0 {
            let factor = u32::try_from(exponent).ok().and_then(pow10);
            match factor {
                Some(f) => i128::from(*digit).checked_mul(f),
                None if *digit == 0 => Some(0),
                None => None,
            }
        } else if exponent > -5 {
            pow10(u32::try_from(-exponent).unwrap_or(0)).map(|f| i128::from(*digit) / f)
        } else {
            Some(0)
        };
        mantissa =
            contribution.and_then(|c| mantissa.checked_add(c)).ok_or_else(numeric_overflow)?;
    }
    if negative {
        mantissa = -mantissa;
    }
    Decimal::try_from_i128_with_scale(mantissa, scale).map_err(|_| numeric_overflow())
}

/// PostgreSQL's `select_div_scale`: the display scale of `a / b`.
fn div_scale(a: Decimal, b: Decimal) -> u32 {
    let first = |d: Decimal| {
        let base = to_base10000(d);
        match base.digits().first() {
            Some(digit) => (i64::from(base.weight), *digit),
            None => (0, 0),
        }
    };
    let (weight1, first1) = first(a);
    let (weight2, first2) = first(b);
    let mut qweight = weight1 - weight2;
    if first1 <= first2 {
        qweight -= 1;
    }
    let rscale = (MIN_SIG_DIGITS - qweight * 4)
        .max(i64::from(a.scale()))
        .max(i64::from(b.scale()))
        .clamp(0, 1000);
    rscale as u32
}

/// `a / b` with PostgreSQL's result scale (capped at 28 digits), 22012 on zero.
pub(crate) fn numeric_div(a: Decimal, b: Decimal) -> Result<Decimal, SqlError> {
    if b.is_zero() {
        return Err(division_by_zero());
    }
    let scale = div_scale(a, b).min(MAX_SCALE);
    let mut quotient = a.checked_div(b).ok_or_else(numeric_overflow)?;
    quotient.rescale(scale);
    Ok(normalize_zero(quotient))
}

/// `a % b` (sign of the dividend, scale of the wider operand), 22012 on zero.
pub(crate) fn numeric_rem(a: Decimal, b: Decimal) -> Result<Decimal, SqlError> {
    if b.is_zero() {
        return Err(division_by_zero());
    }
    let rem = a.checked_rem(b).ok_or_else(numeric_overflow)?;
    let scale = a.scale().max(b.scale());
    Ok(normalize_zero(set_scale(rem, scale).unwrap_or(rem)))
}

/// Replaces a negative zero by a positive one (numeric has no signed zero).
pub(crate) fn normalize_zero(d: Decimal) -> Decimal {
    if d.is_zero() && d.is_sign_negative() {
        let mut z = d;
        z.set_sign_negative(false);
        z
    } else {
        d
    }
}

/// Rounds half away from zero to an integer (numeric → int casts).
pub(crate) fn round_to_i128(d: Decimal) -> Option<i128> {
    set_scale(d, 0).map(|r| r.mantissa())
}

/// The nearest double (numeric → float8 goes through text in PostgreSQL too).
pub(crate) fn to_f64(d: Decimal) -> f64 {
    d.to_string().parse::<f64>().unwrap_or(f64::NAN)
}

/// A float converted the way PostgreSQL's float → numeric cast does it: via `%.*g` with
/// `significant` digits (15 for float8, 6 for float4).
pub(crate) fn from_float(value: f64, significant: usize) -> Result<Decimal, SqlError> {
    if value.is_nan() || value.is_infinite() {
        return Err(unsupported_numeric());
    }
    let formatted = format!("{:.*e}", significant.saturating_sub(1), value);
    let (mantissa, exponent) = formatted.split_once('e').unwrap_or((formatted.as_str(), "0"));
    let mantissa = if mantissa.contains('.') {
        mantissa.trim_end_matches('0').trim_end_matches('.')
    } else {
        mantissa
    };
    parse_decimal(&format!("{mantissa}e{exponent}"))
}

/// Checked numeric addition/subtraction/multiplication result (22003 on overflow).
pub(crate) fn checked(result: Option<Decimal>) -> Result<Decimal, SqlError> {
    result.map(normalize_zero).ok_or_else(numeric_overflow)
}
