use super::super::{CastContext, DataType, Value, cast_context};
use super::{NUMERIC, dec, numeric, parse};

fn cast(v: &Value, ty: &DataType) -> Value {
    v.cast(ty, true).unwrap_or_else(|e| panic!("cast {v:?} to {ty:?}: {e:?}"))
}

fn cast_err(v: &Value, ty: &DataType, explicit: bool) -> crate::sql::error::SqlError {
    v.cast(ty, explicit).unwrap_err()
}

#[test]
fn integer_casts() {
    assert_eq!(cast(&Value::Int4(5), &DataType::Int8), Value::Int8(5));
    assert_eq!(cast(&Value::Int8(5), &DataType::Int2), Value::Int2(5));
    let err = cast_err(&Value::Int8(1 << 40), &DataType::Int4, true);
    assert_eq!((err.code, err.message.as_str()), ("22003", "integer out of range"));
    assert_eq!(
        cast_err(&Value::Int4(40000), &DataType::Int2, true).message,
        "smallint out of range"
    );
    assert_eq!(cast(&Value::Float8(2.5), &DataType::Int4), Value::Int4(2));
    assert_eq!(cast(&Value::Float8(3.5), &DataType::Int4), Value::Int4(4));
    assert_eq!(cast(&Value::Float8(-2.5), &DataType::Int4), Value::Int4(-2));
    assert_eq!(cast(&Value::Float4(1.5), &DataType::Int2), Value::Int2(2));
    assert_eq!(cast_err(&Value::Float8(f64::NAN), &DataType::Int4, true).code, "22003");
    assert_eq!(cast_err(&Value::Float8(1e10), &DataType::Int4, true).code, "22003");
    assert_eq!(
        cast_err(&Value::Float8(1e300), &DataType::Int8, true).message,
        "bigint out of range"
    );
    assert_eq!(cast(&Value::Numeric(dec("2.5")), &DataType::Int4), Value::Int4(3));
    assert_eq!(cast(&Value::Numeric(dec("-2.5")), &DataType::Int8), Value::Int8(-3));
    assert_eq!(
        cast_err(&Value::Numeric(dec("99999999999")), &DataType::Int4, true).message,
        "integer out of range"
    );
}

#[test]
fn bool_int_casts() {
    assert_eq!(cast(&Value::Int4(7), &DataType::Bool), Value::Bool(true));
    assert_eq!(cast(&Value::Int4(0), &DataType::Bool), Value::Bool(false));
    assert_eq!(cast(&Value::Bool(true), &DataType::Int4), Value::Int4(1));
    let err = cast_err(&Value::Int8(1), &DataType::Bool, true);
    assert_eq!(err.code, "42846");
    assert_eq!(err.message, "cannot cast type bigint to boolean");
    assert_eq!(
        cast_err(&Value::Bool(true), &DataType::Date, true).message,
        "cannot cast type boolean to date"
    );
}

#[test]
fn float_and_numeric_casts() {
    assert_eq!(cast(&Value::Float8(1.5), &NUMERIC).to_text(), "1.5");
    assert_eq!(cast(&Value::Float8(1.0 / 3.0), &NUMERIC).to_text(), "0.333333333333333");
    assert_eq!(cast(&Value::Float8(1e20), &NUMERIC).to_text(), "100000000000000000000");
    assert_eq!(cast(&Value::Float4(0.1), &NUMERIC).to_text(), "0.1");
    assert_eq!(cast(&Value::Float8(100.0), &NUMERIC).to_text(), "100");
    assert_eq!(cast_err(&Value::Float8(f64::NAN), &NUMERIC, true).code, "0A000");
    assert_eq!(cast(&Value::Numeric(dec("1.25")), &DataType::Float8), Value::Float8(1.25));
    assert_eq!(cast(&Value::Numeric(dec("0.1")), &DataType::Float4), Value::Float4(0.1));
    assert_eq!(cast(&Value::Int4(3), &numeric(5, 2)).to_text(), "3.00");
    assert_eq!(cast(&Value::Numeric(dec("1.255")), &numeric(5, 2)).to_text(), "1.26");
    assert_eq!(cast_err(&Value::Int4(1000), &numeric(5, 2), true).code, "22003");
    assert_eq!(cast(&Value::Float4(0.1), &DataType::Float8), Value::Float8(f64::from(0.1f32)));
    assert_eq!(
        cast_err(&Value::Float8(1e300), &DataType::Float4, true).message,
        "value out of range: overflow"
    );
    assert_eq!(
        cast_err(&Value::Float8(1e-300), &DataType::Float4, true).message,
        "value out of range: underflow"
    );
    assert_eq!(
        cast(&Value::Int8(i64::MAX), &DataType::Float8),
        Value::Float8(9.223372036854776e18)
    );
}

#[test]
fn string_casts() {
    assert_eq!(cast(&Value::Bool(true), &DataType::Text), Value::Text("true".into()));
    assert_eq!(cast(&Value::Bool(true), &DataType::Varchar(Some(2))), Value::Text("tr".into()));
    assert_eq!(cast(&Value::Numeric(dec("1.50")), &DataType::Text), Value::Text("1.50".into()));
    assert_eq!(
        cast(&Value::Text("abcdef".into()), &DataType::Varchar(Some(3))),
        Value::Text("abc".into())
    );
    assert_eq!(
        cast(&Value::Text("abc".into()), &DataType::Char(Some(2))),
        Value::Text("ab".into())
    );
    assert_eq!(cast(&Value::Text("a".into()), &DataType::Char(Some(3))), Value::Text("a  ".into()));
    let err = cast_err(&Value::Text("abcdef".into()), &DataType::Varchar(Some(3)), false);
    assert_eq!(
        (err.code, err.message.as_str()),
        ("22001", "value too long for type character varying(3)")
    );
    assert_eq!(cast_err(&Value::Int4(12345), &DataType::Varchar(Some(3)), false).code, "22001");
    assert_eq!(
        Value::Text("ab   ".into()).cast(&DataType::Varchar(Some(2)), false).unwrap(),
        Value::Text("ab".into())
    );
    assert_eq!(cast(&Value::Text(" 12 ".into()), &DataType::Int4), Value::Int4(12));
    assert_eq!(cast_err(&Value::Text("x".into()), &DataType::Int4, true).code, "22P02");
    assert_eq!(
        cast(&Value::Text("2024-02-29".into()), &DataType::Date),
        parse(&DataType::Date, "2024-02-29")
    );
    assert_eq!(
        cast(&Value::Interval(Default::default()), &DataType::Text),
        Value::Text("00:00:00".into())
    );
    assert_eq!(cast(&Value::Null, &DataType::Int4), Value::Null);
}

#[test]
fn datetime_casts() {
    let ts = parse(&DataType::Timestamp, "2024-02-29 13:14:15");
    let tz = parse(&DataType::Timestamptz, "2024-02-29 13:14:15+00");
    let date = parse(&DataType::Date, "2024-02-29");
    assert_eq!(cast(&ts, &DataType::Timestamptz), tz);
    assert_eq!(cast(&tz, &DataType::Timestamp), ts);
    assert_eq!(cast(&ts, &DataType::Date), date);
    assert_eq!(cast(&tz, &DataType::Date), date);
    assert_eq!(cast(&date, &DataType::Timestamp).to_text(), "2024-02-29 00:00:00");
    assert_eq!(cast(&date, &DataType::Timestamptz).to_text(), "2024-02-29 00:00:00+00");
    assert_eq!(cast_err(&date, &DataType::Interval, true).code, "42846");
}

#[test]
fn json_casts() {
    let json = Value::Json("{\"b\":1, \"a\":2}".into());
    let jsonb = cast(&json, &DataType::Jsonb);
    assert_eq!(jsonb.to_text(), "{\"a\": 2, \"b\": 1}");
    assert_eq!(cast(&jsonb, &DataType::Json), Value::Json("{\"a\": 2, \"b\": 1}".into()));
    assert_eq!(cast(&jsonb, &DataType::Text), Value::Text("{\"a\": 2, \"b\": 1}".into()));
    assert_eq!(cast(&json, &DataType::Text), Value::Text("{\"b\":1, \"a\":2}".into()));
    assert_eq!(cast(&Value::Jsonb(serde_json::json!(2.5)), &DataType::Int4), Value::Int4(3));
    assert_eq!(cast(&Value::Jsonb(serde_json::json!(2.5)), &NUMERIC).to_text(), "2.5");
    assert_eq!(cast(&Value::Jsonb(serde_json::json!(true)), &DataType::Bool), Value::Bool(true));
    let err = cast_err(&Value::Jsonb(serde_json::json!("x")), &DataType::Int4, true);
    assert_eq!(
        (err.code, err.message.as_str()),
        ("22023", "cannot cast jsonb string to type integer")
    );
    assert_eq!(cast_err(&json, &DataType::Int4, true).code, "42846");
}

#[test]
fn oid_casts() {
    assert_eq!(cast(&Value::Int4(-1), &DataType::Oid), Value::Oid(u32::MAX));
    assert_eq!(cast(&Value::Oid(u32::MAX), &DataType::Int4), Value::Int4(-1));
    assert_eq!(cast(&Value::Oid(u32::MAX), &DataType::Int8), Value::Int8(4_294_967_295));
    assert_eq!(cast_err(&Value::Int8(-1), &DataType::Oid, true).message, "OID out of range");
}

#[test]
fn contexts() {
    assert_eq!(cast_context(&DataType::Int4, &DataType::Int8), Some(CastContext::Implicit));
    assert_eq!(cast_context(&DataType::Int8, &DataType::Int4), Some(CastContext::Assignment));
    assert_eq!(cast_context(&DataType::Int4, &DataType::Bool), Some(CastContext::Explicit));
    assert_eq!(cast_context(&DataType::Text, &DataType::Int4), Some(CastContext::Explicit));
    assert_eq!(cast_context(&DataType::Int4, &DataType::Text), Some(CastContext::Assignment));
    assert_eq!(cast_context(&DataType::Unknown, &DataType::Date), Some(CastContext::Implicit));
    assert_eq!(cast_context(&DataType::Bool, &DataType::Date), None);
}
