//! [`Memtable`]: the in-memory, sorted, multi-version part of the engine.
//!
//! Versions are keyed by [`VersionKey`] = (user key ascending, timestamp descending), so the
//! versions of one key are adjacent and the newest comes first: a read at snapshot `ts` seeks
//! to `(key, ts)` and takes the first entry it finds for `key`.
//!
//! Normally the versions live in a B-tree. Recovery instead builds an immutable sorted run
//! ([`Memtable::from_recovered`]): one sort over compact handles instead of millions of tree
//! inserts, which is what makes replay fast.
//!
//! A memtable receives the commits whose WAL position is at or after its `first_lsn`. When
//! the engine checkpoints, it freezes the active memtable (no more writes start going to it),
//! writes it to a checkpoint file, and drops it.

use super::Timestamp;
use bytes::Bytes;
use parking_lot::RwLock;
use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Per-version bookkeeping cost beyond key and value bytes, for the memory limit: the B-tree
/// slot (key handle, timestamp, value handle: 72 bytes) with node slack, plus allocator
/// overhead of the key and value buffers. Measured peak RSS per version is close to this.
const VERSION_OVERHEAD: usize = 160;

/// A user key at a timestamp; orders by key ascending, then timestamp descending.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VersionKey {
    /// The user key.
    pub key: Bytes,
    /// Commit timestamp, reversed so newer versions sort first.
    pub ts: Reverse<Timestamp>,
}

impl VersionKey {
    /// The version of `key` at `ts`.
    pub fn new(key: Bytes, ts: Timestamp) -> Self {
        Self { key, ts: Reverse(ts) }
    }

    /// The smallest version key of `key`: every version of `key` sorts at or after it.
    pub fn first_of(key: Bytes) -> Self {
        Self::new(key, Timestamp::MAX)
    }
}

/// One stored version: `value` is None for a delete (tombstone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The user key.
    pub key: Bytes,
    /// Commit timestamp.
    pub ts: Timestamp,
    /// The value, or None for a tombstone.
    pub value: Option<Bytes>,
}

/// How a memtable stores its versions.
#[derive(Debug)]
enum Versions {
    /// The normal, writable form.
    Tree(BTreeMap<VersionKey, Option<Bytes>>),
    /// An immutable sorted run, as built by recovery: one sort instead of millions of tree
    /// inserts. Turned into a tree if anything is ever inserted.
    Sorted(Vec<(VersionKey, Option<Bytes>)>),
}

impl Versions {
    fn len(&self) -> usize {
        match self {
            Self::Tree(map) => map.len(),
            Self::Sorted(run) => run.len(),
        }
    }

    fn tree(&mut self) -> &mut BTreeMap<VersionKey, Option<Bytes>> {
        if let Self::Sorted(run) = self {
            *self = Self::Tree(std::mem::take(run).into_iter().collect());
        }
        match self {
            Self::Tree(map) => map,
            Self::Sorted(_) => unreachable!("converted to a tree just above"),
        }
    }

    /// Versions within (`lower`, `upper`) in descending version order.
    fn range_rev<'a>(
        &'a self,
        lower: Bound<&VersionKey>,
        upper: Bound<&'a VersionKey>,
    ) -> Box<dyn Iterator<Item = (&'a VersionKey, &'a Option<Bytes>)> + 'a> {
        if crate::util::bounds::is_empty(lower, upper) {
            return Box::new(std::iter::empty());
        }
        match self {
            Self::Tree(map) => Box::new(map.range::<VersionKey, _>((lower, upper)).rev()),
            Self::Sorted(run) => {
                let start = match lower {
                    Bound::Included(k) => run.partition_point(|(v, _)| v < k),
                    Bound::Excluded(k) => run.partition_point(|(v, _)| v <= k),
                    Bound::Unbounded => 0,
                };
                let end = match upper {
                    Bound::Included(k) => run.partition_point(|(v, _)| v <= k),
                    Bound::Excluded(k) => run.partition_point(|(v, _)| v < k),
                    Bound::Unbounded => run.len(),
                };
                let slice = run.get(start..end.max(start)).unwrap_or_default();
                Box::new(slice.iter().rev().map(|(k, v)| (k, v)))
            }
        }
    }

    /// Versions within (`from`, `end`) in order.
    fn range<'a>(
        &'a self,
        from: Bound<&VersionKey>,
        end: Bound<&'a VersionKey>,
    ) -> Box<dyn Iterator<Item = (&'a VersionKey, &'a Option<Bytes>)> + 'a> {
        if crate::util::bounds::is_empty(from, end) {
            // BTreeMap::range panics on reversed bounds; a reversed range is simply empty.
            return Box::new(std::iter::empty());
        }
        match self {
            Self::Tree(map) => Box::new(map.range::<VersionKey, _>((from, end))),
            Self::Sorted(run) => {
                let start = match from {
                    Bound::Included(k) => run.partition_point(|(v, _)| v < k),
                    Bound::Excluded(k) => run.partition_point(|(v, _)| v <= k),
                    Bound::Unbounded => 0,
                };
                let within = move |v: &VersionKey| match end {
                    Bound::Included(e) => v <= e,
                    Bound::Excluded(e) => v < e,
                    Bound::Unbounded => true,
                };
                Box::new(
                    run[start..].iter().map(|(k, v)| (k, v)).take_while(move |(k, _)| within(k)),
                )
            }
        }
    }
}

/// A sorted in-memory map of versions. Thread-safe.
#[derive(Debug)]
pub struct Memtable {
    first_lsn: u64,
    versions: RwLock<Versions>,
    bytes: AtomicUsize,
}

fn version_bytes(key: &Bytes, value: &Option<Bytes>) -> usize {
    VERSION_OVERHEAD + key.len() + value.as_ref().map_or(0, Bytes::len)
}

impl Memtable {
    /// An empty memtable for commits logged at or after `first_lsn`.
    pub fn new(first_lsn: u64) -> Self {
        Self::with(first_lsn, Versions::Tree(BTreeMap::new()), 0)
    }

    fn with(first_lsn: u64, versions: Versions, bytes: usize) -> Self {
        Self { first_lsn, versions: RwLock::new(versions), bytes: AtomicUsize::new(bytes) }
    }

    /// A memtable holding `versions` (in log order) as an immutable sorted run, built with
    /// one sort: how recovery loads millions of replayed versions quickly. Same contents as
    /// `apply`ing them in order: for a repeated (key, ts) the last one wins.
    pub fn from_recovered(first_lsn: u64, versions: Vec<Entry>) -> Self {
        let bytes = versions.iter().map(|e| version_bytes(&e.key, &e.value)).sum();
        // Sort small fixed-size handles: (16-byte key prefix, length, ts, index). The prefix
        // settles most comparisons without touching the key bytes, which sit scattered in
        // memory; only equal prefixes of long keys need the full keys.
        let mut order: Vec<(u128, u32, Reverse<Timestamp>, u32)> = versions
            .iter()
            .enumerate()
            .map(|(i, e)| (key_prefix(&e.key), e.key.len() as u32, Reverse(e.ts), i as u32))
            .collect();
        let full_key = |a: &(u128, u32, Reverse<Timestamp>, u32),
                        b: &(u128, u32, Reverse<Timestamp>, u32)| {
            if a.0 != b.0 || (a.1 <= 16 && b.1 <= 16) {
                a.0.cmp(&b.0).then(a.1.cmp(&b.1))
            } else {
                versions[a.3 as usize].key.cmp(&versions[b.3 as usize].key)
            }
        };
        order.sort_unstable_by(|a, b| full_key(a, b).then(a.2.cmp(&b.2)).then(a.3.cmp(&b.3)));
        // For a repeated (key, ts) only the last (highest index, sorted last) survives.
        let survivors: Vec<u32> = order
            .iter()
            .enumerate()
            .filter(|(i, handle)| {
                !order
                    .get(i + 1)
                    .is_some_and(|next| next.2 == handle.2 && full_key(handle, next).is_eq())
            })
            .map(|(_, handle)| handle.3)
            .collect();
        let mut slots: Vec<Option<Entry>> = versions.into_iter().map(Some).collect();
        let run = survivors
            .into_iter()
            .filter_map(|i| slots[i as usize].take())
            .map(|entry| (VersionKey::new(entry.key, entry.ts), entry.value))
            .collect();
        Self::with(first_lsn, Versions::Sorted(run), bytes)
    }

    /// The first WAL position whose commit goes to this memtable.
    pub fn first_lsn(&self) -> u64 {
        self.first_lsn
    }

    /// Approximate memory used, in bytes.
    pub fn approx_bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Number of stored versions.
    pub fn len(&self) -> usize {
        self.versions.read().len()
    }

    /// True if no version is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Inserts versions at `ts`; the caller guarantees they are committed and durable.
    pub fn apply(&self, ts: Timestamp, writes: &[(Bytes, Option<Bytes>)]) {
        let mut added = 0;
        let mut versions = self.versions.write();
        let map = versions.tree();
        for (key, value) in writes {
            added += version_bytes(key, value);
            map.insert(VersionKey::new(key.clone(), ts), value.clone());
        }
        self.bytes.fetch_add(added, Ordering::Relaxed);
    }

    /// The newest version of `key` with timestamp <= `ts`, if this memtable has one.
    pub fn get(&self, key: &[u8], ts: Timestamp) -> Option<Entry> {
        let versions = self.versions.read();
        let seek = VersionKey::new(Bytes::copy_from_slice(key), ts);
        let (found, value) = versions.range(Bound::Included(&seek), Bound::Unbounded).next()?;
        (found.key == key).then(|| Entry {
            key: found.key.clone(),
            ts: found.ts.0,
            value: value.clone(),
        })
    }

    /// Up to `limit` entries in version order starting after `from`, ending before `end`.
    pub fn read_chunk_rev(
        &self,
        lower: Bound<&VersionKey>,
        upper: Bound<&VersionKey>,
        limit: usize,
    ) -> Vec<Entry> {
        let versions = self.versions.read();
        versions
            .range_rev(lower, upper)
            .take(limit)
            .map(|(k, v)| Entry { key: k.key.clone(), ts: k.ts.0, value: v.clone() })
            .collect()
    }

    /// Up to `limit` versions within (`from`, `end`), in version order.
    pub fn read_chunk(
        &self,
        from: Bound<&VersionKey>,
        end: Bound<&VersionKey>,
        limit: usize,
    ) -> Vec<Entry> {
        let versions = self.versions.read();
        versions
            .range(from, end)
            .take(limit)
            .map(|(k, v)| Entry { key: k.key.clone(), ts: k.ts.0, value: v.clone() })
            .collect()
    }

    /// Removes versions no snapshot at or above `horizon` can see: for each key, every version
    /// older than its newest version at or below `horizon`. Tombstones are kept (they may
    /// shadow versions in older checkpoint files). Returns how many versions were removed.
    pub fn collect_garbage(&self, horizon: Timestamp) -> usize {
        let mut versions = self.versions.write();
        let mut current: Option<Bytes> = None;
        let mut seen_visible = false;
        let mut freed = 0;
        let mut removed = 0;
        let mut keep = |version: &VersionKey, value: &Option<Bytes>| {
            if current.as_ref() != Some(&version.key) {
                current = Some(version.key.clone());
                seen_visible = false;
            }
            if version.ts.0 > horizon {
                return true;
            }
            if !seen_visible {
                seen_visible = true;
                return true;
            }
            freed += version_bytes(&version.key, value);
            removed += 1;
            false
        };
        match &mut *versions {
            Versions::Tree(map) => map.retain(|version, value| keep(version, value)),
            Versions::Sorted(run) => run.retain(|(version, value)| keep(version, value)),
        }
        self.bytes.fetch_sub(freed.min(self.approx_bytes()), Ordering::Relaxed);
        removed
    }

    /// Every entry in version order (for tests and small tables; checkpoints read in chunks).
    pub fn entries(&self) -> Vec<Entry> {
        self.read_chunk(Bound::Unbounded, Bound::Unbounded, usize::MAX)
    }
}

/// The first 16 bytes of `key`, zero-padded, as a big-endian number: orders like the key
/// itself except that ties need a full comparison.
fn key_prefix(key: &[u8]) -> u128 {
    let mut buf = [0u8; 16];
    let len = key.len().min(16);
    buf[..len].copy_from_slice(&key[..len]);
    u128::from_be_bytes(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    #[test]
    fn get_sees_newest_version_at_or_below_snapshot() {
        let table = Memtable::new(0);
        table.apply(10, &[(b("k"), Some(b("v10")))]);
        table.apply(20, &[(b("k"), None)]);
        table.apply(30, &[(b("k"), Some(b("v30")))]);
        assert_eq!(table.get(b"k", 5), None);
        assert_eq!(table.get(b"k", 15).and_then(|e| e.value), Some(b("v10")));
        assert_eq!(table.get(b"k", 25).map(|e| e.value), Some(None));
        assert_eq!(table.get(b"k", 99).and_then(|e| e.value), Some(b("v30")));
        assert_eq!(table.get(b"j", 99), None);
    }

    #[test]
    fn bulk_load_matches_inserting_one_by_one() {
        let mut versions = Vec::new();
        for i in 0..500u64 {
            let key =
                Bytes::from(format!("k{:05}{}", (i * 7919) % 300, "x".repeat((i % 20) as usize)));
            versions.push(Entry {
                key,
                ts: i % 37,
                value: (i % 5 != 0).then(|| Bytes::from(i.to_string())),
            });
        }
        let one_by_one = Memtable::new(0);
        for e in &versions {
            one_by_one.apply(e.ts, &[(e.key.clone(), e.value.clone())]);
        }
        let bulk = Memtable::from_recovered(0, versions);
        assert_eq!(bulk.entries(), one_by_one.entries());
        assert_eq!(bulk.approx_bytes(), one_by_one.approx_bytes());
        for i in 0..300u64 {
            let key = format!("k{i:05}");
            for ts in [0, 5, 36, 99] {
                let probe = |t: &Memtable| {
                    t.read_chunk(
                        Bound::Included(&VersionKey::first_of(Bytes::from(key.clone()))),
                        Bound::Unbounded,
                        3,
                    )
                };
                assert_eq!(probe(&bulk), probe(&one_by_one));
                assert_eq!(bulk.get(key.as_bytes(), ts), one_by_one.get(key.as_bytes(), ts));
            }
        }
        // Writing into a recovered run still works (it becomes a tree).
        bulk.apply(1000, &[(Bytes::from("new"), Some(Bytes::from("v")))]);
        assert_eq!(bulk.get(b"new", 1000).and_then(|e| e.value), Some(Bytes::from("v")));
        assert!(bulk.collect_garbage(1000) > 0);
    }

    #[test]
    fn garbage_collection_keeps_what_snapshots_at_horizon_see() {
        let table = Memtable::new(0);
        for ts in 1..=5 {
            table.apply(ts * 10, &[(b("k"), Some(Bytes::from(format!("v{ts}"))))]);
        }
        assert_eq!(table.collect_garbage(35), 2); // v1, v2 go; v3 is what ts 35 sees
        assert_eq!(table.get(b"k", 35).and_then(|e| e.value), Some(b("v3")));
        assert_eq!(table.get(b"k", 50).and_then(|e| e.value), Some(b("v5")));
        assert_eq!(table.len(), 3);
    }
}
