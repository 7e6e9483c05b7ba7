//! [`WriteBatch`]: the unit of atomic change, and its encoding as a WAL commit record.
//!
//! Payload of a commit record (little endian):
//! `[commit_ts u64][count u32]` then per write `[op u8][key_len u32][key]` and, for a put,
//! `[value_len u32][value]`. One record holds the whole batch, so the batch is all-or-nothing
//! across a crash: the record's checksum either matches or the record is not replayed.

use crate::encoding::{read_u32_le, read_u64_le};
use bytes::Bytes;

const OP_PUT: u8 = 1;
const OP_DELETE: u8 = 2;

/// An ordered list of puts and deletes applied atomically at one timestamp.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteBatch {
    writes: Vec<(Bytes, Option<Bytes>)>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`.
    pub fn put(&mut self, key: impl Into<Bytes>, value: impl Into<Bytes>) {
        self.writes.push((key.into(), Some(value.into())));
    }

    /// Deletes `key` (writes a tombstone version).
    pub fn delete(&mut self, key: impl Into<Bytes>) {
        self.writes.push((key.into(), None));
    }

    /// The writes in order; `None` values are deletes.
    pub fn writes(&self) -> &[(Bytes, Option<Bytes>)] {
        &self.writes
    }

    /// The writes, consumed.
    pub fn into_writes(self) -> Vec<(Bytes, Option<Bytes>)> {
        self.writes
    }

    /// Number of writes.
    pub fn len(&self) -> usize {
        self.writes.len()
    }

    /// True if the batch has no writes.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// Encodes the batch with its commit timestamp as a WAL payload.
    pub fn encode(&self, commit_ts: u64) -> Vec<u8> {
        let size: usize =
            self.writes.iter().map(|(k, v)| 9 + k.len() + v.as_ref().map_or(0, |v| v.len())).sum();
        let mut out = Vec::with_capacity(12 + size);
        out.extend_from_slice(&commit_ts.to_le_bytes());
        out.extend_from_slice(&(self.writes.len() as u32).to_le_bytes());
        for (key, value) in &self.writes {
            out.push(if value.is_some() { OP_PUT } else { OP_DELETE });
            out.extend_from_slice(&(key.len() as u32).to_le_bytes());
            out.extend_from_slice(key);
            if let Some(value) = value {
                out.extend_from_slice(&(value.len() as u32).to_le_bytes());
                out.extend_from_slice(value);
            }
        }
        out
    }

    /// Decodes a WAL payload into (commit_ts, batch). Keys and values are zero-copy slices of
    /// `payload`. Errors describe what is malformed.
    pub fn decode(payload: &Bytes) -> Result<(u64, WriteBatch), &'static str> {
        let ts = read_u64_le(payload, 0).ok_or("truncated timestamp")?;
        let count = read_u32_le(payload, 8).ok_or("truncated count")? as usize;
        let mut offset = 12;
        // Each write takes at least 5 bytes, which bounds a forged count.
        if count > payload.len() / 5 {
            return Err("write count exceeds payload");
        }
        let mut writes = Vec::with_capacity(count);
        let take = |offset: &mut usize| -> Result<Bytes, &'static str> {
            let len = read_u32_le(payload, *offset).ok_or("truncated length")? as usize;
            let start = *offset + 4;
            let bytes = payload.get(start..start + len).ok_or("length past end")?;
            *offset = start + len;
            Ok(payload.slice_ref(bytes))
        };
        for _ in 0..count {
            let op = *payload.get(offset).ok_or("truncated op")?;
            offset += 1;
            let key = take(&mut offset)?;
            let value = match op {
                OP_PUT => Some(take(&mut offset)?),
                OP_DELETE => None,
                _ => return Err("unknown write op"),
            };
            writes.push((key, value));
        }
        if offset != payload.len() {
            return Err("trailing bytes after batch");
        }
        Ok((ts, WriteBatch { writes }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trips(ts in any::<u64>(), writes in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..8),
             proptest::option::of(proptest::collection::vec(any::<u8>(), 0..8))), 0..6)) {
            let mut batch = WriteBatch::new();
            for (k, v) in writes {
                match v { Some(v) => batch.put(k, v), None => batch.delete(k) }
            }
            prop_assert_eq!(WriteBatch::decode(&Bytes::from(batch.encode(ts))), Ok((ts, batch)));
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = WriteBatch::decode(&Bytes::from(bytes));
        }
    }
}
