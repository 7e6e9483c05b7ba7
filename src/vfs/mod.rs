//! The file-system seam: every byte QuorumDB reads from or writes to disk goes through
//! [`FileSystem`].
//!
//! Production uses [`OsFileSystem`] (std::fs + memmap2). Tests use
//! [`crate::sim::SimFileSystem`], an in-memory disk that forgets unsynced writes and can tear
//! the last one on a simulated crash. Because the WAL and the checkpoint code only see this
//! trait, the same recovery code runs against both, and crash tests exercise the real thing.
//!
//! The trait is deliberately small: append-only writable files (`write_all`, `sync_data`,
//! `append_durable` (both at once), `truncate`, and `preallocate`, which zero-fills ahead of
//! the append position so later appends overwrite blocks that already exist), whole-file
//! read-only maps, and the directory operations needed for atomic replacement (`rename` +
//! `sync_dir`). Durability contract, same as POSIX:
//! - data written to a file is durable only after `sync_data` on that file;
//! - a created, renamed or removed name is durable only after `sync_dir` on its directory.
//!
//! Depends on: nothing inside the crate.

mod direct_log;
mod os;

pub use os::OsFileSystem;

use std::fmt::Debug;
use std::io;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A file opened for appending. Writes go to the append position: the end of the file as
/// opened, advanced by every write (zeros written by [`WritableFile::preallocate`] lie beyond
/// it and are overwritten by later appends).
pub trait WritableFile: Send + Debug {
    /// Writes `buf` at the append position and advances it.
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()>;
    /// Makes everything written so far durable (fdatasync).
    fn sync_data(&mut self) -> io::Result<()>;
    /// Appends `buf` and makes everything written so far durable: `write_all` then
    /// `sync_data` (the default), or one synchronous write where the file can (see
    /// [`FileSystem::open_log`]).
    fn append_durable(&mut self, buf: &[u8]) -> io::Result<()> {
        self.write_all(buf)?;
        self.sync_data()
    }
    /// Cuts the file to `len` bytes (dropping any preallocated zeros); later writes append
    /// after `len`.
    fn truncate(&mut self, len: u64) -> io::Result<()>;
    /// Makes the file at least `size` bytes long by writing zeros after its current end,
    /// without moving the append position. An append that then only overwrites those zeros
    /// leaves the file's size and block map unchanged, so its `sync_data` has no metadata to
    /// write (one device write instead of two on ext4).
    fn preallocate(&mut self, size: u64) -> io::Result<()>;
    /// The append position: bytes written, including unsynced ones, not counting zeros
    /// preallocated beyond it.
    fn len(&self) -> u64;
    /// True when nothing has been written.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The whole contents of a file, read-only: an mmap on a real disk, a copy on a simulated one.
#[derive(Clone)]
pub struct FileBytes {
    bytes: Arc<dyn Deref<Target = [u8]> + Send + Sync>,
    /// Drops the pages of a mapping from the process (see [`FileBytes::release_pages`]).
    release: Option<Arc<dyn Fn() + Send + Sync>>,
}

impl FileBytes {
    /// Wraps any owned byte container.
    pub fn new(bytes: impl Deref<Target = [u8]> + Send + Sync + 'static) -> Self {
        Self { bytes: Arc::new(bytes), release: None }
    }

    /// Wraps a mapping whose resident pages `release` gives back to the kernel.
    pub fn mapped(
        bytes: Arc<dyn Deref<Target = [u8]> + Send + Sync>,
        release: Arc<dyn Fn() + Send + Sync>,
    ) -> Self {
        Self { bytes, release: Some(release) }
    }

    /// Lets the kernel drop the pages of a mapped file from this process: they stay in the
    /// page cache, and the next read maps them again. Without this, every page a scan
    /// touched would count in the server's resident memory until the file is deleted.
    pub fn release_pages(&self) {
        if let Some(release) = &self.release {
            release();
        }
    }
}

impl Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

impl AsRef<[u8]> for FileBytes {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl Debug for FileBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FileBytes({} bytes)", self.bytes.len())
    }
}

/// The operations QuorumDB needs from a file system. See the module docs for durability rules.
pub trait FileSystem: Send + Sync + Debug {
    /// Creates a directory and its parents (like `mkdir -p`).
    fn create_dir_all(&self, path: &Path) -> io::Result<()>;
    /// Names (not paths) of the entries in a directory, in no particular order.
    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>>;
    /// True if a file or directory exists at `path`.
    fn exists(&self, path: &Path) -> bool;
    /// Opens a file for appending, creating it (empty) if it does not exist.
    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WritableFile>>;
    /// Creates a new empty file for appending, replacing any existing file.
    fn create(&self, path: &Path) -> io::Result<Box<dyn WritableFile>>;
    /// Opens (or, if `create`, creates or empties) a file that is written mostly by
    /// [`WritableFile::append_durable`], such as a WAL segment. The default is `create` or
    /// `open_append`; the OS file system writes such files with direct, synchronous IO.
    fn open_log(&self, path: &Path, create: bool) -> io::Result<Box<dyn WritableFile>> {
        if create { self.create(path) } else { self.open_append(path) }
    }
    /// Maps a whole file read-only. The file must not change while mapped.
    fn map(&self, path: &Path) -> io::Result<FileBytes>;
    /// Atomically renames `from` to `to`, replacing `to`.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Removes a file.
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    /// Makes creations, renames and removals in directory `path` durable.
    fn sync_dir(&self, path: &Path) -> io::Result<()>;
    /// Takes an exclusive lock on the file `path` (created if missing), held until the
    /// returned guard is dropped or the process dies. Fails if another holder has it.
    fn lock(&self, path: &Path) -> io::Result<LockGuard>;
}

/// Keeps a [`FileSystem::lock`] held while alive.
pub type LockGuard = Box<dyn std::any::Any + Send + Sync>;

/// Writes `bytes` to `path` atomically and durably: temp file, fsync, rename, fsync directory.
/// After a crash, `path` holds either its old contents or all of `bytes`, never a mix.
pub fn write_atomically(fs: &dyn FileSystem, path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp: PathBuf = dir.join(tmp_name);
    let mut file = fs.create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_data()?;
    drop(file);
    fs.rename(&tmp, path)?;
    fs.sync_dir(dir)
}
