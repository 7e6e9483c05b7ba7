//! Data work of ALTER TABLE and CREATE / DROP INDEX: row rewrites, validation of existing
//! rows, building and removing index entries. All of it writes into the statement's
//! transaction (a row rewrite into fresh storage private to it), so a rolled-back DDL
//! statement leaves no trace.

use super::{
    RowIds, WriteOutcome, catalog, index_entry_key, row_key, scan_table, unique_key, validate_row,
    write_row,
};
use crate::sql::catalog::{IndexDef, TableDef};
use crate::sql::error::{SqlError, sqlstate};
use crate::sql::expr::{Env, truth};
use crate::sql::plan::AlterAction;
use crate::sql::types::Value;
use crate::txn::Transaction;
use bytes::Bytes;
use std::ops::Bound;
use std::sync::Arc;

/// Runs the data work of one ALTER TABLE step; `before` is the definition the rows follow,
/// `after` the one they must follow afterwards. The caller stores `after`.
pub fn run_alter(
    txn: &mut Transaction,
    before: &TableDef,
    after: &TableDef,
    action: &AlterAction,
    env: &Env,
    row_ids: RowIds<'_>,
) -> Result<(), SqlError> {
    match action {
        AlterAction::None => Ok(()),
        AlterAction::Rename { old_name } => {
            catalog::delete_table(txn, old_name);
            Ok(())
        }
        AlterAction::Rewrite { sources, defaults } => {
            rewrite(txn, before, after, sources, defaults, env, row_ids)
        }
        AlterAction::ValidateNotNull(column) => {
            let table = Arc::new(before.clone());
            for entry in scan_table(txn, &table)? {
                env.check_cancel()?;
                let (_, row) = entry?;
                if row.get(*column).is_none_or(Value::is_null) {
                    let name = before.columns.get(*column).map(|c| c.name.as_str()).unwrap_or("");
                    return Err(contains_nulls(&before.name, name));
                }
            }
            Ok(())
        }
        AlterAction::ValidateCheck { name, check } => {
            let table = Arc::new(before.clone());
            for entry in scan_table(txn, &table)? {
                env.check_cancel()?;
                let (_, row) = entry?;
                if truth(&check.eval(&row, env)?)? == Some(false) {
                    return Err(SqlError::new(
                        sqlstate::CHECK_VIOLATION,
                        format!(
                            "check constraint \"{name}\" of relation \"{}\" is violated by some row",
                            before.name
                        ),
                    )
                    .with_table(before.name.clone())
                    .with_constraint(name.clone()));
                }
            }
            Ok(())
        }
        AlterAction::ValidateForeignKey(name) => {
            super::foreign_keys::validate_foreign_key(txn, after, name, env)
        }
        AlterAction::BuildIndex(index_no) => {
            let index = find_index(after, *index_no)
                .ok_or_else(|| SqlError::internal("index to build is not in the table"))?;
            build_index(txn, after, &index, env)
        }
        AlterAction::DropIndex(index_no) => {
            drop_index_entries(txn, before, *index_no)?;
            Ok(())
        }
    }
}

fn contains_nulls(table: &str, column: &str) -> SqlError {
    SqlError::new(
        sqlstate::NOT_NULL_VIOLATION,
        format!("column \"{column}\" of relation \"{table}\" contains null values"),
    )
    .with_table(table.to_string())
    .with_column(column.to_string())
}

/// A unique constraint or secondary index of `table` by number, as an [`IndexDef`].
fn find_index(table: &TableDef, index_no: u16) -> Option<IndexDef> {
    if let Some(unique) = table.uniques.iter().find(|u| u.index_no == index_no) {
        return Some(IndexDef {
            name: unique.name.clone(),
            columns: unique.columns.clone(),
            index_no,
            unique: true,
        });
    }
    table.indexes.iter().find(|i| i.index_no == index_no).cloned()
}

fn duplicated(table: &TableDef, index: &str, columns: &[usize], row: &[Value]) -> SqlError {
    let names: Vec<&str> =
        columns.iter().filter_map(|&c| table.columns.get(c)).map(|c| c.name.as_str()).collect();
    let values: Vec<String> =
        columns.iter().map(|&c| row.get(c).map(Value::to_text).unwrap_or_default()).collect();
    SqlError::new(sqlstate::UNIQUE_VIOLATION, format!("could not create unique index \"{index}\""))
        .with_detail(format!("Key ({})=({}) is duplicated.", names.join(", "), values.join(", ")))
        .with_table(table.name.clone())
        .with_constraint(index.to_string())
}

/// Writes the entries of `index` for every existing row (unique ones checked: 23505).
pub fn build_index(
    txn: &mut Transaction,
    table: &TableDef,
    index: &IndexDef,
    env: &Env,
) -> Result<(), SqlError> {
    let arc = Arc::new(table.clone());
    for entry in scan_table(txn, &arc)? {
        env.check_cancel()?;
        let (key, row) = entry?;
        let entry = if index.unique {
            let values: Vec<&Value> =
                index.columns.iter().map(|&c| row.get(c).unwrap_or(&Value::Null)).collect();
            if values.iter().any(|v| v.is_null()) {
                continue;
            }
            let entry = unique_key(table, index.index_no, &values);
            if txn.get(&entry)?.is_some() {
                return Err(duplicated(table, &index.name, &index.columns, &row));
            }
            entry
        } else {
            match index_entry_key(table, index, &row, &key) {
                Some(entry) => entry,
                None => continue,
            }
        };
        txn.put(entry, key.to_vec());
        txn.flush_private_if_large()?;
    }
    Ok(())
}

/// Deletes every entry of one unique constraint or index.
pub fn drop_index_entries(
    txn: &mut Transaction,
    table: &TableDef,
    index_no: u16,
) -> Result<(), SqlError> {
    let prefix = table.unique_prefix(index_no);
    let end =
        catalog::prefix_end(&prefix).map_or(Bound::Unbounded, |e| Bound::Excluded(Bytes::from(e)));
    let keys: Vec<Bytes> = txn
        .scan(Bound::Included(Bytes::from(prefix)), end)?
        .map(|entry| entry.map(|(key, _)| key))
        .collect::<Result<_, _>>()?;
    for key in keys {
        txn.delete(key);
    }
    Ok(())
}

/// Rebuilds every row of `before` as a row of `after` (new keys, new index entries).
fn rewrite(
    txn: &mut Transaction,
    before: &TableDef,
    after: &TableDef,
    sources: &[Option<usize>],
    defaults: &[Option<crate::sql::expr::Expr>],
    env: &Env,
    row_ids: RowIds<'_>,
) -> Result<(), SqlError> {
    // `after` has fresh storage (see `Session::alter_table`): rows stream from the old
    // storage into it, and the old storage is discarded when the transaction commits.
    let arc = Arc::new(before.clone());
    for entry in scan_table(txn, &arc)? {
        env.check_cancel()?;
        let (old_key, old_row) = entry?;
        let mut row = Vec::with_capacity(sources.len());
        for (i, source) in sources.iter().enumerate() {
            let value = match source {
                Some(j) => old_row.get(*j).cloned().unwrap_or(Value::Null),
                None => match defaults.get(i).and_then(Option::as_ref) {
                    Some(default) => default.eval(&[], env)?,
                    None => Value::Null,
                },
            };
            row.push(value);
        }
        let row = validate_row(after, row, &[], env).map_err(|err| {
            if err.code == sqlstate::NOT_NULL_VIOLATION {
                contains_nulls(&after.name, err.column.as_deref().unwrap_or(""))
            } else {
                err
            }
        })?;
        let key = if !after.primary_key.is_empty() {
            row_key(after, &row, None)
        } else if before.primary_key.is_empty() {
            // Same hidden row id, under the new storage.
            let mut key = after.row_prefix();
            key.extend_from_slice(old_key.get(before.row_prefix().len()..).unwrap_or_default());
            key
        } else {
            row_key(after, &row, Some(row_ids(after)?))
        };
        match write_row(txn, after, row.clone(), key, None)? {
            WriteOutcome::Written(_) => {}
            WriteOutcome::Conflict { constraint, .. } => {
                let columns = if after.primary_key_name.as_deref() == Some(constraint.as_str()) {
                    after.primary_key.clone()
                } else {
                    find_named(after, &constraint)
                };
                return Err(duplicated(after, &constraint, &columns, &row));
            }
        }
    }
    Ok(())
}

fn find_named(table: &TableDef, name: &str) -> Vec<usize> {
    table
        .uniques
        .iter()
        .find(|u| u.name == name)
        .map(|u| u.columns.clone())
        .or_else(|| table.indexes.iter().find(|i| i.name == name).map(|i| i.columns.clone()))
        .unwrap_or_default()
}
