//! Helpers for end-to-end tests against the real `quorumdb` binary: [`Server`] starts
//! `quorumdb start --listen 127.0.0.1:0 --data-dir <tempdir> --wal-sync off` and waits for
//! the `listening on` line on stderr (no sleeps); [`Raw`] speaks the wire protocol byte by
//! byte over a blocking socket for tests that drivers cannot express; [`tools`] runs external
//! client programs (drivers, pgbench).
//!
//! Builds nothing itself: the binary comes from `env!("CARGO_BIN_EXE_quorumdb")`.

#![allow(dead_code)]

pub mod tools;

use bytes::{Buf, BytesMut};
use quorumdb::pg::frame::{Frontend, StartupPacket};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a test waits for the server to come up, or for one reply.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// A running `quorumdb start`; killed (and reaped) on drop.
pub struct Server {
    child: Child,
    /// The port it listens on.
    pub port: u16,
    /// Its data directory (removed on drop).
    pub data_dir: tempfile::TempDir,
    /// Everything it wrote to stderr so far.
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts a server with extra command-line arguments.
    pub fn start(extra: &[&str]) -> Server {
        Self::start_in(tempfile::tempdir().expect("tempdir"), extra)
    }

    /// Starts a server on an existing data directory.
    pub fn start_in(data_dir: tempfile::TempDir, extra: &[&str]) -> Server {
        Self::spawn(data_dir, "off", extra, &[])
    }

    /// Starts a durable server (`--wal-sync fsync`) on a data directory, with extra
    /// environment variables; for crash tests (see [`Server::kill`]).
    pub fn start_durable_in(data_dir: tempfile::TempDir, env: &[(&str, &str)]) -> Server {
        Self::spawn(data_dir, "fsync", &[], env)
    }

    /// SIGKILLs the server and hands back its data directory for a restart.
    pub fn kill(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let placeholder = tempfile::tempdir().expect("tempdir");
        std::mem::replace(&mut self.data_dir, placeholder)
    }

    fn spawn(
        data_dir: tempfile::TempDir,
        wal_sync: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_quorumdb"))
            .arg("start")
            .args(["--listen", "127.0.0.1:0", "--wal-sync", wal_sync, "--data-dir"])
            .arg(data_dir.path())
            .args(extra)
            .envs(env.iter().copied())
            .env("RUST_LOG", "info")
            .env_remove("QUORUMDB_PASSWORD")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start quorumdb");
        let stderr = child.stderr.take().expect("stderr is piped");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(at) = line.find("listening on ") {
                    let addr = line[at + "listening on ".len()..].trim().to_owned();
                    let _ = tx.send(addr);
                }
                lines.lock().expect("log lock").push(line);
            }
        });
        let addr = match rx.recv_timeout(TIMEOUT) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("no `listening on` line; stderr: {:#?}", log.lock().expect("log lock"));
            }
        };
        let port = addr
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("bad address in `listening on {addr}`"));
        Server { child, port, data_dir, log }
    }

    /// A libpq-style connection string for user `quorumdb`.
    pub fn conn_str(&self) -> String {
        format!("host=127.0.0.1 port={} user=quorumdb dbname=quorumdb", self.port)
    }

    /// A connected tokio-postgres client (its connection task is spawned).
    pub async fn client(&self) -> tokio_postgres::Client {
        connect(&self.conn_str()).await.expect("connect")
    }

    /// Sends SIGTERM and waits (bounded) for the exit status.
    pub fn terminate(&mut self) -> ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
        for _ in 0..3000 {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("server did not exit within 30 s of SIGTERM");
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    /// The stderr lines so far, joined.
    pub fn log_text(&self) -> String {
        self.log.lock().expect("log lock").join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Connects with tokio-postgres (no TLS) and spawns the connection task.
pub async fn connect(conn_str: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(conn_str, tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// One backend message: type byte and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    pub tag: u8,
    pub body: Vec<u8>,
}

impl Msg {
    /// For ErrorResponse/NoticeResponse: the value of field `code` (e.g. b'C').
    pub fn field(&self, code: u8) -> Option<String> {
        let mut rest = &self.body[..];
        while let Some((&f, tail)) = rest.split_first() {
            if f == 0 {
                break;
            }
            let end = tail.iter().position(|&b| b == 0)?;
            if f == code {
                return Some(String::from_utf8_lossy(&tail[..end]).into_owned());
            }
            rest = &tail[end + 1..];
        }
        None
    }

    /// The body up to its first NUL, as text (CommandComplete tags).
    pub fn text(&self) -> String {
        let end = self.body.iter().position(|&b| b == 0).unwrap_or(self.body.len());
        String::from_utf8_lossy(&self.body[..end]).into_owned()
    }
}

/// A raw protocol connection over a blocking socket.
pub struct Raw {
    pub stream: TcpStream,
}

impl Raw {
    /// Connects without sending anything.
    pub fn connect(port: u16) -> Raw {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream.set_read_timeout(Some(TIMEOUT)).expect("set timeout");
        stream.set_nodelay(true).expect("nodelay");
        Raw { stream }
    }

    /// Connects, sends SSLRequest (expects `N`) and a StartupMessage for `quorumdb`, and
    /// reads up to ReadyForQuery. Returns the connection and the startup replies.
    pub fn startup(port: u16) -> (Raw, Vec<Msg>) {
        let mut raw = Raw::connect(port);
        raw.send_startup(&StartupPacket::SslRequest);
        let mut byte = [0u8; 1];
        raw.stream.read_exact(&mut byte).expect("SSL answer");
        assert_eq!(byte[0], b'N');
        raw.send_startup(&StartupPacket::Startup {
            major: 3,
            minor: 0,
            params: vec![
                ("user".into(), "quorumdb".into()),
                ("database".into(), "anything".into()),
                ("client_encoding".into(), "UTF8".into()),
            ],
        });
        let replies = raw.until_ready();
        (raw, replies)
    }

    pub fn send_startup(&mut self, packet: &StartupPacket) {
        let mut buf = BytesMut::new();
        packet.encode(&mut buf);
        self.stream.write_all(&buf).expect("send");
    }

    /// Sends messages in one write.
    pub fn send(&mut self, msgs: &[Frontend]) {
        let mut buf = BytesMut::new();
        for msg in msgs {
            msg.encode(&mut buf);
        }
        self.stream.write_all(&buf).expect("send");
    }

    /// Sends raw bytes; errors (the server may have closed) are ignored.
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        let _ = self.stream.write_all(bytes);
    }

    /// Reads one message; `None` on EOF or a reset.
    pub fn recv(&mut self) -> Option<Msg> {
        let mut header = [0u8; 5];
        self.stream.read_exact(&mut header).ok()?;
        let len = (&header[1..]).get_i32();
        let mut body = vec![0u8; usize::try_from(len - 4).expect("sane length")];
        self.stream.read_exact(&mut body).ok()?;
        Some(Msg { tag: header[0], body })
    }

    /// Reads one message, which must arrive.
    pub fn expect(&mut self) -> Msg {
        self.recv().expect("a message from the server")
    }

    /// Reads messages up to and including ReadyForQuery.
    pub fn until_ready(&mut self) -> Vec<Msg> {
        let mut msgs = Vec::new();
        loop {
            let msg = self.expect();
            let done = msg.tag == b'Z';
            msgs.push(msg);
            if done {
                return msgs;
            }
        }
    }

    /// True if the server closed the connection (EOF or reset), after discarding any
    /// messages it still sent.
    pub fn closed(&mut self) -> bool {
        let mut scratch = [0u8; 4096];
        loop {
            match self.stream.read(&mut scratch) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(err)
                    if matches!(
                        err.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return false;
                }
                Err(_) => return true,
            }
        }
    }
}

/// The type bytes of `msgs`, as a string (e.g. "12TZ").
pub fn tags(msgs: &[Msg]) -> String {
    msgs.iter().map(|m| char::from(m.tag)).collect()
}

/// The server a driver test talks to: with `QDB_TEST_ADDR=HOST:PORT`, an existing server
/// (database and user `quorumdb`; how expectations are checked against PostgreSQL 15),
/// otherwise a fresh `quorumdb` process of its own.
pub struct Target {
    pub server: Option<Server>,
    pub conn_str: String,
}

impl Target {
    pub fn new() -> Target {
        match std::env::var("QDB_TEST_ADDR") {
            Ok(addr) => {
                let (host, port) = addr.rsplit_once(':').expect("QDB_TEST_ADDR is HOST:PORT");
                Target {
                    server: None,
                    conn_str: format!("host={host} port={port} user=quorumdb dbname=quorumdb"),
                }
            }
            Err(_) => {
                let server = Server::start(&[]);
                let conn_str = server.conn_str();
                Target { server: Some(server), conn_str }
            }
        }
    }

    pub async fn client(&self) -> tokio_postgres::Client {
        connect(&self.conn_str).await.expect("connect")
    }
}
