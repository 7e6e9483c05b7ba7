//! WAL commit throughput under group commit, on the real disk with fdatasync on.
//!
//! 1, 8 and 64 committer threads share one [`Wal`]; each commit is `wal.append(1, &payload)`
//! with a 128-byte payload (submit + wait until durable). Criterion reports commits/s (one
//! iteration = one commit, spread over the threads). After the criterion groups, a plain run
//! per committer count prints commits/s and commits per fdatasync from [`Wal::stats`].
//!
//! Target: >= 20 commits per fdatasync with 64 committers.
//!
//! Temporary WALs live under `target/bench-tmp` (a real disk, not tmpfs).

use criterion::{Criterion, SamplingMode, Throughput};
use quorumdb::vfs::OsFileSystem;
use quorumdb::wal::{SyncMode, Wal, WalError, WalOptions};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use tempfile::TempDir;

const PAYLOAD_BYTES: usize = 128;
const COMMITTERS: [usize; 3] = [1, 8, 64];

/// A fresh directory on the real disk, removed when dropped.
fn bench_dir() -> TempDir {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("bench-tmp");
    std::fs::create_dir_all(&root).expect("create target/bench-tmp");
    tempfile::tempdir_in(&root).expect("create a temp dir under target/bench-tmp")
}

fn open_wal(dir: &TempDir) -> Arc<Wal> {
    let options = WalOptions { sync: SyncMode::Fsync, ..WalOptions::default() };
    let wal =
        Wal::open::<WalError>(Arc::new(OsFileSystem), dir.path(), options, 0, |_, _, _| Ok(()))
            .expect("open WAL");
    Arc::new(wal)
}

/// Runs `commits` appends spread over `threads` threads; returns the wall time from the moment
/// all threads are ready until the last commit is durable.
fn run_commits(wal: &Arc<Wal>, threads: usize, commits: u64) -> Duration {
    let claimed = AtomicU64::new(0);
    let ready = Barrier::new(threads + 1);
    let payload = [0xABu8; PAYLOAD_BYTES];
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                ready.wait();
                while claimed.fetch_add(1, Ordering::Relaxed) < commits {
                    wal.append(1, &payload).expect("WAL append");
                }
            });
        }
        ready.wait();
        let start = Instant::now();
        // Leaving the scope joins every committer.
        start
    })
    .elapsed()
}

fn bench_commit_throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("wal_commit_fsync");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(1));
    for threads in COMMITTERS {
        let dir = bench_dir();
        let wal = open_wal(&dir);
        group.bench_function(format!("committers={threads}"), |b| {
            b.iter_custom(|iters| run_commits(&wal, threads, iters));
        });
    }
    group.finish();
}

/// Commits for `duration` from `threads` threads; returns (commits, elapsed, stats delta).
fn timed_run(threads: usize, duration: Duration) -> (u64, Duration, quorumdb::wal::WalStats) {
    let dir = bench_dir();
    let wal = open_wal(&dir);
    let stop = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let ready = Barrier::new(threads + 1);
    let payload = [0xCDu8; PAYLOAD_BYTES];
    let elapsed = std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                ready.wait();
                while !stop.load(Ordering::Relaxed) {
                    wal.append(1, &payload).expect("WAL append");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        ready.wait();
        let start = Instant::now();
        std::thread::sleep(duration);
        stop.store(true, Ordering::Relaxed);
        start
    })
    .elapsed();
    (done.load(Ordering::Relaxed), elapsed, wal.stats())
}

fn group_commit_report(quick: bool) {
    let duration = if quick { Duration::from_millis(200) } else { Duration::from_secs(3) };
    println!();
    let secs = duration.as_secs_f64();
    println!(
        "plain group-commit runs ({secs} s each, fdatasync on, {PAYLOAD_BYTES}-byte records):"
    );
    for threads in COMMITTERS {
        let (commits, elapsed, stats) = timed_run(threads, duration);
        let per_sync = stats.records as f64 / stats.syncs.max(1) as f64;
        let mean_latency_us = elapsed.as_secs_f64() * 1e6 * threads as f64 / commits.max(1) as f64;
        println!(
            "wal group commit: committers={threads} commits/s={:.0} commits_per_fdatasync={per_sync:.1} \
             fdatasyncs/s={:.0} mean_commit_latency_us={mean_latency_us:.0} \
             (records={} batches={} syncs={} bytes={})",
            commits as f64 / elapsed.as_secs_f64(),
            stats.syncs as f64 / elapsed.as_secs_f64(),
            stats.records,
            stats.batches,
            stats.syncs,
            stats.bytes,
        );
        if threads == 64 {
            let verdict = if per_sync >= 20.0 { "MET" } else { "NOT MET" };
            println!("target >= 20 commits per fdatasync at 64 committers: {verdict}");
        }
    }
}

fn main() {
    // `cargo bench` passes --bench; without it (cargo test --benches) criterion runs each
    // benchmark once as a smoke test, and the plain runs are shortened to match.
    let quick = !std::env::args().any(|arg| arg == "--bench");
    let mut criterion = Criterion::default().configure_from_args();
    bench_commit_throughput(&mut criterion);
    criterion.final_summary();
    if quick {
        println!("smoke run (no --bench): shortened; the figures below are not measurements");
    }
    group_commit_report(quick);
}
