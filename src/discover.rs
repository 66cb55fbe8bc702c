//! Finding the files of a repo and what each one is, honouring .gitignore.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::workspace::{file_name_of, folder_of};

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
#[derive(Debug, Default, Clone)]
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

/// A file found: its path and its repo-relative name.
type Found = (PathBuf, Arc<str>);

/// Walks `root`, honouring the repo's own .gitignore/.ignore files (never
/// ignore files above the root, the user's global git excludes or
/// `.git/info/exclude`, so the result is the same on every machine), and
/// classifies what it finds. Symbolic links are followed only where they
/// resolve inside the root (see [`crate::confine`]); the others, and names
/// that are not UTF-8, are `parse-error`s naming the link, never opened.
pub fn discover(root: &Path) -> Discovery {
    let mut found: Vec<Found> = Vec::new();
    let refused: Arc<Mutex<Vec<Diagnostic>>> = Arc::default();
    let walker = {
        let root = root.to_path_buf();
        let refused = refused.clone();
        ignore::WalkBuilder::new(root.clone())
            .follow_links(true)
            .hidden(false)
            .parents(false)
            .git_global(false)
            .git_exclude(false)
            .require_git(false)
            .threads(rayon::current_num_threads().min(4))
            .filter_entry(move |e| admit(&root, e, &refused))
            .build_parallel()
    };
    // Folders are listed in parallel; what they hold is sorted after.
    let walked: Mutex<(Vec<Found>, Vec<Diagnostic>)> = Mutex::default();
    walker.run(|| {
        Box::new(|entry| {
            let item = match entry {
                Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                    Ok((e.path().to_path_buf(), rel_path(root, e.path())))
                }
                Ok(_) => return ignore::WalkState::Continue,
                Err(err) => Err(walk_error(root, &err)),
            };
            if let Ok(mut walked) = walked.lock() {
                match item {
                    Ok(file) => walked.0.push(file),
                    Err(d) => walked.1.push(d),
                }
            }
            ignore::WalkState::Continue
        })
    });
    let (mut found_now, mut diagnostics) = walked.into_inner().unwrap_or_default();
    found.append(&mut found_now);
    if let Ok(mut refused) = refused.lock() {
        diagnostics.append(&mut refused);
    }
    diagnostics.sort_by(|a, b| {
        let at = |d: &Diagnostic| d.span.as_ref().map(|s| s.file.clone());
        (at(a), &a.message).cmp(&(at(b), &b.message))
    });
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
        .filter(|(_, rel)| file_name_of(rel) == "dbt_project.yml")
        .map(|(_, rel)| match folder_of(rel) {
            "" => String::new(),
            dir => format!("{dir}/"),
        })
        .collect();
    for (path, rel) in &found {
        if file_name_of(rel) == "dbt_project.yml" {
            d.dbt_projects.push(DbtProjectDir {
                path: path.parent().map(Path::to_path_buf).unwrap_or_default(),
                rel: Arc::from(folder_of(rel)),
            });
        }
    }
    for (path, rel) in found {
        d.all_paths.push(rel.clone());
        let in_dbt = dbt_roots
            .iter()
            .any(|r| r.is_empty() || rel.starts_with(r.as_str()));
        let kind = match (file_name_of(&rel), extension(&rel)) {
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
    let link_refusal = std::fs::symlink_metadata(root.join(rel.as_ref()))
        .is_ok_and(|m| m.file_type().is_symlink())
        .then(|| crate::confine::resolve(root, &rel).err())
        .flatten();
    let message = match link_refusal {
        Some(why) => why.message(&rel),
        None if is_loop(err) => format!("{rel} is {message}"),
        None => format!("cannot walk {rel}: {message}"),
    };
    Diagnostic::new("parse-error", message)
        .at(Some(Span::file_start(&rel)))
        .help("fix the link or the permissions, or exclude the path with .gitignore or .ignore")
}

fn is_loop(err: &ignore::Error) -> bool {
    match err {
        ignore::Error::Loop { .. } => true,
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => is_loop(err),
        _ => false,
    }
}

fn describe_walk_error(err: &ignore::Error) -> (Option<PathBuf>, String) {
    match err {
        ignore::Error::WithPath { path, err } => (Some(path.clone()), describe_walk_error(err).1),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            describe_walk_error(err)
        }
        ignore::Error::Loop { child, .. } => (
            Some(child.clone()),
            "a symbolic link that loops back to a folder above it; it was not followed".into(),
        ),
        other => (None, other.to_string()),
    }
}

/// Whether the walker may enter or list `e`: not `.git`, a UTF-8 name, and
/// a symbolic link only when it resolves inside the root. Refusals are
/// recorded as diagnostics.
fn admit(root: &Path, e: &ignore::DirEntry, refused: &Mutex<Vec<Diagnostic>>) -> bool {
    if e.file_name() == ".git" {
        return false;
    }
    let refusal = if let Err(name) = crate::confine::name_text(e.file_name()) {
        let parent = e
            .path()
            .parent()
            .map(|p| rel_path(root, p))
            .unwrap_or_default();
        let rel: Arc<str> = if parent.is_empty() {
            Arc::from(name)
        } else {
            Arc::from(format!("{parent}/{name}"))
        };
        Diagnostic::new(
            "parse-error",
            format!("{rel}: the name is not valid UTF-8; it was not read"),
        )
        .at(Some(Span::file_start(&rel)))
        .help("rename it to UTF-8, or exclude it with .gitignore or .ignore")
    } else if e.path_is_symlink() {
        let rel = rel_path(root, e.path());
        match crate::confine::resolve(root, &rel) {
            Ok(_) => return true,
            Err(why) => crate::files::refused(&rel, &why),
        }
    } else {
        return true;
    };
    if let Ok(mut r) = refused.lock() {
        r.push(refusal);
    }
    false
}

/// The repo-relative path of `path`, with `/` separators.
pub fn rel_path(root: &Path, path: &Path) -> Arc<str> {
    match plain_rel(root, path) {
        Some(rel) => Arc::from(rel),
        None => Arc::from(component_rel(root, path)),
    }
}

/// [`rel_path`] for any path: its components after `root`, joined by `/`.
fn component_rel(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// The common case of [`rel_path`] without splitting either path into
/// components: on a system whose separator is `/`, `path` spelt as `root`,
/// a `/` and a UTF-8 rest with no empty, `.` or `..` component (what the
/// walker gives). `None` for anything else.
fn plain_rel<'p>(root: &Path, path: &'p Path) -> Option<&'p str> {
    if std::path::MAIN_SEPARATOR != '/' {
        return None;
    }
    let path = path.to_str()?;
    let rest = path.strip_prefix(root.to_str()?)?;
    let rest = if root.as_os_str().as_encoded_bytes().ends_with(b"/") {
        rest
    } else {
        rest.strip_prefix('/')?
    };
    let plain = rest
        .split('/')
        .all(|part| !part.is_empty() && part != "." && part != "..");
    plain.then_some(rest)
}

fn extension(rel: &str) -> &str {
    file_name_of(rel).rsplit_once('.').map_or("", |(_, e)| e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_path_is_cut_as_its_components_are() {
        for (root, path) in [
            ("/repo", "/repo/dags/a.py"),
            ("/repo/", "/repo/dags/a.py"),
            ("/", "/dags/a.py"),
            ("/repo", "/repo"),
            ("/repo", "/repo//dags/./a.py"),
            ("/repo", "/repo/x/../a.py"),
            ("/repo", "/repository/a.py"),
            ("/repo", "/other/a.py"),
        ] {
            let (root, path) = (Path::new(root), Path::new(path));
            assert_eq!(
                rel_path(root, path).as_ref(),
                component_rel(root, path),
                "{root:?} {path:?}"
            );
        }
        assert_eq!(
            plain_rel(Path::new("/repo"), Path::new("/repo/a/b.sql")),
            Some("a/b.sql")
        );
        assert_eq!(
            plain_rel(Path::new("/repo"), Path::new("/repository/a.py")),
            None
        );
    }
}
