//! pgbench, PostgreSQL's own benchmark tool, against the real `quorumdb` binary, checked on
//! the data it leaves behind rather than on its exit status alone.
//!
//! * Initialisation both ways: `pgbench -i -s 1` (tables filled by client-side `COPY FROM
//!   STDIN`) and `pgbench -i -I dtGvpf -s 1` (server-side `INSERT ... SELECT
//!   generate_series`, then primary and foreign keys). Afterwards pgbench_accounts holds
//!   exactly the accounts 1..100000 of branch 1, 10 tellers and 1 branch, every balance 0, and
//!   the primary (and foreign) keys refuse a bad row with 23505 (23503).
//! * The TPC-B-like default script, `-S` (select only) and `-N` (simple update), each with
//!   `-M simple`, `-M extended` and `-M prepared` and one client; then `-c 4 -j 2 -S`. Every
//!   run uses `-t` so pgbench must report exactly clients x transactions processed and 0
//!   failed. After the runs the TPC-B invariant holds: sum(abalance) = sum(bbalance) =
//!   sum(tbalance) = sum(delta) of pgbench_history, with one history row per transaction;
//!   `-S` changes nothing and `-N` moves only accounts and history.
//!
//! pgbench comes with PostgreSQL (Debian ships it in the server package `postgresql`, not in
//! `postgresql-client`; `.ci/run` installs it); `QDB_PGBENCH` overrides the program. Without
//! it the tests print SKIP, or fail when `QDB_CLIENTS_REQUIRED=1`.

mod common;

use common::Server;
use common::tools::{probe, run_bounded, skip, tail};
use std::process::Command;
use std::time::{Duration, Instant};
use tokio_postgres::types::Type;

/// How long one pgbench invocation may take (initialisation is the slow one in debug builds).
const PGBENCH_TIMEOUT: Duration = Duration::from_secs(600);

/// Accounts per scale unit, tellers per branch.
const ACCOUNTS: i64 = 100_000;
const TELLERS: i64 = 10;

/// The pgbench program, or `None` (after a SKIP line) if it is not installed.
fn pgbench_program(test: &str) -> Option<String> {
    let program = std::env::var("QDB_PGBENCH").unwrap_or_else(|_| "pgbench".to_owned());
    if probe(&program, &["--version"], std::path::Path::new(".")) {
        Some(program)
    } else {
        skip(
            &format!("pgbench::{test}"),
            &format!("{program} does not run (Debian: apt-get install postgresql)"),
        );
        None
    }
}

/// A server with pgbench and a client for checking its tables.
struct Bench {
    server: Server,
    program: String,
    runtime: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
}

/// What one pgbench run reported.
#[derive(Debug)]
struct Report {
    processed: i64,
    failed: i64,
}

/// Sums and counts over the four pgbench tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Totals {
    accounts: i64,
    abalance: i64,
    bbalance: i64,
    tbalance: i64,
    history: i64,
    delta: i64,
}

impl Bench {
    fn start(program: String) -> Bench {
        let server = Server::start(&[]);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let client = runtime.block_on(server.client());
        Bench { server, program, runtime, client }
    }

    /// Runs pgbench with `args` against the server; fails the test (with pgbench's output and
    /// the server log) unless it exits 0. Returns its output and how long it took.
    fn run(&self, args: &[&str]) -> (String, Duration) {
        let started = Instant::now();
        let finished = run_bounded(
            Command::new(&self.program)
                .args(["-h", "127.0.0.1", "-p", &self.server.port.to_string(), "-U", "quorumdb"])
                .args(args)
                .arg("quorumdb")
                .env_remove("PGPASSWORD")
                .env_remove("PGOPTIONS"),
            PGBENCH_TIMEOUT,
        );
        let took = started.elapsed();
        if !finished.success() {
            panic!(
                "pgbench {} failed ({}):\n--- stdout\n{}\n--- stderr\n{}\n\
                 --- server log (last 40 lines)\n{}",
                args.join(" "),
                finished.describe(PGBENCH_TIMEOUT),
                finished.stdout,
                tail(&finished.stderr, 40),
                tail(&self.server.log_text(), 40)
            );
        }
        (format!("{}\n{}", finished.stdout, finished.stderr), took)
    }

    /// `pgbench -i ...`; its output must end with `done in`.
    fn init(&self, args: &[&str]) {
        let mut all = vec!["-i", "-s", "1"];
        all.extend_from_slice(args);
        let (out, took) = self.run(&all);
        assert!(out.contains("done in "), "pgbench {} did not finish:\n{out}", all.join(" "));
        eprintln!("pgbench {}: {:.1} s", all.join(" "), took.as_secs_f64());
    }

    /// A benchmark run of `-t transactions` per client: pgbench must report exactly
    /// `clients * transactions` processed and none failed.
    fn bench(&self, args: &[&str], clients: i64, transactions: i64) -> Report {
        let (clients_arg, transactions_arg) = (clients.to_string(), transactions.to_string());
        let mut all = vec!["-c", &clients_arg, "-t", &transactions_arg];
        all.extend_from_slice(args);
        let (out, took) = self.run(&all);
        let report = parse_report(&out).unwrap_or_else(|| {
            panic!("pgbench {}: no summary in its output:\n{out}", all.join(" "))
        });
        eprintln!(
            "pgbench {}: {} transactions in {:.1} s",
            all.join(" "),
            report.processed,
            took.as_secs_f64()
        );
        assert_eq!(report.failed, 0, "pgbench {}: failed transactions:\n{out}", all.join(" "));
        assert_eq!(
            report.processed,
            clients * transactions,
            "pgbench {}: processed count:\n{out}",
            all.join(" ")
        );
        report
    }

    /// One row of integer columns (NULL, as sum() gives over no rows, is 0).
    fn ints(&self, sql: &str) -> Vec<i64> {
        let rows = self
            .runtime
            .block_on(self.client.query(sql, &[]))
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
        assert_eq!(rows.len(), 1, "{sql}");
        let row = &rows[0];
        (0..row.len())
            .map(|i| match *row.columns()[i].type_() {
                Type::INT4 => row.get::<_, Option<i32>>(i).map(i64::from),
                Type::INT8 => row.get::<_, Option<i64>>(i),
                ref other => panic!("{sql}: column {i} is {other}, want int4 or int8"),
            })
            .map(|v| v.unwrap_or(0))
            .collect()
    }

    /// The SQLSTATE `sql` fails with.
    fn error_code(&self, sql: &str) -> String {
        match self.runtime.block_on(self.client.batch_execute(sql)) {
            Ok(()) => panic!("{sql}: succeeded, want an error"),
            Err(e) => match e.as_db_error() {
                Some(db) => db.code().code().to_owned(),
                None => panic!("{sql}: {e:?}"),
            },
        }
    }

    /// The sums and counts (one scan of pgbench_accounts: about a second in a debug build).
    fn totals(&self) -> Totals {
        let v = self.ints(
            "SELECT a.n, a.s, b.s, t.s, h.n, h.s \
             FROM (SELECT count(*) AS n, sum(abalance) AS s FROM pgbench_accounts) AS a, \
                  (SELECT sum(bbalance) AS s FROM pgbench_branches) AS b, \
                  (SELECT sum(tbalance) AS s FROM pgbench_tellers) AS t, \
                  (SELECT count(*) AS n, sum(delta) AS s FROM pgbench_history) AS h",
        );
        Totals {
            accounts: v[0],
            abalance: v[1],
            bbalance: v[2],
            tbalance: v[3],
            history: v[4],
            delta: v[5],
        }
    }

    /// The invariant on the small tables only (cheap enough after every run):
    /// sum(bbalance) = sum(tbalance) = sum(delta), with `transactions` history rows.
    fn check_branch_teller_history(&self, transactions: i64) {
        let v = self.ints(
            "SELECT b.s, t.s, h.n, h.s \
             FROM (SELECT sum(bbalance) AS s FROM pgbench_branches) AS b, \
                  (SELECT sum(tbalance) AS s FROM pgbench_tellers) AS t, \
                  (SELECT count(*) AS n, sum(delta) AS s FROM pgbench_history) AS h",
        );
        assert_eq!(v[2], transactions, "one history row per transaction: {v:?}");
        assert_eq!((v[0], v[1]), (v[3], v[3]), "sum(bbalance), sum(tbalance) = sum(delta)");
    }

    /// The tables as `pgbench -i -s 1` leaves them, whichever way they were generated.
    fn check_fresh_tables(&self) {
        assert_eq!(
            self.ints(
                "SELECT count(*), min(aid), max(aid), sum(aid), min(bid), max(bid), \
                        sum(abs(abalance)) FROM pgbench_accounts"
            ),
            vec![ACCOUNTS, 1, ACCOUNTS, ACCOUNTS * (ACCOUNTS + 1) / 2, 1, 1, 0],
            "pgbench_accounts after initialisation"
        );
        assert_eq!(
            self.ints(
                "SELECT count(*), min(tid), max(tid), min(bid), max(bid), sum(abs(tbalance)) \
                 FROM pgbench_tellers"
            ),
            vec![TELLERS, 1, TELLERS, 1, 1, 0],
            "pgbench_tellers after initialisation"
        );
        assert_eq!(
            self.ints("SELECT count(*), min(bid), sum(abs(bbalance)) FROM pgbench_branches"),
            vec![1, 1, 0],
            "pgbench_branches after initialisation"
        );
        assert_eq!(self.ints("SELECT count(*) FROM pgbench_history"), vec![0]);
        // The primary keys pgbench created are enforced.
        assert_eq!(
            self.error_code("INSERT INTO pgbench_accounts (aid, bid, abalance) VALUES (7, 1, 0)"),
            "23505"
        );
        assert_eq!(
            self.error_code("INSERT INTO pgbench_tellers (tid, bid, tbalance) VALUES (3, 1, 0)"),
            "23505"
        );
        assert_eq!(
            self.error_code("INSERT INTO pgbench_branches (bid, bbalance) VALUES (1, 0)"),
            "23505"
        );
    }

    /// sum(abalance) = sum(bbalance) = sum(tbalance) = sum(delta), one history row per
    /// TPC-B transaction run so far.
    fn check_tpcb_invariant(&self, transactions: i64) -> Totals {
        let t = self.totals();
        assert_eq!(t.accounts, ACCOUNTS, "{t:?}");
        assert_eq!(t.history, transactions, "one history row per transaction: {t:?}");
        assert_eq!(t.abalance, t.delta, "sum(abalance) = sum(delta): {t:?}");
        assert_eq!(t.bbalance, t.delta, "sum(bbalance) = sum(delta): {t:?}");
        assert_eq!(t.tbalance, t.delta, "sum(tbalance) = sum(delta): {t:?}");
        // Each transaction moves one account by a delta in [-5000, 5000].
        assert!(t.delta.abs() <= 5000 * transactions, "{t:?}");
        t
    }
}

/// The processed and failed transaction counts from pgbench's summary:
/// `number of transactions actually processed: 200/200` (or `: 200` with `-T`) and
/// `number of failed transactions: 0 (0.000%)`.
fn parse_report(out: &str) -> Option<Report> {
    let field = |prefix: &str| -> Option<i64> {
        let line = out.lines().find(|l| l.starts_with(prefix))?;
        let value = line[prefix.len()..].trim();
        let digits: String = value.chars().take_while(|c| c.is_ascii_digit()).collect();
        digits.parse().ok()
    };
    Some(Report {
        processed: field("number of transactions actually processed:")?,
        failed: field("number of failed transactions:")?,
    })
}

const MODES: [&str; 3] = ["simple", "extended", "prepared"];

/// Client-side initialisation, then every built-in script in every query mode.
#[test]
fn client_side_init_then_every_script_and_query_mode() {
    let Some(program) = pgbench_program("client_side_init_then_every_script_and_query_mode") else {
        return;
    };
    let bench = Bench::start(program);
    bench.init(&[]);
    bench.check_fresh_tables();

    // TPC-B-like: the first run also does pgbench's VACUUM of pgbench_branches and
    // pgbench_tellers and TRUNCATE of pgbench_history; later ones keep the history (-n).
    const TPCB: i64 = 100;
    let mut history = 0;
    for (i, mode) in MODES.into_iter().enumerate() {
        let mut args = vec!["-M", mode];
        if i > 0 {
            args.push("-n");
        }
        history += bench.bench(&args, 1, TPCB).processed;
        bench.check_branch_teller_history(history);
    }
    let after_tpcb = bench.check_tpcb_invariant(history);
    assert_ne!(after_tpcb.history, 0);

    // Select only: nothing changes.
    for mode in MODES {
        bench.bench(&["-n", "-S", "-M", mode], 1, 300);
    }
    assert_eq!(bench.totals(), after_tpcb, "-S changed the tables");

    // Simple update (-N): accounts and history move together; branches and tellers do not.
    for mode in MODES {
        history += bench.bench(&["-n", "-N", "-M", mode], 1, TPCB).processed;
    }
    let t = bench.totals();
    assert_eq!(t.history, history, "one history row per -N transaction: {t:?}");
    assert_eq!(t.abalance, t.delta, "sum(abalance) = sum(delta) after -N: {t:?}");
    assert_eq!(
        (t.bbalance, t.tbalance),
        (after_tpcb.bbalance, after_tpcb.tbalance),
        "-N touched branches or tellers"
    );
    assert_eq!(
        t.abalance - after_tpcb.abalance,
        t.delta - after_tpcb.delta,
        "accounts moved by the -N deltas"
    );
}

/// Server-side initialisation with foreign keys, then concurrent select-only clients and a
/// TPC-B run whose history inserts are checked against the foreign keys.
#[test]
fn server_side_init_with_foreign_keys_then_concurrent_clients() {
    let Some(program) =
        pgbench_program("server_side_init_with_foreign_keys_then_concurrent_clients")
    else {
        return;
    };
    let bench = Bench::start(program);
    bench.init(&["-I", "dtGvpf"]);
    bench.check_fresh_tables();
    assert_eq!(
        bench.error_code(
            "INSERT INTO pgbench_history (tid, bid, aid, delta) VALUES (1, 1, 100001, 0)"
        ),
        "23503",
        "pgbench_history_aid_fkey"
    );
    assert_eq!(
        bench.error_code("DELETE FROM pgbench_branches WHERE bid = 1"),
        "23503",
        "tellers and accounts reference the branch"
    );

    let fresh = bench.totals();
    bench.bench(&["-n", "-S", "-j", "2"], 4, 250);
    assert_eq!(bench.totals(), fresh, "-S changed the tables");

    let report = bench.bench(&["-n", "-M", "prepared"], 1, 100);
    bench.check_tpcb_invariant(report.processed);
    assert_eq!(
        bench.ints(
            "SELECT count(*) FROM pgbench_history h JOIN pgbench_accounts a ON a.aid = h.aid \
             JOIN pgbench_tellers t ON t.tid = h.tid AND t.bid = h.bid"
        ),
        vec![report.processed],
        "every history row names an existing account and teller"
    );
}

#[test]
fn parses_pgbench_summaries() {
    let out = "transaction type: <builtin: select only>\n\
               number of transactions actually processed: 1000/1000\n\
               number of failed transactions: 0 (0.000%)\n";
    let report = parse_report(out).expect("summary");
    assert_eq!((report.processed, report.failed), (1000, 0));
    let out = "number of transactions actually processed: 568\n\
               number of failed transactions: 3 (0.5%)\n";
    let report = parse_report(out).expect("summary");
    assert_eq!((report.processed, report.failed), (568, 3));
    assert!(parse_report("pgbench: error: connection refused").is_none());
}
