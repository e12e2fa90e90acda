//! The database port on DynamoDB: one table (single-table design), key `pk` (partition) and `sk` (sort),
//! both strings, on-demand billing. One file per repository; this one connects and answers pings.
//!
//! # Items
//!
//! | item                   | `pk`                         | `sk`                     | holds                              |
//! |------------------------|------------------------------|--------------------------|------------------------------------|
//! | user                   | `USER#<id>`                  | `USER`                   | the account, its counts, profile   |
//! | username claim         | `USERNAME#<username>`        | `USERNAME`               | `user_id`                          |
//! | email claim            | `EMAIL#<email>`              | `EMAIL`                  | `user_id`                          |
//! | refresh token          | `TOKEN#<sha256>`             | `TOKEN`                  | family, user, expiry, used, revoked|
//! | token family           | `FAMILY#<family id>`         | `FAMILY`                 | `user_id`, `revoked`               |
//! | second factor          | `MFA#<user id>`              | `TOTP`                   | sealed secret, `enabled`, `last_step`, recovery code hashes (a set) |
//! | image                  | `IMAGE#<id>`                 | `IMAGE`                  | the image, owner's username copied |
//! | listing entry          | `IMAGES#<owner id>`          | `<order>`                | `image_id`, `created_at`           |
//! | idempotency claim      | `IDEMPOTENCY#<owner>#<key>`  | `IDEMPOTENCY`            | `image_id`                         |
//! | deleted image entry    | `DELETED_IMAGES`             | `<order>` of deletion    | `image_id`, `deleted_at`           |
//! | hot original entry     | `HOT_ORIGINALS`              | `<order>` of last read   | `image_id`, `last_read`            |
//! | outbox entry           | `OUTBOX`                     | `<order>`                | the message                        |
//! | outbox pointer         | `OUTBOX#<message id>`        | `OUTBOX`                 | `entry_sk`                         |
//! | follow                 | `FOLLOW#<follower>#<followee>` | `FOLLOW`               | the follow (state, created_at)     |
//! | follower entry         | `FOLLOWERS#<followee>#<state>` | `<order>` of follower  | the follow                         |
//! | following entry        | `FOLLOWING#<follower>`       | `<order>` of followee    | the follow (`Active` only)         |
//! | follower by id         | `FOLLOWER_IDS#<followee>`    | `<follower id>`          | the follow (`Active` only)         |
//! | post                   | `POST#<id>`                  | `POST`                   | the post and its counts            |
//! | post entry             | `POSTS#<author>[#FANNED\|#MERGED]` | `<order>`         | `post_id`, `created_at`            |
//! | like                   | `LIKES#<post>`               | `<user id>`              | post, user, time                   |
//! | comment                | `COMMENT#<id>`               | `COMMENT`                | the comment                        |
//! | comment entry          | `COMMENTS#<post>`            | `<order>`                | the comment                        |
//! | timeline               | `TIMELINE#<owner>`           | `TIMELINE`               | `complete`                         |
//! | timeline entry         | `FEED#<owner>`               | `<order>` of post        | the entry                          |
//! | timeline note          | `FEEDS_WITH#<post>`          | `<owner id>`             | the entry and its owner            |
//! | notification           | `INBOX#<recipient>`          | `<order>`                | the notification, `read`           |
//! | dedup claim            | `NOTIFIED#<recipient>`       | `<dedup key>`            | id, time                           |
//! | unread marker          | `UNREAD#<recipient>`         | `<order>`                | id, time (while unread)            |
//! | by kind and actor      | `NOTIFIED_BY#<recipient>`    | `<kind>#<actor>#<order>` | id, time                           |
//! | unread count           | `UNREAD_COUNT#<recipient>`   | `UNREAD_COUNT`           | `count`                            |
//!
//! `<order>` is `keys::order(created_at, id)`: 20 zero-padded digits of shifted microseconds, `#`, the
//! hyphenated UUID, so that string order is (created_at, id) order.
//!
//! # Access patterns
//!
//! Every read is strongly consistent and served by the table itself: no secondary index, whose eventual
//! consistency would let a listing miss a fresh upload or show a deleted one, and the outbox miss a job
//! (the contract suite checks both right after the write). Where a second order or a second lookup is
//! needed (followers by id, the timelines holding a post, notifications by actor), a second item is
//! written in the same transaction (or batch) instead of a GSI.
//!
//! - User by id: GetItem. By username or email (credentials: a login with `@` is an email): GetItem of
//!   the claim, then of the user. By ids: BatchGetItem.
//! - Create user: one TransactWriteItems of the user, both claims (each `attribute_not_exists(pk)`) and its
//!   `user.created` outbox entry and pointer; a failed claim names the rule (`Conflict::Username`/
//!   `Conflict::Email`) and nothing is written. Update profile: one transaction of an UpdateItem
//!   (`attribute_exists(pk)`) and the event, then a GetItem of the result.
//! - Refresh tokens: insert puts the token and upserts its family. Rotation reads the token, then writes in
//!   one transaction: family not revoked (condition check), token `used = false AND revoked = false AND
//!   expires_at > now` → used, replacement put. A failed token condition sends it round again: the
//!   token is then used, which is reuse, and revokes the family by flipping its one `revoked` flag
//!   (`revoked = false` condition, so of racing losers exactly one reports the reuse). Revoking a family is
//!   one update, whatever the number of its tokens; every token of a revoked family is invalid.
//! - Second factors (`second_factors.rs`): one item per account; every change is one conditional write
//!   of it (the accepted step only moves forward, a recovery code leaves its set only if it is in it).
//! - Images by id: GetItem; by ids: BatchGetItem. By owner, newest first: Query of `IMAGES#<owner>` with
//!   `ScanIndexForward = false`, `Limit = limit + 1` and, after a cursor, `sk < order(cursor)` (exact
//!   keyset), then BatchGetItem of the page's images.
//! - Create image: one transaction of owner check, image, listing entry, idempotency claim (when keyed),
//!   outbox entry and pointer. A failed claim reads the claimed image: `IdempotentReplay`.
//! - Complete / fail processing: UpdateItem with `#status = :processing`. Update: UpdateItem with
//!   `attribute_exists(pk)`, returning the new image. Every write bumps `version`.
//! - Delete image (soft, `retention.rs`): read it, then one transaction setting `deleted_at` on the image
//!   (`version` unchanged), putting its deleted entry, deleting its listing entry and idempotency claim.
//!   Restore: the same read, then one transaction removing `deleted_at`, the deleted entry, and putting
//!   the listing entry back. Purge pass: Query of `DELETED_IMAGES` ascending below `order(cutoff)`, then
//!   BatchGetItem of the images; purging one is a transaction deleting the image (`version` unchanged)
//!   and its entry.
//! - Outbox, oldest first: Query of `OUTBOX` ascending. Claiming: the same Query, then per entry an
//!   UpdateItem of `claimed_until` conditioned on no live claim. Marking relayed: BatchGetItem of the pointers,
//!   BatchWriteItem deleting the entries, then the pointers (a crash in between leaves only a pointer).
//! - Follows (`follows.rs`): follow state is a GetItem. Following writes the follow
//!   (`attribute_not_exists`), its entries and, when `Active`, `ADD followers_count`/`following_count` on
//!   the users (`attribute_exists`), with the event, in one transaction (up to 8 items); unfollowing and
//!   accepting read the follow, then write on the condition that it is unchanged. Followers (per state)
//!   and following: one Query newest first. Follower ids: one Query of `FOLLOWER_IDS#` in id order,
//!   `sk > after`: a second item per `Active` follow, because the sort key of the newest-first listing
//!   cannot give id order.
//! - Posts (`posts.rs`): create and delete are one transaction of the post, its two listing entries
//!   (all posts; fanned out or not), `ADD posts_count` and the event; delete then batch-deletes the likes
//!   and comments (unreachable once the post is gone). By author: Query then BatchGetItem.
//!   Followed by (`feed.rs`): one Query of the following listing, then one Query per followee of the
//!   listing that matches `fanned_out`, `Limit = limit + 1`, merged keeping the newest `limit + 1`.
//! - Likes and comments: one transaction of the like (or comment item and entry), `ADD likes_count` (or
//!   `comments_count`) on the post (`attribute_exists`) and the event. Liked: BatchGetItem of
//!   `LIKES#<post>`/`<user>`. Comments: one Query oldest first.
//! - Timelines (`timelines.rs`): a page is a GetItem of the timeline item and a Query of `FEED#<owner>`,
//!   sent together. Fan-out is one BatchGetItem of timeline items and entries per 50 owners, then
//!   BatchWriteItem of the notes and entries (25 per request, unprocessed items sent again) for the
//!   timelines that exist and lack the entry. Removing a post: Query of `FEEDS_WITH#<post>`, batch
//!   deletes. Trimming and removing an author read the owner's timeline (bounded by the cap).
//! - Notifications (`notifications.rs`): one transaction of the dedup claim (`attribute_not_exists`), the
//!   notification, its entry by (kind, actor), its unread marker and `ADD count` on the unread count.
//!   Unread count: GetItem. Marking read: Query of the unread markers, then transactions of 40.
//!   Withdrawing: Query by (kind, actor) prefix, then one transaction per notification.
//!
//! Items stay far below DynamoDB's 400 KB: the largest is an image with its variants (a few KB of JSON).
//! The outbox is one partition key: DynamoDB splits a hot item collection by sort key, and each entry lives
//! only until the relay marks it. Hot single items are the counters of a very popular user or post;
//! DynamoDB serves about 1,000 writes a second to one item, and transactions that meet on one retry
//! (`calls::transact`).

mod access;
mod attrs;
mod batch;
mod calls;
mod comments;
mod errors;
mod feed;
mod follows;
pub mod iam;
mod images;
mod items;
mod keys;
mod leases;
mod lifecycle;
mod likes;
mod notifications;
mod original_tiers;
mod outbox;
mod outbox_backlog;
mod posts;
mod profiles;
mod query;
mod retention;
mod second_factors;
mod sessions;
mod table;
mod tagged;
mod timeline_entries;
mod timelines;
mod uploads;
mod url;
mod users;
mod writes;

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::get_item::GetItemError;
use darkroom_core::ports::{DatabaseHealth, DbError};

use self::attrs::s;
use self::errors::db_error;
use crate::database::context::context;

/// One attempt of one call, and the first call of all (whose attempts are retried with back-off).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Darkroom's metadata in one DynamoDB table.
#[derive(Debug, Clone)]
pub struct DynamoDatabase {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoDatabase {
    /// Connects to `dynamodb://TABLE?region=REGION&endpoint=URL` (both parameters optional: the region then
    /// comes from the AWS provider chain, the endpoint is real AWS; credentials always come from the
    /// provider chain). One read is made at once, so that a wrong endpoint or refused credentials fail
    /// here, within seconds; a table that does not exist yet is fine. Call `migrate` next.
    pub async fn from_url(url: &str) -> Result<Self, DbError> {
        let parsed = url::parse(url)?;
        let config = parsed.location.sdk_config(ATTEMPT_TIMEOUT).await;
        let db = Self {
            client: aws_sdk_dynamodb::Client::new(&config),
            table: parsed.table,
        };
        let where_ = parsed.location.endpoint.as_deref().unwrap_or("aws");
        match tokio::time::timeout(PROBE_TIMEOUT, db.probe()).await {
            Err(_) => Err(DbError::unavailable(format!(
                "cannot reach dynamodb at {where_}: no answer within {PROBE_TIMEOUT:?}"
            ))),
            Ok(Err(DbError::Unavailable(why))) => Err(DbError::Unavailable(context(
                format!("cannot reach dynamodb at {where_}"),
                why,
            ))),
            Ok(Err(other)) => Err(other),
            Ok(Ok(())) => Ok(db),
        }
    }

    /// The table this handle works in.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Reads an item that never exists: proves the endpoint answers and accepts the credentials. Needs only
    /// `dynamodb:GetItem`, which the service role has anyway. A missing table counts as reachable.
    async fn probe(&self) -> Result<(), DbError> {
        let read = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(keys::PK, s("PING"))
            .key(keys::SK, s("PING"))
            .send()
            .await;
        match read {
            Ok(_) => Ok(()),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(GetItemError::ResourceNotFoundException(_))
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(db_error(e, &self.table, "probing")),
        }
    }
}

#[async_trait]
impl DatabaseHealth for DynamoDatabase {
    fn backend(&self) -> &'static str {
        "dynamodb"
    }

    async fn ping(&self) -> Result<(), DbError> {
        self.get(
            [
                (keys::PK.to_owned(), s("PING")),
                (keys::SK.to_owned(), s("PING")),
            ]
            .into(),
            "pinging",
        )
        .await
        .map(|_| ())
    }
}
