//! The rule catalogue: one file per rule, each reading the graph and returning
//! findings. Rules know nothing of file formats.

mod consumer_reads_raw;
mod cross_dag_without_trigger;
mod dag_cycle;
mod duplicate_extract;
mod freshness_unreachable;
mod layer_backflow;
mod layer_skip;
mod missing_cadence;
mod missing_failure_behavior;
mod missing_owner;
mod multiple_writers;
mod orphan_serving;
mod publish_without_check;
pub mod select;
pub mod suppress;
mod unknown_owner;
mod unresolved_reference;

use crate::diagnostic::{Diagnostic, Severity};
use crate::graph::Graph;

/// What identifies and documents a rule.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable code, e.g. `PL101`.
    pub code: &'static str,
    /// Stable slug, e.g. `dag-cycle`.
    pub slug: &'static str,
    /// Severity unless configured otherwise.
    pub default_severity: Severity,
    /// One line for `pipelint rules`.
    pub summary: &'static str,
    /// The rule's page from `rules/<slug>.md`, shown by `pipelint explain`.
    pub doc: &'static str,
}

impl RuleMeta {
    /// The "What it does" section of the rule's page, as one paragraph of
    /// text (SARIF `fullDescription`).
    pub fn what_it_does(&self) -> String {
        let mut lines = self
            .doc
            .lines()
            .skip_while(|l| l.trim() != "## What it does")
            .skip(1)
            .take_while(|l| !l.starts_with("## "));
        let mut text = String::new();
        for line in lines.by_ref() {
            let line = line.trim();
            if line.is_empty() && !text.is_empty() {
                break;
            }
            if !line.is_empty() {
                if !text.is_empty() {
                    text.push(' ');
                }
                text.push_str(line);
            }
        }
        if text.is_empty() {
            text.push_str(self.summary);
        }
        text
    }

    /// A stable link to the rule's page: `rules/<slug>.md` in the repository
    /// at the tag of this version.
    pub fn page_url(&self) -> String {
        format!(
            "{}/blob/v{}/rules/{}.md",
            env!("CARGO_PKG_REPOSITORY"),
            env!("CARGO_PKG_VERSION"),
            self.slug
        )
    }
}

/// A check over the joined graph.
pub trait Rule: Sync {
    /// The rule's identity and documentation.
    fn meta(&self) -> &'static RuleMeta;
    /// The findings on this graph, in any order (the caller sorts).
    fn check(&self, graph: &Graph) -> Vec<Diagnostic>;
}

macro_rules! meta {
    ($code:literal, $slug:literal, $sev:ident, $summary:literal) => {
        RuleMeta {
            code: $code,
            slug: $slug,
            default_severity: $crate::diagnostic::Severity::$sev,
            summary: $summary,
            doc: include_str!(concat!("../../rules/", $slug, ".md")),
        }
    };
}
pub(crate) use meta;

/// Findings made while reading files rather than by checking the graph.
pub static PARSE_STAGE: [RuleMeta; 5] = [
    meta!(
        "PL000",
        "parse-error",
        Error,
        "a file that could not be read or parsed"
    ),
    meta!(
        "PL001",
        "invalid-config",
        Error,
        "a problem in pipeline.toml, CODEOWNERS or an inline allow"
    ),
    meta!(
        "PL002",
        "unused-allow",
        Warn,
        "an [[allow]] or inline allow that matched no finding"
    ),
    meta!(
        "PL003",
        "unresolved-dynamic",
        Info,
        "a DAG id, schedule or owner that only running the code would reveal"
    ),
    meta!(
        "PL004",
        "unparsed-sql",
        Warn,
        "a SQL statement no dialect tried parses; its reads and writes are recovered from tokens"
    ),
];

/// The graph rules, in code order.
pub static GRAPH_RULES: [&dyn Rule; 15] = [
    &dag_cycle::DagCycle,
    &unresolved_reference::UnresolvedReference,
    &cross_dag_without_trigger::CrossDagWithoutTrigger,
    &missing_owner::MissingOwner,
    &unknown_owner::UnknownOwner,
    &missing_cadence::MissingCadence,
    &missing_failure_behavior::MissingFailureBehavior,
    &freshness_unreachable::FreshnessUnreachable,
    &consumer_reads_raw::ConsumerReadsRaw,
    &layer_skip::LayerSkip,
    &layer_backflow::LayerBackflow,
    &duplicate_extract::DuplicateExtract,
    &multiple_writers::MultipleWriters,
    &publish_without_check::PublishWithoutCheck,
    &orphan_serving::OrphanServing,
];

/// Every rule's metadata, in code order.
pub fn all() -> Vec<&'static RuleMeta> {
    let mut metas: Vec<&'static RuleMeta> = registered().collect();
    metas.sort_by_key(|m| m.code);
    metas
}

fn registered() -> impl Iterator<Item = &'static RuleMeta> {
    PARSE_STAGE
        .iter()
        .chain(GRAPH_RULES.iter().map(|r| r.meta()))
}

/// A rule by slug or code (case-insensitive).
pub fn find(name: &str) -> Option<&'static RuleMeta> {
    registered().find(|m| m.slug.eq_ignore_ascii_case(name) || m.code.eq_ignore_ascii_case(name))
}

/// A rule's slug as text, for serde (the fact cache): read back as the
/// registered slug, so an unknown one fails the read.
pub mod slug_text {
    /// Writes the slug.
    pub fn serialize<S: serde::Serializer>(slug: &&'static str, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(slug)
    }

    /// Reads a slug back as the registered `&'static str`.
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
        let text: std::borrow::Cow<'de, str> = serde::Deserialize::deserialize(d)?;
        super::registered()
            .find(|m| m.slug == text)
            .map(|m| m.slug)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown rule `{text}`")))
    }
}

/// The code of a slug (for sorting and output); `PL???` for an unknown slug.
pub fn code_of(slug: &str) -> &'static str {
    registered()
        .find(|m| m.slug == slug)
        .map_or("PL???", |m| m.code)
}
