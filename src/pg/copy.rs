//! COPY sub-protocol: COPY FROM STDIN (CopyInResponse, then CopyData/CopyDone/CopyFail fed
//! to the session) and COPY TO STDOUT (CopyOutResponse, one CopyData per row in PostgreSQL's
//! text or CSV form, CopyDone).
//!
//! Owns: COPY framing on the wire and the text/CSV encoding of outgoing rows (parsing
//! incoming COPY data is the session's job). Depends on: `connection` (row streaming,
//! reading messages), `encode`, `sql` (CopyIn, values).

use super::connection::{Connection, Fail, RowEncoding};
use super::encode;
use super::frame::Frontend;
use super::wire::Stop;
use crate::sql::types::Value;
use crate::sql::{CopyFormat, CopyIn, RowStream, SqlError, sqlstate};
use bytes::{BufMut, BytesMut};
use pgwire::messages::copy::{CopyInResponse, CopyOutResponse};

/// Text forms of COPY TO STDOUT rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyEncoding {
    /// Tab-separated, `\N` for NULL, backslash escapes.
    Text,
    /// Comma-separated, NULL unquoted empty, quoting where needed.
    Csv,
}

fn count_field(n: usize) -> Result<i16, SqlError> {
    i16::try_from(n)
        .map_err(|_| SqlError::new(sqlstate::PROGRAM_LIMIT_EXCEEDED, "too many COPY columns"))
}

impl Connection {
    /// Runs COPY FROM STDIN after `Session::execute` returned [`CopyIn`]; returns the
    /// CommandComplete tag. On an error the client's remaining CopyData/CopyDone/CopyFail
    /// are ignored by the main loop.
    pub(super) fn copy_in(&mut self, mut copy: CopyIn) -> Result<String, Fail> {
        let count = count_field(copy.column_count)?;
        let format = i16::from(copy.format == CopyFormat::Binary);
        encode::put(
            &mut self.wire.out,
            CopyInResponse::new(format as i8, count, vec![format; copy.column_count]),
        );
        self.wire.flush()?;
        loop {
            let msg = match self.wire.read()? {
                Ok(msg) => msg,
                Err((_, err)) => return Err(Fail::Sql(err)),
            };
            match msg {
                Frontend::CopyData(data) => {
                    self.session.copy_in_data(&mut copy, &data)?;
                }
                Frontend::CopyDone => return Ok(self.session.copy_in_done(copy)?),
                Frontend::CopyFail(message) => {
                    return Err(Fail::Sql(SqlError::new(
                        sqlstate::QUERY_CANCELED,
                        format!("COPY from stdin failed: {message}"),
                    )));
                }
                // PostgreSQL ignores these during COPY IN.
                Frontend::Flush | Frontend::Sync => {}
                Frontend::Terminate => return Err(Fail::Stop(Stop::Terminate)),
                other => {
                    return Err(Fail::Sql(SqlError::new(
                        sqlstate::PROTOCOL_VIOLATION,
                        format!(
                            "unexpected message type 0x{:02X} during COPY from stdin",
                            other.tag()
                        ),
                    )));
                }
            }
        }
    }

    /// Runs COPY TO STDOUT for `rows`; returns the CommandComplete tag `COPY n`.
    pub(super) fn copy_out(
        &mut self,
        format: CopyFormat,
        column_count: usize,
        mut rows: RowStream,
    ) -> Result<String, Fail> {
        let encoding = match format {
            CopyFormat::Text => CopyEncoding::Text,
            CopyFormat::Csv => CopyEncoding::Csv,
            CopyFormat::Binary => {
                return Err(Fail::Sql(SqlError::unsupported(
                    "COPY TO STDOUT in binary format is not supported",
                )));
            }
        };
        let count = count_field(column_count)?;
        encode::put(&mut self.wire.out, CopyOutResponse::new(0, count, vec![0; column_count]));
        let (sent, _) = self.send_rows(&mut rows, &[], &[], 0, RowEncoding::Copy(encoding))?;
        encode::empty(&mut self.wire.out, encode::COPY_DONE);
        Ok(format!("COPY {sent}"))
    }
}

/// Appends one CopyData message holding `row` as a line of COPY text or CSV. `scratch` is
/// a reusable buffer for value text. On error nothing is appended.
pub fn copy_data_row(
    out: &mut BytesMut,
    scratch: &mut BytesMut,
    row: &[Value],
    encoding: CopyEncoding,
) -> Result<(), SqlError> {
    let start = out.len();
    out.put_u8(b'd');
    out.put_i32(0);
    encode_line(out, scratch, row, encoding);
    let result = encode::patch_len(out, start + 1, out.len() - start - 1);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// Appends `row` as one line (with its `\n`) in COPY text or CSV form.
pub fn encode_line(out: &mut BytesMut, scratch: &mut BytesMut, row: &[Value], enc: CopyEncoding) {
    for (i, value) in row.iter().enumerate() {
        if i > 0 {
            out.put_u8(if enc == CopyEncoding::Csv { b',' } else { b'\t' });
        }
        if value.is_null() {
            if enc == CopyEncoding::Text {
                out.put_slice(b"\\N");
            }
            continue;
        }
        scratch.clear();
        value.write_text(scratch);
        match enc {
            CopyEncoding::Text => escape_text(out, scratch),
            CopyEncoding::Csv => quote_csv(out, scratch, row.len() == 1),
        }
    }
    out.put_u8(b'\n');
}

/// PostgreSQL's `CopyAttributeOutText` with the default delimiter (tab).
fn escape_text(out: &mut BytesMut, text: &[u8]) {
    for &b in text {
        match b {
            b'\\' => out.put_slice(b"\\\\"),
            b'\t' => out.put_slice(b"\\t"),
            b'\n' => out.put_slice(b"\\n"),
            b'\r' => out.put_slice(b"\\r"),
            0x08 => out.put_slice(b"\\b"),
            0x0c => out.put_slice(b"\\f"),
            0x0b => out.put_slice(b"\\v"),
            other => out.put_u8(other),
        }
    }
}

/// PostgreSQL's `CopyAttributeOutCSV` with the defaults (delimiter `,`, quote `"`, NULL as
/// the empty string): quote empty values (to tell them from NULL), values with a
/// delimiter, quote, CR or LF, and a lone `\.` in a one-column row.
fn quote_csv(out: &mut BytesMut, text: &[u8], single_column: bool) {
    let needs_quotes = text.is_empty()
        || (single_column && text == b"\\.")
        || text.iter().any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r'));
    if !needs_quotes {
        out.put_slice(text);
        return;
    }
    out.put_u8(b'"');
    for &b in text {
        if b == b'"' {
            out.put_u8(b'"');
        }
        out.put_u8(b);
    }
    out.put_u8(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(f: fn(&mut BytesMut, &[u8]), input: &str) -> String {
        let mut out = BytesMut::new();
        f(&mut out, input.as_bytes());
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn text_escapes() {
        assert_eq!(text_of(escape_text, "a\tb\\c\nd\re"), "a\\tb\\\\c\\nd\\re");
        assert_eq!(text_of(escape_text, "plain"), "plain");
    }

    #[test]
    fn csv_quoting() {
        let csv = |s: &str, single| {
            let mut out = BytesMut::new();
            quote_csv(&mut out, s.as_bytes(), single);
            String::from_utf8_lossy(&out).into_owned()
        };
        assert_eq!(csv("plain", false), "plain");
        assert_eq!(csv("", false), "\"\"");
        assert_eq!(csv("a,b", false), "\"a,b\"");
        assert_eq!(csv("say \"hi\"", false), "\"say \"\"hi\"\"\"");
        assert_eq!(csv("l1\nl2", false), "\"l1\nl2\"");
        assert_eq!(csv("\\.", true), "\"\\.\"");
        assert_eq!(csv("\\.", false), "\\.");
    }
}
