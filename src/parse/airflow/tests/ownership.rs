//! Owners and failure behavior from `default_args` and task arguments.

use super::*;
use crate::failure::FailureBehavior;

fn owner(j: &JobFact) -> Option<(String, String, u32)> {
    j.owner.as_ref().map(|o| {
        (
            o.value.clone(),
            o.origin.clone(),
            o.span.as_ref().map_or(0, |s| s.line),
        )
    })
}

fn failure(j: &JobFact) -> Option<(FailureBehavior, String)> {
    j.on_failure
        .as_ref()
        .map(|o| (o.value.clone(), o.origin.clone()))
}

#[test]
fn default_args_literal_module_dict_and_dict_call() {
    let f = parse(
        r#"
from datetime import timedelta
from airflow import DAG
from airflow.operators.bash import BashOperator

BASE = {
    "owner": "data-eng",
    "retries": 2,
    "retry_delay": timedelta(minutes=5),
}
EXTRA = dict(BASE, retry_exponential_backoff=True)

with DAG("a", default_args=BASE, schedule="@daily") as a:
    BashOperator(task_id="t", bash_command="x")
    BashOperator(task_id="mine", owner="ml", retries=0, bash_command="x")

with DAG("b", default_args=EXTRA, schedule="@daily") as b:
    BashOperator(task_id="t", bash_command="x")

with DAG("c", default_args={**BASE, "owner": "airflow"}, schedule="@daily") as c:
    BashOperator(task_id="t", bash_command="x")
"#,
    );
    assert_eq!(
        owner(job(&f, "task:a.t")),
        Some(("data-eng".into(), "default_args".into(), 7))
    );
    assert_eq!(
        failure(job(&f, "task:a.t")),
        Some((
            FailureBehavior::Retry {
                count: 2,
                exponential: false
            },
            "default_args".into()
        ))
    );
    assert_eq!(
        owner(job(&f, "task:a.mine")),
        Some(("ml".into(), "task".into(), 15))
    );
    assert_eq!(failure(job(&f, "task:a.mine")), None);
    assert_eq!(
        failure(job(&f, "task:b.t")),
        Some((
            FailureBehavior::Retry {
                count: 2,
                exponential: true
            },
            "default_args".into()
        ))
    );
    assert_eq!(owner(job(&f, "task:c.t")), None);
    let dag_owners: Vec<Option<String>> = f
        .dags
        .iter()
        .map(|d| d.owner.as_ref().map(|o| o.value.clone()))
        .collect();
    assert_eq!(
        dag_owners,
        [Some("data-eng".into()), Some("data-eng".into()), None]
    );
}

#[test]
fn callbacks_and_emails_fail_fast_without_retries() {
    let f = parse(
        r#"
from airflow import DAG
from airflow.operators.bash import BashOperator

def alert(context):
    pass

with DAG("d", default_args={"owner": "data-eng", "retries": 0, "on_failure_callback": alert}, schedule="@daily") as d:
    BashOperator(task_id="cb", bash_command="x")
    BashOperator(task_id="retrying", retries=3, bash_command="x")
    BashOperator(task_id="no_cb", on_failure_callback=None, bash_command="x")
    BashOperator(task_id="mail", on_failure_callback=None, email=["oncall@acme.io"], bash_command="x")
    BashOperator(task_id="mail_off", on_failure_callback=None, email="x@acme.io", email_on_failure=False, bash_command="x")
"#,
    );
    assert_eq!(
        failure(job(&f, "task:d.cb")),
        Some((FailureBehavior::FailFast, "default_args".into()))
    );
    assert_eq!(
        failure(job(&f, "task:d.retrying")),
        Some((
            FailureBehavior::Retry {
                count: 3,
                exponential: false
            },
            "task".into()
        ))
    );
    assert_eq!(failure(job(&f, "task:d.no_cb")), None);
    assert_eq!(
        failure(job(&f, "task:d.mail")),
        Some((FailureBehavior::FailFast, "task".into()))
    );
    assert_eq!(failure(job(&f, "task:d.mail_off")), None);
}

#[test]
fn group_and_decorator_arguments_override_dag_defaults() {
    let f = parse(
        r#"
from airflow.sdk import dag, task, TaskGroup

@dag(schedule="@daily", default_args={"owner": "data-eng", "retries": 1})
def layered():
    with TaskGroup("ml_group", default_args={"owner": "ml"}):
        @task(retries=4, retry_exponential_backoff=True)
        def score():
            pass
        score()
    @task
    def plain():
        pass
    plain()

layered()
"#,
    );
    assert_eq!(
        owner(job(&f, "task:layered.ml_group.score")).map(|o| (o.0, o.1)),
        Some(("ml".into(), "task_group default_args".into()))
    );
    assert_eq!(
        failure(job(&f, "task:layered.ml_group.score")),
        Some((
            FailureBehavior::Retry {
                count: 4,
                exponential: true
            },
            "task".into()
        ))
    );
    assert_eq!(
        owner(job(&f, "task:layered.plain")).map(|o| (o.0, o.1)),
        Some(("data-eng".into(), "default_args".into()))
    );
}

#[test]
fn default_args_changed_after_they_are_written() {
    let f = parse(
        r#"
from airflow import DAG
from airflow.operators.bash import BashOperator

default_args = {"owner": "airflow", "retries": 0}
default_args["owner"] = "data-eng"
default_args.update({"retries": 2}, retry_exponential_backoff=True)

with DAG("mutated", default_args=default_args, schedule="@daily") as dag:
    BashOperator(task_id="t", bash_command="x")
"#,
    );
    let t = job(&f, "task:mutated.t");
    assert_eq!(
        owner(t),
        Some(("data-eng".into(), "default_args".into(), 6))
    );
    assert_eq!(
        failure(t),
        Some((
            FailureBehavior::Retry {
                count: 2,
                exponential: true
            },
            "default_args".into()
        ))
    );
}
