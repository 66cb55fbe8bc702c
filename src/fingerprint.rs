//! Fingerprints: the identity of a finding that survives lines moving,
//! reformatting and message rewording. Baselines, `--changed-since`, SARIF
//! `partialFingerprints` and GitLab Code Quality fingerprints all use this one
//! definition.
//!
//! A finding about a node is `rule` + node id (+ its [`Diagnostic::key`] where
//! one node can carry several findings of one rule). A finding about a file
//! alone is `rule` + file + a hash of the offending text with white space
//! folded, never its line number. A grouped finding (one per fix, see
//! [`crate::group`]) is `rule` + the place of the fix (its key);
//! [`node_fingerprints`] gives the per-node fingerprints it stands for.

use sha2::{Digest, Sha256};

use crate::diagnostic::Diagnostic;

/// The fingerprint of `d`: short, stable hex. `text` is the text of the file
/// the finding points at, when known (used only for findings without a node).
pub fn fingerprint(d: &Diagnostic, text: Option<&str>) -> String {
    let mut h = Sha256::new();
    h.update(d.rule.as_bytes());
    h.update([0]);
    match &d.node {
        None if !d.nodes.is_empty() => {
            h.update(b"group\0");
        }
        Some(node) => {
            h.update(b"node\0");
            h.update(node.as_bytes());
        }
        None => {
            h.update(b"file\0");
            if let Some(span) = &d.span {
                h.update(span.file.as_bytes());
                h.update([0]);
                h.update(offending_text(text, span.offset, span.len).as_bytes());
            }
        }
    }
    if let Some(key) = &d.key {
        h.update([0]);
        h.update(key.as_bytes());
    }
    let digest = h.finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether [`fingerprint`] reads the text of the finding's file: only for
/// a finding on no node, which is told apart by the text it points at.
pub fn reads_text(d: &Diagnostic) -> bool {
    d.node.is_none() && d.nodes.is_empty() && d.span.is_some()
}

/// The fingerprints of the per-node findings a grouped finding stands for
/// (the same as each had before grouping), or the finding's own fingerprint.
pub fn node_fingerprints(d: &Diagnostic, text: Option<&str>) -> Vec<String> {
    if d.nodes.is_empty() {
        return vec![fingerprint(d, text)];
    }
    d.nodes
        .iter()
        .map(|n| fingerprint(&Diagnostic::new(d.rule, "").node(n.clone()), None))
        .collect()
}

/// The text a file-only finding covers, with white space folded: its span, or
/// its whole line when the span is a point.
fn offending_text(text: Option<&str>, offset: usize, len: usize) -> String {
    let Some(text) = text else {
        return String::new();
    };
    let offset = floor_boundary(text, offset.min(text.len()));
    let raw = if len > 0 {
        let end = floor_boundary(text, (offset + len).min(text.len()));
        &text[offset..end]
    } else {
        let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
        &text[start..end]
    };
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::span::Span;

    fn at(file: &str, offset: usize, line: u32) -> Option<Span> {
        Some(Span {
            file: Arc::from(file),
            line,
            column: 1,
            offset,
            len: 0,
        })
    }

    #[test]
    fn node_findings_ignore_place_and_message() {
        let a = Diagnostic::new("missing-owner", "one")
            .node("model:shop.orders")
            .at(at("a.sql", 0, 1));
        let b = Diagnostic::new("missing-owner", "two words")
            .node("model:shop.orders")
            .at(at("a.sql", 40, 9));
        assert_eq!(fingerprint(&a, None), fingerprint(&b, None));
        let c = a.clone().key("raw.x");
        assert_ne!(fingerprint(&a, None), fingerprint(&c, None));
        let d = Diagnostic::new("unknown-owner", "one").node("model:shop.orders");
        assert_ne!(fingerprint(&a, None), fingerprint(&d, None));
    }

    #[test]
    fn file_findings_follow_the_text_not_the_line() {
        let text = "select 1;\nselect  from;\n";
        let moved = "-- new line\nselect 1;\n  select from;\n";
        let a = Diagnostic::new("parse-error", "x").at(at("q.sql", 10, 2));
        let b = Diagnostic::new("parse-error", "y").at(at("q.sql", 24, 3));
        assert_eq!(fingerprint(&a, Some(text)), fingerprint(&b, Some(moved)));
        let other = Diagnostic::new("parse-error", "x").at(at("q.sql", 0, 1));
        assert_ne!(fingerprint(&a, Some(text)), fingerprint(&other, Some(text)));
    }
}
