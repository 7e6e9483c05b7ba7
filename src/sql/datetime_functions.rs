//! Date/time functions: `date_part` / `EXTRACT`, `date_trunc` and `to_char` (the common
//! patterns), and the jsonb containment (`@>`) and key-existence (`?`) operators.
//!
//! Depends on: `sql::types`, `sql::error`.

use super::error::{SqlError, sqlstate};
use super::types::{Interval, Value};
use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use rust_decimal::Decimal;

fn unsupported_unit(unit: &str, type_name: &str) -> SqlError {
    SqlError::new(
        sqlstate::FEATURE_NOT_SUPPORTED,
        format!("unit \"{unit}\" not supported for type {type_name}"),
    )
}

/// The field `unit` of a date, timestamp, timestamptz or interval, as numeric.
pub fn date_part(unit: &str, value: &Value) -> Result<Value, SqlError> {
    let unit = unit.trim().to_lowercase();
    let unit = unit.trim_end_matches('s');
    let timestamp = match value {
        Value::Null => return Ok(Value::Null),
        Value::Date(d) => d.and_hms_opt(0, 0, 0),
        Value::Timestamp(ts) => Some(*ts),
        Value::Timestamptz(ts) => Some(ts.naive_utc()),
        Value::Interval(iv) => return interval_part(unit, iv),
        other => {
            return Err(SqlError::new(
                sqlstate::UNDEFINED_FUNCTION,
                format!(
                    "function date_part(unknown, {}) does not exist",
                    other.data_type().map(|t| t.display_name()).unwrap_or_default()
                ),
            ));
        }
    };
    let Some(ts) = timestamp else {
        return Err(SqlError::new(sqlstate::DATETIME_FIELD_OVERFLOW, "timestamp out of range"));
    };
    let micros_of_minute = i64::from(ts.second()) * 1_000_000 + i64::from(ts.nanosecond() / 1000);
    let n = |v: i64| Decimal::from(v);
    let result = match unit {
        "year" => n(i64::from(ts.year())),
        "month" => n(i64::from(ts.month())),
        "day" => n(i64::from(ts.day())),
        "hour" => n(i64::from(ts.hour())),
        "minute" => n(i64::from(ts.minute())),
        "second" => Decimal::new(micros_of_minute, 6).normalize().max(Decimal::ZERO),
        "millisecond" => Decimal::new(micros_of_minute, 3),
        "microsecond" => n(micros_of_minute),
        "dow" => n(i64::from(ts.weekday().num_days_from_sunday())),
        "isodow" => n(i64::from(ts.weekday().number_from_monday())),
        "doy" => n(i64::from(ts.ordinal())),
        "week" => n(i64::from(ts.iso_week().week())),
        "quarter" => n(i64::from((ts.month() - 1) / 3 + 1)),
        "decade" => n(i64::from(ts.year().div_euclid(10))),
        "century" => n(i64::from(if ts.year() > 0 {
            (ts.year() + 99) / 100
        } else {
            -((99 - ts.year()) / 100)
        })),
        "millennium" => n(i64::from(if ts.year() > 0 {
            (ts.year() + 999) / 1000
        } else {
            -((999 - ts.year()) / 1000)
        })),
        "isoyear" => n(i64::from(ts.iso_week().year())),
        "epoch" => Decimal::new(ts.and_utc().timestamp_micros(), 6).normalize(),
        other => return Err(unsupported_unit(other, "timestamp")),
    };
    Ok(Value::Numeric(result))
}

fn interval_part(unit: &str, iv: &Interval) -> Result<Value, SqlError> {
    let n = |v: i64| Value::Numeric(Decimal::from(v));
    Ok(match unit {
        "year" => n(i64::from(iv.months / 12)),
        "month" => n(i64::from(iv.months % 12)),
        "day" => n(i64::from(iv.days)),
        "hour" => n(iv.micros / 3_600_000_000),
        "minute" => n((iv.micros / 60_000_000) % 60),
        "second" => Value::Numeric(Decimal::new(iv.micros % 60_000_000, 6).normalize()),
        "epoch" => {
            let seconds = i128::from(iv.months) * 30 * 86_400_000_000 / 12 * 12
                + i128::from(iv.days) * 86_400_000_000
                + i128::from(iv.micros);
            let micros = i64::try_from(seconds).map_err(|_| {
                SqlError::new(sqlstate::NUMERIC_VALUE_OUT_OF_RANGE, "interval out of range")
            })?;
            Value::Numeric(Decimal::new(micros, 6).normalize())
        }
        other => return Err(unsupported_unit(other, "interval")),
    })
}

/// `date_trunc(unit, ts)`.
pub fn date_trunc(unit: &str, value: &Value) -> Result<Value, SqlError> {
    let unit = unit.trim().to_lowercase();
    let unit = unit.trim_end_matches('s');
    let truncate = |ts: NaiveDateTime| -> Result<NaiveDateTime, SqlError> {
        let date = ts.date();
        let day = |d: NaiveDate| d.and_hms_opt(0, 0, 0);
        let result = match unit {
            "microsecond" => Some(ts),
            "millisecond" => ts.with_nanosecond(ts.nanosecond() / 1_000_000 * 1_000_000),
            "second" => ts.with_nanosecond(0),
            "minute" => ts.with_nanosecond(0).and_then(|t| t.with_second(0)),
            "hour" => {
                ts.with_nanosecond(0).and_then(|t| t.with_second(0)).and_then(|t| t.with_minute(0))
            }
            "day" => day(date),
            "week" => {
                day(date - chrono::Duration::days(i64::from(date.weekday().num_days_from_monday())))
            }
            "month" => date.with_day(1).and_then(day),
            "quarter" => NaiveDate::from_ymd_opt(date.year(), (date.month() - 1) / 3 * 3 + 1, 1)
                .and_then(day),
            "year" => NaiveDate::from_ymd_opt(date.year(), 1, 1).and_then(day),
            "decade" => {
                NaiveDate::from_ymd_opt(date.year().div_euclid(10) * 10, 1, 1).and_then(day)
            }
            "century" => NaiveDate::from_ymd_opt((date.year() - 1).div_euclid(100) * 100 + 1, 1, 1)
                .and_then(day),
            other => return Err(unsupported_unit(other, "timestamp")),
        };
        result.ok_or_else(|| {
            SqlError::new(sqlstate::DATETIME_FIELD_OVERFLOW, "timestamp out of range")
        })
    };
    Ok(match value {
        Value::Null => Value::Null,
        Value::Timestamp(ts) => Value::Timestamp(truncate(*ts)?),
        Value::Timestamptz(ts) => Value::Timestamptz(truncate(ts.naive_utc())?.and_utc()),
        Value::Date(d) => {
            let ts = d.and_hms_opt(0, 0, 0).ok_or_else(|| {
                SqlError::new(sqlstate::DATETIME_FIELD_OVERFLOW, "date out of range")
            })?;
            Value::Timestamptz(truncate(ts)?.and_utc())
        }
        other => {
            return Err(SqlError::new(
                sqlstate::UNDEFINED_FUNCTION,
                format!(
                    "function date_trunc(unknown, {}) does not exist",
                    other.data_type().map(|t| t.display_name()).unwrap_or_default()
                ),
            ));
        }
    })
}

/// Renders one to_char template pattern.
type Render = dyn Fn(&NaiveDateTime) -> String;

/// `to_char(timestamp|date, format)` for the common template patterns (YYYY, YY, MM, DD,
/// HH24, HH12, HH, MI, SS, MS, US, AM/PM, Mon, Month, Dy, Day, DDD, TZ); other characters
/// are copied. Numbers are not supported yet.
pub fn to_char(value: &Value, format: &str) -> Result<Value, SqlError> {
    let ts = match value {
        Value::Null => return Ok(Value::Null),
        Value::Timestamp(ts) => *ts,
        Value::Timestamptz(ts) => ts.naive_utc(),
        Value::Date(d) => d.and_hms_opt(0, 0, 0).unwrap_or_default(),
        _ => {
            return Err(SqlError::unsupported(
                "to_char is supported for dates and timestamps only",
            ));
        }
    };
    let patterns: &[(&str, &Render)] = &[
        ("YYYY", &|t| format!("{:04}", t.year())),
        ("HH24", &|t| format!("{:02}", t.hour())),
        ("HH12", &|t| format!("{:02}", (t.hour() + 11) % 12 + 1)),
        ("Month", &|t| format!("{:<9}", t.format("%B"))),
        ("MONTH", &|t| format!("{:<9}", t.format("%B").to_string().to_uppercase())),
        ("Mon", &|t| t.format("%b").to_string()),
        ("MON", &|t| t.format("%b").to_string().to_uppercase()),
        ("Day", &|t| format!("{:<9}", t.format("%A"))),
        ("DAY", &|t| format!("{:<9}", t.format("%A").to_string().to_uppercase())),
        ("Dy", &|t| t.format("%a").to_string()),
        ("DDD", &|t| format!("{:03}", t.ordinal())),
        ("YY", &|t| format!("{:02}", t.year().rem_euclid(100))),
        ("MM", &|t| format!("{:02}", t.month())),
        ("DD", &|t| format!("{:02}", t.day())),
        ("HH", &|t| format!("{:02}", (t.hour() + 11) % 12 + 1)),
        ("MI", &|t| format!("{:02}", t.minute())),
        ("SS", &|t| format!("{:02}", t.second())),
        ("MS", &|t| format!("{:03}", t.nanosecond() / 1_000_000)),
        ("US", &|t| format!("{:06}", t.nanosecond() / 1000)),
        ("AM", &|t| if t.hour() < 12 { "AM".into() } else { "PM".into() }),
        ("PM", &|t| if t.hour() < 12 { "AM".into() } else { "PM".into() }),
        ("TZ", &|_| "UTC".into()),
    ];
    let mut out = String::new();
    let mut rest = format;
    'outer: while !rest.is_empty() {
        for (pattern, render) in patterns {
            if let Some(tail) = rest.strip_prefix(pattern) {
                out.push_str(&render(&ts));
                rest = tail;
                continue 'outer;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    Ok(Value::Text(out))
}

/// jsonb `left @> right`: every part of `right` is contained in `left`.
pub fn jsonb_contains(left: &Value, right: &Value) -> Result<Value, SqlError> {
    match (left, right) {
        (Value::Null, _) | (_, Value::Null) => Ok(Value::Null),
        (Value::Jsonb(l), Value::Jsonb(r)) => Ok(Value::Bool(contains(l, r, true))),
        _ => Err(SqlError::new(
            sqlstate::UNDEFINED_FUNCTION,
            "operator does not exist: @> for these types",
        )),
    }
}

fn contains(left: &serde_json::Value, right: &serde_json::Value, top: bool) -> bool {
    use serde_json::Value as J;
    match (left, right) {
        (J::Object(l), J::Object(r)) => {
            r.iter().all(|(k, rv)| l.get(k).is_some_and(|lv| contains(lv, rv, false)))
        }
        (J::Array(l), J::Array(r)) => r.iter().all(|rv| l.iter().any(|lv| contains(lv, rv, false))),
        // At the top level an array contains a matching scalar, as in PostgreSQL.
        (J::Array(l), scalar) if top && !scalar.is_object() => l.iter().any(|lv| lv == scalar),
        (J::Number(a), J::Number(b)) => a.as_f64() == b.as_f64(),
        (l, r) => l == r,
    }
}

/// jsonb `left ? key`: the key exists at the top level (or the string is an array element).
pub fn jsonb_exists(left: &Value, key: &Value) -> Result<Value, SqlError> {
    match (left, key) {
        (Value::Null, _) | (_, Value::Null) => Ok(Value::Null),
        (Value::Jsonb(json), key) => {
            let key = key.to_text();
            Ok(Value::Bool(match json {
                serde_json::Value::Object(map) => map.contains_key(&key),
                serde_json::Value::Array(items) => {
                    items.iter().any(|i| i.as_str() == Some(key.as_str()))
                }
                serde_json::Value::String(s) => *s == key,
                _ => false,
            }))
        }
        _ => Err(SqlError::new(
            sqlstate::UNDEFINED_FUNCTION,
            "operator does not exist: ? for these types",
        )),
    }
}
