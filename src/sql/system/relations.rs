//! The rows of each system relation, built from the table definitions a statement sees.

use super::{
    DATABASE_OID, INFORMATION_SCHEMA_OID, PG_CATALOG_OID, PUBLIC_OID, ROLE_NAME, ROLE_OID,
    Snapshot, SystemRelation, index_oid,
};
use crate::sql::catalog::{Generated, TableDef};
use crate::sql::types::{DataType, Value};

type Builder = fn(&Snapshot) -> SystemRelation;

/// Builders of the `pg_catalog` relations we provide.
pub fn pg_catalog(name: &str) -> Option<Builder> {
    Some(match name {
        "pg_namespace" => pg_namespace,
        "pg_class" => pg_class,
        "pg_attribute" => pg_attribute,
        "pg_type" => pg_type,
        "pg_database" => pg_database,
        "pg_roles" | "pg_authid" | "pg_user" => pg_roles,
        "pg_am" => pg_am,
        "pg_index" => pg_index,
        "pg_constraint" => pg_constraint,
        "pg_attrdef" => pg_attrdef,
        "pg_tables" => pg_tables,
        "pg_views" => pg_views,
        "pg_sequences" => pg_sequences,
        "pg_stat_wal" => pg_stat_wal,
        "pg_description" => |_| {
            rows_of(
                &[
                    ("objoid", DataType::Oid),
                    ("classoid", DataType::Oid),
                    ("objsubid", DataType::Int4),
                    ("description", DataType::Text),
                ],
                Vec::new(),
            )
        },
        "pg_inherits" => |_| {
            rows_of(
                &[
                    ("inhrelid", DataType::Oid),
                    ("inhparent", DataType::Oid),
                    ("inhseqno", DataType::Int4),
                    ("inhdetachpending", DataType::Bool),
                ],
                Vec::new(),
            )
        },
        "pg_auth_members" => |_| {
            rows_of(
                &[
                    ("roleid", DataType::Oid),
                    ("member", DataType::Oid),
                    ("grantor", DataType::Oid),
                    ("admin_option", DataType::Bool),
                ],
                Vec::new(),
            )
        },
        "pg_collation" => |_| {
            rows_of(
                &[
                    ("oid", DataType::Oid),
                    ("collname", DataType::Name),
                    ("collnamespace", DataType::Oid),
                ],
                Vec::new(),
            )
        },
        "pg_policy" => |_| {
            rows_of(
                &[
                    ("oid", DataType::Oid),
                    ("polname", DataType::Name),
                    ("polrelid", DataType::Oid),
                    ("polcmd", DataType::Text),
                    ("polpermissive", DataType::Bool),
                    ("polroles", DataType::Array(Box::new(DataType::Oid))),
                    ("polqual", DataType::Text),
                    ("polwithcheck", DataType::Text),
                ],
                Vec::new(),
            )
        },
        // Foreign keys are not implemented with triggers here: no rows.
        "pg_trigger" => |_| {
            rows_of(
                &[
                    ("oid", DataType::Oid),
                    ("tgrelid", DataType::Oid),
                    ("tgparentid", DataType::Oid),
                    ("tgname", DataType::Name),
                    ("tgfoid", DataType::Oid),
                    ("tgtype", DataType::Int2),
                    ("tgenabled", DataType::Text),
                    ("tgisinternal", DataType::Bool),
                    ("tgconstrrelid", DataType::Oid),
                    ("tgconstrindid", DataType::Oid),
                    ("tgconstraint", DataType::Oid),
                    ("tgdeferrable", DataType::Bool),
                    ("tginitdeferred", DataType::Bool),
                    ("tgnargs", DataType::Int2),
                ],
                Vec::new(),
            )
        },
        "pg_settings" => pg_settings,
        _ => return None,
    })
}

/// Builders of the `information_schema` relations we provide.
pub fn information_schema(name: &str) -> Option<Builder> {
    Some(match name {
        "tables" => is_tables,
        "views" => is_views,
        "sequences" => is_sequences,
        "columns" => is_columns,
        "schemata" => is_schemata,
        "table_constraints" => is_table_constraints,
        "key_column_usage" => is_key_column_usage,
        "referential_constraints" => is_referential_constraints,
        _ => return None,
    })
}

/// A relation of `rows`; text values in array-typed columns are given in array text form
/// (`{1,2}`) and parsed here.
fn rows_of(columns: &[(&str, DataType)], mut rows: Vec<Vec<Value>>) -> SystemRelation {
    for row in &mut rows {
        for (value, (_, ty)) in row.iter_mut().zip(columns) {
            if let (DataType::Array(_), Value::Text(text)) = (ty, &*value) {
                *value = Value::parse_text(ty, text).unwrap_or(Value::Null);
            }
        }
    }
    SystemRelation {
        columns: columns.iter().map(|(n, t)| (n.to_string(), t.clone())).collect(),
        rows,
    }
}

fn oid(v: u32) -> Value {
    Value::Oid(v)
}
fn name(v: &str) -> Value {
    Value::Text(v.to_string())
}
fn text(v: &str) -> Value {
    Value::Text(v.to_string())
}
fn int(v: i64) -> Value {
    Value::Int4(i32::try_from(v).unwrap_or(i32::MAX))
}
fn small(v: i64) -> Value {
    Value::Int2(i16::try_from(v).unwrap_or(i16::MAX))
}
fn boolean(v: bool) -> Value {
    Value::Bool(v)
}

fn pg_namespace(snapshot: &Snapshot) -> SystemRelation {
    rows_of(
        &[
            ("oid", DataType::Oid),
            ("nspname", DataType::Name),
            ("nspowner", DataType::Oid),
            ("nspacl", DataType::Array(Box::new(DataType::Text))),
        ],
        vec![
            vec![oid(PG_CATALOG_OID), name("pg_catalog"), oid(ROLE_OID), Value::Null],
            vec![oid(PUBLIC_OID), name("public"), oid(ROLE_OID), Value::Null],
            vec![
                oid(INFORMATION_SCHEMA_OID),
                name("information_schema"),
                oid(ROLE_OID),
                Value::Null,
            ],
        ]
        .into_iter()
        .chain(
            snapshot
                .schemas
                .iter()
                .map(|s| vec![oid(s.oid()), name(&s.name), oid(ROLE_OID), Value::Null]),
        )
        .collect(),
    )
}

/// Indexes of a table: (index number, name, columns, primary?).
fn indexes(table: &TableDef) -> Vec<(u16, String, Vec<usize>, bool)> {
    let mut out = Vec::new();
    if let Some(pk) = &table.primary_key_name
        && !table.primary_key.is_empty()
    {
        out.push((0, pk.clone(), table.primary_key.clone(), true));
    }
    for unique in &table.uniques {
        out.push((unique.index_no, unique.name.clone(), unique.columns.clone(), false));
    }
    out
}

/// Every index relation of a table: the constraint indexes, then `CREATE INDEX` ones, as
/// (index number, name, columns, primary, unique).
fn index_relations(table: &TableDef) -> Vec<(u16, String, Vec<usize>, bool, bool)> {
    let mut out: Vec<_> = indexes(table)
        .into_iter()
        .map(|(no, index_name, columns, primary)| (no, index_name, columns, primary, true))
        .collect();
    for index in &table.indexes {
        out.push((index.index_no, index.name.clone(), index.columns.clone(), false, index.unique));
    }
    out
}

fn pg_class(snapshot: &Snapshot) -> SystemRelation {
    let tables = &snapshot.tables[..];
    let columns = [
        ("oid", DataType::Oid),
        ("relname", DataType::Name),
        ("relnamespace", DataType::Oid),
        ("reltype", DataType::Oid),
        ("reloftype", DataType::Oid),
        ("relowner", DataType::Oid),
        ("relam", DataType::Oid),
        ("relfilenode", DataType::Oid),
        ("reltablespace", DataType::Oid),
        ("relpages", DataType::Int4),
        ("reltuples", DataType::Float4),
        ("reltoastrelid", DataType::Oid),
        ("relhasindex", DataType::Bool),
        ("relisshared", DataType::Bool),
        ("relpersistence", DataType::Text),
        ("relkind", DataType::Text),
        ("relnatts", DataType::Int2),
        ("relchecks", DataType::Int2),
        ("relhasrules", DataType::Bool),
        ("relhastriggers", DataType::Bool),
        ("relhassubclass", DataType::Bool),
        ("relrowsecurity", DataType::Bool),
        ("relforcerowsecurity", DataType::Bool),
        ("relispopulated", DataType::Bool),
        ("relreplident", DataType::Text),
        ("relispartition", DataType::Bool),
        ("relacl", DataType::Array(Box::new(DataType::Text))),
        ("reloptions", DataType::Array(Box::new(DataType::Text))),
        ("relpartbound", DataType::Text),
    ];
    let mut rows = Vec::new();
    let row = |oid_value: u32,
               key: &str,
               kind: &str,
               natts: usize,
               checks: usize,
               has_index: bool,
               am: u32| {
        vec![
            oid(oid_value),
            name(snapshot.bare(key)),
            oid(snapshot.schema_oid(key)),
            oid(0),
            oid(0),
            oid(ROLE_OID),
            oid(am),
            oid(oid_value),
            oid(0),
            int(0),
            Value::Float4(-1.0),
            oid(0),
            boolean(has_index),
            boolean(false),
            text("p"),
            text(kind),
            small(i64::try_from(natts).unwrap_or(0)),
            small(i64::try_from(checks).unwrap_or(0)),
            boolean(false),
            boolean(false),
            boolean(false),
            boolean(false),
            boolean(false),
            boolean(true),
            text("d"),
            boolean(false),
            Value::Null,
            Value::Null,
            Value::Null,
        ]
    };
    // psql looks for foreign keys only on tables with triggers (PostgreSQL implements
    // foreign keys with them).
    let has_triggers = |table: &TableDef| {
        !table.foreign_keys.is_empty()
            || tables.iter().any(|t| t.foreign_keys.iter().any(|f| f.referenced_id == table.id))
    };
    for table in tables {
        let table_indexes = index_relations(table);
        let start = rows.len();
        rows.push(row(
            table.oid(),
            &table.name,
            "r",
            table.columns.len(),
            table.checks.len(),
            !table_indexes.is_empty(),
            2,
        ));
        if has_triggers(table)
            && let Some(flag) = rows.get_mut(start).and_then(|r| r.get_mut(19))
        {
            *flag = boolean(true);
        }
        for (index_no, index_name, index_columns, _, _) in table_indexes {
            rows.push(row(
                index_oid(table, index_no),
                &index_name,
                "i",
                index_columns.len(),
                0,
                false,
                403,
            ));
        }
    }
    for view in &snapshot.views {
        rows.push(row(view.oid(), &view.name, "v", view.columns.len(), 0, false, 0));
    }
    for sequence in &snapshot.sequences {
        rows.push(row(sequence.oid(), &sequence.name, "S", 3, 0, false, 0));
    }
    rows_of(&columns, rows)
}

/// The columns `SELECT * FROM sequence` has.
pub fn sequence_columns() -> [(&'static str, DataType); 3] {
    [("last_value", DataType::Int8), ("log_cnt", DataType::Int8), ("is_called", DataType::Bool)]
}

/// A plain pg_attribute row (no default, no identity).
fn attribute_row(
    relation: u32,
    column: &str,
    ty: &DataType,
    number: usize,
    not_null: bool,
) -> Vec<Value> {
    let mut row = vec![
        oid(relation),
        name(column),
        oid(ty.oid()),
        small(i64::from(ty.typlen())),
        small(i64::try_from(number).unwrap_or(0)),
        int(i64::from(ty.typmod())),
        small(0),
        boolean(not_null),
        boolean(false),
        text(""),
        text(""),
        boolean(false),
        oid(if ty.is_string() { 100 } else { 0 }),
    ];
    extend_attribute(Some(&mut row), ty);
    row
}

/// The pg_attribute columns after `attcollation`: storage, statistics and option columns.
fn extend_attribute(row: Option<&mut Vec<Value>>, ty: &DataType) {
    let Some(row) = row else { return };
    let storage = if ty.typlen() > 0 { "p" } else { "x" };
    row.extend([
        text(storage),
        text(""),
        int(-1),
        boolean(true),
        int(0),
        Value::Null,
        Value::Null,
        Value::Null,
    ]);
}

fn pg_attribute(snapshot: &Snapshot) -> SystemRelation {
    let tables = &snapshot.tables[..];
    let columns = [
        ("attrelid", DataType::Oid),
        ("attname", DataType::Name),
        ("atttypid", DataType::Oid),
        ("attlen", DataType::Int2),
        ("attnum", DataType::Int2),
        ("atttypmod", DataType::Int4),
        ("attndims", DataType::Int2),
        ("attnotnull", DataType::Bool),
        ("atthasdef", DataType::Bool),
        ("attidentity", DataType::Text),
        ("attgenerated", DataType::Text),
        ("attisdropped", DataType::Bool),
        ("attcollation", DataType::Oid),
        ("attstorage", DataType::Text),
        ("attcompression", DataType::Text),
        ("attstattarget", DataType::Int4),
        ("attislocal", DataType::Bool),
        ("attinhcount", DataType::Int4),
        ("attacl", DataType::Array(Box::new(DataType::Text))),
        ("attoptions", DataType::Array(Box::new(DataType::Text))),
        ("attfdwoptions", DataType::Array(Box::new(DataType::Text))),
    ];
    let mut rows = Vec::new();
    for table in tables {
        for (i, column) in table.columns.iter().enumerate() {
            let identity = match &column.identity {
                Some(Generated::AlwaysIdentity { .. }) => "a",
                Some(Generated::DefaultIdentity { .. }) => "d",
                None => "",
            };
            rows.push(vec![
                oid(table.oid()),
                name(&column.name),
                oid(column.ty.oid()),
                small(i64::from(column.ty.typlen())),
                small(i64::try_from(i + 1).unwrap_or(0)),
                int(i64::from(column.ty.typmod())),
                small(i64::from(matches!(column.ty, DataType::Array(_)))),
                boolean(column.not_null),
                boolean(column.default.is_some()),
                text(identity),
                text(""),
                boolean(false),
                oid(if column.ty.is_string() { 100 } else { 0 }),
            ]);
            extend_attribute(rows.last_mut(), &column.ty);
        }
        for (index_no, _, index_columns, _, _) in index_relations(table) {
            for (i, &c) in index_columns.iter().enumerate() {
                if let Some(column) = table.columns.get(c) {
                    rows.push(vec![
                        oid(index_oid(table, index_no)),
                        name(&column.name),
                        oid(column.ty.oid()),
                        small(i64::from(column.ty.typlen())),
                        small(i64::try_from(i + 1).unwrap_or(0)),
                        int(i64::from(column.ty.typmod())),
                        small(0),
                        boolean(false),
                        boolean(false),
                        text(""),
                        text(""),
                        boolean(false),
                        oid(0),
                    ]);
                    extend_attribute(rows.last_mut(), &column.ty);
                }
            }
        }
    }
    for view in &snapshot.views {
        for (i, (column, ty)) in view.columns.iter().enumerate() {
            rows.push(attribute_row(view.oid(), column, ty, i + 1, false));
        }
    }
    for sequence in &snapshot.sequences {
        for (i, (column, ty)) in sequence_columns().iter().enumerate() {
            rows.push(attribute_row(sequence.oid(), column, ty, i + 1, true));
        }
    }
    rows_of(&columns, rows)
}

fn pg_type(_: &Snapshot) -> SystemRelation {
    let columns = [
        ("oid", DataType::Oid),
        ("typname", DataType::Name),
        ("typnamespace", DataType::Oid),
        ("typowner", DataType::Oid),
        ("typlen", DataType::Int2),
        ("typbyval", DataType::Bool),
        ("typtype", DataType::Text),
        ("typcategory", DataType::Text),
        ("typdelim", DataType::Text),
        ("typrelid", DataType::Oid),
        ("typelem", DataType::Oid),
        ("typarray", DataType::Oid),
        ("typnotnull", DataType::Bool),
        ("typbasetype", DataType::Oid),
        ("typtypmod", DataType::Int4),
        ("typndims", DataType::Int4),
        ("typcollation", DataType::Oid),
    ];
    let types = [
        (DataType::Bool, "bool", "B"),
        (DataType::Bytea, "bytea", "U"),
        (DataType::Name, "name", "S"),
        (DataType::Int8, "int8", "N"),
        (DataType::Int2, "int2", "N"),
        (DataType::Int4, "int4", "N"),
        (DataType::Text, "text", "S"),
        (DataType::Oid, "oid", "N"),
        (DataType::Json, "json", "U"),
        (DataType::Float4, "float4", "N"),
        (DataType::Float8, "float8", "N"),
        (DataType::Char(None), "bpchar", "S"),
        (DataType::Varchar(None), "varchar", "S"),
        (DataType::Date, "date", "D"),
        (DataType::Timestamp, "timestamp", "D"),
        (DataType::Timestamptz, "timestamptz", "D"),
        (DataType::Interval, "interval", "T"),
        (DataType::Numeric { precision: None, scale: None }, "numeric", "N"),
        (DataType::Uuid, "uuid", "U"),
        (DataType::Jsonb, "jsonb", "U"),
        (DataType::Unknown, "unknown", "X"),
    ];
    let mut rows: Vec<Vec<Value>> = types
        .iter()
        .map(|(ty, type_name, category)| {
            let len = ty.typlen();
            let array_oid = crate::sql::types::array_type_oid(ty.oid()).unwrap_or(0);
            vec![
                oid(ty.oid()),
                name(type_name),
                oid(PG_CATALOG_OID),
                oid(ROLE_OID),
                small(i64::from(len)),
                boolean((1..=8).contains(&len)),
                text("b"),
                text(category),
                text(","),
                oid(0),
                oid(0),
                oid(array_oid),
                boolean(false),
                oid(0),
                int(-1),
                int(0),
                oid(if ty.is_string() { 100 } else { 0 }),
            ]
        })
        .collect();
    // The array types: `_int4` and friends.
    for (ty, type_name, _) in &types {
        let Some(array_oid) = crate::sql::types::array_type_oid(ty.oid()) else { continue };
        rows.push(vec![
            oid(array_oid),
            name(&format!("_{type_name}")),
            oid(PG_CATALOG_OID),
            oid(ROLE_OID),
            small(-1),
            boolean(false),
            text("b"),
            text("A"),
            text(","),
            oid(0),
            oid(ty.oid()),
            oid(0),
            boolean(false),
            oid(0),
            int(-1),
            int(0),
            oid(if ty.is_string() { 100 } else { 0 }),
        ]);
    }
    rows_of(&columns, rows)
}

fn pg_database(_: &Snapshot) -> SystemRelation {
    rows_of(
        &[
            ("oid", DataType::Oid),
            ("datname", DataType::Name),
            ("datdba", DataType::Oid),
            ("encoding", DataType::Int4),
            ("datlocprovider", DataType::Text),
            ("datistemplate", DataType::Bool),
            ("datallowconn", DataType::Bool),
            ("datconnlimit", DataType::Int4),
            ("datcollate", DataType::Text),
            ("datctype", DataType::Text),
            ("daticulocale", DataType::Text),
            ("datacl", DataType::Array(Box::new(DataType::Text))),
        ],
        vec![vec![
            oid(DATABASE_OID),
            name("quorumdb"),
            oid(ROLE_OID),
            int(6),
            text("c"),
            boolean(false),
            boolean(true),
            int(-1),
            text("C"),
            text("C"),
            Value::Null,
            Value::Null,
        ]],
    )
}

/// WAL activity since the server started, from the engine's counters: `wal_records`
/// (commit records made durable), `wal_write` (group-commit batches, one write each),
/// `wal_sync` (fdatasyncs) and `wal_bytes`. Full-page images, buffer-full counts and timings
/// do not exist here and read 0; `wal_sync` / `wal_records` is fdatasyncs per commit.
fn pg_stat_wal(snapshot: &Snapshot) -> SystemRelation {
    let counter = |v: u64| Value::Int8(i64::try_from(v).unwrap_or(i64::MAX));
    let stats = &snapshot.engine;
    rows_of(
        &[
            ("wal_records", DataType::Int8),
            ("wal_fpi", DataType::Int8),
            ("wal_bytes", DataType::Numeric { precision: None, scale: None }),
            ("wal_buffers_full", DataType::Int8),
            ("wal_write", DataType::Int8),
            ("wal_sync", DataType::Int8),
            ("wal_write_time", DataType::Float8),
            ("wal_sync_time", DataType::Float8),
            ("stats_reset", DataType::Timestamptz),
        ],
        vec![vec![
            counter(stats.wal_records),
            counter(0),
            Value::Numeric(stats.wal_bytes.into()),
            counter(0),
            counter(stats.wal_writes),
            counter(stats.wal_syncs),
            Value::Float8(0.0),
            Value::Float8(0.0),
            Value::Null,
        ]],
    )
}

fn pg_roles(_: &Snapshot) -> SystemRelation {
    rows_of(
        &[
            ("oid", DataType::Oid),
            ("rolname", DataType::Name),
            ("rolsuper", DataType::Bool),
            ("rolinherit", DataType::Bool),
            ("rolcreaterole", DataType::Bool),
            ("rolcreatedb", DataType::Bool),
            ("rolcanlogin", DataType::Bool),
            ("rolreplication", DataType::Bool),
            ("rolconnlimit", DataType::Int4),
            ("rolpassword", DataType::Text),
            ("rolvaliduntil", DataType::Timestamptz),
            ("rolbypassrls", DataType::Bool),
            ("usename", DataType::Name),
            ("usesysid", DataType::Oid),
        ],
        vec![vec![
            oid(ROLE_OID),
            name(ROLE_NAME),
            boolean(true),
            boolean(true),
            boolean(true),
            boolean(true),
            boolean(true),
            boolean(false),
            int(-1),
            text("********"),
            Value::Null,
            boolean(true),
            name(ROLE_NAME),
            oid(ROLE_OID),
        ]],
    )
}

fn pg_am(_: &Snapshot) -> SystemRelation {
    rows_of(
        &[("oid", DataType::Oid), ("amname", DataType::Name), ("amtype", DataType::Text)],
        vec![vec![oid(2), name("heap"), text("t")], vec![oid(403), name("btree"), text("i")]],
    )
}

fn pg_index(snapshot: &Snapshot) -> SystemRelation {
    let tables = &snapshot.tables[..];
    let columns = [
        ("indexrelid", DataType::Oid),
        ("indrelid", DataType::Oid),
        ("indnatts", DataType::Int2),
        ("indnkeyatts", DataType::Int2),
        ("indisunique", DataType::Bool),
        ("indisprimary", DataType::Bool),
        ("indisexclusion", DataType::Bool),
        ("indimmediate", DataType::Bool),
        ("indisclustered", DataType::Bool),
        ("indisvalid", DataType::Bool),
        ("indisready", DataType::Bool),
        ("indislive", DataType::Bool),
        ("indisreplident", DataType::Bool),
        ("indkey", DataType::Text),
        ("indexprs", DataType::Text),
        ("indpred", DataType::Text),
        ("indnullsnotdistinct", DataType::Bool),
        ("indcheckxmin", DataType::Bool),
    ];
    let mut rows = Vec::new();
    for table in tables {
        for (index_no, _, index_columns, primary, unique) in index_relations(table) {
            let key: Vec<String> = index_columns.iter().map(|c| (c + 1).to_string()).collect();
            let n = small(i64::try_from(index_columns.len()).unwrap_or(0));
            rows.push(vec![
                oid(index_oid(table, index_no)),
                oid(table.oid()),
                n.clone(),
                n,
                boolean(unique),
                boolean(primary),
                boolean(false),
                boolean(true),
                boolean(false),
                boolean(true),
                boolean(true),
                boolean(true),
                boolean(false),
                text(&key.join(" ")),
                Value::Null,
                Value::Null,
                boolean(false),
                boolean(false),
            ]);
        }
    }
    rows_of(&columns, rows)
}

fn pg_constraint(snapshot: &Snapshot) -> SystemRelation {
    let tables = &snapshot.tables[..];
    let columns = [
        ("oid", DataType::Oid),
        ("conname", DataType::Name),
        ("connamespace", DataType::Oid),
        ("contype", DataType::Text),
        ("condeferrable", DataType::Bool),
        ("condeferred", DataType::Bool),
        ("convalidated", DataType::Bool),
        ("conrelid", DataType::Oid),
        ("conindid", DataType::Oid),
        ("confrelid", DataType::Oid),
        ("conkey", DataType::Array(Box::new(DataType::Int2))),
        ("consrc", DataType::Text),
        ("confkey", DataType::Array(Box::new(DataType::Int2))),
        ("confupdtype", DataType::Text),
        ("confdeltype", DataType::Text),
        ("confmatchtype", DataType::Text),
        ("conparentid", DataType::Oid),
        ("conislocal", DataType::Bool),
    ];
    let key_text = |columns: &[usize]| {
        let key: Vec<String> = columns.iter().map(|c| (c + 1).to_string()).collect();
        text(&format!("{{{}}}", key.join(",")))
    };
    let no_fk = || vec![Value::Null, text(" "), text(" "), text(" "), oid(0), boolean(true)];
    let mut rows = Vec::new();
    for table in tables {
        for (index_no, constraint_name, index_columns, primary) in indexes(table) {
            let key: Vec<String> = index_columns.iter().map(|c| (c + 1).to_string()).collect();
            rows.push(vec![
                oid(index_oid(table, index_no)),
                name(snapshot.constraint_name(&table.name, &constraint_name)),
                oid(snapshot.schema_oid(&table.name)),
                text(if primary { "p" } else { "u" }),
                boolean(false),
                boolean(false),
                boolean(true),
                oid(table.oid()),
                oid(index_oid(table, index_no)),
                oid(0),
                text(&format!("{{{}}}", key.join(","))),
                Value::Null,
            ]);
            if let Some(row) = rows.last_mut() {
                row.extend(no_fk());
            }
        }
        for (i, check) in table.checks.iter().enumerate() {
            rows.push(vec![
                oid(index_oid(table, 32u16.saturating_add(u16::try_from(i).unwrap_or(0)))),
                name(snapshot.constraint_name(&table.name, &check.name)),
                oid(snapshot.schema_oid(&table.name)),
                text("c"),
                boolean(false),
                boolean(false),
                boolean(true),
                oid(table.oid()),
                oid(0),
                oid(0),
                Value::Null,
                text(&check.expr),
            ]);
            if let Some(row) = rows.last_mut() {
                row.extend(no_fk());
            }
        }
        for (i, fk) in table.foreign_keys.iter().enumerate() {
            let referenced = tables.iter().find(|t| t.id == fk.referenced_id);
            let index = referenced
                .and_then(|r| {
                    crate::sql::binder::unique_key_of(r, &fk.referenced_columns)
                        .map(|no| index_oid(r, no))
                })
                .unwrap_or(0);
            rows.push(vec![
                oid(super::foreign_key_oid(table, i)),
                name(snapshot.constraint_name(&table.name, &fk.name)),
                oid(snapshot.schema_oid(&table.name)),
                text("f"),
                boolean(false),
                boolean(false),
                boolean(true),
                oid(table.oid()),
                oid(index),
                oid(referenced.map_or(0, TableDef::oid)),
                key_text(&fk.columns),
                Value::Null,
                key_text(&fk.referenced_columns),
                text(fk.on_update.code()),
                text(fk.on_delete.code()),
                text("s"),
                oid(0),
                boolean(true),
            ]);
        }
    }
    rows_of(&columns, rows)
}

fn pg_attrdef(snapshot: &Snapshot) -> SystemRelation {
    let tables = &snapshot.tables[..];
    let mut rows = Vec::new();
    for table in tables {
        for (i, column) in table.columns.iter().enumerate() {
            if let Some(default) = &column.default {
                rows.push(vec![
                    oid(table.oid().wrapping_mul(1000).wrapping_add(u32::try_from(i).unwrap_or(0))),
                    oid(table.oid()),
                    small(i64::try_from(i + 1).unwrap_or(0)),
                    text(default),
                ]);
            }
        }
    }
    rows_of(
        &[
            ("oid", DataType::Oid),
            ("adrelid", DataType::Oid),
            ("adnum", DataType::Int2),
            ("adbin", DataType::Text),
        ],
        rows,
    )
}

fn pg_tables(snapshot: &Snapshot) -> SystemRelation {
    let tables = &snapshot.tables[..];
    let rows = tables
        .iter()
        .map(|t| {
            vec![
                name(snapshot.schema_of(&t.name)),
                name(snapshot.bare(&t.name)),
                name(ROLE_NAME),
                Value::Null,
                boolean(!indexes(t).is_empty()),
                boolean(false),
                boolean(false),
                boolean(false),
            ]
        })
        .collect();
    rows_of(
        &[
            ("schemaname", DataType::Name),
            ("tablename", DataType::Name),
            ("tableowner", DataType::Name),
            ("tablespace", DataType::Name),
            ("hasindexes", DataType::Bool),
            ("hasrules", DataType::Bool),
            ("hastriggers", DataType::Bool),
            ("rowsecurity", DataType::Bool),
        ],
        rows,
    )
}

fn pg_settings(_: &Snapshot) -> SystemRelation {
    let rows = crate::sql::settings::Settings::new(ROLE_NAME)
        .all()
        .iter()
        .map(|(k, v)| vec![text(&crate::sql::settings::canonical_name(k)), text(v), text("user")])
        .collect();
    rows_of(
        &[("name", DataType::Text), ("setting", DataType::Text), ("context", DataType::Text)],
        rows,
    )
}

fn is_tables(snapshot: &Snapshot) -> SystemRelation {
    let relations = snapshot
        .tables
        .iter()
        .map(|t| (&t.name, "BASE TABLE", "YES"))
        .chain(snapshot.views.iter().map(|v| (&v.name, "VIEW", "NO")));
    let rows = relations
        .map(|(relation, kind, insertable)| {
            vec![
                name("quorumdb"),
                name(snapshot.schema_of(relation)),
                name(snapshot.bare(relation)),
                text(kind),
                text(insertable),
                text("NO"),
            ]
        })
        .collect();
    rows_of(
        &[
            ("table_catalog", DataType::Name),
            ("table_schema", DataType::Name),
            ("table_name", DataType::Name),
            ("table_type", DataType::Text),
            ("is_insertable_into", DataType::Text),
            ("is_typed", DataType::Text),
        ],
        rows,
    )
}

fn is_columns(snapshot: &Snapshot) -> SystemRelation {
    let tables = &snapshot.tables[..];
    let mut rows = Vec::new();
    let view_tables: Vec<TableDef> = snapshot
        .views
        .iter()
        .map(|v| TableDef {
            id: v.id,
            name: v.name.clone(),
            columns: v
                .columns
                .iter()
                .map(|(column, ty)| crate::sql::catalog::ColumnDef {
                    name: column.clone(),
                    ty: ty.clone(),
                    not_null: false,
                    default: None,
                    identity: None,
                })
                .collect(),
            ..TableDef::default()
        })
        .collect();
    for table in tables.iter().chain(&view_tables) {
        for (i, column) in table.columns.iter().enumerate() {
            let (max_length, precision, scale) = match &column.ty {
                DataType::Varchar(n) | DataType::Char(n) => (n.map(i64::from), None, None),
                DataType::Numeric { precision, scale } => {
                    (None, precision.map(i64::from), scale.map(i64::from))
                }
                DataType::Int2 => (None, Some(16), Some(0)),
                DataType::Int4 => (None, Some(32), Some(0)),
                DataType::Int8 => (None, Some(64), Some(0)),
                _ => (None, None, None),
            };
            let opt = |v: Option<i64>| v.map_or(Value::Null, int);
            rows.push(vec![
                name("quorumdb"),
                name(snapshot.schema_of(&table.name)),
                name(snapshot.bare(&table.name)),
                name(&column.name),
                int(i64::try_from(i + 1).unwrap_or(0)),
                column.default.as_deref().map_or(Value::Null, text),
                text(if column.not_null { "NO" } else { "YES" }),
                text(column.ty.base_name()),
                opt(max_length),
                opt(precision),
                opt(scale),
                name(&udt_name(&column.ty)),
                text(if column.identity.is_some() { "YES" } else { "NO" }),
            ]);
        }
    }
    rows_of(
        &[
            ("table_catalog", DataType::Name),
            ("table_schema", DataType::Name),
            ("table_name", DataType::Name),
            ("column_name", DataType::Name),
            ("ordinal_position", DataType::Int4),
            ("column_default", DataType::Text),
            ("is_nullable", DataType::Text),
            ("data_type", DataType::Text),
            ("character_maximum_length", DataType::Int4),
            ("numeric_precision", DataType::Int4),
            ("numeric_scale", DataType::Int4),
            ("udt_name", DataType::Name),
            ("is_identity", DataType::Text),
        ],
        rows,
    )
}

fn udt_name(ty: &DataType) -> String {
    match ty {
        DataType::Char(_) => "bpchar".into(),
        DataType::Varchar(_) => "varchar".into(),
        DataType::Numeric { .. } => "numeric".into(),
        DataType::Int2 => "int2".into(),
        DataType::Int4 => "int4".into(),
        DataType::Int8 => "int8".into(),
        DataType::Float4 => "float4".into(),
        DataType::Float8 => "float8".into(),
        DataType::Bool => "bool".into(),
        DataType::Timestamptz => "timestamptz".into(),
        other => other.display_name(),
    }
}

fn is_schemata(snapshot: &Snapshot) -> SystemRelation {
    let rows = ["pg_catalog", "public", "information_schema"]
        .into_iter()
        .chain(snapshot.schemas.iter().map(|s| s.name.as_str()))
        .map(|s| vec![name("quorumdb"), name(s), name(ROLE_NAME)])
        .collect();
    rows_of(
        &[
            ("catalog_name", DataType::Name),
            ("schema_name", DataType::Name),
            ("schema_owner", DataType::Name),
        ],
        rows,
    )
}

fn is_table_constraints(snapshot: &Snapshot) -> SystemRelation {
    let tables = &snapshot.tables[..];
    let mut rows = Vec::new();
    for table in tables {
        for (_, constraint_name, _, primary) in indexes(table) {
            rows.push(vec![
                name("quorumdb"),
                name(snapshot.schema_of(&table.name)),
                name(snapshot.constraint_name(&table.name, &constraint_name)),
                name("quorumdb"),
                name(snapshot.schema_of(&table.name)),
                name(snapshot.bare(&table.name)),
                text(if primary { "PRIMARY KEY" } else { "UNIQUE" }),
                text("NO"),
                text("NO"),
            ]);
        }
        for check in &table.checks {
            rows.push(vec![
                name("quorumdb"),
                name(snapshot.schema_of(&table.name)),
                name(snapshot.constraint_name(&table.name, &check.name)),
                name("quorumdb"),
                name(snapshot.schema_of(&table.name)),
                name(snapshot.bare(&table.name)),
                text("CHECK"),
                text("NO"),
                text("NO"),
            ]);
        }
        for fk in &table.foreign_keys {
            rows.push(vec![
                name("quorumdb"),
                name(snapshot.schema_of(&table.name)),
                name(snapshot.constraint_name(&table.name, &fk.name)),
                name("quorumdb"),
                name(snapshot.schema_of(&table.name)),
                name(snapshot.bare(&table.name)),
                text("FOREIGN KEY"),
                text("NO"),
                text("NO"),
            ]);
        }
    }
    rows_of(
        &[
            ("constraint_catalog", DataType::Name),
            ("constraint_schema", DataType::Name),
            ("constraint_name", DataType::Name),
            ("table_catalog", DataType::Name),
            ("table_schema", DataType::Name),
            ("table_name", DataType::Name),
            ("constraint_type", DataType::Text),
            ("is_deferrable", DataType::Text),
            ("initially_deferred", DataType::Text),
        ],
        rows,
    )
}

fn is_key_column_usage(snapshot: &Snapshot) -> SystemRelation {
    let tables = &snapshot.tables[..];
    let mut rows = Vec::new();
    for table in tables {
        for (_, constraint_name, index_columns, _) in indexes(table) {
            for (position, &c) in index_columns.iter().enumerate() {
                if let Some(column) = table.columns.get(c) {
                    rows.push(vec![
                        name("quorumdb"),
                        name(snapshot.schema_of(&table.name)),
                        name(snapshot.constraint_name(&table.name, &constraint_name)),
                        name("quorumdb"),
                        name(snapshot.schema_of(&table.name)),
                        name(snapshot.bare(&table.name)),
                        name(&column.name),
                        int(i64::try_from(position + 1).unwrap_or(0)),
                    ]);
                }
            }
        }
    }
    rows_of(
        &[
            ("constraint_catalog", DataType::Name),
            ("constraint_schema", DataType::Name),
            ("constraint_name", DataType::Name),
            ("table_catalog", DataType::Name),
            ("table_schema", DataType::Name),
            ("table_name", DataType::Name),
            ("column_name", DataType::Name),
            ("ordinal_position", DataType::Int4),
        ],
        rows,
    )
}

fn pg_views(snapshot: &Snapshot) -> SystemRelation {
    let rows = snapshot
        .views
        .iter()
        .map(|v| {
            vec![
                name(snapshot.schema_of(&v.name)),
                name(snapshot.bare(&v.name)),
                name(ROLE_NAME),
                text(&super::describe::view_definition(v)),
            ]
        })
        .collect();
    rows_of(
        &[
            ("schemaname", DataType::Name),
            ("viewname", DataType::Name),
            ("viewowner", DataType::Name),
            ("definition", DataType::Text),
        ],
        rows,
    )
}

fn is_views(snapshot: &Snapshot) -> SystemRelation {
    let rows = snapshot
        .views
        .iter()
        .map(|v| {
            vec![
                name("quorumdb"),
                name(snapshot.schema_of(&v.name)),
                name(snapshot.bare(&v.name)),
                text(&super::describe::view_definition(v)),
                text("NONE"),
                text("NO"),
                text("NO"),
                text("NO"),
                text("NO"),
                text("NO"),
            ]
        })
        .collect();
    rows_of(
        &[
            ("table_catalog", DataType::Name),
            ("table_schema", DataType::Name),
            ("table_name", DataType::Name),
            ("view_definition", DataType::Text),
            ("check_option", DataType::Text),
            ("is_updatable", DataType::Text),
            ("is_insertable_into", DataType::Text),
            ("is_trigger_updatable", DataType::Text),
            ("is_trigger_deletable", DataType::Text),
            ("is_trigger_insertable_into", DataType::Text),
        ],
        rows,
    )
}

/// The SQL name of a sequence's type (`bigint`).
fn sequence_type_name(ty: &DataType) -> &'static str {
    match ty {
        DataType::Int2 => "smallint",
        DataType::Int4 => "integer",
        _ => "bigint",
    }
}

/// pg_sequences. Sequence state lives outside the catalog: the binder turns the last
/// column (the sequence's OID here) into `pg_sequence_last_value(oid)`.
fn pg_sequences(snapshot: &Snapshot) -> SystemRelation {
    let rows = snapshot
        .sequences
        .iter()
        .map(|q| {
            vec![
                name(snapshot.schema_of(&q.name)),
                name(snapshot.bare(&q.name)),
                name(ROLE_NAME),
                text(sequence_type_name(&q.data_type)),
                Value::Int8(q.start),
                Value::Int8(q.min_value),
                Value::Int8(q.max_value),
                Value::Int8(q.increment),
                boolean(q.cycle),
                Value::Int8(q.cache),
                // Replaced by pg_sequence_last_value(oid) when the statement runs.
                oid(q.oid()),
            ]
        })
        .collect();
    rows_of(
        &[
            ("schemaname", DataType::Name),
            ("sequencename", DataType::Name),
            ("sequenceowner", DataType::Name),
            ("data_type", DataType::Text),
            ("start_value", DataType::Int8),
            ("min_value", DataType::Int8),
            ("max_value", DataType::Int8),
            ("increment_by", DataType::Int8),
            ("cycle", DataType::Bool),
            ("cache_size", DataType::Int8),
            ("last_value", DataType::Int8),
        ],
        rows,
    )
}

fn is_sequences(snapshot: &Snapshot) -> SystemRelation {
    let rows = snapshot
        .sequences
        .iter()
        .map(|q| {
            let precision = match q.data_type {
                DataType::Int2 => 16,
                DataType::Int4 => 32,
                _ => 64,
            };
            vec![
                name("quorumdb"),
                name(snapshot.schema_of(&q.name)),
                name(snapshot.bare(&q.name)),
                text(sequence_type_name(&q.data_type)),
                int(precision),
                int(2),
                int(0),
                text(&q.start.to_string()),
                text(&q.min_value.to_string()),
                text(&q.max_value.to_string()),
                text(&q.increment.to_string()),
                text(if q.cycle { "YES" } else { "NO" }),
            ]
        })
        .collect();
    rows_of(
        &[
            ("sequence_catalog", DataType::Name),
            ("sequence_schema", DataType::Name),
            ("sequence_name", DataType::Name),
            ("data_type", DataType::Text),
            ("numeric_precision", DataType::Int4),
            ("numeric_precision_radix", DataType::Int4),
            ("numeric_scale", DataType::Int4),
            ("start_value", DataType::Text),
            ("minimum_value", DataType::Text),
            ("maximum_value", DataType::Text),
            ("increment", DataType::Text),
            ("cycle_option", DataType::Text),
        ],
        rows,
    )
}

fn is_referential_constraints(snapshot: &Snapshot) -> SystemRelation {
    let mut rows = Vec::new();
    for table in &snapshot.tables {
        for fk in &table.foreign_keys {
            let unique_name =
                snapshot.tables.iter().find(|t| t.id == fk.referenced_id).and_then(|r| {
                    let no = crate::sql::binder::unique_key_of(r, &fk.referenced_columns)?;
                    indexes(r)
                        .into_iter()
                        .find(|(n, ..)| *n == no)
                        .map(|(_, name, ..)| name)
                        .or_else(|| {
                            r.indexes.iter().find(|i| i.index_no == no).map(|i| i.name.clone())
                        })
                });
            rows.push(vec![
                name("quorumdb"),
                name(snapshot.schema_of(&table.name)),
                name(snapshot.constraint_name(&table.name, &fk.name)),
                name("quorumdb"),
                unique_name.as_deref().map_or(Value::Null, |n| name(snapshot.schema_of(n))),
                unique_name.as_deref().map_or(Value::Null, |n| name(snapshot.bare(n))),
                text("NONE"),
                text(fk.on_update.sql()),
                text(fk.on_delete.sql()),
            ]);
        }
    }
    rows_of(
        &[
            ("constraint_catalog", DataType::Name),
            ("constraint_schema", DataType::Name),
            ("constraint_name", DataType::Name),
            ("unique_constraint_catalog", DataType::Name),
            ("unique_constraint_schema", DataType::Name),
            ("unique_constraint_name", DataType::Name),
            ("match_option", DataType::Text),
            ("update_rule", DataType::Text),
            ("delete_rule", DataType::Text),
        ],
        rows,
    )
}
