//! Airflow read as Airflow reads it, end to end: each convention has a
//! fixture under fixtures/airflow/ and the exact findings it gives.

mod common;

use common::{check_json, edges, findings, fixture, graph_json};

fn node<'g>(graph: &'g serde_json::Value, id: &str) -> &'g serde_json::Value {
    graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == id)
        .unwrap_or_else(|| panic!("no node {id}"))
}

#[test]
fn a_sql_file_a_task_runs_is_run_by_that_task() {
    let dir = fixture("airflow/runs-sql");
    let (_, doc) = check_json(&dir, &["--fail-on", "info"]);
    assert_eq!(
        findings(&doc),
        [
            // The DAG without an owner: one finding, not one per task.
            "PL201 missing-owner dag:partner_sync dags/partner_sync.py:9",
            "PL102 unresolved-reference script:dags/sql/curated/fct_orders.sql dags/sql/curated/fct_orders.sql:3",
            "PL102 unresolved-reference script:include/sql/fct_refunds.sql include/sql/fct_refunds.sql:3",
        ]
    );
    let graph = graph_json(&dir);
    // Found next to the DAG file and under template_searchpath; owner,
    // cadence and failure behavior come from the task that runs it.
    let orders = node(&graph, "script:dags/sql/curated/fct_orders.sql");
    assert_eq!(orders["owner"], "data-eng");
    assert_eq!(
        orders["owner_from"],
        "run by task:orders_daily.build_orders"
    );
    assert_eq!(orders["cadence"], "cron 15 2/4 * * *");
    // The DAG-level on_failure_callback alerts on every task.
    assert_eq!(orders["on_failure"], "fail-fast");
    let refunds = node(&graph, "script:include/sql/fct_refunds.sql");
    assert_eq!(refunds["on_failure"], "retry(2)");
    // A custom timetable is a schedule, just not one pipelint can compute.
    assert_eq!(node(&graph, "dag:partner_sync")["cadence"], "scheduled");
    assert_eq!(
        node(&graph, "task:partner_sync.push")["owner"],
        "partner-team"
    );
    let e = edges(&graph);
    for expected in [
        "script:dags/sql/curated/fct_orders.sql -writes-> dataset:analytics.fct_orders",
        "dataset:analytics.fct_orders -reads-> script:include/sql/fct_refunds.sql",
    ] {
        assert!(
            e.iter().any(|x| x == expected),
            "missing {expected}: {e:#?}"
        );
    }
}

#[test]
fn external_dags_and_datasets_resolve_and_nothing_is_said_twice() {
    let (_, doc) = check_json(&fixture("airflow/references"), &["--fail-on", "info"]);
    assert_eq!(
        findings(&doc),
        [
            // Only the parse error of the half-edited file: not the missing
            // owner of its DAG. Its task `compress` still resolves the sensor.
            "PL000 parse-error - dags/archive.py:9",
            // The loop's task ids are unknowable: said once, and the sensor
            // waiting on one of them is not also unresolved.
            "PL003 unresolved-dynamic - dags/feeds.py:17",
            // `warehouse_nightly` and `s3://partner-drop/…` are declared in
            // [external]; `billing` is nowhere.
            "PL102 unresolved-reference task:reports.wait_billing dags/reports.py:29",
        ]
    );
}

#[test]
fn two_tasks_extracting_one_undeclared_table_are_a_duplicate_extract() {
    let (_, doc) = check_json(
        &fixture("airflow/duplicate-extract"),
        &["--fail-on", "info"],
    );
    assert_eq!(
        findings(&doc),
        [
            "PL102 unresolved-reference task:app_exports.export_orders dags/app_exports.py:16",
            // One lands in the raw bucket, one in a team's scratch bucket.
            "PL501 duplicate-extract dataset:postgres://app_db/public.orders dags/growth_scratch.py:16",
        ]
    );
}

#[test]
fn dag_generators_get_one_note_per_file() {
    let (_, doc) = check_json(&fixture("airflow/generators"), &["--fail-on", "info"]);
    assert_eq!(
        findings(&doc),
        [
            // A factory called in a loop over config, stored in globals().
            "PL003 unresolved-dynamic - dags/factory.py:5",
            // A YAML-driven DAG framework.
            "PL003 unresolved-dynamic - dags/gen.py:3",
            // An imported helper adding tasks inside `with DAG`.
            "PL003 unresolved-dynamic - dags/helper.py:5",
        ]
    );
    let messages: Vec<&str> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(
        messages[1].contains("`load_yaml_dags` (imported from `dagfactory`)"),
        "{messages:?}"
    );
    assert!(
        messages[2].contains("the tasks built by `add_export_tasks`"),
        "{messages:?}"
    );
}

#[test]
fn cosmos_joins_the_dag_to_the_dbt_models_it_renders() {
    let dir = fixture("airflow/cosmos");
    let (code, doc) = check_json(&dir, &["--fail-on", "info"]);
    // Without the link, the models would have no owner, cadence or retries.
    assert_eq!(findings(&doc), Vec::<String>::new());
    assert_eq!(code, 0);
    let graph = graph_json(&dir);
    // `ProjectConfig(Path(__file__).parent / "dbt" / "shop")` in a DbtTaskGroup.
    let orders = node(&graph, "model:shop.orders");
    assert_eq!(orders["owner"], "analytics");
    assert_eq!(orders["owner_from"], "run by task:shop_daily.transform");
    assert_eq!(orders["cadence"], "daily 05:00");
    assert_eq!(orders["on_failure"], "retry(2)");
    // A DbtDag with a container path ending in a repo folder, and a
    // failure callback in default_args.
    let campaigns = node(&graph, "model:marketing.campaigns");
    assert_eq!(campaigns["owner"], "marketing");
    assert_eq!(campaigns["cadence"], "hourly");
    assert_eq!(campaigns["on_failure"], "fail-fast");
    let e = edges(&graph);
    for expected in [
        "task:shop_daily.extract -after-> task:shop_daily.transform",
        "task:shop_daily.transform -after-> model:shop.orders",
        "task:shop_daily.transform -after-> model:shop.stg_orders",
        "task:shop_daily.transform -after-> task:shop_daily.report",
        "task:marketing_dbt.dbt -after-> model:marketing.campaigns",
    ] {
        assert!(
            e.iter().any(|x| x == expected),
            "missing {expected}: {e:#?}"
        );
    }
}
