-- Arrays: constructors, operators, functions, ANY/ALL, array_agg, unnest, storage,
-- indexes and psql's \d on array columns. Expected output produced by PostgreSQL 15.
\set VERBOSITY sqlstate
select ARRAY[1,2,3] as a, ARRAY['a','b c',NULL,'','NULL','x"y','back\slash'] as b, ARRAY[[1,2],[3,4]] as c;
select '{1,2}'::int[] || 3 as a, 0 || '{1,2}'::int[] as b, ARRAY[1,2] || ARRAY[3] as c, ARRAY[[1,2]] || ARRAY[3,4] as d, ARRAY[1] || NULL::int[] as e;
select 3 = ANY(ARRAY[1,2,3]) a, 5 <> ALL('{1,2}') b, NULL::int = ANY(ARRAY[1]) c, 1 = ANY('{}'::int[]) d, 1 = ALL('{}'::int[]) e, 2 = ANY(ARRAY[1,NULL]) f, 1 = ANY(ARRAY[1,NULL]) g, 2 > ALL(ARRAY[1,NULL]) h;
select array_length(ARRAY[1,2],1) a, array_length('{}'::int[],1) b, array_upper(ARRAY[[1,2],[3,4]],2) c, array_lower('[3:4]={1,2}'::int[],1) d, array_ndims(ARRAY[[1]]) e, array_dims(ARRAY[[1,2],[3,4]]) f, cardinality(ARRAY[[1,2],[3,4]]) g, cardinality('{}'::int[]) h;
select (ARRAY[5,6,7])[2] a, (ARRAY[5,6,7])[9] b, (ARRAY[[1,2],[3,4]])[2][1] c, ('[0:2]={a,b,c}'::text[])[0] d;
select array_to_string(ARRAY[1,NULL,3], ',', '*') a, array_to_string(ARRAY[1,NULL,3], ',') b, string_to_array('a,b,,c', ',') c, string_to_array('a,b,x', ',', 'x') d, string_to_array('', ',') e;
select array_position(ARRAY['a','b','a'], 'a') a, array_position(ARRAY['a','b','a'], 'a', 2) b, array_positions(ARRAY[1,2,1], 1) c, array_remove(ARRAY[1,2,1,NULL], 1) d, array_replace(ARRAY[1,2,1], 1, 9) e, array_append(ARRAY[1], 2) f, array_prepend(0, ARRAY[1]) g, array_cat(ARRAY[1], ARRAY[2,3]) h;
select ARRAY[1,2] @> ARRAY[2] a, ARRAY[1] <@ ARRAY[1,2] b, ARRAY[1] && ARRAY[2] c, ARRAY[1,NULL] @> ARRAY[NULL::int] d, '{1,2}' @> ARRAY[1] e;
select ARRAY[1,2] < ARRAY[1,3] a, ARRAY[1,2] = ARRAY[1,2] b, ARRAY[1,NULL] = ARRAY[1,NULL] c, ARRAY[1] < ARRAY[1,0] d, ARRAY[2] > ARRAY[1,5] e, ARRAY[1,2]::numeric[] = ARRAY[1.0,2.00] f;
select '{ a , "b" , NULL, "NULL" }'::text[] a, '[1:2][2:3]={{1,2},{3,4}}'::int[] b, '{{1,2},{3,4}}'::int[] c, '{}'::text[] d, '{1,2}'::float8[] e, '{"2024-01-02"}'::date[] f;
select x, o from unnest(ARRAY['x','y']) with ordinality as u(x, o);
select * from unnest(ARRAY[1,2], ARRAY['a']) as u(n, s);
select unnest from unnest(ARRAY[3,1,2]) order by 1;
create table arr_t (id int primary key, tags text[], nums int[], m numeric(5,2)[]);
insert into arr_t values (1, '{x,y}', ARRAY[1,2], '{1.5,2}'), (2, ARRAY['z'], NULL, NULL), (3, '{}', '{3}', '{}');
select * from arr_t order by id;
select id from arr_t where 'x' = ANY(tags) order by id;
select id from arr_t where tags @> '{z}' order by id;
create index arr_t_tags on arr_t (tags);
\d arr_t
select id, tags[1] as first, nums[2] from arr_t order by id;
select array_agg(id order by id desc) a, array_agg(tags[1]) b from arr_t;
select array_agg(nums order by id) from arr_t where nums is not null;
select array_agg(x) from (select 1 as x where false) s;
select id from arr_t where id = ANY(array(select id from arr_t where id > 1)) order by id;
select array(select id from arr_t order by id desc) a, array(select 1 where false) b;
select id from arr_t where id <> ALL(select id from arr_t where id < 3);
update arr_t set tags = tags || 'w'::text where id = 1 returning tags;
select tags from arr_t order by tags;
select count(*) from arr_t group by nums order by 1;
select distinct tags from arr_t order by tags;
select pg_typeof(ARRAY[1]), pg_typeof(ARRAY['a']), pg_typeof(ARRAY[1.5]), pg_typeof(array_agg(id)) from arr_t;
select ARRAY[1, 2.5] a, ARRAY[1::int8, 2] b;
select '{1,2'::int[];
select '{{1},{2,3}}'::int[];
select 1 = ANY(1);
select '{a}'::int[];
select (ARRAY[1,2])['x'];
select array_length(1, 1);
select ARRAY[[1],[2,3]];
drop table arr_t;
