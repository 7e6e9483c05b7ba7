//! Transaction tests: isolation anomalies that must and must not happen.

use super::*;
use crate::sim::SimFileSystem;
use crate::storage::{Engine, EngineOptions};
use crate::util::clock::ManualClock;
use bytes::Bytes;
use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

pub(super) type TestResult = Result<(), Box<dyn std::error::Error>>;

fn store_on(fs: &SimFileSystem) -> Result<Arc<TxnStore>, TxnError> {
    let options = EngineOptions { background: false, ..EngineOptions::default() };
    let engine = Engine::open(Arc::new(fs.clone()), Path::new("/db"), options)?;
    Ok(TxnStore::new(engine, Arc::new(ManualClock::new(1_000))))
}

pub(super) fn store() -> Result<Arc<TxnStore>, TxnError> {
    store_on(&SimFileSystem::new(0))
}

pub(super) fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

pub(super) fn seed(store: &Arc<TxnStore>, pairs: &[(&str, &str)]) -> Result<(), TxnError> {
    let mut txn = store.begin(IsolationLevel::Serializable);
    for (k, v) in pairs {
        txn.put(b(k), b(v));
    }
    txn.commit().map(|_| ())
}

#[test]
fn snapshot_reads_ignore_later_commits_and_see_own_writes() -> TestResult {
    let store = store()?;
    seed(&store, &[("a", "1")])?;
    let mut reader = store.begin(IsolationLevel::Serializable);
    seed(&store, &[("a", "2"), ("b", "2")])?;
    assert_eq!(reader.get(b"a")?, Some(b("1")));
    assert_eq!(reader.get(b"b")?, None);
    reader.put(b("c"), b("mine"));
    reader.delete(b("a"));
    let rows: Vec<_> =
        reader.scan(Bound::Unbounded, Bound::Unbounded)?.collect::<Result<_, _>>()?;
    assert_eq!(rows, vec![(b("c"), b("mine"))]);
    assert_eq!(store.begin(IsolationLevel::Serializable).get(b"a")?, Some(b("2")));
    Ok(())
}

#[test]
fn concurrent_writes_to_one_key_conflict_at_every_level() -> TestResult {
    for level in [IsolationLevel::Snapshot, IsolationLevel::Serializable] {
        let store = store()?;
        let mut first = store.begin(level);
        let mut second = store.begin(level);
        first.put(b("k"), b("first"));
        second.put(b("k"), b("second"));
        first.commit()?;
        let err = second.commit().expect_err("lost update must be prevented");
        assert!(err.is_retryable(), "{err}");
        assert!(matches!(err, TxnError::Conflict { kind: ConflictKind::WriteWrite, .. }));
        assert_eq!(store.begin(level).get(b"k")?, Some(b("first")));
    }
    Ok(())
}

/// Two doctors on call; each checks that the other is on call, then goes off call.
fn write_skew(level: IsolationLevel) -> Result<Result<(), TxnError>, TxnError> {
    let store = store()?;
    seed(&store, &[("alice", "on"), ("bob", "on")])?;
    let mut alice = store.begin(level);
    let mut bob = store.begin(level);
    assert_eq!(alice.get(b"bob")?, Some(b("on")));
    assert_eq!(bob.get(b"alice")?, Some(b("on")));
    alice.put(b("alice"), b("off"));
    bob.put(b("bob"), b("off"));
    alice.commit()?;
    Ok(bob.commit().map(|_| ()))
}

#[test]
fn write_skew_is_prevented_only_under_serializable() -> TestResult {
    assert!(write_skew(IsolationLevel::Snapshot)?.is_ok(), "snapshot isolation allows write skew");
    let err = write_skew(IsolationLevel::Serializable)?.expect_err("serializable must abort");
    assert!(matches!(err, TxnError::Conflict { kind: ConflictKind::ReadWrite, .. }), "{err}");
    Ok(())
}

#[test]
fn phantom_insert_into_a_scanned_range_aborts_the_scanner() -> TestResult {
    let store = store()?;
    seed(&store, &[("order/1", "10"), ("zzz", "x")])?;
    let mut summer = store.begin(IsolationLevel::Serializable);
    let start = Bound::Included(b("order/"));
    let end = Bound::Excluded(b("order0"));
    let total: usize = summer.scan(start, end)?.count();
    assert_eq!(total, 1);
    seed(&store, &[("order/2", "20")])?;
    summer.put(b("summary"), Bytes::from(total.to_string()));
    assert!(summer.commit().is_err_and(|e| e.is_retryable()));

    // A write outside the scanned range does not conflict.
    let mut summer = store.begin(IsolationLevel::Serializable);
    let _ = summer.scan(Bound::Included(b("order/")), Bound::Excluded(b("order0")))?.count();
    seed(&store, &[("other", "1")])?;
    summer.put(b("summary"), b("2"));
    summer.commit()?;
    Ok(())
}

#[test]
fn read_only_transactions_never_conflict() -> TestResult {
    let store = store()?;
    seed(&store, &[("k", "1")])?;
    let mut reader = store.begin(IsolationLevel::Serializable);
    assert_eq!(reader.get(b"k")?, Some(b("1")));
    seed(&store, &[("k", "2")])?;
    reader.commit()?;
    Ok(())
}

#[test]
fn dropped_transaction_writes_nothing_and_unregisters() -> TestResult {
    let store = store()?;
    let mut txn = store.begin(IsolationLevel::Serializable);
    txn.put(b("k"), b("v"));
    drop(txn);
    assert_eq!(store.running(), 0);
    assert_eq!(store.begin(IsolationLevel::Serializable).get(b"k")?, None);
    Ok(())
}

#[test]
fn timestamps_continue_above_recovered_data_after_restart() -> TestResult {
    let fs = SimFileSystem::new(9);
    let store = store_on(&fs)?;
    // A clock far in the future writes; after restart the clock is back in the past.
    let future = TxnStore::new(store.engine().clone(), Arc::new(ManualClock::new(1 << 40)));
    let mut txn = future.begin(IsolationLevel::Serializable);
    txn.put(b("k"), b("v1"));
    let first = txn.commit()?;
    drop((future, store));
    fs.crash();
    let store = store_on(&fs)?;
    let mut txn = store.begin(IsolationLevel::Serializable);
    assert_eq!(txn.get(b"k")?, Some(b("v1")));
    txn.put(b("k"), b("v2"));
    let second = txn.commit()?;
    assert!(second > first);
    assert_eq!(store.begin(IsolationLevel::Serializable).get(b"k")?, Some(b("v2")));
    Ok(())
}

#[test]
fn garbage_collection_respects_running_snapshots() -> TestResult {
    let store = store()?;
    seed(&store, &[("k", "1")])?;
    let mut old = store.begin(IsolationLevel::Serializable);
    for i in 2..10 {
        seed(&store, &[("k", &i.to_string())])?;
    }
    store.collect_garbage();
    assert_eq!(old.get(b"k")?, Some(b("1")), "a running snapshot keeps its versions");
    drop(old);
    assert!(store.collect_garbage() >= 7);
    assert_eq!(store.begin(IsolationLevel::Serializable).get(b"k")?, Some(b("9")));
    Ok(())
}

#[test]
fn concurrent_increments_never_lose_an_update() -> TestResult {
    let store = store()?;
    seed(&store, &[("counter", "0")])?;
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            std::thread::spawn(move || -> Result<u64, TxnError> {
                let mut done = 0;
                while done < 50 {
                    let mut txn = store.begin(IsolationLevel::Serializable);
                    let current: u64 = txn
                        .get(b"counter")?
                        .and_then(|v| std::str::from_utf8(&v).ok()?.parse().ok())
                        .unwrap_or(0);
                    txn.put(b("counter"), Bytes::from((current + 1).to_string()));
                    match txn.commit() {
                        Ok(_) => done += 1,
                        Err(e) if e.is_retryable() => continue,
                        Err(e) => return Err(e),
                    }
                }
                Ok(done)
            })
        })
        .collect();
    let mut total = 0;
    for thread in threads {
        total += thread.join().map_err(|_| "thread panicked")??;
    }
    assert_eq!(total, 200);
    assert_eq!(store.begin(IsolationLevel::Serializable).get(b"counter")?, Some(b("200")));
    Ok(())
}

#[test]
fn a_committed_transaction_is_visible_to_the_next_one_at_once() -> TestResult {
    // Commits of several threads are made durable and applied out of timestamp order; an
    // acknowledged commit must still be in every snapshot taken after the acknowledgement.
    let store = store()?;
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || -> Result<(), String> {
                for i in 0..200u32 {
                    let key = format!("t{t}");
                    let mut txn = store.begin(IsolationLevel::Snapshot);
                    txn.put(b(&key), b(&i.to_string()));
                    txn.commit().map_err(|e| e.to_string())?;
                    let mut reader = store.begin(IsolationLevel::Snapshot);
                    let seen = reader.get(key.as_bytes()).map_err(|e| e.to_string())?;
                    if seen != Some(b(&i.to_string())) {
                        return Err(format!("thread {t} wrote {i} but then read {seen:?}"));
                    }
                }
                Ok(())
            })
        })
        .collect();
    for thread in threads {
        thread.join().map_err(|_| "thread panicked")??;
    }
    Ok(())
}

#[test]
fn reverse_scans_merge_own_writes_in_descending_order() -> TestResult {
    let store = store()?;
    seed(&store, &[("a", "1"), ("b", "2"), ("c", "3"), ("d", "4"), ("e", "5")])?;
    let mut txn = store.begin(IsolationLevel::Serializable);
    txn.put(b("bb"), b("own"));
    txn.delete(b("c"));
    txn.put(b("d"), b("44"));
    txn.put(b("f"), b("6"));
    let forward: Vec<(Bytes, Bytes)> = txn
        .scan_owned(Bound::Included(b("b")), Bound::Excluded(b("f")))?
        .collect::<Result<_, _>>()?;
    let mut backward: Vec<(Bytes, Bytes)> = txn
        .scan_owned_reverse(Bound::Included(b("b")), Bound::Excluded(b("f")))?
        .collect::<Result<_, _>>()?;
    backward.reverse();
    assert_eq!(forward, backward);
    let keys: Vec<Bytes> = forward.into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, vec![b("b"), b("bb"), b("d"), b("e")]);
    Ok(())
}

#[test]
fn commits_applied_in_order_are_reported_by_whichever_committer_comes_first() {
    let mut oracle = Oracle::new(10);
    let reads = ReadSet::default();
    let snapshot = oracle.begin();
    let assign = |oracle: &mut Oracle, key: &str| {
        oracle.validate_and_assign(0, snapshot, IsolationLevel::Snapshot, &reads, &[b(key)])
    };
    let (first, second, third) = (
        assign(&mut oracle, "a").expect("a"),
        assign(&mut oracle, "b").expect("b"),
        assign(&mut oracle, "c").expect("c"),
    );
    assert_eq!(oracle.visible(), 10);
    // The storage applied the first two (in timestamp order); the second committer runs
    // first and reports both, so it need not wait for the first one's thread.
    oracle.applied_through(second);
    oracle.finished(second);
    assert_eq!(oracle.visible(), second);
    // The first committer's report changes nothing; the third is still pending.
    oracle.applied_through(second);
    oracle.finished(first);
    assert_eq!(oracle.visible(), second);
    oracle.finished(third);
    assert_eq!(oracle.visible(), third);
}

#[test]
fn a_commit_not_yet_visible_still_conflicts_after_its_transaction_ended() {
    // A committer unregisters its snapshot once its commit is logged, before the commit is
    // applied; a transaction that starts meanwhile does not see the commit, so it must
    // still be checked against it.
    let mut oracle = Oracle::new(10);
    let reads = ReadSet::default();
    let writer = oracle.begin();
    let commit_ts = oracle
        .validate_and_assign(0, writer, IsolationLevel::Snapshot, &reads, &[b("k")])
        .expect("first writer");
    oracle.end(writer);
    let late = oracle.begin();
    assert!(late < commit_ts, "the commit is not visible yet");
    let err = oracle
        .validate_and_assign(0, late, IsolationLevel::Snapshot, &reads, &[b("k")])
        .expect_err("a write-write conflict with the pending commit");
    assert!(err.is_retryable(), "{err}");
    oracle.finished(commit_ts);
    oracle.end(late);
    let after = oracle.begin();
    assert_eq!(after, commit_ts, "new snapshots include the commit");
    assert!(
        oracle.validate_and_assign(0, after, IsolationLevel::Snapshot, &reads, &[b("k")]).is_ok()
    );
}

#[test]
fn read_views_share_the_registration_and_keep_it_past_the_transaction() -> TestResult {
    let store = store()?;
    let txn = store.begin(IsolationLevel::Snapshot);
    let view = txn.read_view();
    assert_eq!(store.running(), 1, "a view is not a registration of its own");
    drop(txn);
    assert_eq!(store.running(), 1, "the view still reads at the snapshot");
    drop(view);
    assert_eq!(store.running(), 0);

    let mut txn = store.begin(IsolationLevel::Serializable);
    txn.put(b("k"), b("v"));
    let view = txn.read_view();
    txn.commit()?;
    assert_eq!(store.running(), 1, "committed, but its view is alive");
    drop(view);
    assert_eq!(store.running(), 0);
    let mut txn = store.begin(IsolationLevel::Serializable);
    txn.put(b("k"), b("w"));
    txn.commit()?;
    assert_eq!(store.running(), 0, "a commit without views unregisters at once");
    Ok(())
}
