//! Running the built binary on fixtures, for the end-to-end tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The fact cache of every binary a test runs (`PIPELINT_CACHE_DIR`): under
/// the build folder, never the user's cache folder, whose oldest repo
/// caches a run past 64 temporary repos would prune.
pub const CACHE_DIR: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/pipelint-cache");

/// The repo's fixtures folder.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Exit code, stdout and stderr of `pipelint ARGS`. A fixture is checked as
/// a repo of its own: `check`/`graph`/`metrics`/`impact` on a path inside `fixtures/` get
/// `--root` set to that path unless the test gives one (the git
/// root would otherwise be this repo's).
pub fn pipelint(args: &[&str]) -> (i32, String, String) {
    let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    if matches!(
        args.first().map(String::as_str),
        Some("check" | "graph" | "metrics" | "impact")
    ) && !args.iter().any(|a| a == "--root")
    {
        let fixture = args
            .iter()
            .skip(1)
            .find(|a| Path::new(a.as_str()).starts_with(&fixtures))
            .cloned();
        if let Some(fixture) = fixture {
            args.push("--root".into());
            args.push(fixture);
        }
    }
    let out = Command::new(env!("CARGO_BIN_EXE_pipelint"))
        .args(&args)
        .env("NO_COLOR", "1")
        .env("PIPELINT_CACHE_DIR", CACHE_DIR)
        .output()
        .expect("the pipelint binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `check --format json` on a path: exit code and the parsed document.
pub fn check_json(path: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let p = path.to_string_lossy().into_owned();
    let mut args = vec!["check", p.as_str(), "--format", "json"];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = pipelint(&args);
    let doc = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"));
    (code, doc)
}

/// Each finding as `CODE rule node file:line`.
pub fn findings(doc: &serde_json::Value) -> Vec<String> {
    doc["diagnostics"]
        .as_array()
        .expect("diagnostics array")
        .iter()
        .map(|d| {
            format!(
                "{} {} {} {}:{}",
                d["code"].as_str().unwrap_or("?"),
                d["rule"].as_str().unwrap_or("?"),
                d["node"].as_str().unwrap_or("-"),
                d["file"].as_str().unwrap_or("-"),
                d["line"].as_u64().unwrap_or(0)
            )
        })
        .collect()
}

/// `graph --format json` on a path.
pub fn graph_json(path: &Path) -> serde_json::Value {
    let p = path.to_string_lossy().into_owned();
    let (code, stdout, stderr) = pipelint(&["graph", p.as_str(), "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).expect("graph JSON")
}

/// Graph edges as `from -kind-> to`.
pub fn edges(graph: &serde_json::Value) -> Vec<String> {
    graph["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            format!(
                "{} -{}-> {}",
                e["from"].as_str().unwrap_or("?"),
                e["kind"].as_str().unwrap_or("?"),
                e["to"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

/// Whether tests that need outside tools (installed by `.ci/setup.d/`) run:
/// `PIPELINT_EXTERNAL_TESTS=1`, which `.ci/run` sets.
pub fn external_tests() -> bool {
    std::env::var_os("PIPELINT_EXTERNAL_TESTS").is_some_and(|v| v == "1")
}

/// The throwaway Python venv `.ci/run` makes (`PIPELINT_VENV`).
pub fn venv_python() -> Option<PathBuf> {
    let venv = std::env::var_os("PIPELINT_VENV")?;
    let py = Path::new(&venv).join("bin").join("python");
    py.exists().then_some(py)
}

/// Copies a folder tree (files and folders only), creating `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("folder entry");
        let target = to.join(entry.file_name());
        let kind = entry.file_type().expect("file type");
        if kind.is_dir() {
            copy_dir(&entry.path(), &target);
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}
