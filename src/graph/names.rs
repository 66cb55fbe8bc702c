//! Dataset names: one spelling per table, whatever the quoting, case or
//! qualification a file used — compared as the warehouse compares them.

use crate::facts::{DataRef, Ident};
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

/// One identifier as the warehouse sees it, spelled for output: names the
/// warehouse folds are shown in lower case; a quoted name whose case the
/// warehouse keeps, and which differs from the folded spelling, stays in
/// double quotes, so `"Users"` and `users` stay two tables in Snowflake
/// while `"USERS"` and `users` are one.
fn canonical(ident: &Ident, folding: Folding) -> String {
    let v = ident.value.as_str();
    match folding {
        Folding::Ignore => v.to_lowercase(),
        Folding::Keep => v.to_string(),
        Folding::Upper if !ident.quoted || v == v.to_uppercase() => v.to_lowercase(),
        Folding::Lower if !ident.quoted || v == v.to_lowercase() => v.to_lowercase(),
        Folding::Upper | Folding::Lower => format!("\"{v}\""),
    }
}

/// The canonical name of a table or location reference: each part folded as
/// the dialect folds identifiers (see [`canonical`]), completed with the
/// default schema, and stripped of the default database; URIs keep their
/// text but lose a trailing `/`. `None` for dbt refs, which are resolved
/// against models and sources instead.
pub fn normalize(r: &DataRef, defaults: &NameDefaults) -> Option<String> {
    match r {
        DataRef::Table(parts) => {
            let folding = folding(defaults.dialect);
            if parts.is_empty() || parts.iter().any(|p| p.value.is_empty()) {
                return None;
            }
            let mut parts: Vec<String> = parts.iter().map(|p| canonical(p, folding)).collect();
            let default_db = defaults.database.as_deref().map(|db| {
                canonical(
                    &Ident {
                        value: db.to_string(),
                        quoted: false,
                    },
                    folding,
                )
            });
            if parts.len() == 3 && default_db.as_deref() == Some(parts[0].as_str()) {
                parts.remove(0);
            }
            if parts.len() == 1 {
                if let Some(schema) = &defaults.schema {
                    parts.insert(
                        0,
                        canonical(
                            &Ident {
                                value: schema.clone(),
                                quoted: false,
                            },
                            folding,
                        ),
                    );
                }
            }
            Some(parts.join("."))
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
