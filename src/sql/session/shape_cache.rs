//! Simple-Query statements run as prepared statements of their shape.
//!
//! A client that inlines its constants (`... WHERE aid = 4711`) sends a different text every
//! time, so the plan cache of prepared statements never helps it, and parsing plus binding
//! cost several times what running a point query does. The session therefore keys such
//! statements by their shape (`sql::statement_shape`: the text with its constants lifted out
//! as `$1`, `$2`, ...) and keeps, per shape, a prepared statement whose parameters are the
//! lifted constants. Later texts of that shape skip parse and bind: their constants become
//! the parameter values of the kept statement.
//!
//! Running with parameters must be exactly running the text. So before a shape is used, the
//! session proves it on the text at hand: it binds the text the ordinary way and requires
//! that plan to equal the shape's plan with each parameter replaced by its constant. Numbers
//! are parameters of the type the constant itself has (int4, int8, numeric), strings take the
//! type their context infers and are converted as the binder converts a string constant.
//! Anything the binder treats differently for a constant than for a parameter (a folded cast
//! such as `5::int8`, `ORDER BY 1`, a typed string such as `DATE '...'`, a different type
//! choice) makes the plans differ, and that shape always runs the ordinary way.
//!
//! A shape is only built on its second occurrence (a one-off statement pays nothing but the
//! scan), and holds for one catalog version and `search_path` (after DDL it is proven
//! again). Only statements whose plans the plan cache may keep (see `plan_cache`) qualify.
//!
//! Statements that are not plans the cache keeps (`BEGIN`, `END`, ...) repeat verbatim;
//! for short ones the session keeps the parsed form (`Session::parse_repeated`).
//!
//! Owns: [`ShapeCache`], `Session::run_by_shape`, `Session::parse_repeated`. Depends on: `sql::statement_shape`,
//! `sql::binder` (constant typing), the session's prepare / execute.

use super::{Block, Outcome, Prepared, Session, Statement, StatementKind, bind_recorded};
use crate::sql::binder::number_constant;
use crate::sql::error::SqlError;
use crate::sql::plan::Plan;
use crate::sql::statement_shape::{self, Literal, Shape};
use crate::sql::types::{DataType, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// Most shapes a session keeps; when full, it starts over.
const MAX_SHAPES: usize = 512;

/// Longest text whose parse is kept (see [`Session::parse_repeated`]).
const MAX_PARSED_TEXT: usize = 64;
/// Most parsed texts a session keeps; when full, it starts over.
const MAX_PARSED: usize = 64;

/// The shapes a session has seen, by shape text.
#[derive(Default)]
pub struct ShapeCache {
    entries: HashMap<String, Entry>,
    /// Short constant-free texts (`BEGIN`, `END`, `ROLLBACK`, ...) and what they parse to.
    parsed: HashMap<String, Vec<Statement>>,
}

/// What is known about one shape, at one catalog version.
enum Entry {
    /// Seen once: the next occurrence builds it.
    Seen { catalog_version: u64 },
    /// Proven: texts of this shape run as `prepared` while the catalog version and
    /// `search_path` are the ones it was bound against.
    Ready { prepared: Arc<Prepared>, catalog_version: u64, search_path: String },
    /// Running it with parameters is not the same as running its texts: always the
    /// ordinary way (until the catalog changes).
    Unsuitable { catalog_version: u64 },
}

impl Entry {
    fn catalog_version(&self) -> u64 {
        match self {
            Entry::Seen { catalog_version }
            | Entry::Ready { catalog_version, .. }
            | Entry::Unsuitable { catalog_version } => *catalog_version,
        }
    }
}

impl ShapeCache {
    fn insert(&mut self, shape: String, entry: Entry) {
        if self.entries.len() >= MAX_SHAPES && !self.entries.contains_key(&shape) {
            self.entries.clear();
        }
        self.entries.insert(shape, entry);
    }

    /// How many shapes are proven and kept.
    fn ready_count(&self) -> usize {
        self.entries.values().filter(|e| matches!(e, Entry::Ready { .. })).count()
    }
}

impl Session {
    /// How many statement shapes the session keeps prepared statements for.
    pub fn kept_shapes(&self) -> usize {
        self.shapes.ready_count()
    }

    /// [`Session::parse`], remembering the result for short texts without constants: the
    /// statements no shape can keep (transaction control above all) repeat verbatim, and
    /// parsing depends on nothing but the text.
    pub fn parse_repeated(&mut self, sql: &str) -> Result<Vec<Statement>, SqlError> {
        if let Some(statements) = self.shapes.parsed.get(sql) {
            return Ok(statements.clone());
        }
        let statements = self.parse(sql)?;
        let constant_free = !sql.bytes().any(|b| b.is_ascii_digit() || b == b'\'' || b == b'$');
        if sql.len() <= MAX_PARSED_TEXT && constant_free {
            if self.shapes.parsed.len() >= MAX_PARSED {
                self.shapes.parsed.clear();
            }
            self.shapes.parsed.insert(sql.to_string(), statements.clone());
        }
        Ok(statements)
    }

    /// Runs a one-statement simple Query as the prepared statement kept for its shape, when
    /// there is a current one (proving and keeping it on the shape's second occurrence).
    /// `None`: run the text the ordinary way (parse, bind, execute); this may have opened the
    /// statement's implicit transaction, which the ordinary way then uses.
    pub fn run_by_shape(&mut self, sql: &str) -> Option<Result<Outcome, SqlError>> {
        if self.block == Block::Failed || self.batch {
            return None;
        }
        let shape = statement_shape::lift_literals(sql)?;
        if self.txn.is_none() {
            self.begin_txn(None);
        }
        let catalog_version = self.txn_catalog_version?;
        let search_path = self.search_path_setting().to_string();
        let prepared = match self.shapes.entries.get(&shape.text) {
            Some(Entry::Ready { prepared, catalog_version: v, search_path: path })
                if *v == catalog_version && *path == search_path =>
            {
                prepared.clone()
            }
            Some(Entry::Unsuitable { catalog_version: v }) if *v == catalog_version => {
                return None;
            }
            Some(entry) if entry.catalog_version() == catalog_version => {
                self.build_shape(sql, &shape, catalog_version, search_path)?
            }
            _ => {
                self.shapes.insert(shape.text, Entry::Seen { catalog_version });
                return None;
            }
        };
        // A constant its parameter's type cannot hold: the ordinary way reports it.
        let params = parameter_values(&prepared, &shape.literals).ok()?;
        Some(self.execute(&prepared, params))
    }

    /// Prepares `shape` and proves it on `sql` (see the module docs). `None` when it does not
    /// qualify, or when the text itself fails to bind (the ordinary way reports that).
    fn build_shape(
        &mut self,
        sql: &str,
        shape: &Shape,
        catalog_version: u64,
        search_path: String,
    ) -> Option<Arc<Prepared>> {
        let proven = self.prove_shape(sql, shape, catalog_version, &search_path);
        let entry = match &proven {
            Ok(prepared) => {
                Entry::Ready { prepared: prepared.clone(), catalog_version, search_path }
            }
            Err(Unproven::Unsuitable) => Entry::Unsuitable { catalog_version },
            Err(Unproven::NotNow) => return None,
        };
        self.shapes.insert(shape.text.clone(), entry);
        proven.ok()
    }

    fn prove_shape(
        &mut self,
        sql: &str,
        shape: &Shape,
        catalog_version: u64,
        search_path: &str,
    ) -> Result<Arc<Prepared>, Unproven> {
        let declared = shape
            .literals
            .iter()
            .map(|literal| match literal {
                Literal::Number(text) => number_constant(text).map(|(_, ty)| Some(ty)),
                Literal::String(_) => Ok(None),
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| Unproven::Unsuitable)?;
        let statement = self.only_statement(&shape.text).ok_or(Unproven::Unsuitable)?;
        let prepared =
            self.prepare(&shape.text, statement, &declared).map_err(|_| Unproven::Unsuitable)?;
        if prepared.param_types.len() != shape.literals.len() {
            return Err(Unproven::Unsuitable);
        }
        let shaped_plan = prepared
            .plans
            .as_ref()
            .and_then(|plans| plans.get(catalog_version, search_path))
            .map(|(plan, _)| plan)
            .ok_or(Unproven::Unsuitable)?;
        let params = parameter_values(&prepared, &shape.literals).map_err(|_| Unproven::NotNow)?;
        let text = self.only_statement(sql).ok_or(Unproven::NotNow)?;
        let search_path = self.search_path();
        let txn = self.txn.as_mut().ok_or(Unproven::NotNow)?;
        let literal =
            bind_recorded(txn, &text, Vec::new(), search_path).map_err(|_| Unproven::NotNow)?;
        if !same_plan(&literal.plan, &shaped_plan, &params) {
            return Err(Unproven::Unsuitable);
        }
        Ok(Arc::new(prepared))
    }

    /// The one ordinary (sqlparser) statement `sql` holds, if that is what it holds.
    fn only_statement(&self, sql: &str) -> Option<Statement> {
        let mut statements = self.parse(sql).ok()?;
        match (statements.pop(), statements.is_empty()) {
            (Some(statement), true) if matches!(statement.kind, StatementKind::Ast(_)) => {
                Some(statement)
            }
            _ => None,
        }
    }
}

/// Why a shape is not used for the text at hand.
enum Unproven {
    /// Never for this shape (at this catalog version).
    Unsuitable,
    /// Not for this text; the shape may still qualify with other constants.
    NotNow,
}

/// The constants as values of the prepared statement's parameter types.
fn parameter_values(prepared: &Prepared, literals: &[Literal]) -> Result<Vec<Value>, SqlError> {
    literals
        .iter()
        .zip(&prepared.param_types)
        .map(|(literal, ty)| match literal {
            Literal::Number(text) => {
                let (value, constant_type) = number_constant(text)?;
                if constant_type != *ty {
                    return Err(SqlError::internal("constant and parameter types differ"));
                }
                Ok(value)
            }
            Literal::String(text) => match ty {
                DataType::Unknown => Ok(Value::Text(text.clone())),
                ty => Value::parse_text(ty, text),
            },
        })
        .collect()
}

/// Whether `literal` (the text bound the ordinary way) is `shaped` (its shape bound with
/// parameters) with every parameter replaced by its value. Compared in the plans' Debug form,
/// which shows every field and every constant with its type.
fn same_plan(literal: &Plan, shaped: &Plan, values: &[Value]) -> bool {
    let literal = format!("{literal:?}");
    substitute_parameters(&format!("{shaped:?}"), values).is_some_and(|shaped| shaped == literal)
}

/// `debug` (a plan's Debug form) with each `Param(i)` written as `Literal(<value i>)`, the
/// way a bound constant prints. `None` if it refers to a parameter without a value.
fn substitute_parameters(debug: &str, values: &[Value]) -> Option<String> {
    const PARAM: &str = "Param(";
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug;
    while let Some(at) = rest.find(PARAM) {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let follows_word =
            before.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
        let digits = &from[PARAM.len()..];
        let length = digits.bytes().take_while(u8::is_ascii_digit).count();
        if follows_word || length == 0 || digits.as_bytes().get(length) != Some(&b')') {
            out.push_str(PARAM);
            rest = &from[PARAM.len()..];
            continue;
        }
        let index: usize = digits[..length].parse().ok()?;
        out.push_str(&format!("Literal({:?})", values.get(index)?));
        rest = &digits[length + 1..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_print_as_the_constants_they_stand_for() {
        let values = [Value::Int4(7), Value::Text("x".into())];
        assert_eq!(
            substitute_parameters("Eq(Param(0), Column(1)) OuterParam(1) Param(1)", &values),
            Some(r#"Eq(Literal(Int4(7)), Column(1)) OuterParam(1) Literal(Text("x"))"#.into())
        );
        assert_eq!(substitute_parameters("Param(2)", &values), None);
        assert_eq!(
            substitute_parameters("Param(x) Param()", &values),
            Some("Param(x) Param()".into())
        );
    }
}
