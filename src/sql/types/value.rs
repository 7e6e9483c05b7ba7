//! The type and value enums every other module relies on ([`DataType`], [`Value`],
//! [`Interval`], [`BinaryOp`], [`UnaryOp`]) and the smallest accessors. Behaviour lives in the
//! sibling modules: metadata in `datatype`, text I/O in `text_in`/`text_out`, binary I/O in
//! `binary_io`, casts in `cast`, ordering in `compare`, operators in `ops`, storage in
//! `row_codec` and `key_codec`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;

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
    /// An array of the element type (any number of dimensions, as in PostgreSQL).
    Array(Box<DataType>),
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
    Array(Box<super::array::Array>),
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

impl Value {
    /// The value's type (`None` for NULL). Text reports `DataType::Text`.
    pub fn data_type(&self) -> Option<DataType> {
        Some(match self {
            Value::Null => return None,
            Value::Bool(_) => DataType::Bool,
            Value::Int2(_) => DataType::Int2,
            Value::Int4(_) => DataType::Int4,
            Value::Int8(_) => DataType::Int8,
            Value::Float4(_) => DataType::Float4,
            Value::Float8(_) => DataType::Float8,
            Value::Numeric(_) => DataType::Numeric { precision: None, scale: None },
            Value::Text(_) => DataType::Text,
            Value::Bytea(_) => DataType::Bytea,
            Value::Date(_) => DataType::Date,
            Value::Timestamp(_) => DataType::Timestamp,
            Value::Timestamptz(_) => DataType::Timestamptz,
            Value::Interval(_) => DataType::Interval,
            Value::Uuid(_) => DataType::Uuid,
            Value::Json(_) => DataType::Json,
            Value::Jsonb(_) => DataType::Jsonb,
            Value::Oid(_) => DataType::Oid,
            Value::Array(a) => DataType::Array(Box::new(a.element_type.clone())),
        })
    }

    /// The `format_type` name of the value's type (`integer`, `text`; `unknown` for NULL),
    /// as error messages print it.
    pub fn type_name(&self) -> &'static str {
        self.data_type().map_or("unknown", |ty| ty.base_name())
    }

    /// True for NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Text output as a String (NULL → empty string).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write_text_to_string(&mut out);
        out
    }
}
