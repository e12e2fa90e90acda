//! `UserRepository` for every SQL backend. Usernames and emails arrive lowercase (their newtypes see to it)
//! and unique indexes enforce uniqueness; lookups lowercase what they are given so that a caller passing
//! raw input still finds the account.

use darkroom_core::domain::{NewUser, User, UserId};
use darkroom_core::ports::{DbError, UserRepository};

use super::backend::for_every_sql_backend;
use super::queries;
use super::rows::{CredentialsRow, UserRow};

for_every_sql_backend!(impl UserRepository {
    async fn create_user(&self, user: &NewUser) -> Result<User, DbError> {
        let row: UserRow<B::Id, B::At> = sqlx::query_as(&queries::insert_user())
            .bind(B::id(user.id.0))
            .bind(user.username.as_str().to_owned())
            .bind(user.email.as_str().to_owned())
            .bind(user.password_hash.clone())
            .bind(user.display_name.clone())
            .bind(B::at(user.created_at))
            .fetch_one(self.driver().pool())
            .await
            .map_err(B::db_error)?;
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

    async fn credentials(&self, login: &str) -> Result<Option<(User, String)>, DbError> {
        let row: Option<CredentialsRow<B::Id, B::At>> = sqlx::query_as(&queries::credentials())
            .bind(login.trim().to_lowercase())
            .fetch_optional(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        row.map(CredentialsRow::into_credentials).transpose()
    }

    async fn users_by_ids(&self, _ids: &[UserId]) -> Result<Vec<User>, DbError> {
        Err(DbError::other(std::io::Error::other("not implemented yet")))
    }

    async fn update_profile(
        &self,
        _id: UserId,
        _patch: &darkroom_core::domain::ProfilePatch,
        _event: &darkroom_core::domain::OutboxMessage,
    ) -> Result<Option<User>, DbError> {
        Err(DbError::other(std::io::Error::other("not implemented yet")))
    }
});

crate::database::pending::pending_social_repositories!([B: super::SqlBackend] super::SqlDatabase<B>);
