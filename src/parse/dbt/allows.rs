//! Inline `pipelint: allow[rule] reason` comments in dbt files: `#` comments
//! in YAML, `--` comments in the SQL of models and `{# … #}` Jinja comments.

use std::sync::Arc;

use super::template_scan::{jinja_comments, template_data};
use crate::facts::InlineAllow;
use crate::parse::inline_allow::{allow_in_comment, alone_on_line, may_hold_directive};
use crate::span::LineIndex;

/// Allows in a YAML file. A `#` starts a comment at the start of a line or
/// after whitespace, outside quotes; block scalars (`|`, `>`) are skipped.
pub fn yaml_allows(file: &Arc<str>, text: &str) -> Vec<InlineAllow> {
    if !may_hold_directive(text) {
        return Vec::new();
    }
    let index = LineIndex::new(text);
    let mut out = Vec::new();
    let mut offset = 0usize;
    let mut block_indent: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        let blank = line.trim().is_empty();
        if let Some(min) = block_indent {
            if blank || indent > min {
                offset += line.len();
                continue;
            }
            block_indent = None;
        }
        if let Some(pos) = comment_start(line, b'#') {
            push(
                &mut out,
                file,
                text,
                &index,
                offset + pos,
                &line[pos..],
                line[..pos].trim().is_empty(),
            );
        }
        let code = comment_start(line, b'#')
            .map_or(line, |p| &line[..p])
            .trim_end();
        if code.ends_with('|')
            || code.ends_with('>')
            || code.ends_with("|-")
            || code.ends_with(">-")
        {
            block_indent = Some(indent);
        }
        offset += line.len();
    }
    out
}

/// Allows in a dbt SQL template: `--` comments in its SQL text and
/// `{# … #}` comments.
pub fn template_allows(file: &Arc<str>, text: &str) -> Vec<InlineAllow> {
    if !may_hold_directive(text) {
        return Vec::new();
    }
    let index = LineIndex::new(text);
    let mut out = Vec::new();
    for (start, end) in template_data(text) {
        let Some(chunk) = text.get(start..end) else {
            continue;
        };
        let mut offset = start;
        for line in chunk.split_inclusive('\n') {
            if let Some(pos) = sql_comment_start(line) {
                let at = offset + pos;
                let alone = alone_on_line(text, at);
                push(&mut out, file, text, &index, at, &line[pos..], alone);
            }
            offset += line.len();
        }
    }
    for (at, inner) in jinja_comments(text) {
        let alone = alone_on_line(text, at);
        push(&mut out, file, text, &index, at, &inner, alone);
    }
    out.sort_by_key(|a| a.span.offset);
    out
}

fn push(
    out: &mut Vec<InlineAllow>,
    file: &Arc<str>,
    text: &str,
    index: &LineIndex,
    at: usize,
    comment: &str,
    alone: bool,
) {
    let comment = comment.trim_end_matches(['\n', '\r']);
    let span = index.span(file, text, at, at + comment.len());
    out.extend(allow_in_comment(comment, span, alone));
}

/// Where a `marker` comment starts on a line, outside quotes, at the start
/// or after whitespace.
fn comment_start(line: &str, marker: u8) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut quote: Option<u8> = None;
    for (i, &b) in bytes.iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'\'' || b == b'"' => quote = Some(b),
            None if b == marker && (i == 0 || bytes[i - 1].is_ascii_whitespace()) => {
                return Some(i)
            }
            None => {}
        }
    }
    None
}

/// Where a `--` comment starts on a SQL line, outside quotes.
fn sql_comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut quote: Option<u8> = None;
    for (i, &b) in bytes.iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'\'' || b == b'"' => quote = Some(b),
            None if b == b'-' && bytes.get(i + 1) == Some(&b'-') => return Some(i),
            None => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_comments_outside_quotes_and_block_scalars() {
        let file: Arc<str> = Arc::from("models/schema.yml");
        let text = "models:\n  # pipelint: allow[missing-owner] legacy\n  - name: a\n    description: \"# pipelint: allow[x] not a comment\"\n    notes: |\n      # pipelint: allow[y] inside a block\n  - name: b  # pipelint: allow[layer-skip] reviewed\n";
        let allows = yaml_allows(&file, text);
        let got: Vec<(&str, &str, u32, u32)> = allows
            .iter()
            .map(|a| {
                (
                    a.rule.as_str(),
                    a.reason.as_str(),
                    a.span.line,
                    a.applies_to_line,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("missing-owner", "legacy", 2, 3),
                ("layer-skip", "reviewed", 7, 7)
            ]
        );
    }

    #[test]
    fn sql_and_jinja_comments_in_templates() {
        let file: Arc<str> = Arc::from("models/m.sql");
        let text = "-- pipelint: allow[layer-skip] mart on purpose\nselect '-- pipelint: allow[no] x' from {{ source('a','b') }} {# pipelint: allow[consumer-reads-raw] ok #}\n{{ \"-- pipelint: allow[no2] y\" }}";
        let allows = template_allows(&file, text);
        let got: Vec<(&str, u32, u32)> = allows
            .iter()
            .map(|a| (a.rule.as_str(), a.span.line, a.applies_to_line))
            .collect();
        assert_eq!(
            got,
            vec![("layer-skip", 1, 2), ("consumer-reads-raw", 2, 2)]
        );
    }
}
