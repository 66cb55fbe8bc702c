//! Annotation inheritance: owner, cadence and failure behavior handed down
//! from DAGs, runner tasks, `[paths]` defaults, CODEOWNERS and writers.

use std::collections::BTreeMap;

use petgraph::graph::NodeIndex;

use crate::facts::{Attributed, JobKind};
use crate::graph::{Graph, NodeKind};
use crate::manifest::Manifest;
use crate::parse::CodeOwners;

/// Airflow's default owner: every task has it unless someone set one, so it
/// says nothing about who is paged.
const AIRFLOW_DEFAULT_OWNER: &str = "airflow";

/// Fills in missing annotations, in dependency order: DAGs, tasks (from their
/// DAG), scripts and other jobs (from their runner), `[paths]` and CODEOWNERS
/// by file, then datasets (from their writer).
pub fn annotate(
    graph: &mut Graph,
    manifest: &Manifest,
    codeowners: Option<&CodeOwners>,
    runner_of: &BTreeMap<String, String>,
) {
    let manifest_file = manifest.file.as_deref();
    let order = ordered(graph);
    for ix in order {
        let node = &graph.inner[ix];
        let mut owner = node
            .owner
            .clone()
            .filter(|o| !o.value.eq_ignore_ascii_case(AIRFLOW_DEFAULT_OWNER));
        let mut cadence = node.cadence.clone();
        let mut on_failure = node.on_failure.clone();
        if let Some(dag) = node
            .dag
            .as_ref()
            .and_then(|d| graph.get(&format!("dag:{d}")))
        {
            owner = owner.or_else(|| dag.1.owner.clone());
            cadence = cadence.or_else(|| {
                dag.1.cadence.as_ref().map(|c| {
                    Attributed::new(
                        c.value.clone(),
                        format!("dag {}", dag.1.name),
                        c.span.clone(),
                    )
                })
            });
        }
        let mut dag = node.dag.clone();
        let mut run_by = None;
        if let Some(runner) = runner_of.get(&node.id).and_then(|r| graph.get(r)) {
            run_by = Some(runner.1.id.clone());
            dag = dag.or_else(|| runner.1.dag.clone());
            let origin = format!("run by {}", runner.1.id);
            cadence = cadence.or_else(|| {
                runner
                    .1
                    .cadence
                    .as_ref()
                    .map(|c| Attributed::new(c.value.clone(), origin.clone(), c.span.clone()))
            });
            on_failure = on_failure.or_else(|| {
                runner
                    .1
                    .on_failure
                    .as_ref()
                    .map(|f| Attributed::new(f.value.clone(), origin.clone(), f.span.clone()))
            });
        }
        let file = node
            .file
            .clone()
            .or_else(|| node.span.as_ref().map(|s| s.file.clone()))
            .filter(|f| Some(f.as_ref()) != manifest_file);
        if let (Some(file), true) = (&file, node.kind != NodeKind::Dataset) {
            for p in manifest
                .paths
                .iter()
                .rev()
                .filter(|p| p.matcher.is_match(file.as_ref()))
            {
                owner = owner.or_else(|| p.owner.clone());
                cadence = cadence.or_else(|| p.cadence.clone());
                on_failure = on_failure.or_else(|| p.on_failure.clone());
            }
            if let Some((o, span)) = codeowners.and_then(|c| c.owner_of(file)) {
                owner =
                    owner.or_else(|| Some(Attributed::new(o, "CODEOWNERS", Some(span.clone()))));
            }
        }
        if node.kind == NodeKind::Dataset {
            if let Some((w, _)) = graph.writers(ix).first() {
                let writer = &graph.inner[*w];
                let origin = format!("written by {}", writer.id);
                owner = owner.or_else(|| {
                    writer
                        .owner
                        .as_ref()
                        .map(|o| Attributed::new(o.value.clone(), origin.clone(), o.span.clone()))
                });
                cadence = cadence.or_else(|| {
                    writer
                        .cadence
                        .as_ref()
                        .map(|c| Attributed::new(c.value.clone(), origin.clone(), c.span.clone()))
                });
            }
        }
        let node = &mut graph.inner[ix];
        node.dag = dag;
        node.run_by = run_by;
        node.owner = owner;
        node.cadence = cadence;
        node.on_failure = on_failure;
    }
}

/// DAGs first, then sources, tasks, other jobs, consumers, and datasets last,
/// so every node inherits from annotations that are already complete.
fn ordered(graph: &Graph) -> Vec<NodeIndex> {
    let rank = |ix: &NodeIndex| match graph.inner[*ix].kind {
        NodeKind::Dag => 0,
        NodeKind::Source => 1,
        NodeKind::Job(JobKind::Task) => 2,
        NodeKind::Job(_) => 3,
        NodeKind::Consumer => 4,
        NodeKind::Dataset => 5,
    };
    let mut order: Vec<NodeIndex> = graph.inner.node_indices().collect();
    order.sort_by_key(|ix| (rank(ix), ix.index()));
    order
}
