//! PL602 orphan-serving: a serving table nobody reads.

use std::collections::{HashSet, VecDeque};

use petgraph::graph::NodeIndex;

use crate::diagnostic::Diagnostic;
use crate::facts::EdgeKind;
use crate::graph::{Graph, NodeKind};
use crate::rules::{meta, Rule, RuleMeta};

/// Flags a serving dataset from which no consumer can be reached.
pub struct OrphanServing;

static META: RuleMeta = meta!(
    "PL602",
    "orphan-serving",
    Info,
    "a serving dataset that no consumer reads"
);

impl Rule for OrphanServing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, graph: &Graph) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (ix, ds) in graph.serving_datasets() {
            if reaches_consumer(graph, ix) {
                continue;
            }
            let span = graph
                .writers(ix)
                .first()
                .and_then(|(_, e)| e.span.clone())
                .or_else(|| ds.span.clone());
            out.push(
                Diagnostic::new("orphan-serving", format!("serving dataset `{}` is read by no consumer", ds.name))
                    .node(ds.id.clone())
                    .at(span)
                    .help("declare the consumer that reads it ([[consumer]] or a dbt exposure), or stop building it"),
            );
        }
        out
    }
}

/// Whether a consumer (or dbt's semantic layer) reads the dataset,
/// directly or through jobs downstream.
fn reaches_consumer(graph: &Graph, start: NodeIndex) -> bool {
    let mut seen = HashSet::from([start]);
    let mut queue = VecDeque::from([start]);
    while let Some(n) = queue.pop_front() {
        if graph.node(n).served {
            return true;
        }
        for kind in [EdgeKind::Reads, EdgeKind::Writes] {
            for (_, next) in graph.out_edges(n, kind) {
                if graph.node(next).kind == NodeKind::Consumer {
                    return true;
                }
                if seen.insert(next) {
                    queue.push_back(next);
                }
            }
        }
    }
    false
}
