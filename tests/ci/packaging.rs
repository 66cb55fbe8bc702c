//! pre-commit hooks and the Python wheel. Opt-in (`PIPELINT_EXTERNAL_TESTS=1`,
//! set by `.ci/run`): they build the release binary and use pre-commit and
//! maturin from PyPI (installed by `.ci/setup.d/20-ci-integrations.sh`). All
//! builds share one `CARGO_TARGET_DIR`, so the binary is compiled once.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{external_tests, venv_python};
use crate::{git_fixture, repo_root};

/// The shared target folder `.ci/run` exports (else the repo's `target/`).
/// The release builds these tests trigger share one target folder; run them
/// one at a time, so one build never removes a binary another is installing.
static RELEASE_BUILDS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Holds [`RELEASE_BUILDS`] for the rest of a test, even after another
/// test holding it failed.
fn one_build_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    RELEASE_BUILDS.lock().unwrap_or_else(|e| e.into_inner())
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
}

/// A tool installed by the setup script: `$VAR`, else the venv's copy.
fn tool(var: &str, name: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(var) {
        return PathBuf::from(path);
    }
    let python = venv_python().expect("PIPELINT_VENV is set (.ci/run)");
    python.with_file_name(name)
}

fn pre_commit() -> Command {
    let mut cmd = Command::new(tool("PIPELINT_PRE_COMMIT", "pre-commit"));
    let home = std::env::var_os("PRE_COMMIT_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("pre-commit-home"));
    cmd.env("PRE_COMMIT_HOME", home)
        .env("PIPELINT_CACHE_DIR", crate::common::CACHE_DIR)
        .env("CARGO_TARGET_DIR", target_dir())
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1");
    cmd
}

/// `pre-commit try-repo <this repo> <hook> --all-files` in a git repo made
/// from a fixture: exit code and output.
fn try_repo(fixture: &str, hook: &str) -> (i32, String) {
    let repo = git_fixture(fixture);
    let out = pre_commit()
        .arg("try-repo")
        .arg(repo_root())
        .args([hook, "--all-files", "--color", "never"])
        .current_dir(repo.path())
        .output()
        .expect("pre-commit runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// The hook's own lines of try-repo's output (after its preamble).
fn hook_output(text: &str) -> &str {
    text.find("pipelint.").map_or(text, |i| &text[i..])
}

fn assert_broken(code: i32, text: &str, hook: &str) {
    assert_eq!(code, 1, "{text}");
    let out = hook_output(text);
    assert!(out.contains("Failed"), "{text}");
    assert!(out.contains(&format!("- hook id: {hook}")), "{text}");
    assert!(out.contains("- exit code: 1"), "{text}");
    assert!(out.contains(
        "dags/account_health_refresh.py:13:14: PL301 missing-cadence [error] DAG `dag:account_health_refresh` only runs when triggered by hand"
    ), "{text}");
    assert_eq!(
        out.lines().filter(|l| l.contains(": PL")).count(),
        51,
        "every finding, one line each: {text}"
    );
}

fn assert_clean(code: i32, text: &str) {
    assert_eq!(code, 0, "{text}");
    let out = hook_output(text);
    assert!(out.contains("Passed"), "{text}");
    assert!(!out.contains(": PL"), "{text}");
}

#[test]
fn the_pre_commit_hook_fails_on_acme_broken_and_passes_on_acme() {
    let _build = one_build_at_a_time();
    if !external_tests() {
        println!("skipped: pre-commit try-repo (set PIPELINT_EXTERNAL_TESTS=1)");
        return;
    }
    let (code, text) = try_repo("acme-broken", "pipelint");
    println!("--- pre-commit try-repo . pipelint --all-files on fixtures/acme-broken (exit {code}) ---\n{}", hook_output(&text));
    assert_broken(code, &text, "pipelint");
    let (code, text) = try_repo("acme", "pipelint");
    println!(
        "--- pre-commit try-repo . pipelint --all-files on fixtures/acme (exit {code}) ---\n{}",
        hook_output(&text)
    );
    assert_clean(code, &text);
}

#[test]
fn the_python_hook_installs_the_wheel_and_runs_it() {
    let _build = one_build_at_a_time();
    if !external_tests() {
        println!("skipped: pre-commit try-repo of pipelint-python (set PIPELINT_EXTERNAL_TESTS=1)");
        return;
    }
    let (code, text) = try_repo("acme-broken", "pipelint-python");
    println!("--- pre-commit try-repo . pipelint-python --all-files on fixtures/acme-broken (exit {code}) ---\n{}", hook_output(&text));
    // (try-repo installs into a fresh store each time, which for this hook
    // is a release build; the passing fixture is run by the test above.)
    assert_broken(code, &text, "pipelint-python");
}

#[test]
fn the_hooks_trigger_on_every_file_type_pipelint_reads() {
    let text = std::fs::read_to_string(repo_root().join(".pre-commit-hooks.yaml")).unwrap();
    let docs = <saphyr::Yaml as saphyr::LoadableYamlNode>::load_from_str(&text).unwrap();
    let hooks = docs[0].as_vec().unwrap();
    let ids: Vec<&str> = hooks.iter().filter_map(|h| h["id"].as_str()).collect();
    assert_eq!(ids, ["pipelint", "pipelint-python"]);
    for hook in hooks {
        assert_eq!(hook["entry"].as_str(), Some("pipelint check --quiet"));
        assert_eq!(hook["pass_filenames"].as_bool(), Some(false));
        let files = hook["files"].as_str().unwrap();
        let matches = |path: &str| python_search(files, path);
        for path in [
            "models/staging/stg_orders.sql",
            "dags/orders_hourly.py",
            "dbt/dbt_project.yml",
            "packages.yml",
            "models/schema.yaml",
            "CODEOWNERS",
            ".github/CODEOWNERS",
            "pipeline.toml",
            "analytics/pipeline.toml",
        ] {
            assert!(matches(path), "{files} misses {path}");
        }
        for path in [
            "README.md",
            "Cargo.toml",
            "pyproject.toml",
            "notCODEOWNERS.txt",
        ] {
            assert!(!matches(path), "{files} matches {path}");
        }
    }
    assert_eq!(hooks[0]["language"].as_str(), Some("rust"));
    assert_eq!(hooks[1]["language"].as_str(), Some("python"));
}

/// Python's `re.search(pattern, path)`, which is how pre-commit matches `files`.
fn python_search(pattern: &str, path: &str) -> bool {
    let out = Command::new("python3")
        .args([
            "-c",
            "import re,sys; sys.exit(0 if re.search(sys.argv[1], sys.argv[2]) else 1)",
            pattern,
            path,
        ])
        .status()
        .expect("python3 runs");
    out.success()
}

#[test]
fn the_wheel_holds_the_binary() {
    let _build = one_build_at_a_time();
    if !external_tests() {
        println!("skipped: maturin wheel build (set PIPELINT_EXTERNAL_TESTS=1)");
        return;
    }
    let out_dir = tempfile::tempdir().unwrap();
    let build = Command::new(tool("PIPELINT_MATURIN", "maturin"))
        .args(["build", "--release", "--locked", "--out"])
        .arg(out_dir.path())
        .current_dir(repo_root())
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .expect("maturin runs");
    let said = String::from_utf8_lossy(&build.stderr).into_owned();
    assert!(build.status.success(), "{said}");
    let wheels: Vec<PathBuf> = std::fs::read_dir(out_dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(wheels.len(), 1, "{wheels:?}");
    let wheel = &wheels[0];
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        name.starts_with(&format!("pipelint-{version}-py3-none-")),
        "{name}"
    );
    println!(
        "wheel: {name} ({} bytes); maturin: {}",
        std::fs::metadata(wheel).unwrap().len(),
        said.lines()
            .filter(|l| l.contains("Built wheel"))
            .collect::<Vec<_>>()
            .join(" ")
    );

    // A throwaway venv: install the wheel alone, run the binary from it.
    let venv = tempfile::tempdir().unwrap();
    let python = venv_python().expect("PIPELINT_VENV is set (.ci/run)");
    let ok = Command::new(&python)
        .args(["-m", "venv"])
        .arg(venv.path())
        .status()
        .unwrap();
    assert!(ok.success());
    let pip = Command::new(venv.path().join("bin/python"))
        .args(["-m", "pip", "install", "--quiet", "--no-index"])
        .arg(wheel)
        .output()
        .unwrap();
    assert!(
        pip.status.success(),
        "{}",
        String::from_utf8_lossy(&pip.stderr)
    );
    let bin = venv.path().join("bin/pipelint");
    let out = Command::new(&bin).arg("--version").output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{} --version: {}", rel(&bin, venv.path()), said.trim());
    assert_eq!(said, format!("pipelint {version}\n"));
    let check = Command::new(&bin)
        .args(["check", "--quiet"])
        .arg(crate::common::fixture("acme-broken"))
        .env("PIPELINT_CACHE_DIR", crate::common::CACHE_DIR)
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1));
    // 51 findings and the one-line totals.
    assert_eq!(String::from_utf8_lossy(&check.stdout).lines().count(), 52);
}

fn rel(path: &Path, base: &Path) -> String {
    format!(
        "<venv>/{}",
        path.strip_prefix(base).unwrap_or(path).display()
    )
}
