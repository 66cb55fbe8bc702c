//! Model and snapshot files: rendering each with the recording environment
//! and, when a template cannot render, falling back to the literal
//! `ref`/`source` calls in its tokens so no edge is lost.

use std::sync::Arc;

use super::config::PartialConfig;
use super::jinja::objects::NodeInfo;
use super::jinja::recorder::{RecordedRef, Recording};
use super::jinja::DbtJinja;
use super::template_scan::{rewrite_and_scan, CallKind, CallSite};
use crate::facts::{DataRef, Located};
use crate::span::{LineIndex, Span};

/// What kind of dbt node a file defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeKind {
    /// A model (`model:<name>`).
    Model,
    /// A snapshot (`snapshot:<name>`).
    Snapshot,
    /// A seed (`seed:<name>`).
    Seed,
}

impl NodeKind {
    /// The node id prefix and dbt resource type.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Model => "model",
            NodeKind::Snapshot => "snapshot",
            NodeKind::Seed => "seed",
        }
    }
}

/// A node file of some package.
#[derive(Debug, Clone)]
pub struct NodeFile {
    /// The package (project name).
    pub package: String,
    /// Model, snapshot or seed.
    pub kind: NodeKind,
    /// The node name (file stem, or the snapshot block's name).
    pub name: String,
    /// Repo-relative path.
    pub rel: Arc<str>,
    /// Path relative to the project.
    pub project_path: String,
    /// Folders between the resource path and the file.
    pub folders: Vec<String>,
}

/// The outcome of rendering one node.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RenderedNode {
    /// Reads, in first-call order, deduplicated, with the call's span.
    pub reads: Vec<Located<DataRef>>,
    /// Configuration set by `config()` calls.
    pub config: PartialConfig,
    /// Set when rendering failed: the message and where.
    pub failure: Option<(String, Span)>,
    /// Package namespaces used but not installed.
    pub missing_namespaces: Vec<String>,
}

/// A hash of all [`render_node`] reads: the environment's fingerprint, the
/// node's file, the content hash of its text (`content`) and what `this`
/// is made of. Two calls with one key render alike, so a render can be
/// reused under it (see [`crate::cache::memo`]).
pub fn render_key(
    jinja: &DbtJinja,
    node: &NodeFile,
    content: crate::cache::Hash,
    preconfig: &PartialConfig,
) -> crate::cache::Hash {
    use std::hash::Hash;
    let value = |s: &Option<super::config::Setting<String>>| s.as_ref().map(|s| s.value.clone());
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    jinja.fingerprint().hash(&mut h);
    (
        node.rel.as_ref(),
        node.kind.as_str(),
        &node.package,
        &node.name,
    )
        .hash(&mut h);
    (&node.project_path, content).hash(&mut h);
    (
        value(&preconfig.database),
        value(&preconfig.schema),
        value(&preconfig.alias),
    )
        .hash(&mut h);
    h.digest128()
}

/// Renders a model or snapshot whose file holds `written`, with
/// `preconfig` (folder and YAML configuration) giving `this`.
pub fn render_node(
    jinja: &DbtJinja,
    node: &NodeFile,
    written: &str,
    preconfig: &PartialConfig,
) -> RenderedNode {
    let (text, _, calls) = rewrite_and_scan(written);
    let info = NodeInfo {
        package: node.package.clone(),
        name: node.name.clone(),
        resource_type: node.kind.as_str(),
        path: node.project_path.clone(),
        database: preconfig.database.as_ref().map(|s| s.value.clone()),
        schema: preconfig.schema.as_ref().map(|s| s.value.clone()),
        alias: preconfig
            .alias
            .as_ref()
            .map_or_else(|| node.name.clone(), |s| s.value.clone()),
    };
    let rendered = jinja.render(&node.rel, &text, info);
    // Offsets into the rewritten text are offsets into the file when the
    // rewrite kept every byte (it does, but for `{% test %}` blocks): then
    // columns are counted in the file as written.
    let written: &str = if text.len() == written.len() {
        written
    } else {
        &text
    };
    let index = LineIndex::new(written);
    let site_span = |call: &CallSite| index.span(&node.rel, written, call.start, call.end);
    let failure = rendered.output.as_ref().err().map(|(message, line)| {
        let line = line.unwrap_or(1);
        let offset = index.offset(written, line, 1);
        (
            message.clone(),
            index.span(&node.rel, written, offset, offset),
        )
    });
    let mut recording = rendered.recording;
    if failure.is_some() {
        add_literal_calls(&calls, &mut recording);
    }
    let reads = located_reads(&recording, &calls, &site_span, &node.rel);
    RenderedNode {
        reads,
        config: recording.config,
        failure,
        missing_namespaces: recording.missing_namespaces.into_iter().collect(),
    }
}

/// The reads of a node whose file holds `written`, known without
/// rendering it (dbt's manifest lists them), each located at its call in
/// the file as rendering locates it.
pub fn known_reads(
    node: &NodeFile,
    written: &str,
    refs: Vec<RecordedRef>,
    sources: Vec<(String, String)>,
) -> Vec<Located<DataRef>> {
    let (text, _, calls) = rewrite_and_scan(written);
    let written: &str = if text.len() == written.len() {
        written
    } else {
        &text
    };
    let index = LineIndex::new(written);
    let site_span = |call: &CallSite| index.span(&node.rel, written, call.start, call.end);
    let recording = Recording {
        refs,
        sources,
        ..Recording::default()
    };
    located_reads(&recording, &calls, &site_span, &node.rel)
}

/// The calls a template writes with literal arguments, as if recorded: the
/// fallback when it cannot render.
fn add_literal_calls(calls: &[CallSite], recording: &mut Recording) {
    for call in calls.iter().filter(|c| c.is_literal()) {
        let args: Vec<String> = call.args.iter().flatten().cloned().collect();
        let version = call
            .kwarg("version")
            .or(call.kwarg("v"))
            .map(str::to_string);
        match (call.kind, args.as_slice()) {
            (CallKind::Ref, [name]) => recording.refs.push(RecordedRef {
                package: call.kwarg("package").map(str::to_string),
                name: name.clone(),
                version,
            }),
            (CallKind::Ref, [package, name]) => recording.refs.push(RecordedRef {
                package: Some(package.clone()),
                name: name.clone(),
                version,
            }),
            (CallKind::Source, [source, table]) => {
                recording.sources.push((source.clone(), table.clone()));
            }
            _ => {}
        }
    }
}

/// Recorded refs and sources as reads, each at the literal call that names
/// it, else the first call of its kind written with a computed argument,
/// else the file's start (a call inside a macro).
fn located_reads(
    recording: &Recording,
    calls: &[CallSite],
    site_span: &dyn Fn(&CallSite) -> Span,
    file: &Arc<str>,
) -> Vec<Located<DataRef>> {
    let mut out: Vec<Located<DataRef>> = Vec::new();
    let mut push = |data: DataRef, span: Span| {
        if !out.iter().any(|l| l.value == data) {
            out.push(Located::new(data, span));
        }
    };
    let literal = |kind: CallKind, args: &[&str]| {
        calls.iter().find(|c| {
            c.kind == kind
                && c.args.len() == args.len()
                && c.args
                    .iter()
                    .zip(args)
                    .all(|(a, b)| a.as_deref() == Some(*b))
        })
    };
    let computed = |kind: CallKind| calls.iter().find(|c| c.kind == kind && !c.is_literal());
    for r in &recording.refs {
        let site = match &r.package {
            Some(p) => {
                literal(CallKind::Ref, &[p, &r.name]).or_else(|| literal(CallKind::Ref, &[&r.name]))
            }
            None => literal(CallKind::Ref, &[&r.name]),
        }
        .or_else(|| computed(CallKind::Ref));
        let span = site.map_or_else(|| Span::file_start(file), site_span);
        push(
            DataRef::Model {
                package: r.package.clone(),
                name: r.name.clone(),
                version: r.version.clone(),
            },
            span,
        );
    }
    for (source, table) in &recording.sources {
        let site =
            literal(CallKind::Source, &[source, table]).or_else(|| computed(CallKind::Source));
        let span = site.map_or_else(|| Span::file_start(file), site_span);
        push(
            DataRef::DbtSource {
                source: source.clone(),
                table: table.clone(),
            },
            span,
        );
    }
    out
}
