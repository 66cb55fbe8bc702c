//! dependencies tests.
