//! Running external client programs (drivers, pgbench) from tests: probing whether a runtime
//! is installed, skipping a test whose runtime is missing (or failing it when
//! `QDB_CLIENTS_REQUIRED=1`, as `.ci/run` sets), and running a program with a time limit while
//! collecting its output.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Whether missing client runtimes fail tests instead of skipping them.
pub fn clients_required() -> bool {
    std::env::var("QDB_CLIENTS_REQUIRED").is_ok_and(|v| v == "1")
}

/// Skips (or, with `QDB_CLIENTS_REQUIRED=1`, fails) the test `client` with a message.
pub fn skip(client: &str, why: &str) {
    if clients_required() {
        panic!("{client}: required but unavailable: {why}");
    }
    // Straight to the process's stderr: the test harness captures `println!`/`eprintln!`.
    let _ = writeln!(std::io::stderr(), "SKIP {client}: {why}");
}

/// Whether `program args...` runs in `dir` and exits 0 (used to probe runtimes and packages).
pub fn probe(program: &str, args: &[&str], dir: &Path) -> bool {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// What a bounded run produced: the exit status (`None` if it was killed at the time limit)
/// and everything it wrote.
pub struct Finished {
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    /// Whether the program exited 0 within its time limit.
    pub fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    /// "exit status: N" or "timed out after ...", for failure messages.
    pub fn describe(&self, limit: Duration) -> String {
        match self.status {
            Some(status) => format!("{status}"),
            None => format!("timed out after {limit:?}"),
        }
    }
}

/// Runs `command` (stdin closed, stdout and stderr collected) and kills it after `limit`.
pub fn run_bounded(command: &mut Command, limit: Duration) -> Finished {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
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
    let deadline = Instant::now() + limit;
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
    Finished {
        status,
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
    }
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
