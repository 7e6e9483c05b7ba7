//! Scripted psql sessions against the real `quorumdb` binary. `tests/psql/session.sql` runs
//! through `psql -X -a -v ON_ERROR_STOP=0 -f -` (create, insert, select, update, errors,
//! `\copy` from files in a temporary directory, transactions, savepoints, PREPARE/EXECUTE) and
//! its stdout and stderr must equal `tests/psql/session.out` and `tests/psql/session.err`,
//! which were produced by PostgreSQL 15 (errors are printed as SQLSTATEs only, via
//! `\set VERBOSITY sqlstate`). `tests/psql/arrays.sql` does the same for arrays,
//! `tests/psql/objects.sql` for views, sequences, schemas and foreign keys.
//!
//! `QDB_TEST_ADDR=HOST:PORT` runs the script against an existing server instead (that is how
//! the expected files were made). Skipped, with a message, when no psql binary is installed
//! (a failure instead with `QDB_CLIENTS_REQUIRED=1`, as `.ci/run` sets).

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The data files the script loads with `\copy` (relative paths, from the working directory).
const ITEMS_TSV: &str = "4\tgrape\t2.75\t{\"seedless\": true}\n5\thoneydew\t\\N\t\\N\n";
const ITEMS_CSV: &str = "id,name,price,added\n6,kiwi,0.99,2024-02-29\n7,\"lemon, sour\",1.10,\n";

/// How long psql may take for the whole script.
const PSQL_TIMEOUT: Duration = Duration::from_secs(60);

/// The psql binary, if installed.
fn psql_binary() -> Option<PathBuf> {
    let fixed = PathBuf::from("/usr/bin/psql");
    if fixed.is_file() {
        return Some(fixed);
    }
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join("psql"))
        .find(|path| path.is_file())
}

/// Output of one psql run.
struct Output {
    status: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs psql on `host:port` in `dir` with `extra` arguments and `stdin` as input; kills it
/// after [`PSQL_TIMEOUT`].
fn run_psql(
    psql: &Path,
    host: &str,
    port: &str,
    dir: &Path,
    extra: &[&str],
    stdin: &str,
) -> Output {
    let mut command = Command::new(psql);
    command
        .args(["-X", "-h", host, "-p", port, "-U", "quorumdb", "-d", "quorumdb"])
        .args(extra)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in [
        "PGHOST",
        "PGHOSTADDR",
        "PGPORT",
        "PGUSER",
        "PGDATABASE",
        "PGPASSWORD",
        "PGPASSFILE",
        "PGSERVICE",
        "PGOPTIONS",
        "PGAPPNAME",
        "PGSSLMODE",
        "PGTZ",
        "PGDATESTYLE",
        "PGCLIENTENCODING",
        "PSQLRC",
        "PSQL_PAGER",
        "PAGER",
    ] {
        command.env_remove(var);
    }
    command.env("PGCONNECT_TIMEOUT", "10").env("LC_ALL", "C.UTF-8");
    let mut child = command.spawn().expect("start psql");
    let pid = child.id();
    let mut input = child.stdin.take().expect("stdin is piped");
    let stdin = stdin.to_owned();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(stdin.as_bytes());
    });
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut stdout = String::new();
        let mut stderr = String::new();
        let mut out = child.stdout.take().expect("stdout is piped");
        let mut err = child.stderr.take().expect("stderr is piped");
        let err_reader = std::thread::spawn(move || {
            let _ = err.read_to_string(&mut stderr);
            stderr
        });
        let _ = out.read_to_string(&mut stdout);
        let stderr = err_reader.join().unwrap_or_default();
        let status = child.wait().ok().and_then(|s| s.code());
        let _ = tx.send(Output { status, stdout, stderr });
    });
    let output = match rx.recv_timeout(PSQL_TIMEOUT) {
        Ok(output) => output,
        Err(_) => {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
            let output = rx.recv_timeout(Duration::from_secs(10)).ok();
            panic!(
                "psql did not finish within {PSQL_TIMEOUT:?}; output so far: {:?}",
                output.map(|o| o.stdout)
            );
        }
    };
    let _ = writer.join();
    output
}

/// A line-by-line comparison that points at the first difference.
fn assert_same(what: &str, got: &str, expected: &str) {
    if got == expected {
        return;
    }
    let got_lines: Vec<&str> = got.lines().collect();
    let want_lines: Vec<&str> = expected.lines().collect();
    let first = got_lines
        .iter()
        .zip(&want_lines)
        .position(|(g, w)| g != w)
        .unwrap_or(got_lines.len().min(want_lines.len()));
    let from = first.saturating_sub(3);
    let context = |lines: &[&str]| {
        lines.iter().enumerate().skip(from).take(12).fold(String::new(), |mut acc, (i, l)| {
            acc.push_str(&format!("{:4}{} {l}\n", i + 1, if i == first { ">" } else { " " }));
            acc
        })
    };
    panic!(
        "{what} differs from the expected file at line {}.\n--- expected:\n{}--- got:\n{}\n\
         === full output ===\n{got}",
        first + 1,
        context(&want_lines),
        context(&got_lines),
    );
}

/// Runs `tests/psql/<name>.sql` on a fresh server (or `QDB_TEST_ADDR`, after running
/// `cleanup` there) and compares stdout and stderr with `<name>.out` and `<name>.err`.
fn run_script(name: &str, cleanup: &str) {
    let Some(psql) = psql_binary() else {
        println!("SKIPPED psql script {name}: no psql binary (looked in /usr/bin and PATH)");
        return common::tools::skip(
            &format!("psql script {name}"),
            "no psql binary (looked in /usr/bin and PATH)",
        );
    };
    let (server, host, port) = match std::env::var("QDB_TEST_ADDR") {
        Ok(addr) => {
            let (host, port) = addr.rsplit_once(':').expect("QDB_TEST_ADDR is HOST:PORT");
            (None, host.to_owned(), port.to_owned())
        }
        Err(_) => {
            let server = common::Server::start(&[]);
            let port = server.port.to_string();
            (Some(server), "127.0.0.1".to_owned(), port)
        }
    };
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("items.tsv"), ITEMS_TSV).expect("write items.tsv");
    std::fs::write(dir.path().join("items.csv"), ITEMS_CSV).expect("write items.csv");

    // A shared server may hold the tables from an earlier run.
    if server.is_none() {
        let cleanup = run_psql(&psql, &host, &port, dir.path(), &["-q", "-c", cleanup], "");
        assert_eq!(cleanup.status, Some(0), "cleanup failed: {}", cleanup.stderr);
    }

    let files = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/psql");
    let read = |file: String| {
        std::fs::read_to_string(files.join(&file)).unwrap_or_else(|e| panic!("read {file}: {e}"))
    };
    let script = read(format!("{name}.sql"));
    let expected_out = read(format!("{name}.out"));
    let expected_err = read(format!("{name}.err"));
    let output = run_psql(
        &psql,
        &host,
        &port,
        dir.path(),
        &["-a", "-v", "ON_ERROR_STOP=0", "-f", "-"],
        &script,
    );
    assert_same("psql stdout", &output.stdout, &expected_out);
    assert_same("psql stderr", &output.stderr, &expected_err);
    assert_eq!(output.status, Some(0), "psql exit status; stderr: {}", output.stderr);
}

#[test]
fn scripted_psql_session() {
    run_script("session", "DROP TABLE IF EXISTS psql_items");
}

/// Arrays end to end: `tests/psql/arrays.sql` (constructors, ANY/ALL, functions, array_agg,
/// unnest, array columns with an index, `\d` of such a table).
#[test]
fn scripted_arrays() {
    run_script("arrays", "DROP TABLE IF EXISTS arr_t");
}

/// Views, sequences, schemas and foreign keys: `tests/psql/objects.sql` (`\d` with
/// "Foreign-key constraints" and "Referenced by", `\dv`, `\ds`, `\dn`, `\dt schema.*`).
#[test]
fn scripted_objects() {
    run_script(
        "objects",
        "DROP SCHEMA IF EXISTS psql_s CASCADE; DROP TABLE IF EXISTS psql_c, psql_p CASCADE; DROP SEQUENCE IF EXISTS psql_seq",
    );
}

/// Joins: key lookups into the right table (index nested-loop joins, inner and left, with
/// extra conditions) and the join order of comma lists (`tests/psql/joins.sql`).
#[test]
fn scripted_joins() {
    run_script("joins", "DROP TABLE IF EXISTS lo, lc, j1, j2, j3, j4");
}

/// ORDER BY ... DESC read backwards through an index (`tests/psql/order.sql`).
#[test]
fn scripted_order() {
    run_script("order", "DROP TABLE IF EXISTS dsc");
}
