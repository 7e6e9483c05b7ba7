//! Frontend message framing and decoding, sans IO: bytes in a buffer → [`StartupPacket`] or
//! [`Frontend`] messages, with our own length limit checked on the header before any body
//! byte is awaited.
//!
//! Why not pgwire's decoders: pgwire 0.42 decodes bodies with `bytes::Buf::get_*` and
//! `split_to`, which panic on short or inconsistent bodies, and it does not check that a body
//! is fully consumed. Frontend messages are few and simple, so they are decoded here with
//! bounds checks on every read; garbage is a [`FrameError`], never a panic. (pgwire still
//! encodes every backend message except the hot DataRow/CopyData, see `encode.rs`.)
//!
//! Owns: the frontend message set, [`decode_startup`], [`decode_message`] and the matching
//! [`Frontend::encode`] (used by tests and the `pg_messages` fuzz target, which checks that
//! every decoded message re-encodes to exactly the bytes it came from). Depends on: `bytes`.

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// Largest startup packet (StartupMessage, SSLRequest, CancelRequest), as PostgreSQL's
/// `MAX_STARTUP_PACKET_LENGTH`.
pub const MAX_STARTUP_PACKET: usize = 10_000;
/// Default largest regular message: 1 GiB - 1, like PostgreSQL's `PQ_LARGE_MESSAGE_LIMIT`.
pub const DEFAULT_MAX_MESSAGE: usize = (1 << 30) - 1;

const SSL_REQUEST_CODE: u32 = 80_877_103;
const GSSENC_REQUEST_CODE: u32 = 80_877_104;
const CANCEL_REQUEST_CODE: u32 = 80_877_102;

/// A packet of the startup phase (no type byte).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartupPacket {
    /// SSLRequest: answered with `N`.
    SslRequest,
    /// GSSENCRequest: answered with `N`.
    GssEncRequest,
    /// CancelRequest for backend `pid` with secret `key` (4 bytes in protocol 3.0).
    Cancel { pid: i32, key: Bytes },
    /// StartupMessage: protocol version and `name=value` parameters in order.
    Startup { major: u16, minor: u16, params: Vec<(String, String)> },
}

/// Which object Describe / Close refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `S`: a prepared statement.
    Statement,
    /// `P`: a portal.
    Portal,
}

impl Target {
    fn byte(self) -> u8 {
        match self {
            Target::Statement => b'S',
            Target::Portal => b'P',
        }
    }
}

/// A regular (typed) frontend message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frontend {
    /// `Q`.
    Query(String),
    /// `P`: `name` empty = the unnamed statement.
    Parse { name: String, query: String, param_oids: Vec<u32> },
    /// `B`: parameter values `None` = NULL.
    Bind {
        portal: String,
        statement: String,
        param_formats: Vec<i16>,
        params: Vec<Option<Bytes>>,
        result_formats: Vec<i16>,
    },
    /// `D`.
    Describe { target: Target, name: String },
    /// `C`.
    Close { target: Target, name: String },
    /// `E`: `max_rows` 0 = no limit.
    Execute { portal: String, max_rows: i32 },
    /// `H`.
    Flush,
    /// `S`.
    Sync,
    /// `X`.
    Terminate,
    /// `d`.
    CopyData(Bytes),
    /// `c`.
    CopyDone,
    /// `f`.
    CopyFail(String),
    /// `p`: PasswordMessage / SASLInitialResponse / SASLResponse; meaning depends on the
    /// authentication state, so the body is kept raw.
    Password(Bytes),
}

/// Why bytes could not be decoded. All are protocol violations (08P01) that end the
/// connection, except [`FrameError::InvalidUtf8`], which is an ordinary error (22021).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// Length field below its minimum (4, or 8 for startup packets).
    InvalidLength(i64),
    /// Length field above the configured limit.
    TooLarge { len: usize, max: usize },
    /// A message type byte we do not know.
    UnknownType(u8),
    /// A body that does not have the layout of its type.
    Malformed { tag: u8, what: &'static str },
    /// A startup packet with an unknown request code or a broken parameter list.
    BadStartup(&'static str),
    /// A string that is not valid UTF-8 (the only client encoding we accept).
    InvalidUtf8 { tag: u8 },
}

impl FrameError {
    /// Whether the connection must end (everything except invalid UTF-8).
    pub fn is_fatal(&self) -> bool {
        !matches!(self, FrameError::InvalidUtf8 { .. })
    }

    /// The SQLSTATE PostgreSQL reports for this problem.
    pub fn code(&self) -> &'static str {
        match self {
            FrameError::InvalidUtf8 { .. } => "22021",
            _ => "08P01",
        }
    }

    /// The error message, in PostgreSQL's words where it has them.
    pub fn message(&self) -> String {
        match self {
            FrameError::InvalidLength(_) => "invalid message length".into(),
            FrameError::TooLarge { len, max } => {
                format!("message too large: {len} bytes, the limit is {max} bytes")
            }
            FrameError::UnknownType(t) => format!("invalid frontend message type {t}"),
            FrameError::Malformed { tag, what } => {
                format!("invalid message format ({} message: {what})", char::from(*tag))
            }
            FrameError::BadStartup(what) => format!("invalid startup packet layout: {what}"),
            FrameError::InvalidUtf8 { .. } => "invalid byte sequence for encoding \"UTF8\"".into(),
        }
    }
}

/// Decodes one startup-phase packet from the front of `buf`. `Ok(None)`: more bytes are
/// needed (the length is validated as soon as the 4 length bytes are there).
pub fn decode_startup(buf: &mut BytesMut) -> Result<Option<StartupPacket>, FrameError> {
    if buf.len() < 4 {
        return Ok(None);
    }
    let len = i64::from(i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]));
    if len < 8 {
        return Err(FrameError::InvalidLength(len));
    }
    let len = len as usize;
    if len > MAX_STARTUP_PACKET {
        return Err(FrameError::TooLarge { len, max: MAX_STARTUP_PACKET });
    }
    if buf.len() < len {
        return Ok(None);
    }
    let mut body = buf.split_to(len).freeze();
    body.advance(4);
    let mut r = Reader { buf: body, tag: 0 };
    let code = r.u32().map_err(|_| FrameError::BadStartup("too short"))?;
    let packet = match code {
        SSL_REQUEST_CODE | GSSENC_REQUEST_CODE => {
            if !r.buf.is_empty() {
                return Err(FrameError::BadStartup("trailing bytes"));
            }
            if code == SSL_REQUEST_CODE {
                StartupPacket::SslRequest
            } else {
                StartupPacket::GssEncRequest
            }
        }
        CANCEL_REQUEST_CODE => {
            let pid = r.i32().map_err(|_| FrameError::BadStartup("cancel request too short"))?;
            if r.buf.len() < 4 || r.buf.len() > 256 {
                return Err(FrameError::BadStartup("cancel key length"));
            }
            StartupPacket::Cancel { pid, key: r.buf }
        }
        version => {
            let major = (version >> 16) as u16;
            let minor = (version & 0xffff) as u16;
            let mut params = Vec::new();
            loop {
                let name = r.cstr().map_err(startup_error)?;
                if name.is_empty() {
                    break;
                }
                let value = r.cstr().map_err(startup_error)?;
                params.push((name, value));
            }
            if !r.buf.is_empty() {
                return Err(FrameError::BadStartup("bytes after the parameter list"));
            }
            StartupPacket::Startup { major, minor, params }
        }
    };
    Ok(Some(packet))
}

fn startup_error(err: FrameError) -> FrameError {
    match err {
        FrameError::InvalidUtf8 { .. } => FrameError::BadStartup("parameter is not UTF-8"),
        _ => FrameError::BadStartup("unterminated parameter list"),
    }
}

/// Validates a regular message header (`tag`, length field) against `max` (the largest
/// whole message, length field included). Returns the body length.
pub fn check_header(tag: u8, len: i32, max: usize) -> Result<usize, FrameError> {
    if !KNOWN_TYPES.contains(&tag) {
        return Err(FrameError::UnknownType(tag));
    }
    if len < 4 {
        return Err(FrameError::InvalidLength(i64::from(len)));
    }
    let len = len as usize;
    if len > max {
        return Err(FrameError::TooLarge { len, max });
    }
    Ok(len - 4)
}

const KNOWN_TYPES: &[u8] = b"QPBDCEHSXdcfp";

/// Decodes one regular message from the front of `buf`, with `max` the largest accepted
/// message length. `Ok(None)`: more bytes are needed. The header is checked (type, length
/// limit) as soon as its 5 bytes are there, before the body arrives.
pub fn decode_message(buf: &mut BytesMut, max: usize) -> Result<Option<Frontend>, FrameError> {
    if buf.len() < 5 {
        return Ok(None);
    }
    let tag = buf[0];
    let body_len = check_header(tag, i32::from_be_bytes([buf[1], buf[2], buf[3], buf[4]]), max)?;
    if buf.len() - 5 < body_len {
        return Ok(None);
    }
    buf.advance(5);
    let body = buf.split_to(body_len).freeze();
    decode_body(tag, body).map(Some)
}

/// Bytes still needed before [`decode_message`] can return a message (0 if a whole message
/// is buffered or the header is already invalid), so readers can size their next read.
pub fn bytes_wanted(buf: &[u8]) -> usize {
    if buf.len() < 5 {
        return 5 - buf.len();
    }
    let len = i32::from_be_bytes([buf[1], buf[2], buf[3], buf[4]]);
    let total = usize::try_from(len).unwrap_or(0).saturating_add(1);
    total.saturating_sub(buf.len())
}

/// Decodes the body of a message of type `tag`.
pub fn decode_body(tag: u8, body: Bytes) -> Result<Frontend, FrameError> {
    let mut r = Reader { buf: body, tag };
    let msg = match tag {
        b'Q' => Frontend::Query(r.cstr()?),
        b'P' => {
            let name = r.cstr()?;
            let query = r.cstr()?;
            let count = r.count()?;
            let mut param_oids = Vec::with_capacity(count.min(r.buf.len() / 4));
            for _ in 0..count {
                param_oids.push(r.u32()?);
            }
            Frontend::Parse { name, query, param_oids }
        }
        b'B' => {
            let portal = r.cstr()?;
            let statement = r.cstr()?;
            let param_formats = r.i16_list()?;
            let count = r.count()?;
            let mut params = Vec::with_capacity(count.min(r.buf.len() / 4));
            for _ in 0..count {
                let len = r.i32()?;
                if len == -1 {
                    params.push(None);
                } else if len < 0 {
                    return Err(r.malformed("negative parameter length"));
                } else {
                    params.push(Some(r.bytes(len as usize)?));
                }
            }
            let result_formats = r.i16_list()?;
            Frontend::Bind { portal, statement, param_formats, params, result_formats }
        }
        b'D' | b'C' => {
            let target = match r.u8()? {
                b'S' => Target::Statement,
                b'P' => Target::Portal,
                _ => return Err(r.malformed("invalid target, expected S or P")),
            };
            let name = r.cstr()?;
            if tag == b'D' {
                Frontend::Describe { target, name }
            } else {
                Frontend::Close { target, name }
            }
        }
        b'E' => {
            let portal = r.cstr()?;
            let max_rows = r.i32()?;
            Frontend::Execute { portal, max_rows }
        }
        b'H' => Frontend::Flush,
        b'S' => Frontend::Sync,
        b'X' => Frontend::Terminate,
        b'd' => return Ok(Frontend::CopyData(r.buf)),
        b'c' => Frontend::CopyDone,
        b'f' => Frontend::CopyFail(r.cstr()?),
        b'p' => return Ok(Frontend::Password(r.buf)),
        other => return Err(FrameError::UnknownType(other)),
    };
    if !r.buf.is_empty() {
        return Err(r.malformed("bytes after the end of the message"));
    }
    Ok(msg)
}

impl Frontend {
    /// The message type byte.
    pub fn tag(&self) -> u8 {
        match self {
            Frontend::Query(_) => b'Q',
            Frontend::Parse { .. } => b'P',
            Frontend::Bind { .. } => b'B',
            Frontend::Describe { .. } => b'D',
            Frontend::Close { .. } => b'C',
            Frontend::Execute { .. } => b'E',
            Frontend::Flush => b'H',
            Frontend::Sync => b'S',
            Frontend::Terminate => b'X',
            Frontend::CopyData(_) => b'd',
            Frontend::CopyDone => b'c',
            Frontend::CopyFail(_) => b'f',
            Frontend::Password(_) => b'p',
        }
    }

    /// Appends the wire form (type byte, length, body), as a client would send it.
    /// Counts that do not fit their 16-bit fields are truncated; tests and the fuzz target
    /// only encode messages that came from [`decode_message`].
    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u8(self.tag());
        let start = out.len();
        out.put_u32(0);
        match self {
            Frontend::Query(sql) => put_cstr(out, sql),
            Frontend::Parse { name, query, param_oids } => {
                put_cstr(out, name);
                put_cstr(out, query);
                out.put_u16(param_oids.len() as u16);
                for oid in param_oids {
                    out.put_u32(*oid);
                }
            }
            Frontend::Bind { portal, statement, param_formats, params, result_formats } => {
                put_cstr(out, portal);
                put_cstr(out, statement);
                out.put_u16(param_formats.len() as u16);
                for f in param_formats {
                    out.put_i16(*f);
                }
                out.put_u16(params.len() as u16);
                for p in params {
                    match p {
                        None => out.put_i32(-1),
                        Some(bytes) => {
                            out.put_i32(bytes.len() as i32);
                            out.put_slice(bytes);
                        }
                    }
                }
                out.put_u16(result_formats.len() as u16);
                for f in result_formats {
                    out.put_i16(*f);
                }
            }
            Frontend::Describe { target, name } | Frontend::Close { target, name } => {
                out.put_u8(target.byte());
                put_cstr(out, name);
            }
            Frontend::Execute { portal, max_rows } => {
                put_cstr(out, portal);
                out.put_i32(*max_rows);
            }
            Frontend::Flush | Frontend::Sync | Frontend::Terminate | Frontend::CopyDone => {}
            Frontend::CopyData(data) | Frontend::Password(data) => out.put_slice(data),
            Frontend::CopyFail(msg) => put_cstr(out, msg),
        }
        let len = (out.len() - start) as u32;
        out[start..start + 4].copy_from_slice(&len.to_be_bytes());
    }
}

impl StartupPacket {
    /// Appends the wire form (length, code or version, body), as a client would send it.
    pub fn encode(&self, out: &mut BytesMut) {
        let start = out.len();
        out.put_u32(0);
        match self {
            StartupPacket::SslRequest => out.put_u32(SSL_REQUEST_CODE),
            StartupPacket::GssEncRequest => out.put_u32(GSSENC_REQUEST_CODE),
            StartupPacket::Cancel { pid, key } => {
                out.put_u32(CANCEL_REQUEST_CODE);
                out.put_i32(*pid);
                out.put_slice(key);
            }
            StartupPacket::Startup { major, minor, params } => {
                out.put_u16(*major);
                out.put_u16(*minor);
                for (name, value) in params {
                    put_cstr(out, name);
                    put_cstr(out, value);
                }
                out.put_u8(0);
            }
        }
        let len = (out.len() - start) as u32;
        out[start..start + 4].copy_from_slice(&len.to_be_bytes());
    }
}

fn put_cstr(out: &mut BytesMut, s: &str) {
    out.put_slice(s.as_bytes());
    out.put_u8(0);
}

/// A bounds-checked cursor over one message body.
struct Reader {
    buf: Bytes,
    tag: u8,
}

impl Reader {
    fn malformed(&self, what: &'static str) -> FrameError {
        FrameError::Malformed { tag: self.tag, what }
    }

    fn need(&self, n: usize) -> Result<(), FrameError> {
        if self.buf.len() < n { Err(self.malformed("message ends early")) } else { Ok(()) }
    }

    fn u8(&mut self) -> Result<u8, FrameError> {
        self.need(1)?;
        Ok(self.buf.get_u8())
    }

    fn i32(&mut self) -> Result<i32, FrameError> {
        self.need(4)?;
        Ok(self.buf.get_i32())
    }

    fn u32(&mut self) -> Result<u32, FrameError> {
        self.need(4)?;
        Ok(self.buf.get_u32())
    }

    /// A 16-bit element count (unsigned, as PostgreSQL's `pq_getmsgint(msg, 2)`).
    fn count(&mut self) -> Result<usize, FrameError> {
        self.need(2)?;
        Ok(usize::from(self.buf.get_u16()))
    }

    fn i16_list(&mut self) -> Result<Vec<i16>, FrameError> {
        let count = self.count()?;
        self.need(count * 2)?;
        Ok((0..count).map(|_| self.buf.get_i16()).collect())
    }

    fn bytes(&mut self, n: usize) -> Result<Bytes, FrameError> {
        self.need(n)?;
        Ok(self.buf.split_to(n))
    }

    fn cstr(&mut self) -> Result<String, FrameError> {
        let Some(end) = self.buf.iter().position(|&b| b == 0) else {
            return Err(self.malformed("unterminated string"));
        };
        let bytes = self.buf.split_to(end + 1);
        match std::str::from_utf8(&bytes[..end]) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => Err(FrameError::InvalidUtf8 { tag: self.tag }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(msg: Frontend) {
        let mut buf = BytesMut::new();
        msg.encode(&mut buf);
        let bytes = buf.clone();
        assert_eq!(decode_message(&mut buf, DEFAULT_MAX_MESSAGE), Ok(Some(msg)));
        assert!(buf.is_empty());
        // Every strict prefix asks for more bytes.
        for cut in 0..bytes.len() {
            let mut part = BytesMut::from(&bytes[..cut]);
            assert_eq!(decode_message(&mut part, DEFAULT_MAX_MESSAGE), Ok(None), "cut {cut}");
        }
    }

    #[test]
    fn messages_roundtrip() {
        roundtrip(Frontend::Query("SELECT 1".into()));
        roundtrip(Frontend::Parse { name: "s1".into(), query: "".into(), param_oids: vec![23] });
        roundtrip(Frontend::Bind {
            portal: "".into(),
            statement: "s1".into(),
            param_formats: vec![1],
            params: vec![None, Some(Bytes::from_static(b"\0\0\0\x01"))],
            result_formats: vec![],
        });
        roundtrip(Frontend::Describe { target: Target::Portal, name: "p".into() });
        roundtrip(Frontend::Close { target: Target::Statement, name: "".into() });
        roundtrip(Frontend::Execute { portal: "".into(), max_rows: 1 });
        roundtrip(Frontend::Sync);
        roundtrip(Frontend::CopyData(Bytes::from_static(b"1\tx\n")));
        roundtrip(Frontend::CopyFail("boom".into()));
    }

    #[test]
    fn header_checked_before_body() {
        let mut buf = BytesMut::from(&b"Q\0\0\x10\0"[..]);
        assert_eq!(
            decode_message(&mut buf, 1024),
            Err(FrameError::TooLarge { len: 4096, max: 1024 })
        );
        let mut buf = BytesMut::from(&b"Q\0\0\0\x03"[..]);
        assert_eq!(decode_message(&mut buf, 1024), Err(FrameError::InvalidLength(3)));
        let mut buf = BytesMut::from(&b"\x01\0\0\0\x04"[..]);
        assert_eq!(decode_message(&mut buf, 1024), Err(FrameError::UnknownType(1)));
    }

    #[test]
    fn malformed_bodies_are_errors() {
        for body in [&b"s\0"[..], b"s\0q\0\x00", b"s\0q\0\xff\xff", b"s\0q\0\0\x01\0\0\0"] {
            assert!(decode_body(b'P', Bytes::copy_from_slice(body)).is_err(), "{body:?}");
        }
        assert!(decode_body(b'B', Bytes::from_static(b"\0\0\0\0\0\x01\0\0\0\x09ab\0\0")).is_err());
        assert!(decode_body(b'S', Bytes::from_static(b"x")).is_err());
        assert_eq!(
            decode_body(b'Q', Bytes::from_static(b"\xff\0")),
            Err(FrameError::InvalidUtf8 { tag: b'Q' })
        );
    }

    #[test]
    fn startup_packets() {
        for packet in [
            StartupPacket::SslRequest,
            StartupPacket::Cancel { pid: 7, key: Bytes::from_static(b"abcd") },
            StartupPacket::Startup {
                major: 3,
                minor: 0,
                params: vec![("user".into(), "quorumdb".into())],
            },
        ] {
            let mut buf = BytesMut::new();
            packet.encode(&mut buf);
            assert_eq!(decode_startup(&mut buf), Ok(Some(packet)));
        }
        let mut buf = BytesMut::from(&b"\0\0\0\x04"[..]);
        assert_eq!(decode_startup(&mut buf), Err(FrameError::InvalidLength(4)));
    }
}
