//! `OutboxRepository` on DynamoDB. Pending messages are entries of the `OUTBOX` partition sorted by
//! (created_at, id), so oldest first is a plain ascending Query; each has a pointer item keyed by its id,
//! because marking a message relayed names only the id. Relayed messages are deleted: nothing reads them
//! again (the queue de-duplicates by message id), and the partition then only holds pending work.

use std::collections::HashSet;

use async_trait::async_trait;
use darkroom_core::domain::OutboxMessage;
use darkroom_core::ports::{DbError, OutboxRepository};
use uuid::Uuid;

use super::attrs::s;
use super::errors::db_error;
use super::items;
use super::keys::{self, PK};
use super::DynamoDatabase;

#[async_trait]
impl OutboxRepository for DynamoDatabase {
    async fn pending_outbox(&self, limit: usize) -> Result<Vec<OutboxMessage>, DbError> {
        let mut messages = Vec::new();
        let mut start = None;
        // A Query answers at most 1 MB; page on until the limit or the end of the partition.
        while messages.len() < limit {
            let wanted = i32::try_from(limit - messages.len()).unwrap_or(i32::MAX);
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .consistent_read(true)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_values(":pk", s(keys::outbox_partition()))
                .limit(wanted)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| db_error(e, &self.table, "reading the outbox"))?;
            for item in page.items() {
                messages.push(items::outbox_message(item)?);
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        messages.truncate(limit);
        Ok(messages)
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
        let pointers = found
            .into_iter()
            .map(|mut pointer| {
                pointer.retain(|name, _| name == keys::PK || name == keys::SK);
                pointer
            })
            .collect();
        self.batch_delete(pointers, "deleting relayed outbox pointers")
            .await
    }
}
