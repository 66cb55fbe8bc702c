//! Reviewed exceptions: `[[allow]]` entries and inline `pipelint: allow[...]`
//! comments remove findings; exceptions that remove nothing are reported.

use crate::diagnostic::Diagnostic;
use crate::facts::InlineAllow;
use crate::manifest::Allow;
use crate::rules::select::{matching, unknown_rule, Selection};

fn slugs(name: &str) -> Vec<&'static str> {
    matching(name).iter().map(|m| m.slug).collect()
}

/// Removes the findings that an allow covers, and adds `unused-allow` for
/// allows that covered nothing and `invalid-config` for malformed ones.
pub fn apply(
    diags: Vec<Diagnostic>,
    allows: &[Allow],
    inline: &[InlineAllow],
    selection: &Selection,
) -> Vec<Diagnostic> {
    let mut used_manifest = vec![false; allows.len()];
    let mut used_inline = vec![false; inline.len()];
    let mut out = Vec::with_capacity(diags.len());
    let manifest_slugs: Vec<Vec<&str>> = allows.iter().map(|a| slugs(&a.rule.value)).collect();
    let inline_slugs: Vec<Vec<&str>> = inline.iter().map(|a| slugs(&a.rule)).collect();
    for d in diags {
        let mut allowed = false;
        for (i, a) in allows.iter().enumerate() {
            let node_ok = a
                .node
                .as_ref()
                .is_none_or(|n| d.node.as_deref() == Some(n.as_str()));
            let file_ok = a
                .file
                .as_ref()
                .is_none_or(|g| d.span.as_ref().is_some_and(|s| g.is_match(s.file.as_ref())));
            if manifest_slugs[i].contains(&d.rule) && node_ok && file_ok {
                used_manifest[i] = true;
                allowed = true;
            }
        }
        if let Some(span) = &d.span {
            for (i, a) in inline.iter().enumerate() {
                if a.span.file == span.file
                    && a.applies_to_line == span.line
                    && inline_slugs[i].contains(&d.rule)
                {
                    used_inline[i] = true;
                    allowed = true;
                }
            }
        }
        if !allowed {
            out.push(d);
        }
    }
    for (a, used) in allows.iter().zip(used_manifest) {
        let found = matching(&a.rule.value);
        if found.is_empty() {
            out.push(unknown_rule(&a.rule.value, &a.rule.span));
        } else if !used && found.iter().any(|m| selection.enabled(m.slug)) {
            let what = a
                .node
                .as_deref()
                .map_or(String::new(), |n| format!(" on `{n}`"));
            out.push(
                Diagnostic::new(
                    "unused-allow",
                    format!("[[allow]] for `{}`{what} matches no finding", a.rule.value),
                )
                .at(Some(a.span.clone()))
                .help(
                    "the exception is stale: remove it (its reason was: ".to_string()
                        + &a.reason
                        + ")",
                ),
            );
        }
    }
    for (a, used) in inline.iter().zip(used_inline) {
        let found = matching(&a.rule);
        if found.is_empty() {
            out.push(unknown_rule(&a.rule, &a.span));
            continue;
        }
        if a.reason.trim().is_empty() {
            out.push(
                Diagnostic::new(
                    "invalid-config",
                    format!("inline allow for `{}` gives no reason", a.rule),
                )
                .at(Some(a.span.clone()))
                .help(
                    "write the reason after the brackets: `pipelint: allow[rule] why this is fine`",
                ),
            );
        }
        if !used && found.iter().any(|m| selection.enabled(m.slug)) {
            out.push(
                Diagnostic::new("unused-allow", format!("inline allow for `{}` matches no finding on line {}", a.rule, a.applies_to_line))
                    .at(Some(a.span.clone()))
                    .help("remove the comment, or move it onto the line of the finding (or alone on the line above it)"),
            );
        }
    }
    out
}
