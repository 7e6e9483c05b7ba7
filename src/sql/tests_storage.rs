//! Table storage: TRUNCATE and row rewrites move a table to fresh storage and the old one is
//! deleted in the background; bulk loads into storage created in the same transaction are
//! flushed early yet stay atomic; storage nobody references is cleaned up at startup.

use super::test_support::*;
use super::*;
use crate::sql::types::Value;
use bytes::Bytes;
use std::ops::Bound;
use std::time::{Duration, Instant};

/// Row and index-entry keys stored for all tables, as a new transaction sees them.
fn stored_keys(db: &Db) -> usize {
    let mut txn = db.db.store().begin(crate::txn::IsolationLevel::Serializable);
    let (start, end) = catalog::storage_key_space();
    txn.scan(Bound::Included(Bytes::from(start)), Bound::Excluded(Bytes::from(end)))
        .expect("scan")
        .count()
}

fn wait_for_reclaim(db: &Db) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while db.db.store().reclaim_pending() {
        assert!(Instant::now() < deadline, "reclaiming dropped storage did not finish");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn truncate_moves_to_fresh_storage_and_the_old_rows_are_deleted() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE TABLE t (id int PRIMARY KEY, code text UNIQUE)");
    rows(&mut s1, "INSERT INTO t SELECT g, 'c' || g FROM generate_series(1, 300) g");
    assert_eq!(stored_keys(&db), 600, "300 rows and 300 unique entries");
    rows(&mut s1, "TRUNCATE t");
    rows(&mut s1, "INSERT INTO t VALUES (1, 'c1'), (2, 'c2')");
    assert_eq!(code(&mut s1, "INSERT INTO t VALUES (3, 'c1')"), "23505", "index is fresh too");
    assert_eq!(
        rows(&mut s1, "SELECT id, code FROM t ORDER BY id"),
        s(&[&["1", "c1"], &["2", "c2"]])
    );
    wait_for_reclaim(&db);
    assert_eq!(stored_keys(&db), 4, "only the new rows and entries are left");
}

#[test]
fn truncate_rolled_back_keeps_every_row() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE TABLE t (id int PRIMARY KEY)");
    rows(&mut s1, "INSERT INTO t SELECT g FROM generate_series(1, 50) g");
    rows(&mut s1, "BEGIN; TRUNCATE t; INSERT INTO t VALUES (7)");
    assert_eq!(rows(&mut s1, "SELECT count(*) FROM t"), s(&[&["1"]]));
    rows(&mut s1, "ROLLBACK");
    wait_for_reclaim(&db);
    assert_eq!(rows(&mut s1, "SELECT count(*), sum(id) FROM t"), s(&[&["50", "1275"]]));
}

#[test]
fn a_bulk_load_is_flushed_early_and_still_atomic() {
    let db = open();
    db.db.store().set_private_flush_bytes(4 << 10);
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE TABLE kept (id int PRIMARY KEY)");
    rows(&mut s1, "INSERT INTO kept VALUES (1)");
    // Rolled back: the table never existed and its flushed rows are deleted.
    rows(&mut s1, "BEGIN; CREATE TABLE bulk (id int PRIMARY KEY, v text)");
    rows(&mut s1, "INSERT INTO bulk SELECT g, repeat('x', 50) FROM generate_series(1, 3000) g");
    assert_eq!(
        code(&mut s1, "INSERT INTO bulk VALUES (2999, 'dup')"),
        "23505",
        "sees flushed rows"
    );
    rows(&mut s1, "ROLLBACK");
    assert_eq!(code(&mut s1, "SELECT * FROM bulk"), "42P01");
    wait_for_reclaim(&db);
    assert_eq!(stored_keys(&db), 1);
    // Committed: every row is there, including those flushed long before the commit.
    rows(&mut s1, "BEGIN; TRUNCATE kept");
    rows(&mut s1, "INSERT INTO kept SELECT g FROM generate_series(1, 3000) g");
    rows(&mut s1, "COMMIT");
    assert_eq!(rows(&mut s1, "SELECT count(*), sum(id) FROM kept"), s(&[&["3000", "4501500"]]));
    wait_for_reclaim(&db);
    assert_eq!(stored_keys(&db), 3000);
}

#[test]
fn a_row_rewrite_streams_into_fresh_storage() {
    let db = open();
    db.db.store().set_private_flush_bytes(4 << 10);
    let mut s1 = session(&db);
    rows(&mut s1, "CREATE TABLE t (id int NOT NULL, v text)");
    rows(&mut s1, "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 2000) g");
    rows(&mut s1, "ALTER TABLE t ADD PRIMARY KEY (id)");
    assert_eq!(rows(&mut s1, "SELECT v FROM t WHERE id = 1234"), s(&[&["v1234"]]));
    assert_eq!(code(&mut s1, "INSERT INTO t VALUES (1, 'again')"), "23505");
    wait_for_reclaim(&db);
    assert_eq!(stored_keys(&db), 2000, "the rows under their new keys, nothing of the old");
}

#[test]
fn writes_racing_a_truncate_fail_instead_of_vanishing() {
    let db = open();
    let mut s1 = session(&db);
    let mut s2 = session(&db);
    rows(&mut s1, "CREATE TABLE t (id int PRIMARY KEY)");
    rows(&mut s1, "BEGIN ISOLATION LEVEL REPEATABLE READ; INSERT INTO t VALUES (1)");
    rows(&mut s2, "TRUNCATE t");
    assert_eq!(code(&mut s1, "COMMIT"), "40001");
    rows(&mut s1, "BEGIN ISOLATION LEVEL REPEATABLE READ; INSERT INTO t VALUES (2)");
    rows(&mut s2, "BEGIN; TRUNCATE t");
    rows(&mut s1, "COMMIT");
    assert_eq!(code(&mut s2, "COMMIT"), "40001", "the TRUNCATE would discard a committed row");
    assert_eq!(rows(&mut s1, "SELECT id FROM t"), s(&[&["2"]]));
}

#[test]
fn storage_no_table_references_is_deleted_at_startup() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = || DatabaseOptions { memory_limit_bytes: 8 << 20, wal_sync_off: true };
    {
        let db = Database::open(dir.path(), options()).expect("open");
        let mut s1 = Session::new(db.clone(), "quorumdb", &[]).expect("session");
        run(&mut s1, "CREATE TABLE t (id int PRIMARY KEY)").expect("create");
        run(&mut s1, "INSERT INTO t VALUES (1), (2)").expect("insert");
        // What a crash in the middle of a bulk load leaves: rows under storage no table
        // points to (here written directly).
        let mut txn = db.store().begin(crate::txn::IsolationLevel::Serializable);
        for i in 0..100u32 {
            let mut key = catalog::row_prefix(999_999);
            key.extend_from_slice(&i.to_be_bytes());
            txn.put(key, b"orphan".to_vec());
        }
        txn.commit().expect("orphans");
        db.close();
    }
    let db = Database::open(dir.path(), options()).expect("reopen");
    let dir_db = Db { _dir: dir, db };
    wait_for_reclaim(&dir_db);
    assert_eq!(stored_keys(&dir_db), 2, "only t's rows are left");
    let mut s1 = session(&dir_db);
    assert_eq!(rows(&mut s1, "SELECT id FROM t ORDER BY id"), s(&[&["1"], &["2"]]));
}

#[test]
fn pg_stat_wal_counts_commits_and_syncs() {
    let db = open();
    let mut s1 = session(&db);
    let counters = |s1: &mut Session| -> (i64, i64, i64) {
        let row = rows(s1, "SELECT wal_records, wal_write, wal_bytes::bigint FROM pg_stat_wal");
        let field = |i: usize| row[0][i].parse::<i64>().expect("a number");
        (field(0), field(1), field(2))
    };
    rows(&mut s1, "CREATE TABLE t (id int PRIMARY KEY)");
    let (records, writes, bytes) = counters(&mut s1);
    for i in 0..5 {
        rows(&mut s1, &format!("INSERT INTO t VALUES ({i})"));
    }
    let (records_after, writes_after, bytes_after) = counters(&mut s1);
    assert_eq!(records_after - records, 5, "one WAL record per commit");
    assert!(writes_after > writes && writes_after - writes <= 5);
    assert!(bytes_after > bytes);
    assert_eq!(
        rows(&mut s1, "SELECT wal_fpi, wal_sync >= 0, stats_reset IS NULL FROM pg_stat_wal"),
        s(&[&["0", "t", "t"]])
    );
}

#[test]
fn prepared_statements_follow_a_table_to_its_fresh_storage() {
    let db = open();
    let mut s1 = session(&db);
    let mut s2 = session(&db);
    rows(&mut s1, "CREATE TABLE t (id int NOT NULL)");
    let statement = s1.parse("INSERT INTO t VALUES ($1)").expect("parse").remove(0);
    let insert = s1.prepare("INSERT INTO t VALUES ($1)", statement, &[]).expect("prepare");
    let statement = s1.parse("SELECT count(*) FROM t").expect("parse").remove(0);
    let count = s1.prepare("SELECT count(*) FROM t", statement, &[]).expect("prepare");
    let counted = |s1: &mut Session| match s1.execute(&count, Vec::new()).expect("count") {
        Outcome::Rows { rows, .. } => {
            rows.map(|r| r.expect("row")[0].to_text()).collect::<Vec<_>>().join(",")
        }
        _ => panic!("no rows"),
    };
    s1.execute(&insert, vec![Value::Int4(1)]).expect("insert");
    assert_eq!(counted(&mut s1), "1");
    // Truncated in this transaction: the cached plans must not use the old storage.
    rows(&mut s1, "BEGIN; TRUNCATE t");
    s1.execute(&insert, vec![Value::Int4(2)]).expect("insert after truncate");
    assert_eq!(counted(&mut s1), "1");
    rows(&mut s1, "COMMIT");
    wait_for_reclaim(&db);
    assert_eq!(rows(&mut s1, "SELECT id FROM t"), s(&[&["2"]]));
    // Rewritten by another session.
    rows(&mut s2, "ALTER TABLE t ADD PRIMARY KEY (id)");
    s1.execute(&insert, vec![Value::Int4(3)]).expect("insert after rewrite");
    assert_eq!(counted(&mut s1), "2");
    // Truncated by another session.
    rows(&mut s2, "TRUNCATE t");
    s1.execute(&insert, vec![Value::Int4(4)]).expect("insert after truncate elsewhere");
    assert_eq!(counted(&mut s1), "1");
    wait_for_reclaim(&db);
    assert_eq!(rows(&mut s1, "SELECT id FROM t"), s(&[&["4"]]));
    assert_eq!(stored_keys(&db), 1);
}
