//! Which rules run and how severe their findings are: `[rules]` in the
//! manifest and `--select`/`--ignore` on the command line.

use std::collections::{HashMap, HashSet};

use crate::diagnostic::{Diagnostic, Severity};
use crate::manifest::RuleSettings;
use crate::rules::{all, RuleMeta};

/// The resolved rule configuration.
#[derive(Debug, Default)]
pub struct Selection {
    disabled: HashSet<&'static str>,
    severity: HashMap<&'static str, Severity>,
}

/// The rules a name stands for: a slug, a code, or a code prefix (`PL4`).
pub fn matching(name: &str) -> Vec<&'static RuleMeta> {
    let upper = name.to_ascii_uppercase();
    all()
        .into_iter()
        .filter(|m| {
            m.slug.eq_ignore_ascii_case(name)
                || (upper.starts_with("PL") && m.code.starts_with(&upper))
        })
        .collect()
}

/// Refuses a CLI rule name that names no rule, with the closest one.
pub fn check_names(select: &[String], ignore: &[String]) -> Result<(), String> {
    for name in select.iter().chain(ignore) {
        if matching(name).is_empty() {
            let hint = crate::suggest::closest(name, all().iter().map(|m| m.slug))
                .map(|h| format!(" (did you mean `{h}`?)"))
                .unwrap_or_default();
            return Err(format!(
                "unknown rule `{name}`{hint}; `pipelint rules` lists them"
            ));
        }
    }
    Ok(())
}

impl Selection {
    /// Combines the manifest's `[rules]` with the CLI's lists. Unknown names in
    /// the manifest are `invalid-config` findings; unknown CLI names are
    /// returned as an error (the run cannot start with a typo in its flags).
    pub fn new(
        settings: &RuleSettings,
        select: &[String],
        ignore: &[String],
    ) -> Result<(Selection, Vec<Diagnostic>), String> {
        let mut s = Selection::default();
        let mut diags = Vec::new();
        check_names(select, ignore)?;
        if !select.is_empty() {
            let chosen: HashSet<&str> = select
                .iter()
                .flat_map(|n| matching(n))
                .map(|m| m.slug)
                .collect();
            s.disabled.extend(
                all()
                    .iter()
                    .map(|m| m.slug)
                    .filter(|slug| !chosen.contains(slug)),
            );
        }
        for name in ignore {
            s.disabled.extend(matching(name).iter().map(|m| m.slug));
        }
        for name in &settings.ignore {
            let found = matching(&name.value);
            if found.is_empty() {
                diags.push(unknown_rule(&name.value, &name.span));
            }
            s.disabled.extend(found.iter().map(|m| m.slug));
        }
        for (name, severity) in &settings.severity {
            let found = matching(&name.value);
            if found.is_empty() {
                diags.push(unknown_rule(&name.value, &name.span));
            }
            for m in found {
                s.severity.insert(m.slug, *severity);
            }
        }
        Ok((s, diags))
    }

    /// Whether a rule runs.
    pub fn enabled(&self, slug: &str) -> bool {
        !self.disabled.contains(slug)
    }

    /// Drops findings of disabled rules and sets every finding's severity.
    pub fn apply(&self, diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
        diags
            .into_iter()
            .filter(|d| self.enabled(d.rule))
            .map(|mut d| {
                d.severity = self
                    .severity
                    .get(d.rule)
                    .copied()
                    .or_else(|| crate::rules::find(d.rule).map(|m| m.default_severity))
                    .unwrap_or(Severity::Error);
                if let Some(cap) = d.at_most {
                    d.severity = d.severity.min(cap);
                }
                d
            })
            .collect()
    }
}

/// An `invalid-config` finding for a rule name that names no rule.
pub fn unknown_rule(name: &str, span: &crate::span::Span) -> Diagnostic {
    let hint = crate::suggest::closest(name, all().iter().map(|m| m.slug))
        .map(|h| format!("did you mean `{h}`? "))
        .unwrap_or_default();
    Diagnostic::new("invalid-config", format!("unknown rule `{name}`"))
        .at(Some(span.clone()))
        .help(format!(
            "{hint}`pipelint rules` lists every rule's slug and code"
        ))
}
