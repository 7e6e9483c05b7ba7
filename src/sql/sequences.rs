//! Sequence access during expression evaluation: `nextval`, `currval`, `setval`, `lastval`
//! and the state `SELECT * FROM sequence` shows, for one session.
//!
//! Definitions are read through a read view of the statement's transaction, so a sequence
//! created (or altered) earlier in the same transaction is visible. Values come from the
//! [`Database`] allocator, outside transactions (PostgreSQL's nextval is not rolled back).
//! The session remembers the last value per sequence (currval) and the sequence nextval
//! last used (lastval).
//!
//! Depends on: `sql::catalog`, `sql::database`, `txn`.

use super::catalog::{self, SequenceDef};
use super::database::{Database, SequenceView};
use super::error::{SqlError, sqlstate};
use super::expr::SequenceSource;
use crate::txn::{IsolationLevel, Transaction};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;

/// What a session remembers about the sequences it used.
#[derive(Debug, Default)]
pub struct SessionValues {
    /// The value nextval/setval last gave per sequence id (currval).
    current: HashMap<u32, i64>,
    /// The sequence nextval last used: (id, name) (lastval).
    last: Option<(u32, String)>,
}

/// Sequence access for one statement of a session.
pub struct SessionSequences {
    pub db: Arc<Database>,
    /// A read view of the statement's transaction (None: read the latest committed state).
    pub view: Option<Transaction>,
    pub values: Arc<Mutex<SessionValues>>,
    /// Schemas unqualified names are looked up in.
    pub search_path: Arc<[String]>,
}

impl SessionSequences {
    /// The definition of the sequence `name` names (as nextval's text argument spells it).
    fn lookup(&self, name: &str) -> Result<SequenceDef, SqlError> {
        let mut txn = match &self.view {
            Some(view) => view.read_view(),
            None => self.db.store().begin(IsolationLevel::Snapshot),
        };
        let relation = super::binder::resolve_text(&mut txn, name, &self.search_path)?;
        if let Some(def) = catalog::get_sequence(&mut txn, &relation)? {
            return Ok(def);
        }
        if catalog::relation_kind(&mut txn, &relation)?.is_some() {
            return Err(SqlError::new(
                sqlstate::WRONG_OBJECT_TYPE,
                format!("\"{relation}\" is not a sequence"),
            ));
        }
        Err(SqlError::new(
            sqlstate::UNDEFINED_TABLE,
            format!("relation \"{relation}\" does not exist"),
        ))
    }
}

impl SequenceSource for SessionSequences {
    fn nextval(&self, name: &str) -> Result<i64, SqlError> {
        let def = self.lookup(name)?;
        let value = self.db.next_value(&def)?;
        let mut values = self.values.lock();
        values.current.insert(def.id, value);
        values.last = Some((def.id, def.name));
        Ok(value)
    }

    fn currval(&self, name: &str) -> Result<i64, SqlError> {
        let def = self.lookup(name)?;
        self.values.lock().current.get(&def.id).copied().ok_or_else(|| {
            SqlError::new(
                sqlstate::OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!("currval of sequence \"{}\" is not yet defined in this session", def.name),
            )
        })
    }

    fn setval(&self, name: &str, value: i64, is_called: bool) -> Result<i64, SqlError> {
        let def = self.lookup(name)?;
        self.db.set_value(&def, value, is_called)?;
        if is_called {
            self.values.lock().current.insert(def.id, value);
        }
        Ok(value)
    }

    fn lastval(&self) -> Result<i64, SqlError> {
        let not_defined = || {
            SqlError::new(
                sqlstate::OBJECT_NOT_IN_PREREQUISITE_STATE,
                "lastval is not yet defined in this session",
            )
        };
        let last = self.values.lock().last.clone();
        let Some((id, name)) = last else {
            return Err(not_defined());
        };
        // The sequence may have been dropped (or replaced by another of the same name).
        match self.lookup(&quote_ident(&name)) {
            Ok(def) if def.id == id => {}
            _ => return Err(not_defined()),
        }
        self.values.lock().current.get(&id).copied().ok_or_else(not_defined)
    }

    fn state(&self, sequence: &SequenceDef) -> Result<SequenceView, SqlError> {
        self.db.sequence_view(sequence)
    }
}

/// `name` quoted as an identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The parts of a relation name written as text (`'s'`, `'"My Seq"'`, `'public.s'`), folded
/// as PostgreSQL folds identifiers: unquoted parts to lower case.
pub fn name_parts(text: &str) -> Result<Vec<String>, SqlError> {
    let invalid = || {
        SqlError::new(sqlstate::INVALID_NAME, "invalid name syntax").with_detail(text.to_string())
    };
    let mut parts = Vec::new();
    let mut chars = text.trim().chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    Some('"') => break,
                    Some(c) => part.push(c),
                    None => return Err(invalid()),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' || c == '"' {
                    break;
                }
                part.extend(c.to_lowercase());
                chars.next();
            }
            part = part.trim().to_string();
        }
        if part.is_empty() {
            return Err(invalid());
        }
        parts.push(part);
        match chars.next() {
            None => return Ok(parts),
            Some('.') => {}
            Some(_) => return Err(invalid()),
        }
    }
}
