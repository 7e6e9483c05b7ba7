//! [`LockTable`]: exclusive row locks that make a writer wait for another writer of the same
//! row instead of failing.
//!
//! Locks are not what keeps transactions correct: the [`Oracle`](super::Oracle) validates
//! every commit, with or without locks. Locks decide *when* a writer reads the row it is
//! about to change. Without them, two transactions that update the same row (pgbench's
//! branch balance, a money transfer's account) both read the old value, and the second to
//! commit fails with 40001. With them, the second waits until the first has committed, then
//! reads the new value (see `Transaction::get_for_update`) and usually commits fine.
//!
//! The table is sans-IO: it answers "granted", "wait for this holder" or "deadlock", and the
//! caller does the waiting. Deadlocks are found when a transaction is about to wait: if the
//! chain of "waits for" edges from the holder leads back to the requester, waiting would
//! never end, and the requester is refused (SQLSTATE 40P01).
//!
//! Depends on: nothing but `bytes`.

use bytes::Bytes;
use std::collections::HashMap;

/// Identifies a transaction to the lock table.
pub type TxnId = u64;

/// The answer to a lock request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acquire {
    /// The requester holds the lock (now or already).
    Granted,
    /// Another transaction holds it; ask again once a lock is released.
    Wait {
        /// The transaction the requester now waits for.
        holder: TxnId,
    },
    /// Waiting would close a cycle of transactions waiting for each other.
    Deadlock,
}

/// Which transaction holds which row lock, and who waits for whom.
#[derive(Debug, Default)]
pub struct LockTable {
    holders: HashMap<Bytes, TxnId>,
    held_by: HashMap<TxnId, Vec<Bytes>>,
    /// Waiter → the holder it last found in its way.
    waiting_for: HashMap<TxnId, TxnId>,
}

impl LockTable {
    /// Requests the exclusive lock on `key` for `txn`.
    pub fn acquire(&mut self, txn: TxnId, key: &Bytes) -> Acquire {
        let holder = match self.holders.get(key) {
            None => {
                self.holders.insert(key.clone(), txn);
                self.held_by.entry(txn).or_default().push(key.clone());
                self.waiting_for.remove(&txn);
                return Acquire::Granted;
            }
            Some(&holder) if holder == txn => {
                self.waiting_for.remove(&txn);
                return Acquire::Granted;
            }
            Some(&holder) => holder,
        };
        if self.leads_to(holder, txn) {
            self.waiting_for.remove(&txn);
            return Acquire::Deadlock;
        }
        self.waiting_for.insert(txn, holder);
        Acquire::Wait { holder }
    }

    /// Whether following "waits for" edges from `from` reaches `target`.
    fn leads_to(&self, from: TxnId, target: TxnId) -> bool {
        let mut current = from;
        // Every edge was checked for cycles when added, so the chain ends; the bound only
        // guards against edges that went stale while their waiter slept.
        for _ in 0..=self.waiting_for.len() {
            if current == target {
                return true;
            }
            match self.waiting_for.get(&current) {
                Some(&next) => current = next,
                None => return false,
            }
        }
        false
    }

    /// `txn` gave up waiting (its statement was cancelled).
    pub fn stop_waiting(&mut self, txn: TxnId) {
        self.waiting_for.remove(&txn);
    }

    /// The transactions waiting for a lock `holder` holds (to wake when it releases).
    pub fn waiters_of(&self, holder: TxnId) -> Vec<TxnId> {
        self.waiting_for.iter().filter(|entry| *entry.1 == holder).map(|entry| *entry.0).collect()
    }

    /// Releases every lock `txn` holds (it committed or rolled back). Returns whether it
    /// held any, i.e. whether waiters should be woken.
    pub fn release_all(&mut self, txn: TxnId) -> bool {
        self.waiting_for.remove(&txn);
        let Some(keys) = self.held_by.remove(&txn) else {
            return false;
        };
        for key in keys {
            self.holders.remove(&key);
        }
        true
    }

    /// The holder of the lock on `key`, if any.
    pub fn holder(&self, key: &[u8]) -> Option<TxnId> {
        self.holders.get(key).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Bytes {
        Bytes::copy_from_slice(k.as_bytes())
    }

    #[test]
    fn second_requester_waits_until_release() {
        let mut locks = LockTable::default();
        assert_eq!(locks.acquire(1, &key("a")), Acquire::Granted);
        assert_eq!(locks.acquire(1, &key("a")), Acquire::Granted, "re-entrant");
        assert_eq!(locks.acquire(2, &key("a")), Acquire::Wait { holder: 1 });
        assert_eq!(locks.holder(b"a"), Some(1));
        assert_eq!(locks.waiters_of(1), vec![2]);
        assert_eq!(locks.waiters_of(2), Vec::<TxnId>::new());
        assert!(locks.release_all(1));
        assert!(!locks.release_all(1), "nothing left to release");
        assert_eq!(locks.acquire(2, &key("a")), Acquire::Granted);
        assert_eq!(locks.holder(b"a"), Some(2));
    }

    #[test]
    fn a_cycle_of_waiters_is_a_deadlock() {
        let mut locks = LockTable::default();
        assert_eq!(locks.acquire(1, &key("a")), Acquire::Granted);
        assert_eq!(locks.acquire(2, &key("b")), Acquire::Granted);
        assert_eq!(locks.acquire(3, &key("c")), Acquire::Granted);
        assert_eq!(locks.acquire(1, &key("b")), Acquire::Wait { holder: 2 });
        assert_eq!(locks.acquire(2, &key("c")), Acquire::Wait { holder: 3 });
        // 3 → 1 → 2 → 3 would never end.
        assert_eq!(locks.acquire(3, &key("a")), Acquire::Deadlock);
        // The victim rolls back; the others proceed in turn.
        assert!(locks.release_all(3));
        assert_eq!(locks.acquire(2, &key("c")), Acquire::Granted);
        assert!(locks.release_all(2));
        assert_eq!(locks.acquire(1, &key("b")), Acquire::Granted);
    }

    #[test]
    fn a_waiter_that_gives_up_is_no_longer_in_the_chain() {
        let mut locks = LockTable::default();
        assert_eq!(locks.acquire(1, &key("a")), Acquire::Granted);
        assert_eq!(locks.acquire(2, &key("b")), Acquire::Granted);
        assert_eq!(locks.acquire(2, &key("a")), Acquire::Wait { holder: 1 });
        locks.stop_waiting(2);
        assert_eq!(locks.acquire(1, &key("b")), Acquire::Wait { holder: 2 });
    }
}
