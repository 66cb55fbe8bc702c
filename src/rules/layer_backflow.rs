//! PL403 layer-backflow: data flowing against the layer order.

use crate::diagnostic::Diagnostic;
use crate::facts::EdgeKind;
use crate::graph::{Graph, NodeKind};
use crate::rules::{meta, Rule, RuleMeta};

/// Flags a job that reads a dataset from a later layer than one it writes:
/// curated built from serving, or raw written from curated. Moving data within
/// one layer (an S3 landing zone loaded into raw tables) is not flagged.
pub struct LayerBackflow;

static META: RuleMeta = meta!(
    "PL403",
    "layer-backflow",
    Error,
    "data flowing against the layer order"
);

impl Rule for LayerBackflow {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, graph: &Graph) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (ix, job) in graph.nodes().filter(|(_, n)| n.is_job()) {
            for (_, written) in graph.out_edges(ix, EdgeKind::Writes) {
                let Some(lw) = graph.node(written).layer else {
                    continue;
                };
                let wname = &graph.node(written).name;
                for (read_edge, read) in graph.in_edges(ix, EdgeKind::Reads) {
                    let rnode = graph.node(read);
                    let Some(lr) = rnode.layer.filter(|_| rnode.kind == NodeKind::Dataset) else {
                        continue;
                    };
                    if lr <= lw {
                        continue;
                    }
                    out.push(
                        Diagnostic::new(
                            "layer-backflow",
                            format!(
                                "`{}` builds {}-layer `{wname}` from {}-layer `{}`: data flows back against the layers",
                                job.id, graph.layers[lw], graph.layers[lr], rnode.name
                            ),
                        )
                        .node(job.id.clone())
                        .at(read_edge.span.clone().or_else(|| job.span.clone()))
                        .help(format!(
                            "build `{wname}` from {}-layer (or earlier) inputs; if it needs this logic, move the logic down to the {} layer",
                            graph.layers[lw], graph.layers[lw]
                        )),
                    );
                }
            }
        }
        out
    }
}
