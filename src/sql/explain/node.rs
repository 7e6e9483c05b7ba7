//! Plan nodes as EXPLAIN prints them: a name, property lines, where its ANALYZE counts
//! come from, and its children and subplan sections; printed with PostgreSQL's indentation
//! (`->  ` under the parent, properties two columns in) and ` (actual ...)` suffixes.
//!
//! Depends on: `sql::exec` (counters).

use crate::sql::exec::{NodeStats, StatsSnapshot};
use std::sync::Arc;

/// One plan node as printed.
pub(super) struct Node {
    pub(super) name: String,
    /// `Output:` (VERBOSE).
    pub(super) output: Option<Vec<String>>,
    /// Property lines (`Filter: ...`, `Sort Key: ...`).
    pub(super) details: Vec<String>,
    pub(super) counters: Counters,
    /// Whether it applies a filter (ANALYZE prints the rows it removed).
    pub(super) filters: bool,
    /// InitPlans and WITH queries, printed before the children.
    pub(super) init: Vec<(String, Node)>,
    pub(super) children: Vec<Node>,
    /// Correlated subqueries, printed after the children.
    pub(super) subplans: Vec<(String, Node)>,
    /// ANALYZE's memory line: which kind, and the counters holding the peak.
    pub(super) memory: Option<(MemoryLine, Arc<NodeStats>)>,
}

/// How a node reports the memory it held (as PostgreSQL words it).
pub(super) enum MemoryLine {
    /// `Sort Method: quicksort  Memory: 25kB` (`top-N heapsort` under a LIMIT).
    Sort { top_n: bool },
    /// `Batches: 1  Memory Usage: 24kB` (HashAggregate, Hash).
    Hash,
}

/// Where a node's ANALYZE counts come from.
pub(super) enum Counters {
    Slot(Arc<NodeStats>),
    /// Part of its parent's operator here: its input's counts.
    SameAsChild,
    /// The concatenation of its children (Append).
    SumOfChildren,
    Fixed(StatsSnapshot),
}

impl Node {
    pub(super) fn new(name: impl Into<String>, counters: Counters) -> Node {
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

    pub(super) fn over(mut self, child: Node) -> Node {
        self.children.push(child);
        self
    }

    pub(super) fn detail(mut self, line: String) -> Node {
        self.details.push(line);
        self
    }

    pub(super) fn filter(&mut self, text: Option<String>) {
        if let Some(text) = text {
            self.details.push(format!("Filter: {text}"));
            self.filters = true;
        }
    }

    pub(super) fn counts(&self) -> StatsSnapshot {
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
pub(super) fn print(
    node: &Node,
    column: usize,
    arrow: bool,
    analyze: Option<bool>,
    out: &mut Vec<String>,
) {
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
pub(super) fn actual(counts: &StatsSnapshot, timing: bool) -> String {
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
