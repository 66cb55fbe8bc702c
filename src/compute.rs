//! Where a job's work runs: in the warehouse as SQL (ELT) or on separate
//! compute — a Python worker, Spark, a Kubernetes pod (ETL). The lesson says
//! the architecture diagram must document it; the diagram, `impact` and the
//! metrics read it from here.

use crate::facts::JobKind;
use crate::graph::{Graph, NodeKind};
use petgraph::graph::NodeIndex;

/// The place a job's work runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Compute {
    /// SQL run by the warehouse (dbt models, SQL scripts, SQL operators).
    Warehouse,
    /// A transfer operator moving data between two systems (`XToYOperator`).
    Transfer,
    /// Python on the orchestrator's workers (`PythonOperator`, `@task`).
    Python,
    /// A Spark cluster (`SparkSubmitOperator`, Dataproc, EMR, Databricks jobs).
    Spark,
    /// A Kubernetes pod (`KubernetesPodOperator`, `@task.kubernetes`, GKE).
    Kubernetes,
    /// A container service (`DockerOperator`, ECS).
    Container,
    /// A shell command (`BashOperator`, SSH).
    Shell,
    /// No data work: ordering, waiting or announcing (`EmptyOperator`, sensors).
    Orchestration,
    /// An operator this table does not know.
    Other,
}

/// How a transform is built, in the lesson's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Style {
    /// Load first, transform in the warehouse as SQL.
    Elt,
    /// Transform on separate compute before loading.
    Etl,
}

impl Compute {
    /// The short name used in output: `warehouse`, `python`, `spark`, ….
    pub fn as_str(self) -> &'static str {
        match self {
            Compute::Warehouse => "warehouse",
            Compute::Transfer => "transfer",
            Compute::Python => "python",
            Compute::Spark => "spark",
            Compute::Kubernetes => "kubernetes",
            Compute::Container => "container",
            Compute::Shell => "shell",
            Compute::Orchestration => "orchestration",
            Compute::Other => "other",
        }
    }

    /// ELT for SQL in the warehouse, ETL for work on separate compute; none
    /// for transfers, orchestration and unknown operators.
    pub fn style(self) -> Option<Style> {
        match self {
            Compute::Warehouse => Some(Style::Elt),
            Compute::Python
            | Compute::Spark
            | Compute::Kubernetes
            | Compute::Container
            | Compute::Shell => Some(Style::Etl),
            Compute::Transfer | Compute::Orchestration | Compute::Other => None,
        }
    }

    /// Where an operator class (or `@task`) runs its work.
    pub fn of_operator(class: &str) -> Compute {
        let lower = class.to_ascii_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
        if is_transfer(class) {
            Compute::Transfer
        } else if has(&["kubernetes", "gke", "eks"]) {
            Compute::Kubernetes
        } else if has(&[
            "spark",
            "dataproc",
            "emr",
            "databrickssubmit",
            "databricksrun",
        ]) {
            Compute::Spark
        } else if has(&["docker", "ecs"]) {
            Compute::Container
        } else if has(&["bash", "ssh"]) {
            Compute::Shell
        } else if has(&[
            "empty",
            "dummy",
            "sensor",
            "trigger",
            "branch",
            "shortcircuit",
        ]) {
            Compute::Orchestration
        } else if has(&[
            "sql",
            "query",
            "snowflake",
            "bigquery",
            "redshift",
            "postgres",
            "mysql",
            "trino",
            "athena",
            "check",
        ]) {
            Compute::Warehouse
        } else if has(&["python", "virtualenv", "@task"]) {
            Compute::Python
        } else {
            Compute::Other
        }
    }

    /// Where a job runs; `None` for nodes that are not jobs and for tasks
    /// whose operator is not known (manifest `[[task]]`).
    pub fn of(graph: &Graph, ix: NodeIndex) -> Option<Compute> {
        let node = graph.node(ix);
        match node.kind {
            NodeKind::Job(JobKind::Task) => node.operator.as_deref().map(Compute::of_operator),
            NodeKind::Job(_) => Some(Compute::Warehouse),
            _ => None,
        }
    }
}

/// Whether a job is a transform: it reads a dataset of the pipeline (not a
/// source — that is an extract) and writes a dataset.
pub fn is_transform(graph: &Graph, ix: NodeIndex) -> bool {
    use crate::facts::EdgeKind;
    let dataset = |n: NodeIndex| graph.node(n).kind == NodeKind::Dataset;
    graph.node(ix).is_job()
        && graph.in_edges(ix, EdgeKind::Reads).any(|(_, n)| dataset(n))
        && graph
            .out_edges(ix, EdgeKind::Writes)
            .any(|(_, n)| dataset(n))
}

/// ELT or ETL for a transform ([`is_transform`]); `None` for other nodes and
/// for transforms whose operator says nothing about where they run.
pub fn transform_style(graph: &Graph, ix: NodeIndex) -> Option<Style> {
    if !is_transform(graph, ix) {
        return None;
    }
    Compute::of(graph, ix)?.style()
}

/// A transfer operator's name: `<From>To<To>Operator`.
fn is_transfer(class: &str) -> bool {
    let Some(name) = class.strip_suffix("Operator") else {
        return false;
    };
    let bytes = name.as_bytes();
    (1..name.len().saturating_sub(2))
        .any(|i| bytes[i] == b'T' && bytes[i + 1] == b'o' && bytes[i + 2].is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_map_to_where_they_run() {
        for (class, want) in [
            ("SQLExecuteQueryOperator", Compute::Warehouse),
            ("SQLTableCheckOperator", Compute::Warehouse),
            ("SnowflakeOperator", Compute::Warehouse),
            ("PostgresToSnowflakeOperator", Compute::Transfer),
            ("S3ToRedshiftOperator", Compute::Transfer),
            ("PythonOperator", Compute::Python),
            ("@task", Compute::Python),
            ("SparkSubmitOperator", Compute::Spark),
            ("DataprocSubmitJobOperator", Compute::Spark),
            ("KubernetesPodOperator", Compute::Kubernetes),
            ("GKEStartPodOperator", Compute::Kubernetes),
            ("DockerOperator", Compute::Container),
            ("BashOperator", Compute::Shell),
            ("EmptyOperator", Compute::Orchestration),
            ("ExternalTaskSensor", Compute::Orchestration),
            ("SlackWebhookOperator", Compute::Other),
        ] {
            assert_eq!(Compute::of_operator(class), want, "{class}");
        }
        assert_eq!(Compute::Spark.style(), Some(Style::Etl));
        assert_eq!(Compute::Warehouse.style(), Some(Style::Elt));
        assert_eq!(Compute::Transfer.style(), None);
    }
}
