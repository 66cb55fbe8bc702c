//! The one graph: sources → jobs → datasets → consumers, joined across tools.

mod build;
mod inherit;
mod jobs;
mod names;
mod resolve;
mod walk;

use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction;

use crate::cadence::Cadence;
use crate::facts::{Attributed, EdgeKind, JobKind};
use crate::failure::FailureBehavior;
use crate::span::Span;

pub use build::build;
pub use names::{normalize, NameDefaults};
pub use walk::{reach, resolve};

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeKind {
    /// An object in an external system, extracted into the raw layer.
    Source,
    /// A unit of work (task, script, model, …).
    Job(JobKind),
    /// An orchestrator DAG.
    Dag,
    /// A table, view or file location.
    Dataset,
    /// A dashboard, ML job, reverse-ETL target, exposure.
    Consumer,
}

impl NodeKind {
    /// The kind's name in output: `source`, `job`, `dag`, `dataset`, `consumer`.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Source => "source",
            NodeKind::Job(_) => "job",
            NodeKind::Dag => "dag",
            NodeKind::Dataset => "dataset",
            NodeKind::Consumer => "consumer",
        }
    }
}

impl NodeKind {
    /// The kind in words, for messages: `task`, `SQL script`, `dbt model`, ….
    pub fn describe(self) -> &'static str {
        match self {
            NodeKind::Job(JobKind::Task) => "task",
            NodeKind::Job(JobKind::Script) => "SQL script",
            NodeKind::Job(JobKind::Model) => "dbt model",
            NodeKind::Job(JobKind::Snapshot) => "dbt snapshot",
            NodeKind::Job(JobKind::Seed) => "dbt seed",
            NodeKind::Dag => "DAG",
            NodeKind::Source => "source",
            NodeKind::Consumer => "consumer",
            NodeKind::Dataset => "dataset",
        }
    }
}

/// A node with its annotations after inheritance.
#[derive(Debug, Clone)]
pub struct Node {
    /// Stable id, e.g. `script:sql/x.sql`, `dataset:raw.orders`.
    pub id: String,
    /// What it is.
    pub kind: NodeKind,
    /// Short name.
    pub name: String,
    /// Index into [`Graph::layers`], for datasets placed in a layer.
    pub layer: Option<usize>,
    /// The file path-based owners are matched on, when not `span`'s file
    /// (see [`crate::facts::JobFact::file`]).
    pub file: Option<std::sync::Arc<str>>,
    /// Read by a tool outside the graph's jobs and consumers (dbt's
    /// semantic layer): a serving dataset with a reader.
    pub served: bool,
    /// A consumer whose tool has no freshness field (see
    /// [`crate::facts::ConsumerFact::freshness_optional`]).
    pub freshness_optional: bool,
    /// Owner and where it came from.
    pub owner: Option<Attributed<String>>,
    /// Cadence (freshness for consumers) and where it came from.
    pub cadence: Option<Attributed<Cadence>>,
    /// Failure behavior and where it came from.
    pub on_failure: Option<Attributed<FailureBehavior>>,
    /// Where it is defined (or first mentioned, for datasets).
    pub span: Option<Span>,
    /// The DAG of a task (or of the task that runs a script).
    pub dag: Option<String>,
    /// The job that runs this one (a task running a SQL script).
    pub run_by: Option<String>,
    /// Consumer kind (dashboard, ml, …).
    pub consumer_kind: Option<String>,
    /// A job that checks data quality; a dataset guarded by such a check.
    pub checked: bool,
    /// A dataset that exists outside the repo's jobs (a dbt source, a seed).
    pub external: bool,
    /// The file that defines the job did not parse completely.
    pub partial: bool,
    /// Some of the job's reads and writes were recovered by a token scan of
    /// SQL that did not parse.
    pub recovered: bool,
    /// The operator running a task (`SQLExecuteQueryOperator`, `@task`).
    pub operator: Option<String>,
}

impl Node {
    /// Whether the node is a job.
    pub fn is_job(&self) -> bool {
        matches!(self.kind, NodeKind::Job(_))
    }
}

/// An edge with the place that creates it.
#[derive(Debug, Clone)]
pub struct Edge {
    /// reads, writes, after or triggers.
    pub kind: EdgeKind,
    /// Where the read, write or dependency is written.
    pub span: Option<Span>,
}

/// Data moving through one job from a layered input to a layered output.
#[derive(Debug, Clone, Copy)]
pub struct Flow<'g> {
    /// The job.
    pub job: NodeIndex,
    /// The dataset it writes.
    pub written: NodeIndex,
    /// The written dataset's layer.
    pub write_layer: usize,
    /// The dataset (or source) it reads.
    pub read: NodeIndex,
    /// The read node's layer (a source counts as the first layer).
    pub read_layer: usize,
    /// The read, with its place.
    pub read_edge: &'g Edge,
}

/// Something referenced that resolves to nothing in the repo.
#[derive(Debug, Clone)]
pub struct Unresolved {
    /// What kind of reference: `dataset`, `model`, `source`, `script`, `task`, `dag`, `package`.
    pub what: &'static str,
    /// The name as resolved as far as possible.
    pub name: String,
    /// A close existing name, for "did you mean".
    pub suggestion: Option<String>,
    /// The referring node and place of every reference, sorted.
    pub places: Vec<(String, Span)>,
}

/// The joined graph and what resolution could not place.
#[derive(Debug, Default)]
pub struct Graph {
    /// The shape and the edges: node `i` here is `nodes[i]`, in id order,
    /// so indexes are stable. The nodes are kept apart (see
    /// [`Graph::node`]): moved into the graph's own storage, hundreds of
    /// bytes each, they were a fresh copy of every node.
    pub inner: DiGraph<(), Edge>,
    /// The nodes, by index.
    nodes: Vec<Node>,
    /// Node id → index (hashed with foldhash: ids are looked up on every
    /// edge made and by every rule, and SipHash's flooding resistance buys
    /// nothing for names read from the repo being checked).
    index: foldhash::HashMap<String, NodeIndex>,
    /// Layer names, in the one allowed direction of flow.
    pub layers: Vec<String>,
    /// Declared team names (empty when `[teams]` is absent).
    pub teams: Vec<String>,
    /// References that resolve to nothing, sorted by name.
    pub unresolved: Vec<Unresolved>,
    /// Each source's external object (its `system`, else its landing dataset)
    /// with the source id and declaration, in source order.
    pub source_objects: Vec<(String, String, Span)>,
}

impl Graph {
    /// The node with this id.
    pub fn get(&self, id: &str) -> Option<(NodeIndex, &Node)> {
        let ix = *self.index.get(id)?;
        Some((ix, self.node(ix)))
    }

    /// The node at an index.
    pub fn node(&self, ix: NodeIndex) -> &Node {
        &self.nodes[ix.index()]
    }

    /// The node at an index, to change (while the graph is built).
    pub(crate) fn node_mut(&mut self, ix: NodeIndex) -> &mut Node {
        &mut self.nodes[ix.index()]
    }

    /// All nodes in id order.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeIndex, &Node)> {
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (NodeIndex::new(i), n))
    }

    /// Edges of one kind leaving a node: (edge, target).
    pub fn out_edges(
        &self,
        ix: NodeIndex,
        kind: EdgeKind,
    ) -> impl Iterator<Item = (&Edge, NodeIndex)> {
        self.inner
            .edges_directed(ix, Direction::Outgoing)
            .filter(move |e| e.weight().kind == kind)
            .map(|e| (e.weight(), e.target()))
    }

    /// Edges of one kind entering a node: (edge, source).
    pub fn in_edges(
        &self,
        ix: NodeIndex,
        kind: EdgeKind,
    ) -> impl Iterator<Item = (&Edge, NodeIndex)> {
        self.inner
            .edges_directed(ix, Direction::Incoming)
            .filter(move |e| e.weight().kind == kind)
            .map(|e| (e.weight(), e.source()))
    }

    /// All edges as (from, to, edge), in insertion order.
    pub fn edges(&self) -> impl Iterator<Item = (NodeIndex, NodeIndex, EdgeIndex, &Edge)> {
        self.inner
            .edge_references()
            .map(|e| (e.source(), e.target(), e.id(), e.weight()))
    }

    /// The scripts any of `jobs` runs (a SQL file a task executes): with its
    /// task, one job. One pass over the nodes, however many jobs.
    pub fn scripts_run_by(&self, jobs: &[NodeIndex]) -> Vec<NodeIndex> {
        let ids: std::collections::HashSet<&str> =
            jobs.iter().map(|&j| self.node(j).id.as_str()).collect();
        self.nodes()
            .filter(|(_, n)| n.run_by.as_deref().is_some_and(|r| ids.contains(r)))
            .map(|(ix, _)| ix)
            .collect()
    }

    /// The strongly connected groups of nodes (a group of two or more is a
    /// cycle), by Kosaraju: petgraph runs it with explicit stacks (tarjan_scc
    /// recurses once per node and overflows on a long chain of models). It
    /// needs the graph's shape only, so it walks a copy without the edge
    /// weights (same indexes): a few bytes an edge instead of tens keeps
    /// both passes in cache, where on the weighted graph their time grew
    /// faster than the graph.
    pub fn strongly_connected(&self) -> Vec<Vec<NodeIndex>> {
        let shape: DiGraph<(), ()> = self.inner.map(|_, _| (), |_, _| ());
        petgraph::algo::kosaraju_scc(&shape)
    }

    /// Where a job sits in orchestration order: the task that runs it, or itself.
    pub fn scheduled_as(&self, job: NodeIndex) -> NodeIndex {
        self.node(job)
            .run_by
            .as_deref()
            .and_then(|r| self.get(r))
            .map_or(job, |(ix, _)| ix)
    }

    /// The layer name of a node, if it has one.
    pub fn layer_name(&self, node: &Node) -> Option<&str> {
        node.layer
            .and_then(|l| self.layers.get(l))
            .map(String::as_str)
    }

    /// The index of the serving layer: the last of three or more layers.
    pub fn serving_layer(&self) -> Option<usize> {
        (self.layers.len() >= 3).then(|| self.layers.len() - 1)
    }

    /// The datasets of the serving layer, in id order (none without one).
    pub fn serving_datasets(&self) -> impl Iterator<Item = (NodeIndex, &Node)> {
        let serving = self.serving_layer();
        self.nodes().filter(move |(_, n)| {
            serving.is_some() && n.kind == NodeKind::Dataset && n.layer == serving
        })
    }

    /// Every flow through a job between layered data: (job, dataset it writes,
    /// its layer, node it reads, that node's layer, the read edge). The layer
    /// rules judge these.
    pub fn layered_flows(&self) -> impl Iterator<Item = Flow<'_>> {
        self.nodes()
            .filter(|(_, n)| n.is_job())
            .flat_map(move |(job, _)| {
                self.out_edges(job, EdgeKind::Writes)
                    .flat_map(move |(_, written)| {
                        let write_layer = self.node(written).layer;
                        self.in_edges(job, EdgeKind::Reads)
                            .filter_map(move |(read_edge, read)| {
                                Some(Flow {
                                    job,
                                    written,
                                    write_layer: write_layer?,
                                    read,
                                    read_layer: self.read_layer(read)?,
                                    read_edge,
                                })
                            })
                    })
            })
    }

    /// The layer a read of `from` counts as: a dataset's layer, or the first
    /// (raw) layer for a source read directly.
    pub fn read_layer(&self, from: NodeIndex) -> Option<usize> {
        let n = self.node(from);
        match n.kind {
            NodeKind::Source => Some(0),
            _ => n.layer,
        }
    }

    /// The first of [`Graph::writers`] (by id), found without sorting them.
    pub fn first_writer(&self, dataset: NodeIndex) -> Option<NodeIndex> {
        self.first_write(dataset).map(|(w, _)| w)
    }

    /// The write edge of [`Graph::first_writer`], with the writer.
    pub fn first_write(&self, dataset: NodeIndex) -> Option<(NodeIndex, &Edge)> {
        self.in_edges(dataset, EdgeKind::Writes)
            .map(|(e, n)| (n, e))
            .min_by(|a, b| self.node(a.0).id.cmp(&self.node(b.0).id))
    }

    /// The jobs (and sources landing data) that write a dataset, sorted by id.
    pub fn writers(&self, dataset: NodeIndex) -> Vec<(NodeIndex, &Edge)> {
        let mut w: Vec<_> = self
            .in_edges(dataset, EdgeKind::Writes)
            .map(|(e, n)| (n, e))
            .collect();
        w.sort_by(|a, b| self.node(a.0).id.cmp(&self.node(b.0).id));
        w
    }
}
