//! [`Database`]: the state all sessions share — the storage engine, the transaction store and
//! sequence allocation.
//!
//! Sequences hand out values outside user transactions (as in PostgreSQL: a rolled-back
//! INSERT does not give its SERIAL value back), so concurrent inserters never conflict on a
//! counter. Durability: before handing out values the allocator durably records a high-water
//! mark `SEQUENCE_CACHE` values ahead; after a crash allocation resumes at that mark, so no
//! value is ever handed out twice (a gap of at most `SEQUENCE_CACHE` values may appear, like
//! PostgreSQL's own sequence log-ahead; up to `MAX_SEQUENCE_BATCH` for a sequence in heavy
//! use, which reserves more at a time).
//!
//! Also the catalog version sessions use to tell whether a cached plan is still current.
//!
//! Depends on: `storage`, `txn`, `sql::catalog`, `sql::catalog_version`.

use super::catalog::{self, SequenceDef, TableDef};
use super::catalog_version::CatalogVersion;
use super::error::{SqlError, sqlstate};
use crate::storage::{Engine, EngineOptions};
use crate::txn::{IsolationLevel, TxnStore};
use crate::util::clock::SystemClock;
use crate::vfs::OsFileSystem;
use crate::wal::{SyncMode, WalOptions};
use bytes::Bytes;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

/// Values reserved per durable high-water write when a sequence is used now and then.
const SEQUENCE_CACHE: i128 = 32;
/// A sequence that needs a new reservation within [`BATCH_WINDOW`] of the last one reserves
/// twice as many values, up to this many: a bulk load (`COPY` into a table with a SERIAL
/// column or without a primary key) then writes a high-water mark every 65536 rows instead
/// of every 32, while a crash still loses at most one reservation's worth of values.
const MAX_SEQUENCE_BATCH: i128 = 1 << 16;
/// See [`MAX_SEQUENCE_BATCH`].
const BATCH_WINDOW: std::time::Duration = std::time::Duration::from_secs(1);

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
    /// The value the next nextval returns (may lie past the bounds: then nextval fails, or
    /// wraps around for a CYCLE sequence). Wide, so stepping past `i64::MAX` cannot wrap.
    next: i128,
    /// Where allocation resumes after a crash (durably recorded): values from `next` up to
    /// this one (exclusive, in the direction of the increment) may be handed out freely.
    reserved_until: i128,
    /// Whether nextval has handed out a value since creation / the last setval(.., false)
    /// (PostgreSQL's `is_called`).
    called: bool,
    /// Values the last reservation covered, and when it was made.
    batch: i128,
    reserved_at: Option<std::time::Instant>,
}

impl SequenceState {
    fn new(next: i128, reserved_until: i128, called: bool) -> Self {
        Self { next, reserved_until, called, batch: SEQUENCE_CACHE, reserved_at: None }
    }

    /// How many values the next reservation covers: more while reservations come quickly.
    fn next_batch(&self) -> i128 {
        match self.reserved_at {
            Some(at) if at.elapsed() < BATCH_WINDOW => {
                (self.batch * 2).clamp(SEQUENCE_CACHE, MAX_SEQUENCE_BATCH)
            }
            _ => SEQUENCE_CACHE,
        }
    }
}

/// What `SELECT * FROM sequence` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SequenceView {
    pub last_value: i64,
    pub log_cnt: i64,
    pub is_called: bool,
}

/// One open database. Shared by sessions.
pub struct Database {
    store: Arc<TxnStore>,
    sequences: Mutex<HashMap<u32, SequenceState>>,
    catalog_version: CatalogVersion,
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
            // A quarter of the budget for memtables, as accounted (the active one is frozen
            // at half of that and written out while the next fills; the accounting
            // undercounts allocator overhead); the rest is for transactions' write
            // buffers, merges, scans and sessions.
            memtable_bytes: (options.memory_limit_bytes / 4).max(1 << 20),
            ..EngineOptions::default()
        };
        let engine = Engine::open(Arc::new(OsFileSystem), data_dir, engine_options)?;
        let store = TxnStore::new(engine, Arc::new(SystemClock));
        let db = Arc::new(Database {
            store,
            sequences: Mutex::new(HashMap::new()),
            catalog_version: CatalogVersion::default(),
        });
        db.discard_unreferenced_storage()?;
        Ok(db)
    }

    /// Queues for background deletion all row and index storage no table references:
    /// what a crash left behind of a bulk load that never committed, or of dropped storage
    /// whose deletion had not finished. Only sound while no transaction runs (at open):
    /// later, storage a running transaction just created is unreferenced too.
    fn discard_unreferenced_storage(&self) -> Result<(), SqlError> {
        let mut txn = self.store.begin(IsolationLevel::Snapshot);
        let live: std::collections::HashSet<u32> =
            catalog::list_tables(&mut txn)?.iter().map(TableDef::storage_id).collect();
        let (mut from, end) = catalog::storage_key_space();
        let end = Bytes::from(end);
        loop {
            let first = txn
                .scan(Bound::Included(Bytes::from(from.clone())), Bound::Excluded(end.clone()))?
                .next()
                .transpose()?;
            let Some((key, _)) = first else { return Ok(()) };
            let Some(prefix) = key.get(..5) else { return Ok(()) };
            if catalog::storage_of_key(&key).is_some_and(|id| !live.contains(&id)) {
                tracing::info!(prefix = ?prefix, "deleting storage no table references");
                self.store.discard_prefix(Bytes::copy_from_slice(prefix));
            }
            match catalog::prefix_end(prefix) {
                Some(next) => from = next,
                None => return Ok(()),
            }
        }
    }

    /// Counts committed catalog changes (see `sql::catalog_version`).
    pub fn catalog_version(&self) -> &CatalogVersion {
        &self.catalog_version
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

    /// The next value of `sequence` (PostgreSQL's nextval: not rolled back with the caller's
    /// transaction). Past the last value a CYCLE sequence starts again at the other end;
    /// others fail with 2200H.
    pub fn next_value(&self, sequence: &SequenceDef) -> Result<i64, SqlError> {
        let mut states = self.sequences.lock();
        let mut state = match states.get(&sequence.id) {
            Some(state) => *state,
            None => self.load(sequence)?,
        };
        let ascending = sequence.increment > 0;
        let (min, max) = (i128::from(sequence.min_value), i128::from(sequence.max_value));
        let mut value = state.next;
        let mut wrapped = false;
        if (ascending && value > max) || (!ascending && value < min) {
            if !sequence.cycle {
                let (which, limit) = if ascending {
                    ("maximum", sequence.max_value)
                } else {
                    ("minimum", sequence.min_value)
                };
                return Err(SqlError::new(
                    sqlstate::SEQUENCE_GENERATOR_LIMIT_EXCEEDED,
                    format!(
                        "nextval: reached {which} value of sequence \"{}\" ({limit})",
                        sequence.name
                    ),
                ));
            }
            value = if ascending { min } else { max };
            wrapped = true;
        }
        let covered =
            if ascending { value < state.reserved_until } else { value > state.reserved_until };
        if wrapped || !covered {
            let batch = state.next_batch();
            let reserve = value + batch * i128::from(sequence.increment);
            self.persist(sequence.id, reserve)?;
            state.reserved_until = reserve;
            state.batch = batch;
            state.reserved_at = Some(std::time::Instant::now());
        }
        state.next = value + i128::from(sequence.increment);
        state.called = true;
        states.insert(sequence.id, state);
        i64::try_from(value).map_err(|_| SqlError::internal("sequence value out of range"))
    }

    /// setval: the next nextval returns `value` + increment (`is_called`) or `value`.
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
        let increment = i128::from(sequence.increment);
        let next = if is_called { i128::from(value) + increment } else { i128::from(value) };
        let reserve = next + SEQUENCE_CACHE * increment;
        self.persist(sequence.id, reserve)?;
        states.insert(sequence.id, SequenceState::new(next, reserve, is_called));
        Ok(value)
    }

    /// `ALTER SEQUENCE ... RESTART [WITH value]`: the next nextval returns `value`.
    pub fn restart(&self, sequence: &SequenceDef, value: i64) -> Result<(), SqlError> {
        let mut states = self.sequences.lock();
        let next = i128::from(value);
        self.persist(sequence.id, next)?;
        states.insert(sequence.id, SequenceState::new(next, next, false));
        Ok(())
    }

    /// The state `SELECT * FROM sequence` shows.
    pub fn sequence_view(&self, sequence: &SequenceDef) -> Result<SequenceView, SqlError> {
        let mut states = self.sequences.lock();
        let state = match states.get(&sequence.id) {
            Some(state) => *state,
            None => {
                let state = self.load(sequence)?;
                states.insert(sequence.id, state);
                state
            }
        };
        let increment = i128::from(sequence.increment);
        let last = if state.called { state.next - increment } else { state.next };
        let log_cnt = if state.called {
            ((state.reserved_until - state.next) / increment).clamp(0, SEQUENCE_CACHE)
        } else {
            0
        };
        Ok(SequenceView {
            last_value: i64::try_from(last).unwrap_or(if increment > 0 {
                i64::MAX
            } else {
                i64::MIN
            }),
            log_cnt: i64::try_from(log_cnt).unwrap_or(0),
            is_called: state.called,
        })
    }

    /// The durable state of a sequence not used since the database opened: allocation
    /// resumes at the recorded mark (8 bytes in older databases, 16 now), or at START.
    fn load(&self, sequence: &SequenceDef) -> Result<SequenceState, SqlError> {
        let mut txn = self.store.begin(IsolationLevel::Snapshot);
        let stored = txn.get(&catalog::sequence_value_key(sequence.id))?;
        let damaged = || {
            SqlError::new(
                sqlstate::DATA_CORRUPTED,
                format!("sequence \"{}\" state is damaged", sequence.name),
            )
        };
        Ok(match stored {
            Some(bytes) => {
                let next = match bytes.len() {
                    8 => i128::from(i64::from_be_bytes(
                        bytes.as_ref().try_into().map_err(|_| damaged())?,
                    )),
                    16 => i128::from_be_bytes(bytes.as_ref().try_into().map_err(|_| damaged())?),
                    _ => return Err(damaged()),
                };
                SequenceState::new(next, next, true)
            }
            None => {
                let next = i128::from(sequence.start);
                SequenceState::new(next, next, false)
            }
        })
    }

    fn persist(&self, id: u32, reserved_until: i128) -> Result<(), SqlError> {
        let mut txn = self.store.begin(IsolationLevel::Snapshot);
        txn.put(catalog::sequence_value_key(id), reserved_until.to_be_bytes().to_vec());
        txn.commit()?;
        Ok(())
    }
}
