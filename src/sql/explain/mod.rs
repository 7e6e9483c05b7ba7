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

mod deparse;

use super::catalog::TableDef;
use super::exec::{NodeStats, StatsSnapshot};
use super::expr::{Expr, Subquery, SubqueryKind};
use super::plan::{
    Access, CommonTable, CommonTableBody, ExplainPlan, JoinKind, LookupJoin, OnConflict, Plan,
    SelectPlan, SetOpKind, Source,
};
use super::types::BinaryOp;
use deparse::{Context, deparse, quote_ident};
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

/// One plan node as printed.
struct Node {
    name: String,
    /// `Output:` (VERBOSE).
    output: Option<Vec<String>>,
    /// Property lines (`Filter: ...`, `Sort Key: ...`).
    details: Vec<String>,
    counters: Counters,
    /// Whether it applies a filter (ANALYZE prints the rows it removed).
    filters: bool,
    /// InitPlans and WITH queries, printed before the children.
    init: Vec<(String, Node)>,
    children: Vec<Node>,
    /// Correlated subqueries, printed after the children.
    subplans: Vec<(String, Node)>,
    /// ANALYZE's memory line: which kind, and the counters holding the peak.
    memory: Option<(MemoryLine, Arc<NodeStats>)>,
}

/// How a node reports the memory it held (as PostgreSQL words it).
enum MemoryLine {
    /// `Sort Method: quicksort  Memory: 25kB` (`top-N heapsort` under a LIMIT).
    Sort { top_n: bool },
    /// `Batches: 1  Memory Usage: 24kB` (HashAggregate, Hash).
    Hash,
}

/// Where a node's ANALYZE counts come from.
enum Counters {
    Slot(Arc<NodeStats>),
    /// Part of its parent's operator here: its input's counts.
    SameAsChild,
    /// The concatenation of its children (Append).
    SumOfChildren,
    Fixed(StatsSnapshot),
}

impl Node {
    fn new(name: impl Into<String>, counters: Counters) -> Node {
        Node {
            name: name.into(),
            output: None,
            details: Vec::new(),
            counters,
            filters: false,
            init: Vec::new(),
            children: Vec::new(),
            subplans: Vec::new(),
            memory: None,
        }
    }

    fn over(mut self, child: Node) -> Node {
        self.children.push(child);
        self
    }

    fn detail(mut self, line: String) -> Node {
        self.details.push(line);
        self
    }

    fn filter(&mut self, text: Option<String>) {
        if let Some(text) = text {
            self.details.push(format!("Filter: {text}"));
            self.filters = true;
        }
    }

    fn counts(&self) -> StatsSnapshot {
        match &self.counters {
            Counters::Slot(stats) => stats.snapshot(),
            Counters::Fixed(snapshot) => *snapshot,
            Counters::SameAsChild => {
                let mut snapshot = self.children.first().map(Node::counts).unwrap_or_default();
                snapshot.removed = 0;
                snapshot
            }
            Counters::SumOfChildren => {
                let parts: Vec<StatsSnapshot> = self.children.iter().map(Node::counts).collect();
                StatsSnapshot {
                    loops: parts.iter().map(|p| p.loops).max().unwrap_or(0).min(1),
                    rows: parts.iter().map(|p| p.rows).sum(),
                    removed: 0,
                    startup_nanos: parts.first().map_or(0, |p| p.startup_nanos),
                    total_nanos: parts.iter().map(|p| p.total_nanos).sum(),
                    peak_memory: 0,
                }
            }
        }
    }
}

/// Prints `node` with its name at column `column` (after `->  ` when `arrow`).
fn print(node: &Node, column: usize, arrow: bool, analyze: Option<bool>, out: &mut Vec<String>) {
    let mut line = if arrow {
        format!("{}->  {}", " ".repeat(column.saturating_sub(4)), node.name)
    } else {
        format!("{}{}", " ".repeat(column), node.name)
    };
    let counts = node.counts();
    if let Some(timing) = analyze {
        line.push_str(&actual(&counts, timing));
    }
    out.push(line);
    let pad = " ".repeat(column + 2);
    if let Some(output) = &node.output {
        out.push(format!("{pad}Output: {}", output.join(", ")));
    }
    for detail in &node.details {
        out.push(format!("{pad}{detail}"));
        // As PostgreSQL's text format: only when the filter removed any row (per loop).
        if detail.starts_with("Filter: ") && node.filters && analyze.is_some() && counts.removed > 0
        {
            let removed = (counts.removed as f64 / counts.loops as f64).round();
            out.push(format!("{pad}Rows Removed by Filter: {removed}"));
        }
    }
    if let (Some(_), Some((line, stats))) = (analyze, &node.memory) {
        let held = stats.snapshot();
        if held.loops > 0 {
            let kilobytes = held.peak_memory.div_ceil(1024);
            out.push(match line {
                MemoryLine::Sort { top_n } => format!(
                    "{pad}Sort Method: {}  Memory: {kilobytes}kB",
                    if *top_n { "top-N heapsort" } else { "quicksort" }
                ),
                MemoryLine::Hash => format!("{pad}Batches: 1  Memory Usage: {kilobytes}kB"),
            });
        }
    }
    for (label, section) in &node.init {
        out.push(format!("{pad}{label}"));
        print(section, column + 8, true, analyze, out);
    }
    for child in &node.children {
        print(child, column + 6, true, analyze, out);
    }
    for (label, section) in &node.subplans {
        out.push(format!("{pad}{label}"));
        print(section, column + 8, true, analyze, out);
    }
}

/// The ` (actual ...)` part of a node line (spaced as PostgreSQL's COSTS OFF output: there
/// are no costs to print).
fn actual(counts: &StatsSnapshot, timing: bool) -> String {
    if counts.loops == 0 {
        return " (never executed)".to_string();
    }
    let loops = counts.loops as f64;
    let rows = (counts.rows as f64 / loops).round();
    if timing {
        let startup = counts.startup_nanos as f64 / loops / 1e6;
        let total = counts.total_nanos as f64 / loops / 1e6;
        format!(" (actual time={startup:.3}..{total:.3} rows={rows} loops={})", counts.loops)
    } else {
        format!(" (actual rows={rows} loops={})", counts.loops)
    }
}

/// How many relations (tables, functions, VALUES, WITH references) the statement reads:
/// column names are qualified when there is more than one, as PostgreSQL does.
fn relations(plan: &Plan) -> usize {
    match plan {
        Plan::Select(select) => select_relations(select),
        Plan::Insert(insert) => 1 + select_relations(&insert.source),
        Plan::Update(update) => 1 + update.filter.as_ref().map_or(0, expr_relations),
        Plan::Delete(delete) => 1 + delete.filter.as_ref().map_or(0, expr_relations),
        _ => 1,
    }
}

fn select_relations(plan: &SelectPlan) -> usize {
    let exprs = plan.filter.iter().chain(plan.having.iter()).chain(plan.projection.iter());
    source_relations(&plan.source) + exprs.map(expr_relations).sum::<usize>()
}

fn source_relations(source: &Source) -> usize {
    match source {
        Source::Single => 0,
        Source::Filter { input, predicate } => source_relations(input) + expr_relations(predicate),
        Source::Join(join) => source_relations(&join.left) + source_relations(&join.right),
        Source::Lookup(lookup) => source_relations(&lookup.left) + 1,
        Source::Query(plan) => select_relations(plan),
        Source::SetOp(op) => select_relations(&op.left) + select_relations(&op.right),
        _ => 1,
    }
}

/// Relations read by the subqueries in an expression.
fn expr_relations(expr: &Expr) -> usize {
    let mut count = 0;
    expr.walk(&mut |e| {
        if let Expr::Subquery { subquery, .. } = e {
            count += select_relations(&subquery.plan);
        }
    });
    count
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
                let mut node = Node::new(
                    format!("Index Scan using {} on {target}", quote_ident(&index)),
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

/// The AND-ed parts of a condition.
fn conjuncts(expr: &Expr) -> Vec<&Expr> {
    let mut parts = Vec::new();
    let mut pending = vec![expr];
    while let Some(e) = pending.pop() {
        match e {
            Expr::And(l, r) => {
                pending.push(r);
                pending.push(l);
            }
            other => parts.push(other),
        }
    }
    parts
}

fn operator_text(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Lt => "<",
        BinaryOp::LtEq => "<=",
        BinaryOp::Gt => ">",
        BinaryOp::GtEq => ">=",
        _ => "=",
    }
}

/// Whether a WHERE part is one an index condition stands for (`col op value` either way
/// round, or the `IN` list).
fn matches(part: &Expr, covered: &Expr) -> bool {
    if part == covered {
        return true;
    }
    let flipped = |op: BinaryOp| match op {
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::LtEq => BinaryOp::GtEq,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::GtEq => BinaryOp::LtEq,
        other => other,
    };
    match (part, covered) {
        (Expr::Binary(op, l, r), Expr::Binary(cop, cl, cr)) => {
            flipped(*op) == *cop && l == cr && r == cl
        }
        _ => false,
    }
}

/// One `Index Cond:` part: a key column compared with a value (or any of several).
struct IndexCondition {
    column: usize,
    values: ConditionValues,
    /// The WHERE parts it stands for (not repeated under `Filter:`).
    covers: Vec<Expr>,
}

enum ConditionValues {
    One(BinaryOp, Expr),
    Any(Vec<Expr>),
    /// Several lookups (each a list of conditions), any of which a row may match.
    Or(Vec<Vec<IndexCondition>>),
}

/// The key columns of the primary key (None) or of unique constraint / index `index_no`.
fn key_columns(table: &TableDef, index_no: Option<u16>) -> Vec<usize> {
    match index_no {
        None => table.primary_key.clone(),
        Some(no) => table
            .uniques
            .iter()
            .find(|u| u.index_no == no)
            .map(|u| u.columns.clone())
            .or_else(|| table.indexes.iter().find(|i| i.index_no == no).map(|i| i.columns.clone()))
            .unwrap_or_default(),
    }
}

/// The name of the primary key (None) or of unique constraint / index `index_no`.
fn index_name(table: &TableDef, index_no: Option<u16>) -> Option<String> {
    let access = match index_no {
        None => Access::Ordered(None),
        Some(no) => Access::Ordered(Some(no)),
    };
    index_of(table, &access)
}

/// The name of the index an access path reads (None for a full scan).
fn index_of(table: &TableDef, access: &Access) -> Option<String> {
    let primary =
        || table.primary_key_name.clone().unwrap_or_else(|| format!("{}_pkey", table.name));
    let named = |no: u16| {
        table
            .uniques
            .iter()
            .find(|u| u.index_no == no)
            .map(|u| u.name.clone())
            .or_else(|| table.indexes.iter().find(|i| i.index_no == no).map(|i| i.name.clone()))
    };
    match access {
        Access::Full => None,
        Access::Point(_) | Access::Range { index_no: None, .. } | Access::Ordered(None) => {
            Some(primary())
        }
        Access::Index { index_no, .. }
        | Access::Range { index_no: Some(index_no), .. }
        | Access::Ordered(Some(index_no)) => named(*index_no),
        Access::Any(accesses) => accesses.first().and_then(|a| index_of(table, a)),
    }
}

/// The conditions an access path looks up by.
fn index_conditions(table: &TableDef, access: &Access) -> Vec<IndexCondition> {
    let equal = |column: usize, value: &Expr| IndexCondition {
        column,
        values: ConditionValues::One(BinaryOp::Eq, value.clone()),
        covers: vec![Expr::Binary(
            BinaryOp::Eq,
            Box::new(Expr::Column(column)),
            Box::new(value.clone()),
        )],
    };
    match access {
        Access::Full | Access::Ordered(_) => Vec::new(),
        Access::Point(values) => {
            table.primary_key.iter().zip(values).map(|(&c, v)| equal(c, v)).collect()
        }
        Access::Index { index_no, values } => key_columns(table, Some(*index_no))
            .into_iter()
            .zip(values)
            .map(|(c, v)| equal(c, v))
            .collect(),
        Access::Range { column, lower, upper, .. } => {
            let mut out = Vec::new();
            for (bound, (inclusive_op, exclusive_op)) in
                [(lower, (BinaryOp::GtEq, BinaryOp::Gt)), (upper, (BinaryOp::LtEq, BinaryOp::Lt))]
            {
                if let Some((value, inclusive)) = bound {
                    let op = if *inclusive { inclusive_op } else { exclusive_op };
                    out.push(IndexCondition {
                        column: *column,
                        values: ConditionValues::One(op, value.clone()),
                        covers: vec![Expr::Binary(
                            op,
                            Box::new(Expr::Column(*column)),
                            Box::new(value.clone()),
                        )],
                    });
                }
            }
            out
        }
        Access::Any(accesses) => {
            let each: Vec<Vec<IndexCondition>> =
                accesses.iter().map(|a| index_conditions(table, a)).collect();
            collapse_any(&each).unwrap_or_else(|| {
                // One OR of the lookups; it stands for the WHERE parts they all share.
                let mut covers: Vec<Expr> = each
                    .first()
                    .map(|conds| conds.iter().flat_map(|c| c.covers.clone()).collect())
                    .unwrap_or_default();
                covers.retain(|part| {
                    each.iter().all(|conds| conds.iter().any(|c| c.covers.contains(part)))
                });
                vec![IndexCondition { column: 0, values: ConditionValues::Or(each), covers }]
            })
        }
    }
}

/// Lookups that are equalities on the same columns, differing in one column only (`a IN
/// (1, 2) AND b = 3`), as PostgreSQL prints them: `(a = ANY ('{1,2}'::integer[])) AND (b =
/// 3)`.
fn collapse_any(each: &[Vec<IndexCondition>]) -> Option<Vec<IndexCondition>> {
    let first = each.first()?;
    let value = |cond: &IndexCondition| match &cond.values {
        ConditionValues::One(BinaryOp::Eq, v) => Some(v.clone()),
        _ => None,
    };
    let mut varying = None;
    for (i, cond) in first.iter().enumerate() {
        let mut values = Vec::with_capacity(each.len());
        for conds in each {
            let other =
                conds.get(i).filter(|c| c.column == cond.column && conds.len() == first.len())?;
            values.push(value(other)?);
        }
        if values.iter().any(|v| Some(v) != values.first()) {
            if varying.is_some() {
                return None;
            }
            varying = Some((i, values));
        }
    }
    let (position, values) = varying?;
    let mut out = Vec::with_capacity(first.len());
    for (i, cond) in first.iter().enumerate() {
        if i == position {
            let list = Expr::InList {
                expr: Box::new(Expr::Column(cond.column)),
                list: values.clone(),
                negated: false,
            };
            out.push(IndexCondition {
                column: cond.column,
                values: ConditionValues::Any(values.clone()),
                covers: vec![list],
            });
        } else {
            out.push(IndexCondition {
                column: cond.column,
                values: ConditionValues::One(BinaryOp::Eq, value(cond)?),
                covers: cond.covers.clone(),
            });
        }
    }
    Some(out)
}

/// Column names of a source when the binder recorded none (VALUES, set operations,
/// wrapped queries).
fn source_names(source: &Source) -> Vec<(Option<String>, String)> {
    let unnamed = |names: Vec<String>| names.into_iter().map(|n| (None, n)).collect();
    match source {
        Source::Single => Vec::new(),
        Source::Values(rows) => {
            let width = rows.first().map_or(0, Vec::len);
            (1..=width).map(|i| (Some("*VALUES*".to_string()), format!("column{i}"))).collect()
        }
        Source::Table { table, .. } => {
            table.columns.iter().map(|c| (Some(table.name.clone()), c.name.clone())).collect()
        }
        Source::Query(plan) => unnamed(plan.columns.iter().map(|c| c.name.clone()).collect()),
        Source::SetOp(op) => unnamed(op.left.columns.iter().map(|c| c.name.clone()).collect()),
        Source::Filter { input, .. } => source_names(input),
        Source::Join(join) => {
            let mut names = source_names(&join.left);
            names.extend(source_names(&join.right));
            names.extend(join.merged.iter().map(|_| (None, "?column?".to_string())));
            names
        }
        Source::Series { .. } => vec![(None, "generate_series".to_string())],
        Source::Unnest { arrays, ordinality } => {
            let mut names: Vec<_> = arrays.iter().map(|_| (None, "unnest".to_string())).collect();
            if *ordinality {
                names.push((None, "ordinality".to_string()));
            }
            names
        }
        Source::CommonTable(cte) => match &cte.body {
            CommonTableBody::Plain(plan) => {
                unnamed(plan.columns.iter().map(|c| c.name.clone()).collect())
            }
            CommonTableBody::Recursive { anchor, .. } => {
                unnamed(anchor.columns.iter().map(|c| c.name.clone()).collect())
            }
        },
        Source::Lookup(lookup) => {
            let mut names = source_names(&lookup.left);
            let table = &lookup.table;
            names.extend(table.columns.iter().map(|c| (Some(table.name.clone()), c.name.clone())));
            names.extend(lookup.merged.iter().map(|_| (None, "?column?".to_string())));
            names
        }
        Source::Sequence(sequence) => ["last_value", "log_cnt", "is_called"]
            .iter()
            .map(|c| (Some(sequence.name.clone()), c.to_string()))
            .collect(),
        Source::WorkingTable(_) | Source::Rows(_) => Vec::new(),
    }
}
