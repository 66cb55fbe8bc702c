//! PL501 duplicate-extract: one source object pulled more than once.

use std::collections::BTreeMap;

use crate::diagnostic::Diagnostic;
use crate::facts::EdgeKind;
use crate::graph::{Graph, NodeKind};
use crate::rules::{meta, Rule, RuleMeta};
use crate::span::Span;

/// Flags a source read by several jobs, several sources naming one object,
/// and an external object no source declares that several jobs extract.
pub struct DuplicateExtract;

static META: RuleMeta = meta!(
    "PL501",
    "duplicate-extract",
    Error,
    "one source object extracted by more than one job"
);

impl Rule for DuplicateExtract {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, graph: &Graph) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (ix, source) in graph.nodes().filter(|(_, n)| n.kind == NodeKind::Source) {
            let mut extracts: Vec<(String, Option<Span>)> = graph
                .out_edges(ix, EdgeKind::Reads)
                .filter(|(_, to)| graph.node(*to).is_job())
                .map(|(e, to)| (graph.node(to).id.clone(), e.span.clone()))
                .collect();
            extracts.sort();
            extracts.dedup_by(|a, b| a.0 == b.0);
            if extracts.len() < 2 {
                continue;
            }
            out.push(extracted_by(
                &format!("source `{}`", source.name),
                &source.id,
                &extracts,
                "keep one extract into the raw layer and let the other jobs read the raw table it lands",
            ));
        }
        out.extend(undeclared_extracts(graph));
        let mut by_object: BTreeMap<&str, Vec<(&str, &Span)>> = BTreeMap::new();
        for (object, source, span) in &graph.source_objects {
            by_object.entry(object).or_default().push((source, span));
        }
        for (object, sources) in by_object.into_iter().filter(|(_, s)| s.len() > 1) {
            let mut d = Diagnostic::new(
                "duplicate-extract",
                format!(
                    "`{object}` is declared by {} sources: {}",
                    sources.len(),
                    sources.iter().map(|s| s.0).collect::<Vec<_>>().join(", ")
                ),
            )
            .node(sources[1].0.to_string())
            .at(Some(sources[1].1.clone()))
            .help("declare each external object once and point every reader at that one source");
            for (source, span) in &sources {
                d = d.related(
                    format!("declared as `{source}`"),
                    Some(source.to_string()),
                    Some((*span).clone()),
                );
            }
            out.push(d);
        }
        out
    }
}

/// External objects (`postgres://app/public.orders`, `stripe://charges`)
/// that no `[[source]]` declares and nothing in the repo writes, pulled by
/// more than one job that lands them somewhere, whatever layer that is: a
/// team's own copy of a source is the pattern this rule exists for. A task
/// and the script it runs count once.
fn undeclared_extracts(graph: &Graph) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (ix, object) in graph
        .nodes()
        .filter(|(_, n)| n.kind == NodeKind::Dataset && n.name.contains("://") && !n.external)
    {
        if !graph.writers(ix).is_empty() {
            continue;
        }
        let mut extracts: Vec<(String, Option<Span>)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut readers: Vec<_> = graph
            .out_edges(ix, EdgeKind::Reads)
            .filter(|(_, job)| graph.node(*job).is_job())
            .filter(|(_, job)| graph.out_edges(*job, EdgeKind::Writes).next().is_some())
            .collect();
        readers.sort_by(|a, b| graph.node(a.1).id.cmp(&graph.node(b.1).id));
        for (e, job) in readers {
            if seen.insert(graph.scheduled_as(job)) {
                extracts.push((graph.node(job).id.clone(), e.span.clone()));
            }
        }
        if extracts.len() < 2 {
            continue;
        }
        out.push(extracted_by(
            &format!("`{}`", object.name),
            &object.id,
            &extracts,
            "declare the object once as a [[source]] with one extract into the raw layer, and let the other jobs read the raw table it lands",
        ));
    }
    out
}

/// One finding for an object pulled by several jobs (at least two), located
/// at the second extract, with every extract as a related place.
fn extracted_by(
    what: &str,
    node: &str,
    extracts: &[(String, Option<Span>)],
    help: &str,
) -> Diagnostic {
    let jobs: Vec<&str> = extracts.iter().map(|e| e.0.as_str()).collect();
    let mut d = Diagnostic::new(
        "duplicate-extract",
        format!(
            "{what} is extracted by {} jobs: {}",
            extracts.len(),
            jobs.join(", ")
        ),
    )
    .node(node.to_string())
    .at(extracts.get(1).and_then(|e| e.1.clone()))
    .help(help);
    for (job, span) in extracts {
        d = d.related(
            format!("extracted by `{job}`"),
            Some(job.clone()),
            span.clone(),
        );
    }
    d
}
