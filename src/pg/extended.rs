//! The extended query protocol: Parse, Bind, Describe, Execute, Close and Sync, with the
//! unnamed statement, named statements (kept in the session, shared with SQL PREPARE and
//! DEALLOCATE) and portals (bound statements, possibly suspended mid-result).
//!
//! After an error, messages are discarded until Sync (see `Connection::dispatch`). Portals
//! end with Close, when the transaction ends (COMMIT/ROLLBACK), and at Sync outside a
//! transaction block. An empty query is a statement of its own ([`Stmt::Empty`]), because
//! the session has nothing to prepare for it.
//!
//! Owns: [`Extended`] (statements not in the session, portals, the discard state).
//! Depends on: `connection` (row streaming, outcome completion), `encode`, `sql`.

use super::connection::{Connection, Fail, RowEncoding};
use super::encode::{self, FormatsOf};
use super::frame::{Frontend, Target};
use super::wire::Stop;
use crate::sql::types::{DataType, Value};
use crate::sql::{
    Column, Outcome, Prepared, RowStream, SqlError, TxnStatus, completion_tag, sqlstate,
};
use bytes::Bytes;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// A prepared statement as the protocol sees it.
#[derive(Clone)]
pub enum Stmt {
    /// An empty (or all-comment) query: Execute answers EmptyQueryResponse.
    Empty,
    /// A statement bound by the session.
    Sql(Arc<Prepared>),
}

impl Stmt {
    fn param_types(&self) -> &[DataType] {
        match self {
            Stmt::Empty => &[],
            Stmt::Sql(p) => &p.param_types,
        }
    }

    fn columns(&self) -> &[Column] {
        match self {
            Stmt::Empty => &[],
            Stmt::Sql(p) => &p.columns,
        }
    }
}

/// Where a portal is in its life.
enum PortalState {
    /// Bound, not executed yet; holds the parameter values.
    Ready(Vec<Value>),
    /// Executed, rows left to send (PortalSuspended was sent).
    Rows { columns: Arc<[Column]>, rows: RowStream, verb: &'static str },
    /// Ran to completion: a row-returning portal answers `verb 0` again; others cannot run.
    Done(Option<&'static str>),
}

/// A bound statement.
struct Portal {
    stmt: Stmt,
    /// Binary output per result column.
    binary: Vec<bool>,
    state: PortalState,
}

/// Extended-protocol state of a connection beyond what the session keeps.
#[derive(Default)]
pub struct Extended {
    unnamed: Option<Stmt>,
    /// Named statements with an empty query (the session's map holds the others).
    empty_named: HashSet<String>,
    portals: HashMap<String, Portal>,
    /// An error happened: discard messages until Sync.
    pub skipping: bool,
}

impl Extended {
    /// A simple Query destroys the unnamed statement and portal.
    pub fn forget_unnamed(&mut self) {
        self.unnamed = None;
        self.portals.remove("");
    }

    /// The transaction ended: portals do not outlive it.
    pub fn end_of_transaction(&mut self) {
        self.portals.clear();
    }
}

fn statement_missing(name: &str) -> SqlError {
    let message = if name.is_empty() {
        "unnamed prepared statement does not exist".to_owned()
    } else {
        format!("prepared statement \"{name}\" does not exist")
    };
    SqlError::new(sqlstate::INVALID_SQL_STATEMENT_NAME, message)
}

fn portal_missing(name: &str) -> SqlError {
    SqlError::new(sqlstate::INVALID_CURSOR_NAME, format!("portal \"{name}\" does not exist"))
}

fn decode_param(ty: &DataType, value: Option<&Bytes>, binary: bool) -> Result<Value, SqlError> {
    match value {
        None => Ok(Value::Null),
        Some(bytes) if binary => Value::parse_binary(ty, bytes),
        Some(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => Value::parse_text(ty, text),
            Err(_) => Err(SqlError::new(
                sqlstate::CHARACTER_NOT_IN_REPERTOIRE,
                "invalid byte sequence for encoding \"UTF8\"",
            )),
        },
    }
}

impl Connection {
    /// Handles Parse, Bind, Describe, Execute or Close.
    pub(super) fn extended(&mut self, msg: Frontend) -> Result<(), Fail> {
        match msg {
            Frontend::Parse { name, query, param_oids } => self.parse(name, &query, &param_oids),
            Frontend::Bind { portal, statement, param_formats, params, result_formats } => {
                self.bind(portal, &statement, &param_formats, &params, &result_formats)
            }
            Frontend::Describe { target, name } => self.describe(target, &name),
            Frontend::Execute { portal, max_rows } => self.execute(portal, max_rows),
            Frontend::Close { target, name } => {
                self.close(target, &name);
                Ok(())
            }
            other => Err(Fail::Sql(SqlError::internal(format!(
                "message type {} is not an extended query message",
                char::from(other.tag())
            )))),
        }
    }

    /// Reports a failed extended-protocol message and starts discarding until Sync.
    pub(super) fn extended_result(&mut self, result: Result<(), Fail>) -> Result<(), Stop> {
        if let Err(fail) = result {
            self.report(fail)?;
            self.ext.skipping = true;
        }
        Ok(())
    }

    /// Sync: ends the discard state, drops portals outside a transaction block, and sends
    /// ReadyForQuery.
    pub(super) fn sync(&mut self) -> Result<(), Stop> {
        self.ext.skipping = false;
        if self.session.txn_status() == TxnStatus::Idle {
            self.ext.end_of_transaction();
        }
        self.ready()
    }

    fn statement(&mut self, name: &str) -> Result<Stmt, SqlError> {
        if name.is_empty() {
            return self.ext.unnamed.clone().ok_or_else(|| statement_missing(name));
        }
        if self.ext.empty_named.contains(name) {
            return Ok(Stmt::Empty);
        }
        match self.session.prepared_statements().get(name) {
            Some(prepared) => Ok(Stmt::Sql(prepared.clone())),
            None => Err(statement_missing(name)),
        }
    }

    fn parse(&mut self, name: String, query: &str, param_oids: &[u32]) -> Result<(), Fail> {
        if name.is_empty() {
            self.ext.unnamed = None;
        } else if self.ext.empty_named.contains(&name)
            || self.session.prepared_statements().contains_key(&name)
        {
            return Err(Fail::Sql(SqlError::new(
                sqlstate::DUPLICATE_PREPARED_STATEMENT,
                format!("prepared statement \"{name}\" already exists"),
            )));
        }
        let types = param_oids
            .iter()
            .map(|&oid| match oid {
                0 => Ok(None),
                oid => DataType::from_oid(oid).map(Some).ok_or_else(|| {
                    SqlError::new(
                        sqlstate::UNDEFINED_OBJECT,
                        format!("type with OID {oid} does not exist"),
                    )
                }),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut statements = self.session.parse(query)?;
        let stmt = match statements.len() {
            0 => Stmt::Empty,
            1 => {
                let statement = statements.remove(0);
                let prepared = self.session.prepare(query, statement, &types)?;
                Stmt::Sql(Arc::new(prepared))
            }
            _ => {
                return Err(Fail::Sql(SqlError::syntax(
                    "cannot insert multiple commands into a prepared statement",
                )));
            }
        };
        match (name.is_empty(), stmt) {
            (true, stmt) => self.ext.unnamed = Some(stmt),
            (false, Stmt::Empty) => {
                self.ext.empty_named.insert(name);
            }
            (false, Stmt::Sql(prepared)) => {
                self.session.prepared_statements().insert(name, prepared);
            }
        }
        encode::empty(&mut self.wire.out, encode::PARSE_COMPLETE);
        Ok(())
    }

    fn bind(
        &mut self,
        portal: String,
        statement: &str,
        param_formats: &[i16],
        params: &[Option<Bytes>],
        result_formats: &[i16],
    ) -> Result<(), Fail> {
        let stmt = self.statement(statement)?;
        let types = stmt.param_types();
        if params.len() != types.len() {
            return Err(Fail::Sql(SqlError::new(
                sqlstate::PROTOCOL_VIOLATION,
                format!(
                    "bind message supplies {} parameters, but prepared statement \"{statement}\" \
                     requires {}",
                    params.len(),
                    types.len()
                ),
            )));
        }
        let param_binary = encode::formats(param_formats, params.len(), FormatsOf::Parameters)?;
        let values = params
            .iter()
            .zip(types)
            .zip(param_binary)
            .map(|((value, ty), binary)| decode_param(ty, value.as_ref(), binary))
            .collect::<Result<Vec<_>, _>>()?;
        let binary = encode::formats(result_formats, stmt.columns().len(), FormatsOf::Results)?;
        if !portal.is_empty() && self.ext.portals.contains_key(&portal) {
            return Err(Fail::Sql(SqlError::new(
                sqlstate::DUPLICATE_CURSOR,
                format!("portal \"{portal}\" already exists"),
            )));
        }
        self.ext.portals.insert(portal, Portal { stmt, binary, state: PortalState::Ready(values) });
        encode::empty(&mut self.wire.out, encode::BIND_COMPLETE);
        Ok(())
    }

    fn describe(&mut self, target: Target, name: &str) -> Result<(), Fail> {
        match target {
            Target::Statement => {
                let stmt = self.statement(name)?;
                let out = &mut self.wire.out;
                encode::parameter_description(out, stmt.param_types());
                match stmt.columns() {
                    [] => encode::empty(out, encode::NO_DATA),
                    columns => encode::row_description(out, columns, &[]),
                }
            }
            Target::Portal => {
                let portal = self.ext.portals.get(name).ok_or_else(|| portal_missing(name))?;
                let out = &mut self.wire.out;
                match portal.stmt.columns() {
                    [] => encode::empty(out, encode::NO_DATA),
                    columns => encode::row_description(out, columns, &portal.binary),
                }
            }
        }
        Ok(())
    }

    fn close(&mut self, target: Target, name: &str) {
        match target {
            Target::Statement if name.is_empty() => self.ext.unnamed = None,
            Target::Statement => {
                if !self.ext.empty_named.remove(name) {
                    self.session.prepared_statements().remove(name);
                }
            }
            Target::Portal => {
                self.ext.portals.remove(name);
            }
        }
        encode::empty(&mut self.wire.out, encode::CLOSE_COMPLETE);
    }

    fn execute(&mut self, name: String, max_rows: i32) -> Result<(), Fail> {
        // The portal is out of the map while it runs; a failed portal is not put back.
        let mut portal = self.ext.portals.remove(&name).ok_or_else(|| portal_missing(&name))?;
        let before = self.session.txn_status();
        self.run_portal(&name, &mut portal, max_rows)?;
        if before != TxnStatus::Idle && self.session.txn_status() == TxnStatus::Idle {
            // COMMIT or ROLLBACK: other portals end with the transaction.
            self.ext.end_of_transaction();
        }
        self.ext.portals.insert(name, portal);
        Ok(())
    }

    fn run_portal(&mut self, name: &str, portal: &mut Portal, max_rows: i32) -> Result<(), Fail> {
        let state = std::mem::replace(&mut portal.state, PortalState::Done(None));
        let (columns, mut rows, verb) = match state {
            PortalState::Ready(params) => {
                let prepared = match &portal.stmt {
                    Stmt::Empty => {
                        encode::empty(&mut self.wire.out, encode::EMPTY_QUERY);
                        return Ok(());
                    }
                    Stmt::Sql(prepared) => prepared.clone(),
                };
                self.cancel.store(false, Ordering::SeqCst);
                let outcome = self.session.execute(&prepared, params).map_err(Fail::Marked)?;
                match outcome {
                    Outcome::Rows { columns, rows, verb } => (columns, rows, verb),
                    other => return self.finish_outcome(other),
                }
            }
            PortalState::Rows { columns, rows, verb } => (columns, rows, verb),
            PortalState::Done(Some(verb)) => {
                portal.state = PortalState::Done(Some(verb));
                encode::command_complete(&mut self.wire.out, &completion_tag(verb, 0));
                return Ok(());
            }
            PortalState::Done(None) => {
                return Err(Fail::Sql(SqlError::new(
                    "55000",
                    format!("portal \"{name}\" cannot be run"),
                )));
            }
        };
        let limit = u64::try_from(max_rows).unwrap_or(0);
        let (sent, exhausted) =
            self.send_rows(&mut rows, &columns, &portal.binary, limit, RowEncoding::DataRow)?;
        if exhausted {
            encode::command_complete(&mut self.wire.out, &completion_tag(verb, sent));
            portal.state = PortalState::Done(Some(verb));
        } else {
            encode::empty(&mut self.wire.out, encode::PORTAL_SUSPENDED);
            portal.state = PortalState::Rows { columns, rows, verb };
        }
        Ok(())
    }
}
