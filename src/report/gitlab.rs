//! `check --format gitlab`: GitLab's Code Quality report (a subset of the
//! Code Climate issue format), shown in merge requests when a job uploads it
//! as `artifacts: reports: codequality`. Fingerprints are
//! [`crate::fingerprint`]'s, so GitLab tracks a finding when its lines move.

use serde::Serialize;

use crate::check::Analysis;
use crate::diagnostic::{Diagnostic, Severity};

#[derive(Serialize)]
struct Issue<'a> {
    description: String,
    check_name: &'a str,
    fingerprint: String,
    severity: &'static str,
    location: Location<'a>,
}

#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
}

/// GitLab's scale is info, minor, major, critical, blocker; an error (which
/// fails the pipeline) is major, a warning minor.
fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "major",
        Severity::Warn => "minor",
        Severity::Info => "info",
    }
}

fn issue<'a>(analysis: &Analysis, d: &'a Diagnostic) -> Issue<'a> {
    let description = match &d.help {
        Some(help) => format!("{} (help: {help})", d.message),
        None => d.message.clone(),
    };
    // A finding about the whole repo is placed on the manifest's first line.
    let (path, line) = d
        .span
        .as_ref()
        .map_or(("pipeline.toml", 1), |s| (s.file.as_ref(), s.line.max(1)));
    Issue {
        description,
        check_name: d.rule,
        fingerprint: analysis.fingerprint(d),
        severity: severity(d.severity),
        location: Location {
            path,
            lines: Lines { begin: line },
        },
    }
}

/// Renders the findings as one JSON array.
pub fn render(analysis: &Analysis) -> String {
    let issues: Vec<Issue> = analysis
        .diagnostics
        .iter()
        .map(|d| issue(analysis, d))
        .collect();
    serde_json::to_string_pretty(&issues).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
        + "\n"
}
