//! "Did you mean …?": the nearest known name to a misspelt one.

use rapidfuzz::distance::levenshtein;

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
        let pattern = Pattern::new(word);
        let mut best: Option<(usize, &'c str)> = None;
        for c in &self.candidates {
            // A name farther than the best so far cannot win: the search
            // for its distance stops there.
            let limit = best.map_or(edit_limit(c.name), |(d, _)| d.min(edit_limit(c.name)));
            // The distance is at least the difference in length and in
            // characters: most candidates are ruled out without computing it.
            if len.abs_diff(c.chars) > limit || letters.distance_at_least(&c.letters) > limit {
                continue;
            }
            let Some(d) = pattern.distance_within(c.name, limit) else {
                continue;
            };
            if d > 0 && best.is_none_or(|b| (d, c.name) < b) {
                best = Some((d, c.name));
            }
        }
        best.map(|(_, c)| c)
    }
}

/// A word prepared for many bounded edit distances (Levenshtein, over
/// characters): rapidfuzz's bit-parallel comparator, which reads each
/// candidate in one pass of machine words instead of a row of the distance
/// table per character.
struct Pattern(levenshtein::BatchComparator<char>);

impl Pattern {
    fn new(word: &str) -> Pattern {
        Pattern(levenshtein::BatchComparator::new(word.chars()))
    }

    /// The edit distance from the word to `other` when it is at most `limit`.
    fn distance_within(&self, other: &str, limit: usize) -> Option<usize> {
        self.0.distance_with_args(
            other.chars(),
            &levenshtein::Args::default().score_cutoff(limit),
        )
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
    fn a_bounded_distance_is_the_distance_within_its_bound() {
        let names = [
            "stg_orders",
            "stg_ordres",
            "fct_orders",
            "orders",
            "ørders",
            "ördérs",
            "",
            "a",
            "abcabcabcabc",
            "cbacbacbacba",
        ];
        for a in names {
            for b in names {
                let d = strsim::levenshtein(a, b);
                for limit in 0..14 {
                    let want = (d <= limit).then_some(d);
                    assert_eq!(
                        Pattern::new(a).distance_within(b, limit),
                        want,
                        "{a} / {b} / {limit}"
                    );
                }
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
            "stg_orderz",
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
        // Two names one edit away: the first in byte order.
        assert_eq!(nearest.closest("stg_orderz"), Some("stg_order"));
    }
}
