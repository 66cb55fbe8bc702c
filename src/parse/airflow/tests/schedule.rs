//! Schedules → cadence.

use super::*;
use crate::cadence::Cadence;

fn cadence_of(imports: &str, args: &str) -> (Option<Cadence>, Option<String>, Vec<String>) {
    let text = format!(
        "{imports}\nfrom datetime import timedelta\n\nwith DAG(\"s\", {args}) as dag:\n    pass\n"
    );
    let f = parse(&text);
    let d = &f.dags[0];
    (
        d.cadence.as_ref().map(|c| c.value.clone()),
        d.cadence.as_ref().map(|c| c.origin.clone()),
        d.triggered_by.iter().map(|r| name(&r.value)).collect(),
    )
}

const AF2: &str = "from airflow import DAG\nfrom airflow.datasets import Dataset";
const AF3: &str = "from airflow.sdk import DAG, Asset";

#[test]
fn presets_cron_timedelta_and_none() {
    assert_eq!(
        cadence_of(AF2, "schedule=\"@hourly\"").0,
        Some(Cadence::Every(3600))
    );
    assert_eq!(
        cadence_of(AF2, "schedule_interval=\"@daily\"").0,
        Some(Cadence::DailyAt { hour: 0, minute: 0 })
    );
    assert_eq!(
        cadence_of(AF2, "schedule=\"0 3 * * *\""),
        (
            Some(Cadence::DailyAt { hour: 3, minute: 0 }),
            Some("schedule".into()),
            vec![]
        )
    );
    assert_eq!(
        cadence_of(AF2, "schedule_interval=timedelta(minutes=15)").0,
        Some(Cadence::Every(900))
    );
    assert_eq!(cadence_of(AF2, "schedule=None").0, Some(Cadence::Manual));
    assert_eq!(
        cadence_of(AF2, "schedule=\"@once\"").0,
        Some(Cadence::Manual)
    );
}

#[test]
fn timetables_with_literal_cron_or_delta() {
    let imports = format!(
        "{AF2}\nfrom airflow.timetables.trigger import CronTriggerTimetable, DeltaTriggerTimetable\nfrom airflow.timetables.interval import CronDataIntervalTimetable"
    );
    assert_eq!(
        cadence_of(
            &imports,
            "timetable=CronDataIntervalTimetable(\"0 2 * * *\", timezone=\"UTC\")"
        )
        .0,
        Some(Cadence::DailyAt { hour: 2, minute: 0 })
    );
    assert_eq!(
        cadence_of(
            &imports,
            "schedule=CronTriggerTimetable(cron=\"*/5 * * * *\", timezone=\"UTC\")"
        )
        .0,
        Some(Cadence::Cron("*/5 * * * *".into()))
    );
    assert_eq!(
        cadence_of(
            &imports,
            "schedule=DeltaTriggerTimetable(timedelta(hours=6))"
        )
        .0,
        Some(Cadence::Every(6 * 3600))
    );
}

#[test]
fn dataset_and_asset_schedules_are_data_triggered() {
    let (c, _, by) = cadence_of(
        AF2,
        "schedule=[Dataset(\"s3://acme-lake/raw/events/\"), Dataset(\"analytics.fct_sessions\")]",
    );
    assert_eq!(c, Some(Cadence::OnData));
    assert_eq!(by, ["s3://acme-lake/raw/events/", "analytics.fct_sessions"]);
    let (c, _, by) = cadence_of(
        AF3,
        "schedule=(Asset(\"analytics.a\") | Asset(name=\"b\", uri=\"s3://x/b\"))",
    );
    assert_eq!(c, Some(Cadence::OnData));
    assert_eq!(by, ["analytics.a", "s3://x/b"]);
}

#[test]
fn absent_schedule_depends_on_the_airflow_version() {
    assert_eq!(
        cadence_of(AF2, "catchup=False"),
        (
            Some(Cadence::Every(86_400)),
            Some("airflow 2 default".into()),
            vec![]
        )
    );
    assert_eq!(
        cadence_of(AF3, "catchup=False"),
        (
            Some(Cadence::Manual),
            Some("airflow 3 default".into()),
            vec![]
        )
    );
}

#[test]
fn a_bad_schedule_is_invalid_config_at_its_line() {
    let f = parse(
        "from airflow import DAG\n\nwith DAG(\"bad\",\n         schedule=\"every day\") as dag:\n    pass\n",
    );
    assert_eq!(f.dags[0].cadence, None);
    assert_eq!(rules(&f), ["invalid-config"]);
    assert_eq!(
        f.diagnostics[0].span.as_ref().map(|s| (s.line, s.column)),
        Some((4, 19))
    );
}

#[test]
fn every_non_none_schedule_is_scheduled() {
    let imports = format!(
        "{AF3}, AssetAlias\nfrom airflow.timetables.trigger import MultipleCronTriggerTimetable\nfrom plugins.calendars import WorkdayTimetable"
    );
    assert_eq!(
        cadence_of(&imports, "schedule=WorkdayTimetable()").0,
        Some(Cadence::Scheduled)
    );
    assert_eq!(
        cadence_of(
            &imports,
            "schedule=MultipleCronTriggerTimetable(\"0 9 * * *\", \"*/30 * * * *\", timezone=\"UTC\")"
        )
        .0,
        Some(Cadence::Cron("*/30 * * * *".into()))
    );
    assert_eq!(
        cadence_of(&imports, "schedule=[AssetAlias(\"partner-feeds\")]").0,
        Some(Cadence::OnData)
    );
    assert_eq!(
        cadence_of(&imports, "schedule=AssetAlias(\"partner-feeds\")").0,
        Some(Cadence::OnData)
    );
    assert_eq!(
        cadence_of(&imports, "schedule=\"@continuous\"").0,
        Some(Cadence::Continuous)
    );
    assert_eq!(
        cadence_of(AF2, "schedule=\"15 2/4 3-6 * *\"").0,
        Some(Cadence::Cron("15 2/4 3-6 * *".into()))
    );
    assert_eq!(
        cadence_of(
            &imports,
            "schedule=(Asset(\"s3://lake/a\") | Asset(\"s3://lake/b\")) & Asset(\"s3://lake/c\")"
        ),
        (
            Some(Cadence::OnData),
            Some("schedule".into()),
            vec![
                "s3://lake/a".into(),
                "s3://lake/b".into(),
                "s3://lake/c".into()
            ]
        )
    );
}
