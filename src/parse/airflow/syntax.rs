//! The Python syntax tree: parsing with tree-sitter-python and the few node
//! helpers every other part of the Airflow reader needs (text, spans, calls).

use std::sync::Arc;

use std::ops::ControlFlow;

use tree_sitter::{Node, ParseOptions, ParseState, Parser, Tree};

use crate::parse::inline_allow::may_hold_directive;
use crate::span::{LineIndex, Span};

/// One Python file being read: its path, text and line index.
pub(super) struct Source<'a> {
    /// Repo-relative path.
    pub file: &'a Arc<str>,
    /// The file's text.
    pub text: &'a str,
    /// Byte offset → line/column.
    pub index: LineIndex,
}

impl<'a> Source<'a> {
    /// Wraps a file's text.
    pub fn new(file: &'a Arc<str>, text: &'a str) -> Source<'a> {
        Source {
            file,
            text,
            index: LineIndex::new(text),
        }
    }

    /// The source text of a node (empty if the range is not on char boundaries).
    pub fn text_of(&self, node: Node<'_>) -> &'a str {
        self.text.get(node.byte_range()).unwrap_or("")
    }

    /// The text of a byte range, shortened to 40 characters for messages.
    pub fn text_of_range(&self, at: (usize, usize)) -> String {
        crate::diagnostic::truncate(self.text.get(at.0..at.1).unwrap_or(""), 41)
    }

    /// The span of a node.
    pub fn span(&self, node: Node<'_>) -> Span {
        self.span_of(node.start_byte(), node.end_byte())
    }

    /// The span of a byte range.
    pub fn span_of(&self, start: usize, end: usize) -> Span {
        self.index.span(self.file, self.text, start, end)
    }
}

/// A field of the Python grammar that the reader asks nodes for. Its id is
/// looked up once per run, not by name at every node (tree-sitter compares
/// the name with every field name of the grammar).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    /// `alias`
    Alias,
    /// `alternative`
    Alternative,
    /// `argument`
    Argument,
    /// `arguments`
    Arguments,
    /// `attribute`
    Attribute,
    /// `body`
    Body,
    /// `condition`
    Condition,
    /// `consequence`
    Consequence,
    /// `definition`
    Definition,
    /// `expression`
    Expression,
    /// `format_specifier`
    FormatSpecifier,
    /// `function`
    Function,
    /// `key`
    Key,
    /// `left`
    Left,
    /// `module_name`
    ModuleName,
    /// `name`
    Name,
    /// `object`
    Object,
    /// `operator`
    Operator,
    /// `parameters`
    Parameters,
    /// `right`
    Right,
    /// `subscript`
    Subscript,
    /// `type_conversion`
    TypeConversion,
    /// `value`
    Value,
}

impl Field {
    /// Every field, in declaration order (the order of [`FIELD_IDS`]).
    const ALL: [Field; 23] = [
        Field::Alias,
        Field::Alternative,
        Field::Argument,
        Field::Arguments,
        Field::Attribute,
        Field::Body,
        Field::Condition,
        Field::Consequence,
        Field::Definition,
        Field::Expression,
        Field::FormatSpecifier,
        Field::Function,
        Field::Key,
        Field::Left,
        Field::ModuleName,
        Field::Name,
        Field::Object,
        Field::Operator,
        Field::Parameters,
        Field::Right,
        Field::Subscript,
        Field::TypeConversion,
        Field::Value,
    ];

    /// The field's name in the grammar.
    fn name(self) -> &'static str {
        match self {
            Field::Alias => "alias",
            Field::Alternative => "alternative",
            Field::Argument => "argument",
            Field::Arguments => "arguments",
            Field::Attribute => "attribute",
            Field::Body => "body",
            Field::Condition => "condition",
            Field::Consequence => "consequence",
            Field::Definition => "definition",
            Field::Expression => "expression",
            Field::FormatSpecifier => "format_specifier",
            Field::Function => "function",
            Field::Key => "key",
            Field::Left => "left",
            Field::ModuleName => "module_name",
            Field::Name => "name",
            Field::Object => "object",
            Field::Operator => "operator",
            Field::Parameters => "parameters",
            Field::Right => "right",
            Field::Subscript => "subscript",
            Field::TypeConversion => "type_conversion",
            Field::Value => "value",
        }
    }

    /// The field's id in the grammar (`None` if the grammar lacks it).
    fn id(self) -> Option<std::num::NonZeroU16> {
        FIELD_IDS[self as usize]
    }
}

/// The ids of [`Field::ALL`], in that order.
static FIELD_IDS: std::sync::LazyLock<[Option<std::num::NonZeroU16>; Field::ALL.len()]> =
    std::sync::LazyLock::new(|| {
        let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
        Field::ALL.map(|f| language.field_id_for_name(f.name()))
    });

/// Children of a node by [`Field`].
pub(super) trait Fields<'t> {
    /// The child in a field, as `child_by_field_name` gives it.
    fn field(&self, field: Field) -> Option<Node<'t>>;
    /// The children in a field, as `children_by_field_name` gives them.
    fn fields<'c>(
        &self,
        field: Field,
        cursor: &'c mut tree_sitter::TreeCursor<'t>,
    ) -> impl Iterator<Item = Node<'t>> + 'c
    where
        't: 'c;
}

impl<'t> Fields<'t> for Node<'t> {
    fn field(&self, field: Field) -> Option<Node<'t>> {
        self.child_by_field_id(field.id()?.get())
    }

    fn fields<'c>(
        &self,
        field: Field,
        cursor: &'c mut tree_sitter::TreeCursor<'t>,
    ) -> impl Iterator<Item = Node<'t>> + 'c
    where
        't: 'c,
    {
        // A field the grammar lacks has no children: no child carries the
        // largest id (the grammar has a few dozen fields).
        let id = field.id().unwrap_or(std::num::NonZeroU16::MAX);
        self.children_by_field_id(id, cursor)
    }
}

/// Parses Python text, or says why not: indentation deeper than
/// tree-sitter survives is refused before it is called (it would abort the
/// process), and a parse that takes more steps than the `--max-nodes`
/// budget is stopped (tree-sitter otherwise recovers from any input with
/// ERROR nodes).
pub(super) fn parse_python(text: &str) -> Result<Tree, String> {
    let limits = crate::limits::get();
    let indent = crate::limits::python_indent_depth(text);
    let indent_cap = crate::limits::PYTHON_INDENT_CAP;
    if indent > indent_cap {
        return Err(format!(
            "{indent} levels of indentation: over the {indent_cap} the Python parser can take; \
             the file was not parsed"
        ));
    }
    PARSER.with_borrow_mut(|parser| parse_with(parser, text, limits.nodes))
}

thread_local! {
    /// One Python parser per thread, made on first use: a parser holds
    /// nothing of the last text between parses (each starts from scratch,
    /// with no old tree), so reusing it saves only its setup.
    static PARSER: std::cell::RefCell<Option<Parser>> = const { std::cell::RefCell::new(None) };
}

/// [`parse_python`]'s tree-sitter call, with this thread's parser (made
/// on first use).
fn parse_with(slot: &mut Option<Parser>, text: &str, nodes: usize) -> Result<Tree, String> {
    let parser = match slot {
        Some(parser) => parser,
        None => {
            let mut parser = Parser::new();
            parser
                .set_language(&tree_sitter_python::LANGUAGE.into())
                .map_err(|e| e.to_string())?;
            slot.insert(parser)
        }
    };
    // Counted in work, not time: the same file gives the same result on
    // any machine under any load.
    let budget = nodes / crate::limits::NODES_PER_PYTHON_STEP;
    let mut steps = 0usize;
    let mut within_budget = |_: &ParseState| {
        steps += 1;
        if steps > budget {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let options = ParseOptions::new().progress_callback(&mut within_budget);
    let bytes = text.as_bytes();
    let tree = parser.parse_with_options(
        &mut |offset, _| bytes.get(offset..).unwrap_or_default(),
        None,
        Some(options),
    );
    tree.ok_or_else(|| {
        // A stopped parse leaves the parser mid-text: the next one must
        // start afresh.
        parser.reset();
        crate::limits::over(
            "the Python parser's work on this file",
            "max-nodes",
            format!("{budget} steps"),
        )
    })
}

/// Everything found in one pass over all nodes: the first syntax error,
/// the comments, and the modules imported.
#[derive(Default)]
pub(super) struct Scan<'t> {
    /// The first ERROR or MISSING node, in document order.
    pub first_error: Option<Node<'t>>,
    /// Every comment node.
    pub comments: Vec<Node<'t>>,
    /// Every `import x` / `from x import …` module name.
    pub imported_modules: Vec<String>,
    /// `from airflow… import name as alias`: (alias, name).
    pub airflow_aliases: Vec<(String, String)>,
    /// `from x import name [as alias]` of modules outside Airflow: (local
    /// name, module), for code that builds DAGs elsewhere.
    pub foreign_names: Vec<(String, String)>,
}

/// Visits every node once, iteratively (no recursion, whatever the nesting).
/// Errors and directive comments can sit anywhere, imports only among
/// statements: in a file with neither an error nor a possible directive,
/// what can hold no statement (an expression statement, a `with` clause)
/// is not entered, and the imports are the ones the whole walk finds.
pub(super) fn scan<'t>(tree: &'t Tree, src: &Source<'_>) -> Scan<'t> {
    let everywhere = tree.root_node().has_error() || may_hold_directive(src.text);
    scan_within(tree, src, |node| everywhere || may_hold_statements(node))
}

/// Whether a node can have a statement (an import) among its descendants.
/// Statements sit only in blocks, and a block only in a compound statement
/// or its clauses: these kinds have none below them.
fn may_hold_statements(node: Node<'_>) -> bool {
    !matches!(
        node.kind(),
        "expression_statement"
            | "with_clause"
            | "decorator"
            | "return_statement"
            | "assert_statement"
            | "raise_statement"
            | "delete_statement"
            | "import_statement"
            | "import_from_statement"
            | "future_import_statement"
            | "argument_list"
            | "parameters"
            | "call"
            | "string"
            | "comment"
    )
}

/// The walk of [`scan`], entering the nodes `enter` allows.
fn scan_within<'t>(tree: &'t Tree, src: &Source<'_>, enter: impl Fn(Node<'t>) -> bool) -> Scan<'t> {
    let mut out = Scan::default();
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        if out.first_error.is_none() && (node.is_error() || node.is_missing()) {
            out.first_error = Some(innermost_error(node));
        }
        match node.kind() {
            "comment" => out.comments.push(node),
            "import_from_statement" => {
                if let Some(m) = node.field(Field::ModuleName) {
                    if m.kind() == "dotted_name" {
                        let module = dotted(src, m);
                        if module != "airflow" && !module.starts_with("airflow.") {
                            let mut c = node.walk();
                            for name in node.fields(Field::Name, &mut c) {
                                let local = name.field(Field::Alias).unwrap_or(name);
                                out.foreign_names.push((dotted(src, local), module.clone()));
                            }
                        }
                        if module == "airflow" || module.starts_with("airflow.") {
                            let mut c = node.walk();
                            for name in node.fields(Field::Name, &mut c) {
                                if let (Some(n), Some(a)) =
                                    (name.field(Field::Name), name.field(Field::Alias))
                                {
                                    out.airflow_aliases.push((dotted(src, a), dotted(src, n)));
                                }
                            }
                        }
                        out.imported_modules.push(module);
                    }
                }
            }
            "import_statement" => {
                let mut c = node.walk();
                for name in node.fields(Field::Name, &mut c) {
                    let name = match name.kind() {
                        "aliased_import" => name.field(Field::Name).unwrap_or(name),
                        _ => name,
                    };
                    out.imported_modules.push(dotted(src, name));
                }
            }
            _ => {}
        }
        if enter(node) && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return out;
            }
        }
    }
}

/// Where inside an ERROR node the trouble starts: tree-sitter's ERROR node
/// often wraps complete statements before the broken one (an unclosed
/// bracket can make the whole module one ERROR), so skip those.
fn innermost_error(error: Node<'_>) -> Node<'_> {
    let complete = |c: &Node<'_>| {
        !c.has_error()
            && (c.kind().ends_with("statement")
                || c.kind().ends_with("definition")
                || c.kind() == "comment")
    };
    let mut node = error;
    for _ in 0..1000 {
        let mut c = node.walk();
        let next = node.children(&mut c).find(|c| !complete(c));
        match next {
            Some(child) if child.has_error() && child.child_count() > 0 => node = child,
            Some(child) => return child,
            None => return node,
        }
    }
    node
}

/// The text of a dotted name without inner whitespace.
fn dotted(src: &Source<'_>, node: Node<'_>) -> String {
    src.text_of(node).split_whitespace().collect()
}

/// The named children of a node, in order.
pub(super) fn named_children<'t>(node: Node<'t>) -> Vec<Node<'t>> {
    let mut c = node.walk();
    node.named_children(&mut c)
        .filter(|n| n.kind() != "comment")
        .collect()
}

/// The first named child of a node that is not a comment (what
/// `named_children(node).first()` gives, without listing the others).
pub(super) fn first_named(node: Node<'_>) -> Option<Node<'_>> {
    let mut c = node.walk();
    let first = node.named_children(&mut c).find(|n| n.kind() != "comment");
    first
}

/// The dotted name a callee is written as: `DAG`, `models.DAG`,
/// `airflow.models.DAG`; `None` for anything else (a call result, a subscript).
pub(super) fn dotted_name(src: &Source<'_>, node: Node<'_>) -> Option<String> {
    let mut parts = Vec::new();
    let mut current = node;
    loop {
        match current.kind() {
            "identifier" => {
                parts.push(src.text_of(current));
                break;
            }
            "attribute" => {
                parts.push(src.text_of(current.field(Field::Attribute)?));
                current = current.field(Field::Object)?;
            }
            _ => return None,
        }
    }
    parts.reverse();
    Some(parts.join("."))
}

/// The last part of a dotted name: `DAG` for `airflow.models.DAG`.
pub(super) fn last_part(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_the_reader_asks_for_is_in_the_grammar() {
        let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
        for field in Field::ALL {
            let id = field.id().map(std::num::NonZeroU16::get);
            assert!(id.is_some(), "{field:?}");
            assert_eq!(
                language.field_name_for_id(id.unwrap_or(0)),
                Some(field.name())
            );
        }
    }

    /// Parses `text` as the file `d.py` and hands its source and tree to `check`.
    fn with_tree<R>(text: &str, check: impl FnOnce(&Source<'_>, &Tree) -> R) -> R {
        let file: Arc<str> = Arc::from("d.py");
        let src = Source::new(&file, text);
        let tree = parse_python(text).unwrap_or_else(|e| panic!("{e}"));
        check(&src, &tree)
    }

    /// Imports at every place a statement can stand, none in expressions.
    const NESTED_IMPORTS: &str = "\
import a
if x:
    import b
elif y:
    import c
else:
    import d
try:
    from e import f
except E:
    import g
finally:
    import h
for i in j:
    import k
else:
    import l
while m:
    import n
with o(p=q) as r:
    import s
def t(u=v()):
    import w
class X(Y):
    import z
@deco(arg)
def dd():
    import ee
match ff:
    case 1:
        import gg
if hh: import ii
lam = lambda: __import__('jj')
dag = DAG(dag_id='kk', default_args={'ll': [1, 2]})
";

    #[test]
    fn the_statement_walk_finds_the_imports_the_whole_walk_finds() {
        let expected: Vec<String> = [
            "a", "b", "c", "d", "e", "g", "h", "k", "l", "n", "s", "w", "z", "ee", "gg", "ii",
        ]
        .map(String::from)
        .to_vec();
        with_tree(NESTED_IMPORTS, |src, tree| {
            assert!(!tree.root_node().has_error());
            assert_eq!(scan_within(tree, src, |_| true).imported_modules, expected);
            assert_eq!(scan(tree, src).imported_modules, expected);
        });
    }

    #[test]
    fn a_directive_inside_an_expression_is_found() {
        let text =
            "from airflow import DAG\ndag = DAG(\n    'd',  # pipelint: allow[dag-cycle] why\n)\n";
        let comments: Vec<String> = with_tree(text, |src, tree| {
            let found = scan(tree, src);
            found
                .comments
                .iter()
                .map(|c| src.text_of(*c).to_string())
                .collect()
        });
        assert_eq!(comments, vec!["# pipelint: allow[dag-cycle] why"]);
    }

    #[test]
    fn an_error_inside_an_expression_is_found() {
        let text = "from airflow import DAG\ndag = DAG(dag_id='d', schedule=)\n";
        let error = with_tree(text, |src, tree| {
            scan(tree, src).first_error.map(|e| src.span(e).line)
        });
        assert_eq!(error, Some(2));
    }

    #[test]
    fn a_field_child_is_the_one_its_name_gives() {
        let text = "from airflow import DAG as D\nx = f(a, b=1)\n";
        with_tree(text, |src, tree| {
            let found = scan(tree, src);
            assert_eq!(
                found.airflow_aliases,
                vec![("D".to_string(), "DAG".to_string())]
            );
            let root = tree.root_node();
            let assign = root.named_child(1).and_then(|s| s.named_child(0));
            let call = assign.and_then(|a| a.field(Field::Right));
            assert_eq!(call.map(|c| src.text_of(c)), Some("f(a, b=1)"));
            let callee = call.and_then(|c| c.field(Field::Function));
            assert_eq!(callee.map(|c| src.text_of(c)), Some("f"));
        });
    }
}
