//! The input kinds fuzzed by the property tests (tests/proptests.rs) and
//! the mutation fuzzer (examples/fuzz.rs): where a file of each kind goes
//! in a repo, what else the repo needs for it to be read, and seeds from the
//! fixtures.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

/// One kind of input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sql,
    Python,
    JinjaModel,
    SchemaYaml,
    DbtProject,
    PipelineToml,
    CodeOwners,
    ManifestJson,
}

/// Every kind, with its command-line name.
pub const KINDS: [(Kind, &str); 8] = [
    (Kind::Sql, "sql"),
    (Kind::Python, "python"),
    (Kind::JinjaModel, "jinja"),
    (Kind::SchemaYaml, "schema-yaml"),
    (Kind::DbtProject, "dbt-project"),
    (Kind::PipelineToml, "pipeline-toml"),
    (Kind::CodeOwners, "codeowners"),
    (Kind::ManifestJson, "manifest-json"),
];

const PROJECT: &str = "name: fz\nversion: '1.0'\nconfig-version: 2\nprofile: fz\n";

impl Kind {
    /// The kind named `name` on the command line.
    pub fn named(name: &str) -> Option<Kind> {
        KINDS.iter().find(|(_, n)| *n == name).map(|(k, _)| *k)
    }

    /// Where the fuzzed file goes in the repo.
    pub fn path(self) -> &'static str {
        match self {
            Kind::Sql => "sql/fuzz.sql",
            Kind::Python => "dags/fuzz.py",
            Kind::JinjaModel => "dbt/models/fuzz.sql",
            Kind::SchemaYaml => "dbt/models/schema.yml",
            Kind::DbtProject => "dbt/dbt_project.yml",
            Kind::PipelineToml => "pipeline.toml",
            Kind::CodeOwners => ".github/CODEOWNERS",
            Kind::ManifestJson => "dbt/target/manifest.json",
        }
    }

    /// Whether the run reads dbt's manifest.json.
    pub fn dbt_manifest(self) -> bool {
        self == Kind::ManifestJson
    }

    /// Seed inputs from the fixtures (files whose name fits the kind).
    pub fn seeds(self) -> Vec<Vec<u8>> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut files = Vec::new();
        walk(&root, &mut files);
        files.sort();
        let mut seeds: Vec<Vec<u8>> = files
            .iter()
            .filter(|p| self.fits(p))
            .filter_map(|p| fs::read(p).ok())
            .collect();
        if seeds.is_empty() {
            seeds.push(b"x".to_vec());
        }
        seeds
    }

    fn fits(self, p: &Path) -> bool {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let path = p.to_string_lossy();
        let in_dbt = path.contains("/dbt/") || path.contains("/models/");
        match self {
            Kind::Sql => name.ends_with(".sql") && !in_dbt,
            Kind::Python => name.ends_with(".py"),
            Kind::JinjaModel => name.ends_with(".sql") && in_dbt,
            Kind::SchemaYaml => {
                (name.ends_with(".yml") || name.ends_with(".yaml")) && name != "dbt_project.yml"
            }
            Kind::DbtProject => name == "dbt_project.yml",
            Kind::PipelineToml => name == "pipeline.toml",
            Kind::CodeOwners => name == "CODEOWNERS",
            Kind::ManifestJson => name == "manifest.json",
        }
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// A scratch repo for one kind: the fuzzed file plus what makes it read.
pub struct Scratch {
    dir: tempfile::TempDir,
    kind: Kind,
    /// Workers with the stacks every front end gives them (`pipelint`'s
    /// CLI and server: 16 MB), so a crash found here is one users meet.
    pool: rayon::ThreadPool,
}

impl Scratch {
    /// A repo ready for inputs of `kind`.
    pub fn new(kind: Kind) -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("sql")).unwrap();
        fs::write(
            root.join("sql/base.sql"),
            "CREATE TABLE analytics.base AS SELECT * FROM raw.base;\n",
        )
        .unwrap();
        if matches!(
            kind,
            Kind::JinjaModel | Kind::SchemaYaml | Kind::ManifestJson
        ) {
            fs::create_dir_all(root.join("dbt/models")).unwrap();
            fs::write(root.join("dbt/dbt_project.yml"), PROJECT).unwrap();
            fs::write(
                root.join("dbt/models/stg.sql"),
                "select * from {{ source('raw', 'orders') }}\n",
            )
            .unwrap();
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .stack_size(16 * 1024 * 1024)
            .build()
            .expect("worker threads start");
        Scratch { dir, kind, pool }
    }

    /// The repo root.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Writes the input and analyzes the repo in-process; a panic
    /// propagates, everything else is a result.
    pub fn run(&self, input: &[u8]) -> usize {
        let path = self.dir.path().join(self.kind.path());
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, input).unwrap();
        let options = pipelint::check::Options {
            dbt_manifest: self.kind.dbt_manifest(),
            ..Default::default()
        };
        let analysis = self
            .pool
            .install(|| pipelint::check::run(self.dir.path(), &options))
            .expect("the repo is a folder");
        // Every format renders whatever was found.
        let mut n = pipelint::report::json::render(&analysis).len();
        n += pipelint::report::sarif::render(&analysis).len();
        n += pipelint::report::github::render(&analysis).len();
        n
    }
}

/// Text pieces that stress parsers: nesting, quoting, line ends, Unicode.
pub const HOSTILE: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "#}",
    ": ",
    "- ",
    "'",
    "\"",
    "\"\"\"",
    "`",
    "\\",
    "\n",
    "\r\n",
    "\r",
    "\t",
    "    ",
    ";",
    ",",
    "--",
    "/*",
    "*/",
    "#",
    "UNION ALL SELECT 1",
    " OR ",
    " || ",
    "+",
    "é",
    "\u{feff}",
    "\u{1b}[31m",
    "::error::",
    "\u{0}",
    "&a",
    "*a",
    "!!binary",
    "{{ ref('x') }}",
    "{% macro m() %}",
    "{% endmacro %}",
    "{% for i in range(100) %}",
    "{% endfor %}",
    "{{ config(",
    "\\\n",
    "$$",
    "@",
    "=",
    "[[task]]",
    "[project]",
    "id = ",
    "\"nodes\": {",
    "}}}}",
    "0x",
    "1e999",
    "\u{10ffff}",
];
