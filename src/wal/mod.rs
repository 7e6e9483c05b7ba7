//! The write-ahead log: a segmented, append-only, checksummed record log with group commit.
//!
//! The WAL stores opaque records (`kind` byte + payload) at consecutive log sequence numbers
//! ([`Lsn`]). It knows nothing of transactions, SQL or Raft: the storage engine logs commit
//! batches in it today, and the replication layer will log Raft entries and hard state in it
//! (records addressed by LSN, a suffix cut by [`Wal::truncate_from`] on a leader change, a
//! prefix dropped by [`Wal::remove_before`] once a checkpoint covers it).
//!
//! Group commit
//! ============
//!
//! Committers call [`Wal::submit`], which frames the record into a shared buffer and assigns
//! its LSN, then [`Wal::wait_durable`]. The first waiter that finds no write in progress
//! becomes the writer: it takes the whole buffer, appends it with one `write`, issues one
//! `fdatasync` (on a real disk both are one synchronous direct write, see
//! `vfs::direct_log`), and wakes everyone whose record is now durable. Records that arrive
//! during that fsync accumulate for the next writer, so under load one fsync covers many
//! commits. There is no dedicated thread, which keeps the single-threaded simulator simple.
//!
//! A writer may first *gather*: when fewer records are queued than there are committers
//! in the last two batches (committers that commit in a loop, like the clients of a busy
//! server), it waits up to [`WalOptions::gather_max`] (about one device write) for the
//! rest, so that one write carries them all instead of leaving them for the next one. On
//! the 2-core VM of docs/performance.md: 8 clients inserting, ~7.8 commits per write
//! instead of ~3.4; 2 clients, +33% commits per second. A lone committer never waits, and
//! a gather ends the moment the expected records are queued. PostgreSQL's `commit_delay`
//! with `commit_siblings` is the same idea with fixed settings.
//!
//! The writer can also do, once per batch, what each of its committers would do after its
//! wait ([`Wal::wait_durable_then`]): the storage engine applies the batch to the memtable
//! there and the transaction layer makes its commits visible, before the other committers
//! wake; they find their commits applied and visible instead of queueing for the memtable's
//! and the oracle's locks one after another (8 clients inserting: ~3% more commits/s).
//!
//! Waiters register (LSN, thread) in the queue and park. A finished write wakes exactly the
//! committers it made durable, plus one waiter of the next batch to write that (when it has
//! records), instead of every waiting thread; and a woken committer learns that its record
//! is durable from an atomic, without taking the queue's lock again (with a condition
//! variable, every woken thread would take the lock in turn).
//!
//! If a write or fsync fails, the WAL is *poisoned*: the failed batch and everything after it
//! fail, and no further commit is accepted until the process restarts and recovery establishes
//! what is really on disk (after an fsync error the kernel may have dropped the dirty pages, so
//! retrying would be a lie — the lesson of PostgreSQL's "fsyncgate").
//!
//! Recovery
//! ========
//!
//! [`Wal::open`] scans the segments in order, checks they are contiguous, hands every record at
//! or after the requested LSN to the caller, and cuts a torn tail off the last segment (see
//! [`segment`] for the torn-versus-corrupt rule).
//!
//! Depends on: `vfs`, `encoding`.

mod error;
pub mod record;
pub mod segment;

pub use error::WalError;
pub use segment::Lsn;

use crate::vfs::{FileSystem, WritableFile};
use bytes::Bytes;
use parking_lot::{Condvar, Mutex, MutexGuard};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

/// When appended records reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncMode {
    /// fdatasync after every batch: a commit is acknowledged only once it is on disk.
    #[default]
    Fsync,
    /// Never fsync. UNSAFE: acknowledged commits can be lost on power failure or OS crash.
    /// For tests and benchmarks of everything but the disk.
    Off,
}

/// Tunables of the log.
#[derive(Debug, Clone)]
pub struct WalOptions {
    /// When records reach the disk.
    pub sync: SyncMode,
    /// A new segment starts once the current one reaches this size.
    pub segment_bytes: u64,
    /// Largest accepted payload.
    pub max_record_bytes: usize,
    /// Submitters wait while this many bytes are already queued behind a running write.
    pub max_pending_bytes: usize,
    /// The longest a writer waits for the committers it expects before writing (see the
    /// module docs on gathering); zero turns gathering off.
    pub gather_max: Duration,
}

impl Default for WalOptions {
    fn default() -> Self {
        Self {
            sync: SyncMode::Fsync,
            segment_bytes: 64 << 20,
            max_record_bytes: 256 << 20,
            max_pending_bytes: 64 << 20,
            gather_max: GATHER_MAX,
        }
    }
}

/// Counters for benchmarks and monitoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalStats {
    /// Records made durable.
    pub records: u64,
    /// Batches written (one write call each).
    pub batches: u64,
    /// fdatasync calls on segment files.
    pub syncs: u64,
    /// Bytes written.
    pub bytes: u64,
}

#[derive(Debug, Default)]
struct Counters {
    records: AtomicU64,
    batches: AtomicU64,
    syncs: AtomicU64,
    bytes: AtomicU64,
}

/// State shared by submitters and the current writer, under one mutex.
#[derive(Debug)]
struct Queue {
    /// LSN the next submitted record gets.
    next_lsn: Lsn,
    /// Framed records not yet taken by a writer; the first has LSN `buffer_first_lsn`.
    buffer: Vec<u8>,
    buffer_first_lsn: Lsn,
    /// Every record below this LSN is durable.
    durable_lsn: Lsn,
    /// A writer is appending a batch right now.
    writing: bool,
    /// Committers parked until their record is durable (or until they are picked to write
    /// the next batch).
    waiters: Vec<(Lsn, std::thread::Thread)>,
    /// Set after a failed write or fsync; see the module docs.
    poisoned: Option<WalError>,
    /// The threads that submitted the records in `buffer`, in order (with repeats).
    buffer_committers: Vec<ThreadId>,
    /// The threads whose records the last batch written carried.
    last_batch_committers: Vec<ThreadId>,
    /// Distinct committers of the last two batches: how many records a writer waits for
    /// (see the module docs on gathering).
    expected_batch: usize,
    /// While a writer gathers: the record count at which submitters wake it (else 0).
    gather_target: usize,
}

impl Queue {
    /// Records submitted but not yet taken by a writer.
    fn buffered_records(&self) -> usize {
        (self.next_lsn - self.buffer_first_lsn) as usize
    }
}

/// The default of [`WalOptions::gather_max`]: about the time one synchronous write takes on
/// a typical SSD or virtual disk, so that gathering at most doubles the latency of a commit
/// that waits, and usually saves a whole write.
pub const GATHER_MAX: Duration = Duration::from_micros(150);

/// The active segment is zero-filled this far ahead of its appends (see `Wal::write_batch`).
const PREALLOCATE_BYTES: u64 = 1 << 20;

/// Opens (or creates) a segment for appending. With [`SyncMode::Fsync`] it is opened as a
/// log file ([`FileSystem::open_log`]: on a real disk, each batch is one direct, synchronous
/// write instead of a write and an fdatasync).
fn open_segment(
    fs: &dyn FileSystem,
    options: &WalOptions,
    path: &Path,
    create: bool,
) -> Result<Box<dyn WritableFile>, WalError> {
    let opened = match (options.sync, create) {
        (SyncMode::Fsync, _) => fs.open_log(path, create),
        (SyncMode::Off, true) => fs.create(path),
        (SyncMode::Off, false) => fs.open_append(path),
    };
    opened.map_err(|e| WalError::io(if create { "create" } else { "open" }, path, e))
}

/// The active segment, owned by whichever thread is writing.
#[derive(Debug)]
struct Writer {
    file: Box<dyn WritableFile>,
    /// How far `file` is zero-filled (at least its append position).
    preallocated: u64,
    /// First LSN of every segment on disk, ascending; the last one is `file`.
    segments: Vec<Lsn>,
}

/// The write-ahead log. Share it between threads with `Arc`.
#[derive(Debug)]
pub struct Wal {
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    options: WalOptions,
    queue: Mutex<Queue>,
    /// `Queue::durable_lsn`, readable without the lock (it only grows, except that
    /// `truncate_from` moves it back, with nobody waiting).
    durable_lsn: AtomicU64,
    /// Submitters held back by a full buffer, and truncations waiting for writes to end.
    writer_idle: Condvar,
    /// A gathering writer, woken once the records it waits for are queued.
    gathered: Condvar,
    writer: Mutex<Writer>,
    counters: Counters,
}

impl Wal {
    /// Opens (or creates) the log in `dir` and recovers it. Every record with LSN >=
    /// `replay_from` is passed to `apply` in order, as a zero-copy slice of the mapped segment
    /// (keeping it alive keeps that mapping alive; segments are only ever cut after the
    /// records handed out, so the slice stays valid). `replay_from` is where the caller's
    /// durable state ends (a checkpoint position); records below it may already be deleted.
    pub fn open<E: From<WalError>>(
        fs: Arc<dyn FileSystem>,
        dir: &Path,
        options: WalOptions,
        replay_from: Lsn,
        mut apply: impl FnMut(Lsn, u8, &Bytes) -> Result<(), E>,
    ) -> Result<Self, E> {
        fs.create_dir_all(dir).map_err(|e| WalError::io("create dir", dir, e))?;
        let names = fs.list_dir(dir).map_err(|e| WalError::io("list", dir, e))?;
        let mut segments: Vec<Lsn> =
            names.iter().filter_map(|n| segment::parse_file_name(n)).collect();
        segments.sort_unstable();
        if replay_from > segment::MAX_LSN {
            return Err(WalError::InvalidPosition {
                lsn: replay_from,
                reason: "beyond the largest LSN",
            }
            .into());
        }
        if let Some(&last) = segments.last().filter(|&&last| last > segment::MAX_LSN) {
            let file = dir.join(segment::file_name(last));
            let reason = "segment name is beyond the largest LSN".to_string();
            return Err(WalError::Corruption { file, offset: 0, reason }.into());
        }

        if segments.is_empty() {
            let path = dir.join(segment::file_name(replay_from));
            let file = open_segment(fs.as_ref(), &options, &path, true)?;
            fs.sync_dir(dir).map_err(|e| WalError::io("sync dir", dir, e))?;
            return Ok(Self::new(fs, dir, options, file, vec![replay_from], replay_from));
        }
        if segments[0] > replay_from {
            let path = dir.join(segment::file_name(segments[0]));
            return Err(WalError::Corruption {
                file: path,
                offset: 0,
                reason: format!(
                    "log starts at LSN {} but recovery needs LSN {replay_from}",
                    segments[0]
                ),
            }
            .into());
        }

        let mut next_lsn = segments[0];
        for (i, &first) in segments.iter().enumerate() {
            let path = dir.join(segment::file_name(first));
            if first != next_lsn {
                let reason = format!("expected segment starting at LSN {next_lsn}, found {first}");
                return Err(WalError::Corruption { file: path, offset: 0, reason }.into());
            }
            let is_last = i + 1 == segments.len();
            let bytes =
                Bytes::from_owner(fs.map(&path).map_err(|e| WalError::io("map", &path, e))?);
            let outcome = segment::scan(
                &path,
                &bytes,
                is_last,
                options.max_record_bytes,
                |index, kind, payload| {
                    let lsn = first + index;
                    if lsn >= replay_from {
                        apply(lsn, kind, &bytes.slice_ref(payload))
                    } else {
                        Ok(())
                    }
                },
            )?;
            let file_len = bytes.len() as u64;
            drop(bytes);
            next_lsn = first + outcome.records;
            if is_last && outcome.valid_len < file_len {
                // Appends continue right after the last record: cut what follows it, the
                // unused preallocated zeros or a torn write.
                if let Some(reason) = outcome.torn {
                    tracing::warn!(
                        file = %path.display(),
                        offset = outcome.valid_len,
                        reason,
                        "WAL ends in a torn write (crash during an unsynced append); cutting it off"
                    );
                }
                let mut file = fs.open_append(&path).map_err(|e| WalError::io("open", &path, e))?;
                file.truncate(outcome.valid_len).map_err(|e| WalError::io("truncate", &path, e))?;
                file.sync_data().map_err(|e| WalError::io("fsync", &path, e))?;
            }
        }
        if next_lsn < replay_from {
            let last = dir.join(segment::file_name(segments[segments.len() - 1]));
            let reason = format!("log ends at LSN {next_lsn} but recovery needs LSN {replay_from}");
            return Err(WalError::Corruption { file: last, offset: 0, reason }.into());
        }
        let active = dir.join(segment::file_name(segments[segments.len() - 1]));
        let file = open_segment(fs.as_ref(), &options, &active, false)?;
        Ok(Self::new(fs, dir, options, file, segments, next_lsn))
    }

    fn new(
        fs: Arc<dyn FileSystem>,
        dir: &Path,
        options: WalOptions,
        file: Box<dyn WritableFile>,
        segments: Vec<Lsn>,
        next_lsn: Lsn,
    ) -> Self {
        let preallocated = file.len();
        let queue = Queue {
            next_lsn,
            buffer: Vec::new(),
            buffer_first_lsn: next_lsn,
            durable_lsn: next_lsn,
            writing: false,
            waiters: Vec::new(),
            poisoned: None,
            buffer_committers: Vec::new(),
            last_batch_committers: Vec::new(),
            expected_batch: 0,
            gather_target: 0,
        };
        Self {
            fs,
            dir: dir.to_path_buf(),
            options,
            queue: Mutex::new(queue),
            durable_lsn: AtomicU64::new(next_lsn),
            writer_idle: Condvar::new(),
            gathered: Condvar::new(),
            writer: Mutex::new(Writer { file, preallocated, segments }),
            counters: Counters::default(),
        }
    }

    /// Queues a record and returns its LSN. It is not durable until [`Wal::wait_durable`]
    /// returns Ok for that LSN. Records are durable in LSN order.
    pub fn submit(&self, kind: u8, payload: &[u8]) -> Result<Lsn, WalError> {
        if payload.len() > self.options.max_record_bytes {
            let max = self.options.max_record_bytes;
            return Err(WalError::RecordTooLarge { size: payload.len(), max });
        }
        let mut queue = self.queue.lock();
        while queue.writing && queue.buffer.len() >= self.options.max_pending_bytes {
            if let Some(err) = &queue.poisoned {
                return Err(err.clone());
            }
            self.writer_idle.wait(&mut queue);
        }
        if let Some(err) = &queue.poisoned {
            return Err(err.clone());
        }
        if queue.next_lsn >= segment::MAX_LSN {
            return Err(WalError::InvalidPosition { lsn: queue.next_lsn, reason: "log is full" });
        }
        record::encode(&mut queue.buffer, kind, payload);
        let lsn = queue.next_lsn;
        queue.next_lsn += 1;
        queue.buffer_committers.push(std::thread::current().id());
        if queue.gather_target > 0 && queue.buffered_records() >= queue.gather_target {
            self.gathered.notify_one();
        }
        Ok(lsn)
    }

    /// Blocks until the record at `lsn` is durable (or, with [`SyncMode::Off`], written).
    pub fn wait_durable(&self, lsn: Lsn) -> Result<(), WalError> {
        self.wait_durable_then(lsn, &|_| {})
    }

    /// Like [`Wal::wait_durable`]; and if this thread ends up writing a batch, it calls
    /// `on_durable(end)` (`end`: the LSN after the batch) once the batch is durable and
    /// before it wakes the batch's other committers. Work that each committer would
    /// otherwise do after waking (applying the batch, publishing it) is then done once, by
    /// the thread already running, and the committers wake to find it done instead of
    /// contending for it. It runs outside the WAL's locks, possibly while the next batch is
    /// being written, and is not called for a failed write.
    pub fn wait_durable_then(&self, lsn: Lsn, on_durable: &dyn Fn(Lsn)) -> Result<(), WalError> {
        loop {
            if lsn < self.durable_lsn.load(Ordering::Acquire) {
                return Ok(());
            }
            let mut queue = self.queue.lock();
            if lsn < queue.durable_lsn {
                return Ok(());
            }
            if let Some(err) = &queue.poisoned {
                return Err(err.clone());
            }
            if lsn >= queue.next_lsn {
                return Err(WalError::InvalidPosition { lsn, reason: "never submitted" });
            }
            if !queue.writing {
                self.gather(&mut queue);
                self.write_pending(&mut queue, on_durable);
                continue;
            }
            // The writer unparks us once our record is durable, or to write the next batch.
            // An unpark that comes before the park makes the park return at once.
            queue.waiters.push((lsn, std::thread::current()));
            drop(queue);
            std::thread::park();
        }
    }

    /// Submits a record and waits until it is durable.
    pub fn append(&self, kind: u8, payload: &[u8]) -> Result<Lsn, WalError> {
        let lsn = self.submit(kind, payload)?;
        self.wait_durable(lsn)?;
        Ok(lsn)
    }

    /// Called by a would-be writer (queue locked, no write in progress): waits, as the
    /// writer, until the committers expected for this batch have queued their records or
    /// [`WalOptions::gather_max`] has passed. See the module docs.
    fn gather(&self, queue: &mut MutexGuard<'_, Queue>) {
        let expected = queue.expected_batch;
        let gather_max = self.options.gather_max;
        if self.options.sync != SyncMode::Fsync
            || gather_max.is_zero()
            || queue.buffered_records() >= expected
        {
            return;
        }
        queue.writing = true; // others queue behind us meanwhile
        queue.gather_target = expected;
        let deadline = Instant::now() + gather_max;
        while queue.buffered_records() < expected && queue.poisoned.is_none() {
            if self.gathered.wait_until(queue, deadline).timed_out() {
                break;
            }
        }
        queue.gather_target = 0;
        queue.writing = false;
    }

    /// Makes the calling thread the writer for everything queued: one write, one fsync; then
    /// `on_durable` (see [`Wal::wait_durable_then`]). Called with the queue locked and no
    /// write in progress; unlocks it during the IO and the call.
    fn write_pending(&self, queue: &mut MutexGuard<'_, Queue>, on_durable: &dyn Fn(Lsn)) {
        let batch = std::mem::take(&mut queue.buffer);
        let first = queue.buffer_first_lsn;
        let end = queue.next_lsn;
        let committers = std::mem::take(&mut queue.buffer_committers);
        queue.buffer_first_lsn = end;
        queue.writing = true;
        let result = MutexGuard::unlocked(queue, || self.write_batch(&batch, first));
        queue.writing = false;
        match result {
            Ok(()) => {
                queue.durable_lsn = end;
                self.durable_lsn.store(end, Ordering::Release);
                self.counters.records.fetch_add(end - first, Ordering::Relaxed);
                self.counters.batches.fetch_add(1, Ordering::Relaxed);
                self.counters.bytes.fetch_add(batch.len() as u64, Ordering::Relaxed);
                let previous = std::mem::replace(&mut queue.last_batch_committers, committers);
                queue.expected_batch = distinct_count(&previous, &queue.last_batch_committers);
            }
            Err(err) => {
                tracing::error!(error = %err, "WAL write failed; refusing further commits");
                queue.poisoned = Some(WalError::Poisoned { cause: err.to_string() });
            }
        }
        // Wake this batch's committers; and, if records gathered meanwhile, one of the next
        // batch's, to write them (a failure wakes everyone: they all get the error).
        let failed = queue.poisoned.is_some();
        let mut woken = Vec::new();
        queue.waiters.retain(|(lsn, thread)| {
            let wake = failed || *lsn < end;
            if wake {
                woken.push(thread.clone());
            }
            !wake
        });
        let next_writer =
            if queue.buffer.is_empty() { None } else { queue.waiters.pop().map(|(_, t)| t) };
        self.writer_idle.notify_all();
        MutexGuard::unlocked(queue, || {
            // The next write starts while this batch's follow-up work runs.
            next_writer.iter().for_each(std::thread::Thread::unpark);
            if !failed && end > first {
                on_durable(end);
            }
            woken.iter().for_each(std::thread::Thread::unpark);
        });
    }

    fn write_batch(&self, batch: &[u8], first: Lsn) -> Result<(), WalError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut writer = self.writer.lock();
        if !writer.file.is_empty() && writer.file.len() >= self.options.segment_bytes {
            self.rotate(&mut writer, first)?;
        }
        let active = writer.segments[writer.segments.len() - 1];
        let path = |active| self.segment_path(active);
        // Zero-fill ahead of the append, a megabyte at a time (but not far past the segment's
        // end), so most batches overwrite existing blocks and their fdatasync writes no
        // metadata; recovery reads trailing zeros as the end of the log (see `segment`).
        let end = writer.file.len() + batch.len() as u64;
        if end > writer.preallocated {
            let ahead = end.next_multiple_of(PREALLOCATE_BYTES).min(self.options.segment_bytes);
            let target = ahead.max(end);
            writer
                .file
                .preallocate(target)
                .map_err(|e| WalError::io("preallocate", path(active), e))?;
            writer.preallocated = target;
        }
        if self.options.sync == SyncMode::Fsync {
            let file = &mut writer.file;
            file.append_durable(batch).map_err(|e| WalError::io("write", path(active), e))?;
            self.counters.syncs.fetch_add(1, Ordering::Relaxed);
        } else {
            writer.file.write_all(batch).map_err(|e| WalError::io("write", path(active), e))?;
        }
        Ok(())
    }

    /// Starts a new segment whose first record will be `first`. The old one is already fully
    /// synced (every batch is), which is what lets recovery treat it as sealed.
    fn rotate(&self, writer: &mut Writer, first: Lsn) -> Result<(), WalError> {
        let path = self.segment_path(first);
        let file = open_segment(self.fs.as_ref(), &self.options, &path, true)?;
        self.sync_dir()?;
        writer.file = file;
        writer.preallocated = 0;
        writer.segments.push(first);
        Ok(())
    }

    fn sync_dir(&self) -> Result<(), WalError> {
        self.fs.sync_dir(&self.dir).map_err(|e| WalError::io("sync dir", &self.dir, e))
    }

    fn segment_path(&self, first: Lsn) -> PathBuf {
        self.dir.join(segment::file_name(first))
    }

    /// Deletes whole segments all of whose records have LSN < `lsn` (never the active one).
    /// Call once a checkpoint durably covers everything below `lsn`.
    pub fn remove_before(&self, lsn: Lsn) -> Result<usize, WalError> {
        let mut writer = self.writer.lock();
        let removable = writer.segments.windows(2).take_while(|pair| pair[1] <= lsn).count();
        for &first in &writer.segments[..removable] {
            let path = self.segment_path(first);
            self.fs.remove_file(&path).map_err(|e| WalError::io("remove", &path, e))?;
        }
        if removable > 0 {
            self.sync_dir()?;
        }
        writer.segments.drain(..removable);
        Ok(removable)
    }

    /// Removes every record with LSN >= `lsn`, durably; the next record gets LSN `lsn`. Used
    /// when a Raft leader overwrites a conflicting suffix. Pending records are flushed first.
    pub fn truncate_from(&self, lsn: Lsn) -> Result<(), WalError> {
        let mut queue = self.queue.lock();
        loop {
            if let Some(err) = &queue.poisoned {
                return Err(err.clone());
            }
            if queue.writing {
                self.writer_idle.wait(&mut queue);
            } else if !queue.buffer.is_empty() {
                self.write_pending(&mut queue, &|_| {});
            } else {
                break;
            }
        }
        let mut writer = self.writer.lock();
        let first_lsn = writer.segments[0];
        if lsn < first_lsn || lsn > queue.next_lsn {
            return Err(WalError::InvalidPosition { lsn, reason: "outside the log" });
        }
        let keep = writer.segments.iter().rposition(|&first| first <= lsn).unwrap_or(0);
        for &first in writer.segments[keep + 1..].iter().rev() {
            let path = self.segment_path(first);
            self.fs.remove_file(&path).map_err(|e| WalError::io("remove", &path, e))?;
        }
        writer.segments.truncate(keep + 1);
        let first = writer.segments[keep];
        let path = self.segment_path(first);
        let cut = self.offset_of(&path, lsn - first)?;
        let mut file = open_segment(self.fs.as_ref(), &self.options, &path, false)?;
        file.truncate(cut).map_err(|e| WalError::io("truncate", &path, e))?;
        file.sync_data().map_err(|e| WalError::io("fsync", &path, e))?;
        self.sync_dir()?;
        writer.preallocated = cut;
        writer.file = file;
        queue.next_lsn = lsn;
        queue.buffer_first_lsn = lsn;
        queue.buffer_committers.clear();
        queue.durable_lsn = lsn;
        self.durable_lsn.store(lsn, Ordering::Release);
        Ok(())
    }

    /// Byte offset of the `index`-th record of a segment.
    fn offset_of(&self, path: &Path, index: u64) -> Result<u64, WalError> {
        let bytes = self.fs.map(path).map_err(|e| WalError::io("map", path, e))?;
        let mut offset = 0usize;
        for _ in 0..index {
            match record::decode(&bytes, offset, self.options.max_record_bytes) {
                record::Frame::Valid { frame_len, .. } => offset += frame_len,
                _ => {
                    let reason = "record vanished during truncation".to_string();
                    return Err(WalError::Corruption {
                        file: path.into(),
                        offset: offset as u64,
                        reason,
                    });
                }
            }
        }
        Ok(offset as u64)
    }

    /// The LSN the next submitted record will get.
    pub fn next_lsn(&self) -> Lsn {
        self.queue.lock().next_lsn
    }

    /// Every record below this LSN is durable.
    pub fn durable_lsn(&self) -> Lsn {
        self.queue.lock().durable_lsn
    }

    /// The first LSN still on disk.
    pub fn first_lsn(&self) -> Lsn {
        self.writer.lock().segments[0]
    }

    /// Number of segment files.
    pub fn segment_count(&self) -> usize {
        self.writer.lock().segments.len()
    }

    /// Counters since open.
    pub fn stats(&self) -> WalStats {
        WalStats {
            records: self.counters.records.load(Ordering::Relaxed),
            batches: self.counters.batches.load(Ordering::Relaxed),
            syncs: self.counters.syncs.load(Ordering::Relaxed),
            bytes: self.counters.bytes.load(Ordering::Relaxed),
        }
    }
}

/// How many distinct threads two lists name together.
fn distinct_count(a: &[ThreadId], b: &[ThreadId]) -> usize {
    let all = a.iter().chain(b);
    if a.len() + b.len() <= 32 {
        let mut seen: Vec<ThreadId> = Vec::with_capacity(a.len() + b.len());
        for id in all {
            if !seen.contains(id) {
                seen.push(*id);
            }
        }
        seen.len()
    } else {
        all.collect::<std::collections::HashSet<_>>().len()
    }
}

#[cfg(test)]
mod tests;
