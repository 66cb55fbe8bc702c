//! PL301 missing-cadence: nobody can say how fresh the data is.

use std::collections::{HashMap, HashSet, VecDeque};

use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;

use crate::cadence::Cadence;
use crate::diagnostic::{Diagnostic, Severity};
use crate::facts::EdgeKind;
use crate::graph::{Graph, NodeKind};
use crate::rules::{meta, Rule, RuleMeta};

/// Flags sources, source extracts, DAGs and consumers without a cadence; a
/// manually triggered DAG only when a consumer depends on it.
pub struct MissingCadence;

static META: RuleMeta = meta!(
    "PL301",
    "missing-cadence",
    Error,
    "a source extract, DAG or consumer with no cadence/schedule/freshness"
);

impl Rule for MissingCadence {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, graph: &Graph) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        // The jobs of each DAG, gathered once (not once per manual DAG).
        let mut dag_jobs: HashMap<&str, Vec<NodeIndex>> = HashMap::new();
        for (ix, n) in graph.nodes() {
            if let Some(dag) = &n.dag {
                dag_jobs.entry(dag.as_str()).or_default().push(ix);
            }
        }
        for (ix, n) in graph.nodes() {
            let is_extract = n.is_job()
                && graph
                    .in_edges(ix, EdgeKind::Reads)
                    .any(|(_, from)| graph.node(from).kind == NodeKind::Source);
            let applies = matches!(
                n.kind,
                NodeKind::Source | NodeKind::Dag | NodeKind::Consumer
            ) || is_extract;
            if !applies {
                continue;
            }
            let (what, help) = match n.kind {
                NodeKind::Consumer => ("no freshness", "add `freshness = \"daily 07:00\"` (or the bar it is held to) to the consumer"),
                NodeKind::Dag => ("no schedule", "set `schedule=` on the DAG (cron, preset, timedelta or Dataset/Asset list)"),
                NodeKind::Source => ("no cadence", "add `cadence = \"hourly\"` to the source, or `freshness:` to the dbt source"),
                _ => ("no cadence", "schedule the extract: a DAG schedule, `cadence` in its [[task]] entry, or a [paths] default"),
            };
            match &n.cadence {
                None => {
                    let d = Diagnostic::new(
                        "missing-cadence",
                        format!("{} `{}` has {what}", n.kind.describe(), n.id),
                    )
                    .node(n.id.clone())
                    .at(n.span.clone());
                    // dbt exposures have no freshness field: a hint only.
                    out.push(if n.freshness_optional {
                        d.at_most(Severity::Info).help("dbt exposures have no freshness field: add `meta: {freshness: \"daily 07:00\"}` (or under `config: meta:`) to hold what it reads to a bar")
                    } else {
                        d.help(help)
                    });
                }
                Some(c) if c.value == Cadence::Manual && n.kind == NodeKind::Dag => {
                    if let Some(consumer) = downstream_consumer(
                        graph,
                        dag_jobs.get(n.name.as_str()).map_or(&[][..], Vec::as_slice),
                    ) {
                        out.push(
                            Diagnostic::new(
                                "missing-cadence",
                                format!("DAG `{}` only runs when triggered by hand, but consumer `{}` depends on it", n.id, graph.node(consumer).id),
                            )
                            .node(n.id.clone())
                            .at(c.span.clone().or_else(|| n.span.clone()))
                            .related("consumer that depends on it", Some(graph.node(consumer).id.clone()), graph.node(consumer).span.clone())
                            .help(help),
                        );
                    }
                }
                Some(_) => {}
            }
        }
        out
    }
}

/// The first consumer (by id) downstream of a DAG's jobs, if any.
fn downstream_consumer(graph: &Graph, jobs: &[NodeIndex]) -> Option<NodeIndex> {
    let mut queue: VecDeque<NodeIndex> = jobs.iter().copied().collect();
    let mut seen: HashSet<NodeIndex> = queue.iter().copied().collect();
    let mut found = Vec::new();
    while let Some(n) = queue.pop_front() {
        for e in graph.inner.edges(n) {
            let t = e.target();
            if graph.node(t).kind == NodeKind::Consumer {
                found.push(t);
            }
            if seen.insert(t) {
                queue.push_back(t);
            }
        }
    }
    found
        .into_iter()
        .min_by(|a, b| graph.node(*a).id.cmp(&graph.node(*b).id))
}
