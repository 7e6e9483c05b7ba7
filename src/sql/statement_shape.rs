//! A statement's shape: its text with the literal constants lifted out as parameters.
//!
//! Clients that do not prepare statements (pgbench's default mode, most ORMs' "simple"
//! paths, psql) send the same statement again and again with different constants inlined:
//! `UPDATE accounts SET balance = balance + -120 WHERE id = 4711`. Parsing and binding such a
//! statement costs more than running it. Lifting the constants out gives a text that stays
//! the same between those executions (`... balance + $1 WHERE id = $2`), under which the
//! session keeps a prepared statement (see `session::shape_cache`, which also proves for
//! each shape that running it with parameters is the same as running the literal text).
//!
//! This module only cuts the text. It is a small scanner, not a SQL tokenizer, and it says
//! "no shape" whenever the text holds anything it does not handle exactly: comments, dollar
//! quotes, existing `$n` parameters, prefixed strings (`E'...'`, `B'...'`, `U&'...'`),
//! several statements. A constant it cannot classify stays in the text verbatim (so it is
//! part of the shape); a mistake here can make a shape fail the session's proof, never run a
//! statement differently.
//!
//! Owns: [`lift_literals`], [`Shape`], [`Literal`]. Depends on nothing.

/// Longest statement text considered (longer ones are rarely repeated verbatim and would
/// make large cache keys).
const MAX_SHAPE_TEXT: usize = 4096;

/// Most constants lifted from one statement (more: no shape).
const MAX_LITERALS: usize = 64;

/// A statement text with its constants replaced by `$1`, `$2`, ... in order of appearance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    pub text: String,
    pub literals: Vec<Literal>,
}

/// One lifted constant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    /// A numeric constant as written (digits, optional fraction and exponent), with a
    /// leading `-` when a unary minus directly before it was lifted with it.
    Number(String),
    /// A standard string constant's value (`'it''s'` → `it's`).
    String(String),
}

/// The shape of one statement, or `None` when the text is not one the scanner handles
/// exactly (see the module docs).
pub fn lift_literals(sql: &str) -> Option<Shape> {
    if sql.len() > MAX_SHAPE_TEXT {
        return None;
    }
    let bytes = sql.as_bytes();
    let mut text = String::with_capacity(sql.len());
    let mut literals = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        match byte {
            b'$' => return None,
            b'-' if bytes.get(i + 1) == Some(&b'-') => return None,
            b'/' if bytes.get(i + 1) == Some(&b'*') => return None,
            b';' => {
                // Only trailing semicolons: one statement per shape.
                if sql[i..].bytes().all(|b| b == b';' || b.is_ascii_whitespace()) {
                    break;
                }
                return None;
            }
            b'\'' => {
                // A prefix glued to the quote (E'', B'', X'', N'', U&'') changes its meaning.
                if i > 0 && (is_word_byte(bytes[i - 1]) || bytes[i - 1] == b'&') {
                    return None;
                }
                let (value, end) = quoted(sql, i, b'\'')?;
                literals.push(Literal::String(value));
                push_placeholder(&mut text, literals.len());
                i = end;
            }
            b'"' => {
                let (_, end) = quoted(sql, i, b'"')?;
                text.push_str(&sql[i..end]);
                i = end;
            }
            b'0'..=b'9' => {
                if i > 0 && bytes[i - 1] == b'.' {
                    return None;
                }
                let end = number_end(bytes, i);
                if bytes.get(end).is_some_and(|&b| is_word_byte(b) || b == b'.') {
                    return None;
                }
                let mut number = sql[i..end].to_string();
                // `::` and `[]` bind tighter than a unary minus: `-5::int` is `-(5::int)`.
                let binds_tighter = sql[end..].trim_start().starts_with(['[', ':']);
                if unary_minus_before(&text) && !binds_tighter {
                    text.pop();
                    number.insert(0, '-');
                }
                literals.push(Literal::Number(number));
                push_placeholder(&mut text, literals.len());
                i = end;
            }
            b if is_word_byte(b) => {
                // A whole word: digits inside identifiers and keywords are not constants.
                let end = i + bytes[i..].iter().take_while(|&&b| is_word_byte(b)).count();
                text.push_str(&sql[i..end]);
                i = end;
            }
            _ => {
                // Any other byte, including the bytes of non-ASCII characters (never ASCII,
                // so never mistaken for syntax); pushed as the text's own characters.
                let end =
                    i + 1 + bytes[i + 1..].iter().take_while(|&&b| is_continuation(b)).count();
                text.push_str(&sql[i..end]);
                i = end;
            }
        }
        if literals.len() > MAX_LITERALS {
            return None;
        }
    }
    Some(Shape { text, literals })
}

/// Letters, digits, `_` and the bytes of non-ASCII characters: what identifiers are made of.
fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80
}

/// A UTF-8 continuation byte.
fn is_continuation(byte: u8) -> bool {
    (0x80..0xC0).contains(&byte)
}

/// The text between the quote at `start` and its closing quote (a doubled quote stands for
/// one), and the index after the closing quote. `None` if unterminated.
fn quoted(sql: &str, start: usize, quote: u8) -> Option<(String, usize)> {
    let bytes = sql.as_bytes();
    let mut value = String::new();
    let mut run_start = start + 1;
    let mut i = start + 1;
    while i < bytes.len() {
        if bytes[i] == quote {
            value.push_str(&sql[run_start..i]);
            if bytes.get(i + 1) == Some(&quote) {
                value.push(quote as char);
                i += 2;
                run_start = i;
                continue;
            }
            return Some((value, i + 1));
        }
        i += 1;
    }
    None
}

/// Where the number starting at `start` ends: digits, then optionally `.digits` and an
/// exponent `e[+-]digits`.
fn number_end(bytes: &[u8], start: usize) -> usize {
    let digits =
        |from: usize| from + bytes[from..].iter().take_while(|b| b.is_ascii_digit()).count();
    let mut end = digits(start);
    if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
        end = digits(end + 1);
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let mut exponent = end + 1;
        if matches!(bytes.get(exponent), Some(b'+' | b'-')) {
            exponent += 1;
        }
        if bytes.get(exponent).is_some_and(u8::is_ascii_digit) {
            end = digits(exponent);
        }
    }
    end
}

/// Whether the shape so far ends in a `-` that is a unary minus of the number that follows:
/// written right before it, after an operator, an opening parenthesis, a comma or nothing.
fn unary_minus_before(text: &str) -> bool {
    let Some(before) = text.strip_suffix('-') else {
        return false;
    };
    match before.trim_end().bytes().last() {
        None => true,
        Some(b) => matches!(b, b'(' | b',' | b'=' | b'<' | b'>' | b'+' | b'-' | b'*' | b'/' | b'%'),
    }
}

fn push_placeholder(text: &mut String, number: usize) {
    text.push('$');
    text.push_str(&number.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(sql: &str) -> Option<(String, Vec<Literal>)> {
        lift_literals(sql).map(|s| (s.text, s.literals))
    }

    fn number(text: &str) -> Literal {
        Literal::Number(text.to_string())
    }

    fn string(text: &str) -> Literal {
        Literal::String(text.to_string())
    }

    #[test]
    fn pgbench_statements_lift_their_constants() {
        assert_eq!(
            shape("UPDATE pgbench_accounts SET abalance = abalance + -4711 WHERE aid = 12;"),
            Some((
                "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2".into(),
                vec![number("-4711"), number("12")]
            ))
        );
        assert_eq!(
            shape("INSERT INTO h (tid, bid) VALUES (3, -2)"),
            Some((
                "INSERT INTO h (tid, bid) VALUES ($1, $2)".into(),
                vec![number("3"), number("-2")]
            ))
        );
    }

    #[test]
    fn binary_minus_stays_an_operator() {
        assert_eq!(
            shape("SELECT a -5, a - 5, (-5)"),
            Some((
                "SELECT a -$1, a - $2, ($3)".into(),
                vec![number("5"), number("5"), number("-5")]
            ))
        );
        assert_eq!(
            shape("SELECT -5::int8, -5 ::int"),
            Some(("SELECT -$1::int8, -$2 ::int".into(), vec![number("5"), number("5")]))
        );
    }

    #[test]
    fn strings_are_unescaped_and_identifiers_kept() {
        assert_eq!(
            shape(r#"SELECT "col 1", t2.x FROM "t""1" WHERE name = 'it''s' AND n = 1.5e3"#),
            Some((
                r#"SELECT "col 1", t2.x FROM "t""1" WHERE name = $1 AND n = $2"#.into(),
                vec![string("it's"), number("1.5e3")]
            ))
        );
        assert_eq!(
            shape("SELECT 'é', ñ1 FROM t"),
            Some(("SELECT $1, ñ1 FROM t".into(), vec![string("é")]))
        );
    }

    #[test]
    fn texts_the_scanner_does_not_handle_exactly_have_no_shape() {
        for sql in [
            "SELECT $1",
            "SELECT $$x$$",
            "SELECT 1 -- comment",
            "SELECT /* c */ 1",
            "SELECT E'\\n'",
            "SELECT U&'x'",
            "SELECT x'1f'",
            "SELECT 1; SELECT 2",
            "SELECT 'unterminated",
            "SELECT \"unterminated",
            "SELECT .5",
            "SELECT 1.x",
            "SELECT 12abc",
        ] {
            assert_eq!(shape(sql), None, "{sql}");
        }
    }

    #[test]
    fn texts_without_constants_are_their_own_shape() {
        assert_eq!(
            shape("SELECT count(*) FROM t ;  "),
            Some(("SELECT count(*) FROM t ".into(), vec![]))
        );
    }
}
