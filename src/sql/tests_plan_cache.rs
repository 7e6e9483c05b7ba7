//! Session-level tests of the plan cache of prepared statements (`session::plan_cache`):
//! a statement executed again reuses its bound plan, and binds afresh — with PostgreSQL's
//! results and errors — after DDL, a `search_path` change, or inside a transaction that
//! changed the catalog itself. Expectations were checked against PostgreSQL 15.

use super::test_support::{Db, code, error, open, rows, s, session};
use super::types::Value;
use super::*;

/// Prepares `sql` through the Session API (as the wire's Parse does).
fn prepare(session: &mut Session, sql: &str) -> Prepared {
    let statement = session.parse(sql).expect("parse").remove(0);
    session.prepare(sql, statement, &[]).expect("prepare")
}

/// Executes `prepared` with `params`; rows as text, or the error.
fn execute(
    session: &mut Session,
    prepared: &Prepared,
    params: Vec<Value>,
) -> Result<Vec<Vec<String>>, SqlError> {
    match session.execute(prepared, params)? {
        Outcome::Rows { rows, .. } => rows
            .map(|row| {
                row.map(|row| {
                    row.iter()
                        .map(|v| if v.is_null() { "NULL".to_string() } else { v.to_text() })
                        .collect()
                })
            })
            .collect(),
        Outcome::Done(tag) | Outcome::DoneWithNotice { tag, .. } => Ok(vec![vec![tag]]),
        _ => Ok(Vec::new()),
    }
}

fn ok(session: &mut Session, prepared: &Prepared, params: Vec<Value>) -> Vec<Vec<String>> {
    execute(session, prepared, params).unwrap_or_else(|err| panic!("{}: {err:?}", prepared.sql))
}

fn failure(
    session: &mut Session,
    prepared: &Prepared,
    params: Vec<Value>,
) -> (&'static str, String) {
    match execute(session, prepared, params) {
        Ok(rows) => panic!("{}: expected an error, got {rows:?}", prepared.sql),
        Err(err) => (err.code, err.message.clone()),
    }
}

fn setup(db: &Db) -> Session {
    let mut s1 = session(db);
    rows(&mut s1, "CREATE TABLE pc (a int PRIMARY KEY, b text)");
    rows(&mut s1, "INSERT INTO pc VALUES (1, 'one'), (2, 'two')");
    s1
}

#[test]
fn repeated_executions_reuse_the_plan() {
    let db = open();
    let mut s1 = setup(&db);
    let one = prepare(&mut s1, "SELECT b FROM pc WHERE a = $1");
    assert!(one.has_cached_plan(), "a plain point SELECT is kept at Parse");
    for (a, b) in [(1, "one"), (2, "two"), (1, "one")] {
        assert_eq!(ok(&mut s1, &one, vec![Value::Int4(a)]), s(&[&[b]]));
    }
    assert_eq!(ok(&mut s1, &one, vec![Value::Int4(3)]), Vec::<Vec<String>>::new());
    // Writes through a kept INSERT plan are seen by the kept SELECT plan.
    let insert = prepare(&mut s1, "INSERT INTO pc VALUES ($1, $2)");
    assert_eq!(
        ok(&mut s1, &insert, vec![Value::Int4(3), Value::Text("three".into())]),
        s(&[&["INSERT 0 1"]])
    );
    assert_eq!(ok(&mut s1, &one, vec![Value::Int4(3)]), s(&[&["three"]]));
    // A duplicate key still fails through the kept plan.
    let (code, _) = failure(&mut s1, &insert, vec![Value::Int4(3), Value::Text("x".into())]);
    assert_eq!(code, sqlstate::UNIQUE_VIOLATION);
    // System relations are read afresh every time: not kept.
    let tables = prepare(&mut s1, "SELECT count(*) FROM pg_class WHERE relname = 'pc2'");
    assert!(!tables.has_cached_plan());
    assert_eq!(ok(&mut s1, &tables, vec![]), s(&[&["0"]]));
    rows(&mut s1, "CREATE TABLE pc2 (x int)");
    assert_eq!(ok(&mut s1, &tables, vec![]), s(&[&["1"]]));
}

#[test]
fn ddl_between_executions_binds_again_as_postgres_does() {
    let db = open();
    let mut s1 = setup(&db);
    rows(&mut s1, "PREPARE star AS SELECT * FROM pc ORDER BY a");
    rows(&mut s1, "PREPARE one(int) AS SELECT a, b FROM pc WHERE a = $1");
    rows(&mut s1, "PREPARE ins AS INSERT INTO pc VALUES ($1, $2)");
    assert_eq!(rows(&mut s1, "EXECUTE star"), s(&[&["1", "one"], &["2", "two"]]));
    assert_eq!(rows(&mut s1, "EXECUTE one(1)"), s(&[&["1", "one"]]));

    // ADD COLUMN: a statement naming its columns is unaffected; SELECT * would change its
    // result columns, which PostgreSQL refuses for a prepared statement.
    rows(&mut s1, "ALTER TABLE pc ADD COLUMN c int DEFAULT 7");
    assert_eq!(rows(&mut s1, "EXECUTE one(2)"), s(&[&["2", "two"]]));
    assert_eq!(
        error(&mut s1, "EXECUTE star"),
        ("0A000", "cached plan must not change result type".to_string())
    );
    // The INSERT binds against the new definition: the new column gets its default.
    rows(&mut s1, "EXECUTE ins(3, 'three')");
    assert_eq!(
        rows(&mut s1, "SELECT * FROM pc ORDER BY a"),
        s(&[&["1", "one", "7"], &["2", "two", "7"], &["3", "three", "7"]])
    );
    // DROP COLUMN back to the prepared shape: SELECT * works again.
    rows(&mut s1, "ALTER TABLE pc DROP COLUMN c");
    assert_eq!(rows(&mut s1, "EXECUTE star"), s(&[&["1", "one"], &["2", "two"], &["3", "three"]]));

    // Dropping a column the statement uses.
    rows(&mut s1, "ALTER TABLE pc DROP COLUMN b");
    assert_eq!(error(&mut s1, "EXECUTE one(1)"), ("42703", "column \"b\" does not exist".into()));

    // DROP TABLE, then CREATE TABLE of the same name: the statements follow the name.
    rows(&mut s1, "DROP TABLE pc");
    assert_eq!(
        error(&mut s1, "EXECUTE one(1)"),
        ("42P01", "relation \"pc\" does not exist".into())
    );
    assert_eq!(code(&mut s1, "EXECUTE ins(4, 'four')"), "42P01");
    rows(&mut s1, "CREATE TABLE pc (a int, b text)");
    rows(&mut s1, "INSERT INTO pc VALUES (1, 'new')");
    assert_eq!(rows(&mut s1, "EXECUTE one(1)"), s(&[&["1", "new"]]));
    rows(&mut s1, "EXECUTE ins(5, 'five')");
    assert_eq!(rows(&mut s1, "SELECT * FROM pc ORDER BY a"), s(&[&["1", "new"], &["5", "five"]]));
}

#[test]
fn search_path_changes_and_own_ddl_bind_again() {
    let db = open();
    let mut s1 = setup(&db);
    rows(&mut s1, "PREPARE one(int) AS SELECT a, b FROM pc WHERE a = $1");
    rows(&mut s1, "CREATE SCHEMA pcs");
    rows(&mut s1, "CREATE TABLE pcs.pc (a int, b text)");
    rows(&mut s1, "INSERT INTO pcs.pc VALUES (1, 'in pcs')");
    assert_eq!(rows(&mut s1, "EXECUTE one(1)"), s(&[&["1", "one"]]));
    rows(&mut s1, "SET search_path = pcs, public");
    assert_eq!(rows(&mut s1, "EXECUTE one(1)"), s(&[&["1", "in pcs"]]));
    rows(&mut s1, "RESET search_path");
    assert_eq!(rows(&mut s1, "EXECUTE one(1)"), s(&[&["1", "one"]]));

    // DDL inside the executing transaction: the statement sees the transaction's catalog,
    // and the kept plan again after ROLLBACK.
    rows(&mut s1, "BEGIN");
    rows(&mut s1, "ALTER TABLE pc RENAME COLUMN b TO bb");
    assert_eq!(code(&mut s1, "EXECUTE one(1)"), "42703");
    rows(&mut s1, "ROLLBACK");
    rows(&mut s1, "BEGIN");
    rows(&mut s1, "DROP TABLE pc");
    assert_eq!(code(&mut s1, "EXECUTE one(1)"), "42P01");
    rows(&mut s1, "ROLLBACK");
    assert_eq!(rows(&mut s1, "EXECUTE one(1)"), s(&[&["1", "one"]]));
}

#[test]
fn another_sessions_ddl_invalidates_kept_plans() {
    let db = open();
    let mut s1 = setup(&db);
    let mut s2 = session(&db);
    let star = prepare(&mut s1, "SELECT * FROM pc WHERE a = $1");
    assert_eq!(ok(&mut s1, &star, vec![Value::Int4(1)]), s(&[&["1", "one"]]));

    // s1's open REPEATABLE READ snapshot predates s2's ALTER: the kept plan still matches
    // the catalog s1 sees.
    rows(&mut s1, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    assert_eq!(rows(&mut s1, "SELECT count(*) FROM pc"), s(&[&["2"]]));
    rows(&mut s2, "ALTER TABLE pc ADD COLUMN c int DEFAULT 5");
    assert_eq!(ok(&mut s1, &star, vec![Value::Int4(2)]), s(&[&["2", "two"]]));
    rows(&mut s1, "COMMIT");
    // A new transaction sees the new column: the statement's result would change.
    let (code, message) = failure(&mut s1, &star, vec![Value::Int4(2)]);
    assert_eq!((code, message.as_str()), ("0A000", "cached plan must not change result type"));

    // A statement naming its columns binds again and keeps working across s2's DDL.
    let named = prepare(&mut s1, "SELECT b, c FROM pc WHERE a = $1");
    assert_eq!(ok(&mut s1, &named, vec![Value::Int4(1)]), s(&[&["one", "5"]]));
    rows(&mut s2, "ALTER TABLE pc RENAME COLUMN c TO d");
    assert_eq!(failure(&mut s1, &named, vec![Value::Int4(1)]).0, "42703");
    rows(&mut s2, "ALTER TABLE pc RENAME COLUMN d TO c");
    assert_eq!(ok(&mut s1, &named, vec![Value::Int4(1)]), s(&[&["one", "5"]]));
    rows(&mut s2, "DROP TABLE pc");
    assert_eq!(failure(&mut s1, &named, vec![Value::Int4(1)]).0, "42P01");
    rows(&mut s2, "CREATE TABLE pc (a int PRIMARY KEY, b text, c int)");
    rows(&mut s2, "INSERT INTO pc VALUES (1, 'recreated', 9)");
    assert_eq!(ok(&mut s1, &named, vec![Value::Int4(1)]), s(&[&["recreated", "9"]]));
}

#[test]
fn a_reused_plan_keeps_serializable_conflicts_on_the_catalog() {
    // s1's INSERT runs through a kept plan while s2 adds a CHECK its row violates and
    // commits first: s1's commit must fail (as when the INSERT binds and reads the table's
    // definition), not store a row the constraint forbids.
    let db = open();
    let mut s1 = setup(&db);
    let mut s2 = session(&db);
    let insert = prepare(&mut s1, "INSERT INTO pc VALUES ($1, $2)");
    ok(&mut s1, &insert, vec![Value::Int4(3), Value::Text("three".into())]);
    rows(&mut s1, "BEGIN ISOLATION LEVEL SERIALIZABLE");
    ok(&mut s1, &insert, vec![Value::Int4(-4), Value::Text("minus four".into())]);
    rows(&mut s2, "ALTER TABLE pc ADD CONSTRAINT positive CHECK (a > 0)");
    assert_eq!(code(&mut s1, "COMMIT"), "40001");
    assert_eq!(rows(&mut s2, "SELECT a FROM pc ORDER BY a"), s(&[&["1"], &["2"], &["3"]]));
}
