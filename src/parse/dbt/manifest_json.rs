//! `target/manifest.json`: dbt's own parse result, as an exact source of
//! edges when it exists.
