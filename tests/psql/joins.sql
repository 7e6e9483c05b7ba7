-- Joins: index nested-loop joins (key lookups into the right table, outer joins, extra
-- conditions), and the join order of comma lists. Expected output produced by PostgreSQL 15.
\set VERBOSITY sqlstate
create table lc (id int primary key, name text, region int);
create table lo (id int primary key, cust int, amount numeric(8,2), note text);
create index lo_cust on lo (cust);
insert into lc values (1,'ann',1),(2,'bob',2),(3,'cy',1),(4,null,null);
insert into lo values (10,1,5.5,'a'),(11,1,7,'b'),(12,2,1,null),(13,9,2,'x'),(14,null,3,'n');
select o.id, c.name from lo o join lc c on c.id = o.cust where o.id = 10;
select o.id, c.name from lo o left join lc c on c.id = o.cust where o.id in (13, 14, 11) order by 1;
select c.id, o.id, o.amount from lc c join lo o on o.cust = c.id where c.id = 1 order by 2;
select c.id, o.id from lc c left join lo o on o.cust = c.id and o.amount > 6 where c.id in (1,2,4) order by 1,2;
select c.name, o.note from (values (1),(2),(5)) v(x) join lc c on c.id = v.x left join lo o on o.cust = c.id and o.note <> 'a' order by 1,2;
select * from lc c join lo o using (id) where c.id = 1;
select o.id, c.name from lo o join lc c on c.id = o.cust and c.region = 1 where o.id in (10, 12) order by 1;
select o.id, c.name from lo o join lc c on c.id = o.cust + 0 where o.id = 11;
select o.id from lo o join lc c on c.id = o.cust::int8 where o.id = 11;
drop table lo; drop table lc;
create table j1 (a1 int primary key, b1 int, x1 text);
create table j2 (a2 int primary key, b2 int, x2 text);
create table j3 (a3 int primary key, b3 int, x3 text);
create table j4 (a4 int primary key, b4 int, x4 text);
insert into j1 select g, (g * 7) % 10 + 1, 'j1-' || g from generate_series(1, 10) g;
insert into j2 select g, (g * 3) % 10 + 1, 'j2-' || g from generate_series(1, 10) g;
insert into j3 select g, (g * 9) % 10 + 1, 'j3-' || g from generate_series(1, 10) g;
insert into j4 select g, (g * 1) % 10 + 1, 'j4-' || g from generate_series(1, 10) g;
select x1, x2, x3, x4 from j1, j4, j2, j3 where a1 = b3 and a4 = b2 and b4 = a1 and a3 = 6 order by 1;
select x1, x2, x3, x4 from j4, j1, j3, j2 where b1 = a2 and a3 = b2 and b4 = a3 order by 1, 4;
select count(*) from j1, j2, j3 where a1 = b2 and (select count(*) from j4 where a4 = a3) = 1;
select x1, x3 from j1 cross join j3 where a1 = b3 and a3 < 4 order by 1;
drop table j1, j2, j3, j4;
