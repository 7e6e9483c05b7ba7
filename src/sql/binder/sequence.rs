//! Binding of CREATE / ALTER / DROP SEQUENCE: option values checked the way PostgreSQL
//! checks them (22023 for contradictory bounds, a zero increment, a START outside the
//! bounds), defaults that depend on the direction and the `AS` type, and `OWNED BY`.

use super::{Binder, ident_name};
use crate::sql::catalog::{self, SequenceDef};
use crate::sql::error::{SqlError, sqlstate};
use crate::sql::parser::AlterSequence;
use crate::sql::plan::Plan;
use crate::sql::types::DataType;
use crate::txn::Transaction;
use sqlparser::ast::{self, SequenceOptions};

impl Binder<'_> {
    pub(super) fn bind_create_sequence(
        &mut self,
        name: &ast::ObjectName,
        if_not_exists: bool,
        options: &[SequenceOptions],
    ) -> Result<Plan, SqlError> {
        let name = self.creation_key(name)?;
        let mut sequence = SequenceDef {
            id: 0,
            name,
            start: 1,
            increment: 1,
            min_value: 1,
            max_value: i64::MAX,
            owned_by: None,
            cycle: false,
            cache: 1,
            data_type: DataType::Int8,
        };
        let path = self.search_path.clone();
        apply_options(self.txn, &path, &mut sequence, options, None, true)?;
        Ok(Plan::CreateSequence { sequence, if_not_exists })
    }
}

/// The definition after ALTER SEQUENCE and the RESTART value, or None when the sequence
/// does not exist and IF EXISTS was given.
pub fn bind_alter_sequence(
    txn: &mut Transaction,
    path: &[String],
    alter: &AlterSequence,
) -> Result<Option<(SequenceDef, Option<i64>)>, SqlError> {
    let name = super::names::relation_key(txn, &alter.name, path)?;
    let Some(mut sequence) = catalog::get_sequence(txn, &name)? else {
        if alter.if_exists {
            return Ok(None);
        }
        return Err(SqlError::new(
            sqlstate::UNDEFINED_TABLE,
            format!("relation \"{name}\" does not exist"),
        ));
    };
    let restart = apply_options(txn, path, &mut sequence, &alter.options, alter.restart, false)?;
    Ok(Some((sequence, restart)))
}

fn invalid(message: String) -> SqlError {
    SqlError::new(sqlstate::INVALID_PARAMETER_VALUE, message)
}

/// The value of a numeric option (`INCREMENT BY -2`).
fn number(expr: &ast::Expr) -> Result<i64, SqlError> {
    let text = expr.to_string().replace(' ', "");
    text.parse::<i64>().map_err(|_| {
        SqlError::new(
            sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
            format!("value \"{text}\" is out of range for type bigint"),
        )
    })
}

/// The bounds of a sequence type.
fn type_range(ty: &DataType) -> (i64, i64) {
    match ty {
        DataType::Int2 => (i64::from(i16::MIN), i64::from(i16::MAX)),
        DataType::Int4 => (i64::from(i32::MIN), i64::from(i32::MAX)),
        _ => (i64::MIN, i64::MAX),
    }
}

/// Applies options to `sequence` (a new one when `creating`), as PostgreSQL's
/// `init_params` does: unspecified bounds follow the direction and type; everything is
/// checked at the end. Returns the value a RESTART sets.
fn apply_options(
    txn: &mut Transaction,
    path: &[String],
    sequence: &mut SequenceDef,
    options: &[SequenceOptions],
    restart: Option<Option<i64>>,
    creating: bool,
) -> Result<Option<i64>, SqlError> {
    let old_range = type_range(&sequence.data_type);
    let mut min_value: Option<Option<i64>> = None;
    let mut max_value: Option<Option<i64>> = None;
    let mut start = None;
    for option in options {
        match option {
            SequenceOptions::DataType(ty) => {
                let ty = super::expr::convert_type(ty)?;
                if !matches!(ty, DataType::Int2 | DataType::Int4 | DataType::Int8) {
                    return Err(invalid(
                        "sequence type must be smallint, integer, or bigint".to_string(),
                    ));
                }
                sequence.data_type = ty;
            }
            SequenceOptions::IncrementBy(expr, _) => {
                sequence.increment = number(expr)?;
                if sequence.increment == 0 {
                    return Err(invalid("INCREMENT must not be zero".to_string()));
                }
            }
            SequenceOptions::MinValue(value) => {
                min_value = Some(value.as_ref().map(number).transpose()?)
            }
            SequenceOptions::MaxValue(value) => {
                max_value = Some(value.as_ref().map(number).transpose()?)
            }
            SequenceOptions::StartWith(expr, _) => start = Some(number(expr)?),
            SequenceOptions::Cache(expr) => {
                let cache = number(expr)?;
                if cache <= 0 {
                    return Err(invalid(format!("CACHE ({cache}) must be greater than zero")));
                }
                sequence.cache = cache;
            }
            SequenceOptions::Cycle(no) => sequence.cycle = !*no,
            SequenceOptions::OwnedBy(owner) => {
                sequence.owned_by = match owner {
                    None => None,
                    Some(owner) => Some(owning_column(txn, path, owner)?),
                }
            }
        }
    }
    let ascending = sequence.increment > 0;
    let (type_min, type_max) = type_range(&sequence.data_type);
    let type_name = sequence.data_type.display_name();
    // Bounds not given: the direction's default (and a bound that was the old type's
    // limit follows a type change).
    sequence.max_value = match max_value {
        Some(Some(v)) => v,
        Some(None) => {
            if ascending {
                type_max
            } else {
                -1
            }
        }
        None if creating => {
            if ascending {
                type_max
            } else {
                -1
            }
        }
        None if sequence.max_value == old_range.1 => type_max,
        None => sequence.max_value,
    };
    sequence.min_value = match min_value {
        Some(Some(v)) => v,
        Some(None) => {
            if ascending {
                1
            } else {
                type_min
            }
        }
        None if creating => {
            if ascending {
                1
            } else {
                type_min
            }
        }
        None if sequence.min_value == old_range.0 => type_min,
        None => sequence.min_value,
    };
    if sequence.max_value > type_max || sequence.max_value < type_min {
        return Err(invalid(format!(
            "MAXVALUE ({}) is out of range for sequence data type {type_name}",
            sequence.max_value
        )));
    }
    if sequence.min_value > type_max || sequence.min_value < type_min {
        return Err(invalid(format!(
            "MINVALUE ({}) is out of range for sequence data type {type_name}",
            sequence.min_value
        )));
    }
    if sequence.min_value >= sequence.max_value {
        return Err(invalid(format!(
            "MINVALUE ({}) must be less than MAXVALUE ({})",
            sequence.min_value, sequence.max_value
        )));
    }
    if let Some(start) = start {
        sequence.start = start;
    } else if creating {
        sequence.start = if ascending { sequence.min_value } else { sequence.max_value };
    }
    if sequence.start < sequence.min_value {
        return Err(invalid(format!(
            "START value ({}) cannot be less than MINVALUE ({})",
            sequence.start, sequence.min_value
        )));
    }
    if sequence.start > sequence.max_value {
        return Err(invalid(format!(
            "START value ({}) cannot be greater than MAXVALUE ({})",
            sequence.start, sequence.max_value
        )));
    }
    let restart = restart.map(|value| value.unwrap_or(sequence.start));
    if let Some(value) = restart {
        if value < sequence.min_value {
            return Err(invalid(format!(
                "RESTART value ({value}) cannot be less than MINVALUE ({})",
                sequence.min_value
            )));
        }
        if value > sequence.max_value {
            return Err(invalid(format!(
                "RESTART value ({value}) cannot be greater than MAXVALUE ({})",
                sequence.max_value
            )));
        }
    }
    Ok(restart)
}

/// `OWNED BY table.column`: the table and column must exist.
fn owning_column(
    txn: &mut Transaction,
    path: &[String],
    owner: &ast::ObjectName,
) -> Result<(String, String), SqlError> {
    let parts: Vec<&ast::Ident> = owner.0.iter().filter_map(|p| p.as_ident()).collect();
    let Some((column, table_parts)) = parts.split_last() else {
        return Err(SqlError::syntax("invalid OWNED BY option"));
    };
    if table_parts.is_empty() {
        return Err(SqlError::syntax("invalid OWNED BY option")
            .with_hint("Specify OWNED BY table.column or OWNED BY NONE."));
    }
    let table_name = super::names::relation_key(
        txn,
        &ast::ObjectName(
            table_parts.iter().map(|i| ast::ObjectNamePart::Identifier((*i).clone())).collect(),
        ),
        path,
    )?;
    let column = ident_name(column);
    let table = catalog::get_table(txn, &table_name)?.ok_or_else(|| {
        SqlError::new(
            sqlstate::UNDEFINED_TABLE,
            format!("relation \"{table_name}\" does not exist"),
        )
    })?;
    if table.column_index(&column).is_none() {
        return Err(SqlError::new(
            sqlstate::UNDEFINED_COLUMN,
            format!("column \"{column}\" of relation \"{table_name}\" does not exist"),
        ));
    }
    Ok((table_name, column))
}
