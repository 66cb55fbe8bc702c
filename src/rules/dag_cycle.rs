//! PL101 dag-cycle: a loop anywhere in the joined graph.

use std::collections::{HashSet, VecDeque};

use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;

use crate::diagnostic::Diagnostic;
use crate::graph::Graph;
use crate::rules::{meta, Rule, RuleMeta};

/// Finds every strongly connected group of nodes and reports one loop through it.
pub struct DagCycle;

static META: RuleMeta = meta!(
    "PL101",
    "dag-cycle",
    Error,
    "a cycle anywhere in the joined graph"
);

impl Rule for DagCycle {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, graph: &Graph) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for scc in graph.strongly_connected() {
            if scc.len() < 2 {
                continue;
            }
            let members: HashSet<NodeIndex> = scc.iter().copied().collect();
            // One loop through every job of the group: start at the first job
            // (by id) not yet on a reported loop. Jobs are what people edit.
            let mut starts: Vec<NodeIndex> = scc
                .iter()
                .copied()
                .filter(|ix| graph.node(*ix).is_job())
                .collect();
            starts.sort_by(|a, b| graph.node(*a).id.cmp(&graph.node(*b).id));
            if starts.is_empty() {
                starts = scc
                    .iter()
                    .copied()
                    .min_by(|a, b| graph.node(*a).id.cmp(&graph.node(*b).id))
                    .into_iter()
                    .collect();
            }
            let mut covered: HashSet<NodeIndex> = HashSet::new();
            for start in starts {
                if covered.contains(&start) {
                    continue;
                }
                let Some(path) = shortest_loop(graph, start, &members) else {
                    continue;
                };
                covered.extend(path.iter().map(|(n, _)| *n));
                out.push(report(graph, start, &path));
            }
        }
        out
    }
}

/// The finding for one loop: the message walks it, each hop is related.
fn report(
    graph: &Graph,
    start: NodeIndex,
    path: &[(NodeIndex, petgraph::graph::EdgeIndex)],
) -> Diagnostic {
    let mut names: Vec<&str> = path
        .iter()
        .map(|(n, _)| graph.node(*n).id.as_str())
        .collect();
    names.push(graph.node(start).id.as_str());
    let start_node = graph.node(start);
    let mut d = Diagnostic::new("dag-cycle", format!("cycle through {} jobs: {}", path.iter().filter(|(n, _)| graph.node(*n).is_job()).count(), names.join(" → ")))
        .node(start_node.id.clone())
        .at(start_node.span.clone())
        .help("break the loop: one of these steps must stop reading what a later step writes (read a snapshot, or move the logic upstream)");
    for (i, (from, edge)) in path.iter().enumerate() {
        let to = path.get(i + 1).map_or(start, |(n, _)| *n);
        let e = &graph.inner[*edge];
        d = d.related(
            e.kind.hop(&graph.node(*from).id, &graph.node(to).id),
            Some(graph.node(*from).id.clone()),
            e.span.clone(),
        );
    }
    d
}

/// The shortest loop from `start` back to itself inside one strongly connected
/// group: each hop as (node, edge leaving it). Neighbours are visited in id
/// order so the loop reported is the same on every run.
fn shortest_loop(
    graph: &Graph,
    start: NodeIndex,
    members: &HashSet<NodeIndex>,
) -> Option<Vec<(NodeIndex, petgraph::graph::EdgeIndex)>> {
    let mut prev: std::collections::HashMap<NodeIndex, (NodeIndex, petgraph::graph::EdgeIndex)> =
        Default::default();
    let mut queue = VecDeque::from([start]);
    let mut seen = HashSet::from([start]);
    while let Some(n) = queue.pop_front() {
        let mut next: Vec<_> = graph
            .inner
            .edges(n)
            .filter(|e| members.contains(&e.target()))
            .collect();
        next.sort_by(|a, b| graph.node(a.target()).id.cmp(&graph.node(b.target()).id));
        for e in next {
            let t = e.target();
            if t == start {
                let mut path = vec![(n, e.id())];
                let mut cur = n;
                while cur != start {
                    let &(p, pe) = prev.get(&cur)?;
                    path.push((p, pe));
                    cur = p;
                }
                path.reverse();
                return Some(path);
            }
            if seen.insert(t) {
                prev.insert(t, (n, e.id()));
                queue.push_back(t);
            }
        }
    }
    None
}
