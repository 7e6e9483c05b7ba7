//! Session-level tests of ALTER TABLE, CREATE / DROP INDEX, the CREATE TABLE forms that are
//! refused, and the statements pgbench sends (expectations checked against PostgreSQL 15).

use super::test_support::*;
use super::*;

#[test]
fn alter_table_columns() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE TABLE t (a int, b text)");
    rows(&mut s1, "INSERT INTO t VALUES (1,'x'),(2,'y'),(2,'z'),(NULL,'w')");
    rows(&mut s1, "ALTER TABLE t ADD COLUMN c int DEFAULT 7");
    assert_eq!(
        rows(&mut s1, "SELECT * FROM t ORDER BY b"),
        s(&[&["NULL", "w", "7"], &["1", "x", "7"], &["2", "y", "7"], &["2", "z", "7"]])
    );
    assert_eq!(code(&mut s1, "ALTER TABLE t ADD COLUMN d int NOT NULL"), "23502");
    assert_eq!(code(&mut s1, "ALTER TABLE t ADD COLUMN c int"), "42701");
    rows(&mut s1, "ALTER TABLE t ADD COLUMN IF NOT EXISTS c int");
    // A column without a default needs no rewrite: old rows read NULL.
    rows(&mut s1, "ALTER TABLE t ADD COLUMN e text");
    assert_eq!(rows(&mut s1, "SELECT count(*) FROM t WHERE e IS NULL"), s(&[&["4"]]));
    rows(&mut s1, "ALTER TABLE t DROP COLUMN e");
    rows(&mut s1, "ALTER TABLE t DROP COLUMN b");
    assert_eq!(code(&mut s1, "ALTER TABLE t DROP COLUMN b"), "42703");
    rows(&mut s1, "ALTER TABLE t DROP COLUMN IF EXISTS b");
    assert_eq!(
        rows(&mut s1, "SELECT * FROM t ORDER BY a"),
        s(&[&["1", "7"], &["2", "7"], &["2", "7"], &["NULL", "7"]])
    );
    rows(&mut s1, "ALTER TABLE t RENAME COLUMN c TO cc");
    assert_eq!(code(&mut s1, "ALTER TABLE t RENAME COLUMN cc TO a"), "42701");
    assert_eq!(code(&mut s1, "ALTER TABLE t RENAME COLUMN nope TO x"), "42703");
    rows(&mut s1, "ALTER TABLE t RENAME TO t2");
    assert_eq!(code(&mut s1, "SELECT * FROM t"), "42P01");
    assert_eq!(rows(&mut s1, "SELECT sum(cc) FROM t2"), s(&[&["28"]]));
    rows(&mut s1, "ALTER TABLE t2 ALTER COLUMN cc DROP DEFAULT");
    rows(&mut s1, "INSERT INTO t2 (a) VALUES (3)");
    assert_eq!(rows(&mut s1, "SELECT cc FROM t2 WHERE a = 3"), s(&[&["NULL"]]));
    assert_eq!(code(&mut s1, "ALTER TABLE t2 ALTER COLUMN cc SET NOT NULL"), "23502");
    rows(&mut s1, "ALTER TABLE t2 ALTER COLUMN cc SET DEFAULT 5");
    rows(&mut s1, "UPDATE t2 SET cc = 1 WHERE a = 3");
    rows(&mut s1, "ALTER TABLE t2 ALTER COLUMN cc SET NOT NULL");
    assert_eq!(code(&mut s1, "INSERT INTO t2 (a, cc) VALUES (9, NULL)"), "23502");
    rows(&mut s1, "INSERT INTO t2 (a) VALUES (4)");
    assert_eq!(rows(&mut s1, "SELECT cc FROM t2 WHERE a = 4"), s(&[&["5"]]));
    rows(&mut s1, "ALTER TABLE t2 ALTER COLUMN cc DROP NOT NULL");
    rows(&mut s1, "INSERT INTO t2 (a, cc) VALUES (9, NULL)");
    assert_eq!(code(&mut s1, "ALTER TABLE nope ADD COLUMN x int"), "42P01");
    rows(&mut s1, "ALTER TABLE IF EXISTS nope ADD COLUMN x int");
}

#[test]
fn alter_table_constraints() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE TABLE t (a int, b int)");
    rows(&mut s1, "INSERT INTO t VALUES (1, 10), (2, 20), (2, 30), (NULL, 40)");
    let err = run(&mut s1, "ALTER TABLE t ADD PRIMARY KEY (a)").expect_err("duplicate");
    assert_eq!(err.code, "23505");
    assert_eq!(err.message, "could not create unique index \"t_pkey\"");
    assert_eq!(err.detail.as_deref(), Some("Key (a)=(2) is duplicated."));
    rows(&mut s1, "DELETE FROM t WHERE b = 30");
    let err = run(&mut s1, "ALTER TABLE t ADD PRIMARY KEY (a)").expect_err("null");
    assert_eq!(err.code, "23502");
    assert_eq!(err.message, "column \"a\" of relation \"t\" contains null values");
    rows(&mut s1, "DELETE FROM t WHERE a IS NULL");
    rows(&mut s1, "ALTER TABLE t ADD PRIMARY KEY (a)");
    assert_eq!(code(&mut s1, "ALTER TABLE t ADD PRIMARY KEY (b)"), "42P16");
    assert_eq!(code(&mut s1, "INSERT INTO t VALUES (1, 99)"), "23505");
    assert_eq!(rows(&mut s1, "SELECT b FROM t WHERE a = 2"), s(&[&["20"]]));
    assert_eq!(code(&mut s1, "ALTER TABLE t ALTER COLUMN a DROP NOT NULL"), "42P16");
    // CHECK: validated against existing rows, then enforced.
    assert_eq!(code(&mut s1, "ALTER TABLE t ADD CONSTRAINT b_big CHECK (b > 15)"), "23514");
    rows(&mut s1, "ALTER TABLE t ADD CONSTRAINT b_pos CHECK (b > 0)");
    assert_eq!(code(&mut s1, "ALTER TABLE t ADD CONSTRAINT b_pos CHECK (b > 1)"), "42710");
    assert_eq!(code(&mut s1, "INSERT INTO t VALUES (5, -1)"), "23514");
    rows(&mut s1, "ALTER TABLE t RENAME COLUMN b TO bb");
    assert_eq!(code(&mut s1, "INSERT INTO t VALUES (5, -1)"), "23514");
    rows(&mut s1, "ALTER TABLE t DROP CONSTRAINT b_pos");
    rows(&mut s1, "INSERT INTO t VALUES (5, -1)");
    assert_eq!(code(&mut s1, "ALTER TABLE t DROP CONSTRAINT b_pos"), "42704");
    rows(&mut s1, "ALTER TABLE t DROP CONSTRAINT IF EXISTS b_pos");
    // UNIQUE: validated, then enforced; dropping it lifts the rule.
    rows(&mut s1, "INSERT INTO t VALUES (6, 20)");
    let err = run(&mut s1, "ALTER TABLE t ADD CONSTRAINT bb_u UNIQUE (bb)").expect_err("dup");
    assert_eq!(
        (err.code, err.message.as_str()),
        ("23505", "could not create unique index \"bb_u\"")
    );
    rows(&mut s1, "DELETE FROM t WHERE a = 6");
    rows(&mut s1, "ALTER TABLE t ADD CONSTRAINT bb_u UNIQUE (bb)");
    assert_eq!(code(&mut s1, "INSERT INTO t VALUES (7, 20)"), "23505");
    assert_eq!(rows(&mut s1, "SELECT a FROM t WHERE bb = 20"), s(&[&["2"]]));
    rows(&mut s1, "ALTER TABLE t DROP CONSTRAINT bb_u");
    rows(&mut s1, "INSERT INTO t VALUES (7, 20)");
    // Dropping the primary key re-keys rows by hidden row id; duplicates are then allowed.
    rows(&mut s1, "ALTER TABLE t DROP CONSTRAINT t_pkey");
    rows(&mut s1, "INSERT INTO t VALUES (7, 21)");
    assert_eq!(rows(&mut s1, "SELECT count(*) FROM t WHERE a = 7"), s(&[&["2"]]));
    // Dropping a key column drops the constraints on it.
    rows(&mut s1, "ALTER TABLE t ADD CONSTRAINT a_bb_u UNIQUE (a, bb)");
    rows(&mut s1, "ALTER TABLE t ADD CONSTRAINT a_pos CHECK (a > 0)");
    rows(&mut s1, "ALTER TABLE t DROP COLUMN bb");
    rows(&mut s1, "INSERT INTO t VALUES (1)");
    assert_eq!(code(&mut s1, "INSERT INTO t VALUES (-1)"), "23514");
    rows(&mut s1, "ALTER TABLE t DROP COLUMN a");
    assert_eq!(rows(&mut s1, "SELECT count(*) FROM t"), s(&[&["6"]]));
}

#[test]
fn alter_table_is_transactional() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE TABLE t (a int PRIMARY KEY, b text)");
    rows(&mut s1, "INSERT INTO t VALUES (1, 'x')");
    rows(&mut s1, "BEGIN");
    rows(&mut s1, "ALTER TABLE t ADD COLUMN c int DEFAULT 3, DROP COLUMN b");
    rows(&mut s1, "ALTER TABLE t RENAME TO u");
    rows(&mut s1, "CREATE INDEX u_c ON u (c)");
    assert_eq!(rows(&mut s1, "SELECT * FROM u"), s(&[&["1", "3"]]));
    rows(&mut s1, "ROLLBACK");
    assert_eq!(rows(&mut s1, "SELECT * FROM t"), s(&[&["1", "x"]]));
    assert_eq!(code(&mut s1, "SELECT * FROM u"), "42P01");
    rows(&mut s1, "CREATE INDEX u_c ON t (b)");
}

#[test]
fn add_primary_key_rekeys_many_rows() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE TABLE acc (aid int NOT NULL, bid int, abalance int)");
    rows(&mut s1, "INSERT INTO acc SELECT g, g % 10, 0 FROM generate_series(1, 20000) g");
    rows(&mut s1, "ALTER TABLE acc ADD PRIMARY KEY (aid)");
    assert_eq!(rows(&mut s1, "SELECT bid FROM acc WHERE aid = 12345"), s(&[&["5"]]));
    assert_eq!(rows(&mut s1, "SELECT count(*) FROM acc"), s(&[&["20000"]]));
    assert_eq!(code(&mut s1, "INSERT INTO acc VALUES (5, 0, 0)"), "23505");
}

#[test]
fn create_and_drop_index() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE TABLE t (a int PRIMARY KEY, b int, c text)");
    rows(&mut s1, "INSERT INTO t VALUES (1, 7, 'x'), (2, 7, 'y'), (3, 9, NULL)");
    rows(&mut s1, "CREATE INDEX t_b ON t (b)");
    assert_eq!(code(&mut s1, "CREATE INDEX t_b ON t (c)"), "42P07");
    assert_eq!(code(&mut s1, "CREATE INDEX t ON t (c)"), "42P07");
    rows(&mut s1, "CREATE INDEX IF NOT EXISTS t_b ON t (c)");
    assert_eq!(code(&mut s1, "CREATE INDEX t_x ON t (nope)"), "42703");
    assert_eq!(rows(&mut s1, "SELECT a FROM t WHERE b = 7 ORDER BY a"), s(&[&["1"], &["2"]]));
    assert_eq!(rows(&mut s1, "SELECT a FROM t WHERE b = 7.5"), s(&[] as &[&[&str]]));
    // Maintained by INSERT / UPDATE / DELETE.
    rows(&mut s1, "INSERT INTO t VALUES (4, 7, 'z')");
    rows(&mut s1, "UPDATE t SET b = 9 WHERE a = 1");
    rows(&mut s1, "DELETE FROM t WHERE a = 2");
    assert_eq!(rows(&mut s1, "SELECT a FROM t WHERE b = 7"), s(&[&["4"]]));
    assert_eq!(rows(&mut s1, "SELECT a FROM t WHERE b = 9 ORDER BY a"), s(&[&["1"], &["3"]]));
    rows(&mut s1, "UPDATE t SET a = 10 WHERE a = 4");
    assert_eq!(rows(&mut s1, "SELECT a FROM t WHERE b = 7"), s(&[&["10"]]));
    assert_eq!(rows(&mut s1, "UPDATE t SET c = 'w' WHERE b = 9"), s(&[&["UPDATE 2"]]));
    assert_eq!(rows(&mut s1, "DELETE FROM t WHERE b = 9"), s(&[&["DELETE 2"]]));
    assert_eq!(rows(&mut s1, "SELECT a FROM t WHERE b = 9"), s(&[] as &[&[&str]]));
    // Unique index: built with a check, then enforced; NULLs do not conflict.
    rows(&mut s1, "INSERT INTO t VALUES (11, 7, NULL), (12, 8, NULL)");
    let err = run(&mut s1, "CREATE UNIQUE INDEX t_b_u ON t (b)").expect_err("dup");
    assert_eq!(
        (err.code, err.message.as_str()),
        ("23505", "could not create unique index \"t_b_u\"")
    );
    rows(&mut s1, "CREATE UNIQUE INDEX t_c_u ON t (c)");
    assert_eq!(code(&mut s1, "INSERT INTO t VALUES (13, 1, 'z')"), "23505");
    rows(&mut s1, "INSERT INTO t VALUES (13, 1, 'q')");
    rows(&mut s1, "INSERT INTO t VALUES (14, 1, 'q') ON CONFLICT DO NOTHING");
    assert_eq!(rows(&mut s1, "SELECT a FROM t WHERE c = 'q'"), s(&[&["13"]]));
    // Multi-column: equality on the leading column uses it too.
    rows(&mut s1, "CREATE INDEX t_bc ON t (b, c)");
    assert_eq!(rows(&mut s1, "SELECT a FROM t WHERE b = 7 AND c = 'z'"), s(&[&["10"]]));
    assert_eq!(rows(&mut s1, "SELECT a FROM t WHERE b = 8"), s(&[&["12"]]));
    // Catalogs show them.
    assert_eq!(
        rows(
            &mut s1,
            "SELECT c.relname, i.indisunique, i.indisprimary FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indexrelid ORDER BY 1"
        ),
        s(&[&["t_b", "f", "f"], &["t_bc", "f", "f"], &["t_c_u", "t", "f"], &["t_pkey", "t", "t"],])
    );
    // DROP INDEX.
    assert_eq!(code(&mut s1, "DROP INDEX t_pkey"), "2BP01");
    rows(&mut s1, "DROP INDEX t_c_u");
    rows(&mut s1, "INSERT INTO t VALUES (15, 1, 'q')");
    assert_eq!(code(&mut s1, "DROP INDEX t_c_u"), "42704");
    rows(&mut s1, "DROP INDEX IF EXISTS t_c_u");
    rows(&mut s1, "DROP INDEX t_b, t_bc");
    assert_eq!(rows(&mut s1, "SELECT a FROM t WHERE b = 7 ORDER BY a"), s(&[&["10"], &["11"]]));
    // TRUNCATE and DROP TABLE clear the entries.
    rows(&mut s1, "DELETE FROM t WHERE a = 15");
    rows(&mut s1, "CREATE UNIQUE INDEX t_c_u ON t (c)");
    rows(&mut s1, "TRUNCATE t");
    rows(&mut s1, "INSERT INTO t VALUES (1, 1, 'q')");
    rows(&mut s1, "DROP TABLE t");
    rows(&mut s1, "CREATE TABLE t (a int, c text)");
    rows(&mut s1, "CREATE UNIQUE INDEX t_c_u ON t (c)");
    rows(&mut s1, "INSERT INTO t VALUES (1, 'q')");
}

#[test]
fn index_on_table_without_key_and_copy() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE TABLE h (x int, y text)");
    rows(&mut s1, "INSERT INTO h VALUES (1, 'a'), (1, 'b'), (2, 'c')");
    rows(&mut s1, "CREATE INDEX h_x ON h (x)");
    assert_eq!(rows(&mut s1, "SELECT y FROM h WHERE x = 1 ORDER BY y"), s(&[&["a"], &["b"]]));
    rows(&mut s1, "DELETE FROM h WHERE y = 'a'");
    assert_eq!(rows(&mut s1, "SELECT y FROM h WHERE x = 1"), s(&[&["b"]]));
    rows(&mut s1, "ALTER TABLE h ADD COLUMN z int DEFAULT 1");
    assert_eq!(rows(&mut s1, "SELECT y, z FROM h WHERE x = 1"), s(&[&["b", "1"]]));
}

#[test]
fn renamed_table_keeps_its_sequences() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE TABLE t (id serial PRIMARY KEY, v text)");
    rows(&mut s1, "INSERT INTO t (v) VALUES ('a')");
    rows(&mut s1, "ALTER TABLE t RENAME TO u");
    rows(&mut s1, "ALTER TABLE u RENAME COLUMN id TO ident");
    rows(&mut s1, "INSERT INTO u (v) VALUES ('b')");
    assert_eq!(rows(&mut s1, "SELECT ident, v FROM u ORDER BY 1"), s(&[&["1", "a"], &["2", "b"]]));
    rows(&mut s1, "DROP TABLE u");
    // The owned sequence went with the table, so the name is free again.
    rows(&mut s1, "CREATE TABLE t (id serial PRIMARY KEY)");
    rows(&mut s1, "INSERT INTO t DEFAULT VALUES");
    assert_eq!(rows(&mut s1, "SELECT id FROM t"), s(&[&["1"]]));
}

#[test]
fn in_lists_read_through_keys_and_indexes() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE TABLE t (a int PRIMARY KEY, b int, c text)");
    rows(&mut s1, "INSERT INTO t SELECT g, g % 5, 'v' || g FROM generate_series(1, 50) g");
    rows(&mut s1, "CREATE INDEX t_b ON t (b)");
    assert_eq!(
        rows(&mut s1, "SELECT a FROM t WHERE a IN (3, 1, 3, 99, NULL, 2.5) ORDER BY a"),
        s(&[&["1"], &["3"]])
    );
    assert_eq!(
        rows(&mut s1, "SELECT count(*) FROM t WHERE b IN (1, 2, 1) AND a < 20"),
        s(&[&["8"]])
    );
    assert_eq!(rows(&mut s1, "SELECT count(*) FROM t WHERE a NOT IN (1, 2)"), s(&[&["48"]]));
    assert_eq!(rows(&mut s1, "UPDATE t SET c = 'x' WHERE a IN (4, 5)"), s(&[&["UPDATE 2"]]));
    assert_eq!(rows(&mut s1, "DELETE FROM t WHERE b IN (0)"), s(&[&["DELETE 10"]]));
    assert_eq!(rows(&mut s1, "SELECT a FROM t WHERE c = 'x'"), s(&[&["4"]]));
}

#[test]
fn ranges_read_through_keys_and_indexes() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE TABLE t (a int PRIMARY KEY, b int, c varchar(3))");
    rows(&mut s1, "INSERT INTO t SELECT g, g % 7, g::text FROM generate_series(1, 30) g");
    rows(&mut s1, "INSERT INTO t VALUES (31, NULL, NULL)");
    rows(&mut s1, "CREATE INDEX t_b ON t (b)");
    rows(&mut s1, "CREATE INDEX t_c ON t (c)");
    let count = |s1: &mut Session, sql: &str| rows(s1, sql)[0][0].clone();
    assert_eq!(count(&mut s1, "SELECT count(*) FROM t WHERE a > 25"), "6");
    assert_eq!(count(&mut s1, "SELECT count(*) FROM t WHERE a >= 25 AND a < 28"), "3");
    assert_eq!(count(&mut s1, "SELECT count(*) FROM t WHERE a BETWEEN 2 AND 4"), "3");
    assert_eq!(count(&mut s1, "SELECT count(*) FROM t WHERE 5 > a"), "4");
    assert_eq!(count(&mut s1, "SELECT count(*) FROM t WHERE a > 2.5 AND a <= 4.5"), "2");
    assert_eq!(count(&mut s1, "SELECT count(*) FROM t WHERE a > 99999999999"), "0");
    assert_eq!(count(&mut s1, "SELECT count(*) FROM t WHERE a < NULL"), "0");
    assert_eq!(count(&mut s1, "SELECT count(*) FROM t WHERE b > 4"), "8");
    assert_eq!(count(&mut s1, "SELECT count(*) FROM t WHERE b <= 1"), "9");
    assert_eq!(count(&mut s1, "SELECT count(*) FROM t WHERE c >= '25'"), "13");
    assert_eq!(count(&mut s1, "SELECT count(*) FROM t WHERE c < '1000000'"), "2");
    assert_eq!(rows(&mut s1, "DELETE FROM t WHERE b > 5"), s(&[&["DELETE 4"]]));
    assert_eq!(count(&mut s1, "SELECT count(*) FROM t WHERE b >= 5"), "4");
}

#[test]
fn add_column_with_constraints() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE TABLE t (a int)");
    rows(&mut s1, "INSERT INTO t VALUES (1), (2)");
    assert_eq!(code(&mut s1, "ALTER TABLE t ADD COLUMN x int DEFAULT 0 CHECK (x > 0)"), "23514");
    assert_eq!(code(&mut s1, "ALTER TABLE t ADD COLUMN x int DEFAULT 1 UNIQUE"), "23505");
    assert_eq!(code(&mut s1, "ALTER TABLE t ADD COLUMN x int PRIMARY KEY"), "23502");
    rows(
        &mut s1,
        "ALTER TABLE t ADD COLUMN x int DEFAULT 1 CHECK (x > 0), ADD COLUMN y int UNIQUE",
    );
    assert_eq!(code(&mut s1, "INSERT INTO t VALUES (3, 0)"), "23514");
    rows(&mut s1, "INSERT INTO t VALUES (3, 1, 5)");
    assert_eq!(code(&mut s1, "INSERT INTO t VALUES (4, 1, 5)"), "23505");
    assert_eq!(
        rows(&mut s1, "SELECT conname FROM pg_constraint ORDER BY 1"),
        s(&[&["t_x_check"], &["t_y_key"]])
    );
    assert_eq!(rows(&mut s1, "SELECT a FROM t WHERE y = 5"), s(&[&["3"]]));
    rows(&mut s1, "CREATE TABLE c2 (a int, balance int)");
    rows(&mut s1, "ALTER TABLE c2 ADD CHECK (balance > a), ADD CHECK (balance > 0)");
    assert_eq!(
        rows(&mut s1, "SELECT conname FROM pg_constraint WHERE conname LIKE 'c2%' ORDER BY 1"),
        s(&[&["c2_balance_check"], &["c2_check"]])
    );
}

#[test]
fn create_table_forms_not_supported_are_refused() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE TABLE p (a int)");
    // Each would otherwise be created as a plain table with another meaning.
    assert_eq!(code(&mut s1, "CREATE TABLE pa (a int) PARTITION BY RANGE (a)"), "0A000");
    assert_eq!(
        code(&mut s1, "CREATE TABLE pa1 PARTITION OF p FOR VALUES FROM (1) TO (10)"),
        "0A000"
    );
    assert_eq!(code(&mut s1, "CREATE TABLE pb (b int) INHERITS (p)"), "0A000");
    assert_eq!(code(&mut s1, "CREATE TABLE pc (LIKE p)"), "0A000");
    assert_eq!(code(&mut s1, "CREATE TABLE pd (a int) ON COMMIT DROP"), "42P16");
    assert_eq!(code(&mut s1, "CREATE TEMP TABLE pe (a int) ON COMMIT DELETE ROWS"), "0A000");
    assert_eq!(
        rows(&mut s1, "SELECT count(*) FROM pg_class WHERE relname LIKE 'p_'"),
        s(&[&["0"]])
    );
    // Storage options and PRESERVE ROWS (the default) change nothing observable: accepted.
    rows(&mut s1, "CREATE TABLE pf (a int) WITH (fillfactor=90)");
    rows(&mut s1, "CREATE UNLOGGED TABLE pg (a int)");
    rows(&mut s1, "CREATE TEMP TABLE ph (a int) ON COMMIT PRESERVE ROWS");
    assert_eq!(
        rows(&mut s1, "SELECT relname FROM pg_class WHERE relname LIKE 'p_' ORDER BY 1"),
        s(&[&["pf"], &["pg"], &["ph"]])
    );
}

/// The statements `pgbench -i -I dtGvpf` and its TPC-B-like script send (PostgreSQL 15's
/// pgbench, texts as it builds them), with 1000 accounts instead of 100000.
#[test]
fn pgbench_statements() {
    let db = open();
    let mut s1 = session(&db);
    for sql in [
        "drop table if exists pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers",
        "create table pgbench_history(tid int,bid int,aid    int,delta int,mtime timestamp,filler char(22))",
        "create table pgbench_tellers(tid int not null,bid int,tbalance int,filler char(84)) with (fillfactor=100)",
        "create table pgbench_accounts(aid    int not null,bid int,abalance int,filler char(84)) with (fillfactor=100)",
        "create table pgbench_branches(bid int not null,bbalance int,filler char(88)) with (fillfactor=100)",
        "begin",
        "truncate table pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers",
        "insert into pgbench_branches(bid,bbalance) select bid, 0 from generate_series(1, 1) as bid",
        "insert into pgbench_tellers(tid,bid,tbalance) select tid, (tid - 1) / 10 + 1, 0 from generate_series(1, 10) as tid",
        "insert into pgbench_accounts(aid,bid,abalance,filler) select aid, (aid - 1) / 100000 + 1, 0, '' from generate_series(1, 1000) as aid",
        "commit",
        "vacuum analyze pgbench_branches",
        "vacuum analyze pgbench_tellers",
        "vacuum analyze pgbench_accounts",
        "vacuum analyze pgbench_history",
        "alter table pgbench_branches add primary key (bid)",
        "alter table pgbench_tellers add primary key (tid)",
        "alter table pgbench_accounts add primary key (aid)",
        "alter table pgbench_tellers add constraint pgbench_tellers_bid_fkey foreign key (bid) references pgbench_branches",
        "alter table pgbench_accounts add constraint pgbench_accounts_bid_fkey foreign key (bid) references pgbench_branches",
        "alter table pgbench_history add constraint pgbench_history_bid_fkey foreign key (bid) references pgbench_branches",
        "alter table pgbench_history add constraint pgbench_history_tid_fkey foreign key (tid) references pgbench_tellers",
        "alter table pgbench_history add constraint pgbench_history_aid_fkey foreign key (aid) references pgbench_accounts",
        // What a run asks first: the scale.
        "select count(*) from pgbench_branches",
    ] {
        rows(&mut s1, sql);
    }
    assert_eq!(
        rows(
            &mut s1,
            "SELECT count(*), sum(aid), max(bid), sum(abalance), max(length(filler)) FROM pgbench_accounts"
        ),
        s(&[&["1000", "500500", "1", "0", "0"]])
    );
    assert_eq!(
        rows(&mut s1, "SELECT octet_length(filler) FROM pgbench_accounts WHERE aid = 1"),
        s(&[&["84"]])
    );
    // Three TPC-B transactions, the last with a negative delta, as pgbench sends them.
    for (aid, tid, delta) in [(17, 3, 250), (17, 9, -4000), (999, 10, 5000)] {
        let script = format!(
            "BEGIN;\
             UPDATE pgbench_accounts SET abalance = abalance + {delta} WHERE aid = {aid};\
             SELECT abalance FROM pgbench_accounts WHERE aid = {aid};\
             UPDATE pgbench_tellers SET tbalance = tbalance + {delta} WHERE tid = {tid};\
             UPDATE pgbench_branches SET bbalance = bbalance + {delta} WHERE bid = 1;\
             INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ({tid}, 1, {aid}, {delta}, CURRENT_TIMESTAMP);\
             END;"
        );
        rows(&mut s1, &script);
    }
    assert_eq!(
        rows(
            &mut s1,
            "SELECT (SELECT sum(abalance) FROM pgbench_accounts), \
                    (SELECT sum(tbalance) FROM pgbench_tellers), \
                    (SELECT sum(bbalance) FROM pgbench_branches), \
                    (SELECT sum(delta) FROM pgbench_history), \
                    (SELECT count(*) FROM pgbench_history)"
        ),
        s(&[&["1250", "1250", "1250", "1250", "3"]])
    );
    assert_eq!(
        rows(&mut s1, "SELECT abalance FROM pgbench_accounts WHERE aid IN (17, 999) ORDER BY aid"),
        s(&[&["-3750"], &["5000"]])
    );
    assert_eq!(
        code(&mut s1, "insert into pgbench_history (tid, bid, aid, delta) values (1, 1, 1001, 0)"),
        "23503"
    );
}
