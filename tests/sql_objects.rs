//! Views, sequences and foreign keys end to end over the wire (tokio-postgres against the
//! real `quorumdb` binary): the results, SQLSTATEs and catalog rows PostgreSQL gives.
//!
//! Each test starts its own server (`tests/common`). With `QDB_TEST_ADDR=HOST:PORT` the tests
//! run against an existing server instead (database and user `quorumdb`); that is how every
//! expectation here was checked against PostgreSQL 15 (initdb --locale=C). Each test uses
//! object names with a prefix of its own (qa, qb, qc: tables; qs: a sequence; qv, qw:
//! views; qn: a schema), dropped and recreated first.

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

    /// `sql` with the object names qa, qb, qc, qs, qv, qw and qn given this test's prefix.
    fn sql(&self, sql: &str) -> String {
        let mut out = String::with_capacity(sql.len() + 16);
        let mut word = String::new();
        let flush = |word: &mut String, out: &mut String| {
            if matches!(word.as_str(), "qa" | "qb" | "qc" | "qs" | "qv" | "qw" | "qn") {
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

const SETUP: &str = "DROP SCHEMA IF EXISTS qn CASCADE; DROP VIEW IF EXISTS qw CASCADE; DROP VIEW IF EXISTS qv CASCADE; DROP SEQUENCE IF EXISTS qs; DROP TABLE IF EXISTS qc CASCADE; DROP TABLE IF EXISTS qb CASCADE; DROP TABLE IF EXISTS qa CASCADE; CREATE TABLE qa (id int PRIMARY KEY, name text UNIQUE, grp int); INSERT INTO qa VALUES (1,'one',1),(2,'two',1),(3,'three',2),(4,'four',NULL);";

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
async fn sequences() {
    let target = Target::new("obj_seq_");
    let client = target.client().await;
    let q = |sql: &str| target.sql(sql);
    let mut checks = Checks::default();
    checks.text(&client, &q("CREATE SEQUENCE qs INCREMENT BY 2 MAXVALUE 7"), &[]).await;
    checks.text(&client, &q("SELECT * FROM qs"), &[&["1", "0", "f"]]).await;
    checks.error(&client, &q("SELECT currval('qs')"), "55000").await;
    checks
        .text(
            &client,
            &q("SELECT nextval('qs'), nextval('qs'), currval('qs'), lastval()"),
            &[&["1", "3", "3", "3"]],
        )
        .await;
    checks.text(&client, &q("SELECT last_value, is_called FROM qs"), &[&["3", "t"]]).await;
    checks.text(&client, &q("SELECT setval('qs', 7)"), &[&["7"]]).await;
    checks.error(&client, &q("SELECT nextval('qs')"), "2200H").await;
    checks.error(&client, &q("SELECT setval('qs', 8)"), "22003").await;
    checks.text(&client, &q("ALTER SEQUENCE qs RESTART WITH 5"), &[]).await;
    checks.text(&client, &q("SELECT nextval('qs')"), &[&["5"]]).await;
    checks.text(&client, &q("ALTER SEQUENCE qs MAXVALUE 9 CYCLE"), &[]).await;
    checks
        .text(
            &client,
            &q("SELECT nextval('qs'), nextval('qs'), nextval('qs')"),
            &[&["7", "9", "1"]],
        )
        .await;
    checks.error(&client, &q("CREATE SEQUENCE qb START 0"), "22023").await;
    checks.error(&client, &q("CREATE SEQUENCE qb MINVALUE 5 MAXVALUE 5"), "22023").await;
    checks.error(&client, &q("CREATE SEQUENCE qs"), "42P07").await;
    checks.error(&client, &q("CREATE SEQUENCE qa"), "42P07").await;
    checks.text(&client, &q("CREATE SEQUENCE IF NOT EXISTS qs"), &[]).await;
    checks
        .text(
            &client,
            &q("SELECT relname, relkind FROM pg_class WHERE relname = 'qs'"),
            &[&[&q("qs"), "S"]],
        )
        .await;
    checks
        .text(
            &client,
            &q("SELECT data_type, start_value, maximum_value, increment, cycle_option FROM information_schema.sequences WHERE sequence_name = 'qs'"),
            &[&["bigint", "1", "9", "2", "YES"]],
        )
        .await;
    checks.error(&client, &q("INSERT INTO qs VALUES (1, 1, true)"), "42809").await;
    checks.text(&client, &q("BEGIN; DROP SEQUENCE qs; ROLLBACK"), &[]).await;
    checks.text(&client, &q("SELECT nextval('qs')"), &[&["3"]]).await;
    checks.text(&client, &q("DROP SEQUENCE qs"), &[]).await;
    checks.error(&client, &q("DROP SEQUENCE qs"), "42P01").await;
    checks.text(&client, &q("DROP SEQUENCE IF EXISTS qs"), &[]).await;
    checks.error(&client, &q("SELECT nextval('qs')"), "42P01").await;
    checks.error(&client, &q("DROP SEQUENCE qa"), "42809").await;
    checks.finish();
}

#[tokio::test]
async fn views() {
    let target = Target::new("obj_view_");
    let client = target.client().await;
    let q = |sql: &str| target.sql(sql);
    let mut checks = Checks::default();
    checks.text(&client, &q("CREATE VIEW qv AS SELECT id, name FROM qa WHERE grp = 1"), &[]).await;
    checks
        .text(
            &client,
            &q("CREATE VIEW qw (n, k) AS SELECT v.name, a.grp FROM qv v JOIN qa a USING (id)"),
            &[],
        )
        .await;
    checks.text(&client, &q("SELECT * FROM qv ORDER BY id"), &[&["1", "one"], &["2", "two"]]).await;
    checks
        .text(&client, &q("SELECT n, k FROM qw ORDER BY n"), &[&["one", "1"], &["two", "1"]])
        .await;
    checks
        .text(
            &client,
            &q("SELECT a.id FROM qa a WHERE a.id NOT IN (SELECT id FROM qv) ORDER BY 1"),
            &[&["3"], &["4"]],
        )
        .await;
    checks
        .text(&client, &q("SELECT count(*) FROM qa JOIN qv ON qv.id = qa.id + 1"), &[&["1"]])
        .await;
    checks.text(&client, &q("INSERT INTO qa VALUES (5, 'five', 1)"), &[]).await;
    checks.text(&client, &q("SELECT count(*) FROM qw"), &[&["3"]]).await;
    checks.error(&client, &q("CREATE VIEW qb AS SELECT id, id FROM qa"), "42701").await;
    checks.error(&client, &q("CREATE VIEW qb (a, b, c) AS SELECT id FROM qa"), "42601").await;
    checks.error(&client, &q("CREATE VIEW qv AS SELECT 1"), "42P07").await;
    checks.error(&client, &q("CREATE OR REPLACE VIEW qv AS SELECT id FROM qa"), "42P16").await;
    checks
        .error(&client, &q("CREATE OR REPLACE VIEW qv AS SELECT name, id FROM qa"), "42P16")
        .await;
    checks
        .text(
            &client,
            &q("CREATE OR REPLACE VIEW qv AS SELECT id, name, grp FROM qa WHERE grp = 1"),
            &[],
        )
        .await;
    checks.text(&client, &q("SELECT * FROM qv WHERE id = 1"), &[&["1", "one", "1"]]).await;
    checks.error(&client, &q("INSERT INTO qw VALUES ('x', 1)"), "55000").await;
    checks.error(&client, &q("DROP TABLE qa"), "2BP01").await;
    checks.error(&client, &q("DROP VIEW qv"), "2BP01").await;
    checks.error(&client, &q("DROP VIEW qa"), "42809").await;
    checks.error(&client, &q("DROP TABLE qv"), "42809").await;
    checks
        .text(
            &client,
            &q("SELECT relname, relkind, relnatts FROM pg_class WHERE relname IN ('qv', 'qw') ORDER BY 1"),
            &[&[&q("qv"), "v", "3"], &[&q("qw"), "v", "2"]],
        )
        .await;
    checks
        .text(
            &client,
            &q("SELECT table_name, table_type FROM information_schema.tables WHERE table_name IN ('qa', 'qv') ORDER BY 1"),
            &[&[&q("qa"), "BASE TABLE"], &[&q("qv"), "VIEW"]],
        )
        .await;
    checks
        .text(
            &client,
            &q("SELECT table_name, is_updatable FROM information_schema.views WHERE table_name = 'qw'"),
            &[&[&q("qw"), "NO"]],
        )
        .await;
    checks
        .text(&client, &q("SELECT viewname FROM pg_views WHERE viewname = 'qw'"), &[&[&q("qw")]])
        .await;
    checks.text(&client, &q("SELECT pg_get_viewdef('qw') IS NOT NULL"), &[&["t"]]).await;
    checks.text(&client, &q("BEGIN; DROP TABLE qa CASCADE; ROLLBACK"), &[]).await;
    checks.text(&client, &q("SELECT count(*) FROM qv"), &[&["3"]]).await;
    checks.text(&client, &q("DROP VIEW qw"), &[]).await;
    checks.text(&client, &q("DROP VIEW IF EXISTS qw"), &[]).await;
    checks.text(&client, &q("DROP TABLE qa CASCADE"), &[]).await;
    checks.error(&client, &q("SELECT * FROM qv"), "42P01").await;
    checks.finish();
}

#[tokio::test]
async fn foreign_keys() {
    let target = Target::new("obj_fk_");
    let client = target.client().await;
    let q = |sql: &str| target.sql(sql);
    let mut checks = Checks::default();
    checks
        .text(
            &client,
            &q("CREATE TABLE qb (id int PRIMARY KEY, a int REFERENCES qa, n text, FOREIGN KEY (n) REFERENCES qa (name) ON DELETE CASCADE ON UPDATE CASCADE)"),
            &[],
        )
        .await;
    checks.error(&client, &q("CREATE TABLE qc (x int REFERENCES qa (grp))"), "42830").await;
    checks.error(&client, &q("CREATE TABLE qc (x text REFERENCES qa)"), "42804").await;
    checks
        .error(
            &client,
            &q("CREATE TABLE qc (x int, y int, FOREIGN KEY (x, y) REFERENCES qa)"),
            "42830",
        )
        .await;
    checks.error(&client, &q("INSERT INTO qb VALUES (1, 9, NULL)"), "23503").await;
    checks
        .text(
            &client,
            &q("INSERT INTO qb VALUES (1, 1, 'two'), (2, NULL, 'one'), (3, 3, NULL)"),
            &[],
        )
        .await;
    checks.error(&client, &q("DELETE FROM qa WHERE id = 1"), "23503").await;
    checks.error(&client, &q("UPDATE qa SET id = 10 WHERE id = 3"), "23503").await;
    checks.error(&client, &q("UPDATE qb SET a = 7 WHERE id = 1"), "23503").await;
    checks.text(&client, &q("UPDATE qa SET name = 'uno' WHERE id = 1"), &[]).await;
    checks.text(&client, &q("UPDATE qa SET grp = 7"), &[]).await;
    checks
        .text(
            &client,
            &q("SELECT id, a, n FROM qb ORDER BY id"),
            &[&["1", "1", "two"], &["2", "NULL", "uno"], &["3", "3", "NULL"]],
        )
        .await;
    checks.text(&client, &q("DELETE FROM qa WHERE id = 2"), &[]).await;
    checks.text(&client, &q("SELECT id FROM qb ORDER BY id"), &[&["2"], &["3"]]).await;
    checks
        .text(
            &client,
            &q("SELECT conname, contype, conkey, confkey, confupdtype, confdeltype, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'qb'::regclass AND contype = 'f' ORDER BY 1"),
            &[
                &["obj_fk_qb_a_fkey", "f", "{2}", "{1}", "a", "a", &q("FOREIGN KEY (a) REFERENCES qa(id)")],
                &["obj_fk_qb_n_fkey", "f", "{3}", "{2}", "c", "c", &q("FOREIGN KEY (n) REFERENCES qa(name) ON UPDATE CASCADE ON DELETE CASCADE")],
            ],
        )
        .await;
    checks
        .text(
            &client,
            &q("SELECT constraint_name, update_rule, delete_rule FROM information_schema.referential_constraints WHERE constraint_name LIKE 'obj_fk_%' ORDER BY 1"),
            &[&["obj_fk_qb_a_fkey", "NO ACTION", "NO ACTION"], &["obj_fk_qb_n_fkey", "CASCADE", "CASCADE"]],
        )
        .await;
    checks.error(&client, &q("DROP TABLE qa"), "2BP01").await;
    checks.error(&client, &q("TRUNCATE qa"), "0A000").await;
    // Self reference, checked at the end of the statement; SET NULL.
    checks
        .text(
            &client,
            &q("CREATE TABLE qc (id int PRIMARY KEY, up int REFERENCES qc ON DELETE SET NULL)"),
            &[],
        )
        .await;
    checks.text(&client, &q("INSERT INTO qc VALUES (2, 1), (1, NULL), (3, 2)"), &[]).await;
    checks.text(&client, &q("DELETE FROM qc WHERE id = 1"), &[]).await;
    checks
        .text(&client, &q("SELECT id, up FROM qc ORDER BY id"), &[&["2", "NULL"], &["3", "2"]])
        .await;
    // ALTER TABLE ADD / DROP CONSTRAINT.
    checks.text(&client, &q("INSERT INTO qc VALUES (9, NULL)"), &[]).await;
    checks
        .error(
            &client,
            &q("ALTER TABLE qc ADD CONSTRAINT qc_qa FOREIGN KEY (up) REFERENCES qa"),
            "23503",
        )
        .await;
    checks.text(&client, &q("DELETE FROM qc WHERE id = 3"), &[]).await;
    checks
        .text(
            &client,
            &q("ALTER TABLE qc ADD CONSTRAINT qc_qa FOREIGN KEY (up) REFERENCES qa"),
            &[],
        )
        .await;
    checks.error(&client, &q("INSERT INTO qc VALUES (8, 9)"), "23503").await;
    checks.text(&client, &q("ALTER TABLE qc DROP CONSTRAINT qc_qa"), &[]).await;
    checks.text(&client, &q("INSERT INTO qc VALUES (8, 9)"), &[]).await;
    checks.text(&client, &q("DROP TABLE qa CASCADE"), &[]).await;
    checks.text(&client, &q("INSERT INTO qb VALUES (7, 7, 'x')"), &[]).await;
    checks.text(&client, &q("SELECT count(*) FROM pg_constraint WHERE conrelid = 'qb'::regclass AND contype = 'f'"), &[&["0"]]).await;
    checks.text(&client, &q("DROP TABLE qc"), &[]).await;
    checks.text(&client, &q("DROP TABLE qb"), &[]).await;
    checks.finish();
}

#[tokio::test]
async fn schemas() {
    let target = Target::new("obj_sch_");
    let client = target.client().await;
    let q = |sql: &str| target.sql(sql);
    let mut checks = Checks::default();
    checks.text(&client, &q("CREATE SCHEMA qn"), &[]).await;
    checks.error(&client, &q("CREATE SCHEMA qn"), "42P06").await;
    checks.text(&client, &q("CREATE SCHEMA IF NOT EXISTS qn"), &[]).await;
    checks.error(&client, &q("CREATE SCHEMA pg_qn"), "42939").await;
    checks.error(&client, &q("CREATE TABLE nosuch.qb (a int)"), "3F000").await;
    checks.text(&client, &q("CREATE TABLE qn.qa (id serial PRIMARY KEY, v text)"), &[]).await;
    checks.text(&client, &q("INSERT INTO qn.qa (v) VALUES ('x'), ('y')"), &[]).await;
    checks
        .text(&client, &q("SELECT qa.id, qa.v FROM qn.qa ORDER BY 1"), &[&["1", "x"], &["2", "y"]])
        .await;
    checks.text(&client, &q("SELECT count(*) FROM qa"), &[&["4"]]).await;
    checks
        .text(
            &client,
            &q("SELECT count(*) FROM qn.qa a JOIN public.qa b ON a.id = b.id"),
            &[&["2"]],
        )
        .await;
    checks.text(&client, &q("SET search_path TO qn, public"), &[]).await;
    checks.text(&client, &q("SELECT current_schema()"), &[&[&q("qn")]]).await;
    checks.text(&client, &q("SELECT v FROM qa WHERE id = 2"), &[&["y"]]).await;
    checks.text(&client, &q("CREATE VIEW qv AS SELECT id FROM qa"), &[]).await;
    checks.text(&client, &q("CREATE SEQUENCE qs"), &[]).await;
    checks.text(&client, &q("SELECT nextval('qs'), nextval('qn.qs')"), &[&["1", "2"]]).await;
    checks.text(&client, &q("CREATE TABLE qb (a int REFERENCES public.qa)"), &[]).await;
    checks.text(&client, &q("SET search_path TO public"), &[]).await;
    checks.error(&client, &q("SELECT * FROM qv"), "42P01").await;
    checks.text(&client, &q("SELECT count(*) FROM qn.qv"), &[&["2"]]).await;
    checks.error(&client, &q("SELECT nextval('qs')"), "42P01").await;
    checks
        .text(
            &client,
            &q("SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'qn' ORDER BY 1"),
            &[
                &[&q("qa"), "r"],
                &["obj_sch_qa_id_seq", "S"],
                &["obj_sch_qa_pkey", "i"],
                &[&q("qb"), "r"],
                &[&q("qs"), "S"],
                &[&q("qv"), "v"],
            ],
        )
        .await;
    checks
        .text(
            &client,
            &q("SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE table_schema = 'qn' ORDER BY 2"),
            &[&[&q("qn"), &q("qa"), "BASE TABLE"], &[&q("qn"), &q("qb"), "BASE TABLE"], &[&q("qn"), &q("qv"), "VIEW"]],
        )
        .await;
    checks
        .text(
            &client,
            &q("SELECT schema_name FROM information_schema.schemata WHERE schema_name = 'qn'"),
            &[&[&q("qn")]],
        )
        .await;
    checks.error(&client, &q("DROP TABLE qa"), "2BP01").await;
    checks.error(&client, &q("DROP SCHEMA qn"), "2BP01").await;
    checks.text(&client, &q("BEGIN; DROP SCHEMA qn CASCADE; ROLLBACK"), &[]).await;
    checks.text(&client, &q("SELECT count(*) FROM qn.qa"), &[&["2"]]).await;
    checks.text(&client, &q("DROP SCHEMA qn CASCADE"), &[]).await;
    checks.error(&client, &q("SELECT * FROM qn.qa"), "42P01").await;
    checks.error(&client, &q("DROP SCHEMA qn"), "3F000").await;
    checks.text(&client, &q("DROP SCHEMA IF EXISTS qn"), &[]).await;
    checks.text(&client, &q("DROP TABLE qa"), &[]).await;
    checks.finish();
}
