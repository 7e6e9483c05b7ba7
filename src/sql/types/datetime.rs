//! `date`, `timestamp` and `timestamptz`: PostgreSQL epoch conversions (days / microseconds
//! since 2000-01-01), ISO output with ` BC` years, the text input parser (ISO, `T`
//! separator, compact `YYYYMMDD`, MDY slashes, month names, zone suffixes, special words)
//! and calendar arithmetic (adding intervals with end-of-month clamping).
//!
//! The session time zone is UTC for now: timestamptz values are kept and printed in UTC.

use super::errors::{datetime_field_overflow, datetime_overflow, invalid_datetime, unsupported};
use super::numeric::is_pg_space;
use super::value::Interval;
use crate::sql::error::SqlError;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use std::fmt::Write;

pub(crate) const USECS_PER_SEC: i64 = 1_000_000;
pub(crate) const USECS_PER_MINUTE: i64 = 60 * USECS_PER_SEC;
pub(crate) const USECS_PER_HOUR: i64 = 60 * USECS_PER_MINUTE;
pub(crate) const USECS_PER_DAY: i64 = 24 * USECS_PER_HOUR;

/// PostgreSQL's epoch, 2000-01-01.
pub(crate) fn pg_epoch_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default()
}

/// Earliest date PostgreSQL accepts (Julian day 0): 4714-11-24 BC.
fn min_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(-4713, 11, 24).unwrap_or(NaiveDate::MIN)
}

/// Days since 2000-01-01.
pub(crate) fn date_to_days(date: NaiveDate) -> i32 {
    (date - pg_epoch_date()).num_days() as i32
}

/// The date `days` after 2000-01-01, if in range.
pub(crate) fn days_to_date(days: i64) -> Option<NaiveDate> {
    let date = pg_epoch_date().checked_add_signed(Duration::try_days(days)?)?;
    (date >= min_date()).then_some(date)
}

/// Microseconds since 2000-01-01 00:00:00.
pub(crate) fn timestamp_to_micros(ts: NaiveDateTime) -> i64 {
    let epoch = pg_epoch_date().and_time(NaiveTime::MIN);
    let delta = ts - epoch;
    delta.num_microseconds().unwrap_or(if delta < Duration::zero() { i64::MIN } else { i64::MAX })
}

/// The timestamp `micros` after 2000-01-01 00:00:00, if in range.
pub(crate) fn micros_to_timestamp(micros: i64) -> Option<NaiveDateTime> {
    let epoch = pg_epoch_date().and_time(NaiveTime::MIN);
    let ts = epoch.checked_add_signed(Duration::microseconds(micros))?;
    (ts.date() >= min_date()).then_some(ts)
}

/// A timestamp is in PostgreSQL's range (and chrono's).
pub(crate) fn check_timestamp(ts: NaiveDateTime) -> Result<NaiveDateTime, SqlError> {
    if ts.date() < min_date() { Err(datetime_overflow("timestamp out of range")) } else { Ok(ts) }
}

fn write_ymd<W: Write>(date: NaiveDate, out: &mut W) -> bool {
    let year = date.year();
    let bc = year <= 0;
    let shown = if bc { 1 - i64::from(year) } else { i64::from(year) };
    let _ = write!(out, "{shown:04}-{:02}-{:02}", date.month(), date.day());
    bc
}

/// `2024-02-29`, `0044-03-15 BC`.
pub(crate) fn write_date<W: Write>(date: NaiveDate, out: &mut W) {
    if write_ymd(date, out) {
        let _ = out.write_str(" BC");
    }
}

/// `2024-02-29 13:14:15.5` (plus `+00` when `with_tz`), ` BC` last.
pub(crate) fn write_timestamp<W: Write>(ts: NaiveDateTime, with_tz: bool, out: &mut W) {
    let bc = write_ymd(ts.date(), out);
    let _ = write!(out, " {:02}:{:02}:{:02}", ts.hour(), ts.minute(), ts.second());
    write_fraction(i64::from(ts.nanosecond() / 1000), out);
    if with_tz {
        let _ = out.write_str("+00");
    }
    if bc {
        let _ = out.write_str(" BC");
    }
}

/// `.5` for 500000 microseconds; nothing for 0 (trailing zeros trimmed).
pub(crate) fn write_fraction<W: Write>(micros: i64, out: &mut W) {
    if micros == 0 {
        return;
    }
    let mut value = micros.abs();
    let mut width = 6;
    while value % 10 == 0 && width > 1 {
        value /= 10;
        width -= 1;
    }
    let _ = write!(out, ".{value:0width$}");
}

/// Which type a date/time string is parsed for (selects the error wording).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateTimeKind {
    Date,
    Timestamp,
    Timestamptz,
}

impl DateTimeKind {
    fn type_name(self) -> &'static str {
        match self {
            DateTimeKind::Date => "date",
            DateTimeKind::Timestamp => "timestamp",
            DateTimeKind::Timestamptz => "timestamp with time zone",
        }
    }
}

/// A small cursor over lower-cased input bytes.
pub(crate) struct Cursor<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) pos: usize,
}

impl Cursor<'_> {
    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    pub(crate) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub(crate) fn skip_spaces(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    /// Up to `max` digits as a number; `None` if there is no digit. Returns (value, count).
    pub(crate) fn digits(&mut self, max: usize) -> Option<(i64, usize)> {
        let mut value: i64 = 0;
        let mut count = 0;
        while count < max {
            match self.peek() {
                Some(b) if b.is_ascii_digit() => {
                    value = value.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
                    self.pos += 1;
                    count += 1;
                }
                _ => break,
            }
        }
        (count > 0).then_some((value, count))
    }

    pub(crate) fn word(&mut self) -> &[u8] {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
            self.pos += 1;
        }
        self.bytes.get(start..self.pos).unwrap_or(&[])
    }

    pub(crate) fn done(&self) -> bool {
        self.pos >= self.bytes.len()
    }
}

fn month_from_name(word: &[u8]) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    if word.len() < 3 {
        return None;
    }
    let word = std::str::from_utf8(word).ok()?;
    let index =
        MONTHS.iter().position(|m| m.starts_with(word) || (word == "sept" && *m == "september"))?;
    Some(index as u32 + 1)
}

/// Parsed pieces of a date/time literal before validation.
#[derive(Debug, Default)]
struct Fields {
    year: i64,
    /// The year had at most two digits (MDY `1/2/24` means 2024).
    short_year: bool,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    micros: i64,
    /// Offset east of UTC in seconds.
    offset: Option<i64>,
    bc: bool,
}

/// Result of parsing: a UTC timestamp (for timestamptz) or a local one.
pub(crate) fn parse_datetime(text: &str, kind: DateTimeKind) -> Result<NaiveDateTime, SqlError> {
    let invalid = || invalid_datetime(kind.type_name(), text);
    let trimmed = text.trim_matches(is_pg_space);
    let lower = trimmed.to_ascii_lowercase();
    match lower.as_str() {
        "epoch" => {
            return NaiveDate::from_ymd_opt(1970, 1, 1)
                .map(|d| d.and_time(NaiveTime::MIN))
                .ok_or_else(invalid);
        }
        "infinity" | "+infinity" | "-infinity" => {
            return Err(unsupported("infinite dates and timestamps are not supported"));
        }
        "now" => return Ok(Utc::now().naive_utc()),
        "today" | "tomorrow" | "yesterday" => {
            let today = Utc::now().date_naive();
            let shift = match lower.as_str() {
                "tomorrow" => 1,
                "yesterday" => -1,
                _ => 0,
            };
            return days_to_date(i64::from(date_to_days(today)) + shift)
                .map(|d| d.and_time(NaiveTime::MIN))
                .ok_or_else(|| datetime_overflow("date out of range"));
        }
        _ => {}
    }
    let mut cur = Cursor { bytes: lower.as_bytes(), pos: 0 };
    let mut fields = Fields::default();
    parse_date_part(&mut cur, &mut fields).ok_or_else(invalid)?;
    // Time part, after a space or `T`.
    let save = cur.pos;
    if cur.eat(b't') || cur.peek().is_some_and(|b| b.is_ascii_whitespace()) {
        cur.skip_spaces();
        if cur.peek().is_some_and(|b| b.is_ascii_digit()) {
            parse_time_part(&mut cur, &mut fields).ok_or_else(invalid)?;
        } else {
            cur.pos = save;
        }
    }
    parse_suffixes(&mut cur, &mut fields).ok_or_else(invalid)?;
    if !cur.done() {
        return Err(invalid());
    }
    build(&fields, text, kind)
}

fn parse_date_part(cur: &mut Cursor<'_>, f: &mut Fields) -> Option<()> {
    if cur.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
        // `February 29, 2024` / `Feb 29 2024`.
        f.month = i64::from(month_from_name(cur.word())?);
        cur.skip_spaces();
        let (day, _) = cur.digits(2)?;
        f.day = day;
        cur.eat(b',');
        cur.skip_spaces();
        let (year, n) = cur.digits(9)?;
        f.year = year;
        f.short_year = n <= 2;
        return Some(());
    }
    let start = cur.pos;
    let (first, n) = cur.digits(9)?;
    match cur.peek() {
        Some(b'-') => {
            cur.pos += 1;
            if cur.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
                // `2024-Feb-29`.
                f.month = i64::from(month_from_name(cur.word())?);
            } else {
                f.month = cur.digits(2)?.0;
            }
            if !cur.eat(b'-') {
                return None;
            }
            f.day = cur.digits(2)?.0;
            f.year = first;
            f.short_year = false;
        }
        Some(b'/') => {
            cur.pos += 1;
            if n > 2 {
                // `2024/02/29`.
                f.year = first;
                f.month = cur.digits(2)?.0;
                if !cur.eat(b'/') {
                    return None;
                }
                f.day = cur.digits(2)?.0;
            } else {
                // MDY: `02/29/2024`.
                f.month = first;
                f.day = cur.digits(2)?.0;
                if !cur.eat(b'/') {
                    return None;
                }
                let (year, yn) = cur.digits(9)?;
                f.year = year;
                f.short_year = yn <= 2;
            }
        }
        Some(b' ') if n <= 2 => {
            // `29 Feb 2024`.
            cur.skip_spaces();
            f.day = first;
            f.month = i64::from(month_from_name(cur.word())?);
            cur.skip_spaces();
            let (year, yn) = cur.digits(9)?;
            f.year = year;
            f.short_year = yn <= 2;
        }
        _ if n == 8 => {
            // `20240229`.
            let digits = cur.bytes.get(start..start + 8)?;
            let num = |r: std::ops::Range<usize>| -> Option<i64> {
                std::str::from_utf8(digits.get(r)?).ok()?.parse().ok()
            };
            f.year = num(0..4)?;
            f.month = num(4..6)?;
            f.day = num(6..8)?;
        }
        _ => return None,
    }
    Some(())
}

fn parse_time_part(cur: &mut Cursor<'_>, f: &mut Fields) -> Option<()> {
    let (hour, _) = cur.digits(9)?;
    f.hour = hour;
    if !cur.eat(b':') {
        return None;
    }
    f.minute = cur.digits(2)?.0;
    if cur.eat(b':') {
        f.second = cur.digits(2)?.0;
        if cur.eat(b'.') {
            f.micros = parse_fraction_micros(cur)?;
        }
    }
    Some(())
}

/// Digits after a decimal point as microseconds, rounded half to even like `rint`.
pub(crate) fn parse_fraction_micros(cur: &mut Cursor<'_>) -> Option<i64> {
    let mut micros: i64 = 0;
    let mut count = 0;
    let mut rest_digit: Option<u8> = None;
    let mut rest_nonzero = false;
    while let Some(b) = cur.peek() {
        if !b.is_ascii_digit() {
            break;
        }
        let d = b - b'0';
        if count < 6 {
            micros = micros * 10 + i64::from(d);
        } else if rest_digit.is_none() {
            rest_digit = Some(d);
        } else {
            rest_nonzero |= d != 0;
        }
        count += 1;
        cur.pos += 1;
    }
    for _ in count..6 {
        micros *= 10;
    }
    if let Some(d) = rest_digit
        && (d > 5 || (d == 5 && (rest_nonzero || micros % 2 == 1)))
    {
        micros += 1;
    }
    Some(micros)
}

fn parse_suffixes(cur: &mut Cursor<'_>, f: &mut Fields) -> Option<()> {
    loop {
        cur.skip_spaces();
        match cur.peek() {
            None => return Some(()),
            Some(b'+' | b'-') => {
                if f.offset.is_some() {
                    return None;
                }
                let negative = cur.peek() == Some(b'-');
                cur.pos += 1;
                let (first, n) = cur.digits(6)?;
                let (hours, mut minutes, mut seconds) = match n {
                    1 | 2 => (first, 0, 0),
                    4 => (first / 100, first % 100, 0),
                    6 => (first / 10000, first / 100 % 100, first % 100),
                    _ => return None,
                };
                if n <= 2 && cur.eat(b':') {
                    minutes = cur.digits(2)?.0;
                    if cur.eat(b':') {
                        seconds = cur.digits(2)?.0;
                    }
                }
                if hours > 15 || minutes > 59 || seconds > 59 {
                    return None;
                }
                let total = hours * 3600 + minutes * 60 + seconds;
                f.offset = Some(if negative { -total } else { total });
            }
            Some(b) if b.is_ascii_alphabetic() => {
                let word = cur.word();
                match word {
                    b"z" | b"utc" | b"gmt" | b"zulu" | b"ut" if f.offset.is_none() => {
                        f.offset = Some(0);
                    }
                    b"bc" if !f.bc => f.bc = true,
                    b"ad" => {}
                    _ => return None,
                }
            }
            Some(_) => return None,
        }
    }
}

fn build(f: &Fields, text: &str, kind: DateTimeKind) -> Result<NaiveDateTime, SqlError> {
    let mut year = f.year;
    if f.short_year && !f.bc {
        year += if year < 70 { 2000 } else { 1900 };
    }
    if f.month < 1 || f.month > 12 {
        return Err(datetime_field_overflow(text)
            .with_hint("Perhaps you need a different \"datestyle\" setting."));
    }
    if year == 0 {
        return Err(datetime_field_overflow(text));
    }
    if f.bc {
        year = 1 - year;
    }
    let year = i32::try_from(year).map_err(|_| datetime_field_overflow(text))?;
    let date = NaiveDate::from_ymd_opt(year, f.month as u32, u32::try_from(f.day).unwrap_or(0))
        .ok_or_else(|| datetime_field_overflow(text))?;
    let time_ok = f.hour <= 24
        && f.minute <= 59
        && f.second <= 60
        && (f.hour < 24 || (f.minute == 0 && f.second == 0 && f.micros == 0));
    if !time_ok {
        return Err(datetime_field_overflow(text));
    }
    let range_error = || {
        let what = if kind == DateTimeKind::Date { "date" } else { kind.type_name() };
        datetime_overflow(&format!("{what} out of range: \"{text}\""))
    };
    let seconds = f.hour * 3600 + f.minute * 60 + f.second;
    let mut ts = date
        .and_time(NaiveTime::MIN)
        .checked_add_signed(Duration::microseconds(seconds * USECS_PER_SEC + f.micros))
        .ok_or_else(range_error)?;
    if kind == DateTimeKind::Timestamptz
        && let Some(offset) = f.offset
    {
        ts = ts.checked_sub_signed(Duration::seconds(offset)).ok_or_else(range_error)?;
    }
    if ts.date() < min_date() {
        return Err(range_error());
    }
    Ok(ts)
}

/// `date_in`: a date, possibly written with a time part (ignored).
pub(crate) fn parse_date(text: &str) -> Result<NaiveDate, SqlError> {
    let ts = parse_datetime(text, DateTimeKind::Date)?;
    Ok(ts.date())
}

/// A timestamptz value from a UTC naive timestamp.
pub(crate) fn utc(ts: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(ts, Utc)
}

/// `timestamp + interval` as PostgreSQL computes it: months first (clamping the day to the
/// end of the month), then days, then microseconds. 22008 when out of range.
pub(crate) fn add_interval(ts: NaiveDateTime, iv: Interval) -> Result<NaiveDateTime, SqlError> {
    let overflow = || datetime_overflow("timestamp out of range");
    let mut result = ts;
    if iv.months != 0 {
        let date = result.date();
        let total = i64::from(date.year()) * 12 + i64::from(date.month0()) + i64::from(iv.months);
        let year = i32::try_from(total.div_euclid(12)).map_err(|_| overflow())?;
        let month = total.rem_euclid(12) as u32 + 1;
        let last_day = days_in_month(year, month).ok_or_else(overflow)?;
        let day = date.day().min(last_day);
        let new_date = NaiveDate::from_ymd_opt(year, month, day).ok_or_else(overflow)?;
        result = new_date.and_time(result.time());
    }
    if iv.days != 0 {
        let days = Duration::try_days(i64::from(iv.days)).ok_or_else(overflow)?;
        result = result.checked_add_signed(days).ok_or_else(overflow)?;
    }
    if iv.micros != 0 {
        result =
            result.checked_add_signed(Duration::microseconds(iv.micros)).ok_or_else(overflow)?;
    }
    check_timestamp(result)
}

fn days_in_month(year: i32, month: u32) -> Option<u32> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year.checked_add(1)?, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    Some((next - first).num_days() as u32)
}
