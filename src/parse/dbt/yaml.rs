//! YAML with positions, for `dbt_project.yml` and schema files.
//!
//! Why saphyr: findings must point at the line of a model entry in a schema
//! file, so the parser has to keep a position for every node. `serde_yaml`,
//! named by the design card, is archived by its author and its maintained
//! forks (`serde_yaml_ng`, `serde_yml`) deserialize into values without
//! positions. saphyr (the maintained successor of yaml-rust/yaml-rust2, YAML
//! 1.2, pure Rust) loads a `MarkedYaml` tree whose every node has a start
//! marker, bounds alias expansion (no "billion laughs") and limits flow
//! nesting. Its tree is turned here into [`YNode`], which carries byte offsets
//! and 1-based lines, so the rest of the dbt parser does not depend on
//! saphyr's API.

use std::sync::Arc;

use saphyr::{MarkedYaml, Scalar, YamlData, YamlLoader};
use saphyr_parser::Parser;

use crate::span::{LineIndex, Span};

/// Deepest nesting of mappings and sequences accepted; dbt files nest a few
/// levels, a deeper document is hostile or broken.
const MAX_DEPTH: usize = 64;

/// Most nodes an alias may expand to.
const ALIAS_LIMIT: usize = 100_000;

/// A YAML node with where it starts in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct YNode {
    /// The value.
    pub kind: YKind,
    /// Byte offset of the node's first character.
    pub offset: usize,
    /// 1-based line of the node's first character.
    pub line: u32,
    /// 1-based column (in characters) of the node's first character.
    pub column: u32,
}

/// The value of a [`YNode`].
#[derive(Debug, Clone, PartialEq)]
pub enum YKind {
    /// `null`, `~` or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<YNode>),
    /// A mapping, in document order.
    Map(Vec<(YNode, YNode)>),
}

impl std::hash::Hash for YNode {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
        (self.offset, self.line, self.column).hash(state);
    }
}

impl std::hash::Hash for YKind {
    /// Floats by their bits, so a hash tells apart what `==` does, and
    /// `NaN` hashes as itself.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            YKind::Null => {}
            YKind::Bool(b) => b.hash(state),
            YKind::Int(i) => i.hash(state),
            YKind::Float(f) => f.to_bits().hash(state),
            YKind::Str(s) => s.hash(state),
            YKind::Seq(items) => items.hash(state),
            YKind::Map(pairs) => pairs.hash(state),
        }
    }
}

/// A YAML syntax error and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// What is wrong.
    pub message: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// Byte offset.
    pub offset: usize,
}

impl YNode {
    /// A null node at the start of the file (an empty document).
    fn null() -> YNode {
        YNode {
            kind: YKind::Null,
            offset: 0,
            line: 1,
            column: 1,
        }
    }

    /// The value under `key` of a mapping (the last one when a key repeats,
    /// as PyYAML and so dbt read it).
    pub fn get(&self, key: &str) -> Option<&YNode> {
        match &self.kind {
            YKind::Map(entries) => entries
                .iter()
                .rev()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The key node for `key`, to point at the key rather than its value.
    pub fn key_node(&self, key: &str) -> Option<&YNode> {
        match &self.kind {
            YKind::Map(entries) => entries
                .iter()
                .rev()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(k, _)| k),
            _ => None,
        }
    }

    /// The string of a string node.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            YKind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A scalar as text (`owner: 123` is the owner "123"); `None` for null,
    /// sequences and mappings.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.kind {
            YKind::Str(s) => Some(s.clone()),
            YKind::Int(i) => Some(i.to_string()),
            YKind::Float(f) => Some(f.to_string()),
            YKind::Bool(b) => Some(if *b { "true" } else { "false" }.to_string()),
            _ => None,
        }
    }

    /// The boolean of a boolean node, also reading `"true"`/`"false"` strings
    /// (rendered Jinja values arrive as strings).
    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            YKind::Bool(b) => Some(*b),
            YKind::Str(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" => Some(true),
                "false" | "no" | "off" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// The items of a sequence (empty for anything else).
    pub fn items(&self) -> &[YNode] {
        match &self.kind {
            YKind::Seq(items) => items,
            _ => &[],
        }
    }

    /// The entries of a mapping (empty for anything else).
    pub fn entries(&self) -> &[(YNode, YNode)] {
        match &self.kind {
            YKind::Map(entries) => entries,
            _ => &[],
        }
    }

    /// Whether the node is null.
    pub fn is_null(&self) -> bool {
        matches!(self.kind, YKind::Null)
    }

    /// A point span at the node's start in `file`.
    pub fn span(&self, file: &Arc<str>) -> Span {
        Span {
            file: file.clone(),
            line: self.line,
            column: self.column,
            offset: self.offset,
            len: match &self.kind {
                YKind::Str(s) => s.len(),
                _ => 0,
            },
        }
    }
}

/// Parses the first document of `text` (dbt files hold one). An empty file is
/// a null node. YAML is accepted where PyYAML (dbt's parser) accepts it: a
/// flow collection whose lines are indented no deeper than the key that
/// opens it (`tags: [` … `]` at the key's column), which YAML 1.2 rejects,
/// is read as PyYAML reads it.
pub fn parse(text: &str) -> Result<YNode, YamlError> {
    match parse_mapped(text, text, &[]) {
        Ok(node) => Ok(node),
        Err(strict) => match relax_flow_indentation(text) {
            Some((relaxed, shifts)) => parse_mapped(&relaxed, text, &shifts).map_err(|_| strict),
            None => Err(strict),
        },
    }
}

/// Parses `source`, reporting positions in `original`: `shifts[i]` columns
/// were added at the start of line `i + 1`.
fn parse_mapped(source: &str, original: &str, shifts: &[u32]) -> Result<YNode, YamlError> {
    let index = LineIndex::new(original);
    let position = Position {
        text: original,
        index: &index,
        shifts,
    };
    let mut parser = Parser::new_from_str(source);
    let mut loader: YamlLoader<'_, MarkedYaml<'_>> = YamlLoader::default();
    loader.allow_duplicate_keys(true);
    loader.alias_limit(ALIAS_LIMIT);
    let located = |marker: &saphyr::Marker, message: String| {
        let (line, column, offset) = position.of(marker);
        YamlError {
            message,
            line,
            column,
            offset,
        }
    };
    let max_depth = crate::limits::get().depth;
    match load_first_document(&mut parser, &mut loader, max_depth) {
        Ok(()) => {}
        Err(Refused::Syntax(e)) => return Err(located(e.marker(), e.info().to_string())),
        Err(Refused::TooDeep(marker)) => {
            return Err(located(
                &marker,
                crate::limits::over(
                    "nested deeper than allowed",
                    "max-depth",
                    format!("{max_depth} levels"),
                ),
            ))
        }
    }
    if let Some(e) = loader.error() {
        return Err(located(e.marker(), e.info().to_string()));
    }
    let docs = loader.into_documents();
    let Some(doc) = docs.first() else {
        return Ok(YNode::null());
    };
    let converter = Converter {
        position: &position,
    };
    converter
        .convert(doc, 0)
        .map_err(|(marker, message)| located(&marker, message))
}

/// Why [`load_first_document`] stopped.
enum Refused {
    /// The text is not YAML.
    Syntax(saphyr_parser::ScanError),
    /// A collection opens deeper than the limit, here.
    TooDeep(saphyr::Marker),
}

/// Feeds the first document's events to `loader` in one pass, refusing at
/// the first collection nested deeper than `max_depth`, so no deep tree is
/// ever built (dropping one overflows the stack). saphyr's own `load`
/// recurses once per level; this loop does not.
fn load_first_document<'i>(
    parser: &mut Parser<'i, saphyr_parser::StrInput<'i>>,
    loader: &mut YamlLoader<'i, MarkedYaml<'i>>,
    max_depth: usize,
) -> Result<(), Refused> {
    use saphyr_parser::{Event, SpannedEventReceiver};
    let mut depth = 0usize;
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(Refused::Syntax)?;
        let last = matches!(event, Event::DocumentEnd | Event::StreamEnd);
        match event {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                depth += 1;
                if depth > max_depth {
                    return Err(Refused::TooDeep(span.start));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
            _ => {}
        }
        loader.on_event(event, span);
        if last {
            break;
        }
    }
    Ok(())
}

/// Maps parser markers to positions in the original text.
struct Position<'a> {
    text: &'a str,
    index: &'a LineIndex,
    shifts: &'a [u32],
}

impl Position<'_> {
    /// 1-based line and column, and byte offset, in the original text.
    fn of(&self, marker: &saphyr::Marker) -> (u32, u32, usize) {
        let line = u32::try_from(marker.line()).unwrap_or(u32::MAX).max(1);
        let shift = usize::try_from(line - 1)
            .ok()
            .and_then(|i| self.shifts.get(i))
            .copied()
            .unwrap_or(0);
        let column = u32::try_from(marker.col() + 1)
            .unwrap_or(u32::MAX)
            .saturating_sub(shift)
            .max(1);
        (line, column, self.index.offset(self.text, line, column))
    }
}

/// The text with every line inside a flow collection (`[…]`, `{…}` opened
/// in block context) indented one column deeper than the line that opened
/// it, and the columns added per line; `None` when no line needed it.
fn relax_flow_indentation(text: &str) -> Option<(String, Vec<u32>)> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut shifts = Vec::new();
    let mut depth = 0usize;
    let mut open_indent = 0usize;
    let mut quote: Option<char> = None;
    let mut changed = false;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let mut shift = 0;
        if depth > 0 && quote.is_none() && indent <= open_indent && !line.trim().is_empty() {
            shift = open_indent + 1 - indent;
            out.extend(std::iter::repeat_n(' ', shift));
            changed = true;
        }
        shifts.push(u32::try_from(shift).unwrap_or(u32::MAX));
        out.push_str(line);
        let mut prev = ' ';
        let mut value_start = true;
        for c in line.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '#') if prev.is_whitespace() => break,
                (None, '"' | '\'') if depth > 0 || value_start => quote = Some(c),
                (None, '[' | '{') if depth > 0 || value_start => {
                    if depth == 0 {
                        open_indent = indent;
                    }
                    depth += 1;
                }
                (None, ']' | '}') if depth > 0 => depth -= 1,
                _ => {}
            }
            // A flow collection or quoted scalar starts a value: at the line
            // start, after `- `, or after `: `.
            value_start = c.is_whitespace() && (value_start || matches!(prev, ':' | '-'));
            prev = c;
        }
        if depth == 0 {
            quote = None;
        }
    }
    changed.then_some((out, shifts))
}

struct Converter<'a> {
    position: &'a Position<'a>,
}

impl Converter<'_> {
    fn convert(
        &self,
        node: &MarkedYaml<'_>,
        depth: usize,
    ) -> Result<YNode, (saphyr::Marker, String)> {
        let start = node.span.start;
        if depth > MAX_DEPTH {
            return Err((start, format!("nested deeper than {MAX_DEPTH} levels")));
        }
        let (line, column, offset) = self.position.of(&start);
        let kind = match &node.data {
            YamlData::Value(scalar) => scalar_kind(scalar),
            YamlData::Representation(text, _, _) => YKind::Str(text.to_string()),
            YamlData::Sequence(items) => YKind::Seq(
                items
                    .iter()
                    .map(|item| self.convert(item, depth + 1))
                    .collect::<Result<_, _>>()?,
            ),
            YamlData::Mapping(map) => YKind::Map(
                map.iter()
                    .map(|(k, v)| Ok((self.convert(k, depth + 1)?, self.convert(v, depth + 1)?)))
                    .collect::<Result<_, _>>()?,
            ),
            YamlData::Tagged(_, inner) => return self.convert(inner, depth + 1),
            YamlData::Alias(_) | YamlData::BadValue => YKind::Null,
        };
        Ok(YNode {
            kind,
            offset,
            line,
            column,
        })
    }
}

fn scalar_kind(scalar: &Scalar<'_>) -> YKind {
    match scalar {
        Scalar::Null => YKind::Null,
        Scalar::Boolean(b) => YKind::Bool(*b),
        Scalar::Integer(i) => YKind::Int(*i),
        Scalar::FloatingPoint(f) => YKind::Float(f.into_inner()),
        Scalar::String(s) => YKind::Str(s.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_lines_of_nested_entries() {
        let text = "version: 2\nmodels:\n  - name: fct_orders\n    meta:\n      owner: \"analytics-eng\"\n";
        let doc = parse(text).unwrap();
        let model = &doc.get("models").unwrap().items()[0];
        assert_eq!((model.line, model.column), (3, 5));
        let owner = model.get("meta").unwrap().get("owner").unwrap();
        assert_eq!(owner.as_str(), Some("analytics-eng"));
        assert_eq!((owner.line, owner.column), (5, 14));
        assert_eq!(&text[owner.offset..owner.offset + 1], "\"");
    }

    #[test]
    fn offsets_count_bytes_after_multibyte_text() {
        let text = "a: \"é\"\nb: x\n";
        let doc = parse(text).unwrap();
        let b = doc.get("b").unwrap();
        assert_eq!(&text[b.offset..b.offset + 1], "x");
    }

    #[test]
    fn nesting_past_the_limit_is_refused_where_it_goes_too_deep() {
        let limit = crate::limits::get().depth;
        let inside = format!("a: {}1{}\n", "[".repeat(limit - 1), "]".repeat(limit - 1));
        assert!(parse(&inside).is_ok());
        let past = format!("a: {}1{}\n", "[".repeat(limit), "]".repeat(limit));
        let e = parse(&past).unwrap_err();
        assert_eq!((e.line, e.column), (1, 3 + limit as u32));
        assert!(e.message.contains("max-depth"), "{}", e.message);
        // The fuzzer's stack overflow: an unclosed flow collection 30,000 deep.
        let hostile = format!("x: [{}", ": ".repeat(30_000));
        assert!(parse(&hostile).is_err());
    }

    #[test]
    fn duplicate_keys_keep_the_last_value() {
        let doc = parse("a: 1\na: 2\n").unwrap();
        assert_eq!(doc.get("a").unwrap().kind, YKind::Int(2));
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let err = parse("models:\n  - name: [unclosed\n").unwrap_err();
        assert!(err.line >= 2, "{err:?}");
    }

    #[test]
    fn empty_document_is_null() {
        assert!(parse("").unwrap().is_null());
        assert!(parse("# only a comment\n").unwrap().is_null());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("{}1{}", "[".repeat(70), "]".repeat(70));
        assert!(parse(&text).is_err());
    }

    #[test]
    fn flow_lines_at_the_keys_indentation_keep_their_positions() {
        let text = "models:\n  shop:\n    +tags: [\n    nightly,\n    ]\n";
        let doc = parse(text).expect("PyYAML reads it");
        let tags = doc
            .get("models")
            .and_then(|m| m.get("shop"))
            .and_then(|s| s.get("+tags"));
        let item = &tags.expect("tags").items()[0];
        assert_eq!(item.as_str(), Some("nightly"));
        assert_eq!((item.line, item.column), (4, 5));
        assert_eq!(&text[item.offset..item.offset + 7], "nightly");
        // Still an error where PyYAML has one.
        assert!(parse("tags: [a,\nb\n").is_err());
    }
}
