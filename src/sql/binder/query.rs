//! Binding of queries: WITH (see `binder::with`), FROM (tables, WITH queries, joins,
//! subqueries, VALUES, generate_series, system relations), WHERE, GROUP BY / HAVING with
//! aggregates, the projection (with `*`), window functions (collected by `binder::window`),
//! DISTINCT and DISTINCT ON, ORDER BY (by expression, output name or position), LIMIT /
//! OFFSET / FETCH FIRST, and set operations. Chooses a point read when WHERE pins the whole
//! primary key.

use super::expr::AggregateContext;
use super::window::{WINDOW_COLUMN_BASE, WindowCollector, WindowState};
use super::{Binder, Scope, ScopeColumn, ident_name, object_name};
use crate::sql::catalog::{self, TableDef};
use crate::sql::error::{SqlError, sqlstate};
use crate::sql::expr::Expr;
use crate::sql::plan::{
    Access, Grouping, Join, JoinKind, SelectPlan, SetOp, SetOpKind, SortKey, Source,
};
use crate::sql::session::Column;
use crate::sql::types::{BinaryOp, DataType, Value};
use sqlparser::ast;
use std::sync::Arc;

impl Binder<'_> {
    /// Binds a full query (SELECT, VALUES or a set operation with ORDER BY / LIMIT / OFFSET),
    /// with the queries of its WITH clause visible inside it.
    pub fn bind_query(&mut self, query: &ast::Query) -> Result<SelectPlan, SqlError> {
        let frame = self.ctes.len();
        let windows = self.set_windows(WindowState::Forbidden("this context"));
        let result = match &query.with {
            Some(with) => self.bind_with(with).and_then(|()| self.bind_query_body(query)),
            None => self.bind_query_body(query),
        };
        self.windows = windows;
        self.ctes.truncate(frame);
        result
    }

    fn bind_query_body(&mut self, query: &ast::Query) -> Result<SelectPlan, SqlError> {
        if !query.locks.is_empty() {
            return Err(SqlError::unsupported("FOR UPDATE/SHARE is not supported yet"));
        }
        let order_by = query.order_by.as_ref();
        let mut plan = match query.body.as_ref() {
            ast::SetExpr::Select(select) => self.bind_select(select, order_by)?,
            body => {
                let mut plan = self.bind_set_expr(body)?;
                // A parenthesised query keeps its own ORDER BY / LIMIT; ours applies on top.
                if matches!(body, ast::SetExpr::Query(_))
                    && (order_by.is_some() || query.limit_clause.is_some())
                {
                    plan = wrap(plan);
                }
                if let Some(order_by) = order_by {
                    plan.order_by =
                        self.bind_order_by(order_by, &output_scope(&plan), &plan, None)?;
                }
                plan
            }
        };
        if let Some(limit) = &query.limit_clause {
            match limit {
                ast::LimitClause::LimitOffset { limit, offset, .. } => {
                    let empty = Scope::default();
                    if let Some(limit) = limit {
                        plan.limit =
                            Some(self.bind_expr_expecting(limit, &empty, &DataType::Int8)?.0);
                    }
                    if let Some(offset) = offset {
                        plan.offset = Some(
                            self.bind_expr_expecting(&offset.value, &empty, &DataType::Int8)?.0,
                        );
                    }
                }
                ast::LimitClause::OffsetCommaLimit { .. } => {
                    return Err(SqlError::syntax("LIMIT #,# syntax is not supported"));
                }
            }
        }
        if let Some(fetch) = &query.fetch {
            if fetch.percent {
                return Err(SqlError::unsupported("FETCH ... PERCENT"));
            }
            if fetch.with_ties {
                if plan.order_by.is_empty() {
                    return Err(SqlError::syntax(
                        "WITH TIES cannot be specified without ORDER BY clause",
                    ));
                }
                plan.with_ties = true;
            }
            if plan.limit.is_some() {
                return Err(SqlError::syntax("multiple LIMIT clauses not allowed"));
            }
            plan.limit = Some(match &fetch.quantity {
                Some(quantity) => {
                    self.bind_expr_expecting(quantity, &Scope::default(), &DataType::Int8)?.0
                }
                None => Expr::Literal(Value::Int8(1)),
            });
        }
        super::order::read_in_order(&mut plan);
        Ok(plan)
    }

    /// A query body without ORDER BY / LIMIT of its own. VALUES and set operations produce
    /// plans whose projection is the identity, so output positions are row positions.
    pub(super) fn bind_set_expr(&mut self, body: &ast::SetExpr) -> Result<SelectPlan, SqlError> {
        match body {
            ast::SetExpr::Select(select) => self.bind_select(select, None),
            ast::SetExpr::Values(values) => self.bind_values(values, None),
            ast::SetExpr::Query(inner) => self.bind_query(inner),
            ast::SetExpr::SetOperation { left, op, set_quantifier, right } => {
                self.bind_set_operation(left, op, set_quantifier, right)
            }
            other => Err(SqlError::unsupported(format!("query body {other}"))),
        }
    }

    fn bind_set_operation(
        &mut self,
        left: &ast::SetExpr,
        op: &ast::SetOperator,
        quantifier: &ast::SetQuantifier,
        right: &ast::SetExpr,
    ) -> Result<SelectPlan, SqlError> {
        let (kind, name) = match op {
            ast::SetOperator::Union => (SetOpKind::Union, "UNION"),
            ast::SetOperator::Intersect => (SetOpKind::Intersect, "INTERSECT"),
            ast::SetOperator::Except | ast::SetOperator::Minus => (SetOpKind::Except, "EXCEPT"),
        };
        let all = match quantifier {
            ast::SetQuantifier::All => true,
            ast::SetQuantifier::Distinct | ast::SetQuantifier::None => false,
            other => return Err(SqlError::unsupported(format!("{name} {other}"))),
        };
        let untyped = (untyped_columns(left), untyped_columns(right));
        let mut left = self.bind_set_expr(left)?;
        let mut right = self.bind_set_expr(right)?;
        if left.columns.len() != right.columns.len() {
            return Err(SqlError::syntax(format!(
                "each {name} query must have the same number of columns"
            )));
        }
        let mut columns = Vec::with_capacity(left.columns.len());
        for i in 0..left.columns.len() {
            let lt = set_column_type(&left, i, &untyped.0);
            let rt = set_column_type(&right, i, &untyped.1);
            let ty = common_type(&lt, &rt).ok_or_else(|| {
                SqlError::new(
                    sqlstate::DATATYPE_MISMATCH,
                    format!(
                        "{name} types {} and {} cannot be matched",
                        lt.display_name(),
                        rt.display_name()
                    ),
                )
            })?;
            let ty = result_type(ty);
            cast_output(&mut left, i, &ty);
            cast_output(&mut right, i, &ty);
            let name = left.columns.get(i).map(|c| c.name.clone()).unwrap_or_default();
            columns.push(Column::new(&name, ty));
        }
        let projection = (0..columns.len()).map(Expr::Column).collect();
        Ok(SelectPlan::new(
            Source::SetOp(Box::new(SetOp { kind, all, left, right })),
            projection,
            columns,
        ))
    }

    /// VALUES rows; `expected` gives target types (INSERT) to type parameters and literals.
    /// The one empty row of `INSERT ... DEFAULT VALUES`.
    pub fn default_values_row(&self) -> SelectPlan {
        SelectPlan::new(Source::Values(vec![Vec::new()]), Vec::new(), Vec::new())
    }

    pub fn bind_values(
        &mut self,
        values: &ast::Values,
        expected: Option<&[DataType]>,
    ) -> Result<SelectPlan, SqlError> {
        let empty = Scope::default();
        let mut rows = Vec::with_capacity(values.rows.len());
        let mut types: Vec<DataType> = Vec::new();
        for row in values.rows.iter().map(|r| &r.content) {
            if !types.is_empty() && row.len() != types.len() {
                return Err(SqlError::syntax("VALUES lists must all be the same length"));
            }
            let mut bound = Vec::with_capacity(row.len());
            for (i, e) in row.iter().enumerate() {
                let target = expected.and_then(|t| t.get(i)).cloned();
                let (expr, ty) = match (&target, e) {
                    (_, ast::Expr::Identifier(ident))
                        if ident.quote_style.is_none()
                            && ident.value.eq_ignore_ascii_case("default") =>
                    {
                        (Expr::Default, DataType::Unknown)
                    }
                    (Some(t), e) => self.bind_expr_expecting(e, &empty, t)?,
                    (None, e) => self.bind_expr(e, &empty)?,
                };
                if types.len() <= i {
                    types.push(ty);
                } else if types.get(i) == Some(&DataType::Unknown)
                    && let Some(slot) = types.get_mut(i)
                {
                    *slot = ty;
                }
                bound.push(expr);
            }
            rows.push(bound);
        }
        let columns: Vec<Column> = types
            .iter()
            .enumerate()
            .map(|(i, ty)| {
                Column::new(
                    &format!("column{}", i + 1),
                    if *ty == DataType::Unknown { DataType::Text } else { ty.clone() },
                )
            })
            .collect();
        let projection = (0..columns.len()).map(Expr::Column).collect();
        Ok(SelectPlan::new(Source::Values(rows), projection, columns))
    }

    fn bind_select(
        &mut self,
        select: &ast::Select,
        order_by: Option<&ast::OrderBy>,
    ) -> Result<SelectPlan, SqlError> {
        let windows = self.set_windows(WindowState::Forbidden("JOIN conditions"));
        let result = self.bind_select_clauses(select, order_by);
        self.windows = windows;
        result
    }

    fn bind_select_clauses(
        &mut self,
        select: &ast::Select,
        order_by: Option<&ast::OrderBy>,
    ) -> Result<SelectPlan, SqlError> {
        let group_exprs = match &select.group_by {
            ast::GroupByExpr::Expressions(exprs, modifiers) if modifiers.is_empty() => exprs,
            _ => {
                return Err(SqlError::unsupported(
                    "GROUP BY ALL, ROLLUP, CUBE and GROUPING SETS are not supported yet",
                ));
            }
        };
        let (source, scope) = self.bind_from(&select.from)?;
        self.set_windows(WindowState::Forbidden("WHERE"));
        let filter = match &select.selection {
            Some(selection) => {
                let (expr, ty) = self.bind_expr_expecting(selection, &scope, &DataType::Bool)?;
                if !matches!(ty, DataType::Bool | DataType::Unknown) {
                    return Err(SqlError::new(
                        sqlstate::DATATYPE_MISMATCH,
                        format!(
                            "argument of WHERE must be type boolean, not type {}",
                            ty.display_name()
                        ),
                    ));
                }
                Some(expr)
            }
            None => None,
        };
        let order_has_aggregate = order_by.is_some_and(|o| match &o.kind {
            ast::OrderByKind::Expressions(items) => {
                items.iter().any(|item| expr_has_aggregate(&item.expr, 0))
            }
            _ => false,
        });
        let aggregating = !group_exprs.is_empty()
            || select.having.is_some()
            || select.projection.iter().any(contains_aggregate)
            || order_has_aggregate;
        self.set_windows(WindowState::Forbidden("GROUP BY"));
        let mut agg_ctx = if aggregating {
            let keys = self.bind_group_by(group_exprs, &select.projection, &scope)?;
            Some(AggregateContext { keys, aggregates: Vec::new(), input: scope.clone() })
        } else {
            None
        };
        self.set_windows(WindowState::Collecting(WindowCollector::new(&select.named_window)?));
        let mut projection = Vec::new();
        let mut columns = Vec::new();
        for item in &select.projection {
            match item {
                ast::SelectItem::Wildcard(_) | ast::SelectItem::QualifiedWildcard(..) => {
                    let qualifier = match item {
                        ast::SelectItem::QualifiedWildcard(
                            ast::SelectItemQualifiedWildcardKind::ObjectName(name),
                            _,
                        ) => Some(object_name(name)?),
                        ast::SelectItem::QualifiedWildcard(..) => {
                            return Err(SqlError::unsupported("this form of qualified *"));
                        }
                        _ => None,
                    };
                    let positions: Vec<usize> = match &qualifier {
                        None => {
                            if scope.columns.is_empty() {
                                return Err(SqlError::syntax(
                                    "SELECT * with no tables specified is not valid",
                                ));
                            }
                            star_columns(&scope)
                        }
                        Some(q) => {
                            let found: Vec<usize> = scope
                                .columns
                                .iter()
                                .enumerate()
                                .filter(|(_, c)| c.table.as_deref() == Some(q.as_str()))
                                .map(|(i, _)| i)
                                .collect();
                            if found.is_empty() {
                                return Err(SqlError::new(
                                    sqlstate::UNDEFINED_TABLE,
                                    format!("missing FROM-clause entry for table \"{q}\""),
                                ));
                            }
                            found
                        }
                    };
                    for i in positions {
                        let Some(column) = scope.columns.get(i) else { continue };
                        match &agg_ctx {
                            None => projection.push(Expr::Column(i)),
                            Some(ctx) => {
                                match ctx.keys.iter().position(|k| *k == Expr::Column(i)) {
                                    Some(k) => projection.push(Expr::Column(k)),
                                    None => return Err(ungrouped(column)),
                                }
                            }
                        }
                        columns.push(column.to_column());
                    }
                }
                ast::SelectItem::UnnamedExpr(e) => {
                    let (expr, ty) = self.bind_expr_in(e, &scope, agg_ctx.as_mut())?;
                    let mut column = Column::new(&output_name(e), result_type(ty));
                    if let (Expr::Column(i), None) = (&expr, &agg_ctx)
                        && let Some(source) = scope.columns.get(*i)
                    {
                        column.table_oid = source.table_oid;
                        column.column_number = source.column_number;
                    }
                    projection.push(expr);
                    columns.push(column);
                }
                ast::SelectItem::ExprWithAlias { expr: e, alias } => {
                    let (expr, ty) = self.bind_expr_in(e, &scope, agg_ctx.as_mut())?;
                    projection.push(expr);
                    columns.push(Column::new(&ident_name(alias), result_type(ty)));
                }
                other => return Err(SqlError::unsupported(format!("select item {other}"))),
            }
        }
        let collector = self.take_windows("HAVING");
        let having = match &select.having {
            Some(h) => {
                let (expr, ty) = self.bind_expr_in(h, &scope, agg_ctx.as_mut())?;
                if !matches!(ty, DataType::Bool | DataType::Unknown) {
                    return Err(SqlError::new(
                        sqlstate::DATATYPE_MISMATCH,
                        format!(
                            "argument of HAVING must be type boolean, not type {}",
                            ty.display_name()
                        ),
                    ));
                }
                Some(expr)
            }
            None => None,
        };
        self.set_windows(WindowState::Collecting(collector));
        let (distinct, distinct_on) = match &select.distinct {
            None | Some(ast::Distinct::All) => (false, None),
            Some(ast::Distinct::Distinct) => (true, None),
            Some(ast::Distinct::On(exprs)) => (false, Some(exprs)),
        };
        let (source, filter) = match (source, filter) {
            (Source::Table { table, .. }, Some(filter)) => {
                let access = choose_access(&table, &filter);
                (Source::Table { table, access }, Some(filter))
            }
            (Source::Join(join), Some(filter)) => {
                let types: Vec<DataType> = scope.columns.iter().map(|c| c.ty.clone()).collect();
                let columns: Vec<Column> = scope.columns.iter().map(|c| c.to_column()).collect();
                let names: Vec<(Option<String>, String)> =
                    scope.columns.iter().map(|c| (c.table.clone(), c.name.clone())).collect();
                super::join_order::plan_inner_joins(
                    Source::Join(join),
                    filter,
                    &types,
                    &columns,
                    &names,
                )
            }
            other => other,
        };
        let source = super::lookup_join::use_lookup_joins(source);
        let mut plan = SelectPlan::new(source, projection, columns);
        plan.input_names =
            scope.columns.iter().map(|c| (c.table.clone(), c.name.clone())).collect();
        plan.filter = filter;
        plan.having = having;
        plan.distinct = distinct;
        if let Some(order_by) = order_by {
            plan.order_by = self.bind_order_by(order_by, &scope, &plan, agg_ctx.as_mut())?;
        }
        if let Some(exprs) = distinct_on {
            let mut on = Vec::with_capacity(exprs.len());
            let mut written = Vec::with_capacity(exprs.len());
            for e in exprs {
                let expr =
                    self.bind_output_reference(e, "DISTINCT ON", &scope, &plan, agg_ctx.as_mut())?;
                if !on.contains(&expr) {
                    on.push(expr);
                    written.push(e);
                }
            }
            if let Err(offending) = check_distinct_on(&on, &plan.order_by) {
                let err = SqlError::new(
                    sqlstate::INVALID_COLUMN_REFERENCE,
                    "SELECT DISTINCT ON expressions must match initial ORDER BY expressions",
                );
                return Err(match written.get(offending) {
                    Some(e) => self.at(err, sqlparser::ast::Spanned::span(*e)),
                    None => err,
                });
            }
            plan.distinct_on = on;
        }
        let windows = self.take_windows("this context").functions;
        if !windows.is_empty() {
            // Window results follow the rows entering the window step.
            let base = match &agg_ctx {
                Some(ctx) => ctx.keys.len() + ctx.aggregates.len(),
                None => scope.columns.len(),
            };
            let renumber = |i: usize| match i.checked_sub(WINDOW_COLUMN_BASE) {
                Some(window) => base + window,
                None => i,
            };
            plan.projection.iter_mut().for_each(|e| map_columns(e, &renumber));
            plan.order_by.iter_mut().for_each(|k| map_columns(&mut k.expr, &renumber));
            plan.distinct_on.iter_mut().for_each(|e| map_columns(e, &renumber));
            plan.windows = windows;
        }
        plan.grouping = agg_ctx.map(|ctx| Grouping { keys: ctx.keys, aggregates: ctx.aggregates });
        if plan.distinct && plan.order_by.iter().any(|key| !plan.projection.contains(&key.expr)) {
            return Err(SqlError::new(
                sqlstate::INVALID_COLUMN_REFERENCE,
                "for SELECT DISTINCT, ORDER BY expressions must appear in select list",
            ));
        }
        Ok(plan)
    }

    /// GROUP BY items: input columns and expressions, or output columns by position or name
    /// (input column names win over output names, as in PostgreSQL).
    fn bind_group_by(
        &mut self,
        exprs: &[ast::Expr],
        items: &[ast::SelectItem],
        scope: &Scope,
    ) -> Result<Vec<Expr>, SqlError> {
        let item_expr = |item: &ast::SelectItem| match item {
            ast::SelectItem::UnnamedExpr(e) | ast::SelectItem::ExprWithAlias { expr: e, .. } => {
                Some(e.clone())
            }
            _ => None,
        };
        let mut keys: Vec<Expr> = Vec::new();
        for e in exprs {
            let bound = match e {
                ast::Expr::Value(v) if matches!(v.value, ast::Value::Number(..)) => {
                    let n: usize = v.value.to_string().parse().unwrap_or(0);
                    let Some(target) =
                        n.checked_sub(1).and_then(|i| items.get(i)).and_then(item_expr)
                    else {
                        return Err(self.at(
                            SqlError::new(
                                sqlstate::INVALID_COLUMN_REFERENCE,
                                format!("GROUP BY position {n} is not in select list"),
                            ),
                            v.span,
                        ));
                    };
                    self.bind_expr(&target, scope)?.0
                }
                ast::Expr::Identifier(ident)
                    if scope.resolve(None, &ident_name(ident)).ok().flatten().is_none() =>
                {
                    let name = ident_name(ident);
                    let aliased = items.iter().find_map(|item| match item {
                        ast::SelectItem::ExprWithAlias { expr, alias }
                            if ident_name(alias) == name =>
                        {
                            Some(expr.clone())
                        }
                        _ => None,
                    });
                    match aliased {
                        Some(target) => self.bind_expr(&target, scope)?.0,
                        None => self.bind_expr(e, scope)?.0,
                    }
                }
                e => self.bind_expr(e, scope)?.0,
            };
            if !keys.contains(&bound) {
                keys.push(bound);
            }
        }
        Ok(keys)
    }

    fn bind_order_by(
        &mut self,
        order_by: &ast::OrderBy,
        scope: &Scope,
        plan: &SelectPlan,
        mut agg: Option<&mut AggregateContext>,
    ) -> Result<Vec<SortKey>, SqlError> {
        let ast::OrderByKind::Expressions(exprs) = &order_by.kind else {
            return Err(SqlError::unsupported("ORDER BY ALL"));
        };
        let mut keys = Vec::new();
        for item in exprs {
            let descending = matches!(item.options.sort, Some(ast::OrderBySort::Desc));
            if matches!(item.options.sort, Some(ast::OrderBySort::Using(_))) {
                return Err(SqlError::unsupported("ORDER BY ... USING"));
            }
            let nulls_first = item.options.nulls_first.unwrap_or(descending);
            let expr = self.bind_output_reference(
                &item.expr,
                "ORDER BY",
                scope,
                plan,
                agg.as_deref_mut(),
            )?;
            keys.push(SortKey { expr, descending, nulls_first });
        }
        Ok(keys)
    }

    /// An ORDER BY or DISTINCT ON item: an output column by position or name first, as
    /// PostgreSQL does, else an expression over the input.
    fn bind_output_reference(
        &mut self,
        item: &ast::Expr,
        clause: &str,
        scope: &Scope,
        plan: &SelectPlan,
        agg: Option<&mut AggregateContext>,
    ) -> Result<Expr, SqlError> {
        {
            let expr = match item {
                ast::Expr::Value(v) if matches!(v.value, ast::Value::Number(..)) => {
                    let n: usize = v.value.to_string().parse().unwrap_or(0);
                    match n.checked_sub(1).and_then(|i| plan.projection.get(i)) {
                        Some(e) => e.clone(),
                        None => {
                            return Err(self.at(
                                SqlError::new(
                                    sqlstate::INVALID_COLUMN_REFERENCE,
                                    format!("{clause} position {n} is not in select list"),
                                ),
                                v.span,
                            ));
                        }
                    }
                }
                ast::Expr::Identifier(ident)
                    if plan.columns.iter().filter(|c| c.name == ident_name(ident)).count() == 1 =>
                {
                    let name = ident_name(ident);
                    let position = plan.columns.iter().position(|c| c.name == name);
                    match position.and_then(|p| plan.projection.get(p)) {
                        Some(e) => e.clone(),
                        None => self.bind_expr_in(item, scope, agg)?.0,
                    }
                }
                e => self.bind_expr_in(e, scope, agg)?.0,
            };
            Ok(expr)
        }
    }

    /// FROM: nothing, or a list of items (a comma is a cross join), each possibly with joins.
    fn bind_from(&mut self, from: &[ast::TableWithJoins]) -> Result<(Source, Scope), SqlError> {
        let mut result: Option<(Source, Scope)> = None;
        for item in from {
            let (source, scope) = self.bind_table_with_joins(item)?;
            result = Some(match result {
                None => (source, scope),
                Some((left, left_scope)) => {
                    self.bind_join(JoinKind::Inner, (left, left_scope), (source, scope), None)?
                }
            });
        }
        Ok(result.unwrap_or((Source::Single, Scope::default())))
    }

    fn bind_table_with_joins(
        &mut self,
        item: &ast::TableWithJoins,
    ) -> Result<(Source, Scope), SqlError> {
        let mut current = self.bind_table_factor(&item.relation)?;
        for join in &item.joins {
            let right = self.bind_table_factor(&join.relation)?;
            use ast::JoinOperator as J;
            let (kind, constraint) = match &join.join_operator {
                J::Join(c) | J::Inner(c) => (JoinKind::Inner, c),
                J::Left(c) | J::LeftOuter(c) => (JoinKind::Left, c),
                J::Right(c) | J::RightOuter(c) => (JoinKind::Right, c),
                J::FullOuter(c) => (JoinKind::Full, c),
                J::CrossJoin(c) => (JoinKind::Inner, c),
                _ => return Err(SqlError::unsupported("this kind of join")),
            };
            current = self.bind_join(kind, current, right, Some(constraint))?;
        }
        Ok(current)
    }

    /// Joins two bound FROM items.
    fn bind_join(
        &mut self,
        kind: JoinKind,
        (left, left_scope): (Source, Scope),
        (right, right_scope): (Source, Scope),
        constraint: Option<&ast::JoinConstraint>,
    ) -> Result<(Source, Scope), SqlError> {
        for column in &right_scope.columns {
            if let Some(table) = &column.table
                && left_scope.columns.iter().any(|c| c.table.as_ref() == Some(table))
            {
                return Err(SqlError::new(
                    "42712",
                    format!("table name \"{table}\" specified more than once"),
                ));
            }
        }
        let lw = left_scope.columns.len();
        let rw = right_scope.columns.len();
        let mut scope = Scope { columns: left_scope.columns.clone(), star: None };
        scope.columns.extend(right_scope.columns.iter().cloned());
        let mut left_star = star_columns(&left_scope);
        let mut right_star: Vec<usize> =
            star_columns(&right_scope).into_iter().map(|i| i + lw).collect();
        let mut parts: Vec<Expr> = Vec::new();
        let mut using: Vec<String> = Vec::new();
        match constraint {
            None | Some(ast::JoinConstraint::None) => {}
            Some(ast::JoinConstraint::On(e)) => {
                let (condition, ty) = self.bind_expr_expecting(e, &scope, &DataType::Bool)?;
                if !matches!(ty, DataType::Bool | DataType::Unknown) {
                    return Err(SqlError::new(
                        sqlstate::DATATYPE_MISMATCH,
                        format!(
                            "argument of JOIN/ON must be type boolean, not type {}",
                            ty.display_name()
                        ),
                    ));
                }
                parts.extend(conjuncts(&condition).into_iter().cloned());
            }
            Some(ast::JoinConstraint::Using(names)) => {
                for name in names {
                    let name = name
                        .0
                        .last()
                        .and_then(|p| p.as_ident())
                        .map(ident_name)
                        .unwrap_or_default();
                    if using.contains(&name) {
                        return Err(SqlError::new(
                            "42701",
                            format!(
                                "column name \"{name}\" appears more than once in USING clause"
                            ),
                        ));
                    }
                    using.push(name);
                }
            }
            Some(ast::JoinConstraint::Natural) => {
                for &i in &star_columns(&left_scope) {
                    let Some(column) = left_scope.columns.get(i) else { continue };
                    if right_scope.columns.iter().any(|c| !c.hidden && c.name == column.name)
                        && !using.contains(&column.name)
                    {
                        using.push(column.name.clone());
                    }
                }
            }
            Some(_) => return Err(SqlError::unsupported("JOIN ... USING (...) AS alias")),
        }
        let mut merged = Vec::new();
        let mut merged_positions = Vec::new();
        for name in &using {
            let side_error = |side: &str| {
                SqlError::new(
                    sqlstate::UNDEFINED_COLUMN,
                    format!(
                        "column \"{name}\" specified in USING clause does not exist in {side} table"
                    ),
                )
            };
            let li = left_scope.resolve(None, name)?.ok_or_else(|| side_error("left"))?;
            let ri = right_scope.resolve(None, name)?.ok_or_else(|| side_error("right"))?;
            let (lt, rt) = match (left_scope.columns.get(li), right_scope.columns.get(ri)) {
                (Some(l), Some(r)) => (l.ty.clone(), r.ty.clone()),
                _ => return Err(SqlError::internal("USING column out of range")),
            };
            let ty = common_type(&lt, &rt).ok_or_else(|| {
                SqlError::new(
                    sqlstate::DATATYPE_MISMATCH,
                    format!(
                        "JOIN/USING types {} and {} cannot be matched",
                        lt.display_name(),
                        rt.display_name()
                    ),
                )
            })?;
            parts.push(Expr::Binary(
                BinaryOp::Eq,
                Box::new(Expr::Column(li)),
                Box::new(Expr::Column(lw + ri)),
            ));
            for i in [li, lw + ri] {
                if let Some(column) = scope.columns.get_mut(i) {
                    column.hidden = true;
                }
            }
            left_star.retain(|&i| i != li);
            right_star.retain(|&i| i != lw + ri);
            let cast = |e: Expr, from: &DataType| {
                if *from == ty { e } else { Expr::Cast { expr: Box::new(e), to: ty.clone() } }
            };
            merged.push(match kind {
                JoinKind::Inner | JoinKind::Left => cast(Expr::Column(li), &lt),
                JoinKind::Right => cast(Expr::Column(lw + ri), &rt),
                JoinKind::Full => Expr::Call {
                    function: crate::sql::functions::Function::Coalesce,
                    args: vec![cast(Expr::Column(li), &lt), cast(Expr::Column(lw + ri), &rt)],
                },
            });
            merged_positions.push(scope.columns.len());
            scope.columns.push(ScopeColumn {
                table: None,
                name: name.clone(),
                ty,
                table_oid: 0,
                column_number: 0,
                hidden: false,
            });
        }
        let mut star = merged_positions;
        star.extend(left_star);
        star.extend(right_star);
        scope.star = Some(star);
        let types: Vec<DataType> = scope.columns.iter().map(|c| c.ty.clone()).collect();
        let mut join = Join {
            kind,
            left,
            right,
            left_width: lw,
            right_width: rw,
            keys: Vec::new(),
            condition: None,
            merged,
            left_stats: Arc::default(),
            right_stats: Arc::default(),
        };
        for part in parts {
            add_join_condition(&mut join, part, &types);
        }
        Ok((Source::Join(Box::new(join)), scope))
    }

    fn bind_table_factor(
        &mut self,
        factor: &ast::TableFactor,
    ) -> Result<(Source, Scope), SqlError> {
        match factor {
            ast::TableFactor::UNNEST {
                alias,
                array_exprs,
                with_offset: false,
                with_ordinality,
                ..
            } => {
                let exprs: Vec<&ast::Expr> = array_exprs.iter().collect();
                self.bind_unnest(&exprs, alias.as_ref(), *with_ordinality)
            }
            ast::TableFactor::Table { name, alias, args, with_ordinality, .. } => {
                if args.is_none()
                    && let Some(found) = self.bind_cte_reference(name, alias.as_ref())?
                {
                    return Ok(found);
                }
                if args.is_none()
                    && let Some((source, scope)) =
                        self.bind_system_relation(name, alias.as_ref())?
                {
                    return Ok((source, rename_columns(scope, alias.as_ref())?));
                }
                // Set-returning functions may be written pg_catalog.unnest(...).
                let table_name = match (args, name.0.as_slice()) {
                    (Some(_), [schema, function])
                        if schema.as_ident().map(ident_name).as_deref() == Some("pg_catalog") =>
                    {
                        function.as_ident().map(ident_name).unwrap_or_default()
                    }
                    _ => self.relation_key(name)?,
                };
                if let Some(args) = args
                    && table_name == "pg_partition_ancestors"
                {
                    // No table is a partition: a table's only ancestor is itself, so this is
                    // unnest(ARRAY[relation]).
                    let [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(relation))] =
                        args.args.as_slice()
                    else {
                        return Err(SqlError::unsupported("pg_partition_ancestors argument"));
                    };
                    let relation = ast::Expr::Cast {
                        kind: ast::CastKind::DoubleColon,
                        expr: Box::new(relation.clone()),
                        data_type: ast::DataType::Custom(
                            ast::ObjectName(vec![ast::ObjectNamePart::Identifier(
                                ast::Ident::new("oid"),
                            )]),
                            Vec::new(),
                        ),
                        format: None,
                    };
                    let array = ast::Expr::Array(ast::Array { elem: vec![relation], named: true });
                    return self.bind_unnest(&[&array], alias.as_ref(), *with_ordinality);
                }
                if let Some(args) = args
                    && table_name == "unnest"
                {
                    let mut exprs = Vec::with_capacity(args.args.len());
                    for arg in &args.args {
                        let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) = arg else {
                            return Err(SqlError::unsupported("unnest argument"));
                        };
                        exprs.push(e);
                    }
                    return self.bind_unnest(&exprs, alias.as_ref(), *with_ordinality);
                }
                if let Some(args) = args {
                    if table_name != "generate_series" {
                        return Err(SqlError::unsupported(format!("table function {table_name}")));
                    }
                    return self.bind_series(args, alias.as_ref());
                }
                let Some(table) = catalog::get_table(self.txn, &table_name)? else {
                    if let Some(view) = catalog::get_view(self.txn, &table_name)? {
                        return self.bind_view(&view, alias.as_ref());
                    }
                    if let Some(sequence) = catalog::get_sequence(self.txn, &table_name)? {
                        let bare = self.bare_name(&sequence.name)?;
                        return sequence_source(sequence, &bare, alias.as_ref());
                    }
                    let err = SqlError::new(
                        sqlstate::UNDEFINED_TABLE,
                        format!("relation \"{table_name}\" does not exist"),
                    );
                    return Err(match name.0.first().and_then(|p| p.as_ident()) {
                        Some(ident) => self.at(err, ident.span),
                        None => err,
                    });
                };
                self.relations_used.push(table.id);
                let qualifier = match alias {
                    Some(alias) => ident_name(&alias.name),
                    None => self.bare_name(&table.name)?,
                };
                let scope = rename_columns(table_scope(&table, &qualifier), alias.as_ref())?;
                Ok((Source::Table { table: Arc::new(table), access: Access::Full }, scope))
            }
            ast::TableFactor::Derived { lateral, subquery, alias, .. } => {
                if *lateral {
                    return Err(SqlError::unsupported("LATERAL subqueries are not supported yet"));
                }
                let Some(alias) = alias else {
                    return Err(SqlError::syntax("subquery in FROM must have an alias")
                        .with_hint("For example, FROM (SELECT ...) [AS] foo."));
                };
                let plan = self.bind_query(subquery)?;
                let qualifier = ident_name(&alias.name);
                let scope = Scope {
                    columns: plan
                        .columns
                        .iter()
                        .map(|c| ScopeColumn {
                            table: Some(qualifier.clone()),
                            name: c.name.clone(),
                            ty: c.ty.clone(),
                            table_oid: c.table_oid,
                            column_number: c.column_number,
                            hidden: false,
                        })
                        .collect(),
                    star: None,
                };
                let scope = rename_columns(scope, Some(alias))?;
                Ok((Source::Query(Box::new(plan)), scope))
            }
            ast::TableFactor::NestedJoin { table_with_joins, alias } => {
                let (source, mut scope) = self.bind_table_with_joins(table_with_joins)?;
                if let Some(alias) = alias {
                    let qualifier = ident_name(&alias.name);
                    for column in &mut scope.columns {
                        column.table = Some(qualifier.clone());
                    }
                    if !alias.columns.is_empty() {
                        return Err(SqlError::unsupported("column aliases on a join"));
                    }
                }
                Ok((source, scope))
            }
            other => Err(SqlError::unsupported(format!("FROM item {other}"))),
        }
    }

    /// A `pg_catalog` / `information_schema` relation, if `name` is one.
    fn bind_system_relation(
        &mut self,
        name: &ast::ObjectName,
        alias: Option<&ast::TableAlias>,
    ) -> Result<Option<(Source, Scope)>, SqlError> {
        let parts: Vec<String> = name
            .0
            .iter()
            .map(|part| part.as_ident().map(ident_name).unwrap_or_else(|| part.to_string()))
            .collect();
        let (schema, relation) = match parts.as_slice() {
            [relation] => (None, relation.as_str()),
            [schema, relation] => (Some(schema.as_str()), relation.as_str()),
            _ => return Ok(None),
        };
        let Some(system) = crate::sql::system::lookup(self.txn, schema, relation)? else {
            return Ok(None);
        };
        self.materialised = true;
        let qualifier = alias.map(|a| ident_name(&a.name)).unwrap_or_else(|| relation.to_string());
        let scope = Scope {
            columns: system
                .columns
                .iter()
                .map(|(column, ty)| ScopeColumn {
                    table: Some(qualifier.clone()),
                    name: column.clone(),
                    ty: ty.clone(),
                    table_oid: 0,
                    column_number: 0,
                    hidden: false,
                })
                .collect(),
            star: None,
        };
        if relation == "pg_sequences" && matches!(schema, None | Some("pg_catalog")) {
            // last_value is the sequences' state now, read when the statement runs: the
            // rows hold each sequence's OID there for pg_sequence_last_value.
            let columns: Vec<Column> = scope.columns.iter().map(ScopeColumn::to_column).collect();
            let last = columns.len().saturating_sub(1);
            let projection = (0..columns.len())
                .map(|i| {
                    if i == last {
                        Expr::Call {
                            function: crate::sql::functions::Function::SequenceLastValue,
                            args: vec![Expr::Column(i)],
                        }
                    } else {
                        Expr::Column(i)
                    }
                })
                .collect();
            let plan = SelectPlan::new(Source::Rows(system.rows), projection, columns);
            return Ok(Some((Source::Query(Box::new(plan)), scope)));
        }
        Ok(Some((Source::Rows(system.rows), scope)))
    }

    fn bind_series(
        &mut self,
        args: &ast::TableFunctionArgs,
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Source, Scope), SqlError> {
        let empty = Scope::default();
        let mut bound = Vec::new();
        let mut ty = DataType::Int4;
        for arg in &args.args {
            let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) = arg else {
                return Err(SqlError::unsupported("generate_series argument"));
            };
            let (expr, t) = self.bind_expr_expecting(e, &empty, &DataType::Int4)?;
            if t == DataType::Int8 {
                ty = DataType::Int8;
            } else if !matches!(t, DataType::Int2 | DataType::Int4 | DataType::Unknown) {
                return Err(SqlError::unsupported(format!(
                    "generate_series over {}",
                    t.display_name()
                )));
            }
            bound.push(expr);
        }
        let mut args = bound.into_iter();
        let (Some(start), Some(stop)) = (args.next(), args.next()) else {
            return Err(SqlError::new(
                sqlstate::UNDEFINED_FUNCTION,
                "function generate_series needs 2 or 3 arguments",
            ));
        };
        let step = args.next().unwrap_or(Expr::Literal(Value::Int4(1)));
        let name =
            alias.map(|a| ident_name(&a.name)).unwrap_or_else(|| "generate_series".to_string());
        let column_name = alias
            .and_then(|a| a.columns.first())
            .map(|c| ident_name(&c.name))
            .unwrap_or_else(|| name.clone());
        let scope = Scope {
            columns: vec![ScopeColumn {
                table: Some(name),
                name: column_name,
                ty: ty.clone(),
                table_oid: 0,
                column_number: 0,
                hidden: false,
            }],
            star: None,
        };
        let cast = |e: Expr| Expr::Cast { expr: Box::new(e), to: DataType::Int8 };
        Ok((Source::Series { start: cast(start), stop: cast(stop), step: cast(step) }, scope))
    }
}

/// `FROM sequence`: its one row of state.
fn sequence_source(
    sequence: catalog::SequenceDef,
    bare_name: &str,
    alias: Option<&ast::TableAlias>,
) -> Result<(Source, Scope), SqlError> {
    let qualifier = alias.map(|a| ident_name(&a.name)).unwrap_or_else(|| bare_name.to_string());
    let columns = [
        ("last_value", DataType::Int8),
        ("log_cnt", DataType::Int8),
        ("is_called", DataType::Bool),
    ];
    let scope = Scope {
        columns: columns
            .iter()
            .enumerate()
            .map(|(i, (name, ty))| ScopeColumn {
                table: Some(qualifier.clone()),
                name: name.to_string(),
                ty: ty.clone(),
                table_oid: sequence.oid(),
                column_number: i16::try_from(i + 1).unwrap_or(i16::MAX),
                hidden: false,
            })
            .collect(),
        star: None,
    };
    let scope = rename_columns(scope, alias)?;
    Ok((Source::Sequence(Arc::new(sequence)), scope))
}

/// A plan as a subquery source, projected unchanged (so ORDER BY / LIMIT can go on top).
fn wrap(plan: SelectPlan) -> SelectPlan {
    let columns = plan.columns.clone();
    let projection = (0..columns.len()).map(Expr::Column).collect();
    SelectPlan::new(Source::Query(Box::new(plan)), projection, columns)
}

/// Which output columns of a query body are bare string literals or NULL (type `unknown`).
pub(super) fn untyped_columns(body: &ast::SetExpr) -> Vec<bool> {
    let untyped = |e: &ast::Expr| {
        matches!(e, ast::Expr::Value(v) if matches!(
            v.value,
            ast::Value::SingleQuotedString(_) | ast::Value::EscapedStringLiteral(_) | ast::Value::Null
        ))
    };
    match body {
        ast::SetExpr::Select(select) => select
            .projection
            .iter()
            .map(|item| match item {
                ast::SelectItem::UnnamedExpr(e)
                | ast::SelectItem::ExprWithAlias { expr: e, .. } => untyped(e),
                _ => false,
            })
            .collect(),
        ast::SetExpr::Values(values) => match values.rows.first() {
            Some(first) => (0..first.content.len())
                .map(|i| values.rows.iter().all(|r| r.content.get(i).is_some_and(&untyped)))
                .collect(),
            None => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// The type of output column `i` for set-operation type resolution.
pub(super) fn set_column_type(plan: &SelectPlan, i: usize, untyped: &[bool]) -> DataType {
    if untyped.get(i) == Some(&true) {
        return DataType::Unknown;
    }
    plan.columns.get(i).map(|c| c.ty.clone()).unwrap_or(DataType::Unknown)
}

/// Casts output column `i` of `plan` to `ty` unless it already has that type.
pub(super) fn cast_output(plan: &mut SelectPlan, i: usize, ty: &DataType) {
    let same = plan.columns.get(i).is_some_and(|c| c.ty == *ty)
        && !matches!(plan.projection.get(i), Some(Expr::Literal(Value::Text(_))));
    if let Some(column) = plan.columns.get_mut(i) {
        column.ty = ty.clone();
    }
    if same {
        return;
    }
    if let Some(slot) = plan.projection.get_mut(i) {
        let expr = std::mem::replace(slot, Expr::Literal(Value::Null));
        *slot = match expr {
            Expr::Literal(Value::Null) => Expr::Literal(Value::Null),
            other => Expr::Cast { expr: Box::new(other), to: ty.clone() },
        };
    }
}

/// The common type of two branches (UNION, USING, ...), as PostgreSQL resolves it for the
/// common cases; `None` when they cannot be matched.
pub(super) fn common_type(a: &DataType, b: &DataType) -> Option<DataType> {
    use DataType as T;
    if a == b {
        return Some(a.clone());
    }
    let rank = |t: &DataType| match t {
        T::Int2 => Some(0),
        T::Int4 => Some(1),
        T::Int8 => Some(2),
        T::Numeric { .. } => Some(3),
        T::Float4 => Some(4),
        T::Float8 => Some(5),
        _ => None,
    };
    let datetime = |t: &DataType| matches!(t, T::Date | T::Timestamp | T::Timestamptz);
    match (a, b) {
        (T::Unknown, t) | (t, T::Unknown) => Some(t.clone()),
        (T::Numeric { .. }, T::Numeric { .. }) => Some(T::Numeric { precision: None, scale: None }),
        (T::Array(x), T::Array(y)) => Some(T::Array(Box::new(common_type(x, y)?))),
        _ => match (rank(a), rank(b)) {
            (Some(x), Some(y)) => {
                let t = if x >= y { a } else { b };
                Some(match t {
                    T::Numeric { .. } => T::Numeric { precision: None, scale: None },
                    other => other.clone(),
                })
            }
            _ if a.is_string() && b.is_string() => Some(T::Text),
            _ if datetime(a) && datetime(b) => {
                Some(if matches!(a, T::Timestamptz) || matches!(b, T::Timestamptz) {
                    T::Timestamptz
                } else {
                    T::Timestamp
                })
            }
            _ => None,
        },
    }
}

/// What `SELECT *` expands to over `scope`.
fn star_columns(scope: &Scope) -> Vec<usize> {
    match &scope.star {
        Some(star) => star.clone(),
        None => (0..scope.columns.len())
            .filter(|&i| scope.columns.get(i).is_some_and(|c| !c.hidden))
            .collect(),
    }
}

/// Applies a FROM alias's column list (`t AS x(a, b)`) to the first columns of `scope`.
pub(super) fn rename_columns(
    mut scope: Scope,
    alias: Option<&ast::TableAlias>,
) -> Result<Scope, SqlError> {
    let Some(alias) = alias else { return Ok(scope) };
    if alias.columns.len() > scope.columns.len() {
        return Err(SqlError::new(
            sqlstate::INVALID_COLUMN_REFERENCE,
            format!(
                "table \"{}\" has {} columns available but {} columns specified",
                ident_name(&alias.name),
                scope.columns.len(),
                alias.columns.len()
            ),
        ));
    }
    for (column, name) in scope.columns.iter_mut().zip(&alias.columns) {
        column.name = ident_name(&name.name);
    }
    Ok(scope)
}

/// PostgreSQL's rule for DISTINCT ON with ORDER BY: the leading ORDER BY items must be
/// DISTINCT ON expressions, and every DISTINCT ON expression must be among them.
/// Returns the position (in `on`) of the first offending expression.
fn check_distinct_on(on: &[Expr], order_by: &[SortKey]) -> Result<(), usize> {
    if order_by.is_empty() {
        return Ok(());
    }
    let leading = order_by.iter().take_while(|k| on.contains(&k.expr)).count();
    let prefix = order_by.get(..leading).unwrap_or_default();
    if let Some(late) =
        order_by.iter().skip(leading).find_map(|k| on.iter().position(|e| *e == k.expr))
    {
        return Err(late);
    }
    match on.iter().position(|e| !prefix.iter().any(|k| k.expr == *e)) {
        Some(missing) if leading < order_by.len() => Err(missing),
        _ => Ok(()),
    }
}

/// PostgreSQL's error for a column that is neither grouped nor aggregated.
pub fn ungrouped(column: &ScopeColumn) -> SqlError {
    let name = match &column.table {
        Some(table) => format!("{table}.{}", column.name),
        None => column.name.clone(),
    };
    SqlError::new(
        sqlstate::GROUPING_ERROR,
        format!(
            "column \"{name}\" must appear in the GROUP BY clause or be used in an aggregate function"
        ),
    )
}

/// AND of all parts (`None` when there are none).
pub(super) fn and_all(parts: Vec<Expr>) -> Option<Expr> {
    parts.into_iter().reduce(|a, b| Expr::And(Box::new(a), Box::new(b)))
}

/// The columns an expression reads.
pub(super) fn columns_of(expr: &Expr) -> Vec<usize> {
    let mut columns = Vec::new();
    expr.walk(&mut |e| {
        if let Expr::Column(i) = e {
            columns.push(*i);
        }
    });
    columns
}

/// Which input of a join (with left width `lw` and right width `rw`) an expression reads:
/// `Some(true)` only the left, `Some(false)` only the right, `None` both, neither, or the
/// merged columns.
fn join_side(expr: &Expr, lw: usize, rw: usize) -> Option<bool> {
    let columns = columns_of(expr);
    if columns.is_empty() || has_volatile(expr) {
        return None;
    }
    if columns.iter().all(|&c| c < lw) {
        Some(true)
    } else if columns.iter().all(|&c| c >= lw && c < lw + rw) {
        Some(false)
    } else {
        None
    }
}

/// Adds one conjunct of an ON condition to a join: a filter on one input when that is
/// equivalent, an equality key for the hash join when possible, else the residual condition.
fn add_join_condition(join: &mut Join, part: Expr, types: &[DataType]) {
    let (lw, rw) = (join.left_width, join.right_width);
    match join_side(&part, lw, rw) {
        Some(true) if matches!(join.kind, JoinKind::Inner | JoinKind::Right) => {
            push_into(&mut join.left, part, types.get(..lw).unwrap_or_default());
            return;
        }
        Some(false) if matches!(join.kind, JoinKind::Inner | JoinKind::Left) => {
            let shifted = shift_columns(&part, lw);
            push_into(&mut join.right, shifted, types.get(lw..lw + rw).unwrap_or_default());
            return;
        }
        _ => {}
    }
    if let Some(key) = equi_key(&part, lw, rw, types) {
        join.keys.push(key);
        return;
    }
    join.condition = match join.condition.take() {
        Some(existing) => Some(Expr::And(Box::new(existing), Box::new(part))),
        None => Some(part),
    };
}

/// `l = r` with one side over the left input and the other over the right one, of types
/// that hash alike: the (left, right-rebased) key pair.
fn equi_key(part: &Expr, lw: usize, rw: usize, types: &[DataType]) -> Option<(Expr, Expr)> {
    let Expr::Binary(BinaryOp::Eq, a, b) = part else { return None };
    let (l, r) = match (join_side(a, lw, rw)?, join_side(b, lw, rw)?) {
        (true, false) => (a.as_ref(), b.as_ref()),
        (false, true) => (b.as_ref(), a.as_ref()),
        _ => return None,
    };
    let (lt, rt) = (expr_type(l, types)?, expr_type(r, types)?);
    let family = hash_family(&lt)?;
    if hash_family(&rt)? != family {
        return None;
    }
    Some((l.clone(), shift_columns(r, lw)))
}

/// The static type of simple expressions (columns, casts, literals).
fn expr_type(expr: &Expr, types: &[DataType]) -> Option<DataType> {
    match expr {
        Expr::Column(i) => types.get(*i).cloned(),
        Expr::Cast { to, .. } => Some(to.clone()),
        Expr::Literal(value) => value.data_type(),
        _ => None,
    }
}

/// Types whose equal values (by `=`) always get equal hash keys in the executor.
fn hash_family(ty: &DataType) -> Option<u8> {
    use DataType as T;
    Some(match ty {
        T::Int2 | T::Int4 | T::Int8 | T::Numeric { .. } | T::Float4 | T::Float8 | T::Oid => 1,
        T::Text | T::Varchar(_) | T::Name => 2,
        T::Char(_) => 3,
        T::Bool => 4,
        T::Date => 5,
        T::Timestamp => 6,
        T::Timestamptz => 7,
        T::Interval => 8,
        T::Uuid => 9,
        T::Bytea => 10,
        _ => return None,
    })
}

/// Pushes a WHERE conjunct (over `source`'s rows, of column types `types`) as far down a
/// join tree as is equivalent; returns it when it must stay where it is.
pub(super) fn push_where(source: &mut Source, pred: Expr, types: &[DataType]) -> Option<Expr> {
    let Source::Join(join) = source else { return Some(pred) };
    let (lw, rw) = (join.left_width, join.right_width);
    match join_side(&pred, lw, rw) {
        Some(true) if matches!(join.kind, JoinKind::Inner | JoinKind::Left) => {
            push_into(&mut join.left, pred, types.get(..lw).unwrap_or_default());
            None
        }
        Some(false) if matches!(join.kind, JoinKind::Inner | JoinKind::Right) => {
            let shifted = shift_columns(&pred, lw);
            push_into(&mut join.right, shifted, types.get(lw..lw + rw).unwrap_or_default());
            None
        }
        _ if join.kind == JoinKind::Inner
            && !has_volatile(&pred)
            && columns_of(&pred).iter().all(|&c| c < lw + rw)
            && !columns_of(&pred).is_empty() =>
        {
            add_join_condition(join, pred, types);
            None
        }
        _ => Some(pred),
    }
}

/// Filters `source` by `pred` (over its rows), as deep as possible; a table filtered on its
/// whole primary key becomes a point read.
fn push_into(source: &mut Source, pred: Expr, types: &[DataType]) {
    let Some(pred) = push_where(source, pred, types) else { return };
    let input = std::mem::replace(source, Source::Single);
    *source = match input {
        Source::Filter { input, predicate } => {
            let predicate = Expr::And(Box::new(predicate), Box::new(pred));
            let input = match *input {
                Source::Table { table, .. } => {
                    let access = choose_access(&table, &predicate);
                    Source::Table { table, access }
                }
                other => other,
            };
            Source::Filter { input: Box::new(input), predicate }
        }
        Source::Table { table, .. } => {
            let access = choose_access(&table, &pred);
            Source::Filter { input: Box::new(Source::Table { table, access }), predicate: pred }
        }
        other => Source::Filter { input: Box::new(other), predicate: pred },
    };
}

/// `expr` with every column reference moved down by `by` (reads of the right input of a
/// join, rebased to that input's own rows).
fn shift_columns(expr: &Expr, by: usize) -> Expr {
    let mut out = expr.clone();
    map_columns(&mut out, &|i| i.saturating_sub(by));
    out
}

/// Rewrites every column reference in place.
pub(super) fn map_columns(expr: &mut Expr, f: &dyn Fn(usize) -> usize) {
    stacker::maybe_grow(super::expr::STACK_RED_ZONE, super::expr::STACK_GROWTH, || match expr {
        Expr::Column(i) => *i = f(*i),
        Expr::Literal(_) | Expr::Param(_) | Expr::Default | Expr::Outer(_) => {}
        Expr::Binary(_, l, r)
        | Expr::And(l, r)
        | Expr::Or(l, r)
        | Expr::IsDistinctFrom { left: l, right: r, .. }
        | Expr::Quantified { left: l, right: r, .. }
        | Expr::Like { expr: l, pattern: r, .. } => {
            map_columns(l, f);
            map_columns(r, f);
        }
        Expr::Unary(_, e)
        | Expr::Not(e)
        | Expr::IsNull { expr: e, .. }
        | Expr::IsBool { expr: e, .. }
        | Expr::Cast { expr: e, .. } => map_columns(e, f),
        Expr::InList { expr, list, .. } => {
            map_columns(expr, f);
            list.iter_mut().for_each(|e| map_columns(e, f));
        }
        Expr::Case { operand, branches, otherwise } => {
            if let Some(e) = operand {
                map_columns(e, f);
            }
            for (w, t) in branches {
                map_columns(w, f);
                map_columns(t, f);
            }
            if let Some(e) = otherwise {
                map_columns(e, f);
            }
        }
        Expr::Call { args, .. } => args.iter_mut().for_each(|e| map_columns(e, f)),
        Expr::Subquery { operand, .. } => {
            if let Some(e) = operand {
                map_columns(e, f);
            }
        }
    })
}

/// The scope of a table's columns under `qualifier`.
pub fn table_scope(table: &TableDef, qualifier: &str) -> Scope {
    Scope {
        columns: table
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| ScopeColumn {
                table: Some(qualifier.to_string()),
                name: c.name.clone(),
                ty: c.ty.clone(),
                table_oid: table.oid(),
                column_number: i16::try_from(i + 1).unwrap_or(i16::MAX),
                hidden: false,
            })
            .collect(),
        star: None,
    }
}

impl ScopeColumn {
    fn to_column(&self) -> Column {
        Column {
            name: self.name.clone(),
            ty: self.ty.clone(),
            table_oid: self.table_oid,
            column_number: self.column_number,
        }
    }
}

fn output_scope(plan: &SelectPlan) -> Scope {
    Scope {
        columns: plan
            .columns
            .iter()
            .map(|c| ScopeColumn {
                table: None,
                name: c.name.clone(),
                ty: c.ty.clone(),
                table_oid: 0,
                column_number: 0,
                hidden: false,
            })
            .collect(),
        star: None,
    }
}

/// The type a result column reports: untyped literals are text.
fn result_type(ty: DataType) -> DataType {
    if ty == DataType::Unknown { DataType::Text } else { ty }
}

/// PostgreSQL's name for an unaliased output column.
fn output_name(expr: &ast::Expr) -> String {
    match expr {
        ast::Expr::Identifier(ident) => ident_name(ident),
        ast::Expr::CompoundIdentifier(parts) => parts.last().map(ident_name).unwrap_or_default(),
        ast::Expr::Function(f) => f
            .name
            .0
            .last()
            .and_then(|p| p.as_ident())
            .map(ident_name)
            .unwrap_or_else(|| "?column?".into()),
        ast::Expr::Cast { expr, data_type, .. } => match expr.as_ref() {
            ast::Expr::Value(_) => type_output_name(data_type),
            inner => output_name(inner),
        },
        ast::Expr::Nested(inner) => output_name(inner),
        // A scalar subquery is named after its one output column.
        ast::Expr::Subquery(query) => match query.body.as_ref() {
            ast::SetExpr::Select(select) => match select.projection.first() {
                Some(ast::SelectItem::ExprWithAlias { alias, .. }) => ident_name(alias),
                Some(ast::SelectItem::UnnamedExpr(e)) => output_name(e),
                _ => "?column?".into(),
            },
            _ => "?column?".into(),
        },
        ast::Expr::Case { .. } => "case".into(),
        ast::Expr::Interval(_) => "interval".into(),
        ast::Expr::Extract { .. } => "extract".into(),
        ast::Expr::Value(v) if matches!(v.value, ast::Value::Boolean(_)) => "bool".into(),
        ast::Expr::TypedString(t) => type_output_name(&t.data_type),
        ast::Expr::Substring { shorthand: true, .. } => "substr".into(),
        ast::Expr::Substring { .. } => "substring".into(),
        ast::Expr::Trim { .. } => "btrim".into(),
        ast::Expr::Position { .. } => "position".into(),
        ast::Expr::Array(_) => "array".into(),
        ast::Expr::CompoundFieldAccess { root, .. } => output_name(root),
        _ => "?column?".into(),
    }
}

fn type_output_name(data_type: &ast::DataType) -> String {
    // A cast to an array type is named after the element type (`'{1}'::int[]` is `int4`).
    let ty = super::expr::convert_type(data_type).map(|ty| match ty {
        DataType::Array(element) => *element,
        other => other,
    });
    match ty {
        Ok(ty) => match ty {
            DataType::Int2 => "int2".into(),
            DataType::Int4 => "int4".into(),
            DataType::Int8 => "int8".into(),
            DataType::Float4 => "float4".into(),
            DataType::Float8 => "float8".into(),
            DataType::Bool => "bool".into(),
            DataType::Numeric { .. } => "numeric".into(),
            DataType::Varchar(_) => "varchar".into(),
            DataType::Char(_) => "bpchar".into(),
            DataType::Timestamptz => "timestamptz".into(),
            DataType::Timestamp => "timestamp".into(),
            other => other.display_name(),
        },
        Err(_) => "?column?".into(),
    }
}

fn contains_aggregate(item: &ast::SelectItem) -> bool {
    match item {
        ast::SelectItem::UnnamedExpr(e) | ast::SelectItem::ExprWithAlias { expr: e, .. } => {
            expr_has_aggregate(e, 0)
        }
        _ => false,
    }
}

/// Whether an expression calls an aggregate (depth-limited: the binder refuses deeper
/// expressions anyway).
pub fn expr_has_aggregate(expr: &ast::Expr, depth: usize) -> bool {
    if depth > super::MAX_EXPRESSION_DEPTH {
        return false;
    }
    stacker::maybe_grow(super::expr::STACK_RED_ZONE, super::expr::STACK_GROWTH, || {
        expr_has_aggregate_node(expr, depth)
    })
}

fn expr_has_aggregate_node(expr: &ast::Expr, depth: usize) -> bool {
    let deeper = |e: &ast::Expr| expr_has_aggregate(e, depth + 1);
    match expr {
        ast::Expr::Function(f) => {
            let name =
                f.name.0.last().and_then(|p| p.as_ident()).map(ident_name).unwrap_or_default();
            // A windowed aggregate is not an aggregate of the query, but its arguments and
            // window may contain some (`sum(sum(x)) OVER (ORDER BY max(y))`).
            let window_has_aggregate = match &f.over {
                Some(ast::WindowType::WindowSpec(spec)) => {
                    spec.partition_by.iter().any(deeper)
                        || spec.order_by.iter().any(|o| deeper(&o.expr))
                }
                _ => false,
            };
            (f.over.is_none() && super::expr::aggregate_function(&name, false).is_some())
                || window_has_aggregate
                || match &f.args {
                    ast::FunctionArguments::List(list) => list.args.iter().any(|arg| match arg {
                        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => deeper(e),
                        _ => false,
                    }),
                    _ => false,
                }
        }
        ast::Expr::BinaryOp { left, right, .. } => deeper(left) || deeper(right),
        ast::Expr::UnaryOp { expr, .. }
        | ast::Expr::Nested(expr)
        | ast::Expr::Cast { expr, .. }
        | ast::Expr::IsNull(expr)
        | ast::Expr::IsNotNull(expr)
        | ast::Expr::IsTrue(expr)
        | ast::Expr::IsFalse(expr)
        | ast::Expr::IsNotTrue(expr)
        | ast::Expr::IsNotFalse(expr) => deeper(expr),
        ast::Expr::IsDistinctFrom(l, r) | ast::Expr::IsNotDistinctFrom(l, r) => {
            deeper(l) || deeper(r)
        }
        ast::Expr::Between { expr, low, high, .. } => deeper(expr) || deeper(low) || deeper(high),
        ast::Expr::In { expr, target: ast::InTarget::List(list), .. } => {
            deeper(expr) || list.iter().any(deeper)
        }
        ast::Expr::Like { expr, pattern, .. } | ast::Expr::ILike { expr, pattern, .. } => {
            deeper(expr) || deeper(pattern)
        }
        ast::Expr::Case { operand, conditions, else_result, .. } => {
            operand.as_deref().is_some_and(deeper)
                || conditions.iter().any(|c| deeper(&c.condition) || deeper(&c.result))
                || else_result.as_deref().is_some_and(deeper)
        }
        _ => false,
    }
}

/// Splits a condition into its AND-ed parts.
pub fn conjuncts(expr: &Expr) -> Vec<&Expr> {
    let mut parts = Vec::new();
    let mut pending = vec![expr];
    // Iterative: AND chains can be thousands of terms long.
    while let Some(e) = pending.pop() {
        match e {
            Expr::And(l, r) => {
                pending.push(r);
                pending.push(l);
            }
            other => parts.push(other),
        }
    }
    parts
}

/// A point read when WHERE contains `pk_col = <row-independent expr>` for every key column;
/// else an index lookup when it fixes the leading columns of a unique constraint or index
/// (the longest such prefix wins); else a full scan. The filter is still applied on top.
pub fn choose_access(table: &TableDef, filter: &Expr) -> Access {
    let parts = conjuncts(filter);
    let equal_to = |column: usize| {
        parts.iter().find_map(|part| match part {
            Expr::Binary(BinaryOp::Eq, l, r) => match (l.as_ref(), r.as_ref()) {
                (Expr::Column(c), v) | (v, Expr::Column(c))
                    if *c == column && v.is_row_independent() && !has_volatile(v) =>
                {
                    Some(v.clone())
                }
                _ => None,
            },
            _ => None,
        })
    };
    if !table.primary_key.is_empty() {
        let values: Option<Vec<Expr>> = table.primary_key.iter().map(|&c| equal_to(c)).collect();
        if let Some(values) = values {
            return Access::Point(values);
        }
    }
    let candidates = table
        .uniques
        .iter()
        .map(|u| (u.index_no, &u.columns, true))
        .chain(table.indexes.iter().map(|i| (i.index_no, &i.columns, i.unique)));
    let mut best: Option<(u16, Vec<Expr>, bool)> = None;
    for (index_no, columns, unique) in candidates {
        let mut values = Vec::new();
        for &column in columns {
            match equal_to(column) {
                Some(value) => values.push(value),
                None => break,
            }
        }
        let complete = unique && values.len() == columns.len();
        let better = match &best {
            None => !values.is_empty(),
            Some((_, best_values, best_complete)) => {
                (complete && !best_complete)
                    || (complete == *best_complete && values.len() > best_values.len())
            }
        };
        if better {
            best = Some((index_no, values, complete));
        }
    }
    if let Some((index_no, values, _)) = best {
        return Access::Index { index_no, values };
    }
    // `col IN (v1, v2, ...)`: one lookup per value when each of them has a good access path.
    for (i, part) in parts.iter().enumerate() {
        let Expr::InList { expr, list, negated: false } = part else { continue };
        if !matches!(expr.as_ref(), Expr::Column(_))
            || list.is_empty()
            || list.iter().any(|v| !v.is_row_independent() || has_volatile(v))
        {
            continue;
        }
        let others: Vec<Expr> =
            parts.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, p)| (*p).clone()).collect();
        let mut accesses = Vec::with_capacity(list.len());
        for value in list {
            let mut conds = others.clone();
            conds.push(Expr::Binary(BinaryOp::Eq, expr.clone(), Box::new(value.clone())));
            let Some(filter) = and_all(conds) else { break };
            match choose_access(table, &filter) {
                access @ (Access::Point(_) | Access::Index { .. }) => accesses.push(access),
                _ => break,
            }
        }
        if accesses.len() == list.len() {
            return Access::Any(accesses);
        }
    }
    // A range (`<`, `<=`, `>`, `>=`, BETWEEN) on the first column of the key or an index.
    let leading = table
        .primary_key
        .first()
        .map(|&c| (None, c))
        .into_iter()
        .chain(
            table.uniques.iter().filter_map(|u| u.columns.first().map(|&c| (Some(u.index_no), c))),
        )
        .chain(
            table.indexes.iter().filter_map(|i| i.columns.first().map(|&c| (Some(i.index_no), c))),
        );
    for (index_no, column) in leading {
        let mut lower = None;
        let mut upper = None;
        for part in &parts {
            let Expr::Binary(op, l, r) = part else { continue };
            let (op, value) = match (l.as_ref(), r.as_ref()) {
                (Expr::Column(c), v) if *c == column => (*op, v),
                (v, Expr::Column(c)) if *c == column => match op {
                    BinaryOp::Lt => (BinaryOp::Gt, v),
                    BinaryOp::LtEq => (BinaryOp::GtEq, v),
                    BinaryOp::Gt => (BinaryOp::Lt, v),
                    BinaryOp::GtEq => (BinaryOp::LtEq, v),
                    _ => continue,
                },
                _ => continue,
            };
            if !value.is_row_independent() || has_volatile(value) {
                continue;
            }
            match op {
                BinaryOp::Gt => lower = Some((value.clone(), false)),
                BinaryOp::GtEq => lower = Some((value.clone(), true)),
                BinaryOp::Lt => upper = Some((value.clone(), false)),
                BinaryOp::LtEq => upper = Some((value.clone(), true)),
                _ => {}
            }
        }
        if lower.is_some() || upper.is_some() {
            return Access::Range { index_no, column, lower, upper };
        }
    }
    Access::Full
}

pub(super) fn has_volatile(expr: &Expr) -> bool {
    let mut volatile = false;
    expr.walk(&mut |e| {
        if let Expr::Call { function, .. } = e
            && matches!(
                function,
                crate::sql::functions::Function::NextVal | crate::sql::functions::Function::Random
            )
        {
            volatile = true;
        }
    });
    volatile
}
