//! End-to-end tests of the dbt parser on the acme fixture projects.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::parse_project;
use crate::discover::{rel_path, DbtProjectDir};
use crate::facts::{DataRef, FileFacts};
use crate::files::SourceMap;
use crate::parse::ParseContext;
use crate::sql_dialect::SqlDialect;

/// Parses the dbt project at `dir` (a fixture folder) as a repo of its own,
/// listing its files without discovery (the fixtures hide themselves from
/// discovery with `.ignore` until they are wired into the acme tests).
fn parse_fixture(dir: &str) -> FileFacts {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut paths = HashSet::new();
    collect(&root, &root, &mut paths);
    let context = ParseContext {
        root: root.clone(),
        dialect: SqlDialect::Snowflake,
        paths,
        include_packages: false,
        sources: SourceMap::default(),
    };
    let project = DbtProjectDir {
        path: root,
        rel: Arc::from(""),
    };
    parse_project(&project, &context)
}

fn collect(root: &Path, dir: &Path, out: &mut HashSet<Arc<str>>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, out);
        } else {
            out.insert(rel_path(root, &path));
        }
    }
}

fn show(d: &DataRef) -> String {
    match d {
        DataRef::Model { name, .. } => format!("ref:{name}"),
        DataRef::DbtSource { source, table } => format!("source:{source}.{table}"),
        DataRef::Table(parts) => parts
            .iter()
            .map(|p| p.value.as_str())
            .collect::<Vec<_>>()
            .join("."),
        DataRef::Uri(u) => u.clone(),
    }
}

#[test]
fn acme_models_reads_writes_owners_and_lines() {
    let facts = parse_fixture("fixtures/acme/dbt");
    assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
    let mut jobs: Vec<String> = facts
        .jobs
        .iter()
        .map(|j| {
            let reads: Vec<String> = j
                .reads
                .iter()
                .map(|r| format!("{}@{}", show(&r.value), r.span.line))
                .collect();
            format!(
                "{} [{}] -> {} owner={} ({}) at {}:{}",
                j.id,
                reads.join(", "),
                show(&j.writes[0].value),
                j.owner.as_ref().map_or("-", |o| o.value.as_str()),
                j.owner.as_ref().map_or("-", |o| o.origin.as_str()),
                j.span.file,
                j.span.line
            )
        })
        .collect();
    jobs.sort();
    assert_eq!(
        jobs,
        vec![
            "model:dim_customer [ref:stg_accounts@7, ref:stg_orders@8] -> analytics.dim_customer owner=analytics-eng (group analytics) at models/marts/schema.yml:9",
            "model:fct_orders [ref:stg_orders@6, ref:stg_payments@10] -> analytics.fct_orders owner=analytics-eng (group analytics) at models/marts/schema.yml:4",
            "model:mart_revenue [ref:fct_orders@6, ref:dim_customer@7] -> analytics.mart_revenue owner=analytics-eng (group analytics) at models/marts/schema.yml:14",
            "model:stg_accounts [source:raw.accounts@8] -> analytics.stg_accounts owner=analytics-eng (group analytics) at models/staging/schema.yml:12",
            "model:stg_orders [source:raw.orders@2] -> analytics.stg_orders owner=analytics-eng (group analytics) at models/staging/schema.yml:4",
            "model:stg_payments [source:raw.payments@7] -> analytics.stg_payments owner=analytics-eng (group analytics) at models/staging/schema.yml:8",
        ]
    );
    let mut datasets: Vec<String> = facts
        .datasets
        .iter()
        .map(|d| {
            format!(
                "{} external={} layer={} checked={}",
                show(&d.name.value),
                d.external,
                d.layer_hint.as_deref().unwrap_or("-"),
                d.checked
            )
        })
        .collect();
    datasets.sort();
    assert_eq!(
        datasets,
        vec![
            "analytics.dim_customer external=false layer=serving checked=true",
            "analytics.fct_orders external=false layer=serving checked=true",
            "analytics.mart_revenue external=false layer=serving checked=true",
            "analytics.stg_accounts external=false layer=curated checked=true",
            "analytics.stg_orders external=false layer=curated checked=true",
            "analytics.stg_payments external=false layer=curated checked=true",
            "raw.accounts external=true layer=raw checked=false",
            "raw.events external=true layer=raw checked=false",
            "raw.orders external=true layer=raw checked=true",
            "raw.payments external=true layer=raw checked=false",
        ]
    );
}

#[test]
fn acme_sources_and_exposures() {
    let facts = parse_fixture("fixtures/acme/dbt");
    let sources: Vec<String> = facts
        .sources
        .iter()
        .map(|s| {
            format!(
                "{} -> {} every={} owner={} line={}",
                s.name,
                show(&s.lands_in.as_ref().unwrap().value),
                s.cadence
                    .as_ref()
                    .map_or("-".into(), |c| c.value.to_string()),
                s.owner.as_ref().map_or("-", |o| o.value.as_str()),
                s.span.line
            )
        })
        .collect();
    assert_eq!(
        sources,
        vec![
            "raw.orders -> raw.orders every=hourly owner=data-eng line=10",
            "raw.payments -> raw.payments every=every 15m owner=data-eng line=18",
            "raw.accounts -> raw.accounts every=daily owner=data-eng line=22",
            "raw.events -> raw.events every=every 5m owner=data-eng line=26",
        ]
    );
    let consumers: Vec<String> = facts
        .consumers
        .iter()
        .map(|c| {
            let reads: Vec<String> = c.reads.iter().map(|r| show(&r.value)).collect();
            format!(
                "{} {} owner={} freshness={} reads={}",
                c.name,
                c.kind,
                c.owner.as_ref().map_or("-", |o| o.value.as_str()),
                c.freshness
                    .as_ref()
                    .map_or("-".into(), |f| f.value.to_string()),
                reads.join(",")
            )
        })
        .collect();
    assert_eq!(
        consumers,
        vec![
            "exec_dashboard dashboard owner=marketing-analytics freshness=daily 07:00 reads=ref:mart_revenue",
            "churn_model_training ml owner=ml freshness=daily 06:00 reads=ref:dim_customer,ref:fct_orders",
        ]
    );
}

#[test]
fn broken_acme_keeps_every_violation_visible_in_facts() {
    let facts = parse_fixture("fixtures/acme-broken/dbt");
    let job = |id: &str| facts.jobs.iter().find(|j| j.id == id).unwrap();
    assert_eq!(show(&job("model:cycle_a").reads[0].value), "ref:cycle_c");
    assert_eq!(
        show(&job("model:orders_typo").reads[0].value),
        "ref:stg_order"
    );
    assert_eq!(
        show(&job("model:mart_orders_raw").writes[0].value),
        "mart.mart_orders_raw"
    );
    assert_eq!(
        show(&job("model:fct_orders_v2").writes[0].value),
        "analytics.fct_orders"
    );
    assert!(job("model:unowned_report").owner.is_none());
    let contacts = facts
        .sources
        .iter()
        .find(|s| s.name == "crm.contacts")
        .unwrap();
    assert!(contacts.cadence.is_none());
    let copy = facts
        .sources
        .iter()
        .find(|s| s.name == "legacy_raw.orders_copy")
        .unwrap();
    assert_eq!(show(&copy.lands_in.as_ref().unwrap().value), "raw.orders");
}
