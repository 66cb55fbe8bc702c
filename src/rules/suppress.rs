//! Reviewed exceptions: `[[allow]]` entries and inline `pipelint: allow[...]`
//! comments remove findings; exceptions that remove nothing are reported.

use crate::diagnostic::Diagnostic;
use crate::facts::InlineAllow;
use crate::manifest::Allow;
use crate::rules::select::{matching, unknown_rule, Selection};

fn slugs(name: &str) -> Vec<&'static str> {
    matching(name).iter().map(|m| m.slug).collect()
}

/// Exceptions applied in passes (per node before grouping, then per group at
/// the group's anchor), remembering which were used so that the ones that
/// covered nothing in any pass are reported once at the end.
pub struct Suppressor<'a> {
    allows: &'a [Allow],
    inline: &'a [InlineAllow],
    manifest_slugs: Vec<Vec<&'static str>>,
    inline_slugs: Vec<Vec<&'static str>>,
    used_manifest: Vec<bool>,
    used_inline: Vec<bool>,
}

impl<'a> Suppressor<'a> {
    /// Prepares the exceptions of the manifest and the inline comments.
    pub fn new(allows: &'a [Allow], inline: &'a [InlineAllow]) -> Suppressor<'a> {
        Suppressor {
            allows,
            inline,
            manifest_slugs: allows.iter().map(|a| slugs(&a.rule.value)).collect(),
            inline_slugs: inline.iter().map(|a| slugs(&a.rule)).collect(),
            used_manifest: vec![false; allows.len()],
            used_inline: vec![false; inline.len()],
        }
    }

    /// The findings no exception covers.
    pub fn filter(&mut self, diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
        diags.into_iter().filter(|d| !self.covers(d)).collect()
    }

    fn covers(&mut self, d: &Diagnostic) -> bool {
        let mut allowed = false;
        for (i, a) in self.allows.iter().enumerate() {
            let node_ok = a
                .node
                .as_ref()
                .is_none_or(|n| d.node.as_deref() == Some(n.as_str()));
            let file_ok = a
                .file
                .as_ref()
                .is_none_or(|g| d.span.as_ref().is_some_and(|s| g.is_match(s.file.as_ref())));
            if self.manifest_slugs[i].contains(&d.rule) && node_ok && file_ok {
                self.used_manifest[i] = true;
                allowed = true;
            }
        }
        if let Some(span) = &d.span {
            for (i, a) in self.inline.iter().enumerate() {
                if a.span.file == span.file
                    && a.applies_to_line == span.line
                    && self.inline_slugs[i].contains(&d.rule)
                {
                    self.used_inline[i] = true;
                    allowed = true;
                }
            }
        }
        allowed
    }

    /// `unused-allow` for exceptions that covered nothing, `invalid-config`
    /// for malformed ones.
    pub fn finish(self, selection: &Selection) -> Vec<Diagnostic> {
        let (allows, inline) = (self.allows, self.inline);
        let (used_manifest, used_inline) = (self.used_manifest, self.used_inline);
        let mut out = Vec::new();
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
}
