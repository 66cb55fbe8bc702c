//! The blast radius of a change: everything downstream of some nodes —
//! datasets, jobs, consumers — with owners, the cadence at which each sees
//! the change, and whether it reads the changed data directly. And the
//! lesson's test, "a source change breaks one pipeline": per source, the
//! jobs reading it directly and the consumers depending on it.

use std::collections::{HashMap, HashSet, VecDeque};

use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use serde::Serialize;

use crate::cadence::Cadence;
use crate::facts::EdgeKind;
use crate::graph::{Graph, NodeKind};

/// One node a change reaches.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Reached {
    /// Node id.
    pub id: String,
    /// Short name.
    pub name: String,
    /// `source`, `job`, `dataset`, `consumer`.
    pub kind: &'static str,
    /// The kind in words (`task`, `dbt model`, `dashboard`).
    pub describe: String,
    /// Owner.
    pub owner: Option<String>,
    /// The cadence at which it sees the change: its own, or for a node run on
    /// data updates (or without a cadence), that of the node it is reached from.
    pub cadence: Option<String>,
    /// Whether the cadence is upstream's (the node runs on data updates, or
    /// has no schedule of its own, like a dbt model run by whatever runs dbt).
    pub cadence_inherited: bool,
    /// Hops from the nearest changed node.
    pub distance: usize,
    /// Reads changed data directly (a changed dataset, or one a changed job writes).
    pub direct: bool,
    /// The node it is reached from, on a shortest path.
    pub via: String,
}

/// What a change reaches.
#[derive(Debug, Clone, Serialize)]
pub struct Impact {
    /// The changed nodes, by id, sorted.
    pub changed: Vec<String>,
    /// Everything downstream, sorted by (distance, id).
    pub reached: Vec<Reached>,
    /// For each changed source: who reads it and who depends on it.
    pub sources: Vec<SourceReach>,
}

impl Impact {
    /// The reached nodes of one kind (`consumer`, `job`, `dataset`).
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Reached> + 'a {
        self.reached.iter().filter(move |r| r.kind == kind)
    }
}

/// One source's reach, for "a source change breaks one pipeline".
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SourceReach {
    /// The source id.
    pub source: String,
    /// Jobs reading the source (or the dataset it lands in, when no job
    /// reads it directly) — should be one, the extract.
    pub direct_readers: Vec<String>,
    /// Consumers downstream of it.
    pub consumers: Vec<String>,
}

/// Everything downstream of `changed`, breadth-first and iterative.
pub fn impact(graph: &Graph, changed: &[NodeIndex]) -> Impact {
    // A task and the scripts it runs are one job: what the script reads
    // and writes, the task does.
    let mut with_scripts: Vec<NodeIndex> = changed.to_vec();
    for s in graph.scripts_run_by(changed) {
        if !with_scripts.contains(&s) {
            with_scripts.push(s);
        }
    }
    let changed = with_scripts.as_slice();
    let start: HashSet<NodeIndex> = changed.iter().copied().collect();
    // Data a changed job writes is changed data too: its readers are direct.
    let mut changed_data: HashSet<NodeIndex> = start.clone();
    for &c in changed {
        if graph.node(c).is_job() {
            changed_data.extend(graph.out_edges(c, EdgeKind::Writes).map(|(_, d)| d));
        }
    }
    let mut effective: HashMap<NodeIndex, (Option<String>, bool)> = HashMap::new();
    for &c in changed {
        effective.insert(c, (own_cadence(graph, c), false));
    }
    let mut distance: HashMap<NodeIndex, usize> = changed.iter().map(|&c| (c, 0)).collect();
    let mut queue: VecDeque<NodeIndex> = changed.iter().copied().collect();
    let mut reached = Vec::new();
    while let Some(n) = queue.pop_front() {
        let d = distance[&n];
        let mut next: Vec<NodeIndex> = graph
            .inner
            .edges_directed(n, Direction::Outgoing)
            .map(|e| e.target())
            .collect();
        next.sort_by(|a, b| graph.node(*a).id.cmp(&graph.node(*b).id));
        for t in next {
            if distance.contains_key(&t) {
                continue;
            }
            distance.insert(t, d + 1);
            queue.push_back(t);
            let (cadence, inherited) = match own_cadence(graph, t) {
                Some(c) => (Some(c), false),
                None => (effective[&n].0.clone(), effective[&n].0.is_some()),
            };
            effective.insert(t, (cadence.clone(), inherited));
            let node = graph.node(t);
            reached.push(Reached {
                id: node.id.clone(),
                name: node.name.clone(),
                kind: node.kind.as_str(),
                describe: match (node.kind, node.consumer_kind.as_deref()) {
                    (NodeKind::Consumer, Some(k)) => k.to_string(),
                    (k, _) => k.describe().to_string(),
                },
                owner: node.owner.as_ref().map(|o| o.value.clone()),
                cadence,
                cadence_inherited: inherited,
                distance: d + 1,
                direct: changed_data.contains(&t)
                    || graph
                        .in_edges(t, EdgeKind::Reads)
                        .any(|(_, from)| changed_data.contains(&from)),
                via: graph.node(n).id.clone(),
            });
        }
    }
    reached.sort_by(|a, b| (a.distance, &a.id).cmp(&(b.distance, &b.id)));
    let mut changed_ids: Vec<String> = changed.iter().map(|&c| graph.node(c).id.clone()).collect();
    changed_ids.sort();
    changed_ids.dedup();
    let mut sources: Vec<SourceReach> = changed
        .iter()
        .filter(|&&c| graph.node(c).kind == NodeKind::Source)
        .map(|&c| source_reach(graph, c))
        .collect();
    sources.sort_by(|a, b| a.source.cmp(&b.source));
    sources.dedup();
    Impact {
        changed: changed_ids,
        reached,
        sources,
    }
}

/// A node's own cadence, unless it runs on data updates.
fn own_cadence(graph: &Graph, ix: NodeIndex) -> Option<String> {
    graph
        .node(ix)
        .cadence
        .as_ref()
        .filter(|c| c.value != Cadence::OnData)
        .map(|c| c.value.to_string())
}

/// The jobs reading a source directly and the consumers depending on it. A
/// source declared with `lands_in` and no extract job reading it counts the
/// jobs reading its landing dataset.
pub fn source_reach(graph: &Graph, source: NodeIndex) -> SourceReach {
    let mut direct: Vec<String> = graph
        .out_edges(source, EdgeKind::Reads)
        .filter(|(_, j)| graph.node(*j).is_job())
        .map(|(_, j)| graph.node(j).id.clone())
        .collect();
    if direct.is_empty() {
        direct = graph
            .out_edges(source, EdgeKind::Writes)
            .flat_map(|(_, d)| graph.out_edges(d, EdgeKind::Reads))
            .filter(|(_, j)| graph.node(*j).is_job())
            .map(|(_, j)| graph.node(j).id.clone())
            .collect();
    }
    direct.sort();
    direct.dedup();
    let down = crate::graph::reach(graph, &[source], Direction::Outgoing, None);
    let mut consumers: Vec<String> = down
        .keys()
        .filter(|&&n| graph.node(n).kind == NodeKind::Consumer)
        .map(|&n| graph.node(n).id.clone())
        .collect();
    consumers.sort();
    SourceReach {
        source: graph.node(source).id.clone(),
        direct_readers: direct,
        consumers,
    }
}

/// The nodes defined in any of `files` (repo-relative paths): the jobs,
/// DAGs, sources and consumers a change to those files touches, for
/// `impact --changed-since`. Datasets are reached through their writers.
pub fn defined_in(graph: &Graph, files: &[String]) -> Vec<NodeIndex> {
    let files: HashSet<&str> = files.iter().map(String::as_str).collect();
    graph
        .nodes()
        .filter(|(_, n)| n.kind != crate::graph::NodeKind::Dataset)
        .filter(|(_, n)| {
            n.file
                .as_deref()
                .or(n.span.as_ref().map(|s| s.file.as_ref()))
                .is_some_and(|f| files.contains(f))
        })
        .map(|(ix, _)| ix)
        .collect()
}
