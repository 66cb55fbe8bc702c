//! The README's "Use in CI" snippets, read as YAML and run where they can be.

use std::path::Path;
use std::process::Command;

use saphyr::{LoadableYamlNode, Yaml};

use crate::common::copy_dir;
use crate::common::fixture;
use crate::repo_root;

/// The README's fenced YAML block whose first line is `# <file>`.
fn snippet(file: &str) -> String {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let start = readme
        .find(&format!("```yaml\n# {file}\n"))
        .unwrap_or_else(|| panic!("the README shows {file}"));
    let body = &readme[start + "```yaml\n".len()..];
    body[..body.find("```").unwrap()].to_string()
}

fn yaml(text: &str) -> Yaml<'_> {
    Yaml::load_from_str(text).unwrap().remove(0)
}

fn keys<'a>(y: &'a Yaml<'a>) -> Vec<&'a str> {
    y.as_mapping()
        .map(|m| m.keys().filter_map(|k| k.as_str()).collect())
        .unwrap_or_default()
}

#[test]
fn the_github_workflow_uses_the_action_with_its_inputs() {
    let text = snippet(".github/workflows/pipelint.yml");
    let workflow = yaml(&text);
    assert_eq!(
        workflow["permissions"]["security-events"].as_str(),
        Some("write"),
        "the SARIF upload needs it"
    );
    let steps = workflow["jobs"]["pipelint"]["steps"].as_vec().unwrap();
    assert_eq!(steps[0]["uses"].as_str(), Some("actions/checkout@v4"));
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        steps[1]["uses"].as_str(),
        Some(format!("pipelint/pipelint@v{version}").as_str())
    );
    let action_text = std::fs::read_to_string(repo_root().join("action.yml")).unwrap();
    let action = yaml(&action_text);
    let inputs = keys(&action["inputs"]);
    for key in keys(&steps[1]["with"]) {
        assert!(inputs.contains(&key), "the action has no input {key}");
    }
}

#[test]
fn the_pre_commit_snippet_names_a_hook_of_this_repo() {
    let text = snippet(".pre-commit-config.yaml");
    let config = yaml(&text);
    let repo = &config["repos"][0];
    assert_eq!(repo["repo"].as_str(), Some(env!("CARGO_PKG_REPOSITORY")));
    assert_eq!(
        repo["rev"].as_str(),
        Some(format!("v{}", env!("CARGO_PKG_VERSION")).as_str())
    );
    let hooks_text = std::fs::read_to_string(repo_root().join(".pre-commit-hooks.yaml")).unwrap();
    let hooks = yaml(&hooks_text);
    let ids: Vec<&str> = hooks
        .as_vec()
        .unwrap()
        .iter()
        .filter_map(|h| h["id"].as_str())
        .collect();
    for hook in repo["hooks"].as_vec().unwrap() {
        assert!(ids.contains(&hook["id"].as_str().unwrap()));
    }
}

/// Runs one `script:` line of the GitLab job as GitLab's shell would, with
/// the built binary first on PATH.
fn sh(line: &str, dir: &Path, bin_dir: &Path) -> i32 {
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("sh")
        .args(["-c", line])
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env("PIPELINT_CACHE_DIR", crate::common::CACHE_DIR)
        .output()
        .unwrap()
        .status
        .code()
        .unwrap_or(-1)
}

#[test]
fn the_gitlab_job_writes_the_reports_it_uploads_and_fails_on_findings() {
    let text = snippet(".gitlab-ci.yml");
    let config = yaml(&text);
    let job = &config["pipelint"];
    let reports = &job["artifacts"]["reports"];
    assert_eq!(job["artifacts"]["when"].as_str(), Some("always"));
    let quality = reports["codequality"].as_str().unwrap();
    let junit = reports["junit"].as_str().unwrap();

    let bin_dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_pipelint"),
        bin_dir.path().join("pipelint"),
    )
    .unwrap();
    for (name, last) in [("acme-broken", 1), ("acme", 0)] {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&fixture(name), dir.path());
        let lines: Vec<&str> = job["script"]
            .as_vec()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        let (report_lines, gate) = lines.split_at(lines.len() - 1);
        for line in report_lines {
            assert_eq!(sh(line, dir.path(), bin_dir.path()), 0, "{line} on {name}");
        }
        assert_eq!(sh(gate[0], dir.path(), bin_dir.path()), last, "{name}");
        let issues: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join(quality)).unwrap())
                .unwrap();
        let xml = std::fs::read_to_string(dir.path().join(junit)).unwrap();
        let expected = if last == 1 { 51 } else { 0 };
        assert_eq!(issues.as_array().unwrap().len(), expected);
        assert_eq!(xml.matches("<testcase ").count(), expected);
    }
    // A run that cannot happen fails the job at the first line.
    let empty = tempfile::tempdir().unwrap();
    let first = job["script"][0]
        .as_str()
        .unwrap()
        .replace("check", "check ./missing");
    assert_ne!(sh(&first, empty.path(), bin_dir.path()), 0);
}
