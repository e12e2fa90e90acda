//! sqlx and Postgres errors in the port's terms. Unique violations are told apart by constraint name (the
//! migration names every one); SQLSTATE classes that mean "not now" become `Unavailable`.

use darkroom_core::ports::{Conflict, DbError};

pub(super) fn db_error(err: sqlx::Error) -> DbError {
    crate::database::sql::db_error(err, |e| violated_rule(e.constraint()), is_unavailable)
}

fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(e) => e.code().is_some_and(|code| is_transient(&code)),
        _ => crate::sqlx_errors::is_connection_trouble(err),
    }
}

/// The rule a unique violation broke, by the constraint's name.
fn violated_rule(constraint: Option<&str>) -> Option<Conflict> {
    Some(match constraint? {
        "users_username_key" => Conflict::Username,
        "users_email_key" => Conflict::Email,
        "users_pkey" => Conflict::UserId,
        "refresh_tokens_pkey" => Conflict::RefreshToken,
        "images_pkey" => Conflict::ImageId,
        "images_owner_idempotency_key" => Conflict::IdempotencyKey,
        "outbox_id_key" => Conflict::OutboxId,
        _ => return None,
    })
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
        assert_eq!(
            violated_rule(Some("users_username_key")),
            Some(Conflict::Username)
        );
        assert_eq!(
            violated_rule(Some("users_email_key")),
            Some(Conflict::Email)
        );
        assert_eq!(
            violated_rule(Some("outbox_id_key")),
            Some(Conflict::OutboxId)
        );
        // A rule the adapter does not know is no conflict a caller could act on: it stays `Other`.
        assert_eq!(violated_rule(Some("some_new_key")), None);
        assert_eq!(violated_rule(None), None);
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
