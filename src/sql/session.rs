//! [`Database`] (shared by all connections) and [`Session`] (one per connection): the
//! interface the wire layer drives.

use super::error::SqlError;
use super::types::{DataType, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// Options for opening a database directory.
#[derive(Debug, Clone)]
pub struct DatabaseOptions {
    /// Memory for in-memory tables before checkpoints write data out.
    pub memory_limit_bytes: usize,
    /// Skip fsync (UNSAFE, tests only).
    pub wal_sync_off: bool,
}

impl Default for DatabaseOptions {
    fn default() -> Self {
        Self { memory_limit_bytes: 64 << 20, wal_sync_off: false }
    }
}

/// One open database: the storage engine, transactions and the catalog. Shared by sessions.
#[derive(Debug)]
pub struct Database {}

impl Database {
    /// Opens (recovering) or creates the database in `data_dir`.
    pub fn open(data_dir: &Path, options: DatabaseOptions) -> Result<Arc<Database>, SqlError> {
        let _ = (data_dir, options);
        todo!()
    }

    /// Stops background work and syncs; call once no session runs statements any more.
    pub fn close(&self) {}
}

/// A parsed but not yet bound statement (one of possibly several in a simple Query).
#[derive(Debug, Clone)]
pub struct Statement {}

/// Result column metadata (RowDescription).
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub ty: DataType,
    /// OID of the table the column comes from, or 0.
    pub table_oid: u32,
    /// Attribute number in that table, or 0.
    pub column_number: i16,
}

/// A statement bound against the catalog: what Parse / Describe need.
#[derive(Debug)]
pub struct Prepared {
    /// The statement text.
    pub sql: String,
    /// Parameter types ($1, $2, ...), inferred where the client sent none.
    pub param_types: Vec<DataType>,
    /// Result columns; empty when the statement returns no rows.
    pub columns: Vec<Column>,
}

/// Rows produced lazily: large results are never materialised.
pub type RowStream = Box<dyn Iterator<Item = Result<Vec<Value>, SqlError>> + Send>;

/// COPY data format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyFormat {
    Text,
    Csv,
    Binary,
}

/// An in-progress COPY ... FROM STDIN: feed it CopyData, then finish it.
#[derive(Debug)]
pub struct CopyIn {
    /// Format of the incoming data.
    pub format: CopyFormat,
    /// Number of columns (CopyInResponse announces one format code per column).
    pub column_count: usize,
}

/// What executing a statement produced.
pub enum Outcome {
    /// Rows to stream, then CommandComplete with `completion_tag(verb, count)`.
    Rows { columns: Arc<[Column]>, rows: RowStream, verb: &'static str },
    /// A command without rows: the CommandComplete tag (`CREATE TABLE`, `INSERT 0 3`, ...).
    Done(String),
    /// Notices to send before CommandComplete (e.g. DROP TABLE IF EXISTS of a missing table).
    DoneWithNotice { tag: String, notices: Vec<SqlError> },
    /// The statement was empty (EmptyQueryResponse).
    Empty,
    /// COPY FROM STDIN: the wire layer sends CopyInResponse and feeds data.
    CopyIn(CopyIn),
    /// COPY TO STDOUT: CopyOutResponse, one CopyData per encoded row, CopyDone.
    CopyOut { format: CopyFormat, column_count: usize, rows: RowStream },
}

/// CommandComplete text for `count` rows: `INSERT 0 n`, `SELECT n`, `UPDATE n`, ...
pub fn completion_tag(verb: &str, count: u64) -> String {
    if verb == "INSERT" { format!("INSERT 0 {count}") } else { format!("{verb} {count}") }
}

/// Transaction state as ReadyForQuery reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnStatus {
    /// `I`: no transaction block.
    Idle,
    /// `T`: inside BEGIN ... COMMIT.
    InBlock,
    /// `E`: a statement failed inside a block; everything but ROLLBACK is refused (25P02).
    Failed,
}

/// One client's session: transaction state, settings, prepared statements.
pub struct Session {
    /// Set by a cancel request; checked between rows.
    cancel: Arc<AtomicBool>,
    prepared: HashMap<String, Arc<Prepared>>,
}

impl Session {
    /// A session for `user` on `db`. `startup` holds the StartupMessage parameters
    /// (application_name, client_encoding, DateStyle, TimeZone, options, ...).
    pub fn new(
        db: Arc<Database>,
        user: &str,
        startup: &[(String, String)],
    ) -> Result<Session, SqlError> {
        let _ = (db, user, startup);
        Ok(Session { cancel: Arc::new(AtomicBool::new(false)), prepared: HashMap::new() })
    }

    /// The ParameterStatus values to report after authentication (server_version,
    /// client_encoding, DateStyle, TimeZone, integer_datetimes, ...).
    pub fn parameter_statuses(&self) -> Vec<(String, String)> {
        todo!()
    }

    /// Reported parameters changed since the last call (after SET/RESET), to send as
    /// ParameterStatus before ReadyForQuery.
    pub fn take_parameter_changes(&mut self) -> Vec<(String, String)> {
        Vec::new()
    }

    /// Splits and parses statement text. An empty or all-comment string gives no statements.
    pub fn parse(&self, sql: &str) -> Result<Vec<Statement>, SqlError> {
        let _ = sql;
        todo!()
    }

    /// Binds one statement: resolves names and infers parameter types. `param_types[i]` is
    /// the type the client declared for `$i+1`, or `None` (OID 0) to infer.
    pub fn prepare(
        &mut self,
        sql: &str,
        statement: Statement,
        param_types: &[Option<DataType>],
    ) -> Result<Prepared, SqlError> {
        let _ = (sql, statement, param_types);
        todo!()
    }

    /// Executes a bound statement with parameter values (already decoded to the parameter
    /// types). In a failed transaction block everything except ROLLBACK/COMMIT errors 25P02.
    /// An error inside a block puts the block into the failed state.
    pub fn execute(
        &mut self,
        prepared: &Prepared,
        params: Vec<Value>,
    ) -> Result<Outcome, SqlError> {
        let _ = (prepared, params);
        todo!()
    }

    /// Feeds COPY FROM STDIN data (any chunking; rows may span chunks).
    pub fn copy_in_data(&mut self, copy: &mut CopyIn, data: &[u8]) -> Result<(), SqlError> {
        let _ = (copy, data);
        todo!()
    }

    /// Ends COPY FROM STDIN (CopyDone): inserts what remains and returns the tag `COPY n`.
    pub fn copy_in_done(&mut self, copy: CopyIn) -> Result<String, SqlError> {
        let _ = copy;
        todo!()
    }

    /// Marks the current statement failed from outside (a Bind that could not decode a
    /// parameter, CopyFail, a vanished client): a transaction block becomes Failed; an
    /// implicit transaction rolls back.
    pub fn fail_statement(&mut self) {}

    /// Ends the session: rolls back any open transaction.
    pub fn terminate(&mut self) {}

    /// ReadyForQuery status.
    pub fn txn_status(&self) -> TxnStatus {
        TxnStatus::Idle
    }

    /// Flag a CancelRequest sets; the running statement then fails with 57014.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }

    /// Named prepared statements; the wire protocol's Parse/Close and SQL PREPARE/DEALLOCATE
    /// share this namespace, as in PostgreSQL.
    pub fn prepared_statements(&mut self) -> &mut HashMap<String, Arc<Prepared>> {
        &mut self.prepared
    }
}
