//! Inline suppressions in DAG files: `# pipelint: allow[rule] reason`
//! comments, read from the syntax tree's comment nodes.

use tree_sitter::Node;

use crate::facts::InlineAllow;
use crate::parse::inline_allow::parse_directive;

use super::syntax::Source;

/// The allows among the comments. A comment alone on its line applies to
/// the next line; a trailing comment to its own line.
pub(super) fn inline_allows(src: &Source<'_>, comments: &[Node<'_>]) -> Vec<InlineAllow> {
    let mut out = Vec::new();
    for c in comments {
        let Some((rule, reason)) = parse_directive(src.text_of(*c)) else {
            continue;
        };
        let span = src.span(*c);
        let line_start = src.text[..c.start_byte().min(src.text.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let alone = src
            .text
            .get(line_start..c.start_byte())
            .is_some_and(|before| before.trim().is_empty());
        out.push(InlineAllow {
            rule,
            reason,
            applies_to_line: if alone { span.line + 1 } else { span.line },
            span,
        });
    }
    out
}
