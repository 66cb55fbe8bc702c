//! One dbt project, end to end: its packages and files, macros, schema
//! YAML, node configuration, rendering, and the facts that come out.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rayon::prelude::*;

use super::allows::{template_allows, yaml_allows};
use super::config::{ConfigTree, PartialConfig, Setting};
use super::jinja::objects::Relation;
use super::jinja::{target_value, DbtJinja, MacroDef, Scope};
use super::layers::{model_layer_hint, SOURCE_LAYER};
use super::models::{render_key, render_node, NodeFile, NodeKind, RenderedNode};
use super::packages::{self, same_package, DeclaredPackage};
use super::project::{join_rel, DbtProject};
use super::schema_yaml::{read_schema_file, NodeProps, SchemaFacts};
use super::template_scan::{rewrite_and_split, rewrite_dbt_blocks, scan_calls, CallKind};
use super::yaml::YNode;
use crate::cache::hash_parts;
use crate::diagnostic::Diagnostic;
use crate::facts::{
    Attributed, ConsumerFact, DataRef, DatasetFact, FileFacts, Ident, InlineAllow, JobFact,
    JobKind, Located, SourceFact,
};
use crate::parse::{FileContent, ParseContext};
use crate::span::Span;
use crate::sql_dialect::SqlDialect;

/// A package of the project (the root project first).
pub(super) struct Package {
    /// Its `dbt_project.yml`.
    pub(super) project: DbtProject,
    /// Whether it is the root project.
    pub(super) is_root: bool,
    /// Its files, repo-relative.
    pub(super) files: Vec<Arc<str>>,
}

/// What a file of a package is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Macro,
    Model,
    Snapshot,
    Seed,
    Test,
    Schema,
}

/// A node before rendering: its file, its configuration from YAML (what
/// `this` is while rendering), and for a package's node the root project's
/// folder configuration, which dbt lays over even the file's `config()`.
pub(super) struct PendingNode {
    pub(super) file: NodeFile,
    pub(super) config: PartialConfig,
    pub(super) root_over: Option<PartialConfig>,
}

/// What singular tests (`tests/*.sql`) select from, by literal `ref` and
/// `source` calls: those models and sources are checked.
#[derive(Default)]
pub(super) struct SingularTests {
    pub(super) models: BTreeSet<String>,
    pub(super) sources: BTreeSet<(String, String)>,
}

/// A classified file.
pub(super) struct Classified {
    /// Index of its package.
    pub(super) package: usize,
    /// What the file is.
    pub(super) role: Role,
    /// Repo-relative path.
    pub(super) rel: Arc<str>,
    /// Path relative to the project.
    pub(super) sub: String,
    /// Folders between the resource path and the file.
    pub(super) folders: Vec<String>,
}

/// The adapter type dbt would report for the manifest's dialect.
fn adapter_type(dialect: SqlDialect) -> &'static str {
    match dialect {
        SqlDialect::Snowflake => "snowflake",
        SqlDialect::BigQuery => "bigquery",
        SqlDialect::Redshift => "redshift",
        SqlDialect::DuckDb => "duckdb",
        SqlDialect::Databricks => "databricks",
        SqlDialect::MySql => "mysql",
        SqlDialect::Postgres | SqlDialect::Generic | SqlDialect::Ansi => "postgres",
    }
}

/// The installed packages of a project, the root project first, and the
/// declared packages that are not installed. Installed package folders go
/// to `facts.package_dirs`.
pub(super) fn load_packages(
    root: DbtProject,
    context: &ParseContext,
    facts: &mut FileFacts,
) -> (Vec<Package>, Vec<DeclaredPackage>) {
    let declared = packages::declared(&root.dir, context);
    let mut pkgs = vec![Package {
        files: root_files(&root, context),
        project: root.clone(),
        is_root: true,
    }];
    for dir in packages::installed_dirs(&root, &declared, context) {
        let local = declared
            .iter()
            .any(|d| d.local.as_deref() == Some(dir.as_str()));
        // A local package that is the project itself, or holds it, is
        // already being read.
        if local && crate::workspace::within(&dir, &root.dir) {
            continue;
        }
        let file: Arc<str> = Arc::from(join_rel(&dir, "dbt_project.yml"));
        let parsed = context
            .read(&file)
            .and_then(|text| DbtProject::parse(&file, &dir, &text));
        match parsed {
            Ok(project) if !project.name.is_empty() => {
                // A local package is the repo's own code, checked as the
                // project it also is; an installed one is someone else's.
                if !local {
                    facts.package_dirs.push(Arc::from(dir.as_str()));
                }
                pkgs.push(Package {
                    files: packages::package_files(&dir, context),
                    project,
                    is_root: false,
                });
            }
            Ok(_) => {}
            Err(d) => facts.diagnostics.push(*d),
        }
    }
    let missing: Vec<DeclaredPackage> = declared
        .into_iter()
        .filter(|d| {
            !pkgs.iter().skip(1).any(|p| {
                same_package(&p.project.name, &d.name)
                    || same_package(p.project.dir.rsplit('/').next().unwrap_or(""), &d.name)
            })
        })
        .collect();
    (pkgs, missing)
}

/// All facts of the project rooted at `root`, its models rendered.
pub fn project_facts(root: DbtProject, context: &ParseContext) -> FileFacts {
    let mut facts = FileFacts::default();
    let (pkgs, missing) = load_packages(root, context, &mut facts);
    let files = classify(&pkgs);
    // Each file's content. A file may be known by its content hash alone
    // (see `ParseContext::content`): what is made of a macro file, a
    // snapshot's name, a model's render and a schema file's properties
    // are parts recalled by that hash, and a seed's text is never needed.
    // Singular tests (few) are read.
    let contents: Vec<Option<FileContent>> = files
        .par_iter()
        .map(|f| {
            let content = context.content(&f.rel)?;
            if f.role == Role::Test {
                context.text_of(&content)?;
            }
            Ok(content)
        })
        .collect::<Vec<Result<FileContent, Box<Diagnostic>>>>()
        .into_iter()
        .map(|r| r.map_err(|d| facts.diagnostics.push(*d)).ok())
        .collect();

    // Macros.
    // Every stage below reads files in parallel and gathers in file order,
    // so the result is the one a sequential pass gives.
    let of_role = |role: Role| -> Vec<(&Classified, &FileContent)> {
        files
            .iter()
            .zip(&contents)
            .filter_map(|(f, c)| Some((f, c.as_ref()?)))
            .filter(|(f, _)| f.role == role)
            .collect()
    };
    let split: Vec<_> = of_role(Role::Macro)
        .into_par_iter()
        .map(|(f, content)| {
            let part = format!("macros:{}", f.rel);
            let split = context.remembered_from(&part, content, file_key(&f.rel), |text| {
                let (defs, error) = rewrite_and_split(text);
                let error =
                    error.map(|(message, offset)| template_error(&f.rel, text, offset, &message));
                (defs, error)
            });
            (f.package, split)
        })
        .collect();
    let mut macros = Vec::new();
    for (package, split) in split {
        let (defs, error) = match split {
            Ok(split) => split,
            Err(d) => (Vec::new(), Some(*d)),
        };
        facts.diagnostics.extend(error);
        macros.extend(defs.into_iter().map(|m| MacroDef {
            package: pkgs[package].project.name.clone(),
            name: m.name,
            source: m.source,
        }));
    }

    // The name each snapshot's block gives it (none: not a snapshot).
    let snapshot_names: Vec<_> = of_role(Role::Snapshot)
        .into_par_iter()
        .map(|(f, content)| {
            let part = format!("snapshot:{}", f.rel);
            let name = context.remembered_from(&part, content, file_key(&f.rel), |text| {
                rewrite_dbt_blocks(text).1
            });
            (f.rel.as_ref(), name)
        })
        .collect();
    let mut snapshot_name: BTreeMap<&str, String> = BTreeMap::new();
    for (rel, name) in snapshot_names {
        match name {
            Ok(Some(name)) => {
                snapshot_name.insert(rel, name);
            }
            Ok(None) => {}
            Err(d) => facts.diagnostics.push(*d),
        }
    }

    // Schema YAML, with Jinja in values rendered by a macro-less environment.
    let base = base_scope(&pkgs, &missing, context);
    let light = DbtJinja::new(base_scope(&pkgs, &missing, context), Vec::new());
    let read: Vec<_> = of_role(Role::Schema)
        .into_par_iter()
        .map(|(f, content)| {
            let package = &pkgs[f.package].project.name;
            let key = |content: crate::cache::Hash| {
                let fingerprint = light.fingerprint().to_le_bytes();
                hash_parts([
                    &fingerprint[..],
                    f.rel.as_bytes(),
                    package.as_bytes(),
                    &content.to_le_bytes(),
                ])
            };
            context.remembered_from(&format!("schema:{}", f.rel), content, key, |text| {
                let render = |s: &str| light.render_config(s, package);
                let mut one = SchemaFacts::default();
                read_schema_file(&f.rel, text, package, &render, &mut one);
                (one, yaml_allows(&f.rel, text))
            })
        })
        .collect();
    let mut schema = SchemaFacts::default();
    for result in read {
        match result {
            Ok((one, allows)) => {
                schema.append(one);
                facts.allows.extend(allows);
            }
            Err(d) => facts.diagnostics.push(*d),
        }
    }
    facts.diagnostics.append(&mut schema.diagnostics);

    // Folder configuration of every package, rendered.
    let trees: Vec<[ConfigTree; 3]> = pkgs
        .iter()
        .map(|p| {
            let render = |s: &str| light.render_config(s, &p.project.name);
            [
                DbtProject::config_tree(p.project.models.as_ref(), &p.project.file, &render),
                DbtProject::config_tree(p.project.seeds.as_ref(), &p.project.file, &render),
                DbtProject::config_tree(p.project.snapshots.as_ref(), &p.project.file, &render),
            ]
        })
        .collect();

    // Nodes and their configuration before rendering, in parallel and
    // gathered in file order.
    let props = props_index(&schema);
    let singular = singular_tests(&files, &contents);
    // The content of each node's file, beside `nodes` (in file order: a
    // parallel collect into vectors keeps the order).
    let (nodes, node_contents): (Vec<PendingNode>, Vec<&FileContent>) = files
        .par_iter()
        .zip(&contents)
        .filter_map(|(f, content)| {
            let content = content.as_ref()?;
            let node = pending_node(f, &pkgs, &trees, &props, &snapshot_name)?;
            Some((node, content))
        })
        .unzip();

    // The full environment, with macros and relations.
    let mut scope = base;
    for PendingNode {
        file: node, config, ..
    } in &nodes
    {
        scope
            .model_relations
            .entry(node.name.clone())
            .or_insert(Relation {
                database: config.database.as_ref().map(|s| s.value.clone()),
                schema: config.schema.as_ref().map(|s| s.value.clone()),
                identifier: Some(
                    config
                        .alias
                        .as_ref()
                        .map_or_else(|| node.name.clone(), |s| s.value.clone()),
                ),
            });
    }
    for s in &schema.sources {
        scope.source_relations.insert(
            (s.source.clone(), s.table.clone()),
            Relation {
                database: s.database.clone(),
                schema: Some(s.schema.clone()),
                identifier: Some(s.identifier.clone()),
            },
        );
    }
    let jinja = DbtJinja::new(scope, macros);
    // Each render keeps the allow comments of its template: the text is
    // read only when the render is made afresh.
    let rendered: Vec<Option<Result<NodeRender, _>>> = nodes
        .par_iter()
        .zip(&node_contents)
        .map(|(n, content)| {
            (n.file.kind != NodeKind::Seed).then(|| {
                let key = |hash| render_key(&jinja, &n.file, hash, &n.config);
                let part = format!("render:{}", n.file.rel);
                context.remembered_from(&part, content, key, |text| {
                    let allows = template_allows(&n.file.rel, text);
                    (
                        Arc::new(render_node(&jinja, &n.file, text, &n.config)),
                        allows,
                    )
                })
            })
        })
        .collect();
    // A file known by its hash that cannot be read now changed during the
    // run: it is reported, and its node left unrendered.
    let rendered: Vec<Option<Arc<RenderedNode>>> = rendered
        .into_iter()
        .map(|r| match r? {
            Ok((r, allows)) => {
                facts.allows.extend(allows);
                Some(r)
            }
            Err(d) => {
                facts.diagnostics.push(*d);
                None
            }
        })
        .collect();

    let root_package = pkgs[0].project.name.clone();
    let projects = packages::declared_projects(&pkgs[0].project.dir, context);
    emit(
        &mut facts,
        &root_package,
        &projects,
        &missing,
        nodes,
        rendered,
        &schema,
        &props,
        &singular,
    );
    // What the facts were made from is freed beside what follows (the
    // cache's copy of them, the graph), not before it.
    crate::aside::free((pkgs, files, contents, schema, jinja, light, singular, trees));
    facts
}

/// The key of a part made of one file alone, given its content hash: the
/// file's path (its diagnostics name it) and that hash.
fn file_key(rel: &str) -> impl Fn(crate::cache::Hash) -> crate::cache::Hash + '_ {
    move |content| hash_parts([rel.as_bytes(), &content.to_le_bytes()])
}

/// What the singular tests among `files` select from, by their literal
/// `ref` and `source` calls.
fn singular_tests(files: &[Classified], contents: &[Option<FileContent>]) -> SingularTests {
    let mut singular = SingularTests::default();
    for (f, content) in files.iter().zip(contents) {
        let Some(text) = content
            .as_ref()
            .filter(|_| f.role == Role::Test)
            .and_then(FileContent::text)
        else {
            continue;
        };
        for call in scan_calls(text).0.iter().filter(|c| c.is_literal()) {
            match (call.kind, call.args.as_slice()) {
                (CallKind::Ref, [.., Some(name)]) => {
                    singular.models.insert(name.clone());
                }
                (CallKind::Source, [Some(source), Some(table)]) => {
                    singular.sources.insert((source.clone(), table.clone()));
                }
                _ => {}
            }
        }
    }
    singular
}

/// The node a model, seed or snapshot file makes, with its configuration
/// before rendering (none for other files, and for a snapshot file whose
/// block names no snapshot).
fn pending_node(
    f: &Classified,
    pkgs: &[Package],
    trees: &[[ConfigTree; 3]],
    props: &Props<'_>,
    snapshot_name: &BTreeMap<&str, String>,
) -> Option<PendingNode> {
    let pkg = &pkgs[f.package];
    let (kind, tree) = match f.role {
        Role::Model => (NodeKind::Model, 0),
        Role::Seed => (NodeKind::Seed, 1),
        Role::Snapshot => (NodeKind::Snapshot, 2),
        Role::Test | Role::Macro | Role::Schema => return None,
    };
    let name = match kind {
        NodeKind::Snapshot => snapshot_name.get(f.rel.as_ref())?.clone(),
        _ => file_stem(&f.rel).to_string(),
    };
    let folders: Vec<&str> = f.folders.iter().map(String::as_str).collect();
    // dbt's precedence: the package's own dbt_project.yml, properties
    // YAML, `config()` in the file, and for a package's node the root
    // project's dbt_project.yml over all of them.
    let mut config = trees[f.package][tree].resolve(&pkg.project.name, &folders, &name);
    if let Some(p) = props.get(&(kind, pkg.project.name.as_str(), name.as_str())) {
        config.merge(&p.config);
    }
    let root_over =
        (!pkg.is_root).then(|| trees[0][tree].resolve(&pkg.project.name, &folders, &name));
    if let Some(over) = &root_over {
        config.merge(over);
    }
    Some(PendingNode {
        file: NodeFile {
            package: pkg.project.name.clone(),
            kind,
            name,
            rel: f.rel.clone(),
            project_path: f.sub.clone(),
            folders: f.folders.clone(),
        },
        config,
        root_over,
    })
}

/// Node properties by (kind, package, name).
pub(super) fn props_index(schema: &SchemaFacts) -> Props<'_> {
    schema
        .models
        .iter()
        .map(|p| (NodeKind::Model, p))
        .chain(schema.seeds.iter().map(|p| (NodeKind::Seed, p)))
        .chain(schema.snapshots.iter().map(|p| (NodeKind::Snapshot, p)))
        .flat_map(|(k, p)| {
            // A versioned model's files are its versions (`dim_v2.sql`).
            std::iter::once(p.name.as_str())
                .chain(p.versions.iter().map(|(_, stem)| stem.as_str()))
                .map(move |name| ((k, p.package.as_str(), name), p))
        })
        .collect()
}

/// Node properties by (kind, package, name), as [`props_index`] makes them.
/// (Hashed: every node looks its properties up, and the order is never read.)
pub(super) type Props<'a> = foldhash::HashMap<(NodeKind, &'a str, &'a str), &'a NodeProps>;

/// Turns nodes, what rendering (or dbt's manifest) found in them, and the
/// schema YAML into facts: jobs, datasets, sources, consumers, and one
/// diagnostic per package that refs point into but is not installed.
#[allow(clippy::too_many_arguments)]
pub(super) fn emit(
    facts: &mut FileFacts,
    root_package: &str,
    projects: &[String],
    missing: &[DeclaredPackage],
    nodes: Vec<PendingNode>,
    rendered: Vec<Option<Arc<RenderedNode>>>,
    schema: &SchemaFacts,
    props: &Props,
    singular: &SingularTests,
) {
    let groups: BTreeMap<&str, &Setting<String>> = schema
        .groups
        .iter()
        .filter_map(|g| Some((g.name.as_str(), g.owner.as_ref()?)))
        .collect();
    // Final configuration (config() calls win) and the enabled nodes.
    let mut finals: Vec<(NodeFile, PartialConfig, Option<Arc<RenderedNode>>)> =
        Vec::with_capacity(nodes.len());
    for (pending, r) in nodes.into_iter().zip(rendered) {
        let (node, mut config) = (pending.file, pending.config);
        if let Some(r) = &r {
            config.merge(&r.config);
        }
        if let Some(over) = &pending.root_over {
            config.merge(over);
        }
        if config.is_enabled() {
            finals.push((node, config, r));
        }
    }
    let known: BTreeSet<&str> = finals.iter().map(|(n, _, _)| n.name.as_str()).collect();
    let versions = ModelVersions::new(schema);
    let mut known = known;
    known.extend(versions.base_names());
    let namespace = Namespace::new(
        root_package,
        finals.iter().map(|(n, _, _)| {
            let base = versions
                .of(&n.package, &n.name)
                .map_or(n.name.as_str(), |v| v.0);
            (n.package.as_str(), base)
        }),
        &versions,
    );
    let missing_names: BTreeSet<&str> = missing.iter().map(|d| d.name.as_str()).collect();
    let snapshot_sources = snapshot_sources(&finals, schema);
    let around = Around {
        groups: &groups,
        props,
        known: &known,
        nearest: std::sync::OnceLock::new(),
        namespace: &namespace,
        missing,
        missing_names: &missing_names,
        projects,
        snapshot_sources: &snapshot_sources,
        singular,
        versions: &versions,
    };
    // Each node on its own, in parallel; gathered in node order, so the
    // result is the one a sequential pass gives.
    // The facts the schema YAML declares (sources, semantic models,
    // exposures) are made beside them.
    let (emitted, declared): (Vec<Emitted>, FileFacts) = rayon::join(
        || {
            finals
                .par_iter()
                .map(|(node, config, r)| around.emit_node(node, config, r.as_deref()))
                .collect()
        },
        || {
            declared_facts(
                root_package,
                schema,
                singular,
                &namespace,
                &snapshot_sources,
            )
        },
    );
    let mut into_missing: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut unattributed: BTreeSet<String> = BTreeSet::new();
    let mut namespace_uses: BTreeSet<String> = BTreeSet::new();
    facts.jobs.reserve(emitted.len());
    facts.datasets.reserve(emitted.len() + schema.sources.len());
    for e in emitted {
        facts.diagnostics.extend(e.diagnostics);
        namespace_uses.extend(e.namespace_uses);
        for (package, name) in e.into_missing {
            into_missing.entry(package).or_default().insert(name);
        }
        unattributed.extend(e.unattributed);
        facts.jobs.push(e.job);
        facts.datasets.push(e.dataset);
    }

    for d in missing {
        let explicit = into_missing.get(&d.name).cloned().unwrap_or_default();
        let used = namespace_uses.contains(&d.name);
        if explicit.is_empty() && unattributed.is_empty() && !used {
            continue;
        }
        let names: Vec<String> = explicit.union(&unattributed).take(5).cloned().collect();
        let count = explicit.len() + unattributed.len();
        let what = if count == 0 {
            "its macros are used".to_string()
        } else {
            format!(
                "{count} refs name no model of this project and may point into it (e.g. {})",
                names.join(", ")
            )
        };
        facts.diagnostics.push(
            Diagnostic::new(
                "unresolved-reference",
                format!("package `{}` is declared but not installed: {what}", d.name),
            )
            .at(Some(d.span.clone()))
            .help("run `dbt deps` so pipelint can read the package's models, sources and macros"),
        );
    }

    facts.sources.extend(declared.sources);
    facts.datasets.extend(declared.datasets);
    facts.consumers.extend(declared.consumers);
}

/// The sources the schema YAML declares (each with the dataset it lands
/// in), the datasets its semantic models serve and its exposures.
fn declared_facts(
    root_package: &str,
    schema: &SchemaFacts,
    singular: &SingularTests,
    namespace: &Namespace<'_>,
    snapshot_sources: &BTreeMap<(String, String, String), String>,
) -> FileFacts {
    let mut facts = FileFacts::default();
    for s in &schema.sources {
        if snapshot_sources.contains_key(&(s.package.clone(), s.source.clone(), s.table.clone())) {
            continue;
        }
        let name = format!("{}.{}", s.source, s.table);
        let mut parts = Vec::new();
        if let Some(db) = &s.database {
            parts.push(db.clone());
        }
        parts.push(s.schema.clone());
        parts.push(s.identifier.clone());
        let lands = Located::new(idents(parts), s.span.clone());
        facts.sources.push(SourceFact {
            project: Some(s.package.clone()),
            name,
            system: None,
            lands_in: Some(lands.clone()),
            span: s.span.clone(),
            owner: s
                .owner
                .as_ref()
                .map(|o| Attributed::new(o.value.clone(), "meta.owner", o.span.clone())),
            cadence: s
                .cadence
                .as_ref()
                .map(|c| Attributed::new(c.value.clone(), "freshness", c.span.clone())),
        });
        facts.datasets.push(DatasetFact {
            name: lands,
            external: true,
            layer_hint: Some(SOURCE_LAYER.to_string()),
            checked: s.tested
                || singular
                    .sources
                    .contains(&(s.source.clone(), s.table.clone())),
            served: false,
        });
    }
    for (package, read, span) in &schema.semantic_reads {
        let read = namespace.qualify(package, &Located::new(read.clone(), span.clone()));
        facts.datasets.push(DatasetFact {
            name: read,
            external: false,
            layer_hint: None,
            checked: false,
            served: true,
        });
    }
    for e in &schema.exposures {
        facts.consumers.push(ConsumerFact {
            freshness_optional: true,
            name: e.name.clone(),
            kind: e.kind.clone(),
            span: e.span.clone(),
            owner: e
                .owner
                .as_ref()
                .map(|o| Attributed::new(o.value.clone(), "owner", o.span.clone())),
            freshness: e
                .freshness
                .as_ref()
                .map(|f| Attributed::new(f.value.clone(), "meta.freshness", f.span.clone())),
            reads: e
                .reads
                .iter()
                .map(|(d, s)| namespace.qualify(root_package, &Located::new(d.clone(), s.clone())))
                .collect(),
        });
    }
    facts
}

/// What every node's facts are made against (see [`Around::emit_node`]).
struct Around<'a> {
    /// Group name → its owner.
    groups: &'a BTreeMap<&'a str, &'a Setting<String>>,
    props: &'a Props<'a>,
    /// Every enabled node's name, and every versioned model's base name.
    known: &'a BTreeSet<&'a str>,
    /// The nearest known names, made on the first unresolved ref that
    /// needs them.
    nearest: std::sync::OnceLock<crate::suggest::Nearest<'a>>,
    namespace: &'a Namespace<'a>,
    missing: &'a [DeclaredPackage],
    missing_names: &'a BTreeSet<&'a str>,
    projects: &'a [String],
    snapshot_sources: &'a BTreeMap<(String, String, String), String>,
    singular: &'a SingularTests,
    versions: &'a ModelVersions<'a>,
}

/// What one node gives: its job and output dataset, its findings, and
/// the refs that may point into a package that is not installed.
struct Emitted {
    job: JobFact,
    dataset: DatasetFact,
    diagnostics: Vec<Diagnostic>,
    /// Names of packages not installed that the node's macros use.
    namespace_uses: Vec<String>,
    /// (missing package, model name) of refs naming that package.
    into_missing: Vec<(String, String)>,
    /// Model names of refs that name no model and no package.
    unattributed: Vec<String>,
}

impl Around<'_> {
    /// The facts of one enabled node, with its final configuration and
    /// its render (none for a seed).
    fn emit_node(
        &self,
        node: &NodeFile,
        config: &PartialConfig,
        r: Option<&RenderedNode>,
    ) -> Emitted {
        let mut diagnostics = Vec::new();
        let mut namespace_uses = Vec::new();
        let mut into_missing = Vec::new();
        let mut unattributed = Vec::new();
        let props = self
            .props
            .get(&(node.kind, node.package.as_str(), node.name.as_str()));
        let span = props.map_or_else(|| Span::file_start(&node.rel), |p| p.span.clone());
        let (job_kind, prefix) = match node.kind {
            NodeKind::Model => (JobKind::Model, "model"),
            NodeKind::Snapshot => (JobKind::Snapshot, "snapshot"),
            NodeKind::Seed => (JobKind::Seed, "seed"),
        };
        let version = (node.kind == NodeKind::Model)
            .then(|| self.versions.of(&node.package, &node.name))
            .flatten();
        let (id_name, short) = match version {
            Some((base, v)) => (format!("{base}.v{v}"), base.to_string()),
            None => (node.name.clone(), node.name.clone()),
        };
        let mut job = JobFact::new(
            node_id(prefix, &node.package, &id_name),
            job_kind,
            short,
            span.clone(),
        );
        job.file = Some(node.rel.clone());
        job.owner = owner(config, self.groups, &node.rel);
        if let Some(r) = r {
            if let Some((message, at)) = &r.failure {
                job.partial = true;
                diagnostics.push(
                    Diagnostic::new(
                        "unresolved-dynamic",
                        format!(
                            "{} `{}` could not be rendered ({message}); its refs and sources were read from the literal calls in the file",
                            node.kind.as_str(),
                            node.name
                        ),
                    )
                    .node(job.id.clone())
                    .at(Some(at.clone()))
                    .help("refs computed inside macros may be missing; a `-- depends_on: {{ ref('x') }}` comment makes them explicit"),
                );
            }
            namespace_uses.extend(r.missing_namespaces.iter().cloned());
            for read in &r.reads {
                if let DataRef::Model {
                    package: Some(p),
                    name,
                    ..
                } = &read.value
                {
                    let reachable = p == &node.package
                        || self.namespace.has_package(p)
                        || self.missing_names.contains(p.as_str())
                        || self.projects.contains(p);
                    if !reachable {
                        job.partial = true;
                        diagnostics.push(
                            Diagnostic::new(
                                "unresolved-reference",
                                format!("`ref('{p}', '{name}')` names project `{p}`, which is neither installed nor declared in dependencies.yml"),
                            )
                            .node(job.id.clone())
                            .at(Some(read.span.clone()))
                            .key(format!("{p}.{name}"))
                            .help(format!("add `projects: [{{name: {p}}}]` to dependencies.yml, or install `{p}` as a package")),
                        );
                        continue;
                    }
                }
                if let DataRef::Model { package, name, .. } = &read.value {
                    let unresolved = !self.known.contains(name.as_str());
                    if unresolved && !self.missing.is_empty() {
                        let target = package
                            .as_deref()
                            .filter(|p| self.missing_names.contains(p))
                            .map(str::to_string);
                        let near = self
                            .nearest
                            .get_or_init(|| {
                                crate::suggest::Nearest::new(self.known.iter().copied())
                            })
                            .closest(name)
                            .is_some();
                        if target.is_some() || (package.is_none() && !near) {
                            job.partial = true;
                            match target {
                                Some(p) => into_missing.push((p, name.clone())),
                                None => unattributed.push(name.clone()),
                            };
                            continue;
                        }
                    }
                }
                if let DataRef::DbtSource { source, table } = &read.value {
                    let key = (node.package.clone(), source.clone(), table.clone());
                    if let Some(snapshot) = self.snapshot_sources.get(&key) {
                        let output = DataRef::Model {
                            package: Some(node.package.clone()),
                            name: snapshot.clone(),
                            version: None,
                        };
                        job.reads.push(Located::new(output, read.span.clone()));
                        continue;
                    }
                }
                job.reads.push(self.namespace.qualify(&node.package, read));
            }
        }
        let target = Located::new(table_ref(config, &node.name), span.clone());
        job.writes.push(target.clone());
        let checked = props.is_some_and(|p| p.tested) || self.singular.models.contains(&node.name);
        let folders: Vec<&str> = node.folders.iter().map(String::as_str).collect();
        let dataset = DatasetFact {
            name: target,
            external: node.kind == NodeKind::Seed,
            layer_hint: match node.kind {
                NodeKind::Model => model_layer_hint(&folders, &node.name).map(str::to_string),
                NodeKind::Snapshot | NodeKind::Seed => None,
            },
            checked,
            served: node.kind == NodeKind::Model && node.name == TIME_SPINE,
        };
        Emitted {
            job,
            dataset,
            diagnostics,
            namespace_uses,
            into_missing,
            unattributed,
        }
    }
}

/// Source tables that are the output of a snapshot their own project
/// builds (same schema and table, and database when both name one), by
/// (package, source, table) → snapshot name: reading them reads the
/// snapshot, not external raw data.
fn snapshot_sources(
    finals: &[(NodeFile, PartialConfig, Option<Arc<RenderedNode>>)],
    schema: &SchemaFacts,
) -> BTreeMap<(String, String, String), String> {
    let lower = |s: &str| s.to_lowercase();
    let mut outputs: BTreeMap<(String, String, String), (Option<String>, String)> = BTreeMap::new();
    for (node, config, _) in finals.iter().filter(|f| f.0.kind == NodeKind::Snapshot) {
        let Some(schema_name) = &config.schema else {
            continue;
        };
        let table = config
            .alias
            .as_ref()
            .map_or(node.name.as_str(), |a| a.value.as_str());
        outputs.insert(
            (
                node.package.clone(),
                lower(&schema_name.value),
                lower(table),
            ),
            (
                config.database.as_ref().map(|d| lower(&d.value)),
                node.name.clone(),
            ),
        );
    }
    let mut out = BTreeMap::new();
    for s in &schema.sources {
        let key = (s.package.clone(), lower(&s.schema), lower(&s.identifier));
        if let Some((database, snapshot)) = outputs.get(&key) {
            let same_db = match (database, &s.database) {
                (Some(a), Some(b)) => *a == lower(b),
                _ => true,
            };
            if same_db {
                out.insert(
                    (s.package.clone(), s.source.clone(), s.table.clone()),
                    snapshot.clone(),
                );
            }
        }
    }
    out
}

/// The model MetricFlow reads as its time spine by default.
const TIME_SPINE: &str = "metricflow_time_spine";

/// The node id of a dbt node, qualified by its project as dbt's `unique_id`
/// is: `model:<project>.<name>` (`prefix` is `model`, `seed` or `snapshot`).
pub fn node_id(prefix: &str, package: &str, name: &str) -> String {
    let mut id = String::with_capacity(prefix.len() + package.len() + name.len() + 2);
    for part in [prefix, ":", package, ".", name] {
        id.push_str(part);
    }
    id
}

/// The nodes of a project and its installed packages, to resolve a `ref`
/// as dbt does: a two-argument `ref` names its package; a one-argument
/// `ref` is looked up in the calling node's package, then the root
/// project, then any installed package. A ref found nowhere stays in the
/// caller's package, so it never resolves into another project of the repo.
struct Namespace<'a> {
    root: &'a str,
    by_name: BTreeMap<&'a str, BTreeSet<&'a str>>,
    versions: &'a ModelVersions<'a>,
}

/// Versioned models (`versions:` in schema YAML): which file is which
/// version, and the version an unversioned `ref` means (`latest_version`).
struct ModelVersions<'a> {
    /// (package, file stem) → (model name, version).
    by_file: BTreeMap<(&'a str, &'a str), (&'a str, &'a str)>,
    /// (package, model name) → latest version.
    latest: BTreeMap<(&'a str, &'a str), &'a str>,
}

impl<'a> ModelVersions<'a> {
    fn new(schema: &'a SchemaFacts) -> ModelVersions<'a> {
        let mut by_file = BTreeMap::new();
        let mut latest = BTreeMap::new();
        for p in schema.models.iter().filter(|p| !p.versions.is_empty()) {
            for (v, stem) in &p.versions {
                by_file.insert(
                    (p.package.as_str(), stem.as_str()),
                    (p.name.as_str(), v.as_str()),
                );
            }
            if let Some(l) = &p.latest_version {
                latest.insert((p.package.as_str(), p.name.as_str()), l.as_str());
            }
        }
        ModelVersions { by_file, latest }
    }

    /// The model name and version a node file is, when versioned.
    fn of(&self, package: &str, stem: &str) -> Option<(&'a str, &'a str)> {
        self.by_file.get(&(package, stem)).copied()
    }

    fn base_names(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.latest.keys().map(|(_, name)| *name)
    }
}

impl<'a> Namespace<'a> {
    fn new(
        root: &'a str,
        nodes: impl Iterator<Item = (&'a str, &'a str)>,
        versions: &'a ModelVersions<'a>,
    ) -> Namespace<'a> {
        let mut by_name: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for (package, name) in nodes {
            by_name.entry(name).or_default().insert(package);
        }
        Namespace {
            root,
            by_name,
            versions,
        }
    }

    /// Whether `package` is the root project or an installed package.
    fn has_package(&self, package: &str) -> bool {
        package == self.root || self.by_name.values().any(|ps| ps.contains(package))
    }

    /// The read with its `ref`'s package filled in, and the latest
    /// version for an unversioned `ref` to a versioned model.
    fn qualify(&self, caller: &str, read: &Located<DataRef>) -> Located<DataRef> {
        let DataRef::Model {
            package,
            name,
            version,
        } = &read.value
        else {
            return read.clone();
        };
        let packages = self.by_name.get(name.as_str());
        let package = match package {
            Some(p) => p.as_str(),
            None => [caller, self.root]
                .into_iter()
                .find(|p| packages.is_some_and(|ps| ps.contains(p)))
                .or_else(|| packages.and_then(|ps| ps.iter().next().copied()))
                .unwrap_or(caller),
        };
        let version = version.clone().or_else(|| {
            self.versions
                .latest
                .get(&(package, name.as_str()))
                .map(|v| v.to_string())
        });
        Located::new(
            DataRef::Model {
                package: Some(package.to_string()),
                name: name.clone(),
                version,
            },
            read.span.clone(),
        )
    }
}

/// The node's owner: `meta.owner`, else its group's owner.
fn owner(
    config: &PartialConfig,
    groups: &BTreeMap<&str, &Setting<String>>,
    file: &Arc<str>,
) -> Option<Attributed<String>> {
    if let Some(o) = &config.owner {
        let span = o.span.clone().or_else(|| Some(Span::file_start(file)));
        return Some(Attributed::new(o.value.clone(), "meta.owner", span));
    }
    let group = config.group.as_ref()?;
    let o = groups.get(group.value.as_str())?;
    Some(Attributed::new(
        o.value.clone(),
        format!("group {}", group.value),
        o.span.clone(),
    ))
}

/// The table a node builds: `[database.][schema.]alias` as configured (the
/// custom schema name as written; projects usually override
/// `generate_schema_name` to use it verbatim).
pub fn table_ref(config: &PartialConfig, name: &str) -> DataRef {
    let mut parts = Vec::new();
    if let Some(schema) = &config.schema {
        if let Some(db) = &config.database {
            parts.push(db.value.clone());
        }
        parts.push(schema.value.clone());
    }
    parts.push(
        config
            .alias
            .as_ref()
            .map_or_else(|| name.to_string(), |a| a.value.clone()),
    );
    idents(parts)
}

fn idents(parts: Vec<String>) -> DataRef {
    DataRef::Table(
        parts
            .into_iter()
            .map(|value| Ident {
                value,
                quoted: false,
            })
            .collect(),
    )
}

/// A node's render and the allow comments of its template, remembered as
/// one part. The render is shared, not copied, when the part is recalled
/// from memory: the facts are made from it by reference.
type NodeRender = (Arc<RenderedNode>, Vec<InlineAllow>);

/// The project-wide part of the Jinja scope (no macros, no relations).
fn base_scope(pkgs: &[Package], missing: &[DeclaredPackage], context: &ParseContext) -> Scope {
    let root = &pkgs[0].project;
    let adapter = adapter_type(context.dialect);
    Scope {
        root_package: root.name.clone(),
        installed: pkgs.iter().map(|p| p.project.name.clone()).collect(),
        missing: missing.iter().map(|d| d.name.clone()).collect(),
        root_vars: root.vars.clone(),
        package_vars: pkgs
            .iter()
            .skip(1)
            .filter_map(|p| Some((p.project.name.clone(), p.project.vars.clone()?)))
            .collect::<BTreeMap<String, YNode>>(),
        dispatch: root.dispatch.clone(),
        adapter_type: adapter.to_string(),
        target: target_value(adapter),
        ..Scope::default()
    }
}

/// The root project's files, from discovery (so .gitignore applies), less
/// its packages folder and build output.
fn root_files(root: &DbtProject, context: &ParseContext) -> Vec<Arc<str>> {
    let prefix = if root.dir.is_empty() {
        String::new()
    } else {
        format!("{}/", root.dir)
    };
    let excluded: Vec<String> = [
        root.packages_install_path.as_str(),
        root.target_path.as_str(),
        "target",
        "dbt_packages",
        "logs",
    ]
    .iter()
    .map(|p| format!("{}/", root.rel(p)))
    .collect();
    let mut files: Vec<Arc<str>> = context
        .paths
        .iter()
        .filter(|p| p.starts_with(&prefix) && !excluded.iter().any(|e| p.starts_with(e.as_str())))
        .cloned()
        .collect();
    files.sort();
    files
}

/// Sorts a package's files into macros, models, snapshots, seeds, tests
/// and schema files by the project's paths.
pub(super) fn classify(pkgs: &[Package]) -> Vec<Classified> {
    let mut out = Vec::new();
    for (index, pkg) in pkgs.iter().enumerate() {
        let p = &pkg.project;
        let prefix = if p.dir.is_empty() {
            String::new()
        } else {
            format!("{}/", p.dir)
        };
        // Each resource path as the prefix of the files under it.
        let folder = |paths: &[String]| -> Vec<String> {
            paths
                .iter()
                .map(|base| {
                    if base.is_empty() {
                        String::new()
                    } else {
                        format!("{base}/")
                    }
                })
                .collect()
        };
        let [macro_paths, snapshot_paths, model_paths, seed_paths, test_paths] = [
            &p.macro_paths,
            &p.snapshot_paths,
            &p.model_paths,
            &p.seed_paths,
            &p.test_paths,
        ]
        .map(|paths| folder(paths));
        for rel in &pkg.files {
            let Some(sub) = rel.strip_prefix(&prefix) else {
                continue;
            };
            let ext = sub
                .rsplit_once('.')
                .map_or("", |(_, e)| e)
                .to_ascii_lowercase();
            let under = |paths: &[String]| {
                paths.iter().find_map(|base| {
                    let rest = sub.strip_prefix(base.as_str())?;
                    let mut folders: Vec<String> = rest.split('/').map(str::to_string).collect();
                    folders.pop();
                    Some(folders)
                })
            };
            let is_yaml = ext == "yml" || ext == "yaml";
            let found = if let Some(folders) = under(&macro_paths) {
                match ext.as_str() {
                    "sql" => Some((Role::Macro, folders)),
                    _ if is_yaml => Some((Role::Schema, folders)),
                    _ => None,
                }
            } else if let Some(folders) = under(&snapshot_paths) {
                match ext.as_str() {
                    "sql" => Some((Role::Snapshot, folders)),
                    _ if is_yaml => Some((Role::Schema, folders)),
                    _ => None,
                }
            } else if let Some(folders) = under(&model_paths) {
                match ext.as_str() {
                    "sql" => Some((Role::Model, folders)),
                    _ if is_yaml => Some((Role::Schema, folders)),
                    _ => None,
                }
            } else if let Some(folders) = under(&seed_paths) {
                match ext.as_str() {
                    "csv" => Some((Role::Seed, folders)),
                    _ if is_yaml => Some((Role::Schema, folders)),
                    _ => None,
                }
            } else if let Some(folders) = under(&test_paths) {
                match ext.as_str() {
                    "sql" => Some((Role::Test, folders)),
                    _ if is_yaml => Some((Role::Schema, folders)),
                    _ => None,
                }
            } else {
                None
            };
            if let Some((role, folders)) = found {
                out.push(Classified {
                    package: index,
                    role,
                    rel: rel.clone(),
                    sub: sub.to_string(),
                    folders,
                });
            }
        }
    }
    out
}

pub(super) fn file_stem(rel: &str) -> &str {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}

pub(super) fn template_error(
    file: &Arc<str>,
    text: &str,
    offset: usize,
    message: &str,
) -> Diagnostic {
    let index = crate::span::LineIndex::new(text);
    Diagnostic::new("parse-error", format!("{file}: {message}"))
        .at(Some(index.span(file, text, offset, offset)))
        .help("fix the Jinja syntax; dbt cannot read this file either")
}
