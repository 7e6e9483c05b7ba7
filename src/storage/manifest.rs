//! The manifest: which checkpoint files make up the durable state, and where WAL replay starts.
//!
//! Stored as `MANIFEST` = `[crc32 u32 LE][JSON]` and replaced atomically (temp file, fsync,
//! rename, fsync directory), so after a crash it names either the old or the new file set,
//! never a mix. Files not named by it are leftovers of an interrupted checkpoint or merge and
//! are deleted at startup.

use super::{StorageError, Timestamp};
use crate::encoding::{checksum, read_u32_le};
use crate::vfs::{self, FileSystem};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// File name of the manifest inside the storage directory.
pub const MANIFEST_NAME: &str = "MANIFEST";
const FORMAT_VERSION: u32 = 1;

/// One checkpoint file as recorded in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// File id; the file is named [`file_name`]`(id)`.
    pub id: u64,
    /// Number of versions.
    pub entries: u64,
    /// Size in bytes.
    pub bytes: u64,
    /// Largest commit timestamp in the file.
    pub max_ts: Timestamp,
}

/// The durable description of the engine's checkpointed state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version of the storage directory.
    pub format_version: u32,
    /// Every commit logged below this LSN is in `files`; replay the WAL from here.
    pub checkpoint_lsn: u64,
    /// Next unused file id.
    pub next_file_id: u64,
    /// Versions below this timestamp may have been garbage-collected.
    pub gc_horizon: Timestamp,
    /// Checkpoint files, newest first.
    pub files: Vec<FileRecord>,
}

impl Default for Manifest {
    fn default() -> Self {
        Self {
            format_version: FORMAT_VERSION,
            checkpoint_lsn: 0,
            next_file_id: 1,
            gc_horizon: 0,
            files: Vec::new(),
        }
    }
}

/// The name of checkpoint file `id`.
pub fn file_name(id: u64) -> String {
    format!("{id:016}.ckpt")
}

impl Manifest {
    /// Reads the manifest in `dir`; a missing manifest means a new, empty store.
    pub fn load(fs: &dyn FileSystem, dir: &Path) -> Result<Self, StorageError> {
        let path = dir.join(MANIFEST_NAME);
        if !fs.exists(&path) {
            return Ok(Self::default());
        }
        let bytes = fs.map(&path).map_err(|e| StorageError::io("read", &path, e))?;
        let crc = read_u32_le(&bytes, 0)
            .ok_or_else(|| StorageError::corruption(&path, 0, "manifest too short"))?;
        let body = &bytes[4..];
        if crc != checksum(body) {
            return Err(StorageError::corruption(&path, 0, "manifest checksum mismatch"));
        }
        let manifest: Manifest = serde_json::from_slice(body).map_err(|e| {
            StorageError::corruption(&path, 4, format!("manifest is not valid: {e}"))
        })?;
        if manifest.checkpoint_lsn > crate::wal::segment::MAX_LSN {
            let reason =
                format!("checkpoint LSN {} is beyond the largest LSN", manifest.checkpoint_lsn);
            return Err(StorageError::corruption(&path, 4, reason));
        }
        if manifest.format_version != FORMAT_VERSION {
            let reason = format!("unsupported storage format version {}", manifest.format_version);
            return Err(StorageError::corruption(&path, 4, reason));
        }
        Ok(manifest)
    }

    /// Replaces the manifest in `dir` atomically and durably.
    pub fn store(&self, fs: &dyn FileSystem, dir: &Path) -> Result<(), StorageError> {
        let path = dir.join(MANIFEST_NAME);
        let body = serde_json::to_vec_pretty(self)
            .map_err(|e| StorageError::InvalidRequest(format!("manifest serialization: {e}")))?;
        let mut bytes = checksum(&body).to_le_bytes().to_vec();
        bytes.extend_from_slice(&body);
        vfs::write_atomically(fs, &path, &bytes)
            .map_err(|e| StorageError::io("write manifest", &path, e))
    }
}
