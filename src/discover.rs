//! Finding the files of a repo and what each one is, honouring .gitignore.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::span::Span;

/// What a discovered file is, which decides the parser that reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    /// A `pipeline.toml` (the run reads the one [`crate::workspace`] picks).
    Manifest,
    /// A `.sql` file outside any dbt project.
    Sql,
    /// A `.py` file (an Airflow DAG file if it imports Airflow).
    Python,
    /// A `CODEOWNERS` file.
    CodeOwners,
}

/// A file to parse.
#[derive(Debug, Clone)]
pub struct RepoFile {
    /// Absolute (or root-joined) path.
    pub path: PathBuf,
    /// Repo-relative path with `/` separators.
    pub rel: Arc<str>,
    /// What it is.
    pub kind: FileKind,
}

/// A dbt project: the folder holding `dbt_project.yml`. The dbt parser finds
/// the project's own files from its configuration.
#[derive(Debug, Clone)]
pub struct DbtProjectDir {
    /// The project folder.
    pub path: PathBuf,
    /// Repo-relative folder path (`""` for the repo root).
    pub rel: Arc<str>,
}

/// Everything found under the repo root, sorted by path.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Files for the per-file parsers.
    pub files: Vec<RepoFile>,
    /// dbt projects.
    pub dbt_projects: Vec<DbtProjectDir>,
    /// Every repo-relative path seen (for resolving file references).
    pub all_paths: Vec<Arc<str>>,
    /// Walk errors (permission denied, symlink loops) as `parse-error`s.
    pub diagnostics: Vec<Diagnostic>,
    /// Files not read, by the exclusion pattern that skipped them
    /// (see [`crate::exclude`]).
    pub skipped: std::collections::BTreeMap<String, usize>,
}

/// Walks `root`, honouring .gitignore/.ignore, following symlinks (loops are
/// reported), and classifies what it finds.
pub fn discover(root: &Path) -> Discovery {
    let mut found: Vec<(PathBuf, Arc<str>)> = Vec::new();
    let mut diagnostics = Vec::new();
    let walker = ignore::WalkBuilder::new(root)
        .follow_links(true)
        .hidden(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build();
    for entry in walker {
        match entry {
            Ok(e) => {
                if e.file_type().is_some_and(|t| t.is_file()) {
                    let rel = rel_path(root, e.path());
                    found.push((e.path().to_path_buf(), rel));
                }
            }
            Err(err) => diagnostics.push(walk_error(root, &err)),
        }
    }
    found.sort_by(|a, b| a.1.cmp(&b.1));
    let mut discovery = classify(found, diagnostics);
    crate::exclude::apply(&mut discovery, root);
    discovery
}

fn classify(found: Vec<(PathBuf, Arc<str>)>, diagnostics: Vec<Diagnostic>) -> Discovery {
    let mut d = Discovery {
        diagnostics,
        ..Discovery::default()
    };
    let dbt_roots: Vec<String> = found
        .iter()
        .filter(|(_, rel)| file_name(rel) == "dbt_project.yml")
        .map(|(_, rel)| match parent(rel) {
            "" => String::new(),
            dir => format!("{dir}/"),
        })
        .collect();
    for (path, rel) in &found {
        if file_name(rel) == "dbt_project.yml" {
            d.dbt_projects.push(DbtProjectDir {
                path: path.parent().map(Path::to_path_buf).unwrap_or_default(),
                rel: Arc::from(parent(rel)),
            });
        }
    }
    for (path, rel) in found {
        d.all_paths.push(rel.clone());
        let in_dbt = dbt_roots
            .iter()
            .any(|r| r.is_empty() || rel.starts_with(r.as_str()));
        let kind = match (file_name(&rel), extension(&rel)) {
            (crate::manifest::MANIFEST_FILE, _) => Some(FileKind::Manifest),
            _ if crate::workspace::CODEOWNERS_PLACES.contains(&rel.as_ref()) => {
                Some(FileKind::CodeOwners)
            }
            (_, "sql") if !in_dbt => Some(FileKind::Sql),
            (_, "py") => Some(FileKind::Python),
            _ => None,
        };
        if let Some(kind) = kind {
            d.files.push(RepoFile { path, rel, kind });
        }
    }
    d
}

fn walk_error(root: &Path, err: &ignore::Error) -> Diagnostic {
    let (path, message) = describe_walk_error(err);
    let rel: Arc<str> = path.map_or_else(|| Arc::from("."), |p| rel_path(root, &p));
    Diagnostic::new("parse-error", format!("cannot walk {rel}: {message}"))
        .at(Some(Span::file_start(&rel)))
        .help("fix the link or the permissions, or exclude the path with .gitignore or .ignore")
}

fn describe_walk_error(err: &ignore::Error) -> (Option<PathBuf>, String) {
    match err {
        ignore::Error::WithPath { path, err } => (Some(path.clone()), describe_walk_error(err).1),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            describe_walk_error(err)
        }
        ignore::Error::Loop { child, ancestor } => (
            Some(child.clone()),
            format!("symbolic link loop back to {}", ancestor.display()),
        ),
        other => (None, other.to_string()),
    }
}

/// The repo-relative path of `path`, with `/` separators.
pub fn rel_path(root: &Path, path: &Path) -> Arc<str> {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Arc::from(parts.join("/"))
}

fn file_name(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

fn parent(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(p, _)| p)
}

fn extension(rel: &str) -> &str {
    file_name(rel).rsplit_once('.').map_or("", |(_, e)| e)
}
