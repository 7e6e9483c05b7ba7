//! Durability of bulk loads: a transaction that loads a table created or truncated in it
//! writes its rows to disk early (private storage, flushed every few kilobytes here), yet
//! after a SIGKILL the load is all or nothing: a killed, uncommitted load leaves the table as
//! it was (its flushed rows are garbage, deleted at startup), an acknowledged one is
//! complete. The server runs durable (`--wal-sync fsync`).
//!
//! Needs to own the server process, so it does nothing when `QDB_TEST_ADDR` is set.

mod common;

use futures_util::SinkExt;
use tokio_postgres::Client;

const ROWS: i64 = 20_000;
const FLUSH_EVERY: (&str, &str) = ("QUORUMDB_TEST_PRIVATE_FLUSH_BYTES", "16384");

/// `count(*)` and `sum(id)` of `table`.
async fn count_and_sum(client: &Client, table: &str) -> (i64, i64) {
    let row = client
        .query_one(&format!("SELECT count(*), coalesce(sum(id), 0)::bigint FROM {table}"), &[])
        .await
        .expect("count");
    (row.get(0), row.get(1))
}

/// COPYs ids 1..=ROWS (with a 40-byte payload) into `table`.
async fn copy_rows(client: &Client, table: &str) {
    let sink = client
        .copy_in::<_, bytes::Bytes>(&format!("COPY {table} (id, v) FROM STDIN"))
        .await
        .expect("copy in");
    let mut sink = Box::pin(sink);
    let mut chunk = String::new();
    for id in 1..=ROWS {
        chunk.push_str(&format!("{id}\tpayload-{id:032}\n"));
        if chunk.len() > 64 << 10 {
            sink.send(bytes::Bytes::from(std::mem::take(&mut chunk))).await.expect("send");
        }
    }
    sink.send(bytes::Bytes::from(chunk)).await.expect("send");
    let copied = sink.as_mut().finish().await.expect("finish copy");
    assert_eq!(copied, ROWS as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_loads_are_all_or_nothing_across_sigkill() {
    if std::env::var("QDB_TEST_ADDR").is_ok() {
        return;
    }
    let full = (ROWS, ROWS * (ROWS + 1) / 2);
    let server =
        common::Server::start_durable_in(tempfile::tempdir().expect("dir"), &[FLUSH_EVERY]);
    let client = server.client().await;
    client
        .batch_execute(
            "CREATE TABLE base (id int PRIMARY KEY, v text); \
             INSERT INTO base SELECT g, 'old' FROM generate_series(1, 100) g;",
        )
        .await
        .expect("setup");

    // 1. Killed in the middle of loads that were never committed.
    client.batch_execute("BEGIN; TRUNCATE base").await.expect("truncate");
    copy_rows(&client, "base").await;
    let other = server.client().await;
    other
        .batch_execute("BEGIN; CREATE TABLE fresh (id int PRIMARY KEY, v text)")
        .await
        .expect("create");
    copy_rows(&other, "fresh").await;
    let dir = server.kill();
    let server = common::Server::start_durable_in(dir, &[FLUSH_EVERY]);
    assert!(
        server.log_text().contains("deleting storage no table references"),
        "the killed loads had flushed rows, found and deleted at startup: {}",
        server.log_text()
    );
    let client = server.client().await;
    assert_eq!(count_and_sum(&client, "base").await, (100, 5050), "the truncate never happened");
    let missing = client.query("SELECT * FROM fresh", &[]).await.expect_err("no such table");
    assert_eq!(missing.code().map(|c| c.code()), Some("42P01"));

    // 2. Acknowledged loads survive a kill right after the COMMIT.
    client.batch_execute("BEGIN; TRUNCATE base").await.expect("truncate");
    copy_rows(&client, "base").await;
    client.batch_execute("COMMIT").await.expect("commit");
    client
        .batch_execute("BEGIN; CREATE TABLE fresh (id int PRIMARY KEY, v text)")
        .await
        .expect("create");
    copy_rows(&client, "fresh").await;
    client.batch_execute("COMMIT").await.expect("commit");
    let dir = server.kill();
    let server = common::Server::start_durable_in(dir, &[FLUSH_EVERY]);
    let client = server.client().await;
    assert_eq!(count_and_sum(&client, "base").await, full);
    assert_eq!(count_and_sum(&client, "fresh").await, full);
    let row =
        client.query_one("SELECT v FROM base WHERE id = 12345", &[]).await.expect("point read");
    assert_eq!(row.get::<_, String>(0), format!("payload-{:032}", 12345));
}
