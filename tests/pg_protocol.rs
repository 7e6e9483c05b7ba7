//! End-to-end tests of the PostgreSQL wire protocol against the real binary: startup and
//! authentication, simple and extended query, Flush, portals with row limits, COPY, errors
//! and transaction status, cancel, limits and garbage input, client disappearance, SIGTERM.
//! Drivers: tokio-postgres, and raw sockets (`common::Raw`) for what drivers cannot express.

mod common;

use bytes::Bytes;
use common::{Msg, Raw, Server, connect, tags};
use futures_util::{SinkExt, StreamExt};
use quorumdb::pg::frame::{Frontend, StartupPacket, Target};
use tokio_postgres::error::SqlState;
use tokio_postgres::{SimpleQueryMessage, types::Type};

fn param(msgs: &[Msg], name: &str) -> Option<String> {
    msgs.iter().filter(|m| m.tag == b'S').find_map(|m| {
        let mut parts = m.body.split(|&b| b == 0);
        let key = parts.next()?;
        let value = parts.next()?;
        (key == name.as_bytes()).then(|| String::from_utf8_lossy(value).into_owned())
    })
}

fn query(sql: &str) -> Frontend {
    Frontend::Query(sql.into())
}

// ---------------------------------------------------------------------------------------------
// Startup and authentication
// ---------------------------------------------------------------------------------------------

#[test]
fn startup_after_ssl_request_reports_parameters() {
    let server = Server::start(&[]);
    let (mut raw, msgs) = Raw::startup(server.port);
    let t = tags(&msgs);
    assert!(t.starts_with("R"), "{t}");
    assert!(t.ends_with("KZ"), "{t}");
    assert_eq!(msgs.last().map(|m| m.body.clone()), Some(b"I".to_vec()));
    assert!(param(&msgs, "server_version").is_some_and(|v| v.starts_with("15.")), "{msgs:?}");
    assert_eq!(param(&msgs, "DateStyle").as_deref(), Some("ISO, MDY"));
    assert_eq!(param(&msgs, "integer_datetimes").as_deref(), Some("on"));
    assert_eq!(param(&msgs, "standard_conforming_strings").as_deref(), Some("on"));
    assert_eq!(param(&msgs, "client_encoding").as_deref(), Some("UTF8"));
    raw.send(&[query("SELECT 1")]);
    let reply = raw.until_ready();
    assert_eq!(tags(&reply), "TDCZ");
    assert_eq!(reply[2].text(), "SELECT 1");
    raw.send(&[Frontend::Terminate]);
    assert!(raw.closed());
}

#[test]
fn gssenc_then_ssl_then_startup() {
    let server = Server::start(&[]);
    let mut raw = Raw::connect(server.port);
    for packet in [StartupPacket::GssEncRequest, StartupPacket::SslRequest] {
        raw.send_startup(&packet);
        let mut byte = [0u8; 1];
        std::io::Read::read_exact(&mut raw.stream, &mut byte).expect("answer");
        assert_eq!(byte[0], b'N');
    }
    raw.send_startup(&StartupPacket::Startup {
        major: 3,
        minor: 0,
        params: vec![("user".into(), "quorumdb".into())],
    });
    assert!(tags(&raw.until_ready()).ends_with('Z'));
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_user_is_refused() {
    let server = Server::start(&[]);
    let err = connect(&format!("host=127.0.0.1 port={} user=bob", server.port))
        .await
        .expect_err("bob must be refused");
    let db = err.as_db_error().expect("a server error");
    assert_eq!(db.code(), &SqlState::INVALID_AUTHORIZATION_SPECIFICATION);
    assert_eq!(db.message(), "role \"bob\" does not exist");
    assert_eq!(db.severity(), "FATAL");
    assert!(db.hint().is_some_and(|h| h.contains("quorumdb")));
}

#[tokio::test(flavor = "multi_thread")]
async fn scram_password_required_when_configured() {
    let server = Server::start(&["--password", "s3cret pass"]);
    let base = server.conn_str();
    let client = connect(&format!("{base} password='s3cret pass'")).await.expect("right password");
    let rows = client.simple_query("SELECT 1").await.expect("query after SCRAM");
    assert!(matches!(rows.last(), Some(SimpleQueryMessage::CommandComplete(1))));

    let err = connect(&format!("{base} password=wrong")).await.expect_err("wrong password");
    let db = err.as_db_error().expect("a server error");
    assert_eq!(db.code(), &SqlState::INVALID_PASSWORD);
    assert_eq!(db.message(), "password authentication failed for user \"quorumdb\"");

    // Without a password the client cannot answer the SASL request at all.
    assert!(connect(&base).await.is_err());
    // The server is still fine.
    connect(&format!("{base} password='s3cret pass'")).await.expect("reconnect");
}

#[tokio::test(flavor = "multi_thread")]
async fn password_from_environment() {
    // This test also stops reading the server's stderr early: logging into a closed pipe
    // must not bring the server down.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_quorumdb"))
        .args(["start", "--listen", "127.0.0.1:0", "--wal-sync", "off", "--data-dir"])
        .arg(dir.path())
        .env("QUORUMDB_PASSWORD", "from-env")
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let port = std::io::BufRead::lines(std::io::BufReader::new(stderr))
        .map_while(Result::ok)
        .find_map(|l| l.split("listening on ").nth(1).map(|a| a.trim().to_owned()))
        .and_then(|a| a.rsplit(':').next().and_then(|p| p.parse::<u16>().ok()))
        .expect("listening line");
    let base = format!("host=127.0.0.1 port={port} user=quorumdb");
    let wrong = connect(&format!("{base} password=nope")).await.expect_err("refused");
    assert_eq!(wrong.as_db_error().map(|e| e.code().clone()), Some(SqlState::INVALID_PASSWORD));
    connect(&format!("{base} password=from-env")).await.expect("env password works");
    let _ = child.kill();
    let _ = child.wait();
}

// ---------------------------------------------------------------------------------------------
// Simple and extended query
// ---------------------------------------------------------------------------------------------

#[test]
fn empty_query_and_errors_in_simple_protocol() {
    let server = Server::start(&[]);
    let (mut raw, _) = Raw::startup(server.port);
    raw.send(&[query("")]);
    assert_eq!(tags(&raw.until_ready()), "IZ");
    raw.send(&[query("  -- only a comment\n")]);
    assert_eq!(tags(&raw.until_ready()), "IZ");
    raw.send(&[query("SELEC 1")]);
    let reply = raw.until_ready();
    assert_eq!(tags(&reply), "EZ");
    assert_eq!(reply[0].field(b'C').as_deref(), Some("42601"));
    assert_eq!(reply[0].field(b'S').as_deref(), Some("ERROR"));
    assert_eq!(reply[0].field(b'V').as_deref(), Some("ERROR"));
    // A syntax error anywhere fails the whole string before anything runs (as in
    // PostgreSQL); a later statement's error skips only what follows it.
    raw.send(&[query("SELECT 1; SELEC 2; SELECT 3")]);
    assert_eq!(tags(&raw.until_ready()), "EZ");
    raw.send(&[query("SELECT 1; SELECT * FROM no_such_table; SELECT 3")]);
    let reply = raw.until_ready();
    assert_eq!(tags(&reply), "TDCEZ");
}

#[test]
fn flush_without_sync_answers_parse_and_describe() {
    let server = Server::start(&[]);
    let (mut raw, _) = Raw::startup(server.port);
    raw.send(&[
        Frontend::Parse { name: "s1".into(), query: "SELECT 1 AS one".into(), param_oids: vec![] },
        Frontend::Describe { target: Target::Statement, name: "s1".into() },
        Frontend::Flush,
    ]);
    let parse = raw.expect();
    let params = raw.expect();
    let row_desc = raw.expect();
    assert_eq!(tags(&[parse, params, row_desc.clone()]), "1tT");
    assert!(row_desc.body.windows(4).any(|w| w == b"one\0"));
    raw.send(&[
        Frontend::Bind {
            portal: "".into(),
            statement: "s1".into(),
            param_formats: vec![],
            params: vec![],
            result_formats: vec![],
        },
        Frontend::Execute { portal: "".into(), max_rows: 0 },
        Frontend::Sync,
    ]);
    let reply = raw.until_ready();
    assert_eq!(tags(&reply), "2DCZ");
    assert_eq!(reply[2].text(), "SELECT 1");
}

#[test]
fn extended_protocol_errors_discard_until_sync() {
    let server = Server::start(&[]);
    let (mut raw, _) = Raw::startup(server.port);
    let bind = |statement: &str, params: Vec<Option<Bytes>>| Frontend::Bind {
        portal: "".into(),
        statement: statement.into(),
        param_formats: vec![],
        params,
        result_formats: vec![],
    };
    // Unknown statement, then messages that must be skipped, then Sync.
    raw.send(&[
        bind("nope", vec![]),
        Frontend::Execute { portal: "".into(), max_rows: 0 },
        Frontend::Sync,
    ]);
    let reply = raw.until_ready();
    assert_eq!(tags(&reply), "EZ");
    assert_eq!(reply[0].field(b'C').as_deref(), Some("26000"));

    // Two statements in one Parse.
    raw.send(&[
        Frontend::Parse { name: "".into(), query: "SELECT 1; SELECT 2".into(), param_oids: vec![] },
        Frontend::Sync,
    ]);
    let reply = raw.until_ready();
    assert_eq!(reply[0].field(b'C').as_deref(), Some("42601"));
    assert_eq!(
        reply[0].field(b'M').as_deref(),
        Some("cannot insert multiple commands into a prepared statement")
    );

    // Duplicate statement name; unknown parameter type OID.
    let parse = |name: &str, oids: Vec<u32>| Frontend::Parse {
        name: name.into(),
        query: "SELECT 1".into(),
        param_oids: oids,
    };
    raw.send(&[parse("dup", vec![]), Frontend::Sync]);
    assert_eq!(tags(&raw.until_ready()), "1Z");
    raw.send(&[parse("dup", vec![]), Frontend::Sync]);
    let reply = raw.until_ready();
    assert_eq!(reply[0].field(b'C').as_deref(), Some("42P05"));
    raw.send(&[parse("", vec![999_999]), Frontend::Sync]);
    assert_eq!(raw.until_ready()[0].field(b'C').as_deref(), Some("42704"));

    // Wrong parameter count is a protocol violation (but not fatal).
    raw.send(&[bind("dup", vec![None]), Frontend::Sync]);
    assert_eq!(raw.until_ready()[0].field(b'C').as_deref(), Some("08P01"));

    // Close of a missing name is fine; closed statements are gone.
    raw.send(&[
        Frontend::Close { target: Target::Statement, name: "dup".into() },
        Frontend::Close { target: Target::Portal, name: "never".into() },
        bind("dup", vec![]),
        Frontend::Sync,
    ]);
    let reply = raw.until_ready();
    assert_eq!(tags(&reply), "33EZ");

    // Empty query as a prepared statement.
    raw.send(&[
        Frontend::Parse { name: "".into(), query: "".into(), param_oids: vec![] },
        Frontend::Describe { target: Target::Statement, name: "".into() },
        bind("", vec![]),
        Frontend::Execute { portal: "".into(), max_rows: 0 },
        Frontend::Sync,
    ]);
    assert_eq!(tags(&raw.until_ready()), "1tn2IZ");
}

#[test]
fn portal_suspended_with_max_rows() {
    let server = Server::start(&[]);
    let (mut raw, _) = Raw::startup(server.port);
    raw.send(&[
        Frontend::Parse {
            name: "".into(),
            query: "SELECT x FROM generate_series(1, 3) AS g(x)".into(),
            param_oids: vec![],
        },
        Frontend::Bind {
            portal: "p".into(),
            statement: "".into(),
            param_formats: vec![],
            params: vec![],
            result_formats: vec![],
        },
        Frontend::Execute { portal: "p".into(), max_rows: 2 },
        Frontend::Flush,
    ]);
    let first: Vec<Msg> = (0..5).map(|_| raw.expect()).collect();
    assert_eq!(tags(&first), "12DDs");
    raw.send(&[
        Frontend::Execute { portal: "p".into(), max_rows: 2 },
        Frontend::Execute { portal: "p".into(), max_rows: 0 },
        Frontend::Sync,
    ]);
    let rest = raw.until_ready();
    assert_eq!(tags(&rest), "DCCZ");
    assert_eq!(rest[1].text(), "SELECT 1");
    assert_eq!(rest[2].text(), "SELECT 0");
    // Outside a transaction block the portal ends at Sync.
    raw.send(&[Frontend::Execute { portal: "p".into(), max_rows: 0 }, Frontend::Sync]);
    let reply = raw.until_ready();
    assert_eq!(reply[0].field(b'C').as_deref(), Some("34000"));
}

#[test]
fn binary_results_and_portals_inside_a_transaction() {
    let server = Server::start(&[]);
    let (mut raw, _) = Raw::startup(server.port);
    raw.send(&[query("BEGIN")]);
    assert_eq!(raw.until_ready().last().map(|m| m.body.clone()), Some(b"T".to_vec()));
    raw.send(&[
        Frontend::Parse {
            name: "".into(),
            query: "SELECT x, x * 2 AS y FROM generate_series(1, 3) AS g(x)".into(),
            param_oids: vec![],
        },
        Frontend::Bind {
            portal: "cur".into(),
            statement: "".into(),
            param_formats: vec![],
            params: vec![],
            // One code for all columns: binary.
            result_formats: vec![1],
        },
        Frontend::Describe { target: Target::Portal, name: "cur".into() },
        Frontend::Execute { portal: "cur".into(), max_rows: 1 },
        Frontend::Sync,
    ]);
    let reply = raw.until_ready();
    assert_eq!(tags(&reply), "12TDsZ");
    // RowDescription: two fields, each ending with format code 1.
    let desc = &reply[2].body;
    assert_eq!(&desc[..2], &[0, 2]);
    assert!(desc.ends_with(&[0, 1]));
    // DataRow: 2 columns, int4 1 as 4 binary bytes, then 2.
    assert_eq!(reply[3].body, vec![0, 2, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 2]);
    assert_eq!(reply.last().map(|m| m.body.clone()), Some(b"T".to_vec()));

    // Inside the block the named portal survives Sync and resumes where it stopped.
    raw.send(&[Frontend::Execute { portal: "cur".into(), max_rows: 0 }, Frontend::Sync]);
    let reply = raw.until_ready();
    assert_eq!(tags(&reply), "DDCZ");
    assert_eq!(reply[2].text(), "SELECT 2");

    // COMMIT ends the transaction and its portals.
    raw.send(&[query("COMMIT")]);
    assert_eq!(raw.until_ready().last().map(|m| m.body.clone()), Some(b"I".to_vec()));
    raw.send(&[Frontend::Execute { portal: "cur".into(), max_rows: 0 }, Frontend::Sync]);
    assert_eq!(raw.until_ready()[0].field(b'C').as_deref(), Some("34000"));
}

#[test]
fn notices_and_parameter_changes() {
    let server = Server::start(&[]);
    let (mut raw, _) = Raw::startup(server.port);
    raw.send(&[query("DROP TABLE IF EXISTS not_there")]);
    let reply = raw.until_ready();
    assert_eq!(tags(&reply), "NCZ");
    assert_eq!(reply[0].field(b'S').as_deref(), Some("NOTICE"));
    assert_eq!(reply[1].text(), "DROP TABLE");
    raw.send(&[query("SET application_name = 'wire-test'")]);
    let reply = raw.until_ready();
    assert_eq!(tags(&reply), "CSZ");
    assert_eq!(param(&reply, "application_name").as_deref(), Some("wire-test"));
}

#[tokio::test(flavor = "multi_thread")]
async fn simple_and_extended_round_trips() {
    let server = Server::start(&[]);
    let client = server.client().await;
    client
        .batch_execute(
            "CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2), ok bool);
             INSERT INTO items VALUES (1, 'apple', 1.50, true), (2, NULL, 2.25, false)",
        )
        .await
        .expect("create and insert");
    let rows = client.simple_query("SELECT id, name FROM items ORDER BY id").await.expect("simple");
    let values: Vec<(Option<String>, Option<String>)> = rows
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => {
                Some((r.get(0).map(str::to_owned), r.get(1).map(str::to_owned)))
            }
            _ => None,
        })
        .collect();
    assert_eq!(values, vec![(Some("1".into()), Some("apple".into())), (Some("2".into()), None)]);

    // Extended protocol: binary parameters and results, exact types.
    let stmt =
        client.prepare("SELECT id, name, ok FROM items WHERE id = $1").await.expect("prepare");
    assert_eq!(stmt.params(), &[Type::INT4]);
    assert_eq!(stmt.columns()[0].type_(), &Type::INT4);
    assert_eq!(stmt.columns()[1].type_(), &Type::TEXT);
    let row = client.query_one(&stmt, &[&1i32]).await.expect("query_one");
    assert_eq!(row.get::<_, i32>(0), 1);
    assert_eq!(row.get::<_, Option<String>>(1).as_deref(), Some("apple"));
    assert!(row.get::<_, bool>(2));
    let inserted = client
        .execute("INSERT INTO items (id, name) VALUES ($1, $2)", &[&3i32, &"pear"])
        .await
        .expect("insert with params");
    assert_eq!(inserted, 1);
    let count: i64 =
        client.query_one("SELECT count(*) FROM items", &[]).await.expect("count").get(0);
    assert_eq!(count, 3);

    // Errors carry SQLSTATE and the transaction status follows.
    let err = client.execute("INSERT INTO items (id) VALUES (1)", &[]).await.expect_err("dup");
    assert_eq!(err.code(), Some(&SqlState::UNIQUE_VIOLATION));
    client.batch_execute("BEGIN").await.expect("begin");
    let err = client.batch_execute("SELECT * FROM no_such_table").await.expect_err("42P01");
    assert_eq!(err.code(), Some(&SqlState::UNDEFINED_TABLE));
    let err = client.batch_execute("SELECT 1").await.expect_err("25P02");
    assert_eq!(err.code(), Some(&SqlState::IN_FAILED_SQL_TRANSACTION));
    client.batch_execute("ROLLBACK").await.expect("rollback");
    client.batch_execute("SELECT 1").await.expect("usable again");
}

#[tokio::test(flavor = "multi_thread")]
async fn large_messages_within_the_limit() {
    let server = Server::start(&[]);
    let client = server.client().await;
    client.batch_execute("CREATE TABLE big (id int PRIMARY KEY, body text)").await.expect("create");
    let body = "x".repeat(1 << 20);
    client
        .batch_execute(&format!("INSERT INTO big VALUES (1, '{body}')"))
        .await
        .expect("1 MB simple query");
    client.execute("INSERT INTO big VALUES (2, $1)", &[&body]).await.expect("1 MB parameter");
    let rows = client.query("SELECT body FROM big ORDER BY id", &[]).await.expect("select");
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.get::<_, String>(0) == body));
}

#[tokio::test(flavor = "multi_thread")]
async fn big_result_is_streamed() {
    let server = Server::start(&[]);
    let client = server.client().await;
    let rows = client
        .query("SELECT i, 'row ' || i FROM generate_series(1, 20000) AS g(i)", &[])
        .await
        .expect("generate_series");
    assert_eq!(rows.len(), 20000);
    assert_eq!(rows[19999].get::<_, String>(1), "row 20000");
}

#[tokio::test(flavor = "multi_thread")]
async fn copy_in_and_out() {
    let server = Server::start(&[]);
    let client = server.client().await;
    client.batch_execute("CREATE TABLE c (id int PRIMARY KEY, t text)").await.expect("create");
    let sink = client.copy_in("COPY c FROM STDIN").await.expect("copy in");
    futures_util::pin_mut!(sink);
    sink.send(Bytes::from_static(b"1\tone\n2\t\\N\n3\ttab\\there\n")).await.expect("data");
    let n = sink.finish().await.expect("finish");
    assert_eq!(n, 3);

    let stream = client.copy_out("COPY c TO STDOUT").await.expect("copy out");
    let chunks: Vec<Bytes> = stream.map(|c| c.expect("chunk")).collect().await;
    let text: Vec<u8> = chunks.concat();
    assert_eq!(String::from_utf8_lossy(&text), "1\tone\n2\t\\N\n3\ttab\\there\n");

    let stream = client.copy_out("COPY c TO STDOUT WITH (FORMAT csv)").await.expect("csv out");
    let chunks: Vec<Bytes> = stream.map(|c| c.expect("chunk")).collect().await;
    assert_eq!(String::from_utf8_lossy(&chunks.concat()), "1,one\n2,\n3,tab\there\n");

    // A failed COPY: bad data gives an error, the connection stays usable.
    let sink = client.copy_in("COPY c FROM STDIN").await.expect("copy in");
    futures_util::pin_mut!(sink);
    let _ = sink.send(Bytes::from_static(b"not a number\tx\n")).await;
    assert!(sink.finish().await.is_err());
    let count: i64 = client.query_one("SELECT count(*) FROM c", &[]).await.expect("count").get(0);
    assert_eq!(count, 3);
}

#[test]
fn copy_fail_from_client() {
    let server = Server::start(&[]);
    let (mut raw, _) = Raw::startup(server.port);
    raw.send(&[query("CREATE TABLE cf (id int PRIMARY KEY)")]);
    assert_eq!(tags(&raw.until_ready()), "CZ");
    raw.send(&[query("COPY cf FROM STDIN")]);
    assert_eq!(raw.expect().tag, b'G');
    raw.send(&[
        Frontend::CopyData(Bytes::from_static(b"1\n")),
        Frontend::CopyFail("client gave up".into()),
    ]);
    let reply = raw.until_ready();
    assert_eq!(tags(&reply), "EZ");
    assert_eq!(reply[0].field(b'C').as_deref(), Some("57014"));
    assert_eq!(reply[0].field(b'M').as_deref(), Some("COPY from stdin failed: client gave up"));
    raw.send(&[query("SELECT count(*) FROM cf")]);
    let reply = raw.until_ready();
    assert_eq!(tags(&reply), "TDCZ");
    assert!(reply[1].body.ends_with(b"0"));
}

// ---------------------------------------------------------------------------------------------
// Cancel, limits, garbage, vanishing clients, shutdown
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn cancel_request_stops_a_long_query() {
    let server = Server::start(&[]);
    let client = server.client().await;
    let token = client.cancel_token();
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        token.cancel_query(tokio_postgres::NoTls).await
    });
    let err = client
        .query_one("SELECT count(*) FROM generate_series(1, 100000000)", &[])
        .await
        .expect_err("the query is cancelled");
    assert_eq!(err.code(), Some(&SqlState::QUERY_CANCELED), "{err:?}");
    canceller.await.expect("join").expect("cancel request sent");
    client.simple_query("SELECT 1").await.expect("usable after cancel");

    // A cancel request with a wrong key is ignored and its connection closed.
    let mut raw = Raw::connect(server.port);
    raw.send_startup(&StartupPacket::Cancel { pid: 1, key: Bytes::from_static(b"nope") });
    assert!(raw.closed());
    client.simple_query("SELECT 1").await.expect("unaffected");
}

#[test]
fn oversize_message_is_fatal_and_server_survives() {
    let server = Server::start(&["--max-message-bytes", "1024"]);
    let (mut raw, _) = Raw::startup(server.port);
    raw.send(&[query(&format!("SELECT '{}'", "y".repeat(2000)))]);
    let err = raw.expect();
    assert_eq!(err.tag, b'E');
    assert_eq!(err.field(b'S').as_deref(), Some("FATAL"));
    assert_eq!(err.field(b'C').as_deref(), Some("08P01"));
    assert!(raw.closed());

    // A length field that claims 1 GB is refused before any body arrives.
    let (mut raw, _) = Raw::startup(server.port);
    raw.send_bytes(b"Q\x3f\xff\xff\xff");
    assert_eq!(raw.expect().field(b'C').as_deref(), Some("08P01"));
    assert!(raw.closed());

    // Within the limit all is well, on a fresh connection.
    let (mut raw, _) = Raw::startup(server.port);
    raw.send(&[query("SELECT 1")]);
    assert_eq!(tags(&raw.until_ready()), "TDCZ");
}

#[test]
fn garbage_and_truncated_input_close_only_that_connection() {
    let server = Server::start(&[]);
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..20 {
        let garbage: Vec<u8> = (0..64 + round * 37).map(|_| next() as u8).collect();
        // Garbage instead of a startup packet.
        let mut raw = Raw::connect(server.port);
        raw.send_bytes(&garbage);
        let _ = raw.stream.shutdown(std::net::Shutdown::Write);
        assert!(raw.closed(), "round {round}: startup garbage");
        // Garbage after a good startup (it may look like the start of a long message, so
        // the client then half-closes: a truncated message).
        let (mut raw, _) = Raw::startup(server.port);
        raw.send_bytes(&garbage);
        let _ = raw.stream.shutdown(std::net::Shutdown::Write);
        assert!(raw.closed(), "round {round}: garbage after startup");
    }
    // Truncated messages: the header promises more than is sent, then the client leaves.
    let (mut raw, _) = Raw::startup(server.port);
    raw.send_bytes(b"Q\0\0\0\x64SELECT");
    drop(raw);
    let mut raw = Raw::connect(server.port);
    raw.send_bytes(b"\0\0\0\x50\0\x03\0\0user\0");
    drop(raw);
    // Known type, malformed body: fatal 08P01.
    let (mut raw, _) = Raw::startup(server.port);
    raw.send_bytes(b"P\0\0\0\x06s\0");
    assert_eq!(raw.expect().field(b'C').as_deref(), Some("08P01"));
    assert!(raw.closed());
    // Unknown message type.
    let (mut raw, _) = Raw::startup(server.port);
    raw.send_bytes(b"\x01\0\0\0\x04");
    assert_eq!(raw.expect().field(b'C').as_deref(), Some("08P01"));
    // Still serving.
    let (mut raw, _) = Raw::startup(server.port);
    raw.send(&[query("SELECT 1")]);
    assert_eq!(tags(&raw.until_ready()), "TDCZ");
}

#[test]
fn invalid_utf8_query_is_an_ordinary_error() {
    let server = Server::start(&[]);
    let (mut raw, _) = Raw::startup(server.port);
    raw.send_bytes(b"Q\0\0\0\x09SEL\xff\0");
    let reply = raw.until_ready();
    assert_eq!(tags(&reply), "EZ");
    assert_eq!(reply[0].field(b'C').as_deref(), Some("22021"));
    raw.send(&[query("SELECT 1")]);
    assert_eq!(tags(&raw.until_ready()), "TDCZ");
}

#[tokio::test(flavor = "multi_thread")]
async fn vanished_client_rolls_back() {
    let server = Server::start(&[]);
    let client = server.client().await;
    client.batch_execute("CREATE TABLE v (id int PRIMARY KEY)").await.expect("create");
    {
        let (mut raw, _) = Raw::startup(server.port);
        raw.send(&[query("BEGIN; INSERT INTO v VALUES (1)")]);
        let reply = raw.until_ready();
        assert_eq!(reply.last().map(|m| m.body.clone()), Some(b"T".to_vec()));
        // Half a message, then the socket goes away.
        raw.send_bytes(b"Q\0\0\0\x20INSERT");
    }
    // The abandoned transaction rolls back; its key is free again.
    let mut inserted = false;
    for _ in 0..200 {
        match client.execute("INSERT INTO v VALUES (1)", &[]).await {
            Ok(_) => {
                inserted = true;
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(25)).await,
        }
    }
    assert!(inserted, "the vanished client's transaction still holds row 1");
    let count: i64 = client.query_one("SELECT count(*) FROM v", &[]).await.expect("count").get(0);
    assert_eq!(count, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_shuts_down_gracefully() {
    let server = Server::start(&[]);
    let client = server.client().await;
    client.batch_execute("CREATE TABLE s (id int PRIMARY KEY)").await.expect("create");
    client.batch_execute("BEGIN; INSERT INTO s VALUES (1)").await.expect("open txn");
    let (mut raw, _) = Raw::startup(server.port);
    let data_dir = tempfile::tempdir().expect("tempdir");
    let terminated = tokio::task::spawn_blocking(move || {
        let mut server = server;
        let status = server.terminate();
        let log = server.log_text();
        // Keep the data directory for the restart below.
        std::fs::remove_dir_all(data_dir.path()).expect("clear target dir");
        copy_dir(server.data_dir.path(), data_dir.path());
        (status, log, data_dir)
    });
    let fatal = raw.expect();
    assert_eq!(fatal.field(b'S').as_deref(), Some("FATAL"));
    assert_eq!(fatal.field(b'C').as_deref(), Some("57P01"));
    assert_eq!(
        fatal.field(b'M').as_deref(),
        Some("terminating connection due to administrator command")
    );
    assert!(raw.closed());
    let (status, log, data_dir) = terminated.await.expect("join");
    assert!(status.success(), "exit status {status:?}; log:\n{log}");
    assert!(log.contains("shutdown complete"), "{log}");
    assert!(client.simple_query("SELECT 1").await.is_err());

    // The open transaction was rolled back; committed DDL survived.
    let server = Server::start_in(data_dir, &[]);
    let client = server.client().await;
    let count: i64 = client.query_one("SELECT count(*) FROM s", &[]).await.expect("count").get(0);
    assert_eq!(count, 0);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}
