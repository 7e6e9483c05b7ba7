//! Unit tests of the type system, one file per module under test; expected outputs were
//! checked against PostgreSQL 15.

mod arrays;
mod binary;
mod casts;
mod codecs;
mod compare;
mod datatype;
mod ops;
mod text;

use super::{DataType, Value};
use crate::sql::error::SqlError;
use rust_decimal::Decimal;

pub(super) fn parse(ty: &DataType, text: &str) -> Value {
    match Value::parse_text(ty, text) {
        Ok(v) => v,
        Err(e) => panic!("parse {text:?} as {ty:?}: {e:?}"),
    }
}

pub(super) fn parse_err(ty: &DataType, text: &str) -> SqlError {
    match Value::parse_text(ty, text) {
        Ok(v) => panic!("parse {text:?} as {ty:?} unexpectedly gave {v:?}"),
        Err(e) => e,
    }
}

/// Text in, text out.
pub(super) fn round(ty: &DataType, text: &str) -> String {
    parse(ty, text).to_text()
}

pub(super) fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

pub(super) fn numeric(p: u32, s: u32) -> DataType {
    DataType::Numeric { precision: Some(p), scale: Some(s) }
}

pub(super) const NUMERIC: DataType = DataType::Numeric { precision: None, scale: None };
