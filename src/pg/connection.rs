//! One client connection after startup: the protocol loop that dispatches frontend messages,
//! the simple query protocol, and row streaming shared by simple query, Execute and COPY TO.
//!
//! Session methods are synchronous and may block (a commit waits for fsync, a statement may
//! scan for long): they are called directly, because every connection runs on a thread of
//! its own (see `server`), as every PostgreSQL backend is a process of its own. Rows are
//! pulled from the session's lazy [`RowStream`] in chunks (≤ [`CHUNK_ROWS`] rows or until the
//! output buffer holds ~64 KiB), written, and pulled again: a large result is never
//! materialised.
//!
//! Owns: [`Connection`], [`Fail`], the message dispatch. Depends on: `wire`, `startup`,
//! `extended` (statements and portals), `copy`, `encode`, `sql::Session`.

use super::copy::{self, CopyEncoding};
use super::encode::{self, Severity};
use super::extended::Extended;
use super::frame::Frontend;
use super::server::Shared;
use super::startup::{self, Opened};
use super::wire::{OUT_HIGH_WATER, Stop, Wire};
use crate::sql::types::Value;
use crate::sql::{
    Column, Outcome, RowStream, Session, SqlError, Statement, TxnStatus, completion_tag,
};
use bytes::BytesMut;
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Rows pulled from a stream between two checks of the output buffer, at most.
pub const CHUNK_ROWS: u64 = 512;

/// How a message handler failed.
#[derive(Debug)]
pub enum Fail {
    /// The statement failed outside `Session::execute` (parse, bind, a row stream, COPY
    /// data...): report it and call `Session::fail_statement`.
    Sql(SqlError),
    /// `Session::execute` failed and has already marked the statement failed: report only.
    Marked(SqlError),
    /// The connection ends.
    Stop(Stop),
}

impl From<SqlError> for Fail {
    fn from(err: SqlError) -> Self {
        Fail::Sql(err)
    }
}

impl From<Stop> for Fail {
    fn from(stop: Stop) -> Self {
        Fail::Stop(stop)
    }
}

/// The 57014 error of a cancelled statement.
pub fn canceled() -> SqlError {
    SqlError::new(crate::sql::sqlstate::QUERY_CANCELED, "canceling statement due to user request")
}

/// An authenticated connection.
pub struct Connection {
    pub(super) wire: Wire,
    pub(super) session: Box<Session>,
    /// The session's cancel flag (also in the server's registry).
    pub(super) cancel: Arc<AtomicBool>,
    pub(super) ext: Extended,
}

/// Serves one accepted socket until it closes; never panics on client input. When the
/// connection ends for any reason its session is terminated (open transaction rolled back).
pub fn run(stream: Arc<TcpStream>, shared: Arc<Shared>) {
    let mut wire = Wire::new(stream, shared.max_message, shared.stopping());
    let (session, registration) = match startup::open(&mut wire, &shared) {
        Ok(Opened::Session(session, registration)) => (session, registration),
        Ok(Opened::Cancel) => return,
        Err(stop) => {
            log_stop(&stop);
            wire.close(&stop);
            return;
        }
    };
    let cancel = session.cancel_flag();
    let mut conn = Connection { wire, session, cancel, ext: Extended::default() };
    let stop = conn.serve();
    log_stop(&stop);
    let Connection { wire, mut session, .. } = conn;
    // Dropping portals first releases their row streams before the rollback.
    session.terminate();
    drop(session);
    drop(registration);
    wire.close(&stop);
}

fn log_stop(stop: &Stop) {
    match stop {
        Stop::Fatal(err) => tracing::info!(code = err.code, "closing connection: {}", err.message),
        Stop::Io(err) => tracing::debug!(%err, "connection lost"),
        Stop::Eof | Stop::Terminate | Stop::Shutdown => {}
    }
}

impl Connection {
    fn serve(&mut self) -> Stop {
        loop {
            let result = match self.wire.read() {
                Ok(Ok(msg)) => self.dispatch(msg),
                Ok(Err((tag, err))) => self.bad_message(tag, err),
                Err(stop) => return stop,
            };
            if let Err(stop) = result {
                return stop;
            }
        }
    }

    fn dispatch(&mut self, msg: Frontend) -> Result<(), Stop> {
        match msg {
            Frontend::Terminate => return Err(Stop::Terminate),
            Frontend::Sync => return self.sync(),
            // Left over from a COPY FROM STDIN that failed: ignored, as PostgreSQL does.
            Frontend::CopyData(_) | Frontend::CopyDone | Frontend::CopyFail(_) => {}
            Frontend::Password(_) => {
                return Err(Stop::Fatal(SqlError::new(
                    crate::sql::sqlstate::PROTOCOL_VIOLATION,
                    "unexpected password message",
                )));
            }
            // After an error in extended mode everything up to Sync is discarded.
            _ if self.ext.skipping => {}
            Frontend::Query(sql) => return self.simple_query(&sql),
            Frontend::Flush => return self.wire.flush(),
            other => {
                let result = self.extended(other);
                return self.extended_result(result);
            }
        }
        Ok(())
    }

    /// A message whose strings were not UTF-8: an ordinary error for that message.
    fn bad_message(&mut self, tag: u8, err: SqlError) -> Result<(), Stop> {
        if self.ext.skipping || matches!(tag, b'd' | b'c' | b'f') {
            return Ok(());
        }
        if tag == b'Q' {
            self.report(Fail::Sql(err))?;
            return self.ready();
        }
        self.extended_result(Err(Fail::Sql(err)))
    }

    /// Sends an ErrorResponse for `fail` (marking the statement failed when the session
    /// does not know yet), or passes a [`Stop`] on.
    pub(super) fn report(&mut self, fail: Fail) -> Result<(), Stop> {
        match fail {
            Fail::Stop(stop) => return Err(stop),
            Fail::Sql(err) => {
                encode::error(&mut self.wire.out, &err, Severity::Error);
                self.session.fail_statement();
            }
            Fail::Marked(err) => encode::error(&mut self.wire.out, &err, Severity::Error),
        }
        Ok(())
    }

    /// Parameter changes, then ReadyForQuery with the transaction status; flushes.
    pub(super) fn ready(&mut self) -> Result<(), Stop> {
        for (name, value) in self.session.take_parameter_changes() {
            encode::parameter_status(&mut self.wire.out, &name, &value);
        }
        encode::ready(&mut self.wire.out, self.session.txn_status());
        self.wire.flush()
    }

    fn simple_query(&mut self, sql: &str) -> Result<(), Stop> {
        self.ext.forget_unnamed();
        self.cancel.store(false, Ordering::SeqCst);
        let result = self.run_simple(sql);
        if let Err(fail) = result {
            self.report(fail)?;
        }
        if self.session.txn_status() == TxnStatus::Idle {
            self.ext.end_of_transaction();
        }
        self.ready()
    }

    fn run_simple(&mut self, sql: &str) -> Result<(), Fail> {
        // A repeated statement shape runs as a kept prepared statement (see
        // `sql::session::shape_cache`); anything else is parsed and bound here.
        if let Some(outcome) = self.session.run_by_shape(sql) {
            self.simple_outcome(outcome.map_err(Fail::Marked)?)?;
            return Ok(());
        }
        let statements = self.session.parse_repeated(sql)?;
        if statements.is_empty() {
            encode::empty(&mut self.wire.out, encode::EMPTY_QUERY);
            return Ok(());
        }
        // Several statements in one Query run in one implicit transaction (unless they open
        // their own block), as in PostgreSQL: an error anywhere rolls back all of them.
        let batch = statements.len() > 1;
        if batch {
            self.session.begin_batch();
        }
        let mut result = Ok(());
        for statement in statements {
            result = self.run_one_simple(statement);
            if result.is_err() {
                break;
            }
        }
        if batch {
            if result.is_err() {
                // Roll the implicit transaction back before the batch ends (a failure inside a
                // row stream has not been reported to the session yet).
                self.session.fail_statement();
            }
            let ended = self.session.end_batch();
            if result.is_ok() {
                result = ended.map_err(Fail::Marked);
            }
        }
        result
    }

    fn run_one_simple(&mut self, statement: Statement) -> Result<(), Fail> {
        let outcome = self.session.run_statement(statement).map_err(Fail::Marked)?;
        self.simple_outcome(outcome)?;
        self.wire.flush_if_full()?;
        Ok(())
    }

    fn simple_outcome(&mut self, outcome: Outcome) -> Result<(), Fail> {
        match outcome {
            Outcome::Rows { columns, mut rows, verb } => {
                encode::row_description(&mut self.wire.out, &columns, &[]);
                let (sent, _) =
                    self.send_rows(&mut rows, &columns, &[], 0, RowEncoding::DataRow)?;
                encode::command_complete(&mut self.wire.out, &completion_tag(verb, sent));
            }
            other => self.finish_outcome(other)?,
        }
        Ok(())
    }

    /// Completes an outcome that is not a row set (the same in simple and extended mode).
    pub(super) fn finish_outcome(&mut self, outcome: Outcome) -> Result<(), Fail> {
        let tag = match outcome {
            Outcome::Rows { .. } => {
                return Err(Fail::Sql(SqlError::internal("row outcome in finish_outcome")));
            }
            Outcome::Done(tag) => tag,
            Outcome::DoneWithNotice { tag, notices } => {
                for notice in &notices {
                    encode::notice(&mut self.wire.out, notice);
                }
                tag
            }
            Outcome::Empty => {
                encode::empty(&mut self.wire.out, encode::EMPTY_QUERY);
                return Ok(());
            }
            Outcome::CopyIn(copy) => self.copy_in(copy)?,
            Outcome::CopyOut { format, column_count, rows } => {
                self.copy_out(format, column_count, rows)?
            }
        };
        encode::command_complete(&mut self.wire.out, &tag);
        Ok(())
    }

    /// Streams up to `limit` rows (0 = all) of `rows` into the output, flushing as it grows.
    /// Returns the rows sent and whether the stream is exhausted. Checks the cancel flag
    /// between chunks (the session also checks it between rows).
    pub(super) fn send_rows(
        &mut self,
        rows: &mut RowStream,
        columns: &[Column],
        binary: &[bool],
        limit: u64,
        encoding: RowEncoding,
    ) -> Result<(u64, bool), Fail> {
        let mut sent = 0u64;
        let mut scratch = BytesMut::new();
        loop {
            if self.cancel.load(Ordering::SeqCst) {
                return Err(Fail::Sql(canceled()));
            }
            let budget = if limit > 0 { CHUNK_ROWS.min(limit - sent) } else { CHUNK_ROWS };
            let step = encode_chunk(
                rows,
                &mut self.wire.out,
                &mut scratch,
                budget,
                |out, scratch, row| encoding.encode(out, scratch, row, columns, binary),
            );
            let (n, exhausted) = step?;
            sent += n;
            if exhausted || (limit > 0 && sent >= limit) {
                return Ok((sent, exhausted));
            }
            self.wire.flush_if_full()?;
        }
    }
}

/// Pulls up to `budget` rows from `rows` and encodes them into `out`, stopping early when
/// the output buffer is full. Returns the rows encoded and whether the stream is exhausted.
fn encode_chunk(
    rows: &mut RowStream,
    out: &mut BytesMut,
    scratch: &mut BytesMut,
    budget: u64,
    mut encode_row: impl FnMut(&mut BytesMut, &mut BytesMut, &[Value]) -> Result<(), SqlError>,
) -> Result<(u64, bool), SqlError> {
    let mut n = 0;
    while n < budget && out.len() < OUT_HIGH_WATER {
        match rows.next() {
            None => return Ok((n, true)),
            Some(row) => {
                encode_row(out, scratch, &row?)?;
                n += 1;
            }
        }
    }
    Ok((n, false))
}

/// How a row is written to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowEncoding {
    /// A DataRow message (text or binary per column).
    DataRow,
    /// A CopyData message holding one line of COPY text or CSV.
    Copy(CopyEncoding),
}

impl RowEncoding {
    fn encode(
        self,
        out: &mut BytesMut,
        scratch: &mut BytesMut,
        row: &[Value],
        columns: &[Column],
        binary: &[bool],
    ) -> Result<(), SqlError> {
        match self {
            RowEncoding::DataRow => encode::data_row(out, row, columns, binary),
            RowEncoding::Copy(encoding) => copy::copy_data_row(out, scratch, row, encoding),
        }
    }
}
