//! The checks behind the fuzz targets, shared with `tests/fuzz_inputs.rs` (which includes this
//! file with `#[path]`), so the fuzzer and CI's proptest run exactly the same code.
//!
//! Each `check_*` function takes arbitrary bytes, lays out the on-disk state they describe on a
//! [`SimFileSystem`], runs QuorumDB's real recovery code on it, and panics if a property is
//! broken. QuorumDB refusing garbage with an error is fine; a panic inside QuorumDB, a record
//! accepted that is not really there, or an inconsistent answer is not. The `*_input`
//! functions build inputs in the same layouts, for seeds and tests.
//!
//! Depends on the public API of `quorumdb`, plus `crc32fast` (WAL frames are re-checked here
//! independently of QuorumDB's own decoder) and `bytes`.

use bytes::Bytes;
use quorumdb::sim::SimFileSystem;
use quorumdb::storage::checkpoint_file::CheckpointFile;
use quorumdb::storage::memtable::{Entry, VersionKey};
use quorumdb::storage::{Engine, EngineOptions, WriteBatch};
use quorumdb::vfs::FileSystem;
use quorumdb::wal::{Lsn, Wal, WalError, WalOptions, segment};
use std::cmp::Reverse;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;

// ---------------------------------------------------------------------------------------------
// WAL recovery
// ---------------------------------------------------------------------------------------------

/// `wal_recovery` mode bit: the input holds two segments, split at a u16 LE offset.
pub const WAL_TWO_SEGMENTS: u8 = 0x01;
/// `wal_recovery` mode bits 1-2: the LSN replay starts from (0..=3).
pub const WAL_REPLAY_FROM_MASK: u8 = 0x06;
/// `wal_recovery` mode bit: use [`WAL_SMALL_MAX_RECORD`] as the largest accepted payload.
pub const WAL_SMALL_RECORDS: u8 = 0x08;
/// `wal_recovery` mode bit: name the second segment one LSN too high (a gap in the log).
pub const WAL_SEGMENT_GAP: u8 = 0x10;
/// The payload limit used with [`WAL_SMALL_RECORDS`].
pub const WAL_SMALL_MAX_RECORD: usize = 48;

/// Where the WAL checks put the log.
const WAL_DIR: &str = "/data/wal";
/// Frame header: len u32 + crc u32 (the kind byte is counted in `len`).
const FRAME_HEADER: usize = 8;
const APPENDED_KIND: u8 = 0xa5;
const APPENDED_PAYLOAD: &[u8] = b"appended by the fuzz check";

/// Builds a `wal_recovery` input: `[mode u8]` then the segment bytes, or, with a second
/// segment, `[mode | WAL_TWO_SEGMENTS][first.len() u16 LE][first][second]`.
///
/// # Panics
/// If a second segment is given and the first is longer than `u16::MAX` bytes.
pub fn wal_input(mode: u8, first: &[u8], second: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::with_capacity(3 + first.len() + second.map_or(0, <[u8]>::len));
    match second {
        None => out.push(mode & !WAL_TWO_SEGMENTS),
        Some(_) => {
            let split = u16::try_from(first.len()).expect("first segment longer than 64 KiB");
            out.push(mode | WAL_TWO_SEGMENTS);
            out.extend_from_slice(&split.to_le_bytes());
        }
    }
    out.extend_from_slice(first);
    out.extend_from_slice(second.unwrap_or_default());
    out
}

/// Appends one frame in the documented WAL format: `[len u32 LE][crc u32 LE][kind][payload]`
/// with `len = 1 + payload.len()` and `crc = crc32(kind + payload)`.
pub fn encode_frame(out: &mut Vec<u8>, kind: u8, payload: &[u8]) {
    let len = u32::try_from(payload.len() + 1).expect("payload longer than 4 GiB");
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&[kind]);
    hasher.update(payload);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&hasher.finalize().to_le_bytes());
    out.push(kind);
    out.extend_from_slice(payload);
}

/// A decoded `wal_recovery` input.
#[derive(Debug)]
struct WalCase<'a> {
    /// Segment contents, in log order.
    segments: Vec<&'a [u8]>,
    replay_from: Lsn,
    max_record: usize,
    gap: bool,
}

fn parse_wal_input(data: &[u8]) -> WalCase<'_> {
    let mode = data.first().copied().unwrap_or(0);
    let rest = data.get(1..).unwrap_or_default();
    let segments = if mode & WAL_TWO_SEGMENTS != 0 {
        let byte = |i: usize| rest.get(i).copied().unwrap_or(0);
        let split = usize::from(u16::from_le_bytes([byte(0), byte(1)]));
        let body = rest.get(2..).unwrap_or_default();
        let (first, second) = body.split_at(split.min(body.len()));
        vec![first, second]
    } else {
        vec![rest]
    };
    let small = mode & WAL_SMALL_RECORDS != 0;
    WalCase {
        segments,
        replay_from: Lsn::from((mode & WAL_REPLAY_FROM_MASK) >> 1),
        max_record: if small {
            WAL_SMALL_MAX_RECORD
        } else {
            WalOptions::default().max_record_bytes
        },
        gap: mode & WAL_SEGMENT_GAP != 0,
    }
}

/// A frame found by re-walking a segment independently of QuorumDB's decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RefFrame<'a> {
    offset: usize,
    stored_crc: u32,
    kind: u8,
    payload: &'a [u8],
}

impl RefFrame<'_> {
    fn len(&self) -> usize {
        FRAME_HEADER + 1 + self.payload.len()
    }
}

/// The frame at `offset` if it is well formed: length in bounds, body inside the file, and a
/// CRC-32 of kind + payload equal to the stored one.
fn frame_at(bytes: &[u8], offset: usize, max_record: usize) -> Option<RefFrame<'_>> {
    let header = bytes.get(offset..offset.checked_add(FRAME_HEADER)?)?;
    let len = u32::from_le_bytes(header[..4].try_into().ok()?) as usize;
    let stored_crc = u32::from_le_bytes(header[4..].try_into().ok()?);
    if len == 0 || len > max_record.saturating_add(1) {
        return None;
    }
    let body_at = offset + FRAME_HEADER;
    let body = bytes.get(body_at..body_at.checked_add(len)?)?;
    (crc32fast::hash(body) == stored_crc).then(|| RefFrame {
        offset,
        stored_crc,
        kind: body[0],
        payload: &body[1..],
    })
}

/// The well-formed frames of a segment walked from offset 0, and the offset where they stop.
fn walk(bytes: &[u8], max_record: usize) -> (Vec<RefFrame<'_>>, usize) {
    let mut frames = Vec::new();
    let mut offset = 0;
    while let Some(frame) = frame_at(bytes, offset, max_record) {
        offset += frame.len();
        frames.push(frame);
    }
    (frames, offset)
}

/// What recovery must do, per the rules documented in `quorumdb::wal::segment`.
#[derive(Debug)]
struct WalModel<'a> {
    /// The records recovery hands over if it succeeds; if it refuses, it may have handed over
    /// a prefix of them.
    records: Vec<(Lsn, RefFrame<'a>)>,
    /// Whether the log must be accepted.
    ok: bool,
    /// The LSN after the last record, when accepted.
    next_lsn: Lsn,
    /// The length of the last segment once its torn tail is cut.
    last_valid_len: usize,
}

fn wal_model<'a>(case: &WalCase<'a>, names: &[Lsn]) -> WalModel<'a> {
    let mut model = WalModel { records: Vec::new(), ok: true, next_lsn: 0, last_valid_len: 0 };
    if names[0] > case.replay_from {
        model.ok = false;
        return model;
    }
    let mut next = names[0];
    for (i, (&first, &bytes)) in names.iter().zip(&case.segments).enumerate() {
        if first != next {
            model.ok = false;
            return model;
        }
        let (frames, end) = walk(bytes, case.max_record);
        for (index, frame) in frames.iter().enumerate() {
            let lsn = first + index as Lsn;
            if lsn >= case.replay_from {
                model.records.push((lsn, *frame));
            }
        }
        if end != bytes.len() {
            let is_last = i + 1 == names.len();
            // Only the last segment may end in a torn write, and only if no valid frame
            // starts anywhere after the first bad byte.
            let later_frame =
                (end + 1..bytes.len()).any(|at| frame_at(bytes, at, case.max_record).is_some());
            if !is_last || later_frame {
                model.ok = false;
                return model;
            }
        }
        next = first + frames.len() as Lsn;
        model.last_valid_len = end;
    }
    model.ok = next >= case.replay_from;
    model.next_lsn = next;
    model
}

/// What [`check_wal_recovery`] saw, for tests that want to assert more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalReport {
    /// `Wal::open` succeeded.
    pub opened: bool,
    /// Records handed to the replay callback.
    pub accepted: usize,
}

/// Recovers a WAL made of the input's segment(s) (layout: [`wal_input`]) and checks that:
///
/// * every record recovery hands over is a well-formed frame with a matching CRC, at exactly
///   the position its LSN says, as found by re-walking the segment bytes from offset 0;
/// * recovery accepts or refuses exactly as the documented torn-tail rules say, handing over
///   all valid records when it accepts and a prefix of them when it refuses (with a
///   corruption error, never a panic);
/// * when it accepts, the torn tail is cut off, and appending one record then reopening
///   replays exactly the accepted records plus that one.
///
/// # Panics
/// When a property does not hold (that is the point).
pub fn check_wal_recovery(data: &[u8]) -> WalReport {
    let case = parse_wal_input(data);
    // The first segment starts at LSN 0; the second where the first's records end (plus one
    // for a deliberate gap, or when that would reuse the first one's name).
    let mut names: Vec<Lsn> = vec![0];
    if let Some(&first) = case.segments.first()
        && case.segments.len() == 2
    {
        let count = walk(first, case.max_record).0.len() as Lsn;
        let second = count + Lsn::from(case.gap);
        names.push(if second == 0 { 1 } else { second });
    }

    let fs = SimFileSystem::new(0);
    let dir = Path::new(WAL_DIR);
    fs.create_dir_all(dir).expect("mkdir on a fresh simulated disk");
    for (&name, &bytes) in names.iter().zip(&case.segments) {
        fs.put_file(&dir.join(segment::file_name(name)), bytes).expect("put segment");
    }
    let options = WalOptions { max_record_bytes: case.max_record, ..WalOptions::default() };
    let (result, accepted) = open_wal(&fs, &options, case.replay_from);

    // Every accepted record really is there: re-walk its segment from offset 0 to the frame
    // its LSN designates, and compare bytes and checksum.
    let walks: Vec<_> = case.segments.iter().map(|bytes| walk(bytes, case.max_record).0).collect();
    for (lsn, kind, payload) in &accepted {
        let segment = names
            .iter()
            .rposition(|&first| first <= *lsn)
            .unwrap_or_else(|| panic!("LSN {lsn} accepted, but no segment starts at or below it"));
        let index = usize::try_from(lsn - names[segment]).expect("index fits in usize");
        let frame = walks[segment].get(index).unwrap_or_else(|| {
            panic!(
                "LSN {lsn} accepted, but segment {} has only {} well-formed frames from offset 0",
                names[segment],
                walks[segment].len()
            )
        });
        assert_eq!(
            (frame.kind, frame.payload),
            (*kind, &payload[..]),
            "LSN {lsn}: accepted record differs from the frame at offset {}",
            frame.offset
        );
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&[*kind]);
        hasher.update(payload);
        assert_eq!(
            hasher.finalize(),
            frame.stored_crc,
            "LSN {lsn}: accepted record's CRC does not match the one stored at offset {}",
            frame.offset
        );
    }

    let model = wal_model(&case, &names);
    let expected: Vec<(Lsn, u8, Vec<u8>)> =
        model.records.iter().map(|(lsn, f)| (*lsn, f.kind, f.payload.to_vec())).collect();
    assert!(
        expected.starts_with(&accepted),
        "accepted records are not a prefix of the valid records in log order"
    );
    let wal = match result {
        Err(err) => {
            assert!(!model.ok, "a log the recovery rules accept was refused: {err}");
            assert!(err.is_corruption(), "refused with a non-corruption error: {err}");
            return WalReport { opened: false, accepted: accepted.len() };
        }
        Ok(wal) => wal,
    };
    assert!(model.ok, "a log the recovery rules refuse was accepted");
    assert_eq!(accepted, expected, "recovery skipped records");
    assert_eq!(wal.next_lsn(), model.next_lsn, "next LSN after recovery");
    let last = dir.join(segment::file_name(names[names.len() - 1]));
    let last_len = fs.map(&last).expect("last segment still exists").len();
    assert_eq!(last_len, model.last_valid_len, "torn tail not cut at the last valid frame");

    let lsn = wal.append(APPENDED_KIND, APPENDED_PAYLOAD).expect("append after recovery");
    assert_eq!(lsn, model.next_lsn, "LSN of the first record appended after recovery");
    drop(wal);
    let (reopened, replayed) = open_wal(&fs, &options, case.replay_from);
    let reopened = reopened.expect("reopening a recovered log after one append");
    assert_eq!(replayed.len(), accepted.len() + 1, "records replayed after append + reopen");
    assert_eq!(replayed[..accepted.len()], accepted[..], "reopen replays the same records");
    assert_eq!(replayed[accepted.len()], (lsn, APPENDED_KIND, APPENDED_PAYLOAD.to_vec()));
    assert_eq!(reopened.next_lsn(), lsn + 1);
    WalReport { opened: true, accepted: accepted.len() }
}

type Accepted = Vec<(Lsn, u8, Vec<u8>)>;

fn open_wal(
    fs: &SimFileSystem,
    options: &WalOptions,
    replay_from: Lsn,
) -> (Result<Wal, WalError>, Accepted) {
    let mut accepted = Vec::new();
    let fs: Arc<dyn FileSystem> = Arc::new(fs.clone());
    let result = Wal::open(fs, Path::new(WAL_DIR), options.clone(), replay_from, |lsn, kind, p| {
        accepted.push((lsn, kind, p.to_vec()));
        Ok::<(), WalError>(())
    });
    (result, accepted)
}

// ---------------------------------------------------------------------------------------------
// Checkpoint files
// ---------------------------------------------------------------------------------------------

const CHECKPOINT_MAGIC: &[u8; 8] = b"QDBCKPT1";
const CHECKPOINT_FOOTER: usize = 44;

/// Verifies the input as a checkpoint file, and again after [`reseal_checkpoint`] (so that
/// damage behind the checksums reaches the structural checks). For every file accepted,
/// checks that iterating it succeeds and yields strictly ordered versions matching the
/// footer's count and maximum timestamp, and that `get` and `cursor_at` agree with a linear
/// search over those versions. Returns how many of the two variants were accepted.
///
/// # Panics
/// When a property does not hold.
pub fn check_checkpoint_file(data: &[u8]) -> usize {
    let mut accepted = usize::from(check_checkpoint_bytes(data));
    if let Some(resealed) = reseal_checkpoint(data)
        && resealed != data
    {
        accepted += usize::from(check_checkpoint_bytes(&resealed));
    }
    accepted
}

fn check_checkpoint_bytes(data: &[u8]) -> bool {
    let path = Path::new("/data/storage/0000000000000001.ckpt");
    let Ok(file) = CheckpointFile::from_bytes(path, Bytes::copy_from_slice(data)) else {
        return false;
    };
    let file = Arc::new(file);
    let summary = file.summary();
    let mut cursor = file.iter();
    let mut entries: Vec<Entry> = Vec::new();
    loop {
        match cursor.next_entry() {
            Ok(Some(entry)) => entries.push(entry),
            Ok(None) => break,
            Err(err) => panic!("a verified checkpoint file failed to iterate: {err}"),
        }
    }
    for pair in entries.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert!(
            (&a.key, Reverse(a.ts)) < (&b.key, Reverse(b.ts)),
            "versions out of order: ({:?}, {}) then ({:?}, {})",
            a.key,
            a.ts,
            b.key,
            b.ts
        );
    }
    assert_eq!(entries.len() as u64, summary.entries, "entry count differs from the footer");
    let max_ts = entries.iter().map(|e| e.ts).max().unwrap_or(0);
    assert_eq!(max_ts, summary.max_ts, "max timestamp differs from the footer");

    // Probe a bounded number of versions, spread over the file, plus keys around them.
    let step = (entries.len() / 16).max(1);
    let mut probes: Vec<(Bytes, u64)> = vec![(Bytes::new(), u64::MAX), (Bytes::new(), 0)];
    for entry in entries.iter().step_by(step) {
        let mut after = entry.key.to_vec();
        after.push(0);
        let before = entry.key.slice(..entry.key.len().saturating_sub(1));
        probes.extend([
            (entry.key.clone(), entry.ts),
            (entry.key.clone(), entry.ts.saturating_sub(1)),
            (entry.key.clone(), u64::MAX),
            (entry.key.clone(), 0),
            (Bytes::from(after), entry.ts),
            (before, entry.ts),
        ]);
    }
    for (key, ts) in probes {
        let expected = entries.iter().find(|e| e.key == key && e.ts <= ts);
        let got = file.get(&key, ts).expect("get on a verified checkpoint file");
        assert_eq!(got.as_ref(), expected, "get({key:?}, {ts})");
        let start = VersionKey::first_of(key.clone());
        let expected = entries.iter().find(|e| e.key >= key);
        let mut cursor = file.cursor_at(&start).expect("cursor_at on a verified file");
        let got = cursor.next_entry().expect("next_entry on a verified file");
        assert_eq!(got.as_ref(), expected, "cursor_at({key:?})");
    }
    true
}

/// Rewrites the checksums of a checkpoint file in place, as far as its structure can be
/// followed: each block's CRC (per the index), the index CRC and the footer magic and CRC. A
/// file damaged and then resealed passes every checksum, so only the structural checks of
/// `CheckpointFile::from_bytes` stand between it and the engine. None if too short.
pub fn reseal_checkpoint(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = bytes.to_vec();
    let footer_at = out.len().checked_sub(CHECKPOINT_FOOTER)?;
    out[footer_at..footer_at + 8].copy_from_slice(CHECKPOINT_MAGIC);
    let field = |at: usize| u64::from_le_bytes(out[at..at + 8].try_into().unwrap_or_default());
    let index_at = usize::try_from(field(footer_at + 8)).ok();
    let index_len = usize::try_from(field(footer_at + 16)).ok();
    if let (Some(index_at), Some(index_len)) = (index_at, index_len)
        && index_at.checked_add(index_len) == Some(footer_at)
        && index_len >= 8
    {
        let crc_at = footer_at - 4;
        for (offset, len) in index_blocks(&out[index_at..crc_at]) {
            if let Some(end) = offset.checked_add(len)
                && end.checked_add(4).is_some_and(|crc_end| crc_end <= index_at)
            {
                let crc = crc32fast::hash(&out[offset..end]);
                out[end..end + 4].copy_from_slice(&crc.to_le_bytes());
            }
        }
        let crc = crc32fast::hash(&out[index_at..crc_at]);
        out[crc_at..footer_at].copy_from_slice(&crc.to_le_bytes());
    }
    let crc = crc32fast::hash(&out[footer_at..footer_at + 40]);
    out[footer_at + 40..].copy_from_slice(&crc.to_le_bytes());
    Some(out)
}

/// (offset, len) of the blocks an index body lists, as far as it parses.
fn index_blocks(index: &[u8]) -> Vec<(usize, usize)> {
    let u32_at =
        |at: usize| Some(u32::from_le_bytes(index.get(at..at.checked_add(4)?)?.try_into().ok()?));
    let u64_at =
        |at: usize| Some(u64::from_le_bytes(index.get(at..at.checked_add(8)?)?.try_into().ok()?));
    let mut blocks = Vec::new();
    let Some(count) = u32_at(0) else { return blocks };
    let mut pos = 4usize;
    for _ in 0..count {
        let (Some(offset), Some(len), Some(key_len)) =
            (u64_at(pos), u32_at(pos + 8), u32_at(pos + 12))
        else {
            break;
        };
        let (Ok(offset), Ok(len)) = (usize::try_from(offset), usize::try_from(len)) else { break };
        blocks.push((offset, len));
        match (pos + 16).checked_add(key_len as usize).and_then(|p| p.checked_add(8)) {
            Some(next) if next <= index.len() => pos = next,
            _ => break,
        }
    }
    blocks
}

// ---------------------------------------------------------------------------------------------
// Storage engine open
// ---------------------------------------------------------------------------------------------

/// `storage_open` flag: write the checkpoint part as `storage/0000000000000001.ckpt`.
pub const STORAGE_CHECKPOINT: u8 = 0x01;
/// `storage_open` flag: the manifest part is the JSON body; the check prepends its CRC.
pub const STORAGE_MANIFEST_JSON: u8 = 0x02;
/// `storage_open` flag: the WAL part is a list of `[payload_len u16 LE][kind u8][payload]`
/// records that the check frames (so batch replay is reached without forging CRCs).
pub const STORAGE_WAL_RECORDS: u8 = 0x04;
/// `storage_open` flag: write no MANIFEST file at all.
pub const STORAGE_NO_MANIFEST: u8 = 0x08;

const DATA_DIR: &str = "/data";
const APPENDED_KEY: &[u8] = b"fuzz/appended";
const APPENDED_VALUE: &[u8] = b"appended value";

/// Builds a `storage_open` input:
/// `[flags u8][manifest_len u16 LE][checkpoint_len u16 LE][manifest][checkpoint][wal]`.
///
/// # Panics
/// If the manifest or checkpoint part is longer than `u16::MAX` bytes.
pub fn storage_input(flags: u8, manifest: &[u8], checkpoint: &[u8], wal: &[u8]) -> Vec<u8> {
    let len = |part: &[u8]| u16::try_from(part.len()).expect("part longer than 64 KiB");
    let mut out = vec![flags];
    out.extend_from_slice(&len(manifest).to_le_bytes());
    out.extend_from_slice(&len(checkpoint).to_le_bytes());
    out.extend_from_slice(manifest);
    out.extend_from_slice(checkpoint);
    out.extend_from_slice(wal);
    out
}

/// Appends one record in the [`STORAGE_WAL_RECORDS`] list format.
///
/// # Panics
/// If the payload is longer than `u16::MAX` bytes.
pub fn push_wal_record(out: &mut Vec<u8>, kind: u8, payload: &[u8]) {
    let len = u16::try_from(payload.len()).expect("payload longer than 64 KiB");
    out.extend_from_slice(&len.to_le_bytes());
    out.push(kind);
    out.extend_from_slice(payload);
}

/// A decoded `storage_open` input: the files to lay out.
#[derive(Debug)]
struct StorageCase {
    manifest: Option<Vec<u8>>,
    checkpoint: Option<Vec<u8>>,
    wal: Vec<u8>,
}

fn parse_storage_input(data: &[u8]) -> StorageCase {
    let byte = |i: usize| data.get(i).copied().unwrap_or(0);
    let flags = byte(0);
    let manifest_len = usize::from(u16::from_le_bytes([byte(1), byte(2)]));
    let checkpoint_len = usize::from(u16::from_le_bytes([byte(3), byte(4)]));
    let rest = data.get(5..).unwrap_or_default();
    let (manifest, rest) = rest.split_at(manifest_len.min(rest.len()));
    let (checkpoint, wal) = rest.split_at(checkpoint_len.min(rest.len()));
    let manifest = if flags & STORAGE_NO_MANIFEST != 0 {
        None
    } else if flags & STORAGE_MANIFEST_JSON != 0 {
        let mut sealed = crc32fast::hash(manifest).to_le_bytes().to_vec();
        sealed.extend_from_slice(manifest);
        Some(sealed)
    } else {
        Some(manifest.to_vec())
    };
    let wal = if flags & STORAGE_WAL_RECORDS != 0 {
        let mut framed = Vec::new();
        let mut rest = wal;
        while let [lo, hi, kind, tail @ ..] = rest {
            let len = usize::from(u16::from_le_bytes([*lo, *hi])).min(tail.len());
            encode_frame(&mut framed, *kind, &tail[..len]);
            rest = &tail[len..];
        }
        framed
    } else {
        wal.to_vec()
    };
    StorageCase {
        manifest,
        checkpoint: (flags & STORAGE_CHECKPOINT != 0).then(|| checkpoint.to_vec()),
        wal,
    }
}

/// What [`check_storage_open`] saw, for tests that want to assert more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageReport {
    /// `Engine::open` succeeded.
    pub opened: bool,
    /// Rows a full scan at the recovered snapshot returned (None if it errored or did not run).
    pub rows: Option<usize>,
}

/// Lays out a data directory from the input (layout: [`storage_input`]) and opens the engine
/// on it. Refusal is fine; a panic is not. When it opens, checks that full and range scans
/// return strictly ordered rows that agree with point reads, and that after one more write
/// the directory reopens with the same data plus that write.
///
/// # Panics
/// When a property does not hold.
pub fn check_storage_open(data: &[u8]) -> StorageReport {
    let case = parse_storage_input(data);
    let fs = SimFileSystem::new(0);
    let data_dir = Path::new(DATA_DIR);
    let storage = data_dir.join("storage");
    let wal = data_dir.join("wal");
    for dir in [&storage, &wal] {
        fs.create_dir_all(dir).expect("mkdir on a fresh simulated disk");
    }
    let mut files: Vec<(PathBuf, &[u8])> = Vec::new();
    if let Some(manifest) = &case.manifest {
        files.push((storage.join("MANIFEST"), manifest));
    }
    if let Some(checkpoint) = &case.checkpoint {
        files.push((storage.join("0000000000000001.ckpt"), checkpoint));
    }
    if !case.wal.is_empty() {
        files.push((wal.join(segment::file_name(0)), &case.wal));
    }
    for (path, bytes) in files {
        fs.put_file(&path, bytes).expect("put file");
    }

    let Ok(engine) = open_engine(&fs) else {
        return StorageReport { opened: false, rows: None };
    };
    let snapshot = engine.max_committed_ts();
    let before = scan_checked(&engine, snapshot);
    scan_checked(&engine, u64::MAX);
    let report = StorageReport { opened: true, rows: before.as_ref().map(Vec::len) };

    // One more commit, then a restart: everything recovered must still be there, plus it.
    // (Skipped if a forged file exhausted the timestamp space or put the log at its end,
    // where the WAL refuses further records with "log is full".)
    let Some(ts) = snapshot.checked_add(1) else { return report };
    if engine.stats().checkpoint_lsn >= quorumdb::wal::segment::MAX_LSN - 1 {
        return report;
    }
    let mut batch = WriteBatch::new();
    batch.put(APPENDED_KEY, APPENDED_VALUE);
    engine.write(ts, batch).expect("a write to a freshly recovered engine");
    drop(engine);
    let engine = open_engine(&fs).expect("reopening after a successful open and one write");
    if ts >= engine.gc_horizon() {
        let value = engine.get(APPENDED_KEY, ts).expect("get after reopen");
        assert_eq!(value.as_deref(), Some(APPENDED_VALUE), "the write after recovery was lost");
    }
    if let Some(before) = before {
        assert_eq!(scan_checked(&engine, snapshot), Some(before), "data changed across a reopen");
    }
    report
}

fn open_engine(fs: &SimFileSystem) -> Result<Arc<Engine>, quorumdb::storage::StorageError> {
    let options = EngineOptions { background: false, ..EngineOptions::default() };
    Engine::open(Arc::new(fs.clone()), Path::new(DATA_DIR), options)
}

/// A full scan at `ts` (None if the engine returned an error), checked for order, against
/// point reads and against a range scan over its middle third.
fn scan_checked(engine: &Engine, ts: u64) -> Option<Vec<(Bytes, Bytes)>> {
    let rows = collect_scan(engine, Bound::Unbounded, Bound::Unbounded, ts)?;
    for pair in rows.windows(2) {
        assert!(pair[0].0 < pair[1].0, "scan keys not strictly increasing: {pair:?}");
    }
    let step = (rows.len() / 16).max(1);
    for (key, value) in rows.iter().step_by(step) {
        let got = engine.get(key, ts).expect("get of a key the scan returned");
        assert_eq!(got.as_ref(), Some(value), "get({key:?}, {ts}) disagrees with the scan");
    }
    if rows.len() >= 2 {
        let (from, to) = (rows.len() / 3, rows.len() * 2 / 3);
        let start = Bound::Included(rows[from].0.clone());
        let end = Bound::Excluded(rows[to].0.clone());
        if let Some(range) = collect_scan(engine, start, end, ts) {
            assert_eq!(range[..], rows[from..to], "range scan disagrees with the full scan");
        }
    }
    Some(rows)
}

fn collect_scan(
    engine: &Engine,
    start: Bound<Bytes>,
    end: Bound<Bytes>,
    ts: u64,
) -> Option<Vec<(Bytes, Bytes)>> {
    engine.scan(start, end, ts).ok()?.collect::<Result<Vec<_>, _>>().ok()
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL frontend messages
// ---------------------------------------------------------------------------------------------

/// `pg_messages` mode bit: limit messages to [`PG_SMALL_MAX_MESSAGE`] bytes.
pub const PG_SMALL_LIMIT: u8 = 0x01;
/// The message limit used with [`PG_SMALL_LIMIT`].
pub const PG_SMALL_MAX_MESSAGE: usize = 1024;

/// What [`check_pg_messages`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PgReport {
    /// Startup packets plus regular messages decoded.
    pub messages: usize,
    /// The whole input decoded without an error or a partial message left over.
    pub clean: bool,
}

/// Builds a `pg_messages` input: `[mode]`, then the startup packets, then the messages.
/// Mode bits 1..=7 choose the chunk size (1..=128 bytes) of the incremental decode.
pub fn pg_input(
    mode: u8,
    startup: &[quorumdb::pg::frame::StartupPacket],
    messages: &[quorumdb::pg::frame::Frontend],
) -> Vec<u8> {
    let mut buf = bytes::BytesMut::new();
    for packet in startup {
        packet.encode(&mut buf);
    }
    for msg in messages {
        msg.encode(&mut buf);
    }
    let mut out = vec![mode];
    out.extend_from_slice(&buf);
    out
}

/// One decoding step's result, comparable across decodes.
type PgStep = Result<String, String>;

/// Decodes `stream` the way a connection does (startup packets until a StartupMessage or
/// CancelRequest, then regular messages), feeding the decoder `chunk` bytes at a time as a
/// socket would. Checks that every decoded message re-encodes to exactly the bytes it was
/// decoded from. Returns the steps and whether the stream decoded cleanly.
fn pg_decode(stream: &[u8], max: usize, chunk: usize) -> (Vec<PgStep>, bool) {
    use quorumdb::pg::frame::{StartupPacket, decode_message, decode_startup};
    let mut buf = bytes::BytesMut::new();
    let mut fed = 0;
    let mut steps = Vec::new();
    let mut startup = true;
    loop {
        let before = buf.clone();
        let step = if startup {
            decode_startup(&mut buf).map(|packet| {
                packet.map(|p| {
                    let mut again = bytes::BytesMut::new();
                    p.encode(&mut again);
                    assert_eq!(again[..], before[..again.len()], "startup packet re-encodes");
                    startup = matches!(p, StartupPacket::SslRequest | StartupPacket::GssEncRequest);
                    if let StartupPacket::Cancel { .. } = p {
                        // A cancel connection carries nothing else.
                        startup = true;
                    }
                    format!("{p:?}")
                })
            })
        } else {
            decode_message(&mut buf, max).map(|msg| {
                msg.map(|m| {
                    let mut again = bytes::BytesMut::new();
                    m.encode(&mut again);
                    assert_eq!(again[..], before[..again.len()], "message re-encodes: {m:?}");
                    format!("{m:?}")
                })
            })
        };
        match step {
            Ok(Some(text)) => {
                assert!(buf.len() < before.len(), "a decoded message consumed no bytes");
                steps.push(Ok(text));
                if text_is_cancel(steps.last()) {
                    return (steps, buf.len() + (stream.len() - fed) == 0);
                }
            }
            Ok(None) => {
                assert_eq!(buf[..], before[..], "an incomplete message consumed bytes");
                if fed == stream.len() {
                    return (steps, buf.is_empty());
                }
                let next = (fed + chunk).min(stream.len());
                buf.extend_from_slice(&stream[fed..next]);
                fed = next;
            }
            Err(err) if !err.is_fatal() => {
                // The connection reports the error and goes on with the next message.
                assert!(buf.len() < before.len(), "a non-fatal error consumed no bytes");
                steps.push(Err(format!("{err:?}")));
            }
            Err(err) => {
                // The connection ends here; whether the bad frame was consumed is moot.
                assert!(!err.message().is_empty());
                steps.push(Err(format!("{err:?}")));
                return (steps, false);
            }
        }
    }
}

fn text_is_cancel(step: Option<&PgStep>) -> bool {
    matches!(step, Some(Ok(text)) if text.starts_with("Cancel"))
}

/// Decodes the input (layout: [`pg_input`]) as a client's byte stream, all at once and in
/// chunks, and checks that:
///
/// * decoding never panics, whatever the bytes;
/// * every decoded message re-encodes to exactly the bytes it came from (the decoder accepts
///   nothing it would not produce, so nothing is silently dropped or altered);
/// * an incomplete message consumes nothing, and a message that fails non-fatally (invalid
///   UTF-8) is consumed so the connection can go on with the next one;
/// * chunked decoding (as from a socket) gives exactly the all-at-once result.
///
/// # Panics
/// When a property does not hold (that is the point).
pub fn check_pg_messages(data: &[u8]) -> PgReport {
    let mode = data.first().copied().unwrap_or(0);
    let stream = data.get(1..).unwrap_or_default();
    let max = if mode & PG_SMALL_LIMIT != 0 {
        PG_SMALL_MAX_MESSAGE
    } else {
        quorumdb::pg::frame::DEFAULT_MAX_MESSAGE
    };
    let chunk = usize::from(mode >> 1) + 1;
    let (whole, clean) = pg_decode(stream, max, stream.len().max(1));
    let (chunked, chunked_clean) = pg_decode(stream, max, chunk);
    assert_eq!(whole, chunked, "chunked decoding differs (chunk size {chunk})");
    assert_eq!(clean, chunked_clean);
    PgReport { messages: whole.len(), clean }
}

// ---------------------------------------------------------------------------------------------
// SQL text → plan
// ---------------------------------------------------------------------------------------------

/// The tables every `sql_plan` input is bound against.
const SQL_PLAN_SCHEMA: &str = "
    CREATE TABLE fz_items (id int PRIMARY KEY, name text NOT NULL,
        price numeric(10,2) CHECK (price >= 0), tags jsonb, created timestamptz DEFAULT now());
    CREATE TABLE fz_all (k1 int8, k2 text, i2 int2, f4 float4, f8 float8, vc varchar(5),
        ch char(3), b bool, by bytea, d date, ts timestamp, iv interval, u uuid, s serial,
        PRIMARY KEY (k1, k2));
    CREATE TABLE fz_nopk (x int, y text UNIQUE);";

/// One database per process for `sql_plan` (opening one per input would dominate the time).
/// It lives in a directory that is unlinked right after setup, so nothing is left behind:
/// binding only reads the catalog.
fn sql_plan_database() -> &'static std::sync::Arc<quorumdb::sql::Database> {
    use quorumdb::sql::{Database, DatabaseOptions, Session};
    static DB: std::sync::OnceLock<std::sync::Arc<Database>> = std::sync::OnceLock::new();
    DB.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("quorumdb-fuzz-sql-plan-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let options = DatabaseOptions { wal_sync_off: true, ..DatabaseOptions::default() };
        let db = Database::open(&dir, options).expect("open the sql_plan database");
        let mut session = Session::new(db.clone(), "quorumdb", &[]).expect("session");
        for statement in session.parse(SQL_PLAN_SCHEMA).expect("parse the schema") {
            let text = statement.text.clone();
            let prepared = session.prepare(&text, statement, &[]).expect("prepare the schema");
            session.execute(&prepared, Vec::new()).expect("create the schema");
        }
        let _ = std::fs::remove_dir_all(&dir);
        db
    })
}

/// Interprets the input as SQL text (lossy UTF-8), splits and parses it, and binds every
/// statement against [`SQL_PLAN_SCHEMA`], once without parameter types and once with a few
/// given; nothing is executed. Errors are fine, panics are not. Returns whether the text
/// parsed and every statement bound.
pub fn check_sql_plan(data: &[u8]) -> bool {
    use quorumdb::sql::Session;
    use quorumdb::sql::types::DataType;
    let sql = String::from_utf8_lossy(data);
    let db = sql_plan_database();
    let mut session = Session::new(db.clone(), "quorumdb", &[]).expect("session");
    let Ok(statements) = session.parse(&sql) else { return false };
    let typed = [Some(DataType::Int4), None, Some(DataType::Text), Some(DataType::Int8)];
    let mut all_bound = true;
    for statement in statements {
        let text = statement.text.clone();
        all_bound &= session.prepare(&text, statement.clone(), &[]).is_ok();
        let _ = session.prepare(&text, statement, &typed);
    }
    all_bound
}
