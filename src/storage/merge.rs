//! Merging sorted version streams: the k-way [`MergeIter`] shared by scans and file merges,
//! the snapshot-visibility filter that turns versions into rows ([`Scan`]), and the garbage
//! collection filter ([`GcFilter`]).

use super::checkpoint_file::{FileCursor, ReverseFileCursor};
use super::memtable::{Entry, Memtable, VersionKey};
use super::{StorageError, Timestamp};
use bytes::Bytes;
use std::cmp::Reverse;
use std::collections::VecDeque;
use std::ops::Bound;
use std::sync::Arc;

/// Entries a memtable cursor copies out per lock acquisition.
const MEMTABLE_CHUNK: usize = 256;

/// A sorted stream of versions (key ascending, timestamp descending).
pub trait VersionSource: Send {
    /// The next version, or None when exhausted.
    fn next_entry(&mut self) -> Result<Option<Entry>, StorageError>;
}

impl VersionSource for FileCursor {
    fn next_entry(&mut self) -> Result<Option<Entry>, StorageError> {
        FileCursor::next_entry(self)
    }
}

/// Reads a memtable in chunks, so a long scan never holds its lock for long and never copies
/// the whole table. Safe against concurrent inserts: it resumes after the last version seen.
pub struct MemtableCursor {
    table: Arc<Memtable>,
    buffer: VecDeque<Entry>,
    from: Bound<VersionKey>,
    end: Bound<VersionKey>,
    exhausted: bool,
}

impl MemtableCursor {
    /// A cursor over `table` from `from` to `end` (version-key bounds).
    pub fn new(table: Arc<Memtable>, from: Bound<VersionKey>, end: Bound<VersionKey>) -> Self {
        Self { table, buffer: VecDeque::new(), from, end, exhausted: false }
    }
}

impl VersionSource for MemtableCursor {
    fn next_entry(&mut self) -> Result<Option<Entry>, StorageError> {
        if self.buffer.is_empty() && !self.exhausted {
            let chunk =
                self.table.read_chunk(self.from.as_ref(), self.end.as_ref(), MEMTABLE_CHUNK);
            self.exhausted = chunk.len() < MEMTABLE_CHUNK;
            if let Some(last) = chunk.last() {
                self.from = Bound::Excluded(VersionKey::new(last.key.clone(), last.ts));
            }
            self.buffer.extend(chunk);
        }
        Ok(self.buffer.pop_front())
    }
}

impl VersionSource for ReverseFileCursor {
    fn next_entry(&mut self) -> Result<Option<Entry>, StorageError> {
        ReverseFileCursor::next_entry(self)
    }
}

/// Reads a memtable backwards in chunks (descending version order), like [`MemtableCursor`].
pub struct ReverseMemtableCursor {
    table: Arc<Memtable>,
    buffer: VecDeque<Entry>,
    lower: Bound<VersionKey>,
    upper: Bound<VersionKey>,
    exhausted: bool,
}

impl ReverseMemtableCursor {
    /// A cursor over `table` from `upper` down to `lower` (version-key bounds).
    pub fn new(table: Arc<Memtable>, lower: Bound<VersionKey>, upper: Bound<VersionKey>) -> Self {
        Self { table, buffer: VecDeque::new(), lower, upper, exhausted: false }
    }
}

impl VersionSource for ReverseMemtableCursor {
    fn next_entry(&mut self) -> Result<Option<Entry>, StorageError> {
        if self.buffer.is_empty() && !self.exhausted {
            let chunk =
                self.table.read_chunk_rev(self.lower.as_ref(), self.upper.as_ref(), MEMTABLE_CHUNK);
            self.exhausted = chunk.len() < MEMTABLE_CHUNK;
            if let Some(last) = chunk.last() {
                self.upper = Bound::Excluded(VersionKey::new(last.key.clone(), last.ts));
            }
            self.buffer.extend(chunk);
        }
        Ok(self.buffer.pop_front())
    }
}

/// Merges several sorted sources into one sorted stream of all their versions (or, built
/// with [`MergeIter::new_reverse`], several reverse-sorted sources into one reverse stream).
pub struct MergeIter {
    sources: Vec<Box<dyn VersionSource>>,
    heads: Vec<Option<Entry>>,
    primed: bool,
    reverse: bool,
}

impl MergeIter {
    /// Merges `sources`; each must be sorted in version order.
    pub fn new(sources: Vec<Box<dyn VersionSource>>) -> Self {
        let heads = sources.iter().map(|_| None).collect();
        Self { sources, heads, primed: false, reverse: false }
    }

    /// Merges `sources`, each sorted in descending version order, into descending order.
    pub fn new_reverse(sources: Vec<Box<dyn VersionSource>>) -> Self {
        let heads = sources.iter().map(|_| None).collect();
        Self { sources, heads, primed: false, reverse: true }
    }

    /// The next version across all sources, or None when all are exhausted.
    pub fn next_entry(&mut self) -> Result<Option<Entry>, StorageError> {
        if !self.primed {
            for (source, head) in self.sources.iter_mut().zip(&mut self.heads) {
                *head = source.next_entry()?;
            }
            self.primed = true;
        }
        let order = |a: &Entry, b: &Entry| (&a.key, Reverse(a.ts)).cmp(&(&b.key, Reverse(b.ts)));
        let heads = self.heads.iter().enumerate().filter_map(|(i, h)| h.as_ref().map(|e| (i, e)));
        let best = if self.reverse {
            heads.max_by(|(_, a), (_, b)| order(a, b)).map(|(i, _)| i)
        } else {
            heads.min_by(|(_, a), (_, b)| order(a, b)).map(|(i, _)| i)
        };
        let Some(i) = best else { return Ok(None) };
        let next = self.sources[i].next_entry()?;
        Ok(std::mem::replace(&mut self.heads[i], next))
    }
}

/// A range scan at a snapshot: yields (key, value) for each live key in the range, in key
/// order, as of the snapshot timestamp. Streams: memory use does not grow with the range.
pub struct Scan {
    merge: MergeIter,
    snapshot: Timestamp,
    start: Bound<Bytes>,
    end: Bound<Bytes>,
    last_key: Option<Bytes>,
    done: bool,
}

impl Scan {
    pub(super) fn new(
        merge: MergeIter,
        snapshot: Timestamp,
        start: Bound<Bytes>,
        end: Bound<Bytes>,
    ) -> Self {
        Self { merge, snapshot, start, end, last_key: None, done: false }
    }

    fn before_start(&self, key: &[u8]) -> bool {
        match &self.start {
            Bound::Included(start) => key < start.as_ref(),
            Bound::Excluded(start) => key <= start.as_ref(),
            Bound::Unbounded => false,
        }
    }

    fn past_end(&self, key: &[u8]) -> bool {
        match &self.end {
            Bound::Included(end) => key > end.as_ref(),
            Bound::Excluded(end) => key >= end.as_ref(),
            Bound::Unbounded => false,
        }
    }

    fn next_row(&mut self) -> Result<Option<(Bytes, Bytes)>, StorageError> {
        while let Some(entry) = self.merge.next_entry()? {
            if self.past_end(&entry.key) {
                return Ok(None);
            }
            if self.before_start(&entry.key)
                || entry.ts > self.snapshot
                || self.last_key.as_ref() == Some(&entry.key)
            {
                continue;
            }
            // The first version at or below the snapshot is the one this snapshot sees.
            self.last_key = Some(entry.key.clone());
            if let Some(value) = entry.value {
                return Ok(Some((entry.key, value)));
            }
        }
        Ok(None)
    }
}

impl Iterator for Scan {
    type Item = Result<(Bytes, Bytes), StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let row = self.next_row().transpose();
        if !matches!(row, Some(Ok(_))) {
            self.done = true;
        }
        row
    }
}

/// A backward range scan at a snapshot: (key, value) for each live key in the range, in
/// descending key order. Versions of one key arrive oldest first, so the scan keeps the newest
/// one at or below the snapshot and emits it when the key changes.
pub struct ReverseScan {
    merge: MergeIter,
    snapshot: Timestamp,
    start: Bound<Bytes>,
    end: Bound<Bytes>,
    /// The key being collected and the value of its newest visible version (`Some(None)`: a
    /// visible delete; `None`: no visible version yet).
    current: Option<(Bytes, Option<Option<Bytes>>)>,
    done: bool,
}

impl ReverseScan {
    pub(super) fn new(
        merge: MergeIter,
        snapshot: Timestamp,
        start: Bound<Bytes>,
        end: Bound<Bytes>,
    ) -> Self {
        Self { merge, snapshot, start, end, current: None, done: false }
    }

    fn before_start(&self, key: &[u8]) -> bool {
        match &self.start {
            Bound::Included(start) => key < start.as_ref(),
            Bound::Excluded(start) => key <= start.as_ref(),
            Bound::Unbounded => false,
        }
    }

    fn past_end(&self, key: &[u8]) -> bool {
        match &self.end {
            Bound::Included(end) => key > end.as_ref(),
            Bound::Excluded(end) => key >= end.as_ref(),
            Bound::Unbounded => false,
        }
    }

    /// The collected key as a row, if its newest visible version holds a value.
    fn take_current(&mut self) -> Option<(Bytes, Bytes)> {
        match self.current.take() {
            Some((key, Some(Some(value)))) => Some((key, value)),
            _ => None,
        }
    }

    fn next_row(&mut self) -> Result<Option<(Bytes, Bytes)>, StorageError> {
        loop {
            let Some(entry) = self.merge.next_entry()? else {
                self.done = true;
                return Ok(self.take_current());
            };
            if self.past_end(&entry.key) {
                continue;
            }
            if self.before_start(&entry.key) {
                self.done = true;
                return Ok(self.take_current());
            }
            let mut emitted = None;
            if self.current.as_ref().is_none_or(|(key, _)| *key != entry.key) {
                emitted = self.take_current();
                self.current = Some((entry.key.clone(), None));
            }
            if entry.ts <= self.snapshot
                && let Some((_, visible)) = self.current.as_mut()
            {
                *visible = Some(entry.value);
            }
            if emitted.is_some() {
                return Ok(emitted);
            }
        }
    }
}

impl Iterator for ReverseScan {
    type Item = Result<(Bytes, Bytes), StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.done {
                return self.take_current().map(Ok);
            }
            match self.next_row() {
                Ok(Some(row)) => return Some(Ok(row)),
                Ok(None) if self.done => return None,
                Ok(None) => continue,
                Err(err) => {
                    self.done = true;
                    self.current = None;
                    return Some(Err(err));
                }
            }
        }
    }
}

/// Decides which versions survive garbage collection at `horizon`, fed in version order.
/// For each key it keeps every version newer than the horizon and the newest version at or
/// below it (what a snapshot at the horizon sees); older ones go. That newest version is
/// dropped too if it is a tombstone and `drop_tombstones` (only when no older data exists
/// below the output, i.e. a merge that includes the oldest file).
#[derive(Debug)]
pub struct GcFilter {
    horizon: Timestamp,
    drop_tombstones: bool,
    current: Option<Bytes>,
    seen_visible: bool,
}

impl GcFilter {
    /// A filter for `horizon`.
    pub fn new(horizon: Timestamp, drop_tombstones: bool) -> Self {
        Self { horizon, drop_tombstones, current: None, seen_visible: false }
    }

    /// Whether `entry` survives.
    pub fn keep(&mut self, entry: &Entry) -> bool {
        if self.current.as_ref() != Some(&entry.key) {
            self.current = Some(entry.key.clone());
            self.seen_visible = false;
        }
        if entry.ts > self.horizon {
            return true;
        }
        if self.seen_visible {
            return false;
        }
        self.seen_visible = true;
        !(self.drop_tombstones && entry.value.is_none())
    }
}
