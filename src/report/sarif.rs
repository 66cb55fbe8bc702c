//! SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

use serde_sarif::sarif::{
    ArtifactLocation, Location, Message, MultiformatMessageString, PhysicalLocation, Region,
    ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif,
    Tool, ToolComponent,
};

use crate::check::Analysis;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{self, code_of};
use crate::span::Span;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warn => "warning",
        Severity::Info => "note",
    }
}

fn location(span: &Span, message: Option<&str>) -> Location {
    let region = Region::builder()
        .start_line(i64::from(span.line))
        .start_column(i64::from(span.column))
        .build();
    let physical = PhysicalLocation::builder()
        .artifact_location(
            ArtifactLocation::builder()
                .uri(span.file.to_string())
                .build(),
        )
        .region(region)
        .build();
    match message {
        Some(m) => Location::builder()
            .physical_location(physical)
            .message(Message::builder().text(m.to_string()).build())
            .build(),
        None => Location::builder().physical_location(physical).build(),
    }
}

fn result(d: &Diagnostic) -> SarifResult {
    let text = match &d.help {
        Some(h) => format!("{}\nhelp: {h}", d.message),
        None => d.message.clone(),
    };
    let locations: Vec<Location> = d.span.iter().map(|s| location(s, None)).collect();
    let related: Vec<Location> = d
        .related
        .iter()
        .filter_map(|r| r.span.as_ref().map(|s| location(s, Some(&r.message))))
        .collect();
    SarifResult::builder()
        .rule_id(code_of(d.rule).to_string())
        .level(match d.severity {
            Severity::Error => ResultLevel::Error,
            Severity::Warn => ResultLevel::Warning,
            Severity::Info => ResultLevel::Note,
        })
        .message(Message::builder().text(text).build())
        .locations(locations)
        .related_locations(related)
        .build()
}

/// Renders the findings as one SARIF log with the rule catalogue as the driver's rules.
pub fn render(analysis: &Analysis) -> String {
    let catalogue: Vec<ReportingDescriptor> = rules::all()
        .into_iter()
        .map(|m| {
            ReportingDescriptor::builder()
                .id(m.code.to_string())
                .name(m.slug.to_string())
                .short_description(
                    MultiformatMessageString::builder()
                        .text(m.summary.to_string())
                        .build(),
                )
                .help(
                    MultiformatMessageString::builder()
                        .text(format!("pipelint explain {}", m.slug))
                        .markdown(m.doc.to_string())
                        .build(),
                )
                .default_configuration(
                    ReportingConfiguration::builder()
                        .level(serde_json::json!(level(m.default_severity)))
                        .build(),
                )
                .build()
        })
        .collect();
    let driver = ToolComponent::builder()
        .name("pipelint".to_string())
        .version(env!("CARGO_PKG_VERSION").to_string())
        .rules(catalogue)
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(analysis.diagnostics.iter().map(result).collect::<Vec<_>>())
        // Columns count Unicode scalar values (see crate::span).
        .column_kind(serde_json::json!("unicodeCodePoints"))
        .build();
    let log = Sarif::builder()
        .version(serde_json::json!("2.1.0"))
        .schema("https://json.schemastore.org/sarif-2.1.0.json".to_string())
        .runs(vec![run])
        .build();
    serde_json::to_string_pretty(&log).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")) + "\n"
}
