-- ORDER BY ... DESC read backwards through the primary key or an index (with LIMIT,
-- OFFSET, NULLs first, the transaction's own writes). Expected output produced by
-- PostgreSQL 15.
\set VERBOSITY sqlstate
create table dsc (id int primary key, v int, t text);
create index dsc_v on dsc (v);
insert into dsc select g, g % 7, 'r' || g from generate_series(1, 2000) g;
insert into dsc values (2001, null, 'nullv');
select id, v from dsc order by id desc limit 5;
explain (costs off) select id, v from dsc order by id desc limit 5;
explain (costs off) select v, id from dsc order by v desc limit 4;
select id from dsc order by id desc limit 3 offset 2;
select v, id from dsc order by v desc limit 4;
select v, id from dsc order by v desc nulls last limit 2;
select id from dsc where id < 10 order by id desc;
select id from dsc where id = 5 order by id desc;
begin;
insert into dsc values (5000, 1, 'own');
delete from dsc where id = 2000;
select id from dsc order by id desc limit 3;
rollback;
select count(*) from (select id from dsc order by id desc) s;
drop table dsc;
