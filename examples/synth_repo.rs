//! Writes a synthetic pipeline repo of a chosen size, for benchmarks:
//! `cargo run --release --example synth_repo -- DIR --sql 2000 [--dbt 10000] [--dags 1000]`.
//!
//! The shape is the acme shape repeated: sources land in raw, SQL scripts and
//! dbt models build curated tables from raw and serving tables from curated,
//! Airflow DAGs extract sources and run scripts. Every file is realistic in size
//! (CTEs, joins, 40–80 lines), and the whole repo is clean apart from the
//! findings a real repo of that size would have.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir = args
        .get(1)
        .ok_or("usage: synth_repo DIR [--sql N] [--dbt N] [--dags N]")?;
    let count = |flag: &str| -> usize {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let (sql, dbt, dags) = (count("--sql"), count("--dbt"), count("--dags"));
    let root = Path::new(dir);
    fs::create_dir_all(root)?;
    let sources = (sql / 10).max(dags).max(dbt / 20).max(1);
    manifest(root, sources)?;
    for i in 0..sql {
        let (path, text) = sql_script(i, sources);
        let p = root.join(path);
        fs::create_dir_all(p.parent().ok_or("no parent")?)?;
        fs::write(p, text)?;
    }
    if dbt > 0 {
        dbt_project(root, dbt, sources)?;
    }
    for i in 0..dags {
        let p = root.join(format!("dags/domain_{:02}/extract_{i:04}.py", i % 40));
        fs::create_dir_all(p.parent().ok_or("no parent")?)?;
        fs::write(p, dag_file(i, sources))?;
    }
    println!("wrote {sql} SQL scripts, {dbt} dbt models, {dags} DAG files and {sources} sources to {dir}");
    Ok(())
}

fn manifest(root: &Path, sources: usize) -> std::io::Result<()> {
    let mut m = String::from(
        "[project]\nname = \"synthetic\"\ndialect = \"snowflake\"\ndefault_schema = \"analytics\"\n\n\
         [teams]\ndata-eng = {}\nanalytics-eng = {}\n\n\
         [layers]\nraw = [\"raw.*\"]\ncurated = [\"analytics.*\", \"curated.*\"]\nserving = [\"mart.*\"]\n\n\
         [paths.\"**\"]\nowner = \"analytics-eng\"\ncadence = \"daily 03:00\"\non_failure = \"retry(2)\"\n\n",
    );
    for s in 0..sources {
        let _ = write!(
            m,
            "[[source]]\nname = \"src_{s}\"\nsystem = \"postgres://app/public.table_{s}\"\nowner = \"data-eng\"\ncadence = \"hourly\"\nlands_in = \"raw.table_{s}\"\n\n"
        );
    }
    fs::write(root.join("pipeline.toml"), m)
}

/// Curated scripts read two raw tables; serving scripts read curated tables.
fn sql_script(i: usize, sources: usize) -> (String, String) {
    let serving = i % 3 == 2;
    let (a, b) = (i % sources, (i * 7 + 3) % sources);
    let mut t = String::new();
    if serving {
        let (c1, c2) = (i - 2, if i >= 5 { i - 5 } else { i - 2 });
        let _ = write!(
            t,
            "-- serving table {i}\nCREATE OR REPLACE TABLE mart.report_{i} AS\nWITH base AS (\n    SELECT c.customer_id, c.amount, c.event_date\n    FROM curated.table_{c1} c\n    WHERE c.event_date >= DATEADD(day, -90, CURRENT_DATE)\n),\nother AS (\n    SELECT customer_id, COUNT(*) AS n\n    FROM curated.table_{c2}\n    GROUP BY customer_id\n)\nSELECT\n    b.customer_id,\n    DATE_TRUNC('week', b.event_date) AS week,\n    SUM(b.amount) AS amount,\n    MAX(o.n) AS other_count,\n    COUNT(DISTINCT b.event_date) AS active_days\nFROM base b\nLEFT JOIN other o USING (customer_id)\nGROUP BY 1, 2;\n"
        );
        (format!("sql/serving/report_{i:05}.sql"), t)
    } else {
        let _ = write!(
            t,
            "-- curated table {i}\nCREATE OR REPLACE TABLE curated.table_{i} AS\nWITH a AS (\n    SELECT id, customer_id, amount_cents / 100.0 AS amount, created_at::date AS event_date,\n           properties:channel::string AS channel\n    FROM raw.table_{a}\n    WHERE NOT is_deleted\n),\nb AS (\n    SELECT id, status, updated_at\n    FROM raw.table_{b}\n    QUALIFY ROW_NUMBER() OVER (PARTITION BY id ORDER BY updated_at DESC) = 1\n)\nSELECT a.id, a.customer_id, a.amount, a.event_date, a.channel, b.status,\n       CASE WHEN b.status = 'refunded' THEN -a.amount ELSE a.amount END AS net_amount\nFROM a\nLEFT JOIN b ON a.id = b.id\nWHERE a.event_date = :run_date;\n"
        );
        (format!("sql/curated/table_{i:05}.sql"), t)
    }
}

fn dbt_project(root: &Path, models: usize, sources: usize) -> std::io::Result<()> {
    let p = root.join("transform");
    fs::create_dir_all(p.join("models/staging"))?;
    fs::create_dir_all(p.join("models/marts"))?;
    fs::create_dir_all(p.join("macros"))?;
    fs::write(
        p.join("dbt_project.yml"),
        "name: synthetic\nversion: '1.0'\nprofile: synthetic\nmodel-paths: ['models']\nmacro-paths: ['macros']\nmodels:\n  synthetic:\n    +meta:\n      owner: analytics-eng\n",
    )?;
    fs::write(
        p.join("macros/cents_to_dollars.sql"),
        "{% macro cents_to_dollars(col) %}({{ col }} / 100.0){% endmacro %}\n",
    )?;
    let mut yml = String::from("version: 2\nsources:\n  - name: raw\n    schema: raw\n    freshness:\n      warn_after: {count: 2, period: hour}\n    loaded_at_field: _loaded_at\n    tables:\n");
    for s in 0..sources {
        let _ = writeln!(yml, "      - name: table_{s}");
    }
    fs::write(p.join("models/staging/_sources.yml"), yml)?;
    for i in 0..models {
        let staging = i % 4 != 3;
        let text = if staging {
            format!(
                "{{{{ config(materialized='view') }}}}\n\nwith source as (\n    select * from {{{{ source('raw', 'table_{}') }}}}\n),\nrenamed as (\n    select\n        id,\n        customer_id,\n        {{{{ cents_to_dollars('amount_cents') }}}} as amount,\n        created_at::date as event_date\n    from source\n    {{% if is_incremental() %}}\n    where created_at > (select max(event_date) from {{{{ this }}}})\n    {{% endif %}}\n)\nselect * from renamed\n",
                i % sources
            )
        } else {
            format!(
                "{{{{ config(materialized='table') }}}}\n\nselect\n    a.customer_id,\n    sum(a.amount) as amount,\n    count(b.id) as n\nfrom {{{{ ref('stg_model_{:05}') }}}} a\nleft join {{{{ ref('stg_model_{:05}') }}}} b using (customer_id)\ngroup by 1\n",
                i - 1,
                i - 2
            )
        };
        let dir = if staging { "staging" } else { "marts" };
        let name = if staging {
            format!("stg_model_{i:05}")
        } else {
            format!("fct_model_{i:05}")
        };
        fs::write(p.join(format!("models/{dir}/{name}.sql")), text)?;
    }
    Ok(())
}

fn dag_file(i: usize, sources: usize) -> String {
    let src = i % sources;
    format!(
        "from datetime import datetime, timedelta\n\nfrom airflow import DAG\nfrom airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator\nfrom airflow.operators.empty import EmptyOperator\n\ndefault_args = {{\n    \"owner\": \"data-eng\",\n    \"retries\": 2,\n    \"retry_delay\": timedelta(minutes=5),\n}}\n\nwith DAG(\n    dag_id=\"extract_{i:04}\",\n    schedule=\"@hourly\",\n    start_date=datetime(2026, 1, 1),\n    catchup=False,\n    default_args=default_args,\n) as dag:\n    start = EmptyOperator(task_id=\"start\")\n    load = SQLExecuteQueryOperator(\n        task_id=\"load\",\n        conn_id=\"snowflake\",\n        sql=\"INSERT INTO raw.landing_{i} SELECT * FROM raw.table_{src}\",\n    )\n    done = EmptyOperator(task_id=\"done\")\n    start >> load >> done\n"
    )
}
