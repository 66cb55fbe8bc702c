//! Git access, in one place: find the repository, resolve a revision and its
//! merge base, and copy a commit's tree out of git objects into a folder.
//!
//! It runs the `git` binary with only plumbing commands (`rev-parse`,
//! `merge-base`, `ls-tree`, `cat-file --batch`), with the file-system
//! monitor and hooks switched off: blobs are read raw, so no clean/smudge
//! filter, no textconv and nothing else from the repo's configuration runs,
//! and nothing is checked out into the user's working tree. (A Rust git
//! library such as gix would do the same at many times the build time.)

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A git repository found from a path inside it.
#[derive(Debug, Clone)]
pub struct Repo {
    /// The top of the working tree.
    pub top: PathBuf,
    /// The path the repo was found from, relative to `top` (`""` at the top),
    /// with `/` separators.
    pub prefix: String,
}

/// One git invocation with the safety switches on.
fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C")
        .arg(dir)
        .args([
            "-c",
            "core.fsmonitor=false",
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "core.untrackedCache=false",
        ])
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env_remove("GIT_EXTERNAL_DIFF")
        .stdin(Stdio::null());
    c
}

fn output(mut c: Command) -> Result<String, String> {
    let out = c.output().map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout)
            .trim_end_matches('\n')
            .to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

impl Repo {
    /// The repository holding `path`; an error saying so when there is none.
    pub fn discover(path: &Path) -> Result<Repo, String> {
        let mut c = git(path);
        c.args(["rev-parse", "--show-toplevel", "--show-prefix"]);
        let text = output(c).map_err(|e| {
            if e.contains("not a git repository") {
                format!("{} is not inside a git repository, so --changed-since has nothing to compare with", path.display())
            } else {
                format!("git cannot read the repository at {}: {e}", path.display())
            }
        })?;
        let mut lines = text.lines();
        let top = PathBuf::from(lines.next().unwrap_or_default());
        let prefix = lines
            .next()
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string();
        Ok(Repo { top, prefix })
    }

    /// The commit a revision names.
    pub fn commit(&self, reference: &str) -> Result<String, String> {
        if reference.starts_with('-') {
            return Err(format!("`{reference}` is not a revision"));
        }
        let mut c = git(&self.top);
        c.args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
            .arg(format!("{reference}^{{commit}}"));
        output(c).map_err(|_| {
            format!("`{reference}` names no commit in {} (a branch, tag or commit id, e.g. origin/main or HEAD~1)", self.top.display())
        })
    }

    /// The merge base of `HEAD` and `reference`: where the current branch
    /// left it.
    pub fn merge_base(&self, reference: &str) -> Result<String, String> {
        let other = self.commit(reference)?;
        let head = self
            .commit("HEAD")
            .map_err(|_| "the repository has no commit yet (HEAD names none)".to_string())?;
        let mut c = git(&self.top);
        c.args(["merge-base", &head, &other]);
        output(c).map_err(|_| format!("`{reference}` and HEAD have no common history"))
    }

    /// The files that differ between `commit` and the working tree (committed,
    /// staged, unstaged and untracked changes), relative to [`Repo::prefix`]
    /// and `/`-separated; files outside the prefix are left out.
    pub fn changed_files(&self, commit: &str) -> Result<Vec<String>, String> {
        let mut diff = git(&self.top);
        diff.args([
            "diff",
            "--name-only",
            "-z",
            "--no-renames",
            "--no-ext-diff",
            "--no-textconv",
            commit,
            "--",
        ]);
        let mut untracked = git(&self.top);
        untracked.args([
            "ls-files",
            "-z",
            "--others",
            "--exclude-standard",
            "--full-name",
        ]);
        let mut names = Vec::new();
        for c in [diff, untracked] {
            for name in output(c)?.split('\0').filter(|n| !n.is_empty()) {
                let rel = if self.prefix.is_empty() {
                    Some(name)
                } else {
                    name.strip_prefix(self.prefix.as_str())
                        .and_then(|r| r.strip_prefix('/'))
                };
                if let Some(rel) = rel {
                    names.push(rel.to_string());
                }
            }
        }
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// Writes the files of `commit`'s whole tree into `dest` (which
    /// must exist), from git objects. Symlinks and submodules are skipped.
    pub fn extract(&self, commit: &str, dest: &Path) -> Result<usize, String> {
        let mut c = git(&self.top);
        c.args(["ls-tree", "-r", "-z", "--full-tree", commit]);
        let listing = c.output().map_err(|e| format!("cannot run git: {e}"))?;
        if !listing.status.success() {
            return Err(String::from_utf8_lossy(&listing.stderr).trim().to_string());
        }
        let mut files: Vec<(String, PathBuf)> = Vec::new();
        for entry in listing.stdout.split(|b| *b == 0).filter(|e| !e.is_empty()) {
            let Some(tab) = entry.iter().position(|b| *b == b'\t') else {
                continue;
            };
            let meta = String::from_utf8_lossy(&entry[..tab]);
            let mut parts = meta.split(' ');
            let (Some(mode), Some(kind), Some(oid)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if kind != "blob" || !(mode == "100644" || mode == "100755") {
                continue;
            }
            let Some(rel) = safe_relative(&entry[tab + 1..]) else {
                continue;
            };
            files.push((oid.to_string(), rel));
        }
        let mut c = git(&self.top);
        c.args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = c.spawn().map_err(|e| format!("cannot run git: {e}"))?;
        let mut stdin = child.stdin.take().ok_or("cannot talk to git")?;
        let oids: Vec<String> = files.iter().map(|(o, _)| o.clone()).collect();
        let writer = std::thread::spawn(move || {
            for oid in oids {
                if writeln!(stdin, "{oid}").is_err() {
                    break;
                }
            }
        });
        let stdout = child.stdout.take().ok_or("cannot talk to git")?;
        let mut reader = BufReader::new(stdout);
        let mut written = 0;
        for (_, rel) in &files {
            let mut head = String::new();
            reader
                .read_line(&mut head)
                .map_err(|e| format!("cannot read from git: {e}"))?;
            let size: u64 = head
                .split(' ')
                .nth(2)
                .and_then(|s| s.trim().parse().ok())
                .ok_or_else(|| format!("unexpected answer from git cat-file: {}", head.trim()))?;
            let path = dest.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            }
            let mut file = std::fs::File::create(&path)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            std::io::copy(&mut (&mut reader).take(size), &mut file)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            let mut newline = [0u8; 1];
            reader
                .read_exact(&mut newline)
                .map_err(|e| format!("cannot read from git: {e}"))?;
            written += 1;
        }
        let _ = writer.join();
        let _ = child.wait();
        Ok(written)
    }
}

/// A tree path as a relative path, or `None` when it could leave the folder
/// it is written into (git never stores such paths; this is defense in depth).
fn safe_relative(bytes: &[u8]) -> Option<PathBuf> {
    let text = std::str::from_utf8(bytes).ok()?;
    let path = Path::new(text);
    path.components()
        .all(|c| matches!(c, std::path::Component::Normal(_)))
        .then(|| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_paths_stay_inside() {
        assert!(safe_relative(b"dags/x.py").is_some());
        assert!(safe_relative(b"../x").is_none());
        assert!(safe_relative(b"/etc/passwd").is_none());
    }
}
