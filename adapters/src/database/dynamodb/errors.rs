//! How DynamoDB SDK errors become `DbError`s. Failed conditions never get here: each operation reads them
//! as outcomes (`AlreadyExists`, `false`, a replay). What remains is trouble reaching or using the table.

use std::error::Error;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{BuildError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use darkroom_core::ports::DbError;

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
    E: ProvideErrorMetadata + Error + 'static,
{
    let message = format!(
        "dynamodb: {doing} in table {table}: {}",
        DisplayErrorContext(&err)
    );
    match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            DbError::Unavailable(message)
        }
        SdkError::ServiceError(_) => {
            let code = err.code().unwrap_or_default();
            let status = err.raw_response().map(|raw| raw.status().as_u16());
            if code == "ResourceNotFoundException" {
                DbError::Other(format!(
                    "dynamodb: table {table} does not exist (run the migration): {doing}"
                ))
            } else if UNAVAILABLE_CODES.contains(&code) || status.is_some_and(|s| s >= 500) {
                DbError::Unavailable(message)
            } else {
                DbError::Other(message)
            }
        }
        _ => DbError::Other(message),
    }
}

/// Whether the call lost a race with a transaction on the same item: worth trying again at once.
pub(super) fn is_conflict<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    err.code() == Some("TransactionConflictException")
}

/// A request the SDK refused to build: a bug here, never the caller's input.
pub(super) fn built<T>(result: Result<T, BuildError>) -> Result<T, DbError> {
    result.map_err(|e| DbError::Other(format!("dynamodb: cannot build request: {e}")))
}
