use super::super::{DataType, Interval, Value};
use super::{NUMERIC, dec, numeric, parse, parse_err, round};
use crate::sql::error::sqlstate;
use proptest::prelude::*;

#[test]
fn bool_io() {
    for t in ["t", "true", "TRUE", "yes", "on", "1", " tr ", "y", "On"] {
        assert_eq!(parse(&DataType::Bool, t), Value::Bool(true), "{t}");
    }
    for f in ["f", "false", "No", "off", "of", "0", "fal"] {
        assert_eq!(parse(&DataType::Bool, f), Value::Bool(false), "{f}");
    }
    for bad in ["o", "tru e", "2", "", "truex"] {
        let err = parse_err(&DataType::Bool, bad);
        assert_eq!(err.code, sqlstate::INVALID_TEXT_REPRESENTATION);
    }
    assert_eq!(
        parse_err(&DataType::Bool, "o").message,
        "invalid input syntax for type boolean: \"o\""
    );
    assert_eq!(Value::Bool(true).to_text(), "t");
    assert_eq!(Value::Bool(false).to_text(), "f");
}

#[test]
fn integer_io() {
    assert_eq!(parse(&DataType::Int4, " 42 "), Value::Int4(42));
    assert_eq!(parse(&DataType::Int4, "-2147483648"), Value::Int4(i32::MIN));
    assert_eq!(parse(&DataType::Int2, "+7"), Value::Int2(7));
    assert_eq!(parse(&DataType::Int8, "9223372036854775807"), Value::Int8(i64::MAX));
    let err = parse_err(&DataType::Int4, "1.5");
    assert_eq!(err.code, sqlstate::INVALID_TEXT_REPRESENTATION);
    assert_eq!(err.message, "invalid input syntax for type integer: \"1.5\"");
    let err = parse_err(&DataType::Int4, "99999999999");
    assert_eq!(err.code, sqlstate::NUMERIC_VALUE_OUT_OF_RANGE);
    assert_eq!(err.message, "value \"99999999999\" is out of range for type integer");
    assert_eq!(
        parse_err(&DataType::Int2, "32768").message,
        "value \"32768\" is out of range for type smallint"
    );
    assert_eq!(
        parse_err(&DataType::Int8, "99999999999999999999999999").message,
        "value \"99999999999999999999999999\" is out of range for type bigint"
    );
    for bad in ["", " ", "abc", "1 2", "+", "1e3", "0x10"] {
        assert_eq!(parse_err(&DataType::Int8, bad).code, "22P02", "{bad}");
    }
    assert_eq!(Value::Int8(-5).to_text(), "-5");
    assert_eq!(parse(&DataType::Oid, "4294967295"), Value::Oid(u32::MAX));
    assert_eq!(parse(&DataType::Oid, "-1"), Value::Oid(u32::MAX));
    assert_eq!(parse_err(&DataType::Oid, "4294967296").code, "22003");
}

#[test]
fn float_output() {
    let f8 = |v: f64| Value::Float8(v).to_text();
    assert_eq!(f8(1e15), "1e+15");
    assert_eq!(f8(1e14), "100000000000000");
    assert_eq!(f8(0.0001), "0.0001");
    assert_eq!(f8(0.00001), "1e-05");
    assert_eq!(f8(1.5e-7), "1.5e-07");
    assert_eq!(f8(-0.0), "-0");
    assert_eq!(f8(0.0), "0");
    assert_eq!(f8(1e100), "1e+100");
    assert_eq!(f8(1e20), "1e+20");
    assert_eq!(f8(0.1), "0.1");
    assert_eq!(f8(1.0 / 3.0), "0.3333333333333333");
    assert_eq!(f8(123.456), "123.456");
    assert_eq!(f8(-1.25e-300), "-1.25e-300");
    assert_eq!(f8(f64::INFINITY), "Infinity");
    assert_eq!(f8(f64::NEG_INFINITY), "-Infinity");
    assert_eq!(f8(f64::NAN), "NaN");
    assert_eq!(f8(f64::from(0.1f32)), "0.10000000149011612");
    let f4 = |v: f32| Value::Float4(v).to_text();
    assert_eq!(f4(1e6), "1e+06");
    assert_eq!(f4(100000.0), "100000");
    assert_eq!(f4(123456.7), "123456.7");
    assert_eq!(f4(0.1), "0.1");
    assert_eq!(f4(f32::NAN), "NaN");
}

#[test]
fn float_input() {
    assert_eq!(parse(&DataType::Float8, " 1e3 "), Value::Float8(1000.0));
    assert_eq!(parse(&DataType::Float8, "inf"), Value::Float8(f64::INFINITY));
    assert_eq!(parse(&DataType::Float8, "-Infinity"), Value::Float8(f64::NEG_INFINITY));
    assert!(matches!(parse(&DataType::Float8, "NaN"), Value::Float8(v) if v.is_nan()));
    assert_eq!(parse(&DataType::Float8, ".5"), Value::Float8(0.5));
    assert_eq!(parse(&DataType::Float8, "-0"), Value::Float8(-0.0));
    assert_eq!(parse(&DataType::Float4, "1.5"), Value::Float4(1.5));
    let err = parse_err(&DataType::Float8, "1e400");
    assert_eq!(err.code, "22003");
    assert_eq!(err.message, "\"1e400\" is out of range for type double precision");
    assert_eq!(parse_err(&DataType::Float8, "1e-400").code, "22003");
    assert_eq!(
        parse_err(&DataType::Float4, "1e40").message,
        "\"1e40\" is out of range for type real"
    );
    assert_eq!(
        parse_err(&DataType::Float8, "abc").message,
        "invalid input syntax for type double precision: \"abc\""
    );
    assert_eq!(parse_err(&DataType::Float8, "1e").code, "22P02");
}

#[test]
fn numeric_io() {
    assert_eq!(round(&NUMERIC, "1.50"), "1.50");
    assert_eq!(round(&NUMERIC, " -0.00 "), "0.00");
    assert_eq!(round(&NUMERIC, "123.456e-3"), "0.123456");
    assert_eq!(round(&NUMERIC, "1.5e3"), "1500");
    assert_eq!(round(&NUMERIC, ".5"), "0.5");
    assert_eq!(round(&NUMERIC, "+7."), "7");
    let err = parse_err(&NUMERIC, "abc");
    assert_eq!(err.code, "22P02");
    assert_eq!(err.message, "invalid input syntax for type numeric: \"abc\"");
    assert_eq!(parse_err(&NUMERIC, "NaN").code, sqlstate::FEATURE_NOT_SUPPORTED);
    assert_eq!(round(&numeric(5, 2), "1.005"), "1.01");
    assert_eq!(round(&numeric(5, 2), "-1.005"), "-1.01");
    assert_eq!(round(&numeric(5, 2), "1"), "1.00");
    assert_eq!(round(&numeric(5, 2), "999.994"), "999.99");
    let err = parse_err(&numeric(5, 2), "12345.6789");
    assert_eq!(err.code, "22003");
    assert_eq!(err.message, "numeric field overflow");
    assert_eq!(
        err.detail.as_deref(),
        Some("A field with precision 5, scale 2 must round to an absolute value less than 10^3.")
    );
    let err = parse_err(&numeric(5, 2), "999.995");
    assert_eq!(err.code, "22003");
    let err = parse_err(&numeric(2, 2), "1.23");
    assert_eq!(
        err.detail.as_deref(),
        Some("A field with precision 2, scale 2 must round to an absolute value less than 1.")
    );
    let err = parse_err(&numeric(2, 5), "0.001");
    assert_eq!(
        err.detail.as_deref(),
        Some("A field with precision 2, scale 5 must round to an absolute value less than 10^-3.")
    );
    assert_eq!(parse(&numeric(10, 0), "2.5"), Value::Numeric(dec("3")));
    // Beyond rust_decimal's 28 digits: 22003.
    assert_eq!(parse_err(&NUMERIC, "1e40").code, "22003");
    // Too many fractional digits are rounded to 28.
    assert_eq!(
        round(&NUMERIC, "0.00000000000000000000000000001"),
        "0.0000000000000000000000000000"
    );
}

#[test]
fn string_types() {
    assert_eq!(parse(&DataType::Text, "  x "), Value::Text("  x ".into()));
    assert_eq!(parse(&DataType::Unknown, "abc"), Value::Text("abc".into()));
    let v5 = DataType::Varchar(Some(5));
    assert_eq!(parse(&v5, "abc"), Value::Text("abc".into()));
    assert_eq!(parse(&v5, "abcde   "), Value::Text("abcde".into()));
    let err = parse_err(&v5, "abcdef");
    assert_eq!(err.code, sqlstate::STRING_DATA_RIGHT_TRUNCATION);
    assert_eq!(err.message, "value too long for type character varying(5)");
    assert_eq!(parse(&v5, "ééééé"), Value::Text("ééééé".into()));
    let c5 = DataType::Char(Some(5));
    assert_eq!(parse(&c5, "ab"), Value::Text("ab   ".into()));
    assert_eq!(parse(&c5, "abcde  "), Value::Text("abcde".into()));
    assert_eq!(parse_err(&c5, "abcdef").message, "value too long for type character(5)");
    assert_eq!(parse(&DataType::Char(None), "ab "), Value::Text("ab ".into()));
    let long = "x".repeat(70);
    assert_eq!(parse(&DataType::Name, &long), Value::Text("x".repeat(63)));
}

#[test]
fn bytea_io() {
    assert_eq!(parse(&DataType::Bytea, "\\x0a0B"), Value::Bytea(vec![10, 11]));
    assert_eq!(parse(&DataType::Bytea, "\\x0a 0b"), Value::Bytea(vec![10, 11]));
    assert_eq!(parse(&DataType::Bytea, "ab\\\\c\\001"), Value::Bytea(b"ab\\c\x01".to_vec()));
    assert_eq!(parse_err(&DataType::Bytea, "\\x0").code, sqlstate::INVALID_PARAMETER_VALUE);
    assert_eq!(parse_err(&DataType::Bytea, "\\xzz").message, "invalid hexadecimal digit: \"z\"");
    assert_eq!(parse_err(&DataType::Bytea, "a\\9").code, "22P02");
    assert_eq!(Value::Bytea(vec![0x01, 0xab]).to_text(), "\\x01ab");
    assert_eq!(Value::Bytea(vec![]).to_text(), "\\x");
}

#[test]
fn uuid_io() {
    let canonical = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
    for input in [
        canonical,
        "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
        "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
        "a0eebc999c0b4ef8bb6d6bb9bd380a11",
        "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
        "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}",
    ] {
        assert_eq!(round(&DataType::Uuid, input), canonical, "{input}");
    }
    for bad in [
        "a0eebc99",
        "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1x",
        "a-0eebc999c0b4ef8bb6d6bb9bd380a11",
    ] {
        let err = parse_err(&DataType::Uuid, bad);
        assert_eq!(err.message, format!("invalid input syntax for type uuid: \"{bad}\""));
    }
}

#[test]
fn date_io() {
    assert_eq!(round(&DataType::Date, "2024-02-29"), "2024-02-29");
    assert_eq!(round(&DataType::Date, " 20240229 "), "2024-02-29");
    assert_eq!(round(&DataType::Date, "02/29/2024"), "2024-02-29");
    assert_eq!(round(&DataType::Date, "Feb 29, 2024"), "2024-02-29");
    assert_eq!(round(&DataType::Date, "29 February 2024"), "2024-02-29");
    assert_eq!(round(&DataType::Date, "2024-02-29 13:14:15"), "2024-02-29");
    assert_eq!(round(&DataType::Date, "0044-03-15 BC"), "0044-03-15 BC");
    assert_eq!(round(&DataType::Date, "epoch"), "1970-01-01");
    assert_eq!(round(&DataType::Date, "12345-01-01"), "12345-01-01");
    let err = parse_err(&DataType::Date, "2024-13-01");
    assert_eq!(err.code, sqlstate::DATETIME_FIELD_OVERFLOW);
    assert_eq!(err.message, "date/time field value out of range: \"2024-13-01\"");
    assert!(err.hint.is_some());
    let err = parse_err(&DataType::Date, "2024-02-30");
    assert_eq!(err.code, "22008");
    assert!(err.hint.is_none());
    let err = parse_err(&DataType::Date, "x");
    assert_eq!(err.code, sqlstate::INVALID_DATETIME_FORMAT);
    assert_eq!(err.message, "invalid input syntax for type date: \"x\"");
    assert_eq!(parse_err(&DataType::Date, "infinity").code, "0A000");
}

#[test]
fn timestamp_io() {
    let ts = DataType::Timestamp;
    assert_eq!(round(&ts, "2024-02-29 13:14:15.123456"), "2024-02-29 13:14:15.123456");
    assert_eq!(round(&ts, "2024-02-29T13:14:15Z"), "2024-02-29 13:14:15");
    assert_eq!(round(&ts, "2024-02-29 13:14:15+02"), "2024-02-29 13:14:15");
    assert_eq!(round(&ts, "2024-02-29 13:14:15.5"), "2024-02-29 13:14:15.5");
    assert_eq!(round(&ts, "2024-02-29 13:14"), "2024-02-29 13:14:00");
    assert_eq!(round(&ts, "2024-02-29"), "2024-02-29 00:00:00");
    assert_eq!(round(&ts, "2024-02-29 23:59:59.9999995"), "2024-03-01 00:00:00");
    assert_eq!(round(&ts, "2024-02-29 23:59:59.9999985"), "2024-02-29 23:59:59.999998");
    assert_eq!(round(&ts, "2024-02-29 24:00:00"), "2024-03-01 00:00:00");
    assert_eq!(round(&ts, "0044-03-15 12:00 BC"), "0044-03-15 12:00:00 BC");
    let tz = DataType::Timestamptz;
    assert_eq!(round(&tz, "2024-02-29 13:14:15.5"), "2024-02-29 13:14:15.5+00");
    assert_eq!(round(&tz, "2024-02-29 13:14:15+02"), "2024-02-29 11:14:15+00");
    assert_eq!(round(&tz, "2024-02-29 13:14:15+02:30"), "2024-02-29 10:44:15+00");
    assert_eq!(round(&tz, "2024-02-29 13:14:15 -0130"), "2024-02-29 14:44:15+00");
    assert_eq!(round(&tz, "2024-02-29T13:14:15Z"), "2024-02-29 13:14:15+00");
    assert_eq!(round(&tz, "2024-02-29 13:14:15 UTC"), "2024-02-29 13:14:15+00");
    assert_eq!(round(&tz, "0044-03-15 12:00 BC"), "0044-03-15 12:00:00+00 BC");
    let err = parse_err(&ts, "x");
    assert_eq!(err.code, "22007");
    assert_eq!(err.message, "invalid input syntax for type timestamp: \"x\"");
    assert_eq!(
        parse_err(&tz, "x").message,
        "invalid input syntax for type timestamp with time zone: \"x\""
    );
    let err = parse_err(&ts, "2024-13-01 00:00");
    assert_eq!(err.code, "22008");
    assert_eq!(err.message, "date/time field value out of range: \"2024-13-01 00:00\"");
    assert_eq!(parse_err(&ts, "2024-01-01 25:00").code, "22008");
    assert_eq!(parse_err(&ts, "2024-01-01 12:60").code, "22008");
    assert_eq!(parse_err(&ts, "2024-01-01 12:00 junk").code, "22007");
}

#[test]
fn interval_output() {
    let iv = |months, days, micros| Value::Interval(Interval { months, days, micros }).to_text();
    assert_eq!(iv(14, 3, 14_706_500_000), "1 year 2 mons 3 days 04:05:06.5");
    assert_eq!(iv(0, 0, 0), "00:00:00");
    assert_eq!(iv(0, -1, 0), "-1 days");
    assert_eq!(iv(1, 0, 0), "1 mon");
    assert_eq!(iv(12, 1, 0), "1 year 1 day");
    assert_eq!(iv(0, -1, 7_200_000_000), "-1 days +02:00:00");
    assert_eq!(iv(1, -1, 0), "1 mon -1 days");
    assert_eq!(iv(0, 0, -3_723_000_001), "-01:02:03.000001");
    assert_eq!(iv(-14, 0, 0), "-1 years -2 mons");
    assert_eq!(iv(0, 0, 360_000_000_000), "100:00:00");
}

#[test]
fn interval_input() {
    let ty = DataType::Interval;
    assert_eq!(round(&ty, "1 day"), "1 day");
    assert_eq!(round(&ty, "2 hours 3 minutes"), "02:03:00");
    assert_eq!(round(&ty, "1 year 2 mons"), "1 year 2 mons");
    assert_eq!(round(&ty, "01:02:03"), "01:02:03");
    assert_eq!(round(&ty, "1 day 02:03:04.5"), "1 day 02:03:04.5");
    assert_eq!(round(&ty, "P1Y2M3DT4H5M6S"), "1 year 2 mons 3 days 04:05:06");
    assert_eq!(round(&ty, "PT1.5S"), "00:00:01.5");
    assert_eq!(round(&ty, "@ 1 day ago"), "-1 days");
    assert_eq!(round(&ty, "-1 day +2 hours"), "-1 days +02:00:00");
    assert_eq!(round(&ty, "1.5 months"), "1 mon 15 days");
    assert_eq!(round(&ty, "1.5 years"), "1 year 6 mons");
    assert_eq!(round(&ty, "1.5 days"), "1 day 12:00:00");
    assert_eq!(round(&ty, "1 week"), "7 days");
    assert_eq!(round(&ty, "5"), "00:00:05");
    assert_eq!(round(&ty, "1 02:00:00"), "1 day 02:00:00");
    assert_eq!(round(&ty, "1 mon -1 day"), "1 mon -1 days");
    assert_eq!(round(&ty, "3 days 4 hours ago"), "-3 days -04:00:00");
    assert_eq!(round(&ty, "100 ms"), "00:00:00.1");
    assert_eq!(round(&ty, "1 decade"), "10 years");
    let err = parse_err(&ty, "x");
    assert_eq!(err.code, "22007");
    assert_eq!(err.message, "invalid input syntax for type interval: \"x\"");
    assert_eq!(parse_err(&ty, "1 fortnight").code, "22007");
    assert_eq!(parse_err(&ty, "").code, "22007");
    assert_eq!(parse_err(&ty, "99999999999 years").code, "22008");
}

#[test]
fn json_io() {
    let text = "{\"b\": [1,  2], \"a\": 1}";
    assert_eq!(parse(&DataType::Json, text), Value::Json(text.into()));
    assert_eq!(round(&DataType::Json, text), text);
    assert_eq!(
        round(
            &DataType::Jsonb,
            r#"{"b": [1, 2.5, 1e2, -0, 1.5e-7], "a": 1, "aa": null, "a": "x\u00e9\n\u0001"}"#
        ),
        r#"{"a": "xé\n\u0001", "b": [1, 2.5, 100, 0, 0.00000015], "aa": null}"#
    );
    assert_eq!(round(&DataType::Jsonb, " [ ] "), "[]");
    assert_eq!(round(&DataType::Jsonb, "{}"), "{}");
    assert_eq!(round(&DataType::Jsonb, r#""a\"b\\""#), r#""a\"b\\""#);
    let err = parse_err(&DataType::Json, "{");
    assert_eq!(err.code, "22P02");
    assert_eq!(err.message, "invalid input syntax for type json");
    assert_eq!(parse_err(&DataType::Jsonb, "abc").code, "22P02");
    assert_eq!(parse_err(&DataType::Jsonb, r#""\u0000""#).code, "22P05");
}

#[test]
fn null_text() {
    assert_eq!(Value::Null.to_text(), "");
    assert_eq!(Value::Null.data_type(), None);
    assert_eq!(Value::Text("x".into()).data_type(), Some(DataType::Text));
}

fn finite_decimal() -> impl Strategy<Value = rust_decimal::Decimal> {
    (any::<i64>(), 0u32..=18).prop_map(|(m, s)| rust_decimal::Decimal::new(m, s))
}

proptest! {
    #[test]
    fn float8_text_round_trips(v in any::<f64>()) {
        let text = Value::Float8(v).to_text();
        match parse(&DataType::Float8, &text) {
            Value::Float8(back) => prop_assert!(back.to_bits() == v.to_bits() || (v.is_nan() && back.is_nan()), "{v} -> {text} -> {back}"),
            other => prop_assert!(false, "{other:?}"),
        }
    }

    #[test]
    fn float4_text_round_trips(v in any::<f32>()) {
        let text = Value::Float4(v).to_text();
        match parse(&DataType::Float4, &text) {
            Value::Float4(back) => prop_assert!(back.to_bits() == v.to_bits() || (v.is_nan() && back.is_nan()), "{v} -> {text} -> {back}"),
            other => prop_assert!(false, "{other:?}"),
        }
    }

    #[test]
    fn int_text_round_trips(v in any::<i64>()) {
        prop_assert_eq!(parse(&DataType::Int8, &Value::Int8(v).to_text()), Value::Int8(v));
    }

    #[test]
    fn numeric_text_round_trips_with_scale(d in finite_decimal()) {
        let text = Value::Numeric(d).to_text();
        let back = parse(&NUMERIC, &text);
        prop_assert_eq!(back.to_text(), text);
    }

    #[test]
    fn timestamp_text_round_trips(secs in -200_000_000_000i64..200_000_000_000, micros in 0u32..1_000_000) {
        let ts = chrono::DateTime::from_timestamp(secs, micros * 1000).unwrap().naive_utc();
        let v = Value::Timestamp(ts);
        prop_assert_eq!(parse(&DataType::Timestamp, &v.to_text()), v.clone());
        let tz = Value::Timestamptz(chrono::DateTime::from_naive_utc_and_offset(ts, chrono::Utc));
        prop_assert_eq!(parse(&DataType::Timestamptz, &tz.to_text()), tz);
        let d = Value::Date(ts.date());
        prop_assert_eq!(parse(&DataType::Date, &d.to_text()), d);
    }

    #[test]
    fn interval_text_round_trips(months in -100_000i32..100_000, days in -100_000i32..100_000, micros in -1_000_000_000_000i64..1_000_000_000_000) {
        let v = Value::Interval(Interval { months, days, micros });
        prop_assert_eq!(parse(&DataType::Interval, &v.to_text()), v);
    }

    #[test]
    fn bytea_text_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
        let v = Value::Bytea(bytes);
        prop_assert_eq!(parse(&DataType::Bytea, &v.to_text()), v);
    }

    #[test]
    fn uuid_text_round_trips(bytes in any::<[u8; 16]>()) {
        let v = Value::Uuid(uuid::Uuid::from_bytes(bytes));
        prop_assert_eq!(parse(&DataType::Uuid, &v.to_text()), v);
    }

    #[test]
    fn parsers_never_panic(s in "\\PC{0,24}") {
        for ty in [DataType::Bool, DataType::Int4, DataType::Float8, NUMERIC, DataType::Date,
                   DataType::Timestamp, DataType::Timestamptz, DataType::Interval, DataType::Uuid,
                   DataType::Bytea, DataType::Jsonb, DataType::Varchar(Some(3)), DataType::Char(Some(2))] {
            let _ = Value::parse_text(&ty, &s);
        }
    }
}
