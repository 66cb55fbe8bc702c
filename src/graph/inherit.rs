//! Annotation inheritance: owner, cadence and failure behavior handed down
//! from DAGs, runner tasks, `[paths]` defaults, CODEOWNERS and writers.

use foldhash::{HashMap, HashSet};
use std::sync::Arc;

use petgraph::graph::NodeIndex;
use rayon::prelude::*;

use crate::facts::{Attributed, JobKind};
use crate::graph::{Graph, Node, NodeKind};
use crate::manifest::{Manifest, PathDefaults};
use crate::parse::CodeOwners;
use crate::span::Span;

/// Airflow's default owner: every task has it unless someone set one, so it
/// says nothing about who is paged.
const AIRFLOW_DEFAULT_OWNER: &str = "airflow";

/// Fills in missing annotations, in dependency order: DAGs, tasks (from their
/// DAG), scripts and other jobs (from their runner), `[paths]` and CODEOWNERS
/// by file (`by_file`, from [`path_defaults`]), then datasets (from their
/// writer).
pub fn annotate(
    graph: &mut Graph,
    manifest: &Manifest,
    by_file: &ByFile<'_>,
    runner_of: &HashMap<String, String>,
) {
    let manifest_file = manifest.file.as_deref();
    let order = ordered(graph);
    // The id of a task's DAG, built in one buffer for every lookup.
    let mut dag_id = String::new();
    for ix in order {
        // The node's own annotations are moved out and back, never copied.
        let node = graph.node_mut(ix);
        let mut owner = node
            .owner
            .take()
            .filter(|o| !o.value.eq_ignore_ascii_case(AIRFLOW_DEFAULT_OWNER));
        let mut cadence = node.cadence.take();
        let mut on_failure = node.on_failure.take();
        let mut dag = node.dag.take();
        let node = graph.node(ix);
        if let Some(d) = &dag {
            dag_id.clear();
            dag_id.push_str("dag:");
            dag_id.push_str(d);
            if let Some((_, dag)) = graph.get(&dag_id) {
                if owner.is_none() {
                    owner.clone_from(&dag.owner);
                }
                cadence = cadence.or_else(|| {
                    dag.cadence.as_ref().map(|c| {
                        Attributed::new(
                            c.value.clone(),
                            format!("dag {}", dag.name),
                            c.span.clone(),
                        )
                    })
                });
            }
        }
        let mut run_by = None;
        // Only jobs are run by another (see `runner_of`'s making).
        let runner = node
            .is_job()
            .then(|| runner_of.get(&node.id))
            .flatten()
            .and_then(|r| graph.get(r));
        if let Some((_, runner)) = runner {
            run_by = Some(runner.id.clone());
            if dag.is_none() {
                dag.clone_from(&runner.dag);
            }
            let origin = || format!("run by {}", runner.id);
            inherit(&mut owner, &runner.owner, origin);
            inherit(&mut cadence, &runner.cadence, origin);
            inherit(&mut on_failure, &runner.on_failure, origin);
        }
        if let Some(defaults) = owned_file(node, manifest_file).and_then(|f| by_file.get(f)) {
            for p in &defaults.paths {
                if owner.is_none() {
                    owner.clone_from(&p.owner);
                }
                if cadence.is_none() {
                    cadence.clone_from(&p.cadence);
                }
                if on_failure.is_none() {
                    on_failure.clone_from(&p.on_failure);
                }
            }
            if let Some((o, span)) = &defaults.codeowner {
                owner = owner
                    .or_else(|| Some(Attributed::new(o.clone(), "CODEOWNERS", Some(span.clone()))));
            }
        }
        if node.kind == NodeKind::Dataset && (owner.is_none() || cadence.is_none()) {
            if let Some(w) = graph.first_writer(ix) {
                let writer = graph.node(w);
                let origin = || format!("written by {}", writer.id);
                inherit(&mut owner, &writer.owner, origin);
                inherit(&mut cadence, &writer.cadence, origin);
            }
        }
        let node = graph.node_mut(ix);
        node.dag = dag;
        node.run_by = run_by;
        node.owner = owner;
        node.cadence = cadence;
        node.on_failure = on_failure;
    }
}

/// Fills a missing annotation with another node's, naming that node as its
/// origin (made only when it is used).
fn inherit<T: Clone>(
    mine: &mut Option<Attributed<T>>,
    theirs: &Option<Attributed<T>>,
    origin: impl FnOnce() -> String,
) {
    if mine.is_none() {
        if let Some(t) = theirs {
            *mine = Some(Attributed::new(t.value.clone(), origin(), t.span.clone()));
        }
    }
}

/// The file whose path gives a node `[paths]` defaults and a CODEOWNERS
/// owner: its job file, else the file defining it (never `pipeline.toml`
/// itself, and none for datasets).
fn owned_file<'n>(node: &'n Node, manifest_file: Option<&str>) -> Option<&'n Arc<str>> {
    node.file
        .as_ref()
        .or_else(|| node.span.as_ref().map(|s| &s.file))
        .filter(|f| Some(f.as_ref()) != manifest_file && node.kind != NodeKind::Dataset)
}

/// What the path of one file says: its matching `[paths]` entries (the most
/// specific, i.e. last, first) and its CODEOWNERS owner with the rule's line.
pub struct PathSays<'m> {
    /// The matching `[paths]` entries, the most specific first.
    paths: Vec<&'m PathDefaults>,
    /// The CODEOWNERS owner and the rule's line.
    codeowner: Option<(String, Span)>,
}

/// [`PathSays`] by file.
pub type ByFile<'m> = HashMap<Arc<str>, PathSays<'m>>;

/// The files nodes are owned by (see [`owned_file`]), each once. Only
/// declared nodes have one (datasets never do).
pub fn owned_files(nodes: &[Node], manifest: &Manifest) -> Vec<Arc<str>> {
    let manifest_file = manifest.file.as_deref();
    let files: HashSet<&Arc<str>> = nodes
        .iter()
        .filter_map(|n| owned_file(n, manifest_file))
        .collect();
    files.into_iter().cloned().collect()
}

/// [`PathSays`] for every file of [`owned_files`], each file matched once
/// and the files in parallel: glob matching is most of inheritance's cost
/// in a repo of thousands of files and hundreds of CODEOWNERS rules.
pub fn path_defaults<'m>(
    files: &[Arc<str>],
    manifest: &'m Manifest,
    codeowners: Option<&'m CodeOwners>,
) -> ByFile<'m> {
    let mut owners = codeowners
        .map(|c| c.owners_of_files(files))
        .unwrap_or_default();
    let paths: Vec<Vec<&PathDefaults>> = files
        .par_iter()
        .map(|file| {
            manifest
                .paths
                .iter()
                .rev()
                .filter(|p| p.matcher.is_match(file.as_ref()))
                .collect()
        })
        .collect();
    // Each file's owner moved in, not copied.
    files
        .iter()
        .zip(paths)
        .map(|(file, paths)| {
            let codeowner = owners.remove(file).flatten();
            (file.clone(), PathSays { paths, codeowner })
        })
        .collect()
}

/// DAGs first, then sources, tasks, other jobs, consumers, and datasets last,
/// so every node inherits from annotations that are already complete.
fn ordered(graph: &Graph) -> Vec<NodeIndex> {
    let rank = |ix: &NodeIndex| match graph.node(*ix).kind {
        NodeKind::Dag => 0,
        NodeKind::Source => 1,
        NodeKind::Job(JobKind::Task) => 2,
        NodeKind::Job(_) => 3,
        NodeKind::Consumer => 4,
        NodeKind::Dataset => 5,
    };
    let mut order: Vec<NodeIndex> = graph.inner.node_indices().collect();
    order.sort_by_key(|ix| (rank(ix), ix.index()));
    order
}
