//! PL201 missing-owner: nobody is paged when this node breaks.

use crate::diagnostic::Diagnostic;
use crate::graph::{Graph, NodeKind};
use crate::rules::{meta, Rule, RuleMeta};

/// Flags jobs, DAGs, sources and consumers with no owner after inheritance.
pub struct MissingOwner;

static META: RuleMeta = meta!(
    "PL201",
    "missing-owner",
    Error,
    "a job, DAG, source or consumer with no owner after inheritance"
);

impl Rule for MissingOwner {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, graph: &Graph) -> Vec<Diagnostic> {
        graph
            .nodes()
            .filter(|(_, n)| n.kind != NodeKind::Dataset && n.owner.is_none())
            .filter(|(_, n)| !dag_reported(graph, n))
            .map(|(_, n)| {
                Diagnostic::new("missing-owner", format!("{} `{}` has no owner", n.kind.describe(), n.id))
                    .node(n.id.clone())
                    .at(n.span.clone())
                    .help(match n.kind {
                        NodeKind::Job(crate::facts::JobKind::Task) | NodeKind::Dag => {
                            "set `owner` in the DAG's default_args (not \"airflow\"), or an owner for the file under `[paths.\"glob\"]` in pipeline.toml"
                        }
                        NodeKind::Job(_) => "set `meta.owner`/a group (dbt), or an owner for the path under `[paths.\"glob\"]` in pipeline.toml, or a CODEOWNERS line",
                        _ => "add `owner = \"team\"` to its entry",
                    })
            })
            .collect()
    }
}

/// A job of a DAG that has no owner either: the one finding on the DAG
/// stands for its tasks and the scripts they run.
fn dag_reported(graph: &Graph, job: &crate::graph::Node) -> bool {
    job.is_job()
        && job
            .dag
            .as_ref()
            .and_then(|d| graph.get(&format!("dag:{d}")))
            .is_some_and(|(_, dag)| dag.owner.is_none())
}
