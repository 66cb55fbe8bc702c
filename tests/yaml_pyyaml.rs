//! YAML as PyYAML (which dbt uses) reads it: each file of `fixtures/yaml`
//! is named for what PyYAML does with it (`accept_*`, `reject_*`), and
//! pipelint's YAML reader must agree. The opt-in test checks the names
//! against PyYAML itself.

mod common;

use std::path::PathBuf;

fn corpus() -> Vec<(PathBuf, bool)> {
    let dir = common::fixture("yaml");
    let mut files: Vec<(PathBuf, bool)> = std::fs::read_dir(&dir)
        .expect("the YAML corpus")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                name.starts_with("accept_") || name.starts_with("reject_"),
                "{name}: corpus files are named accept_* or reject_*"
            );
            let accept = name.starts_with("accept_");
            (p, accept)
        })
        .collect();
    files.sort();
    assert!(files.len() >= 8, "the corpus is there");
    files
}

#[test]
fn pipelint_reads_yaml_as_pyyaml_does() {
    for (path, accept) in corpus() {
        let text = std::fs::read_to_string(&path).unwrap();
        let parsed = pipelint::parse::dbt::yaml::parse(&text);
        assert_eq!(parsed.is_ok(), accept, "{}: {parsed:?}", path.display());
    }
}

#[test]
fn the_corpus_is_named_for_what_pyyaml_does() {
    if !common::external_tests() {
        eprintln!("skipped: PIPELINT_EXTERNAL_TESTS is not 1 (PyYAML comparison)");
        return;
    }
    let python = common::venv_python().expect("the PyYAML venv from .ci/setup.d");
    for (path, accept) in corpus() {
        let out = std::process::Command::new(&python)
            .args([
                "-c",
                "import sys, yaml\nyaml.safe_load(open(sys.argv[1], encoding='utf-8'))",
            ])
            .arg(&path)
            .output()
            .expect("python runs");
        assert_eq!(
            out.status.success(),
            accept,
            "{}: PyYAML says {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
