//! The user search policy every search adapter shares (the `UserSearch` port is in `ports::search`): one
//! normal form for names and queries, the terms and trigrams an index stores, and the ranking.
//!
//! An adapter never decides an order. It stores `terms` (for two prefix paths: usernames, names) and the
//! trigrams of `fuzzy_text` (for the fuzzy path) in its own tables, answers a `SearchQuery` with at most
//! `candidate_budget` candidates per path by index lookups alone, and hands the candidates' documents to
//! `rank`. So every backend ranks alike, and a backend's index only has to find a superset.
//!
//! - exact username, then username prefix, then name prefix, then fuzzy (fewer typos first), then newest
//!   `updated_at`;
//! - matching in normal form: lowercase, no accents (`normalize`);
//! - typos: a bounded Damerau–Levenshtein distance to the best prefix of the username or a name, one typo
//!   allowed from 3 characters, two from 6 (`SearchQuery::typos_allowed`).

mod distance;
mod normalize;
mod query;
mod rank;
mod terms;

pub use distance::prefix_distance;
pub use normalize::{normalize, MAX_QUERY_CHARS};
pub use query::{candidate_budget, SearchQuery};
pub use rank::{rank, score, Score, Tier};
pub use terms::{fuzzy_text, terms, trigrams, Term, TermKind};
