//! Session-level tests of sequences, views, foreign keys and schemas (expectations checked
//! against PostgreSQL 15).

use super::test_support::*;
use super::*;

fn notices(session: &mut Session, sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    for statement in session.parse(sql).expect("parse") {
        let prepared = session.prepare(sql, statement, &[]).expect("prepare");
        if let Outcome::DoneWithNotice { notices, .. } =
            session.execute(&prepared, Vec::new()).expect("execute")
        {
            out.extend(notices.into_iter().map(|n| n.message.clone()));
        }
    }
    out
}

fn error(session: &mut Session, sql: &str) -> SqlError {
    match run(session, sql) {
        Ok(rows) => panic!("{sql}: expected an error, got {rows:?}"),
        Err(err) => err,
    }
}

#[test]
fn sequences_count_and_report_their_state() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE SEQUENCE s");
    assert_eq!(rows(&mut s1, "SELECT * FROM s"), s(&[&["1", "0", "f"]]));
    let err = error(&mut s1, "SELECT currval('s')");
    assert_eq!(err.code, "55000");
    assert_eq!(err.message, "currval of sequence \"s\" is not yet defined in this session");
    assert_eq!(code(&mut s1, "SELECT lastval()"), "55000");
    assert_eq!(
        rows(&mut s1, "SELECT nextval('s'), currval('s'), lastval()"),
        s(&[&["1", "1", "1"]])
    );
    assert_eq!(rows(&mut s1, "SELECT last_value, is_called FROM s"), s(&[&["1", "t"]]));
    assert_eq!(
        rows(&mut s1, "SELECT setval('s', 10), nextval('s'), setval('s', 20, false), nextval('s')"),
        s(&[&["10", "11", "20", "20"]])
    );
    rows(&mut s1, "ALTER SEQUENCE s RESTART");
    assert_eq!(rows(&mut s1, "SELECT nextval('S')"), s(&[&["1"]]));
    rows(&mut s1, "ALTER SEQUENCE s RESTART WITH 50");
    assert_eq!(rows(&mut s1, "SELECT * FROM s"), s(&[&["50", "0", "f"]]));
    assert_eq!(rows(&mut s1, "SELECT nextval('public.s'), lastval()"), s(&[&["50", "50"]]));
    assert_eq!(rows(&mut s1, "SELECT last_value, is_called FROM s"), s(&[&["50", "t"]]));
    // Another session has its own currval, but shares the counter.
    let mut s2 = session(&db);
    assert_eq!(code(&mut s2, "SELECT currval('s')"), "55000");
    assert_eq!(rows(&mut s2, "SELECT nextval('s')"), s(&[&["51"]]));
    assert_eq!(rows(&mut s1, "SELECT currval('s')"), s(&[&["50"]]));
    // nextval is not rolled back.
    rows(&mut s1, "BEGIN; SELECT nextval('s'); ROLLBACK");
    assert_eq!(rows(&mut s1, "SELECT nextval('s')"), s(&[&["53"]]));
    assert_eq!(code(&mut s1, "SELECT nextval('nope')"), "42P01");
    assert_eq!(code(&mut s1, "INSERT INTO s VALUES (1, 1, true)"), "42809");
}

#[test]
fn sequence_options_bounds_and_cycles() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE SEQUENCE s2 INCREMENT BY 2 MINVALUE 1 MAXVALUE 5");
    assert_eq!(
        rows(&mut s1, "SELECT nextval('s2'), nextval('s2'), nextval('s2')"),
        s(&[&["1", "3", "5"]])
    );
    let err = error(&mut s1, "SELECT nextval('s2')");
    assert_eq!(err.code, "2200H");
    assert_eq!(err.message, "nextval: reached maximum value of sequence \"s2\" (5)");
    rows(&mut s1, "CREATE SEQUENCE s4 CYCLE MINVALUE 1 MAXVALUE 2");
    assert_eq!(
        rows(&mut s1, "SELECT nextval('s4'), nextval('s4'), nextval('s4')"),
        s(&[&["1", "2", "1"]])
    );
    assert_eq!(
        rows(&mut s1, "SELECT sequencename, last_value FROM pg_sequences ORDER BY 1"),
        s(&[&["s2", "5"], &["s4", "1"]])
    );
    rows(&mut s1, "CREATE SEQUENCE s5 INCREMENT -1");
    assert_eq!(rows(&mut s1, "SELECT nextval('s5'), nextval('s5')"), s(&[&["-1", "-2"]]));
    assert_eq!(
        rows(
            &mut s1,
            "SELECT data_type, start_value, min_value, max_value, increment_by, cycle, cache_size FROM pg_sequences WHERE sequencename = 's5'"
        ),
        s(&[&["bigint", "-1", "-9223372036854775808", "-1", "-1", "f", "1"]])
    );
    rows(&mut s1, "CREATE SEQUENCE s6 AS smallint START WITH 10 CACHE 5");
    assert_eq!(
        rows(
            &mut s1,
            "SELECT sequence_name, data_type, start_value, maximum_value, cycle_option FROM information_schema.sequences WHERE sequence_name IN ('s4', 's6') ORDER BY 1"
        ),
        s(&[&["s4", "bigint", "1", "2", "YES"], &["s6", "smallint", "10", "32767", "NO"]])
    );
    for (sql, message) in [
        ("CREATE SEQUENCE e START 0", "START value (0) cannot be less than MINVALUE (1)"),
        (
            "CREATE SEQUENCE e MINVALUE 10 MAXVALUE 5",
            "MINVALUE (10) must be less than MAXVALUE (5)",
        ),
        (
            "CREATE SEQUENCE e START 100 MAXVALUE 50",
            "START value (100) cannot be greater than MAXVALUE (50)",
        ),
        ("CREATE SEQUENCE e INCREMENT 0", "INCREMENT must not be zero"),
        (
            "CREATE SEQUENCE e AS smallint MAXVALUE 100000",
            "MAXVALUE (100000) is out of range for sequence data type smallint",
        ),
        (
            "ALTER SEQUENCE s2 RESTART WITH 9",
            "RESTART value (9) cannot be greater than MAXVALUE (5)",
        ),
    ] {
        let err = error(&mut s1, sql);
        assert_eq!((err.code, err.message.as_str()), ("22023", message), "{sql}");
    }
    let err = error(&mut s1, "SELECT setval('s2', 0)");
    assert_eq!(err.code, "22003");
    assert_eq!(err.message, "setval: value 0 is out of bounds for sequence \"s2\" (1..5)");
    rows(&mut s1, "ALTER SEQUENCE s2 MAXVALUE 100");
    assert_eq!(rows(&mut s1, "SELECT nextval('s2')"), s(&[&["7"]]));
    assert_eq!(code(&mut s1, "CREATE SEQUENCE s2"), "42P07");
    assert_eq!(
        notices(&mut s1, "CREATE SEQUENCE IF NOT EXISTS s2"),
        vec!["relation \"s2\" already exists, skipping"]
    );
    assert_eq!(
        rows(&mut s1, "SELECT relname, relkind FROM pg_class WHERE relname LIKE 's%' ORDER BY 1"),
        s(&[&["s2", "S"], &["s4", "S"], &["s5", "S"], &["s6", "S"]])
    );
    rows(&mut s1, "DROP SEQUENCE s2, s4");
    assert_eq!(code(&mut s1, "DROP SEQUENCE s2"), "42P01");
    assert_eq!(
        notices(&mut s1, "DROP SEQUENCE IF EXISTS s2"),
        vec!["sequence \"s2\" does not exist, skipping"]
    );
    assert_eq!(code(&mut s1, "SELECT nextval('s2')"), "42P01");
    assert_eq!(
        notices(&mut s1, "ALTER SEQUENCE IF EXISTS s2 RESTART"),
        vec!["relation \"s2\" does not exist, skipping"]
    );
}

#[test]
fn sequence_ddl_is_transactional_and_owned_sequences_follow_tables() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "BEGIN; CREATE SEQUENCE s; SELECT nextval('s'); ROLLBACK");
    assert_eq!(code(&mut s1, "SELECT nextval('s')"), "42P01");
    rows(&mut s1, "CREATE TABLE t (id serial PRIMARY KEY, n int)");
    rows(&mut s1, "CREATE TABLE u (a int)");
    rows(&mut s1, "CREATE SEQUENCE owned OWNED BY u.a");
    assert_eq!(code(&mut s1, "CREATE SEQUENCE bad OWNED BY u.nope"), "42703");
    let err = error(&mut s1, "DROP SEQUENCE t_id_seq");
    assert_eq!(err.code, "2BP01");
    assert_eq!(err.message, "cannot drop sequence t_id_seq because other objects depend on it");
    assert_eq!(
        err.detail.as_deref(),
        Some("default value for column id of table t depends on sequence t_id_seq")
    );
    rows(&mut s1, "INSERT INTO t (n) VALUES (1)");
    assert_eq!(rows(&mut s1, "SELECT currval('t_id_seq'), lastval()"), s(&[&["1", "1"]]));
    assert_eq!(
        notices(&mut s1, "DROP SEQUENCE t_id_seq CASCADE"),
        vec!["drop cascades to default value for column id of table t"]
    );
    assert_eq!(code(&mut s1, "INSERT INTO t (n) VALUES (2)"), "23502");
    rows(&mut s1, "DROP TABLE u");
    assert_eq!(code(&mut s1, "SELECT nextval('owned')"), "42P01");
    assert_eq!(code(&mut s1, "SELECT lastval()"), "55000");
}

#[test]
fn views_expand_where_used() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE TABLE t (a int PRIMARY KEY, b text)");
    rows(&mut s1, "INSERT INTO t VALUES (1, 'x'), (2, 'y'), (3, 'z')");
    rows(&mut s1, "CREATE VIEW v AS SELECT a, b FROM t WHERE a > 1");
    rows(&mut s1, "CREATE VIEW v2 (x) AS SELECT * FROM v");
    assert_eq!(rows(&mut s1, "SELECT * FROM v2 ORDER BY x"), s(&[&["2", "y"], &["3", "z"]]));
    assert_eq!(
        rows(&mut s1, "SELECT t.a, v.b FROM t JOIN v ON v.a = t.a - 1 ORDER BY 1"),
        s(&[&["3", "y"]])
    );
    assert_eq!(
        rows(
            &mut s1,
            "SELECT a FROM t WHERE a NOT IN (SELECT a FROM v) AND EXISTS (SELECT 1 FROM v2 WHERE x = t.a + 1)"
        ),
        s(&[&["1"]])
    );
    assert_eq!(rows(&mut s1, "SELECT count(*) FROM v AS w(c)"), s(&[&["2"]]));
    rows(
        &mut s1,
        "CREATE VIEW vw AS WITH x AS (SELECT a FROM t WHERE a < 3) SELECT count(*) AS n FROM x",
    );
    assert_eq!(rows(&mut s1, "SELECT n FROM vw"), s(&[&["2"]]));
    rows(&mut s1, "DROP VIEW vw");
    // A WITH query named like the view's table does not leak into the view.
    assert_eq!(
        rows(&mut s1, "WITH t AS (SELECT 99 AS a, 'q' AS b) SELECT count(*) FROM v, t"),
        s(&[&["2"]])
    );
    // A view sees the table's rows as they are now.
    rows(&mut s1, "INSERT INTO t VALUES (4, 'w')");
    assert_eq!(rows(&mut s1, "SELECT max(x) FROM v2"), s(&[&["4"]]));
    assert_eq!(code(&mut s1, "CREATE VIEW v3 AS SELECT a, a FROM t"), "42701");
    assert_eq!(code(&mut s1, "CREATE VIEW v3 (x, y, z) AS SELECT a FROM t"), "42601");
    assert_eq!(code(&mut s1, "CREATE VIEW v AS SELECT 1"), "42P07");
    assert_eq!(code(&mut s1, "CREATE VIEW t AS SELECT 1"), "42P07");
    assert_eq!(code(&mut s1, "CREATE VIEW v3 AS SELECT nope FROM t"), "42703");
    let err = error(&mut s1, "CREATE OR REPLACE VIEW v AS SELECT a FROM t");
    assert_eq!((err.code, err.message.as_str()), ("42P16", "cannot drop columns from view"));
    let err = error(&mut s1, "CREATE OR REPLACE VIEW v AS SELECT a AS c, b FROM t");
    assert_eq!(err.message, "cannot change name of view column \"a\" to \"c\"");
    rows(&mut s1, "CREATE OR REPLACE VIEW v AS SELECT a, b, 1 AS c FROM t");
    assert_eq!(rows(&mut s1, "SELECT * FROM v WHERE a = 1"), s(&[&["1", "x", "1"]]));
    let err = error(&mut s1, "INSERT INTO v VALUES (5, 'q', 1)");
    assert_eq!((err.code, err.message.as_str()), ("55000", "cannot insert into view \"v\""));
    assert_eq!(code(&mut s1, "UPDATE v SET b = 'q'"), "55000");
    assert_eq!(code(&mut s1, "DELETE FROM v"), "55000");
    // Catalog rows.
    assert_eq!(
        rows(
            &mut s1,
            "SELECT relname, relkind, relnatts FROM pg_class WHERE relname LIKE 'v%' ORDER BY 1"
        ),
        s(&[&["v", "v", "3"], &["v2", "v", "2"]])
    );
    assert_eq!(
        rows(
            &mut s1,
            "SELECT table_name, table_type FROM information_schema.tables WHERE table_name IN ('t', 'v') ORDER BY 1"
        ),
        s(&[&["t", "BASE TABLE"], &["v", "VIEW"]])
    );
    assert_eq!(
        rows(&mut s1, "SELECT viewname, definition FROM pg_views WHERE viewname = 'v'"),
        s(&[&["v", " SELECT a, b, 1 AS c FROM t;"]])
    );
    assert_eq!(
        rows(
            &mut s1,
            "SELECT pg_get_viewdef('v2'), pg_get_viewdef(c.oid, true) = pg_get_viewdef('v2') FROM pg_class c WHERE relname = 'v2'"
        ),
        s(&[&[" SELECT * FROM v;", "t"]])
    );
    assert_eq!(
        rows(&mut s1, "SELECT table_name, is_updatable FROM information_schema.views ORDER BY 1"),
        s(&[&["v", "NO"], &["v2", "NO"]])
    );
    assert_eq!(
        rows(
            &mut s1,
            "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE c.relname = 'v2' ORDER BY a.attnum"
        ),
        s(&[&["x"], &["b"]])
    );
}

#[test]
fn views_and_dependencies() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE TABLE t (a int PRIMARY KEY, b text)");
    rows(&mut s1, "CREATE VIEW v AS SELECT a, b FROM t WHERE a > 1");
    rows(&mut s1, "CREATE VIEW v2 (x) AS SELECT * FROM v");
    rows(&mut s1, "CREATE VIEW vj AS SELECT t.a, v.b FROM t JOIN v USING (a)");
    let err = error(&mut s1, "DROP TABLE t");
    assert_eq!(err.code, "2BP01");
    assert_eq!(err.message, "cannot drop table t because other objects depend on it");
    assert_eq!(
        err.detail.as_deref(),
        Some("view v depends on table t\nview v2 depends on view v\nview vj depends on table t")
    );
    assert_eq!(
        err.hint.as_deref(),
        Some("Use DROP ... CASCADE to drop the dependent objects too.")
    );
    let err = error(&mut s1, "DROP VIEW v");
    assert_eq!(err.message, "cannot drop view v because other objects depend on it");
    assert_eq!(code(&mut s1, "DROP VIEW t"), "42809");
    assert_eq!(code(&mut s1, "DROP TABLE v"), "42809");
    assert_eq!(code(&mut s1, "ALTER TABLE t DROP COLUMN b"), "2BP01");
    rows(&mut s1, "ALTER TABLE t ADD COLUMN c int");
    // DDL in a rolled-back transaction leaves no trace.
    rows(&mut s1, "BEGIN; DROP VIEW v CASCADE; ROLLBACK");
    assert_eq!(rows(&mut s1, "SELECT count(*) FROM v2"), s(&[&["0"]]));
    rows(&mut s1, "BEGIN; CREATE VIEW v9 AS SELECT 1 AS one; ROLLBACK");
    assert_eq!(code(&mut s1, "SELECT * FROM v9"), "42P01");
    rows(&mut s1, "DROP VIEW vj");
    assert_eq!(
        notices(&mut s1, "DROP VIEW IF EXISTS vj"),
        vec!["view \"vj\" does not exist, skipping"]
    );
    assert_eq!(code(&mut s1, "DROP VIEW vj"), "42P01");
    assert_eq!(
        notices(&mut s1, "DROP TABLE t CASCADE"),
        vec!["drop cascades to 2 other objects".to_string()]
    );
    assert_eq!(code(&mut s1, "SELECT * FROM v2"), "42P01");
    assert_eq!(rows(&mut s1, "SELECT count(*) FROM pg_views"), s(&[&["0"]]));
    rows(&mut s1, "CREATE TABLE t (a int)");
    rows(&mut s1, "CREATE VIEW v AS SELECT a FROM t");
    assert_eq!(notices(&mut s1, "DROP TABLE t CASCADE"), vec!["drop cascades to view v"]);
}

#[test]
fn foreign_keys_check_both_sides() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE TABLE p (id int PRIMARY KEY, code text UNIQUE, x int)");
    rows(
        &mut s1,
        "CREATE TABLE c (id int, p int REFERENCES p, pc text, FOREIGN KEY (pc) REFERENCES p(code) ON DELETE CASCADE ON UPDATE CASCADE)",
    );
    let err = error(&mut s1, "CREATE TABLE c2 (p int REFERENCES p(x))");
    assert_eq!(err.code, "42830");
    assert_eq!(
        err.message,
        "there is no unique constraint matching given keys for referenced table \"p\""
    );
    assert_eq!(code(&mut s1, "CREATE TABLE c3 (p int REFERENCES c3)"), "42704");
    let err = error(&mut s1, "CREATE TABLE c4 (p text REFERENCES p)");
    assert_eq!(
        (err.code, err.message.as_str()),
        ("42804", "foreign key constraint \"c4_p_fkey\" cannot be implemented")
    );
    assert_eq!(
        code(&mut s1, "CREATE TABLE c5 (a int, b int, FOREIGN KEY (a, b) REFERENCES p(id))"),
        "42830"
    );
    assert_eq!(code(&mut s1, "CREATE TABLE c6 (a int REFERENCES nope)"), "42P01");
    rows(&mut s1, "INSERT INTO p VALUES (1, 'a', 1), (2, 'b', 2)");
    let err = error(&mut s1, "INSERT INTO c VALUES (1, 5, NULL)");
    assert_eq!(err.code, "23503");
    assert_eq!(
        err.message,
        "insert or update on table \"c\" violates foreign key constraint \"c_p_fkey\""
    );
    assert_eq!(err.detail.as_deref(), Some("Key (p)=(5) is not present in table \"p\"."));
    rows(&mut s1, "INSERT INTO c VALUES (1, 1, 'b'), (2, NULL, 'a')");
    let err = error(&mut s1, "DELETE FROM p WHERE id = 1");
    assert_eq!(err.code, "23503");
    assert_eq!(
        err.message,
        "update or delete on table \"p\" violates foreign key constraint \"c_p_fkey\" on table \"c\""
    );
    assert_eq!(err.detail.as_deref(), Some("Key (id)=(1) is still referenced from table \"c\"."));
    assert_eq!(code(&mut s1, "UPDATE p SET id = 10 WHERE id = 1"), "23503");
    assert_eq!(code(&mut s1, "UPDATE c SET p = 3 WHERE id = 1"), "23503");
    rows(&mut s1, "UPDATE p SET code = 'z' WHERE code = 'a'");
    assert_eq!(
        rows(&mut s1, "SELECT * FROM c ORDER BY id"),
        s(&[&["1", "1", "b"], &["2", "NULL", "z"]])
    );
    rows(&mut s1, "DELETE FROM p WHERE code = 'b'");
    assert_eq!(rows(&mut s1, "SELECT * FROM c ORDER BY id"), s(&[&["2", "NULL", "z"]]));
    // Non-key updates of the referenced table need no check.
    rows(&mut s1, "UPDATE p SET x = 5");
    assert_eq!(
        rows(
            &mut s1,
            "SELECT conname, contype, confrelid = 'p'::regclass, conkey, confkey, confupdtype, confdeltype, confmatchtype, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' ORDER BY 1"
        ),
        s(&[
            &[
                "c_p_fkey",
                "f",
                "t",
                "{2}",
                "{1}",
                "a",
                "a",
                "s",
                "FOREIGN KEY (p) REFERENCES p(id)"
            ],
            &[
                "c_pc_fkey",
                "f",
                "t",
                "{3}",
                "{2}",
                "c",
                "c",
                "s",
                "FOREIGN KEY (pc) REFERENCES p(code) ON UPDATE CASCADE ON DELETE CASCADE"
            ],
        ])
    );
    assert_eq!(
        rows(
            &mut s1,
            "SELECT constraint_name, unique_constraint_name, update_rule, delete_rule FROM information_schema.referential_constraints ORDER BY 1"
        ),
        s(&[
            &["c_p_fkey", "p_pkey", "NO ACTION", "NO ACTION"],
            &["c_pc_fkey", "p_code_key", "CASCADE", "CASCADE"]
        ])
    );
    let err = error(&mut s1, "DROP TABLE p");
    assert_eq!(err.code, "2BP01");
    assert_eq!(
        err.detail.as_deref(),
        Some(
            "constraint c_p_fkey on table c depends on table p\nconstraint c_pc_fkey on table c depends on table p"
        )
    );
    let err = error(&mut s1, "TRUNCATE p");
    assert_eq!(
        (err.code, err.message.as_str()),
        ("0A000", "cannot truncate a table referenced in a foreign key constraint")
    );
    rows(&mut s1, "TRUNCATE c, p");
    rows(&mut s1, "INSERT INTO p VALUES (1, 'a', 1); INSERT INTO c VALUES (1, 1, 'a')");
    assert_eq!(notices(&mut s1, "TRUNCATE p CASCADE"), vec!["truncate cascades to table \"c\""]);
    assert_eq!(rows(&mut s1, "SELECT count(*) FROM c"), s(&[&["0"]]));
    assert_eq!(code(&mut s1, "ALTER TABLE p DROP COLUMN id"), "2BP01");
    assert_eq!(notices(&mut s1, "DROP TABLE p CASCADE"), vec!["drop cascades to 2 other objects"]);
    assert_eq!(
        rows(&mut s1, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"),
        s(&[&["0"]])
    );
    rows(&mut s1, "INSERT INTO c VALUES (9, 9, 'q')");
}

#[test]
fn foreign_key_actions_and_self_references() {
    let db = open();
    let mut s1 = session(&db);
    rows(
        &mut s1,
        "CREATE TABLE s (id int PRIMARY KEY, parent int REFERENCES s ON DELETE SET NULL)",
    );
    // Checked at the end of the statement: the order of rows does not matter.
    rows(&mut s1, "INSERT INTO s VALUES (2, 1), (1, NULL), (3, 2)");
    rows(&mut s1, "DELETE FROM s WHERE id = 1");
    assert_eq!(rows(&mut s1, "SELECT * FROM s ORDER BY id"), s(&[&["2", "NULL"], &["3", "2"]]));
    rows(
        &mut s1,
        "CREATE TABLE tree (id int PRIMARY KEY, up int REFERENCES tree ON DELETE CASCADE ON UPDATE CASCADE)",
    );
    rows(&mut s1, "INSERT INTO tree VALUES (1, NULL), (2, 1), (3, 2), (4, 3), (5, NULL)");
    rows(&mut s1, "UPDATE tree SET id = 20 WHERE id = 2");
    assert_eq!(rows(&mut s1, "SELECT id, up FROM tree WHERE up = 20"), s(&[&["3", "20"]]));
    assert_eq!(rows(&mut s1, "DELETE FROM tree WHERE id = 1"), s(&[&["DELETE 1"]]));
    assert_eq!(rows(&mut s1, "SELECT id FROM tree"), s(&[&["5"]]));
    rows(&mut s1, "CREATE TABLE p (id int PRIMARY KEY)");
    rows(&mut s1, "INSERT INTO p VALUES (0), (1), (2)");
    rows(
        &mut s1,
        "CREATE TABLE d (id int PRIMARY KEY, p int DEFAULT 0 REFERENCES p ON DELETE SET DEFAULT ON UPDATE RESTRICT)",
    );
    rows(&mut s1, "INSERT INTO d VALUES (1, 1), (2, 2)");
    rows(&mut s1, "DELETE FROM p WHERE id = 1");
    assert_eq!(rows(&mut s1, "SELECT * FROM d ORDER BY id"), s(&[&["1", "0"], &["2", "2"]]));
    assert_eq!(code(&mut s1, "UPDATE p SET id = 7 WHERE id = 2"), "23503");
    // SET DEFAULT to a key that does not exist fails.
    assert_eq!(code(&mut s1, "DELETE FROM p WHERE id = 0"), "23503");
    // NO ACTION allows deleting parent and child in one statement... of the same table.
    rows(&mut s1, "CREATE TABLE n (id int PRIMARY KEY, up int REFERENCES n)");
    rows(&mut s1, "INSERT INTO n VALUES (1, NULL), (2, 1)");
    rows(&mut s1, "DELETE FROM n");
    // ALTER TABLE ADD / DROP CONSTRAINT.
    rows(&mut s1, "CREATE TABLE k (id int, pid int)");
    rows(&mut s1, "INSERT INTO k VALUES (1, 2), (2, 5)");
    let err =
        error(&mut s1, "ALTER TABLE k ADD CONSTRAINT k_pid FOREIGN KEY (pid) REFERENCES p (id)");
    assert_eq!(err.code, "23503");
    assert_eq!(err.detail.as_deref(), Some("Key (pid)=(5) is not present in table \"p\"."));
    rows(&mut s1, "DELETE FROM k WHERE id = 2");
    rows(&mut s1, "ALTER TABLE k ADD CONSTRAINT k_pid FOREIGN KEY (pid) REFERENCES p (id)");
    assert_eq!(code(&mut s1, "INSERT INTO k VALUES (3, 9)"), "23503");
    assert_eq!(code(&mut s1, "DELETE FROM p WHERE id = 2"), "23503");
    rows(&mut s1, "BEGIN; ALTER TABLE k DROP CONSTRAINT k_pid; ROLLBACK");
    assert_eq!(code(&mut s1, "INSERT INTO k VALUES (3, 9)"), "23503");
    rows(&mut s1, "ALTER TABLE k DROP CONSTRAINT k_pid");
    rows(&mut s1, "INSERT INTO k VALUES (3, 9)");
    // Renaming the referenced table keeps the constraint working.
    rows(&mut s1, "ALTER TABLE p RENAME TO p2");
    assert_eq!(
        rows(
            &mut s1,
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'd_p_fkey'"
        ),
        s(&[&["FOREIGN KEY (p) REFERENCES p2(id) ON UPDATE RESTRICT ON DELETE SET DEFAULT"]])
    );
    assert_eq!(code(&mut s1, "INSERT INTO d VALUES (3, 42)"), "23503");
    rows(&mut s1, "INSERT INTO d VALUES (3, 2)");
    rows(&mut s1, "ALTER TABLE d ADD COLUMN q int REFERENCES p2");
    assert_eq!(code(&mut s1, "UPDATE d SET q = 5"), "23503");
    // The unique key a foreign key relies on cannot go.
    let err = error(&mut s1, "ALTER TABLE p2 DROP CONSTRAINT p_pkey");
    assert_eq!(err.code, "2BP01");
    assert_eq!(
        err.message,
        "cannot drop constraint p_pkey on table p2 because other objects depend on it"
    );
    assert_eq!(
        err.detail.as_deref(),
        Some("constraint d_p_fkey on table d depends on index p_pkey")
    );
    rows(&mut s1, "CREATE TABLE pu (id int)");
    rows(&mut s1, "CREATE UNIQUE INDEX pu_id ON pu (id)");
    rows(&mut s1, "CREATE TABLE cu (p int REFERENCES pu (id))");
    let err = error(&mut s1, "DROP INDEX pu_id");
    assert_eq!(
        (err.code, err.message.as_str()),
        ("2BP01", "cannot drop index pu_id because other objects depend on it")
    );
}

#[test]
fn schemas_hold_relations_and_follow_the_search_path() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE SCHEMA s");
    assert_eq!(code(&mut s1, "CREATE SCHEMA s"), "42P06");
    assert_eq!(
        notices(&mut s1, "CREATE SCHEMA IF NOT EXISTS s"),
        vec!["schema \"s\" already exists, skipping"]
    );
    assert_eq!(code(&mut s1, "CREATE SCHEMA pg_mine"), "42939");
    assert_eq!(code(&mut s1, "CREATE TABLE nope.t (a int)"), "3F000");
    rows(&mut s1, "CREATE TABLE s.t (id serial PRIMARY KEY, v text)");
    rows(&mut s1, "CREATE TABLE t (id int PRIMARY KEY, w text)");
    rows(&mut s1, "INSERT INTO s.t (v) VALUES ('in s'), ('again')");
    rows(&mut s1, "INSERT INTO public.t VALUES (1, 'in public')");
    assert_eq!(
        rows(&mut s1, "SELECT t.id, t.v FROM s.t ORDER BY 1"),
        s(&[&["1", "in s"], &["2", "again"]])
    );
    assert_eq!(rows(&mut s1, "SELECT * FROM t"), s(&[&["1", "in public"]]));
    assert_eq!(rows(&mut s1, "SELECT current_schema()"), s(&[&["public"]]));
    rows(&mut s1, "SET search_path TO s, public");
    assert_eq!(rows(&mut s1, "SELECT current_schema()"), s(&[&["s"]]));
    assert_eq!(rows(&mut s1, "SELECT v FROM t WHERE id = 2"), s(&[&["again"]]));
    assert_eq!(rows(&mut s1, "SELECT currval('t_id_seq')"), s(&[&["2"]]));
    // Created in the first schema of the path; found through the rest of it.
    rows(&mut s1, "CREATE VIEW v AS SELECT id FROM t");
    rows(&mut s1, "CREATE SEQUENCE q");
    assert_eq!(rows(&mut s1, "SELECT nextval('q'), nextval('s.q')"), s(&[&["1", "2"]]));
    rows(&mut s1, "CREATE TABLE only_public_sees (a int REFERENCES public.t)");
    rows(&mut s1, "SET search_path TO public");
    assert_eq!(code(&mut s1, "SELECT * FROM v"), "42P01");
    assert_eq!(rows(&mut s1, "SELECT count(*) FROM s.v"), s(&[&["2"]]));
    assert_eq!(code(&mut s1, "SELECT nextval('q')"), "42P01");
    assert_eq!(
        rows(
            &mut s1,
            "SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 's' ORDER BY 2"
        ),
        s(&[
            &["s", "only_public_sees", "r"],
            &["s", "q", "S"],
            &["s", "t", "r"],
            &["s", "t_id_seq", "S"],
            &["s", "t_pkey", "i"],
            &["s", "v", "v"]
        ])
    );
    assert_eq!(
        rows(
            &mut s1,
            "SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE table_schema = 's' ORDER BY 2"
        ),
        s(&[
            &["s", "only_public_sees", "BASE TABLE"],
            &["s", "t", "BASE TABLE"],
            &["s", "v", "VIEW"]
        ])
    );
    assert_eq!(
        rows(&mut s1, "SELECT schema_name FROM information_schema.schemata ORDER BY 1"),
        s(&[&["information_schema"], &["pg_catalog"], &["public"], &["s"]])
    );
    assert_eq!(
        rows(
            &mut s1,
            "SELECT conname, connamespace = (SELECT oid FROM pg_namespace WHERE nspname = 's') FROM pg_constraint WHERE contype = 'p' ORDER BY 1, 2"
        ),
        s(&[&["t_pkey", "f"], &["t_pkey", "t"]])
    );
    // Dropping the public table the schema's table references needs CASCADE.
    assert_eq!(code(&mut s1, "DROP TABLE t"), "2BP01");
    let err = error(&mut s1, "DROP SCHEMA s");
    assert_eq!(err.code, "2BP01");
    assert_eq!(err.message, "cannot drop schema s because other objects depend on it");
    rows(&mut s1, "BEGIN; DROP SCHEMA s CASCADE; ROLLBACK");
    assert_eq!(rows(&mut s1, "SELECT count(*) FROM s.t"), s(&[&["2"]]));
    assert_eq!(notices(&mut s1, "DROP SCHEMA s CASCADE"), vec!["drop cascades to 4 other objects"]);
    assert_eq!(code(&mut s1, "SELECT * FROM s.t"), "42P01");
    assert_eq!(code(&mut s1, "DROP SCHEMA s"), "3F000");
    assert_eq!(
        notices(&mut s1, "DROP SCHEMA IF EXISTS s"),
        vec!["schema \"s\" does not exist, skipping"]
    );
    rows(&mut s1, "DROP TABLE t");
    assert_eq!(
        notices(&mut s1, "DROP TABLE IF EXISTS s.t"),
        vec!["table \"s.t\" does not exist, skipping"]
    );
    rows(&mut s1, "CREATE SCHEMA e");
    rows(&mut s1, "DROP SCHEMA e");
}

#[test]
fn foreign_key_checks_conflict_with_concurrent_changes() {
    let db = open();
    let mut s1 = session(&db);
    let mut s2 = session(&db);
    rows(&mut s1, "CREATE TABLE p (id int PRIMARY KEY)");
    rows(&mut s1, "CREATE TABLE c (id int PRIMARY KEY, p int REFERENCES p)");
    rows(&mut s1, "INSERT INTO p VALUES (1), (2)");
    // A child inserted while its parent is deleted: one of the two must fail.
    rows(&mut s1, "BEGIN");
    rows(&mut s2, "BEGIN");
    rows(&mut s1, "INSERT INTO c VALUES (1, 1)");
    rows(&mut s2, "DELETE FROM p WHERE id = 1");
    rows(&mut s2, "COMMIT");
    assert_eq!(code(&mut s1, "COMMIT"), "40001");
    assert_eq!(rows(&mut s1, "SELECT count(*) FROM c"), s(&[&["0"]]));
    // The other order: the delete commits second and fails.
    rows(&mut s1, "BEGIN");
    rows(&mut s2, "BEGIN");
    rows(&mut s1, "INSERT INTO c VALUES (2, 2)");
    rows(&mut s2, "DELETE FROM p WHERE id = 2");
    rows(&mut s1, "COMMIT");
    assert_eq!(code(&mut s2, "COMMIT"), "40001");
    assert_eq!(rows(&mut s1, "SELECT c.id, p.id FROM c JOIN p ON p.id = c.p"), s(&[&["2", "2"]]));
}

#[test]
fn sequences_views_and_schemas_survive_reopen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = DatabaseOptions { memory_limit_bytes: 8 << 20, wal_sync_off: false };
    {
        let db = Database::open(dir.path(), options.clone()).expect("open");
        let mut s1 = Session::new(db.clone(), "quorumdb", &[]).expect("session");
        rows(&mut s1, "CREATE SCHEMA s");
        rows(&mut s1, "CREATE SEQUENCE s.up");
        rows(&mut s1, "CREATE SEQUENCE down INCREMENT -5");
        rows(&mut s1, "SELECT nextval('s.up'), nextval('s.up'), nextval('down'), nextval('down')");
        rows(&mut s1, "CREATE TABLE p (id int PRIMARY KEY)");
        rows(&mut s1, "CREATE TABLE c (p int REFERENCES p ON DELETE CASCADE)");
        rows(&mut s1, "CREATE VIEW s.v AS SELECT count(*) AS n FROM c");
        rows(&mut s1, "INSERT INTO p VALUES (1); INSERT INTO c VALUES (1)");
        db.close();
    }
    let db = Database::open(dir.path(), options).expect("reopen");
    let mut s1 = Session::new(db, "quorumdb", &[]).expect("session");
    // Allocation resumes past every value handed out, in the sequence's direction.
    let up: i64 = rows(&mut s1, "SELECT nextval('s.up')")[0][0].parse().expect("number");
    assert!(up > 2, "{up}");
    let down: i64 = rows(&mut s1, "SELECT nextval('down')")[0][0].parse().expect("number");
    assert!(down < -6, "{down}");
    assert_eq!(rows(&mut s1, "SELECT n FROM s.v"), s(&[&["1"]]));
    assert_eq!(code(&mut s1, "INSERT INTO c VALUES (2)"), "23503");
    rows(&mut s1, "DELETE FROM p");
    assert_eq!(rows(&mut s1, "SELECT n FROM s.v"), s(&[&["0"]]));
}

#[test]
fn sequence_state_in_the_older_eight_byte_format_still_reads() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE SEQUENCE old");
    let oid: u32 =
        rows(&mut s1, "SELECT oid FROM pg_class WHERE relname = 'old'")[0][0].parse().expect("oid");
    let id = oid - crate::sql::catalog::FIRST_USER_OID;
    let mut txn = db.db.store().begin(crate::txn::IsolationLevel::Snapshot);
    txn.put(crate::sql::catalog::sequence_value_key(id), 100i64.to_be_bytes().to_vec());
    txn.commit().expect("commit");
    assert_eq!(rows(&mut s1, "SELECT nextval('old'), nextval('old')"), s(&[&["100", "101"]]));
}

#[test]
fn current_schemas_lists_the_search_path_that_exists() {
    let db = open();
    let mut s1 = session(&db);
    let both = "SELECT current_schemas(true), current_schemas(false)";
    assert_eq!(rows(&mut s1, both), s(&[&["{pg_catalog,public}", "{public}"]]));
    assert_eq!(rows(&mut s1, "SELECT pg_typeof(current_schemas(true))::text"), s(&[&["name[]"]]));
    rows(&mut s1, "CREATE SCHEMA s");
    // Missing schemas, repeats and pg_temp (no temporary schema exists) are left out.
    rows(&mut s1, "SET search_path = nosuch, s, public, s, pg_temp");
    assert_eq!(rows(&mut s1, both), s(&[&["{pg_catalog,s,public}", "{s,public}"]]));
    // pg_catalog named in the path is searched where it is named.
    rows(&mut s1, "SET search_path = public, pg_catalog");
    assert_eq!(rows(&mut s1, both), s(&[&["{public,pg_catalog}", "{public,pg_catalog}"]]));
    rows(&mut s1, "SET search_path = ''");
    assert_eq!(rows(&mut s1, both), s(&[&["{pg_catalog}", "{}"]]));
    rows(&mut s1, "RESET search_path");
    assert_eq!(rows(&mut s1, "SELECT current_schemas(NULL)"), s(&[&["NULL"]]));
    // What pgbench asks to find pgbench_accounts's schema in the path.
    assert_eq!(
        rows(
            &mut s1,
            "SELECT pg_catalog.array_position(pg_catalog.current_schemas(true), 'public')"
        ),
        s(&[&["2"]])
    );
    assert_eq!(code(&mut s1, "SELECT current_schemas()"), "42883");
    assert_eq!(code(&mut s1, "SELECT current_schemas(1)"), "42883");
}
