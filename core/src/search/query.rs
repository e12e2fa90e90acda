//! A search query, parsed once: its normal form, the prefix range it scans, how many typos it allows, and
//! the trigrams its fuzzy candidates share.

use std::collections::BTreeSet;

use super::normalize::normalize_query;
use super::terms::trigrams;

/// Queries shorter than this allow no typo (and have too few letters for a trigram index to help).
const ONE_TYPO_FROM: usize = 3;
/// Queries this long allow two.
const TWO_TYPOS_FROM: usize = 6;

/// A query in normal form; never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    text: String,
    chars: Vec<char>,
}

impl SearchQuery {
    /// The query in normal form, or `None` when nothing is left of it (blank, or only control characters):
    /// such a query finds nobody.
    pub fn parse(raw: &str) -> Option<Self> {
        let text = normalize_query(raw);
        if text.is_empty() {
            return None;
        }
        let chars = text.chars().collect();
        Some(Self { text, chars })
    }

    /// The normal form: what prefix scans start from.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub(super) fn chars(&self) -> &[char] {
        &self.chars
    }

    /// Where a prefix scan stops: the least string greater than every string that starts with the query
    /// (its last character incremented), for a range `text() <= term < prefix_end()` that an ordinary
    /// index serves and in which no character is a wildcard. Strings compare by code point (UTF-8 bytes;
    /// Postgres needs `COLLATE "C"` for that). `None` only if every character is the last one Unicode has.
    pub fn prefix_end(&self) -> Option<String> {
        let mut chars = self.chars.clone();
        while let Some(last) = chars.pop() {
            let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
            if let Some(next) = next {
                chars.push(next);
                return Some(chars.into_iter().collect());
            }
        }
        None
    }

    /// How many typos a match may have: none below 3 characters (every short name would match), one up
    /// to 5, two from 6.
    pub fn typos_allowed(&self) -> usize {
        match self.chars.len() {
            n if n >= TWO_TYPOS_FROM => 2,
            n if n >= ONE_TYPO_FROM => 1,
            _ => 0,
        }
    }

    /// The trigrams fuzzy candidates are looked up by; empty when the query allows no typo (then prefix
    /// scans alone find everything it can match).
    pub fn trigrams(&self) -> BTreeSet<String> {
        if self.typos_allowed() == 0 {
            return BTreeSet::new();
        }
        trigrams(&self.text)
    }
}

/// How many candidates each path (username prefix, name prefix, fuzzy) may bring for a search answering
/// `limit` ids: enough that the best `limit` are among them in all but pathological cases (thousands of
/// names sharing a prefix), few enough that a search stays a handful of index reads.
pub fn candidate_budget(limit: u32) -> u32 {
    limit.saturating_mul(4).clamp(50, 400)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn blank_queries_are_none_and_others_are_normal() {
        assert_eq!(SearchQuery::parse("  \t "), None);
        assert_eq!(SearchQuery::parse(""), None);
        let query = SearchQuery::parse("  Zoë  B ").unwrap();
        assert_eq!(query.text(), "zoe b");
    }

    #[test]
    fn the_prefix_range_holds_exactly_the_extensions() {
        let query = SearchQuery::parse("ab").unwrap();
        let end = query.prefix_end().unwrap();
        assert_eq!(end, "ac");
        for inside in ["ab", "ab_", "abzzz", "ab\u{10FFFF}"] {
            assert!(query.text() <= inside && inside < end.as_str(), "{inside}");
        }
        for outside in ["a", "aa", "ac", "b"] {
            assert!(
                !(query.text() <= outside && outside < end.as_str()),
                "{outside}"
            );
        }
        // A character with nothing after it is dropped and the one before incremented; the surrogate
        // gap is skipped.
        let edge = SearchQuery::parse("a\u{10FFFF}").unwrap();
        assert_eq!(edge.prefix_end().unwrap(), "b");
        let gap = SearchQuery::parse("a\u{D7FF}").unwrap();
        assert_eq!(gap.prefix_end().unwrap(), "a\u{E000}");
        assert_eq!(SearchQuery::parse("\u{10FFFF}").unwrap().prefix_end(), None);
    }

    #[test]
    fn typos_and_trigrams_grow_with_the_query() {
        let typos = |q: &str| SearchQuery::parse(q).unwrap().typos_allowed();
        assert_eq!(
            (typos("ab"), typos("abc"), typos("abcde"), typos("abcdef")),
            (0, 1, 1, 2)
        );
        assert!(SearchQuery::parse("ab").unwrap().trigrams().is_empty());
        assert_eq!(SearchQuery::parse("ann").unwrap().trigrams().len(), 4);
    }

    #[test]
    fn the_candidate_budget_is_bounded() {
        assert_eq!(candidate_budget(1), 50);
        assert_eq!(candidate_budget(50), 200);
        assert_eq!(candidate_budget(u32::MAX), 400);
    }
}
