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
    /// Most syntax nodes: tokens of one SQL statement; a Python file's
    /// parse gets one tree-sitter progress step (about 100 parser
    /// operations) per [`NODES_PER_PYTHON_STEP`] (`--max-nodes`).
    pub nodes: usize,
    /// Deepest nesting: brackets and expressions in SQL, collections in
    /// YAML; a chain of SQL operators (`a + b + …`, `… UNION ALL …`) builds
    /// a tree as deep as it is long, and may be [`CHAIN_PER_DEPTH`] times
    /// this long (`--max-depth`).
    pub depth: usize,
    /// Template work for one dbt model, in minijinja fuel (`--render-fuel`).
    pub render_fuel: u64,
}

/// The limits when the command line names none: far above any real
/// pipeline file, far below what would exhaust a CI runner.
pub const DEFAULT: Limits = Limits {
    file_bytes: 16 * 1024 * 1024,
    statements: 250_000,
    nodes: 2_000_000,
    depth: 64,
    render_fuel: 2_000_000,
};

/// Nodes per tree-sitter progress step: real DAG files take one step per
/// ~130 bytes, so the default budget (100,000 steps) is far above any of
/// them, and megabytes of noise that keep error recovery busy stop there.
pub const NODES_PER_PYTHON_STEP: usize = 20;

/// How many operators one chain may have per level of `--max-depth`.
pub const CHAIN_PER_DEPTH: usize = 16;

/// The longest chain of binary or set operators (and joins, which nest
/// when they have no `ON`) at one bracket level of a SQL statement's
/// tokens, not broken by a comma: an upper bound on how deep the chains
/// make the parsed tree.
pub fn sql_chain(tokens: &[sqlparser::tokenizer::TokenWithSpan]) -> usize {
    use sqlparser::keywords::Keyword;
    use sqlparser::tokenizer::Token;
    let mut levels = vec![0usize];
    let mut longest = 0;
    for t in tokens {
        match &t.token {
            Token::LParen => levels.push(0),
            Token::RParen if levels.len() > 1 => {
                levels.pop();
            }
            Token::Comma => {
                if let Some(n) = levels.last_mut() {
                    *n = 0;
                }
            }
            Token::Plus
            | Token::Minus
            | Token::Mul
            | Token::Div
            | Token::Mod
            | Token::StringConcat
            | Token::Eq
            | Token::DoubleEq
            | Token::Neq
            | Token::Lt
            | Token::Gt
            | Token::LtEq
            | Token::GtEq
            | Token::Pipe
            | Token::Ampersand
            | Token::Caret
            | Token::Arrow
            | Token::LongArrow => bump(&mut levels, &mut longest),
            Token::Word(w)
                if matches!(
                    w.keyword,
                    Keyword::AND
                        | Keyword::OR
                        | Keyword::XOR
                        | Keyword::UNION
                        | Keyword::EXCEPT
                        | Keyword::INTERSECT
                        | Keyword::MINUS
                        | Keyword::JOIN
                ) =>
            {
                bump(&mut levels, &mut longest)
            }
            _ => {}
        }
    }
    longest
}

fn bump(levels: &mut [usize], longest: &mut usize) {
    if let Some(n) = levels.last_mut() {
        *n += 1;
        *longest = (*longest).max(*n);
    }
}

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
}
