//! [`SqlError`]: every error the SQL layer reports, each with its PostgreSQL SQLSTATE.
//!
//! The wire layer (`pg`) turns these into ErrorResponse messages; nothing else in the SQL layer
//! knows about the wire.

use crate::storage::StorageError;
use crate::txn::TxnError;

/// An error of the SQL layer, carrying the SQLSTATE clients see. Boxed so that `Result`s
/// stay small on the hot path; fields are read through `Deref` (`err.code`, `err.detail`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.message)]
pub struct SqlError(Box<ErrorFields>);

/// The fields of a [`SqlError`] (the ErrorResponse fields PostgreSQL sends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorFields {
    /// Five-character SQLSTATE code, e.g. `42P01`.
    pub code: &'static str,
    /// Primary human-readable message (PostgreSQL's wording where we can).
    pub message: String,
    /// Optional DETAIL line.
    pub detail: Option<String>,
    /// Optional HINT line.
    pub hint: Option<String>,
    /// 1-based character position in the statement text, when the error points at one.
    pub position: Option<u32>,
    /// Table the error concerns (ErrorResponse field `t`).
    pub table: Option<String>,
    /// Constraint the error concerns (ErrorResponse field `n`).
    pub constraint: Option<String>,
    /// Column the error concerns (ErrorResponse field `c`).
    pub column: Option<String>,
}

impl std::ops::Deref for SqlError {
    type Target = ErrorFields;

    fn deref(&self) -> &ErrorFields {
        &self.0
    }
}

impl std::ops::DerefMut for SqlError {
    fn deref_mut(&mut self) -> &mut ErrorFields {
        &mut self.0
    }
}

/// SQLSTATE codes used across the SQL and wire layers.
pub mod sqlstate {
    pub const SUCCESSFUL_COMPLETION: &str = "00000";
    pub const FEATURE_NOT_SUPPORTED: &str = "0A000";
    pub const SYNTAX_ERROR: &str = "42601";
    pub const UNDEFINED_TABLE: &str = "42P01";
    pub const UNDEFINED_COLUMN: &str = "42703";
    pub const UNDEFINED_FUNCTION: &str = "42883";
    pub const UNDEFINED_OBJECT: &str = "42704";
    pub const DUPLICATE_TABLE: &str = "42P07";
    pub const DUPLICATE_COLUMN: &str = "42701";
    pub const DUPLICATE_OBJECT: &str = "42710";
    pub const AMBIGUOUS_COLUMN: &str = "42702";
    pub const DATATYPE_MISMATCH: &str = "42804";
    pub const INVALID_COLUMN_REFERENCE: &str = "42P10";
    pub const GROUPING_ERROR: &str = "42803";
    pub const INVALID_TABLE_DEFINITION: &str = "42P16";
    pub const UNDEFINED_PARAMETER: &str = "42P02";
    pub const INDETERMINATE_DATATYPE: &str = "42P18";
    pub const UNIQUE_VIOLATION: &str = "23505";
    pub const NOT_NULL_VIOLATION: &str = "23502";
    pub const CHECK_VIOLATION: &str = "23514";
    pub const FOREIGN_KEY_VIOLATION: &str = "23503";
    pub const INVALID_TEXT_REPRESENTATION: &str = "22P02";
    pub const INVALID_BINARY_REPRESENTATION: &str = "22P03";
    pub const NUMERIC_VALUE_OUT_OF_RANGE: &str = "22003";
    pub const DIVISION_BY_ZERO: &str = "22012";
    pub const STRING_DATA_RIGHT_TRUNCATION: &str = "22001";
    pub const DATETIME_FIELD_OVERFLOW: &str = "22008";
    pub const INVALID_DATETIME_FORMAT: &str = "22007";
    pub const INVALID_PARAMETER_VALUE: &str = "22023";
    pub const INVALID_ESCAPE_SEQUENCE: &str = "22025";
    pub const CHARACTER_NOT_IN_REPERTOIRE: &str = "22021";
    pub const NULL_VALUE_NOT_ALLOWED: &str = "22004";
    pub const CARDINALITY_VIOLATION: &str = "21000";
    pub const SERIALIZATION_FAILURE: &str = "40001";
    pub const DEADLOCK_DETECTED: &str = "40P01";
    pub const IN_FAILED_SQL_TRANSACTION: &str = "25P02";
    pub const ACTIVE_SQL_TRANSACTION: &str = "25001";
    pub const NO_ACTIVE_SQL_TRANSACTION: &str = "25P01";
    pub const READ_ONLY_SQL_TRANSACTION: &str = "25006";
    pub const INVALID_TRANSACTION_STATE: &str = "25000";
    pub const INVALID_SAVEPOINT: &str = "3B001";
    pub const INVALID_CURSOR_NAME: &str = "34000";
    pub const INVALID_SQL_STATEMENT_NAME: &str = "26000";
    pub const DUPLICATE_PREPARED_STATEMENT: &str = "42P05";
    pub const DUPLICATE_CURSOR: &str = "42P03";
    pub const PROTOCOL_VIOLATION: &str = "08P01";
    pub const QUERY_CANCELED: &str = "57014";
    pub const ADMIN_SHUTDOWN: &str = "57P01";
    pub const INVALID_PASSWORD: &str = "28P01";
    pub const PROGRAM_LIMIT_EXCEEDED: &str = "54000";
    pub const OUT_OF_MEMORY: &str = "53200";
    pub const DISK_FULL: &str = "53100";
    pub const IO_ERROR: &str = "58030";
    pub const DATA_CORRUPTED: &str = "XX001";
    pub const INTERNAL_ERROR: &str = "XX000";
    pub const UNDEFINED_PARAMETER_NAME: &str = "42704";
    pub const CANT_CHANGE_RUNTIME_PARAM: &str = "55P02";
    pub const BAD_COPY_FILE_FORMAT: &str = "22P04";
    pub const INVALID_REGULAR_EXPRESSION: &str = "2201B";
    pub const ARRAY_SUBSCRIPT_ERROR: &str = "2202E";
    pub const WRONG_OBJECT_TYPE: &str = "42809";
    pub const WINDOWING_ERROR: &str = "42P20";
    pub const INVALID_RECURSION: &str = "42P19";
    pub const DUPLICATE_ALIAS: &str = "42712";
    pub const DEPENDENT_OBJECTS_STILL_EXIST: &str = "2BP01";
    pub const SEQUENCE_GENERATOR_LIMIT_EXCEEDED: &str = "2200H";
    pub const OBJECT_NOT_IN_PREREQUISITE_STATE: &str = "55000";
    pub const INVALID_FOREIGN_KEY: &str = "42830";
    pub const INVALID_SCHEMA_NAME: &str = "3F000";
    pub const DUPLICATE_SCHEMA: &str = "42P06";
    pub const INVALID_NAME: &str = "42602";
}

impl SqlError {
    /// An error with a code and message and nothing else.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self(Box::new(ErrorFields {
            code,
            message: message.into(),
            detail: None,
            hint: None,
            position: None,
            table: None,
            constraint: None,
            column: None,
        }))
    }

    /// 42601.
    pub fn syntax(message: impl Into<String>) -> Self {
        Self::new(sqlstate::SYNTAX_ERROR, message)
    }

    /// 0A000.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(sqlstate::FEATURE_NOT_SUPPORTED, message)
    }

    /// XX000: a bug or an impossible state; never for user mistakes.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(sqlstate::INTERNAL_ERROR, message)
    }

    /// Adds a DETAIL line.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Adds a HINT line.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a 1-based character position into the statement text.
    pub fn with_position(mut self, position: u32) -> Self {
        self.position = Some(position);
        self
    }

    /// Names the table (and constraint) the error concerns.
    pub fn with_table(mut self, table: impl Into<String>) -> Self {
        self.table = Some(table.into());
        self
    }

    /// Names the constraint the error concerns.
    pub fn with_constraint(mut self, constraint: impl Into<String>) -> Self {
        self.constraint = Some(constraint.into());
        self
    }

    /// Names the column the error concerns.
    pub fn with_column(mut self, column: impl Into<String>) -> Self {
        self.column = Some(column.into());
        self
    }

    /// Whether a client should retry the whole transaction (40001).
    pub fn is_retryable(&self) -> bool {
        self.code == sqlstate::SERIALIZATION_FAILURE
    }
}

impl From<TxnError> for SqlError {
    fn from(err: TxnError) -> Self {
        match err {
            TxnError::Conflict { .. } => {
                SqlError::new(sqlstate::SERIALIZATION_FAILURE, err.to_string())
                    .with_hint("The transaction might succeed if retried.")
            }
            TxnError::Deadlock => SqlError::new(sqlstate::DEADLOCK_DETECTED, err.to_string())
                .with_detail(
                    "The transaction waited for a row lock held by a transaction that, \
                     directly or through others, waited for one it holds.",
                ),
            TxnError::Storage(storage) => storage.into(),
        }
    }
}

impl From<StorageError> for SqlError {
    fn from(err: StorageError) -> Self {
        let code = match &err {
            StorageError::Corruption { .. } => sqlstate::DATA_CORRUPTED,
            StorageError::SnapshotTooOld { .. } => sqlstate::SERIALIZATION_FAILURE,
            _ => sqlstate::IO_ERROR,
        };
        SqlError::new(code, err.to_string())
    }
}
