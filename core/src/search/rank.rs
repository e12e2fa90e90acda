//! The order the `UserSearch` contract states, as a pure function: adapters fetch candidates cheaply (index
//! lookups) and rank them here, so every backend answers alike.

use std::cmp::Reverse;
use std::collections::HashMap;

use super::distance::prefix_distance;
use super::normalize::normalize;
use super::query::SearchQuery;
use super::terms::{terms, TermKind};
use crate::domain::UserId;
use crate::ports::UserDocument;

/// How a document matched, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// The query is the username.
    ExactUsername,
    /// The username starts with the query.
    UsernamePrefix,
    /// A name (first, last, display, one of their words, or "first last") starts with the query.
    NamePrefix,
    /// The username or a name is within the query's allowed typos of starting with the query.
    Fuzzy,
}

/// A match: its tier, then (for fuzzy ones) its typos. Lower is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Score {
    pub tier: Tier,
    pub typos: usize,
}

/// How `document` matches `query`, or `None` when it does not.
pub fn score(query: &SearchQuery, document: &UserDocument) -> Option<Score> {
    let exact = |tier| Some(Score { tier, typos: 0 });
    let text = query.text();
    let username = normalize(&document.username);
    if username == text {
        return exact(Tier::ExactUsername);
    }
    if username.starts_with(text) {
        return exact(Tier::UsernamePrefix);
    }
    let terms = terms(document);
    if terms
        .iter()
        .any(|term| term.kind == TermKind::Name && term.text.starts_with(text))
    {
        return exact(Tier::NamePrefix);
    }
    let bound = query.typos_allowed();
    if bound == 0 {
        return None;
    }
    terms
        .iter()
        .filter_map(|term| {
            let target: Vec<char> = term.text.chars().collect();
            prefix_distance(query.chars(), &target, bound)
        })
        .min()
        .map(|typos| Score {
            tier: Tier::Fuzzy,
            typos,
        })
}

/// The ids of the `limit` best matches among `candidates`, best first: by score, then newest
/// `updated_at`, then id (so equal documents always come out in one order). Candidates that do not match
/// are left out, and a document given twice counts once (its newest copy).
pub fn rank(
    query: &SearchQuery,
    candidates: impl IntoIterator<Item = UserDocument>,
    limit: u32,
) -> Vec<UserId> {
    let mut newest: HashMap<UserId, UserDocument> = HashMap::new();
    for candidate in candidates {
        match newest.get(&candidate.id) {
            Some(kept) if kept.updated_at >= candidate.updated_at => {}
            _ => {
                newest.insert(candidate.id, candidate);
            }
        }
    }
    let mut scored: Vec<(Score, Reverse<_>, UserId)> = newest
        .into_values()
        .filter_map(|doc| Some((score(query, &doc)?, Reverse(doc.updated_at), doc.id)))
        .collect();
    scored.sort_unstable();
    scored
        .into_iter()
        .take(limit as usize)
        .map(|(_, _, id)| id)
        .collect()
}

#[cfg(test)]
#[path = "rank_tests.rs"]
mod tests;
