//! Record framing: `[len u32 LE][crc u32 LE][kind u8][payload]`.
//!
//! `len` counts kind + payload (so it is at least 1, and a run of zero bytes is never a
//! record); `crc` is the CRC-32 of kind + payload. A frame is accepted only if its length is
//! within bounds and its checksum matches; anything else is [`Frame::Invalid`], and the
//! segment scanner decides whether that is a torn tail or corruption.

use crate::encoding::{checksum_parts, read_u32_le};

/// Bytes of framing before the payload: len (4) + crc (4) + kind (1).
pub const HEADER_LEN: usize = 9;

/// Appends one framed record to `out`.
pub fn encode(out: &mut Vec<u8>, kind: u8, payload: &[u8]) {
    let len = (payload.len() + 1) as u32;
    let crc = checksum_parts(&[&[kind], payload]);
    out.reserve(HEADER_LEN + payload.len());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&crc.to_le_bytes());
    out.push(kind);
    out.extend_from_slice(payload);
}

/// The size of the frame holding a payload of `payload_len` bytes.
pub fn framed_len(payload_len: usize) -> usize {
    HEADER_LEN + payload_len
}

/// The result of decoding at one offset.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A well-formed record with a matching checksum.
    Valid {
        /// The record kind byte.
        kind: u8,
        /// The record payload.
        payload: &'a [u8],
        /// Total bytes of the frame, header included.
        frame_len: usize,
    },
    /// Nothing left to read.
    End,
    /// A bad length, a short frame, or a checksum mismatch.
    Invalid(&'static str),
}

/// Decodes the frame starting at `offset` in `bytes`. Never panics, whatever the bytes.
pub fn decode(bytes: &[u8], offset: usize, max_record: usize) -> Frame<'_> {
    let rest = bytes.get(offset..).unwrap_or_default();
    if rest.is_empty() {
        return Frame::End;
    }
    let (Some(len), Some(crc)) = (read_u32_le(rest, 0), read_u32_le(rest, 4)) else {
        return Frame::Invalid("truncated header");
    };
    let len = len as usize;
    if len == 0 || len > max_record.saturating_add(1) {
        return Frame::Invalid("bad length");
    }
    let Some(body) = rest.get(8..8 + len) else {
        return Frame::Invalid("record extends past end of file");
    };
    if checksum_parts(&[body]) != crc {
        return Frame::Invalid("checksum mismatch");
    }
    Frame::Valid { kind: body[0], payload: &body[1..], frame_len: 8 + len }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut buf = Vec::new();
        encode(&mut buf, 7, b"hello");
        encode(&mut buf, 8, b"");
        let Frame::Valid { kind, payload, frame_len } = decode(&buf, 0, 1024) else {
            panic!("first frame invalid")
        };
        assert_eq!((kind, payload, frame_len), (7, &b"hello"[..], framed_len(5)));
        assert!(matches!(decode(&buf, frame_len, 1024), Frame::Valid { kind: 8, .. }));
        assert_eq!(decode(&buf, buf.len(), 1024), Frame::End);
    }

    #[test]
    fn every_single_bit_flip_is_rejected() {
        let mut buf = Vec::new();
        encode(&mut buf, 1, b"payload bytes");
        for bit in 0..buf.len() * 8 {
            let mut damaged = buf.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            assert!(
                !matches!(decode(&damaged, 0, 1024), Frame::Valid { .. }),
                "flip of bit {bit} accepted"
            );
        }
    }

    #[test]
    fn zeros_and_short_input_are_invalid() {
        assert!(matches!(decode(&[0u8; 32], 0, 1024), Frame::Invalid(_)));
        assert!(matches!(decode(&[1, 0, 0], 0, 1024), Frame::Invalid(_)));
    }
}
