//! The search port's errors from the database adapters' classification: the backends already know which
//! of their errors mean "not now" (`DbError::Unavailable`), and search keeps that verdict and the cause.

use darkroom_core::ports::{DbError, SearchError};

/// `err`, classified by a database backend, as the search port's error; `doing` says what search was doing.
pub(super) fn from_db(doing: &str, err: DbError) -> SearchError {
    match err {
        DbError::Unavailable(source) => SearchError::unavailable_from(doing, source),
        DbError::Other(source) => SearchError::other_from(doing, source),
        other => SearchError::other_from(doing, other),
    }
}

#[cfg(test)]
mod tests {
    use darkroom_core::ports::source::chain;

    use super::*;

    #[test]
    fn the_verdict_and_the_cause_are_kept() {
        let busy = from_db("searching", DbError::unavailable("disk busy"));
        assert!(matches!(busy, SearchError::Unavailable { .. }));
        assert_eq!(chain(&busy), "search unavailable: searching: disk busy");
        let broken = from_db("indexing", DbError::other("no such table"));
        assert!(matches!(broken, SearchError::Other { .. }));
        assert!(chain(&broken).ends_with("no such table"));
    }
}
