//! What the SQLite and Postgres adapters share: the repositories themselves, written once for every
//! `SqlDatabase<B>`, with the statements (one text each, the few places where the dialects differ spliced
//! in from `Dialect`), the row shapes and their mapping to the domain, the column conversions, and the
//! translation of sqlx errors into the port's. Each adapter (a `SqlBackend`) keeps only what differs: how
//! it binds ids and timestamps, how it opens a write transaction, how it names its errors, and its
//! migrations.

mod backend;
pub mod convert;
mod health;
mod images;
mod outbox;
pub mod queries;
pub mod rows;
mod sessions;
mod users;

use darkroom_core::domain::{Cursor, Image, Page};
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

/// A page from `limit + 1` rows fetched newest first: the extra row only says that another page follows.
pub(crate) fn page(mut items: Vec<Image>, limit: u32) -> Page<Image> {
    let limit = limit as usize;
    let more = items.len() > limit;
    items.truncate(limit);
    let next = if more {
        items.last().map(|last| Cursor {
            created_at: last.created_at,
            id: last.id.0,
        })
    } else {
        None
    };
    Page { items, next }
}
