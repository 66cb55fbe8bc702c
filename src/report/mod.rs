//! Reporters: render findings and graphs. They format; they decide nothing.

pub mod graph_json;
pub mod human;
pub mod json;

/// Output formats of `pipelint check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Findings with code frames, for a terminal.
    Human,
    /// One JSON document: summary and sorted findings.
    Json,
}
