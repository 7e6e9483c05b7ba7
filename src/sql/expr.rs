//! Bound expressions and their evaluation: what the binder produces from AST expressions and
//! what operators evaluate per row. Three-valued logic as in SQL (NULL propagates, AND/OR
//! follow Kleene logic).
//!
//! Depends on: `sql::types`, `sql::functions`, `sql::error`.

use super::error::{SqlError, sqlstate};
use super::functions::{self, Function};
use super::plan::SelectPlan;
use super::types::{Array, BinaryOp, DataType, UnaryOp, Value, binary_op, unary_op};
use crate::txn::Transaction;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// A bound expression. Column references are positions in the input row.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Literal(Value),
    Column(usize),
    /// `$n`, 0-based.
    Param(usize),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Unary(UnaryOp, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    /// `IS [NOT] TRUE/FALSE`: never NULL.
    IsBool {
        expr: Box<Expr>,
        value: bool,
        negated: bool,
    },
    IsDistinctFrom {
        left: Box<Expr>,
        right: Box<Expr>,
        negated: bool,
    },
    Cast {
        expr: Box<Expr>,
        to: DataType,
    },
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        negated: bool,
        case_insensitive: bool,
    },
    Case {
        operand: Option<Box<Expr>>,
        branches: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
    Call {
        function: Function,
        args: Vec<Expr>,
    },
    /// The DEFAULT keyword in an INSERT VALUES list (replaced before evaluation).
    Default,
    /// A column of the enclosing query's current row (inside a correlated subquery).
    Outer(usize),
    /// `left op ANY (right)` (`all`: `op ALL`), `right` an array.
    Quantified {
        op: BinaryOp,
        all: bool,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// A subquery: scalar, EXISTS, `operand [NOT] IN (subquery)`, `operand op ANY/ALL
    /// (subquery)` or `ARRAY(subquery)`.
    Subquery {
        kind: SubqueryKind,
        subquery: Subquery,
        operand: Option<Box<Expr>>,
    },
}

/// How a subquery's rows become a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubqueryKind {
    /// `(SELECT x ...)`: NULL for no row, the value for one, 21000 for more.
    Scalar,
    /// `EXISTS (SELECT ...)`.
    Exists,
    /// `operand IN (SELECT x ...)` (`negated`: NOT IN), with SQL's NULL rules.
    In { negated: bool },
    /// `operand op ANY (SELECT x ...)` / `op ALL`.
    Quantified { op: BinaryOp, all: bool },
    /// `ARRAY(SELECT x ...)`: the values, in order, as a one-dimensional array.
    Array,
}

/// A bound subquery; it does not depend on the outer row, so it runs once per statement and
/// its rows are kept for the other rows.
#[derive(Debug, Clone)]
pub struct Subquery {
    pub plan: Arc<SelectPlan>,
    /// Whether it reads the outer row (then it runs once per outer row, not once).
    pub correlated: bool,
    rows: Arc<OnceLock<Result<Vec<Vec<Value>>, SqlError>>>,
}

impl PartialEq for Subquery {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.plan, &other.plan)
    }
}

impl Subquery {
    /// A subquery that has not run yet.
    pub fn new(plan: SelectPlan, correlated: bool) -> Self {
        Self { plan: Arc::new(plan), correlated, rows: Arc::new(OnceLock::new()) }
    }

    /// Its rows for the outer row `row`: an uncorrelated subquery runs once and keeps them.
    fn rows(&self, row: &[Value], env: &Env) -> Result<Vec<Vec<Value>>, SqlError> {
        if self.correlated {
            return self.run(row, env);
        }
        self.rows.get_or_init(|| self.run(&[], env)).clone()
    }

    /// Runs the subquery through a read view of the statement's transaction.
    fn run(&self, outer: &[Value], env: &Env) -> Result<Vec<Vec<Value>>, SqlError> {
        env.check_cancel()?;
        let view = env
            .view
            .as_ref()
            .ok_or_else(|| SqlError::unsupported("subqueries are not supported in this context"))?;
        let mut txn = view.read_view();
        let mut child = env.child();
        child.outer = outer.to_vec();
        let mut held = super::exec::Reservation::new(&env.memory, "subquery results");
        let mut rows = Vec::new();
        for row in super::exec::select(&mut txn, (*self.plan).clone(), Arc::new(child))? {
            let row = row?;
            held.grow_row(&row)?;
            rows.push(row);
        }
        if !self.correlated {
            // Kept for the rest of the statement.
            held.keep();
        }
        Ok(rows)
    }
}

/// What expression evaluation may consult besides the row: parameters, the session's
/// identity and settings, the statement's timestamp, sequences, cancellation.
pub struct Env {
    pub params: Vec<Value>,
    pub user: String,
    pub database: String,
    /// now() / CURRENT_TIMESTAMP: the transaction start time.
    pub now: chrono::DateTime<chrono::Utc>,
    pub settings: Arc<Vec<(String, String)>>,
    pub sequences: Arc<dyn SequenceSource>,
    pub cancel: Arc<AtomicBool>,
    /// Setting changes made by set_config(), applied by the session afterwards.
    pub setting_changes: parking_lot::Mutex<Vec<(String, String)>>,
    pub backend_pid: i32,
    /// When `statement_timeout` ends this statement, if set.
    pub deadline: Option<std::time::Instant>,
    /// A read view of the statement's transaction, for subqueries.
    pub view: Option<Transaction>,
    /// The enclosing query's current row, inside a correlated subquery.
    pub outer: Vec<Value>,
    /// What EXPLAIN ANALYZE measures (nothing for ordinary statements).
    pub instrument: super::exec::Instrument,
    /// The statement's work-memory budget (`work_mem`), shared with its subqueries.
    pub memory: Arc<super::exec::MemoryBudget>,
}

/// Sequence operations evaluation needs (nextval/currval/setval/lastval, and the state
/// `SELECT * FROM sequence` shows).
pub trait SequenceSource: Send + Sync {
    fn nextval(&self, name: &str) -> Result<i64, SqlError>;
    fn currval(&self, name: &str) -> Result<i64, SqlError>;
    fn setval(&self, name: &str, value: i64, is_called: bool) -> Result<i64, SqlError>;
    fn lastval(&self) -> Result<i64, SqlError>;
    fn state(
        &self,
        sequence: &super::catalog::SequenceDef,
    ) -> Result<super::database::SequenceView, SqlError>;
}

impl Env {
    /// An environment for a subquery: the same parameters, identity, settings and limits.
    pub fn child(&self) -> Env {
        Env {
            params: self.params.clone(),
            user: self.user.clone(),
            database: self.database.clone(),
            now: self.now,
            settings: self.settings.clone(),
            sequences: self.sequences.clone(),
            cancel: self.cancel.clone(),
            setting_changes: parking_lot::Mutex::new(Vec::new()),
            backend_pid: self.backend_pid,
            deadline: self.deadline,
            view: self.view.as_ref().map(Transaction::read_view),
            outer: Vec::new(),
            instrument: self.instrument,
            memory: self.memory.clone(),
        }
    }

    /// Fails with 57014 if a cancel request arrived.
    pub fn check_cancel(&self) -> Result<(), SqlError> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(SqlError::new(
                sqlstate::QUERY_CANCELED,
                "canceling statement due to user request",
            ));
        }
        if self.deadline.is_some_and(|deadline| std::time::Instant::now() >= deadline) {
            return Err(SqlError::new(
                sqlstate::QUERY_CANCELED,
                "canceling statement due to statement timeout",
            ));
        }
        Ok(())
    }

    /// The value of a setting as the session sees it.
    pub fn setting(&self, name: &str) -> Option<String> {
        let changes = self.setting_changes.lock();
        if let Some((_, v)) = changes.iter().rev().find(|(k, _)| k == name) {
            return Some(v.clone());
        }
        self.settings.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }
}

impl Expr {
    /// Evaluates against `row`.
    pub fn eval(&self, row: &[Value], env: &Env) -> Result<Value, SqlError> {
        match self {
            // The common leaves directly, without the stack check.
            Expr::Literal(value) => Ok(value.clone()),
            Expr::Column(index) => row
                .get(*index)
                .cloned()
                .ok_or_else(|| SqlError::internal(format!("column {index} out of range"))),
            _ => stacker::maybe_grow(256 * 1024, 4 * 1024 * 1024, || self.eval_node(row, env)),
        }
    }

    fn eval_node(&self, row: &[Value], env: &Env) -> Result<Value, SqlError> {
        Ok(match self {
            Expr::Literal(value) => value.clone(),
            Expr::Column(index) => row
                .get(*index)
                .cloned()
                .ok_or_else(|| SqlError::internal(format!("column {index} out of range")))?,
            Expr::Param(index) => env.params.get(*index).cloned().ok_or_else(|| {
                SqlError::new(
                    sqlstate::UNDEFINED_PARAMETER,
                    format!("there is no parameter ${}", index + 1),
                )
            })?,
            Expr::Binary(op, left, right) => {
                binary_op(*op, &left.eval(row, env)?, &right.eval(row, env)?)?
            }
            Expr::Unary(op, expr) => unary_op(*op, &expr.eval(row, env)?)?,
            Expr::And(left, right) => {
                let l = truth(&left.eval(row, env)?)?;
                if l == Some(false) {
                    return Ok(Value::Bool(false));
                }
                let r = truth(&right.eval(row, env)?)?;
                match (l, r) {
                    (_, Some(false)) => Value::Bool(false),
                    (Some(true), Some(true)) => Value::Bool(true),
                    _ => Value::Null,
                }
            }
            Expr::Or(left, right) => {
                let l = truth(&left.eval(row, env)?)?;
                if l == Some(true) {
                    return Ok(Value::Bool(true));
                }
                let r = truth(&right.eval(row, env)?)?;
                match (l, r) {
                    (_, Some(true)) => Value::Bool(true),
                    (Some(false), Some(false)) => Value::Bool(false),
                    _ => Value::Null,
                }
            }
            Expr::Not(expr) => match truth(&expr.eval(row, env)?)? {
                Some(b) => Value::Bool(!b),
                None => Value::Null,
            },
            Expr::IsNull { expr, negated } => {
                Value::Bool(expr.eval(row, env)?.is_null() != *negated)
            }
            Expr::IsBool { expr, value, negated } => {
                let is = truth(&expr.eval(row, env)?)? == Some(*value);
                Value::Bool(is != *negated)
            }
            Expr::IsDistinctFrom { left, right, negated } => {
                let l = left.eval(row, env)?;
                let r = right.eval(row, env)?;
                let distinct = match (l.is_null(), r.is_null()) {
                    (true, true) => false,
                    (true, false) | (false, true) => true,
                    (false, false) => l.sql_cmp(&r)? != Some(std::cmp::Ordering::Equal),
                };
                Value::Bool(distinct != *negated)
            }
            Expr::Cast { expr, to } => expr.eval(row, env)?.cast(to, true)?,
            Expr::InList { expr, list, negated } => {
                let value = expr.eval(row, env)?;
                if value.is_null() {
                    return Ok(Value::Null);
                }
                let mut saw_null = false;
                for item in list {
                    let candidate = item.eval(row, env)?;
                    match value.sql_cmp(&candidate)? {
                        Some(std::cmp::Ordering::Equal) => return Ok(Value::Bool(!*negated)),
                        None => saw_null = true,
                        Some(_) => {}
                    }
                }
                if saw_null { Value::Null } else { Value::Bool(*negated) }
            }
            Expr::Like { expr, pattern, negated, case_insensitive } => {
                let value = expr.eval(row, env)?;
                let pattern = pattern.eval(row, env)?;
                if value.is_null() || pattern.is_null() {
                    return Ok(Value::Null);
                }
                let (text, pattern) = (value.to_text(), pattern.to_text());
                let matched = if *case_insensitive {
                    like_match(&text.to_lowercase(), &pattern.to_lowercase())?
                } else {
                    like_match(&text, &pattern)?
                };
                Value::Bool(matched != *negated)
            }
            Expr::Case { operand, branches, otherwise } => {
                let operand = match operand {
                    Some(expr) => Some(expr.eval(row, env)?),
                    None => None,
                };
                for (when, then) in branches {
                    let hit = match &operand {
                        Some(value) => {
                            value.sql_cmp(&when.eval(row, env)?)? == Some(std::cmp::Ordering::Equal)
                        }
                        None => truth(&when.eval(row, env)?)? == Some(true),
                    };
                    if hit {
                        return then.eval(row, env);
                    }
                }
                match otherwise {
                    Some(expr) => expr.eval(row, env)?,
                    None => Value::Null,
                }
            }
            Expr::Call { function, args } => functions::call(*function, args, row, env)?,
            Expr::Default => {
                return Err(SqlError::syntax("DEFAULT is not allowed in this context"));
            }
            Expr::Outer(index) => {
                env.outer.get(*index).cloned().ok_or_else(|| {
                    SqlError::internal(format!("outer column {index} out of range"))
                })?
            }
            Expr::Subquery { kind, subquery, operand } => {
                let rows = subquery.rows(row, env)?;
                match kind {
                    SubqueryKind::Exists => Value::Bool(!rows.is_empty()),
                    SubqueryKind::Scalar => {
                        if rows.len() > 1 {
                            return Err(SqlError::new(
                                sqlstate::CARDINALITY_VIOLATION,
                                "more than one row returned by a subquery used as an expression",
                            ));
                        }
                        rows.first().and_then(|row| row.first()).cloned().unwrap_or(Value::Null)
                    }
                    SubqueryKind::In { negated } => {
                        let value = match operand {
                            Some(operand) => operand.eval(row, env)?,
                            None => Value::Null,
                        };
                        if rows.is_empty() {
                            return Ok(Value::Bool(*negated));
                        }
                        if value.is_null() {
                            return Ok(Value::Null);
                        }
                        let mut saw_null = false;
                        for candidate in rows.iter().filter_map(|r| r.first()) {
                            match value.sql_cmp(candidate)? {
                                Some(std::cmp::Ordering::Equal) => {
                                    return Ok(Value::Bool(!*negated));
                                }
                                None => saw_null = true,
                                Some(_) => {}
                            }
                        }
                        if saw_null { Value::Null } else { Value::Bool(*negated) }
                    }
                    SubqueryKind::Quantified { op, all } => {
                        let value = match operand {
                            Some(operand) => operand.eval(row, env)?,
                            None => Value::Null,
                        };
                        let candidates = rows.iter().map(|r| r.first().unwrap_or(&Value::Null));
                        quantified(*op, *all, &value, candidates)?
                    }
                    SubqueryKind::Array => {
                        let elements: Vec<Value> = rows
                            .into_iter()
                            .map(|r| r.into_iter().next().unwrap_or(Value::Null))
                            .collect();
                        let element_type =
                            elements.iter().find_map(Value::data_type).unwrap_or(DataType::Text);
                        Value::Array(Box::new(Array::new(element_type, elements)))
                    }
                }
            }
            Expr::Quantified { op, all, left, right } => {
                let value = left.eval(row, env)?;
                match right.eval(row, env)? {
                    Value::Null => Value::Null,
                    Value::Array(array) => quantified(*op, *all, &value, array.elements.iter())?,
                    other => {
                        return Err(SqlError::new(
                            sqlstate::WRONG_OBJECT_TYPE,
                            format!(
                                "op ANY/ALL (array) requires array on right side, not {}",
                                other.type_name()
                            ),
                        ));
                    }
                }
            }
        })
    }

    /// Whether the expression reads no column (may still read parameters or call functions).
    pub fn is_row_independent(&self) -> bool {
        let mut independent = true;
        self.walk(&mut |e| {
            if matches!(e, Expr::Column(_)) {
                independent = false;
            }
        });
        independent
    }

    /// Visits every node.
    pub fn walk(&self, visit: &mut dyn FnMut(&Expr)) {
        stacker::maybe_grow(256 * 1024, 4 * 1024 * 1024, || self.walk_node(visit));
    }

    fn walk_node(&self, visit: &mut dyn FnMut(&Expr)) {
        visit(self);
        match self {
            Expr::Literal(_)
            | Expr::Column(_)
            | Expr::Param(_)
            | Expr::Default
            | Expr::Outer(_) => {}
            Expr::Subquery { operand, .. } => {
                if let Some(e) = operand {
                    e.walk(visit);
                }
            }
            Expr::Binary(_, l, r)
            | Expr::And(l, r)
            | Expr::Or(l, r)
            | Expr::IsDistinctFrom { left: l, right: r, .. }
            | Expr::Quantified { left: l, right: r, .. }
            | Expr::Like { expr: l, pattern: r, .. } => {
                l.walk(visit);
                r.walk(visit);
            }
            Expr::Unary(_, e)
            | Expr::Not(e)
            | Expr::IsNull { expr: e, .. }
            | Expr::IsBool { expr: e, .. }
            | Expr::Cast { expr: e, .. } => e.walk(visit),
            Expr::InList { expr, list, .. } => {
                expr.walk(visit);
                list.iter().for_each(|e| e.walk(visit));
            }
            Expr::Case { operand, branches, otherwise } => {
                if let Some(e) = operand {
                    e.walk(visit);
                }
                for (w, t) in branches {
                    w.walk(visit);
                    t.walk(visit);
                }
                if let Some(e) = otherwise {
                    e.walk(visit);
                }
            }
            Expr::Call { args, .. } => args.iter().for_each(|e| e.walk(visit)),
        }
    }
}

/// `value op ANY/ALL (candidates)` with SQL's NULL rules: ANY is true if some comparison is
/// true, else NULL if some was NULL, else false (false for no candidates); ALL is false if
/// some comparison is false, else NULL if some was NULL, else true.
fn quantified<'a>(
    op: BinaryOp,
    all: bool,
    value: &Value,
    candidates: impl Iterator<Item = &'a Value>,
) -> Result<Value, SqlError> {
    let mut saw_null = false;
    for candidate in candidates {
        match binary_op(op, value, candidate)? {
            Value::Bool(result) if result != all => return Ok(Value::Bool(result)),
            Value::Bool(_) => {}
            _ => saw_null = true,
        }
    }
    Ok(if saw_null { Value::Null } else { Value::Bool(all) })
}

/// SQL truth of a value: `Some(bool)` or `None` for NULL; non-booleans are 42804.
pub fn truth(value: &Value) -> Result<Option<bool>, SqlError> {
    match value {
        Value::Bool(b) => Ok(Some(*b)),
        Value::Null => Ok(None),
        Value::Text(text) => match Value::parse_text(&DataType::Bool, text)? {
            Value::Bool(b) => Ok(Some(b)),
            _ => Ok(None),
        },
        other => Err(SqlError::new(
            sqlstate::DATATYPE_MISMATCH,
            format!(
                "argument of WHERE must be type boolean, not type {}",
                other.data_type().map(|t| t.display_name()).unwrap_or_default()
            ),
        )),
    }
}

/// SQL LIKE with `%`, `_` and backslash escapes.
pub fn like_match(text: &str, pattern: &str) -> Result<bool, SqlError> {
    let text: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '%' => LikeToken::Any,
            '_' => LikeToken::One,
            '\\' => match chars.next() {
                Some(escaped) => LikeToken::Char(escaped),
                None => {
                    return Err(SqlError::new(
                        sqlstate::INVALID_ESCAPE_SEQUENCE,
                        "LIKE pattern must not end with escape character",
                    ));
                }
            },
            other => LikeToken::Char(other),
        });
    }
    // Classic two-pointer wildcard matching with backtracking to the last `%`.
    let (mut t, mut p) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match tokens.get(p) {
            Some(LikeToken::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(LikeToken::One) => {
                t += 1;
                p += 1;
            }
            Some(LikeToken::Char(c)) if text.get(t) == Some(c) => {
                t += 1;
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return Ok(false),
            },
        }
    }
    Ok(tokens.get(p..).unwrap_or_default().iter().all(|tok| *tok == LikeToken::Any))
}

#[derive(Debug, PartialEq)]
enum LikeToken {
    Any,
    One,
    Char(char),
}

#[cfg(test)]
mod tests {
    use super::like_match;

    #[test]
    fn like_patterns() -> Result<(), super::SqlError> {
        assert!(like_match("hello", "h%o")?);
        assert!(like_match("hello", "h_llo")?);
        assert!(!like_match("hello", "h_lo")?);
        assert!(like_match("a%b", "a\\%b")?);
        assert!(like_match("", "%")?);
        assert!(like_match("abcabc", "%abc")?);
        assert!(!like_match("abc", "")?);
        Ok(())
    }
}
