//! The acme DAG files (fixtures/airflow/acme*/dags, to be placed under
//! fixtures/acme*/dags): exact DAGs, tasks, owners, cadences and edges.

use super::*;
use crate::cadence::Cadence;
use crate::failure::FailureBehavior;

const ACME_SQL: [&str; 5] = [
    "sql/load_events.sql",
    "sql/curated/fct_sessions.sql",
    "sql/serving/daily_active_users.sql",
    "sql/serving/user_activity_features.sql",
    "sql/serving/account_health.sql",
];

fn acme(name: &str, text: &str) -> FileFacts {
    let f = parse_at(name, text, &ACME_SQL);
    assert!(f.diagnostics.is_empty(), "{name}: {:?}", f.diagnostics);
    f
}

fn summary(f: &FileFacts) -> Vec<String> {
    f.jobs
        .iter()
        .map(|j| {
            format!(
                "{} owner={} fail={} reads={:?} writes={:?} runs={:?} check={}",
                j.id,
                j.owner.as_ref().map_or("-", |o| o.value.as_str()),
                j.on_failure
                    .as_ref()
                    .map_or("-".to_string(), |o| o.value.to_string()),
                reads(j),
                writes(j),
                j.runs.iter().map(|r| r.value.as_str()).collect::<Vec<_>>(),
                j.is_check
            )
        })
        .collect()
}

fn cadence(f: &FileFacts) -> Option<Cadence> {
    f.dags[0].cadence.as_ref().map(|c| c.value.clone())
}

#[test]
fn extract_dags_read_their_source_at_its_cadence() {
    let orders = acme(
        "orders_hourly.py",
        include_str!("../../../../fixtures/acme/dags/orders_hourly.py"),
    );
    assert_eq!(cadence(&orders), Some(Cadence::Every(3600)));
    assert_eq!(
        summary(&orders),
        [
            r#"task:orders_hourly.extract_orders owner=data-eng fail=retry(3) reads=["postgres://app/public.orders"] writes=["raw.orders"] runs=[] check=false"#
        ]
    );
    let payments = acme(
        "payments_15m.py",
        include_str!("../../../../fixtures/acme/dags/payments_15m.py"),
    );
    assert_eq!(cadence(&payments), Some(Cadence::Every(900)));
    assert_eq!(
        payments.jobs[0]
            .on_failure
            .as_ref()
            .map(|o| o.value.clone()),
        Some(FailureBehavior::Retry {
            count: 5,
            exponential: true
        })
    );
    assert_eq!(
        summary(&payments),
        [
            r#"task:payments_15m.extract_payments owner=data-eng fail=retry(5, exponential) reads=["stripe://payments"] writes=["outlet:raw.payments"] runs=[] check=false"#
        ]
    );
    let accounts = acme(
        "accounts_daily.py",
        include_str!("../../../../fixtures/acme/dags/accounts_daily.py"),
    );
    assert_eq!(
        cadence(&accounts),
        Some(Cadence::DailyAt { hour: 2, minute: 0 })
    );
    assert_eq!(
        summary(&accounts),
        [
            r#"task:accounts_daily.extract_accounts owner=data-eng fail=retry(2) reads=["salesforce://Account"] writes=["outlet:raw.accounts"] runs=[] check=false"#
        ]
    );
    let events = acme(
        "events_continuous.py",
        include_str!("../../../../fixtures/acme/dags/events_continuous.py"),
    );
    assert_eq!(cadence(&events), Some(Cadence::Every(300)));
    assert_eq!(
        summary(&events),
        [
            r#"task:events_continuous.load_events owner=data-eng fail=retry(3) reads=[] writes=[] runs=["sql/load_events.sql"] check=false"#,
            r#"task:events_continuous.stream_events owner=data-eng fail=retry(3) reads=["kafka://mobile-events"] writes=["outlet:s3://acme-lake/raw/events/"] runs=[] check=false"#
        ]
    );
    assert_eq!(
        after(&events, "events_continuous"),
        ["stream_events -> load_events"]
    );
}

#[test]
fn curated_dag_checks_before_it_publishes_and_serving_runs_on_the_dataset() {
    let sessions = acme(
        "sessions_daily.py",
        include_str!("../../../../fixtures/acme/dags/sessions_daily.py"),
    );
    assert_eq!(
        cadence(&sessions),
        Some(Cadence::DailyAt { hour: 3, minute: 0 })
    );
    assert_eq!(
        summary(&sessions),
        [
            r#"task:sessions_daily.build_fct_sessions owner=analytics-eng fail=retry(2) reads=[] writes=[] runs=["sql/curated/fct_sessions.sql"] check=false"#,
            r#"task:sessions_daily.check_fct_sessions owner=analytics-eng fail=fail-fast reads=["analytics.fct_sessions"] writes=[] runs=[] check=true"#,
            r#"task:sessions_daily.publish owner=analytics-eng fail=retry(2) reads=[] writes=["outlet:analytics.fct_sessions"] runs=[] check=false"#
        ]
    );
    assert_eq!(
        after(&sessions, "sessions_daily"),
        [
            "build_fct_sessions -> check_fct_sessions",
            "check_fct_sessions -> publish"
        ]
    );
    let serving = acme(
        "serving_daily.py",
        include_str!("../../../../fixtures/acme/dags/serving_daily.py"),
    );
    assert_eq!(cadence(&serving), Some(Cadence::OnData));
    let triggers: Vec<String> = serving.dags[0]
        .triggered_by
        .iter()
        .map(|r| name(&r.value))
        .collect();
    assert_eq!(triggers, ["analytics.fct_sessions"]);
    assert_eq!(serving.jobs.len(), 6);
    assert_eq!(
        serving
            .jobs
            .iter()
            .filter(|j| j.is_check)
            .map(|j| reads(j).join(","))
            .collect::<Vec<_>>(),
        [
            "mart.daily_active_users",
            "feature_store.user_activity_features",
            "mart.account_health"
        ]
    );
    assert_eq!(
        after(&serving, "serving_daily"),
        [
            "account_health -> check_account_health",
            "daily_active_users -> check_daily_active_users",
            "user_activity_features -> check_user_activity_features"
        ]
    );
}

#[test]
fn broken_dags_carry_their_violations() {
    let marketing = acme(
        "marketing_attribution.py",
        include_str!("../../../../fixtures/acme-broken/dags/marketing_attribution.py"),
    );
    assert_eq!(
        summary(&marketing),
        [
            r#"task:marketing_attribution.attribute_channels owner=- fail=- reads=["analytics.fct_sessions"] writes=["analytics.channel_attribution"] runs=[] check=false"#
        ]
    );
    assert_eq!(marketing.dags[0].owner, None);
    let finance = acme(
        "finance_reconcile.py",
        include_str!("../../../../fixtures/acme-broken/dags/finance_reconcile.py"),
    );
    assert_eq!(
        after(&finance, "finance_reconcile"),
        [
            "post_journal -> pull_stripe",
            "pull_stripe -> reconcile",
            "reconcile -> post_journal"
        ]
    );
    assert_eq!(
        reads(job(&finance, "task:finance_reconcile.pull_stripe")),
        ["stripe://payments"]
    );
    let manual = acme(
        "account_health_refresh.py",
        include_str!("../../../../fixtures/acme-broken/dags/account_health_refresh.py"),
    );
    assert_eq!(cadence(&manual), Some(Cadence::Manual));
    assert_eq!(
        writes(job(
            &manual,
            "task:account_health_refresh.refresh_account_health"
        )),
        ["mart.account_health"]
    );
}
