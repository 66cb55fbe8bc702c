//! Walking the graph from some nodes: finding a node by the name a person
//! types, and what is reachable up- or downstream (breadth-first, iterative:
//! chains of 100,000 nodes are fine). The diagram's `--focus`, `impact` and
//! the metrics use these.

use std::collections::{HashMap, VecDeque};

use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;
use petgraph::Direction;

use super::Graph;

/// Finds a node by id, else by its name or the part of its id after the
/// kind (`exec_dashboard`, `raw.orders`); an error names the candidates.
pub fn resolve(graph: &Graph, text: &str) -> Result<NodeIndex, String> {
    if let Some((ix, _)) = graph.get(text) {
        return Ok(ix);
    }
    let matches: Vec<NodeIndex> = graph
        .nodes()
        .filter(|(_, n)| n.name == text || n.id.split_once(':').is_some_and(|(_, r)| r == text))
        .map(|(ix, _)| ix)
        .collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => {
            let hint = crate::suggest::closest(text, graph.nodes().map(|(_, n)| n.id.as_str()))
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            Err(format!(
                "no node `{text}`{hint}; `pipelint graph` lists them"
            ))
        }
        many => Err(format!(
            "`{text}` names several nodes ({}); give the full id",
            many.iter()
                .map(|ix| format!("`{}`", graph.node(*ix).id))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Nodes reachable from `start` along edges in `direction`, within `hops`
/// (unlimited when `None`), with their distance; breadth-first, iterative.
pub fn reach(
    graph: &Graph,
    start: &[NodeIndex],
    direction: Direction,
    hops: Option<usize>,
) -> HashMap<NodeIndex, usize> {
    let mut seen: HashMap<NodeIndex, usize> = start.iter().map(|&s| (s, 0)).collect();
    let mut queue: VecDeque<NodeIndex> = start.iter().copied().collect();
    while let Some(n) = queue.pop_front() {
        let d = seen[&n];
        if hops.is_some_and(|h| d >= h) {
            continue;
        }
        for e in graph.inner.edges_directed(n, direction) {
            let next = match direction {
                Direction::Outgoing => e.target(),
                Direction::Incoming => e.source(),
            };
            if let std::collections::hash_map::Entry::Vacant(v) = seen.entry(next) {
                v.insert(d + 1);
                queue.push_back(next);
            }
        }
    }
    seen
}
