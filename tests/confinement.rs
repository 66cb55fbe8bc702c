//! Never outside the repo root: for every kind of path pipelint resolves, a
//! "secret" planted next to the repo (reached by a symbolic link or by `..`)
//! must appear in no output format, and links are reported by name.
#![cfg(unix)]

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use common::{check_json, findings, pipelint};

/// The word every planted secret contains; it must never be printed.
const SECRET: &str = "leakedsecret";

/// A scratch folder holding `repo/` (the repo checked) and secret files
/// beside it.
struct Scene {
    _dir: tempfile::TempDir,
    outer: PathBuf,
    repo: PathBuf,
}

impl Scene {
    fn new() -> Scene {
        let dir = tempfile::tempdir().unwrap();
        let outer = dir.path().to_path_buf();
        let repo = outer.join("repo");
        fs::create_dir_all(repo.join("sql")).unwrap();
        fs::write(
            repo.join("sql/good.sql"),
            "CREATE TABLE analytics.fct_orders AS SELECT * FROM raw.orders;\n",
        )
        .unwrap();
        fs::create_dir_all(outer.join("outside")).unwrap();
        fs::write(
            outer.join("outside/secret.sql"),
            format!("CREATE TABLE {SECRET}.t AS SELECT * FROM {SECRET}.src;\n"),
        )
        .unwrap();
        fs::write(
            outer.join("outside/secret.txt"),
            format!("{SECRET}=hunter2\n"),
        )
        .unwrap();
        Scene {
            _dir: dir,
            outer,
            repo,
        }
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.repo.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn link(&self, target: &str, rel: &str) {
        let path = self.repo.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        symlink(target, path).unwrap();
    }

    /// Every output format and the graph, concatenated.
    fn outputs(&self, extra: &[&str]) -> String {
        let repo = self.repo.to_string_lossy().into_owned();
        let mut all = String::new();
        for format in ["human", "json", "sarif", "github"] {
            let mut args = vec!["check", repo.as_str(), "--format", format];
            args.extend_from_slice(extra);
            let (code, out, err) = pipelint(&args);
            assert!(code == 0 || code == 1, "{format}: exit {code}: {err}");
            all.push_str(&out);
            all.push_str(&err);
        }
        let mut args = vec!["graph", repo.as_str()];
        args.extend_from_slice(extra);
        let (_, out, err) = pipelint(&args);
        all.push_str(&out);
        all.push_str(&err);
        all
    }

    /// Asserts no secret and no absolute path of the scratch folder in any
    /// output, and returns the parse-error findings with their messages.
    fn confined(&self, extra: &[&str]) -> Vec<String> {
        let all = self.outputs(extra);
        assert!(!all.contains(SECRET), "the secret leaked:\n{all}");
        assert!(!all.contains("hunter2"), "the secret leaked:\n{all}");
        let outer = self.outer.to_string_lossy();
        assert!(
            !all.contains(outer.as_ref()),
            "an absolute path is printed:\n{all}"
        );
        let mut args = vec!["--select", "parse-error"];
        args.extend_from_slice(extra);
        let (_, doc) = check_json(&self.repo, &args);
        let messages = doc["diagnostics"].as_array().unwrap().iter();
        findings(&doc)
            .into_iter()
            .zip(messages)
            .map(|(f, d)| format!("{f} {}", d["message"].as_str().unwrap()))
            .collect()
    }
}

fn graph_ids(repo: &Path) -> Vec<String> {
    common::graph_json(repo)["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_sql_file_linked_outside_is_refused_by_name() {
    let s = Scene::new();
    s.link("../../outside/secret.sql", "sql/leak.sql");
    assert_eq!(
        s.confined(&[]),
        ["PL000 parse-error - sql/leak.sql:1 sql/leak.sql is a symbolic link to a place outside the repo; it was not read"]
    );
    assert!(graph_ids(&s.repo).contains(&"script:sql/good.sql".to_string()));
}

#[test]
fn a_link_into_dot_git_is_refused() {
    let s = Scene::new();
    s.write(
        ".git/config",
        &format!("[remote]\n  url = https://{SECRET}@x\n"),
    );
    s.link("../.git/config", "sql/config.sql");
    assert_eq!(
        s.confined(&[]),
        ["PL000 parse-error - sql/config.sql:1 sql/config.sql is a symbolic link to a place outside the repo; it was not read"]
    );
}

#[test]
fn a_manifest_linked_outside_is_refused() {
    let s = Scene::new();
    s.link("../outside/secret.txt", "pipeline.toml");
    assert_eq!(
        s.confined(&[]),
        ["PL000 parse-error - pipeline.toml:1 pipeline.toml is a symbolic link to a place outside the repo; it was not read"]
    );
}

#[test]
fn a_folder_linked_outside_is_not_walked() {
    let s = Scene::new();
    s.link("../../outside", "sql/u");
    assert_eq!(
        s.confined(&[]),
        ["PL000 parse-error - sql/u:1 sql/u is a symbolic link to a place outside the repo; it was not read"]
    );
}

#[test]
fn links_inside_the_repo_are_read_at_their_own_path() {
    let s = Scene::new();
    s.write(
        "shared/fct.sql",
        "CREATE TABLE analytics.fct_items AS SELECT * FROM raw.items;\n",
    );
    s.link("../shared/fct.sql", "sql/fct.sql");
    s.link("../shared", "sql/lib");
    assert_eq!(s.confined(&[]), Vec::<String>::new());
    let ids = graph_ids(&s.repo);
    for id in [
        "script:sql/fct.sql",
        "script:sql/lib/fct.sql",
        "script:shared/fct.sql",
    ] {
        assert!(ids.contains(&id.to_string()), "{id} missing from {ids:?}");
    }
}

#[test]
fn dangling_and_looping_links_are_parse_errors_naming_the_link() {
    let s = Scene::new();
    s.link("nothing.sql", "sql/gone.sql");
    s.link("../sql", "sql/again");
    assert_eq!(
        s.confined(&[]),
        [
            "PL000 parse-error - sql/again:1 sql/again is a symbolic link that loops back to a folder above it; it was not followed",
            "PL000 parse-error - sql/gone.sql:1 sql/gone.sql is a symbolic link that points at nothing or loops; it was not read",
        ]
    );
}

const DAG_HEADER: &str = "from airflow import DAG\n\
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator\n";

#[test]
fn a_dag_cannot_reach_sql_outside_the_repo() {
    let s = Scene::new();
    s.write(
        "dags/load.py",
        &format!(
            "{DAG_HEADER}\nwith DAG('load', schedule='@daily', template_searchpath=['../../outside'], \
             default_args={{'owner': 'data', 'retries': 2}}):\n    \
             SQLExecuteQueryOperator(task_id='up', sql='../../outside/secret.sql')\n    \
             SQLExecuteQueryOperator(task_id='abs', sql='secret.sql')\n"
        ),
    );
    assert_eq!(s.confined(&[]), Vec::<String>::new());
}

#[test]
fn a_manifest_task_cannot_run_a_script_outside_the_repo() {
    let s = Scene::new();
    s.write(
        "pipeline.toml",
        "[[task]]\nid = \"etl.up\"\nruns = \"../outside/secret.sql\"\n",
    );
    assert_eq!(s.confined(&[]), Vec::<String>::new());
}

fn dbt_project(s: &Scene, extra: &str) {
    s.write(
        "dbt/dbt_project.yml",
        &format!("name: shop\nversion: '1.0'\nconfig-version: 2\nprofile: shop\n{extra}"),
    );
    s.write(
        "dbt/models/stg_orders.sql",
        "select * from {{ source('raw', 'orders') }}\n",
    );
}

#[test]
fn dbt_model_and_macro_paths_cannot_leave_the_repo() {
    let s = Scene::new();
    dbt_project(
        &s,
        "model-paths: [\"models\", \"../../outside\"]\nmacro-paths: [\"macros\", \"/etc\"]\n",
    );
    s.link("../../../outside/secret.sql", "dbt/macros/leak.sql");
    s.link("../../../outside/secret.sql", "dbt/models/leak.sql");
    assert_eq!(
        s.confined(&[]),
        [
            "PL000 parse-error - dbt/macros/leak.sql:1 dbt/macros/leak.sql is a symbolic link to a place outside the repo; it was not read",
            "PL000 parse-error - dbt/models/leak.sql:1 dbt/models/leak.sql is a symbolic link to a place outside the repo; it was not read",
        ]
    );
}

#[test]
fn dbt_packages_cannot_leave_the_repo() {
    let s = Scene::new();
    dbt_project(&s, "");
    s.write(
        "dbt/packages.yml",
        "packages:\n  - local: ../../outside/pkg\n  - package: dbt-labs/dbt_utils\n    version: 1.0.0\n",
    );
    let pkg = s.outer.join("outside/pkg");
    fs::create_dir_all(pkg.join("models")).unwrap();
    fs::write(
        pkg.join("dbt_project.yml"),
        format!("name: {SECRET}\nversion: '1'\nconfig-version: 2\n"),
    )
    .unwrap();
    fs::write(
        pkg.join("models/m.sql"),
        format!("select * from {SECRET}.t\n"),
    )
    .unwrap();
    s.link("../../outside", "dbt/dbt_packages");
    let found = s.confined(&[]);
    assert_eq!(
        found,
        ["PL000 parse-error - dbt/dbt_packages:1 dbt/dbt_packages is a symbolic link to a place outside the repo; it was not read"]
    );
}

#[test]
fn a_dbt_manifest_linked_outside_is_refused() {
    let s = Scene::new();
    dbt_project(&s, "");
    fs::write(
        s.outer.join("outside/manifest.json"),
        format!("{{\"metadata\": {{\"project_name\": \"shop\"}}, \"nodes\": {{\"model.shop.{SECRET}\": {{}}}}}}"),
    )
    .unwrap();
    s.link("../../../outside/manifest.json", "dbt/target/manifest.json");
    let found = s.confined(&["--dbt-manifest"]);
    assert_eq!(
        found,
        ["PL000 parse-error - dbt/target/manifest.json:1 dbt/target/manifest.json is a symbolic link to a place outside the repo; it was not read"]
    );
}

#[test]
fn ignore_files_above_the_root_and_global_excludes_change_nothing() {
    let s = Scene::new();
    fs::write(s.outer.join(".gitignore"), "*.sql\n").unwrap();
    fs::write(s.outer.join(".ignore"), "sql/\n").unwrap();
    let home = s.outer.join("home");
    fs::create_dir_all(home.join(".config/git")).unwrap();
    fs::write(home.join(".config/git/ignore"), "*.sql\n").unwrap();
    fs::write(
        home.join(".gitconfig"),
        format!(
            "[core]\n\texcludesFile = {}\n",
            home.join(".config/git/ignore").display()
        ),
    )
    .unwrap();
    s.write(".gitignore", "sql/skipped.sql\n");
    s.write(
        "sql/skipped.sql",
        "CREATE TABLE analytics.skipped AS SELECT 1;\n",
    );
    let repo = s.repo.to_string_lossy().into_owned();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pipelint"))
        .args(["graph", repo.as_str()])
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .output()
        .unwrap();
    let graph: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"script:sql/good.sql"), "{ids:?}");
    assert!(!ids.contains(&"script:sql/skipped.sql"), "{ids:?}");
}

#[test]
fn names_that_are_not_utf8_are_reported_without_colliding() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let s = Scene::new();
    for name in [&b"r\xe9sum\xe9.sql"[..], &b"r\xe8sum\xe9.sql"[..]] {
        let path = s.repo.join("sql").join(OsStr::from_bytes(name));
        if fs::write(path, "SELECT 1;\n").is_err() {
            eprintln!("skipped: this file system refuses names that are not UTF-8");
            return;
        }
    }
    assert_eq!(
        s.confined(&[]),
        [
            "PL000 parse-error - sql/r\\xe8sum\\xe9.sql:1 sql/r\\xe8sum\\xe9.sql: the name is not valid UTF-8; it was not read",
            "PL000 parse-error - sql/r\\xe9sum\\xe9.sql:1 sql/r\\xe9sum\\xe9.sql: the name is not valid UTF-8; it was not read",
        ]
    );
}
