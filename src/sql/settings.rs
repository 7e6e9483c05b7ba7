//! Session settings (GUCs): defaults, validation of SET values, which ones are reported to
//! the client with ParameterStatus, and SHOW output.
//!
//! Depends on: `sql::error`.

use super::error::{SqlError, sqlstate};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The version string clients parse (`server_version`): 15-compatible.
pub const SERVER_VERSION: &str = "15.0 (QuorumDB 0.1.0)";

/// (name as displayed, default value, reported to the client on change).
const KNOWN: &[(&str, &str, bool)] = &[
    ("application_name", "", true),
    ("client_encoding", "UTF8", true),
    ("DateStyle", "ISO, MDY", true),
    ("default_transaction_read_only", "off", true),
    ("in_hot_standby", "off", true),
    ("integer_datetimes", "on", true),
    ("IntervalStyle", "postgres", true),
    ("is_superuser", "on", true),
    ("server_encoding", "UTF8", true),
    ("server_version", SERVER_VERSION, true),
    ("session_authorization", "quorumdb", true),
    ("standard_conforming_strings", "on", true),
    ("TimeZone", "UTC", true),
    ("server_version_num", "150000", false),
    ("search_path", "\"$user\", public", false),
    ("extra_float_digits", "1", false),
    ("statement_timeout", "0", false),
    ("lock_timeout", "0", false),
    ("idle_in_transaction_session_timeout", "0", false),
    ("default_transaction_isolation", "serializable", false),
    ("transaction_isolation", "serializable", false),
    ("transaction_read_only", "off", false),
    ("max_identifier_length", "63", false),
    ("jit", "off", false),
    ("bytea_output", "hex", false),
    ("client_min_messages", "notice", false),
    ("synchronous_commit", "on", false),
    ("row_security", "on", false),
    ("xmloption", "content", false),
    ("max_connections", "100", false),
    ("lc_messages", "C", false),
    ("lc_monetary", "C", false),
    ("lc_numeric", "C", false),
    ("lc_time", "C", false),
    ("lc_collate", "C", false),
    ("lc_ctype", "C", false),
    ("escape_string_warning", "on", false),
    ("datestyle", "ISO, MDY", false),
    ("work_mem", "64MB", false),
    ("maintenance_work_mem", "64MB", false),
    ("enable_seqscan", "on", false),
    ("check_function_bodies", "on", false),
    ("default_with_oids", "off", false),
];

/// The canonical spelling of a setting name (`datestyle` → `DateStyle`); unknown names are
/// returned as given.
pub fn canonical_name(name: &str) -> String {
    let key = name.to_lowercase();
    KNOWN
        .iter()
        .find(|(n, _, _)| n.to_lowercase() == key && *n != "datestyle")
        .map(|(n, _, _)| n.to_string())
        .unwrap_or_else(|| name.to_string())
}

/// A time setting such as `statement_timeout` (`0` = off; a bare number is milliseconds;
/// units `us`, `ms`, `s`, `min`, `h`, `d`).
pub fn duration_setting(value: &str) -> Option<std::time::Duration> {
    let value = value.trim().trim_matches('\'');
    let split = value.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number: f64 = number.parse().ok()?;
    let millis = match unit.trim() {
        "" | "ms" => number,
        "us" => number / 1000.0,
        "s" => number * 1000.0,
        "min" => number * 60_000.0,
        "h" => number * 3_600_000.0,
        "d" => number * 86_400_000.0,
        _ => return None,
    };
    (millis > 0.0).then(|| std::time::Duration::from_micros((millis * 1000.0) as u64))
}

/// A memory setting such as `work_mem` in kilobytes: a bare number is kB; units `B`, `kB`,
/// `MB`, `GB`, `TB` (case-sensitive, as in PostgreSQL). None when malformed.
pub fn memory_kilobytes(value: &str) -> Option<u64> {
    let value = value.trim().trim_matches('\'');
    let split = value.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number: f64 = number.parse().ok()?;
    let kilobytes = match unit.trim() {
        "" | "kB" => number,
        "B" => number / 1024.0,
        "MB" => number * 1024.0,
        "GB" => number * 1024.0 * 1024.0,
        "TB" => number * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    (0.0..1e18).contains(&kilobytes).then(|| kilobytes.round() as u64)
}

/// Kilobytes as PostgreSQL shows a memory setting: in the largest unit that divides them.
pub fn format_kilobytes(kilobytes: u64) -> String {
    for (unit, size) in [("TB", 1u64 << 30), ("GB", 1 << 20), ("MB", 1 << 10)] {
        if kilobytes != 0 && kilobytes.is_multiple_of(size) {
            return format!("{}{unit}", kilobytes / size);
        }
    }
    format!("{kilobytes}kB")
}

/// The statement work-memory budget in bytes, from the `work_mem` setting.
pub fn work_mem_bytes(value: Option<&str>) -> usize {
    let kilobytes = value.and_then(memory_kilobytes).unwrap_or(64 * 1024);
    usize::try_from(kilobytes.saturating_mul(1024)).unwrap_or(usize::MAX)
}

/// The settings of one session.
#[derive(Debug, Clone)]
pub struct Settings {
    /// lower-case name → (display name, value). Shared until changed: a transaction block
    /// saves the settings at BEGIN (to undo SET on ROLLBACK), which then costs a reference
    /// count instead of a copy of every setting.
    values: Arc<BTreeMap<String, (String, String)>>,
    /// Reported parameters changed since the client last heard.
    changed: Vec<(String, String)>,
    /// `all()`, built once per change (every statement's evaluation environment reads it).
    all_cache: std::sync::OnceLock<std::sync::Arc<Vec<(String, String)>>>,
    /// `statement_limits()`, parsed once per change.
    limits_cache: std::sync::OnceLock<StatementLimits>,
}

/// The settings every statement's execution reads, parsed.
#[derive(Debug, Clone, Copy)]
pub struct StatementLimits {
    /// `statement_timeout` (None: no limit).
    pub timeout: Option<std::time::Duration>,
    /// `work_mem` in bytes.
    pub work_mem_bytes: usize,
}

impl Settings {
    /// Defaults for `user`.
    pub fn new(user: &str) -> Self {
        let mut values = BTreeMap::new();
        for (name, value, _) in KNOWN {
            if *name == "datestyle" {
                continue;
            }
            values.insert(name.to_lowercase(), (name.to_string(), value.to_string()));
        }
        values.insert(
            "session_authorization".into(),
            ("session_authorization".into(), user.to_string()),
        );
        Self {
            values: Arc::new(values),
            changed: Vec::new(),
            all_cache: std::sync::OnceLock::new(),
            limits_cache: std::sync::OnceLock::new(),
        }
    }

    /// The value of `name`, if it exists.
    pub fn get(&self, name: &str) -> Option<&str> {
        // Names are stored lower-case; most callers pass them so (no allocation then).
        let value = if name.bytes().any(|b| b.is_ascii_uppercase()) || !name.is_ascii() {
            self.values.get(&name.to_lowercase())
        } else {
            self.values.get(name)
        };
        value.map(|(_, v)| v.as_str())
    }

    /// `statement_timeout` and `work_mem`, parsed (once per change of the settings).
    pub fn statement_limits(&self) -> StatementLimits {
        *self.limits_cache.get_or_init(|| StatementLimits {
            timeout: self.get("statement_timeout").and_then(duration_setting),
            work_mem_bytes: work_mem_bytes(self.get("work_mem")),
        })
    }

    /// Drops what is derived from the values, after a change.
    fn forget_derived(&mut self) {
        self.all_cache = std::sync::OnceLock::new();
        self.limits_cache = std::sync::OnceLock::new();
    }

    /// All settings as (name, value), for SHOW ALL and current_setting().
    pub fn all(&self) -> std::sync::Arc<Vec<(String, String)>> {
        self.all_cache
            .get_or_init(|| {
                std::sync::Arc::new(
                    self.values.iter().map(|(k, (_, v))| (k.clone(), v.clone())).collect(),
                )
            })
            .clone()
    }

    /// The parameters reported at startup, with their current values.
    pub fn reported(&self) -> Vec<(String, String)> {
        KNOWN
            .iter()
            .filter(|(_, _, reported)| *reported)
            .filter_map(|(name, _, _)| {
                self.values
                    .get(&name.to_lowercase())
                    .map(|(display, v)| (display.clone(), v.clone()))
            })
            .collect()
    }

    /// Puts settings back to `saved` (all of them, or only those named in `only`), reporting
    /// the reported ones that change: ROLLBACK undoes SET, and transaction end undoes SET LOCAL.
    pub fn revert_to(&mut self, saved: &Settings, only: Option<&[String]>) {
        if Arc::ptr_eq(&self.values, &saved.values) {
            return;
        }
        let keys: Vec<String> = self.values.keys().chain(saved.values.keys()).cloned().collect();
        for key in keys {
            if only.is_some_and(|names| !names.contains(&key)) {
                continue;
            }
            let before = saved.values.get(&key).cloned();
            if self.values.get(&key) == before.as_ref() {
                continue;
            }
            match before {
                Some((display, value)) => {
                    let reported = KNOWN.iter().any(|(n, _, r)| *r && n.to_lowercase() == key);
                    if reported {
                        self.changed.push((display.clone(), value.clone()));
                    }
                    self.forget_derived();
                    Arc::make_mut(&mut self.values).insert(key, (display, value));
                }
                None => {
                    self.forget_derived();
                    Arc::make_mut(&mut self.values).remove(&key);
                }
            }
        }
    }

    /// Takes the reported parameters changed since the last call.
    pub fn take_changes(&mut self) -> Vec<(String, String)> {
        std::mem::take(&mut self.changed)
    }

    /// SET `name` = `value` (`None` = DEFAULT). Validates what we can honour.
    pub fn set(&mut self, name: &str, value: Option<&str>) -> Result<(), SqlError> {
        let key = name.to_lowercase();
        let known = KNOWN.iter().find(|(n, _, _)| n.to_lowercase() == key);
        let (display, default, reported) = match known {
            Some((n, d, r)) => (n.to_string(), d.to_string(), *r),
            None if key.contains('.') => (key.clone(), String::new(), false),
            None => {
                return Err(SqlError::new(
                    sqlstate::UNDEFINED_OBJECT,
                    format!("unrecognized configuration parameter \"{name}\""),
                ));
            }
        };
        let value = match value {
            Some(v) => normalise(&key, v)?,
            None => default,
        };
        if matches!(
            key.as_str(),
            "server_version"
                | "server_encoding"
                | "integer_datetimes"
                | "server_version_num"
                | "max_identifier_length"
                | "in_hot_standby"
                | "is_superuser"
        ) {
            return Err(SqlError::new(
                sqlstate::CANT_CHANGE_RUNTIME_PARAM,
                format!("parameter \"{name}\" cannot be changed"),
            ));
        }
        let display = if key == "datestyle" { "DateStyle".to_string() } else { display };
        let key = if key == "datestyle" { "datestyle".to_string() } else { key };
        self.forget_derived();
        Arc::make_mut(&mut self.values).insert(key, (display.clone(), value.clone()));
        if reported {
            self.changed.push((display, value));
        }
        Ok(())
    }

    /// Applies a startup-packet parameter; values we cannot honour are replaced by what we
    /// do (the client learns the real value from ParameterStatus).
    pub fn apply_startup(&mut self, name: &str, value: &str) {
        let key = name.to_lowercase();
        if key == "options" || key == "user" || key == "database" || key == "replication" {
            return;
        }
        if let Err(err) = self.set(name, Some(value)) {
            tracing::debug!(parameter = name, value, error = %err, "startup parameter ignored");
        }
        self.changed.clear();
    }
}

/// Validates and normalises a value the way PostgreSQL would report it back.
fn normalise(key: &str, value: &str) -> Result<String, SqlError> {
    let invalid = |hint: &str| {
        SqlError::new(
            sqlstate::INVALID_PARAMETER_VALUE,
            format!("invalid value for parameter \"{key}\": \"{value}\""),
        )
        .with_hint(hint.to_string())
    };
    Ok(match key {
        "client_encoding" => {
            let v = value.trim_matches('\'').to_lowercase().replace(['-', '_'], "");
            if v == "utf8" || v == "unicode" {
                "UTF8".to_string()
            } else {
                return Err(SqlError::new(
                    sqlstate::FEATURE_NOT_SUPPORTED,
                    format!("conversion to encoding \"{value}\" is not supported"),
                )
                .with_hint("QuorumDB speaks UTF8 only."));
            }
        }
        "datestyle" => {
            let upper = value.to_uppercase();
            if upper.starts_with("ISO") || upper == "MDY" || upper.is_empty() {
                "ISO, MDY".to_string()
            } else {
                return Err(invalid("QuorumDB supports the ISO, MDY DateStyle only."));
            }
        }
        "timezone" => {
            let v = value.trim_matches('\'');
            if [
                "utc",
                "etc/utc",
                "gmt",
                "etc/gmt",
                "z",
                "zulu",
                "0",
                "+00",
                "+00:00",
                "universal",
                "uct",
            ]
            .contains(&v.to_lowercase().as_str())
            {
                if v.eq_ignore_ascii_case("etc/utc") {
                    "Etc/UTC".to_string()
                } else {
                    "UTC".to_string()
                }
            } else {
                return Err(invalid("QuorumDB currently supports the UTC time zone only."));
            }
        }
        "intervalstyle" => {
            if value.eq_ignore_ascii_case("postgres") {
                "postgres".to_string()
            } else {
                return Err(invalid("QuorumDB supports IntervalStyle postgres only."));
            }
        }
        "standard_conforming_strings" => {
            if matches!(value.to_lowercase().as_str(), "on" | "true" | "1" | "yes") {
                "on".to_string()
            } else {
                return Err(invalid("QuorumDB supports standard_conforming_strings = on only."));
            }
        }
        "statement_timeout" | "lock_timeout" | "idle_in_transaction_session_timeout" => {
            if value.trim() != "0" && duration_setting(value).is_none() {
                return Err(invalid("a duration such as 5000, 5s or 1min"));
            }
            value.trim().trim_matches('\'').to_string()
        }
        "work_mem" | "maintenance_work_mem" => {
            let kilobytes = memory_kilobytes(value).ok_or_else(|| {
                invalid(
                    "Valid units for this parameter are \"B\", \"kB\", \"MB\", \"GB\", and \"TB\".",
                )
            })?;
            let min = if key == "work_mem" { 64 } else { 1024 };
            if !(min..=2_147_483_647).contains(&kilobytes) {
                return Err(SqlError::new(
                    sqlstate::INVALID_PARAMETER_VALUE,
                    format!(
                        "{kilobytes} kB is outside the valid range for parameter \"{key}\" ({min} .. 2147483647)"
                    ),
                ));
            }
            format_kilobytes(kilobytes)
        }
        "extra_float_digits" => {
            let n: i32 = value.trim().parse().map_err(|_| invalid("an integer from -15 to 3"))?;
            if !(-15..=3).contains(&n) {
                return Err(invalid("an integer from -15 to 3"));
            }
            n.to_string()
        }
        "default_transaction_isolation" | "transaction_isolation" => {
            let v = value.to_lowercase();
            match v.as_str() {
                "serializable" | "repeatable read" | "read committed" | "read uncommitted" => v,
                _ => {
                    return Err(invalid(
                        "serializable, repeatable read, read committed or read uncommitted",
                    ));
                }
            }
        }
        _ => value.to_string(),
    })
}
