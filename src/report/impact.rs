//! `pipelint impact` output: a table, JSON, or Markdown for a pull-request
//! comment. (Its Mermaid form is the diagram of the changed nodes'
//! downstream, see [`crate::report::diagram`].)

use super::table;
use crate::impact::{Impact, Reached};

const HEADERS: [&str; 6] = ["node", "kind", "owner", "sees the change", "reads", "via"];

fn row(r: &Reached) -> Vec<String> {
    vec![
        r.id.clone(),
        r.describe.clone(),
        r.owner.clone().unwrap_or_else(|| "-".into()),
        cadence(r),
        if r.direct { "direct" } else { "transitive" }.into(),
        r.via.clone(),
    ]
}

fn cadence(r: &Reached) -> String {
    match (&r.cadence, r.cadence_inherited) {
        (Some(c), false) => c.clone(),
        (Some(c), true) => format!("{c} (upstream's)"),
        (None, _) => "unknown".into(),
    }
}

/// `consumers 2, jobs 5, datasets 4`.
fn counts(impact: &Impact) -> String {
    let n = |k| impact.of_kind(k).count();
    format!(
        "{} consumers, {} jobs, {} datasets",
        n("consumer"),
        n("job"),
        n("dataset")
    )
}

/// The terminal table.
pub fn text(impact: &Impact) -> String {
    let mut out = format!(
        "changed: {}\nreaches {}\n\n",
        impact.changed.join(", "),
        counts(impact)
    );
    let rows: Vec<Vec<String>> = impact.reached.iter().map(row).collect();
    out.push_str(&table::text(&HEADERS, &rows));
    for s in &impact.sources {
        out.push_str(&format!(
            "\nsource {}: read directly by {} job{} ({}); consumers depending on it: {}\n",
            s.source,
            s.direct_readers.len(),
            if s.direct_readers.len() == 1 { "" } else { "s" },
            s.direct_readers.join(", "),
            if s.consumers.is_empty() {
                "none".to_string()
            } else {
                s.consumers.join(", ")
            }
        ));
    }
    out.lines()
        .map(|l| super::terminal::sanitize(l).into_owned() + "\n")
        .collect()
}

/// JSON: changed, reached, sources.
pub fn json(impact: &Impact) -> String {
    serde_json::to_string_pretty(impact).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")) + "\n"
}

/// Markdown for a pull-request comment: the consumers reached first, in
/// words, then the whole table folded.
pub fn markdown(impact: &Impact) -> String {
    let code = |s: &str| format!("`{}`", s.replace('`', "'"));
    let changed: Vec<String> = impact.changed.iter().map(|c| code(c)).collect();
    let mut out = format!(
        "### Impact of this change\n\nChanged: {}. It reaches {}.\n\n",
        changed.join(", "),
        counts(impact)
    );
    for r in impact.of_kind("consumer") {
        out.push_str(&format!(
            "- this change reaches {} (owner {}, {})\n",
            code(&r.name),
            table::markdown_cell(r.owner.as_deref().unwrap_or("unknown")),
            table::markdown_cell(&cadence(r))
        ));
    }
    for s in &impact.sources {
        out.push_str(&format!(
            "- source {} is read directly by {} job{}{}\n",
            code(&s.source),
            s.direct_readers.len(),
            if s.direct_readers.len() == 1 { "" } else { "s" },
            if s.direct_readers.len() > 1 {
                " (a source should be read by one extract)"
            } else {
                ""
            }
        ));
    }
    if impact.reached.is_empty() {
        out.push_str("Nothing downstream.\n");
        return out;
    }
    let rows: Vec<Vec<String>> = impact
        .reached
        .iter()
        .map(|r| {
            let mut cells = row(r);
            cells[0] = code(&cells[0]);
            cells[5] = code(&cells[5]);
            cells
        })
        .collect();
    out.push_str(&format!(
        "\n<details><summary>Everything downstream ({})</summary>\n\n{}\n</details>\n",
        impact.reached.len(),
        table::markdown(&HEADERS, &rows)
    ));
    out
}
