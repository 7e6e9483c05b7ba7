//! Real PostgreSQL client libraries against the real `quorumdb` binary: each program in
//! `tests/clients/` (psycopg2, psycopg 3, asyncpg, node-postgres, pgjdbc) connects to a fresh
//! server (host/port from `PGHOST`/`PGPORT`, user `quorumdb`), does CREATE TABLE,
//! INSERT/SELECT/UPDATE/DELETE with parameters, a rolled-back and a committed transaction, and
//! checks SQLSTATE 23505 on a duplicate primary key; it exits non-zero on any mismatch, and then
//! this test fails with the program's output and the server log. The psycopg 3 program also
//! covers server-side binding with text and binary parameters and results, savepoints, a list
//! bound to `= ANY(%s)`, pipelined `executemany` and COPY.
//!
//! A client whose runtime or package is not installed on this machine is skipped with a
//! `SKIP` line (`.ci/run` installs them: `pip install psycopg2-binary "psycopg[binary]"
//! asyncpg`, `npm ci` in `tests/clients/node`, Debian's `libpostgresql-jdbc-java`). If the
//! runtime is there, the test runs and must pass. `QDB_CLIENTS_REQUIRED=1` (set by `.ci/run`)
//! turns every skip into a failure. `QDB_JDBC_JAR` overrides the driver jar (default
//! `/usr/share/java/postgresql.jar`).

mod common;

use common::Server;
use common::tools::{probe, run_bounded, skip, tail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// How long one client program may run.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(120);

/// `tests/clients/` in the source tree.
fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("clients")
}

/// Starts a server, runs `program args...` in `dir` against it and fails the test (with the
/// program's output and the server log) unless it exits 0 within [`CLIENT_TIMEOUT`].
fn run_client(client: &str, program: &str, args: &[&str], dir: &Path) {
    let server = Server::start(&[]);
    let finished = run_bounded(
        Command::new(program)
            .args(args)
            .current_dir(dir)
            .env("PGHOST", "127.0.0.1")
            .env("PGPORT", server.port.to_string())
            .env("PGUSER", "quorumdb")
            .env("PGDATABASE", "quorumdb")
            .env_remove("PGPASSWORD"),
        CLIENT_TIMEOUT,
    );
    print!("{}", finished.stdout);
    if !finished.success() {
        panic!(
            "{client} failed against quorumdb ({}):\n--- stdout\n{}\n--- stderr\n{}\n\
             --- server log (last 40 lines)\n{}",
            finished.describe(CLIENT_TIMEOUT),
            finished.stdout,
            finished.stderr,
            tail(&server.log_text(), 40)
        );
    }
}

/// Runs a Python client if `python3` can import `module` (from the pip package `package`).
fn python_client(client: &str, module: &str, package: &str, script: &str) {
    let dir = clients_dir();
    if !probe("python3", &["--version"], &dir) {
        return skip(client, "python3 not found");
    }
    if !probe("python3", &["-c", &format!("import {module}")], &dir) {
        return skip(client, &format!("python3 cannot import {module} (pip install '{package}')"));
    }
    run_client(client, "python3", &[script], &dir);
}

#[test]
fn psycopg2() {
    python_client("psycopg2", "psycopg2", "psycopg2-binary", "psycopg2_client.py");
}

#[test]
fn psycopg3() {
    python_client("psycopg3", "psycopg", "psycopg[binary]", "psycopg3_client.py");
}

#[test]
fn asyncpg() {
    python_client("asyncpg", "asyncpg", "asyncpg", "asyncpg_client.py");
}

#[test]
fn node_postgres() {
    let dir = clients_dir().join("node");
    if !probe("node", &["--version"], &dir) {
        return skip("node_postgres", "node not found");
    }
    if !probe("node", &["-e", "require('pg')"], &dir) {
        return skip(
            "node_postgres",
            "the `pg` package is not installed (cd tests/clients/node && npm ci)",
        );
    }
    run_client("node_postgres", "node", &["client.js"], &dir);
}

#[test]
fn jdbc() {
    let dir = clients_dir().join("jdbc");
    let jar = std::env::var("QDB_JDBC_JAR")
        .unwrap_or_else(|_| "/usr/share/java/postgresql.jar".to_owned());
    if !probe("java", &["-version"], &dir) {
        return skip("jdbc", "java not found");
    }
    if !Path::new(&jar).is_file() {
        return skip(
            "jdbc",
            &format!("no pgjdbc jar at {jar} (apt-get install libpostgresql-jdbc-java)"),
        );
    }
    // Java 11+ runs a single source file directly.
    run_client("jdbc", "java", &["-cp", &jar, "Client.java"], &dir);
}
