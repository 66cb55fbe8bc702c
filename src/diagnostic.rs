//! A finding: which rule, how severe, what and where.

use crate::span::Span;

/// How much a finding matters; `--fail-on` compares against it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; never fails a run by default.
    Info,
    /// Should be fixed; fails a run with `--fail-on warn`.
    Warn,
    /// Breaks the architecture; fails a run by default.
    Error,
}

impl Severity {
    /// Parses `error`, `warn`/`warning` or `info`.
    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "error" => Some(Severity::Error),
            "warn" | "warning" => Some(Severity::Warn),
            "info" => Some(Severity::Info),
            _ => None,
        }
    }

    /// The lowercase name used in output and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warn => "warn",
            Severity::Info => "info",
        }
    }
}

/// A rule's slug, as registered in [`crate::rules`]. (An alias, so that
/// serde reads it through [`crate::rules::slug_text`] instead of borrowing.)
pub type Slug = &'static str;

/// Another place that takes part in a finding (a hop of a cycle, a second extract).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Related {
    /// What happens at that place.
    pub message: String,
    /// The node there, when the place is a graph node.
    pub node: Option<String>,
    /// Where it is.
    pub span: Option<Span>,
}

/// One finding of one rule. Rules and parsers create them with the rule's slug;
/// the severity is set afterwards from the rule's default and the configuration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    /// The rule's slug, e.g. `dag-cycle`.
    #[serde(with = "crate::rules::slug_text")]
    pub rule: Slug,
    /// Set by rule selection; rules leave the default.
    pub severity: Severity,
    /// One sentence saying what is wrong.
    pub message: String,
    /// The graph node the finding is about, if any.
    pub node: Option<String>,
    /// The primary location.
    pub span: Option<Span>,
    /// Other places involved.
    pub related: Vec<Related>,
    /// How to fix it.
    pub help: Option<String>,
    /// Every node a grouped finding stands for ("one finding per fix"); empty
    /// for a finding about one node. Outputs list them all.
    pub nodes: Vec<String>,
    /// What tells apart several findings of one rule on one node (the
    /// referenced name, the other node of a pair); part of the fingerprint.
    pub key: Option<String>,
    /// The highest severity this finding may have, whatever its rule's
    /// (a dbt exposure without freshness is a hint, not an error).
    pub at_most: Option<Severity>,
}

impl Diagnostic {
    /// A finding of `rule` with a message; add the rest with the builder methods.
    pub fn new(rule: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            rule,
            severity: Severity::Error,
            message: message.into(),
            node: None,
            span: None,
            related: Vec::new(),
            help: None,
            nodes: Vec::new(),
            key: None,
            at_most: None,
        }
    }

    /// Caps the finding's severity at `severity`.
    pub fn at_most(mut self, severity: Severity) -> Diagnostic {
        self.at_most = Some(severity);
        self
    }

    /// Sets the discriminator that tells this finding apart from others of the
    /// same rule on the same node (see [`crate::fingerprint`]).
    pub fn key(mut self, key: impl Into<String>) -> Diagnostic {
        self.key = Some(key.into());
        self
    }

    /// Sets the nodes a grouped finding stands for.
    pub fn nodes(mut self, nodes: Vec<String>) -> Diagnostic {
        self.nodes = nodes;
        self
    }

    /// Sets the node the finding is about.
    pub fn node(mut self, node: impl Into<String>) -> Diagnostic {
        self.node = Some(node.into());
        self
    }

    /// Sets the primary location.
    pub fn at(mut self, span: Option<Span>) -> Diagnostic {
        self.span = span;
        self
    }

    /// Adds a related location.
    pub fn related(
        mut self,
        message: impl Into<String>,
        node: Option<String>,
        span: Option<Span>,
    ) -> Diagnostic {
        self.related.push(Related {
            message: message.into(),
            node,
            span,
        });
        self
    }

    /// Sets the help text.
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }
}

/// Cuts a text quoted in a message to `max` characters, marking the cut
/// with `…`: a repo's text can be megabytes long.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}
