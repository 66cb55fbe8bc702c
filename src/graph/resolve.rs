//! Name resolution: where each reference of the facts leads (a dataset, a
//! source, or nothing), by the rules of the tool that wrote it (dbt's
//! `ref` and `source`, warehouse table names, Airflow's URIs).

use std::borrow::Cow;

use foldhash::{HashMap, HashMapExt};

use crate::facts::{DataRef, FileFacts, JobFact};
use crate::graph::names::{normalize, NameDefaults};
use crate::span::Span;

/// Where a reference leads (names borrowed from the resolver where it
/// holds them, so resolving copies nothing it need not).
pub(super) enum Target<'r> {
    /// A dataset node, by canonical name.
    Dataset(Cow<'r, str>),
    /// A source node, by id.
    Source(&'r str),
    /// Nothing: what was looked for and its name (the "did you mean" is
    /// searched for once per name, after every reference is resolved: see
    /// `build::suggest_unresolved`).
    Nothing(&'static str, String),
}

/// One declaration of a dbt source table: the declaring project, the
/// source id and the landing dataset.
type SourceDecl = (Option<String>, String, Option<String>);

/// Resolves references to datasets and sources.
pub(super) struct Resolver<'f> {
    defaults: NameDefaults,
    /// Canonical external object (`system`) → source id.
    systems: HashMap<String, String>,
    /// `source.table` → (declaring dbt project, source id, landing dataset)
    /// for each declaration, in file order.
    pub(super) dbt_sources: HashMap<String, Vec<SourceDecl>>,
    /// `project.name` (`project.name.vN` for a version) of each dbt model,
    /// seed and snapshot → output dataset.
    pub(super) models: HashMap<String, String>,
    /// Bare dbt node name → the `project.name` keys holding it, for refs
    /// that name no project (Airflow tools): they resolve when one project
    /// has the name.
    bare_models: HashMap<String, Vec<String>>,
    _facts: std::marker::PhantomData<&'f ()>,
}

impl<'f> Resolver<'f> {
    pub(super) fn new(
        facts: &'f FileFacts,
        jobs: &[&JobFact],
        defaults: &NameDefaults,
    ) -> Resolver<'f> {
        let mut systems = HashMap::default();
        let mut dbt_sources = HashMap::default();
        for s in &facts.sources {
            let id = ["source:", s.name.as_str()].concat();
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

    pub(super) fn resolve(&self, r: &DataRef) -> Target<'_> {
        self.resolve_in(r, None)
    }

    /// Resolves a reference made by a node of the dbt project `project`:
    /// its `source()` calls name that project's declarations first.
    pub(super) fn resolve_in(&self, r: &DataRef, project: Option<&str>) -> Target<'_> {
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
                    Some(p) => Cow::Owned([p.as_str(), ".", name.as_str()].concat()),
                    None => match self.bare_models.get(name.as_str()).map(Vec::as_slice) {
                        Some([only]) => Cow::Borrowed(only),
                        _ => Cow::Borrowed(name),
                    },
                };
                let versioned = version.as_ref().and_then(|v| {
                    self.models
                        .get([qualified.as_ref(), ".v", v.as_str()].concat().as_str())
                });
                match versioned.or_else(|| self.models.get(qualified.as_ref())) {
                    Some(ds) => Target::Dataset(Cow::Borrowed(ds)),
                    None => Target::Nothing(
                        "model",
                        package
                            .as_ref()
                            .map_or(name.clone(), |p| [p.as_str(), ".", name.as_str()].concat()),
                    ),
                }
            }
            DataRef::DbtSource { source, table } => {
                let key = [source.as_str(), ".", table.as_str()].concat();
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
pub(super) struct JobTargets<'r> {
    pub(super) writes: Vec<Target<'r>>,
    pub(super) reads: Vec<Target<'r>>,
}

impl<'r> JobTargets<'r> {
    pub(super) fn of(job: &JobFact, resolver: &'r Resolver) -> JobTargets<'r> {
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

/// The dbt project of a dbt node id (`model:<project>.<name>`).
pub(super) fn dbt_project_of(id: &str) -> Option<&str> {
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
pub(super) fn source_objects(
    facts: &FileFacts,
    defaults: &NameDefaults,
) -> Vec<(String, String, Span)> {
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
                ["source:", s.name.as_str()].concat(),
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
