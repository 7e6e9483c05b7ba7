use super::super::{
    BinaryOp, DataType, Interval, UnaryOp, Value, binary_op, binary_op_type, unary_op,
};
use super::{NUMERIC, dec, parse};
use BinaryOp::*;

fn op(o: BinaryOp, a: Value, b: Value) -> Value {
    binary_op(o, &a, &b).unwrap_or_else(|e| panic!("{a:?} {o:?} {b:?}: {e:?}"))
}

fn op_err(o: BinaryOp, a: Value, b: Value) -> crate::sql::error::SqlError {
    binary_op(o, &a, &b).unwrap_err()
}

fn ty(o: BinaryOp, a: DataType, b: DataType) -> DataType {
    binary_op_type(o, &a, &b).unwrap_or_else(|e| panic!("{a:?} {o:?} {b:?}: {e:?}"))
}

#[test]
fn integer_arithmetic() {
    assert_eq!(op(Add, Value::Int2(1), Value::Int2(2)), Value::Int2(3));
    assert_eq!(op(Add, Value::Int4(1), Value::Int8(2)), Value::Int8(3));
    assert_eq!(op(Mul, Value::Int2(2), Value::Int4(3)), Value::Int4(6));
    assert_eq!(op(Div, Value::Int4(7), Value::Int4(2)), Value::Int4(3));
    assert_eq!(op(Div, Value::Int4(-7), Value::Int4(2)), Value::Int4(-3));
    assert_eq!(op(Mod, Value::Int4(5), Value::Int4(-3)), Value::Int4(2));
    assert_eq!(op(Mod, Value::Int4(-5), Value::Int4(3)), Value::Int4(-2));
    assert_eq!(op(Mod, Value::Int4(i32::MIN), Value::Int4(-1)), Value::Int4(0));
    let err = op_err(Add, Value::Int2(32767), Value::Int2(1));
    assert_eq!((err.code, err.message.as_str()), ("22003", "smallint out of range"));
    assert_eq!(op_err(Mul, Value::Int4(i32::MAX), Value::Int4(2)).message, "integer out of range");
    assert_eq!(op_err(Div, Value::Int4(i32::MIN), Value::Int4(-1)).message, "integer out of range");
    assert_eq!(op_err(Add, Value::Int8(i64::MAX), Value::Int4(1)).message, "bigint out of range");
    assert_eq!(op_err(Div, Value::Int8(i64::MIN), Value::Int8(-1)).message, "bigint out of range");
    let err = op_err(Div, Value::Int4(1), Value::Int4(0));
    assert_eq!((err.code, err.message.as_str()), ("22012", "division by zero"));
    assert_eq!(op_err(Mod, Value::Int4(1), Value::Int2(0)).code, "22012");
    assert_eq!(op(Add, Value::Null, Value::Int4(1)), Value::Null);
}

#[test]
fn float_and_numeric_arithmetic() {
    assert_eq!(op(Add, Value::Float4(1.5), Value::Float4(1.0)), Value::Float4(2.5));
    assert_eq!(op(Add, Value::Float4(1.5), Value::Float8(1.0)), Value::Float8(2.5));
    assert_eq!(op(Mul, Value::Int4(2), Value::Float8(1.25)), Value::Float8(2.5));
    assert_eq!(op(Add, Value::Numeric(dec("1.5")), Value::Float8(1.0)), Value::Float8(2.5));
    assert_eq!(op(Add, Value::Int4(1), Value::Numeric(dec("1.50"))).to_text(), "2.50");
    assert_eq!(op(Mul, Value::Numeric(dec("1.5")), Value::Numeric(dec("2.00"))).to_text(), "3.000");
    assert_eq!(
        op(Div, Value::Numeric(dec("1")), Value::Int4(3)).to_text(),
        "0.33333333333333333333"
    );
    assert_eq!(op(Div, Value::Int4(10), Value::Numeric(dec("4"))).to_text(), "2.5000000000000000");
    assert_eq!(op(Div, Value::Numeric(dec("7.0")), Value::Int4(2)).to_text(), "3.5000000000000000");
    assert_eq!(
        op(Div, Value::Numeric(dec("12345678901234567890")), Value::Int4(7)).to_text(),
        "1763668414462081127"
    );
    assert_eq!(op(Mod, Value::Numeric(dec("-5.5")), Value::Int4(2)).to_text(), "-1.5");
    assert_eq!(op_err(Div, Value::Numeric(dec("1")), Value::Numeric(dec("0.0"))).code, "22012");
    assert_eq!(op_err(Mod, Value::Numeric(dec("1")), Value::Int4(0)).code, "22012");
    assert_eq!(op_err(Div, Value::Float8(1.0), Value::Float8(0.0)).code, "22012");
    assert_eq!(
        op_err(Mul, Value::Float8(1e308), Value::Float8(10.0)).message,
        "value out of range: overflow"
    );
    assert_eq!(
        op_err(Mul, Value::Float8(1e-300), Value::Float8(1e-300)).message,
        "value out of range: underflow"
    );
    assert_eq!(
        op_err(Mul, Value::Numeric(rust_decimal::Decimal::MAX), Value::Int4(2)).code,
        "22003"
    );
    let err = op_err(Mod, Value::Float8(5.5), Value::Int4(2));
    assert_eq!(err.message, "operator does not exist: double precision % integer");
}

#[test]
fn result_types() {
    assert_eq!(ty(Add, DataType::Int2, DataType::Int2), DataType::Int2);
    assert_eq!(ty(Add, DataType::Int4, DataType::Int8), DataType::Int8);
    assert_eq!(ty(Mod, DataType::Int2, DataType::Int4), DataType::Int4);
    assert_eq!(ty(Add, DataType::Int4, NUMERIC), NUMERIC);
    assert_eq!(ty(Add, DataType::Float4, DataType::Float8), DataType::Float8);
    assert_eq!(ty(Add, DataType::Float4, DataType::Float4), DataType::Float4);
    assert_eq!(ty(Add, DataType::Int4, DataType::Float4), DataType::Float8);
    assert_eq!(ty(Mul, NUMERIC, DataType::Float8), DataType::Float8);
    assert_eq!(ty(Add, DataType::Int4, DataType::Unknown), DataType::Int4);
    assert_eq!(ty(Concat, DataType::Text, DataType::Int4), DataType::Text);
    assert_eq!(ty(Concat, DataType::Unknown, DataType::Unknown), DataType::Text);
    assert_eq!(ty(Concat, DataType::Bytea, DataType::Bytea), DataType::Bytea);
    assert_eq!(ty(Concat, DataType::Jsonb, DataType::Jsonb), DataType::Jsonb);
    assert_eq!(ty(Eq, DataType::Int4, NUMERIC), DataType::Bool);
    assert_eq!(ty(Lt, DataType::Varchar(Some(3)), DataType::Text), DataType::Bool);
    assert_eq!(ty(Add, DataType::Date, DataType::Int4), DataType::Date);
    assert_eq!(ty(Sub, DataType::Date, DataType::Date), DataType::Int4);
    assert_eq!(ty(Add, DataType::Date, DataType::Interval), DataType::Timestamp);
    assert_eq!(ty(Sub, DataType::Timestamptz, DataType::Interval), DataType::Timestamptz);
    assert_eq!(ty(Sub, DataType::Timestamp, DataType::Timestamp), DataType::Interval);
    assert_eq!(ty(Add, DataType::Timestamp, DataType::Unknown), DataType::Timestamp);
    assert_eq!(ty(Mul, DataType::Interval, DataType::Int4), DataType::Interval);
    assert_eq!(ty(JsonGet, DataType::Jsonb, DataType::Unknown), DataType::Jsonb);
    assert_eq!(ty(JsonGetText, DataType::Jsonb, DataType::Int4), DataType::Text);
    let err = binary_op_type(Add, &DataType::Bool, &DataType::Int4).unwrap_err();
    assert_eq!(err.code, "42883");
    assert_eq!(err.message, "operator does not exist: boolean + integer");
    assert_eq!(
        err.hint.as_deref(),
        Some(
            "No operator matches the given name and argument types. You might need to add explicit type casts."
        )
    );
    assert_eq!(binary_op_type(Eq, &DataType::Int4, &DataType::Bool).unwrap_err().code, "42883");
    assert_eq!(binary_op_type(Add, &DataType::Text, &DataType::Int4).unwrap_err().code, "42883");
    assert_eq!(
        binary_op_type(Add, &DataType::Unknown, &DataType::Unknown).unwrap_err().code,
        "42725"
    );
    assert_eq!(binary_op_type(Mod, &DataType::Float8, &DataType::Int4).unwrap_err().code, "42883");
}

#[test]
fn comparisons() {
    assert_eq!(op(Eq, Value::Int4(1), Value::Numeric(dec("1.0"))), Value::Bool(true));
    assert_eq!(op(NotEq, Value::Int4(1), Value::Int4(2)), Value::Bool(true));
    assert_eq!(op(LtEq, Value::Text("a".into()), Value::Text("a".into())), Value::Bool(true));
    assert_eq!(op(Gt, Value::Float8(f64::NAN), Value::Float8(1.0)), Value::Bool(true));
    assert_eq!(op(GtEq, Value::Int4(1), Value::Null), Value::Null);
    assert_eq!(op(Lt, Value::Int4(1), Value::Text("2".into())), Value::Bool(true));
    assert_eq!(
        op_err(Eq, Value::Int4(1), Value::Bool(true)).message,
        "operator does not exist: integer = boolean"
    );
}

#[test]
fn concatenation() {
    assert_eq!(op(Concat, Value::Text("a".into()), Value::Bool(true)), Value::Text("atrue".into()));
    assert_eq!(
        op(Concat, Value::Text("a".into()), Value::Numeric(dec("1.50"))),
        Value::Text("a1.50".into())
    );
    assert_eq!(op(Concat, Value::Int4(1), Value::Text("b".into())), Value::Text("1b".into()));
    assert_eq!(op(Concat, Value::Text("x".into()), Value::Null), Value::Null);
    assert_eq!(op(Concat, Value::Bytea(vec![1]), Value::Bytea(vec![2])), Value::Bytea(vec![1, 2]));
    let j = |s: &str| Value::Jsonb(serde_json::from_str(s).unwrap());
    assert_eq!(op(Concat, j(r#"{"a":1,"b":2}"#), j(r#"{"a":3}"#)).to_text(), r#"{"a": 3, "b": 2}"#);
    assert_eq!(op(Concat, j(r#"{"a":1}"#), j("[2]")).to_text(), r#"[{"a": 1}, 2]"#);
    assert_eq!(op(Concat, j("1"), j("2")).to_text(), "[1, 2]");
    assert_eq!(op(Concat, j("[1,2]"), j(r#"{"x":1}"#)).to_text(), r#"[1, 2, {"x": 1}]"#);
    assert_eq!(op_err(Concat, Value::Int4(1), Value::Int4(2)).code, "42883");
}

#[test]
fn json_access() {
    let j = |s: &str| Value::Jsonb(serde_json::from_str(s).unwrap());
    assert_eq!(op(JsonGet, j("[1,2,3]"), Value::Int4(-1)).to_text(), "3");
    assert_eq!(op(JsonGet, j("[1,2,3]"), Value::Int4(5)), Value::Null);
    assert_eq!(
        op(JsonGet, j(r#"{"a":{"b":1}}"#), Value::Text("a".into())).to_text(),
        r#"{"b": 1}"#
    );
    assert_eq!(
        op(JsonGetText, j(r#"{"a":"x"}"#), Value::Text("a".into())),
        Value::Text("x".into())
    );
    assert_eq!(op(JsonGetText, j(r#"{"a":null}"#), Value::Text("a".into())), Value::Null);
    assert_eq!(
        op(JsonGetText, j(r#"{"a":[1, 2]}"#), Value::Text("a".into())),
        Value::Text("[1, 2]".into())
    );
    assert_eq!(op(JsonGet, j(r#"{"a":1}"#), Value::Text("b".into())), Value::Null);
    let json = Value::Json(r#"{"a": [1,  2], "b": "x"}"#.into());
    assert_eq!(op(JsonGet, json.clone(), Value::Text("a".into())), Value::Json("[1,  2]".into()));
    assert_eq!(op(JsonGetText, json.clone(), Value::Text("b".into())), Value::Text("x".into()));
    assert_eq!(
        op(JsonGet, Value::Json("[1, {\"x\": 2} ]".into()), Value::Int4(1)),
        Value::Json("{\"x\": 2}".into())
    );
    assert_eq!(op_err(JsonGet, Value::Int4(1), Value::Text("a".into())).code, "42883");
}

#[test]
fn datetime_arithmetic() {
    let date = |s: &str| parse(&DataType::Date, s);
    let ts = |s: &str| parse(&DataType::Timestamp, s);
    let iv = |s: &str| parse(&DataType::Interval, s);
    assert_eq!(op(Add, date("2024-02-28"), Value::Int4(1)), date("2024-02-29"));
    assert_eq!(op(Add, Value::Int4(2), date("2024-02-28")), date("2024-03-01"));
    assert_eq!(op(Sub, date("2024-03-01"), Value::Int4(1)), date("2024-02-29"));
    assert_eq!(op(Sub, date("2024-03-01"), date("2024-02-01")), Value::Int4(29));
    assert_eq!(op(Add, date("2024-01-31"), iv("1 month")).to_text(), "2024-02-29 00:00:00");
    assert_eq!(
        op(Add, ts("2024-01-31 10:00"), iv("1 mon 1 day 02:00")).to_text(),
        "2024-03-01 12:00:00"
    );
    assert_eq!(op(Sub, ts("2024-03-31 00:00"), iv("1 mon")).to_text(), "2024-02-29 00:00:00");
    assert_eq!(op(Sub, ts("2024-03-01"), ts("2024-02-01 01:00")).to_text(), "28 days 23:00:00");
    let tz = parse(&DataType::Timestamptz, "2024-02-29 13:00:00+00");
    assert_eq!(op(Add, tz.clone(), iv("1 hour")).to_text(), "2024-02-29 14:00:00+00");
    assert_eq!(
        op(Add, ts("2024-02-29 00:00"), Value::Text("1 day".into())).to_text(),
        "2024-03-01 00:00:00"
    );
    assert_eq!(op(Sub, date("2024-01-01"), Value::Text("2024-01-01".into())), Value::Int4(0));
    assert_eq!(op(Add, iv("1 day"), iv("2 hours")).to_text(), "1 day 02:00:00");
    assert_eq!(op(Sub, iv("1 day"), iv("2 hours")).to_text(), "1 day -02:00:00");
    assert_eq!(op(Mul, iv("1 day"), Value::Numeric(dec("1.5"))).to_text(), "1 day 12:00:00");
    assert_eq!(op(Div, iv("1 mon"), Value::Int4(7)).to_text(), "4 days 06:51:25.6896");
    assert_eq!(op_err(Div, iv("1 day"), Value::Int4(0)).code, "22012");
    let max = Value::Interval(Interval { months: i32::MAX, days: 0, micros: 0 });
    assert_eq!(op_err(Add, max, iv("1 mon")).code, "22008");
    assert_eq!(op_err(Add, date("2024-01-01"), Value::Bool(true)).code, "42883");
}

#[test]
fn unary() {
    assert_eq!(unary_op(UnaryOp::Neg, &Value::Int4(5)).unwrap(), Value::Int4(-5));
    let err = unary_op(UnaryOp::Neg, &Value::Int4(i32::MIN)).unwrap_err();
    assert_eq!((err.code, err.message.as_str()), ("22003", "integer out of range"));
    assert_eq!(
        unary_op(UnaryOp::Neg, &Value::Int2(i16::MIN)).unwrap_err().message,
        "smallint out of range"
    );
    assert_eq!(
        unary_op(UnaryOp::Neg, &Value::Int8(i64::MIN)).unwrap_err().message,
        "bigint out of range"
    );
    assert_eq!(unary_op(UnaryOp::Neg, &Value::Numeric(dec("1.50"))).unwrap().to_text(), "-1.50");
    assert_eq!(unary_op(UnaryOp::Neg, &Value::Numeric(dec("0.0"))).unwrap().to_text(), "0.0");
    assert_eq!(unary_op(UnaryOp::Neg, &Value::Float8(1.0)).unwrap(), Value::Float8(-1.0));
    assert_eq!(unary_op(UnaryOp::Plus, &Value::Int2(3)).unwrap(), Value::Int2(3));
    assert_eq!(unary_op(UnaryOp::Neg, &Value::Null).unwrap(), Value::Null);
    let iv = Value::Interval(Interval { months: 1, days: -2, micros: 3 });
    assert_eq!(
        unary_op(UnaryOp::Neg, &iv).unwrap(),
        Value::Interval(Interval { months: -1, days: 2, micros: -3 })
    );
    let err = unary_op(UnaryOp::Neg, &Value::Bool(true)).unwrap_err();
    assert_eq!((err.code, err.message.as_str()), ("42883", "operator does not exist: - boolean"));
}
