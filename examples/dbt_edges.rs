//! Dumps what the dbt parser emits for every model and snapshot of a repo,
//! before the graph builder resolves anything: the node's refs and sources as
//! written, whether it rendered, whether a data test guards it (also for
//! sources), and the parser's diagnostics. Used to
//! compare pipelint's edges with the `depends_on` of dbt's `manifest.json`.
//!
//! `cargo run --release --example dbt_edges -- PATH [--dbt-manifest] > edges.json`

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;

use pipelint::facts::{DataRef, JobKind};

fn main() {
    let mut root = None;
    let mut use_manifest = false;
    for arg in std::env::args().skip(1) {
        if arg == "--dbt-manifest" {
            use_manifest = true;
        } else {
            root = Some(PathBuf::from(arg));
        }
    }
    let Some(root) = root else {
        eprintln!("usage: dbt_edges PATH [--dbt-manifest]");
        std::process::exit(2);
    };
    let workspace = match pipelint::workspace::Workspace::at_root(&root) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("dbt_edges: {e}");
            std::process::exit(2);
        }
    };
    let discovery = pipelint::discover::discover(&workspace.root);
    let parsed =
        pipelint::parse::parse_repo(&discovery, &workspace, true, use_manifest, None, None);
    let checked: HashSet<&DataRef> = parsed
        .facts
        .datasets
        .iter()
        .filter(|d| d.checked)
        .map(|d| &d.name.value)
        .collect();
    let mut nodes = BTreeMap::new();
    let mut duplicates = Vec::new();
    for job in &parsed.facts.jobs {
        if !matches!(job.kind, JobKind::Model | JobKind::Snapshot) {
            continue;
        }
        let mut refs = Vec::new();
        let mut sources = Vec::new();
        for read in &job.reads {
            match &read.value {
                DataRef::Model { name, version, .. } => refs.push(match version {
                    Some(v) => format!("{name}.v{v}"),
                    None => name.clone(),
                }),
                DataRef::DbtSource { source, table } => sources.push(format!("{source}.{table}")),
                DataRef::Table(_) | DataRef::Uri(_) => {}
            }
        }
        refs.sort();
        refs.dedup();
        sources.sort();
        sources.dedup();
        let entry = serde_json::json!({
            "file": job.span.file.as_ref(),
            "refs": refs,
            "sources": sources,
            "partial": job.partial,
            "checked": job.writes.iter().any(|w| checked.contains(&w.value)),
        });
        if let Some(previous) = nodes.insert(job.id.clone(), entry) {
            duplicates.push(serde_json::json!({ "id": job.id, "previous": previous }));
        }
    }
    let checked_sources: BTreeSet<&str> = parsed
        .facts
        .sources
        .iter()
        .filter(|s| {
            s.lands_in
                .as_ref()
                .is_some_and(|l| checked.contains(&l.value))
        })
        .map(|s| s.name.as_str())
        .collect();
    let diagnostics: Vec<serde_json::Value> = parsed
        .facts
        .diagnostics
        .iter()
        .map(|d| {
            serde_json::json!({
                "rule": d.rule,
                "node": d.node,
                "message": d.message,
                "file": d.span.as_ref().map(|s| s.file.to_string()),
                "line": d.span.as_ref().map(|s| s.line),
            })
        })
        .collect();
    let out = serde_json::json!({
        "nodes": nodes,
        "checked_sources": checked_sources,
        "duplicate_ids": duplicates,
        "diagnostics": diagnostics,
    });
    println!("{out}");
}
