//! `pipelint audit` output: one table, a row per repo, as a terminal table,
//! Markdown, CSV, JSON, or a self-contained HTML page (sortable table and
//! each repo's diagram).

use std::collections::BTreeSet;

use super::diagram::svg::xml;
use super::table;
use crate::audit::{Report, Row};
use crate::metrics::Share;

/// The fixed columns before the per-rule counts.
const FIXED: [&str; 19] = [
    "repo",
    "status",
    "errors",
    "warnings",
    "sources",
    "consumers",
    "jobs",
    "point-to-point",
    "layer crossings",
    "curated reads %",
    "sources read twice",
    "owner %",
    "cadence %",
    "failure %",
    "longest path",
    "cycles",
    "DAGs",
    "untriggered cross-DAG",
    "ELT/ETL",
];

/// The rules with findings in any row, sorted: one column each, headed by
/// the rule's code (`PL101`; `pipelint rules` lists them).
fn rules(report: &Report) -> Vec<String> {
    let set: BTreeSet<(&str, &String)> = report
        .rows
        .iter()
        .flat_map(|r| r.findings.keys())
        .map(|slug| (crate::rules::code_of(slug), slug))
        .collect();
    set.into_iter().map(|(_, slug)| slug.clone()).collect()
}

/// The header and the cells of every row.
pub fn cells(report: &Report) -> (Vec<String>, Vec<Vec<String>>) {
    let rules = rules(report);
    let mut header: Vec<String> = FIXED.iter().map(|s| s.to_string()).collect();
    header.extend(rules.iter().map(|r| match crate::rules::code_of(r) {
        "PL???" => r.clone(),
        code => code.to_string(),
    }));
    let rows = report.rows.iter().map(|r| row(r, &rules)).collect();
    (header, rows)
}

fn row(r: &Row, rules: &[String]) -> Vec<String> {
    let pct = |s: Share| s.percent().map_or("-".into(), |p| p.to_string());
    let mut cells = vec![r.repo.clone(), r.status()];
    match &r.metrics {
        Some(m) => cells.extend([
            r.errors.to_string(),
            r.warnings.to_string(),
            m.sources.to_string(),
            m.consumers.to_string(),
            m.jobs.to_string(),
            m.point_to_point.to_string(),
            m.layer_crossings.to_string(),
            pct(m.consumer_reads_curated),
            m.sources_read_twice.covered.to_string(),
            pct(m.owner),
            pct(m.cadence),
            pct(m.failure),
            m.longest_path.to_string(),
            m.cycles.to_string(),
            m.dags.to_string(),
            m.untriggered_cross_dag().to_string(),
            format!("{}/{}", m.elt, m.etl),
        ]),
        None => cells.extend((2..FIXED.len()).map(|_| "-".to_string())),
    }
    for rule in rules {
        cells.push(r.findings.get(rule).map_or_else(
            || {
                if r.metrics.is_some() {
                    "0".into()
                } else {
                    "-".into()
                }
            },
            |n| n.to_string(),
        ));
    }
    cells
}

/// A terminal table.
pub fn text(report: &Report) -> String {
    let (header, rows) = cells(report);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    table::text(&header, &rows)
}

/// A Markdown table.
pub fn markdown(report: &Report) -> String {
    let (header, rows) = cells(report);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    table::markdown(&header, &rows)
}

/// CSV (RFC 4180: fields with commas, quotes or newlines are quoted).
pub fn csv(report: &Report) -> String {
    let (header, rows) = cells(report);
    let line = |cells: &[String]| {
        cells
            .iter()
            .map(|c| {
                if c.contains([',', '"', '\n', '\r']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(",")
            + "\r\n"
    };
    let mut out = line(&header);
    for r in &rows {
        out.push_str(&line(r));
    }
    out
}

/// The report as JSON, for `audit merge`.
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")) + "\n"
}

const STYLE: &str = "body{font-family:Helvetica,Arial,sans-serif;margin:1em}\
table{border-collapse:collapse;font-size:12px}th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}\
td:first-child,td:nth-child(2),th:first-child{text-align:left}th{background:#f0f0f0;cursor:pointer;position:sticky;top:0}\
tr.error td{background:#fdecea}details{margin:1em 0}.diagram{overflow:auto;border:1px solid #ddd;max-height:600px}";

const SCRIPT: &str = r#"document.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){
var body=th.closest('table').tBodies[0];var rows=Array.prototype.slice.call(body.rows);var asc=th.dataset.asc!=='1';th.dataset.asc=asc?'1':'0';
rows.sort(function(a,b){var x=a.cells[i].textContent,y=b.cells[i].textContent;var nx=parseFloat(x),ny=parseFloat(y);
var c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);return asc?c:-c;});rows.forEach(function(r){body.appendChild(r);});});});"#;

/// A self-contained page: the sortable table, then each repo's diagram.
pub fn html(report: &Report) -> String {
    let (header, rows) = cells(report);
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>pipelint audit</title><style>{STYLE}</style></head><body>\n<h1>pipelint audit: {} repos</h1>\n<p>Click a column to sort.</p>\n<table><thead><tr>",
        report.rows.len()
    );
    for h in &header {
        out.push_str(&format!("<th>{}</th>", xml(h)));
    }
    out.push_str("</tr></thead><tbody>\n");
    for (r, cells) in report.rows.iter().zip(&rows) {
        out.push_str(if r.error.is_some() {
            "<tr class=\"error\">"
        } else {
            "<tr>"
        });
        for c in cells {
            out.push_str(&format!("<td>{}</td>", xml(c)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
    for r in &report.rows {
        if let Some(svg) = &r.diagram {
            out.push_str(&format!(
                "<details><summary>{}</summary><div class=\"diagram\">{svg}</div></details>\n",
                xml(&r.repo)
            ));
        }
    }
    out.push_str(&format!("<script>{SCRIPT}</script></body></html>\n"));
    out
}
