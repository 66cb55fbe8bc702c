//! DAG definitions: `with DAG`, `dag = DAG` + `dag=dag`, `@dag`, several per
//! file, ids from constants and f-strings, factories.

use super::*;

#[test]
fn with_dag_as_and_without_as() {
    let f = parse(
        r#"
from datetime import datetime
from airflow import DAG
from airflow.operators.bash import BashOperator

with DAG("orders_hourly", start_date=datetime(2024, 1, 1), schedule="@hourly") as dag:
    extract = BashOperator(task_id="extract", bash_command="echo 1")

with DAG(dag_id="payments_15m", schedule="*/15 * * * *"):
    load = BashOperator(task_id="load", bash_command="echo 2")
"#,
    );
    let ids: Vec<&str> = f.dags.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["orders_hourly", "payments_15m"]);
    assert_eq!(f.dags[0].span.line, 6);
    assert_eq!(f.dags[1].span.line, 9);
    assert_eq!(
        job_ids(&f),
        ["task:orders_hourly.extract", "task:payments_15m.load"]
    );
    assert_eq!(job(&f, "task:orders_hourly.extract").span.line, 7);
    assert_eq!(
        job(&f, "task:payments_15m.load").dag.as_deref(),
        Some("payments_15m")
    );
    assert!(f.diagnostics.is_empty(), "{:?}", f.diagnostics);
}

#[test]
fn assigned_dag_with_dag_argument_on_tasks() {
    let f = parse(
        r#"
from airflow.models import DAG
from airflow.operators.empty import EmptyOperator
from airflow.operators.dummy import DummyOperator

dag = DAG("legacy_daily", schedule_interval="@daily")
other = DAG("other_daily", schedule_interval="0 5 * * *")

start = EmptyOperator(task_id="start", dag=dag)
end = DummyOperator(task_id="end", dag=dag)
elsewhere = EmptyOperator(task_id="elsewhere", dag=other)
orphan = EmptyOperator(task_id="orphan")
start >> end
"#,
    );
    assert_eq!(
        job_ids(&f),
        [
            "task:legacy_daily.start",
            "task:legacy_daily.end",
            "task:other_daily.elsewhere"
        ]
    );
    assert_eq!(after(&f, "legacy_daily"), ["start -> end"]);
}

#[test]
fn dag_decorator_uses_the_function_name_or_dag_id() {
    let f = parse(
        r#"
import pendulum
from airflow.decorators import dag, task

@dag(schedule="@daily", start_date=pendulum.datetime(2024, 1, 1), catchup=False)
def taskflow_etl():
    @task
    def extract():
        return {"a": 1}

    @task
    def load(data):
        print(data)

    load(extract())

@dag(dag_id="renamed_etl", schedule=None)
def something_else():
    @task
    def only():
        pass
    only()

@dag(schedule=None)
def never_called():
    pass

taskflow_etl()
something_else()
"#,
    );
    let ids: Vec<&str> = f.dags.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["taskflow_etl", "renamed_etl"]);
    assert_eq!(f.dags[0].span.line, 6);
    assert_eq!(
        job_ids(&f),
        [
            "task:taskflow_etl.extract",
            "task:taskflow_etl.load",
            "task:renamed_etl.only"
        ]
    );
    assert_eq!(after(&f, "taskflow_etl"), ["extract -> load"]);
    assert_eq!(job(&f, "task:taskflow_etl.load").span.line, 12);
}

#[test]
fn ids_from_module_constants_and_f_strings() {
    let f = parse(
        r#"
from airflow import DAG
from airflow.operators.bash import BashOperator

TEAM = "growth"
PREFIX = TEAM + "_"
VERSION = 2
DAG_ID = f"{PREFIX}sessions_v{VERSION}"

with DAG(DAG_ID, schedule="@daily") as dag:
    BashOperator(task_id=f"build_{TEAM}", bash_command="make")
    BashOperator(task_id="publish_{}".format(TEAM), bash_command="make")
    BashOperator(task_id="notify_%s" % TEAM, bash_command="make")
"#,
    );
    assert_eq!(f.dags[0].id, "growth_sessions_v2");
    assert_eq!(
        job_ids(&f),
        [
            "task:growth_sessions_v2.build_growth",
            "task:growth_sessions_v2.publish_growth",
            "task:growth_sessions_v2.notify_growth"
        ]
    );
}

#[test]
fn factories_defined_in_the_file_are_read_where_called() {
    let f = parse(
        r#"
from airflow import DAG
from airflow.operators.bash import BashOperator

def create_dag(dag_id, schedule, tables):
    with DAG(dag_id, schedule=schedule, default_args={"owner": "data-eng", "retries": 2}) as dag:
        previous = None
        for table in tables:
            t = BashOperator(task_id=f"load_{table}", bash_command=f"load {table}")
            if previous is not None:
                previous >> t
            previous = t
    return dag

for source in ["crm", "billing"]:
    globals()[f"ingest_{source}"] = create_dag(f"ingest_{source}", "@hourly", ["a", "b"])
"#,
    );
    let ids: Vec<&str> = f.dags.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["ingest_crm", "ingest_billing"]);
    assert_eq!(
        job_ids(&f),
        [
            "task:ingest_crm.load_a",
            "task:ingest_crm.load_b",
            "task:ingest_billing.load_a",
            "task:ingest_billing.load_b"
        ]
    );
    assert_eq!(
        edges(&f, EdgeKind::After),
        [
            "task:ingest_billing.load_a -> task:ingest_billing.load_b",
            "task:ingest_crm.load_a -> task:ingest_crm.load_b"
        ]
    );
    assert_eq!(
        job(&f, "task:ingest_billing.load_b")
            .owner
            .as_ref()
            .map(|o| o.value.as_str()),
        Some("data-eng")
    );
    assert!(rules(&f).is_empty(), "{:?}", f.diagnostics);
}

#[test]
fn unknowable_ids_give_one_unresolved_dynamic_note_and_no_guess() {
    let f = parse(
        r#"
import os
import json
from airflow import DAG
from airflow.operators.bash import BashOperator
from common.factory import build_dag

CONFIG = json.load(open("config.json"))

for name in CONFIG["dags"]:
    with DAG(f"dyn_{name}", schedule=os.getenv("SCHEDULE")) as dag:
        BashOperator(task_id="run", bash_command="x")

with DAG("static_one", schedule=os.getenv("SCHEDULE"), default_args={"owner": os.environ["OWNER"]}) as d2:
    BashOperator(task_id="run", bash_command="x")

globals()["imported"] = build_dag("imported")
"#,
    );
    let ids: Vec<&str> = f.dags.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["static_one"]);
    assert_eq!(job_ids(&f), ["task:static_one.run"]);
    assert_eq!(f.dags[0].cadence, None);
    assert_eq!(job(&f, "task:static_one.run").owner, None);
    assert_eq!(rules(&f), ["unresolved-dynamic"]);
    let d = &f.diagnostics[0];
    assert_eq!(d.span.as_ref().map(|s| s.line), Some(11));
    assert!(d.message.contains("the DAG id at line 11"), "{}", d.message);
    assert!(
        d.message.contains("the schedule of DAG `static_one`"),
        "{}",
        d.message
    );
    assert!(
        d.message.contains("the owner of task `run`"),
        "{}",
        d.message
    );
}

#[test]
fn non_airflow_python_files_give_nothing() {
    let f = parse("import os\n\ndef airflow_like():\n    return 'airflow'\n");
    assert!(f.jobs.is_empty() && f.dags.is_empty() && f.diagnostics.is_empty());
    let broken = parse("def broken(:\n    'airflow'\n");
    assert!(broken.diagnostics.is_empty());
}

#[test]
fn spreads_of_unknown_dicts_are_noted_only_for_what_they_may_set() {
    let f = parse(
        r#"
from airflow import DAG
from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from mattermost_dags.airflow_utils import pod_defaults, dag_defaults

with DAG("spread", **dag_defaults) as dag:
    KubernetesPodOperator(**pod_defaults, task_id="open", image="x")
    KubernetesPodOperator(**pod_defaults, task_id="closed", owner="data-eng", retries=2, image="x")
"#,
    );
    assert_eq!(f.dags[0].cadence, None);
    assert_eq!(job_ids(&f), ["task:spread.open", "task:spread.closed"]);
    assert_eq!(rules(&f), ["unresolved-dynamic"]);
    assert_eq!(
        f.diagnostics[0].message,
        "cannot be known without running the file: the schedule and default_args of DAG `spread` (`**dag_defaults` may set it); the owner and retries of task `open` (`**pod_defaults` may set it)"
    );
    assert_eq!(
        f.diagnostics[0].span.as_ref().map(|s| (s.line, s.column)),
        Some((6, 20))
    );
}
