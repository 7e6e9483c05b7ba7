//! Row locks over the wire (tokio-postgres against the real `quorumdb` binary): concurrent
//! UPDATEs of one row by primary key wait for each other instead of failing with 40001, a
//! cycle of waits fails one transaction with 40P01, statement_timeout ends a lock wait with
//! 57014, and a failed transaction lets go of its locks at once.
//!
//! With `QDB_TEST_ADDR=HOST:PORT` the tests run against an existing server instead (database
//! and user `quorumdb`); they pass against PostgreSQL 15 too (which runs READ COMMITTED by
//! default, where QuorumDB runs SERIALIZABLE and refreshes its snapshot past the commit it
//! waited for).

mod common;

use std::time::{Duration, Instant};
use tokio_postgres::Client;

fn code(err: &tokio_postgres::Error) -> String {
    err.code().map(|c| c.code().to_string()).unwrap_or_else(|| format!("{err:?}"))
}

async fn setup(client: &Client, table: &str, rows: i32) {
    client
        .batch_execute(&format!(
            "DROP TABLE IF EXISTS {table}; \
             CREATE TABLE {table} (id int PRIMARY KEY, n bigint NOT NULL); \
             INSERT INTO {table} SELECT g, 0 FROM generate_series(1, {rows}) g;"
        ))
        .await
        .expect("setup");
}

async fn value(client: &Client, table: &str, id: i32) -> i64 {
    client
        .query_one(&format!("SELECT n FROM {table} WHERE id = $1"), &[&id])
        .await
        .expect("read")
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_updates_of_one_row_wait_instead_of_failing() {
    let target = common::Target::new();
    let setup_client = target.client().await;
    setup(&setup_client, "rl_counter", 10).await;
    const CLIENTS: i64 = 8;
    const TRANSACTIONS: i64 = 40;
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let client = target.client().await;
        tasks.push(tokio::spawn(async move {
            for t in 0..TRANSACTIONS {
                // pgbench's shape: a private row, then the shared one, in one transaction.
                let own = 2 + ((c * TRANSACTIONS + t) % 9) as i32;
                client
                    .batch_execute(&format!(
                        "BEGIN; \
                         UPDATE rl_counter SET n = n + 1 WHERE id = {own}; \
                         UPDATE rl_counter SET n = n + 1 WHERE id = 1; \
                         COMMIT;"
                    ))
                    .await
                    .map_err(|err| format!("client {c} transaction {t}: {}", code(&err)))?;
            }
            Ok::<(), String>(())
        }));
    }
    for task in tasks {
        task.await.expect("task").expect("every transaction commits");
    }
    assert_eq!(value(&setup_client, "rl_counter", 1).await, CLIENTS * TRANSACTIONS);
    let total: i64 = setup_client
        .query_one("SELECT sum(n)::bigint FROM rl_counter", &[])
        .await
        .expect("sum")
        .get(0);
    assert_eq!(total, 2 * CLIENTS * TRANSACTIONS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_update_sees_the_committed_row() {
    let target = common::Target::new();
    let first = target.client().await;
    let second = target.client().await;
    setup(&first, "rl_wait", 2).await;
    first.batch_execute("BEGIN; UPDATE rl_wait SET n = 10 WHERE id = 1").await.expect("first");
    let waiter = tokio::spawn(async move {
        let started = Instant::now();
        let rows = second
            .query("UPDATE rl_wait SET n = n + 5 WHERE id = 1 RETURNING n", &[])
            .await
            .map_err(|err| code(&err))?;
        Ok::<_, String>((rows.first().map(|r| r.get::<_, i64>(0)), started.elapsed(), second))
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiter.is_finished(), "the second UPDATE must wait for the first transaction");
    first.batch_execute("COMMIT").await.expect("commit");
    let (returned, waited, _second) = waiter.await.expect("task").expect("the waiter commits");
    assert_eq!(returned, Some(15), "the waiter read the committed 10");
    assert!(waited >= Duration::from_millis(250), "waited {waited:?}");
    assert_eq!(value(&first, "rl_wait", 1).await, 15);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cycle_of_waits_fails_one_transaction_with_deadlock_detected() {
    let target = common::Target::new();
    let first = target.client().await;
    let second = target.client().await;
    setup(&first, "rl_deadlock", 2).await;
    first.batch_execute("BEGIN; UPDATE rl_deadlock SET n = 1 WHERE id = 1").await.expect("a");
    second.batch_execute("BEGIN; UPDATE rl_deadlock SET n = 2 WHERE id = 2").await.expect("b");
    let crossing = tokio::spawn(async move {
        let result = first.batch_execute("UPDATE rl_deadlock SET n = 1 WHERE id = 2").await;
        let finished = first.batch_execute("COMMIT").await;
        (result.map_err(|err| code(&err)), finished.map_err(|err| code(&err)))
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let closing = second.batch_execute("UPDATE rl_deadlock SET n = 2 WHERE id = 1").await;
    let closing = closing.map_err(|err| code(&err));
    second.batch_execute("COMMIT").await.expect("COMMIT ends the block either way");
    let (crossed, _) = crossing.await.expect("task");
    // Exactly one of the two fails with 40P01 (PostgreSQL picks the one whose
    // deadlock_timeout fires first; QuorumDB the one that would close the cycle).
    match (&crossed, &closing) {
        (Ok(()), Err(code)) | (Err(code), Ok(())) => assert_eq!(code, "40P01"),
        other => panic!("expected exactly one deadlock victim, got {other:?}"),
    }
    let checker = target.client().await;
    let rows = checker
        .query("SELECT n FROM rl_deadlock ORDER BY id", &[])
        .await
        .expect("read")
        .iter()
        .map(|r| r.get::<_, i64>(0))
        .collect::<Vec<_>>();
    let expected = if crossed.is_ok() { vec![1, 1] } else { vec![2, 2] };
    assert_eq!(rows, expected, "the survivor's changes, and only those, committed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_timeout_ends_a_lock_wait() {
    let target = common::Target::new();
    let holder = target.client().await;
    let waiter = target.client().await;
    setup(&holder, "rl_timeout", 1).await;
    holder.batch_execute("BEGIN; UPDATE rl_timeout SET n = 7 WHERE id = 1").await.expect("lock");
    waiter.batch_execute("SET statement_timeout = 300").await.expect("set");
    let started = Instant::now();
    let err = waiter
        .batch_execute("UPDATE rl_timeout SET n = 8 WHERE id = 1")
        .await
        .expect_err("the wait must time out");
    assert_eq!(code(&err), "57014");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    holder.batch_execute("COMMIT").await.expect("the holder is unaffected");
    waiter.batch_execute("RESET statement_timeout").await.expect("reset");
    waiter.batch_execute("UPDATE rl_timeout SET n = n + 1 WHERE id = 1").await.expect("retry");
    assert_eq!(value(&waiter, "rl_timeout", 1).await, 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_transaction_releases_its_locks_before_rollback() {
    let target = common::Target::new();
    let failed = target.client().await;
    let other = target.client().await;
    setup(&failed, "rl_failed", 1).await;
    failed.batch_execute("BEGIN; UPDATE rl_failed SET n = 1 WHERE id = 1").await.expect("lock");
    let err = failed.batch_execute("SELECT 1 / 0").await.expect_err("division by zero");
    assert_eq!(code(&err), "22012");
    // The block is aborted but not yet rolled back: its lock must not block others.
    let update = other.batch_execute("UPDATE rl_failed SET n = 2 WHERE id = 1");
    tokio::time::timeout(Duration::from_secs(5), update)
        .await
        .expect("the UPDATE must not wait for the aborted transaction")
        .expect("update");
    failed.batch_execute("ROLLBACK").await.expect("rollback");
    assert_eq!(value(&other, "rl_failed", 1).await, 2);
}
