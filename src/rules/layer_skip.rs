//! PL402 layer-skip: serving data built straight from raw.

use crate::diagnostic::Diagnostic;
use crate::graph::Graph;
use crate::rules::{meta, Rule, RuleMeta};

/// Flags a job that writes a dataset two or more layers above one it reads.
pub struct LayerSkip;

static META: RuleMeta = meta!(
    "PL402",
    "layer-skip",
    Warn,
    "a serving dataset built straight from raw, skipping curated"
);

impl Rule for LayerSkip {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, graph: &Graph) -> Vec<Diagnostic> {
        graph
            .layered_flows()
            .filter(|f| f.write_layer >= f.read_layer + 2)
            .map(|f| {
                let job = graph.node(f.job);
                let skipped = graph.layers[f.read_layer + 1..f.write_layer].join(", ");
                Diagnostic::new(
                    "layer-skip",
                    format!(
                        "`{}` builds {}-layer `{}` straight from {} `{}`, skipping {skipped}",
                        job.id,
                        graph.layers[f.write_layer],
                        graph.node(f.written).name,
                        graph.layer_name(graph.node(f.read)).unwrap_or("source"),
                        graph.node(f.read).name
                    ),
                )
                .node(job.id.clone())
                .at(f.read_edge.span.clone().or_else(|| job.span.clone()))
                .help(format!(
                    "read the {skipped} table built from it instead, so every consumer shares one cleaned definition"
                ))
            })
            .collect()
    }
}
