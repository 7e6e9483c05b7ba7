//! Index nested-loop joins: a join whose right side is a table read in full, and whose
//! equality keys cover that table's primary key (or the leading columns of one of its
//! indexes), reads the matching right rows by key for each left row instead of hashing the
//! whole table: `SELECT ... FROM orders o JOIN customers c ON c.id = o.customer_id WHERE
//! o.id = 5` reads two rows instead of every customer. There are no table statistics, so when
//! the left side is not known to be small (a key lookup, an index read, a short VALUES list)
//! the executor decides at run time from the number of left rows.
//!
//! Runs after WHERE conditions were pushed down, over the whole FROM tree.

use crate::sql::catalog::TableDef;
use crate::sql::expr::Expr;
use crate::sql::plan::{Access, Join, JoinKind, LookupJoin, Source};
use crate::sql::types::BinaryOp;
use std::sync::Arc;

/// VALUES lists up to this many rows count as small.
const SMALL_VALUES: usize = 1000;

/// Rewrites eligible joins of `source` (recursively) into lookup joins.
pub fn use_lookup_joins(source: Source) -> Source {
    match source {
        Source::Join(join) => {
            let mut join = *join;
            join.left = use_lookup_joins(join.left);
            join.right = use_lookup_joins(join.right);
            match lookup_for(Box::new(join)) {
                Ok(lookup) => Source::Lookup(Box::new(lookup)),
                Err(join) => Source::Join(join),
            }
        }
        Source::Filter { input, predicate } => {
            Source::Filter { input: Box::new(use_lookup_joins(*input)), predicate }
        }
        other => other,
    }
}

/// Whether `source` yields few rows (read by key, or a short literal list).
fn is_small(source: &Source) -> bool {
    match source {
        Source::Single => true,
        Source::Values(rows) => rows.len() <= SMALL_VALUES,
        Source::Table { access, .. } => {
            matches!(access, Access::Point(_) | Access::Index { .. } | Access::Any(_))
        }
        Source::Filter { input, .. } => is_small(input),
        Source::Lookup(lookup) => is_small(&lookup.left) && lookup.index_no.is_none(),
        _ => false,
    }
}

/// The right side as (table, filter on its rows) when it is a full read of one table.
fn full_table(source: &Source) -> Option<(&Arc<TableDef>, Option<&Expr>)> {
    match source {
        Source::Table { table, access: Access::Full } => Some((table, None)),
        Source::Filter { input, predicate } => match input.as_ref() {
            Source::Table { table, access: Access::Full } => Some((table, Some(predicate))),
            _ => None,
        },
        _ => None,
    }
}

/// The lookup join for `join`, or the join back when it does not qualify.
fn lookup_for(join: Box<Join>) -> Result<LookupJoin, Box<Join>> {
    if !matches!(join.kind, JoinKind::Inner | JoinKind::Left) {
        return Err(join);
    }
    let left_is_small = is_small(&join.left);
    let Some((table, right_filter)) = full_table(&join.right) else { return Err(join) };
    // Right key column → left expression, for keys that compare a plain right column.
    let key_for = |column: usize| {
        join.keys.iter().find_map(|(l, r)| (*r == Expr::Column(column)).then(|| l.clone()))
    };
    let mut candidates: Vec<(Option<u16>, Vec<usize>)> = vec![(None, table.primary_key.clone())];
    candidates.extend(table.uniques.iter().map(|u| (Some(u.index_no), u.columns.clone())));
    candidates.extend(table.indexes.iter().map(|i| (Some(i.index_no), i.columns.clone())));
    let chosen = candidates.into_iter().find_map(|(index_no, columns)| {
        if columns.is_empty() {
            return None;
        }
        // The primary key must be pinned whole; an index by a leading prefix.
        let pinned: Vec<Expr> = columns.iter().map_while(|&c| key_for(c)).collect();
        let enough =
            if index_no.is_none() { pinned.len() == columns.len() } else { !pinned.is_empty() };
        enough.then(|| (index_no, columns.get(..pinned.len()).unwrap_or_default().to_vec(), pinned))
    });
    let Some((index_no, used_columns, left_keys)) = chosen else { return Err(join) };
    let table = table.clone();
    let right_filter = right_filter.cloned();
    let Join {
        kind,
        left,
        left_width,
        right_width,
        keys,
        condition,
        merged,
        left_stats,
        right_stats,
        ..
    } = *join;
    // Key pairs not used for the lookup still have to hold.
    let mut extra: Vec<Expr> = keys
        .into_iter()
        .filter(|(_, r)| !matches!(r, Expr::Column(c) if used_columns.contains(c)))
        .map(|(l, mut r)| {
            super::query::map_columns(&mut r, &|c| c + left_width);
            Expr::Binary(BinaryOp::Eq, Box::new(l), Box::new(r))
        })
        .collect();
    extra.extend(condition);
    let condition = extra.into_iter().reduce(|a, b| Expr::And(Box::new(a), Box::new(b)));
    Ok(LookupJoin {
        kind,
        left,
        left_width,
        table,
        right_width,
        index_no,
        left_keys,
        right_filter,
        condition,
        merged,
        left_is_small,
        left_stats,
        right_stats,
        hashed: Arc::default(),
    })
}
