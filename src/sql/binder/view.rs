//! Views: CREATE [OR REPLACE] VIEW stores the defining query's text with the output columns
//! and the relations it reads; every use binds that text again (so a view always reflects
//! its tables' current definitions), as a subquery in FROM.

use super::query::rename_columns;
use super::{Binder, Scope, ScopeColumn, ident_name};
use crate::sql::catalog::{self, ViewDef};
use crate::sql::error::{SqlError, sqlstate};
use crate::sql::plan::{Plan, Source};
use crate::txn::Transaction;
use sqlparser::ast;

impl Binder<'_> {
    pub(super) fn bind_create_view(&mut self, create: &ast::CreateView) -> Result<Plan, SqlError> {
        if create.materialized {
            return Err(SqlError::unsupported("materialized views are not supported yet"));
        }
        if create.temporary {
            return Err(SqlError::unsupported("temporary views are not supported yet"));
        }
        let name = self.creation_key(&create.name)?;
        let query = create.query.to_string();
        let used_before = std::mem::take(&mut self.relations_used);
        let plan = self.bind_query(&create.query);
        let mut depends_on = std::mem::replace(&mut self.relations_used, used_before);
        let plan = plan?;
        depends_on.sort_unstable();
        depends_on.dedup();
        if create.columns.len() > plan.columns.len() {
            return Err(SqlError::syntax("CREATE VIEW specifies more column names than columns"));
        }
        let mut columns: Vec<(String, crate::sql::types::DataType)> =
            plan.columns.iter().map(|c| (c.name.clone(), c.ty.clone())).collect();
        for (column, given) in columns.iter_mut().zip(&create.columns) {
            column.0 = ident_name(&given.name);
        }
        for (i, (column, _)) in columns.iter().enumerate() {
            if columns.iter().take(i).any(|(earlier, _)| earlier == column) {
                return Err(SqlError::new(
                    sqlstate::DUPLICATE_COLUMN,
                    format!("column \"{column}\" specified more than once"),
                ));
            }
        }
        let search_path = self.search_path.clone();
        let view = ViewDef { id: 0, name, query, columns, depends_on, search_path };
        Ok(Plan::CreateView { view, or_replace: create.or_replace })
    }

    /// A view in FROM: its query bound afresh (without access to the enclosing query's
    /// columns), visible under `alias` or the view's name.
    pub(super) fn bind_view(
        &mut self,
        view: &ViewDef,
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Source, Scope), SqlError> {
        if self.expanding.contains(&view.id) {
            return Err(SqlError::new(
                "42P17",
                format!("infinite recursion detected in rules for relation \"{}\"", view.name),
            ));
        }
        self.relations_used.push(view.id);
        let plan = self.bind_view_query(view)?;
        let qualifier = match alias {
            Some(alias) => ident_name(&alias.name),
            None => self.bare_name(&view.name)?,
        };
        let scope = Scope {
            columns: plan
                .columns
                .iter()
                .zip(&view.columns)
                .enumerate()
                .map(|(i, (column, (name, _)))| ScopeColumn {
                    table: Some(qualifier.clone()),
                    name: name.clone(),
                    ty: column.ty.clone(),
                    table_oid: view.oid(),
                    column_number: i16::try_from(i + 1).unwrap_or(i16::MAX),
                    hidden: false,
                })
                .collect(),
            star: None,
        };
        let scope = rename_columns(scope, alias)?;
        Ok((Source::Query(Box::new(plan)), scope))
    }

    /// Binds a view's stored query; it must still produce the view's columns.
    fn bind_view_query(
        &mut self,
        view: &ViewDef,
    ) -> Result<crate::sql::plan::SelectPlan, SqlError> {
        let statement = crate::sql::parser::parse_statements(&view.query)?.pop();
        let Some(ast::Statement::Query(query)) = statement else {
            return Err(SqlError::new(
                sqlstate::DATA_CORRUPTED,
                format!("definition of view \"{}\" is damaged", view.name),
            ));
        };
        self.expanding.push(view.id);
        // Names in the query resolve as they did when the view was created.
        let path = if view.search_path.is_empty() {
            vec!["public".to_string()]
        } else {
            view.search_path.clone()
        };
        let path = std::mem::replace(&mut self.search_path, path);
        // The view sees neither the enclosing query's columns nor its WITH queries.
        let outer = std::mem::take(&mut self.outer);
        let ctes = std::mem::take(&mut self.ctes);
        let recursive_terms = std::mem::take(&mut self.recursive_terms);
        // What the view's query reads is the view's dependency, not the statement's.
        let used = std::mem::take(&mut self.relations_used);
        let plan = self.bind_query(&query);
        self.relations_used = used;
        self.recursive_terms = recursive_terms;
        self.ctes = ctes;
        self.outer = outer;
        self.search_path = path;
        self.expanding.pop();
        // Positions would point into the view's text, not the statement's.
        let plan = plan.map_err(|mut err| {
            err.position = None;
            err
        })?;
        if plan.columns.len() < view.columns.len() {
            return Err(SqlError::new(
                sqlstate::DEPENDENT_OBJECTS_STILL_EXIST,
                format!("view \"{}\" no longer matches its tables", view.name),
            ));
        }
        Ok(plan)
    }
}

/// After ALTER TABLE changed relation `id`: every view that depends on it must still bind
/// (PostgreSQL refuses to drop or rename away a column a view uses: 2BP01).
pub fn check_dependent_views(
    txn: &mut Transaction,
    id: u32,
    table_name: &str,
) -> Result<(), SqlError> {
    for view in catalog::list_views(txn)? {
        if !view.depends_on.contains(&id) {
            continue;
        }
        let mut binder = Binder::new("", Vec::new(), txn);
        if binder.bind_view_query(&view).is_err() {
            return Err(SqlError::new(
                sqlstate::DEPENDENT_OBJECTS_STILL_EXIST,
                format!("cannot alter table {table_name} because other objects depend on it"),
            )
            .with_detail(format!("view {} depends on table {table_name}", view.name))
            .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
        }
    }
    Ok(())
}
