//! EXPLAIN [ANALYZE] and the `work_mem` budget end to end over the wire (tokio-postgres
//! against the real `quorumdb` binary), through the simple and the extended protocol.
//!
//! Each test starts its own server (`tests/common`). With `QDB_TEST_ADDR=HOST:PORT` the
//! EXPLAIN tests run against an existing server instead (database and user `quorumdb`): the
//! access paths and row counts asserted here are what PostgreSQL 15 shows too (the tables
//! are analyzed; join nodes are only checked for their counts, as PostgreSQL may pick
//! another join method). The work_mem test needs our server: PostgreSQL spills to disk.

mod common;

use tokio_postgres::{Client, SimpleQueryMessage};

/// The server under test: our own `quorumdb` process, or `QDB_TEST_ADDR`.
struct Target {
    _server: Option<common::Server>,
    conn_str: String,
}

impl Target {
    fn new() -> Target {
        match std::env::var("QDB_TEST_ADDR") {
            Ok(addr) => {
                let (host, port) = addr.rsplit_once(':').expect("QDB_TEST_ADDR is HOST:PORT");
                Target {
                    _server: None,
                    conn_str: format!("host={host} port={port} user=quorumdb dbname=quorumdb"),
                }
            }
            Err(_) => {
                let server = common::Server::start(&[]);
                let conn_str = server.conn_str();
                Target { _server: Some(server), conn_str }
            }
        }
    }

    async fn client(&self) -> Client {
        common::connect(&self.conn_str).await.expect("connect")
    }
}

const SETUP: &str = "DROP TABLE IF EXISTS xa; DROP TABLE IF EXISTS xb; \
CREATE TABLE xa (id int PRIMARY KEY, code int, name text); \
CREATE INDEX xa_code_idx ON xa (code); \
INSERT INTO xa SELECT g, 5000 - g, 'n' || g FROM generate_series(1, 1000) g; \
CREATE TABLE xb (id int PRIMARY KEY, aid int, x int); \
INSERT INTO xb SELECT g, g % 100, g FROM generate_series(1, 300) g; \
ANALYZE xa; ANALYZE xb;";

/// A readable description of a failed call: SQLSTATE and message for server errors.
fn describe(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => format!("{} {}: {}", db.severity(), db.code().code(), db.message()),
        None => format!("{err:?}"),
    }
}

/// The QUERY PLAN lines of `sql` (simple protocol).
async fn plan(client: &Client, sql: &str) -> Vec<String> {
    let messages = match client.simple_query(sql).await {
        Ok(messages) => messages,
        Err(err) => panic!("{sql}: {}", describe(&err)),
    };
    messages
        .into_iter()
        .filter_map(|message| match message {
            SimpleQueryMessage::Row(row) => {
                assert_eq!(row.columns().first().map(|c| c.name()), Some("QUERY PLAN"));
                row.get(0).map(str::to_owned)
            }
            _ => None,
        })
        .collect()
}

fn lines(expected: &[&str]) -> Vec<String> {
    expected.iter().map(|l| l.to_string()).collect()
}

#[tokio::test]
async fn explain_shows_access_paths_and_row_counts() {
    let target = Target::new();
    let client = target.client().await;
    client.batch_execute(SETUP).await.expect("setup");
    const QUIET: &str = "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)";

    assert_eq!(
        plan(&client, "EXPLAIN (COSTS OFF) SELECT * FROM xa").await,
        lines(&["Seq Scan on xa"])
    );
    assert_eq!(
        plan(&client, "EXPLAIN (COSTS OFF) SELECT * FROM xa WHERE id = 42").await,
        lines(&["Index Scan using xa_pkey on xa", "  Index Cond: (id = 42)"])
    );
    assert_eq!(
        plan(&client, "EXPLAIN (COSTS OFF) SELECT * FROM xa WHERE code = 4000").await,
        lines(&["Index Scan using xa_code_idx on xa", "  Index Cond: (code = 4000)"])
    );
    assert_eq!(
        plan(&client, &format!("{QUIET} SELECT * FROM xa WHERE id = 42")).await,
        lines(&[
            "Index Scan using xa_pkey on xa (actual rows=1 loops=1)",
            "  Index Cond: (id = 42)"
        ])
    );
    assert_eq!(
        plan(&client, &format!("{QUIET} SELECT * FROM xa WHERE code = 4000 AND name <> 'x'")).await,
        lines(&[
            "Index Scan using xa_code_idx on xa (actual rows=1 loops=1)",
            "  Index Cond: (code = 4000)",
            "  Filter: (name <> 'x'::text)",
        ])
    );
    assert_eq!(
        plan(&client, &format!("{QUIET} SELECT * FROM xa WHERE name LIKE 'n1%'")).await,
        lines(&[
            "Seq Scan on xa (actual rows=112 loops=1)",
            "  Filter: (name ~~ 'n1%'::text)",
            "  Rows Removed by Filter: 888",
        ])
    );
    assert_eq!(
        plan(&client, &format!("{QUIET} SELECT count(*) FROM xa WHERE name LIKE 'n1%'")).await,
        lines(&[
            "Aggregate (actual rows=1 loops=1)",
            "  ->  Seq Scan on xa (actual rows=112 loops=1)",
            "        Filter: (name ~~ 'n1%'::text)",
            "        Rows Removed by Filter: 888",
        ])
    );
    // Joins: PostgreSQL may choose another join method; the counts are the same.
    let joined =
        plan(&client, &format!("{QUIET} SELECT * FROM xa JOIN xb ON xa.id = xb.aid")).await;
    let top = joined.first().cloned().unwrap_or_default();
    assert!(top.contains("Join (actual rows=297 loops=1)"), "{joined:?}");
    assert!(joined.iter().any(|l| l.ends_with("Seq Scan on xb (actual rows=300 loops=1)")));

    // ANALYZE runs DML for real (here in an implicit transaction that commits).
    assert_eq!(
        plan(&client, &format!("{QUIET} INSERT INTO xa VALUES (5000, 1, 'x')")).await,
        lines(&["Insert on xa (actual rows=0 loops=1)", "  ->  Result (actual rows=1 loops=1)"])
    );
    assert_eq!(
        plan(&client, &format!("{QUIET} DELETE FROM xa WHERE id = 5000")).await,
        lines(&[
            "Delete on xa (actual rows=0 loops=1)",
            "  ->  Index Scan using xa_pkey on xa (actual rows=1 loops=1)",
            "        Index Cond: (id = 5000)",
        ])
    );
    let count: i64 = client.query_one("SELECT count(*) FROM xa", &[]).await.expect("count").get(0);
    assert_eq!(count, 1000);

    // Times and the summary are there by default (their values are not asserted on).
    let timed = plan(&client, "EXPLAIN ANALYZE SELECT * FROM xa WHERE id = 7").await;
    assert!(timed.first().is_some_and(|l| l.contains("(actual time=")), "{timed:?}");
    assert!(timed.first().is_some_and(|l| l.contains("rows=1 loops=1)")), "{timed:?}");
    assert!(timed.iter().any(|l| l.starts_with("Execution Time: ")), "{timed:?}");

    // The extended protocol: one text column "QUERY PLAN".
    let rows = client.query("EXPLAIN (COSTS OFF) SELECT * FROM xa WHERE id = 42", &[]).await;
    let rows = rows.unwrap_or_else(|err| panic!("{}", describe(&err)));
    let first = rows.first().expect("a plan row");
    assert_eq!(first.columns().first().map(|c| c.name()), Some("QUERY PLAN"));
    assert_eq!(first.get::<_, String>(0), "Index Scan using xa_pkey on xa");

    // Unknown options are a syntax error.
    let err = client.simple_query("EXPLAIN (FOO) SELECT 1").await.expect_err("unknown option");
    assert_eq!(err.as_db_error().map(|e| e.code().code()), Some("42601"), "{}", describe(&err));
}

#[tokio::test]
async fn work_mem_fails_a_query_with_53200_and_the_connection_carries_on() {
    if std::env::var("QDB_TEST_ADDR").is_ok() {
        return; // PostgreSQL spills to disk instead of failing.
    }
    let target = Target::new();
    let client = target.client().await;
    let queries = [
        (
            "SELECT count(*) FROM (SELECT g FROM generate_series(1, 200000) g ORDER BY g DESC) s",
            200000i64,
        ),
        (
            "SELECT count(*) FROM generate_series(1, 100000) a JOIN generate_series(1, 100000) b ON a = b",
            100000,
        ),
        (
            "SELECT count(*) FROM (SELECT g % 100000, count(*) FROM generate_series(1, 200000) g GROUP BY 1) s",
            100000,
        ),
    ];
    client.batch_execute("SET work_mem = '1MB'").await.expect("set");
    for (query, _) in queries {
        for extended in [false, true] {
            let result = if extended {
                client.query(query, &[]).await.map(|_| ())
            } else {
                client.simple_query(query).await.map(|_| ())
            };
            let err = result.expect_err(query);
            let db = err.as_db_error().unwrap_or_else(|| panic!("{query}: {err:?}"));
            assert_eq!(db.code().code(), "53200", "{query}");
            assert_eq!(db.message(), "out of memory");
            let one: i32 = client.query_one("SELECT 1", &[]).await.expect("next query").get(0);
            assert_eq!(one, 1);
        }
    }
    client.batch_execute("RESET work_mem").await.expect("reset");
    for (query, expected) in queries {
        let count: i64 = client.query_one(query, &[]).await.expect(query).get(0);
        assert_eq!(count, expected, "{query}");
    }
}
