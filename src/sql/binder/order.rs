//! Reading in index order: a single-table query whose ORDER BY is the leading columns of the
//! primary key (or, with LIMIT, of an index), all ascending, reads the table in that order
//! and needs no sort, so LIMIT stops the read after the rows it wants (EXPLAIN shows
//! `Index Scan using <index>` and no `Sort`).
//!
//! Only where key order is exactly ORDER BY's order: ascending (NULLs sort last in keys, as
//! ASC wants), over types whose key encoding sorts as their values do. Descending order
//! still sorts (there are no backward scans).

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
    let Some(columns) = sort_columns(table, &plan.order_by) else { return };
    let on_primary_key = !table.primary_key.is_empty()
        && table.primary_key.get(..columns.len()) == Some(columns.as_slice());
    if on_primary_key {
        // Primary-key reads come in key order already.
        match access {
            Access::Full => *access = Access::Ordered(None),
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
    let covers_every_row = |index_columns: &[usize], unique: bool| {
        // Unique entries leave out rows with a NULL key column.
        !unique || index_columns.iter().all(|&c| table.columns.get(c).is_some_and(|c| c.not_null))
    };
    let candidates = table
        .indexes
        .iter()
        .map(|i| (i.index_no, &i.columns, i.unique))
        .chain(table.uniques.iter().map(|u| (u.index_no, &u.columns, true)));
    for (index_no, index_columns, unique) in candidates {
        if index_columns.get(..columns.len()) == Some(columns.as_slice())
            && covers_every_row(index_columns, unique)
        {
            *access = Access::Ordered(Some(index_no));
            plan.order_by.clear();
            return;
        }
    }
}

/// The table columns ORDER BY sorts on, when every key is a plain ascending column (NULLs
/// last) of a type whose keys sort like its values.
fn sort_columns(table: &TableDef, order_by: &[SortKey]) -> Option<Vec<usize>> {
    order_by
        .iter()
        .map(|key| match key.expr {
            Expr::Column(c)
                if !key.descending
                    && !key.nulls_first
                    && table.columns.get(c).is_some_and(|col| key_ordered(&col.ty)) =>
            {
                Some(c)
            }
            _ => None,
        })
        .collect()
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
