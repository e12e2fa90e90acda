//! The row shapes of users, images and the outbox, one for every SQL dialect: generic over how the dialect stores ids
//! (`Id`) and timestamps (`At`), so SQLite reads `UserRow<String, i64>` and Postgres
//! `UserRow<Uuid, DateTime<Utc>>` with the same mapping to the domain.

use darkroom_core::domain::{Capture, Failure, Image, ImageId, User, UserId, Variant};
use darkroom_core::ports::DbError;

use super::convert::{json, text_enum, unsigned, StoredId, StoredTime};

#[derive(Debug, sqlx::FromRow)]
pub struct UserRow<Id, At> {
    id: Id,
    username: String,
    email: String,
    display_name: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    bio: Option<String>,
    followers_count: i64,
    following_count: i64,
    posts_count: i64,
    is_private: bool,
    avatar_image_id: Option<Id>,
    created_at: At,
}

impl<Id: StoredId, At: StoredTime> TryFrom<UserRow<Id, At>> for User {
    type Error = DbError;

    fn try_from(row: UserRow<Id, At>) -> Result<Self, DbError> {
        Ok(User {
            id: UserId(row.id.into_uuid()?),
            username: row.username,
            email: row.email,
            display_name: row.display_name,
            first_name: row.first_name,
            last_name: row.last_name,
            bio: row.bio,
            followers_count: unsigned(row.followers_count)?,
            following_count: unsigned(row.following_count)?,
            posts_count: unsigned(row.posts_count)?,
            is_private: row.is_private,
            avatar_image_id: row
                .avatar_image_id
                .map(StoredId::into_uuid)
                .transpose()?
                .map(ImageId),
            created_at: row.created_at.into_time()?,
        })
    }
}

/// A user and their password hash (`credentials`).
#[derive(Debug, sqlx::FromRow)]
pub struct CredentialsRow<Id, At> {
    #[sqlx(flatten)]
    user: UserRow<Id, At>,
    password_hash: String,
}

impl<Id: StoredId, At: StoredTime> CredentialsRow<Id, At> {
    pub fn into_credentials(self) -> Result<(User, String), DbError> {
        Ok((User::try_from(self.user)?, self.password_hash))
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct ImageRow<Id, At> {
    id: Id,
    owner_id: Id,
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
    auto_tags: String,
    camera_make: Option<String>,
    camera_model: Option<String>,
    taken_at: Option<String>,
    blurhash: Option<String>,
    dominant_color: Option<String>,
    variants: String,
    original_key: String,
    public_original_key: Option<String>,
    public_original_sha256: Option<String>,
    source_image_id: Option<Id>,
    operations: Option<String>,
    created_at: At,
    updated_at: At,
    deleted_at: Option<At>,
    original_read_at: Option<At>,
    original_archived_at: Option<At>,
}

impl<Id: StoredId, At: StoredTime> TryFrom<ImageRow<Id, At>> for Image {
    type Error = DbError;

    fn try_from(row: ImageRow<Id, At>) -> Result<Self, DbError> {
        let failure = match (row.failure_code, row.failure_message) {
            (Some(code), Some(message)) => Some(Failure { code, message }),
            _ => None,
        };
        let variants: Vec<Variant> = json(&row.variants)?;
        Ok(Image {
            id: ImageId(row.id.into_uuid()?),
            owner_id: UserId(row.owner_id.into_uuid()?),
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
            auto_tags: json(&row.auto_tags)?,
            capture: Capture {
                camera_make: row.camera_make,
                camera_model: row.camera_model,
                taken_at: row
                    .taken_at
                    .as_deref()
                    .map(Capture::parse_taken_at)
                    .transpose()
                    .map_err(|e| DbError::other(format!("unreadable taken_at: {e}")))?,
            },
            blurhash: row.blurhash,
            dominant_color: row.dominant_color,
            variants,
            original_key: row.original_key,
            public_original_key: row.public_original_key,
            public_original_sha256: row.public_original_sha256,
            source_image_id: row
                .source_image_id
                .map(|id| id.into_uuid().map(ImageId))
                .transpose()?,
            operations: row.operations.as_deref().map(json).transpose()?,
            created_at: row.created_at.into_time()?,
            updated_at: row.updated_at.into_time()?,
            deleted_at: row.deleted_at.map(StoredTime::into_time).transpose()?,
            original_read_at: row
                .original_read_at
                .map(StoredTime::into_time)
                .transpose()?,
            original_archived_at: row
                .original_archived_at
                .map(StoredTime::into_time)
                .transpose()?,
        })
    }
}

/// User rows to users, in the order given.
pub fn users<Id: StoredId, At: StoredTime>(
    rows: Vec<UserRow<Id, At>>,
) -> Result<Vec<User>, DbError> {
    rows.into_iter().map(User::try_from).collect()
}

/// Image rows to images.
pub fn images<Id: StoredId, At: StoredTime>(
    rows: Vec<ImageRow<Id, At>>,
) -> Result<Vec<Image>, DbError> {
    rows.into_iter().map(Image::try_from).collect()
}

/// An outbox row: id, topic, payload, created_at.
pub type OutboxRow<Id, At> = (Id, String, Vec<u8>, At);

/// Outbox rows to messages, in the order given.
pub fn outbox_messages<Id: StoredId, At: StoredTime>(
    rows: Vec<OutboxRow<Id, At>>,
) -> Result<Vec<darkroom_core::domain::OutboxMessage>, DbError> {
    rows.into_iter()
        .map(|(id, topic, payload, created_at)| {
            Ok(darkroom_core::domain::OutboxMessage {
                id: id.into_uuid()?,
                topic,
                payload: bytes::Bytes::from(payload),
                created_at: created_at.into_time()?,
            })
        })
        .collect()
}

/// A claimed outbox row: an `OutboxRow` and its `seq`, which orders rows written in the same microsecond.
pub type ClaimedRow<Id, At> = (Id, String, Vec<u8>, At, i64);

/// Claimed rows to messages, oldest first: `UPDATE … RETURNING` promises no order, so the claim is put
/// back in outbox order, (created_at, seq).
pub fn claimed_messages<Id: StoredId, At: StoredTime + Ord + Copy>(
    mut rows: Vec<ClaimedRow<Id, At>>,
) -> Result<Vec<darkroom_core::domain::OutboxMessage>, DbError> {
    rows.sort_by_key(|row| (row.3, row.4));
    outbox_messages(
        rows.into_iter()
            .map(|(id, topic, payload, created_at, _)| (id, topic, payload, created_at))
            .collect(),
    )
}
