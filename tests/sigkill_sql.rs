//! Durability through the wire: several clients insert concurrently (autocommit single- and
//! multi-row INSERTs over the simple and the extended protocol, explicit BEGIN ... COMMIT
//! transactions, some rolled back) while the server — durable, `--wal-sync fsync` — is
//! SIGKILLed at random moments, then restarted on the same data directory, several times.
//!
//! Every row carries its transaction's id. After each restart:
//! * every transaction whose COMMIT (or autocommit statement) was acknowledged is present,
//!   with all its rows;
//! * no row of a rolled-back transaction, or of one whose COMMIT was never sent, is present;
//! * a transaction whose COMMIT was sent but not answered (the kill came first) is either
//!   entirely present or entirely absent — never partial — and stays that way afterwards.
//!
//! Needs to own the server process, so it does nothing when `QDB_TEST_ADDR` is set.

use rand::Rng;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_postgres::Client;
use tokio_postgres::types::ToSql;

/// Kill/restart cycles.
const CYCLES: u64 = 6;
/// Concurrent clients per cycle (each runs one workload kind, by index).
const CLIENTS: u64 = 6;
/// Acknowledged commits to wait for in a cycle before the kill can come.
const MIN_ACKS_PER_CYCLE: u64 = 10;
/// Upper bound on waiting for the server, a client, or the acknowledgements.
const TIMEOUT: Duration = Duration::from_secs(60);

/// A durable `quorumdb start` on a given data directory; SIGKILLed on drop.
struct Server {
    child: Child,
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts the server (fsync on, the default) and waits for `ready to accept connections`.
    fn start(data_dir: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_quorumdb"))
            .arg("start")
            .args(["--listen", "127.0.0.1:0", "--wal-sync", "fsync", "--data-dir"])
            .arg(data_dir)
            .env("RUST_LOG", "info")
            .env_remove("QUORUMDB_PASSWORD")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start quorumdb");
        let stderr = child.stderr.take().expect("stderr is piped");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let lines = log.clone();
        std::thread::spawn(move || {
            let mut port = None;
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(at) = line.find("listening on ") {
                    port = line[at + "listening on ".len()..]
                        .trim()
                        .rsplit(':')
                        .next()
                        .and_then(|p| p.parse::<u16>().ok());
                }
                if line.contains("ready to accept connections")
                    && let Some(port) = port
                {
                    let _ = tx.send(port);
                }
                lines.lock().expect("log lock").push(line);
            }
        });
        match rx.recv_timeout(TIMEOUT) {
            Ok(port) => Server { child, port, log },
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("server did not become ready; stderr:\n{}", log.lock().unwrap().join("\n"));
            }
        }
    }

    async fn client(&self) -> Result<Client, tokio_postgres::Error> {
        let conn = format!("host=127.0.0.1 port={} user=quorumdb dbname=quorumdb", self.port);
        let (client, connection) = tokio_postgres::connect(&conn, tokio_postgres::NoTls).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(client)
    }

    /// SIGKILL, and reap.
    fn kill(&mut self) {
        self.child.kill().expect("SIGKILL the server");
        self.child.wait().expect("reap the server");
    }

    fn log_tail(&self) -> String {
        let log = self.log.lock().expect("log lock");
        log[log.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a client knows about one of its transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// COMMIT (or the autocommit statement) was acknowledged: must be present.
    Acked,
    /// Rolled back, failed, or never committed: must be absent.
    Absent,
    /// COMMIT sent, no answer: all or nothing.
    Unknown,
}

/// Transaction id → (fate, number of rows it inserts).
type Ledger = Arc<Mutex<HashMap<i64, (Fate, i32)>>>;

/// Runs transactions of workload `kind` until the connection breaks.
async fn client_loop(
    server_port: u16,
    kind: u64,
    first_txn: i64,
    ledger: Ledger,
    acks: Arc<AtomicU64>,
    notify: Arc<tokio::sync::Notify>,
) {
    let conn = format!("host=127.0.0.1 port={server_port} user=quorumdb dbname=quorumdb");
    let Ok((mut client, connection)) = tokio_postgres::connect(&conn, tokio_postgres::NoTls).await
    else {
        return;
    };
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let record = |txn: i64, fate: Fate, rows: i32| {
        ledger.lock().expect("ledger lock").insert(txn, (fate, rows));
        if fate == Fate::Acked {
            acks.fetch_add(1, Ordering::SeqCst);
            notify.notify_one();
        }
    };
    let Ok(insert) = client
        .prepare("INSERT INTO durable (txn, seq, client, payload) VALUES ($1, $2, $3, $4)")
        .await
    else {
        return;
    };
    let payload = |txn: i64, seq: i32| format!("txn {txn} row {seq} {}", "x".repeat(64));
    let client_id = kind as i32;
    for n in 0.. {
        let txn = first_txn + n;
        let rows = 1 + (n % 4) as i32;
        // A statement or COMMIT whose answer is an error from the server definitely did not
        // commit; a broken connection leaves it unknown.
        let fate_of = |result: Result<(), tokio_postgres::Error>| match result {
            Ok(()) => Fate::Acked,
            Err(err) => match err.as_db_error() {
                Some(db) => {
                    eprintln!(
                        "client {kind}: txn {txn} failed: {} {}",
                        db.code().code(),
                        db.message()
                    );
                    Fate::Absent
                }
                None => Fate::Unknown,
            },
        };
        let fate = match kind % 6 {
            // Autocommit single-row INSERT, simple protocol.
            0 => {
                record(txn, Fate::Unknown, 1);
                let sql = format!(
                    "INSERT INTO durable (txn, seq, client, payload) VALUES ({txn}, 0, {client_id}, '{}')",
                    payload(txn, 0)
                );
                let fate = fate_of(client.batch_execute(&sql).await);
                record(txn, fate, 1);
                fate
            }
            // Autocommit single-row INSERT, extended protocol.
            1 => {
                record(txn, Fate::Unknown, 1);
                let result =
                    client.execute(&insert, &[&txn, &0i32, &client_id, &payload(txn, 0)]).await;
                let fate = fate_of(result.map(|_| ()));
                record(txn, fate, 1);
                fate
            }
            // Autocommit multi-row INSERT: one statement, all rows or none.
            2 => {
                record(txn, Fate::Unknown, rows);
                let values: Vec<String> = (0..rows)
                    .map(|seq| format!("({txn}, {seq}, {client_id}, '{}')", payload(txn, seq)))
                    .collect();
                let sql = format!(
                    "INSERT INTO durable (txn, seq, client, payload) VALUES {}",
                    values.join(", ")
                );
                let fate = fate_of(client.batch_execute(&sql).await);
                record(txn, fate, rows);
                fate
            }
            // Explicit transaction, one simple Query per statement.
            3 => {
                record(txn, Fate::Absent, rows);
                if client.batch_execute("BEGIN").await.is_err() {
                    return;
                }
                for seq in 0..rows {
                    let sql = format!(
                        "INSERT INTO durable (txn, seq, client, payload) VALUES ({txn}, {seq}, {client_id}, '{}')",
                        payload(txn, seq)
                    );
                    if client.batch_execute(&sql).await.is_err() {
                        return;
                    }
                }
                record(txn, Fate::Unknown, rows);
                let fate = fate_of(client.batch_execute("COMMIT").await);
                record(txn, fate, rows);
                fate
            }
            // Explicit transaction through the driver's API (extended protocol); every third
            // one is rolled back.
            4 => {
                record(txn, Fate::Absent, rows);
                let Ok(transaction) = client.transaction().await else { return };
                for seq in 0..rows {
                    let text = payload(txn, seq);
                    let params: [&(dyn ToSql + Sync); 4] = [&txn, &seq, &client_id, &text];
                    if transaction.execute(&insert, &params).await.is_err() {
                        return;
                    }
                }
                if n % 3 == 2 {
                    if transaction.rollback().await.is_err() {
                        return;
                    }
                    Fate::Absent
                } else {
                    record(txn, Fate::Unknown, rows);
                    let fate = fate_of(transaction.commit().await);
                    record(txn, fate, rows);
                    fate
                }
            }
            // A whole explicit transaction in one multi-statement Query; every fourth one
            // ends in ROLLBACK instead.
            _ => {
                let rollback = n % 4 == 3;
                record(txn, if rollback { Fate::Absent } else { Fate::Unknown }, rows);
                let mut sql = String::from("BEGIN;");
                for seq in 0..rows {
                    sql.push_str(&format!(
                        " INSERT INTO durable (txn, seq, client, payload) VALUES ({txn}, {seq}, {client_id}, '{}');",
                        payload(txn, seq)
                    ));
                }
                sql.push_str(if rollback { " ROLLBACK" } else { " COMMIT" });
                let fate = fate_of(client.batch_execute(&sql).await);
                if rollback {
                    Fate::Absent
                } else {
                    record(txn, fate, rows);
                    fate
                }
            }
        };
        match fate {
            Fate::Unknown => return,
            // A server error may leave a transaction block open.
            Fate::Absent if client.batch_execute("ROLLBACK").await.is_err() => return,
            _ => {}
        }
    }
}

/// Checks the table against the ledger, and pins down every unknown transaction's outcome
/// (it must not change after this).
async fn verify(server: &Server, ledger: &Ledger, cycle: u64) {
    let client = server.client().await.expect("connect for verification");
    let rows = client.query("SELECT txn, seq FROM durable", &[]).await.expect("read back");
    let mut found: BTreeMap<i64, BTreeSet<i32>> = BTreeMap::new();
    for row in &rows {
        let (txn, seq): (i64, i32) = (row.get(0), row.get(1));
        assert!(found.entry(txn).or_default().insert(seq), "duplicate row ({txn}, {seq})");
    }
    let mut ledger = ledger.lock().expect("ledger lock");
    let mut problems = Vec::new();
    for (txn, seqs) in &found {
        match ledger.get(txn) {
            None => problems.push(format!("txn {txn}: rows of a transaction nobody wrote")),
            Some((Fate::Absent, _)) => {
                problems.push(format!("txn {txn}: rolled back or never committed, but present"))
            }
            Some((_, n)) if *seqs != (0..*n).collect() => {
                problems.push(format!("txn {txn}: partially present: rows {seqs:?} of 0..{n}"))
            }
            Some(_) => {}
        }
    }
    let (mut acked, mut unknown_present, mut unknown_absent) = (0, 0, 0);
    for (txn, (fate, _)) in ledger.iter_mut() {
        let present = found.contains_key(txn);
        match fate {
            Fate::Acked if !present => {
                problems.push(format!("txn {txn}: acknowledged commit lost"));
            }
            Fate::Acked => acked += 1,
            Fate::Unknown if present => {
                *fate = Fate::Acked;
                unknown_present += 1;
            }
            Fate::Unknown => {
                *fate = Fate::Absent;
                unknown_absent += 1;
            }
            Fate::Absent => {}
        }
    }
    assert!(
        problems.is_empty(),
        "after restart {cycle}: {} problem(s):\n{}\nserver log:\n{}",
        problems.len(),
        problems[..problems.len().min(50)].join("\n"),
        server.log_tail()
    );
    println!(
        "restart {cycle}: {} rows, {acked} acknowledged txns present, unacknowledged: \
         {unknown_present} present, {unknown_absent} absent",
        rows.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_commits_survive_sigkill() {
    if std::env::var_os("QDB_TEST_ADDR").is_some() {
        println!("SKIPPED acknowledged_commits_survive_sigkill: needs its own server process");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger: Ledger = Arc::default();
    {
        let server = Server::start(dir.path());
        let client = server.client().await.expect("connect");
        client
            .batch_execute(
                "CREATE TABLE durable (txn int8, seq int4, client int4, payload text, \
                 PRIMARY KEY (txn, seq))",
            )
            .await
            .expect("create table");
    }
    let mut rng = rand::thread_rng();
    for cycle in 0..CYCLES {
        let mut server = Server::start(dir.path());
        verify(&server, &ledger, cycle).await;
        let acks = Arc::new(AtomicU64::new(0));
        let notify = Arc::new(tokio::sync::Notify::new());
        let tasks: Vec<_> = (0..CLIENTS)
            .map(|kind| {
                let first_txn = ((cycle * 100 + kind) * 1_000_000) as i64;
                tokio::spawn(client_loop(
                    server.port,
                    kind,
                    first_txn,
                    ledger.clone(),
                    acks.clone(),
                    notify.clone(),
                ))
            })
            .collect();
        // Wait for some acknowledged commits, then kill at a random moment after that.
        let enough = async {
            while acks.load(Ordering::SeqCst) < MIN_ACKS_PER_CYCLE {
                notify.notified().await;
            }
        };
        if tokio::time::timeout(TIMEOUT, enough).await.is_err() {
            panic!(
                "cycle {cycle}: only {} commits acknowledged in {TIMEOUT:?}; server log:\n{}",
                acks.load(Ordering::SeqCst),
                server.log_tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..400))).await;
        server.kill();
        for task in tasks {
            tokio::time::timeout(TIMEOUT, task)
                .await
                .expect("a client did not notice the server died")
                .expect("client task panicked");
        }
        println!(
            "cycle {cycle}: killed after {} acknowledged commits",
            acks.load(Ordering::SeqCst)
        );
    }
    // Final restart: everything checks out, and the server still takes writes.
    let mut server = Server::start(dir.path());
    verify(&server, &ledger, CYCLES).await;
    let client = server.client().await.expect("connect");
    client
        .batch_execute("INSERT INTO durable (txn, seq, client, payload) VALUES (-1, 0, -1, 'end')")
        .await
        .expect("insert after the last restart");
    let acked = ledger.lock().unwrap().values().filter(|(f, _)| *f == Fate::Acked).count();
    assert!(acked >= (CYCLES * MIN_ACKS_PER_CYCLE) as usize, "only {acked} acknowledged txns");
    drop(client);
    server.kill();
}
