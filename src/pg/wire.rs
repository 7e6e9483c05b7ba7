//! One client socket: the socket itself, the input buffer that [`frame`] decodes from, and
//! the output buffer every backend message is appended to.
//!
//! The socket is in blocking mode and used only by its connection's thread (see `server`):
//! a read or write is one system call that sleeps in the kernel until it can proceed, with
//! no event loop or readiness registration in between. Output is written to the socket only
//! by [`Wire::flush`] (on Sync, Flush, a full buffer), and before any read that would block:
//! a client never waits for bytes we hold. Reads give way to server shutdown: the server sets
//! the stop flag and shuts the read side of every socket, which wakes a blocked read.
//! Owns: socket IO and [`Stop`], the reasons a connection ends. Depends on: `frame`, `encode`.

use super::encode::{self, Severity};
use super::frame::{self, Frontend, StartupPacket};
use crate::sql::SqlError;
use bytes::BytesMut;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Output above this size is written out without waiting for Sync/Flush.
pub const OUT_HIGH_WATER: usize = 64 << 10;
/// How long, and how many bytes, a closing connection reads and discards after its FATAL.
const DRAIN_TIME: Duration = Duration::from_millis(500);
const DRAIN_LIMIT: usize = 4 << 20;
/// Smallest and largest single read into the input buffer.
const MIN_READ: usize = 8 << 10;
const READ_CHUNK: usize = 64 << 10;

/// Why a connection ends.
#[derive(Debug)]
pub enum Stop {
    /// The client closed the socket (possibly mid-message).
    Eof,
    /// A socket error (reset, broken pipe...).
    Io(io::Error),
    /// The client sent Terminate.
    Terminate,
    /// The server is shutting down: FATAL 57P01.
    Shutdown,
    /// A protocol violation or startup failure: this FATAL error is sent, then the socket
    /// is closed.
    Fatal(SqlError),
}

impl From<io::Error> for Stop {
    fn from(err: io::Error) -> Self {
        if err.kind() == io::ErrorKind::UnexpectedEof { Stop::Eof } else { Stop::Io(err) }
    }
}

/// A message that arrived whole but could not be decoded without ending the connection
/// (invalid UTF-8): the type byte and the error to report.
pub type BadMessage = (u8, SqlError);

/// The socket of one connection with its buffers.
pub struct Wire {
    stream: Arc<TcpStream>,
    input: BytesMut,
    /// Backend messages not yet written to the socket.
    pub out: BytesMut,
    max_message: usize,
    /// Turns true when the server stops.
    stopping: Arc<AtomicBool>,
}

impl Wire {
    /// Wraps an accepted socket (in blocking mode). `max_message` bounds every regular
    /// message (length field included); `stopping` turns true when the server stops.
    pub fn new(stream: Arc<TcpStream>, max_message: usize, stopping: Arc<AtomicBool>) -> Self {
        Wire {
            stream,
            input: BytesMut::with_capacity(8 << 10),
            out: BytesMut::with_capacity(16 << 10),
            max_message,
            stopping,
        }
    }

    /// Writes the output buffer to the socket now.
    pub fn flush(&mut self) -> Result<(), Stop> {
        if !self.out.is_empty() {
            (&*self.stream).write_all(&self.out)?;
            self.out.clear();
        }
        Ok(())
    }

    /// Writes the output buffer out if it has grown past [`OUT_HIGH_WATER`].
    pub fn flush_if_full(&mut self) -> Result<(), Stop> {
        if self.out.len() >= OUT_HIGH_WATER { self.flush() } else { Ok(()) }
    }

    /// Reads one startup-phase packet.
    pub fn read_startup(&mut self) -> Result<StartupPacket, Stop> {
        loop {
            match frame::decode_startup(&mut self.input) {
                Ok(Some(packet)) => return Ok(packet),
                Ok(None) => {}
                Err(err) => return Err(Stop::Fatal(SqlError::new(err.code(), err.message()))),
            }
            self.fill(4)?;
        }
    }

    /// Reads one regular message. A header that breaks the protocol (unknown type, bad or
    /// too large length) is a [`Stop::Fatal`] as soon as its 5 bytes are in, without
    /// waiting for the body.
    pub fn read(&mut self) -> Result<Result<Frontend, BadMessage>, Stop> {
        loop {
            let tag = self.input.first().copied().unwrap_or(0);
            match frame::decode_message(&mut self.input, self.max_message) {
                Ok(Some(msg)) => return Ok(Ok(msg)),
                Ok(None) => {}
                Err(err) => {
                    let sql = SqlError::new(err.code(), err.message());
                    return if err.is_fatal() {
                        Err(Stop::Fatal(sql))
                    } else {
                        Ok(Err((tag, sql)))
                    };
                }
            }
            self.flush()?;
            self.fill(frame::bytes_wanted(&self.input))?;
        }
    }

    /// Reads at least one more byte (up to `wanted`, within [`MIN_READ`]..[`READ_CHUNK`]),
    /// giving way to shutdown: the stop flag is checked before the read, and a read that the
    /// server's shutdown woke returns no bytes.
    fn fill(&mut self, wanted: usize) -> Result<(), Stop> {
        if self.stopping.load(Ordering::SeqCst) {
            return Err(Stop::Shutdown);
        }
        let start = self.input.len();
        let chunk = wanted.clamp(MIN_READ, READ_CHUNK);
        self.input.resize(start + chunk, 0);
        let read = loop {
            match (&*self.stream).read(&mut self.input[start..]) {
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        // Keep only the bytes read (none on an error).
        self.input.truncate(start + read.as_ref().map_or(0, |&n| n));
        match read? {
            0 if self.stopping.load(Ordering::SeqCst) => Err(Stop::Shutdown),
            0 => Err(Stop::Eof),
            _ => Ok(()),
        }
    }

    /// Appends one raw byte (the answer to SSLRequest / GSSENCRequest).
    pub fn put_byte(&mut self, byte: u8) {
        self.out.extend_from_slice(&[byte]);
    }

    /// Whether the client has already sent bytes we have not decoded (e.g. pipelined
    /// data after an SSLRequest, which must not be there when we answer `N`).
    pub fn has_input(&self) -> bool {
        !self.input.is_empty()
    }

    /// Ends the connection for `stop`: sends the FATAL error it calls for (if any), flushes
    /// what can still be flushed and closes the socket.
    pub fn close(mut self, stop: &Stop) {
        let fatal = match stop {
            Stop::Fatal(err) => Some(err.clone()),
            Stop::Shutdown => Some(SqlError::new(
                crate::sql::sqlstate::ADMIN_SHUTDOWN,
                "terminating connection due to administrator command",
            )),
            Stop::Eof | Stop::Io(_) | Stop::Terminate => None,
        };
        if matches!(stop, Stop::Eof | Stop::Io(_)) {
            return;
        }
        if let Some(err) = fatal {
            encode::error(&mut self.out, &err, Severity::Fatal);
        }
        if self.flush().is_err() || self.stream.shutdown(Shutdown::Write).is_err() {
            return;
        }
        // Closing a socket with unread input makes the kernel send RST, which can destroy
        // the error we just sent before the client reads it: drain (bounded) first.
        let deadline = Instant::now() + DRAIN_TIME;
        let mut scratch = vec![0u8; 16 << 10];
        let mut total = 0usize;
        while total < DRAIN_LIMIT {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.stream.set_read_timeout(Some(left)).is_err() {
                break;
            }
            match (&*self.stream).read(&mut scratch) {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
    }
}
