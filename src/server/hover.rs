//! Hover on a finding: what it says, how to fix it, and its rule's page
//! (`rules/<slug>.md`, the text `pipelint explain` prints) with the page's
//! link, as the SARIF report gives it.

use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind, Position, Range};

use super::diagnostics::Finding;

/// The hover for the findings whose range holds `position`, `None` when
/// there are none, in `format` (the rule pages are Markdown, which reads as
/// plain text too).
pub fn hover(findings: &[Finding], position: Position, format: MarkupKind) -> Option<Hover> {
    let here: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.touches(Range::new(position, position)))
        .collect();
    let first = here.first()?;
    let sections: Vec<String> = here.iter().map(|f| section(f)).collect();
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: format,
            value: sections.join("\n\n---\n\n"),
        }),
        range: Some(first.lsp.range),
    })
}

fn section(finding: &Finding) -> String {
    let d = &finding.diagnostic;
    let mut text = format!(
        "**{} {}**: {}",
        crate::rules::code_of(d.rule),
        d.rule,
        d.message
    );
    if let Some(help) = &d.help {
        text.push_str(&format!("\n\nhelp: {help}"));
    }
    if let Some(meta) = crate::rules::find(d.rule) {
        text.push_str(&format!(
            "\n\n{}\n\n[{} on the web]({})",
            meta.doc.trim_end(),
            meta.slug,
            meta.page_url()
        ));
    }
    text
}
