//! SQL data types and values: what a column can hold, how values look on the wire (text and
//! binary formats, exactly as PostgreSQL 15 writes them), how they are stored, compared, cast
//! and combined by operators.
//!
//! Owns: [`DataType`], [`Value`], [`Interval`], text/binary input and output, casts with
//! PostgreSQL's rules (overflow, length and precision checks), the value order used by ORDER
//! BY and indexes, arithmetic and comparison operators, the row codec used for storage and
//! the order-preserving key codec used for primary keys.
//!
//! Depends on: `encoding` (key codec), `sql::error`. Knows nothing of tables or the wire.

mod value;
pub use value::*;
