//! Runs the Airflow DAG-file reader over a folder and reports what it found
//! and how fast: `cargo run --release --example airflow_scan -- DIR [ROUNDS]`.
//!
//! Counts Python files, Airflow files (importing `airflow`), files with at
//! least one DAG / one task, parse errors and unresolved-dynamic notes, and
//! times the parse of all Airflow files (texts already in memory).
//! With `AIRFLOW_SCAN_DUMP=out.json` it also writes every DAG's task ids and
//! upstream edges, to compare with what Airflow's DagBag loads.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use pipelint::discover::{discover, FileKind};
use pipelint::facts::EdgeKind;
use pipelint::files::read_text;
use pipelint::parse::airflow::{file_airflow_version, parse_airflow_file};
use pipelint::parse::ParseContext;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        eprintln!("usage: airflow_scan DIR [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(20);
    let discovery = discover(&dir);
    let context = ParseContext {
        root: dir.clone(),
        dialect: pipelint::sql_dialect::SqlDialect::default(),
        paths: discovery.all_paths.iter().cloned().collect(),
        include_packages: false,
        dbt_manifest: false,
        sources: Default::default(),
        overlay: None,
        memo: None,
    };
    let mut files: Vec<(Arc<str>, String)> = Vec::new();
    let mut python = 0;
    for f in discovery
        .files
        .iter()
        .filter(|f| f.kind == FileKind::Python)
    {
        python += 1;
        if let Ok(text) = read_text(&f.path, &f.rel) {
            if file_airflow_version(&f.rel, &text).is_some() {
                files.push((f.rel.clone(), text));
            }
        }
    }
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    let (mut with_dag, mut with_task, mut tasks, mut after, mut triggers) = (0, 0, 0, 0, 0);
    let mut errors = Vec::new();
    let mut dynamic = Vec::new();
    for (rel, text) in &files {
        let f = parse_airflow_file(rel, text, &context);
        with_dag += usize::from(!f.dags.is_empty());
        with_task += usize::from(!f.jobs.is_empty());
        tasks += f.jobs.len();
        after += f.edges.iter().filter(|e| e.kind == EdgeKind::After).count();
        triggers += f
            .edges
            .iter()
            .filter(|e| e.kind == EdgeKind::Triggers)
            .count();
        for d in &f.diagnostics {
            let line = d.span.as_ref().map_or(0, |s| s.line);
            let entry = format!("{rel}:{line}: {}", d.message);
            match d.rule {
                "parse-error" => errors.push(entry),
                "unresolved-dynamic" => dynamic.push(entry),
                _ => {}
            }
        }
        if f.jobs.is_empty() {
            println!("no task: {rel} (dags: {})", f.dags.len());
        }
    }
    if let Ok(out) = std::env::var("AIRFLOW_SCAN_DUMP") {
        let mut dags = serde_json::Map::new();
        for (rel, text) in &files {
            let f = parse_airflow_file(rel, text, &context);
            for d in &f.dags {
                let prefix = format!("task:{}.", d.id);
                let mut tasks: Vec<String> = f
                    .jobs
                    .iter()
                    .filter(|j| j.dag.as_deref() == Some(d.id.as_str()))
                    .map(|j| j.name.clone())
                    .collect();
                tasks.sort();
                let mut edges: Vec<String> = f
                    .edges
                    .iter()
                    .filter(|e| e.kind == EdgeKind::After && e.from.starts_with(&prefix))
                    .map(|e| {
                        format!(
                            "{} -> {}",
                            &e.from[prefix.len()..],
                            e.to.strip_prefix(&prefix).unwrap_or(&e.to)
                        )
                    })
                    .collect();
                edges.sort();
                dags.insert(
                    d.id.clone(),
                    serde_json::json!({"file": rel.as_ref(), "tasks": tasks, "edges": edges}),
                );
            }
        }
        let doc = serde_json::json!({ "dags": dags });
        std::fs::write(&out, serde_json::to_string_pretty(&doc).unwrap_or_default())
            .unwrap_or_else(|e| eprintln!("cannot write {out}: {e}"));
    }
    let start = Instant::now();
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .expect("the grammar loads");
    for _ in 0..rounds {
        for (_, text) in &files {
            std::hint::black_box(parser.parse(text, None));
        }
    }
    let syntax_secs = start.elapsed().as_secs_f64() / rounds as f64;
    let start = Instant::now();
    for _ in 0..rounds {
        for (rel, text) in &files {
            std::hint::black_box(parse_airflow_file(rel, text, &context));
        }
    }
    let secs = start.elapsed().as_secs_f64() / rounds as f64;
    println!("python files: {python}");
    println!(
        "airflow files: {} ({:.2} MB)",
        files.len(),
        bytes as f64 / 1e6
    );
    println!("with >=1 DAG: {with_dag}; with >=1 task: {with_task}");
    println!("tasks: {tasks}; after edges: {after}; triggers edges: {triggers}");
    println!("parse errors: {}", errors.len());
    for e in &errors {
        println!("  {e}");
    }
    println!("files with unresolved-dynamic: {}", dynamic.len());
    for e in &dynamic {
        println!("  {}", e.chars().take(300).collect::<String>());
    }
    println!(
        "tree-sitter parse alone: {:.1} ms per pass, {:.1} MB/s",
        syntax_secs * 1e3,
        bytes as f64 / 1e6 / syntax_secs
    );
    println!(
        "single thread: {:.1} ms per pass, {:.0} files/s, {:.1} MB/s",
        secs * 1e3,
        files.len() as f64 / secs,
        bytes as f64 / 1e6 / secs
    );
}
