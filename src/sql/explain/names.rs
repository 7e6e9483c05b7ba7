//! Names EXPLAIN needs from a plan: how many relations a statement reads (column names
//! are qualified when there is more than one), and the column names of a source when the
//! binder recorded none.
//!
//! Depends on: `sql::plan`, `sql::expr`.

use crate::sql::expr::Expr;
use crate::sql::plan::{CommonTableBody, Plan, SelectPlan, Source};

/// How many relations (tables, functions, VALUES, WITH references) the statement reads:
/// column names are qualified when there is more than one, as PostgreSQL does.
pub(super) fn relations(plan: &Plan) -> usize {
    match plan {
        Plan::Select(select) => select_relations(select),
        Plan::Insert(insert) => 1 + select_relations(&insert.source),
        Plan::Update(update) => 1 + update.filter.as_ref().map_or(0, expr_relations),
        Plan::Delete(delete) => 1 + delete.filter.as_ref().map_or(0, expr_relations),
        _ => 1,
    }
}

pub(super) fn select_relations(plan: &SelectPlan) -> usize {
    let exprs = plan.filter.iter().chain(plan.having.iter()).chain(plan.projection.iter());
    source_relations(&plan.source) + exprs.map(expr_relations).sum::<usize>()
}

pub(super) fn source_relations(source: &Source) -> usize {
    match source {
        Source::Single => 0,
        Source::Filter { input, predicate } => source_relations(input) + expr_relations(predicate),
        Source::Join(join) => source_relations(&join.left) + source_relations(&join.right),
        Source::Lookup(lookup) => source_relations(&lookup.left) + 1,
        Source::Query(plan) => select_relations(plan),
        Source::SetOp(op) => select_relations(&op.left) + select_relations(&op.right),
        _ => 1,
    }
}

/// Relations read by the subqueries in an expression.
pub(super) fn expr_relations(expr: &Expr) -> usize {
    let mut count = 0;
    expr.walk(&mut |e| {
        if let Expr::Subquery { subquery, .. } = e {
            count += select_relations(&subquery.plan);
        }
    });
    count
}

/// Column names of a source when the binder recorded none (VALUES, set operations,
/// wrapped queries).
pub(super) fn source_names(source: &Source) -> Vec<(Option<String>, String)> {
    let unnamed = |names: Vec<String>| names.into_iter().map(|n| (None, n)).collect();
    match source {
        Source::Single => Vec::new(),
        Source::Values(rows) => {
            let width = rows.first().map_or(0, Vec::len);
            (1..=width).map(|i| (Some("*VALUES*".to_string()), format!("column{i}"))).collect()
        }
        Source::Table { table, .. } => {
            table.columns.iter().map(|c| (Some(table.name.clone()), c.name.clone())).collect()
        }
        Source::Query(plan) => unnamed(plan.columns.iter().map(|c| c.name.clone()).collect()),
        Source::SetOp(op) => unnamed(op.left.columns.iter().map(|c| c.name.clone()).collect()),
        Source::Filter { input, .. } => source_names(input),
        Source::Join(join) => {
            let mut names = source_names(&join.left);
            names.extend(source_names(&join.right));
            names.extend(join.merged.iter().map(|_| (None, "?column?".to_string())));
            names
        }
        Source::Series { .. } => vec![(None, "generate_series".to_string())],
        Source::Unnest { arrays, ordinality } => {
            let mut names: Vec<_> = arrays.iter().map(|_| (None, "unnest".to_string())).collect();
            if *ordinality {
                names.push((None, "ordinality".to_string()));
            }
            names
        }
        Source::CommonTable(cte) => match &cte.body {
            CommonTableBody::Plain(plan) => {
                unnamed(plan.columns.iter().map(|c| c.name.clone()).collect())
            }
            CommonTableBody::Recursive { anchor, .. } => {
                unnamed(anchor.columns.iter().map(|c| c.name.clone()).collect())
            }
        },
        Source::Lookup(lookup) => {
            let mut names = source_names(&lookup.left);
            let table = &lookup.table;
            names.extend(table.columns.iter().map(|c| (Some(table.name.clone()), c.name.clone())));
            names.extend(lookup.merged.iter().map(|_| (None, "?column?".to_string())));
            names
        }
        Source::Sequence(sequence) => ["last_value", "log_cnt", "is_called"]
            .iter()
            .map(|c| (Some(sequence.name.clone()), c.to_string()))
            .collect(),
        Source::WorkingTable(_) | Source::Rows(_) => Vec::new(),
    }
}
