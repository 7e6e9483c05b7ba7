//! The one adapter around `sqlparser`: statement text → AST, with parse errors turned into
//! PostgreSQL-style 42601 errors that carry a character position.
//!
//! Depends on: `sqlparser`, `sql::error`.

use super::error::{SqlError, sqlstate};
use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, TokenWithSpan};

/// Most operator tokens one statement may contain (see [`split_statements`]).
const MAX_OPERATORS: usize = 2000;

/// Deepest expression nesting accepted (sqlparser stops there instead of overflowing the stack).
const RECURSION_LIMIT: usize = 200;

/// Parses zero or more `;`-separated statements.
pub fn parse_statements(sql: &str) -> Result<Vec<ast::Statement>, SqlError> {
    let dialect = PostgreSqlDialect {};
    let sql = normalize_copy_options(sql);
    Parser::new(&dialect)
        .with_recursion_limit(RECURSION_LIMIT)
        .try_with_sql(&sql)
        .and_then(|mut parser| parser.parse_statements())
        .map_err(|err| parse_error(&sql, err))
}

/// One statement's text, as [`split_statements`] cut it out.
#[derive(Debug)]
pub struct Piece {
    pub text: String,
    /// The statement's tokens when they are exactly what tokenizing `text` would give (the
    /// text held one statement, starting at its first byte): parsing then reuses them
    /// instead of tokenizing the text a second time.
    tokens: Option<Vec<TokenWithSpan>>,
}

impl Piece {
    /// Parses the piece (zero or more statements, like [`parse_statements`]).
    pub fn parse(&mut self) -> Result<Vec<ast::Statement>, SqlError> {
        let Some(tokens) = self.tokens.take() else {
            return parse_statements(&self.text);
        };
        let dialect = PostgreSqlDialect {};
        Parser::new(&dialect)
            .with_recursion_limit(RECURSION_LIMIT)
            .with_tokens_with_locations(tokens)
            .parse_statements()
            .map_err(|err| parse_error(&self.text, err))
    }
}

/// Splits statement text at top-level semicolons (quotes, comments and dollar quotes are
/// respected by using sqlparser's tokenizer). Empty pieces are dropped. Each piece keeps its
/// own text so errors can point into it.
pub fn split_statements(sql: &str) -> Result<Vec<Piece>, SqlError> {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let dialect = PostgreSqlDialect {};
    let tokens = Tokenizer::new(&dialect, sql).tokenize_with_location().map_err(|err| {
        let text = err.to_string();
        let mut error = SqlError::syntax(format!("syntax error: {}", err.message));
        if let Some(position) = position_of(sql, err.location) {
            error = error.with_position(position);
        }
        error.with_detail(text)
    })?;
    let offsets = LineOffsets::new(sql);
    let mut pieces = Vec::new();
    let mut start: Option<usize> = None;
    let mut operators = 0usize;
    // Where the first statement's tokens end (its semicolon), for the one-statement case.
    let mut first_end = tokens.len();
    for (index, token) in tokens.iter().enumerate() {
        if !matches!(
            token.token,
            Token::Word(_)
                | Token::Number(..)
                | Token::SingleQuotedString(_)
                | Token::Comma
                | Token::Whitespace(_)
                | Token::LParen
                | Token::RParen
                | Token::SemiColon
                | Token::EOF
        ) {
            // Operators chain into left-deep trees; bound their count so that no statement
            // builds a tree deep enough to exhaust the stack while being bound or dropped.
            operators += 1;
            if operators > MAX_OPERATORS {
                return Err(SqlError::new("54001", "stack depth limit exceeded").with_hint(
                    format!("A statement may contain at most {MAX_OPERATORS} operators."),
                ));
            }
        }
        match &token.token {
            Token::SemiColon => {
                operators = 0;
                if let Some(from) = start.take() {
                    let to = offsets.byte_offset(token.span.start).unwrap_or(sql.len());
                    if pieces.is_empty() {
                        first_end = index;
                    }
                    pieces.push((from, sql.get(from..to).unwrap_or_default().trim_end()));
                }
            }
            Token::Whitespace(_) | Token::EOF => {}
            _ => {
                if start.is_none() {
                    start = offsets.byte_offset(token.span.start);
                }
            }
        }
    }
    if let Some(from) = start {
        pieces.push((from, sql.get(from..).unwrap_or_default().trim_end()));
    }
    let mut tokens = Some(tokens);
    let reusable = matches!(pieces.as_slice(), [(0, text)]
        if matches!(normalize_copy_options(text), std::borrow::Cow::Borrowed(_)));
    Ok(pieces
        .into_iter()
        .map(|(_, text)| Piece {
            text: text.to_string(),
            tokens: tokens.take().filter(|_| reusable).map(|mut tokens| {
                tokens.truncate(first_end);
                tokens
            }),
        })
        .collect())
}

/// Byte offsets of line starts, to turn tokenizer locations into string slices.
struct LineOffsets<'a> {
    sql: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineOffsets<'a> {
    fn new(sql: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(sql.match_indices('\n').map(|(i, _)| i + 1));
        Self { sql, starts }
    }

    fn byte_offset(&self, location: Location) -> Option<usize> {
        let line_start = *self.starts.get(usize::try_from(location.line).ok()?.checked_sub(1)?)?;
        let column = usize::try_from(location.column).ok()?.checked_sub(1)?;
        let line = self.sql.get(line_start..)?;
        match line.char_indices().nth(column) {
            Some((offset, _)) => Some(line_start + offset),
            None => Some(self.sql.len()),
        }
    }
}

/// sqlparser accepts only `true`/`false` for boolean COPY options, while PostgreSQL (and
/// pgbench: `copy t from stdin with (freeze on)`) also writes `on`/`off`.
fn normalize_copy_options(sql: &str) -> std::borrow::Cow<'_, str> {
    let is_copy = sql.trim_start().get(..4).is_some_and(|w| w.eq_ignore_ascii_case("copy"));
    if !is_copy {
        return std::borrow::Cow::Borrowed(sql);
    }
    static OPTION: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let option =
        OPTION.get_or_init(|| regex::Regex::new(r"(?i)\b(freeze|header)\s+(on|off)\b").ok());
    match option {
        Some(re) => re.replace_all(sql, |caps: &regex::Captures<'_>| {
            let value = if caps[2].eq_ignore_ascii_case("on") { "true" } else { "false" };
            format!("{} {value}", &caps[1])
        }),
        None => std::borrow::Cow::Borrowed(sql),
    }
}

/// Parses a lone expression (stored DEFAULT and CHECK expressions).
pub fn parse_expression(sql: &str) -> Result<ast::Expr, SqlError> {
    let dialect = PostgreSqlDialect {};
    Parser::new(&dialect)
        .with_recursion_limit(RECURSION_LIMIT)
        .try_with_sql(sql)
        .and_then(|mut parser| parser.parse_expr())
        .map_err(|err| parse_error(sql, err))
}

/// `ALTER SEQUENCE [IF EXISTS] name option ...`, which sqlparser does not parse.
#[derive(Debug, Clone)]
pub struct AlterSequence {
    pub name: ast::ObjectName,
    pub if_exists: bool,
    /// The options CREATE SEQUENCE also takes, in the order written.
    pub options: Vec<ast::SequenceOptions>,
    /// `RESTART` (`Some(None)`) or `RESTART [WITH] n` (`Some(Some(n))`).
    pub restart: Option<Option<i64>>,
}

/// Parses ALTER SEQUENCE: the RESTART clause is taken out here; the rest is parsed as the
/// equivalent CREATE SEQUENCE, whose options are the same.
pub fn parse_alter_sequence(sql: &str) -> Result<AlterSequence, SqlError> {
    use sqlparser::keywords::Keyword;
    use sqlparser::tokenizer::{Token, Tokenizer};
    let dialect = PostgreSqlDialect {};
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize()
        .map_err(|err| SqlError::syntax(format!("syntax error: {}", err.message)))?;
    let is_keyword = |token: Option<&Token>, keyword: Keyword| matches!(token, Some(Token::Word(w)) if w.keyword == keyword && w.quote_style.is_none());
    let mut words = tokens
        .iter()
        .filter(|t| !matches!(t, Token::Whitespace(_) | Token::SemiColon | Token::EOF))
        .peekable();
    if !is_keyword(words.next(), Keyword::ALTER) || !is_keyword(words.next(), Keyword::SEQUENCE) {
        return Err(SqlError::syntax("syntax error at or near \"ALTER\""));
    }
    let mut if_exists = false;
    if is_keyword(words.peek().copied(), Keyword::IF) {
        words.next();
        if !is_keyword(words.next(), Keyword::EXISTS) {
            return Err(SqlError::syntax("syntax error at or near \"IF\""));
        }
        if_exists = true;
    }
    let mut rest = String::from("CREATE SEQUENCE");
    let mut restart = None;
    while let Some(token) = words.next() {
        if is_keyword(Some(token), Keyword::RESTART) {
            if restart.is_some() {
                return Err(SqlError::syntax("conflicting or redundant options"));
            }
            if is_keyword(words.peek().copied(), Keyword::WITH) {
                words.next();
            }
            let negative = match words.peek() {
                Some(Token::Minus) => {
                    words.next();
                    true
                }
                Some(Token::Plus) => {
                    words.next();
                    false
                }
                _ => false,
            };
            restart = Some(match words.peek() {
                Some(Token::Number(digits, _)) => {
                    let text = if negative { format!("-{digits}") } else { digits.clone() };
                    words.next();
                    Some(text.parse::<i64>().map_err(|_| {
                        SqlError::new(
                            sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
                            format!("value \"{text}\" is out of range for type bigint"),
                        )
                    })?)
                }
                _ if negative => return Err(SqlError::syntax("syntax error at or near \"-\"")),
                _ => None,
            });
            continue;
        }
        rest.push(' ');
        rest.push_str(&token.to_string());
    }
    match parse_statements(&rest)?.pop() {
        Some(ast::Statement::CreateSequence { name, sequence_options, .. }) => {
            Ok(AlterSequence { name, if_exists, options: sequence_options, restart })
        }
        _ => Err(SqlError::syntax("syntax error in ALTER SEQUENCE")),
    }
}

/// Turns a `Location` (1-based line and column) into PostgreSQL's 1-based character position.
pub fn position_of(sql: &str, location: Location) -> Option<u32> {
    if location.line == 0 {
        return None;
    }
    let mut position = 0u64;
    for (index, line) in sql.split('\n').enumerate() {
        if index as u64 + 1 == location.line {
            return u32::try_from(position + location.column).ok();
        }
        position += line.chars().count() as u64 + 1;
    }
    None
}

fn parse_error(sql: &str, err: ParserError) -> SqlError {
    let text = match &err {
        ParserError::TokenizerError(text) | ParserError::ParserError(text) => text.clone(),
        ParserError::RecursionLimitExceeded => {
            return SqlError::new(
                sqlstate::PROGRAM_LIMIT_EXCEEDED,
                "statement is too deeply nested",
            );
        }
    };
    let location = parse_location(&text);
    let found = text
        .split_once("found: ")
        .map(|(_, rest)| rest.rsplit_once(" at Line:").map_or(rest, |(token, _)| token).trim());
    let message = match found {
        Some("EOF") | None if text.contains("EOF") => "syntax error at end of input".to_string(),
        Some(token) => format!("syntax error at or near \"{}\"", token.trim_matches('"')),
        None => format!("syntax error: {text}"),
    };
    tracing::debug!(parser_message = %text, "syntax error");
    let mut error = SqlError::syntax(message);
    let position = match location {
        Some(location) => position_of(sql, location),
        None if text.contains("EOF") => u32::try_from(sql.chars().count() + 1).ok(),
        None => None,
    };
    if let Some(position) = position {
        error = error.with_position(position);
    }
    error
}

/// Extracts `Line: a, Column: b` from a sqlparser message.
fn parse_location(text: &str) -> Option<Location> {
    let (_, rest) = text.rsplit_once("Line: ")?;
    let (line, rest) = rest.split_once(", Column: ")?;
    let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some(Location { line: line.trim().parse().ok()?, column: column.parse().ok()? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_name_the_token_and_its_position() {
        let err = parse_statements("SELECT * FORM t").err();
        let err = err.as_ref();
        assert_eq!(err.map(|e| e.code), Some(sqlstate::SYNTAX_ERROR));
        assert_eq!(err.map(|e| e.message.as_str()), Some("syntax error at or near \"t\""));
        assert_eq!(err.and_then(|e| e.position), Some(15));
    }

    #[test]
    fn several_statements_and_none() -> Result<(), SqlError> {
        assert_eq!(parse_statements("select 1; select 2;")?.len(), 2);
        assert!(parse_statements("  ")?.is_empty());
        assert!(parse_statements("-- just a comment")?.is_empty());
        Ok(())
    }

    #[test]
    fn a_lone_statement_reuses_the_split_tokens_with_the_same_results() {
        let cases = [
            "SELECT a FROM t WHERE a = 1",
            "SELECT a FROM t WHERE a = 1;  -- trailing comment",
            "SELECT * FORM t;",
            "SELECT * FROM",
            "SELECT 'x\n' || E'y\n', $$z$$\n  FROM\n t;",
            "  SELECT 1",
            "SELECT 1; SELECT 2",
            "COPY t FROM STDIN WITH (FREEZE on)",
        ];
        for sql in cases {
            let mut pieces = split_statements(sql).expect("split");
            let reused = pieces.len() == 1 && pieces[0].tokens.is_some();
            assert_eq!(
                reused,
                !sql.starts_with(' ') && !sql.contains("2") && !sql.starts_with("COPY")
            );
            for piece in &mut pieces {
                let direct = parse_statements(&piece.text);
                let from_tokens = piece.parse();
                match (direct, from_tokens) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b, "{sql}"),
                    (Err(a), Err(b)) => {
                        assert_eq!((&a.message, a.position), (&b.message, b.position), "{sql}")
                    }
                    (a, b) => panic!("{sql}: {a:?} vs {b:?}"),
                }
            }
        }
    }
}
