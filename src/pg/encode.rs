//! Backend messages built from our types: ErrorResponse/NoticeResponse from [`SqlError`],
//! RowDescription from [`Column`]s, DataRow from [`Value`]s in text or binary, and the small
//! fixed messages. Everything is appended to an output buffer; nothing here does IO.
//!
//! pgwire encodes every message except DataRow, which is written directly into the output
//! buffer (it is the hot path: pgwire's DataRow wants its own pre-built `BytesMut`, which
//! would copy every row twice). Depends on: `pgwire::messages`, `sql` (error, columns, values).

use crate::sql::types::Value;
use crate::sql::{Column, SqlError, TxnStatus, sqlstate};
use bytes::{BufMut, BytesMut};
use pgwire::messages::Message;
use pgwire::messages::data::{FieldDescription, ParameterDescription, RowDescription};
use pgwire::messages::response::{
    CommandComplete, ErrorResponse, NoticeResponse, ReadyForQuery, TransactionStatus,
};
use pgwire::messages::startup::ParameterStatus;

/// Severity of an ErrorResponse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The statement failed; the connection goes on.
    Error,
    /// The connection ends after this message.
    Fatal,
}

impl Severity {
    fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "ERROR",
            Severity::Fatal => "FATAL",
        }
    }
}

/// Appends any pgwire message. pgwire refuses to encode only messages above its per-type
/// size limits (e.g. a CommandComplete over 30000 bytes); such a message is dropped with a
/// warning rather than sent broken.
pub fn put<M: Message + std::fmt::Debug>(out: &mut BytesMut, msg: M) {
    let start = out.len();
    if let Err(err) = msg.encode(out) {
        out.truncate(start);
        tracing::warn!(%err, "backend message not sent: {msg:?}");
    }
}

fn fields(err: &SqlError, severity: &str) -> Vec<(u8, String)> {
    let mut fields = vec![
        (b'S', severity.to_owned()),
        (b'V', severity.to_owned()),
        (b'C', err.code.to_owned()),
        (b'M', err.message.clone()),
    ];
    let optional = [
        (b'D', err.detail.clone()),
        (b'H', err.hint.clone()),
        (b'P', err.position.map(|p| p.to_string())),
        (b't', err.table.clone()),
        (b'c', err.column.clone()),
        (b'n', err.constraint.clone()),
    ];
    fields.extend(optional.into_iter().filter_map(|(code, value)| value.map(|v| (code, v))));
    fields
}

/// ErrorResponse with fields S, V, C, M and D, H, P, t, c, n when present.
pub fn error(out: &mut BytesMut, err: &SqlError, severity: Severity) {
    put(out, ErrorResponse::new(fields(err, severity.as_str())));
}

/// NoticeResponse (severity NOTICE) with the same fields as an error.
pub fn notice(out: &mut BytesMut, notice: &SqlError) {
    put(out, NoticeResponse::new(fields(notice, "NOTICE")));
}

/// ReadyForQuery with the session's transaction status.
pub fn ready(out: &mut BytesMut, status: TxnStatus) {
    let status = match status {
        TxnStatus::Idle => TransactionStatus::Idle,
        TxnStatus::InBlock => TransactionStatus::Transaction,
        TxnStatus::Failed => TransactionStatus::Error,
    };
    put(out, ReadyForQuery::new(status));
}

/// CommandComplete.
pub fn command_complete(out: &mut BytesMut, tag: &str) {
    put(out, CommandComplete::new(tag.to_owned()));
}

/// ParameterStatus.
pub fn parameter_status(out: &mut BytesMut, name: &str, value: &str) {
    put(out, ParameterStatus::new(name.to_owned(), value.to_owned()));
}

/// A message without a body (ParseComplete `1`, BindComplete `2`, CloseComplete `3`,
/// NoData `n`, EmptyQueryResponse `I`, PortalSuspended `s`, CopyDone `c`).
pub fn empty(out: &mut BytesMut, tag: u8) {
    out.put_u8(tag);
    out.put_i32(4);
}

/// Type byte of ParseComplete.
pub const PARSE_COMPLETE: u8 = b'1';
/// Type byte of BindComplete.
pub const BIND_COMPLETE: u8 = b'2';
/// Type byte of CloseComplete.
pub const CLOSE_COMPLETE: u8 = b'3';
/// Type byte of NoData.
pub const NO_DATA: u8 = b'n';
/// Type byte of EmptyQueryResponse.
pub const EMPTY_QUERY: u8 = b'I';
/// Type byte of PortalSuspended.
pub const PORTAL_SUSPENDED: u8 = b's';
/// Type byte of CopyDone.
pub const COPY_DONE: u8 = b'c';

/// ParameterDescription for the statement's parameter types.
pub fn parameter_description(out: &mut BytesMut, types: &[crate::sql::types::DataType]) {
    put(out, ParameterDescription::new(types.iter().map(|t| t.oid()).collect()));
}

/// RowDescription; `binary[i]` selects the format code of column `i` (missing = text).
pub fn row_description(out: &mut BytesMut, columns: &[Column], binary: &[bool]) {
    let fields = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            FieldDescription::new(
                c.name.clone(),
                c.table_oid as i32,
                c.column_number,
                c.ty.oid(),
                c.ty.typlen(),
                c.ty.typmod(),
                i16::from(binary.get(i).copied().unwrap_or(false)),
            )
        })
        .collect();
    put(out, RowDescription::new(fields));
}

/// Appends a DataRow. `binary[i]` selects binary output for column `i`, encoded as the
/// column's announced type. On error nothing is appended.
pub fn data_row(
    out: &mut BytesMut,
    row: &[Value],
    columns: &[Column],
    binary: &[bool],
) -> Result<(), SqlError> {
    let start = out.len();
    let result = write_data_row(out, row, columns, binary);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

fn write_data_row(
    out: &mut BytesMut,
    row: &[Value],
    columns: &[Column],
    binary: &[bool],
) -> Result<(), SqlError> {
    let start = out.len();
    out.put_u8(b'D');
    out.put_i32(0);
    let count = i16::try_from(row.len())
        .map_err(|_| SqlError::new(sqlstate::PROGRAM_LIMIT_EXCEEDED, "too many result columns"))?;
    out.put_i16(count);
    for (i, value) in row.iter().enumerate() {
        if value.is_null() {
            out.put_i32(-1);
            continue;
        }
        let len_at = out.len();
        out.put_i32(0);
        match (binary.get(i).copied().unwrap_or(false), columns.get(i)) {
            (true, Some(column)) => value.write_binary(&column.ty, out)?,
            _ => value.write_text(out),
        }
        patch_len(out, len_at, out.len() - len_at - 4)?;
    }
    patch_len(out, start + 1, out.len() - start - 1)
}

/// Writes `len` as the i32 length field at `at`; over i32::MAX is 54000.
pub fn patch_len(out: &mut BytesMut, at: usize, len: usize) -> Result<(), SqlError> {
    let len = i32::try_from(len).map_err(|_| {
        SqlError::new(sqlstate::PROGRAM_LIMIT_EXCEEDED, "out of memory")
            .with_detail("A result value or message exceeds 2 GB.")
    })?;
    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

/// What a list of Bind format codes applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatsOf {
    Parameters,
    Results,
}

/// Resolves the format codes of a Bind message for `n` items (0 codes = all text, 1 code =
/// for all, n codes = one each); `true` = binary.
pub fn formats(codes: &[i16], n: usize, of: FormatsOf) -> Result<Vec<bool>, SqlError> {
    let binary = |code: i16| match code {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(SqlError::new(
            sqlstate::PROTOCOL_VIOLATION,
            format!("unsupported format code: {other}"),
        )),
    };
    match codes.len() {
        0 => Ok(vec![false; n]),
        1 => Ok(vec![binary(codes[0])?; n]),
        len if len == n => codes.iter().map(|&c| binary(c)).collect(),
        len => Err(SqlError::new(
            sqlstate::PROTOCOL_VIOLATION,
            match of {
                FormatsOf::Parameters => {
                    format!("bind message has {len} parameter formats but {n} parameters")
                }
                FormatsOf::Results => {
                    format!("bind message has {len} result formats but query has {n} columns")
                }
            },
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_codes() {
        let p = FormatsOf::Parameters;
        assert_eq!(formats(&[], 2, p), Ok(vec![false, false]));
        assert_eq!(formats(&[1], 3, p), Ok(vec![true; 3]));
        assert_eq!(formats(&[0, 1], 2, p), Ok(vec![false, true]));
        assert_eq!(formats(&[0, 1], 3, FormatsOf::Results).map_err(|e| e.code), Err("08P01"));
        assert_eq!(formats(&[2], 1, p).map_err(|e| e.code), Err("08P01"));
    }

    #[test]
    fn error_fields() {
        let err = SqlError::new("23505", "dup").with_detail("d").with_constraint("pk");
        let mut out = BytesMut::new();
        error(&mut out, &err, Severity::Error);
        let body = &out[5..];
        let text = String::from_utf8_lossy(body);
        assert!(text.contains("SERROR\0VERROR\0C23505\0Mdup\0Dd\0npk\0"), "{text:?}");
        assert_eq!(out[0], b'E');
        assert_eq!(*out.last().unwrap_or(&1), 0);
    }
}
