use super::super::{DataType, Interval, Value};
use super::{dec, parse};
use std::cmp::Ordering;

fn cmp(a: &Value, b: &Value) -> Option<Ordering> {
    a.sql_cmp(b).unwrap()
}

#[test]
fn numbers_compare_across_types() {
    assert_eq!(cmp(&Value::Int4(1), &Value::Int8(1)), Some(Ordering::Equal));
    assert_eq!(cmp(&Value::Int2(2), &Value::Int8(1)), Some(Ordering::Greater));
    assert_eq!(cmp(&Value::Int4(1), &Value::Numeric(dec("1.00"))), Some(Ordering::Equal));
    assert_eq!(
        cmp(&Value::Numeric(dec("1.5")), &Value::Numeric(dec("1.50"))),
        Some(Ordering::Equal)
    );
    assert_eq!(
        cmp(&Value::Int8(9_007_199_254_740_993), &Value::Numeric(dec("9007199254740992"))),
        Some(Ordering::Greater)
    );
    assert_eq!(cmp(&Value::Int4(1), &Value::Float8(1.5)), Some(Ordering::Less));
    assert_eq!(cmp(&Value::Float4(0.5), &Value::Float8(0.5)), Some(Ordering::Equal));
    assert_eq!(cmp(&Value::Numeric(dec("0.5")), &Value::Float8(0.5)), Some(Ordering::Equal));
    assert_eq!(cmp(&Value::Float8(-0.0), &Value::Float8(0.0)), Some(Ordering::Equal));
    assert_eq!(cmp(&Value::Float8(f64::NAN), &Value::Float8(f64::NAN)), Some(Ordering::Equal));
    assert_eq!(
        cmp(&Value::Float8(f64::NAN), &Value::Float8(f64::INFINITY)),
        Some(Ordering::Greater)
    );
    assert_eq!(cmp(&Value::Oid(5), &Value::Int4(5)), Some(Ordering::Equal));
}

#[test]
fn nulls_and_errors() {
    assert_eq!(cmp(&Value::Null, &Value::Int4(1)), None);
    assert_eq!(cmp(&Value::Int4(1), &Value::Null), None);
    let err = Value::Int4(1).sql_cmp(&Value::Bool(true)).unwrap_err();
    assert_eq!(err.code, "42883");
    assert_eq!(err.message, "operator does not exist: integer = boolean");
    assert!(err.hint.is_some());
    assert_eq!(
        Value::Json("1".into()).sql_cmp(&Value::Json("1".into())).unwrap_err().code,
        "42883"
    );
}

#[test]
fn text_and_unknown() {
    assert_eq!(cmp(&Value::Text("a".into()), &Value::Text("b".into())), Some(Ordering::Less));
    assert_eq!(cmp(&Value::Text("B".into()), &Value::Text("a".into())), Some(Ordering::Less));
    assert_eq!(cmp(&Value::Text("é".into()), &Value::Text("z".into())), Some(Ordering::Greater));
    assert_eq!(cmp(&Value::Text("1".into()), &Value::Int4(1)), Some(Ordering::Equal));
    assert_eq!(cmp(&Value::Int4(2), &Value::Text("10".into())), Some(Ordering::Less));
    assert_eq!(cmp(&Value::Bool(true), &Value::Text("yes".into())), Some(Ordering::Equal));
    assert_eq!(
        cmp(&parse(&DataType::Date, "2024-01-02"), &Value::Text("2024-01-01".into())),
        Some(Ordering::Greater)
    );
    assert_eq!(Value::Int4(1).sql_cmp(&Value::Text("x".into())).unwrap_err().code, "22P02");
    assert_eq!(super::super::bpchar_trim("ab  "), "ab");
}

#[test]
fn datetimes_and_intervals() {
    let date = parse(&DataType::Date, "2024-02-29");
    let ts = parse(&DataType::Timestamp, "2024-02-29 00:00:00");
    let tz = parse(&DataType::Timestamptz, "2024-02-29 00:00:01+00");
    assert_eq!(cmp(&date, &ts), Some(Ordering::Equal));
    assert_eq!(cmp(&ts, &tz), Some(Ordering::Less));
    assert_eq!(cmp(&tz, &date), Some(Ordering::Greater));
    let month = Value::Interval(Interval { months: 1, days: 0, micros: 0 });
    let days = Value::Interval(Interval { months: 0, days: 30, micros: 0 });
    assert_eq!(cmp(&month, &days), Some(Ordering::Equal));
    let day = Value::Interval(Interval { months: 0, days: 1, micros: 0 });
    let hours = Value::Interval(Interval { months: 0, days: 0, micros: 25 * 3_600_000_000 });
    assert_eq!(cmp(&day, &hours), Some(Ordering::Less));
}

#[test]
fn sort_order() {
    let mut values = [
        Value::Float8(f64::NAN),
        Value::Null,
        Value::Float8(1.0),
        Value::Float8(f64::NEG_INFINITY),
        Value::Float8(f64::INFINITY),
        Value::Float8(-0.0),
    ];
    values.sort_by(Value::sort_cmp);
    assert_eq!(values[0], Value::Float8(f64::NEG_INFINITY));
    assert_eq!(values[2], Value::Float8(1.0));
    assert_eq!(values[3], Value::Float8(f64::INFINITY));
    assert!(matches!(values[4], Value::Float8(v) if v.is_nan()));
    assert_eq!(values[5], Value::Null);
    assert_eq!(Value::Null.sort_cmp(&Value::Null), Ordering::Equal);
    assert_eq!(Value::Bool(false).sort_cmp(&Value::Bool(true)), Ordering::Less);
    assert!(Value::Numeric(dec("1.5")).sort_eq(&Value::Numeric(dec("1.50"))));
    assert_eq!(Value::Json("b".into()).sort_cmp(&Value::Json("a".into())), Ordering::Greater);
}

#[test]
fn jsonb_order() {
    let j = |s: &str| Value::Jsonb(serde_json::from_str(s).unwrap());
    let ordered = [
        "null",
        "\"a\"",
        "\"b\"",
        "1",
        "2.5",
        "false",
        "true",
        "[]",
        "[9]",
        "[1, 2]",
        "{}",
        "{\"a\": 2}",
        "{\"b\": 1}",
        "{\"a\": 1, \"b\": 1}",
    ];
    for pair in ordered.windows(2) {
        assert_eq!(j(pair[0]).sort_cmp(&j(pair[1])), Ordering::Less, "{} < {}", pair[0], pair[1]);
        assert_eq!(cmp(&j(pair[0]), &j(pair[1])), Some(Ordering::Less));
    }
    assert_eq!(cmp(&j("{\"a\": 1, \"b\": 2}"), &j("{\"b\": 2, \"a\": 1}")), Some(Ordering::Equal));
}
