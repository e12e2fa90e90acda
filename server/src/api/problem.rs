//! RFC 9457 problem details: the one error shape of the API, with a stable `code`. Service errors map to
//! it here, once; errors raised by the framework (parse errors, unknown routes, missing auth) are turned into
//! the same shape by `framework_error`.

use darkroom_core::ports::source::chain;
use darkroom_core::services::ServiceError;
use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::types::ToJSON;
use poem_openapi::{ApiResponse, Object};

const PROBLEM_JSON: &str = "application/problem+json";

/// A problem detail (RFC 9457).
#[derive(Debug, Clone, Object)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:darkroom:problem:{code}`.
    #[oai(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable and machine-readable; clients switch on this.
    pub code: String,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("urn:darkroom:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
        }
    }
}

/// Every error an operation can answer with. Listed on every operation, so clients and checkers know them.
#[derive(Debug, ApiResponse)]
pub enum ProblemResponse {
    /// The request is malformed or a field is invalid.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// No valid credentials.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    /// No such resource, or not one the caller may see.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// The resource is in a state that does not allow this, or a unique value is taken.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// The body is over the configured limit.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// The body is not of a type this server accepts.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// Well-formed, but cannot be done (e.g. an idempotency key reused with another body).
    #[oai(status = 422, content_type = "application/problem+json")]
    Unprocessable(Json<Problem>),
    /// Too many requests, or too many failed logins; `Retry-After` says in how many seconds to try again.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooManyRequests(Json<Problem>, #[oai(header = "Retry-After")] Option<u64>),
    /// Something failed on our side; the detail says nothing about internals.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
    /// A backend is unavailable; try again.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>),
}

impl ProblemResponse {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        let problem = Json(Problem::new(status, code, detail));
        match status.as_u16() {
            401 => Self::Unauthorized(problem),
            404 => Self::NotFound(problem),
            409 => Self::Conflict(problem),
            413 => Self::PayloadTooLarge(problem),
            415 => Self::UnsupportedMediaType(problem),
            422 => Self::Unprocessable(problem),
            429 => Self::TooManyRequests(problem, None),
            503 => Self::Unavailable(problem),
            s if s >= 500 => Self::Internal(problem),
            _ => Self::BadRequest(problem),
        }
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }

    pub fn too_many_requests(detail: impl Into<String>, retry_after_secs: u64) -> Self {
        let problem = Problem::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", detail);
        Self::TooManyRequests(Json(problem), Some(retry_after_secs.max(1)))
    }

    pub fn bad_request(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }
}

impl From<ServiceError> for ProblemResponse {
    fn from(err: ServiceError) -> Self {
        let status = match &err {
            // A bad signature is a 403, which `transformImage` answers itself (this list has no 403).
            ServiceError::Validation(_)
            | ServiceError::EmptyBody
            | ServiceError::UploadInterrupted(_)
            | ServiceError::InvalidTransform(_)
            | ServiceError::InvalidEdit(_)
            | ServiceError::BadSignature
            | ServiceError::ChecksumMismatch(_) => StatusCode::BAD_REQUEST,
            ServiceError::UploadNotOpen(_) | ServiceError::UploadIncomplete(_) => {
                StatusCode::CONFLICT
            }
            // 409 rather than 410: every operation lists the same problem statuses, and 409 is the state one.
            ServiceError::UploadPartsGone => StatusCode::CONFLICT,
            ServiceError::PartTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ServiceError::InvalidCredentials | ServiceError::Unauthenticated => {
                StatusCode::UNAUTHORIZED
            }
            ServiceError::Taken(_) | ServiceError::NotReady | ServiceError::Rejected(_) => {
                StatusCode::CONFLICT
            }
            ServiceError::NotFound => StatusCode::NOT_FOUND,
            ServiceError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ServiceError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ServiceError::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            // A bounded resource is full: nothing failed, so nothing to log as an error.
            ServiceError::Busy => {
                return Self::new(StatusCode::SERVICE_UNAVAILABLE, err.code(), err.to_string())
            }
            // An archived original restoring (where the operation has no 202 of its own, as
            // `downloadOriginal` has): nothing failed either.
            ServiceError::OriginalRestoring { .. } => {
                return Self::new(StatusCode::SERVICE_UNAVAILABLE, err.code(), err.to_string())
            }
            err if err.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let detail = if status.is_server_error() {
            // Internals go to the log, with their whole chain of causes, never to the client.
            tracing::error!(error = %chain(&err), code = err.code(), "request failed");
            match status {
                StatusCode::SERVICE_UNAVAILABLE => {
                    "a backend is unavailable; try again shortly".to_owned()
                }
                _ => "an internal error occurred".to_owned(),
            }
        } else {
            err.to_string()
        };
        Self::new(status, err.code(), detail)
    }
}

/// Turns an error the framework raised (no operation saw the request, or its parameters did not parse)
/// into a problem. Errors that already carry a response (ours) pass through untouched.
pub async fn framework_error(err: poem::Error) -> poem::Response {
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    let code = match status.as_u16() {
        400 => "bad_request",
        401 => "unauthenticated",
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "payload_too_large",
        429 => "rate_limited",
        431 => "headers_too_large",
        415 => "unsupported_media_type",
        s if s >= 500 => "internal_error",
        _ => "request_error",
    };
    let detail = if status.is_server_error() {
        tracing::error!(error = %err, "unhandled error");
        "an internal error occurred".to_owned()
    } else {
        err.to_string()
    };
    problem_response(status, code, detail)
}

/// A problem as a finished response, for middleware and extractors that answer before any operation runs.
pub fn problem_response(
    status: StatusCode,
    code: &str,
    detail: impl Into<String>,
) -> poem::Response {
    let body = Problem::new(status, code, detail).to_json_string();
    poem::Response::builder()
        .status(status)
        .content_type(PROBLEM_JSON)
        .body(body)
}

/// A problem as an error that carries its response, so `framework_error` passes it through untouched.
pub fn problem_error(status: StatusCode, code: &str, detail: impl Into<String>) -> poem::Error {
    poem::Error::from_response(problem_response(status, code, detail))
}

pub type ApiResult<T> = Result<T, ProblemResponse>;
