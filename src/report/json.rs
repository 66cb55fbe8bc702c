//! Machine output of `check --format json`: version, summary, sorted findings.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::check::Analysis;
use crate::diagnostic::Diagnostic;
use crate::rules::code_of;
use crate::span::Span;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    summary: Summary<'a>,
    diagnostics: Vec<Finding<'a>>,
}

#[derive(Serialize)]
struct Summary<'a> {
    errors: usize,
    warnings: usize,
    infos: usize,
    files: usize,
    nodes: usize,
    edges: usize,
    by_rule: BTreeMap<&'a str, usize>,
    /// Files not read, by the exclusion pattern that skipped them.
    skipped: &'a BTreeMap<String, usize>,
}

#[derive(Serialize)]
struct Finding<'a> {
    code: &'static str,
    rule: &'a str,
    severity: &'static str,
    message: &'a str,
    node: Option<&'a str>,
    file: Option<&'a str>,
    line: Option<u32>,
    column: Option<u32>,
    related: Vec<Place<'a>>,
    help: Option<&'a str>,
    /// Every node a grouped finding stands for.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    nodes: &'a [String],
    fingerprint: String,
}

#[derive(Serialize)]
struct Place<'a> {
    message: &'a str,
    node: Option<&'a str>,
    file: Option<&'a str>,
    line: Option<u32>,
    column: Option<u32>,
}

fn location(span: Option<&Span>) -> (Option<&str>, Option<u32>, Option<u32>) {
    span.map_or((None, None, None), |s| {
        (Some(s.file.as_ref()), Some(s.line), Some(s.column))
    })
}

fn finding<'a>(analysis: &Analysis, d: &'a Diagnostic) -> Finding<'a> {
    let (file, line, column) = location(d.span.as_ref());
    Finding {
        code: code_of(d.rule),
        rule: d.rule,
        severity: d.severity.as_str(),
        message: &d.message,
        node: d.node.as_deref(),
        file,
        line,
        column,
        related: d
            .related
            .iter()
            .map(|r| {
                let (file, line, column) = location(r.span.as_ref());
                Place {
                    message: &r.message,
                    node: r.node.as_deref(),
                    file,
                    line,
                    column,
                }
            })
            .collect(),
        help: d.help.as_deref(),
        nodes: &d.nodes,
        fingerprint: analysis.fingerprint(d),
    }
}

/// Renders the analysis as one pretty-printed JSON document.
pub fn render(analysis: &Analysis) -> String {
    let (errors, warnings, infos) = analysis.counts();
    let mut by_rule = BTreeMap::new();
    for d in &analysis.diagnostics {
        *by_rule.entry(d.rule).or_insert(0) += 1;
    }
    let doc = Document {
        version: 1,
        summary: Summary {
            errors,
            warnings,
            infos,
            files: analysis.context.sources.len(),
            nodes: analysis.graph.inner.node_count(),
            edges: analysis.graph.inner.edge_count(),
            by_rule,
            skipped: &analysis.skipped,
        },
        diagnostics: analysis
            .diagnostics
            .iter()
            .map(|d| finding(analysis, d))
            .collect(),
    };
    serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")) + "\n"
}
