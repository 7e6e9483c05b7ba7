//! The index conditions of an access path, as `Index Cond:` prints them: the key columns
//! compared with the looked-up values (`(id = 42)`, `((id > 5) AND (id <= 10))`,
//! `(b = ANY ('{1,2}'::integer[]))`), the WHERE parts they stand for (not repeated under
//! `Filter:`), and index names.
//!
//! Depends on: `sql::plan`, `sql::catalog`, `sql::expr`.

use crate::sql::catalog::TableDef;
use crate::sql::expr::Expr;
use crate::sql::plan::Access;
use crate::sql::types::BinaryOp;

/// The AND-ed parts of a condition.
pub(super) fn conjuncts(expr: &Expr) -> Vec<&Expr> {
    let mut parts = Vec::new();
    let mut pending = vec![expr];
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

pub(super) fn operator_text(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Lt => "<",
        BinaryOp::LtEq => "<=",
        BinaryOp::Gt => ">",
        BinaryOp::GtEq => ">=",
        _ => "=",
    }
}

/// Whether a WHERE part is one an index condition stands for (`col op value` either way
/// round, or the `IN` list).
pub(super) fn matches(part: &Expr, covered: &Expr) -> bool {
    if part == covered {
        return true;
    }
    let flipped = |op: BinaryOp| match op {
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::LtEq => BinaryOp::GtEq,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::GtEq => BinaryOp::LtEq,
        other => other,
    };
    match (part, covered) {
        (Expr::Binary(op, l, r), Expr::Binary(cop, cl, cr)) => {
            flipped(*op) == *cop && l == cr && r == cl
        }
        _ => false,
    }
}

/// One `Index Cond:` part: a key column compared with a value (or any of several).
pub(super) struct IndexCondition {
    pub(super) column: usize,
    pub(super) values: ConditionValues,
    /// The WHERE parts it stands for (not repeated under `Filter:`).
    pub(super) covers: Vec<Expr>,
}

pub(super) enum ConditionValues {
    One(BinaryOp, Expr),
    Any(Vec<Expr>),
    /// Several lookups (each a list of conditions), any of which a row may match.
    Or(Vec<Vec<IndexCondition>>),
}

/// The key columns of the primary key (None) or of unique constraint / index `index_no`.
pub(super) fn key_columns(table: &TableDef, index_no: Option<u16>) -> Vec<usize> {
    table.key_columns(index_no)
}

/// The name of the primary key (None) or of unique constraint / index `index_no`.
pub(super) fn index_name(table: &TableDef, index_no: Option<u16>) -> Option<String> {
    let access = match index_no {
        None => Access::Ordered(None),
        Some(no) => Access::Ordered(Some(no)),
    };
    index_of(table, &access)
}

/// The name of the index an access path reads (None for a full scan).
pub(super) fn index_of(table: &TableDef, access: &Access) -> Option<String> {
    let primary =
        || table.primary_key_name.clone().unwrap_or_else(|| format!("{}_pkey", table.name));
    let named = |no: u16| {
        table
            .uniques
            .iter()
            .find(|u| u.index_no == no)
            .map(|u| u.name.clone())
            .or_else(|| table.indexes.iter().find(|i| i.index_no == no).map(|i| i.name.clone()))
    };
    match access {
        Access::Full => None,
        Access::Point(_)
        | Access::Range { index_no: None, .. }
        | Access::Ordered(None)
        | Access::Backward(None) => Some(primary()),
        Access::Index { index_no, .. }
        | Access::Range { index_no: Some(index_no), .. }
        | Access::Ordered(Some(index_no))
        | Access::Backward(Some(index_no)) => named(*index_no),
        Access::Any(accesses) => accesses.first().and_then(|a| index_of(table, a)),
    }
}

/// The conditions an access path looks up by.
pub(super) fn index_conditions(table: &TableDef, access: &Access) -> Vec<IndexCondition> {
    let equal = |column: usize, value: &Expr| IndexCondition {
        column,
        values: ConditionValues::One(BinaryOp::Eq, value.clone()),
        covers: vec![Expr::Binary(
            BinaryOp::Eq,
            Box::new(Expr::Column(column)),
            Box::new(value.clone()),
        )],
    };
    match access {
        Access::Full | Access::Ordered(_) | Access::Backward(_) => Vec::new(),
        Access::Point(values) => {
            table.primary_key.iter().zip(values).map(|(&c, v)| equal(c, v)).collect()
        }
        Access::Index { index_no, values } => key_columns(table, Some(*index_no))
            .into_iter()
            .zip(values)
            .map(|(c, v)| equal(c, v))
            .collect(),
        Access::Range { column, lower, upper, .. } => {
            let mut out = Vec::new();
            for (bound, (inclusive_op, exclusive_op)) in
                [(lower, (BinaryOp::GtEq, BinaryOp::Gt)), (upper, (BinaryOp::LtEq, BinaryOp::Lt))]
            {
                if let Some((value, inclusive)) = bound {
                    let op = if *inclusive { inclusive_op } else { exclusive_op };
                    out.push(IndexCondition {
                        column: *column,
                        values: ConditionValues::One(op, value.clone()),
                        covers: vec![Expr::Binary(
                            op,
                            Box::new(Expr::Column(*column)),
                            Box::new(value.clone()),
                        )],
                    });
                }
            }
            out
        }
        Access::Any(accesses) => {
            let each: Vec<Vec<IndexCondition>> =
                accesses.iter().map(|a| index_conditions(table, a)).collect();
            collapse_any(&each).unwrap_or_else(|| {
                // One OR of the lookups; it stands for the WHERE parts they all share.
                let mut covers: Vec<Expr> = each
                    .first()
                    .map(|conds| conds.iter().flat_map(|c| c.covers.clone()).collect())
                    .unwrap_or_default();
                covers.retain(|part| {
                    each.iter().all(|conds| conds.iter().any(|c| c.covers.contains(part)))
                });
                vec![IndexCondition { column: 0, values: ConditionValues::Or(each), covers }]
            })
        }
    }
}

/// Lookups that are equalities on the same columns, differing in one column only (`a IN
/// (1, 2) AND b = 3`), as PostgreSQL prints them: `(a = ANY ('{1,2}'::integer[])) AND (b =
/// 3)`.
pub(super) fn collapse_any(each: &[Vec<IndexCondition>]) -> Option<Vec<IndexCondition>> {
    let first = each.first()?;
    let value = |cond: &IndexCondition| match &cond.values {
        ConditionValues::One(BinaryOp::Eq, v) => Some(v.clone()),
        _ => None,
    };
    let mut varying = None;
    for (i, cond) in first.iter().enumerate() {
        let mut values = Vec::with_capacity(each.len());
        for conds in each {
            let other =
                conds.get(i).filter(|c| c.column == cond.column && conds.len() == first.len())?;
            values.push(value(other)?);
        }
        if values.iter().any(|v| Some(v) != values.first()) {
            if varying.is_some() {
                return None;
            }
            varying = Some((i, values));
        }
    }
    let (position, values) = varying?;
    let mut out = Vec::with_capacity(first.len());
    for (i, cond) in first.iter().enumerate() {
        if i == position {
            let list = Expr::InList {
                expr: Box::new(Expr::Column(cond.column)),
                list: values.clone(),
                negated: false,
            };
            out.push(IndexCondition {
                column: cond.column,
                values: ConditionValues::Any(values.clone()),
                covers: vec![list],
            });
        } else {
            out.push(IndexCondition {
                column: cond.column,
                values: ConditionValues::One(BinaryOp::Eq, value(cond)?),
                covers: cond.covers.clone(),
            });
        }
    }
    Some(out)
}
