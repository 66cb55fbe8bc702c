//! PL302 missing-failure-behavior: nobody decided what happens when it fails.

use crate::diagnostic::Diagnostic;
use crate::facts::JobKind;
use crate::graph::{Graph, NodeKind};
use crate::rules::{meta, Rule, RuleMeta};

/// Flags tasks and SQL scripts with no retries, failure callback or `on_failure`.
/// dbt models fail as the `dbt` run that builds them does, so they are not flagged.
pub struct MissingFailureBehavior;

static META: RuleMeta = meta!(
    "PL302",
    "missing-failure-behavior",
    Warn,
    "a job with no retries, no failure callback and no on_failure"
);

impl Rule for MissingFailureBehavior {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, graph: &Graph) -> Vec<Diagnostic> {
        graph
            .nodes()
            .filter(|(_, n)| matches!(n.kind, NodeKind::Job(JobKind::Task | JobKind::Script)) && n.on_failure.is_none())
            .map(|(_, n)| {
                Diagnostic::new(
                    "missing-failure-behavior",
                    format!("{} `{}` has no failure behavior: no retries, no failure callback, no on_failure", n.kind.describe(), n.id),
                )
                .node(n.id.clone())
                .at(n.span.clone())
                .help("decide what happens on failure: `retries`/`on_failure_callback` in the DAG's default_args, or `on_failure = \"retry(2)\"` in a [[task]] or [paths] entry")
            })
            .collect()
    }
}
