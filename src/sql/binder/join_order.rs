//! Join order for comma lists and chains of inner joins: `FROM t1, t2, ..., tn WHERE ...`.
//!
//! Written order is a poor plan when neighbouring tables are unrelated (`FROM a, b, c WHERE
//! a.x = c.y AND b.z = c.w` joins `a × b` first, a cross product). Inner joins commute, so
//! the items are re-ordered greedily: start with an item a WHERE condition restricts on its
//! own (`a12 = 9`), then repeatedly add an item that an equality links to the items already
//! joined, and only when none is linked, the next one in written order. The WHERE conditions
//! are then pushed into the new join tree (hash-join keys, filters on single tables, primary
//! key point reads) and the result is projected back to the written column order, so the
//! rest of the query does not see the change.
//!
//! Conditions with subqueries stay above the join, evaluated on rows in written order (a
//! correlated subquery refers to columns by their written positions).

use super::query::{and_all, columns_of, conjuncts, has_volatile, map_columns, push_where};
use crate::sql::expr::Expr;
use crate::sql::plan::{Join, JoinKind, SelectPlan, Source};
use crate::sql::session::Column;
use crate::sql::types::DataType;

/// One item of an inner-join chain: its rows and width.
struct Item {
    source: Source,
    width: usize,
}

/// Plans `source` (a join) under `filter` over its rows; returns the new source and what is
/// left of the filter. `columns` describe the rows (written order).
pub fn plan_inner_joins(
    source: Source,
    filter: Expr,
    types: &[DataType],
    columns: &[Column],
    names: &[(Option<String>, String)],
) -> (Source, Option<Expr>) {
    let mut items = Vec::new();
    let source = match split_chain(source, &mut items) {
        Ok(()) if items.len() >= 3 => None,
        Ok(()) => Some(rebuild(std::mem::take(&mut items))),
        Err(source) => Some(*source),
    };
    if let Some(source) = source {
        return push_all(source, &filter, types);
    }
    // Offsets of each item's columns in the written row.
    let mut offsets = Vec::with_capacity(items.len());
    let mut total = 0;
    for item in &items {
        offsets.push(total);
        total += item.width;
    }
    let item_of = |column: usize| offsets.iter().rposition(|&o| o <= column).unwrap_or(0);
    let parts: Vec<Expr> = conjuncts(&filter).into_iter().cloned().collect();
    let (movable, fixed): (Vec<Expr>, Vec<Expr>) =
        parts.into_iter().partition(|p| !has_subquery(p) && !has_volatile(p));
    let links: Vec<Vec<usize>> = movable
        .iter()
        .map(|p| {
            let mut refs: Vec<usize> = columns_of(p).into_iter().map(item_of).collect();
            refs.sort_unstable();
            refs.dedup();
            refs
        })
        .collect();
    let order = greedy_order(items.len(), &movable, &links);

    // New layout: items in `order`; where each written column lands.
    let mut new_position = vec![0usize; total];
    let mut next = 0;
    for &i in &order {
        let (start, width) =
            (offsets.get(i).copied().unwrap_or(0), items.get(i).map_or(0, |t| t.width));
        for c in 0..width {
            if let Some(slot) = new_position.get_mut(start + c) {
                *slot = next + c;
            }
        }
        next += width;
    }
    let mut slots: Vec<Option<Item>> = items.into_iter().map(Some).collect();
    let reordered: Vec<Item> = order.iter().filter_map(|&i| slots.get_mut(i)?.take()).collect();
    let joined = rebuild(reordered);
    let new_types: Vec<DataType> = {
        let mut t = vec![DataType::Unknown; total];
        for (old, &new) in new_position.iter().enumerate() {
            if let (Some(slot), Some(ty)) = (t.get_mut(new), types.get(old)) {
                *slot = ty.clone();
            }
        }
        t
    };
    let remap = |mut e: Expr| {
        map_columns(&mut e, &|c| new_position.get(c).copied().unwrap_or(c));
        e
    };
    let inner_filter = and_all(movable.into_iter().map(remap).collect());
    let (joined, rest) = match inner_filter {
        Some(f) => push_all(joined, &f, &new_types),
        None => (joined, None),
    };
    // Back to written column order.
    let projection = new_position.iter().map(|&p| Expr::Column(p)).collect();
    let mut inner = SelectPlan::new(joined, projection, columns.to_vec());
    inner.filter = rest;
    // Column names in the new layout (for EXPLAIN).
    let mut reordered_names = vec![(None, String::new()); total];
    for (old, &new) in new_position.iter().enumerate() {
        if let (Some(slot), Some(name)) = (reordered_names.get_mut(new), names.get(old)) {
            *slot = name.clone();
        }
    }
    inner.input_names = reordered_names.into();
    (Source::Query(Box::new(inner)), and_all(fixed))
}

/// Pushes every conjunct of `filter` into `source`; returns what could not be pushed.
fn push_all(mut source: Source, filter: &Expr, types: &[DataType]) -> (Source, Option<Expr>) {
    let mut remaining = Vec::new();
    for part in conjuncts(filter) {
        if let Some(rest) = push_where(&mut source, part.clone(), types) {
            remaining.push(rest);
        }
    }
    (source, and_all(remaining))
}

/// Splits a left-deep chain of plain inner joins (no keys, condition or merged columns yet:
/// comma lists and CROSS JOIN) into its items; gives the source back if it is not one.
fn split_chain(source: Source, items: &mut Vec<Item>) -> Result<(), Box<Source>> {
    match source {
        Source::Join(join)
            if join.kind == JoinKind::Inner
                && join.keys.is_empty()
                && join.condition.is_none()
                && join.merged.is_empty() =>
        {
            let Join { left, right, left_width, right_width, .. } = *join;
            let mut left_items = Vec::new();
            match split_chain(left, &mut left_items) {
                Ok(()) => items.extend(left_items),
                Err(left) => items.push(Item { source: *left, width: left_width }),
            }
            items.push(Item { source: right, width: right_width });
            Ok(())
        }
        other => Err(Box::new(other)),
    }
}

/// A left-deep chain of plain inner joins over `items`.
fn rebuild(items: Vec<Item>) -> Source {
    let mut iter = items.into_iter();
    let Some(first) = iter.next() else { return Source::Single };
    let (mut source, mut width) = (first.source, first.width);
    for item in iter {
        source = Source::Join(Box::new(Join {
            kind: JoinKind::Inner,
            left: source,
            right: item.source,
            left_width: width,
            right_width: item.width,
            keys: Vec::new(),
            condition: None,
            merged: Vec::new(),
            left_stats: Default::default(),
            right_stats: Default::default(),
        }));
        width += item.width;
    }
    source
}

/// The greedy order: an item with a condition of its own first, then items linked by an
/// equality to those already placed, else the next in written order.
fn greedy_order(count: usize, parts: &[Expr], links: &[Vec<usize>]) -> Vec<usize> {
    let restricted = |i: usize| {
        parts.iter().zip(links).any(|(p, refs)| refs.as_slice() == [i] && is_equality(p))
    };
    let first = (0..count).find(|&i| restricted(i)).unwrap_or(0);
    let mut order = vec![first];
    let mut placed = vec![false; count];
    if let Some(slot) = placed.get_mut(first) {
        *slot = true;
    }
    while order.len() < count {
        let linked = (0..count).find(|&j| {
            !placed.get(j).copied().unwrap_or(true)
                && parts.iter().zip(links).any(|(p, refs)| {
                    is_equality(p)
                        && refs.contains(&j)
                        && refs.len() >= 2
                        && refs.iter().all(|&r| r == j || placed.get(r).copied().unwrap_or(false))
                })
        });
        let next = linked
            .or_else(|| {
                (0..count).find(|&j| !placed.get(j).copied().unwrap_or(true) && restricted(j))
            })
            .or_else(|| (0..count).find(|&j| !placed.get(j).copied().unwrap_or(true)));
        let Some(next) = next else { break };
        if let Some(slot) = placed.get_mut(next) {
            *slot = true;
        }
        order.push(next);
    }
    order
}

fn is_equality(expr: &Expr) -> bool {
    matches!(expr, Expr::Binary(crate::sql::types::BinaryOp::Eq, _, _))
}

fn has_subquery(expr: &Expr) -> bool {
    let mut found = false;
    expr.walk(&mut |e| {
        if matches!(e, Expr::Subquery { .. } | Expr::Outer(_)) {
            found = true;
        }
    });
    found
}
