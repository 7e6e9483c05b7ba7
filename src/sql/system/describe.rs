//! `pg_get_indexdef`, `pg_get_constraintdef` and `pg_get_viewdef`: the SQL text of an
//! index, constraint or view, found by OID in the catalog as the statement's transaction
//! sees it. psql's `\d table` prints its "Indexes:" and "Check constraints:" footers from
//! these, `\d+ view` its "View definition:".

use super::index_oid;
use crate::sql::catalog::{self, TableDef, ViewDef};
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
    let schemas = catalog::list_schemas(txn)?;
    for table in catalog::list_tables(txn)? {
        for (index_no, name, columns, unique) in table_indexes(&table) {
            if index_oid(&table, index_no) == oid {
                let (schema, bare) = catalog::split_key(&table.name, &schemas);
                let index = catalog::split_key(&name, &schemas).1;
                return Ok(Some(format!(
                    "CREATE {}INDEX {index} ON {schema}.{bare} USING btree ({})",
                    if unique { "UNIQUE " } else { "" },
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
        for (i, fk) in table.foreign_keys.iter().enumerate() {
            if super::foreign_key_oid(&table, i) == oid {
                let referenced = catalog::get_table(txn, &fk.referenced_table)?;
                return Ok(Some(super::foreign_key_definition(&table, fk, referenced.as_ref())));
            }
        }
    }
    Ok(None)
}

/// The view with PostgreSQL OID `oid`.
pub fn view_by_oid(txn: &mut Transaction, oid: u32) -> Result<Option<ViewDef>, SqlError> {
    Ok(catalog::list_views(txn)?.into_iter().find(|v| v.oid() == oid))
}

/// A view's definition as `pg_get_viewdef` shows it: the query text, ending in `;`.
pub fn view_definition(view: &ViewDef) -> String {
    format!(" {};", view.query)
}

/// The OID of the table, view, sequence or index a text name (`'t'`, `'public."T"'`) names,
/// or 42P01.
pub fn relation_oid(txn: &mut Transaction, text: &str, path: &[String]) -> Result<u32, SqlError> {
    let parts = crate::sql::sequences::name_parts(text)?;
    let name = crate::sql::binder::resolve_text(txn, text, path)?;
    if let Some(table) = catalog::get_table(txn, &name)? {
        return Ok(table.oid());
    }
    if let Some(view) = catalog::get_view(txn, &name)? {
        return Ok(view.oid());
    }
    if let Some(sequence) = catalog::get_sequence(txn, &name)? {
        return Ok(sequence.oid());
    }
    for table in catalog::list_tables(txn)? {
        for (index_no, index_name, ..) in table_indexes(&table) {
            if index_name == name {
                return Ok(index_oid(&table, index_no));
            }
        }
    }
    Err(SqlError::new(
        crate::sql::error::sqlstate::UNDEFINED_TABLE,
        format!("relation \"{}\" does not exist", parts.join(".")),
    ))
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

/// The name of the relation with OID `oid` (what `oid::regclass` prints), if there is one.
pub fn relation_name(txn: &mut Transaction, oid: u32) -> Result<Option<String>, SqlError> {
    for table in catalog::list_tables(txn)? {
        if table.oid() == oid {
            return Ok(Some(table.name));
        }
        for (index_no, index_name, ..) in table_indexes(&table) {
            if index_oid(&table, index_no) == oid {
                return Ok(Some(index_name));
            }
        }
    }
    if let Some(view) = catalog::list_views(txn)?.into_iter().find(|v| v.oid() == oid) {
        return Ok(Some(view.name));
    }
    Ok(catalog::list_sequences(txn)?.into_iter().find(|s| s.oid() == oid).map(|s| s.name))
}
