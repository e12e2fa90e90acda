//! `UserRepository` on Postgres. Usernames and emails arrive lowercase (their newtypes see to it) and named
//! unique constraints enforce uniqueness; lookups lowercase what they are given so that a caller passing raw
//! input still finds the account.

use async_trait::async_trait;
use darkroom_core::domain::{NewUser, User, UserId};
use darkroom_core::ports::{DbError, UserRepository};

use super::errors::db_error;
use super::rows::{UserRow, USER_COLUMNS};
use super::PostgresDatabase;

#[async_trait]
impl UserRepository for PostgresDatabase {
    async fn create_user(&self, user: &NewUser) -> Result<User, DbError> {
        // One statement: a unique violation leaves nothing written, and RETURNING gives back the row as
        // stored (defaults included) without a second query.
        let sql = format!(
            "INSERT INTO users (id, username, email, password_hash, display_name, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {USER_COLUMNS}"
        );
        let row: UserRow = sqlx::query_as(&sql)
            .bind(user.id.0)
            .bind(user.username.as_str())
            .bind(user.email.as_str())
            .bind(&user.password_hash)
            .bind(&user.display_name)
            .bind(user.created_at)
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)?;
        row.try_into()
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, DbError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row: Option<UserRow> = sqlx::query_as(&sql)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.map(User::try_from).transpose()
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<User>, DbError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        let row: Option<UserRow> = sqlx::query_as(&sql)
            .bind(username.trim().to_lowercase())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.map(User::try_from).transpose()
    }

    async fn credentials(&self, login: &str) -> Result<Option<(User, String)>, DbError> {
        // A username cannot contain '@' and an email must, so one lookup on both columns is unambiguous
        // (and each side of the OR has a unique index to use).
        let sql = format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = $1 OR email = $1"
        );
        let row: Option<CredentialsRow> = sqlx::query_as(&sql)
            .bind(login.trim().to_lowercase())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.map(|row| Ok((User::try_from(row.user)?, row.password_hash)))
            .transpose()
    }
}

#[derive(Debug, sqlx::FromRow)]
struct CredentialsRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
}
