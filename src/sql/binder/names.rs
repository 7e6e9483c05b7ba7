//! Name resolution of relations: the one place that turns a written name (`t`, `s.t`,
//! `db.s.t`) into a catalog key (see `catalog`), following `search_path` for unqualified
//! names as PostgreSQL does: a relation is looked up in each schema of the path in order
//! (the first schema that has a relation of that name wins, whatever its kind), and created
//! in the first schema of the path that exists.

use super::{Binder, ident_name};
use crate::sql::catalog;
use crate::sql::error::{SqlError, sqlstate};
use sqlparser::ast;

/// The schemas of a `search_path` setting value, in order (`"$user"` is the user's own
/// schema, used only if it exists; `pg_catalog` is implicit and searched first anyway).
pub fn search_path(setting: &str, user: &str) -> Vec<String> {
    setting
        .split(',')
        .map(|part| {
            let part = part.trim();
            match part.strip_prefix('"').and_then(|p| p.strip_suffix('"')) {
                Some(quoted) => quoted.replace("\"\"", "\""),
                None => part.to_lowercase(),
            }
        })
        .map(|part| if part == "$user" { user.to_string() } else { part })
        .filter(|part| !part.is_empty() && part != "pg_catalog")
        .collect()
}

/// Split a written name into (schema, relation) parts.
fn parts(name: &ast::ObjectName) -> Result<(Option<String>, String), SqlError> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|part| part.as_ident().map(ident_name).unwrap_or_else(|| part.to_string()))
        .collect();
    match parts.as_slice() {
        [relation] => Ok((None, relation.clone())),
        [schema, relation] | [_, schema, relation] => Ok((Some(schema.clone()), relation.clone())),
        _ => Err(SqlError::syntax(format!(
            "improper qualified name (too many dotted names): {name}"
        ))),
    }
}

fn missing_schema(schema: &str) -> SqlError {
    SqlError::new(sqlstate::INVALID_SCHEMA_NAME, format!("schema \"{schema}\" does not exist"))
}

/// The key of `relation` written with explicit `schema`. A missing schema is 42P01 for a
/// relation looked up by a query (PostgreSQL: `relation "s.t" does not exist`), 3F000
/// (`schema_error`) for one being created or named as text (`'s.t'::regclass`).
fn qualified(
    txn: &mut crate::txn::Transaction,
    schema: &str,
    relation: &str,
    schema_error: bool,
) -> Result<String, SqlError> {
    if schema == "pg_catalog" || schema == "information_schema" {
        return Err(SqlError::new(
            sqlstate::UNDEFINED_TABLE,
            format!("relation \"{schema}.{relation}\" does not exist"),
        ));
    }
    if !catalog::schema_exists(txn, schema)? {
        if !schema_error {
            return Err(SqlError::new(
                sqlstate::UNDEFINED_TABLE,
                format!("relation \"{schema}.{relation}\" does not exist"),
            ));
        }
        return Err(missing_schema(schema));
    }
    Ok(catalog::qualify(schema, relation))
}

/// The catalog key an existing relation's text name (`'s'`, `'sch.s'`, as nextval and
/// regclass take them) refers to, through `path`; the bare name when nothing matches.
pub fn resolve_text(
    txn: &mut crate::txn::Transaction,
    text: &str,
    path: &[String],
) -> Result<String, SqlError> {
    let parts = crate::sql::sequences::name_parts(text)?;
    match parts.as_slice() {
        [relation] => resolve_in_path(txn, relation, path),
        [schema, relation] | [_, schema, relation] => qualified(txn, schema, relation, true),
        _ => {
            Err(SqlError::syntax(format!("improper relation name (too many dotted names): {text}")))
        }
    }
}

/// The key of the first relation named `relation` in the schemas of `path`.
fn resolve_in_path(
    txn: &mut crate::txn::Transaction,
    relation: &str,
    path: &[String],
) -> Result<String, SqlError> {
    let mut existing = Vec::with_capacity(path.len());
    for schema in path {
        if catalog::schema_exists(txn, schema)? {
            existing.push(schema.as_str());
        }
    }
    // The common case, nothing but public: no need to look the name up here.
    if existing == ["public"] {
        return Ok(relation.to_string());
    }
    for schema in existing {
        let key = catalog::qualify(schema, relation);
        if catalog::relation_kind(txn, &key)?.is_some() {
            return Ok(key);
        }
    }
    Ok(relation.to_string())
}

/// The catalog key of the existing relation `name` refers to (or, when there is none, the
/// key whose lookup fails with the right message).
pub fn relation_key(
    txn: &mut crate::txn::Transaction,
    name: &ast::ObjectName,
    path: &[String],
) -> Result<String, SqlError> {
    match parts(name)? {
        (Some(schema), relation) => qualified(txn, &schema, &relation, false),
        (None, relation) => resolve_in_path(txn, &relation, path),
    }
}

/// The catalog key a new relation named `name` gets: in its schema, or in the first
/// existing schema of the search path.
pub fn creation_key(
    txn: &mut crate::txn::Transaction,
    name: &ast::ObjectName,
    path: &[String],
) -> Result<String, SqlError> {
    match parts(name)? {
        (Some(schema), relation) => qualified(txn, &schema, &relation, true),
        (None, relation) => {
            for schema in path {
                if catalog::schema_exists(txn, schema)? {
                    return Ok(catalog::qualify(schema, &relation));
                }
            }
            Err(SqlError::new(
                sqlstate::INVALID_SCHEMA_NAME,
                "no schema has been selected to create in",
            ))
        }
    }
}

/// The first schema of `path` that exists (`current_schema()`).
pub fn current_schema(
    txn: &mut crate::txn::Transaction,
    path: &[String],
) -> Result<Option<String>, SqlError> {
    for schema in path {
        if catalog::schema_exists(txn, schema)? {
            return Ok(Some(schema.clone()));
        }
    }
    Ok(None)
}

/// The bare relation name of a key (`s.t` → `t`), as queries qualify its columns.
pub fn bare_name(txn: &mut crate::txn::Transaction, key: &str) -> Result<String, SqlError> {
    if let Some((schema, name)) = key.split_once('.')
        && catalog::get_schema(txn, schema)?.is_some()
    {
        return Ok(name.to_string());
    }
    Ok(key.to_string())
}

impl Binder<'_> {
    /// [`relation_key`] through this statement's search path.
    pub fn relation_key(&mut self, name: &ast::ObjectName) -> Result<String, SqlError> {
        let path = self.search_path.clone();
        relation_key(self.txn, name, &path)
    }

    /// [`creation_key`] through this statement's search path.
    pub fn creation_key(&mut self, name: &ast::ObjectName) -> Result<String, SqlError> {
        let path = self.search_path.clone();
        creation_key(self.txn, name, &path)
    }

    /// [`bare_name`].
    pub fn bare_name(&mut self, key: &str) -> Result<String, SqlError> {
        bare_name(self.txn, key)
    }
}

/// The schema part of a relation key (for names derived in the same schema).
pub fn schema_prefix(key: &str, txn: &mut crate::txn::Transaction) -> Result<String, SqlError> {
    if let Some((schema, _)) = key.split_once('.')
        && catalog::get_schema(txn, schema)?.is_some()
    {
        return Ok(format!("{schema}."));
    }
    Ok(String::new())
}
