//! COPY data parsing (text and csv formats, PostgreSQL's rules): bytes in, rows of text fields
//! (or NULL) out. Rows may span CopyData messages; a trailing `\.` line is accepted.
//!
//! Depends on: `sql::error`, `sql::plan` (options).

use super::error::{SqlError, sqlstate};
use super::plan::CopyOptions;

/// Incremental COPY input parser.
#[derive(Debug)]
pub struct CopyParser {
    csv: bool,
    options: CopyOptions,
    pending: Vec<u8>,
    header_pending: bool,
    finished: bool,
    line_number: u64,
}

impl CopyParser {
    /// A parser for text (`csv = false`) or csv input.
    pub fn new(csv: bool, options: CopyOptions) -> Self {
        let header_pending = options.header;
        Self { csv, options, pending: Vec::new(), header_pending, finished: false, line_number: 0 }
    }

    /// Feeds data; returns the complete rows it contained.
    pub fn feed(&mut self, data: &[u8]) -> Result<Vec<Vec<Option<String>>>, SqlError> {
        self.pending.extend_from_slice(data);
        let mut rows = Vec::new();
        loop {
            if self.finished {
                self.pending.clear();
                return Ok(rows);
            }
            let Some(end) = self.record_end() else { return Ok(rows) };
            let record: Vec<u8> = self.pending.drain(..end).collect();
            // Drop the newline.
            let mut line = record;
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if let Some(row) = self.parse_line(line)? {
                rows.push(row);
            }
        }
    }

    /// Ends the input; returns the last row if it had no trailing newline.
    pub fn finish(&mut self) -> Result<Vec<Vec<Option<String>>>, SqlError> {
        if self.finished || self.pending.is_empty() {
            return Ok(Vec::new());
        }
        let line = std::mem::take(&mut self.pending);
        Ok(self.parse_line(line)?.into_iter().collect())
    }

    /// The end (exclusive, including the newline) of the next complete record, if any.
    /// In csv a newline inside quotes does not end the record.
    fn record_end(&self) -> Option<usize> {
        if !self.csv {
            return self.pending.iter().position(|&b| b == b'\n').map(|i| i + 1);
        }
        let quote = u8::try_from(self.options.quote).unwrap_or(b'"');
        let mut in_quotes = false;
        for (i, &b) in self.pending.iter().enumerate() {
            if b == quote {
                in_quotes = !in_quotes;
            } else if b == b'\n' && !in_quotes {
                return Some(i + 1);
            }
        }
        None
    }

    fn parse_line(&mut self, line: Vec<u8>) -> Result<Option<Vec<Option<String>>>, SqlError> {
        self.line_number += 1;
        if line == b"\\." {
            self.finished = true;
            return Ok(None);
        }
        let text = String::from_utf8(line).map_err(|_| {
            SqlError::new(
                sqlstate::CHARACTER_NOT_IN_REPERTOIRE,
                "invalid byte sequence for encoding \"UTF8\"",
            )
        })?;
        if self.header_pending {
            self.header_pending = false;
            return Ok(None);
        }
        let fields = if self.csv { self.csv_fields(&text)? } else { self.text_fields(&text)? };
        Ok(Some(fields))
    }

    fn text_fields(&self, line: &str) -> Result<Vec<Option<String>>, SqlError> {
        let delimiter = self.options.delimiter;
        let mut fields = Vec::new();
        for raw in line.split(delimiter) {
            if raw == self.options.null {
                fields.push(None);
                continue;
            }
            let mut out = String::with_capacity(raw.len());
            let mut chars = raw.chars().peekable();
            while let Some(c) = chars.next() {
                if c != '\\' {
                    out.push(c);
                    continue;
                }
                match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some('b') => out.push('\u{8}'),
                    Some('f') => out.push('\u{c}'),
                    Some('v') => out.push('\u{b}'),
                    Some('x') => {
                        let mut hex = String::new();
                        while hex.len() < 2 && chars.peek().is_some_and(char::is_ascii_hexdigit) {
                            hex.extend(chars.next());
                        }
                        match u8::from_str_radix(&hex, 16).ok().map(char::from) {
                            Some(ch) => out.push(ch),
                            None => out.push('x'),
                        }
                    }
                    Some(d) if d.is_digit(8) => {
                        let mut octal = d.to_string();
                        while octal.len() < 3 && chars.peek().is_some_and(|c| c.is_digit(8)) {
                            octal.extend(chars.next());
                        }
                        let ch = u8::from_str_radix(&octal, 8).ok().map(char::from).unwrap_or('?');
                        out.push(ch);
                    }
                    Some(other) => out.push(other),
                    None => {}
                }
            }
            fields.push(Some(out));
        }
        Ok(fields)
    }

    fn csv_fields(&self, line: &str) -> Result<Vec<Option<String>>, SqlError> {
        let CopyOptions { delimiter, quote, escape, .. } = self.options.clone();
        let mut fields = Vec::new();
        let mut chars = line.chars().peekable();
        loop {
            let mut value = String::new();
            let mut quoted = false;
            let mut any = false;
            while let Some(&c) = chars.peek() {
                if c == delimiter {
                    break;
                }
                chars.next();
                any = true;
                if c == quote {
                    quoted = true;
                    loop {
                        match chars.next() {
                            Some(e) if e == escape && chars.peek() == Some(&quote) => {
                                chars.next();
                                value.push(quote);
                            }
                            Some(q) if q == quote => break,
                            Some(other) => value.push(other),
                            None => {
                                return Err(SqlError::new(
                                    sqlstate::BAD_COPY_FILE_FORMAT,
                                    "unterminated CSV quoted field",
                                ));
                            }
                        }
                    }
                } else {
                    value.push(c);
                }
            }
            let is_null =
                !quoted && value == self.options.null && (any || self.options.null.is_empty());
            fields.push(if is_null { None } else { Some(value) });
            if chars.next().is_none() {
                break;
            }
        }
        Ok(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_options() -> CopyOptions {
        CopyOptions { delimiter: '\t', null: "\\N".into(), header: false, quote: '"', escape: '"' }
    }

    #[test]
    fn text_rows_span_chunks_and_end_marker_is_accepted() -> Result<(), SqlError> {
        let mut parser = CopyParser::new(false, text_options());
        let mut rows = parser.feed(b"1\ta\\tb\n2\t\\N\n3\t")?;
        rows.extend(parser.feed(b"c\n\\.\n")?);
        rows.extend(parser.finish()?);
        assert_eq!(
            rows,
            vec![
                vec![Some("1".into()), Some("a\tb".into())],
                vec![Some("2".into()), None],
                vec![Some("3".into()), Some("c".into())],
            ]
        );
        Ok(())
    }

    #[test]
    fn csv_quotes_nulls_and_newlines() -> Result<(), SqlError> {
        let options = CopyOptions {
            delimiter: ',',
            null: String::new(),
            header: true,
            quote: '"',
            escape: '"',
        };
        let mut parser = CopyParser::new(true, options);
        let mut rows = parser.feed(b"id,t\n1,\"a,\"\"b\"\"\nc\"\n2,\n3,\"\"")?;
        rows.extend(parser.finish()?);
        assert_eq!(
            rows,
            vec![
                vec![Some("1".into()), Some("a,\"b\"\nc".into())],
                vec![Some("2".into()), None],
                vec![Some("3".into()), Some(String::new())],
            ]
        );
        Ok(())
    }
}
