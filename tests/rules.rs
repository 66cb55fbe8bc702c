//! One fixture pair per rule: the failing one gives exactly the expected
//! findings, the passing one none at all (whatever the rule selection).

mod common;

use common::{check_json, findings, fixture};

fn fail(slug: &str, select: &str) -> Vec<String> {
    let (code, doc) = check_json(
        &fixture(&format!("rules/{slug}/fail")),
        &["--select", select, "--fail-on", "info"],
    );
    assert_eq!(code, 1, "{slug}: a failing fixture fails the run");
    findings(&doc)
}

fn assert_pass(slug: &str) {
    let (code, doc) = check_json(
        &fixture(&format!("rules/{slug}/pass")),
        &["--fail-on", "info"],
    );
    assert_eq!(
        findings(&doc),
        Vec::<String>::new(),
        "{slug}: the passing fixture is clean"
    );
    assert_eq!(code, 0);
}

macro_rules! rule_case {
    ($name:ident, $slug:literal, [$($finding:literal),* $(,)?]) => {
        rule_case!($name, $slug, $slug, [$($finding),*]);
    };
    ($name:ident, $slug:literal, $select:literal, [$($finding:literal),* $(,)?]) => {
        #[test]
        fn $name() {
            assert_eq!(fail($slug, $select), [$($finding),*]);
            assert_pass($slug);
        }
    };
}

rule_case!(
    parse_error,
    "parse-error",
    ["PL000 parse-error script:sql/fct_orders.sql sql/fct_orders.sql:2"]
);
rule_case!(
    invalid_config,
    "invalid-config",
    [
        "PL001 invalid-config - pipeline.toml:25",
        "PL001 invalid-config - pipeline.toml:27"
    ]
);
rule_case!(
    unused_allow,
    "unused-allow",
    "unused-allow,consumer-reads-raw,multiple-writers",
    [
        "PL002 unused-allow - pipeline.toml:28",
        "PL002 unused-allow - sql/fct_orders.sql:2"
    ]
);
rule_case!(
    unresolved_dynamic,
    "unresolved-dynamic",
    ["PL003 unresolved-dynamic - dags/exports.py:11"]
);
rule_case!(
    unparsed_sql,
    "unparsed-sql",
    ["PL004 unparsed-sql script:sql/fct_orders.sql sql/fct_orders.sql:3"]
);
rule_case!(
    dag_cycle,
    "dag-cycle",
    ["PL101 dag-cycle script:sql/customer_segments.sql sql/customer_segments.sql:1"]
);
rule_case!(
    unresolved_reference,
    "unresolved-reference",
    ["PL102 unresolved-reference script:sql/fct_orders.sql sql/fct_orders.sql:4"]
);
rule_case!(
    cross_dag_without_trigger,
    "cross-dag-without-trigger",
    ["PL103 cross-dag-without-trigger task:transform_daily.build_fct_orders pipeline.toml:40"]
);
rule_case!(
    missing_owner,
    "missing-owner",
    ["PL201 missing-owner script:scratch/backfill.sql scratch/backfill.sql:1"]
);
rule_case!(
    unknown_owner,
    "unknown-owner",
    ["PL202 unknown-owner source:postgres_orders pipeline.toml:23"]
);
rule_case!(
    missing_cadence,
    "missing-cadence",
    [
        "PL301 missing-cadence source:postgres_orders pipeline.toml:21",
        "PL301 missing-cadence consumer:exec_dashboard pipeline.toml:27",
    ]
);
rule_case!(
    missing_failure_behavior,
    "missing-failure-behavior",
    ["PL302 missing-failure-behavior script:sql/fct_orders.sql sql/fct_orders.sql:1"]
);
rule_case!(
    freshness_unreachable,
    "freshness-unreachable",
    ["PL303 freshness-unreachable consumer:exec_dashboard pipeline.toml:39"]
);
rule_case!(
    consumer_reads_raw,
    "consumer-reads-raw",
    ["PL401 consumer-reads-raw consumer:exec_dashboard pipeline.toml:31"]
);
rule_case!(
    layer_skip,
    "layer-skip",
    ["PL402 layer-skip script:sql/revenue_daily.sql sql/revenue_daily.sql:3"]
);
rule_case!(
    layer_backflow,
    "layer-backflow",
    ["PL403 layer-backflow script:sql/fct_orders.sql sql/fct_orders.sql:4"]
);
rule_case!(
    duplicate_extract,
    "duplicate-extract",
    ["PL501 duplicate-extract source:postgres_orders pipeline.toml:32"]
);
rule_case!(
    multiple_writers,
    "multiple-writers",
    ["PL502 multiple-writers dataset:analytics.fct_orders sql/fct_orders_v2.sql:2"]
);
rule_case!(
    publish_without_check,
    "publish-without-check",
    ["PL601 publish-without-check dataset:mart.revenue_daily sql/revenue_daily.sql:1"]
);
rule_case!(
    orphan_serving,
    "orphan-serving",
    ["PL602 orphan-serving dataset:mart.revenue_daily sql/revenue_daily.sql:1"]
);

#[test]
fn every_rule_has_a_fixture_pair() {
    let dir = fixture("rules");
    for rule in pipelint::rules::all() {
        for variant in ["fail", "pass"] {
            assert!(
                dir.join(rule.slug).join(variant).is_dir(),
                "fixtures/rules/{}/{variant} is missing",
                rule.slug
            );
        }
    }
}

#[test]
fn messages_say_what_and_help_says_how() {
    let (_, doc) = check_json(
        &fixture("rules/unknown-owner/fail"),
        &["--select", "unknown-owner"],
    );
    let d = &doc["diagnostics"][0];
    assert_eq!(
        d["message"],
        "owner `dataeng` of `source:postgres_orders` is not a team declared in [teams]"
    );
    assert!(
        d["help"]
            .as_str()
            .unwrap()
            .starts_with("did you mean `data-eng`?"),
        "{d}"
    );
    let (_, doc) = check_json(
        &fixture("rules/layer-skip/fail"),
        &["--select", "layer-skip"],
    );
    assert_eq!(
        doc["diagnostics"][0]["message"],
        "`script:sql/revenue_daily.sql` builds serving-layer `mart.revenue_daily` straight from raw `raw.orders`, skipping curated"
    );
}
