//! Binding of array expressions: the `ARRAY[...]` constructor, `ARRAY(subquery)`,
//! subscripts (`a[i]`, `a[i][j]`), and `x op ANY/SOME/ALL (array or subquery)`.
//!
//! Types: an array of element type `e` is `DataType::Array(e)` whatever its dimensions, as in
//! PostgreSQL (`int[][]` is `int[]`). Untyped literals and parameters take the type their
//! context implies (`x = ANY($1)` types `$1` as an array of `x`'s type).

use super::expr::AggregateContext;
use super::{Binder, Scope, ScopeColumn};
use crate::sql::error::{SqlError, sqlstate};
use crate::sql::expr::{Expr, SubqueryKind};
use crate::sql::functions::Function;
use crate::sql::plan::Source;
use crate::sql::types::{BinaryOp, DataType, Value, binary_op_type};
use sqlparser::ast;

impl Binder<'_> {
    /// `ARRAY[a, b, ...]`: elements converted to their common type; nested `ARRAY[...]` (or
    /// array-typed) elements make a multidimensional array.
    pub(super) fn bind_array_constructor(
        &mut self,
        array: &ast::Array,
        scope: &Scope,
        mut agg: Option<&mut AggregateContext>,
    ) -> Result<(Expr, DataType), SqlError> {
        let mut bound = Vec::with_capacity(array.elem.len());
        let mut element_type = DataType::Unknown;
        for element in &array.elem {
            let (e, t) = self.bind_expr_in(element, scope, agg.as_deref_mut())?;
            element_type = super::query::common_type(&element_type, &t).ok_or_else(|| {
                SqlError::new(
                    sqlstate::DATATYPE_MISMATCH,
                    format!(
                        "ARRAY types {} and {} cannot be matched",
                        element_type.display_name(),
                        t.display_name()
                    ),
                )
            })?;
            bound.push((e, t));
        }
        // Elements that are themselves arrays contribute their element type.
        let (element_type, nested) = match element_type {
            DataType::Array(inner) => (*inner, true),
            other => (other, false),
        };
        let element_type = match element_type {
            DataType::Unknown if bound.is_empty() => DataType::Unknown,
            DataType::Unknown => DataType::Text,
            DataType::Varchar(_) | DataType::Char(_) | DataType::Name if !nested => DataType::Text,
            other => other,
        };
        let target = if nested {
            DataType::Array(Box::new(element_type.clone()))
        } else {
            element_type.clone()
        };
        let mut args = Vec::with_capacity(bound.len());
        for ((e, t), ast) in bound.into_iter().zip(&array.elem) {
            if let Expr::Param(i) = &e {
                self.infer_param(*i, &target);
            }
            let (e, t) = self.coerce_literal(e, t, &target, ast)?;
            if t != target && target != DataType::Unknown {
                args.push(Expr::Cast { expr: Box::new(e), to: target.clone() });
            } else {
                args.push(e);
            }
        }
        let array_type = DataType::Array(Box::new(element_type));
        let construct = Expr::Call { function: Function::ArrayConstruct, args };
        Ok((Expr::Cast { expr: Box::new(construct), to: array_type.clone() }, array_type))
    }

    /// `ARRAY(SELECT x ...)`: the subquery's one column, its rows in order, as an array.
    pub(super) fn bind_array_subquery(
        &mut self,
        query: &ast::Query,
        scope: &Scope,
    ) -> Result<(Expr, DataType), SqlError> {
        let (subquery, ty) = self.bind_subquery(query, scope)?;
        let element = match ty {
            DataType::Unknown => DataType::Text,
            DataType::Array(inner) => *inner,
            other => other,
        };
        let array_type = DataType::Array(Box::new(element));
        let expr = Expr::Subquery { kind: SubqueryKind::Array, subquery, operand: None };
        Ok((Expr::Cast { expr: Box::new(expr), to: array_type.clone() }, array_type))
    }

    /// `left op ANY (right)` / `left op ALL (right)`: `right` is an array expression or a
    /// subquery.
    pub(super) fn bind_quantified(
        &mut self,
        left: &ast::Expr,
        op: &ast::BinaryOperator,
        right: &ast::Expr,
        all: bool,
        scope: &Scope,
        mut agg: Option<&mut AggregateContext>,
    ) -> Result<(Expr, DataType), SqlError> {
        use ast::BinaryOperator as B;
        let op = match op {
            B::Eq => BinaryOp::Eq,
            B::NotEq => BinaryOp::NotEq,
            B::Lt => BinaryOp::Lt,
            B::LtEq => BinaryOp::LtEq,
            B::Gt => BinaryOp::Gt,
            B::GtEq => BinaryOp::GtEq,
            other => {
                return Err(SqlError::unsupported(format!(
                    "operator {other} with ANY/ALL is not supported yet"
                )));
            }
        };
        let (l, lt) = self.bind_expr_in(left, scope, agg.as_deref_mut())?;
        let right = strip_nesting(right);
        if let ast::Expr::Subquery(query) = right {
            let (subquery, ty) = self.bind_subquery(query, scope)?;
            self.infer_pair(&l, &lt, &Expr::Literal(Value::Null), &ty);
            let (lt, ty) = (self.typed_param(&l, lt), ty);
            binary_op_type(op, &lt, &ty)?;
            let kind = SubqueryKind::Quantified { op, all };
            return Ok((
                Expr::Subquery { kind, subquery, operand: Some(Box::new(l)) },
                DataType::Bool,
            ));
        }
        let (r, rt) = self.bind_expr_in(right, scope, agg)?;
        let lt = self.typed_param(&l, lt);
        let rt = self.typed_param(&r, rt);
        // Untyped right side: an array of the left side's type ('{1,2}' or $1).
        let (r, rt) = match (&r, &rt) {
            (Expr::Param(i), DataType::Unknown) => {
                let ty = DataType::Array(Box::new(if lt == DataType::Unknown {
                    DataType::Text
                } else {
                    lt.clone()
                }));
                self.infer_param(*i, &ty);
                (r, ty)
            }
            (Expr::Literal(Value::Text(text)), DataType::Unknown) => {
                let element = if lt == DataType::Unknown { DataType::Text } else { lt.clone() };
                let value = Value::parse_text(&DataType::Array(Box::new(element.clone())), text)?;
                (Expr::Literal(value), DataType::Array(Box::new(element)))
            }
            (Expr::Literal(Value::Null), DataType::Unknown) => {
                (r, DataType::Array(Box::new(lt.clone())))
            }
            _ => (r, rt),
        };
        let DataType::Array(element) = &rt else {
            use sqlparser::ast::Spanned;
            let err = SqlError::new(
                sqlstate::WRONG_OBJECT_TYPE,
                "op ANY/ALL (array) requires array on right side",
            );
            return Err(self.at(err, left.span()));
        };
        if let Expr::Param(i) = &l {
            self.infer_param(*i, element);
        }
        let (l, lt) = self.coerce_literal(l, lt, element, left)?;
        let lt = self.typed_param(&l, lt);
        binary_op_type(op, &lt, element)?;
        Ok((Expr::Quantified { op, all, left: Box::new(l), right: Box::new(r) }, DataType::Bool))
    }

    /// `base[i]`, `base[i][j]`: an element (NULL when out of range). Slices are not
    /// supported yet; a subscript of jsonb is `->`.
    pub(super) fn bind_subscripts(
        &mut self,
        root: &ast::Expr,
        chain: &[ast::AccessExpr],
        scope: &Scope,
        agg: Option<&mut AggregateContext>,
    ) -> Result<(Expr, DataType), SqlError> {
        let (base, base_ty) = self.bind_expr_in(root, scope, agg)?;
        let mut indexes = Vec::with_capacity(chain.len());
        for access in chain {
            match access {
                ast::AccessExpr::Subscript(ast::Subscript::Index { index }) => {
                    let (e, t) = self.bind_expr_expecting(index, scope, &DataType::Int4)?;
                    let (e, _) = self.coerce_literal(e, t, &DataType::Int4, index)?;
                    indexes.push(e);
                }
                ast::AccessExpr::Subscript(ast::Subscript::Slice { .. }) => {
                    return Err(SqlError::unsupported("array slices are not supported yet"));
                }
                ast::AccessExpr::Dot(_) => {
                    return Err(SqlError::unsupported("field selection is not supported yet"));
                }
            }
        }
        match base_ty {
            DataType::Array(element) => {
                let mut args = vec![base];
                args.extend(indexes);
                Ok((Expr::Call { function: Function::ArraySubscript, args }, *element))
            }
            DataType::Jsonb => {
                let mut expr = base;
                for index in indexes {
                    expr = Expr::Binary(BinaryOp::JsonGet, Box::new(expr), Box::new(index));
                }
                Ok((expr, DataType::Jsonb))
            }
            other => Err(SqlError::new(
                sqlstate::DATATYPE_MISMATCH,
                format!(
                    "cannot subscript type {} because it does not support subscripting",
                    other.display_name()
                ),
            )),
        }
    }

    /// `unnest(array [, array ...]) [WITH ORDINALITY]` in FROM.
    pub(super) fn bind_unnest(
        &mut self,
        args: &[&ast::Expr],
        alias: Option<&ast::TableAlias>,
        ordinality: bool,
    ) -> Result<(Source, Scope), SqlError> {
        let empty = Scope::default();
        let name =
            alias.map(|a| super::ident_name(&a.name)).unwrap_or_else(|| "unnest".to_string());
        let mut arrays = Vec::with_capacity(args.len());
        let mut columns = Vec::with_capacity(args.len() + 1);
        for e in args {
            let (expr, ty) = self.bind_expr(e, &empty)?;
            let (expr, ty) = match (expr, ty) {
                (Expr::Literal(Value::Text(text)), DataType::Unknown) => {
                    let ty = DataType::Array(Box::new(DataType::Text));
                    (Expr::Literal(Value::parse_text(&ty, &text)?), ty)
                }
                other => other,
            };
            let DataType::Array(element) = ty else {
                return Err(SqlError::new(
                    sqlstate::UNDEFINED_FUNCTION,
                    format!("function unnest({}) does not exist", ty.display_name()),
                )
                .with_hint(
                    "No function matches the given name and argument types. You might need to add explicit type casts.",
                ));
            };
            arrays.push(expr);
            columns.push(ScopeColumn {
                table: Some(name.clone()),
                // A single unnest is named after its alias, like other functions in FROM.
                name: if args.len() == 1 { name.clone() } else { "unnest".to_string() },
                ty: *element,
                table_oid: 0,
                column_number: 0,
                hidden: false,
            });
        }
        if arrays.is_empty() {
            return Err(SqlError::new(
                sqlstate::UNDEFINED_FUNCTION,
                "function unnest() does not exist",
            ));
        }
        if ordinality {
            columns.push(ScopeColumn {
                table: Some(name.clone()),
                name: "ordinality".to_string(),
                ty: DataType::Int8,
                table_oid: 0,
                column_number: 0,
                hidden: false,
            });
        }
        let scope = super::query::rename_columns(Scope { columns, star: None }, alias)?;
        Ok((Source::Unnest { arrays, ordinality }, scope))
    }

    /// The type of a bound operand, re-reading parameter types inferred meanwhile.
    fn typed_param(&self, expr: &Expr, ty: DataType) -> DataType {
        match expr {
            Expr::Param(i) => self.params.get(*i).cloned().flatten().unwrap_or(DataType::Unknown),
            _ => ty,
        }
    }
}

/// `((x))` → `x`.
fn strip_nesting(expr: &ast::Expr) -> &ast::Expr {
    match expr {
        ast::Expr::Nested(inner) => strip_nesting(inner),
        other => other,
    }
}
