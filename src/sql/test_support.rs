//! The harness the session-level test files share: a real database in a temporary directory,
//! sessions on it, and statements run to rows (as text, NULL as "NULL") or to an error.

use super::*;
use std::sync::Arc;

pub(super) struct Db {
    pub(super) _dir: tempfile::TempDir,
    pub(super) db: Arc<Database>,
}

pub(super) fn open() -> Db {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = DatabaseOptions { memory_limit_bytes: 8 << 20, wal_sync_off: true };
    let db = Database::open(dir.path(), options).expect("open");
    Db { _dir: dir, db }
}

pub(super) fn session(db: &Db) -> Session {
    Session::new(db.db.clone(), "quorumdb", &[]).expect("session")
}

/// Runs every statement of `sql`; returns the rows (as text) of the last one, or its tag.
pub(super) fn run(session: &mut Session, sql: &str) -> Result<Vec<Vec<String>>, SqlError> {
    let mut last = Vec::new();
    for statement in session.parse(sql)? {
        let prepared = session.prepare(sql, statement, &[])?;
        last = match session.execute(&prepared, Vec::new())? {
            Outcome::Rows { rows, .. } => {
                let mut out = Vec::new();
                for row in rows {
                    let row = match row {
                        Ok(row) => row,
                        Err(err) => {
                            session.fail_statement();
                            return Err(err);
                        }
                    };
                    out.push(
                        row.iter()
                            .map(|v| if v.is_null() { "NULL".to_string() } else { v.to_text() })
                            .collect(),
                    );
                }
                out
            }
            Outcome::Done(tag) | Outcome::DoneWithNotice { tag, .. } => vec![vec![tag]],
            _ => Vec::new(),
        };
    }
    Ok(last)
}

pub(super) fn rows(session: &mut Session, sql: &str) -> Vec<Vec<String>> {
    match run(session, sql) {
        Ok(rows) => rows,
        Err(err) => panic!("{sql}: {err:?}"),
    }
}

pub(super) fn code(session: &mut Session, sql: &str) -> &'static str {
    match run(session, sql) {
        Ok(rows) => panic!("{sql}: expected an error, got {rows:?}"),
        Err(err) => err.code,
    }
}

pub(super) fn s(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter().map(|r| r.iter().map(|v| v.to_string()).collect()).collect()
}

/// The SQLSTATE and message of the error `sql` must fail with.
pub(super) fn error(session: &mut Session, sql: &str) -> (&'static str, String) {
    match run(session, sql) {
        Ok(rows) => panic!("{sql}: expected an error, got {rows:?}"),
        Err(err) => (err.code, err.message.clone()),
    }
}
