//! The database port on DynamoDB: one table (single-table design), key `pk` (partition) and `sk` (sort),
//! both strings, on-demand billing. One file per repository; this one connects and answers pings.
//!
//! # Items
//!
//! | item                   | `pk`                         | `sk`                     | holds                              |
//! |------------------------|------------------------------|--------------------------|------------------------------------|
//! | user                   | `USER#<id>`                  | `USER`                   | the account and its password hash  |
//! | username claim         | `USERNAME#<username>`        | `USERNAME`               | `user_id`                          |
//! | email claim            | `EMAIL#<email>`              | `EMAIL`                  | `user_id`                          |
//! | refresh token          | `TOKEN#<sha256>`             | `TOKEN`                  | family, user, expiry, used, revoked|
//! | token family           | `FAMILY#<family id>`         | `FAMILY`                 | `user_id`, `revoked`               |
//! | image                  | `IMAGE#<id>`                 | `IMAGE`                  | the image, owner's username copied |
//! | listing entry          | `IMAGES#<owner id>`          | `<order>`                | `image_id`, `created_at`           |
//! | idempotency claim      | `IDEMPOTENCY#<owner>#<key>`  | `IDEMPOTENCY`            | `image_id`                         |
//! | outbox entry           | `OUTBOX`                     | `<order>`                | the message                        |
//! | outbox pointer         | `OUTBOX#<message id>`        | `OUTBOX`                 | `entry_sk`                         |
//!
//! `<order>` is `keys::order(created_at, id)`: 20 zero-padded digits of shifted microseconds, `#`, the
//! hyphenated UUID, so that string order is (created_at, id) order.
//!
//! # Access patterns
//!
//! Every read is strongly consistent and served by the table itself: no secondary index, whose eventual
//! consistency would let a listing miss a fresh upload or show a deleted one, and the outbox miss a job
//! (the contract suite checks both right after the write).
//!
//! - User by id: GetItem. By username or email (credentials: a login with `@` is an email): GetItem of
//!   the claim, then of the user.
//! - Create user: one TransactWriteItems of the user and both claims, each `attribute_not_exists(pk)`;
//!   a failed claim names the rule (`Conflict::Username`/`Conflict::Email`) and nothing is written.
//! - Refresh tokens: insert puts the token and upserts its family. Rotation reads the token, then writes in
//!   one transaction: family not revoked (condition check), token `used = false AND revoked = false AND
//!   expires_at > now` → used, replacement put. A failed token condition sends it round again: the
//!   token is then used, which is reuse, and revokes the family by flipping its one `revoked` flag
//!   (`revoked = false` condition, so of racing losers exactly one reports the reuse). Revoking a family is
//!   one update, whatever the number of its tokens; every token of a revoked family is invalid.
//! - Images by id: GetItem. By owner, newest first: Query of `IMAGES#<owner>` with
//!   `ScanIndexForward = false`, `Limit = limit + 1` and, after a cursor, `sk < order(cursor)` (exact
//!   keyset), then BatchGetItem of the page's images.
//! - Create image: one transaction of owner check, image, listing entry, idempotency claim (when keyed),
//!   outbox entry and pointer. A failed claim reads the claimed image: `IdempotentReplay`.
//! - Complete / fail processing: UpdateItem with `#status = :processing`. Update: UpdateItem with
//!   `attribute_exists(pk)`, returning the new image. Every write bumps `version`.
//! - Delete image: read it, then one transaction deleting image (`version` unchanged), listing entry and
//!   idempotency claim, and putting the outbox entry and pointer.
//! - Outbox, oldest first: Query of `OUTBOX` ascending. Claiming: the same Query, then per entry an
//!   UpdateItem of `claimed_until` conditioned on no live claim. Marking relayed: BatchGetItem of the pointers,
//!   BatchWriteItem deleting the entries, then the pointers (a crash in between leaves only a pointer).
//!
//! Items stay far below DynamoDB's 400 KB: the largest is an image with its variants (a few KB of JSON).
//! The outbox is one partition key: DynamoDB splits a hot item collection by sort key, and each entry lives
//! only until the relay marks it.

mod access;
mod attrs;
mod batch;
mod calls;
mod errors;
mod images;
mod items;
mod keys;
mod lifecycle;
mod outbox;
mod sessions;
mod table;
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
