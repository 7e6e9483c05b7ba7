//! WITH queries (plain and RECURSIVE), window functions, DISTINCT ON and FETCH FIRST end to
//! end over the wire (tokio-postgres against the real `quorumdb` binary), through the simple
//! and the extended protocol (with parameters and binary results).
//!
//! Each test starts its own server (`tests/common`). With `QDB_TEST_ADDR=HOST:PORT` the tests
//! run against an existing server instead (database and user `quorumdb`); that is how every
//! expectation here was checked against PostgreSQL 15 (initdb --locale=C). Each test uses
//! tables with a prefix of its own, dropped and recreated first.

mod common;

use tokio_postgres::{Client, SimpleQueryMessage};

/// The server under test: our own `quorumdb` process, or `QDB_TEST_ADDR`.
struct Target {
    _server: Option<common::Server>,
    conn_str: String,
    /// Table name prefix of this test.
    prefix: &'static str,
}

impl Target {
    fn new(prefix: &'static str) -> Target {
        match std::env::var("QDB_TEST_ADDR") {
            Ok(addr) => {
                let (host, port) = addr.rsplit_once(':').expect("QDB_TEST_ADDR is HOST:PORT");
                Target {
                    _server: None,
                    conn_str: format!("host={host} port={port} user=quorumdb dbname=quorumdb"),
                    prefix,
                }
            }
            Err(_) => {
                let server = common::Server::start(&[]);
                let conn_str = server.conn_str();
                Target { _server: Some(server), conn_str, prefix }
            }
        }
    }

    /// `sql` with the table names qa, qb and qc given this test's prefix.
    fn sql(&self, sql: &str) -> String {
        let mut out = String::with_capacity(sql.len() + 16);
        let mut word = String::new();
        let flush = |word: &mut String, out: &mut String| {
            if matches!(word.as_str(), "qa" | "qb" | "qc") {
                out.push_str(self.prefix);
            }
            out.push_str(word);
            word.clear();
        };
        for ch in sql.chars() {
            if ch.is_ascii_alphanumeric() || ch == '_' {
                word.push(ch);
            } else {
                flush(&mut word, &mut out);
                out.push(ch);
            }
        }
        flush(&mut word, &mut out);
        out
    }

    /// A client, with the test tables created and filled.
    async fn client(&self) -> Client {
        let client = common::connect(&self.conn_str).await.expect("connect");
        let setup = self.sql(SETUP);
        if let Err(err) = client.batch_execute(&setup).await {
            panic!("setup: {}", describe(&err));
        }
        client
    }
}

const SETUP: &str = "DROP TABLE IF EXISTS qa; DROP TABLE IF EXISTS qb; DROP TABLE IF EXISTS qc; \
CREATE TABLE qa (id int PRIMARY KEY, name text, boss int, salary int); \
INSERT INTO qa VALUES (1,'ann',NULL,100),(2,'bob',1,80),(3,'cat',1,70),(4,'dan',2,50),(5,'eve',4,40),(6,'fay',3,60); \
CREATE TABLE qb (id int PRIMARY KEY, g text, x int); \
INSERT INTO qb VALUES (1,'a',10),(2,'a',20),(3,'a',20),(4,'b',5),(5,'b',NULL),(6,'c',7),(7,'a',30); \
CREATE TABLE qc (a int, b int); INSERT INTO qc VALUES (1,2),(2,3),(3,1),(3,4);";

/// A readable description of a failed call: SQLSTATE and message for server errors.
fn describe(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => format!("{} {}: {}", db.severity(), db.code().code(), db.message()),
        None => format!("{err:?}"),
    }
}

/// Expected text rows; the string "NULL" stands for SQL NULL.
fn rows(expected: &[&[&str]]) -> Vec<Vec<Option<String>>> {
    expected
        .iter()
        .map(|row| row.iter().map(|v| (*v != "NULL").then(|| (*v).to_owned())).collect())
        .collect()
}

/// Independent checks whose failures are collected, so one run reports all of them.
#[derive(Default)]
struct Checks(Vec<String>);

impl Checks {
    /// The simple-protocol result of `sql` must be `expected`.
    async fn text(&mut self, client: &Client, sql: &str, expected: &[&[&str]]) {
        let expected = rows(expected);
        match client.simple_query(sql).await {
            Ok(messages) => {
                let got: Vec<Vec<Option<String>>> = messages
                    .into_iter()
                    .filter_map(|message| match message {
                        SimpleQueryMessage::Row(row) => {
                            Some((0..row.len()).map(|i| row.get(i).map(str::to_owned)).collect())
                        }
                        _ => None,
                    })
                    .collect();
                if got != expected {
                    self.0.push(format!("{sql}\n   got: {got:?}\n  want: {expected:?}"));
                }
            }
            Err(err) => self.0.push(format!("{sql}: {}", describe(&err))),
        }
    }

    /// `sql` must fail with `code` through the simple and the extended protocol.
    async fn error(&mut self, client: &Client, sql: &str, code: &str) {
        let simple = client.simple_query(sql).await.map(|_| ());
        let extended = client.query(sql, &[]).await.map(|_| ());
        for (protocol, result) in [("simple", simple), ("extended", extended)] {
            let got = match result {
                Ok(()) => "success".to_owned(),
                Err(err) => describe(&err),
            };
            if !got.contains(&format!(" {code}: ")) {
                self.0.push(format!("{sql} ({protocol}): expected SQLSTATE {code}, got {got}"));
            }
        }
    }

    fn finish(self) {
        assert!(self.0.is_empty(), "{} failed checks:\n{}", self.0.len(), self.0.join("\n"));
    }
}

#[tokio::test]
async fn with_queries() {
    let t = Target::new("sqfw_");
    let client = t.client().await;
    let mut c = Checks::default();
    c.text(&client, &t.sql("WITH a AS (SELECT id, name FROM qa WHERE salary > 60), b AS (SELECT * FROM a WHERE id > 1) SELECT * FROM b ORDER BY id"), &[&["2", "bob"], &["3", "cat"]]).await;
    c.text(
        &client,
        &t.sql("WITH a(x, y) AS (SELECT id, name FROM qa) SELECT y FROM a WHERE x < 3 ORDER BY x"),
        &[&["ann"], &["bob"]],
    )
    .await;
    c.text(
        &client,
        &t.sql("WITH a AS (SELECT count(*) c FROM qa) SELECT a.c, b.c FROM a, a b"),
        &[&["6", "6"]],
    )
    .await;
    c.text(&client, &t.sql("WITH qa AS (SELECT 42 AS id) SELECT * FROM qa"), &[&["42"]]).await;
    c.text(&client, "WITH a AS MATERIALIZED (SELECT 1 v), b AS NOT MATERIALIZED (SELECT 2 w) SELECT * FROM a, b", &[&["1", "2"]]).await;
    c.text(
        &client,
        &t.sql("SELECT (WITH q AS (SELECT max(salary) m FROM qa) SELECT m FROM q)"),
        &[&["100"]],
    )
    .await;
    c.text(&client, &t.sql("SELECT * FROM (WITH q AS (SELECT id FROM qa WHERE id < 3) SELECT * FROM q) s ORDER BY 1"), &[&["1"], &["2"]]).await;
    c.text(&client, &t.sql("WITH c AS (SELECT id v FROM qa) SELECT id FROM qa e WHERE id IN (SELECT v FROM c WHERE v > 2) AND EXISTS (SELECT 1 FROM c WHERE v = e.id) AND id < 5 ORDER BY id"), &[&["3"], &["4"]]).await;
    c.text(&client, &t.sql("WITH c(v) AS (SELECT * FROM generate_series(1, 3)) SELECT id, (SELECT count(*) FROM c WHERE c.v <= qa.id) FROM qa WHERE id < 5 ORDER BY id"), &[&["1", "1"], &["2", "2"], &["3", "3"], &["4", "3"]]).await;
    c.text(
        &client,
        &t.sql("WITH a AS (SELECT 7 id, 'gil' n) INSERT INTO qa (id, name) SELECT id, n FROM a"),
        &[],
    )
    .await;
    c.text(
        &client,
        &t.sql("INSERT INTO qa (id, name) WITH b AS (SELECT 8 id, 'hal' n) SELECT id, n FROM b"),
        &[],
    )
    .await;
    c.text(
        &client,
        &t.sql("WITH a AS (SELECT 7 v) UPDATE qa SET salary = 1 WHERE id = (SELECT v FROM a)"),
        &[],
    )
    .await;
    c.text(
        &client,
        &t.sql("WITH a AS (SELECT 8 v) DELETE FROM qa WHERE id IN (SELECT v FROM a)"),
        &[],
    )
    .await;
    c.text(&client, &t.sql("SELECT id, name, salary FROM qa WHERE id > 6"), &[&["7", "gil", "1"]])
        .await;
    c.error(&client, "WITH a AS (SELECT 1), a AS (SELECT 2) SELECT * FROM a", "42712").await;
    c.error(&client, "WITH a(x, y) AS (SELECT 1) SELECT * FROM a", "42P10").await;
    c.error(&client, "WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a", "42P01").await;
    c.finish();
    let sql = t.sql("WITH a AS (SELECT id FROM qa WHERE id > $1) SELECT count(*) FROM a");
    let got: i64 = client.query_one(&sql, &[&2i32]).await.expect("query").get(0);
    assert_eq!(got, 5);
}

#[tokio::test]
async fn recursive_with_queries() {
    let t = Target::new("sqfr_");
    let client = t.client().await;
    let mut c = Checks::default();
    c.text(&client, "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM t WHERE n < 100) SELECT sum(n) FROM t", &[&["5050"]]).await;
    c.text(
        &client,
        "WITH RECURSIVE t(n) AS (SELECT 1 UNION SELECT n FROM t) SELECT * FROM t",
        &[&["1"]],
    )
    .await;
    c.text(&client, &t.sql("WITH RECURSIVE sub(id, name, depth) AS (SELECT id, name, 0 FROM qa WHERE boss IS NULL UNION ALL SELECT e.id, e.name, s.depth + 1 FROM qa e JOIN sub s ON e.boss = s.id) SELECT * FROM sub ORDER BY depth, id"), &[&["1", "ann", "0"], &["2", "bob", "1"], &["3", "cat", "1"], &["4", "dan", "2"], &["6", "fay", "2"], &["5", "eve", "3"]]).await;
    c.text(&client, &t.sql("WITH RECURSIVE sub AS (SELECT id, name::text AS path FROM qa WHERE id = 1 UNION ALL SELECT e.id, s.path || '/' || e.name FROM sub s, qa e WHERE e.boss = s.id) SELECT path FROM sub ORDER BY path"), &[&["ann"], &["ann/bob"], &["ann/bob/dan"], &["ann/bob/dan/eve"], &["ann/cat"], &["ann/cat/fay"]]).await;
    c.text(
        &client,
        "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM t) SELECT * FROM t LIMIT 3",
        &[&["1"], &["2"], &["3"]],
    )
    .await;
    c.text(&client, "WITH RECURSIVE t(n) AS (SELECT 1::bigint UNION ALL SELECT n+1 FROM t WHERE n < 2) SELECT n, pg_typeof(n) FROM t", &[&["1", "bigint"], &["2", "bigint"]]).await;
    c.text(&client, &t.sql("WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT b FROM qc, r WHERE a = n) SELECT * FROM r ORDER BY n"), &[&["1"], &["2"], &["3"], &["4"]]).await;
    c.text(&client, &t.sql("WITH RECURSIVE r(n, path) AS (SELECT 1, '1' UNION ALL SELECT b, path || '>' || b FROM qc, r WHERE a = n AND length(path) < 7) SELECT path FROM r ORDER BY path"), &[&["1"], &["1>2"], &["1>2>3"], &["1>2>3>1"], &["1>2>3>4"]]).await;
    c.text(&client, "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM t WHERE n < 3) SELECT (SELECT count(*) FROM t), (SELECT max(n) FROM t)", &[&["3", "3"]]).await;
    c.text(&client, "WITH RECURSIVE t(n) AS (VALUES (1) UNION ALL SELECT n + 1 FROM t WHERE n < 3), u AS (SELECT n * 10 m FROM t) SELECT * FROM u", &[&["10"], &["20"], &["30"]]).await;
    c.error(&client, "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT (n+1)::bigint FROM t WHERE n < 3) SELECT * FROM t", "42804").await;
    c.error(&client, "WITH RECURSIVE t(n) AS (SELECT * FROM t) SELECT * FROM t", "42P19").await;
    c.error(
        &client,
        "WITH RECURSIVE t(n) AS (SELECT n FROM t UNION ALL SELECT 1) SELECT * FROM t",
        "42P19",
    )
    .await;
    c.error(&client, "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT t.n+1 FROM t, t t2 WHERE t.n < 3) SELECT * FROM t", "42P19").await;
    c.finish();
    let err = client
        .simple_query("WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT (n+1)::bigint FROM t WHERE n < 3) SELECT * FROM t")
        .await
        .expect_err("type mismatch");
    let db = err.as_db_error().expect("server error");
    assert_eq!(
        db.message(),
        "recursive query \"t\" column 1 has type integer in non-recursive term but type bigint overall"
    );
    assert_eq!(db.hint(), Some("Cast the output of the non-recursive term to the correct type."));
}

#[tokio::test]
async fn window_functions() {
    let t = Target::new("sqfn_");
    let client = t.client().await;
    let mut c = Checks::default();
    c.text(&client, &t.sql("SELECT id, row_number() OVER (PARTITION BY g ORDER BY x, id), rank() OVER (PARTITION BY g ORDER BY x), dense_rank() OVER (PARTITION BY g ORDER BY x) FROM qb ORDER BY id"), &[&["1", "1", "1", "1"], &["2", "2", "2", "2"], &["3", "3", "2", "2"], &["4", "1", "1", "1"], &["5", "2", "2", "2"], &["6", "1", "1", "1"], &["7", "4", "4", "3"]]).await;
    c.text(&client, &t.sql("SELECT id, percent_rank() OVER (ORDER BY x), cume_dist() OVER (ORDER BY x), ntile(3) OVER (ORDER BY id) FROM qb ORDER BY id"), &[&["1", "0.3333333333333333", "0.42857142857142855", "1"], &["2", "0.5", "0.7142857142857143", "1"], &["3", "0.5", "0.7142857142857143", "1"], &["4", "0", "0.14285714285714285", "2"], &["5", "1", "1", "2"], &["6", "0.16666666666666666", "0.2857142857142857", "3"], &["7", "0.8333333333333334", "0.8571428571428571", "3"]]).await;
    c.text(&client, &t.sql("SELECT id, lag(x) OVER (ORDER BY id), lead(x, 2, -1) OVER (ORDER BY id), lag(x, 1, 0.5) OVER (ORDER BY id) FROM qb ORDER BY id"), &[&["1", "NULL", "20", "0.5"], &["2", "10", "5", "10"], &["3", "20", "NULL", "20"], &["4", "20", "7", "20"], &["5", "5", "30", "5"], &["6", "NULL", "-1", "NULL"], &["7", "7", "-1", "7"]]).await;
    c.text(&client, &t.sql("SELECT id, first_value(x) OVER (PARTITION BY g ORDER BY id), last_value(x) OVER (PARTITION BY g ORDER BY id), nth_value(x, 2) OVER (PARTITION BY g ORDER BY id) FROM qb ORDER BY id"), &[&["1", "10", "10", "NULL"], &["2", "10", "20", "20"], &["3", "10", "20", "20"], &["4", "5", "5", "NULL"], &["5", "5", "NULL", "NULL"], &["6", "7", "7", "NULL"], &["7", "10", "30", "20"]]).await;
    c.text(&client, &t.sql("SELECT id, sum(x) OVER (PARTITION BY g), avg(x) OVER (PARTITION BY g), count(x) OVER (PARTITION BY g), count(*) OVER (PARTITION BY g), min(x) OVER (PARTITION BY g), max(x) OVER (PARTITION BY g) FROM qb WHERE id > 3 ORDER BY id"), &[&["4", "5", "5.0000000000000000", "1", "2", "5", "5"], &["5", "5", "5.0000000000000000", "1", "2", "5", "5"], &["6", "7", "7.0000000000000000", "1", "1", "7", "7"], &["7", "30", "30.0000000000000000", "1", "1", "30", "30"]]).await;
    c.text(
        &client,
        &t.sql(
            "SELECT id, sum(x) OVER (ORDER BY x), count(*) OVER (ORDER BY x) FROM qb ORDER BY id",
        ),
        &[
            &["1", "22", "3"],
            &["2", "62", "5"],
            &["3", "62", "5"],
            &["4", "5", "1"],
            &["5", "92", "7"],
            &["6", "12", "2"],
            &["7", "92", "6"],
        ],
    )
    .await;
    c.text(&client, &t.sql("SELECT id, sum(x) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING), sum(x) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) FROM qb ORDER BY id"), &[&["1", "30", "92"], &["2", "50", "82"], &["3", "45", "62"], &["4", "25", "42"], &["5", "12", "37"], &["6", "37", "37"], &["7", "37", "30"]]).await;
    c.text(&client, &t.sql("SELECT g, sum(x), sum(sum(x)) OVER (), rank() OVER (ORDER BY sum(x) DESC) FROM qb GROUP BY g ORDER BY g"), &[&["a", "80", "92", "1"], &["b", "5", "92", "3"], &["c", "7", "92", "2"]]).await;
    c.text(&client, &t.sql("SELECT id, row_number() OVER w, sum(x) OVER w FROM qb WINDOW w AS (ORDER BY id) ORDER BY id LIMIT 3"), &[&["1", "1", "10"], &["2", "2", "30"], &["3", "3", "50"]]).await;
    c.text(
        &client,
        &t.sql("SELECT id FROM qb ORDER BY row_number() OVER (ORDER BY x DESC, id), id"),
        &[&["5"], &["7"], &["2"], &["3"], &["1"], &["6"], &["4"]],
    )
    .await;
    c.text(&client, &t.sql("SELECT id, sum(id) OVER (ORDER BY x RANGE BETWEEN 1 PRECEDING AND 5 FOLLOWING) FROM qb ORDER BY id"), &[&["1", "1"], &["2", "5"], &["3", "5"], &["4", "11"], &["5", "5"], &["6", "7"], &["7", "7"]]).await;
    c.error(
        &client,
        &t.sql("SELECT sum(x) OVER (ORDER BY x, id RANGE 1 PRECEDING) FROM qb"),
        "42P20",
    )
    .await;
    c.error(&client, &t.sql("SELECT id FROM qb WHERE row_number() OVER () > 1"), "42P20").await;
    c.error(&client, &t.sql("SELECT g FROM qb GROUP BY g HAVING count(*) OVER () > 1"), "42P20")
        .await;
    c.error(&client, &t.sql("SELECT sum(row_number() OVER ()) FROM qb"), "42803").await;
    c.error(&client, &t.sql("SELECT row_number() FROM qb"), "42809").await;
    c.error(&client, &t.sql("SELECT ntile(0) OVER () FROM qb"), "22014").await;
    c.error(&client, &t.sql("SELECT sum(x) OVER nope FROM qb"), "42704").await;
    c.finish();
    // Result types over the extended protocol (binary results).
    let sql = t.sql("SELECT row_number() OVER (ORDER BY id), ntile(2) OVER (ORDER BY id), cume_dist() OVER (ORDER BY id), lag(x, $1) OVER (ORDER BY id) FROM qb ORDER BY id LIMIT 3");
    let got: Vec<(i64, i32, f64, Option<i32>)> = client
        .query(&sql, &[&1i32])
        .await
        .expect("query")
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3)))
        .collect();
    assert_eq!(
        got,
        vec![(1, 1, 1.0 / 7.0, None), (2, 1, 2.0 / 7.0, Some(10)), (3, 1, 3.0 / 7.0, Some(20))]
    );
}

#[tokio::test]
async fn distinct_on_and_fetch_first() {
    let t = Target::new("sqfd_");
    let client = t.client().await;
    let mut c = Checks::default();
    c.text(
        &client,
        &t.sql("SELECT DISTINCT ON (g) g, x, id FROM qb ORDER BY g, x DESC NULLS LAST, id"),
        &[&["a", "30", "7"], &["b", "5", "4"], &["c", "7", "6"]],
    )
    .await;
    c.text(
        &client,
        &t.sql("SELECT DISTINCT ON (g) g, id FROM qb ORDER BY g DESC, id DESC"),
        &[&["c", "6"], &["b", "5"], &["a", "7"]],
    )
    .await;
    c.text(
        &client,
        &t.sql("SELECT DISTINCT ON (boss) boss, name FROM qa ORDER BY boss, salary"),
        &[&["1", "cat"], &["2", "dan"], &["3", "fay"], &["4", "eve"], &["NULL", "ann"]],
    )
    .await;
    c.text(
        &client,
        &t.sql("SELECT DISTINCT ON (x) x FROM qb"),
        &[&["5"], &["7"], &["10"], &["20"], &["30"], &["NULL"]],
    )
    .await;
    c.text(
        &client,
        &t.sql("SELECT id FROM qb ORDER BY id FETCH FIRST 2 ROWS ONLY"),
        &[&["1"], &["2"]],
    )
    .await;
    c.text(
        &client,
        &t.sql("SELECT id FROM qb ORDER BY id OFFSET 5 ROWS FETCH NEXT 5 ROWS ONLY"),
        &[&["6"], &["7"]],
    )
    .await;
    c.text(&client, &t.sql("SELECT id FROM qb ORDER BY id FETCH FIRST ROW ONLY"), &[&["1"]]).await;
    c.text(
        &client,
        &t.sql("SELECT g FROM qb ORDER BY g FETCH FIRST 2 ROWS WITH TIES"),
        &[&["a"], &["a"], &["a"], &["a"]],
    )
    .await;
    c.error(&client, &t.sql("SELECT DISTINCT ON (g) g, x FROM qb ORDER BY x"), "42P10").await;
    c.finish();
}
