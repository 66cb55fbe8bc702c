//! The SQL dialects pipelint parses, by the names the manifest uses.

use sqlparser::dialect::{
    AnsiDialect, BigQueryDialect, DatabricksDialect, Dialect, DuckDbDialect, GenericDialect,
    MySqlDialect, PostgreSqlDialect, RedshiftSqlDialect, SnowflakeDialect,
};

/// A SQL dialect selectable in `[project] dialect`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SqlDialect {
    /// Accepts the union of common syntax.
    #[default]
    Generic,
    /// ANSI SQL.
    Ansi,
    /// Snowflake.
    Snowflake,
    /// BigQuery.
    BigQuery,
    /// PostgreSQL.
    Postgres,
    /// Redshift.
    Redshift,
    /// DuckDB.
    DuckDb,
    /// MySQL.
    MySql,
    /// Databricks / Spark SQL.
    Databricks,
}

/// The accepted names, for help texts.
pub const DIALECT_NAMES: &str =
    "generic, ansi, snowflake, bigquery, postgres, redshift, duckdb, mysql, databricks";

impl SqlDialect {
    /// Reads a dialect name (case-insensitive).
    pub fn parse(name: &str) -> Option<SqlDialect> {
        Some(match name.to_ascii_lowercase().as_str() {
            "generic" => SqlDialect::Generic,
            "ansi" => SqlDialect::Ansi,
            "snowflake" => SqlDialect::Snowflake,
            "bigquery" => SqlDialect::BigQuery,
            "postgres" | "postgresql" => SqlDialect::Postgres,
            "redshift" => SqlDialect::Redshift,
            "duckdb" => SqlDialect::DuckDb,
            "mysql" => SqlDialect::MySql,
            "databricks" | "spark" => SqlDialect::Databricks,
            _ => return None,
        })
    }

    /// The sqlparser dialect that parses it.
    pub fn parser_dialect(self) -> Box<dyn Dialect + Send + Sync> {
        match self {
            SqlDialect::Generic => Box::new(GenericDialect {}),
            SqlDialect::Ansi => Box::new(AnsiDialect {}),
            SqlDialect::Snowflake => Box::new(SnowflakeDialect {}),
            SqlDialect::BigQuery => Box::new(BigQueryDialect {}),
            SqlDialect::Postgres => Box::new(PostgreSqlDialect {}),
            SqlDialect::Redshift => Box::new(RedshiftSqlDialect {}),
            SqlDialect::DuckDb => Box::new(DuckDbDialect {}),
            SqlDialect::MySql => Box::new(MySqlDialect {}),
            SqlDialect::Databricks => Box::new(DatabricksDialect {}),
        }
    }
}
