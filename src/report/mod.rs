//! Reporters: render findings and graphs. They format; they decide nothing.

pub mod audit;
pub mod diagram;
pub mod github;
pub mod gitlab;
pub mod graph_json;
pub mod human;
pub mod impact;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod metrics;
pub mod sarif;
pub mod table;
pub mod terminal;

/// Output formats of `pipelint check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Findings with code frames, for a terminal.
    Human,
    /// One JSON document: summary and sorted findings.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitHub Actions annotations on the pull request's lines (capped at
    /// what GitHub displays, with a closing notice).
    Github,
    /// A Markdown report for a pull request or a GitHub step summary.
    Markdown,
    /// GitLab Code Quality (`artifacts: reports: codequality`).
    Gitlab,
    /// JUnit XML: one testsuite per rule, one failed testcase per finding.
    Junit,
}
