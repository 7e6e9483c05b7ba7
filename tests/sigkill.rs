//! Real-process durability: a child `quorumdb debug-commit-loop` commits transactions from
//! several threads and prints each acknowledged one; we SIGKILL it at random moments (with
//! checkpoints running, since its memtable limit is tiny), restart on the same directory,
//! and check that every acknowledged commit is present and no transaction is partial.

use bytes::Bytes;
use quorumdb::storage::{Engine, EngineOptions};
use quorumdb::vfs::OsFileSystem;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::ops::Bound;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

const KEYS_PER_TXN: usize = 5;
const CYCLES: u64 = 24;

/// Kills the child on drop, so a failing assertion never leaks a process.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// (run, thread, seq) of one transaction.
type TxnId = (u64, u64, u64);

fn parse_key(key: &[u8]) -> Option<(TxnId, u64)> {
    let text = std::str::from_utf8(key).ok()?;
    let mut parts = text.split('/');
    let mut field = |prefix: char| parts.next()?.strip_prefix(prefix)?.parse::<u64>().ok();
    Some(((field('r')?, field('t')?, field('s')?), field('k')?))
}

/// Opens the directory in this process and returns each transaction's keys and values.
fn committed(dir: &Path) -> BTreeMap<TxnId, Vec<(u64, Bytes)>> {
    let options = EngineOptions { background: false, ..EngineOptions::default() };
    let engine = Engine::open(Arc::new(OsFileSystem), dir, options)
        .unwrap_or_else(|e| panic!("recovery failed: {e}"));
    let mut txns: BTreeMap<TxnId, Vec<(u64, Bytes)>> = BTreeMap::new();
    let scan = engine
        .scan(Bound::Unbounded, Bound::Unbounded, engine.max_committed_ts())
        .unwrap_or_else(|e| panic!("scan failed: {e}"));
    for row in scan {
        let (key, value) = row.unwrap_or_else(|e| panic!("scan failed: {e}"));
        let (txn, k) = parse_key(&key).unwrap_or_else(|| panic!("unexpected key {key:?}"));
        txns.entry(txn).or_default().push((k, value));
    }
    txns
}

#[test]
fn every_acknowledged_commit_survives_sigkill() {
    let dir = tempfile::tempdir().expect("temp dir");
    let seed: u64 = rand::random();
    println!("seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut acknowledged: BTreeSet<TxnId> = BTreeSet::new();
    for run in 0..CYCLES {
        let child = Command::new(env!("CARGO_BIN_EXE_quorumdb"))
            .args(["debug-commit-loop", "--threads", "4", "--keys", &KEYS_PER_TXN.to_string()])
            .args(["--memtable-bytes", "65536", "--run", &run.to_string(), "--data-dir"])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn quorumdb");
        let mut child = KillOnDrop(child);
        let stdout = child.0.stdout.take().expect("child stdout");
        let (lines_tx, lines) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        let ready = lines.recv_timeout(Duration::from_secs(60)).expect("child never became ready");
        assert_eq!(ready, "ready");
        let kill_at = Instant::now() + Duration::from_millis(rng.gen_range(20..400));
        std::thread::sleep(kill_at.saturating_duration_since(Instant::now()));
        child.0.kill().expect("SIGKILL");
        child.0.wait().expect("reap child");
        reader.join().expect("reader thread");
        // Everything the child printed before it died was acknowledged.
        let mut acked_this_run = 0;
        for line in lines.try_iter() {
            let fields: Vec<u64> = line.split(' ').skip(1).filter_map(|f| f.parse().ok()).collect();
            assert!(line.starts_with("ack ") && fields.len() == 2, "unexpected output {line:?}");
            acknowledged.insert((run, fields[0], fields[1]));
            acked_this_run += 1;
        }
        let present = committed(dir.path());
        for txn in &acknowledged {
            let keys = present
                .get(txn)
                .unwrap_or_else(|| panic!("acknowledged txn {txn:?} lost (seed {seed})"));
            assert_eq!(keys.len(), KEYS_PER_TXN, "acknowledged txn {txn:?} incomplete");
        }
        for (txn, keys) in &present {
            assert_eq!(
                keys.len(),
                KEYS_PER_TXN,
                "partial transaction {txn:?} visible (seed {seed})"
            );
            for (k, value) in keys {
                assert_eq!(
                    value,
                    &Bytes::from(txn.2.to_string()),
                    "txn {txn:?} key {k} has wrong value"
                );
            }
        }
        println!(
            "cycle {run}: {acked_this_run} acknowledged, {} transactions on disk",
            present.len()
        );
    }
    assert!(acknowledged.len() > CYCLES as usize, "too few commits acknowledged to mean anything");
}
