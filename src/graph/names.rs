//! Dataset names: one spelling per table, whatever the quoting, case or
//! qualification a file used — compared as the warehouse compares them.

use crate::facts::DataRef;
use crate::sql_dialect::SqlDialect;

/// What an unqualified or over-qualified name is completed or trimmed with,
/// and the warehouse whose rules compare names.
#[derive(Debug, Clone, Default)]
pub struct NameDefaults {
    /// Schema of one-part names (`[project] default_schema`).
    pub schema: Option<String>,
    /// Database dropped from three-part names (`[project] default_database`).
    pub database: Option<String>,
    /// The warehouse (`[project] dialect`): how identifiers fold.
    pub dialect: SqlDialect,
}

/// How a warehouse compares one identifier with another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Folding {
    /// Unquoted names fold to upper case, quoted ones keep theirs (Snowflake).
    Upper,
    /// Unquoted names fold to lower case, quoted ones keep theirs
    /// (Postgres, Redshift).
    Lower,
    /// Case never matters, quoted or not (DuckDB, Databricks, and the
    /// generic dialects, which assume nothing).
    Ignore,
    /// Names keep their case, quoted or not (BigQuery tables).
    Keep,
}

fn folding(dialect: SqlDialect) -> Folding {
    match dialect {
        SqlDialect::Snowflake => Folding::Upper,
        SqlDialect::Postgres | SqlDialect::Redshift => Folding::Lower,
        SqlDialect::BigQuery => Folding::Keep,
        SqlDialect::DuckDb
        | SqlDialect::Databricks
        | SqlDialect::MySql
        | SqlDialect::Generic
        | SqlDialect::Ansi => Folding::Ignore,
    }
}

/// One identifier as the warehouse sees it, spelled for output and pushed
/// onto `out`: names the warehouse folds are shown in lower case; a quoted
/// name whose case the warehouse keeps, and which differs from the folded
/// spelling, stays in double quotes, so `"Users"` and `users` stay two
/// tables in Snowflake while `"USERS"` and `users` are one.
fn push_canonical(out: &mut String, value: &str, quoted: bool, folding: Folding) {
    let lower = match folding {
        Folding::Ignore => true,
        Folding::Keep => false,
        Folding::Upper => !quoted || is_upper(value),
        Folding::Lower => !quoted || is_lower(value),
    };
    if lower {
        push_lowercase(out, value);
    } else if folding == Folding::Keep {
        out.push_str(value);
    } else {
        out.push('"');
        out.push_str(value);
        out.push('"');
    }
}

/// `value.to_lowercase()` onto `out`, without a copy for ASCII names.
fn push_lowercase(out: &mut String, value: &str) {
    if value.is_ascii() {
        let start = out.len();
        out.push_str(value);
        out[start..].make_ascii_lowercase();
    } else {
        out.push_str(&value.to_lowercase());
    }
}

/// Whether `value == value.to_uppercase()`.
fn is_upper(value: &str) -> bool {
    if value.is_ascii() {
        !value.bytes().any(|b| b.is_ascii_lowercase())
    } else {
        value == value.to_uppercase()
    }
}

/// Whether `value == value.to_lowercase()`.
fn is_lower(value: &str) -> bool {
    if value.is_ascii() {
        !value.bytes().any(|b| b.is_ascii_uppercase())
    } else {
        value == value.to_lowercase()
    }
}

/// The canonical name of a table or location reference: each part folded as
/// the dialect folds identifiers (see [`push_canonical`]), completed with
/// the default schema, and stripped of the default database; URIs keep
/// their text but lose a trailing `/`. `None` for dbt refs, which are
/// resolved against models and sources instead.
pub fn normalize(r: &DataRef, defaults: &NameDefaults) -> Option<String> {
    match r {
        DataRef::Table(parts) => {
            let folding = folding(defaults.dialect);
            if parts.is_empty() || parts.iter().any(|p| p.value.is_empty()) {
                return None;
            }
            let mut out = String::with_capacity(
                parts.iter().map(|p| p.value.len() + 3).sum::<usize>()
                    + defaults.schema.as_ref().map_or(0, |s| s.len() + 1),
            );
            let mut kept = &parts[..];
            if let (3, Some(db)) = (parts.len(), &defaults.database) {
                push_canonical(&mut out, &parts[0].value, parts[0].quoted, folding);
                let mut default_db = String::with_capacity(db.len());
                push_canonical(&mut default_db, db, false, folding);
                if out == default_db {
                    kept = &parts[1..];
                }
                out.clear();
            }
            if let (1, Some(schema)) = (parts.len(), &defaults.schema) {
                push_canonical(&mut out, schema, false, folding);
                out.push('.');
            }
            for (i, p) in kept.iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                push_canonical(&mut out, &p.value, p.quoted, folding);
            }
            Some(out)
        }
        DataRef::Uri(uri) => {
            let trimmed = uri.trim().trim_end_matches('/');
            (!trimmed.is_empty()).then(|| trimmed.to_string())
        }
        DataRef::Model { .. } | DataRef::DbtSource { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Ident;

    fn table(parts: &[(&str, bool)]) -> DataRef {
        DataRef::Table(
            parts
                .iter()
                .map(|(v, q)| Ident {
                    value: v.to_string(),
                    quoted: *q,
                })
                .collect(),
        )
    }

    fn in_dialect(dialect: SqlDialect) -> NameDefaults {
        NameDefaults {
            schema: None,
            database: Some("analytics".into()),
            dialect,
        }
    }

    #[test]
    fn names_beyond_ascii_fold_as_the_standard_library_folds_them() {
        let n = |dialect, parts: &[(&str, bool)]| normalize(&table(parts), &in_dialect(dialect));
        // A final sigma lowers to `ς`, as `str::to_lowercase` lowers it.
        assert_eq!(
            n(SqlDialect::DuckDb, &[("ΟΔΟΣ", false), ("Straße", true)]).as_deref(),
            Some("οδος.straße")
        );
        // `ß` is not upper case, so quoted it keeps its spelling in Snowflake.
        assert_eq!(
            n(SqlDialect::Snowflake, &[("raw", false), ("STRAßE", true)]).as_deref(),
            Some("raw.\"STRAßE\"")
        );
        assert_eq!(
            n(SqlDialect::Snowflake, &[("raw", false), ("ÉTÉ", true)]).as_deref(),
            Some("raw.été")
        );
        assert_eq!(
            n(SqlDialect::Postgres, &[("raw", false), ("été", true)]).as_deref(),
            Some("raw.été")
        );
        // The default database goes, compared folded.
        assert_eq!(
            n(
                SqlDialect::Snowflake,
                &[("ANALYTICS", false), ("s", false), ("t", false)]
            )
            .as_deref(),
            Some("s.t")
        );
    }

    #[test]
    fn each_warehouse_folds_names_its_own_way() {
        let n = |dialect, parts: &[(&str, bool)]| normalize(&table(parts), &in_dialect(dialect));
        let snowflake = SqlDialect::Snowflake;
        assert_eq!(
            n(snowflake, &[("raw", false), ("USERS", true)]),
            n(snowflake, &[("raw", false), ("users", false)])
        );
        assert_ne!(
            n(snowflake, &[("raw", false), ("Users", true)]),
            n(snowflake, &[("raw", false), ("users", false)])
        );
        assert_eq!(
            n(snowflake, &[("raw", false), ("Users", true)]).as_deref(),
            Some("raw.\"Users\"")
        );
        let pg = SqlDialect::Postgres;
        assert_eq!(
            n(pg, &[("raw", false), ("users", true)]),
            n(pg, &[("RAW", false), ("Users", false)])
        );
        assert_ne!(
            n(pg, &[("raw", false), ("USERS", true)]),
            n(pg, &[("raw", false), ("users", false)])
        );
        assert_ne!(
            n(SqlDialect::Redshift, &[("raw", false), ("Users", true)]),
            n(SqlDialect::Redshift, &[("raw", false), ("users", false)])
        );
        let duck = SqlDialect::DuckDb;
        assert_eq!(
            n(duck, &[("raw", true), ("Users", true)]),
            n(duck, &[("raw", false), ("users", false)])
        );
        let bq = SqlDialect::BigQuery;
        assert_ne!(
            n(bq, &[("raw", false), ("Users", false)]),
            n(bq, &[("raw", false), ("users", false)])
        );
        assert_eq!(
            n(bq, &[("raw", false), ("users", true)]),
            n(bq, &[("raw", false), ("users", false)])
        );
        // The default database (folded like any name) is dropped.
        assert_eq!(
            n(
                snowflake,
                &[("ANALYTICS", false), ("raw", false), ("users", false)]
            )
            .as_deref(),
            Some("raw.users")
        );
        assert_eq!(
            n(
                snowflake,
                &[("analytics", true), ("raw", false), ("users", false)]
            )
            .as_deref(),
            Some("\"analytics\".raw.users")
        );
        assert_eq!(
            n(
                pg,
                &[("ANALYTICS", false), ("raw", false), ("users", false)]
            )
            .as_deref(),
            Some("raw.users")
        );
        assert_eq!(
            n(pg, &[("other", false), ("raw", false), ("users", false)]).as_deref(),
            Some("other.raw.users")
        );
    }

    #[test]
    fn one_spelling_per_table() {
        let d = NameDefaults {
            schema: Some("analytics".into()),
            database: Some("acme".into()),
            dialect: SqlDialect::Generic,
        };
        assert_eq!(
            normalize(&table(&[("RAW", true), ("Orders", false)]), &d).as_deref(),
            Some("raw.orders")
        );
        assert_eq!(
            normalize(&table(&[("fct_orders", false)]), &d).as_deref(),
            Some("analytics.fct_orders")
        );
        assert_eq!(
            normalize(&table(&[("ACME", false), ("raw", false), ("x", false)]), &d).as_deref(),
            Some("raw.x")
        );
        assert_eq!(
            normalize(
                &table(&[("other", false), ("raw", false), ("x", false)]),
                &d
            )
            .as_deref(),
            Some("other.raw.x")
        );
        assert_eq!(
            normalize(&DataRef::Uri("s3://lake/raw/events/".into()), &d).as_deref(),
            Some("s3://lake/raw/events")
        );
    }
}
