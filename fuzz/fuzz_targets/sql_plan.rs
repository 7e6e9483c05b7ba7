//! Fuzz target: arbitrary bytes as SQL text (lossy UTF-8) are split, parsed and bound against
//! a small schema (`quorumdb_fuzz::check_sql_plan`): errors are fine, a panic is a bug.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    quorumdb_fuzz::check_sql_plan(data);
});
