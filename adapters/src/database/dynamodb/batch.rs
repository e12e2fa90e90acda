//! Batches of reads, puts and deletes, sent again for whatever the service left unprocessed.

use aws_sdk_dynamodb::types::{DeleteRequest, KeysAndAttributes, PutRequest, WriteRequest};
use darkroom_core::ports::DbError;

use super::calls::back_off;
use super::errors::{built, db_error};
use super::keys::Item;
use super::DynamoDatabase;

/// How often the unprocessed rest of a batch is sent again.
const BATCH_ATTEMPTS: u32 = 8;
/// DynamoDB's limits on one BatchGetItem and one BatchWriteItem.
const BATCH_GET_MAX: usize = 100;
const BATCH_WRITE_MAX: usize = 25;

impl DynamoDatabase {
    /// Strongly consistent reads of many items, in no particular order; missing items are left out.
    pub(crate) async fn batch_get(
        &self,
        keys: Vec<Item>,
        doing: &str,
    ) -> Result<Vec<Item>, DbError> {
        let mut found = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(BATCH_GET_MAX) {
            let mut pending = Some(built(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
                    .consistent_read(true)
                    .build(),
            )?);
            let mut attempt = 1;
            while let Some(request) = pending.take() {
                let answer = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(|e| db_error(e, &self.table, doing))?;
                if let Some(mut responses) = answer.responses {
                    found.extend(responses.remove(&self.table).unwrap_or_default());
                }
                pending = answer
                    .unprocessed_keys
                    .and_then(|mut rest| rest.remove(&self.table))
                    .filter(|rest| !rest.keys().is_empty());
                if pending.is_some() {
                    self.before_resending(&mut attempt, doing).await?;
                }
            }
        }
        Ok(found)
    }

    /// Deletes many items (unconditionally; missing ones are fine).
    pub(super) async fn batch_delete(&self, keys: Vec<Item>, doing: &str) -> Result<(), DbError> {
        let requests = keys
            .into_iter()
            .map(|key| {
                built(DeleteRequest::builder().set_key(Some(key)).build())
                    .map(|delete| WriteRequest::builder().delete_request(delete).build())
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.batch_write(requests, doing).await
    }

    /// Puts many items (unconditionally: each replaces whatever had its key).
    pub(super) async fn batch_put(&self, items: Vec<Item>, doing: &str) -> Result<(), DbError> {
        let requests = items
            .into_iter()
            .map(|item| {
                built(PutRequest::builder().set_item(Some(item)).build())
                    .map(|put| WriteRequest::builder().put_request(put).build())
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.batch_write(requests, doing).await
    }

    /// Sends `requests` 25 at a time, each batch again for what the service left unprocessed. A batch is
    /// not atomic: callers order their writes so that a failure part-way leaves nothing a reader trips on.
    async fn batch_write(&self, requests: Vec<WriteRequest>, doing: &str) -> Result<(), DbError> {
        for chunk in requests.chunks(BATCH_WRITE_MAX) {
            let mut pending = chunk.to_vec();
            let mut attempt = 1;
            while !pending.is_empty() {
                let answer = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await
                    .map_err(|e| db_error(e, &self.table, doing))?;
                pending = answer
                    .unprocessed_items
                    .and_then(|mut rest| rest.remove(&self.table))
                    .unwrap_or_default();
                if !pending.is_empty() {
                    self.before_resending(&mut attempt, doing).await?;
                }
            }
        }
        Ok(())
    }

    /// Backs off before the unprocessed rest of a batch goes again; gives up when the table stays busy.
    async fn before_resending(&self, attempt: &mut u32, doing: &str) -> Result<(), DbError> {
        if *attempt >= BATCH_ATTEMPTS {
            return Err(DbError::unavailable(format!(
                "dynamodb: {doing} in table {}: items left unprocessed after {BATCH_ATTEMPTS} attempts",
                self.table
            )));
        }
        back_off(*attempt).await;
        *attempt += 1;
        Ok(())
    }
}
