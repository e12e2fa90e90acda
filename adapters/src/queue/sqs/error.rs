//! How SQS SDK errors become `QueueError`s. SQS's JSON protocol and moto word the same failure with
//! different codes (`QueueDoesNotExist` or `AWS.SimpleQueueService.NonExistentQueue`), so codes are
//! matched by family rather than through each operation's error enum.

use std::error::Error;

use aws_sdk_sqs::config::http::HttpResponse;
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use darkroom_core::ports::QueueError;

/// What a failed call means to the adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Failure {
    /// The receipt handle is unknown, expired, or its message is no longer in flight.
    StaleReceipt,
    /// The queue does not exist (not created yet, or deleted behind our back).
    NoSuchQueue,
    /// `CreateQueue` met a queue of that name with other attributes.
    QueueExists,
    /// Connection, timeout, throttling, server or credential trouble: worth retrying later.
    Unavailable,
    Other,
}

pub(super) fn classify<E>(err: &SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata,
{
    match err {
        SdkError::ServiceError(_) => classify_code(
            err.code().unwrap_or_default(),
            err.message().unwrap_or_default(),
            err.raw_response().map(|raw| raw.status().as_u16()),
        ),
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            Failure::Unavailable
        }
        _ => Failure::Other,
    }
}

/// Builds the port's error for a call that failed doing `doing` (e.g. "sending to queue x").
pub(super) fn to_queue_error<E>(err: SdkError<E, HttpResponse>, doing: &str) -> QueueError
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
{
    match classify(&err) {
        Failure::StaleReceipt => QueueError::InvalidReceipt,
        Failure::Unavailable => QueueError::unavailable_from(format!("sqs: {doing}"), err),
        Failure::NoSuchQueue | Failure::QueueExists | Failure::Other => {
            QueueError::other_from(format!("sqs: {doing}"), err)
        }
    }
}

fn classify_code(code: &str, message: &str, status: Option<u16>) -> Failure {
    let code = code.trim_start_matches("AWS.SimpleQueueService.");
    match code {
        "ReceiptHandleIsInvalid" | "MessageNotInflight" | "InvalidIdFormat" => {
            Failure::StaleReceipt
        }
        // Real SQS answers a visibility change for a message no longer in flight with this generic code.
        "InvalidParameterValue" if message.to_ascii_lowercase().contains("receipt") => {
            Failure::StaleReceipt
        }
        "QueueDoesNotExist" | "NonExistentQueue" => Failure::NoSuchQueue,
        "QueueNameExists" | "QueueAlreadyExists" => Failure::QueueExists,
        "RequestThrottled"
        | "Throttling"
        | "ThrottlingException"
        | "ServiceUnavailable"
        | "InternalError"
        | "InternalFailure"
        | "KmsThrottled"
        | "AccessDenied"
        | "AccessDeniedException"
        | "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "UnrecognizedClientException"
        | "InvalidSecurity"
        | "ExpiredToken"
        | "MissingAuthenticationToken"
        | "IncompleteSignature" => Failure::Unavailable,
        _ if status.is_some_and(|s| s >= 500) => Failure::Unavailable,
        _ => Failure::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_by_family() {
        assert_eq!(
            classify_code("ReceiptHandleIsInvalid", "", None),
            Failure::StaleReceipt
        );
        assert_eq!(
            classify_code(
                "InvalidParameterValue",
                "Value x for parameter ReceiptHandle is invalid. Reason: Message does not exist",
                Some(400)
            ),
            Failure::StaleReceipt
        );
        assert_eq!(
            classify_code(
                "InvalidParameterValue",
                "MaxNumberOfMessages is invalid",
                Some(400)
            ),
            Failure::Other
        );
        assert_eq!(
            classify_code("AWS.SimpleQueueService.NonExistentQueue", "", Some(400)),
            Failure::NoSuchQueue
        );
        assert_eq!(
            classify_code("QueueAlreadyExists", "", Some(400)),
            Failure::QueueExists
        );
        assert_eq!(
            classify_code("RequestThrottled", "", Some(400)),
            Failure::Unavailable
        );
        assert_eq!(classify_code("Weird", "", Some(503)), Failure::Unavailable);
        assert_eq!(classify_code("Weird", "", Some(400)), Failure::Other);
    }
}
