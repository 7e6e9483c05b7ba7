//! The listener: accepts connections and runs each on a thread of its own, keeps the
//! registry of live backends (process id, cancel key, cancel flag) that CancelRequests look
//! up, and shuts down gracefully on SIGTERM/SIGINT.
//!
//! Threads: a connection's session calls are synchronous (they may wait for fsync or scan
//! for long), so each connection gets an OS thread that owns its socket in blocking mode, as
//! each PostgreSQL backend is a process of its own (under `SCHED_BATCH`, see
//! `util::priority::batch_current_thread`). Session calls and socket reads and writes
//! then run directly on that thread: no hand-off to another thread per statement (which
//! `block_in_place` on a shared multi-thread runtime costs), no event loop between a message
//! arriving and the thread that serves it waking up (an epoll wait and a read that finds
//! nothing cost as much as the read itself), and the OS scheduler shares the cores between
//! connections. The listener, signals and the shutdown drain run on a small tokio runtime.
//!
//! Shutdown: stop accepting; set the stop flag and shut the read side of every tracked
//! socket, so connections waiting for the client wake up, get FATAL 57P01 and close
//! (their open transactions roll back); statements in flight may finish for
//! [`SHUTDOWN_GRACE`], then they are cancelled; after [`SHUTDOWN_CANCEL_WAIT`] more, the
//! server gives up on stragglers. The caller closes the database afterwards.
//!
//! Owns: [`ServerConfig`], [`serve`], the tokio runtime and connection threads, the
//! backend registry, the socket registry that shutdown wakes. Depends on: `connection` (one
//! protocol loop per socket), `sql::Database`, `pgwire` (SCRAM salting).

use super::connection;
use crate::sql::Database;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::io;
use std::net::{Shutdown, TcpStream as StdTcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{SignalKind, signal};
use tokio::task::JoinSet;

/// How long statements in flight may run on after a shutdown signal before being cancelled.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// How long cancelled statements get to end before the server stops waiting for them.
pub const SHUTDOWN_CANCEL_WAIT: Duration = Duration::from_secs(5);
/// Stack size of a connection thread (deep expressions grow the stack further on the heap,
/// see `stacker` in the binder and evaluator).
const CONNECTION_STACK_BYTES: usize = 4 << 20;
/// PBKDF2 iterations of the SCRAM secret (PostgreSQL's default).
const SCRAM_ITERATIONS: usize = 4096;

/// What `quorumdb start` configures about the wire server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// `HOST:PORT` to listen on (port 0 = any free port).
    pub listen: String,
    /// When set, clients must authenticate with SCRAM-SHA-256 using this password.
    pub password: Option<String>,
    /// Largest accepted frontend message, length field included.
    pub max_message_bytes: usize,
}

/// The SCRAM secret derived from the configured password once per server run.
#[derive(Clone)]
pub(crate) struct ScramKey {
    pub salt: Vec<u8>,
    pub salted_password: Vec<u8>,
}

/// One live backend, as a CancelRequest sees it.
struct Backend {
    key: [u8; 4],
    cancel: Arc<AtomicBool>,
}

/// State shared by all connections.
pub(crate) struct Shared {
    pub db: Arc<Database>,
    pub scram: Option<ScramKey>,
    pub max_message: usize,
    backends: Mutex<HashMap<i32, Backend>>,
    next_pid: AtomicI32,
    /// Turns true when the server stops; read by every connection before it blocks on a read.
    stopping: Arc<AtomicBool>,
    /// Every open connection socket, so shutdown can wake reads blocked on them.
    sockets: Mutex<HashMap<u64, Arc<StdTcpStream>>>,
    next_socket: AtomicU64,
}

impl Shared {
    fn new(db: Arc<Database>, config: &ServerConfig) -> Self {
        let scram = config.password.as_deref().map(|password| {
            let salt: [u8; 16] = rand::random();
            let salted_password = pgwire::api::auth::sasl::scram::gen_salted_password(
                password,
                &salt,
                SCRAM_ITERATIONS,
            );
            ScramKey { salt: salt.to_vec(), salted_password }
        });
        Shared {
            db,
            scram,
            max_message: config.max_message_bytes,
            backends: Mutex::new(HashMap::new()),
            next_pid: AtomicI32::new(1),
            stopping: Arc::new(AtomicBool::new(false)),
            sockets: Mutex::new(HashMap::new()),
            next_socket: AtomicU64::new(0),
        }
    }

    /// Registers a backend: returns its process id and secret key. The registration ends
    /// when the returned guard is dropped (also when the connection task panics).
    pub fn register(self: &Arc<Self>, cancel: Arc<AtomicBool>) -> Registration {
        let key: [u8; 4] = rand::random();
        let mut backends = self.backends.lock();
        let pid = loop {
            let pid = self.next_pid.fetch_add(1, Ordering::Relaxed) & i32::MAX;
            if pid != 0 && !backends.contains_key(&pid) {
                break pid;
            }
        };
        backends.insert(pid, Backend { key, cancel });
        Registration { shared: self.clone(), pid, key }
    }

    /// Handles a CancelRequest: sets the backend's cancel flag if pid and key match;
    /// anything else is ignored silently, as PostgreSQL does.
    pub fn cancel(&self, pid: i32, key: &[u8]) {
        let backends = self.backends.lock();
        match backends.get(&pid) {
            Some(backend) if backend.key[..] == *key => {
                tracing::debug!(pid, "cancel request");
                backend.cancel.store(true, Ordering::SeqCst);
            }
            _ => tracing::debug!(pid, "cancel request with an unknown pid or a wrong key"),
        }
    }

    /// The flag that turns true when the server stops.
    pub fn stopping(&self) -> Arc<AtomicBool> {
        self.stopping.clone()
    }

    /// Tracks a connection socket until the returned guard is dropped, so that
    /// [`Shared::stop_reads`] can wake a read blocked on it.
    fn track(self: &Arc<Self>, stream: Arc<StdTcpStream>) -> TrackedSocket {
        let id = self.next_socket.fetch_add(1, Ordering::Relaxed);
        self.sockets.lock().insert(id, stream);
        TrackedSocket { shared: self.clone(), id }
    }

    /// Sets the stop flag, then shuts the read side of every tracked socket: a connection
    /// blocked on a read gets no bytes, sees the flag and closes with FATAL 57P01; one busy
    /// with a statement sees the flag before its next read. (A socket tracked after this
    /// loop was tracked after the flag was set, and its thread checks the flag before its
    /// first read.)
    fn stop_reads(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        for stream in self.sockets.lock().values() {
            let _ = stream.shutdown(Shutdown::Read);
        }
    }

    fn cancel_all(&self) {
        for backend in self.backends.lock().values() {
            backend.cancel.store(true, Ordering::SeqCst);
        }
    }
}

/// A backend's entry in the registry; removed on drop.
pub(crate) struct Registration {
    shared: Arc<Shared>,
    pub pid: i32,
    pub key: [u8; 4],
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.shared.backends.lock().remove(&self.pid);
    }
}

/// A socket's entry in the registry that shutdown wakes; removed on drop.
struct TrackedSocket {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for TrackedSocket {
    fn drop(&mut self) {
        self.shared.sockets.lock().remove(&self.id);
    }
}

/// Runs the wire server on `db` until SIGTERM or SIGINT, then shuts down gracefully (see
/// the module docs). Logs `listening on ADDR` (the bound address) and `ready to accept
/// connections` once clients can connect. Does not close `db`.
pub fn serve(db: Arc<Database>, config: ServerConfig) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .thread_name("quorumdb-pg")
        .build()?;
    let result = runtime.block_on(serve_async(db, config));
    runtime.shutdown_timeout(Duration::from_secs(1));
    result
}

async fn serve_async(db: Arc<Database>, config: ServerConfig) -> io::Result<()> {
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let listener = TcpListener::bind(&config.listen).await?;
    let shared = Arc::new(Shared::new(db, &config));
    let mut tasks = JoinSet::new();
    tracing::info!("listening on {}", listener.local_addr()?);
    tracing::info!("ready to accept connections");
    loop {
        tokio::select! {
            _ = sigterm.recv() => {
                tracing::info!("received SIGTERM: shutting down");
                break;
            }
            _ = sigint.recv() => {
                tracing::info!("received SIGINT: shutting down");
                break;
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tracing::debug!(%peer, "connection accepted");
                    let _ = stream.set_nodelay(true);
                    tasks.spawn(on_own_thread(stream, shared.clone()));
                }
                Err(err) => {
                    // E.g. out of file descriptors: back off instead of spinning.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(done) = tasks.join_next(), if !tasks.is_empty() => report(done),
        }
    }
    drop(listener);
    shared.stop_reads();
    if !drain(&mut tasks, SHUTDOWN_GRACE).await {
        tracing::warn!(connections = tasks.len(), "cancelling statements still running");
        shared.cancel_all();
        if !drain(&mut tasks, SHUTDOWN_CANCEL_WAIT).await {
            tracing::warn!(connections = tasks.len(), "giving up on connections still running");
            tasks.abort_all();
        }
    }
    Ok(())
}

/// Serves one accepted socket on a new thread that owns it in blocking mode (see the module
/// docs); completes when the connection ends. A panic on that thread is logged here; the
/// session it held was dropped (rolled back) while unwinding.
async fn on_own_thread(stream: TcpStream, shared: Arc<Shared>) {
    // The socket moves to the connection thread: deregister it from this runtime.
    let stream = match stream.into_std().and_then(|stream| {
        stream.set_nonblocking(false)?;
        Ok(stream)
    }) {
        Ok(stream) => Arc::new(stream),
        Err(err) => {
            tracing::warn!(%err, "cannot hand the connection to its thread");
            return;
        }
    };
    let tracked = shared.track(stream.clone());
    let (ended_tx, ended_rx) = tokio::sync::oneshot::channel::<()>();
    let spawned = std::thread::Builder::new()
        .name("quorumdb-backend".into())
        .stack_size(CONNECTION_STACK_BYTES)
        .spawn(move || {
            let _tracked = tracked;
            crate::util::priority::batch_current_thread();
            connection::run(stream, shared);
            let _ = ended_tx.send(());
        });
    if let Err(err) = spawned {
        tracing::warn!(%err, "cannot start a connection thread");
        return;
    }
    if ended_rx.await.is_err() {
        tracing::error!("a connection thread panicked; its session was dropped (rolled back)");
    }
}

/// Waits up to `limit` for all connection tasks to end; true if they did.
async fn drain(tasks: &mut JoinSet<()>, limit: Duration) -> bool {
    let all = async {
        while let Some(done) = tasks.join_next().await {
            report(done);
        }
    };
    tokio::time::timeout(limit, all).await.is_ok()
}

fn report(done: Result<(), tokio::task::JoinError>) {
    if let Err(err) = done
        && err.is_panic()
    {
        tracing::error!("a connection task panicked; its session was dropped (rolled back)");
    }
}
