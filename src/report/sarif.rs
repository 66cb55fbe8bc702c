//! SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
//!
//! What code scanning uses to track an alert across commits is all here:
//! file URIs relative to `%SRCROOT%` (percent-encoded per RFC 3986), every
//! rule in the driver with its page, `partialFingerprints` from
//! [`crate::fingerprint`] (stable when lines move), `ruleIndex`, and related
//! locations with ids that the message links to (`[hop](1)`).

use std::collections::BTreeMap;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_sarif::sarif::{
    ArtifactLocation, Location, Message, MultiformatMessageString, PhysicalLocation, PropertyBag,
    Region, ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultLevel, Run,
    Sarif, Tool, ToolComponent,
};

use crate::check::Analysis;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{self, RuleMeta};
use crate::span::Span;

/// The base id every artifact URI is relative to: the repository root.
pub const SRCROOT: &str = "%SRCROOT%";

/// The `partialFingerprints` key holding [`crate::fingerprint`]'s value.
pub const FINGERPRINT_KEY: &str = "pipelint/v1";

/// Characters kept as they are in a URI path: RFC 3986 unreserved ones and
/// the `/` between segments; everything else is percent-encoded.
const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// A repo-relative path as a relative URI reference.
pub fn uri(path: &str) -> String {
    utf8_percent_encode(path, PATH).to_string()
}

fn level(s: Severity) -> ResultLevel {
    match s {
        Severity::Error => ResultLevel::Error,
        Severity::Warn => ResultLevel::Warning,
        Severity::Info => ResultLevel::Note,
    }
}

/// Escapes text for a SARIF plain-text message, where `[` and `]` open
/// embedded links unless escaped (SARIF 2.1.0 §3.11.6).
fn escape_message(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '[' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn physical(span: &Span) -> PhysicalLocation {
    PhysicalLocation::builder()
        .artifact_location(
            ArtifactLocation::builder()
                .uri(uri(&span.file))
                .uri_base_id(SRCROOT.to_string())
                .build(),
        )
        .region(
            Region::builder()
                .start_line(i64::from(span.line))
                .start_column(i64::from(span.column))
                .build(),
        )
        .build()
}

fn result(analysis: &Analysis, d: &Diagnostic, rule_index: Option<usize>) -> SarifResult {
    let mut text = escape_message(&d.message);
    if let Some(h) = &d.help {
        text.push_str("\nhelp: ");
        text.push_str(&escape_message(h));
    }
    let mut related = Vec::with_capacity(d.related.len());
    let mut links = Vec::with_capacity(d.related.len());
    for (i, r) in d.related.iter().enumerate() {
        let id = i as i64 + 1;
        links.push(format!("[{}]({id})", escape_message(&r.message)));
        let message = Message::builder().text(r.message.clone()).build();
        related.push(match &r.span {
            Some(s) => Location::builder()
                .id(id)
                .physical_location(physical(s))
                .message(message)
                .build(),
            None => Location::builder().id(id).message(message).build(),
        });
    }
    if !links.is_empty() {
        text.push_str("\nrelated: ");
        text.push_str(&links.join(", "));
    }
    let locations: Vec<Location> = d
        .span
        .iter()
        .map(|s| Location::builder().physical_location(physical(s)).build())
        .collect();
    let fingerprints = BTreeMap::from([(FINGERPRINT_KEY.to_string(), analysis.fingerprint(d))]);
    let mut out = SarifResult::builder()
        .rule_id(d.rule.to_string())
        .level(level(d.severity))
        .message(Message::builder().text(text).build())
        .locations(locations)
        .partial_fingerprints(fingerprints)
        .build();
    out.rule_index = rule_index.map(|i| i as i64);
    out.related_locations = (!related.is_empty()).then_some(related);
    out
}

/// `dag-cycle` → `DagCycle`: SARIF's `name` is an identifier-like word.
fn pascal_case(slug: &str) -> String {
    slug.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Tags code scanning filters by: the tool's domain and the rule's family.
fn tags(m: &RuleMeta) -> Vec<String> {
    let family = match m.code.get(..3) {
        Some("PL0") => "configuration",
        Some("PL1") => "dependencies",
        Some("PL2") => "ownership",
        Some("PL3") => "scheduling",
        Some("PL4") => "layering",
        Some("PL5") => "duplication",
        _ => "data-quality",
    };
    vec![
        "architecture".to_string(),
        "data-pipeline".to_string(),
        family.to_string(),
    ]
}

fn descriptor(m: &RuleMeta) -> ReportingDescriptor {
    let level = match m.default_severity {
        Severity::Error => "error",
        Severity::Warn => "warning",
        Severity::Info => "note",
    };
    let properties = PropertyBag::builder()
        .tags(tags(m))
        .additional_properties(BTreeMap::from([(
            "code".to_string(),
            serde_json::json!(m.code),
        )]))
        .build();
    ReportingDescriptor::builder()
        .id(m.slug.to_string())
        .name(pascal_case(m.slug))
        .short_description(
            MultiformatMessageString::builder()
                .text(m.summary.to_string())
                .build(),
        )
        .full_description(
            MultiformatMessageString::builder()
                .text(m.what_it_does())
                .build(),
        )
        .help_uri(m.page_url())
        .help(
            MultiformatMessageString::builder()
                .text(format!("pipelint explain {}", m.slug))
                .markdown(m.doc.to_string())
                .build(),
        )
        .default_configuration(
            ReportingConfiguration::builder()
                .level(serde_json::json!(level))
                .build(),
        )
        .properties(properties)
        .build()
}

/// Renders every finding (never filtered: code scanning closes alerts that
/// disappear) as one SARIF log with the rule catalogue as the driver's rules.
pub fn render(analysis: &Analysis) -> String {
    let catalogue = rules::all();
    let index: BTreeMap<&str, usize> = catalogue
        .iter()
        .enumerate()
        .map(|(i, m)| (m.slug, i))
        .collect();
    let driver = ToolComponent::builder()
        .name("pipelint".to_string())
        .version(env!("CARGO_PKG_VERSION").to_string())
        .semantic_version(env!("CARGO_PKG_VERSION").to_string())
        .information_uri(env!("CARGO_PKG_REPOSITORY").to_string())
        .rules(catalogue.iter().map(|m| descriptor(m)).collect::<Vec<_>>())
        .build();
    let base = ArtifactLocation::builder()
        .description(
            Message::builder()
                .text("The repository root: every path is relative to it.".to_string())
                .build(),
        )
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .original_uri_base_ids(BTreeMap::from([(SRCROOT.to_string(), base)]))
        .column_kind(serde_json::json!("unicodeCodePoints"))
        .results(
            analysis
                .diagnostics
                .iter()
                .map(|d| result(analysis, d, index.get(d.rule).copied()))
                .collect::<Vec<_>>(),
        )
        .build();
    let log = Sarif::builder()
        .version(serde_json::json!("2.1.0"))
        .schema(
            "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
                .to_string(),
        )
        .runs(vec![run])
        .build();
    serde_json::to_string_pretty(&log).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")) + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded_per_segment() {
        assert_eq!(
            uri("models/my model/ä#1.sql"),
            "models/my%20model/%C3%A4%231.sql"
        );
        assert_eq!(uri("a:b/c?d"), "a%3Ab/c%3Fd");
    }

    #[test]
    fn messages_escape_link_brackets() {
        assert_eq!(escape_message("list[0] \\ x"), "list\\[0\\] \\\\ x");
        assert_eq!(pascal_case("dag-cycle"), "DagCycle");
    }
}
