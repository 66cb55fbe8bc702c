//! GitHub's CODEOWNERS file: the last place owners are inherited from.

use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::span::Span;

/// The CODEOWNERS rules, in file order (the last matching rule wins).
#[derive(Debug, Default)]
pub struct CodeOwners {
    rules: Vec<(globset::GlobSet, String, Span)>,
}

impl CodeOwners {
    /// The owner of a repo-relative path, with the line that says so. Team
    /// handles are shortened to the team name (`@acme/data-eng` → `data-eng`)
    /// so they compare with `[teams]`.
    pub fn owner_of(&self, rel: &str) -> Option<(&str, &Span)> {
        self.rules
            .iter()
            .rev()
            .find(|(set, _, _)| set.is_match(rel))
            .map(|(_, owner, span)| (owner.as_str(), span))
    }
}

/// Reads a CODEOWNERS file; a pattern that does not compile is an
/// `invalid-config` finding on its line.
pub fn parse_codeowners(file: &Arc<str>, text: &str) -> (CodeOwners, Vec<Diagnostic>) {
    let mut owners = CodeOwners::default();
    let mut diags = Vec::new();
    let mut offset = 0;
    for (i, line) in text.split('\n').enumerate() {
        let line_offset = offset;
        offset += line.len() + 1;
        let content = line.split('#').next().unwrap_or("").trim();
        let mut words = content.split_whitespace();
        let (Some(pattern), Some(owner)) = (words.next(), words.next()) else {
            continue;
        };
        let span = Span {
            file: file.clone(),
            line: u32::try_from(i + 1).unwrap_or(u32::MAX),
            column: 1,
            offset: line_offset,
            len: line.len(),
        };
        match compile(pattern) {
            Ok(set) => owners.rules.push((set, short_owner(owner), span)),
            Err(e) => diags.push(
                Diagnostic::new(
                    "invalid-config",
                    format!("CODEOWNERS pattern `{pattern}` does not compile: {e}"),
                )
                .at(Some(span))
                .help("CODEOWNERS patterns follow .gitignore syntax"),
            ),
        }
    }
    (owners, diags)
}

/// `@org/team` → `team`, `@user` → `user`; e-mail addresses stay as they are.
fn short_owner(owner: &str) -> String {
    let o = owner.trim_start_matches('@');
    o.rsplit_once('/').map_or(o, |(_, team)| team).to_string()
}

/// Translates a .gitignore-style pattern to globs over repo-relative paths.
fn compile(pattern: &str) -> Result<globset::GlobSet, globset::Error> {
    let anchored = pattern.starts_with('/') || pattern.trim_end_matches('/').contains('/');
    let body = pattern.trim_start_matches('/');
    let dir_only = body.ends_with('/');
    let body = body.trim_end_matches('/');
    let base = if anchored {
        body.to_string()
    } else {
        format!("**/{body}")
    };
    let mut builder = globset::GlobSetBuilder::new();
    if !dir_only {
        builder.add(
            globset::GlobBuilder::new(&base)
                .literal_separator(true)
                .build()?,
        );
    }
    builder.add(
        globset::GlobBuilder::new(&format!("{base}/**"))
            .literal_separator(true)
            .build()?,
    );
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_matching_rule_wins() {
        let file: Arc<str> = Arc::from("CODEOWNERS");
        let (owners, diags) = parse_codeowners(
            &file,
            "* @acme/data-eng\n/sql/ @acme/analytics-eng # curated\n*.py @alice\n",
        );
        assert!(diags.is_empty());
        assert_eq!(
            owners.owner_of("sql/fct.sql").map(|o| o.0),
            Some("analytics-eng")
        );
        assert_eq!(owners.owner_of("dags/x.py").map(|o| o.0), Some("alice"));
        assert_eq!(
            owners.owner_of("README.md").map(|(o, s)| (o, s.line)),
            Some(("data-eng", 1))
        );
    }
}
