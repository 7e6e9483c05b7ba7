//! Binding of window function calls (`f(...) OVER (...)`, `OVER w` with `WINDOW w AS`).
//! They may appear only in a SELECT's projection and ORDER BY: there the binder collects
//! them, and each call becomes a column appended after the rows entering the window step
//! (first numbered from [`WINDOW_COLUMN_BASE`], renumbered once that row's width is known).
//! Elsewhere they are an error naming the clause, as in PostgreSQL.
//!
//! Depends on: `binder::expr` (arguments, aggregate typing), `sql::plan`.

use super::expr::{AggregateContext, aggregate_function, aggregate_result_type};
use super::query::common_type;
use super::{Binder, Scope, ident_name};
use crate::sql::error::{SqlError, sqlstate};
use crate::sql::expr::Expr;
use crate::sql::plan::{
    Aggregate, FrameBound, FrameUnits, SortKey, WindowFrame, WindowFunction,
    WindowFunctionKind as K,
};
use crate::sql::types::DataType;
use sqlparser::ast;

/// Column numbers from here on stand for window results until the query is bound.
pub const WINDOW_COLUMN_BASE: usize = usize::MAX / 2;

/// Whether window functions may be used where the binder is.
pub enum WindowState {
    /// Not here: the clause named in the error (`WHERE`, `HAVING`, ...).
    Forbidden(&'static str),
    /// In a projection or ORDER BY: calls are collected.
    Collecting(WindowCollector),
}

impl Default for WindowState {
    fn default() -> Self {
        WindowState::Forbidden("this context")
    }
}

/// The window calls of one SELECT, and its named windows.
#[derive(Default)]
pub struct WindowCollector {
    pub functions: Vec<WindowFunction>,
    named: Vec<(String, ast::WindowSpec)>,
}

impl WindowCollector {
    /// A collector knowing the SELECT's `WINDOW name AS (...)` definitions.
    pub fn new(definitions: &[ast::NamedWindowDefinition]) -> Result<Self, SqlError> {
        let mut collector = WindowCollector::default();
        for ast::NamedWindowDefinition(name, expr) in definitions {
            let name = ident_name(name);
            if collector.named.iter().any(|(n, _)| *n == name) {
                return Err(SqlError::new(
                    sqlstate::WINDOWING_ERROR,
                    format!("window \"{name}\" is already defined"),
                ));
            }
            let spec = match expr {
                ast::NamedWindowExpr::WindowSpec(spec) => collector.resolve(spec)?,
                ast::NamedWindowExpr::NamedWindow(other) => collector.named_spec(other)?,
            };
            collector.named.push((name, spec));
        }
        Ok(collector)
    }

    fn named_spec(&self, name: &ast::Ident) -> Result<ast::WindowSpec, SqlError> {
        let name = ident_name(name);
        self.named.iter().find(|(n, _)| *n == name).map(|(_, s)| s.clone()).ok_or_else(|| {
            SqlError::new(sqlstate::UNDEFINED_OBJECT, format!("window \"{name}\" does not exist"))
        })
    }

    /// A window specification with the window it names (`OVER (w ORDER BY x)`) merged in.
    fn resolve(&self, spec: &ast::WindowSpec) -> Result<ast::WindowSpec, SqlError> {
        let Some(base_name) = &spec.window_name else { return Ok(spec.clone()) };
        let base = self.named_spec(base_name)?;
        let name = ident_name(base_name);
        if !spec.partition_by.is_empty() {
            return Err(SqlError::new(
                sqlstate::WINDOWING_ERROR,
                format!("cannot override PARTITION BY clause of window \"{name}\""),
            ));
        }
        if !spec.order_by.is_empty() && !base.order_by.is_empty() {
            return Err(SqlError::new(
                sqlstate::WINDOWING_ERROR,
                format!("cannot override ORDER BY clause of window \"{name}\""),
            ));
        }
        if base.window_frame.is_some() {
            return Err(SqlError::new(
                sqlstate::WINDOWING_ERROR,
                format!("cannot copy window \"{name}\" because it has a frame clause"),
            ));
        }
        Ok(ast::WindowSpec {
            window_name: None,
            partition_by: base.partition_by,
            order_by: if spec.order_by.is_empty() { base.order_by } else { spec.order_by.clone() },
            window_frame: spec.window_frame.clone(),
        })
    }
}

/// Functions that exist only as window functions.
pub fn is_window_function(name: &str) -> bool {
    matches!(
        name,
        "row_number"
            | "rank"
            | "dense_rank"
            | "percent_rank"
            | "cume_dist"
            | "ntile"
            | "lag"
            | "lead"
            | "first_value"
            | "last_value"
            | "nth_value"
    )
}

/// One window function call as written.
pub struct WindowCall<'c> {
    pub name: &'c str,
    pub args: &'c [&'c ast::Expr],
    pub star: bool,
    pub distinct: bool,
    pub order_by: &'c [ast::OrderByExpr],
    pub function: &'c ast::Function,
    pub over: &'c ast::WindowType,
}

impl Binder<'_> {
    /// Replaces the window state (returning the previous one).
    pub(super) fn set_windows(&mut self, state: WindowState) -> WindowState {
        std::mem::replace(&mut self.windows, state)
    }

    /// The collected window calls, leaving window functions forbidden in `clause`.
    pub(super) fn take_windows(&mut self, clause: &'static str) -> WindowCollector {
        match self.set_windows(WindowState::Forbidden(clause)) {
            WindowState::Collecting(collector) => collector,
            WindowState::Forbidden(_) => WindowCollector::default(),
        }
    }

    /// A window function call: arguments, PARTITION BY and ORDER BY bind like the
    /// projection (over group rows when the query groups); the call becomes a column.
    pub(super) fn bind_window_call(
        &mut self,
        call: &WindowCall,
        scope: &Scope,
        agg: Option<&mut AggregateContext>,
    ) -> Result<(Expr, DataType), SqlError> {
        let mut collector = match self.set_windows(WindowState::Forbidden("nested")) {
            WindowState::Collecting(collector) => collector,
            WindowState::Forbidden(clause) => {
                self.windows = WindowState::Forbidden(clause);
                return Err(match clause {
                    "nested" => SqlError::new(
                        sqlstate::WINDOWING_ERROR,
                        "window function calls cannot be nested",
                    ),
                    "aggregate" => SqlError::new(
                        sqlstate::GROUPING_ERROR,
                        "aggregate function calls cannot contain window function calls",
                    ),
                    clause => SqlError::new(
                        sqlstate::WINDOWING_ERROR,
                        format!("window functions are not allowed in {clause}"),
                    ),
                });
            }
        };
        let bound = self.bind_window_parts(&collector, call, scope, agg);
        let result = bound.map(|function| {
            let ty = function.result_type.clone();
            collector.functions.push(function);
            (Expr::Column(WINDOW_COLUMN_BASE + collector.functions.len() - 1), ty)
        });
        self.windows = WindowState::Collecting(collector);
        result
    }

    fn bind_window_parts(
        &mut self,
        collector: &WindowCollector,
        call: &WindowCall,
        scope: &Scope,
        mut agg: Option<&mut AggregateContext>,
    ) -> Result<WindowFunction, SqlError> {
        let spec = match call.over {
            ast::WindowType::WindowSpec(spec) => collector.resolve(spec)?,
            ast::WindowType::NamedWindow(name) => collector.named_spec(name)?,
        };
        let name = call.name;
        let aggregate = aggregate_function(name, call.star);
        if aggregate.is_none() && !is_window_function(name) {
            return Err(SqlError::new(
                sqlstate::WRONG_OBJECT_TYPE,
                format!(
                    "OVER specified, but {name} is not a window function nor an aggregate function"
                ),
            ));
        }
        if call.distinct {
            return Err(SqlError::unsupported("DISTINCT is not implemented for window functions"));
        }
        if !call.order_by.is_empty() {
            return Err(SqlError::unsupported(
                "aggregate ORDER BY is not implemented for window functions",
            ));
        }
        if aggregate.is_none() && call.function.filter.is_some() {
            return Err(SqlError::unsupported(
                "FILTER is not implemented for non-aggregate window functions",
            ));
        }
        let mut args = Vec::with_capacity(call.args.len());
        let mut types = Vec::with_capacity(call.args.len());
        for (i, arg) in call.args.iter().enumerate() {
            let (expr, mut ty) = self.bind_expr_in(arg, scope, agg.as_deref_mut())?;
            // Untyped parameters: counts and offsets are integers, lag/lead defaults take
            // the value's type.
            if let Expr::Param(index) = expr {
                let expected = match (name, i) {
                    ("ntile", 0) | ("lag" | "lead" | "nth_value", 1) => Some(DataType::Int4),
                    ("lag" | "lead", 2) => types.first().cloned(),
                    _ => None,
                };
                if let Some(expected) = expected {
                    self.infer_param(index, &expected);
                }
                ty = self.params.get(index).cloned().flatten().unwrap_or(DataType::Unknown);
            }
            args.push(expr);
            types.push(ty);
        }
        let in_args = self.set_windows(WindowState::Forbidden("window definitions"));
        let definition = self.bind_window_definition(&spec, scope, agg.as_deref_mut());
        self.windows = in_args;
        let (partition_by, order_by, frame) = definition?;
        let no_such_function = |types: &[DataType]| {
            let list: Vec<String> = types.iter().map(|t| t.display_name()).collect();
            SqlError::new(
                sqlstate::UNDEFINED_FUNCTION,
                format!("function {name}({}) does not exist", list.join(", ")),
            )
            .with_hint(
                "No function matches the given name and argument types. You might need to add explicit type casts.",
            )
        };
        let integer = |t: Option<&DataType>| {
            matches!(t, Some(DataType::Int2 | DataType::Int4 | DataType::Unknown))
        };
        let value_type = |t: Option<&DataType>| match t {
            Some(DataType::Unknown) | None => DataType::Text,
            Some(t) => t.clone(),
        };
        let (kind, result_type) = match (aggregate, name) {
            (Some(function), _) => {
                let result_type = aggregate_result_type(function, name, &types)?;
                let filter = match &call.function.filter {
                    Some(f) => Some(self.bind_expr_in(f, scope, agg)?.0),
                    None => None,
                };
                let aggregate = Aggregate {
                    function,
                    args: std::mem::take(&mut args),
                    distinct: false,
                    filter,
                    order_by: Vec::new(),
                    result_type: result_type.clone(),
                };
                (K::Aggregate(aggregate), result_type)
            }
            (None, "row_number" | "rank" | "dense_rank" | "percent_rank" | "cume_dist") => {
                if !args.is_empty() {
                    return Err(no_such_function(&types));
                }
                let kind = match name {
                    "row_number" => K::RowNumber,
                    "rank" => K::Rank,
                    "dense_rank" => K::DenseRank,
                    "percent_rank" => K::PercentRank,
                    _ => K::CumeDist,
                };
                let ty = if matches!(kind, K::PercentRank | K::CumeDist) {
                    DataType::Float8
                } else {
                    DataType::Int8
                };
                (kind, ty)
            }
            (None, "ntile") => {
                if args.len() != 1 || !integer(types.first()) {
                    return Err(no_such_function(&types));
                }
                (K::Ntile, DataType::Int4)
            }
            (None, "lag" | "lead") => {
                if args.is_empty() || args.len() > 3 || (args.len() > 1 && !integer(types.get(1))) {
                    return Err(no_such_function(&types));
                }
                let mut ty = value_type(types.first());
                if let Some(default_ty) = types.get(2) {
                    let first = types.first().cloned().unwrap_or(DataType::Unknown);
                    ty = match common_type(&first, default_ty) {
                        Some(DataType::Unknown) => DataType::Text,
                        Some(t) => t,
                        None => return Err(no_such_function(&types)),
                    };
                    for (i, t) in [(0, &first), (2, default_ty)] {
                        if *t != ty
                            && let Some(slot) = args.get_mut(i)
                        {
                            let expr = std::mem::replace(slot, Expr::Default);
                            *slot = Expr::Cast { expr: Box::new(expr), to: ty.clone() };
                        }
                    }
                }
                (if name == "lag" { K::Lag } else { K::Lead }, ty)
            }
            (None, "first_value" | "last_value") => {
                if args.len() != 1 {
                    return Err(no_such_function(&types));
                }
                let kind = if name == "first_value" { K::FirstValue } else { K::LastValue };
                (kind, value_type(types.first()))
            }
            (None, _) => {
                if args.len() != 2 || !integer(types.get(1)) {
                    return Err(no_such_function(&types));
                }
                (K::NthValue, value_type(types.first()))
            }
        };
        Ok(WindowFunction { kind, args, partition_by, order_by, frame, result_type })
    }

    /// PARTITION BY, ORDER BY and the frame of a window.
    fn bind_window_definition(
        &mut self,
        spec: &ast::WindowSpec,
        scope: &Scope,
        mut agg: Option<&mut AggregateContext>,
    ) -> Result<(Vec<Expr>, Vec<SortKey>, WindowFrame), SqlError> {
        let mut partition_by = Vec::with_capacity(spec.partition_by.len());
        for e in &spec.partition_by {
            partition_by.push(self.bind_expr_in(e, scope, agg.as_deref_mut())?.0);
        }
        let mut order_by = Vec::with_capacity(spec.order_by.len());
        let mut order_types = Vec::with_capacity(spec.order_by.len());
        for item in &spec.order_by {
            let descending = matches!(item.options.sort, Some(ast::OrderBySort::Desc));
            let nulls_first = item.options.nulls_first.unwrap_or(descending);
            let (expr, ty) = self.bind_expr_in(&item.expr, scope, agg.as_deref_mut())?;
            order_by.push(SortKey { expr, descending, nulls_first });
            order_types.push(ty);
        }
        let frame = match &spec.window_frame {
            Some(frame) => self.bind_frame(frame, &order_types)?,
            None if order_by.is_empty() => WindowFrame {
                units: FrameUnits::Range,
                start: FrameBound::UnboundedPreceding,
                end: FrameBound::UnboundedFollowing,
            },
            None => WindowFrame::default(),
        };
        Ok((partition_by, order_by, frame))
    }

    fn bind_frame(
        &mut self,
        frame: &ast::WindowFrame,
        order_types: &[DataType],
    ) -> Result<WindowFrame, SqlError> {
        let units = match frame.units {
            ast::WindowFrameUnits::Rows => FrameUnits::Rows,
            ast::WindowFrameUnits::Range => FrameUnits::Range,
            ast::WindowFrameUnits::Groups => FrameUnits::Groups,
        };
        let windowing =
            |message: &str| SqlError::new(sqlstate::WINDOWING_ERROR, message.to_string());
        let ordered = !order_types.is_empty();
        let start = self.bind_frame_bound(&frame.start_bound, units, order_types)?;
        let end = match &frame.end_bound {
            Some(bound) => self.bind_frame_bound(bound, units, order_types)?,
            None => FrameBound::CurrentRow,
        };
        match (&start, &end) {
            (FrameBound::UnboundedFollowing, _) => {
                return Err(windowing("frame start cannot be UNBOUNDED FOLLOWING"));
            }
            (_, FrameBound::UnboundedPreceding) => {
                return Err(windowing("frame end cannot be UNBOUNDED PRECEDING"));
            }
            (FrameBound::CurrentRow, FrameBound::Preceding(_)) => {
                return Err(windowing(
                    "frame starting from current row cannot have preceding rows",
                ));
            }
            (FrameBound::Following(_), FrameBound::Preceding(_) | FrameBound::CurrentRow) => {
                return Err(windowing(
                    "frame starting from following row cannot have preceding rows",
                ));
            }
            _ => {}
        }
        if units == FrameUnits::Groups && !ordered {
            return Err(windowing("GROUPS mode requires an ORDER BY clause"));
        }
        Ok(WindowFrame { units, start, end })
    }

    fn bind_frame_bound(
        &mut self,
        bound: &ast::WindowFrameBound,
        units: FrameUnits,
        order_types: &[DataType],
    ) -> Result<FrameBound, SqlError> {
        let what = match units {
            FrameUnits::Rows => "ROWS",
            FrameUnits::Range => "RANGE",
            FrameUnits::Groups => "GROUPS",
        };
        let mut offset = |e: &ast::Expr| -> Result<Expr, SqlError> {
            // ROWS and GROUPS count (bigint); RANGE measures a distance in the ORDER BY
            // column's terms (the column's type for numbers, interval for dates and times).
            let expected = match units {
                FrameUnits::Range => range_offset_type(order_types)?,
                _ => DataType::Int8,
            };
            let (expr, ty) =
                self.bind_expr_expecting(e, &Scope::default(), &expected).map_err(|err| {
                    if err.code == sqlstate::UNDEFINED_COLUMN
                        || err.code == sqlstate::UNDEFINED_TABLE
                    {
                        SqlError::new(
                            sqlstate::INVALID_COLUMN_REFERENCE,
                            format!("argument of {what} must not contain variables"),
                        )
                    } else {
                        err
                    }
                })?;
            let fits = match (&expected, &ty) {
                (_, DataType::Unknown) => true,
                (DataType::Interval, t) => *t == DataType::Interval,
                (DataType::Int8, t) => {
                    matches!(t, DataType::Int2 | DataType::Int4 | DataType::Int8)
                }
                (_, t) => t.is_numeric(),
            };
            if !fits {
                return Err(if units == FrameUnits::Range {
                    SqlError::unsupported(format!(
                        "RANGE with offset PRECEDING/FOLLOWING is not supported for column type {} and offset type {}",
                        order_types.first().map(DataType::display_name).unwrap_or_default(),
                        ty.display_name()
                    ))
                } else {
                    SqlError::new(
                        sqlstate::DATATYPE_MISMATCH,
                        format!(
                            "argument of {what} must be type bigint, not type {}",
                            ty.display_name()
                        ),
                    )
                });
            }
            Ok(Expr::Cast { expr: Box::new(expr), to: expected })
        };
        Ok(match bound {
            ast::WindowFrameBound::CurrentRow => FrameBound::CurrentRow,
            ast::WindowFrameBound::Preceding(None) => FrameBound::UnboundedPreceding,
            ast::WindowFrameBound::Following(None) => FrameBound::UnboundedFollowing,
            ast::WindowFrameBound::Preceding(Some(e)) => FrameBound::Preceding(offset(e)?),
            ast::WindowFrameBound::Following(Some(e)) => FrameBound::Following(offset(e)?),
        })
    }
}

/// The type of a RANGE frame offset over an ORDER BY column of type `order_types[0]`.
fn range_offset_type(order_types: &[DataType]) -> Result<DataType, SqlError> {
    let [column] = order_types else {
        return Err(SqlError::new(
            sqlstate::WINDOWING_ERROR,
            "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column",
        ));
    };
    Ok(match column {
        DataType::Numeric { .. } => DataType::Numeric { precision: None, scale: None },
        t if t.is_numeric() => t.clone(),
        DataType::Date | DataType::Timestamp | DataType::Timestamptz | DataType::Interval => {
            DataType::Interval
        }
        other => {
            return Err(SqlError::unsupported(format!(
                "RANGE with offset PRECEDING/FOLLOWING is not supported for column type {}",
                other.display_name()
            )));
        }
    })
}
