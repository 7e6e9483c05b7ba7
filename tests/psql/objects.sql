-- Views, sequences, schemas and foreign keys through psql's describe commands. Expected
-- output produced by PostgreSQL 15.
\set VERBOSITY sqlstate
create table psql_p (id int primary key, code text unique);
create table psql_c (id int primary key, p int references psql_p on delete cascade, code text, constraint psql_c_code_fk foreign key (code) references psql_p (code) on update cascade);
insert into psql_p values (1, 'a'), (2, 'b');
insert into psql_c values (10, 1, 'a'), (20, 2, 'b');
insert into psql_c values (30, 3, null);
delete from psql_p where id = 1;
update psql_p set code = 'z' where id = 2;
select * from psql_c;
\d psql_p
\d psql_c
create view psql_v as select c.id, p.code from psql_c c join psql_p p on p.id = c.p;
select * from psql_v;
\dv psql_*
drop table psql_p;
create sequence psql_seq increment by 10 maxvalue 25;
select nextval('psql_seq'), nextval('psql_seq'), currval('psql_seq');
select nextval('psql_seq');
select last_value, is_called from psql_seq;
\ds psql_*
create schema psql_s;
create table psql_s.t (id serial primary key, v text);
insert into psql_s.t (v) values ('in schema');
set search_path to psql_s, public;
select * from t;
\dn psql_*
\dt psql_s.*
reset search_path;
drop schema psql_s;
drop schema psql_s cascade;
drop table psql_p cascade;
drop table psql_c;
drop sequence psql_seq;
