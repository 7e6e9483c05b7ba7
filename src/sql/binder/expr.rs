//! Binding of expressions: names → column positions, literals → values, operators and
//! functions → typed [`Expr`] nodes, with parameter types inferred from their context.

use super::{Binder, Scope, ident_name};
use crate::sql::error::{SqlError, sqlstate};
use crate::sql::expr::{Expr, Subquery, SubqueryKind};
use crate::sql::functions;
use crate::sql::plan::{Aggregate, AggregateFunction};
use crate::sql::types::{BinaryOp, DataType, UnaryOp, Value, binary_op_type};
use sqlparser::ast;
use sqlparser::tokenizer::Span;

/// Free stack below which recursive binding and evaluation switch to a fresh segment.
pub const STACK_RED_ZONE: usize = 256 * 1024;
/// Size of each extra stack segment.
pub const STACK_GROWTH: usize = 4 * 1024 * 1024;

/// Aggregate collection while binding the projection, HAVING and ORDER BY of a grouped
/// SELECT: group keys and aggregate calls become columns of the group row (keys first, then
/// aggregates); other column references are an error (42803).
pub struct AggregateContext {
    /// GROUP BY expressions, bound over the input rows.
    pub keys: Vec<Expr>,
    pub aggregates: Vec<Aggregate>,
    /// The scope the aggregates' arguments are bound in.
    pub input: Scope,
}

impl Binder<'_> {
    /// Binds `expr` in `scope`.
    pub fn bind_expr(
        &mut self,
        expr: &ast::Expr,
        scope: &Scope,
    ) -> Result<(Expr, DataType), SqlError> {
        self.bind_expr_in(expr, scope, None)
    }

    /// Binds `expr`, expecting type `expected` (used to type a bare `$n` or an untyped
    /// literal).
    pub fn bind_expr_expecting(
        &mut self,
        expr: &ast::Expr,
        scope: &Scope,
        expected: &DataType,
    ) -> Result<(Expr, DataType), SqlError> {
        let (bound, ty) = self.bind_expr(expr, scope)?;
        if let Expr::Param(index) = bound {
            self.infer_param(index, expected);
            let ty = self.param_type(index);
            return Ok((Expr::Param(index), ty));
        }
        Ok((bound, ty))
    }

    fn param_type(&self, index: usize) -> DataType {
        self.params.get(index).cloned().flatten().unwrap_or(DataType::Unknown)
    }

    /// Binds with an optional aggregate context (projection / HAVING / ORDER BY of an
    /// aggregating SELECT).
    pub fn bind_expr_in(
        &mut self,
        expr: &ast::Expr,
        scope: &Scope,
        agg: Option<&mut AggregateContext>,
    ) -> Result<(Expr, DataType), SqlError> {
        if self.depth >= super::MAX_EXPRESSION_DEPTH {
            return Err(SqlError::new("54001", "stack depth limit exceeded")
                .with_hint("The expression is nested too deeply; simplify it."));
        }
        self.depth += 1;
        // Deep (but allowed) nesting must not exhaust the thread's stack: grow it on demand.
        let result = stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || {
            self.bind_expr_nested(expr, scope, agg)
        });
        self.depth -= 1;
        result
    }

    fn bind_expr_nested(
        &mut self,
        expr: &ast::Expr,
        scope: &Scope,
        mut agg: Option<&mut AggregateContext>,
    ) -> Result<(Expr, DataType), SqlError> {
        use ast::Expr as A;
        macro_rules! sub {
            ($e:expr) => {
                self.bind_expr_in($e, scope, agg.as_deref_mut())?
            };
        }
        // A GROUP BY expression (not just a column) used as a whole reads the group key.
        if let Some(ctx) = agg.as_deref()
            && !ctx.keys.is_empty()
            && !matches!(
                expr,
                A::Identifier(_) | A::CompoundIdentifier(_) | A::Value(_) | A::Nested(_)
            )
            && ctx.keys.iter().any(|k| !matches!(k, Expr::Column(_)))
            && !super::query::expr_has_aggregate(expr, 0)
        {
            let input = ctx.input.clone();
            // A probe only: window calls must not be collected by it.
            let windows = self.set_windows(super::window::WindowState::Forbidden("probe"));
            let probe = self.bind_expr_in(expr, &input, None);
            self.windows = windows;
            if let Ok((bound, ty)) = probe
                && let Some(position) = ctx.keys.iter().position(|k| *k == bound)
            {
                return Ok((Expr::Column(position), ty));
            }
        }
        Ok(match expr {
            A::Identifier(ident) => self.bind_column(None, ident, scope, agg.as_deref())?,
            A::CompoundIdentifier(parts) => match parts.as_slice() {
                [table, column] => {
                    self.bind_column(Some(&ident_name(table)), column, scope, agg.as_deref())?
                }
                [_, table, column] => {
                    self.bind_column(Some(&ident_name(table)), column, scope, agg.as_deref())?
                }
                _ => return Err(SqlError::unsupported(format!("column reference {expr}"))),
            },
            A::Value(value) => self.bind_value(&value.value, value.span)?,
            A::Nested(inner) => sub!(inner),
            // Collations: we compare text bytewise (the C collation) whatever is asked.
            A::Collate { expr: inner, .. } => sub!(inner),
            A::TypedString(typed) => {
                let ty = convert_type(&typed.data_type)?;
                let text = match &typed.value.value {
                    ast::Value::SingleQuotedString(s) | ast::Value::EscapedStringLiteral(s) => {
                        s.clone()
                    }
                    other => other.to_string(),
                };
                (Expr::Literal(Value::parse_text(&ty, &text)?), ty)
            }
            A::Cast { expr: inner, data_type, .. } => {
                // 'name'::regclass resolves a table name to its OID now, as PostgreSQL does.
                if data_type.to_string().to_lowercase().trim_start_matches("pg_catalog.")
                    == "regclass"
                    && let A::Value(v) = inner.as_ref()
                    && let ast::Value::SingleQuotedString(name) = &v.value
                {
                    if let Ok(oid) = name.trim().parse::<u32>() {
                        return Ok((Expr::Literal(Value::Oid(oid)), DataType::Oid));
                    }
                    let path = self.search_path.clone();
                    let oid = crate::sql::system::describe::relation_oid(self.txn, name, &path)
                        .map_err(|e| self.at(e, v.span))?;
                    return Ok((Expr::Literal(Value::Oid(oid)), DataType::Oid));
                }
                let to = convert_type(data_type)?;
                // `column::regclass` prints the relation's name (psql's `\d` footers); OIDs
                // are otherwise plain numbers here, so only a column reference turns into
                // a name.
                if data_type.to_string().to_lowercase().trim_start_matches("pg_catalog.")
                    == "regclass"
                    && matches!(inner.as_ref(), A::Identifier(_) | A::CompoundIdentifier(_))
                {
                    let (bound, _) = self.bind_expr_in(inner, scope, agg.as_deref_mut())?;
                    return Ok((
                        Expr::Call {
                            function: functions::Function::RegclassName,
                            args: vec![bound],
                        },
                        DataType::Text,
                    ));
                }
                let (bound, _) = self.bind_expr_in(inner, scope, agg.as_deref_mut())?;
                if let Expr::Param(index) = bound {
                    self.infer_param(index, &to);
                }
                // Fold casts of literals now so errors surface at bind time, like PostgreSQL.
                if let Expr::Literal(value) = &bound {
                    use sqlparser::ast::Spanned;
                    let value = value.cast(&to, true).map_err(|e| self.at(e, inner.span()))?;
                    return Ok((Expr::Literal(value), to));
                }
                (Expr::Cast { expr: Box::new(bound), to: to.clone() }, to)
            }
            A::BinaryOp { left, op, right } => self.bind_binary(left, op, right, scope, agg)?,
            A::UnaryOp { op, expr: inner } => {
                let (bound, ty) = sub!(inner);
                match op {
                    ast::UnaryOperator::Not => (Expr::Not(Box::new(bound)), DataType::Bool),
                    ast::UnaryOperator::Minus => {
                        if let Expr::Literal(value) = &bound {
                            let negated = crate::sql::types::unary_op(UnaryOp::Neg, value)?;
                            return Ok((Expr::Literal(negated), ty));
                        }
                        (Expr::Unary(UnaryOp::Neg, Box::new(bound)), ty)
                    }
                    ast::UnaryOperator::Plus => (Expr::Unary(UnaryOp::Plus, Box::new(bound)), ty),
                    other => return Err(SqlError::unsupported(format!("operator {other}"))),
                }
            }
            A::IsNull(inner) => {
                (Expr::IsNull { expr: Box::new(sub!(inner).0), negated: false }, DataType::Bool)
            }
            A::IsNotNull(inner) => {
                (Expr::IsNull { expr: Box::new(sub!(inner).0), negated: true }, DataType::Bool)
            }
            A::IsTrue(inner) => (
                Expr::IsBool { expr: Box::new(sub!(inner).0), value: true, negated: false },
                DataType::Bool,
            ),
            A::IsNotTrue(inner) => (
                Expr::IsBool { expr: Box::new(sub!(inner).0), value: true, negated: true },
                DataType::Bool,
            ),
            A::IsFalse(inner) => (
                Expr::IsBool { expr: Box::new(sub!(inner).0), value: false, negated: false },
                DataType::Bool,
            ),
            A::IsNotFalse(inner) => (
                Expr::IsBool { expr: Box::new(sub!(inner).0), value: false, negated: true },
                DataType::Bool,
            ),
            A::IsUnknown(inner) => {
                (Expr::IsNull { expr: Box::new(sub!(inner).0), negated: false }, DataType::Bool)
            }
            A::IsNotUnknown(inner) => {
                (Expr::IsNull { expr: Box::new(sub!(inner).0), negated: true }, DataType::Bool)
            }
            A::IsDistinctFrom(l, r) | A::IsNotDistinctFrom(l, r) => {
                let (left, lt) = sub!(l);
                let (right, rt) = sub!(r);
                self.infer_pair(&left, &lt, &right, &rt);
                let negated = matches!(expr, A::IsNotDistinctFrom(..));
                (
                    Expr::IsDistinctFrom { left: Box::new(left), right: Box::new(right), negated },
                    DataType::Bool,
                )
            }
            A::In { expr: inner, target, negated, .. } => {
                let list = match target {
                    ast::InTarget::List(list) => list,
                    ast::InTarget::Subquery(query) => {
                        let (operand, operand_ty) = sub!(inner);
                        let (subquery, ty) = self.bind_subquery(query, scope)?;
                        self.infer_pair(&operand, &operand_ty, &Expr::Literal(Value::Null), &ty);
                        let kind = SubqueryKind::In { negated: *negated };
                        return Ok((
                            Expr::Subquery { kind, subquery, operand: Some(Box::new(operand)) },
                            DataType::Bool,
                        ));
                    }
                    _ => return Err(SqlError::unsupported("this form of IN is not supported yet")),
                };
                let (bound, ty) = sub!(inner);
                let mut items = Vec::with_capacity(list.len());
                for item in list {
                    let (item, item_ty) = self.bind_expr_in(item, scope, agg.as_deref_mut())?;
                    self.infer_pair(&bound, &ty, &item, &item_ty);
                    items.push(item);
                }
                (
                    Expr::InList { expr: Box::new(bound), list: items, negated: *negated },
                    DataType::Bool,
                )
            }
            A::Between { expr: inner, negated, low, high } => {
                let (value, vt) = sub!(inner);
                let (low, lt) = sub!(low);
                let (high, ht) = sub!(high);
                self.infer_pair(&value, &vt, &low, &lt);
                self.infer_pair(&value, &vt, &high, &ht);
                let ge = Expr::Binary(BinaryOp::GtEq, Box::new(value.clone()), Box::new(low));
                let le = Expr::Binary(BinaryOp::LtEq, Box::new(value), Box::new(high));
                let between = Expr::And(Box::new(ge), Box::new(le));
                let bound = if *negated { Expr::Not(Box::new(between)) } else { between };
                (bound, DataType::Bool)
            }
            A::Like { negated, expr: inner, pattern, escape_char, any: false }
            | A::ILike { negated, expr: inner, pattern, escape_char, any: false } => {
                if escape_char.is_some() {
                    return Err(SqlError::unsupported("LIKE ... ESCAPE"));
                }
                let (value, vt) = sub!(inner);
                let (pattern, pt) = sub!(pattern);
                self.infer_pair(&value, &vt, &pattern, &pt);
                if let Expr::Param(i) = &value {
                    self.infer_param(*i, &DataType::Text);
                }
                if let Expr::Param(i) = &pattern {
                    self.infer_param(*i, &DataType::Text);
                }
                let case_insensitive = matches!(expr, A::ILike { .. });
                (
                    Expr::Like {
                        expr: Box::new(value),
                        pattern: Box::new(pattern),
                        negated: *negated,
                        case_insensitive,
                    },
                    DataType::Bool,
                )
            }
            A::Case { operand, conditions, else_result, .. } => {
                let operand = match operand {
                    Some(op) => Some(Box::new(sub!(op).0)),
                    None => None,
                };
                let mut branches = Vec::new();
                let mut result_ty = DataType::Unknown;
                for when in conditions {
                    let (condition, _) = sub!(&when.condition);
                    let (result, ty) = sub!(&when.result);
                    if result_ty == DataType::Unknown {
                        result_ty = ty;
                    }
                    branches.push((condition, result));
                }
                let otherwise = match else_result {
                    Some(e) => {
                        let (bound, ty) = sub!(e);
                        if result_ty == DataType::Unknown {
                            result_ty = ty;
                        }
                        Some(Box::new(bound))
                    }
                    None => None,
                };
                let result_ty =
                    if result_ty == DataType::Unknown { DataType::Text } else { result_ty };
                let cast = |e: Expr| match &e {
                    Expr::Literal(Value::Null) => e,
                    _ => Expr::Cast { expr: Box::new(e), to: result_ty.clone() },
                };
                let branches = branches.into_iter().map(|(w, t)| (w, cast(t))).collect();
                let otherwise = otherwise.map(|e| Box::new(cast(*e)));
                (Expr::Case { operand, branches, otherwise }, result_ty)
            }
            A::Function(function) => self.bind_function(function, scope, agg)?,
            A::Extract { field, expr: inner, .. } => {
                let (source, source_ty) = sub!(inner);
                let (function, ty) = functions::resolve("extract", &[DataType::Text, source_ty])?;
                let unit = Expr::Literal(Value::Text(field.to_string().to_lowercase()));
                (Expr::Call { function, args: vec![unit, source] }, ty)
            }
            A::Subquery(query) => {
                let (subquery, ty) = self.bind_subquery(query, scope)?;
                (Expr::Subquery { kind: SubqueryKind::Scalar, subquery, operand: None }, ty)
            }
            A::Exists { subquery: query, negated } => {
                let (subquery, _) = self.bind_subquery(query, scope)?;
                let exists = Expr::Subquery { kind: SubqueryKind::Exists, subquery, operand: None };
                (if *negated { Expr::Not(Box::new(exists)) } else { exists }, DataType::Bool)
            }
            A::Interval(interval) => {
                let text = match interval.value.as_ref() {
                    A::Value(v) => match &v.value {
                        ast::Value::SingleQuotedString(s) => s.clone(),
                        other => other.to_string(),
                    },
                    other => return Err(SqlError::unsupported(format!("INTERVAL {other}"))),
                };
                let text = match (&interval.leading_field, &interval.last_field) {
                    (Some(field), None) => format!("{text} {field}"),
                    _ => text,
                };
                (Expr::Literal(Value::parse_text(&DataType::Interval, &text)?), DataType::Interval)
            }
            A::Substring { expr: inner, substring_from, substring_for, .. } => {
                let mut args = vec![sub!(inner).0];
                args.push(match substring_from {
                    Some(e) => sub!(e).0,
                    None => Expr::Literal(Value::Int4(1)),
                });
                if let Some(e) = substring_for {
                    args.push(sub!(e).0);
                }
                (Expr::Call { function: functions::Function::Substr, args }, DataType::Text)
            }
            A::Trim { expr: inner, trim_where, trim_what, .. } => {
                let mut args = vec![sub!(inner).0];
                if let Some(what) = trim_what {
                    args.push(sub!(what).0);
                }
                let function = match trim_where {
                    Some(ast::TrimWhereField::Leading) => functions::Function::Ltrim,
                    Some(ast::TrimWhereField::Trailing) => functions::Function::Rtrim,
                    _ => functions::Function::Trim,
                };
                (Expr::Call { function, args }, DataType::Text)
            }
            A::Ceil { expr: inner, .. } | A::Floor { expr: inner, .. } => {
                let (arg, ty) = sub!(inner);
                let function = if matches!(expr, A::Ceil { .. }) {
                    functions::Function::Ceil
                } else {
                    functions::Function::Floor
                };
                (Expr::Call { function, args: vec![arg] }, ty)
            }
            A::Array(array) => self.bind_array_constructor(array, scope, agg)?,
            A::AnyOp { left, compare_op, right, .. } => {
                self.bind_quantified(left, compare_op, right, false, scope, agg)?
            }
            A::AllOp { left, compare_op, right } => {
                self.bind_quantified(left, compare_op, right, true, scope, agg)?
            }
            A::CompoundFieldAccess { root, access_chain } => {
                self.bind_subscripts(root, access_chain, scope, agg)?
            }
            A::Position { expr: needle, r#in } => {
                let args = vec![sub!(r#in).0, sub!(needle).0];
                (Expr::Call { function: functions::Function::Strpos, args }, DataType::Int4)
            }
            other => {
                return Err(SqlError::unsupported(format!(
                    "expression not supported yet: {other}"
                )));
            }
        })
    }

    fn bind_column(
        &mut self,
        qualifier: Option<&str>,
        ident: &ast::Ident,
        scope: &Scope,
        agg: Option<&AggregateContext>,
    ) -> Result<(Expr, DataType), SqlError> {
        let name = ident_name(ident);
        match scope.resolve(qualifier, &name).map_err(|e| self.at(e, ident.span))? {
            Some(index) => {
                let ty =
                    scope.columns.get(index).map(|c| c.ty.clone()).unwrap_or(DataType::Unknown);
                if let Some(ctx) = agg {
                    return match ctx.keys.iter().position(|k| *k == Expr::Column(index)) {
                        Some(key) => Ok((Expr::Column(key), ty)),
                        None => {
                            let err = match scope.columns.get(index) {
                                Some(column) => super::query::ungrouped(column),
                                None => SqlError::internal("column out of range"),
                            };
                            Err(self.at(err, ident.span))
                        }
                    };
                }
                Ok((Expr::Column(index), ty))
            }
            None => {
                // A column of the enclosing query (correlated subquery).
                if let Some(outer) = self.outer.last_mut()
                    && let Ok(Some(index)) = outer.scope.resolve(qualifier, &name)
                {
                    outer.used = true;
                    let ty = outer
                        .scope
                        .columns
                        .get(index)
                        .map(|c| c.ty.clone())
                        .unwrap_or(DataType::Unknown);
                    return Ok((Expr::Outer(index), ty));
                }
                // Keywords that parse as identifiers.
                if qualifier.is_none() && ident.quote_style.is_none() {
                    let special = match name.as_str() {
                        "current_user" | "session_user" | "user" | "current_role" => {
                            Some(functions::Function::CurrentUser)
                        }
                        "current_timestamp" | "localtimestamp" => Some(functions::Function::Now),
                        "current_date" => Some(functions::Function::CurrentDate),
                        "current_schema" => Some(functions::Function::CurrentSchema),
                        "current_catalog" => Some(functions::Function::CurrentDatabase),
                        _ => None,
                    };
                    if let Some(function) = special {
                        let (_, ty) = functions::resolve(&name, &[])?;
                        return Ok((Expr::Call { function, args: Vec::new() }, ty));
                    }
                }
                let full = match qualifier {
                    Some(q) => format!("{q}.{name}"),
                    None => name.clone(),
                };
                let mut err = SqlError::new(
                    sqlstate::UNDEFINED_COLUMN,
                    format!("column \"{full}\" does not exist"),
                );
                if let Some(q) = qualifier
                    && !scope.columns.iter().any(|c| c.table.as_deref() == Some(q))
                {
                    err = SqlError::new(
                        sqlstate::UNDEFINED_TABLE,
                        format!("missing FROM-clause entry for table \"{q}\""),
                    );
                }
                Err(self.at(err, ident.span))
            }
        }
    }

    fn bind_value(&mut self, value: &ast::Value, span: Span) -> Result<(Expr, DataType), SqlError> {
        use ast::Value as V;
        Ok(match value {
            V::Number(text, _) => number_literal(text)?,
            V::SingleQuotedString(s)
            | V::EscapedStringLiteral(s)
            | V::UnicodeStringLiteral(s)
            | V::NationalStringLiteral(s)
            | V::TripleSingleQuotedString(s) => {
                (Expr::Literal(Value::Text(s.clone())), DataType::Unknown)
            }
            V::DollarQuotedString(s) => {
                (Expr::Literal(Value::Text(s.value.clone())), DataType::Unknown)
            }
            V::HexStringLiteral(hex) => {
                let text = format!("\\x{hex}");
                (Expr::Literal(Value::parse_text(&DataType::Bytea, &text)?), DataType::Bytea)
            }
            V::Boolean(b) => (Expr::Literal(Value::Bool(*b)), DataType::Bool),
            V::Null => (Expr::Literal(Value::Null), DataType::Unknown),
            V::Placeholder(text) => {
                let index: usize = text
                    .strip_prefix('$')
                    .and_then(|n| n.parse().ok())
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| {
                        self.at(
                            SqlError::syntax(format!("syntax error at or near \"{text}\"")),
                            span,
                        )
                    })?;
                if index > 65535 {
                    return Err(SqlError::new(
                        sqlstate::UNDEFINED_PARAMETER,
                        format!("there is no parameter ${index}"),
                    ));
                }
                if self.params.len() < index {
                    self.params.resize(index, None);
                }
                let ty = self.param_type(index - 1);
                (Expr::Param(index - 1), ty)
            }
            other => return Err(SqlError::unsupported(format!("literal {other}"))),
        })
    }

    /// Binds a subquery in its own scope, with the enclosing query's columns reachable as
    /// outer references (a correlated subquery).
    pub(super) fn bind_subquery(
        &mut self,
        query: &ast::Query,
        outer: &Scope,
    ) -> Result<(Subquery, DataType), SqlError> {
        self.outer.push(super::OuterScope { scope: outer.clone(), used: false });
        let bound = self.bind_query(query);
        let correlated = self.outer.pop().is_some_and(|o| o.used);
        let plan = bound?;
        let ty = match plan.columns.as_slice() {
            [column] => column.ty.clone(),
            _ => return Err(SqlError::syntax("subquery must return only one column")),
        };
        Ok((Subquery::new(plan, correlated), ty))
    }

    /// Converts an untyped string literal to `target` (when that is a concrete, non-text type).
    pub(super) fn coerce_literal(
        &self,
        expr: Expr,
        ty: DataType,
        target: &DataType,
        ast: &ast::Expr,
    ) -> Result<(Expr, DataType), SqlError> {
        use sqlparser::ast::Spanned;
        match (&expr, &ty) {
            (Expr::Literal(Value::Text(text)), DataType::Unknown)
                if *target != DataType::Unknown
                    && (!target.is_string() || matches!(target, DataType::Char(_))) =>
            {
                let value = Value::parse_text(target, text).map_err(|e| self.at(e, ast.span()))?;
                Ok((Expr::Literal(value), target.clone()))
            }
            _ => Ok((expr, ty)),
        }
    }

    /// When one side is an untyped parameter, it takes the other side's type.
    pub(super) fn infer_pair(&mut self, left: &Expr, lt: &DataType, right: &Expr, rt: &DataType) {
        if let Expr::Param(i) = left {
            self.infer_param(*i, rt);
        }
        if let Expr::Param(i) = right {
            self.infer_param(*i, lt);
        }
    }

    fn bind_binary(
        &mut self,
        left: &ast::Expr,
        op: &ast::BinaryOperator,
        right: &ast::Expr,
        scope: &Scope,
        mut agg: Option<&mut AggregateContext>,
    ) -> Result<(Expr, DataType), SqlError> {
        use ast::BinaryOperator as B;
        let (l, lt) = self.bind_expr_in(left, scope, agg.as_deref_mut())?;
        let (r, rt) = self.bind_expr_in(right, scope, agg)?;

        let op = match op {
            B::And => {
                self.infer_pair(&l, &DataType::Bool, &r, &DataType::Bool);
                return Ok((Expr::And(Box::new(l), Box::new(r)), DataType::Bool));
            }
            B::Or => {
                self.infer_pair(&l, &DataType::Bool, &r, &DataType::Bool);
                return Ok((Expr::Or(Box::new(l), Box::new(r)), DataType::Bool));
            }
            B::Plus => BinaryOp::Add,
            B::Minus => BinaryOp::Sub,
            B::Multiply => BinaryOp::Mul,
            B::Divide => BinaryOp::Div,
            B::Modulo => BinaryOp::Mod,
            B::StringConcat => BinaryOp::Concat,
            B::Eq => BinaryOp::Eq,
            B::NotEq => BinaryOp::NotEq,
            B::Lt => BinaryOp::Lt,
            B::LtEq => BinaryOp::LtEq,
            B::Gt => BinaryOp::Gt,
            B::GtEq => BinaryOp::GtEq,
            B::AtArrow | B::ArrowAt | B::PGOverlap
                if matches!(lt, DataType::Array(_)) || matches!(rt, DataType::Array(_)) =>
            {
                let name = match op {
                    B::AtArrow => "arraycontains",
                    B::ArrowAt => "arraycontained",
                    _ => "arrayoverlap",
                };
                // An untyped side is an array of the other side's type.
                let array_type =
                    if matches!(lt, DataType::Array(_)) { lt.clone() } else { rt.clone() };
                let (l, lt) = self.coerce_literal(l, lt, &array_type, left)?;
                let (r, rt) = self.coerce_literal(r, rt, &array_type, right)?;
                self.infer_pair(&l, &lt, &r, &rt);
                let (lt, rt) = (self.typed(&l, lt), self.typed(&r, rt));
                let (function, ty) = functions::resolve(name, &[lt, rt])?;
                return Ok((Expr::Call { function, args: vec![l, r] }, ty));
            }
            B::AtArrow | B::Question => {
                let (name, r, rt) = if matches!(op, B::AtArrow) {
                    let (r, rt) = self.coerce_literal(r, rt, &DataType::Jsonb, right)?;
                    ("jsonb_contains", r, rt)
                } else {
                    ("jsonb_exists", r, rt)
                };
                if let Expr::Param(i) = &r {
                    self.infer_param(
                        *i,
                        if name == "jsonb_exists" { &DataType::Text } else { &DataType::Jsonb },
                    );
                }
                let (function, ty) = functions::resolve(name, &[lt, rt])?;
                return Ok((Expr::Call { function, args: vec![l, r] }, ty));
            }
            B::PGCustomBinaryOperator(parts) => {
                // OPERATOR(pg_catalog.~) and friends, as psql writes them.
                let symbol = parts.last().map(String::as_str).unwrap_or_default();
                let (name, negated) = match symbol {
                    "~" => ("textregexeq", false),
                    "~*" => ("texticregexeq", false),
                    "!~" => ("textregexeq", true),
                    "!~*" => ("texticregexeq", true),
                    other => {
                        return Err(SqlError::unsupported(format!(
                            "operator {other} is not supported yet"
                        )));
                    }
                };
                let (function, ty) = functions::resolve(name, &[lt, rt])?;
                let call = Expr::Call { function, args: vec![l, r] };
                return Ok((if negated { Expr::Not(Box::new(call)) } else { call }, ty));
            }
            B::PGExp => {
                let numeric = |t: &DataType| matches!(t, DataType::Numeric { .. });
                let ty = if numeric(&lt) || numeric(&rt) {
                    DataType::Numeric { precision: None, scale: None }
                } else {
                    DataType::Float8
                };
                let args = vec![
                    Expr::Cast { expr: Box::new(l), to: ty.clone() },
                    Expr::Cast { expr: Box::new(r), to: ty.clone() },
                ];
                return Ok((Expr::Call { function: functions::Function::Power, args }, ty));
            }
            B::PGRegexMatch | B::PGRegexIMatch | B::PGRegexNotMatch | B::PGRegexNotIMatch => {
                let name = if matches!(op, B::PGRegexMatch | B::PGRegexNotMatch) {
                    "textregexeq"
                } else {
                    "texticregexeq"
                };
                for e in [&l, &r] {
                    if let Expr::Param(i) = e {
                        self.infer_param(*i, &DataType::Text);
                    }
                }
                let (lt, rt) = (self.typed(&l, lt), self.typed(&r, rt));
                let (function, ty) = functions::resolve(name, &[lt, rt])?;
                let call = Expr::Call { function, args: vec![l, r] };
                return Ok(if matches!(op, B::PGRegexNotMatch | B::PGRegexNotIMatch) {
                    (Expr::Not(Box::new(call)), DataType::Bool)
                } else {
                    (call, ty)
                });
            }
            B::Arrow => BinaryOp::JsonGet,
            B::LongArrow => BinaryOp::JsonGetText,
            other => {
                return Err(SqlError::unsupported(format!(
                    "operator {other} is not supported yet"
                )));
            }
        };
        // An untyped literal next to a typed operand takes its type now: errors point at the
        // literal (as in PostgreSQL) and rows do not re-parse it.
        let (l, lt, r, rt) =
            if matches!(op, BinaryOp::Concat | BinaryOp::JsonGet | BinaryOp::JsonGetText) {
                (l, lt, r, rt)
            } else {
                let (l, lt) = self.coerce_literal(l, lt, &rt, left)?;
                let (r, rt) = self.coerce_literal(r, rt, &lt, right)?;
                (l, lt, r, rt)
            };
        // Untyped parameters take the other operand's type (text for `||`).
        let (lt, rt) = match op {
            BinaryOp::Concat => {
                if let Expr::Param(i) = &l {
                    self.infer_param(
                        *i,
                        if rt == DataType::Unknown { &DataType::Text } else { &rt },
                    );
                }
                if let Expr::Param(i) = &r {
                    self.infer_param(
                        *i,
                        if lt == DataType::Unknown { &DataType::Text } else { &lt },
                    );
                }
                (self.typed(&l, lt), self.typed(&r, rt))
            }
            BinaryOp::JsonGet | BinaryOp::JsonGetText => {
                if let Expr::Param(i) = &r {
                    self.infer_param(*i, &DataType::Text);
                }
                (self.typed(&l, lt), self.typed(&r, rt))
            }
            _ => {
                self.infer_pair(&l, &lt, &r, &rt);
                (self.typed(&l, lt), self.typed(&r, rt))
            }
        };
        let ty = binary_op_type(op, &lt, &rt)?;
        Ok((Expr::Binary(op, Box::new(l), Box::new(r)), ty))
    }

    /// The type of a bound operand, re-reading parameter types inferred meanwhile.
    fn typed(&self, expr: &Expr, ty: DataType) -> DataType {
        match expr {
            Expr::Param(i) => self.param_type(*i),
            _ => ty,
        }
    }

    fn bind_function(
        &mut self,
        function: &ast::Function,
        scope: &Scope,
        mut agg: Option<&mut AggregateContext>,
    ) -> Result<(Expr, DataType), SqlError> {
        let name =
            function.name.0.last().and_then(|p| p.as_ident()).map(ident_name).unwrap_or_default();
        let mut order_by: &[ast::OrderByExpr] = &[];
        let (args, distinct, star): (Vec<&ast::Expr>, bool, bool) = match &function.args {
            ast::FunctionArguments::None => (Vec::new(), false, false),
            ast::FunctionArguments::List(list) => {
                let distinct =
                    matches!(list.duplicate_treatment, Some(ast::DuplicateTreatment::Distinct));
                let mut args = Vec::new();
                let mut star = false;
                for arg in &list.args {
                    match arg {
                        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => args.push(e),
                        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Wildcard) => star = true,
                        other => {
                            return Err(SqlError::unsupported(format!(
                                "function argument {other}"
                            )));
                        }
                    }
                }
                for clause in &list.clauses {
                    match clause {
                        ast::FunctionArgumentClause::OrderBy(items) => order_by = items,
                        other => {
                            return Err(SqlError::unsupported(format!(
                                "function argument clause {other}"
                            )));
                        }
                    }
                }
                (args, distinct, star)
            }
            ast::FunctionArguments::Subquery(query) if name == "array" => {
                return self.bind_array_subquery(query, scope);
            }
            ast::FunctionArguments::Subquery(_) => {
                return Err(SqlError::unsupported("subquery as function argument"));
            }
        };
        if let Some(over) = &function.over {
            let call = super::window::WindowCall {
                name: &name,
                args: &args,
                star,
                distinct,
                order_by,
                function,
                over,
            };
            let span = function_span(function);
            return self.bind_window_call(&call, scope, agg).map_err(|err| self.at(err, span));
        }
        if super::window::is_window_function(&name) {
            return Err(self.at(
                SqlError::new(
                    sqlstate::WRONG_OBJECT_TYPE,
                    format!("window function {name} requires an OVER clause"),
                ),
                function_span(function),
            ));
        }
        if let Some(aggregate) = aggregate_function(&name, star) {
            let Some(ctx) = agg else {
                return Err(SqlError::new(
                    sqlstate::GROUPING_ERROR,
                    format!("aggregate functions are not allowed here: {name}"),
                ));
            };
            return self.bind_aggregate(ctx, aggregate, &name, &args, distinct, function, order_by);
        }
        if !order_by.is_empty() || function.filter.is_some() {
            return Err(SqlError::new(
                "42809",
                format!("ORDER BY or FILTER specified, but {name} is not an aggregate function"),
            ));
        }
        if name == "generate_series" {
            return Err(SqlError::unsupported("generate_series is only supported in FROM"));
        }
        let mut bound = Vec::with_capacity(args.len());
        let mut types = Vec::with_capacity(args.len());
        for arg in &args {
            let (e, t) = self.bind_expr_in(arg, scope, agg.as_deref_mut())?;
            bound.push(e);
            types.push(t);
        }
        // length() of char(n) ignores the padding, as PostgreSQL's bpchar length does.
        if matches!(name.as_str(), "length" | "char_length" | "character_length")
            && matches!(types.first(), Some(DataType::Char(_)))
            && let Some(arg) = bound.pop()
        {
            bound.push(Expr::Call { function: functions::Function::Rtrim, args: vec![arg] });
        }
        // pg_typeof reports the static type, which the value alone cannot tell.
        if name == "pg_typeof"
            && let Some(ty) = types.first()
        {
            let ty =
                if *ty == DataType::Unknown { "unknown".to_string() } else { ty.display_name() };
            return Ok((Expr::Literal(Value::Text(ty)), DataType::Text));
        }
        let (resolved, ty) = functions::resolve(&name, &types)?;
        // Text-taking functions type their untyped parameters as text.
        for e in &bound {
            if let Expr::Param(i) = e {
                let ty = match resolved {
                    functions::Function::Coalesce
                    | functions::Function::Greatest
                    | functions::Function::Least
                    | functions::Function::NullIf => ty.clone(),
                    functions::Function::SetVal
                    | functions::Function::Round
                    | functions::Function::Left
                    | functions::Function::Right => DataType::Int8,
                    _ => DataType::Text,
                };
                self.infer_param(*i, &ty);
            }
        }
        Ok((Expr::Call { function: resolved, args: bound }, ty))
    }
}

impl Binder<'_> {
    /// One aggregate call: its arguments, FILTER and ORDER BY are bound over the input rows;
    /// the call becomes a column of the group row.
    #[allow(clippy::too_many_arguments)]
    fn bind_aggregate(
        &mut self,
        ctx: &mut AggregateContext,
        function: AggregateFunction,
        name: &str,
        args: &[&ast::Expr],
        distinct: bool,
        call: &ast::Function,
        order_by: &[ast::OrderByExpr],
    ) -> Result<(Expr, DataType), SqlError> {
        use super::window::WindowState;
        let clause = match &self.windows {
            WindowState::Forbidden("window definitions") => "window definitions",
            _ => "aggregate",
        };
        let windows = self.set_windows(WindowState::Forbidden(clause));
        let result = self.bind_aggregate_call(ctx, function, name, args, distinct, call, order_by);
        self.windows = windows;
        result
    }

    #[allow(clippy::too_many_arguments)]
    fn bind_aggregate_call(
        &mut self,
        ctx: &mut AggregateContext,
        function: AggregateFunction,
        name: &str,
        args: &[&ast::Expr],
        distinct: bool,
        call: &ast::Function,
        order_by: &[ast::OrderByExpr],
    ) -> Result<(Expr, DataType), SqlError> {
        let input = ctx.input.clone();
        let mut bound = Vec::with_capacity(args.len());
        let mut types = Vec::with_capacity(args.len());
        for (i, arg) in args.iter().enumerate() {
            let expected = match (function, i) {
                (AggregateFunction::StringAgg, _) => DataType::Text,
                (AggregateFunction::BoolAnd | AggregateFunction::BoolOr, _) => DataType::Bool,
                _ => DataType::Unknown,
            };
            let (e, t) = self.bind_expr_in(arg, &input, None).map_err(|err| {
                if err.code == sqlstate::GROUPING_ERROR && !err.message.contains("window") {
                    SqlError::new(
                        sqlstate::GROUPING_ERROR,
                        "aggregate function calls cannot be nested",
                    )
                } else {
                    err
                }
            })?;
            if let Expr::Param(index) = e {
                self.infer_param(index, &expected);
            }
            let t = match &e {
                Expr::Param(index) => self.param_type(*index),
                _ => t,
            };
            bound.push(e);
            types.push(t);
        }
        let result_type = aggregate_result_type(function, name, &types)?;
        let filter = match &call.filter {
            Some(f) => Some(self.bind_expr_expecting(f, &input, &DataType::Bool)?.0),
            None => None,
        };
        let mut keys = Vec::with_capacity(order_by.len());
        for item in order_by {
            let descending = matches!(item.options.sort, Some(ast::OrderBySort::Desc));
            let nulls_first = item.options.nulls_first.unwrap_or(descending);
            let (expr, _) = self.bind_expr_in(&item.expr, &input, None)?;
            if distinct && !bound.contains(&expr) {
                return Err(SqlError::new(
                    sqlstate::INVALID_COLUMN_REFERENCE,
                    "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list",
                ));
            }
            keys.push(crate::sql::plan::SortKey { expr, descending, nulls_first });
        }
        // The same call written twice (`SELECT sum(x) ... ORDER BY sum(x)`) is one aggregate.
        let same = |a: &Aggregate| {
            a.function == function
                && a.args == bound
                && a.distinct == distinct
                && a.filter == filter
                && a.order_by == keys
        };
        if let Some(existing) = ctx.aggregates.iter().position(same) {
            return Ok((Expr::Column(ctx.keys.len() + existing), result_type));
        }
        ctx.aggregates.push(Aggregate {
            function,
            args: bound,
            distinct,
            filter,
            order_by: keys,
            result_type: result_type.clone(),
        });
        Ok((Expr::Column(ctx.keys.len() + ctx.aggregates.len() - 1), result_type))
    }
}

/// Where a function call is written (its name), for error positions.
fn function_span(function: &ast::Function) -> Span {
    function.name.0.first().and_then(|p| p.as_ident()).map(|i| i.span).unwrap_or(Span::empty())
}

/// The result type of an aggregate over arguments of `types` (42883 when there is no such
/// aggregate).
pub fn aggregate_result_type(
    function: AggregateFunction,
    name: &str,
    types: &[DataType],
) -> Result<DataType, SqlError> {
    let wanted = match function {
        AggregateFunction::CountStar => 0,
        AggregateFunction::StringAgg => 2,
        _ => 1,
    };
    if types.len() != wanted {
        let list: Vec<String> = types.iter().map(|t| t.display_name()).collect();
        return Err(SqlError::new(
            sqlstate::UNDEFINED_FUNCTION,
            format!("function {name}({}) does not exist", list.join(", ")),
        )
        .with_hint(
            "No function matches the given name and argument types. You might need to add explicit type casts.",
        ));
    }
    let arg_ty = types.first().cloned().unwrap_or(DataType::Int8);
    Ok(match function {
        AggregateFunction::StringAgg => {
            if !types.iter().all(|t| t.is_string() || *t == DataType::Unknown) {
                let list: Vec<String> = types.iter().map(|t| t.display_name()).collect();
                return Err(SqlError::new(
                    sqlstate::UNDEFINED_FUNCTION,
                    format!("function {name}({}) does not exist", list.join(", ")),
                ));
            }
            DataType::Text
        }
        AggregateFunction::BoolAnd | AggregateFunction::BoolOr => {
            if !matches!(arg_ty, DataType::Bool | DataType::Unknown) {
                return Err(SqlError::new(
                    sqlstate::UNDEFINED_FUNCTION,
                    format!("function {name}({}) does not exist", arg_ty.display_name()),
                ));
            }
            DataType::Bool
        }
        other => aggregate_type(other, &arg_ty)?,
    })
}

/// The aggregate a function name denotes (`count(*)` when `star`).
pub fn aggregate_function(name: &str, star: bool) -> Option<AggregateFunction> {
    Some(match name {
        "count" if star => AggregateFunction::CountStar,
        "count" => AggregateFunction::Count,
        "sum" => AggregateFunction::Sum,
        "avg" => AggregateFunction::Avg,
        "min" => AggregateFunction::Min,
        "max" => AggregateFunction::Max,
        "string_agg" => AggregateFunction::StringAgg,
        "bool_and" | "every" => AggregateFunction::BoolAnd,
        "bool_or" => AggregateFunction::BoolOr,
        "array_agg" => AggregateFunction::ArrayAgg,
        _ => return None,
    })
}

fn aggregate_type(function: AggregateFunction, arg: &DataType) -> Result<DataType, SqlError> {
    use AggregateFunction as F;
    Ok(match function {
        F::CountStar | F::Count => DataType::Int8,
        F::Sum => match arg {
            DataType::Int2 | DataType::Int4 => DataType::Int8,
            DataType::Int8 | DataType::Numeric { .. } => {
                DataType::Numeric { precision: None, scale: None }
            }
            DataType::Float4 => DataType::Float4,
            DataType::Float8 | DataType::Unknown => DataType::Float8,
            DataType::Interval => DataType::Interval,
            other => {
                return Err(SqlError::new(
                    sqlstate::UNDEFINED_FUNCTION,
                    format!("function sum({}) does not exist", other.display_name()),
                ));
            }
        },
        F::Avg => match arg {
            DataType::Float4 | DataType::Float8 => DataType::Float8,
            DataType::Interval => DataType::Interval,
            t if t.is_numeric() => DataType::Numeric { precision: None, scale: None },
            other => {
                return Err(SqlError::new(
                    sqlstate::UNDEFINED_FUNCTION,
                    format!("function avg({}) does not exist", other.display_name()),
                ));
            }
        },
        F::StringAgg => DataType::Text,
        F::BoolAnd | F::BoolOr => DataType::Bool,
        F::ArrayAgg => match arg {
            DataType::Array(_) => arg.clone(),
            DataType::Unknown => DataType::Array(Box::new(DataType::Text)),
            DataType::Varchar(_) | DataType::Char(_) | DataType::Name => {
                DataType::Array(Box::new(arg.clone()))
            }
            other => DataType::Array(Box::new(other.clone())),
        },
        F::Min | F::Max => match arg {
            DataType::Unknown => DataType::Text,
            DataType::Varchar(_) | DataType::Char(_) => DataType::Text,
            DataType::Numeric { .. } => DataType::Numeric { precision: None, scale: None },
            other => other.clone(),
        },
    })
}

/// The value and type the binder gives the numeric constant `text` (a leading `-` negates it,
/// as a unary minus bound right before a constant is folded into it).
pub fn number_constant(text: &str) -> Result<(Value, DataType), SqlError> {
    let (digits, negative) = match text.strip_prefix('-') {
        Some(digits) => (digits, true),
        None => (text, false),
    };
    let (Expr::Literal(value), ty) = number_literal(digits)? else {
        return Err(SqlError::internal("a numeric constant bound to a non-constant"));
    };
    if negative {
        return Ok((crate::sql::types::unary_op(UnaryOp::Neg, &value)?, ty));
    }
    Ok((value, ty))
}

/// A numeric literal: int4 if it fits, else int8, else numeric; with a point or exponent:
/// numeric (PostgreSQL types `1.5` as numeric, not float).
fn number_literal(text: &str) -> Result<(Expr, DataType), SqlError> {
    if let Ok(n) = text.parse::<i32>() {
        return Ok((Expr::Literal(Value::Int4(n)), DataType::Int4));
    }
    if let Ok(n) = text.parse::<i64>() {
        return Ok((Expr::Literal(Value::Int8(n)), DataType::Int8));
    }
    let ty = DataType::Numeric { precision: None, scale: None };
    match Value::parse_text(&ty, text) {
        // An exponent literal our 28-digit numeric cannot hold exactly (1e-300) stays float8.
        Ok(value) if text.contains(['e', 'E']) && !numeric_holds(&value, text) => {
            match text.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok((Expr::Literal(Value::Float8(x)), DataType::Float8)),
                _ => Ok((Expr::Literal(value), ty)),
            }
        }
        Ok(value) => Ok((Expr::Literal(value), ty)),
        // Beyond our numeric's 28 digits: keep the value as float8 rather than refuse it
        // (PostgreSQL's numeric would hold it exactly; a float8 cast then gives the same).
        Err(err) => match text.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok((Expr::Literal(Value::Float8(x)), DataType::Float8)),
            _ => Err(err),
        },
    }
}

/// Whether a parsed numeric literal kept the value written as `text`.
fn numeric_holds(value: &Value, text: &str) -> bool {
    match (text.parse::<f64>(), value.to_text().parse::<f64>()) {
        (Ok(written), Ok(held)) => {
            written == held || (written - held).abs() <= written.abs() * 1e-12
        }
        _ => true,
    }
}

/// Converts an AST type to ours.
pub fn convert_type(data_type: &ast::DataType) -> Result<DataType, SqlError> {
    // `int[]`, `int[3]`, `int ARRAY`: PostgreSQL ignores declared sizes.
    if let ast::DataType::Array(definition) = data_type {
        let element = match definition {
            ast::ArrayElemTypeDef::SquareBracket(inner, _)
            | ast::ArrayElemTypeDef::AngleBracket(inner)
            | ast::ArrayElemTypeDef::Parenthesis(inner) => convert_type(inner)?,
            other => {
                return Err(SqlError::unsupported(format!("array type {other:?}")));
            }
        };
        let element = match element {
            DataType::Array(inner) => *inner,
            other => other,
        };
        return Ok(DataType::Array(Box::new(element)));
    }
    let text = data_type.to_string().to_lowercase();
    let (base, modifiers) = match text.split_once('(') {
        Some((base, rest)) => {
            let inner = rest.split_once(')').map_or(rest, |(inner, _)| inner);
            let mut modifiers = Vec::new();
            for part in inner.split(',') {
                let n: u32 = part.trim().parse().map_err(|_| {
                    SqlError::new(
                        sqlstate::INVALID_PARAMETER_VALUE,
                        format!("invalid type modifier in {text}"),
                    )
                })?;
                modifiers.push(n);
            }
            let trailing = rest.split_once(')').map_or("", |(_, tail)| tail).trim();
            let base = if trailing.is_empty() {
                base.trim().to_string()
            } else {
                format!("{} {trailing}", base.trim())
            };
            (base, modifiers)
        }
        None => (text.trim().to_string(), Vec::new()),
    };
    let base = base.strip_prefix("pg_catalog.").unwrap_or(&base).to_string();
    // Object-identifier alias types are plain OIDs here.
    if matches!(
        base.as_str(),
        "regclass" | "regtype" | "regnamespace" | "regproc" | "regrole" | "regoper"
    ) {
        return Ok(DataType::Oid);
    }
    DataType::from_sql_name(&base, &modifiers)
}
