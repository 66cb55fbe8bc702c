//! PL401 consumer-reads-raw: a consumer bypasses the curated layer.

use crate::diagnostic::Diagnostic;
use crate::facts::EdgeKind;
use crate::graph::{Graph, NodeKind};
use crate::rules::{meta, Rule, RuleMeta};

/// Flags each read of a raw-layer dataset or a source by a consumer.
pub struct ConsumerReadsRaw;

static META: RuleMeta = meta!(
    "PL401",
    "consumer-reads-raw",
    Error,
    "a consumer reads a raw-layer dataset or a source directly"
);

impl Rule for ConsumerReadsRaw {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, graph: &Graph) -> Vec<Diagnostic> {
        let Some(raw) = graph.layers.first() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (ix, n) in graph.nodes().filter(|(_, n)| n.kind == NodeKind::Consumer) {
            for (edge, from) in graph.in_edges(ix, EdgeKind::Reads) {
                let src = graph.node(from);
                let what = match src.kind {
                    NodeKind::Source => format!("source `{}` directly", src.name),
                    _ if graph.read_layer(from) == Some(0) => {
                        format!("{raw}-layer dataset `{}`", src.name)
                    }
                    _ => continue,
                };
                out.push(
                    Diagnostic::new("consumer-reads-raw", format!("consumer `{}` reads {what}", n.name))
                        .node(n.id.clone())
                        .at(edge.span.clone().or_else(|| n.span.clone()))
                        .help("read the curated or serving table built from it instead; if none exists, that table is the missing piece of the pipeline"),
                );
            }
        }
        out
    }
}
