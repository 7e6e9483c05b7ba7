//! Private storage tests: bulk writes under a private prefix are flushed early yet read
//! back by their transaction, stay atomic with its commit, and become garbage that is
//! reclaimed when it aborts or when storage is discarded.

use super::tests::TestResult;
use super::*;
use crate::txn::private::ReclaimPacer;
use bytes::Bytes;
use std::ops::Bound;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A store whose transactions flush private writes after 1 kB.
fn store() -> Result<Arc<TxnStore>, TxnError> {
    let store = super::tests::store()?;
    store.set_private_flush_bytes(1_000);
    Ok(store)
}

fn key(prefix: &str, i: usize) -> Bytes {
    Bytes::from(format!("{prefix}{i:06}"))
}

/// Keys under `prefix` visible to a new transaction.
fn committed_keys(store: &Arc<TxnStore>, prefix: &str) -> Result<usize, TxnError> {
    let mut txn = store.begin(IsolationLevel::Serializable);
    let end = Bytes::from(format!("{prefix}~"));
    let count =
        txn.scan(Bound::Included(Bytes::from(prefix.to_string())), Bound::Excluded(end))?.count();
    Ok(count)
}

fn wait_for_reclaim(store: &Arc<TxnStore>) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.reclaim_pending() {
        if Instant::now() > deadline {
            return Err("reclaiming did not finish".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}

#[test]
fn flushed_private_writes_are_read_back_and_kept_by_the_commit() -> TestResult {
    let store = store()?;
    let mut txn = store.begin(IsolationLevel::Serializable);
    txn.make_private(Bytes::from("p/"));
    for i in 0..500 {
        txn.put(key("p/", i), Bytes::from(vec![b'v'; 50]));
        txn.flush_private_if_large()?;
    }
    txn.put(Bytes::from("catalog"), Bytes::from("points at p/"));
    assert!(txn.pending_writes() < 100, "flushed early: {} buffered", txn.pending_writes());
    assert_eq!(txn.get(b"p/000007")?, Some(Bytes::from(vec![b'v'; 50])));
    txn.delete(key("p/", 3));
    let mut seen = Vec::new();
    for entry in txn.scan(Bound::Included(Bytes::from("p/")), Bound::Excluded(Bytes::from("p0")))? {
        seen.push(entry?.0);
    }
    assert_eq!(seen.len(), 499, "every row but the deleted one, flushed or not");
    assert!(!seen.contains(&key("p/", 3)));
    txn.commit()?;
    assert_eq!(committed_keys(&store, "p/")?, 499);
    Ok(())
}

#[test]
fn an_aborted_bulk_load_leaves_nothing_behind() -> TestResult {
    let store = store()?;
    let mut txn = store.begin(IsolationLevel::Serializable);
    txn.make_private(Bytes::from("p/"));
    for i in 0..500 {
        txn.put(key("p/", i), Bytes::from(vec![b'v'; 50]));
        txn.flush_private_if_large()?;
    }
    drop(txn); // rolled back after flushing
    wait_for_reclaim(&store)?;
    assert_eq!(committed_keys(&store, "p/")?, 0);
    Ok(())
}

#[test]
fn discarded_storage_goes_only_once_the_commit_succeeds() -> TestResult {
    let store = store()?;
    let mut seed = store.begin(IsolationLevel::Serializable);
    for i in 0..50 {
        seed.put(key("old/", i), Bytes::from("row"));
    }
    seed.commit()?;
    let reader = store.begin(IsolationLevel::Snapshot);

    let mut rolled_back = store.begin(IsolationLevel::Serializable);
    rolled_back.discard_on_commit(Bytes::from("old/"));
    rolled_back.put(Bytes::from("catalog"), Bytes::from("moved"));
    rolled_back.rollback();
    wait_for_reclaim(&store)?;
    assert_eq!(committed_keys(&store, "old/")?, 50, "a rollback discards nothing");

    let mut truncate = store.begin(IsolationLevel::Serializable);
    truncate.discard_on_commit(Bytes::from("old/"));
    truncate.put(Bytes::from("catalog"), Bytes::from("moved"));
    truncate.commit()?;
    wait_for_reclaim(&store)?;
    assert_eq!(committed_keys(&store, "old/")?, 0);
    let mut reader = reader;
    let end = Bytes::from("old/~");
    let old = reader.scan(Bound::Included(Bytes::from("old/")), Bound::Excluded(end))?.count();
    assert_eq!(old, 50, "an older snapshot still reads the discarded rows");
    Ok(())
}

#[test]
fn storage_dropped_after_a_savepoint_survives_rolling_back_to_it() -> TestResult {
    // BEGIN; SAVEPOINT a; DROP TABLE t; ROLLBACK TO a; INSERT INTO t ...; COMMIT
    let store = store()?;
    let mut seed = store.begin(IsolationLevel::Serializable);
    for i in 0..5 {
        seed.put(key("kept/", i), Bytes::from("row"));
    }
    seed.commit()?;
    let mut txn = store.begin(IsolationLevel::Serializable);
    let savepoint = txn.savepoint();
    txn.discard_on_commit(Bytes::from("kept/"));
    txn.make_private(Bytes::from("created/"));
    txn.rollback_to(&savepoint);
    txn.put(key("kept/", 5), Bytes::from("row"));
    txn.commit()?;
    wait_for_reclaim(&store)?;
    assert_eq!(committed_keys(&store, "kept/")?, 6);
    Ok(())
}

#[test]
fn a_guard_fails_a_snapshot_transaction_whose_guarded_range_changed() -> TestResult {
    let store = store()?;
    let mut writer = store.begin(IsolationLevel::Snapshot);
    writer.guard(Bound::Included(Bytes::from("def")), Bound::Included(Bytes::from("def")));
    writer.put(Bytes::from("old/1"), Bytes::from("row"));
    let mut ddl = store.begin(IsolationLevel::Snapshot);
    ddl.put(Bytes::from("def"), Bytes::from("new storage"));
    ddl.commit()?;
    assert!(matches!(writer.commit(), Err(TxnError::Conflict { .. })));
    Ok(())
}

#[test]
fn reclaiming_gives_way_while_others_commit_and_goes_on_once_they_pause() {
    let start = Instant::now();
    let at = |ms: u64| start + Duration::from_millis(ms);
    let mut pacer = ReclaimPacer::new(start, 0);
    assert!(pacer.wait_before_batch(at(0), 0).is_some(), "first it watches for a pause");
    assert_eq!(pacer.wait_before_batch(at(60), 0), None, "nobody committed: go");
    // Others commit between batches: wait until they have paused long enough.
    let wait = pacer.wait_before_batch(at(70), 5).expect("others are busy");
    assert!(wait > Duration::ZERO);
    assert!(pacer.wait_before_batch(at(100), 9).is_some());
    assert_eq!(pacer.wait_before_batch(at(151), 9), None, "no commit for 51 ms: go");
}

#[test]
fn reclaiming_under_sustained_load_goes_on_after_the_longest_deferral() {
    let start = Instant::now();
    let mut pacer = ReclaimPacer::new(start, 0);
    let mut commits = 0;
    let mut ms = 0;
    while pacer.wait_before_batch(start + Duration::from_millis(ms), commits).is_some() {
        commits += 1;
        ms += 10;
        assert!(ms <= 61_000, "still deferring after {ms} ms");
    }
    assert!(ms >= 60_000, "went ahead after {ms} ms of load");
}
