//! The plan cache of a prepared statement: its last bound plan, reused by later executions
//! while it is still what binding would produce.
//!
//! Binding (name resolution against the catalog, typing, access-path choice) costs more
//! than running a point SELECT, so a statement executed again and again (Parse once,
//! Bind/Execute many times, or SQL PREPARE / EXECUTE) keeps its bound plan. A plan depends on:
//! * the catalog as the binding transaction saw it: the cache entry holds the catalog
//!   version (see `sql::catalog_version`) of that snapshot, and a transaction reuses the
//!   entry only when its own snapshot sees exactly that version, and it has not changed
//!   the catalog itself. After any DDL commit, every statement binds again once, exactly
//!   as against the new catalog: a dropped table is "relation does not exist", and a
//!   statement whose result columns would change (`SELECT *` after ADD COLUMN) fails with
//!   PostgreSQL's 0A000 "cached plan must not change result type" (the session checks
//!   that, see `Prepared::result_shape`);
//! * the session's `search_path` (the setting's text is part of the entry);
//! * the parameter types, fixed for the statement's life.
//!
//! A reuse skips the binding's catalog reads; the session makes them again before the
//! commit of a transaction with writes, so SERIALIZABLE validation still sees them (see
//! `Session::deferred_reads`).
//!
//! Only plans that read catalog definitions alone are kept: SELECT / INSERT / UPDATE /
//! DELETE without system relations (pg_catalog and information_schema rows are
//! materialised when the statement binds, so they must be read afresh each time).
//!
//! Owns: [`PlanCache`], [`CachedPlan`]. Depends on: `sql::plan`, `sql::catalog` (the
//! recorded catalog reads of a binding).

use crate::sql::catalog::CatalogRead;
use crate::sql::plan::Plan;
use parking_lot::Mutex;
use std::sync::Arc;

/// A bound plan and what it was bound against.
#[derive(Debug, Clone)]
pub struct CachedPlan {
    pub plan: Plan,
    /// The catalog version the binding transaction's snapshot saw.
    pub catalog_version: u64,
    /// The `search_path` setting's text at binding.
    pub search_path: String,
    /// The catalog reads the binding made (replayed on reuse, see `CatalogRead`).
    pub reads: Arc<[CatalogRead]>,
}

/// The slot of one prepared statement. Interior mutability: prepared statements are shared
/// (`Arc`) between the session's map and the wire layer's portals.
#[derive(Debug, Default)]
pub struct PlanCache {
    slot: Mutex<Option<CachedPlan>>,
}

impl PlanCache {
    /// A copy of the cached plan if it was bound against `catalog_version` and
    /// `search_path`, with the catalog reads to replay.
    pub fn get(
        &self,
        catalog_version: u64,
        search_path: &str,
    ) -> Option<(Plan, Arc<[CatalogRead]>)> {
        let slot = self.slot.lock();
        let cached = slot.as_ref()?;
        (cached.catalog_version == catalog_version && cached.search_path == search_path)
            .then(|| (cached.plan.clone(), cached.reads.clone()))
    }

    /// Whether a plan is cached.
    pub fn is_filled(&self) -> bool {
        self.slot.lock().is_some()
    }

    /// Replaces the cached plan.
    pub fn put(&self, cached: CachedPlan) {
        *self.slot.lock() = Some(cached);
    }

    /// Whether a plan of this kind may be kept at all (see the module docs); `materialised`
    /// tells whether its binding read system relations.
    pub fn may_keep(plan: &Plan, materialised: bool) -> bool {
        !materialised
            && matches!(plan, Plan::Select(_) | Plan::Insert(_) | Plan::Update(_) | Plan::Delete(_))
    }
}
