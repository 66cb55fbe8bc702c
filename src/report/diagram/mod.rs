//! Diagrams of a [`View`]: one module per renderer, all drawing the same
//! boxes, labels and edge styles (reads/writes solid, after dotted,
//! triggers dashed; boxes with findings outlined red).

pub mod dot;
pub mod html;
pub mod mermaid;
pub mod svg;

use crate::facts::EdgeKind;
use crate::view::{Class, View, ViewNode};

/// Renders the view as JSON: nodes, edges by index, columns, notes.
pub fn json(view: &View) -> String {
    serde_json::to_string_pretty(view).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")) + "\n"
}

/// The text lines of a box: name; kind (and where a job runs); owner;
/// cadence; failure behavior of a job; findings.
pub fn label_lines(node: &ViewNode) -> Vec<String> {
    let mut lines = vec![node.name.clone()];
    let mut kind = node.kind.clone();
    if let Some(compute) = node.compute {
        kind.push_str(" · ");
        kind.push_str(compute);
    }
    if let Some(style) = node.style {
        kind.push_str(" · ");
        kind.push_str(style);
    }
    lines.push(kind);
    lines.push(match &node.owner {
        Some(o) => format!("owner {o}"),
        None => "no owner".into(),
    });
    match &node.cadence {
        Some(c) => lines.push(c.clone()),
        None if node.class != Class::Dataset => lines.push("no cadence".into()),
        None => {}
    }
    if node.class == Class::Job {
        lines.push(match &node.on_failure {
            Some(f) => format!("on failure {f}"),
            None => "no failure behavior".into(),
        });
    }
    if node.findings > 0 {
        lines.push(format!(
            "⚠ {} finding{}",
            node.findings,
            if node.findings == 1 { "" } else { "s" }
        ));
    }
    lines
}

/// The label of an edge: its kind unless reads/writes, and its count when
/// it stands for several edges.
pub fn edge_label(kind: EdgeKind, count: usize) -> Option<String> {
    let word = matches!(kind, EdgeKind::After | EdgeKind::Triggers).then(|| kind.as_str());
    match (word, count > 1) {
        (Some(w), true) => Some(format!("{w} ×{count}")),
        (Some(w), false) => Some(w.to_string()),
        (None, true) => Some(format!("×{count}")),
        (None, false) => None,
    }
}

/// The SVG/CSS dash pattern of an edge kind: none for reads and writes,
/// dotted for `after`, dashed for `triggers`.
pub fn dash(kind: EdgeKind) -> Option<&'static str> {
    match kind {
        EdgeKind::Reads | EdgeKind::Writes => None,
        EdgeKind::After => Some("2 4"),
        EdgeKind::Triggers => Some("8 5"),
    }
}

/// Fill color of a box, by class.
pub fn fill(class: Class) -> &'static str {
    match class {
        Class::Source => "#fdf1d8",
        Class::Job => "#e8eefc",
        Class::Dag | Class::Group => "#eeeeee",
        Class::Dataset => "#e6f4ea",
        Class::Consumer => "#f6e6f4",
    }
}
