//! `OutboxRepository` on DynamoDB. Pending messages are entries of the `OUTBOX` partition sorted by
//! (created_at, id), so oldest first is a plain ascending Query; each has a pointer item keyed by its id,
//! because marking a message relayed names only the id. Relayed messages are deleted: nothing reads them
//! again (the queue de-duplicates by message id), and the partition then only holds pending work.
//!
//! A claim is a conditional UpdateItem per entry, setting `claimed_until` only where no live claim holds
//! it (`attribute_not_exists(claimed_until) OR claimed_until <= now`): of two claimers that read the same
//! entry, the condition lets exactly one take it, and the other steps over it.

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use darkroom_core::domain::OutboxMessage;
use darkroom_core::ports::{lease_end, DbError, OutboxBacklog, OutboxRepository};
use uuid::Uuid;

use super::attrs::{n, opt_num, s};
use super::errors::{db_error, unless_condition_failed};
use super::items;
use super::keys::{self, Item, PK};
use super::writes::vals;
use super::DynamoDatabase;

impl DynamoDatabase {
    /// Up to `limit` outbox entries, oldest first, from `start` on; and where the next page starts.
    async fn outbox_page(
        &self,
        start: Option<Item>,
        limit: usize,
    ) -> Result<(Vec<Item>, Option<Item>), DbError> {
        let page = self
            .client
            .query()
            .table_name(&self.table)
            .consistent_read(true)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", s(keys::outbox_partition()))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| db_error(e, &self.table, "reading the outbox"))?;
        Ok((page.items.unwrap_or_default(), page.last_evaluated_key))
    }

    /// Takes `entry` until `until` if no live claim (one running past `now`) holds it; false when another
    /// claimer was first, or the entry is gone (relayed meanwhile).
    async fn claim_entry(&self, entry: &Item, now: i64, until: i64) -> Result<bool, DbError> {
        let key = keys::key_of(entry);
        let updated = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression("SET #claimed_until = :until")
            .condition_expression(
                "attribute_exists(#pk) AND \
                 (attribute_not_exists(#claimed_until) OR #claimed_until <= :now)",
            )
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#claimed_until", "claimed_until")
            .set_expression_attribute_values(Some(vals([(":until", n(until)), (":now", n(now))])))
            .send()
            .await;
        Ok(unless_condition_failed(updated, &self.table, "claiming an outbox message")?.is_some())
    }
}

#[async_trait]
impl OutboxRepository for DynamoDatabase {
    async fn pending_outbox(&self, limit: usize) -> Result<Vec<OutboxMessage>, DbError> {
        let mut messages = Vec::new();
        let mut start = None;
        // A Query answers at most 1 MB; page on until the limit or the end of the partition.
        while messages.len() < limit {
            let (entries, next) = self.outbox_page(start, limit - messages.len()).await?;
            for item in &entries {
                messages.push(items::outbox_message(item)?);
            }
            start = next;
            if start.is_none() {
                break;
            }
        }
        messages.truncate(limit);
        Ok(messages)
    }

    async fn claim_outbox(
        &self,
        limit: usize,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<OutboxMessage>, DbError> {
        let (now_micros, until) = (
            now.timestamp_micros(),
            lease_end(now, lease).timestamp_micros(),
        );
        let mut claimed = Vec::new();
        let mut start = None;
        while claimed.len() < limit {
            let (entries, next) = self.outbox_page(start, limit).await?;
            for entry in &entries {
                if claimed.len() == limit {
                    break;
                }
                // Entries a live claim holds are skipped without a write; the condition decides the rest.
                let held = opt_num::<i64>(entry, "claimed_until")?.is_some_and(|c| c > now_micros);
                if !held && self.claim_entry(entry, now_micros, until).await? {
                    claimed.push(items::outbox_message(entry)?);
                }
            }
            start = next;
            if start.is_none() {
                break;
            }
        }
        Ok(claimed)
    }

    async fn mark_outbox_relayed(&self, ids: &[Uuid]) -> Result<(), DbError> {
        let ids: HashSet<Uuid> = ids.iter().copied().collect();
        if ids.is_empty() {
            return Ok(());
        }
        let pointers: Vec<_> = ids.into_iter().map(keys::outbox_pointer).collect();
        let found = self.batch_get(pointers, "reading outbox pointers").await?;
        let entries = found
            .iter()
            .map(items::pointed_entry)
            .collect::<Result<Vec<_>, _>>()?;
        // Entries first: a failure between the two leaves a pointer to nothing (harmless, and deleted when
        // the relay marks the message again), never an entry that nothing can find.
        self.batch_delete(entries, "deleting relayed outbox entries")
            .await?;
        let pointers = found.iter().map(keys::key_of).collect();
        self.batch_delete(pointers, "deleting relayed outbox pointers")
            .await
    }

    async fn outbox_backlog(&self) -> Result<OutboxBacklog, DbError> {
        self.count_outbox().await
    }
}
