//! The inline suppression directive: `pipelint: allow[rule-slug] reason`,
//! written in a comment of any language (`#` or `--`).

/// Reads a directive out of a comment's text (with or without its `#`/`--`
/// marker). Returns the rule named in brackets and the reason after them
/// (empty when none is given), or `None` when the comment holds no directive.
pub fn parse_directive(comment: &str) -> Option<(String, String)> {
    let text = comment.trim_start_matches(['#', '-', '/', '*', ' ', '\t']);
    let rest = text.strip_prefix("pipelint:")?.trim_start();
    let rest = rest.strip_prefix("allow[")?;
    let (rule, reason) = rest.split_once(']')?;
    let reason = reason.trim().trim_end_matches("*/").trim();
    Some((rule.trim().to_string(), reason.to_string()))
}

#[cfg(test)]
mod tests {
    use super::parse_directive;

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
