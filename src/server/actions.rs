//! Code actions on findings: "allow this finding" (the inline allow
//! `check --add-allow` would write, with a reason to fill in), and "show the
//! cycle" (every hop of a `dag-cycle`, as a location list).

use std::collections::HashMap;
use std::sync::Arc;

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, Command, Location, Range, TextEdit, Uri,
    WorkspaceEdit,
};

use super::diagnostics::Finding;
use super::positions::{Converter, Encoding};

/// The reason written into an allow, for the person to replace.
pub const REASON_PLACEHOLDER: &str = "TODO: why this is accepted";

/// The command "show the cycle" runs: its arguments are the finding's URI,
/// position and every place of the cycle (the shape of VS Code's
/// `editor.action.showReferences`); run on the server, it answers with the
/// places and shows them as a message.
pub const SHOW_CYCLE: &str = "pipelint.showCycle";

/// The file an action edits: its repo-relative path, the text pipelint read
/// (where an allow may go is decided on it), and the text the editor holds
/// (positions are counted in it).
pub struct File<'a> {
    /// The repo-relative path.
    pub rel: &'a Arc<str>,
    /// The text the analysis read.
    pub read: &'a str,
    /// The text the editor holds.
    pub shown: &'a str,
}

/// The actions for the findings of `uri` that `range` touches.
pub fn actions(
    uri: &Uri,
    file: &File<'_>,
    findings: &[Finding],
    range: Range,
    encoding: Encoding,
) -> Vec<CodeActionOrCommand> {
    let converter = Converter::new(Arc::from(file.shown), encoding);
    let mut out = Vec::new();
    for f in findings.iter().filter(|f| f.touches(range)) {
        if let Some(action) = allow(uri, file, f, &converter) {
            out.push(CodeActionOrCommand::CodeAction(action));
        }
        if let Some(action) = show_cycle(uri, f) {
            out.push(CodeActionOrCommand::CodeAction(action));
        }
    }
    out
}

fn allow(uri: &Uri, file: &File<'_>, f: &Finding, converter: &Converter) -> Option<CodeAction> {
    let d = &f.diagnostic;
    let span = d.span.as_ref()?;
    // A stale or malformed exception is fixed, not allowed; a finding about
    // a whole file has no line to put a comment above.
    if matches!(d.rule, "unused-allow" | "invalid-config") || (span.offset == 0 && span.len == 0) {
        return None;
    }
    let comment =
        crate::add_allow::inline_allow(file.rel, file.read, span.line, d.rule, REASON_PLACEHOLDER)?;
    let at = converter.position(converter.offset_of(span.line, 1));
    let edit = TextEdit::new(Range::new(at, at), comment);
    Some(CodeAction {
        title: format!(
            "Allow this {} finding here (inline, with a reason to write)",
            d.rule
        ),
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![f.lsp.clone()]),
        edit: Some(WorkspaceEdit {
            changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
            ..WorkspaceEdit::default()
        }),
        ..CodeAction::default()
    })
}

fn show_cycle(uri: &Uri, f: &Finding) -> Option<CodeAction> {
    if f.diagnostic.rule != "dag-cycle" {
        return None;
    }
    let places: Vec<Location> = f
        .lsp
        .related_information
        .iter()
        .flatten()
        .map(|r| r.location.clone())
        .collect();
    let arguments = vec![
        serde_json::to_value(uri).ok()?,
        serde_json::to_value(f.lsp.range.start).ok()?,
        serde_json::to_value(&places).ok()?,
    ];
    let title = format!("Show the cycle ({} places)", places.len());
    Some(CodeAction {
        title: title.clone(),
        diagnostics: Some(vec![f.lsp.clone()]),
        command: Some(Command::new(title, SHOW_CYCLE.into(), Some(arguments))),
        ..CodeAction::default()
    })
}

/// What running [`SHOW_CYCLE`] on the server answers: the places of its
/// arguments, and a message walking them (`file:line` each, 1-based).
pub fn run_show_cycle(
    arguments: &[serde_json::Value],
    root: &std::path::Path,
) -> Option<(Vec<Location>, String)> {
    let places: Vec<Location> = serde_json::from_value(arguments.get(2)?.clone()).ok()?;
    let hops: Vec<String> = places
        .iter()
        .map(|l| {
            let file = super::documents::path_of(&l.uri)
                .and_then(|p| p.strip_prefix(root).ok().map(|p| p.display().to_string()))
                .unwrap_or_else(|| l.uri.as_str().to_string());
            format!("{file}:{}", l.range.start.line + 1)
        })
        .collect();
    let message = format!("cycle: {}", hops.join(" → "));
    Some((places, message))
}
