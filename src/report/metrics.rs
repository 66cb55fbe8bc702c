//! `pipelint metrics` output: a two-column table of one repo's
//! architecture metrics, or JSON.

use super::table;
use crate::metrics::Metrics;

/// The metrics as (name, value) rows, in a fixed order; the audit's columns
/// are the first entries of these.
pub fn rows(m: &Metrics) -> Vec<(&'static str, String)> {
    vec![
        ("sources", m.sources.to_string()),
        ("consumers", m.consumers.to_string()),
        ("jobs", m.jobs.to_string()),
        ("datasets", m.datasets.to_string()),
        (
            "point-to-point (sources × consumers)",
            m.point_to_point.to_string(),
        ),
        ("layer-crossing pipelines", m.layer_crossings.to_string()),
        (
            "consumer reads from curated/serving",
            m.consumer_reads_curated.to_string(),
        ),
        ("sources read by >1 job", m.sources_read_twice.to_string()),
        ("owner coverage", m.owner.to_string()),
        ("cadence coverage", m.cadence.to_string()),
        ("failure-behavior coverage", m.failure.to_string()),
        ("longest path (edges)", m.longest_path.to_string()),
        ("cycles", m.cycles.to_string()),
        ("DAGs", m.dags.to_string()),
        (
            "most tasks in one DAG",
            m.tasks_per_dag
                .iter()
                .max_by_key(|(d, n)| (**n, std::cmp::Reverse(*d)))
                .map_or("-".into(), |(d, n)| format!("{n} ({d})")),
        ),
        (
            "cross-DAG edges (without trigger)",
            format!("{} ({})", m.cross_dag.len(), m.untriggered_cross_dag()),
        ),
        (
            "DAG stalling the most work",
            m.most_stalling_dag
                .as_ref()
                .map_or("-".into(), |(d, n)| format!("{d} ({n} downstream)")),
        ),
        (
            "transforms: ELT / ETL / other",
            format!("{} / {} / {}", m.elt, m.etl, m.transforms - m.elt - m.etl),
        ),
    ]
}

/// The terminal table, then the cross-DAG edges one per line.
pub fn text(m: &Metrics) -> String {
    let rows: Vec<Vec<String>> = rows(m)
        .into_iter()
        .map(|(k, v)| vec![k.to_string(), v])
        .collect();
    let mut out = table::text(&["metric", "value"], &rows);
    if !m.cross_dag.is_empty() {
        out.push_str("\ncross-DAG edges:\n");
        for c in &m.cross_dag {
            out.push_str(&format!(
                "  {} -> {}{}\n",
                super::terminal::sanitize(&c.from),
                super::terminal::sanitize(&c.to),
                if c.triggered {
                    " (sensor/trigger)"
                } else {
                    " (no sensor or trigger)"
                }
            ));
        }
    }
    out
}

/// JSON.
pub fn json(m: &Metrics) -> String {
    serde_json::to_string_pretty(m).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")) + "\n"
}
