//! The GitHub Action: `scripts/action.sh` run locally with the variables
//! GitHub sets, and `action.yml` read as YAML.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use saphyr::{LoadableYamlNode, Yaml};

use crate::common::copy_dir;
use crate::common::fixture;
use crate::{git, git_fixture, repo_root};

/// What one run of the script left behind.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    outputs: String,
    summary: String,
}

/// A runner's folders: RUNNER_TEMP, the step summary and output files.
struct Runner {
    temp: tempfile::TempDir,
}

impl Runner {
    fn new() -> Runner {
        Runner {
            temp: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.temp.path().join(name)
    }

    /// Runs `action.sh <step>` with only the given variables (and those any
    /// runner has) set, from `cwd`.
    fn run(&self, step: &str, workspace: &Path, vars: &[(&str, &str)]) -> Run {
        let summary = self.path("step_summary.md");
        let outputs = self.path("github_output");
        let mut cmd = Command::new("bash");
        cmd.arg(repo_root().join("scripts/action.sh"))
            .arg(step)
            .current_dir(workspace)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.temp.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_WORKSPACE", workspace)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("GITHUB_OUTPUT", &outputs)
            .env("GITHUB_EVENT_NAME", "push")
            .env("GITHUB_BASE_REF", "")
            .env("RUNNER_TEMP", self.temp.path())
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("ACTION_PATH", repo_root());
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("bash runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            outputs: std::fs::read_to_string(&outputs).unwrap_or_default(),
            summary: std::fs::read_to_string(&summary).unwrap_or_default(),
        }
    }
}

const BIN: &str = env!("CARGO_BIN_EXE_pipelint");

#[test]
fn the_check_step_writes_summary_sarif_annotations_and_the_exit_code() {
    let workspace = tempfile::tempdir().unwrap();
    copy_dir(&fixture("acme-broken"), workspace.path());
    let runner = Runner::new();
    let run = runner.run(
        "check",
        workspace.path(),
        &[
            ("PIPELINT_BIN", BIN),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_REPOSITORY", "acme/warehouse"),
            ("GITHUB_SHA", "5d4e3f2a1b0c"),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    println!(
        "--- step summary written by scripts/action.sh (GITHUB_STEP_SUMMARY) ---\n{}--- end ---",
        run.summary
    );
    assert!(run.summary.starts_with(
        "## pipelint\n\n**51 findings**: 27 errors, 22 warnings, 2 infos in 45 files"
    ));
    assert!(run.summary.contains(
        "[dags/account\\_health\\_refresh.py:13](https://github.com/acme/warehouse/blob/5d4e3f2a1b0c/dags/account_health_refresh.py#L13)"
    ));
    let sarif_path = runner.path("pipelint.sarif");
    assert_eq!(
        run.outputs,
        format!("sarif={}\nexit-code=1\n", sarif_path.display())
    );
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 51);
    let annotations: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(annotations.len(), 23, "capped, with a closing notice");
    assert!(annotations[22].starts_with("::notice title=pipelint%3A more findings::29 more"));

    // A clean repo passes and says so.
    let clean = tempfile::tempdir().unwrap();
    copy_dir(&fixture("acme"), clean.path());
    let runner = Runner::new();
    let run = runner.run("check", clean.path(), &[("PIPELINT_BIN", BIN)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.summary.starts_with("## pipelint\n\nNo findings in "));
    assert_eq!(run.stdout, "");
}

#[test]
fn inputs_switch_outputs_off_and_fail_on_reaches_pipelint() {
    let workspace = tempfile::tempdir().unwrap();
    copy_dir(&fixture("acme-broken"), workspace.path());
    let runner = Runner::new();
    let run = runner.run(
        "check",
        workspace.path(),
        &[
            ("PIPELINT_BIN", BIN),
            ("INPUT_SARIF", "false"),
            ("INPUT_SUMMARY", "false"),
            ("INPUT_ANNOTATIONS", "false"),
            ("INPUT_ARGS", "--select layer-skip"),
            ("INPUT_FAIL_ON", "warn"),
        ],
    );
    assert_eq!(
        run.code, 1,
        "a warning fails with fail-on warn: {}",
        run.stderr
    );
    assert_eq!(run.summary, "");
    assert!(!runner.path("pipelint.sarif").exists());
    assert_eq!(run.outputs, "exit-code=1\n");
    // Two findings and the one-line totals of --quiet.
    assert_eq!(run.stdout.lines().count(), 3, "{}", run.stdout);
    assert!(run.stdout.contains("PL402 layer-skip [warn]"));
    let run = runner.run(
        "check",
        workspace.path(),
        &[
            ("PIPELINT_BIN", BIN),
            ("INPUT_SUMMARY", "false"),
            ("INPUT_ARGS", "--select layer-skip"),
        ],
    );
    assert_eq!(run.code, 0, "warnings alone pass at fail-on error");
}

/// A stand-in for pipelint that records its arguments, one per line (NUL
/// terminated), and reports nothing.
fn recorder(dir: &Path) -> (PathBuf, PathBuf) {
    let log = dir.join("argv.log");
    let bin = dir.join("record-pipelint");
    std::fs::write(
        &bin,
        format!(
            "#!/usr/bin/env bash\nfor a in \"$@\"; do printf '%s\\0' \"$a\" >>'{}'; done\nprintf '\\n' >>'{}'\n",
            log.display(),
            log.display()
        ),
    )
    .unwrap();
    let mut perms = std::fs::metadata(&bin).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&bin, perms).unwrap();
    (bin, log)
}

/// Each recorded call's arguments.
fn calls(log: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .split('\n')
        .filter(|c| !c.is_empty())
        .map(|c| {
            c.split('\0')
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .collect()
        })
        .collect()
}

fn pwned(dirs: &[&Path]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for dir in dirs {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .contains("pwned")
            {
                found.push(path);
            }
        }
    }
    found
}

#[test]
fn hostile_inputs_are_passed_as_text_never_executed() {
    let workspace = tempfile::tempdir().unwrap();
    let tools = tempfile::tempdir().unwrap();
    let (bin, log) = recorder(tools.path());
    let runner = Runner::new();
    let bin = bin.to_string_lossy().into_owned();
    let run = runner.run(
        "check",
        workspace.path(),
        &[
            ("PIPELINT_BIN", &bin),
            ("INPUT_PATH", "$(touch pwned-path)"),
            (
                "INPUT_ARGS",
                "`touch pwned-tick`; touch pwned-semi $(touch pwned-sub) *",
            ),
            ("INPUT_BASELINE", "base.json; touch pwned-baseline"),
            ("INPUT_CHANGED_SINCE", "$(touch pwned-since)"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let where_ = [workspace.path(), runner.temp.path(), tools.path()];
    assert_eq!(pwned(&where_), Vec::<PathBuf>::new());
    let args: Vec<&str> = [
        "`touch",
        "pwned-tick`;",
        "touch",
        "pwned-semi",
        "$(touch",
        "pwned-sub)",
        "*",
    ]
    .to_vec();
    let mut sarif = vec!["check", "$(touch pwned-path)"];
    sarif.extend(&args);
    sarif.extend(["--format", "sarif"]);
    let mut gated = vec!["check", "$(touch pwned-path)"];
    gated.extend(&args);
    gated.extend([
        "--fail-on",
        "error",
        "--baseline",
        "base.json; touch pwned-baseline",
        "--changed-since",
        "$(touch pwned-since)",
    ]);
    let mut summary = gated.clone();
    summary.extend(["--format", "markdown"]);
    let mut annotations = gated.clone();
    annotations.extend(["--format", "github"]);
    assert_eq!(
        calls(&log),
        [sarif, summary, annotations]
            .iter()
            .map(|c| c.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .collect::<Vec<_>>(),
        "the SARIF upload is never filtered; the gate gets every input verbatim"
    );

    // A fail-on outside the three severities is refused before anything runs.
    let run = runner.run(
        "check",
        workspace.path(),
        &[
            ("PIPELINT_BIN", &bin),
            ("INPUT_FAIL_ON", "error; touch pwned-failon"),
        ],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("fail-on must be error, warn or info"));
    assert_eq!(pwned(&where_), Vec::<PathBuf>::new());

    // The real binary given a hostile path: it cannot check it, nothing runs.
    let run = runner.run(
        "check",
        workspace.path(),
        &[("PIPELINT_BIN", BIN), ("INPUT_PATH", "$(touch pwned-real)")],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("pipelint could not run"),
        "{}",
        run.stderr
    );
    assert_eq!(pwned(&where_), Vec::<PathBuf>::new());
}

#[test]
fn pull_requests_compare_with_the_fetched_base_branch() {
    // origin: a bare repository with `main`; the workspace: a clone of it on
    // a pull-request branch.
    let origin = git_fixture("acme");
    let bare = tempfile::tempdir().unwrap();
    git(
        bare.path(),
        &[
            "clone",
            "--quiet",
            "--bare",
            origin.path().to_str().unwrap(),
            ".",
        ],
    );
    let workspace = tempfile::tempdir().unwrap();
    git(
        workspace.path(),
        &[
            "clone",
            "--quiet",
            "--depth=1",
            &format!("file://{}", bare.path().display()),
            ".",
        ],
    );
    git(workspace.path(), &["checkout", "--quiet", "-b", "feature"]);
    git(
        workspace.path(),
        &["update-ref", "-d", "refs/remotes/origin/main"],
    );
    let tools = tempfile::tempdir().unwrap();
    let (bin, log) = recorder(tools.path());
    let runner = Runner::new();
    let run = runner.run(
        "check",
        workspace.path(),
        &[
            ("PIPELINT_BIN", bin.to_str().unwrap()),
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_BASE_REF", "main"),
            ("INPUT_SUMMARY", "false"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let main = git(workspace.path(), &["rev-parse", "refs/remotes/origin/main"]);
    let head = git(origin.path(), &["rev-parse", "HEAD"]);
    assert_eq!(main, head, "the base branch was fetched");
    let calls = calls(&log);
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0], ["check", ".", "--format", "sarif"]);
    assert_eq!(
        calls[1],
        [
            "check",
            ".",
            "--fail-on",
            "error",
            "--changed-since",
            "origin/main",
            "--format",
            "github"
        ]
    );
}

fn output(run: &Run, name: &str) -> String {
    run.outputs
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {}", run.outputs))
        .to_string()
}

#[test]
fn a_release_tag_downloads_other_refs_build_with_a_cache_key_of_the_sources() {
    let here = tempfile::tempdir().unwrap();
    let runner = Runner::new();
    let run = runner.run("prepare", here.path(), &[("ACTION_REF", "v1.4.0")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(output(&run, "mode"), "download");

    // A copy of the action's sources, to change its Cargo.lock.
    let action = tempfile::tempdir().unwrap();
    for part in ["src", "rules"] {
        copy_dir(&repo_root().join(part), &action.path().join(part));
    }
    for file in ["Cargo.toml", "Cargo.lock"] {
        std::fs::copy(repo_root().join(file), action.path().join(file)).unwrap();
    }
    let action_path = action.path().to_str().unwrap();
    let key = |r: &Runner| {
        let run = r.run(
            "prepare",
            here.path(),
            &[("ACTION_REF", "main"), ("ACTION_PATH", action_path)],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(output(&run, "mode"), "cargo");
        assert_eq!(
            output(&run, "cargo-root"),
            r.path("pipelint-cargo").display().to_string()
        );
        output(&run, "cache-key")
    };
    let first = key(&Runner::new());
    let parts: Vec<&str> = first.split('-').collect();
    assert_eq!(&parts[..4], ["pipelint", "Linux", "X64", "main"], "{first}");
    assert!(parts[4..]
        .iter()
        .all(|p| p.len() == 16 && p.chars().all(|c| c.is_ascii_hexdigit())));
    assert_eq!(key(&Runner::new()), first, "the same sources, the same key");
    let lock = action.path().join("Cargo.lock");
    let text = std::fs::read_to_string(&lock).unwrap();
    std::fs::write(&lock, format!("{text}\n")).unwrap();
    let second = key(&Runner::new());
    assert_ne!(second, first, "a new Cargo.lock is a new key");
    assert_eq!(second.split('-').nth(5), first.split('-').nth(5));
}

/// `python3 -m http.server` on 127.0.0.1, on a free port, serving `dir`.
struct Server {
    child: std::process::Child,
    port: u16,
}

impl Server {
    fn start(dir: &Path) -> Server {
        let mut child = Command::new("python3")
            .args([
                "-u",
                "-m",
                "http.server",
                "0",
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        // "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
        let port = line
            .split_whitespace()
            .skip_while(|w| *w != "port")
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        Server { child, port }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sha256_hex(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn the_download_is_checksum_verified() {
    // A release as .github/workflows/release.yml lays it out: an archive
    // holding the binary, its checksum beside it, at the release's URL.
    let server_root = tempfile::tempdir().unwrap();
    let release = server_root
        .path()
        .join("pipelint/pipelint/releases/download/v1.4.0");
    std::fs::create_dir_all(&release).unwrap();
    let stage = tempfile::tempdir().unwrap();
    let folder = "pipelint-x86_64-unknown-linux-musl";
    std::fs::create_dir_all(stage.path().join(folder)).unwrap();
    let bin = stage.path().join(folder).join("pipelint");
    std::fs::write(&bin, "#!/bin/sh\necho 'pipelint 1.4.0 (released)'\n").unwrap();
    let mut perms = std::fs::metadata(&bin).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&bin, perms).unwrap();
    let archive = release.join(format!("{folder}.tar.gz"));
    let status = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(stage.path())
        .arg(folder)
        .status()
        .unwrap();
    assert!(status.success());
    let sum = sha256_hex(&archive);
    std::fs::write(
        release.join(format!("{folder}.tar.gz.sha256")),
        format!("{sum}  {folder}.tar.gz\n"),
    )
    .unwrap();
    let server = Server::start(server_root.path());
    let base = format!("http://127.0.0.1:{}", server.port);
    let here = tempfile::tempdir().unwrap();

    // The default URL: the release asset of the action's repository.
    let runner = Runner::new();
    let release_vars = [
        ("ACTION_REF", "v1.4.0"),
        ("ACTION_REPOSITORY", "pipelint/pipelint"),
        ("GITHUB_SERVER_URL", base.as_str()),
    ];
    let run = runner.run("install", here.path(), &release_vars);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains(&format!("pipelint: sha256 {sum} verified")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.ends_with("pipelint 1.4.0 (released)\n"),
        "{}",
        run.stdout
    );
    let installed = runner.path("pipelint-bin/pipelint");
    assert_eq!(run.outputs, format!("bin={}\n", installed.display()));
    assert!(installed.exists());

    // An overridden URL, with a pinned checksum that does not match:
    // nothing is installed.
    let url = format!(
        "{base}/pipelint/pipelint/releases/download/{{version}}/pipelint-{{target}}.tar.gz"
    );
    let vars = [
        ("ACTION_REF", "v1.4.0"),
        ("INPUT_DOWNLOAD_URL", url.as_str()),
    ];
    let runner = Runner::new();
    let wrong = "0".repeat(64);
    let run = runner.run(
        "install",
        here.path(),
        &[vars[0], vars[1], ("INPUT_SHA256", wrong.as_str())],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(&format!(
            "checksum mismatch for {base}/pipelint/pipelint/releases/download/v1.4.0/{folder}.tar.gz: expected {wrong}, got {sum}"
        )),
        "{}",
        run.stderr
    );
    assert!(!runner.path("pipelint-bin").exists());
    assert_eq!(run.outputs, "");
    let runner = Runner::new();
    let run = runner.run(
        "install",
        here.path(),
        &[vars[0], vars[1], ("INPUT_SHA256", sum.as_str())],
    );
    assert_eq!(run.code, 0, "the right pinned checksum: {}", run.stderr);

    // A tampered archive (the published checksum no longer matches).
    std::fs::write(&archive, b"not the release").unwrap();
    let runner = Runner::new();
    let run = runner.run("install", here.path(), &vars);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("checksum mismatch"), "{}", run.stderr);
    assert!(!runner.path("pipelint-bin").exists());

    // No release for this version: the download fails loudly.
    let runner = Runner::new();
    let run = runner.run("install", here.path(), &[("ACTION_REF", "v9.9.9"), vars[1]]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("cannot download"), "{}", run.stderr);
}

#[test]
fn workflows_pass_expressions_through_env_only() {
    let dir = repo_root().join(".github/workflows");
    let mut runs = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let workflow = Yaml::load_from_str(&text).unwrap().remove(0);
        for job in workflow["jobs"].as_mapping().unwrap().values() {
            for step in job["steps"].as_vec().unwrap() {
                if let Some(run) = step.as_mapping_get("run").and_then(|r| r.as_str()) {
                    runs += 1;
                    assert!(!run.contains("${{"), "{}: {run}", path.display());
                }
            }
        }
    }
    assert!(runs >= 2);
}

fn step_by_name<'a>(steps: &'a [Yaml<'a>], name: &str) -> &'a Yaml<'a> {
    steps
        .iter()
        .find(|s| s.as_mapping_get("name").and_then(|n| n.as_str()) == Some(name))
        .unwrap_or_else(|| panic!("no step {name}"))
}

#[test]
fn action_yml_passes_inputs_through_env_only() {
    let text = std::fs::read_to_string(repo_root().join("action.yml")).unwrap();
    let docs = Yaml::load_from_str(&text).unwrap();
    let action = &docs[0];
    let inputs: Vec<&str> = action["inputs"]
        .as_mapping()
        .unwrap()
        .keys()
        .filter_map(|k| k.as_str())
        .collect();
    for name in [
        "path",
        "args",
        "fail-on",
        "baseline",
        "changed-since",
        "sarif",
        "summary",
        "annotations",
        "download-url",
        "sha256",
    ] {
        assert!(inputs.contains(&name), "input {name}");
    }
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    let steps = action["runs"]["steps"].as_vec().unwrap();
    let mut scripted = Vec::new();
    for step in steps {
        if let Some(run) = step.as_mapping_get("run") {
            let run = run.as_str().unwrap();
            assert!(!run.contains("${{"), "an expression inside run: {run}");
            assert!(
                run.starts_with("\"$ACTION_PATH/scripts/action.sh\" "),
                "{run}"
            );
            scripted.push(run.rsplit(' ').next().unwrap().to_string());
            assert_eq!(step["shell"].as_str(), Some("bash"));
        }
    }
    assert_eq!(scripted, ["prepare", "install", "check"]);
    let check = step_by_name(steps, "Check");
    let env = check["env"].as_mapping().unwrap();
    for (var, input) in [
        ("INPUT_PATH", "path"),
        ("INPUT_ARGS", "args"),
        ("INPUT_FAIL_ON", "fail-on"),
        ("INPUT_BASELINE", "baseline"),
        ("INPUT_CHANGED_SINCE", "changed-since"),
        ("INPUT_SARIF", "sarif"),
        ("INPUT_SUMMARY", "summary"),
        ("INPUT_ANNOTATIONS", "annotations"),
    ] {
        let value = env
            .iter()
            .find(|(k, _)| k.as_str() == Some(var))
            .and_then(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("{var} in the Check step's env"));
        assert_eq!(value, format!("${{{{ inputs.{input} }}}}"));
    }
    let cache = step_by_name(steps, "Cache the pipelint build");
    assert_eq!(cache["uses"].as_str(), Some("actions/cache@v4"));
    assert_eq!(
        cache["with"]["key"].as_str(),
        Some("${{ steps.prepare.outputs.cache-key }}")
    );
    let upload = step_by_name(steps, "Upload SARIF to code scanning");
    assert_eq!(
        upload["uses"].as_str(),
        Some("github/codeql-action/upload-sarif@v3")
    );
    assert!(upload["if"].as_str().unwrap().starts_with("always()"));
    assert_eq!(
        upload["with"]["sarif_file"].as_str(),
        Some("${{ steps.check.outputs.sarif }}")
    );
}

#[test]
fn the_action_script_passes_shellcheck() {
    if !crate::common::external_tests() {
        println!("skipped: shellcheck (set PIPELINT_EXTERNAL_TESTS=1)");
        return;
    }
    let out = Command::new("shellcheck")
        .arg(repo_root().join("scripts/action.sh"))
        .output()
        .expect("shellcheck is installed (.ci/setup.d/20-ci-integrations.sh)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
