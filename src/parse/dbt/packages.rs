//! Packages: those declared in `packages.yml`/`dependencies.yml`, those
//! installed under the packages folder (read although .gitignore usually
//! hides it), and local packages.

use std::path::Path;
use std::sync::Arc;

use super::project::{join_rel, DbtProject};
use super::yaml::{self, YNode};
use crate::discover::rel_path;
use crate::parse::ParseContext;
use crate::span::Span;

/// Most files read from one installed package.
const MAX_PACKAGE_FILES: usize = 20_000;
/// Deepest folder nesting walked in a package.
const MAX_PACKAGE_DEPTH: usize = 24;

/// A package named in `packages.yml`.
#[derive(Debug, Clone)]
pub struct DeclaredPackage {
    /// The name it installs under (`dbt-labs/dbt_utils` → `dbt_utils`).
    pub name: String,
    /// Where it is declared.
    pub span: Span,
    /// For `local:` packages, the repo-relative folder.
    pub local: Option<String>,
}

/// The packages declared by the project in `dir`.
pub fn declared(dir: &str, context: &ParseContext) -> Vec<DeclaredPackage> {
    let mut out = Vec::new();
    for name in ["packages.yml", "dependencies.yml"] {
        let rel: Arc<str> = Arc::from(join_rel(dir, name));
        if !context.paths.contains(&rel) && !context.root.join(rel.as_ref()).is_file() {
            continue;
        }
        let Ok(text) = context.read(&rel) else {
            continue;
        };
        let Ok(doc) = yaml::parse(&text) else {
            continue;
        };
        for entry in doc.get("packages").map(YNode::items).unwrap_or(&[]) {
            let (name, local) = if let Some(hub) = entry.get("package").and_then(YNode::scalar_text)
            {
                (hub.rsplit('/').next().unwrap_or(&hub).to_string(), None)
            } else if let Some(git) = entry.get("git").and_then(YNode::scalar_text) {
                let last = git
                    .trim_end_matches('/')
                    .rsplit(['/', ':'])
                    .next()
                    .unwrap_or(&git);
                let name = entry
                    .get("subdirectory")
                    .and_then(YNode::scalar_text)
                    .map(|s| s.rsplit('/').next().unwrap_or(&s).to_string())
                    .unwrap_or_else(|| last.trim_end_matches(".git").to_string());
                (name, None)
            } else if let Some(local) = entry.get("local").and_then(YNode::scalar_text) {
                let path = join_rel(dir, &local);
                (
                    path.rsplit('/').next().unwrap_or(&path).to_string(),
                    Some(path),
                )
            } else if let Some(name) = entry.get("name").and_then(YNode::scalar_text) {
                (name, None)
            } else {
                continue;
            };
            out.push(DeclaredPackage {
                name,
                span: entry.span(&rel),
                local,
            });
        }
    }
    out
}

/// The other dbt projects the project in `dir` may `ref` (dbt Mesh):
/// `projects:` in its `dependencies.yml`.
pub fn declared_projects(dir: &str, context: &ParseContext) -> Vec<String> {
    let rel: Arc<str> = Arc::from(join_rel(dir, "dependencies.yml"));
    if !context.paths.contains(&rel) {
        return Vec::new();
    }
    let Ok(doc) = context.read(&rel).map(|text| yaml::parse(&text)) else {
        return Vec::new();
    };
    let Ok(doc) = doc else { return Vec::new() };
    doc.get("projects")
        .map(YNode::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(|p| p.get("name").and_then(YNode::scalar_text))
        .collect()
}

/// Names match across `-`/`_` and case (`dbt-utils` installs as `dbt_utils`).
pub fn same_package(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.to_ascii_lowercase().replace('-', "_");
    norm(a) == norm(b)
}

/// The repo-relative folders of installed packages: each folder of the
/// packages path holding a `dbt_project.yml`, and local packages.
pub fn installed_dirs(
    root: &DbtProject,
    declared: &[DeclaredPackage],
    context: &ParseContext,
) -> Vec<String> {
    let base = root.rel(&root.packages_install_path);
    let mut dirs = Vec::new();
    let inside = |rel: &str| crate::confine::resolve(&context.root, rel).ok();
    if let Some(Ok(entries)) = inside(&base).map(std::fs::read_dir) {
        for entry in entries.flatten() {
            let rel = rel_path(&context.root, &entry.path());
            if inside(&join_rel(&rel, "dbt_project.yml")).is_some_and(|p| p.is_file()) {
                dirs.push(rel.to_string());
            }
        }
    }
    for d in declared {
        if let Some(local) = &d.local {
            if inside(&join_rel(local, "dbt_project.yml")).is_some_and(|p| p.is_file())
                && !dirs.contains(local)
            {
                dirs.push(local.clone());
            }
        }
    }
    dirs.sort();
    dirs
}

/// The files of an installed package, repo-relative and sorted. Hidden
/// folders, `target/`, `logs/` and nested package folders are skipped;
/// symbolic links are not followed.
pub fn package_files(dir: &str, context: &ParseContext) -> Vec<Arc<str>> {
    let mut out = Vec::new();
    if crate::confine::resolve(&context.root, dir).is_err() {
        return out;
    }
    walk(&context.root, &context.root.join(dir), 0, &mut out);
    out.sort();
    out
}

fn walk(root: &Path, dir: &Path, depth: usize, out: &mut Vec<Arc<str>>) {
    if depth > MAX_PACKAGE_DEPTH || out.len() >= MAX_PACKAGE_FILES {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if name.starts_with('.') || kind.is_symlink() {
            continue;
        }
        if kind.is_dir() {
            if !matches!(
                name.as_str(),
                "target" | "logs" | "dbt_packages" | "dbt_modules"
            ) {
                walk(root, &entry.path(), depth + 1, out);
            }
        } else if kind.is_file() && out.len() < MAX_PACKAGE_FILES {
            out.push(rel_path(root, &entry.path()));
        }
    }
}
