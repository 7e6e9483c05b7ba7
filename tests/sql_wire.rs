//! SQL over the wire with a real driver (tokio-postgres) against the real `quorumdb` binary:
//! every supported type round-trips (binary results through the extended protocol, text
//! through the simple protocol, NULL and edge values included), DDL and constraints, DML
//! variants, transactions, SQLSTATEs, concurrent clients, a streamed large SELECT and COPY.
//!
//! Each test starts its own server (`tests/common`). With `QDB_TEST_ADDR=HOST:PORT` the tests
//! run against an existing server instead (database and user `quorumdb`), which is how the
//! expectations were validated against PostgreSQL 15: every test then works on tables with
//! names of its own, dropped first.

mod common;

use bytes::Bytes;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use futures_util::{SinkExt, TryStreamExt};
use rust_decimal::Decimal;
use std::error::Error;
use std::str::FromStr;
use std::sync::Arc;
use tokio_postgres::error::ErrorPosition;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use tokio_postgres::{Client, SimpleQueryMessage};
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// The server under test: our own `quorumdb` process, or `QDB_TEST_ADDR`.
struct Target {
    _server: Option<common::Server>,
    conn_str: String,
}

impl Target {
    fn new() -> Target {
        match std::env::var("QDB_TEST_ADDR") {
            Ok(addr) => {
                let (host, port) = addr.rsplit_once(':').expect("QDB_TEST_ADDR is HOST:PORT");
                Target {
                    _server: None,
                    conn_str: format!("host={host} port={port} user=quorumdb dbname=quorumdb"),
                }
            }
            Err(_) => {
                let server = common::Server::start(&[]);
                let conn_str = server.conn_str();
                Target { _server: Some(server), conn_str }
            }
        }
    }

    async fn client(&self) -> Client {
        common::connect(&self.conn_str).await.expect("connect")
    }

    /// A client, after dropping `tables` (so reruns against a shared server start clean).
    async fn client_with_fresh(&self, tables: &[&str]) -> Client {
        let client = self.client().await;
        for table in tables {
            exec(&client, &format!("DROP TABLE IF EXISTS {table}")).await;
        }
        client
    }
}

/// A readable description of a failed call: SQLSTATE and message for server errors.
fn describe(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => format!("{} {}: {}", db.severity(), db.code().code(), db.message()),
        None => format!("{err:?}"),
    }
}

/// Runs `sql` with the simple protocol; panics on error.
async fn exec(client: &Client, sql: &str) {
    if let Err(err) = client.batch_execute(sql).await {
        panic!("{sql}: {}", describe(&err));
    }
}

/// Text rows of a simple-protocol query (`None` = NULL).
async fn text_rows(client: &Client, sql: &str) -> Vec<Vec<Option<String>>> {
    let messages = match client.simple_query(sql).await {
        Ok(messages) => messages,
        Err(err) => panic!("{sql}: {}", describe(&err)),
    };
    messages
        .into_iter()
        .filter_map(|message| match message {
            SimpleQueryMessage::Row(row) => {
                Some((0..row.len()).map(|i| row.get(i).map(str::to_owned)).collect())
            }
            _ => None,
        })
        .collect()
}

/// Expected text rows; the string "NULL" stands for SQL NULL.
fn rows(expected: &[&[&str]]) -> Vec<Vec<Option<String>>> {
    expected
        .iter()
        .map(|row| row.iter().map(|v| (*v != "NULL").then(|| (*v).to_owned())).collect())
        .collect()
}

/// Asserts the simple-protocol result of `sql`; a failure lists the differing cells.
async fn assert_text(client: &Client, sql: &str, expected: &[&[&str]]) {
    let got = text_rows(client, sql).await;
    let expected = rows(expected);
    if got == expected {
        return;
    }
    let mut cells = Vec::new();
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        if g.len() != e.len() {
            cells.push(format!("row {i}: {} columns, expected {}", g.len(), e.len()));
        }
        for (j, (g, e)) in g.iter().zip(e).enumerate() {
            if g != e {
                cells.push(format!("row {i} column {j}: expected {e:?}, got {g:?}"));
            }
        }
    }
    panic!(
        "result of {sql}\n{}\n{}\n  got: {got:?}\n want: {expected:?}",
        if got.len() == expected.len() {
            String::new()
        } else {
            format!("{} rows, expected {}", got.len(), expected.len())
        },
        cells.join("\n"),
    );
}

/// The first (only) text value of `sql`.
async fn text_value(client: &Client, sql: &str) -> Option<String> {
    let mut rows = text_rows(client, sql).await;
    assert_eq!(rows.len(), 1, "{sql} returned {} rows", rows.len());
    rows.remove(0).remove(0)
}

/// The command tags (CommandComplete row counts) of a simple query.
async fn counts(client: &Client, sql: &str) -> Vec<u64> {
    let messages = match client.simple_query(sql).await {
        Ok(messages) => messages,
        Err(err) => panic!("{sql}: {}", describe(&err)),
    };
    messages
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::CommandComplete(n) => Some(n),
            _ => None,
        })
        .collect()
}

/// The SQLSTATE of a failed call; panics if it succeeded or failed without one.
fn sqlstate<T: std::fmt::Debug>(what: &str, result: Result<T, tokio_postgres::Error>) -> String {
    match result {
        Ok(value) => panic!("{what}: expected an error, got {value:?}"),
        Err(err) => match err.code() {
            Some(code) => code.code().to_owned(),
            None => panic!("{what}: error without SQLSTATE: {err:?}"),
        },
    }
}

/// Asserts that `sql` fails with `code`, through the simple and then the extended protocol.
async fn assert_error(client: &Client, sql: &str, code: &str) {
    let simple = sqlstate(sql, client.simple_query(sql).await);
    assert_eq!(simple, code, "simple protocol: {sql}");
    let extended = sqlstate(sql, client.query(sql, &[]).await);
    assert_eq!(extended, code, "extended protocol: {sql}");
}

/// Independent checks whose failures are collected, so one run reports all of them.
#[derive(Default)]
struct Checks(Vec<String>);

impl Checks {
    /// `sql` must fail with `code` through the simple and the extended protocol.
    async fn error(&mut self, client: &Client, sql: &str, code: &str) {
        let simple = client.simple_query(sql).await.map(|_| ());
        let extended = client.query(sql, &[]).await.map(|_| ());
        for (protocol, result) in [("simple", simple), ("extended", extended)] {
            let got = match result {
                Ok(()) => "success".to_owned(),
                Err(err) => describe(&err),
            };
            if !got.contains(&format!(" {code}: ")) {
                self.0.push(format!("{sql} ({protocol}): expected SQLSTATE {code}, got {got}"));
            }
        }
    }

    /// The simple-protocol result of `sql` must be `expected`.
    async fn text(&mut self, client: &Client, sql: &str, expected: &[&[&str]]) {
        let expected = rows(expected);
        match client.simple_query(sql).await {
            Ok(messages) => {
                let got: Vec<Vec<Option<String>>> = messages
                    .into_iter()
                    .filter_map(|message| match message {
                        SimpleQueryMessage::Row(row) => {
                            Some((0..row.len()).map(|i| row.get(i).map(str::to_owned)).collect())
                        }
                        _ => None,
                    })
                    .collect();
                if got != expected {
                    self.0.push(format!("{sql}: expected {expected:?}, got {got:?}"));
                }
            }
            Err(err) => {
                self.0.push(format!("{sql}: expected {expected:?}, got {}", describe(&err)))
            }
        }
    }

    /// Records a failure unless `ok`.
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.push(what());
        }
    }

    fn finish(self) {
        assert!(self.0.is_empty(), "{} check(s) failed:\n{}", self.0.len(), self.0.join("\n"));
    }
}

/// INTERVAL in binary: microseconds, days, months (tokio-postgres has no interval type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Interval {
    micros: i64,
    days: i32,
    months: i32,
}

impl<'a> FromSql<'a> for Interval {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn Error + Sync + Send>> {
        let raw: [u8; 16] = raw.try_into().map_err(|_| "interval is not 16 bytes")?;
        Ok(Interval {
            micros: i64::from_be_bytes(raw[..8].try_into()?),
            days: i32::from_be_bytes(raw[8..12].try_into()?),
            months: i32::from_be_bytes(raw[12..].try_into()?),
        })
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::INTERVAL
    }
}

impl ToSql for Interval {
    fn to_sql(
        &self,
        _: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        out.extend_from_slice(&self.micros.to_be_bytes());
        out.extend_from_slice(&self.days.to_be_bytes());
        out.extend_from_slice(&self.months.to_be_bytes());
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::INTERVAL
    }

    to_sql_checked!();
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal literal")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn ts(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").expect("timestamp literal")
}

fn tstz(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("rfc3339 literal").with_timezone(&Utc)
}

fn uuid(s: &str) -> Uuid {
    Uuid::parse_str(s).expect("uuid literal")
}

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

const TYPES_DDL: &str = "(
    id int4 PRIMARY KEY,
    i2 int2, i4 int4, i8 int8,
    f4 float4, f8 float8,
    num numeric(20,6),
    t text, vc varchar(10), ch char(5),
    b bool, by bytea,
    d date, ts timestamp, tz timestamptz,
    iv interval, u uuid, j jsonb
)";

/// One row of the types table as Rust values (binary format).
#[derive(Debug, Clone, PartialEq)]
struct TypesRow {
    id: i32,
    i2: Option<i16>,
    i4: Option<i32>,
    i8: Option<i64>,
    f4: Option<f32>,
    f8: Option<f64>,
    num: Option<Decimal>,
    t: Option<String>,
    vc: Option<String>,
    ch: Option<String>,
    b: Option<bool>,
    by: Option<Vec<u8>>,
    d: Option<NaiveDate>,
    ts: Option<NaiveDateTime>,
    tz: Option<DateTime<Utc>>,
    iv: Option<Interval>,
    u: Option<Uuid>,
    j: Option<serde_json::Value>,
}

impl TypesRow {
    fn null(id: i32) -> TypesRow {
        TypesRow {
            id,
            i2: None,
            i4: None,
            i8: None,
            f4: None,
            f8: None,
            num: None,
            t: None,
            vc: None,
            ch: None,
            b: None,
            by: None,
            d: None,
            ts: None,
            tz: None,
            iv: None,
            u: None,
            j: None,
        }
    }

    fn from_row(row: &tokio_postgres::Row) -> TypesRow {
        TypesRow {
            id: row.get("id"),
            i2: row.get("i2"),
            i4: row.get("i4"),
            i8: row.get("i8"),
            f4: row.get("f4"),
            f8: row.get("f8"),
            num: row.get("num"),
            t: row.get("t"),
            vc: row.get("vc"),
            ch: row.get("ch"),
            b: row.get("b"),
            by: row.get("by"),
            d: row.get("d"),
            ts: row.get("ts"),
            tz: row.get("tz"),
            iv: row.get("iv"),
            u: row.get("u"),
            j: row.get("j"),
        }
    }

    fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        vec![
            &self.id, &self.i2, &self.i4, &self.i8, &self.f4, &self.f8, &self.num, &self.t,
            &self.vc, &self.ch, &self.b, &self.by, &self.d, &self.ts, &self.tz, &self.iv, &self.u,
            &self.j,
        ]
    }
}

/// Edge-value rows (floats here are not NaN, so `==` works; NaN is tested separately).
fn edge_rows() -> Vec<TypesRow> {
    let min = TypesRow {
        id: 1,
        i2: Some(i16::MIN),
        i4: Some(i32::MIN),
        i8: Some(i64::MIN),
        f4: Some(f32::MIN),
        f8: Some(f64::MIN),
        num: Some(dec("-99999999999999.999999")),
        t: Some(String::new()),
        vc: Some(String::new()),
        ch: Some("     ".into()),
        b: Some(false),
        by: Some(Vec::new()),
        d: Some(date(1, 1, 1)),
        ts: Some(ts("1970-01-01 00:00:00")),
        tz: Some(tstz("1970-01-01T00:00:00Z")),
        iv: Some(Interval { micros: -1, days: -1, months: -1 }),
        u: Some(Uuid::nil()),
        j: Some(serde_json::Value::Null),
    };
    let max = TypesRow {
        id: 2,
        i2: Some(i16::MAX),
        i4: Some(i32::MAX),
        i8: Some(i64::MAX),
        f4: Some(f32::MAX),
        f8: Some(f64::MAX),
        num: Some(dec("99999999999999.999999")),
        t: Some("héllo 'wörld' ✓ \"q\" \\ tab\there\nnewline".into()),
        vc: Some("ten chars!".into()),
        ch: Some("abcde".into()),
        b: Some(true),
        by: Some(vec![0, 1, 2, 0x5c, 0x7f, 0x80, 0xfe, 0xff]),
        d: Some(date(9999, 12, 31)),
        ts: Some(ts("9999-12-31 23:59:59.999999")),
        tz: Some(tstz("2262-04-11T23:47:16.854775Z")),
        iv: Some(Interval { micros: 86_399_999_999, days: 3650, months: 1200 }),
        u: Some(uuid("ffffffff-ffff-ffff-ffff-ffffffffffff")),
        j: Some(serde_json::json!({"a": [1, 2.5, -3e10, true, false, null, "x\u{e9}\n"],
                                   "nested": {"deep": {"deeper": []}}, "": {}})),
    };
    let small = TypesRow {
        id: 3,
        i2: Some(0),
        i4: Some(-1),
        i8: Some(1),
        f4: Some(f32::MIN_POSITIVE),
        f8: Some(f64::MIN_POSITIVE),
        num: Some(dec("0.000001")),
        t: Some("x".repeat(100_000)),
        vc: Some("ünïcødé✓".into()),
        ch: Some("ab   ".into()),
        b: Some(true),
        by: Some((0..=255).collect()),
        d: Some(date(2024, 2, 29)),
        ts: Some(ts("2024-02-29 13:14:15.123456")),
        tz: Some(tstz("2024-02-29T13:14:15.5+02:00")),
        iv: Some(Interval { micros: 0, days: 0, months: 0 }),
        u: Some(uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
        j: Some(serde_json::json!("just a string")),
    };
    vec![min, max, small, TypesRow::null(4)]
}

const TYPES_INSERT: &str = "INSERT INTO {t} (id, i2, i4, i8, f4, f8, num, t, vc, ch, b, by, d, \
    ts, tz, iv, u, j) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
    $16, $17, $18)";

#[tokio::test]
async fn every_type_round_trips_in_binary() {
    let target = Target::new();
    let client = target.client_with_fresh(&["rt_binary"]).await;
    exec(&client, &format!("CREATE TABLE rt_binary {TYPES_DDL}")).await;
    let insert = client.prepare(&TYPES_INSERT.replace("{t}", "rt_binary")).await.expect("prepare");
    let expected = edge_rows();
    for row in &expected {
        let n = client.execute(&insert, &row.params()).await;
        assert_eq!(n.map_err(|e| describe(&e)), Ok(1), "insert row {}", row.id);
    }
    let got: Vec<TypesRow> = client
        .query("SELECT * FROM rt_binary ORDER BY id", &[])
        .await
        .expect("select")
        .iter()
        .map(TypesRow::from_row)
        .collect();
    for (got, want) in got.iter().zip(&expected) {
        assert_eq!(got, want, "row {}", want.id);
    }
    assert_eq!(got.len(), expected.len());

    // A point lookup with a parameter, through a reused prepared statement.
    let by_id = client.prepare("SELECT * FROM rt_binary WHERE id = $1").await.expect("prepare");
    for want in &expected {
        let row = client.query_one(&by_id, &[&want.id]).await.expect("lookup");
        assert_eq!(&TypesRow::from_row(&row), want);
    }
    assert!(client.query_opt(&by_id, &[&99i32]).await.expect("lookup").is_none());
}

#[tokio::test]
async fn every_type_round_trips_in_text() {
    let target = Target::new();
    let client = target.client_with_fresh(&["rt_text"]).await;
    exec(&client, &format!("CREATE TABLE rt_text {TYPES_DDL}")).await;
    exec(
        &client,
        "INSERT INTO rt_text VALUES
         (1, -32768, -2147483648, -9223372036854775808, '-3.4028235e38', '-1.7976931348623157e308',
          -99999999999999.999999, '', '', '', false, '\\x', '0001-01-01', '1970-01-01 00:00:00',
          '1970-01-01 00:00:00+00', '-1 mons -1 days -00:00:00.000001',
          '00000000-0000-0000-0000-000000000000', 'null'),
         (2, 32767, 2147483647, 9223372036854775807, '3.4028235e38', '1.7976931348623157e308',
          99999999999999.999999, 'héllo ''wörld'' ✓ \\ \"q\"', 'ten chars!', 'abcde', true,
          '\\x0001025c7f80feff', '9999-12-31', '9999-12-31 23:59:59.999999',
          '2024-02-29T13:14:15.5+02:00', '1 year 2 months 3 days 4 hours 5 minutes 6.789 seconds',
          'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '{\"b\": 1, \"aa\": [1, 2.50, null], \"a\": {}}'),
         (3, 0, -1, 1, 1.5, 0.1, 0.000001, 'x', 'ünïcødé✓', 'ab', true, '\\xdeadbeef',
          '2024-02-29', '2024-02-29 13:14:15.123456', '2024-02-29 13:14:15.123456+00',
          '36 hours', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', '[1, \"two\", false]'),
         (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
          NULL, NULL, NULL)",
    )
    .await;
    assert_text(
        &client,
        "SELECT * FROM rt_text ORDER BY id",
        &[
            &[
                "1",
                "-32768",
                "-2147483648",
                "-9223372036854775808",
                "-3.4028235e+38",
                "-1.7976931348623157e+308",
                "-99999999999999.999999",
                "",
                "",
                "     ",
                "f",
                "\\x",
                "0001-01-01",
                "1970-01-01 00:00:00",
                "1970-01-01 00:00:00+00",
                "-1 mons -1 days -00:00:00.000001",
                "00000000-0000-0000-0000-000000000000",
                "null",
            ],
            &[
                "2",
                "32767",
                "2147483647",
                "9223372036854775807",
                "3.4028235e+38",
                "1.7976931348623157e+308",
                "99999999999999.999999",
                "héllo 'wörld' ✓ \\ \"q\"",
                "ten chars!",
                "abcde",
                "t",
                "\\x0001025c7f80feff",
                "9999-12-31",
                "9999-12-31 23:59:59.999999",
                "2024-02-29 11:14:15.5+00",
                "1 year 2 mons 3 days 04:05:06.789",
                "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                "{\"a\": {}, \"b\": 1, \"aa\": [1, 2.50, null]}",
            ],
            &[
                "3",
                "0",
                "-1",
                "1",
                "1.5",
                "0.1",
                "0.000001",
                "x",
                "ünïcødé✓",
                "ab   ",
                "t",
                "\\xdeadbeef",
                "2024-02-29",
                "2024-02-29 13:14:15.123456",
                "2024-02-29 13:14:15.123456+00",
                "36:00:00",
                "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                "[1, \"two\", false]",
            ],
            &[
                "4", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL",
                "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL",
            ],
        ],
    )
    .await;
}

#[tokio::test]
async fn values_cross_formats() {
    let target = Target::new();
    let client = target.client_with_fresh(&["rt_cross"]).await;
    exec(&client, &format!("CREATE TABLE rt_cross {TYPES_DDL}")).await;

    // Written in binary (extended protocol), read as text (simple protocol).
    let insert = client.prepare(&TYPES_INSERT.replace("{t}", "rt_cross")).await.expect("prepare");
    let row = TypesRow {
        id: 1,
        i2: Some(-7),
        i4: Some(123_456),
        i8: Some(-9_007_199_254_740_993),
        f4: Some(-1.25),
        f8: Some(1234.5625),
        num: Some(dec("-12345.678900")),
        t: Some("tëxt".into()),
        vc: Some("vc".into()),
        ch: Some("c".into()),
        b: Some(false),
        by: Some(vec![0xca, 0xfe]),
        d: Some(date(2000, 1, 1)),
        ts: Some(ts("2001-02-03 04:05:06.7")),
        tz: Some(tstz("2001-02-03T04:05:06.000007Z")),
        iv: Some(Interval { micros: 3_723_000_001, days: 2, months: 14 }),
        u: Some(uuid("123e4567-e89b-12d3-a456-426614174000")),
        j: Some(serde_json::json!({"k": [1, "v"]})),
    };
    client.execute(&insert, &row.params()).await.expect("insert");
    assert_text(
        &client,
        "SELECT * FROM rt_cross WHERE id = 1",
        &[&[
            "1",
            "-7",
            "123456",
            "-9007199254740993",
            "-1.25",
            "1234.5625",
            "-12345.678900",
            "tëxt",
            "vc",
            "c    ",
            "f",
            "\\xcafe",
            "2000-01-01",
            "2001-02-03 04:05:06.7",
            "2001-02-03 04:05:06.000007+00",
            "1 year 2 mons 2 days 01:02:03.000001",
            "123e4567-e89b-12d3-a456-426614174000",
            "{\"k\": [1, \"v\"]}",
        ]],
    )
    .await;

    // Written as text (simple protocol), read in binary.
    exec(
        &client,
        "INSERT INTO rt_cross VALUES (2, '12', '-34', '56', '2.5', '-0.125', '3.14159',
         'abc', 'def', 'gh', 'yes', '\\x00ff', '2024-12-31', '2024-12-31 23:59:59',
         '2024-12-31 23:59:59-05:00', '1 day 2 hours', '123e4567e89b12d3a456426614174000',
         '{\"x\": 1.0}')",
    )
    .await;
    let got = TypesRow::from_row(
        &client.query_one("SELECT * FROM rt_cross WHERE id = 2", &[]).await.expect("select"),
    );
    assert_eq!(
        got,
        TypesRow {
            id: 2,
            i2: Some(12),
            i4: Some(-34),
            i8: Some(56),
            f4: Some(2.5),
            f8: Some(-0.125),
            num: Some(dec("3.141590")),
            t: Some("abc".into()),
            vc: Some("def".into()),
            ch: Some("gh   ".into()),
            b: Some(true),
            by: Some(vec![0, 0xff]),
            d: Some(date(2024, 12, 31)),
            ts: Some(ts("2024-12-31 23:59:59")),
            tz: Some(tstz("2025-01-01T04:59:59Z")),
            iv: Some(Interval { micros: 7_200_000_000, days: 1, months: 0 }),
            u: Some(uuid("123e4567-e89b-12d3-a456-426614174000")),
            j: Some(serde_json::json!({"x": 1.0})),
        }
    );
    // numeric keeps its scale in binary too (Decimal compares by value, so check the text).
    let num: Decimal =
        client.query_one("SELECT num FROM rt_cross WHERE id = 2", &[]).await.unwrap().get(0);
    assert_eq!(num.to_string(), "3.141590");
}

#[tokio::test]
async fn float_special_values() {
    let target = Target::new();
    let client = target.client_with_fresh(&["fl"]).await;
    exec(&client, "CREATE TABLE fl (id int PRIMARY KEY, f4 real, f8 double precision)").await;
    let insert = client.prepare("INSERT INTO fl VALUES ($1, $2, $3)").await.expect("prepare");
    let values = [
        (1, f32::NAN, f64::NAN),
        (2, f32::INFINITY, f64::INFINITY),
        (3, f32::NEG_INFINITY, f64::NEG_INFINITY),
        (4, -0.0f32, -0.0f64),
        (5, 1.0e-45f32, 5.0e-324f64),
        (6, 0.1f32, 0.1f64),
    ];
    for (id, f4, f8) in values {
        client.execute(&insert, &[&id, &f4, &f8]).await.expect("insert");
    }
    let got = client.query("SELECT id, f4, f8 FROM fl ORDER BY id", &[]).await.expect("select");
    assert_eq!(got.len(), values.len());
    for (row, (id, f4, f8)) in got.iter().zip(values) {
        let (g4, g8): (f32, f64) = (row.get(1), row.get(2));
        assert_eq!(row.get::<_, i32>(0), id);
        assert_eq!(g4.to_bits(), f4.to_bits(), "float4 of row {id}: {g4}");
        assert_eq!(g8.to_bits(), f8.to_bits(), "float8 of row {id}: {g8}");
    }
    assert_text(
        &client,
        "SELECT f4, f8 FROM fl ORDER BY id",
        &[
            &["NaN", "NaN"],
            &["Infinity", "Infinity"],
            &["-Infinity", "-Infinity"],
            &["-0", "-0"],
            &["1e-45", "5e-324"],
            &["0.1", "0.1"],
        ],
    )
    .await;
    // Text input of the special spellings, and arithmetic on them.
    assert_text(
        &client,
        "SELECT 'NaN'::float8, 'inf'::float8, '-Infinity'::float4, '-0'::float8, \
         0.1::float8 + 0.2::float8, 'Infinity'::float8 + 1, 'NaN'::float8 * 0",
        &[&["NaN", "Infinity", "-Infinity", "-0", "0.30000000000000004", "Infinity", "NaN"]],
    )
    .await;
    assert_error(&client, "SELECT 1e300::float8 * 1e10::float8", "22003").await;
    // Unquoted literals beyond numeric's usual range (psycopg2 sends floats like this).
    assert_text(
        &client,
        "SELECT 1.7976931348623157e308::float8, -1e300::float8, 1e-300::float8, 3.4028235e38::float4",
        &[&["1.7976931348623157e+308", "-1e+300", "1e-300", "3.4028235e+38"]],
    )
    .await;
    // NaN sorts above every other value, and NaN = NaN (unlike IEEE).
    assert_text(&client, "SELECT id FROM fl ORDER BY f8 DESC LIMIT 2", &[&["1"], &["2"]]).await;
    assert_text(&client, "SELECT count(*) FROM fl WHERE f8 = 'NaN'", &[&["1"]]).await;
}

#[tokio::test]
async fn numeric_is_exact() {
    let target = Target::new();
    let client = target.client_with_fresh(&["nums"]).await;
    exec(&client, "CREATE TABLE nums (id int PRIMARY KEY, n numeric(10,2), m numeric)").await;
    // Rounding to the column's scale (half away from zero), exact sums.
    exec(
        &client,
        "INSERT INTO nums VALUES (1, 1.005, 0.1), (2, -1.005, 0.2), (3, 2.004, 0.3), \
         (4, 99999999.994, 12345678901234567890.123456789)",
    )
    .await;
    assert_text(
        &client,
        "SELECT n, m FROM nums ORDER BY id",
        &[
            &["1.01", "0.1"],
            &["-1.01", "0.2"],
            &["2.00", "0.3"],
            &["99999999.99", "12345678901234567890.123456789"],
        ],
    )
    .await;
    assert_text(&client, "SELECT sum(m) FROM nums WHERE id < 4", &[&["0.6"]]).await;
    assert_text(
        &client,
        "SELECT 0.1 + 0.2 = 0.3, 1.10 * 3, 10.0 / 4",
        &[&["t", "3.30", "2.5000000000000000"]],
    )
    .await;
    // Binary parameters and results carry the exact value.
    let n: Decimal = client
        .query_one("SELECT $1::numeric(10,2) + 0.01", &[&dec("12345678.125")])
        .await
        .expect("select")
        .get(0);
    assert_eq!(n.to_string(), "12345678.14");
    let m: Decimal = client
        .query_one("SELECT m FROM nums WHERE id = $1", &[&4i32])
        .await
        .expect("select")
        .get(0);
    assert_eq!(m, dec("12345678901234567890.123456789"));
    // Too many digits before the point for numeric(10,2).
    assert_error(&client, "INSERT INTO nums VALUES (5, 100000000, 0)", "22003").await;
}

#[tokio::test]
async fn character_types() {
    let target = Target::new();
    let client = target.client_with_fresh(&["chars"]).await;
    exec(&client, "CREATE TABLE chars (id int PRIMARY KEY, c char(4), v varchar(4), t text)").await;
    exec(&client, "INSERT INTO chars VALUES (1, 'ab', 'ab', 'ab'), (2, 'abcd', 'abcd', 'abcd')")
        .await;
    assert_text(
        &client,
        "SELECT c, v, t, length(c), length(v), octet_length(c) FROM chars ORDER BY id",
        &[&["ab  ", "ab", "ab", "2", "2", "4"], &["abcd", "abcd", "abcd", "4", "4", "4"]],
    )
    .await;
    // Trailing blanks of char(n) do not count in comparisons.
    assert_text(&client, "SELECT id FROM chars WHERE c = 'ab'", &[&["1"]]).await;
    let c: String = client.query_one("SELECT c FROM chars WHERE id = 1", &[]).await.unwrap().get(0);
    assert_eq!(c, "ab  ");
    // Too long for the column.
    assert_error(&client, "INSERT INTO chars (id, v) VALUES (3, 'abcde')", "22001").await;
    assert_error(&client, "INSERT INTO chars (id, c) VALUES (3, 'abcde')", "22001").await;
    // An explicit cast truncates instead.
    assert_text(&client, "SELECT 'abcdef'::varchar(3), 'abcdef'::char(2)", &[&["abc", "ab"]]).await;
}

// ---------------------------------------------------------------------------------------------
// DDL, constraints, DML
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn keys_and_constraints() {
    let target = Target::new();
    let client = target.client_with_fresh(&["k_single", "k_comp", "k_nopk", "k_cons"]).await;
    exec(
        &client,
        "CREATE TABLE k_single (id int8 PRIMARY KEY, v text);
         CREATE TABLE k_comp (a int, b text, v int, PRIMARY KEY (a, b));
         CREATE TABLE k_nopk (x int, y text);
         CREATE TABLE k_cons (
             id int PRIMARY KEY,
             name text NOT NULL,
             email text UNIQUE,
             qty int DEFAULT 7 CHECK (qty > 0),
             born date DEFAULT '2000-01-01',
             note text DEFAULT 'none',
             CONSTRAINT qty_small CHECK (qty < 1000)
         )",
    )
    .await;

    // Single primary key.
    exec(&client, "INSERT INTO k_single VALUES (1, 'one'), (2, 'two')").await;
    assert_error(&client, "INSERT INTO k_single VALUES (1, 'again')", "23505").await;
    assert_error(&client, "INSERT INTO k_single (v) VALUES ('no key')", "23502").await;
    assert_text(&client, "SELECT v FROM k_single WHERE id = 2", &[&["two"]]).await;
    // Changing the key to a taken value fails, to a free one works.
    assert_error(&client, "UPDATE k_single SET id = 1 WHERE id = 2", "23505").await;
    assert_eq!(counts(&client, "UPDATE k_single SET id = 20 WHERE id = 2").await, [1]);
    assert_text(
        &client,
        "SELECT id, v FROM k_single ORDER BY id",
        &[&["1", "one"], &["20", "two"]],
    )
    .await;

    // Composite primary key.
    exec(&client, "INSERT INTO k_comp VALUES (1, 'a', 10), (1, 'b', 11), (2, 'a', 12)").await;
    assert_error(&client, "INSERT INTO k_comp VALUES (1, 'b', 99)", "23505").await;
    assert_error(&client, "INSERT INTO k_comp VALUES (NULL, 'b', 99)", "23502").await;
    assert_text(&client, "SELECT v FROM k_comp WHERE a = 1 AND b = 'b'", &[&["11"]]).await;
    assert_text(
        &client,
        "SELECT b, v FROM k_comp WHERE a = 1 ORDER BY b",
        &[&["a", "10"], &["b", "11"]],
    )
    .await;

    // No primary key: duplicates are distinct rows.
    exec(&client, "INSERT INTO k_nopk VALUES (1, 'x'), (1, 'x'), (2, NULL)").await;
    assert_text(&client, "SELECT count(*) FROM k_nopk WHERE x = 1", &[&["2"]]).await;
    assert_eq!(counts(&client, "UPDATE k_nopk SET y = 'z' WHERE x = 1").await, [2]);
    assert_eq!(counts(&client, "DELETE FROM k_nopk WHERE y IS NULL").await, [1]);
    assert_text(&client, "SELECT x, y FROM k_nopk", &[&["1", "z"], &["1", "z"]]).await;

    // NOT NULL, DEFAULT, UNIQUE, CHECK.
    exec(&client, "INSERT INTO k_cons (id, name) VALUES (1, 'a')").await;
    exec(&client, "INSERT INTO k_cons VALUES (2, 'b', 'b@x', DEFAULT, NULL, DEFAULT)").await;
    exec(&client, "INSERT INTO k_cons (id, name, email, qty) VALUES (3, 'c', NULL, NULL)").await;
    assert_text(
        &client,
        "SELECT id, name, email, qty, born, note FROM k_cons ORDER BY id",
        &[
            &["1", "a", "NULL", "7", "2000-01-01", "none"],
            &["2", "b", "b@x", "7", "NULL", "none"],
            &["3", "c", "NULL", "NULL", "2000-01-01", "none"],
        ],
    )
    .await;
    assert_error(&client, "INSERT INTO k_cons (id, name) VALUES (4, NULL)", "23502").await;
    assert_error(&client, "INSERT INTO k_cons (id) VALUES (4)", "23502").await;
    assert_error(&client, "UPDATE k_cons SET name = NULL WHERE id = 1", "23502").await;
    assert_error(&client, "INSERT INTO k_cons (id, name, email) VALUES (4, 'd', 'b@x')", "23505")
        .await;
    assert_error(&client, "UPDATE k_cons SET email = 'b@x' WHERE id = 1", "23505").await;
    assert_error(&client, "INSERT INTO k_cons (id, name, qty) VALUES (4, 'd', 0)", "23514").await;
    assert_error(&client, "INSERT INTO k_cons (id, name, qty) VALUES (4, 'd', 1000)", "23514")
        .await;
    assert_error(&client, "UPDATE k_cons SET qty = -1", "23514").await;
    // Failed statements left nothing behind; NULL emails never collide.
    exec(&client, "INSERT INTO k_cons (id, name) VALUES (4, 'd'), (5, 'e')").await;
    assert_text(&client, "SELECT count(*), count(email) FROM k_cons", &[&["5", "1"]]).await;
    let err = client.simple_query("INSERT INTO k_cons (id, name) VALUES (1, 'dup')").await;
    let err = err.expect_err("duplicate key");
    let db = err.as_db_error().expect("server error");
    assert_eq!(db.table(), Some("k_cons"));
    assert_eq!(db.constraint(), Some("k_cons_pkey"));
}

#[tokio::test]
async fn create_and_drop_if_exists() {
    let target = Target::new();
    let client = target.client_with_fresh(&["cd_t"]).await;
    exec(&client, "CREATE TABLE cd_t (id int PRIMARY KEY)").await;
    assert_error(&client, "CREATE TABLE cd_t (id int PRIMARY KEY)", "42P07").await;
    exec(&client, "CREATE TABLE IF NOT EXISTS cd_t (other text)").await;
    exec(&client, "INSERT INTO cd_t VALUES (1)").await;
    exec(&client, "DROP TABLE cd_t").await;
    assert_error(&client, "DROP TABLE cd_t", "42P01").await;
    exec(&client, "DROP TABLE IF EXISTS cd_t").await;
    // Recreated under the same name, it starts empty.
    exec(&client, "CREATE TABLE cd_t (id int PRIMARY KEY, v text)").await;
    assert_text(&client, "SELECT count(*) FROM cd_t", &[&["0"]]).await;
}

#[tokio::test]
async fn serial_and_identity() {
    let target = Target::new();
    let client = target.client_with_fresh(&["ser_a", "ser_b", "ser_c"]).await;
    exec(
        &client,
        "CREATE TABLE ser_a (id serial PRIMARY KEY, v text);
         CREATE TABLE ser_b (id bigserial PRIMARY KEY, v text);
         CREATE TABLE ser_c (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                             n bigint GENERATED BY DEFAULT AS IDENTITY, v text)",
    )
    .await;
    let ids: Vec<i32> = client
        .query("INSERT INTO ser_a (v) VALUES ('a'), ('b'), ('c') RETURNING id", &[])
        .await
        .expect("insert")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ids, [1, 2, 3]);
    let id: i64 = client
        .query_one("INSERT INTO ser_b (v) VALUES ($1) RETURNING id", &[&"x"])
        .await
        .expect("insert")
        .get(0);
    assert_eq!(id, 1);
    // A rolled-back insert does not give its value back.
    exec(&client, "BEGIN; INSERT INTO ser_b (v) VALUES ('gone'); ROLLBACK").await;
    assert_text(&client, "INSERT INTO ser_b (v) VALUES ('y') RETURNING id, v", &[&["3", "y"]])
        .await;
    exec(&client, "INSERT INTO ser_c (v) VALUES ('p'); INSERT INTO ser_c (n, v) VALUES (50, 'q')")
        .await;
    assert_error(&client, "INSERT INTO ser_c (id, v) VALUES (9, 'r')", "428C9").await;
    assert_text(&client, "INSERT INTO ser_c (v) VALUES ('s') RETURNING *", &[&["3", "2", "s"]])
        .await;
    assert_text(
        &client,
        "SELECT id, n, v FROM ser_c ORDER BY id",
        &[&["1", "1", "p"], &["2", "50", "q"], &["3", "2", "s"]],
    )
    .await;
}

#[tokio::test]
async fn insert_variants() {
    let target = Target::new();
    let client = target.client_with_fresh(&["ins"]).await;
    exec(&client, "CREATE TABLE ins (id int PRIMARY KEY, v text, n int DEFAULT 0)").await;
    assert_eq!(
        counts(&client, "INSERT INTO ins (id, v) VALUES (1, 'a'), (2, 'b'), (3, 'c')").await,
        [3]
    );
    // RETURNING with expressions.
    assert_text(
        &client,
        "INSERT INTO ins VALUES (4, 'd', 40), (5, 'e', 50) RETURNING id * 10, upper(v), n",
        &[&["40", "D", "40"], &["50", "E", "50"]],
    )
    .await;
    // A multi-row INSERT with one bad row inserts nothing.
    assert_error(&client, "INSERT INTO ins (id, v) VALUES (6, 'f'), (1, 'dup')", "23505").await;
    assert_text(&client, "SELECT count(*) FROM ins", &[&["5"]]).await;
    // ON CONFLICT DO NOTHING, with and without a conflict target.
    assert_eq!(
        counts(&client, "INSERT INTO ins (id, v) VALUES (1, 'x'), (6, 'f') ON CONFLICT DO NOTHING")
            .await,
        [1]
    );
    assert_text(
        &client,
        "INSERT INTO ins (id, v) VALUES (2, 'x') ON CONFLICT (id) DO NOTHING RETURNING id",
        &[],
    )
    .await;
    // ON CONFLICT DO UPDATE, using EXCLUDED and the existing row.
    assert_text(
        &client,
        "INSERT INTO ins (id, v, n) VALUES (1, 'A', 1), (7, 'g', 7)
         ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v || ins.v, n = ins.n + EXCLUDED.n + 100
         RETURNING id, v, n",
        &[&["1", "Aa", "101"], &["7", "g", "7"]],
    )
    .await;
    assert_text(
        &client,
        "INSERT INTO ins VALUES (3, 'C', 3) ON CONFLICT (id) DO UPDATE SET n = EXCLUDED.n \
         WHERE ins.n > 100 RETURNING id",
        &[],
    )
    .await;
    assert_text(
        &client,
        "SELECT id, v, n FROM ins ORDER BY id",
        &[
            &["1", "Aa", "101"],
            &["2", "b", "0"],
            &["3", "c", "0"],
            &["4", "d", "40"],
            &["5", "e", "50"],
            &["6", "f", "0"],
            &["7", "g", "7"],
        ],
    )
    .await;
    // Extended protocol: parameters inferred from the target columns, reused statement.
    let stmt = client.prepare("INSERT INTO ins (id, v) VALUES ($1, $2) RETURNING n").await.unwrap();
    assert_eq!(stmt.params(), &[Type::INT4, Type::TEXT]);
    for id in 10..20i32 {
        let row = client.query_one(&stmt, &[&id, &format!("v{id}")]).await.expect("insert");
        assert_eq!(row.get::<_, i32>(0), 0);
    }
    let n: i64 = client.query_one("SELECT count(*) FROM ins", &[]).await.unwrap().get(0);
    assert_eq!(n, 17);
    // INSERT ... SELECT.
    assert_eq!(
        counts(&client, "INSERT INTO ins (id, v) SELECT id + 100, v FROM ins WHERE id < 3").await,
        [2]
    );
    assert_text(
        &client,
        "SELECT id, v FROM ins WHERE id > 100 ORDER BY id",
        &[&["101", "Aa"], &["102", "b"]],
    )
    .await;
}

#[tokio::test]
async fn update_delete_returning_truncate() {
    let target = Target::new();
    let client = target.client_with_fresh(&["upd"]).await;
    exec(&client, "CREATE TABLE upd (id int PRIMARY KEY, v text, n int)").await;
    exec(&client, "INSERT INTO upd VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3), (4, 'd', 4)")
        .await;
    assert_text(
        &client,
        "UPDATE upd SET n = n * 10, v = v || '!' WHERE n >= 3 RETURNING id, v, n",
        &[&["3", "c!", "30"], &["4", "d!", "40"]],
    )
    .await;
    let stmt = client.prepare("UPDATE upd SET v = $1 WHERE id = $2").await.expect("prepare");
    assert_eq!(client.execute(&stmt, &[&"B", &2i32]).await.expect("update"), 1);
    assert_eq!(client.execute(&stmt, &[&"Z", &99i32]).await.expect("update"), 0);
    assert_text(&client, "DELETE FROM upd WHERE id = 1 RETURNING *", &[&["1", "a", "1"]]).await;
    assert_eq!(counts(&client, "DELETE FROM upd WHERE id = 1").await, [0]);
    assert_text(
        &client,
        "SELECT id, v, n FROM upd ORDER BY id",
        &[&["2", "B", "2"], &["3", "c!", "30"], &["4", "d!", "40"]],
    )
    .await;
    // UPDATE without WHERE touches every row.
    assert_eq!(counts(&client, "UPDATE upd SET n = 0").await, [3]);
    exec(&client, "TRUNCATE upd").await;
    assert_text(&client, "SELECT count(*) FROM upd", &[&["0"]]).await;
    exec(&client, "INSERT INTO upd VALUES (1, 'again', 1)").await;
    exec(&client, "TRUNCATE TABLE upd").await;
    assert_text(&client, "SELECT * FROM upd", &[]).await;
    // DELETE of everything.
    exec(&client, "INSERT INTO upd VALUES (1, 'x', 1), (2, 'y', 2)").await;
    assert_eq!(counts(&client, "DELETE FROM upd").await, [2]);
}

#[tokio::test]
async fn order_by_limit_offset() {
    let target = Target::new();
    let client = target.client_with_fresh(&["ord"]).await;
    exec(&client, "CREATE TABLE ord (id int PRIMARY KEY, g text, n int)").await;
    exec(
        &client,
        "INSERT INTO ord VALUES (1, 'b', 3), (2, 'a', NULL), (3, 'b', 1), (4, 'a', 2), (5, 'c', 3)",
    )
    .await;
    assert_text(
        &client,
        "SELECT id FROM ord ORDER BY n",
        &[&["3"], &["4"], &["1"], &["5"], &["2"]],
    )
    .await;
    // ORDER BY n alone ties 1 and 5; add a second key everywhere it matters.
    assert_text(
        &client,
        "SELECT id FROM ord ORDER BY n DESC, id",
        &[&["2"], &["1"], &["5"], &["4"], &["3"]],
    )
    .await;
    assert_text(
        &client,
        "SELECT id FROM ord ORDER BY n NULLS FIRST, id DESC",
        &[&["2"], &["3"], &["4"], &["5"], &["1"]],
    )
    .await;
    assert_text(
        &client,
        "SELECT g, id FROM ord ORDER BY g DESC, id LIMIT 3",
        &[&["c", "5"], &["b", "1"], &["b", "3"]],
    )
    .await;
    assert_text(&client, "SELECT id FROM ord ORDER BY id LIMIT 2 OFFSET 2", &[&["3"], &["4"]])
        .await;
    assert_text(&client, "SELECT id FROM ord ORDER BY id OFFSET 4", &[&["5"]]).await;
    assert_text(&client, "SELECT id FROM ord ORDER BY id LIMIT 0", &[]).await;
    assert_text(&client, "SELECT id FROM ord ORDER BY id OFFSET 10", &[]).await;
    assert_text(
        &client,
        "SELECT id, n * 2 AS d FROM ord WHERE n IS NOT NULL ORDER BY d DESC, 1 LIMIT 2",
        &[&["1", "6"], &["5", "6"]],
    )
    .await;
    // Parameters in LIMIT/OFFSET.
    let ids: Vec<i32> = client
        .query("SELECT id FROM ord ORDER BY id LIMIT $1 OFFSET $2", &[&2i64, &1i64])
        .await
        .expect("select")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ids, [2, 3]);
}

/// Expressions, casts and functions: (SQL expression, expected text output). Each is checked
/// separately so that a failure report lists every unsupported one.
const EXPRESSIONS: &[(&str, &str)] = &[
    ("1 + 2 * 3", "7"),
    ("7 / 2", "3"),
    ("-7 / 2", "-3"),
    ("7 % 3", "1"),
    ("-7 % 3", "-1"),
    ("2 ^ 10", "1024"),
    ("(1 + 2) * 3", "9"),
    ("10 - -3", "13"),
    ("1 < 2", "t"),
    ("1 = 2", "f"),
    ("1 <> 2", "t"),
    ("1 != 2", "t"),
    ("2 >= 2", "t"),
    ("NULL = NULL IS NULL", "t"),
    ("true AND NULL", "NULL"),
    ("false AND NULL", "f"),
    ("true OR NULL", "t"),
    ("NOT true", "f"),
    ("3 BETWEEN 1 AND 5", "t"),
    ("3 IN (1, 2)", "f"),
    ("'b' IN ('a', 'b')", "t"),
    ("NULL IN (1, 2)", "NULL"),
    ("'42'::int4", "42"),
    ("CAST('-7' AS bigint)", "-7"),
    ("42::text", "42"),
    ("3.7::int4", "4"),
    ("(-3.5)::int4", "-4"),
    ("2.5::int4", "3"),
    ("2.5::float8::int4", "2"),
    ("'1.50'::numeric(4,1)", "1.5"),
    ("'2024-03-01'::date - 1", "2024-02-29"),
    ("true::int4", "1"),
    ("'yes'::bool", "t"),
    ("1::bool", "t"),
    ("'12:34'::interval", "12:34:00"),
    ("CAST(1.5 AS float8)", "1.5"),
    ("'abc'::varchar(2)", "ab"),
    ("' 12 '::int4", "12"),
    ("'2024-02-29 13:14:15'::timestamp::date", "2024-02-29"),
    ("'2024-02-29'::date::timestamp", "2024-02-29 00:00:00"),
    ("'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid::text", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    ("'\\x41'::bytea", "\\x41"),
    ("length('héllo')", "5"),
    ("char_length('héllo')", "5"),
    ("octet_length('héllo')", "6"),
    ("upper('abc')", "ABC"),
    ("lower('ÀB')", "àb"),
    ("substring('hello' from 2 for 3)", "ell"),
    ("substring('hello', 2, 3)", "ell"),
    ("substr('hello', 2)", "ello"),
    ("'a' || 'b' || 1", "ab1"),
    ("'a' || NULL", "NULL"),
    ("concat('a', NULL, 2)", "a2"),
    ("trim('  x  ')", "x"),
    ("btrim('xxaxx', 'x')", "a"),
    ("ltrim('xxy', 'x')", "y"),
    ("rtrim('yxx', 'x')", "y"),
    ("replace('aXbX', 'X', '-')", "a-b-"),
    ("position('l' in 'hello')", "3"),
    ("strpos('hello', 'l')", "3"),
    ("left('hello', 2)", "he"),
    ("right('hello', 2)", "lo"),
    ("reverse('abc')", "cba"),
    ("repeat('ab', 3)", "ababab"),
    ("lpad('7', 3, '0')", "007"),
    ("rpad('7', 3, '0')", "700"),
    ("starts_with('hello', 'he')", "t"),
    ("split_part('a,b,c', ',', 2)", "b"),
    ("initcap('hello world')", "Hello World"),
    ("abs(-5)", "5"),
    ("abs(-2.5)", "2.5"),
    ("round(2.567, 2)", "2.57"),
    ("round(2.5)", "3"),
    ("round(-2.5)", "-3"),
    ("ceil(1.2)", "2"),
    ("floor(-1.2)", "-2"),
    ("trunc(1.99)", "1"),
    ("mod(7, 3)", "1"),
    ("greatest(1, 5, 3)", "5"),
    ("least('b', 'a')", "a"),
    ("coalesce(NULL, NULL, 3)", "3"),
    ("nullif(1, 1)", "NULL"),
    ("nullif(1, 2)", "1"),
    ("sqrt(16::float8)", "4"),
    ("power(2, 3)", "8"),
    ("sign(-3)", "-1"),
    ("CASE WHEN 1 > 2 THEN 'a' WHEN 2 > 1 THEN 'b' ELSE 'c' END", "b"),
    ("CASE 3 WHEN 1 THEN 'one' ELSE 'other' END", "other"),
    ("CASE WHEN false THEN 1 END", "NULL"),
    ("'abc' LIKE 'a%'", "t"),
    ("'abc' LIKE '_b_'", "t"),
    ("'ABC' ILIKE 'a%'", "t"),
    ("'abc' NOT LIKE 'b%'", "t"),
    ("NULL IS NULL", "t"),
    ("1 IS NOT NULL", "t"),
    ("true IS TRUE", "t"),
    ("NULL::bool IS NOT FALSE", "t"),
    ("1 IS DISTINCT FROM NULL", "t"),
    ("date '2024-02-28' + 1", "2024-02-29"),
    ("timestamp '2024-02-29 23:00:00' + interval '2 hours'", "2024-03-01 01:00:00"),
    ("date '2024-03-01' - date '2024-02-01'", "29"),
    ("extract(year from date '2024-02-29')", "2024"),
    ("date_part('month', timestamp '2024-02-29 13:14:15')", "2"),
    ("date_trunc('month', timestamp '2024-02-29 13:14:15')", "2024-02-01 00:00:00"),
    ("interval '1 day' * 3", "3 days"),
    ("timestamp '2024-01-01 00:00:00' - timestamp '2023-12-31 12:00:00'", "12:00:00"),
    ("timestamptz '2024-01-01 00:00:00+00' + interval '1 month'", "2024-02-01 00:00:00+00"),
    ("to_char(date '2024-02-29', 'YYYY-MM-DD')", "2024-02-29"),
    ("'{\"a\": {\"b\": [10, 20]}}'::jsonb -> 'a' -> 'b' -> 1", "20"),
    ("'{\"a\": \"x\"}'::jsonb ->> 'a'", "x"),
    ("'{\"a\": 1, \"b\": 2}'::jsonb @> '{\"a\": 1}'", "t"),
    ("'{\"a\": 1}'::jsonb ? 'a'", "t"),
    ("jsonb_typeof('[1]'::jsonb)", "array"),
    ("'[1, 2.50, \"x\"]'::jsonb", "[1, 2.50, \"x\"]"),
    ("'{\"b\": 1, \"a\": 2, \"b\": 3}'::jsonb", "{\"a\": 2, \"b\": 3}"),
    ("md5('abc')", "900150983cd24fb0d6963f7d28e17f72"),
    ("gen_random_uuid() IS NOT NULL", "t"),
    ("pg_typeof(1::int2)::text", "smallint"),
    ("E'a\\tb'", "a\tb"),
    ("$$dollar 'quoted'$$", "dollar 'quoted'"),
    ("U&'\\0041'", "A"),
];

#[tokio::test]
async fn expressions_casts_and_functions() {
    let target = Target::new();
    let client = target.client().await;
    let mut failures = Vec::new();
    for (expr, expected) in EXPRESSIONS {
        let sql = format!("SELECT {expr}");
        let expected = (*expected != "NULL").then(|| (*expected).to_owned());
        match client.simple_query(&sql).await {
            Ok(messages) => {
                let got: Vec<Option<String>> = messages
                    .iter()
                    .filter_map(|m| match m {
                        SimpleQueryMessage::Row(row) => Some(row.get(0).map(str::to_owned)),
                        _ => None,
                    })
                    .collect();
                if got != [expected.clone()] {
                    failures.push(format!("{sql}: expected {expected:?}, got {got:?}"));
                }
            }
            Err(err) => {
                failures.push(format!("{sql}: expected {expected:?}, got {}", describe(&err)))
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} expressions wrong:\n{}",
        failures.len(),
        EXPRESSIONS.len(),
        failures.join("\n")
    );

    // Binary results carry the exact types.
    let row = client
        .query_one(
            "SELECT 1::int2 + 1::int2, 1 + 1, 1::int8 + 1, 1.5::float4 * 2::float4, 1.5 * 2, 'a' || 'b', \
             count(*)",
            &[],
        )
        .await
        .expect("select");
    assert_eq!(row.columns()[0].type_(), &Type::INT2);
    assert_eq!(row.columns()[1].type_(), &Type::INT4);
    assert_eq!(row.columns()[2].type_(), &Type::INT8);
    assert_eq!(row.columns()[3].type_(), &Type::FLOAT4);
    assert_eq!(row.columns()[4].type_(), &Type::NUMERIC);
    assert_eq!(row.columns()[5].type_(), &Type::TEXT);
    assert_eq!(row.columns()[6].type_(), &Type::INT8);
    assert_eq!(row.get::<_, i16>(0), 2);
    assert_eq!(row.get::<_, f32>(3), 3.0);
    assert_eq!(row.get::<_, Decimal>(4), dec("3.0"));
    // Parameter types inferred from casts and from the other operand.
    let row = client
        .query_one(
            "SELECT $1::int8 * 2, $2::text || 'x', $3::date + 1",
            &[&21i64, &"a", &date(2024, 2, 28)],
        )
        .await
        .expect("select");
    assert_eq!(row.get::<_, i64>(0), 42);
    assert_eq!(row.get::<_, String>(1), "ax");
    assert_eq!(row.get::<_, NaiveDate>(2), date(2024, 2, 29));
}

#[tokio::test]
async fn aggregates() {
    let target = Target::new();
    let client = target.client_with_fresh(&["agg"]).await;
    exec(&client, "CREATE TABLE agg (id int PRIMARY KEY, g text, n int, x numeric(6,2))").await;
    exec(
        &client,
        "INSERT INTO agg VALUES (1, 'a', 1, 1.50), (2, 'a', 2, NULL), (3, 'b', 3, 2.25), \
         (4, 'b', NULL, 3.00), (5, 'c', 5, 0.25)",
    )
    .await;
    assert_text(
        &client,
        "SELECT count(*), count(n), sum(n), min(n), max(n), sum(x), avg(n), min(g), max(g) FROM agg",
        &[&["5", "4", "11", "1", "5", "7.00", "2.7500000000000000", "a", "c"]],
    )
    .await;
    assert_text(&client, "SELECT sum(n), max(g) FROM agg WHERE id > 100", &[&["NULL", "NULL"]])
        .await;
    assert_text(&client, "SELECT count(*) FROM agg WHERE g = 'b'", &[&["2"]]).await;
    let row = client.query_one("SELECT count(*), sum(n), sum(x) FROM agg", &[]).await.unwrap();
    assert_eq!(row.get::<_, i64>(0), 5);
    assert_eq!(row.get::<_, i64>(1), 11);
    assert_eq!(row.get::<_, Decimal>(2), dec("7.00"));
    // GROUP BY / HAVING / DISTINCT are not part of this milestone (see docs/sql.md).
}

// ---------------------------------------------------------------------------------------------
// Transactions and session state
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn transactions_and_savepoints() {
    let target = Target::new();
    let client = target.client_with_fresh(&["tx", "tx_ddl", "tx_keep"]).await;
    exec(&client, "CREATE TABLE tx (id int PRIMARY KEY, v text)").await;

    exec(&client, "BEGIN; INSERT INTO tx VALUES (1, 'a'); COMMIT").await;
    exec(&client, "BEGIN; INSERT INTO tx VALUES (2, 'b'); ROLLBACK").await;
    exec(&client, "START TRANSACTION; INSERT INTO tx VALUES (3, 'c'); END").await;
    assert_text(&client, "SELECT id FROM tx ORDER BY id", &[&["1"], &["3"]]).await;

    // A transaction sees its own writes; another client sees them only after COMMIT.
    let other = target.client().await;
    exec(&client, "BEGIN").await;
    exec(&client, "INSERT INTO tx VALUES (4, 'd')").await;
    exec(&client, "UPDATE tx SET v = 'A' WHERE id = 1").await;
    assert_text(&client, "SELECT v FROM tx WHERE id IN (1, 4) ORDER BY id", &[&["A"], &["d"]])
        .await;
    assert_text(&other, "SELECT v FROM tx WHERE id IN (1, 4) ORDER BY id", &[&["a"]]).await;
    exec(&client, "COMMIT").await;
    assert_text(&other, "SELECT v FROM tx WHERE id IN (1, 4) ORDER BY id", &[&["A"], &["d"]]).await;

    // Savepoints: partial rollback, release, and recovery from an error.
    exec(
        &client,
        "BEGIN;
         INSERT INTO tx VALUES (10, 'x');
         SAVEPOINT s1;
         INSERT INTO tx VALUES (11, 'y');
         SAVEPOINT s2;
         INSERT INTO tx VALUES (12, 'z');
         ROLLBACK TO SAVEPOINT s2;
         RELEASE SAVEPOINT s1;
         SAVEPOINT s3;
         DELETE FROM tx WHERE id = 10;
         ROLLBACK TO s3;",
    )
    .await;
    let err = client.simple_query("INSERT INTO tx VALUES (1, 'dup')").await;
    assert_eq!(sqlstate("duplicate in txn", err), "23505");
    assert_eq!(
        sqlstate("after error", client.simple_query("SELECT 1").await),
        "25P02",
        "commands ignored until end of transaction block"
    );
    exec(&client, "ROLLBACK TO SAVEPOINT s3; INSERT INTO tx VALUES (13, 'w'); COMMIT").await;
    assert_text(
        &client,
        "SELECT id FROM tx WHERE id >= 10 ORDER BY id",
        &[&["10"], &["11"], &["13"]],
    )
    .await;

    // DDL inside a rolled-back transaction disappears; committed DDL stays.
    exec(
        &client,
        "BEGIN; CREATE TABLE tx_ddl (id int PRIMARY KEY); INSERT INTO tx_ddl VALUES (1); ROLLBACK",
    )
    .await;
    assert_error(&client, "SELECT * FROM tx_ddl", "42P01").await;
    exec(&client, "CREATE TABLE tx_keep (id int PRIMARY KEY); INSERT INTO tx_keep VALUES (1)")
        .await;
    exec(&client, "BEGIN; DROP TABLE tx_keep; ROLLBACK").await;
    assert_text(&client, "SELECT id FROM tx_keep", &[&["1"]]).await;
    exec(&client, "BEGIN; TRUNCATE tx_keep; ROLLBACK").await;
    assert_text(&client, "SELECT id FROM tx_keep", &[&["1"]]).await;
    exec(&client, "BEGIN; CREATE TABLE tx_ddl (id int PRIMARY KEY); SAVEPOINT a; DROP TABLE tx_ddl; ROLLBACK TO a; INSERT INTO tx_ddl VALUES (5); COMMIT").await;
    assert_text(&client, "SELECT id FROM tx_ddl", &[&["5"]]).await;

    // tokio-postgres' own transaction API (BEGIN/COMMIT/ROLLBACK over extended queries).
    let mut client = client;
    {
        let txn = client.transaction().await.expect("begin");
        txn.execute("INSERT INTO tx VALUES ($1, $2)", &[&20i32, &"t"]).await.expect("insert");
        txn.rollback().await.expect("rollback");
    }
    {
        let mut txn = client.transaction().await.expect("begin");
        txn.execute("INSERT INTO tx VALUES ($1, $2)", &[&21i32, &"t"]).await.expect("insert");
        let nested = txn.savepoint("sp_inner").await;
        let nested = nested.expect("savepoint");
        nested.execute("INSERT INTO tx VALUES ($1, $2)", &[&22i32, &"t"]).await.expect("insert");
        nested.rollback().await.expect("rollback to savepoint");
        txn.commit().await.expect("commit");
    }
    assert_text(&client, "SELECT id FROM tx WHERE id >= 20 ORDER BY id", &[&["21"]]).await;
}

#[tokio::test]
async fn failed_transaction_block() {
    let target = Target::new();
    let client = target.client_with_fresh(&["fail_tx"]).await;
    exec(&client, "CREATE TABLE fail_tx (id int PRIMARY KEY)").await;
    exec(&client, "BEGIN; INSERT INTO fail_tx VALUES (1)").await;
    assert_eq!(sqlstate("1/0", client.simple_query("SELECT 1/0").await), "22012");
    // Both protocols refuse everything but the end of the block.
    assert_eq!(sqlstate("simple", client.simple_query("SELECT 1").await), "25P02");
    assert_eq!(sqlstate("extended", client.query("SELECT 1", &[]).await), "25P02");
    assert_eq!(
        sqlstate("insert", client.simple_query("INSERT INTO fail_tx VALUES (2)").await),
        "25P02"
    );
    // COMMIT of a failed block rolls back.
    let messages = client.simple_query("COMMIT").await.expect("commit of a failed block");
    assert!(matches!(messages.last(), Some(SimpleQueryMessage::CommandComplete(0))));
    let n = text_value(&client, "SELECT count(*) FROM fail_tx").await;
    assert_eq!(n.as_deref(), Some("0"), "COMMIT of a failed block must roll back");
    // A failing statement in the middle of a multi-statement simple query in a block.
    let err = client
        .simple_query(
            "BEGIN; INSERT INTO fail_tx VALUES (1); SELECT nosuch; INSERT INTO fail_tx VALUES (2)",
        )
        .await;
    assert_eq!(sqlstate("multi", err), "42703");
    assert_eq!(sqlstate("after", client.simple_query("SELECT 1").await), "25P02");
    exec(&client, "ROLLBACK").await;
    // In autocommit mode, an error in a multi-statement string rolls back the whole string.
    let err = client
        .simple_query("INSERT INTO fail_tx VALUES (1); SELECT 1/0; INSERT INTO fail_tx VALUES (2)")
        .await;
    assert_eq!(sqlstate("implicit block", err), "22012");
    let n = text_value(&client, "SELECT count(*) FROM fail_tx").await;
    assert_eq!(
        n.as_deref(),
        Some("0"),
        "a multi-statement Query runs as one implicit transaction: the error rolls back the \
         INSERT before it"
    );
}

#[tokio::test]
async fn set_show_reset_and_session_functions() {
    let target = Target::new();
    let client = target.client().await;
    let mut checks = Checks::default();
    checks.text(&client, "SHOW application_name", &[&[""]]).await;
    exec(&client, "SET application_name = 'sqlwire'").await;
    checks.text(&client, "SHOW application_name", &[&["sqlwire"]]).await;
    exec(&client, "SET application_name TO 'other'").await;
    checks.text(&client, "SELECT current_setting('application_name')", &[&["other"]]).await;
    exec(&client, "RESET application_name").await;
    checks.text(&client, "SHOW application_name", &[&[""]]).await;
    checks.text(&client, "SHOW extra_float_digits", &[&["1"]]).await;
    exec(&client, "SET extra_float_digits = 3").await;
    checks.text(&client, "SHOW extra_float_digits", &[&["3"]]).await;
    exec(&client, "RESET ALL").await;
    checks.text(&client, "SHOW extra_float_digits", &[&["1"]]).await;
    checks.text(&client, "SHOW server_encoding", &[&["UTF8"]]).await;
    checks.text(&client, "SHOW client_encoding", &[&["UTF8"]]).await;
    checks.text(&client, "SHOW DateStyle", &[&["ISO, MDY"]]).await;
    checks.text(&client, "SHOW standard_conforming_strings", &[&["on"]]).await;
    // SET LOCAL lasts until the end of the transaction.
    exec(&client, "BEGIN; SET LOCAL application_name = 'inner'").await;
    checks.text(&client, "SHOW application_name", &[&["inner"]]).await;
    exec(&client, "COMMIT").await;
    checks.text(&client, "SHOW application_name", &[&[""]]).await;
    // A SET inside a rolled-back transaction is undone.
    exec(&client, "RESET application_name").await;
    exec(&client, "BEGIN; SET application_name = 'undone'; ROLLBACK").await;
    checks.text(&client, "SHOW application_name", &[&[""]]).await;
    checks.error(&client, "SHOW no_such_setting", "42704").await;

    let version = text_value(&client, "SELECT version()").await.expect("version");
    assert!(version.starts_with("PostgreSQL 15."), "version() = {version}");
    let server_version = text_value(&client, "SHOW server_version").await.expect("version");
    assert!(server_version.starts_with("15."), "server_version = {server_version}");
    assert_text(
        &client,
        "SELECT current_database(), current_schema(), current_user, session_user, current_schema",
        &[&["quorumdb", "public", "quorumdb", "quorumdb", "public"]],
    )
    .await;
    let row = client
        .query_one("SELECT current_database(), current_user, now(), current_timestamp", &[])
        .await
        .expect("select");
    assert_eq!(row.get::<_, String>(0), "quorumdb");
    assert_eq!(row.get::<_, String>(1), "quorumdb");
    let now: DateTime<Utc> = row.get(2);
    let skew = (Utc::now() - now).num_seconds().abs();
    assert!(skew < 60, "now() is {now}, {skew} s off");
    assert_eq!(row.get::<_, DateTime<Utc>>(3), now);
    // now() is the transaction's start time.
    exec(&client, "BEGIN").await;
    let a: DateTime<Utc> = client.query_one("SELECT now()", &[]).await.unwrap().get(0);
    let b: DateTime<Utc> = client.query_one("SELECT now()", &[]).await.unwrap().get(0);
    exec(&client, "COMMIT").await;
    assert_eq!(a, b);
    checks.finish();
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn sqlstates() {
    let target = Target::new();
    let client = target.client_with_fresh(&["errs"]).await;
    let mut checks = Checks::default();
    exec(
        &client,
        "CREATE TABLE errs (id int PRIMARY KEY, name text NOT NULL, n int CHECK (n >= 0), \
         s smallint, u text UNIQUE)",
    )
    .await;
    exec(&client, "INSERT INTO errs VALUES (1, 'a', 1, 1, 'u1')").await;
    checks.error(&client, "SELECT * FROM no_such_table", "42P01").await;
    checks.error(&client, "INSERT INTO no_such_table VALUES (1)", "42P01").await;
    checks.error(&client, "SELECT no_such_column FROM errs", "42703").await;
    checks.error(&client, "UPDATE errs SET no_such_column = 1", "42703").await;
    checks.error(&client, "INSERT INTO errs (id, nope) VALUES (1, 2)", "42703").await;
    checks.error(&client, "SELEC 1", "42601").await;
    checks.error(&client, "SELECT 1 +", "42601").await;
    checks.error(&client, "INSERT INTO errs VALUES (2, 'b', 1, 1, 'u1')", "23505").await;
    checks.error(&client, "INSERT INTO errs VALUES (1, 'b', 1, 1, 'u2')", "23505").await;
    checks.error(&client, "INSERT INTO errs (id) VALUES (2)", "23502").await;
    checks.error(&client, "INSERT INTO errs VALUES (2, 'b', -1)", "23514").await;
    checks.error(&client, "SELECT 'abc'::int4", "22P02").await;
    checks.error(&client, "SELECT '1.5'::int8", "22P02").await;
    checks.error(&client, "INSERT INTO errs VALUES ('x', 'b')", "22P02").await;
    checks.error(&client, "SELECT 'not a uuid'::uuid", "22P02").await;
    checks.error(&client, "SELECT '{bad json'::jsonb", "22P02").await;
    checks.error(&client, "SELECT 'maybe'::bool", "22P02").await;
    checks.error(&client, "SELECT '2024-13-45'::date", "22008").await;
    checks.error(&client, "SELECT 2147483647 + 1", "22003").await;
    checks.error(&client, "SELECT 9223372036854775807::int8 * 2", "22003").await;
    checks.error(&client, "SELECT 40000::int2", "22003").await;
    checks.error(&client, "INSERT INTO errs (id, name, s) VALUES (3, 'c', 40000)", "22003").await;
    checks.error(&client, "SELECT 99999999999::int4", "22003").await;
    checks.error(&client, "SELECT 1 / 0", "22012").await;
    checks.error(&client, "SELECT 1.5 / 0", "22012").await;
    checks.error(&client, "SELECT 5 % 0", "22012").await;
    checks.error(&client, "SELECT 1::float8 / 0", "22012").await;
    checks.error(&client, "SELECT 1 FROM errs WHERE id = 'x'", "22P02").await;
    checks.error(&client, "SELECT 1 + 'a'::text", "42883").await;
    // The failed statements changed nothing.
    checks.text(&client, "SELECT id, name FROM errs", &[&["1", "a"]]).await;

    // Syntax errors carry a 1-based character position.
    for (sql, position) in
        [("SELEC 1", 1), ("SELECT * FROM errs WHERE id = = 1", 31), ("SELECT 1 +", 11)]
    {
        let got = client.simple_query(sql).await.err().and_then(|e| {
            e.as_db_error().map(|db| (db.code().code().to_owned(), db.position().cloned()))
        });
        let want = ("42601".to_owned(), Some(ErrorPosition::Original(position)));
        checks.check(got.as_ref() == Some(&want), || {
            format!("{sql}: expected error {want:?}, got {got:?}")
        });
    }
    // Undefined names have a position too.
    for (sql, code, position) in
        [("SELECT id, nope FROM errs", "42703", 12), ("SELECT * FROM  nowhere", "42P01", 16)]
    {
        let got = client.simple_query(sql).await.err().and_then(|e| {
            e.as_db_error().map(|db| (db.code().code().to_owned(), db.position().cloned()))
        });
        let want = (code.to_owned(), Some(ErrorPosition::Original(position)));
        checks.check(got.as_ref() == Some(&want), || {
            format!("{sql}: expected error {want:?}, got {got:?}")
        });
    }
    // The connection is still usable after all that.
    checks.text(&client, "SELECT 1", &[&["1"]]).await;
    checks.finish();
}

#[tokio::test]
async fn serialization_failure_is_40001() {
    let target = Target::new();
    let setup = target.client_with_fresh(&["ser_conflict"]).await;
    exec(&setup, "CREATE TABLE ser_conflict (id int PRIMARY KEY, v int)").await;
    exec(&setup, "INSERT INTO ser_conflict VALUES (1, 0), (2, 0)").await;

    let a = Arc::new(target.client().await);
    let b = Arc::new(target.client().await);
    exec(&a, "BEGIN ISOLATION LEVEL SERIALIZABLE").await;
    exec(&b, "BEGIN ISOLATION LEVEL SERIALIZABLE").await;
    // Both take their snapshot before either writes.
    assert_text(&a, "SELECT v FROM ser_conflict WHERE id = 1", &[&["0"]]).await;
    assert_text(&b, "SELECT v FROM ser_conflict WHERE id = 1", &[&["0"]]).await;
    exec(&a, "UPDATE ser_conflict SET v = v + 1 WHERE id = 1").await;
    // B's UPDATE of the same row may block on A (PostgreSQL) or go ahead (optimistic).
    let b_update = {
        let b = b.clone();
        tokio::spawn(async move {
            b.simple_query("UPDATE ser_conflict SET v = v + 10 WHERE id = 1").await
        })
    };
    exec(&a, "COMMIT").await;
    let code = match b_update.await.expect("join") {
        Err(err) => {
            let code = err.code().map(|c| c.code().to_owned());
            exec(&b, "ROLLBACK").await;
            code
        }
        Ok(_) => {
            let commit = b.simple_query("COMMIT").await;
            match commit {
                Ok(messages) => panic!("second COMMIT succeeded: {messages:?}"),
                Err(err) => err.code().map(|c| c.code().to_owned()),
            }
        }
    };
    assert_eq!(code.as_deref(), Some("40001"));
    assert_text(&setup, "SELECT v FROM ser_conflict WHERE id = 1", &[&["1"]]).await;

    // Disjoint rows do not conflict.
    exec(&a, "BEGIN ISOLATION LEVEL SERIALIZABLE").await;
    exec(&b, "BEGIN ISOLATION LEVEL SERIALIZABLE").await;
    exec(&a, "UPDATE ser_conflict SET v = 5 WHERE id = 1").await;
    exec(&b, "UPDATE ser_conflict SET v = 6 WHERE id = 2").await;
    exec(&a, "COMMIT").await;
    exec(&b, "COMMIT").await;
    assert_text(&setup, "SELECT v FROM ser_conflict ORDER BY id", &[&["5"], &["6"]]).await;

    // The retried transaction succeeds.
    exec(&b, "BEGIN; UPDATE ser_conflict SET v = v + 10 WHERE id = 1; COMMIT").await;
    assert_text(&setup, "SELECT v FROM ser_conflict WHERE id = 1", &[&["15"]]).await;
}

// ---------------------------------------------------------------------------------------------
// Concurrency, streaming, COPY
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_clients() {
    let target = Arc::new(Target::new());
    let setup = target.client_with_fresh(&["conc"]).await;
    exec(&setup, "CREATE TABLE conc (id int PRIMARY KEY, client int, v text)").await;
    const CLIENTS: i32 = 8;
    const ROWS: i32 = 100;
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let target = target.clone();
        tasks.push(tokio::spawn(async move {
            let client = target.client().await;
            let insert =
                client.prepare("INSERT INTO conc VALUES ($1, $2, $3)").await.expect("prepare");
            for i in 0..ROWS {
                let id = c * ROWS + i;
                if i % 10 == 0 {
                    // Some rows in explicit multi-statement transactions.
                    let sql = format!("BEGIN; INSERT INTO conc VALUES ({id}, {c}, 'txn'); COMMIT");
                    client.batch_execute(&sql).await.map_err(|e| describe(&e))?;
                } else {
                    client
                        .execute(&insert, &[&id, &c, &format!("row {id}")])
                        .await
                        .map_err(|e| describe(&e))?;
                }
            }
            let mine: i64 = client
                .query_one("SELECT count(*) FROM conc WHERE client = $1", &[&c])
                .await
                .map_err(|e| describe(&e))?
                .get(0);
            Ok::<i64, String>(mine)
        }));
    }
    for task in tasks {
        assert_eq!(task.await.expect("join"), Ok(i64::from(ROWS)));
    }
    assert_text(
        &setup,
        "SELECT count(*), count(DISTINCT client), min(id), max(id) FROM conc",
        &[&["800", "8", "0", "799"]],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_select_streams_through_a_portal() {
    let target = Target::new();
    let client = target.client_with_fresh(&["big"]).await;
    exec(&client, "CREATE TABLE big (id int8 PRIMARY KEY, payload text)").await;
    const ROWS: i64 = 200_000;
    exec(
        &client,
        &format!(
            "INSERT INTO big SELECT g, 'payload number ' || g FROM generate_series(1, {ROWS}) AS g"
        ),
    )
    .await;
    let params: [&(dyn ToSql + Sync); 0] = [];
    let stream = client.query_raw("SELECT id, payload FROM big", params).await.expect("query_raw");
    futures_util::pin_mut!(stream);
    let (mut count, mut sum) = (0i64, 0i64);
    while let Some(row) = stream.try_next().await.expect("row") {
        let id: i64 = row.get(0);
        let payload: &str = row.get(1);
        assert_eq!(payload, format!("payload number {id}"));
        count += 1;
        sum += id;
    }
    assert_eq!(count, ROWS);
    assert_eq!(sum, ROWS * (ROWS + 1) / 2);
    assert_eq!(stream.rows_affected(), Some(ROWS as u64));

    // A portal read in chunks (Execute with a row limit) inside a transaction.
    let mut client = client;
    let txn = client.transaction().await.expect("begin");
    let portal =
        txn.bind("SELECT id FROM big WHERE id > $1 ORDER BY id", &[&(ROWS - 2500)]).await.unwrap();
    let mut seen = Vec::new();
    loop {
        let chunk = txn.query_portal(&portal, 1000).await.expect("portal chunk");
        if chunk.is_empty() {
            break;
        }
        assert!(chunk.len() <= 1000);
        seen.extend(chunk.iter().map(|r| r.get::<_, i64>(0)));
    }
    txn.commit().await.expect("commit");
    assert_eq!(seen, (ROWS - 2499..=ROWS).collect::<Vec<_>>());
    assert_text(&client, "SELECT count(*) FROM big", &[&["200000"]]).await;
}

#[tokio::test]
async fn copy_in_and_out() {
    let target = Target::new();
    let client = target.client_with_fresh(&["cp"]).await;
    exec(&client, "CREATE TABLE cp (id int PRIMARY KEY, name text, n numeric(6,2), d date)").await;

    // Text format: tabs, \N for NULL, backslash escapes, several chunks splitting lines.
    let sink = client.copy_in("COPY cp (id, name, n, d) FROM STDIN").await.expect("copy in");
    futures_util::pin_mut!(sink);
    for chunk in [
        "1\tone\t1.50\t2024-01-01\n2\t\\N\t\\N\t\\N\n3\ttab\\there",
        "\t-2\t2024-02-29\n4\tback\\\\slash\t0\t1999-12-31\n",
    ] {
        sink.send(Bytes::from(chunk)).await.expect("copy data");
    }
    assert_eq!(sink.finish().await.expect("copy done"), 4);

    // CSV: quoting, embedded commas/quotes/newlines, empty string vs NULL.
    let sink = client
        .copy_in("COPY cp (id, name, n) FROM STDIN WITH (FORMAT csv)")
        .await
        .expect("copy in csv");
    futures_util::pin_mut!(sink);
    sink.send(Bytes::from(
        "5,\"a,b\",1\n6,\"say \"\"hi\"\"\",\n7,\"\",2.25\n8,,3\n9,\"two\nlines\",4\n",
    ))
    .await
    .expect("copy data");
    assert_eq!(sink.finish().await.expect("copy done"), 5);

    // CSV with a header line.
    let sink = client
        .copy_in("COPY cp (id, name) FROM STDIN WITH (FORMAT csv, HEADER true)")
        .await
        .expect("copy in csv header");
    futures_util::pin_mut!(sink);
    sink.send(Bytes::from("id,name\n10,ten\n")).await.expect("copy data");
    assert_eq!(sink.finish().await.expect("copy done"), 1);

    assert_text(
        &client,
        "SELECT id, name, n, d FROM cp ORDER BY id",
        &[
            &["1", "one", "1.50", "2024-01-01"],
            &["2", "NULL", "NULL", "NULL"],
            &["3", "tab\there", "-2.00", "2024-02-29"],
            &["4", "back\\slash", "0.00", "1999-12-31"],
            &["5", "a,b", "1.00", "NULL"],
            &["6", "say \"hi\"", "NULL", "NULL"],
            &["7", "", "2.25", "NULL"],
            &["8", "NULL", "3.00", "NULL"],
            &["9", "two\nlines", "4.00", "NULL"],
            &["10", "ten", "NULL", "NULL"],
        ],
    )
    .await;

    // A bad row fails the whole COPY (nothing inserted).
    let sink = client.copy_in("COPY cp (id, name) FROM STDIN").await.expect("copy in");
    futures_util::pin_mut!(sink);
    sink.send(Bytes::from("11\tok\nnot-a-number\tbad\n")).await.expect("copy data");
    let err = sink.finish().await.expect_err("bad row");
    assert_eq!(err.code().map(|c| c.code()), Some("22P02"), "{}", describe(&err));
    assert_text(&client, "SELECT count(*) FROM cp WHERE id = 11", &[&["0"]]).await;

    // COPY TO STDOUT, text and csv.
    let text: Vec<u8> = client
        .copy_out("COPY (SELECT id, name, n, d FROM cp WHERE id <= 4 ORDER BY id) TO STDOUT")
        .await
        .expect("copy out")
        .try_fold(Vec::new(), |mut acc, chunk| async move {
            acc.extend_from_slice(&chunk);
            Ok(acc)
        })
        .await
        .expect("copy out data");
    assert_eq!(
        String::from_utf8(text).unwrap(),
        "1\tone\t1.50\t2024-01-01\n2\t\\N\t\\N\t\\N\n3\ttab\\there\t-2.00\t2024-02-29\n\
         4\tback\\\\slash\t0.00\t1999-12-31\n"
    );
    let csv: Vec<u8> = client
        .copy_out(
            "COPY (SELECT id, name, n FROM cp WHERE id BETWEEN 5 AND 9 ORDER BY id) TO STDOUT \
             WITH (FORMAT csv, HEADER)",
        )
        .await
        .expect("copy out csv")
        .try_fold(Vec::new(), |mut acc, chunk| async move {
            acc.extend_from_slice(&chunk);
            Ok(acc)
        })
        .await
        .expect("copy out data");
    assert_eq!(
        String::from_utf8(csv).unwrap(),
        "id,name,n\n5,\"a,b\",1.00\n6,\"say \"\"hi\"\"\",\n7,\"\",2.25\n8,,3.00\n9,\"two\nlines\",4.00\n"
    );
    // A whole table, in its column order.
    let rows = client.copy_out("COPY cp TO STDOUT").await.expect("copy out table");
    let all: Vec<Bytes> = rows.try_collect().await.expect("copy out data");
    let all: Vec<u8> = all.concat();
    assert_eq!(String::from_utf8(all).unwrap().lines().count(), 10);
}

#[tokio::test]
async fn extended_protocol_details() {
    let target = Target::new();
    let client = target.client_with_fresh(&["ext"]).await;
    exec(&client, "CREATE TABLE ext (id int8 PRIMARY KEY, v text, f float8, d date)").await;
    // Parameter types come from the columns they meet.
    let stmt = client
        .prepare("SELECT id, v FROM ext WHERE id = $1 AND v <> $2 AND f < $3 AND d > $4")
        .await
        .expect("prepare");
    assert_eq!(stmt.params(), &[Type::INT8, Type::TEXT, Type::FLOAT8, Type::DATE]);
    assert_eq!(stmt.columns().len(), 2);
    assert_eq!(stmt.columns()[0].name(), "id");
    assert_eq!(stmt.columns()[0].type_(), &Type::INT8);
    assert_eq!(stmt.columns()[1].type_(), &Type::TEXT);
    // Explicit parameter types.
    let typed = client
        .prepare_typed("INSERT INTO ext (id, v) VALUES ($1, $2)", &[Type::INT8, Type::TEXT])
        .await
        .expect("prepare typed");
    for id in 1..=5i64 {
        client.execute(&typed, &[&id, &format!("v{id}")]).await.expect("insert");
    }
    // NULL parameters.
    client.execute(&typed, &[&6i64, &None::<String>]).await.expect("insert null");
    let v: Option<String> =
        client.query_one("SELECT v FROM ext WHERE id = $1", &[&6i64]).await.unwrap().get(0);
    assert_eq!(v, None);
    // Many prepared statements alive at once, used interleaved, then dropped (Close).
    let mut stmts = Vec::new();
    for i in 0..20 {
        stmts.push(client.prepare(&format!("SELECT v, {i} FROM ext WHERE id = $1")).await.unwrap());
    }
    for (i, stmt) in stmts.iter().enumerate().rev() {
        let row = client.query_one(stmt, &[&((i % 5) as i64 + 1)]).await.expect("run");
        assert_eq!(row.get::<_, String>(0), format!("v{}", i % 5 + 1));
        assert_eq!(row.get::<_, i32>(1), i as i32);
    }
    drop(stmts);
    // Statements with no result columns, and empty results.
    let stmt = client.prepare("DELETE FROM ext WHERE id = $1").await.expect("prepare");
    assert!(stmt.columns().is_empty());
    assert_eq!(client.execute(&stmt, &[&1i64]).await.unwrap(), 1);
    assert!(client.query("SELECT * FROM ext WHERE id = 1", &[]).await.unwrap().is_empty());
    // An error in the extended protocol does not poison the connection.
    let err = client.query("SELECT 1/0", &[]).await;
    assert_eq!(sqlstate("1/0", err), "22012");
    let n: i64 = client.query_one("SELECT count(*) FROM ext", &[]).await.unwrap().get(0);
    assert_eq!(n, 5);
    // Multi-statement strings are refused by Parse.
    let err = client.prepare("SELECT 1; SELECT 2").await;
    assert_eq!(sqlstate("two statements", err), "42601");
    // Empty query.
    let empty = client.simple_query("").await.expect("empty query");
    assert!(!empty.iter().any(|m| matches!(m, SimpleQueryMessage::Row(_))), "{empty:?}");
}

#[tokio::test]
async fn long_expressions_do_not_crash_the_server() {
    let target = Target::new();
    let client = target.client_with_fresh(&["longexpr"]).await;
    exec(&client, "CREATE TABLE longexpr (id int PRIMARY KEY); INSERT INTO longexpr VALUES (7)")
        .await;
    // Generated SQL (ORMs, IN/OR lists) easily reaches hundreds of terms; PostgreSQL 15
    // evaluates all of these.
    let plus = format!("SELECT {}", vec!["1"; 1000].join(" + "));
    let ors = format!(
        "SELECT count(*) FROM longexpr WHERE {}",
        (0..1000).map(|i| format!("id = {i}")).collect::<Vec<_>>().join(" OR ")
    );
    let nested = format!("SELECT {}1{}", "(".repeat(300), ")".repeat(300));
    let mut checks = Checks::default();
    checks.text(&client, &plus, &[&["1000"]]).await;
    // The server must still be there (a fresh connection, in case this one was dropped).
    let client = match common::connect(&target.conn_str).await {
        Ok(client) => client,
        Err(err) => {
            checks.0.push(format!("the server is gone after the 1000-term + chain: {err}"));
            checks.finish();
            return;
        }
    };
    checks.text(&client, &ors, &[&["1"]]).await;
    let client = target.client().await;
    // Deep nesting may be refused with an error, but must not take the server down.
    let _ = client.simple_query(&nested).await;
    let client = target.client().await;
    checks.text(&client, "SELECT 1", &[&["1"]]).await;
    checks.finish();
}
