// node-postgres (`pg`) client check: CRUD with parameters, a rolled-back and a committed
// transaction, and SQLSTATE 23505 on a duplicate primary key. Server from PGHOST/PGPORT/PGUSER/
// PGDATABASE (defaults 127.0.0.1, 5432, quorumdb, quorumdb; PGPASSWORD if set). Exits non-zero
// on any mismatch. pg sends unnamed Parse with no parameter types and text parameters.
'use strict';
const assert = require('node:assert/strict');
const { Client } = require('pg');

const TABLE = 'clients_node_pg';

function config() {
  return {
    host: process.env.PGHOST || '127.0.0.1',
    port: Number(process.env.PGPORT || 5432),
    user: process.env.PGUSER || 'quorumdb',
    database: process.env.PGDATABASE || 'quorumdb',
    password: process.env.PGPASSWORD || undefined,
    connectionTimeoutMillis: 10000,
  };
}

function check(what, got, want) {
  try {
    assert.deepStrictEqual(got, want);
  } catch (e) {
    console.error(`node-pg: FAIL ${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
    process.exit(1);
  }
}

async function main() {
  const client = new Client(config());
  await client.connect();
  await client.query(`DROP TABLE IF EXISTS ${TABLE}`);
  await client.query(`CREATE TABLE ${TABLE} (id int PRIMARY KEY, name text NOT NULL, score int)`);

  // INSERT with parameters (including a quote, non-ASCII text and NULL).
  for (const row of [[1, 'alice', 10], [2, "bob's ✓", 20], [3, 'carol', null]]) {
    const r = await client.query(`INSERT INTO ${TABLE} (id, name, score) VALUES ($1, $2, $3)`, row);
    check('INSERT rowCount', r.rowCount, 1);
  }

  // SELECT with parameters.
  let r = await client.query(`SELECT name, score FROM ${TABLE} WHERE id = $1`, [2]);
  check('SELECT by id', r.rows, [{ name: "bob's ✓", score: 20 }]);
  r = await client.query(`SELECT id FROM ${TABLE} WHERE score > $1 OR name = $2 ORDER BY id`, [15, 'carol']);
  check('SELECT with two params', r.rows.map((x) => x.id), [2, 3]);
  r = await client.query(`SELECT score FROM ${TABLE} WHERE id = $1`, [3]);
  check('SELECT NULL', r.rows, [{ score: null }]);
  r = await client.query({ name: 'by_name', text: `SELECT id FROM ${TABLE} WHERE name = $1`, values: ['alice'] });
  check('named statement', r.rows, [{ id: 1 }]);

  // UPDATE and DELETE with parameters.
  r = await client.query(`UPDATE ${TABLE} SET score = score + $1 WHERE id = $2`, [5, 1]);
  check('UPDATE rowCount', r.rowCount, 1);
  r = await client.query(`DELETE FROM ${TABLE} WHERE id = $1`, [3]);
  check('DELETE rowCount', r.rowCount, 1);
  r = await client.query(`SELECT id, name, score FROM ${TABLE} ORDER BY id`);
  check('rows after UPDATE/DELETE', r.rows, [
    { id: 1, name: 'alice', score: 15 },
    { id: 2, name: "bob's ✓", score: 20 },
  ]);

  // A transaction that is rolled back leaves nothing behind.
  await client.query('BEGIN');
  await client.query(`INSERT INTO ${TABLE} VALUES ($1, $2, $3)`, [10, 'temp', 1]);
  await client.query(`UPDATE ${TABLE} SET score = 0 WHERE id = $1`, [1]);
  r = await client.query(`SELECT count(*)::int AS n FROM ${TABLE}`);
  check('count inside transaction', r.rows[0].n, 3);
  await client.query('ROLLBACK');
  r = await client.query(`SELECT id, score FROM ${TABLE} ORDER BY id`);
  check('rows after ROLLBACK', r.rows, [{ id: 1, score: 15 }, { id: 2, score: 20 }]);

  // A committed transaction is visible from a second connection.
  await client.query('BEGIN');
  await client.query(`INSERT INTO ${TABLE} VALUES ($1, $2, $3)`, [4, 'dave', 40]);
  await client.query('COMMIT');
  const other = new Client(config());
  await other.connect();
  r = await other.query(`SELECT name FROM ${TABLE} WHERE id = $1`, [4]);
  check('committed row seen by another connection', r.rows, [{ name: 'dave' }]);
  await other.end();

  // Duplicate primary key: SQLSTATE 23505; inside a transaction, 25P02 until ROLLBACK.
  let code = null;
  try {
    await client.query(`INSERT INTO ${TABLE} VALUES ($1, $2, $3)`, [1, 'dup', 0]);
  } catch (e) {
    code = e.code;
  }
  check('duplicate key SQLSTATE', code, '23505');
  await client.query('BEGIN');
  code = null;
  try {
    await client.query(`INSERT INTO ${TABLE} VALUES ($1, $2, $3)`, [2, 'dup', 0]);
  } catch (e) {
    code = e.code;
  }
  check('duplicate key SQLSTATE in transaction', code, '23505');
  code = null;
  try {
    await client.query('SELECT 1');
  } catch (e) {
    code = e.code;
  }
  check('statement in aborted transaction SQLSTATE', code, '25P02');
  await client.query('ROLLBACK');
  r = await client.query(`SELECT count(*)::int AS n FROM ${TABLE}`);
  check('count after failed INSERT', r.rows[0].n, 3);

  await client.query(`DROP TABLE ${TABLE}`);
  await client.end();
  console.log('node-pg: ok');
}

main().catch((e) => {
  console.error(`node-pg: FAIL ${e && e.stack ? e.stack : e}${e && e.code ? ` (SQLSTATE ${e.code})` : ''}`);
  process.exit(1);
});
