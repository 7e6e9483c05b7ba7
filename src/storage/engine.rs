//! [`Engine`]: opening and recovering the store, the commit path, and reads.
//! Checkpoints, merges and garbage collection are in `maintenance.rs`.

use super::background::Background;
use super::checkpoint_file::CheckpointFile;
use super::manifest::{self, Manifest};
use super::memtable::{Entry, Memtable, VersionKey};
use super::merge::{
    MemtableCursor, MergeIter, ReverseMemtableCursor, ReverseScan, Scan, VersionSource,
};
use super::{RECORD_COMMIT, StorageError, Timestamp, WriteBatch};
use crate::vfs::{FileSystem, LockGuard};
use crate::wal::{Lsn, Wal, WalOptions};
use bytes::Bytes;
use parking_lot::{Condvar, Mutex, RwLock};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Tunables of the engine.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// WAL settings (sync mode, segment size).
    pub wal: WalOptions,
    /// Memory limit for memtables, in bytes. A checkpoint starts when the active memtable
    /// reaches half of it; writers wait if a frozen one is still being written and the active
    /// one reaches half again.
    pub memtable_bytes: usize,
    /// Merge checkpoint files when there are more than this many.
    pub max_checkpoint_files: usize,
    /// Run checkpoints on a background thread (production). When false, the writer that
    /// crosses the memory threshold checkpoints inline (deterministic tests).
    pub background: bool,
    /// The background thread also checkpoints a non-empty memtable this often, bounding
    /// recovery time on a quiet system.
    pub checkpoint_interval: Duration,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            wal: WalOptions::default(),
            memtable_bytes: 64 << 20,
            max_checkpoint_files: 8,
            background: true,
            checkpoint_interval: Duration::from_secs(60),
        }
    }
}

/// The current set of levels, swapped as a whole; readers hold an `Arc` to a consistent one.
#[derive(Debug, Clone)]
pub(super) struct Levels {
    /// Receives commits logged at or after its `first_lsn`.
    pub active: Arc<Memtable>,
    /// Frozen memtables awaiting their checkpoint, newest first.
    pub frozen: Vec<Arc<Memtable>>,
    /// Checkpoint files, newest first.
    pub files: Vec<Arc<CheckpointFile>>,
}

/// Counters and sizes, for tests, benchmarks and monitoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Approximate bytes in the active memtable.
    pub active_memtable_bytes: usize,
    /// Versions in all memtables.
    pub memtable_versions: usize,
    /// Frozen memtables not yet checkpointed.
    pub frozen_memtables: usize,
    /// Checkpoint files in the live set.
    pub checkpoint_files: usize,
    /// Versions in all checkpoint files.
    pub file_versions: u64,
    /// WAL position covered by the last checkpoint.
    pub checkpoint_lsn: Lsn,
    /// WAL segment files on disk.
    pub wal_segments: usize,
    /// Checkpoints completed since open.
    pub checkpoints: u64,
    /// File merges completed since open.
    pub merges: u64,
    /// WAL fsyncs since open.
    pub wal_syncs: u64,
    /// WAL records made durable since open.
    pub wal_records: u64,
    /// WAL write batches (one write call each) since open.
    pub wal_writes: u64,
    /// WAL bytes written since open.
    pub wal_bytes: u64,
}

/// A batch logged but not yet durable or visible; finish it with [`Engine::finish`].
#[derive(Debug)]
#[must_use = "a submitted write must be finished"]
pub struct PendingWrite {
    lsn: Lsn,
}

/// A batch in the WAL that is not yet in a memtable (see [`Engine::finish`]).
#[derive(Debug)]
pub(super) struct Unapplied {
    ts: Timestamp,
    batch: WriteBatch,
}

impl PendingWrite {
    /// The WAL position of the batch.
    pub fn lsn(&self) -> Lsn {
        self.lsn
    }
}

/// The storage engine. Open with [`Engine::open`]; share the returned `Arc` across threads.
#[derive(Debug)]
pub struct Engine {
    pub(super) fs: Arc<dyn FileSystem>,
    pub(super) dir: PathBuf,
    pub(super) options: EngineOptions,
    pub(super) wal: Wal,
    pub(super) levels: RwLock<Arc<Levels>>,
    /// Orders timestamp checks, WAL submission and memtable freezes.
    pub(super) commit_order: Mutex<Timestamp>,
    /// Batches submitted but not yet applied (or failed), by LSN.
    pub(super) inflight: Mutex<BTreeMap<Lsn, Unapplied>>,
    pub(super) inflight_done: Condvar,
    /// Serializes checkpoints, merges and GC; holds the manifest as last stored.
    pub(super) maintenance: Mutex<Manifest>,
    pub(super) gc_horizon: AtomicU64,
    /// Copy of the manifest's checkpoint LSN, readable without waiting for maintenance.
    pub(super) checkpoint_lsn: AtomicU64,
    pub(super) max_ts: AtomicU64,
    pub(super) checkpoints: AtomicU64,
    pub(super) merges: AtomicU64,
    pub(super) memory_freed: Condvar,
    pub(super) memory_wait: Mutex<()>,
    pub(super) background: Option<Background>,
    _lock: LockGuard,
}

impl Engine {
    /// Opens (creating if needed) the store in `data_dir` and recovers it: the checkpoint files
    /// the manifest names, then every WAL record after the checkpoint position.
    pub fn open(
        fs: Arc<dyn FileSystem>,
        data_dir: &Path,
        options: EngineOptions,
    ) -> Result<Arc<Self>, StorageError> {
        let dir = data_dir.join("storage");
        fs.create_dir_all(&dir).map_err(|e| StorageError::io("create dir", &dir, e))?;
        let lock_path = data_dir.join("LOCK");
        let lock = fs.lock(&lock_path).map_err(|e| StorageError::io("lock", &lock_path, e))?;
        let manifest = Manifest::load(fs.as_ref(), &dir)?;
        remove_leftovers(fs.as_ref(), &dir, &manifest)?;
        let mut files = Vec::with_capacity(manifest.files.len());
        for record in &manifest.files {
            let path = dir.join(manifest::file_name(record.id));
            files.push(Arc::new(CheckpointFile::open(fs.as_ref(), &path)?));
        }
        let mut max_ts = files.iter().map(|f| f.summary().max_ts).max().unwrap_or(0);
        let wal_dir = data_dir.join("wal");
        let mut recovered = Vec::new();
        let wal = Wal::open(
            fs.clone(),
            &wal_dir,
            options.wal.clone(),
            manifest.checkpoint_lsn,
            |lsn, kind, payload| {
                replay_record(&wal_dir, &mut recovered, &mut max_ts, lsn, kind, payload)
            },
        )?;

        tracing::info!(
            dir = %data_dir.display(),
            checkpoint_lsn = manifest.checkpoint_lsn,
            replayed = wal.next_lsn() - manifest.checkpoint_lsn,
            files = files.len(),
            "storage engine recovered"
        );
        // A merge may have dropped the newest versions (tombstones below the GC horizon), so
        // the horizon is also a floor: snapshots and new timestamps must not fall below it.
        let max_ts = max_ts.max(manifest.gc_horizon);
        // Replayed data becomes a frozen sorted run; the next checkpoint writes it out.
        let mut frozen = Vec::new();
        if !recovered.is_empty() {
            frozen.push(Arc::new(Memtable::from_recovered(manifest.checkpoint_lsn, recovered)));
        }
        let active = Memtable::new(wal.next_lsn());
        let levels = Levels { active: Arc::new(active), frozen, files };
        let background = options.background.then(Background::new);
        let gc_horizon = manifest.gc_horizon;
        let checkpoint_lsn = manifest.checkpoint_lsn;
        let engine = Arc::new(Self {
            fs,
            dir,
            options,
            wal,
            levels: RwLock::new(Arc::new(levels)),
            commit_order: Mutex::new(max_ts),
            inflight: Mutex::new(BTreeMap::new()),
            inflight_done: Condvar::new(),
            maintenance: Mutex::new(manifest),
            gc_horizon: AtomicU64::new(gc_horizon),
            checkpoint_lsn: AtomicU64::new(checkpoint_lsn),
            max_ts: AtomicU64::new(max_ts),
            checkpoints: AtomicU64::new(0),
            merges: AtomicU64::new(0),
            memory_freed: Condvar::new(),
            memory_wait: Mutex::new(()),
            background,
            _lock: lock,
        });
        if let Some(background) = &engine.background {
            background.spawn(Arc::downgrade(&engine));
        }
        Ok(engine)
    }

    /// Stops background work and waits for a checkpoint in progress to finish. Afterwards
    /// dropping the last handle releases the data directory at once (without `close`, a
    /// checkpoint running at that moment keeps it locked until the checkpoint ends). Reads
    /// and writes still work; checkpoints then run only when called.
    pub fn close(&self) {
        if let Some(background) = &self.background {
            background.stop_and_join();
        }
    }

    /// Logs `batch` at commit timestamp `ts` and returns without waiting for the disk.
    /// Timestamps must increase from one call to the next. The batch becomes durable and
    /// visible in [`Engine::finish`]; until then no reader sees any of it.
    pub fn submit(&self, ts: Timestamp, batch: WriteBatch) -> Result<PendingWrite, StorageError> {
        self.wait_for_memory();
        let payload = batch.encode(ts);
        let mut last_ts = self.commit_order.lock();
        if ts <= *last_ts {
            let reason =
                format!("commit timestamp {ts} is not after the previous one, {}", *last_ts);
            return Err(StorageError::InvalidRequest(reason));
        }
        let lsn = self.wal.submit(RECORD_COMMIT, &payload)?;
        *last_ts = ts;
        self.inflight.lock().insert(lsn, Unapplied { ts, batch });
        Ok(PendingWrite { lsn })
    }

    /// Waits until a submitted batch is durable, then makes sure it is visible to reads at
    /// its timestamp. On error nothing of the batch is visible.
    ///
    /// Batches are applied to the memtable in LSN order (which is timestamp order), and
    /// whoever gets there first applies every durable batch before its own: one fsync wakes
    /// several committers at once, and the first of them to run does the work of all, so the
    /// others find their batch applied and need not wait for each other. Hence, once this
    /// returns Ok, every batch with a timestamp up to [`Engine::max_committed_ts`] is applied.
    pub fn finish(&self, pending: PendingWrite) -> Result<(), StorageError> {
        self.finish_then(pending, &|| {})
    }

    /// [`Engine::finish`], and if this thread writes the WAL batch (see
    /// [`Wal::wait_durable_then`]), it applies every durable batch and then calls
    /// `on_applied` before the batch's other committers wake up: they find their batches
    /// applied, and whatever `on_applied` publishes (the transaction layer makes the commits
    /// visible there) already published.
    pub fn finish_then(
        &self,
        pending: PendingWrite,
        on_applied: &dyn Fn(),
    ) -> Result<(), StorageError> {
        let apply_batch = |end: Lsn| {
            // A failure here is reported by each committer's own `apply_through` below.
            if self.apply_through(end - 1).is_ok() {
                on_applied();
            }
        };
        let applied = self
            .wal
            .wait_durable_then(pending.lsn, &apply_batch)
            .map_err(StorageError::from)
            .and_then(|()| self.apply_through(pending.lsn));
        if let Err(err) = applied {
            self.inflight.lock().remove(&pending.lsn);
            self.inflight_done.notify_all();
            return Err(err);
        }
        self.after_write()
    }

    /// Applies the submitted batches up to and including `lsn` (all durable) that nobody
    /// applied yet, in order.
    fn apply_through(&self, lsn: Lsn) -> Result<(), StorageError> {
        // Read before locking `inflight` (a freeze takes them in the other order). Every
        // batch up to `lsn` was submitted before, so its memtable is among these levels.
        let levels = self.current_levels();
        let mut inflight = self.inflight.lock();
        let mut applied_any = false;
        let mut result = Ok(());
        while let Some(entry) = inflight.first_entry()
            && *entry.key() <= lsn
        {
            // The newest memtable that starts at or before the batch's LSN receives it.
            let lsn = *entry.key();
            let Some(table) = std::iter::once(&levels.active)
                .chain(&levels.frozen)
                .find(|t| t.first_lsn() <= lsn)
            else {
                result = Err(StorageError::InvalidRequest(format!("no memtable for LSN {lsn}")));
                break;
            };
            let Unapplied { ts, batch } = entry.remove();
            table.apply(ts, batch.writes());
            self.max_ts.fetch_max(ts, Ordering::SeqCst);
            applied_any = true;
        }
        drop(inflight);
        if applied_any {
            self.inflight_done.notify_all();
        }
        result
    }

    /// Logs, syncs and applies `batch` at `ts`: [`Engine::submit`] then [`Engine::finish`].
    pub fn write(&self, ts: Timestamp, batch: WriteBatch) -> Result<(), StorageError> {
        let pending = self.submit(ts, batch)?;
        self.finish(pending)
    }

    pub(super) fn current_levels(&self) -> Arc<Levels> {
        self.levels.read().clone()
    }

    /// Gives the pages of every live checkpoint file that scans and lookups touched back to
    /// the kernel (they count as resident memory while mapped, and stay in the page cache).
    pub(super) fn release_mapped_pages(&self) {
        self.current_levels().files.iter().for_each(|file| file.release_pages());
    }

    fn check_snapshot(&self, ts: Timestamp) -> Result<(), StorageError> {
        let horizon = self.gc_horizon.load(Ordering::SeqCst);
        if ts < horizon {
            return Err(StorageError::SnapshotTooOld { requested: ts, horizon });
        }
        Ok(())
    }

    /// The value of `key` as of snapshot `ts`.
    pub fn get(&self, key: &[u8], ts: Timestamp) -> Result<Option<Bytes>, StorageError> {
        self.check_snapshot(ts)?;
        let levels = self.current_levels();
        for table in std::iter::once(&levels.active).chain(&levels.frozen) {
            if let Some(entry) = table.get(key, ts) {
                return Ok(entry.value);
            }
        }
        for file in &levels.files {
            if let Some(entry) = file.get(key, ts)? {
                return Ok(entry.value);
            }
        }
        Ok(None)
    }

    /// Live (key, value) pairs with keys in [`start`, `end`) bounds, as of snapshot `ts`, in key
    /// order. The scan streams and sees one consistent snapshot even while checkpoints run.
    pub fn scan(
        &self,
        start: Bound<Bytes>,
        end: Bound<Bytes>,
        ts: Timestamp,
    ) -> Result<Scan, StorageError> {
        self.check_snapshot(ts)?;
        let levels = self.current_levels();
        let from = match &start {
            Bound::Included(key) | Bound::Excluded(key) => {
                Bound::Included(VersionKey::first_of(key.clone()))
            }
            Bound::Unbounded => Bound::Unbounded,
        };
        let until = match &end {
            Bound::Included(key) => Bound::Included(VersionKey::new(key.clone(), 0)),
            Bound::Excluded(key) => Bound::Excluded(VersionKey::first_of(key.clone())),
            Bound::Unbounded => Bound::Unbounded,
        };
        let mut sources: Vec<Box<dyn VersionSource>> = Vec::new();
        for table in std::iter::once(&levels.active).chain(&levels.frozen) {
            sources.push(Box::new(MemtableCursor::new(table.clone(), from.clone(), until.clone())));
        }
        for file in &levels.files {
            let cursor = match &from {
                Bound::Included(seek) => file.cursor_at(seek)?,
                _ => file.iter(),
            };
            sources.push(Box::new(cursor));
        }
        Ok(Scan::new(MergeIter::new(sources), ts, start, end))
    }

    /// Like [`Engine::scan`] but in descending key order.
    pub fn scan_reverse(
        &self,
        start: Bound<Bytes>,
        end: Bound<Bytes>,
        ts: Timestamp,
    ) -> Result<ReverseScan, StorageError> {
        self.check_snapshot(ts)?;
        let levels = self.current_levels();
        let lower = match &start {
            Bound::Included(key) | Bound::Excluded(key) => {
                Bound::Included(VersionKey::first_of(key.clone()))
            }
            Bound::Unbounded => Bound::Unbounded,
        };
        let upper = match &end {
            Bound::Included(key) => Bound::Included(VersionKey::new(key.clone(), 0)),
            Bound::Excluded(key) => Bound::Excluded(VersionKey::first_of(key.clone())),
            Bound::Unbounded => Bound::Unbounded,
        };
        let mut sources: Vec<Box<dyn VersionSource>> = Vec::new();
        for table in std::iter::once(&levels.active).chain(&levels.frozen) {
            sources.push(Box::new(ReverseMemtableCursor::new(
                table.clone(),
                lower.clone(),
                upper.clone(),
            )));
        }
        for file in &levels.files {
            sources.push(Box::new(file.reverse_cursor(upper.as_ref())?));
        }
        Ok(ReverseScan::new(MergeIter::new_reverse(sources), ts, start, end))
    }

    /// The largest commit timestamp applied (or recovered). A clock restarting after a crash
    /// must issue timestamps above it. Batches are applied in timestamp order, so every
    /// batch submitted with a timestamp up to this one is applied (or has failed).
    pub fn max_committed_ts(&self) -> Timestamp {
        self.max_ts.load(Ordering::SeqCst)
    }

    /// Versions below this timestamp may have been garbage-collected.
    pub fn gc_horizon(&self) -> Timestamp {
        self.gc_horizon.load(Ordering::SeqCst)
    }

    /// Commits made durable since open (WAL records): a cheap way to tell a busy store.
    pub fn durable_commits(&self) -> u64 {
        self.wal.stats().records
    }

    /// Current sizes and counters.
    pub fn stats(&self) -> EngineStats {
        let levels = self.current_levels();
        let wal = self.wal.stats();
        EngineStats {
            active_memtable_bytes: levels.active.approx_bytes(),
            memtable_versions: std::iter::once(&levels.active)
                .chain(&levels.frozen)
                .map(|t| t.len())
                .sum(),
            frozen_memtables: levels.frozen.len(),
            checkpoint_files: levels.files.len(),
            file_versions: levels.files.iter().map(|f| f.summary().entries).sum(),
            checkpoint_lsn: self.checkpoint_lsn.load(Ordering::SeqCst),
            wal_segments: self.wal.segment_count(),
            checkpoints: self.checkpoints.load(Ordering::Relaxed),
            merges: self.merges.load(Ordering::Relaxed),
            wal_syncs: wal.syncs,
            wal_records: wal.records,
            wal_writes: wal.batches,
            wal_bytes: wal.bytes,
        }
    }

    /// Bytes the memtables may hold before a checkpoint is due.
    pub(super) fn freeze_threshold(&self) -> usize {
        (self.options.memtable_bytes / 2).max(1)
    }

    /// Backpressure: wait while memory is at the limit and the checkpointer is catching up.
    /// Two cases block a writer: a frozen memtable is still being written out and the active
    /// one has already reached its half of the budget, or the checkpointer has not yet
    /// frozen an active memtable that reached the whole budget (it may be slow to get a CPU).
    fn wait_for_memory(&self) {
        let Some(background) = &self.background else {
            return;
        };
        let mut guard = self.memory_wait.lock();
        loop {
            let levels = self.current_levels();
            let active = levels.active.approx_bytes();
            let checkpoint_behind = !levels.frozen.is_empty() && active >= self.freeze_threshold();
            let over_budget = active >= self.options.memtable_bytes;
            if !checkpoint_behind && !over_budget {
                return;
            }
            background.wake();
            self.memory_freed.wait_for(&mut guard, Duration::from_millis(50));
        }
    }

    /// Starts a checkpoint (background) or runs it (inline mode) if memory calls for one.
    fn after_write(&self) -> Result<(), StorageError> {
        if self.current_levels().active.approx_bytes() < self.freeze_threshold() {
            return Ok(());
        }
        match &self.background {
            Some(background) => {
                background.wake();
                Ok(())
            }
            None => self.checkpoint().map(|_| ()),
        }
    }
}

/// Decodes one recovered WAL record into `recovered` (loaded into the memtable at the end).
fn replay_record(
    wal_dir: &Path,
    recovered: &mut Vec<Entry>,
    max_ts: &mut Timestamp,
    lsn: Lsn,
    kind: u8,
    payload: &Bytes,
) -> Result<(), StorageError> {
    let bad = |reason: String| {
        StorageError::corruption(wal_dir, 0, format!("record at LSN {lsn}: {reason}"))
    };
    if kind != RECORD_COMMIT {
        return Err(bad(format!("unknown record kind {kind} (written by a newer version?)")));
    }
    let (ts, batch) = WriteBatch::decode(payload).map_err(|r| bad(r.to_string()))?;
    if ts <= *max_ts {
        return Err(bad(format!("commit timestamp {ts} does not increase (previous {max_ts})")));
    }
    recovered.extend(batch.into_writes().into_iter().map(|(key, value)| Entry { key, ts, value }));
    *max_ts = (*max_ts).max(ts);
    Ok(())
}

/// Deletes files the manifest does not name: output of an interrupted checkpoint or merge.
fn remove_leftovers(
    fs: &dyn FileSystem,
    dir: &Path,
    manifest: &Manifest,
) -> Result<(), StorageError> {
    let live: BTreeSet<String> = manifest.files.iter().map(|f| manifest::file_name(f.id)).collect();
    let mut removed = false;
    for name in fs.list_dir(dir).map_err(|e| StorageError::io("list", dir, e))? {
        let leftover = (name.ends_with(".ckpt") && !live.contains(&name)) || name.ends_with(".tmp");
        if leftover {
            let path = dir.join(&name);
            tracing::info!(file = %path.display(), "removing leftover of an interrupted checkpoint");
            fs.remove_file(&path).map_err(|e| StorageError::io("remove", &path, e))?;
            removed = true;
        }
    }
    if removed {
        fs.sync_dir(dir).map_err(|e| StorageError::io("sync dir", dir, e))?;
    }
    Ok(())
}
