//! `NotificationRepository` on DynamoDB. Per notification: the notification in the recipient's `INBOX#`
//! partition (newest first), the claim of its dedup key, an entry by (kind, actor) for `withdraw`, and,
//! while unread, a marker in the recipient's `UNREAD#` partition; the recipient's unread count is an item
//! of its own. `notify` writes them all and adds one to the count in one transaction, conditioned on the
//! claim being free, so a redelivered event notifies once.
//!
//! - `unread_count`: one GetItem.
//! - `mark_read`: a Query of the recipient's unread markers (its cost is the unread count, never the
//!   inbox), then per 40 notifications one transaction setting `read` (conditioned on it being false),
//!   deleting the markers and taking as many from the count. Notifications another call marked meanwhile
//!   fail their condition and are left out of the next try, so the count stays exact.
//! - `withdraw`: a Query of the (kind, actor) entries, a BatchGetItem of their notifications, then one
//!   transaction per notification deleting it with its claim, entry and marker (and one from the count
//!   when it was unread), conditioned on `read` being what was read.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use darkroom_core::domain::{
    Cursor, Notification, NotificationId, NotificationKind, Page, PageRequest, UserId,
};
use darkroom_core::ports::{DbError, NotificationRepository};

use super::attrs::{boolean, n};
use super::calls::Transacted;
use super::items;
use super::keys;
use super::query::{PartitionQuery, SortKeys};
use super::writes::vals;
use super::DynamoDatabase;

/// Notifications marked read per transaction: two items each and the count, within the 100 items a
/// transaction may hold.
const MARK_PER_TRANSACTION: usize = 40;
/// A notification that keeps changing under `withdraw` is read again this many times.
const ROUNDS: usize = 5;

impl DynamoDatabase {
    /// The transaction item moving `recipient`'s unread count by `delta` (created on first use).
    fn unread_count_write(
        &self,
        recipient: UserId,
        delta: i64,
    ) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, DbError> {
        self.update(
            keys::unread_count(recipient),
            "ADD #count :delta",
            None,
            vals([(":delta", n(delta))]),
        )
    }

    /// Marks `unread` (ids and times of `recipient`'s notifications) read, as far as they still are;
    /// answers how many this call changed.
    async fn mark_chunk(
        &self,
        recipient: UserId,
        mut unread: Vec<(NotificationId, DateTime<Utc>)>,
    ) -> Result<u64, DbError> {
        while !unread.is_empty() {
            let mut writes = Vec::with_capacity(unread.len() * 2 + 1);
            for (id, created_at) in &unread {
                writes.push(self.update(
                    keys::notification(recipient, *created_at, *id),
                    "SET #read = :read",
                    Some("#read = :unread"),
                    vals([(":read", boolean(true)), (":unread", boolean(false))]),
                )?);
                writes.push(self.delete(
                    keys::unread(recipient, *created_at, *id),
                    None,
                    vals([]),
                )?);
            }
            let marked = i64::try_from(unread.len()).unwrap_or(i64::MAX);
            writes.push(self.unread_count_write(recipient, -marked)?);
            match self.transact(writes, "marking notifications read").await? {
                Transacted::Done => return Ok(unread.len() as u64),
                // Read (or withdrawn) meanwhile: leave those out and try the rest.
                Transacted::ConditionsFailed(failed) => {
                    let failed: HashSet<usize> = failed.iter().map(|index| index / 2).collect();
                    unread = unread
                        .into_iter()
                        .enumerate()
                        .filter(|(index, _)| !failed.contains(index))
                        .map(|(_, unread)| unread)
                        .collect();
                }
            }
        }
        Ok(0)
    }

    /// Deletes one notification and what points at it; false when it is gone already.
    async fn withdraw_one(&self, mut notification: Notification) -> Result<bool, DbError> {
        for _ in 0..ROUNDS {
            let mut writes = vec![
                self.delete(
                    items::notification_key(&notification),
                    Some("#read = :read"),
                    vals([(":read", boolean(notification.read))]),
                )?,
                self.delete(
                    keys::notified(notification.recipient_id, &notification.dedup_key),
                    None,
                    vals([]),
                )?,
                self.delete(items::notified_by_key(&notification), None, vals([]))?,
            ];
            if !notification.read {
                writes.push(self.delete(items::unread_key(&notification), None, vals([]))?);
                writes.push(self.unread_count_write(notification.recipient_id, -1)?);
            }
            if self.transact(writes, "withdrawing a notification").await? == Transacted::Done {
                return Ok(true);
            }
            // Marked read meanwhile (or gone): read it again.
            let again = self
                .get(
                    items::notification_key(&notification),
                    "reading a notification",
                )
                .await?;
            match again {
                Some(item) => notification = items::notification(&item)?,
                None => return Ok(false),
            }
        }
        Err(DbError::unavailable(format!(
            "withdrawing notification {} did not settle in {ROUNDS} rounds",
            notification.id.0
        )))
    }
}

#[async_trait]
impl NotificationRepository for DynamoDatabase {
    async fn notify(&self, notification: &Notification) -> Result<bool, DbError> {
        // Index 0 is the claim of the dedup key.
        let mut writes = vec![
            self.put_new(items::notified_item(notification))?,
            self.put_new(items::notification_item(notification))?,
            self.put_new(items::notified_by_item(notification))?,
        ];
        if !notification.read {
            writes.push(self.put_new(items::unread_item(notification))?);
            writes.push(self.unread_count_write(notification.recipient_id, 1)?);
        }
        match self.transact(writes, "storing a notification").await? {
            Transacted::Done => Ok(true),
            outcome if outcome.failed(0) => Ok(false),
            _ => Err(DbError::other(format!(
                "notification {} exists",
                notification.id.0
            ))),
        }
    }

    async fn notifications(
        &self,
        recipient: UserId,
        page: PageRequest,
    ) -> Result<Page<Notification>, DbError> {
        let query = PartitionQuery::newest_first(
            keys::inbox_of(recipient),
            page.after
                .map(|after| keys::order(after.created_at, after.id)),
        );
        let cursor = |notification: &Notification| Cursor {
            created_at: notification.created_at,
            id: notification.id.0,
        };
        self.query_page(
            &query,
            page.limit,
            items::notification,
            cursor,
            "listing notifications",
        )
        .await
    }

    async fn unread_count(&self, recipient: UserId) -> Result<u64, DbError> {
        let item = self
            .get(keys::unread_count(recipient), "reading an unread count")
            .await?;
        items::unread_count(item.as_ref())
    }

    async fn mark_read(
        &self,
        recipient: UserId,
        ids: Option<&[NotificationId]>,
    ) -> Result<u64, DbError> {
        let wanted: Option<HashSet<NotificationId>> = ids.map(|ids| ids.iter().copied().collect());
        let mut unread = Vec::new();
        let markers = self
            .query_items(
                &PartitionQuery::all(keys::unread_of(recipient)),
                None,
                "reading unread notifications",
            )
            .await?;
        for marker in &markers {
            let (id, created_at) = items::pointed_notification(marker)?;
            if wanted.as_ref().is_none_or(|wanted| wanted.contains(&id)) {
                unread.push((id, created_at));
            }
        }
        let mut changed = 0;
        for chunk in unread.chunks(MARK_PER_TRANSACTION) {
            changed += self.mark_chunk(recipient, chunk.to_vec()).await?;
        }
        Ok(changed)
    }

    async fn withdraw(
        &self,
        recipient: UserId,
        kind: NotificationKind,
        actor: UserId,
    ) -> Result<u64, DbError> {
        let query = PartitionQuery {
            pk: keys::notified_by_of(recipient),
            sort_keys: SortKeys::BeginsWith(keys::notified_by_prefix(kind, Some(actor))),
            descending: false,
        };
        let entries = self
            .query_items(&query, None, "finding notifications to withdraw")
            .await?;
        let mut notification_keys = Vec::with_capacity(entries.len());
        for entry in &entries {
            let (id, created_at) = items::pointed_notification(entry)?;
            notification_keys.push(keys::notification(recipient, created_at, id));
        }
        let found = self
            .batch_get(notification_keys, "reading notifications to withdraw")
            .await?;
        let mut withdrawn = 0;
        for item in &found {
            if self.withdraw_one(items::notification(item)?).await? {
                withdrawn += 1;
            }
        }
        Ok(withdrawn)
    }
}
