//! Fuzz target: WAL recovery of arbitrary segment bytes (one or two segments, see
//! `quorumdb_fuzz::wal_input`) must never panic, must accept only real, CRC-valid frames at
//! the positions their LSNs say, and must leave a log that takes one more record and replays
//! it on reopen.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    quorumdb_fuzz::check_wal_recovery(data);
});
