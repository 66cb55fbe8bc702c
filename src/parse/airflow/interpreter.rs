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

use std::collections::HashMap;

use tree_sitter::Node;

use crate::parse::ParseContext;

use super::model::Model;
use super::syntax::{dotted_name, last_part, named_children, Source};
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
            scopes: vec![module],
            ctx: Vec::new(),
            depth: 0,
            call_depth: 0,
            steps: 0,
        }
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
                if let Some(body) = stmt.child_by_field_name("body") {
                    return self.exec_block(body);
                }
            }
            "function_definition" => {
                if let Some(name) = stmt.child_by_field_name("name") {
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
                if let Some(name) = stmt.child_by_field_name("name") {
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
        let body = clause.child_by_field_name("body").or_else(|| {
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
            let Some(value_node) = item.child_by_field_name("value") else {
                continue;
            };
            let (expr, alias) = if value_node.kind() == "as_pattern" {
                (
                    named_children(value_node).first().copied(),
                    value_node.child_by_field_name("alias"),
                )
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
                let target = named_children(alias).first().copied().unwrap_or(alias);
                self.assign(target, value);
            }
        }
        let before = self.model.tasks.len();
        let flow = stmt
            .child_by_field_name("body")
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
            .child_by_field_name("function")
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
        let (Some(left), Some(right), Some(body)) = (
            stmt.child_by_field_name("left"),
            stmt.child_by_field_name("right"),
            stmt.child_by_field_name("body"),
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
            .child_by_field_name("condition")
            .map_or(Value::Unknown, |c| self.eval(c));
        let consequence = stmt.child_by_field_name("consequence");
        let mut c = stmt.walk();
        let alternatives: Vec<Node<'t>> =
            stmt.children_by_field_name("alternative", &mut c).collect();
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
                        .child_by_field_name("condition")
                        .map_or(Value::Unknown, |c| self.eval(c));
                    let body = alt.child_by_field_name("consequence");
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
        let Some(def) = stmt.child_by_field_name("definition") else {
            return;
        };
        let Some(name_node) = def.child_by_field_name("name") else {
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
            let Some(expr) = named_children(dec).first().copied() else {
                continue;
            };
            let (callee, args) = if expr.kind() == "call" {
                let args = self.eval_args(expr.child_by_field_name("arguments"));
                (expr.child_by_field_name("function"), Some(args))
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
                let object = target.child_by_field_name("value");
                let is_globals = object.is_some_and(|o| {
                    o.kind() == "call"
                        && o.child_by_field_name("function")
                            .is_some_and(|f| self.src.text_of(f) == "globals")
                });
                let key = target
                    .child_by_field_name("subscript")
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

    // ---- expressions ------------------------------------------------------

    /// Evaluates an expression (and records what it builds).
    pub fn eval(&mut self, node: Node<'t>) -> Value<'t> {
        if self.depth >= MAX_DEPTH {
            self.too_deep(node);
            return Value::Unknown;
        }
        self.depth += 1;
        let v = self.eval_inner(node);
        self.depth -= 1;
        v
    }

    fn eval_inner(&mut self, node: Node<'t>) -> Value<'t> {
        match node.kind() {
            "identifier" => self.lookup(self.src.text_of(node)),
            "string" => self.eval_string(node),
            "concatenated_string" => {
                let mut out = String::new();
                for part in named_children(node) {
                    match self.eval(part) {
                        Value::Str(t) => out.push_str(&t.s),
                        _ => return Value::Unknown,
                    }
                }
                Value::string(out)
            }
            "integer" => parse_int(self.src.text_of(node)).map_or(Value::Unknown, Value::Int),
            "float" => self
                .src
                .text_of(node)
                .replace('_', "")
                .parse()
                .map_or(Value::Unknown, Value::Float),
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "none" => Value::None,
            "parenthesized_expression" => named_children(node)
                .first()
                .map_or(Value::Unknown, |c| self.eval(*c)),
            "list" | "tuple" | "set" | "expression_list" => {
                let mut items = Vec::new();
                let mut unknown_length = false;
                for child in named_children(node) {
                    if child.kind() == "list_splat" {
                        match named_children(child).first().map(|c| self.eval(*c)) {
                            Some(Value::List(inner)) => items.extend(inner),
                            _ => unknown_length = true,
                        }
                    } else {
                        items.push(self.eval(child));
                    }
                }
                if unknown_length {
                    return Value::Unknown;
                }
                Value::list(items)
            }
            "dictionary" => self.eval_dict(node),
            "binary_operator" => self.eval_binary(node),
            "assignment" => {
                let value = node
                    .child_by_field_name("right")
                    .map_or(Value::Unknown, |r| self.eval(r));
                if let Some(left) = node.child_by_field_name("left") {
                    self.assign(left, value.clone());
                }
                value
            }
            "augmented_assignment" => {
                let Some((left, op, right)) = self.binary(node) else {
                    return Value::Unknown;
                };
                let current = self.eval(left);
                let add = self.eval(right);
                let value = if op == "+=" {
                    add_values(current, add)
                } else {
                    Value::Unknown
                };
                self.assign(left, value.clone());
                value
            }
            "named_expression" => {
                let value = node
                    .child_by_field_name("value")
                    .map_or(Value::Unknown, |v| self.eval(v));
                if let Some(name) = node.child_by_field_name("name") {
                    self.assign(name, value.clone());
                }
                value
            }
            "call" => self.eval_call(node),
            "attribute" => self.eval_attribute(node),
            "subscript" => {
                let object = node
                    .child_by_field_name("value")
                    .map_or(Value::Unknown, |v| self.eval(v));
                let key = node
                    .child_by_field_name("subscript")
                    .map_or(Value::Unknown, |k| self.eval(k));
                match (&object, &key) {
                    (Value::Tasks { xcom: true, .. }, _) => object.clone(),
                    (Value::Dict(_), Value::Str(k)) => {
                        object.get(&k.s).map_or(Value::Unknown, |e| e.value.clone())
                    }
                    (Value::List(items), Value::Int(i)) => {
                        let idx = if *i < 0 { items.len() as i64 + i } else { *i };
                        usize::try_from(idx)
                            .ok()
                            .and_then(|i| items.get(i))
                            .cloned()
                            .unwrap_or(Value::Unknown)
                    }
                    _ => Value::Unknown,
                }
            }
            "conditional_expression" => {
                let parts = named_children(node);
                if parts.len() != 3 {
                    return Value::Unknown;
                }
                match self.eval(parts[1]).truthy() {
                    Some(true) => self.eval(parts[0]),
                    Some(false) => self.eval(parts[2]),
                    None => {
                        self.eval(parts[0]);
                        self.eval(parts[2]);
                        Value::Unknown
                    }
                }
            }
            "boolean_operator" => {
                let Some((l, op, r)) = self.binary(node) else {
                    return Value::Unknown;
                };
                let left = self.eval(l);
                match (op, left.truthy()) {
                    ("and", Some(false)) | ("or", Some(true)) => left,
                    (_, Some(_)) => self.eval(r),
                    _ => {
                        self.eval(r);
                        Value::Unknown
                    }
                }
            }
            "not_operator" => node
                .child_by_field_name("argument")
                .map(|a| self.eval(a))
                .and_then(|v| v.truthy())
                .map_or(Value::Unknown, |b| Value::Bool(!b)),
            "comparison_operator" => self.eval_comparison(node),
            "list_comprehension" => self.eval_comprehension(node),
            "unary_operator" => {
                let arg = node
                    .child_by_field_name("argument")
                    .map_or(Value::Unknown, |a| self.eval(a));
                let op = node
                    .child_by_field_name("operator")
                    .map_or("", |o| self.src.text_of(o));
                match (op, arg) {
                    ("-", Value::Int(i)) => Value::Int(-i),
                    ("-", Value::Float(f)) => Value::Float(-f),
                    _ => Value::Unknown,
                }
            }
            "keyword_argument" | "lambda" | "generator_expression" | "await" | "yield" => {
                Value::Unknown
            }
            _ => Value::Unknown,
        }
    }

    fn eval_string(&mut self, node: Node<'t>) -> Value<'t> {
        let mut prefix = "";
        let mut out = String::new();
        let mut raw_at = None;
        let mut verbatim = true;
        let mut contents = 0;
        for child in named_children(node) {
            match child.kind() {
                "string_start" => {
                    let t = self.src.text_of(child);
                    prefix = t.trim_end_matches(['"', '\'']);
                }
                "string_content" => {
                    contents += 1;
                    let lower = prefix.to_ascii_lowercase();
                    let (text, same) = unescape(
                        self.src.text_of(child),
                        lower.contains('r'),
                        lower.contains('f') || lower.contains('t'),
                    );
                    verbatim &= same;
                    if raw_at.is_none() {
                        raw_at = Some(child.start_byte());
                    }
                    out.push_str(&text);
                }
                "interpolation" => {
                    verbatim = false;
                    if child.child_by_field_name("format_specifier").is_some()
                        || child.child_by_field_name("type_conversion").is_some()
                    {
                        return Value::Unknown;
                    }
                    let value = child
                        .child_by_field_name("expression")
                        .map_or(Value::Unknown, |e| self.eval(e));
                    match value.display() {
                        Some(s) => out.push_str(&s),
                        None => return Value::Unknown,
                    }
                }
                _ => {}
            }
        }
        if prefix.to_ascii_lowercase().contains('b') {
            return Value::Unknown;
        }
        if out.len() > super::values::MAX_TEXT {
            return Value::Unknown;
        }
        Value::Str(Text {
            s: out,
            raw_at: raw_at.filter(|_| verbatim && contents == 1),
        })
    }

    fn eval_dict(&mut self, node: Node<'t>) -> Value<'t> {
        let mut entries: Vec<Entry<'t>> = Vec::new();
        for child in named_children(node) {
            match child.kind() {
                "pair" => {
                    let key = child
                        .child_by_field_name("key")
                        .map_or(Value::Unknown, |k| self.eval(k));
                    let Some(value_node) = child.child_by_field_name("value") else {
                        continue;
                    };
                    let value = self.eval(value_node);
                    if let Some(key) = key.display().filter(|_| !matches!(key, Value::None)) {
                        entries.retain(|e| e.key != key);
                        entries.push(Entry {
                            key,
                            value,
                            at: Self::range(value_node),
                        });
                    }
                }
                "dictionary_splat" => match named_children(child).first().map(|c| self.eval(*c)) {
                    Some(Value::Dict(inner)) => {
                        for e in inner {
                            entries.retain(|x| x.key != e.key);
                            entries.push(e);
                        }
                    }
                    _ => return Value::Unknown,
                },
                _ => {}
            }
        }
        Value::dict(entries)
    }

    /// The left operand, operator text and right operand of a binary node.
    fn binary(&self, node: Node<'t>) -> Option<(Node<'t>, &'t str, Node<'t>)> {
        let left = node.child_by_field_name("left")?;
        let right = node.child_by_field_name("right")?;
        let op = node
            .child_by_field_name("operator")
            .map_or("", |o| self.src.text_of(o));
        Some((left, op, right))
    }

    /// Flattens a left-nested chain of one operator (`a >> b >> c`, `"a" + b + c`)
    /// iteratively, so long chains cost no recursion.
    fn operator_chain(&self, node: Node<'t>) -> (String, Vec<Node<'t>>, Vec<Node<'t>>) {
        let op_text = |n: Node<'t>| {
            n.child_by_field_name("operator")
                .map_or(String::new(), |o| self.src.text_of(o).to_string())
        };
        let op = op_text(node);
        let mut operands = Vec::new();
        let mut operators = Vec::new();
        let mut current = node;
        while let (Some(l), Some(r)) = (
            current.child_by_field_name("left"),
            current.child_by_field_name("right"),
        ) {
            operands.push(r);
            if let Some(o) = current.child_by_field_name("operator") {
                operators.push(o);
            }
            if l.kind() == "binary_operator" && op_text(l) == op {
                current = l;
            } else {
                operands.push(l);
                break;
            }
        }
        operands.reverse();
        operators.reverse();
        (op, operands, operators)
    }

    fn eval_binary(&mut self, node: Node<'t>) -> Value<'t> {
        let (op, operands, operators) = self.operator_chain(node);
        let mut values: Vec<Value<'t>> = operands.iter().map(|n| self.eval(*n)).collect();
        match op.as_str() {
            ">>" | "<<" => {
                let mut operators = operators;
                let mut i = 0;
                while i < values.len() {
                    if matches!(values[i], Value::Label) && values.len() > 1 {
                        values.remove(i);
                        if !operators.is_empty() {
                            operators.remove(i.min(operators.len() - 1));
                        }
                    } else {
                        i += 1;
                    }
                }
                for (i, pair) in values.windows(2).enumerate() {
                    let span = operators
                        .get(i)
                        .map_or_else(|| self.src.span(node), |o| self.src.span(*o));
                    if op == ">>" {
                        self.connect(&pair[0], &pair[1], span);
                    } else {
                        self.connect(&pair[1], &pair[0], span);
                    }
                }
                values.into_iter().last().unwrap_or(Value::Unknown)
            }
            "+" => values
                .into_iter()
                .reduce(add_values)
                .unwrap_or(Value::Unknown),
            "|" | "&" => {
                let mut assets = Vec::new();
                for v in values {
                    collect_assets(&v, &mut assets);
                }
                if assets.is_empty() {
                    Value::Unknown
                } else {
                    Value::List(assets.into_iter().map(Value::Asset).collect())
                }
            }
            "/" => values
                .into_iter()
                .reduce(|a, b| match (a, b) {
                    (Value::RepoPath(p), Value::Str(s)) => Value::RepoPath(join_path(&p, &s.s)),
                    _ => Value::Unknown,
                })
                .unwrap_or(Value::Unknown),
            "%" => match (values.first(), values.get(1)) {
                (Some(Value::Str(fmt)), Some(arg)) if values.len() == 2 => {
                    percent_format(&fmt.s, arg).map_or(Value::Unknown, Value::string)
                }
                _ => Value::Unknown,
            },
            _ => Value::Unknown,
        }
    }

    fn eval_comparison(&mut self, node: Node<'t>) -> Value<'t> {
        let parts = named_children(node);
        let mut ops = Vec::new();
        let mut c = node.walk();
        for child in node.children(&mut c) {
            if !child.is_named() {
                ops.push(self.src.text_of(child).to_string());
            }
        }
        let values: Vec<Value<'t>> = parts.iter().map(|p| self.eval(*p)).collect();
        if values.len() != 2 || ops.is_empty() {
            return Value::Unknown;
        }
        let op = ops.join(" ");
        let eq = values[0].equals(&values[1]);
        match op.as_str() {
            "==" | "is" => eq.map_or(Value::Unknown, Value::Bool),
            "!=" | "is not" => eq.map_or(Value::Unknown, |b| Value::Bool(!b)),
            "in" | "not in" => {
                let found = match &values[1] {
                    Value::List(items) => items
                        .iter()
                        .map(|i| values[0].equals(i))
                        .try_fold(false, |acc, e| e.map(|e| acc || e)),
                    Value::Dict(_) => values[0].as_str().map(|k| values[1].get(k).is_some()),
                    Value::Str(s) => values[0].as_str().map(|k| s.s.contains(k)),
                    _ => None,
                };
                found.map_or(Value::Unknown, |f| Value::Bool(f == (op == "in")))
            }
            _ => Value::Unknown,
        }
    }

    fn eval_comprehension(&mut self, node: Node<'t>) -> Value<'t> {
        let Some(body) = node.child_by_field_name("body") else {
            return Value::Unknown;
        };
        let clauses: Vec<Node<'t>> = named_children(node)
            .into_iter()
            .filter(|c| matches!(c.kind(), "for_in_clause" | "if_clause"))
            .collect();
        let [for_clause, rest @ ..] = clauses.as_slice() else {
            return Value::Unknown;
        };
        if for_clause.kind() != "for_in_clause" || rest.iter().any(|c| c.kind() != "if_clause") {
            return Value::Unknown;
        }
        let (Some(left), Some(right)) = (
            for_clause.child_by_field_name("left"),
            for_clause.child_by_field_name("right"),
        ) else {
            return Value::Unknown;
        };
        let iterable = self.eval(right);
        let Some(items) = iteration_items(iterable) else {
            return Value::Unknown;
        };
        self.scopes.push(HashMap::new());
        let mut out = Vec::new();
        for item in items.into_iter().take(MAX_LOOP) {
            if !self.tick(node) {
                break;
            }
            self.assign(left, item);
            let mut keep = Some(true);
            for cond in rest {
                let v = named_children(*cond)
                    .first()
                    .map_or(Value::Unknown, |c| self.eval(*c));
                keep = match (keep, v.truthy()) {
                    (Some(true), t) => t,
                    (k, _) => k,
                };
            }
            match keep {
                Some(true) => out.push(self.eval(body)),
                Some(false) => {}
                None => {
                    self.eval(body);
                    out.push(Value::Unknown);
                }
            }
        }
        self.scopes.pop();
        Value::list(out)
    }

    fn eval_attribute(&mut self, node: Node<'t>) -> Value<'t> {
        let (Some(object), Some(attr)) = (
            node.child_by_field_name("object"),
            node.child_by_field_name("attribute"),
        ) else {
            return Value::Unknown;
        };
        let attr = self.src.text_of(attr);
        let value = self.eval(object);
        match (value, attr) {
            (Value::Tasks { items, .. }, "output") => Value::Tasks { items, xcom: true },
            (Value::RepoPath(p), "parent") => Value::RepoPath(parent_dir(&p)),
            (Value::RepoPath(p), "name") => Value::string(file_name(&p)),
            (Value::RepoPath(p), "stem") => {
                let name = file_name(&p);
                let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
                Value::string(stem)
            }
            (Value::Dag(d), "dag_id") => Value::string(self.model.dags[d].id.clone()),
            (Value::Tasks { items, .. }, "task_id") => match items.as_slice() {
                [super::values::Endpoint::Task(t)] => {
                    Value::string(self.model.tasks[*t].job.name.clone())
                }
                _ => Value::Unknown,
            },
            _ => Value::Unknown,
        }
    }

    /// Evaluates a call's arguments, spreading known `*list` / `**dict`.
    pub fn eval_args(&mut self, node: Option<Node<'t>>) -> Args<'t> {
        let mut args = Args::default();
        let Some(node) = node else { return args };
        if node.kind() != "argument_list" {
            self.eval(node);
            args.unknown_spread = Some(Self::range(node));
            return args;
        }
        for child in named_children(node) {
            match child.kind() {
                "keyword_argument" => {
                    let (Some(name), Some(value)) = (
                        child.child_by_field_name("name"),
                        child.child_by_field_name("value"),
                    ) else {
                        continue;
                    };
                    let v = self.eval(value);
                    args.keywords.push(Entry {
                        key: self.src.text_of(name).to_string(),
                        value: v,
                        at: Self::range(value),
                    });
                }
                "list_splat" => match named_children(child).first().map(|c| self.eval(*c)) {
                    Some(Value::List(items)) => {
                        let at = Self::range(child);
                        args.positional.extend(items.into_iter().map(|v| (v, at)));
                    }
                    _ => args.unknown_spread = Some(Self::range(child)),
                },
                "dictionary_splat" => match named_children(child).first().map(|c| self.eval(*c)) {
                    Some(Value::Dict(entries)) => args.keywords.extend(entries),
                    _ => args.unknown_spread = Some(Self::range(child)),
                },
                _ => {
                    let v = self.eval(child);
                    args.positional.push((v, Self::range(child)));
                }
            }
        }
        args
    }

    fn eval_call(&mut self, node: Node<'t>) -> Value<'t> {
        let Some(func) = node.child_by_field_name("function") else {
            return Value::Unknown;
        };
        let name = dotted_name(self.src, func).map(|n| self.canonical(n));
        let (receiver, method) = if func.kind() == "attribute" {
            let object = func.child_by_field_name("object");
            let method = func
                .child_by_field_name("attribute")
                .map_or("", |a| self.src.text_of(a));
            (object.map(|o| self.eval(o)), Some(method))
        } else {
            (None, None)
        };
        let callee = if func.kind() == "identifier" {
            self.lookup(self.src.text_of(func))
        } else if func.kind() != "attribute" {
            self.eval(func)
        } else {
            Value::Unknown
        };
        let args = self.eval_args(node.child_by_field_name("arguments"));
        let name_at = Self::range(func);
        if let (Some(Value::Dict(mut entries)), Some("update")) = (receiver.clone(), method) {
            // `default_args.update({...})` / `.update(k=v)` on a known dict.
            let object = func.child_by_field_name("object");
            if let Some(object) = object.filter(|o| o.kind() == "identifier") {
                let mut new = match args.positional.first() {
                    Some((Value::Dict(d), _)) => d.clone(),
                    Some(_) => return Value::None,
                    None => Vec::new(),
                };
                new.extend(args.keywords.iter().cloned());
                for e in new {
                    entries.retain(|x| x.key != e.key);
                    entries.push(e);
                }
                let name = self.src.text_of(object);
                let updated = if args.unknown_spread.is_some() {
                    Value::Unknown
                } else {
                    Value::dict(entries)
                };
                self.bind(name, updated);
            }
            return Value::None;
        }
        if let (Some(receiver), Some(method)) = (receiver, method) {
            if let Some(v) = self.call_method(receiver, method, &args, node, name.as_deref()) {
                return v;
            }
        }
        if let Value::Function(def) = callee {
            return self.call_function(def, &args, node);
        }
        let short = name.as_deref().map(last_part).unwrap_or("");
        if let Some(v) = self.call_builtin(name.as_deref().unwrap_or(""), short, &args, node) {
            return v;
        }
        if args.kw("task_id").is_some() {
            let class = if short.is_empty() { "operator" } else { short };
            return self.operator_task(class, &args, name_at, node);
        }
        Value::Unknown
    }

    /// Calls of methods on values the reader knows.
    fn call_method(
        &mut self,
        receiver: Value<'t>,
        method: &str,
        args: &Args<'t>,
        node: Node<'t>,
        name: Option<&str>,
    ) -> Option<Value<'t>> {
        let span = self.src.span(node);
        let first = || args.positional.first().map(|(v, _)| v.clone());
        Some(match (receiver, method) {
            (r @ (Value::Tasks { .. } | Value::Group(_) | Value::List(_)), "set_downstream") => {
                if let Some(other) = first() {
                    self.connect(&r, &other, span);
                }
                Value::None
            }
            (r @ (Value::Tasks { .. } | Value::Group(_) | Value::List(_)), "set_upstream") => {
                if let Some(other) = first() {
                    self.connect(&other, &r, span);
                }
                Value::None
            }
            (Value::Function(mut def), "override") if def.kind == FnKind::Task => {
                def.kwargs.extend(args.keywords.iter().cloned());
                Value::Function(def)
            }
            (Value::Function(def), "partial") if def.kind == FnKind::Task => {
                Value::Partial(Box::new(PartialCall {
                    at: Self::range(def.node.child_by_field_name("name").unwrap_or(def.node)),
                    target: PartialTarget::TaskFn(def),
                    args: args.clone(),
                }))
            }
            (Value::Function(def), "expand" | "expand_kwargs") if def.kind == FnKind::Task => {
                self.call_task_fn(&def, args, node)
            }
            (Value::Partial(p), "expand" | "expand_kwargs") => self.expand_partial(*p, args, node),
            (Value::Function(def), "expand" | "expand_kwargs") if def.kind == FnKind::TaskGroup => {
                self.call_function(def, args, node)
            }
            (r @ Value::Tasks { .. }, "as_setup") => {
                self.set_role(&r, TaskRole::Setup);
                r
            }
            (r @ Value::Tasks { .. }, "as_teardown") => {
                self.set_role(&r, TaskRole::Teardown);
                if let Some(setups) = args.kw("setups") {
                    let setups = setups.value.clone();
                    self.connect(&setups, &r, span);
                }
                r
            }
            (Value::Unknown, "partial") if args.kw("task_id").is_some() => {
                let class = name
                    .and_then(|n| n.rsplit_once('.'))
                    .map_or("operator", |(c, _)| last_part(c));
                let at = node
                    .child_by_field_name("function")
                    .and_then(|f| f.child_by_field_name("object"))
                    .map_or(Self::range(node), Self::range);
                Value::Partial(Box::new(PartialCall {
                    target: PartialTarget::Operator(class.to_string()),
                    args: args.clone(),
                    at,
                }))
            }
            (d @ Value::Dict(_), "get") => match first()
                .as_ref()
                .and_then(|k| k.as_str().map(str::to_string))
            {
                Some(k) => d
                    .get(&k)
                    .map(|e| e.value.clone())
                    .or_else(|| args.positional.get(1).map(|(v, _)| v.clone()))
                    .unwrap_or(Value::None),
                None => Value::Unknown,
            },
            (d @ Value::Dict(_), "copy") => d,
            (Value::Dict(entries), "items") => Value::List(
                entries
                    .into_iter()
                    .map(|e| Value::List(vec![Value::string(e.key), e.value]))
                    .collect(),
            ),
            (Value::Dict(entries), "keys") => {
                Value::List(entries.into_iter().map(|e| Value::string(e.key)).collect())
            }
            (Value::Dict(entries), "values") => {
                Value::List(entries.into_iter().map(|e| e.value).collect())
            }
            (Value::Str(sep), "join") => match first() {
                Some(Value::List(items)) => items
                    .iter()
                    .map(|i| i.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .map_or(Value::Unknown, |parts| Value::string(parts.join(&sep.s))),
                _ => Value::Unknown,
            },
            (Value::Str(fmt), "format") => {
                str_format(&fmt.s, args).map_or(Value::Unknown, Value::string)
            }
            (Value::Str(s), "lower") => Value::string(s.s.to_lowercase()),
            (Value::Str(s), "upper") => Value::string(s.s.to_uppercase()),
            (Value::Str(s), "strip") if args.positional.is_empty() => {
                Value::string(s.s.trim().to_string())
            }
            (Value::Str(s), "replace") => match (first(), args.positional.get(1)) {
                (Some(Value::Str(a)), Some((Value::Str(b), _))) => {
                    Value::string(s.s.replace(&a.s, &b.s))
                }
                _ => Value::Unknown,
            },
            (Value::RepoPath(p), "joinpath") => args
                .positional
                .iter()
                .try_fold(p, |acc, (v, _)| v.as_str().map(|s| join_path(&acc, s)))
                .map_or(Value::Unknown, Value::RepoPath),
            (Value::RepoPath(p), "resolve" | "absolute") => Value::RepoPath(p),
            _ => return None,
        })
    }

    /// Calls whose meaning comes from their name: Airflow constructors and
    /// helpers, and the few standard-library functions that fold constants.
    fn call_builtin(
        &mut self,
        name: &str,
        short: &str,
        args: &Args<'t>,
        node: Node<'t>,
    ) -> Option<Value<'t>> {
        let span = self.src.span(node);
        let first = args.positional.first().map(|(v, _)| v.clone());
        let name_at = node
            .child_by_field_name("function")
            .map_or(Self::range(node), Self::range);
        Some(match short {
            "DAG" => self.make_dag(args, name_at, None),
            "TaskGroup" => self.make_group(args, None),
            "chain" => {
                self.chain(args, span);
                Value::None
            }
            "chain_linear" => {
                self.chain_linear(args, span);
                Value::None
            }
            "cross_downstream" => {
                self.cross_downstream(args, span);
                Value::None
            }
            "Label" => Value::Label,
            "XComArg" => match first {
                Some(Value::Tasks { items, .. }) => Value::Tasks { items, xcom: true },
                _ => Value::Unknown,
            },
            "timedelta" | "duration" => {
                timedelta_seconds(args).map_or(Value::Unknown, Value::Duration)
            }
            "Dataset" | "Asset" => {
                let uri = args
                    .kw("uri")
                    .map(|e| (&e.value, e.at))
                    .or_else(|| args.arg("name", 0));
                match uri {
                    Some((Value::Str(t), at)) => Value::Asset(AssetRef {
                        name: t.s.clone(),
                        at,
                    }),
                    _ => Value::Unknown,
                }
            }
            "DatasetAll" | "DatasetAny" | "AssetAll" | "AssetAny" => {
                let mut assets = Vec::new();
                for (v, _) in &args.positional {
                    collect_assets(v, &mut assets);
                }
                Value::List(assets.into_iter().map(Value::Asset).collect())
            }
            "CronTriggerTimetable" | "CronDataIntervalTimetable" | "CronPartitionTimetable" => {
                let cron = args
                    .arg("cron", 0)
                    .and_then(|(v, _)| v.as_str().map(str::to_string));
                Value::Timetable(Timetable {
                    cadence: cron.and_then(|c| crate::cadence::Cadence::parse(&c).ok()),
                    assets: Vec::new(),
                    name: short.to_string(),
                })
            }
            "MultipleCronTriggerTimetable" => {
                let crons: Vec<crate::cadence::Cadence> = args
                    .positional
                    .iter()
                    .filter_map(|(v, _)| v.as_str())
                    .filter_map(|c| crate::cadence::Cadence::parse(c).ok())
                    .collect();
                Value::Timetable(Timetable {
                    cadence: crons
                        .into_iter()
                        .min_by_key(|c| c.max_gap_seconds().unwrap_or(u64::MAX)),
                    assets: Vec::new(),
                    name: short.to_string(),
                })
            }
            "AssetAlias" | "DatasetAlias" => Value::Timetable(Timetable {
                cadence: Some(crate::cadence::Cadence::OnData),
                assets: Vec::new(),
                name: short.to_string(),
            }),
            "DeltaDataIntervalTimetable" | "DeltaTriggerTimetable" => {
                let delta = match args.arg("delta", 0) {
                    Some((Value::Duration(s), _)) => Some(crate::cadence::Cadence::Every(*s)),
                    _ => None,
                };
                Value::Timetable(Timetable {
                    cadence: delta,
                    assets: Vec::new(),
                    name: short.to_string(),
                })
            }
            "DatasetOrTimeSchedule" | "AssetOrTimeSchedule" => {
                let base = match args.arg("timetable", 0) {
                    Some((Value::Timetable(t), _)) => t.cadence.clone(),
                    _ => None,
                };
                let mut assets = Vec::new();
                if let Some((v, _)) = args
                    .kw("datasets")
                    .or_else(|| args.kw("assets"))
                    .map(|e| (&e.value, e.at))
                {
                    collect_assets(v, &mut assets);
                }
                Value::Timetable(Timetable {
                    cadence: base,
                    assets,
                    name: short.to_string(),
                })
            }
            _ => match name {
                "dict" => {
                    let mut entries = match first {
                        Some(Value::Dict(e)) => e,
                        Some(_) => return Some(Value::Unknown),
                        None => Vec::new(),
                    };
                    if args.unknown_spread.is_some() {
                        return Some(Value::Unknown);
                    }
                    for e in &args.keywords {
                        entries.retain(|x| x.key != e.key);
                        entries.push(e.clone());
                    }
                    Value::dict(entries)
                }
                "str" => first
                    .and_then(|v| v.display())
                    .map_or(Value::Unknown, Value::string),
                "int" => match first {
                    Some(Value::Int(i)) => Value::Int(i),
                    Some(Value::Str(s)) => s.s.trim().parse().map_or(Value::Unknown, Value::Int),
                    _ => Value::Unknown,
                },
                "list" | "tuple" | "sorted" => match first {
                    Some(v @ Value::List(_)) => v,
                    _ => Value::Unknown,
                },
                "range" => {
                    let ints: Option<Vec<i64>> = args
                        .positional
                        .iter()
                        .map(|(v, _)| match v {
                            Value::Int(i) => Some(*i),
                            _ => None,
                        })
                        .collect();
                    match ints.as_deref() {
                        Some([end]) => int_range(0, *end),
                        Some([start, end]) => int_range(*start, *end),
                        _ => Value::Unknown,
                    }
                }
                "enumerate" => match first {
                    Some(Value::List(items)) => Value::List(
                        items
                            .into_iter()
                            .enumerate()
                            .map(|(i, v)| Value::List(vec![Value::Int(i as i64), v]))
                            .collect(),
                    ),
                    _ => Value::Unknown,
                },
                "os.path.join" => {
                    let mut parts = args.positional.iter().map(|(v, _)| v);
                    let base = match parts.next() {
                        Some(Value::RepoPath(p)) => Some(p.clone()),
                        Some(Value::Str(s)) => {
                            return Some(
                                parts
                                    .try_fold(s.s.clone(), |acc, v| {
                                        v.as_str().map(|s| join_path(&acc, s))
                                    })
                                    .map_or(Value::Unknown, Value::string),
                            )
                        }
                        _ => None,
                    };
                    base.and_then(|b| {
                        parts.try_fold(b, |acc, v| v.as_str().map(|s| join_path(&acc, s)))
                    })
                    .map_or(Value::Unknown, Value::RepoPath)
                }
                "os.path.basename" => match first {
                    Some(Value::RepoPath(p)) => Value::string(file_name(&p)),
                    Some(Value::Str(p)) => Value::string(file_name(&p.s)),
                    _ => Value::Unknown,
                },
                "os.path.dirname" => match first {
                    Some(Value::RepoPath(p)) => Value::RepoPath(parent_dir(&p)),
                    _ => Value::Unknown,
                },
                "os.path.abspath" | "os.path.realpath" | "os.path.normpath" => match first {
                    Some(v @ Value::RepoPath(_)) => v,
                    _ => Value::Unknown,
                },
                "Path" | "pathlib.Path" => match first {
                    Some(v @ Value::RepoPath(_)) => v,
                    Some(Value::Str(s)) => Value::string(s.s),
                    _ => Value::Unknown,
                },
                // A custom timetable (`WorkdayTimetable()`): scheduled, at
                // times only its code knows.
                _ if short.ends_with("Timetable") => Value::Timetable(Timetable {
                    cadence: None,
                    assets: Vec::new(),
                    name: short.to_string(),
                }),
                _ => return None,
            },
        })
    }

    /// Calls a function defined in the file: `@dag`, `@task`, `@task_group`,
    /// or a plain function whose body is read with the arguments bound.
    fn call_function(&mut self, def: FnDef<'t>, args: &Args<'t>, node: Node<'t>) -> Value<'t> {
        match def.kind {
            FnKind::Task => self.call_task_fn(&def, args, node),
            FnKind::Dag => {
                let name = def
                    .node
                    .child_by_field_name("name")
                    .map_or("", |n| self.src.text_of(n));
                let mut dag_args = Args {
                    keywords: def.kwargs.clone(),
                    ..Args::default()
                };
                dag_args.unknown_spread = None;
                let name_at = Self::range(def.node.child_by_field_name("name").unwrap_or(def.node));
                let dag = self.make_dag(&dag_args, name_at, Some(name));
                let ctx = match dag {
                    Value::Dag(d) => Ctx::Dag(d),
                    _ => Ctx::Unknown,
                };
                self.ctx.push(ctx);
                self.run_body(&def, args);
                self.ctx.pop();
                dag
            }
            FnKind::TaskGroup => {
                let name = def
                    .node
                    .child_by_field_name("name")
                    .map_or("", |n| self.src.text_of(n));
                let group_args = Args {
                    keywords: def.kwargs.clone(),
                    ..Args::default()
                };
                let group = self.make_group(&group_args, Some(name));
                let ctx = match group {
                    Value::Group(g) => Ctx::Group(g),
                    _ => Ctx::Unknown,
                };
                self.ctx.push(ctx);
                let returned = self.run_body(&def, args);
                self.ctx.pop();
                match returned {
                    v @ Value::Tasks { .. } => v,
                    _ => group,
                }
            }
            FnKind::Plain => self.run_body(&def, args),
        }
    }

    /// Reads a function body with its parameters bound to the arguments;
    /// returns what it returns.
    fn run_body(&mut self, def: &FnDef<'t>, args: &Args<'t>) -> Value<'t> {
        if self.call_depth >= MAX_CALL_DEPTH {
            self.model.unresolved(
                format!("calls nested deeper than {MAX_CALL_DEPTH} levels"),
                self.src.span(def.node),
            );
            return Value::Unknown;
        }
        let mut scope = HashMap::new();
        let params = def
            .node
            .child_by_field_name("parameters")
            .map(named_children)
            .unwrap_or_default();
        let mut positional = args.positional.iter();
        for p in params {
            let (name_node, default) = match p.kind() {
                "identifier" => (Some(p), None),
                "default_parameter" | "typed_default_parameter" => (
                    p.child_by_field_name("name"),
                    p.child_by_field_name("value"),
                ),
                "typed_parameter" => (named_children(p).first().copied(), None),
                _ => (None, None),
            };
            let Some(name_node) = name_node else { continue };
            let name = self.src.text_of(name_node);
            let value = if let Some(kw) = args.kw(name) {
                kw.value.clone()
            } else if let Some((v, _)) = positional.next() {
                v.clone()
            } else if args.unknown_spread.is_some() {
                Value::Unknown
            } else if let Some(d) = default {
                self.eval(d)
            } else {
                Value::Unknown
            };
            scope.insert(name.to_string(), value);
        }
        self.scopes.push(scope);
        self.call_depth += 1;
        let flow = def
            .node
            .child_by_field_name("body")
            .map_or(Flow::Next, |b| self.exec_block(b));
        self.call_depth -= 1;
        self.scopes.pop();
        match flow {
            Flow::Return(v) => v,
            Flow::Next => Value::None,
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

fn int_range<'t>(start: i64, end: i64) -> Value<'t> {
    if end.saturating_sub(start) > MAX_LOOP as i64 {
        return Value::Unknown;
    }
    Value::List((start..end).map(Value::Int).collect())
}

fn parse_int(text: &str) -> Option<i64> {
    let t = text.replace('_', "").to_ascii_lowercase();
    if let Some(hex) = t.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    t.parse().ok()
}

/// `a + b` for strings, lists and numbers.
fn add_values<'t>(a: Value<'t>, b: Value<'t>) -> Value<'t> {
    match (a, b) {
        (Value::Str(a), Value::Str(b)) => Value::string(a.s + &b.s),
        (Value::List(mut a), Value::List(b)) => {
            a.extend(b);
            Value::list(a)
        }
        (Value::Int(a), Value::Int(b)) => a.checked_add(b).map_or(Value::Unknown, Value::Int),
        (Value::Duration(a), Value::Duration(b)) => Value::Duration(a.saturating_add(b)),
        _ => Value::Unknown,
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
fn file_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

/// The folder of a repo-relative path (`""` for the repo root).
pub(super) fn parent_dir(path: &str) -> String {
    match path.trim_end_matches('/').rsplit_once('/') {
        Some((dir, _)) => dir.to_string(),
        None => String::new(),
    }
}

/// `"{} {name}".format(...)` with known arguments.
fn str_format(fmt: &str, args: &Args<'_>) -> Option<String> {
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    let mut auto = 0;
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut field = String::new();
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                    field.push(c);
                }
                if field.contains([':', '!', '.', '[']) {
                    return None;
                }
                let value = if field.is_empty() {
                    auto += 1;
                    args.positional.get(auto - 1).map(|(v, _)| v)
                } else if let Ok(i) = field.parse::<usize>() {
                    args.positional.get(i).map(|(v, _)| v)
                } else {
                    args.kw(&field).map(|e| &e.value)
                };
                out.push_str(&value?.display()?);
            }
            c => out.push(c),
        }
    }
    Some(out)
}

/// `"%s_%s" % (a, b)` with known arguments (`%s` and `%d` only).
fn percent_format(fmt: &str, arg: &Value<'_>) -> Option<String> {
    let values: Vec<&Value<'_>> = match arg {
        Value::List(items) => items.iter().collect(),
        v => vec![v],
    };
    let mut out = String::new();
    let mut next = values.into_iter();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '%' => out.push('%'),
            's' | 'd' => out.push_str(&next.next()?.display()?),
            _ => return None,
        }
    }
    next.next().is_none().then_some(out)
}

#[cfg(test)]
mod tests {
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
