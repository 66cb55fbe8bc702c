//! ownership tests.
