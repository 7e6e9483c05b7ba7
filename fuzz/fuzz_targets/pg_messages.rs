//! Fuzz target: arbitrary bytes as a client's stream (startup packets, then regular
//! messages; see `quorumdb_fuzz::pg_input`) through the wire server's frame decoder must
//! never panic; every decoded message must re-encode to exactly its bytes, and decoding in
//! socket-sized chunks must agree with decoding all at once.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    quorumdb_fuzz::check_pg_messages(data);
});
