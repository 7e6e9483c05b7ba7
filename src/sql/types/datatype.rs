//! [`DataType`] metadata: PostgreSQL OIDs, `atttypmod`, `typlen`, `format_type` names and the
//! parsing of type names as written in SQL (`int`, `varchar(10)`, `double precision`, ...).

use super::value::DataType;
use crate::sql::error::{SqlError, sqlstate};

/// Longest `varchar(n)` / `char(n)` PostgreSQL accepts.
const MAX_CHAR_LENGTH: u32 = 10_485_760;
/// Largest numeric precision PostgreSQL accepts.
const MAX_NUMERIC_PRECISION: u32 = 1000;

impl DataType {
    /// The PostgreSQL type OID (e.g. int4 = 23, text = 25, numeric = 1700).
    pub fn oid(&self) -> u32 {
        match self {
            DataType::Bool => 16,
            DataType::Bytea => 17,
            DataType::Name => 19,
            DataType::Int8 => 20,
            DataType::Int2 => 21,
            DataType::Int4 => 23,
            DataType::Text => 25,
            DataType::Oid => 26,
            DataType::Json => 114,
            DataType::Float4 => 700,
            DataType::Float8 => 701,
            DataType::Unknown => 705,
            DataType::Char(_) => 1042,
            DataType::Varchar(_) => 1043,
            DataType::Date => 1082,
            DataType::Timestamp => 1114,
            DataType::Timestamptz => 1184,
            DataType::Interval => 1186,
            DataType::Numeric { .. } => 1700,
            DataType::Uuid => 2950,
            DataType::Jsonb => 3802,
            // anyarray when the element type has no array type of its own.
            DataType::Array(element) => super::array::array_type_oid(element.oid()).unwrap_or(2277),
        }
    }

    /// The type for a PostgreSQL OID, if supported (varchar/bpchar/numeric without modifier).
    pub fn from_oid(oid: u32) -> Option<DataType> {
        Some(match oid {
            16 => DataType::Bool,
            17 => DataType::Bytea,
            19 => DataType::Name,
            20 => DataType::Int8,
            21 => DataType::Int2,
            23 => DataType::Int4,
            25 => DataType::Text,
            26 => DataType::Oid,
            114 => DataType::Json,
            700 => DataType::Float4,
            701 => DataType::Float8,
            705 => DataType::Unknown,
            1042 => DataType::Char(None),
            1043 => DataType::Varchar(None),
            1082 => DataType::Date,
            1114 => DataType::Timestamp,
            1184 => DataType::Timestamptz,
            1186 => DataType::Interval,
            1700 => DataType::Numeric { precision: None, scale: None },
            2950 => DataType::Uuid,
            3802 => DataType::Jsonb,
            other => {
                let element = super::array::element_type_oid(other)?;
                DataType::Array(Box::new(DataType::from_oid(element)?))
            }
        })
    }

    /// The type for a PostgreSQL OID and `atttypmod` (the inverse of [`DataType::oid`] and
    /// [`DataType::typmod`]): `(1043, 14)` is `varchar(10)`. Invalid modifiers are ignored.
    pub fn from_oid_typmod(oid: u32, typmod: i32) -> Option<DataType> {
        let base = DataType::from_oid(oid)?;
        if let DataType::Array(element) = &base {
            let element = DataType::from_oid_typmod(element.oid(), typmod)?;
            return Some(DataType::Array(Box::new(element)));
        }
        if typmod < 4 {
            return Some(base);
        }
        let modifier = (typmod - 4) as u32;
        Some(match base {
            DataType::Varchar(_) if modifier >= 1 => DataType::Varchar(Some(modifier)),
            DataType::Char(_) if modifier >= 1 => DataType::Char(Some(modifier)),
            DataType::Numeric { .. } => {
                let precision = modifier >> 16;
                let scale = modifier & 0xFFFF;
                if (1..=MAX_NUMERIC_PRECISION).contains(&precision) && scale <= 1000 {
                    DataType::Numeric { precision: Some(precision), scale: Some(scale) }
                } else {
                    DataType::Numeric { precision: None, scale: None }
                }
            }
            other => other,
        })
    }

    /// The `atttypmod` PostgreSQL reports (-1 when none; varchar(n) = n + 4; numeric(p,s) =
    /// ((p << 16) | s) + 4).
    pub fn typmod(&self) -> i32 {
        match self {
            DataType::Varchar(Some(n)) | DataType::Char(Some(n)) => {
                i32::try_from(*n).ok().and_then(|n| n.checked_add(4)).unwrap_or(-1)
            }
            DataType::Numeric { precision: Some(p), scale } => {
                let s = scale.unwrap_or(0) & 0xFFFF;
                i32::try_from(((*p & 0x7FFF) << 16) | s).map(|m| m + 4).unwrap_or(-1)
            }
            DataType::Array(element) => element.typmod(),
            _ => -1,
        }
    }

    /// `typlen`: fixed size in bytes, or -1 for variable length (-2 for `unknown`, a
    /// C string in PostgreSQL).
    pub fn typlen(&self) -> i16 {
        match self {
            DataType::Bool => 1,
            DataType::Int2 => 2,
            DataType::Int4 | DataType::Float4 | DataType::Date | DataType::Oid => 4,
            DataType::Int8 | DataType::Float8 | DataType::Timestamp | DataType::Timestamptz => 8,
            DataType::Interval | DataType::Uuid => 16,
            DataType::Name => 64,
            DataType::Unknown => -2,
            DataType::Numeric { .. }
            | DataType::Text
            | DataType::Varchar(_)
            | DataType::Char(_)
            | DataType::Bytea
            | DataType::Json
            | DataType::Jsonb
            | DataType::Array(_) => -1,
        }
    }

    /// What `format_type(oid, typmod)` prints: `integer`, `character varying(10)`,
    /// `numeric(12,3)`, `timestamp without time zone`, ...
    pub fn display_name(&self) -> String {
        match self {
            DataType::Numeric { precision: Some(p), scale } => {
                format!("numeric({p},{})", scale.unwrap_or(0))
            }
            DataType::Varchar(Some(n)) => format!("character varying({n})"),
            DataType::Char(Some(n)) => format!("character({n})"),
            DataType::Array(element) => format!("{}[]", element.display_name()),
            other => other.base_name().to_string(),
        }
    }

    /// The type's name without modifiers, as `format_type` prints it (`character varying`,
    /// `numeric`, `bpchar` for char without length).
    pub fn base_name(&self) -> &'static str {
        match self {
            DataType::Bool => "boolean",
            DataType::Int2 => "smallint",
            DataType::Int4 => "integer",
            DataType::Int8 => "bigint",
            DataType::Float4 => "real",
            DataType::Float8 => "double precision",
            DataType::Numeric { .. } => "numeric",
            DataType::Text => "text",
            DataType::Varchar(_) => "character varying",
            DataType::Char(Some(_)) => "character",
            DataType::Char(None) => "bpchar",
            DataType::Bytea => "bytea",
            DataType::Date => "date",
            DataType::Timestamp => "timestamp without time zone",
            DataType::Timestamptz => "timestamp with time zone",
            DataType::Interval => "interval",
            DataType::Uuid => "uuid",
            DataType::Json => "json",
            DataType::Jsonb => "jsonb",
            DataType::Name => "name",
            DataType::Oid => "oid",
            DataType::Unknown => "unknown",
            DataType::Array(element) => element.array_base_name(),
        }
    }

    /// `base_name` of an array of this type (`integer[]`).
    fn array_base_name(&self) -> &'static str {
        match self {
            DataType::Bool => "boolean[]",
            DataType::Int2 => "smallint[]",
            DataType::Int4 => "integer[]",
            DataType::Int8 => "bigint[]",
            DataType::Float4 => "real[]",
            DataType::Float8 => "double precision[]",
            DataType::Numeric { .. } => "numeric[]",
            DataType::Text => "text[]",
            DataType::Varchar(_) => "character varying[]",
            DataType::Char(Some(_)) => "character[]",
            DataType::Char(None) => "bpchar[]",
            DataType::Bytea => "bytea[]",
            DataType::Date => "date[]",
            DataType::Timestamp => "timestamp without time zone[]",
            DataType::Timestamptz => "timestamp with time zone[]",
            DataType::Interval => "interval[]",
            DataType::Uuid => "uuid[]",
            DataType::Json => "json[]",
            DataType::Jsonb => "jsonb[]",
            DataType::Name => "name[]",
            DataType::Oid => "oid[]",
            DataType::Unknown => "unknown[]",
            DataType::Array(_) => "anyarray",
        }
    }

    /// Parses a type name as written in SQL (`int`, `int4`, `integer`, `bigint`, `serial`
    /// is NOT a type here, `varchar(10)`, `double precision`, `timestamptz`, ...). The caller
    /// passes the lower-cased base name and the numeric modifiers.
    pub fn from_sql_name(name: &str, modifiers: &[u32]) -> Result<DataType, SqlError> {
        let trimmed = name.trim();
        let base = trimmed.strip_prefix("pg_catalog.").unwrap_or(trimmed);
        // `integer[]`, `int4[][]`, `_int4` (the array type's own name).
        let mut element = base;
        while let Some(inner) = element.trim_end().strip_suffix("[]") {
            element = inner;
        }
        if element.len() != base.len() {
            return Ok(DataType::Array(Box::new(DataType::from_sql_name(element, modifiers)?)));
        }
        if let Some(element) = base.strip_prefix('_')
            && let Ok(element) = DataType::from_sql_name(element, modifiers)
        {
            return Ok(DataType::Array(Box::new(element)));
        }
        let plain = |ty: DataType| -> Result<DataType, SqlError> {
            if modifiers.is_empty() {
                Ok(ty)
            } else {
                Err(SqlError::syntax(format!("type modifier is not allowed for type \"{base}\"")))
            }
        };
        match base {
            "int" | "integer" | "int4" => plain(DataType::Int4),
            "smallint" | "int2" => plain(DataType::Int2),
            "bigint" | "int8" => plain(DataType::Int8),
            "real" | "float4" => plain(DataType::Float4),
            "float8" | "double precision" => plain(DataType::Float8),
            "float" => match modifiers {
                [] => Ok(DataType::Float8),
                [0] => Err(invalid_parameter("precision for type float must be at least 1 bit")),
                [p] if *p <= 24 => Ok(DataType::Float4),
                [p] if *p <= 53 => Ok(DataType::Float8),
                [_] => Err(invalid_parameter("precision for type float must be less than 54 bits")),
                _ => Err(SqlError::syntax("syntax error at or near \",\"")),
            },
            "numeric" | "decimal" | "dec" => numeric_type(modifiers),
            "text" => plain(DataType::Text),
            "varchar" | "character varying" => match modifiers {
                [] => Ok(DataType::Varchar(None)),
                [n] => Ok(DataType::Varchar(Some(char_length(*n, "varchar")?))),
                _ => Err(invalid_parameter("invalid type modifier")),
            },
            "char" | "character" | "bpchar" => match modifiers {
                [] if base == "bpchar" => Ok(DataType::Char(None)),
                [] => Ok(DataType::Char(Some(1))),
                [n] => Ok(DataType::Char(Some(char_length(*n, "char")?))),
                _ => Err(invalid_parameter("invalid type modifier")),
            },
            "bool" | "boolean" => plain(DataType::Bool),
            "bytea" => plain(DataType::Bytea),
            "date" => plain(DataType::Date),
            // Fractional-second precision is accepted but not applied (microseconds are kept).
            "timestamp" | "timestamp without time zone" => {
                datetime_precision(modifiers, base).map(|()| DataType::Timestamp)
            }
            "timestamptz" | "timestamp with time zone" => {
                datetime_precision(modifiers, base).map(|()| DataType::Timestamptz)
            }
            "interval" => datetime_precision(modifiers, base).map(|()| DataType::Interval),
            "uuid" => plain(DataType::Uuid),
            "json" => plain(DataType::Json),
            "jsonb" => plain(DataType::Jsonb),
            "name" => plain(DataType::Name),
            "oid" => plain(DataType::Oid),
            "unknown" => plain(DataType::Unknown),
            _ => Err(SqlError::new(
                sqlstate::UNDEFINED_OBJECT,
                format!("type \"{base}\" does not exist"),
            )),
        }
    }

    /// True for int2/int4/int8/float4/float8/numeric.
    pub fn is_numeric(&self) -> bool {
        matches!(
            self,
            DataType::Int2
                | DataType::Int4
                | DataType::Int8
                | DataType::Float4
                | DataType::Float8
                | DataType::Numeric { .. }
        )
    }

    /// True for text/varchar/char/name/unknown.
    pub fn is_string(&self) -> bool {
        matches!(
            self,
            DataType::Text
                | DataType::Varchar(_)
                | DataType::Char(_)
                | DataType::Name
                | DataType::Unknown
        )
    }

    /// True for int2/int4/int8.
    pub fn is_integer(&self) -> bool {
        matches!(self, DataType::Int2 | DataType::Int4 | DataType::Int8)
    }
}

fn invalid_parameter(message: &str) -> SqlError {
    SqlError::new(sqlstate::INVALID_PARAMETER_VALUE, message)
}

fn numeric_type(modifiers: &[u32]) -> Result<DataType, SqlError> {
    let (precision, scale) = match modifiers {
        [] => return Ok(DataType::Numeric { precision: None, scale: None }),
        [p] => (*p, 0),
        [p, s] => (*p, *s),
        _ => return Err(invalid_parameter("invalid NUMERIC type modifier")),
    };
    if !(1..=MAX_NUMERIC_PRECISION).contains(&precision) {
        return Err(invalid_parameter(&format!(
            "NUMERIC precision {precision} must be between 1 and {MAX_NUMERIC_PRECISION}"
        )));
    }
    if scale > 1000 {
        return Err(invalid_parameter(&format!(
            "NUMERIC scale {scale} must be between -1000 and 1000"
        )));
    }
    Ok(DataType::Numeric { precision: Some(precision), scale: Some(scale) })
}

fn char_length(n: u32, type_name: &str) -> Result<u32, SqlError> {
    if n < 1 {
        return Err(invalid_parameter(&format!("length for type {type_name} must be at least 1")));
    }
    if n > MAX_CHAR_LENGTH {
        return Err(invalid_parameter(&format!(
            "length for type {type_name} cannot exceed {MAX_CHAR_LENGTH}"
        )));
    }
    Ok(n)
}

fn datetime_precision(modifiers: &[u32], name: &str) -> Result<(), SqlError> {
    match modifiers {
        // PostgreSQL reduces precisions above 6 to 6 with a warning.
        [] | [_] => Ok(()),
        _ => Err(invalid_parameter(&format!("invalid type modifier for type {name}"))),
    }
}
