//! Unit tests of the WAL on the simulated disk.

use super::*;
use crate::sim::SimFileSystem;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn dir() -> PathBuf {
    PathBuf::from("/data/wal")
}

fn options() -> WalOptions {
    WalOptions { segment_bytes: 256, ..WalOptions::default() }
}

/// Every replayed (lsn, payload).
type Replayed = Vec<(Lsn, Vec<u8>)>;

fn open(fs: &SimFileSystem, from: Lsn) -> Result<(Wal, Replayed), WalError> {
    let mut seen = Vec::new();
    let wal =
        Wal::open::<WalError>(Arc::new(fs.clone()), &dir(), options(), from, |lsn, kind, p| {
            assert_eq!(kind, 1);
            seen.push((lsn, p.to_vec()));
            Ok(())
        })?;
    Ok((wal, seen))
}

fn payload(i: u64) -> Vec<u8> {
    format!("record-{i:04}").into_bytes()
}

#[test]
fn appended_records_replay_in_order_across_segments() -> TestResult {
    let fs = SimFileSystem::new(1);
    let (wal, seen) = open(&fs, 0)?;
    assert!(seen.is_empty());
    for i in 0..100 {
        assert_eq!(wal.append(1, &payload(i))?, i);
    }
    assert!(wal.segment_count() > 3, "small segments must rotate");
    drop(wal);
    fs.crash();
    let (wal, seen) = open(&fs, 0)?;
    assert_eq!(seen, (0..100).map(|i| (i, payload(i))).collect::<Vec<_>>());
    assert_eq!(wal.next_lsn(), 100);
    Ok(())
}

#[test]
fn replay_starts_at_requested_lsn_and_old_segments_can_go() -> TestResult {
    let fs = SimFileSystem::new(2);
    let (wal, _) = open(&fs, 0)?;
    for i in 0..100 {
        wal.append(1, &payload(i))?;
    }
    let before = wal.segment_count();
    let removed = wal.remove_before(60)?;
    assert!(removed > 0 && wal.segment_count() == before - removed);
    assert!(wal.first_lsn() <= 60);
    drop(wal);
    fs.crash();
    let (_, seen) = open(&fs, 60)?;
    assert_eq!(seen.first().map(|r| r.0), Some(60));
    assert_eq!(seen.len(), 40);
    // Asking for records that were deleted is refused, not silently skipped.
    assert!(open(&fs, 0).is_err_and(|e| e.is_corruption()));
    Ok(())
}

#[test]
fn torn_tail_is_cut_and_log_continues() -> TestResult {
    for seed in 0..30 {
        let fs = SimFileSystem::new(seed);
        let (wal, _) = open(&fs, 0)?;
        for i in 0..5 {
            wal.append(1, &payload(i))?;
        }
        // The machine dies during the fsync of the sixth record: its bytes may be torn.
        fs.crash_after_ops(1);
        assert!(wal.append(1, &payload(5)).is_err());
        drop(wal);
        fs.crash();
        let (wal, seen) = open(&fs, 0)?;
        assert!(seen.len() == 5 || seen.len() == 6, "seed {seed}: {} records", seen.len());
        assert_eq!(&seen[..5], &(0..5).map(|i| (i, payload(i))).collect::<Vec<_>>()[..]);
        let next = wal.append(1, b"after")?;
        assert_eq!(next, seen.len() as u64);
        drop(wal);
        let (_, again) = open(&fs, 0)?;
        assert_eq!(again.len(), seen.len() + 1);
    }
    Ok(())
}

#[test]
fn damage_in_the_middle_refuses_to_open_naming_file_and_offset() -> TestResult {
    let fs = SimFileSystem::new(3);
    let (wal, _) = open(&fs, 0)?;
    for i in 0..10 {
        wal.append(1, &payload(i))?;
    }
    drop(wal);
    let first = dir().join(segment::file_name(0));
    let frame = record::framed_len(payload(0).len());
    fs.corrupt_byte(&first, frame + 12)?; // inside the second record
    let err = open(&fs, 0).expect_err("must refuse");
    let WalError::Corruption { file, offset, .. } = &err else { panic!("{err}") };
    assert_eq!((file, *offset), (&first, frame as u64));
    assert!(err.to_string().contains("00000000000000000000.wal"));
    Ok(())
}

#[test]
fn missing_segment_is_corruption() -> TestResult {
    let fs = SimFileSystem::new(4);
    let (wal, _) = open(&fs, 0)?;
    for i in 0..100 {
        wal.append(1, &payload(i))?;
    }
    let second = wal.writer.lock().segments[1];
    drop(wal);
    fs.remove_file(&dir().join(segment::file_name(second)))?;
    fs.sync_dir(&dir())?;
    assert!(open(&fs, 0).is_err_and(|e| e.is_corruption()));
    Ok(())
}

#[test]
fn truncate_from_cuts_a_suffix_durably() -> TestResult {
    let fs = SimFileSystem::new(5);
    let (wal, _) = open(&fs, 0)?;
    for i in 0..50 {
        wal.append(1, &payload(i))?;
    }
    wal.truncate_from(20)?;
    assert_eq!(wal.next_lsn(), 20);
    assert_eq!(wal.append(1, b"replacement")?, 20);
    drop(wal);
    fs.crash();
    let (_, seen) = open(&fs, 0)?;
    assert_eq!(seen.len(), 21);
    assert_eq!(seen[19], (19, payload(19)));
    assert_eq!(seen[20], (20, b"replacement".to_vec()));
    Ok(())
}

#[test]
fn concurrent_committers_share_fsyncs() -> TestResult {
    let fs = SimFileSystem::new(6);
    let (wal, _) = open(&fs, 0)?;
    let wal = Arc::new(wal);
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let wal = wal.clone();
            std::thread::spawn(move || -> Result<(), WalError> {
                for i in 0..50 {
                    wal.append(1, &payload(t * 1000 + i))?;
                }
                Ok(())
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("committer panicked")?;
    }
    let stats = wal.stats();
    assert_eq!(stats.records, 800);
    assert!(stats.syncs <= stats.records);
    drop(wal);
    let (_, seen) = open(&fs, 0)?;
    assert_eq!(seen.len(), 800);
    Ok(())
}

#[test]
fn failed_fsync_poisons_the_log() -> TestResult {
    let fs = SimFileSystem::new(7);
    let (wal, _) = open(&fs, 0)?;
    wal.append(1, b"ok")?;
    fs.fail_next_syncs(1);
    assert!(wal.append(1, b"lost").is_err());
    assert!(matches!(wal.append(1, b"later"), Err(WalError::Poisoned { .. })));
    Ok(())
}

#[test]
fn disk_full_fails_the_commit_and_leaves_no_partial_record() -> TestResult {
    let fs = SimFileSystem::new(8);
    let (wal, _) = open(&fs, 0)?;
    wal.append(1, b"fits")?;
    fs.set_capacity(Some(30));
    let err = wal.append(1, &[7u8; 100]).expect_err("disk is full");
    assert!(err.to_string().contains("no space"), "{err}");
    drop(wal);
    fs.set_capacity(None);
    fs.crash();
    let (_, seen) = open(&fs, 0)?;
    assert_eq!(seen, vec![(0, b"fits".to_vec())]);
    Ok(())
}

#[test]
fn oversized_record_is_rejected_up_front() -> TestResult {
    let fs = SimFileSystem::new(9);
    let mut seen = 0;
    let opts = WalOptions { max_record_bytes: 10, ..options() };
    let wal = Wal::open::<WalError>(Arc::new(fs), &dir(), opts, 0, |_, _, _| {
        seen += 1;
        Ok(())
    })?;
    assert!(matches!(wal.append(1, &[0; 11]), Err(WalError::RecordTooLarge { .. })));
    Ok(())
}

#[test]
fn forged_positions_are_refused_not_overflowed() -> TestResult {
    let fs = SimFileSystem::new(10);
    fs.create_dir_all(&dir())?;
    let mut frames = Vec::new();
    record::encode(&mut frames, 1, b"a");
    fs.put_file(&dir().join(segment::file_name(u64::MAX)), &frames)?;
    assert!(open(&fs, 0).is_err_and(|e| e.is_corruption()));
    let empty = SimFileSystem::new(11);
    assert!(matches!(open(&empty, u64::MAX), Err(WalError::InvalidPosition { .. })));
    Ok(())
}

#[test]
fn zero_segment_size_rotates_after_every_batch_without_duplicates() -> TestResult {
    let fs = SimFileSystem::new(12);
    let opts = WalOptions { segment_bytes: 0, ..options() };
    let wal = Wal::open::<WalError>(Arc::new(fs.clone()), &dir(), opts, 0, |_, _, _| Ok(()))?;
    for i in 0..3 {
        wal.append(1, &payload(i))?;
    }
    assert_eq!(wal.segment_count(), 3);
    assert_eq!(wal.remove_before(2)?, 2);
    Ok(())
}

#[test]
fn segments_are_zero_filled_ahead_and_recovery_reads_zeros_as_the_end() -> TestResult {
    let fs = SimFileSystem::new(11);
    let (wal, _) = open(&fs, 0)?;
    for i in 0..30 {
        wal.append(1, &payload(i))?;
    }
    // Every segment file is at least `segment_bytes` long: the sealed ones and the active
    // one end in zeros the appends did not reach.
    let names = fs.list_dir(&dir())?;
    assert!(names.len() > 1);
    for name in &names {
        assert!(fs.map(&dir().join(name))?.len() >= options().segment_bytes as usize, "{name}");
    }
    drop(wal);
    for round in 0..3u64 {
        fs.crash();
        let (wal, seen) = open(&fs, 0)?;
        let expected = 30 + round;
        assert_eq!(seen, (0..expected).map(|i| (i, payload(i))).collect::<Vec<_>>());
        // Appends continue right after the last record, over the cut-off zeros.
        assert_eq!(wal.append(1, &payload(expected))?, expected);
    }
    Ok(())
}

/// Appends one record from a fresh thread (a committer the log has not seen before).
fn append_from_new_thread(wal: &Arc<Wal>, i: u64) -> Result<Lsn, WalError> {
    let wal = wal.clone();
    std::thread::spawn(move || wal.append(1, &payload(i))).join().expect("committer panicked")
}

#[test]
fn a_lone_committer_never_gathers() -> TestResult {
    let fs = SimFileSystem::new(9);
    let opts = WalOptions { gather_max: Duration::from_secs(30), ..options() };
    let wal = Wal::open(Arc::new(fs.clone()), &dir(), opts, 0, |_, _, _| Ok::<_, WalError>(()))?;
    let started = Instant::now();
    for i in 0..50 {
        wal.append(1, &payload(i))?;
    }
    assert!(started.elapsed() < Duration::from_secs(30), "a gather waited for nobody");
    assert_eq!(wal.queue.lock().expected_batch, 1);
    assert_eq!(wal.stats().batches, 50);
    Ok(())
}

#[test]
fn a_writer_gathers_the_committers_of_the_last_two_batches() -> TestResult {
    let fs = SimFileSystem::new(10);
    let opts = WalOptions { gather_max: Duration::from_secs(30), ..options() };
    let wal = Wal::open(Arc::new(fs.clone()), &dir(), opts, 0, |_, _, _| Ok::<_, WalError>(()))?;
    let wal = Arc::new(wal);
    append_from_new_thread(&wal, 0)?;
    wal.append(1, &payload(1))?;
    assert_eq!(wal.queue.lock().expected_batch, 2, "two committers in the last two batches");

    // A third committer appends: it gathers, waiting for a second record...
    let before = wal.stats();
    let gatherer = {
        let wal = wal.clone();
        std::thread::spawn(move || wal.append(1, &payload(2)))
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while wal.queue.lock().gather_target != 2 {
        assert!(Instant::now() < deadline, "the writer never started gathering");
        std::thread::yield_now();
    }
    // ...which this one brings: both go out in one write, long before the gather's limit.
    wal.append(1, &payload(3))?;
    gatherer.join().expect("gatherer panicked")?;
    let after = wal.stats();
    assert_eq!(after.records - before.records, 2);
    assert_eq!(after.batches - before.batches, 1, "one write for both records");
    Ok(())
}

#[test]
fn a_gather_gives_up_after_its_limit() -> TestResult {
    let fs = SimFileSystem::new(11);
    let gather_max = Duration::from_millis(30);
    let opts = WalOptions { gather_max, ..options() };
    let wal = Wal::open(Arc::new(fs.clone()), &dir(), opts, 0, |_, _, _| Ok::<_, WalError>(()))?;
    let wal = Arc::new(wal);
    append_from_new_thread(&wal, 0)?;
    append_from_new_thread(&wal, 1)?;
    assert_eq!(wal.queue.lock().expected_batch, 2);
    // Nobody else comes: the append waits out the limit, then writes alone.
    let started = Instant::now();
    let lsn = wal.append(1, &payload(2))?;
    assert!(started.elapsed() >= gather_max);
    assert_eq!(lsn, 2);
    assert_eq!(wal.stats().batches, 3);
    drop(wal);
    let (_, seen) = open(&fs, 0)?;
    assert_eq!(seen.len(), 3);
    Ok(())
}

#[test]
fn the_writer_runs_the_follow_up_once_per_durable_batch_and_never_for_a_failed_one() -> TestResult {
    let fs = SimFileSystem::new(9);
    let (wal, _) = open(&fs, 0)?;
    let calls = std::cell::RefCell::new(Vec::new());
    let record_end = |end: Lsn| calls.borrow_mut().push(end);
    let first = wal.submit(1, b"a")?;
    let second = wal.submit(1, b"b")?;
    wal.wait_durable_then(first, &record_end)?;
    assert_eq!(*calls.borrow(), vec![second + 1], "one batch carried both records");
    wal.wait_durable_then(second, &record_end)?;
    assert_eq!(calls.borrow().len(), 1, "already durable: nothing written, no call");

    fs.fail_next_syncs(1);
    let lost = wal.submit(1, b"lost")?;
    assert!(wal.wait_durable_then(lost, &record_end).is_err());
    assert_eq!(calls.borrow().len(), 1, "a failed write is not followed up");
    Ok(())
}
