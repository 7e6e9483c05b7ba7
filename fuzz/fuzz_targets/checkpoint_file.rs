//! Fuzz target: verifying arbitrary bytes as a checkpoint file (as given, and with their
//! checksums resealed) must never panic; a file that verifies must iterate in strict version
//! order and answer point reads consistently.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    quorumdb_fuzz::check_checkpoint_file(data);
});
