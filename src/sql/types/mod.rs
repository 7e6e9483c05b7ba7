//! SQL data types and values: what a column can hold, how values look on the wire (text and
//! binary formats, exactly as PostgreSQL 15 writes them), how they are stored, compared, cast
//! and combined by operators.
//!
//! Owns: [`DataType`], [`Value`], [`Interval`], text/binary input and output, casts with
//! PostgreSQL's rules (overflow, length and precision checks), the value order used by ORDER
//! BY and indexes, arithmetic and comparison operators, the row codec used for storage and
//! the order-preserving key codec used for primary keys.
//!
//! Files, one job each: `value` (the enums), `array` (array values and their formats), `datatype` (OIDs, typmods, names), `text_in` /
//! `text_out` (text formats), `binary_io` (binary wire format), `cast` (conversions),
//! `compare` (SQL comparison and sort order), `ops` (operators), `row_codec` (storage rows),
//! `key_codec` (memcomparable keys); helpers `numeric`, `float_fmt`, `datetime`, `interval`,
//! `json`, `errors`.
//!
//! Depends on: `encoding` (key codec), `sql::error`. Knows nothing of tables or the wire.

mod array;
pub mod array_ops;
mod binary_io;
mod cast;
mod compare;
mod datatype;
mod datetime;
mod errors;
mod float_fmt;
mod interval;
mod json;
mod key_codec;
mod numeric;
mod ops;
mod row_codec;
mod text_in;
mod text_out;
mod value;

#[cfg(test)]
mod tests;

pub use array::{
    Array, ArrayDim, MAX_DIMENSIONS, array_type_oid, array_type_oids, element_type_oid,
};
pub use cast::{CastContext, cast_context};
pub use ops::op_symbol;
pub use ops::{binary_op, binary_op_type, unary_op};
pub use row_codec::{ROW_FORMAT_V1, decode_row, encode_row};
pub use text_in::bpchar_trim;
pub use value::*;
