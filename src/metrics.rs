//! Architecture metrics of one repo, from the lesson's reasoning: how many
//! point-to-point pipelines the layers save, how much consumers read from
//! curated/serving data, how many sources are read more than once, how well
//! owners, cadences and failure behaviors are declared, how the work is cut
//! into DAGs, and how transforms are built (ELT in the warehouse, ETL on
//! separate compute). Every algorithm here is iterative: repos can hold
//! chains of 100,000 nodes.

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};

use petgraph::graph::NodeIndex;
use petgraph::Direction;
use serde::{Deserialize, Serialize};

use crate::compute::{self, Style};
use crate::facts::EdgeKind;
use crate::graph::{Graph, NodeKind};

/// A part of a whole: `covered` of `total`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    /// How many have it.
    pub covered: usize,
    /// Out of how many.
    pub total: usize,
}

impl Share {
    /// Percent, rounded down; `None` of nothing.
    pub fn percent(self) -> Option<usize> {
        (self.total > 0).then(|| self.covered * 100 / self.total)
    }
}

impl std::fmt::Display for Share {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.percent() {
            Some(p) => write!(f, "{p}% ({}/{})", self.covered, self.total),
            None => f.write_str("-"),
        }
    }
}

/// Data crossing from one DAG to another.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CrossDag {
    /// The DAG writing (or running before).
    pub from: String,
    /// The DAG reading (or running after).
    pub to: String,
    /// Whether a sensor, trigger or Dataset/Asset schedule orders them.
    pub triggered: bool,
}

/// The metrics of one repo.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metrics {
    /// Nodes in the graph.
    pub nodes: usize,
    /// Edges in the graph.
    pub edges: usize,
    /// External sources.
    pub sources: usize,
    /// Consumers.
    pub consumers: usize,
    /// Jobs.
    pub jobs: usize,
    /// Datasets.
    pub datasets: usize,
    /// Pipelines a point-to-point architecture would need: sources × consumers.
    pub point_to_point: usize,
    /// Pipelines the repo has: reads by a job of data in one layer (or a
    /// source) to write data into another.
    pub layer_crossings: usize,
    /// Consumer reads of curated or serving data, of all consumer reads.
    pub consumer_reads_curated: Share,
    /// Sources read directly by more than one job, of all sources.
    pub sources_read_twice: Share,
    /// Jobs, sources and consumers with an owner.
    pub owner: Share,
    /// Jobs, sources and consumers with a cadence (freshness, for consumers).
    pub cadence: Share,
    /// Jobs with a failure behavior.
    pub failure: Share,
    /// Edges on the longest path (cycles left out).
    pub longest_path: usize,
    /// Cycles: groups of nodes that depend on each other.
    pub cycles: usize,
    /// Orchestrator DAGs with jobs.
    pub dags: usize,
    /// Jobs per DAG, by DAG id.
    pub tasks_per_dag: BTreeMap<String, usize>,
    /// Data or ordering from one DAG to another, by DAG pair.
    pub cross_dag: Vec<CrossDag>,
    /// The DAG whose failure stalls the most downstream work, with how many
    /// jobs and consumers outside it wait on it.
    pub most_stalling_dag: Option<(String, usize)>,
    /// Transforms (jobs reading a dataset and writing one).
    pub transforms: usize,
    /// Transforms run as SQL in the warehouse.
    pub elt: usize,
    /// Transforms run on separate compute (Python, Spark, Kubernetes …).
    pub etl: usize,
}

impl Metrics {
    /// Cross-DAG edges with no sensor or trigger.
    pub fn untriggered_cross_dag(&self) -> usize {
        self.cross_dag.iter().filter(|c| !c.triggered).count()
    }
}

/// Computes the metrics of a graph.
pub fn compute(graph: &Graph) -> Metrics {
    let count = |k: fn(&NodeKind) -> bool| graph.nodes().filter(|(_, n)| k(&n.kind)).count();
    let sources = count(|k| *k == NodeKind::Source);
    let consumers = count(|k| *k == NodeKind::Consumer);
    let mut m = Metrics {
        nodes: graph.inner.node_count(),
        edges: graph.inner.edge_count(),
        sources,
        consumers,
        jobs: count(|k| matches!(k, NodeKind::Job(_))),
        datasets: count(|k| *k == NodeKind::Dataset),
        point_to_point: sources * consumers,
        ..Metrics::default()
    };
    let crossings: BTreeSet<(NodeIndex, NodeIndex)> = graph
        .layered_flows()
        .filter(|f| f.read_layer != f.write_layer)
        .map(|f| (f.read, f.written))
        .collect();
    m.layer_crossings = crossings.len();
    let curated_from = 1.min(graph.layers.len().saturating_sub(1));
    for (ix, n) in graph.nodes() {
        match n.kind {
            NodeKind::Consumer => {
                for (_, read) in graph.in_edges(ix, EdgeKind::Reads) {
                    m.consumer_reads_curated.total += 1;
                    let layer = graph.node(read).layer;
                    if graph.layers.len() >= 2 && layer.is_some_and(|l| l >= curated_from) {
                        m.consumer_reads_curated.covered += 1;
                    }
                }
            }
            NodeKind::Source => {
                m.sources_read_twice.total += 1;
                if crate::impact::source_reach(graph, ix).direct_readers.len() > 1 {
                    m.sources_read_twice.covered += 1;
                }
            }
            _ => {}
        }
        if matches!(
            n.kind,
            NodeKind::Job(_) | NodeKind::Source | NodeKind::Consumer
        ) {
            m.owner.total += 1;
            m.owner.covered += usize::from(n.owner.is_some());
            m.cadence.total += 1;
            m.cadence.covered += usize::from(n.cadence.is_some());
        }
        if n.is_job() {
            m.failure.total += 1;
            m.failure.covered += usize::from(n.on_failure.is_some());
            if compute::is_transform(graph, ix) {
                m.transforms += 1;
                match compute::transform_style(graph, ix) {
                    Some(Style::Elt) => m.elt += 1,
                    Some(Style::Etl) => m.etl += 1,
                    None => {}
                }
            }
            if let Some(dag) = &n.dag {
                *m.tasks_per_dag.entry(dag.clone()).or_default() += 1;
            }
        }
    }
    m.dags = m.tasks_per_dag.len();
    m.longest_path = longest_path(graph);
    m.cycles = graph
        .strongly_connected()
        .iter()
        .filter(|c| c.len() > 1 || graph.inner.contains_edge(c[0], c[0]))
        .count();
    m.cross_dag = cross_dag(graph);
    m.most_stalling_dag = most_stalling_dag(graph);
    m
}

/// Edges on the longest path, by Kahn's algorithm (nodes on cycles are
/// never released and so left out).
fn longest_path(graph: &Graph) -> usize {
    let g = &graph.inner;
    let mut indegree: Vec<usize> = g
        .node_indices()
        .map(|n| g.neighbors_directed(n, Direction::Incoming).count())
        .collect();
    let mut length = vec![0usize; g.node_count()];
    let mut queue: VecDeque<NodeIndex> = g
        .node_indices()
        .filter(|n| indegree[n.index()] == 0)
        .collect();
    let mut best = 0;
    while let Some(n) = queue.pop_front() {
        best = best.max(length[n.index()]);
        for t in g.neighbors_directed(n, Direction::Outgoing) {
            length[t.index()] = length[t.index()].max(length[n.index()] + 1);
            indegree[t.index()] -= 1;
            if indegree[t.index()] == 0 {
                queue.push_back(t);
            }
        }
    }
    best
}

/// The DAG pairs data or ordering crosses, and whether a trigger or sensor
/// links them (a `triggers` or `after` edge between their tasks).
fn cross_dag(graph: &Graph) -> Vec<CrossDag> {
    let dag_of = |ix: NodeIndex| graph.node(ix).dag.clone();
    let mut pairs: BTreeSet<(String, String)> = BTreeSet::new();
    let mut ordered: HashSet<(String, String)> = HashSet::new();
    for (from, to, _, e) in graph.edges() {
        match e.kind {
            EdgeKind::After | EdgeKind::Triggers => {
                let a = dag_of(from).or_else(|| dag_id(graph, from));
                let b = dag_of(to).or_else(|| dag_id(graph, to));
                if let (Some(a), Some(b)) = (a, b) {
                    if a != b {
                        ordered.insert((a.clone(), b.clone()));
                        pairs.insert((a, b));
                    }
                }
            }
            EdgeKind::Writes => {
                let Some(a) = dag_of(from) else { continue };
                for (_, reader) in graph.out_edges(to, EdgeKind::Reads) {
                    if let Some(b) = dag_of(reader) {
                        if a != b {
                            pairs.insert((a.clone(), b));
                        }
                    }
                }
            }
            EdgeKind::Reads => {}
        }
    }
    pairs
        .into_iter()
        .map(|(from, to)| CrossDag {
            triggered: ordered.contains(&(from.clone(), to.clone())),
            from,
            to,
        })
        .collect()
}

/// The DAG id of a `dag:` node.
fn dag_id(graph: &Graph, ix: NodeIndex) -> Option<String> {
    let n = graph.node(ix);
    (n.kind == NodeKind::Dag).then(|| n.name.clone())
}

/// For each DAG, the jobs and consumers outside it downstream of its jobs;
/// the DAG with the most (ties: the first id).
fn most_stalling_dag(graph: &Graph) -> Option<(String, usize)> {
    let mut members: BTreeMap<&str, Vec<NodeIndex>> = BTreeMap::new();
    for (ix, n) in graph.nodes() {
        if let (true, Some(dag)) = (n.is_job(), n.dag.as_deref()) {
            members.entry(dag).or_default().push(ix);
        }
    }
    let mut best: Option<(String, usize)> = None;
    for (dag, jobs) in members {
        let down = crate::graph::reach(graph, &jobs, Direction::Outgoing, None);
        let stalled = down
            .keys()
            .map(|&n| graph.node(n))
            .filter(|n| {
                (n.is_job() && n.dag.as_deref() != Some(dag)) || n.kind == NodeKind::Consumer
            })
            .count();
        if stalled > 0 && best.as_ref().is_none_or(|(_, b)| stalled > *b) {
            best = Some((dag.to_string(), stalled));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::facts::{DataRef, FileFacts, JobFact, JobKind, Located};
    use crate::span::Span;

    /// A chain of `n` scripts, each reading the table the one before writes.
    fn chain(n: usize) -> Graph {
        let file: Arc<str> = Arc::from("chain.sql");
        let span = Span::file_start(&file);
        let mut facts = FileFacts::default();
        for i in 0..n {
            let mut job = JobFact::new(
                format!("script:s{i}.sql"),
                JobKind::Script,
                "s",
                span.clone(),
            );
            job.reads.push(Located::new(
                DataRef::from_name(&format!("x.t{i}")),
                span.clone(),
            ));
            job.writes.push(Located::new(
                DataRef::from_name(&format!("x.t{}", i + 1)),
                span.clone(),
            ));
            facts.jobs.push(job);
        }
        crate::graph::build(&facts, &crate::manifest::Manifest::default(), None)
    }

    #[test]
    fn a_chain_of_100000_nodes_needs_no_recursion() {
        let graph = chain(50_000);
        let m = compute(&graph);
        assert_eq!(m.nodes, 100_001);
        assert_eq!(m.longest_path, 100_000);
        assert_eq!(m.cycles, 0);
        assert_eq!((m.transforms, m.elt), (50_000, 50_000));
        let first = crate::graph::resolve(&graph, "dataset:x.t0").unwrap();
        let down = crate::graph::reach(&graph, &[first], Direction::Outgoing, None);
        assert_eq!(down.len(), 100_001);
        let impact = crate::impact::impact(&graph, &[first]);
        assert_eq!(impact.reached.len(), 100_000);
        assert_eq!(impact.reached.iter().filter(|r| r.direct).count(), 1);
    }
}
