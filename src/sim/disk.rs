//! [`SimFileSystem`]: an in-memory disk with POSIX-like durability and seeded crashes.
//!
//! What it models
//! ==============
//!
//! Each file has its current bytes (what readers see, like the page cache) and its durable
//! bytes (what survives a crash). `sync_data` makes the current bytes durable. Names behave the
//! same way: creating, renaming or removing a file changes the current namespace at once, but
//! only `sync_dir` on the parent makes that change survive a crash.
//!
//! [`SimFileSystem::crash`] is a power loss: every name reverts to its last synced state and
//! every file to its durable bytes, except that unsynced writes may partly survive: from the
//! first byte where the current bytes differ from the durable ones (the start of an append,
//! or of an overwrite of preallocated zeros), a seeded random prefix of the current bytes is
//! kept, which is how a torn last write looks on a real disk. Directories are created durably (a simplification: QuorumDB
//! creates its directories once, before it writes anything that matters).
//!
//! Faults: [`SimFileSystem::crash_after_ops`] makes the machine "die" after N more mutating
//! operations (every later operation fails, as if the process were gone);
//! [`SimFileSystem::set_capacity`] makes writes fail with "no space left" beyond a size, and
//! [`SimFileSystem::fail_next_syncs`] makes fsync fail.

use crate::vfs::{FileBytes, FileSystem, LockGuard, WritableFile};
use parking_lot::Mutex;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

type Inode = u64;

#[derive(Debug, Default)]
struct SimFile {
    data: Vec<u8>,
    durable: Vec<u8>,
}

#[derive(Debug)]
struct SimState {
    files: HashMap<Inode, SimFile>,
    names: BTreeMap<PathBuf, Inode>,
    durable_names: BTreeMap<PathBuf, Inode>,
    dirs: BTreeSet<PathBuf>,
    next_inode: Inode,
    rng: StdRng,
    ops_until_crash: Option<u64>,
    dead: bool,
    capacity: Option<u64>,
    failing_syncs: u32,
    syncs: u64,
}

/// A simulated disk. Cloning gives another handle to the same disk.
#[derive(Debug, Clone)]
pub struct SimFileSystem {
    state: Arc<Mutex<SimState>>,
}

fn crashed_error() -> io::Error {
    io::Error::other("simulated crash: the machine is down")
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("{}: no such file", path.display()))
}

impl SimState {
    /// Counts one mutating operation towards a scheduled crash. Errors once the machine is down.
    fn tick(&mut self) -> io::Result<()> {
        if self.dead {
            return Err(crashed_error());
        }
        if let Some(left) = self.ops_until_crash.as_mut() {
            if *left == 0 {
                self.dead = true;
                return Err(crashed_error());
            }
            *left -= 1;
        }
        Ok(())
    }

    fn used_bytes(&self) -> u64 {
        self.files.values().map(|f| f.data.len() as u64).sum()
    }

    fn inode(&self, path: &Path) -> io::Result<Inode> {
        self.names.get(path).copied().ok_or_else(|| not_found(path))
    }

    fn parent_exists(&self, path: &Path) -> io::Result<()> {
        match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() && !self.dirs.contains(dir) => Err(
                io::Error::new(io::ErrorKind::NotFound, format!("{}: no such dir", dir.display())),
            ),
            _ => Ok(()),
        }
    }

    fn new_file(&mut self, path: &Path) -> Inode {
        let inode = self.next_inode;
        self.next_inode += 1;
        self.files.insert(inode, SimFile::default());
        self.names.insert(path.to_path_buf(), inode);
        inode
    }
}

impl Default for SimFileSystem {
    fn default() -> Self {
        Self::new(0)
    }
}

impl SimFileSystem {
    /// A new empty disk whose crash behaviour is drawn from `seed`.
    pub fn new(seed: u64) -> Self {
        let state = SimState {
            files: HashMap::new(),
            names: BTreeMap::new(),
            durable_names: BTreeMap::new(),
            dirs: BTreeSet::new(),
            next_inode: 1,
            rng: StdRng::seed_from_u64(seed),
            ops_until_crash: None,
            dead: false,
            capacity: None,
            failing_syncs: 0,
            syncs: 0,
        };
        Self { state: Arc::new(Mutex::new(state)) }
    }

    /// Schedules a crash: after `ops` more mutating operations, every operation fails.
    pub fn crash_after_ops(&self, ops: u64) {
        self.state.lock().ops_until_crash = Some(ops);
    }

    /// True once a scheduled crash has happened (the simulated machine is down).
    pub fn is_down(&self) -> bool {
        self.state.lock().dead
    }

    /// Limits the total bytes of all files; writes past it fail with "no space left".
    pub fn set_capacity(&self, bytes: Option<u64>) {
        self.state.lock().capacity = bytes;
    }

    /// Makes the next `count` fsyncs fail with an I/O error (the data stays unsynced).
    pub fn fail_next_syncs(&self, count: u32) {
        self.state.lock().failing_syncs = count;
    }

    /// Number of successful `sync_data` calls so far.
    pub fn sync_count(&self) -> u64 {
        self.state.lock().syncs
    }

    /// Simulates power loss and reboot; see the module docs. Open handles from before the
    /// crash must not be used afterwards (they belong to the dead process).
    pub fn crash(&self) {
        let mut state = self.state.lock();
        let state = &mut *state;
        state.names = state.durable_names.clone();
        let live: BTreeSet<Inode> = state.names.values().copied().collect();
        state.files.retain(|inode, _| live.contains(inode));
        for file in state.files.values_mut() {
            // Unsynced writes begin where the current bytes first differ from the durable
            // ones (an append, or an overwrite of preallocated zeros); a prefix of them survives.
            let mut survived = file.durable.clone();
            let unsynced_from =
                file.data.iter().zip(&file.durable).take_while(|(now, then)| now == then).count();
            let unsynced = &file.data[unsynced_from..];
            let keep = match state.rng.gen_range(0..3) {
                0 => 0,
                1 => unsynced.len(),
                _ => state.rng.gen_range(0..=unsynced.len()),
            };
            let end = unsynced_from + keep;
            if survived.len() < end {
                survived.resize(end, 0);
            }
            survived[unsynced_from..end].copy_from_slice(&unsynced[..keep]);
            file.data = survived.clone();
            file.durable = survived;
        }
        state.ops_until_crash = None;
        state.dead = false;
        state.failing_syncs = 0;
    }

    /// Overwrites one byte of a file (durably), to simulate bit rot in tests.
    pub fn corrupt_byte(&self, path: &Path, offset: usize) -> io::Result<()> {
        let mut state = self.state.lock();
        let inode = state.inode(path)?;
        let file = state.files.get_mut(&inode).ok_or_else(|| not_found(path))?;
        let byte = file.data.get_mut(offset).ok_or_else(|| io::Error::other("offset past end"))?;
        *byte ^= 0x5a;
        file.durable = file.data.clone();
        Ok(())
    }

    /// Writes a whole file durably in one step (name included), for test setup.
    pub fn put_file(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let mut state = self.state.lock();
        state.parent_exists(path)?;
        let inode = state.new_file(path);
        let file = state.files.get_mut(&inode).ok_or_else(|| not_found(path))?;
        file.data = bytes.to_vec();
        file.durable = bytes.to_vec();
        state.durable_names.insert(path.to_path_buf(), inode);
        Ok(())
    }
}

#[derive(Debug)]
struct SimHandle {
    state: Arc<Mutex<SimState>>,
    inode: Inode,
    /// The append position (the file's end when opened).
    position: usize,
}

impl SimHandle {
    fn with_file<T>(&self, f: impl FnOnce(&mut SimFile) -> T) -> io::Result<T> {
        let mut state = self.state.lock();
        let file = state.files.get_mut(&self.inode).ok_or_else(|| io::Error::other("stale"))?;
        Ok(f(file))
    }
}

impl WritableFile for SimHandle {
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let mut state = self.state.lock();
        state.tick()?;
        if let Some(capacity) = state.capacity
            && state.used_bytes() + buf.len() as u64 > capacity
        {
            return Err(io::Error::new(io::ErrorKind::StorageFull, "no space left on device"));
        }
        let file = state.files.get_mut(&self.inode).ok_or_else(|| io::Error::other("stale"))?;
        let end = self.position + buf.len();
        if file.data.len() < end {
            file.data.resize(end, 0);
        }
        file.data[self.position..end].copy_from_slice(buf);
        self.position = end;
        Ok(())
    }

    fn sync_data(&mut self) -> io::Result<()> {
        let mut state = self.state.lock();
        state.tick()?;
        if state.failing_syncs > 0 {
            state.failing_syncs -= 1;
            return Err(io::Error::other("simulated fsync failure"));
        }
        state.syncs += 1;
        let file = state.files.get_mut(&self.inode).ok_or_else(|| io::Error::other("stale"))?;
        file.durable = file.data.clone();
        Ok(())
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.state.lock().tick()?;
        self.with_file(|file| file.data.truncate(len as usize))?;
        self.position = len as usize;
        Ok(())
    }

    fn preallocate(&mut self, size: u64) -> io::Result<()> {
        let mut state = self.state.lock();
        state.tick()?;
        let current = state.files.get(&self.inode).map_or(0, |file| file.data.len() as u64);
        if let Some(capacity) = state.capacity
            && state.used_bytes() + size.saturating_sub(current) > capacity
        {
            return Err(io::Error::new(io::ErrorKind::StorageFull, "no space left on device"));
        }
        let file = state.files.get_mut(&self.inode).ok_or_else(|| io::Error::other("stale"))?;
        if (file.data.len() as u64) < size {
            file.data.resize(size as usize, 0);
        }
        Ok(())
    }

    fn len(&self) -> u64 {
        self.position as u64
    }
}

impl FileSystem for SimFileSystem {
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        let mut state = self.state.lock();
        if state.dead {
            return Err(crashed_error());
        }
        for dir in path.ancestors() {
            if !dir.as_os_str().is_empty() {
                state.dirs.insert(dir.to_path_buf());
            }
        }
        Ok(())
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        let state = self.state.lock();
        if !state.dirs.contains(path) {
            return Err(not_found(path));
        }
        let files = state.names.keys().filter(|p| p.parent() == Some(path));
        let dirs = state.dirs.iter().filter(|p| p.parent() == Some(path));
        Ok(files
            .chain(dirs)
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect())
    }

    fn exists(&self, path: &Path) -> bool {
        let state = self.state.lock();
        state.names.contains_key(path) || state.dirs.contains(path)
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let mut state = self.state.lock();
        let inode = match state.names.get(path) {
            Some(inode) => *inode,
            None => {
                state.tick()?;
                state.parent_exists(path)?;
                state.new_file(path)
            }
        };
        let position = state.files.get(&inode).map_or(0, |file| file.data.len());
        Ok(Box::new(SimHandle { state: self.state.clone(), inode, position }))
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let mut state = self.state.lock();
        state.tick()?;
        state.parent_exists(path)?;
        let inode = state.new_file(path);
        Ok(Box::new(SimHandle { state: self.state.clone(), inode, position: 0 }))
    }

    fn map(&self, path: &Path) -> io::Result<FileBytes> {
        let state = self.state.lock();
        if state.dead {
            return Err(crashed_error());
        }
        let inode = state.inode(path)?;
        let file = state.files.get(&inode).ok_or_else(|| not_found(path))?;
        Ok(FileBytes::new(file.data.clone()))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut state = self.state.lock();
        state.tick()?;
        let inode = state.names.remove(from).ok_or_else(|| not_found(from))?;
        state.names.insert(to.to_path_buf(), inode);
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut state = self.state.lock();
        state.tick()?;
        state.names.remove(path).map(|_| ()).ok_or_else(|| not_found(path))
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        let mut state = self.state.lock();
        state.tick()?;
        let state = &mut *state;
        state.durable_names.retain(|p, _| p.parent() != Some(path));
        for (p, inode) in &state.names {
            if p.parent() == Some(path) {
                state.durable_names.insert(p.clone(), *inode);
            }
        }
        // Inodes no longer named anywhere (durably or not) are gone.
        let live: BTreeSet<Inode> =
            state.names.values().chain(state.durable_names.values()).copied().collect();
        state.files.retain(|inode, _| live.contains(inode));
        Ok(())
    }

    /// One simulated process per disk: locking always succeeds.
    fn lock(&self, _path: &Path) -> io::Result<LockGuard> {
        Ok(Box::new(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> PathBuf {
        PathBuf::from("/db")
    }

    #[test]
    fn unsynced_name_is_lost_on_crash() -> io::Result<()> {
        let fs = SimFileSystem::new(1);
        fs.create_dir_all(&dir())?;
        let mut file = fs.create(&dir().join("a"))?;
        file.write_all(b"hello")?;
        file.sync_data()?;
        fs.crash();
        assert!(!fs.exists(&dir().join("a")), "file name was never synced");
        Ok(())
    }

    #[test]
    fn synced_data_survives_and_tail_is_a_prefix() -> io::Result<()> {
        for seed in 0..20 {
            let fs = SimFileSystem::new(seed);
            fs.create_dir_all(&dir())?;
            let mut file = fs.create(&dir().join("a"))?;
            fs.sync_dir(&dir())?;
            file.write_all(b"durable")?;
            file.sync_data()?;
            file.write_all(b"-volatile")?;
            fs.crash();
            let bytes = fs.map(&dir().join("a"))?;
            assert!(bytes.starts_with(b"durable"));
            assert!(b"durable-volatile".starts_with(&bytes));
        }
        Ok(())
    }

    #[test]
    fn rename_is_durable_only_after_sync_dir() -> io::Result<()> {
        let fs = SimFileSystem::new(3);
        fs.create_dir_all(&dir())?;
        crate::vfs::write_atomically(&fs, &dir().join("m"), b"one")?;
        let mut tmp = fs.create(&dir().join("m.tmp"))?;
        tmp.write_all(b"two")?;
        tmp.sync_data()?;
        fs.rename(&dir().join("m.tmp"), &dir().join("m"))?;
        fs.crash();
        assert_eq!(&*fs.map(&dir().join("m"))?, b"one");
        Ok(())
    }

    #[test]
    fn scheduled_crash_stops_all_operations() -> io::Result<()> {
        let fs = SimFileSystem::new(4);
        fs.create_dir_all(&dir())?;
        let mut file = fs.create(&dir().join("a"))?;
        fs.crash_after_ops(1);
        file.write_all(b"x")?;
        assert!(file.sync_data().is_err());
        assert!(fs.is_down());
        assert!(file.write_all(b"y").is_err());
        Ok(())
    }
}
