//! Tasks: operators, `@task`, task groups, mapped tasks, loops.

use super::*;

#[test]
fn task_groups_prefix_ids_and_nest() {
    let f = parse(
        r#"
from airflow import DAG
from airflow.operators.empty import EmptyOperator
from airflow.utils.task_group import TaskGroup

with DAG("grouped", schedule="@daily") as dag:
    start = EmptyOperator(task_id="start")
    with TaskGroup("extract") as extract:
        EmptyOperator(task_id="orders")
        with TaskGroup(group_id="saas") as saas:
            EmptyOperator(task_id="stripe")
    with TaskGroup("flat", prefix_group_id=False) as flat:
        EmptyOperator(task_id="unprefixed")
    outside = TaskGroup("outside")
    EmptyOperator(task_id="by_argument", task_group=outside)
"#,
    );
    assert_eq!(
        job_ids(&f),
        [
            "task:grouped.start",
            "task:grouped.extract.orders",
            "task:grouped.extract.saas.stripe",
            "task:grouped.unprefixed",
            "task:grouped.outside.by_argument"
        ]
    );
    assert_eq!(
        job(&f, "task:grouped.extract.saas.stripe").name,
        "extract.saas.stripe"
    );
}

#[test]
fn task_decorators_and_task_group_decorator() {
    let f = parse(
        r#"
from airflow.decorators import dag, task, task_group

@dag(schedule=None)
def pipeline():
    @task(task_id="pull_orders", retries=3)
    def extract():
        return [1, 2]

    @task.bash
    def report():
        return "echo done"

    @task.virtualenv(requirements=["pandas"])
    def transform(rows):
        return rows

    @task_group(group_id="quality")
    def checks(rows):
        @task
        def not_empty(r):
            return r
        @task
        def unique(r):
            return r
        return unique(not_empty(rows))

    @task_group
    def publish():
        @task
        def push():
            pass
        push()

    rows = extract()
    checked = checks(transform(rows))
    checked >> publish() >> report()
    transform(rows)

pipeline()
"#,
    );
    assert_eq!(
        job_ids(&f),
        [
            "task:pipeline.pull_orders",
            "task:pipeline.transform",
            "task:pipeline.quality.not_empty",
            "task:pipeline.quality.unique",
            "task:pipeline.publish.push",
            "task:pipeline.report",
            "task:pipeline.transform__1"
        ]
    );
    assert_eq!(
        after(&f, "pipeline"),
        [
            "publish.push -> report",
            "pull_orders -> transform",
            "pull_orders -> transform__1",
            "quality.not_empty -> quality.unique",
            "quality.unique -> publish.push",
            "transform -> quality.not_empty"
        ]
    );
}

#[test]
fn mapped_tasks_with_partial_and_expand() {
    let f = parse(
        r#"
from airflow import DAG
from airflow.decorators import task
from airflow.operators.bash import BashOperator

with DAG("mapped", schedule="@daily") as dag:
    @task
    def list_files():
        return ["a", "b"]

    @task
    def process(bucket, key):
        return key

    files = list_files()
    processed = process.partial(bucket="lake").expand(key=files)
    echo = BashOperator.partial(task_id="echo", retries=1).expand(bash_command=["echo 1", "echo 2"])
    processed >> echo
    added = process.override(task_id="process_again").expand(key=files)
"#,
    );
    assert_eq!(
        job_ids(&f),
        [
            "task:mapped.list_files",
            "task:mapped.process",
            "task:mapped.echo",
            "task:mapped.process_again"
        ]
    );
    assert_eq!(
        after(&f, "mapped"),
        [
            "list_files -> process",
            "list_files -> process_again",
            "process -> echo"
        ]
    );
}

#[test]
fn loops_over_literal_lists_and_comprehensions() {
    let f = parse(
        r#"
from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator

TABLES = ["orders", "payments"]
REGIONS = {"eu": "eu-west-1", "us": "us-east-1"}

with DAG("loops", schedule="@daily") as dag:
    done = EmptyOperator(task_id="done")
    for table in TABLES:
        for region, aws in REGIONS.items():
            load = BashOperator(task_id=f"load_{table}_{region}", bash_command=f"load {aws}")
            load >> done
    checks = [EmptyOperator(task_id=f"check_{i}") for i in range(2)]
    done >> checks
"#,
    );
    assert_eq!(
        job_ids(&f),
        [
            "task:loops.done",
            "task:loops.load_orders_eu",
            "task:loops.load_orders_us",
            "task:loops.load_payments_eu",
            "task:loops.load_payments_us",
            "task:loops.check_0",
            "task:loops.check_1"
        ]
    );
    assert_eq!(
        after(&f, "loops"),
        [
            "done -> check_0",
            "done -> check_1",
            "load_orders_eu -> done",
            "load_orders_us -> done",
            "load_payments_eu -> done",
            "load_payments_us -> done"
        ]
    );
}

#[test]
fn any_call_with_task_id_is_a_task_and_helpers_are_followed() {
    let f = parse(
        r#"
from airflow import DAG
from utils.gcp import bigquery_etl_query
from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator

def make_pod(name):
    return KubernetesPodOperator(task_id=f"pod_{name}", image="img", name=name)

with DAG("helpers", schedule="@daily") as dag:
    q = bigquery_etl_query(task_id="clients_daily", destination_table="clients_daily_v6")
    p = make_pod("score")
    q >> p
"#,
    );
    assert_eq!(
        job_ids(&f),
        ["task:helpers.clients_daily", "task:helpers.pod_score"]
    );
    assert_eq!(after(&f, "helpers"), ["clients_daily -> pod_score"]);
}

#[test]
fn repeated_and_mapped_task_group_calls() {
    let f = parse(
        r#"
from airflow.sdk import DAG, task, task_group

with DAG("groups_again", schedule=None) as dag:
    @task
    def one(x=None):
        return 1

    @task_group
    def tg(value=None):
        one(value)

    @task_group
    def mapped(num):
        one(num)

    tg()
    tg()
    mapped.expand(num=[1, 2, 3])
"#,
    );
    assert_eq!(
        job_ids(&f),
        [
            "task:groups_again.tg.one",
            "task:groups_again.tg__1.one",
            "task:groups_again.mapped.one"
        ]
    );
}

#[test]
fn import_aliases_and_asset_decorator() {
    let f = parse(
        r#"
from airflow.sdk import DAG as AirflowDAG, asset, task as af_task
from airflow.providers.standard.operators.bash import BashOperator as Bash

with AirflowDAG("aliased", schedule="@daily") as dag:
    @af_task.python
    def compute():
        return 1

    Bash(task_id="shell", bash_command=compute())

@asset(schedule="@daily", uri="s3://acme-lake/curated/daily_summary/")
def daily_summary():
    pass
"#,
    );
    let ids: Vec<&str> = f.dags.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["aliased", "daily_summary"]);
    assert_eq!(
        job_ids(&f),
        [
            "task:aliased.compute",
            "task:aliased.shell",
            "task:daily_summary.daily_summary"
        ]
    );
    assert_eq!(after(&f, "aliased"), ["compute -> shell"]);
    assert_eq!(
        writes(job(&f, "task:daily_summary.daily_summary")),
        ["s3://acme-lake/curated/daily_summary/"]
    );
}
