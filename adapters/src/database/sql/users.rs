//! `UserRepository` for every SQL backend. Usernames and emails arrive lowercase (their newtypes see to it)
//! and unique indexes enforce uniqueness; lookups lowercase what they are given so that a caller passing
//! raw input still finds the account. Registration and profile changes write their event to the outbox in
//! their own transaction, so the search index hears of exactly the changes that were made.

use darkroom_core::domain::{NewUser, OutboxMessage, ProfilePatch, User, UserId};
use darkroom_core::ports::{DbError, UserRepository};

use super::backend::for_every_sql_backend;
use super::queries::{self, USER_COLUMNS};
use super::rows::{users, CredentialsRow, UserRow};

/// Applies a patch to user `$1`: for each optional text field (and the avatar), whether to set it and its
/// new value (`$2`…`$11`, pairwise), then `$12` the privacy flag, kept when null.
fn update_profile() -> String {
    format!(
        "UPDATE users SET display_name = CASE WHEN $2 THEN $3 ELSE display_name END, \
                          first_name = CASE WHEN $4 THEN $5 ELSE first_name END, \
                          last_name = CASE WHEN $6 THEN $7 ELSE last_name END, \
                          bio = CASE WHEN $8 THEN $9 ELSE bio END, \
                          avatar_image_id = CASE WHEN $10 THEN $11 ELSE avatar_image_id END, \
                          is_private = COALESCE($12, is_private) \
         WHERE id = $1 RETURNING {USER_COLUMNS}"
    )
}

/// A field of a patch as (whether to set it, its new value).
fn field<T: Clone>(patch: &Option<Option<T>>) -> (bool, Option<T>) {
    match patch {
        Some(value) => (true, value.clone()),
        None => (false, None),
    }
}

for_every_sql_backend!(impl UserRepository {
    async fn create_user(&self, user: &NewUser) -> Result<User, DbError> {
        // One transaction for the account and its event: a refused account leaves no event behind.
        let mut tx = self.driver().begin_write().await.map_err(B::db_error)?;
        let row: UserRow<B::Id, B::At> = sqlx::query_as(&queries::insert_user())
            .bind(B::id(user.id.0))
            .bind(user.username.as_str().to_owned())
            .bind(user.email.as_str().to_owned())
            .bind(user.password_hash.clone())
            .bind(user.display_name.clone())
            .bind(B::at(user.created_at))
            .fetch_one(&mut *tx)
            .await
            .map_err(B::db_error)?;
        Self::insert_outbox(&mut tx, &user.event).await?;
        tx.commit().await.map_err(B::db_error)?;
        row.try_into()
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, DbError> {
        let row: Option<UserRow<B::Id, B::At>> = sqlx::query_as(&queries::user_where("id = $1"))
            .bind(B::id(id.0))
            .fetch_optional(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        row.map(User::try_from).transpose()
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<User>, DbError> {
        let row: Option<UserRow<B::Id, B::At>> =
            sqlx::query_as(&queries::user_where("username = $1"))
                .bind(username.trim().to_lowercase())
                .fetch_optional(self.driver().pool())
                .await
                .map_err(B::db_error)?;
        row.map(User::try_from).transpose()
    }

    async fn set_password_hash(&self, id: UserId, password_hash: &str) -> Result<bool, DbError> {
        let done = sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(B::id(id.0))
            .bind(password_hash.to_owned())
            .execute(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(B::rows_affected(&done) > 0)
    }

    async fn credentials(&self, login: &str) -> Result<Option<(User, String)>, DbError> {
        let row: Option<CredentialsRow<B::Id, B::At>> = sqlx::query_as(&queries::credentials())
            .bind(login.trim().to_lowercase())
            .fetch_optional(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        row.map(CredentialsRow::into_credentials).transpose()
    }

    async fn users_by_ids(&self, ids: &[UserId]) -> Result<Vec<User>, DbError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<uuid::Uuid> = ids.iter().map(|id| id.0).collect();
        let rows: Vec<UserRow<B::Id, B::At>> =
            sqlx::query_as(&queries::user_where(&B::DIALECT.in_list("id", 1)))
                .bind(B::id_list(&ids)?)
                .fetch_all(self.driver().pool())
                .await
                .map_err(B::db_error)?;
        users(rows)
    }

    async fn update_profile(
        &self,
        id: UserId,
        patch: &ProfilePatch,
        event: &OutboxMessage,
    ) -> Result<Option<User>, DbError> {
        let (set_display, display) = field(&patch.display_name);
        let (set_first, first) = field(&patch.first_name);
        let (set_last, last) = field(&patch.last_name);
        let (set_bio, bio) = field(&patch.bio);
        let (set_avatar, avatar) = field(&patch.avatar_image_id);
        let mut tx = self.driver().begin_write().await.map_err(B::db_error)?;
        let row: Option<UserRow<B::Id, B::At>> = sqlx::query_as(&update_profile())
            .bind(B::id(id.0))
            .bind(set_display)
            .bind(display)
            .bind(set_first)
            .bind(first)
            .bind(set_last)
            .bind(last)
            .bind(set_bio)
            .bind(bio)
            .bind(set_avatar)
            .bind(avatar.map(|image| B::id(image.0)))
            .bind(patch.is_private)
            .fetch_optional(&mut *tx)
            .await
            .map_err(B::db_error)?;
        // No such user: dropping `tx` rolls back, and the event is never written.
        let Some(row) = row else { return Ok(None) };
        Self::insert_outbox(&mut tx, event).await?;
        tx.commit().await.map_err(B::db_error)?;
        row.try_into().map(Some)
    }
});
