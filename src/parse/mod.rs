//! Parsing: one module per input kind, each turning files into plain facts.

pub mod airflow;
pub mod codeowners;
pub mod dbt;
pub mod inline_allow;
pub mod manifest;
pub mod sql;
pub mod sql_stream;
pub mod toml_comments;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::discover::{Discovery, FileKind, RepoFile};
use crate::facts::FileFacts;
use crate::files::{read_repo_text, SourceMap};
use crate::manifest::Manifest;
use crate::sql_dialect::SqlDialect;

pub use codeowners::CodeOwners;

/// What every parser may know besides its own file.
#[derive(Debug)]
pub struct ParseContext {
    /// The repo root.
    pub root: PathBuf,
    /// The SQL dialect from the manifest.
    pub dialect: SqlDialect,
    /// Every repo-relative path discovered (to resolve `sql="x.sql"` and the like).
    pub paths: HashSet<Arc<str>>,
    /// Report findings inside installed dbt packages too.
    pub include_packages: bool,
    /// Read dbt projects' models, sources and edges from their
    /// `target/manifest.json` when it exists, instead of rendering.
    pub dbt_manifest: bool,
    /// File texts, kept for the reports.
    pub sources: SourceMap,
}

impl ParseContext {
    /// Reads a repo file by its repo-relative path, remembering its text for
    /// reports. Errors are `parse-error` diagnostics.
    pub fn read(&self, rel: &Arc<str>) -> Result<Arc<str>, Box<crate::diagnostic::Diagnostic>> {
        let text: Arc<str> = Arc::from(read_repo_text(&self.root, rel)?);
        self.sources.insert(rel.clone(), text.clone());
        Ok(text)
    }
}

/// Everything the parsers found in a repo.
#[derive(Debug)]
pub struct Parsed {
    /// The manifest (default when absent).
    pub manifest: Manifest,
    /// All facts, in file order.
    pub facts: FileFacts,
    /// CODEOWNERS rules, if the repo has the file.
    pub codeowners: Option<CodeOwners>,
    /// The context parsers ran with (holds the file texts).
    pub context: ParseContext,
}

/// Parses every discovered file: the manifest first (it sets the dialect),
/// then all other files and dbt projects in parallel. Output order is the
/// sorted file order, whatever the thread count. `include_packages` and
/// `dbt_manifest` are the [`ParseContext`] switches of the same names.
pub fn parse_repo(
    discovery: &Discovery,
    root: PathBuf,
    include_packages: bool,
    dbt_manifest: bool,
) -> Parsed {
    let mut context = ParseContext {
        root,
        dialect: SqlDialect::default(),
        paths: discovery.all_paths.iter().cloned().collect(),
        include_packages,
        dbt_manifest,
        sources: SourceMap::default(),
    };
    let mut facts = FileFacts::default();
    facts
        .diagnostics
        .extend(discovery.diagnostics.iter().cloned());
    let mut manifest = Manifest::default();
    let mut codeowners = None;
    for file in &discovery.files {
        match file.kind {
            FileKind::Manifest => match context.read(&file.rel) {
                Ok(text) => {
                    let (m, f) = manifest::parse_manifest(&file.rel, &text);
                    manifest = m;
                    facts.extend(f);
                }
                Err(d) => facts.diagnostics.push(*d),
            },
            FileKind::CodeOwners => match context.read(&file.rel) {
                Ok(text) => {
                    let (c, diags) = codeowners::parse_codeowners(&file.rel, &text);
                    codeowners = Some(c);
                    facts.diagnostics.extend(diags);
                }
                Err(d) => facts.diagnostics.push(*d),
            },
            _ => {}
        }
    }
    context.dialect = manifest.project.dialect;
    let per_file: Vec<FileFacts> = discovery
        .files
        .par_iter()
        .map(|file| parse_file(file, &context))
        .collect();
    let per_project: Vec<FileFacts> = discovery
        .dbt_projects
        .par_iter()
        .map(|project| dbt::parse_project(project, &context))
        .collect();
    for f in per_file.into_iter().chain(per_project) {
        facts.extend(f);
    }
    Parsed {
        manifest,
        facts,
        codeowners,
        context,
    }
}

fn parse_file(file: &RepoFile, context: &ParseContext) -> FileFacts {
    let text = match file.kind {
        FileKind::Sql | FileKind::Python => context.read(&file.rel),
        FileKind::Manifest | FileKind::CodeOwners => return FileFacts::default(),
    };
    let text = match text {
        Ok(t) => t,
        Err(d) => {
            return FileFacts {
                diagnostics: vec![*d],
                ..FileFacts::default()
            }
        }
    };
    match file.kind {
        FileKind::Sql => sql::parse_sql_file(&file.rel, &text, context.dialect),
        FileKind::Python => airflow::parse_airflow_file(&file.rel, &text, context),
        FileKind::Manifest | FileKind::CodeOwners => FileFacts::default(),
    }
}
