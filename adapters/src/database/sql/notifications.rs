//! `NotificationRepository` for every SQL backend. The unique (recipient, dedup_key) index makes `notify`
//! idempotent: a redelivered event's insert conflicts and writes nothing.

use darkroom_core::domain::{
    Cursor, Notification, NotificationId, NotificationKind, Page, PageRequest, UserId,
};
use darkroom_core::ports::{DbError, NotificationRepository};

use super::backend::for_every_sql_backend;
use super::convert::unsigned;
use super::social_rows::NotificationRow;
use super::{after_cursor, fetch_for, page};

const NOTIFICATION_COLUMNS: &str = "id, recipient_id, kind, actor_id, post_id, comment_id, \
     image_id, dedup_key, read, created_at";

const INSERT_NOTIFICATION: &str = "INSERT INTO notifications (id, recipient_id, kind, actor_id, \
         post_id, comment_id, image_id, dedup_key, read, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
     ON CONFLICT (recipient_id, dedup_key) DO NOTHING";

/// On the partial index of unread notifications.
const UNREAD_COUNT: &str =
    "SELECT count(*) FROM notifications WHERE recipient_id = $1 AND NOT read";

const MARK_ALL_READ: &str =
    "UPDATE notifications SET read = true WHERE recipient_id = $1 AND NOT read";

const WITHDRAW: &str =
    "DELETE FROM notifications WHERE recipient_id = $1 AND kind = $2 AND actor_id = $3";

for_every_sql_backend!(impl NotificationRepository {
    async fn notify(&self, notification: &Notification) -> Result<bool, DbError> {
        let id = |id: Option<uuid::Uuid>| id.map(B::id);
        let done = sqlx::query(INSERT_NOTIFICATION)
            .bind(B::id(notification.id.0))
            .bind(B::id(notification.recipient_id.0))
            .bind(notification.kind.as_str().to_owned())
            .bind(id(notification.actor_id.map(|a| a.0)))
            .bind(id(notification.post_id.map(|p| p.0)))
            .bind(id(notification.comment_id.map(|c| c.0)))
            .bind(id(notification.image_id.map(|i| i.0)))
            .bind(notification.dedup_key.clone())
            .bind(notification.read)
            .bind(B::at(notification.created_at))
            .execute(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(B::rows_affected(&done) == 1)
    }

    async fn notifications(
        &self,
        recipient: UserId,
        request: PageRequest,
    ) -> Result<Page<Notification>, DbError> {
        let after = after_cursor(request.after.is_some(), "created_at, id", "<", 3);
        let sql = format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE recipient_id = $1{after} \
             ORDER BY created_at DESC, id DESC LIMIT $2"
        );
        let mut query = sqlx::query_as(&sql)
            .bind(B::id(recipient.0))
            .bind(fetch_for(request.limit));
        if let Some(after) = request.after {
            query = query.bind(B::at(after.created_at)).bind(B::id(after.id));
        }
        let rows: Vec<NotificationRow<B::Id, B::At>> = query
            .fetch_all(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        let notifications = rows
            .into_iter()
            .map(Notification::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(page(notifications, request.limit, |n| Cursor {
            created_at: n.created_at,
            id: n.id.0,
        }))
    }

    async fn unread_count(&self, recipient: UserId) -> Result<u64, DbError> {
        let (count,): (i64,) = sqlx::query_as(UNREAD_COUNT)
            .bind(B::id(recipient.0))
            .fetch_one(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        unsigned(count)
    }

    async fn mark_read(
        &self,
        recipient: UserId,
        ids: Option<&[NotificationId]>,
    ) -> Result<u64, DbError> {
        let done = match ids {
            None => {
                sqlx::query(MARK_ALL_READ)
                    .bind(B::id(recipient.0))
                    .execute(self.driver().pool())
                    .await
            }
            Some([]) => return Ok(0),
            Some(ids) => {
                let ids: Vec<uuid::Uuid> = ids.iter().map(|id| id.0).collect();
                // Others' ids are ignored: the recipient is part of the condition.
                let sql = format!("{MARK_ALL_READ} AND {}", B::DIALECT.in_list("id", 2));
                sqlx::query(&sql)
                    .bind(B::id(recipient.0))
                    .bind(B::id_list(&ids)?)
                    .execute(self.driver().pool())
                    .await
            }
        }
        .map_err(B::db_error)?;
        Ok(B::rows_affected(&done))
    }

    async fn withdraw(
        &self,
        recipient: UserId,
        kind: NotificationKind,
        actor: UserId,
    ) -> Result<u64, DbError> {
        let done = sqlx::query(WITHDRAW)
            .bind(B::id(recipient.0))
            .bind(kind.as_str().to_owned())
            .bind(B::id(actor.0))
            .execute(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(B::rows_affected(&done))
    }
});
