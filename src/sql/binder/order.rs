//! Reading in index order: a single-table query whose ORDER BY is the leading columns of the
//! primary key (or, with LIMIT, of an index), all ascending, reads the table in that order
//! and needs no sort, so LIMIT stops the read after the rows it wants (EXPLAIN shows
//! `Index Scan using <index>` and no `Sort`).
//!
//! Only where key order is exactly ORDER BY's order: all ascending (NULLs sort last in keys,
//! as ASC wants), or all descending with NULLs first (DESC's default), read by a backward scan
//! (`Index Scan Backward`); over types whose key encoding sorts as their values do.

use crate::sql::catalog::TableDef;
use crate::sql::expr::Expr;
use crate::sql::plan::{Access, SelectPlan, SortKey, Source};
use crate::sql::types::DataType;

/// Drops the sort of `plan` when the table can be read in ORDER BY order.
pub fn read_in_order(plan: &mut SelectPlan) {
    if plan.order_by.is_empty()
        || plan.grouping.is_some()
        || !plan.windows.is_empty()
        || plan.distinct
        || !plan.distinct_on.is_empty()
        || plan.with_ties
    {
        return;
    }
    let Source::Table { table, access } = &mut plan.source else { return };
    let Some((columns, backward)) = sort_columns(table, &plan.order_by) else { return };
    let ordered = |index_no: Option<u16>| {
        if backward { Access::Backward(index_no) } else { Access::Ordered(index_no) }
    };
    if !table.primary_key.is_empty() && follows(&columns, &table.primary_key, true) {
        // Primary-key reads come in key order already (backward: a reverse scan).
        match access {
            Access::Full => *access = ordered(None),
            Access::Point(_) if backward => {}
            _ if backward => return,
            Access::Point(_) | Access::Range { index_no: None, .. } => {}
            _ => return,
        }
        plan.order_by.clear();
        return;
    }
    // Through a secondary index: one random read per row, worth it only to stop early.
    if plan.limit.is_none() || *access != Access::Full {
        return;
    }
    let not_null = |columns: &[usize]| {
        columns.iter().all(|&c| table.columns.get(c).is_some_and(|c| c.not_null))
    };
    // Each candidate with the key order of its entries: a unique one's values (only when
    // they cannot be NULL: unique entries leave such rows out), or the values followed by
    // the primary key.
    let mut candidates: Vec<(u16, Vec<usize>, bool)> = Vec::new();
    for index in &table.indexes {
        if index.unique {
            if not_null(&index.columns) {
                candidates.push((index.index_no, index.columns.clone(), true));
            }
        } else {
            let mut key = index.columns.clone();
            key.extend(&table.primary_key);
            candidates.push((index.index_no, key, !table.primary_key.is_empty()));
        }
    }
    for unique in &table.uniques {
        if not_null(&unique.columns) {
            candidates.push((unique.index_no, unique.columns.clone(), true));
        }
    }
    for (index_no, key, unique) in candidates {
        if follows(&columns, &key, unique) {
            *access = ordered(Some(index_no));
            plan.order_by.clear();
            return;
        }
    }
}

/// Whether rows in `key` order are in `order` order: `order` is a prefix of `key`, or
/// starts with all of a unique `key` (which leaves nothing for later columns to order).
fn follows(order: &[usize], key: &[usize], unique: bool) -> bool {
    if order.len() <= key.len() {
        return key.get(..order.len()) == Some(order);
    }
    unique && order.get(..key.len()) == Some(key)
}

/// The table columns ORDER BY sorts on, when every key is a plain column of a type whose keys
/// sort like its values, all ascending with NULLs last (key order) or all descending with
/// NULLs first (reverse key order: `true`).
fn sort_columns(table: &TableDef, order_by: &[SortKey]) -> Option<(Vec<usize>, bool)> {
    let backward = order_by.first()?.descending;
    let columns = order_by
        .iter()
        .map(|key| match key.expr {
            Expr::Column(c)
                if key.descending == backward
                    && key.nulls_first == backward
                    && table.columns.get(c).is_some_and(|col| key_ordered(&col.ty)) =>
            {
                Some(c)
            }
            _ => None,
        })
        .collect::<Option<Vec<usize>>>()?;
    Some((columns, backward))
}

fn key_ordered(ty: &DataType) -> bool {
    matches!(
        ty,
        DataType::Bool
            | DataType::Int2
            | DataType::Int4
            | DataType::Int8
            | DataType::Numeric { .. }
            | DataType::Text
            | DataType::Varchar(_)
            | DataType::Date
            | DataType::Timestamp
            | DataType::Timestamptz
            | DataType::Uuid
    )
}
