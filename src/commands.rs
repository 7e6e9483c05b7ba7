//! Implementations of the command-line subcommands.

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

/// `quorumdb start`: opens (recovering) the store and serves until SIGTERM or SIGINT.
pub fn start(data_dir: &Path, memtable_bytes: usize, unsafe_no_sync: bool) -> CommandResult {
    use signal_hook::consts::{SIGINT, SIGTERM};
    if unsafe_no_sync {
        tracing::warn!("--wal-sync off: acknowledged commits can be lost on a crash; tests only");
    }
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGINT])?;
    let engine = Engine::open(
        Arc::new(OsFileSystem),
        data_dir,
        engine_options(memtable_bytes, unsafe_no_sync),
    )?;
    let store = TxnStore::new(engine.clone(), Arc::new(SystemClock));
    tracing::info!(
        data_dir = %data_dir.display(),
        "storage engine ready; the SQL listener (psql, drivers) is not implemented yet"
    );
    let signal = signals.forever().next();
    tracing::info!(?signal, "shutting down: writing a final checkpoint");
    drop(store);
    engine.close();
    engine.checkpoint()?;
    tracing::info!("shutdown complete");
    Ok(())
}

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
