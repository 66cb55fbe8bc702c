//! PL103 cross-dag-without-trigger: a DAG reads another DAG's output on its own clock.

use std::collections::{HashMap, HashSet, VecDeque};

use petgraph::graph::NodeIndex;

use crate::diagnostic::Diagnostic;
use crate::facts::EdgeKind;
use crate::graph::Graph;
use crate::rules::{meta, Rule, RuleMeta};

/// Flags a task reading a dataset written by a task of another DAG when no
/// chain of `after`/`triggers` edges leads from the writer to the reader and
/// the writer does not run more often than the reader.
pub struct CrossDagWithoutTrigger;

static META: RuleMeta = meta!(
    "PL103",
    "cross-dag-without-trigger",
    Warn,
    "a task reads a dataset written in another DAG with no sensor or dataset trigger between them"
);

impl Rule for CrossDagWithoutTrigger {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, graph: &Graph) -> Vec<Diagnostic> {
        let mut reach: HashMap<NodeIndex, HashSet<NodeIndex>> = HashMap::new();
        let mut out = Vec::new();
        for (ix, reader) in graph.nodes().filter(|(_, n)| n.is_job()) {
            let Some(reader_dag) = &reader.dag else {
                continue;
            };
            for (read_edge, ds) in graph.in_edges(ix, EdgeKind::Reads) {
                for (writer_ix, _) in graph.writers(ds) {
                    let writer = graph.node(writer_ix);
                    let Some(writer_dag) = &writer.dag else {
                        continue;
                    };
                    if writer_dag == reader_dag {
                        continue;
                    }
                    // A writer that runs more often than the reader keeps the
                    // data at most one of its intervals old: no race to guard.
                    if runs_more_often(graph, writer_ix, ix) {
                        continue;
                    }
                    // A script is ordered where the task that runs it is.
                    let (from, to) = (graph.scheduled_as(writer_ix), graph.scheduled_as(ix));
                    let reachable = reach
                        .entry(from)
                        .or_insert_with(|| ordered_after(graph, from));
                    if reachable.contains(&to) {
                        continue;
                    }
                    out.push(
                        Diagnostic::new(
                            "cross-dag-without-trigger",
                            format!(
                                "`{}` reads `{}`, written by `{}` in DAG `{writer_dag}`, with nothing making it wait for that write",
                                reader.id,
                                graph.node(ds).name,
                                writer.id
                            ),
                        )
                        .node(reader.id.clone())
                        .at(read_edge.span.clone().or_else(|| reader.span.clone()))
                        .related("written here", Some(writer.id.clone()), writer.span.clone())
                        .help(format!(
                            "schedule DAG `{reader_dag}` on a Dataset/Asset that `{}` produces, or add an ExternalTaskSensor on it",
                            writer.id
                        )),
                    );
                }
            }
        }
        out
    }
}

/// Whether `writer` runs strictly more often than `reader` (both known).
fn runs_more_often(graph: &Graph, writer: NodeIndex, reader: NodeIndex) -> bool {
    let gap = |ix: NodeIndex| {
        graph
            .node(ix)
            .cadence
            .as_ref()
            .and_then(|c| c.value.max_gap_seconds())
    };
    matches!((gap(writer), gap(reader)), (Some(w), Some(r)) if w < r)
}

/// Every node that runs after `start` through `after` and `triggers` edges.
fn ordered_after(graph: &Graph, start: NodeIndex) -> HashSet<NodeIndex> {
    let mut seen = HashSet::new();
    let mut queue = VecDeque::from([start]);
    while let Some(n) = queue.pop_front() {
        for kind in [EdgeKind::After, EdgeKind::Triggers] {
            for (_, t) in graph.out_edges(n, kind) {
                if seen.insert(t) {
                    queue.push_back(t);
                }
            }
        }
    }
    seen
}
