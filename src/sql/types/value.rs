//! The type and value enums and the contract every other module relies on. Bodies that are
//! still `todo!()` are being filled in (see the module docs of `sql::types`).

use crate::encoding::keycode::KeyEncoder;
use crate::sql::error::SqlError;
use bytes::BytesMut;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use std::cmp::Ordering;

/// A column or expression type. `typmod`-carrying types keep their modifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum DataType {
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    /// numeric(precision, scale); both `None` for unconstrained `numeric`.
    Numeric {
        precision: Option<u32>,
        scale: Option<u32>,
    },
    Text,
    /// varchar(n) / character varying(n); `None` = no limit.
    Varchar(Option<u32>),
    /// char(n) / character(n) / bpchar; `None` = bpchar without length (char alone is char(1)).
    Char(Option<u32>),
    Bytea,
    Date,
    Timestamp,
    Timestamptz,
    Interval,
    Uuid,
    Json,
    Jsonb,
    /// `name` (catalog identifiers, 63 bytes).
    Name,
    /// `oid` (catalog object ids).
    Oid,
    /// A string literal or parameter whose type is not known yet (PostgreSQL's `unknown`).
    Unknown,
}

/// An interval: months, days and microseconds kept apart, as PostgreSQL does.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub struct Interval {
    pub months: i32,
    pub days: i32,
    pub micros: i64,
}

/// One SQL value. `Null` is typeless; every other variant knows its type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int2(i16),
    Int4(i32),
    Int8(i64),
    Float4(f32),
    Float8(f64),
    Numeric(Decimal),
    /// text, varchar, char(n) (already padded), name, unknown literals.
    Text(String),
    Bytea(Vec<u8>),
    Date(NaiveDate),
    Timestamp(NaiveDateTime),
    Timestamptz(DateTime<Utc>),
    Interval(Interval),
    Uuid(uuid::Uuid),
    /// json keeps the text as written; jsonb is normalised (PostgreSQL's output form).
    Json(String),
    Jsonb(serde_json::Value),
    Oid(u32),
}

/// Binary operators the executor evaluates through [`binary_op`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Concat,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    /// jsonb `->` (returns jsonb).
    JsonGet,
    /// jsonb `->>` (returns text).
    JsonGetText,
}

/// Unary operators evaluated through [`unary_op`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Neg,
    Plus,
}

impl DataType {
    /// The PostgreSQL type OID (e.g. int4 = 23, text = 25, numeric = 1700).
    pub fn oid(&self) -> u32 {
        todo!()
    }

    /// The type for a PostgreSQL OID, if supported (varchar/bpchar/numeric without modifier).
    pub fn from_oid(oid: u32) -> Option<DataType> {
        let _ = oid;
        todo!()
    }

    /// The `atttypmod` PostgreSQL reports (-1 when none; varchar(n) = n + 4; numeric(p,s) =
    /// ((p << 16) | s) + 4).
    pub fn typmod(&self) -> i32 {
        todo!()
    }

    /// `typlen`: fixed size in bytes, or -1 for variable length.
    pub fn typlen(&self) -> i16 {
        todo!()
    }

    /// What `format_type(oid, typmod)` prints: `integer`, `character varying(10)`,
    /// `numeric(12,3)`, `timestamp without time zone`, ...
    pub fn display_name(&self) -> String {
        todo!()
    }

    /// Parses a type name as written in SQL (`int`, `int4`, `integer`, `bigint`, `serial`
    /// is NOT a type here, `varchar(10)`, `double precision`, `timestamptz`, ...). The caller
    /// passes the lower-cased base name and the numeric modifiers.
    pub fn from_sql_name(name: &str, modifiers: &[u32]) -> Result<DataType, SqlError> {
        let _ = (name, modifiers);
        todo!()
    }

    /// True for int2/int4/int8/float4/float8/numeric.
    pub fn is_numeric(&self) -> bool {
        todo!()
    }

    /// True for text/varchar/char/name/unknown.
    pub fn is_string(&self) -> bool {
        todo!()
    }
}

impl Value {
    /// The value's type (`None` for NULL). Text reports `DataType::Text`.
    pub fn data_type(&self) -> Option<DataType> {
        todo!()
    }

    /// True for NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Appends the PostgreSQL text output form (`t`/`f`, `1.50`, `2024-01-02 03:04:05+00`,
    /// `\x0102`, `1 year 2 mons`, jsonb normalised, floats shortest round-trip as with
    /// extra_float_digits=1...). NULL appends nothing (the wire sends length -1).
    pub fn write_text(&self, out: &mut BytesMut) {
        let _ = out;
        todo!()
    }

    /// Text output as a String (NULL → empty string).
    pub fn to_text(&self) -> String {
        let mut out = BytesMut::new();
        self.write_text(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Appends the PostgreSQL binary send form of the value *as type `ty`* (the column type
    /// announced in RowDescription). NULL appends nothing.
    pub fn write_binary(&self, ty: &DataType, out: &mut BytesMut) -> Result<(), SqlError> {
        let _ = (ty, out);
        todo!()
    }

    /// Parses PostgreSQL text input for `ty` (`'t'`, `'yes'`, `' 42 '`, `'1e3'`, ISO dates and
    /// timestamps incl. `T` and zone suffixes, `'\x0a'` bytea, uuid with or without dashes,
    /// intervals like `1 day 02:00:00` and `P1D`, json). Errors: 22P02 with PostgreSQL's
    /// message (`invalid input syntax for type integer: "abc"`), 22003 for out-of-range
    /// numbers (`value "99999999999" is out of range for type integer`), 22008/22007 for
    /// dates. Applies `ty`'s modifier (varchar length → 22001, numeric scale rounding,
    /// precision → 22003, char(n) padding).
    pub fn parse_text(ty: &DataType, text: &str) -> Result<Value, SqlError> {
        let _ = (ty, text);
        todo!()
    }

    /// Parses PostgreSQL binary input for `ty` (22P03 on a malformed length/content).
    pub fn parse_binary(ty: &DataType, bytes: &[u8]) -> Result<Value, SqlError> {
        let _ = (ty, bytes);
        todo!()
    }

    /// Converts to `ty` following PostgreSQL's cast rules (int overflow 22003, float→int
    /// rounds half away from zero, text → anything parses, anything → text prints, numeric
    /// precision/scale enforced, varchar(n) explicit cast truncates while assignment errors:
    /// `explicit` selects which). NULL casts to NULL.
    pub fn cast(&self, ty: &DataType, explicit: bool) -> Result<Value, SqlError> {
        let _ = (ty, explicit);
        todo!()
    }

    /// SQL comparison: `None` if either side is NULL. Numeric types compare across widths
    /// (int4 vs numeric vs float8); text compares bytewise (C collation); mismatched types that
    /// cannot be compared → Err 42883 `operator does not exist: integer = text`.
    pub fn sql_cmp(&self, other: &Value) -> Result<Option<Ordering>, SqlError> {
        let _ = other;
        todo!()
    }

    /// Total order for ORDER BY (ascending, NULLs last as PostgreSQL's default) and for
    /// sorting/grouping. NaN sorts above all other floats, as in PostgreSQL.
    pub fn sort_cmp(&self, other: &Value) -> Ordering {
        let _ = other;
        todo!()
    }

    /// Appends the order-preserving key form (via `KeyEncoder`) so byte order of encoded keys
    /// equals [`Value::sort_cmp`] order for values of one type. Used for primary keys.
    pub fn encode_key(&self, key: &mut KeyEncoder) {
        let _ = key;
        todo!()
    }
}

/// Evaluates `left op right` with PostgreSQL semantics: NULL in → NULL out (comparisons too),
/// integer overflow → 22003 `integer out of range`, division by zero → 22012, int/int
/// division truncates, numeric promotion (int op numeric → numeric, anything op float8 →
/// float8), text `||` anything → text, date + int → date, timestamp ± interval, date - date
/// → int4, timestamp - timestamp → interval. Unsupported combination → 42883
/// `operator does not exist: boolean + integer`.
pub fn binary_op(op: BinaryOp, left: &Value, right: &Value) -> Result<Value, SqlError> {
    let _ = (op, left, right);
    todo!()
}

/// The result type of `left op right` for static typing (RowDescription before execution).
/// `Unknown` operands take the other side's type.
pub fn binary_op_type(
    op: BinaryOp,
    left: &DataType,
    right: &DataType,
) -> Result<DataType, SqlError> {
    let _ = (op, left, right);
    todo!()
}

/// Evaluates a unary operator (negation overflow → 22003).
pub fn unary_op(op: UnaryOp, value: &Value) -> Result<Value, SqlError> {
    let _ = (op, value);
    todo!()
}

/// Encodes a row of values for storage (compact, self-describing per value, versioned with a
/// leading format byte so columns added later decode as NULL/default).
pub fn encode_row(values: &[Value], out: &mut Vec<u8>) {
    let _ = (values, out);
    todo!()
}

/// Decodes a stored row. Fewer stored values than `types` → the rest are NULL. Damaged
/// bytes → Err XX001 (never a panic).
pub fn decode_row(bytes: &[u8], types: &[DataType]) -> Result<Vec<Value>, SqlError> {
    let _ = (bytes, types);
    todo!()
}
