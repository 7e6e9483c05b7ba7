//! Session-level tests of simple-Query statements run by shape (`session::shape_cache`): a
//! repeated statement shape runs as a kept prepared statement, and every text gives exactly
//! what running it the ordinary way (parse, bind, execute) gives, shapes or not.

use super::test_support::{Db, open, session};
use super::*;

/// Runs a simple Query as the wire layer does: by shape when the session can, else parsed and
/// run statement by statement. Rows as text (NULL as "NULL"), or the tag; or the error code.
fn simple(session: &mut Session, sql: &str, by_shape: bool) -> Result<Vec<Vec<String>>, String> {
    let outcome = match by_shape.then(|| session.run_by_shape(sql)).flatten() {
        Some(outcome) => outcome,
        None => {
            let mut statements = session.parse(sql).map_err(|e| e.code.to_string())?;
            assert_eq!(statements.len(), 1, "one statement per test query: {sql}");
            session.run_statement(statements.remove(0))
        }
    };
    match outcome.map_err(|e| e.code.to_string())? {
        Outcome::Rows { rows, .. } => {
            let mut out = Vec::new();
            for row in rows {
                let row = row.map_err(|e| {
                    session.fail_statement();
                    e.code.to_string()
                })?;
                out.push(
                    row.iter()
                        .map(|v| if v.is_null() { "NULL".to_string() } else { v.to_text() })
                        .collect(),
                );
            }
            Ok(out)
        }
        Outcome::Done(tag) | Outcome::DoneWithNotice { tag, .. } => Ok(vec![vec![tag]]),
        _ => Ok(Vec::new()),
    }
}

fn ok(session: &mut Session, sql: &str) -> Vec<Vec<String>> {
    simple(session, sql, true).unwrap_or_else(|code| panic!("{sql}: {code}"))
}

const SCHEMA: &[&str] = &[
    "CREATE TABLE accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84))",
    "CREATE TABLE history (tid int, bid int, aid int, delta int, mtime timestamp)",
    "CREATE TABLE wide (id bigint PRIMARY KEY, n numeric, name varchar(8), code char(3), \
     born date, tags text)",
    "INSERT INTO accounts SELECT g, 1 + g / 10, 0, '' FROM generate_series(1, 50) g",
    "INSERT INTO wide VALUES (1, 1.5, 'ann', 'a', '2001-02-03', 'x'), \
     (2, -2, 'bob', 'bb', '1999-12-31', NULL), (3000000000, 0, 'cy', 'ccc', '2020-01-01', 'y')",
];

fn setup() -> (Db, Session) {
    let db = open();
    let mut s = session(&db);
    for sql in SCHEMA {
        simple(&mut s, sql, false).unwrap_or_else(|code| panic!("{sql}: {code}"));
    }
    (db, s)
}

#[test]
fn pgbench_statements_run_by_shape() {
    let (_db, mut s) = setup();
    let mut expected_total = 0;
    for (aid, delta) in [(3, 100), (7, -40), (3, 5), (49, -2147483), (8, 0)] {
        expected_total += delta;
        ok(&mut s, "BEGIN;");
        ok(
            &mut s,
            &format!("UPDATE accounts SET abalance = abalance + {delta} WHERE aid = {aid};"),
        );
        ok(&mut s, &format!("SELECT abalance FROM accounts WHERE aid = {aid};"));
        ok(
            &mut s,
            &format!(
                "INSERT INTO history (tid, bid, aid, delta, mtime) \
                 VALUES (1, 2, {aid}, {delta}, CURRENT_TIMESTAMP);"
            ),
        );
        ok(&mut s, "END;");
    }
    // UPDATE, SELECT and INSERT are kept (BEGIN and END are not plans the cache keeps).
    assert_eq!(s.kept_shapes(), 3);
    assert_eq!(
        ok(&mut s, "SELECT sum(abalance), count(*) FROM accounts WHERE abalance <> 0"),
        vec![vec![expected_total.to_string(), "3".to_string()]]
    );
    assert_eq!(ok(&mut s, "SELECT abalance FROM accounts WHERE aid = 3"), vec![vec!["105"]]);
    assert_eq!(
        ok(&mut s, "SELECT sum(delta), count(*) FROM history"),
        vec![vec![expected_total.to_string(), "5".to_string()]]
    );
}

/// Every statement, run three times with different constants in one session by shape and in
/// another the ordinary way, gives the same rows or the same error.
#[test]
fn shapes_give_what_the_ordinary_way_gives() {
    let templates: &[&str] = &[
        "SELECT abalance, filler FROM accounts WHERE aid = {i}",
        "SELECT aid FROM accounts WHERE aid = '{i}'",
        "SELECT aid FROM accounts WHERE aid = {big}",
        "SELECT aid FROM accounts WHERE aid IN ({i}, {j}, -{i}) ORDER BY 1",
        "SELECT aid FROM accounts WHERE aid BETWEEN {i} AND {j} ORDER BY aid LIMIT 3",
        "SELECT aid FROM accounts ORDER BY {k} LIMIT 2",
        "SELECT count(*) FROM accounts GROUP BY bid HAVING bid > {k} ORDER BY 1",
        "SELECT {i}, '{i}', {i}.5, -{i}, {i}::int8, {i}::text, 1e{k}",
        "SELECT '{i}' || 'x', 'a''b', {i} + {j}, {i} / {k}",
        "SELECT id, n, name, code FROM wide WHERE id = {big} OR id = {k}",
        "SELECT id FROM wide WHERE n > {i}.25 ORDER BY id",
        "SELECT id FROM wide WHERE name = 'bob' OR code = 'bb' OR code = 'a  ' ORDER BY id",
        "SELECT id FROM wide WHERE born > '2000-0{k}-01' ORDER BY id",
        "SELECT id FROM wide WHERE born > DATE '2000-01-0{k}' ORDER BY id",
        "SELECT id FROM wide WHERE born > '{garbage}' ORDER BY id",
        "SELECT id FROM wide WHERE tags LIKE '{like}' ORDER BY id",
        "SELECT coalesce(tags, '{i}') FROM wide ORDER BY id",
        "UPDATE accounts SET abalance = abalance + -{j} WHERE aid = {i}",
        "UPDATE accounts SET filler = '{garbage}' WHERE aid = {k}",
        "INSERT INTO history (tid, bid, aid, delta) VALUES ({k}, {i}, {j}, -{big})",
        "INSERT INTO wide (id, name) VALUES ({j}{j}, 'name{i}')",
        "INSERT INTO wide (id, name) VALUES ({i}{k}, 'much too long {i}')",
        "DELETE FROM history WHERE tid = {k} AND delta < -{k}",
        "SELECT tid, bid, aid, delta FROM history ORDER BY 1, 2, 3, 4",
        "SELECT abalance FROM accounts WHERE aid < {j} ORDER BY aid",
        "SELECT aid FROM accounts ORDER BY aid LIMIT {lim} OFFSET {k}",
        "SELECT aid FROM accounts ORDER BY aid LIMIT {lim}::int8 * 2",
        "SELECT {i} / {zero}, {j} % {zero}",
        "SELECT -{big}::int4, -{i}::int8, -{i} ^ 2, ARRAY[{i}, {j}][{k}]",
    ];
    let rounds = [
        [
            ("i", "3"),
            ("j", "17"),
            ("k", "2"),
            ("big", "3000000000"),
            ("garbage", "x"),
            ("like", "%"),
            ("lim", "2"),
            ("zero", "1"),
        ],
        [
            ("i", "9"),
            ("j", "11"),
            ("k", "1"),
            ("big", "12"),
            ("garbage", "2001-01-01"),
            ("like", "x"),
            ("lim", "-1"),
            ("zero", "0"),
        ],
        [
            ("i", "0"),
            ("j", "40"),
            ("k", "3"),
            ("big", "9223372036854775808"),
            ("garbage", "y'z"),
            ("like", "_"),
            ("lim", "0"),
            ("zero", "2"),
        ],
    ];
    let (_db1, mut shaped) = setup();
    let (_db2, mut ordinary) = setup();
    // The second round again: its errors and edge values now meet kept shapes.
    for round in [rounds[0], rounds[1], rounds[2], rounds[1]] {
        for template in templates {
            let mut sql = template.to_string();
            for (name, value) in round {
                sql = sql.replace(&format!("{{{name}}}"), value);
            }
            let by_shape = simple(&mut shaped, &sql, true);
            let expected = simple(&mut ordinary, &sql, false);
            assert_eq!(by_shape, expected, "{sql}");
        }
    }
    // Most of these shapes were proven and kept (and then used in the third round).
    assert!(shaped.kept_shapes() >= 12, "{} shapes kept", shaped.kept_shapes());
}

#[test]
fn constant_positions_the_binder_reads_are_never_shapes() {
    let (_db, mut s) = setup();
    for k in [1, 2, 1, 2] {
        // Positions 1 and 2 sort by different columns; a shape would sort by a constant.
        let rows =
            ok(&mut s, &format!("SELECT aid % 7, aid FROM accounts ORDER BY {k} DESC, 2 LIMIT 1"));
        let expected = if k == 1 { vec![vec!["6", "6"]] } else { vec![vec!["1", "50"]] };
        assert_eq!(rows, expected);
    }
    assert_eq!(s.kept_shapes(), 0);
}

#[test]
fn a_shape_follows_ddl() {
    let (_db, mut s) = setup();
    for aid in [1, 2, 3] {
        assert_eq!(
            ok(&mut s, &format!("SELECT abalance FROM accounts WHERE aid = {aid}")),
            vec![vec!["0"]]
        );
    }
    assert_eq!(s.kept_shapes(), 1);
    ok(&mut s, "ALTER TABLE accounts ADD COLUMN note text DEFAULT 'n'");
    ok(&mut s, "UPDATE accounts SET abalance = 7 WHERE aid = 4");
    for aid in [4, 4, 4] {
        assert_eq!(
            ok(&mut s, &format!("SELECT abalance FROM accounts WHERE aid = {aid}")),
            vec![vec!["7"]]
        );
    }
    ok(&mut s, "DROP TABLE accounts");
    assert_eq!(
        simple(&mut s, "SELECT abalance FROM accounts WHERE aid = 4", true),
        Err(sqlstate::UNDEFINED_TABLE.to_string())
    );
}

#[test]
fn a_failed_block_refuses_shaped_statements_too() {
    let (_db, mut s) = setup();
    for aid in [1, 2] {
        ok(&mut s, &format!("SELECT abalance FROM accounts WHERE aid = {aid}"));
    }
    ok(&mut s, "BEGIN");
    assert_eq!(simple(&mut s, "SELECT 1/0", true), Err(sqlstate::DIVISION_BY_ZERO.to_string()));
    assert_eq!(
        simple(&mut s, "SELECT abalance FROM accounts WHERE aid = 3", true),
        Err(sqlstate::IN_FAILED_SQL_TRANSACTION.to_string())
    );
    ok(&mut s, "ROLLBACK");
    assert_eq!(ok(&mut s, "SELECT abalance FROM accounts WHERE aid = 3"), vec![vec!["0"]]);
}
