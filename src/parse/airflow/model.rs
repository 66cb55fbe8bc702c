//! What the reader has collected from a file so far: DAGs, task groups,
//! tasks, dependencies still to expand, and what it could not know.

use std::collections::BTreeSet;

use crate::cadence::Cadence;
use crate::diagnostic::Diagnostic;
use crate::facts::{Attributed, DataRef, EdgeFact, JobFact, Located};
use crate::span::Span;

use super::ownership::Settings;
use super::values::{Endpoint, TaskRole};

/// A DAG being read.
#[derive(Debug)]
pub(super) struct DagDraft {
    /// The DAG id.
    pub id: String,
    /// Where it is defined.
    pub span: Span,
    /// Its `default_args` settings.
    pub settings: Settings,
    /// Its schedule.
    pub cadence: Option<Attributed<Cadence>>,
    /// Assets whose updates trigger it.
    pub triggered_by: Vec<Located<DataRef>>,
    /// `template_searchpath` folders, repo-relative (unresolvable ones dropped).
    pub search_paths: Vec<String>,
    /// Task ids already used in it.
    pub task_ids: BTreeSet<String>,
}

/// A task group being read.
#[derive(Debug)]
pub(super) struct GroupDraft {
    /// Index of its DAG.
    pub dag: usize,
    /// The full group id (parent prefixes included).
    pub id: String,
    /// `prefix_group_id`: children's ids start with `<id>.`.
    pub prefix: bool,
    /// The enclosing group.
    pub parent: Option<usize>,
    /// Its `default_args` settings.
    pub settings: Settings,
}

/// A task being read.
#[derive(Debug)]
pub(super) struct TaskDraft {
    /// Index of its DAG.
    pub dag: usize,
    /// Its innermost group.
    pub group: Option<usize>,
    /// The job fact (id, owner, failure behavior, reads, writes…).
    pub job: JobFact,
    /// Setup, teardown or ordinary work.
    pub role: TaskRole,
}

/// A dependency as written, between tasks or groups; groups are expanded
/// to their roots/leaves when the edges are resolved.
#[derive(Debug, Clone)]
pub(super) struct PendingEdge {
    /// Upstream.
    pub from: Endpoint,
    /// Downstream.
    pub to: Endpoint,
    /// Where it is written.
    pub span: Span,
}

/// Everything collected from one file.
#[derive(Debug, Default)]
pub(super) struct Model {
    /// DAGs, in the order they are defined.
    pub dags: Vec<DagDraft>,
    /// Task groups.
    pub groups: Vec<GroupDraft>,
    /// Tasks, in the order they are created.
    pub tasks: Vec<TaskDraft>,
    /// Dependencies within DAGs, in the order they are set.
    pub pending: Vec<PendingEdge>,
    /// Edges across DAGs (sensors, triggers), already by node id.
    pub triggers: Vec<EdgeFact>,
    /// What could not be known statically, and where.
    pub unresolved: Vec<(String, Span)>,
    /// Other findings (invalid schedules, duplicate task ids).
    pub diagnostics: Vec<Diagnostic>,
}

impl Model {
    /// Notes something that could not be known statically.
    pub fn unresolved(&mut self, what: impl Into<String>, span: Span) {
        let what = what.into();
        if !self.unresolved.iter().any(|(w, _)| *w == what) {
            self.unresolved.push((what, span));
        }
    }

    /// The DAG a group belongs to.
    pub fn group_dag(&self, group: usize) -> usize {
        self.groups[group].dag
    }

    /// The DAG of an endpoint.
    pub fn endpoint_dag(&self, e: Endpoint) -> usize {
        match e {
            Endpoint::Task(t) => self.tasks[t].dag,
            Endpoint::Group(g) => self.group_dag(g),
        }
    }

    /// The id a child (task or group) named `id` gets inside `group`.
    pub fn child_id(&self, group: Option<usize>, id: &str) -> String {
        match group.map(|g| &self.groups[g]) {
            Some(g) if g.prefix => format!("{}.{id}", g.id),
            _ => id.to_string(),
        }
    }
}
