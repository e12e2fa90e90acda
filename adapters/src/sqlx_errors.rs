//! What every sqlx backend's errors have in common: trouble with the pool or the connection is
//! "unavailable" whatever the database behind it.

/// The pool is exhausted or closed, or the connection failed underneath a statement.
pub(crate) fn is_connection_trouble(err: &sqlx::Error) -> bool {
    matches!(
        err,
        sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed
    )
}
