//! Connection startup: SSLRequest/GSSENCRequest are refused with `N` (the client then sends
//! its StartupMessage on the same socket), CancelRequests are handed to the registry, the
//! StartupMessage is checked (protocol 3.x, user `quorumdb`), the client authenticates
//! (trust, or SCRAM-SHA-256 when a password is configured), and the [`Session`] is created
//! and announced (ParameterStatus, BackendKeyData, ReadyForQuery).
//!
//! Owns: the startup and authentication exchange. Depends on: `wire`, `frame`, `encode`,
//! `server` (registry, SCRAM key), `pgwire` (SCRAM state machine, message encoding),
//! `sql::Session`.

use super::encode;
use super::frame::{Frontend, StartupPacket};
use super::server::{Registration, Shared};
use super::wire::{Stop, Wire};
use crate::sql::{Session, SqlError, TxnStatus, sqlstate};
use bytes::Bytes;
use pgwire::api::auth::sasl::scram::{ScramSecret, ScramServerAuth};
use pgwire::error::PgWireError;
use pgwire::messages::startup::{
    Authentication, BackendKeyData, NegotiateProtocolVersion, SecretKey,
};
use std::sync::Arc;

/// SQLSTATE 28000 (not in `sqlstate`, which the SQL layer owns).
const INVALID_AUTHORIZATION_SPECIFICATION: &str = "28000";
/// The one user that exists.
pub const USER: &str = "quorumdb";
const SCRAM_MECHANISM: &str = "SCRAM-SHA-256";
/// SSL and GSS refusals accepted before the StartupMessage (one of each, as libpq may try).
const MAX_NEGOTIATIONS: usize = 2;

/// What the startup phase produced.
pub enum Opened {
    /// An authenticated session, registered for cancel requests.
    Session(Box<Session>, Registration),
    /// The connection carried a CancelRequest and is done.
    Cancel,
}

fn fatal(code: &'static str, message: impl Into<String>) -> Stop {
    Stop::Fatal(SqlError::new(code, message))
}

/// Runs the startup phase on a fresh connection.
pub fn open(wire: &mut Wire, shared: &Arc<Shared>) -> Result<Opened, Stop> {
    let mut negotiations = 0;
    let (major, minor, params) = loop {
        match wire.read_startup()? {
            StartupPacket::SslRequest | StartupPacket::GssEncRequest => {
                negotiations += 1;
                if negotiations > MAX_NEGOTIATIONS {
                    return Err(fatal(sqlstate::PROTOCOL_VIOLATION, "too many SSL/GSS requests"));
                }
                if wire.has_input() {
                    // Bytes sent after SSLRequest before our answer would be a man-in-the-
                    // middle injection (CVE-2021-23222); PostgreSQL refuses them too.
                    return Err(fatal(
                        sqlstate::PROTOCOL_VIOLATION,
                        "received unencrypted data after SSL request",
                    ));
                }
                wire.put_byte(b'N');
                wire.flush()?;
            }
            StartupPacket::Cancel { pid, key } => {
                shared.cancel(pid, &key);
                return Ok(Opened::Cancel);
            }
            StartupPacket::Startup { major, minor, params } => break (major, minor, params),
        }
    };
    if major != 3 {
        return Err(fatal(
            sqlstate::FEATURE_NOT_SUPPORTED,
            format!("unsupported frontend protocol {major}.{minor}: server supports 3.0 to 3.0"),
        ));
    }
    let protocol_options: Vec<String> =
        params.iter().filter(|(k, _)| k.starts_with("_pq_.")).map(|(k, _)| k.clone()).collect();
    if minor > 0 || !protocol_options.is_empty() {
        encode::put(&mut wire.out, NegotiateProtocolVersion::new(0, protocol_options));
    }
    let params: Vec<(String, String)> =
        params.into_iter().filter(|(k, _)| !k.starts_with("_pq_.")).collect();
    let user = match params.iter().find(|(k, _)| k == "user") {
        Some((_, user)) => user.clone(),
        None => {
            return Err(fatal(
                INVALID_AUTHORIZATION_SPECIFICATION,
                "no PostgreSQL user name specified in startup packet",
            ));
        }
    };
    if user != USER {
        return Err(Stop::Fatal(
            SqlError::new(
                INVALID_AUTHORIZATION_SPECIFICATION,
                format!("role \"{user}\" does not exist"),
            )
            .with_hint(format!(
                "QuorumDB has one user: connect as \"{USER}\" (e.g. psql -U {USER})."
            )),
        ));
    }
    authenticate(wire, shared)?;
    encode::put(&mut wire.out, Authentication::Ok);

    let db = shared.db.clone();
    let mut session = Session::new(db, &user, &params).map_err(Stop::Fatal)?;
    for (name, value) in session.parameter_statuses() {
        encode::parameter_status(&mut wire.out, &name, &value);
    }
    let registration = shared.register(session.cancel_flag());
    session.set_backend_pid(registration.pid);
    encode::put(
        &mut wire.out,
        BackendKeyData::new(registration.pid, SecretKey::I32(i32::from_be_bytes(registration.key))),
    );
    encode::ready(&mut wire.out, TxnStatus::Idle);
    wire.flush()?;
    Ok(Opened::Session(Box::new(session), registration))
}

/// Trust when no password is configured; otherwise a SCRAM-SHA-256 exchange.
fn authenticate(wire: &mut Wire, shared: &Shared) -> Result<(), Stop> {
    let Some(key) = &shared.scram else {
        return Ok(());
    };
    encode::put(&mut wire.out, Authentication::SASL(vec![SCRAM_MECHANISM.to_owned()]));
    let initial = read_password_message(wire)?;
    let client_first = parse_sasl_initial(&initial)?;
    let secret = ScramSecret::SaltedPassword {
        salt: key.salt.clone(),
        salted_password: key.salted_password.clone(),
    };
    let (server_first, waiting) = ScramServerAuth::new()
        .on_client_first_message_with_secret(&client_first, secret)
        .map_err(scram_error)?;
    encode::put(&mut wire.out, Authentication::SASLContinue(Bytes::from(server_first)));
    let client_final = read_password_message(wire)?;
    let server_final = waiting.on_client_final_message(&client_final).map_err(scram_error)?;
    encode::put(&mut wire.out, Authentication::SASLFinal(Bytes::from(server_final)));
    Ok(())
}

fn scram_error(err: PgWireError) -> Stop {
    match err {
        PgWireError::InvalidPassword(_) => fatal(
            sqlstate::INVALID_PASSWORD,
            format!("password authentication failed for user \"{USER}\""),
        ),
        other => {
            tracing::debug!(%other, "SCRAM exchange failed");
            fatal(sqlstate::PROTOCOL_VIOLATION, "malformed SCRAM message")
        }
    }
}

/// Reads the next message, which must be a PasswordMessage-family (`p`) message.
fn read_password_message(wire: &mut Wire) -> Result<Bytes, Stop> {
    match wire.read()? {
        Ok(Frontend::Password(body)) => Ok(body),
        Ok(Frontend::Terminate) => Err(Stop::Terminate),
        Ok(other) => Err(fatal(
            sqlstate::PROTOCOL_VIOLATION,
            format!("expected SASL response, got message type {}", other.tag()),
        )),
        Err((_, err)) => Err(Stop::Fatal(err)),
    }
}

/// SASLInitialResponse body: mechanism name, then the client-first message with its i32
/// length (-1 = none). Returns the client-first message.
fn parse_sasl_initial(body: &[u8]) -> Result<Vec<u8>, Stop> {
    let malformed = || fatal(sqlstate::PROTOCOL_VIOLATION, "malformed SASLInitialResponse");
    let end = body.iter().position(|&b| b == 0).ok_or_else(malformed)?;
    if &body[..end] != SCRAM_MECHANISM.as_bytes() {
        return Err(fatal(
            sqlstate::PROTOCOL_VIOLATION,
            "client selected an invalid SASL authentication mechanism",
        ));
    }
    let rest = &body[end + 1..];
    let len_bytes: [u8; 4] = rest.get(..4).and_then(|b| b.try_into().ok()).ok_or_else(malformed)?;
    let data = &rest[4..];
    match usize::try_from(i32::from_be_bytes(len_bytes)) {
        Ok(len) if len == data.len() => Ok(data.to_vec()),
        _ => Err(malformed()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sasl_initial_response() {
        let mut body = b"SCRAM-SHA-256\0".to_vec();
        body.extend_from_slice(&5i32.to_be_bytes());
        body.extend_from_slice(b"n,,ab");
        assert_eq!(parse_sasl_initial(&body).ok(), Some(b"n,,ab".to_vec()));
        body.push(b'x');
        assert!(parse_sasl_initial(&body).is_err());
        assert!(parse_sasl_initial(b"SCRAM-SHA-256\0\xff\xff\xff\xff").is_err());
        assert!(parse_sasl_initial(b"PLAIN\0\0\0\0\0").is_err());
        assert!(parse_sasl_initial(b"SCRAM").is_err());
    }
}
