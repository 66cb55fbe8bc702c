//! Facts → graph: create nodes, resolve every reference, place datasets in
//! layers and hand annotations down the inheritance chain.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::facts::{DataRef, EdgeKind, FileFacts, JobFact, JobKind, Located};
use crate::graph::inherit;
use crate::graph::names::{normalize, NameDefaults};
use crate::graph::{Edge, Graph, Node, NodeKind, Unresolved};
use crate::manifest::Manifest;
use crate::parse::CodeOwners;
use crate::span::Span;

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
        nodes: BTreeMap::new(),
        edges: Vec::new(),
        unresolved: BTreeMap::new(),
        runner_of: BTreeMap::new(),
        dag_roots: BTreeMap::new(),
        publishers: BTreeMap::new(),
    };
    let jobs = merged_jobs(facts, manifest);
    b.add_declared_nodes(facts, &jobs);
    let resolver = Resolver::new(facts, &jobs, &b.defaults);
    for job in &jobs {
        b.add_job_edges(job, &resolver);
    }
    b.add_dbt_runs(&jobs);
    b.add_publications(&jobs, &resolver);
    for c in &facts.consumers {
        let id = format!("consumer:{}", c.name);
        for r in &c.reads {
            b.add_read(&id, r, &resolver);
        }
    }
    b.add_source_landings(facts, &resolver);
    b.add_order_edges(facts, &jobs, manifest);
    b.add_dataset_triggers(facts, &resolver);
    b.mark_datasets(facts, &resolver);
    let layers = b.assign_layers(facts, manifest, &resolver);
    let runner_of = std::mem::take(&mut b.runner_of);
    let defaults = b.defaults.clone();
    let mut graph = b.finish(manifest);
    graph.layers = layers;
    graph.source_objects = source_objects(facts, &defaults);
    inherit::annotate(&mut graph, manifest, codeowners, &runner_of);
    graph
}

/// Parsed jobs with the manifest's `[[task]]` entries merged in (an entry for
/// an existing job annotates it; any other entry is a job of its own), sorted by id.
fn merged_jobs(facts: &FileFacts, manifest: &Manifest) -> Vec<JobFact> {
    let mut by_id: BTreeMap<String, JobFact> = BTreeMap::new();
    for job in &facts.jobs {
        by_id.entry(job.id.clone()).or_insert_with(|| job.clone());
    }
    for task in &manifest.tasks {
        let id = task.node_id();
        let job = by_id.entry(id.clone()).or_insert_with(|| {
            let bare = id.strip_prefix("task:").unwrap_or(&id);
            let mut j = JobFact::new(
                id.clone(),
                JobKind::Task,
                bare.rsplit('.').next().unwrap_or(bare),
                task.span.clone(),
            );
            j.dag = bare.rsplit_once('.').map(|(d, _)| d.to_string());
            j
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
    for job in by_id.values_mut().filter(|j| j.kind == JobKind::Script) {
        add_path_writes(job, manifest);
    }
    by_id.into_values().collect()
}

/// `[paths."sql/*/*/*/query.sql"] writes = "{1}.{2}.{3}"`: a script whose
/// path names the table it builds writes that table (the most specific,
/// i.e. last, matching entry wins), unless its SQL already names it.
fn add_path_writes(job: &mut JobFact, manifest: &Manifest) {
    let Some(file) = job.id.strip_prefix("script:") else {
        return;
    };
    let Some((name, span)) = manifest.paths.iter().rev().find_map(|p| {
        let template = p.writes.as_ref()?;
        Some((p.written_dataset(file)?, template.span.clone()))
    }) else {
        return;
    };
    let written = DataRef::from_name(&name);
    if !job.writes.iter().any(|w| w.value == written) {
        job.writes.push(Located::new(written, span));
    }
}

/// Where a reference leads.
enum Target {
    /// A dataset node, by canonical name.
    Dataset(String),
    /// A source node, by id.
    Source(String),
    /// Nothing: what was looked for, its name, a near existing name.
    Nothing(&'static str, String, Option<String>),
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
    models: BTreeMap<String, String>,
    /// Bare dbt node name → the `project.name` keys holding it, for refs
    /// that name no project (Airflow tools): they resolve when one project
    /// has the name.
    bare_models: BTreeMap<String, Vec<String>>,
    /// "Did you mean" for each unresolved (kind, name), computed once: a
    /// name missing everywhere (an uninstalled package's model) is
    /// referenced many times, and each search compares it with every name.
    near: std::cell::RefCell<HashMap<(&'static str, String), Option<String>>>,
    _facts: std::marker::PhantomData<&'f ()>,
}

impl<'f> Resolver<'f> {
    fn new(facts: &'f FileFacts, jobs: &[JobFact], defaults: &NameDefaults) -> Resolver<'f> {
        let mut systems = HashMap::new();
        let mut dbt_sources = HashMap::new();
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
        let mut models = BTreeMap::new();
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
        let mut bare_models: BTreeMap<String, Vec<String>> = BTreeMap::new();
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
            near: std::cell::RefCell::default(),
            _facts: std::marker::PhantomData,
        }
    }

    /// The suggestion for an unresolved `name` of kind `what`, searched for
    /// by `search` the first time only.
    fn near<'c>(
        &self,
        what: &'static str,
        name: &str,
        search: impl FnOnce() -> Option<&'c str>,
    ) -> Option<String> {
        let key = (what, name.to_string());
        if let Some(found) = self.near.borrow().get(&key) {
            return found.clone();
        }
        let found = search().map(str::to_string);
        self.near.borrow_mut().insert(key, found.clone());
        found
    }

    fn resolve(&self, r: &DataRef) -> Target {
        self.resolve_in(r, None)
    }

    /// Resolves a reference made by a node of the dbt project `project`:
    /// its `source()` calls name that project's declarations first.
    fn resolve_in(&self, r: &DataRef, project: Option<&str>) -> Target {
        match r {
            DataRef::Table(_) | DataRef::Uri(_) => match normalize(r, &self.defaults) {
                Some(name) => match self.systems.get(&name) {
                    Some(source) => Target::Source(source.clone()),
                    None => Target::Dataset(name),
                },
                None => Target::Nothing("dataset", format!("{r:?}"), None),
            },
            DataRef::Model {
                package,
                name,
                version,
            } => {
                let qualified = match package {
                    Some(p) => format!("{p}.{name}"),
                    None => match self.bare_models.get(name).map(Vec::as_slice) {
                        Some([only]) => only.clone(),
                        _ => name.clone(),
                    },
                };
                let key = match version {
                    Some(v) if self.models.contains_key(&format!("{qualified}.v{v}")) => {
                        format!("{qualified}.v{v}")
                    }
                    _ => qualified,
                };
                match self.models.get(&key) {
                    Some(ds) => Target::Dataset(ds.clone()),
                    None => {
                        let shown = package
                            .as_ref()
                            .map_or(name.clone(), |p| format!("{p}.{name}"));
                        let near = self.near("model", &shown, || {
                            crate::suggest::closest(&shown, self.models.keys().map(String::as_str))
                        });
                        Target::Nothing("model", shown, near)
                    }
                }
            }
            DataRef::DbtSource { source, table } => {
                let key = format!("{source}.{table}");
                let declared = self.dbt_sources.get(&key).and_then(|all| {
                    all.iter()
                        .find(|d| project.is_some() && d.0.as_deref() == project)
                        .or_else(|| all.first())
                });
                match declared {
                    Some((_, _, Some(ds))) => Target::Dataset(ds.clone()),
                    Some((_, id, None)) => Target::Source(id.clone()),
                    None => {
                        let near = self.near("source", &key, || {
                            crate::suggest::closest(
                                &key,
                                self.dbt_sources.keys().map(String::as_str),
                            )
                        });
                        Target::Nothing("source", key, near)
                    }
                }
            }
        }
    }
}

struct Builder {
    defaults: NameDefaults,
    nodes: BTreeMap<String, Node>,
    edges: Vec<(String, String, Edge)>,
    unresolved: BTreeMap<(&'static str, String), Unresolved>,
    /// Script id → the job that runs it.
    runner_of: BTreeMap<String, String>,
    /// DAG id → its first tasks.
    dag_roots: BTreeMap<String, Vec<String>>,
    /// Dataset id → the jobs that announce its updates (Airflow outlets).
    publishers: BTreeMap<String, Vec<String>>,
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
    fn add_declared_nodes(&mut self, facts: &FileFacts, jobs: &[JobFact]) {
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
            self.nodes.insert(n.id.clone(), n);
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
            self.nodes.entry(id).or_insert(n);
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
            self.nodes.entry(id).or_insert(n);
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
            self.nodes.entry(id).or_insert(n);
        }
    }

    fn dataset(&mut self, name: &str, span: &Span) -> String {
        let id = format!("dataset:{name}");
        self.nodes.entry(id.clone()).or_insert_with(|| {
            blank(
                id.clone(),
                NodeKind::Dataset,
                name.to_string(),
                Some(span.clone()),
            )
        });
        id
    }

    fn unresolved(
        &mut self,
        what: &'static str,
        name: String,
        suggestion: Option<String>,
        node: &str,
        span: &Span,
    ) {
        self.unresolved_place(what, name, suggestion, node.to_string(), span.clone());
    }

    fn unresolved_place(
        &mut self,
        what: &'static str,
        name: String,
        suggestion: Option<String>,
        node: String,
        span: Span,
    ) {
        let entry = self
            .unresolved
            .entry((what, name.clone()))
            .or_insert_with(|| Unresolved {
                what,
                name,
                suggestion,
                places: Vec::new(),
            });
        entry.places.push((node, span));
    }

    fn edge(&mut self, from: &str, to: &str, kind: EdgeKind, span: Option<&Span>) {
        self.edges.push((
            from.to_string(),
            to.to_string(),
            Edge {
                kind,
                span: span.cloned(),
            },
        ));
    }

    fn add_read(&mut self, reader: &str, r: &Located<DataRef>, resolver: &Resolver) {
        match resolver.resolve_in(&r.value, dbt_project_of(reader)) {
            Target::Dataset(name) => {
                let ds = self.dataset(&name, &r.span);
                self.edge(&ds, reader, EdgeKind::Reads, Some(&r.span));
            }
            Target::Source(id) => self.edge(&id, reader, EdgeKind::Reads, Some(&r.span)),
            Target::Nothing(what, name, near) => self.unresolved(what, name, near, reader, &r.span),
        }
    }

    fn add_job_edges(&mut self, job: &JobFact, resolver: &Resolver) {
        let mut written = BTreeSet::new();
        for w in &job.writes {
            match resolver.resolve(&w.value) {
                Target::Dataset(name) => {
                    let ds = self.dataset(&name, &w.span);
                    written.insert(name);
                    self.edge(&job.id, &ds, EdgeKind::Writes, Some(&w.span));
                }
                // Writing back into a source system (reverse ETL): a dataset of its own.
                Target::Source(_) => {
                    if let Some(name) = normalize(&w.value, &self.defaults) {
                        let ds = self.dataset(&name, &w.span);
                        self.edge(&job.id, &ds, EdgeKind::Writes, Some(&w.span));
                    }
                }
                Target::Nothing(what, name, near) => {
                    self.unresolved(what, name, near, &job.id, &w.span)
                }
            }
        }
        for r in &job.reads {
            // A job reading what it writes (incremental merge) is no dependency.
            if let Target::Dataset(name) = resolver.resolve_in(&r.value, dbt_project_of(&job.id)) {
                if written.contains(&name) {
                    continue;
                }
            }
            self.add_read(&job.id, r, resolver);
        }
        for script in &job.runs {
            let id = format!("script:{}", script.value);
            if self.nodes.contains_key(&id) {
                self.runner_of.entry(id).or_insert_with(|| job.id.clone());
            } else {
                self.unresolved("script", script.value.clone(), None, &job.id, &script.span);
            }
        }
    }

    /// A task that renders a dbt project (astronomer-cosmos) runs the
    /// project's models: they inherit its DAG's schedule, owner and failure
    /// behavior, and run after it. Models are found by their files under the
    /// project folder, whatever ids the dbt parser gave them.
    fn add_dbt_runs(&mut self, jobs: &[JobFact]) {
        for task in jobs {
            let Some(folder) = &task.runs_dbt else {
                continue;
            };
            let prefix = format!("{}/", folder.value);
            let mut found = false;
            for model in jobs.iter().filter(|j| {
                matches!(j.kind, JobKind::Model | JobKind::Snapshot | JobKind::Seed)
                    && j.span.file.starts_with(prefix.as_str())
            }) {
                found = true;
                self.runner_of
                    .entry(model.id.clone())
                    .or_insert_with(|| task.id.clone());
                self.edge(&task.id, &model.id, EdgeKind::After, Some(&folder.span));
            }
            if !found {
                self.unresolved(
                    "dbt project",
                    folder.value.clone(),
                    None,
                    &task.id,
                    &folder.span,
                );
            }
        }
    }

    /// Announced updates (Airflow outlets): the publisher is the writer only
    /// when no job writes the data itself (an outlet on the task that runs the
    /// load); otherwise it just marks when the data is ready.
    fn add_publications(&mut self, jobs: &[JobFact], resolver: &Resolver) {
        let written: HashSet<String> = self.writers_by_dataset().into_keys().collect();
        for job in jobs {
            for p in &job.publishes {
                let Target::Dataset(name) = resolver.resolve(&p.value) else {
                    continue;
                };
                let ds = self.dataset(&name, &p.span);
                self.publishers
                    .entry(ds.clone())
                    .or_default()
                    .push(job.id.clone());
                if !written.contains(&ds) {
                    self.edge(&job.id, &ds, EdgeKind::Writes, Some(&p.span));
                }
            }
        }
    }

    /// A source landing data that no job of the repo writes: its extract runs
    /// outside the repo (Fivetran, a managed connector), so the source itself
    /// writes the landing dataset. Sources with a `system` go first.
    fn add_source_landings(&mut self, facts: &FileFacts, resolver: &Resolver) {
        let mut sources: Vec<_> = facts.sources.iter().collect();
        sources.sort_by_key(|s| (s.system.is_none(), s.name.clone()));
        let mut written: HashSet<String> = self.writers_by_dataset().into_keys().collect();
        let extracted: HashSet<&str> = self
            .edges
            .iter()
            .filter(|(_, to, e)| {
                e.kind == EdgeKind::Reads && self.nodes.get(to).is_some_and(Node::is_job)
            })
            .map(|(from, _, _)| from.as_str())
            .collect();
        let mut landings = Vec::new();
        for s in sources {
            let id = format!("source:{}", s.name);
            let Some(landing) = &s.lands_in else { continue };
            let Target::Dataset(name) = resolver.resolve(&landing.value) else {
                continue;
            };
            let ds = format!("dataset:{name}");
            if !written.contains(&ds) && !extracted.contains(id.as_str()) {
                written.insert(ds);
                landings.push((id, name, landing.span.clone()));
            }
        }
        for (id, name, span) in landings {
            let ds = self.dataset(&name, &span);
            self.edge(&id, &ds, EdgeKind::Writes, Some(&span));
        }
    }

    /// Dataset id → the ids of what writes it, from the edges so far.
    fn writers_by_dataset(&self) -> HashMap<String, Vec<String>> {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (from, to, e) in &self.edges {
            if e.kind == EdgeKind::Writes {
                map.entry(to.clone()).or_default().push(from.clone());
            }
        }
        map
    }

    /// `after` and `triggers` edges; a `dag:` endpoint stands for the DAG's
    /// last tasks (as upstream) or first tasks (as downstream).
    fn add_order_edges(&mut self, facts: &FileFacts, jobs: &[JobFact], manifest: &Manifest) {
        let unknowable = unknowable_dags(facts);
        let mut dag_tasks: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for j in jobs {
            if let Some(d) = &j.dag {
                dag_tasks.entry(d.as_str()).or_default().push(j.id.as_str());
            }
        }
        let has_up: BTreeSet<&str> = facts
            .edges
            .iter()
            .filter(|e| e.kind == EdgeKind::After)
            .map(|e| e.to.as_str())
            .collect();
        let has_down: BTreeSet<&str> = facts
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
                let known = self.nodes.contains_key(end.as_str())
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
                    self.unresolved(what, end.clone(), None, other, &e.span);
                }
                ok &= known;
            }
            if !ok {
                continue;
            }
            for from in expand(&e.from, true) {
                for to in expand(&e.to, false) {
                    if from != to {
                        self.edge(&from, &to, e.kind, Some(&e.span));
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
            let roots = self
                .dag_roots
                .get(&d.id)
                .cloned()
                .unwrap_or_else(|| vec![dag_id.clone()]);
            for r in &d.triggered_by {
                let Target::Dataset(name) = resolver.resolve(&r.value) else {
                    continue;
                };
                let ds = self.dataset(&name, &r.span);
                let writers = self
                    .publishers
                    .get(&ds)
                    .or_else(|| writers_of.get(&ds))
                    .cloned()
                    .unwrap_or_default();
                if writers.is_empty() {
                    self.unresolved("dataset", name, None, &dag_id, &r.span);
                }
                for w in writers {
                    for root in &roots {
                        if w != *root {
                            self.edge(&w, root, EdgeKind::Triggers, Some(&r.span));
                        }
                    }
                }
            }
        }
    }

    /// Datasets declared external, guarded by checks, or read by check jobs.
    fn mark_datasets(&mut self, facts: &FileFacts, resolver: &Resolver) {
        for d in &facts.datasets {
            if let Target::Dataset(name) = resolver.resolve(&d.name.value) {
                let id = self.dataset(&name, &d.name.span);
                if let Some(n) = self.nodes.get_mut(&id) {
                    n.external |= d.external;
                    n.checked |= d.checked;
                    n.served |= d.served;
                }
            }
        }
        let checked: Vec<String> = self
            .edges
            .iter()
            .filter(|(_, to, e)| {
                e.kind == EdgeKind::Reads
                    && self.nodes.get(to).is_some_and(|n| n.is_job() && n.checked)
            })
            .map(|(from, _, _)| from.clone())
            .collect();
        for id in checked {
            if let Some(n) = self.nodes.get_mut(&id) {
                if n.kind == NodeKind::Dataset {
                    n.checked = true;
                }
            }
        }
    }

    /// Places datasets in layers: the manifest's globs first, then the hints
    /// of tool conventions. Returns the layer names.
    fn assign_layers(
        &mut self,
        facts: &FileFacts,
        manifest: &Manifest,
        resolver: &Resolver,
    ) -> Vec<String> {
        let names: Vec<String> = if manifest.layers.is_empty() {
            DEFAULT_LAYERS.iter().map(|s| s.to_string()).collect()
        } else {
            manifest.layers.iter().map(|l| l.name.clone()).collect()
        };
        let mut hints: HashMap<String, usize> = HashMap::new();
        for d in &facts.datasets {
            let (Some(hint), Target::Dataset(name)) =
                (&d.layer_hint, resolver.resolve(&d.name.value))
            else {
                continue;
            };
            if let Some(ix) = names.iter().position(|n| n == hint) {
                hints.entry(format!("dataset:{name}")).or_insert(ix);
            }
        }
        for n in self
            .nodes
            .values_mut()
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
            teams: manifest.teams.iter().map(|t| t.name.clone()).collect(),
            ..Graph::default()
        };
        for (id, node) in std::mem::take(&mut self.nodes) {
            let ix = graph.inner.add_node(node);
            graph.index.insert(id, ix);
        }
        self.edges.sort_by(|a, b| {
            (&a.0, &a.1, a.2.kind, &a.2.span).cmp(&(&b.0, &b.1, b.2.kind, &b.2.span))
        });
        self.edges
            .dedup_by(|b, a| a.0 == b.0 && a.1 == b.1 && a.2.kind == b.2.kind);
        for (from, to, edge) in std::mem::take(&mut self.edges) {
            if let (Some(&f), Some(&t)) = (graph.index.get(&from), graph.index.get(&to)) {
                graph.inner.add_edge(f, t, edge);
            }
        }
        // A written dataset is located where its first writer (by id) writes it.
        let located: Vec<(petgraph::graph::NodeIndex, Span)> = graph
            .nodes()
            .filter(|(_, n)| n.kind == NodeKind::Dataset)
            .filter_map(|(ix, _)| {
                graph
                    .writers(ix)
                    .first()
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
                    self.unresolved_place("dataset", n.name.clone(), None, reader, span.clone());
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
