//! Schema YAML (properties files): `models:`, `seeds:`, `snapshots:`,
//! `sources:`, `exposures:`, `groups:`; other top-level keys
//! (`semantic_models:`, `metrics:`, `unit_tests:`, …) are tolerated.

use std::sync::Arc;

use super::config::{owner_text, PartialConfig, Setting};
use super::template_scan::{scan_calls, CallKind};
use super::yaml::{self, YKind, YNode};
use crate::cadence::Cadence;
use crate::diagnostic::Diagnostic;
use crate::facts::DataRef;
use crate::span::Span;

/// The properties of a model, seed or snapshot entry.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct NodeProps {
    /// The package the file belongs to.
    pub package: String,
    /// The node name.
    pub name: String,
    /// Where the entry is (its `name:` line).
    pub span: Span,
    /// `config:` plus top-level `meta`, `group`, `tags`.
    pub config: PartialConfig,
    /// A data test is declared on the node or one of its columns.
    pub tested: bool,
    /// A versioned model's versions: `v` and the file stem that defines it
    /// (`defined_in`, else `<name>_v<v>`), in file order.
    pub versions: Vec<(String, String)>,
    /// `latest_version`, else the highest `v`.
    pub latest_version: Option<String>,
}

/// One table of a `sources:` entry.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SourceTable {
    /// The package the file belongs to.
    pub package: String,
    /// The source name.
    pub source: String,
    /// The table name.
    pub table: String,
    /// Where the table entry is.
    pub span: Span,
    /// `database:` of the source.
    pub database: Option<String>,
    /// `schema:` of the source (the source name when absent).
    pub schema: String,
    /// `identifier:` of the table (the table name when absent).
    pub identifier: String,
    /// From `freshness:` (the table's, else the source's).
    pub cadence: Option<Setting<Cadence>>,
    /// `meta.owner` of the table, else of the source.
    pub owner: Option<Setting<String>>,
    /// A data test is declared on the table or its columns.
    pub tested: bool,
}

/// An exposure: a consumer of the project's models.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Exposure {
    /// The package the file belongs to.
    pub package: String,
    /// Its name.
    pub name: String,
    /// `type:` mapped to pipelint's consumer kinds.
    pub kind: String,
    /// Where it is declared.
    pub span: Span,
    /// `owner.name`, else `owner.email`.
    pub owner: Option<Setting<String>>,
    /// `meta.freshness` (pipelint's convention; dbt exposures have none).
    pub freshness: Option<Setting<Cadence>>,
    /// `depends_on:` entries.
    pub reads: Vec<(DataRef, Span)>,
}

/// A `groups:` entry.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Group {
    /// The group name.
    pub name: String,
    /// `owner.name`, else `owner.email`.
    pub owner: Option<Setting<String>>,
}

/// Everything read from the schema files of a project and its packages.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct SchemaFacts {
    /// Model entries.
    pub models: Vec<NodeProps>,
    /// Seed entries.
    pub seeds: Vec<NodeProps>,
    /// Snapshot entries.
    pub snapshots: Vec<NodeProps>,
    /// Source tables.
    pub sources: Vec<SourceTable>,
    /// Exposures.
    pub exposures: Vec<Exposure>,
    /// Groups.
    pub groups: Vec<Group>,
    /// Models the semantic layer reads (`semantic_models:` `model:`, and
    /// models declared as a `time_spine`), with the package of the file;
    /// `metrics:` and `saved_queries:` (and their `exports`) are built on
    /// semantic models, so they read these too.
    pub semantic_reads: Vec<(String, DataRef, Span)>,
    /// Problems found.
    pub diagnostics: Vec<Diagnostic>,
}

impl SchemaFacts {
    /// Appends what another file gave, after what this one holds: files read
    /// in parallel and appended in file order give what reading them one
    /// after another gives.
    pub fn append(&mut self, other: SchemaFacts) {
        let SchemaFacts {
            models,
            seeds,
            snapshots,
            sources,
            exposures,
            groups,
            semantic_reads,
            diagnostics,
        } = other;
        self.models.extend(models);
        self.seeds.extend(seeds);
        self.snapshots.extend(snapshots);
        self.sources.extend(sources);
        self.exposures.extend(exposures);
        self.groups.extend(groups);
        self.semantic_reads.extend(semantic_reads);
        self.diagnostics.extend(diagnostics);
    }
}

/// Reads one schema file of `package` into `out`. `render` renders
/// strings holding Jinja.
pub fn read_schema_file(
    file: &Arc<str>,
    text: &str,
    package: &str,
    render: &dyn Fn(&str) -> String,
    out: &mut SchemaFacts,
) {
    let doc = match yaml::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            out.diagnostics.push(
                Diagnostic::new(
                    "parse-error",
                    format!("{file} is not valid YAML: {}", e.message),
                )
                .at(Some(Span {
                    file: file.clone(),
                    line: e.line,
                    column: e.column,
                    offset: e.offset,
                    len: 0,
                }))
                .help("fix the YAML syntax; dbt cannot read this file either"),
            );
            return;
        }
    };
    let reader = Reader {
        file,
        package,
        render,
    };
    let file_package = package;
    for semantic in doc.get("semantic_models").map(YNode::items).unwrap_or(&[]) {
        let Some(model) = semantic.get("model") else {
            continue;
        };
        let Some(text) = model.scalar_text() else {
            continue;
        };
        let (calls, _) = scan_calls(&format!("{{{{ {text} }}}}"));
        for call in calls
            .iter()
            .filter(|c| c.is_literal() && c.kind == CallKind::Ref)
        {
            let args: Vec<String> = call.args.iter().flatten().cloned().collect();
            let (package, name) = match args.as_slice() {
                [name] => (None, name.clone()),
                [package, name] => (Some(package.clone()), name.clone()),
                _ => continue,
            };
            let version = call
                .kwarg("version")
                .or(call.kwarg("v"))
                .map(str::to_string);
            out.semantic_reads.push((
                file_package.to_string(),
                DataRef::Model {
                    package,
                    name,
                    version,
                },
                model.span(file),
            ));
        }
    }
    for entry in doc.get("models").map(YNode::items).unwrap_or(&[]) {
        if let (Some(_), Some(name)) = (
            entry.get("time_spine"),
            entry.get("name").and_then(YNode::scalar_text),
        ) {
            out.semantic_reads.push((
                package.to_string(),
                DataRef::Model {
                    package: None,
                    name,
                    version: None,
                },
                entry.span(file),
            ));
        }
    }
    for (key, list) in [
        ("models", &mut out.models),
        ("seeds", &mut out.seeds),
        ("snapshots", &mut out.snapshots),
    ] {
        for entry in doc.get(key).map(YNode::items).unwrap_or(&[]) {
            if let Some(props) = reader.node_props(entry) {
                list.push(props);
            }
        }
    }
    for source in doc.get("sources").map(YNode::items).unwrap_or(&[]) {
        reader.source(source, &mut out.sources);
    }
    for exposure in doc.get("exposures").map(YNode::items).unwrap_or(&[]) {
        if let Some(e) = reader.exposure(exposure, &mut out.diagnostics) {
            out.exposures.push(e);
        }
    }
    for group in doc.get("groups").map(YNode::items).unwrap_or(&[]) {
        if let Some(name) = group.get("name").and_then(YNode::scalar_text) {
            out.groups.push(Group {
                name,
                owner: group.get("owner").and_then(|o| reader.person(o)),
            });
        }
    }
}

struct Reader<'a> {
    file: &'a Arc<str>,
    package: &'a str,
    render: &'a dyn Fn(&str) -> String,
}

impl Reader<'_> {
    fn text(&self, node: Option<&YNode>) -> Option<String> {
        let raw = node?.scalar_text()?;
        let value = if raw.contains("{{") || raw.contains("{%") {
            (self.render)(&raw).trim().to_string()
        } else {
            raw
        };
        (!value.is_empty()).then_some(value)
    }

    /// `config:` merged with the top-level `meta`, `group` and `tags`
    /// (config wins, as in dbt).
    fn config(&self, entry: &YNode) -> PartialConfig {
        let mut config = PartialConfig::default();
        for key in ["meta", "group", "tags", "docs"] {
            if let Some(value) = entry.get(key) {
                config.set_from_yaml(key, value, self.file, self.render);
            }
        }
        if let Some(block) = entry.get("config") {
            let inner = PartialConfig::from_config_block(block, self.file, self.render);
            config.merge(&inner);
        }
        config
    }

    fn node_props(&self, entry: &YNode) -> Option<NodeProps> {
        let name_node = entry.get("name")?;
        let name = name_node.scalar_text()?;
        let mut tested = has_tests(entry);
        let mut versions = Vec::new();
        for version in entry.get("versions").map(YNode::items).unwrap_or(&[]) {
            tested |= has_tests(version);
            let Some(v) = version.get("v").and_then(YNode::scalar_text) else {
                continue;
            };
            let stem = version
                .get("defined_in")
                .and_then(YNode::scalar_text)
                .unwrap_or_else(|| format!("{name}_v{v}"));
            versions.push((v, stem));
        }
        let latest_version = entry
            .get("latest_version")
            .and_then(YNode::scalar_text)
            .or_else(|| {
                versions
                    .iter()
                    .max_by(|a, b| version_order(&a.0, &b.0))
                    .map(|(v, _)| v.clone())
            });
        Some(NodeProps {
            package: self.package.to_string(),
            name,
            span: entry.span(self.file),
            config: self.config(entry),
            tested,
            versions,
            latest_version,
        })
    }

    fn source(&self, source: &YNode, out: &mut Vec<SourceTable>) {
        let Some(source_name) = source.get("name").and_then(YNode::scalar_text) else {
            return;
        };
        let source_config = self.config(source);
        if !source_config.is_enabled() {
            return;
        }
        let database = self
            .text(source.get("database"))
            .or_else(|| self.text(source.get("catalog")))
            .or_else(|| self.text(source.get("project")));
        let schema = self
            .text(source.get("schema"))
            .unwrap_or_else(|| source_name.clone());
        let source_freshness = freshness_node(source);
        for table in source.get("tables").map(YNode::items).unwrap_or(&[]) {
            let Some(table_name) = table.get("name").and_then(YNode::scalar_text) else {
                continue;
            };
            let table_config = self.config(table);
            if !table_config.is_enabled() {
                continue;
            }
            // A table's `freshness: null` turns the source's off; else its
            // keys are laid over the source's, as dbt merges them.
            let freshness: Vec<&YNode> = match freshness_node(table) {
                Some(node) => [Some(node), source_freshness]
                    .into_iter()
                    .flatten()
                    .collect(),
                None if table.get("freshness").is_some()
                    || table
                        .get("config")
                        .and_then(|c| c.get("freshness"))
                        .is_some() =>
                {
                    Vec::new()
                }
                None => source_freshness.into_iter().collect(),
            };
            out.push(SourceTable {
                package: self.package.to_string(),
                source: source_name.clone(),
                table: table_name.clone(),
                span: table.span(self.file),
                database: database.clone(),
                schema: schema.clone(),
                identifier: self
                    .text(table.get("identifier"))
                    .unwrap_or_else(|| table_name.clone()),
                cadence: self.cadence(&freshness),
                owner: table_config.owner.or_else(|| source_config.owner.clone()),
                tested: has_tests(table),
            });
        }
    }

    /// `warn_after`, else `error_after`, as an interval; each from the
    /// first of `layers` (the table's freshness, then the source's) that
    /// sets it.
    fn cadence(&self, layers: &[&YNode]) -> Option<Setting<Cadence>> {
        ["warn_after", "error_after"].iter().find_map(|key| {
            let after = layers
                .iter()
                .find_map(|f| f.get(key).filter(|a| !a.is_null()))?;
            let count = match &after.get("count")?.kind {
                YKind::Int(i) => u64::try_from(*i).ok()?,
                YKind::Str(s) => s.trim().parse().ok()?,
                _ => return None,
            };
            let cadence = freshness_cadence(count, after.get("period")?.as_str()?)?;
            Some(Setting::new(cadence, Some(after.span(self.file))))
        })
    }

    fn person(&self, owner: &YNode) -> Option<Setting<String>> {
        match &owner.kind {
            YKind::Map(_) => ["name", "email"].iter().find_map(|k| {
                let node = owner.get(k)?;
                owner_text(node).map(|v| Setting::new(v, Some(node.span(self.file))))
            }),
            _ => owner_text(owner).map(|v| Setting::new(v, Some(owner.span(self.file)))),
        }
    }

    fn exposure(&self, entry: &YNode, diagnostics: &mut Vec<Diagnostic>) -> Option<Exposure> {
        let name = entry.get("name")?.scalar_text()?;
        let kind = consumer_kind(entry.get("type").and_then(YNode::scalar_text).as_deref());
        let metas = [
            entry.get("meta"),
            entry.get("config").and_then(|c| c.get("meta")),
        ];
        let in_meta = |key: &str| metas.iter().flatten().find_map(|m| m.get(key));
        let freshness = in_meta("freshness");
        let freshness = freshness.and_then(|node| {
            let text = node.scalar_text()?;
            match Cadence::parse(&text) {
                Ok(c) => Some(Setting::new(c, Some(node.span(self.file)))),
                Err(e) => {
                    diagnostics.push(
                        Diagnostic::new("invalid-config", format!("exposure `{name}`: {e}"))
                            .at(Some(node.span(self.file)))
                            .help("write meta.freshness as e.g. `daily 07:00`, `hourly` or `every 15m`"),
                    );
                    None
                }
            }
        });
        let mut reads = Vec::new();
        for item in entry.get("depends_on").map(YNode::items).unwrap_or(&[]) {
            let Some(text) = item.scalar_text() else {
                continue;
            };
            let (calls, _) = scan_calls(&format!("{{{{ {text} }}}}"));
            for call in calls.iter().filter(|c| c.is_literal()) {
                let args: Vec<String> = call.args.iter().flatten().cloned().collect();
                let data = match (call.kind, args.as_slice()) {
                    (CallKind::Ref, [model]) => DataRef::Model {
                        package: call.kwarg("package").map(str::to_string),
                        name: model.clone(),
                        version: call
                            .kwarg("version")
                            .or(call.kwarg("v"))
                            .map(str::to_string),
                    },
                    (CallKind::Ref, [package, model]) => DataRef::Model {
                        package: Some(package.clone()),
                        name: model.clone(),
                        version: call
                            .kwarg("version")
                            .or(call.kwarg("v"))
                            .map(str::to_string),
                    },
                    (CallKind::Source, [source, table]) => DataRef::DbtSource {
                        source: source.clone(),
                        table: table.clone(),
                    },
                    _ => continue,
                };
                reads.push((data, item.span(self.file)));
            }
        }
        let owner = entry.get("owner").and_then(|o| self.person(o)).or_else(|| {
            let node = in_meta("owner")?;
            owner_text(node).map(|v| Setting::new(v, Some(node.span(self.file))))
        });
        Some(Exposure {
            package: self.package.to_string(),
            name,
            kind,
            span: entry.span(self.file),
            owner,
            freshness,
            reads,
        })
    }
}

/// A freshness interval (`warn_after: {count: 12, period: hour}`) as a
/// cadence; `None` for a zero count or an unknown period.
pub fn freshness_cadence(count: u64, period: &str) -> Option<Cadence> {
    let unit: u64 = match period.trim() {
        "minute" | "minutes" => 60,
        "hour" | "hours" => 3600,
        "day" | "days" => 86_400,
        _ => return None,
    };
    (count > 0).then(|| Cadence::Every(count.saturating_mul(unit)))
}

/// An exposure's `type:` as a consumer kind (`dashboard` when absent).
pub fn consumer_kind(exposure_type: Option<&str>) -> String {
    exposure_type.map_or_else(|| "dashboard".to_string(), str::to_ascii_lowercase)
}

/// The `freshness:` of an entry (also under `config:`), if set and not null.
fn freshness_node(entry: &YNode) -> Option<&YNode> {
    entry
        .get("freshness")
        .or_else(|| entry.get("config").and_then(|c| c.get("freshness")))
        .filter(|f| !f.is_null())
}

/// Orders versions as dbt does: numerically when both are numbers.
fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.total_cmp(&y),
        _ => a.cmp(b),
    }
}

/// Whether an entry or one of its columns declares a data test.
fn has_tests(entry: &YNode) -> bool {
    let direct = |node: &YNode| {
        ["tests", "data_tests"]
            .iter()
            .any(|k| node.get(k).is_some_and(|t| !t.items().is_empty()))
    };
    direct(entry)
        || entry
            .get("columns")
            .map(YNode::items)
            .unwrap_or(&[])
            .iter()
            .any(direct)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = r#"version: 2
groups:
  - name: finance
    owner:
      name: analytics-eng
models:
  - name: fct_orders
    meta:
      owner: data-eng
    columns:
      - name: id
        data_tests: [unique]
  - name: dim_customer
    config:
      group: finance
      schema: "{{ 'ana' ~ 'lytics' }}"
sources:
  - name: raw
    database: "{{ env_var('DB', 'prod') }}"
    freshness:
      warn_after: {count: 1, period: hour}
    loaded_at_field: _loaded_at
    meta: {owner: data-eng}
    tables:
      - name: orders
        identifier: orders_v2
      - name: events
        freshness: null
      - name: payments
        freshness: {error_after: {count: 15, period: minute}}
      - {name: refunds, freshness: {warn_after: {count: 15, period: minute}}}
exposures:
  - name: exec_dashboard
    type: dashboard
    owner: {name: marketing-analytics, email: m@acme.test}
    meta: {freshness: "daily 07:00"}
    depends_on:
      - ref('mart_revenue')
      - source('raw', 'orders')
semantic_models:
  - name: whatever
"#;

    fn read() -> SchemaFacts {
        let mut out = SchemaFacts::default();
        let file: Arc<str> = Arc::from("models/schema.yml");
        let render = |s: &str| {
            if s.contains("env_var") {
                "prod".to_string()
            } else {
                "analytics".to_string()
            }
        };
        read_schema_file(&file, SCHEMA, "acme", &render, &mut out);
        out
    }

    #[test]
    fn reads_models_with_owner_group_tests_and_lines() {
        let out = read();
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        let names: Vec<(&str, u32, bool)> = out
            .models
            .iter()
            .map(|m| (m.name.as_str(), m.span.line, m.tested))
            .collect();
        assert_eq!(
            names,
            vec![("fct_orders", 7, true), ("dim_customer", 13, false)]
        );
        let owner = out.models[0].config.owner.as_ref().unwrap();
        assert_eq!(
            (owner.value.as_str(), owner.span.as_ref().unwrap().line),
            ("data-eng", 9)
        );
        assert_eq!(
            out.models[1].config.group.as_ref().unwrap().value,
            "finance"
        );
        assert_eq!(
            out.models[1].config.schema.as_ref().unwrap().value,
            "analytics"
        );
        assert_eq!(out.groups[0].owner.as_ref().unwrap().value, "analytics-eng");
    }

    type SourceRow = (String, Option<String>, String, String, Option<Cadence>, u32);

    #[test]
    fn reads_sources_with_freshness_and_identifiers() {
        let out = read();
        let got: Vec<SourceRow> = out
            .sources
            .iter()
            .map(|s| {
                (
                    format!("{}.{}", s.source, s.table),
                    s.database.clone(),
                    s.schema.clone(),
                    s.identifier.clone(),
                    s.cadence.as_ref().map(|c| c.value.clone()),
                    s.span.line,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "raw.orders".into(),
                    Some("prod".into()),
                    "raw".into(),
                    "orders_v2".into(),
                    Some(Cadence::Every(3600)),
                    25
                ),
                (
                    "raw.events".into(),
                    Some("prod".into()),
                    "raw".into(),
                    "events".into(),
                    None,
                    27
                ),
                // The table's error_after is merged with the source's
                // warn_after, which comes first.
                (
                    "raw.payments".into(),
                    Some("prod".into()),
                    "raw".into(),
                    "payments".into(),
                    Some(Cadence::Every(3600)),
                    29
                ),
                (
                    "raw.refunds".into(),
                    Some("prod".into()),
                    "raw".into(),
                    "refunds".into(),
                    Some(Cadence::Every(900)),
                    31
                ),
            ]
        );
        assert_eq!(out.sources[0].owner.as_ref().unwrap().value, "data-eng");
    }

    #[test]
    fn reads_exposures_as_consumers() {
        let out = read();
        let e = &out.exposures[0];
        assert_eq!(
            (e.name.as_str(), e.kind.as_str(), e.span.line),
            ("exec_dashboard", "dashboard", 33)
        );
        assert_eq!(e.owner.as_ref().unwrap().value, "marketing-analytics");
        assert_eq!(
            e.freshness.as_ref().unwrap().value,
            Cadence::DailyAt { hour: 7, minute: 0 }
        );
        let reads: Vec<(DataRef, u32)> = e.reads.iter().map(|(d, s)| (d.clone(), s.line)).collect();
        assert_eq!(
            reads,
            vec![
                (
                    DataRef::Model {
                        package: None,
                        name: "mart_revenue".into(),
                        version: None
                    },
                    38
                ),
                (
                    DataRef::DbtSource {
                        source: "raw".into(),
                        table: "orders".into()
                    },
                    39
                ),
            ]
        );
    }

    #[test]
    fn broken_yaml_is_a_parse_error() {
        let mut out = SchemaFacts::default();
        let file: Arc<str> = Arc::from("models/bad.yml");
        read_schema_file(
            &file,
            "models:\n  - name: [x\n",
            "acme",
            &|s| s.to_string(),
            &mut out,
        );
        assert_eq!(out.diagnostics.len(), 1);
        assert_eq!(out.diagnostics[0].rule, "parse-error");
    }
}
