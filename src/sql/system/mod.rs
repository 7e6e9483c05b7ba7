//! System relations: the parts of `pg_catalog` and `information_schema` that psql, drivers and
//! tools read, computed from our catalog at the statement's snapshot. They are read-only and
//! small, so they are materialised per statement.
//!
//! Object ids: schemas and built-in types use PostgreSQL's own OIDs (pg_catalog 11, public
//! 2200, int4 23, ...); a table's OID is `FIRST_USER_OID + id`; the index behind its primary
//! key or a UNIQUE constraint gets an OID derived from the table's (see [`index_oid`]).
//!
//! Depends on: `sql::catalog`, `sql::types`, `txn`.

pub mod describe;
mod empty_relations;
mod relations;

use super::catalog::{self, SchemaDef, SequenceDef, TableDef, ViewDef};
use super::error::SqlError;
use super::types::{DataType, Value};
use crate::txn::Transaction;

/// OID of the `pg_catalog` schema.
pub const PG_CATALOG_OID: u32 = 11;
/// OID of the `public` schema.
pub const PUBLIC_OID: u32 = 2200;
/// OID of the `information_schema` schema.
pub const INFORMATION_SCHEMA_OID: u32 = 13_000;
/// OID of the one role, `quorumdb`.
pub const ROLE_OID: u32 = 10;
/// OID of the one database.
pub const DATABASE_OID: u32 = 5;
/// The name of the one role.
pub const ROLE_NAME: &str = "quorumdb";

/// A system relation's columns and rows.
#[derive(Debug, Clone)]
pub struct SystemRelation {
    pub columns: Vec<(String, DataType)>,
    pub rows: Vec<Vec<Value>>,
}

/// The user objects system relations describe, as the statement's transaction sees them.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub tables: Vec<TableDef>,
    pub views: Vec<ViewDef>,
    pub sequences: Vec<SequenceDef>,
    pub schemas: Vec<SchemaDef>,
    /// The storage engine's counters (WAL activity since the server started).
    pub engine: crate::storage::EngineStats,
}

impl Snapshot {
    /// Reads every table, view and sequence.
    pub fn read(txn: &mut Transaction) -> Result<Snapshot, SqlError> {
        Ok(Snapshot {
            tables: catalog::list_tables(txn)?,
            views: catalog::list_views(txn)?,
            sequences: catalog::list_sequences(txn)?,
            schemas: catalog::list_schemas(txn)?,
            engine: txn.engine_stats(),
        })
    }

    /// The schema of a relation key.
    pub fn schema_of<'k>(&self, key: &'k str) -> &'k str {
        catalog::split_key(key, &self.schemas).0
    }

    /// The OID of the schema of a relation key.
    pub fn schema_oid(&self, key: &str) -> u32 {
        let schema = self.schema_of(key);
        self.schemas.iter().find(|s| s.name == schema).map_or(PUBLIC_OID, SchemaDef::oid)
    }

    /// The bare name of a relation key.
    pub fn bare<'k>(&self, key: &'k str) -> &'k str {
        catalog::split_key(key, &self.schemas).1
    }

    /// A constraint's name as shown: names derived from a relation key (`s.t_check`) lose
    /// the schema part, which the constraint's own schema column shows.
    pub fn constraint_name<'k>(&self, table_key: &str, name: &'k str) -> &'k str {
        let schema = self.schema_of(table_key);
        if schema == "public" {
            return name;
        }
        name.strip_prefix(schema).and_then(|rest| rest.strip_prefix('.')).unwrap_or(name)
    }
}

/// The OID of index `index_no` of a table (0 = the primary key, n = UNIQUE constraint n).
pub fn index_oid(table: &TableDef, index_no: u16) -> u32 {
    1_000_000_000u32.wrapping_add(table.id.wrapping_mul(64)).wrapping_add(u32::from(index_no))
}

/// The OID of foreign key number `i` of a table (in its `foreign_keys` order).
pub fn foreign_key_oid(table: &TableDef, i: usize) -> u32 {
    index_oid(table, 48u16.saturating_add(u16::try_from(i).unwrap_or(15).min(15)))
}

/// A foreign key's definition as `pg_get_constraintdef` shows it.
pub fn foreign_key_definition(
    table: &TableDef,
    fk: &catalog::ForeignKeyDef,
    referenced: Option<&TableDef>,
) -> String {
    let names = |t: &TableDef, columns: &[usize]| {
        columns
            .iter()
            .filter_map(|&c| t.columns.get(c))
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let referenced_columns =
        referenced.map(|r| names(r, &fk.referenced_columns)).unwrap_or_default();
    let mut text = format!(
        "FOREIGN KEY ({}) REFERENCES {}({referenced_columns})",
        names(table, &fk.columns),
        fk.referenced_table
    );
    if fk.on_update != catalog::ReferentialAction::NoAction {
        text.push_str(&format!(" ON UPDATE {}", fk.on_update.sql()));
    }
    if fk.on_delete != catalog::ReferentialAction::NoAction {
        text.push_str(&format!(" ON DELETE {}", fk.on_delete.sql()));
    }
    text
}

/// The system relation `schema.name` (`schema` is `None` when unqualified; unqualified names
/// resolve to `pg_catalog` first, as in PostgreSQL's default search path), if there is one.
pub fn lookup(
    txn: &mut Transaction,
    schema: Option<&str>,
    name: &str,
) -> Result<Option<SystemRelation>, SqlError> {
    let builder: Option<fn(&Snapshot) -> SystemRelation> = match (schema, name) {
        (None | Some("pg_catalog"), name) => relations::pg_catalog(name),
        (Some("information_schema"), name) => relations::information_schema(name),
        _ => None,
    };
    let Some(build) = builder else {
        if matches!(schema, None | Some("pg_catalog")) {
            return Ok(empty_relations::pg_catalog(name));
        }
        return Ok(None);
    };
    Ok(Some(build(&Snapshot::read(txn)?)))
}
