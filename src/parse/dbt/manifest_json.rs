//! `target/manifest.json`: dbt's own parse result, read instead of rendering
//! when `--dbt-manifest` is given and the file exists. dbt resolved every
//! ref, source, config and enabled flag, so nodes, configuration, edges,
//! sources, exposures, groups and tests come from it; the repo's files are
//! only read for locations (properties YAML lines, call sites in the model
//! files) and inline allow comments. The facts are assembled by the same
//! code as after rendering, so both paths give the same graph.
//!
//! dbt writes the file with resolved values where rendering knows only
//! what is written: a source's database is dropped when it is the target
//! database (rendering drops a database that is not written), and model
//! tables are `[database.][schema.]alias` as configured, not as generated.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::allows::{template_allows, yaml_allows};
use super::assemble::{
    classify, emit, file_stem, load_packages, props_index, Package, PendingNode, Role,
    SingularTests,
};
use super::config::{PartialConfig, Setting};
use super::jinja::recorder::RecordedRef;
use super::models::{known_reads, NodeFile, NodeKind, RenderedNode};
use super::project::{join_rel, DbtProject};
use super::read_all;
use super::schema_yaml::{
    consumer_kind, freshness_cadence, read_schema_file, Exposure, Group, NodeProps, SchemaFacts,
    SourceTable,
};
use super::template_scan::{scan_calls, CallKind};
use crate::cadence::Cadence;
use crate::diagnostic::Diagnostic;
use crate::facts::{DataRef, FileFacts};
use crate::parse::ParseContext;
use crate::span::Span;

/// Largest manifest read (dbt's own for a 3,000-model project is ~40 MB).
pub const MAX_MANIFEST_BYTES: u64 = 1 << 30;

/// The repo-relative path of the project's `manifest.json`.
pub fn manifest_rel(project: &DbtProject) -> String {
    join_rel(&project.rel(&project.target_path), "manifest.json")
}

/// The facts of the project read from its `manifest.json`: `None` when
/// there is no such file, an error (a `parse-error` or `invalid-config`
/// diagnostic) when it cannot be used, and the caller renders instead.
pub fn project_facts(
    root: &DbtProject,
    context: &ParseContext,
) -> Option<Result<FileFacts, Box<Diagnostic>>> {
    let rel: Arc<str> = Arc::from(manifest_rel(root));
    let path = match crate::confine::resolve(&context.root, &rel) {
        Ok(path) if path.is_file() => path,
        Err(why) if why.is_link() => return Some(Err(Box::new(crate::files::refused(&rel, &why)))),
        _ => return None,
    };
    Some(read_manifest(&rel, &path, root).map(|m| facts_from_manifest(root, context, m)))
}

/// Reads and deserializes the file, refusing one that is too large, not
/// JSON of dbt's shape, or written for another project.
fn read_manifest(
    rel: &Arc<str>,
    path: &std::path::Path,
    root: &DbtProject,
) -> Result<Manifest, Box<Diagnostic>> {
    let error = |message: String, line: u32, column: u32| {
        Box::new(
            Diagnostic::new("parse-error", format!("{rel}: {message}"))
                .at(Some(Span {
                    file: rel.clone(),
                    line: line.max(1),
                    column: column.max(1),
                    offset: 0,
                    len: 0,
                }))
                .help("run `dbt parse` to write it again; the project's files were read instead"),
        )
    };
    let size = std::fs::metadata(path)
        .map_err(|e| error(format!("cannot read: {e}"), 1, 1))?
        .len();
    if size > MAX_MANIFEST_BYTES {
        return Err(error(
            format!("{size} bytes is larger than the {MAX_MANIFEST_BYTES} pipelint reads"),
            1,
            1,
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| error(format!("cannot read: {e}"), 1, 1))?;
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
        let at = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        error(
            format!("not a dbt manifest: {e}"),
            at(e.line()),
            at(e.column()),
        )
    })?;
    match &manifest.metadata.project_name {
        Some(name) if !name.is_empty() && *name != root.name => Err(Box::new(
            Diagnostic::new(
                "invalid-config",
                format!(
                    "{rel} was written for project `{name}`, not `{}`",
                    root.name
                ),
            )
            .at(Some(Span::file_start(rel)))
            .help("run `dbt parse` in this project; its files were read instead"),
        )),
        _ => Ok(manifest),
    }
}

/// Where things are declared, from the properties YAML files: dbt's
/// manifest names the file of each node, source and exposure but no line.
struct Locations {
    nodes: BTreeMap<(NodeKind, String, String), Span>,
    sources: BTreeMap<(String, String, String), Span>,
    exposures: BTreeMap<(String, String), Exposure>,
}

fn facts_from_manifest(root: &DbtProject, context: &ParseContext, m: Manifest) -> FileFacts {
    let mut facts = FileFacts::default();
    let (pkgs, _missing) = load_packages(root.clone(), context, &mut facts);
    let package_index: BTreeMap<&str, usize> = pkgs
        .iter()
        .enumerate()
        .map(|(i, p)| (p.project.name.as_str(), i))
        .collect();
    let file_of = |package: &str, path: &str| -> Arc<str> {
        Arc::from(match package_index.get(package) {
            Some(&i) => join_rel(&pkgs[i].project.dir, path),
            None => join_rel(
                &root.rel(&root.packages_install_path),
                &format!("{package}/{path}"),
            ),
        })
    };

    let locations = locate(&pkgs, context, &mut facts);

    // Tests: which nodes and sources they guard.
    let mut tested_nodes: BTreeSet<&str> = BTreeSet::new();
    let mut tested_sources: BTreeSet<(String, String)> = BTreeSet::new();
    let mut singular = SingularTests::default();
    for test in m.nodes.values().filter(|n| n.resource_type == "test") {
        match &test.test_metadata {
            Some(meta) => match &test.attached_node {
                Some(node) => {
                    tested_nodes.insert(node.as_str());
                }
                None => {
                    if let Some(source) = tested_source(meta, &test.depends_on.nodes, &m) {
                        tested_sources.insert(source);
                    }
                }
            },
            None => {
                for dep in &test.depends_on.nodes {
                    if let Some(s) = m.sources.get(dep) {
                        singular
                            .sources
                            .insert((s.source_name.clone(), s.name.clone()));
                    } else if let Some(n) = m.nodes.get(dep) {
                        singular.models.insert(node_name(n));
                    }
                }
            }
        }
    }

    // Nodes, in the order rendering meets them (package, then file).
    let mut chosen: Vec<(usize, Arc<str>, &str, &Node)> = m
        .nodes
        .iter()
        .filter(|(_, n)| kind_of(&n.resource_type).is_some())
        .map(|(id, n)| {
            let package = package_index
                .get(n.package_name.as_str())
                .copied()
                .unwrap_or(usize::MAX);
            (
                package,
                file_of(&n.package_name, &n.original_file_path),
                id.as_str(),
                n,
            )
        })
        .collect();
    chosen.sort_by(|a, b| (a.0, &a.1, a.2).cmp(&(b.0, &b.1, b.2)));
    let texts = {
        let wanted: Vec<Arc<str>> = chosen
            .iter()
            .filter(|c| c.3.resource_type != "seed")
            .map(|c| c.1.clone())
            .collect();
        let mut read: BTreeMap<Arc<str>, Result<Arc<str>, Box<Diagnostic>>> = BTreeMap::new();
        for (rel, text) in wanted.iter().zip(read_all(&wanted, context)) {
            read.insert(rel.clone(), text);
        }
        read
    };
    let mut schema = SchemaFacts::default();
    let mut nodes: Vec<PendingNode> = Vec::new();
    let mut rendered: Vec<Option<Arc<RenderedNode>>> = Vec::new();
    for (_, rel, id, n) in chosen {
        let Some(kind) = kind_of(&n.resource_type) else {
            continue;
        };
        let text: Arc<str> = match texts.get(&rel) {
            None => Arc::from(""),
            Some(Ok(text)) => text.clone(),
            Some(Err(e)) => {
                facts.diagnostics.push(
                    Diagnostic::new(
                        "parse-error",
                        format!(
                            "manifest.json names `{rel}`, which cannot be read: {}",
                            e.message
                        ),
                    )
                    .at(Some(Span::file_start(&Arc::from(manifest_rel(root)))))
                    .help("the manifest is older than the project: run `dbt parse` again"),
                );
                continue;
            }
        };
        let name = node_name(n);
        if let Some(patch) = &n.patch_path {
            let (package, path) = patch.split_once("://").unwrap_or((&n.package_name, patch));
            // dbt may patch a node with another package's entry of the
            // same name: the entry is where the patch file says.
            let key = (kind, package.to_string(), n.name.clone());
            let span = locations
                .nodes
                .get(&key)
                .cloned()
                .unwrap_or_else(|| Span::file_start(&file_of(package, path)));
            let props = NodeProps {
                package: n.package_name.clone(),
                name: n.name.clone(),
                span,
                config: PartialConfig::default(),
                tested: tested_nodes.contains(id),
                versions: Vec::new(),
                latest_version: None,
            };
            match kind {
                NodeKind::Model => schema.models.push(props),
                NodeKind::Seed => schema.seeds.push(props),
                NodeKind::Snapshot => schema.snapshots.push(props),
            }
        } else if tested_nodes.contains(id) {
            singular.models.insert(name.clone());
        }
        if kind != NodeKind::Seed {
            facts.allows.extend(template_allows(&rel, &text));
        }
        let mut folders: Vec<String> = n.path.split('/').map(str::to_string).collect();
        folders.pop();
        let file = NodeFile {
            package: n.package_name.clone(),
            kind,
            name,
            rel,
            project_path: n.original_file_path.clone(),
            folders,
        };
        rendered.push((kind != NodeKind::Seed).then(|| {
            Arc::new(RenderedNode {
                reads: known_reads(&file, &text, n.recorded_refs(), n.recorded_sources()),
                config: PartialConfig::default(),
                failure: None,
                missing_namespaces: Vec::new(),
            })
        }));
        nodes.push(PendingNode {
            file,
            config: n.config(),
            root_over: None,
        });
    }

    let target_database = target_database(&m);
    for s in m.sources.values() {
        let file = file_of(&s.package_name, &s.original_file_path);
        let key = (
            s.package_name.clone(),
            s.source_name.clone(),
            s.name.clone(),
        );
        schema.sources.push(SourceTable {
            package: s.package_name.clone(),
            source: s.source_name.clone(),
            table: s.name.clone(),
            span: locations
                .sources
                .get(&key)
                .cloned()
                .unwrap_or_else(|| Span::file_start(&file)),
            database: s
                .database
                .clone()
                .filter(|d| !d.is_empty() && Some(d) != target_database.as_ref()),
            schema: s
                .schema
                .clone()
                .filter(|x| !x.is_empty())
                .unwrap_or_else(|| s.source_name.clone()),
            identifier: s
                .identifier
                .clone()
                .filter(|x| !x.is_empty())
                .unwrap_or_else(|| s.name.clone()),
            cadence: cadence(&s.freshness).map(|c| Setting::new(c, None)),
            owner: [&s.meta, &s.config.meta, &s.source_meta]
                .into_iter()
                .find_map(|meta| owner_text(meta.get("owner")?))
                .map(|o| Setting::new(o, None)),
            tested: tested_sources.contains(&(s.source_name.clone(), s.name.clone())),
        });
    }
    schema
        .sources
        .sort_by(|a, b| (&a.span.file, a.span.line).cmp(&(&b.span.file, b.span.line)));

    for e in m.exposures.values() {
        let located = locations
            .exposures
            .get(&(e.package_name.clone(), e.name.clone()));
        let span = located.map_or_else(
            || Span::file_start(&file_of(&e.package_name, &e.original_file_path)),
            |x| x.span.clone(),
        );
        let meta = if e.config.meta.is_object() {
            &e.config.meta
        } else {
            &e.meta
        };
        let reads = e
            .recorded_refs()
            .into_iter()
            .map(|r| DataRef::Model {
                package: r.package,
                name: r.name,
                version: r.version,
            })
            .chain(
                e.recorded_sources()
                    .into_iter()
                    .map(|(source, table)| DataRef::DbtSource { source, table }),
            )
            .map(|data| {
                let at = located
                    .and_then(|x| x.reads.iter().find(|(d, _)| *d == data))
                    .map_or_else(|| span.clone(), |(_, s)| s.clone());
                (data, at)
            })
            .collect();
        schema.exposures.push(Exposure {
            package: e.package_name.clone(),
            name: e.name.clone(),
            kind: consumer_kind(e.exposure_type.as_deref()),
            span: span.clone(),
            owner: person(&e.owner)
                .or_else(|| owner_text(meta.get("owner")?))
                .map(|o| Setting::new(o, None)),
            freshness: meta
                .get("freshness")
                .and_then(Value::as_str)
                .and_then(|f| Cadence::parse(f).ok())
                .map(|c| Setting::new(c, None)),
            reads,
        });
    }
    schema
        .exposures
        .sort_by(|a, b| (&a.span.file, a.span.line).cmp(&(&b.span.file, b.span.line)));
    for g in m.groups.values() {
        schema.groups.push(Group {
            name: g.name.clone(),
            owner: person(&g.owner).map(|o| Setting::new(o, None)),
        });
    }

    let props = props_index(&schema);
    emit(
        &mut facts,
        &root.name,
        &super::packages::declared_projects(&root.dir, context),
        &[],
        nodes,
        rendered,
        &schema,
        &props,
        &singular,
    );
    facts
}

/// Reads every properties file of the project and its packages for the
/// lines of their entries and their allow comments (values are not
/// rendered: only places are taken from here).
fn locate(pkgs: &[Package], context: &ParseContext, facts: &mut FileFacts) -> Locations {
    let files: Vec<_> = classify(pkgs)
        .into_iter()
        .filter(|f| f.role == Role::Schema)
        .collect();
    let rels: Vec<Arc<str>> = files.iter().map(|f| f.rel.clone()).collect();
    let mut found = SchemaFacts::default();
    for (f, text) in files.iter().zip(read_all(&rels, context)) {
        match text {
            Ok(text) => {
                let package = &pkgs[f.package].project.name;
                read_schema_file(&f.rel, &text, package, &|s| s.to_string(), &mut found);
                facts.allows.extend(yaml_allows(&f.rel, &text));
            }
            Err(d) => facts.diagnostics.push(*d),
        }
    }
    facts.diagnostics.append(&mut found.diagnostics);
    let mut nodes = BTreeMap::new();
    for (kind, list) in [
        (NodeKind::Model, &found.models),
        (NodeKind::Seed, &found.seeds),
        (NodeKind::Snapshot, &found.snapshots),
    ] {
        for p in list {
            nodes
                .entry((kind, p.package.clone(), p.name.clone()))
                .or_insert_with(|| p.span.clone());
        }
    }
    let mut sources = BTreeMap::new();
    for s in &found.sources {
        sources
            .entry((s.package.clone(), s.source.clone(), s.table.clone()))
            .or_insert_with(|| s.span.clone());
    }
    let mut exposures = BTreeMap::new();
    for e in found.exposures {
        exposures
            .entry((e.package.clone(), e.name.clone()))
            .or_insert(e);
    }
    Locations {
        nodes,
        sources,
        exposures,
    }
}

/// The node kind pipelint makes of a dbt resource type.
fn kind_of(resource_type: &str) -> Option<NodeKind> {
    match resource_type {
        "model" => Some(NodeKind::Model),
        "snapshot" => Some(NodeKind::Snapshot),
        "seed" => Some(NodeKind::Seed),
        _ => None,
    }
}

/// The node's name as rendering names it: a versioned model is named by
/// its file (`dim_customer_v2`), as each version has its own file.
fn node_name(n: &Node) -> String {
    if n.version.is_null() || n.resource_type != "model" {
        n.name.clone()
    } else {
        file_stem(&n.original_file_path).to_string()
    }
}

/// The source a generic test on a source guards: the `source()` its
/// `model` argument names, else the only source it depends on.
fn tested_source(
    meta: &TestMetadata,
    depends: &[String],
    m: &Manifest,
) -> Option<(String, String)> {
    if let Some(model) = meta.kwargs.get("model").and_then(Value::as_str) {
        let (calls, _) = scan_calls(model);
        for call in calls.iter().filter(|c| c.kind == CallKind::Source) {
            if let [Some(source), Some(table)] = call.args.as_slice() {
                return Some((source.clone(), table.clone()));
            }
        }
    }
    let mut sources = depends.iter().filter_map(|d| m.sources.get(d));
    match (sources.next(), sources.next()) {
        (Some(s), None) => Some((s.source_name.clone(), s.name.clone())),
        _ => None,
    }
}

/// The target database: the database of models that configure none
/// (the most common one; ties go to the first in order).
fn target_database(m: &Manifest) -> Option<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for n in m.nodes.values() {
        if n.resource_type == "model" && n.config.database.is_none() {
            if let Some(db) = n.database.as_deref() {
                *counts.entry(db).or_default() += 1;
            }
        }
    }
    let best = counts.values().copied().max()?;
    counts
        .into_iter()
        .find(|(_, c)| *c == best)
        .map(|(db, _)| db.to_string())
}

/// `warn_after`, else `error_after`, of a source's `freshness`.
fn cadence(freshness: &Value) -> Option<Cadence> {
    ["warn_after", "error_after"].iter().find_map(|key| {
        let after = freshness.get(key)?;
        let count = match after.get("count")? {
            Value::Number(n) => n.as_u64()?,
            Value::String(s) => s.trim().parse().ok()?,
            _ => return None,
        };
        freshness_cadence(count, after.get("period")?.as_str()?)
    })
}

/// An owner given as text, or the first text of a list.
fn owner_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Array(items) => items.iter().find_map(owner_text),
        _ => None,
    }
}

/// An exposure's or group's `owner`: its name, else its email.
fn person(owner: &Value) -> Option<String> {
    match owner {
        Value::Object(_) => ["name", "email"]
            .iter()
            .find_map(|k| owner_text(owner.get(k)?)),
        other => owner_text(other),
    }
}

/// A version as rendering records it (`2`, `"3"`).
fn version_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A `null` where dbt may write one reads as the default.
fn lenient<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// The parts of `manifest.json` pipelint reads; unknown fields are skipped.
#[derive(Debug, Default, Deserialize)]
struct Manifest {
    #[serde(default, deserialize_with = "lenient")]
    metadata: Metadata,
    #[serde(default, deserialize_with = "lenient")]
    nodes: BTreeMap<String, Node>,
    #[serde(default, deserialize_with = "lenient")]
    sources: BTreeMap<String, SourceJson>,
    #[serde(default, deserialize_with = "lenient")]
    exposures: BTreeMap<String, ExposureJson>,
    #[serde(default, deserialize_with = "lenient")]
    groups: BTreeMap<String, GroupJson>,
}

#[derive(Debug, Default, Deserialize)]
struct Metadata {
    #[serde(default)]
    project_name: Option<String>,
}

/// A model, seed, snapshot, test, analysis or operation.
#[derive(Debug, Default, Deserialize)]
struct Node {
    #[serde(default, deserialize_with = "lenient")]
    resource_type: String,
    #[serde(default, deserialize_with = "lenient")]
    name: String,
    #[serde(default, deserialize_with = "lenient")]
    package_name: String,
    #[serde(default, deserialize_with = "lenient")]
    original_file_path: String,
    /// Path below the resource folder (`staging/stg_orders.sql`).
    #[serde(default, deserialize_with = "lenient")]
    path: String,
    /// The properties file: `package://models/schema.yml`.
    #[serde(default)]
    patch_path: Option<String>,
    #[serde(default)]
    database: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    config: NodeConfig,
    #[serde(default)]
    meta: Value,
    #[serde(default)]
    group: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    refs: Vec<RefJson>,
    #[serde(default, deserialize_with = "lenient")]
    sources: Vec<Vec<String>>,
    #[serde(default, deserialize_with = "lenient")]
    depends_on: DependsOn,
    #[serde(default)]
    attached_node: Option<String>,
    #[serde(default)]
    test_metadata: Option<TestMetadata>,
    #[serde(default)]
    version: Value,
}

#[derive(Debug, Default, Deserialize)]
struct NodeConfig {
    #[serde(default)]
    database: Option<String>,
    #[serde(default)]
    schema: Option<String>,
    #[serde(default)]
    alias: Option<String>,
    #[serde(default)]
    meta: Value,
    #[serde(default)]
    group: Option<String>,
    /// A snapshot's schema (before dbt 1.9 its only one).
    #[serde(default)]
    target_schema: Option<String>,
    /// A snapshot's database.
    #[serde(default)]
    target_database: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct DependsOn {
    #[serde(default, deserialize_with = "lenient")]
    nodes: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct TestMetadata {
    #[serde(default)]
    kwargs: Value,
}

/// A `ref` as dbt records it: `{name, package, version}` since manifest
/// v10, `[package, name]` or `[name]` before.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RefJson {
    Call {
        name: String,
        #[serde(default)]
        package: Option<String>,
        #[serde(default)]
        version: Value,
    },
    Parts(Vec<String>),
}

/// Refs and sources as rendering records them.
trait Calls {
    fn refs(&self) -> &[RefJson];
    fn sources(&self) -> &[Vec<String>];

    fn recorded_refs(&self) -> Vec<RecordedRef> {
        self.refs()
            .iter()
            .filter_map(|r| match r {
                RefJson::Call {
                    name,
                    package,
                    version,
                } => Some(RecordedRef {
                    package: package.clone(),
                    name: name.clone(),
                    version: version_text(version),
                }),
                RefJson::Parts(parts) => match parts.as_slice() {
                    [name] => Some(RecordedRef {
                        package: None,
                        name: name.clone(),
                        version: None,
                    }),
                    [package, name] => Some(RecordedRef {
                        package: Some(package.clone()),
                        name: name.clone(),
                        version: None,
                    }),
                    _ => None,
                },
            })
            .collect()
    }

    fn recorded_sources(&self) -> Vec<(String, String)> {
        self.sources()
            .iter()
            .filter_map(|s| match s.as_slice() {
                [source, table] => Some((source.clone(), table.clone())),
                _ => None,
            })
            .collect()
    }
}

impl Calls for Node {
    fn refs(&self) -> &[RefJson] {
        &self.refs
    }
    fn sources(&self) -> &[Vec<String>] {
        &self.sources
    }
}

impl Calls for ExposureJson {
    fn refs(&self) -> &[RefJson] {
        &self.refs
    }
    fn sources(&self) -> &[Vec<String>] {
        &self.sources
    }
}

impl Node {
    /// The configuration rendering would have found: custom schema,
    /// alias and database as configured (a snapshot's `target_schema` and
    /// `target_database` when set), owner, group.
    fn config(&self) -> PartialConfig {
        let text = |v: &Option<String>| {
            v.clone()
                .filter(|s| !s.is_empty())
                .map(|s| Setting::new(s, None))
        };
        let owner = [&self.config.meta, &self.meta]
            .into_iter()
            .find_map(|meta| owner_text(meta.get("owner")?));
        PartialConfig {
            schema: text(&self.config.target_schema).or_else(|| text(&self.config.schema)),
            alias: text(&self.config.alias),
            database: text(&self.config.target_database).or_else(|| text(&self.config.database)),
            owner: owner.map(|o| Setting::new(o, None)),
            group: text(&self.config.group).or_else(|| text(&self.group)),
            ..PartialConfig::default()
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct SourceJson {
    #[serde(default, deserialize_with = "lenient")]
    name: String,
    #[serde(default, deserialize_with = "lenient")]
    source_name: String,
    #[serde(default, deserialize_with = "lenient")]
    package_name: String,
    #[serde(default, deserialize_with = "lenient")]
    original_file_path: String,
    #[serde(default)]
    database: Option<String>,
    #[serde(default)]
    schema: Option<String>,
    #[serde(default)]
    identifier: Option<String>,
    #[serde(default)]
    freshness: Value,
    #[serde(default)]
    meta: Value,
    #[serde(default)]
    source_meta: Value,
    #[serde(default, deserialize_with = "lenient")]
    config: MetaConfig,
}

#[derive(Debug, Default, Deserialize)]
struct MetaConfig {
    #[serde(default)]
    meta: Value,
}

#[derive(Debug, Default, Deserialize)]
struct ExposureJson {
    #[serde(default, deserialize_with = "lenient")]
    name: String,
    #[serde(default, deserialize_with = "lenient")]
    package_name: String,
    #[serde(default, deserialize_with = "lenient")]
    original_file_path: String,
    #[serde(rename = "type", default)]
    exposure_type: Option<String>,
    #[serde(default)]
    owner: Value,
    #[serde(default)]
    meta: Value,
    #[serde(default, deserialize_with = "lenient")]
    config: MetaConfig,
    #[serde(default, deserialize_with = "lenient")]
    refs: Vec<RefJson>,
    #[serde(default, deserialize_with = "lenient")]
    sources: Vec<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
struct GroupJson {
    #[serde(default, deserialize_with = "lenient")]
    name: String,
    #[serde(default)]
    owner: Value,
}
