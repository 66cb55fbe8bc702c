//! The static reader: walks a DAG file's statements in order, the way Python
//! would run them, but only folds what is knowable without running anything —
//! constants, f-strings, dicts, literal loops, calls of functions defined in
//! the same file — and records the Airflow objects those statements build.
//!
//! Nothing is imported or executed. Both branches of an `if` whose condition
//! is not constant are read; a loop over something unknown is read once with
//! its variable unknown. Recursion is bounded (`MAX_DEPTH`, `MAX_CALL_DEPTH`)
//! and so is the total work (`STEP_BUDGET`), so no input can overflow the
//! stack or make the reader hang.
//!
//! Split along what Python evaluates: this file holds the reader's state and
//! the statements (`with`, `for`, `if`, `def`, assignments);
//! [`expressions`] folds expressions to values; [`calls`] runs calls
//! (same-file functions, methods of known values, Airflow constructors).

mod calls;
mod expressions;

use std::collections::HashMap;

use tree_sitter::Node;

use crate::parse::ParseContext;

use super::model::Model;
use super::syntax::{dotted_name, first_named, last_part, named_children, Field, Fields, Source};
use super::values::{
    timedelta_seconds, unescape, Args, AssetRef, Entry, FnDef, FnKind, PartialCall, PartialTarget,
    Range, TaskRole, Text, Timetable, Value,
};

/// How deeply expressions and statements may nest before the reader stops
/// descending (the value becomes unknown).
const MAX_DEPTH: usize = 64;
/// How deeply calls of same-file functions may nest.
const MAX_CALL_DEPTH: usize = 8;
/// How many statements and loop iterations one file may cost in total.
const STEP_BUDGET: usize = 50_000;
/// The most iterations one literal loop is unrolled to.
const MAX_LOOP: usize = 2_000;

/// A `with` block the reader is inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ctx {
    /// `with DAG(...)` (or inside a `@dag` function).
    Dag(usize),
    /// `with TaskGroup(...)` (or inside a `@task_group` function).
    Group(usize),
    /// A DAG or group whose id could not be known: tasks in it are not read.
    Unknown,
}

/// How a block of statements ended.
enum Flow<'t> {
    /// It ran to its end.
    Next,
    /// A `return` with its value.
    Return(Value<'t>),
}

/// The reader's state for one file.
pub(super) struct Reader<'t> {
    /// The file.
    pub src: &'t Source<'t>,
    /// Repo-wide context (paths, dialect).
    pub context: &'t ParseContext,
    /// What has been collected.
    pub model: Model,
    /// Airflow 3 (`airflow.sdk` imports): no schedule means `None`.
    pub airflow3: bool,
    /// The file has syntax errors: jobs are marked partial.
    pub partial: bool,
    /// Names imported from Airflow under another name: alias → name.
    pub aliases: HashMap<String, String>,
    /// Names imported from modules outside Airflow: name → module.
    pub foreign: HashMap<String, String>,
    /// How many `for` loops the statement being read is inside.
    pub loops: usize,
    /// Variables: module scope first, then one scope per call being read.
    scopes: Vec<HashMap<String, Value<'t>>>,
    /// Enclosing `with DAG` / `with TaskGroup` blocks, innermost last.
    pub ctx: Vec<Ctx>,
    depth: usize,
    call_depth: usize,
    steps: usize,
}

impl<'t> Reader<'t> {
    /// A reader for one file.
    pub fn new(src: &'t Source<'t>, context: &'t ParseContext, airflow3: bool) -> Reader<'t> {
        let mut module = HashMap::new();
        module.insert("__name__".to_string(), Value::string("airflow_dag_module"));
        module.insert(
            "__file__".to_string(),
            Value::RepoPath(src.file.to_string()),
        );
        Reader {
            src,
            context,
            model: Model::default(),
            airflow3,
            partial: false,
            aliases: HashMap::new(),
            foreign: HashMap::new(),
            loops: 0,
            scopes: vec![module],
            ctx: Vec::new(),
            depth: 0,
            call_depth: 0,
            steps: 0,
        }
    }

    /// Whether the statement being read is inside a same-file function call.
    pub(super) fn in_call(&self) -> bool {
        self.call_depth > 0
    }

    /// Whether a name is still what an import outside Airflow bound it to.
    pub(super) fn is_foreign(&self, name: &str) -> Option<&str> {
        let module = self.foreign.get(name)?;
        matches!(self.lookup(name), Value::Unknown).then_some(module.as_str())
    }

    /// Reads a module's statements.
    pub fn run_module(&mut self, module: Node<'t>) {
        let _ = self.exec_block(module);
    }

    /// The byte range of a node.
    pub fn range(node: Node<'_>) -> Range {
        (node.start_byte(), node.end_byte())
    }

    /// The DAG the innermost `with` block belongs to (`None` outside any, or
    /// inside one whose id is unknown).
    pub fn current_dag(&self) -> Option<Result<usize, ()>> {
        match self.ctx.last()? {
            Ctx::Dag(d) => Some(Ok(*d)),
            Ctx::Group(g) => Some(Ok(self.model.group_dag(*g))),
            Ctx::Unknown => Some(Err(())),
        }
    }

    /// The innermost group of the current block, if it is a group.
    pub fn current_group(&self) -> Option<usize> {
        match self.ctx.last()? {
            Ctx::Group(g) => Some(*g),
            _ => None,
        }
    }

    /// A dotted name with an Airflow import alias replaced by the imported
    /// name (`from airflow.decorators import task as af_task`: `af_task.bash`
    /// → `task.bash`).
    fn canonical(&self, name: String) -> String {
        let (head, rest) = name
            .split_once('.')
            .map_or((name.as_str(), ""), |(h, r)| (h, r));
        match self.aliases.get(head) {
            Some(original) if rest.is_empty() => original.clone(),
            Some(original) => format!("{original}.{rest}"),
            None => name,
        }
    }

    fn lookup(&self, name: &str) -> Value<'t> {
        self.scopes
            .iter()
            .rev()
            .find_map(|s| s.get(name))
            .cloned()
            .unwrap_or(Value::Unknown)
    }

    fn bind(&mut self, name: &str, value: Value<'t>) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(name.to_string(), value);
        }
    }

    fn tick(&mut self, at: Node<'t>) -> bool {
        self.steps += 1;
        if self.steps == STEP_BUDGET {
            self.model.unresolved(
                format!("the rest of the file after {STEP_BUDGET} statements (too much to unroll statically)"),
                self.src.span(at),
            );
        }
        self.steps < STEP_BUDGET
    }

    // ---- statements -------------------------------------------------------

    fn exec_block(&mut self, block: Node<'t>) -> Flow<'t> {
        for stmt in named_children(block) {
            if let Flow::Return(v) = self.exec_stmt(stmt) {
                return Flow::Return(v);
            }
        }
        Flow::Next
    }

    fn exec_stmt(&mut self, stmt: Node<'t>) -> Flow<'t> {
        if !self.tick(stmt) {
            return Flow::Next;
        }
        if self.depth >= MAX_DEPTH {
            self.too_deep(stmt);
            return Flow::Next;
        }
        self.depth += 1;
        let flow = self.exec_stmt_inner(stmt);
        self.depth -= 1;
        flow
    }

    fn too_deep(&mut self, at: Node<'t>) {
        self.model.unresolved(
            format!("code nested deeper than {MAX_DEPTH} levels"),
            self.src.span(at),
        );
    }

    fn exec_stmt_inner(&mut self, stmt: Node<'t>) -> Flow<'t> {
        match stmt.kind() {
            "expression_statement" => {
                self.note_generator(stmt);
                for child in named_children(stmt) {
                    self.eval(child);
                }
            }
            "with_statement" => return self.exec_with(stmt),
            "for_statement" => return self.exec_for(stmt),
            "if_statement" => return self.exec_if(stmt),
            "try_statement" => {
                for child in named_children(stmt) {
                    let flow = match child.kind() {
                        "block" => self.exec_block(child),
                        "else_clause" | "finally_clause" => self.exec_clause_body(child),
                        _ => Flow::Next,
                    };
                    if let Flow::Return(v) = flow {
                        return Flow::Return(v);
                    }
                }
            }
            "while_statement" => {
                if let Some(body) = stmt.field(Field::Body) {
                    return self.exec_block(body);
                }
            }
            "function_definition" => {
                if let Some(name) = stmt.field(Field::Name) {
                    let def = FnDef {
                        node: stmt,
                        kind: FnKind::Plain,
                        kwargs: Vec::new(),
                        role: TaskRole::Work,
                    };
                    let name = self.src.text_of(name);
                    self.bind(name, Value::Function(def));
                }
            }
            "decorated_definition" => self.exec_decorated(stmt),
            "class_definition" => {
                if let Some(name) = stmt.field(Field::Name) {
                    let name = self.src.text_of(name);
                    self.bind(name, Value::Unknown);
                }
            }
            "return_statement" => {
                let value = named_children(stmt)
                    .first()
                    .map_or(Value::None, |e| self.eval(*e));
                return Flow::Return(value);
            }
            "block" => return self.exec_block(stmt),
            _ => {}
        }
        Flow::Next
    }

    fn exec_clause_body(&mut self, clause: Node<'t>) -> Flow<'t> {
        let body = clause.field(Field::Body).or_else(|| {
            named_children(clause)
                .into_iter()
                .find(|c| c.kind() == "block")
        });
        body.map_or(Flow::Next, |b| self.exec_block(b))
    }

    fn exec_with(&mut self, stmt: Node<'t>) -> Flow<'t> {
        let mut pushed = 0;
        let mut setup_teardown: Vec<Vec<usize>> = Vec::new();
        let clause = named_children(stmt)
            .into_iter()
            .find(|c| c.kind() == "with_clause");
        for item in clause.map(named_children).unwrap_or_default() {
            let Some(value_node) = item.field(Field::Value) else {
                continue;
            };
            let (expr, alias) = if value_node.kind() == "as_pattern" {
                (first_named(value_node), value_node.field(Field::Alias))
            } else {
                (Some(value_node), None)
            };
            let Some(expr) = expr else { continue };
            let value = self.eval(expr);
            if let Value::Tasks { items, .. } = &value {
                let tasks: Vec<usize> = items
                    .iter()
                    .filter_map(|e| match e {
                        super::values::Endpoint::Task(t) => Some(*t),
                        super::values::Endpoint::Group(_) => None,
                    })
                    .collect();
                if tasks
                    .iter()
                    .any(|t| self.model.tasks[*t].role != TaskRole::Work)
                {
                    setup_teardown.push(tasks);
                }
            }
            let ctx = match &value {
                Value::Dag(d) => Some(Ctx::Dag(*d)),
                Value::Group(g) => Some(Ctx::Group(*g)),
                Value::Unknown if self.builds_dag_or_group(expr) => Some(Ctx::Unknown),
                _ => None,
            };
            if let Some(ctx) = ctx {
                self.ctx.push(ctx);
                pushed += 1;
            }
            if let Some(alias) = alias {
                let target = first_named(alias).unwrap_or(alias);
                self.assign(target, value);
            }
        }
        let before = self.model.tasks.len();
        let flow = stmt
            .field(Field::Body)
            .map_or(Flow::Next, |b| self.exec_block(b));
        for _ in 0..pushed {
            self.ctx.pop();
        }
        for context in setup_teardown {
            self.setup_teardown_context(&context, before, stmt);
        }
        flow
    }

    /// Marks the tasks of a value as setups or teardowns.
    fn set_role(&mut self, value: &Value<'t>, role: TaskRole) {
        if let Value::Tasks { items, .. } = value {
            for item in items {
                if let super::values::Endpoint::Task(t) = item {
                    self.model.tasks[*t].role = role;
                }
            }
        }
    }

    /// `with teardown_task:` / `with setup_task:` — the work tasks created in
    /// the block run after the setups and before the teardowns (Airflow's
    /// setup/teardown context): setups before the block's first work tasks,
    /// its last work tasks before the teardowns.
    fn setup_teardown_context(&mut self, context: &[usize], before: usize, at: Node<'t>) {
        use super::model::PendingEdge;
        use super::values::Endpoint;
        let task_edges: Vec<(usize, usize)> = self
            .model
            .pending
            .iter()
            .filter_map(|e| match (e.from, e.to) {
                (Endpoint::Task(u), Endpoint::Task(d)) => Some((u, d)),
                _ => None,
            })
            .collect();
        let role = |t: usize| self.model.tasks[t].role;
        let mut setups = Vec::new();
        let mut teardowns = Vec::new();
        for &t in context {
            match role(t) {
                TaskRole::Teardown => {
                    teardowns.push(t);
                    setups.extend(
                        task_edges
                            .iter()
                            .filter(|(u, d)| *d == t && role(*u) == TaskRole::Setup)
                            .map(|(u, _)| *u),
                    );
                }
                TaskRole::Setup => {
                    setups.push(t);
                    teardowns.extend(
                        task_edges
                            .iter()
                            .filter(|(u, d)| *u == t && role(*d) == TaskRole::Teardown)
                            .map(|(_, d)| *d),
                    );
                }
                TaskRole::Work => {}
            }
        }
        let inside: Vec<usize> = (before..self.model.tasks.len())
            .filter(|t| role(*t) == TaskRole::Work)
            .collect();
        let roots: Vec<usize> = inside
            .iter()
            .copied()
            .filter(|t| !task_edges.iter().any(|(u, d)| d == t && *u >= before))
            .collect();
        let leaves: Vec<usize> = inside
            .iter()
            .copied()
            .filter(|t| !task_edges.iter().any(|(u, d)| u == t && *d >= before))
            .collect();
        let span = self.src.span(at);
        let add = |from: usize, to: usize, model: &mut super::model::Model| {
            if from != to {
                model.pending.push(PendingEdge {
                    from: Endpoint::Task(from),
                    to: Endpoint::Task(to),
                    span: span.clone(),
                });
            }
        };
        for s in &setups {
            for r in &roots {
                add(*s, *r, &mut self.model);
            }
        }
        for l in &leaves {
            for t in &teardowns {
                add(*l, *t, &mut self.model);
            }
        }
    }

    /// Whether an expression is a `DAG(...)` / `TaskGroup(...)` call (used
    /// when its id is unknown, so tasks inside are not misattributed).
    fn builds_dag_or_group(&self, expr: Node<'t>) -> bool {
        if expr.kind() != "call" {
            return false;
        }
        let name = expr
            .field(Field::Function)
            .and_then(|f| dotted_name(self.src, f));
        matches!(name.as_deref().map(last_part), Some("DAG" | "TaskGroup"))
            || matches!(
                name.as_deref().map(|n| self.lookup(n)),
                Some(Value::Function(FnDef {
                    kind: FnKind::Dag | FnKind::TaskGroup,
                    ..
                }))
            )
    }

    fn exec_for(&mut self, stmt: Node<'t>) -> Flow<'t> {
        self.loops += 1;
        let flow = self.exec_for_inner(stmt);
        self.loops -= 1;
        flow
    }

    fn exec_for_inner(&mut self, stmt: Node<'t>) -> Flow<'t> {
        let (Some(left), Some(right), Some(body)) = (
            stmt.field(Field::Left),
            stmt.field(Field::Right),
            stmt.field(Field::Body),
        ) else {
            return Flow::Next;
        };
        let iterable = self.eval(right);
        match iteration_items(iterable) {
            Some(items) => {
                for item in items.into_iter().take(MAX_LOOP) {
                    if !self.tick(stmt) {
                        break;
                    }
                    self.assign(left, item);
                    if let Flow::Return(v) = self.exec_block(body) {
                        return Flow::Return(v);
                    }
                }
                Flow::Next
            }
            None => {
                self.assign(left, Value::Unknown);
                self.exec_block(body)
            }
        }
    }

    fn exec_if(&mut self, stmt: Node<'t>) -> Flow<'t> {
        let condition = stmt
            .field(Field::Condition)
            .map_or(Value::Unknown, |c| self.eval(c));
        let consequence = stmt.field(Field::Consequence);
        let mut c = stmt.walk();
        let alternatives: Vec<Node<'t>> = stmt.fields(Field::Alternative, &mut c).collect();
        match condition.truthy() {
            Some(true) => consequence.map_or(Flow::Next, |b| self.exec_block(b)),
            Some(false) => self.exec_alternatives(&alternatives),
            None => {
                if let Some(Flow::Return(v)) = consequence.map(|b| self.exec_block(b)) {
                    return Flow::Return(v);
                }
                self.exec_alternatives(&alternatives)
            }
        }
    }

    fn exec_alternatives(&mut self, alternatives: &[Node<'t>]) -> Flow<'t> {
        for (i, alt) in alternatives.iter().enumerate() {
            match alt.kind() {
                "elif_clause" => {
                    let cond = alt
                        .field(Field::Condition)
                        .map_or(Value::Unknown, |c| self.eval(c));
                    let body = alt.field(Field::Consequence);
                    match cond.truthy() {
                        Some(true) => return body.map_or(Flow::Next, |b| self.exec_block(b)),
                        Some(false) => continue,
                        None => {
                            if let Some(Flow::Return(v)) = body.map(|b| self.exec_block(b)) {
                                return Flow::Return(v);
                            }
                            return self.exec_alternatives(&alternatives[i + 1..]);
                        }
                    }
                }
                "else_clause" => return self.exec_clause_body(*alt),
                _ => {}
            }
        }
        Flow::Next
    }

    fn exec_decorated(&mut self, stmt: Node<'t>) {
        let Some(def) = stmt.field(Field::Definition) else {
            return;
        };
        let Some(name_node) = def.field(Field::Name) else {
            return;
        };
        let name = self.src.text_of(name_node);
        if def.kind() != "function_definition" {
            self.bind(name, Value::Unknown);
            return;
        }
        let mut kind = FnKind::Plain;
        let mut kwargs = Vec::new();
        let mut role = TaskRole::Work;
        let mut asset_decorator = None;
        for dec in named_children(stmt)
            .into_iter()
            .filter(|n| n.kind() == "decorator")
        {
            let Some(expr) = first_named(dec) else {
                continue;
            };
            let (callee, args) = if expr.kind() == "call" {
                let args = self.eval_args(expr.field(Field::Arguments));
                (expr.field(Field::Function), Some(args))
            } else {
                (Some(expr), None)
            };
            let Some(callee_name) = callee
                .and_then(|c| dotted_name(self.src, c))
                .map(|n| self.canonical(n))
            else {
                continue;
            };
            let root = callee_name.split('.').next().unwrap_or("");
            let found = match (root, callee_name.as_str()) {
                (_, "dag") | (_, "airflow.decorators.dag") | (_, "airflow.sdk.dag") => {
                    Some(FnKind::Dag)
                }
                (_, "task_group")
                | (_, "airflow.decorators.task_group")
                | (_, "airflow.sdk.task_group") => Some(FnKind::TaskGroup),
                (_, "asset") | (_, "asset.multi") => {
                    asset_decorator = Some(args.clone().unwrap_or_default());
                    None
                }
                (_, "setup") => {
                    role = TaskRole::Setup;
                    Some(FnKind::Task)
                }
                (_, "teardown") => {
                    role = TaskRole::Teardown;
                    Some(FnKind::Task)
                }
                ("task", _) => Some(FnKind::Task),
                _ => None,
            };
            if let Some(found) = found {
                kind = found;
                kwargs = args.map(|a| a.keywords).unwrap_or_default();
            }
        }
        if let Some(args) = asset_decorator {
            self.make_asset_dag(name, name_node, &args);
            self.bind(name, Value::Unknown);
            return;
        }
        self.bind(
            name,
            Value::Function(FnDef {
                node: def,
                kind,
                kwargs,
                role,
            }),
        );
    }

    /// Binds a value to an assignment target (names, tuples, `globals()[…]`).
    fn assign(&mut self, target: Node<'t>, value: Value<'t>) {
        match target.kind() {
            "identifier" => {
                let name = self.src.text_of(target);
                self.bind(name, value);
            }
            "pattern_list" | "tuple_pattern" | "list_pattern" => {
                let targets = named_children(target);
                match value {
                    Value::List(items) if items.len() == targets.len() => {
                        for (t, v) in targets.into_iter().zip(items) {
                            self.assign(t, v);
                        }
                    }
                    _ => {
                        for t in targets {
                            self.assign(t, Value::Unknown);
                        }
                    }
                }
            }
            "subscript" => {
                let object = target.field(Field::Value);
                let is_globals = object.is_some_and(|o| {
                    o.kind() == "call"
                        && o.field(Field::Function)
                            .is_some_and(|f| self.src.text_of(f) == "globals")
                });
                let key = target
                    .field(Field::Subscript)
                    .map_or(Value::Unknown, |k| self.eval(k));
                if is_globals {
                    if let Some(name) = key.as_str() {
                        let name = name.to_string();
                        self.bind(&name, value);
                    }
                } else if let Some(object) = object.filter(|o| o.kind() == "identifier") {
                    // `default_args["owner"] = "x"` on a known dict.
                    let name = self.src.text_of(object);
                    if let (Value::Dict(mut entries), Some(key)) = (self.lookup(name), key.as_str())
                    {
                        entries.retain(|e| e.key != key);
                        entries.push(Entry {
                            key: key.to_string(),
                            value,
                            at: Self::range(target),
                        });
                        self.bind(name, Value::dict(entries));
                    }
                }
            }
            _ => {}
        }
    }
}

/// The items a `for` loop over a known value visits.
fn iteration_items(value: Value<'_>) -> Option<Vec<Value<'_>>> {
    match value {
        Value::List(items) => Some(items),
        Value::Dict(entries) => Some(entries.into_iter().map(|e| Value::string(e.key)).collect()),
        Value::Str(s) => Some(s.s.chars().map(|c| Value::string(c.to_string())).collect()),
        _ => None,
    }
}

/// The assets inside a value (an asset, a list of them, an `|`/`&` expression).
pub(super) fn collect_assets(value: &Value<'_>, out: &mut Vec<AssetRef>) {
    match value {
        Value::Asset(a) => out.push(a.clone()),
        Value::List(items) => items.iter().for_each(|i| collect_assets(i, out)),
        _ => {}
    }
}

/// Joins a path part to a folder, as `os.path.join` does (an absolute part
/// replaces what came before), and normalizes `.` and `..`.
pub(super) fn join_path(base: &str, part: &str) -> String {
    if part.starts_with('/') {
        return normalize_path(part);
    }
    if base.is_empty() {
        return normalize_path(part);
    }
    normalize_path(&format!("{base}/{part}"))
}

/// Removes `.` and resolves `..` components; keeps a leading `/`.
pub(super) fn normalize_path(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// The last component of a path.
pub(super) fn file_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

/// The folder of a repo-relative path (`""` for the repo root).
pub(super) fn parent_dir(path: &str) -> String {
    match path.trim_end_matches('/').rsplit_once('/') {
        Some((dir, _)) => dir.to_string(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::calls::str_format;
    use super::expressions::percent_format;
    use super::*;

    #[test]
    fn paths_join_and_normalize_like_os_path() {
        assert_eq!(join_path("dags", "../sql"), "sql");
        assert_eq!(join_path("a/b", "./c/../d.sql"), "a/b/d.sql");
        assert_eq!(join_path("a", "/opt/sql"), "/opt/sql");
        assert_eq!(parent_dir("dags/x.py"), "dags");
        assert_eq!(parent_dir("x.py"), "");
        assert_eq!(normalize_path("../x"), "../x");
    }

    #[test]
    fn string_formatting_folds_known_arguments_only() {
        let mut args = Args::default();
        args.positional.push((Value::string("a"), (0, 0)));
        args.keywords.push(Entry {
            key: "n".into(),
            value: Value::Int(2),
            at: (0, 0),
        });
        assert_eq!(str_format("x_{}_{n}", &args), Some("x_a_2".into()));
        assert_eq!(str_format("{:>3}", &args), None);
        assert_eq!(
            percent_format(
                "%s_%d",
                &Value::List(vec![Value::string("a"), Value::Int(1)])
            ),
            Some("a_1".into())
        );
        assert_eq!(percent_format("%s_%s", &Value::string("a")), None);
    }
}
