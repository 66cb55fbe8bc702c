//! What operators read and write, and the cross-DAG edges they make.
//!
//! - **Lineage**: `inlets=` holding Datasets/Assets are reads; `outlets=` are
//!   announced updates (`JobFact::publishes`: the task is the writer only when
//!   nothing else writes the data, and Dataset-scheduled DAGs run after it).
//!   A URI with `://` → `DataRef::Uri`, a name like `analytics.fct_sessions` →
//!   `DataRef::Table`.
//! - **SQL operators** (any operator with `sql=`: `SQLExecuteQueryOperator`,
//!   `SnowflakeOperator`, `PostgresOperator`, …; `BigQueryInsertJobOperator`'s
//!   `configuration.query.query`): inline SQL is analyzed for reads/writes; a
//!   `.sql` path (or `{% include 'x.sql' %}`) is resolved and recorded in
//!   `JobFact::runs`. Check operators (`…CheckOperator`: `SQLCheckOperator`,
//!   `SQLColumnCheckOperator`, `SQLTableCheckOperator`, `SQLValueCheckOperator`,
//!   …) are `is_check`, and their `table=` is a read.
//! - **Transfer operators** (`<X>To<Y>Operator`) are extracts. The source
//!   object is read as `DataRef::Uri("<system>://<conn_id>/<object>")`: the
//!   system is X lowercased (`postgres`, `mysql`, `salesforce`, …;
//!   `GoogleCloudStorage` → `gcs`), the conn id is the `<x>_conn_id` /
//!   `source_conn_id` argument or `default`, the object is each table the
//!   source query reads, or `object_name` / `salesforce_object` /
//!   `source_project_dataset_table`. Object stores are named by bucket
//!   instead: `s3://<bucket>/<key>`, `gs://<bucket>/<object>`. The landing
//!   dataset is written: table arguments (`table`, `destination_table`,
//!   `schema`, …) → `DataRef::Table`; bucket/key → `s3://` or `gs://`. A key
//!   holding Jinja (`raw/orders/{{ ds }}.csv`) stands for its folder
//!   (`raw/orders/`).
//! - **Across DAGs**: `ExternalTaskSensor` → `triggers` edge from
//!   `task:<external_dag>.<external_task>` (or `dag:<external_dag>` without a
//!   task id) to the sensor; `ExternalTaskMarker` marks a task of another DAG
//!   that depends on this one → edge from the marker to that task;
//!   `TriggerDagRunOperator` → edge from the task to `dag:<trigger_dag_id>`.

use crate::diagnostic::Diagnostic;
use crate::facts::{DataRef, EdgeFact, EdgeKind, Located};

use super::interpreter::{collect_assets, Reader};
use super::sql_text::{included_path, is_sql_path, operator_dialect};
use super::values::{Args, Entry, Range, Text, Value};

/// Splits `PostgresToGCSOperator` into `("Postgres", "GCS")`.
pub(super) fn transfer_parts(class: &str) -> Option<(&str, &str)> {
    let name = class.strip_suffix("Operator")?;
    let bytes = name.as_bytes();
    (1..name.len().saturating_sub(2)).find_map(|i| {
        (bytes[i] == b'T' && bytes[i + 1] == b'o' && bytes[i + 2].is_ascii_uppercase())
            .then(|| (&name[..i], &name[i + 2..]))
    })
}

/// The system name of one side of a transfer operator.
fn system_name(side: &str) -> String {
    match side.to_ascii_lowercase().as_str() {
        "googlecloudstorage" | "gcs" => "gcs".into(),
        "googlesheets" | "sheets" => "gsheets".into(),
        other => other.to_string(),
    }
}

/// Keeps the part of an object key before any Jinja, cut to its folder.
fn static_key(key: &str) -> String {
    match key.find("{{") {
        Some(i) => {
            let head = &key[..i];
            match head.rfind('/') {
                Some(j) => head[..=j].to_string(),
                None => String::new(),
            }
        }
        None => key.to_string(),
    }
}

/// The task's `params=` entries whose values are literal strings or numbers.
fn literal_params(args: &Args<'_>) -> Vec<(String, String)> {
    match args.kw("params").map(|e| &e.value) {
        Some(Value::Dict(entries)) => entries
            .iter()
            .filter(|e| matches!(e.value, Value::Str(_) | Value::Int(_)))
            .filter_map(|e| e.value.display().map(|v| (e.key.clone(), v)))
            .collect(),
        _ => Vec::new(),
    }
}

fn kw_str<'a>(args: &'a Args<'_>, names: &[&str]) -> Option<(&'a str, Range)> {
    names
        .iter()
        .find_map(|n| args.kw(n).and_then(|e| e.value.as_str().map(|s| (s, e.at))))
}

const BUCKET_KWS: [&str; 7] = [
    "bucket",
    "bucket_name",
    "s3_bucket",
    "s3_bucket_name",
    "dest_bucket",
    "destination_bucket",
    "gcs_bucket",
];
const KEY_KWS: [&str; 9] = [
    "s3_key",
    "key",
    "dest_key",
    "filename",
    "object_name",
    "destination_object",
    "prefix",
    "dst",
    "gcs_object",
];

impl<'t> Reader<'t> {
    /// Adds an operator's reads, writes, SQL scripts, check flag and cross-DAG edges.
    pub(super) fn operator_io(&mut self, task: usize, class: &str, args: &Args<'t>) {
        self.lineage(task, args);
        if class.contains("ExternalTaskSensor") || class == "ExternalTaskMarker" {
            self.external_task(task, class, args);
        }
        if class == "TriggerDagRunOperator" {
            match args.kw("trigger_dag_id").map(|e| (&e.value, e.at)) {
                Some((Value::Str(t), _)) => {
                    let from = self.model.tasks[task].job.id.clone();
                    let span = self.model.tasks[task].job.span.clone();
                    self.model.triggers.push(EdgeFact {
                        from,
                        to: format!("dag:{}", t.s),
                        kind: EdgeKind::Triggers,
                        span,
                    });
                }
                Some((_, at)) => self.model.unresolved(
                    format!(
                        "the DAG triggered by task `{}`",
                        self.model.tasks[task].job.name
                    ),
                    self.src.span_of(at.0, at.1),
                ),
                None => {}
            }
        }
        if let Some((from, to)) = transfer_parts(class) {
            self.transfer(task, from, to, args);
            return;
        }
        let is_check = class.contains("Check") && class.ends_with("Operator");
        if is_check {
            self.model.tasks[task].job.is_check = true;
            if let Some((table, at)) = kw_str(args, &["table"]) {
                let span = self.src.span_of(at.0, at.1);
                self.model.tasks[task]
                    .job
                    .reads
                    .push(Located::new(DataRef::from_name(table), span));
            }
        }
        if let Some(sql) = args.kw("sql") {
            let sql = sql.clone();
            let params = literal_params(args);
            self.sql_argument(task, &sql, class, &params);
        } else if let Some(query) = args
            .kw("configuration")
            .and_then(|c| c.value.get("query"))
            .and_then(|q| q.value.get("query"))
        {
            let query = query.clone();
            let params = literal_params(args);
            self.sql_argument(task, &query, class, &params);
        }
    }

    /// `inlets=` / `outlets=`.
    fn lineage(&mut self, task: usize, args: &Args<'t>) {
        for (key, write) in [("inlets", false), ("outlets", true)] {
            let Some(e) = args.kw(key) else { continue };
            let mut assets = Vec::new();
            collect_assets(&e.value, &mut assets);
            let refs = self.asset_refs(&assets);
            let job = &mut self.model.tasks[task].job;
            if write {
                job.publishes.extend(refs);
            } else {
                job.reads.extend(refs);
            }
        }
    }

    /// A `sql=` argument: a string, a list of strings, a `.sql` path.
    fn sql_argument(
        &mut self,
        task: usize,
        entry: &Entry<'t>,
        class: &str,
        params: &[(String, String)],
    ) {
        let dialect = operator_dialect(class).unwrap_or(self.context.dialect);
        let texts: Vec<Text> = match &entry.value {
            Value::Str(t) => vec![t.clone()],
            Value::List(items) if items.iter().all(|i| i.as_str().is_some()) => items
                .iter()
                .filter_map(|i| match i {
                    Value::Str(t) => Some(t.clone()),
                    _ => None,
                })
                .collect(),
            _ => {
                let name = self.model.tasks[task].job.name.clone();
                self.model.unresolved(
                    format!("the SQL of task `{name}`"),
                    self.src.span_of(entry.at.0, entry.at.1),
                );
                return;
            }
        };
        let span = self.src.span_of(entry.at.0, entry.at.1);
        for text in texts {
            let path = if is_sql_path(&text.s) {
                Some(text.s.trim().to_string())
            } else {
                included_path(&text.s).map(str::to_string)
            };
            if let Some(path) = path {
                let dag = self.model.tasks[task].dag;
                let search = self.model.dags[dag].search_paths.clone();
                match self.resolve_sql_path(&path, &search) {
                    Some(resolved) => self.model.tasks[task]
                        .job
                        .runs
                        .push(Located::new(resolved, span.clone())),
                    None => {
                        let name = self.model.tasks[task].job.name.clone();
                        self.model.unresolved(
                            format!("the SQL file `{path}` of task `{name}` (not found under template_searchpath or the DAG folder)"),
                            span.clone(),
                        );
                    }
                }
                continue;
            }
            let refs = self.sql_refs(&text, entry.at, dialect, params);
            if let Some((message, span)) = &refs.over_limit {
                self.model.diagnostics.push(
                    Diagnostic::new("parse-error", format!("SQL was not analyzed: {message}"))
                        .node(self.model.tasks[task].job.id.clone())
                        .at(Some(span.clone())),
                );
            }
            let job = &mut self.model.tasks[task].job;
            job.partial |= refs.errors;
            job.reads.extend(refs.reads);
            job.writes.extend(refs.writes);
        }
    }

    /// `<X>To<Y>Operator`: a read of the source object, a write of the landing.
    fn transfer(&mut self, task: usize, from: &str, to: &str, args: &Args<'t>) {
        let source = system_name(from);
        let dest = system_name(to);
        let conn = kw_str(
            args,
            &[
                &format!("{source}_conn_id"),
                "source_conn_id",
                &format!("{}_conn_id", from.to_ascii_lowercase()),
                "sql_conn_id",
                if source == "s3" {
                    "source_aws_conn_id"
                } else {
                    "-"
                },
                if source == "s3" { "aws_conn_id" } else { "-" },
                if matches!(source.as_str(), "gcs" | "bigquery") {
                    "gcp_conn_id"
                } else {
                    "-"
                },
            ],
        )
        .map_or("default", |(c, _)| c)
        .to_string();
        let mut reads: Vec<Located<DataRef>> = Vec::new();
        if matches!(source.as_str(), "s3" | "gcs") {
            let scheme = if source == "s3" { "s3" } else { "gs" };
            let bucket = kw_str(
                args,
                &["source_bucket", "s3_bucket", "bucket", "bucket_name"],
            );
            let key = kw_str(
                args,
                &["source_object", "s3_key", "prefix", "source_prefix", "key"],
            );
            if let Some((b, at)) = bucket {
                let key = key.map(|(k, _)| static_key(k)).unwrap_or_default();
                reads.push(Located::new(
                    DataRef::Uri(format!("{scheme}://{b}/{}", key.trim_start_matches('/'))),
                    self.src.span_of(at.0, at.1),
                ));
            }
        } else {
            let query = ["sql", "query", "salesforce_query", "soql", "source_query"]
                .iter()
                .find_map(|k| args.kw(k))
                .and_then(|e| match &e.value {
                    Value::Str(t) => Some((t.clone(), e.at)),
                    _ => None,
                });
            if let Some((text, at)) = query {
                let dialect = operator_dialect(from).unwrap_or(self.context.dialect);
                let refs = self.sql_refs(&text, at, dialect, &literal_params(args));
                for r in refs.reads {
                    if let DataRef::Table(parts) = &r.value {
                        let object: Vec<&str> = parts.iter().map(|p| p.value.as_str()).collect();
                        reads.push(Located::new(
                            DataRef::Uri(format!("{source}://{conn}/{}", object.join("."))),
                            r.span,
                        ));
                    }
                }
            }
            let mut object_kws = vec![
                "salesforce_object",
                "source_project_dataset_table",
                "mongo_collection",
                "dynamodb_table_name",
                "source_table",
            ];
            if !matches!(dest.as_str(), "s3" | "gcs") {
                object_kws.push("object_name");
            }
            if let Some((object, at)) = kw_str(args, &object_kws) {
                reads.push(Located::new(
                    DataRef::Uri(format!("{source}://{conn}/{object}")),
                    self.src.span_of(at.0, at.1),
                ));
            }
        }
        let mut writes: Vec<Located<DataRef>> = Vec::new();
        if matches!(dest.as_str(), "s3" | "gcs") {
            let scheme = if dest == "s3" { "s3" } else { "gs" };
            if let Some((b, at)) = kw_str(args, &BUCKET_KWS) {
                let key = kw_str(args, &KEY_KWS)
                    .map(|(k, _)| static_key(k))
                    .unwrap_or_default();
                writes.push(Located::new(
                    DataRef::Uri(format!("{scheme}://{b}/{}", key.trim_start_matches('/'))),
                    self.src.span_of(at.0, at.1),
                ));
            }
        } else if let Some((table, at)) = kw_str(
            args,
            &[
                "destination_project_dataset_table",
                "destination_table",
                "target_table",
                "table",
                "table_name",
            ],
        ) {
            let schema = kw_str(args, &["destination_schema", "schema", "target_schema"]);
            let name = match schema {
                Some((s, _)) if !table.contains('.') => format!("{s}.{table}"),
                _ => table.to_string(),
            };
            writes.push(Located::new(
                DataRef::from_name(&name),
                self.src.span_of(at.0, at.1),
            ));
        }
        if reads.is_empty() || writes.is_empty() {
            let name = self.model.tasks[task].job.name.clone();
            let span = self.model.tasks[task].job.span.clone();
            self.model.unresolved(
                format!("what transfer task `{name}` extracts or where it lands"),
                span,
            );
        }
        let job = &mut self.model.tasks[task].job;
        job.reads.extend(reads);
        job.writes.extend(writes);
    }

    /// `ExternalTaskSensor` / `ExternalTaskMarker`.
    fn external_task(&mut self, task: usize, class: &str, args: &Args<'t>) {
        let me = self.model.tasks[task].job.id.clone();
        let span = self.model.tasks[task].job.span.clone();
        let dag = match args.kw("external_dag_id").map(|e| (&e.value, e.at)) {
            Some((Value::Str(t), _)) => t.s.clone(),
            Some((_, at)) => {
                self.model.unresolved(
                    format!(
                        "the external DAG of task `{}`",
                        self.model.tasks[task].job.name
                    ),
                    self.src.span_of(at.0, at.1),
                );
                return;
            }
            None => return,
        };
        let mut targets = Vec::new();
        match args.kw("external_task_id").map(|e| &e.value) {
            Some(Value::Str(t)) => targets.push(format!("task:{dag}.{}", t.s)),
            Some(Value::None) | None => {}
            Some(_) => {
                self.model.unresolved(
                    format!(
                        "the external task of task `{}`",
                        self.model.tasks[task].job.name
                    ),
                    span.clone(),
                );
                return;
            }
        }
        if let Some(Value::List(ids)) = args.kw("external_task_ids").map(|e| &e.value) {
            for id in ids {
                if let Some(id) = id.as_str() {
                    targets.push(format!("task:{dag}.{id}"));
                }
            }
        }
        if targets.is_empty() {
            targets.push(format!("dag:{dag}"));
        }
        for other in targets {
            let (from, to) = if class == "ExternalTaskMarker" {
                (me.clone(), other)
            } else {
                (other, me.clone())
            };
            self.model.triggers.push(EdgeFact {
                from,
                to,
                kind: EdgeKind::Triggers,
                span: span.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfer_operator_names_split_at_to() {
        assert_eq!(
            transfer_parts("PostgresToGCSOperator"),
            Some(("Postgres", "GCS"))
        );
        assert_eq!(
            transfer_parts("S3ToSnowflakeOperator"),
            Some(("S3", "Snowflake"))
        );
        assert_eq!(transfer_parts("MySqlToS3Operator"), Some(("MySql", "S3")));
        assert_eq!(
            transfer_parts("GoogleCloudStorageToBigQueryOperator"),
            Some(("GoogleCloudStorage", "BigQuery"))
        );
        assert_eq!(transfer_parts("TriggerDagRunOperator"), None);
        assert_eq!(transfer_parts("BashOperator"), None);
        assert_eq!(transfer_parts("TokenOperator"), None);
    }

    #[test]
    fn templated_keys_stand_for_their_folder() {
        assert_eq!(static_key("raw/orders/{{ ds }}.csv"), "raw/orders/");
        assert_eq!(static_key("raw/orders.csv"), "raw/orders.csv");
        assert_eq!(static_key("{{ ds }}/x"), "");
    }
}
