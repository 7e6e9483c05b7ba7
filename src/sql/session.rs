//! [`Session`] (one per connection): transaction state, settings, prepared statements, and the
//! statement lifecycle the wire layer drives: parse → prepare (bind) → execute. A prepared
//! statement keeps its bound plan for later executions (`plan_cache`); a simple Query's
//! statement is bound once, in the transaction that runs it (`Session::run_statement`).
//!
//! Transactions: outside BEGIN each statement runs in its own implicit transaction, committed
//! when it succeeds. Inside BEGIN the block's transaction is kept; an error puts the block into
//! the failed state, where everything but ROLLBACK (or COMMIT, which then rolls back) is
//! refused with 25P02.
//!
//! Depends on: `sql::binder`, `sql::exec`, `sql::database` (and its catalog version),
//! `sql::settings`, `txn`.

use super::binder::{Binder, bind_statement};
use super::catalog::{self, CatalogRead, SequenceDef, TableDef};
use super::copy::CopyParser;
use super::database::Database;
use super::error::{SqlError, sqlstate};
use super::exec;
use super::expr::{Env, Expr};
use super::parser;
use super::plan::Plan;
use super::sequences::{SessionSequences, SessionValues};
use super::settings::Settings;
use super::types::{DataType, Value};
use crate::txn::{IsolationLevel, Savepoint, Transaction};
use parking_lot::Mutex;
use sqlparser::ast;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

mod objects;
mod plan_cache;
mod shape_cache;

use plan_cache::{CachedPlan, PlanCache};
use shape_cache::ShapeCache;

/// Reused plans whose catalog reads a transaction defers to its commit, at most (see
/// `Session::deferred_reads`).
const MAX_DEFERRED_READS: usize = 64;

/// A parsed but not yet bound statement (one of possibly several in a simple Query).
#[derive(Debug, Clone)]
pub struct Statement {
    /// The statement's own text.
    pub text: String,
    kind: StatementKind,
}

#[derive(Debug, Clone)]
enum StatementKind {
    Ast(Arc<ast::Statement>),
    /// Statements sqlparser does not know, handled directly.
    Special(Box<Plan>),
}

/// Result column metadata (RowDescription).
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub ty: DataType,
    /// OID of the table the column comes from, or 0.
    pub table_oid: u32,
    /// Attribute number in that table, or 0.
    pub column_number: i16,
}

impl Column {
    /// A computed column of type `ty`.
    pub fn new(name: &str, ty: DataType) -> Self {
        Self { name: name.to_string(), ty, table_oid: 0, column_number: 0 }
    }

    /// A text column.
    pub fn text(name: &str) -> Self {
        Self::new(name, DataType::Text)
    }
}

/// A statement bound against the catalog: what Parse / Describe need, and the bound plan
/// later executions reuse while the catalog stays as it was (see `plan_cache`).
#[derive(Debug)]
pub struct Prepared {
    /// The statement text.
    pub sql: String,
    /// Parameter types ($1, $2, ...), inferred where the client sent none.
    pub param_types: Vec<DataType>,
    /// Result columns; empty when the statement returns no rows.
    pub columns: Vec<Column>,
    statement: Statement,
    /// Names and types of the result columns the statement was prepared with: an execution
    /// that binds it again (the catalog changed) must produce the same, or fails as in
    /// PostgreSQL ("cached plan must not change result type"). `None`: not checked (a
    /// statement of a simple Query, prepared and run at once).
    result_shape: Option<Vec<(String, DataType)>>,
    /// The last bound plan; `None` for a statement run once.
    plans: Option<PlanCache>,
}

/// What one binding of a statement produced.
struct Bound {
    plan: Plan,
    /// Parameter types, declared or inferred (`None`: still unknown).
    params: Vec<Option<DataType>>,
    /// Whether the plan holds rows computed while binding (see `Binder::materialised`).
    materialised: bool,
    /// The catalog reads the binding made.
    reads: Vec<CatalogRead>,
}

/// Binds `statement` in `txn`, recording the catalog reads it makes.
fn bind_recorded(
    txn: &mut Transaction,
    statement: &Statement,
    declared: Vec<Option<DataType>>,
    search_path: Vec<String>,
) -> Result<Bound, SqlError> {
    let (bound, reads) = catalog::recording_reads(|| {
        let mut binder = Binder::new(&statement.text, declared, txn).with_search_path(search_path);
        let plan = match &statement.kind {
            StatementKind::Ast(ast) => bind_statement(&mut binder, ast)?,
            StatementKind::Special(plan) => plan.as_ref().clone(),
        };
        Ok::<_, SqlError>((plan, binder.params, binder.materialised))
    });
    let (plan, params, materialised) = bound?;
    Ok(Bound { plan, params, materialised, reads })
}

/// The names and types of a plan's result columns.
fn result_shape(plan: &Plan) -> Vec<(String, DataType)> {
    plan.columns().into_iter().map(|c| (c.name, c.ty)).collect()
}

/// The catalog and settings a binding happens against: where a bound plan may be reused.
struct BindContext {
    /// The catalog version the binding transaction sees, if known (see `catalog_version`).
    catalog_version: Option<u64>,
    /// The schemas of the search path, and the setting's text (the cache key).
    search_path: Vec<String>,
    search_path_setting: String,
}

impl Prepared {
    /// Prepares `statement` in `txn`: binds it (inferring parameter types the client left
    /// open), fixes its result columns, and keeps the plan for executions.
    fn prepare_in(
        txn: &mut Transaction,
        statement: Statement,
        declared: &[Option<DataType>],
        context: BindContext,
    ) -> Result<Prepared, SqlError> {
        let first = bind_recorded(txn, &statement, declared.to_vec(), context.search_path.clone())?;
        let param_types: Vec<DataType> =
            first.params.iter().map(|t| t.clone().unwrap_or(DataType::Text)).collect();
        let columns = first.plan.columns();
        // Executions bind with every parameter type known; when some were inferred, the
        // plan to keep (and the result to hold them to) is that of such a binding.
        let all_declared =
            first.params.len() == declared.len() && declared.iter().all(Option::is_some);
        let canonical = if all_declared {
            Some(first)
        } else {
            let declared = param_types.iter().cloned().map(Some).collect();
            bind_recorded(txn, &statement, declared, context.search_path.clone()).ok()
        };
        let prepared = Prepared {
            sql: statement.text.clone(),
            param_types,
            columns,
            statement,
            result_shape: canonical.as_ref().map(|bound| result_shape(&bound.plan)),
            plans: Some(PlanCache::default()),
        };
        if let Some(bound) = canonical {
            prepared.keep(bound, &context);
        }
        Ok(prepared)
    }

    /// Whether a bound plan is kept for the next execution.
    pub fn has_cached_plan(&self) -> bool {
        self.plans.as_ref().is_some_and(PlanCache::is_filled)
    }

    /// A statement of a simple Query: bound when it runs, nothing kept.
    fn one_shot(statement: Statement) -> Prepared {
        Prepared {
            sql: statement.text.clone(),
            param_types: Vec::new(),
            columns: Vec::new(),
            statement,
            result_shape: None,
            plans: None,
        }
    }

    /// Returns `bound`'s plan, keeping a copy in the cache if it may be reused (see
    /// `plan_cache`).
    fn keep(&self, bound: Bound, context: &BindContext) -> Plan {
        let (Some(plans), Some(catalog_version)) = (&self.plans, context.catalog_version) else {
            return bound.plan;
        };
        if !PlanCache::may_keep(&bound.plan, bound.materialised)
            || bound.reads.len() >= catalog::MAX_RECORDED_READS
        {
            return bound.plan;
        }
        plans.put(CachedPlan {
            plan: bound.plan.clone(),
            catalog_version,
            search_path: context.search_path_setting.clone(),
            reads: bound.reads.into(),
        });
        bound.plan
    }
}

/// Rows produced lazily: large results are never materialised.
pub type RowStream = Box<dyn Iterator<Item = Result<Vec<Value>, SqlError>> + Send>;

/// COPY data format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyFormat {
    Text,
    Csv,
    Binary,
}

/// An in-progress COPY ... FROM STDIN: feed it CopyData, then finish it.
pub struct CopyIn {
    /// Format of the incoming data.
    pub format: CopyFormat,
    /// Number of columns (CopyInResponse announces one format code per column).
    pub column_count: usize,
    state: Box<CopyState>,
}

/// What a COPY FROM needs while data arrives.
struct CopyState {
    table: TableDef,
    columns: Vec<usize>,
    parser: CopyParser,
    defaults: Vec<Option<Expr>>,
    checks: Vec<(String, Expr)>,
    env: Arc<Env>,
    rows: u64,
    implicit: bool,
}

impl std::fmt::Debug for CopyIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CopyIn")
            .field("format", &self.format)
            .field("table", &self.state.table.name)
            .finish()
    }
}

/// What executing a statement produced.
pub enum Outcome {
    /// Rows to stream, then CommandComplete with `completion_tag(verb, count)`.
    Rows { columns: Arc<[Column]>, rows: RowStream, verb: &'static str },
    /// A command without rows: the CommandComplete tag (`CREATE TABLE`, `INSERT 0 3`, ...).
    Done(String),
    /// Notices to send before CommandComplete (e.g. DROP TABLE IF EXISTS of a missing table).
    DoneWithNotice { tag: String, notices: Vec<SqlError> },
    /// The statement was empty (EmptyQueryResponse).
    Empty,
    /// COPY FROM STDIN: the wire layer sends CopyInResponse and feeds data.
    CopyIn(CopyIn),
    /// COPY TO STDOUT: CopyOutResponse, one CopyData per encoded row, CopyDone.
    CopyOut { format: CopyFormat, column_count: usize, rows: RowStream },
}

/// CommandComplete text for `count` rows: `INSERT 0 n`, `SELECT n`, `UPDATE n`, ...
pub fn completion_tag(verb: &str, count: u64) -> String {
    match verb {
        "INSERT" => format!("INSERT 0 {count}"),
        "EXPLAIN" => verb.to_string(),
        _ => format!("{verb} {count}"),
    }
}

/// Transaction state as ReadyForQuery reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnStatus {
    /// `I`: no transaction block.
    Idle,
    /// `T`: inside BEGIN ... COMMIT.
    InBlock,
    /// `E`: a statement failed inside a block; everything but ROLLBACK is refused (25P02).
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    None,
    Open,
    Failed,
}

/// One client's session: transaction state, settings, prepared statements.
pub struct Session {
    db: Arc<Database>,
    user: String,
    database: String,
    settings: Settings,
    txn: Option<Transaction>,
    block: Block,
    txn_started: chrono::DateTime<chrono::Utc>,
    savepoints: Vec<(String, Savepoint)>,
    sequence_values: Arc<Mutex<SessionValues>>,
    default_isolation: IsolationLevel,
    next_isolation: Option<IsolationLevel>,
    read_only: bool,
    cancel: Arc<AtomicBool>,
    prepared: HashMap<String, Arc<Prepared>>,
    /// The catalog version the open transaction's snapshot sees, when known and the
    /// transaction has not changed the catalog itself: cached plans of that version apply.
    txn_catalog_version: Option<u64>,
    /// The open transaction ran DDL: its commit moves the catalog version on.
    txn_changed_catalog: bool,
    /// Catalog reads of plans reused in the open transaction, not made yet. They matter
    /// only to a SERIALIZABLE commit's validation, which a transaction without writes
    /// skips; so they are made at commit, and only by a transaction with writes (a point
    /// SELECT in its own transaction never pays for them).
    deferred_reads: Vec<Arc<[CatalogRead]>>,
    backend_pid: i32,
    /// Inside a multi-statement simple Query: outside BEGIN its statements share one implicit
    /// transaction, committed at the end (as PostgreSQL does).
    batch: bool,
    /// Settings as they were at BEGIN (ROLLBACK restores them).
    block_settings: Option<Settings>,
    /// The schemas of `search_path`, parsed, with the setting text they were parsed from
    /// (every statement's environment needs them; the setting rarely changes).
    search_path_cache: std::cell::RefCell<Option<(String, Arc<[String]>)>>,
    /// Settings changed with SET LOCAL in the current block.
    local_settings: Vec<String>,
    /// Prepared statements kept for the shapes of simple-Query texts (see `shape_cache`).
    shapes: ShapeCache,
}

impl Session {
    /// A session for `user` on `db`. `startup` holds the StartupMessage parameters
    /// (application_name, client_encoding, DateStyle, TimeZone, options, ...).
    pub fn new(
        db: Arc<Database>,
        user: &str,
        startup: &[(String, String)],
    ) -> Result<Session, SqlError> {
        let mut settings = Settings::new(user);
        let mut database = user.to_string();
        for (name, value) in startup {
            if name == "database" {
                database = value.clone();
            }
            settings.apply_startup(name, value);
        }
        Ok(Session {
            db,
            user: user.to_string(),
            database,
            settings,
            txn: None,
            block: Block::None,
            txn_started: chrono::Utc::now(),
            savepoints: Vec::new(),
            sequence_values: Arc::new(Mutex::new(SessionValues::default())),
            default_isolation: IsolationLevel::Serializable,
            next_isolation: None,
            read_only: false,
            cancel: Arc::new(AtomicBool::new(false)),
            prepared: HashMap::new(),
            txn_catalog_version: None,
            txn_changed_catalog: false,
            deferred_reads: Vec::new(),
            backend_pid: 0,
            batch: false,
            block_settings: None,
            search_path_cache: std::cell::RefCell::new(None),
            local_settings: Vec::new(),
            shapes: ShapeCache::default(),
        })
    }

    /// The ParameterStatus values to report after authentication.
    pub fn parameter_statuses(&self) -> Vec<(String, String)> {
        self.settings.reported()
    }

    /// Reported parameters changed since the last call (after SET/RESET).
    pub fn take_parameter_changes(&mut self) -> Vec<(String, String)> {
        self.settings.take_changes()
    }

    /// Splits and parses statement text. An empty or all-comment string gives no statements.
    pub fn parse(&self, sql: &str) -> Result<Vec<Statement>, SqlError> {
        let mut statements = Vec::new();
        for mut piece in parser::split_statements(sql)? {
            if let Some(plan) = special_statement(&piece.text) {
                let text = piece.text;
                statements.push(Statement { text, kind: StatementKind::Special(Box::new(plan)) });
                continue;
            }
            let mut parsed = piece.parse()?;
            let text = piece.text;
            match (parsed.pop(), parsed.is_empty()) {
                (Some(ast), true) => {
                    statements.push(Statement { text, kind: StatementKind::Ast(Arc::new(ast)) })
                }
                (None, _) => {}
                (Some(_), false) => return Err(SqlError::syntax("cannot parse statement")),
            }
        }
        Ok(statements)
    }

    /// Binds one statement: resolves names and infers parameter types. The bound plan is
    /// kept for executions (see `plan_cache`).
    pub fn prepare(
        &mut self,
        _sql: &str,
        statement: Statement,
        param_types: &[Option<DataType>],
    ) -> Result<Prepared, SqlError> {
        if self.block == Block::Failed && !is_transaction_end(&statement) {
            return Err(aborted());
        }
        let search_path = self.search_path();
        let search_path_setting = self.search_path_setting().to_string();
        match self.txn.as_mut() {
            Some(txn) => {
                let context = BindContext {
                    catalog_version: self.txn_catalog_version,
                    search_path,
                    search_path_setting,
                };
                Prepared::prepare_in(txn, statement, param_types, context)
            }
            None => {
                // Outside a transaction: bind in a temporary one (the statement runs later
                // in its own).
                let probe = self.db.catalog_version().probe();
                let mut txn = self.db.store().begin(IsolationLevel::Snapshot);
                let context = BindContext {
                    catalog_version: self.db.catalog_version().confirm(probe),
                    search_path,
                    search_path_setting,
                };
                Prepared::prepare_in(&mut txn, statement, param_types, context)
            }
        }
    }

    /// Runs one statement of a simple Query: binds it in its transaction and executes it
    /// (nothing is kept for later).
    pub fn run_statement(&mut self, statement: Statement) -> Result<Outcome, SqlError> {
        self.execute(&Prepared::one_shot(statement), Vec::new())
    }

    /// Executes a bound statement with parameter values (already decoded to the parameter
    /// types). In a failed transaction block everything except ROLLBACK/COMMIT errors 25P02.
    /// An error inside a block puts the block into the failed state.
    pub fn execute(
        &mut self,
        prepared: &Prepared,
        params: Vec<Value>,
    ) -> Result<Outcome, SqlError> {
        self.cancel.store(false, Ordering::SeqCst);
        if self.block == Block::Failed && !is_transaction_end(&prepared.statement) {
            return Err(aborted());
        }
        let implicit = self.block == Block::None;
        if self.txn.is_none() {
            self.begin_txn(None);
        }
        let result = self.execute_in_txn(prepared, params, implicit);
        match result {
            Ok(outcome) => Ok(outcome),
            Err(err) => {
                self.statement_failed();
                Err(err)
            }
        }
    }

    fn begin_txn(&mut self, isolation: Option<IsolationLevel>) {
        let isolation = isolation.or(self.next_isolation).unwrap_or(self.default_isolation);
        let probe = self.db.catalog_version().probe();
        self.txn = Some(self.db.store().begin(isolation));
        self.txn_catalog_version = self.db.catalog_version().confirm(probe);
        self.txn_changed_catalog = false;
        self.deferred_reads.clear();
        self.txn_started = chrono::Utc::now();
    }

    /// Commits `txn`. When it changed the catalog, the catalog version moves on (so cached
    /// plans bound before are bound again).
    fn commit(&mut self, mut txn: Transaction) -> Result<(), SqlError> {
        let deferred = std::mem::take(&mut self.deferred_reads);
        if txn.has_writes() {
            for read in deferred.iter().flat_map(|reads| reads.iter()) {
                read.replay(&mut txn)?;
            }
        }
        let changed_catalog = std::mem::take(&mut self.txn_changed_catalog);
        let db = self.db.clone();
        let _in_flight = changed_catalog.then(|| db.catalog_version().commit_guard());
        txn.commit()?;
        Ok(())
    }

    fn env(&self, params: Vec<Value>) -> Arc<Env> {
        let limits = self.settings.statement_limits();
        Arc::new(Env {
            params,
            user: self.user.clone(),
            database: self.database.clone(),
            now: self.txn_started,
            settings: self.settings.all(),
            sequences: Arc::new(SessionSequences {
                db: self.db.clone(),
                view: self.txn.as_ref().map(Transaction::read_view),
                values: self.sequence_values.clone(),
                search_path: self.shared_search_path(),
            }),
            cancel: self.cancel.clone(),
            setting_changes: Mutex::new(Vec::new()),
            backend_pid: self.backend_pid,
            deadline: limits.timeout.map(|timeout| std::time::Instant::now() + timeout),
            view: self.txn.as_ref().map(Transaction::read_view),
            outer: Vec::new(),
            instrument: exec::Instrument::Off,
            memory: exec::MemoryBudget::new(limits.work_mem_bytes),
        })
    }

    /// The plan to run `prepared` with in the open transaction: its cached plan when that
    /// is still current, else a fresh binding (kept for next time when it may be).
    fn plan_for(&mut self, prepared: &Prepared) -> Result<Plan, SqlError> {
        let catalog_version = self.txn_catalog_version;
        if let (Some(plans), Some(version)) = (&prepared.plans, catalog_version)
            && let Some((plan, reads)) = plans.get(version, self.search_path_setting())
        {
            self.defer_reads(reads)?;
            return Ok(plan);
        }
        let context = BindContext {
            catalog_version,
            search_path: self.search_path(),
            search_path_setting: self.search_path_setting().to_string(),
        };
        let declared = prepared.param_types.iter().cloned().map(Some).collect();
        let txn = self.txn.as_mut().ok_or_else(|| SqlError::internal("no transaction"))?;
        let bound = bind_recorded(txn, &prepared.statement, declared, context.search_path.clone())?;
        if bound.params.len() > prepared.param_types.len() {
            return Err(SqlError::new(
                sqlstate::UNDEFINED_PARAMETER,
                format!("there is no parameter ${}", prepared.param_types.len() + 1),
            ));
        }
        if let Some(shape) = &prepared.result_shape
            && *shape != result_shape(&bound.plan)
        {
            return Err(SqlError::new(
                sqlstate::FEATURE_NOT_SUPPORTED,
                "cached plan must not change result type",
            ));
        }
        Ok(prepared.keep(bound, &context))
    }

    /// Notes the catalog reads of a reused plan for the commit (see `deferred_reads`).
    /// A transaction that reuses many different plans makes the reads noted so far.
    fn defer_reads(&mut self, reads: Arc<[CatalogRead]>) -> Result<(), SqlError> {
        if reads.is_empty() || self.deferred_reads.iter().any(|r| Arc::ptr_eq(r, &reads)) {
            return Ok(());
        }
        self.deferred_reads.push(reads);
        if self.deferred_reads.len() > MAX_DEFERRED_READS {
            let deferred = std::mem::take(&mut self.deferred_reads);
            let txn = self.txn()?;
            for read in deferred.iter().flat_map(|reads| reads.iter()) {
                read.replay(txn)?;
            }
        }
        Ok(())
    }

    fn execute_in_txn(
        &mut self,
        prepared: &Prepared,
        params: Vec<Value>,
        implicit: bool,
    ) -> Result<Outcome, SqlError> {
        if params.len() != prepared.param_types.len() {
            return Err(SqlError::new(
                sqlstate::PROTOCOL_VIOLATION,
                format!(
                    "bind message supplies {} parameters, but prepared statement requires {}",
                    params.len(),
                    prepared.param_types.len()
                ),
            ));
        }
        let plan = self.plan_for(prepared)?;
        if self.read_only
            && !plan.is_read_only()
            && matches!(
                plan,
                Plan::Insert(_)
                    | Plan::Update(_)
                    | Plan::Delete(_)
                    | Plan::CreateTable { .. }
                    | Plan::DropTables { .. }
                    | Plan::CreateSequence { .. }
                    | Plan::AlterSequence(_)
                    | Plan::DropSequences { .. }
                    | Plan::CreateView { .. }
                    | Plan::DropViews { .. }
                    | Plan::CreateSchema { .. }
                    | Plan::DropSchemas { .. }
                    | Plan::Truncate { .. }
                    | Plan::AlterTable { .. }
                    | Plan::CreateIndex { .. }
                    | Plan::DropIndex { .. }
                    | Plan::CopyFrom { .. }
                    | Plan::Explain(_)
            )
        {
            return Err(SqlError::new(
                sqlstate::READ_ONLY_SQL_TRANSACTION,
                "cannot execute statement in a read-only transaction",
            ));
        }
        let mut env = self.env(params);
        if let Plan::Explain(explain) = &plan
            && explain.analyze
            && let Some(env) = Arc::get_mut(&mut env)
        {
            env.instrument =
                if explain.timing { exec::Instrument::Timing } else { exec::Instrument::Rows };
        }
        let outcome = self.run(plan, env.clone(), implicit)?;
        for (name, value) in env.setting_changes.lock().drain(..) {
            self.settings.set(&name, Some(&value))?;
        }
        Ok(outcome)
    }

    fn txn(&mut self) -> Result<&mut Transaction, SqlError> {
        self.txn.as_mut().ok_or_else(|| SqlError::internal("no transaction"))
    }

    /// Starts a multi-statement simple Query: until [`Session::end_batch`], statements outside
    /// BEGIN share one implicit transaction, so an error in any of them rolls back all.
    pub fn begin_batch(&mut self) {
        self.batch = true;
    }

    /// Ends a multi-statement simple Query: commits its implicit transaction if it is still
    /// open (after an error it has already been rolled back).
    pub fn end_batch(&mut self) -> Result<(), SqlError> {
        self.batch = false;
        if self.block == Block::None
            && let Some(txn) = self.txn.take()
        {
            self.commit(txn)?;
        }
        Ok(())
    }

    /// Commits the implicit transaction of a successful statement (at the end of the batch
    /// when several statements came in one Query).
    fn finish_implicit(&mut self, implicit: bool) -> Result<(), SqlError> {
        if implicit
            && !self.batch
            && let Some(txn) = self.txn.take()
        {
            self.commit(txn)?;
        }
        Ok(())
    }

    fn run(&mut self, plan: Plan, env: Arc<Env>, implicit: bool) -> Result<Outcome, SqlError> {
        if plan.changes_catalog() {
            // From here on the transaction sees a catalog of its own: no cached plan applies
            // in it, and its commit moves the catalog version on.
            self.txn_catalog_version = None;
            self.txn_changed_catalog = true;
        }
        let db = self.db.clone();
        let row_ids = move |table: &TableDef| -> Result<i64, SqlError> {
            let id = table
                .row_id_sequence
                .ok_or_else(|| SqlError::internal("table without key has no row-id sequence"))?;
            db.next_value(&SequenceDef::internal(id, format!("{}_rowid", table.name), i64::MAX))
        };
        Ok(match plan {
            Plan::Select(select) => {
                let columns: Arc<[Column]> = select.columns.clone().into();
                let rows = exec::select(self.txn()?, select, env)?;
                self.finish_implicit(implicit)?;
                Outcome::Rows { columns, rows, verb: "SELECT" }
            }
            Plan::Insert(insert) => {
                let columns: Arc<[Column]> = insert.columns.clone().into();
                let has_returning = insert.returning.is_some();
                let (rows, count) = exec::insert(self.txn()?, insert, env, &row_ids)?;
                self.finish_implicit(implicit)?;
                dml_outcome("INSERT", columns, has_returning, rows, count)
            }
            Plan::Update(update) => {
                let columns: Arc<[Column]> = update.columns.clone().into();
                let has_returning = update.returning.is_some();
                let (rows, count) = exec::update(self.txn()?, update, env)?;
                self.finish_implicit(implicit)?;
                dml_outcome("UPDATE", columns, has_returning, rows, count)
            }
            Plan::Delete(delete) => {
                let columns: Arc<[Column]> = delete.columns.clone().into();
                let has_returning = delete.returning.is_some();
                let (rows, count) = exec::delete(self.txn()?, delete, env)?;
                self.finish_implicit(implicit)?;
                dml_outcome("DELETE", columns, has_returning, rows, count)
            }
            Plan::Explain(explain) => {
                // ANALYZE runs the statement (DML included, inside the current transaction,
                // as PostgreSQL does) with the plan's counters on, then prints them.
                let (execution, returned) = if explain.analyze {
                    let started = std::time::Instant::now();
                    let returned = match explain.statement.clone() {
                        Plan::Select(select) => {
                            for row in exec::select(self.txn()?, select, env)? {
                                row?;
                            }
                            0
                        }
                        Plan::Insert(insert) => {
                            exec::insert(self.txn()?, insert, env, &row_ids)?.0.len()
                        }
                        Plan::Update(update) => exec::update(self.txn()?, update, env)?.0.len(),
                        Plan::Delete(delete) => exec::delete(self.txn()?, delete, env)?.0.len(),
                        _ => 0,
                    };
                    (Some(started.elapsed()), returned as u64)
                } else {
                    (None, 0)
                };
                self.finish_implicit(implicit)?;
                let lines = super::explain::render(&explain, execution, returned);
                let rows: Vec<Result<Vec<Value>, SqlError>> =
                    lines.into_iter().map(|line| Ok(vec![Value::Text(line)])).collect();
                let columns: Arc<[Column]> = vec![Column::text("QUERY PLAN")].into();
                Outcome::Rows { columns, rows: Box::new(rows.into_iter()), verb: "EXPLAIN" }
            }
            Plan::CreateTable { table, sequences, if_not_exists } => {
                let outcome = self.create_table(table, sequences, if_not_exists)?;
                self.finish_implicit(implicit)?;
                outcome
            }
            Plan::DropTables { names, if_exists, cascade } => {
                let outcome = self.drop_tables(&names, if_exists, cascade)?;
                self.finish_implicit(implicit)?;
                outcome
            }
            Plan::CreateSequence { sequence, if_not_exists } => {
                let outcome = self.create_sequence(sequence, if_not_exists)?;
                self.finish_implicit(implicit)?;
                outcome
            }
            Plan::AlterSequence(alter) => {
                let outcome = self.alter_sequence(&alter)?;
                self.finish_implicit(implicit)?;
                outcome
            }
            Plan::DropSequences { names, if_exists, cascade } => {
                let outcome = self.drop_sequences(&names, if_exists, cascade)?;
                self.finish_implicit(implicit)?;
                outcome
            }
            Plan::CreateView { view, or_replace } => {
                let outcome = self.create_view(view, or_replace)?;
                self.finish_implicit(implicit)?;
                outcome
            }
            Plan::DropViews { names, if_exists, cascade } => {
                let outcome = self.drop_views(&names, if_exists, cascade)?;
                self.finish_implicit(implicit)?;
                outcome
            }
            Plan::CreateSchema { name, if_not_exists } => {
                let outcome = self.create_schema(&name, if_not_exists)?;
                self.finish_implicit(implicit)?;
                outcome
            }
            Plan::DropSchemas { names, if_exists, cascade } => {
                let outcome = self.drop_schemas(&names, if_exists, cascade)?;
                self.finish_implicit(implicit)?;
                outcome
            }
            Plan::AlterTable { table, steps } => {
                let outcome = self.alter_table(table, steps, &env, &row_ids)?;
                self.finish_implicit(implicit)?;
                outcome
            }
            Plan::CreateIndex { table, index, if_not_exists } => {
                let outcome = self.create_index(table, index, if_not_exists, &env)?;
                self.finish_implicit(implicit)?;
                outcome
            }
            Plan::DropIndex { names, if_exists } => {
                let outcome = self.drop_indexes(&names, if_exists)?;
                self.finish_implicit(implicit)?;
                outcome
            }
            Plan::Truncate { tables, cascaded } => {
                let db = self.db.clone();
                let txn = self.txn()?;
                objects::check_truncate(txn, &tables)?;
                for table in &tables {
                    // Like PostgreSQL's new relfilenode: the table moves to fresh storage
                    // and the old rows go in the background once this commits.
                    exec::discard_storage(txn, table);
                    let mut emptied = TableDef::clone(table);
                    exec::fresh_storage(txn, &mut emptied, allocate_object_id(&db)?);
                    catalog::put_table(txn, &emptied)?;
                }
                self.finish_implicit(implicit)?;
                let notices: Vec<SqlError> = tables
                    .iter()
                    .skip(tables.len() - cascaded)
                    .map(|t| {
                        SqlError::new(
                            sqlstate::SUCCESSFUL_COMPLETION,
                            format!("truncate cascades to table \"{}\"", t.name),
                        )
                    })
                    .collect();
                if notices.is_empty() {
                    Outcome::Done("TRUNCATE TABLE".into())
                } else {
                    Outcome::DoneWithNotice { tag: "TRUNCATE TABLE".into(), notices }
                }
            }
            Plan::Begin { isolation, read_only } => {
                if !implicit {
                    let mut warning = SqlError::new(
                        sqlstate::ACTIVE_SQL_TRANSACTION,
                        "there is already a transaction in progress",
                    );
                    warning.detail = None;
                    return Ok(Outcome::DoneWithNotice {
                        tag: "BEGIN".into(),
                        notices: vec![warning],
                    });
                }
                if isolation.is_some() {
                    self.begin_txn(isolation);
                }
                self.block = Block::Open;
                self.block_settings = Some(self.settings.clone());
                self.read_only = read_only;
                Outcome::Done("BEGIN".into())
            }
            Plan::Commit => {
                if implicit && self.batch {
                    // COMMIT inside a multi-statement Query ends its implicit transaction.
                    if let Some(txn) = self.txn.take() {
                        self.commit(txn)?;
                    }
                    return Ok(Outcome::Done("COMMIT".into()));
                }
                if implicit {
                    self.txn = None;
                    return Ok(Outcome::DoneWithNotice {
                        tag: "COMMIT".into(),
                        notices: vec![SqlError::new(
                            sqlstate::NO_ACTIVE_SQL_TRANSACTION,
                            "there is no transaction in progress",
                        )],
                    });
                }
                if self.block == Block::Failed {
                    self.end_block_with(false);
                    return Ok(Outcome::Done("ROLLBACK".into()));
                }
                let committed = match self.txn.take() {
                    Some(txn) => self.commit(txn),
                    None => Ok(()),
                };
                self.end_block_with(committed.is_ok());
                committed?;
                Outcome::Done("COMMIT".into())
            }
            Plan::Rollback => {
                let was_implicit = implicit;
                self.end_block();
                if was_implicit {
                    return Ok(Outcome::DoneWithNotice {
                        tag: "ROLLBACK".into(),
                        notices: vec![SqlError::new(
                            sqlstate::NO_ACTIVE_SQL_TRANSACTION,
                            "there is no transaction in progress",
                        )],
                    });
                }
                Outcome::Done("ROLLBACK".into())
            }
            Plan::Savepoint(name) => {
                if implicit {
                    self.txn = None;
                    return Err(SqlError::new(
                        sqlstate::NO_ACTIVE_SQL_TRANSACTION,
                        "SAVEPOINT can only be used in transaction blocks",
                    ));
                }
                let savepoint = self.txn()?.savepoint();
                self.savepoints.push((name, savepoint));
                Outcome::Done("SAVEPOINT".into())
            }
            Plan::ReleaseSavepoint(name) => {
                let position = self.savepoint_position(&name, implicit)?;
                self.savepoints.truncate(position);
                Outcome::Done("RELEASE".into())
            }
            Plan::RollbackToSavepoint(name) => {
                let position = self.savepoint_position(&name, implicit)?;
                self.savepoints.truncate(position + 1);
                if let Some((_, savepoint)) = self.savepoints.last().cloned() {
                    self.txn()?.rollback_to(&savepoint);
                }
                self.block = Block::Open;
                Outcome::Done("ROLLBACK".into())
            }
            Plan::Set { name, value, local } => {
                if local && implicit {
                    self.finish_implicit(implicit)?;
                    return Ok(Outcome::DoneWithNotice {
                        tag: "SET".into(),
                        notices: vec![SqlError::new(
                            sqlstate::NO_ACTIVE_SQL_TRANSACTION,
                            "SET LOCAL can only be used in transaction blocks",
                        )],
                    });
                }
                self.settings.set(&name, value.as_deref())?;
                if local {
                    self.local_settings.push(name.to_lowercase());
                }
                if name == "default_transaction_isolation" {
                    self.default_isolation =
                        isolation_from(self.settings.get(&name).unwrap_or("serializable"));
                }
                self.finish_implicit(implicit)?;
                Outcome::Done("SET".into())
            }
            Plan::SetIsolation { isolation, session } => {
                if session {
                    self.default_isolation = isolation;
                } else {
                    self.next_isolation = Some(isolation);
                }
                self.finish_implicit(implicit)?;
                Outcome::Done("SET".into())
            }
            Plan::Show { name } => {
                let key = name.to_lowercase();
                let value =
                    match key.as_str() {
                        "transaction_isolation" | "transaction isolation level" => Some(match self
                            .txn
                            .as_ref()
                            .map(|_| self.next_isolation.unwrap_or(self.default_isolation))
                            .unwrap_or(self.default_isolation)
                        {
                            IsolationLevel::Serializable => "serializable".to_string(),
                            IsolationLevel::Snapshot => "repeatable read".to_string(),
                        }),
                        _ => self.settings.get(&key).map(str::to_string),
                    };
                let value = value.ok_or_else(|| {
                    SqlError::new(
                        sqlstate::UNDEFINED_OBJECT,
                        format!("unrecognized configuration parameter \"{name}\""),
                    )
                })?;
                self.finish_implicit(implicit)?;
                let columns: Arc<[Column]> =
                    vec![Column::text(&super::settings::canonical_name(&name))].into();
                Outcome::Rows {
                    columns,
                    rows: Box::new(std::iter::once(Ok(vec![Value::Text(value)]))),
                    verb: "SHOW",
                }
            }
            Plan::ShowAll => {
                let rows: Vec<Result<Vec<Value>, SqlError>> = self
                    .settings
                    .all()
                    .iter()
                    .cloned()
                    .map(|(k, v)| {
                        Ok(vec![Value::Text(k), Value::Text(v), Value::Text(String::new())])
                    })
                    .collect();
                self.finish_implicit(implicit)?;
                let columns: Arc<[Column]> = vec![
                    Column::text("name"),
                    Column::text("setting"),
                    Column::text("description"),
                ]
                .into();
                Outcome::Rows { columns, rows: Box::new(rows.into_iter()), verb: "SHOW" }
            }
            Plan::Reset { name } => {
                match name {
                    Some(name) => self.settings.set(&name, None)?,
                    None => {
                        let user = self.user.clone();
                        let before = self.settings.reported();
                        self.settings = Settings::new(&user);
                        for (name, value) in self.settings.reported() {
                            if !before.contains(&(name.clone(), value.clone())) {
                                self.settings.set(&name, Some(&value))?;
                            }
                        }
                    }
                }
                self.finish_implicit(implicit)?;
                Outcome::Done("RESET".into())
            }
            Plan::Prepare { name, sql, statement, param_types } => {
                if self.prepared.contains_key(&name) {
                    return Err(SqlError::new(
                        sqlstate::DUPLICATE_PREPARED_STATEMENT,
                        format!("prepared statement \"{name}\" already exists"),
                    ));
                }
                let statement =
                    Statement { text: sql, kind: StatementKind::Ast(Arc::from(statement)) };
                let context = BindContext {
                    catalog_version: self.txn_catalog_version,
                    search_path: self.search_path(),
                    search_path_setting: self.search_path_setting().to_string(),
                };
                let prepared = Prepared::prepare_in(self.txn()?, statement, &param_types, context)?;
                self.prepared.insert(name, Arc::new(prepared));
                self.finish_implicit(implicit)?;
                Outcome::Done("PREPARE".into())
            }
            Plan::ExecutePrepared { name, params } => {
                let prepared = self.prepared.get(&name).cloned().ok_or_else(|| {
                    SqlError::new(
                        sqlstate::INVALID_SQL_STATEMENT_NAME,
                        format!("prepared statement \"{name}\" does not exist"),
                    )
                })?;
                if params.len() != prepared.param_types.len() {
                    return Err(SqlError::syntax(format!(
                        "wrong number of parameters for prepared statement \"{name}\"",
                    ))
                    .with_detail(format!(
                        "Expected {} parameters but got {}.",
                        prepared.param_types.len(),
                        params.len()
                    )));
                }
                let mut values = Vec::with_capacity(params.len());
                for (expr, ty) in params.iter().zip(&prepared.param_types) {
                    values.push(expr.eval(&[], &env)?.cast(ty, false)?);
                }
                let plan = self.plan_for(&prepared)?;
                let env = self.env(values);
                return self.run(plan, env, implicit);
            }
            Plan::Deallocate { name } => {
                match name {
                    Some(name) => {
                        if self.prepared.remove(&name).is_none() {
                            return Err(SqlError::new(
                                sqlstate::INVALID_SQL_STATEMENT_NAME,
                                format!("prepared statement \"{name}\" does not exist"),
                            ));
                        }
                    }
                    None => self.prepared.clear(),
                }
                self.finish_implicit(implicit)?;
                Outcome::Done("DEALLOCATE".into())
            }
            Plan::CopyFrom { table, columns, format, options } => {
                if format == CopyFormat::Binary {
                    return Err(SqlError::unsupported(
                        "COPY FROM with FORMAT binary is not supported yet",
                    ));
                }
                let (defaults, checks) = self.table_defaults(&table)?;
                catalog::guard_table(self.txn()?, &table.name);
                let parser = CopyParser::new(format == CopyFormat::Csv, options);
                Outcome::CopyIn(CopyIn {
                    format,
                    column_count: columns.len(),
                    state: Box::new(CopyState {
                        table,
                        columns,
                        parser,
                        defaults,
                        checks,
                        env,
                        rows: 0,
                        implicit,
                    }),
                })
            }
            Plan::CopyTo { query, format, options } => {
                if format == CopyFormat::Binary {
                    return Err(SqlError::unsupported(
                        "COPY TO with FORMAT binary is not supported yet",
                    ));
                }
                let column_count = query.columns.len();
                let header: Vec<Value> =
                    query.columns.iter().map(|c| Value::Text(c.name.clone())).collect();
                let rows = exec::select(self.txn()?, query, env)?;
                self.finish_implicit(implicit)?;
                let rows: RowStream = if options.header {
                    Box::new(std::iter::once(Ok(header)).chain(rows))
                } else {
                    rows
                };
                Outcome::CopyOut { format, column_count, rows }
            }
            Plan::Noop(tag) => {
                self.finish_implicit(implicit)?;
                Outcome::Done(tag.to_string())
            }
        })
    }

    fn table_defaults(&mut self, table: &TableDef) -> Result<super::plan::WriteRules, SqlError> {
        super::binder::write_rules(self.txn()?, table)
    }

    /// The schemas of the session's `search_path`, in order.
    fn search_path(&self) -> Vec<String> {
        self.shared_search_path().to_vec()
    }

    /// [`Session::search_path`], parsed once per setting value.
    fn shared_search_path(&self) -> Arc<[String]> {
        let setting = self.search_path_setting();
        let mut cache = self.search_path_cache.borrow_mut();
        if let Some((parsed_from, path)) = cache.as_ref()
            && parsed_from == setting
        {
            return path.clone();
        }
        let path: Arc<[String]> = super::binder::search_path(setting, &self.user).into();
        *cache = Some((setting.to_string(), path.clone()));
        path
    }

    /// The `search_path` setting's text.
    fn search_path_setting(&self) -> &str {
        self.settings.get("search_path").unwrap_or("public")
    }

    fn savepoint_position(&mut self, name: &str, implicit: bool) -> Result<usize, SqlError> {
        if implicit {
            self.txn = None;
            return Err(SqlError::new(
                sqlstate::NO_ACTIVE_SQL_TRANSACTION,
                "ROLLBACK TO SAVEPOINT can only be used in transaction blocks",
            ));
        }
        self.savepoints.iter().rposition(|(n, _)| n == name).ok_or_else(|| {
            SqlError::new(
                sqlstate::INVALID_SAVEPOINT,
                format!("savepoint \"{name}\" does not exist"),
            )
        })
    }

    fn create_table(
        &mut self,
        mut table: TableDef,
        sequences: Vec<SequenceDef>,
        if_not_exists: bool,
    ) -> Result<Outcome, SqlError> {
        let db = self.db.clone();
        let txn = self.txn()?;
        if let Err(err) = objects::require_free_name(txn, &table.name) {
            if if_not_exists {
                let mut notice = err;
                notice.message = format!("relation \"{}\" already exists, skipping", table.name);
                return Ok(Outcome::DoneWithNotice {
                    tag: "CREATE TABLE".into(),
                    notices: vec![notice],
                });
            }
            return Err(err);
        }
        for mut sequence in sequences {
            objects::require_free_name(txn, &sequence.name)?;
            sequence.id = allocate_object_id(&db)?;
            catalog::put_sequence(txn, &sequence)?;
        }
        table.id = allocate_object_id(&db)?;
        if table.primary_key.is_empty() {
            table.row_id_sequence = Some(allocate_object_id(&db)?);
        }
        for fk in &mut table.foreign_keys {
            if fk.referenced_table == table.name {
                fk.referenced_id = table.id;
            }
        }
        // Nobody else can reach the new table's storage before this commits.
        for prefix in table.storage_prefixes() {
            txn.make_private(prefix);
        }
        catalog::put_table(txn, &table)?;
        catalog::sync_references(txn, None, &table)?;
        Ok(Outcome::Done("CREATE TABLE".into()))
    }

    /// ALTER TABLE: runs each step's data work against the definition before it, then
    /// stores the final definition.
    fn alter_table(
        &mut self,
        table: TableDef,
        steps: Vec<super::plan::AlterStep>,
        env: &Env,
        row_ids: exec::RowIds<'_>,
    ) -> Result<Outcome, SqlError> {
        let db = self.db.clone();
        let txn = self.txn()?;
        let original_name = Some((
            table.name.clone(),
            table.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
        ));
        let original = table.clone();
        let mut before = table;
        let mut row_id_sequence = before.row_id_sequence;
        for step in steps {
            let mut after = step.after;
            after.storage = before.storage;
            if matches!(step.action, super::plan::AlterAction::Rewrite { .. }) {
                // Every row is written anew: into fresh storage, streamed rather than
                // buffered, while the old storage is discarded when this commits.
                exec::discard_storage(txn, &before);
                exec::fresh_storage(txn, &mut after, allocate_object_id(&db)?);
            }
            if after.primary_key.is_empty() && after.row_id_sequence.is_none() {
                if row_id_sequence.is_none() {
                    row_id_sequence = Some(allocate_object_id(&db)?);
                }
                after.row_id_sequence = row_id_sequence;
            }
            exec::run_alter(txn, &before, &after, &step.action, env, row_ids)?;
            catalog::put_table(txn, &after)?;
            before = after;
        }
        objects::foreign_keys_after_alter(txn, &original, &mut before)?;
        crate::sql::binder::check_dependent_views(txn, before.id, &before.name)?;
        // Sequences owned by the table's columns follow renames (DROP TABLE finds them so).
        for (position, column) in before.columns.iter().enumerate() {
            let Some(sequence) = objects::column_sequence(column) else { continue };
            if let Some(mut def) = catalog::get_sequence(txn, &sequence)?
                && let Some((table_name, column_name)) = &def.owned_by
                && (*table_name != before.name || *column_name != column.name)
                && original_name.as_ref().is_some_and(|(name, columns)| {
                    table_name == name && columns.get(position) == Some(column_name)
                })
            {
                def.owned_by = Some((before.name.clone(), column.name.clone()));
                catalog::put_sequence(txn, &def)?;
            }
        }
        Ok(Outcome::Done("ALTER TABLE".into()))
    }

    /// CREATE [UNIQUE] INDEX: builds the entries over the existing rows in this transaction.
    fn create_index(
        &mut self,
        mut table: TableDef,
        mut index: catalog::IndexDef,
        if_not_exists: bool,
        env: &Env,
    ) -> Result<Outcome, SqlError> {
        let txn = self.txn()?;
        if catalog::relation_kind(txn, &index.name)?.is_some() {
            let err = SqlError::new(
                sqlstate::DUPLICATE_TABLE,
                format!("relation \"{}\" already exists", index.name),
            );
            if if_not_exists {
                let mut notice = err;
                notice.message = format!("relation \"{}\" already exists, skipping", index.name);
                return Ok(Outcome::DoneWithNotice {
                    tag: "CREATE INDEX".into(),
                    notices: vec![notice],
                });
            }
            return Err(err);
        }
        index.index_no = table.next_index_no();
        exec::build_index(txn, &table, &index, env)?;
        table.indexes.push(index);
        catalog::put_table(txn, &table)?;
        Ok(Outcome::Done("CREATE INDEX".into()))
    }

    /// DROP INDEX: removes the definitions and their entries.
    fn drop_indexes(&mut self, names: &[String], if_exists: bool) -> Result<Outcome, SqlError> {
        let mut notices = Vec::new();
        let txn = self.txn()?;
        for name in names {
            let tables = catalog::list_tables(txn)?;
            let Some(mut table) = tables.into_iter().find(|t| t.has_index_named(name)) else {
                if if_exists {
                    notices.push(SqlError::new(
                        sqlstate::SUCCESSFUL_COMPLETION,
                        format!("index \"{name}\" does not exist, skipping"),
                    ));
                    continue;
                }
                return Err(SqlError::new(
                    sqlstate::UNDEFINED_OBJECT,
                    format!("index \"{name}\" does not exist"),
                ));
            };
            let Some(position) = table.indexes.iter().position(|i| i.name == *name) else {
                return Err(SqlError::new(
                    sqlstate::DEPENDENT_OBJECTS_STILL_EXIST,
                    format!(
                        "cannot drop index {name} because constraint {name} on table {} requires it",
                        table.name
                    ),
                )
                .with_hint(format!(
                    "You can drop constraint {name} on table {} instead.",
                    table.name
                )));
            };
            let before = table.clone();
            let index = table.indexes.remove(position);
            objects::check_referenced_keys(txn, &before, &table, |index| format!("index {index}"))?;
            exec::drop_index_entries(txn, &table, index.index_no)?;
            catalog::put_table(txn, &table)?;
        }
        let tag = "DROP INDEX".to_string();
        Ok(if notices.is_empty() {
            Outcome::Done(tag)
        } else {
            Outcome::DoneWithNotice { tag, notices }
        })
    }

    /// Ends a block that rolled back (settings changed in it revert).
    fn end_block(&mut self) {
        self.end_block_with(false);
    }

    /// Ends a block; `committed` keeps its SET changes (but not its SET LOCAL ones).
    fn end_block_with(&mut self, committed: bool) {
        if let Some(saved) = self.block_settings.take() {
            if !committed {
                self.settings.revert_to(&saved, None);
            } else if !self.local_settings.is_empty() {
                let names = std::mem::take(&mut self.local_settings);
                self.settings.revert_to(&saved, Some(&names));
            }
        }
        self.local_settings.clear();
        self.txn = None;
        self.block = Block::None;
        self.savepoints.clear();
        self.next_isolation = None;
        self.read_only = false;
    }

    /// The current statement failed: a block becomes Failed; an implicit transaction rolls
    /// back.
    fn statement_failed(&mut self) {
        match self.block {
            Block::Open | Block::Failed => {
                self.block = Block::Failed;
                if self.savepoints.is_empty() {
                    // Nothing can bring this transaction back, only ROLLBACK can end it: let
                    // go of it now so its row locks stop blocking others, as PostgreSQL does.
                    self.txn = None;
                }
            }
            Block::None => {
                self.txn = None;
            }
        }
    }

    /// Feeds COPY FROM STDIN data (any chunking; rows may span chunks).
    pub fn copy_in_data(&mut self, copy: &mut CopyIn, data: &[u8]) -> Result<(), SqlError> {
        let rows = copy.state.parser.feed(data).and_then(|rows| self.copy_rows(copy, rows));
        if rows.is_err() {
            self.statement_failed();
        }
        rows
    }

    fn copy_rows(
        &mut self,
        copy: &mut CopyIn,
        rows: Vec<Vec<Option<String>>>,
    ) -> Result<(), SqlError> {
        let db = self.db.clone();
        let row_ids = move |table: &TableDef| -> Result<i64, SqlError> {
            let id = table
                .row_id_sequence
                .ok_or_else(|| SqlError::internal("table without key has no row-id sequence"))?;
            db.next_value(&SequenceDef::internal(id, format!("{}_rowid", table.name), i64::MAX))
        };
        let txn =
            self.txn.as_mut().ok_or_else(|| SqlError::internal("COPY without a transaction"))?;
        for fields in rows {
            copy.state.env.check_cancel()?;
            let line = copy.state.rows + 1;
            if fields.len() != copy.state.columns.len() {
                let what = if fields.len() < copy.state.columns.len() {
                    "missing data for column"
                } else {
                    "extra data after last expected column"
                };
                return Err(SqlError::new(sqlstate::BAD_COPY_FILE_FORMAT, what.to_string())
                    .with_detail(format!("COPY {}, line {line}", copy.state.table.name)));
            }
            let mut values = Vec::with_capacity(fields.len());
            for (field, &column) in fields.into_iter().zip(&copy.state.columns) {
                let ty = copy
                    .state
                    .table
                    .columns
                    .get(column)
                    .map(|c| c.ty.clone())
                    .unwrap_or(DataType::Text);
                values.push(match field {
                    None => Value::Null,
                    Some(text) => Value::parse_text(&ty, &text).map_err(|e| {
                        e.with_detail(format!("COPY {}, line {line}", copy.state.table.name))
                    })?,
                });
            }
            exec::copy_row(
                txn,
                &copy.state.table,
                &copy.state.columns,
                values,
                (&copy.state.defaults, &copy.state.checks),
                &copy.state.env,
                &row_ids,
            )?;
            copy.state.rows += 1;
        }
        Ok(())
    }

    /// Ends COPY FROM STDIN (CopyDone): inserts what remains and returns the tag `COPY n`.
    pub fn copy_in_done(&mut self, mut copy: CopyIn) -> Result<String, SqlError> {
        let result = copy.state.parser.finish().and_then(|rows| self.copy_rows(&mut copy, rows));
        match result.and_then(|()| self.finish_implicit(copy.state.implicit)) {
            Ok(()) => Ok(format!("COPY {}", copy.state.rows)),
            Err(err) => {
                self.statement_failed();
                Err(err)
            }
        }
    }

    /// Marks the current statement failed from outside (a Bind that could not decode a
    /// parameter, CopyFail, an error while streaming rows, a vanished client): a transaction
    /// block becomes Failed; an implicit transaction rolls back.
    pub fn fail_statement(&mut self) {
        self.statement_failed();
    }

    /// Ends the session: rolls back any open transaction.
    pub fn terminate(&mut self) {
        self.end_block();
    }

    /// ReadyForQuery status.
    pub fn txn_status(&self) -> TxnStatus {
        match self.block {
            Block::None => TxnStatus::Idle,
            Block::Open => TxnStatus::InBlock,
            Block::Failed => TxnStatus::Failed,
        }
    }

    /// The process id this session reports (`pg_backend_pid()`); the wire layer sets it to the
    /// id it announced in BackendKeyData.
    pub fn set_backend_pid(&mut self, pid: i32) {
        self.backend_pid = pid;
    }

    /// Flag a CancelRequest sets; the running statement then fails with 57014.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }

    /// Named prepared statements; the wire protocol's Parse/Close and SQL PREPARE/DEALLOCATE
    /// share this namespace, as in PostgreSQL.
    pub fn prepared_statements(&mut self) -> &mut HashMap<String, Arc<Prepared>> {
        &mut self.prepared
    }
}

/// A new object id. Ids come from an internal sequence, outside the user's transaction, so
/// concurrent CREATEs never conflict over a counter (a rolled-back CREATE leaves a gap).
fn allocate_object_id(db: &Database) -> Result<u32, SqlError> {
    let ids = SequenceDef::internal(
        0,
        "object ids".into(),
        i64::from(u32::MAX) - i64::from(catalog::FIRST_USER_OID),
    );
    let id = db.next_value(&ids)?;
    u32::try_from(id)
        .map_err(|_| SqlError::new(sqlstate::PROGRAM_LIMIT_EXCEEDED, "out of object ids"))
}

fn dml_outcome(
    verb: &'static str,
    columns: Arc<[Column]>,
    has_returning: bool,
    rows: Vec<Vec<Value>>,
    count: u64,
) -> Outcome {
    if has_returning {
        Outcome::Rows { columns, rows: Box::new(rows.into_iter().map(Ok)), verb }
    } else {
        Outcome::Done(completion_tag(verb, count))
    }
}

fn aborted() -> SqlError {
    SqlError::new(
        sqlstate::IN_FAILED_SQL_TRANSACTION,
        "current transaction is aborted, commands ignored until end of transaction block",
    )
}

fn isolation_from(text: &str) -> IsolationLevel {
    if text.eq_ignore_ascii_case("serializable") {
        IsolationLevel::Serializable
    } else {
        IsolationLevel::Snapshot
    }
}

fn is_transaction_end(statement: &Statement) -> bool {
    match &statement.kind {
        StatementKind::Ast(ast) => {
            matches!(ast.as_ref(), ast::Statement::Rollback { .. } | ast::Statement::Commit { .. })
        }
        StatementKind::Special(_) => false,
    }
}

/// Statements sqlparser does not parse (or parses differently), recognised by their words.
fn special_statement(text: &str) -> Option<Plan> {
    let words: Vec<String> =
        text.split_whitespace().take(3).map(|w| w.trim_end_matches(';').to_lowercase()).collect();
    let first = words.first()?.as_str();
    let second = words.get(1).map(String::as_str);
    Some(match (first, second) {
        ("vacuum", _) => Plan::Noop("VACUUM"),
        ("analyze" | "analyse", _) => Plan::Noop("ANALYZE"),
        ("checkpoint", None) => Plan::Noop("CHECKPOINT"),
        ("discard", Some("all")) => Plan::Noop("DISCARD ALL"),
        ("unlisten", _) => Plan::Noop("UNLISTEN"),
        ("close", Some("all")) => Plan::Noop("CLOSE CURSOR ALL"),
        ("reset", Some("all")) => Plan::Reset { name: None },
        ("reset", Some(name)) if words.len() == 2 => Plan::Reset { name: Some(name.to_string()) },
        ("end", None) | ("end", Some("transaction" | "work")) => Plan::Commit,
        ("alter", Some("sequence")) => match parser::parse_alter_sequence(text) {
            Ok(alter) => Plan::AlterSequence(Box::new(alter)),
            Err(_) => return None,
        },
        ("abort", None) | ("abort", Some("transaction" | "work")) => Plan::Rollback,
        _ => return None,
    })
}
