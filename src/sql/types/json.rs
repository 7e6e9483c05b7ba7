//! `json` and `jsonb` helpers: validation and parsing (22P02 on bad input), jsonb output in
//! PostgreSQL's normalised form (`{"a": 1, "b": [1, 2]}`, keys ordered by length then bytes),
//! the jsonb total order (Null < String < Number < Boolean < Array < Object, then length,
//! then members in storage order), and the `->` / `->>` lookups.

use crate::sql::error::{SqlError, sqlstate};
use serde_json::{Map, Number, Value as Json};
use std::cmp::Ordering;
use std::fmt::Write;

fn invalid_json(text: &str, err: &serde_json::Error) -> SqlError {
    let _ = text;
    SqlError::new(sqlstate::INVALID_TEXT_REPRESENTATION, "invalid input syntax for type json")
        .with_detail(format!("{err}."))
}

/// Checks that `text` is one JSON value (the `json` type keeps the text as written).
pub(crate) fn validate_json(text: &str) -> Result<(), SqlError> {
    serde_json::from_str::<serde::de::IgnoredAny>(text)
        .map(|_| ())
        .map_err(|e| invalid_json(text, &e))
}

/// Parses `jsonb` input: duplicate keys keep the last value; `\u0000` is rejected.
pub(crate) fn parse_jsonb(text: &str) -> Result<Json, SqlError> {
    let value: Json = serde_json::from_str(text).map_err(|e| invalid_json(text, &e))?;
    if contains_nul(&value) {
        return Err(SqlError::new("22P05", "unsupported Unicode escape sequence")
            .with_detail("\\u0000 cannot be converted to text."));
    }
    Ok(value)
}

fn contains_nul(value: &Json) -> bool {
    match value {
        Json::String(s) => s.contains('\0'),
        Json::Array(items) => items.iter().any(contains_nul),
        Json::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || contains_nul(v)),
        _ => false,
    }
}

/// Object keys in jsonb storage order: shorter first, then bytewise.
pub(crate) fn sorted_entries(map: &Map<String, Json>) -> Vec<(&String, &Json)> {
    let mut entries: Vec<(&String, &Json)> = map.iter().collect();
    entries.sort_by(|a, b| key_order(a.0, b.0));
    entries
}

fn key_order(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

/// Writes a JSON string literal with PostgreSQL's escapes.
pub(crate) fn write_json_string<W: Write>(s: &str, out: &mut W) {
    let _ = out.write_char('"');
    for c in s.chars() {
        let _ = match c {
            '"' => out.write_str("\\\""),
            '\\' => out.write_str("\\\\"),
            '\u{8}' => out.write_str("\\b"),
            '\u{c}' => out.write_str("\\f"),
            '\n' => out.write_str("\\n"),
            '\r' => out.write_str("\\r"),
            '\t' => out.write_str("\\t"),
            c if (c as u32) < 0x20 => write!(out, "\\u{:04x}", c as u32),
            c => out.write_char(c),
        };
    }
    let _ = out.write_char('"');
}

/// A JSON number as PostgreSQL's numeric prints it: the written digits and scale kept
/// (`2.50` stays `2.50`), exponents expanded (`1e2` → `100`), no `-0`.
pub(crate) fn write_json_number<W: Write>(n: &Number, out: &mut W) {
    let written = n.to_string();
    let decimal = if written.contains(['e', 'E']) {
        rust_decimal::Decimal::from_scientific(&written).ok()
    } else {
        written.parse::<rust_decimal::Decimal>().ok()
    };
    match decimal {
        Some(d) if d.is_zero() => {
            let _ = write!(out, "{}", d.abs());
        }
        Some(d) => {
            let _ = write!(out, "{d}");
        }
        None => {
            let f = n.as_f64().unwrap_or(0.0);
            let f = if f == 0.0 { 0.0 } else { f };
            let _ = write!(out, "{f}");
        }
    }
}

/// Writes jsonb in PostgreSQL's output form.
pub(crate) fn write_jsonb<W: Write>(value: &Json, out: &mut W) {
    match value {
        Json::Null => {
            let _ = out.write_str("null");
        }
        Json::Bool(b) => {
            let _ = out.write_str(if *b { "true" } else { "false" });
        }
        Json::Number(n) => write_json_number(n, out),
        Json::String(s) => write_json_string(s, out),
        Json::Array(items) => {
            let _ = out.write_char('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    let _ = out.write_str(", ");
                }
                write_jsonb(item, out);
            }
            let _ = out.write_char(']');
        }
        Json::Object(map) => {
            let _ = out.write_char('{');
            for (i, (key, item)) in sorted_entries(map).into_iter().enumerate() {
                if i > 0 {
                    let _ = out.write_str(", ");
                }
                write_json_string(key, out);
                let _ = out.write_str(": ");
                write_jsonb(item, out);
            }
            let _ = out.write_char('}');
        }
    }
}

/// jsonb as text.
pub(crate) fn jsonb_to_string(value: &Json) -> String {
    let mut out = String::new();
    write_jsonb(value, &mut out);
    out
}

/// Rank of a jsonb value's kind in the jsonb order.
pub(crate) fn kind_rank(value: &Json) -> i64 {
    match value {
        Json::Null => 0,
        Json::String(_) => 1,
        Json::Number(_) => 2,
        Json::Bool(_) => 3,
        Json::Array(_) => 4,
        Json::Object(_) => 5,
    }
}

/// A JSON number as a double for ordering (`-0` is `0`).
pub(crate) fn number_key(n: &Number) -> f64 {
    let f = n.as_f64().unwrap_or(0.0);
    if f == 0.0 { 0.0 } else { f }
}

/// The jsonb total order.
pub(crate) fn jsonb_cmp(a: &Json, b: &Json) -> Ordering {
    let rank = kind_rank(a).cmp(&kind_rank(b));
    if rank != Ordering::Equal {
        return rank;
    }
    match (a, b) {
        (Json::String(x), Json::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Json::Number(x), Json::Number(y)) => number_key(x).total_cmp(&number_key(y)),
        (Json::Bool(x), Json::Bool(y)) => x.cmp(y),
        (Json::Array(x), Json::Array(y)) => x.len().cmp(&y.len()).then_with(|| {
            x.iter()
                .zip(y)
                .map(|(p, q)| jsonb_cmp(p, q))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        }),
        (Json::Object(x), Json::Object(y)) => x.len().cmp(&y.len()).then_with(|| {
            sorted_entries(x)
                .into_iter()
                .zip(sorted_entries(y))
                .map(|((kx, vx), (ky, vy))| {
                    kx.as_bytes().cmp(ky.as_bytes()).then_with(|| jsonb_cmp(vx, vy))
                })
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        }),
        _ => Ordering::Equal,
    }
}

/// `jsonb -> 'key'`.
pub(crate) fn get_key<'a>(value: &'a Json, key: &str) -> Option<&'a Json> {
    value.as_object()?.get(key)
}

/// `jsonb -> n` (negative counts from the end).
pub(crate) fn get_index(value: &Json, index: i64) -> Option<&Json> {
    let items = value.as_array()?;
    let len = i64::try_from(items.len()).ok()?;
    let position = if index < 0 { len.checked_add(index)? } else { index };
    items.get(usize::try_from(position).ok()?)
}

/// `->>` text form: strings unquoted, null is SQL NULL, the rest as jsonb text.
pub(crate) fn as_text(value: &Json) -> Option<String> {
    match value {
        Json::Null => None,
        Json::String(s) => Some(s.clone()),
        other => Some(jsonb_to_string(other)),
    }
}

/// A tiny scanner over validated JSON text, used to return `json -> key` members verbatim.
struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Scanner<'_> {
    fn skip_ws(&mut self) {
        while self.bytes.get(self.pos).is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Skips a string starting at the opening quote; returns its span including quotes.
    fn string(&mut self) -> Option<std::ops::Range<usize>> {
        let start = self.pos;
        if self.peek()? != b'"' {
            return None;
        }
        self.pos += 1;
        loop {
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    return Some(start..self.pos);
                }
                b'\\' => self.pos += 2,
                _ => self.pos += 1,
            }
        }
    }

    /// Skips one value; returns its span.
    fn value(&mut self, depth: usize) -> Option<std::ops::Range<usize>> {
        if depth > 10_000 {
            return None;
        }
        self.skip_ws();
        let start = self.pos;
        match self.peek()? {
            b'"' => return self.string(),
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                self.pos += 1;
                self.skip_ws();
                if self.peek()? == close {
                    self.pos += 1;
                    return Some(start..self.pos);
                }
                loop {
                    if open == b'{' {
                        self.skip_ws();
                        self.string()?;
                        self.skip_ws();
                        if self.peek()? != b':' {
                            return None;
                        }
                        self.pos += 1;
                    }
                    self.value(depth + 1)?;
                    self.skip_ws();
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b if b == close => {
                            self.pos += 1;
                            return Some(start..self.pos);
                        }
                        _ => return None,
                    }
                }
            }
            _ => {
                while self.peek().is_some_and(|b| {
                    !matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                }) {
                    self.pos += 1;
                }
            }
        }
        (self.pos > start).then_some(start..self.pos)
    }
}

/// Span of the (last) member `key` of a top-level JSON object in `text`.
pub(crate) fn json_member_span(text: &str, key: &str) -> Option<std::ops::Range<usize>> {
    let mut sc = Scanner { bytes: text.as_bytes(), pos: 0 };
    sc.skip_ws();
    if sc.peek()? != b'{' {
        return None;
    }
    sc.pos += 1;
    let mut found = None;
    loop {
        sc.skip_ws();
        if sc.peek()? == b'}' {
            return found;
        }
        let key_span = sc.string()?;
        let name: String = serde_json::from_str(text.get(key_span)?).ok()?;
        sc.skip_ws();
        if sc.peek()? != b':' {
            return None;
        }
        sc.pos += 1;
        let value_span = sc.value(0)?;
        if name == key {
            found = Some(value_span);
        }
        sc.skip_ws();
        match sc.peek()? {
            b',' => sc.pos += 1,
            b'}' => return found,
            _ => return None,
        }
    }
}

/// Span of element `index` (negative from the end) of a top-level JSON array in `text`.
pub(crate) fn json_element_span(text: &str, index: i64) -> Option<std::ops::Range<usize>> {
    let mut sc = Scanner { bytes: text.as_bytes(), pos: 0 };
    sc.skip_ws();
    if sc.peek()? != b'[' {
        return None;
    }
    sc.pos += 1;
    let mut spans = Vec::new();
    sc.skip_ws();
    if sc.peek()? != b']' {
        loop {
            spans.push(sc.value(0)?);
            sc.skip_ws();
            match sc.peek()? {
                b',' => sc.pos += 1,
                b']' => break,
                _ => return None,
            }
        }
    }
    let len = i64::try_from(spans.len()).ok()?;
    let position = if index < 0 { len.checked_add(index)? } else { index };
    spans.get(usize::try_from(position).ok()?).cloned()
}
