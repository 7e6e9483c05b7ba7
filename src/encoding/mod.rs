//! Byte formats shared by several layers: the order-preserving key encoding ([`keycode`]) and
//! the checksum every on-disk structure uses ([`checksum`]).
//!
//! Depends on: nothing inside the crate.

pub mod keycode;

/// The checksum of every on-disk frame and block: CRC-32 (IEEE polynomial) as computed by
/// crc32fast, hardware-accelerated where the CPU allows.
pub fn checksum(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

/// Checksum over several slices, as if they were concatenated.
pub fn checksum_parts(parts: &[&[u8]]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize()
}

/// Reads a little-endian u32 at `offset`, or None if the slice is too short.
pub fn read_u32_le(bytes: &[u8], offset: usize) -> Option<u32> {
    let raw = bytes.get(offset..offset.checked_add(4)?)?;
    Some(u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]))
}

/// Reads a little-endian u64 at `offset`, or None if the slice is too short.
pub fn read_u64_le(bytes: &[u8], offset: usize) -> Option<u64> {
    let raw = bytes.get(offset..offset.checked_add(8)?)?;
    let mut buf = [0u8; 8];
    buf.copy_from_slice(raw);
    Some(u64::from_le_bytes(buf))
}
