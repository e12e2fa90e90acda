//! What the SQLite and Postgres adapters share: the repositories themselves, written once for every
//! `SqlDatabase<B>`, with the statements (one text each, the few places where the dialects differ spliced
//! in from `Dialect`), the row shapes and their mapping to the domain, the column conversions, and the
//! translation of sqlx errors into the port's. Each adapter (a `SqlBackend`) keeps only what differs: how
//! it binds ids and timestamps, how it opens a write transaction, how it names its errors, and its
//! migrations.

mod backend;
mod comments;
pub mod convert;
mod follows;
mod health;
mod images;
mod leases;
mod likes;
mod notifications;
mod outbox;
mod posts;
pub mod queries;
pub mod rows;
mod second_factors;
mod sessions;
pub mod social_rows;
mod timelines;
pub mod uploads;
mod users;

use std::future::Future;

use darkroom_core::domain::{Cursor, Page};
use darkroom_core::ports::{Conflict, DbError};

pub use backend::{SqlBackend, SqlDatabase};
pub use queries::Dialect;

/// Translates a sqlx error: a unique violation of a known rule becomes `Conflict`, trouble the backend says
/// is passing (`unavailable`) becomes `Unavailable`, anything else `Other`; the sqlx error stays the source.
pub(crate) fn db_error(
    err: sqlx::Error,
    rule: impl Fn(&dyn sqlx::error::DatabaseError) -> Option<Conflict>,
    unavailable: impl Fn(&sqlx::Error) -> bool,
) -> DbError {
    if let sqlx::Error::Database(e) = &err {
        if e.is_unique_violation() {
            if let Some(rule) = rule(e.as_ref()) {
                return DbError::Conflict(rule);
            }
        }
    }
    if unavailable(&err) {
        DbError::Unavailable(Box::new(err))
    } else {
        DbError::Other(Box::new(err))
    }
}

/// Whether the database rolled the transaction back to break a deadlock or a serialization conflict
/// (SQLSTATE 40P01, 40001): nothing of it was written, so running it again is safe and is what Postgres
/// asks of its clients.
pub(crate) fn rolled_back_by_conflict(err: &DbError) -> bool {
    let DbError::Unavailable(source) = err else {
        return false;
    };
    match source.downcast_ref::<sqlx::Error>() {
        Some(sqlx::Error::Database(e)) => e
            .code()
            .is_some_and(|code| matches!(code.as_ref(), "40P01" | "40001")),
        _ => false,
    }
}

/// How often a transaction runs when the database keeps rolling it back to break deadlocks.
const MAX_ATTEMPTS: u32 = 3;

/// Runs the transaction `attempt` makes again (up to `MAX_ATTEMPTS` in all) when the database rolled it
/// back to break a deadlock or a serialization conflict (see `rolled_back_by_conflict`).
pub(crate) async fn retrying<T, F, Fut>(mut attempt: F) -> Result<T, DbError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, DbError>>,
{
    let mut attempts = 1;
    loop {
        match attempt().await {
            Err(err) if attempts < MAX_ATTEMPTS && rolled_back_by_conflict(&err) => attempts += 1,
            outcome => return outcome,
        }
    }
}

/// A page from `limit + 1` rows fetched in page order: the extra row only says that another page follows,
/// and the next page starts after the last item's `cursor`.
pub(crate) fn page<T>(mut items: Vec<T>, limit: u32, cursor: impl Fn(&T) -> Cursor) -> Page<T> {
    let limit = limit as usize;
    let more = items.len() > limit;
    items.truncate(limit);
    let next = if more { items.last().map(cursor) } else { None };
    Page { items, next }
}

/// How many rows to fetch for a page of `limit`: one more, to tell whether another page follows.
pub(crate) fn fetch_for(limit: u32) -> i64 {
    i64::from(limit) + 1
}

/// The keyset condition of a page after a cursor: `(columns) op ($first, $first + 1)` when there is one
/// (bound as the cursor's created_at and id), else nothing. Written only when there is a cursor, so that it
/// becomes an index condition rather than a filter.
pub(crate) fn after_cursor(has_cursor: bool, columns: &str, op: &str, first: u8) -> String {
    if has_cursor {
        format!(" AND ({columns}) {op} (${first}, ${})", first + 1)
    } else {
        String::new()
    }
}
