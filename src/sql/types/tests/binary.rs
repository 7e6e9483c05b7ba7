use super::super::{DataType, Interval, Value};
use super::{NUMERIC, dec, numeric, parse};
use bytes::BytesMut;
use proptest::prelude::*;

fn send(v: &Value, ty: &DataType) -> Vec<u8> {
    let mut out = BytesMut::new();
    v.write_binary(ty, &mut out).unwrap();
    out.to_vec()
}

fn recv(ty: &DataType, bytes: &[u8]) -> Value {
    Value::parse_binary(ty, bytes).unwrap()
}

#[test]
fn fixed_width_layouts() {
    assert_eq!(send(&Value::Bool(true), &DataType::Bool), [1]);
    assert_eq!(send(&Value::Int2(-2), &DataType::Int2), [0xff, 0xfe]);
    assert_eq!(send(&Value::Int4(1), &DataType::Int4), [0, 0, 0, 1]);
    assert_eq!(send(&Value::Int4(1), &DataType::Int8), [0, 0, 0, 0, 0, 0, 0, 1]);
    assert_eq!(send(&Value::Int8(1), &DataType::Int2), [0, 1]);
    assert_eq!(send(&Value::Float8(1.5), &DataType::Float8), 1.5f64.to_be_bytes());
    assert_eq!(send(&Value::Float4(1.5), &DataType::Float4), 1.5f32.to_be_bytes());
    assert_eq!(send(&Value::Oid(26), &DataType::Oid), [0, 0, 0, 26]);
    assert_eq!(send(&parse(&DataType::Date, "2000-01-02"), &DataType::Date), [0, 0, 0, 1]);
    assert_eq!(send(&parse(&DataType::Date, "1999-12-31"), &DataType::Date), (-1i32).to_be_bytes());
    assert_eq!(
        send(&parse(&DataType::Timestamp, "2000-01-01 00:00:01"), &DataType::Timestamp),
        1_000_000i64.to_be_bytes()
    );
    assert_eq!(
        send(&parse(&DataType::Timestamptz, "2000-01-01 02:00:01+02"), &DataType::Timestamptz),
        1_000_000i64.to_be_bytes()
    );
    let iv = Value::Interval(Interval { months: 2, days: 3, micros: 4 });
    assert_eq!(send(&iv, &DataType::Interval), [0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 3, 0, 0, 0, 2]);
    assert_eq!(send(&Value::Text("é".into()), &DataType::Varchar(None)), "é".as_bytes());
    assert_eq!(
        send(&Value::Jsonb(serde_json::json!({"a": 1})), &DataType::Jsonb),
        b"\x01{\"a\": 1}"
    );
    assert_eq!(send(&Value::Null, &DataType::Int4), b"");
    // A text value sent as int4 is parsed first.
    assert_eq!(send(&Value::Text("7".into()), &DataType::Int4), [0, 0, 0, 7]);
}

#[test]
fn numeric_layout() {
    let bytes = send(&Value::Numeric(dec("12345.678")), &NUMERIC);
    assert_eq!(bytes, [0, 3, 0, 1, 0, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1a, 0x7c]);
    assert_eq!(recv(&NUMERIC, &bytes).to_text(), "12345.678");
    let zero = send(&Value::Numeric(dec("0.00")), &NUMERIC);
    assert_eq!(zero, [0, 0, 0, 0, 0, 0, 0, 2]);
    assert_eq!(recv(&NUMERIC, &zero).to_text(), "0.00");
    let small = send(&Value::Numeric(dec("-0.001")), &NUMERIC);
    assert_eq!(small, [0, 1, 0xff, 0xff, 0x40, 0, 0, 3, 0, 10]);
    assert_eq!(recv(&NUMERIC, &small).to_text(), "-0.001");
    let big = send(&Value::Numeric(dec("100000000")), &NUMERIC);
    assert_eq!(big, [0, 1, 0, 2, 0, 0, 0, 0, 0, 1]);
    assert_eq!(recv(&NUMERIC, &big).to_text(), "100000000");
    // dscale hides digits: truncated like numeric_recv.
    assert_eq!(recv(&NUMERIC, &[0, 2, 0, 0, 0, 0, 0, 1, 0, 1, 0x13, 0x88]).to_text(), "1.5");
    // Typmod applies.
    assert_eq!(recv(&numeric(6, 1), &bytes).to_text(), "12345.7");
    assert_eq!(Value::parse_binary(&numeric(4, 1), &bytes).unwrap_err().code, "22003");
    // NaN is unsupported; bad digits are 22P03.
    assert_eq!(
        Value::parse_binary(&NUMERIC, &[0, 0, 0, 0, 0xC0, 0, 0, 0]).unwrap_err().code,
        "0A000"
    );
    assert_eq!(
        Value::parse_binary(&NUMERIC, &[0, 1, 0, 0, 0, 0, 0, 0, 0x27, 0x10]).unwrap_err().code,
        "22P03"
    );
}

#[test]
fn bad_lengths_and_encodings() {
    for (ty, bytes) in [
        (DataType::Int4, &[0u8, 0, 1][..]),
        (DataType::Int8, &[0u8; 4][..]),
        (DataType::Bool, &[][..]),
        (DataType::Uuid, &[0u8; 15][..]),
        (DataType::Interval, &[0u8; 12][..]),
        (NUMERIC, &[0u8, 1, 0, 0, 0, 0, 0, 0][..]),
        (DataType::Jsonb, &[][..]),
    ] {
        let err = Value::parse_binary(&ty, bytes).unwrap_err();
        assert_eq!(err.code, "22P03", "{ty:?}");
        assert_eq!(err.message, "incorrect binary data format");
    }
    let err = Value::parse_binary(&DataType::Text, &[0x61, 0xff]).unwrap_err();
    assert_eq!(err.code, "22021");
    assert_eq!(err.message, "invalid byte sequence for encoding \"UTF8\": 0xff");
    assert_eq!(Value::parse_binary(&DataType::Jsonb, b"\x02{}").unwrap_err().code, "22P03");
    assert_eq!(Value::parse_binary(&DataType::Json, b"{").unwrap_err().code, "22P02");
    assert_eq!(Value::parse_binary(&DataType::Varchar(Some(2)), b"abc").unwrap_err().code, "22001");
    assert_eq!(recv(&DataType::Char(Some(3)), b"a"), Value::Text("a  ".into()));
}

#[test]
fn mismatched_send_fails_cleanly() {
    let mut out = BytesMut::new();
    assert!(Value::Bool(true).write_binary(&DataType::Date, &mut out).is_err());
}

fn all_values() -> impl Strategy<Value = (Value, DataType)> {
    prop_oneof![
        any::<bool>().prop_map(|v| (Value::Bool(v), DataType::Bool)),
        any::<i16>().prop_map(|v| (Value::Int2(v), DataType::Int2)),
        any::<i32>().prop_map(|v| (Value::Int4(v), DataType::Int4)),
        any::<i64>().prop_map(|v| (Value::Int8(v), DataType::Int8)),
        any::<f64>()
            .prop_filter("nan", |v| !v.is_nan())
            .prop_map(|v| (Value::Float8(v), DataType::Float8)),
        any::<f32>()
            .prop_filter("nan", |v| !v.is_nan())
            .prop_map(|v| (Value::Float4(v), DataType::Float4)),
        (any::<i64>(), 0u32..=28)
            .prop_map(|(m, s)| (Value::Numeric(rust_decimal::Decimal::new(m, s)), NUMERIC)),
        (any::<i128>(), 0u32..=28).prop_filter_map("range", |(m, s)| {
            rust_decimal::Decimal::try_from_i128_with_scale(m >> 32, s)
                .ok()
                .map(|d| (Value::Numeric(d), NUMERIC))
        }),
        "\\PC{0,20}".prop_map(|s| (Value::Text(s), DataType::Text)),
        proptest::collection::vec(any::<u8>(), 0..20)
            .prop_map(|b| (Value::Bytea(b), DataType::Bytea)),
        (-2_400_000i64..3_000_000).prop_map(|d| (
            Value::Date(super::super::datetime::days_to_date(d).unwrap()),
            DataType::Date
        )),
        (-200_000_000_000_000_000i64..200_000_000_000_000_000).prop_map(|m| (
            Value::Timestamp(super::super::datetime::micros_to_timestamp(m).unwrap()),
            DataType::Timestamp
        )),
        (any::<i32>(), any::<i32>(), any::<i64>()).prop_map(|(months, days, micros)| (
            Value::Interval(Interval { months, days, micros }),
            DataType::Interval
        )),
        any::<[u8; 16]>().prop_map(|b| (Value::Uuid(uuid::Uuid::from_bytes(b)), DataType::Uuid)),
        any::<u32>().prop_map(|v| (Value::Oid(v), DataType::Oid)),
    ]
}

proptest! {
    #[test]
    fn binary_round_trips((value, ty) in all_values()) {
        let bytes = send(&value, &ty);
        let back = recv(&ty, &bytes);
        prop_assert_eq!(&back, &value);
        // The text form agrees too (scale preserved).
        prop_assert_eq!(back.to_text(), value.to_text());
    }

    #[test]
    fn binary_parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..24)) {
        for ty in [NUMERIC, DataType::Int4, DataType::Date, DataType::Timestamp, DataType::Interval,
                   DataType::Jsonb, DataType::Text, DataType::Uuid, DataType::Bool] {
            let _ = Value::parse_binary(&ty, &bytes);
        }
    }
}
