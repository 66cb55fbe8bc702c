//! astronomer-cosmos: `DbtDag` and `DbtTaskGroup` render a dbt project into
//! Airflow tasks. pipelint reads each as one task that runs the project
//! (`JobFact::runs_dbt`); the graph hands the DAG's schedule, owner, retries
//! and callbacks to the project's models and orders them after that task.
//!
//! The project is `project_config=ProjectConfig("path")` /
//! `ProjectConfig(dbt_project_path=...)` or `dbt_project_path=`; a path built
//! from `Path(__file__).parent / "dbt" / "x"` is folded to a repo path, and a
//! container path (`/usr/local/airflow/dags/dbt/x`) counts when it ends in a
//! folder of the repo holding a `dbt_project.yml`.

use crate::facts::Located;

use super::interpreter::{join_path, Ctx, Reader};
use super::values::{Args, Range, Value};

impl<'t> Reader<'t> {
    /// `DbtDag(...)` (a DAG with one task running the project) or
    /// `DbtTaskGroup(...)` (one task in the current DAG).
    pub(super) fn cosmos(&mut self, class: &str, args: &Args<'t>, name_at: Range) -> Value<'t> {
        let project = args
            .kw("project_config")
            .or_else(|| args.kw("dbt_project_path"))
            .map(|e| (e.value.clone(), e.at));
        let dag_value = (class == "DbtDag").then(|| self.make_dag(args, name_at, None));
        let pushed = match dag_value {
            Some(Value::Dag(ix)) => {
                self.ctx.push(Ctx::Dag(ix));
                true
            }
            Some(_) => return Value::Unknown,
            None => false,
        };
        let task_id = match (class, args.kw("group_id").map(|e| &e.value)) {
            ("DbtTaskGroup", Some(Value::Str(t))) => Some(t.s.clone()),
            ("DbtTaskGroup", None) => Some("dbt_task_group".to_string()),
            ("DbtTaskGroup", Some(_)) => None,
            _ => Some("dbt".to_string()),
        };
        let task = task_id.and_then(|id| self.add_task(&id, name_at, args, false));
        if pushed {
            self.ctx.pop();
        }
        let Some(task) = task else {
            return dag_value.unwrap_or(Value::Unknown);
        };
        match project.and_then(|(v, at)| self.dbt_project_folder(&v).map(|p| (p, at))) {
            Some((folder, at)) => {
                let span = self.src.span_of(at.0, at.1);
                self.model.tasks[task].job.runs_dbt = Some(Located::new(folder, span));
            }
            None => {
                let span = self.src.span_of(name_at.0, name_at.1);
                self.model
                    .unresolved(format!("the dbt project `{class}` renders"), span);
            }
        }
        dag_value.unwrap_or(Value::Tasks {
            items: vec![super::values::Endpoint::Task(task)],
            xcom: false,
        })
    }

    /// The repo folder of a dbt project path: a folded repo path, or an
    /// absolute path whose tail is a repo folder holding `dbt_project.yml`.
    fn dbt_project_folder(&self, value: &Value<'t>) -> Option<String> {
        let path = match value {
            Value::RepoPath(p) => p.clone(),
            Value::Str(t) => t.s.clone(),
            _ => return None,
        };
        let has_project = |folder: &str| {
            self.context
                .paths
                .contains(join_path(folder, "dbt_project.yml").as_str())
        };
        if !path.starts_with('/') && has_project(&path) {
            return Some(path.trim_end_matches('/').to_string());
        }
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        (0..parts.len())
            .map(|i| parts[i..].join("/"))
            .find(|tail| has_project(tail))
    }
}
