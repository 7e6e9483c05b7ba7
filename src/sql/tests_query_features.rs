//! Session-level tests of WITH queries (plain and RECURSIVE), window functions, DISTINCT ON
//! and FETCH FIRST. Every expectation was checked against PostgreSQL 15 (initdb
//! --locale=C).

use super::test_support::*;

/// The first column of each row.
fn column(rows: Vec<Vec<String>>) -> Vec<String> {
    rows.into_iter().filter_map(|r| r.into_iter().next()).collect()
}

const EMPLOYEES: &str = "CREATE TABLE emp (id int PRIMARY KEY, name text, boss int, salary int);
    INSERT INTO emp VALUES (1,'ann',NULL,100),(2,'bob',1,80),(3,'cat',1,70),(4,'dan',2,50),
    (5,'eve',4,40),(6,'fay',3,60)";

const WINDOWED: &str = "CREATE TABLE w (id int PRIMARY KEY, g text, x int, f float8);
    INSERT INTO w VALUES (1,'a',10,1.5),(2,'a',20,2.5),(3,'a',20,NULL),(4,'b',5,4),
    (5,'b',NULL,5),(6,'c',7,6),(7,'a',30,7)";

#[test]
fn with_queries_chain_rename_and_shadow_tables() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, EMPLOYEES);
    assert_eq!(
        rows(
            &mut s1,
            "WITH a AS (SELECT id, name FROM emp WHERE salary > 60), \
             b AS (SELECT * FROM a WHERE id > 1) SELECT * FROM b ORDER BY id"
        ),
        s(&[&["2", "bob"], &["3", "cat"]])
    );
    assert_eq!(
        rows(
            &mut s1,
            "WITH a(x, y) AS (SELECT id, name FROM emp) SELECT x, y FROM a WHERE x < 3 ORDER BY x"
        ),
        s(&[&["1", "ann"], &["2", "bob"]])
    );
    // A partial column list renames the leading columns only.
    assert_eq!(
        rows(&mut s1, "WITH a(x) AS (SELECT id, name FROM emp) SELECT * FROM a ORDER BY x LIMIT 1"),
        s(&[&["1", "ann"]])
    );
    assert_eq!(
        rows(&mut s1, "WITH a AS (SELECT count(*) c FROM emp) SELECT a.c, b.c FROM a, a b"),
        s(&[&["6", "6"]])
    );
    // The WITH query's name hides the table.
    assert_eq!(rows(&mut s1, "WITH emp AS (SELECT 42 AS id) SELECT * FROM emp"), s(&[&["42"]]));
    assert_eq!(
        rows(
            &mut s1,
            "WITH a AS MATERIALIZED (SELECT 1 v), b AS NOT MATERIALIZED (SELECT 2 w) SELECT * FROM a, b"
        ),
        s(&[&["1", "2"]])
    );
    assert_eq!(
        rows(&mut s1, "WITH a AS (SELECT 1 a) SELECT * FROM a AS z(p) WHERE p = 1"),
        s(&[&["1"]])
    );
    assert_eq!(
        rows(&mut s1, "WITH t AS (SELECT 1 n) SELECT * FROM t UNION ALL SELECT * FROM t"),
        s(&[&["1"], &["1"]])
    );
}

#[test]
fn with_queries_in_subqueries_and_statements() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, EMPLOYEES);
    assert_eq!(
        rows(&mut s1, "SELECT (WITH q AS (SELECT max(salary) m FROM emp) SELECT m FROM q)"),
        s(&[&["100"]])
    );
    assert_eq!(
        rows(
            &mut s1,
            "SELECT * FROM (WITH q AS (SELECT id FROM emp WHERE id < 3) SELECT * FROM q) s ORDER BY 1"
        ),
        s(&[&["1"], &["2"]])
    );
    // A WITH query that reads the outer row is computed per outer row.
    assert_eq!(
        column(rows(
            &mut s1,
            "SELECT (WITH c AS (SELECT e.salary * 2 d) SELECT d FROM c) FROM emp e ORDER BY id"
        )),
        vec!["200", "160", "140", "100", "80", "120"]
    );
    // Read from a correlated subquery: computed once, shared by every outer row.
    assert_eq!(
        column(rows(
            &mut s1,
            "WITH c AS (SELECT id, random() r FROM emp) \
             SELECT count(*) FROM c c1 JOIN c c2 ON c1.id = c2.id AND c1.r = c2.r"
        )),
        vec!["6"]
    );
    assert_eq!(
        rows(
            &mut s1,
            "WITH c AS (SELECT id v FROM emp) SELECT id FROM emp e WHERE id IN \
             (SELECT v FROM c WHERE v > 2) AND EXISTS (SELECT 1 FROM c WHERE v = e.id) \
             AND id < 5 ORDER BY id"
        ),
        s(&[&["3"], &["4"]])
    );
    rows(&mut s1, "CREATE TABLE nums (n int)");
    assert_eq!(
        rows(&mut s1, "WITH a AS (SELECT 10 v) INSERT INTO nums SELECT v FROM a"),
        s(&[&["INSERT 0 1"]])
    );
    assert_eq!(
        rows(&mut s1, "INSERT INTO nums WITH b AS (SELECT 11 v) SELECT v FROM b"),
        s(&[&["INSERT 0 1"]])
    );
    assert_eq!(
        rows(&mut s1, "WITH a AS (SELECT 10 v) UPDATE nums SET n = 12 WHERE n = (SELECT v FROM a)"),
        s(&[&["UPDATE 1"]])
    );
    assert_eq!(
        rows(&mut s1, "WITH a AS (SELECT 11 v) DELETE FROM nums WHERE n IN (SELECT v FROM a)"),
        s(&[&["DELETE 1"]])
    );
    assert_eq!(rows(&mut s1, "SELECT n FROM nums"), s(&[&["12"]]));
}

#[test]
fn recursive_with_queries_iterate_over_the_working_table() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, EMPLOYEES);
    assert_eq!(
        rows(
            &mut s1,
            "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM t WHERE n < 100) \
             SELECT sum(n) FROM t"
        ),
        s(&[&["5050"]])
    );
    // UNION drops rows already produced, so this terminates.
    assert_eq!(
        rows(&mut s1, "WITH RECURSIVE t(n) AS (SELECT 1 UNION SELECT n FROM t) SELECT * FROM t"),
        s(&[&["1"]])
    );
    assert_eq!(
        rows(
            &mut s1,
            "WITH RECURSIVE sub(id, name, depth) AS (\
               SELECT id, name, 0 FROM emp WHERE boss IS NULL \
               UNION ALL SELECT e.id, e.name, s.depth + 1 FROM emp e JOIN sub s ON e.boss = s.id) \
             SELECT * FROM sub ORDER BY depth, id"
        ),
        s(&[
            &["1", "ann", "0"],
            &["2", "bob", "1"],
            &["3", "cat", "1"],
            &["4", "dan", "2"],
            &["6", "fay", "2"],
            &["5", "eve", "3"],
        ])
    );
    assert_eq!(
        column(rows(
            &mut s1,
            "WITH RECURSIVE sub AS (SELECT id, name::text AS path FROM emp WHERE id = 1 \
             UNION ALL SELECT e.id, s.path || '/' || e.name FROM sub s, emp e WHERE e.boss = s.id) \
             SELECT path FROM sub ORDER BY path"
        )),
        vec!["ann", "ann/bob", "ann/bob/dan", "ann/bob/dan/eve", "ann/cat", "ann/cat/fay"]
    );
    // An unbounded recursion streams: LIMIT stops it.
    assert_eq!(
        column(rows(
            &mut s1,
            "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM t) SELECT * FROM t LIMIT 5"
        )),
        vec!["1", "2", "3", "4", "5"]
    );
    // Types come from the non-recursive term.
    assert_eq!(
        rows(
            &mut s1,
            "WITH RECURSIVE t(n) AS (SELECT 1::bigint UNION ALL SELECT n+1 FROM t WHERE n < 2) \
             SELECT n, pg_typeof(n) FROM t"
        ),
        s(&[&["1", "bigint"], &["2", "bigint"]])
    );
    assert_eq!(
        column(rows(
            &mut s1,
            "WITH RECURSIVE fib(a, b) AS (SELECT 0::numeric, 1::numeric \
             UNION ALL SELECT b, a+b FROM fib WHERE b < 20) SELECT a FROM fib"
        )),
        vec!["0", "1", "1", "2", "3", "5", "8", "13"]
    );
    // Cycles end under UNION.
    rows(
        &mut s1,
        "CREATE TABLE edges (a int, b int); INSERT INTO edges VALUES (1,2),(2,3),(3,1),(3,4)",
    );
    assert_eq!(
        column(rows(
            &mut s1,
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT b FROM edges, r WHERE a = n) \
             SELECT * FROM r ORDER BY n"
        )),
        vec!["1", "2", "3", "4"]
    );
    // Read twice: computed once.
    assert_eq!(
        rows(
            &mut s1,
            "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM t WHERE n < 3) \
             SELECT (SELECT count(*) FROM t), (SELECT max(n) FROM t)"
        ),
        s(&[&["3", "3"]])
    );
    assert_eq!(
        rows(&mut s1, "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT 2) SELECT * FROM t"),
        s(&[&["1"], &["2"]])
    );
    assert_eq!(
        rows(
            &mut s1,
            "WITH RECURSIVE t(n) AS (SELECT 1 WHERE false UNION ALL SELECT n + 1 FROM t) \
             SELECT count(*) FROM t"
        ),
        s(&[&["0"]])
    );
}

#[test]
fn with_query_errors() {
    let db = open();
    let mut s1 = session(&db);
    let cases: &[(&str, &str, &str)] = &[
        (
            "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT (n+1)::bigint FROM t WHERE n < 3) SELECT * FROM t",
            "42804",
            "recursive query \"t\" column 1 has type integer in non-recursive term but type bigint overall",
        ),
        (
            "WITH RECURSIVE t(n) AS (SELECT * FROM t) SELECT * FROM t",
            "42P19",
            "recursive query \"t\" does not have the form non-recursive-term UNION [ALL] recursive-term",
        ),
        (
            "WITH RECURSIVE t(n) AS (SELECT n FROM t UNION ALL SELECT 1) SELECT * FROM t",
            "42P19",
            "recursive reference to query \"t\" must not appear within its non-recursive term",
        ),
        (
            "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT t.n+1 FROM t, t t2 WHERE t.n < 3) SELECT * FROM t",
            "42P19",
            "recursive reference to query \"t\" must not appear more than once",
        ),
        (
            "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT (SELECT n+1 FROM t) WHERE false) SELECT * FROM t",
            "42P19",
            "recursive reference to query \"t\" must not appear within a subquery",
        ),
        (
            "WITH a AS (SELECT 1), a AS (SELECT 2) SELECT * FROM a",
            "42712",
            "WITH query name \"a\" specified more than once",
        ),
        (
            "WITH a(x, y) AS (SELECT 1) SELECT * FROM a",
            "42P10",
            "WITH query \"a\" has 1 columns available but 2 columns specified",
        ),
        (
            "WITH a AS (SELECT 1 v), b AS (SELECT * FROM c) SELECT 1",
            "42P01",
            "relation \"c\" does not exist",
        ),
        (
            "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT count(*) FROM t WHERE n < 3) SELECT * FROM t",
            "42P19",
            "aggregate functions are not allowed in a recursive query's recursive term",
        ),
        (
            "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT e.n FROM (SELECT 5 n) e LEFT JOIN t ON t.n = e.n) SELECT * FROM t",
            "42P19",
            "recursive reference to query \"t\" must not appear within an outer join",
        ),
        (
            "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 3 ORDER BY 1) SELECT * FROM t",
            "0A000",
            "ORDER BY in a recursive query is not implemented",
        ),
        (
            "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT 'x'::text FROM t) SELECT * FROM t",
            "42804",
            "UNION types integer and text cannot be matched",
        ),
    ];
    for (sql, code, message) in cases {
        assert_eq!(error(&mut s1, sql), (*code, message.to_string()), "{sql}");
    }
    rows(&mut s1, "CREATE TABLE nums (n int)");
    let (code, _) =
        error(&mut s1, "WITH a AS (INSERT INTO nums VALUES (9) RETURNING *) SELECT * FROM a");
    assert_eq!(code, "0A000");
    // A later WITH query is not visible to an earlier one.
    let (code, _) = error(&mut s1, "WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a");
    assert_eq!(code, "42P01");
}

#[test]
fn ranking_and_offset_window_functions() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, WINDOWED);
    assert_eq!(
        rows(
            &mut s1,
            "SELECT id, row_number() OVER (PARTITION BY g ORDER BY x, id), \
             rank() OVER (PARTITION BY g ORDER BY x), dense_rank() OVER (PARTITION BY g ORDER BY x) \
             FROM w ORDER BY id"
        ),
        s(&[
            &["1", "1", "1", "1"],
            &["2", "2", "2", "2"],
            &["3", "3", "2", "2"],
            &["4", "1", "1", "1"],
            &["5", "2", "2", "2"],
            &["6", "1", "1", "1"],
            &["7", "4", "4", "3"],
        ])
    );
    assert_eq!(
        rows(
            &mut s1,
            "SELECT id, percent_rank() OVER (ORDER BY x), cume_dist() OVER (ORDER BY x), \
             ntile(3) OVER (ORDER BY id) FROM w ORDER BY id"
        ),
        s(&[
            &["1", "0.3333333333333333", "0.42857142857142855", "1"],
            &["2", "0.5", "0.7142857142857143", "1"],
            &["3", "0.5", "0.7142857142857143", "1"],
            &["4", "0", "0.14285714285714285", "2"],
            &["5", "1", "1", "2"],
            &["6", "0.16666666666666666", "0.2857142857142857", "3"],
            &["7", "0.8333333333333334", "0.8571428571428571", "3"],
        ])
    );
    assert_eq!(
        rows(
            &mut s1,
            "SELECT id, lag(x) OVER (ORDER BY id), lead(x) OVER (ORDER BY id), \
             lag(x, 2) OVER (ORDER BY id), lead(x, 2, -1) OVER (ORDER BY id), \
             lag(x, 1, 0.5) OVER (ORDER BY id) FROM w ORDER BY id"
        ),
        s(&[
            &["1", "NULL", "20", "NULL", "20", "0.5"],
            &["2", "10", "20", "NULL", "5", "10"],
            &["3", "20", "5", "10", "NULL", "20"],
            &["4", "20", "NULL", "20", "7", "20"],
            &["5", "5", "7", "20", "30", "5"],
            &["6", "NULL", "30", "5", "-1", "NULL"],
            &["7", "7", "NULL", "NULL", "-1", "7"],
        ])
    );
    assert_eq!(
        rows(
            &mut s1,
            "SELECT id, lag(id, -1) OVER (ORDER BY id), lead(id, NULL) OVER (ORDER BY id) \
             FROM w WHERE id > 5 ORDER BY id"
        ),
        s(&[&["6", "7", "NULL"], &["7", "NULL", "NULL"]])
    );
    assert_eq!(
        rows(
            &mut s1,
            "SELECT id, first_value(x) OVER (PARTITION BY g ORDER BY id), \
             last_value(x) OVER (PARTITION BY g ORDER BY id), \
             nth_value(x, 2) OVER (PARTITION BY g ORDER BY id) FROM w ORDER BY id"
        ),
        s(&[
            &["1", "10", "10", "NULL"],
            &["2", "10", "20", "20"],
            &["3", "10", "20", "20"],
            &["4", "5", "5", "NULL"],
            &["5", "5", "NULL", "NULL"],
            &["6", "7", "7", "NULL"],
            &["7", "10", "30", "20"],
        ])
    );
    // Without ORDER BY in the query, rows come in window order.
    assert_eq!(
        rows(&mut s1, "SELECT row_number() OVER (PARTITION BY g ORDER BY id), g FROM w"),
        s(&[
            &["1", "a"],
            &["2", "a"],
            &["3", "a"],
            &["4", "a"],
            &["1", "b"],
            &["2", "b"],
            &["1", "c"],
        ])
    );
    assert_eq!(
        column(rows(
            &mut s1,
            "SELECT id FROM w ORDER BY row_number() OVER (ORDER BY x DESC, id), id"
        )),
        vec!["5", "7", "2", "3", "1", "6", "4"]
    );
    assert_eq!(
        rows(
            &mut s1,
            "SELECT id, row_number() OVER (ORDER BY id) rn FROM w ORDER BY rn DESC LIMIT 2"
        ),
        s(&[&["7", "7"], &["6", "6"]])
    );
    assert_eq!(rows(&mut s1, "SELECT row_number() OVER () FROM w WHERE false"), s(&[]));
}

#[test]
fn aggregates_over_windows_and_frames() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, WINDOWED);
    assert_eq!(
        rows(
            &mut s1,
            "SELECT id, sum(x) OVER (PARTITION BY g), avg(x) OVER (PARTITION BY g), \
             count(x) OVER (PARTITION BY g), count(*) OVER (PARTITION BY g), \
             min(x) OVER (PARTITION BY g), max(x) OVER (PARTITION BY g) FROM w ORDER BY id"
        ),
        s(&[
            &["1", "80", "20.0000000000000000", "4", "4", "10", "30"],
            &["2", "80", "20.0000000000000000", "4", "4", "10", "30"],
            &["3", "80", "20.0000000000000000", "4", "4", "10", "30"],
            &["4", "5", "5.0000000000000000", "1", "2", "5", "5"],
            &["5", "5", "5.0000000000000000", "1", "2", "5", "5"],
            &["6", "7", "7.0000000000000000", "1", "1", "7", "7"],
            &["7", "80", "20.0000000000000000", "4", "4", "10", "30"],
        ])
    );
    // The default frame with ORDER BY ends at the current row's last peer.
    assert_eq!(
        rows(
            &mut s1,
            "SELECT id, sum(x) OVER (ORDER BY x), count(*) OVER (ORDER BY x) FROM w ORDER BY id"
        ),
        s(&[
            &["1", "22", "3"],
            &["2", "62", "5"],
            &["3", "62", "5"],
            &["4", "5", "1"],
            &["5", "92", "7"],
            &["6", "12", "2"],
            &["7", "92", "6"],
        ])
    );
    assert_eq!(
        rows(
            &mut s1,
            "SELECT id, sum(x) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING), \
             sum(x) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING), \
             avg(f) OVER (ORDER BY id ROWS 2 PRECEDING) FROM w ORDER BY id"
        ),
        s(&[
            &["1", "30", "92", "1.5"],
            &["2", "50", "82", "2"],
            &["3", "45", "62", "2"],
            &["4", "25", "42", "3.25"],
            &["5", "12", "37", "4.5"],
            &["6", "37", "37", "5"],
            &["7", "37", "30", "6"],
        ])
    );
    assert_eq!(
        rows(
            &mut s1,
            "SELECT id, last_value(x) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING), \
             nth_value(id, 3) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) \
             FROM w WHERE id <= 3 ORDER BY id"
        ),
        s(&[&["1", "20", "NULL"], &["2", "20", "3"], &["3", "20", "NULL"]])
    );
    assert_eq!(
        column(rows(
            &mut s1,
            "SELECT sum(id) OVER (ORDER BY x GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM w ORDER BY id"
        )),
        vec!["7", "6", "6", "4", "12", "10", "12"]
    );
    assert_eq!(
        column(rows(
            &mut s1,
            "SELECT sum(x) FILTER (WHERE x > 10) OVER (ORDER BY id) FROM w ORDER BY id"
        )),
        vec!["NULL", "20", "40", "40", "40", "40", "70"]
    );
}

#[test]
fn window_functions_over_groups_and_named_windows() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, WINDOWED);
    assert_eq!(
        rows(
            &mut s1,
            "SELECT g, sum(x), sum(sum(x)) OVER (), rank() OVER (ORDER BY sum(x) DESC) \
             FROM w GROUP BY g ORDER BY g"
        ),
        s(&[&["a", "80", "92", "1"], &["b", "5", "92", "3"], &["c", "7", "92", "2"]])
    );
    assert_eq!(
        rows(&mut s1, "SELECT g, count(*) OVER () FROM w GROUP BY g ORDER BY g"),
        s(&[&["a", "3"], &["b", "3"], &["c", "3"]])
    );
    assert_eq!(
        rows(
            &mut s1,
            "SELECT id, row_number() OVER v, sum(x) OVER v FROM w WINDOW v AS (ORDER BY id) ORDER BY id LIMIT 3"
        ),
        s(&[&["1", "1", "10"], &["2", "2", "30"], &["3", "3", "50"]])
    );
    assert_eq!(
        column(rows(
            &mut s1,
            "SELECT sum(x) OVER (v ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM w \
             WINDOW v AS (PARTITION BY g ORDER BY id) ORDER BY id"
        )),
        vec!["10", "30", "50", "5", "5", "7", "80"]
    );
    assert_eq!(
        rows(&mut s1, "SELECT DISTINCT g, count(*) OVER (PARTITION BY g) FROM w ORDER BY g"),
        s(&[&["a", "4"], &["b", "2"], &["c", "1"]])
    );
}

#[test]
fn window_function_errors() {
    let db = open();
    let mut s1 = session(&db);
    rows(&mut s1, WINDOWED);
    let cases: &[(&str, &str, &str)] = &[
        (
            "SELECT id FROM w WHERE row_number() OVER () > 1",
            "42P20",
            "window functions are not allowed in WHERE",
        ),
        (
            "SELECT g FROM w GROUP BY g HAVING count(*) OVER () > 1",
            "42P20",
            "window functions are not allowed in HAVING",
        ),
        (
            "SELECT sum(row_number() OVER ()) FROM w",
            "42803",
            "aggregate function calls cannot contain window function calls",
        ),
        (
            "SELECT row_number() OVER (ORDER BY sum(row_number() OVER ())) FROM w",
            "42P20",
            "window functions are not allowed in window definitions",
        ),
        (
            "SELECT row_number() FROM w",
            "42809",
            "window function row_number requires an OVER clause",
        ),
        (
            "SELECT lower(g) OVER () FROM w",
            "42809",
            "OVER specified, but lower is not a window function nor an aggregate function",
        ),
        ("SELECT ntile(0) OVER () FROM w", "22014", "argument of ntile must be greater than zero"),
        (
            "SELECT nth_value(x, 0) OVER () FROM w",
            "22016",
            "argument of nth_value must be greater than zero",
        ),
        (
            "SELECT sum(x) OVER (ORDER BY id ROWS BETWEEN -1 PRECEDING AND CURRENT ROW) FROM w",
            "22013",
            "frame starting offset must not be negative",
        ),
        (
            "SELECT sum(x) OVER (ROWS BETWEEN UNBOUNDED FOLLOWING AND CURRENT ROW) FROM w",
            "42P20",
            "frame start cannot be UNBOUNDED FOLLOWING",
        ),
        (
            "SELECT count(DISTINCT x) OVER () FROM w",
            "0A000",
            "DISTINCT is not implemented for window functions",
        ),
        (
            "SELECT sum(x) OVER v FROM w WINDOW v AS (ORDER BY id), v AS (ORDER BY x)",
            "42P20",
            "window \"v\" is already defined",
        ),
        ("SELECT sum(x) OVER nope FROM w", "42704", "window \"nope\" does not exist"),
        (
            "SELECT sum(x) OVER (v PARTITION BY g) FROM w WINDOW v AS (ORDER BY id)",
            "42P20",
            "cannot override PARTITION BY clause of window \"v\"",
        ),
    ];
    for (sql, code, message) in cases {
        assert_eq!(error(&mut s1, sql), (*code, message.to_string()), "{sql}");
    }
}

#[test]
fn distinct_on_keeps_the_first_row_of_each_group() {
    let db = open();
    let mut s1 = session(&db);
    rows(
        &mut s1,
        "CREATE TABLE d (id int PRIMARY KEY, g text, x int); INSERT INTO d VALUES \
         (1,'a',3),(2,'a',1),(3,'b',5),(4,'b',5),(5,NULL,2),(6,NULL,1),(7,'c',NULL)",
    );
    assert_eq!(
        rows(&mut s1, "SELECT DISTINCT ON (g) g, x, id FROM d ORDER BY g, x, id"),
        s(&[&["a", "1", "2"], &["b", "5", "3"], &["c", "NULL", "7"], &["NULL", "1", "6"]])
    );
    assert_eq!(
        rows(&mut s1, "SELECT DISTINCT ON (g) g, id FROM d ORDER BY g DESC NULLS LAST, id DESC"),
        s(&[&["c", "7"], &["b", "4"], &["a", "2"], &["NULL", "6"]])
    );
    // Without ORDER BY: one row per value, in value order.
    assert_eq!(
        column(rows(&mut s1, "SELECT DISTINCT ON (g) g FROM d")),
        vec!["a", "b", "c", "NULL"]
    );
    assert_eq!(
        rows(&mut s1, "SELECT DISTINCT ON (1) g, x FROM d ORDER BY 1, 2"),
        s(&[&["a", "1"], &["b", "5"], &["c", "NULL"], &["NULL", "1"]])
    );
    assert_eq!(
        rows(&mut s1, "SELECT DISTINCT ON (g) * FROM d ORDER BY g, id LIMIT 2 OFFSET 1"),
        s(&[&["3", "b", "5"], &["7", "c", "NULL"]])
    );
    assert_eq!(
        rows(
            &mut s1,
            "SELECT DISTINCT ON (g) g, count(*) FROM d GROUP BY g, x ORDER BY g, count(*) DESC"
        ),
        s(&[&["a", "1"], &["b", "2"], &["c", "1"], &["NULL", "1"]])
    );
    for sql in [
        "SELECT DISTINCT ON (g) g, x FROM d ORDER BY x",
        "SELECT DISTINCT ON (g, x) g, x FROM d ORDER BY g, id",
    ] {
        assert_eq!(
            error(&mut s1, sql),
            (
                "42P10",
                "SELECT DISTINCT ON expressions must match initial ORDER BY expressions"
                    .to_string()
            ),
            "{sql}"
        );
    }
}

#[test]
fn fetch_first_limits_rows() {
    let db = open();
    let mut s1 = session(&db);
    rows(
        &mut s1,
        "CREATE TABLE f (id int PRIMARY KEY, g int); INSERT INTO f VALUES (1,1),(2,1),(3,2),(4,2),(5,3)",
    );
    assert_eq!(
        column(rows(&mut s1, "SELECT id FROM f ORDER BY id FETCH FIRST 2 ROWS ONLY")),
        vec!["1", "2"]
    );
    assert_eq!(
        column(rows(&mut s1, "SELECT id FROM f ORDER BY id OFFSET 1 ROWS FETCH NEXT 2 ROWS ONLY")),
        vec!["2", "3"]
    );
    assert_eq!(
        column(rows(&mut s1, "SELECT id FROM f ORDER BY id FETCH FIRST ROW ONLY")),
        vec!["1"]
    );
    assert_eq!(
        column(rows(&mut s1, "SELECT id FROM f ORDER BY g FETCH FIRST 3 ROWS WITH TIES")),
        vec!["1", "2", "3", "4"]
    );
}

#[test]
fn range_frames_with_offsets() {
    let db = open();
    let mut s1 = session(&db);
    rows(
        &mut s1,
        "CREATE TABLE r (id int PRIMARY KEY, x int, d date, ts timestamp); INSERT INTO r VALUES \
         (1,1,'2024-01-01','2024-01-01 10:00'),(2,2,'2024-01-02','2024-01-01 11:00'),\
         (3,2,'2024-01-05','2024-01-01 12:30'),(4,5,'2024-01-06','2024-01-02 10:00'),\
         (5,NULL,NULL,NULL),(6,9,'2024-02-01','2024-01-03 00:00'),(7,NULL,NULL,NULL)",
    );
    // NULL keys frame their NULL peers only; other rows never reach them.
    assert_eq!(
        column(rows(
            &mut s1,
            "SELECT sum(id) OVER (ORDER BY x RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM r ORDER BY id"
        )),
        vec!["6", "6", "6", "4", "12", "6", "12"]
    );
    assert_eq!(
        column(rows(
            &mut s1,
            "SELECT sum(id) OVER (ORDER BY x DESC RANGE BETWEEN 1 PRECEDING AND 3 FOLLOWING) FROM r ORDER BY id"
        )),
        vec!["6", "6", "6", "9", "12", "6", "12"]
    );
    assert_eq!(
        rows(
            &mut s1,
            "SELECT count(*) OVER (ORDER BY x RANGE BETWEEN 2 FOLLOWING AND 5 FOLLOWING), \
             count(*) OVER (ORDER BY x NULLS FIRST RANGE 3 PRECEDING) FROM r ORDER BY id"
        ),
        s(&[
            &["1", "1"],
            &["1", "3"],
            &["1", "3"],
            &["1", "3"],
            &["2", "2"],
            &["0", "1"],
            &["2", "2"]
        ])
    );
    assert_eq!(
        column(rows(
            &mut s1,
            "SELECT count(*) OVER (ORDER BY d RANGE BETWEEN interval '3 days' PRECEDING AND CURRENT ROW) FROM r ORDER BY id"
        )),
        vec!["1", "2", "2", "2", "2", "1", "2"]
    );
    assert_eq!(
        column(rows(
            &mut s1,
            "SELECT count(*) OVER (ORDER BY ts RANGE BETWEEN '2 hours' PRECEDING AND '1 day' FOLLOWING) FROM r ORDER BY id"
        )),
        vec!["4", "4", "3", "2", "2", "1", "2"]
    );
    // Bounds beyond the type's range reach the partition's ends.
    assert_eq!(
        column(rows(
            &mut s1,
            "SELECT sum(id) OVER (ORDER BY x RANGE BETWEEN 2147483647 PRECEDING AND 2147483647 FOLLOWING) FROM r ORDER BY id"
        )),
        vec!["16", "16", "16", "16", "12", "16", "12"]
    );
    assert_eq!(
        error(&mut s1, "SELECT sum(x) OVER (ORDER BY x, id RANGE 1 PRECEDING) FROM r"),
        (
            "42P20",
            "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column"
                .to_string()
        )
    );
    assert_eq!(
        error(&mut s1, "SELECT sum(x) OVER (ORDER BY x RANGE -1 PRECEDING) FROM r").0,
        "22013"
    );
}
