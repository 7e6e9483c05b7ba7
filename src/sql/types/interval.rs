//! `interval`: PostgreSQL's `postgres` IntervalStyle output (`1 year 2 mons 3 days
//! 04:05:06.5`), the text input parser (verbose units, `HH:MM:SS` fields, `@ ... ago`, ISO
//! 8601 `P1Y2M3DT4H5M6S`) and interval arithmetic (sums, scaling, the 30-day-month span
//! used for comparison, `justify_hours`).

use super::datetime::{USECS_PER_DAY, USECS_PER_HOUR, USECS_PER_MINUTE, USECS_PER_SEC};
use super::errors::{datetime_overflow, division_by_zero, invalid_datetime};
use super::numeric::{is_pg_space, parse_decimal};
use super::value::Interval;
use crate::sql::error::{SqlError, sqlstate};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use std::fmt::Write;

const DAYS_PER_MONTH: i64 = 30;

fn out_of_range() -> SqlError {
    datetime_overflow("interval out of range")
}

/// Writes the `postgres` IntervalStyle form.
pub(crate) fn write_interval<W: Write>(iv: Interval, out: &mut W) {
    let year = iv.months / 12;
    let mon = iv.months % 12;
    let mut is_zero = true;
    let mut is_before = false;
    for (value, unit) in
        [(i64::from(year), "year"), (i64::from(mon), "mon"), (i64::from(iv.days), "day")]
    {
        if value == 0 {
            continue;
        }
        let _ = write!(
            out,
            "{}{}{} {}{}",
            if is_zero { "" } else { " " },
            if is_before && value > 0 { "+" } else { "" },
            value,
            unit,
            if value != 1 { "s" } else { "" }
        );
        is_before = value < 0;
        is_zero = false;
    }
    let time = iv.micros;
    let hour = time / USECS_PER_HOUR;
    let rest = time - hour * USECS_PER_HOUR;
    let min = rest / USECS_PER_MINUTE;
    let rest = rest - min * USECS_PER_MINUTE;
    let sec = rest / USECS_PER_SEC;
    let fsec = rest - sec * USECS_PER_SEC;
    if is_zero || time != 0 {
        let minus = hour < 0 || min < 0 || sec < 0 || fsec < 0;
        let _ = write!(
            out,
            "{}{}{:02}:{:02}:{:02}",
            if is_zero { "" } else { " " },
            if minus {
                "-"
            } else if is_before {
                "+"
            } else {
                ""
            },
            hour.unsigned_abs(),
            min.unsigned_abs(),
            sec.unsigned_abs()
        );
        super::datetime::write_fraction(fsec, out);
    }
}

/// Accumulates interval fields while parsing.
#[derive(Default)]
struct Acc {
    months: Decimal,
    days: Decimal,
    micros: Decimal,
}

impl Acc {
    fn add_months(&mut self, value: Decimal) -> Option<()> {
        let whole = value.trunc();
        self.months = self.months.checked_add(whole)?;
        self.add_days(value.checked_sub(whole)?.checked_mul(Decimal::from(DAYS_PER_MONTH))?)
    }

    fn add_days(&mut self, value: Decimal) -> Option<()> {
        let whole = value.trunc();
        self.days = self.days.checked_add(whole)?;
        let frac = value.checked_sub(whole)?;
        self.micros = self.micros.checked_add(frac.checked_mul(Decimal::from(USECS_PER_DAY))?)?;
        Some(())
    }

    fn add_micros(&mut self, value: Decimal, unit: i64) -> Option<()> {
        self.micros = self.micros.checked_add(value.checked_mul(Decimal::from(unit))?)?;
        Some(())
    }

    /// Years and larger: whole units to months, the fraction rounded to whole months.
    fn add_years(&mut self, value: Decimal, months_per_unit: i64) -> Option<()> {
        let unit = Decimal::from(months_per_unit);
        let whole = value.trunc();
        let frac_months = value
            .checked_sub(whole)?
            .checked_mul(unit)?
            .round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven);
        self.months =
            self.months.checked_add(whole.checked_mul(unit)?)?.checked_add(frac_months)?;
        Some(())
    }

    fn apply(&mut self, value: Decimal, unit: &str) -> Option<bool> {
        match unit {
            "microsecond" | "microseconds" | "us" | "usec" | "usecs" | "useconds" => {
                self.add_micros(value, 1)?
            }
            "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" | "mseconds" => {
                self.add_micros(value, 1000)?
            }
            "second" | "seconds" | "s" | "sec" | "secs" => self.add_micros(value, USECS_PER_SEC)?,
            "minute" | "minutes" | "m" | "min" | "mins" => {
                self.add_micros(value, USECS_PER_MINUTE)?
            }
            "hour" | "hours" | "h" | "hr" | "hrs" => self.add_micros(value, USECS_PER_HOUR)?,
            "day" | "days" | "d" => self.add_days(value)?,
            "week" | "weeks" | "w" => self.add_days(value.checked_mul(Decimal::from(7))?)?,
            "month" | "months" | "mon" | "mons" => self.add_months(value)?,
            "year" | "years" | "y" | "yr" | "yrs" => self.add_years(value, 12)?,
            "decade" | "decades" | "dec" | "decs" => self.add_years(value, 120)?,
            "century" | "centuries" | "c" | "cent" => self.add_years(value, 1200)?,
            "millennium" | "millennia" | "mil" | "mils" => self.add_years(value, 12000)?,
            _ => return Some(false),
        }
        Some(true)
    }

    fn finish(self, negate: bool) -> Option<Interval> {
        let micros = self.micros.round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven);
        let mut iv = Interval {
            months: self.months.to_i32()?,
            days: self.days.to_i32()?,
            micros: micros.to_i64()?,
        };
        if negate {
            iv = neg(iv).ok()?;
        }
        Some(iv)
    }
}

/// `interval_in`.
pub(crate) fn parse_interval(text: &str) -> Result<Interval, SqlError> {
    let invalid = || invalid_datetime("interval", text);
    let field_overflow = || {
        SqlError::new(
            sqlstate::DATETIME_FIELD_OVERFLOW,
            format!("interval field value out of range: \"{text}\""),
        )
    };
    let lower = text.trim_matches(is_pg_space).to_ascii_lowercase();
    if lower.is_empty() {
        return Err(invalid());
    }
    if let Some(iso) = lower.strip_prefix('p') {
        return parse_iso(iso).ok_or_else(invalid)?.ok_or_else(field_overflow);
    }
    let body = lower.strip_prefix('@').unwrap_or(&lower);
    let tokens: Vec<&str> = tokenize(body).ok_or_else(invalid)?;
    let mut acc = Acc::default();
    let mut ago = false;
    let mut i = 0;
    let mut any_field = false;
    while let Some(token) = tokens.get(i) {
        i += 1;
        if ago {
            return Err(invalid());
        }
        let first = token.as_bytes().first().copied().unwrap_or(b' ');
        if first.is_ascii_alphabetic() {
            if *token == "ago" && any_field {
                ago = true;
                continue;
            }
            return Err(invalid());
        }
        any_field = true;
        if token.contains(':') {
            let micros = parse_time_field(token).ok_or_else(invalid)?;
            acc.micros = acc.micros.checked_add(micros).ok_or_else(field_overflow)?;
            continue;
        }
        let value = parse_decimal(token).map_err(|_| invalid())?;
        match tokens.get(i) {
            Some(unit)
                if unit.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
                    && *unit != "ago" =>
            {
                i += 1;
                if !acc.apply(value, unit).ok_or_else(field_overflow)? {
                    return Err(invalid());
                }
            }
            // A bare number before a time field counts days; otherwise seconds.
            Some(next) if next.contains(':') => {
                acc.add_days(value).ok_or_else(field_overflow)?;
            }
            _ => {
                acc.add_micros(value, USECS_PER_SEC).ok_or_else(field_overflow)?;
            }
        }
    }
    if !any_field {
        return Err(invalid());
    }
    acc.finish(ago).ok_or_else(field_overflow)
}

/// Splits into numbers (with sign, point and colons) and words.
fn tokenize(body: &str) -> Option<Vec<&str>> {
    let bytes = body.as_bytes();
    let mut tokens = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let b = *bytes.get(pos)?;
        if b.is_ascii_whitespace() || b == b',' {
            pos += 1;
            continue;
        }
        let start = pos;
        if b.is_ascii_alphabetic() {
            while bytes.get(pos).is_some_and(u8::is_ascii_alphabetic) {
                pos += 1;
            }
        } else if b.is_ascii_digit() || b == b'+' || b == b'-' || b == b'.' {
            pos += 1;
            while bytes.get(pos).is_some_and(|c| c.is_ascii_digit() || *c == b'.' || *c == b':') {
                pos += 1;
            }
            // An exponent (`1e3`) belongs to the number.
            if bytes.get(pos) == Some(&b'e')
                && bytes
                    .get(pos + 1)
                    .is_some_and(|c| c.is_ascii_digit() || *c == b'-' || *c == b'+')
                && bytes.get(pos + 2).is_some_and(u8::is_ascii_digit)
            {
                pos += 2;
                while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
                    pos += 1;
                }
            }
        } else {
            return None;
        }
        tokens.push(body.get(start..pos)?);
    }
    Some(tokens)
}

/// `[+-]h:m[:s[.f]]` as microseconds.
fn parse_time_field(token: &str) -> Option<Decimal> {
    let (negative, body) = match token.as_bytes().first() {
        Some(b'-') => (true, token.get(1..)?),
        Some(b'+') => (false, token.get(1..)?),
        _ => (false, token),
    };
    let mut parts = body.split(':');
    let hours: i64 = parts.next()?.parse().ok()?;
    let minutes: i64 = parts.next()?.parse().ok()?;
    let seconds = match parts.next() {
        Some(s) if !s.is_empty() && !s.starts_with(['+', '-']) => parse_decimal(s).ok()?,
        Some(_) => return None,
        None => Decimal::ZERO,
    };
    if parts.next().is_some() || minutes > 59 || seconds >= Decimal::from(61) {
        return None;
    }
    let total = Decimal::from(hours)
        .checked_mul(Decimal::from(USECS_PER_HOUR))?
        .checked_add(Decimal::from(minutes * USECS_PER_MINUTE))?
        .checked_add(seconds.checked_mul(Decimal::from(USECS_PER_SEC))?)?;
    Some(if negative { -total } else { total })
}

/// ISO 8601 `P1Y2M3W4DT5H6M7.5S` (after the `P`). Outer `None` = syntax error, inner `None`
/// = out of range.
fn parse_iso(body: &str) -> Option<Option<Interval>> {
    let bytes = body.as_bytes();
    let mut acc = Acc::default();
    let mut pos = 0;
    let mut in_time = false;
    let mut any = false;
    while pos < bytes.len() {
        if bytes.get(pos) == Some(&b't') {
            if in_time {
                return None;
            }
            in_time = true;
            pos += 1;
            continue;
        }
        let start = pos;
        if matches!(bytes.get(pos), Some(b'-' | b'+')) {
            pos += 1;
        }
        while bytes.get(pos).is_some_and(|c| c.is_ascii_digit() || *c == b'.') {
            pos += 1;
        }
        let value = parse_decimal(body.get(start..pos)?).ok()?;
        let designator = *bytes.get(pos)?;
        pos += 1;
        let unit = match (in_time, designator) {
            (false, b'y') => "year",
            (false, b'm') => "month",
            (false, b'w') => "week",
            (false, b'd') => "day",
            (true, b'h') => "hour",
            (true, b'm') => "minute",
            (true, b's') => "second",
            _ => return None,
        };
        match acc.apply(value, unit) {
            Some(true) => {}
            Some(false) => return None,
            None => return Some(None),
        }
        any = true;
    }
    if !any {
        return None;
    }
    Some(acc.finish(false))
}

/// The comparison key: months count 30 days, days 24 hours (PostgreSQL's `interval_cmp`).
pub(crate) fn span(iv: Interval) -> i128 {
    (i128::from(iv.months) * 30 + i128::from(iv.days)) * i128::from(USECS_PER_DAY)
        + i128::from(iv.micros)
}

pub(crate) fn add(a: Interval, b: Interval) -> Result<Interval, SqlError> {
    Ok(Interval {
        months: a.months.checked_add(b.months).ok_or_else(out_of_range)?,
        days: a.days.checked_add(b.days).ok_or_else(out_of_range)?,
        micros: a.micros.checked_add(b.micros).ok_or_else(out_of_range)?,
    })
}

pub(crate) fn sub(a: Interval, b: Interval) -> Result<Interval, SqlError> {
    Ok(Interval {
        months: a.months.checked_sub(b.months).ok_or_else(out_of_range)?,
        days: a.days.checked_sub(b.days).ok_or_else(out_of_range)?,
        micros: a.micros.checked_sub(b.micros).ok_or_else(out_of_range)?,
    })
}

pub(crate) fn neg(a: Interval) -> Result<Interval, SqlError> {
    Ok(Interval {
        months: a.months.checked_neg().ok_or_else(out_of_range)?,
        days: a.days.checked_neg().ok_or_else(out_of_range)?,
        micros: a.micros.checked_neg().ok_or_else(out_of_range)?,
    })
}

/// PostgreSQL's TSROUND: round to microsecond precision.
fn ts_round(value: f64) -> f64 {
    (value * 1e6).round_ties_even() / 1e6
}

fn fits_i32(value: f64) -> bool {
    (-2_147_483_648.0..2_147_483_648.0).contains(&value)
}

fn fits_i64(value: f64) -> bool {
    (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&value)
}

/// Shared body of `interval_mul` / `interval_div`: `months`, `days` and `time` are the
/// already scaled components (still fractional).
fn cascade(months: f64, days: f64, time: f64) -> Result<Interval, SqlError> {
    if !fits_i32(months) || !fits_i32(days) {
        return Err(out_of_range());
    }
    let result_months = months as i32;
    let mut result_days = days as i32;
    let month_remainder_days = ts_round((months - f64::from(result_months)) * 30.0);
    let mut sec_remainder = ts_round(
        (days - f64::from(result_days) + month_remainder_days
            - f64::from(month_remainder_days as i32))
            * 86_400.0,
    );
    if sec_remainder.abs() >= 86_400.0 {
        let whole_days = (sec_remainder / 86_400.0) as i32;
        result_days = result_days.checked_add(whole_days).ok_or_else(out_of_range)?;
        sec_remainder -= f64::from(whole_days) * 86_400.0;
    }
    result_days = result_days.checked_add(month_remainder_days as i32).ok_or_else(out_of_range)?;
    let micros = (time + sec_remainder * 1e6).round_ties_even();
    if !fits_i64(micros) {
        return Err(out_of_range());
    }
    Ok(Interval { months: result_months, days: result_days, micros: micros as i64 })
}

/// `interval * float8` (PostgreSQL's `interval_mul`).
pub(crate) fn mul(iv: Interval, factor: f64) -> Result<Interval, SqlError> {
    cascade(f64::from(iv.months) * factor, f64::from(iv.days) * factor, iv.micros as f64 * factor)
}

/// `interval / float8` (PostgreSQL's `interval_div`).
pub(crate) fn div(iv: Interval, factor: f64) -> Result<Interval, SqlError> {
    if factor == 0.0 {
        return Err(division_by_zero());
    }
    cascade(f64::from(iv.months) / factor, f64::from(iv.days) / factor, iv.micros as f64 / factor)
}

/// A microsecond difference as an interval with whole days split off (`timestamp - timestamp`).
pub(crate) fn justify_hours(micros: i64) -> Result<Interval, SqlError> {
    let days = micros / USECS_PER_DAY;
    let rest = micros - days * USECS_PER_DAY;
    Ok(Interval { months: 0, days: i32::try_from(days).map_err(|_| out_of_range())?, micros: rest })
}
