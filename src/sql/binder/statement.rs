//! Binding of whole statements: dispatch by kind, DML (INSERT/UPDATE/DELETE with RETURNING and
//! ON CONFLICT), transaction control, SET/SHOW/RESET, PREPARE/EXECUTE/DEALLOCATE and COPY.

use super::query::{choose_access, table_scope};
use super::{Binder, Scope, ScopeColumn, ident_name, object_name};
use crate::sql::catalog::{self, TableDef};
use crate::sql::error::{SqlError, sqlstate};
use crate::sql::expr::Expr;
use crate::sql::parser;
use crate::sql::plan::{Access, CopyOptions, DeletePlan, InsertPlan, OnConflict, Plan, UpdatePlan};
use crate::sql::session::{Column, CopyFormat};
use crate::sql::types::DataType;
use crate::txn::IsolationLevel;
use sqlparser::ast;
use std::sync::Arc;

/// Binds one statement.
pub fn bind_statement(
    binder: &mut Binder<'_>,
    statement: &ast::Statement,
) -> Result<Plan, SqlError> {
    use ast::Statement as S;
    match statement {
        S::Query(query) => match (query.body.as_ref(), &query.with) {
            // WITH ... INSERT / UPDATE / DELETE: the statement sees the WITH queries.
            (
                ast::SetExpr::Insert(inner)
                | ast::SetExpr::Update(inner)
                | ast::SetExpr::Delete(inner),
                Some(with),
            ) => {
                let frame = binder.ctes.len();
                let plan = binder.bind_with(with).and_then(|()| bind_statement(binder, inner));
                binder.ctes.truncate(frame);
                plan
            }
            _ => Ok(Plan::Select(binder.bind_query(query)?)),
        },
        S::Explain { analyze, verbose, format, options, statement, .. } => {
            binder.bind_explain(*analyze, *verbose, format.as_ref(), options.as_deref(), statement)
        }
        S::Insert(insert) => binder.bind_insert(insert),
        S::Update(update) => binder.bind_update(update),
        S::Delete(delete) => binder.bind_delete(delete),
        S::CreateTable(create) => binder.bind_create_table(create),
        S::Drop { object_type, if_exists, names, cascade, .. } => {
            binder.bind_drop(object_type, *if_exists, names, *cascade)
        }
        S::CreateSequence { name, if_not_exists, sequence_options, temporary } => {
            if *temporary {
                return Err(SqlError::unsupported("temporary sequences are not supported yet"));
            }
            binder.bind_create_sequence(name, *if_not_exists, sequence_options)
        }
        S::CreateView(create) => binder.bind_create_view(create),
        S::CreateSchema { schema_name, if_not_exists, .. } => {
            let name = match schema_name {
                ast::SchemaName::Simple(name) | ast::SchemaName::NamedAuthorization(name, _) => {
                    schema_name_of(name)?
                }
                ast::SchemaName::UnnamedAuthorization(role) => ident_name(role),
            };
            Ok(Plan::CreateSchema { name, if_not_exists: *if_not_exists })
        }
        S::Truncate(truncate) => binder.bind_truncate(truncate),
        S::AlterTable(alter) => binder.bind_alter_table(alter),
        S::CreateIndex(create) => binder.bind_create_index(create),
        S::StartTransaction { modes, .. } => {
            let (isolation, read_only) = transaction_modes(modes)?;
            Ok(Plan::Begin { isolation, read_only })
        }
        S::Commit { .. } => Ok(Plan::Commit),
        S::Rollback { savepoint, .. } => Ok(match savepoint {
            Some(name) => Plan::RollbackToSavepoint(ident_name(name)),
            None => Plan::Rollback,
        }),
        S::Savepoint { name } => Ok(Plan::Savepoint(ident_name(name))),
        S::ReleaseSavepoint { name } => Ok(Plan::ReleaseSavepoint(ident_name(name))),
        S::Set(set) => bind_set(set),
        S::ShowVariable { variable } => {
            let name = variable.iter().map(ident_name).collect::<Vec<_>>().join(" ");
            match name.as_str() {
                "all" => Ok(Plan::ShowAll),
                "time zone" => Ok(Plan::Show { name: "timezone".into() }),
                "transaction isolation level" => {
                    Ok(Plan::Show { name: "transaction_isolation".into() })
                }
                _ => Ok(Plan::Show { name }),
            }
        }
        S::Prepare { name, data_types, statement } => {
            let param_types = data_types
                .iter()
                .map(|t| super::expr::convert_type(t).map(Some))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Plan::Prepare {
                name: ident_name(name),
                sql: statement.to_string(),
                statement: statement.clone(),
                param_types,
            })
        }
        S::Execute { name: Some(name), parameters, .. } => {
            let empty = Scope::default();
            let params = parameters
                .iter()
                .map(|p| binder.bind_expr(p, &empty).map(|(e, _)| e))
                .collect::<Result<_, _>>()?;
            Ok(Plan::ExecutePrepared { name: object_name(name)?, params })
        }
        S::Deallocate { name, .. } => {
            let name = ident_name(name);
            Ok(Plan::Deallocate { name: if name == "all" { None } else { Some(name) } })
        }
        S::Discard { .. } => Ok(Plan::Noop("DISCARD ALL")),
        S::Copy { source, to, target, options, legacy_options, .. } => {
            binder.bind_copy(source, *to, target, options, legacy_options)
        }
        other => Err(SqlError::unsupported(format!(
            "statement not supported yet: {}",
            other.to_string().split_whitespace().take(3).collect::<Vec<_>>().join(" ")
        ))),
    }
}

/// A schema's name (one identifier).
pub(super) fn schema_name_of(name: &ast::ObjectName) -> Result<String, SqlError> {
    match name.0.as_slice() {
        [part] => Ok(part.as_ident().map(ident_name).unwrap_or_else(|| part.to_string())),
        _ => Err(SqlError::syntax(format!(
            "improper qualified name (too many dotted names): {name}"
        ))),
    }
}

fn transaction_modes(
    modes: &[ast::TransactionMode],
) -> Result<(Option<IsolationLevel>, bool), SqlError> {
    let mut isolation = None;
    let mut read_only = false;
    for mode in modes {
        match mode {
            ast::TransactionMode::IsolationLevel(level) => {
                // READ COMMITTED and REPEATABLE READ run as the stronger snapshot isolation
                // (never weaker than asked); SERIALIZABLE is serializable.
                isolation = Some(match level {
                    ast::TransactionIsolationLevel::Serializable => IsolationLevel::Serializable,
                    _ => IsolationLevel::Snapshot,
                });
            }
            ast::TransactionMode::AccessMode(ast::TransactionAccessMode::ReadOnly) => {
                read_only = true
            }
            ast::TransactionMode::AccessMode(ast::TransactionAccessMode::ReadWrite) => {
                read_only = false
            }
        }
    }
    Ok((isolation, read_only))
}

fn bind_set(set: &ast::Set) -> Result<Plan, SqlError> {
    match set {
        ast::Set::SingleAssignment { scope, variable, values, .. } => {
            let name =
                object_name(variable).unwrap_or_else(|_| variable.to_string()).to_lowercase();
            let local = matches!(scope, Some(ast::ContextModifier::Local));
            let value = set_value(values);
            Ok(Plan::Set { name, value, local })
        }
        ast::Set::SetTimeZone { local, value } => Ok(Plan::Set {
            name: "timezone".into(),
            value: set_value(std::slice::from_ref(value)),
            local: *local,
        }),
        ast::Set::SetNames { charset_name, .. } => Ok(Plan::Set {
            name: "client_encoding".into(),
            value: Some(charset_name.value.clone()),
            local: false,
        }),
        ast::Set::SetTransaction { modes, session, .. } => {
            let (isolation, _) = transaction_modes(modes)?;
            Ok(Plan::SetIsolation {
                isolation: isolation.unwrap_or(IsolationLevel::Serializable),
                session: *session,
            })
        }
        ast::Set::SetSessionParam(_)
        | ast::Set::SetRole { .. }
        | ast::Set::SetSessionAuthorization(_) => {
            Err(SqlError::unsupported("SET ROLE / SESSION AUTHORIZATION is not supported"))
        }
        _ => Err(SqlError::unsupported("this form of SET is not supported")),
    }
}

/// The text value of `SET x = value[, value]` (`None` = DEFAULT).
fn set_value(values: &[ast::Expr]) -> Option<String> {
    let parts: Vec<String> = values
        .iter()
        .map(|v| match v {
            ast::Expr::Value(v) => match &v.value {
                ast::Value::SingleQuotedString(s) | ast::Value::DoubleQuotedString(s) => s.clone(),
                other => other.to_string(),
            },
            ast::Expr::Identifier(ident) => ident.value.clone(),
            other => other.to_string(),
        })
        .collect();
    if parts.len() == 1 && parts.first().is_some_and(|p| p.eq_ignore_ascii_case("default")) {
        return None;
    }
    Some(parts.join(", "))
}

impl Binder<'_> {
    /// The table a write names; `verb` says what the write does (`insert into`, `update`,
    /// `delete from`), for the error about writing to a view.
    fn table_for_write(
        &mut self,
        name: &ast::ObjectName,
        verb: &str,
    ) -> Result<TableDef, SqlError> {
        let table_name = self.relation_key(name)?;
        if catalog::get_view(self.txn, &table_name)?.is_some() {
            // PostgreSQL updates simple views through to their table; QuorumDB does not
            // (yet), so every view is what PostgreSQL calls not automatically updatable.
            return Err(SqlError::new(
                sqlstate::OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!("cannot {verb} view \"{}\"", self.bare_name(&table_name)?),
            )
            .with_detail("Views are not automatically updatable in QuorumDB.")
            .with_hint("Write to the view's base table instead."));
        }
        if catalog::get_sequence(self.txn, &table_name)?.is_some() {
            return Err(SqlError::new(
                sqlstate::WRONG_OBJECT_TYPE,
                format!("cannot change sequence \"{table_name}\""),
            ));
        }
        catalog::get_table(self.txn, &table_name)?.ok_or_else(|| {
            let err = SqlError::new(
                sqlstate::UNDEFINED_TABLE,
                format!("relation \"{table_name}\" does not exist"),
            );
            match name.0.first().and_then(|p| p.as_ident()) {
                Some(ident) => self.at(err, ident.span),
                None => err,
            }
        })
    }

    /// Binds the table's DEFAULT expressions and CHECK constraints.
    pub(super) fn defaults_and_checks(
        &mut self,
        table: &TableDef,
    ) -> Result<crate::sql::plan::WriteRules, SqlError> {
        let empty = Scope::default();
        let mut defaults = Vec::with_capacity(table.columns.len());
        for column in &table.columns {
            let default = match (&column.default, &column.identity) {
                (Some(text), _) => {
                    let ast = parser::parse_expression(text)?;
                    Some(self.bind_expr(&ast, &empty)?.0)
                }
                (None, Some(generated)) => {
                    let sequence = match generated {
                        catalog::Generated::AlwaysIdentity { sequence }
                        | catalog::Generated::DefaultIdentity { sequence } => sequence,
                    };
                    let ast = parser::parse_expression(&format!("nextval('{sequence}')"))?;
                    Some(self.bind_expr(&ast, &empty)?.0)
                }
                (None, None) => None,
            };
            defaults.push(default);
        }
        let scope = table_scope(table, &table.name);
        let mut checks = Vec::new();
        for check in &table.checks {
            let ast = parser::parse_expression(&check.expr)?;
            checks.push((check.name.clone(), self.bind_expr(&ast, &scope)?.0));
        }
        Ok((defaults, checks))
    }

    fn bind_returning(
        &mut self,
        returning: Option<&Vec<ast::SelectItem>>,
        table: &TableDef,
        scope: &Scope,
    ) -> Result<(Option<Vec<Expr>>, Vec<Column>), SqlError> {
        let Some(items) = returning else {
            return Ok((None, Vec::new()));
        };
        let mut exprs = Vec::new();
        let mut columns = Vec::new();
        for item in items {
            match item {
                ast::SelectItem::Wildcard(_) => {
                    for (i, column) in table.columns.iter().enumerate() {
                        exprs.push(Expr::Column(i));
                        columns.push(Column {
                            name: column.name.clone(),
                            ty: column.ty.clone(),
                            table_oid: table.oid(),
                            column_number: i16::try_from(i + 1).unwrap_or(i16::MAX),
                        });
                    }
                }
                ast::SelectItem::UnnamedExpr(e) => {
                    let (expr, ty) = self.bind_expr(e, scope)?;
                    let name = match e {
                        ast::Expr::Identifier(ident) => ident_name(ident),
                        ast::Expr::CompoundIdentifier(parts) => {
                            parts.last().map(ident_name).unwrap_or_default()
                        }
                        _ => "?column?".into(),
                    };
                    exprs.push(expr);
                    columns.push(Column::new(
                        &name,
                        if ty == DataType::Unknown { DataType::Text } else { ty },
                    ));
                }
                ast::SelectItem::ExprWithAlias { expr: e, alias } => {
                    let (expr, ty) = self.bind_expr(e, scope)?;
                    exprs.push(expr);
                    columns.push(Column::new(
                        &ident_name(alias),
                        if ty == DataType::Unknown { DataType::Text } else { ty },
                    ));
                }
                other => return Err(SqlError::unsupported(format!("RETURNING item {other}"))),
            }
        }
        Ok((Some(exprs), columns))
    }

    fn bind_insert(&mut self, insert: &ast::Insert) -> Result<Plan, SqlError> {
        let ast::TableObject::TableName(name) = &insert.table else {
            return Err(SqlError::unsupported("INSERT INTO a table function"));
        };
        let table = self.table_for_write(name, "insert into")?;
        let target_columns: Vec<usize> = if insert.columns.is_empty() {
            (0..table.columns.len()).collect()
        } else {
            let mut positions = Vec::new();
            for column in &insert.columns {
                let column_name =
                    column.0.last().and_then(|p| p.as_ident()).map(ident_name).unwrap_or_default();
                let position = table.column_index(&column_name).ok_or_else(|| {
                    SqlError::new(
                        sqlstate::UNDEFINED_COLUMN,
                        format!(
                            "column \"{column_name}\" of relation \"{}\" does not exist",
                            table.name
                        ),
                    )
                })?;
                if positions.contains(&position) {
                    return Err(SqlError::new(
                        sqlstate::DUPLICATE_COLUMN,
                        format!("column \"{column_name}\" specified more than once"),
                    ));
                }
                positions.push(position);
            }
            positions
        };
        let target_types: Vec<DataType> = target_columns
            .iter()
            .filter_map(|&i| table.columns.get(i).map(|c| c.ty.clone()))
            .collect();
        let source = match &insert.source {
            Some(query) => match query.body.as_ref() {
                ast::SetExpr::Values(values)
                    if query.order_by.is_none()
                        && query.limit_clause.is_none()
                        && query.with.is_none() =>
                {
                    self.bind_values(values, Some(&target_types))?
                }
                _ => self.bind_query(query)?,
            },
            None => {
                // INSERT ... DEFAULT VALUES
                let plan = self.default_values_row();
                return self.finish_insert(insert, table, Vec::new(), plan);
            }
        };
        if source.columns.len() > target_columns.len() {
            return Err(SqlError::syntax("INSERT has more expressions than target columns"));
        }
        if source.columns.len() < target_columns.len() && !insert.columns.is_empty() {
            return Err(SqlError::syntax("INSERT has more target columns than expressions"));
        }
        let target_columns: Vec<usize> =
            target_columns.into_iter().take(source.columns.len()).collect();
        self.finish_insert(insert, table, target_columns, source)
    }

    fn finish_insert(
        &mut self,
        insert: &ast::Insert,
        table: TableDef,
        target_columns: Vec<usize>,
        source: crate::sql::plan::SelectPlan,
    ) -> Result<Plan, SqlError> {
        let (defaults, checks) = self.defaults_and_checks(&table)?;
        let scope = table_scope(&table, &table.name);
        let on_conflict = match &insert.on {
            None => OnConflict::Error,
            Some(ast::OnInsert::OnConflict(conflict)) => match &conflict.action {
                ast::OnConflictAction::DoNothing => OnConflict::DoNothing,
                ast::OnConflictAction::DoUpdate(update) => {
                    if conflict.conflict_target.is_none() {
                        return Err(SqlError::syntax("ON CONFLICT DO UPDATE requires inference specification or constraint name")
                            .with_hint("For example, ON CONFLICT (column_name)."));
                    }
                    // Existing row columns, then EXCLUDED.* columns.
                    let mut both = scope.clone();
                    for column in &scope.columns {
                        both.columns
                            .push(ScopeColumn { table: Some("excluded".into()), ..column.clone() });
                    }
                    let mut assignments = Vec::new();
                    for assignment in &update.assignments {
                        let (position, expr) = self.bind_assignment(assignment, &table, &both)?;
                        assignments.push((position, expr));
                    }
                    reject_repeated_assignments(&table, &assignments)?;
                    let filter = match &update.selection {
                        Some(e) => Some(self.bind_expr(e, &both)?.0),
                        None => None,
                    };
                    OnConflict::DoUpdate { assignments, filter }
                }
            },
            Some(_) => return Err(SqlError::unsupported("ON DUPLICATE KEY")),
        };
        let (returning, columns) =
            self.bind_returning(insert.returning.as_ref(), &table, &scope)?;
        let always_identity = table
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| matches!(c.identity, Some(catalog::Generated::AlwaysIdentity { .. })))
            .map(|(i, _)| i)
            .collect();
        let always_identity = if matches!(insert.overriding, Some(ast::InsertOverriding::System)) {
            Vec::new()
        } else {
            always_identity
        };
        Ok(Plan::Insert(InsertPlan {
            table: Arc::new(table),
            target_columns,
            source,
            defaults,
            checks,
            on_conflict,
            returning,
            columns,
            always_identity,
        }))
    }

    fn bind_assignment(
        &mut self,
        assignment: &ast::Assignment,
        table: &TableDef,
        scope: &Scope,
    ) -> Result<(usize, Expr), SqlError> {
        let name = match &assignment.target {
            ast::AssignmentTarget::ColumnName(name) => {
                name.0.last().and_then(|p| p.as_ident()).map(ident_name).unwrap_or_default()
            }
            ast::AssignmentTarget::Tuple(_) => {
                return Err(SqlError::unsupported("tuple assignment"));
            }
        };
        let position = table.column_index(&name).ok_or_else(|| {
            SqlError::new(
                sqlstate::UNDEFINED_COLUMN,
                format!("column \"{name}\" of relation \"{}\" does not exist", table.name),
            )
        })?;
        let ty = table.columns.get(position).map(|c| c.ty.clone()).unwrap_or(DataType::Unknown);
        let is_default = matches!(&assignment.value, ast::Expr::Identifier(i) if i.quote_style.is_none() && i.value.eq_ignore_ascii_case("default"));
        let expr = if is_default {
            let (defaults, _) = self.defaults_and_checks(table)?;
            defaults
                .into_iter()
                .nth(position)
                .flatten()
                .unwrap_or(Expr::Literal(crate::sql::types::Value::Null))
        } else {
            self.bind_expr_expecting(&assignment.value, scope, &ty)?.0
        };
        Ok((position, expr))
    }

    fn single_table(
        &mut self,
        from: &ast::TableWithJoins,
        verb: &str,
    ) -> Result<(TableDef, String), SqlError> {
        if !from.joins.is_empty() {
            return Err(SqlError::unsupported("joins in UPDATE/DELETE"));
        }
        match &from.relation {
            ast::TableFactor::Table { name, alias, .. } => {
                let table = self.table_for_write(name, verb)?;
                let qualifier = match alias {
                    Some(alias) => ident_name(&alias.name),
                    None => self.bare_name(&table.name)?,
                };
                Ok((table, qualifier))
            }
            other => Err(SqlError::unsupported(format!("target {other}"))),
        }
    }

    fn bind_update(&mut self, update: &ast::Update) -> Result<Plan, SqlError> {
        if update.from.is_some() {
            return Err(SqlError::unsupported("UPDATE ... FROM is not supported yet"));
        }
        let (table, qualifier) = self.single_table(&update.table, "update")?;
        let scope = table_scope(&table, &qualifier);
        let mut assignments = Vec::new();
        for assignment in &update.assignments {
            assignments.push(self.bind_assignment(assignment, &table, &scope)?);
        }
        reject_repeated_assignments(&table, &assignments)?;
        let filter = match &update.selection {
            Some(e) => Some(self.bind_expr_expecting(e, &scope, &DataType::Bool)?.0),
            None => None,
        };
        let access = filter.as_ref().map_or(Access::Full, |f| choose_access(&table, f));
        let (_, checks) = self.defaults_and_checks(&table)?;
        let (returning, columns) =
            self.bind_returning(update.returning.as_ref(), &table, &scope)?;
        Ok(Plan::Update(UpdatePlan {
            table: Arc::new(table),
            qualifier,
            stats: Arc::default(),
            access,
            filter,
            assignments,
            checks,
            returning,
            columns,
        }))
    }

    fn bind_delete(&mut self, delete: &ast::Delete) -> Result<Plan, SqlError> {
        let tables = match &delete.from {
            ast::FromTable::WithFromKeyword(tables) | ast::FromTable::WithoutKeyword(tables) => {
                tables
            }
        };
        let [from] = tables.as_slice() else {
            return Err(SqlError::unsupported("DELETE from several tables"));
        };
        if delete.using.is_some() {
            return Err(SqlError::unsupported("DELETE ... USING is not supported yet"));
        }
        let (table, qualifier) = self.single_table(from, "delete from")?;
        let scope = table_scope(&table, &qualifier);
        let filter = match &delete.selection {
            Some(e) => Some(self.bind_expr_expecting(e, &scope, &DataType::Bool)?.0),
            None => None,
        };
        let access = filter.as_ref().map_or(Access::Full, |f| choose_access(&table, f));
        let (returning, columns) =
            self.bind_returning(delete.returning.as_ref(), &table, &scope)?;
        Ok(Plan::Delete(DeletePlan {
            table: Arc::new(table),
            qualifier,
            stats: Arc::default(),
            access,
            filter,
            returning,
            columns,
        }))
    }

    fn bind_copy(
        &mut self,
        source: &ast::CopySource,
        to: bool,
        target: &ast::CopyTarget,
        options: &[ast::CopyOption],
        legacy: &[ast::CopyLegacyOption],
    ) -> Result<Plan, SqlError> {
        let mut format = CopyFormat::Text;
        let mut delimiter = None;
        let mut null = None;
        let mut header = false;
        let mut quote = '"';
        let mut escape = None;
        for option in options {
            match option {
                ast::CopyOption::Format(ident) => {
                    format = match ident.value.to_lowercase().as_str() {
                        "text" => CopyFormat::Text,
                        "csv" => CopyFormat::Csv,
                        "binary" => CopyFormat::Binary,
                        other => {
                            return Err(SqlError::new(
                                sqlstate::INVALID_PARAMETER_VALUE,
                                format!("COPY format \"{other}\" not recognized"),
                            ));
                        }
                    }
                }
                ast::CopyOption::Delimiter(c) => delimiter = Some(*c),
                ast::CopyOption::Null(s) => null = Some(s.clone()),
                ast::CopyOption::Header(h) => header = *h,
                ast::CopyOption::Quote(c) => quote = *c,
                ast::CopyOption::Escape(c) => escape = Some(*c),
                ast::CopyOption::Freeze(_) => {}
                other => return Err(SqlError::unsupported(format!("COPY option {other}"))),
            }
        }
        for option in legacy {
            match option {
                ast::CopyLegacyOption::Binary => format = CopyFormat::Binary,
                ast::CopyLegacyOption::Csv(_) => format = CopyFormat::Csv,
                ast::CopyLegacyOption::Delimiter(c) => delimiter = Some(*c),
                ast::CopyLegacyOption::Null(s) => null = Some(s.clone()),
                other => return Err(SqlError::unsupported(format!("COPY option {other}"))),
            }
        }
        let csv = format == CopyFormat::Csv;
        let options = CopyOptions {
            delimiter: delimiter.unwrap_or(if csv { ',' } else { '\t' }),
            null: null.unwrap_or_else(|| if csv { String::new() } else { "\\N".to_string() }),
            header,
            quote,
            escape: escape.unwrap_or(quote),
        };
        if !matches!(target, ast::CopyTarget::Stdin | ast::CopyTarget::Stdout) {
            return Err(SqlError::new(
                "42501",
                "COPY to or from a file is not allowed; use COPY FROM STDIN / TO STDOUT (psql's \\copy)",
            ));
        }
        match source {
            ast::CopySource::Table { table_name, columns } => {
                let table =
                    self.table_for_write(table_name, if to { "copy from" } else { "copy to" })?;
                let positions = if columns.is_empty() {
                    (0..table.columns.len()).collect()
                } else {
                    columns
                        .iter()
                        .map(|c| {
                            let name = ident_name(c);
                            table.column_index(&name).ok_or_else(|| {
                                SqlError::new(
                                    sqlstate::UNDEFINED_COLUMN,
                                    format!(
                                        "column \"{name}\" of relation \"{}\" does not exist",
                                        table.name
                                    ),
                                )
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()?
                };
                if to {
                    let scope = table_scope(&table, &table.name);
                    let projection: Vec<Expr> =
                        positions.iter().map(|&i| Expr::Column(i)).collect();
                    let columns = positions
                        .iter()
                        .filter_map(|&i| scope.columns.get(i))
                        .map(|c| Column::new(&c.name, c.ty.clone()))
                        .collect();
                    let query = crate::sql::plan::SelectPlan::new(
                        crate::sql::plan::Source::Table {
                            table: Arc::new(table),
                            access: Access::Full,
                        },
                        projection,
                        columns,
                    );
                    Ok(Plan::CopyTo { query, format, options })
                } else {
                    Ok(Plan::CopyFrom { table, columns: positions, format, options })
                }
            }
            ast::CopySource::Query(query) => {
                if !to {
                    return Err(SqlError::syntax("COPY FROM requires a table"));
                }
                Ok(Plan::CopyTo { query: self.bind_query(query)?, format, options })
            }
        }
    }
}

/// PostgreSQL refuses `SET x = 1, x = 2` (42601 "multiple assignments to same column").
fn reject_repeated_assignments(
    table: &TableDef,
    assignments: &[(usize, crate::sql::expr::Expr)],
) -> Result<(), SqlError> {
    for (i, (position, _)) in assignments.iter().enumerate() {
        if assignments.iter().take(i).any(|(earlier, _)| earlier == position) {
            let name = table.columns.get(*position).map(|c| c.name.as_str()).unwrap_or_default();
            return Err(SqlError::syntax(format!(
                "multiple assignments to same column \"{name}\""
            )));
        }
    }
    Ok(())
}
