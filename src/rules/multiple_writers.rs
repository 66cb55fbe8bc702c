//! PL502 multiple-writers: two definitions of one table.

use crate::diagnostic::Diagnostic;
use crate::graph::{Graph, NodeKind};
use crate::rules::{meta, Rule, RuleMeta};

/// Flags a dataset written by more than one job or source.
pub struct MultipleWriters;

static META: RuleMeta = meta!(
    "PL502",
    "multiple-writers",
    Error,
    "one dataset written by more than one job"
);

impl Rule for MultipleWriters {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, graph: &Graph) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (ix, ds) in graph.nodes().filter(|(_, n)| n.kind == NodeKind::Dataset) {
            let mut writers = graph.writers(ix);
            // A task and the SQL script it runs are one writer.
            let mut seen = std::collections::HashSet::new();
            writers.retain(|(w, _)| seen.insert(graph.scheduled_as(*w)));
            if writers.len() < 2 {
                continue;
            }
            let names: Vec<&str> = writers
                .iter()
                .map(|(w, _)| graph.node(*w).id.as_str())
                .collect();
            let mut d = Diagnostic::new(
                "multiple-writers",
                format!("`{}` is written by {} jobs: {}", ds.name, writers.len(), names.join(", ")),
            )
            .node(ds.id.clone())
            .at(writers[1].1.span.clone())
            .help("give the table one owner job; if both are needed, write two tables and union them downstream");
            for (w, e) in &writers {
                d = d.related(
                    format!("written by `{}`", graph.node(*w).id),
                    Some(graph.node(*w).id.clone()),
                    e.span.clone(),
                );
            }
            out.push(d);
        }
        out
    }
}
