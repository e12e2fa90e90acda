//! Row shapes and the conversions between Postgres's column types and the domain's. uuid and timestamptz
//! decode natively; counts and sizes are bigint (the domain's unsigned integers are checked on the way out);
//! jsonb travels as text (`::jsonb` on the way in, `::text` on the way out), which keeps sqlx's `json`
//! feature out of the build.

use chrono::{DateTime, Utc};
use darkroom_core::domain::{Failure, Image, ImageId, User, UserId, Variant};
use darkroom_core::ports::DbError;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// The columns of `User`, for `SELECT … FROM users`.
pub(super) const USER_COLUMNS: &str =
    "id, username, email, display_name, first_name, last_name, bio, \
     followers_count, following_count, posts_count, created_at";

/// The columns of `Image`, for `SELECT … FROM images i JOIN users u ON u.id = i.owner_id`.
pub(super) const IMAGE_COLUMNS: &str = "i.id, i.owner_id, u.username AS owner_username, i.status, \
     i.failure_code, i.failure_message, i.format, i.bytes, i.sha256, i.width, i.height, i.visibility, \
     i.alt_text, i.tags::text AS tags, i.blurhash, i.dominant_color, i.variants::text AS variants, \
     i.original_key, i.public_original_key, i.created_at, i.updated_at";

pub(super) fn unsigned<T: TryFrom<i64>>(value: i64) -> Result<T, DbError> {
    T::try_from(value).map_err(|_| corrupt("unsigned integer", value))
}

/// A domain size as the bigint it is stored as.
pub(super) fn signed(value: u64, what: &str) -> Result<i64, DbError> {
    i64::try_from(value).map_err(|_| DbError::Other(format!("{what} too large to record: {value}")))
}

pub(super) fn json<T: DeserializeOwned>(text: &str) -> Result<T, DbError> {
    serde_json::from_str(text).map_err(|e| DbError::Other(format!("corrupt json column: {e}")))
}

pub(super) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, DbError> {
    serde_json::to_string(value)
        .map_err(|e| DbError::Other(format!("cannot encode json column: {e}")))
}

/// Parses one of the domain's text enums.
pub(super) fn text_enum<T: std::str::FromStr>(text: &str) -> Result<T, DbError> {
    text.parse().map_err(|_| corrupt("enum value", text))
}

fn corrupt(what: &str, value: impl std::fmt::Debug) -> DbError {
    DbError::Other(format!("corrupt {what} in database: {value:?}"))
}

#[derive(Debug, sqlx::FromRow)]
pub(super) struct UserRow {
    id: Uuid,
    username: String,
    email: String,
    display_name: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    bio: Option<String>,
    followers_count: i64,
    following_count: i64,
    posts_count: i64,
    created_at: DateTime<Utc>,
}

impl TryFrom<UserRow> for User {
    type Error = DbError;

    fn try_from(row: UserRow) -> Result<Self, DbError> {
        Ok(User {
            id: UserId(row.id),
            username: row.username,
            email: row.email,
            display_name: row.display_name,
            first_name: row.first_name,
            last_name: row.last_name,
            bio: row.bio,
            followers_count: unsigned(row.followers_count)?,
            following_count: unsigned(row.following_count)?,
            posts_count: unsigned(row.posts_count)?,
            created_at: row.created_at,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(super) struct ImageRow {
    id: Uuid,
    owner_id: Uuid,
    owner_username: String,
    status: String,
    failure_code: Option<String>,
    failure_message: Option<String>,
    format: String,
    bytes: i64,
    sha256: String,
    width: Option<i64>,
    height: Option<i64>,
    visibility: String,
    alt_text: Option<String>,
    tags: String,
    blurhash: Option<String>,
    dominant_color: Option<String>,
    variants: String,
    original_key: String,
    public_original_key: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<ImageRow> for Image {
    type Error = DbError;

    fn try_from(row: ImageRow) -> Result<Self, DbError> {
        let failure = match (row.failure_code, row.failure_message) {
            (Some(code), Some(message)) => Some(Failure { code, message }),
            _ => None,
        };
        let variants: Vec<Variant> = json(&row.variants)?;
        Ok(Image {
            id: ImageId(row.id),
            owner_id: UserId(row.owner_id),
            owner_username: row.owner_username,
            status: text_enum(&row.status)?,
            failure,
            format: text_enum(&row.format)?,
            bytes: unsigned(row.bytes)?,
            sha256: row.sha256,
            width: row.width.map(unsigned).transpose()?,
            height: row.height.map(unsigned).transpose()?,
            visibility: text_enum(&row.visibility)?,
            alt_text: row.alt_text,
            tags: json(&row.tags)?,
            blurhash: row.blurhash,
            dominant_color: row.dominant_color,
            variants,
            original_key: row.original_key,
            public_original_key: row.public_original_key,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn corrupt_values_are_errors_not_panics() {
        assert!(unsigned::<u64>(-1).is_err());
        assert!(unsigned::<u32>(i64::from(u32::MAX) + 1).is_err());
        assert!(signed(u64::MAX, "image").is_err());
        assert!(json::<Vec<String>>("{").is_err());
        assert!(text_enum::<darkroom_core::domain::Visibility>("secret").is_err());
    }
}
