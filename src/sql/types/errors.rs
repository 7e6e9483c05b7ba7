//! Constructors for the errors the type system raises, with PostgreSQL's SQLSTATEs and
//! wording, so every module words the same failure the same way.

use crate::sql::error::{SqlError, sqlstate};

/// 22P02 `invalid input syntax for type integer: "abc"`.
pub(crate) fn invalid_text(type_name: &str, input: &str) -> SqlError {
    SqlError::new(
        sqlstate::INVALID_TEXT_REPRESENTATION,
        format!("invalid input syntax for type {type_name}: \"{input}\""),
    )
}

/// 22007 `invalid input syntax for type timestamp: "x"`.
pub(crate) fn invalid_datetime(type_name: &str, input: &str) -> SqlError {
    SqlError::new(
        sqlstate::INVALID_DATETIME_FORMAT,
        format!("invalid input syntax for type {type_name}: \"{input}\""),
    )
}

/// 22008 `date/time field value out of range: "2024-02-30"`.
pub(crate) fn datetime_field_overflow(input: &str) -> SqlError {
    SqlError::new(
        sqlstate::DATETIME_FIELD_OVERFLOW,
        format!("date/time field value out of range: \"{input}\""),
    )
}

/// 22008 with a fixed message (`timestamp out of range`, `date out of range`, ...).
pub(crate) fn datetime_overflow(message: &str) -> SqlError {
    SqlError::new(sqlstate::DATETIME_FIELD_OVERFLOW, message)
}

/// 22003 `value "99999999999" is out of range for type integer`.
pub(crate) fn value_out_of_range(input: &str, type_name: &str) -> SqlError {
    SqlError::new(
        sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
        format!("value \"{input}\" is out of range for type {type_name}"),
    )
}

/// 22003 with a fixed message (`integer out of range`, `value overflows numeric format`).
pub(crate) fn numeric_out_of_range(message: &str) -> SqlError {
    SqlError::new(sqlstate::NUMERIC_VALUE_OUT_OF_RANGE, message)
}

/// 22003 `numeric field overflow` (numeric out of range for its value or typmod).
pub(crate) fn numeric_overflow() -> SqlError {
    numeric_out_of_range("value overflows numeric format")
}

/// 22012 `division by zero`.
pub(crate) fn division_by_zero() -> SqlError {
    SqlError::new(sqlstate::DIVISION_BY_ZERO, "division by zero")
}

/// 22P03 `incorrect binary data format`.
pub(crate) fn bad_binary() -> SqlError {
    SqlError::new(sqlstate::INVALID_BINARY_REPRESENTATION, "incorrect binary data format")
}

/// XX001: stored bytes are damaged.
pub(crate) fn corrupted(what: &str) -> SqlError {
    SqlError::new(sqlstate::DATA_CORRUPTED, format!("invalid stored row: {what}"))
}

/// 42883 `operator does not exist: integer = boolean` with PostgreSQL's hint.
pub(crate) fn operator_not_exist(left: &str, op: &str, right: &str) -> SqlError {
    let signature =
        if left.is_empty() { format!("{op} {right}") } else { format!("{left} {op} {right}") };
    SqlError::new(sqlstate::UNDEFINED_FUNCTION, format!("operator does not exist: {signature}"))
        .with_hint(
            "No operator matches the given name and argument types. You might need to add explicit \
         type casts.",
        )
}

/// 42846 `cannot cast type boolean to date`.
pub(crate) fn cannot_cast(from: &str, to: &str) -> SqlError {
    SqlError::new("42846", format!("cannot cast type {from} to {to}"))
}

/// 0A000 for values PostgreSQL has but QuorumDB cannot represent (numeric NaN, infinite dates).
pub(crate) fn unsupported(message: &str) -> SqlError {
    SqlError::unsupported(message)
}
