#!/usr/bin/env python3
"""asyncpg client check: CRUD with parameters, a rolled-back and a committed transaction, and
SQLSTATE 23505 on a duplicate primary key. Server from PGHOST/PGPORT/PGUSER/PGDATABASE
(defaults 127.0.0.1, 5432, quorumdb, quorumdb; PGPASSWORD if set). Exits non-zero on any
mismatch. asyncpg uses named prepared statements, Describe + Flush, binary parameters and
binary results."""
import asyncio
import os
import sys

import asyncpg

TABLE = "clients_asyncpg"


def check(what, got, want):
    if got != want:
        print(f"asyncpg: FAIL {what}: got {got!r}, want {want!r}", file=sys.stderr)
        sys.exit(1)


async def main():
    params = dict(
        host=os.environ.get("PGHOST", "127.0.0.1"),
        port=int(os.environ.get("PGPORT", "5432")),
        user=os.environ.get("PGUSER", "quorumdb"),
        database=os.environ.get("PGDATABASE", "quorumdb"),
        password=os.environ.get("PGPASSWORD") or None,
        ssl=False,
        timeout=10,
    )
    conn = await asyncpg.connect(**params)
    await conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
    await conn.execute(f"CREATE TABLE {TABLE} (id int PRIMARY KEY, name text NOT NULL, score bigint)")

    # INSERT with parameters (including a quote, non-ASCII text and NULL).
    for row in [(1, "alice", 10), (2, "bob's ✓", 20), (3, "carol", None)]:
        status = await conn.execute(f"INSERT INTO {TABLE} (id, name, score) VALUES ($1, $2, $3)", *row)
        check("INSERT status", status, "INSERT 0 1")

    # SELECT with parameters (fetch, fetchrow with maxrows=1, fetchval).
    rows = await conn.fetch(f"SELECT name, score FROM {TABLE} WHERE id = $1", 2)
    check("SELECT by id", [tuple(r) for r in rows], [("bob's ✓", 20)])
    rows = await conn.fetch(f"SELECT id FROM {TABLE} WHERE score > $1 OR name = $2 ORDER BY id", 15, "carol")
    check("SELECT with two params", [r["id"] for r in rows], [2, 3])
    row = await conn.fetchrow(f"SELECT id, name FROM {TABLE} WHERE id >= $1 ORDER BY id", 1)
    check("fetchrow", tuple(row), (1, "alice"))
    check("fetchval NULL", await conn.fetchval(f"SELECT score FROM {TABLE} WHERE id = $1", 3), None)

    # UPDATE and DELETE with parameters.
    check("UPDATE status", await conn.execute(f"UPDATE {TABLE} SET score = score + $1 WHERE id = $2", 5, 1), "UPDATE 1")
    check("DELETE status", await conn.execute(f"DELETE FROM {TABLE} WHERE id = $1", 3), "DELETE 1")
    rows = await conn.fetch(f"SELECT id, name, score FROM {TABLE} ORDER BY id")
    check("rows after UPDATE/DELETE", [tuple(r) for r in rows], [(1, "alice", 15), (2, "bob's ✓", 20)])

    # A transaction that is rolled back (by an exception) leaves nothing behind.
    class Abort(Exception):
        pass

    try:
        async with conn.transaction():
            await conn.execute(f"INSERT INTO {TABLE} VALUES ($1, $2, $3)", 10, "temp", 1)
            await conn.execute(f"UPDATE {TABLE} SET score = 0 WHERE id = $1", 1)
            check("count inside transaction", await conn.fetchval(f"SELECT count(*) FROM {TABLE}"), 3)
            raise Abort()
    except Abort:
        pass
    rows = await conn.fetch(f"SELECT id, score FROM {TABLE} ORDER BY id")
    check("rows after ROLLBACK", [tuple(r) for r in rows], [(1, 15), (2, 20)])

    # A committed transaction is visible from a second connection.
    async with conn.transaction():
        await conn.execute(f"INSERT INTO {TABLE} VALUES ($1, $2, $3)", 4, "dave", 40)
    other = await asyncpg.connect(**params)
    check("committed row seen by another connection",
          await other.fetchval(f"SELECT name FROM {TABLE} WHERE id = $1", 4), "dave")
    await other.close()

    # Duplicate primary key: SQLSTATE 23505 (UniqueViolationError); inside a transaction, the
    # transaction is rolled back.
    try:
        await conn.execute(f"INSERT INTO {TABLE} VALUES ($1, $2, $3)", 1, "dup", 0)
        print("asyncpg: FAIL duplicate key INSERT succeeded", file=sys.stderr)
        sys.exit(1)
    except asyncpg.PostgresError as e:
        check("duplicate key SQLSTATE", e.sqlstate, "23505")
        check("duplicate key exception class", type(e).__name__, "UniqueViolationError")
    try:
        async with conn.transaction():
            await conn.execute(f"INSERT INTO {TABLE} VALUES ($1, $2, $3)", 5, "eve", 50)
            await conn.execute(f"INSERT INTO {TABLE} VALUES ($1, $2, $3)", 2, "dup", 0)
        print("asyncpg: FAIL duplicate key INSERT in a transaction succeeded", file=sys.stderr)
        sys.exit(1)
    except asyncpg.UniqueViolationError as e:
        check("duplicate key SQLSTATE in transaction", e.sqlstate, "23505")
    check("count after failed transaction", await conn.fetchval(f"SELECT count(*) FROM {TABLE}"), 3)

    await conn.execute(f"DROP TABLE {TABLE}")
    await conn.close()
    print("asyncpg: ok")


if __name__ == "__main__":
    asyncio.run(main())
