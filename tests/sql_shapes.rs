//! Simple-Query statements that repeat with different constants (what pgbench's default mode,
//! psql and many ORMs send) over the wire. QuorumDB runs the second and later ones as a kept
//! prepared statement of their shape (`sql/session/shape_cache.rs`); a client must not be
//! able to tell: every row, tag and error below is PostgreSQL 15's for the same texts.
//!
//! Each test starts its own server (`tests/common`). With `QDB_TEST_ADDR=HOST:PORT` the
//! tests run against an existing server instead (database and user `quorumdb`), which is
//! how the expectations were checked against PostgreSQL 15.

mod common;

use tokio_postgres::{Client, SimpleQueryMessage};

/// The rows of a simple Query as text (NULL as "NULL"), the command tags as `[tag]`, or
/// `SQLSTATE: message` of its error.
async fn simple(client: &Client, sql: &str) -> Result<Vec<String>, String> {
    let messages = client.simple_query(sql).await.map_err(|err| match err.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => format!("{err:?}"),
    })?;
    let mut out = Vec::new();
    for message in messages {
        match message {
            SimpleQueryMessage::Row(row) => {
                let fields: Vec<&str> =
                    (0..row.len()).map(|i| row.get(i).unwrap_or("NULL")).collect();
                out.push(fields.join("|"));
            }
            SimpleQueryMessage::CommandComplete(count) => out.push(format!("[{count}]")),
            _ => {}
        }
    }
    Ok(out)
}

async fn ok(client: &Client, sql: &str) -> Vec<String> {
    simple(client, sql).await.unwrap_or_else(|err| panic!("{sql}: {err}"))
}

fn lines(expected: &[&str]) -> Result<Vec<String>, String> {
    Ok(expected.iter().map(|line| line.to_string()).collect())
}

async fn setup(client: &Client, table: &str) {
    ok(
        client,
        &format!(
            "DROP TABLE IF EXISTS {table}; \
             CREATE TABLE {table} (id int PRIMARY KEY, name varchar(5), n numeric, d date)"
        ),
    )
    .await;
}

#[tokio::test]
async fn repeated_statements_give_each_text_its_own_constants() {
    let target = common::Target::new();
    let client = target.client().await;
    setup(&client, "shp_rows").await;
    for id in 1..=6 {
        let sql = format!("INSERT INTO shp_rows VALUES ({id}, 'n''{id}', {id}.5, '2024-01-0{id}')");
        assert_eq!(simple(&client, &sql).await, lines(&["[1]"]), "{sql}");
    }
    for id in [3, 1, 6, 2, 99] {
        let sql = format!("SELECT id, name, n, d FROM shp_rows WHERE id = {id}");
        let expected = if id == 99 {
            lines(&["[0]"])
        } else {
            lines(&[&format!("{id}|n'{id}|{id}.5|2024-01-0{id}"), "[1]"])
        };
        assert_eq!(simple(&client, &sql).await, expected, "{sql}");
    }
    for (delta, id) in [(10, 1), (-20, 2), (30, 1)] {
        let sql = format!("UPDATE shp_rows SET n = n + {delta} WHERE id = {id}");
        assert_eq!(simple(&client, &sql).await, lines(&["[1]"]), "{sql}");
    }
    assert_eq!(
        simple(&client, "SELECT id, n FROM shp_rows WHERE id <= 2 ORDER BY id").await,
        lines(&["1|41.5", "2|-17.5", "[2]"])
    );
    // ORDER BY a position is not a constant: each text sorts by its own column.
    for position in [1, 2, 1, 2] {
        let sql = format!("SELECT id, n FROM shp_rows ORDER BY {position} DESC LIMIT 1");
        let expected = if position == 1 { "6|6.5" } else { "1|41.5" };
        assert_eq!(simple(&client, &sql).await, lines(&[expected, "[1]"]), "{sql}");
    }
}

#[tokio::test]
async fn constants_a_shape_cannot_take_fail_as_the_text_does() {
    let target = common::Target::new();
    let client = target.client().await;
    setup(&client, "shp_errors").await;
    ok(&client, "INSERT INTO shp_errors VALUES (1, 'a', 1, '2024-01-01')").await;
    // Each statement is run twice with good constants (its shape is then kept) and then with
    // constants the column or the operation refuses.
    let cases: &[(&str, &str)] = &[
        ("SELECT id FROM shp_errors WHERE id = {}", "2147483648"),
        ("SELECT id FROM shp_errors WHERE id = '{}'", "x"),
        ("SELECT 10 / {}", "0"),
        ("SELECT id FROM shp_errors ORDER BY id LIMIT {}", "-1"),
        ("UPDATE shp_errors SET name = '{}' WHERE id = 1", "toolong"),
        ("UPDATE shp_errors SET d = '{}' WHERE id = 1", "2024-02-30"),
        ("INSERT INTO shp_errors (id) VALUES ({})", "1"),
    ];
    let mut results = Vec::new();
    for (template, bad) in cases {
        for value in ["2", "3", bad] {
            let sql = template.replace("{}", value);
            let result = simple(&client, &sql).await;
            results.push(format!("{sql} -> {}", result.map_or_else(|e| e, |rows| rows.join(" "))));
            if sql.starts_with("INSERT") && value != *bad {
                ok(&client, &format!("DELETE FROM shp_errors WHERE id = {value}")).await;
            }
        }
    }
    let expected = [
        "SELECT id FROM shp_errors WHERE id = 2 -> [0]",
        "SELECT id FROM shp_errors WHERE id = 3 -> [0]",
        "SELECT id FROM shp_errors WHERE id = 2147483648 -> [0]",
        "SELECT id FROM shp_errors WHERE id = '2' -> [0]",
        "SELECT id FROM shp_errors WHERE id = '3' -> [0]",
        "SELECT id FROM shp_errors WHERE id = 'x' -> 22P02: invalid input syntax for type integer: \"x\"",
        "SELECT 10 / 2 -> 5 [1]",
        "SELECT 10 / 3 -> 3 [1]",
        "SELECT 10 / 0 -> 22012: division by zero",
        "SELECT id FROM shp_errors ORDER BY id LIMIT 2 -> 1 [1]",
        "SELECT id FROM shp_errors ORDER BY id LIMIT 3 -> 1 [1]",
        "SELECT id FROM shp_errors ORDER BY id LIMIT -1 -> 2201W: LIMIT must not be negative",
        "UPDATE shp_errors SET name = '2' WHERE id = 1 -> [1]",
        "UPDATE shp_errors SET name = '3' WHERE id = 1 -> [1]",
        "UPDATE shp_errors SET name = 'toolong' WHERE id = 1 -> 22001: value too long for type character varying(5)",
        "UPDATE shp_errors SET d = '2' WHERE id = 1 -> 22007: invalid input syntax for type date: \"2\"",
        "UPDATE shp_errors SET d = '3' WHERE id = 1 -> 22007: invalid input syntax for type date: \"3\"",
        "UPDATE shp_errors SET d = '2024-02-30' WHERE id = 1 -> 22008: date/time field value out of range: \"2024-02-30\"",
        "INSERT INTO shp_errors (id) VALUES (2) -> [1]",
        "INSERT INTO shp_errors (id) VALUES (3) -> [1]",
        "INSERT INTO shp_errors (id) VALUES (1) -> 23505: duplicate key value violates unique constraint \"shp_errors_pkey\"",
    ];
    assert_eq!(results, expected);
}

#[tokio::test]
async fn a_failed_block_and_ddl_are_seen_by_repeated_statements() {
    let target = common::Target::new();
    let client = target.client().await;
    setup(&client, "shp_block").await;
    for id in 1..=3 {
        ok(&client, &format!("INSERT INTO shp_block (id, name) VALUES ({id}, 'x')")).await;
    }
    ok(&client, "BEGIN").await;
    assert_eq!(simple(&client, "SELECT 1 / 0").await, Err("22012: division by zero".to_string()));
    for id in [1, 2] {
        assert_eq!(
            simple(&client, &format!("SELECT name FROM shp_block WHERE id = {id}")).await,
            Err("25P02: current transaction is aborted, commands ignored until end of transaction block".to_string())
        );
    }
    assert_eq!(ok(&client, "ROLLBACK").await, lines(&["[0]"]).unwrap());
    for id in [1, 2] {
        assert_eq!(
            simple(&client, &format!("SELECT name FROM shp_block WHERE id = {id}")).await,
            lines(&["x", "[1]"])
        );
    }
    // The column the kept shape reads is replaced by one of another type: the next text
    // reads the new one.
    ok(
        &client,
        "ALTER TABLE shp_block DROP COLUMN name; ALTER TABLE shp_block ADD COLUMN name int DEFAULT 1",
    )
    .await;
    assert_eq!(
        simple(&client, "SELECT name FROM shp_block WHERE id = 3").await,
        lines(&["1", "[1]"])
    );
    ok(&client, "ALTER TABLE shp_block RENAME COLUMN name TO label").await;
    assert_eq!(
        simple(&client, "SELECT name FROM shp_block WHERE id = 3").await,
        Err("42703: column \"name\" does not exist".to_string())
    );
}
