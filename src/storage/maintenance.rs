//! Checkpoints, file merges and garbage collection: the engine's maintenance work.
//!
//! All of it runs under the `maintenance` mutex (one at a time) and mostly without blocking
//! writers: a checkpoint takes the commit-order lock only to swap in a fresh memtable, and the
//! level set only to publish the result. The order of durable steps is what makes every crash
//! point recoverable:
//!
//! 1. write the new checkpoint file and fsync it (a crash leaves an unnamed leftover, deleted
//!    at the next open);
//! 2. read it back and verify it (pair assertion: what we wrote is what we will read);
//! 3. replace the manifest atomically (the commit point);
//! 4. only then delete what the new manifest no longer needs: WAL segments below the
//!    checkpoint position, merged-away files.

use super::checkpoint_file::{CheckpointFile, CheckpointFileWriter, FileSummary};
use super::engine::Levels;
use super::manifest::{self, FileRecord, Manifest};
use super::memtable::Memtable;
use super::merge::{GcFilter, MemtableCursor, MergeIter, VersionSource};
use super::{Engine, StorageError, Timestamp};
use crate::wal::Lsn;
use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

impl Engine {
    /// Writes everything in memory to checkpoint files, switches the manifest, drops WAL
    /// segments the checkpoint covers, and merges files if there are too many. Safe to call
    /// at any time, from any thread; writers continue meanwhile.
    pub fn checkpoint(&self) -> Result<(), StorageError> {
        let mut manifest = self.maintenance.lock();
        self.freeze();
        while self.flush_oldest_frozen(&mut manifest)? {}
        if manifest.files.len() > self.options.max_checkpoint_files {
            self.merge(&mut manifest, false)?;
        }
        Ok(())
    }

    /// Merges every checkpoint file into one, dropping all versions (and tombstones) that no
    /// snapshot at or above the GC horizon can see.
    pub fn compact(&self) -> Result<(), StorageError> {
        let mut manifest = self.maintenance.lock();
        if manifest.files.len() > 1 || manifest.gc_horizon < self.gc_horizon() {
            self.merge(&mut manifest, true)?;
        }
        Ok(())
    }

    /// Raises the garbage-collection horizon to `horizon` and drops in-memory versions no
    /// snapshot at or above it can see (files follow at their next flush or merge). The caller
    /// promises no read at a snapshot below `horizon` is running or will start; reads below it
    /// get [`StorageError::SnapshotTooOld`]. Returns the number of versions removed.
    pub fn collect_garbage(&self, horizon: Timestamp) -> usize {
        let horizon = horizon.min(self.max_committed_ts());
        self.gc_horizon.fetch_max(horizon, Ordering::SeqCst);
        let horizon = self.gc_horizon();
        let levels = self.current_levels();
        std::iter::once(&levels.active)
            .chain(&levels.frozen)
            .map(|t| t.collect_garbage(horizon))
            .sum()
    }

    /// Makes the active memtable frozen and starts a new one at the next WAL position.
    fn freeze(&self) {
        let _order = self.commit_order.lock();
        let mut levels = self.levels.write();
        let first = levels.active.first_lsn();
        let pending_into_active = self.inflight.lock().range(first..).next().is_some();
        if levels.active.is_empty() && !pending_into_active {
            return;
        }
        let mut next = Levels::clone(&levels);
        let fresh = Arc::new(Memtable::new(self.wal.next_lsn()));
        next.frozen.insert(0, std::mem::replace(&mut next.active, fresh));
        *levels = Arc::new(next);
    }

    /// Blocks until every commit logged below `lsn` has been applied (or has failed).
    fn wait_applied_below(&self, lsn: Lsn) {
        let mut inflight = self.inflight.lock();
        while inflight.first_key_value().is_some_and(|(&oldest, _)| oldest < lsn) {
            self.inflight_done.wait(&mut inflight);
        }
    }

    /// Checkpoints the oldest frozen memtable. Returns false if there was none.
    fn flush_oldest_frozen(&self, manifest: &mut Manifest) -> Result<bool, StorageError> {
        let levels = self.current_levels();
        let Some(table) = levels.frozen.last().cloned() else { return Ok(false) };
        let end_lsn = match levels.frozen.len() {
            1 => levels.active.first_lsn(),
            n => levels.frozen[n - 2].first_lsn(),
        };
        drop(levels);
        let started = Instant::now();
        self.wait_applied_below(end_lsn);

        let horizon = self.gc_horizon();
        let source = MemtableCursor::new(table.clone(), Bound::Unbounded, Bound::Unbounded);
        let id = manifest.next_file_id;
        let filter = GcFilter::new(horizon, false);
        let written = self.write_file(id, vec![Box::new(source)], filter, &[])?;
        let written_summary = written.as_ref().map(|(_, summary)| *summary);

        let mut next = manifest.clone();
        next.next_file_id += 1;
        next.checkpoint_lsn = end_lsn;
        next.gc_horizon = next.gc_horizon.max(horizon);
        if let Some((_, summary)) = &written {
            next.files.insert(0, record(id, *summary));
        }
        next.store(self.fs.as_ref(), &self.dir)?;
        *manifest = next;
        self.checkpoint_lsn.store(end_lsn, Ordering::SeqCst);

        self.publish(|levels| {
            levels.frozen.retain(|t| !Arc::ptr_eq(t, &table));
            if let Some((file, _)) = written {
                levels.files.insert(0, file);
            }
        });
        let removed_segments = self.wal.remove_before(end_lsn)?;
        self.checkpoints.fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            file = id,
            versions = written_summary.map_or(0, |s| s.entries),
            bytes = written_summary.map_or(0, |s| s.bytes),
            wal_segments_removed = removed_segments,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "checkpoint complete"
        );
        self.memory_freed.notify_all();
        Ok(true)
    }

    /// Merges the newest run of files (size-tiered), or all of them if `all`.
    fn merge(&self, manifest: &mut Manifest, all: bool) -> Result<(), StorageError> {
        let files = self.current_levels().files.clone();
        let n = files.len();
        if n == 0 {
            return Ok(());
        }
        let count = if all {
            n
        } else {
            merge_run_length(&manifest.files, self.options.max_checkpoint_files)
        };
        let includes_oldest = count == n;
        let started = Instant::now();
        let horizon = self.gc_horizon();
        let sources: Vec<Box<dyn VersionSource>> =
            files[..count].iter().map(|f| Box::new(f.iter()) as Box<dyn VersionSource>).collect();
        let id = manifest.next_file_id;
        let filter = GcFilter::new(horizon, includes_oldest);
        let written = self.write_file(id, sources, filter, &files[..count])?;
        let written_summary = written.as_ref().map(|(_, summary)| *summary);

        let mut next = manifest.clone();
        next.next_file_id += 1;
        next.gc_horizon = next.gc_horizon.max(horizon);
        let replaced: Vec<FileRecord> = next.files.drain(..count).collect();
        if let Some((_, summary)) = &written {
            next.files.insert(0, record(id, *summary));
        }
        next.store(self.fs.as_ref(), &self.dir)?;
        *manifest = next;

        self.publish(|levels| {
            levels.files.drain(..count);
            if let Some((file, _)) = written {
                levels.files.insert(0, file);
            }
        });
        for old in replaced {
            let path = self.dir.join(manifest::file_name(old.id));
            self.fs.remove_file(&path).map_err(|e| StorageError::io("remove", &path, e))?;
        }
        self.fs.sync_dir(&self.dir).map_err(|e| StorageError::io("sync dir", &self.dir, e))?;
        self.merges.fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            files_merged = count,
            into_file = id,
            versions = written_summary.map_or(0, |s| s.entries),
            bytes = written_summary.map_or(0, |s| s.bytes),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "merge complete"
        );
        Ok(())
    }

    /// Writes the merged, filtered `sources` to checkpoint file `id`, fsyncs it and reads it
    /// back verified. Returns None (and leaves no file) if nothing survived the filter.
    fn write_file(
        &self,
        id: u64,
        sources: Vec<Box<dyn VersionSource>>,
        mut filter: GcFilter,
        inputs: &[Arc<CheckpointFile>],
    ) -> Result<Option<(Arc<CheckpointFile>, FileSummary)>, StorageError> {
        let path = self.dir.join(manifest::file_name(id));
        let mut writer = CheckpointFileWriter::create(self.fs.as_ref(), &path)?;
        let mut merged = MergeIter::new(sources);
        let mut read = 0u64;
        let mut last_release = Instant::now();
        while let Some(entry) = merged.next_entry()? {
            if filter.keep(&entry) {
                writer.add(&entry)?;
            }
            read += 1;
            // A merge reads its input files once, front to back: keep their pages from
            // piling up in resident memory. And a long merge or checkpoint would hold up the
            // background thread's periodic release of the pages that clients' lookups touch
            // in every live file (at thousands of random reads a second they add up to
            // hundreds of MB), so release those here on the same schedule.
            if read.is_multiple_of(RELEASE_EVERY_ENTRIES) {
                inputs.iter().for_each(|file| file.release_pages());
                if last_release.elapsed() >= super::background::RELEASE_PAGES_EVERY {
                    self.release_mapped_pages();
                    last_release = Instant::now();
                }
            }
        }
        let summary = writer.finish()?;
        if summary.entries == 0 {
            self.fs.remove_file(&path).map_err(|e| StorageError::io("remove", &path, e))?;
            return Ok(None);
        }
        let file = CheckpointFile::open(self.fs.as_ref(), &path)?;
        file.release_pages(); // verifying read every page
        if file.summary() != summary {
            return Err(StorageError::corruption(
                &path,
                0,
                "checkpoint file reads back differently",
            ));
        }
        Ok(Some((Arc::new(file), summary)))
    }

    /// Publishes a new level set built from the current one.
    fn publish(&self, change: impl FnOnce(&mut Levels)) {
        let mut levels = self.levels.write();
        let mut next = Levels::clone(&levels);
        change(&mut next);
        *levels = Arc::new(next);
    }
}

fn record(id: u64, summary: FileSummary) -> FileRecord {
    FileRecord { id, entries: summary.entries, bytes: summary.bytes, max_ts: summary.max_ts }
}

/// A merge releases its inputs' mapped pages after every this many entries.
const RELEASE_EVERY_ENTRIES: u64 = 100_000;

/// How many of the newest files (newest first) to merge: a size-tiered run where each older
/// file is at most twice the size of everything newer, and enough files to get back under
/// the limit. Keeps total rewrite work logarithmic in the data size.
fn merge_run_length(files: &[FileRecord], max_files: usize) -> usize {
    let n = files.len();
    let mut count = 2.min(n);
    let mut newer: u64 = files[..count].iter().map(|f| f.bytes).sum();
    while count < n && files[count].bytes <= 2 * newer {
        newer += files[count].bytes;
        count += 1;
    }
    count.max((n + 1).saturating_sub(max_files)).min(n)
}
