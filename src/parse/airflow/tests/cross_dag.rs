//! Edges across DAGs: sensors, markers, TriggerDagRun.

use super::*;

#[test]
fn sensors_markers_and_triggers() {
    let f = parse(
        r#"
from airflow import DAG
from airflow.sensors.external_task import ExternalTaskSensor, ExternalTaskMarker
from airflow.operators.trigger_dagrun import TriggerDagRunOperator

with DAG("serving", schedule="0 4 * * *") as dag:
    wait = ExternalTaskSensor(task_id="wait_sessions", external_dag_id="sessions_daily", external_task_id="publish")
    wait_all = ExternalTaskSensor(task_id="wait_dag", external_dag_id="orders_hourly", external_task_id=None)
    wait_two = ExternalTaskSensor(task_id="wait_two", external_dag_id="accounts_daily", external_task_ids=["load", "check"])
    mark = ExternalTaskMarker(task_id="mark", external_dag_id="reverse_etl", external_task_id="wait_serving")
    kick = TriggerDagRunOperator(task_id="kick", trigger_dag_id="exports")
    wait >> kick
"#,
    );
    assert_eq!(
        edges(&f, EdgeKind::Triggers),
        [
            "dag:orders_hourly -> task:serving.wait_dag",
            "task:accounts_daily.check -> task:serving.wait_two",
            "task:accounts_daily.load -> task:serving.wait_two",
            "task:serving.kick -> dag:exports",
            "task:serving.mark -> task:reverse_etl.wait_serving",
            "task:sessions_daily.publish -> task:serving.wait_sessions"
        ]
    );
    assert_eq!(after(&f, "serving"), ["wait_sessions -> kick"]);
    let e = f.edges.iter().find(|e| e.to == "dag:exports").unwrap();
    assert_eq!(e.span.line, 11);
}
