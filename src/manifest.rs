//! The manifest (`pipeline.toml`): what code cannot say — layers, teams, owners
//! by path, sources, consumers, task annotations, rule settings and exceptions.

use std::sync::Arc;

use crate::cadence::Cadence;
use crate::diagnostic::Severity;
use crate::facts::{Attributed, DataRef, Located};
use crate::failure::FailureBehavior;
use crate::span::Span;
use crate::sql_dialect::SqlDialect;

/// The manifest file name, looked up at the repo root.
pub const MANIFEST_FILE: &str = "pipeline.toml";

/// The parsed manifest. An absent manifest is `Manifest::default()`.
#[derive(Debug, Default)]
pub struct Manifest {
    /// Repo-relative path of the manifest, when there is one.
    pub file: Option<Arc<str>>,
    /// `[project]`.
    pub project: Project,
    /// `[teams]`: the known owners; empty means owners are not checked.
    pub teams: Vec<Team>,
    /// `[layers]`, in the one allowed direction of flow.
    pub layers: Vec<Layer>,
    /// `[paths."glob"]` defaults, in file order (later, more specific entries win).
    pub paths: Vec<PathDefaults>,
    /// `[[task]]` annotations, merged into parsed jobs or creating them.
    pub tasks: Vec<TaskAnnotation>,
    /// `[rules]`.
    pub rules: RuleSettings,
    /// `[[allow]]` reviewed exceptions.
    pub allows: Vec<Allow>,
    /// `[discover]`: which files are read (see [`crate::exclude`]).
    pub discover: Discover,
    /// `[external]`: DAGs and datasets that live outside the repo.
    pub external: External,
}

/// `[discover]`, with ruff's names and meaning: `exclude` replaces the
/// default exclusions, `extend-exclude` adds to them, `include` (when given)
/// lists the only file patterns read.
#[derive(Debug, Default, Clone)]
pub struct Discover {
    /// `exclude`: replaces the default exclusions when given.
    pub exclude: Option<Vec<Located<String>>>,
    /// `extend-exclude`: added to the exclusions.
    pub extend_exclude: Vec<Located<String>>,
    /// `include`: the only file patterns read, when given.
    pub include: Option<Vec<Located<String>>>,
}

/// `[external]`: names (globs) of DAGs and datasets that exist outside the
/// repo, so references to them resolve.
#[derive(Debug, Default)]
pub struct External {
    /// `dags = ["warehouse_*"]` as written.
    pub dags: Vec<Located<String>>,
    /// `datasets = ["s3://partner-drop/*"]` as written.
    pub datasets: Vec<Located<String>>,
    /// The compiled DAG globs.
    pub dag_matcher: globset::GlobSet,
    /// The compiled dataset globs.
    pub dataset_matcher: globset::GlobSet,
}

/// `[project]`: name, SQL dialect, defaults for unqualified names.
#[derive(Debug, Default)]
pub struct Project {
    /// The project name.
    pub name: Option<String>,
    /// The SQL dialect of plain SQL files.
    pub dialect: SqlDialect,
    /// Schema of one-part table names.
    pub default_schema: Option<String>,
    /// Database dropped from three-part names that name it.
    pub default_database: Option<String>,
    /// `baseline = "pipelint-baseline.json"`: the baseline file applied by
    /// default (repo-relative), with where it is written.
    pub baseline: Option<Located<String>>,
}

/// A known owner from `[teams]`.
#[derive(Debug)]
pub struct Team {
    /// The team name as owners write it.
    pub name: String,
    /// Its on-call channel, if given.
    pub oncall: Option<String>,
    /// Where it is declared.
    pub span: Span,
}

/// A layer and the dataset-name globs that place data in it.
#[derive(Debug)]
pub struct Layer {
    /// The layer name (`raw`, `curated`, `serving`, …).
    pub name: String,
    /// The patterns as written.
    pub patterns: Vec<Located<String>>,
    /// The compiled patterns.
    pub matcher: globset::GlobSet,
}

/// Defaults for everything defined under a path glob.
#[derive(Debug)]
pub struct PathDefaults {
    /// The glob as written, with its location.
    pub glob: Located<String>,
    /// The compiled glob.
    pub matcher: globset::GlobSet,
    /// Default owner.
    pub owner: Option<Attributed<String>>,
    /// Default cadence.
    pub cadence: Option<Attributed<Cadence>>,
    /// Default failure behavior.
    pub on_failure: Option<Attributed<FailureBehavior>>,
    /// `writes = "{1}.{2}.{3}"`: the dataset a job under this glob writes,
    /// built from the glob's `*` segments in order.
    pub writes: Option<Located<String>>,
}

impl PathDefaults {
    /// The dataset `writes` names for a file under this glob: `{N}` is the
    /// path segment matched by the glob's N-th `*` segment. `None` when there
    /// is no `writes`, the file does not match, or the glob's `*`s are not
    /// whole segments.
    pub fn written_dataset(&self, file: &str) -> Option<String> {
        let template = &self.writes.as_ref()?.value;
        if !self.matcher.is_match(file) {
            return None;
        }
        let glob: Vec<&str> = self.glob.value.split('/').collect();
        let path: Vec<&str> = file.split('/').collect();
        if glob.len() != path.len() || glob.iter().any(|g| g.contains("**")) {
            return None;
        }
        let captures: Vec<&str> = glob
            .iter()
            .zip(&path)
            .filter(|(g, _)| **g == "*")
            .map(|(_, p)| *p)
            .collect();
        let mut out = template.clone();
        for (i, c) in captures.iter().enumerate().rev() {
            out = out.replace(&format!("{{{}}}", i + 1), c);
        }
        (!out.contains('{')).then_some(out)
    }
}

/// A `[[task]]` entry: annotations for a job the parsers cannot fully see, or
/// a job of an orchestrator pipelint does not read.
#[derive(Debug)]
pub struct TaskAnnotation {
    /// `dag.task`, or a full node id such as `script:sql/x.sql`.
    pub id: Located<String>,
    /// Where the entry is.
    pub span: Span,
    /// Owner.
    pub owner: Option<Attributed<String>>,
    /// Cadence.
    pub cadence: Option<Attributed<Cadence>>,
    /// Failure behavior.
    pub on_failure: Option<Attributed<FailureBehavior>>,
    /// What it reads.
    pub reads: Vec<Located<DataRef>>,
    /// What it writes.
    pub writes: Vec<Located<DataRef>>,
    /// SQL scripts it runs (repo-relative paths).
    pub runs: Vec<Located<String>>,
    /// Datasets it checks for quality (the task is a data-quality check).
    pub checks: Vec<Located<DataRef>>,
}

impl TaskAnnotation {
    /// The node id this entry annotates: ids without a kind prefix are tasks.
    pub fn node_id(&self) -> String {
        let id = &self.id.value;
        let has_prefix = ["task:", "script:", "model:", "snapshot:", "seed:"]
            .iter()
            .any(|p| id.starts_with(p));
        if has_prefix {
            id.clone()
        } else {
            format!("task:{id}")
        }
    }
}

/// `[rules]`: rules turned off and severities changed.
#[derive(Debug, Default)]
pub struct RuleSettings {
    /// Rule slugs or codes not to run.
    pub ignore: Vec<Located<String>>,
    /// Rule slug or code → severity.
    pub severity: Vec<(Located<String>, Severity)>,
}

/// A reviewed exception: findings of `rule` on `node` (and/or in `file`) are allowed.
#[derive(Debug)]
pub struct Allow {
    /// Rule slug or code.
    pub rule: Located<String>,
    /// Node id the exception is for, if limited to one node.
    pub node: Option<String>,
    /// Path glob the exception is for, if limited to files.
    pub file: Option<globset::GlobSet>,
    /// Why it is allowed.
    pub reason: String,
    /// Where the entry is.
    pub span: Span,
}
