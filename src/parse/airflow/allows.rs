//! Inline suppressions in DAG files: `# pipelint: allow[rule] reason`
//! comments, read from the syntax tree's comment nodes.

use tree_sitter::Node;

use crate::facts::InlineAllow;
use crate::parse::inline_allow::{allow_in_comment, alone_on_line};

use super::syntax::Source;

/// The allows among the comments. A comment alone on its line applies to
/// the next line; a trailing comment to its own line.
pub(super) fn inline_allows(src: &Source<'_>, comments: &[Node<'_>]) -> Vec<InlineAllow> {
    let mut out = Vec::new();
    for c in comments {
        let alone = alone_on_line(src.text, c.start_byte());
        out.extend(allow_in_comment(src.text_of(*c), src.span(*c), alone));
    }
    out
}
