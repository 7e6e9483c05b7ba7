//! Bank invariant under concurrency: transfer threads move money between accounts in
//! SERIALIZABLE transactions while auditor threads sum all balances from snapshots. Every
//! audit must see the same total (no partially applied transfer is ever visible), conflicts
//! must surface as retryable errors (conflicts, or deadlocks between row-locking transfers), and after a restart the total is still the same.

use bytes::Bytes;
use quorumdb::storage::{Engine, EngineOptions};
use quorumdb::txn::{IsolationLevel, TxnError, TxnStore};
use quorumdb::util::clock::SystemClock;
use quorumdb::vfs::OsFileSystem;
use quorumdb::wal::{SyncMode, WalOptions};
use rand::{Rng, SeedableRng};
use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

const ACCOUNTS: u64 = 10;
const INITIAL: i64 = 1_000;

fn account(i: u64) -> Bytes {
    Bytes::from(format!("account/{i:02}"))
}

fn balance(value: Option<Bytes>) -> i64 {
    value.and_then(|v| std::str::from_utf8(&v).ok()?.parse().ok()).unwrap_or(0)
}

fn open(dir: &Path) -> Arc<TxnStore> {
    let options = EngineOptions {
        // Durability is covered elsewhere; here we want many interleavings per second.
        wal: WalOptions { sync: SyncMode::Off, ..WalOptions::default() },
        memtable_bytes: 256 << 10,
        ..EngineOptions::default()
    };
    let engine = Engine::open(Arc::new(OsFileSystem), dir, options).expect("open engine");
    TxnStore::new(engine, Arc::new(SystemClock))
}

fn total(store: &Arc<TxnStore>) -> Result<i64, TxnError> {
    let mut txn = store.begin(IsolationLevel::Serializable);
    let rows = txn
        .scan(Bound::Included(Bytes::from("account/")), Bound::Excluded(Bytes::from("account0")))?;
    let mut sum = 0;
    let mut count = 0;
    for row in rows {
        sum += balance(Some(row?.1));
        count += 1;
    }
    assert_eq!(count, ACCOUNTS, "an account vanished from a snapshot");
    Ok(sum)
}

/// Moves `amount` between two accounts. With `lock`, the balances are read for update (row
/// locks: a transfer waits for another one touching the same account, then reads what it
/// committed); without, it reads optimistically and a concurrent change fails the commit.
fn transfer(
    store: &Arc<TxnStore>,
    from: u64,
    to: u64,
    amount: i64,
    lock: bool,
) -> Result<(), TxnError> {
    let mut txn = store.begin(IsolationLevel::Serializable);
    let read = |txn: &mut quorumdb::txn::Transaction, key: Bytes| {
        if lock { txn.get_for_update(&key, || Ok::<(), TxnError>(())) } else { txn.get(&key) }
    };
    let from_balance = balance(read(&mut txn, account(from))?);
    let to_balance = balance(read(&mut txn, account(to))?);
    if from_balance < amount {
        return Ok(());
    }
    txn.put(account(from), (from_balance - amount).to_string());
    txn.put(account(to), (to_balance + amount).to_string());
    txn.commit().map(|_| ())
}

#[test]
fn concurrent_transfers_keep_the_total_constant() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(dir.path());
    let mut txn = store.begin(IsolationLevel::Serializable);
    for i in 0..ACCOUNTS {
        txn.put(account(i), INITIAL.to_string());
    }
    txn.commit().expect("seed accounts");
    let expected = INITIAL * ACCOUNTS as i64;

    let stop = Arc::new(AtomicBool::new(false));
    let (committed, conflicts, audits) =
        (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut threads = Vec::new();
    for seed in 0..4 {
        let (store, committed, conflicts) = (store.clone(), committed.clone(), conflicts.clone());
        threads.push(std::thread::spawn(move || {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            for _ in 0..400 {
                let (from, to) = (rng.gen_range(0..ACCOUNTS), rng.gen_range(0..ACCOUNTS));
                if from == to {
                    continue;
                }
                // Half the threads lock rows, half stay optimistic: both must mix safely.
                match transfer(&store, from, to, rng.gen_range(1..100), seed % 2 == 0) {
                    Ok(()) => committed.fetch_add(1, Ordering::Relaxed),
                    Err(err) if err.is_retryable() => conflicts.fetch_add(1, Ordering::Relaxed),
                    Err(err) => panic!("transfer failed: {err}"),
                };
            }
        }));
    }
    for _ in 0..2 {
        let (store, stop, audits) = (store.clone(), stop.clone(), audits.clone());
        threads.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                assert_eq!(
                    total(&store).expect("audit"),
                    expected,
                    "an audit saw a partial transfer"
                );
                audits.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for thread in threads.drain(..4) {
        thread.join().expect("transfer thread");
    }
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        thread.join().expect("audit thread");
    }
    println!(
        "{} transfers committed, {} conflicts retried-away, {} audits",
        committed.load(Ordering::Relaxed),
        conflicts.load(Ordering::Relaxed),
        audits.load(Ordering::Relaxed)
    );
    assert!(committed.load(Ordering::Relaxed) > 100);
    assert!(audits.load(Ordering::Relaxed) > 0);
    assert_eq!(total(&store).expect("final audit"), expected);

    store.engine().close();
    drop(store);
    let store = open(dir.path());
    assert_eq!(total(&store).expect("audit after restart"), expected);
}
