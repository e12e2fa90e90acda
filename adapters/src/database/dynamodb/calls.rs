//! The calls every repository makes: strongly consistent reads, transactions whose failed conditions come
//! back as data, and retries of writes that lost a race with a transaction.

use std::future::Future;
use std::time::Duration;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::TransactWriteItem;
use darkroom_core::ports::DbError;

use super::errors::{db_error, is_conflict};
use super::keys::Item;
use super::DynamoDatabase;

/// How often a write that met a concurrent transaction is tried again before the table counts as busy.
const CONFLICT_ATTEMPTS: u32 = 10;

/// What a transaction did.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Transacted {
    Done,
    /// Nothing was written: the conditions of these items (indexes into the request) did not hold.
    ConditionsFailed(Vec<usize>),
}

impl Transacted {
    /// Whether the condition of item `index` failed.
    pub(super) fn failed(&self, index: usize) -> bool {
        matches!(self, Self::ConditionsFailed(failed) if failed.contains(&index))
    }
}

/// Waits a little before another attempt, more each time, with jitter so racing writers spread out.
pub(super) async fn back_off(attempt: u32) {
    let ceiling = 10u64.saturating_mul(1 << attempt.min(6)).min(500);
    let jitter = (uuid::Uuid::new_v4().as_u128() % 1000) as u64;
    tokio::time::sleep(Duration::from_millis(ceiling / 2 + ceiling * jitter / 2000)).await;
}

/// Sends `call` again while it loses races with transactions on the same items.
pub(super) async fn retry_conflicts<O, E, F, Fut>(
    mut call: F,
) -> Result<O, SdkError<E, HttpResponse>>
where
    E: ProvideErrorMetadata,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<O, SdkError<E, HttpResponse>>>,
{
    let mut attempt = 1;
    loop {
        match call().await {
            Err(e) if attempt < CONFLICT_ATTEMPTS && is_conflict(&e) => {
                back_off(attempt).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

impl DynamoDatabase {
    /// A strongly consistent read of one item.
    pub(super) async fn get(&self, key: Item, doing: &str) -> Result<Option<Item>, DbError> {
        let found = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| db_error(e, &self.table, doing))?;
        Ok(found.item)
    }

    /// Puts `item`, replacing whatever had its key.
    pub(super) async fn put(&self, item: Item, doing: &str) -> Result<(), DbError> {
        retry_conflicts(|| {
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item.clone()))
                .send()
        })
        .await
        .map_err(|e| db_error(e, &self.table, doing))?;
        Ok(())
    }

    /// Writes `items` all or nothing. Lost races with other transactions are tried again; failed conditions
    /// come back as `ConditionsFailed`, and every other cancellation is an error.
    pub(super) async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
        doing: &str,
    ) -> Result<Transacted, DbError> {
        let mut attempt = 1;
        loop {
            let sent = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let err = match sent {
                Ok(_) => return Ok(Transacted::Done),
                Err(err) => err,
            };
            let codes: Vec<String> = match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => cancelled
                    .cancellation_reasons()
                    .iter()
                    .map(|reason| reason.code().unwrap_or("None").to_owned())
                    .collect(),
                _ if attempt < CONFLICT_ATTEMPTS && is_conflict(&err) => {
                    Vec::from(["TransactionConflict".to_owned()])
                }
                _ => return Err(db_error(err, &self.table, doing)),
            };
            match verdict(&codes) {
                Verdict::Retry if attempt < CONFLICT_ATTEMPTS => {
                    back_off(attempt).await;
                    attempt += 1;
                }
                Verdict::Retry | Verdict::Busy => {
                    return Err(DbError::unavailable(format!(
                        "dynamodb: {doing} in table {}: transaction cancelled ({})",
                        self.table,
                        codes.join(", ")
                    )))
                }
                Verdict::ConditionsFailed(failed) => {
                    return Ok(Transacted::ConditionsFailed(failed))
                }
                Verdict::Error => return Err(db_error(err, &self.table, doing)),
            }
        }
    }
}

/// What the cancellation reasons of a transaction (one code per item, `None` for items that were fine)
/// call for.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// It met another transaction on the same items: try again.
    Retry,
    /// Throttled: the table is busy.
    Busy,
    /// Only conditions failed, these.
    ConditionsFailed(Vec<usize>),
    /// Anything else (a validation error, an item collection too large): a bug, reported as is.
    Error,
}

fn verdict(codes: &[String]) -> Verdict {
    let has = |code: &str| codes.iter().any(|c| c == code);
    if has("TransactionConflict") {
        return Verdict::Retry;
    }
    if has("ThrottlingError") || has("ProvisionedThroughputExceeded") || has("RequestLimitExceeded")
    {
        return Verdict::Busy;
    }
    let failed: Vec<usize> = codes
        .iter()
        .enumerate()
        .filter(|(_, code)| *code == "ConditionalCheckFailed")
        .map(|(index, _)| index)
        .collect();
    if failed.is_empty()
        || codes
            .iter()
            .any(|c| c != "None" && c != "ConditionalCheckFailed")
    {
        Verdict::Error
    } else {
        Verdict::ConditionsFailed(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_outcomes_name_their_failed_items() {
        let failed = Transacted::ConditionsFailed(vec![1, 3]);
        assert!(failed.failed(1) && failed.failed(3) && !failed.failed(0));
        assert!(!Transacted::Done.failed(0));
    }

    #[test]
    fn cancellation_reasons_decide_what_happens() {
        let codes = |codes: &[&str]| codes.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            verdict(&codes(&[
                "None",
                "ConditionalCheckFailed",
                "None",
                "ConditionalCheckFailed"
            ])),
            Verdict::ConditionsFailed(vec![1, 3])
        );
        assert_eq!(
            verdict(&codes(&["ConditionalCheckFailed", "TransactionConflict"])),
            Verdict::Retry
        );
        assert_eq!(verdict(&codes(&["None", "ThrottlingError"])), Verdict::Busy);
        assert_eq!(
            verdict(&codes(&["ConditionalCheckFailed", "ValidationError"])),
            Verdict::Error
        );
        assert_eq!(verdict(&codes(&["None", "None"])), Verdict::Error);
    }
}
