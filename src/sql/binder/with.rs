//! Binding of WITH clauses (common table expressions). Each WITH query is bound once, in
//! order (a query sees the ones before it), and becomes a [`CommonTable`] that every
//! reference in the statement shares; a WITH query's name hides a table of the same name.
//! `WITH RECURSIVE`: a query that refers to itself must be `anchor UNION [ALL] step`; its
//! column types come from the anchor, and the step reads the working table.
//!
//! Depends on: `binder::query` (queries, type resolution), `sql::plan`.

use super::query::{cast_output, common_type, rename_columns, set_column_type, untyped_columns};
use super::{Binder, Scope, ScopeColumn, ident_name};
use crate::sql::error::{SqlError, sqlstate};
use crate::sql::plan::{CommonTable, CommonTableBody, SelectPlan, Source, WorkingTable};
use sqlparser::ast;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// A WITH query name in scope.
pub struct CteBinding {
    name: String,
    /// Output columns: (name, type, table OID, column number).
    columns: Vec<ScopeColumn>,
    target: CteTarget,
    /// `binder.outer.len()` where it was defined: a reference from deeper down is inside a
    /// subquery.
    depth: usize,
    /// How many recursive terms were being bound where it was defined.
    loops: usize,
    references: usize,
}

enum CteTarget {
    /// A bound WITH query.
    Table(Arc<CommonTable>),
    /// A recursive query's own name inside its step: the working table.
    Working(Arc<WorkingTable>),
    /// Its name may not be used here (a recursive query's anchor, or a recursive query
    /// not written as a UNION): the error to report.
    Forbidden(SqlError),
}

impl Binder<'_> {
    /// Binds a WITH clause, making its queries visible until the caller truncates
    /// `self.ctes` back.
    pub(in crate::sql::binder) fn bind_with(&mut self, with: &ast::With) -> Result<(), SqlError> {
        let frame = self.ctes.len();
        for cte in &with.cte_tables {
            let name = ident_name(&cte.alias.name);
            if self.ctes.get(frame..).unwrap_or_default().iter().any(|c| c.name == name) {
                return Err(self.at(
                    SqlError::new(
                        sqlstate::DUPLICATE_ALIAS,
                        format!("WITH query name \"{name}\" specified more than once"),
                    ),
                    cte.alias.name.span,
                ));
            }
            if matches!(
                cte.query.body.as_ref(),
                ast::SetExpr::Insert(_)
                    | ast::SetExpr::Update(_)
                    | ast::SetExpr::Delete(_)
                    | ast::SetExpr::Merge(_)
            ) {
                return Err(SqlError::unsupported(
                    "data-modifying statements in WITH are not supported",
                ));
            }
            let binding = if with.recursive {
                self.bind_recursive_cte(&name, cte)?
            } else {
                self.bind_plain_cte(&name, cte)?
            };
            self.ctes.push(binding);
        }
        Ok(())
    }

    fn bind_plain_cte(&mut self, name: &str, cte: &ast::Cte) -> Result<CteBinding, SqlError> {
        let (plan, correlated) =
            self.tracking_correlation(|binder| binder.bind_query(&cte.query))?;
        let columns = self.cte_columns(name, &plan, &cte.alias)?;
        let table = CommonTable::new(name, CommonTableBody::Plain(Box::new(plan)), correlated);
        Ok(self.binding(name, columns, CteTarget::Table(Arc::new(table))))
    }

    /// A query of `WITH RECURSIVE`: recursive when it refers to itself.
    fn bind_recursive_cte(&mut self, name: &str, cte: &ast::Cte) -> Result<CteBinding, SqlError> {
        let ast::SetExpr::SetOperation { op: ast::SetOperator::Union, left, right, set_quantifier } =
            cte.query.body.as_ref()
        else {
            // Not a UNION: fine as long as it does not refer to itself.
            let error = SqlError::new(
                sqlstate::INVALID_RECURSION,
                format!(
                    "recursive query \"{name}\" does not have the form non-recursive-term UNION [ALL] recursive-term"
                ),
            );
            let error = self.at(error, cte.alias.name.span);
            return self.bind_guarded(name, cte, error);
        };
        let union_all = match set_quantifier {
            ast::SetQuantifier::All => true,
            ast::SetQuantifier::Distinct | ast::SetQuantifier::None => false,
            other => return Err(SqlError::unsupported(format!("UNION {other}"))),
        };
        // The anchor may not refer to the query.
        let error = SqlError::new(
            sqlstate::INVALID_RECURSION,
            format!(
                "recursive reference to query \"{name}\" must not appear within its non-recursive term"
            ),
        );
        self.ctes.push(self.binding(name, Vec::new(), CteTarget::Forbidden(error)));
        let anchor = self.tracking_correlation(|binder| binder.bind_set_expr(left));
        self.ctes.pop();
        let (anchor, anchor_correlated) = anchor?;
        let columns = self.cte_columns(name, &anchor, &cte.alias)?;
        let working = Arc::new(WorkingTable::default());
        self.ctes.push(self.binding(name, columns.clone(), CteTarget::Working(working.clone())));
        self.recursive_terms += 1;
        let step = self.tracking_correlation(|binder| binder.bind_set_expr(right));
        self.recursive_terms -= 1;
        let references = self.ctes.pop().map_or(0, |b| b.references);
        let (mut step, step_correlated) = step?;
        let untyped = untyped_columns(right);
        if references == 0 {
            // No self-reference: an ordinary query.
            return self.bind_plain_cte(name, cte);
        }
        if cte.query.order_by.is_some() {
            return Err(SqlError::unsupported("ORDER BY in a recursive query is not implemented"));
        }
        if let Some(ast::LimitClause::LimitOffset { limit, offset, .. }) = &cte.query.limit_clause {
            let clause = if offset.is_some() && limit.is_none() { "OFFSET" } else { "LIMIT" };
            return Err(SqlError::unsupported(format!(
                "{clause} in a recursive query is not implemented"
            )));
        }
        if step.grouping.is_some() {
            return Err(SqlError::new(
                sqlstate::INVALID_RECURSION,
                "aggregate functions are not allowed in a recursive query's recursive term",
            ));
        }
        if reads_working_table_nullable(&step.source, false) {
            return Err(SqlError::new(
                sqlstate::INVALID_RECURSION,
                format!(
                    "recursive reference to query \"{name}\" must not appear within an outer join"
                ),
            ));
        }
        if step.columns.len() != anchor.columns.len() {
            return Err(SqlError::syntax("each UNION query must have the same number of columns"));
        }
        for (i, column) in anchor.columns.iter().enumerate() {
            let step_ty = set_column_type(&step, i, &untyped);
            let Some(overall) = common_type(&column.ty, &step_ty) else {
                return Err(SqlError::new(
                    sqlstate::DATATYPE_MISMATCH,
                    format!(
                        "UNION types {} and {} cannot be matched",
                        column.ty.display_name(),
                        step_ty.display_name()
                    ),
                ));
            };
            if overall != column.ty {
                let err = SqlError::new(
                    sqlstate::DATATYPE_MISMATCH,
                    format!(
                        "recursive query \"{name}\" column {} has type {} in non-recursive term but type {} overall",
                        i + 1,
                        column.ty.display_name(),
                        overall.display_name()
                    ),
                )
                .with_hint("Cast the output of the non-recursive term to the correct type.");
                return Err(match anchor_item_span(left, i) {
                    Some(span) => self.at(err, span),
                    None => err,
                });
            }
            cast_output(&mut step, i, &column.ty);
        }
        let body = CommonTableBody::Recursive {
            anchor: Box::new(anchor),
            step: Box::new(step),
            union_all,
            working,
        };
        let table = CommonTable::new(name, body, anchor_correlated || step_correlated);
        Ok(self.binding(name, columns, CteTarget::Table(Arc::new(table))))
    }

    /// Binds a query of `WITH RECURSIVE` that may not refer to itself.
    fn bind_guarded(
        &mut self,
        name: &str,
        cte: &ast::Cte,
        error: SqlError,
    ) -> Result<CteBinding, SqlError> {
        self.ctes.push(self.binding(name, Vec::new(), CteTarget::Forbidden(error)));
        let bound = self.tracking_correlation(|binder| binder.bind_query(&cte.query));
        self.ctes.pop();
        let (plan, correlated) = bound?;
        let columns = self.cte_columns(name, &plan, &cte.alias)?;
        let table = CommonTable::new(name, CommonTableBody::Plain(Box::new(plan)), correlated);
        Ok(self.binding(name, columns, CteTarget::Table(Arc::new(table))))
    }

    fn binding(&self, name: &str, columns: Vec<ScopeColumn>, target: CteTarget) -> CteBinding {
        CteBinding {
            name: name.to_string(),
            columns,
            target,
            depth: self.outer.len(),
            loops: self.recursive_terms,
            references: 0,
        }
    }

    /// Runs `bind` and tells whether what it bound read the enclosing query's row.
    fn tracking_correlation<T>(
        &mut self,
        bind: impl FnOnce(&mut Self) -> Result<T, SqlError>,
    ) -> Result<(T, bool), SqlError> {
        let saved = self.outer.last_mut().map(|o| std::mem::replace(&mut o.used, false));
        let result = bind(self);
        let correlated = self.outer.last().is_some_and(|o| o.used);
        if let (Some(outer), Some(saved)) = (self.outer.last_mut(), saved) {
            outer.used = saved || correlated;
        }
        Ok((result?, correlated))
    }

    /// A WITH query's columns, renamed by its column list.
    fn cte_columns(
        &self,
        name: &str,
        plan: &SelectPlan,
        alias: &ast::TableAlias,
    ) -> Result<Vec<ScopeColumn>, SqlError> {
        if alias.columns.len() > plan.columns.len() {
            return Err(self.at(
                SqlError::new(
                    sqlstate::INVALID_COLUMN_REFERENCE,
                    format!(
                        "WITH query \"{name}\" has {} columns available but {} columns specified",
                        plan.columns.len(),
                        alias.columns.len()
                    ),
                ),
                alias.name.span,
            ));
        }
        let mut columns: Vec<ScopeColumn> = plan
            .columns
            .iter()
            .map(|c| ScopeColumn {
                table: Some(name.to_string()),
                name: c.name.clone(),
                ty: c.ty.clone(),
                table_oid: c.table_oid,
                column_number: c.column_number,
                hidden: false,
            })
            .collect();
        for (column, alias) in columns.iter_mut().zip(&alias.columns) {
            column.name = ident_name(&alias.name);
        }
        Ok(columns)
    }

    /// A FROM item naming a WITH query in scope, if `name` is one.
    pub(super) fn bind_cte_reference(
        &mut self,
        name: &ast::ObjectName,
        alias: Option<&ast::TableAlias>,
    ) -> Result<Option<(Source, Scope)>, SqlError> {
        let [part] = name.0.as_slice() else { return Ok(None) };
        let Some(ident) = part.as_ident() else { return Ok(None) };
        let relation = ident_name(ident);
        let depth = self.outer.len();
        let position = self.position(ident.span);
        let at = |err: SqlError| match (err.position, position) {
            (None, Some(position)) => err.with_position(position),
            _ => err,
        };
        let loops = self.recursive_terms;
        let Some(binding) = self.ctes.iter_mut().rev().find(|c| c.name == relation) else {
            return Ok(None);
        };
        binding.references += 1;
        let source = match &binding.target {
            CteTarget::Forbidden(error) => return Err(at(error.clone())),
            CteTarget::Working(table) => {
                if binding.depth != depth {
                    return Err(at(SqlError::new(
                        sqlstate::INVALID_RECURSION,
                        format!(
                            "recursive reference to query \"{relation}\" must not appear within a subquery"
                        ),
                    )));
                }
                if binding.references > 1 {
                    return Err(at(SqlError::new(
                        sqlstate::INVALID_RECURSION,
                        format!(
                            "recursive reference to query \"{relation}\" must not appear more than once"
                        ),
                    )));
                }
                Source::WorkingTable(table.clone())
            }
            CteTarget::Table(table) => {
                let repeated = binding.depth != depth || binding.loops != loops;
                if table.correlated && binding.depth != depth {
                    return Err(SqlError::unsupported(
                        "a WITH query that reads an outer query's columns can only be read at its own level",
                    ));
                }
                if binding.references > 1 || repeated {
                    table.shared.store(true, Ordering::Relaxed);
                }
                Source::CommonTable(table.clone())
            }
        };
        let qualifier = alias.map(|a| ident_name(&a.name)).unwrap_or(relation);
        let columns = binding
            .columns
            .iter()
            .map(|c| ScopeColumn { table: Some(qualifier.clone()), ..c.clone() })
            .collect();
        let scope = rename_columns(Scope { columns, star: None }, alias)?;
        Ok(Some((source, scope)))
    }
}

/// Where output column `i` of a recursive query's anchor is written (for error positions).
fn anchor_item_span(anchor: &ast::SetExpr, i: usize) -> Option<sqlparser::tokenizer::Span> {
    use sqlparser::ast::Spanned;
    match anchor {
        ast::SetExpr::Select(select) => select.projection.get(i).map(|item| item.span()),
        ast::SetExpr::SetOperation { left, .. } => anchor_item_span(left, i),
        _ => None,
    }
}

/// Whether the working table is read on a side of an outer join that gets NULL-extended
/// (`nullable`: the current source is such a side).
fn reads_working_table_nullable(source: &Source, nullable: bool) -> bool {
    use crate::sql::plan::JoinKind;
    match source {
        Source::WorkingTable(_) => nullable,
        Source::Filter { input, .. } => reads_working_table_nullable(input, nullable),
        Source::Join(join) => {
            let left_nullable = nullable || matches!(join.kind, JoinKind::Right | JoinKind::Full);
            let right_nullable = nullable || matches!(join.kind, JoinKind::Left | JoinKind::Full);
            reads_working_table_nullable(&join.left, left_nullable)
                || reads_working_table_nullable(&join.right, right_nullable)
        }
        _ => false,
    }
}
