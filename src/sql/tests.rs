//! Session-level tests: SQL text in, rows and errors out, on a real database in a temp dir
//! (the wire protocol is tested end to end in tests/).

use super::test_support::*;
use super::*;
use crate::sql::types::Value;

#[test]
fn create_insert_select_update_delete() {
    let db = open();
    let mut s1 = session(&db);
    rows(
        &mut s1,
        "CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL, score numeric(5,2) DEFAULT 1.5)",
    );
    assert_eq!(
        rows(&mut s1, "INSERT INTO t (id, name) VALUES (2, 'b'), (1, 'a')"),
        s(&[&["INSERT 0 2"]])
    );
    assert_eq!(
        rows(&mut s1, "SELECT id, name, score FROM t"),
        s(&[&["1", "a", "1.50"], &["2", "b", "1.50"]])
    );
    assert_eq!(
        rows(&mut s1, "UPDATE t SET score = score + 1 WHERE id = 2 RETURNING score"),
        s(&[&["2.50"]])
    );
    assert_eq!(rows(&mut s1, "DELETE FROM t WHERE name = 'a'"), s(&[&["DELETE 1"]]));
    assert_eq!(rows(&mut s1, "SELECT count(*) FROM t"), s(&[&["1"]]));
}

#[test]
fn constraint_errors_carry_postgres_sqlstates() {
    let db = open();
    let mut s1 = session(&db);
    rows(
        &mut s1,
        "CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL CHECK (v > 0), u text UNIQUE)",
    );
    rows(&mut s1, "INSERT INTO t VALUES (1, 1, 'x')");
    assert_eq!(code(&mut s1, "INSERT INTO t VALUES (1, 2, 'y')"), "23505");
    assert_eq!(code(&mut s1, "INSERT INTO t VALUES (2, 2, 'x')"), "23505");
    assert_eq!(code(&mut s1, "INSERT INTO t VALUES (3, NULL, 'z')"), "23502");
    assert_eq!(code(&mut s1, "INSERT INTO t VALUES (3, -1, 'z')"), "23514");
    assert_eq!(code(&mut s1, "SELECT * FROM missing"), "42P01");
    assert_eq!(code(&mut s1, "SELECT nope FROM t"), "42703");
    assert_eq!(code(&mut s1, "SELEC 1"), "42601");
    assert_eq!(code(&mut s1, "SELECT 1/0"), "22012");
    assert_eq!(code(&mut s1, "SELECT 'abc'::int"), "22P02");
    assert_eq!(code(&mut s1, "SELECT 2147483647::int + 1"), "22003");
    assert_eq!(
        rows(
            &mut s1,
            "INSERT INTO t VALUES (1, 5, 'q') ON CONFLICT (id) DO UPDATE SET v = excluded.v RETURNING v"
        ),
        s(&[&["5"]])
    );
    assert_eq!(
        rows(&mut s1, "INSERT INTO t VALUES (1, 7, 'q') ON CONFLICT DO NOTHING"),
        s(&[&["INSERT 0 0"]])
    );
}

#[test]
fn transaction_blocks_roll_back_ddl_and_refuse_after_errors() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "BEGIN; CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)");
    assert_eq!(s1.txn_status(), TxnStatus::InBlock);
    rows(&mut s1, "ROLLBACK");
    assert_eq!(code(&mut s1, "SELECT * FROM t"), "42P01");
    rows(&mut s1, "CREATE TABLE t (id int PRIMARY KEY)");
    rows(&mut s1, "BEGIN");
    assert_eq!(code(&mut s1, "INSERT INTO t VALUES ('x')"), "22P02");
    assert_eq!(s1.txn_status(), TxnStatus::Failed);
    assert_eq!(code(&mut s1, "SELECT 1"), "25P02");
    assert_eq!(rows(&mut s1, "COMMIT"), s(&[&["ROLLBACK"]]));
    assert_eq!(s1.txn_status(), TxnStatus::Idle);
    rows(
        &mut s1,
        "BEGIN; INSERT INTO t VALUES (1); SAVEPOINT a; INSERT INTO t VALUES (2); ROLLBACK TO SAVEPOINT a; COMMIT",
    );
    assert_eq!(rows(&mut s1, "SELECT id FROM t"), s(&[&["1"]]));
}

#[test]
fn concurrent_writers_get_serialization_failures() {
    let db = open();
    let mut s1 = session(&db);
    let mut s2 = session(&db);
    rows(&mut s1, "CREATE TABLE acct (id int PRIMARY KEY, balance int)");
    rows(&mut s1, "INSERT INTO acct VALUES (1, 100)");
    rows(&mut s1, "BEGIN; UPDATE acct SET balance = balance - 10 WHERE id = 1");
    // Not a primary-key point update, so no row lock: the rows are read optimistically and
    // the second commit fails validation. (Point updates wait: see the next test.)
    rows(&mut s2, "BEGIN; UPDATE acct SET balance = balance - 20 WHERE id >= 1");
    rows(&mut s1, "COMMIT");
    assert_eq!(code(&mut s2, "COMMIT"), "40001");
    assert_eq!(rows(&mut s1, "SELECT balance FROM acct WHERE id = 1"), s(&[&["90"]]));
}

#[test]
fn point_updates_of_one_row_wait_for_each_other_and_both_apply() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE TABLE acct (id int PRIMARY KEY, balance int)");
    rows(&mut s1, "INSERT INTO acct VALUES (1, 100)");
    rows(&mut s1, "BEGIN; UPDATE acct SET balance = balance - 10 WHERE id = 1");
    let mut s2 = session(&db);
    rows(&mut s2, "BEGIN; SELECT 1"); // its snapshot predates s1's commit
    let (tx, done) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let updated = rows(
                &mut s2,
                "UPDATE acct SET balance = balance - 20 WHERE id = 1 RETURNING balance",
            );
            rows(&mut s2, "COMMIT");
            let _ = tx.send(updated);
        });
        let waited = done.recv_timeout(std::time::Duration::from_millis(200));
        assert!(waited.is_err(), "the second UPDATE must wait for the row lock: {waited:?}");
        rows(&mut s1, "COMMIT");
        let updated = done.recv_timeout(std::time::Duration::from_secs(10)).expect("waiter");
        assert_eq!(updated, s(&[&["70"]]), "the waiter read what the first one committed");
    });
    assert_eq!(rows(&mut s1, "SELECT balance FROM acct WHERE id = 1"), s(&[&["70"]]));
}

#[test]
fn serial_identity_and_tables_without_keys() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE TABLE a (id serial PRIMARY KEY, v text)");
    rows(&mut s1, "INSERT INTO a (v) VALUES ('x'), ('y')");
    assert_eq!(rows(&mut s1, "SELECT id, v FROM a ORDER BY id"), s(&[&["1", "x"], &["2", "y"]]));
    rows(&mut s1, "CREATE TABLE b (id bigint GENERATED ALWAYS AS IDENTITY, v int)");
    assert_eq!(rows(&mut s1, "INSERT INTO b (v) VALUES (5) RETURNING id"), s(&[&["1"]]));
    assert_eq!(code(&mut s1, "INSERT INTO b (id, v) VALUES (9, 5)"), "428C9");
    rows(&mut s1, "CREATE TABLE c (v int)");
    rows(&mut s1, "INSERT INTO c VALUES (1), (1), (2)");
    assert_eq!(rows(&mut s1, "SELECT v FROM c ORDER BY v DESC"), s(&[&["2"], &["1"], &["1"]]));
}

#[test]
fn point_reads_use_the_primary_key() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE TABLE t (a int, b text, c int, PRIMARY KEY (a, b))");
    rows(&mut s1, "INSERT INTO t VALUES (1, 'x', 10), (1, 'y', 11), (2, 'x', 12)");
    assert_eq!(rows(&mut s1, "SELECT c FROM t WHERE b = 'y' AND a = 1"), s(&[&["11"]]));
    assert_eq!(rows(&mut s1, "SELECT c FROM t WHERE a = 1 ORDER BY c DESC LIMIT 1"), s(&[&["11"]]));
    let statement = s1.parse("SELECT c FROM t WHERE a = $1 AND b = $2").expect("parse").remove(0);
    let prepared = s1.prepare("", statement, &[]).expect("prepare");
    assert_eq!(prepared.param_types, vec![types::DataType::Int4, types::DataType::Text]);
    let outcome =
        s1.execute(&prepared, vec![Value::Int4(2), Value::Text("x".into())]).expect("execute");
    let Outcome::Rows { rows, .. } = outcome else { panic!("rows expected") };
    let rows: Vec<_> = rows.collect::<Result<_, _>>().expect("rows");
    assert_eq!(rows, vec![vec![Value::Int4(12)]]);
}

#[test]
fn settings_show_and_functions() {
    let db = open();
    let mut s1 = session(&db);
    assert_eq!(rows(&mut s1, "SHOW server_version")[0][0], settings::SERVER_VERSION);
    rows(&mut s1, "SET application_name = 'x'");
    assert_eq!(
        s1.take_parameter_changes(),
        vec![("application_name".to_string(), "x".to_string())]
    );
    assert_eq!(
        rows(&mut s1, "SELECT current_database(), current_schema(), current_user"),
        s(&[&["quorumdb", "public", "quorumdb"]])
    );
    assert!(rows(&mut s1, "SELECT version()")[0][0].starts_with("PostgreSQL 15"));
    assert_eq!(code(&mut s1, "SET nonsense = 1"), "42704");
}

#[test]
fn data_survives_reopen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = DatabaseOptions { memory_limit_bytes: 8 << 20, wal_sync_off: false };
    {
        let db = Database::open(dir.path(), options.clone()).expect("open");
        let mut s1 = Session::new(db.clone(), "quorumdb", &[]).expect("session");
        rows(&mut s1, "CREATE TABLE t (id serial PRIMARY KEY, v text)");
        rows(&mut s1, "INSERT INTO t (v) VALUES ('a'), ('b')");
        db.close();
    }
    let db = Database::open(dir.path(), options).expect("reopen");
    let mut s1 = Session::new(db, "quorumdb", &[]).expect("session");
    rows(&mut s1, "INSERT INTO t (v) VALUES ('c')");
    let ids = rows(&mut s1, "SELECT id FROM t ORDER BY id");
    assert_eq!(ids.len(), 3);
    assert_ne!(ids[2][0], "1");
    assert_ne!(ids[2][0], "2");
}

#[test]
fn a_multi_statement_query_is_one_implicit_transaction() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE TABLE t (id int PRIMARY KEY)");
    s1.begin_batch();
    let result = run(&mut s1, "INSERT INTO t VALUES (1); INSERT INTO t VALUES (1)");
    assert_eq!(result.err().map(|e| e.code), Some("23505"));
    s1.end_batch().expect("end batch");
    assert_eq!(rows(&mut s1, "SELECT count(*) FROM t"), s(&[&["0"]]));
    s1.begin_batch();
    rows(&mut s1, "INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)");
    s1.end_batch().expect("end batch");
    assert_eq!(rows(&mut s1, "SELECT count(*) FROM t"), s(&[&["2"]]));
    assert_eq!(s1.txn_status(), TxnStatus::Idle);
}

#[test]
fn system_relations_describe_the_catalog() {
    let db = open();
    let mut s1 = session(&db);
    rows(
        &mut s1,
        "CREATE TABLE t (id int PRIMARY KEY, name varchar(20) NOT NULL UNIQUE, n numeric(12,3) DEFAULT 0)",
    );
    assert_eq!(
        rows(&mut s1, "SELECT relname, relkind FROM pg_catalog.pg_class ORDER BY relname"),
        s(&[&["t", "r"], &["t_name_key", "i"], &["t_pkey", "i"]])
    );
    assert_eq!(
        rows(
            &mut s1,
            "SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute \
             WHERE attrelid = 16384 + 1 ORDER BY attnum"
        )
        .len(),
        3
    );
    assert_eq!(
        rows(
            &mut s1,
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = 't' ORDER BY ordinal_position"
        ),
        s(&[
            &["id", "integer", "NO"],
            &["name", "character varying", "NO"],
            &["n", "numeric", "YES"]
        ])
    );
    assert_eq!(
        rows(
            &mut s1,
            "SELECT nspname FROM pg_namespace WHERE NOT textregexeq(nspname, '^pg_') ORDER BY 1"
        ),
        s(&[&["information_schema"], &["public"]])
    );
    assert_eq!(
        rows(
            &mut s1,
            "SELECT pg_get_userbyid(nspowner), pg_table_is_visible(2200) FROM pg_namespace WHERE nspname = 'public'"
        ),
        s(&[&["quorumdb", "t"]])
    );
}

#[test]
fn statement_timeout_cancels_long_statements() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "SET statement_timeout = '50ms'");
    let started = std::time::Instant::now();
    assert_eq!(code(&mut s1, "SELECT count(*) FROM generate_series(1, 1000000000)"), "57014");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(rows(&mut s1, "SELECT 1"), s(&[&["1"]]));
    rows(&mut s1, "RESET statement_timeout");
    assert_eq!(rows(&mut s1, "SHOW statement_timeout"), s(&[&["0"]]));
    assert_eq!(code(&mut s1, "SET statement_timeout = 'soon'"), "22023");
}

#[test]
fn subqueries_see_the_statement_snapshot_and_own_writes() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE TABLE t (id int PRIMARY KEY, name text)");
    rows(&mut s1, "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, NULL)");
    assert_eq!(
        rows(
            &mut s1,
            "SELECT (SELECT max(id) FROM t), EXISTS (SELECT 1 FROM t WHERE id = 2), 2 IN (SELECT id FROM t), 5 NOT IN (SELECT id FROM t), NOT EXISTS (SELECT 1 FROM t WHERE id > 9)"
        ),
        s(&[&["3", "t", "t", "t", "t"]])
    );
    assert_eq!(
        rows(&mut s1, "SELECT name FROM t WHERE id IN (SELECT id FROM t WHERE id > 1) ORDER BY id"),
        s(&[&["b"], &["NULL"]])
    );
    assert_eq!(rows(&mut s1, "SELECT 1 NOT IN (SELECT NULL::int)"), s(&[&["NULL"]]));
    assert_eq!(code(&mut s1, "SELECT (SELECT id FROM t)"), "21000");
    assert_eq!(
        rows(
            &mut s1,
            "SELECT id, (SELECT count(*) FROM t t2 WHERE t2.id <= t.id) FROM t ORDER BY id"
        ),
        s(&[&["1", "1"], &["2", "2"], &["3", "3"]])
    );
    assert_eq!(
        rows(
            &mut s1,
            "SELECT id FROM t WHERE EXISTS (SELECT 1 FROM t t2 WHERE t2.id = t.id + 1) ORDER BY id"
        ),
        s(&[&["1"], &["2"]])
    );
    assert_eq!(code(&mut s1, "SELECT (SELECT nope FROM t t2) FROM t"), "42703");
    rows(&mut s1, "BEGIN; INSERT INTO t VALUES (4, 'd')");
    assert_eq!(rows(&mut s1, "SELECT (SELECT count(*) FROM t)"), s(&[&["4"]]));
    rows(&mut s1, "ROLLBACK");
    assert_eq!(rows(&mut s1, "SELECT (SELECT count(*) FROM t)"), s(&[&["3"]]));
    assert_eq!(
        rows(&mut s1, "DELETE FROM t WHERE id = (SELECT min(id) FROM t) RETURNING name"),
        s(&[&["a"]])
    );
}

#[test]
fn index_and_constraint_definitions_for_psql() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE TABLE t (id int PRIMARY KEY, v text UNIQUE, n int CHECK (n > 0))");
    assert_eq!(
        rows(
            &mut s1,
            "SELECT c2.relname, i.indisprimary, pg_get_indexdef(i.indexrelid, 0, true), \
             pg_get_constraintdef(con.oid, true) \
             FROM pg_class c, pg_class c2, pg_index i \
             LEFT JOIN pg_constraint con ON (conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x')) \
             WHERE c.relname = 't' AND c.oid = i.indrelid AND i.indexrelid = c2.oid \
             ORDER BY i.indisprimary DESC, c2.relname"
        ),
        s(&[
            &[
                "t_pkey",
                "t",
                "CREATE UNIQUE INDEX t_pkey ON public.t USING btree (id)",
                "PRIMARY KEY (id)"
            ],
            &[
                "t_v_key",
                "f",
                "CREATE UNIQUE INDEX t_v_key ON public.t USING btree (v)",
                "UNIQUE (v)"
            ],
        ])
    );
}

#[test]
fn reversed_key_ranges_are_empty_not_a_crash() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE TABLE tab1 (pk int PRIMARY KEY, col0 int)");
    rows(&mut s1, "INSERT INTO tab1 VALUES (1, 80), (2, 75)");
    assert!(rows(&mut s1, "SELECT pk FROM tab1 WHERE pk BETWEEN 5 AND 2").is_empty());
    assert!(rows(&mut s1, "SELECT pk FROM tab1 WHERE pk > 2 AND pk < 2").is_empty());
    rows(&mut s1, "CREATE INDEX i ON tab1 (col0)");
    assert!(rows(&mut s1, "SELECT pk FROM tab1 WHERE col0 BETWEEN 89 AND 72").is_empty());
    rows(&mut s1, "BEGIN; INSERT INTO tab1 VALUES (3, 70)");
    assert!(rows(&mut s1, "SELECT pk FROM tab1 WHERE pk BETWEEN 5 AND 2").is_empty());
    assert_eq!(rows(&mut s1, "SELECT pk FROM tab1 WHERE col0 BETWEEN 60 AND 72"), s(&[&["3"]]));
    rows(&mut s1, "COMMIT");
}

#[test]
fn select_all_keeps_duplicates() {
    let db = open();
    let mut s1 = session(&db);
    assert_eq!(rows(&mut s1, "SELECT ALL 1 UNION ALL SELECT ALL 1"), s(&[&["1"], &["1"]]));
}
