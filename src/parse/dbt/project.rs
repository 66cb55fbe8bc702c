//! `dbt_project.yml`: the project's name, where its files live, its vars,
//! dispatch order and folder-level configuration.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::config::ConfigTree;
use super::yaml::{self, YKind, YNode};
use crate::diagnostic::Diagnostic;
use crate::span::Span;

/// What pipelint reads from one `dbt_project.yml`.
#[derive(Debug, Clone)]
pub struct DbtProject {
    /// Repo-relative path of the `dbt_project.yml`.
    pub file: Arc<str>,
    /// Repo-relative folder of the project (`""` at the repo root).
    pub dir: String,
    /// The project name (`name:`), the namespace of its models and macros.
    pub name: String,
    /// Folders holding models (`model-paths`, legacy `source-paths`).
    pub model_paths: Vec<String>,
    /// Folders holding macros.
    pub macro_paths: Vec<String>,
    /// Folders holding seeds (`seed-paths`, legacy `data-paths`).
    pub seed_paths: Vec<String>,
    /// Folders holding snapshots.
    pub snapshot_paths: Vec<String>,
    /// Folders holding singular data tests.
    pub test_paths: Vec<String>,
    /// Where `dbt deps` installs packages (`packages-install-path`, legacy
    /// `modules-path`).
    pub packages_install_path: String,
    /// The `vars:` block, raw (strings holding Jinja are rendered where a
    /// model reads them, as dbt does).
    pub vars: Option<YNode>,
    /// `dispatch:` search orders by macro namespace.
    pub dispatch: BTreeMap<String, Vec<String>>,
    /// The `models:` block.
    pub models: Option<YNode>,
    /// The `seeds:` block.
    pub seeds: Option<YNode>,
    /// The `snapshots:` block.
    pub snapshots: Option<YNode>,
}

impl DbtProject {
    /// Reads a `dbt_project.yml`. `dir` is the project folder relative to
    /// the repo root. A file that is not valid YAML is a `parse-error`.
    pub fn parse(file: &Arc<str>, dir: &str, text: &str) -> Result<DbtProject, Box<Diagnostic>> {
        let doc = yaml::parse(text).map_err(|e| {
            Box::new(
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
                .help("fix the YAML syntax; dbt cannot read this project either"),
            )
        })?;
        let paths = |keys: &[&str], default: &str| -> Vec<String> {
            keys.iter()
                .find_map(|k| doc.get(k))
                .map(|node| match &node.kind {
                    YKind::Seq(items) => items.iter().filter_map(YNode::scalar_text).collect(),
                    _ => node.scalar_text().into_iter().collect(),
                })
                .unwrap_or_else(|| vec![default.to_string()])
                .into_iter()
                .map(|p| clean_rel(&p))
                .collect()
        };
        let name = doc
            .get("name")
            .and_then(YNode::scalar_text)
            .unwrap_or_default();
        let mut dispatch = BTreeMap::new();
        for entry in doc.get("dispatch").map(YNode::items).unwrap_or(&[]) {
            let Some(namespace) = entry.get("macro_namespace").and_then(YNode::scalar_text) else {
                continue;
            };
            let order = entry
                .get("search_order")
                .map(|o| o.items().iter().filter_map(YNode::scalar_text).collect())
                .unwrap_or_default();
            dispatch.insert(namespace, order);
        }
        Ok(DbtProject {
            file: file.clone(),
            dir: dir.to_string(),
            name,
            model_paths: paths(&["model-paths", "source-paths"], "models"),
            macro_paths: paths(&["macro-paths"], "macros"),
            seed_paths: paths(&["seed-paths", "data-paths"], "seeds"),
            snapshot_paths: paths(&["snapshot-paths"], "snapshots"),
            test_paths: paths(&["test-paths"], "tests"),
            packages_install_path: doc
                .get("packages-install-path")
                .or_else(|| doc.get("modules-path"))
                .and_then(YNode::scalar_text)
                .map_or_else(|| "dbt_packages".to_string(), |p| clean_rel(&p)),
            vars: doc.get("vars").cloned(),
            dispatch,
            models: doc.get("models").cloned(),
            seeds: doc.get("seeds").cloned(),
            snapshots: doc.get("snapshots").cloned(),
        })
    }

    /// The repo-relative path of a folder given relative to the project.
    pub fn rel(&self, sub: &str) -> String {
        join_rel(&self.dir, sub)
    }

    /// The folder configuration of one resource block.
    pub fn config_tree(
        block: Option<&YNode>,
        file: &Arc<str>,
        render: &dyn Fn(&str) -> String,
    ) -> ConfigTree {
        block.map_or_else(ConfigTree::default, |b| {
            ConfigTree::from_yaml(b, file, render, 0)
        })
    }
}

/// Joins two repo-relative paths, resolving `.` and `..` (never above the
/// root).
pub fn join_rel(dir: &str, sub: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in sub.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

fn clean_rel(path: &str) -> String {
    join_rel("", path.trim().trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_paths_vars_and_dispatch() {
        let text = "name: acme\nmodel-paths: [\"models\", \"more/\"]\nmacro-paths: [\"macros\"]\npackages-install-path: deps\nvars:\n  start: '2020-01-01'\ndispatch:\n  - macro_namespace: dbt_utils\n    search_order: ['acme', 'dbt_utils']\n";
        let file: Arc<str> = Arc::from("transform/dbt_project.yml");
        let p = DbtProject::parse(&file, "transform", text).unwrap();
        assert_eq!(p.name, "acme");
        assert_eq!(p.model_paths, vec!["models", "more"]);
        assert_eq!(p.seed_paths, vec!["seeds"]);
        assert_eq!(p.packages_install_path, "deps");
        assert_eq!(p.rel("models"), "transform/models");
        assert_eq!(p.dispatch["dbt_utils"], vec!["acme", "dbt_utils"]);
        assert!(p.vars.unwrap().get("start").is_some());
    }

    #[test]
    fn broken_yaml_is_a_parse_error_with_a_line() {
        let file: Arc<str> = Arc::from("dbt_project.yml");
        let d = DbtProject::parse(&file, "", "name: [x\nmodels: {").unwrap_err();
        assert_eq!(d.rule, "parse-error");
        assert!(d.span.unwrap().line >= 1);
    }

    #[test]
    fn join_rel_resolves_dots() {
        assert_eq!(join_rel("a/b", "../c"), "a/c");
        assert_eq!(join_rel("", "../../x"), "x");
        assert_eq!(join_rel("", "./models/"), "models");
    }
}
