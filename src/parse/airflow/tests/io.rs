//! What tasks read and write: SQL operators, SQL files, transfers, lineage.

use super::*;

#[test]
fn inline_sql_is_analyzed_with_positions_in_the_python_file() {
    let f = parse(
        r#"
from airflow import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

with DAG("sql_inline", schedule="@daily") as dag:
    build = SQLExecuteQueryOperator(
        task_id="build",
        conn_id="snowflake",
        sql="""
            INSERT INTO analytics.fct_orders
            SELECT o.*, p.amount FROM raw.orders o
            JOIN raw.payments p ON p.order_id = o.id
            WHERE o.updated_at >= '{{ ds }}' AND o.region = {{ params.region }}
        """,
    )
"#,
    );
    let j = job(&f, "task:sql_inline.build");
    assert_eq!(writes(j), ["analytics.fct_orders"]);
    assert_eq!(reads(j), ["raw.orders", "raw.payments"]);
    assert_eq!((j.writes[0].span.line, j.writes[0].span.column), (10, 25));
    assert_eq!((j.reads[1].span.line, j.reads[1].span.column), (12, 18));
    assert!(!j.partial);
    assert!(!j.is_check);
}

#[test]
fn sql_files_resolve_against_template_searchpath_and_the_dag_folder() {
    let text = r#"
import os
from airflow import DAG
from airflow.providers.snowflake.operators.snowflake import SnowflakeOperator
from airflow.providers.postgres.operators.postgres import PostgresOperator

SQL_DIR = os.path.join(os.path.dirname(__file__), "..", "sql")

with DAG("sql_files", schedule="@daily", template_searchpath=[SQL_DIR, "/opt/airflow/include"]) as dag:
    a = SnowflakeOperator(task_id="a", sql="curated/fct_sessions.sql")
    b = PostgresOperator(task_id="b", sql="local/cleanup.sql")
    c = SnowflakeOperator(task_id="c", sql=["curated/fct_sessions.sql", "missing.sql"])
"#;
    let f = parse_at(
        "sessions.py",
        text,
        &["sql/curated/fct_sessions.sql", "dags/local/cleanup.sql"],
    );
    let runs =
        |id: &str| -> Vec<String> { job(&f, id).runs.iter().map(|r| r.value.clone()).collect() };
    assert_eq!(runs("task:sql_files.a"), ["sql/curated/fct_sessions.sql"]);
    assert_eq!(runs("task:sql_files.b"), ["dags/local/cleanup.sql"]);
    assert_eq!(runs("task:sql_files.c"), ["sql/curated/fct_sessions.sql"]);
    assert_eq!(job(&f, "task:sql_files.a").runs[0].span.line, 10);
    assert_eq!(rules(&f), ["unresolved-dynamic"]);
    assert!(f.diagnostics[0]
        .message
        .contains("`missing.sql` of task `c`"));
}

#[test]
fn bigquery_job_configuration_and_check_operators() {
    let f = parse_at(
        "bq.py",
        r#"
from airflow import DAG
from airflow.providers.google.cloud.operators.bigquery import BigQueryInsertJobOperator
from airflow.providers.common.sql.operators.sql import SQLColumnCheckOperator, SQLCheckOperator

with DAG("bq", schedule="@daily") as dag:
    insert = BigQueryInsertJobOperator(
        task_id="insert",
        configuration={"query": {"query": "INSERT INTO mart.revenue SELECT * FROM analytics.fct_orders", "useLegacySql": False}},
    )
    included = BigQueryInsertJobOperator(
        task_id="included",
        configuration={"query": {"query": "{% include 'queries/dau.sql' %}", "useLegacySql": False}},
    )
    cols = SQLColumnCheckOperator(task_id="cols", table="mart.revenue", column_mapping={"id": {"null_check": {"equal_to": 0}}})
    rows = SQLCheckOperator(task_id="rows", sql="SELECT COUNT(*) > 0 FROM mart.revenue")
"#,
        &["dags/queries/dau.sql"],
    );
    let insert = job(&f, "task:bq.insert");
    assert_eq!(writes(insert), ["mart.revenue"]);
    assert_eq!(reads(insert), ["analytics.fct_orders"]);
    assert_eq!(
        job(&f, "task:bq.included").runs[0].value,
        "dags/queries/dau.sql"
    );
    let cols = job(&f, "task:bq.cols");
    assert!(cols.is_check);
    assert_eq!(reads(cols), ["mart.revenue"]);
    let rows = job(&f, "task:bq.rows");
    assert!(rows.is_check);
    assert_eq!(reads(rows), ["mart.revenue"]);
    assert!(!insert.is_check);
}

#[test]
fn transfer_operators_are_extracts_of_a_source_object() {
    let f = parse(
        r#"
from airflow import DAG
from airflow.providers.google.cloud.transfers.postgres_to_gcs import PostgresToGCSOperator
from airflow.providers.snowflake.transfers.s3_to_snowflake import S3ToSnowflakeOperator
from airflow.providers.amazon.aws.transfers.salesforce_to_s3 import SalesforceToS3Operator
from airflow.providers.amazon.aws.transfers.mysql_to_s3 import MySqlToS3Operator

with DAG("transfers", schedule="@daily") as dag:
    pg = PostgresToGCSOperator(
        task_id="pg",
        postgres_conn_id="app",
        sql="SELECT * FROM public.orders WHERE updated_at > '{{ ds }}'",
        bucket="acme-lake",
        filename="raw/orders/{{ ds }}.json",
    )
    s3sf = S3ToSnowflakeOperator(
        task_id="s3sf",
        s3_keys=["raw/accounts/{{ ds }}.csv"],
        stage="raw_stage",
        table="accounts",
        schema="raw",
        snowflake_conn_id="snowflake",
    )
    sf = SalesforceToS3Operator(
        task_id="sf",
        salesforce_query="SELECT Id, Name FROM Account",
        s3_bucket_name="acme-lake",
        s3_key="raw/salesforce/account.csv",
    )
    my = MySqlToS3Operator(task_id="my", query="SELECT * FROM shop.customers", s3_bucket="acme-lake", s3_key="raw/customers/", mysql_conn_id="shop")
"#,
    );
    let pg = job(&f, "task:transfers.pg");
    assert_eq!(reads(pg), ["postgres://app/public.orders"]);
    assert_eq!(writes(pg), ["gs://acme-lake/raw/orders/"]);
    assert_eq!(pg.reads[0].span.line, 12);
    let s3sf = job(&f, "task:transfers.s3sf");
    assert_eq!(writes(s3sf), ["raw.accounts"]);
    let sf = job(&f, "task:transfers.sf");
    assert_eq!(reads(sf), ["salesforce://default/Account"]);
    assert_eq!(writes(sf), ["s3://acme-lake/raw/salesforce/account.csv"]);
    let my = job(&f, "task:transfers.my");
    assert_eq!(reads(my), ["mysql://shop/shop.customers"]);
    assert_eq!(writes(my), ["s3://acme-lake/raw/customers/"]);
    // S3ToSnowflake names no bucket: what it extracts is unknown, and said so.
    assert_eq!(rules(&f), ["unresolved-dynamic"]);
    assert!(f.diagnostics[0].message.contains("transfer task `s3sf`"));
}

#[test]
fn inlets_and_outlets_are_reads_and_writes() {
    let f = parse(
        r#"
from airflow.sdk import DAG, Asset, task

SESSIONS = Asset("analytics.fct_sessions")

with DAG("lineage", schedule="@daily") as dag:
    @task(inlets=[Asset("stripe://payments")], outlets=[Asset("raw.payments"), SESSIONS])
    def extract_stripe():
        pass
    extract_stripe()
"#,
    );
    let j = job(&f, "task:lineage.extract_stripe");
    assert_eq!(reads(j), ["stripe://payments"]);
    assert_eq!(
        writes(j),
        ["outlet:raw.payments", "outlet:analytics.fct_sessions"]
    );
    assert!(matches!(&j.publishes[0].value, DataRef::Table(p) if p.len() == 2));
    assert_eq!(j.publishes[1].span.line, 4);
}

#[test]
fn bigquery_operators_parse_their_sql_as_bigquery() {
    let f = parse(
        r#"
from airflow import DAG
from airflow.providers.google.cloud.operators.bigquery import BigQueryInsertJobOperator

PROJECT = "moz-fx-data-shared-prod"

with DAG("bq_dialect", schedule="@daily") as dag:
    export = BigQueryInsertJobOperator(
        task_id="export",
        configuration={"query": {"query": f"SELECT email FROM {PROJECT}.workday.worker", "useLegacySql": False}},
    )
"#,
    );
    assert_eq!(
        reads(job(&f, "task:bq_dialect.export")),
        ["moz-fx-data-shared-prod.workday.worker"]
    );
}

#[test]
fn literal_params_are_rendered_into_inline_sql() {
    let f = parse(
        r#"
from airflow import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

with DAG("params_sql", schedule="@daily") as dag:
    SQLExecuteQueryOperator(
        task_id="copy",
        sql="INSERT INTO {{ params.target }} SELECT * FROM {{ params.source }} WHERE d = '{{ ds }}'",
        params={"target": "analytics.orders_copy", "source": "raw.orders"},
    )
"#,
    );
    let j = job(&f, "task:params_sql.copy");
    assert_eq!(writes(j), ["analytics.orders_copy"]);
    assert_eq!(reads(j), ["raw.orders"]);
    assert_eq!(j.reads[0].span.line, 8);
}
