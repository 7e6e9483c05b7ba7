//! [`Oracle`]: the sans-IO heart of concurrency control on one shard.
//!
//! It hands out snapshots, validates commits against the transactions that committed after a
//! snapshot, assigns commit timestamps, and tracks which commits are still being written so
//! snapshots never include a half-applied one. It does no IO and reads no clock: the caller
//! feeds it physical time, key sets and completion events.

use super::hlc::Hlc;
use super::{ConflictKind, TxnError};
use crate::storage::Timestamp;
use bytes::Bytes;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ops::Bound;

/// Isolation level of a transaction. Weaker levels requested by SQL map upward to these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IsolationLevel {
    /// Snapshot isolation (PostgreSQL's REPEATABLE READ): write-write conflicts only.
    Snapshot,
    /// Serializable: also aborts if anything the transaction read was overwritten.
    #[default]
    Serializable,
}

/// What a transaction read: point keys and key ranges (ranges catch phantoms), each with the
/// snapshot it was read at. A read stays valid until a commit newer than its snapshot writes
/// inside it. Reads usually share the transaction's snapshot; after a refresh (see
/// [`Oracle::refresh`]) the transaction reads at a newer one while its older reads were
/// re-validated up to it.
#[derive(Debug, Clone, Default)]
pub struct ReadSet {
    keys: BTreeMap<Bytes, Timestamp>,
    ranges: Vec<(Bound<Bytes>, Bound<Bytes>, Timestamp)>,
    /// Ranges validated under every isolation level, not only SERIALIZABLE: what a
    /// statement relies on staying put (the definition of a table it writes, the rows a
    /// TRUNCATE discards), the way PostgreSQL's relation locks protect them.
    guards: Vec<(Bound<Bytes>, Bound<Bytes>, Timestamp)>,
}

impl ReadSet {
    /// Records a point read at `snapshot`.
    pub fn add_key(&mut self, key: Bytes, snapshot: Timestamp) {
        let read_at = self.keys.entry(key).or_insert(snapshot);
        *read_at = (*read_at).min(snapshot);
    }

    /// Records a range read at `snapshot`.
    pub fn add_range(&mut self, start: Bound<Bytes>, end: Bound<Bytes>, snapshot: Timestamp) {
        self.ranges.push((start, end, snapshot));
    }

    /// Records a range that must not change between `snapshot` and commit, whatever the
    /// isolation level.
    pub fn add_guard(&mut self, start: Bound<Bytes>, end: Bound<Bytes>, snapshot: Timestamp) {
        self.guards.push((start, end, snapshot));
    }

    /// True if nothing was read.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.ranges.is_empty() && self.guards.is_empty()
    }

    /// The oldest snapshot any read was made at.
    fn oldest(&self) -> Option<Timestamp> {
        let keys = self.keys.values().copied().min();
        let ranges = self.ranges.iter().chain(&self.guards).map(|r| r.2).min();
        keys.into_iter().chain(ranges).min()
    }

    /// Marks every read as still valid at `snapshot` (after checking it is).
    fn advance_to(&mut self, snapshot: Timestamp) {
        for read_at in self.keys.values_mut() {
            *read_at = (*read_at).max(snapshot);
        }
        for range in self.ranges.iter_mut().chain(&mut self.guards) {
            range.2 = range.2.max(snapshot);
        }
    }

    /// The first key of `sorted_writes`, committed at `commit_ts`, that a read made before
    /// `commit_ts` covers, if any. Without `serializable`, only guards count.
    fn overlaps(
        &self,
        commit_ts: Timestamp,
        sorted_writes: &[Bytes],
        serializable: bool,
    ) -> Option<Bytes> {
        if serializable {
            for write in sorted_writes {
                if self.keys.get(write).is_some_and(|&read_at| read_at < commit_ts) {
                    return Some(write.clone());
                }
            }
        }
        let ranges = if serializable { &self.ranges[..] } else { &[][..] };
        for (start, end, read_at) in ranges.iter().chain(&self.guards) {
            if *read_at >= commit_ts {
                continue;
            }
            let from = sorted_writes.partition_point(|k| match start {
                Bound::Included(s) => k < s,
                Bound::Excluded(s) => k <= s,
                Bound::Unbounded => false,
            });
            if let Some(key) = sorted_writes.get(from) {
                let before_end = match end {
                    Bound::Included(e) => key <= e,
                    Bound::Excluded(e) => key < e,
                    Bound::Unbounded => true,
                };
                if before_end {
                    return Some(key.clone());
                }
            }
        }
        None
    }
}

/// A commit that transactions with an older snapshot must validate against.
#[derive(Debug)]
struct RecentCommit {
    commit_ts: Timestamp,
    /// Written keys, sorted and deduplicated.
    writes: Vec<Bytes>,
}

/// Snapshot bookkeeping and commit validation. See the module docs.
#[derive(Debug)]
pub struct Oracle {
    hlc: Hlc,
    /// Commit timestamps assigned but not yet applied (or failed).
    pending: BTreeSet<Timestamp>,
    /// The newest timestamp at which every commit is applied: new snapshots read here.
    visible: Timestamp,
    /// Snapshot timestamps of running transactions, with counts.
    active: BTreeMap<Timestamp, usize>,
    /// Commits newer than the oldest running snapshot, oldest first.
    recent: VecDeque<RecentCommit>,
}

fn escape(key: &[u8]) -> String {
    key.escape_ascii().to_string()
}

impl Oracle {
    /// An oracle for a store whose newest commit has timestamp `recovered_ts`.
    pub fn new(recovered_ts: Timestamp) -> Self {
        Self {
            hlc: Hlc::new(recovered_ts),
            pending: BTreeSet::new(),
            visible: recovered_ts,
            active: BTreeMap::new(),
            recent: VecDeque::new(),
        }
    }

    /// Starts a transaction: returns its snapshot timestamp and registers it as running.
    pub fn begin(&mut self) -> Timestamp {
        *self.active.entry(self.visible).or_default() += 1;
        self.visible
    }

    /// Registers one more user of an existing snapshot (a scan that outlives its statement);
    /// release it with [`Oracle::end`].
    pub fn pin(&mut self, snapshot: Timestamp) {
        *self.active.entry(snapshot).or_default() += 1;
    }

    /// Unregisters a running transaction (after commit, abort or drop).
    pub fn end(&mut self, snapshot: Timestamp) {
        if let Some(count) = self.active.get_mut(&snapshot) {
            *count -= 1;
            if *count == 0 {
                self.active.remove(&snapshot);
            }
        }
        self.prune();
    }

    /// Validates a commit of a transaction that started at `snapshot`, and on success assigns
    /// and reserves its commit timestamp (report the outcome with [`Oracle::finished`]).
    pub fn validate_and_assign(
        &mut self,
        physical_ms: u64,
        snapshot: Timestamp,
        isolation: IsolationLevel,
        reads: &ReadSet,
        writes: &[Bytes],
    ) -> Result<Timestamp, TxnError> {
        let mut sorted: Vec<Bytes> = writes.to_vec();
        sorted.sort();
        sorted.dedup();
        self.check(snapshot, Timestamp::MAX, isolation, reads, &sorted)?;
        let commit_ts = self.hlc.now(physical_ms);
        self.pending.insert(commit_ts);
        self.recent.push_back(RecentCommit { commit_ts, writes: sorted });
        Ok(commit_ts)
    }

    /// Checks a transaction that started at `snapshot` against the commits up to `until`:
    /// none may write a key it writes (`sorted_writes`), nor, under SERIALIZABLE, anything
    /// it read before that commit.
    fn check(
        &self,
        snapshot: Timestamp,
        until: Timestamp,
        isolation: IsolationLevel,
        reads: &ReadSet,
        sorted_writes: &[Bytes],
    ) -> Result<(), TxnError> {
        let serializable = isolation == IsolationLevel::Serializable;
        let from = reads.oldest().map_or(snapshot, |oldest| oldest.min(snapshot));
        for commit in self.recent.iter().filter(|c| c.commit_ts > from && c.commit_ts <= until) {
            if commit.commit_ts > snapshot
                && let Some(key) = first_common(sorted_writes, &commit.writes)
            {
                return Err(TxnError::Conflict {
                    kind: ConflictKind::WriteWrite,
                    key: escape(&key),
                });
            }
            if let Some(key) = reads.overlaps(commit.commit_ts, &commit.writes, serializable) {
                return Err(TxnError::Conflict {
                    kind: ConflictKind::ReadWrite,
                    key: escape(&key),
                });
            }
        }
        Ok(())
    }

    /// The newest commit after `snapshot` (applied or still pending) that wrote `key`.
    pub fn latest_write(&self, key: &[u8], snapshot: Timestamp) -> Option<Timestamp> {
        self.recent
            .iter()
            .rev()
            .take_while(|c| c.commit_ts > snapshot)
            .find(|c| c.writes.binary_search_by(|w| w.as_ref().cmp(key)).is_ok())
            .map(|c| c.commit_ts)
    }

    /// Moves a running transaction's snapshot forward to the visible timestamp, if that
    /// keeps it serializable: nothing it read or wrote so far was overwritten in between.
    /// It then behaves as if it had started at the new snapshot, so it can read a row
    /// another transaction just committed instead of failing at commit. Returns the new
    /// snapshot; on [`TxnError::Conflict`] the transaction must be rolled back.
    ///
    /// The transaction stays registered at its first snapshot (see [`Oracle::begin`]), so
    /// commits its older reads must be checked against are kept until it ends.
    ///
    /// Only SERIALIZABLE transactions refresh: a snapshot-isolation (REPEATABLE READ)
    /// transaction promised its statements one fixed snapshot, so any overwritten row it
    /// wants to change is a conflict.
    pub fn refresh(
        &mut self,
        snapshot: Timestamp,
        isolation: IsolationLevel,
        reads: &mut ReadSet,
        sorted_writes: &[Bytes],
        wanted: &[u8],
    ) -> Result<Timestamp, TxnError> {
        let target = self.visible;
        if isolation != IsolationLevel::Serializable {
            return Err(TxnError::Conflict { kind: ConflictKind::WriteWrite, key: escape(wanted) });
        }
        if target <= snapshot {
            return Ok(snapshot);
        }
        self.check(snapshot, target, isolation, reads, sorted_writes)?;
        reads.advance_to(target);
        Ok(target)
    }

    /// Assigns and reserves a commit timestamp for writes that need no validation: rows of
    /// storage only one transaction can reach (see `Transaction::flush_private`). Report
    /// the outcome with [`Oracle::finished`].
    pub fn assign_unvalidated(&mut self, physical_ms: u64) -> Timestamp {
        let commit_ts = self.hlc.now(physical_ms);
        self.pending.insert(commit_ts);
        commit_ts
    }

    /// Reports that the commit at `commit_ts` is applied (or failed): snapshots may now
    /// include it, and everything below the oldest pending commit.
    pub fn finished(&mut self, commit_ts: Timestamp) {
        self.pending.remove(&commit_ts);
        self.update_visible();
    }

    /// Reports that every commit with a timestamp up to `ts` is applied (or failed). The
    /// storage applies commits in timestamp order (see `Engine::finish`), so a committer
    /// that finds its own commit applied reports all earlier ones with it, and need not wait
    /// for their committers to run.
    pub fn applied_through(&mut self, ts: Timestamp) {
        if self.pending.first().is_some_and(|&oldest| oldest <= ts) {
            self.pending = self.pending.split_off(&ts.saturating_add(1));
            self.update_visible();
        }
    }

    /// New snapshots read just below the oldest pending commit (or at the newest one).
    fn update_visible(&mut self) {
        self.visible = match self.pending.first() {
            Some(&oldest) => oldest - 1,
            None => self.hlc.last(),
        };
    }

    /// Versions below this may be garbage-collected: no running or future snapshot needs them.
    pub fn gc_horizon(&self) -> Timestamp {
        self.active.keys().next().copied().unwrap_or(self.visible).min(self.visible)
    }

    /// The timestamp new snapshots read at.
    pub fn visible(&self) -> Timestamp {
        self.visible
    }

    /// Number of running transactions.
    pub fn running(&self) -> usize {
        self.active.values().sum()
    }

    /// Forgets commits no running or future transaction can conflict with: those inside
    /// every running snapshot and inside the snapshot new transactions get (a commit not yet
    /// visible must stay, though its own transaction may have ended already).
    fn prune(&mut self) {
        let oldest = self.gc_horizon();
        while self.recent.front().is_some_and(|c| c.commit_ts <= oldest) {
            self.recent.pop_front();
        }
    }
}

/// The first key present in both sorted slices.
fn first_common(a: &[Bytes], b: &[Bytes]) -> Option<Bytes> {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return Some(a[i].clone()),
        }
    }
    None
}
