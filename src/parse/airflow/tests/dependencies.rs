//! Dependencies: `>>`, `<<`, lists, `chain`, `cross_downstream`,
//! `set_upstream`/`set_downstream`, groups as endpoints.

use super::*;

const HEADER: &str = r#"
from airflow import DAG
from airflow.models.baseoperator import chain, cross_downstream
from airflow.operators.empty import EmptyOperator
from airflow.utils.task_group import TaskGroup

with DAG("deps", schedule="@daily") as dag:
    a, b, c, d, e, f = [EmptyOperator(task_id=x) for x in ["a", "b", "c", "d", "e", "f"]]
"#;

fn deps(body: &str) -> Vec<String> {
    let text = format!("{HEADER}{body}");
    let facts = parse(&text);
    assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
    after(&facts, "deps")
}

#[test]
fn shift_operators_chains_and_lists() {
    assert_eq!(deps("    a >> b >> c\n"), ["a -> b", "b -> c"]);
    assert_eq!(deps("    c << b << a\n"), ["a -> b", "b -> c"]);
    assert_eq!(
        deps("    a >> [b, c] >> d\n"),
        ["a -> b", "a -> c", "b -> d", "c -> d"]
    );
    assert_eq!(deps("    [a, b] << c\n"), ["c -> a", "c -> b"]);
    assert_eq!(deps("    [a, b] >> [c, d]\n"), Vec::<String>::new());
}

#[test]
fn chain_with_lists_is_pairwise_and_cross_downstream_is_all_pairs() {
    assert_eq!(
        deps("    chain(a, [b, c], [d, e], f)\n"),
        ["a -> b", "a -> c", "b -> d", "c -> e", "d -> f", "e -> f"]
    );
    assert_eq!(
        deps("    cross_downstream([a, b], [c, d])\n"),
        ["a -> c", "a -> d", "b -> c", "b -> d"]
    );
    assert_eq!(deps("    chain(*[a, b, c])\n"), ["a -> b", "b -> c"]);
}

#[test]
fn set_upstream_and_set_downstream() {
    assert_eq!(
        deps("    a.set_downstream(b)\n    c.set_upstream([a, b])\n"),
        ["a -> b", "a -> c", "b -> c"]
    );
}

#[test]
fn groups_stand_for_their_roots_and_leaves() {
    let body = r#"
    with TaskGroup("g") as g:
        g1 = EmptyOperator(task_id="one")
        g2 = EmptyOperator(task_id="two")
        g3 = EmptyOperator(task_id="three")
        g1 >> [g2, g3]
    a >> g >> b
"#;
    assert_eq!(
        deps(body),
        [
            "a -> g.one",
            "g.one -> g.three",
            "g.one -> g.two",
            "g.three -> b",
            "g.two -> b"
        ]
    );
}

#[test]
fn edges_point_at_their_operator() {
    let text = format!("{HEADER}    a >> b\n    b >> c\n");
    let facts = parse(&text);
    let lines: Vec<(String, u32, u32)> = facts
        .edges
        .iter()
        .map(|e| (e.to.clone(), e.span.line, e.span.column))
        .collect();
    assert_eq!(
        lines,
        [
            ("task:deps.b".to_string(), 9, 7),
            ("task:deps.c".to_string(), 10, 7)
        ]
    );
}

#[test]
fn labels_are_transparent_and_setups_connect_to_teardowns() {
    let f = parse(
        r#"
from airflow.sdk import DAG, Label, task
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("labels", schedule=None) as dag:
    check = EmptyOperator(task_id="check")
    save = EmptyOperator(task_id="save")
    report = EmptyOperator(task_id="report")
    check >> Label("no errors") >> save
    check >> Label("errors found") >> report
    create = EmptyOperator(task_id="create_cluster").as_setup()
    work = EmptyOperator(task_id="work")
    delete = EmptyOperator(task_id="delete_cluster").as_teardown(setups=create)
    create >> work >> delete
"#,
    );
    assert_eq!(
        after(&f, "labels"),
        [
            "check -> report",
            "check -> save",
            "create_cluster -> delete_cluster",
            "create_cluster -> work",
            "work -> delete_cluster"
        ]
    );
}

#[test]
fn task_outputs_passed_by_subscript_or_override_are_upstreams() {
    let f = parse(
        r#"
from pathlib import Path
from airflow.sdk import dag, task
from airflow.providers.standard.operators.bash import BashOperator

@dag(dag_id=Path(__file__).stem, schedule=None)
def outputs():
    @task(multiple_outputs=True)
    def prepare():
        return {"command": "echo hi", "n": "1"}

    @task.bash
    def show():
        return "echo $N"

    info = prepare()
    BashOperator(task_id="run", bash_command=info["command"])
    show.override(env={"N": info["n"]})()

outputs()
"#,
    );
    assert_eq!(f.dags[0].id, "example");
    assert_eq!(after(&f, "example"), ["prepare -> run", "prepare -> show"]);
}

#[test]
fn setup_teardown_context_wraps_the_work_tasks() {
    let f = parse(
        r#"
from airflow.sdk import DAG, setup, task, task_group, teardown

with DAG("st_ctx", schedule=None) as dag:
    @setup
    def create_cluster():
        return "id"

    @teardown
    def delete_cluster(cluster_id):
        pass

    @task
    def work():
        pass

    @task
    def report():
        pass

    with delete_cluster(create_cluster()):
        work() >> report()
"#,
    );
    assert_eq!(
        after(&f, "st_ctx"),
        [
            "create_cluster -> delete_cluster",
            "create_cluster -> work",
            "report -> delete_cluster",
            "work -> report"
        ]
    );
}
