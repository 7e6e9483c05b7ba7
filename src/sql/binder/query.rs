//! Binding of queries: FROM (one table, VALUES, generate_series or nothing), WHERE, the
//! projection (with `*`), aggregates without GROUP BY, DISTINCT, ORDER BY (by expression,
//! output name or position), LIMIT and OFFSET. Chooses a point read when WHERE pins the whole
//! primary key.

use super::expr::AggregateContext;
use super::{Binder, Scope, ScopeColumn, ident_name, object_name};
use crate::sql::catalog::{self, TableDef};
use crate::sql::error::{SqlError, sqlstate};
use crate::sql::expr::Expr;
use crate::sql::plan::{Access, SelectPlan, SortKey, Source};
use crate::sql::session::Column;
use crate::sql::types::{BinaryOp, DataType, Value};
use sqlparser::ast;
use std::sync::Arc;

impl Binder<'_> {
    /// Binds a full query (SELECT or VALUES with ORDER BY / LIMIT / OFFSET).
    pub fn bind_query(&mut self, query: &ast::Query) -> Result<SelectPlan, SqlError> {
        if query.with.is_some() {
            return Err(SqlError::unsupported("WITH queries are not supported yet"));
        }
        if query.fetch.is_some() || !query.locks.is_empty() {
            return Err(SqlError::unsupported(
                "FETCH FIRST and FOR UPDATE/SHARE are not supported yet",
            ));
        }
        let mut plan = match query.body.as_ref() {
            ast::SetExpr::Select(select) => self.bind_select(select, query.order_by.as_ref())?,
            ast::SetExpr::Values(values) => {
                let mut plan = self.bind_values(values, None)?;
                if let Some(order_by) = &query.order_by {
                    plan.order_by =
                        self.bind_order_by(order_by, &output_scope(&plan), &plan, None)?;
                }
                plan
            }
            ast::SetExpr::Query(inner) => {
                if query.order_by.is_some() || query.limit_clause.is_some() {
                    return Err(SqlError::unsupported("nested query with ORDER BY/LIMIT"));
                }
                return self.bind_query(inner);
            }
            _ => {
                return Err(SqlError::unsupported(
                    "UNION, INTERSECT and EXCEPT are not supported yet",
                ));
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
        Ok(plan)
    }

    /// VALUES rows; `expected` gives target types (INSERT) to type parameters and literals.
    /// The one empty row of `INSERT ... DEFAULT VALUES`.
    pub fn default_values_row(&self) -> SelectPlan {
        SelectPlan {
            source: Source::Values(vec![Vec::new()]),
            filter: None,
            aggregates: None,
            having: None,
            projection: Vec::new(),
            columns: Vec::new(),
            distinct: false,
            order_by: Vec::new(),
            limit: None,
            offset: None,
        }
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
        Ok(SelectPlan {
            source: Source::Values(rows),
            filter: None,
            aggregates: None,
            having: None,
            projection,
            columns,
            distinct: false,
            order_by: Vec::new(),
            limit: None,
            offset: None,
        })
    }

    fn bind_select(
        &mut self,
        select: &ast::Select,
        order_by: Option<&ast::OrderBy>,
    ) -> Result<SelectPlan, SqlError> {
        if !matches!(&select.group_by, ast::GroupByExpr::Expressions(e, _) if e.is_empty()) {
            return Err(SqlError::unsupported("GROUP BY is not supported yet"));
        }
        let (source, scope, table) = self.bind_from(&select.from)?;
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
        let aggregating =
            select.having.is_some() || select.projection.iter().any(contains_aggregate);
        let mut agg_ctx =
            aggregating.then(|| AggregateContext { aggregates: Vec::new(), input: scope.clone() });
        let mut projection = Vec::new();
        let mut columns = Vec::new();
        for item in &select.projection {
            match item {
                ast::SelectItem::Wildcard(_) | ast::SelectItem::QualifiedWildcard(..) => {
                    if aggregating {
                        return Err(SqlError::new(
                            sqlstate::GROUPING_ERROR,
                            "column must appear in the GROUP BY clause or be used in an aggregate function",
                        ));
                    }
                    let qualifier = match item {
                        ast::SelectItem::QualifiedWildcard(
                            ast::SelectItemQualifiedWildcardKind::ObjectName(name),
                            _,
                        ) => Some(object_name(name)?),
                        _ => None,
                    };
                    if scope.columns.is_empty() && qualifier.is_none() {
                        return Err(SqlError::syntax(
                            "SELECT * with no tables specified is not valid",
                        ));
                    }
                    for (i, column) in scope.columns.iter().enumerate() {
                        if qualifier.is_none() || column.table == qualifier {
                            projection.push(Expr::Column(i));
                            columns.push(column.to_column());
                        }
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
        let having = match &select.having {
            Some(h) => Some(self.bind_expr_in(h, &scope, agg_ctx.as_mut())?.0),
            None => None,
        };
        let distinct = match &select.distinct {
            None => false,
            Some(ast::Distinct::Distinct) => true,
            Some(_) => return Err(SqlError::unsupported("DISTINCT ON is not supported yet")),
        };
        let access = match (&table, &filter) {
            (Some(table), Some(filter)) => choose_access(table, filter),
            _ => Access::Full,
        };
        let source = match source {
            Source::Table { table, .. } => Source::Table { table, access },
            other => other,
        };
        let mut plan = SelectPlan {
            source,
            filter,
            aggregates: None,
            having,
            projection,
            columns,
            distinct,
            order_by: Vec::new(),
            limit: None,
            offset: None,
        };
        if let Some(order_by) = order_by {
            plan.order_by = self.bind_order_by(order_by, &scope, &plan, agg_ctx.as_mut())?;
        }
        plan.aggregates = agg_ctx.map(|ctx| ctx.aggregates);
        if plan.distinct && plan.order_by.iter().any(|key| !plan.projection.contains(&key.expr)) {
            return Err(SqlError::new(
                sqlstate::INVALID_COLUMN_REFERENCE,
                "for SELECT DISTINCT, ORDER BY expressions must appear in select list",
            ));
        }
        Ok(plan)
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
            // Output column by position or name first, as PostgreSQL does.
            let expr = match &item.expr {
                ast::Expr::Value(v) if matches!(v.value, ast::Value::Number(..)) => {
                    let n: usize = v.value.to_string().parse().unwrap_or(0);
                    match n.checked_sub(1).and_then(|i| plan.projection.get(i)) {
                        Some(e) => e.clone(),
                        None => {
                            return Err(self.at(
                                SqlError::new(
                                    sqlstate::INVALID_COLUMN_REFERENCE,
                                    format!("ORDER BY position {n} is not in select list"),
                                ),
                                v.span,
                            ));
                        }
                    }
                }
                ast::Expr::Identifier(ident)
                    if plan.columns.iter().filter(|c| c.name == ident_name(ident)).count() == 1
                        && scope
                            .resolve(None, &ident_name(ident))
                            .ok()
                            .flatten()
                            .is_none_or(|_| true) =>
                {
                    let name = ident_name(ident);
                    let position = plan.columns.iter().position(|c| c.name == name);
                    match position.and_then(|p| plan.projection.get(p)) {
                        Some(e) => e.clone(),
                        None => self.bind_expr_in(&item.expr, scope, agg.as_deref_mut())?.0,
                    }
                }
                e => self.bind_expr_in(e, scope, agg.as_deref_mut())?.0,
            };
            keys.push(SortKey { expr, descending, nulls_first });
        }
        Ok(keys)
    }

    /// FROM: nothing, one table, VALUES or generate_series. Joins come later.
    fn bind_from(
        &mut self,
        from: &[ast::TableWithJoins],
    ) -> Result<(Source, Scope, Option<Arc<TableDef>>), SqlError> {
        match from {
            [] => Ok((Source::Single, Scope::default(), None)),
            [single] if single.joins.is_empty() => self.bind_table_factor(&single.relation),
            _ => Err(SqlError::unsupported("joins are not supported yet")),
        }
    }

    fn bind_table_factor(
        &mut self,
        factor: &ast::TableFactor,
    ) -> Result<(Source, Scope, Option<Arc<TableDef>>), SqlError> {
        match factor {
            ast::TableFactor::Table { name, alias, args, .. } => {
                let table_name = object_name(name)?;
                if let Some(args) = args {
                    if table_name != "generate_series" {
                        return Err(SqlError::unsupported(format!("table function {table_name}")));
                    }
                    return self.bind_series(args, alias.as_ref());
                }
                let table = catalog::get_table(self.txn, &table_name)?.ok_or_else(|| {
                    let err = SqlError::new(
                        sqlstate::UNDEFINED_TABLE,
                        format!("relation \"{table_name}\" does not exist"),
                    );
                    match name.0.first().and_then(|p| p.as_ident()) {
                        Some(ident) => self.at(err, ident.span),
                        None => err,
                    }
                })?;
                let qualifier = alias
                    .as_ref()
                    .map(|a| ident_name(&a.name))
                    .unwrap_or_else(|| table.name.clone());
                let scope = table_scope(&table, &qualifier);
                let table = Arc::new(table);
                Ok((
                    Source::Table { table: table.clone(), access: Access::Full },
                    scope,
                    Some(table),
                ))
            }
            ast::TableFactor::Derived { .. } => {
                Err(SqlError::unsupported("subqueries in FROM are not supported yet"))
            }
            other => Err(SqlError::unsupported(format!("FROM item {other}"))),
        }
    }

    fn bind_series(
        &mut self,
        args: &ast::TableFunctionArgs,
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Source, Scope, Option<Arc<TableDef>>), SqlError> {
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
            }],
        };
        let cast = |e: Expr| Expr::Cast { expr: Box::new(e), to: DataType::Int8 };
        Ok((Source::Series { start: cast(start), stop: cast(stop), step: cast(step) }, scope, None))
    }
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
            })
            .collect(),
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
            })
            .collect(),
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
        ast::Expr::Case { .. } => "case".into(),
        ast::Expr::Interval(_) => "interval".into(),
        ast::Expr::Extract { .. } => "extract".into(),
        ast::Expr::Value(v) if matches!(v.value, ast::Value::Boolean(_)) => "bool".into(),
        ast::Expr::TypedString(t) => type_output_name(&t.data_type),
        ast::Expr::Substring { shorthand: true, .. } => "substr".into(),
        ast::Expr::Substring { .. } => "substring".into(),
        ast::Expr::Trim { .. } => "btrim".into(),
        ast::Expr::Position { .. } => "position".into(),
        _ => "?column?".into(),
    }
}

fn type_output_name(data_type: &ast::DataType) -> String {
    match super::expr::convert_type(data_type) {
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
fn expr_has_aggregate(expr: &ast::Expr, depth: usize) -> bool {
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
            matches!(name.as_str(), "count" | "sum" | "avg" | "min" | "max")
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
        | ast::Expr::IsNotNull(expr) => deeper(expr),
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

/// A point read when WHERE contains `pk_col = <row-independent expr>` for every key column.
pub fn choose_access(table: &TableDef, filter: &Expr) -> Access {
    if table.primary_key.is_empty() {
        return Access::Full;
    }
    let parts = conjuncts(filter);
    let mut values = Vec::with_capacity(table.primary_key.len());
    for &key_column in &table.primary_key {
        let found = parts.iter().find_map(|part| match part {
            Expr::Binary(BinaryOp::Eq, l, r) => match (l.as_ref(), r.as_ref()) {
                (Expr::Column(c), v) | (v, Expr::Column(c))
                    if *c == key_column && v.is_row_independent() && !has_volatile(v) =>
                {
                    Some(v.clone())
                }
                _ => None,
            },
            _ => None,
        });
        match found {
            Some(value) => values.push(value),
            None => return Access::Full,
        }
    }
    Access::Point(values)
}

fn has_volatile(expr: &Expr) -> bool {
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
