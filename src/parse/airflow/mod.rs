//! Airflow DAG files, read statically with a Python parser (tree-sitter-python):
//! never imported, never executed.
//!
//! A `.py` file is an Airflow file when it imports `airflow` or a module under
//! it (Airflow 2) or `airflow.sdk` (Airflow 3); other Python files give no
//! facts. A file with a syntax error gives one `parse-error` at the first
//! error's line, and whatever DAGs can still be read are kept (their jobs are
//! marked `partial`).
//!
//! How it reads a file (one module per concern):
//! - `syntax`: the tree, spans, one iterative pass for errors/comments/imports;
//! - `interpreter`: runs the statements statically, folding constants
//!   (`values`) and reading same-file functions where they are called;
//! - `dag` (DAGs, task groups, `@asset`), `schedule` (cadence),
//!   `tasks` (task ids), `ownership` (owner and failure behavior),
//!   `operators` and `sql_text` (reads, writes, SQL scripts, cross-DAG
//!   edges), `dependencies` (`after` edges), `allows` (inline allows).
//!
//! Facts produced: a `DagFact` per DAG (owner from `default_args`, cadence,
//! Dataset/Asset triggers), a `JobFact` per task (`task:<dag>.<task id>`, the
//! id with its task group prefix; the DAG's default owner carried with origin
//! `default_args`), `after` edges between tasks and `triggers` edges across
//! DAGs. What cannot be known statically (an id built from the environment, a
//! factory fed from a config file, `**kwargs`) is never guessed: the file gets
//! one info `unresolved-dynamic` diagnostic listing it, and the manifest's
//! `[[task]]` / `[paths]` entries can supply it.
//!
//! Limits, all deterministic except the last: expressions and blocks nest at
//! most 64 deep, same-file calls 8 deep; a file costs at most 50 000
//! statements and loop iterations, 20 000 tasks and 100 000 `after` edges;
//! folded strings stop at 1 MB and folded lists/dicts at 10 000 values. A
//! file that keeps tree-sitter busy for more than 10 s (megabytes of noise)
//! is a `parse-error`. Not understood statically: values from other modules
//! (helpers imported from the repo's own packages are opaque calls, though
//! any call with `task_id=` is still a task), classes, enum-valued ids,
//! `Variable.get` / environment / config files.

mod allows;
mod cosmos;
mod dag;
mod dependencies;
mod generators;
mod interpreter;
mod model;
mod operators;
mod ownership;
mod schedule;
mod sql_text;
mod syntax;
mod tasks;
mod values;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::facts::{DagFact, EdgeFact, FileFacts, Located};
use crate::parse::ParseContext;
use crate::span::Span;

use interpreter::Reader;
use syntax::{parse_python, scan, Source};

/// Which Airflow a file is written for, from its imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AirflowVersion {
    /// Imports from `airflow` but not `airflow.sdk`.
    Airflow2,
    /// Imports from `airflow.sdk`.
    Airflow3,
}

/// Which Airflow a set of imported module names points to, if any.
pub fn airflow_version<'a>(modules: impl IntoIterator<Item = &'a str>) -> Option<AirflowVersion> {
    let mut found = None;
    for m in modules {
        if m == "airflow.sdk" || m.starts_with("airflow.sdk.") {
            return Some(AirflowVersion::Airflow3);
        }
        // astronomer-cosmos builds Airflow DAGs: a file importing only it is a DAG file.
        let cosmos = m == "cosmos" || m.starts_with("cosmos.");
        if m == "airflow" || m.starts_with("airflow.") || (cosmos && found.is_none()) {
            found = Some(AirflowVersion::Airflow2);
        }
    }
    found
}

/// Which Airflow a Python file imports, if any (parses the file; for tools
/// that report on DAG files, such as the `airflow_scan` example).
pub fn file_airflow_version(file: &Arc<str>, text: &str) -> Option<AirflowVersion> {
    if !text.contains("airflow") {
        return None;
    }
    let src = Source::new(file, text);
    let tree = parse_python(text).ok()?;
    let found = scan(&tree, &src);
    airflow_version(found.imported_modules.iter().map(String::as_str))
}

/// The facts of one Python file; files that do not import Airflow give none.
pub fn parse_airflow_file(file: &Arc<str>, text: &str, context: &ParseContext) -> FileFacts {
    if !text.contains("airflow") && !text.contains("cosmos") {
        return FileFacts::default();
    }
    let src = Source::new(file, text);
    let tree = match parse_python(text) {
        Ok(tree) => tree,
        Err(why) => return FileFacts {
            diagnostics: vec![Diagnostic::new("parse-error", why)
            .at(Some(Span::file_start(file)))
            .help("a DAG file this large or this broken is not read; fix it or exclude it with .ignore")],
            ..FileFacts::default()
        },
    };
    let found = scan(&tree, &src);
    let Some(version) = airflow_version(found.imported_modules.iter().map(String::as_str)) else {
        return FileFacts::default();
    };
    let mut facts = FileFacts::default();
    if let Some(err) = found.first_error {
        facts.diagnostics.push(syntax_error(&src, err));
    }
    facts.allows = allows::inline_allows(&src, &found.comments);

    let mut reader = Reader::new(&src, context, version == AirflowVersion::Airflow3);
    reader.partial = found.first_error.is_some();
    reader.aliases = found.airflow_aliases.iter().cloned().collect();
    reader.foreign = found.foreign_names.iter().cloned().collect();
    reader.run_module(tree.root_node());

    let (edges, complete) = dependencies::resolve_edges(&reader.model);
    if !complete {
        let span = Span::file_start(file);
        reader.model.unresolved(
            format!(
                "the dependencies past the first {} (too many to list statically)",
                dependencies::MAX_EDGES
            ),
            span,
        );
    }
    for (i, d) in reader.model.dags.iter().enumerate() {
        facts.dags.push(DagFact {
            id: d.id.clone(),
            span: d.span.clone(),
            owner: reader.dag_owner(i),
            cadence: d.cadence.clone(),
            triggered_by: dedup(d.triggered_by.clone()),
        });
    }
    let model = std::mem::take(&mut reader.model);
    for t in model.tasks {
        let mut job = t.job;
        job.reads = dedup(job.reads);
        job.writes = dedup(job.writes);
        job.runs = dedup(job.runs);
        facts.jobs.push(job);
    }
    facts.edges = edges;
    for e in model.triggers {
        if !facts.edges.iter().any(|x| same_edge(x, &e)) {
            facts.edges.push(e);
        }
    }
    facts.diagnostics.extend(model.diagnostics);
    if let Some((_, span)) = model.unresolved.first() {
        let what: Vec<&str> = model.unresolved.iter().map(|(w, _)| w.as_str()).collect();
        facts.diagnostics.push(
            Diagnostic::new(
                "unresolved-dynamic",
                format!("cannot be known without running the file: {}", what.join("; ")),
            )
            .at(Some(span.clone()))
            .help("pipelint reads DAG files without running them; declare what it cannot see with [[task]] or [paths] entries in pipeline.toml"),
        );
    }
    facts
}

fn same_edge(a: &EdgeFact, b: &EdgeFact) -> bool {
    a.from == b.from && a.to == b.to && a.kind == b.kind
}

fn dedup<T: PartialEq>(items: Vec<Located<T>>) -> Vec<Located<T>> {
    let mut out: Vec<Located<T>> = Vec::with_capacity(items.len());
    for i in items {
        if !out.iter().any(|o| o.value == i.value) {
            out.push(i);
        }
    }
    out
}

/// The `parse-error` for the first ERROR or MISSING node.
fn syntax_error(src: &Source<'_>, node: tree_sitter::Node<'_>) -> Diagnostic {
    let span = src.span(node);
    let message = if node.is_missing() {
        format!("Python syntax error: missing `{}`", node.kind())
    } else {
        let text: String = src
            .text_of(node)
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(40)
            .collect();
        if text.trim().is_empty() {
            "Python syntax error".to_string()
        } else {
            format!("Python syntax error near `{}`", text.trim())
        }
    };
    Diagnostic::new("parse-error", message)
        .at(Some(span))
        .help("fix the syntax; the DAGs and tasks that could still be read are kept")
}
