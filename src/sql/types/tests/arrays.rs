//! Arrays: text forms (checked against PostgreSQL 15), binary and storage round trips, and
//! key order following `array_cmp`.

use super::super::{Array, DataType, Value, decode_row, encode_row};
use crate::encoding::keycode::KeyEncoder;
use bytes::BytesMut;
use proptest::prelude::*;

fn int_array() -> DataType {
    DataType::Array(Box::new(DataType::Int4))
}

fn text_array() -> DataType {
    DataType::Array(Box::new(DataType::Text))
}

fn round_trip_text(ty: &DataType, input: &str) -> String {
    match Value::parse_text(ty, input) {
        Ok(value) => value.to_text(),
        Err(e) => panic!("parse {input:?}: {e:?}"),
    }
}

#[test]
fn text_forms_match_postgres() {
    let cases = [
        (int_array(), "{1,2,3}", "{1,2,3}"),
        (int_array(), " { 1 , 2 } ", "{1,2}"),
        (int_array(), "{}", "{}"),
        (int_array(), "{{1,2},{3,4}}", "{{1,2},{3,4}}"),
        (int_array(), "[0:1]={5,6}", "[0:1]={5,6}"),
        (int_array(), "[1:2][2:3]={{1,2},{3,4}}", "[1:2][2:3]={{1,2},{3,4}}"),
        (int_array(), "{NULL,null,1}", "{NULL,NULL,1}"),
        (
            text_array(),
            r#"{a,"b c","",NULL,"NULL","x\"y",back\\slash}"#,
            r#"{a,"b c","",NULL,"NULL","x\"y","back\\slash"}"#,
        ),
        (text_array(), "{ a b ,c}", r#"{"a b",c}"#),
        (DataType::Array(Box::new(DataType::Bytea)), r#"{"\\x01"}"#, r#"{"\\x01"}"#),
    ];
    for (ty, input, output) in cases {
        assert_eq!(round_trip_text(&ty, input), output, "{input}");
    }
}

#[test]
fn malformed_text_is_22p02() {
    for input in ["{1,2", "1,2}", "{{1},{2,3}}", "{{1},2}", "{1}x", "{,}", "[1:3]={1,2}", "{\"a}"] {
        match Value::parse_text(&int_array(), input) {
            Ok(v) => panic!("{input:?} parsed as {v:?}"),
            Err(e) => assert_eq!(e.code, "22P02", "{input:?}: {e:?}"),
        }
    }
    // Elements are checked by their own type.
    let err = Value::parse_text(&int_array(), "{a}").expect_err("not an integer");
    assert_eq!(err.code, "22P02");
}

#[test]
fn binary_and_storage_round_trips() {
    let value = Value::parse_text(&text_array(), r#"{{a,NULL},{"",d}}"#).expect("parse");
    let mut wire = BytesMut::new();
    value.write_binary(&text_array(), &mut wire).expect("send");
    assert_eq!(Value::parse_binary(&text_array(), &wire).expect("recv"), value);
    // Truncated or inflated binary input is an error, never a panic.
    for cut in 0..wire.len() {
        let _ = Value::parse_binary(&text_array(), wire.get(..cut).unwrap_or_default());
    }
    let mut row = Vec::new();
    encode_row(&[value.clone(), Value::Null], &mut row);
    let decoded = decode_row(&row, &[text_array(), int_array()]).expect("decode");
    assert_eq!(decoded, vec![value, Value::Null]);
    for cut in 1..row.len() {
        let _ = decode_row(row.get(..cut).unwrap_or_default(), &[text_array(), int_array()]);
    }
}

fn key(v: &Value) -> Vec<u8> {
    let mut encoder = KeyEncoder::new();
    v.encode_key(&mut encoder);
    encoder.finish()
}

fn array_sample() -> impl Strategy<Value = Value> {
    proptest::collection::vec(proptest::option::of(-3i32..3), 0..4).prop_map(|items| {
        let elements = items.into_iter().map(|i| i.map_or(Value::Null, Value::Int4)).collect();
        Value::Array(Box::new(Array::new(DataType::Int4, elements)))
    })
}

proptest! {
    #[test]
    fn array_keys_follow_sort_cmp(a in array_sample(), b in array_sample()) {
        prop_assert_eq!(key(&a).cmp(&key(&b)), a.sort_cmp(&b), "{:?} vs {:?}", a, b);
    }
}
