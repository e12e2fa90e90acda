//! The user search port: a read model of profiles, kept up to date from `user.created` / `user.updated`
//! events (eventually consistent), so that searching never scans the users table.

use std::fmt::Debug;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::BoxError;
use crate::domain::UserId;

/// Errors every search backend maps its own into; `source` keeps the vendor's error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    /// Worth trying again later.
    #[error("search unavailable: {message}")]
    Unavailable {
        message: String,
        source: Option<BoxError>,
    },
    #[error("search error: {message}")]
    Other {
        message: String,
        source: Option<BoxError>,
    },
}

super::source::cause_constructors!(SearchError);

/// What the index knows of a user: only what search matches on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserDocument {
    pub id: UserId,
    /// Lowercase.
    pub username: String,
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// When the profile was read for this document: an upsert older than the stored one is ignored, so
    /// events handled out of order cannot bring back an old name.
    pub updated_at: DateTime<Utc>,
}

/// Searches users by username, first name and last name.
///
/// # Contract
/// - `upsert` stores the document, replacing the one with its id unless that one is newer
///   (`updated_at`); it is idempotent. `remove` forgets a user (unknown ids are ignored).
/// - `search` answers at most `limit` user ids, best first: an exact username first, then usernames that
///   start with the query, then names (first, last, display, one of their words, or "first last") that
///   start with it, then fuzzy matches (one or two typos) of any of them, fewer typos first; ties
///   newest-updated first. A typo is an inserted, missing, wrong or swapped character between the query
///   and the start of a name; queries of 3 to 5 characters allow one, from 6 two, shorter ones none.
///   Matching ignores case and accents, and every character of the query is plain text (`%`, `_`, `'`
///   are no patterns). A query that matches nothing (a blank one, a `limit` of 0) answers an empty list,
///   never an error. The policy is `crate::search`'s, shared by every adapter, which only finds
///   candidates.
#[async_trait]
pub trait UserSearch: Send + Sync + Debug {
    async fn upsert(&self, document: &UserDocument) -> Result<(), SearchError>;
    async fn remove(&self, id: UserId) -> Result<(), SearchError>;
    async fn search(&self, query: &str, limit: u32) -> Result<Vec<UserId>, SearchError>;
}
