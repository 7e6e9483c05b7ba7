//! Private storage: key prefixes that only one transaction can reach, written straight to
//! the engine instead of being buffered until commit.
//!
//! Why: a transaction buffers its writes in memory and hands them to the engine as one
//! batch at commit. That is what makes it atomic, but a bulk load (`pgbench -i -s 100` copies
//! 10 M rows in one transaction; `ALTER TABLE ... ADD PRIMARY KEY` rewrites every row) would
//! need gigabytes of buffer. PostgreSQL's answer is a new relation file for a table created
//! or truncated in the same transaction: nobody else can see it until the catalog change
//! that points at it commits. We do the same with key prefixes: the SQL layer gives a new
//! table, a truncated table and a rewritten table fresh storage (a new prefix) and declares
//! it private with [`Transaction::make_private`]. Writes under a private prefix may then be
//! flushed to the engine early ([`Transaction::flush_private_if_large`]), each flush an
//! unvalidated commit at its own timestamp; the transaction reads its private storage at
//! the newest flush (merged with what is still buffered), and records no read set there.
//!
//! Atomicity still holds: other transactions reach the storage only through the catalog,
//! which changes with the final commit. If the transaction aborts (or the process dies),
//! the flushed rows are garbage under an unreferenced prefix; [`TxnStore::discard_prefix`]
//! queues such prefixes for deletion in the background, and the SQL layer does the same at
//! startup for storage no table references. Savepoints turn flushing off for the rest of
//! the transaction, as a flushed write could not be rolled back to a savepoint.
//!
//! Depends on: `storage` (through the store), `bytes`.

use super::TxnError;
use super::store::{Transaction, TxnStore};
use crate::storage::{Timestamp, WriteBatch};
use crate::util::bounds::prefix_end;
use bytes::Bytes;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Buffered private writes above this many bytes are flushed to the engine (tests set a
/// smaller threshold with [`TxnStore::set_private_flush_bytes`]). A flush holds several
/// copies of the batch at once (the buffered map, the encoded record, the WAL's queue), so
/// this bounds a bulk load's transient memory: `pgbench -i -s 100` with
/// `--memory-limit-mb 256` peaked at 515–538 MB resident with 16 MB, 469 MB with 4 MB, at
/// the same load time.
pub(super) const FLUSH_BYTES: usize = 4 << 20;

/// Keys deleted per transaction while reclaiming a dead prefix. Small batches keep each
/// reclaiming commit a short WAL write that does not hold up the group commits of
/// connections (a `TRUNCATE` of a large table leaves hundreds of thousands of keys).
const RECLAIM_BATCH: usize = 1_000;

/// The reclaiming thread's nice value: the lowest priority. Dead storage costs only disk
/// space until it is deleted, so the deleting runs on CPU that nothing else wants.
const RECLAIM_NICE: i32 = 19;

/// While other commits keep arriving, the reclaimer waits before each batch until none has
/// come for this long: on a busy server its deletes (their log writes, and the checkpoints
/// and merges their tombstones cause) would take disk time and CPU from the clients. Like
/// PostgreSQL's autovacuum cost delay, background cleanup gives way to foreground work.
const RECLAIM_QUIET: Duration = Duration::from_millis(50);

/// The longest the reclaimer gives way, in all: under sustained load it then goes on anyway.
const RECLAIM_MAX_DEFER: Duration = Duration::from_secs(60);

/// Decides when the reclaimer may delete its next batch (see [`RECLAIM_QUIET`]): fed the
/// time and the number of commits by others so far, it answers how long to wait first.
#[derive(Debug)]
pub(super) struct ReclaimPacer {
    started: Instant,
    /// Others' commits when last asked, and since when that count has not moved.
    others: u64,
    quiet_since: Instant,
}

impl ReclaimPacer {
    pub(super) fn new(now: Instant, others: u64) -> Self {
        Self { started: now, others, quiet_since: now }
    }

    /// `None`: go ahead now; `Some(wait)`: ask again after `wait`.
    pub(super) fn wait_before_batch(&mut self, now: Instant, others: u64) -> Option<Duration> {
        if others != self.others {
            self.others = others;
            self.quiet_since = now;
        }
        let quiet_for = now.saturating_duration_since(self.quiet_since);
        if quiet_for >= RECLAIM_QUIET
            || now.saturating_duration_since(self.started) >= RECLAIM_MAX_DEFER
        {
            return None;
        }
        Some(RECLAIM_QUIET - quiet_for)
    }
}

/// A transaction's private storage bookkeeping.
#[derive(Debug, Clone)]
pub(super) struct PrivateStorage {
    /// Private key prefixes.
    pub(super) prefixes: Vec<Bytes>,
    /// Private storage is read at this timestamp (the newest flush).
    pub(super) read_ts: Timestamp,
    /// Bytes of private writes buffered since the last flush.
    buffered: usize,
    /// False once a savepoint was taken (or for a read view).
    pub(super) flush_allowed: bool,
    /// Whether anything was flushed (so an abort leaves garbage to reclaim).
    flushed: bool,
    /// Prefixes that become garbage if the transaction commits (dropped or replaced
    /// storage).
    pub(super) dead_on_commit: Vec<Bytes>,
}

impl PrivateStorage {
    pub(super) fn new(snapshot: Timestamp) -> Self {
        Self {
            prefixes: Vec::new(),
            read_ts: snapshot,
            buffered: 0,
            flush_allowed: true,
            flushed: false,
            dead_on_commit: Vec::new(),
        }
    }

    /// What a read view of the transaction needs: where to read private storage.
    pub(super) fn for_view(&self) -> Self {
        Self {
            prefixes: self.prefixes.clone(),
            read_ts: self.read_ts,
            buffered: 0,
            flush_allowed: false,
            flushed: false,
            dead_on_commit: Vec::new(),
        }
    }

    /// Whether `key` lies in private storage.
    pub(super) fn covers(&self, key: &[u8]) -> bool {
        !self.prefixes.is_empty() && self.prefixes.iter().any(|p| key.starts_with(p))
    }

    /// Whether the whole range lies in one private prefix.
    pub(super) fn covers_range(&self, start: &Bound<Bytes>, end: &Bound<Bytes>) -> bool {
        if self.prefixes.is_empty() {
            return false;
        }
        let (Bound::Included(first) | Bound::Excluded(first)) = start else {
            return false;
        };
        let (Bound::Included(last) | Bound::Excluded(last)) = end else {
            return false;
        };
        self.prefixes.iter().any(|prefix| {
            first.starts_with(prefix)
                && (last.starts_with(prefix)
                    || prefix_end(prefix).is_some_and(|limit| last.as_ref() <= limit.as_slice()))
        })
    }

    /// Counts a buffered write toward the next flush.
    pub(super) fn count_write(&mut self, key: &[u8], value_len: usize) {
        if self.covers(key) {
            self.buffered += key.len() + value_len;
        }
    }

    /// The commit succeeded: storage it replaced or dropped is garbage now.
    pub(super) fn on_commit(&mut self, store: &Arc<TxnStore>) {
        for prefix in std::mem::take(&mut self.dead_on_commit) {
            store.discard_prefix(prefix);
        }
    }

    /// The transaction ends without committing: flushed private rows are garbage.
    pub(super) fn on_abort(&mut self, store: &Arc<TxnStore>) {
        if self.flushed {
            for prefix in std::mem::take(&mut self.prefixes) {
                store.discard_prefix(prefix);
            }
        }
    }
}

impl Transaction {
    /// Declares `prefix` private: storage this transaction created and nobody else can
    /// reach until it commits (see the module docs). It must hold no committed data yet.
    pub fn make_private(&mut self, prefix: impl Into<Bytes>) {
        if !self.view {
            self.private.prefixes.push(prefix.into());
        }
    }

    /// Declares that every key under `prefix` is garbage once this transaction commits
    /// (storage of a dropped, truncated or rewritten table). Deleted in the background.
    pub fn discard_on_commit(&mut self, prefix: impl Into<Bytes>) {
        if !self.view {
            self.private.dead_on_commit.push(prefix.into());
        }
    }

    /// Flushes buffered private writes to the engine once they exceed a few megabytes.
    pub fn flush_private_if_large(&mut self) -> Result<(), TxnError> {
        let threshold = self.store.private_flush_bytes.load(Ordering::Relaxed);
        if self.view || !self.private.flush_allowed || self.private.buffered < threshold {
            return Ok(());
        }
        self.flush_private()
    }

    /// Writes every buffered private write to the engine as one unvalidated commit.
    fn flush_private(&mut self) -> Result<(), TxnError> {
        let writes = Arc::make_mut(&mut self.writes);
        let mut batch = WriteBatch::new();
        let mut kept = BTreeMap::new();
        for (key, value) in std::mem::take(writes) {
            if !self.private.covers(&key) {
                kept.insert(key, value);
                continue;
            }
            match value {
                Some(value) => batch.put(key, value),
                None => batch.delete(key),
            }
        }
        *writes = kept;
        self.private.buffered = 0;
        self.private.flushed = true;
        self.private.read_ts = self.store.commit_unvalidated(batch)?;
        Ok(())
    }
}

impl TxnStore {
    /// Sets how many bytes of private writes a transaction buffers before flushing them.
    pub fn set_private_flush_bytes(&self, bytes: usize) {
        self.private_flush_bytes.store(bytes.max(1), Ordering::Relaxed);
    }

    /// Whether dead storage is still waiting to be deleted.
    pub fn reclaim_pending(&self) -> bool {
        !self.dead_prefixes.lock().is_empty() || self.reclaiming.load(Ordering::Acquire)
    }

    /// Applies `batch` durably at a fresh timestamp without validating it (its keys are
    /// private storage). Returns the timestamp.
    fn commit_unvalidated(&self, batch: WriteBatch) -> Result<Timestamp, TxnError> {
        let (commit_ts, pending) = {
            let mut oracle = self.oracle.lock();
            let commit_ts = oracle.assign_unvalidated(self.clock.now_millis());
            match self.engine.submit(commit_ts, batch) {
                Ok(pending) => (commit_ts, pending),
                Err(err) => {
                    oracle.finished(commit_ts);
                    self.publish_visible(&oracle);
                    return Err(err.into());
                }
            }
        };
        let result = self.engine.finish_then(pending, &|| self.publish_applied());
        self.report_finished(&mut self.oracle.lock(), commit_ts, result.is_ok());
        result?;
        Ok(commit_ts)
    }

    /// Queues every key under `prefix` for deletion by a background thread: storage no
    /// table will ever reach again.
    pub fn discard_prefix(self: &Arc<Self>, prefix: Bytes) {
        self.dead_prefixes.lock().push(prefix);
        if self.reclaiming.swap(true, Ordering::AcqRel) {
            return; // the running reclaimer will pick it up
        }
        let store = self.clone();
        let spawned =
            std::thread::Builder::new().name("quorumdb-reclaim".into()).spawn(move || {
                crate::util::priority::lower_current_thread(RECLAIM_NICE);
                loop {
                    if let Err(err) = store.reclaim_dead_prefixes() {
                        tracing::warn!(
                            "reclaiming dropped storage failed (retried at startup): {err}"
                        );
                    }
                    store.reclaiming.store(false, Ordering::Release);
                    // A prefix queued after the last look but before the flag cleared would
                    // otherwise wait for the next discard.
                    if store.dead_prefixes.lock().is_empty()
                        || store.reclaiming.swap(true, Ordering::AcqRel)
                    {
                        return;
                    }
                }
            });
        if spawned.is_err() {
            self.reclaiming.store(false, Ordering::Release);
        }
    }

    /// Deletes every key under the queued dead prefixes, a batch per transaction. Returns
    /// how many keys went.
    pub fn reclaim_dead_prefixes(self: &Arc<Self>) -> Result<usize, TxnError> {
        let mut deleted = 0;
        // Commits by others: every durable commit minus the reclaimer's own batches.
        let commits_at_start = self.engine.durable_commits();
        let mut own_batches = 0;
        let others =
            |own: u64| self.engine.durable_commits().saturating_sub(commits_at_start + own);
        let mut pacer = ReclaimPacer::new(Instant::now(), others(0));
        loop {
            let Some(prefix) = self.dead_prefixes.lock().last().cloned() else {
                return Ok(deleted);
            };
            let end = prefix_end(&prefix).map_or(Bound::Unbounded, |e| Bound::Excluded(e.into()));
            // Each batch resumes after the last key deleted: starting over at the prefix
            // would step over every tombstone written so far, quadratic work in the rows.
            let mut start = Bound::Included(prefix.clone());
            loop {
                while let Some(wait) = pacer.wait_before_batch(Instant::now(), others(own_batches))
                {
                    std::thread::sleep(wait);
                }
                let mut txn = self.begin(super::IsolationLevel::Snapshot);
                let keys: Vec<Bytes> = txn
                    .scan(start.clone(), end.clone())?
                    .take(RECLAIM_BATCH)
                    .map(|entry| entry.map(|(key, _)| key))
                    .collect::<Result<_, _>>()?;
                drop(txn);
                if keys.is_empty() {
                    break;
                }
                deleted += keys.len();
                if let Some(last) = keys.last() {
                    start = Bound::Excluded(last.clone());
                }
                // No transaction can reach these keys any more (older snapshots keep reading
                // the versions below the deletes), so nothing needs validating, and the
                // oracle need not remember the keys for conflict checks.
                let mut batch = WriteBatch::new();
                for key in keys {
                    batch.delete(key);
                }
                self.commit_unvalidated(batch)?;
                own_batches += 1;
            }
            let mut queue = self.dead_prefixes.lock();
            if let Some(position) = queue.iter().position(|p| *p == prefix) {
                queue.swap_remove(position);
            }
        }
    }
}
