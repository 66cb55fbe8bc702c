//! pre-commit hooks and the Python wheel (opt-in: they build the release
//! binary and install tools from PyPI).
