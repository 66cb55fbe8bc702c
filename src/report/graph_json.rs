//! `pipelint graph --format json`: the resolved graph, so what was extracted
//! can be checked from outside.

use serde::Serialize;

use crate::graph::Graph;

#[derive(Serialize)]
struct Document<'a> {
    nodes: Vec<NodeOut<'a>>,
    edges: Vec<EdgeOut<'a>>,
}

#[derive(Serialize)]
struct NodeOut<'a> {
    id: &'a str,
    kind: &'static str,
    name: &'a str,
    layer: Option<&'a str>,
    owner: Option<&'a str>,
    owner_from: Option<&'a str>,
    cadence: Option<String>,
    on_failure: Option<String>,
    file: Option<&'a str>,
    line: Option<u32>,
    /// Reads and writes partly recovered from SQL that did not parse.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    recovered: bool,
}

#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
struct EdgeOut<'a> {
    from: &'a str,
    to: &'a str,
    kind: &'static str,
}

/// Renders nodes sorted by id and edges sorted by (from, to, kind).
pub fn render(graph: &Graph) -> String {
    let mut nodes: Vec<NodeOut> = graph
        .nodes()
        .map(|(_, n)| NodeOut {
            id: &n.id,
            kind: n.kind.as_str(),
            name: &n.name,
            layer: graph.layer_name(n),
            owner: n.owner.as_ref().map(|o| o.value.as_str()),
            owner_from: n.owner.as_ref().map(|o| o.origin.as_str()),
            cadence: n.cadence.as_ref().map(|c| c.value.to_string()),
            on_failure: n.on_failure.as_ref().map(|f| f.value.to_string()),
            file: n.span.as_ref().map(|s| s.file.as_ref()),
            line: n.span.as_ref().map(|s| s.line),
            recovered: n.recovered,
        })
        .collect();
    nodes.sort_by(|a, b| a.id.cmp(b.id));
    let mut edges: Vec<EdgeOut> = graph
        .edges()
        .map(|(f, t, _, e)| EdgeOut {
            from: &graph.node(f).id,
            to: &graph.node(t).id,
            kind: e.kind.as_str(),
        })
        .collect();
    edges.sort();
    edges.dedup();
    serde_json::to_string_pretty(&Document { nodes, edges })
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
        + "\n"
}
