//! Bound expressions back to SQL text, as PostgreSQL's EXPLAIN prints them: operators in
//! parentheses (`(a = 1)`), AND / OR chains flattened, constants with their type where
//! PostgreSQL shows it (`'abc'::text`, `'-5'::integer`, `'2024-01-01'::date`), casts as
//! `(x)::type`, `IN` lists as `= ANY ('{...}'::type[])`.
//!
//! Column references print as the text the caller supplies for each input column (a
//! column name, or for a grouped row the grouping key or aggregate it holds); subqueries
//! print as PostgreSQL's `$n` / `(SubPlan n)` references, which the caller numbers.
//!
//! Depends on: `sql::expr`, `sql::plan`, `sql::types`, `sql::functions`.

use crate::sql::expr::{Expr, Subquery, SubqueryKind};
use crate::sql::functions::Function;
use crate::sql::plan::{Aggregate, AggregateFunction, FrameBound, FrameUnits, SortKey};
use crate::sql::plan::{WindowFunction, WindowFunctionKind};
use crate::sql::types::{BinaryOp, DataType, UnaryOp, Value};

/// What a column or subquery reference prints as.
pub trait Context {
    /// Column `i` of the row the expression reads.
    fn column(&self, i: usize) -> String;
    /// Column `i` of the enclosing query's row (in a correlated subquery).
    fn outer(&self, i: usize) -> String;
    /// The reference text of a subquery (`$0`, `(SubPlan 2)`, `(hashed SubPlan 1)`).
    fn subquery(&mut self, subquery: &Subquery, kind: SubqueryKind) -> String;
}

/// `expr` as SQL text.
pub fn deparse(expr: &Expr, cx: &mut dyn Context) -> String {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || deparse_node(expr, cx))
}

fn deparse_node(expr: &Expr, cx: &mut dyn Context) -> String {
    match expr {
        Expr::Literal(value) => constant(value),
        Expr::Column(i) => cx.column(*i),
        Expr::Outer(i) => cx.outer(*i),
        Expr::Param(i) => format!("${}", i + 1),
        Expr::Default => "DEFAULT".to_string(),
        Expr::Binary(op, l, r) => {
            format!("({} {} {})", deparse(l, cx), operator(*op), deparse(r, cx))
        }
        Expr::Unary(op, e) => {
            let sign = match op {
                UnaryOp::Neg => "-",
                UnaryOp::Plus => "+",
            };
            format!("({sign} {})", deparse(e, cx))
        }
        Expr::And(..) | Expr::Or(..) => {
            let is_and = matches!(expr, Expr::And(..));
            let mut parts = Vec::new();
            flatten(expr, is_and, &mut parts);
            let texts: Vec<String> = parts.into_iter().map(|p| deparse(p, cx)).collect();
            format!("({})", texts.join(if is_and { " AND " } else { " OR " }))
        }
        Expr::Not(e) => match e.as_ref() {
            // PostgreSQL folds NOT (x IS NULL) into x IS NOT NULL (and back).
            Expr::IsNull { expr, negated } => {
                format!("({} IS {}NULL)", deparse(expr, cx), if *negated { "" } else { "NOT " })
            }
            _ => format!("(NOT {})", deparse(e, cx)),
        },
        Expr::IsNull { expr, negated } => {
            format!("({} IS {}NULL)", deparse(expr, cx), if *negated { "NOT " } else { "" })
        }
        Expr::IsBool { expr, value, negated } => format!(
            "({} IS {}{})",
            deparse(expr, cx),
            if *negated { "NOT " } else { "" },
            if *value { "TRUE" } else { "FALSE" }
        ),
        Expr::IsDistinctFrom { left, right, negated } => {
            let text = format!("({} IS DISTINCT FROM {})", deparse(left, cx), deparse(right, cx));
            if *negated { format!("(NOT {text})") } else { text }
        }
        Expr::Cast { expr, to } => match expr.as_ref() {
            Expr::Literal(Value::Null) => format!("NULL::{}", to.display_name()),
            Expr::Call { function: Function::ArrayConstruct, args }
                if let Some(text) = constant_array(args) =>
            {
                format!("{}::{}", quote_literal(&text), type_name(to))
            }
            Expr::Literal(value) => {
                format!("{}::{}", quote_literal(&value.to_text()), type_name(to))
            }
            inner => format!("({})::{}", deparse(inner, cx), type_name(to)),
        },
        Expr::InList { expr, list, negated } => {
            let (op, quantifier) = if *negated { ("<>", "ALL") } else { ("=", "ANY") };
            format!("({} {op} {quantifier} ({}))", deparse(expr, cx), array_of(list, cx))
        }
        Expr::Like { expr, pattern, negated, case_insensitive } => {
            let op = match (negated, case_insensitive) {
                (false, false) => "~~",
                (true, false) => "!~~",
                (false, true) => "~~*",
                (true, true) => "!~~*",
            };
            format!("({} {op} {})", deparse(expr, cx), deparse(pattern, cx))
        }
        Expr::Case { operand, branches, otherwise } => {
            let mut text = String::from("CASE");
            if let Some(operand) = operand {
                text.push(' ');
                text.push_str(&deparse(operand, cx));
            }
            for (when, then) in branches {
                text.push_str(&format!(" WHEN {} THEN {}", deparse(when, cx), deparse(then, cx)));
            }
            if let Some(otherwise) = otherwise {
                text.push_str(&format!(" ELSE {}", deparse(otherwise, cx)));
            }
            text.push_str(" END");
            text
        }
        Expr::Call { function, args } => call(*function, args, cx),
        Expr::Quantified { op, all, left, right } => format!(
            "({} {} {} ({}))",
            deparse(left, cx),
            operator(*op),
            if *all { "ALL" } else { "ANY" },
            deparse(right, cx)
        ),
        Expr::Subquery { kind, subquery, operand } => {
            let reference = cx.subquery(subquery, *kind);
            match (kind, operand) {
                (SubqueryKind::In { negated: false }, Some(_)) if !subquery.correlated => {
                    format!("({reference})")
                }
                (SubqueryKind::In { negated: true }, Some(_)) if !subquery.correlated => {
                    format!("(NOT ({reference}))")
                }
                (SubqueryKind::In { negated }, Some(operand)) => format!(
                    "({} {} {reference})",
                    deparse(operand, cx),
                    if *negated { "<> ALL" } else { "= ANY" }
                ),
                (SubqueryKind::Quantified { op, all }, Some(operand)) => format!(
                    "({} {} {} {reference})",
                    deparse(operand, cx),
                    operator(*op),
                    if *all { "ALL" } else { "ANY" }
                ),
                _ => reference,
            }
        }
    }
}

/// The parts of an AND (or OR) chain.
fn flatten<'e>(expr: &'e Expr, is_and: bool, out: &mut Vec<&'e Expr>) {
    let mut pending = vec![expr];
    while let Some(e) = pending.pop() {
        match (e, is_and) {
            (Expr::And(l, r), true) | (Expr::Or(l, r), false) => {
                pending.push(r);
                pending.push(l);
            }
            (other, _) => out.push(other),
        }
    }
}

fn operator(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
        BinaryOp::Mod => "%",
        BinaryOp::Concat => "||",
        BinaryOp::Eq => "=",
        BinaryOp::NotEq => "<>",
        BinaryOp::Lt => "<",
        BinaryOp::LtEq => "<=",
        BinaryOp::Gt => ">",
        BinaryOp::GtEq => ">=",
        BinaryOp::JsonGet => "->",
        BinaryOp::JsonGetText => "->>",
    }
}

/// A type name as a cast prints it.
fn type_name(ty: &DataType) -> String {
    ty.display_name()
}

/// A constant, labelled with its type unless PostgreSQL prints it bare (booleans,
/// non-negative integers, numerics with a fraction).
pub fn constant(value: &Value) -> String {
    match value {
        Value::Null => "NULL".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Int4(n) if *n >= 0 => n.to_string(),
        Value::Numeric(d) if !d.is_sign_negative() && d.to_string().contains('.') => d.to_string(),
        other => {
            let ty = other.data_type().map(|t| t.display_name()).unwrap_or_default();
            format!("{}::{ty}", quote_literal(&other.to_text()))
        }
    }
}

/// A string literal.
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// An identifier, quoted when PostgreSQL would quote it.
pub fn quote_ident(name: &str) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain { name.to_string() } else { format!("\"{}\"", name.replace('"', "\"\"")) }
}

/// An IN list as an array: a constant `'{...}'::type[]` when every element is a constant
/// of one type, else `ARRAY[...]`.
fn array_of(list: &[Expr], cx: &mut dyn Context) -> String {
    if let (Some(text), Some(ty)) = (constant_array(list), list.first().and_then(literal_type)) {
        return format!("{}::{ty}[]", quote_literal(&text));
    }
    let parts: Vec<String> = list.iter().map(|e| deparse(e, cx)).collect();
    format!("ARRAY[{}]", parts.join(", "))
}

/// The type name of a non-NULL constant.
fn literal_type(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Literal(value) => value.data_type().map(|t| t.display_name()),
        _ => None,
    }
}

/// The array literal text (`{1,2}`) of elements that are all non-NULL constants of one
/// type, as PostgreSQL folds them.
fn constant_array(elements: &[Expr]) -> Option<String> {
    let values: Vec<&Value> = elements
        .iter()
        .map(|e| match e {
            Expr::Literal(v) if !v.is_null() => Some(v),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let first = values.first()?.data_type()?;
    if !values.iter().all(|v| v.data_type().as_ref() == Some(&first)) {
        return None;
    }
    let texts: Vec<String> = values.iter().map(|v| array_element(&v.to_text())).collect();
    Some(format!("{{{}}}", texts.join(",")))
}

/// One element of an array literal, double-quoted when it must be.
fn array_element(text: &str) -> String {
    let needs_quotes = text.is_empty()
        || text.eq_ignore_ascii_case("null")
        || text.chars().any(|c| matches!(c, ',' | '{' | '}' | '"' | '\\') || c.is_whitespace());
    if needs_quotes {
        format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        text.to_string()
    }
}

fn call(function: Function, args: &[Expr], cx: &mut dyn Context) -> String {
    let texts: Vec<String> = args.iter().map(|a| deparse(a, cx)).collect();
    let name = match function {
        Function::Coalesce => "COALESCE",
        Function::NullIf => "NULLIF",
        Function::Greatest => "GREATEST",
        Function::Least => "LEAST",
        Function::Trim => "btrim",
        Function::Substr => "substr",
        Function::ArrayConstruct => {
            return match (constant_array(args), args.first().and_then(literal_type)) {
                (Some(text), Some(ty)) => format!("{}::{}[]", quote_literal(&text), ty),
                _ => format!("ARRAY[{}]", texts.join(", ")),
            };
        }
        Function::ArraySubscript => {
            let mut parts = texts.into_iter();
            let array = parts.next().unwrap_or_default();
            let subscripts: Vec<String> = parts.map(|p| format!("[{p}]")).collect();
            return format!("({array}){}", subscripts.concat());
        }
        Function::RegexMatch => return binary_call("~", &texts),
        Function::RegexIMatch => return binary_call("~*", &texts),
        Function::JsonbContains | Function::ArrayContains => return binary_call("@>", &texts),
        Function::ArrayContainedBy => return binary_call("<@", &texts),
        Function::ArrayOverlap => return binary_call("&&", &texts),
        Function::JsonbExists => return binary_call("?", &texts),
        Function::Now => "now",
        Function::CurrentDate => return "CURRENT_DATE".to_string(),
        other => return format!("{}({})", snake_case(&format!("{other:?}")), texts.join(", ")),
    };
    format!("{name}({})", texts.join(", "))
}

fn binary_call(op: &str, texts: &[String]) -> String {
    match texts {
        [l, r] => format!("({l} {op} {r})"),
        _ => format!("{op}({})", texts.join(", ")),
    }
}

/// `CamelCase` → `camel_case` (function names from their variants).
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// An aggregate call: `count(*)`, `sum(DISTINCT x)`, `string_agg(a, ', '::text ORDER BY
/// b)`, `count(*) FILTER (WHERE ...)`.
pub fn aggregate(aggregate: &Aggregate, cx: &mut dyn Context) -> String {
    let name = match aggregate.function {
        AggregateFunction::CountStar | AggregateFunction::Count => "count",
        AggregateFunction::Sum => "sum",
        AggregateFunction::Avg => "avg",
        AggregateFunction::Min => "min",
        AggregateFunction::Max => "max",
        AggregateFunction::StringAgg => "string_agg",
        AggregateFunction::BoolAnd => "bool_and",
        AggregateFunction::BoolOr => "bool_or",
        AggregateFunction::ArrayAgg => "array_agg",
    };
    let mut text = format!("{name}(");
    if aggregate.function == AggregateFunction::CountStar {
        text.push('*');
    } else {
        if aggregate.distinct {
            text.push_str("DISTINCT ");
        }
        let args: Vec<String> = aggregate.args.iter().map(|a| deparse(a, cx)).collect();
        text.push_str(&args.join(", "));
    }
    if !aggregate.order_by.is_empty() {
        text.push_str(" ORDER BY ");
        text.push_str(&sort_keys(&aggregate.order_by, cx).join(", "));
    }
    text.push(')');
    if let Some(filter) = &aggregate.filter {
        text.push_str(&format!(" FILTER (WHERE {})", deparse(filter, cx)));
    }
    text
}

/// Sort keys as `Sort Key:` lists them (`a`, `b DESC`, `(lower(c)) NULLS FIRST`: keys
/// other than plain columns in parentheses, as PostgreSQL prints them).
pub fn sort_keys(keys: &[SortKey], cx: &mut dyn Context) -> Vec<String> {
    keys.iter()
        .map(|key| {
            let mut text = sort_key(deparse(&key.expr, cx));
            match (key.descending, key.nulls_first) {
                (false, false) => {}
                (false, true) => text.push_str(" NULLS FIRST"),
                (true, true) => text.push_str(" DESC"),
                (true, false) => text.push_str(" DESC NULLS LAST"),
            }
            text
        })
        .collect()
}

/// A sort key's text: in parentheses unless it is a plain column name.
pub fn sort_key(text: String) -> String {
    if is_plain_name(&text) { text } else { format!("({text})") }
}

/// Whether `text` is a (qualified) column name.
fn is_plain_name(text: &str) -> bool {
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            _ if quoted => {}
            c if c.is_alphanumeric() || c == '_' || c == '.' || c == '$' => {}
            _ => return false,
        }
    }
    !text.is_empty()
}

/// A window function call as PostgreSQL 15 prints it: `rank() OVER (?)`.
pub fn window_function(window: &WindowFunction, cx: &mut dyn Context) -> String {
    let args: Vec<String> = window.args.iter().map(|a| deparse(a, cx)).collect();
    let call = match &window.kind {
        WindowFunctionKind::Aggregate(inner) => aggregate(inner, cx),
        other => {
            let name = snake_case(&format!("{other:?}"));
            format!("{name}({})", args.join(", "))
        }
    };
    format!("{call} OVER (?)")
}

/// `PARTITION BY ... ORDER BY ... [frame]` of a window.
pub fn window_spec(window: &WindowFunction, cx: &mut dyn Context) -> String {
    let mut parts = Vec::new();
    if !window.partition_by.is_empty() {
        let keys: Vec<String> = window.partition_by.iter().map(|e| deparse(e, cx)).collect();
        parts.push(format!("PARTITION BY {}", keys.join(", ")));
    }
    if !window.order_by.is_empty() {
        parts.push(format!("ORDER BY {}", sort_keys(&window.order_by, cx).join(", ")));
    }
    if window.frame != Default::default() {
        let units = match window.frame.units {
            FrameUnits::Rows => "ROWS",
            FrameUnits::Range => "RANGE",
            FrameUnits::Groups => "GROUPS",
        };
        let mut bound = |b: &FrameBound| match b {
            FrameBound::UnboundedPreceding => "UNBOUNDED PRECEDING".to_string(),
            FrameBound::Preceding(e) => format!("{} PRECEDING", deparse(e, cx)),
            FrameBound::CurrentRow => "CURRENT ROW".to_string(),
            FrameBound::Following(e) => format!("{} FOLLOWING", deparse(e, cx)),
            FrameBound::UnboundedFollowing => "UNBOUNDED FOLLOWING".to_string(),
        };
        let start = bound(&window.frame.start);
        let end = bound(&window.frame.end);
        parts.push(format!("{units} BETWEEN {start} AND {end}"));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Names(Vec<&'static str>);

    impl Context for Names {
        fn column(&self, i: usize) -> String {
            self.0.get(i).map(|s| s.to_string()).unwrap_or_default()
        }
        fn outer(&self, i: usize) -> String {
            format!("outer{i}")
        }
        fn subquery(&mut self, _: &Subquery, _: SubqueryKind) -> String {
            "(SubPlan 1)".to_string()
        }
    }

    fn col(i: usize) -> Box<Expr> {
        Box::new(Expr::Column(i))
    }

    fn lit(v: Value) -> Box<Expr> {
        Box::new(Expr::Literal(v))
    }

    #[test]
    fn conditions_print_as_postgresql_prints_them() {
        let mut cx = Names(vec!["id", "name", "b"]);
        let eq = Expr::Binary(BinaryOp::Eq, col(0), lit(Value::Int4(42)));
        assert_eq!(deparse(&eq, &mut cx), "(id = 42)");
        let text = Expr::Binary(BinaryOp::Eq, col(1), lit(Value::Text("o'k".into())));
        assert_eq!(deparse(&text, &mut cx), "(name = 'o''k'::text)");
        let neg = Expr::Binary(BinaryOp::Gt, col(2), lit(Value::Int4(-5)));
        assert_eq!(deparse(&neg, &mut cx), "(b > '-5'::integer)");
        let chain = Expr::And(
            Box::new(Expr::And(Box::new(eq.clone()), Box::new(neg))),
            Box::new(Expr::IsNull { expr: col(1), negated: true }),
        );
        assert_eq!(
            deparse(&chain, &mut cx),
            "((id = 42) AND (b > '-5'::integer) AND (name IS NOT NULL))"
        );
        let list = Expr::InList {
            expr: col(0),
            list: vec![Expr::Literal(Value::Int4(1)), Expr::Literal(Value::Int4(2))],
            negated: false,
        };
        assert_eq!(deparse(&list, &mut cx), "(id = ANY ('{1,2}'::integer[]))");
        let texts = Expr::InList {
            expr: col(1),
            list: vec![
                Expr::Literal(Value::Text("a b".into())),
                Expr::Literal(Value::Text("c".into())),
            ],
            negated: true,
        };
        assert_eq!(deparse(&texts, &mut cx), "(name <> ALL ('{\"a b\",c}'::text[]))");
        let not_null = Expr::Not(Box::new(Expr::IsNull { expr: col(2), negated: false }));
        assert_eq!(deparse(&not_null, &mut cx), "(b IS NOT NULL)");
        let keys = [
            SortKey {
                expr: Expr::Call { function: Function::Lower, args: vec![Expr::Column(1)] },
                descending: true,
                nulls_first: true,
            },
            SortKey { expr: Expr::Column(0), descending: false, nulls_first: false },
        ];
        assert_eq!(
            sort_keys(&keys, &mut cx),
            vec!["(lower(name)) DESC".to_string(), "id".to_string()]
        );
        let cast = Expr::Cast { expr: col(0), to: DataType::Int8 };
        assert_eq!(deparse(&cast, &mut cx), "(id)::bigint");
        let like = Expr::Like {
            expr: col(1),
            pattern: lit(Value::Text("a%".into())),
            negated: false,
            case_insensitive: false,
        };
        assert_eq!(deparse(&like, &mut cx), "(name ~~ 'a%'::text)");
        assert_eq!(
            deparse(
                &Expr::Call { function: Function::Lower, args: vec![Expr::Column(1)] },
                &mut cx
            ),
            "lower(name)"
        );
        assert_eq!(
            deparse(
                &Expr::Call { function: Function::OctetLength, args: vec![Expr::Column(1)] },
                &mut cx
            ),
            "octet_length(name)"
        );
    }
}
