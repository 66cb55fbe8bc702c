//! The one resolver of repo paths: every path pipelint reads because the
//! repo names it (a discovered file, `sql=` in a DAG, `template_searchpath`,
//! dbt `model-paths`, packages, `manifest.json`, `[[task]] runs`) goes
//! through [`resolve`], which refuses anything that lands outside the repo
//! root or inside its `.git` folder — through `..`, an absolute path, or a
//! symbolic link — without opening it. A link to something inside the root
//! is read at the link's own path, as dbt and Airflow would see it.
//!
//! Paths a person types on the command line (`--config`, `--baseline`,
//! `-o`, `--cache-dir`) are theirs to choose and do not come here.

use std::path::{Path, PathBuf};

/// Why a repo path was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The path is absolute or climbs above the root with `..`.
    Escapes,
    /// A symbolic link on the way (named, repo-relative) resolves outside
    /// the root or into `.git`.
    LinkOutside(String),
    /// A symbolic link on the way (named) points at nothing, or loops.
    LinkBroken(String),
    /// Nothing is there (or it cannot be looked at): the I/O error's text.
    Missing(String),
}

impl Refusal {
    /// A message naming `rel` (and the link, never its target).
    pub fn message(&self, rel: &str) -> String {
        match self {
            Refusal::Escapes => {
                format!("{rel} is outside the repo; it was not read")
            }
            Refusal::LinkOutside(link) if link == rel => format!(
                "{rel} is a symbolic link to a place outside the repo; it was not read"
            ),
            Refusal::LinkOutside(link) => format!(
                "{rel} is behind the symbolic link {link}, which leads outside the repo; it was not read"
            ),
            Refusal::LinkBroken(link) if link == rel => format!(
                "{rel} is a symbolic link that points at nothing or loops; it was not read"
            ),
            Refusal::LinkBroken(link) => format!(
                "{rel} is behind the symbolic link {link}, which points at nothing or loops; it was not read"
            ),
            Refusal::Missing(why) => format!("cannot read {rel}: {why}"),
        }
    }

    /// Whether the refusal is about a symbolic link or an escaping path
    /// (as opposed to a file that is simply not there).
    pub fn is_link(&self) -> bool {
        !matches!(self, Refusal::Missing(_))
    }
}

/// The real path to open for the repo-relative `rel` (`/`-separated; `.`
/// and `..` are folded lexically first), or why it must not be opened.
/// `rel` may be `""` for the root itself.
pub fn resolve(root: &Path, rel: &str) -> Result<PathBuf, Refusal> {
    let parts = fold(rel).ok_or(Refusal::Escapes)?;
    let canonical_root =
        std::fs::canonicalize(root).map_err(|e| Refusal::Missing(io_message(&e)))?;
    let mut path = root.to_path_buf();
    for (i, part) in parts.iter().enumerate() {
        path.push(part);
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) => return Err(Refusal::Missing(io_message(&e))),
        };
        if !meta.file_type().is_symlink() {
            continue;
        }
        let link = parts[..=i].join("/");
        let target = match std::fs::canonicalize(&path) {
            Ok(t) => t,
            Err(_) => return Err(Refusal::LinkBroken(link)),
        };
        if !inside(&canonical_root, &target) {
            return Err(Refusal::LinkOutside(link));
        }
    }
    let real = std::fs::canonicalize(&path).map_err(|e| Refusal::Missing(io_message(&e)))?;
    if inside(&canonical_root, &real) {
        Ok(real)
    } else {
        Err(Refusal::Escapes)
    }
}

/// Whether `path` (canonical) is the root or under it, and not in `.git`.
fn inside(canonical_root: &Path, path: &Path) -> bool {
    path.strip_prefix(canonical_root)
        .is_ok_and(|rest| !rest.components().any(|c| c.as_os_str() == ".git"))
}

/// The parts of `rel` with `.` dropped and `..` applied; `None` when it is
/// absolute or climbs above the root.
fn fold(rel: &str) -> Option<Vec<&str>> {
    if rel.starts_with('/') || Path::new(rel).is_absolute() {
        return None;
    }
    let mut parts = Vec::new();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts)
}

/// An I/O error's text without the OS error number.
fn io_message(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// A file or folder name as text: UTF-8 names as they are, other bytes
/// escaped as `\xNN` so two different names never print the same.
pub fn name_text(name: &std::ffi::OsStr) -> Result<&str, String> {
    name.to_str()
        .ok_or_else(|| escape_bytes(name.as_encoded_bytes()))
}

/// `bytes` with every byte that is not part of valid UTF-8 escaped as `\xNN`.
fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_inside_are_read_and_links_outside_refused() {
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("repo");
        std::fs::create_dir_all(root.join("sql")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::write(root.join("sql/a.sql"), "select 1").unwrap();
        std::fs::write(root.join(".git/config"), "[core]").unwrap();
        std::fs::write(outer.path().join("secret"), "s3cr3t").unwrap();
        symlink("a.sql", root.join("sql/b.sql")).unwrap();
        symlink("../../secret", root.join("sql/leak.sql")).unwrap();
        symlink("../.git/config", root.join("sql/git.sql")).unwrap();
        symlink("..", root.join("up")).unwrap();
        symlink("nothing", root.join("sql/gone.sql")).unwrap();
        assert!(resolve(&root, "sql/b.sql").is_ok());
        assert!(resolve(&root, "sql/./x/../a.sql").is_ok());
        assert_eq!(
            resolve(&root, "sql/leak.sql"),
            Err(Refusal::LinkOutside("sql/leak.sql".into()))
        );
        assert_eq!(
            resolve(&root, "sql/git.sql"),
            Err(Refusal::LinkOutside("sql/git.sql".into()))
        );
        assert_eq!(
            resolve(&root, "up/secret"),
            Err(Refusal::LinkOutside("up".into()))
        );
        assert_eq!(
            resolve(&root, "sql/gone.sql"),
            Err(Refusal::LinkBroken("sql/gone.sql".into()))
        );
        assert_eq!(resolve(&root, "../secret"), Err(Refusal::Escapes));
        assert_eq!(resolve(&root, "/etc/passwd"), Err(Refusal::Escapes));
        assert_eq!(resolve(&root, ".git/config"), Err(Refusal::Escapes));
    }

    #[test]
    fn names_that_are_not_utf8_stay_distinct() {
        use std::os::unix::ffi::OsStrExt;
        let a = name_text(std::ffi::OsStr::from_bytes(b"r\xe9sum\xe9.sql")).unwrap_err();
        let b = name_text(std::ffi::OsStr::from_bytes(b"r\xe8sum\xe9.sql")).unwrap_err();
        assert_eq!(a, "r\\xe9sum\\xe9.sql");
        assert_ne!(a, b);
        assert_eq!(name_text(std::ffi::OsStr::new("ok.sql")), Ok("ok.sql"));
    }
}
