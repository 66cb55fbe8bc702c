//! Where a run stands: the repo root (the git root of the checked path, as
//! GitHub and GitLab see the repo), the part of it being checked, the
//! `pipeline.toml` that configures the run and the `CODEOWNERS` file that
//! names owners.
//!
//! A run always analyses the whole repo from its root, so a file's path,
//! its owner and its neighbours are the same whichever folder is checked;
//! checking a subfolder then reports the findings located inside it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::manifest::MANIFEST_FILE;

/// The places a `CODEOWNERS` file is looked for, in the order GitHub
/// (`.github/`, root, `docs/`) and GitLab (root, `docs/`, `.gitlab/`)
/// search them; the first that exists is the one that counts.
pub const CODEOWNERS_PLACES: [&str; 4] = [
    ".github/CODEOWNERS",
    "CODEOWNERS",
    "docs/CODEOWNERS",
    ".gitlab/CODEOWNERS",
];

/// The repo root, the checked part of it and the config of a run.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The repo root: every path in the output is relative to it.
    pub root: PathBuf,
    /// The checked folder relative to the root, `/`-separated (`""` for the
    /// whole repo).
    pub scope: String,
    /// The config file: its path on disk and the name it is shown by
    /// (repo-relative when inside the root).
    pub config: Option<(PathBuf, Arc<str>)>,
}

impl Workspace {
    /// Finds the workspace of `path`: the root is `root` when given, else
    /// the nearest folder at or above `path` holding `.git` (a folder, or a
    /// file in worktrees and submodules), else `path` itself. The config is
    /// `config` when given, else the nearest `pipeline.toml` from `path` up
    /// to the root.
    pub fn locate(
        path: &Path,
        root: Option<&Path>,
        config: Option<&Path>,
    ) -> Result<Workspace, String> {
        let path = canonical_dir(path)?;
        let root = match root {
            Some(r) => {
                let r = canonical_dir(r)?;
                if !path.starts_with(&r) {
                    return Err(format!(
                        "{} is not inside the root {}",
                        path.display(),
                        r.display()
                    ));
                }
                r
            }
            None => {
                let top = git_root(&path).unwrap_or_else(|| path.clone());
                declared_root(&path, &top).unwrap_or(top)
            }
        };
        let scope = crate::discover::rel_path(&root, &path).to_string();
        let config = match config {
            Some(file) => {
                let abs = std::fs::canonicalize(file)
                    .map_err(|e| format!("cannot read config {}: {e}", file.display()))?;
                if !abs.is_file() {
                    return Err(format!("config {} is not a file", file.display()));
                }
                let shown: Arc<str> = if abs.starts_with(&root) {
                    crate::discover::rel_path(&root, &abs)
                } else {
                    Arc::from(file.to_string_lossy().as_ref())
                };
                Some((abs, shown))
            }
            None => path
                .ancestors()
                .take_while(|dir| dir.starts_with(&root))
                .map(|dir| dir.join(MANIFEST_FILE))
                .find(|f| f.is_file())
                .map(|f| {
                    let shown = crate::discover::rel_path(&root, &f);
                    (f, shown)
                }),
        };
        Ok(Workspace {
            root,
            scope,
            config,
        })
    }

    /// A workspace of `root` alone: the whole repo, its top-level
    /// `pipeline.toml` when there is one.
    pub fn at_root(root: &Path) -> Result<Workspace, String> {
        Workspace::locate(root, Some(root), None)
    }

    /// The config's folder relative to the root (`""` at the root), when
    /// the config lies inside the repo.
    pub fn config_dir(&self) -> Option<&str> {
        let (abs, shown) = self.config.as_ref()?;
        abs.starts_with(&self.root)
            .then(|| shown.rsplit_once('/').map_or("", |(dir, _)| dir))
    }

    /// Whether a repo-relative path lies in the checked folder.
    pub fn in_scope(&self, rel: &str) -> bool {
        within(&self.scope, rel)
    }
}

/// The folder of a repo-relative path (`""` for a file at the root).
pub fn folder_of(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// The file name of a repo-relative path (its last component).
pub fn file_name_of(rel: &str) -> &str {
    rel.rsplit_once('/').map_or(rel, |(_, name)| name)
}

/// Whether the repo-relative path `rel` is `dir` or lies below it (`""` is
/// the whole repo).
pub fn within(dir: &str, rel: &str) -> bool {
    dir.is_empty()
        || rel
            .strip_prefix(dir)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

fn canonical_dir(path: &Path) -> Result<PathBuf, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_dir() {
        return Err("not a directory".into());
    }
    std::fs::canonicalize(path).map_err(|e| e.to_string())
}

/// The nearest folder from `dir` up to `top` whose `pipeline.toml` says
/// `[project] root = true`: a self-contained project inside a larger repo
/// (an example, a fixture, a vendored project), read as a repo of its own,
/// as EditorConfig's `root = true` stops its search.
fn declared_root(dir: &Path, top: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .take_while(|d| d.starts_with(top))
        .find(|d| declares_root(&d.join(MANIFEST_FILE)))
        .map(Path::to_path_buf)
}

/// Whether a `pipeline.toml` says `[project] root = true`. The file is read
/// only when it is small and not a link; any problem with it means no.
fn declares_root(file: &Path) -> bool {
    const MAX: u64 = 1024 * 1024;
    let Ok(meta) = std::fs::symlink_metadata(file) else {
        return false;
    };
    if !meta.is_file() || meta.len() > MAX {
        return false;
    }
    let Ok(text) = std::fs::read_to_string(file) else {
        return false;
    };
    text.parse::<toml_edit::DocumentMut>().is_ok_and(|doc| {
        doc.get("project")
            .and_then(|p| p.get("root"))
            .and_then(|r| r.as_bool())
            == Some(true)
    })
}

/// The nearest folder at or above `dir` holding `.git`.
fn git_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| {
            let git = d.join(".git");
            git.is_dir() || git.is_file()
        })
        .map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_paths() {
        assert!(within("", "a/b.sql"));
        assert!(within("a", "a/b.sql"));
        assert!(within("a", "a"));
        assert!(!within("a", "ab/c.sql"));
        assert!(!within("a/b", "a/c.sql"));
    }

    #[test]
    fn root_is_the_git_root_and_config_the_nearest() {
        let dir = std::env::temp_dir().join(format!("pipelint-ws-{}", std::process::id()));
        let sub = dir.join("transform").join("dbt");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::create_dir_all(dir.join(".git")).unwrap();
        std::fs::write(dir.join("pipeline.toml"), "").unwrap();
        let ws = Workspace::locate(&sub, None, None).unwrap();
        assert_eq!(ws.root, std::fs::canonicalize(&dir).unwrap());
        assert_eq!(ws.scope, "transform/dbt");
        assert_eq!(
            ws.config.as_ref().map(|c| c.1.as_ref()),
            Some("pipeline.toml")
        );
        std::fs::write(dir.join("transform").join("pipeline.toml"), "").unwrap();
        let ws = Workspace::locate(&sub, None, None).unwrap();
        assert_eq!(ws.config_dir(), Some("transform"));
        let ws = Workspace::locate(&sub, Some(&sub), None).unwrap();
        assert_eq!((ws.scope.as_str(), ws.config.is_none()), ("", true));
        assert!(Workspace::locate(&dir, Some(&sub), None).is_err());
        std::fs::write(
            dir.join("transform").join("pipeline.toml"),
            "[project]\nroot = true\n",
        )
        .unwrap();
        let ws = Workspace::locate(&sub, None, None).unwrap();
        let transform = std::fs::canonicalize(dir.join("transform")).unwrap();
        assert_eq!((&ws.root, ws.scope.as_str()), (&transform, "dbt"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
