//! Node configuration (schema, alias, owner, group, enabled, …) as set in
//! `dbt_project.yml` folders, schema YAML `config:` blocks and `config()`
//! calls, merged in dbt's order of precedence.

use std::sync::Arc;

use super::yaml::{YKind, YNode};
use crate::span::Span;

/// A configured value and where it was set.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Setting<T> {
    /// The value.
    pub value: T,
    /// Where it is written (`None` when it came from rendering alone).
    pub span: Option<Span>,
}

impl<T> Setting<T> {
    /// A value set at `span`.
    pub fn new(value: T, span: Option<Span>) -> Setting<T> {
        Setting { value, span }
    }
}

/// The configuration items pipelint uses; each unset until some layer sets it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PartialConfig {
    /// Custom schema (`+schema`).
    pub schema: Option<Setting<String>>,
    /// Relation name (`+alias`).
    pub alias: Option<Setting<String>>,
    /// Database (`+database`).
    pub database: Option<Setting<String>>,
    /// `+materialized`.
    pub materialized: Option<Setting<String>>,
    /// `meta.owner`.
    pub owner: Option<Setting<String>>,
    /// `+group`.
    pub group: Option<Setting<String>>,
    /// `+enabled`.
    pub enabled: Option<Setting<bool>>,
    /// `+tags` (accumulated across layers, as dbt does).
    pub tags: Vec<String>,
}

impl PartialConfig {
    /// Lays `other` over `self`: what `other` sets wins; tags accumulate.
    pub fn merge(&mut self, other: &PartialConfig) {
        fn over<T: Clone>(base: &mut Option<T>, top: &Option<T>) {
            if top.is_some() {
                base.clone_from(top);
            }
        }
        over(&mut self.schema, &other.schema);
        over(&mut self.alias, &other.alias);
        over(&mut self.database, &other.database);
        over(&mut self.materialized, &other.materialized);
        over(&mut self.owner, &other.owner);
        over(&mut self.group, &other.group);
        over(&mut self.enabled, &other.enabled);
        for tag in &other.tags {
            if !self.tags.contains(tag) {
                self.tags.push(tag.clone());
            }
        }
    }

    /// Whether the node is enabled (dbt's default is yes).
    pub fn is_enabled(&self) -> bool {
        self.enabled.as_ref().is_none_or(|s| s.value)
    }

    /// Reads one configuration key (without its `+`) from YAML. `render`
    /// renders strings holding Jinja (`"{{ env_var('DB') }}"`).
    pub fn set_from_yaml(
        &mut self,
        key: &str,
        value: &YNode,
        file: &Arc<str>,
        render: &dyn Fn(&str) -> String,
    ) {
        let text = |node: &YNode| -> Option<Setting<String>> {
            let raw = node.scalar_text()?;
            let value = if raw.contains("{{") || raw.contains("{%") {
                render(&raw).trim().to_string()
            } else {
                raw
            };
            Some(Setting::new(value, Some(node.span(file))))
        };
        match key {
            // A snapshot's `target_schema`/`target_database` name its table
            // as `schema`/`database` name a model's.
            "schema" | "target_schema" => self.schema = text(value).filter(|s| !s.value.is_empty()),
            "alias" => self.alias = text(value).filter(|s| !s.value.is_empty()),
            "database" | "project" | "target_database" => {
                self.database = text(value).filter(|s| !s.value.is_empty())
            }
            "materialized" => self.materialized = text(value),
            // `group: null` takes a node out of its folder's group.
            "group" => {
                self.group = Some(
                    text(value)
                        .unwrap_or_else(|| Setting::new(String::new(), Some(value.span(file)))),
                )
            }
            "enabled" => {
                let flag = match &value.kind {
                    YKind::Str(s) if s.contains("{{") || s.contains("{%") => {
                        parse_bool(render(s).trim())
                    }
                    _ => value.as_bool(),
                };
                if let Some(flag) = flag {
                    self.enabled = Some(Setting::new(flag, Some(value.span(file))));
                }
            }
            "tags" => {
                let mut add = |node: &YNode| {
                    if let Some(tag) = node.scalar_text() {
                        if !self.tags.contains(&tag) {
                            self.tags.push(tag);
                        }
                    }
                };
                match &value.kind {
                    YKind::Seq(items) => items.iter().for_each(&mut add),
                    _ => add(value),
                }
            }
            "meta" => {
                if let Some(owner) = value.get("owner").and_then(owner_text) {
                    let node = value.get("owner").unwrap_or(value);
                    self.owner = Some(Setting::new(owner, Some(node.span(file))));
                }
            }
            _ => {}
        }
    }

    /// Reads a schema-file `config:` block (keys without `+`).
    pub fn from_config_block(
        block: &YNode,
        file: &Arc<str>,
        render: &dyn Fn(&str) -> String,
    ) -> PartialConfig {
        let mut config = PartialConfig::default();
        for (key, value) in block.entries() {
            if let Some(key) = key.as_str() {
                config.set_from_yaml(key.trim_start_matches('+'), value, file, render);
            }
        }
        config
    }
}

/// An owner written as text, or as the first text of a list.
pub fn owner_text(node: &YNode) -> Option<String> {
    match &node.kind {
        YKind::Seq(items) => items.iter().find_map(owner_text),
        _ => node
            .scalar_text()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" | "none" | "" => Some(false),
        _ => None,
    }
}

/// Keys of `dbt_project.yml` resource blocks whose values are mappings but
/// are configuration, not folders.
const MAPPING_CONFIGS: &[&str] = &[
    "meta",
    "docs",
    "persist_docs",
    "grants",
    "contract",
    "column_types",
    "labels",
    "partition_by",
    "snapshot_meta_column_names",
    "freshness",
    "config",
];

/// The folder-level configuration of one resource type (`models:`,
/// `seeds:`, `snapshots:`) of a `dbt_project.yml`: configs at this level,
/// and sub-trees for packages, folders and single nodes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigTree {
    /// Configuration set at this level.
    pub config: PartialConfig,
    /// Nested levels by folder (or package, or node) name.
    pub children: Vec<(String, ConfigTree)>,
}

impl ConfigTree {
    /// Reads a resource block: `+key` and known configuration keys are
    /// configuration, other mapping-valued keys are nested folders.
    pub fn from_yaml(
        node: &YNode,
        file: &Arc<str>,
        render: &dyn Fn(&str) -> String,
        depth: usize,
    ) -> ConfigTree {
        let mut tree = ConfigTree::default();
        for (key, value) in node.entries() {
            let Some(key) = key.as_str() else { continue };
            if let Some(config_key) = key.strip_prefix('+') {
                tree.config.set_from_yaml(config_key, value, file, render);
            } else if matches!(value.kind, YKind::Map(_))
                && !MAPPING_CONFIGS.contains(&key)
                && depth < 32
            {
                tree.children.push((
                    key.to_string(),
                    ConfigTree::from_yaml(value, file, render, depth + 1),
                ));
            } else {
                tree.config.set_from_yaml(key, value, file, render);
            }
        }
        tree
    }

    fn child(&self, name: &str) -> Option<&ConfigTree> {
        self.children
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, t)| t)
    }

    /// The configuration this tree gives a node of `package` in `folders`
    /// (relative to its resource path) named `node_name`: the top level,
    /// then the package's level, then each folder, then the node's own key.
    pub fn resolve(&self, package: &str, folders: &[&str], node_name: &str) -> PartialConfig {
        let mut config = self.config.clone();
        let Some(mut level) = self.child(package) else {
            return config;
        };
        config.merge(&level.config);
        for folder in folders {
            match level.child(folder) {
                Some(next) => {
                    level = next;
                    config.merge(&level.config);
                }
                None => return config,
            }
        }
        if let Some(node) = level.child(node_name) {
            config.merge(&node.config);
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::dbt::yaml;

    fn no_render(s: &str) -> String {
        s.to_string()
    }

    #[test]
    fn folder_configs_nest_and_override() {
        let text = "models:\n  +materialized: view\n  acme:\n    staging:\n      +schema: staging\n      +meta:\n        owner: data-eng\n      stg_orders:\n        +alias: orders_v\n    marts:\n      schema: mart\n      +group: finance\n";
        let doc = yaml::parse(text).unwrap();
        let file: Arc<str> = Arc::from("dbt_project.yml");
        let tree = ConfigTree::from_yaml(doc.get("models").unwrap(), &file, &no_render, 0);
        let c = tree.resolve("acme", &["staging"], "stg_orders");
        assert_eq!(c.materialized.unwrap().value, "view");
        assert_eq!(c.schema.as_ref().unwrap().value, "staging");
        assert_eq!(c.schema.unwrap().span.unwrap().line, 5);
        assert_eq!(c.owner.unwrap().value, "data-eng");
        assert_eq!(c.alias.unwrap().value, "orders_v");
        let m = tree.resolve("acme", &["marts", "finance"], "fct_x");
        assert_eq!(m.schema.unwrap().value, "mart");
        assert_eq!(m.group.unwrap().value, "finance");
        assert!(tree.resolve("other", &["marts"], "x").schema.is_none());
    }

    #[test]
    fn jinja_values_are_rendered_and_enabled_is_read() {
        let text = "models:\n  p:\n    +schema: \"{{ x }}\"\n    +enabled: false\n";
        let doc = yaml::parse(text).unwrap();
        let file: Arc<str> = Arc::from("dbt_project.yml");
        let render = |_: &str| "rendered".to_string();
        let tree = ConfigTree::from_yaml(doc.get("models").unwrap(), &file, &render, 0);
        let c = tree.resolve("p", &[], "m");
        assert_eq!(c.schema.as_ref().unwrap().value, "rendered");
        assert!(!c.is_enabled());
    }
}
