//! Property tests over every input kind: any bytes, and fixtures cut,
//! spliced and salted with hostile pieces, give diagnostics — never a panic.
//! (The mutation fuzzer, `cargo run --release --example fuzz`, runs the
//! same kinds for longer.)

mod fuzz_kinds;

use fuzz_kinds::{Kind, Scratch, HOSTILE};
use proptest::prelude::*;

/// Inputs for a kind: arbitrary bytes, or a seed with pieces replaced by
/// hostile text, or a hostile piece repeated many times.
fn inputs(kind: Kind) -> impl Strategy<Value = Vec<u8>> {
    let seeds = kind.seeds();
    let hostile = proptest::sample::select(HOSTILE.to_vec());
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        (
            proptest::sample::select(seeds),
            proptest::collection::vec((any::<prop::sample::Index>(), hostile.clone()), 0..8)
        )
            .prop_map(|(seed, edits)| {
                let mut out = seed;
                for (at, piece) in edits {
                    let i = at.index(out.len() + 1);
                    out.splice(i..i, piece.bytes());
                }
                out
            }),
        (hostile, 1usize..2000).prop_map(|(piece, n)| piece.repeat(n).into_bytes()),
    ]
}

fn never_panics(kind: Kind) {
    let scratch = Scratch::new(kind);
    let config = ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(input in inputs(kind))| {
        scratch.run(&input);
    });
}

#[test]
fn any_sql_gives_diagnostics() {
    never_panics(Kind::Sql);
}

#[test]
fn any_python_gives_diagnostics() {
    never_panics(Kind::Python);
}

#[test]
fn any_jinja_model_gives_diagnostics() {
    never_panics(Kind::JinjaModel);
}

#[test]
fn any_schema_yaml_gives_diagnostics() {
    never_panics(Kind::SchemaYaml);
}

#[test]
fn any_dbt_project_gives_diagnostics() {
    never_panics(Kind::DbtProject);
}

#[test]
fn any_pipeline_toml_gives_diagnostics() {
    never_panics(Kind::PipelineToml);
}

#[test]
fn any_codeowners_gives_diagnostics() {
    never_panics(Kind::CodeOwners);
}

#[test]
fn any_manifest_json_gives_diagnostics() {
    never_panics(Kind::ManifestJson);
}
