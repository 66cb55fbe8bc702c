//! `check --format markdown`: a report for a pull-request comment or a GitHub
//! step summary — totals, a table of rules, then the findings of each rule
//! with links to their file and line, long lists collapsed in `<details>`,
//! and the whole cut to stay under GitHub's 1 MiB step-summary limit.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::check::Analysis;
use crate::diagnostic::Diagnostic;
use crate::report::sarif::uri;
use crate::report::terminal::sanitize;
use crate::rules::{self, code_of};

/// GitHub's step-summary limit is 1 MiB; stay a little under it.
pub const SUMMARY_BUDGET: usize = 1024 * 1024 - 4 * 1024;

/// A rule's findings are collapsed when there are more than this many.
const OPEN_FINDINGS: usize = 5;

/// How to render.
#[derive(Debug, Clone)]
pub struct MarkdownOptions {
    /// Where file links point: `{server}/{repository}/blob/{sha}`, or none
    /// for plain `file:line` text.
    pub blob_base: Option<String>,
    /// The most bytes the report may take.
    pub budget: usize,
}

impl MarkdownOptions {
    /// Links built from the variables GitHub Actions sets
    /// (`GITHUB_SERVER_URL`, `GITHUB_REPOSITORY`, `GITHUB_SHA`) when all
    /// three are set; the step-summary budget.
    pub fn from_env() -> MarkdownOptions {
        let var = |name| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let blob_base = match (
            var("GITHUB_SERVER_URL"),
            var("GITHUB_REPOSITORY"),
            var("GITHUB_SHA"),
        ) {
            (Some(server), Some(repo), Some(sha)) => Some(format!(
                "{}/{}/blob/{}",
                server.trim_end_matches('/'),
                repo.trim_matches('/'),
                sha.trim()
            )),
            _ => None,
        };
        MarkdownOptions {
            blob_base,
            budget: SUMMARY_BUDGET,
        }
    }
}

/// Repo text made inert in Markdown: no control characters, no HTML, no
/// links, emphasis or table breaks. Balanced `code` spans stay as they are
/// (nothing inside one is markup); an odd backtick is escaped.
fn text(s: &str) -> String {
    let clean = sanitize(s);
    let balanced = clean.matches('`').count().is_multiple_of(2);
    let mut out = String::with_capacity(clean.len());
    let mut in_code = false;
    for c in clean.chars() {
        match c {
            '`' if balanced => {
                in_code = !in_code;
                out.push(c);
            }
            c if in_code => out.push(c),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' | '[' | ']' | '*' | '_' | '\\' | '`' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// One finding as a list item: severity, linked place, message, help.
fn item(d: &Diagnostic, options: &MarkdownOptions) -> String {
    let place = match &d.span {
        Some(s) => {
            let label = text(&format!("{}:{}", s.file, s.line));
            match &options.blob_base {
                Some(base) => format!("[{label}]({base}/{}#L{})", uri(&s.file), s.line),
                None => label,
            }
        }
        None => "(repository)".to_string(),
    };
    let mut line = format!(
        "- **{}** {place}: {}",
        d.severity.as_str(),
        text(&d.message)
    );
    if let Some(help) = &d.help {
        let _ = write!(line, "<br>help: {}", text(help));
    }
    line.push('\n');
    line
}

/// Renders the report, never longer than `options.budget` bytes (the header
/// and rule table always fit a sane budget; findings are cut, with a line
/// saying how many were left out).
pub fn render(analysis: &Analysis, options: &MarkdownOptions) -> String {
    let mut by_rule: BTreeMap<&str, Vec<&Diagnostic>> = BTreeMap::new();
    for d in &analysis.diagnostics {
        by_rule.entry(code_of(d.rule)).or_default().push(d);
    }
    let (errors, warnings, infos) = analysis.counts();
    let total = analysis.diagnostics.len();
    let mut out = String::from("## pipelint\n\n");
    if total == 0 {
        let _ = writeln!(
            out,
            "No findings in {} ({} nodes, {} edges).",
            plural(analysis.context.sources.len(), "file", "files"),
            analysis.graph.inner.node_count(),
            analysis.graph.inner.edge_count()
        );
        return out;
    }
    let _ = writeln!(
        out,
        "**{}**: {}, {}, {} in {} ({} nodes, {} edges).\n",
        plural(total, "finding", "findings"),
        plural(errors, "error", "errors"),
        plural(warnings, "warning", "warnings"),
        plural(infos, "info", "infos"),
        plural(analysis.context.sources.len(), "file", "files"),
        analysis.graph.inner.node_count(),
        analysis.graph.inner.edge_count()
    );
    out.push_str("| rule | code | severity | findings |\n|---|---|---|---:|\n");
    for (code, findings) in &by_rule {
        let d = findings[0];
        let rule = match rules::find(d.rule) {
            Some(m) => format!("[`{}`]({})", d.rule, m.page_url()),
            None => format!("`{}`", d.rule),
        };
        let mut severities: Vec<&str> = findings.iter().map(|d| d.severity.as_str()).collect();
        severities.dedup();
        let _ = writeln!(
            out,
            "| {rule} | {code} | {} | {} |",
            severities.join(", "),
            findings.len()
        );
    }
    out.push('\n');

    let mut left_out = 0usize;
    for (code, findings) in &by_rule {
        let rule = findings[0].rule;
        let open = findings.len() <= OPEN_FINDINGS;
        let head = if open {
            format!("### `{rule}` ({code})\n\n")
        } else {
            format!(
                "<details><summary><code>{rule}</code> ({code}): {}</summary>\n\n",
                plural(findings.len(), "finding", "findings")
            )
        };
        let tail = if open { "\n" } else { "\n</details>\n\n" };
        // Room for this section's frame and the closing line.
        let reserve = head.len() + tail.len() + 200;
        if out.len() + reserve > options.budget {
            left_out += findings.len();
            continue;
        }
        out.push_str(&head);
        for (i, d) in findings.iter().enumerate() {
            let line = item(d, options);
            if out.len() + line.len() + tail.len() + 200 > options.budget {
                left_out += findings.len() - i;
                break;
            }
            out.push_str(&line);
        }
        out.push_str(tail);
    }
    if left_out > 0 {
        let _ = writeln!(
            out,
            "{} left out to stay under the summary size limit; \
             `pipelint check --format json` lists them all.",
            plural(left_out, "finding", "findings")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_text_cannot_open_html_or_break_tables() {
        assert_eq!(
            text("<img src=x> a|b [x](y) *\u{1b}"),
            "&lt;img src=x&gt; a\\|b \\[x\\](y) \\*\\\\x1b"
        );
        assert_eq!(text("`a_b <c>` d_e"), "`a_b <c>` d\\_e");
        assert_eq!(text("odd ` tick"), "odd \\` tick");
    }
}
