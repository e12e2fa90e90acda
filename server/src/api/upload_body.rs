//! The two bodies `uploadImage` accepts, parsed lazily so the image streams straight into storage:
//! `multipart/form-data` (field `file`, optional `visibility`) and a raw `image/*` body. poem-openapi's own
//! multipart type would spool the whole file to a temporary file first, which is what we must not do.

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use poem::web::Multipart;
use poem::{FromRequest, Request, RequestBody};
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use poem_openapi::ApiRequest;
use tokio_util::io::ReaderStream;

use super::models::VisibilityView;

/// An upload body.
#[derive(Debug, ApiRequest)]
pub enum UploadBody {
    /// `file`: the image; `visibility` (optional): public, followers or private. Put `visibility` before
    /// `file` to have it applied in the same write.
    Multipart(MultipartUpload),
    /// The image bytes themselves, with their `image/…` content type.
    Raw(RawImage),
}

/// A `multipart/form-data` upload, not yet read.
pub struct MultipartUpload(pub Multipart);

impl std::fmt::Debug for MultipartUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MultipartUpload")
    }
}

impl Payload for MultipartUpload {
    const CONTENT_TYPE: &'static str = "multipart/form-data";

    fn check_content_type(content_type: &str) -> bool {
        essence(content_type) == Self::CONTENT_TYPE
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            required: vec!["file"],
            properties: vec![
                ("file", non_empty_binary()),
                ("visibility", VisibilityView::schema_ref()),
            ],
            ..MetaSchema::new("object")
        }))
    }

    fn register(registry: &mut Registry) {
        VisibilityView::register(registry);
    }
}

impl ParsePayload for MultipartUpload {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        Ok(Self(Multipart::from_request(request, body).await?))
    }
}

/// A raw image body, not yet read.
pub struct RawImage {
    pub body: poem::Body,
    pub declared_length: Option<u64>,
}

impl std::fmt::Debug for RawImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawImage")
            .field("declared_length", &self.declared_length)
            .finish_non_exhaustive()
    }
}

impl Payload for RawImage {
    const CONTENT_TYPE: &'static str = "image/*";

    fn check_content_type(content_type: &str) -> bool {
        essence(content_type).starts_with("image/")
    }

    fn schema_ref() -> MetaSchemaRef {
        non_empty_binary()
    }
}

/// Bytes, at least one of them (an empty body is `400 empty_body`).
fn non_empty_binary() -> MetaSchemaRef {
    MetaSchemaRef::Inline(Box::new(MetaSchema {
        min_length: Some(1),
        ..MetaSchema::new_with_format("string", "binary")
    }))
}

impl ParsePayload for RawImage {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let declared_length = request
            .headers()
            .get(poem::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        Ok(Self {
            body: body.take()?,
            declared_length,
        })
    }
}

/// The media type without parameters, lowercased.
fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// A body as the image service takes it: chunks, or why the client's stream broke.
pub type ChunkStream = BoxStream<'static, Result<Bytes, String>>;

pub fn raw_stream(body: poem::Body) -> ChunkStream {
    body.into_bytes_stream().map_err(|e| e.to_string()).boxed()
}

/// Chunks read from a multipart field. `ReaderStream`'s default 4 KiB buffer would make a 90 MB upload
/// twenty thousand chunks, each hashed, sniffed and copied into storage's part buffer on its own.
const FIELD_CHUNK: usize = 256 * 1024;

pub fn field_stream(field: poem::web::Field) -> ChunkStream {
    ReaderStream::with_capacity(field.into_async_read(), FIELD_CHUNK)
        .map_err(|e| e.to_string())
        .boxed()
}
