//! pipelint: an architecture linter for data-pipeline repositories.
//!
//! discover → parse (facts) → graph (resolve) → rules → report.

pub mod audit;
pub mod cadence;
pub mod check;
pub mod cli;
pub mod compute;
pub mod confine;
pub mod diagnostic;
pub mod discover;
pub mod facts;
pub mod failure;
pub mod files;
pub mod fingerprint;
pub mod graph;
pub mod impact;
pub mod limits;
pub mod manifest;
pub mod metrics;
pub mod parse;
pub mod report;
pub mod rules;
pub mod span;
pub mod sql_dialect;
pub mod suggest;
pub mod view;
pub mod workspace;
