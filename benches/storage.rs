//! Storage engine reads and recovery speed, on the real disk.
//!
//! * `storage_read/get_hit`: point reads of random existing keys in a 100k-key store whose keys
//!   are spread over three checkpoint files and the memtable (a read probes newest level first).
//! * `storage_read/get_miss`: point reads of absent keys (every level is probed).
//! * `storage_read/scan_100`: range scans returning 100 consecutive rows from a random start.
//! * recovery (plain timed runs after the criterion groups): `Engine::open`, in a fresh child
//!   process, on a data directory holding >= 256 MiB of WAL commit records (batches of 10 keys
//!   x 100-byte values), once with the WAL evicted from the page cache (cold) and three times
//!   warm; once with keys in random order (the target case) and once in ascending order.
//!
//! Target: recovery >= 200 MB/s.
//!
//! Set `QUORUMDB_BENCH_KEEP_RECOVERY_DIR=1` to keep the recovery data directory for profiling.
//!
//! Temporary data lives under `target/bench-tmp` (a real disk, not tmpfs).

use bytes::Bytes;
use criterion::{BatchSize, Criterion, Throughput};
use quorumdb::storage::{Engine, EngineOptions, WriteBatch};
use quorumdb::vfs::OsFileSystem;
use quorumdb::wal::{SyncMode, WalOptions};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tempfile::TempDir;

const READ_KEYS: usize = 100_000;
const VALUE_BYTES: usize = 100;
const SCAN_ROWS: usize = 100;
const RECOVERY_BATCH_KEYS: usize = 10;
const RECOVERY_WAL_BYTES: u64 = 256 << 20;
const MIB: f64 = (1u64 << 20) as f64;

/// A fresh directory on the real disk, removed when dropped.
fn bench_dir() -> TempDir {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("bench-tmp");
    std::fs::create_dir_all(&root).expect("create target/bench-tmp");
    tempfile::tempdir_in(&root).expect("create a temp dir under target/bench-tmp")
}

fn key(i: usize) -> Bytes {
    Bytes::from(format!("key{i:012}"))
}

fn value(rng: &mut StdRng) -> Bytes {
    let mut v = vec![0u8; VALUE_BYTES];
    rng.fill(&mut v[..]);
    Bytes::from(v)
}

/// Options that never checkpoint on their own: no background thread, memory limit far above
/// anything these benchmarks write.
fn manual_options(sync: SyncMode) -> EngineOptions {
    EngineOptions {
        wal: WalOptions { sync, ..WalOptions::default() },
        memtable_bytes: 16 << 30,
        background: false,
        ..EngineOptions::default()
    }
}

/// 100k keys written in random order: the first three quarters checkpointed into three files,
/// the last quarter left in the memtable.
fn build_read_store(dir: &Path) -> Arc<Engine> {
    let engine = Engine::open(Arc::new(OsFileSystem), dir, manual_options(SyncMode::Off))
        .expect("open read store");
    let mut rng = StdRng::seed_from_u64(1);
    let mut order: Vec<usize> = (0..READ_KEYS).collect();
    order.shuffle(&mut rng);
    let mut ts = 0;
    for (part, chunk) in order.chunks(READ_KEYS / 4).enumerate() {
        for batch_keys in chunk.chunks(100) {
            let mut batch = WriteBatch::new();
            for &i in batch_keys {
                batch.put(key(i), value(&mut rng));
            }
            ts += 1;
            engine.write(ts, batch).expect("write to read store");
        }
        if part < 3 {
            engine.checkpoint().expect("checkpoint read store");
        }
    }
    let stats = engine.stats();
    assert_eq!(stats.checkpoint_files, 3, "read store should have three checkpoint files");
    assert_eq!(stats.memtable_versions, READ_KEYS / 4, "a quarter of the keys in the memtable");
    engine
}

fn bench_reads(c: &mut Criterion) {
    let dir = bench_dir();
    let engine = build_read_store(dir.path());
    let ts = engine.max_committed_ts();
    let mut rng = StdRng::seed_from_u64(2);

    let mut group = c.benchmark_group("storage_read");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    group.throughput(Throughput::Elements(1));
    group.bench_function("get_hit", |b| {
        b.iter_batched(
            || key(rng.gen_range(0..READ_KEYS)),
            |k| {
                let found = engine.get(&k, ts).expect("get");
                assert!(found.is_some(), "key must exist");
            },
            BatchSize::SmallInput,
        );
    });
    group.bench_function("get_miss", |b| {
        b.iter_batched(
            || Bytes::from(format!("key{:012}x", rng.gen_range(0..READ_KEYS))),
            |k| {
                let found = engine.get(&k, ts).expect("get");
                assert!(found.is_none(), "key must not exist");
            },
            BatchSize::SmallInput,
        );
    });

    group.throughput(Throughput::Elements(SCAN_ROWS as u64));
    group.bench_function(format!("scan_{SCAN_ROWS}"), |b| {
        b.iter_batched(
            || rng.gen_range(0..READ_KEYS - SCAN_ROWS),
            |start| {
                let scan = engine
                    .scan(Bound::Included(key(start)), Bound::Excluded(key(start + SCAN_ROWS)), ts)
                    .expect("start scan");
                let mut rows = 0;
                for row in scan {
                    row.expect("scan row");
                    rows += 1;
                }
                assert_eq!(rows, SCAN_ROWS, "scan must return every row of the range");
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

/// Total size of the files in `dir`.
fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .expect("list WAL dir")
        .map(|entry| entry.expect("WAL dir entry").metadata().expect("stat WAL file").len())
        .sum()
}

/// The order in which the recovery data set writes its (distinct) keys.
#[derive(Debug, Clone, Copy)]
enum KeyOrder {
    /// Scattered over the key space, as an OLTP workload writes: replay inserts everywhere.
    Random,
    /// Ascending: replay always inserts at the end of the memtable.
    Sequential,
}

/// Writes commit batches with fsync off and no checkpoint until the WAL holds `wal_bytes`.
/// Returns the number of keys written.
fn build_recovery_dir(dir: &Path, wal_bytes: u64, order: KeyOrder) -> usize {
    let engine = Engine::open(Arc::new(OsFileSystem), dir, manual_options(SyncMode::Off))
        .expect("open recovery store");
    let mut rng = StdRng::seed_from_u64(3);
    let mut next_key: usize = 0;
    let mut ts = 0;
    let wal_dir = dir.join("wal");
    loop {
        for _ in 0..1000 {
            let mut batch = WriteBatch::new();
            for _ in 0..RECOVERY_BATCH_KEYS {
                let k = match order {
                    KeyOrder::Random => next_key.wrapping_mul(2_654_435_761) % 1_000_000_007,
                    KeyOrder::Sequential => next_key,
                };
                batch.put(key(k), value(&mut rng));
                next_key += 1;
            }
            ts += 1;
            engine.write(ts, batch).expect("write to recovery store");
        }
        if dir_bytes(&wal_dir) >= wal_bytes {
            break;
        }
    }
    assert_eq!(engine.stats().checkpoints, 0, "building the WAL must not checkpoint");
    drop(engine);
    next_key
}

/// Flushes the WAL files and asks the kernel to drop them from the page cache, so the next
/// open reads them from the disk.
fn evict_from_page_cache(dir: &Path) {
    for entry in std::fs::read_dir(dir).expect("list WAL dir") {
        let path = entry.expect("WAL dir entry").path();
        let file = std::fs::File::open(&path).expect("open WAL file");
        file.sync_all().expect("fsync WAL file before eviction");
        fadvise_dontneed(&file);
    }
}

#[cfg(target_os = "linux")]
fn fadvise_dontneed(file: &std::fs::File) {
    use std::os::fd::AsRawFd;
    const POSIX_FADV_DONTNEED: i32 = 4;
    unsafe extern "C" {
        fn posix_fadvise(fd: i32, offset: i64, len: i64, advice: i32) -> i32;
    }
    // SAFETY: plain syscall wrapper on a valid open descriptor; it only drops clean cached pages.
    let rc = unsafe { posix_fadvise(file.as_raw_fd(), 0, 0, POSIX_FADV_DONTNEED) };
    assert_eq!(rc, 0, "posix_fadvise(DONTNEED) failed");
}

#[cfg(not(target_os = "linux"))]
fn fadvise_dontneed(_file: &std::fs::File) {
    println!("(page-cache eviction not implemented on this OS: the 'cold' run is warm)");
}

/// Environment variable that turns this binary into a one-shot recovery child: it opens the
/// data directory named in it, prints the seconds `Engine::open` took, and exits.
const CHILD_ENV: &str = "QUORUMDB_BENCH_RECOVER_DIR";

/// Times `Engine::open` in a fresh child process, as a restarting server would run it (a
/// fresh heap: the parent's freed memtables would otherwise skew allocation costs).
fn time_open_in_child(dir: &Path, keys: usize) -> f64 {
    let exe = std::env::current_exe().expect("path of this benchmark binary");
    let output = std::process::Command::new(exe)
        .env(CHILD_ENV, dir)
        .env("QUORUMDB_BENCH_RECOVER_KEYS", keys.to_string())
        .output()
        .expect("run recovery child");
    assert!(
        output.status.success(),
        "recovery child failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout.trim().parse().expect("recovery child prints the seconds Engine::open took")
}

/// The child side of [`time_open_in_child`].
fn recovery_child(dir: &Path) {
    let keys: usize = std::env::var("QUORUMDB_BENCH_RECOVER_KEYS")
        .expect("QUORUMDB_BENCH_RECOVER_KEYS set by the parent")
        .parse()
        .expect("key count");
    let start = Instant::now();
    let engine = Engine::open(Arc::new(OsFileSystem), dir, manual_options(SyncMode::Fsync))
        .expect("recover store");
    let elapsed = start.elapsed();
    assert_eq!(engine.stats().memtable_versions, keys, "recovery must replay every write");
    println!("{}", elapsed.as_secs_f64());
    // Exit without dropping the recovered memtable: a server would keep it, not free it.
    std::process::exit(0);
}

fn recovery_report(quick: bool) {
    let wal_target = if quick { 8 << 20 } else { RECOVERY_WAL_BYTES };
    println!();
    println!(
        "recovery: Engine::open runs in a fresh child process each time; \
         MB = 10^6 bytes, MiB = 2^20 bytes"
    );
    for order in [KeyOrder::Random, KeyOrder::Sequential] {
        let dir = bench_dir();
        let build = Instant::now();
        let keys = build_recovery_dir(dir.path(), wal_target, order);
        let wal_dir = dir.path().join("wal");
        let wal = dir_bytes(&wal_dir);
        let segments = std::fs::read_dir(&wal_dir).expect("list WAL dir").count();
        println!(
            "recovery data ({order:?} keys): {:.1} MiB of WAL in {segments} segments, {} commit \
             records of {RECOVERY_BATCH_KEYS} keys x {VALUE_BYTES}-byte values, built in {:.1} s",
            wal as f64 / MIB,
            keys / RECOVERY_BATCH_KEYS,
            build.elapsed().as_secs_f64(),
        );
        evict_from_page_cache(&wal_dir);
        let mut best_mb_per_s: f64 = 0.0;
        for (label, repeats) in [("cold page cache: WAL evicted", 1), ("warm page cache", 3)] {
            for _ in 0..repeats {
                let elapsed = time_open_in_child(dir.path(), keys);
                let mb_per_s = wal as f64 / 1e6 / elapsed;
                best_mb_per_s = best_mb_per_s.max(mb_per_s);
                println!(
                    "recovery: {:.1} MB of WAL in {elapsed:.3} s = {mb_per_s:.0} MB/s \
                     ({:.0} MiB/s; {order:?} keys, {label})",
                    wal as f64 / 1e6,
                    wal as f64 / MIB / elapsed,
                );
            }
        }
        let verdict = if best_mb_per_s >= 200.0 { "MET" } else { "NOT MET" };
        println!(
            "target recovery >= 200 MB/s ({order:?} keys): {verdict} (best run {best_mb_per_s:.0} MB/s)"
        );
        if std::env::var_os("QUORUMDB_BENCH_KEEP_RECOVERY_DIR").is_some() {
            let kept = dir.keep();
            println!(
                "kept for profiling: {CHILD_ENV}={} QUORUMDB_BENCH_RECOVER_KEYS={keys} <this binary>",
                kept.display()
            );
        }
    }
}

fn main() {
    // `cargo bench` passes --bench; without it (cargo test --benches) criterion runs each
    // benchmark once as a smoke test, and the recovery data set is shrunk to match.
    if let Some(dir) = std::env::var_os(CHILD_ENV) {
        recovery_child(Path::new(&dir));
        return;
    }
    let quick = !std::env::args().any(|arg| arg == "--bench");
    let mut criterion = Criterion::default().configure_from_args();
    bench_reads(&mut criterion);
    criterion.final_summary();
    if quick {
        println!("smoke run (no --bench): shortened; the figures below are not measurements");
    }
    recovery_report(quick);
}
