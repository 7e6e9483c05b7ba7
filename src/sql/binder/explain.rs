//! Binding of EXPLAIN: the options (the legacy `EXPLAIN ANALYZE VERBOSE` form and
//! PostgreSQL's parenthesised list, e.g. `(ANALYZE, COSTS OFF, TIMING OFF, FORMAT TEXT)`)
//! and the statement described, which must be a SELECT / VALUES / WITH query or an INSERT,
//! UPDATE or DELETE.

use super::Binder;
use super::statement::bind_statement;
use crate::sql::error::{SqlError, sqlstate};
use crate::sql::plan::{ExplainPlan, Plan};
use sqlparser::ast;

impl Binder<'_> {
    /// Binds `EXPLAIN [ANALYZE] [VERBOSE] statement` / `EXPLAIN (options) statement`.
    pub fn bind_explain(
        &mut self,
        analyze: bool,
        verbose: bool,
        format: Option<&ast::AnalyzeFormatKind>,
        options: Option<&[ast::UtilityOption]>,
        statement: &ast::Statement,
    ) -> Result<Plan, SqlError> {
        let mut explain = Options { analyze, verbose, timing: None, summary: None };
        if let Some(kind) = format {
            let (ast::AnalyzeFormatKind::Keyword(format)
            | ast::AnalyzeFormatKind::Assignment(format)) = kind;
            check_format(&format.to_string())?;
        }
        for option in options.unwrap_or_default() {
            explain.apply(option)?;
        }
        if explain.timing == Some(true) && !explain.analyze {
            return Err(SqlError::new(
                sqlstate::INVALID_PARAMETER_VALUE,
                "EXPLAIN option TIMING requires ANALYZE",
            ));
        }
        let explainable = matches!(
            statement,
            ast::Statement::Query(_)
                | ast::Statement::Insert(_)
                | ast::Statement::Update(_)
                | ast::Statement::Delete(_)
        );
        if !explainable {
            return Err(SqlError::unsupported(
                "EXPLAIN of this statement (only SELECT, VALUES, INSERT, UPDATE and DELETE)",
            ));
        }
        let started = std::time::Instant::now();
        let plan = bind_statement(self, statement)?;
        if !matches!(plan, Plan::Select(_) | Plan::Insert(_) | Plan::Update(_) | Plan::Delete(_)) {
            return Err(SqlError::unsupported("EXPLAIN of this statement"));
        }
        Ok(Plan::Explain(Box::new(ExplainPlan {
            statement: plan,
            analyze: explain.analyze,
            verbose: explain.verbose,
            timing: explain.analyze && explain.timing.unwrap_or(true),
            summary: explain.summary.unwrap_or(explain.analyze),
            planning: started.elapsed(),
        })))
    }
}

/// The options as given.
struct Options {
    analyze: bool,
    verbose: bool,
    timing: Option<bool>,
    summary: Option<bool>,
}

impl Options {
    fn apply(&mut self, option: &ast::UtilityOption) -> Result<(), SqlError> {
        let name = option.name.value.to_lowercase();
        match name.as_str() {
            "analyze" | "analyse" => self.analyze = flag(&name, option.arg.as_ref())?,
            "verbose" => self.verbose = flag(&name, option.arg.as_ref())?,
            "timing" => self.timing = Some(flag(&name, option.arg.as_ref())?),
            "summary" => self.summary = Some(flag(&name, option.arg.as_ref())?),
            // Accepted: there are no costs, buffers, WAL or planner settings to show.
            "costs" | "buffers" | "settings" | "wal" | "generic_plan" => {
                flag(&name, option.arg.as_ref())?;
            }
            "format" => {
                let format = match &option.arg {
                    Some(ast::Expr::Identifier(ident)) => ident.value.clone(),
                    Some(other) => other.to_string(),
                    None => String::new(),
                };
                check_format(&format)?;
            }
            _ => {
                let shown = super::ident_name(&option.name);
                return Err(SqlError::syntax(format!("unrecognized EXPLAIN option \"{shown}\"")));
            }
        }
        Ok(())
    }
}

/// A boolean option value: none (true), TRUE/FALSE, ON/OFF, 1/0.
fn flag(name: &str, arg: Option<&ast::Expr>) -> Result<bool, SqlError> {
    let Some(arg) = arg else { return Ok(true) };
    let text = match arg {
        ast::Expr::Identifier(ident) => ident.value.to_lowercase(),
        ast::Expr::Value(value) => match &value.value {
            ast::Value::Boolean(b) => return Ok(*b),
            ast::Value::SingleQuotedString(s) => s.to_lowercase(),
            other => other.to_string().to_lowercase(),
        },
        other => other.to_string().to_lowercase(),
    };
    match text.as_str() {
        "true" | "on" | "1" | "yes" => Ok(true),
        "false" | "off" | "0" | "no" => Ok(false),
        _ => Err(SqlError::new(
            sqlstate::INVALID_PARAMETER_VALUE,
            format!("{name} requires a Boolean value"),
        )),
    }
}

/// Only the text format is produced.
fn check_format(format: &str) -> Result<(), SqlError> {
    match format.to_lowercase().as_str() {
        "text" | "" => Ok(()),
        "xml" | "json" | "yaml" => Err(SqlError::unsupported(format!(
            "EXPLAIN (FORMAT {}) is not supported; use FORMAT TEXT",
            format.to_uppercase()
        ))),
        _ => Err(SqlError::new(
            sqlstate::INVALID_PARAMETER_VALUE,
            format!("unrecognized value for EXPLAIN option \"format\": \"{format}\""),
        )),
    }
}
