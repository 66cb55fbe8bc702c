//! The architect's commands end to end: `graph` diagrams, `impact`,
//! `metrics` and `audit` (with shards and `audit merge`) on the fixtures.

mod common;

use std::collections::BTreeSet;

use common::{fixture, pipelint};
use serde_json::Value;

fn run_ok(args: &[&str]) -> String {
    let (code, stdout, stderr) = pipelint(args);
    assert_eq!(code, 0, "pipelint {args:?}: {stderr}");
    stdout
}

fn json(args: &[&str]) -> Value {
    let out = run_ok(args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

fn acme() -> String {
    fixture("acme").to_string_lossy().into_owned()
}

/// View edges as `from -kind(count)-> to`.
fn view_edges(view: &Value) -> Vec<String> {
    let nodes = view["nodes"].as_array().unwrap();
    view["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let id = |k: &str| {
                nodes[e[k].as_u64().unwrap() as usize]["id"]
                    .as_str()
                    .unwrap()
            };
            format!(
                "{} -{}({})-> {}",
                id("from"),
                e["kind"].as_str().unwrap(),
                e["count"],
                id("to")
            )
        })
        .collect()
}

fn view_ids(view: &Value) -> Vec<&str> {
    view["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect()
}

#[test]
fn mermaid_has_every_node_in_its_layer_with_labels_and_edge_styles() {
    let out = run_ok(&["graph", &acme(), "--format", "mermaid"]);
    assert!(out.starts_with("flowchart LR\n"), "{out}");
    let graph = common::graph_json(&fixture("acme"));
    // Every node with an edge (and every non-DAG node) is drawn once.
    let drawn = out
        .lines()
        .filter(|l| l.starts_with("    n") && l.contains('"'))
        .count();
    let dag_nodes = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "dag")
        .count();
    assert_eq!(drawn, graph["nodes"].as_array().unwrap().len() - dag_nodes);
    for column in ["sources", "raw", "curated", "serving", "consumers"] {
        assert!(out.contains(&format!("[\"{column}\"]")), "{column}");
    }
    // Label: name, kind and where it runs, owner, cadence, failure behavior.
    assert!(out.contains(
        "[\"extract_orders<br/>task #183; transfer<br/>owner data-eng<br/>hourly<br/>on failure retry(3)\"]"
    ));
    assert!(out.contains("stg_orders<br/>dbt model #183; warehouse #183; ELT<br/>"));
    assert!(out.contains("extract_payments<br/>task #183; python<br/>"));
    // After edges dotted (6 in acme), trigger edges dotted and dashed by linkStyle (3).
    let graph_edges = common::edges(&graph);
    let after = graph_edges
        .iter()
        .filter(|e| e.contains("-after->"))
        .count();
    let triggers = graph_edges
        .iter()
        .filter(|e| e.contains("-triggers->"))
        .count();
    assert_eq!(out.matches("-.->|\"after\"|").count(), after, "after edges");
    assert_eq!(out.matches("-.->|\"triggers\"|").count(), triggers);
    assert_eq!(out.matches("stroke-dasharray:8 5").count(), 1);
    let link = out.lines().find(|l| l.contains("linkStyle")).unwrap();
    assert_eq!(link.split(',').count(), triggers);
    assert!(
        !out.contains("class n") || !out.contains(" finding\n"),
        "acme is clean"
    );
}

#[test]
fn findings_are_marked_on_the_broken_fixture() {
    let broken = fixture("acme-broken");
    let out = run_ok(&["graph", &broken.to_string_lossy(), "--format", "mermaid"]);
    let (_, check) = common::check_json(&broken, &[]);
    let graph = common::graph_json(&broken);
    let edges = common::edges(&graph);
    let drawn: BTreeSet<&str> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .filter(|id| !id.starts_with("dag:") || edges.iter().any(|e| e.contains(id)))
        .collect();
    let mut flagged: BTreeSet<&str> = BTreeSet::new();
    for d in check["diagnostics"].as_array().unwrap() {
        flagged.extend(d["node"].as_str());
        for n in d["nodes"].as_array().into_iter().flatten() {
            flagged.extend(n.as_str());
        }
    }
    let marked = out
        .lines()
        .find(|l| l.starts_with("  class ") && l.ends_with(" finding"))
        .expect("a class line for nodes with findings");
    let count = marked.trim_end_matches(" finding").split(',').count();
    assert_eq!(count, flagged.intersection(&drawn).count());
    assert!(out.contains("#9888; 1 finding"), "findings in labels");
    let view = json(&[
        "graph",
        &broken.to_string_lossy(),
        "--format",
        "json",
        "--collapse",
        "dag",
    ]);
    assert!(view["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["class"] == "group" && n["findings"].as_u64().unwrap() > 0));
}

#[test]
fn focus_cuts_hops_up_and_down() {
    let view = json(&[
        "graph",
        &acme(),
        "--format",
        "json",
        "--focus",
        "dataset:raw.orders",
        "--upstream",
        "1",
        "--downstream",
        "2",
    ]);
    assert_eq!(
        view_ids(&view),
        [
            "dataset:raw.orders",
            "task:orders_hourly.extract_orders",
            "dataset:analytics.stg_orders",
            "model:acme.stg_orders"
        ]
    );
    assert_eq!(view["columns"], serde_json::json!(["raw", "curated"]));
    assert_eq!(
        view_edges(&view),
        [
            "dataset:raw.orders -reads(1)-> model:acme.stg_orders",
            "task:orders_hourly.extract_orders -writes(1)-> dataset:raw.orders",
            "model:acme.stg_orders -writes(1)-> dataset:analytics.stg_orders",
        ]
    );
    let (code, _, stderr) = pipelint(&[
        "graph",
        &acme(),
        "--format",
        "mermaid",
        "--focus",
        "raw.ordrs",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no node `raw.ordrs`"), "{stderr}");
}

#[test]
fn collapse_by_dag_counts_edges_between_boxes() {
    let view = json(&["graph", &acme(), "--format", "json", "--collapse", "dag"]);
    let groups: Vec<(&str, u64)> = view["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["class"] == "group")
        .map(|n| (n["id"].as_str().unwrap(), n["members"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        groups,
        [
            ("group:dag:accounts_daily", 2),
            ("group:dag:events_continuous", 5),
            ("group:dag:orders_hourly", 2),
            ("group:dag:payments_15m", 2),
            ("group:dag:sessions_daily", 5),
            ("group:dag:serving_daily", 12),
        ]
    );
    let edges = view_edges(&view);
    assert!(edges
        .contains(&"group:dag:sessions_daily -triggers(3)-> group:dag:serving_daily".to_string()));
    assert!(
        edges.contains(&"group:dag:sessions_daily -reads(2)-> group:dag:serving_daily".to_string())
    );
    let mermaid = run_ok(&["graph", &acme(), "--format", "mermaid", "--collapse", "dag"]);
    assert!(mermaid.contains("-.->|\"triggers #215;3\"|"), "{mermaid}");
}

#[test]
fn too_many_edges_for_mermaid_collapse_automatically_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pipeline.toml"),
        "[project]\nname = \"wide\"\n\n[layers]\nraw = [\"raw.*\"]\ncurated = [\"cur.*\"]\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("sql")).unwrap();
    for i in 0..300 {
        std::fs::write(
            dir.path().join(format!("sql/t{i}.sql")),
            format!("create table cur.t{i} as select id from raw.r{i}\n"),
        )
        .unwrap();
    }
    let path = dir.path().to_string_lossy().into_owned();
    let (code, out, stderr) = pipelint(&["graph", &path, "--format", "mermaid"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("600 edges are more than Mermaid draws (500); collapsed by project"),
        "{stderr}"
    );
    assert!(stderr.contains("--focus NODE"), "{stderr}");
    assert!(out.starts_with("%% 600 edges"), "{out}");
    assert_eq!(out.matches(" --> ").count(), 300);
    // JSON draws nothing: no limit, no collapse.
    let view = json(&["graph", &path, "--format", "json", "--focus", "cur.t7"]);
    assert_eq!(
        view_ids(&view),
        ["dataset:raw.r7", "dataset:cur.t7", "script:sql/t7.sql"]
    );
}

#[test]
fn dot_and_html_are_self_contained_and_styled() {
    let dot = run_ok(&["graph", &acme(), "--format", "dot"]);
    assert!(dot.starts_with("digraph pipelint {\n"));
    assert!(dot.contains("rankdir=LR;"));
    assert!(dot.contains("subgraph cluster_0 {\n    label=\"sources\";"));
    assert_eq!(dot.matches("[style=dotted, label=\"after\"]").count(), 6);
    assert_eq!(dot.matches("[style=dashed, label=\"triggers\"]").count(), 3);
    let html = run_ok(&["graph", &acme(), "--format", "html"]);
    assert!(html.starts_with("<!DOCTYPE html>"));
    for remote in ["src=\"http", "href=\"http", "@import", "url(http"] {
        assert!(!html.contains(remote), "{remote}");
    }
    let view = json(&["graph", &acme(), "--format", "json", "--collapse", "dag"]);
    let flat = json(&[
        "graph",
        &acme(),
        "--format",
        "json",
        "--focus",
        "stripe_payments",
    ]);
    assert!(view_ids(&flat).contains(&"consumer:exec_dashboard"));
    assert_eq!(
        html.matches("<g class=\"node ").count(),
        run_ok(&["graph", &acme(), "--format", "mermaid"])
            .lines()
            .filter(|l| l.starts_with("    n"))
            .count()
    );
    assert!(html.contains("id=\"q\" type=\"search\""));
    assert!(view["collapse"] == "dag");
}

#[test]
fn impact_of_a_source_reaches_its_consumers_through_one_extract() {
    let doc = json(&[
        "impact",
        "-C",
        &acme(),
        "source:postgres_orders",
        "--format",
        "json",
    ]);
    let reached: Vec<(&str, bool)> = doc["reached"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap(), r["direct"].as_bool().unwrap()))
        .collect();
    assert_eq!(reached[0], ("task:orders_hourly.extract_orders", true));
    assert_eq!(reached.iter().filter(|r| r.1).count(), 1);
    assert_eq!(reached.len(), 16);
    assert_eq!(
        doc["sources"],
        serde_json::json!([{
            "source": "source:postgres_orders",
            "direct_readers": ["task:orders_hourly.extract_orders"],
            "consumers": [
                "consumer:churn_model_training",
                "consumer:exec_dashboard",
                "consumer:salesforce_reverse_etl"
            ]
        }])
    );
    let exec = doc["reached"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "consumer:exec_dashboard")
        .unwrap();
    assert_eq!(exec["owner"], "marketing-analytics");
    assert_eq!(exec["cadence"], "daily 07:00");
    assert_eq!(exec["via"], "dataset:analytics.mart_revenue");
    // A model without a schedule of its own sees the change at its upstream's cadence.
    let stg = doc["reached"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "model:acme.stg_orders")
        .unwrap();
    assert_eq!(stg["cadence"], "hourly");
    assert_eq!(stg["cadence_inherited"], true);
}

/// A task that runs a SQL file is one job with it: changing the task
/// reaches what the script writes and who reads that.
#[test]
fn impact_of_a_task_reaches_what_its_script_writes() {
    let doc = json(&[
        "impact",
        "-C",
        &acme(),
        "task:serving_daily.daily_active_users",
        "--format",
        "json",
    ]);
    let reached: Vec<&str> = doc["reached"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        reached,
        [
            "dataset:mart.daily_active_users",
            "task:serving_daily.check_daily_active_users",
            "consumer:exec_dashboard",
        ]
    );
}

#[test]
fn impact_markdown_names_each_consumer_reached() {
    let md = run_ok(&[
        "impact",
        "-C",
        &acme(),
        "dataset:analytics.mart_revenue",
        "--format",
        "markdown",
    ]);
    assert!(md.starts_with("### Impact of this change\n"), "{md}");
    assert!(md.contains(
        "- this change reaches `exec_dashboard` (owner marketing-analytics, daily 07:00)\n"
    ));
    assert!(md.contains("- this change reaches `salesforce_reverse_etl` (owner gtm, daily)\n"));
    assert!(!md.contains("churn_model_training"), "{md}");
    assert!(md.contains("| `script:sql/serving/account_health.sql` | SQL script | analytics-eng |"));
    let table = run_ok(&["impact", "-C", &acme(), "exec_dashboard"]);
    assert!(
        table.contains("reaches 0 consumers, 0 jobs, 0 datasets"),
        "{table}"
    );
    let mermaid = run_ok(&[
        "impact",
        "-C",
        &acme(),
        "dataset:analytics.mart_revenue",
        "--format",
        "mermaid",
    ]);
    assert!(mermaid.starts_with("flowchart LR\n"));
    assert!(mermaid.contains("exec_dashboard<br/>dashboard"));
    assert!(!mermaid.contains("postgres_orders"), "nothing upstream");
    let (code, _, stderr) = pipelint(&["impact", "-C", &acme(), "raw.orders"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("names several nodes (`dataset:raw.orders`, `source:raw.orders`)"),
        "{stderr}"
    );
}

#[test]
fn metrics_of_acme() {
    let m = json(&["metrics", &acme(), "--format", "json"]);
    let get = |k: &str| m[k].clone();
    assert_eq!(get("point_to_point"), 24);
    assert_eq!(get("layer_crossings"), 8);
    assert_eq!(
        get("consumer_reads_curated"),
        serde_json::json!({"covered": 6, "total": 6})
    );
    assert_eq!(
        get("sources_read_twice"),
        serde_json::json!({"covered": 0, "total": 8})
    );
    assert_eq!(
        get("failure"),
        serde_json::json!({"covered": 19, "total": 25})
    );
    assert_eq!(get("longest_path"), 11);
    assert_eq!(get("cycles"), 0);
    assert_eq!(get("dags"), 6);
    assert_eq!(m["tasks_per_dag"]["serving_daily"], 9);
    assert_eq!(
        get("cross_dag"),
        serde_json::json!([
            {"from": "events_continuous", "to": "sessions_daily", "triggered": false},
            {"from": "sessions_daily", "to": "serving_daily", "triggered": true}
        ])
    );
    assert_eq!(
        get("most_stalling_dag"),
        serde_json::json!(["events_continuous", 13])
    );
    assert_eq!(
        (get("transforms"), get("elt"), get("etl")),
        (11.into(), 11.into(), 0.into())
    );
    let broken = json(&[
        "metrics",
        &fixture("acme-broken").to_string_lossy(),
        "--format",
        "json",
    ]);
    assert_eq!(broken["cycles"], 4);
    assert_eq!(broken["sources_read_twice"]["covered"], 1);
    let table = run_ok(&["metrics", &acme()]);
    assert!(
        table.contains("point-to-point (sources × consumers)  24\n"),
        "{table}"
    );
}

fn audit_repos() -> Vec<String> {
    [
        "acme",
        "acme-broken",
        "audit/unparsable",
        "audit/not-a-repo.txt",
    ]
    .iter()
    .map(|r| fixture(r).to_string_lossy().into_owned())
    .collect()
}

#[test]
fn audit_gives_every_repo_a_row_even_broken_ones() {
    let repos = audit_repos();
    let mut args = vec!["audit", "--format", "json"];
    args.extend(repos.iter().map(String::as_str));
    let doc = json(&args);
    let rows = doc["rows"].as_array().unwrap();
    let status: Vec<(&str, Option<&str>, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["repo"].as_str().unwrap(),
                r["error"].as_str(),
                r["unparsed_files"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        status,
        [
            ("acme", None, 0),
            ("acme-broken", None, 1),
            ("not-a-repo.txt", Some("not a directory"), 0),
            ("unparsable", None, 3),
        ]
    );
    assert_eq!(rows[0]["metrics"]["point_to_point"], 24);
    assert_eq!(rows[3]["findings"]["parse-error"], 3);
    let text = serde_json::to_string(&doc).unwrap();
    assert!(
        !text.contains(env!("CARGO_MANIFEST_DIR")),
        "no absolute paths"
    );
    // The same list from a repos file, as Markdown.
    let file = fixture("audit/repos.txt").to_string_lossy().into_owned();
    let md = run_ok(&["audit", "--repos-file", &file, "--format", "markdown"]);
    assert!(
        md.starts_with("| repo | status | errors | warnings | sources |"),
        "{md}"
    );
    assert!(md.contains("\n| acme | ok | 0 | 0 | 8 | 3 | 25 | 24 | 8 | 100 | 0 | 100 | 83 | 76 | 11 | 0 | 6 | 1 | 11/0 |"), "{md}");
    assert!(
        md.contains("\n| unparsable | 3 files did not parse | 3 |"),
        "{md}"
    );
    assert!(
        md.contains("\n| not-a-repo.txt | error: not a directory | - |"),
        "{md}"
    );
    let csv = run_ok(&["audit", "--repos-file", &file, "--format", "csv"]);
    assert_eq!(csv.lines().count(), 5);
    let html = run_ok(&["audit", "--repos-file", &file, "--format", "html"]);
    assert_eq!(
        html.matches("<details><summary>").count(),
        3,
        "a diagram per analyzed repo"
    );
    assert!(!html.contains("src=\"http"));
}

#[test]
fn sharded_audits_merge_into_the_unsharded_one() {
    let repos = audit_repos();
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["audit", "--format", "json"];
        args.extend_from_slice(extra);
        args.extend(repos.iter().map(String::as_str));
        run_ok(&args)
    };
    let whole = run(&[]);
    for n in [2, 3] {
        let mut files = Vec::new();
        let mut total = 0;
        for k in 1..=n {
            let shard = format!("{k}/{n}");
            let out = run(&["--shard", &shard]);
            total += serde_json::from_str::<Value>(&out).unwrap()["rows"]
                .as_array()
                .unwrap()
                .len();
            let f = dir.path().join(format!("shard-{k}-of-{n}.json"));
            std::fs::write(&f, out).unwrap();
            files.push(f.to_string_lossy().into_owned());
        }
        assert_eq!(total, repos.len());
        let mut args = vec!["audit", "merge", "--format", "json"];
        args.extend(files.iter().map(String::as_str));
        assert_eq!(run_ok(&args), whole, "{n} shards");
        let mut args = vec!["audit", "merge"];
        args.extend(files.iter().map(String::as_str));
        let mut unsharded = vec!["audit"];
        unsharded.extend(repos.iter().map(String::as_str));
        assert_eq!(run_ok(&args), run_ok(&unsharded));
    }
    let f = dir.path().join("twice.json");
    std::fs::write(&f, &whole).unwrap();
    let f = f.to_string_lossy().into_owned();
    let (code, _, stderr) = pipelint(&["audit", "merge", &f, &f]);
    assert_eq!(code, 2);
    assert!(stderr.contains("is in more than one shard"), "{stderr}");
}

#[test]
fn readme_diagram_is_what_the_script_renders_today() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::NamedTempFile::new().unwrap();
    let status = std::process::Command::new("sh")
        .arg(root.join("scripts/render-diagram.sh"))
        .arg(out.path())
        .env("PIPELINT", env!("CARGO_BIN_EXE_pipelint"))
        .env("PIPELINT_CACHE_DIR", common::CACHE_DIR)
        .status()
        .unwrap();
    assert!(status.success());
    let rendered = std::fs::read_to_string(out.path()).unwrap();
    let committed = std::fs::read_to_string(root.join("docs/acme.svg")).unwrap();
    assert!(
        rendered == committed,
        "docs/acme.svg is stale: run scripts/render-diagram.sh"
    );
}

#[test]
fn impact_flags_a_source_read_by_more_than_one_extract() {
    let broken = fixture("acme-broken").to_string_lossy().into_owned();
    let doc = json(&[
        "impact",
        "-C",
        &broken,
        "source:stripe_payments",
        "--format",
        "json",
    ]);
    assert_eq!(
        doc["sources"][0]["direct_readers"],
        serde_json::json!([
            "task:finance.pull_stripe",
            "task:finance_reconcile.pull_stripe",
            "task:payments_15m.extract_payments"
        ])
    );
    let md = run_ok(&[
        "impact",
        "-C",
        &broken,
        "source:stripe_payments",
        "--format",
        "markdown",
    ]);
    assert!(md.contains(
        "- source `source:stripe_payments` is read directly by 3 jobs (a source should be read by one extract)\n"
    ), "{md}");
}

/// `impact --changed-since REF` starts from the nodes defined in the files
/// changed since the merge base: a temporary git repo of acme with one
/// uncommitted edit reaches the dashboard the edited script feeds.
#[test]
fn impact_changed_since_starts_from_the_changed_files() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("acme");
    let copy = std::process::Command::new("cp")
        .arg("-r")
        .arg(fixture("acme"))
        .arg(&repo)
        .status()
        .unwrap();
    assert!(copy.success());
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .current_dir(&repo)
            .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "acme"]);
    let script = repo.join("sql/serving/daily_active_users.sql");
    let text = std::fs::read_to_string(&script).unwrap();
    std::fs::write(&script, format!("{text}-- reworded\n")).unwrap();
    let r = repo.to_string_lossy().into_owned();
    let doc = json(&[
        "impact",
        "--changed-since",
        "HEAD",
        "-C",
        &r,
        "--format",
        "json",
    ]);
    assert_eq!(
        doc["changed"],
        serde_json::json!(["script:sql/serving/daily_active_users.sql"])
    );
    let reached: Vec<&str> = doc["reached"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["node"].as_str().or(n["id"].as_str()))
        .collect();
    assert!(reached.contains(&"consumer:exec_dashboard"), "{doc}");
    assert!(!reached.contains(&"consumer:churn_model_training"), "{doc}");
    let (code, _, err) = pipelint(&["impact", "--changed-since", "no-such-ref", "-C", &r]);
    assert_eq!(code, 2);
    assert!(err.contains("names no commit"), "{err}");
}
