//! PL403 layer-backflow: data flowing against the layer order.

use crate::diagnostic::Diagnostic;
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
        graph
            .layered_flows()
            .filter(|f| graph.node(f.read).kind == NodeKind::Dataset && f.read_layer > f.write_layer)
            .map(|f| {
                let job = graph.node(f.job);
                let wname = &graph.node(f.written).name;
                let wlayer = &graph.layers[f.write_layer];
                Diagnostic::new(
                    "layer-backflow",
                    format!(
                        "`{}` builds {wlayer}-layer `{wname}` from {}-layer `{}`: data flows back against the layers",
                        job.id,
                        graph.layers[f.read_layer],
                        graph.node(f.read).name
                    ),
                )
                .node(job.id.clone())
                .at(f.read_edge.span.clone().or_else(|| job.span.clone()))
                .help(format!(
                    "build `{wname}` from {wlayer}-layer (or earlier) inputs; if it needs this logic, move the logic down to the {wlayer} layer"
                ))
            })
            .collect()
    }
}
