//! Checkpoint files: immutable, sorted, checksummed runs of versions, read through mmap.
//!
//! Layout (all integers little endian):
//!
//! ```text
//! data block*  := entry* crc32(entries)
//! entry        := key_len u32 | key | ts u64 | value_len u32 (u32::MAX = tombstone) | value
//! index        := block_count u32 | (offset u64 | len u32 | first_key_len u32 | first_key | first_ts u64)* | crc32
//! footer (44B) := magic "QDBCKPT1" | index_offset u64 | index_len u64 | entries u64 | max_ts u64 | crc32
//! ```
//!
//! Entries are in version order (key ascending, timestamp descending). Blocks hold about
//! [`BLOCK_BYTES`] of entries; the index keeps each block's first version so a lookup does a
//! binary search and reads one block. [`CheckpointFile::open`] verifies the whole file —
//! footer, index, every block checksum, entry bounds and ordering — before it serves a byte,
//! so a damaged file is refused at startup instead of returning wrong rows later. While it
//! reads every entry for that, it also fills a Bloom filter of the file's keys (kept in
//! memory only), so a point lookup of a key the file does not hold rarely reads a block.

use super::memtable::{Entry, VersionKey};
use super::{StorageError, Timestamp};
use crate::encoding::{checksum, read_u32_le, read_u64_le};
use crate::vfs::{FileSystem, WritableFile};
use bytes::Bytes;
use fastbloom::BloomFilter;
use std::cmp::{Ordering, Reverse};
use std::ops::Bound;
use std::path::{Path, PathBuf};

/// Target size of a data block.
pub const BLOCK_BYTES: usize = 4096;
/// False-positive rate of a file's key filter (about 10 bits per key).
const KEY_FILTER_FALSE_POSITIVES: f64 = 0.01;
/// The writer fsyncs every this many bytes, so a large file never ends in one long fsync
/// that would stall concurrent WAL commits on the same disk.
const SYNC_EVERY_BYTES: u64 = 4 << 20;
const MAGIC: &[u8; 8] = b"QDBCKPT1";
const FOOTER_LEN: usize = 44;
const TOMBSTONE: u32 = u32::MAX;

/// Compares two versions in version order without allocating.
fn cmp_version(a_key: &[u8], a_ts: Timestamp, b_key: &[u8], b_ts: Timestamp) -> Ordering {
    a_key.cmp(b_key).then(Reverse(a_ts).cmp(&Reverse(b_ts)))
}

/// What a finished checkpoint file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileSummary {
    /// Number of versions.
    pub entries: u64,
    /// File size in bytes.
    pub bytes: u64,
    /// Largest commit timestamp in the file.
    pub max_ts: Timestamp,
}

/// Streams sorted entries into a new checkpoint file.
pub struct CheckpointFileWriter {
    file: Box<dyn WritableFile>,
    path: PathBuf,
    block: Vec<u8>,
    block_first: Option<(Bytes, Timestamp)>,
    index: Vec<u8>,
    blocks: u32,
    offset: u64,
    unsynced: u64,
    summary: FileSummary,
    last: Option<(Bytes, Timestamp)>,
}

impl CheckpointFileWriter {
    /// Creates the file at `path` (not yet durable: call [`CheckpointFileWriter::finish`]).
    pub fn create(fs: &dyn FileSystem, path: &Path) -> Result<Self, StorageError> {
        let file = fs.create(path).map_err(|e| StorageError::io("create", path, e))?;
        Ok(Self {
            file,
            path: path.to_path_buf(),
            block: Vec::with_capacity(BLOCK_BYTES * 2),
            block_first: None,
            index: Vec::new(),
            blocks: 0,
            offset: 0,
            unsynced: 0,
            summary: FileSummary::default(),
            last: None,
        })
    }

    /// Appends one version. Versions must arrive in strictly increasing version order.
    pub fn add(&mut self, entry: &Entry) -> Result<(), StorageError> {
        if let Some((key, ts)) = &self.last
            && cmp_version(key, *ts, &entry.key, entry.ts) != Ordering::Less
        {
            let reason = "checkpoint writer fed versions out of order";
            return Err(StorageError::InvalidRequest(reason.into()));
        }
        self.last = Some((entry.key.clone(), entry.ts));
        if self.block_first.is_none() {
            self.block_first = Some((entry.key.clone(), entry.ts));
        }
        self.block.extend_from_slice(&(entry.key.len() as u32).to_le_bytes());
        self.block.extend_from_slice(&entry.key);
        self.block.extend_from_slice(&entry.ts.to_le_bytes());
        match &entry.value {
            Some(value) => {
                self.block.extend_from_slice(&(value.len() as u32).to_le_bytes());
                self.block.extend_from_slice(value);
            }
            None => self.block.extend_from_slice(&TOMBSTONE.to_le_bytes()),
        }
        self.summary.entries += 1;
        self.summary.max_ts = self.summary.max_ts.max(entry.ts);
        if self.block.len() >= BLOCK_BYTES {
            self.flush_block()?;
        }
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), StorageError> {
        self.file.write_all(bytes).map_err(|e| StorageError::io("write", &self.path, e))?;
        self.offset += bytes.len() as u64;
        self.unsynced += bytes.len() as u64;
        if self.unsynced >= SYNC_EVERY_BYTES {
            self.file.sync_data().map_err(|e| StorageError::io("fsync", &self.path, e))?;
            self.unsynced = 0;
        }
        Ok(())
    }

    fn flush_block(&mut self) -> Result<(), StorageError> {
        let Some((first_key, first_ts)) = self.block_first.take() else { return Ok(()) };
        let crc = checksum(&self.block);
        self.index.extend_from_slice(&self.offset.to_le_bytes());
        self.index.extend_from_slice(&(self.block.len() as u32).to_le_bytes());
        self.index.extend_from_slice(&(first_key.len() as u32).to_le_bytes());
        self.index.extend_from_slice(&first_key);
        self.index.extend_from_slice(&first_ts.to_le_bytes());
        self.blocks += 1;
        let mut block = std::mem::take(&mut self.block);
        block.extend_from_slice(&crc.to_le_bytes());
        self.write(&block)?;
        block.clear();
        self.block = block;
        Ok(())
    }

    /// Writes the index and footer and fsyncs the file. The caller makes its name durable
    /// (the manifest update syncs the directory).
    pub fn finish(mut self) -> Result<FileSummary, StorageError> {
        self.flush_block()?;
        let mut index = (self.blocks).to_le_bytes().to_vec();
        index.extend_from_slice(&self.index);
        index.extend_from_slice(&checksum(&index).to_le_bytes());
        let index_offset = self.offset;
        self.write(&index)?;
        let mut footer = Vec::with_capacity(FOOTER_LEN);
        footer.extend_from_slice(MAGIC);
        footer.extend_from_slice(&index_offset.to_le_bytes());
        footer.extend_from_slice(&(index.len() as u64).to_le_bytes());
        footer.extend_from_slice(&self.summary.entries.to_le_bytes());
        footer.extend_from_slice(&self.summary.max_ts.to_le_bytes());
        footer.extend_from_slice(&checksum(&footer).to_le_bytes());
        self.write(&footer)?;
        self.file.sync_data().map_err(|e| StorageError::io("fsync", &self.path, e))?;
        self.summary.bytes = self.offset;
        Ok(self.summary)
    }
}

#[derive(Debug, Clone)]
struct BlockMeta {
    offset: usize,
    len: usize,
    first_key: Bytes,
    first_ts: Timestamp,
}

/// An open, verified checkpoint file.
#[derive(Debug)]
pub struct CheckpointFile {
    path: PathBuf,
    bytes: Bytes,
    blocks: Vec<BlockMeta>,
    summary: FileSummary,
    /// The largest key in the file (lookups above it end at once).
    last_key: Option<Bytes>,
    /// Which keys the file holds, approximately (1% false positives): most lookups of a key
    /// the file does not hold end here, without reading a block. Built while verifying.
    keys: BloomFilter,
    /// The mapping behind `bytes`, to give its resident pages back (see `release_pages`).
    mapped: Option<crate::vfs::FileBytes>,
}

/// Decodes the entry at `pos` of `block` (a slice of `bytes`); returns it and the next offset.
/// The key and timestamp of the entry at `pos` of `block`, and the next offset — without
/// copying anything (lookups compare many entries and keep one).
fn decode_version(block: &[u8], pos: usize) -> Option<(&[u8], Timestamp, usize)> {
    let key_len = read_u32_le(block, pos)? as usize;
    let key_start = pos + 4;
    let key = block.get(key_start..key_start.checked_add(key_len)?)?;
    let ts = read_u64_le(block, key_start + key_len)?;
    let value_pos = key_start + key_len + 8;
    let value_len = read_u32_le(block, value_pos)?;
    let next = if value_len == TOMBSTONE {
        value_pos + 4
    } else {
        (value_pos + 4).checked_add(value_len as usize)?
    };
    Some((key, ts, next))
}

fn decode_entry(bytes: &Bytes, block: &[u8], pos: usize) -> Option<(Entry, usize)> {
    let key_len = read_u32_le(block, pos)? as usize;
    let key_start = pos + 4;
    let key = block.get(key_start..key_start.checked_add(key_len)?)?;
    let ts = read_u64_le(block, key_start + key_len)?;
    let value_pos = key_start + key_len + 8;
    let value_len = read_u32_le(block, value_pos)?;
    let (value, next) = if value_len == TOMBSTONE {
        (None, value_pos + 4)
    } else {
        let start = value_pos + 4;
        let value = block.get(start..start.checked_add(value_len as usize)?)?;
        (Some(bytes.slice_ref(value)), start + value_len as usize)
    };
    Some((Entry { key: bytes.slice_ref(key), ts, value }, next))
}

impl CheckpointFile {
    /// Maps and fully verifies the file at `path`.
    pub fn open(fs: &dyn FileSystem, path: &Path) -> Result<Self, StorageError> {
        let mapped = fs.map(path).map_err(|e| StorageError::io("map", path, e))?;
        Self::verified(path, Bytes::from_owner(mapped.clone()), Some(mapped))
    }

    /// Drops the file's pages from the process's resident memory (they stay in the page
    /// cache; reads map them again). Run periodically by the background thread.
    pub fn release_pages(&self) {
        if let Some(mapped) = &self.mapped {
            mapped.release_pages();
        }
    }

    /// Verifies `bytes` as the contents of a checkpoint file named `path`.
    pub fn from_bytes(path: &Path, bytes: Bytes) -> Result<Self, StorageError> {
        Self::verified(path, bytes, None)
    }

    /// Verifies `bytes` (mapped from `mapped`, if given) as the contents of file `path`.
    fn verified(
        path: &Path,
        bytes: Bytes,
        mapped: Option<crate::vfs::FileBytes>,
    ) -> Result<Self, StorageError> {
        let bad =
            |offset: usize, reason: &str| StorageError::corruption(path, offset as u64, reason);
        let len = bytes.len();
        if len < FOOTER_LEN {
            return Err(bad(0, "file shorter than its footer"));
        }
        let footer_at = len - FOOTER_LEN;
        let footer = &bytes[footer_at..];
        if &footer[..8] != MAGIC {
            return Err(bad(footer_at, "bad magic: not a checkpoint file"));
        }
        if read_u32_le(footer, 40) != Some(checksum(&footer[..40])) {
            return Err(bad(footer_at, "footer checksum mismatch"));
        }
        let field = |at| read_u64_le(footer, at).unwrap_or(u64::MAX);
        let (index_offset, index_len) = (field(8) as usize, field(16) as usize);
        let summary = FileSummary { entries: field(24), bytes: len as u64, max_ts: field(32) };
        if index_offset.checked_add(index_len) != Some(footer_at) || index_len < 8 {
            return Err(bad(footer_at, "index bounds do not match file size"));
        }
        let index = &bytes[index_offset..footer_at];
        let (body, crc) = index.split_at(index_len - 4);
        if read_u32_le(crc, 0) != Some(checksum(body)) {
            return Err(bad(index_offset, "index checksum mismatch"));
        }
        let blocks = Self::parse_index(body, index_offset).map_err(|r| bad(index_offset, r))?;
        // Sized by the footer's entry count, which cannot exceed what the bytes can hold (every
        // entry takes at least 16), so a corrupt footer cannot make it huge.
        let expected = summary.entries.min(len as u64 / 16).max(1) as usize;
        let mut keys =
            BloomFilter::with_false_pos(KEY_FILTER_FALSE_POSITIVES).expected_items(expected);
        let mut file = Self {
            path: path.to_path_buf(),
            bytes,
            blocks,
            summary,
            last_key: None,
            keys: BloomFilter::with_false_pos(KEY_FILTER_FALSE_POSITIVES).expected_items(1),
            mapped,
        };
        file.last_key = file.verify_blocks(index_offset, &mut keys)?;
        file.keys = keys;
        Ok(file)
    }

    fn parse_index(body: &[u8], data_end: usize) -> Result<Vec<BlockMeta>, &'static str> {
        let count = read_u32_le(body, 0).ok_or("truncated index")? as usize;
        if count > body.len() / 24 + 1 {
            return Err("index block count exceeds index size");
        }
        let mut blocks = Vec::with_capacity(count);
        let mut pos = 4;
        let mut expected_offset = 0usize;
        for _ in 0..count {
            let offset = read_u64_le(body, pos).ok_or("truncated index")? as usize;
            let len = read_u32_le(body, pos + 8).ok_or("truncated index")? as usize;
            let key_len = read_u32_le(body, pos + 12).ok_or("truncated index")? as usize;
            let key_start = pos + 16;
            let key =
                body.get(key_start..key_start.saturating_add(key_len)).ok_or("truncated index")?;
            let first_ts = read_u64_le(body, key_start + key_len).ok_or("truncated index")?;
            pos = key_start + key_len + 8;
            if offset != expected_offset || len == 0 {
                return Err("blocks do not tile the data region");
            }
            expected_offset = offset.saturating_add(len).saturating_add(4);
            blocks.push(BlockMeta {
                offset,
                len,
                first_key: Bytes::copy_from_slice(key),
                first_ts,
            });
        }
        if pos != body.len() || expected_offset != data_end {
            return Err("blocks do not tile the data region");
        }
        Ok(blocks)
    }

    /// Checks every block's checksum, that entries decode exactly to the block end, that the
    /// index's first keys match, and that versions are strictly ordered across the file.
    /// Returns the file's last key; adds every key to `keys`.
    fn verify_blocks(
        &self,
        data_end: usize,
        keys: &mut BloomFilter,
    ) -> Result<Option<Bytes>, StorageError> {
        let mut count = 0u64;
        let mut max_ts = 0;
        let mut previous: Option<(Bytes, Timestamp)> = None;
        for (number, meta) in self.blocks.iter().enumerate() {
            if number.is_multiple_of(RELEASE_EVERY_BLOCKS) {
                self.release_pages(); // a large file is read once here, front to back
            }
            let bad = |offset: usize, reason: &str| {
                StorageError::corruption(&self.path, offset as u64, reason)
            };
            let block = &self.bytes[meta.offset..meta.offset + meta.len];
            let crc = read_u32_le(&self.bytes, meta.offset + meta.len);
            if crc != Some(checksum(block)) {
                return Err(bad(meta.offset, "block checksum mismatch"));
            }
            let mut pos = 0;
            while pos < block.len() {
                let (entry, next) = decode_entry(&self.bytes, block, pos)
                    .ok_or_else(|| bad(meta.offset + pos, "entry runs past its block"))?;
                if pos == 0 && (entry.key != meta.first_key || entry.ts != meta.first_ts) {
                    return Err(bad(meta.offset, "block's first entry differs from the index"));
                }
                if let Some((key, ts)) = &previous
                    && cmp_version(key, *ts, &entry.key, entry.ts) != Ordering::Less
                {
                    return Err(bad(meta.offset + pos, "entries out of order"));
                }
                if previous.as_ref().is_none_or(|(key, _)| *key != entry.key) {
                    keys.insert(entry.key.as_ref());
                }
                max_ts = max_ts.max(entry.ts);
                count += 1;
                previous = Some((entry.key, entry.ts));
                pos = next;
            }
        }
        if count != self.summary.entries || max_ts != self.summary.max_ts {
            let reason = "entry count or max timestamp differs from the footer";
            return Err(StorageError::corruption(&self.path, data_end as u64, reason));
        }
        Ok(previous.map(|(key, _)| key))
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the file holds.
    pub fn summary(&self) -> FileSummary {
        self.summary
    }

    fn block(&self, index: usize) -> &[u8] {
        let meta = &self.blocks[index];
        &self.bytes[meta.offset..meta.offset + meta.len]
    }

    fn entry_at(&self, block: usize, pos: usize) -> Result<(Entry, usize), StorageError> {
        decode_entry(&self.bytes, self.block(block), pos).ok_or_else(|| {
            let offset = (self.blocks[block].offset + pos) as u64;
            StorageError::corruption(&self.path, offset, "entry runs past its block")
        })
    }

    /// Position (block, offset in block) of the first version >= (key, ts) in version order,
    /// or None if every version is smaller.
    fn seek(&self, key: &[u8], ts: Timestamp) -> Result<Option<(usize, usize)>, StorageError> {
        let after = self.blocks.partition_point(|b| {
            cmp_version(&b.first_key, b.first_ts, key, ts) != Ordering::Greater
        });
        let mut block = after.saturating_sub(1);
        while block < self.blocks.len() {
            let mut pos = 0;
            let bytes = self.block(block);
            while pos < bytes.len() {
                let (entry_key, entry_ts, next) = decode_version(bytes, pos).ok_or_else(|| {
                    let offset = (self.blocks[block].offset + pos) as u64;
                    StorageError::corruption(&self.path, offset, "entry runs past its block")
                })?;
                if cmp_version(entry_key, entry_ts, key, ts) != Ordering::Less {
                    return Ok(Some((block, pos)));
                }
                pos = next;
            }
            block += 1;
        }
        Ok(None)
    }

    /// The newest version of `key` with timestamp <= `ts`, if the file has one.
    pub fn get(&self, key: &[u8], ts: Timestamp) -> Result<Option<Entry>, StorageError> {
        // Keys outside the file's range need no block read (appends and fresh keys).
        if self.last_key.as_ref().is_none_or(|last| key > last.as_ref())
            || self.blocks.first().is_some_and(|first| key < first.first_key.as_ref())
            || !self.keys.contains(key)
        {
            return Ok(None);
        }
        let Some((block, pos)) = self.seek(key, ts)? else { return Ok(None) };
        let (entry, _) = self.entry_at(block, pos)?;
        Ok((entry.key == key).then_some(entry))
    }

    /// A cursor going backwards (descending version order) from the last version within
    /// `upper`.
    pub fn reverse_cursor(
        self: &std::sync::Arc<Self>,
        upper: Bound<&VersionKey>,
    ) -> Result<ReverseFileCursor, StorageError> {
        let within = |key: &[u8], ts: Timestamp| match upper {
            Bound::Included(u) => cmp_version(key, ts, &u.key, u.ts.0) != Ordering::Greater,
            Bound::Excluded(u) => cmp_version(key, ts, &u.key, u.ts.0) == Ordering::Less,
            Bound::Unbounded => true,
        };
        // The last block whose first version is within the bound.
        let after = self.blocks.partition_point(|b| within(&b.first_key, b.first_ts));
        let mut cursor =
            ReverseFileCursor { file: self.clone(), next_block: after, entries: Vec::new() };
        if after > 0 {
            cursor.load(after - 1)?;
            cursor.entries.retain(|e| within(&e.key, e.ts));
        }
        Ok(cursor)
    }

    /// Every version in order, for merging files.
    pub fn iter(self: &std::sync::Arc<Self>) -> FileCursor {
        FileCursor { file: self.clone(), position: (!self.blocks.is_empty()).then_some((0, 0)) }
    }

    /// A cursor at the first version of the first key >= `start`.
    pub fn cursor_at(
        self: &std::sync::Arc<Self>,
        start: &VersionKey,
    ) -> Result<FileCursor, StorageError> {
        let position = self.seek(&start.key, start.ts.0)?;
        Ok(FileCursor { file: self.clone(), position })
    }
}

/// Walks a checkpoint file's versions backwards (key descending, timestamp ascending), one
/// decoded block at a time.
#[derive(Debug)]
pub struct ReverseFileCursor {
    file: std::sync::Arc<CheckpointFile>,
    /// The block loaded into `entries` (the next one to load is the one before it).
    next_block: usize,
    /// Versions of the current block still to return, in version order (taken from the end).
    entries: Vec<Entry>,
}

impl ReverseFileCursor {
    fn load(&mut self, block: usize) -> Result<(), StorageError> {
        let bytes = self.file.block(block);
        let mut pos = 0;
        let mut entries = Vec::new();
        while pos < bytes.len() {
            let (entry, next) = self.file.entry_at(block, pos)?;
            entries.push(entry);
            pos = next;
        }
        self.entries = entries;
        self.next_block = block;
        Ok(())
    }

    /// The previous version, or None before the start of the file.
    pub fn next_entry(&mut self) -> Result<Option<Entry>, StorageError> {
        loop {
            if let Some(entry) = self.entries.pop() {
                return Ok(Some(entry));
            }
            if self.next_block == 0 {
                return Ok(None);
            }
            self.load(self.next_block - 1)?;
        }
    }
}

/// A cursor releases its file's mapped pages each time it has read this many blocks (4 MiB).
const RELEASE_EVERY_BLOCKS: usize = 1024;

/// Walks a checkpoint file's versions in order.
#[derive(Debug)]
pub struct FileCursor {
    file: std::sync::Arc<CheckpointFile>,
    position: Option<(usize, usize)>,
}

impl FileCursor {
    /// The next version, or None at the end of the file.
    pub fn next_entry(&mut self) -> Result<Option<Entry>, StorageError> {
        let Some((block, pos)) = self.position else { return Ok(None) };
        let (entry, next) = self.file.entry_at(block, pos)?;
        self.position = if next < self.file.blocks[block].len {
            Some((block, next))
        } else if block + 1 < self.file.blocks.len() {
            // A long sequential read (a full scan, a merge) gives the pages it has passed
            // back now and then, or they would stay resident as long as the file is mapped.
            if (block + 1).is_multiple_of(RELEASE_EVERY_BLOCKS) {
                self.file.release_pages();
            }
            Some((block + 1, 0))
        } else {
            None
        };
        Ok(Some(entry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimFileSystem;
    use std::sync::Arc;

    fn entry(key: &str, ts: u64, value: Option<&str>) -> Entry {
        Entry {
            key: Bytes::copy_from_slice(key.as_bytes()),
            ts,
            value: value.map(|v| Bytes::copy_from_slice(v.as_bytes())),
        }
    }

    fn write(fs: &SimFileSystem, entries: &[Entry]) -> Result<CheckpointFile, StorageError> {
        fs.create_dir_all(Path::new("/d")).map_err(|e| StorageError::io("mkdir", "/d", e))?;
        let mut writer = CheckpointFileWriter::create(fs, Path::new("/d/f"))?;
        for e in entries {
            writer.add(e)?;
        }
        writer.finish()?;
        CheckpointFile::open(fs, Path::new("/d/f"))
    }

    fn many() -> Vec<Entry> {
        (0..2000)
            .flat_map(|i| {
                let key = format!("key{i:05}");
                [entry(&key, 20, Some("new")), entry(&key, 10, Some(&"old".repeat(i % 7)))]
            })
            .collect()
    }

    #[test]
    fn gets_find_the_right_version_across_blocks() -> Result<(), StorageError> {
        let fs = SimFileSystem::new(1);
        let file = write(&fs, &many())?;
        assert!(file.blocks.len() > 10);
        for i in (0..2000).step_by(37) {
            let key = format!("key{i:05}");
            assert_eq!(file.get(key.as_bytes(), 15)?.map(|e| e.ts), Some(10));
            assert_eq!(file.get(key.as_bytes(), 25)?.map(|e| e.ts), Some(20));
            assert_eq!(file.get(key.as_bytes(), 5)?, None);
        }
        assert_eq!(file.get(b"key99999", 99)?, None);
        assert_eq!(file.get(b"a", 99)?, None);
        Ok(())
    }

    #[test]
    fn cursor_walks_everything_in_order() -> Result<(), StorageError> {
        let fs = SimFileSystem::new(2);
        let entries = many();
        let file = Arc::new(write(&fs, &entries)?);
        let mut cursor = file.iter();
        let mut seen = Vec::new();
        while let Some(e) = cursor.next_entry()? {
            seen.push(e);
        }
        assert_eq!(seen, entries);
        let mut cursor = file.cursor_at(&VersionKey::first_of(Bytes::from_static(b"key01000")))?;
        assert_eq!(cursor.next_entry()?.map(|e| e.key), Some(Bytes::from_static(b"key01000")));
        Ok(())
    }

    #[test]
    fn any_flipped_byte_is_refused() -> Result<(), StorageError> {
        let fs = SimFileSystem::new(3);
        let entries: Vec<Entry> =
            (0..300).map(|i| entry(&format!("k{i:04}"), 5, Some("value"))).collect();
        let file = write(&fs, &entries)?;
        let bytes = file.bytes.to_vec();
        for offset in (0..bytes.len()).step_by(7) {
            let mut damaged = bytes.clone();
            damaged[offset] ^= 0x21;
            let result = CheckpointFile::from_bytes(Path::new("/d/f"), Bytes::from(damaged));
            assert!(result.is_err_and(|e| e.is_corruption()), "flip at {offset} accepted");
        }
        Ok(())
    }

    #[test]
    fn tombstones_and_empty_files_round_trip() -> Result<(), StorageError> {
        let fs = SimFileSystem::new(4);
        let file = write(&fs, &[entry("gone", 7, None)])?;
        assert_eq!(file.get(b"gone", 9)?.map(|e| e.value), Some(None));
        let fs = SimFileSystem::new(5);
        let empty = write(&fs, &[])?;
        assert_eq!(empty.get(b"x", 1)?, None);
        Ok(())
    }
}
