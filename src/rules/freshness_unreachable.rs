//! PL303 freshness-unreachable: a consumer is promised fresher data than the
//! pipeline upstream of it can deliver.

use std::collections::{HashSet, VecDeque};

use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;
use petgraph::Direction;

use crate::cadence::Cadence;
use crate::diagnostic::Diagnostic;
use crate::graph::{Graph, NodeKind};
use crate::rules::{meta, Rule, RuleMeta};

/// Compares each consumer's freshness with the slowest cadence upstream.
pub struct FreshnessUnreachable;

static META: RuleMeta = meta!(
    "PL303",
    "freshness-unreachable",
    Warn,
    "a consumer's freshness cannot be met by the slowest cadence upstream of it"
);

impl Rule for FreshnessUnreachable {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, graph: &Graph) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (ix, consumer) in graph.nodes().filter(|(_, n)| n.kind == NodeKind::Consumer) {
            let Some(freshness) = &consumer.cadence else {
                continue;
            };
            let Some(bar) = freshness.value.max_gap_seconds() else {
                continue;
            };
            let Some((slowest, gap)) = slowest_upstream(graph, ix) else {
                continue;
            };
            let slow = graph.node(slowest);
            let cadence = slow
                .cadence
                .as_ref()
                .map_or(String::new(), |c| c.value.to_string());
            let stale = match gap {
                None => "only runs when triggered by hand".to_string(),
                Some(g) if g > bar => format!("runs {cadence}"),
                Some(_) => continue,
            };
            out.push(
                Diagnostic::new(
                    "freshness-unreachable",
                    format!(
                        "consumer `{}` needs data fresh {}, but upstream `{}` {stale}",
                        consumer.name, freshness.value, slow.id
                    ),
                )
                .node(consumer.id.clone())
                .at(freshness.span.clone().or_else(|| consumer.span.clone()))
                .related("the slowest step upstream", Some(slow.id.clone()), slow.span.clone())
                .help("run the upstream step at least as often as the consumer's freshness, or relax the freshness the consumer is promised"),
            );
        }
        out
    }
}

/// The upstream job or source with the longest gap between runs (`None` gap
/// for a manually triggered one, which is the slowest of all).
fn slowest_upstream(graph: &Graph, consumer: NodeIndex) -> Option<(NodeIndex, Option<u64>)> {
    let mut seen = HashSet::from([consumer]);
    let mut queue = VecDeque::from([consumer]);
    let mut slowest: Option<(NodeIndex, Option<u64>)> = None;
    while let Some(n) = queue.pop_front() {
        for e in graph.inner.edges_directed(n, Direction::Incoming) {
            let up = e.source();
            if !seen.insert(up) {
                continue;
            }
            queue.push_back(up);
            let node = graph.node(up);
            if node.kind == NodeKind::Dataset {
                continue;
            }
            let Some(c) = &node.cadence else { continue };
            let gap = match c.value {
                Cadence::OnData | Cadence::Scheduled => continue,
                ref other => other.max_gap_seconds(),
            };
            let slower = match (&slowest, gap) {
                (None, _) => true,
                (Some((_, None)), _) => false,
                (Some(_), None) => true,
                (Some((cur, Some(g0))), Some(g)) => {
                    g > *g0 || (g == *g0 && graph.node(up).id < graph.node(*cur).id)
                }
            };
            if slower {
                slowest = Some((up, gap));
            }
        }
    }
    slowest
}
