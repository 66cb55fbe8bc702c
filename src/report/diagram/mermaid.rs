//! Mermaid flowchart of a view: one subgraph per layer column, left to
//! right. Node ids are generated (`n0`, `n1`, …) and every label character
//! outside a small safe set is written as a Mermaid entity (`#35;`), so repo
//! text can never break the syntax.

use std::fmt::Write;

use super::{edge_label, fill, label_lines};
use crate::facts::EdgeKind;
use crate::view::{Class, View};

/// The most edges Mermaid draws with its default `maxEdges`.
pub const MAX_EDGES: usize = 500;

/// Renders a view as a Mermaid `flowchart LR`.
pub fn render(view: &View) -> String {
    let mut out = String::new();
    for note in &view.notes {
        let _ = writeln!(out, "%% {}", note.replace('\n', " "));
    }
    out.push_str("flowchart LR\n");
    for (c, column) in view.columns.iter().enumerate() {
        let _ = writeln!(out, "  subgraph col{c}[\"{}\"]", escape(column));
        for (i, node) in view.nodes.iter().enumerate().filter(|(_, n)| n.column == c) {
            let label = label_lines(node)
                .iter()
                .map(|l| escape(l))
                .collect::<Vec<_>>()
                .join("<br/>");
            let (open, close) = match node.class {
                Class::Source => ("[/\"", "\"/]"),
                Class::Dataset => ("[(\"", "\")]"),
                Class::Job => ("[\"", "\"]"),
                Class::Consumer => ("([\"", "\"])"),
                Class::Group => ("[[\"", "\"]]"),
                Class::Dag => ("{{\"", "\"}}"),
            };
            let _ = writeln!(out, "    n{i}{open}{label}{close}");
        }
        out.push_str("  end\n");
    }
    let mut dashed = Vec::new();
    for (k, e) in view.edges.iter().enumerate() {
        let arrow = match e.kind {
            EdgeKind::Reads | EdgeKind::Writes => "-->",
            EdgeKind::After | EdgeKind::Triggers => "-.->",
        };
        if e.kind == EdgeKind::Triggers {
            dashed.push(k.to_string());
        }
        match edge_label(e.kind, e.count) {
            Some(l) => {
                let _ = writeln!(out, "  n{} {arrow}|\"{}\"| n{}", e.from, escape(&l), e.to);
            }
            None => {
                let _ = writeln!(out, "  n{} {arrow} n{}", e.from, e.to);
            }
        }
    }
    if !dashed.is_empty() {
        let _ = writeln!(out, "  linkStyle {} stroke-dasharray:8 5", dashed.join(","));
    }
    for class in [
        Class::Source,
        Class::Job,
        Class::Dag,
        Class::Dataset,
        Class::Consumer,
        Class::Group,
    ] {
        let members: Vec<String> = view
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.class == class)
            .map(|(i, _)| format!("n{i}"))
            .collect();
        if !members.is_empty() {
            let _ = writeln!(
                out,
                "  classDef {} fill:{},stroke:#555\n  class {} {}",
                class.as_str(),
                fill(class),
                members.join(","),
                class.as_str()
            );
        }
    }
    let marked: Vec<String> = view
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.findings > 0)
        .map(|(i, _)| format!("n{i}"))
        .collect();
    if !marked.is_empty() {
        let _ = writeln!(
            out,
            "  classDef finding stroke:#d33,stroke-width:3px\n  class {} finding",
            marked.join(",")
        );
    }
    out
}

/// Writes every character outside `[A-Za-z0-9 _.,:/()-]` as a Mermaid
/// entity code (`#35;`), so quotes, brackets, pipes and HTML in repo text
/// stay text.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || " _.,:/()-".contains(c) {
            out.push(c);
        } else {
            let _ = write!(out, "#{};", c as u32);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_that_could_end_a_label() {
        assert_eq!(escape("a\"b]|<c>#"), "a#34;b#93;#124;#60;c#62;#35;");
        assert_eq!(escape("raw.orders (x)"), "raw.orders (x)");
    }
}
