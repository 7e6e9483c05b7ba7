//! Model-based crash test: random transactions, checkpoints, GC and crashes against the real
//! engine on a simulated disk, compared with a `BTreeMap` model of acknowledged commits.
//!
//! The simulated disk forgets unsynced writes and may keep a torn prefix of the last ones when
//! it "loses power". Crashes are scheduled a random number of disk operations ahead, so they
//! land anywhere: mid group commit, between a checkpoint file and its manifest, during a
//! merge or a WAL segment deletion. After every restart the engine must hold exactly the
//! acknowledged commits, plus possibly the one commit that was in flight (atomically: all of
//! it or none of it).

use bytes::Bytes;
use proptest::prelude::*;
use quorumdb::sim::SimFileSystem;
use quorumdb::storage::{Engine, EngineOptions};
use quorumdb::txn::{IsolationLevel, TxnStore};
use quorumdb::util::clock::ManualClock;
use quorumdb::wal::WalOptions;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

type Model = BTreeMap<Bytes, Bytes>;
type Writes = Vec<(u8, Option<u16>)>;

#[derive(Debug, Clone)]
enum Op {
    /// One transaction writing (key, Some(value)) or deleting (key, None).
    Commit(Writes),
    Checkpoint,
    CollectGarbage,
    /// Schedule a power loss after this many more disk operations.
    CrashAfter(u8),
    /// Immediate power loss.
    PowerLoss,
}

fn op() -> impl Strategy<Value = Op> {
    let writes =
        proptest::collection::vec((0u8..40, proptest::option::weighted(0.8, any::<u16>())), 1..6);
    prop_oneof![
        10 => writes.prop_map(Op::Commit),
        2 => Just(Op::Checkpoint),
        1 => Just(Op::CollectGarbage),
        2 => (0u8..30).prop_map(Op::CrashAfter),
        1 => Just(Op::PowerLoss),
    ]
}

fn key(k: u8) -> Bytes {
    Bytes::from(format!("key/{k:03}"))
}

fn value(v: u16) -> Bytes {
    // Vary sizes so memtables fill, flush and merge at different points.
    Bytes::from(format!("{v}:{}", "v".repeat(usize::from(v % 97))))
}

fn apply(model: &mut Model, writes: &Writes) {
    for (k, v) in writes {
        match v {
            Some(v) => model.insert(key(*k), value(*v)),
            None => model.remove(&key(*k)),
        };
    }
}

fn open(fs: &SimFileSystem, clock: &Arc<ManualClock>) -> Arc<TxnStore> {
    let options = EngineOptions {
        wal: WalOptions { segment_bytes: 2048, ..WalOptions::default() },
        memtable_bytes: 8 << 10,
        max_checkpoint_files: 3,
        background: false,
        ..EngineOptions::default()
    };
    let engine = Engine::open(Arc::new(fs.clone()), Path::new("/data"), options)
        .unwrap_or_else(|e| panic!("recovery failed: {e}"));
    TxnStore::new(engine, clock.clone())
}

fn contents(store: &Arc<TxnStore>) -> Model {
    let mut txn = store.begin(IsolationLevel::Serializable);
    let scan = txn.scan(Bound::Unbounded, Bound::Unbounded).unwrap_or_else(|e| panic!("scan: {e}"));
    scan.collect::<Result<_, _>>().unwrap_or_else(|e| panic!("scan: {e}"))
}

/// Restarts after a crash and checks the recovered state; returns the new store.
fn recover(
    fs: &SimFileSystem,
    clock: &Arc<ManualClock>,
    store: Arc<TxnStore>,
    model: &mut Model,
    in_flight: Option<Writes>,
) -> Arc<TxnStore> {
    drop(store);
    fs.crash();
    let store = open(fs, clock);
    let recovered = contents(&store);
    if recovered == *model {
        return store;
    }
    let mut with_in_flight = model.clone();
    if let Some(writes) = &in_flight {
        apply(&mut with_in_flight, writes);
    }
    assert_eq!(
        recovered, with_in_flight,
        "recovered state is neither the acknowledged state nor it plus the in-flight commit"
    );
    *model = with_in_flight;
    // Point reads agree with the scan.
    let mut txn = store.begin(IsolationLevel::Serializable);
    for k in 0..40 {
        assert_eq!(txn.get(&key(k)).ok().flatten(), model.get(&key(k)).cloned());
    }
    drop(txn);
    store
}

fn run(seed: u64, ops: Vec<Op>) {
    let fs = SimFileSystem::new(seed);
    let clock = Arc::new(ManualClock::new(1_000));
    let mut store = open(&fs, &clock);
    let mut model = Model::new();
    for op in ops {
        clock.advance(1);
        match op {
            Op::Commit(writes) => {
                let mut txn = store.begin(IsolationLevel::Serializable);
                for (k, v) in &writes {
                    match v {
                        Some(v) => txn.put(key(*k), value(*v)),
                        None => txn.delete(key(*k)),
                    }
                }
                match txn.commit() {
                    Ok(_) => apply(&mut model, &writes),
                    Err(err) => {
                        assert!(fs.is_down(), "commit failed without a crash: {err}");
                        store = recover(&fs, &clock, store, &mut model, Some(writes));
                    }
                }
            }
            Op::Checkpoint => {
                if let Err(err) = store.engine().checkpoint() {
                    assert!(fs.is_down(), "checkpoint failed without a crash: {err}");
                    store = recover(&fs, &clock, store, &mut model, None);
                }
            }
            Op::CollectGarbage => {
                store.collect_garbage();
            }
            Op::CrashAfter(n) => fs.crash_after_ops(u64::from(n)),
            Op::PowerLoss => store = recover(&fs, &clock, store, &mut model, None),
        }
    }
    let store = recover(&fs, &clock, store, &mut model, None);
    assert_eq!(contents(&store), model);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn engine_equals_model_of_acknowledged_commits_after_every_crash(
        seed in any::<u64>(),
        ops in proptest::collection::vec(op(), 1..120),
    ) {
        run(seed, ops);
    }
}

/// A fixed long run, so every CI build covers many crash points even if proptest's random
/// cases happen to be short.
#[test]
fn long_fixed_seed_run() {
    let mut ops = Vec::new();
    for i in 0u16..600 {
        let k = (i * 7 % 40) as u8;
        ops.push(Op::Commit(vec![
            (k, Some(i)),
            ((k + 1) % 40, if i % 5 == 0 { None } else { Some(i + 1) }),
        ]));
        if i % 50 == 0 {
            ops.push(Op::Checkpoint);
        }
        if i % 37 == 0 {
            ops.push(Op::CrashAfter((i % 23) as u8));
        }
        if i % 101 == 0 {
            ops.push(Op::CollectGarbage);
        }
    }
    run(42, ops);
}
