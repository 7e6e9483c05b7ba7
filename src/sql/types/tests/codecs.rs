use super::super::{DataType, Interval, Value, decode_row, encode_row};
use super::{NUMERIC, dec, parse};
use crate::encoding::keycode::KeyEncoder;
use proptest::prelude::*;
use std::cmp::Ordering;

fn key(v: &Value) -> Vec<u8> {
    v.key_bytes()
}

fn sample_row() -> (Vec<Value>, Vec<DataType>) {
    let values = vec![
        Value::Null,
        Value::Bool(true),
        Value::Bool(false),
        Value::Int2(-3),
        Value::Int4(i32::MIN),
        Value::Int8(i64::MAX),
        Value::Float4(-0.0),
        Value::Float8(f64::NAN),
        Value::Numeric(dec("-123.4500")),
        Value::Text("héllo".into()),
        Value::Bytea(vec![0, 255, 7]),
        parse(&DataType::Date, "0044-03-15 BC"),
        parse(&DataType::Timestamp, "2024-02-29 13:14:15.123456"),
        parse(&DataType::Timestamptz, "1900-01-01 00:00:00.5+00"),
        Value::Interval(Interval { months: -5, days: 40, micros: -1 }),
        Value::Uuid(uuid::Uuid::from_bytes([7; 16])),
        Value::Json("{\"a\":  1}".into()),
        Value::Jsonb(
            serde_json::json!({"a": [1, -2, 2.5, "x", null, true], "b": {"c": 18446744073709551615u64}}),
        ),
        Value::Oid(u32::MAX),
    ];
    let types = values.iter().map(|v| v.data_type().unwrap_or(DataType::Int4)).collect();
    (values, types)
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float8(x), Value::Float8(y)) => x.to_bits() == y.to_bits(),
        (Value::Float4(x), Value::Float4(y)) => x.to_bits() == y.to_bits(),
        (Value::Numeric(x), Value::Numeric(y)) => x == y && x.scale() == y.scale(),
        _ => a == b,
    }
}

#[test]
fn row_round_trip_every_type() {
    let (values, types) = sample_row();
    let mut bytes = Vec::new();
    encode_row(&values, &mut bytes);
    let back = decode_row(&bytes, &types).unwrap();
    assert_eq!(back.len(), values.len());
    for (a, b) in values.iter().zip(&back) {
        assert!(same(a, b), "{a:?} != {b:?}");
    }
    assert_eq!(back[8].to_text(), "-123.4500");
}

#[test]
fn row_trailing_nulls_and_damage() {
    let mut bytes = Vec::new();
    encode_row(&[Value::Int4(1)], &mut bytes);
    let back = decode_row(&bytes, &[DataType::Int4, DataType::Text, DataType::Bool]).unwrap();
    assert_eq!(back, vec![Value::Int4(1), Value::Null, Value::Null]);
    assert_eq!(decode_row(&[], &[DataType::Int4]).unwrap_err().code, "XX001");
    assert_eq!(decode_row(&[9], &[DataType::Int4]).unwrap_err().code, "XX001");
    assert_eq!(decode_row(&bytes, &[]).unwrap_err().code, "XX001");
    let (values, types) = sample_row();
    let mut full = Vec::new();
    encode_row(&values, &mut full);
    for cut in 1..full.len() {
        // Truncation either fails cleanly or decodes a shorter prefix (value boundary).
        let _ = decode_row(&full[..cut], &types);
    }
    // Invalid UTF-8 in a text value.
    assert_eq!(decode_row(&[1, 9, 1, 0xff], &[DataType::Text]).unwrap_err().code, "XX001");
}

#[test]
fn keys_are_ordered_and_normalised() {
    assert_eq!(key(&Value::Int2(5)), key(&Value::Int8(5)));
    assert_eq!(key(&Value::Int4(-5)), key(&Value::Int8(-5)));
    assert_eq!(key(&Value::Numeric(dec("1.5"))), key(&Value::Numeric(dec("1.50"))));
    assert_eq!(key(&Value::Numeric(dec("0"))), key(&Value::Numeric(dec("0.000"))));
    assert_eq!(key(&Value::Float8(-0.0)), key(&Value::Float8(0.0)));
    assert_eq!(key(&Value::Float8(f64::NAN)), key(&Value::Float8(-f64::NAN)));
    assert_eq!(key(&Value::Float4(1.5)), key(&Value::Float8(1.5)));
    assert!(key(&Value::Float8(f64::INFINITY)) < key(&Value::Float8(f64::NAN)));
    assert!(key(&Value::Float8(f64::NAN)) < key(&Value::Null));
    assert!(key(&Value::Text("zzz".into())) < key(&Value::Null));
    assert_eq!(
        key(&Value::Interval(Interval { months: 1, days: 0, micros: 0 })),
        key(&Value::Interval(Interval { months: 0, days: 30, micros: 0 }))
    );
    let ordered = [
        "-100", "-10.5", "-10", "-1.05", "-1", "-0.5", "-0.05", "0", "0.001", "0.5", "1", "1.05",
        "9.99", "10", "10.5", "100",
    ];
    for pair in ordered.windows(2) {
        assert!(
            key(&Value::Numeric(dec(pair[0]))) < key(&Value::Numeric(dec(pair[1]))),
            "{pair:?}"
        );
    }
    // Composite keys: column by column.
    let composite = |a: i32, b: &str| {
        let mut k = KeyEncoder::new();
        Value::Int4(a).encode_key(&mut k);
        Value::Text(b.into()).encode_key(&mut k);
        k.finish()
    };
    assert!(composite(1, "b") < composite(2, "a"));
    assert!(composite(1, "a") < composite(1, "ab"));
}

fn key_sample() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::Int8),
        any::<i32>().prop_map(Value::Int4),
        any::<i16>().prop_map(Value::Int2),
    ]
}

fn numeric_sample() -> impl Strategy<Value = Value> {
    (any::<i64>(), 0u32..=12).prop_map(|(m, s)| Value::Numeric(rust_decimal::Decimal::new(m, s)))
}

fn string_sample() -> impl Strategy<Value = Value> {
    "\\PC{0,8}".prop_map(Value::Text)
}

fn float_sample() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<f64>().prop_map(Value::Float8),
        Just(Value::Float8(f64::NAN)),
        Just(Value::Float8(-0.0)),
        any::<f32>().prop_map(Value::Float4),
    ]
}

fn jsonb_sample() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i32>().prop_map(|i| serde_json::json!(i)),
        (-1e6f64..1e6).prop_map(|f| serde_json::json!(f)),
        "[a-c]{0,3}".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            proptest::collection::btree_map("[a-c]{0,3}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
    .prop_map(Value::Jsonb)
}

fn interval_sample() -> impl Strategy<Value = Value> {
    (-1000i32..1000, -1000i32..1000, -100_000_000_000i64..100_000_000_000)
        .prop_map(|(months, days, micros)| Value::Interval(Interval { months, days, micros }))
}

fn check_key_order(a: &Value, b: &Value) -> Result<(), TestCaseError> {
    let expected = a.sort_cmp(b);
    let got = key(a).cmp(&key(b));
    prop_assert_eq!(got, expected, "{:?} vs {:?}", a, b);
    Ok(())
}

proptest! {
    #[test]
    fn int_keys_follow_sort_cmp(a in key_sample(), b in key_sample()) {
        check_key_order(&a, &b)?;
    }

    #[test]
    fn numeric_keys_follow_sort_cmp(a in numeric_sample(), b in numeric_sample()) {
        check_key_order(&a, &b)?;
    }

    #[test]
    fn string_keys_follow_sort_cmp(a in string_sample(), b in string_sample()) {
        check_key_order(&a, &b)?;
    }

    #[test]
    fn float_keys_follow_sort_cmp(a in float_sample(), b in float_sample()) {
        check_key_order(&a, &b)?;
    }

    #[test]
    fn jsonb_keys_follow_sort_cmp(a in jsonb_sample(), b in jsonb_sample()) {
        check_key_order(&a, &b)?;
    }

    #[test]
    fn interval_keys_follow_sort_cmp(a in interval_sample(), b in interval_sample()) {
        check_key_order(&a, &b)?;
    }

    #[test]
    fn null_keys_sort_last(a in key_sample()) {
        check_key_order(&a, &Value::Null)?;
    }

    #[test]
    fn rows_round_trip(
        ints in proptest::collection::vec(any::<i64>(), 0..4),
        floats in proptest::collection::vec(any::<f64>(), 0..4),
        nums in proptest::collection::vec(numeric_sample(), 0..4),
        texts in proptest::collection::vec("\\PC{0,12}", 0..4),
        json in jsonb_sample(),
    ) {
        let mut values: Vec<Value> = ints.into_iter().map(Value::Int8).collect();
        values.extend(floats.into_iter().map(Value::Float8));
        values.extend(nums);
        values.extend(texts.into_iter().map(Value::Text));
        values.push(json);
        values.push(Value::Null);
        let types = vec![NUMERIC; values.len()];
        let mut bytes = Vec::new();
        encode_row(&values, &mut bytes);
        let back = decode_row(&bytes, &types).map_err(|e| TestCaseError::fail(e.message.clone()))?;
        prop_assert_eq!(back.len(), values.len());
        for (a, b) in values.iter().zip(&back) {
            prop_assert!(same(a, b), "{:?} != {:?}", a, b);
        }
    }

    #[test]
    fn decode_row_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let types = vec![DataType::Int4; 8];
        if let Err(e) = decode_row(&bytes, &types) {
            prop_assert_eq!(e.code, "XX001");
        }
        let mut with_version = vec![1u8];
        with_version.extend_from_slice(&bytes);
        if let Err(e) = decode_row(&with_version, &types) {
            prop_assert_eq!(e.code, "XX001");
        }
    }
}

#[test]
fn sort_cmp_is_consistent_with_key_for_mixed_widths() {
    assert_eq!(Value::Int2(1).sort_cmp(&Value::Int8(1)), Ordering::Equal);
    assert_eq!(key(&Value::Int2(1)), key(&Value::Int8(1)));
}
