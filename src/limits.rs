//! Per-file work limits: how much one file may cost (bytes, statements,
//! syntax nodes, nesting depth, template fuel), counted in work, never in
//! time, so the output is the same on any machine under any load. Each limit
//! has one diagnostic naming it and the command-line flag that raises it;
//! the repo's own `pipeline.toml` cannot raise them (a pull request must not
//! be able to switch its own safety off).
//!
//! The limits are set once per process, by the command line, before a run
//! ([`set`]); the parsers read them with [`get`]. Also here: the pre-scans
//! that refuse input a parser would crash on instead of erroring.

use std::sync::RwLock;

/// The limits of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file read, in bytes (`--max-file-bytes`).
    pub file_bytes: u64,
    /// Most statements in one SQL file (`--max-statements`).
    pub statements: usize,
    /// Most syntax nodes: tokens of one SQL statement, parse steps of one
    /// Python file (`--max-nodes`).
    pub nodes: usize,
    /// Deepest nesting: brackets and expressions in SQL, blocks in Python,
    /// collections in YAML (`--max-depth`).
    pub depth: usize,
    /// Template work for one dbt model, in minijinja fuel (`--render-fuel`).
    pub render_fuel: u64,
}

/// The limits when the command line names none: far above any real
/// pipeline file, far below what would exhaust a CI runner.
pub const DEFAULT: Limits = Limits {
    file_bytes: 16 * 1024 * 1024,
    statements: 250_000,
    nodes: 100_000,
    depth: 64,
    render_fuel: 2_000_000,
};

impl Default for Limits {
    fn default() -> Limits {
        DEFAULT
    }
}

static CURRENT: RwLock<Limits> = RwLock::new(DEFAULT);

/// Sets the limits for the runs that follow in this process.
pub fn set(limits: Limits) {
    if let Ok(mut current) = CURRENT.write() {
        *current = limits;
    }
}

/// The limits in force.
pub fn get() -> Limits {
    CURRENT.read().map(|l| *l).unwrap_or_default()
}

/// The one wording of input over a limit: what was found, and the limit
/// with the flag that raises it (`300001 statements: over the limit of
/// 250000 (raise it with --max-statements)`).
pub fn over(found: impl std::fmt::Display, flag: &str, limit: impl std::fmt::Display) -> String {
    format!("{found}: over the limit of {limit} (raise it with --{flag})")
}

/// Most indentation levels tree-sitter-python survives: its scanner keeps
/// the indent stack in a fixed buffer and aborts the process (a C
/// assertion) past about 500. Not raisable: past it there is no parse.
pub const PYTHON_INDENT_CAP: usize = 400;

/// How many indentation levels deep a Python text goes, counted like
/// Python's tokenizer does (a stack of increasing indent widths), over
/// every non-blank line. Lines inside brackets or strings count too, so
/// this is an upper bound — enough to refuse a file before tree-sitter.
pub fn python_indent_depth(text: &str) -> usize {
    let mut stack: Vec<usize> = Vec::new();
    let mut deepest = 0;
    for line in text.lines() {
        let body = line.trim_start_matches([' ', '\t']);
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let width = line.len() - body.len();
        while stack.last().is_some_and(|&w| w > width) {
            stack.pop();
        }
        if width > 0 && stack.last().is_none_or(|&w| w < width) {
            stack.push(width);
        }
        deepest = deepest.max(stack.len());
    }
    deepest
}

/// Where a YAML text nests collections deeper than `max`: the 0-based line
/// and column of the collection that goes too deep, found by streaming the
/// parser's events, so no deep tree is ever built (dropping one overflows
/// the stack). Syntax errors are left to the real parse.
pub fn yaml_too_deep(text: &str, max: usize) -> Option<(usize, usize)> {
    use saphyr_parser::{Event, Parser};
    let mut parser = Parser::new_from_str(text);
    let mut depth = 0usize;
    while let Some(Ok((event, span))) = parser.next_event() {
        match event {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                depth += 1;
                if depth > max {
                    return Some((span.start.line(), span.start.col()));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
            Event::StreamEnd => break,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_indentation_is_counted_as_a_stack() {
        assert_eq!(python_indent_depth("a\n  b\n    c\n  d\ne\n"), 2);
        assert_eq!(python_indent_depth("if x:\n\n    # c\n    y\n"), 1);
        let deep: String = (0..600)
            .map(|i| format!("{}if x:\n", " ".repeat(i)))
            .collect();
        assert_eq!(python_indent_depth(&deep), 599);
    }

    #[test]
    fn yaml_depth_is_found_without_building_a_tree() {
        assert_eq!(yaml_too_deep("a: [1, [2]]\n", 3), None);
        assert_eq!(yaml_too_deep("a: [1, [2]]\n", 2), Some((1, 7)));
        let hostile = format!("x: [{}", ": ".repeat(30_000));
        assert!(yaml_too_deep(&hostile, 64).is_some());
    }
}
