//! Dataset names: one spelling per table, whatever the quoting, case or
//! qualification a file used.

use crate::facts::DataRef;

/// What an unqualified or over-qualified name is completed or trimmed with.
#[derive(Debug, Clone, Default)]
pub struct NameDefaults {
    /// Schema of one-part names (`[project] default_schema`).
    pub schema: Option<String>,
    /// Database dropped from three-part names (`[project] default_database`).
    pub database: Option<String>,
}

/// The canonical name of a table or location reference: table names are
/// lowercased (quoted or not — pipelint compares names, it does not query),
/// completed with the default schema, and stripped of the default database;
/// URIs keep their text but lose a trailing `/`. `None` for dbt refs, which
/// are resolved against models and sources instead.
pub fn normalize(r: &DataRef, defaults: &NameDefaults) -> Option<String> {
    match r {
        DataRef::Table(parts) => {
            let mut parts: Vec<String> = parts.iter().map(|p| p.value.to_lowercase()).collect();
            if parts.iter().any(String::is_empty) || parts.is_empty() {
                return None;
            }
            if parts.len() == 3 && defaults.database.as_deref() == Some(parts[0].as_str()) {
                parts.remove(0);
            }
            if parts.len() == 1 {
                if let Some(schema) = &defaults.schema {
                    parts.insert(0, schema.clone());
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

    #[test]
    fn one_spelling_per_table() {
        let d = NameDefaults {
            schema: Some("analytics".into()),
            database: Some("acme".into()),
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
