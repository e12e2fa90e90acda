//! sqlx and SQLite errors in the port's terms. Unique violations are told apart by the column SQLite names
//! in its message (the migrations use named unique indexes for that); busy, locked or unreachable files are
//! `Unavailable`.

use darkroom_core::ports::{Conflict, DbError};

pub(super) fn db_error(err: sqlx::Error) -> DbError {
    crate::database::sql::db_error(
        err,
        |e| violated_rule(e.message()),
        crate::sqlite::is_unavailable,
    )
}

/// "UNIQUE constraint failed: images.owner_id, images.idempotency_key" → `IdempotencyKey`.
fn violated_rule(message: &str) -> Option<Conflict> {
    let columns = message
        .rsplit_once(": ")
        .map_or(message, |(_, columns)| columns);
    let last = columns.rsplit(", ").next().unwrap_or(columns).trim();
    Some(match last {
        "users.username" => Conflict::Username,
        "users.email" => Conflict::Email,
        "users.id" => Conflict::UserId,
        "refresh_tokens.token_hash" => Conflict::RefreshToken,
        "images.id" => Conflict::ImageId,
        "images.idempotency_key" => Conflict::IdempotencyKey,
        "outbox.id" => Conflict::OutboxId,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_violations_name_their_rule() {
        assert_eq!(
            violated_rule("UNIQUE constraint failed: users.username"),
            Some(Conflict::Username)
        );
        assert_eq!(
            violated_rule("UNIQUE constraint failed: users.email"),
            Some(Conflict::Email)
        );
        assert_eq!(
            violated_rule("UNIQUE constraint failed: images.owner_id, images.idempotency_key"),
            Some(Conflict::IdempotencyKey)
        );
        assert_eq!(
            violated_rule("UNIQUE constraint failed: outbox.id"),
            Some(Conflict::OutboxId)
        );
        assert_eq!(violated_rule("UNIQUE constraint failed: t.x"), None);
    }
}
