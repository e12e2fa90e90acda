//! A bounded Damerau–Levenshtein distance (the optimal string alignment variant: insertions, deletions,
//! substitutions and swaps of two neighbours, each one typo), measured against the best prefix of the
//! target, so that a query typed halfway with a typo still finds the name.

/// The fewest typos that turn `query` into some prefix of `target` (the whole target included), when that
/// is at most `bound`; `None` otherwise. Both are compared character by character.
///
/// Runs in O(|query| × |target|) at worst, and stops as soon as every prefix is already more than `bound`
/// typos away (the minimum of a row never decreases from one target character to the next).
pub fn prefix_distance(query: &[char], target: &[char], bound: usize) -> Option<usize> {
    let m = query.len();
    // Row j holds the typos between target[..j] and query[..i] for every i; a swap looks two rows back.
    let mut before_previous: Vec<usize> = Vec::new();
    let mut previous: Vec<usize> = (0..=m).collect();
    let mut best = previous[m];
    for j in 1..=target.len() {
        let mut current = vec![j; m + 1];
        for i in 1..=m {
            let substitution = usize::from(query[i - 1] != target[j - 1]);
            let mut cell = (previous[i] + 1)
                .min(current[i - 1] + 1)
                .min(previous[i - 1] + substitution);
            let swapped =
                i > 1 && j > 1 && query[i - 1] == target[j - 2] && query[i - 2] == target[j - 1];
            if swapped {
                cell = cell.min(before_previous[i - 2] + 1);
            }
            current[i] = cell;
        }
        best = best.min(current[m]);
        let row_min = current.iter().copied().min().unwrap_or(usize::MAX);
        before_previous = std::mem::replace(&mut previous, current);
        if row_min > bound {
            break;
        }
    }
    (best <= bound).then_some(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distance(query: &str, target: &str, bound: usize) -> Option<usize> {
        let query: Vec<char> = query.chars().collect();
        let target: Vec<char> = target.chars().collect();
        prefix_distance(&query, &target, bound)
    }

    #[test]
    fn each_kind_of_typo_counts_one() {
        assert_eq!(distance("lovelace", "lovelace", 2), Some(0));
        assert_eq!(distance("lovelaec", "lovelace", 2), Some(1), "swap");
        assert_eq!(distance("lovelce", "lovelace", 2), Some(1), "deletion");
        assert_eq!(distance("lovellace", "lovelace", 2), Some(1), "insertion");
        assert_eq!(distance("lovelice", "lovelace", 2), Some(1), "substitution");
        assert_eq!(distance("lvoelaec", "lovelace", 2), Some(2), "two swaps");
        assert_eq!(distance("lxvexaxe", "lovelace", 2), None, "three typos");
        assert_eq!(distance("lxvexaxe", "lovelace", 3), Some(3));
    }

    #[test]
    fn the_best_prefix_of_the_target_counts() {
        assert_eq!(distance("lovl", "lovelace", 2), Some(1));
        assert_eq!(distance("love", "lovelace", 0), Some(0));
        assert_eq!(distance("", "anything", 0), Some(0));
        assert_eq!(distance("abc", "", 2), None);
        assert_eq!(distance("ab", "", 2), Some(2));
        // Characters, not bytes: one accented letter is one typo.
        assert_eq!(distance("zoé", "zoe", 1), Some(1));
    }

    #[test]
    fn far_targets_stop_early_and_are_refused() {
        let far = "z".repeat(10_000);
        assert_eq!(distance("lovelace", &far, 2), None);
    }
}
