//! A standalone SVG of a view, laid out in the binary ([`crate::view::layout`]):
//! the README's diagram and the body of the HTML page. The same view always
//! gives the same bytes.

use std::fmt::Write;

use super::{dash, edge_label, fill, label_lines};
use crate::diagnostic::truncate;
use crate::view::layout::{self, Layout, LINE_HEIGHT};
use crate::view::View;

/// The most edges drawn before the view is collapsed (the page stays fluid).
pub const MAX_EDGES: usize = 3000;

/// The most characters of a line that fit in a box.
const LINE_CHARS: usize = 38;

/// Renders a view as an SVG document.
pub fn render(view: &View) -> String {
    let lines: Vec<Vec<String>> = view.nodes.iter().map(label_lines).collect();
    let layout = layout::layout(view, |i| lines[i].len());
    draw(view, &lines, &layout)
}

fn draw(view: &View, lines: &[Vec<String>], layout: &Layout) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">",
        w = layout.width,
        h = layout.height
    );
    out.push_str(
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>\n",
    );
    let _ = writeln!(
        out,
        "<rect width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>",
        layout.width, layout.height
    );
    for (c, name) in view.columns.iter().enumerate() {
        let (x, w) = layout.columns[c];
        let _ = writeln!(
            out,
            "<g class=\"column\"><rect x=\"{}\" y=\"10\" width=\"{}\" height=\"{}\" rx=\"8\" fill=\"#f7f7f7\" stroke=\"#dddddd\"/><text x=\"{}\" y=\"32\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\" fill=\"#444\">{}</text></g>",
            x - 20,
            w + 40,
            layout.height - 20,
            x + w / 2,
            xml(name)
        );
    }
    for e in &view.edges {
        let (a, b) = (layout.boxes[e.from], layout.boxes[e.to]);
        let (x1, y1) = (a.x + a.w, a.y + a.h / 2);
        let (x2, y2) = (b.x, b.y + b.h / 2);
        let bend = (x2.abs_diff(x1) / 2).max(40);
        let d = format!(
            "M{x1},{y1} C{},{y1} {},{y2} {x2},{y2}",
            x1 + bend,
            x2.saturating_sub(bend)
        );
        let dash = dash(e.kind)
            .map(|d| format!(" stroke-dasharray=\"{d}\""))
            .unwrap_or_default();
        let _ = write!(
            out,
            "<path class=\"edge {}\" data-from=\"{}\" data-to=\"{}\" d=\"{d}\" fill=\"none\" stroke=\"#777\" stroke-width=\"1.3\"{dash} marker-end=\"url(#arrow)\"/>",
            e.kind.as_str(),
            xml(&view.nodes[e.from].id),
            xml(&view.nodes[e.to].id)
        );
        if let Some(l) = edge_label(e.kind, e.count) {
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"9\" fill=\"#555\">{}</text>",
                (x1 + x2) / 2,
                (y1 + y2) / 2 - 3,
                xml(&l)
            );
        }
        out.push('\n');
    }
    for (i, node) in view.nodes.iter().enumerate() {
        let r = layout.boxes[i];
        let marked = node.findings > 0;
        let search = format!("{} {}", node.id, lines[i].join(" ")).to_lowercase();
        let _ = write!(
            out,
            "<g class=\"node {}{}\" id=\"node-{i}\" data-id=\"{}\" data-search=\"{}\"><title>{}</title><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"6\" fill=\"{}\" stroke=\"{}\" stroke-width=\"{}\"/>",
            node.class.as_str(),
            if marked { " finding" } else { "" },
            xml(&node.id),
            xml(&search),
            xml(&node.id),
            r.x,
            r.y,
            r.w,
            r.h,
            fill(node.class),
            if marked { "#dd3333" } else { "#666666" },
            if marked { 3 } else { 1 }
        );
        for (k, line) in lines[i].iter().enumerate() {
            let weight = if k == 0 { " font-weight=\"bold\"" } else { "" };
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"{}\"{weight}>{}</text>",
                r.x + 8,
                r.y + 5 + LINE_HEIGHT * (k as u32 + 1) - 3,
                xml(&truncate(line, LINE_CHARS))
            );
        }
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    out
}

/// Escapes text for XML content and attribute values.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
