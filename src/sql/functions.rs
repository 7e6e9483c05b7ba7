//! Built-in scalar functions: lookup by name (with result types for static typing) and
//! evaluation. `coalesce`, `nullif`, `greatest` and `least` are here too; aggregates are not.
//!
//! Depends on: `sql::types`, `sql::expr` (argument evaluation), `sql::error`.

use super::error::{SqlError, sqlstate};
use super::expr::{Env, Expr};
use super::types::{DataType, Value};

/// PostgreSQL's version() string; clients parse `PostgreSQL 15.x`.
pub const VERSION: &str =
    "PostgreSQL 15.0 (QuorumDB 0.1.0) on x86_64-pc-linux-gnu, compiled by rustc, 64-bit";

/// A scalar function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    Version,
    CurrentDatabase,
    CurrentSchema,
    CurrentUser,
    Now,
    CurrentDate,
    Lower,
    Upper,
    Length,
    OctetLength,
    Abs,
    Coalesce,
    NullIf,
    Greatest,
    Least,
    Concat,
    Round,
    Floor,
    Ceil,
    Trim,
    Ltrim,
    Rtrim,
    Substr,
    Replace,
    Left,
    Right,
    Strpos,
    Random,
    GenRandomUuid,
    NextVal,
    CurrVal,
    LastVal,
    ViewDef,
    PartitionAncestors,
    SequenceLastValue,
    RegclassName,
    SetVal,
    CurrentSetting,
    SetConfig,
    PgBackendPid,
    Sqrt,
    Power,
    Mod,
    ToJsonb,
    JsonbTypeof,
    Reverse,
    Repeat,
    Lpad,
    Rpad,
    StartsWith,
    SplitPart,
    Initcap,
    Sign,
    Trunc,
    Md5,
    DatePart,
    Extract,
    DateTrunc,
    ToChar,
    JsonbContains,
    JsonbExists,
    RegexMatch,
    RegexIMatch,
    TableIsVisible,
    UserById,
    FormatType,
    GetExpr,
    EncodingToChar,
    ObjDescription,
    ArrayToString,
    HasPrivilege,
    InRecovery,
    IndexDef,
    ConstraintDef,
    // Arrays (evaluated in `array_functions`).
    ArrayConstruct,
    ArraySubscript,
    ArrayLength,
    ArrayUpper,
    ArrayLower,
    ArrayNdims,
    ArrayDims,
    Cardinality,
    StringToArray,
    ArrayPosition,
    ArrayPositions,
    ArrayAppend,
    ArrayPrepend,
    ArrayCat,
    ArrayRemove,
    ArrayReplace,
    ArrayContains,
    ArrayContainedBy,
    ArrayOverlap,
}

/// Resolves `name` applied to arguments of `arg_types`: the function and its result type.
/// Unknown → 42883 with PostgreSQL's message.
pub fn resolve(name: &str, arg_types: &[DataType]) -> Result<(Function, DataType), SqlError> {
    use Function as F;
    let first = arg_types.first().cloned().unwrap_or(DataType::Text);
    let numeric_or = |fallback: DataType| -> DataType {
        match &first {
            t if t.is_numeric() => t.clone(),
            _ => fallback,
        }
    };
    let common = || -> DataType {
        arg_types
            .iter()
            .find(|t| **t != DataType::Unknown)
            .cloned()
            .map(|t| if t == DataType::Unknown { DataType::Text } else { t })
            .unwrap_or(DataType::Text)
    };
    let (function, ty, arity): (Function, DataType, std::ops::RangeInclusive<usize>) = match name {
        "version" => (F::Version, DataType::Text, 0..=0),
        "current_database" => (F::CurrentDatabase, DataType::Name, 0..=0),
        "current_schema" => (F::CurrentSchema, DataType::Name, 0..=0),
        "current_user" | "session_user" | "user" | "current_role" => {
            (F::CurrentUser, DataType::Name, 0..=0)
        }
        "now"
        | "current_timestamp"
        | "transaction_timestamp"
        | "statement_timestamp"
        | "localtimestamp" => (F::Now, DataType::Timestamptz, 0..=0),
        "clock_timestamp" => (F::Now, DataType::Timestamptz, 0..=0),
        "current_date" => (F::CurrentDate, DataType::Date, 0..=0),
        "lower" => (F::Lower, DataType::Text, 1..=1),
        "upper" => (F::Upper, DataType::Text, 1..=1),
        "length" | "char_length" | "character_length" => (F::Length, DataType::Int4, 1..=1),
        "octet_length" => (F::OctetLength, DataType::Int4, 1..=1),
        "abs" => (F::Abs, numeric_or(DataType::Float8), 1..=1),
        "coalesce" => (F::Coalesce, common(), 1..=usize::MAX),
        "nullif" => (F::NullIf, common(), 2..=2),
        "greatest" => (F::Greatest, common(), 1..=usize::MAX),
        "least" => (F::Least, common(), 1..=usize::MAX),
        "concat" => (F::Concat, DataType::Text, 0..=usize::MAX),
        "round" => (F::Round, numeric_or(DataType::Float8), 1..=2),
        "floor" => (F::Floor, numeric_or(DataType::Float8), 1..=1),
        "ceil" | "ceiling" => (F::Ceil, numeric_or(DataType::Float8), 1..=1),
        "btrim" | "trim" => (F::Trim, DataType::Text, 1..=2),
        "ltrim" => (F::Ltrim, DataType::Text, 1..=2),
        "rtrim" => (F::Rtrim, DataType::Text, 1..=2),
        "substr" | "substring" => (F::Substr, DataType::Text, 2..=3),
        "replace" => (F::Replace, DataType::Text, 3..=3),
        "left" => (F::Left, DataType::Text, 2..=2),
        "right" => (F::Right, DataType::Text, 2..=2),
        "strpos" => (F::Strpos, DataType::Int4, 2..=2),
        "random" => (F::Random, DataType::Float8, 0..=0),
        "gen_random_uuid" | "uuid_generate_v4" => (F::GenRandomUuid, DataType::Uuid, 0..=0),
        "nextval" => (F::NextVal, DataType::Int8, 1..=1),
        "currval" => (F::CurrVal, DataType::Int8, 1..=1),
        "lastval" => (F::LastVal, DataType::Int8, 0..=0),
        "pg_get_viewdef" => (F::ViewDef, DataType::Text, 1..=2),
        // Tables are never partitions here: a table's only "ancestor" is itself.
        "pg_partition_ancestors" => (F::PartitionAncestors, DataType::Oid, 1..=1),
        "pg_sequence_last_value" => (F::SequenceLastValue, DataType::Int8, 1..=1),
        "setval" => (F::SetVal, DataType::Int8, 2..=3),
        "current_setting" => (F::CurrentSetting, DataType::Text, 1..=2),
        "set_config" => (F::SetConfig, DataType::Text, 3..=3),
        "pg_backend_pid" => (F::PgBackendPid, DataType::Int4, 0..=0),
        "sqrt" => (F::Sqrt, numeric_or(DataType::Float8), 1..=1),
        "power" | "pow" => (F::Power, numeric_or(DataType::Float8), 2..=2),
        "mod" => (F::Mod, numeric_or(DataType::Int4), 2..=2),
        "to_jsonb" => (F::ToJsonb, DataType::Jsonb, 1..=1),
        "reverse" => (F::Reverse, DataType::Text, 1..=1),
        "repeat" => (F::Repeat, DataType::Text, 2..=2),
        "lpad" => (F::Lpad, DataType::Text, 2..=3),
        "rpad" => (F::Rpad, DataType::Text, 2..=3),
        "starts_with" => (F::StartsWith, DataType::Bool, 2..=2),
        "split_part" => (F::SplitPart, DataType::Text, 3..=3),
        "initcap" => (F::Initcap, DataType::Text, 1..=1),
        "sign" => (F::Sign, numeric_or(DataType::Float8), 1..=1),
        "trunc" => (F::Trunc, numeric_or(DataType::Float8), 1..=2),
        "md5" => (F::Md5, DataType::Text, 1..=1),
        "date_part" => (F::DatePart, DataType::Float8, 2..=2),
        "extract" => (F::Extract, DataType::Numeric { precision: None, scale: None }, 2..=2),
        "date_trunc" => (
            F::DateTrunc,
            match arg_types.get(1) {
                Some(DataType::Timestamp) => DataType::Timestamp,
                _ => DataType::Timestamptz,
            },
            2..=2,
        ),
        "to_char" => (F::ToChar, DataType::Text, 2..=2),
        "jsonb_contains" => (F::JsonbContains, DataType::Bool, 2..=2),
        "jsonb_exists" => (F::JsonbExists, DataType::Bool, 2..=2),
        "textregexeq" => (F::RegexMatch, DataType::Bool, 2..=2),
        "texticregexeq" => (F::RegexIMatch, DataType::Bool, 2..=2),
        "pg_table_is_visible"
        | "pg_type_is_visible"
        | "pg_function_is_visible"
        | "pg_collation_is_visible"
        | "pg_opclass_is_visible"
        | "pg_operator_is_visible" => (F::TableIsVisible, DataType::Bool, 1..=1),
        "pg_get_userbyid" => (F::UserById, DataType::Name, 1..=1),
        "format_type" => (F::FormatType, DataType::Text, 2..=2),
        "pg_get_expr" => (F::GetExpr, DataType::Text, 2..=3),
        "pg_encoding_to_char" => (F::EncodingToChar, DataType::Name, 1..=1),
        "obj_description" | "col_description" | "shobj_description" => {
            (F::ObjDescription, DataType::Text, 1..=2)
        }
        // Definitions of objects QuorumDB does not have (extended statistics, triggers,
        // rules, partitioning): there is never such an object, so NULL.
        "pg_get_statisticsobjdef"
        | "pg_get_statisticsobjdef_columns"
        | "pg_get_statisticsobjdef_expressions"
        | "pg_get_triggerdef"
        | "pg_get_ruledef"
        | "pg_get_partkeydef"
        | "pg_get_partition_constraintdef"
        | "pg_get_function_result"
        | "pg_get_function_arguments"
        | "pg_get_function_identity_arguments" => (F::ObjDescription, DataType::Text, 1..=2),
        "array_to_string" => (F::ArrayToString, DataType::Text, 2..=3),
        "array_length" => (F::ArrayLength, DataType::Int4, 2..=2),
        "array_upper" => (F::ArrayUpper, DataType::Int4, 2..=2),
        "array_lower" => (F::ArrayLower, DataType::Int4, 2..=2),
        "array_ndims" => (F::ArrayNdims, DataType::Int4, 1..=1),
        "array_dims" => (F::ArrayDims, DataType::Text, 1..=1),
        "cardinality" => (F::Cardinality, DataType::Int4, 1..=1),
        "string_to_array" => (F::StringToArray, DataType::Unknown, 2..=3),
        "array_position" => (F::ArrayPosition, DataType::Int4, 2..=3),
        "array_positions" => (F::ArrayPositions, DataType::Unknown, 2..=2),
        "array_append" => (F::ArrayAppend, DataType::Unknown, 2..=2),
        "array_prepend" => (F::ArrayPrepend, DataType::Unknown, 2..=2),
        "array_cat" => (F::ArrayCat, DataType::Unknown, 2..=2),
        "array_remove" => (F::ArrayRemove, DataType::Unknown, 2..=2),
        "array_replace" => (F::ArrayReplace, DataType::Unknown, 3..=3),
        "arraycontains" => (F::ArrayContains, DataType::Bool, 2..=2),
        "arraycontained" => (F::ArrayContainedBy, DataType::Bool, 2..=2),
        "arrayoverlap" => (F::ArrayOverlap, DataType::Bool, 2..=2),
        "has_table_privilege" | "has_schema_privilege" | "has_database_privilege" => {
            (F::HasPrivilege, DataType::Bool, 2..=3)
        }
        "pg_is_in_recovery" => (F::InRecovery, DataType::Bool, 0..=0),
        // No publications exist, so no relation is published.
        "pg_relation_is_publishable" => (F::InRecovery, DataType::Bool, 1..=1),
        "pg_get_indexdef" => (F::IndexDef, DataType::Text, 1..=3),
        "pg_get_constraintdef" => (F::ConstraintDef, DataType::Text, 1..=2),
        "jsonb_typeof" => (F::JsonbTypeof, DataType::Text, 1..=1),
        _ => return Err(undefined(name, arg_types)),
    };
    if !arity.contains(&arg_types.len()) {
        return Err(undefined(name, arg_types));
    }
    let ty = match super::array_functions::result_type(function, arg_types) {
        Some(array_type) => array_type,
        None => ty,
    };
    if is_array_function(function) && !array_arguments_ok(function, arg_types) {
        return Err(undefined(name, arg_types));
    }
    let ty = if ty == DataType::Unknown { DataType::Text } else { ty };
    Ok((function, ty))
}

/// Functions evaluated by `array_functions`.
fn is_array_function(function: Function) -> bool {
    use Function as F;
    matches!(
        function,
        F::ArrayConstruct
            | F::ArraySubscript
            | F::ArrayLength
            | F::ArrayUpper
            | F::ArrayLower
            | F::ArrayNdims
            | F::ArrayDims
            | F::Cardinality
            | F::ArrayToString
            | F::StringToArray
            | F::ArrayPosition
            | F::ArrayPositions
            | F::ArrayAppend
            | F::ArrayPrepend
            | F::ArrayCat
            | F::ArrayRemove
            | F::ArrayReplace
            | F::ArrayContains
            | F::ArrayContainedBy
            | F::ArrayOverlap
    )
}

/// Whether the arguments that must be arrays are arrays (or untyped).
fn array_arguments_ok(function: Function, arg_types: &[DataType]) -> bool {
    use Function as F;
    let is_array =
        |i: usize| matches!(arg_types.get(i), Some(DataType::Array(_) | DataType::Unknown) | None);
    match function {
        F::StringToArray => true,
        F::ArrayPrepend => is_array(1),
        F::ArrayCat | F::ArrayContains | F::ArrayContainedBy | F::ArrayOverlap => {
            is_array(0) && is_array(1)
        }
        _ => is_array(0),
    }
}

fn undefined(name: &str, arg_types: &[DataType]) -> SqlError {
    let args: Vec<String> = arg_types.iter().map(|t| t.display_name()).collect();
    SqlError::new(
        sqlstate::UNDEFINED_FUNCTION,
        format!("function {name}({}) does not exist", args.join(", ")),
    )
    .with_hint(
        "No function matches the given name and argument types. You might need to add explicit type casts.",
    )
}

/// Calls `function` on argument expressions (evaluated lazily where SQL requires it).
pub fn call(
    function: Function,
    args: &[Expr],
    row: &[Value],
    env: &Env,
) -> Result<Value, SqlError> {
    use Function as F;
    // Functions that must not evaluate every argument up front.
    if function == F::Coalesce {
        for arg in args {
            let value = arg.eval(row, env)?;
            if !value.is_null() {
                return Ok(value);
            }
        }
        return Ok(Value::Null);
    }
    let values: Vec<Value> = args.iter().map(|a| a.eval(row, env)).collect::<Result<_, _>>()?;
    if is_array_function(function) {
        return super::array_functions::call(function, &values);
    }
    let arg = |i: usize| values.get(i).cloned().unwrap_or(Value::Null);
    let text = |i: usize| values.get(i).filter(|v| !v.is_null()).map(Value::to_text);
    let int = |i: usize| -> Result<Option<i64>, SqlError> {
        match values.get(i) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match v.cast(&DataType::Int8, false)? {
                Value::Int8(n) => Ok(Some(n)),
                _ => Ok(None),
            },
        }
    };
    let strict_null = matches!(
        function,
        F::Lower
            | F::Upper
            | F::Length
            | F::OctetLength
            | F::Abs
            | F::Round
            | F::Floor
            | F::Ceil
            | F::Trim
            | F::Ltrim
            | F::Rtrim
            | F::Substr
            | F::Replace
            | F::Left
            | F::Right
            | F::Strpos
            | F::Reverse
            | F::Repeat
            | F::Lpad
            | F::Rpad
            | F::StartsWith
            | F::SplitPart
            | F::Initcap
            | F::Sign
            | F::Trunc
            | F::Md5
            | F::Sqrt
            | F::Power
            | F::Mod
            | F::JsonbTypeof
    );
    if strict_null && values.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    Ok(match function {
        F::Version => Value::Text(VERSION.to_string()),
        F::CurrentDatabase => Value::Text(env.database.clone()),
        F::CurrentSchema => {
            let path = super::binder::search_path(
                &env.setting("search_path").unwrap_or_else(|| "public".to_string()),
                &env.user,
            );
            match env.view.as_ref() {
                Some(view) => super::binder::current_schema(&mut view.read_view(), &path)?
                    .map_or(Value::Null, Value::Text),
                None => Value::Text("public".to_string()),
            }
        }
        F::CurrentUser => Value::Text(env.user.clone()),
        F::Now => Value::Timestamptz(env.now),
        F::CurrentDate => Value::Date(env.now.date_naive()),
        F::Lower => Value::Text(text(0).unwrap_or_default().to_lowercase()),
        F::Upper => Value::Text(text(0).unwrap_or_default().to_uppercase()),
        F::Length => match arg(0) {
            Value::Bytea(bytes) => Value::Int4(i32::try_from(bytes.len()).unwrap_or(i32::MAX)),
            v => Value::Int4(i32::try_from(v.to_text().chars().count()).unwrap_or(i32::MAX)),
        },
        F::OctetLength => match arg(0) {
            Value::Bytea(bytes) => Value::Int4(i32::try_from(bytes.len()).unwrap_or(i32::MAX)),
            v => Value::Int4(i32::try_from(v.to_text().len()).unwrap_or(i32::MAX)),
        },
        F::Abs => {
            let v = arg(0);
            match v.sql_cmp(&Value::Int4(0))? {
                Some(std::cmp::Ordering::Less) => {
                    super::types::unary_op(super::types::UnaryOp::Neg, &v)?
                }
                _ => v,
            }
        }
        F::Coalesce => Value::Null,
        F::NullIf => {
            let (a, b) = (arg(0), arg(1));
            if !a.is_null() && a.sql_cmp(&b)? == Some(std::cmp::Ordering::Equal) {
                Value::Null
            } else {
                a
            }
        }
        F::Greatest | F::Least => {
            let mut best: Option<Value> = None;
            for v in values.into_iter().filter(|v| !v.is_null()) {
                best = Some(match best {
                    None => v,
                    Some(b) => {
                        let ord = v.sql_cmp(&b)?.unwrap_or(std::cmp::Ordering::Equal);
                        let take = if function == F::Greatest {
                            ord == std::cmp::Ordering::Greater
                        } else {
                            ord == std::cmp::Ordering::Less
                        };
                        if take { v } else { b }
                    }
                });
            }
            best.unwrap_or(Value::Null)
        }
        F::Concat => {
            Value::Text(values.iter().filter(|v| !v.is_null()).map(Value::to_text).collect())
        }
        F::Round | F::Floor | F::Ceil => round_like(function, &arg(0), int(1)?.unwrap_or(0))?,
        F::Trim | F::Ltrim | F::Rtrim => {
            let s = text(0).unwrap_or_default();
            let set: Vec<char> = text(1).unwrap_or_else(|| " ".to_string()).chars().collect();
            let trimmed = match function {
                F::Trim => s.trim_matches(set.as_slice()),
                F::Ltrim => s.trim_start_matches(set.as_slice()),
                _ => s.trim_end_matches(set.as_slice()),
            };
            Value::Text(trimmed.to_string())
        }
        F::Substr => {
            let s: Vec<char> = text(0).unwrap_or_default().chars().collect();
            let start = int(1)?.unwrap_or(1);
            let end = match int(2)? {
                Some(len) if len < 0 => {
                    return Err(SqlError::new(
                        sqlstate::INVALID_PARAMETER_VALUE,
                        "negative substring length not allowed",
                    ));
                }
                Some(len) => start.saturating_add(len),
                None => i64::MAX,
            };
            let from = usize::try_from(start.max(1) - 1).unwrap_or(usize::MAX).min(s.len());
            let to = usize::try_from(end.max(1) - 1).unwrap_or(usize::MAX).min(s.len());
            Value::Text(s.get(from..to.max(from)).unwrap_or_default().iter().collect())
        }
        F::Replace => Value::Text(
            text(0)
                .unwrap_or_default()
                .replace(&text(1).unwrap_or_default(), &text(2).unwrap_or_default()),
        ),
        F::Left | F::Right => {
            let s: Vec<char> = text(0).unwrap_or_default().chars().collect();
            let n = int(1)?.unwrap_or(0);
            let len = s.len() as i64;
            let keep = if n >= 0 { n.min(len) } else { (len + n).max(0) };
            let keep = usize::try_from(keep).unwrap_or(0);
            let part = if function == F::Left { s.get(..keep) } else { s.get(s.len() - keep..) };
            Value::Text(part.unwrap_or_default().iter().collect())
        }
        F::Strpos => {
            let hay = text(0).unwrap_or_default();
            let needle = text(1).unwrap_or_default();
            let pos = hay
                .find(&needle)
                .map(|byte| hay.get(..byte).unwrap_or_default().chars().count() + 1);
            Value::Int4(pos.and_then(|p| i32::try_from(p).ok()).unwrap_or(0))
        }
        F::Random => Value::Float8(rand::random::<f64>()),
        F::GenRandomUuid => Value::Uuid(uuid::Uuid::new_v4()),
        F::NextVal => Value::Int8(env.sequences.nextval(&arg(0).to_text())?),
        F::CurrVal => Value::Int8(env.sequences.currval(&arg(0).to_text())?),
        F::LastVal => Value::Int8(env.sequences.lastval()?),
        F::SetVal => {
            let value = int(1)?.ok_or_else(|| {
                SqlError::new(sqlstate::NULL_VALUE_NOT_ALLOWED, "setval value must not be null")
            })?;
            let is_called = !matches!(arg(2), Value::Bool(false));
            Value::Int8(env.sequences.setval(&arg(0).to_text(), value, is_called)?)
        }
        F::CurrentSetting => {
            let name = text(0).unwrap_or_default().to_lowercase();
            match env.setting(&name) {
                Some(value) => Value::Text(value),
                None if matches!(arg(1), Value::Bool(true)) => Value::Null,
                None => {
                    return Err(SqlError::new(
                        sqlstate::UNDEFINED_OBJECT,
                        format!("unrecognized configuration parameter \"{name}\""),
                    ));
                }
            }
        }
        F::SetConfig => {
            let name = text(0).unwrap_or_default().to_lowercase();
            let value = text(1).unwrap_or_default();
            env.setting_changes.lock().push((name, value.clone()));
            Value::Text(value)
        }
        F::PgBackendPid => Value::Int4(env.backend_pid),
        F::Sqrt => {
            let x = as_f64(&arg(0))?;
            if x < 0.0 {
                return Err(SqlError::new("2201F", "cannot take square root of a negative number"));
            }
            Value::Float8(x.sqrt()).cast(&arg(0).data_type().unwrap_or(DataType::Float8), true)?
        }
        F::Power => {
            let result = as_f64(&arg(0))?.powf(as_f64(&arg(1))?);
            if !result.is_finite() {
                return Err(SqlError::new(
                    sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
                    "value out of range: overflow",
                ));
            }
            Value::Float8(result).cast(&arg(0).data_type().unwrap_or(DataType::Float8), true)?
        }
        F::Mod => super::types::binary_op(super::types::BinaryOp::Mod, &arg(0), &arg(1))?,
        F::Reverse => Value::Text(text(0).unwrap_or_default().chars().rev().collect()),
        F::Repeat => {
            let count = usize::try_from(int(1)?.unwrap_or(0).max(0)).unwrap_or(0);
            let unit = text(0).unwrap_or_default();
            if unit.len().saturating_mul(count) > (1 << 30) {
                return Err(SqlError::new(
                    sqlstate::PROGRAM_LIMIT_EXCEEDED,
                    "requested length too large",
                ));
            }
            Value::Text(unit.repeat(count))
        }
        F::Lpad | F::Rpad => {
            let s: Vec<char> = text(0).unwrap_or_default().chars().collect();
            let len = usize::try_from(int(1)?.unwrap_or(0).max(0)).unwrap_or(0);
            if len > (1 << 28) {
                return Err(SqlError::new(
                    sqlstate::PROGRAM_LIMIT_EXCEEDED,
                    "requested length too large",
                ));
            }
            let fill: Vec<char> = match values.get(2) {
                Some(v) => v.to_text().chars().collect(),
                None => vec![' '],
            };
            if s.len() >= len || fill.is_empty() {
                Value::Text(s.iter().take(len).collect())
            } else {
                let pad: String = fill.iter().cycle().take(len - s.len()).collect();
                let body: String = s.iter().collect();
                Value::Text(if function == F::Lpad { pad + &body } else { body + &pad })
            }
        }
        F::StartsWith => {
            Value::Bool(text(0).unwrap_or_default().starts_with(&text(1).unwrap_or_default()))
        }
        F::SplitPart => {
            let s = text(0).unwrap_or_default();
            let delimiter = text(1).unwrap_or_default();
            let n = int(2)?.unwrap_or(0);
            if n == 0 {
                return Err(SqlError::new(
                    sqlstate::INVALID_PARAMETER_VALUE,
                    "field position must not be zero",
                ));
            }
            let parts: Vec<&str> = if delimiter.is_empty() {
                vec![s.as_str()]
            } else {
                s.split(delimiter.as_str()).collect()
            };
            let index = if n > 0 {
                usize::try_from(n - 1).ok()
            } else {
                usize::try_from(parts.len() as i64 + n).ok()
            };
            Value::Text(index.and_then(|i| parts.get(i)).map(|p| p.to_string()).unwrap_or_default())
        }
        F::Initcap => {
            let mut out = String::new();
            let mut start = true;
            for c in text(0).unwrap_or_default().chars() {
                if c.is_alphanumeric() {
                    if start {
                        out.extend(c.to_uppercase());
                    } else {
                        out.extend(c.to_lowercase());
                    }
                    start = false;
                } else {
                    out.push(c);
                    start = true;
                }
            }
            Value::Text(out)
        }
        F::Sign => {
            let v = arg(0);
            let n = match v.sql_cmp(&Value::Int4(0))?.unwrap_or(std::cmp::Ordering::Equal) {
                std::cmp::Ordering::Less => -1,
                std::cmp::Ordering::Equal => 0,
                std::cmp::Ordering::Greater => 1,
            };
            Value::Int4(n).cast(&v.data_type().unwrap_or(DataType::Float8), true)?
        }
        F::Trunc => match arg(0) {
            Value::Numeric(d) => {
                let scale = u32::try_from(int(1)?.unwrap_or(0).clamp(0, 28)).unwrap_or(0);
                Value::Numeric(d.trunc_with_scale(scale))
            }
            v => Value::Float8(as_f64(&v)?.trunc()),
        },
        F::DatePart => {
            let unit = text(0).unwrap_or_default();
            super::datetime_functions::date_part(&unit, &arg(1))?.cast(&DataType::Float8, true)?
        }
        F::Extract => super::datetime_functions::date_part(&text(0).unwrap_or_default(), &arg(1))?,
        F::DateTrunc => {
            super::datetime_functions::date_trunc(&text(0).unwrap_or_default(), &arg(1))?
        }
        F::ToChar => super::datetime_functions::to_char(&arg(0), &text(1).unwrap_or_default())?,
        F::JsonbContains => super::datetime_functions::jsonb_contains(&arg(0), &arg(1))?,
        F::JsonbExists => super::datetime_functions::jsonb_exists(&arg(0), &arg(1))?,
        F::RegexMatch | F::RegexIMatch => {
            let (Some(subject), Some(pattern)) = (text(0), text(1)) else {
                return Ok(Value::Null);
            };
            Value::Bool(regex_matches(&subject, &pattern, function == F::RegexIMatch)?)
        }
        F::TableIsVisible | F::HasPrivilege => {
            if values.iter().any(Value::is_null) {
                Value::Null
            } else {
                Value::Bool(true)
            }
        }
        F::InRecovery => Value::Bool(false),
        F::SequenceLastValue => {
            let Some(oid) = int(0)?.and_then(|o| u32::try_from(o).ok()) else {
                return Ok(Value::Null);
            };
            let Some(view) = env.view.as_ref() else {
                return Ok(Value::Null);
            };
            let sequences = super::catalog::list_sequences(&mut view.read_view())?;
            match sequences.into_iter().find(|s| s.oid() == oid) {
                Some(sequence) => {
                    let state = env.sequences.state(&sequence)?;
                    if state.is_called { Value::Int8(state.last_value) } else { Value::Null }
                }
                None => Value::Null,
            }
        }
        F::PartitionAncestors => match arg(0) {
            Value::Null => Value::Null,
            other => other.cast(&DataType::Oid, false)?,
        },
        F::RegclassName => {
            let Some(oid) = int(0)?.and_then(|o| u32::try_from(o).ok()) else {
                return Ok(Value::Null);
            };
            let name = match env.view.as_ref() {
                Some(view) => super::system::describe::relation_name(&mut view.read_view(), oid)?,
                None => None,
            };
            Value::Text(name.unwrap_or_else(|| oid.to_string()))
        }
        F::ViewDef => {
            let Some(view) = env.view.as_ref() else {
                return Ok(Value::Null);
            };
            let mut txn = view.read_view();
            let found = match arg(0) {
                Value::Null => return Ok(Value::Null),
                Value::Text(name) => {
                    let path = super::binder::search_path(
                        &env.setting("search_path").unwrap_or_else(|| "public".to_string()),
                        &env.user,
                    );
                    let key = super::binder::resolve_text(&mut txn, &name, &path)?;
                    super::catalog::get_view(&mut txn, &key)?
                }
                other => match other.cast(&DataType::Int8, false)? {
                    Value::Int8(oid) => match u32::try_from(oid) {
                        Ok(oid) => super::system::describe::view_by_oid(&mut txn, oid)?,
                        Err(_) => None,
                    },
                    _ => None,
                },
            };
            found.map_or(Value::Null, |v| Value::Text(super::system::describe::view_definition(&v)))
        }
        F::IndexDef | F::ConstraintDef => {
            let Some(object) = int(0)?.and_then(|o| u32::try_from(o).ok()) else {
                return Ok(Value::Null);
            };
            let Some(view) = env.view.as_ref() else {
                return Ok(Value::Null);
            };
            let mut txn = view.read_view();
            let column = match function {
                F::IndexDef => usize::try_from(int(1)?.unwrap_or(0)).unwrap_or(0),
                _ => 0,
            };
            let definition = if function == F::IndexDef && column > 0 {
                super::system::describe::index_column_definition(&mut txn, object, column)?
            } else if function == F::IndexDef {
                super::system::describe::index_definition(&mut txn, object)?
            } else {
                super::system::describe::constraint_definition(&mut txn, object)?
            };
            definition.map_or(Value::Null, Value::Text)
        }
        F::UserById => match arg(0) {
            Value::Null => Value::Null,
            _ => Value::Text(super::system::ROLE_NAME.to_string()),
        },
        F::FormatType => match (int(0)?, int(1)?) {
            (None, _) => Value::Null,
            (Some(type_oid), typmod) => {
                let typmod = i32::try_from(typmod.unwrap_or(-1)).unwrap_or(-1);
                let ty =
                    u32::try_from(type_oid).ok().and_then(|o| DataType::from_oid_typmod(o, typmod));
                Value::Text(ty.map(|t| t.display_name()).unwrap_or_else(|| "???".to_string()))
            }
        },
        F::GetExpr => match text(0) {
            Some(expr) => Value::Text(expr),
            None => Value::Null,
        },
        F::EncodingToChar => Value::Text(if int(0)? == Some(6) { "UTF8" } else { "" }.to_string()),
        F::ObjDescription => Value::Null,
        F::Md5 => {
            Value::Text(format!("{:x}", md5::compute(text(0).unwrap_or_default().as_bytes())))
        }
        F::ToJsonb => Value::Jsonb(match arg(0) {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(b),
            Value::Jsonb(j) => j,
            v if v.data_type().is_some_and(|t| t.is_numeric()) => {
                serde_json::from_str(&v.to_text()).unwrap_or(serde_json::Value::String(v.to_text()))
            }
            v => serde_json::Value::String(v.to_text()),
        }),
        F::ArrayConstruct
        | F::ArraySubscript
        | F::ArrayLength
        | F::ArrayUpper
        | F::ArrayLower
        | F::ArrayNdims
        | F::ArrayDims
        | F::Cardinality
        | F::ArrayToString
        | F::StringToArray
        | F::ArrayPosition
        | F::ArrayPositions
        | F::ArrayAppend
        | F::ArrayPrepend
        | F::ArrayCat
        | F::ArrayRemove
        | F::ArrayReplace
        | F::ArrayContains
        | F::ArrayContainedBy
        | F::ArrayOverlap => super::array_functions::call(function, &values)?,
        F::JsonbTypeof => match arg(0) {
            Value::Jsonb(j) => Value::Text(
                match j {
                    serde_json::Value::Null => "null",
                    serde_json::Value::Bool(_) => "boolean",
                    serde_json::Value::Number(_) => "number",
                    serde_json::Value::String(_) => "string",
                    serde_json::Value::Array(_) => "array",
                    serde_json::Value::Object(_) => "object",
                }
                .to_string(),
            ),
            _ => Value::Null,
        },
    })
}

thread_local! {
    /// Recently compiled regular expressions (patterns usually repeat row after row).
    static REGEX_CACHE: std::cell::RefCell<Vec<(String, bool, regex::Regex)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// POSIX-style regular expression match (`~`, `~*`), with the regex crate's syntax.
fn regex_matches(subject: &str, pattern: &str, case_insensitive: bool) -> Result<bool, SqlError> {
    REGEX_CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some((_, _, re)) =
            cache.iter().find(|(p, ci, _)| p == pattern && *ci == case_insensitive)
        {
            return Ok(re.is_match(subject));
        }
        let re = regex::RegexBuilder::new(pattern)
            .case_insensitive(case_insensitive)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| {
                SqlError::new(
                    sqlstate::INVALID_REGULAR_EXPRESSION,
                    format!("invalid regular expression: {e}"),
                )
            })?;
        let matched = re.is_match(subject);
        if cache.len() >= 16 {
            cache.remove(0);
        }
        cache.push((pattern.to_string(), case_insensitive, re));
        Ok(matched)
    })
}

fn as_f64(value: &Value) -> Result<f64, SqlError> {
    match value.cast(&DataType::Float8, true)? {
        Value::Float8(x) => Ok(x),
        _ => Ok(f64::NAN),
    }
}

fn round_like(function: Function, value: &Value, digits: i64) -> Result<Value, SqlError> {
    use rust_decimal::RoundingStrategy;
    Ok(match value {
        Value::Numeric(d) => {
            let scale = u32::try_from(digits.clamp(0, 28)).unwrap_or(0);
            Value::Numeric(match function {
                Function::Round => {
                    d.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero)
                }
                Function::Floor => d.floor(),
                _ => d.ceil(),
            })
        }
        Value::Float8(_) | Value::Float4(_) => {
            let x = as_f64(value)?;
            Value::Float8(match function {
                Function::Round => x.round_ties_even(),
                Function::Floor => x.floor(),
                _ => x.ceil(),
            })
        }
        other => other.clone(),
    })
}
