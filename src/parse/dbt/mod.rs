//! dbt projects: `dbt_project.yml`, installed packages, macros, models and
//! snapshots rendered with a recording Jinja environment, seeds, and schema
//! YAML (models, sources, exposures, groups), turned into facts.
//!
//! Module map: [`project`] reads `dbt_project.yml`, [`config`] merges node
//! configuration, [`packages`] finds installed packages, [`template_scan`]
//! reads templates with minijinja's lexer, [`jinja`] renders them,
//! [`models`] renders nodes with a fallback, [`schema_yaml`] reads properties
//! files, [`layers`] holds the layer conventions, [`allows`] the inline
//! allow comments, [`manifest_json`] reads `target/manifest.json`, and
//! [`assemble`] turns it all into facts.

pub mod allows;
pub mod assemble;
pub mod config;
pub mod jinja;
pub mod layers;
pub mod manifest_json;
pub mod models;
pub mod packages;
pub mod project;
pub mod schema_yaml;
pub mod template_scan;
pub mod yaml;

use std::sync::{Arc, OnceLock};

use rayon::prelude::*;

use crate::discover::DbtProjectDir;
use crate::facts::FileFacts;
use crate::parse::ParseContext;
use project::{join_rel, DbtProject};

/// Stack size of the threads that render templates: nested macro calls each
/// run in their own template state, which is deep in debug builds.
const RENDER_STACK_BYTES: usize = 64 * 1024 * 1024;

/// The facts of one dbt project (its models, sources, exposures, tests),
/// including the installed packages it uses: from its `manifest.json` when
/// `--dbt-manifest` is given and the file is there and usable, else by
/// rendering. A project that is itself an
/// installed package of another project gives nothing (its parent reads it).
pub fn parse_project(project: &DbtProjectDir, context: &ParseContext) -> FileFacts {
    if is_installed_package(&project.rel, context) {
        return FileFacts::default();
    }
    let file: Arc<str> = Arc::from(join_rel(&project.rel, "dbt_project.yml"));
    let text = match context.read(&file) {
        Ok(text) => text,
        Err(d) => {
            return FileFacts {
                diagnostics: vec![*d],
                ..FileFacts::default()
            }
        }
    };
    // The language server keeps the parsed file while its text is unchanged.
    let key = crate::cache::hash_parts([project.rel.as_bytes(), text.as_bytes()]);
    let parsed = context.kept("dbt_project.yml", &file, key, || {
        DbtProject::parse(&file, &project.rel, &text)
    });
    // Copied only when kept (else this is its one holder).
    let parsed = Arc::try_unwrap(parsed).unwrap_or_else(|kept| (*kept).clone());
    let root = match parsed {
        Ok(p) => p,
        Err(d) => {
            return FileFacts {
                diagnostics: vec![*d],
                ..FileFacts::default()
            }
        }
    };
    let mut unusable = None;
    if context.dbt_manifest {
        match manifest_json::project_facts(&root, context) {
            None => {}
            Some(Ok(facts)) => return facts,
            Some(Err(d)) => unusable = Some(*d),
        }
    }
    let mut facts = with_render_pool(|| assemble::project_facts(root, context));
    facts.diagnostics.extend(unusable);
    // Allows in dbt_project.yml itself: a grouped finding is anchored there.
    facts.allows.extend(allows::yaml_allows(&file, &text));
    facts
}

/// Runs `f` on the rendering thread pool (large stacks); inline when the
/// pool cannot be built.
fn with_render_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    let pool = POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(rayon::current_num_threads().max(1))
            .stack_size(RENDER_STACK_BYTES)
            .thread_name(|i| format!("pipelint-dbt-{i}"))
            .build()
            .ok()
    });
    match pool {
        Some(pool) => pool.install(f),
        None => f(),
    }
}

/// Whether the project folder `rel` lies inside the packages folder of a
/// project above it (then that project reads it as a package).
fn is_installed_package(rel: &str, context: &ParseContext) -> bool {
    let mut dir = rel;
    while let Some((parent, _)) = dir.rsplit_once('/').or(if dir.is_empty() {
        None
    } else {
        Some(("", dir))
    }) {
        let candidate: Arc<str> = Arc::from(join_rel(parent, "dbt_project.yml"));
        if context.paths.contains(&candidate) {
            if let Ok(text) = context.read(&candidate) {
                if let Ok(p) = DbtProject::parse(&candidate, parent, &text) {
                    let packages = p.rel(&p.packages_install_path);
                    if rel.starts_with(&format!("{packages}/")) {
                        return true;
                    }
                }
            }
        }
        if parent.is_empty() {
            break;
        }
        dir = parent;
    }
    false
}

/// Reads many files in parallel, in order; unreadable ones become
/// diagnostics.
fn read_all(
    files: &[Arc<str>],
    context: &ParseContext,
) -> Vec<Result<Arc<str>, Box<crate::diagnostic::Diagnostic>>> {
    files.par_iter().map(|rel| context.read(rel)).collect()
}

#[cfg(test)]
mod tests;
