//! The inline suppression directive: `pipelint: allow[rule-slug] reason`,
//! written in a comment of any language (`#` or `--`).

use crate::facts::InlineAllow;
use crate::span::Span;

/// What every directive starts with.
const MARKER: &str = "pipelint:";

/// Whether `text` can hold a directive at all: most files hold none, and
/// this one pass lets their comments go unread.
pub fn may_hold_directive(text: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), MARKER.as_bytes()).is_some()
}

/// The allow a comment holds, if any. A comment alone on its line covers the
/// next line; a trailing comment covers its own line.
pub fn allow_in_comment(comment: &str, span: Span, alone: bool) -> Option<InlineAllow> {
    let (rule, reason) = parse_directive(comment)?;
    let applies_to_line = if alone { span.line + 1 } else { span.line };
    Some(InlineAllow {
        rule,
        reason,
        span,
        applies_to_line,
    })
}

/// Whether only whitespace precedes byte `at` on its line of `text`.
pub fn alone_on_line(text: &str, at: usize) -> bool {
    let at = at.min(text.len());
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    text.get(start..at)
        .is_some_and(|before| before.trim().is_empty())
}

/// Reads a directive out of a comment's text (with or without its `#`/`--`
/// marker). Returns the rule named in brackets and the reason after them
/// (empty when none is given), or `None` when the comment holds no directive.
pub fn parse_directive(comment: &str) -> Option<(String, String)> {
    let text = comment.trim_start_matches(['#', '-', '/', '*', ' ', '\t']);
    let rest = text.strip_prefix(MARKER)?.trim_start();
    let rest = rest.strip_prefix("allow[")?;
    let (rule, reason) = rest.split_once(']')?;
    let reason = reason.trim().trim_end_matches("*/").trim();
    Some((rule.trim().to_string(), reason.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_alone_covers_the_next_line() {
        let file: std::sync::Arc<str> = std::sync::Arc::from("x.sql");
        let text = "SELECT 1;\n  -- pipelint: allow[dag-cycle] why\nSELECT 2; -- pipelint: allow[dag-cycle] why\n";
        assert!(alone_on_line(text, 12));
        assert!(!alone_on_line(text, 55));
        let span = |line| Span {
            file: file.clone(),
            line,
            column: 1,
            offset: 0,
            len: 0,
        };
        assert_eq!(
            allow_in_comment("-- pipelint: allow[x] y", span(2), true).map(|a| a.applies_to_line),
            Some(3)
        );
        assert_eq!(
            allow_in_comment("-- pipelint: allow[x] y", span(3), false).map(|a| a.applies_to_line),
            Some(3)
        );
        assert!(allow_in_comment("-- nothing", span(3), false).is_none());
    }

    #[test]
    fn reads_rule_and_reason() {
        assert_eq!(
            parse_directive("-- pipelint: allow[consumer-reads-raw] debug notebook"),
            Some(("consumer-reads-raw".into(), "debug notebook".into()))
        );
        assert_eq!(
            parse_directive(" pipelint: allow[PL401]"),
            Some(("PL401".into(), String::new()))
        );
        assert_eq!(parse_directive("# just a comment"), None);
        assert_eq!(parse_directive("# pipelint: allow missing-bracket"), None);
    }
}
