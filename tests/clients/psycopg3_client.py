#!/usr/bin/env python3
"""psycopg 3 client check: CRUD with parameters, transactions (rolled back, committed, nested
savepoints), SQLSTATEs on errors, text and binary parameters and results, a Python list bound to
`= ANY(%s)`, executemany (pipelined) and COPY. Server from PGHOST/PGPORT/PGUSER/PGDATABASE
(defaults 127.0.0.1, 5432, quorumdb, quorumdb; PGPASSWORD if set). Exits non-zero on any
mismatch.

Unlike psycopg2, psycopg 3 binds parameters on the server: every query with parameters is
Parse/Bind/Execute with `$n` placeholders (unnamed statements; named prepared statements once a
query has run `prepare_threshold` times or with `prepare=True`). `%t` sends a parameter as text,
`%b` as binary and `%s` lets psycopg choose; `binary=True` asks for binary result columns."""
import datetime
import os
import sys
from decimal import Decimal

import psycopg
import psycopg.errors

TABLE = "clients_psycopg3"


def check(what, got, want):
    if got != want:
        print(f"psycopg3: FAIL {what}: got {got!r}, want {want!r}", file=sys.stderr)
        sys.exit(1)


def expect_error(what, sqlstate, cls, run):
    """Runs `run()`, which must raise a psycopg error with this SQLSTATE and class."""
    try:
        run()
    except psycopg.Error as e:
        check(f"{what} SQLSTATE", e.sqlstate, sqlstate)
        check(f"{what} exception class", type(e).__name__, cls.__name__)
        check(f"{what} diag.sqlstate", e.diag.sqlstate, sqlstate)
        return e
    print(f"psycopg3: FAIL {what} succeeded, want SQLSTATE {sqlstate}", file=sys.stderr)
    sys.exit(1)


def connect(**options):
    return psycopg.connect(
        host=os.environ.get("PGHOST", "127.0.0.1"),
        port=int(os.environ.get("PGPORT", "5432")),
        user=os.environ.get("PGUSER", "quorumdb"),
        dbname=os.environ.get("PGDATABASE", "quorumdb"),
        password=os.environ.get("PGPASSWORD") or None,
        connect_timeout=10,
        **options,
    )


def crud(conn):
    """INSERT/SELECT/UPDATE/DELETE with parameters; psycopg 3 opens a transaction implicitly."""
    with conn.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cur.execute(
            f"CREATE TABLE {TABLE} (id int PRIMARY KEY, name text NOT NULL, score bigint,"
            " price numeric(10,2), ok boolean, born date, seen timestamptz, data bytea,"
            " tags text[])"
        )
        conn.commit()

        rows = [(1, "alice", 10), (2, "bob's ✓", 20), (3, "carol", None)]
        for row in rows:
            cur.execute(f"INSERT INTO {TABLE} (id, name, score) VALUES (%s, %s, %s)", row)
            check("INSERT rowcount", cur.rowcount, 1)
            check("INSERT statusmessage", cur.statusmessage, "INSERT 0 1")
        conn.commit()

        cur.execute(f"SELECT name, score FROM {TABLE} WHERE id = %s", (2,))
        check("SELECT by id", cur.fetchall(), [("bob's ✓", 20)])
        cur.execute(
            f"SELECT id FROM {TABLE} WHERE score > %(min)s OR name = %(name)s ORDER BY id",
            {"min": 15, "name": "carol"},
        )
        check("SELECT with named params", cur.fetchall(), [(2,), (3,)])
        cur.execute(f"SELECT score FROM {TABLE} WHERE id = %s", (3,))
        check("SELECT NULL", cur.fetchone(), (None,))
        check("column names", [d.name for d in cur.description], ["score"])
        check("column type oid (int8)", cur.description[0].type_code, 20)

        cur.execute(f"UPDATE {TABLE} SET score = score + %s WHERE id = %s", (5, 1))
        check("UPDATE rowcount", cur.rowcount, 1)
        cur.execute(f"DELETE FROM {TABLE} WHERE id = %s", (3,))
        check("DELETE rowcount", cur.rowcount, 1)
        conn.commit()
        cur.execute(f"SELECT id, name, score FROM {TABLE} ORDER BY id")
        check("rows after UPDATE/DELETE", cur.fetchall(), [(1, "alice", 15), (2, "bob's ✓", 20)])
        conn.commit()


def transactions(conn):
    """Rollback, `with conn.transaction()` (commit and rollback on exception), savepoints."""
    with conn.cursor() as cur:
        cur.execute(f"INSERT INTO {TABLE} (id, name, score) VALUES (%s, %s, %s)", (10, "temp", 1))
        cur.execute(f"UPDATE {TABLE} SET score = 0 WHERE id = %s", (1,))
        cur.execute(f"SELECT count(*) FROM {TABLE}")
        check("count inside transaction", cur.fetchone()[0], 3)
        conn.rollback()
        cur.execute(f"SELECT id, score FROM {TABLE} ORDER BY id")
        check("rows after rollback()", cur.fetchall(), [(1, 15), (2, 20)])
        conn.commit()

    class Abort(Exception):
        pass

    # A transaction block left by an exception is rolled back.
    try:
        with conn.transaction():
            conn.execute(f"INSERT INTO {TABLE} (id, name) VALUES (%s, %s)", (11, "gone"))
            raise Abort()
    except Abort:
        pass
    check("row after an aborted transaction block",
          conn.execute(f"SELECT count(*) FROM {TABLE} WHERE id = 11").fetchone(), (0,))

    # Nested blocks are savepoints: the inner one is rolled back, the outer one commits.
    with conn.transaction():
        conn.execute(f"INSERT INTO {TABLE} (id, name, score) VALUES (%s, %s, %s)", (4, "dave", 40))
        try:
            with conn.transaction():
                conn.execute(f"UPDATE {TABLE} SET score = -1 WHERE id = %s", (4,))
                raise Abort()
        except Abort:
            pass
        # A failed statement inside a savepoint leaves the outer transaction usable.
        try:
            with conn.transaction():
                conn.execute(f"INSERT INTO {TABLE} (id, name) VALUES (%s, %s)", (1, "dup"))
        except psycopg.errors.UniqueViolation:
            pass
    conn.commit()

    # The committed row is visible from a second connection.
    with connect() as other:
        check("committed row seen by another connection",
              other.execute(f"SELECT name, score FROM {TABLE} WHERE id = %s", (4,)).fetchall(),
              [("dave", 40)])


def errors(conn):
    """SQLSTATEs, the aborted-transaction state and recovery."""
    e = expect_error("duplicate key", "23505", psycopg.errors.UniqueViolation,
                     lambda: conn.execute(f"INSERT INTO {TABLE} (id, name) VALUES (%s, %s)", (1, "dup")))
    check("duplicate key constraint name", e.diag.constraint_name, f"{TABLE}_pkey")
    expect_error("statement in aborted transaction", "25P02", psycopg.errors.InFailedSqlTransaction,
                 lambda: conn.execute("SELECT 1"))
    conn.rollback()
    expect_error("NOT NULL", "23502", psycopg.errors.NotNullViolation,
                 lambda: conn.execute(f"INSERT INTO {TABLE} (id, name) VALUES (%s, %s)", (9, None)))
    conn.rollback()
    expect_error("undefined table", "42P01", psycopg.errors.UndefinedTable,
                 lambda: conn.execute("SELECT * FROM clients_psycopg3_missing"))
    conn.rollback()
    expect_error("division by zero", "22012", psycopg.errors.DivisionByZero,
                 lambda: conn.execute("SELECT 1 / %s", (0,)))
    conn.rollback()
    expect_error("bad integer text", "22P02", psycopg.errors.InvalidTextRepresentation,
                 lambda: conn.execute("SELECT %s::int", ("x",)))
    conn.rollback()
    check("count after errors", conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone(), (3,))
    conn.commit()


VALUES = (
    5,
    "ünïcode ✓",
    -9007199254740993,
    Decimal("12345678.91"),
    True,
    datetime.date(2024, 2, 29),
    datetime.datetime(2024, 2, 29, 12, 34, 56, 789012, tzinfo=datetime.timezone.utc),
    b"\x00\x01\xfe\xff",
    ["a", None, "c d"],
)


def formats(conn):
    """The same row written and read with text parameters, binary parameters, text results and
    binary results."""
    cols = "id, name, score, price, ok, born, seen, data, tags"
    for placeholder in ("%t", "%b", "%s"):
        conn.execute(f"DELETE FROM {TABLE} WHERE id = 5")
        marks = ", ".join([placeholder] * len(VALUES))
        conn.execute(f"INSERT INTO {TABLE} ({cols}) VALUES ({marks})", VALUES)
        for binary in (False, True):
            with conn.cursor(binary=binary) as cur:
                cur.execute(f"SELECT {cols} FROM {TABLE} WHERE id = {placeholder}", (5,))
                row = cur.fetchone()
                check(f"row with {placeholder} params, binary={binary}", row, VALUES)
                check(f"result column formats, binary={binary}",
                      [cur.pgresult.fformat(i) for i in range(len(VALUES))], [int(binary)] * len(VALUES))
                cur.execute(f"SELECT {cols} FROM {TABLE} WHERE id = %s", (5,), binary=not binary)
                check(f"row with execute(binary={not binary})", cur.fetchone(), VALUES)
        conn.commit()

    # Computed values come back the same in both formats too.
    query = ("SELECT %s::int + 1, %s::text || 'x', %s::numeric * 2, %s::float8 / 4, NULL::int,"
             " ARRAY[1, 2, NULL]::int[], %s::date + 1")
    params = (41, "y", Decimal("1.25"), 1.0, datetime.date(2023, 12, 31))
    want = (42, "yx", Decimal("2.50"), 0.25, None, [1, 2, None], datetime.date(2024, 1, 1))
    for binary in (False, True):
        check(f"computed values, binary={binary}",
              conn.cursor(binary=binary).execute(query, params).fetchone(), want)
    conn.commit()


def arrays(conn):
    """A Python list bound as an array parameter: `= ANY(%s)`, and array columns."""
    check("= ANY(list)",
          conn.execute(f"SELECT id FROM {TABLE} WHERE id = ANY(%s) ORDER BY id", ([1, 4, 99],)).fetchall(),
          [(1,), (4,)])
    check("= ANY(list of text)",
          conn.execute(f"SELECT id FROM {TABLE} WHERE name = ANY(%s) ORDER BY id",
                       (["alice", "dave", "nobody"],)).fetchall(),
          [(1,), (4,)])
    check("= ANY(empty list)",
          conn.execute(f"SELECT count(*) FROM {TABLE} WHERE id = ANY(%s)", ([],)).fetchone(), (0,))
    for binary in (False, True):
        check(f"= ANY(list) with binary={binary}",
              conn.cursor(binary=binary).execute(
                  f"SELECT id FROM {TABLE} WHERE id = ANY(%b) ORDER BY id", ([2, 4],)).fetchall(),
              [(2,), (4,)])
    check("array_agg",
          conn.execute(f"SELECT array_agg(id ORDER BY id) FROM {TABLE} WHERE id < %s", (5,)).fetchone(),
          ([1, 2, 4],))
    conn.commit()


def many_and_copy(conn):
    """executemany (psycopg pipelines it), a prepared statement, COPY in and out."""
    with conn.cursor() as cur:
        cur.executemany(f"INSERT INTO {TABLE} (id, name, score) VALUES (%s, %s, %s)",
                        [(100 + i, f"bulk{i}", i) for i in range(50)])
        cur.execute(f"SELECT count(*), sum(score) FROM {TABLE} WHERE id >= 100")
        check("executemany rows", cur.fetchone(), (50, sum(range(50))))
        # prepare=True: a named server-side prepared statement, executed several times.
        for i in range(3):
            cur.execute(f"SELECT name FROM {TABLE} WHERE id = %s", (100 + i,), prepare=True)
            check(f"prepared execution {i}", cur.fetchone(), (f"bulk{i}",))
        with cur.copy(f"COPY {TABLE} (id, name, score) FROM STDIN") as copy:
            for i in range(200, 210):
                copy.write_row((i, f"copied {i}", None if i % 2 else i))
        cur.execute(f"SELECT count(*), count(score) FROM {TABLE} WHERE id >= 200")
        check("COPY FROM STDIN rows", cur.fetchone(), (10, 5))
        with cur.copy(f"COPY (SELECT id, name, score FROM {TABLE} WHERE id BETWEEN 200 AND 202 ORDER BY id) TO STDOUT") as copy:
            got = [tuple(r) for r in copy.rows()]
        check("COPY TO STDOUT rows", got, [("200", "copied 200", "200"), ("201", "copied 201", None),
                                           ("202", "copied 202", "202")])
        cur.execute(f"DELETE FROM {TABLE} WHERE id >= 100")
        check("DELETE bulk rowcount", cur.rowcount, 60)
    conn.commit()


def autocommit():
    """An autocommit connection: each statement commits on its own."""
    with connect(autocommit=True) as conn:
        conn.execute(f"UPDATE {TABLE} SET score = score + 1 WHERE id = %s", (2,))
        with connect() as other:
            check("autocommit update seen by another connection",
                  other.execute(f"SELECT score FROM {TABLE} WHERE id = 2").fetchone(), (21,))
        check("server_version reported", conn.info.server_version >= 150000, True)
        conn.execute(f"DROP TABLE {TABLE}")


def main():
    with connect() as conn:
        crud(conn)
        transactions(conn)
        errors(conn)
        formats(conn)
        arrays(conn)
        many_and_copy(conn)
    autocommit()
    print("psycopg3: ok")


if __name__ == "__main__":
    main()
