//! The repo root, its config and its owners, and dbt projects as separate
//! namespaces, on a monorepo fixture: two dbt projects under `transform/`,
//! GitLab CODEOWNERS in `.gitlab/`, a nested `pipeline.toml`.

mod common;

use std::path::Path;

use common::{check_json, findings, fixture, pipelint};

fn monorepo() -> std::path::PathBuf {
    fixture("workspace/monorepo")
}

/// `check PATH --root ROOT`, findings as `CODE rule node file:line`.
fn check_in(root: &Path, sub: &str) -> Vec<String> {
    let root_arg = root.to_string_lossy().into_owned();
    let path = if sub.is_empty() {
        root.to_path_buf()
    } else {
        root.join(sub)
    };
    let (_, doc) = check_json(&path, &["--root", &root_arg, "--fail-on", "info"]);
    findings(&doc)
}

#[test]
fn the_root_run_reads_every_convention() {
    assert_eq!(
        check_in(&monorepo(), ""),
        [
            // The Finance section's owner-less pattern clears `legacy/`:
            // its two models are one finding, at the project's `models:`
            // entry where one `legacy: +meta` block fixes both.
            "PL201 missing-owner - transform/finance/dbt_project.yml:8",
            // A cross-project ref without dependencies.yml.
            "PL102 unresolved-reference model:finance.shop_refunds transform/finance/models/legacy/shop_refunds.sql:2",
            // The nested config is reported, not ignored.
            "PL001 invalid-config - transform/finance/pipeline.toml:1",
            // An exposure has no freshness field: a hint, not an error.
            "PL301 missing-cadence consumer:order_history_app transform/shop/models/docs/marts.yml:47",
            // `config: freshness: null` turns the source's freshness off.
            "PL301 missing-cadence source:app.refunds transform/shop/models/staging/_sources.yml:10",
        ]
    );
}

#[test]
fn exposures_without_freshness_are_info() {
    let root = monorepo();
    let (_, doc) = check_json(
        &root,
        &["--root", &root.to_string_lossy(), "--fail-on", "info"],
    );
    let severities: Vec<(String, String)> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "missing-cadence")
        .map(|d| {
            (
                d["node"].as_str().unwrap().to_string(),
                d["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        severities,
        [
            ("consumer:order_history_app".to_string(), "info".to_string()),
            ("source:app.refunds".to_string(), "error".to_string()),
        ]
    );
}

#[test]
fn a_subfolder_reports_exactly_the_root_runs_findings_inside_it() {
    let root = monorepo();
    let all = check_in(&root, "");
    for sub in ["transform/shop", "transform/shop/models", "transform"] {
        let inside: Vec<String> = all
            .iter()
            .filter(|f| {
                f.rsplit_once(' ')
                    .is_some_and(|(_, at)| at.starts_with(&format!("{sub}/")))
            })
            .cloned()
            .collect();
        assert_eq!(check_in(&root, sub), inside, "{sub}");
    }
}

#[test]
fn a_subfolder_with_its_own_config_is_configured_by_it() {
    let found = check_in(&monorepo(), "transform/finance");
    assert!(
        !found.iter().any(|f| f.contains("invalid-config")),
        "{found:?}"
    );
    assert!(found
        .iter()
        .any(|f| f == "PL201 missing-owner - transform/finance/dbt_project.yml:8"));
}

#[test]
fn each_dbt_project_is_its_own_namespace() {
    let root = monorepo();
    let p = root.to_string_lossy().into_owned();
    let (code, stdout, stderr) = pipelint(&["graph", &p, "--root", &p]);
    assert_eq!(code, 0, "{stderr}");
    let edges = common::edges(&serde_json::from_str(&stdout).unwrap());
    for edge in [
        // Both projects have a stg_orders; each ref stays in its project.
        "dataset:finance.stg_orders -reads-> model:finance.revenue",
        "dataset:shop_staging.stg_orders -reads-> model:shop.fct_orders",
        // The one cross-project ref, declared in dependencies.yml.
        "dataset:shop_marts.fct_orders -reads-> model:finance.revenue",
        // Versions: `ref('dim_customers')` is the latest_version (1), `v=2` the other.
        "dataset:shop_marts.dim_customers_v1 -reads-> consumer:crm_sync",
        "dataset:shop_marts.dim_customers_v2 -reads-> consumer:crm_sync",
        "model:shop.dim_customers.v2 -writes-> dataset:shop_marts.dim_customers_v2",
        // A source() naming the project's own snapshot reads the snapshot.
        "dataset:snapshots.orders_snapshot -reads-> model:shop.stg_order_history",
    ] {
        assert!(edges.iter().any(|e| e == edge), "{edge} not in {edges:#?}");
    }
    assert!(!edges.iter().any(|e| e.starts_with("source:history")));
}

#[test]
fn the_root_is_the_git_root_of_the_checked_path() {
    let tmp = tempfile::tempdir().unwrap();
    common::copy_dir(&monorepo(), tmp.path());
    std::fs::create_dir(tmp.path().join(".git")).unwrap();
    let (_, doc) = check_json(&tmp.path().join("transform/shop"), &["--fail-on", "info"]);
    let expected: Vec<String> = check_in(&monorepo(), "transform/shop");
    assert_eq!(findings(&doc), expected);

    // A folder holding nothing pipelint reads says so.
    std::fs::create_dir(tmp.path().join("empty")).unwrap();
    let empty = tmp.path().join("empty");
    let (code, _, stderr) = pipelint(&["check", &empty.to_string_lossy()]);
    assert_eq!(code, 0);
    assert!(stderr.contains("holds no file pipelint reads"), "{stderr}");
}

#[test]
fn an_explicit_config_replaces_the_nearest() {
    let root = monorepo();
    let p = root.to_string_lossy().into_owned();
    let config = root.join("transform/finance/pipeline.toml");
    let (_, doc) = check_json(
        &root,
        &[
            "--root",
            &p,
            "--config",
            &config.to_string_lossy(),
            "--fail-on",
            "info",
        ],
    );
    // The root pipeline.toml lies above the config in use: not reported.
    assert!(!findings(&doc).iter().any(|f| f.contains("invalid-config")));
}

/// A repo in a temp folder: `files` as (path, text).
fn repo_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn check_tmp(dir: &tempfile::TempDir) -> Vec<String> {
    let p = dir.path().to_string_lossy().into_owned();
    let (_, doc) = check_json(dir.path(), &["--root", &p, "--fail-on", "info"]);
    findings(&doc)
}

#[test]
fn table_names_compare_as_the_warehouse_compares_them() {
    let sql = [
        (
            "sql/load_users.sql",
            "-- pipelint: allow[missing-failure-behavior] fixture\ncreate table raw.\"USERS\" as select 1 as id;\n",
        ),
        (
            "sql/active_users.sql",
            "-- pipelint: allow[missing-failure-behavior] fixture\ncreate table mart.active_users as select * from raw.users;\n",
        ),
    ];
    let unresolved = |dialect: &str| {
        let manifest = format!(
            "[project]\ndialect = \"{dialect}\"\n[paths.\"sql/**\"]\nowner = \"data\"\non_failure = \"fail-fast\"\n"
        );
        let mut files = sql.to_vec();
        files.push(("pipeline.toml", manifest.as_str()));
        check_tmp(&repo_with(&files))
            .into_iter()
            .filter(|f| f.contains("unresolved-reference"))
            .collect::<Vec<_>>()
    };
    // Snowflake folds the unquoted `users` to USERS: the quoted "USERS" is it.
    assert_eq!(unresolved("snowflake"), Vec::<String>::new());
    // Postgres folds it to `users`, which "USERS" is not.
    assert_eq!(
        unresolved("postgres"),
        ["PL102 unresolved-reference script:sql/active_users.sql sql/active_users.sql:2"]
    );
}

#[test]
fn github_codeowners_comes_before_the_root_one() {
    let dir = repo_with(&[
        (".github/CODEOWNERS", "/sql/ @acme/analytics\n"),
        ("CODEOWNERS", "* @acme/someone-else\n"),
        (
            "sql/x.sql",
            "-- pipelint: allow[missing-failure-behavior] fixture\ncreate table mart.x as select 1;\n",
        ),
    ]);
    let p = dir.path().to_string_lossy().into_owned();
    let (code, stdout, stderr) = pipelint(&["graph", &p, "--root", &p]);
    assert_eq!(code, 0, "{stderr}");
    let graph: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let node = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "script:sql/x.sql")
        .expect("the script");
    assert_eq!(node["owner"], "analytics", "{node}");
}

/// `[project] root = true` makes a fixture inside this repo a repo of its
/// own: the README's first command, run without `--root`, reads acme alone.
#[test]
fn a_declared_root_stops_the_search_for_the_git_root() {
    let run = |extra: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pipelint"));
        cmd.args(["check", "--format", "json"])
            .env("PIPELINT_CACHE_DIR", common::CACHE_DIR)
            .arg(fixture("acme-broken"))
            .args(extra);
        let out = cmd.output().expect("the pipelint binary runs");
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        findings(&doc)
    };
    let declared = run(&[]);
    let given = run(&["--root", fixture("acme-broken").to_str().unwrap()]);
    assert!(declared.iter().any(|f| f.contains("pipeline.toml:")));
    assert!(declared.iter().all(|f| !f.contains("fixtures/")));
    assert_eq!(declared, given);
}
