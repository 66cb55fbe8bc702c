//! Reading dbt Jinja with minijinja's own lexer, without rendering it:
//! dbt-only block tags (`snapshot`, `test`, `materialization`, `docs`) are
//! rewritten so minijinja can compile the rest; macro files are split into
//! one source per macro; `ref(…)`/`source(…)` call sites are found with their
//! literal arguments and byte ranges; `{# … #}` comments are located.
//! Unicode whitespace inside tags, which Jinja2 reads as whitespace and
//! minijinja's lexer rejects, is first turned into ASCII spaces.

use std::borrow::Cow;

use minijinja::machinery::{tokenize, Token};
use minijinja::syntax::SyntaxConfig;

/// A `{% tag … %}` block tag: its byte range and its first two words.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BlockTag {
    start: usize,
    end: usize,
    tag: String,
    name: Option<String>,
}

/// One lexed token, reduced to what the scans need.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Data,
    VarStart,
    VarEnd,
    BlockStart,
    BlockEnd,
    Ident(String),
    Str(String),
    Int(u64),
    Dot,
    Comma,
    Assign,
    ParenOpen,
    ParenClose,
    Open,
    Close,
    Other,
}

/// Lexed tokens with byte ranges, and where lexing stopped on an error.
struct Lexed {
    tokens: Vec<(Tok, usize, usize)>,
    /// The lexer error message and byte offset, if it failed.
    error: Option<(String, usize)>,
}

/// Whitespace other than ASCII (no-break, thin, ideographic spaces, …).
fn is_unicode_space(c: char) -> bool {
    !c.is_ascii() && c.is_whitespace()
}

/// The template with every non-ASCII whitespace character inside `{{ }}` and
/// `{% %}` tags, outside string literals, replaced by as many ASCII spaces as
/// it has bytes. Jinja2's lexer skips any Unicode whitespace between tokens
/// (Python's `\s`), minijinja's only ASCII whitespace, so a model dbt reads
/// (a thin space before a comma) would otherwise not render. Byte offsets and
/// lines do not move; template data and string contents are kept as written.
///
/// Which ranges are data and strings is learnt by lexing a copy in which all
/// such characters are spaces; after a lexer error nothing more is replaced.
pub fn normalize_tag_whitespace(text: &str) -> Cow<'_, str> {
    if text.is_ascii()
        || !text.chars().any(is_unicode_space)
        || super::jinja::overlong_line(text).is_some()
    {
        return Cow::Borrowed(text);
    }
    let spaced = |keep: &dyn Fn(usize) -> bool| -> String {
        let mut out = String::with_capacity(text.len());
        for (at, c) in text.char_indices() {
            if is_unicode_space(c) && !keep(at) {
                out.extend(std::iter::repeat_n(' ', c.len_utf8()));
            } else {
                out.push(c);
            }
        }
        out
    };
    let candidate = spaced(&|_| false);
    // Byte ranges to keep as written: template data and string literals,
    // and everything after a lexer error.
    let mut kept: Vec<(usize, usize)> = Vec::new();
    let mut lexed_to = 0usize;
    for item in tokenize(&candidate, false, SyntaxConfig::default()) {
        match item {
            Ok((token, span)) => {
                let range = (span.start_offset as usize, span.end_offset as usize);
                lexed_to = range.1;
                if matches!(
                    token,
                    Token::TemplateData(_) | Token::Str(_) | Token::String(_)
                ) {
                    kept.push(range);
                }
            }
            Err(_) => {
                kept.push((lexed_to, text.len()));
                break;
            }
        }
    }
    // Ranges come in text order: a binary search finds the one at `at`.
    let keep = |at: usize| {
        let i = kept.partition_point(|k| k.1 <= at);
        kept.get(i).is_some_and(|k| k.0 <= at)
    };
    Cow::Owned(spaced(&keep))
}

/// The line of the first place where a template's expressions nest deeper
/// than `max` — brackets, and runs of prefix operators (`- - - x`,
/// `not not x`), which minijinja's parser descends once each without a
/// limit of its own (a fuzzer's 50,000 `-` overflowed the stack) — if any.
/// Lexing is iterative, so this never recurses itself.
pub fn nested_too_deep(text: &str, max: usize) -> Option<usize> {
    if tag_openers(text) <= max || super::jinja::overlong_line(text).is_some() {
        return None;
    }
    let (mut brackets, mut prefixes) = (0usize, 0usize);
    for (token, span) in tokenize(text, false, SyntaxConfig::default()).map_while(Result::ok) {
        match token {
            Token::ParenOpen | Token::BracketOpen | Token::BraceOpen => {
                brackets += 1;
                prefixes = 0;
            }
            Token::ParenClose | Token::BracketClose | Token::BraceClose => {
                brackets = brackets.saturating_sub(1);
            }
            Token::Minus | Token::Plus => prefixes += 1,
            Token::Ident("not") => prefixes += 1,
            Token::VariableEnd | Token::BlockEnd => (brackets, prefixes) = (0, 0),
            _ => prefixes = 0,
        }
        if brackets + prefixes > max {
            return Some(span.start_line as usize);
        }
    }
    None
}

/// How many brackets, `+`/`-` and `not`s the tags (`{{ … }}`, `{% … %}`)
/// of a template hold: each level of nesting needs one, so a template with
/// no more than the limit cannot reach it and is not lexed. SQL around the
/// tags (its `--` comments, its parentheses) does not count.
fn tag_openers(text: &str) -> usize {
    use memchr::memmem::Finder;
    // The searchers are built once per text, not once per tag.
    let (variable_end, block_end, not) =
        (Finder::new(b"}}"), Finder::new(b"%}"), Finder::new(b"not"));
    let bytes = text.as_bytes();
    let mut count = 0;
    let mut at = 0;
    while let Some(i) = memchr::memchr(b'{', &bytes[at..]) {
        let open = at + i + 1;
        let close = match bytes.get(open) {
            Some(b'{') => &variable_end,
            Some(b'%') => &block_end,
            _ => {
                at = open;
                continue;
            }
        };
        let body = open + 1;
        let end = close.find(&bytes[body..]).map_or(bytes.len(), |e| body + e);
        let tag = &bytes[body..end];
        count += tag
            .iter()
            .filter(|b| matches!(b, b'(' | b'[' | b'{' | b'+' | b'-'))
            .count();
        count += not.find_iter(tag).count();
        at = end;
    }
    count
}

fn lex(text: &str) -> Lexed {
    if let Some(line) = super::jinja::overlong_line(text) {
        // minijinja's lexer overflows its column counter on such a line.
        return Lexed {
            tokens: Vec::new(),
            error: Some((format!("line {line} is too long to lex"), 0)),
        };
    }
    let text = normalize_tag_whitespace(text);
    let mut tokens = Vec::new();
    let mut error = None;
    for item in tokenize(&text, false, SyntaxConfig::default()) {
        match item {
            Ok((token, span)) => {
                let tok = match token {
                    Token::TemplateData(_) => Tok::Data,
                    Token::VariableStart => Tok::VarStart,
                    Token::VariableEnd => Tok::VarEnd,
                    Token::BlockStart => Tok::BlockStart,
                    Token::BlockEnd => Tok::BlockEnd,
                    Token::Ident(s) => Tok::Ident(s.to_string()),
                    Token::Str(s) => Tok::Str(s.to_string()),
                    Token::String(s) => Tok::Str(s.to_string()),
                    Token::Int(i) => Tok::Int(i),
                    Token::Dot => Tok::Dot,
                    Token::Comma => Tok::Comma,
                    Token::Assign => Tok::Assign,
                    Token::ParenOpen => Tok::ParenOpen,
                    Token::ParenClose => Tok::ParenClose,
                    Token::BracketOpen | Token::BraceOpen => Tok::Open,
                    Token::BracketClose | Token::BraceClose => Tok::Close,
                    _ => Tok::Other,
                };
                tokens.push((tok, span.start_offset as usize, span.end_offset as usize));
            }
            Err(e) => {
                let offset = tokens.last().map_or(0, |t: &(Tok, usize, usize)| t.2);
                error = Some((e.to_string(), offset));
                break;
            }
        }
    }
    Lexed { tokens, error }
}

fn block_tags(lexed: &Lexed) -> Vec<BlockTag> {
    let mut tags = Vec::new();
    let toks = &lexed.tokens;
    let mut i = 0;
    while i < toks.len() {
        if toks[i].0 == Tok::BlockStart {
            let start = toks[i].1;
            let mut j = i + 1;
            let mut words = Vec::new();
            while j < toks.len() && toks[j].0 != Tok::BlockEnd {
                if let Tok::Ident(w) = &toks[j].0 {
                    if words.len() < 2 && j <= i + 2 {
                        words.push(w.clone());
                    }
                }
                j += 1;
            }
            let end = toks.get(j).map_or(start, |t| t.2);
            if let Some(tag) = words.first() {
                tags.push(BlockTag {
                    start,
                    end,
                    tag: tag.clone(),
                    name: words.get(1).cloned(),
                });
            }
            i = j;
        }
        i += 1;
    }
    tags
}

/// Replaces a byte range with spaces, keeping newlines, so later lines and
/// columns do not move.
fn blank(out: &mut [u8], start: usize, end: usize) {
    for b in out.iter_mut().take(end).skip(start) {
        if *b != b'\n' && *b != b'\r' {
            *b = b' ';
        }
    }
}

/// The text of a dbt SQL file rewritten so minijinja can compile it:
/// `{% snapshot x %}`/`{% endsnapshot %}` and `{% docs %}`…`{% enddocs %}`
/// and `{% materialization %}`…`{% endmaterialization %}` are blanked,
/// `{% test x(…) %}` becomes `{% macro test_x(…) %}`. Offsets of everything
/// else are kept (blanking keeps byte lengths; the `test` rewrite keeps the
/// line). Unicode whitespace inside tags is normalized first
/// ([`normalize_tag_whitespace`]). Returns the text and the snapshot name,
/// if any.
pub fn rewrite_dbt_blocks(text: &str) -> (String, Option<String>) {
    let normalized = normalize_tag_whitespace(text);
    let text: &str = &normalized;
    let lexed = lex(text);
    rewrite_lexed(text, &lexed).unwrap_or_else(|| (text.to_string(), None))
}

/// A dbt SQL file as [`rewrite_dbt_blocks`] rewrites it, its snapshot name,
/// and its `ref`/`source` calls as [`scan_calls`] finds them in the
/// rewritten text, with the file lexed once when the rewrite changes
/// nothing (as in most models).
pub fn rewrite_and_scan(text: &str) -> (String, Option<String>, Vec<CallSite>) {
    let normalized = normalize_tag_whitespace(text);
    let text: &str = &normalized;
    let lexed = lex(text);
    match rewrite_lexed(text, &lexed) {
        None => (text.to_string(), None, calls_in(&lexed)),
        Some((rewritten, snapshot)) => {
            let (calls, _) = scan_calls(&rewritten);
            (rewritten, snapshot, calls)
        }
    }
}

/// The rewrite of [`rewrite_dbt_blocks`] on a lexed, normalized text;
/// `None` when it has no block to rewrite.
fn rewrite_lexed(text: &str, lexed: &Lexed) -> Option<(String, Option<String>)> {
    let tags = block_tags(lexed);
    if !tags.iter().any(|t| {
        matches!(
            t.tag.as_str(),
            "snapshot"
                | "endsnapshot"
                | "docs"
                | "enddocs"
                | "materialization"
                | "endmaterialization"
                | "test"
                | "endtest"
        )
    }) {
        return None;
    }
    let mut bytes = text.as_bytes().to_vec();
    let mut snapshot = None;
    let mut blank_from: Option<(usize, &str)> = None;
    let mut replacements: Vec<(usize, usize, String)> = Vec::new();
    for tag in &tags {
        match (tag.tag.as_str(), blank_from) {
            ("snapshot", None) => {
                snapshot = snapshot.or(tag.name.clone());
                blank(&mut bytes, tag.start, tag.end);
            }
            ("endsnapshot", None) => blank(&mut bytes, tag.start, tag.end),
            ("docs", None) => blank_from = Some((tag.start, "enddocs")),
            ("materialization", None) => blank_from = Some((tag.start, "endmaterialization")),
            (t, Some((from, end_tag))) if t == end_tag => {
                blank(&mut bytes, from, tag.end);
                blank_from = None;
            }
            ("test", None) => {
                let original = &text[tag.start..tag.end];
                if let Some(pos) = original.find("test") {
                    let mut new = original.to_string();
                    new.replace_range(pos..pos + 4, "macro test_");
                    // `test x` → `macro test_x`: drop the space after the tag.
                    let after = pos + "macro test_".len();
                    let rest: String = new[after..].trim_start().to_string();
                    new.truncate(after);
                    new.push_str(&rest);
                    replacements.push((tag.start, tag.end, new));
                }
            }
            ("endtest", None) => {
                let original = &text[tag.start..tag.end];
                replacements.push((
                    tag.start,
                    tag.end,
                    original.replacen("endtest", "endmacro", 1),
                ));
            }
            _ => {}
        }
    }
    if let Some((from, _)) = blank_from {
        let len = bytes.len();
        blank(&mut bytes, from, len);
    }
    let mut out = String::from_utf8(bytes).unwrap_or_else(|_| text.to_string());
    for (start, end, new) in replacements.into_iter().rev() {
        if out.is_char_boundary(start) && out.is_char_boundary(end) {
            out.replace_range(start..end, &new);
        }
    }
    Some((out, snapshot))
}

/// One `{% macro name(…) %}…{% endmacro %}` definition cut out of a file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MacroSource {
    /// The macro name.
    pub name: String,
    /// The definition, preceded by newlines so its lines match the file's.
    pub source: String,
    /// Byte offset of the definition in the (rewritten) file.
    pub offset: usize,
}

/// Splits a macro file (already rewritten by [`rewrite_dbt_blocks`]) into
/// its top-level macro definitions. Returns the definitions and a lexer
/// error, if the file could not be read to its end.
pub fn split_macros(text: &str) -> (Vec<MacroSource>, Option<(String, usize)>) {
    let lexed = lex(text);
    (macros_in(text, &lexed), lexed.error)
}

/// A macro file rewritten by [`rewrite_dbt_blocks`] and split by
/// [`split_macros`], lexed once when the rewrite changes nothing.
pub fn rewrite_and_split(text: &str) -> (Vec<MacroSource>, Option<(String, usize)>) {
    let normalized = normalize_tag_whitespace(text);
    let text: &str = &normalized;
    let lexed = lex(text);
    match rewrite_lexed(text, &lexed) {
        None => (macros_in(text, &lexed), lexed.error),
        Some((rewritten, _)) => split_macros(&rewritten),
    }
}

/// The top-level macro definitions of a lexed text ([`split_macros`]).
fn macros_in(text: &str, lexed: &Lexed) -> Vec<MacroSource> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut open: Option<(usize, String)> = None;
    for tag in block_tags(lexed) {
        match tag.tag.as_str() {
            "macro" => {
                if depth == 0 {
                    if let Some(name) = tag.name.clone() {
                        open = Some((tag.start, name));
                    }
                }
                depth += 1;
            }
            "endmacro" => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    if let Some((start, name)) = open.take() {
                        let newlines = text[..start].matches('\n').count();
                        let mut source = "\n".repeat(newlines);
                        source.push_str(&text[start..tag.end]);
                        out.push(MacroSource {
                            name,
                            source,
                            offset: start,
                        });
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Which dbt function a call site calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// `ref(…)` or `builtins.ref(…)`.
    Ref,
    /// `source(…)` or `builtins.source(…)`.
    Source,
}

/// A `ref`/`source` call written in a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallSite {
    /// `ref` or `source`.
    pub kind: CallKind,
    /// Positional arguments: the text of string literals, `None` for any
    /// other expression.
    pub args: Vec<Option<String>>,
    /// Keyword arguments (`version=`, `v=`, `package=`) with literal values.
    pub kwargs: Vec<(String, Option<String>)>,
    /// Byte offset of the function name.
    pub start: usize,
    /// Byte offset just after the closing parenthesis.
    pub end: usize,
}

impl CallSite {
    /// Whether every argument is a literal, so the call can be known without
    /// rendering.
    pub fn is_literal(&self) -> bool {
        self.args.iter().all(Option::is_some) && self.kwargs.iter().all(|(_, v)| v.is_some())
    }

    /// The keyword argument `name`, if given as a literal.
    pub fn kwarg(&self, name: &str) -> Option<&str> {
        self.kwargs
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.as_deref())
    }
}

/// Every `ref(…)`/`source(…)` call in a template, found in the token stream
/// (never in SQL text or comments). Calls through another object
/// (`x.ref(…)`) are skipped, except `builtins.ref(…)`; a macro definition
/// named `ref` is not a call. Tokens after a lexer error are not seen; the
/// error is returned.
pub fn scan_calls(text: &str) -> (Vec<CallSite>, Option<(String, usize)>) {
    let lexed = lex(text);
    (calls_in(&lexed), lexed.error)
}

/// The calls of [`scan_calls`] in a lexed text.
fn calls_in(lexed: &Lexed) -> Vec<CallSite> {
    let toks = &lexed.tokens;
    let mut calls = Vec::new();
    for i in 0..toks.len() {
        let kind = match &toks[i].0 {
            Tok::Ident(name) if name == "ref" => CallKind::Ref,
            Tok::Ident(name) if name == "source" => CallKind::Source,
            _ => continue,
        };
        if toks.get(i + 1).map(|t| &t.0) != Some(&Tok::ParenOpen) {
            continue;
        }
        if i >= 1 {
            match &toks[i - 1].0 {
                Tok::Dot if i < 2 || toks[i - 2].0 != Tok::Ident("builtins".into()) => continue,
                Tok::Ident(w) if w == "macro" => continue,
                _ => {}
            }
        }
        if let Some(call) = read_call(toks, i, kind) {
            calls.push(call);
        }
    }
    calls
}

fn read_call(toks: &[(Tok, usize, usize)], at: usize, kind: CallKind) -> Option<CallSite> {
    let mut args = Vec::new();
    let mut kwargs = Vec::new();
    let mut depth = 0usize;
    let mut current: Vec<&Tok> = Vec::new();
    let mut j = at + 2;
    let finish = |current: &mut Vec<&Tok>,
                  args: &mut Vec<Option<String>>,
                  kwargs: &mut Vec<(String, Option<String>)>| {
        let literal = |toks: &[&Tok]| match toks {
            [Tok::Str(s)] => Some(s.clone()),
            [Tok::Int(i)] => Some(i.to_string()),
            _ => None,
        };
        match current.as_slice() {
            [] => {}
            [Tok::Ident(key), Tok::Assign, rest @ ..] => {
                kwargs.push((key.clone(), literal(rest)));
            }
            all => args.push(literal(all)),
        }
        current.clear();
    };
    while j < toks.len() {
        let tok = &toks[j].0;
        match tok {
            Tok::ParenOpen | Tok::Open => {
                depth += 1;
                current.push(tok);
            }
            Tok::ParenClose | Tok::Close if depth > 0 => {
                depth -= 1;
                current.push(tok);
            }
            Tok::ParenClose => {
                finish(&mut current, &mut args, &mut kwargs);
                return Some(CallSite {
                    kind,
                    args,
                    kwargs,
                    start: toks[at].1,
                    end: toks[j].2,
                });
            }
            Tok::Comma if depth == 0 => finish(&mut current, &mut args, &mut kwargs),
            Tok::VarEnd | Tok::BlockEnd | Tok::Data | Tok::VarStart | Tok::BlockStart => {
                return None
            }
            _ => current.push(tok),
        }
        j += 1;
    }
    None
}

/// The `{# … #}` comments of a template: byte offset of the `{#` and the text
/// between the markers.
pub fn jinja_comments(text: &str) -> Vec<(usize, String)> {
    let lexed = lex(text);
    let mut comments = Vec::new();
    let mut previous_end = 0usize;
    let ends = lexed
        .tokens
        .iter()
        .map(|t| (t.1, t.2))
        .chain(std::iter::once((text.len(), text.len())));
    for (start, end) in ends {
        if start > previous_end {
            if let Some(gap) = text.get(previous_end..start) {
                collect_comments(gap, previous_end, &mut comments);
            }
        }
        previous_end = previous_end.max(end);
    }
    comments
}

fn collect_comments(gap: &str, base: usize, out: &mut Vec<(usize, String)>) {
    let mut rest = gap;
    let mut offset = base;
    while let Some(open) = rest.find("{#") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("#}") else { break };
        let inner = after[..close].trim_start_matches('-').trim_end_matches('-');
        out.push((offset + open, inner.trim().to_string()));
        let consumed = open + 2 + close + 2;
        offset += consumed;
        rest = &rest[consumed..];
    }
}

/// The raw template text chunks (outside `{{ }}`/`{% %}`/`{# #}`), with their
/// byte offsets: where SQL and its `--` comments are.
pub fn template_data(text: &str) -> Vec<(usize, usize)> {
    lex(text)
        .tokens
        .iter()
        .filter(|t| t.0 == Tok::Data)
        .map(|t| (t.1, t.2))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    type Seen<'a> = (CallKind, Vec<Option<String>>, Option<&'a str>, &'a str);

    #[test]
    fn only_what_tags_hold_counts_toward_nesting() {
        // The SQL's `(` and `--` do not count; the tags' `(`, `-`, `not` do.
        assert_eq!(
            tag_openers("select (1) -- note {{ f(-x) }} {% if not a %}"),
            3
        );
        assert_eq!(tag_openers("{{"), 0);
        assert_eq!(tag_openers("{%}"), 0);
    }

    #[test]
    fn finds_literal_ref_and_source_calls_with_ranges() {
        let text = "select * from {{ ref('a') }} join {{ ref(\"pkg\", 'b', v=2) }}\n{{ source('raw', 'orders') }} {{ builtins.ref('c') }} {{ x.ref('no') }} {{ ref(name) }}";
        let (calls, error) = scan_calls(text);
        assert!(error.is_none());
        let got: Vec<Seen> = calls
            .iter()
            .map(|c| (c.kind, c.args.clone(), c.kwarg("v"), &text[c.start..c.end]))
            .collect();
        assert_eq!(
            got,
            vec![
                (CallKind::Ref, vec![Some("a".into())], None, "ref('a')"),
                (
                    CallKind::Ref,
                    vec![Some("pkg".into()), Some("b".into())],
                    Some("2"),
                    "ref(\"pkg\", 'b', v=2)"
                ),
                (
                    CallKind::Source,
                    vec![Some("raw".into()), Some("orders".into())],
                    None,
                    "source('raw', 'orders')"
                ),
                (CallKind::Ref, vec![Some("c".into())], None, "ref('c')"),
                (CallKind::Ref, vec![None], None, "ref(name)"),
            ]
        );
        assert!(!calls[4].is_literal());
    }

    #[test]
    fn ref_in_sql_text_or_comment_is_not_a_call() {
        let (calls, _) = scan_calls("-- ref('x')\nselect 'ref(1)' {# {{ ref('y') }} #}");
        assert!(calls.is_empty());
    }

    #[test]
    fn a_macro_named_ref_is_not_a_call() {
        let (calls, _) =
            scan_calls("{% macro ref(model_name) %}{{ builtins.ref(model_name) }}{% endmacro %}");
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].args, vec![None]);
    }

    #[test]
    fn broken_template_still_yields_calls_before_the_error() {
        let (calls, error) = scan_calls("{{ ref('a') }}\n{{ ref('b' }}\n{{ 'unterminated");
        assert_eq!(calls.len(), 1);
        assert!(error.is_some());
    }

    #[test]
    fn splits_macros_and_keeps_lines() {
        let text = "{% macro a(x) %}{{ x }}{% endmacro %}\n\n{%- macro b() -%}\n{% macro inner() %}{% endmacro %}\n{%- endmacro %}";
        let (macros, error) = split_macros(text);
        assert!(error.is_none());
        let names: Vec<&str> = macros.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, vec!["a", "b"]);
        assert!(macros[1].source.starts_with("\n\n{%- macro b()"));
        assert!(macros[1].source.ends_with("{%- endmacro %}"));
    }

    #[test]
    fn rewrites_snapshot_test_and_materialization_blocks() {
        let text = "{% snapshot orders_snap %}\nselect 1\n{% endsnapshot %}";
        let (out, name) = rewrite_dbt_blocks(text);
        assert_eq!(name.as_deref(), Some("orders_snap"));
        assert_eq!(out.len(), text.len());
        assert_eq!(out.trim(), "select 1");
        let (out, _) = rewrite_dbt_blocks(
            "{% test positive(model, column_name) %}x{% endtest %}\n{% materialization m, default %}\n{{ weird }}{% endmaterialization %}y",
        );
        assert!(out.starts_with("{% macro test_positive(model, column_name) %}x{% endmacro %}\n"));
        assert!(out.ends_with("y"));
        assert!(!out.contains("weird"));
    }

    #[test]
    fn unicode_whitespace_in_tags_becomes_spaces_elsewhere_is_kept() {
        // U+2009 (thin space, 3 bytes) in a tag, in a string, in SQL text;
        // U+00A0 (no-break space, 2 bytes) in a block tag.
        let text = "{{ config(a='x\u{2009}y'\u{2009}) }}\u{2009}select\n{%\u{a0}set b = 1 %}{{ ref('m') }}";
        let out = normalize_tag_whitespace(text);
        assert_eq!(
            out,
            "{{ config(a='x\u{2009}y'   ) }}\u{2009}select\n{%  set b = 1 %}{{ ref('m') }}"
        );
        assert_eq!(out.len(), text.len());
        let (calls, error) = scan_calls(text);
        assert!(error.is_none());
        assert_eq!(calls.len(), 1);
        assert_eq!(&text[calls[0].start..calls[0].end], "ref('m')");
        assert!(matches!(
            normalize_tag_whitespace("{{ ref('a') }} é"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn unicode_whitespace_after_a_lexer_error_is_kept() {
        let text = "{{ 'open\u{2009}}}";
        assert_eq!(normalize_tag_whitespace(text), text);
    }

    #[test]
    fn finds_jinja_comments_and_template_data() {
        let text = "a {# pipelint: allow[x] y #} b {{ c }} {#- z -#}";
        let comments = jinja_comments(text);
        assert_eq!(
            comments,
            vec![
                (2, "pipelint: allow[x] y".to_string()),
                (39, "z".to_string())
            ]
        );
        let data = template_data(text);
        assert_eq!(&text[data[0].0..data[0].1], "a ");
    }
}
