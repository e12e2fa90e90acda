//! How DynamoDB SDK errors become `DbError`s. Failed conditions never get here: each operation reads them
//! as outcomes (`Conflict`, `false`, a replay). What remains is trouble reaching or using the table.

use std::error::Error;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{BuildError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use darkroom_core::ports::DbError;

use crate::database::context::context;

/// Codes that say "not now": throttling, capacity, conflicts with other writers that outlasted our retries,
/// server trouble, and credentials the service refuses (an operator must fix those; nothing else will).
const UNAVAILABLE_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "LimitExceededException",
    "TransactionConflictException",
    "TransactionInProgressException",
    "InternalServerError",
    "ServiceUnavailable",
    "AccessDeniedException",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "MissingAuthenticationTokenException",
    "ExpiredTokenException",
    "IncompleteSignatureException",
];

/// Builds the port's error for a call on `table` that failed doing `doing` (e.g. "reading user x").
pub(super) fn db_error<E>(err: SdkError<E, HttpResponse>, table: &str, doing: &str) -> DbError
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
{
    let what = format!("dynamodb: {doing} in table {table}");
    match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            DbError::Unavailable(context(what, sdk_cause(err)))
        }
        SdkError::ServiceError(_) => {
            let code = err.code().unwrap_or_default();
            let status = err.raw_response().map(|raw| raw.status().as_u16());
            if code == "ResourceNotFoundException" {
                DbError::Other(context(
                    format!("dynamodb: table {table} does not exist (run the migration): {doing}"),
                    sdk_cause(err),
                ))
            } else if UNAVAILABLE_CODES.contains(&code) || status.is_some_and(|s| s >= 500) {
                DbError::Unavailable(context(what, sdk_cause(err)))
            } else {
                DbError::Other(context(what, sdk_cause(err)))
            }
        }
        _ => DbError::Other(context(what, sdk_cause(err))),
    }
}

/// The SDK's error with everything it knows (code, message, request id) in one line. Its own `Display`
/// says only "service error"; `DisplayErrorContext` walks its sources, which the chain would repeat.
fn sdk_cause<E>(err: SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
{
    DisplayErrorContext(&err).to_string()
}

/// The error of a write that can carry a condition (UpdateItem, PutItem, DeleteItem), which says whether the
/// condition is what failed.
pub(super) trait ConditionalWriteError:
    ProvideErrorMetadata + Error + Send + Sync + 'static
{
    fn is_condition_failed(&self) -> bool;
}

impl ConditionalWriteError for UpdateItemError {
    fn is_condition_failed(&self) -> bool {
        matches!(self, Self::ConditionalCheckFailedException(_))
    }
}

impl ConditionalWriteError for PutItemError {
    fn is_condition_failed(&self) -> bool {
        matches!(self, Self::ConditionalCheckFailedException(_))
    }
}

impl ConditionalWriteError for DeleteItemError {
    fn is_condition_failed(&self) -> bool {
        matches!(self, Self::ConditionalCheckFailedException(_))
    }
}

/// A conditional write's answer: its output, or `None` when the condition did not hold (an outcome the caller
/// reads, not an error).
pub(super) fn unless_condition_failed<T, E: ConditionalWriteError>(
    result: Result<T, SdkError<E, HttpResponse>>,
    table: &str,
    doing: &str,
) -> Result<Option<T>, DbError> {
    match result {
        Ok(output) => Ok(Some(output)),
        Err(e) if e.as_service_error().is_some_and(E::is_condition_failed) => Ok(None),
        Err(e) => Err(db_error(e, table, doing)),
    }
}

/// Whether the call lost a race with a transaction on the same item: worth trying again at once.
pub(super) fn is_conflict<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    err.code() == Some("TransactionConflictException")
}

/// A request the SDK refused to build: a bug here, never the caller's input.
pub(super) fn built<T>(result: Result<T, BuildError>) -> Result<T, DbError> {
    result.map_err(|e| DbError::Other(context("dynamodb: cannot build request", e)))
}
