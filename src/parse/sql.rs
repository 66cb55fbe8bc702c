//! Plain SQL: which tables a script reads and writes, parsed with sqlparser.
//!
//! A file is split into statements at top-level `;` tokens, and each statement
//! is parsed alone, so one broken statement costs only itself.

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::sync::Arc;

use sqlparser::ast::{
    CopySource, Expr, FromTable, ObjectName, ObjectNamePart, Query, SetExpr, Statement,
    TableFactor, TableObject, Visit, Visitor,
};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Whitespace};

use crate::facts::{DataRef, FileFacts, Ident, JobFact, JobKind, Located};
use crate::parse::inline_allow;
use crate::span::{LineIndex, Span};
use crate::sql_dialect::SqlDialect;

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
    /// Statements that did not parse: message and position.
    pub errors: Vec<(String, SqlPos)>,
    /// `-- pipelint: allow[rule] reason` comments: their text, position, and
    /// whether each stands alone on its line.
    pub allows: Vec<(String, SqlPos, bool)>,
    /// The text was over a work limit ([`crate::limits`]): not analyzed in
    /// full, and not worth trying again in another dialect.
    pub over_limit: bool,
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
    if first.errors.is_empty() || first.over_limit || dialect != SqlDialect::Generic {
        return first;
    }
    let mut best = first;
    for fallback in GENERIC_FALLBACKS {
        let attempt = analyze_in(sql, fallback);
        if attempt.errors.len() < best.errors.len() {
            best = attempt;
            if best.errors.is_empty() {
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
        for range in split_statements(&tokens) {
            count += 1;
            let statement_tokens = &tokens[range];
            let start = statement_tokens
                .iter()
                .find(|t| !matches!(t.token, Token::Whitespace(_)))
                .map_or(SqlPos { line: 1, column: 1 }, |t| pos(t.span.start));
            if count > limits.statements {
                access.errors.push((
                    crate::limits::over(
                        format!("more than {} statements", limits.statements),
                        "max-statements",
                        limits.statements,
                    ) + "; the rest of the file was not analyzed",
                    start,
                ));
                access.over_limit = true;
                return ControlFlow::Break(());
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
        access.errors.push((e.message.clone(), pos(e.location)));
    }
    access
}

/// Parses one statement's tokens and records what it reads and writes, or
/// why it does not parse (at the token where parsing stopped, or at the
/// statement's last token when it stopped at the end).
fn analyze_statement(
    statement_tokens: &[TokenWithSpan],
    start: SqlPos,
    dialect: &dyn sqlparser::dialect::Dialect,
    limits: &crate::limits::Limits,
    access: &mut SqlAccess,
) {
    let size = statement_tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .count();
    if size > limits.nodes {
        access.errors.push((
            crate::limits::over(
                format!("a statement of {size} tokens"),
                "max-nodes",
                limits.nodes,
            ),
            start,
        ));
        access.over_limit = true;
        return;
    }
    let chain = crate::limits::sql_chain(statement_tokens);
    let max_chain = limits.depth.saturating_mul(crate::limits::CHAIN_PER_DEPTH);
    if chain > max_chain {
        access.errors.push((
            crate::limits::over(
                format!("a chain of {chain} operators"),
                "max-depth",
                format!("{max_chain} operators ({} levels)", limits.depth),
            ),
            start,
        ));
        access.over_limit = true;
        return;
    }
    let mut parser = Parser::new(dialect)
        .with_recursion_limit(limits.depth)
        .with_tokens_with_locations(statement_tokens.to_vec());
    match parser.parse_statement() {
        Ok(statement) => {
            let trailing = parser.peek_token();
            if trailing.token != Token::EOF {
                access.errors.push((
                    format!(
                        "unexpected `{}` after the end of a statement",
                        trailing.token
                    ),
                    pos(trailing.span.start),
                ));
            }
            statement_access(&statement, access);
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
                statement_tokens
                    .iter()
                    .rev()
                    .find(|t| !matches!(t.token, Token::Whitespace(_) | Token::EOF))
                    .map_or(start, |t| pos(t.span.end))
            };
            access.errors.push((parser_message(&e), at));
        }
    }
}

/// The facts of a plain `.sql` file: one `script:<path>` job with its reads and
/// writes, and a `parse-error` for each statement that did not parse.
pub fn parse_sql_file(file: &Arc<str>, text: &str, dialect: SqlDialect) -> FileFacts {
    let index = LineIndex::new(text);
    let access = analyze(text, dialect);
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
    job.partial = !access.errors.is_empty();
    if let Some(first_write) = job.writes.first() {
        job.span = first_write.span.clone();
    }
    let mut facts = FileFacts::default();
    for (message, p) in &access.errors {
        facts.diagnostics.push(
            crate::diagnostic::Diagnostic::new("parse-error", format!("SQL does not parse: {message}"))
                .node(job.id.clone())
                .at(Some(span_at(*p)))
                .help("fix the statement, or check `[project] dialect` in pipeline.toml; the other statements of the file are still read"),
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

fn pos(l: Location) -> SqlPos {
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

/// Splits a token stream at top-level semicolons, dropping empty
/// statements: the index range of each statement's tokens (ranges, not
/// copies, so a file of many statements holds its tokens once).
fn split_statements(tokens: &[TokenWithSpan]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut depth = 0i64;
    let mut push = |range: std::ops::Range<usize>| {
        if tokens[range.clone()]
            .iter()
            .any(|t| !matches!(t.token, Token::Whitespace(_) | Token::EOF))
        {
            out.push(range);
        }
    };
    for (i, t) in tokens.iter().enumerate() {
        match &t.token {
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            Token::SemiColon if depth <= 0 => {
                depth = 0;
                push(start..i);
                start = i + 1;
            }
            Token::EOF => {
                push(start..i);
                start = i + 1;
            }
            _ => {}
        }
    }
    push(start..tokens.len());
    out
}

/// Finds `pipelint: allow[rule] reason` in `--` and `/* */` comments.
fn collect_allows(tokens: &[TokenWithSpan], access: &mut SqlAccess) {
    let mut line_has_code: HashSet<u64> = HashSet::new();
    for t in tokens {
        if !matches!(t.token, Token::Whitespace(_) | Token::EOF) {
            line_has_code.insert(t.span.start.line);
        }
    }
    for t in tokens {
        let text = match &t.token {
            Token::Whitespace(Whitespace::SingleLineComment { comment, .. }) => comment,
            Token::Whitespace(Whitespace::MultiLineComment(comment)) => comment,
            _ => continue,
        };
        if inline_allow::parse_directive(text).is_some() {
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
            ObjectNamePart::Identifier(i) => parts.push(Ident {
                value: i.value.clone(),
                quoted: i.quote_style.is_some(),
            }),
            ObjectNamePart::Function(_) => return None,
        }
    }
    if parts.is_empty() {
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
        assert_eq!(a.errors[0].1.line, 1);
        assert_eq!(names(&a.writes), ["a.b"]);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let sql = format!("SELECT {}1{}", "(".repeat(10_000), ")".repeat(10_000));
        let a = analyze(&sql, SqlDialect::Generic);
        assert_eq!(a.errors.len(), 1);
        assert!(a.errors[0].0.contains("nested deeper"), "{:?}", a.errors);
    }

    #[test]
    fn generic_falls_back_to_the_dialect_that_parses() {
        let sql = "INSERT INTO a.b SELECT REGEXP_SUBSTR(x, 'don\\'t') FROM a.c;";
        assert_eq!(analyze_in(sql, SqlDialect::Generic).errors.len(), 1);
        let a = analyze(sql, SqlDialect::Generic);
        assert_eq!(a.errors, vec![]);
        assert_eq!(names(&a.reads), ["a.c"]);
        assert_eq!(
            analyze(sql, SqlDialect::Postgres).errors.len(),
            1,
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
}
