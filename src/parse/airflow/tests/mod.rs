//! Per-construct tests of the Airflow reader, on realistic DAG code.

mod acme;
mod cross_dag;
mod dags;
mod dependencies;
mod io;
mod ownership;
mod robustness;
mod schedule;
mod tasks;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use crate::facts::{DataRef, EdgeKind, FileFacts, JobFact};
use crate::files::SourceMap;
use crate::parse::ParseContext;
use crate::sql_dialect::SqlDialect;

/// A context whose repo holds `paths`.
pub(super) fn context(paths: &[&str]) -> ParseContext {
    ParseContext {
        root: PathBuf::from("."),
        dialect: SqlDialect::Snowflake,
        paths: paths.iter().map(|p| Arc::from(*p)).collect::<HashSet<_>>(),
        include_packages: false,
        dbt_manifest: false,
        sources: SourceMap::default(),
        overlay: None,
        memo: None,
    }
}

/// Parses `text` as `dags/<name>`.
pub(super) fn parse_at(name: &str, text: &str, paths: &[&str]) -> FileFacts {
    let file: Arc<str> = Arc::from(format!("dags/{name}").as_str());
    super::parse_airflow_file(&file, text, &context(paths))
}

/// Parses `text` as `dags/example.py` in a repo without other files.
pub(super) fn parse(text: &str) -> FileFacts {
    parse_at("example.py", text, &[])
}

/// Job ids, in order.
pub(super) fn job_ids(f: &FileFacts) -> Vec<String> {
    f.jobs.iter().map(|j| j.id.clone()).collect()
}

/// Edges of a kind as `from -> to`, sorted.
pub(super) fn edges(f: &FileFacts, kind: EdgeKind) -> Vec<String> {
    let mut out: Vec<String> = f
        .edges
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| format!("{} -> {}", e.from, e.to))
        .collect();
    out.sort();
    out
}

/// `after` edges as `from -> to` with the `task:<dag>.` prefix removed, sorted.
pub(super) fn after(f: &FileFacts, dag: &str) -> Vec<String> {
    let prefix = format!("task:{dag}.");
    edges(f, EdgeKind::After)
        .into_iter()
        .map(|e| e.replace(&prefix, ""))
        .collect()
}

/// The job with this id.
pub(super) fn job<'a>(f: &'a FileFacts, id: &str) -> &'a JobFact {
    f.jobs
        .iter()
        .find(|j| j.id == id)
        .unwrap_or_else(|| panic!("no job {id}; jobs: {:?}", job_ids(f)))
}

/// A data reference as text: dotted table parts or the URI.
pub(super) fn name(r: &DataRef) -> String {
    match r {
        DataRef::Table(parts) => parts
            .iter()
            .map(|p| p.value.as_str())
            .collect::<Vec<_>>()
            .join("."),
        DataRef::Uri(u) => u.clone(),
        other => format!("{other:?}"),
    }
}

/// Reads of a job as text.
pub(super) fn reads(j: &JobFact) -> Vec<String> {
    j.reads.iter().map(|r| name(&r.value)).collect()
}

/// Writes of a job as text.
pub(super) fn writes(j: &JobFact) -> Vec<String> {
    let outlets = j
        .publishes
        .iter()
        .map(|r| format!("outlet:{}", name(&r.value)));
    j.writes
        .iter()
        .map(|r| name(&r.value))
        .chain(outlets)
        .collect()
}

/// The rule slugs of the file's diagnostics.
pub(super) fn rules(f: &FileFacts) -> Vec<&'static str> {
    f.diagnostics.iter().map(|d| d.rule).collect()
}
