//! Tasks: operator calls with `task_id=`, `@task` / `@task.<kind>` function
//! calls, mapped tasks (`.partial(...).expand(...)`), and the ids Airflow
//! gives them (task group prefixes, `__1` suffixes for a `@task` called twice).

use tree_sitter::Node;

use crate::facts::{JobFact, JobKind};

use super::interpreter::Reader;
use super::model::{PendingEdge, TaskDraft};
use super::ownership::Settings;
use super::syntax::{Field, Fields};
use super::values::{Args, Endpoint, FnDef, PartialCall, PartialTarget, Range, TaskRole, Value};

/// The most tasks one file may define; past it the file is noted as unresolved.
const MAX_TASKS: usize = 20_000;

impl<'t> Reader<'t> {
    /// A classic operator call (`BashOperator(task_id=..., ...)`).
    pub(super) fn operator_task(
        &mut self,
        class: &str,
        args: &Args<'t>,
        name_at: Range,
        node: Node<'t>,
    ) -> Value<'t> {
        let task_id = match args.kw("task_id") {
            Some(e) => match &e.value {
                Value::Str(t) => t.s.clone(),
                _ => {
                    let span = self.src.span_of(e.at.0, e.at.1);
                    if self.current_dag() != Some(Err(())) {
                        self.model
                            .unresolved(format!("the task id at line {}", span.line), span);
                    }
                    return Value::Unknown;
                }
            },
            None => return Value::Unknown,
        };
        let Some(task) = self.add_task(&task_id, name_at, args, false) else {
            return Value::Unknown;
        };
        self.model.tasks[task].job.operator = Some(class.to_string());
        self.operator_io(task, class, args);
        self.xcom_upstreams(task, args, node);
        Value::Tasks {
            items: vec![Endpoint::Task(task)],
            xcom: false,
        }
    }

    /// A call of a `@task` function: a task inside the current DAG, with the
    /// outputs of other tasks passed as arguments as its upstreams.
    pub(super) fn call_task_fn(
        &mut self,
        def: &FnDef<'t>,
        args: &Args<'t>,
        node: Node<'t>,
    ) -> Value<'t> {
        let name_node = def.node.field(Field::Name).unwrap_or(def.node);
        let fn_name = self.src.text_of(name_node);
        let task_args = Args {
            keywords: def.kwargs.clone(),
            ..Args::default()
        };
        let task_id = match task_args.kw("task_id").map(|e| (&e.value, e.at)) {
            Some((Value::Str(t), _)) => t.s.clone(),
            Some((_, at)) => {
                let span = self.src.span_of(at.0, at.1);
                self.model
                    .unresolved(format!("the task id at line {}", span.line), span);
                return Value::Unknown;
            }
            None => fn_name.to_string(),
        };
        let Some(task) = self.add_task(&task_id, Self::range(name_node), &task_args, true) else {
            return Value::Unknown;
        };
        self.model.tasks[task].role = def.role;
        self.model.tasks[task].job.operator = Some("@task".to_string());
        self.operator_io(task, "@task", &task_args);
        self.xcom_upstreams(task, &task_args, node);
        self.xcom_upstreams(task, args, node);
        Value::Tasks {
            items: vec![Endpoint::Task(task)],
            xcom: true,
        }
    }

    /// `.expand(...)` / `.expand_kwargs(...)` on a `.partial(...)`.
    pub(super) fn expand_partial(
        &mut self,
        p: PartialCall<'t>,
        expand: &Args<'t>,
        node: Node<'t>,
    ) -> Value<'t> {
        match p.target {
            PartialTarget::Operator(class) => {
                let result = self.operator_task(&class, &p.args, p.at, node);
                if let Value::Tasks { items, .. } = &result {
                    if let Some(Endpoint::Task(t)) = items.first() {
                        self.xcom_upstreams(*t, expand, node);
                    }
                }
                result
            }
            PartialTarget::TaskFn(def) => {
                let mut all = p.args.clone();
                all.positional.extend(expand.positional.iter().cloned());
                all.keywords.extend(expand.keywords.iter().cloned());
                self.call_task_fn(&def, &all, node)
            }
        }
    }

    /// Task outputs among the arguments become the task's upstreams.
    fn xcom_upstreams(&mut self, task: usize, args: &Args<'t>, node: Node<'t>) {
        let mut ups = Vec::new();
        for (v, _) in &args.positional {
            v.upstream_outputs(&mut ups);
        }
        for e in &args.keywords {
            e.value.upstream_outputs(&mut ups);
        }
        let span = self.src.span(node);
        for up in ups {
            if up != Endpoint::Task(task) {
                self.model.pending.push(PendingEdge {
                    from: up,
                    to: Endpoint::Task(task),
                    span: span.clone(),
                });
            }
        }
    }

    /// Creates a task named `task_id` in the DAG given by `dag=` or the
    /// enclosing `with` block, inside the group given by `task_group=` or the
    /// enclosing group. Returns its index, or `None` when it belongs to no
    /// DAG that can be known.
    pub(super) fn add_task(
        &mut self,
        task_id: &str,
        name_at: Range,
        args: &Args<'t>,
        decorated: bool,
    ) -> Option<usize> {
        let span = self.src.span_of(name_at.0, name_at.1);
        if self.model.tasks.len() >= MAX_TASKS {
            self.model.unresolved(
                format!("the tasks past the first {MAX_TASKS} (too many to list statically)"),
                span,
            );
            return None;
        }
        let dag = match args.kw("dag").map(|e| (&e.value, e.at)) {
            Some((Value::Dag(d), _)) => *d,
            Some((Value::None, _)) | None => match self.current_dag()? {
                Ok(d) => d,
                Err(()) => return None,
            },
            Some((_, at)) => {
                self.model.unresolved(
                    format!("the DAG of task `{task_id}` (dag= at line {})", span.line),
                    self.src.span_of(at.0, at.1),
                );
                return None;
            }
        };
        let group = match args.kw("task_group").map(|e| &e.value) {
            Some(Value::Group(g)) => Some(*g),
            Some(_) => None,
            None => self.current_group(),
        }
        .filter(|g| self.model.groups[*g].dag == dag);
        let mut id = self.model.child_id(group, task_id);
        if self.model.dags[dag].task_ids.contains(&id) {
            if !decorated {
                let existing = self
                    .model
                    .tasks
                    .iter()
                    .position(|t| t.dag == dag && t.job.name == id);
                return existing;
            }
            let mut n = 1;
            while self.model.dags[dag]
                .task_ids
                .contains(&format!("{id}__{n}"))
            {
                n += 1;
            }
            id = format!("{id}__{n}");
        }
        self.model.dags[dag].task_ids.insert(id.clone());

        let mut settings = self.model.dags[dag].settings.clone();
        let mut chain = Vec::new();
        let mut g = group;
        while let Some(current) = g {
            if chain.len() > self.model.groups.len() {
                break;
            }
            chain.push(current);
            g = self.model.groups[current].parent;
        }
        for gi in chain.into_iter().rev() {
            settings = settings.overlay(&self.model.groups[gi].settings);
        }
        if let Some(Value::Dict(entries)) = args.kw("default_args").map(|e| &e.value) {
            settings = settings.overlay(&Settings::from_entries(
                entries,
                "task default_args",
                self.src,
            ));
        }
        settings = settings.overlay(&Settings::from_entries(&args.keywords, "task", self.src));

        let dag_id = self.model.dags[dag].id.clone();
        let mut job = JobFact::new(
            format!("task:{dag_id}.{id}"),
            JobKind::Task,
            id.clone(),
            span.clone(),
        );
        job.dag = Some(dag_id);
        let (owner, owner_unknown) = settings.owner();
        let (failure, retries_unknown) = settings.failure();
        if owner_unknown {
            self.model
                .unresolved(format!("the owner of task `{id}`"), span.clone());
        }
        if retries_unknown {
            self.model
                .unresolved(format!("the retries of task `{id}`"), span.clone());
        }
        if let Some(at) = args.unknown_spread {
            let open: Vec<&str> = ["owner", "retries"]
                .into_iter()
                .filter(|k| args.kw(k).is_none())
                .collect();
            if !open.is_empty() {
                self.model.unresolved(
                    format!(
                        "the {} of task `{id}` (`{}` may set it)",
                        open.join(" and "),
                        self.src.text_of_range(at)
                    ),
                    self.src.span_of(at.0, at.1),
                );
            }
        }
        job.owner = owner;
        job.on_failure = failure;
        job.partial = self.partial;
        self.model.tasks.push(TaskDraft {
            dag,
            group,
            job,
            role: TaskRole::Work,
        });
        Some(self.model.tasks.len() - 1)
    }
}
