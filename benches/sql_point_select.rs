//! The SQL hot path of pgbench's select-only workload, without the network: a point SELECT by
//! primary key through the `Session` API (what the wire layer calls per statement).
//!
//! * `sql_point_select/prepared`: `SELECT abalance FROM accounts WHERE aid = $1` prepared
//!   once, executed with a random `aid` each iteration (pgbench `-M prepared`: the kept
//!   plan is reused; see `sql/session/plan_cache.rs`).
//! * `sql_point_select/simple`: the same statement with the value inlined, parsed, bound and
//!   executed each iteration (pgbench `-M simple`).
//! * `sql_point_select/by_shape`: the inlined statement as the wire layer runs a simple Query:
//!   by its shape first (`Session::run_by_shape`: the constant lifted out, the statement kept
//!   for that shape executed with it; see `sql/session/shape_cache.rs`).
//! * `sql_point_select/prepared_after_ddl`: as `prepared`, but another session commits DDL
//!   before every execution (not timed), so the statement binds again each time (the cost
//!   of a plan cache miss).
//!
//! Each iteration runs in its own implicit transaction and drains the one-row result.
//! The table has `ROWS` rows (pgbench_accounts' shape) in a database under
//! `target/bench-tmp` (a real disk, not tmpfs).

use criterion::{BatchSize, Criterion};
use quorumdb::sql::types::Value;
use quorumdb::sql::{Database, DatabaseOptions, Outcome, Prepared, Session};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::PathBuf;
use std::sync::Arc;
use tempfile::TempDir;

const ROWS: i32 = 100_000;
/// Rows in a smoke run (no --bench).
const SMOKE_ROWS: i32 = 1_000;
const INSERT_BATCH: i32 = 1_000;

/// A fresh directory on the real disk, removed when dropped.
fn bench_dir() -> TempDir {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("bench-tmp");
    std::fs::create_dir_all(&root).expect("create target/bench-tmp");
    tempfile::tempdir_in(&root).expect("create a temp dir under target/bench-tmp")
}

/// Runs every statement of `sql` and drains its rows; returns how many rows came back.
fn run(session: &mut Session, sql: &str) -> usize {
    let mut count = 0;
    for statement in session.parse(sql).expect("parse") {
        count = drain(session.run_statement(statement).expect("run"));
    }
    count
}

fn drain(outcome: Outcome) -> usize {
    match outcome {
        Outcome::Rows { rows, .. } => {
            let mut count = 0;
            for row in rows {
                row.expect("row");
                count += 1;
            }
            count
        }
        _ => 0,
    }
}

fn execute(session: &mut Session, prepared: &Prepared, aid: i32) -> usize {
    drain(session.execute(prepared, vec![Value::Int4(aid)]).expect("execute"))
}

/// A database with `rows` accounts (aid 1..=rows).
fn accounts(rows: i32) -> (TempDir, Arc<Database>) {
    let dir = bench_dir();
    let options = DatabaseOptions { memory_limit_bytes: 64 << 20, wal_sync_off: true };
    let db = Database::open(dir.path(), options).expect("open");
    let mut session = Session::new(db.clone(), "quorumdb", &[]).expect("session");
    run(
        &mut session,
        "CREATE TABLE accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84))",
    );
    for start in (1..=rows).step_by(INSERT_BATCH as usize) {
        let end = (start + INSERT_BATCH - 1).min(rows);
        let values: Vec<String> =
            (start..=end).map(|aid| format!("({aid}, {}, 0, '')", aid / 1000 + 1)).collect();
        run(&mut session, &format!("INSERT INTO accounts VALUES {}", values.join(", ")));
    }
    (dir, db)
}

fn bench_point_select(criterion: &mut Criterion, rows: i32) {
    let (_dir, db) = accounts(rows);
    let mut session = Session::new(db.clone(), "quorumdb", &[]).expect("session");
    let mut rng = StdRng::seed_from_u64(7);
    let sql = "SELECT abalance FROM accounts WHERE aid = $1";
    let statement = session.parse(sql).expect("parse").remove(0);
    let prepared = session.prepare(sql, statement, &[]).expect("prepare");
    assert_eq!(execute(&mut session, &prepared, 1), 1);

    let mut group = criterion.benchmark_group("sql_point_select");
    group.bench_function("prepared", |b| {
        b.iter(|| execute(&mut session, &prepared, rng.gen_range(1..=rows)))
    });
    group.bench_function("simple", |b| {
        b.iter(|| {
            let aid = rng.gen_range(1..=rows);
            run(&mut session, &format!("SELECT abalance FROM accounts WHERE aid = {aid};"))
        })
    });
    group.bench_function("by_shape", |b| {
        b.iter(|| {
            let aid = rng.gen_range(1..=rows);
            let sql = format!("SELECT abalance FROM accounts WHERE aid = {aid};");
            match session.run_by_shape(&sql) {
                Some(outcome) => drain(outcome.expect("run by shape")),
                None => run(&mut session, &sql),
            }
        })
    });
    assert!(session.kept_shapes() >= 1, "the point select's shape is kept");
    let mut ddl = Session::new(db.clone(), "quorumdb", &[]).expect("session");
    run(&mut ddl, "CREATE SEQUENCE bench_ddl");
    group.bench_function("prepared_after_ddl", |b| {
        b.iter_batched(
            || run(&mut ddl, "ALTER SEQUENCE bench_ddl RESTART"),
            |_| execute(&mut session, &prepared, rng.gen_range(1..=rows)),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn main() {
    // `cargo bench` passes --bench; without it (cargo test --benches) criterion runs each
    // benchmark once as a smoke test, on a smaller table.
    let quick = !std::env::args().any(|arg| arg == "--bench");
    let mut criterion = Criterion::default().configure_from_args();
    bench_point_select(&mut criterion, if quick { SMOKE_ROWS } else { ROWS });
    criterion.final_summary();
    if quick {
        println!("smoke run (no --bench): shortened; the figures above are not measurements");
    }
}
