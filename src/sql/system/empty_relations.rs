//! Catalog relations that exist for clients' queries but hold no rows here, because the
//! features behind them (extended statistics, publications, foreign tables, event triggers,
//! extensions, user-defined functions) do not exist in QuorumDB. psql's `\d` and drivers' introspection join them.

use super::SystemRelation;
use crate::sql::types::DataType;

/// The empty relation `name` of pg_catalog, if it is one of these.
pub fn pg_catalog(name: &str) -> Option<SystemRelation> {
    let oid = || DataType::Oid;
    let text = || DataType::Text;
    let boolean = || DataType::Bool;
    let columns: Vec<(&str, DataType)> = match name {
        "pg_statistic_ext" => vec![
            ("oid", oid()),
            ("stxrelid", oid()),
            ("stxname", DataType::Name),
            ("stxnamespace", oid()),
            ("stxowner", oid()),
            ("stxstattarget", DataType::Int4),
            ("stxkeys", text()),
            ("stxkind", DataType::Array(Box::new(text()))),
            ("stxexprs", text()),
        ],
        "pg_publication" => vec![
            ("oid", oid()),
            ("pubname", DataType::Name),
            ("pubowner", oid()),
            ("puballtables", boolean()),
            ("pubinsert", boolean()),
            ("pubupdate", boolean()),
            ("pubdelete", boolean()),
            ("pubtruncate", boolean()),
            ("pubviaroot", boolean()),
        ],
        "pg_publication_rel" => vec![
            ("oid", oid()),
            ("prpubid", oid()),
            ("prrelid", oid()),
            ("prqual", text()),
            ("prattrs", DataType::Array(Box::new(DataType::Int2))),
        ],
        "pg_publication_namespace" => {
            vec![("oid", oid()), ("pnpubid", oid()), ("pnnspid", oid())]
        }
        "pg_foreign_table" => vec![
            ("ftrelid", oid()),
            ("ftserver", oid()),
            ("ftoptions", DataType::Array(Box::new(text()))),
        ],
        "pg_foreign_server" => vec![("oid", oid()), ("srvname", DataType::Name)],
        "pg_partitioned_table" => {
            vec![("partrelid", oid()), ("partstrat", text()), ("partnatts", DataType::Int2)]
        }
        "pg_event_trigger" => vec![("oid", oid()), ("evtname", DataType::Name)],
        "pg_extension" => vec![
            ("oid", oid()),
            ("extname", DataType::Name),
            ("extowner", oid()),
            ("extnamespace", oid()),
            ("extrelocatable", boolean()),
            ("extversion", text()),
        ],
        "pg_enum" => vec![
            ("oid", oid()),
            ("enumtypid", oid()),
            ("enumsortorder", DataType::Float4),
            ("enumlabel", DataType::Name),
        ],
        "pg_range" => vec![
            ("rngtypid", oid()),
            ("rngsubtype", oid()),
            ("rngmultitypid", oid()),
            ("rngcollation", oid()),
        ],
        // User-defined functions and procedures (there are none; built-ins are not listed).
        "pg_proc" => vec![
            ("oid", oid()),
            ("proname", DataType::Name),
            ("pronamespace", oid()),
            ("proowner", oid()),
            ("prolang", oid()),
            ("prokind", text()),
            ("prosecdef", boolean()),
            ("proisstrict", boolean()),
            ("proretset", boolean()),
            ("provolatile", text()),
            ("pronargs", DataType::Int2),
            ("prorettype", oid()),
            ("proargtypes", text()),
            ("proallargtypes", DataType::Array(Box::new(oid()))),
            ("proargmodes", DataType::Array(Box::new(text()))),
            ("proargnames", DataType::Array(Box::new(text()))),
            ("prosrc", text()),
        ],
        _ => return None,
    };
    Some(SystemRelation {
        columns: columns.into_iter().map(|(n, t)| (n.to_string(), t)).collect(),
        rows: Vec::new(),
    })
}
