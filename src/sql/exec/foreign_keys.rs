//! Foreign-key enforcement for one statement.
//!
//! Referencing side: a row written to a table with foreign keys must find the row it
//! references. The check runs at the end of the statement (PostgreSQL's foreign keys are
//! AFTER triggers), so one INSERT may add a parent and its child in either order.
//!
//! Referenced side: when a row is deleted, or its referenced key updated, the rows that
//! reference it are found (through an index when the referencing table has one on the key)
//! and the constraint's action applies: RESTRICT fails at once; NO ACTION fails at the end
//! of the statement if referencing rows remain and no row with that key exists again;
//! CASCADE deletes them or moves their key; SET NULL / SET DEFAULT rewrite them (and their
//! own foreign keys and references are enforced in turn).
//!
//! Every lookup reads through the statement's transaction, so under SERIALIZABLE a
//! concurrent change to a checked row makes one of the transactions fail with 40001.
//!
//! Depends on: `sql::catalog`, `sql::binder` (access paths, rules of cascaded tables).

use super::{
    Row, WriteOutcome, read_rows, remove_row, row_key, unique_key, validate_row, write_row,
};
use crate::sql::catalog::{self, ForeignKeyDef, ReferentialAction, TableDef};
use crate::sql::error::{SqlError, sqlstate};
use crate::sql::expr::{Env, Expr, truth};
use crate::sql::types::{BinaryOp, Value};
use crate::txn::Transaction;
use std::collections::HashMap;
use std::sync::Arc;

/// Deepest chain of cascaded changes followed.
const MAX_CASCADE_DEPTH: usize = 1000;

/// A referencing row whose key must exist in the referenced table.
struct ChildCheck {
    table: Arc<TableDef>,
    fk: ForeignKeyDef,
    /// The referencing key values, in the constraint's column order.
    key: Vec<Value>,
}

/// A removed referenced key that NO ACTION requires to be unreferenced at statement end.
struct ParentCheck {
    parent: Arc<TableDef>,
    child: Arc<TableDef>,
    fk: ForeignKeyDef,
    /// The referenced key values, in the constraint's referenced-column order.
    key: Vec<Value>,
}

/// The foreign-key work of one statement.
#[derive(Default)]
pub struct ForeignKeys {
    child_checks: Vec<ChildCheck>,
    parent_checks: Vec<ParentCheck>,
    /// Per referenced table id: the tables (and their constraints) that reference it.
    referencing: HashMap<u32, Vec<(Arc<TableDef>, ForeignKeyDef)>>,
    depth: usize,
    cascaded: bool,
}

fn values_at(row: &[Value], columns: &[usize]) -> Vec<Value> {
    columns.iter().map(|&c| row.get(c).cloned().unwrap_or(Value::Null)).collect()
}

fn names(table: &TableDef, columns: &[usize]) -> String {
    columns
        .iter()
        .filter_map(|&c| table.columns.get(c))
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn texts(values: &[Value]) -> String {
    values
        .iter()
        .map(|v| if v.is_null() { "null".to_string() } else { v.to_text() })
        .collect::<Vec<_>>()
        .join(", ")
}

/// 23503 for a referencing row without its referenced row.
fn missing_parent(table: &TableDef, fk: &ForeignKeyDef, key: &[Value]) -> SqlError {
    SqlError::new(
        sqlstate::FOREIGN_KEY_VIOLATION,
        format!(
            "insert or update on table \"{}\" violates foreign key constraint \"{}\"",
            table.name, fk.name
        ),
    )
    .with_detail(format!(
        "Key ({})=({}) is not present in table \"{}\".",
        names(table, &fk.columns),
        texts(key),
        fk.referenced_table
    ))
    .with_table(table.name.clone())
    .with_constraint(fk.name.clone())
}

/// 23503 for a referenced row that is still referenced.
fn still_referenced(
    parent: &TableDef,
    child: &TableDef,
    fk: &ForeignKeyDef,
    key: &[Value],
) -> SqlError {
    SqlError::new(
        sqlstate::FOREIGN_KEY_VIOLATION,
        format!(
            "update or delete on table \"{}\" violates foreign key constraint \"{}\" on table \"{}\"",
            parent.name, fk.name, child.name
        ),
    )
    .with_detail(format!(
        "Key ({})=({}) is still referenced from table \"{}\".",
        names(parent, &fk.referenced_columns),
        texts(key),
        child.name
    ))
    .with_table(child.name.clone())
    .with_constraint(fk.name.clone())
}

/// Whether table `referenced` holds a row whose `columns` equal `key`.
fn key_exists(
    txn: &mut Transaction,
    referenced: &TableDef,
    columns: &[usize],
    key: &[Value],
    env: &Env,
) -> Result<bool, SqlError> {
    let mut row = vec![Value::Null; referenced.columns.len()];
    for (&column, value) in columns.iter().zip(key) {
        let Some(ty) = referenced.columns.get(column).map(|c| &c.ty) else {
            return Ok(false);
        };
        // A value the referenced column cannot hold matches no row.
        let Ok(cast) = value.cast(ty, false) else {
            return Ok(false);
        };
        if let Some(slot) = row.get_mut(column) {
            *slot = cast;
        }
    }
    let lookup = match crate::sql::binder::unique_key_of(referenced, columns) {
        Some(0) => row_key(referenced, &row, None),
        Some(index_no) => {
            let index_columns = referenced
                .uniques
                .iter()
                .find(|u| u.index_no == index_no)
                .map(|u| u.columns.clone())
                .or_else(|| {
                    referenced
                        .indexes
                        .iter()
                        .find(|i| i.index_no == index_no)
                        .map(|i| i.columns.clone())
                })
                .unwrap_or_default();
            let values: Vec<&Value> =
                index_columns.iter().map(|&c| row.get(c).unwrap_or(&Value::Null)).collect();
            unique_key(referenced, index_no, &values)
        }
        // The unique key was dropped: fall back to a scan.
        None => {
            let table = Arc::new(referenced.clone());
            return Ok(!matching(txn, &table, columns, key, env)?.is_empty());
        }
    };
    Ok(txn.get(&lookup)?.is_some())
}

/// Rows of `table` whose `columns` equal `key` (with their keys).
fn matching(
    txn: &mut Transaction,
    table: &Arc<TableDef>,
    columns: &[usize],
    key: &[Value],
    env: &Env,
) -> Result<Vec<(bytes::Bytes, Row)>, SqlError> {
    let mut filter: Option<Expr> = None;
    for (&column, value) in columns.iter().zip(key) {
        let Some(ty) = table.columns.get(column).map(|c| &c.ty) else {
            return Ok(Vec::new());
        };
        let Ok(cast) = value.cast(ty, false) else {
            return Ok(Vec::new());
        };
        let part = Expr::Binary(
            BinaryOp::Eq,
            Box::new(Expr::Column(column)),
            Box::new(Expr::Literal(cast)),
        );
        filter = Some(match filter {
            Some(f) => Expr::And(Box::new(f), Box::new(part)),
            None => part,
        });
    }
    let Some(filter) = filter else {
        return Ok(Vec::new());
    };
    let access = crate::sql::binder::choose_access(table, &filter);
    let mut out = Vec::new();
    for entry in read_rows(txn, table, &access, env)? {
        let (row_key, row) = entry?;
        if truth(&filter.eval(&row, env)?)? == Some(true) {
            out.push((row_key, row));
        }
    }
    Ok(out)
}

impl ForeignKeys {
    /// Whether a cascade has changed rows besides the statement's own.
    pub fn cascaded(&self) -> bool {
        self.cascaded
    }

    /// A row was written to `table` (`old`: the row it replaced, for UPDATE): its foreign
    /// keys are checked at the end of the statement, unless the key did not change.
    pub fn row_written(&mut self, table: &Arc<TableDef>, old: Option<&Row>, new: &Row) {
        for fk in &table.foreign_keys {
            let key = values_at(new, &fk.columns);
            if key.iter().any(Value::is_null) {
                continue;
            }
            if old.is_some_and(|old| values_at(old, &fk.columns) == key) {
                continue;
            }
            self.child_checks.push(ChildCheck { table: table.clone(), fk: fk.clone(), key });
        }
    }

    /// The tables with foreign keys to `table`, read once per statement.
    fn referencing(
        &mut self,
        txn: &mut Transaction,
        table: &TableDef,
    ) -> Result<Vec<(Arc<TableDef>, ForeignKeyDef)>, SqlError> {
        if let Some(found) = self.referencing.get(&table.id) {
            return Ok(found.clone());
        }
        let mut found = Vec::new();
        for child_name in catalog::referencing_tables(txn, table.id)? {
            let Some(child) = catalog::get_table(txn, &child_name)? else { continue };
            let child = Arc::new(child);
            for fk in child.foreign_keys.iter().filter(|f| f.referenced_id == table.id) {
                found.push((child.clone(), fk.clone()));
            }
        }
        self.referencing.insert(table.id, found.clone());
        Ok(found)
    }

    /// Whether any unique key column of `table` differs between the rows (only then can a
    /// referenced key have changed).
    fn key_columns_changed(table: &TableDef, old: &Row, new: &Row) -> bool {
        let keys = std::iter::once(&table.primary_key)
            .chain(table.uniques.iter().map(|u| &u.columns))
            .chain(table.indexes.iter().filter(|i| i.unique).map(|i| &i.columns));
        keys.flatten().any(|&c| old.get(c) != new.get(c))
    }

    /// A row of `table` was deleted.
    pub fn row_deleted(
        &mut self,
        txn: &mut Transaction,
        table: &Arc<TableDef>,
        old: &Row,
        env: &Env,
    ) -> Result<(), SqlError> {
        self.referenced_row_changed(txn, table, old, None, env)
    }

    /// A row of `table` was updated from `old` to `new`.
    pub fn row_updated(
        &mut self,
        txn: &mut Transaction,
        table: &Arc<TableDef>,
        old: &Row,
        new: &Row,
        env: &Env,
    ) -> Result<(), SqlError> {
        if !Self::key_columns_changed(table, old, new) {
            return Ok(());
        }
        self.referenced_row_changed(txn, table, old, Some(new), env)
    }

    /// Applies the actions of the constraints referencing `table` to the rows that
    /// referenced `old` (deleted when `new` is None).
    fn referenced_row_changed(
        &mut self,
        txn: &mut Transaction,
        table: &Arc<TableDef>,
        old: &Row,
        new: Option<&Row>,
        env: &Env,
    ) -> Result<(), SqlError> {
        let referencing = self.referencing(txn, table)?;
        for (child, fk) in referencing {
            let key = values_at(old, &fk.referenced_columns);
            if key.iter().any(Value::is_null) {
                continue;
            }
            let new_key = new.map(|new| values_at(new, &fk.referenced_columns));
            if new_key.as_ref() == Some(&key) {
                continue;
            }
            // A self-referencing table is read again: earlier rows may have changed it.
            let child = if child.id == table.id { table.clone() } else { child };
            let action = if new.is_some() { fk.on_update } else { fk.on_delete };
            match action {
                ReferentialAction::NoAction => {
                    self.parent_checks.push(ParentCheck { parent: table.clone(), child, fk, key });
                }
                ReferentialAction::Restrict => {
                    if !matching(txn, &child, &fk.columns, &key, env)?.is_empty() {
                        return Err(still_referenced(table, &child, &fk, &key));
                    }
                }
                ReferentialAction::Cascade
                | ReferentialAction::SetNull
                | ReferentialAction::SetDefault => {
                    self.depth += 1;
                    if self.depth > MAX_CASCADE_DEPTH {
                        return Err(SqlError::new("54001", "foreign key actions nest too deeply"));
                    }
                    let result =
                        self.apply(txn, &child, &fk, action, &key, new_key.as_deref(), env);
                    self.depth -= 1;
                    result?;
                }
            }
        }
        Ok(())
    }

    /// CASCADE / SET NULL / SET DEFAULT on the rows of `child` that reference `key`.
    #[allow(clippy::too_many_arguments)]
    fn apply(
        &mut self,
        txn: &mut Transaction,
        child: &Arc<TableDef>,
        fk: &ForeignKeyDef,
        action: ReferentialAction,
        key: &[Value],
        new_key: Option<&[Value]>,
        env: &Env,
    ) -> Result<(), SqlError> {
        let rows = matching(txn, child, &fk.columns, key, env)?;
        if rows.is_empty() {
            return Ok(());
        }
        self.cascaded = true;
        if action == ReferentialAction::Cascade && new_key.is_none() {
            for (row_key, row) in rows {
                remove_row(txn, child, &row_key, &row);
                self.row_deleted(txn, child, &row, env)?;
            }
            return Ok(());
        }
        let (defaults, checks) = crate::sql::binder::write_rules(txn, child)?;
        for (row_key, old_row) in rows {
            let mut row = old_row.clone();
            for (i, &column) in fk.columns.iter().enumerate() {
                let value = match action {
                    ReferentialAction::Cascade => {
                        new_key.and_then(|k| k.get(i)).cloned().unwrap_or(Value::Null)
                    }
                    ReferentialAction::SetDefault => {
                        match defaults.get(column).and_then(Option::as_ref) {
                            Some(default) => default.eval(&[], env)?,
                            None => Value::Null,
                        }
                    }
                    _ => Value::Null,
                };
                if let Some(slot) = row.get_mut(column) {
                    *slot = value;
                }
            }
            let row = validate_row(child, row, &checks, env)?;
            let new_row_key = if child.primary_key.is_empty() {
                row_key.to_vec()
            } else {
                super::row_key(child, &row, None)
            };
            match write_row(txn, child, row, new_row_key, Some((&row_key, &old_row)))? {
                WriteOutcome::Written(row) => {
                    // SET DEFAULT may set the very key being removed: always checked.
                    let old = (action != ReferentialAction::SetDefault).then_some(&old_row);
                    self.row_written(child, old, &row);
                    self.row_updated(txn, child, &old_row, &row, env)?;
                }
                WriteOutcome::Conflict { constraint, detail, .. } => {
                    return Err(super::unique_violation(child, constraint, detail));
                }
            }
        }
        Ok(())
    }

    /// The end of the statement: every written referencing row must find its referenced
    /// row, and NO ACTION keys must be unreferenced (or exist again).
    pub fn finish(&mut self, txn: &mut Transaction, env: &Env) -> Result<(), SqlError> {
        for check in std::mem::take(&mut self.child_checks) {
            env.check_cancel()?;
            let referenced = if check.fk.referenced_id == check.table.id {
                catalog::get_table(txn, &check.table.name)?
            } else {
                catalog::get_table(txn, &check.fk.referenced_table)?
            };
            let Some(referenced) = referenced else {
                return Err(missing_parent(&check.table, &check.fk, &check.key));
            };
            // The row may have been changed again later in the statement.
            if !key_exists(txn, &referenced, &check.fk.referenced_columns, &check.key, env)? {
                let table = Arc::clone(&check.table);
                if matching(txn, &table, &check.fk.columns, &check.key, env)?.is_empty() {
                    continue;
                }
                return Err(missing_parent(&check.table, &check.fk, &check.key));
            }
        }
        for check in std::mem::take(&mut self.parent_checks) {
            env.check_cancel()?;
            if key_exists(txn, &check.parent, &check.fk.referenced_columns, &check.key, env)? {
                continue;
            }
            let child = catalog::get_table(txn, &check.child.name)?.map(Arc::new);
            let Some(child) = child else { continue };
            if !matching(txn, &child, &check.fk.columns, &check.key, env)?.is_empty() {
                return Err(still_referenced(&check.parent, &child, &check.fk, &check.key));
            }
        }
        Ok(())
    }
}

/// ALTER TABLE ADD FOREIGN KEY: every existing row of `table` must reference a row.
pub fn validate_foreign_key(
    txn: &mut Transaction,
    table: &TableDef,
    name: &str,
    env: &Env,
) -> Result<(), SqlError> {
    let Some(fk) = table.foreign_keys.iter().find(|f| f.name == name) else {
        return Ok(());
    };
    let referenced = if fk.referenced_id == table.id {
        table.clone()
    } else {
        catalog::require_table(txn, &fk.referenced_table)?
    };
    let arc = Arc::new(table.clone());
    let rows: Vec<(bytes::Bytes, Row)> = super::scan_table(txn, &arc)?.collect::<Result<_, _>>()?;
    for (_, row) in rows {
        env.check_cancel()?;
        let key = values_at(&row, &fk.columns);
        if key.iter().any(Value::is_null) {
            continue;
        }
        if !key_exists(txn, &referenced, &fk.referenced_columns, &key, env)? {
            return Err(missing_parent(table, fk, &key));
        }
    }
    Ok(())
}
