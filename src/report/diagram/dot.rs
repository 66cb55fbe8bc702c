//! Graphviz DOT of a view: `rankdir=LR`, one cluster per layer column,
//! edge styles by kind. Render with `dot -Tsvg`.

use std::fmt::Write;

use super::{edge_label, fill, label_lines};
use crate::facts::EdgeKind;
use crate::view::{Class, View};

/// The most edges drawn before the view is collapsed: past it `dot` takes
/// minutes and the picture is unreadable.
pub const MAX_EDGES: usize = 3000;

/// Renders a view as a DOT digraph.
pub fn render(view: &View) -> String {
    let mut out = String::from("digraph pipelint {\n");
    for note in &view.notes {
        let _ = writeln!(out, "  // {}", note.replace('\n', " "));
    }
    out.push_str(
        "  rankdir=LR;\n  newrank=true;\n  node [fontname=\"Helvetica\", fontsize=10, style=filled];\n  edge [color=\"#555555\", fontname=\"Helvetica\", fontsize=9];\n",
    );
    for (c, column) in view.columns.iter().enumerate() {
        let _ = writeln!(
            out,
            "  subgraph cluster_{c} {{\n    label={};\n    style=dashed;\n    color=\"#bbbbbb\";",
            quote(column)
        );
        for (i, node) in view.nodes.iter().enumerate().filter(|(_, n)| n.column == c) {
            let shape = match node.class {
                Class::Source => "parallelogram",
                Class::Dataset => "cylinder",
                Class::Job => "box",
                Class::Consumer => "ellipse",
                Class::Group => "box3d",
                Class::Dag => "hexagon",
            };
            let label = label_lines(node).join("\n");
            let marked = if node.findings > 0 {
                ", color=\"#dd3333\", penwidth=3"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "    n{i} [id={}, label={}, tooltip={}, shape={shape}, fillcolor=\"{}\"{marked}];",
                quote(&format!("node-{i}")),
                quote(&label),
                quote(&node.id),
                fill(node.class)
            );
        }
        out.push_str("  }\n");
    }
    for e in &view.edges {
        let style = match e.kind {
            EdgeKind::Reads | EdgeKind::Writes => "solid",
            EdgeKind::After => "dotted",
            EdgeKind::Triggers => "dashed",
        };
        let label = edge_label(e.kind, e.count)
            .map(|l| format!(", label={}", quote(&l)))
            .unwrap_or_default();
        let _ = writeln!(out, "  n{} -> n{} [style={style}{label}];", e.from, e.to);
    }
    out.push_str("}\n");
    out
}

/// A DOT double-quoted string: backslashes and quotes escaped, newlines as
/// `\n` (centered lines).
fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn quotes_repo_text() {
        assert_eq!(super::quote("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
    }
}
