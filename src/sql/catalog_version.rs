//! [`CatalogVersion`]: counts committed catalog changes (DDL), so a bound plan can be reused
//! while the catalog it was bound against is still the one a transaction sees.
//!
//! A plan bound in a transaction whose snapshot saw catalog version `v` is valid for any
//! later transaction whose snapshot sees exactly version `v` too. The difficulty is knowing
//! what a snapshot sees: a DDL transaction's commit becomes visible at some instant inside
//! `Transaction::commit`. So a catalog-changing commit is bracketed by two counters:
//! `started` goes up just before the commit, `finished` just after it. A transaction that
//! reads `finished == started` before taking its snapshot and `started` unchanged after
//! taking it knows that no catalog commit was in flight meanwhile: its snapshot contains
//! exactly the `finished` catalog commits. Otherwise its version is unknown, and it binds
//! every statement afresh (always correct, just slower).
//!
//! Owns: the two counters. Depends on: nothing (the session calls it around `begin` and
//! `commit`).

use std::sync::atomic::{AtomicU64, Ordering};

/// The catalog version counters shared by all sessions of a database.
#[derive(Debug, Default)]
pub struct CatalogVersion {
    started: AtomicU64,
    finished: AtomicU64,
}

/// Read before taking a snapshot; [`CatalogVersion::confirm`] it after.
#[derive(Debug, Clone, Copy)]
pub struct VersionProbe {
    finished: u64,
    started: u64,
}

impl CatalogVersion {
    /// The counters just before a snapshot is taken.
    pub fn probe(&self) -> VersionProbe {
        // `finished` first: `started >= finished` always holds, so equal values mean that
        // nothing was in flight when `started` was read.
        let finished = self.finished.load(Ordering::SeqCst);
        let started = self.started.load(Ordering::SeqCst);
        VersionProbe { finished, started }
    }

    /// The catalog version a snapshot taken after `probe` sees, if it is known: no catalog
    /// commit was in flight at the probe and none started until now.
    pub fn confirm(&self, probe: VersionProbe) -> Option<u64> {
        let stable =
            probe.finished == probe.started && self.started.load(Ordering::SeqCst) == probe.started;
        stable.then_some(probe.finished)
    }

    /// Brackets the commit of a transaction that changed the catalog: the version moves on
    /// when the returned guard drops (after the commit, whether it succeeded or not).
    pub fn commit_guard(&self) -> CommitGuard<'_> {
        self.started.fetch_add(1, Ordering::SeqCst);
        CommitGuard { version: self }
    }
}

/// A catalog-changing commit in flight (see [`CatalogVersion::commit_guard`]).
#[must_use]
pub struct CommitGuard<'a> {
    version: &'a CatalogVersion,
}

impl Drop for CommitGuard<'_> {
    fn drop(&mut self) {
        self.version.finished.fetch_add(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_is_known_only_without_a_commit_in_flight() {
        let version = CatalogVersion::default();
        let probe = version.probe();
        assert_eq!(version.confirm(probe), Some(0));

        // A commit in flight while the snapshot is taken: unknown.
        let probe = version.probe();
        let guard = version.commit_guard();
        assert_eq!(version.confirm(probe), None);
        // Still in flight at the probe: unknown.
        let probe = version.probe();
        assert_eq!(version.confirm(probe), None);
        drop(guard);
        // After it: the next version.
        let probe = version.probe();
        assert_eq!(version.confirm(probe), Some(1));
    }
}
