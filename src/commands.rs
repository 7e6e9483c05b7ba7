//! Implementations of the command-line subcommands.
//!
//! Depends on: `quorumdb::sql` (Database), `quorumdb::pg` (the wire server); the debug
//! commands use `storage`/`txn` directly.

use quorumdb::pg::ServerConfig;
use quorumdb::sql::{Database, DatabaseOptions};
use quorumdb::storage::{Engine, EngineOptions};
use quorumdb::txn::{IsolationLevel, TxnStore};
use quorumdb::util::clock::SystemClock;
use quorumdb::vfs::OsFileSystem;
use quorumdb::wal::{SyncMode, WalOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// Any error a command reports to the user.
type CommandResult = Result<(), Box<dyn std::error::Error>>;

fn engine_options(memtable_bytes: usize, unsafe_no_sync: bool) -> EngineOptions {
    let sync = if unsafe_no_sync { SyncMode::Off } else { SyncMode::Fsync };
    EngineOptions {
        wal: WalOptions { sync, ..WalOptions::default() },
        memtable_bytes,
        ..EngineOptions::default()
    }
}

/// `quorumdb start`: opens (recovering) the database and serves PostgreSQL clients until
/// SIGTERM or SIGINT, then shuts down gracefully and closes the database.
pub fn start(
    data_dir: &Path,
    memory_limit_bytes: usize,
    unsafe_no_sync: bool,
    server: ServerConfig,
) -> CommandResult {
    if unsafe_no_sync {
        tracing::warn!("--wal-sync off: acknowledged commits can be lost on a crash; tests only");
    }
    if server.max_message_bytes < MIN_MESSAGE_LIMIT {
        return Err(format!("--max-message-bytes must be at least {MIN_MESSAGE_LIMIT}").into());
    }
    let options = DatabaseOptions { memory_limit_bytes, wal_sync_off: unsafe_no_sync };
    let db = Database::open(data_dir, options)?;
    // Testing knob: crash tests make bulk loads flush their private storage after a few
    // kilobytes instead of 4 MB, to kill the server between flushes cheaply.
    if let Some(bytes) =
        std::env::var("QUORUMDB_TEST_PRIVATE_FLUSH_BYTES").ok().and_then(|v| v.parse().ok())
    {
        db.store().set_private_flush_bytes(bytes);
    }
    tracing::info!(data_dir = %data_dir.display(), "database open");
    let served = quorumdb::pg::serve(db.clone(), server);
    tracing::info!("closing the database");
    db.close();
    served?;
    tracing::info!("shutdown complete");
    Ok(())
}

/// Smallest `--max-message-bytes`: enough for any startup-phase and control message.
const MIN_MESSAGE_LIMIT: usize = 256;

/// `quorumdb debug-commit-loop`: `threads` threads commit transactions forever, each writing
/// `keys` keys `r{run}/t{thread}/s{seq}/k{j}` = `{seq}`, and print `ack {thread} {seq}` on
/// stdout after each commit is acknowledged. The crash tests kill it with SIGKILL.
pub fn commit_loop(
    data_dir: &Path,
    run: u64,
    threads: u64,
    keys: u64,
    memtable_bytes: usize,
) -> CommandResult {
    let engine =
        Engine::open(Arc::new(OsFileSystem), data_dir, engine_options(memtable_bytes, false))?;
    let store = TxnStore::new(engine, Arc::new(SystemClock));
    println!("ready");
    std::io::stdout().flush()?;
    let workers: Vec<_> = (0..threads)
        .map(|thread| {
            let store = store.clone();
            std::thread::spawn(move || -> Result<(), String> {
                for seq in 0.. {
                    let mut txn = store.begin(IsolationLevel::Serializable);
                    for j in 0..keys {
                        txn.put(format!("r{run}/t{thread}/s{seq}/k{j}"), seq.to_string());
                    }
                    txn.commit().map_err(|e| e.to_string())?;
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "ack {thread} {seq}")
                        .and_then(|()| out.flush())
                        .map_err(|e| e.to_string())?;
                }
                Ok(())
            })
        })
        .collect();
    for worker in workers {
        worker.join().map_err(|_| "commit thread panicked")??;
    }
    Ok(())
}
