//! Bound plans: what the binder produces and the executor runs. Plans hold resolved table
//! definitions, typed expressions and result column metadata; they no longer refer to the
//! AST.
//!
//! Depends on: `sql::expr`, `sql::catalog`, `sql::types`.

use super::catalog::{IndexDef, SequenceDef, TableDef, ViewDef};
use super::exec::{NodeStats, SelectStats};
use super::expr::Expr;
use super::session::{Column, CopyFormat};
use super::types::{DataType, Value};
use crate::txn::IsolationLevel;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

/// DEFAULT expression per column (None → NULL) and the CHECK constraints (name, condition)
/// of a table, bound for writing.
pub type WriteRules = (Vec<Option<Expr>>, Vec<(String, Expr)>);

/// A bound statement.
#[derive(Debug, Clone)]
pub enum Plan {
    Select(SelectPlan),
    Insert(InsertPlan),
    Update(UpdatePlan),
    Delete(DeletePlan),
    CreateTable {
        table: TableDef,
        sequences: Vec<SequenceDef>,
        if_not_exists: bool,
    },
    DropTables {
        names: Vec<String>,
        if_exists: bool,
        cascade: bool,
    },
    CreateSequence {
        sequence: SequenceDef,
        if_not_exists: bool,
    },
    /// ALTER SEQUENCE, bound when it runs (it arrives as a special statement).
    AlterSequence(Box<super::parser::AlterSequence>),
    DropSequences {
        names: Vec<String>,
        if_exists: bool,
        cascade: bool,
    },
    CreateView {
        view: ViewDef,
        or_replace: bool,
    },
    CreateSchema {
        name: String,
        if_not_exists: bool,
    },
    DropSchemas {
        names: Vec<String>,
        if_exists: bool,
        cascade: bool,
    },
    DropViews {
        names: Vec<String>,
        if_exists: bool,
        cascade: bool,
    },
    /// TRUNCATE: `tables`, then with CASCADE the tables that reference them (`cascaded`
    /// counts those, at the end of `tables`).
    Truncate {
        tables: Vec<TableDef>,
        cascaded: usize,
    },
    /// ALTER TABLE: the table as it was, then one step per operation, in order.
    AlterTable {
        table: TableDef,
        steps: Vec<AlterStep>,
    },
    CreateIndex {
        table: TableDef,
        index: IndexDef,
        if_not_exists: bool,
    },
    DropIndex {
        names: Vec<String>,
        if_exists: bool,
    },
    Begin {
        isolation: Option<IsolationLevel>,
        read_only: bool,
    },
    Commit,
    Rollback,
    Savepoint(String),
    ReleaseSavepoint(String),
    RollbackToSavepoint(String),
    /// `SET name = value` (`None` = DEFAULT); `local` = SET LOCAL.
    Set {
        name: String,
        value: Option<String>,
        local: bool,
    },
    Show {
        name: String,
    },
    ShowAll,
    Reset {
        name: Option<String>,
    },
    /// SET TRANSACTION / SET SESSION CHARACTERISTICS: isolation for later transactions.
    SetIsolation {
        isolation: IsolationLevel,
        session: bool,
    },
    Prepare {
        name: String,
        sql: String,
        statement: Box<sqlparser::ast::Statement>,
        param_types: Vec<Option<DataType>>,
    },
    ExecutePrepared {
        name: String,
        params: Vec<Expr>,
    },
    Deallocate {
        name: Option<String>,
    },
    CopyFrom {
        table: TableDef,
        columns: Vec<usize>,
        format: CopyFormat,
        options: CopyOptions,
    },
    CopyTo {
        query: SelectPlan,
        format: CopyFormat,
        options: CopyOptions,
    },
    /// EXPLAIN [ANALYZE] of a SELECT / INSERT / UPDATE / DELETE (see `sql::explain`).
    Explain(Box<ExplainPlan>),
    /// Accepted and ignored on purpose (e.g. VACUUM, DISCARD ALL), with its tag.
    Noop(&'static str),
}

/// A bound EXPLAIN: the statement it describes and the options.
#[derive(Debug, Clone)]
pub struct ExplainPlan {
    pub statement: Plan,
    /// Run the statement and report per-node row counts (and times).
    pub analyze: bool,
    /// Output lines, schema-qualified relations and column names.
    pub verbose: bool,
    /// Measure per-node times (ANALYZE only; TIMING OFF turns it off).
    pub timing: bool,
    /// Print the Planning / Execution Time lines (ANALYZE only; SUMMARY OFF).
    pub summary: bool,
    /// How long binding (our planning) took.
    pub planning: std::time::Duration,
}

/// One ALTER TABLE operation: what it does to the stored data, and the definition after it.
#[derive(Debug, Clone)]
pub struct AlterStep {
    pub after: TableDef,
    pub action: AlterAction,
}

/// The data work of one ALTER TABLE operation (run against the definition before it).
#[derive(Debug, Clone)]
pub enum AlterAction {
    /// Only the definition changes.
    None,
    /// The table was renamed from `old_name`.
    Rename { old_name: String },
    /// Every row is rebuilt (and re-keyed, re-indexed): new column i takes the old column
    /// `sources[i]`, or `defaults[i]` evaluated per row (NULL without one).
    Rewrite { sources: Vec<Option<usize>>, defaults: Vec<Option<Expr>> },
    /// SET NOT NULL: no existing row may hold NULL in this column.
    ValidateNotNull(usize),
    /// ADD CHECK: no existing row may make the condition false.
    ValidateCheck { name: String, check: Expr },
    /// ADD FOREIGN KEY: every existing row must reference an existing row (23503).
    ValidateForeignKey(String),
    /// Build the entries of a new unique constraint or index (by index number).
    BuildIndex(u16),
    /// Remove the entries of a dropped unique constraint or index.
    DropIndex(u16),
}

/// COPY options.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyOptions {
    pub delimiter: char,
    pub null: String,
    pub header: bool,
    pub quote: char,
    pub escape: char,
}

/// Where a SELECT's rows come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// One empty row (SELECT without FROM).
    Single,
    /// VALUES rows.
    Values(Vec<Vec<Expr>>),
    /// A table, read through the chosen access path.
    Table { table: Arc<TableDef>, access: Access },
    /// Rows computed up front (system relations such as pg_class).
    Rows(Vec<Vec<Value>>),
    /// A sequence's one row: last_value, log_cnt, is_called (read when the statement runs).
    Sequence(Arc<SequenceDef>),
    /// unnest(array, ...): one row per element, one column per array (shorter arrays are
    /// padded with NULLs), plus the row number WITH ORDINALITY.
    Unnest { arrays: Vec<Expr>, ordinality: bool },
    /// generate_series(start, stop, step) as one int8 (or int4) column.
    Series { start: Expr, stop: Expr, step: Expr },
    /// An index nested-loop join: for each left row, the right table's rows are read by key.
    Lookup(Box<LookupJoin>),
    /// Two sources joined: each row is the left row, then the right row, then `merged`.
    Join(Box<Join>),
    /// A subquery in FROM: its output rows.
    Query(Box<SelectPlan>),
    /// The rows of `input` for which `predicate` is true (a pushed-down condition).
    Filter { input: Box<Source>, predicate: Expr },
    /// UNION / INTERSECT / EXCEPT of two queries with the same column count and types.
    SetOp(Box<SetOp>),
    /// A WITH query (common table expression), shared by every reference to it.
    CommonTable(Arc<CommonTable>),
    /// The working table of a recursive WITH query: the rows the previous iteration added
    /// (read only by that query's recursive term).
    WorkingTable(Arc<WorkingTable>),
}

/// A WITH query. Read once per statement when it is referenced once; computed once and
/// kept when it is read several times (several references, or a reference that runs
/// repeatedly, such as one inside a subquery), so every reader sees the same rows.
#[derive(Debug)]
pub struct CommonTable {
    pub body: CommonTableBody,
    /// Whether it reads the enclosing query's current row (then it is never kept).
    pub correlated: bool,
    /// Set by the binder when the rows must be computed once and kept.
    pub shared: AtomicBool,
    /// The kept rows.
    pub rows: OnceLock<Arc<Vec<Vec<Value>>>>,
    /// The query's name (for EXPLAIN).
    pub name: String,
    /// EXPLAIN ANALYZE counters of the recursive union (unused for a plain query).
    pub stats: Arc<NodeStats>,
}

/// How a WITH query's rows are computed.
#[derive(Debug)]
pub enum CommonTableBody {
    /// An ordinary query.
    Plain(Box<SelectPlan>),
    /// `anchor UNION [ALL] step` where `step` reads `working` (PostgreSQL's iterative
    /// evaluation: the anchor's rows seed the working table; each run of `step` over it
    /// produces the next working table, until one is empty). Without ALL, rows already
    /// produced are dropped.
    Recursive {
        anchor: Box<SelectPlan>,
        step: Box<SelectPlan>,
        union_all: bool,
        working: Arc<WorkingTable>,
    },
}

impl CommonTable {
    pub fn new(name: &str, body: CommonTableBody, correlated: bool) -> CommonTable {
        CommonTable {
            body,
            correlated,
            shared: AtomicBool::new(false),
            rows: OnceLock::new(),
            name: name.to_string(),
            stats: Arc::default(),
        }
    }
}

/// The rows a recursive WITH query's step reads during one iteration.
#[derive(Debug, Default)]
pub struct WorkingTable {
    pub rows: parking_lot::Mutex<Arc<Vec<Vec<Value>>>>,
}

/// Join types (CROSS JOIN and comma are inner joins without condition).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    Right,
    Full,
}

/// A join. Hash join on `keys` (built on the right input) when there are any, else nested
/// loop; a pair matches when every key pair is equal and `condition` is true.
#[derive(Debug, Clone)]
pub struct Join {
    pub kind: JoinKind,
    pub left: Source,
    pub right: Source,
    pub left_width: usize,
    pub right_width: usize,
    /// Equality keys: (expression over the left row, expression over the right row).
    pub keys: Vec<(Expr, Expr)>,
    /// The rest of the join condition, over the joined row (left ++ right).
    pub condition: Option<Expr>,
    /// Columns appended to each joined row (the merged columns of USING / NATURAL),
    /// evaluated over left ++ right.
    pub merged: Vec<Expr>,
    /// EXPLAIN ANALYZE counters of the two inputs (as the join reads them).
    pub left_stats: Arc<NodeStats>,
    pub right_stats: Arc<NodeStats>,
}

/// An index nested-loop join (inner or left): for each left row, the rows of `table` whose
/// primary key (`index_no` None) or unique constraint / index `index_no` (its leading
/// columns) equals `left_keys` evaluated on the left row are read by key, then filtered by
/// `right_filter` (over the right row) and `condition` (over left ++ right). Rows are left
/// ++ right ++ `merged`, like [`Join`].
#[derive(Debug, Clone)]
pub struct LookupJoin {
    pub kind: JoinKind,
    pub left: Source,
    pub left_width: usize,
    pub table: Arc<TableDef>,
    pub right_width: usize,
    pub index_no: Option<u16>,
    pub left_keys: Vec<Expr>,
    pub right_filter: Option<Expr>,
    pub condition: Option<Expr>,
    pub merged: Vec<Expr>,
    /// Whether the left side is known to be small. If not, the executor reads up to a few
    /// hundred left rows first and, when there are more, hash-joins instead.
    pub left_is_small: bool,
    /// EXPLAIN ANALYZE counters of the left input and of the key lookups (one loop per
    /// probe), and whether the executor switched to a hash join.
    pub left_stats: Arc<NodeStats>,
    pub right_stats: Arc<NodeStats>,
    pub hashed: Arc<AtomicBool>,
}

/// Set operation kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOpKind {
    Union,
    Intersect,
    Except,
}

/// A set operation; `all` keeps duplicates (multiset semantics).
#[derive(Debug, Clone)]
pub struct SetOp {
    pub kind: SetOpKind,
    pub all: bool,
    pub left: SelectPlan,
    pub right: SelectPlan,
}

/// How a table is read.
#[derive(Debug, Clone, PartialEq)]
pub enum Access {
    /// Every row, in primary-key order.
    Full,
    /// Exactly the row with these primary-key values (in key-column order).
    Point(Vec<Expr>),
    /// The rows whose entries in unique constraint or index `index_no` start with these
    /// values (equality on the leading index columns).
    Index { index_no: u16, values: Vec<Expr> },
    /// The rows whose `column` (the first column of the primary key when `index_no` is None,
    /// else of that unique constraint or index) lies between the bounds (value, inclusive).
    /// A superset: bounds that do not convert exactly to the column type are dropped, and
    /// the query's filter still applies.
    Range {
        index_no: Option<u16>,
        column: usize,
        lower: Option<(Expr, bool)>,
        upper: Option<(Expr, bool)>,
    },
    /// The rows any of these (point or index) accesses select, each row once (`IN` lists).
    Any(Vec<Access>),
    /// Every row, in the order of the primary key (None) or of unique constraint / index
    /// `index_no` (one with an entry for every row), read lazily: chosen for `ORDER BY` on
    /// the key's leading columns, so the query needs no sort and `LIMIT` stops the read.
    Ordered(Option<u16>),
    /// Like `Ordered`, in descending key order (`ORDER BY ... DESC`).
    Backward(Option<u16>),
}

/// One ORDER BY key, evaluated on the row before projection.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub expr: Expr,
    pub descending: bool,
    pub nulls_first: bool,
}

/// Aggregate functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregateFunction {
    CountStar,
    Count,
    Sum,
    Avg,
    Min,
    Max,
    StringAgg,
    BoolAnd,
    BoolOr,
    ArrayAgg,
}

/// One aggregate call. Arguments, FILTER and ORDER BY are evaluated on input rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    pub function: AggregateFunction,
    pub args: Vec<Expr>,
    pub distinct: bool,
    pub filter: Option<Expr>,
    pub order_by: Vec<SortKey>,
    pub result_type: DataType,
}

/// GROUP BY: input rows fold into one row per distinct key (one row in all when there are
/// no keys): the key values, then the aggregate results.
#[derive(Debug, Clone, Default)]
pub struct Grouping {
    pub keys: Vec<Expr>,
    pub aggregates: Vec<Aggregate>,
}

/// Window functions (evaluated over all rows after grouping and HAVING).
#[derive(Debug, Clone, PartialEq)]
pub enum WindowFunctionKind {
    RowNumber,
    Rank,
    DenseRank,
    PercentRank,
    CumeDist,
    Ntile,
    Lag,
    Lead,
    FirstValue,
    LastValue,
    NthValue,
    /// An aggregate over the window frame.
    Aggregate(Aggregate),
}

/// Units of a window frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameUnits {
    Rows,
    /// Rows and their ORDER BY peers (only UNBOUNDED and CURRENT ROW bounds).
    Range,
    /// Peer groups.
    Groups,
}

/// One end of a window frame; offsets are row-independent expressions (int8).
#[derive(Debug, Clone, PartialEq)]
pub enum FrameBound {
    UnboundedPreceding,
    Preceding(Expr),
    CurrentRow,
    Following(Expr),
    UnboundedFollowing,
}

/// A window frame: the rows of the partition an aggregate or first/last/nth_value sees.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowFrame {
    pub units: FrameUnits,
    pub start: FrameBound,
    pub end: FrameBound,
}

impl Default for WindowFrame {
    /// RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW.
    fn default() -> Self {
        WindowFrame {
            units: FrameUnits::Range,
            start: FrameBound::UnboundedPreceding,
            end: FrameBound::CurrentRow,
        }
    }
}

/// One window function call. Arguments, PARTITION BY and ORDER BY are evaluated on the
/// rows entering the window step (group rows when the query groups).
#[derive(Debug, Clone, PartialEq)]
pub struct WindowFunction {
    pub kind: WindowFunctionKind,
    pub args: Vec<Expr>,
    pub partition_by: Vec<Expr>,
    pub order_by: Vec<SortKey>,
    pub frame: WindowFrame,
    pub result_type: DataType,
}

/// A bound SELECT.
#[derive(Debug, Clone)]
pub struct SelectPlan {
    pub source: Source,
    pub filter: Option<Expr>,
    /// When set, the source rows fold into groups; projection, HAVING and sort keys then
    /// refer to the group rows (keys, then aggregates).
    pub grouping: Option<Grouping>,
    pub having: Option<Expr>,
    /// Window functions: each appends its result to every row (after grouping and
    /// HAVING); projection and sort keys read those columns.
    pub windows: Vec<WindowFunction>,
    pub projection: Vec<Expr>,
    pub columns: Vec<Column>,
    pub distinct: bool,
    /// DISTINCT ON: the first row (in ORDER BY order) of each group of equal values.
    pub distinct_on: Vec<Expr>,
    pub order_by: Vec<SortKey>,
    pub limit: Option<Expr>,
    /// FETCH ... WITH TIES: rows equal (in ORDER BY) to the last one within the limit
    /// come too.
    pub with_ties: bool,
    pub offset: Option<Expr>,
    /// Names of the source row's columns: (qualifier, name), for EXPLAIN (empty when the
    /// plan was not bound from a SELECT with FROM; EXPLAIN then derives them).
    pub input_names: Arc<[(Option<String>, String)]>,
    /// EXPLAIN ANALYZE counters of this query's operators (shared by clones, so repeated
    /// runs of a subquery add up).
    pub stats: Arc<SelectStats>,
}

impl SelectPlan {
    /// A plain plan: `projection` over the rows of `source`.
    pub fn new(source: Source, projection: Vec<Expr>, columns: Vec<Column>) -> SelectPlan {
        SelectPlan {
            source,
            filter: None,
            grouping: None,
            having: None,
            windows: Vec::new(),
            projection,
            columns,
            distinct: false,
            distinct_on: Vec::new(),
            order_by: Vec::new(),
            limit: None,
            with_ties: false,
            offset: None,
            input_names: Arc::from(Vec::new()),
            stats: Arc::default(),
        }
    }
}

/// What INSERT does when a row's key already exists.
#[derive(Debug, Clone)]
pub enum OnConflict {
    Error,
    DoNothing,
    /// Assignments and filter see the existing row followed by the proposed (EXCLUDED) row.
    DoUpdate {
        assignments: Vec<(usize, Expr)>,
        filter: Option<Expr>,
    },
}

/// A bound INSERT.
#[derive(Debug, Clone)]
pub struct InsertPlan {
    pub table: Arc<TableDef>,
    /// Target column position for each source value.
    pub target_columns: Vec<usize>,
    pub source: SelectPlan,
    /// DEFAULT expression per table column (None → NULL).
    pub defaults: Vec<Option<Expr>>,
    /// Columns whose DEFAULT must be used even when the source provides DEFAULT keyword.
    pub checks: Vec<(String, Expr)>,
    pub on_conflict: OnConflict,
    pub returning: Option<Vec<Expr>>,
    pub columns: Vec<Column>,
    /// GENERATED ALWAYS identity columns (an explicit value is an error).
    pub always_identity: Vec<usize>,
}

/// A bound UPDATE.
#[derive(Debug, Clone)]
pub struct UpdatePlan {
    pub table: Arc<TableDef>,
    /// The name the statement gives the table (its alias, else its name).
    pub qualifier: String,
    /// EXPLAIN ANALYZE counters of the scan that finds the rows.
    pub stats: Arc<NodeStats>,
    pub access: Access,
    pub filter: Option<Expr>,
    pub assignments: Vec<(usize, Expr)>,
    pub checks: Vec<(String, Expr)>,
    pub returning: Option<Vec<Expr>>,
    pub columns: Vec<Column>,
}

/// A bound DELETE.
#[derive(Debug, Clone)]
pub struct DeletePlan {
    pub table: Arc<TableDef>,
    /// The name the statement gives the table (its alias, else its name).
    pub qualifier: String,
    /// EXPLAIN ANALYZE counters of the scan that finds the rows.
    pub stats: Arc<NodeStats>,
    pub access: Access,
    pub filter: Option<Expr>,
    pub returning: Option<Vec<Expr>>,
    pub columns: Vec<Column>,
}

impl Plan {
    /// Result columns (empty when the statement returns no rows).
    pub fn columns(&self) -> Vec<Column> {
        match self {
            Plan::Select(select) => select.columns.clone(),
            Plan::Insert(insert) => insert.columns.clone(),
            Plan::Update(update) => update.columns.clone(),
            Plan::Delete(delete) => delete.columns.clone(),
            Plan::Explain(_) => vec![Column::text("QUERY PLAN")],
            Plan::Show { name } => vec![Column::text(&super::settings::canonical_name(name))],
            Plan::ShowAll => {
                vec![Column::text("name"), Column::text("setting"), Column::text("description")]
            }
            _ => Vec::new(),
        }
    }

    /// Whether running the plan may change catalog definitions (DDL). Conservative: every
    /// plan not known to leave the catalog alone counts. A plan run by EXECUTE is checked
    /// when it runs.
    pub fn changes_catalog(&self) -> bool {
        !matches!(
            self,
            Plan::Select(_)
                | Plan::Insert(_)
                | Plan::Update(_)
                | Plan::Delete(_)
                | Plan::Explain(_)
                | Plan::Begin { .. }
                | Plan::Commit
                | Plan::Rollback
                | Plan::Savepoint(_)
                | Plan::ReleaseSavepoint(_)
                | Plan::RollbackToSavepoint(_)
                | Plan::Set { .. }
                | Plan::Show { .. }
                | Plan::ShowAll
                | Plan::Reset { .. }
                | Plan::SetIsolation { .. }
                | Plan::Prepare { .. }
                | Plan::ExecutePrepared { .. }
                | Plan::Deallocate { .. }
                | Plan::CopyFrom { .. }
                | Plan::CopyTo { .. }
                | Plan::Noop(_)
        )
    }

    /// Whether the plan only reads.
    pub fn is_read_only(&self) -> bool {
        match self {
            Plan::Explain(explain) => !explain.analyze || explain.statement.is_read_only(),
            _ => matches!(
                self,
                Plan::Select(_) | Plan::Show { .. } | Plan::ShowAll | Plan::CopyTo { .. }
            ),
        }
    }
}
