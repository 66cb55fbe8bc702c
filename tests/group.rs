//! One finding per fix: the grouping stage on a repo whose fixes each live
//! in one place.

mod common;

use common::{check_json, findings, fixture};

fn legacy_shop(extra: &[&str]) -> serde_json::Value {
    let p = fixture("adopt/legacy_shop");
    let root = p.to_string_lossy().into_owned();
    let mut args = vec!["--root", root.as_str(), "--fail-on", "info"];
    args.extend_from_slice(extra);
    check_json(&p, &args).1
}

fn grouped<'a>(doc: &'a serde_json::Value, rule: &str, file: &str) -> &'a serde_json::Value {
    doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == rule && d["file"] == file)
        .unwrap_or_else(|| panic!("no {rule} at {file}"))
}

#[test]
fn each_fix_is_one_finding_listing_every_node() {
    let doc = legacy_shop(&[]);
    assert_eq!(
        findings(&doc),
        [
            // The DAG and its tasks: one `owner` in default_args. (Their
            // failure behavior is allowed once, above the DAG.)
            "PL201 missing-owner dag:nightly_reports dags/nightly.py:7",
            // Scripts of warehouse/reports/ (warehouse/owned/ has an owner):
            // one [paths] glob.
            "PL201 missing-owner - pipeline.toml:1",
            "PL302 missing-failure-behavior - pipeline.toml:1",
            // Staging models and sources: one `+meta` under `staging:`;
            // stg_refunds is allowed on its own line and left out.
            "PL201 missing-owner - shop/dbt_project.yml:9",
            "PL601 publish-without-check dataset:fct_orders shop/models/marts/schema.yml:4",
            "PL602 orphan-serving dataset:fct_orders shop/models/marts/schema.yml:4",
            // The tables of one source: one `freshness:` on the source.
            "PL301 missing-cadence - shop/models/staging/_sources.yml:4",
        ]
    );
    let dbt = grouped(&doc, "missing-owner", "shop/dbt_project.yml");
    assert_eq!(
        dbt["nodes"],
        serde_json::json!([
            "model:shop.stg_customers",
            "model:shop.stg_orders",
            "source:app.customers",
            "source:app.orders",
            "source:app.refunds"
        ])
    );
    assert_eq!(dbt["related"].as_array().unwrap().len(), 5);
    assert_eq!(
        dbt["message"],
        "5 nodes (3 sources, 2 dbt models) in `shop/models/staging/` have no owner: \
         `model:shop.stg_customers`, `model:shop.stg_orders`, `source:app.customers` and 2 more"
    );
    let help = dbt["help"].as_str().unwrap();
    assert!(
        help.contains("    models:\n      shop:\n        staging:\n          +meta:\n            owner: \"<team>\""),
        "{help}"
    );
    let scripts = grouped(&doc, "missing-owner", "pipeline.toml");
    assert_eq!(
        scripts["nodes"],
        serde_json::json!([
            "script:warehouse/reports/monthly/revenue_monthly.sql",
            "script:warehouse/reports/refunds.sql",
            "script:warehouse/reports/revenue.sql"
        ])
    );
    assert!(scripts["help"]
        .as_str()
        .unwrap()
        .contains("[paths.\"warehouse/reports/**\"]\n    owner = \"<team>\""));
    // An ownerless DAG is one finding on the DAG already (its tasks take
    // its owner), so there is nothing left to group there.
    let source = grouped(&doc, "missing-cadence", "shop/models/staging/_sources.yml");
    assert_eq!(source["nodes"].as_array().unwrap().len(), 3);
    assert!(source["help"].as_str().unwrap().contains("freshness:"));
}

#[test]
fn a_grouped_finding_belongs_to_a_subfolder_run_when_any_node_does() {
    let p = fixture("adopt/legacy_shop");
    let root = p.to_string_lossy().into_owned();
    let (_, doc) = check_json(
        &p.join("warehouse/reports/monthly"),
        &["--root", &root, "--select", "missing-owner"],
    );
    // Anchored at pipeline.toml, outside the folder, but one of its nodes is inside.
    assert_eq!(findings(&doc), ["PL201 missing-owner - pipeline.toml:1"]);
    let (_, doc) = check_json(
        &p.join("dags"),
        &["--root", &root, "--select", "missing-owner"],
    );
    assert_eq!(
        findings(&doc),
        ["PL201 missing-owner dag:nightly_reports dags/nightly.py:7"]
    );
}
