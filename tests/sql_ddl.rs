//! DDL end to end over the wire (tokio-postgres against the real `quorumdb` binary): ALTER
//! TABLE (columns, renames, defaults, NOT NULL, constraints, ADD PRIMARY KEY over many rows)
//! and CREATE / DROP INDEX with their catalog rows and the errors PostgreSQL gives.
//!
//! Each test starts its own server (`tests/common`). With `QDB_TEST_ADDR=HOST:PORT` the tests
//! run against an existing server instead (database and user `quorumdb`); that is how every
//! expectation here was checked against PostgreSQL 15 (initdb --locale=C). Each test uses
//! tables with a prefix of its own, dropped and recreated first; an index named `qc` gets the
//! prefix too.

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

const SETUP: &str = "DROP TABLE IF EXISTS qa; DROP TABLE IF EXISTS qb; CREATE TABLE qa (id int, name text, grp int); INSERT INTO qa VALUES (1,'one',1),(2,'two',1),(3,'three',2),(4,'four',NULL);";

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
async fn alter_table_columns_and_constraints() {
    let target = Target::new("ddl_alter_");
    let client = target.client().await;
    let q = |sql: &str| target.sql(sql);
    let mut checks = Checks::default();
    checks.text(&client, &q("ALTER TABLE qa ADD COLUMN flag int DEFAULT 7"), &[]).await;
    checks
        .text(
            &client,
            &q("SELECT id, flag FROM qa WHERE id < 3 ORDER BY id"),
            &[&["1", "7"], &["2", "7"]],
        )
        .await;
    checks.error(&client, &q("ALTER TABLE qa ADD COLUMN nn int NOT NULL"), "23502").await;
    checks.error(&client, &q("ALTER TABLE qa ADD COLUMN flag int"), "42701").await;
    checks.error(&client, &q("ALTER TABLE qa DROP COLUMN nope"), "42703").await;
    checks.error(&client, &q("ALTER TABLE qb ADD COLUMN x int"), "42P01").await;
    checks.text(&client, &q("ALTER TABLE qa DROP COLUMN name"), &[]).await;
    checks.text(&client, &q("SELECT * FROM qa WHERE id = 3"), &[&["3", "2", "7"]]).await;
    checks.text(&client, &q("ALTER TABLE qa RENAME COLUMN flag TO f"), &[]).await;
    checks.text(&client, &q("ALTER TABLE qa ALTER COLUMN f SET DEFAULT 9"), &[]).await;
    checks.text(&client, &q("INSERT INTO qa (id) VALUES (5)"), &[]).await;
    checks.text(&client, &q("SELECT f FROM qa WHERE id = 5"), &[&["9"]]).await;
    checks.error(&client, &q("ALTER TABLE qa ALTER COLUMN grp SET NOT NULL"), "23502").await;
    checks.text(&client, &q("ALTER TABLE qa ALTER COLUMN f SET NOT NULL"), &[]).await;
    checks.error(&client, &q("INSERT INTO qa (id, f) VALUES (6, NULL)"), "23502").await;
    checks
        .text(
            &client,
            &q("ALTER TABLE qa ALTER COLUMN f DROP NOT NULL, ALTER COLUMN f DROP DEFAULT"),
            &[],
        )
        .await;
    checks.text(&client, &q("INSERT INTO qa (id) VALUES (6)"), &[]).await;
    checks.text(&client, &q("SELECT f FROM qa WHERE id = 6"), &[&["NULL"]]).await;
    checks
        .error(&client, &q("ALTER TABLE qa ADD CONSTRAINT qa_f_pos CHECK (f > 7)"), "23514")
        .await;
    checks.text(&client, &q("ALTER TABLE qa ADD CONSTRAINT qa_f_pos CHECK (f > 0)"), &[]).await;
    checks.error(&client, &q("INSERT INTO qa (id, f) VALUES (7, 0)"), "23514").await;
    checks.text(&client, &q("ALTER TABLE qa DROP CONSTRAINT qa_f_pos"), &[]).await;
    checks.error(&client, &q("ALTER TABLE qa DROP CONSTRAINT qa_f_pos"), "42704").await;
    checks.text(&client, &q("INSERT INTO qa (id, f) VALUES (3, 0)"), &[]).await;
    checks.error(&client, &q("ALTER TABLE qa ADD PRIMARY KEY (id)"), "23505").await;
    checks.error(&client, &q("ALTER TABLE qa ADD CONSTRAINT qa_id_key UNIQUE (id)"), "23505").await;
    checks.text(&client, &q("DELETE FROM qa WHERE id = 3 AND f = 0"), &[]).await;
    checks.text(&client, &q("ALTER TABLE qa ADD PRIMARY KEY (id)"), &[]).await;
    checks.error(&client, &q("ALTER TABLE qa ADD PRIMARY KEY (grp)"), "42P16").await;
    checks.error(&client, &q("INSERT INTO qa (id) VALUES (1)"), "23505").await;
    checks.text(&client, &q("ALTER TABLE qa ADD UNIQUE (id, f)"), &[]).await;
    checks.error(&client, &q("ALTER TABLE qa ADD COLUMN f2 int, ADD COLUMN f2 int"), "42701").await;
    checks.text(
        &client,
        &q("SELECT conname, contype FROM pg_constraint WHERE conname LIKE 'ddl_alter_qa%' ORDER BY 1"),
        &[&["ddl_alter_qa_id_f_key", "u"], &["ddl_alter_qa_pkey", "p"]],
    )
    .await;
    // Rolled back DDL leaves no trace.
    checks
        .text(
            &client,
            &q("BEGIN; ALTER TABLE qa RENAME TO qb; ALTER TABLE qb DROP COLUMN f; ROLLBACK"),
            &[],
        )
        .await;
    checks.error(&client, &q("SELECT * FROM qb"), "42P01").await;
    checks.text(&client, &q("ALTER TABLE qa RENAME TO qb"), &[]).await;
    checks.text(&client, &q("SELECT id, f FROM qb WHERE id = 5"), &[&["5", "9"]]).await;
    checks.text(&client, &q("DROP TABLE qb"), &[]).await;
    checks.finish();
}

#[tokio::test]
async fn add_primary_key_after_bulk_load() {
    let target = Target::new("ddl_pgb_");
    let client = target.client().await;
    let q = |sql: &str| target.sql(sql);
    let mut checks = Checks::default();
    checks
        .text(
            &client,
            &q("CREATE TABLE qb (aid int NOT NULL, bid int, abalance int, filler char(84))"),
            &[],
        )
        .await;
    checks
        .text(&client, &q("INSERT INTO qb SELECT g, (g - 1) / 100000 + 1, 0, '' FROM generate_series(1, 100000) g"), &[])
        .await;
    let started = std::time::Instant::now();
    checks.text(&client, &q("ALTER TABLE qb ADD PRIMARY KEY (aid)"), &[]).await;
    let elapsed = started.elapsed();
    assert!(elapsed < std::time::Duration::from_secs(60), "ADD PRIMARY KEY took {elapsed:?}");
    checks.text(&client, &q("SELECT aid, bid FROM qb WHERE aid = 99999"), &[&["99999", "1"]]).await;
    checks.text(&client, &q("SELECT count(*) FROM qb"), &[&["100000"]]).await;
    checks.error(&client, &q("INSERT INTO qb (aid) VALUES (42)"), "23505").await;
    checks.text(&client, &q("DROP TABLE qb"), &[]).await;
    checks.finish();
}

#[tokio::test]
async fn create_and_drop_index() {
    let target = Target::new("ddl_idx_");
    let client = target.client().await;
    let q = |sql: &str| target.sql(sql);
    let mut checks = Checks::default();
    checks.text(&client, &q("CREATE INDEX qc ON qa (grp, name)"), &[]).await;
    checks.error(&client, &q("CREATE INDEX qc ON qa (id)"), "42P07").await;
    checks.text(&client, &q("CREATE INDEX IF NOT EXISTS qc ON qa (id)"), &[]).await;
    checks.error(&client, &q("CREATE INDEX ON qa (nope)"), "42703").await;
    checks
        .text(&client, &q("SELECT id FROM qa WHERE grp = 1 ORDER BY id"), &[&["1"], &["2"]])
        .await;
    checks.text(&client, &q("SELECT id FROM qa WHERE grp = 1 AND name = 'two'"), &[&["2"]]).await;
    checks.text(&client, &q("UPDATE qa SET grp = 2 WHERE id = 1"), &[]).await;
    checks.text(&client, &q("INSERT INTO qa VALUES (5, 'five', 1)"), &[]).await;
    checks.text(&client, &q("DELETE FROM qa WHERE id = 2"), &[]).await;
    checks.text(&client, &q("SELECT id FROM qa WHERE grp = 1"), &[&["5"]]).await;
    checks
        .text(&client, &q("SELECT id FROM qa WHERE grp = 2 ORDER BY id"), &[&["1"], &["3"]])
        .await;
    checks.error(&client, &q("CREATE UNIQUE INDEX qb ON qa (grp)"), "23505").await;
    checks.text(&client, &q("CREATE UNIQUE INDEX qb ON qa (name)"), &[]).await;
    checks.error(&client, &q("INSERT INTO qa VALUES (6, 'five', 1)"), "23505").await;
    checks.text(&client, &q("INSERT INTO qa VALUES (6, NULL, 1), (7, NULL, 1)"), &[]).await;
    checks.text(
        &client,
        &q("SELECT c.relname, c.relkind, i.indisunique, i.indnatts FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = 'ddl_idx_qa' ORDER BY 1"),
        &[&["ddl_idx_qb", "i", "t", "1"], &["ddl_idx_qc", "i", "f", "2"]],
    )
    .await;
    checks
        .text(&client, &q("SELECT id FROM qa WHERE grp IN (2, 5) ORDER BY id"), &[&["1"], &["3"]])
        .await;
    checks
        .text(
            &client,
            &q("SELECT id FROM qa WHERE grp >= 2 OR id = 4 ORDER BY id"),
            &[&["1"], &["3"], &["4"]],
        )
        .await;
    checks
        .text(
            &client,
            &q("SELECT id FROM qa WHERE grp < 2 AND id > 5 ORDER BY id"),
            &[&["6"], &["7"]],
        )
        .await;
    checks
        .text(&client, &q("SELECT name FROM qa WHERE name > 'p' ORDER BY 1"), &[&["three"]])
        .await;
    checks.text(&client, &q("DROP INDEX qb"), &[]).await;
    checks.text(&client, &q("INSERT INTO qa VALUES (8, 'five', 1)"), &[]).await;
    checks.error(&client, &q("DROP INDEX qb"), "42704").await;
    checks.text(&client, &q("DROP INDEX IF EXISTS qb"), &[]).await;
    checks.text(&client, &q("BEGIN; DROP INDEX qc; ROLLBACK"), &[]).await;
    checks.error(&client, &q("CREATE INDEX qc ON qa (id)"), "42P07").await;
    checks.text(&client, &q("TRUNCATE qa"), &[]).await;
    checks.text(&client, &q("SELECT count(*) FROM qa WHERE grp = 1"), &[&["0"]]).await;
    checks.text(&client, &q("DROP TABLE qa"), &[]).await;
    checks.text(&client, &q("CREATE TABLE qa (id int)"), &[]).await;
    checks.text(&client, &q("CREATE INDEX qc ON qa (id)"), &[]).await;
    checks.text(&client, &q("DROP TABLE qa"), &[]).await;
    checks.finish();
}
