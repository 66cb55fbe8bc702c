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
