#!/usr/bin/env python3
"""psycopg2 client check: CRUD with parameters, a rolled-back and a committed transaction, and
SQLSTATE 23505 on a duplicate primary key. Server from PGHOST/PGPORT/PGUSER/PGDATABASE
(defaults 127.0.0.1, 5432, quorumdb, quorumdb; PGPASSWORD if set). Exits non-zero on any
mismatch. psycopg2 sends simple Query messages with client-side parameter interpolation."""
import os
import sys

import psycopg2
import psycopg2.errors

TABLE = "clients_psycopg2"


def check(what, got, want):
    if got != want:
        print(f"psycopg2: FAIL {what}: got {got!r}, want {want!r}", file=sys.stderr)
        sys.exit(1)


def main():
    conn = psycopg2.connect(
        host=os.environ.get("PGHOST", "127.0.0.1"),
        port=int(os.environ.get("PGPORT", "5432")),
        user=os.environ.get("PGUSER", "quorumdb"),
        dbname=os.environ.get("PGDATABASE", "quorumdb"),
        password=os.environ.get("PGPASSWORD") or None,
        connect_timeout=10,
    )
    cur = conn.cursor()
    # DDL (psycopg2 opens a transaction implicitly; commit it).
    cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
    cur.execute(f"CREATE TABLE {TABLE} (id int PRIMARY KEY, name text NOT NULL, score int)")
    conn.commit()

    # INSERT with parameters (including a quote, non-ASCII text and NULL).
    rows = [(1, "alice", 10), (2, "bob's ✓", 20), (3, "carol", None)]
    for row in rows:
        cur.execute(f"INSERT INTO {TABLE} (id, name, score) VALUES (%s, %s, %s)", row)
        check("INSERT rowcount", cur.rowcount, 1)
    conn.commit()

    # SELECT with parameters.
    cur.execute(f"SELECT name, score FROM {TABLE} WHERE id = %s", (2,))
    check("SELECT by id", cur.fetchall(), [("bob's ✓", 20)])
    cur.execute(f"SELECT id FROM {TABLE} WHERE score > %s OR name = %s ORDER BY id", (15, "carol"))
    check("SELECT with two params", cur.fetchall(), [(2,), (3,)])
    cur.execute(f"SELECT score FROM {TABLE} WHERE id = %s", (3,))
    check("SELECT NULL", cur.fetchone(), (None,))

    # UPDATE and DELETE with parameters.
    cur.execute(f"UPDATE {TABLE} SET score = score + %s WHERE id = %s", (5, 1))
    check("UPDATE rowcount", cur.rowcount, 1)
    cur.execute(f"DELETE FROM {TABLE} WHERE id = %s", (3,))
    check("DELETE rowcount", cur.rowcount, 1)
    conn.commit()
    cur.execute(f"SELECT id, name, score FROM {TABLE} ORDER BY id")
    check("rows after UPDATE/DELETE", cur.fetchall(), [(1, "alice", 15), (2, "bob's ✓", 20)])
    conn.commit()

    # A transaction that is rolled back leaves nothing behind.
    cur.execute(f"INSERT INTO {TABLE} VALUES (%s, %s, %s)", (10, "temp", 1))
    cur.execute(f"UPDATE {TABLE} SET score = 0 WHERE id = %s", (1,))
    cur.execute(f"SELECT count(*) FROM {TABLE}")
    check("count inside transaction", cur.fetchone()[0], 3)
    conn.rollback()
    cur.execute(f"SELECT id, score FROM {TABLE} ORDER BY id")
    check("rows after ROLLBACK", cur.fetchall(), [(1, 15), (2, 20)])
    conn.commit()

    # A committed transaction is visible from a second connection.
    cur.execute(f"INSERT INTO {TABLE} VALUES (%s, %s, %s)", (4, "dave", 40))
    conn.commit()
    other = psycopg2.connect(conn.dsn, password=os.environ.get("PGPASSWORD") or None)
    ocur = other.cursor()
    ocur.execute(f"SELECT name FROM {TABLE} WHERE id = %s", (4,))
    check("committed row seen by another connection", ocur.fetchall(), [("dave",)])
    other.close()

    # Duplicate primary key: SQLSTATE 23505, then the transaction is aborted until ROLLBACK.
    try:
        cur.execute(f"INSERT INTO {TABLE} VALUES (%s, %s, %s)", (1, "dup", 0))
        print("psycopg2: FAIL duplicate key INSERT succeeded", file=sys.stderr)
        sys.exit(1)
    except psycopg2.Error as e:
        check("duplicate key SQLSTATE", e.pgcode, "23505")
        check("duplicate key exception class", type(e).__name__, "UniqueViolation")
    try:
        cur.execute("SELECT 1")
        print("psycopg2: FAIL statement after an error ran outside an aborted transaction", file=sys.stderr)
        sys.exit(1)
    except psycopg2.Error as e:
        check("statement in aborted transaction SQLSTATE", e.pgcode, "25P02")
    conn.rollback()
    cur.execute(f"SELECT count(*) FROM {TABLE}")
    check("count after failed INSERT", cur.fetchone()[0], 3)

    cur.execute(f"DROP TABLE {TABLE}")
    conn.commit()
    conn.close()
    print("psycopg2: ok")


if __name__ == "__main__":
    main()
