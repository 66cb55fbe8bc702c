//! DAGs and task groups: `DAG(...)` (in `with` or assigned), `@dag`
//! functions, `@asset` functions (Airflow 3), `TaskGroup(...)` and
//! `@task_group` functions.

use crate::facts::{Attributed, DataRef, Located};

use super::interpreter::{join_path, normalize_path, parent_dir, Reader};
use super::model::{DagDraft, GroupDraft};
use super::ownership::Settings;
use super::values::{Args, Range, Value};

impl<'t> Reader<'t> {
    /// Reads `DAG(...)` or a `@dag` function's decorator arguments (`fn_name`
    /// is the DAG id unless `dag_id=` says otherwise). Returns `Value::Dag`,
    /// or `Value::Unknown` when the id cannot be known.
    pub(super) fn make_dag(
        &mut self,
        args: &Args<'t>,
        name_at: Range,
        fn_name: Option<&str>,
    ) -> Value<'t> {
        let span = self.src.span_of(name_at.0, name_at.1);
        let id = match (
            args.arg("dag_id", if fn_name.is_some() { usize::MAX } else { 0 }),
            fn_name,
        ) {
            (Some((Value::Str(t), _)), _) => t.s.clone(),
            (None, Some(name)) => name.to_string(),
            (Some((_, at)), _) => {
                self.model.unresolved(
                    format!("the DAG id at line {}", span.line),
                    self.src.span_of(at.0, at.1),
                );
                return Value::Unknown;
            }
            (None, None) => {
                let what = if args.unknown_spread.is_some() {
                    format!("the DAG id at line {} (passed through **kwargs)", span.line)
                } else {
                    format!("the DAG id at line {} (no dag_id)", span.line)
                };
                self.model.unresolved(what, span);
                return Value::Unknown;
            }
        };
        if let Some(existing) = self.model.dags.iter().position(|d| d.id == id) {
            return Value::Dag(existing);
        }
        if let Some(at) = args.unknown_spread {
            let open: Vec<&str> = ["schedule", "default_args"]
                .into_iter()
                .filter(|k| {
                    args.kw(k).is_none()
                        && (*k != "schedule" || args.kw("schedule_interval").is_none())
                })
                .collect();
            if !open.is_empty() {
                self.model.unresolved(
                    format!(
                        "the {} of DAG `{id}` (`{}` may set it)",
                        open.join(" and "),
                        self.src.text_of_range(at)
                    ),
                    self.src.span_of(at.0, at.1),
                );
            }
        }
        let settings = match args.kw("default_args") {
            Some(e) => match &e.value {
                Value::Dict(entries) => Settings::from_entries(entries, "default_args", self.src),
                Value::None => Settings::default(),
                _ => {
                    self.model.unresolved(
                        format!("default_args of DAG `{id}`"),
                        self.src.span_of(e.at.0, e.at.1),
                    );
                    Settings::default()
                }
            },
            None => Settings::default(),
        };
        // A DAG-level `on_failure_callback` answers every failed run: it is the
        // failure behavior of every task that sets none of its own.
        let dag_level: Vec<_> = args
            .keywords
            .iter()
            .filter(|e| e.key == "on_failure_callback")
            .cloned()
            .collect();
        let settings = Settings::from_entries(&dag_level, "dag", self.src).overlay(&settings);
        let (cadence, triggered_by) = self.schedule_of(args, &id, span.clone());
        let search_paths = self.search_paths(args, &id);
        self.model.dags.push(DagDraft {
            id,
            span,
            settings,
            cadence,
            triggered_by,
            search_paths,
            task_ids: Default::default(),
        });
        Value::Dag(self.model.dags.len() - 1)
    }

    /// The folders `template_searchpath` names, repo-relative. A relative
    /// folder is tried against the DAG file's folder and the repo root; an
    /// absolute one (a path on the Airflow workers) cannot be mapped.
    fn search_paths(&mut self, args: &Args<'t>, id: &str) -> Vec<String> {
        let Some(entry) = args.kw("template_searchpath") else {
            return Vec::new();
        };
        let items = match &entry.value {
            Value::List(items) => items.clone(),
            v => vec![v.clone()],
        };
        let dag_dir = parent_dir(self.src.file);
        let mut out = Vec::new();
        for item in items {
            match item {
                Value::RepoPath(p) => out.push(normalize_path(&p)),
                Value::Str(t) if !t.s.starts_with('/') => {
                    out.push(join_path(&dag_dir, &t.s));
                    out.push(normalize_path(&t.s));
                }
                Value::Str(_) => {}
                _ => self.model.unresolved(
                    format!("template_searchpath of DAG `{id}`"),
                    self.src.span_of(entry.at.0, entry.at.1),
                ),
            }
        }
        out
    }

    /// Reads `TaskGroup(...)` or a `@task_group` function (`fn_name` is the
    /// group id unless `group_id=` says otherwise).
    pub(super) fn make_group(&mut self, args: &Args<'t>, fn_name: Option<&str>) -> Value<'t> {
        let dag = match args.kw("dag").map(|e| &e.value) {
            Some(Value::Dag(d)) => Some(*d),
            Some(_) => None,
            None => match self.current_dag() {
                Some(Ok(d)) => Some(d),
                _ => None,
            },
        };
        let parent = match args.kw("parent_group").map(|e| &e.value) {
            Some(Value::Group(g)) => Some(*g),
            _ => self.current_group(),
        };
        let index = if fn_name.is_some() { usize::MAX } else { 0 };
        let group_id = match (args.arg("group_id", index), fn_name) {
            (Some((Value::Str(t), _)), _) => t.s.clone(),
            (None, Some(name)) => name.to_string(),
            (other, _) => {
                let at =
                    other.map_or_else(|| self.ctx_span(), |(_, at)| self.src.span_of(at.0, at.1));
                self.model
                    .unresolved(format!("the task group id at line {}", at.line), at);
                return Value::Unknown;
            }
        };
        let Some(dag) = dag else {
            return Value::Unknown;
        };
        let parent = parent.filter(|p| self.model.groups[*p].dag == dag);
        let prefix = args
            .kw("prefix_group_id")
            .and_then(|e| e.value.truthy())
            .unwrap_or(true);
        let settings = match args.kw("default_args").map(|e| &e.value) {
            Some(Value::Dict(entries)) => {
                Settings::from_entries(entries, "task_group default_args", self.src)
            }
            _ => Settings::default(),
        };
        let mut id = self.model.child_id(parent, &group_id);
        if fn_name.is_some() {
            let taken = |id: &str, m: &super::model::Model| {
                m.groups.iter().any(|g| g.dag == dag && g.id == id)
            };
            if taken(&id, &self.model) {
                let mut n = 1;
                while taken(&format!("{id}__{n}"), &self.model) {
                    n += 1;
                }
                id = format!("{id}__{n}");
            }
        }
        self.model.groups.push(GroupDraft {
            dag,
            id,
            prefix,
            parent,
            settings,
        });
        Value::Group(self.model.groups.len() - 1)
    }

    fn ctx_span(&self) -> crate::span::Span {
        crate::span::Span::file_start(self.src.file)
    }

    /// `@asset` (Airflow 3): a DAG named after the function, with one task of
    /// the same name that writes the asset (`uri=`, else `name=`, else the
    /// function name).
    pub(super) fn make_asset_dag(
        &mut self,
        name: &str,
        name_node: tree_sitter::Node<'t>,
        args: &Args<'t>,
    ) {
        let name_at = Self::range(name_node);
        let dag_args = Args {
            keywords: args
                .keywords
                .iter()
                .filter(|e| matches!(e.key.as_str(), "schedule" | "default_args"))
                .cloned()
                .collect(),
            ..Args::default()
        };
        let Value::Dag(dag) = self.make_dag(&dag_args, name_at, Some(name)) else {
            return;
        };
        let asset = args
            .kw("uri")
            .or_else(|| args.kw("name"))
            .and_then(|e| e.value.as_str().map(|s| (s.to_string(), e.at)))
            .unwrap_or_else(|| (name.to_string(), name_at));
        self.ctx.push(super::interpreter::Ctx::Dag(dag));
        let task_args = Args {
            keywords: args
                .keywords
                .iter()
                .filter(|e| !matches!(e.key.as_str(), "schedule" | "uri" | "name"))
                .cloned()
                .collect(),
            ..Args::default()
        };
        if let Some(task) = self.add_task(name, name_at, &task_args, true) {
            let span = self.src.span_of(asset.1 .0, asset.1 .1);
            self.model.tasks[task]
                .job
                .writes
                .push(Located::new(DataRef::from_name(&asset.0), span));
        }
        self.ctx.pop();
    }

    /// The DAG fact's owner: its `default_args` owner.
    pub(super) fn dag_owner(&self, dag: usize) -> Option<Attributed<String>> {
        self.model.dags[dag].settings.owner().0
    }
}
