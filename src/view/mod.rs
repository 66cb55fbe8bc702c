//! The view: the piece of the graph a diagram shows — focused on some nodes,
//! collapsed into DAG, folder or project boxes, placed in layer columns
//! (sources, raw … serving, consumers) and annotated with owner, cadence,
//! failure behavior, where jobs run and findings. Every diagram renderer
//! (Mermaid, DOT, SVG/HTML, JSON) draws a [`View`]; none of them filters.

pub mod layout;

use std::collections::{BTreeMap, HashMap};

use petgraph::graph::NodeIndex;
use petgraph::Direction;

use crate::check::Analysis;
use crate::compute::Compute;
use crate::facts::{EdgeKind, JobKind};
use crate::graph::{reach, resolve, Graph, NodeKind};

/// How to fold jobs into boxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Collapse {
    /// One box per orchestrator DAG (a script joins the DAG of the task running it).
    Dag,
    /// One box per folder of the files defining the jobs.
    Folder,
    /// One box per dbt project; tasks by DAG, scripts by folder.
    Project,
}

impl Collapse {
    /// The word used in output: `dag`, `folder`, `project`.
    pub fn as_str(self) -> &'static str {
        match self {
            Collapse::Dag => "dag",
            Collapse::Folder => "folder",
            Collapse::Project => "project",
        }
    }
}

/// What to show.
#[derive(Debug, Clone, Default)]
pub struct ViewOptions {
    /// Show only these nodes (ids or unique names) and their neighborhood.
    pub focus: Vec<String>,
    /// With `focus`: how many hops upstream (unlimited when `None`).
    pub upstream: Option<usize>,
    /// With `focus`: how many hops downstream (unlimited when `None`).
    pub downstream: Option<usize>,
    /// Fold jobs into boxes.
    pub collapse: Option<Collapse>,
    /// The most edges the renderer draws, with its name: past it the view is
    /// collapsed automatically and a note says how to focus.
    pub max_edges: Option<(usize, &'static str)>,
}

/// The broad class of a view node, for shapes and styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// An external source.
    Source,
    /// A job.
    Job,
    /// A DAG node.
    Dag,
    /// A dataset.
    Dataset,
    /// A consumer.
    Consumer,
    /// A collapsed box of several nodes.
    Group,
}

impl Class {
    /// The lowercase name used in output and CSS classes.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Source => "source",
            Class::Job => "job",
            Class::Dag => "dag",
            Class::Dataset => "dataset",
            Class::Consumer => "consumer",
            Class::Group => "group",
        }
    }
}

/// One box of the diagram.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ViewNode {
    /// The graph node id, or `group:<collapse>:<name>` for a box.
    pub id: String,
    /// Short name.
    pub name: String,
    /// Broad class.
    #[serde(serialize_with = "class_name")]
    pub class: Class,
    /// The kind in words: `task`, `dbt model`, `dataset`, `DAG box`, ….
    pub kind: String,
    /// Owner (for a box: the owners of its members, joined).
    pub owner: Option<String>,
    /// Cadence (freshness for consumers).
    pub cadence: Option<String>,
    /// Failure behavior of a job.
    pub on_failure: Option<String>,
    /// Where a job runs (`warehouse`, `python`, `spark`, …).
    pub compute: Option<&'static str>,
    /// `ELT` or `ETL` for a job that runs work.
    pub style: Option<&'static str>,
    /// Index into [`View::columns`].
    pub column: usize,
    /// Findings on the node (on its members, for a box).
    pub findings: usize,
    /// How many graph nodes it stands for (1 unless a box).
    pub members: usize,
}

fn class_name<S: serde::Serializer>(c: &Class, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(c.as_str())
}

/// One arrow of the diagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct ViewEdge {
    /// Index into [`View::nodes`].
    pub from: usize,
    /// Index into [`View::nodes`].
    pub to: usize,
    /// reads, writes, after, triggers.
    pub kind: EdgeKind,
    /// How many graph edges it stands for.
    pub count: usize,
}

/// The diagram's content, sorted by (column, id); edges by (from, to, kind).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct View {
    /// Boxes.
    pub nodes: Vec<ViewNode>,
    /// Arrows.
    pub edges: Vec<ViewEdge>,
    /// Column names, left to right: `sources`, the layers, `unlayered`, `consumers`.
    pub columns: Vec<String>,
    /// Notes for the reader (automatic collapse, how to focus).
    pub notes: Vec<String>,
    /// The collapse applied, if any.
    #[serde(serialize_with = "collapse_name")]
    pub collapse: Option<Collapse>,
}

fn collapse_name<S: serde::Serializer>(c: &Option<Collapse>, s: S) -> Result<S::Ok, S::Error> {
    match c {
        Some(c) => s.serialize_str(c.as_str()),
        None => s.serialize_none(),
    }
}

/// Builds the view of an analysis.
pub fn build(analysis: &Analysis, options: &ViewOptions) -> Result<View, String> {
    let graph = &analysis.graph;
    let mut keep: Vec<bool> = graph
        .nodes()
        .map(|(ix, n)| {
            n.kind != NodeKind::Dag || graph.inner.neighbors_undirected(ix).next().is_some()
        })
        .collect();
    if !options.focus.is_empty() {
        let start = options
            .focus
            .iter()
            .map(|f| resolve(graph, f))
            .collect::<Result<Vec<_>, _>>()?;
        let down = reach(graph, &start, Direction::Outgoing, options.downstream);
        let up = reach(graph, &start, Direction::Incoming, options.upstream);
        for (ix, k) in keep.iter_mut().enumerate() {
            let ix = NodeIndex::new(ix);
            *k &= down.contains_key(&ix) || up.contains_key(&ix);
        }
    }
    let (columns, column_of) = columns(graph);
    let findings = findings(analysis);
    let flat = flat(graph, &keep, &column_of, &findings);
    let mut view = match (options.collapse, options.max_edges) {
        (Some(c), _) => collapse(graph, &flat, c, None),
        (None, Some((max, renderer))) if flat.edges.len() > max => {
            auto_collapse(graph, &flat, &columns, max, renderer)
        }
        _ => flat,
    };
    view.columns = columns;
    compact_columns(&mut view);
    Ok(view)
}

/// Collapses a view too large for a renderer: by DAG, else dbt project,
/// else folder — the first that fits; when none does, the one with fewest
/// edges with data and sources also folded into one box per column. Notes
/// say what was done and how to see a piece in full.
fn auto_collapse(
    graph: &Graph,
    flat: &View,
    columns: &[String],
    max: usize,
    renderer: &str,
) -> View {
    let tries: Vec<View> = [Collapse::Dag, Collapse::Project, Collapse::Folder]
        .into_iter()
        .map(|c| collapse(graph, flat, c, None))
        .collect();
    let fits = tries.iter().position(|v| v.edges.len() <= max);
    let fewest = (0..tries.len())
        .min_by_key(|&i| tries[i].edges.len())
        .unwrap_or(0);
    let mut how = String::new();
    let mut view = match fits {
        Some(i) => tries.into_iter().nth(i).unwrap_or_default(),
        None => {
            let mode = tries[fewest].collapse.unwrap_or(Collapse::Dag);
            how = ", with datasets and sources folded into one box per layer".into();
            collapse(graph, flat, mode, Some(columns))
        }
    };
    view.notes.push(format!(
        "{} edges are more than {renderer} draws ({max}); collapsed by {}{how}. \
         See a piece in full with --focus NODE --upstream 2 --downstream 2.",
        flat.edges.len(),
        view.collapse.map_or("dag", Collapse::as_str),
    ));
    if view.edges.len() > max {
        view.notes.push(format!(
            "Still {} edges after collapsing: use --focus.",
            view.edges.len()
        ));
    }
    view
}

/// Column names and each graph node's column: sources, the layers in order,
/// `unlayered`, consumers. A job stands in the column of the data it writes
/// (else of what it reads, else of the job before it).
fn columns(graph: &Graph) -> (Vec<String>, Vec<usize>) {
    let layers = graph.layers.len();
    let unlayered = layers + 1;
    let consumers = layers + 2;
    let mut names = vec!["sources".to_string()];
    names.extend(graph.layers.iter().cloned());
    names.push("unlayered".into());
    names.push("consumers".into());
    let data_column = |ix: NodeIndex| -> Option<usize> {
        let n = graph.node(ix);
        match n.kind {
            NodeKind::Source => Some(0),
            NodeKind::Dataset => Some(n.layer.map_or(unlayered, |l| l + 1)),
            _ => None,
        }
    };
    // A task running SQL scripts stands where its scripts do.
    let mut runs: HashMap<NodeIndex, Vec<NodeIndex>> = HashMap::new();
    for (ix, n) in graph.nodes() {
        if let Some((task, _)) = n.run_by.as_deref().and_then(|r| graph.get(r)) {
            runs.entry(task).or_default().push(ix);
        }
    }
    let job_column = |ix: NodeIndex| -> Option<usize> {
        let own = std::iter::once(ix).chain(runs.get(&ix).into_iter().flatten().copied());
        let jobs: Vec<NodeIndex> = own.collect();
        jobs.iter()
            .flat_map(|&j| graph.out_edges(j, EdgeKind::Writes))
            .filter_map(|(_, t)| data_column(t))
            .max()
            .or_else(|| {
                jobs.iter()
                    .flat_map(|&j| graph.in_edges(j, EdgeKind::Reads))
                    .filter_map(|(_, s)| data_column(s))
                    .max()
            })
    };
    let mut column: Vec<Option<usize>> = graph
        .nodes()
        .map(|(ix, n)| match n.kind {
            NodeKind::Consumer => Some(consumers),
            NodeKind::Dag => Some(unlayered),
            NodeKind::Job(_) => job_column(ix),
            _ => data_column(ix),
        })
        .collect();
    // Jobs with no data of their own (an `EmptyOperator` announcing a
    // dataset) follow the job next to them; a bounded number of passes.
    for _ in 0..4 {
        let mut changed = false;
        for (ix, _) in graph.nodes() {
            if column[ix.index()].is_none() {
                let near = |d| {
                    graph
                        .inner
                        .neighbors_directed(ix, d)
                        .filter_map(|p| column[p.index()])
                        .max()
                };
                let before = near(Direction::Incoming).or_else(|| near(Direction::Outgoing));
                if before.is_some() {
                    column[ix.index()] = before;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    (
        names,
        column.into_iter().map(|c| c.unwrap_or(unlayered)).collect(),
    )
}

/// Findings per node id (a grouped finding counts for each node it stands for).
fn findings(analysis: &Analysis) -> HashMap<&str, usize> {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for d in &analysis.diagnostics {
        let mut ids: Vec<&str> = d.nodes.iter().map(String::as_str).collect();
        ids.extend(d.node.as_deref());
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            *count.entry(id).or_default() += 1;
        }
    }
    count
}

/// The view without collapsing; `ViewNode` order follows the graph's.
fn flat(
    graph: &Graph,
    keep: &[bool],
    column_of: &[usize],
    findings: &HashMap<&str, usize>,
) -> View {
    let mut nodes = Vec::new();
    let mut slot = vec![usize::MAX; keep.len()];
    for (ix, n) in graph.nodes() {
        if !keep[ix.index()] {
            continue;
        }
        let compute = Compute::of(graph, ix);
        let kind = match (n.kind, n.consumer_kind.as_deref()) {
            (NodeKind::Consumer, Some(k)) => k.to_string(),
            (kind, _) => kind.describe().to_string(),
        };
        slot[ix.index()] = nodes.len();
        nodes.push(ViewNode {
            id: n.id.clone(),
            name: n.name.clone(),
            class: match n.kind {
                NodeKind::Source => Class::Source,
                NodeKind::Job(_) => Class::Job,
                NodeKind::Dag => Class::Dag,
                NodeKind::Dataset => Class::Dataset,
                NodeKind::Consumer => Class::Consumer,
            },
            kind,
            owner: n.owner.as_ref().map(|o| o.value.clone()),
            cadence: n.cadence.as_ref().map(|c| c.value.to_string()),
            on_failure: n.on_failure.as_ref().map(|f| f.value.to_string()),
            compute: compute.map(Compute::as_str),
            style: crate::compute::transform_style(graph, ix).map(|s| match s {
                crate::compute::Style::Elt => "ELT",
                crate::compute::Style::Etl => "ETL",
            }),
            column: column_of[ix.index()],
            findings: findings.get(n.id.as_str()).copied().unwrap_or(0),
            members: 1,
        });
    }
    let mut edges: BTreeMap<(usize, usize, EdgeKind), usize> = BTreeMap::new();
    for (f, t, _, e) in graph.edges() {
        let (f, t) = (slot[f.index()], slot[t.index()]);
        if f != usize::MAX && t != usize::MAX {
            *edges.entry((f, t, e.kind)).or_default() += 1;
        }
    }
    View {
        nodes,
        edges: view_edges(edges),
        ..View::default()
    }
}

/// The box a job belongs to under a collapse mode, if any.
/// The box as (kind, name): `("dag", "orders_hourly")`, `("folder", "sql")`,
/// `("dbt-project", "dbt")`.
fn group_of(graph: &Graph, ix: NodeIndex, mode: Collapse) -> Option<(&'static str, String)> {
    let n = graph.node(ix);
    let NodeKind::Job(kind) = n.kind else {
        return None;
    };
    let dag = || {
        n.dag.clone().or_else(|| {
            n.run_by
                .as_deref()
                .and_then(|r| graph.get(r))
                .and_then(|(_, t)| t.dag.clone())
        })
    };
    let folder = || {
        n.span.as_ref().map(|s| match s.file.rsplit_once('/') {
            Some((dir, _)) => dir.to_string(),
            None => ".".to_string(),
        })
    };
    match mode {
        Collapse::Dag => dag().map(|d| ("dag", d)),
        Collapse::Folder => folder().map(|f| ("folder", f)),
        Collapse::Project => match kind {
            JobKind::Model | JobKind::Snapshot | JobKind::Seed => n
                .span
                .as_ref()
                .map(|s| ("dbt-project", dbt_project_dir(&s.file).to_string())),
            JobKind::Task => dag().map(|d| ("dag", d)),
            JobKind::Script => folder().map(|f| ("folder", f)),
        },
    }
}

/// The folder of a dbt project, from the path of a file inside it: the part
/// before its `models/`, `snapshots/`, `seeds/` … folder.
fn dbt_project_dir(file: &str) -> &str {
    let mut end = None;
    let mut at = 0;
    for part in file.split('/') {
        if matches!(
            part,
            "models" | "snapshots" | "seeds" | "tests" | "macros" | "analyses"
        ) {
            end = Some(at);
            break;
        }
        at += part.len() + 1;
    }
    match end {
        Some(0) | None => ".",
        Some(e) => &file[..e - 1],
    }
}

/// Folds the jobs of each DAG, folder or project into one box; a dataset
/// written only by one box's jobs goes into that box. Arrows between boxes
/// carry how many edges they stand for; arrows inside a box disappear.
/// With `fold_data` (the column names), datasets and sources left outside
/// every box go into one box per column too.
fn collapse(graph: &Graph, flat: &View, mode: Collapse, fold_data: Option<&[String]>) -> View {
    let graph_ix = |i: usize| graph.get(&flat.nodes[i].id).map(|(ix, _)| ix);
    let mut group: Vec<Option<(&str, String)>> = (0..flat.nodes.len())
        .map(|i| graph_ix(i).and_then(|ix| group_of(graph, ix, mode)))
        .collect();
    for i in 0..flat.nodes.len() {
        if flat.nodes[i].class != Class::Dataset {
            continue;
        }
        let writers: Vec<Option<&(&str, String)>> = flat
            .edges
            .iter()
            .filter(|e| e.to == i && e.kind == EdgeKind::Writes)
            .map(|e| group[e.from].as_ref())
            .collect();
        if let Some(Some(first)) = writers.first() {
            if writers.iter().all(|w| *w == Some(*first)) {
                group[i] = Some((*first).clone());
            }
        }
    }
    if let Some(columns) = fold_data {
        for (i, g) in group.iter_mut().enumerate() {
            let n = &flat.nodes[i];
            if g.is_none() && matches!(n.class, Class::Dataset | Class::Source) {
                *g = Some(("layer", columns[n.column].clone()));
            }
        }
    }
    let mut out: Vec<ViewNode> = Vec::new();
    let mut boxes: BTreeMap<(&str, String), Vec<usize>> = BTreeMap::new();
    let mut slot = vec![0; flat.nodes.len()];
    for (i, g) in group.iter().enumerate() {
        match g {
            Some(g) => boxes.entry(g.clone()).or_default().push(i),
            None => {
                slot[i] = out.len();
                out.push(flat.nodes[i].clone());
            }
        }
    }
    for ((box_kind, name), members) in &boxes {
        let mut owners: Vec<&str> = members
            .iter()
            .filter_map(|&m| flat.nodes[m].owner.as_deref())
            .collect();
        owners.sort_unstable();
        owners.dedup();
        let mut cadences: Vec<&str> = members
            .iter()
            .filter(|&&m| flat.nodes[m].class == Class::Job)
            .filter_map(|&m| flat.nodes[m].cadence.as_deref())
            .collect();
        cadences.sort_unstable();
        cadences.dedup();
        for &m in members {
            slot[m] = out.len();
        }
        let jobs = members
            .iter()
            .filter(|&&m| flat.nodes[m].class == Class::Job)
            .count();
        out.push(ViewNode {
            id: format!("group:{box_kind}:{name}"),
            name: format!(
                "{} {name}",
                box_kind.replace("dbt-", "dbt ").replace("dag", "DAG")
            ),
            class: Class::Group,
            kind: format!(
                "{}, {}",
                plural(jobs, "job"),
                plural(members.len() - jobs, "dataset")
            ),
            owner: (!owners.is_empty()).then(|| owners.join(", ")),
            cadence: (cadences.len() == 1).then(|| cadences[0].to_string()),
            on_failure: None,
            compute: None,
            style: None,
            column: members
                .iter()
                .map(|&m| flat.nodes[m].column)
                .max()
                .unwrap_or(0),
            findings: members.iter().map(|&m| flat.nodes[m].findings).sum(),
            members: members.len(),
        });
    }
    let mut edges: BTreeMap<(usize, usize, EdgeKind), usize> = BTreeMap::new();
    for e in &flat.edges {
        let (f, t) = (slot[e.from], slot[e.to]);
        if f != t {
            *edges.entry((f, t, e.kind)).or_default() += e.count;
        }
    }
    let mut view = View {
        nodes: out,
        edges: view_edges(edges),
        notes: flat.notes.clone(),
        collapse: Some(mode),
        columns: Vec::new(),
    };
    sort(&mut view);
    view
}

/// `1 job`, `3 jobs`.
fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// Sorts nodes by (column, id) and renumbers edges to match.
fn sort(view: &mut View) {
    let mut order: Vec<usize> = (0..view.nodes.len()).collect();
    order.sort_by(|&a, &b| {
        (view.nodes[a].column, &view.nodes[a].id).cmp(&(view.nodes[b].column, &view.nodes[b].id))
    });
    let mut new_of = vec![0; order.len()];
    for (new, &old) in order.iter().enumerate() {
        new_of[old] = new;
    }
    let nodes = std::mem::take(&mut view.nodes);
    let mut slots: Vec<Option<ViewNode>> = nodes.into_iter().map(Some).collect();
    view.nodes = order.iter().filter_map(|&o| slots[o].take()).collect();
    for e in &mut view.edges {
        e.from = new_of[e.from];
        e.to = new_of[e.to];
    }
    view.edges.sort();
}

/// Drops columns no node stands in and renumbers the rest; sorts the view.
fn compact_columns(view: &mut View) {
    let mut used = vec![false; view.columns.len()];
    for n in &view.nodes {
        used[n.column] = true;
    }
    let mut new_index = vec![0; used.len()];
    let mut names = Vec::new();
    for (i, u) in used.iter().enumerate() {
        if *u {
            new_index[i] = names.len();
            names.push(view.columns[i].clone());
        }
    }
    for n in &mut view.nodes {
        n.column = new_index[n.column];
    }
    view.columns = names;
    sort(view);
}

/// Counted arrows between boxes, in the map's (sorted) order.
fn view_edges(edges: BTreeMap<(usize, usize, EdgeKind), usize>) -> Vec<ViewEdge> {
    edges
        .into_iter()
        .map(|((from, to, kind), count)| ViewEdge {
            from,
            to,
            kind,
            count,
        })
        .collect()
}
