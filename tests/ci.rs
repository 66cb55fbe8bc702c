//! The CI integrations: the formats CI systems read (SARIF, GitHub
//! annotations, Markdown, GitLab Code Quality, JUnit), the GitHub Action's
//! script, the pre-commit hooks, the Python wheel and the README's snippets.

mod common;

#[path = "ci/action.rs"]
mod action;
#[path = "ci/formats.rs"]
mod formats;
#[path = "ci/packaging.rs"]
mod packaging;
#[path = "ci/snippets.rs"]
mod snippets;

use std::path::Path;
use std::process::Command;

/// Runs git in `dir` with a fixed identity; panics when it fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "pipelint test")
        .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
        .env("GIT_COMMITTER_NAME", "pipelint test")
        .env("GIT_COMMITTER_EMAIL", "test@example.invalid")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fresh git repository holding a copy of a fixture, one commit.
pub fn git_fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    common::copy_dir(&common::fixture(name), dir.path());
    git(dir.path(), &["init", "--quiet", "--initial-branch=main"]);
    git(dir.path(), &["add", "--all"]);
    git(dir.path(), &["commit", "--quiet", "-m", "fixture"]);
    dir
}

/// The repository's own folder.
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}
