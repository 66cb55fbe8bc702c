//! pipelint: an architecture linter for data-pipeline repositories.
//!
//! discover → parse (facts) → graph (resolve) → rules → report.

pub mod add_allow;
pub mod aside;
pub mod audit;
pub mod baseline;
pub mod cache;
pub mod cadence;
pub mod changed_since;
pub mod check;
pub mod cli;
pub mod compute;
pub mod confine;
pub mod diagnostic;
pub mod discover;
pub mod exclude;
pub mod facts;
pub mod failure;
pub mod files;
pub mod fingerprint;
pub mod git;
pub mod globs;
pub mod graph;
pub mod group;
pub mod impact;
pub mod limits;
pub mod manifest;
pub mod metrics;
pub mod parse;
pub mod report;
pub mod rules;
pub mod server;
pub mod span;
pub mod sql_dialect;
pub mod suggest;
pub mod view;
pub mod watch;
pub mod workspace;
