//! Session-level tests of EXPLAIN [ANALYZE] (node names, access paths, conditions, per-node
//! row counts) and of the `work_mem` budget (53200 instead of unbounded growth). Plan
//! shapes follow PostgreSQL 15's output (COSTS OFF style: there are no costs); times are
//! never asserted on.

use super::test_support::*;
use super::*;

/// The plan lines of an EXPLAIN, with ANALYZE's times and the summary lines removed.
fn plan(session: &mut Session, sql: &str) -> Vec<String> {
    rows(session, sql)
        .into_iter()
        .filter_map(|row| row.into_iter().next())
        .filter(|line| !line.starts_with("Planning Time") && !line.starts_with("Execution Time"))
        .map(|line| without_times(&line))
        .collect()
}

/// `line` without its `time=A..B ` part, and memory sizes as `NkB`.
fn without_times(line: &str) -> String {
    let line = match (line.find("time="), line.find(" rows=")) {
        (Some(start), Some(end)) if start < end => {
            format!("{}{}", &line[..start], &line[end + 1..])
        }
        _ => line.to_string(),
    };
    match (line.rfind(": "), line.strip_suffix("kB")) {
        (Some(colon), Some(_))
            if line[colon + 2..line.len() - 2].bytes().all(|b| b.is_ascii_digit()) =>
        {
            format!("{}: NkB", &line[..colon])
        }
        _ => line,
    }
}

fn lines(expected: &[&str]) -> Vec<String> {
    expected.iter().map(|l| l.to_string()).collect()
}

const SETUP: &str = "CREATE TABLE t (id int PRIMARY KEY, b int, name text);
    CREATE INDEX t_b_idx ON t (b);
    INSERT INTO t SELECT g, g % 10, 'n' || g FROM generate_series(1, 1000) g;
    CREATE TABLE u (id int PRIMARY KEY, tid int, x int);
    INSERT INTO u SELECT g, g % 100, g FROM generate_series(1, 300) g";

#[test]
fn explain_shows_the_chosen_access_path() {
    let db = open();
    let mut s = session(&db);
    rows(&mut s, SETUP);
    assert_eq!(plan(&mut s, "EXPLAIN SELECT * FROM t"), lines(&["Seq Scan on t"]));
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT * FROM t WHERE id = 42"),
        lines(&["Index Scan using t_pkey on t", "  Index Cond: (id = 42)"])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT * FROM t WHERE 42 = id AND name <> 'x'"),
        lines(&[
            "Index Scan using t_pkey on t",
            "  Index Cond: (id = 42)",
            "  Filter: (name <> 'x'::text)"
        ])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT * FROM t WHERE b = 3"),
        lines(&["Index Scan using t_b_idx on t", "  Index Cond: (b = 3)"])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT * FROM t WHERE b IN (1, 2)"),
        lines(&["Index Scan using t_b_idx on t", "  Index Cond: (b = ANY ('{1,2}'::integer[]))"])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT * FROM t WHERE id > 5 AND id <= 10"),
        lines(&["Index Scan using t_pkey on t", "  Index Cond: ((id > 5) AND (id <= 10))"])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT * FROM t WHERE name LIKE 'n1%' OR b IS NULL"),
        lines(&["Seq Scan on t", "  Filter: ((name ~~ 'n1%'::text) OR (b IS NULL))"])
    );
    // IN on one column of a composite key, with the others fixed.
    rows(&mut s, "CREATE TABLE c2 (a int, b int, v text, PRIMARY KEY (a, b))");
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT * FROM c2 WHERE a IN (1, 2) AND b = 3"),
        lines(&[
            "Index Scan using c2_pkey on c2",
            "  Index Cond: ((a = ANY ('{1,2}'::integer[])) AND (b = 3))"
        ])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT * FROM t WHERE name IN ('a', 'b') AND id BETWEEN 1 AND 5"),
        lines(&[
            "Index Scan using t_pkey on t",
            "  Index Cond: ((id >= 1) AND (id <= 5))",
            "  Filter: (name = ANY ('{a,b}'::text[]))"
        ])
    );
    // Sort keys other than plain columns are parenthesised.
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT b % 3, count(*) FROM t GROUP BY b % 3 ORDER BY 2 DESC, 1"),
        lines(&[
            "Sort",
            "  Sort Key: (count(*)) DESC, ((b % 3))",
            "  ->  HashAggregate",
            "        Group Key: (b % 3)",
            "        ->  Seq Scan on t",
        ])
    );
    // An alias shows after the table name.
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT * FROM t AS x WHERE x.b = -1"),
        lines(&["Index Scan using t_b_idx on t x", "  Index Cond: (b = '-1'::integer)"])
    );
}

#[test]
fn explain_names_postgresql_nodes() {
    let db = open();
    let mut s = session(&db);
    rows(&mut s, SETUP);
    assert_eq!(
        plan(
            &mut s,
            "EXPLAIN SELECT b, count(*) FROM t GROUP BY b HAVING count(*) > 1 ORDER BY b DESC LIMIT 3"
        ),
        lines(&[
            "Limit",
            "  ->  Sort",
            "        Sort Key: b DESC",
            "        ->  HashAggregate",
            "              Group Key: b",
            "              Filter: (count(*) > 1)",
            "              ->  Seq Scan on t",
        ])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT * FROM t JOIN u ON t.id = u.tid WHERE u.x > 5"),
        lines(&[
            "Hash Join",
            "  Hash Cond: (t.id = u.tid)",
            "  ->  Seq Scan on t",
            "  ->  Hash",
            "        ->  Seq Scan on u",
            "              Filter: (u.x > 5)",
        ])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT * FROM t LEFT JOIN u ON t.id = u.tid AND u.x > t.b"),
        lines(&[
            "Hash Left Join",
            "  Hash Cond: (t.id = u.tid)",
            "  Join Filter: (u.x > t.b)",
            "  ->  Seq Scan on t",
            "  ->  Hash",
            "        ->  Seq Scan on u",
        ])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT * FROM t, u WHERE t.b < u.x"),
        lines(&[
            "Nested Loop",
            "  Join Filter: (t.b < u.x)",
            "  ->  Seq Scan on t",
            "  ->  Materialize",
            "        ->  Seq Scan on u",
        ])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT count(*) FROM t"),
        lines(&["Aggregate", "  ->  Seq Scan on t"])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT DISTINCT b FROM t"),
        lines(&["Unique", "  ->  Sort", "        Sort Key: b", "        ->  Seq Scan on t"])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT b, row_number() OVER (PARTITION BY b ORDER BY id) FROM t"),
        lines(&["WindowAgg", "  ->  Sort", "        Sort Key: b, id", "        ->  Seq Scan on t"])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN WITH w AS (SELECT * FROM t WHERE b = 1) SELECT count(*) FROM w"),
        lines(&[
            "Aggregate",
            "  CTE w",
            "    ->  Index Scan using t_b_idx on t",
            "          Index Cond: (b = 1)",
            "  ->  CTE Scan on w",
        ])
    );
    assert_eq!(
        plan(
            &mut s,
            "EXPLAIN WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) \
             SELECT * FROM r"
        ),
        lines(&[
            "CTE Scan on r",
            "  CTE r",
            "    ->  Recursive Union",
            "          ->  Result",
            "          ->  WorkTable Scan on r",
            "                Filter: (n < 10)",
        ])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT * FROM generate_series(1, 10) g WHERE g > 3"),
        lines(&["Function Scan on generate_series g", "  Filter: (g > 3)"])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN VALUES (1, 'a'), (2, 'b')"),
        lines(&["Values Scan on \"*VALUES*\""])
    );
    assert_eq!(plan(&mut s, "EXPLAIN SELECT 1"), lines(&["Result"]));
    assert_eq!(
        plan(
            &mut s,
            "EXPLAIN SELECT * FROM (SELECT b, count(*) c FROM t GROUP BY b) s WHERE c > 5"
        ),
        lines(&[
            "Subquery Scan on s",
            "  Filter: (c > 5)",
            "  ->  HashAggregate",
            "        Group Key: b",
            "        ->  Seq Scan on t",
        ])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT id FROM t UNION SELECT id FROM u"),
        lines(&[
            "HashAggregate",
            "  Group Key: id",
            "  ->  Append",
            "        ->  Seq Scan on t",
            "        ->  Seq Scan on u",
        ])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT id FROM t INTERSECT ALL SELECT id FROM u"),
        lines(&[
            "HashSetOp Intersect All",
            "  ->  Append",
            "        ->  Subquery Scan on \"*SELECT* 1\"",
            "              ->  Seq Scan on t",
            "        ->  Subquery Scan on \"*SELECT* 2\"",
            "              ->  Seq Scan on u",
        ])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT * FROM t WHERE b = (SELECT max(x) FROM u)"),
        lines(&[
            "Index Scan using t_b_idx on t",
            "  Index Cond: (t.b = $0)",
            "  InitPlan 1 (returns $0)",
            "    ->  Aggregate",
            "          ->  Seq Scan on u",
        ])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT * FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.tid = t.id)"),
        lines(&[
            "Seq Scan on t",
            "  Filter: (SubPlan 1)",
            "  SubPlan 1",
            "    ->  Seq Scan on u",
            "          Filter: (u.tid = t.id)",
        ])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN INSERT INTO t VALUES (5000, 1, 'x')"),
        lines(&["Insert on t", "  ->  Result"])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN UPDATE t SET b = 1 WHERE b = 2 AND name = 'z'"),
        lines(&[
            "Update on t",
            "  ->  Index Scan using t_b_idx on t",
            "        Index Cond: (b = 2)",
            "        Filter: (name = 'z'::text)",
        ])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN DELETE FROM t WHERE id = 7"),
        lines(&[
            "Delete on t",
            "  ->  Index Scan using t_pkey on t",
            "        Index Cond: (id = 7)"
        ])
    );
    // Nothing ran: the rows are all still there.
    assert_eq!(rows(&mut s, "SELECT count(*) FROM t"), vec![vec!["1000".to_string()]]);
}

#[test]
fn explain_analyze_counts_rows_per_node() {
    let db = open();
    let mut s = session(&db);
    rows(&mut s, SETUP);
    assert_eq!(
        plan(&mut s, "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT * FROM t WHERE id = 42"),
        lines(&["Index Scan using t_pkey on t (actual rows=1 loops=1)", "  Index Cond: (id = 42)"])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN (ANALYZE, TIMING OFF) SELECT * FROM t WHERE b = 3 AND id < 500"),
        lines(&[
            "Index Scan using t_b_idx on t (actual rows=50 loops=1)",
            "  Index Cond: (b = 3)",
            "  Filter: (id < 500)",
            "  Rows Removed by Filter: 50",
        ])
    );
    assert_eq!(
        plan(
            &mut s,
            "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, FORMAT TEXT) \
             SELECT b, count(*) FROM t JOIN u ON t.id = u.tid GROUP BY b"
        ),
        lines(&[
            "HashAggregate (actual rows=10 loops=1)",
            "  Group Key: t.b",
            "  Batches: 1  Memory Usage: NkB",
            "  ->  Hash Join (actual rows=297 loops=1)",
            "        Hash Cond: (t.id = u.tid)",
            "        ->  Seq Scan on t (actual rows=1000 loops=1)",
            "        ->  Hash (actual rows=300 loops=1)",
            "              Batches: 1  Memory Usage: NkB",
            "              ->  Seq Scan on u (actual rows=300 loops=1)",
        ])
    );
    // The sort hands the limit only the rows it asks for.
    assert_eq!(
        plan(
            &mut s,
            "EXPLAIN ANALYZE SELECT b, count(*) FROM t WHERE name <> 'n5' GROUP BY b \
             ORDER BY b LIMIT 3"
        ),
        lines(&[
            "Limit (actual rows=3 loops=1)",
            "  ->  Sort (actual rows=3 loops=1)",
            "        Sort Key: b",
            "        Sort Method: top-N heapsort  Memory: NkB",
            "        ->  HashAggregate (actual rows=10 loops=1)",
            "              Group Key: b",
            "              Batches: 1  Memory Usage: NkB",
            "              ->  Seq Scan on t (actual rows=999 loops=1)",
            "                    Filter: (name <> 'n5'::text)",
            "                    Rows Removed by Filter: 1",
        ])
    );
    // A correlated subquery runs once per outer row (loops), a recursive step once per
    // iteration.
    let explained = plan(
        &mut s,
        "EXPLAIN (ANALYZE, TIMING OFF) SELECT id FROM t WHERE id <= 4 \
         AND EXISTS (SELECT 1 FROM u WHERE u.tid = t.id)",
    );
    assert_eq!(
        explained.first().map(String::as_str),
        Some("Index Scan using t_pkey on t (actual rows=4 loops=1)")
    );
    assert!(
        explained.contains(&"    ->  Seq Scan on u (actual rows=3 loops=4)".to_string()),
        "{explained:?}"
    );
    assert_eq!(
        plan(
            &mut s,
            "EXPLAIN (ANALYZE, TIMING OFF) WITH RECURSIVE r(n) AS \
             (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT * FROM r"
        ),
        lines(&[
            "CTE Scan on r (actual rows=10 loops=1)",
            "  CTE r",
            "    ->  Recursive Union (actual rows=10 loops=1)",
            "          ->  Result (actual rows=1 loops=1)",
            "          ->  WorkTable Scan on r (actual rows=1 loops=10)",
            "                Filter: (n < 10)",
            "                Rows Removed by Filter: 0",
        ])
    );
    // The memory a sort held, as its work_mem reservation counted it.
    let sorted = rows(&mut s, "EXPLAIN ANALYZE SELECT name FROM t ORDER BY name");
    let method = sorted
        .iter()
        .filter_map(|r| r.first())
        .find_map(|l| l.trim().strip_prefix("Sort Method: quicksort  Memory: "))
        .and_then(|m| m.strip_suffix("kB"))
        .and_then(|m| m.parse::<u64>().ok());
    assert!(method.is_some_and(|kb| kb > 10), "{sorted:?}");
    // Timing: every node line has its times, and the summary follows.
    let full = rows(&mut s, "EXPLAIN ANALYZE SELECT count(*) FROM t");
    let full: Vec<String> = full.into_iter().filter_map(|r| r.into_iter().next()).collect();
    assert!(full.first().is_some_and(|l| l.starts_with("Aggregate (actual time=")), "{full:?}");
    assert!(full.iter().any(|l| l.starts_with("Planning Time: ") && l.ends_with(" ms")));
    assert!(full.iter().any(|l| l.starts_with("Execution Time: ") && l.ends_with(" ms")));
}

#[test]
fn explain_analyze_runs_dml_in_the_transaction() {
    let db = open();
    let mut s = session(&db);
    rows(&mut s, SETUP);
    assert_eq!(
        plan(
            &mut s,
            "EXPLAIN (ANALYZE, TIMING OFF) INSERT INTO t VALUES (5000, 1, 'x'), (5001, 2, 'y')"
        ),
        lines(&[
            "Insert on t (actual rows=0 loops=1)",
            "  ->  Values Scan on \"*VALUES*\" (actual rows=2 loops=1)",
        ])
    );
    assert_eq!(rows(&mut s, "SELECT count(*) FROM t"), vec![vec!["1002".to_string()]]);
    rows(&mut s, "BEGIN");
    assert_eq!(
        plan(&mut s, "EXPLAIN (ANALYZE, TIMING OFF) DELETE FROM t WHERE id >= 5000 RETURNING id"),
        lines(&[
            "Delete on t (actual rows=2 loops=1)",
            "  ->  Index Scan using t_pkey on t (actual rows=2 loops=1)",
            "        Index Cond: (id >= 5000)",
        ])
    );
    assert_eq!(rows(&mut s, "SELECT count(*) FROM t"), vec![vec!["1000".to_string()]]);
    rows(&mut s, "ROLLBACK");
    assert_eq!(rows(&mut s, "SELECT count(*) FROM t"), vec![vec!["1002".to_string()]]);
    assert_eq!(
        plan(
            &mut s,
            "EXPLAIN (ANALYZE, TIMING OFF) UPDATE t SET b = b + 1 WHERE b = 1 AND id > 990"
        ),
        lines(&[
            "Update on t (actual rows=0 loops=1)",
            "  ->  Index Scan using t_b_idx on t (actual rows=2 loops=1)",
            "        Index Cond: (b = 1)",
            "        Filter: (id > 990)",
            "        Rows Removed by Filter: 99",
        ])
    );
    assert_eq!(
        rows(&mut s, "SELECT id, b FROM t WHERE id IN (991, 5000) ORDER BY id"),
        vec![vec!["991".to_string(), "2".to_string()], vec!["5000".to_string(), "2".to_string()]]
    );
    // A read-only transaction refuses EXPLAIN ANALYZE of a write, but not plain EXPLAIN.
    rows(&mut s, "BEGIN READ ONLY");
    assert_eq!(
        plan(&mut s, "EXPLAIN DELETE FROM t"),
        lines(&["Delete on t", "  ->  Seq Scan on t"])
    );
    assert_eq!(error(&mut s, "EXPLAIN ANALYZE DELETE FROM t").0, "25006");
    rows(&mut s, "ROLLBACK");
}

#[test]
fn explain_verbose_and_options() {
    let db = open();
    let mut s = session(&db);
    rows(&mut s, SETUP);
    assert_eq!(
        plan(&mut s, "EXPLAIN VERBOSE SELECT b, count(*) FROM t WHERE name LIKE 'n1%' GROUP BY b"),
        lines(&[
            "HashAggregate",
            "  Output: t.b, count(*)",
            "  Group Key: t.b",
            "  ->  Seq Scan on public.t",
            "        Output: t.id, t.b, t.name",
            "        Filter: (t.name ~~ 'n1%'::text)",
        ])
    );
    let columns = match s.parse("EXPLAIN SELECT 1").map(|mut v| v.remove(0)) {
        Ok(statement) => s.prepare("EXPLAIN SELECT 1", statement, &[]).expect("prepare").columns,
        Err(err) => panic!("{err:?}"),
    };
    assert_eq!(columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), vec!["QUERY PLAN"]);
    assert_eq!(error(&mut s, "EXPLAIN (FORMAT JSON) SELECT 1").0, "0A000");
    assert_eq!(
        error(&mut s, "EXPLAIN (FOO) SELECT 1"),
        ("42601", "unrecognized EXPLAIN option \"foo\"".to_string())
    );
    assert_eq!(
        error(&mut s, "EXPLAIN (TIMING) SELECT 1"),
        ("22023", "EXPLAIN option TIMING requires ANALYZE".to_string())
    );
    assert_eq!(error(&mut s, "EXPLAIN CREATE TABLE z (a int)").0, "0A000");
    // SUMMARY OFF drops the time lines.
    assert_eq!(
        rows(&mut s, "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY OFF) SELECT 1"),
        vec![vec!["Result (actual rows=1 loops=1)".to_string()]]
    );
}

#[test]
fn work_mem_bounds_what_a_query_holds() {
    let db = open();
    let mut s = session(&db);
    assert_eq!(rows(&mut s, "SHOW work_mem"), vec![vec!["64MB".to_string()]]);
    let queries = [
        "SELECT count(*) FROM (SELECT g FROM generate_series(1, 200000) g ORDER BY g DESC) s",
        "SELECT count(*) FROM (SELECT g % 100000 AS k, count(*) FROM generate_series(1, 200000) g \
         GROUP BY 1) s",
        "SELECT count(*) FROM generate_series(1, 100000) a JOIN generate_series(1, 100000) b \
         ON a = b",
        "SELECT count(*) FROM (SELECT DISTINCT g FROM generate_series(1, 200000) g) s",
        "SELECT count(*) FROM (SELECT g FROM generate_series(1, 200000) g UNION SELECT 1) s",
        "SELECT count(*) FROM (SELECT row_number() OVER () FROM generate_series(1, 200000) g) s",
        "WITH w AS (SELECT g FROM generate_series(1, 200000) g) \
         SELECT count(*) FROM w a JOIN w b ON a.g = b.g",
    ];
    rows(&mut s, "SET work_mem = '1MB'");
    assert_eq!(rows(&mut s, "SHOW work_mem"), vec![vec!["1MB".to_string()]]);
    for query in queries {
        let err = run(&mut s, query).expect_err(query);
        assert_eq!(err.code, "53200", "{query}");
        assert_eq!(err.message, "out of memory");
        assert!(
            err.detail.as_deref().is_some_and(|d| d.starts_with("The query needs more than 1MB")),
            "{err:?}"
        );
        // The session carries on.
        assert_eq!(rows(&mut s, "SELECT 1"), vec![vec!["1".to_string()]]);
    }
    // Inside a transaction block the failure aborts the block, as any error does.
    rows(&mut s, "BEGIN");
    assert_eq!(error(&mut s, queries[0]).0, "53200");
    assert_eq!(error(&mut s, "SELECT 1").0, "25P02");
    rows(&mut s, "ROLLBACK");
    rows(&mut s, "RESET work_mem");
    let expected = ["200000", "100000", "100000", "200000", "200000", "200000", "200000"];
    for (query, count) in queries.iter().zip(expected) {
        assert_eq!(rows(&mut s, query), vec![vec![count.to_string()]], "{query}");
    }
    // Values as PostgreSQL takes and shows them.
    rows(&mut s, "SET work_mem = 2048");
    assert_eq!(rows(&mut s, "SHOW work_mem"), vec![vec!["2MB".to_string()]]);
    rows(&mut s, "SET work_mem TO '1536kB'");
    assert_eq!(rows(&mut s, "SHOW work_mem"), vec![vec!["1536kB".to_string()]]);
    assert_eq!(
        error(&mut s, "SET work_mem = 10"),
        (
            "22023",
            "10 kB is outside the valid range for parameter \"work_mem\" (64 .. 2147483647)"
                .to_string()
        )
    );
    assert_eq!(error(&mut s, "SET work_mem = '1mb'").0, "22023");
}

#[test]
fn order_by_a_key_reads_in_index_order_and_stops_at_the_limit() {
    let db = open();
    let mut s = session(&db);
    rows(&mut s, SETUP);
    rows(&mut s, "INSERT INTO t VALUES (0, NULL, 'none'), (1001, NULL, 'none2')");
    assert_eq!(
        plan(&mut s, "EXPLAIN (ANALYZE, TIMING OFF) SELECT id FROM t ORDER BY id LIMIT 3"),
        lines(&[
            "Limit (actual rows=3 loops=1)",
            "  ->  Index Scan using t_pkey on t (actual rows=3 loops=1)",
        ])
    );
    assert_eq!(
        rows(&mut s, "SELECT id FROM t ORDER BY id LIMIT 3"),
        vec![vec!["0".to_string()], vec!["1".to_string()], vec!["2".to_string()]]
    );
    assert_eq!(
        plan(
            &mut s,
            "EXPLAIN (ANALYZE, TIMING OFF) SELECT id FROM t WHERE id > 500 AND name <> 'n502' \
             ORDER BY id LIMIT 2"
        ),
        lines(&[
            "Limit (actual rows=2 loops=1)",
            "  ->  Index Scan using t_pkey on t (actual rows=2 loops=1)",
            "        Index Cond: (id > 500)",
            "        Filter: (name <> 'n502'::text)",
            "        Rows Removed by Filter: 1",
        ])
    );
    // Through a secondary index (NULLs last, as ASC wants) when there is a LIMIT.
    assert_eq!(
        plan(&mut s, "EXPLAIN (ANALYZE, TIMING OFF) SELECT id FROM t ORDER BY b, id LIMIT 2"),
        lines(&[
            "Limit (actual rows=2 loops=1)",
            "  ->  Index Scan using t_b_idx on t (actual rows=2 loops=1)",
        ])
    );
    assert_eq!(
        rows(&mut s, "SELECT id FROM t ORDER BY b, id LIMIT 2"),
        vec![vec!["10".to_string()], vec!["20".to_string()]]
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT id FROM t ORDER BY b, name LIMIT 2"),
        lines(&["Limit", "  ->  Sort", "        Sort Key: b, name", "        ->  Seq Scan on t"])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT id FROM t ORDER BY id, name LIMIT 2"),
        lines(&["Limit", "  ->  Index Scan using t_pkey on t"])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN (ANALYZE, TIMING OFF) SELECT b FROM t ORDER BY b LIMIT 2"),
        lines(&[
            "Limit (actual rows=2 loops=1)",
            "  ->  Index Scan using t_b_idx on t (actual rows=2 loops=1)",
        ])
    );
    assert_eq!(
        rows(&mut s, "SELECT b FROM t ORDER BY b OFFSET 999 LIMIT 5"),
        vec![vec!["9".to_string()], vec!["NULL".to_string()], vec!["NULL".to_string()]]
    );
    // Without LIMIT a secondary-index order is not worth it; descending order reads backwards.
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT b FROM t ORDER BY b"),
        lines(&["Sort", "  Sort Key: b", "  ->  Seq Scan on t"])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT id FROM t ORDER BY id"),
        lines(&["Index Scan using t_pkey on t"])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT id FROM t ORDER BY id DESC LIMIT 1"),
        lines(&["Limit", "  ->  Index Scan Backward using t_pkey on t"])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN ANALYZE SELECT id FROM t ORDER BY id DESC LIMIT 2"),
        lines(&[
            "Limit (actual rows=2 loops=1)",
            "  ->  Index Scan Backward using t_pkey on t (actual rows=2 loops=1)",
        ])
    );
    // Mixed directions cannot follow the key: they sort.
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT id FROM t ORDER BY id DESC NULLS LAST LIMIT 1"),
        lines(&[
            "Limit",
            "  ->  Sort",
            "        Sort Key: id DESC NULLS LAST",
            "        ->  Seq Scan on t"
        ])
    );
    // ORDER BY ... LIMIT keeps only the rows it returns: fine under a small work_mem.
    rows(&mut s, "SET work_mem = '1MB'");
    assert_eq!(
        rows(
            &mut s,
            "SELECT g FROM generate_series(1, 200000) g ORDER BY g % 1000 DESC, g LIMIT 2 OFFSET 1"
        ),
        vec![vec!["1999".to_string()], vec!["2999".to_string()]]
    );
    assert_eq!(
        rows(&mut s, "SELECT id FROM t ORDER BY id DESC LIMIT 2"),
        vec![vec!["1001".to_string()], vec!["1000".to_string()]]
    );
}

#[test]
fn explain_shows_index_nested_loop_joins_and_reordered_chains() {
    let db = open();
    let mut s = session(&db);
    rows(&mut s, SETUP);
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT * FROM u JOIN t ON t.id = u.tid WHERE u.id = 5"),
        lines(&[
            "Nested Loop",
            "  ->  Index Scan using u_pkey on u",
            "        Index Cond: (u.id = 5)",
            "  ->  Index Scan using t_pkey on t",
            "        Index Cond: (t.id = u.tid)",
        ])
    );
    // One lookup per outer row: loops counts them.
    assert_eq!(
        plan(
            &mut s,
            "EXPLAIN (ANALYZE, TIMING OFF) SELECT * FROM u LEFT JOIN t ON t.b = u.tid \
             AND t.name LIKE 'n1%' WHERE u.id < 3"
        ),
        lines(&[
            "Nested Loop Left Join (actual rows=23 loops=1)",
            "  ->  Index Scan using u_pkey on u (actual rows=2 loops=1)",
            "        Index Cond: (u.id < 3)",
            "  ->  Index Scan using t_b_idx on t (actual rows=12 loops=2)",
            "        Index Cond: (t.b = u.tid)",
            "        Filter: (t.name ~~ 'n1%'::text)",
            "        Rows Removed by Filter: 89",
        ])
    );
    // Too many outer rows: the executor hash-joins instead, and ANALYZE shows what ran.
    assert_eq!(
        plan(&mut s, "EXPLAIN SELECT count(*) FROM u JOIN t ON t.id = u.tid"),
        lines(&[
            "Aggregate",
            "  ->  Nested Loop",
            "        ->  Seq Scan on u",
            "        ->  Index Scan using t_pkey on t",
            "              Index Cond: (t.id = u.tid)",
        ])
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN (ANALYZE, TIMING OFF) SELECT count(*) FROM u JOIN t ON t.id = u.tid"),
        lines(&[
            "Aggregate (actual rows=1 loops=1)",
            "  ->  Hash Join (actual rows=297 loops=1)",
            "        Hash Cond: (u.tid = t.id)",
            "        ->  Seq Scan on u (actual rows=300 loops=1)",
            "        ->  Hash (actual rows=1000 loops=1)",
            "              Batches: 1  Memory Usage: NkB",
            "              ->  Seq Scan on t (actual rows=1000 loops=1)",
        ])
    );
    // A comma list joined in another order keeps its tables' names.
    assert_eq!(
        plan(
            &mut s,
            "EXPLAIN (ANALYZE, TIMING OFF) SELECT count(*) FROM t a, u, t b \
             WHERE a.id = u.tid AND b.id = u.id AND a.b = 3"
        ),
        lines(&[
            "Aggregate (actual rows=1 loops=1)",
            "  ->  Hash Join (actual rows=30 loops=1)",
            "        Hash Cond: (u.id = b.id)",
            "        ->  Hash Join (actual rows=30 loops=1)",
            "              Hash Cond: (a.id = u.tid)",
            "              ->  Index Scan using t_b_idx on t a (actual rows=100 loops=1)",
            "                    Index Cond: (a.b = 3)",
            "              ->  Hash (actual rows=300 loops=1)",
            "                    Batches: 1  Memory Usage: NkB",
            "                    ->  Seq Scan on u (actual rows=300 loops=1)",
            "        ->  Hash (actual rows=1000 loops=1)",
            "              Batches: 1  Memory Usage: NkB",
            "              ->  Seq Scan on t b (actual rows=1000 loops=1)",
        ])
    );
}
