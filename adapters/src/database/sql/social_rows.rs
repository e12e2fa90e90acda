//! The row shapes of the social tables (follows, posts, comments, timeline entries, notifications), generic
//! over how the dialect stores ids and timestamps like those of `rows`, and their mapping to the domain.

use darkroom_core::domain::{
    Comment, CommentId, Follow, FollowState, ImageId, Notification, NotificationId,
    NotificationKind, Post, PostId, TimelineEntry, UserId,
};
use darkroom_core::ports::DbError;
use serde::Serialize;

use super::convert::{json, text_enum, unsigned, StoredId, StoredTime};

/// An id column that may be empty.
fn optional_id<Id: StoredId>(id: Option<Id>) -> Result<Option<uuid::Uuid>, DbError> {
    id.map(StoredId::into_uuid).transpose()
}

fn enum_value<T>(text: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, DbError> {
    parse(text).ok_or_else(|| DbError::other(format!("corrupt enum value in database: {text:?}")))
}

/// A follow's stored state.
pub fn follow_state(text: &str) -> Result<FollowState, DbError> {
    enum_value(text, FollowState::parse)
}

#[derive(Debug, sqlx::FromRow)]
pub struct FollowRow<Id, At> {
    follower_id: Id,
    followee_id: Id,
    state: String,
    created_at: At,
}

impl<Id: StoredId, At: StoredTime> TryFrom<FollowRow<Id, At>> for Follow {
    type Error = DbError;

    fn try_from(row: FollowRow<Id, At>) -> Result<Self, DbError> {
        Ok(Follow {
            follower_id: UserId(row.follower_id.into_uuid()?),
            followee_id: UserId(row.followee_id.into_uuid()?),
            state: follow_state(&row.state)?,
            created_at: row.created_at.into_time()?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct PostRow<Id, At> {
    id: Id,
    author_id: Id,
    image_ids: String,
    caption: String,
    hashtags: String,
    mentions: String,
    visibility: String,
    likes_count: i64,
    comments_count: i64,
    fanned_out: bool,
    created_at: At,
}

impl<Id: StoredId, At: StoredTime> TryFrom<PostRow<Id, At>> for Post {
    type Error = DbError;

    fn try_from(row: PostRow<Id, At>) -> Result<Self, DbError> {
        Ok(Post {
            id: PostId(row.id.into_uuid()?),
            author_id: UserId(row.author_id.into_uuid()?),
            image_ids: json::<Vec<ImageId>>(&row.image_ids)?,
            caption: row.caption,
            hashtags: json(&row.hashtags)?,
            mentions: json(&row.mentions)?,
            visibility: text_enum(&row.visibility)?,
            likes_count: unsigned(row.likes_count)?,
            comments_count: unsigned(row.comments_count)?,
            fanned_out: row.fanned_out,
            created_at: row.created_at.into_time()?,
        })
    }
}

/// Post rows to posts, in the order given.
pub fn posts<Id: StoredId, At: StoredTime>(
    rows: Vec<PostRow<Id, At>>,
) -> Result<Vec<Post>, DbError> {
    rows.into_iter().map(Post::try_from).collect()
}

#[derive(Debug, sqlx::FromRow)]
pub struct CommentRow<Id, At> {
    id: Id,
    post_id: Id,
    author_id: Id,
    text: String,
    created_at: At,
}

impl<Id: StoredId, At: StoredTime> TryFrom<CommentRow<Id, At>> for Comment {
    type Error = DbError;

    fn try_from(row: CommentRow<Id, At>) -> Result<Self, DbError> {
        Ok(Comment {
            id: CommentId(row.id.into_uuid()?),
            post_id: PostId(row.post_id.into_uuid()?),
            author_id: UserId(row.author_id.into_uuid()?),
            text: row.text,
            created_at: row.created_at.into_time()?,
        })
    }
}

/// A timeline's completeness and one of its entries, empty (`None`s) when the page has none: `timeline`
/// reads both in one statement.
pub type TimelineRow<Id, At> = (bool, Option<Id>, Option<Id>, Option<At>);

/// The page's entries and whether the timeline is complete; `None` when there is no timeline (no rows).
pub fn timeline_rows<Id: StoredId, At: StoredTime>(
    rows: Vec<TimelineRow<Id, At>>,
) -> Result<Option<(Vec<TimelineEntry>, bool)>, DbError> {
    let Some(complete) = rows.first().map(|row| row.0) else {
        return Ok(None);
    };
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        if let (_, Some(post_id), Some(author_id), Some(created_at)) = row {
            entries.push(TimelineEntry {
                post_id: PostId(post_id.into_uuid()?),
                author_id: UserId(author_id.into_uuid()?),
                created_at: created_at.into_time()?,
            });
        }
    }
    Ok(Some((entries, complete)))
}

/// A timeline entry as the statements that write many at once read it from their one JSON parameter
/// (see `Dialect::entries_from_json`): the timestamp in microseconds, as SQLite stores it.
#[derive(Debug, Serialize)]
pub struct EntryJson {
    post_id: uuid::Uuid,
    author_id: uuid::Uuid,
    created_at: i64,
}

impl From<&TimelineEntry> for EntryJson {
    fn from(entry: &TimelineEntry) -> Self {
        Self {
            post_id: entry.post_id.0,
            author_id: entry.author_id.0,
            created_at: entry.created_at.timestamp_micros(),
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct NotificationRow<Id, At> {
    id: Id,
    recipient_id: Id,
    kind: String,
    actor_id: Option<Id>,
    post_id: Option<Id>,
    comment_id: Option<Id>,
    image_id: Option<Id>,
    dedup_key: String,
    read: bool,
    created_at: At,
}

impl<Id: StoredId, At: StoredTime> TryFrom<NotificationRow<Id, At>> for Notification {
    type Error = DbError;

    fn try_from(row: NotificationRow<Id, At>) -> Result<Self, DbError> {
        Ok(Notification {
            id: NotificationId(row.id.into_uuid()?),
            recipient_id: UserId(row.recipient_id.into_uuid()?),
            kind: enum_value(&row.kind, NotificationKind::parse)?,
            actor_id: optional_id(row.actor_id)?.map(UserId),
            post_id: optional_id(row.post_id)?.map(PostId),
            comment_id: optional_id(row.comment_id)?.map(CommentId),
            image_id: optional_id(row.image_id)?.map(ImageId),
            dedup_key: row.dedup_key,
            read: row.read,
            created_at: row.created_at.into_time()?,
        })
    }
}
