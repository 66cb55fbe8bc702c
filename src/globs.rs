//! Compiling the globs a repo writes (`pipeline.toml` patterns, CODEOWNERS,
//! `[discover]` lists) with bounded work and no panic: globset's
//! `compile_matcher` panics when a pattern's regex outgrows the size limit,
//! and compiling a pattern costs time in proportion to its length (a
//! fuzzer's 70 KB pattern took 24 s), so patterns are capped in length and
//! matchers are built as sets, whose build reports an error instead.

/// The longest pattern compiled. Real patterns are paths and names, far
/// shorter than this.
pub const MAX_PATTERN_BYTES: usize = 1024;

/// Why a pattern was not compiled: a message for a finding.
pub fn too_long(pattern: &str) -> Option<String> {
    (pattern.len() > MAX_PATTERN_BYTES).then(|| {
        format!(
            "a pattern of {} bytes is longer than the {MAX_PATTERN_BYTES} pipelint compiles",
            pattern.len()
        )
    })
}

/// A matcher for one glob (a set of one: see the module comment).
pub fn matcher(glob: globset::Glob) -> Result<globset::GlobSet, globset::Error> {
    let mut set = globset::GlobSetBuilder::new();
    set.add(glob);
    set.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_patterns_are_refused_and_matchers_match() {
        assert!(too_long(&"a/".repeat(600)).is_some());
        assert!(too_long("models/**/*.sql").is_none());
        let m = matcher(globset::Glob::new("models/**/*.sql").unwrap()).unwrap();
        assert!(m.is_match("models/a/b.sql"));
        assert!(!m.is_match("seeds/b.sql"));
    }
}
