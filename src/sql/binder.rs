//! The binder: sqlparser AST → bound [`Plan`]. Resolves table and column names against the
//! catalog (as the current transaction sees it), types every expression, infers parameter
//! types from context, and picks the access path (a primary-key equality is a point read).
//!
//! Depends on: `sql::parser` (positions), `sql::catalog`, `sql::expr`, `sql::functions`,
//! `sql::plan`, `sql::types`, `txn`.

mod array;
mod ddl;
mod explain;
mod expr;
mod foreign_key;
mod join_order;
mod lookup_join;
mod names;
mod order;
mod query;
mod sequence;
mod statement;
mod view;
mod window;
mod with;

pub use expr::number_constant;
pub use foreign_key::unique_key_of;
pub use names::{current_schema, current_schemas, resolve_text, search_path};
pub use query::choose_access;
pub use sequence::bind_alter_sequence;
pub use statement::bind_statement;
pub use view::check_dependent_views;

use super::error::{SqlError, sqlstate};
use super::types::DataType;
use sqlparser::ast;

/// Deepest expression nesting the binder accepts (PostgreSQL's "stack depth limit exceeded").
pub const MAX_EXPRESSION_DEPTH: usize = 2_000;

/// Binding state shared by one statement: parameter types (declared or inferred), the
/// statement text for error positions.
pub struct Binder<'a> {
    pub sql: &'a str,
    pub params: Vec<Option<DataType>>,
    pub txn: &'a mut crate::txn::Transaction,
    /// Current expression nesting depth.
    pub depth: usize,
    /// Scopes of enclosing queries, innermost last: a subquery may refer to its immediate
    /// outer query's columns (a correlated subquery), which bind as [`Expr::Outer`].
    ///
    /// [`Expr::Outer`]: crate::sql::expr::Expr::Outer
    pub outer: Vec<OuterScope>,
    /// Views being expanded, innermost last (a view that reaches itself is an error).
    pub expanding: Vec<u32>,
    /// Object ids of the tables and views the statement reads (what a view depends on).
    pub relations_used: Vec<u32>,
    /// Schemas unqualified relation names are looked up in (and created in), in order.
    pub search_path: Vec<String>,
    /// WITH queries visible here, innermost last (see `binder::with`).
    pub ctes: Vec<with::CteBinding>,
    /// How many recursive terms of WITH RECURSIVE queries enclose what is being bound.
    pub recursive_terms: usize,
    /// Whether window functions may appear where binding is (see `binder::window`).
    pub windows: window::WindowState,
    /// Whether the plan holds rows computed while binding (system relations): it then
    /// describes the moment it was bound, and must not be reused later.
    pub materialised: bool,
}

/// The scope of an enclosing query, and whether the subquery being bound used it.
#[derive(Debug, Clone)]
pub struct OuterScope {
    pub scope: Scope,
    pub used: bool,
}

/// Columns visible to an expression: (table alias, column name, type).
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub columns: Vec<ScopeColumn>,
    /// What `SELECT *` expands to, when not every visible column in order (joins with USING).
    pub star: Option<Vec<usize>>,
}

/// One visible column.
#[derive(Debug, Clone)]
pub struct ScopeColumn {
    pub table: Option<String>,
    pub name: String,
    pub ty: DataType,
    pub table_oid: u32,
    pub column_number: i16,
    /// Reachable only qualified (a column merged by JOIN ... USING).
    pub hidden: bool,
}

impl Scope {
    /// Finds a column by (optional) qualifier and name.
    pub fn resolve(&self, qualifier: Option<&str>, name: &str) -> Result<Option<usize>, SqlError> {
        let mut found = None;
        for (i, column) in self.columns.iter().enumerate() {
            let table_ok = match qualifier {
                Some(q) => column.table.as_deref() == Some(q),
                None => !column.hidden,
            };
            if table_ok && column.name == name {
                if found.is_some() {
                    return Err(SqlError::new(
                        sqlstate::AMBIGUOUS_COLUMN,
                        format!("column reference \"{name}\" is ambiguous"),
                    ));
                }
                found = Some(i);
            }
        }
        Ok(found)
    }
}

/// An identifier as PostgreSQL folds it: unquoted → lower case.
pub fn ident_name(ident: &ast::Ident) -> String {
    if ident.quote_style.is_some() { ident.value.clone() } else { ident.value.to_lowercase() }
}

/// The table name of an object name (`t`, `public.t`, `db.public.t`).
pub fn object_name(name: &ast::ObjectName) -> Result<String, SqlError> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|part| part.as_ident().map(ident_name).unwrap_or_else(|| part.to_string()))
        .collect();
    match parts.as_slice() {
        [table] => Ok(table.clone()),
        [schema, table] if schema == "public" => Ok(table.clone()),
        [_, schema, table] if schema == "public" => Ok(table.clone()),
        [schema, table] if schema == "pg_catalog" || schema == "information_schema" => {
            Err(SqlError::new(
                sqlstate::UNDEFINED_TABLE,
                format!("relation \"{schema}.{table}\" does not exist"),
            ))
        }
        [schema, _] => Err(SqlError::new("3F000", format!("schema \"{schema}\" does not exist"))),
        _ => Err(SqlError::syntax(format!(
            "improper qualified name (too many dotted names): {name}"
        ))),
    }
}

impl<'a> Binder<'a> {
    /// A binder for one statement.
    pub fn new(
        sql: &'a str,
        params: Vec<Option<DataType>>,
        txn: &'a mut crate::txn::Transaction,
    ) -> Binder<'a> {
        Binder {
            sql,
            params,
            txn,
            depth: 0,
            outer: Vec::new(),
            expanding: Vec::new(),
            relations_used: Vec::new(),
            search_path: vec!["public".to_string()],
            ctes: Vec::new(),
            recursive_terms: 0,
            windows: window::WindowState::default(),
            materialised: false,
        }
    }

    /// The same binder with schemas searched in `path`.
    pub fn with_search_path(mut self, path: Vec<String>) -> Binder<'a> {
        self.search_path = path;
        self
    }
}

/// A table's bound DEFAULT expressions and CHECK constraints (for rows the executor writes
/// on its own, such as foreign-key actions).
pub fn write_rules(
    txn: &mut crate::txn::Transaction,
    table: &crate::sql::catalog::TableDef,
) -> Result<crate::sql::plan::WriteRules, SqlError> {
    Binder::new("", Vec::new(), txn).defaults_and_checks(table)
}

impl Binder<'_> {
    /// Position of an identifier in the statement text, for error reports.
    pub fn position(&self, span: sqlparser::tokenizer::Span) -> Option<u32> {
        super::parser::position_of(self.sql, span.start)
    }

    /// Attaches the position of `span` to `err` if it has none.
    pub fn at(&self, err: SqlError, span: sqlparser::tokenizer::Span) -> SqlError {
        match (err.position, self.position(span)) {
            (None, Some(position)) => err.with_position(position),
            _ => err,
        }
    }

    /// Records the type of parameter `$index` (0-based) if not yet known.
    pub fn infer_param(&mut self, index: usize, ty: &DataType) {
        if self.params.len() <= index {
            self.params.resize(index + 1, None);
        }
        if let Some(slot) = self.params.get_mut(index)
            && slot.is_none()
            && *ty != DataType::Unknown
        {
            *slot = Some(ty.clone());
        }
    }
}
