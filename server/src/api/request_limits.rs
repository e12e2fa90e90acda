//! Limits on what one request may make the server hold: JSON bodies and small form fields are read into
//! memory, so each is capped (by its declared `Content-Length` before anything is read, and while a chunked
//! body streams), and must arrive within a time limit; header blocks are capped in size and count.
//! Uploads stream to storage and keep their own byte limit (`max_upload_bytes`) and a data-rate floor
//! (`upload_rate.rs`).

use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use poem::http::StatusCode;
use poem::{Endpoint, Request};

use super::problem::{problem_error, ProblemResponse};

/// What one request may make the server read into memory, and how long it may take to send it.
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    /// Largest JSON body an operation reads.
    pub max_json_bytes: u64,
    /// Largest multipart field other than `file` (such as `visibility`).
    pub max_form_field_bytes: u64,
    /// How long a JSON body may take to arrive, whole.
    pub body_read_timeout: Duration,
    /// Largest header block (names, values and their separators), and most header lines.
    pub max_header_bytes: usize,
    pub max_header_count: usize,
    /// An upload's data-rate floor: at least this many bytes per second over each window.
    pub upload_min_bytes_per_sec: u64,
    pub upload_rate_window: Duration,
}

impl RequestLimits {
    /// Refuses a body whose declared length is over `limit` before any of it is read.
    pub fn check_declared(request: &Request, limit: u64) -> poem::Result<()> {
        let declared = request
            .headers()
            .get(poem::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        match declared {
            Some(length) if length > limit => Err(ReadError::TooLarge(limit).into()),
            _ => Ok(()),
        }
    }
}

/// Why a capped read stopped.
#[derive(Debug)]
pub enum ReadError {
    TooLarge(u64),
    TimedOut(Duration),
    Broken(String),
}

impl ReadError {
    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            Self::TooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body exceeds the limit of {limit} bytes"),
            ),
            Self::TimedOut(within) => (
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                format!("the body did not arrive within {} s", within.as_secs_f64()),
            ),
            Self::Broken(reason) => (
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("reading the body failed: {reason}"),
            ),
        }
    }
}

impl From<ReadError> for poem::Error {
    fn from(err: ReadError) -> Self {
        let (status, code, detail) = err.parts();
        problem_error(status, code, detail)
    }
}

impl From<ReadError> for ProblemResponse {
    fn from(err: ReadError) -> Self {
        let (status, code, detail) = err.parts();
        // Operations document 400 and 413, not 408: a slow part of a form is a bad request there.
        let status = match status {
            StatusCode::REQUEST_TIMEOUT => StatusCode::BAD_REQUEST,
            other => other,
        };
        ProblemResponse::new(status, code, detail)
    }
}

/// Reads a whole body of at most `limit` bytes within `within`; a longer body stops being read at the
/// first chunk past the limit.
pub async fn read_capped<S, E>(
    stream: S,
    limit: u64,
    within: Duration,
) -> Result<Vec<u8>, ReadError>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: std::fmt::Display,
{
    let read = async {
        futures::pin_mut!(stream);
        let mut data = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| ReadError::Broken(e.to_string()))?;
            if (data.len() + chunk.len()) as u64 > limit {
                return Err(ReadError::TooLarge(limit));
            }
            data.extend_from_slice(&chunk);
        }
        Ok(data)
    };
    tokio::time::timeout(within, read)
        .await
        .map_err(|_| ReadError::TimedOut(within))?
}

/// Refuses a header block over the configured size or count with 431 (RFC 6585). hyper's own caps (a
/// 400 KiB read buffer, 100 headers) bound what is held before this runs.
pub async fn limit_headers<E: Endpoint>(
    next: E,
    req: Request,
    limits: RequestLimits,
) -> poem::Result<poem::Response> {
    let headers = req.headers();
    // Each line costs its name, value, ": " and CRLF, as on the wire.
    let size: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if headers.len() > limits.max_header_count || size > limits.max_header_bytes {
        return Err(problem_error(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            format!(
                "at most {} header lines and {} bytes of headers are accepted",
                limits.max_header_count, limits.max_header_bytes
            ),
        ));
    }
    Ok(next.get_response(req).await)
}
