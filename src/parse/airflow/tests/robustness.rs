//! robustness tests.
