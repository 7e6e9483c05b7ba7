//! Arrays through a driver's binary protocol (tokio-postgres against the real `quorumdb`
//! binary): array parameters typed by context (`= ANY($1)`, `int[]` columns), binary array
//! results with NULL elements, and the array type OIDs drivers look up in pg_type.
//! (The text forms, operators and functions are covered by `tests/psql/arrays.sql`.)
//!
//! With `QDB_TEST_ADDR=HOST:PORT` the test runs against an existing server instead; that is
//! how these expectations were checked against PostgreSQL 15.

mod common;

use tokio_postgres::types::Type;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arrays_round_trip_in_binary_and_type_parameters() {
    let target = common::Target::new();
    let client = target.client().await;
    client
        .batch_execute(
            "DROP TABLE IF EXISTS wire_arr; \
             CREATE TABLE wire_arr (id int PRIMARY KEY, nums int[], names text[], \
             scores float8[], big int8[])",
        )
        .await
        .expect("create");

    // Parameters take array types from their columns.
    let insert = client
        .prepare("INSERT INTO wire_arr VALUES ($1, $2, $3, $4, $5)")
        .await
        .expect("prepare insert");
    assert_eq!(
        insert.params(),
        &[Type::INT4, Type::INT4_ARRAY, Type::TEXT_ARRAY, Type::FLOAT8_ARRAY, Type::INT8_ARRAY]
    );
    let names: Vec<Option<&str>> = vec![Some("a"), None, Some("c d"), Some("")];
    client
        .execute(
            &insert,
            &[&1i32, &vec![1i32, -2, 3], &names, &vec![1.5f64, f64::INFINITY], &vec![i64::MAX]],
        )
        .await
        .expect("insert 1");
    let empty: Vec<i32> = Vec::new();
    let no_names: Option<Vec<String>> = None;
    client
        .execute(&insert, &[&2i32, &empty, &no_names, &Vec::<f64>::new(), &vec![0i64]])
        .await
        .expect("insert 2");

    // Binary results.
    let row = client
        .query_one("SELECT nums, names, scores, big FROM wire_arr WHERE id = $1", &[&1i32])
        .await
        .expect("select 1");
    assert_eq!(row.columns()[0].type_(), &Type::INT4_ARRAY);
    assert_eq!(row.get::<_, Vec<i32>>(0), vec![1, -2, 3]);
    assert_eq!(
        row.get::<_, Vec<Option<String>>>(1),
        vec![Some("a".to_string()), None, Some("c d".to_string()), Some(String::new())]
    );
    assert_eq!(row.get::<_, Vec<f64>>(2), vec![1.5, f64::INFINITY]);
    assert_eq!(row.get::<_, Vec<i64>>(3), vec![i64::MAX]);
    let row = client
        .query_one("SELECT nums, names FROM wire_arr WHERE id = 2", &[])
        .await
        .expect("select 2");
    assert_eq!(row.get::<_, Vec<i32>>(0), Vec::<i32>::new());
    assert_eq!(row.get::<_, Option<Vec<String>>>(1), None);

    // `= ANY($1)` types $1 as an array of the left side's type.
    let any = client
        .prepare("SELECT id FROM wire_arr WHERE id = ANY($1) ORDER BY id")
        .await
        .expect("prepare any");
    assert_eq!(any.params(), &[Type::INT4_ARRAY]);
    let ids: Vec<i32> = client
        .query(&any, &[&vec![2i32, 5, 1]])
        .await
        .expect("any")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ids, vec![1, 2]);
    let ids: Vec<i32> = client
        .query("SELECT id FROM wire_arr WHERE $1 = ANY(nums)", &[&-2i32])
        .await
        .expect("any column")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ids, vec![1]);

    // array_agg and ARRAY(subquery) come back as arrays too.
    let row = client
        .query_one(
            "SELECT array_agg(id ORDER BY id DESC), ARRAY(SELECT unnest FROM unnest($1::text[])) \
             FROM wire_arr",
            &[&vec!["x", "y"]],
        )
        .await
        .expect("aggregate");
    assert_eq!(row.get::<_, Vec<i32>>(0), vec![2, 1]);
    assert_eq!(row.get::<_, Vec<String>>(1), vec!["x".to_string(), "y".to_string()]);

    // Drivers resolve array types through pg_type.
    let row = client
        .query_one(
            "SELECT t.typname::text, e.typname::text FROM pg_catalog.pg_type t \
             JOIN pg_catalog.pg_type e ON e.oid = t.typelem WHERE t.oid = 1007",
            &[],
        )
        .await
        .expect("pg_type");
    assert_eq!((row.get::<_, String>(0), row.get::<_, String>(1)), ("_int4".into(), "int4".into()));
    client.batch_execute("DROP TABLE wire_arr").await.expect("drop");
}
