//! Binding of DDL: CREATE TABLE (types, PRIMARY KEY, NOT NULL, DEFAULT, UNIQUE, CHECK, SERIAL
//! and identity columns), DROP TABLE and TRUNCATE.

use super::expr::convert_type;
use super::{Binder, ident_name, object_name};
use crate::sql::catalog::{self, CheckDef, ColumnDef, Generated, SequenceDef, TableDef, UniqueDef};
use crate::sql::error::{SqlError, sqlstate};
use crate::sql::plan::Plan;
use crate::sql::types::DataType;
use sqlparser::ast;

impl Binder<'_> {
    pub(super) fn bind_create_table(
        &mut self,
        create: &ast::CreateTable,
    ) -> Result<Plan, SqlError> {
        if create.query.is_some() {
            return Err(SqlError::unsupported("CREATE TABLE AS is not supported yet"));
        }
        let name = object_name(&create.name)?;
        let mut table = TableDef {
            id: 0,
            name: name.clone(),
            columns: Vec::new(),
            primary_key: Vec::new(),
            primary_key_name: None,
            uniques: Vec::new(),
            checks: Vec::new(),
            row_id_sequence: None,
        };
        let mut sequences = Vec::new();
        let mut unique_sets: Vec<(Option<String>, Vec<usize>)> = Vec::new();
        for column in &create.columns {
            let column_name = ident_name(&column.name);
            if table.column_index(&column_name).is_some() {
                return Err(SqlError::new(
                    sqlstate::DUPLICATE_COLUMN,
                    format!("column \"{column_name}\" specified more than once"),
                ));
            }
            let position = table.columns.len();
            let type_text = column.data_type.to_string().to_lowercase();
            let serial = match type_text.as_str() {
                "serial" | "serial4" => Some(DataType::Int4),
                "bigserial" | "serial8" => Some(DataType::Int8),
                "smallserial" | "serial2" => Some(DataType::Int2),
                _ => None,
            };
            let ty = match &serial {
                Some(ty) => ty.clone(),
                None => convert_type(&column.data_type)?,
            };
            let mut def = ColumnDef {
                name: column_name.clone(),
                ty: ty.clone(),
                not_null: false,
                default: None,
                identity: None,
            };
            if serial.is_some() {
                let sequence = format!("{name}_{column_name}_seq");
                sequences.push(new_sequence(
                    &sequence,
                    &ty,
                    Some((name.clone(), column_name.clone())),
                ));
                def.default = Some(format!("nextval('{sequence}')"));
                def.not_null = true;
            }
            for option in &column.options {
                let constraint_name = option.name.as_ref().map(ident_name);
                match &option.option {
                    ast::ColumnOption::Null => def.not_null = false,
                    ast::ColumnOption::NotNull => def.not_null = true,
                    ast::ColumnOption::Default(expr) => def.default = Some(expr.to_string()),
                    ast::ColumnOption::PrimaryKey(_) => {
                        if !table.primary_key.is_empty() {
                            return Err(multiple_primary_keys(&name));
                        }
                        table.primary_key = vec![position];
                        table.primary_key_name = constraint_name;
                        def.not_null = true;
                    }
                    ast::ColumnOption::Unique(_) => {
                        unique_sets.push((constraint_name, vec![position]))
                    }
                    ast::ColumnOption::Check(check) => table.checks.push(CheckDef {
                        name: constraint_name
                            .unwrap_or_else(|| format!("{name}_{column_name}_check")),
                        expr: check.expr.to_string(),
                    }),
                    ast::ColumnOption::Generated {
                        generated_as, generation_expr: None, ..
                    } => {
                        let sequence = format!("{name}_{column_name}_seq");
                        sequences.push(new_sequence(
                            &sequence,
                            &ty,
                            Some((name.clone(), column_name.clone())),
                        ));
                        def.identity = Some(match generated_as {
                            ast::GeneratedAs::Always => Generated::AlwaysIdentity { sequence },
                            _ => Generated::DefaultIdentity { sequence },
                        });
                        def.not_null = true;
                    }
                    ast::ColumnOption::Generated { .. } => {
                        return Err(SqlError::unsupported(
                            "generated columns are not supported yet",
                        ));
                    }
                    ast::ColumnOption::ForeignKey(_) => {
                        return Err(SqlError::unsupported("foreign keys are not supported yet"));
                    }
                    ast::ColumnOption::Collation(_) | ast::ColumnOption::Comment(_) => {}
                    other => return Err(SqlError::unsupported(format!("column option {other}"))),
                }
            }
            table.columns.push(def);
        }
        for constraint in &create.constraints {
            match constraint {
                ast::TableConstraint::PrimaryKey(pk) => {
                    if !table.primary_key.is_empty() {
                        return Err(multiple_primary_keys(&name));
                    }
                    let columns =
                        self.constraint_columns(&table, pk.columns.iter().map(|c| &c.column.expr))?;
                    for &c in &columns {
                        if let Some(column) = table.columns.get_mut(c) {
                            column.not_null = true;
                        }
                    }
                    table.primary_key = columns;
                    table.primary_key_name = pk.name.as_ref().map(ident_name);
                }
                ast::TableConstraint::Unique(unique) => {
                    let columns = self.constraint_columns(
                        &table,
                        unique.columns.iter().map(|c| &c.column.expr),
                    )?;
                    unique_sets.push((unique.name.as_ref().map(ident_name), columns));
                }
                ast::TableConstraint::Check(check) => {
                    let check_name = check
                        .name
                        .as_ref()
                        .map(ident_name)
                        .unwrap_or_else(|| format!("{name}_check"));
                    table.checks.push(CheckDef { name: check_name, expr: check.expr.to_string() });
                }
                ast::TableConstraint::ForeignKey(_) => {
                    return Err(SqlError::unsupported("foreign keys are not supported yet"));
                }
                other => return Err(SqlError::unsupported(format!("table constraint {other}"))),
            }
        }
        if table.primary_key_name.is_none() && !table.primary_key.is_empty() {
            table.primary_key_name = Some(format!("{name}_pkey"));
        }
        for (i, (constraint_name, columns)) in unique_sets.into_iter().enumerate() {
            let default_name = {
                let names: Vec<&str> = columns
                    .iter()
                    .filter_map(|&c| table.columns.get(c))
                    .map(|c| c.name.as_str())
                    .collect();
                format!("{name}_{}_key", names.join("_"))
            };
            table.uniques.push(UniqueDef {
                name: constraint_name.unwrap_or(default_name),
                columns,
                index_no: u16::try_from(i + 1).unwrap_or(u16::MAX),
            });
        }
        // CHECK expressions must bind against the table now (42703 etc. at CREATE time).
        let scope = super::query::table_scope(&table, &table.name);
        for check in &table.checks {
            let ast = crate::sql::parser::parse_expression(&check.expr)?;
            self.bind_expr(&ast, &scope)?;
        }
        for column in &table.columns {
            if let Some(default) = &column.default {
                let ast = crate::sql::parser::parse_expression(default)?;
                if let Err(err) = self.bind_expr(&ast, &super::Scope::default()) {
                    // Sequences created by this statement do not exist yet; nextval binds fine.
                    if err.code != sqlstate::UNDEFINED_COLUMN {
                        return Err(err);
                    }
                    return Err(SqlError::new(
                        "0A000",
                        format!(
                            "cannot use column reference in DEFAULT expression of column \"{}\"",
                            column.name
                        ),
                    ));
                }
            }
        }
        Ok(Plan::CreateTable { table, sequences, if_not_exists: create.if_not_exists })
    }

    fn constraint_columns<'e>(
        &self,
        table: &TableDef,
        exprs: impl Iterator<Item = &'e ast::Expr>,
    ) -> Result<Vec<usize>, SqlError> {
        let mut positions = Vec::new();
        for expr in exprs {
            let ast::Expr::Identifier(ident) = expr else {
                return Err(SqlError::unsupported(format!("expression {expr} in a key")));
            };
            let name = ident_name(ident);
            let position = table.column_index(&name).ok_or_else(|| {
                self.at(
                    SqlError::new(
                        sqlstate::UNDEFINED_COLUMN,
                        format!("column \"{name}\" named in key does not exist"),
                    ),
                    ident.span,
                )
            })?;
            positions.push(position);
        }
        Ok(positions)
    }

    pub(super) fn bind_drop(
        &mut self,
        object_type: &ast::ObjectType,
        if_exists: bool,
        names: &[ast::ObjectName],
    ) -> Result<Plan, SqlError> {
        match object_type {
            ast::ObjectType::Table => {
                let names = names.iter().map(object_name).collect::<Result<Vec<_>, _>>()?;
                Ok(Plan::DropTables { names, if_exists })
            }
            other => Err(SqlError::unsupported(format!("DROP {other} is not supported yet"))),
        }
    }

    pub(super) fn bind_truncate(&mut self, truncate: &ast::Truncate) -> Result<Plan, SqlError> {
        let mut tables = Vec::new();
        for target in &truncate.table_names {
            let name = object_name(&target.name)?;
            tables.push(catalog::require_table(self.txn, &name)?);
        }
        Ok(Plan::Truncate { tables })
    }
}

fn multiple_primary_keys(table: &str) -> SqlError {
    SqlError::new(
        sqlstate::INVALID_TABLE_DEFINITION,
        format!("multiple primary keys for table \"{table}\" are not allowed"),
    )
}

fn new_sequence(name: &str, ty: &DataType, owned_by: Option<(String, String)>) -> SequenceDef {
    let max_value = match ty {
        DataType::Int2 => i64::from(i16::MAX),
        DataType::Int4 => i64::from(i32::MAX),
        _ => i64::MAX,
    };
    SequenceDef {
        id: 0,
        name: name.to_string(),
        start: 1,
        increment: 1,
        min_value: 1,
        max_value,
        owned_by,
    }
}
