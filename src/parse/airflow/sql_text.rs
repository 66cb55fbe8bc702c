//! SQL found in DAG files: inline `sql=` text goes through the shared SQL
//! parser (`crate::parse::sql::analyze`) with its positions mapped back into
//! the Python file; a `sql=` that names a `.sql` file is resolved to a repo
//! path (the plain-SQL parser reads that file as a `script:` job).
//!
//! Jinja in inline SQL (`{{ ds }}`, `{% if %}`) cannot be rendered statically:
//! each `{{ … }}` is masked with `_` characters and each `{% … %}` / `{# … #}`
//! with spaces, so the SQL parses and every position keeps its line and
//! column. A table name that was an expression (all `_`) is dropped.

use crate::facts::{DataRef, Located};
use crate::parse::sql::{analyze, SqlAccess, SqlPos};
use crate::span::{LineIndex, Span};
use crate::sql_dialect::SqlDialect;

use super::interpreter::{join_path, parent_dir, Reader};
use super::values::{Range, Text};

/// Reads and writes of a piece of SQL, located in the Python file.
#[derive(Debug, Default)]
pub(super) struct SqlRefs {
    /// Tables and locations read.
    pub reads: Vec<Located<DataRef>>,
    /// Tables written.
    pub writes: Vec<Located<DataRef>>,
    /// Whether some statement did not parse.
    pub errors: bool,
    /// The SQL was over a work limit: the first such error, and where.
    pub over_limit: Option<(String, Span)>,
}

/// Masks Jinja so the SQL parses; every character keeps its position.
pub(super) fn mask_jinja(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(start) = rest.find('{') {
        let (before, from) = rest.split_at(start);
        out.push_str(before);
        let close = match from.get(..2) {
            Some("{{") => Some(("}}", '_')),
            Some("{%") => Some(("%}", ' ')),
            Some("{#") => Some(("#}", ' ')),
            _ => None,
        };
        let Some((end, fill)) = close else {
            out.push('{');
            rest = &from[1..];
            continue;
        };
        match from[2..].find(end) {
            Some(i) => {
                let block = &from[..i + 4];
                out.extend(block.chars().map(|c| if c == '\n' { '\n' } else { fill }));
                rest = &from[i + 4..];
            }
            None => {
                out.extend(from.chars().map(|c| if c == '\n' { '\n' } else { fill }));
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The SQL dialect an operator (or one side of a transfer) speaks, from its
/// class name: `BigQueryInsertJobOperator` → BigQuery, `PostgresOperator` →
/// Postgres, … `None` for generic operators (`SQLExecuteQueryOperator`),
/// which use the repo's dialect.
pub(super) fn operator_dialect(class: &str) -> Option<SqlDialect> {
    const PREFIXES: [(&str, SqlDialect); 7] = [
        ("BigQuery", SqlDialect::BigQuery),
        ("Snowflake", SqlDialect::Snowflake),
        ("Postgres", SqlDialect::Postgres),
        ("Redshift", SqlDialect::Redshift),
        ("MySql", SqlDialect::MySql),
        ("Databricks", SqlDialect::Databricks),
        ("DuckDB", SqlDialect::DuckDb),
    ];
    PREFIXES
        .iter()
        .find(|(p, _)| class.starts_with(p))
        .map(|(_, d)| *d)
}

/// Renders `{{ params.name }}` / `{{ params['name'] }}` with the task's
/// literal `params=`; `None` when nothing was rendered.
pub(super) fn render_params(sql: &str, params: &[(String, String)]) -> Option<String> {
    if params.is_empty() || !sql.contains("params") {
        return None;
    }
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    let mut rendered = false;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            break;
        };
        let inner = rest[start + 2..start + 2 + len].trim();
        let key = inner.strip_prefix("params.").or_else(|| {
            let k = inner.strip_prefix("params[")?.strip_suffix(']')?;
            k.strip_prefix('\'')
                .and_then(|k| k.strip_suffix('\''))
                .or_else(|| k.strip_prefix('"').and_then(|k| k.strip_suffix('"')))
        });
        let value = key.and_then(|k| params.iter().find(|(name, _)| name == k.trim()));
        out.push_str(&rest[..start]);
        match value {
            Some((_, v)) => {
                out.push_str(v);
                rendered = true;
            }
            None => out.push_str(&rest[start..start + 2 + len + 2]),
        }
        rest = &rest[start + 2 + len + 2..];
    }
    out.push_str(rest);
    rendered.then_some(out)
}

/// Whether a `sql=` string names a file rather than holding SQL.
pub(super) fn is_sql_path(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty() && !t.contains(char::is_whitespace) && t.to_ascii_lowercase().ends_with(".sql")
}

/// The path of `{% include 'x.sql' %}` when that is all the text holds.
pub(super) fn included_path(text: &str) -> Option<&str> {
    let inner = text.trim().strip_prefix("{%")?.strip_suffix("%}")?.trim();
    let path = inner.strip_prefix("include")?.trim();
    let path = path
        .strip_prefix('\'')
        .and_then(|p| p.strip_suffix('\''))
        .or_else(|| path.strip_prefix('"').and_then(|p| p.strip_suffix('"')))?;
    is_sql_path(path).then_some(path)
}

fn masked_name(r: &DataRef) -> bool {
    match r {
        DataRef::Table(parts) => parts
            .iter()
            .any(|p| !p.value.is_empty() && p.value.chars().all(|c| c == '_')),
        DataRef::Uri(u) => u.contains("__"),
        _ => false,
    }
}

impl<'t> Reader<'t> {
    /// Analyzes inline SQL. Positions map into the file when the string is
    /// written verbatim there; otherwise everything points at `at`.
    pub(super) fn sql_refs(
        &self,
        text: &Text,
        at: Range,
        dialect: SqlDialect,
        params: &[(String, String)],
    ) -> SqlRefs {
        let rendered = render_params(&text.s, params).map(|s| Text { s, raw_at: None });
        let text = rendered.as_ref().unwrap_or(text);
        let masked = mask_jinja(&text.s);
        let access: SqlAccess = analyze(&masked, dialect);
        let fallback = self.src.span_of(at.0, at.1);
        let sql_index = LineIndex::new(&text.s);
        let span_at = |p: SqlPos| -> Span {
            match text.raw_at {
                Some(base) => {
                    let off = base + sql_index.offset(&text.s, p.line, p.column);
                    self.src.span_of(off, off)
                }
                None => fallback.clone(),
            }
        };
        let located = |items: &[(DataRef, SqlPos)]| -> Vec<Located<DataRef>> {
            let mut out: Vec<Located<DataRef>> = Vec::new();
            for (r, p) in items {
                if masked_name(r) || out.iter().any(|l| l.value == *r) {
                    continue;
                }
                out.push(Located::new(r.clone(), span_at(*p)));
            }
            out
        };
        SqlRefs {
            reads: located(&access.reads),
            writes: located(&access.writes),
            errors: !access.errors.is_empty(),
            over_limit: access
                .over_limit
                .then_some(access.fatal.as_ref())
                .flatten()
                .map(|(m, p)| (m.clone(), span_at(*p))),
        }
    }

    /// Resolves a `.sql` path against the DAG's `template_searchpath`
    /// folders, then the DAG file's folder; the repo-relative path if it exists.
    pub(super) fn resolve_sql_path(&self, path: &str, search_paths: &[String]) -> Option<String> {
        let dag_dir = parent_dir(self.src.file);
        let path = path.trim();
        let candidates = search_paths
            .iter()
            .map(|dir| join_path(dir, path))
            .chain(std::iter::once(join_path(&dag_dir, path)));
        candidates
            .filter(|c| !c.starts_with('/') && !c.starts_with(".."))
            .find(|c| self.context.paths.contains(c.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jinja_is_masked_in_place() {
        let sql = "SELECT * FROM {{ params.t }} WHERE d = '{{ ds }}'\n{% if x %}AND 1{% endif %}";
        let masked = mask_jinja(sql);
        assert_eq!(masked.len(), sql.len());
        assert_eq!(
            masked,
            "SELECT * FROM ______________ WHERE d = '________'\n          AND 1           "
        );
        assert_eq!(mask_jinja("a { b"), "a { b");
    }

    #[test]
    fn sql_paths_and_includes() {
        assert!(is_sql_path("curated/fct_sessions.sql"));
        assert!(!is_sql_path("SELECT * FROM x.sql"));
        assert_eq!(
            included_path("{% include 'sql/x.sql' %}"),
            Some("sql/x.sql")
        );
        assert_eq!(included_path("SELECT 1"), None);
    }

    #[test]
    fn params_render_into_sql() {
        let params = vec![("schema".to_string(), "raw".to_string())];
        assert_eq!(
            render_params("SELECT * FROM {{ params.schema }}.orders WHERE d = '{{ ds }}' AND s = '{{params['schema']}}'", &params),
            Some("SELECT * FROM raw.orders WHERE d = '{{ ds }}' AND s = 'raw'".to_string())
        );
        assert_eq!(render_params("SELECT {{ ds }}", &params), None);
    }
}
