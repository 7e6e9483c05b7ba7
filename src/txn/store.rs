//! [`TxnStore`] and [`Transaction`]: the shell that runs the [`Oracle`]'s decisions against the
//! storage engine and a real clock.

use super::TxnError;
use super::locks::{Acquire, LockTable, TxnId};
use super::oracle::{IsolationLevel, Oracle, ReadSet};
use super::private::PrivateStorage;
use crate::storage::{Engine, ReverseScan, Scan, Timestamp, WriteBatch};
use crate::util::clock::PhysicalClock;
use bytes::Bytes;
use parking_lot::{Condvar, Mutex};
use std::collections::btree_map;
use std::collections::{BTreeMap, HashMap};
use std::iter::Peekable;
use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// Transactions over one storage engine (one shard).
#[derive(Debug)]
pub struct TxnStore {
    pub(super) engine: Arc<Engine>,
    pub(super) oracle: Mutex<Oracle>,
    /// Signalled whenever the oracle's visible timestamp may have advanced.
    pub(super) visible_changed: Condvar,
    /// The oracle's visible timestamp as last published under its lock (never ahead of
    /// it): a committer that finds its commit visible here need not take the lock.
    visible: AtomicU64,
    /// Row locks taken by [`Transaction::get_for_update`], and who is parked waiting.
    locks: Mutex<RowLocks>,
    next_txn_id: AtomicU64,
    /// Key prefixes whose every key is garbage (see [`TxnStore::discard_prefix`]).
    pub(super) dead_prefixes: Mutex<Vec<Bytes>>,
    /// Whether a thread is deleting dead prefixes.
    pub(super) reclaiming: AtomicBool,
    /// See [`TxnStore::set_private_flush_bytes`].
    pub(super) private_flush_bytes: AtomicUsize,
    pub(super) clock: Arc<dyn PhysicalClock>,
}

/// How long a lock waiter sleeps before it checks whether its statement was cancelled.
const LOCK_WAIT_SLICE: Duration = Duration::from_millis(10);

impl TxnStore {
    /// Wraps a recovered engine. Timestamps continue above everything it holds.
    pub fn new(engine: Arc<Engine>, clock: Arc<dyn PhysicalClock>) -> Arc<Self> {
        let oracle = Oracle::new(engine.max_committed_ts());
        Arc::new(Self {
            engine,
            visible: AtomicU64::new(oracle.visible()),
            oracle: Mutex::new(oracle),
            visible_changed: Condvar::new(),
            locks: Mutex::new(RowLocks::default()),
            next_txn_id: AtomicU64::new(1),
            dead_prefixes: Mutex::new(Vec::new()),
            reclaiming: AtomicBool::new(false),
            private_flush_bytes: AtomicUsize::new(super::private::FLUSH_BYTES),
            clock,
        })
    }

    /// Starts a transaction.
    pub fn begin(self: &Arc<Self>, isolation: IsolationLevel) -> Transaction {
        let snapshot = self.oracle.lock().begin();
        Transaction {
            store: self.clone(),
            id: self.next_txn_id.fetch_add(1, Ordering::Relaxed),
            registration: Arc::new(Registration { store: self.clone(), snapshot: Some(snapshot) }),
            holds_locks: false,
            private: PrivateStorage::new(snapshot),
            committed: false,
            snapshot,
            isolation,
            reads: Arc::new(Mutex::new(ReadSet::default())),
            writes: Arc::new(BTreeMap::new()),
            view: false,
        }
    }

    /// The underlying engine.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Drops versions no running or future transaction can see. Returns how many went.
    pub fn collect_garbage(&self) -> usize {
        let horizon = self.oracle.lock().gc_horizon();
        self.engine.collect_garbage(horizon)
    }

    /// Number of running transactions.
    pub fn running(&self) -> usize {
        self.oracle.lock().running()
    }

    /// Registers `snapshot` as in use until the returned pin is dropped.
    /// Reports the commit at `commit_ts` finished (applied when `applied`, else failed),
    /// together with every earlier commit the storage has applied by now.
    pub(super) fn report_finished(&self, oracle: &mut Oracle, commit_ts: Timestamp, applied: bool) {
        if applied {
            oracle.applied_through(self.engine.max_committed_ts());
        }
        oracle.finished(commit_ts);
        self.publish_visible(oracle);
    }

    /// Publishes every commit the storage has applied by now: called by the thread that
    /// applied a group of commits, before their committers wake (see `Engine::finish_then`).
    pub(super) fn publish_applied(&self) {
        let mut oracle = self.oracle.lock();
        oracle.applied_through(self.engine.max_committed_ts());
        self.publish_visible(&oracle);
    }

    /// Mirrors the oracle's visible timestamp into [`TxnStore::visible`] and wakes those
    /// waiting for it to advance. Call under the oracle's lock after changing it.
    pub(super) fn publish_visible(&self, oracle: &Oracle) {
        self.visible.fetch_max(oracle.visible(), Ordering::SeqCst);
        self.visible_changed.notify_all();
    }

    fn pin(self: &Arc<Self>, snapshot: Timestamp) -> SnapshotPin {
        self.oracle.lock().pin(snapshot);
        SnapshotPin { store: self.clone(), snapshot }
    }
}

fn clone_entry((key, value): (&Bytes, &Option<Bytes>)) -> (Bytes, Option<Bytes>) {
    (key.clone(), value.clone())
}

/// One transaction. Dropping it without committing rolls it back.
#[derive(Debug)]
pub struct Transaction {
    pub(super) store: Arc<TxnStore>,
    /// Identifies the transaction (and its read views) in the lock table.
    id: TxnId,
    /// The snapshot registered with the oracle at begin, shared with the read views: it stays
    /// registered until the transaction and all its views are gone, even if a refresh moves
    /// `snapshot` forward.
    registration: Arc<Registration>,
    /// Whether it may hold row locks that must be released when it ends.
    holds_locks: bool,
    /// Storage only this transaction can reach (see `private.rs`).
    pub(super) private: PrivateStorage,
    /// Set once the commit succeeded (for `Drop`).
    pub(super) committed: bool,
    /// The snapshot reads are made at.
    pub(super) snapshot: Timestamp,
    isolation: IsolationLevel,
    pub(super) reads: Arc<Mutex<ReadSet>>,
    /// Buffered writes; None is a delete.
    pub(super) writes: Arc<BTreeMap<Bytes, Option<Bytes>>>,
    /// A read view (see [`Transaction::read_view`]): it may read, never write or commit.
    pub(super) view: bool,
}

impl Transaction {
    /// A read-only view of this transaction: same snapshot, sees its writes so far (shared
    /// copy-on-write, so this is cheap), and records what it reads into this transaction's
    /// read set, so SERIALIZABLE validation covers reads made through views (subqueries).
    pub fn read_view(&self) -> Transaction {
        // The view shares the registration (no trip to the oracle): the snapshot it reads at
        // is at or after the registered one, so it stays readable while the view lives.
        Transaction {
            store: self.store.clone(),
            id: self.id,
            registration: self.registration.clone(),
            holds_locks: false,
            private: self.private.for_view(),
            committed: false,
            snapshot: self.snapshot,
            isolation: self.isolation,
            reads: self.reads.clone(),
            writes: self.writes.clone(),
            view: true,
        }
    }

    /// The storage engine's counters (for monitoring views such as `pg_stat_wal`).
    pub fn engine_stats(&self) -> crate::storage::EngineStats {
        self.store.engine.stats()
    }

    /// The snapshot timestamp this transaction reads at.
    pub fn snapshot(&self) -> Timestamp {
        self.snapshot
    }

    /// Reads `key`: the transaction's own write if it made one, else the snapshot's value.
    pub fn get(&mut self, key: &[u8]) -> Result<Option<Bytes>, TxnError> {
        if let Some(own) = self.writes.get(key) {
            return Ok(own.clone());
        }
        if self.private.covers(key) {
            return Ok(self.store.engine.get(key, self.private.read_ts)?);
        }
        let key = Bytes::copy_from_slice(key);
        let value = self.store.engine.get(&key, self.snapshot)?;
        self.reads.lock().add_key(key, self.snapshot);
        Ok(value)
    }

    /// Reads `key` to change it: takes the row's exclusive lock first, waiting while another
    /// transaction holds it, then reads the newest committed value. If a transaction
    /// committed a change to the row after this one's snapshot, the snapshot is refreshed
    /// (see [`Oracle::refresh`]) so the read sees that change instead of failing the commit
    /// later; if refreshing would break serializability, or this is a REPEATABLE READ
    /// transaction, the result is [`TxnError::Conflict`] (40001).
    ///
    /// `interrupted` is polled while waiting; its error (a cancelled statement) ends the
    /// wait. A wait that would deadlock fails at once with [`TxnError::Deadlock`].
    pub fn get_for_update<E: From<TxnError>>(
        &mut self,
        key: &[u8],
        mut interrupted: impl FnMut() -> Result<(), E>,
    ) -> Result<Option<Bytes>, E> {
        if self.view {
            return Ok(self.get(key)?);
        }
        let key = Bytes::copy_from_slice(key);
        self.lock_row(&key, &mut interrupted)?;
        if let Some(own) = self.writes.get(&key) {
            return Ok(own.clone());
        }
        self.catch_up_with(&key)?;
        let value = self.store.engine.get(&key, self.snapshot).map_err(TxnError::from)?;
        self.reads.lock().add_key(key, self.snapshot);
        Ok(value)
    }

    /// Takes the lock on `key`, waiting for its holder to end.
    fn lock_row<E: From<TxnError>>(
        &mut self,
        key: &Bytes,
        interrupted: &mut impl FnMut() -> Result<(), E>,
    ) -> Result<(), E> {
        self.holds_locks = true;
        let mut locks = self.store.locks.lock();
        loop {
            match locks.table.acquire(self.id, key) {
                Acquire::Granted => return Ok(()),
                Acquire::Deadlock => return Err(TxnError::Deadlock.into()),
                Acquire::Wait { .. } => {
                    // The holder unparks us when it releases its locks; the slice bounds how
                    // long a cancel goes unnoticed.
                    locks.parked.insert(self.id, std::thread::current());
                    drop(locks);
                    std::thread::park_timeout(LOCK_WAIT_SLICE);
                    let check = interrupted();
                    locks = self.store.locks.lock();
                    locks.parked.remove(&self.id);
                    if let Err(err) = check {
                        locks.table.stop_waiting(self.id);
                        return Err(err);
                    }
                }
            }
        }
    }

    /// If a commit after this transaction's snapshot wrote `key`, waits until that commit
    /// is visible and refreshes the snapshot past it.
    fn catch_up_with(&mut self, key: &[u8]) -> Result<(), TxnError> {
        let store = self.store.clone();
        let mut reads = self.reads.lock();
        let mut oracle = store.oracle.lock();
        let Some(written_at) = oracle.latest_write(key, self.snapshot) else {
            return Ok(());
        };
        while oracle.visible() < written_at {
            store.visible_changed.wait(&mut oracle);
        }
        let mut writes: Vec<Bytes> = self.writes.keys().cloned().collect();
        writes.dedup();
        self.snapshot = oracle.refresh(self.snapshot, self.isolation, &mut reads, &writes, key)?;
        Ok(())
    }

    /// Scans keys in (`start`, `end`) bounds at the snapshot, merged with the transaction's own
    /// writes, in key order. The whole range counts as read (phantom protection).
    pub fn scan(
        &mut self,
        start: Bound<Bytes>,
        end: Bound<Bytes>,
    ) -> Result<TxnScan<'_>, TxnError> {
        let read_ts = self.range_read_ts(&start, &end);
        let stored = self.store.engine.scan(start.clone(), end.clone(), read_ts)?.peekable();
        let own_range = if crate::util::bounds::is_empty(start.as_ref(), end.as_ref()) {
            // Nothing sorts below the empty key: an empty range of the right type.
            self.writes.range::<Bytes, _>((Bound::Unbounded, Bound::Excluded(&Bytes::new())))
        } else {
            self.writes.range((start, end))
        };
        let own = own_range.map(clone_entry as fn(_) -> _).peekable();
        Ok(MergedScan { stored, own, _pin: None })
    }

    /// Like [`Transaction::scan`] but the result borrows nothing: own writes in the range
    /// are copied, and the snapshot stays pinned until the scan is dropped.
    pub fn scan_owned(
        &mut self,
        start: Bound<Bytes>,
        end: Bound<Bytes>,
    ) -> Result<OwnedTxnScan, TxnError> {
        let read_ts = self.range_read_ts(&start, &end);
        let stored = self.store.engine.scan(start.clone(), end.clone(), read_ts)?.peekable();
        let own: Vec<(Bytes, Option<Bytes>)> =
            if crate::util::bounds::is_empty(start.as_ref(), end.as_ref()) {
                Vec::new()
            } else {
                self.writes.range((start, end)).map(|(k, v)| (k.clone(), v.clone())).collect()
            };
        let pin = self.store.pin(self.snapshot);
        Ok(MergedScan { stored, own: own.into_iter().peekable(), _pin: Some(pin) })
    }

    /// Like [`Transaction::scan_owned`] but in descending key order.
    pub fn scan_owned_reverse(
        &mut self,
        start: Bound<Bytes>,
        end: Bound<Bytes>,
    ) -> Result<ReverseTxnScan, TxnError> {
        let read_ts = self.range_read_ts(&start, &end);
        let stored =
            self.store.engine.scan_reverse(start.clone(), end.clone(), read_ts)?.peekable();
        let own: Vec<(Bytes, Option<Bytes>)> =
            if crate::util::bounds::is_empty(start.as_ref(), end.as_ref()) {
                Vec::new()
            } else {
                self.writes.range((start, end)).rev().map(|(k, v)| (k.clone(), v.clone())).collect()
            };
        let pin = self.store.pin(self.snapshot);
        Ok(ReverseTxnScan { stored, own: own.into_iter().peekable(), _pin: pin })
    }

    /// The timestamp a scan of the range reads at, recording the range as read unless it is
    /// private storage (which nobody else can write).
    fn range_read_ts(&self, start: &Bound<Bytes>, end: &Bound<Bytes>) -> Timestamp {
        if self.private.covers_range(start, end) {
            return self.private.read_ts;
        }
        self.reads.lock().add_range(start.clone(), end.clone(), self.snapshot);
        self.snapshot
    }

    /// Records a read of `key` (as [`Transaction::get`] would, without reading it): the
    /// commit fails if another transaction wrote it since this one's snapshot
    /// (SERIALIZABLE). For reads whose values were already used once, e.g. the catalog rows
    /// a cached plan was bound from.
    pub fn note_read(&mut self, key: Bytes) {
        if !self.writes.contains_key(&key) && !self.private.covers(&key) {
            self.reads.lock().add_key(key, self.snapshot);
        }
    }

    /// Records a read of a key range (as a scan would, without scanning it).
    pub fn note_range_read(&mut self, start: Bound<Bytes>, end: Bound<Bytes>) {
        self.range_read_ts(&start, &end);
    }

    /// Makes the commit fail with 40001 if another transaction commits a write inside the
    /// range after this one's snapshot, at every isolation level: what a statement relies
    /// on staying put (a table's definition while writing its rows, the rows a TRUNCATE
    /// discards).
    pub fn guard(&self, start: Bound<Bytes>, end: Bound<Bytes>) {
        self.reads.lock().add_guard(start, end, self.snapshot);
    }

    /// Captures the buffered writes so [`Transaction::rollback_to`] can restore them.
    /// Private storage is no longer flushed early from then on: a flushed write could not
    /// be taken back.
    pub fn savepoint(&mut self) -> Savepoint {
        self.private.flush_allowed = false;
        Savepoint {
            writes: self.writes.clone(),
            private_prefixes: self.private.prefixes.len(),
            dead_on_commit: self.private.dead_on_commit.len(),
        }
    }

    /// Forgets every write buffered since `savepoint` was taken, and the storage changes
    /// declared since (a table dropped after the savepoint keeps its rows).
    pub fn rollback_to(&mut self, savepoint: &Savepoint) {
        if !self.view {
            self.writes = savepoint.writes.clone();
            self.private.prefixes.truncate(savepoint.private_prefixes);
            self.private.dead_on_commit.truncate(savepoint.dead_on_commit);
        }
    }

    /// Whether the transaction has buffered writes.
    pub fn has_writes(&self) -> bool {
        !self.writes.is_empty()
    }

    /// Buffers a write of `value` to `key`.
    pub fn put(&mut self, key: impl Into<Bytes>, value: impl Into<Bytes>) {
        if !self.view {
            let (key, value) = (key.into(), value.into());
            self.private.count_write(&key, value.len());
            Arc::make_mut(&mut self.writes).insert(key, Some(value));
        }
    }

    /// Buffers a delete of `key`.
    pub fn delete(&mut self, key: impl Into<Bytes>) {
        if !self.view {
            let key = key.into();
            self.private.count_write(&key, 0);
            Arc::make_mut(&mut self.writes).insert(key, None);
        }
    }

    /// Number of buffered writes.
    pub fn pending_writes(&self) -> usize {
        self.writes.len()
    }

    /// Validates and durably commits. Returns the commit timestamp (the snapshot timestamp
    /// for a read-only transaction). On [`TxnError::Conflict`] nothing was written.
    pub fn commit(mut self) -> Result<Timestamp, TxnError> {
        if self.view {
            return Ok(self.snapshot);
        }
        if self.writes.is_empty() {
            self.committed = true;
            self.private.on_commit(&self.store);
            return Ok(self.snapshot);
        }
        let writes = std::mem::take(&mut self.writes);
        let writes = Arc::try_unwrap(writes).unwrap_or_else(|shared| (*shared).clone());
        let keys: Vec<Bytes> = writes.keys().cloned().collect();
        let mut batch = WriteBatch::new();
        for (key, value) in writes {
            match value {
                Some(value) => batch.put(key, value),
                None => batch.delete(key),
            }
        }
        let reads_shared = self.reads.clone();
        let reads = reads_shared.lock();
        let store = self.store.clone();
        let (commit_ts, pending) = {
            let mut oracle = store.oracle.lock();
            let now = store.clock.now_millis();
            let commit_ts =
                oracle.validate_and_assign(now, self.snapshot, self.isolation, &reads, &keys)?;
            match store.engine.submit(commit_ts, batch) {
                Ok(pending) => {
                    // The transaction reads nothing more: unregister its snapshot now,
                    // under the lock already held, unless read views still share it.
                    if let Some(registration) = Arc::get_mut(&mut self.registration)
                        && let Some(snapshot) = registration.snapshot.take()
                    {
                        oracle.end(snapshot);
                    }
                    (commit_ts, pending)
                }
                Err(err) => {
                    oracle.finished(commit_ts);
                    store.publish_visible(&oracle);
                    return Err(err.into());
                }
            }
        };
        drop(reads);
        // The committer that writes the WAL batch applies and publishes the whole group
        // before the others wake, so usually this commit is visible on return.
        let result = store.engine.finish_then(pending, &|| store.publish_applied());
        if result.is_err() || store.visible.load(Ordering::SeqCst) < commit_ts {
            let mut oracle = store.oracle.lock();
            store.report_finished(&mut oracle, commit_ts, result.is_ok());
            result?;
            // Read your writes: acknowledge only once new snapshots include this commit,
            // i.e. once every commit with a smaller timestamp has been applied too
            // (normally already reported with this one; see `Oracle::applied_through`).
            while oracle.visible() < commit_ts {
                store.visible_changed.wait(&mut oracle);
            }
        }
        self.committed = true;
        self.private.on_commit(&store);
        Ok(commit_ts)
    }

    /// Discards the transaction's writes.
    pub fn rollback(self) {}
}

impl Drop for Transaction {
    fn drop(&mut self) {
        if !self.view && !self.committed {
            self.private.on_abort(&self.store);
        }
        if self.holds_locks {
            let mut locks = self.store.locks.lock();
            // Wake only the transactions waiting for a lock this one held.
            for waiter in locks.table.waiters_of(self.id) {
                if let Some(thread) = locks.parked.remove(&waiter) {
                    thread.unpark();
                }
            }
            locks.table.release_all(self.id);
        }
    }
}

/// Rows of a [`Transaction::scan`]: stored rows at the snapshot overlaid with own writes.
pub type TxnScan<'a> = MergedScan<
    std::iter::Map<
        btree_map::Range<'a, Bytes, Option<Bytes>>,
        fn((&'a Bytes, &'a Option<Bytes>)) -> (Bytes, Option<Bytes>),
    >,
>;

/// Rows of a [`Transaction::scan_owned`]: like [`TxnScan`] but borrowing nothing, so it can
/// outlive the statement that started it (a streaming result, a suspended portal). It keeps
/// its snapshot pinned so garbage collection cannot remove versions it still needs.
pub type OwnedTxnScan = MergedScan<std::vec::IntoIter<(Bytes, Option<Bytes>)>>;

/// Stored rows merged with a transaction's own writes (`None` = own delete), in key order.
pub struct MergedScan<I: Iterator<Item = (Bytes, Option<Bytes>)>> {
    stored: Peekable<Scan>,
    own: Peekable<I>,
    _pin: Option<SnapshotPin>,
}

impl<I: Iterator<Item = (Bytes, Option<Bytes>)>> Iterator for MergedScan<I> {
    type Item = Result<(Bytes, Bytes), TxnError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let stored_key = match self.stored.peek() {
                Some(Ok((key, _))) => Some(key.clone()),
                Some(Err(_)) => return self.stored.next().map(|r| r.map_err(TxnError::from)),
                None => None,
            };
            let own_key = self.own.peek().map(|(key, _)| key.clone());
            let take_own = match (&stored_key, &own_key) {
                (None, None) => return None,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some(s), Some(o)) => {
                    if s == o {
                        self.stored.next(); // shadowed by our own write
                    }
                    o <= s
                }
            };
            if !take_own {
                return self.stored.next().map(|r| r.map_err(TxnError::from));
            }
            let (key, value) = self.own.next()?;
            if let Some(value) = value {
                return Some(Ok((key, value)));
            }
            // Our own delete: skip the key.
        }
    }
}

/// Rows of a [`Transaction::scan_owned_reverse`]: stored rows at the snapshot overlaid with
/// own writes, in descending key order; keeps the snapshot pinned like [`OwnedTxnScan`].
pub struct ReverseTxnScan {
    stored: Peekable<ReverseScan>,
    own: Peekable<std::vec::IntoIter<(Bytes, Option<Bytes>)>>,
    _pin: SnapshotPin,
}

impl Iterator for ReverseTxnScan {
    type Item = Result<(Bytes, Bytes), TxnError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let stored_key = match self.stored.peek() {
                Some(Ok((key, _))) => Some(key.clone()),
                Some(Err(_)) => return self.stored.next().map(|r| r.map_err(TxnError::from)),
                None => None,
            };
            let own_key = self.own.peek().map(|(key, _)| key.clone());
            let take_own = match (&stored_key, &own_key) {
                (None, None) => return None,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some(s), Some(o)) => {
                    if s == o {
                        self.stored.next(); // shadowed by our own write
                    }
                    o >= s
                }
            };
            if !take_own {
                return self.stored.next().map(|r| r.map_err(TxnError::from));
            }
            let (key, value) = self.own.next()?;
            if let Some(value) = value {
                return Some(Ok((key, value)));
            }
        }
    }
}

/// The row lock table, and the threads parked waiting in it (by transaction).
#[derive(Debug, Default)]
struct RowLocks {
    table: LockTable,
    parked: HashMap<TxnId, std::thread::Thread>,
}

/// A transaction's snapshot registration (see [`Oracle::begin`]), ended when the last of the
/// transaction and its read views is dropped (or early, by a commit that has no views).
#[derive(Debug)]
struct Registration {
    store: Arc<TxnStore>,
    /// None once ended.
    snapshot: Option<Timestamp>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(snapshot) = self.snapshot {
            self.store.oracle.lock().end(snapshot);
        }
    }
}

/// Keeps a snapshot timestamp registered as running while alive (see [`Oracle::pin`]).
#[derive(Debug)]
pub struct SnapshotPin {
    store: Arc<TxnStore>,
    snapshot: Timestamp,
}

impl Drop for SnapshotPin {
    fn drop(&mut self) {
        self.store.oracle.lock().end(self.snapshot);
    }
}

/// A transaction's buffered writes at a savepoint (see [`Transaction::savepoint`]).
#[derive(Debug, Clone)]
pub struct Savepoint {
    writes: Arc<BTreeMap<Bytes, Option<Bytes>>>,
    /// How many storage prefixes were private, and how many doomed at commit, back then.
    private_prefixes: usize,
    dead_on_commit: usize,
}
