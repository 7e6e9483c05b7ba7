use super::super::DataType;
use super::numeric;
use crate::sql::error::sqlstate;

#[test]
fn oids_round_trip() {
    let all = [
        (DataType::Bool, 16),
        (DataType::Bytea, 17),
        (DataType::Name, 19),
        (DataType::Int8, 20),
        (DataType::Int2, 21),
        (DataType::Int4, 23),
        (DataType::Text, 25),
        (DataType::Oid, 26),
        (DataType::Json, 114),
        (DataType::Float4, 700),
        (DataType::Float8, 701),
        (DataType::Unknown, 705),
        (DataType::Char(None), 1042),
        (DataType::Varchar(None), 1043),
        (DataType::Date, 1082),
        (DataType::Timestamp, 1114),
        (DataType::Timestamptz, 1184),
        (DataType::Interval, 1186),
        (DataType::Numeric { precision: None, scale: None }, 1700),
        (DataType::Uuid, 2950),
        (DataType::Jsonb, 3802),
    ];
    for (ty, oid) in all {
        assert_eq!(ty.oid(), oid, "{ty:?}");
        assert_eq!(DataType::from_oid(oid), Some(ty));
    }
    assert_eq!(DataType::from_oid(9999), None);
}

#[test]
fn typmods() {
    assert_eq!(DataType::Varchar(Some(10)).typmod(), 14);
    assert_eq!(DataType::Char(Some(5)).typmod(), 9);
    assert_eq!(numeric(12, 3).typmod(), ((12 << 16) | 3) + 4);
    assert_eq!(DataType::Int4.typmod(), -1);
    assert_eq!(DataType::Varchar(None).typmod(), -1);
    assert_eq!(DataType::from_oid_typmod(1043, 14), Some(DataType::Varchar(Some(10))));
    assert_eq!(DataType::from_oid_typmod(1700, ((12 << 16) | 3) + 4), Some(numeric(12, 3)));
    assert_eq!(DataType::from_oid_typmod(1042, -1), Some(DataType::Char(None)));
}

#[test]
fn typlens() {
    assert_eq!(DataType::Bool.typlen(), 1);
    assert_eq!(DataType::Int2.typlen(), 2);
    assert_eq!(DataType::Int4.typlen(), 4);
    assert_eq!(DataType::Int8.typlen(), 8);
    assert_eq!(DataType::Float4.typlen(), 4);
    assert_eq!(DataType::Float8.typlen(), 8);
    assert_eq!(DataType::Date.typlen(), 4);
    assert_eq!(DataType::Timestamp.typlen(), 8);
    assert_eq!(DataType::Timestamptz.typlen(), 8);
    assert_eq!(DataType::Interval.typlen(), 16);
    assert_eq!(DataType::Uuid.typlen(), 16);
    assert_eq!(DataType::Oid.typlen(), 4);
    assert_eq!(DataType::Name.typlen(), 64);
    assert_eq!(DataType::Text.typlen(), -1);
    assert_eq!(numeric(5, 2).typlen(), -1);
}

#[test]
fn display_names() {
    let cases = [
        (DataType::Int4, "integer"),
        (DataType::Int8, "bigint"),
        (DataType::Int2, "smallint"),
        (DataType::Float4, "real"),
        (DataType::Float8, "double precision"),
        (numeric(12, 3), "numeric(12,3)"),
        (DataType::Numeric { precision: None, scale: None }, "numeric"),
        (DataType::Text, "text"),
        (DataType::Varchar(Some(10)), "character varying(10)"),
        (DataType::Varchar(None), "character varying"),
        (DataType::Char(Some(5)), "character(5)"),
        (DataType::Char(None), "bpchar"),
        (DataType::Bool, "boolean"),
        (DataType::Bytea, "bytea"),
        (DataType::Date, "date"),
        (DataType::Timestamp, "timestamp without time zone"),
        (DataType::Timestamptz, "timestamp with time zone"),
        (DataType::Interval, "interval"),
        (DataType::Uuid, "uuid"),
        (DataType::Json, "json"),
        (DataType::Jsonb, "jsonb"),
        (DataType::Name, "name"),
        (DataType::Oid, "oid"),
        (DataType::Unknown, "unknown"),
    ];
    for (ty, name) in cases {
        assert_eq!(ty.display_name(), name);
    }
}

#[test]
fn sql_names() {
    let ok = |name: &str, mods: &[u32], expected: DataType| {
        assert_eq!(DataType::from_sql_name(name, mods).unwrap(), expected, "{name}");
    };
    for name in ["int", "integer", "int4"] {
        ok(name, &[], DataType::Int4);
    }
    ok("smallint", &[], DataType::Int2);
    ok("int2", &[], DataType::Int2);
    ok("bigint", &[], DataType::Int8);
    ok("int8", &[], DataType::Int8);
    ok("real", &[], DataType::Float4);
    ok("float4", &[], DataType::Float4);
    ok("float8", &[], DataType::Float8);
    ok("double precision", &[], DataType::Float8);
    ok("float", &[], DataType::Float8);
    ok("float", &[24], DataType::Float4);
    ok("float", &[25], DataType::Float8);
    ok("numeric", &[], DataType::Numeric { precision: None, scale: None });
    ok("numeric", &[10], numeric(10, 0));
    ok("decimal", &[12, 3], numeric(12, 3));
    ok("text", &[], DataType::Text);
    ok("varchar", &[], DataType::Varchar(None));
    ok("character varying", &[10], DataType::Varchar(Some(10)));
    ok("char", &[], DataType::Char(Some(1)));
    ok("character", &[5], DataType::Char(Some(5)));
    ok("bpchar", &[], DataType::Char(None));
    ok("bool", &[], DataType::Bool);
    ok("boolean", &[], DataType::Bool);
    ok("bytea", &[], DataType::Bytea);
    ok("date", &[], DataType::Date);
    ok("timestamp", &[], DataType::Timestamp);
    ok("timestamp without time zone", &[], DataType::Timestamp);
    ok("timestamptz", &[], DataType::Timestamptz);
    ok("timestamp with time zone", &[], DataType::Timestamptz);
    ok("interval", &[], DataType::Interval);
    ok("uuid", &[], DataType::Uuid);
    ok("json", &[], DataType::Json);
    ok("jsonb", &[], DataType::Jsonb);
    ok("name", &[], DataType::Name);
    ok("oid", &[], DataType::Oid);
}

#[test]
fn sql_name_errors() {
    let err = DataType::from_sql_name("foo", &[]).unwrap_err();
    assert_eq!(err.code, sqlstate::UNDEFINED_OBJECT);
    assert_eq!(err.message, "type \"foo\" does not exist");
    let err = DataType::from_sql_name("numeric", &[0]).unwrap_err();
    assert_eq!(err.code, sqlstate::INVALID_PARAMETER_VALUE);
    assert_eq!(err.message, "NUMERIC precision 0 must be between 1 and 1000");
    assert_eq!(DataType::from_sql_name("numeric", &[1001]).unwrap_err().code, "22023");
    assert_eq!(DataType::from_sql_name("varchar", &[0]).unwrap_err().code, "22023");
    assert_eq!(DataType::from_sql_name("int4", &[3]).unwrap_err().code, sqlstate::SYNTAX_ERROR);
}

#[test]
fn predicates() {
    assert!(DataType::Int2.is_numeric() && numeric(3, 1).is_numeric());
    assert!(!DataType::Text.is_numeric());
    assert!(DataType::Unknown.is_string() && DataType::Char(None).is_string());
    assert!(!DataType::Bytea.is_string());
}
