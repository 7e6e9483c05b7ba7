//! Fuzz target: opening the storage engine on a data directory whose MANIFEST, checkpoint file
//! and WAL segment come from the input (see `quorumdb_fuzz::storage_input`) must never panic;
//! an engine that opens must scan consistently and survive one more write and a reopen.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    quorumdb_fuzz::check_storage_open(data);
});
