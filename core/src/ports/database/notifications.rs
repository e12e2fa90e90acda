//! Each user's inbox.

use std::fmt::Debug;

use async_trait::async_trait;

use super::DbError;
use crate::domain::{Notification, NotificationId, NotificationKind, Page, PageRequest, UserId};

/// Each user's inbox.
///
/// # Contract
/// - `notify` stores the notification unless the recipient already has one with its `dedup_key` (then it
///   writes nothing and answers false): a redelivered event never notifies twice.
/// - `notifications` is newest first, keyset-paginated on (created_at, id).
/// - `unread_count` counts the recipient's unread notifications.
/// - `mark_read` marks the given ids of the recipient's (others' ids are ignored), or all of them when
///   `ids` is `None`, and answers how many changed.
/// - `withdraw` removes the recipient's notifications of `kind` from `actor` (a follow request that was
///   answered or taken back), and answers how many.
#[async_trait]
pub trait NotificationRepository: Send + Sync + Debug {
    async fn notify(&self, notification: &Notification) -> Result<bool, DbError>;
    async fn notifications(
        &self,
        recipient: UserId,
        page: PageRequest,
    ) -> Result<Page<Notification>, DbError>;
    async fn unread_count(&self, recipient: UserId) -> Result<u64, DbError>;
    async fn mark_read(
        &self,
        recipient: UserId,
        ids: Option<&[NotificationId]>,
    ) -> Result<u64, DbError>;
    async fn withdraw(
        &self,
        recipient: UserId,
        kind: NotificationKind,
        actor: UserId,
    ) -> Result<u64, DbError>;
}
