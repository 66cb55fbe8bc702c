//! Opt-in (`PIPELINT_EXTERNAL_TESTS=1`, tools from `.ci/setup.d/40-diagrams.sh`):
//! the diagrams drawn by the real renderers — the DOT by Graphviz's `dot
//! -Tsvg`, the HTML page and the Mermaid (by the `mermaid` npm package) in
//! headless Chromium — with every node drawn.

mod common;

use std::path::Path;
use std::process::Command;

use common::{fixture, pipelint};

/// The diagram of a fixture in one format, and how many boxes it has.
fn diagram(repo: &str, format: &str, extra: &[&str]) -> (String, usize) {
    let path = fixture(repo).to_string_lossy().into_owned();
    let mut args = vec!["graph", path.as_str(), "--format", format];
    args.extend_from_slice(extra);
    let (code, out, stderr) = pipelint(&args);
    assert_eq!(code, 0, "{stderr}");
    let mut json_args = vec!["graph", path.as_str(), "--format", "json", "--collapse"];
    let collapse = extra
        .iter()
        .position(|a| *a == "--collapse")
        .map(|i| extra[i + 1]);
    json_args.push(collapse.unwrap_or("dag"));
    let nodes = match collapse {
        Some(_) => {
            let (_, view, _) = pipelint(&json_args);
            let view: serde_json::Value = serde_json::from_str(&view).unwrap();
            view["nodes"].as_array().unwrap().len()
        }
        None => {
            let g = common::graph_json(&fixture(repo));
            let edges = common::edges(&g);
            g["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|n| {
                    let id = n["id"].as_str().unwrap();
                    !id.starts_with("dag:") || edges.iter().any(|e| e.contains(id))
                })
                .count()
        }
    };
    (out, nodes)
}

fn browser(kind: &str, file: &Path) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diagram/draw.js");
    let out = Command::new("node")
        .arg(script)
        .arg(kind)
        .arg(file)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from draw.js")
}

const CASES: [(&str, &[&str]); 3] = [
    ("acme", &[]),
    ("acme-broken", &[]),
    ("acme", &["--collapse", "dag"]),
];

#[test]
fn graphviz_draws_every_node_of_the_dot() {
    if !common::external_tests() {
        eprintln!("skipped: set PIPELINT_EXTERNAL_TESTS=1 (.ci/run does)");
        return;
    }
    for (repo, extra) in CASES {
        let (dot, nodes) = diagram(repo, "dot", extra);
        let mut child = Command::new("dot")
            .arg("-Tsvg")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("Graphviz `dot` is installed");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(dot.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.is_empty(),
            "{repo}: {stderr}"
        );
        let svg = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            svg.matches("class=\"node\"").count(),
            nodes,
            "{repo} {extra:?}"
        );
    }
}

#[test]
fn chromium_draws_every_node_of_the_html_and_the_mermaid() {
    if !common::external_tests() {
        eprintln!("skipped: set PIPELINT_EXTERNAL_TESTS=1 (.ci/run does)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (repo, extra) in CASES {
        for (format, ext) in [("html", "html"), ("mermaid", "mmd")] {
            let (text, nodes) = diagram(repo, format, extra);
            let file = dir.path().join(format!("{repo}.{ext}"));
            std::fs::write(&file, text).unwrap();
            let drawn = browser(format, &file);
            assert_eq!(drawn["nodes"], nodes, "{repo} {format} {extra:?}: {drawn}");
            assert_eq!(drawn["drawn"], nodes, "{repo} {format} {extra:?}: {drawn}");
            assert_eq!(drawn["errors"], serde_json::json!([]), "{drawn}");
            if format == "html" && repo == "acme" && extra.is_empty() {
                assert_eq!(drawn["hits"], 1, "search finds exec_dashboard");
            }
        }
    }
}
