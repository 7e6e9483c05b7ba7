//! Row-lock tests: writers of one row wait for each other instead of failing, refreshes keep
//! SERIALIZABLE honest, deadlocks and cancelled waits end cleanly.

use super::tests::{TestResult, b, seed, store};
use super::*;
use bytes::Bytes;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

fn never() -> Result<(), TxnError> {
    Ok(())
}

/// Adds `delta` to the number stored at `key`, reading it for update.
fn add(txn: &mut Transaction, key: &str, delta: i64) -> Result<(), TxnError> {
    let old = txn.get_for_update(key.as_bytes(), never)?.unwrap_or_default();
    let old: i64 = std::str::from_utf8(&old).ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    txn.put(b(key), Bytes::from((old + delta).to_string()));
    Ok(())
}

fn number(store: &Arc<TxnStore>, key: &str) -> Result<i64, TxnError> {
    let value = store.begin(IsolationLevel::Serializable).get(key.as_bytes())?.unwrap_or_default();
    Ok(std::str::from_utf8(&value).ok().and_then(|s| s.parse().ok()).unwrap_or(-1))
}

/// Waits until some transaction waits for the lock on `key` held by `holder`... observed
/// from outside as: the lock is held and the waiter has not finished.
fn wait_until_blocked(done: &mpsc::Receiver<Result<(), TxnError>>) -> Result<(), String> {
    match done.recv_timeout(Duration::from_millis(100)) {
        Err(mpsc::RecvTimeoutError::Timeout) => Ok(()),
        other => Err(format!("the second writer did not wait: {other:?}")),
    }
}

#[test]
fn second_writer_of_a_row_waits_then_sees_the_first_commit() -> TestResult {
    let store = store()?;
    seed(&store, &[("balance", "100")])?;
    let mut first = store.begin(IsolationLevel::Serializable);
    let second = store.begin(IsolationLevel::Serializable); // snapshot before first commits
    add(&mut first, "balance", 10)?;
    let (tx, done) = mpsc::channel();
    std::thread::scope(|scope| -> TestResult {
        scope.spawn(move || {
            let mut second = second;
            let result =
                add(&mut second, "balance", -30).and_then(|()| second.commit().map(|_| ()));
            let _ = tx.send(result);
        });
        wait_until_blocked(&done)?;
        first.commit()?;
        done.recv_timeout(Duration::from_secs(10))??;
        Ok(())
    })?;
    assert_eq!(number(&store, "balance")?, 80, "both changes applied, in order");
    Ok(())
}

#[test]
fn a_refresh_fails_when_an_earlier_read_was_overwritten() -> TestResult {
    let store = store()?;
    seed(&store, &[("limit", "500"), ("balance", "100")])?;
    let mut writer = store.begin(IsolationLevel::Serializable);
    add(&mut writer, "balance", 10)?;
    let mut reader = store.begin(IsolationLevel::Serializable);
    assert_eq!(reader.get(b"limit")?, Some(b("500")));
    seed(&store, &[("limit", "0")])?; // what `reader` decided on is gone
    let (tx, done) = mpsc::channel();
    std::thread::scope(|scope| -> TestResult {
        scope.spawn(move || {
            let _ = tx.send(add(&mut reader, "balance", -30));
        });
        wait_until_blocked(&done)?;
        writer.commit()?;
        match done.recv_timeout(Duration::from_secs(10))? {
            Err(TxnError::Conflict { kind: ConflictKind::ReadWrite, .. }) => Ok(()),
            other => Err(format!("expected a read-write conflict, got {other:?}").into()),
        }
    })?;
    assert_eq!(number(&store, "balance")?, 110);
    Ok(())
}

#[test]
fn repeatable_read_waits_then_fails_on_a_changed_row() -> TestResult {
    let store = store()?;
    seed(&store, &[("balance", "100")])?;
    let mut first = store.begin(IsolationLevel::Snapshot);
    let mut second = store.begin(IsolationLevel::Snapshot);
    add(&mut first, "balance", 10)?;
    let (tx, done) = mpsc::channel();
    std::thread::scope(|scope| -> TestResult {
        scope.spawn(move || {
            let _ = tx.send(add(&mut second, "balance", -30));
        });
        wait_until_blocked(&done)?;
        first.commit()?;
        match done.recv_timeout(Duration::from_secs(10))? {
            Err(TxnError::Conflict { .. }) => Ok(()),
            other => Err(format!("expected a conflict, got {other:?}").into()),
        }
    })?;
    assert_eq!(number(&store, "balance")?, 110);
    Ok(())
}

#[test]
fn a_rolled_back_holder_lets_the_waiter_go_without_a_refresh() -> TestResult {
    let store = store()?;
    seed(&store, &[("balance", "100")])?;
    let mut first = store.begin(IsolationLevel::Snapshot);
    let mut second = store.begin(IsolationLevel::Snapshot);
    add(&mut first, "balance", 10)?;
    let (tx, done) = mpsc::channel();
    std::thread::scope(|scope| -> TestResult {
        scope.spawn(move || {
            let result =
                add(&mut second, "balance", -30).and_then(|()| second.commit().map(|_| ()));
            let _ = tx.send(result);
        });
        wait_until_blocked(&done)?;
        first.rollback();
        done.recv_timeout(Duration::from_secs(10))??;
        Ok(())
    })?;
    assert_eq!(number(&store, "balance")?, 70);
    Ok(())
}

#[test]
fn reads_through_an_older_view_are_still_validated_after_a_refresh() -> TestResult {
    let store = store()?;
    seed(&store, &[("rate", "1"), ("balance", "100")])?;
    let mut txn = store.begin(IsolationLevel::Serializable);
    let mut old_view = txn.read_view();
    seed(&store, &[("rate", "2"), ("balance", "150")])?;
    add(&mut txn, "balance", 1)?; // refreshes past both commits
    assert_eq!(old_view.get(b"rate")?, Some(b("1")), "the old view keeps its snapshot");
    drop(old_view);
    match txn.commit() {
        Err(TxnError::Conflict { kind: ConflictKind::ReadWrite, .. }) => {}
        other => return Err(format!("a stale read must fail the commit: {other:?}").into()),
    }
    assert_eq!(number(&store, "balance")?, 150);
    Ok(())
}

#[test]
fn a_cycle_of_lock_waits_fails_one_transaction_with_deadlock() -> TestResult {
    let store = store()?;
    seed(&store, &[("a", "0"), ("b", "0")])?;
    let mut first = store.begin(IsolationLevel::Serializable);
    let mut second = store.begin(IsolationLevel::Serializable);
    add(&mut first, "a", 1)?;
    add(&mut second, "b", 1)?;
    let (tx, done) = mpsc::channel();
    std::thread::scope(|scope| -> TestResult {
        scope.spawn(move || {
            let result = add(&mut first, "b", 1).and_then(|()| first.commit().map(|_| ()));
            let _ = tx.send(result);
        });
        wait_until_blocked(&done)?;
        match add(&mut second, "a", 1) {
            Err(TxnError::Deadlock) => {}
            other => return Err(format!("expected a deadlock, got {other:?}").into()),
        }
        second.rollback();
        done.recv_timeout(Duration::from_secs(10))??;
        Ok(())
    })?;
    assert_eq!(number(&store, "a")?, 1);
    assert_eq!(number(&store, "b")?, 1);
    Ok(())
}

#[test]
fn an_interrupted_wait_returns_the_interruption() -> TestResult {
    let store = store()?;
    seed(&store, &[("k", "0")])?;
    let mut holder = store.begin(IsolationLevel::Serializable);
    add(&mut holder, "k", 1)?;
    let mut waiter = store.begin(IsolationLevel::Serializable);
    let mut polls = 0;
    let result = waiter.get_for_update(b"k", || {
        polls += 1;
        if polls < 3 { Ok(()) } else { Err(TxnError::Deadlock) }
    });
    assert!(matches!(result, Err(TxnError::Deadlock)), "{result:?}");
    assert_eq!(polls, 3, "the closure is polled while waiting");
    drop(waiter);
    holder.commit()?;
    assert_eq!(number(&store, "k")?, 1);
    Ok(())
}
