//! The fuzz targets' checks, run by proptest so CI exercises them without a fuzzer: on random
//! bytes, and on valid WALs, checkpoint files and data directories (made by the real code on a
//! simulated disk) that are then damaged at random. The checks themselves live in
//! `fuzz/src/lib.rs`, included here, so fuzzer and CI test the very same properties.
//!
//! Also replays every input under `fuzz/seeds/` (the fuzzers' seed corpus, plus any crash
//! input saved there as a regression); `cargo test --test fuzz_inputs -- --ignored` rewrites
//! the generated seeds after an on-disk format change.

#[path = "../fuzz/src/lib.rs"]
mod checks;

use bytes::Bytes;
use checks::{
    STORAGE_CHECKPOINT, STORAGE_MANIFEST_JSON, STORAGE_NO_MANIFEST, STORAGE_WAL_RECORDS,
    WAL_REPLAY_FROM_MASK, WAL_SEGMENT_GAP, WAL_SMALL_MAX_RECORD, WAL_SMALL_RECORDS,
    WAL_TWO_SEGMENTS,
};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::Index;
use quorumdb::pg::frame::{Frontend, StartupPacket, Target};
use quorumdb::sim::SimFileSystem;
use quorumdb::storage::checkpoint_file::CheckpointFileWriter;
use quorumdb::storage::memtable::Entry;
use quorumdb::storage::{Engine, EngineOptions, WriteBatch};
use quorumdb::vfs::FileSystem;
use quorumdb::wal::{Wal, WalError, WalOptions};
use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Random damage to a byte range: XOR flips at random positions, then a cut at a random
/// length.
#[derive(Debug, Clone)]
struct Damage {
    flips: Vec<(Index, u8)>,
    truncate: Option<Index>,
}

fn damage() -> impl Strategy<Value = Damage> {
    (vec((any::<Index>(), 1..=255u8), 0..4), proptest::option::weighted(0.3, any::<Index>()))
        .prop_map(|(flips, truncate)| Damage { flips, truncate })
}

impl Damage {
    /// Applies the damage to `bytes[from..]`.
    fn apply(&self, bytes: &mut Vec<u8>, from: usize) {
        let len = bytes.len().saturating_sub(from);
        if len == 0 {
            return;
        }
        for (at, xor) in &self.flips {
            bytes[from + at.index(len)] ^= xor;
        }
        if let Some(at) = &self.truncate {
            bytes.truncate(from + at.index(len));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// WAL recovery
// ---------------------------------------------------------------------------------------------

/// The segment files of a log made by appending `records` with the real `Wal`.
fn valid_wal(records: &[(u8, Vec<u8>)], segment_bytes: u64) -> Vec<Vec<u8>> {
    let fs = SimFileSystem::new(0);
    let dir = Path::new("/w");
    let options = WalOptions { segment_bytes, ..WalOptions::default() };
    let wal = Wal::open(Arc::new(fs.clone()), dir, options, 0, |_, _, _| Ok::<_, WalError>(()))
        .expect("open a new WAL");
    for (kind, payload) in records {
        wal.append(*kind, payload).expect("append");
    }
    drop(wal);
    let mut names = fs.list_dir(dir).expect("list WAL dir");
    names.sort();
    names.iter().map(|name| fs.map(&dir.join(name)).expect("map segment").to_vec()).collect()
}

/// A `wal_recovery` input for these segments; segments after the second are appended to it,
/// which keeps the log valid (a segment is just consecutive frames).
fn wal_input_for(mode: u8, segments: &[Vec<u8>]) -> Vec<u8> {
    match segments {
        [] => checks::wal_input(mode, &[], None),
        [only] => checks::wal_input(mode, only, None),
        [first, rest @ ..] => checks::wal_input(mode, first, Some(&rest.concat())),
    }
}

fn wal_records() -> impl Strategy<Value = Vec<(u8, Vec<u8>)>> {
    vec((any::<u8>(), vec(any::<u8>(), 0..40)), 0..12)
}

/// Header bytes before the segment data in a `wal_recovery` input.
fn wal_header_len(input: &[u8]) -> usize {
    if input[0] & WAL_TWO_SEGMENTS != 0 { 3 } else { 1 }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn wal_recovery_of_random_bytes(data in vec(any::<u8>(), 0..400)) {
        checks::check_wal_recovery(&data);
    }

    #[test]
    fn wal_recovery_of_a_valid_log(
        records in wal_records(),
        segment_bytes in prop_oneof![Just(64u64), Just(1 << 20)],
        replay_from in 0u8..4,
    ) {
        let segments = valid_wal(&records, segment_bytes);
        let mode = replay_from << 1;
        let report = checks::check_wal_recovery(&wal_input_for(mode, &segments));
        let expected = records.len().checked_sub(usize::from(replay_from));
        prop_assert_eq!(report.opened, expected.is_some());
        if let Some(expected) = expected {
            prop_assert_eq!(report.accepted, expected);
        }
    }

    #[test]
    fn wal_recovery_of_a_damaged_log(
        records in wal_records(),
        segment_bytes in prop_oneof![Just(64u64), Just(1 << 20)],
        mode in any::<u8>(),
        damage in damage(),
    ) {
        let mut input = wal_input_for(mode, &valid_wal(&records, segment_bytes));
        let header = wal_header_len(&input);
        damage.apply(&mut input, header);
        checks::check_wal_recovery(&input);
    }
}

#[test]
fn wal_modes_are_exercised() {
    let records: Vec<(u8, Vec<u8>)> =
        (0..6).map(|i| (1, vec![i; 10 + 10 * usize::from(i)])).collect();
    let segments = valid_wal(&records, 64);
    assert!(segments.len() >= 2, "the log should have rotated");
    let gap = checks::check_wal_recovery(&wal_input_for(WAL_SEGMENT_GAP, &segments));
    assert!(!gap.opened, "a gap between segments must be refused");
    // Payloads are 10, 20, ... 60 bytes: the two over the limit end the last segment, so
    // recovery takes them for a torn tail.
    let fit = records.iter().filter(|(_, p)| p.len() <= WAL_SMALL_MAX_RECORD).count();
    let small = checks::check_wal_recovery(&wal_input_for(WAL_SMALL_RECORDS, &segments));
    assert_eq!(small, checks::WalReport { opened: true, accepted: fit });
    let from_two = checks::check_wal_recovery(&wal_input_for(2 << 1, &segments));
    assert_eq!(from_two.accepted, records.len() - 2);
    assert_eq!(WAL_REPLAY_FROM_MASK >> 1, 3, "replay_from takes two mode bits");
}

// ---------------------------------------------------------------------------------------------
// Checkpoint files
// ---------------------------------------------------------------------------------------------

type Versions = BTreeMap<(Vec<u8>, Reverse<u64>), Option<Vec<u8>>>;

/// A checkpoint file holding `versions`, written by the real writer.
fn valid_checkpoint(versions: &Versions) -> Vec<u8> {
    let fs = SimFileSystem::new(0);
    fs.create_dir_all(Path::new("/c")).expect("mkdir");
    let path = Path::new("/c/0000000000000001.ckpt");
    let mut writer = CheckpointFileWriter::create(&fs, path).expect("create checkpoint file");
    for ((key, Reverse(ts)), value) in versions {
        let entry = Entry {
            key: Bytes::copy_from_slice(key),
            ts: *ts,
            value: value.as_deref().map(Bytes::copy_from_slice),
        };
        writer.add(&entry).expect("add version");
    }
    writer.finish().expect("finish checkpoint file");
    fs.map(path).expect("map checkpoint file").to_vec()
}

fn versions() -> impl Strategy<Value = Versions> {
    // Few distinct short keys, so keys get several versions; values big enough for several
    // 4 KiB blocks now and then.
    let key = vec(0u8..4, 0..4);
    let value = proptest::option::weighted(0.85, vec(any::<u8>(), 0..300));
    btree_map((key, (0u64..20).prop_map(Reverse)), value, 0..60)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn checkpoint_file_of_random_bytes(data in vec(any::<u8>(), 0..300)) {
        checks::check_checkpoint_file(&data);
    }

    #[test]
    fn checkpoint_file_valid_and_damaged(versions in versions(), damage in damage()) {
        let mut bytes = valid_checkpoint(&versions);
        prop_assert!(checks::check_checkpoint_file(&bytes) >= 1, "a valid file was refused");
        damage.apply(&mut bytes, 0);
        checks::check_checkpoint_file(&bytes);
    }
}

// ---------------------------------------------------------------------------------------------
// Storage engine open
// ---------------------------------------------------------------------------------------------

type Batches = Vec<Vec<(u8, Option<u16>)>>;

/// Files of a data directory made by the real engine: the batches before the split are
/// checkpointed (if `checkpoint`), the rest stay in the WAL only.
#[derive(Debug, Clone)]
struct DataDir {
    manifest: Option<Vec<u8>>,
    checkpoint: Option<Vec<u8>>,
    wal: Vec<u8>,
    /// Live keys after all batches.
    live: usize,
}

impl DataDir {
    fn input(&self) -> Vec<u8> {
        let mut flags = 0;
        if self.checkpoint.is_some() {
            flags |= STORAGE_CHECKPOINT;
        }
        if self.manifest.is_none() {
            flags |= STORAGE_NO_MANIFEST;
        }
        let manifest = self.manifest.as_deref().unwrap_or_default();
        let checkpoint = self.checkpoint.as_deref().unwrap_or_default();
        checks::storage_input(flags, manifest, checkpoint, &self.wal)
    }
}

fn key(k: u8) -> Bytes {
    Bytes::from(format!("key/{k:02}"))
}

fn valid_data_dir(batches: &Batches, split: usize, checkpoint: bool) -> DataDir {
    let fs = SimFileSystem::new(0);
    let options = EngineOptions { background: false, ..EngineOptions::default() };
    let engine =
        Engine::open(Arc::new(fs.clone()), Path::new("/data"), options).expect("open engine");
    let mut model = BTreeMap::new();
    for (i, writes) in batches.iter().enumerate() {
        if checkpoint && i == split {
            engine.checkpoint().expect("checkpoint");
        }
        let mut batch = WriteBatch::new();
        for &(k, value) in writes {
            match value {
                Some(v) => {
                    batch.put(key(k), Bytes::from(format!("value {v}")));
                    model.insert(k, v);
                }
                None => {
                    batch.delete(key(k));
                    model.remove(&k);
                }
            }
        }
        engine.write(i as u64 + 1, batch).expect("write");
    }
    drop(engine);
    let read = |path: &str| fs.exists(Path::new(path)).then(|| map(&fs, path));
    let wal_names = fs.list_dir(Path::new("/data/wal")).expect("list WAL");
    assert_eq!(wal_names, ["00000000000000000000.wal"], "expected one WAL segment");
    DataDir {
        manifest: read("/data/storage/MANIFEST"),
        checkpoint: read("/data/storage/0000000000000001.ckpt"),
        wal: map(&fs, "/data/wal/00000000000000000000.wal"),
        live: model.len(),
    }
}

fn map(fs: &SimFileSystem, path: &str) -> Vec<u8> {
    fs.map(Path::new(path)).expect("map").to_vec()
}

fn batches() -> impl Strategy<Value = Batches> {
    let write = (0u8..24, proptest::option::weighted(0.8, any::<u16>()));
    vec(vec(write, 1..5), 0..10)
}

/// Structure-aware changes to a data directory, each of which the engine must refuse or
/// handle without panicking.
#[derive(Debug, Clone)]
enum Twist {
    /// Rewrite the manifest's JSON: checkpoint LSN, GC horizon, format version, file list.
    Manifest { checkpoint_lsn: u64, gc_horizon: u64, format_version: u32, file_ids: Vec<u64> },
    /// Re-frame the WAL records after editing them (valid CRCs over altered payloads).
    WalRecords { edits: Vec<(Index, RecordEdit)> },
}

#[derive(Debug, Clone)]
enum RecordEdit {
    Flip(Index, u8),
    Kind(u8),
    Duplicate,
    Remove,
    SwapWithNext,
    Truncate(Index),
}

fn twist() -> impl Strategy<Value = Twist> {
    let lsn = prop_oneof![0u64..12, Just(u64::MAX), Just(u64::MAX / 2 + 1)];
    let manifest = (lsn, prop_oneof![0u64..12, any::<u64>()], 0u32..3, vec(0u64..4, 0..3))
        .prop_map(|(checkpoint_lsn, gc_horizon, format_version, file_ids)| Twist::Manifest {
            checkpoint_lsn,
            gc_horizon,
            format_version,
            file_ids,
        });
    let edit = prop_oneof![
        (any::<Index>(), 1..=255u8).prop_map(|(at, xor)| RecordEdit::Flip(at, xor)),
        any::<u8>().prop_map(RecordEdit::Kind),
        Just(RecordEdit::Duplicate),
        Just(RecordEdit::Remove),
        Just(RecordEdit::SwapWithNext),
        any::<Index>().prop_map(RecordEdit::Truncate),
    ];
    let wal = vec((any::<Index>(), edit), 0..3).prop_map(|edits| Twist::WalRecords { edits });
    prop_oneof![manifest, wal]
}

/// The (kind, payload) records of a valid WAL segment, by the documented frame format (a
/// zero length field starts the preallocated zeros after the last record).
fn wal_frames(mut bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut records = Vec::new();
    while bytes.len() >= 9 {
        let len = u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes")) as usize;
        if len == 0 {
            break;
        }
        records.push((bytes[8], bytes[9..8 + len].to_vec()));
        bytes = &bytes[8 + len..];
    }
    records
}

impl Twist {
    fn apply(&self, dir: &DataDir) -> Vec<u8> {
        let mut dir = dir.clone();
        let mut flags = 0;
        match self {
            Twist::Manifest { checkpoint_lsn, gc_horizon, format_version, file_ids } => {
                let body = dir.manifest.as_deref().map_or(&[][..], |m| &m[4..]);
                let mut json: serde_json::Value =
                    serde_json::from_slice(body).unwrap_or_else(|_| {
                        serde_json::json!({"format_version": 1, "checkpoint_lsn": 0,
                                       "next_file_id": 1, "gc_horizon": 0, "files": []})
                    });
                json["checkpoint_lsn"] = (*checkpoint_lsn).into();
                json["gc_horizon"] = (*gc_horizon).into();
                json["format_version"] = (*format_version).into();
                let template = json["files"].get(0).cloned().unwrap_or_else(
                    || serde_json::json!({"id": 1, "entries": 0, "bytes": 0, "max_ts": 0}),
                );
                let files: Vec<serde_json::Value> = file_ids
                    .iter()
                    .map(|&id| {
                        let mut file = template.clone();
                        file["id"] = id.into();
                        file
                    })
                    .collect();
                json["files"] = files.into();
                dir.manifest = Some(serde_json::to_vec(&json).expect("serialize manifest"));
                flags |= STORAGE_MANIFEST_JSON;
            }
            Twist::WalRecords { edits } => {
                let mut records = wal_frames(&dir.wal);
                for (at, edit) in edits {
                    if records.is_empty() {
                        break;
                    }
                    let i = at.index(records.len());
                    match edit {
                        RecordEdit::Flip(at, xor) if !records[i].1.is_empty() => {
                            let payload = &mut records[i].1;
                            let j = at.index(payload.len());
                            payload[j] ^= xor;
                        }
                        RecordEdit::Flip(..) => {}
                        RecordEdit::Kind(kind) => records[i].0 = *kind,
                        RecordEdit::Duplicate => records.insert(i, records[i].clone()),
                        RecordEdit::Remove => drop(records.remove(i)),
                        RecordEdit::SwapWithNext if i + 1 < records.len() => records.swap(i, i + 1),
                        RecordEdit::SwapWithNext => {}
                        RecordEdit::Truncate(at) => {
                            let len = at.index(records[i].1.len() + 1);
                            records[i].1.truncate(len);
                        }
                    }
                }
                dir.wal.clear();
                for (kind, payload) in &records {
                    checks::push_wal_record(&mut dir.wal, *kind, payload);
                }
                flags |= STORAGE_WAL_RECORDS;
            }
        }
        let mut input = dir.input();
        input[0] |= flags;
        if flags & STORAGE_MANIFEST_JSON != 0 {
            input[0] &= !STORAGE_NO_MANIFEST;
        }
        input
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn storage_open_of_random_bytes(data in vec(any::<u8>(), 0..300)) {
        checks::check_storage_open(&data);
    }

    #[test]
    fn storage_open_of_a_valid_dir(batches in batches(), split in 0usize..10, checkpoint: bool) {
        let dir = valid_data_dir(&batches, split, checkpoint);
        let report = checks::check_storage_open(&dir.input());
        prop_assert_eq!(report, checks::StorageReport { opened: true, rows: Some(dir.live) });
    }

    #[test]
    fn storage_open_of_a_damaged_dir(
        batches in batches(),
        split in 0usize..10,
        damage in damage(),
    ) {
        let mut input = valid_data_dir(&batches, split, true).input();
        damage.apply(&mut input, 5);
        checks::check_storage_open(&input);
    }

    #[test]
    fn storage_open_of_a_twisted_dir(
        batches in batches(),
        split in 0usize..10,
        checkpoint: bool,
        twist in twist(),
    ) {
        let dir = valid_data_dir(&batches, split, checkpoint);
        checks::check_storage_open(&twist.apply(&dir));
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL frontend messages
// ---------------------------------------------------------------------------------------------

fn pg_startup() -> StartupPacket {
    StartupPacket::Startup {
        major: 3,
        minor: 0,
        params: vec![("user".into(), "quorumdb".into()), ("database".into(), "db".into())],
    }
}

fn pg_cancel() -> StartupPacket {
    StartupPacket::Cancel { pid: 42, key: Bytes::from_static(b"\x01\x02\x03\x04") }
}

/// A typical client stream: SSLRequest, StartupMessage, simple query, an extended-protocol
/// round trip, COPY data, Terminate.
fn pg_session(mode: u8) -> Vec<u8> {
    let messages = [
        Frontend::Query("SELECT 1; CREATE TABLE t (id int)".into()),
        Frontend::Parse { name: "s1".into(), query: "SELECT $1::int".into(), param_oids: vec![23] },
        Frontend::Describe { target: Target::Statement, name: "s1".into() },
        Frontend::Flush,
        Frontend::Bind {
            portal: "".into(),
            statement: "s1".into(),
            param_formats: vec![1],
            params: vec![Some(Bytes::from_static(b"\0\0\0\x07")), None],
            result_formats: vec![0, 1],
        },
        Frontend::Execute { portal: "".into(), max_rows: 1 },
        Frontend::Close { target: Target::Portal, name: "".into() },
        Frontend::Sync,
        Frontend::CopyData(Bytes::from_static(b"1\tone\n")),
        Frontend::CopyDone,
        Frontend::CopyFail("stop".into()),
        Frontend::Password(Bytes::from_static(b"SCRAM-SHA-256\0\0\0\0\x03n,,")),
        Frontend::Terminate,
    ];
    checks::pg_input(mode, &[StartupPacket::SslRequest, pg_startup()], &messages)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn pg_messages_of_random_bytes(data in vec(any::<u8>(), 0..300)) {
        checks::check_pg_messages(&data);
    }

    #[test]
    fn pg_messages_of_a_damaged_session(mode: u8, damage in damage()) {
        let mut input = pg_session(mode);
        damage.apply(&mut input, 1);
        checks::check_pg_messages(&input);
    }

    #[test]
    fn pg_messages_of_a_valid_session(mode: u8) {
        let report = checks::check_pg_messages(&pg_session(mode));
        prop_assert_eq!(report, checks::PgReport { messages: 15, clean: true });
    }
}

// ---------------------------------------------------------------------------------------------
// Seed corpus
// ---------------------------------------------------------------------------------------------

fn seeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds")
}

/// The generated seeds: (target, file name, bytes). Names starting with `valid-` are inputs
/// the check must accept.
fn generated_seeds() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let records: Vec<(u8, Vec<u8>)> = (0u8..5)
        .map(|i| (1, format!("record {i} {}", "x".repeat(usize::from(i) * 9)).into_bytes()))
        .collect();
    let one = valid_wal(&records, 1 << 20);
    let two = valid_wal(&records, 64);
    let mut torn = wal_input_for(0, &one);
    torn.truncate(torn.len() - 5);
    let mut crc_damaged = wal_input_for(0, &one);
    crc_damaged[1 + 4] ^= 0x40;

    let mut versions = Versions::new();
    for i in 0u8..3 {
        versions.insert((vec![b'k', i], Reverse(7)), Some(vec![b'v', i]));
        versions.insert((vec![b'k', i], Reverse(3)), (i != 1).then(|| b"old".to_vec()));
    }
    let mut many = Versions::new();
    for i in 0u16..120 {
        many.insert(
            (format!("key{i:04}").into_bytes(), Reverse(u64::from(i % 5))),
            Some(vec![b'v'; 90]),
        );
    }

    let batches: Batches = (0u16..8)
        .map(|i| vec![((i * 5 % 12) as u8, (i % 4 != 3).then_some(i)), (20, Some(i))])
        .collect();
    let full = valid_data_dir(&batches, 4, true);
    let wal_only = valid_data_dir(&batches, 0, false);
    let json =
        Twist::Manifest { checkpoint_lsn: 4, gc_horizon: 0, format_version: 1, file_ids: vec![1] };
    let records = Twist::WalRecords { edits: Vec::new() };

    vec![
        ("wal_recovery", "valid-one-segment", wal_input_for(0, &one)),
        ("wal_recovery", "valid-two-segments", wal_input_for(0, &two)),
        ("wal_recovery", "valid-replay-from-3", wal_input_for(3 << 1, &one)),
        ("wal_recovery", "torn-tail", torn),
        ("wal_recovery", "crc-damaged", crc_damaged),
        ("wal_recovery", "small-records", wal_input_for(WAL_SMALL_RECORDS, &two)),
        ("checkpoint_file", "valid-small", valid_checkpoint(&versions)),
        ("checkpoint_file", "valid-multi-block", valid_checkpoint(&many)),
        ("checkpoint_file", "valid-empty", valid_checkpoint(&Versions::new())),
        ("storage_open", "valid-checkpoint-and-wal", full.input()),
        ("storage_open", "valid-wal-only", wal_only.input()),
        ("storage_open", "valid-json-manifest", json.apply(&full)),
        ("storage_open", "valid-wal-records", records.apply(&full)),
        ("pg_messages", "valid-session", pg_session(0)),
        (
            "pg_messages",
            "valid-session-small-limit-chunked",
            pg_session(checks::PG_SMALL_LIMIT | 6),
        ),
        ("pg_messages", "valid-cancel", checks::pg_input(0, &[pg_cancel()], &[])),
        ("pg_messages", "truncated", {
            let mut s = pg_session(0);
            s.truncate(s.len() - 3);
            s
        }),
        ("pg_messages", "oversize-small-limit", {
            let big = Frontend::Query("x".repeat(2000));
            checks::pg_input(checks::PG_SMALL_LIMIT, &[pg_startup()], &[big])
        }),
    ]
}

fn run_check(target: &str, data: &[u8]) -> bool {
    match target {
        "wal_recovery" => checks::check_wal_recovery(data).opened,
        "checkpoint_file" => checks::check_checkpoint_file(data) > 0,
        "storage_open" => checks::check_storage_open(data).opened,
        "pg_messages" => checks::check_pg_messages(data).clean,
        "sql_plan" => checks::check_sql_plan(data),
        other => panic!("fuzz/seeds/{other}: no such fuzz target"),
    }
}

#[test]
fn seed_corpus_passes() {
    let mut count = 0;
    for target in std::fs::read_dir(seeds_dir()).expect("fuzz/seeds exists") {
        let target = target.expect("read fuzz/seeds");
        let name = target.file_name().to_string_lossy().into_owned();
        for seed in std::fs::read_dir(target.path()).expect("read seed dir") {
            let seed = seed.expect("read seed dir").path();
            let bytes = std::fs::read(&seed).expect("read seed");
            let opened = run_check(&name, &bytes);
            let must_open =
                seed.file_name().is_some_and(|n| n.to_string_lossy().starts_with("valid-"));
            assert!(
                opened || !must_open,
                "{} is no longer accepted; after an intended format change, regenerate the seeds \
                 with `cargo test --test fuzz_inputs -- --ignored`",
                seed.display()
            );
            count += 1;
        }
    }
    assert!(count >= generated_seeds().len(), "fuzz/seeds holds only {count} inputs");
}

#[test]
#[ignore = "rewrites fuzz/seeds; run after an on-disk format change"]
fn write_seed_corpus() {
    for (target, name, bytes) in generated_seeds() {
        let dir = seeds_dir().join(target);
        std::fs::create_dir_all(&dir).expect("create seed dir");
        std::fs::write(dir.join(name), bytes).expect("write seed");
    }
}

// ---------------------------------------------------------------------------------------------
// SQL text → plan
// ---------------------------------------------------------------------------------------------

/// SQL-looking text: keywords, names of the fuzz schema, literals, operators and punctuation.
fn sql_text() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        proptest::sample::select(vec![
            "SELECT",
            "FROM",
            "WHERE",
            "INSERT INTO",
            "VALUES",
            "UPDATE",
            "SET",
            "DELETE",
            "RETURNING",
            "ON CONFLICT",
            "DO NOTHING",
            "CREATE TABLE",
            "DROP TABLE",
            "BEGIN",
            "COMMIT",
            "ORDER BY",
            "LIMIT",
            "CASE",
            "WHEN",
            "END",
            "NULL",
            "::",
            "fz_items",
            "fz_all",
            "id",
            "name",
            "k1",
            "iv",
            "(",
            ")",
            ",",
            ";",
            "+",
            "*",
            "=",
            "'x'",
            "$1",
            "1.5",
            "-1",
            "int8",
            "numeric(3,1)",
            "jsonb",
            "now()",
            "count(*)",
        ])
        .prop_map(str::to_owned),
        "[ -~]{0,6}",
    ];
    vec(token, 0..24).prop_map(|tokens| tokens.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sql_plan_of_random_bytes(data in vec(any::<u8>(), 0..200)) {
        checks::check_sql_plan(&data);
    }

    #[test]
    fn sql_plan_of_sql_like_text(text in sql_text()) {
        checks::check_sql_plan(text.as_bytes());
    }
}
