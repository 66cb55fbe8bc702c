//! "Did you mean …?": the nearest known name to a misspelt one.

/// The candidate nearest to `word` by edit distance, if it is near enough to
/// be a plausible typo (at most a third of its length, and at least 2 edits).
pub fn closest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let len = word.chars().count();
    candidates
        .into_iter()
        // The distance is at least the difference in length: most
        // candidates are ruled out without computing it.
        .filter(|c| {
            let c_len = c.chars().count();
            len.abs_diff(c_len) <= 2.max(c.len() / 3)
        })
        .map(|c| (strsim::levenshtein(word, c), c))
        .filter(|(d, c)| *d > 0 && *d <= 2.max(c.len() / 3))
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggests_only_near_names() {
        let known = ["owner", "cadence", "on_failure"];
        assert_eq!(super::closest("ownr", known), Some("owner"));
        assert_eq!(super::closest("cadense", known), Some("cadence"));
        assert_eq!(super::closest("zzz", known), None);
    }
}
