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
            "PL301 missing-cadence dag:account_health_refresh dags/account_health_refresh.py:13",
            "PL502 multiple-writers dataset:mart.account_health dags/account_health_refresh.py:22",
            "PL501 duplicate-extract source:stripe_payments dags/finance_reconcile.py:23",
            "PL101 dag-cycle task:finance_reconcile.post_journal dags/finance_reconcile.py:42",
            "PL201 missing-owner dag:marketing_attribution dags/marketing_attribution.py:11",
            "PL201 missing-owner task:marketing_attribution.attribute_channels dags/marketing_attribution.py:18",
            "PL302 missing-failure-behavior task:marketing_attribution.attribute_channels dags/marketing_attribution.py:18",
            "PL103 cross-dag-without-trigger task:marketing_attribution.attribute_channels dags/marketing_attribution.py:24",
            "PL502 multiple-writers dataset:raw.orders dags/orders_hourly.py:38",
            "PL103 cross-dag-without-trigger task:serving_daily.check_account_health dags/serving_daily.py:67",
            "PL101 dag-cycle model:acme.cycle_a dbt/models/broken/cycle_a.sql:1",
            "PL401 consumer-reads-raw consumer:ops_raw_orders_sheet dbt/models/broken/exposures.yml:12",
            "PL101 dag-cycle model:acme.fct_orders_v2 dbt/models/broken/fct_orders_v2.sql:1",
            "PL502 multiple-writers dataset:analytics.fct_orders dbt/models/broken/fct_orders_v2.sql:1",
            "PL403 layer-backflow model:acme.int_backflow dbt/models/broken/int_backflow.sql:2",
            "PL601 publish-without-check dataset:mart.mart_orders_raw dbt/models/broken/mart_orders_raw.sql:1",
            "PL602 orphan-serving dataset:mart.mart_orders_raw dbt/models/broken/mart_orders_raw.sql:1",
            "PL402 layer-skip model:acme.mart_orders_raw dbt/models/broken/mart_orders_raw.sql:3",
            "PL102 unresolved-reference model:acme.orders_typo dbt/models/broken/orders_typo.sql:2",
            "PL201 missing-owner model:acme.unowned_report dbt/models/broken/unowned_report.sql:1",
            "PL101 dag-cycle model:acme.fct_orders dbt/models/marts/schema.yml:4",
            "PL501 duplicate-extract source:raw.orders dbt/models/staging/sources.yml:10",
            "PL301 missing-cadence source:crm.contacts dbt/models/staging/sources.yml:48",
            "PL201 missing-owner source:salesforce_accounts pipeline.toml:47",
            "PL001 invalid-config - pipeline.toml:49",
            "PL301 missing-cadence task:finance.pull_stripe pipeline.toml:63",
            "PL302 missing-failure-behavior task:finance.pull_stripe pipeline.toml:63",
            "PL202 unknown-owner task:finance.pull_stripe pipeline.toml:64",
            "PL001 invalid-config - pipeline.toml:65",
            "PL401 consumer-reads-raw consumer:exec_dashboard pipeline.toml:75",
            "PL303 freshness-unreachable consumer:salesforce_reverse_etl pipeline.toml:96",
            "PL002 unused-allow - pipeline.toml:104",
            "PL201 missing-owner script:sql/adhoc/backfill_orders.sql sql/adhoc/backfill_orders.sql:2",
            "PL302 missing-failure-behavior script:sql/adhoc/backfill_orders.sql sql/adhoc/backfill_orders.sql:2",
            "PL403 layer-backflow script:sql/adhoc/backfill_orders.sql sql/adhoc/backfill_orders.sql:3",
            "PL000 parse-error script:sql/adhoc/backfill_orders.sql sql/adhoc/backfill_orders.sql:5",
            "PL101 dag-cycle script:sql/curated/customer_ltv.sql sql/curated/customer_ltv.sql:1",
            "PL302 missing-failure-behavior script:sql/curated/customer_ltv.sql sql/curated/customer_ltv.sql:1",
            "PL302 missing-failure-behavior script:sql/curated/customer_segments.sql sql/curated/customer_segments.sql:1",
            "PL302 missing-failure-behavior script:sql/curated/orders_enriched.sql sql/curated/orders_enriched.sql:1",
            "PL102 unresolved-reference script:sql/curated/orders_enriched.sql sql/curated/orders_enriched.sql:9",
            "PL302 missing-failure-behavior script:sql/curated/revenue_by_channel.sql sql/curated/revenue_by_channel.sql:1",
            "PL403 layer-backflow script:sql/curated/revenue_by_channel.sql sql/curated/revenue_by_channel.sql:6",
            "PL201 missing-owner script:sql/marketing/sessions_rebuild.sql sql/marketing/sessions_rebuild.sql:2",
            "PL302 missing-failure-behavior script:sql/marketing/sessions_rebuild.sql sql/marketing/sessions_rebuild.sql:2",
            "PL502 multiple-writers dataset:analytics.fct_sessions sql/marketing/sessions_rebuild.sql:2",
            "PL103 cross-dag-without-trigger script:sql/serving/daily_active_users.sql sql/serving/daily_active_users.sql:8",
            "PL402 layer-skip script:sql/serving/daily_active_users.sql sql/serving/daily_active_users.sql:8",
            "PL302 missing-failure-behavior script:sql/serving/retired_report.sql sql/serving/retired_report.sql:1",
            "PL601 publish-without-check dataset:mart.retired_report sql/serving/retired_report.sql:1",
            "PL602 orphan-serving dataset:mart.retired_report sql/serving/retired_report.sql:1",
        ]
    );
    assert_eq!(code, 1);
    assert_eq!(doc["summary"]["errors"], 29);
    assert_eq!(doc["summary"]["warnings"], 20);
    assert_eq!(doc["summary"]["infos"], 2);
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
         script:sql/curated/customer_segments.sql → dataset:analytics.customer_segments → \
         script:sql/curated/orders_enriched.sql → dataset:analytics.orders_enriched → script:sql/curated/customer_ltv.sql"
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
            "sql/curated/customer_segments.sql:5",
            "sql/curated/customer_segments.sql:1",
            "sql/curated/orders_enriched.sql:8",
            "sql/curated/orders_enriched.sql:1",
            "sql/curated/customer_ltv.sql:3",
        ]
    );
}

#[test]
fn a_cycle_runs_across_tools() {
    // A backfill script writes raw.orders from a dbt model built on raw.orders.
    let (_, doc) = check_json(&fixture("acme-broken"), &["--select", "dag-cycle"]);
    let messages: Vec<&str> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.contains(
            &"cycle through 3 jobs: model:acme.fct_orders → dataset:analytics.fct_orders → script:sql/adhoc/backfill_orders.sql → \
              dataset:raw.orders → model:acme.stg_orders → dataset:analytics.stg_orders → model:acme.fct_orders"
        ),
        "{messages:#?}"
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
        "source:stripe_payments -reads-> task:payments_15m.extract_payments",
        "task:payments_15m.extract_payments -writes-> dataset:raw.payments",
        "task:events_continuous.stream_events -after-> task:events_continuous.load_events",
        "dataset:raw.payments -reads-> model:acme.stg_payments",
        "model:acme.fct_orders -writes-> dataset:analytics.fct_orders",
        "dataset:mart.account_health -reads-> consumer:salesforce_reverse_etl",
        "dataset:s3://acme-lake/raw/events -reads-> script:sql/load_events.sql",
    ] {
        assert!(
            e.iter().any(|x| x == expected),
            "missing {expected}: {e:#?}"
        );
    }
    let node = |id: &str| {
        graph["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == id)
            .cloned()
            .unwrap()
    };
    let sessions = node("script:sql/curated/fct_sessions.sql");
    assert_eq!(sessions["owner"], "analytics-eng");
    assert_eq!(sessions["owner_from"], "[paths.\"sql/curated/**\"]");
    assert_eq!(sessions["cadence"], "daily 03:00");
    assert_eq!(sessions["on_failure"], "retry(2)");
    let model = node("model:acme.fct_orders");
    assert_eq!(model["owner"], "analytics-eng");
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
    assert!(out.contains("29 errors, 20 warnings, 2 info"), "{out}");
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

#[test]
fn ci_formats_carry_every_finding() {
    let p = fixture("acme-broken");
    let p = p.to_str().unwrap();
    let (code, sarif, _) = pipelint(&["check", p, "--format", "sarif"]);
    assert_eq!(code, 1);
    let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 51);
    assert_eq!(results[0]["ruleId"], "missing-cadence");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        13
    );
    // Annotations stop at what GitHub displays (10 per type per step), with
    // one closing notice; tests/ci/formats.rs checks them in detail.
    let (code, github, _) = pipelint(&["check", p, "--format", "github"]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = github.lines().collect();
    assert_eq!(lines.len(), 23);
    assert!(lines.iter().any(|l| l.starts_with("::error file=dags/account_health_refresh.py,line=13,col=14,title=PL301 missing-cadence::DAG `dag:account_health_refresh` only runs when triggered by hand")), "{}", lines[0]);
    assert!(lines
        .iter()
        .any(|l| l.starts_with("::notice file=sql/serving/retired_report.sql,line=1,")));
}

#[test]
fn findings_inside_installed_dbt_packages_need_include_packages() {
    let p = fixture("dbt/package_precedence");
    let (_, doc) = check_json(&p, &["--fail-on", "info"]);
    assert_eq!(
        findings(&doc),
        ["PL201 missing-owner model:shop.sessions models/sessions.sql:1"]
    );
    let (_, doc) = check_json(&p, &["--fail-on", "info", "--include-packages"]);
    assert_eq!(
        findings(&doc),
        [
            "PL201 missing-owner model:evt.evt_events dbt_packages/evt/models/evt_events.sql:1",
            "PL201 missing-owner source:tracker.events dbt_packages/evt/models/sources.yml:6",
            "PL301 missing-cadence source:tracker.events dbt_packages/evt/models/sources.yml:6",
            "PL201 missing-owner model:shop.sessions models/sessions.sql:1",
        ]
    );
}
