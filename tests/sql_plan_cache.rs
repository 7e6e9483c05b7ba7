//! Prepared statements over the wire (tokio-postgres: Parse once, Bind/Execute many times)
//! while the catalog changes between executions — from the same connection and from
//! another one. QuorumDB keeps a statement's bound plan and must bind again exactly when
//! PostgreSQL re-plans: the results and errors below are PostgreSQL 15's.
//!
//! Each test starts its own server (`tests/common`). With `QDB_TEST_ADDR=HOST:PORT` the
//! tests run against an existing server instead (database and user `quorumdb`), which is
//! how the expectations were checked against PostgreSQL 15.

mod common;

use tokio_postgres::Client;

/// `SQLSTATE: message` of a failed call.
fn describe(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => format!("{err:?}"),
    }
}

async fn batch(client: &Client, sql: &str) {
    if let Err(err) = client.batch_execute(sql).await {
        panic!("{sql}: {}", describe(&err));
    }
}

/// Rows of a prepared statement as (int, text) pairs, or the error.
async fn pairs(
    client: &Client,
    statement: &tokio_postgres::Statement,
    a: i32,
) -> Result<Vec<(i32, String)>, String> {
    let rows = client.query(statement, &[&a]).await.map_err(|err| describe(&err))?;
    Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
}

fn pair(a: i32, b: &str) -> Vec<(i32, String)> {
    vec![(a, b.to_owned())]
}

#[tokio::test]
async fn prepared_statements_follow_ddl_from_any_connection() {
    let target = common::Target::new();
    let client = target.client().await;
    let other = target.client().await;
    batch(
        &client,
        "DROP TABLE IF EXISTS pcw; CREATE TABLE pcw (a int PRIMARY KEY, b text); \
         INSERT INTO pcw VALUES (1, 'one'), (2, 'two');",
    )
    .await;
    let one = client.prepare("SELECT a, b FROM pcw WHERE a = $1").await.expect("prepare");
    let star = client.prepare("SELECT * FROM pcw WHERE a = $1").await.expect("prepare");
    let insert = client.prepare("INSERT INTO pcw VALUES ($1, $2)").await.expect("prepare");
    for _ in 0..3 {
        assert_eq!(pairs(&client, &one, 1).await, Ok(pair(1, "one")));
        assert_eq!(pairs(&client, &star, 2).await, Ok(pair(2, "two")));
    }

    // Another connection adds a column: named columns keep working, SELECT * would change
    // its result type and fails; the INSERT fills the new column's default.
    batch(&other, "ALTER TABLE pcw ADD COLUMN c int DEFAULT 7").await;
    assert_eq!(pairs(&client, &one, 2).await, Ok(pair(2, "two")));
    assert_eq!(
        pairs(&client, &star, 2).await,
        Err("0A000: cached plan must not change result type".to_owned())
    );
    client.execute(&insert, &[&3i32, &"three"]).await.expect("insert after ADD COLUMN");
    let c: i32 = client.query_one("SELECT c FROM pcw WHERE a = 3", &[]).await.unwrap().get(0);
    assert_eq!(c, 7);

    // Back to the prepared shape: SELECT * works again.
    batch(&other, "ALTER TABLE pcw DROP COLUMN c").await;
    assert_eq!(pairs(&client, &star, 3).await, Ok(pair(3, "three")));

    // The same connection renames the column the statement reads, then back.
    batch(&client, "ALTER TABLE pcw RENAME COLUMN b TO bb").await;
    assert_eq!(pairs(&client, &one, 1).await, Err("42703: column \"b\" does not exist".into()));
    batch(&client, "ALTER TABLE pcw RENAME COLUMN bb TO b").await;
    assert_eq!(pairs(&client, &one, 1).await, Ok(pair(1, "one")));

    // DROP TABLE, then a new table of the same name.
    batch(&other, "DROP TABLE pcw").await;
    assert_eq!(pairs(&client, &one, 1).await, Err("42P01: relation \"pcw\" does not exist".into()));
    let err = client.execute(&insert, &[&4i32, &"four"]).await.expect_err("insert, no table");
    assert_eq!(describe(&err), "42P01: relation \"pcw\" does not exist");
    batch(&other, "CREATE TABLE pcw (a int, b text); INSERT INTO pcw VALUES (1, 'new')").await;
    assert_eq!(pairs(&client, &one, 1).await, Ok(pair(1, "new")));
    client.execute(&insert, &[&5i32, &"five"]).await.expect("insert into the new table");
    assert_eq!(pairs(&client, &star, 5).await, Ok(pair(5, "five")));

    // DDL inside the executing transaction, rolled back.
    batch(&client, "BEGIN; DROP TABLE pcw").await;
    assert_eq!(pairs(&client, &one, 1).await, Err("42P01: relation \"pcw\" does not exist".into()));
    batch(&client, "ROLLBACK").await;
    assert_eq!(pairs(&client, &one, 1).await, Ok(pair(1, "new")));
    batch(&client, "DROP TABLE pcw").await;
}

#[tokio::test]
async fn prepared_statements_follow_search_path() {
    let target = common::Target::new();
    let client = target.client().await;
    batch(
        &client,
        "DROP TABLE IF EXISTS pcp; DROP SCHEMA IF EXISTS pcps CASCADE; \
         CREATE TABLE pcp (a int, b text); INSERT INTO pcp VALUES (1, 'public'); \
         CREATE SCHEMA pcps; CREATE TABLE pcps.pcp (a int, b text); \
         INSERT INTO pcps.pcp VALUES (1, 'pcps');",
    )
    .await;
    let one = client.prepare("SELECT a, b FROM pcp WHERE a = $1").await.expect("prepare");
    assert_eq!(pairs(&client, &one, 1).await, Ok(pair(1, "public")));
    batch(&client, "SET search_path = pcps, public").await;
    assert_eq!(pairs(&client, &one, 1).await, Ok(pair(1, "pcps")));
    batch(&client, "RESET search_path").await;
    assert_eq!(pairs(&client, &one, 1).await, Ok(pair(1, "public")));
    batch(&client, "DROP TABLE pcp; DROP SCHEMA pcps CASCADE").await;
}
