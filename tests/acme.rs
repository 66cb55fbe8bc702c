//! The seed company end to end: clean as designed, and broken in every way.

mod common;

use common::{check_json, edges, findings, fixture, graph_json, pipelint};

#[test]
fn clean_acme_has_no_findings_and_exits_zero() {
    let (code, doc) = check_json(&fixture("acme"), &["--fail-on", "info"]);
    assert_eq!(findings(&doc), Vec::<String>::new());
    assert_eq!(code, 0);
}

#[test]
fn broken_acme_reports_every_violation_exactly() {
    let (code, doc) = check_json(&fixture("acme-broken"), &[]);
    assert_eq!(
        findings(&doc),
        [
            "PL201 missing-owner source:salesforce_accounts pipeline.toml:47",
            "PL001 invalid-config - pipeline.toml:49",
            "PL502 multiple-writers dataset:raw.orders pipeline.toml:68",
            "PL501 duplicate-extract source:stripe_payments pipeline.toml:75",
            "PL301 missing-cadence task:finance.pull_stripe pipeline.toml:79",
            "PL302 missing-failure-behavior task:finance.pull_stripe pipeline.toml:79",
            "PL202 unknown-owner task:finance.pull_stripe pipeline.toml:80",
            "PL001 invalid-config - pipeline.toml:81",
            "PL401 consumer-reads-raw consumer:exec_dashboard pipeline.toml:146",
            "PL002 unused-allow - pipeline.toml:175",
            "PL101 dag-cycle script:sql/adhoc/backfill_orders.sql sql/adhoc/backfill_orders.sql:2",
            "PL201 missing-owner script:sql/adhoc/backfill_orders.sql sql/adhoc/backfill_orders.sql:2",
            "PL302 missing-failure-behavior script:sql/adhoc/backfill_orders.sql sql/adhoc/backfill_orders.sql:2",
            "PL403 layer-backflow script:sql/adhoc/backfill_orders.sql sql/adhoc/backfill_orders.sql:3",
            "PL000 parse-error script:sql/adhoc/backfill_orders.sql sql/adhoc/backfill_orders.sql:5",
            "PL101 dag-cycle script:sql/curated/customer_ltv.sql sql/curated/customer_ltv.sql:1",
            "PL302 missing-failure-behavior script:sql/curated/customer_ltv.sql sql/curated/customer_ltv.sql:1",
            "PL102 unresolved-reference script:sql/curated/fct_orders.sql sql/curated/fct_orders.sql:10",
            "PL403 layer-backflow script:sql/curated/mart_revenue.sql sql/curated/mart_revenue.sql:9",
            "PL201 missing-owner script:sql/marketing/sessions_rebuild.sql sql/marketing/sessions_rebuild.sql:2",
            "PL302 missing-failure-behavior script:sql/marketing/sessions_rebuild.sql sql/marketing/sessions_rebuild.sql:2",
            "PL502 multiple-writers dataset:analytics.fct_sessions sql/marketing/sessions_rebuild.sql:2",
            "PL402 layer-skip script:sql/serving/daily_active_users.sql sql/serving/daily_active_users.sql:8",
            "PL302 missing-failure-behavior script:sql/serving/retired_report.sql sql/serving/retired_report.sql:1",
            "PL601 publish-without-check dataset:mart.retired_report sql/serving/retired_report.sql:1",
            "PL602 orphan-serving dataset:mart.retired_report sql/serving/retired_report.sql:1",
        ]
    );
    assert_eq!(code, 1);
    assert_eq!(doc["summary"]["errors"], 16);
    assert_eq!(doc["summary"]["warnings"], 9);
    assert_eq!(doc["summary"]["infos"], 1);
}

#[test]
fn the_three_step_cycle_walks_every_hop() {
    let (_, doc) = check_json(&fixture("acme-broken"), &["--select", "dag-cycle"]);
    let cycle = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["node"] == "script:sql/curated/customer_ltv.sql")
        .expect("the customer_ltv cycle");
    assert_eq!(
        cycle["message"],
        "cycle through 3 jobs: script:sql/curated/customer_ltv.sql → dataset:analytics.customer_ltv → \
         script:sql/curated/dim_customer.sql → dataset:analytics.dim_customer → script:sql/curated/fct_orders.sql → \
         dataset:analytics.fct_orders → script:sql/curated/customer_ltv.sql"
    );
    let hops: Vec<String> = cycle["related"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{}:{}", r["file"].as_str().unwrap(), r["line"]))
        .collect();
    assert_eq!(
        hops,
        [
            "sql/curated/customer_ltv.sql:1",
            "sql/curated/dim_customer.sql:8",
            "sql/curated/dim_customer.sql:1",
            "sql/curated/fct_orders.sql:9",
            "sql/curated/fct_orders.sql:1",
            "sql/curated/customer_ltv.sql:3",
        ]
    );
}

#[test]
fn inline_and_manifest_allows_remove_findings() {
    // Without exceptions the debug notebook's raw read and missing freshness show up.
    let (_, doc) = check_json(&fixture("acme-broken"), &["--select", "PL401,PL301"]);
    let all = findings(&doc);
    assert!(
        !all.iter().any(|f| f.contains("ops_debug_notebook")),
        "{all:?}"
    );
    assert!(
        all.iter().any(|f| f.contains("consumer:exec_dashboard")),
        "{all:?}"
    );
}

#[test]
fn graph_json_shows_resolved_nodes_and_edges() {
    let graph = graph_json(&fixture("acme"));
    let e = edges(&graph);
    for expected in [
        "source:stripe_payments -reads-> task:ingest.extract_payments",
        "task:ingest.extract_payments -writes-> dataset:raw.payments",
        "dataset:raw.payments -reads-> script:sql/curated/fct_orders.sql",
        "script:sql/curated/fct_orders.sql -writes-> dataset:analytics.fct_orders",
        "dataset:mart.account_health -reads-> consumer:salesforce_reverse_etl",
        "dataset:s3://acme-lake/raw/events -reads-> script:sql/load_events.sql",
    ] {
        assert!(
            e.iter().any(|x| x == expected),
            "missing {expected}: {e:#?}"
        );
    }
    let fct = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "script:sql/curated/fct_orders.sql")
        .unwrap();
    assert_eq!(fct["owner"], "analytics-eng");
    assert_eq!(fct["owner_from"], "[paths.\"sql/curated/**\"]");
    assert_eq!(fct["cadence"], "daily 03:00");
    assert_eq!(fct["on_failure"], "retry(2)");
    let ds = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "dataset:analytics.fct_orders")
        .unwrap();
    assert_eq!(ds["layer"], "curated");
    assert_eq!(ds["owner"], "analytics-eng");
}

#[test]
fn output_is_byte_identical_across_runs_and_thread_counts() {
    let p = fixture("acme-broken");
    let p = p.to_str().unwrap();
    let (_, one, _) = pipelint(&["check", p, "--format", "json", "--threads", "1"]);
    let (_, two, _) = pipelint(&["check", p, "--format", "json", "--threads", "2"]);
    let (_, eight, _) = pipelint(&["check", p, "--format", "json", "--threads", "8"]);
    assert_eq!(one, two);
    assert_eq!(one, eight);
    let (_, g1, _) = pipelint(&["graph", p, "--threads", "1"]);
    let (_, g8, _) = pipelint(&["graph", p, "--threads", "8"]);
    assert_eq!(g1, g8);
}

#[test]
fn human_output_shows_the_code_frame() {
    let p = fixture("acme-broken");
    let (code, out, _) = pipelint(&["check", p.to_str().unwrap(), "--no-color"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("sql/serving/daily_active_users.sql:8:6: PL402 layer-skip [warn]"),
        "{out}"
    );
    assert!(
        out.contains("FROM raw.events"),
        "the frame shows the offending line: {out}"
    );
    assert!(out.contains("16 errors, 9 warnings, 1 info"), "{out}");
}

#[test]
fn fail_on_sets_the_threshold() {
    let acme = fixture("acme");
    assert_eq!(check_json(&acme, &["--fail-on", "warn"]).0, 0);
    let broken = fixture("acme-broken");
    let (code, _) = check_json(&broken, &["--select", "layer-skip"]);
    assert_eq!(
        code, 0,
        "a warning alone does not fail at the default threshold"
    );
    let (code, _) = check_json(&broken, &["--select", "layer-skip", "--fail-on", "warn"]);
    assert_eq!(code, 1);
}
