//! PL601 publish-without-check: serving data nobody tested.

use std::collections::{HashSet, VecDeque};

use petgraph::graph::NodeIndex;

use crate::diagnostic::Diagnostic;
use crate::facts::EdgeKind;
use crate::graph::Graph;
use crate::rules::{meta, Rule, RuleMeta};

/// Flags a serving dataset with no quality check on it or on the serving
/// datasets it is built from, back to the curated layer.
pub struct PublishWithoutCheck;

static META: RuleMeta = meta!(
    "PL601",
    "publish-without-check",
    Warn,
    "a serving dataset with no quality check on its path from curated"
);

impl Rule for PublishWithoutCheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, graph: &Graph) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (ix, ds) in graph.serving_datasets() {
            let writers = graph.writers(ix);
            if writers.is_empty() || checked_on_path(graph, ix) {
                continue;
            }
            let (w, e) = writers[0];
            out.push(
                Diagnostic::new(
                    "publish-without-check",
                    format!("serving dataset `{}` is published with no quality check on it or on its path from curated", ds.name),
                )
                .node(ds.id.clone())
                .at(e.span.clone().or_else(|| ds.span.clone()))
                .related("built by", Some(graph.node(w).id.clone()), graph.node(w).span.clone())
                .help("add a check before consumers see it: a dbt test on the model, or an SQL check task that runs after the build"),
            );
        }
        out
    }
}

/// Whether the dataset, or a serving dataset it is built from, is checked.
fn checked_on_path(graph: &Graph, start: NodeIndex) -> bool {
    let serving = graph.serving_layer();
    let mut seen = HashSet::from([start]);
    let mut queue = VecDeque::from([start]);
    while let Some(ds) = queue.pop_front() {
        if graph.node(ds).checked {
            return true;
        }
        for (_, job) in graph.in_edges(ds, EdgeKind::Writes) {
            for (_, input) in graph.in_edges(job, EdgeKind::Reads) {
                if graph.node(input).layer == serving && seen.insert(input) {
                    queue.push_back(input);
                }
            }
        }
    }
    false
}
