//! Keycode: an order-preserving ("memcomparable") encoding of typed values into bytes.
//!
//! Comparing two encoded keys byte by byte gives the same order as comparing the values they
//! encode, column by column. That is what lets a table or index scan be a plain key range in
//! the storage engine: `/table_id/index_id/col1/col2/...` sorts rows by their columns.
//!
//! Formats (each value starts with a one-byte tag; NULL has the lowest tag, so it sorts before
//! every value: the SQL layer arranges PostgreSQL's NULLS LAST default on top of this):
//!
//! | value   | tag  | body                                                              |
//! |---------|------|-------------------------------------------------------------------|
//! | NULL    | 0x00 | none                                                              |
//! | false   | 0x01 | none                                                              |
//! | true    | 0x02 | none                                                              |
//! | i64     | 0x03 | 8 bytes big-endian with the sign bit flipped                       |
//! | u64     | 0x04 | 8 bytes big-endian                                                 |
//! | f64     | 0x05 | IEEE bits big-endian; sign bit flipped if positive, all bits flipped if negative |
//! | bytes   | 0x06 | each 0x00 becomes 0x00 0xFF; terminated by 0x00 0x01               |
//!
//! The escaping of bytes keeps prefixes ordered: "ab" < "ab\0" < "abc" holds after encoding,
//! and no encoded value is a prefix of a different encoded value of the same type.

use thiserror::Error;

const TAG_NULL: u8 = 0x00;
const TAG_FALSE: u8 = 0x01;
const TAG_TRUE: u8 = 0x02;
const TAG_I64: u8 = 0x03;
const TAG_U64: u8 = 0x04;
const TAG_F64: u8 = 0x05;
const TAG_BYTES: u8 = 0x06;

/// A key could not be decoded: the bytes were not produced by this encoder.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid encoded key at byte {offset}: {reason}")]
pub struct KeyDecodeError {
    /// Byte offset in the key where decoding failed.
    pub offset: usize,
    /// What was wrong.
    pub reason: &'static str,
}

/// Appends encoded values to a key buffer.
#[derive(Debug, Default, Clone)]
pub struct KeyEncoder {
    buf: Vec<u8>,
}

impl KeyEncoder {
    /// A new empty key.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a SQL NULL.
    pub fn null(mut self) -> Self {
        self.buf.push(TAG_NULL);
        self
    }

    /// Appends a boolean.
    pub fn bool(mut self, value: bool) -> Self {
        self.buf.push(if value { TAG_TRUE } else { TAG_FALSE });
        self
    }

    /// Appends a signed integer.
    pub fn i64(mut self, value: i64) -> Self {
        self.buf.push(TAG_I64);
        self.buf.extend_from_slice(&((value as u64) ^ (1 << 63)).to_be_bytes());
        self
    }

    /// Appends an unsigned integer.
    pub fn u64(mut self, value: u64) -> Self {
        self.buf.push(TAG_U64);
        self.buf.extend_from_slice(&value.to_be_bytes());
        self
    }

    /// Appends a float. -0.0 and 0.0 encode differently (-0.0 first); NaN sorts last.
    pub fn f64(mut self, value: f64) -> Self {
        let bits = value.to_bits();
        let ordered = if bits >> 63 == 1 { !bits } else { bits ^ (1 << 63) };
        self.buf.push(TAG_F64);
        self.buf.extend_from_slice(&ordered.to_be_bytes());
        self
    }

    /// Appends a byte string (text is encoded as its UTF-8 bytes).
    pub fn bytes(mut self, value: &[u8]) -> Self {
        self.buf.push(TAG_BYTES);
        for &byte in value {
            self.buf.push(byte);
            if byte == 0 {
                self.buf.push(0xFF);
            }
        }
        self.buf.extend_from_slice(&[0x00, 0x01]);
        self
    }

    /// The encoded key.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// A decoded value, as produced by [`KeyDecoder::next_value`].
#[derive(Debug, Clone, PartialEq)]
pub enum KeyValue {
    /// SQL NULL.
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    I64(i64),
    /// An unsigned integer.
    U64(u64),
    /// A float.
    F64(f64),
    /// A byte string.
    Bytes(Vec<u8>),
}

/// Reads values back from an encoded key, in order.
#[derive(Debug)]
pub struct KeyDecoder<'a> {
    key: &'a [u8],
    offset: usize,
}

impl<'a> KeyDecoder<'a> {
    /// Starts decoding `key` from its first byte.
    pub fn new(key: &'a [u8]) -> Self {
        Self { key, offset: 0 }
    }

    /// True when every byte has been consumed.
    pub fn is_done(&self) -> bool {
        self.offset >= self.key.len()
    }

    fn error(&self, reason: &'static str) -> KeyDecodeError {
        KeyDecodeError { offset: self.offset, reason }
    }

    fn take8(&mut self) -> Result<[u8; 8], KeyDecodeError> {
        let raw = self
            .key
            .get(self.offset..self.offset + 8)
            .ok_or_else(|| self.error("truncated 8-byte value"))?;
        let mut out = [0u8; 8];
        out.copy_from_slice(raw);
        self.offset += 8;
        Ok(out)
    }

    /// Decodes the next value.
    pub fn next_value(&mut self) -> Result<KeyValue, KeyDecodeError> {
        let tag = *self.key.get(self.offset).ok_or_else(|| self.error("no more values"))?;
        self.offset += 1;
        Ok(match tag {
            TAG_NULL => KeyValue::Null,
            TAG_FALSE => KeyValue::Bool(false),
            TAG_TRUE => KeyValue::Bool(true),
            TAG_I64 => KeyValue::I64((u64::from_be_bytes(self.take8()?) ^ (1 << 63)) as i64),
            TAG_U64 => KeyValue::U64(u64::from_be_bytes(self.take8()?)),
            TAG_F64 => {
                let ordered = u64::from_be_bytes(self.take8()?);
                let bits = if ordered >> 63 == 1 { ordered ^ (1 << 63) } else { !ordered };
                KeyValue::F64(f64::from_bits(bits))
            }
            TAG_BYTES => KeyValue::Bytes(self.escaped_bytes()?),
            _ => return Err(self.error("unknown type tag")),
        })
    }

    fn escaped_bytes(&mut self) -> Result<Vec<u8>, KeyDecodeError> {
        let mut out = Vec::new();
        loop {
            let byte = *self.key.get(self.offset).ok_or_else(|| self.error("unterminated"))?;
            self.offset += 1;
            if byte != 0 {
                out.push(byte);
                continue;
            }
            let next = *self.key.get(self.offset).ok_or_else(|| self.error("unterminated"))?;
            self.offset += 1;
            match next {
                0xFF => out.push(0),
                0x01 => return Ok(out),
                _ => return Err(self.error("bad escape in byte string")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn value_strategy() -> impl Strategy<Value = KeyValue> {
        prop_oneof![
            Just(KeyValue::Null),
            any::<bool>().prop_map(KeyValue::Bool),
            any::<i64>().prop_map(KeyValue::I64),
            any::<u64>().prop_map(KeyValue::U64),
            any::<f64>().prop_filter("NaN has no order", |f| !f.is_nan()).prop_map(KeyValue::F64),
            proptest::collection::vec(any::<u8>(), 0..12).prop_map(KeyValue::Bytes),
        ]
    }

    fn encode(values: &[KeyValue]) -> Vec<u8> {
        values
            .iter()
            .fold(KeyEncoder::new(), |enc, value| match value {
                KeyValue::Null => enc.null(),
                KeyValue::Bool(b) => enc.bool(*b),
                KeyValue::I64(i) => enc.i64(*i),
                KeyValue::U64(u) => enc.u64(*u),
                KeyValue::F64(f) => enc.f64(*f),
                KeyValue::Bytes(b) => enc.bytes(b),
            })
            .finish()
    }

    fn rank(value: &KeyValue) -> u8 {
        match value {
            KeyValue::Null => 0,
            KeyValue::Bool(_) => 1,
            KeyValue::I64(_) => 3,
            KeyValue::U64(_) => 4,
            KeyValue::F64(_) => 5,
            KeyValue::Bytes(_) => 6,
        }
    }

    fn compare(a: &KeyValue, b: &KeyValue) -> std::cmp::Ordering {
        use KeyValue::*;
        match (a, b) {
            (Bool(x), Bool(y)) => x.cmp(y),
            (I64(x), I64(y)) => x.cmp(y),
            (U64(x), U64(y)) => x.cmp(y),
            (F64(x), F64(y)) => x.total_cmp(y),
            (Bytes(x), Bytes(y)) => x.cmp(y),
            _ => rank(a).cmp(&rank(b)),
        }
    }

    proptest! {
        #[test]
        fn encoding_preserves_order(
            a in proptest::collection::vec(value_strategy(), 1..4),
            b in proptest::collection::vec(value_strategy(), 1..4),
        ) {
            let expected = a.iter().zip(&b).map(|(x, y)| compare(x, y))
                .find(|o| o.is_ne()).unwrap_or_else(|| a.len().cmp(&b.len()));
            prop_assert_eq!(encode(&a).cmp(&encode(&b)), expected);
        }

        #[test]
        fn encoding_round_trips(values in proptest::collection::vec(value_strategy(), 0..5)) {
            let key = encode(&values);
            let mut decoder = KeyDecoder::new(&key);
            let mut decoded = Vec::new();
            while !decoder.is_done() {
                decoded.push(decoder.next_value().map_err(|e| TestCaseError::fail(e.to_string()))?);
            }
            prop_assert_eq!(decoded, values);
        }

        #[test]
        fn decoding_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..32)) {
            let mut decoder = KeyDecoder::new(&bytes);
            while !decoder.is_done() {
                if decoder.next_value().is_err() { break; }
            }
        }
    }
}
