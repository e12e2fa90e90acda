//! sqlx and Postgres errors in the port's terms. Unique violations are told apart by constraint name (the
//! migration names every one); SQLSTATE classes that mean "not now" become `Unavailable`.

use darkroom_core::ports::DbError;

pub(super) fn db_error(err: sqlx::Error) -> DbError {
    match &err {
        sqlx::Error::Database(e) if e.is_unique_violation() => {
            DbError::AlreadyExists(violated_rule(e.constraint()))
        }
        sqlx::Error::Database(e) if e.code().is_some_and(|code| is_transient(&code)) => {
            DbError::Unavailable(format!("postgres: {}", e.message()))
        }
        sqlx::Error::Database(e) => DbError::Other(format!("postgres: {}", e.message())),
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => DbError::Unavailable(format!("postgres: {err}")),
        _ => DbError::Other(format!("postgres: {err}")),
    }
}

/// The rule a unique violation broke, named as the SQLite adapter names it: the bare column for `users`
/// (the contract asks for `username` and `email`), `table.column` elsewhere.
fn violated_rule(constraint: Option<&str>) -> String {
    match constraint {
        Some("users_username_key") => "username",
        Some("users_email_key") => "email",
        Some("users_pkey") => "users.id",
        Some("refresh_tokens_pkey") => "refresh_tokens.token_hash",
        Some("images_pkey") => "images.id",
        Some("images_owner_idempotency_key") => "images.idempotency_key",
        Some("outbox_id_key") => "outbox.id",
        Some(other) => other,
        None => "unknown",
    }
    .to_owned()
}

/// SQLSTATEs worth retrying later: connection exceptions (08), insufficient resources (53), the server
/// shutting down or starting (57P01-03), a cancelled statement (57014, statement_timeout), serialization
/// failures and deadlocks (40001, 40P01), a lock not available (55P03).
fn is_transient(sqlstate: &str) -> bool {
    sqlstate.starts_with("08")
        || sqlstate.starts_with("53")
        || matches!(
            sqlstate,
            "57P01" | "57P02" | "57P03" | "57014" | "40001" | "40P01" | "55P03"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints_name_their_rule() {
        assert_eq!(violated_rule(Some("users_username_key")), "username");
        assert_eq!(violated_rule(Some("users_email_key")), "email");
        assert_eq!(violated_rule(Some("outbox_id_key")), "outbox.id");
        assert_eq!(violated_rule(Some("some_new_key")), "some_new_key");
        assert_eq!(violated_rule(None), "unknown");
    }

    #[test]
    fn transient_states_are_told_apart() {
        for code in ["08006", "53300", "57P01", "40001", "40P01"] {
            assert!(is_transient(code), "{code}");
        }
        for code in ["23505", "23503", "42P01", "22P02"] {
            assert!(!is_transient(code), "{code}");
        }
    }

    #[test]
    fn pool_timeouts_are_unavailable() {
        assert!(matches!(
            db_error(sqlx::Error::PoolTimedOut),
            DbError::Unavailable(_)
        ));
        assert!(matches!(
            db_error(sqlx::Error::RowNotFound),
            DbError::Other(_)
        ));
    }
}
