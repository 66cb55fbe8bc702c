//! cross_dag tests.
