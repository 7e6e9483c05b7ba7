//! `pg_get_indexdef` and `pg_get_constraintdef`: the SQL text of an index or constraint,
//! found by OID in the catalog as the statement's transaction sees it. psql's `\d table`
//! prints its "Indexes:" and "Check constraints:" footers from these.

use super::index_oid;
use crate::sql::catalog::{self, TableDef};
use crate::sql::error::SqlError;
use crate::txn::Transaction;

/// Every index of a table as (index number, name, columns, unique).
fn table_indexes(table: &TableDef) -> Vec<(u16, String, Vec<usize>, bool)> {
    let mut out = Vec::new();
    if let Some(pk) = &table.primary_key_name
        && !table.primary_key.is_empty()
    {
        out.push((0, pk.clone(), table.primary_key.clone(), true));
    }
    for unique in &table.uniques {
        out.push((unique.index_no, unique.name.clone(), unique.columns.clone(), true));
    }
    for index in &table.indexes {
        out.push((index.index_no, index.name.clone(), index.columns.clone(), index.unique));
    }
    out
}

fn column_list(table: &TableDef, columns: &[usize]) -> String {
    columns
        .iter()
        .filter_map(|&c| table.columns.get(c))
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `CREATE [UNIQUE] INDEX name ON public.table USING btree (cols)` for index `oid`.
pub fn index_definition(txn: &mut Transaction, oid: u32) -> Result<Option<String>, SqlError> {
    for table in catalog::list_tables(txn)? {
        for (index_no, name, columns, unique) in table_indexes(&table) {
            if index_oid(&table, index_no) == oid {
                return Ok(Some(format!(
                    "CREATE {}INDEX {name} ON public.{} USING btree ({})",
                    if unique { "UNIQUE " } else { "" },
                    table.name,
                    column_list(&table, &columns)
                )));
            }
        }
    }
    Ok(None)
}

/// `PRIMARY KEY (cols)`, `UNIQUE (cols)` or `CHECK ((expr))` for constraint `oid`.
pub fn constraint_definition(txn: &mut Transaction, oid: u32) -> Result<Option<String>, SqlError> {
    for table in catalog::list_tables(txn)? {
        if let Some(pk) = (!table.primary_key.is_empty()).then_some(&table.primary_key)
            && index_oid(&table, 0) == oid
        {
            return Ok(Some(format!("PRIMARY KEY ({})", column_list(&table, pk))));
        }
        for unique in &table.uniques {
            if index_oid(&table, unique.index_no) == oid {
                return Ok(Some(format!("UNIQUE ({})", column_list(&table, &unique.columns))));
            }
        }
        for (i, check) in table.checks.iter().enumerate() {
            if index_oid(&table, 32u16.saturating_add(u16::try_from(i).unwrap_or(0))) == oid {
                return Ok(Some(format!("CHECK (({}))", check.expr)));
            }
        }
    }
    Ok(None)
}

/// The name of key column `column` (1-based) of index `oid`: what
/// `pg_get_indexdef(oid, column, pretty)` returns for a column number above zero.
pub fn index_column_definition(
    txn: &mut Transaction,
    oid: u32,
    column: usize,
) -> Result<Option<String>, SqlError> {
    for table in catalog::list_tables(txn)? {
        for (index_no, _, columns, _) in table_indexes(&table) {
            if index_oid(&table, index_no) == oid {
                let position = column.checked_sub(1).and_then(|i| columns.get(i));
                return Ok(position
                    .and_then(|&c| table.columns.get(c))
                    .map(|c| c.name.clone())
                    .or_else(|| Some(String::new())));
            }
        }
    }
    Ok(None)
}
