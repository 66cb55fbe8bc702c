//! dbt's layer conventions, used when the manifest's `[layers]` say nothing:
//! sources are raw; `staging`/`intermediate`/`base` folders and `stg_`/`int_`
//! models are curated; `marts` folders and `fct_`/`dim_`/`mart_` models are
//! serving.

/// The layer a model's folders (relative to its model path) and name
/// suggest. The model's own prefix wins over its folder.
pub fn model_layer_hint(folders: &[&str], name: &str) -> Option<&'static str> {
    let name = name.to_ascii_lowercase();
    if ["stg_", "int_", "base_"]
        .iter()
        .any(|p| name.starts_with(p))
    {
        return Some("curated");
    }
    if ["fct_", "dim_", "mart_", "fact_"]
        .iter()
        .any(|p| name.starts_with(p))
    {
        return Some("serving");
    }
    folders
        .iter()
        .rev()
        .find_map(|folder| match folder.to_ascii_lowercase().as_str() {
            "staging" | "stage" | "intermediate" | "base" => Some("curated"),
            "marts" | "mart" => Some("serving"),
            _ => None,
        })
}

/// The layer hint of a dbt source table.
pub const SOURCE_LAYER: &str = "raw";

#[cfg(test)]
mod tests {
    use super::model_layer_hint;

    #[test]
    fn prefixes_then_folders() {
        assert_eq!(model_layer_hint(&["staging"], "orders"), Some("curated"));
        assert_eq!(
            model_layer_hint(&["marts", "finance"], "revenue"),
            Some("serving")
        );
        assert_eq!(model_layer_hint(&["marts"], "int_orders"), Some("curated"));
        assert_eq!(model_layer_hint(&[], "fct_orders"), Some("serving"));
        assert_eq!(model_layer_hint(&[], "dim_customer"), Some("serving"));
        assert_eq!(model_layer_hint(&["reports"], "weekly"), None);
    }
}
