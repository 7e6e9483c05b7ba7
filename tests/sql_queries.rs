//! Queries end to end over the wire (tokio-postgres against the real `quorumdb` binary):
//! joins (inner, left, right, full, cross, comma, USING, NATURAL, subqueries and system
//! relations in FROM), GROUP BY / HAVING with aggregates, set operations, and the errors
//! PostgreSQL gives for the usual mistakes.
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

const SETUP: &str = "DROP TABLE IF EXISTS qa; DROP TABLE IF EXISTS qb; DROP TABLE IF EXISTS qc; CREATE TABLE qa (id int PRIMARY KEY, name text, grp int); CREATE TABLE qb (id int PRIMARY KEY, a_id int, v numeric(6,2), tag varchar(10)); CREATE TABLE qc (a_id bigint, note text); INSERT INTO qa VALUES (1,'one',1),(2,'two',1),(3,'three',2),(4,'four',NULL),(5,NULL,2); INSERT INTO qb VALUES (10,1,1.5,'x'),(11,1,2.5,'y'),(12,2,NULL,'x'),(13,7,4,'z'),(14,NULL,5,NULL); INSERT INTO qc VALUES (1,'c1'),(3,'c3'),(3,'c3b'),(NULL,'cn');";

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
async fn joins() {
    let t = Target::new("sqj_");
    let client = t.client().await;
    let mut c = Checks::default();
    c.text(
        &client,
        &t.sql("SELECT a.id, a.name, b.id, b.v FROM qa a, qb b WHERE a.id = b.a_id ORDER BY 1, 3"),
        &[&["1", "one", "10", "1.50"], &["1", "one", "11", "2.50"], &["2", "two", "12", "NULL"]],
    )
    .await;
    c.text(
        &client,
        &t.sql("SELECT a.id, b.id FROM qa a JOIN qb b ON a.id = b.a_id AND b.v > 2 ORDER BY 1, 2"),
        &[&["1", "11"]],
    )
    .await;
    c.text(
        &client,
        &t.sql("SELECT a.id, b.id FROM qa a INNER JOIN qb b ON b.a_id = a.id ORDER BY 1, 2"),
        &[&["1", "10"], &["1", "11"], &["2", "12"]],
    )
    .await;
    c.text(
        &client,
        &t.sql("SELECT a.id, b.id FROM qa a LEFT JOIN qb b ON a.id = b.a_id ORDER BY 1, 2"),
        &[&["1", "10"], &["1", "11"], &["2", "12"], &["3", "NULL"], &["4", "NULL"], &["5", "NULL"]],
    )
    .await;
    c.text(&client, &t.sql("SELECT a.id, b.id FROM qa a LEFT OUTER JOIN qb b ON a.id = b.a_id AND b.tag = 'x' ORDER BY 1, 2"), &[&["1", "10"], &["2", "12"], &["3", "NULL"], &["4", "NULL"], &["5", "NULL"]]).await;
    c.text(
        &client,
        &t.sql("SELECT a.id, b.id FROM qa a RIGHT JOIN qb b ON a.id = b.a_id ORDER BY 2, 1"),
        &[&["1", "10"], &["1", "11"], &["2", "12"], &["NULL", "13"], &["NULL", "14"]],
    )
    .await;
    c.text(
        &client,
        &t.sql(
            "SELECT a.id, b.id FROM qa a FULL JOIN qb b ON a.id = b.a_id ORDER BY 1 NULLS FIRST, 2",
        ),
        &[
            &["NULL", "13"],
            &["NULL", "14"],
            &["1", "10"],
            &["1", "11"],
            &["2", "12"],
            &["3", "NULL"],
            &["4", "NULL"],
            &["5", "NULL"],
        ],
    )
    .await;
    c.text(
        &client,
        &t.sql("SELECT * FROM qa a JOIN qc c ON a.id = c.a_id ORDER BY 1, 5"),
        &[
            &["1", "one", "1", "1", "c1"],
            &["3", "three", "2", "3", "c3"],
            &["3", "three", "2", "3", "c3b"],
        ],
    )
    .await;
    c.text(
        &client,
        &t.sql("SELECT qa.*, c.note FROM qa JOIN qc c ON qa.id = c.a_id ORDER BY 1, 4"),
        &[&["1", "one", "1", "c1"], &["3", "three", "2", "c3"], &["3", "three", "2", "c3b"]],
    )
    .await;
    c.text(&client, &t.sql("SELECT a.id, b.id FROM qa a LEFT JOIN qb b ON a.id = b.a_id WHERE b.id IS NULL ORDER BY 1"), &[&["3", "NULL"], &["4", "NULL"], &["5", "NULL"]]).await;
    c.text(
        &client,
        &t.sql(
            "SELECT a.id, b.id FROM qa a LEFT JOIN qb b ON a.id = b.a_id WHERE a.id = 1 ORDER BY 2",
        ),
        &[&["1", "10"], &["1", "11"]],
    )
    .await;
    c.text(&client, &t.sql("SELECT a.id, b.id, c.note FROM qa a JOIN qb b ON a.id = b.a_id LEFT JOIN qc c ON c.a_id = a.id ORDER BY 1, 2, 3"), &[&["1", "10", "c1"], &["1", "11", "c1"], &["2", "12", "NULL"]]).await;
    c.text(
        &client,
        &t.sql("SELECT a.id, x.id FROM qa a JOIN qa x ON a.id < x.id AND x.id < 4 ORDER BY 1, 2"),
        &[&["1", "2"], &["1", "3"], &["2", "3"]],
    )
    .await;
    c.text(&client, &t.sql("SELECT s.n, a.name FROM (SELECT id AS n FROM qa WHERE id > 2) AS s JOIN qa a ON a.id = s.n ORDER BY 1"), &[&["3", "three"], &["4", "four"], &["5", "NULL"]]).await;
    c.text(&client, &t.sql("SELECT * FROM (VALUES (1, 'x'), (2, 'y')) AS v(k, t) JOIN qa ON qa.id = v.k ORDER BY 1"), &[&["1", "x", "1", "one", "1"], &["2", "y", "2", "two", "1"]]).await;
    c.text(
        &client,
        &t.sql("SELECT * FROM qa a JOIN qa b USING (id, grp) ORDER BY 1"),
        &[
            &["1", "1", "one", "one"],
            &["2", "1", "two", "two"],
            &["3", "2", "three", "three"],
            &["5", "2", "NULL", "NULL"],
        ],
    )
    .await;
    c.text(
        &client,
        &t.sql("SELECT * FROM qa FULL JOIN qc ON qa.id = qc.a_id ORDER BY 1, 5"),
        &[
            &["1", "one", "1", "1", "c1"],
            &["2", "two", "1", "NULL", "NULL"],
            &["3", "three", "2", "3", "c3"],
            &["3", "three", "2", "3", "c3b"],
            &["4", "four", "NULL", "NULL", "NULL"],
            &["5", "NULL", "2", "NULL", "NULL"],
            &["NULL", "NULL", "NULL", "NULL", "cn"],
        ],
    )
    .await;
    c.text(&client, &t.sql("SELECT * FROM qa a FULL JOIN (SELECT a_id AS id, note FROM qc) c USING (id) ORDER BY id, note"), &[&["1", "one", "1", "c1"], &["2", "two", "1", "NULL"], &["3", "three", "2", "c3"], &["3", "three", "2", "c3b"], &["4", "four", "NULL", "NULL"], &["5", "NULL", "2", "NULL"], &["NULL", "NULL", "NULL", "cn"]]).await;
    c.text(
        &client,
        &t.sql("SELECT * FROM qa a LEFT JOIN qb b ON false ORDER BY a.id"),
        &[
            &["1", "one", "1", "NULL", "NULL", "NULL", "NULL"],
            &["2", "two", "1", "NULL", "NULL", "NULL", "NULL"],
            &["3", "three", "2", "NULL", "NULL", "NULL", "NULL"],
            &["4", "four", "NULL", "NULL", "NULL", "NULL", "NULL"],
            &["5", "NULL", "2", "NULL", "NULL", "NULL", "NULL"],
        ],
    )
    .await;
    c.text(
        &client,
        &t.sql("SELECT b.*, a.id FROM qa a JOIN qb b ON b.a_id = a.id WHERE a.id = 2"),
        &[&["12", "2", "NULL", "x", "2"]],
    )
    .await;
    c.text(&client, &t.sql("SELECT a.name, p.oid IS NOT NULL FROM qa a LEFT JOIN pg_catalog.pg_class p ON p.relname = a.name ORDER BY 1 LIMIT 2"), &[&["four", "f"], &["one", "f"]]).await;
    c.text(
        &client,
        &t.sql("SELECT string_agg(name, ',' ORDER BY name) FROM qa"),
        &[&["four,one,three,two"]],
    )
    .await;
    c.text(
        &client,
        &t.sql("SELECT bool_and(id > 0), bool_or(id > 4), every(id > 1) FROM qa"),
        &[&["t", "t", "f"]],
    )
    .await;
    c.finish();
}

#[tokio::test]
async fn group_by_and_aggregates() {
    let t = Target::new("sqg_");
    let client = t.client().await;
    let mut c = Checks::default();
    c.text(&client, &t.sql("SELECT count(*) FROM qa CROSS JOIN qb"), &[&["25"]]).await;
    c.text(&client, &t.sql("SELECT grp, count(*), count(name), sum(id), avg(id), min(name), max(name) FROM qa GROUP BY grp ORDER BY grp"), &[&["1", "2", "2", "3", "1.5000000000000000", "one", "two"], &["2", "2", "1", "8", "4.0000000000000000", "three", "three"], &["NULL", "1", "1", "4", "4.0000000000000000", "four", "four"]]).await;
    c.text(
        &client,
        &t.sql("SELECT grp, count(*) FROM qa GROUP BY grp HAVING count(*) > 1 ORDER BY 1"),
        &[&["1", "2"], &["2", "2"]],
    )
    .await;
    c.text(
        &client,
        &t.sql("SELECT grp AS g, count(*) AS c FROM qa GROUP BY 1 ORDER BY c DESC, g"),
        &[&["1", "2"], &["2", "2"], &["NULL", "1"]],
    )
    .await;
    c.text(
        &client,
        &t.sql("SELECT grp + 1, count(*) FROM qa GROUP BY grp + 1 ORDER BY 1"),
        &[&["2", "2"], &["3", "2"], &["NULL", "1"]],
    )
    .await;
    c.text(
        &client,
        &t.sql("SELECT count(*), sum(id), avg(id), min(id), max(name) FROM qa WHERE id > 100"),
        &[&["0", "NULL", "NULL", "NULL", "NULL"]],
    )
    .await;
    c.text(
        &client,
        &t.sql("SELECT count(DISTINCT grp), count(grp), count(*) FROM qa"),
        &[&["2", "4", "5"]],
    )
    .await;
    c.text(&client, &t.sql("SELECT grp, string_agg(name, '-' ORDER BY id DESC) FROM qa GROUP BY grp ORDER BY grp NULLS FIRST"), &[&["NULL", "four"], &["1", "two-one"], &["2", "three"]]).await;
    c.text(
        &client,
        &t.sql(
            "SELECT a.grp, sum(b.v) FROM qa a JOIN qb b ON a.id = b.a_id GROUP BY a.grp ORDER BY 1",
        ),
        &[&["1", "4.00"]],
    )
    .await;
    c.text(
        &client,
        &t.sql("SELECT tag, sum(v), avg(v), count(*) FROM qb GROUP BY tag ORDER BY tag"),
        &[
            &["x", "1.50", "1.50000000000000000000", "2"],
            &["y", "2.50", "2.5000000000000000", "1"],
            &["z", "4.00", "4.0000000000000000", "1"],
            &["NULL", "5.00", "5.0000000000000000", "1"],
        ],
    )
    .await;
    c.text(
        &client,
        &t.sql("SELECT count(*) FILTER (WHERE id > 2), count(*) FROM qa"),
        &[&["3", "5"]],
    )
    .await;
    c.text(&client, &t.sql("SELECT a.grp, count(DISTINCT b.tag) FROM qa a LEFT JOIN qb b ON b.a_id = a.id GROUP BY a.grp ORDER BY 1"), &[&["1", "2"], &["2", "0"], &["NULL", "0"]]).await;
    c.text(
        &client,
        &t.sql("SELECT min(id) + max(id), grp FROM qa GROUP BY grp HAVING min(id) > 1 ORDER BY 2"),
        &[&["8", "2"], &["8", "NULL"]],
    )
    .await;
    c.text(
        &client,
        &t.sql("SELECT lower(name), count(*) FROM qa GROUP BY lower(name) ORDER BY 1"),
        &[&["four", "1"], &["one", "1"], &["three", "1"], &["two", "1"], &["NULL", "1"]],
    )
    .await;
    c.text(
        &client,
        &t.sql("SELECT upper(lower(name)) FROM qa GROUP BY lower(name) ORDER BY 1"),
        &[&["FOUR"], &["ONE"], &["THREE"], &["TWO"], &["NULL"]],
    )
    .await;
    c.text(&client, &t.sql("SELECT count(*) FROM qa HAVING count(*) > 10"), &[]).await;
    c.text(&client, &t.sql("SELECT 1 HAVING 1 > 0"), &[&["1"]]).await;
    c.text(
        &client,
        &t.sql("SELECT grp, count(*) FROM qa GROUP BY grp ORDER BY count(*) DESC, grp NULLS FIRST"),
        &[&["1", "2"], &["2", "2"], &["NULL", "1"]],
    )
    .await;
    c.finish();
}

#[tokio::test]
async fn set_operations() {
    let t = Target::new("sqs_");
    let client = t.client().await;
    let mut c = Checks::default();
    c.text(
        &client,
        &t.sql("SELECT id FROM qa UNION SELECT a_id FROM qb ORDER BY 1"),
        &[&["1"], &["2"], &["3"], &["4"], &["5"], &["7"], &["NULL"]],
    )
    .await;
    c.text(
        &client,
        &t.sql("SELECT grp FROM qa UNION ALL SELECT grp FROM qa ORDER BY 1 LIMIT 4"),
        &[&["1"], &["1"], &["1"], &["1"]],
    )
    .await;
    c.text(
        &client,
        &t.sql("SELECT grp FROM qa INTERSECT SELECT id FROM qa ORDER BY 1"),
        &[&["1"], &["2"]],
    )
    .await;
    c.text(
        &client,
        &t.sql("SELECT id FROM qa EXCEPT SELECT a_id FROM qb ORDER BY 1"),
        &[&["3"], &["4"], &["5"]],
    )
    .await;
    c.text(
        &client,
        &t.sql("SELECT grp FROM qa EXCEPT ALL SELECT 1 ORDER BY 1"),
        &[&["1"], &["2"], &["2"], &["NULL"]],
    )
    .await;
    c.text(
        &client,
        &t.sql("SELECT grp FROM qa INTERSECT ALL SELECT grp FROM qa ORDER BY 1"),
        &[&["1"], &["1"], &["2"], &["2"], &["NULL"]],
    )
    .await;
    c.text(&client, &t.sql("SELECT 1 AS x UNION SELECT 2.5 ORDER BY 1"), &[&["1"], &["2.5"]]).await;
    c.text(&client, &t.sql("SELECT 'a' UNION SELECT 'b' ORDER BY 1 DESC"), &[&["b"], &["a"]]).await;
    c.text(&client, &t.sql("SELECT 1 UNION SELECT '2' ORDER BY 1"), &[&["1"], &["2"]]).await;
    c.text(&client, &t.sql("(SELECT id FROM qa ORDER BY id DESC LIMIT 2) UNION ALL (SELECT id FROM qb ORDER BY id LIMIT 1) ORDER BY 1"), &[&["4"], &["5"], &["10"]]).await;
    c.text(&client, &t.sql("SELECT id FROM qa UNION SELECT id FROM qb EXCEPT SELECT 10 ORDER BY 1 LIMIT 3 OFFSET 1"), &[&["2"], &["3"], &["4"]]).await;
    c.finish();
}

#[tokio::test]
async fn query_errors() {
    let t = Target::new("sqe_");
    let client = t.client().await;
    let mut c = Checks::default();
    c.error(&client, &t.sql("SELECT name FROM qa GROUP BY grp"), "42803").await;
    c.error(&client, &t.sql("SELECT * FROM qa GROUP BY grp"), "42803").await;
    c.error(&client, &t.sql("SELECT id FROM qa a, qb b"), "42702").await;
    c.error(&client, &t.sql("SELECT x.id FROM qa a"), "42P01").await;
    c.error(&client, &t.sql("SELECT * FROM qa, qa"), "42712").await;
    c.error(&client, &t.sql("SELECT * FROM (SELECT 1)"), "42601").await;
    c.error(&client, &t.sql("SELECT 1 UNION SELECT 1, 2"), "42601").await;
    c.error(&client, &t.sql("SELECT 1 UNION SELECT 'x'::text"), "42804").await;
    c.error(&client, &t.sql("SELECT grp FROM qa GROUP BY 3"), "42P10").await;
    c.error(&client, &t.sql("SELECT sum(count(*)) FROM qa"), "42803").await;
    c.error(&client, &t.sql("SELECT id, count(*) FROM qa"), "42803").await;
    c.error(&client, &t.sql("SELECT a.id FROM qa a JOIN qb b ON a.name"), "42804").await;
    c.error(&client, &t.sql("SELECT * FROM qa JOIN qb USING (nope)"), "42703").await;
    c.error(&client, &t.sql("SELECT sum(name) FROM qa"), "42883").await;
    c.finish();
}

#[tokio::test]
async fn join_with_parameters_and_point_reads() {
    let t = Target::new("sqp_");
    let client = t.client().await;
    let sql = t.sql(
        "SELECT a.name, b.id FROM qa a JOIN qb b ON b.a_id = a.id WHERE a.id = $1 ORDER BY b.id",
    );
    let got: Vec<(String, i32)> = client
        .query(&sql, &[&1i32])
        .await
        .expect("query")
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    assert_eq!(got, vec![("one".to_owned(), 10), ("one".to_owned(), 11)]);
    let sql = t.sql("SELECT grp, count(*) FROM qa WHERE id > $1 GROUP BY grp ORDER BY grp");
    let got: Vec<(Option<i32>, i64)> = client
        .query(&sql, &[&1i32])
        .await
        .expect("query")
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    assert_eq!(got, vec![(Some(1), 1), (Some(2), 2), (None, 1)]);
}
