//! Real PostgreSQL client libraries against the real `quorumdb` binary: each program in
//! `tests/clients/` (psycopg2, asyncpg, node-postgres, pgjdbc) connects to a fresh server
//! (host/port from `PGHOST`/`PGPORT`, user `quorumdb`), does CREATE TABLE, INSERT/SELECT/
//! UPDATE/DELETE with parameters, a rolled-back and a committed transaction, and checks
//! SQLSTATE 23505 on a duplicate primary key; it exits non-zero on any mismatch, and then this
//! test fails with the program's output and the server log.
//!
//! A client whose runtime or package is not installed on this machine is skipped with a
//! `SKIP` line (`.ci/run` installs them: `pip install psycopg2-binary asyncpg`, `npm ci` in
//! `tests/clients/node`, Debian's `libpostgresql-jdbc-java`). If the runtime is there, the
//! test runs and must pass. `QDB_CLIENTS_REQUIRED=1` turns every skip into a failure.
//! `QDB_JDBC_JAR` overrides the driver jar (default `/usr/share/java/postgresql.jar`).

mod common;

use common::Server;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one client program may run.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(120);

/// `tests/clients/` in the source tree.
fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("clients")
}

/// Skips (or, with `QDB_CLIENTS_REQUIRED=1`, fails) with a message.
fn skip(client: &str, why: &str) {
    if std::env::var("QDB_CLIENTS_REQUIRED").is_ok_and(|v| v == "1") {
        panic!("{client}: required but unavailable: {why}");
    }
    // Straight to the process's stderr: the test harness captures `println!`/`eprintln!`.
    let _ = writeln!(std::io::stderr(), "SKIP clients::{client}: {why}");
}

/// Whether `program args...` runs and exits 0 (used to probe runtimes and packages).
fn probe(program: &str, args: &[&str], dir: &Path) -> bool {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Starts a server, runs `program args...` in `dir` against it and fails the test (with the
/// program's output and the server log) unless it exits 0 within [`CLIENT_TIMEOUT`].
fn run_client(client: &str, program: &str, args: &[&str], dir: &Path) {
    let server = Server::start(&[]);
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("PGHOST", "127.0.0.1")
        .env("PGPORT", server.port.to_string())
        .env("PGUSER", "quorumdb")
        .env("PGDATABASE", "quorumdb")
        .env_remove("PGPASSWORD")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{client}: cannot start {program}: {e}"));
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + CLIENT_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = out_reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    print!("{out}");
    match status {
        Some(s) if s.success() => {}
        other => {
            let log = server.log_text();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            panic!(
                "{client} failed against quorumdb ({}):\n--- stdout\n{out}\n--- stderr\n{err}\n\
                 --- server log (last 40 lines)\n{}",
                match other {
                    Some(s) => format!("{s}"),
                    None => format!("timed out after {CLIENT_TIMEOUT:?}"),
                },
                tail.join("\n")
            );
        }
    }
}

/// Runs a Python client if `python3` and `module` are importable.
fn python_client(client: &str, module: &str, script: &str) {
    let dir = clients_dir();
    if !probe("python3", &["--version"], &dir) {
        return skip(client, "python3 not found");
    }
    if !probe("python3", &["-c", &format!("import {module}")], &dir) {
        return skip(
            client,
            &format!("python3 cannot import {module} (pip install psycopg2-binary asyncpg)"),
        );
    }
    run_client(client, "python3", &[script], &dir);
}

#[test]
fn psycopg2() {
    python_client("psycopg2", "psycopg2", "psycopg2_client.py");
}

#[test]
fn asyncpg() {
    python_client("asyncpg", "asyncpg", "asyncpg_client.py");
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
