//! EXPLAIN: a bound plan as PostgreSQL-style text, one line per row of a single `QUERY PLAN`
//! column. Our operators map to PostgreSQL's node names (`Seq Scan on t`, `Index Scan using
//! t_pkey on t` with `Index Cond:`, `Hash Join` with `Hash Cond:` over `Hash`, `Nested
//! Loop`, `HashAggregate` with `Group Key:`, `Sort` with `Sort Key:`, `Limit`, `Unique`,
//! `WindowAgg`, `CTE Scan`, `Recursive Union`, `Append`, `HashSetOp`, `Insert on t`, ...)
//! and children are indented under `->  ` as PostgreSQL prints them.
//!
//! There is no cost model, so no `(cost=...)` part is printed. With ANALYZE the statement
//! has run with instrumentation on (see `exec::instrument`), and each node shows its
//! `(actual time=A..B rows=N loops=L)`, read from the counters the plan carries; a few nodes
//! that are part of another operator here (the `Hash` under a hash join, the `Sort` under a
//! window, `Append` under a set operation) show their input's counts.
//!
//! Depends on: `sql::plan`, `sql::expr`, `sql::exec` (counters), `sql::catalog`.

mod access;
mod deparse;
mod names;
mod node;

use super::catalog::TableDef;
use super::exec::{NodeStats, StatsSnapshot};
use super::expr::{Expr, Subquery, SubqueryKind};
use super::plan::{
    Access, CommonTable, CommonTableBody, ExplainPlan, JoinKind, LookupJoin, OnConflict, Plan,
    SelectPlan, SetOpKind, Source,
};
use access::{
    ConditionValues, IndexCondition, conjuncts, index_conditions, index_name, index_of,
    key_columns, matches, operator_text,
};
use deparse::{Context, deparse, quote_ident};
use names::{relations, source_names};
use node::{Counters, MemoryLine, Node, print};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

/// The lines of EXPLAIN's output for `explain`; `execution` is the run's time under ANALYZE
/// and `returned` the rows a DML statement returned (RETURNING).
pub fn render(explain: &ExplainPlan, execution: Option<Duration>, returned: u64) -> Vec<String> {
    let mut explainer = Explainer {
        verbose: explain.verbose,
        analyze: explain.analyze,
        qualify: explain.verbose || relations(&explain.statement) > 1,
        next_plan: 1,
        next_param: 0,
        subqueries: HashMap::new(),
        pending: Vec::new(),
        ctes: Vec::new(),
        ctes_shown: HashSet::new(),
    };
    let statement = explainer.statement(&explain.statement, execution, returned);
    let mut lines = Vec::new();
    let analyze = explain.analyze.then_some(explain.timing);
    print(&statement, 0, false, analyze, &mut lines);
    if explain.summary {
        lines.push(format!("Planning Time: {:.3} ms", millis(explain.planning)));
        if let Some(execution) = execution {
            lines.push(format!("Execution Time: {:.3} ms", millis(execution)));
        }
    }
    lines
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// A subquery waiting to be printed under the node whose expression referred to it.
struct PendingSubquery {
    label: String,
    init: bool,
    plan: Arc<SelectPlan>,
    /// How the enclosing row's columns print (for its outer references).
    outer: Vec<String>,
}

/// Builds the node tree of one statement.
struct Explainer {
    verbose: bool,
    /// The statement ran (ANALYZE): show what the executor decided at run time.
    analyze: bool,
    qualify: bool,
    /// Numbers of SubPlans / InitPlans and of InitPlan results (`$n`).
    next_plan: usize,
    next_param: usize,
    /// The reference text of each subquery seen (by plan address).
    subqueries: HashMap<usize, String>,
    pending: Vec<PendingSubquery>,
    /// WITH queries referenced by the query being built, to print under its top node.
    ctes: Vec<Arc<CommonTable>>,
    ctes_shown: HashSet<usize>,
}

/// A table as a statement reads it: under which name, through which access path.
struct TableScan<'a> {
    table: &'a TableDef,
    qualifier: &'a str,
    access: &'a Access,
}

/// The names of a row's columns: (qualifier, name).
type Names = [(Option<String>, String)];

/// Deparsing over one row layout.
struct Row<'a> {
    columns: &'a [String],
    outer: &'a [String],
    explainer: &'a mut Explainer,
}

impl Context for Row<'_> {
    fn column(&self, i: usize) -> String {
        self.columns.get(i).cloned().unwrap_or_else(|| format!("${}", i + 1))
    }

    fn outer(&self, i: usize) -> String {
        self.outer.get(i).cloned().unwrap_or_else(|| "?".to_string())
    }

    fn subquery(&mut self, subquery: &Subquery, kind: SubqueryKind) -> String {
        let key = Arc::as_ptr(&subquery.plan) as usize;
        if let Some(text) = self.explainer.subqueries.get(&key) {
            return text.clone();
        }
        let number = self.explainer.next_plan;
        self.explainer.next_plan += 1;
        let init = !subquery.correlated
            && matches!(kind, SubqueryKind::Scalar | SubqueryKind::Exists | SubqueryKind::Array);
        let (label, text) = if init {
            let param = self.explainer.next_param;
            self.explainer.next_param += 1;
            (format!("InitPlan {number} (returns ${param})"), format!("${param}"))
        } else if !subquery.correlated && matches!(kind, SubqueryKind::In { .. }) {
            (format!("SubPlan {number}"), format!("hashed SubPlan {number}"))
        } else {
            (format!("SubPlan {number}"), format!("(SubPlan {number})"))
        };
        self.explainer.subqueries.insert(key, text.clone());
        self.explainer.pending.push(PendingSubquery {
            label,
            init,
            plan: subquery.plan.clone(),
            outer: self.columns.to_vec(),
        });
        text
    }
}

impl Explainer {
    fn expr(&mut self, expr: &Expr, columns: &[String], outer: &[String]) -> String {
        deparse(expr, &mut Row { columns, outer, explainer: self })
    }

    fn exprs(&mut self, exprs: &[Expr], columns: &[String], outer: &[String]) -> Vec<String> {
        exprs.iter().map(|e| self.expr(e, columns, outer)).collect()
    }

    /// How a column prints: qualified when the statement reads several relations.
    fn column(&self, (qualifier, name): &(Option<String>, String)) -> String {
        match qualifier {
            Some(q) if self.qualify => format!("{}.{}", quote_ident(q), quote_ident(name)),
            _ => quote_ident(name),
        }
    }

    fn relation(&self, table: &str) -> String {
        if self.verbose { format!("public.{}", quote_ident(table)) } else { quote_ident(table) }
    }

    /// Attaches the subqueries referred to since `mark` to `node`.
    fn attach_subqueries(&mut self, mark: usize, node: &mut Node) {
        let pending = self.pending.split_off(mark.min(self.pending.len()));
        for subquery in pending {
            let child = self.select(&subquery.plan, &subquery.outer);
            if subquery.init {
                node.init.push((subquery.label, child));
            } else {
                node.subplans.push((subquery.label, child));
            }
        }
    }

    fn statement(&mut self, plan: &Plan, execution: Option<Duration>, returned: u64) -> Node {
        let run = StatsSnapshot {
            loops: 1,
            rows: returned,
            removed: 0,
            startup_nanos: execution.map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(0)),
            total_nanos: execution.map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(0)),
            peak_memory: 0,
        };
        match plan {
            Plan::Select(select) => self.select(select, &[]),
            Plan::Insert(insert) => {
                let mut node = Node::new(
                    format!("Insert on {}", self.relation(&insert.table.name)),
                    Counters::Fixed(run),
                );
                match &insert.on_conflict {
                    OnConflict::Error => {}
                    OnConflict::DoNothing => {
                        node.details.push("Conflict Resolution: NOTHING".to_string());
                    }
                    OnConflict::DoUpdate { .. } => {
                        node.details.push("Conflict Resolution: UPDATE".to_string());
                    }
                }
                let source = self.select(&insert.source, &[]);
                node.over(source)
            }
            Plan::Update(update) => {
                let scan = self.write_scan(
                    &update.table,
                    &update.qualifier,
                    &update.access,
                    update.filter.as_ref(),
                    &update.stats,
                );
                let name = format!("Update on {}", self.target(&update.table, &update.qualifier));
                Node::new(name, Counters::Fixed(run)).over(scan)
            }
            Plan::Delete(delete) => {
                let scan = self.write_scan(
                    &delete.table,
                    &delete.qualifier,
                    &delete.access,
                    delete.filter.as_ref(),
                    &delete.stats,
                );
                let name = format!("Delete on {}", self.target(&delete.table, &delete.qualifier));
                Node::new(name, Counters::Fixed(run)).over(scan)
            }
            _ => Node::new("Result", Counters::Fixed(run)),
        }
    }

    fn target(&self, table: &TableDef, qualifier: &str) -> String {
        let relation = self.relation(&table.name);
        if qualifier == table.name {
            relation
        } else {
            format!("{relation} {}", quote_ident(qualifier))
        }
    }

    /// The scan of an UPDATE / DELETE.
    fn write_scan(
        &mut self,
        table: &Arc<TableDef>,
        qualifier: &str,
        access: &Access,
        filter: Option<&Expr>,
        stats: &Arc<NodeStats>,
    ) -> Node {
        let names: Vec<(Option<String>, String)> =
            table.columns.iter().map(|c| (Some(qualifier.to_string()), c.name.clone())).collect();
        let columns: Vec<String> = names.iter().map(|n| self.column(n)).collect();
        let scan = TableScan { table, qualifier, access };
        let mut node = self.table_scan(scan, filter, &columns, stats, &[]);
        if self.verbose {
            node.output = Some(columns);
        }
        node
    }

    /// The nodes of a SELECT; `outer` is how the enclosing row prints (correlated
    /// subqueries).
    fn select(&mut self, plan: &SelectPlan, outer: &[String]) -> Node {
        let cte_mark = self.ctes.len();
        let names: Vec<(Option<String>, String)> = if plan.input_names.is_empty() {
            source_names(&plan.source)
        } else {
            plan.input_names.to_vec()
        };
        let columns: Vec<String> = names.iter().map(|n| self.column(n)).collect();
        let mut node =
            self.source(&plan.source, &names, plan.filter.as_ref(), plan.stats.source(), outer);
        if self.verbose {
            node.output = Some(columns.clone());
        }
        let mut row = columns;
        if let Some(grouping) = &plan.grouping {
            let mark = self.pending.len();
            let keys = self.exprs(&grouping.keys, &row, outer);
            let mut aggregates = Vec::with_capacity(grouping.aggregates.len());
            for aggregate in &grouping.aggregates {
                let text = deparse::aggregate(
                    aggregate,
                    &mut Row { columns: &row, outer, explainer: self },
                );
                aggregates.push(text);
            }
            let name = if keys.is_empty() { "Aggregate" } else { "HashAggregate" };
            let mut group = Node::new(name, Counters::Slot(plan.stats.aggregate().clone()));
            if !keys.is_empty() {
                group.memory = Some((MemoryLine::Hash, plan.stats.aggregate().clone()));
            }
            if !keys.is_empty() {
                group.details.push(format!("Group Key: {}", keys.join(", ")));
            }
            let mut grouped = keys;
            grouped.extend(aggregates);
            let having = plan.having.as_ref().map(|h| self.expr(h, &grouped, outer));
            group.filter(having);
            if self.verbose {
                group.output = Some(grouped.clone());
            }
            self.attach_subqueries(mark, &mut group);
            node = group.over(node);
            row = grouped;
        }
        if !plan.windows.is_empty() {
            node = self.windows(plan, node, &mut row, outer);
        }
        let mark = self.pending.len();
        let projection = self.exprs(&plan.projection, &row, outer);
        let mut top_subqueries = self.pending.split_off(mark.min(self.pending.len()));
        if plan.distinct || !plan.distinct_on.is_empty() {
            let mut keys = deparse::sort_keys(
                &plan.order_by,
                &mut Row { columns: &row, outer, explainer: self },
            );
            if keys.is_empty() {
                keys = self.exprs(&plan.distinct_on, &row, outer);
                keys = keys.into_iter().map(deparse::sort_key).collect();
            }
            if plan.distinct {
                for item in &projection {
                    let item = deparse::sort_key(item.clone());
                    if !keys.contains(&item) {
                        keys.push(item);
                    }
                }
            }
            let mut sort = Node::new("Sort", Counters::Slot(plan.stats.sort().clone()))
                .detail(format!("Sort Key: {}", keys.join(", ")));
            let top_n = false;
            sort.memory = Some((MemoryLine::Sort { top_n }, plan.stats.sort().clone()));
            node = Node::new("Unique", Counters::Slot(plan.stats.unique().clone()))
                .over(sort.over(node));
        } else if !plan.order_by.is_empty() {
            let keys = deparse::sort_keys(
                &plan.order_by,
                &mut Row { columns: &row, outer, explainer: self },
            );
            let mut sort = Node::new("Sort", Counters::Slot(plan.stats.sort().clone()))
                .detail(format!("Sort Key: {}", keys.join(", ")));
            // The executor keeps only OFFSET + LIMIT rows then (see `exec::select`).
            let top_n = plan.limit.is_some() && !plan.with_ties;
            sort.memory = Some((MemoryLine::Sort { top_n }, plan.stats.sort().clone()));
            node = sort.over(node);
        }
        top_subqueries.extend(self.pending.split_off(mark.min(self.pending.len())));
        if plan.limit.is_some() || plan.offset.is_some() {
            node = Node::new("Limit", Counters::Slot(plan.stats.limit().clone())).over(node);
        }
        if self.verbose {
            node.output = Some(projection);
        }
        let mark = self.pending.len();
        self.pending.extend(top_subqueries);
        self.attach_subqueries(mark, &mut node);
        let ctes = self.ctes.split_off(cte_mark.min(self.ctes.len()));
        for cte in ctes {
            let body = self.cte_body(&cte);
            node.init.insert(0, (format!("CTE {}", quote_ident(&cte.name)), body));
        }
        node
    }

    /// WindowAgg nodes (one per distinct window, each over a Sort by its PARTITION BY and
    /// ORDER BY keys); the window results join `row`.
    fn windows(
        &mut self,
        plan: &SelectPlan,
        mut node: Node,
        row: &mut Vec<String>,
        outer: &[String],
    ) -> Node {
        let mut specs: Vec<String> = Vec::new();
        let mut results = Vec::new();
        for window in &plan.windows {
            let mut cx = Row { columns: row, outer, explainer: self };
            let spec = deparse::window_spec(window, &mut cx);
            results.push(deparse::window_function(window, &mut cx));
            if specs.contains(&spec) {
                continue;
            }
            specs.push(spec);
            let mut keys: Vec<String> = self
                .exprs(&window.partition_by, row, outer)
                .into_iter()
                .map(deparse::sort_key)
                .collect();
            keys.extend(deparse::sort_keys(
                &window.order_by,
                &mut Row { columns: row, outer, explainer: self },
            ));
            if !keys.is_empty() {
                node = Node::new("Sort", Counters::SameAsChild)
                    .detail(format!("Sort Key: {}", keys.join(", ")))
                    .over(node);
            }
            node = Node::new("WindowAgg", Counters::SameAsChild).over(node);
        }
        node.counters = Counters::Slot(plan.stats.window().clone());
        row.extend(results);
        if self.verbose {
            node.output = Some(row.clone());
        }
        node
    }

    /// The body of a WITH query.
    fn cte_body(&mut self, cte: &CommonTable) -> Node {
        match &cte.body {
            CommonTableBody::Plain(plan) => self.select(plan, &[]),
            CommonTableBody::Recursive { anchor, step, .. } => {
                let anchor = self.select(anchor, &[]);
                let step = self.select(step, &[]);
                Node::new("Recursive Union", Counters::Slot(cte.stats.clone()))
                    .over(anchor)
                    .over(step)
            }
        }
    }

    /// The node reading `source` (whose columns are named `names`), with `filter` (over its
    /// rows) applied there.
    fn source(
        &mut self,
        source: &Source,
        names: &Names,
        filter: Option<&Expr>,
        stats: &Arc<NodeStats>,
        outer: &[String],
    ) -> Node {
        let columns: Vec<String> = names.iter().map(|n| self.column(n)).collect();
        let qualifier = names.first().and_then(|(q, _)| q.clone());
        let slot = || Counters::Slot(stats.clone());
        let mark = self.pending.len();
        let mut node = match source {
            Source::Filter { input, predicate } => {
                let both = match filter {
                    Some(f) => Expr::And(Box::new(predicate.clone()), Box::new(f.clone())),
                    None => predicate.clone(),
                };
                return self.source(input, names, Some(&both), stats, outer);
            }
            Source::Table { table, access } => {
                let qualifier = qualifier.unwrap_or_else(|| table.name.clone());
                let scan = TableScan { table, qualifier: &qualifier, access };
                self.table_scan(scan, filter, &columns, stats, outer)
            }
            Source::Join(join) => {
                let (lw, rw) = (join.left_width, join.right_width);
                let left_names = names.get(..lw).unwrap_or_default();
                let right_names = names.get(lw..lw + rw).unwrap_or_default();
                let left = self.source(&join.left, left_names, None, &join.left_stats, outer);
                let right = self.source(&join.right, right_names, None, &join.right_stats, outer);
                let hashed = !join.keys.is_empty();
                let kind = match join.kind {
                    JoinKind::Inner => "",
                    JoinKind::Left => " Left",
                    JoinKind::Right => " Right",
                    JoinKind::Full => " Full",
                };
                let name = match (hashed, join.kind) {
                    (true, _) => format!("Hash{kind} Join"),
                    (false, JoinKind::Inner) => "Nested Loop".to_string(),
                    (false, _) => format!("Nested Loop{kind} Join"),
                };
                let mut node = Node::new(name, slot());
                let left_columns = columns.get(..lw).unwrap_or_default().to_vec();
                let right_columns = columns.get(lw..lw + rw).unwrap_or_default().to_vec();
                if hashed {
                    let mut parts = Vec::new();
                    for (l, r) in &join.keys {
                        let l = self.expr(l, &left_columns, outer);
                        let r = self.expr(r, &right_columns, outer);
                        parts.push(format!("({l} = {r})"));
                    }
                    let cond = if parts.len() == 1 {
                        parts.concat()
                    } else {
                        format!("({})", parts.join(" AND "))
                    };
                    node.details.push(format!("Hash Cond: {cond}"));
                }
                if let Some(condition) = &join.condition {
                    let text = self.expr(condition, &columns, outer);
                    node.details.push(format!("Join Filter: {text}"));
                }
                let text = filter.map(|f| self.expr(f, &columns, outer));
                node.filter(text);
                let inner = if hashed {
                    let mut hash = Node::new("Hash", Counters::SameAsChild);
                    hash.memory = Some((MemoryLine::Hash, stats.clone()));
                    hash.over(right)
                } else {
                    Node::new("Materialize", Counters::SameAsChild).over(right)
                };
                if self.verbose {
                    node.output = Some(columns.clone());
                }
                node.over(left).over(inner)
            }
            Source::Lookup(lookup) => {
                return self.lookup_join(lookup, names, filter, stats, outer);
            }
            Source::Sequence(sequence) => {
                let name = format!("Seq Scan on {}", self.relation(&sequence.name));
                self.leaf(name, slot(), filter, &columns, outer)
            }
            Source::Query(plan) => {
                // A subquery in FROM names every column after its alias; a wrapper the
                // planner made (a re-ordered join chain) has its tables' names.
                let qualifier =
                    qualifier.filter(|q| names.iter().all(|(n, _)| n.as_ref() == Some(q)));
                let mut inner = self.select(plan, &[]);
                let transparent = plan.grouping.is_none()
                    && plan.windows.is_empty()
                    && plan.order_by.is_empty()
                    && !plan.distinct
                    && plan.distinct_on.is_empty()
                    && plan.limit.is_none()
                    && plan.offset.is_none();
                match qualifier {
                    None if filter.is_none() => return inner,
                    // An unnamed wrapper (a re-ordered join chain): its filter shows on the
                    // node it wraps, with the counts of the filtered rows.
                    None if transparent => {
                        let text = filter.map(|f| self.expr(f, &columns, outer));
                        inner.counters = slot();
                        inner.filter(text);
                        inner
                    }
                    _ => {
                        let name = qualifier.unwrap_or_else(|| "unnamed_subquery".to_string());
                        let mut node =
                            Node::new(format!("Subquery Scan on {}", quote_ident(&name)), slot());
                        let text = filter.map(|f| self.expr(f, &columns, outer));
                        node.filter(text);
                        node.over(inner)
                    }
                }
            }
            Source::SetOp(op) => {
                let left = self.select(&op.left, &[]);
                let right = self.select(&op.right, &[]);
                let mut node = match (op.kind, op.all) {
                    (SetOpKind::Union, true) => Node::new("Append", slot()).over(left).over(right),
                    (SetOpKind::Union, false) => {
                        let append =
                            Node::new("Append", Counters::SumOfChildren).over(left).over(right);
                        Node::new("HashAggregate", slot())
                            .detail(format!("Group Key: {}", columns.join(", ")))
                            .over(append)
                    }
                    (kind, all) => {
                        let name =
                            if kind == SetOpKind::Intersect { "Intersect" } else { "Except" };
                        let all = if all { " All" } else { "" };
                        let branch = |n: usize, child: Node| {
                            Node::new(
                                format!("Subquery Scan on \"*SELECT* {n}\""),
                                Counters::SameAsChild,
                            )
                            .over(child)
                        };
                        let append = Node::new("Append", Counters::SumOfChildren)
                            .over(branch(1, left))
                            .over(branch(2, right));
                        Node::new(format!("HashSetOp {name}{all}"), slot()).over(append)
                    }
                };
                let text = filter.map(|f| self.expr(f, &columns, outer));
                node.filter(text);
                node
            }
            Source::CommonTable(cte) => {
                let key = Arc::as_ptr(cte) as usize;
                if self.ctes_shown.insert(key) {
                    self.ctes.push(cte.clone());
                }
                let mut name = format!("CTE Scan on {}", quote_ident(&cte.name));
                if let Some(alias) = qualifier.filter(|q| *q != cte.name) {
                    name.push_str(&format!(" {}", quote_ident(&alias)));
                }
                self.leaf(name, slot(), filter, &columns, outer)
            }
            Source::WorkingTable(_) => {
                let name = qualifier.unwrap_or_else(|| "worktable".to_string());
                let name = format!("WorkTable Scan on {}", quote_ident(&name));
                self.leaf(name, slot(), filter, &columns, outer)
            }
            Source::Series { .. } | Source::Unnest { .. } => {
                let function = if matches!(source, Source::Series { .. }) {
                    "generate_series"
                } else {
                    "unnest"
                };
                let mut name = format!("Function Scan on {function}");
                if let Some(alias) = qualifier.filter(|q| q != function) {
                    name.push_str(&format!(" {}", quote_ident(&alias)));
                }
                self.leaf(name, slot(), filter, &columns, outer)
            }
            Source::Rows(_) => {
                let name = qualifier.unwrap_or_else(|| "system".to_string());
                self.leaf(
                    format!("Seq Scan on {}", quote_ident(&name)),
                    slot(),
                    filter,
                    &columns,
                    outer,
                )
            }
            Source::Values(rows) => {
                let name = if rows.len() == 1 { "Result" } else { "Values Scan on \"*VALUES*\"" };
                self.leaf(name.to_string(), slot(), filter, &columns, outer)
            }
            Source::Single => self.leaf("Result".to_string(), slot(), filter, &columns, outer),
        };
        if self.verbose && node.output.is_none() {
            node.output = Some(columns);
        }
        self.attach_subqueries(mark, &mut node);
        node
    }

    /// An index nested-loop join: a `Nested Loop` whose inner side is an `Index Scan` looked
    /// up once per outer row. Under ANALYZE, when the executor found the outer side too big
    /// and hash-joined instead, the plan that ran is shown: a `Hash Join` over a full scan.
    fn lookup_join(
        &mut self,
        lookup: &LookupJoin,
        names: &Names,
        filter: Option<&Expr>,
        stats: &Arc<NodeStats>,
        outer: &[String],
    ) -> Node {
        let mark = self.pending.len();
        let (lw, rw) = (lookup.left_width, lookup.right_width);
        let columns: Vec<String> = names.iter().map(|n| self.column(n)).collect();
        let left_names = names.get(..lw).unwrap_or_default();
        let left = self.source(&lookup.left, left_names, None, &lookup.left_stats, outer);
        let left_columns = columns.get(..lw).unwrap_or_default().to_vec();
        let right_columns = columns.get(lw..lw + rw).unwrap_or_default().to_vec();
        let table = &lookup.table;
        let qualifier =
            names.get(lw).and_then(|(q, _)| q.clone()).unwrap_or_else(|| table.name.clone());
        let target = self.target(table, &qualifier);
        let key_columns = key_columns(table, lookup.index_no);
        let mut keys = Vec::with_capacity(lookup.left_keys.len());
        for (left_key, column) in lookup.left_keys.iter().zip(&key_columns) {
            let left_text = self.expr(left_key, &left_columns, outer);
            let right_text = right_columns.get(*column).cloned().unwrap_or_default();
            keys.push((left_text, right_text));
        }
        let right_filter =
            lookup.right_filter.as_ref().map(|f| self.expr(f, &right_columns, outer));
        let hashed = self.analyze && lookup.hashed.load(std::sync::atomic::Ordering::Relaxed);
        let left_join = lookup.kind == JoinKind::Left;
        let (mut node, inner) = if hashed {
            let cond: Vec<String> = keys.iter().map(|(l, r)| format!("({l} = {r})")).collect();
            let cond =
                if cond.len() == 1 { cond.concat() } else { format!("({})", cond.join(" AND ")) };
            let name = if left_join { "Hash Left Join" } else { "Hash Join" };
            let node =
                Node::new(name, Counters::Slot(stats.clone())).detail(format!("Hash Cond: {cond}"));
            let mut scan = Node::new(
                format!("Seq Scan on {target}"),
                Counters::Slot(lookup.right_stats.clone()),
            );
            scan.filter(right_filter);
            let mut hash = Node::new("Hash", Counters::SameAsChild);
            hash.memory = Some((MemoryLine::Hash, stats.clone()));
            (node, hash.over(scan))
        } else {
            let name = if left_join { "Nested Loop Left Join" } else { "Nested Loop" };
            let node = Node::new(name, Counters::Slot(stats.clone()));
            let index = index_name(table, lookup.index_no).unwrap_or_default();
            let mut scan = Node::new(
                format!("Index Scan using {} on {target}", quote_ident(&index)),
                Counters::Slot(lookup.right_stats.clone()),
            );
            let cond: Vec<String> = keys.iter().map(|(l, r)| format!("({r} = {l})")).collect();
            let cond =
                if cond.len() == 1 { cond.concat() } else { format!("({})", cond.join(" AND ")) };
            scan.details.push(format!("Index Cond: {cond}"));
            scan.filter(right_filter);
            (node, scan)
        };
        if let Some(condition) = &lookup.condition {
            let text = self.expr(condition, &columns, outer);
            node.details.push(format!("Join Filter: {text}"));
        }
        let text = filter.map(|f| self.expr(f, &columns, outer));
        node.filter(text);
        if self.verbose {
            node.output = Some(columns);
        }
        self.attach_subqueries(mark, &mut node);
        node.over(left).over(inner)
    }

    /// A scan node without access path details.
    fn leaf(
        &mut self,
        name: String,
        counters: Counters,
        filter: Option<&Expr>,
        columns: &[String],
        outer: &[String],
    ) -> Node {
        let mut node = Node::new(name, counters);
        let text = filter.map(|f| self.expr(f, columns, outer));
        node.filter(text);
        node
    }

    /// A table read through its access path: `Seq Scan`, or `Index Scan using <index>` with
    /// the `Index Cond:` the access path uses, and the rest of the filter.
    fn table_scan(
        &mut self,
        scan: TableScan<'_>,
        filter: Option<&Expr>,
        columns: &[String],
        stats: &Arc<NodeStats>,
        outer: &[String],
    ) -> Node {
        let TableScan { table, qualifier, access } = scan;
        let target = self.target(table, qualifier);
        let conds = index_conditions(table, access);
        let covered: Vec<&Expr> = conds.iter().flat_map(|c| c.covers.iter()).collect();
        let mut node = match index_of(table, access) {
            None => Node::new(format!("Seq Scan on {target}"), Counters::Slot(stats.clone())),
            Some(index) => {
                let direction = if matches!(access, Access::Backward(_)) {
                    "Index Scan Backward"
                } else {
                    "Index Scan"
                };
                let mut node = Node::new(
                    format!("{direction} using {} on {target}", quote_ident(&index)),
                    Counters::Slot(stats.clone()),
                );
                let texts: Vec<String> =
                    conds.iter().map(|c| self.condition(c, columns, outer)).collect();
                let text = match texts.len() {
                    0 => None,
                    1 => Some(texts.concat()),
                    _ => Some(format!("({})", texts.join(" AND "))),
                };
                if let Some(text) = text {
                    node.details.push(format!("Index Cond: {text}"));
                }
                node
            }
        };
        if let Some(filter) = filter {
            let rest: Vec<&Expr> = conjuncts(filter)
                .into_iter()
                .filter(|part| !covered.iter().any(|c| matches(part, c)))
                .collect();
            let text = match rest.as_slice() {
                [] => None,
                [one] => Some(self.expr(one, columns, outer)),
                many => {
                    let texts: Vec<String> =
                        many.iter().map(|p| self.expr(p, columns, outer)).collect();
                    Some(format!("({})", texts.join(" AND ")))
                }
            };
            node.filter(text);
        }
        node
    }

    fn condition(&mut self, cond: &IndexCondition, columns: &[String], outer: &[String]) -> String {
        let column = columns.get(cond.column).cloned().unwrap_or_default();
        match &cond.values {
            ConditionValues::One(op, value) => {
                let value = self.expr(value, columns, outer);
                format!("({column} {} {value})", operator_text(*op))
            }
            ConditionValues::Any(values) => {
                let list = Expr::InList {
                    expr: Box::new(Expr::Column(cond.column)),
                    list: values.clone(),
                    negated: false,
                };
                self.expr(&list, columns, outer)
            }
            ConditionValues::Or(lookups) => {
                let mut texts = Vec::with_capacity(lookups.len());
                for conds in lookups {
                    let parts: Vec<String> =
                        conds.iter().map(|c| self.condition(c, columns, outer)).collect();
                    texts.push(if parts.len() == 1 {
                        parts.concat()
                    } else {
                        format!("({})", parts.join(" AND "))
                    });
                }
                format!("({})", texts.join(" OR "))
            }
        }
    }
}
