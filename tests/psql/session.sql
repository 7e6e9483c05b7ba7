-- A scripted psql session: tests/psql_session.rs runs it with `psql -X -a -f -` in a temporary
-- directory holding items.tsv and items.csv, and compares stdout with session.out and stderr
-- with session.err (validated against PostgreSQL 15). Errors print only their SQLSTATE.
\set VERBOSITY sqlstate
CREATE TABLE psql_items (
    id int PRIMARY KEY,
    name text NOT NULL,
    price numeric(8,2) CHECK (price >= 0),
    tags jsonb,
    added date DEFAULT '2024-01-01'
);
INSERT INTO psql_items (id, name, price, tags) VALUES
    (1, 'apple', 1.25, '{"color": "red"}'),
    (2, 'banana', 0.5, NULL),
    (3, 'cherry', 12, '["small", "sweet"]');
SELECT * FROM psql_items ORDER BY id;
UPDATE psql_items SET price = price * 2 WHERE name = 'banana' RETURNING id, name, price;
SELECT name, price FROM psql_items WHERE price > 1 ORDER BY price DESC;
-- errors: the session goes on
SELECT * FROM psql_missing;
INSERT INTO psql_items (id, name, price) VALUES (4, NULL, 1);
INSERT INTO psql_items (id, name, price) VALUES (4, 'bad', -1);
INSERT INTO psql_items (id, name) VALUES (1, 'duplicate');
SELECT 1/0;
SELEC oops;
SELECT nosuchcolumn FROM psql_items;
SELECT 'x'::int;
-- \copy from a file in the working directory, text and csv
\copy psql_items (id, name, price, tags) FROM 'items.tsv'
\copy psql_items (id, name, price, added) FROM 'items.csv' WITH (FORMAT csv, HEADER true)
SELECT id, name, price, tags, added FROM psql_items WHERE id > 3 ORDER BY id;
\copy (SELECT id, name, price FROM psql_items ORDER BY id) TO STDOUT WITH (FORMAT csv)
-- transactions
BEGIN;
DELETE FROM psql_items WHERE name = 'apple';
SELECT count(*) FROM psql_items;
ROLLBACK;
SELECT count(*) FROM psql_items;
BEGIN;
INSERT INTO psql_items (id, name, price) VALUES (10, 'date', 3);
SAVEPOINT s1;
INSERT INTO psql_items (id, name, price) VALUES (11, 'elderberry', -5);
ROLLBACK TO SAVEPOINT s1;
INSERT INTO psql_items (id, name, price) VALUES (12, 'fig', 4);
COMMIT;
BEGIN;
SELECT 1/0;
SELECT 1;
ROLLBACK;
SELECT name, price FROM psql_items WHERE name IN ('date', 'elderberry', 'fig') ORDER BY name;
-- expanded display and NULL display are client-side
\pset null '(null)'
\x on
SELECT id, name, tags FROM psql_items WHERE id = 2;
\x off
PREPARE by_name(text) AS SELECT id, price FROM psql_items WHERE name = $1;
EXECUTE by_name('cherry');
DEALLOCATE by_name;
SELECT current_user, current_database(), current_schema();
TRUNCATE psql_items;
SELECT count(*) AS n FROM psql_items;
DROP TABLE psql_items;
DROP TABLE psql_items;
