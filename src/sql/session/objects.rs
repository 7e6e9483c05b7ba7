//! Running DDL on views and sequences, and DROP TABLE: the catalog writes (in the
//! statement's transaction) and the dependency rules between objects. A view depends on the
//! tables and views its query reads; a column default depends on the sequence it draws
//! from; a sequence OWNED BY a column goes with its table. Dropping an object others depend
//! on fails with 2BP01 unless CASCADE, which drops the dependents too (with a NOTICE).
//!
//! Depends on: `sql::catalog`, `sql::exec`, `sql::database`.

use super::{Outcome, Session, allocate_object_id};
use crate::sql::catalog::{self, SequenceDef, TableDef, ViewDef};
use crate::sql::error::{SqlError, sqlstate};
use crate::sql::exec;
use crate::sql::parser::AlterSequence;
use crate::txn::Transaction;

/// An object that another depends on, or that depends on another.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Object {
    Table(u32, String),
    View(u32, String),
    /// A foreign key: (table id, table name, constraint name).
    ForeignKey(u32, String, String),
    Sequence(u32, String),
}

impl Object {
    fn id(&self) -> u32 {
        match self {
            Object::Table(id, _)
            | Object::View(id, _)
            | Object::ForeignKey(id, ..)
            | Object::Sequence(id, _) => *id,
        }
    }

    /// How PostgreSQL names the object in dependency messages: `table t`, `view v`.
    fn describe(&self) -> String {
        match self {
            Object::Table(_, name) => format!("table {name}"),
            Object::View(_, name) => format!("view {name}"),
            Object::ForeignKey(_, table, name) => format!("constraint {name} on table {table}"),
            Object::Sequence(_, name) => format!("sequence {name}"),
        }
    }
}

/// The objects that depend on `roots` (directly or through each other), each with the
/// object it depends on, depth first in creation order (PostgreSQL's report order).
/// Objects in `roots` themselves are not listed.
pub(super) fn dependents(
    txn: &mut Transaction,
    roots: &[Object],
) -> Result<Vec<(Object, Object)>, SqlError> {
    let mut views = catalog::list_views(txn)?;
    views.sort_by_key(|v| v.id);
    let mut seen: Vec<u32> = roots.iter().map(Object::id).collect();
    let mut out = Vec::new();
    fn visit(
        node: &Object,
        views: &[ViewDef],
        seen: &mut Vec<u32>,
        out: &mut Vec<(Object, Object)>,
    ) {
        let children: Vec<Object> = views
            .iter()
            .filter(|v| v.depends_on.contains(&node.id()) && !seen.contains(&v.id))
            .map(|v| Object::View(v.id, v.name.clone()))
            .collect();
        seen.extend(children.iter().map(Object::id));
        for child in children {
            out.push((child.clone(), node.clone()));
            visit(&child, views, seen, out);
        }
    }
    for root in roots {
        // Foreign keys of other tables that reference a dropped table.
        if let Object::Table(id, _) = root {
            let mut children = Vec::new();
            for child_name in catalog::referencing_tables(txn, *id)? {
                if let Some(child) = catalog::get_table(txn, &child_name)? {
                    children.push(child);
                }
            }
            children.sort_by_key(|c| c.id);
            for child in children {
                if roots.iter().any(|r| matches!(r, Object::Table(i, _) if *i == child.id)) {
                    continue;
                }
                for fk in child.foreign_keys.iter().filter(|f| f.referenced_id == *id) {
                    out.push((
                        Object::ForeignKey(child.id, child.name.clone(), fk.name.clone()),
                        root.clone(),
                    ));
                }
            }
        }
        visit(root, &views, &mut seen, &mut out);
    }
    Ok(out)
}

/// 2BP01 for dropping `roots` while `dependents` exist.
fn still_referenced(roots: &[Object], dependents: &[(Object, Object)]) -> SqlError {
    let message = match roots {
        [one] => {
            format!("cannot drop {} because other objects depend on it", one.describe())
        }
        _ => "cannot drop desired object(s) because other objects depend on them".to_string(),
    };
    let detail: Vec<String> = dependents
        .iter()
        .map(|(dependent, on)| format!("{} depends on {}", dependent.describe(), on.describe()))
        .collect();
    SqlError::new(sqlstate::DEPENDENT_OBJECTS_STILL_EXIST, message)
        .with_detail(detail.join("\n"))
        .with_hint("Use DROP ... CASCADE to drop the dependent objects too.")
}

/// The NOTICE CASCADE sends for the objects it drops as well.
fn cascade_notice(dependents: &[(Object, Object)]) -> SqlError {
    let lines: Vec<String> =
        dependents.iter().map(|(d, _)| format!("drop cascades to {}", d.describe())).collect();
    match lines.as_slice() {
        [one] => SqlError::new(sqlstate::SUCCESSFUL_COMPLETION, one.clone()),
        _ => SqlError::new(
            sqlstate::SUCCESSFUL_COMPLETION,
            format!("drop cascades to {} other objects", lines.len()),
        )
        .with_detail(lines.join("\n")),
    }
}

/// `tag`, with notices if there are any.
fn done(tag: &str, notices: Vec<SqlError>) -> Outcome {
    if notices.is_empty() {
        Outcome::Done(tag.to_string())
    } else {
        Outcome::DoneWithNotice { tag: tag.to_string(), notices }
    }
}

/// 42809 for naming an object of another kind in DROP: `"v" is not a table`.
fn wrong_kind(name: &str, wanted: &str, found: &str) -> SqlError {
    let hint = match found {
        "view" => "Use DROP VIEW to remove a view.",
        "sequence" => "Use DROP SEQUENCE to remove a sequence.",
        "index" => "Use DROP INDEX to remove an index.",
        _ => "Use DROP TABLE to remove a table.",
    };
    SqlError::new(sqlstate::WRONG_OBJECT_TYPE, format!("\"{name}\" is not a {wanted}"))
        .with_hint(hint)
}

/// The outcome of looking up an object to drop.
enum Lookup<T> {
    Found(T),
    /// Missing, and IF EXISTS: the notice.
    Skipped(SqlError),
}

fn find_for_drop<T>(
    txn: &mut Transaction,
    name: &str,
    kind: &str,
    if_exists: bool,
    get: fn(&mut Transaction, &str) -> Result<Option<T>, SqlError>,
) -> Result<Lookup<T>, SqlError> {
    if let Some(found) = get(txn, name)? {
        return Ok(Lookup::Found(found));
    }
    if let Some(other) = catalog::relation_kind(txn, name)? {
        return Err(wrong_kind(name, kind, other));
    }
    if if_exists {
        return Ok(Lookup::Skipped(SqlError::new(
            sqlstate::SUCCESSFUL_COMPLETION,
            format!("{kind} \"{name}\" does not exist, skipping"),
        )));
    }
    Err(SqlError::new(sqlstate::UNDEFINED_TABLE, format!("{kind} \"{name}\" does not exist")))
}

/// 42P07 unless `name` is free in the relation namespace.
pub(super) fn require_free_name(txn: &mut Transaction, name: &str) -> Result<(), SqlError> {
    if catalog::relation_kind(txn, name)?.is_some() {
        return Err(SqlError::new(
            sqlstate::DUPLICATE_TABLE,
            format!("relation \"{name}\" already exists"),
        ));
    }
    Ok(())
}

/// The sequence a column's identity or `nextval('...')` default draws from, if any.
pub(super) fn column_sequence(column: &catalog::ColumnDef) -> Option<String> {
    match (&column.identity, &column.default) {
        (
            Some(
                catalog::Generated::AlwaysIdentity { sequence }
                | catalog::Generated::DefaultIdentity { sequence },
            ),
            _,
        ) => Some(sequence.clone()),
        (None, Some(default)) => {
            let inner = default.strip_prefix("nextval('")?;
            let inner = inner.strip_suffix("')").or_else(|| inner.strip_suffix("'::regclass)"))?;
            crate::sql::sequences::name_parts(inner).ok()?.pop()
        }
        _ => None,
    }
}

impl Session {
    pub(super) fn create_sequence(
        &mut self,
        mut sequence: SequenceDef,
        if_not_exists: bool,
    ) -> Result<Outcome, SqlError> {
        let db = self.db.clone();
        let txn = self.txn()?;
        if let Err(err) = require_free_name(txn, &sequence.name) {
            if if_not_exists {
                let notice = SqlError::new(
                    sqlstate::DUPLICATE_TABLE,
                    format!("relation \"{}\" already exists, skipping", sequence.name),
                );
                return Ok(done("CREATE SEQUENCE", vec![notice]));
            }
            return Err(err);
        }
        sequence.id = allocate_object_id(&db)?;
        catalog::put_sequence(txn, &sequence)?;
        Ok(Outcome::Done("CREATE SEQUENCE".into()))
    }

    pub(super) fn alter_sequence(&mut self, alter: &AlterSequence) -> Result<Outcome, SqlError> {
        let db = self.db.clone();
        let path = self.search_path();
        let txn = self.txn()?;
        match crate::sql::binder::bind_alter_sequence(txn, &path, alter)? {
            None => {
                let name = crate::sql::binder::object_name(&alter.name)?;
                let notice = SqlError::new(
                    sqlstate::SUCCESSFUL_COMPLETION,
                    format!("relation \"{name}\" does not exist, skipping"),
                );
                Ok(done("ALTER SEQUENCE", vec![notice]))
            }
            Some((sequence, restart)) => {
                catalog::put_sequence(txn, &sequence)?;
                if let Some(value) = restart {
                    db.restart(&sequence, value)?;
                }
                Ok(Outcome::Done("ALTER SEQUENCE".into()))
            }
        }
    }

    pub(super) fn drop_sequences(
        &mut self,
        names: &[String],
        if_exists: bool,
        cascade: bool,
    ) -> Result<Outcome, SqlError> {
        let txn = self.txn()?;
        let mut notices = Vec::new();
        let mut found = Vec::new();
        for name in names {
            match find_for_drop(txn, name, "sequence", if_exists, catalog::get_sequence)? {
                Lookup::Found(sequence) => found.push(sequence),
                Lookup::Skipped(notice) => notices.push(notice),
            }
        }
        for sequence in &found {
            // Column defaults that draw from it.
            for mut table in catalog::list_tables(txn)? {
                let mut changed = false;
                for column in &mut table.columns {
                    if column_sequence(column).as_deref() != Some(sequence.name.as_str()) {
                        continue;
                    }
                    if column.identity.is_some() {
                        return Err(SqlError::new(
                            sqlstate::DEPENDENT_OBJECTS_STILL_EXIST,
                            format!(
                                "cannot drop sequence {} because column {} of table {} requires it",
                                sequence.name, column.name, table.name
                            ),
                        )
                        .with_hint(format!(
                            "You can drop column {} of table {} instead.",
                            column.name, table.name
                        )));
                    }
                    let what =
                        format!("default value for column {} of table {}", column.name, table.name);
                    if !cascade {
                        return Err(SqlError::new(
                            sqlstate::DEPENDENT_OBJECTS_STILL_EXIST,
                            format!(
                                "cannot drop sequence {} because other objects depend on it",
                                sequence.name
                            ),
                        )
                        .with_detail(format!("{what} depends on sequence {}", sequence.name))
                        .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
                    }
                    notices.push(SqlError::new(
                        sqlstate::SUCCESSFUL_COMPLETION,
                        format!("drop cascades to {what}"),
                    ));
                    column.default = None;
                    changed = true;
                }
                if changed {
                    catalog::put_table(txn, &table)?;
                }
            }
            // The allocator keeps its state: the DROP may still roll back (ids are never
            // reused, so a committed drop leaves only an unused entry).
            catalog::delete_sequence(txn, &sequence.name);
        }
        Ok(done("DROP SEQUENCE", notices))
    }

    pub(super) fn create_view(
        &mut self,
        mut view: ViewDef,
        or_replace: bool,
    ) -> Result<Outcome, SqlError> {
        let db = self.db.clone();
        let txn = self.txn()?;
        match catalog::get_view(txn, &view.name)? {
            Some(old) if or_replace => {
                if view.columns.len() < old.columns.len() {
                    return Err(SqlError::new(
                        sqlstate::INVALID_TABLE_DEFINITION,
                        "cannot drop columns from view",
                    ));
                }
                for ((old_name, old_type), (new_name, new_type)) in
                    old.columns.iter().zip(&view.columns)
                {
                    if old_name != new_name {
                        return Err(SqlError::new(
                            sqlstate::INVALID_TABLE_DEFINITION,
                            format!("cannot change name of view column \"{old_name}\" to \"{new_name}\""),
                        )
                        .with_hint("Use ALTER VIEW ... RENAME COLUMN ... to change name of view column instead."));
                    }
                    if old_type != new_type {
                        return Err(SqlError::new(
                            sqlstate::INVALID_TABLE_DEFINITION,
                            format!(
                                "cannot change data type of view column \"{old_name}\" from {} to {}",
                                old_type.display_name(),
                                new_type.display_name()
                            ),
                        ));
                    }
                }
                if view.depends_on.contains(&old.id) {
                    return Err(SqlError::new(
                        "42P17",
                        format!(
                            "infinite recursion detected in rules for relation \"{}\"",
                            view.name
                        ),
                    ));
                }
                view.id = old.id;
            }
            _ => {
                require_free_name(txn, &view.name)?;
                view.id = allocate_object_id(&db)?;
            }
        }
        catalog::put_view(txn, &view)?;
        Ok(Outcome::Done("CREATE VIEW".into()))
    }

    pub(super) fn drop_views(
        &mut self,
        names: &[String],
        if_exists: bool,
        cascade: bool,
    ) -> Result<Outcome, SqlError> {
        let txn = self.txn()?;
        let mut notices = Vec::new();
        let mut found = Vec::new();
        for name in names {
            match find_for_drop(txn, name, "view", if_exists, catalog::get_view)? {
                Lookup::Found(view) => found.push(Object::View(view.id, view.name)),
                Lookup::Skipped(notice) => notices.push(notice),
            }
        }
        let dependents = dependents(txn, &found)?;
        if !dependents.is_empty() {
            if !cascade {
                return Err(still_referenced(&found, &dependents));
            }
            notices.push(cascade_notice(&dependents));
        }
        for object in found.iter().chain(dependents.iter().map(|(d, _)| d)) {
            drop_object(txn, object)?;
        }
        Ok(done("DROP VIEW", notices))
    }

    pub(super) fn drop_tables(
        &mut self,
        names: &[String],
        if_exists: bool,
        cascade: bool,
    ) -> Result<Outcome, SqlError> {
        let txn = self.txn()?;
        let mut notices = Vec::new();
        let mut found: Vec<TableDef> = Vec::new();
        for name in names {
            match find_for_drop(txn, name, "table", if_exists, catalog::get_table)? {
                Lookup::Found(table) => found.push(table),
                Lookup::Skipped(notice) => notices.push(notice),
            }
        }
        let roots: Vec<Object> =
            found.iter().map(|t| Object::Table(t.id, t.name.clone())).collect();
        let dependents = dependents(txn, &roots)?;
        if !dependents.is_empty() {
            if !cascade {
                return Err(still_referenced(&roots, &dependents));
            }
            notices.push(cascade_notice(&dependents));
        }
        for (object, _) in &dependents {
            drop_object(txn, object)?;
        }
        for table in found {
            exec::discard_storage(txn, &table);
            for fk in &table.foreign_keys {
                catalog::delete_reference(txn, fk.referenced_id, table.id);
            }
            // Sequences owned by the table's columns (SERIAL, identity, OWNED BY) go with it.
            for sequence in catalog::list_sequences(txn)? {
                if sequence.owned_by.as_ref().is_some_and(|(t, _)| *t == table.name) {
                    catalog::delete_sequence(txn, &sequence.name);
                }
            }
            catalog::delete_table(txn, &table.name);
        }
        Ok(done("DROP TABLE", notices))
    }
}

impl Session {
    pub(super) fn create_schema(
        &mut self,
        name: &str,
        if_not_exists: bool,
    ) -> Result<Outcome, SqlError> {
        let db = self.db.clone();
        let txn = self.txn()?;
        if name.starts_with("pg_") {
            return Err(SqlError::new("42939", format!("unacceptable schema name \"{name}\""))
                .with_detail("The prefix \"pg_\" is reserved for system schemas."));
        }
        let builtin = matches!(name, "public" | "pg_catalog" | "information_schema");
        if builtin || catalog::get_schema(txn, name)?.is_some() {
            if if_not_exists {
                let notice = SqlError::new(
                    sqlstate::DUPLICATE_SCHEMA,
                    format!("schema \"{name}\" already exists, skipping"),
                );
                return Ok(done("CREATE SCHEMA", vec![notice]));
            }
            return Err(SqlError::new(
                sqlstate::DUPLICATE_SCHEMA,
                format!("schema \"{name}\" already exists"),
            ));
        }
        let id = allocate_object_id(&db)?;
        catalog::put_schema(txn, &catalog::SchemaDef { id, name: name.to_string() })?;
        Ok(Outcome::Done("CREATE SCHEMA".into()))
    }

    /// DROP SCHEMA: RESTRICT refuses a schema that holds objects; CASCADE drops them and
    /// whatever depends on them elsewhere.
    pub(super) fn drop_schemas(
        &mut self,
        names: &[String],
        if_exists: bool,
        cascade: bool,
    ) -> Result<Outcome, SqlError> {
        let txn = self.txn()?;
        let mut notices = Vec::new();
        let mut found = Vec::new();
        for name in names {
            if name == "public" || name == "pg_catalog" || name == "information_schema" {
                return Err(SqlError::unsupported(format!("DROP SCHEMA {name}")));
            }
            match catalog::get_schema(txn, name)? {
                Some(schema) => found.push(schema),
                None if if_exists => notices.push(SqlError::new(
                    sqlstate::SUCCESSFUL_COMPLETION,
                    format!("schema \"{name}\" does not exist, skipping"),
                )),
                None => {
                    return Err(SqlError::new(
                        sqlstate::INVALID_SCHEMA_NAME,
                        format!("schema \"{name}\" does not exist"),
                    ));
                }
            }
        }
        let schemas = catalog::list_schemas(txn)?;
        let in_dropped = |key: &str| {
            let (schema, _) = catalog::split_key(key, &schemas);
            found.iter().any(|s| s.name == schema)
        };
        // Contained objects, in creation order.
        let mut contained: Vec<Object> = Vec::new();
        for table in catalog::list_tables(txn)? {
            if in_dropped(&table.name) {
                contained.push(Object::Table(table.id, table.name));
            }
        }
        for view in catalog::list_views(txn)? {
            if in_dropped(&view.name) {
                contained.push(Object::View(view.id, view.name));
            }
        }
        for sequence in catalog::list_sequences(txn)? {
            if in_dropped(&sequence.name) && sequence.owned_by.is_none() {
                contained.push(Object::Sequence(sequence.id, sequence.name));
            }
        }
        contained.sort_by_key(Object::id);
        let outside: Vec<(Object, Object)> = dependents(txn, &contained)?;
        if !contained.is_empty() {
            let schema_of = |object: &Object| {
                let key = match object {
                    Object::Table(_, n) | Object::View(_, n) | Object::Sequence(_, n) => n.clone(),
                    Object::ForeignKey(_, n, _) => n.clone(),
                };
                catalog::split_key(&key, &schemas).0.to_string()
            };
            if !cascade {
                let first = found.first().map(|s| s.name.clone()).unwrap_or_default();
                let mut detail: Vec<String> = contained
                    .iter()
                    .map(|o| format!("{} depends on schema {}", o.describe(), schema_of(o)))
                    .collect();
                detail.extend(
                    outside
                        .iter()
                        .map(|(d, on)| format!("{} depends on {}", d.describe(), on.describe())),
                );
                let message = if found.len() == 1 {
                    format!("cannot drop schema {first} because other objects depend on it")
                } else {
                    "cannot drop desired object(s) because other objects depend on them".to_string()
                };
                return Err(SqlError::new(sqlstate::DEPENDENT_OBJECTS_STILL_EXIST, message)
                    .with_detail(detail.join("\n"))
                    .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
            }
            let all: Vec<(Object, Object)> = contained
                .iter()
                .map(|o| (o.clone(), o.clone()))
                .chain(outside.iter().cloned())
                .collect();
            notices.push(cascade_notice(&all));
        }
        for (object, _) in &outside {
            drop_object(txn, object)?;
        }
        // Views first: they may read the tables.
        contained.sort_by_key(|o| !matches!(o, Object::View(..)));
        for object in &contained {
            drop_object(txn, object)?;
            if let Object::Table(_, table) = object {
                for sequence in catalog::list_sequences(txn)? {
                    if sequence.owned_by.as_ref().is_some_and(|(t, _)| t == table) {
                        catalog::delete_sequence(txn, &sequence.name);
                    }
                }
            }
        }
        for schema in &found {
            catalog::delete_schema(txn, &schema.name);
        }
        Ok(done("DROP SCHEMA", notices))
    }
}

/// Removes a dependent object CASCADE reached.
fn drop_object(txn: &mut Transaction, object: &Object) -> Result<(), SqlError> {
    match object {
        Object::View(_, name) => catalog::delete_view(txn, name),
        Object::Table(_, name) => {
            if let Some(table) = catalog::get_table(txn, name)? {
                exec::discard_storage(txn, &table);
                for fk in &table.foreign_keys {
                    catalog::delete_reference(txn, fk.referenced_id, table.id);
                }
                catalog::delete_table(txn, name);
            }
        }
        Object::Sequence(_, name) => catalog::delete_sequence(txn, name),
        Object::ForeignKey(_, table_name, constraint) => {
            if let Some(table) = catalog::get_table(txn, table_name)? {
                let mut after = table.clone();
                after.foreign_keys.retain(|f| f.name != *constraint);
                catalog::put_table(txn, &after)?;
                catalog::sync_references(txn, Some(&table), &after)?;
            }
        }
    }
    Ok(())
}

/// TRUNCATE: a table referenced by another table's foreign key can only be truncated
/// together with it (0A000).
pub(super) fn check_truncate(txn: &mut Transaction, tables: &[TableDef]) -> Result<(), SqlError> {
    for table in tables {
        for child in catalog::referencing_tables(txn, table.id)? {
            if tables.iter().any(|t| t.name == child) {
                continue;
            }
            return Err(SqlError::new(
                sqlstate::FEATURE_NOT_SUPPORTED,
                "cannot truncate a table referenced in a foreign key constraint",
            )
            .with_detail(format!("Table \"{child}\" references \"{}\".", table.name))
            .with_hint(format!(
                "Truncate table \"{child}\" at the same time, or use TRUNCATE ... CASCADE."
            )));
        }
    }
    Ok(())
}

/// 2BP01 if a foreign key relies on a unique key `before` has and `after` lost
/// (`what` names the dropped object as PostgreSQL does: `constraint p_pkey on table p`).
pub(super) fn check_referenced_keys(
    txn: &mut Transaction,
    before: &TableDef,
    after: &TableDef,
    what: impl Fn(&str) -> String,
) -> Result<(), SqlError> {
    for child_name in catalog::referencing_tables(txn, before.id)? {
        let child = if child_name == after.name {
            Some(after.clone())
        } else {
            catalog::get_table(txn, &child_name)?
        };
        let Some(child) = child else { continue };
        for fk in child.foreign_keys.iter().filter(|f| f.referenced_id == before.id) {
            if crate::sql::binder::unique_key_of(after, &fk.referenced_columns).is_some() {
                continue;
            }
            let Some(index_no) = crate::sql::binder::unique_key_of(before, &fk.referenced_columns)
            else {
                continue;
            };
            let index = if index_no == 0 {
                before.primary_key_name.clone().unwrap_or_default()
            } else {
                before
                    .uniques
                    .iter()
                    .map(|u| (u.index_no, &u.name))
                    .chain(before.indexes.iter().map(|i| (i.index_no, &i.name)))
                    .find(|(no, _)| *no == index_no)
                    .map(|(_, name)| name.clone())
                    .unwrap_or_default()
            };
            return Err(SqlError::new(
                sqlstate::DEPENDENT_OBJECTS_STILL_EXIST,
                format!("cannot drop {} because other objects depend on it", what(&index)),
            )
            .with_detail(format!(
                "constraint {} on table {} depends on index {index}",
                fk.name, child.name
            ))
            .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
        }
    }
    Ok(())
}

/// After ALTER TABLE `before` → `after`: the reference markers follow the foreign keys, and
/// a rename reaches the foreign keys of the tables that reference it.
pub(super) fn foreign_keys_after_alter(
    txn: &mut Transaction,
    before: &TableDef,
    after: &mut TableDef,
) -> Result<(), SqlError> {
    let table = after.name.clone();
    check_referenced_keys(txn, before, after, |index| {
        format!("constraint {index} on table {table}")
    })?;
    if before.name != after.name {
        for fk in &mut after.foreign_keys {
            if fk.referenced_id == after.id {
                fk.referenced_table = after.name.clone();
            }
        }
        catalog::put_table(txn, after)?;
        for child_name in catalog::referencing_tables(txn, after.id)? {
            if child_name == before.name || child_name == after.name {
                continue;
            }
            if let Some(mut child) = catalog::get_table(txn, &child_name)? {
                for fk in &mut child.foreign_keys {
                    if fk.referenced_id == after.id {
                        fk.referenced_table = after.name.clone();
                    }
                }
                catalog::put_table(txn, &child)?;
            }
        }
    }
    catalog::sync_references(txn, Some(before), after)
}
