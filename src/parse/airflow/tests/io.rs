//! io tests.
