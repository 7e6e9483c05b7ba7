//! [`Database`]: the state all sessions share — the storage engine, the transaction store and
//! sequence allocation.
//!
//! Sequences hand out values outside user transactions (as in PostgreSQL: a rolled-back
//! INSERT does not give its SERIAL value back), so concurrent inserters never conflict on a
//! counter. Durability: before handing out values the allocator durably records a high-water
//! mark `SEQUENCE_CACHE` values ahead; after a crash allocation resumes at that mark, so no
//! value is ever handed out twice (a gap of at most `SEQUENCE_CACHE` values may appear, like
//! PostgreSQL's own sequence log-ahead).
//!
//! Depends on: `storage`, `txn`, `sql::catalog`.

use super::catalog::{self, SequenceDef};
use super::error::{SqlError, sqlstate};
use crate::storage::{Engine, EngineOptions};
use crate::txn::{IsolationLevel, TxnStore};
use crate::util::clock::SystemClock;
use crate::vfs::OsFileSystem;
use crate::wal::{SyncMode, WalOptions};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Values reserved per durable high-water write.
const SEQUENCE_CACHE: i64 = 32;

/// Options for opening a database directory.
#[derive(Debug, Clone)]
pub struct DatabaseOptions {
    /// Memory for in-memory tables before checkpoints write data out.
    pub memory_limit_bytes: usize,
    /// Skip fsync (UNSAFE, tests only).
    pub wal_sync_off: bool,
}

impl Default for DatabaseOptions {
    fn default() -> Self {
        Self { memory_limit_bytes: 64 << 20, wal_sync_off: false }
    }
}

/// Allocation state of one sequence.
#[derive(Debug, Clone, Copy)]
struct SequenceState {
    /// The value the next nextval returns.
    next: i64,
    /// Values below this may have been handed out (durably recorded).
    reserved_until: i64,
}

/// One open database. Shared by sessions.
pub struct Database {
    store: Arc<TxnStore>,
    sequences: Mutex<HashMap<u32, SequenceState>>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").finish_non_exhaustive()
    }
}

impl Database {
    /// Opens (recovering) or creates the database in `data_dir`.
    pub fn open(data_dir: &Path, options: DatabaseOptions) -> Result<Arc<Database>, SqlError> {
        let engine_options = EngineOptions {
            wal: WalOptions {
                sync: if options.wal_sync_off { SyncMode::Off } else { SyncMode::Fsync },
                ..WalOptions::default()
            },
            memtable_bytes: options.memory_limit_bytes.max(1 << 20),
            ..EngineOptions::default()
        };
        let engine = Engine::open(Arc::new(OsFileSystem), data_dir, engine_options)?;
        let store = TxnStore::new(engine, Arc::new(SystemClock));
        Ok(Arc::new(Database { store, sequences: Mutex::new(HashMap::new()) }))
    }

    /// The transaction store.
    pub fn store(&self) -> &Arc<TxnStore> {
        &self.store
    }

    /// Stops background work and writes a final checkpoint; call once no session runs
    /// statements any more.
    pub fn close(&self) {
        let engine = self.store.engine();
        engine.close();
        if let Err(err) = engine.checkpoint() {
            tracing::warn!(error = %err, "final checkpoint failed; the WAL still has everything");
        }
    }

    /// The next value of `sequence`.
    pub fn next_value(&self, sequence: &SequenceDef) -> Result<i64, SqlError> {
        let mut states = self.sequences.lock();
        let mut state = match states.get(&sequence.id) {
            Some(state) => *state,
            None => self.load(sequence)?,
        };
        let value = state.next;
        if (sequence.increment > 0 && value > sequence.max_value)
            || (sequence.increment < 0 && value < sequence.min_value)
        {
            let (which, limit) = if sequence.increment > 0 {
                ("maximum", sequence.max_value)
            } else {
                ("minimum", sequence.min_value)
            };
            return Err(SqlError::new(
                "2200H",
                format!(
                    "nextval: reached {which} value of sequence \"{}\" ({limit})",
                    sequence.name
                ),
            ));
        }
        if value >= state.reserved_until {
            let reserve =
                value.saturating_add(SEQUENCE_CACHE.saturating_mul(sequence.increment.abs()));
            self.persist(sequence.id, reserve)?;
            state.reserved_until = reserve;
        }
        state.next = value.saturating_add(sequence.increment);
        states.insert(sequence.id, state);
        Ok(value)
    }

    /// Sets the sequence so that the next value is `value` (+ increment if `is_called`).
    pub fn set_value(
        &self,
        sequence: &SequenceDef,
        value: i64,
        is_called: bool,
    ) -> Result<i64, SqlError> {
        if value < sequence.min_value || value > sequence.max_value {
            return Err(SqlError::new(
                sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
                format!(
                    "setval: value {value} is out of bounds for sequence \"{}\" ({}..{})",
                    sequence.name, sequence.min_value, sequence.max_value
                ),
            ));
        }
        let mut states = self.sequences.lock();
        let next = if is_called { value.saturating_add(sequence.increment) } else { value };
        let reserve = next.saturating_add(SEQUENCE_CACHE);
        self.persist(sequence.id, reserve)?;
        states.insert(sequence.id, SequenceState { next, reserved_until: reserve });
        Ok(value)
    }

    /// Forgets a dropped sequence's state.
    pub fn forget_sequence(&self, id: u32) {
        self.sequences.lock().remove(&id);
    }

    fn load(&self, sequence: &SequenceDef) -> Result<SequenceState, SqlError> {
        let mut txn = self.store.begin(IsolationLevel::Snapshot);
        let stored = txn.get(&catalog::sequence_value_key(sequence.id))?;
        let next = match stored {
            Some(bytes) => {
                let raw: [u8; 8] = bytes.as_ref().try_into().map_err(|_| {
                    SqlError::new(
                        sqlstate::DATA_CORRUPTED,
                        format!("sequence \"{}\" state is damaged", sequence.name),
                    )
                })?;
                i64::from_be_bytes(raw)
            }
            None => sequence.start,
        };
        Ok(SequenceState { next, reserved_until: next })
    }

    fn persist(&self, id: u32, reserved_until: i64) -> Result<(), SqlError> {
        let mut txn = self.store.begin(IsolationLevel::Snapshot);
        txn.put(catalog::sequence_value_key(id), reserved_until.to_be_bytes().to_vec());
        txn.commit()?;
        Ok(())
    }
}
