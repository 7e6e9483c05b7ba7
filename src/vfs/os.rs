//! [`OsFileSystem`]: the real disk, through std::fs and memmap2 (and direct IO for logs, in
//! `direct_log`).

use super::{FileBytes, FileSystem, LockGuard, WritableFile, direct_log};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

/// The operating system's file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsFileSystem;

#[derive(Debug)]
struct OsFile {
    file: File,
    /// The append position (the file's cursor).
    len: u64,
    /// The file's size: `len` plus any preallocated zeros.
    size: u64,
}

/// Zeros written per `write` call while preallocating.
const ZERO_CHUNK: usize = 64 << 10;

impl WritableFile for OsFile {
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file.write_all(buf)?;
        self.len += buf.len() as u64;
        self.size = self.size.max(self.len);
        Ok(())
    }

    fn sync_data(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.file.set_len(len)?;
        self.file.seek(SeekFrom::Start(len))?;
        self.len = len;
        self.size = len;
        Ok(())
    }

    fn preallocate(&mut self, size: u64) -> io::Result<()> {
        // Real zeros, not fallocate: an fallocated extent is "unwritten", and the first write
        // into it changes the block map, which is the metadata write this avoids.
        let zeros = [0u8; ZERO_CHUNK];
        while self.size < size {
            let chunk = (size - self.size).min(ZERO_CHUNK as u64) as usize;
            self.file.write_all_at(&zeros[..chunk], self.size)?;
            self.size += chunk as u64;
        }
        Ok(())
    }

    fn len(&self) -> u64 {
        self.len
    }
}

fn open_with(path: &Path, truncate: bool) -> io::Result<Box<dyn WritableFile>> {
    let mut file =
        OpenOptions::new().create(true).write(true).truncate(truncate).read(true).open(path)?;
    let len = file.seek(SeekFrom::End(0))?;
    Ok(Box::new(OsFile { file, len, size: len }))
}

impl FileSystem for OsFileSystem {
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        fs::create_dir_all(path)
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(path)? {
            names.push(entry?.file_name().to_string_lossy().into_owned());
        }
        Ok(names)
    }

    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        open_with(path, false)
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        open_with(path, true)
    }

    fn open_log(&self, path: &Path, create: bool) -> io::Result<Box<dyn WritableFile>> {
        match direct_log::open(path, create)? {
            Some(file) => Ok(Box::new(file)),
            None => open_with(path, create),
        }
    }

    fn map(&self, path: &Path) -> io::Result<FileBytes> {
        let file = File::open(path)?;
        if file.metadata()?.len() == 0 {
            return Ok(FileBytes::new(Vec::new()));
        }
        // SAFETY: QuorumDB maps only files it treats as immutable while mapped: checkpoint
        // files are written once and never modified (only deleted after being unmapped from
        // the live set, which unlinks the name but keeps the pages valid), and WAL segments
        // are mapped only during recovery, before any writer opens them. Another process
        // truncating these files would be outside our contract (and would SIGBUS, as with
        // any mmap-based database).
        let map = Arc::new(unsafe { memmap2::Mmap::map(&file)? });
        let release_from = map.clone();
        let release = move || {
            // SAFETY: MADV_DONTNEED on a read-only, file-backed, shared mapping only drops
            // the pages from our page tables; the next access maps the file's (unchanged,
            // see above) contents again, so no reader can observe a difference.
            let advised =
                unsafe { release_from.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
            if let Err(err) = advised {
                tracing::debug!(error = %err, "madvise(DONTNEED) on a checkpoint file failed");
            }
        };
        Ok(FileBytes::mapped(map, Arc::new(release)))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        File::open(path)?.sync_all()
    }

    fn lock(&self, path: &Path) -> io::Result<LockGuard> {
        let file = OpenOptions::new().create(true).truncate(false).write(true).open(path)?;
        match file.try_lock() {
            Ok(()) => Ok(Box::new(file)),
            Err(fs::TryLockError::WouldBlock) => Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!(
                    "{} is locked: another QuorumDB process uses this data directory",
                    path.display()
                ),
            )),
            Err(fs::TryLockError::Error(e)) => Err(e),
        }
    }
}
