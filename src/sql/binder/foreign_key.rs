//! Binding of FOREIGN KEY constraints (`REFERENCES` on a column, `FOREIGN KEY (...)
//! REFERENCES` in the table's constraints or ALTER TABLE ADD CONSTRAINT): the referenced
//! table and columns are resolved and checked as PostgreSQL checks them (a primary key or
//! unique constraint must cover the referenced columns: 42830; key types must be
//! comparable: 42804).

use super::{Binder, ident_name};
use crate::sql::catalog::{self, ForeignKeyDef, ReferentialAction, TableDef};
use crate::sql::error::{SqlError, sqlstate};
use crate::sql::types::DataType;
use sqlparser::ast;

impl Binder<'_> {
    /// A foreign key of `table` (being created or altered) from `columns`, named `name` or
    /// after PostgreSQL's `table_col_fkey` pattern.
    pub(super) fn bind_foreign_key(
        &mut self,
        table: &TableDef,
        columns: &[String],
        fk: &ast::ForeignKeyConstraint,
    ) -> Result<ForeignKeyDef, SqlError> {
        if matches!(
            fk.match_kind,
            Some(
                ast::ConstraintReferenceMatchKind::Full
                    | ast::ConstraintReferenceMatchKind::Partial
            )
        ) {
            return Err(SqlError::unsupported("MATCH FULL / MATCH PARTIAL foreign keys"));
        }
        if let Some(characteristics) = &fk.characteristics
            && characteristics.initially == Some(ast::DeferrableInitial::Deferred)
        {
            return Err(SqlError::unsupported("INITIALLY DEFERRED foreign keys"));
        }
        let mut positions = Vec::new();
        for column in columns {
            let position = table.column_index(column).ok_or_else(|| {
                SqlError::new(
                    sqlstate::UNDEFINED_COLUMN,
                    format!(
                        "column \"{column}\" referenced in foreign key constraint does not exist"
                    ),
                )
            })?;
            positions.push(position);
        }
        let referenced_name = self.relation_key(&fk.foreign_table)?;
        let referenced = if referenced_name == table.name {
            table.clone()
        } else {
            match catalog::get_table(self.txn, &referenced_name)? {
                Some(referenced) => referenced,
                None if catalog::relation_kind(self.txn, &referenced_name)?.is_some() => {
                    return Err(SqlError::new(
                        sqlstate::WRONG_OBJECT_TYPE,
                        format!("referenced relation \"{referenced_name}\" is not a table"),
                    ));
                }
                None => {
                    return Err(SqlError::new(
                        sqlstate::UNDEFINED_TABLE,
                        format!("relation \"{referenced_name}\" does not exist"),
                    ));
                }
            }
        };
        let referenced_columns = if fk.referred_columns.is_empty() {
            if referenced.primary_key.is_empty() {
                return Err(SqlError::new(
                    sqlstate::UNDEFINED_OBJECT,
                    format!("there is no primary key for referenced table \"{referenced_name}\""),
                ));
            }
            referenced.primary_key.clone()
        } else {
            let mut out = Vec::new();
            for ident in &fk.referred_columns {
                let column = ident_name(ident);
                out.push(referenced.column_index(&column).ok_or_else(|| {
                    SqlError::new(
                        sqlstate::UNDEFINED_COLUMN,
                        format!("column \"{column}\" referenced in foreign key constraint does not exist"),
                    )
                })?);
            }
            out
        };
        if referenced_columns.len() != positions.len() {
            return Err(SqlError::new(
                sqlstate::INVALID_FOREIGN_KEY,
                "number of referencing and referenced columns for foreign key disagree",
            ));
        }
        if unique_key_of(&referenced, &referenced_columns).is_none() {
            return Err(SqlError::new(
                sqlstate::INVALID_FOREIGN_KEY,
                format!(
                    "there is no unique constraint matching given keys for referenced table \"{referenced_name}\""
                ),
            ));
        }
        let name = match &fk.name {
            Some(name) => ident_name(name),
            None => {
                // Constraint names are not relations: no schema part.
                let base = format!("{}_{}_fkey", self.bare_name(&table.name)?, columns.join("_"));
                let mut candidate = base.clone();
                let mut n = 0;
                while table.foreign_keys.iter().any(|f| f.name == candidate) {
                    n += 1;
                    candidate = format!("{base}{n}");
                }
                candidate
            }
        };
        for (&mine, &theirs) in positions.iter().zip(&referenced_columns) {
            let (Some(a), Some(b)) = (table.columns.get(mine), referenced.columns.get(theirs))
            else {
                continue;
            };
            if !comparable(&a.ty, &b.ty) {
                return Err(SqlError::new(
                    sqlstate::DATATYPE_MISMATCH,
                    format!("foreign key constraint \"{name}\" cannot be implemented"),
                )
                .with_detail(format!(
                    "Key columns \"{}\" and \"{}\" are of incompatible types: {} and {}.",
                    a.name,
                    b.name,
                    a.ty.display_name(),
                    b.ty.display_name()
                )));
            }
        }
        Ok(ForeignKeyDef {
            name,
            columns: positions,
            referenced_id: referenced.id,
            referenced_table: referenced_name,
            referenced_columns,
            on_delete: action(fk.on_delete.as_ref())?,
            on_update: action(fk.on_update.as_ref())?,
        })
    }
}

/// The unique key of `table` whose columns are exactly `columns` (in any order): `None`
/// for the primary key's number 0 is `Some(0)`; a unique constraint or unique index gives
/// its index number.
pub fn unique_key_of(table: &TableDef, columns: &[usize]) -> Option<u16> {
    let same =
        |key: &[usize]| key.len() == columns.len() && key.iter().all(|c| columns.contains(c));
    if !table.primary_key.is_empty() && same(&table.primary_key) {
        return Some(0);
    }
    table
        .uniques
        .iter()
        .find(|u| same(&u.columns))
        .map(|u| u.index_no)
        .or_else(|| table.indexes.iter().find(|i| i.unique && same(&i.columns)).map(|i| i.index_no))
}

/// Whether values of the two types can be compared as keys.
fn comparable(a: &DataType, b: &DataType) -> bool {
    a == b
        || (a.is_numeric() && b.is_numeric())
        || (a.is_string() && b.is_string())
        || std::mem::discriminant(a) == std::mem::discriminant(b)
}

fn action(action: Option<&ast::ReferentialAction>) -> Result<ReferentialAction, SqlError> {
    Ok(match action {
        None | Some(ast::ReferentialAction::NoAction) => ReferentialAction::NoAction,
        Some(ast::ReferentialAction::Restrict) => ReferentialAction::Restrict,
        Some(ast::ReferentialAction::Cascade) => ReferentialAction::Cascade,
        Some(ast::ReferentialAction::SetNull) => ReferentialAction::SetNull,
        Some(ast::ReferentialAction::SetDefault) => ReferentialAction::SetDefault,
    })
}
