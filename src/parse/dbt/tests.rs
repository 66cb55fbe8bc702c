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
    parse_fixture_with(dir, false)
}

/// [`parse_fixture`], reading `target/manifest.json` when `dbt_manifest`.
fn parse_fixture_with(dir: &str, dbt_manifest: bool) -> FileFacts {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut paths = HashSet::new();
    collect(&root, &root, &mut paths);
    let context = ParseContext {
        root: root.clone(),
        dialect: SqlDialect::Snowflake,
        paths,
        include_packages: false,
        dbt_manifest,
        sources: SourceMap::default(),
        overlay: None,
        memo: None,
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
            "model:acme.dim_customer [ref:stg_accounts@7, ref:stg_orders@8] -> analytics.dim_customer owner=analytics-eng (group analytics) at models/marts/schema.yml:9",
            "model:acme.fct_orders [ref:stg_orders@6, ref:stg_payments@10] -> analytics.fct_orders owner=analytics-eng (group analytics) at models/marts/schema.yml:4",
            "model:acme.mart_revenue [ref:fct_orders@6, ref:dim_customer@7] -> analytics.mart_revenue owner=analytics-eng (group analytics) at models/marts/schema.yml:14",
            "model:acme.stg_accounts [source:raw.accounts@8] -> analytics.stg_accounts owner=analytics-eng (group analytics) at models/staging/schema.yml:12",
            "model:acme.stg_orders [source:raw.orders@2] -> analytics.stg_orders owner=analytics-eng (group analytics) at models/staging/schema.yml:4",
            "model:acme.stg_payments [source:raw.payments@7] -> analytics.stg_payments owner=analytics-eng (group analytics) at models/staging/schema.yml:8",
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
    assert_eq!(
        show(&job("model:acme.cycle_a").reads[0].value),
        "ref:cycle_c"
    );
    assert_eq!(
        show(&job("model:acme.orders_typo").reads[0].value),
        "ref:stg_order"
    );
    assert_eq!(
        show(&job("model:acme.mart_orders_raw").writes[0].value),
        "mart.mart_orders_raw"
    );
    assert_eq!(
        show(&job("model:acme.fct_orders_v2").writes[0].value),
        "analytics.fct_orders"
    );
    assert!(job("model:acme.unowned_report").owner.is_none());
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

/// Jobs as `id [reads] -> target`, sorted.
fn job_lines(facts: &FileFacts) -> Vec<String> {
    let mut jobs: Vec<String> = facts
        .jobs
        .iter()
        .map(|j| {
            let reads: Vec<String> = j.reads.iter().map(|r| show(&r.value)).collect();
            format!(
                "{} [{}] -> {}",
                j.id,
                reads.join(", "),
                show(&j.writes[0].value)
            )
        })
        .collect();
    jobs.sort();
    jobs
}

#[test]
fn root_project_config_overrides_a_package_models_config_call() {
    let facts = parse_fixture("fixtures/dbt/package_precedence");
    assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
    assert_eq!(
        job_lines(&facts),
        vec![
            "model:evt.evt_events [source:tracker.events] -> events.evt_events",
            "model:shop.sessions [ref:evt_events] -> sessions",
        ]
    );
    assert_eq!(
        facts.package_dirs,
        vec![Arc::<str>::from("dbt_packages/evt")]
    );
}

/// Everything of the facts that reaches the graph or a finding, as text.
fn facts_text(facts: &FileFacts) -> Vec<String> {
    let mut out = Vec::new();
    for j in &facts.jobs {
        let reads: Vec<String> = j
            .reads
            .iter()
            .map(|r| format!("{}@{}", show(&r.value), r.span.line))
            .collect();
        out.push(format!(
            "job {} [{}] -> {} owner={} ({}) at {}:{} partial={}",
            j.id,
            reads.join(", "),
            show(&j.writes[0].value),
            j.owner.as_ref().map_or("-", |o| o.value.as_str()),
            j.owner.as_ref().map_or("-", |o| o.origin.as_str()),
            j.span.file,
            j.span.line,
            j.partial
        ));
    }
    for d in &facts.datasets {
        out.push(format!(
            "dataset {} at {}:{} external={} layer={} checked={}",
            show(&d.name.value),
            d.name.span.file,
            d.name.span.line,
            d.external,
            d.layer_hint.as_deref().unwrap_or("-"),
            d.checked
        ));
    }
    for s in &facts.sources {
        out.push(format!(
            "source {} -> {} every={} owner={} at {}:{}",
            s.name,
            show(&s.lands_in.as_ref().unwrap().value),
            s.cadence
                .as_ref()
                .map_or("-".into(), |c| c.value.to_string()),
            s.owner.as_ref().map_or("-", |o| o.value.as_str()),
            s.span.file,
            s.span.line
        ));
    }
    for c in &facts.consumers {
        let reads: Vec<String> = c
            .reads
            .iter()
            .map(|r| format!("{}@{}", show(&r.value), r.span.line))
            .collect();
        out.push(format!(
            "consumer {} {} owner={} freshness={} reads={} at {}:{}",
            c.name,
            c.kind,
            c.owner.as_ref().map_or("-", |o| o.value.as_str()),
            c.freshness
                .as_ref()
                .map_or("-".into(), |f| f.value.to_string()),
            reads.join(","),
            c.span.file,
            c.span.line
        ));
    }
    for a in &facts.allows {
        out.push(format!("allow {} {}:{}", a.rule, a.span.file, a.span.line));
    }
    for d in &facts.diagnostics {
        out.push(format!("diagnostic {} {}", d.rule, d.message));
    }
    out.sort();
    out
}

#[test]
fn manifest_and_rendering_give_the_same_facts() {
    let rendered = facts_text(&parse_fixture("fixtures/dbt/manifest_shop"));
    let read = facts_text(&parse_fixture_with("fixtures/dbt/manifest_shop", true));
    assert_eq!(read, rendered);
    assert_eq!(
        rendered,
        vec![
            "consumer weekly_revenue dashboard owner=finance-analytics freshness=daily 07:00 reads=ref:fct_orders@27,ref:dim_customers@28 at models/marts/schema.yml:20",
            "dataset country_codes at seeds/country_codes.csv:1 external=true layer=- checked=false",
            "dataset mart.dim_customers at models/marts/schema.yml:16 external=false layer=serving checked=false",
            "dataset mart.orders_fact at models/marts/schema.yml:10 external=false layer=serving checked=true",
            "dataset raw.shop_app.customer at models/staging/schema.yml:17 external=true layer=raw checked=true",
            "dataset raw.shop_app.orders at models/staging/schema.yml:13 external=true layer=raw checked=true",
            "dataset snapshots.orders_snapshot at snapshots/orders_snapshot.sql:1 external=false layer=- checked=false",
            "dataset staging.stg_customers at models/staging/schema.yml:27 external=false layer=curated checked=false",
            "dataset staging.stg_orders at models/staging/schema.yml:21 external=false layer=curated checked=true",
            "job model:shop.dim_customers [ref:stg_customers@2] -> mart.dim_customers owner=finance-analytics (group finance) at models/marts/schema.yml:16 partial=false",
            "job model:shop.fct_orders [ref:stg_orders@3, ref:stg_customers@1] -> mart.orders_fact owner=analytics-eng (meta.owner) at models/marts/schema.yml:10 partial=false",
            "job model:shop.stg_customers [ref:country_codes@3, source:shop.customers@2] -> staging.stg_customers owner=analytics-eng (meta.owner) at models/staging/schema.yml:27 partial=false",
            "job model:shop.stg_orders [source:shop.orders@2] -> staging.stg_orders owner=analytics-eng (meta.owner) at models/staging/schema.yml:21 partial=false",
            "job seed:shop.country_codes [] -> country_codes owner=- (-) at seeds/country_codes.csv:1 partial=false",
            "job snapshot:shop.orders_snapshot [source:shop.orders@3] -> snapshots.orders_snapshot owner=- (-) at snapshots/orders_snapshot.sql:1 partial=false",
            "source shop.customers -> raw.shop_app.customer every=every 12h owner=data-eng at models/staging/schema.yml:17",
            "source shop.orders -> raw.shop_app.orders every=every 12h owner=data-eng at models/staging/schema.yml:13",
        ]
    );
}
