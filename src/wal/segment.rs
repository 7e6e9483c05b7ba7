//! Segment files: naming, and the recovery scan of one segment.
//!
//! A segment is named by the LSN of its first record (`00000000000000000042.wal`) and holds
//! consecutive records, so record `i` of a segment has LSN `first + i`. Segments are rotated
//! only after the previous one was fully synced, which gives the rule recovery relies on:
//!
//! * Only the **last** segment may end in a torn write (a crash during an unsynced append).
//!   A torn tail is the first invalid frame **after which no valid frame follows**; it is cut
//!   off and logged.
//! * An invalid frame in any other segment, or one followed by a valid frame anywhere later in
//!   the file, cannot be explained by a crash: it is corruption, and recovery refuses, naming
//!   the file and byte offset.
//!
//! The writer zero-fills a segment ahead of its appends (see `Wal::write_batch`), so a
//! segment, sealed or not, may end in zeros that were never written over. Zeros from some
//! offset to the end of the file are therefore the end of the records, not a torn tail (a
//! record's length field is never zero, so no record starts with them).

use super::WalError;
use super::record::{self, Frame};
use std::path::Path;

/// The log sequence number: the position of a record in the log, counting from 0.
pub type Lsn = u64;

/// The largest LSN a log may reach. Far beyond any real log (2^62 records), it leaves room so
/// LSN arithmetic can never overflow; a segment name or position beyond it is corruption.
pub const MAX_LSN: Lsn = 1 << 62;

const SUFFIX: &str = ".wal";

/// The file name of the segment whose first record is `first_lsn`.
pub fn file_name(first_lsn: Lsn) -> String {
    format!("{first_lsn:020}{SUFFIX}")
}

/// Parses a segment file name back to its first LSN; None for other files.
pub fn parse_file_name(name: &str) -> Option<Lsn> {
    let digits = name.strip_suffix(SUFFIX)?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// What the scan of one segment found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanOutcome {
    /// Number of valid records.
    pub records: u64,
    /// Bytes covered by valid records. Beyond them: preallocated zeros, or a torn tail.
    pub valid_len: u64,
    /// Why the rest of the file was dropped as a torn tail, if it was.
    pub torn: Option<&'static str>,
}

/// Scans `bytes` (the whole segment), calling `on_record(index_in_segment, kind, payload)`
/// for each valid record in order. `is_last` says whether a torn tail is possible here.
pub fn scan<E: From<WalError>>(
    path: &Path,
    bytes: &[u8],
    is_last: bool,
    max_record: usize,
    mut on_record: impl FnMut(u64, u8, &[u8]) -> Result<(), E>,
) -> Result<ScanOutcome, E> {
    let mut offset = 0usize;
    let mut records = 0u64;
    loop {
        match record::decode(bytes, offset, max_record) {
            Frame::Valid { kind, payload, frame_len } => {
                on_record(records, kind, payload)?;
                records += 1;
                offset += frame_len;
            }
            Frame::End => return Ok(ScanOutcome { records, valid_len: offset as u64, torn: None }),
            Frame::Invalid(_) if bytes[offset..].iter().all(|&b| b == 0) => {
                return Ok(ScanOutcome { records, valid_len: offset as u64, torn: None });
            }
            Frame::Invalid(reason) => {
                let corruption = |why: String| WalError::Corruption {
                    file: path.to_path_buf(),
                    offset: offset as u64,
                    reason: why,
                };
                if !is_last {
                    return Err(corruption(format!("{reason} in a sealed segment")).into());
                }
                if let Some(later) = find_valid_frame(bytes, offset + 1, max_record) {
                    let why = format!("{reason}, but a valid record follows at offset {later}");
                    return Err(corruption(why).into());
                }
                return Ok(ScanOutcome { records, valid_len: offset as u64, torn: Some(reason) });
            }
        }
    }
}

/// The first offset at or after `from` where a valid frame starts, if any.
fn find_valid_frame(bytes: &[u8], from: usize, max_record: usize) -> Option<usize> {
    (from..bytes.len().saturating_sub(record::HEADER_LEN - 1))
        .find(|&at| matches!(record::decode(bytes, at, max_record), Frame::Valid { .. }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn segment(records: &[&[u8]]) -> Vec<u8> {
        let mut buf = Vec::new();
        for payload in records {
            record::encode(&mut buf, 1, payload);
        }
        buf
    }

    fn scan_all(bytes: &[u8], is_last: bool) -> Result<(ScanOutcome, Vec<Vec<u8>>), WalError> {
        let mut seen = Vec::new();
        let outcome =
            scan::<WalError>(&PathBuf::from("seg"), bytes, is_last, 1 << 20, |_, _, p| {
                seen.push(p.to_vec());
                Ok(())
            })?;
        Ok((outcome, seen))
    }

    #[test]
    fn names_round_trip() {
        assert_eq!(parse_file_name(&file_name(42)), Some(42));
        assert_eq!(parse_file_name("42.wal"), None);
        assert_eq!(parse_file_name("MANIFEST"), None);
    }

    #[test]
    fn torn_tail_is_cut_at_every_length() -> Result<(), WalError> {
        let full = segment(&[b"one", b"two", b"three"]);
        let second_end = segment(&[b"one", b"two"]).len();
        for cut in second_end..full.len() {
            let (outcome, seen) = scan_all(&full[..cut], true)?;
            assert_eq!(seen, vec![b"one".to_vec(), b"two".to_vec()]);
            assert_eq!(outcome.valid_len as usize, second_end);
            assert_eq!(outcome.torn.is_some(), cut > second_end);
        }
        Ok(())
    }

    #[test]
    fn damage_followed_by_valid_record_is_corruption() {
        let mut bytes = segment(&[b"one", b"two", b"three"]);
        bytes[record::HEADER_LEN + 1] ^= 0xff; // inside the first payload
        let Err(WalError::Corruption { offset, .. }) = scan_all(&bytes, true) else {
            panic!("middle damage must be corruption");
        };
        assert_eq!(offset, 0);
    }

    #[test]
    fn preallocated_zeros_end_any_segment() -> Result<(), WalError> {
        let records = segment(&[b"one", b"two"]);
        let mut bytes = records.clone();
        bytes.resize(records.len() + 4096, 0);
        for is_last in [true, false] {
            let (outcome, seen) = scan_all(&bytes, is_last)?;
            assert_eq!(seen.len(), 2);
            assert_eq!(
                outcome,
                ScanOutcome { records: 2, valid_len: records.len() as u64, torn: None }
            );
        }
        // A torn append into the zeros: part of a frame, then zeros.
        let torn_at = records.len();
        let mut torn = bytes.clone();
        torn[torn_at..torn_at + 6].copy_from_slice(&segment(&[b"three"])[..6]);
        let (outcome, _) = scan_all(&torn, true)?;
        assert_eq!((outcome.valid_len, outcome.torn.is_some()), (torn_at as u64, true));
        assert!(scan_all(&torn, false).is_err(), "a torn frame in a sealed segment");
        Ok(())
    }

    #[test]
    fn damage_in_sealed_segment_is_corruption() {
        let bytes = segment(&[b"one", b"two"]);
        assert!(scan_all(&bytes[..bytes.len() - 1], false).is_err());
    }
}
