//! Facts: what a parser read from one file, with spans, before any resolution.
//!
//! Parsers (Airflow, dbt, SQL, manifest) only emit these; the graph builder
//! turns the facts of all files into one graph. A parser knows nothing of rules.

use std::sync::Arc;

use crate::cadence::Cadence;
use crate::diagnostic::Diagnostic;
use crate::failure::FailureBehavior;
use crate::span::Span;

/// A value together with the place it was read from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

impl<T> Located<T> {
    /// Pairs a value with its span.
    pub fn new(value: T, span: Span) -> Located<T> {
        Located { value, span }
    }
}

/// An annotation (owner, cadence, failure behavior) and where it came from,
/// e.g. `task`, `default_args`, `[paths."sql/**"]`, `CODEOWNERS`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attributed<T> {
    /// The value.
    pub value: T,
    /// Where the value was inherited from, for the graph output and messages.
    pub origin: String,
    /// Where it is written, if in a file of the repo.
    pub span: Option<Span>,
}

impl<T> Attributed<T> {
    /// An annotation written at `span`, set by `origin`.
    pub fn new(value: T, origin: impl Into<String>, span: Option<Span>) -> Attributed<T> {
        Attributed {
            value,
            origin: origin.into(),
            span,
        }
    }
}

/// One part of a SQL identifier, as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Ident {
    /// The text without quotes.
    pub value: String,
    /// Whether it was quoted (quoted names keep their case in most warehouses).
    pub quoted: bool,
}

/// A reference to data, before names are resolved.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum DataRef {
    /// A table or view name as written in SQL: `[database.]schema.table` parts.
    Table(Vec<Ident>),
    /// A location or external object: `s3://bucket/path`, `stripe://payments`,
    /// `postgres://app/public.orders`, an Airflow Dataset/Asset URI.
    Uri(String),
    /// A dbt `ref()`: optional package, model name, optional version.
    Model {
        /// The package (two-argument `ref`).
        package: Option<String>,
        /// The model name.
        name: String,
        /// The `version=`/`v=` argument.
        version: Option<String>,
    },
    /// A dbt `source('source_name', 'table_name')`.
    DbtSource {
        /// The source name.
        source: String,
        /// The table name within the source.
        table: String,
    },
}

/// What kind of job a fact describes; rules may treat kinds differently.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum JobKind {
    /// An orchestrator task (Airflow operator or `@task`, or a manifest `[[task]]`).
    Task,
    /// A plain SQL file.
    Script,
    /// A dbt model.
    Model,
    /// A dbt snapshot.
    Snapshot,
    /// A dbt seed.
    Seed,
}

/// A unit of work: reads some data, writes some data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JobFact {
    /// Stable node id: `task:<dag>.<task>`, `script:<path>`, `model:<name>`, ….
    pub id: String,
    /// What kind of job it is.
    pub kind: JobKind,
    /// Short human name (task id, model name, file name).
    pub name: String,
    /// The DAG id, for orchestrator tasks.
    pub dag: Option<String>,
    /// Where the job is defined.
    pub span: Span,
    /// The file that is the job, when `span` points elsewhere (a dbt
    /// model's `.sql` while `span` is its schema YAML entry): path-based
    /// owners (`[paths]`, CODEOWNERS) are matched on it.
    pub file: Option<Arc<str>>,
    /// Owner set on the job itself or inherited inside its file (DAG defaults).
    pub owner: Option<Attributed<String>>,
    /// Cadence set on the job itself.
    pub cadence: Option<Attributed<Cadence>>,
    /// Failure behavior set on the job or inherited inside its file.
    pub on_failure: Option<Attributed<FailureBehavior>>,
    /// Data it reads.
    pub reads: Vec<Located<DataRef>>,
    /// Data it writes.
    pub writes: Vec<Located<DataRef>>,
    /// Data it announces as updated (Airflow `outlets`): runs scheduled on that
    /// data start after it. It counts as a writer only when nothing else in the
    /// repo writes the data.
    pub publishes: Vec<Located<DataRef>>,
    /// Repo-relative paths of SQL scripts this job runs (a task with `sql="x.sql"`).
    pub runs: Vec<Located<String>>,
    /// A data-quality check (dbt test, Airflow check operator) on what it reads.
    pub is_check: bool,
    /// The file did not parse completely: reads and writes may be missing.
    pub partial: bool,
    /// Some reads or writes were recovered by a token scan of SQL that did
    /// not parse, rather than read from a parsed statement.
    pub recovered: bool,
    /// The dbt project this task renders and runs (astronomer-cosmos
    /// `DbtDag` / `DbtTaskGroup`), as the repo-relative path written in the
    /// DAG file; the graph links it to the project's models.
    pub runs_dbt: Option<Located<String>>,
    /// The operator that runs it, as the orchestrator names it
    /// (`SQLExecuteQueryOperator`, `KubernetesPodOperator`, `@task`), for
    /// tasks; where the work runs follows from it (see [`crate::compute`]).
    pub operator: Option<String>,
}

impl JobFact {
    /// A job with only its identity; fill in the rest field by field.
    pub fn new(
        id: impl Into<String>,
        kind: JobKind,
        name: impl Into<String>,
        span: Span,
    ) -> JobFact {
        JobFact {
            id: id.into(),
            kind,
            name: name.into(),
            dag: None,
            span,
            file: None,
            owner: None,
            cadence: None,
            on_failure: None,
            reads: Vec::new(),
            writes: Vec::new(),
            publishes: Vec::new(),
            runs: Vec::new(),
            is_check: false,
            partial: false,
            recovered: false,
            runs_dbt: None,
            operator: None,
        }
    }
}

/// An orchestrator DAG: a unit of scheduling and ownership.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DagFact {
    /// The DAG id (the node id is `dag:<id>`).
    pub id: String,
    /// Where the DAG is defined.
    pub span: Span,
    /// The DAG's owner (from `default_args` or `owner_links`).
    pub owner: Option<Attributed<String>>,
    /// Its schedule; `Cadence::Manual` for `schedule=None`, `Cadence::OnData` for
    /// Dataset/Asset schedules.
    pub cadence: Option<Attributed<Cadence>>,
    /// The data whose update triggers it (Dataset/Asset schedules).
    pub triggered_by: Vec<Located<DataRef>>,
}

/// An object in an external system that is extracted into the raw layer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceFact {
    /// The source name (the node id is `source:<name>`).
    pub name: String,
    /// The external object, e.g. `postgres://app/public.orders`.
    pub system: Option<Located<String>>,
    /// The dataset it lands in, e.g. `raw.orders`.
    pub lands_in: Option<Located<DataRef>>,
    /// Where the source is declared.
    pub span: Span,
    /// Its owner.
    pub owner: Option<Attributed<String>>,
    /// How often it is extracted (or the freshness it is held to).
    pub cadence: Option<Attributed<Cadence>>,
    /// The dbt project that declares it (its `source()` calls resolve to
    /// this declaration); `None` for repo-wide sources (`pipeline.toml`).
    pub project: Option<String>,
}

/// Someone outside the pipeline who reads its output.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConsumerFact {
    /// The consumer name (the node id is `consumer:<name>`).
    pub name: String,
    /// dashboard, ml, reverse_etl, application, notebook, …
    pub kind: String,
    /// Where it is declared.
    pub span: Span,
    /// Its owner.
    pub owner: Option<Attributed<String>>,
    /// How fresh the data it reads must be.
    pub freshness: Option<Attributed<Cadence>>,
    /// Its tool has no freshness field (a dbt exposure, which takes
    /// `meta.freshness` by convention): a missing one is only a hint.
    pub freshness_optional: bool,
    /// What it reads.
    pub reads: Vec<Located<DataRef>>,
}

/// The kinds of edges between nodes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum EdgeKind {
    /// A dataset (or source) is read by a job or consumer.
    Reads,
    /// A job (or a source's extract) writes a dataset.
    Writes,
    /// A job runs after another within one orchestration unit.
    After,
    /// One DAG or task triggers another (sensor, dataset schedule, TriggerDagRun).
    Triggers,
}

impl EdgeKind {
    /// The lowercase name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Reads => "reads",
            EdgeKind::Writes => "writes",
            EdgeKind::After => "after",
            EdgeKind::Triggers => "triggers",
        }
    }

    /// One hop along an edge from `from` to `to`, in words that follow the
    /// flow of data and order: "`b` reads `a`", "`a` writes `b`", "`b` runs
    /// after `a`", "`a` triggers `b`".
    pub fn hop(self, from: &str, to: &str) -> String {
        match self {
            EdgeKind::Reads => format!("`{to}` reads `{from}`"),
            EdgeKind::Writes => format!("`{from}` writes `{to}`"),
            EdgeKind::After => format!("`{to}` runs after `{from}`"),
            EdgeKind::Triggers => format!("`{from}` triggers `{to}`"),
        }
    }
}

/// An order between two jobs or DAGs, by node id (`task:…`, `dag:…`).
/// A `dag:` endpoint stands for the DAG's last tasks as a source of the edge
/// and its first tasks as a target.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EdgeFact {
    /// The upstream node id.
    pub from: String,
    /// The downstream node id.
    pub to: String,
    /// `After` or `Triggers`.
    pub kind: EdgeKind,
    /// Where the dependency is written.
    pub span: Span,
}

/// What a file says about a dataset beyond reading or writing it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DatasetFact {
    /// The dataset and where it is declared.
    pub name: Located<DataRef>,
    /// It exists outside the repo's jobs (a dbt source table, a seed): reads of
    /// it resolve even though nothing in the repo writes it.
    pub external: bool,
    /// The layer its tool's conventions suggest (`raw` for a dbt source,
    /// `serving` for a mart); the manifest's `[layers]` take precedence.
    pub layer_hint: Option<String>,
    /// A data-quality check (a dbt test, a check operator) guards it.
    pub checked: bool,
    /// Read by a tool that is neither job nor consumer (dbt's semantic
    /// layer, its time spine): it has a reader, but no owner or freshness
    /// of its own to check.
    pub served: bool,
}

/// An inline `pipelint: allow[rule] reason` comment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InlineAllow {
    /// The rule slug or code named in brackets.
    pub rule: String,
    /// The reason after the brackets (empty when missing).
    pub reason: String,
    /// The comment's location.
    pub span: Span,
    /// The line the allow applies to: the comment's own line, or the next line
    /// when the comment stands alone on its line.
    pub applies_to_line: u32,
}

/// Everything one parser read from one file.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct FileFacts {
    /// Jobs defined in the file.
    pub jobs: Vec<JobFact>,
    /// DAGs defined in the file.
    pub dags: Vec<DagFact>,
    /// Sources declared in the file.
    pub sources: Vec<SourceFact>,
    /// Consumers declared in the file.
    pub consumers: Vec<ConsumerFact>,
    /// Job-to-job and DAG-to-DAG orderings.
    pub edges: Vec<EdgeFact>,
    /// Datasets the file says something about beyond reads and writes.
    pub datasets: Vec<DatasetFact>,
    /// Inline suppressions.
    pub allows: Vec<InlineAllow>,
    /// Problems found while reading (parse errors, unresolvable dynamic code).
    pub diagnostics: Vec<Diagnostic>,
    /// Repo-relative folders of installed dbt packages (`dbt_packages/x`):
    /// their nodes are part of the graph, but findings located there are not
    /// reported unless `--include-packages`.
    pub package_dirs: Vec<Arc<str>>,
}

impl FileFacts {
    /// Appends many files' facts to these, group after group and in order
    /// within each, every list grown once to its final length (not doubled
    /// and copied file after file).
    pub fn extend_all(&mut self, groups: Vec<Vec<FileFacts>>) {
        macro_rules! reserve {
            ($($field:ident),*) => {
                $(self.$field.reserve(groups.iter().flatten().map(|p| p.$field.len()).sum());)*
            };
        }
        reserve!(
            jobs,
            dags,
            sources,
            consumers,
            edges,
            datasets,
            allows,
            diagnostics,
            package_dirs
        );
        for part in groups.into_iter().flatten() {
            self.extend(part);
        }
    }

    /// Appends another file's facts to these.
    pub fn extend(&mut self, other: FileFacts) {
        self.jobs.extend(other.jobs);
        self.dags.extend(other.dags);
        self.sources.extend(other.sources);
        self.consumers.extend(other.consumers);
        self.edges.extend(other.edges);
        self.datasets.extend(other.datasets);
        self.allows.extend(other.allows);
        self.diagnostics.extend(other.diagnostics);
        self.package_dirs.extend(other.package_dirs);
    }
}

impl DataRef {
    /// Reads a dataset name written as text in configuration: a URI when it
    /// has a scheme (`s3://…`, `stripe://…`), else a dotted table name.
    pub fn from_name(name: &str) -> DataRef {
        let name = name.trim();
        if name.contains("://") {
            return DataRef::Uri(name.to_string());
        }
        DataRef::Table(
            name.split('.')
                .map(|part| {
                    let quoted = part.len() >= 2 && part.starts_with('"') && part.ends_with('"');
                    let value = if quoted {
                        &part[1..part.len() - 1]
                    } else {
                        part
                    };
                    Ident {
                        value: value.to_string(),
                        quoted,
                    }
                })
                .collect(),
        )
    }
}
