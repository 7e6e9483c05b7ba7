//! The `quorumdb` command line: `start` runs a node; hidden `debug-*` commands serve tests.
//!
//! Depends on: the `quorumdb` library (sql, pg; storage and txn for the debug commands).

mod commands;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: the server allocates many small, short-lived buffers
/// per statement (faster with per-thread free lists), and glibc kept freed memory of large
/// transactions mapped (RSS stayed at its peak); mimalloc returns it to the system.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// QuorumDB: a durable, Postgres-compatible SQL database replicated with Raft.
#[derive(Debug, Parser)]
#[command(name = "quorumdb", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// WAL durability, as exposed on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum WalSync {
    /// fdatasync every group commit (default; a commit is acknowledged only once on disk).
    Fsync,
    /// Never fsync. UNSAFE: acknowledged commits are lost on power failure. Tests only.
    Off,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start a single-node server on a data directory (created if missing).
    Start {
        /// Where data lives.
        #[arg(long, default_value = "./quorumdb-data")]
        data_dir: PathBuf,
        /// Address for PostgreSQL clients, HOST:PORT (port 0 picks a free port; the bound
        /// address is logged as `listening on ...`).
        #[arg(long, default_value = "127.0.0.1:5433")]
        listen: String,
        /// Require SCRAM-SHA-256 authentication with this password for user `quorumdb`
        /// (default: the QUORUMDB_PASSWORD environment variable; unset = trust).
        #[arg(long)]
        password: Option<String>,
        /// Largest accepted client message in bytes (PostgreSQL's limit: 1 GiB - 1).
        #[arg(long, default_value_t = quorumdb::pg::frame::DEFAULT_MAX_MESSAGE,
              value_parser = clap::value_parser!(usize))]
        max_message_bytes: usize,
        /// Memory budget in MiB: a quarter for in-memory tables (colder data stays in
        /// checkpoint files), the rest for transaction write buffers, merges, scans, sessions.
        #[arg(long, default_value_t = 64)]
        memory_limit_mb: usize,
        /// WAL durability.
        #[arg(long, value_enum, default_value_t = WalSync::Fsync)]
        wal_sync: WalSync,
    },
    /// Test helper: commit transactions in a loop and print each acknowledged one.
    #[command(hide = true)]
    DebugCommitLoop {
        /// Where data lives.
        #[arg(long)]
        data_dir: PathBuf,
        /// Distinguishes the keys of this run from earlier runs on the same directory.
        #[arg(long)]
        run: u64,
        /// Concurrent committing threads.
        #[arg(long, default_value_t = 4)]
        threads: u64,
        /// Keys written by each transaction.
        #[arg(long, default_value_t = 5)]
        keys: u64,
        /// Memtable memory limit in bytes (small values force frequent checkpoints).
        #[arg(long, default_value_t = 1 << 20)]
        memtable_bytes: usize,
    },
}

fn main() -> ExitCode {
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        // A closed stderr must not kill the server: tracing-subscriber would otherwise
        // `eprintln!` about the failed write, and that panics.
        .log_internal_errors(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let result = match Cli::parse().command {
        Command::Start {
            data_dir,
            listen,
            password,
            max_message_bytes,
            memory_limit_mb,
            wal_sync,
        } => {
            let password = password.or_else(|| std::env::var("QUORUMDB_PASSWORD").ok());
            let server = quorumdb::pg::ServerConfig {
                listen,
                password: password.filter(|p| !p.is_empty()),
                max_message_bytes,
            };
            commands::start(&data_dir, memory_limit_mb << 20, wal_sync == WalSync::Off, server)
        }
        Command::DebugCommitLoop { data_dir, run, threads, keys, memtable_bytes } => {
            commands::commit_loop(&data_dir, run, threads, keys, memtable_bytes)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "quorumdb: error: {err}");
            ExitCode::FAILURE
        }
    }
}
