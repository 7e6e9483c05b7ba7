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

/// What a transaction read: point keys and key ranges (ranges catch phantoms).
#[derive(Debug, Clone, Default)]
pub struct ReadSet {
    keys: BTreeSet<Bytes>,
    ranges: Vec<(Bound<Bytes>, Bound<Bytes>)>,
}

impl ReadSet {
    /// Records a point read.
    pub fn add_key(&mut self, key: Bytes) {
        self.keys.insert(key);
    }

    /// Records a range read.
    pub fn add_range(&mut self, start: Bound<Bytes>, end: Bound<Bytes>) {
        self.ranges.push((start, end));
    }

    /// True if nothing was read.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.ranges.is_empty()
    }

    /// The first key of `sorted_writes` this read set covers, if any.
    fn overlaps(&self, sorted_writes: &[Bytes]) -> Option<Bytes> {
        for write in sorted_writes {
            if self.keys.contains(write) {
                return Some(write.clone());
            }
        }
        for (start, end) in &self.ranges {
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
        for commit in self.recent.iter().filter(|c| c.commit_ts > snapshot) {
            if let Some(key) = first_common(&sorted, &commit.writes) {
                return Err(TxnError::Conflict {
                    kind: ConflictKind::WriteWrite,
                    key: escape(&key),
                });
            }
            if isolation == IsolationLevel::Serializable
                && let Some(key) = reads.overlaps(&commit.writes)
            {
                return Err(TxnError::Conflict {
                    kind: ConflictKind::ReadWrite,
                    key: escape(&key),
                });
            }
        }
        let commit_ts = self.hlc.now(physical_ms);
        self.pending.insert(commit_ts);
        self.recent.push_back(RecentCommit { commit_ts, writes: sorted });
        Ok(commit_ts)
    }

    /// Reports that the commit at `commit_ts` is applied (or failed): snapshots may now
    /// include it, and everything below the oldest pending commit.
    pub fn finished(&mut self, commit_ts: Timestamp) {
        self.pending.remove(&commit_ts);
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

    /// Forgets commits no running transaction can conflict with.
    fn prune(&mut self) {
        let Some(&oldest) = self.active.keys().next() else {
            self.recent.clear();
            return;
        };
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
