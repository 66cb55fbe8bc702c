//! End-to-end tests of the dbt parser on fixture projects.
