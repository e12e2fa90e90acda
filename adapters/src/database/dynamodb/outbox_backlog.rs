//! The outbox's backlog on DynamoDB: a `Select = COUNT` Query over the `OUTBOX` partition (paged: a Query
//! counts at most 1 MB of items per page), and the partition's first entry, which is the oldest since
//! entries sort by (created_at, id). Strongly consistent, as the relay's reads are, so a message written
//! just before is counted. A count is billed by the size of what it scans: a long backlog costs more read
//! units per sample, but it is exactly then that the gauge matters.

use aws_sdk_dynamodb::types::Select;
use darkroom_core::ports::{DbError, OutboxBacklog};

use super::attrs::{req_time, s};
use super::errors::db_error;
use super::keys::{self, PK};
use super::DynamoDatabase;

impl DynamoDatabase {
    pub(super) async fn count_outbox(&self) -> Result<OutboxBacklog, DbError> {
        let mut pending: u64 = 0;
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_values(":pk", s(keys::outbox_partition()))
                .select(Select::Count)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| db_error(e, &self.table, "counting the outbox"))?;
            pending += u64::try_from(page.count).unwrap_or(0);
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        let oldest = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", s(keys::outbox_partition()))
            .consistent_read(true)
            .limit(1)
            .send()
            .await
            .map_err(|e| db_error(e, &self.table, "reading the oldest outbox entry"))?;
        let oldest_created_at = match oldest.items.unwrap_or_default().first() {
            Some(entry) => Some(req_time(entry, "created_at")?),
            None => None,
        };
        Ok(OutboxBacklog {
            pending,
            oldest_created_at,
        })
    }
}
