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

/// The repo's `pipeline.toml`, where an allow goes when no comment can:
/// its URI and the text the editor holds.
pub struct Manifest<'a> {
    /// The file's URI.
    pub uri: Uri,
    /// The text the editor holds.
    pub shown: &'a str,
}

/// The actions for the findings of `uri` that `range` touches.
pub fn actions(
    uri: &Uri,
    file: &File<'_>,
    manifest: Option<&Manifest<'_>>,
    findings: &[Finding],
    range: Range,
    encoding: Encoding,
) -> Vec<CodeActionOrCommand> {
    let converter = Converter::new(Arc::from(file.shown), encoding);
    let mut out = Vec::new();
    for f in findings.iter().filter(|f| f.touches(range)) {
        let allow =
            inline(uri, file, f, &converter).or_else(|| in_manifest(manifest?, f, encoding));
        if let Some(action) = allow {
            out.push(CodeActionOrCommand::CodeAction(action));
        }
        if let Some(action) = show_cycle(uri, f) {
            out.push(CodeActionOrCommand::CodeAction(action));
        }
    }
    out
}

/// Whether a finding may be allowed at all: a stale or malformed exception
/// is fixed, not allowed.
fn allowable(f: &Finding) -> bool {
    !matches!(f.diagnostic.rule, "unused-allow" | "invalid-config")
}

/// The inline allow above the finding's line, where a comment can go (a
/// finding about a whole file has no line to put one above).
fn inline(uri: &Uri, file: &File<'_>, f: &Finding, converter: &Converter) -> Option<CodeAction> {
    let d = &f.diagnostic;
    let span = d.span.as_ref()?;
    if !allowable(f) || (span.offset == 0 && span.len == 0) {
        return None;
    }
    let comment =
        crate::add_allow::inline_allow(file.rel, file.read, span.line, d.rule, REASON_PLACEHOLDER)?;
    let at = converter.position(converter.offset_of(span.line, 1));
    Some(allow_action(
        format!(
            "Allow this {} finding here (inline, with a reason to write)",
            d.rule
        ),
        f,
        uri,
        TextEdit::new(Range::new(at, at), comment),
    ))
}

/// The `[[allow]]` entry at the end of `pipeline.toml`, where no comment can
/// go.
fn in_manifest(manifest: &Manifest<'_>, f: &Finding, encoding: Encoding) -> Option<CodeAction> {
    if !allowable(f) {
        return None;
    }
    let mut text = crate::add_allow::manifest_allow_text(&f.diagnostic, REASON_PLACEHOLDER);
    if text.is_empty() {
        return None;
    }
    if !manifest.shown.is_empty() && !manifest.shown.ends_with('\n') {
        text.insert(0, '\n');
    }
    let end = Converter::new(Arc::from(manifest.shown), encoding).position(manifest.shown.len());
    Some(allow_action(
        format!(
            "Allow this {} finding in pipeline.toml ([[allow]], with a reason to write)",
            f.diagnostic.rule
        ),
        f,
        &manifest.uri,
        TextEdit::new(Range::new(end, end), text),
    ))
}

fn allow_action(title: String, f: &Finding, uri: &Uri, edit: TextEdit) -> CodeAction {
    CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![f.lsp.clone()]),
        edit: Some(WorkspaceEdit {
            changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
            ..WorkspaceEdit::default()
        }),
        ..CodeAction::default()
    }
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
