//! One client socket: the read and write halves, the input buffer that [`frame`] decodes
//! from, and the output buffer every backend message is appended to.
//!
//! Output is written to the socket only by [`Wire::flush`] (on Sync, Flush, a full buffer),
//! and before any read that would block: a client never waits for bytes we hold. Reads give
//! way to server shutdown. Owns: socket IO and [`Stop`], the reasons a connection ends.
//! Depends on: `frame`, `encode`, `tokio`.

use super::encode::{self, Severity};
use super::frame::{self, Frontend, StartupPacket};
use crate::sql::SqlError;
use bytes::BytesMut;
use std::io;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::watch;

/// Output above this size is written out without waiting for Sync/Flush.
pub const OUT_HIGH_WATER: usize = 64 << 10;
/// How long, and how many bytes, a closing connection reads and discards after its FATAL.
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_millis(500);
const DRAIN_LIMIT: usize = 4 << 20;
/// Largest single read into the input buffer.
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
    reader: OwnedReadHalf,
    writer: OwnedWriteHalf,
    input: BytesMut,
    /// Backend messages not yet written to the socket.
    pub out: BytesMut,
    max_message: usize,
    shutdown: watch::Receiver<bool>,
}

impl Wire {
    /// Wraps an accepted socket. `max_message` bounds every regular message (length field
    /// included); `shutdown` turns true when the server stops.
    pub fn new(stream: TcpStream, max_message: usize, shutdown: watch::Receiver<bool>) -> Self {
        let (reader, writer) = stream.into_split();
        Wire {
            reader,
            writer,
            input: BytesMut::with_capacity(8 << 10),
            out: BytesMut::with_capacity(16 << 10),
            max_message,
            shutdown,
        }
    }

    /// Writes the output buffer to the socket now.
    pub async fn flush(&mut self) -> Result<(), Stop> {
        if !self.out.is_empty() {
            self.writer.write_all(&self.out).await?;
            self.out.clear();
        }
        Ok(())
    }

    /// Writes the output buffer out if it has grown past [`OUT_HIGH_WATER`].
    pub async fn flush_if_full(&mut self) -> Result<(), Stop> {
        if self.out.len() >= OUT_HIGH_WATER { self.flush().await } else { Ok(()) }
    }

    /// Reads one startup-phase packet.
    pub async fn read_startup(&mut self) -> Result<StartupPacket, Stop> {
        loop {
            match frame::decode_startup(&mut self.input) {
                Ok(Some(packet)) => return Ok(packet),
                Ok(None) => {}
                Err(err) => return Err(Stop::Fatal(SqlError::new(err.code(), err.message()))),
            }
            self.fill(4).await?;
        }
    }

    /// Reads one regular message. A header that breaks the protocol (unknown type, bad or
    /// too large length) is a [`Stop::Fatal`] as soon as its 5 bytes are in, without
    /// waiting for the body.
    pub async fn read(&mut self) -> Result<Result<Frontend, BadMessage>, Stop> {
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
            self.flush().await?;
            self.fill(frame::bytes_wanted(&self.input)).await?;
        }
    }

    /// Reads at least one more byte (up to `wanted`, within [`READ_CHUNK`]), giving way to
    /// shutdown.
    async fn fill(&mut self, wanted: usize) -> Result<(), Stop> {
        self.input.reserve(wanted.clamp(1, READ_CHUNK));
        tokio::select! {
            biased;
            _ = self.shutdown.wait_for(|&stop| stop) => Err(Stop::Shutdown),
            read = self.reader.read_buf(&mut self.input) => match read? {
                0 => Err(Stop::Eof),
                _ => Ok(()),
            },
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
    pub async fn close(mut self, stop: &Stop) {
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
        if self.flush().await.is_err() || self.writer.shutdown().await.is_err() {
            return;
        }
        // Closing a socket with unread input makes the kernel send RST, which can destroy
        // the error we just sent before the client reads it: drain (bounded) first.
        let drain = async {
            let mut scratch = vec![0u8; 16 << 10];
            let mut total = 0usize;
            while total < DRAIN_LIMIT {
                match self.reader.read(&mut scratch).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => total += n,
                }
            }
        };
        let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
    }
}
