//! Broken, hostile and odd input: syntax errors, deep nesting, long chains,
//! inline allows.

use super::*;

#[test]
fn a_syntax_error_is_one_parse_error_and_readable_dags_are_kept() {
    let f = parse(
        r#"
from airflow import DAG
from airflow.operators.bash import BashOperator

with DAG("ok_dag", schedule="@daily") as dag:
    a = BashOperator(task_id="a", bash_command="x")
    b = BashOperator(task_id="b", bash_command="x")
    a >> b

def broken(:
    return 1
"#,
    );
    assert_eq!(rules(&f), ["parse-error"]);
    assert_eq!(f.diagnostics[0].span.as_ref().map(|s| s.line), Some(10));
    assert_eq!(job_ids(&f), ["task:ok_dag.a", "task:ok_dag.b"]);
    assert!(f.jobs.iter().all(|j| j.partial));
    assert_eq!(after(&f, "ok_dag"), ["a -> b"]);
}

#[test]
fn deep_nesting_and_long_chains_neither_overflow_nor_lose_edges() {
    let mut text = String::from(
        "from airflow import DAG\nfrom airflow.operators.empty import EmptyOperator\nwith DAG(\"deep\", schedule=None) as dag:\n",
    );
    for i in 0..300 {
        text.push_str(&format!("    t{i} = EmptyOperator(task_id=\"t{i}\")\n"));
    }
    let chain: Vec<String> = (0..300).map(|i| format!("t{i}")).collect();
    text.push_str(&format!("    {}\n", chain.join(" >> ")));
    text.push_str(&format!(
        "    x = {}1{}\n",
        "(".repeat(5000),
        ")".repeat(5000)
    ));
    text.push_str(&format!(
        "    y = {}\n",
        "[".repeat(3000) + &"]".repeat(3000)
    ));
    let run = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || parse(&text))
        .unwrap()
        .join();
    let f = run.expect("no stack overflow");
    assert_eq!(f.jobs.len(), 300);
    assert_eq!(f.edges.len(), 299);
    assert_eq!(rules(&f), ["unresolved-dynamic"]);
    assert!(f.diagnostics[0].message.contains("nested deeper than"));
}

#[test]
fn inline_allows_apply_to_their_line_or_the_next() {
    let f = parse(
        r#"
from airflow import DAG
from airflow.operators.bash import BashOperator

with DAG("allowed", schedule=None) as dag:  # pipelint: allow[missing-cadence] triggered by ops
    # pipelint: allow[missing-owner] legacy task, owner tracked in JIRA-12
    t = BashOperator(task_id="t", bash_command="x")
"#,
    );
    let allows: Vec<(String, String, u32, u32)> = f
        .allows
        .iter()
        .map(|a| {
            (
                a.rule.clone(),
                a.reason.clone(),
                a.span.line,
                a.applies_to_line,
            )
        })
        .collect();
    assert_eq!(
        allows,
        [
            ("missing-cadence".into(), "triggered by ops".into(), 5, 5),
            (
                "missing-owner".into(),
                "legacy task, owner tracked in JIRA-12".into(),
                6,
                7
            )
        ]
    );
}

#[test]
fn huge_literal_loops_are_bounded() {
    let f = parse(
        r#"
from airflow import DAG
from airflow.operators.empty import EmptyOperator

with DAG("big", schedule=None) as dag:
    for i in range(100000):
        EmptyOperator(task_id=f"t_{i}")
    for i in range(1500):
        for j in range(1500):
            EmptyOperator(task_id=f"u_{i}_{j}")
"#,
    );
    assert!(f.jobs.len() < 250_000);
    assert_eq!(rules(&f), ["unresolved-dynamic"]);
}

#[test]
fn every_truncation_of_a_dag_file_parses_without_panicking() {
    let text = include_str!("../../../../fixtures/acme/dags/sessions_daily.py");
    let mut cut_points: Vec<usize> = (0..text.len()).step_by(11).collect();
    cut_points.push(text.len());
    let mut errors = 0;
    for end in cut_points {
        if !text.is_char_boundary(end) {
            continue;
        }
        let f = parse(&text[..end]);
        errors += usize::from(rules(&f).contains(&"parse-error"));
        for j in &f.jobs {
            assert!(j.id.starts_with("task:sessions_daily."), "{}", j.id);
        }
    }
    assert!(
        errors > 50,
        "truncated files should mostly be syntax errors: {errors}"
    );
}

#[test]
fn doubling_strings_and_lists_in_loops_stays_bounded() {
    let f = parse(
        r#"
from airflow import DAG
from airflow.operators.empty import EmptyOperator

s = "x"
l = [1]
for i in range(1000):
    s = s + s
    s = f"{s}{s}"
    l = l + l
    l = [*l, *l]
    l += l

with DAG("bounded", schedule=None) as dag:
    EmptyOperator(task_id="after_the_bomb")
"#,
    );
    assert_eq!(job_ids(&f), ["task:bounded.after_the_bomb"]);
}

#[test]
fn nesting_values_in_loops_stays_bounded() {
    let f = parse(
        r#"
from airflow import DAG
from airflow.operators.empty import EmptyOperator

l = [1]
d = {"k": 1}
for i in range(100):
    l = [l, l]
    d = {"a": d, "b": d}
    m = [l for j in range(50)]

with DAG("nested", schedule=None) as dag:
    EmptyOperator(task_id="still_read")
"#,
    );
    assert_eq!(job_ids(&f), ["task:nested.still_read"]);
}

#[test]
fn many_group_edges_expand_in_linear_time() {
    let f = parse(
        r#"
from airflow import DAG
from airflow.operators.empty import EmptyOperator
from airflow.utils.task_group import TaskGroup

with DAG("wide", schedule=None) as dag:
    with TaskGroup("g") as g:
        for i in range(300):
            EmptyOperator(task_id=f"member_{i}")
    for i in range(300):
        g >> EmptyOperator(task_id=f"after_{i}")
"#,
    );
    assert_eq!(f.jobs.len(), 600);
    assert_eq!(f.edges.len(), 300 * 300);
}

#[test]
fn an_unclosed_bracket_is_reported_where_the_broken_statement_starts() {
    let f = parse(
        "from airflow import DAG\nfrom airflow.operators.empty import EmptyOperator\n\nTABLES = [\n    \"orders\",\n    \"payments\",\n\nwith DAG(\"x\", schedule=None) as dag:\n    EmptyOperator(task_id=\"t\")\n",
    );
    assert_eq!(rules(&f), ["parse-error"]);
    let line = f.diagnostics[0].span.as_ref().map(|s| s.line);
    assert_eq!(line, Some(4));
    assert_eq!(
        f.diagnostics[0].message,
        "Python syntax error near `TABLES`"
    );
}
