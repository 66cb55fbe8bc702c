//! Plain SQL: which tables a script reads and writes, parsed with sqlparser.
//!
//! A file is split into statements the way the warehouse runs them
//! (`prelex`), and each statement is parsed alone, so one broken statement
//! costs only itself: its reads and writes are recovered from its tokens
//! (`recover`). Procedure bodies and scripting blocks are one opaque
//! statement each.

mod prelex;
mod recover;

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::sync::Arc;

use sqlparser::ast::{
    CopySource, Expr, FromTable, ObjectName, ObjectNamePart, Query, SetExpr, SqlOption, Statement,
    TableFactor, TableObject, Value, Visit, Visitor,
};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Whitespace};

use crate::facts::{DataRef, FileFacts, Ident, JobFact, JobKind, Located};
use crate::parse::inline_allow;
use crate::span::{LineIndex, Span};
use crate::sql_dialect::SqlDialect;

/// How deep sqlparser may recurse into nested expressions before giving up.
/// A position in the analysed SQL text: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SqlPos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// What a piece of SQL reads and writes, with positions in that text.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SqlAccess {
    /// Tables and locations read.
    pub reads: Vec<(DataRef, SqlPos)>,
    /// Tables written (created, inserted into, merged into, copied into).
    pub writes: Vec<(DataRef, SqlPos)>,
    /// Statements no dialect tried parses (their reads and writes are
    /// recovered from tokens), except those that use session variables.
    pub errors: Vec<Unparsed>,
    /// The text cannot even be split into tokens (an unterminated string or
    /// comment): nothing of it is read.
    pub fatal: Option<(String, SqlPos)>,
    /// A work limit stopped the analysis (`--max-statements`, `--max-nodes`,
    /// `--max-depth`): no other dialect is tried.
    pub over_limit: bool,
    /// Some reads or writes come from a token scan of a statement that did
    /// not parse, not from a parsed statement.
    pub recovered: bool,
    /// `-- pipelint: allow[rule] reason` comments: their text, position, and
    /// whether each stands alone on its line.
    pub allows: Vec<(String, SqlPos, bool)>,
}

/// A statement sqlparser rejects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unparsed {
    /// sqlparser's message.
    pub message: String,
    /// Where the parser stopped.
    pub at: SqlPos,
    /// The statement's first words, to name it.
    pub statement: String,
}

impl SqlAccess {
    /// How badly the text failed to parse, to pick the best dialect.
    fn failures(&self) -> usize {
        if self.fatal.is_some() {
            usize::MAX
        } else {
            self.errors.len()
        }
    }
}

/// Parses SQL text and lists what it reads and writes. Never panics: what does
/// not parse is listed in `errors`, and the other statements still count.
///
/// With the generic dialect (the default when the manifest names none), text
/// that does not parse is tried again in the common warehouse dialects, and
/// the reading with the fewest errors wins: a repo without a manifest still
/// gets its Snowflake or BigQuery SQL read.
pub fn analyze(sql: &str, dialect: SqlDialect) -> SqlAccess {
    let first = analyze_in(sql, dialect);
    if first.failures() == 0 || first.over_limit || dialect != SqlDialect::Generic {
        return first;
    }
    let mut best = first;
    for fallback in GENERIC_FALLBACKS {
        let attempt = analyze_in(sql, fallback);
        if attempt.failures() < best.failures() {
            best = attempt;
            if best.failures() == 0 {
                break;
            }
        }
    }
    best
}

/// Dialects tried, in order, when generic SQL does not parse.
const GENERIC_FALLBACKS: [SqlDialect; 5] = [
    SqlDialect::Snowflake,
    SqlDialect::BigQuery,
    SqlDialect::Postgres,
    SqlDialect::DuckDb,
    SqlDialect::MySql,
];

/// Parses SQL text in one dialect.
fn analyze_in(sql: &str, dialect: SqlDialect) -> SqlAccess {
    let parser_dialect = dialect.parser_dialect();
    let mut access = SqlAccess::default();
    let limits = crate::limits::get();
    let mut count = 0usize;
    let streamed = super::sql_stream::for_each_piece(sql, parser_dialect.as_ref(), |tokens| {
        collect_allows(&tokens, &mut access);
        for piece in prelex::split(tokens) {
            let prelex::Piece::Statement(statement_tokens) = piece else {
                continue;
            };
            count += 1;
            let start = statement_tokens
                .iter()
                .find(|t| prelex::significant(&t.token))
                .map_or(SqlPos { line: 1, column: 1 }, |t| pos(t.span.start));
            if count > limits.statements {
                let message = crate::limits::over(
                    format!("more than {} statements", limits.statements),
                    "max-statements",
                    limits.statements,
                ) + "; the rest of the file was not analyzed";
                access.fatal.get_or_insert((message, start));
                access.over_limit = true;
                return ControlFlow::Break(());
            }
            if let Some((message, at)) = over_limits(&statement_tokens, &limits) {
                access.fatal.get_or_insert((message, at.unwrap_or(start)));
                access.over_limit = true;
                continue;
            }
            analyze_statement(
                statement_tokens,
                start,
                parser_dialect.as_ref(),
                &limits,
                &mut access,
            );
        }
        ControlFlow::Continue(())
    });
    if let Err(e) = streamed {
        access
            .fatal
            .get_or_insert((e.message.clone(), pos(e.location)));
    }
    access
}

/// Why one statement is too large to parse safely, if it is: more tokens
/// than `--max-nodes`, brackets nested deeper than `--max-depth`, or an
/// operator chain longer than `--max-depth` allows (a chain builds a tree
/// as deep as it is long).
fn over_limits(
    tokens: &[TokenWithSpan],
    limits: &crate::limits::Limits,
) -> Option<(String, Option<SqlPos>)> {
    let size = tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .count();
    if size > limits.nodes {
        let message = crate::limits::over(
            format!("a statement of {size} tokens"),
            "max-nodes",
            limits.nodes,
        );
        return Some((message, None));
    }
    if let (nesting, Some(at)) = crate::limits::sql_nesting(tokens, limits.depth) {
        let message = crate::limits::over(
            format!("nested deeper than allowed ({nesting} brackets)"),
            "max-depth",
            format!("{} levels", limits.depth),
        );
        return Some((message, Some(pos(at.span.start))));
    }
    let chain = crate::limits::sql_chain(tokens);
    let max_chain = limits.depth.saturating_mul(crate::limits::CHAIN_PER_DEPTH);
    (chain > max_chain).then(|| {
        let message = crate::limits::over(
            format!("a chain of {chain} operators"),
            "max-depth",
            format!("{max_chain} operators ({} levels)", limits.depth),
        );
        (message, None)
    })
}

/// Parses one statement's tokens and records what it reads and writes. One
/// that does not parse has its reads and writes recovered from its tokens and
/// is listed (at the token where parsing stopped, or at the statement's last
/// token when it stopped at the end), unless it uses session variables.
fn analyze_statement(
    statement_tokens: Vec<TokenWithSpan>,
    start: SqlPos,
    dialect: &dyn sqlparser::dialect::Dialect,
    limits: &crate::limits::Limits,
    access: &mut SqlAccess,
) {
    let count = statement_tokens.len();
    let mut parser = Parser::new(dialect)
        .with_recursion_limit(limits.depth)
        .with_tokens_with_locations(statement_tokens);
    // The parser owns the tokens (it never changes them); a statement that
    // does not parse gets them back to be scanned.
    let tokens_of = |parser: &Parser<'_>| -> Vec<TokenWithSpan> {
        (0..count).map(|i| parser.token_at(i).clone()).collect()
    };
    let failure = match parser.parse_statement() {
        Ok(statement) => {
            let trailing = parser.peek_token();
            if trailing.token == Token::EOF {
                statement_access(&statement, access);
                return;
            }
            (
                format!(
                    "unexpected `{}` after the end of a statement",
                    trailing.token
                ),
                pos(trailing.span.start),
            )
        }
        Err(e) => {
            // Where parsing stopped: the next token, else the one it stopped
            // on, else (past the last token) the end of the statement.
            let next = parser.peek_token().span.start;
            let current = parser.get_current_token();
            let at = if next.line != 0 {
                pos(next)
            } else if current.token != Token::EOF && current.span.start.line != 0 {
                pos(current.span.start)
            } else {
                (0..count)
                    .rev()
                    .map(|i| parser.token_at(i))
                    .find(|t| prelex::significant(&t.token) && t.token != Token::EOF)
                    .map_or(start, |t| pos(t.span.end))
            };
            if matches!(e, sqlparser::parser::ParserError::RecursionLimitExceeded) {
                // Too deep to read safely: not readable at all.
                access.fatal.get_or_insert((parser_message(&e), at));
                return;
            }
            (parser_message(&e), at)
        }
    };
    let statement_tokens = tokens_of(&parser);
    let found = recover::scan(&statement_tokens);
    access.recovered = true;
    access.reads.extend(found.reads);
    access.writes.extend(found.writes);
    if !uses_session_variables(&statement_tokens) {
        access.errors.push(Unparsed {
            message: failure.0,
            at: failure.1,
            statement: excerpt(&statement_tokens),
        });
    }
}

/// Whether a statement uses Snowflake session variables (`$var`,
/// `IDENTIFIER($x)`): sqlparser does not read them in every position, and a
/// statement written that way is valid for the warehouse.
fn uses_session_variables(tokens: &[TokenWithSpan]) -> bool {
    tokens.iter().any(|t| match &t.token {
        Token::Placeholder(p) => {
            p.starts_with('$') && p.len() > 1 && !p[1..].starts_with(|c: char| c.is_ascii_digit())
        }
        Token::Word(w) => w.quote_style.is_none() && w.value.starts_with('$'),
        _ => false,
    })
}

/// The first words of a statement, to name it in a message: its tokens as
/// written, with each run of whitespace or comments shown as one space.
fn excerpt(tokens: &[TokenWithSpan]) -> String {
    const WORDS: usize = 6;
    let mut text = String::new();
    let mut words = 0;
    let mut gap = false;
    for t in tokens {
        if !prelex::significant(&t.token) {
            gap = !text.is_empty();
            continue;
        }
        if words == WORDS {
            text.push_str(" …");
            break;
        }
        if std::mem::take(&mut gap) {
            text.push(' ');
        }
        text.push_str(&t.token.to_string());
        words += 1;
    }
    text
}

/// The facts of a plain `.sql` file: one `script:<path>` job with its reads and
/// writes, and a `parse-error` for each statement that did not parse.
pub fn parse_sql_file(file: &Arc<str>, text: &str, dialect: SqlDialect) -> FileFacts {
    let index = LineIndex::new(text);
    let rendered = render_jinja(file, text);
    let access = analyze(rendered.as_deref().unwrap_or(text), dialect);
    let span_at = |p: SqlPos| {
        index.span(
            file,
            text,
            index.offset(text, p.line, p.column),
            index.offset(text, p.line, p.column),
        )
    };
    let name = file.rsplit('/').next().unwrap_or(file).to_string();
    let mut job = JobFact::new(
        format!("script:{file}"),
        JobKind::Script,
        name,
        Span::file_start(file),
    );
    job.reads = located(&access.reads, &span_at);
    job.writes = located(&access.writes, &span_at);
    job.partial = !access.errors.is_empty() || access.fatal.is_some();
    job.recovered = access.recovered;
    if let Some(first_write) = job.writes.first() {
        job.span = first_write.span.clone();
    }
    let mut facts = FileFacts::default();
    if let Some((message, p)) = &access.fatal {
        facts.diagnostics.push(
            crate::diagnostic::Diagnostic::new("parse-error", format!("SQL cannot be read: {message}"))
                .node(job.id.clone())
                .at(Some(span_at(*p)))
                .help("fix the text here: an unclosed string, quoted name or comment, or nesting too deep to read safely"),
        );
    }
    // In a template, a statement that does not parse once rendered has a
    // hole only the run fills (`FROM {{ project }}.t`): recovered, not reported.
    let reported = if rendered.is_some() {
        None
    } else {
        access.errors.first()
    };
    if let Some(first) = reported {
        let others = match access.errors.len() - 1 {
            0 => String::new(),
            1 => " (and 1 more statement)".to_string(),
            n => format!(" (and {n} more statements)"),
        };
        facts.diagnostics.push(
            crate::diagnostic::Diagnostic::new(
                "unparsed-sql",
                format!(
                    "`{}` does not parse as {} SQL{others}: {}; its reads and writes were recovered from its tokens",
                    first.statement,
                    dialect_label(dialect),
                    first.message
                ),
            )
            .node(job.id.clone())
            .at(Some(span_at(first.at)))
            .help("check `[project] dialect` in pipeline.toml, or fix the statement; the other statements of the file are still read"),
        );
    }
    for (comment, p, alone) in &access.allows {
        facts
            .allows
            .extend(inline_allow::allow_in_comment(comment, span_at(*p), *alone));
    }
    facts.jobs.push(job);
    facts
}

/// Jinja in a plain SQL file (a template an orchestrator fills in), rendered
/// the way pipelint renders dbt models: every name it does not know is an
/// inert stand-in that renders as nothing, so `{{ placeholder }}` never
/// becomes a table name. `None` when the file has no Jinja or does not render
/// (then the text is read as it is).
fn render_jinja(file: &Arc<str>, text: &str) -> Option<String> {
    use crate::parse::dbt::jinja::{objects::NodeInfo, DbtJinja, Scope};
    if !["{{", "{%", "{#"].iter().any(|open| text.contains(open)) {
        return None;
    }
    let jinja = DbtJinja::new(Scope::default(), Vec::new());
    let node = NodeInfo {
        path: file.to_string(),
        ..NodeInfo::default()
    };
    jinja.render(file, text, node).output.ok()
}

/// How the dialect reads in a message: the configured one, or every one tried.
fn dialect_label(dialect: SqlDialect) -> String {
    let name = |d: SqlDialect| format!("{d:?}").to_lowercase();
    if dialect == SqlDialect::Generic {
        let tried: Vec<String> = GENERIC_FALLBACKS.iter().map(|d| name(*d)).collect();
        format!("generic, {}", tried.join(", "))
    } else {
        name(dialect)
    }
}

fn located(
    items: &[(DataRef, SqlPos)],
    span_at: &impl Fn(SqlPos) -> Span,
) -> Vec<Located<DataRef>> {
    let mut seen = HashSet::new();
    items
        .iter()
        .filter(|(r, _)| seen.insert(r.clone()))
        .map(|(r, p)| Located::new(r.clone(), span_at(*p)))
        .collect()
}

pub(super) fn pos(l: Location) -> SqlPos {
    SqlPos {
        line: u32::try_from(l.line.max(1)).unwrap_or(u32::MAX),
        column: u32::try_from(l.column.max(1)).unwrap_or(u32::MAX),
    }
}

fn parser_message(e: &sqlparser::parser::ParserError) -> String {
    use sqlparser::parser::ParserError;
    match e {
        ParserError::RecursionLimitExceeded => crate::limits::over(
            "nested deeper than allowed",
            "max-depth",
            format!("{} levels", crate::limits::get().depth),
        ),
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => {
            // sqlparser appends " at Line: L, Column: C"; the span already says where.
            m.split(" at Line: ").next().unwrap_or(m).to_string()
        }
    }
}

/// Finds `pipelint: allow[rule] reason` in `--` and `/* */` comments.
fn collect_allows(tokens: &[TokenWithSpan], access: &mut SqlAccess) {
    let directives: Vec<&TokenWithSpan> = tokens
        .iter()
        .filter(|t| match &t.token {
            Token::Whitespace(Whitespace::SingleLineComment { comment, .. })
            | Token::Whitespace(Whitespace::MultiLineComment(comment)) => {
                inline_allow::parse_directive(comment).is_some()
            }
            _ => false,
        })
        .collect();
    if directives.is_empty() {
        return;
    }
    let line_has_code: HashSet<u64> = tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_) | Token::EOF))
        .map(|t| t.span.start.line)
        .collect();
    for t in directives {
        if let Token::Whitespace(
            Whitespace::SingleLineComment { comment: text, .. }
            | Whitespace::MultiLineComment(text),
        ) = &t.token
        {
            let alone = !line_has_code.contains(&t.span.start.line);
            access.allows.push((text.clone(), pos(t.span.start), alone));
        }
    }
}

/// Adds the reads and writes of one statement.
fn statement_access(statement: &Statement, access: &mut SqlAccess) {
    let mut targets: Vec<&ObjectName> = Vec::new();
    let mut external_reads: Vec<(DataRef, SqlPos)> = Vec::new();
    write_targets(statement, &mut targets, &mut external_reads);
    if let Statement::ExportData(export) = statement {
        access.writes.extend(export_uri(&export.options));
    }
    for t in &targets {
        push_name(t, &mut access.writes);
    }
    let target_positions: HashSet<SqlPos> = targets.iter().map(|t| name_pos(t)).collect();
    let mut collector = ReadCollector {
        cte_scopes: Vec::new(),
        reads: Vec::new(),
    };
    let _ = statement.visit(&mut collector);
    access.reads.extend(
        collector
            .reads
            .into_iter()
            .filter(|(_, p)| !target_positions.contains(p)),
    );
    access.reads.extend(external_reads);
}

/// The tables a statement writes, and the external locations it loads from.
/// `WITH … INSERT` parses as a query whose body is the insert, hence the recursion.
fn write_targets<'s>(
    statement: &'s Statement,
    targets: &mut Vec<&'s ObjectName>,
    external: &mut Vec<(DataRef, SqlPos)>,
) {
    match statement {
        Statement::Query(query) => {
            if let SetExpr::Insert(inner)
            | SetExpr::Update(inner)
            | SetExpr::Delete(inner)
            | SetExpr::Merge(inner) = query.body.as_ref()
            {
                write_targets(inner, targets, external);
            }
        }
        Statement::Insert(insert) => {
            if let TableObject::TableName(name) = &insert.table {
                targets.push(name);
            }
        }
        Statement::CreateTable(create) => {
            targets.push(&create.name);
            if let Some(clone) = &create.clone {
                push_name(clone, external);
            }
        }
        Statement::CreateView(view) => targets.push(&view.name),
        Statement::Merge(merge) => {
            if let TableFactor::Table { name, .. } = &merge.table {
                targets.push(name);
            }
        }
        Statement::Update(update) => {
            if let TableFactor::Table { name, .. } = &update.table.relation {
                targets.push(name);
            }
        }
        Statement::Delete(delete) => {
            targets.extend(delete.tables.iter());
            if delete.tables.is_empty() {
                let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) =
                    &delete.from;
                if let Some(TableFactor::Table { name, .. }) = from.first().map(|t| &t.relation) {
                    targets.push(name);
                }
            }
        }
        Statement::CopyIntoSnowflake { into, from_obj, .. } => {
            targets.push(into);
            if let Some(from) = from_obj {
                let text = from.to_string().trim_matches('\'').to_string();
                external.push((DataRef::Uri(text), name_pos(from)));
            }
        }
        Statement::Copy {
            source: CopySource::Table { table_name, .. },
            to: false,
            ..
        } => targets.push(table_name),
        _ => {}
    }
}

/// The `uri` option of BigQuery's `EXPORT DATA`: the location it writes.
fn export_uri(options: &[SqlOption]) -> Option<(DataRef, SqlPos)> {
    options.iter().find_map(|o| match o {
        SqlOption::KeyValue {
            key,
            value: Expr::Value(v),
        } if key.to_string().eq_ignore_ascii_case("uri") => match &v.value {
            Value::SingleQuotedString(u) | Value::DoubleQuotedString(u) => {
                Some((DataRef::Uri(u.clone()), pos(v.span.start)))
            }
            _ => None,
        },
        _ => None,
    })
}

fn push_name(name: &ObjectName, out: &mut Vec<(DataRef, SqlPos)>) {
    if let Some(r) = table_ref(name) {
        out.push((r, name_pos(name)));
    }
}

fn name_pos(name: &ObjectName) -> SqlPos {
    let first = name.0.iter().find_map(|p| match p {
        ObjectNamePart::Identifier(i) => Some(i.span.start),
        ObjectNamePart::Function(_) => None,
    });
    first.map_or(SqlPos { line: 1, column: 1 }, pos)
}

fn table_ref(name: &ObjectName) -> Option<DataRef> {
    let mut parts = Vec::new();
    for p in &name.0 {
        match p {
            ObjectNamePart::Identifier(i)
                if i.quote_style.is_none() && prelex::is_variable(&i.value) =>
            {
                return None
            }
            ObjectNamePart::Identifier(i) => parts.push(Ident {
                value: i.value.clone(),
                quoted: i.quote_style.is_some(),
            }),
            ObjectNamePart::Function(_) => return None,
        }
    }
    if parts.is_empty() || is_catalog_view(&parts) {
        return None;
    }
    // A Snowflake stage (`@stage/path`) or a quoted URI is a location, not a table.
    let first = &parts[0].value;
    if first.starts_with('@') || first.contains("://") {
        return Some(DataRef::Uri(
            name.to_string().trim_matches('\'').to_string(),
        ));
    }
    Some(DataRef::Table(parts))
}

/// Whether a name is one of the warehouse's own catalog views
/// (`…INFORMATION_SCHEMA.COLUMNS`): metadata, not pipeline data.
pub(super) fn is_catalog_view(parts: &[Ident]) -> bool {
    parts
        .iter()
        .any(|p| p.value.eq_ignore_ascii_case("information_schema"))
}

/// Collects table names in FROM/JOIN positions, skipping CTE names in scope
/// and table-valued functions.
struct ReadCollector {
    cte_scopes: Vec<Vec<String>>,
    reads: Vec<(DataRef, SqlPos)>,
}

impl ReadCollector {
    fn is_cte(&self, name: &ObjectName) -> bool {
        if name.0.len() != 1 {
            return false;
        }
        let Some(ObjectNamePart::Identifier(ident)) = name.0.first() else {
            return false;
        };
        let n = ident.value.to_lowercase();
        self.cte_scopes.iter().any(|scope| scope.contains(&n))
    }
}

impl Visitor for ReadCollector {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        let names = query
            .with
            .as_ref()
            .map(|w| {
                w.cte_tables
                    .iter()
                    .map(|c| c.alias.name.value.to_lowercase())
                    .collect()
            })
            .unwrap_or_default();
        self.cte_scopes.push(names);
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &Query) -> ControlFlow<()> {
        self.cte_scopes.pop();
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        if let TableFactor::Table {
            name, args: None, ..
        } = factor
        {
            if !self.is_cte(name) {
                push_name(name, &mut self.reads);
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, _expr: &Expr) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(items: &[(DataRef, SqlPos)]) -> Vec<String> {
        items
            .iter()
            .map(|(r, _)| match r {
                DataRef::Table(parts) => parts
                    .iter()
                    .map(|p| p.value.as_str())
                    .collect::<Vec<_>>()
                    .join("."),
                DataRef::Uri(u) => u.clone(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn insert_select_with_ctes_and_joins() {
        let a = analyze(
            "WITH recent AS (SELECT * FROM raw.orders WHERE ts > :run_date)\n\
             INSERT INTO curated.fct_orders\n\
             SELECT r.*, c.country FROM recent r JOIN curated.dim_customer c USING (customer_id)\n\
             WHERE r.id IN (SELECT id FROM raw.payments UNION SELECT id FROM raw.refunds);",
            SqlDialect::Snowflake,
        );
        assert_eq!(a.errors, vec![]);
        assert_eq!(names(&a.writes), ["curated.fct_orders"]);
        assert_eq!(
            names(&a.reads),
            [
                "raw.orders",
                "curated.dim_customer",
                "raw.payments",
                "raw.refunds"
            ]
        );
        assert_eq!(
            a.writes[0].1,
            SqlPos {
                line: 2,
                column: 13
            }
        );
    }

    #[test]
    fn snowflake_semi_structured_access_and_binds_parse() {
        let a = analyze(
            "INSERT INTO mart.daily_active_users\n\
             SELECT DATE(event_timestamp), user_id, properties:referrer::string AS ch\n\
             FROM raw.events WHERE DATE(event_timestamp) = :run_date GROUP BY 1, 2, 3;",
            SqlDialect::Snowflake,
        );
        assert_eq!(a.errors, vec![]);
        assert_eq!(names(&a.reads), ["raw.events"]);
        assert_eq!(names(&a.writes), ["mart.daily_active_users"]);
    }

    #[test]
    fn create_view_merge_copy_and_several_statements() {
        let a = analyze(
            "CREATE OR REPLACE VIEW mart.v AS SELECT * FROM curated.a;\n\
             MERGE INTO curated.b t USING raw.b s ON t.id = s.id WHEN MATCHED THEN UPDATE SET x = s.x;\n\
             CREATE TABLE curated.c AS SELECT * FROM curated.a;",
            SqlDialect::Generic,
        );
        assert_eq!(a.errors, vec![]);
        assert_eq!(names(&a.writes), ["mart.v", "curated.b", "curated.c"]);
        assert_eq!(names(&a.reads), ["curated.a", "raw.b", "curated.a"]);
    }

    #[test]
    fn snowflake_copy_into_reads_its_location() {
        let a = analyze(
            "COPY INTO raw.events FROM 's3://acme-lake/raw/events/' FILE_FORMAT = (TYPE = JSON);",
            SqlDialect::Snowflake,
        );
        assert_eq!(a.errors, vec![]);
        assert_eq!(names(&a.writes), ["raw.events"]);
        assert_eq!(names(&a.reads), ["s3://acme-lake/raw/events/"]);
    }

    #[test]
    fn a_broken_statement_costs_only_itself() {
        let a = analyze(
            "SELECT FROM WHERE;\nINSERT INTO a.b SELECT * FROM a.c;",
            SqlDialect::Generic,
        );
        assert_eq!(a.errors.len(), 1);
        assert_eq!(a.errors[0].at.line, 1);
        assert_eq!(names(&a.writes), ["a.b"]);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let sql = format!("SELECT {}1{}", "(".repeat(10_000), ")".repeat(10_000));
        let a = analyze(&sql, SqlDialect::Generic);
        let (message, _) = a.fatal.expect("too deep to read");
        assert!(message.contains("nested deeper"), "{message}");
    }

    #[test]
    fn generic_falls_back_to_the_dialect_that_parses() {
        let sql = "INSERT INTO a.b SELECT REGEXP_SUBSTR(x, 'don\\'t') FROM a.c;";
        assert!(analyze_in(sql, SqlDialect::Generic).fatal.is_some());
        let a = analyze(sql, SqlDialect::Generic);
        assert_eq!(a.errors, vec![]);
        assert_eq!(names(&a.reads), ["a.c"]);
        assert!(
            analyze(sql, SqlDialect::Postgres).fatal.is_some(),
            "a configured dialect is kept"
        );
    }

    #[test]
    fn table_functions_are_not_tables() {
        let a = analyze(
            "SELECT * FROM generate_series(1, 10) g JOIN s.t ON true",
            SqlDialect::Postgres,
        );
        assert_eq!(names(&a.reads), ["s.t"]);
    }

    #[test]
    fn a_procedure_with_a_scripting_body_is_one_opaque_statement() {
        let a = analyze(
            "USE SCHEMA audit;\n\
             CREATE OR REPLACE PROCEDURE tag_columns(p_mode VARCHAR)\n\
             RETURNS STRING\n\
             AS\n\
             DECLARE\n\
               l_sql STRING DEFAULT '';\n\
               l_count NUMBER DEFAULT 0;\n\
               c1 CURSOR FOR SELECT table_name FROM audit.columns_to_tag;\n\
             BEGIN\n\
               FOR rec IN c1 DO\n\
                 IF (p_mode = 'FULL') THEN\n\
                   l_sql := 'ALTER TABLE ' || rec.table_name || ' SET TAG pii = TRUE';\n\
                   EXECUTE IMMEDIATE l_sql;\n\
                 ELSE\n\
                   l_count := l_count + 1;\n\
                 END IF;\n\
               END FOR;\n\
               RETURN CASE WHEN l_count > 0 THEN 'partial' ELSE 'done' END;\n\
             EXCEPTION\n\
               WHEN OTHER THEN RETURN 'failed';\n\
             END;\n\
             INSERT INTO audit.runs SELECT CURRENT_TIMESTAMP();",
            SqlDialect::Snowflake,
        );
        assert_eq!(a.errors, vec![]);
        assert_eq!(names(&a.writes), ["audit.runs"]);
        assert_eq!(names(&a.reads), Vec::<String>::new());
    }

    #[test]
    fn dollar_quoted_bodies_and_execute_immediate_are_opaque() {
        let a = analyze(
            "CREATE OR REPLACE PROCEDURE purge() RETURNS STRING LANGUAGE SQL AS\n\
             $$\n\
             BEGIN\n\
               DELETE FROM stage.events WHERE ts < DATEADD(day, -7, CURRENT_DATE());\n\
               RETURN 'ok';\n\
             END;\n\
             $$;\n\
             EXECUTE IMMEDIATE $$ BEGIN TRUNCATE TABLE stage.tmp; END; $$;\n\
             CREATE TABLE mart.x AS SELECT * FROM stage.events;",
            SqlDialect::Generic,
        );
        assert_eq!(a.errors, vec![]);
        assert_eq!(names(&a.writes), ["mart.x"]);
        assert_eq!(names(&a.reads), ["stage.events"]);
    }

    #[test]
    fn session_variables_are_never_reported() {
        let a = analyze(
            "SET target_role = (SELECT UPPER(:role_name));\n\
             CREATE ROLE IDENTIFIER($target_role);\n\
             CREATE USER IDENTIFIER($target_role) LOGIN_NAME = $login DEFAULT_WAREHOUSE = 'XS';\n\
             GRANT ROLE IDENTIFIER($target_role) TO USER IDENTIFIER($target_role);\n\
             INSERT INTO IDENTIFIER('audit.grants') SELECT $target_role;\n\
             CREATE TABLE IDENTIFIER($scratch) AS SELECT * FROM raw.users;",
            SqlDialect::Snowflake,
        );
        assert_eq!(a.errors, vec![]);
        assert_eq!(names(&a.writes), ["audit.grants"]);
        assert_eq!(names(&a.reads), ["raw.users"]);
    }

    #[test]
    fn bigquery_constructs_are_read() {
        let a = analyze(
            "DECLARE run_date DATE DEFAULT CURRENT_DATE();\n\
             CREATE TEMP TABLE t (items ARRAY<STRUCT<sku STRING, qty INT64>>);\n\
             EXPORT DATA OPTIONS (uri = 'gs://exports/orders/*.csv', format = 'CSV') AS\n\
             SELECT * FROM `shop.analytics.orders`;\n\
             SELECT * FROM `shop.raw.events_*` WHERE _TABLE_SUFFIX > '20240101';\n\
             SELECT column_name FROM shop.analytics.INFORMATION_SCHEMA.COLUMNS;",
            SqlDialect::BigQuery,
        );
        assert_eq!(a.errors, vec![]);
        assert_eq!(names(&a.writes), ["t", "gs://exports/orders/*.csv"]);
        assert_eq!(
            names(&a.reads),
            ["shop.analytics.orders", "shop.raw.events_*"]
        );
    }

    #[test]
    fn an_unparsed_statement_is_recovered_from_its_tokens() {
        let a = analyze(
            "WITH o AS (SELECT * FROM raw.orders)\n\
             INSERT INTO curated.orders SELECT FROM o JOIN raw.customers c ON o.c = c.id WHERE;",
            SqlDialect::Postgres,
        );
        assert_eq!(a.errors.len(), 1);
        assert!(a.recovered);
        assert_eq!(a.errors[0].statement, "WITH o AS (SELECT * …");
        assert_eq!(names(&a.writes), ["curated.orders"]);
        assert_eq!(names(&a.reads), ["raw.orders", "raw.customers"]);
    }

    #[test]
    fn an_unterminated_string_is_fatal() {
        let a = analyze("SELECT 'abc FROM t;", SqlDialect::Postgres);
        assert!(a.fatal.is_some());
        assert_eq!(a.errors, vec![]);
    }
}
