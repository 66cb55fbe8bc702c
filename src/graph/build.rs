//! Facts → graph: create nodes, resolve every reference, place datasets in
//! layers and hand annotations down the inheritance chain.

use std::collections::BTreeMap;

// Hashed with foldhash: the keys are names read from the repo being
// checked, and SipHash's flooding resistance buys nothing for them.
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use petgraph::graph::NodeIndex;
use rayon::prelude::*;

use crate::facts::{DataRef, EdgeKind, FileFacts, JobFact, JobKind, Located};
use crate::graph::inherit;
use crate::graph::jobs::{changed_jobs, first_jobs, merged_jobs};
use crate::graph::names::{normalize, NameDefaults};
use crate::graph::resolve::{dbt_project_of, source_objects, JobTargets, Resolver, Target};
use crate::graph::{Edge, Graph, Node, NodeKind, Unresolved};
use crate::manifest::Manifest;
use crate::parse::CodeOwners;
use crate::span::Span;
use crate::suggest::Nearest;

/// The layers used when the manifest declares none: tool conventions (dbt
/// folders and prefixes) place datasets in these through layer hints.
const DEFAULT_LAYERS: [&str; 3] = ["raw", "curated", "serving"];

/// Builds the graph from all facts, the manifest and CODEOWNERS.
pub fn build(facts: &FileFacts, manifest: &Manifest, codeowners: Option<&CodeOwners>) -> Graph {
    let mut b = Builder {
        defaults: NameDefaults {
            schema: manifest.project.default_schema.clone(),
            database: manifest.project.default_database.clone(),
            dialect: manifest.project.dialect,
        },
        nodes: Vec::new(),
        index: HashMap::default(),
        edges: Vec::new(),
        unresolved: BTreeMap::new(),
        runner_of: HashMap::new(),
        dag_roots: HashMap::new(),
        publishers: HashMap::new(),
        key: std::cell::Cell::default(),
    };
    let first = first_jobs(facts);
    let changed = changed_jobs(&first, manifest);
    let jobs = merged_jobs(first, &changed);
    let defaults = b.defaults.clone();
    let (resolver, ()) = rayon::join(
        || Resolver::new(facts, &jobs, &defaults),
        || b.add_declared_nodes(facts, &jobs),
    );
    // Only declared nodes are owned by a file: their files are matched with
    // `[paths]` and CODEOWNERS (and the sources' objects keyed) beside the
    // making of the edges, which reads neither.
    let files = inherit::owned_files(&b.nodes, manifest);
    let ((by_file, source_objects), (mut graph, runner_of)) = rayon::join(
        || {
            (
                inherit::path_defaults(&files, manifest, codeowners),
                source_objects(facts, &defaults),
            )
        },
        || b.add_edges(facts, manifest, &jobs, &resolver),
    );
    graph.source_objects = source_objects;
    suggest_unresolved(&mut graph.unresolved, &resolver);
    inherit::annotate(&mut graph, manifest, &by_file, &runner_of);
    graph
}

/// "Did you mean" for every unresolved dbt ref and source: the nearest dbt
/// node or source name (other kinds have none), searched for once per
/// missing name however often it is referenced, the names in parallel.
fn suggest_unresolved(unresolved: &mut [Unresolved], resolver: &Resolver) {
    let wanted = |what: &str| unresolved.iter().any(|u| u.what == what);
    let models = wanted("model").then(|| Nearest::new(resolver.models.keys().map(String::as_str)));
    let sources =
        wanted("source").then(|| Nearest::new(resolver.dbt_sources.keys().map(String::as_str)));
    unresolved.par_iter_mut().for_each(|u| {
        let known = match u.what {
            "model" => models.as_ref(),
            "source" => sources.as_ref(),
            _ => None,
        };
        u.suggestion = known.and_then(|k| k.closest(&u.name)).map(str::to_string);
    });
}

/// The graph being built. Nodes are kept in creation order and found by id
/// through `index`; edges join node positions (sorted by id only in
/// [`Builder::finish`]), so no id is copied per edge.
struct Builder {
    defaults: NameDefaults,
    nodes: Vec<Node>,
    /// Node id → position in `nodes` (in the graph's order after `finish`).
    index: HashMap<String, NodeIndex>,
    /// (from, to, edge) by position in `nodes`.
    edges: Vec<(usize, usize, Edge)>,
    unresolved: BTreeMap<(&'static str, String), Unresolved>,
    /// Script id → the job that runs it.
    runner_of: HashMap<String, String>,
    /// DAG id → its first tasks.
    dag_roots: HashMap<String, Vec<String>>,
    /// Dataset id → the jobs that announce its updates (Airflow outlets).
    publishers: HashMap<String, Vec<String>>,
    /// The buffer node ids are looked up in (see [`Builder::dataset_ix`]).
    key: std::cell::Cell<String>,
}

fn blank(id: String, kind: NodeKind, name: String, span: Option<Span>) -> Node {
    Node {
        id,
        kind,
        name,
        layer: None,
        served: false,
        freshness_optional: false,
        file: None,
        owner: None,
        cadence: None,
        on_failure: None,
        span,
        dag: None,
        run_by: None,
        consumer_kind: None,
        checked: false,
        external: false,
        partial: false,
        recovered: false,
        operator: None,
    }
}

impl Builder {
    /// Every edge of the jobs, consumers, sources and datasets, then the
    /// graph in id order (see [`Builder::finish`]) with its layers, and the
    /// job running each script.
    fn add_edges(
        mut self,
        facts: &FileFacts,
        manifest: &Manifest,
        jobs: &[&JobFact],
        resolver: &Resolver,
    ) -> (Graph, HashMap<String, String>) {
        // Every job's references, and every dataset named in the facts,
        // resolved in parallel; the edges made in job order.
        let (resolved, datasets): (Vec<JobTargets>, Vec<Target>) = rayon::join(
            || {
                jobs.par_iter()
                    .map(|job| JobTargets::of(job, resolver))
                    .collect()
            },
            || {
                facts
                    .datasets
                    .par_iter()
                    .map(|d| resolver.resolve(&d.name.value))
                    .collect()
            },
        );
        for (job, targets) in jobs.iter().zip(resolved) {
            self.add_job_edges(job, targets);
        }
        self.add_dbt_runs(jobs);
        self.add_publications(jobs, resolver);
        for c in &facts.consumers {
            let id = ["consumer:", c.name.as_str()].concat();
            for r in &c.reads {
                self.add_read(&id, r, resolver);
            }
        }
        self.add_source_landings(facts, resolver);
        self.add_order_edges(facts, jobs, manifest);
        self.add_dataset_triggers(facts, resolver);
        self.mark_datasets(facts, &datasets);
        let layers = self.assign_layers(facts, manifest, &datasets);
        let runner_of = std::mem::take(&mut self.runner_of);
        let mut graph = self.finish(manifest);
        graph.layers = layers;
        (graph, runner_of)
    }

    fn add_declared_nodes(&mut self, facts: &FileFacts, jobs: &[&JobFact]) {
        // Room for every node a fact can make: capacity left unused is never
        // touched, while growing copies every node made so far.
        let refs: usize = jobs
            .iter()
            .map(|j| j.reads.len() + j.writes.len() + j.publishes.len())
            .sum();
        let declared = jobs.len() + facts.dags.len() + facts.sources.len() + facts.consumers.len();
        let datasets = refs + facts.sources.len() + facts.datasets.len();
        self.nodes.reserve(declared + datasets);
        self.index.reserve(declared + datasets);
        self.edges.reserve(refs);
        for j in jobs {
            let mut n = blank(
                j.id.clone(),
                NodeKind::Job(j.kind),
                j.name.clone(),
                Some(j.span.clone()),
            );
            n.file.clone_from(&j.file);
            n.owner.clone_from(&j.owner);
            n.cadence.clone_from(&j.cadence);
            n.on_failure.clone_from(&j.on_failure);
            n.dag.clone_from(&j.dag);
            n.checked = j.is_check;
            n.partial = j.partial;
            n.recovered = j.recovered;
            n.operator.clone_from(&j.operator);
            self.add_node(n);
        }
        for d in &facts.dags {
            let id = ["dag:", d.id.as_str()].concat();
            let mut n = blank(
                id.clone(),
                NodeKind::Dag,
                d.id.clone(),
                Some(d.span.clone()),
            );
            n.owner.clone_from(&d.owner);
            n.cadence.clone_from(&d.cadence);
            self.add_node(n);
        }
        for s in &facts.sources {
            let id = ["source:", s.name.as_str()].concat();
            let mut n = blank(
                id.clone(),
                NodeKind::Source,
                s.name.clone(),
                Some(s.span.clone()),
            );
            n.owner.clone_from(&s.owner);
            n.cadence.clone_from(&s.cadence);
            self.add_node(n);
        }
        for c in &facts.consumers {
            let id = ["consumer:", c.name.as_str()].concat();
            let mut n = blank(
                id.clone(),
                NodeKind::Consumer,
                c.name.clone(),
                Some(c.span.clone()),
            );
            n.owner.clone_from(&c.owner);
            n.cadence.clone_from(&c.freshness);
            n.consumer_kind = Some(c.kind.clone());
            n.freshness_optional = c.freshness_optional;
            self.add_node(n);
        }
    }

    /// Adds a node unless one of its id exists (the first one stays);
    /// returns the position of the node of that id.
    fn add_node(&mut self, node: Node) -> usize {
        if let Some(ix) = self.ix(&node.id) {
            return ix;
        }
        let ix = self.nodes.len();
        self.index.insert(node.id.clone(), NodeIndex::new(ix));
        self.nodes.push(node);
        ix
    }

    /// The position of the node with this id.
    fn ix(&self, id: &str) -> Option<usize> {
        self.index.get(id).map(|ix| ix.index())
    }

    /// The dataset node of a canonical name, made at `span` if new.
    fn dataset(&mut self, name: &str, span: &Span) -> usize {
        match self.dataset_ix(name) {
            Some(ix) => ix,
            None => self.add_node(blank(
                ["dataset:", name].concat(),
                NodeKind::Dataset,
                name.to_string(),
                Some(span.clone()),
            )),
        }
    }

    /// The position of the dataset node of a canonical name, its id built
    /// in a buffer kept for every lookup.
    fn dataset_ix(&self, name: &str) -> Option<usize> {
        let mut key = self.key.take();
        key.clear();
        key.push_str("dataset:");
        key.push_str(name);
        let ix = self.ix(&key);
        self.key.set(key);
        ix
    }

    fn unresolved(&mut self, what: &'static str, name: String, node: &str, span: &Span) {
        self.unresolved_place(what, name, node.to_string(), span.clone());
    }

    /// Records a place referring to `name`, which resolves to nothing; the
    /// suggestion is filled in later (see [`suggest_unresolved`]).
    fn unresolved_place(&mut self, what: &'static str, name: String, node: String, span: Span) {
        let entry = self
            .unresolved
            .entry((what, name.clone()))
            .or_insert_with(|| Unresolved {
                what,
                name,
                suggestion: None,
                places: Vec::new(),
            });
        entry.places.push((node, span));
    }

    fn edge(&mut self, from: usize, to: usize, kind: EdgeKind, span: Option<&Span>) {
        self.edges.push((
            from,
            to,
            Edge {
                kind,
                span: span.cloned(),
            },
        ));
    }

    /// An edge between nodes given by id; none when either is not a node
    /// (nodes are never made after the edges that could reach them, except
    /// datasets, which are made right before theirs).
    fn link(&mut self, from: &str, to: &str, kind: EdgeKind, span: Option<&Span>) {
        if let (Some(f), Some(t)) = (self.ix(from), self.ix(to)) {
            self.edge(f, t, kind, span);
        }
    }

    fn add_read(&mut self, reader: &str, r: &Located<DataRef>, resolver: &Resolver) {
        let target = resolver.resolve_in(&r.value, dbt_project_of(reader));
        let at = self.ix(reader);
        self.add_resolved_read(reader, at, r, target, &[]);
    }

    /// The edge (or unresolved place) of a read already resolved to
    /// `target`, made by the node `reader` (at position `at`, if a node).
    /// A read of one of the datasets `written` (the reader's own output, an
    /// incremental merge) is no dependency.
    fn add_resolved_read(
        &mut self,
        reader: &str,
        at: Option<usize>,
        r: &Located<DataRef>,
        target: Target,
        written: &[usize],
    ) {
        match target {
            Target::Dataset(name) => {
                let ds = self.dataset(&name, &r.span);
                if written.contains(&ds) {
                    return;
                }
                if let Some(reader) = at {
                    self.edge(ds, reader, EdgeKind::Reads, Some(&r.span));
                }
            }
            Target::Source(id) => {
                if let (Some(source), Some(reader)) = (self.ix(id), at) {
                    self.edge(source, reader, EdgeKind::Reads, Some(&r.span));
                }
            }
            Target::Nothing(what, name) => self.unresolved(what, name, reader, &r.span),
        }
    }

    fn add_job_edges(&mut self, job: &JobFact, targets: JobTargets) {
        let me = self.ix(&job.id);
        // The datasets the job writes, by position.
        let mut written: Vec<usize> = Vec::with_capacity(job.writes.len());
        for (w, target) in job.writes.iter().zip(targets.writes) {
            match target {
                Target::Dataset(name) => {
                    let ds = self.dataset(&name, &w.span);
                    written.push(ds);
                    if let Some(me) = me {
                        self.edge(me, ds, EdgeKind::Writes, Some(&w.span));
                    }
                }
                // Writing back into a source system (reverse ETL): a dataset of its own.
                Target::Source(_) => {
                    if let Some(name) = normalize(&w.value, &self.defaults) {
                        let ds = self.dataset(&name, &w.span);
                        self.link_from(&job.id, ds, EdgeKind::Writes, Some(&w.span));
                    }
                }
                Target::Nothing(what, name) => self.unresolved(what, name, &job.id, &w.span),
            }
        }
        for (r, target) in job.reads.iter().zip(targets.reads) {
            self.add_resolved_read(&job.id, me, r, target, &written);
        }
        for script in &job.runs {
            let id = ["script:", script.value.as_str()].concat();
            if self.index.contains_key(&id) {
                self.runner_of.entry(id).or_insert_with(|| job.id.clone());
            } else {
                self.unresolved("script", script.value.clone(), &job.id, &script.span);
            }
        }
    }

    /// A task that renders a dbt project (astronomer-cosmos) runs the
    /// project's models: they inherit its DAG's schedule, owner and failure
    /// behavior, and run after it. Models are found by their files under the
    /// project folder, whatever ids the dbt parser gave them.
    fn add_dbt_runs(&mut self, jobs: &[&JobFact]) {
        if jobs.iter().all(|j| j.runs_dbt.is_none()) {
            return;
        }
        // dbt nodes by file, so a folder's nodes are one range of them.
        let mut by_file: Vec<(&str, usize)> = jobs
            .iter()
            .enumerate()
            .filter(|(_, j)| matches!(j.kind, JobKind::Model | JobKind::Snapshot | JobKind::Seed))
            .map(|(i, j)| (j.span.file.as_ref(), i))
            .collect();
        by_file.sort_unstable();
        for task in jobs {
            let Some(folder) = &task.runs_dbt else {
                continue;
            };
            let prefix = format!("{}/", folder.value);
            let start = by_file.partition_point(|(file, _)| *file < prefix.as_str());
            let mut under: Vec<usize> = by_file[start..]
                .iter()
                .take_while(|(file, _)| file.starts_with(prefix.as_str()))
                .map(|&(_, i)| i)
                .collect();
            // In job order, as the jobs are.
            under.sort_unstable();
            let found = !under.is_empty();
            for model in under.into_iter().map(|i| jobs[i]) {
                self.runner_of
                    .entry(model.id.clone())
                    .or_insert_with(|| task.id.clone());
                self.link(&task.id, &model.id, EdgeKind::After, Some(&folder.span));
            }
            if !found {
                self.unresolved("dbt project", folder.value.clone(), &task.id, &folder.span);
            }
        }
    }

    /// Announced updates (Airflow outlets): the publisher is the writer only
    /// when no job writes the data itself (an outlet on the task that runs the
    /// load); otherwise it just marks when the data is ready.
    fn add_publications(&mut self, jobs: &[&JobFact], resolver: &Resolver) {
        let written: HashSet<usize> = self.writers_by_dataset().into_keys().collect();
        for job in jobs {
            for p in &job.publishes {
                let Target::Dataset(name) = resolver.resolve(&p.value) else {
                    continue;
                };
                let ds = self.dataset(&name, &p.span);
                self.publishers
                    .entry(self.nodes[ds].id.clone())
                    .or_default()
                    .push(job.id.clone());
                if !written.contains(&ds) {
                    self.link_from(&job.id, ds, EdgeKind::Writes, Some(&p.span));
                }
            }
        }
    }

    /// A source landing data that no job of the repo writes: its extract runs
    /// outside the repo (Fivetran, a managed connector), so the source itself
    /// writes the landing dataset. Sources with a `system` go first.
    fn add_source_landings(&mut self, facts: &FileFacts, resolver: &Resolver) {
        let mut sources: Vec<_> = facts.sources.iter().collect();
        sources.sort_by(|a, b| (a.system.is_none(), &a.name).cmp(&(b.system.is_none(), &b.name)));
        let written: HashSet<usize> = self.writers_by_dataset().into_keys().collect();
        // Landing datasets that are no node yet, landed by an earlier source.
        let mut landed: HashSet<String> = HashSet::new();
        let extracted: HashSet<usize> = self
            .edges
            .iter()
            .filter(|(_, to, e)| e.kind == EdgeKind::Reads && self.nodes[*to].is_job())
            .map(|(from, _, _)| *from)
            .collect();
        let mut landings = Vec::new();
        for s in sources {
            let id = ["source:", s.name.as_str()].concat();
            let Some(landing) = &s.lands_in else { continue };
            let Target::Dataset(name) = resolver.resolve(&landing.value) else {
                continue;
            };
            let ds = ["dataset:", &name].concat();
            let is_written = match self.ix(&ds) {
                Some(ix) => written.contains(&ix) || landed.contains(&ds),
                None => landed.contains(&ds),
            };
            let is_extracted = self.ix(&id).is_some_and(|ix| extracted.contains(&ix));
            if !is_written && !is_extracted {
                landed.insert(ds);
                landings.push((id, name, landing.span.clone()));
            }
        }
        for (id, name, span) in landings {
            let ds = self.dataset(&name, &span);
            self.link_from(&id, ds, EdgeKind::Writes, Some(&span));
        }
    }

    /// An edge from the node with id `from` to the node at `to`.
    fn link_from(&mut self, from: &str, to: usize, kind: EdgeKind, span: Option<&Span>) {
        if let Some(f) = self.ix(from) {
            self.edge(f, to, kind, span);
        }
    }

    /// Dataset → what writes it (positions), from the edges so far.
    fn writers_by_dataset(&self) -> HashMap<usize, Vec<usize>> {
        let mut map: HashMap<usize, Vec<usize>> = HashMap::new();
        for (from, to, e) in &self.edges {
            if e.kind == EdgeKind::Writes {
                map.entry(*to).or_default().push(*from);
            }
        }
        map
    }

    /// `after` and `triggers` edges; a `dag:` endpoint stands for the DAG's
    /// last tasks (as upstream) or first tasks (as downstream).
    fn add_order_edges(&mut self, facts: &FileFacts, jobs: &[&JobFact], manifest: &Manifest) {
        let unknowable = unknowable_dags(facts);
        let mut dag_tasks: HashMap<&str, Vec<&str>> = HashMap::new();
        for j in jobs {
            if let Some(d) = &j.dag {
                dag_tasks.entry(d.as_str()).or_default().push(j.id.as_str());
            }
        }
        let has_up: HashSet<&str> = facts
            .edges
            .iter()
            .filter(|e| e.kind == EdgeKind::After)
            .map(|e| e.to.as_str())
            .collect();
        let has_down: HashSet<&str> = facts
            .edges
            .iter()
            .filter(|e| e.kind == EdgeKind::After)
            .map(|e| e.from.as_str())
            .collect();
        let expand = |id: &str, upstream: bool| -> Vec<String> {
            if let Some(dag) = id.strip_prefix("dag:") {
                if let Some(tasks) = dag_tasks.get(dag) {
                    let ends: Vec<String> = tasks
                        .iter()
                        .filter(|t| {
                            if upstream {
                                !has_down.contains(**t)
                            } else {
                                !has_up.contains(**t)
                            }
                        })
                        .map(|t| t.to_string())
                        .collect();
                    if !ends.is_empty() {
                        return ends;
                    }
                }
            }
            vec![id.to_string()]
        };
        for e in &facts.edges {
            let mut ok = true;
            for end in [&e.from, &e.to] {
                let known = self.index.contains_key(end.as_str())
                    || end
                        .strip_prefix("dag:")
                        .is_some_and(|d| dag_tasks.contains_key(d));
                if !known && !external_or_dynamic(end, manifest, &unknowable) {
                    let what = if end.starts_with("dag:") {
                        "dag"
                    } else {
                        "task"
                    };
                    let other = if end == &e.from { &e.to } else { &e.from };
                    self.unresolved(what, end.clone(), other, &e.span);
                }
                ok &= known;
            }
            if !ok {
                continue;
            }
            for from in expand(&e.from, true) {
                for to in expand(&e.to, false) {
                    if from != to {
                        self.link(&from, &to, e.kind, Some(&e.span));
                    }
                }
            }
        }
        self.dag_roots = dag_tasks
            .iter()
            .map(|(d, tasks)| {
                let roots = tasks
                    .iter()
                    .filter(|t| !has_up.contains(**t))
                    .map(|t| t.to_string())
                    .collect();
                (d.to_string(), roots)
            })
            .collect();
    }

    /// A DAG scheduled on Datasets/Assets runs when their writers finish.
    fn add_dataset_triggers(&mut self, facts: &FileFacts, resolver: &Resolver) {
        let writers_of = self.writers_by_dataset();
        for d in &facts.dags {
            let dag_id = ["dag:", d.id.as_str()].concat();
            let roots: Vec<usize> = match self.dag_roots.get(&d.id) {
                Some(roots) => roots.iter().filter_map(|r| self.ix(r)).collect(),
                None => self.ix(&dag_id).into_iter().collect(),
            };
            for r in &d.triggered_by {
                let Target::Dataset(name) = resolver.resolve(&r.value) else {
                    continue;
                };
                let ds = self.dataset(&name, &r.span);
                let writers: Vec<usize> = match self.publishers.get(&self.nodes[ds].id) {
                    Some(ids) => ids.iter().filter_map(|id| self.ix(id)).collect(),
                    None => writers_of.get(&ds).cloned().unwrap_or_default(),
                };
                if writers.is_empty() {
                    self.unresolved("dataset", name.into_owned(), &dag_id, &r.span);
                }
                for w in writers {
                    for &root in &roots {
                        if w != root {
                            self.edge(w, root, EdgeKind::Triggers, Some(&r.span));
                        }
                    }
                }
            }
        }
    }

    /// Datasets declared external, guarded by checks, or read by check jobs
    /// (`targets`: what each of the facts' datasets resolved to).
    fn mark_datasets(&mut self, facts: &FileFacts, targets: &[Target<'_>]) {
        for (d, target) in facts.datasets.iter().zip(targets) {
            if let Target::Dataset(name) = target {
                let ix = self.dataset(name, &d.name.span);
                let n = &mut self.nodes[ix];
                n.external |= d.external;
                n.checked |= d.checked;
                n.served |= d.served;
            }
        }
        let checked: Vec<usize> = self
            .edges
            .iter()
            .filter(|(_, to, e)| {
                e.kind == EdgeKind::Reads && self.nodes[*to].is_job() && self.nodes[*to].checked
            })
            .map(|(from, _, _)| *from)
            .collect();
        for ix in checked {
            let n = &mut self.nodes[ix];
            if n.kind == NodeKind::Dataset {
                n.checked = true;
            }
        }
    }

    /// Places datasets in layers: the manifest's globs first, then the hints
    /// of tool conventions (`targets`: what each of the facts' datasets
    /// resolved to). Returns the layer names.
    fn assign_layers(
        &mut self,
        facts: &FileFacts,
        manifest: &Manifest,
        targets: &[Target<'_>],
    ) -> Vec<String> {
        let names: Vec<String> = if manifest.layers.is_empty() {
            DEFAULT_LAYERS.iter().map(|s| s.to_string()).collect()
        } else {
            manifest.layers.iter().map(|l| l.name.clone()).collect()
        };
        let mut hints: HashMap<String, usize> = HashMap::new();
        for (d, target) in facts.datasets.iter().zip(targets) {
            let (Some(hint), Target::Dataset(name)) = (&d.layer_hint, target) else {
                continue;
            };
            if let Some(ix) = names.iter().position(|n| n == hint) {
                hints.entry(["dataset:", name].concat()).or_insert(ix);
            }
        }
        for n in self
            .nodes
            .iter_mut()
            .filter(|n| n.kind == NodeKind::Dataset)
        {
            n.layer = manifest
                .layers
                .iter()
                .position(|l| l.matcher.is_match(&n.name))
                .or_else(|| hints.get(&n.id).copied());
        }
        names
    }

    fn finish(mut self, manifest: &Manifest) -> Graph {
        let mut graph = Graph {
            inner: petgraph::graph::DiGraph::with_capacity(self.nodes.len(), self.edges.len()),
            teams: manifest.teams.iter().map(|t| t.name.clone()).collect(),
            ..Graph::default()
        };
        // Nodes in id order, so indexes are stable; `rank` maps a creation
        // position to that order.
        // (Sorted as (id, position) pairs: comparing ids through the nodes
        // themselves would stride across hundreds of bytes per comparison.)
        let mut by_id: Vec<(&str, usize)> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.as_str(), i))
            .collect();
        // (Ids are unique, so the parallel sort's order is the only one.)
        by_id.par_sort_unstable();
        let order: Vec<usize> = by_id.into_iter().map(|(_, i)| i).collect();
        let mut rank = vec![0; order.len()];
        for (sorted, &created) in order.iter().enumerate() {
            rank[created] = sorted;
        }
        let mut index = std::mem::take(&mut self.index);
        for ix in index.values_mut() {
            *ix = NodeIndex::new(rank[ix.index()]);
        }
        graph.index = index;
        // The nodes put in id order where they are (no fresh copy of them);
        // the graph's own nodes are only its shape.
        let mut nodes = std::mem::take(&mut self.nodes);
        permute(&mut nodes, order);
        for _ in 0..nodes.len() {
            graph.inner.add_node(());
        }
        graph.nodes = nodes;
        let mut edges = std::mem::take(&mut self.edges);
        for (from, to, _) in &mut edges {
            (*from, *to) = (rank[*from], rank[*to]);
        }
        // Edges equal in this key are equal in every field: unstable is exact.
        edges.par_sort_unstable_by(|a, b| {
            (a.0, a.1, a.2.kind, &a.2.span).cmp(&(b.0, b.1, b.2.kind, &b.2.span))
        });
        edges.dedup_by(|b, a| a.0 == b.0 && a.1 == b.1 && a.2.kind == b.2.kind);
        for (from, to, edge) in edges {
            graph
                .inner
                .add_edge(NodeIndex::new(from), NodeIndex::new(to), edge);
        }
        // A written dataset is located where its first writer (by id) writes it.
        let located: Vec<(petgraph::graph::NodeIndex, Span)> = graph
            .nodes()
            .filter(|(_, n)| n.kind == NodeKind::Dataset)
            .filter_map(|(ix, _)| {
                graph
                    .first_write(ix)
                    .and_then(|(_, e)| e.span.clone())
                    .map(|s| (ix, s))
            })
            .collect();
        for (ix, span) in located {
            graph.node_mut(ix).span = Some(span);
        }
        // Datasets declared in `[external] datasets` exist outside the repo.
        for n in &mut graph.nodes {
            if n.kind == NodeKind::Dataset && manifest.external.dataset_matcher.is_match(&n.name) {
                n.external = true;
            }
        }
        // Datasets read somewhere but written, landed or declared nowhere.
        for (ix, n) in graph.nodes() {
            if n.kind != NodeKind::Dataset
                || n.external
                || graph.in_edges(ix, EdgeKind::Writes).next().is_some()
            {
                continue;
            }
            for (e, reader) in graph.out_edges(ix, EdgeKind::Reads) {
                if let Some(span) = &e.span {
                    let reader = graph.node(reader).id.clone();
                    self.unresolved_place("dataset", n.name.clone(), reader, span.clone());
                }
            }
        }
        graph.unresolved = self
            .unresolved
            .into_values()
            .map(|mut u| {
                u.places.sort();
                u.places.dedup();
                u
            })
            .collect();
        graph
            .unresolved
            .sort_by(|a, b| (a.what, &a.name).cmp(&(b.what, &b.name)));
        graph
    }
}

/// Puts `items` in the order `order` gives, in place: the item at
/// `order[i]` goes to `i` (`order` is a permutation of the positions).
/// Each cycle of the permutation is followed once, swapping each item
/// into its place.
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    const DONE: usize = usize::MAX;
    for start in 0..items.len() {
        let mut at = start;
        while order[at] != DONE {
            let from = std::mem::replace(&mut order[at], DONE);
            if from == start {
                break;
            }
            // `items[from]` has not moved yet: the cycle has not reached it.
            items.swap(at, from);
            at = from;
        }
    }
}

/// DAGs defined in files where pipelint reported task ids it cannot know
/// (`unresolved-dynamic`): a reference to an unknown task of theirs is not
/// reported again as unresolved.
fn unknowable_dags(facts: &FileFacts) -> HashSet<&str> {
    let dynamic_files: HashSet<&str> = facts
        .diagnostics
        .iter()
        .filter(|d| d.rule == "unresolved-dynamic")
        .filter_map(|d| d.span.as_ref().map(|s| s.file.as_ref()))
        .collect();
    facts
        .dags
        .iter()
        .filter(|d| dynamic_files.contains(d.span.file.as_ref()))
        .map(|d| d.id.as_str())
        .collect()
}

/// Whether an order edge's unknown end (`dag:x`, `task:x.t`) is a DAG
/// declared in `[external] dags`, or a task of a DAG whose task ids are
/// unknowable.
fn external_or_dynamic(end: &str, manifest: &Manifest, unknowable: &HashSet<&str>) -> bool {
    let dag = match (end.strip_prefix("dag:"), end.strip_prefix("task:")) {
        (Some(d), _) => d,
        (None, Some(t)) => match t.split_once('.') {
            Some((d, _)) if unknowable.contains(d) => return true,
            Some((d, _)) => d,
            None => t,
        },
        _ => return false,
    };
    manifest.external.dag_matcher.is_match(dag)
}

#[cfg(test)]
mod tests {
    use super::permute;
    use proptest::prelude::*;

    proptest! {
        /// In place, the items end where `order` says: the one at
        /// `order[i]` at `i`, as a fresh copy in that order would have them.
        #[test]
        fn permute_puts_each_item_where_the_order_says(
            order in (0..60usize).prop_flat_map(|n| Just((0..n).collect::<Vec<_>>()).prop_shuffle())
        ) {
            let items: Vec<String> = (0..order.len()).map(|i| format!("n{i}")).collect();
            let wanted: Vec<String> = order.iter().map(|&i| items[i].clone()).collect();
            let mut permuted = items;
            permute(&mut permuted, order);
            prop_assert_eq!(permuted, wanted);
        }
    }
}
