//! PL402 layer-skip: serving data built straight from raw.

use crate::diagnostic::Diagnostic;
use crate::facts::EdgeKind;
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
        let mut out = Vec::new();
        for (ix, job) in graph.nodes().filter(|(_, n)| n.is_job()) {
            for (_, written) in graph.out_edges(ix, EdgeKind::Writes) {
                let Some(lw) = graph.node(written).layer else {
                    continue;
                };
                for (read_edge, read) in graph.in_edges(ix, EdgeKind::Reads) {
                    let Some(lr) = graph.read_layer(read) else {
                        continue;
                    };
                    if lw < lr + 2 {
                        continue;
                    }
                    let skipped = graph.layers[lr + 1..lw].join(", ");
                    out.push(
                        Diagnostic::new(
                            "layer-skip",
                            format!(
                                "`{}` builds {}-layer `{}` straight from {} `{}`, skipping {skipped}",
                                job.id,
                                graph.layers[lw],
                                graph.node(written).name,
                                graph.layer_name(graph.node(read)).unwrap_or("source"),
                                graph.node(read).name
                            ),
                        )
                        .node(job.id.clone())
                        .at(read_edge.span.clone().or_else(|| job.span.clone()))
                        .help(format!("read the {skipped} table built from it instead, so every consumer shares one cleaned definition")),
                    );
                }
            }
        }
        out
    }
}
