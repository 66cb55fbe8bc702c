//! Facts → graph: create nodes, resolve every reference, place datasets in
//! layers and hand annotations down the inheritance chain.

use std::borrow::Cow;
use std::collections::BTreeMap;

// Hashed with foldhash: the keys are names read from the repo being
// checked, and SipHash's flooding resistance buys nothing for them.
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use petgraph::graph::NodeIndex;
use rayon::prelude::*;

use crate::facts::{DataRef, EdgeKind, FileFacts, JobFact, JobKind, Located};
use crate::graph::inherit;
use crate::graph::names::{normalize, NameDefaults};
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

/// The jobs the manifest changes, by id: `[[task]]` entries merged into the
/// parsed job of their id (or a job of their own), and scripts whose path
/// names the table they write. Every other job is read as parsed.
fn changed_jobs(first: &HashMap<&str, &JobFact>, manifest: &Manifest) -> BTreeMap<String, JobFact> {
    let mut changed: BTreeMap<String, JobFact> = BTreeMap::new();
    for task in &manifest.tasks {
        let id = task.node_id();
        let job = changed
            .entry(id.clone())
            .or_insert_with(|| match first.get(id.as_str()) {
                Some(parsed) => (*parsed).clone(),
                None => {
                    let bare = id.strip_prefix("task:").unwrap_or(&id);
                    let mut j = JobFact::new(
                        id.clone(),
                        JobKind::Task,
                        bare.rsplit('.').next().unwrap_or(bare),
                        task.span.clone(),
                    );
                    j.dag = bare.rsplit_once('.').map(|(d, _)| d.to_string());
                    j
                }
            });
        if task.owner.is_some() {
            job.owner.clone_from(&task.owner);
        }
        if task.cadence.is_some() {
            job.cadence.clone_from(&task.cadence);
        }
        if task.on_failure.is_some() {
            job.on_failure.clone_from(&task.on_failure);
        }
        job.reads.extend(task.reads.iter().cloned());
        job.writes.extend(task.writes.iter().cloned());
        job.runs.extend(task.runs.iter().cloned());
        job.reads.extend(task.checks.iter().cloned());
        job.is_check |= !task.checks.is_empty();
    }
    for job in changed.values_mut().filter(|j| j.kind == JobKind::Script) {
        if let Some(write) = path_write(job, manifest) {
            job.writes.push(write);
        }
    }
    for (&id, &parsed) in first {
        if parsed.kind == JobKind::Script && !changed.contains_key(id) {
            if let Some(write) = path_write(parsed, manifest) {
                let mut job = parsed.clone();
                job.writes.push(write);
                changed.insert(id.to_string(), job);
            }
        }
    }
    changed
}

/// The first parsed job of each id.
fn first_jobs(facts: &FileFacts) -> HashMap<&str, &JobFact> {
    let mut first: HashMap<&str, &JobFact> = HashMap::with_capacity(facts.jobs.len());
    for job in &facts.jobs {
        first.entry(job.id.as_str()).or_insert(job);
    }
    first
}

/// Every job, sorted by id: the parsed ones (the first of each id) with the
/// manifest's changes (see [`changed_jobs`]) in place of the jobs they change.
fn merged_jobs<'f>(
    first: HashMap<&'f str, &'f JobFact>,
    changed: &'f BTreeMap<String, JobFact>,
) -> Vec<&'f JobFact> {
    let mut jobs: Vec<&JobFact> = first
        .into_iter()
        .filter(|(id, _)| !changed.contains_key(*id))
        .map(|(_, job)| job)
        .chain(changed.values())
        .collect();
    jobs.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    jobs
}

/// `[paths."sql/*/*/*/query.sql"] writes = "{1}.{2}.{3}"`: a script whose
/// path names the table it builds writes that table (the most specific,
/// i.e. last, matching entry wins), unless its SQL already names it.
fn path_write(job: &JobFact, manifest: &Manifest) -> Option<Located<DataRef>> {
    let file = job.id.strip_prefix("script:")?;
    let (name, span) = manifest.paths.iter().rev().find_map(|p| {
        let template = p.writes.as_ref()?;
        Some((p.written_dataset(file)?, template.span.clone()))
    })?;
    let written = DataRef::from_name(&name);
    (!job.writes.iter().any(|w| w.value == written)).then(|| Located::new(written, span))
}

/// Where a reference leads (names borrowed from the resolver where it
/// holds them, so resolving copies nothing it need not).
enum Target<'r> {
    /// A dataset node, by canonical name.
    Dataset(Cow<'r, str>),
    /// A source node, by id.
    Source(&'r str),
    /// Nothing: what was looked for and its name (the "did you mean" is
    /// searched for once per name, after every reference is resolved: see
    /// [`suggest_unresolved`]).
    Nothing(&'static str, String),
}

/// One declaration of a dbt source table: the declaring project, the
/// source id and the landing dataset.
type SourceDecl = (Option<String>, String, Option<String>);

/// Resolves references to datasets and sources.
struct Resolver<'f> {
    defaults: NameDefaults,
    /// Canonical external object (`system`) → source id.
    systems: HashMap<String, String>,
    /// `source.table` → (declaring dbt project, source id, landing dataset)
    /// for each declaration, in file order.
    dbt_sources: HashMap<String, Vec<SourceDecl>>,
    /// `project.name` (`project.name.vN` for a version) of each dbt model,
    /// seed and snapshot → output dataset.
    models: HashMap<String, String>,
    /// Bare dbt node name → the `project.name` keys holding it, for refs
    /// that name no project (Airflow tools): they resolve when one project
    /// has the name.
    bare_models: HashMap<String, Vec<String>>,
    _facts: std::marker::PhantomData<&'f ()>,
}

impl<'f> Resolver<'f> {
    fn new(facts: &'f FileFacts, jobs: &[&JobFact], defaults: &NameDefaults) -> Resolver<'f> {
        let mut systems = HashMap::default();
        let mut dbt_sources = HashMap::default();
        for s in &facts.sources {
            let id = format!("source:{}", s.name);
            if let Some(sys) = &s.system {
                if let Some(key) = normalize(&DataRef::from_name(&sys.value), defaults) {
                    systems.entry(key).or_insert_with(|| id.clone());
                }
            }
            let landing = s
                .lands_in
                .as_ref()
                .and_then(|l| normalize(&l.value, defaults));
            dbt_sources
                .entry(s.name.clone())
                .or_insert_with(Vec::new)
                .push((s.project.clone(), id, landing));
        }
        let mut models = HashMap::default();
        for j in jobs {
            if let Some(name) =
                j.id.strip_prefix("model:")
                    .or_else(|| j.id.strip_prefix("snapshot:"))
                    .or_else(|| j.id.strip_prefix("seed:"))
            {
                let out = j
                    .writes
                    .iter()
                    .find_map(|w| normalize(&w.value, defaults))
                    .unwrap_or_else(|| {
                        normalize(&DataRef::from_name(name), defaults)
                            .unwrap_or_else(|| name.to_string())
                    });
                models.entry(name.to_string()).or_insert(out);
            }
        }
        let mut bare_models: HashMap<String, Vec<String>> = HashMap::default();
        for key in models.keys() {
            if let Some((_, bare)) = key.split_once('.') {
                bare_models
                    .entry(bare.to_string())
                    .or_default()
                    .push(key.clone());
            }
        }
        Resolver {
            defaults: defaults.clone(),
            systems,
            dbt_sources,
            models,
            bare_models,
            _facts: std::marker::PhantomData,
        }
    }

    fn resolve(&self, r: &DataRef) -> Target<'_> {
        self.resolve_in(r, None)
    }

    /// Resolves a reference made by a node of the dbt project `project`:
    /// its `source()` calls name that project's declarations first.
    fn resolve_in(&self, r: &DataRef, project: Option<&str>) -> Target<'_> {
        match r {
            DataRef::Table(_) | DataRef::Uri(_) => match normalize(r, &self.defaults) {
                Some(name) => match self.systems.get(&name) {
                    Some(source) => Target::Source(source),
                    None => Target::Dataset(Cow::Owned(name)),
                },
                None => Target::Nothing("dataset", format!("{r:?}")),
            },
            DataRef::Model {
                package,
                name,
                version,
            } => {
                let qualified: Cow<str> = match package {
                    Some(p) => Cow::Owned(format!("{p}.{name}")),
                    None => match self.bare_models.get(name.as_str()).map(Vec::as_slice) {
                        Some([only]) => Cow::Borrowed(only),
                        _ => Cow::Borrowed(name),
                    },
                };
                let versioned = version
                    .as_ref()
                    .and_then(|v| self.models.get(format!("{qualified}.v{v}").as_str()));
                match versioned.or_else(|| self.models.get(qualified.as_ref())) {
                    Some(ds) => Target::Dataset(Cow::Borrowed(ds)),
                    None => Target::Nothing(
                        "model",
                        package
                            .as_ref()
                            .map_or(name.clone(), |p| format!("{p}.{name}")),
                    ),
                }
            }
            DataRef::DbtSource { source, table } => {
                let key = format!("{source}.{table}");
                let declared = self.dbt_sources.get(key.as_str()).and_then(|all| {
                    all.iter()
                        .find(|d| project.is_some() && d.0.as_deref() == project)
                        .or_else(|| all.first())
                });
                match declared {
                    Some((_, _, Some(ds))) => Target::Dataset(Cow::Borrowed(ds)),
                    Some((_, id, None)) => Target::Source(id),
                    None => Target::Nothing("source", key),
                }
            }
        }
    }
}

/// Where a job's writes and reads lead, in their order.
struct JobTargets<'r> {
    writes: Vec<Target<'r>>,
    reads: Vec<Target<'r>>,
}

impl<'r> JobTargets<'r> {
    fn of(job: &JobFact, resolver: &'r Resolver) -> JobTargets<'r> {
        let project = dbt_project_of(&job.id);
        JobTargets {
            writes: job
                .writes
                .iter()
                .map(|w| resolver.resolve(&w.value))
                .collect(),
            reads: job
                .reads
                .iter()
                .map(|r| resolver.resolve_in(&r.value, project))
                .collect(),
        }
    }
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
            let id = format!("consumer:{}", c.name);
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
            let id = format!("dag:{}", d.id);
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
            let id = format!("source:{}", s.name);
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
            let id = format!("consumer:{}", c.name);
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
                format!("dataset:{name}"),
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
            let id = format!("script:{}", script.value);
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
            let id = format!("source:{}", s.name);
            let Some(landing) = &s.lands_in else { continue };
            let Target::Dataset(name) = resolver.resolve(&landing.value) else {
                continue;
            };
            let ds = format!("dataset:{name}");
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
            let dag_id = format!("dag:{}", d.id);
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
                hints.entry(format!("dataset:{name}")).or_insert(ix);
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
        // Each node moved once, straight into its place (no copies while sorting).
        let mut nodes: Vec<Option<Node>> = std::mem::take(&mut self.nodes)
            .into_iter()
            .map(Some)
            .collect();
        let mut index = std::mem::take(&mut self.index);
        for ix in index.values_mut() {
            *ix = NodeIndex::new(rank[ix.index()]);
        }
        graph.index = index;
        for created in order {
            if let Some(node) = nodes[created].take() {
                graph.inner.add_node(node);
            }
        }
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
            graph.inner[ix].span = Some(span);
        }
        // Datasets declared in `[external] datasets` exist outside the repo.
        for n in graph.inner.node_weights_mut() {
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

/// The dbt project of a dbt node id (`model:<project>.<name>`).
fn dbt_project_of(id: &str) -> Option<&str> {
    let rest = id
        .strip_prefix("model:")
        .or_else(|| id.strip_prefix("seed:"))
        .or_else(|| id.strip_prefix("snapshot:"))?;
    rest.split_once('.').map(|(project, _)| project)
}

/// The external object of each source: its `system`, else its landing table.
/// Each dbt project declares the raw tables it reads: declarations of one
/// object in two projects are not two extracts, so only the first project's
/// declarations of an object are kept (with every repo-wide source).
fn source_objects(facts: &FileFacts, defaults: &NameDefaults) -> Vec<(String, String, Span)> {
    let mut keyed: Vec<(String, Option<&str>, String, Span)> = facts
        .sources
        .iter()
        .filter_map(|s| {
            let key = match (&s.system, &s.lands_in) {
                (Some(sys), _) => normalize(&DataRef::from_name(&sys.value), defaults)?,
                (None, Some(l)) => normalize(&l.value, defaults)?,
                (None, None) => return None,
            };
            Some((
                key,
                s.project.as_deref(),
                format!("source:{}", s.name),
                s.span.clone(),
            ))
        })
        .collect();
    keyed.sort();
    let mut first_project: HashMap<String, Option<&str>> = HashMap::new();
    let mut out: Vec<(String, String, Span)> = Vec::new();
    for (key, project, id, span) in keyed {
        if let Some(p) = project {
            let first = first_project.entry(key.clone()).or_insert(Some(p));
            if *first != Some(p) {
                continue;
            }
        }
        out.push((key, id, span));
    }
    out.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    out
}
