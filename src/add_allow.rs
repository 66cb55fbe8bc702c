//! `check --add-allow "reason"`: an exception for every finding reported, as
//! ruff's `--add-noqa` does: an inline `pipelint: allow[rule] reason` comment
//! alone on the line above the finding in SQL, Python and YAML files, and an
//! `[[allow]]` entry in `pipeline.toml` where a comment cannot go.
//!
//! A comment cannot go where it would become part of something else: inside
//! a multi-line string, a `$$` body or a comment (found with the SQL
//! tokenizer), inside a Jinja tag, after a Python line continuation (found
//! with tree-sitter), inside a YAML block scalar or multi-line quoted scalar
//! (found with the YAML parser). Every inserted comment is read back with the
//! parser's own allow reader before the file is written. Files reached
//! through a symlink, and files their parser could not read, are never
//! written. Findings of the run are gone once
//! allowed, so running it again adds nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::check::Analysis;
use crate::diagnostic::Diagnostic;
use crate::facts::InlineAllow;
use crate::parse::dbt::allows::{template_allows, yaml_allows};
use crate::parse::dbt::template_scan::template_data;

/// The comment syntax of the file kinds an inline allow can go in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Syntax {
    Sql,
    Python,
    Yaml,
}

impl Syntax {
    fn of(file: &str) -> Option<Syntax> {
        let ext = file.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
        match ext.as_deref() {
            Some("sql") => Some(Syntax::Sql),
            Some("py") => Some(Syntax::Python),
            Some("yml" | "yaml") => Some(Syntax::Yaml),
            _ => None,
        }
    }

    fn marker(self) -> &'static str {
        match self {
            Syntax::Sql => "--",
            Syntax::Python | Syntax::Yaml => "#",
        }
    }
}

/// An `[[allow]]` entry to append to the manifest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ManifestAllow {
    rule: &'static str,
    node: Option<String>,
    file: Option<String>,
}

/// Adds an exception for every finding of `analysis`; returns what was done,
/// in words.
pub fn apply(analysis: &Analysis, reason: &str) -> Result<String, String> {
    let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    if reason.is_empty() {
        return Err("--add-allow needs a reason: why these findings are accepted".into());
    }
    let mut inline: BTreeMap<Arc<str>, BTreeMap<u32, Vec<&'static str>>> = BTreeMap::new();
    let mut manifest: BTreeSet<ManifestAllow> = BTreeSet::new();
    // A grouped finding is allowed node by node, at each node's place, so
    // the allows hold however findings are grouped later.
    let singles: Vec<Diagnostic> = analysis
        .diagnostics
        .iter()
        // A stale or malformed exception is fixed, not allowed.
        .filter(|d| !matches!(d.rule, "unused-allow" | "invalid-config"))
        .flat_map(per_node)
        .collect();
    for d in &singles {
        match &d.span {
            // A finding about a whole file points at its start: no line to
            // put a comment above.
            Some(s) if s.offset == 0 && s.len == 0 => manifest.extend(manifest_allow(d)),
            Some(s) if Syntax::of(&s.file).is_some() => {
                let rules = inline
                    .entry(s.file.clone())
                    .or_default()
                    .entry(s.line)
                    .or_default();
                if !rules.contains(&d.rule) {
                    rules.push(d.rule);
                }
            }
            _ => manifest.extend(manifest_allow(d)),
        }
    }
    let mut comments = 0;
    let mut files = 0;
    for (file, lines) in inline {
        let path = analysis.root.join(file.as_ref());
        // A file its parser could not read is not edited: what is inside a
        // string there is not known.
        let unparsed = singles
            .iter()
            .any(|d| d.rule == "parse-error" && d.span.as_ref().is_some_and(|s| s.file == file));
        let written = if unparsed || reaches_through_symlink(&analysis.root, &file) {
            None
        } else {
            analysis
                .context
                .sources
                .get(&file)
                .and_then(|text| insert(&file, &text, &lines, &reason))
        };
        let placed = match written {
            Some((new, placed)) if !placed.is_empty() => {
                std::fs::write(&path, new).map_err(|e| format!("cannot write {file}: {e}"))?;
                files += 1;
                comments += placed.len();
                placed
            }
            _ => BTreeSet::new(),
        };
        for (line, rules) in &lines {
            for rule in rules {
                if !placed.contains(&(*line, *rule)) {
                    let d = singles.iter().filter(|d| d.rule == *rule).filter(|d| {
                        d.span
                            .as_ref()
                            .is_some_and(|s| s.file == file && s.line == *line)
                    });
                    for d in d {
                        manifest.extend(manifest_allow(d));
                    }
                }
            }
        }
    }
    let entries = manifest.len();
    if entries > 0 {
        append_manifest(&analysis.root, &manifest, &reason)?;
    }
    Ok(format!(
        "added {comments} inline allow{} in {files} file{} and {entries} [[allow]] entr{} in pipeline.toml",
        if comments == 1 { "" } else { "s" },
        if files == 1 { "" } else { "s" },
        if entries == 1 { "y" } else { "ies" }
    ))
}

/// The inline allow for one finding of `rule` on `line` of `file` (whose
/// text is `text`), placed as `check --add-allow` places it: the comment
/// line to insert before that line, with its line end. `None` where no
/// comment can go (a whole-file finding at line 1 column 1 aside, which the
/// caller leaves out: a file kind without comments, a line inside a string,
/// `$$` body, Jinja tag or YAML block scalar, a file that does not parse).
pub fn inline_allow(
    file: &Arc<str>,
    text: &str,
    line: u32,
    rule: &'static str,
    reason: &str,
) -> Option<String> {
    let lines = BTreeMap::from([(line, vec![rule])]);
    let (new, placed) = insert(file, text, &lines, reason)?;
    if !placed.contains(&(line, rule)) {
        return None;
    }
    let start = line_starts(&new)
        .get((line as usize).checked_sub(1)?)
        .copied()?;
    let rest = &new[start..];
    Some(rest[..rest.find('\n').map_or(rest.len(), |i| i + 1)].to_string())
}

/// The per-node findings a grouped finding stands for (from its related
/// places), or the finding itself.
fn per_node(d: &Diagnostic) -> Vec<Diagnostic> {
    if d.nodes.is_empty() {
        return vec![d.clone()];
    }
    d.related
        .iter()
        .filter_map(|r| {
            let node = r.node.clone()?;
            Some(
                Diagnostic::new(d.rule, r.message.clone())
                    .node(node)
                    .at(r.span.clone()),
            )
        })
        .collect()
}

/// The `[[allow]]` entry for a finding: by node (each node of a grouped
/// finding), else by file.
fn manifest_allow(d: &Diagnostic) -> Vec<ManifestAllow> {
    let nodes: Vec<String> = if d.nodes.is_empty() {
        d.node.iter().cloned().collect()
    } else {
        d.nodes.clone()
    };
    if !nodes.is_empty() {
        return nodes
            .into_iter()
            .map(|n| ManifestAllow {
                rule: d.rule,
                node: Some(n),
                file: None,
            })
            .collect();
    }
    d.span
        .iter()
        .map(|s| ManifestAllow {
            rule: d.rule,
            node: None,
            file: Some(globset::escape(&s.file)),
        })
        .collect()
}

/// Whether the file, or a folder on the way to it, is a symlink.
fn reaches_through_symlink(root: &Path, rel: &str) -> bool {
    let mut path = PathBuf::from(root);
    for part in rel.split('/') {
        path.push(part);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => return true,
            Ok(_) => {}
            Err(_) => return true,
        }
    }
    false
}

/// The text with an allow comment above each line (the first rule of a line;
/// a line's other rules and lines where no comment can go are left out), and
/// the (line, rule) pairs placed. `None` when the file cannot be analyzed.
fn insert(
    file: &Arc<str>,
    text: &str,
    lines: &BTreeMap<u32, Vec<&'static str>>,
    reason: &str,
) -> Option<(String, BTreeSet<(u32, &'static str)>)> {
    let syntax = Syntax::of(file)?;
    let blocked = blocked_lines(syntax, text)?;
    let starts = line_starts(text);
    let mut wanted: Vec<(u32, &'static str)> = lines
        .iter()
        .filter(|(line, _)| {
            **line >= 1 && !blocked.contains(line) && (**line as usize) <= starts.len()
        })
        .filter_map(|(line, rules)| rules.first().map(|r| (*line, *r)))
        .collect();
    // Insert, read back, and drop any comment the reader does not see as
    // covering its line; at most a few rounds.
    for _ in 0..3 {
        let (new, placed_at) = with_comments(text, &starts, &wanted, syntax, reason);
        let seen = read_allows(syntax, file, &new);
        let ok: Vec<bool> = placed_at
            .iter()
            .map(|(new_line, rule)| {
                seen.iter().any(|a| {
                    a.applies_to_line == new_line + 1 && a.rule == *rule && a.reason == reason
                })
            })
            .collect();
        if ok.iter().all(|b| *b) {
            return Some((new, wanted.into_iter().collect()));
        }
        wanted = wanted
            .into_iter()
            .zip(ok)
            .filter_map(|(w, ok)| ok.then_some(w))
            .collect();
    }
    None
}

/// The text with the comments inserted, and each comment's line number in
/// the new text with its rule.
fn with_comments(
    text: &str,
    starts: &[usize],
    wanted: &[(u32, &'static str)],
    syntax: Syntax,
    reason: &str,
) -> (String, Vec<(u32, &'static str)>) {
    let mut out = String::with_capacity(text.len() + wanted.len() * 64);
    let mut last = 0;
    let mut placed = Vec::new();
    for (i, (line, rule)) in wanted.iter().enumerate() {
        let start = starts[*line as usize - 1];
        out.push_str(&text[last..start]);
        let rest = &text[start..];
        let line_text = &rest[..rest.find('\n').unwrap_or(rest.len())];
        let indent = &line_text[..line_text.len() - line_text.trim_start().len()];
        let eol = if line_text.ends_with('\r') {
            "\r\n"
        } else {
            "\n"
        };
        out.push_str(&format!(
            "{indent}{} pipelint: allow[{rule}] {reason}{eol}",
            syntax.marker()
        ));
        placed.push((*line + i as u32, *rule));
        last = start;
    }
    out.push_str(&text[last..]);
    (out, placed)
}

fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(
        text.match_indices('\n')
            .map(|(i, _)| i + 1)
            .filter(|i| *i < text.len()),
    );
    starts
}

/// The allows the parser of this syntax reads from a text.
fn read_allows(syntax: Syntax, file: &Arc<str>, text: &str) -> Vec<InlineAllow> {
    match syntax {
        Syntax::Yaml => yaml_allows(file, text),
        Syntax::Sql => template_allows(file, text),
        Syntax::Python => python_comments(file, text),
    }
}

/// Lines whose start lies inside a construct a comment line would break.
fn blocked_lines(syntax: Syntax, text: &str) -> Option<BTreeSet<u32>> {
    let mut blocked = BTreeSet::new();
    fn span(blocked: &mut BTreeSet<u32>, start_line: usize, end_line: usize) {
        for l in start_line + 1..=end_line {
            blocked.insert(u32::try_from(l).unwrap_or(u32::MAX));
        }
    }
    match syntax {
        Syntax::Sql => {
            let starts = line_starts(text);
            // Inside a Jinja tag.
            let data = template_data(text);
            for w in data.windows(2) {
                let (gap_start, gap_end) = (w[0].1, w[1].0);
                for (i, s) in starts.iter().enumerate() {
                    if *s > gap_start && *s < gap_end {
                        blocked.insert(u32::try_from(i + 1).unwrap_or(u32::MAX));
                    }
                }
            }
            if let (Some(first), Some(last)) = (data.first(), data.last()) {
                for (i, s) in starts.iter().enumerate() {
                    if *s < first.0 || *s > last.1 {
                        blocked.insert(u32::try_from(i + 1).unwrap_or(u32::MAX));
                    }
                }
            }
            // Inside a multi-line token (strings, `$$` bodies, block comments).
            let dialect = sqlparser::dialect::SnowflakeDialect {};
            let tokens = sqlparser::tokenizer::Tokenizer::new(&dialect, text)
                .tokenize_with_location()
                .ok()?;
            for t in tokens {
                use sqlparser::tokenizer::{Token, Whitespace};
                if matches!(
                    t.token,
                    Token::Whitespace(Whitespace::Newline | Whitespace::SingleLineComment { .. })
                ) {
                    continue;
                }
                let (s, e) = (t.span.start, t.span.end);
                if e.line > s.line {
                    let end = if e.column <= 1 { e.line - 1 } else { e.line };
                    span(&mut blocked, s.line as usize, end as usize);
                }
            }
        }
        Syntax::Python => {
            let tree = parse_python(text)?;
            each_node(&tree, |n| {
                if n.kind() == "string" && n.end_position().row > n.start_position().row {
                    let end = n.end_position();
                    span(
                        &mut blocked,
                        n.start_position().row + 1,
                        end.row + 1 - usize::from(end.column == 0),
                    );
                }
            });
            // After a backslash continuation.
            for (i, line) in text.lines().enumerate() {
                if line.trim_end_matches('\r').ends_with('\\') {
                    blocked.insert(u32::try_from(i + 2).unwrap_or(u32::MAX));
                }
            }
        }
        Syntax::Yaml => {
            let lines: Vec<&str> = text.split('\n').collect();
            // Whether only white space precedes column `col` (0-based, in
            // characters) of 1-based line `line`.
            let blank_before = |line: usize, col: usize| {
                lines
                    .get(line.wrapping_sub(1))
                    .is_some_and(|l| l.chars().take(col).all(char::is_whitespace))
            };
            let mut parser = saphyr_parser::Parser::new_from_str(text);
            while let Some(event) = parser.next_event() {
                let (event, s) = event.ok()?;
                if let saphyr_parser::Event::Scalar(_, style, ..) = event {
                    let (start, end) = (s.start.line(), s.end.line());
                    let end = if blank_before(end, s.end.col()) {
                        end - 1
                    } else {
                        end
                    };
                    let block = matches!(
                        style,
                        saphyr_parser::ScalarStyle::Literal | saphyr_parser::ScalarStyle::Folded
                    );
                    // A block scalar's content starts on a line of its own.
                    let first = if block && blank_before(start, s.start.col()) {
                        start - 1
                    } else {
                        start
                    };
                    if end > first {
                        span(&mut blocked, first, end);
                    }
                }
            }
        }
    }
    Some(blocked)
}

/// Python `#` comments holding an allow, found with tree-sitter (as the
/// Airflow parser finds them).
fn python_comments(file: &Arc<str>, text: &str) -> Vec<InlineAllow> {
    let mut out = Vec::new();
    let Some(tree) = parse_python(text) else {
        return out;
    };
    let index = crate::span::LineIndex::new(text);
    each_node(&tree, |n| {
        if n.kind() == "comment" {
            let span = index.span(file, text, n.start_byte(), n.end_byte());
            let alone = crate::parse::inline_allow::alone_on_line(text, n.start_byte());
            out.extend(crate::parse::inline_allow::allow_in_comment(
                &text[n.start_byte()..n.end_byte()],
                span,
                alone,
            ));
        }
    });
    out
}

fn parse_python(text: &str) -> Option<tree_sitter::Tree> {
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .ok()?;
    parser.parse(text, None)
}

/// Calls `f` on every node of the tree, in document order, without recursion.
fn each_node(tree: &tree_sitter::Tree, mut f: impl FnMut(tree_sitter::Node<'_>)) {
    let mut cursor = tree.walk();
    loop {
        f(cursor.node());
        if cursor.goto_first_child() || cursor.goto_next_sibling() {
            continue;
        }
        loop {
            if !cursor.goto_parent() {
                return;
            }
            if cursor.goto_next_sibling() {
                break;
            }
        }
    }
}

/// Appends `[[allow]]` entries to the repo's pipeline.toml (created if absent).
fn append_manifest(
    root: &Path,
    entries: &BTreeSet<ManifestAllow>,
    reason: &str,
) -> Result<(), String> {
    if reaches_through_symlink(root, "pipeline.toml") && root.join("pipeline.toml").exists() {
        return Err("pipeline.toml is a symlink; pipelint does not write through it".into());
    }
    let path = root.join("pipeline.toml");
    let mut text = std::fs::read_to_string(&path).unwrap_or_default();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&entries_text(entries, reason));
    std::fs::write(&path, text).map_err(|e| format!("cannot write pipeline.toml: {e}"))
}

/// The `[[allow]]` entries for one finding, as `--add-allow` appends them to
/// `pipeline.toml` where no inline allow can go: by node (each node of a
/// grouped finding), else by file; each entry after a blank line.
pub fn manifest_allow_text(d: &Diagnostic, reason: &str) -> String {
    entries_text(&manifest_allow(d).into_iter().collect(), reason)
}

fn entries_text(entries: &BTreeSet<ManifestAllow>, reason: &str) -> String {
    let quote = |s: &str| toml_edit::Value::from(s).to_string();
    let mut text = String::new();
    for e in entries {
        text.push_str("\n[[allow]]\n");
        text.push_str(&format!("rule = {}\n", quote(e.rule)));
        if let Some(n) = &e.node {
            text.push_str(&format!("node = {}\n", quote(n)));
        }
        if let Some(f) = &e.file {
            text.push_str(&format!("file = {}\n", quote(f)));
        }
        text.push_str(&format!("reason = {}\n", quote(reason)));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(pairs: &[(u32, &'static str)]) -> BTreeMap<u32, Vec<&'static str>> {
        pairs.iter().map(|(l, r)| (*l, vec![*r])).collect()
    }

    #[test]
    fn sql_comments_go_above_the_line_never_inside_a_string() {
        let file: Arc<str> = Arc::from("q.sql");
        let text = "select 1;\n  select * from raw.x;\nselect 'a\nb' from raw.y;\n";
        let (new, placed) = insert(
            &file,
            text,
            &lines(&[(2, "layer-skip"), (4, "layer-skip")]),
            "legacy",
        )
        .unwrap();
        assert_eq!(
            new,
            "select 1;\n  -- pipelint: allow[layer-skip] legacy\n  select * from raw.x;\nselect 'a\nb' from raw.y;\n"
        );
        assert_eq!(placed.into_iter().collect::<Vec<_>>(), [(2, "layer-skip")]);
    }

    #[test]
    fn one_allow_is_the_comment_line_to_insert() {
        let file: Arc<str> = Arc::from("q.sql");
        let text = "select 1;\r\n  select * from raw.x;\r\nselect 'a\nb' from raw.y;\n";
        assert_eq!(
            inline_allow(&file, text, 2, "layer-skip", "TODO").as_deref(),
            Some("  -- pipelint: allow[layer-skip] TODO\r\n")
        );
        assert_eq!(inline_allow(&file, text, 4, "layer-skip", "TODO"), None);
        assert_eq!(
            inline_allow(&Arc::from("q.md"), text, 2, "layer-skip", "TODO"),
            None
        );
    }

    #[test]
    fn dollar_bodies_and_jinja_tags_are_left_alone() {
        let file: Arc<str> = Arc::from("m.sql");
        let text = "create function f() as $$\nselect 1\n$$;\n{{ config(\n  materialized='view') }}\nselect 2\n";
        let blocked = blocked_lines(Syntax::Sql, text).unwrap();
        assert!(
            blocked.contains(&2) && blocked.contains(&3) && blocked.contains(&5),
            "{blocked:?}"
        );
        assert!(!blocked.contains(&4) && !blocked.contains(&6));
        let (new, _) = insert(&file, text, &lines(&[(6, "x")]), "r").unwrap();
        assert!(
            new.ends_with("-- pipelint: allow[x] r\nselect 2\n"),
            "{new}"
        );
    }

    #[test]
    fn yaml_block_scalars_and_python_strings_are_left_alone() {
        let yaml =
            "models:\n  - name: a\n    description: |\n      text\n      more\n    meta: {}\n";
        let blocked = blocked_lines(Syntax::Yaml, yaml).unwrap();
        assert!(blocked.contains(&4) && blocked.contains(&5), "{blocked:?}");
        assert!(!blocked.contains(&6) && !blocked.contains(&2));
        let py = "x = '''\nselect\n'''\ny = 1 + \\\n  2\nz = 3\n";
        let blocked = blocked_lines(Syntax::Python, py).unwrap();
        assert!(
            blocked.contains(&2) && blocked.contains(&3) && blocked.contains(&5),
            "{blocked:?}"
        );
        assert!(!blocked.contains(&6));
        let file: Arc<str> = Arc::from("d.py");
        let (new, _) = insert(&file, py, &lines(&[(6, "missing-owner")]), "ok").unwrap();
        assert!(
            new.contains("  2\n# pipelint: allow[missing-owner] ok\nz = 3\n"),
            "{new}"
        );
    }
}
