//! "Did you mean …?": the nearest known name to a misspelt one.

/// The candidate nearest to `word` by edit distance, if it is near enough to
/// be a plausible typo (at most a third of its length, and at least 2 edits).
pub fn closest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    Nearest::new(candidates).closest(word)
}

/// Known names prepared for many searches (every missing dbt ref of a repo
/// against its thousands of models): a search computes the edit distance
/// only to names whose length and characters are close enough to the word's
/// for that distance to be within the limit.
pub struct Nearest<'c> {
    candidates: Vec<Candidate<'c>>,
}

/// One known name with what the cheap bounds need.
struct Candidate<'c> {
    name: &'c str,
    chars: usize,
    letters: Letters,
}

/// How many characters of each kind a name holds, the characters folded
/// into 32 buckets. Each edit adds or removes at most one character on each
/// side, so the larger count of characters one name has beyond the other is
/// a lower bound of their edit distance (folding and saturating only lower
/// it further, so it stays a bound).
#[derive(Clone, Copy)]
struct Letters([u16; 32]);

impl Letters {
    fn of(name: &str) -> Letters {
        let mut counts = [0u16; 32];
        for c in name.chars() {
            let bucket = (u32::from(c) % 32) as usize;
            counts[bucket] = counts[bucket].saturating_add(1);
        }
        Letters(counts)
    }

    /// The lower bound of the edit distance between the two names.
    fn distance_at_least(&self, other: &Letters) -> usize {
        let (mut more, mut fewer) = (0usize, 0usize);
        for (a, b) in self.0.iter().zip(other.0.iter()) {
            more += usize::from(a.saturating_sub(*b));
            fewer += usize::from(b.saturating_sub(*a));
        }
        more.max(fewer)
    }
}

/// The most edits a candidate may be from a word to be suggested for it.
fn edit_limit(candidate: &str) -> usize {
    2.max(candidate.len() / 3)
}

impl<'c> Nearest<'c> {
    /// Prepares the known names.
    pub fn new(candidates: impl IntoIterator<Item = &'c str>) -> Nearest<'c> {
        Nearest {
            candidates: candidates
                .into_iter()
                .map(|name| Candidate {
                    name,
                    chars: name.chars().count(),
                    letters: Letters::of(name),
                })
                .collect(),
        }
    }

    /// The known name nearest to `word` (see [`closest`]); among names at one
    /// distance, the first in byte order.
    pub fn closest(&self, word: &str) -> Option<&'c str> {
        let len = word.chars().count();
        let letters = Letters::of(word);
        self.candidates
            .iter()
            // The distance is at least the difference in length and in
            // characters: most candidates are ruled out without computing it.
            .filter(|c| {
                let limit = edit_limit(c.name);
                len.abs_diff(c.chars) <= limit && letters.distance_at_least(&c.letters) <= limit
            })
            .map(|c| (strsim::levenshtein(word, c.name), c.name))
            .filter(|(d, c)| *d > 0 && *d <= edit_limit(c))
            .min()
            .map(|(_, c)| c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_only_near_names() {
        let known = ["owner", "cadence", "on_failure"];
        assert_eq!(closest("ownr", known), Some("owner"));
        assert_eq!(closest("cadense", known), Some("cadence"));
        assert_eq!(closest("zzz", known), None);
    }

    #[test]
    fn the_character_bound_never_exceeds_the_edit_distance() {
        let names = [
            "stg_orders",
            "stg_ordres",
            "fct_orders",
            "dim_customers",
            "orders",
            "ordersx",
            "ørders",
            "",
            "a",
            "abcabcabcabc",
        ];
        for a in names {
            for b in names {
                let bound = Letters::of(a).distance_at_least(&Letters::of(b));
                assert!(bound <= strsim::levenshtein(a, b), "{a} / {b}");
            }
        }
    }

    #[test]
    fn a_prepared_search_finds_what_a_full_scan_finds() {
        let known = [
            "stg_orders",
            "stg_order",
            "fct_orders",
            "dim_customers",
            "stg_payments",
        ];
        let nearest = Nearest::new(known);
        for word in [
            "stg_ordrs",
            "fct_order",
            "dim_customer",
            "stg_paymnts",
            "zzz",
            "stg_orders",
        ] {
            let scanned = known
                .iter()
                .map(|c| (strsim::levenshtein(word, c), *c))
                .filter(|(d, c)| *d > 0 && *d <= 2.max(c.len() / 3))
                .min()
                .map(|(_, c)| c);
            assert_eq!(nearest.closest(word), scanned, "{word}");
        }
        assert_eq!(nearest.closest("stg_ordrs"), Some("stg_orders"));
    }
}
