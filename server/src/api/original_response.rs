//! `downloadOriginal`'s response: the bytes as `BlobResponse` answers them, or 202 while an original in a slow
//! archive class (S3 Glacier) is being restored, with `Retry-After` and a problem+json body saying so.

use std::time::Duration;

use darkroom_core::services::ServiceError;
use poem::http::{header, StatusCode};
use poem::{IntoResponse, Response};
use poem_openapi::registry::{MetaHeader, MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::Type;
use poem_openapi::ApiResponse;

use super::blob_response::BlobResponse;
use super::problem::Problem;

#[derive(Debug)]
pub enum OriginalResponse {
    Blob(BlobResponse),
    Restoring { retry_after: Duration },
}

impl OriginalResponse {
    /// `Restoring` for a restore under way; any other error stays one.
    pub fn restoring(err: ServiceError) -> Result<Self, ServiceError> {
        match err {
            ServiceError::OriginalRestoring { retry_after } => Ok(Self::Restoring { retry_after }),
            other => Err(other),
        }
    }
}

impl IntoResponse for OriginalResponse {
    fn into_response(self) -> Response {
        match self {
            Self::Blob(blob) => blob.into_response(),
            Self::Restoring { retry_after } => {
                let problem = Problem::new(
                    StatusCode::ACCEPTED,
                    "original_restoring",
                    "the original is being restored from the archive tier; ask again after Retry-After seconds",
                );
                Response::builder()
                    .status(StatusCode::ACCEPTED)
                    .content_type("application/problem+json")
                    .header(header::RETRY_AFTER, retry_after.as_secs().max(1))
                    .header(header::CACHE_CONTROL, "no-store")
                    .body(poem_openapi::types::ToJSON::to_json_string(&problem))
            }
        }
    }
}

impl ApiResponse for OriginalResponse {
    fn meta() -> MetaResponses {
        let mut meta = BlobResponse::meta();
        meta.responses.insert(
            1,
            MetaResponse {
                description:
                    "The original is in a slow archive tier and being restored: ask again after \
                              `Retry-After` seconds (code `original_restoring`).",
                status: Some(202),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: "application/problem+json",
                    schema: Problem::schema_ref(),
                }],
                headers: vec![MetaHeader {
                    name: "Retry-After".to_owned(),
                    description: Some("Seconds to wait before asking again.".to_owned()),
                    required: true,
                    deprecated: false,
                    schema: u64::schema_ref(),
                }],
            },
        );
        meta
    }

    fn register(registry: &mut Registry) {
        BlobResponse::register(registry);
    }
}
