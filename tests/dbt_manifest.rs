//! `--dbt-manifest`: a dbt project read from its `target/manifest.json`
//! gives the graph rendering gives; what dbt wrote there is what is read;
//! a manifest that cannot be used is reported and the project rendered.

mod common;

use std::fs;
use std::path::Path;

use common::{check_json, edges, findings, fixture, pipelint};

/// `pipelint graph --format json PATH [extra]` as text.
fn graph_text(path: &Path, extra: &[&str]) -> String {
    let p = path.to_string_lossy().into_owned();
    let mut args = vec!["graph", p.as_str(), "--format", "json"];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = pipelint(&args);
    assert_eq!(code, 0, "{stderr}");
    stdout
}

/// The `manifest_shop` fixture in a temporary folder, its manifest edited.
fn shop_with_manifest(edit: impl FnOnce(&str) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&fixture("dbt/manifest_shop"), dir.path());
    let path = dir.path().join("target/manifest.json");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, edit(&text)).unwrap();
    dir
}

const SHOP_EDGES: &[&str] = &[
    "dataset:country_codes -reads-> model:shop.stg_customers",
    "dataset:mart.dim_customers -reads-> consumer:weekly_revenue",
    "dataset:mart.orders_fact -reads-> consumer:weekly_revenue",
    "dataset:raw.shop_app.customer -reads-> model:shop.stg_customers",
    "dataset:raw.shop_app.orders -reads-> model:shop.stg_orders",
    "dataset:raw.shop_app.orders -reads-> snapshot:shop.orders_snapshot",
    "dataset:staging.stg_customers -reads-> model:shop.dim_customers",
    "dataset:staging.stg_customers -reads-> model:shop.fct_orders",
    "dataset:staging.stg_orders -reads-> model:shop.fct_orders",
    "model:shop.dim_customers -writes-> dataset:mart.dim_customers",
    "model:shop.fct_orders -writes-> dataset:mart.orders_fact",
    "model:shop.stg_customers -writes-> dataset:staging.stg_customers",
    "model:shop.stg_orders -writes-> dataset:staging.stg_orders",
    "seed:shop.country_codes -writes-> dataset:country_codes",
    "snapshot:shop.orders_snapshot -writes-> dataset:snapshots.orders_snapshot",
    "source:shop.customers -writes-> dataset:raw.shop_app.customer",
    "source:shop.orders -writes-> dataset:raw.shop_app.orders",
];

#[test]
fn manifest_and_rendering_give_the_same_graph() {
    let shop = fixture("dbt/manifest_shop");
    let rendered = graph_text(&shop, &[]);
    let read = graph_text(&shop, &["--dbt-manifest"]);
    assert_eq!(read, rendered);
    let graph: serde_json::Value = serde_json::from_str(&read).unwrap();
    assert_eq!(edges(&graph), SHOP_EDGES);
}

#[test]
fn the_manifest_is_what_is_read() {
    // dbt says fct_orders also reads the seed, and knows no dim_customers.
    let dir = shop_with_manifest(|text| {
        let mut m: serde_json::Value = serde_json::from_str(text).unwrap();
        m["nodes"]["model.shop.fct_orders"]["refs"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"name": "country_codes", "package": null, "version": null}));
        m["nodes"]
            .as_object_mut()
            .unwrap()
            .remove("model.shop.dim_customers");
        m["exposures"]["exposure.shop.weekly_revenue"]["refs"]
            .as_array_mut()
            .unwrap()
            .pop();
        serde_json::to_string(&m).unwrap()
    });
    let graph: serde_json::Value =
        serde_json::from_str(&graph_text(dir.path(), &["--dbt-manifest"])).unwrap();
    let mut expected: Vec<&str> = SHOP_EDGES
        .iter()
        .copied()
        .filter(|e| !e.contains("dim_customers"))
        .collect();
    expected.insert(0, "dataset:country_codes -reads-> model:shop.fct_orders");
    assert_eq!(edges(&graph), expected);
    // Without the flag the project's files are rendered, as always.
    let rendered: serde_json::Value = serde_json::from_str(&graph_text(dir.path(), &[])).unwrap();
    assert_eq!(edges(&rendered), SHOP_EDGES);
}

#[test]
fn a_malformed_manifest_is_a_parse_error_and_the_project_is_rendered() {
    let mut last_line = 0;
    let dir = shop_with_manifest(|text| {
        let cut = &text[..text.len() / 2];
        last_line = cut.lines().count();
        cut.to_string()
    });
    let (_, doc) = check_json(dir.path(), &["--dbt-manifest"]);
    let parse_errors: Vec<String> = findings(&doc)
        .into_iter()
        .filter(|f| f.contains("parse-error"))
        .collect();
    // The error is where the text stops.
    assert_eq!(
        parse_errors,
        vec![format!(
            "PL000 parse-error - target/manifest.json:{last_line}"
        )]
    );
    assert_eq!(
        graph_text(dir.path(), &["--dbt-manifest"]),
        graph_text(&fixture("dbt/manifest_shop"), &[])
    );
}

#[test]
fn a_manifest_of_another_project_is_not_used() {
    let dir = shop_with_manifest(|text| {
        text.replace("\"project_name\": \"shop\"", "\"project_name\": \"other\"")
    });
    let (_, doc) = check_json(dir.path(), &["--dbt-manifest"]);
    let found: Vec<String> = findings(&doc)
        .into_iter()
        .filter(|f| f.contains("invalid-config"))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].ends_with("- target/manifest.json:1"), "{found:?}");
    assert_eq!(
        graph_text(dir.path(), &["--dbt-manifest"]),
        graph_text(&fixture("dbt/manifest_shop"), &[])
    );
}

#[test]
fn nulls_where_dbt_writes_them_are_read() {
    // dbt writes `refs: null` and `sources: null` for seeds, and may write
    // null for other lists and maps.
    let dir = shop_with_manifest(|text| {
        let mut m: serde_json::Value = serde_json::from_str(text).unwrap();
        let seed = &mut m["nodes"]["seed.shop.country_codes"];
        seed["refs"] = serde_json::Value::Null;
        seed["sources"] = serde_json::Value::Null;
        seed["depends_on"] = serde_json::json!({"macros": []});
        m["groups"] = serde_json::Value::Null;
        serde_json::to_string(&m).unwrap()
    });
    let graph: serde_json::Value =
        serde_json::from_str(&graph_text(dir.path(), &["--dbt-manifest"])).unwrap();
    assert_eq!(edges(&graph), SHOP_EDGES);
    let dim = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "model:shop.dim_customers")
        .unwrap();
    assert!(dim["owner"].is_null(), "no groups, no group owner: {dim}");
}
