//! Binding of DDL: CREATE TABLE (types, PRIMARY KEY, NOT NULL, DEFAULT, UNIQUE, CHECK, SERIAL
//! and identity columns), DROP TABLE, TRUNCATE, ALTER TABLE and CREATE / DROP INDEX.

use super::expr::convert_type;
use super::{Binder, ident_name, object_name};
use crate::sql::catalog::{
    self, CheckDef, ColumnDef, ForeignKeyDef, Generated, IndexDef, SequenceDef, TableDef, UniqueDef,
};
use crate::sql::error::{SqlError, sqlstate};
use crate::sql::plan::Plan;
use crate::sql::plan::{AlterAction, AlterStep};
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
        refuse_table_kinds_not_supported(create)?;
        let name = self.creation_key(&create.name)?;
        // Constraint names (not relations) carry no schema part.
        let bare = self.bare_name(&name)?;
        let mut table = TableDef {
            id: 0,
            name: name.clone(),
            columns: Vec::new(),
            primary_key: Vec::new(),
            primary_key_name: None,
            uniques: Vec::new(),
            checks: Vec::new(),
            row_id_sequence: None,
            indexes: Vec::new(),
            foreign_keys: Vec::new(),
            storage: 0,
        };
        let mut sequences = Vec::new();
        let mut unique_sets: Vec<(Option<String>, Vec<usize>)> = Vec::new();
        // Foreign keys bind last: they may reference this table's own keys.
        let mut foreign_keys: Vec<(Vec<String>, ast::ForeignKeyConstraint)> = Vec::new();
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
                            .unwrap_or_else(|| format!("{bare}_{column_name}_check")),
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
                    ast::ColumnOption::ForeignKey(fk) => {
                        let mut fk = fk.clone();
                        fk.name = fk.name.or(option.name.clone());
                        foreign_keys.push((vec![column_name.clone()], fk));
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
                        .unwrap_or_else(|| format!("{bare}_check"));
                    table.checks.push(CheckDef { name: check_name, expr: check.expr.to_string() });
                }
                ast::TableConstraint::ForeignKey(fk) => {
                    foreign_keys.push((fk.columns.iter().map(ident_name).collect(), fk.clone()))
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
        for (columns, fk) in &foreign_keys {
            let bound = self.bind_foreign_key(&table, columns, fk)?;
            table.foreign_keys.push(bound);
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
        cascade: bool,
    ) -> Result<Plan, SqlError> {
        if *object_type == ast::ObjectType::Schema {
            let names = names
                .iter()
                .map(super::statement::schema_name_of)
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(Plan::DropSchemas { names, if_exists, cascade });
        }
        // DROP ... IF EXISTS of a name in a missing schema only skips it.
        let names = names
            .iter()
            .map(|n| match self.relation_key(n) {
                Err(err) if if_exists && err.code == sqlstate::UNDEFINED_TABLE => Ok(n.to_string()),
                other => other,
            })
            .collect::<Result<Vec<_>, _>>()?;
        match object_type {
            ast::ObjectType::Table => Ok(Plan::DropTables { names, if_exists, cascade }),
            ast::ObjectType::View => Ok(Plan::DropViews { names, if_exists, cascade }),
            ast::ObjectType::Sequence => Ok(Plan::DropSequences { names, if_exists, cascade }),
            ast::ObjectType::Index => Ok(Plan::DropIndex { names, if_exists }),
            other => Err(SqlError::unsupported(format!("DROP {other} is not supported yet"))),
        }
    }

    pub(super) fn bind_truncate(&mut self, truncate: &ast::Truncate) -> Result<Plan, SqlError> {
        let mut tables: Vec<TableDef> = Vec::new();
        for target in &truncate.table_names {
            let name = self.relation_key(&target.name)?;
            tables.push(catalog::require_table(self.txn, &name)?);
        }
        let listed = tables.len();
        if matches!(truncate.cascade, Some(ast::CascadeOption::Cascade)) {
            // Tables with foreign keys to a truncated table are truncated too, transitively.
            let mut i = 0;
            while let Some(table) = tables.get(i) {
                let id = table.id;
                for child in catalog::referencing_tables(self.txn, id)? {
                    if !tables.iter().any(|t| t.name == child) {
                        tables.push(catalog::require_table(self.txn, &child)?);
                    }
                }
                i += 1;
            }
        }
        Ok(Plan::Truncate { cascaded: tables.len() - listed, tables })
    }
}

/// Refuses the CREATE TABLE forms that would otherwise be created as a plain table with a
/// different meaning: partitioned tables and partitions (`pgbench -i --partitions`),
/// inheritance, `LIKE`, and `ON COMMIT` actions (temporary tables are plain tables here, so
/// only `ON COMMIT PRESERVE ROWS`, PostgreSQL's default, can be honoured).
fn refuse_table_kinds_not_supported(create: &ast::CreateTable) -> Result<(), SqlError> {
    if create.partition_by.is_some() {
        return Err(SqlError::unsupported("partitioned tables are not supported yet"));
    }
    if create.partition_of.is_some() || create.for_values.is_some() {
        return Err(SqlError::unsupported("CREATE TABLE ... PARTITION OF is not supported yet"));
    }
    if create.inherits.is_some() {
        return Err(SqlError::unsupported("table inheritance (INHERITS) is not supported yet"));
    }
    if create.like.is_some() {
        return Err(SqlError::unsupported("CREATE TABLE ... (LIKE ...) is not supported yet"));
    }
    match create.on_commit {
        None => Ok(()),
        Some(_) if !create.temporary => Err(SqlError::new(
            sqlstate::INVALID_TABLE_DEFINITION,
            "ON COMMIT can only be used on temporary tables",
        )),
        Some(ast::OnCommit::PreserveRows) => Ok(()),
        Some(_) => Err(SqlError::unsupported(
            "ON COMMIT DELETE ROWS and ON COMMIT DROP are not supported yet",
        )),
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
        cycle: false,
        cache: 1,
        data_type: ty.clone(),
    }
}

/// Whether a table, index or unique/primary-key constraint already uses relation name `name`.
fn relation_name_taken(txn: &mut crate::txn::Transaction, name: &str) -> Result<bool, SqlError> {
    Ok(catalog::relation_kind(txn, name)?.is_some())
}

fn relation_exists(name: &str) -> SqlError {
    SqlError::new(sqlstate::DUPLICATE_TABLE, format!("relation \"{name}\" already exists"))
}

fn missing_column(column: &str, table: &str) -> SqlError {
    SqlError::new(
        sqlstate::UNDEFINED_COLUMN,
        format!("column \"{column}\" of relation \"{table}\" does not exist"),
    )
}

/// The identity mapping of a table's columns (a rewrite that only re-keys rows).
fn same_columns(table: &TableDef) -> AlterAction {
    AlterAction::Rewrite {
        sources: (0..table.columns.len()).map(Some).collect(),
        defaults: vec![None; table.columns.len()],
    }
}

/// `text` (an expression) with every reference to column `old` renamed to `new`.
fn rename_in_expression(text: &str, old: &str, new: &str) -> String {
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::tokenizer::{Token, Tokenizer};
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, text).tokenize() else {
        return text.to_string();
    };
    let quoted = format!("\"{}\"", new.replace('"', "\"\""));
    tokens
        .iter()
        .map(|token| match token {
            Token::Word(word) => {
                let name = if word.quote_style.is_some() {
                    word.value.clone()
                } else {
                    word.value.to_lowercase()
                };
                if name == old { quoted.clone() } else { token.to_string() }
            }
            other => other.to_string(),
        })
        .collect()
}

impl Binder<'_> {
    pub(super) fn bind_alter_table(&mut self, alter: &ast::AlterTable) -> Result<Plan, SqlError> {
        let name = self.relation_key(&alter.name)?;
        let Some(table) = catalog::get_table(self.txn, &name)? else {
            if alter.if_exists {
                return Ok(Plan::Noop("ALTER TABLE"));
            }
            return Err(SqlError::new(
                sqlstate::UNDEFINED_TABLE,
                format!("relation \"{name}\" does not exist"),
            ));
        };
        let mut cur = table.clone();
        let mut steps: Vec<AlterStep> = Vec::new();
        for op in &alter.operations {
            self.bind_alter_operation(&mut cur, op, &mut steps)?;
        }
        Ok(Plan::AlterTable { table, steps })
    }

    fn bind_alter_operation(
        &mut self,
        cur: &mut TableDef,
        op: &ast::AlterTableOperation,
        steps: &mut Vec<AlterStep>,
    ) -> Result<(), SqlError> {
        use ast::AlterTableOperation as Op;
        let table_name = cur.name.clone();
        let mut push = |cur: &TableDef, action: AlterAction| {
            steps.push(AlterStep { after: cur.clone(), action });
        };
        match op {
            Op::AddColumn { if_not_exists, column_def, .. } => {
                let column_name = ident_name(&column_def.name);
                if cur.column_index(&column_name).is_some() {
                    if *if_not_exists {
                        return Ok(());
                    }
                    return Err(SqlError::new(
                        sqlstate::DUPLICATE_COLUMN,
                        format!(
                            "column \"{column_name}\" of relation \"{table_name}\" already exists"
                        ),
                    ));
                }
                let type_text = column_def.data_type.to_string().to_lowercase();
                if type_text.contains("serial") {
                    return Err(SqlError::unsupported("ADD COLUMN with a serial type"));
                }
                let ty = convert_type(&column_def.data_type)?;
                let position = cur.columns.len();
                let mut def = ColumnDef {
                    name: column_name.clone(),
                    ty,
                    not_null: false,
                    default: None,
                    identity: None,
                };
                let mut bound_default = None;
                let mut extra: Vec<ast::TableConstraint> = Vec::new();
                let mut checks = Vec::new();
                for option in &column_def.options {
                    let constraint_name = option.name.clone();
                    match &option.option {
                        ast::ColumnOption::Null => def.not_null = false,
                        ast::ColumnOption::NotNull => def.not_null = true,
                        ast::ColumnOption::Default(expr) => {
                            let (bound, _) = self.bind_expr(expr, &super::Scope::default())?;
                            bound_default = Some(bound);
                            def.default = Some(expr.to_string());
                        }
                        ast::ColumnOption::Check(check) => {
                            checks.push((constraint_name, (*check.expr).clone()))
                        }
                        ast::ColumnOption::Unique(_) | ast::ColumnOption::PrimaryKey(_) => {
                            let ident = ast::Ident::with_quote('"', column_name.clone());
                            let columns = vec![ast::IndexColumn::from(ident)];
                            extra.push(match &option.option {
                                ast::ColumnOption::PrimaryKey(_) => {
                                    ast::TableConstraint::PrimaryKey(ast::PrimaryKeyConstraint {
                                        name: constraint_name,
                                        index_name: None,
                                        index_type: None,
                                        columns,
                                        index_options: Vec::new(),
                                        characteristics: None,
                                        include: Vec::new(),
                                    })
                                }
                                _ => ast::TableConstraint::Unique(ast::UniqueConstraint {
                                    name: constraint_name,
                                    index_name: None,
                                    index_type_display: ast::KeyOrIndexDisplay::None,
                                    index_type: None,
                                    columns,
                                    index_options: Vec::new(),
                                    characteristics: None,
                                    nulls_distinct: ast::NullsDistinctOption::None,
                                    include: Vec::new(),
                                }),
                            });
                        }
                        ast::ColumnOption::ForeignKey(fk) => {
                            let mut fk = fk.clone();
                            fk.name = fk.name.or(constraint_name);
                            fk.columns = vec![ast::Ident::with_quote('"', column_name.clone())];
                            extra.push(ast::TableConstraint::ForeignKey(fk));
                        }
                        ast::ColumnOption::Collation(_) | ast::ColumnOption::Comment(_) => {}
                        other => {
                            return Err(SqlError::unsupported(format!(
                                "column option {other} in ADD COLUMN"
                            )));
                        }
                    }
                }
                let rewrite = def.default.is_some() || def.not_null;
                cur.columns.push(def);
                let action = if rewrite {
                    let mut defaults = vec![None; position];
                    defaults.push(bound_default);
                    let mut sources: Vec<Option<usize>> = (0..position).map(Some).collect();
                    sources.push(None);
                    AlterAction::Rewrite { sources, defaults }
                } else {
                    AlterAction::None
                };
                push(cur, action);
                for constraint in extra {
                    self.bind_add_constraint(cur, &constraint, steps)?;
                }
                for (constraint_name, expr) in checks {
                    let check_name = constraint_name
                        .as_ref()
                        .map(ident_name)
                        .unwrap_or_else(|| format!("{table_name}_{column_name}_check"));
                    self.bind_add_check(cur, check_name, &expr, steps)?;
                }
                Ok(())
            }
            Op::DropColumn { column_names, if_exists, .. } => {
                for ident in column_names {
                    let column_name = ident_name(ident);
                    let Some(position) = cur.column_index(&column_name) else {
                        if *if_exists {
                            continue;
                        }
                        return Err(missing_column(&column_name, &table_name));
                    };
                    let before = cur.clone();
                    cur.columns.remove(position);
                    let shift = |columns: &[usize]| -> Option<Vec<usize>> {
                        if columns.contains(&position) {
                            return None;
                        }
                        Some(
                            columns.iter().map(|&c| if c > position { c - 1 } else { c }).collect(),
                        )
                    };
                    match shift(&before.primary_key) {
                        Some(pk) => cur.primary_key = pk,
                        None => {
                            cur.primary_key = Vec::new();
                            cur.primary_key_name = None;
                        }
                    }
                    cur.uniques = before
                        .uniques
                        .iter()
                        .filter_map(|u| {
                            shift(&u.columns).map(|columns| UniqueDef { columns, ..u.clone() })
                        })
                        .collect();
                    cur.indexes = before
                        .indexes
                        .iter()
                        .filter_map(|i| {
                            shift(&i.columns).map(|columns| IndexDef { columns, ..i.clone() })
                        })
                        .collect();
                    // Foreign keys on the column go with it; so do those of a
                    // self-referencing table that reference it.
                    cur.foreign_keys = before
                        .foreign_keys
                        .iter()
                        .filter_map(|f| {
                            let columns = shift(&f.columns)?;
                            let referenced_columns = if f.referenced_id == before.id {
                                shift(&f.referenced_columns)?
                            } else {
                                f.referenced_columns.clone()
                            };
                            Some(ForeignKeyDef { columns, referenced_columns, ..f.clone() })
                        })
                        .collect();
                    self.refuse_dropping_referenced(&before, position)?;
                    // CHECK constraints that mention the column go with it.
                    let scope = super::query::table_scope(cur, &cur.name);
                    let mut kept = Vec::new();
                    for check in &before.checks {
                        let ast = crate::sql::parser::parse_expression(&check.expr)?;
                        match self.bind_expr(&ast, &scope) {
                            Ok(_) => kept.push(check.clone()),
                            Err(err) if err.code == sqlstate::UNDEFINED_COLUMN => {}
                            Err(err) => return Err(err),
                        }
                    }
                    cur.checks = kept;
                    let sources = (0..before.columns.len()).filter(|&c| c != position).map(Some);
                    push(
                        cur,
                        AlterAction::Rewrite {
                            sources: sources.collect(),
                            defaults: vec![None; cur.columns.len()],
                        },
                    );
                }
                Ok(())
            }
            Op::RenameColumn { old_column_name, new_column_name } => {
                let old = ident_name(old_column_name);
                let new = ident_name(new_column_name);
                let Some(position) = cur.column_index(&old) else {
                    return Err(missing_column(&old, &table_name));
                };
                if cur.column_index(&new).is_some() {
                    return Err(SqlError::new(
                        sqlstate::DUPLICATE_COLUMN,
                        format!("column \"{new}\" of relation \"{table_name}\" already exists"),
                    ));
                }
                if let Some(column) = cur.columns.get_mut(position) {
                    column.name = new.clone();
                }
                for check in &mut cur.checks {
                    check.expr = rename_in_expression(&check.expr, &old, &new);
                }
                push(cur, AlterAction::None);
                Ok(())
            }
            Op::RenameTable { table_name: new_name } => {
                let new_name = match new_name {
                    ast::RenameTableNameKind::As(n) | ast::RenameTableNameKind::To(n) => {
                        // The table stays in its schema.
                        let bare = object_name(n)?;
                        format!("{}{bare}", super::names::schema_prefix(&cur.name, self.txn)?)
                    }
                };
                if relation_name_taken(self.txn, &new_name)? {
                    return Err(relation_exists(&new_name));
                }
                let old_name = cur.name.clone();
                cur.name = new_name;
                push(cur, AlterAction::Rename { old_name });
                Ok(())
            }
            Op::AlterColumn { column_name, op } => {
                let column = ident_name(column_name);
                let Some(position) = cur.column_index(&column) else {
                    return Err(missing_column(&column, &table_name));
                };
                let in_pk = cur.primary_key.contains(&position);
                let Some(def) = cur.columns.get_mut(position) else {
                    return Err(missing_column(&column, &table_name));
                };
                let action = match op {
                    ast::AlterColumnOperation::SetNotNull => {
                        def.not_null = true;
                        AlterAction::ValidateNotNull(position)
                    }
                    ast::AlterColumnOperation::DropNotNull => {
                        if in_pk {
                            return Err(SqlError::new(
                                sqlstate::INVALID_TABLE_DEFINITION,
                                format!("column \"{column}\" is in a primary key"),
                            ));
                        }
                        if def.identity.is_some() {
                            return Err(SqlError::new(
                                sqlstate::INVALID_TABLE_DEFINITION,
                                format!(
                                    "column \"{column}\" of relation \"{table_name}\" is an identity column"
                                ),
                            ));
                        }
                        def.not_null = false;
                        AlterAction::None
                    }
                    ast::AlterColumnOperation::SetDefault { value } => {
                        def.default = Some(value.to_string());
                        self.bind_expr(value, &super::Scope::default())?;
                        AlterAction::None
                    }
                    ast::AlterColumnOperation::DropDefault => {
                        def.default = None;
                        AlterAction::None
                    }
                    other => {
                        return Err(SqlError::unsupported(format!(
                            "ALTER TABLE ... ALTER COLUMN {other}"
                        )));
                    }
                };
                push(cur, action);
                Ok(())
            }
            Op::AddConstraint { constraint, .. } => {
                self.bind_add_constraint(cur, constraint, steps)
            }
            Op::DropConstraint { if_exists, name, .. } => {
                let constraint = ident_name(name);
                if cur.primary_key_name.as_deref() == Some(constraint.as_str())
                    && !cur.primary_key.is_empty()
                {
                    let before = cur.clone();
                    cur.primary_key = Vec::new();
                    cur.primary_key_name = None;
                    push(cur, same_columns(&before));
                } else if let Some(i) = cur.uniques.iter().position(|u| u.name == constraint) {
                    let removed = cur.uniques.remove(i);
                    push(cur, AlterAction::DropIndex(removed.index_no));
                } else if let Some(i) = cur.checks.iter().position(|c| c.name == constraint) {
                    cur.checks.remove(i);
                    push(cur, AlterAction::None);
                } else if let Some(i) = cur.foreign_keys.iter().position(|f| f.name == constraint) {
                    cur.foreign_keys.remove(i);
                    push(cur, AlterAction::None);
                } else if !*if_exists {
                    return Err(SqlError::new(
                        sqlstate::UNDEFINED_OBJECT,
                        format!(
                            "constraint \"{constraint}\" of relation \"{table_name}\" does not exist"
                        ),
                    ));
                }
                Ok(())
            }
            other => Err(SqlError::unsupported(format!("ALTER TABLE {other}"))),
        }
    }

    fn bind_add_constraint(
        &mut self,
        cur: &mut TableDef,
        constraint: &ast::TableConstraint,
        steps: &mut Vec<AlterStep>,
    ) -> Result<(), SqlError> {
        let table_name = cur.name.clone();
        match constraint {
            ast::TableConstraint::PrimaryKey(pk) => {
                if !cur.primary_key.is_empty() {
                    return Err(multiple_primary_keys(&table_name));
                }
                let columns =
                    self.constraint_columns(cur, pk.columns.iter().map(|c| &c.column.expr))?;
                let pk_name = pk
                    .name
                    .as_ref()
                    .map(ident_name)
                    .unwrap_or_else(|| format!("{table_name}_pkey"));
                if relation_name_taken(self.txn, &pk_name)? || cur.has_index_named(&pk_name) {
                    return Err(relation_exists(&pk_name));
                }
                let before = cur.clone();
                for &c in &columns {
                    if let Some(column) = cur.columns.get_mut(c) {
                        column.not_null = true;
                    }
                }
                cur.primary_key = columns;
                cur.primary_key_name = Some(pk_name);
                steps.push(AlterStep { after: cur.clone(), action: same_columns(&before) });
                Ok(())
            }
            ast::TableConstraint::Unique(unique) => {
                let columns =
                    self.constraint_columns(cur, unique.columns.iter().map(|c| &c.column.expr))?;
                let unique_name = unique.name.as_ref().map(ident_name).unwrap_or_else(|| {
                    let names: Vec<&str> = columns
                        .iter()
                        .filter_map(|&c| cur.columns.get(c))
                        .map(|c| c.name.as_str())
                        .collect();
                    format!("{table_name}_{}_key", names.join("_"))
                });
                if relation_name_taken(self.txn, &unique_name)? || cur.has_index_named(&unique_name)
                {
                    return Err(relation_exists(&unique_name));
                }
                let index_no = cur.next_index_no();
                cur.uniques.push(UniqueDef { name: unique_name, columns, index_no });
                steps.push(AlterStep {
                    after: cur.clone(),
                    action: AlterAction::BuildIndex(index_no),
                });
                Ok(())
            }
            ast::TableConstraint::Check(check) => {
                let name = match check.name.as_ref().map(ident_name) {
                    Some(name) => name,
                    None => {
                        // PostgreSQL names it after the column when it uses exactly one.
                        let scope = super::query::table_scope(cur, &cur.name);
                        let (bound, _) = self.bind_expr(&check.expr, &scope)?;
                        let mut used = Vec::new();
                        bound.walk(&mut |e| {
                            if let crate::sql::expr::Expr::Column(c) = e
                                && !used.contains(c)
                            {
                                used.push(*c);
                            }
                        });
                        match used.as_slice() {
                            [c] => match cur.columns.get(*c) {
                                Some(c) => format!("{table_name}_{}_check", c.name),
                                None => format!("{table_name}_check"),
                            },
                            _ => format!("{table_name}_check"),
                        }
                    }
                };
                self.bind_add_check(cur, name, &check.expr, steps)
            }
            ast::TableConstraint::ForeignKey(fk) => {
                let columns: Vec<String> = fk.columns.iter().map(ident_name).collect();
                let bound = self.bind_foreign_key(cur, &columns, fk)?;
                if cur.foreign_keys.iter().any(|f| f.name == bound.name)
                    || cur.checks.iter().any(|c| c.name == bound.name)
                {
                    return Err(SqlError::new(
                        sqlstate::DUPLICATE_OBJECT,
                        format!(
                            "constraint \"{}\" for relation \"{table_name}\" already exists",
                            bound.name
                        ),
                    ));
                }
                let name = bound.name.clone();
                cur.foreign_keys.push(bound);
                steps.push(AlterStep {
                    after: cur.clone(),
                    action: AlterAction::ValidateForeignKey(name),
                });
                Ok(())
            }
            other => Err(SqlError::unsupported(format!("table constraint {other}"))),
        }
    }

    /// 2BP01 if another table's foreign key references column `position` of `table`.
    fn refuse_dropping_referenced(
        &mut self,
        table: &TableDef,
        position: usize,
    ) -> Result<(), SqlError> {
        for child_name in catalog::referencing_tables(self.txn, table.id)? {
            if child_name == table.name {
                continue;
            }
            let Some(child) = catalog::get_table(self.txn, &child_name)? else { continue };
            for fk in &child.foreign_keys {
                if fk.referenced_id == table.id && fk.referenced_columns.contains(&position) {
                    let column =
                        table.columns.get(position).map(|c| c.name.as_str()).unwrap_or_default();
                    return Err(SqlError::new(
                        sqlstate::DEPENDENT_OBJECTS_STILL_EXIST,
                        format!(
                            "cannot drop column {column} of table {} because other objects depend on it",
                            table.name
                        ),
                    )
                    .with_detail(format!(
                        "constraint {} on table {} depends on column {column} of table {}",
                        fk.name, child.name, table.name
                    ))
                    .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
                }
            }
        }
        Ok(())
    }

    fn bind_add_check(
        &mut self,
        cur: &mut TableDef,
        name: String,
        expr: &ast::Expr,
        steps: &mut Vec<AlterStep>,
    ) -> Result<(), SqlError> {
        if cur.checks.iter().any(|c| c.name == name) {
            return Err(SqlError::new(
                sqlstate::DUPLICATE_OBJECT,
                format!("constraint \"{name}\" for relation \"{}\" already exists", cur.name),
            ));
        }
        let scope = super::query::table_scope(cur, &cur.name);
        let (check, _) = self.bind_expr(expr, &scope)?;
        cur.checks.push(CheckDef { name: name.clone(), expr: expr.to_string() });
        steps.push(AlterStep {
            after: cur.clone(),
            action: AlterAction::ValidateCheck { name, check },
        });
        Ok(())
    }

    pub(super) fn bind_create_index(
        &mut self,
        create: &ast::CreateIndex,
    ) -> Result<Plan, SqlError> {
        if create.predicate.is_some() {
            return Err(SqlError::unsupported("partial indexes are not supported yet"));
        }
        if !create.include.is_empty() {
            return Err(SqlError::unsupported("INCLUDE columns are not supported yet"));
        }
        let table_name = self.relation_key(&create.table_name)?;
        let table = catalog::require_table(self.txn, &table_name)?;
        let columns =
            self.constraint_columns(&table, create.columns.iter().map(|c| &c.column.expr))?;
        let name = match &create.name {
            // An index lives in its table's schema.
            Some(name) => {
                let bare = object_name(name)?;
                format!("{}{bare}", super::names::schema_prefix(&table_name, self.txn)?)
            }
            None => {
                let names: Vec<&str> = columns
                    .iter()
                    .filter_map(|&c| table.columns.get(c))
                    .map(|c| c.name.as_str())
                    .collect();
                let base = format!("{table_name}_{}_idx", names.join("_"));
                let mut candidate = base.clone();
                let mut n = 0;
                while relation_name_taken(self.txn, &candidate)? {
                    n += 1;
                    candidate = format!("{base}{n}");
                }
                candidate
            }
        };
        let index = IndexDef { name, columns, index_no: 0, unique: create.unique };
        Ok(Plan::CreateIndex { table, index, if_not_exists: create.if_not_exists })
    }
}
