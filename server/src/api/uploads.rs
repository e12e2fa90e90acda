//! Resumable uploads, S3-style: `createUpload`, `uploadPart`, `getUpload`, `completeUpload`,
//! `abortUpload`. Parts stream straight into the storage's multipart upload; completing checks the whole
//! exactly as `uploadImage` checks its body. Another account's upload answers 404, as if it did not exist.

use chrono::{DateTime, Utc};
use darkroom_core::domain::{Upload, UploadId, UploadPart, UploadStatus, Visibility};
use darkroom_core::services::uploads::{NewUploadRequest, PartChecksums, PartRequest};
use poem::web::Data;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};

use super::images::UploadResponse;
use super::models::VisibilityView;
use super::problem::ApiResult;
use super::security::BearerAuth;
use super::strict_json::StrictJson;
use super::upload_body::raw_stream;
use super::upload_rate::with_rate_floor;
use super::{ApiTags, AppState};

/// What `createUpload` takes; every field is optional.
#[derive(Debug, Object)]
pub struct NewUpload {
    /// The total size in bytes, when known: completion then checks the parts add up to it. More than
    /// `max_upload_bytes` (see `getLimits`) is 413.
    #[oai(validator(minimum(value = "1"), maximum(value = "1099511627776")))]
    pub size: Option<u64>,
    /// Who may see the image (default `private`).
    pub visibility: Option<VisibilityView>,
    /// The image's media type, an `image/*` type (informative: the bytes decide the format).
    #[oai(validator(max_length = 100, pattern = r"^image/[A-Za-z0-9.+-]+$"))]
    pub content_type: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "UploadStatus", rename_all = "lowercase")]
pub enum UploadStatusView {
    /// Taking parts.
    Open,
    /// Being assembled and checked.
    Completing,
    /// Became the image `image_id`.
    Completed,
}

impl From<UploadStatus> for UploadStatusView {
    fn from(status: UploadStatus) -> Self {
        match status {
            UploadStatus::Open => Self::Open,
            UploadStatus::Completing => Self::Completing,
            UploadStatus::Completed => Self::Completed,
        }
    }
}

/// A part received.
#[derive(Debug, Object)]
#[oai(rename = "UploadPart")]
pub struct PartView {
    pub number: u32,
    pub size: u64,
    /// The hex MD5 of the part's bytes (as S3 names a part).
    pub etag: String,
}

impl From<UploadPart> for PartView {
    fn from(part: UploadPart) -> Self {
        Self {
            number: part.number,
            size: part.size,
            etag: part.etag,
        }
    }
}

/// A resumable upload: send parts `1..=n` of `part_size` bytes each (the last may be shorter), then
/// complete it.
#[derive(Debug, Object)]
#[oai(rename = "Upload")]
pub struct UploadView {
    pub id: uuid::Uuid,
    pub status: UploadStatusView,
    /// The size of every part but the last, in bytes.
    pub part_size: u64,
    /// The most parts this upload may have.
    pub max_parts: u32,
    /// The parts received so far, by number: what to resume from.
    pub parts: Vec<PartView>,
    /// When an unfinished upload is aborted and removed.
    pub expires_at: DateTime<Utc>,
    #[oai(nullable)]
    pub size: Option<u64>,
    #[oai(nullable)]
    pub content_type: Option<String>,
    pub visibility: VisibilityView,
    /// The image it becomes (`getImage`), once completed.
    #[oai(nullable)]
    pub image_id: Option<uuid::Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, ApiResponse)]
pub enum CreatedUpload {
    /// Created: send its parts.
    #[oai(status = 201)]
    Created(Json<UploadView>),
}

#[derive(Debug, ApiResponse)]
pub enum PartResponse {
    /// Stored (replacing an earlier part of the same number). `ETag` is the quoted hex MD5 of the part.
    #[oai(status = 200)]
    Stored(Json<PartView>, #[oai(header = "ETag")] String),
}

#[derive(Debug, ApiResponse)]
pub enum AbortResponse {
    /// Abandoned: its parts are freed.
    #[oai(status = 204)]
    Aborted,
}

#[derive(Debug)]
pub struct UploadsApi;

#[OpenApi(tag = "ApiTags::Images")]
impl UploadsApi {
    /// Start a large, resumable upload: answers its id, `part_size` and `max_parts`.
    #[oai(path = "/v1/uploads", method = "post", operation_id = "createUpload")]
    async fn create_upload(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: StrictJson<NewUpload>,
    ) -> ApiResult<CreatedUpload> {
        let owner = auth.user(&state.auth)?;
        let body = body.0;
        let upload = state
            .uploads
            .create(NewUploadRequest {
                owner,
                size: body.size,
                content_type: body.content_type,
                visibility: body
                    .visibility
                    .map(Into::into)
                    .unwrap_or(Visibility::Private),
            })
            .await?;
        Ok(CreatedUpload::Created(Json(view(
            &state,
            upload,
            Vec::new(),
        ))))
    }

    /// Send part `number` (1 to `max_parts`) as the raw body; sending a number again replaces it. A
    /// `Content-MD5` or `x-amz-checksum-sha256` header (base64) is verified: a mismatch stores nothing.
    #[oai(
        path = "/v1/uploads/:id/parts/:number",
        method = "put",
        operation_id = "uploadPart"
    )]
    // poem-openapi takes each parameter and header as an argument of its own.
    #[allow(clippy::too_many_arguments)]
    async fn upload_part(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        #[oai(validator(minimum(value = "1"), maximum(value = "10000")))] number: Path<u32>,
        /// The base64 MD5 of the part (RFC 1864).
        #[oai(name = "Content-MD5", validator(max_length = 64))]
        content_md5: Header<Option<String>>,
        /// The base64 SHA-256 of the part, as S3 takes it.
        #[oai(name = "x-amz-checksum-sha256", validator(max_length = 64))]
        checksum_sha256: Header<Option<String>>,
        body: Binary<poem::Body>,
    ) -> ApiResult<PartResponse> {
        let owner = auth.user(&state.auth)?;
        let limits = state.limits;
        let body = with_rate_floor(
            raw_stream(body.0),
            limits.upload_min_bytes_per_sec,
            limits.upload_rate_window,
        );
        let part = state
            .uploads
            .put_part(PartRequest {
                owner,
                upload: UploadId(id.0),
                number: number.0,
                checksums: PartChecksums {
                    content_md5: content_md5.0,
                    sha256: checksum_sha256.0,
                },
                body,
            })
            .await?;
        let etag = format!("\"{}\"", part.etag);
        Ok(PartResponse::Stored(Json(part.into()), etag))
    }

    /// The upload and the parts received so far (to resume after a lost connection).
    #[oai(path = "/v1/uploads/:id", method = "get", operation_id = "getUpload")]
    async fn get_upload(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
    ) -> ApiResult<Json<UploadView>> {
        let owner = auth.user(&state.auth)?;
        let (upload, parts) = state.uploads.get(owner, UploadId(id.0)).await?;
        Ok(Json(view(&state, upload, parts)))
    }

    /// Assemble the parts into the image, check it as `uploadImage` does, and queue its processing.
    #[oai(
        path = "/v1/uploads/:id/complete",
        method = "post",
        operation_id = "completeUpload"
    )]
    async fn complete_upload(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        /// Replaying a completion with the same key answers the same image.
        #[oai(name = "Idempotency-Key", validator(min_length = 1, max_length = 255))]
        idempotency_key: Header<Option<String>>,
    ) -> ApiResult<UploadResponse> {
        let owner = auth.user(&state.auth)?;
        let image = state
            .uploads
            .complete(owner, UploadId(id.0), idempotency_key.0)
            .await?;
        Ok(UploadResponse::Accepted(Json(
            state.images.shown_one(owner, image).await?.into(),
        )))
    }

    /// Abandon the upload and free its parts.
    #[oai(
        path = "/v1/uploads/:id",
        method = "delete",
        operation_id = "abortUpload"
    )]
    async fn abort_upload(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
    ) -> ApiResult<AbortResponse> {
        let owner = auth.user(&state.auth)?;
        state.uploads.abort(owner, UploadId(id.0)).await?;
        Ok(AbortResponse::Aborted)
    }
}

fn view(state: &AppState, upload: Upload, parts: Vec<UploadPart>) -> UploadView {
    UploadView {
        id: upload.id.0,
        status: upload.status.into(),
        part_size: state.uploads.settings().part_bytes,
        max_parts: state.uploads.max_parts(),
        parts: parts.into_iter().map(Into::into).collect(),
        expires_at: upload.expires_at,
        size: upload.size,
        content_type: upload.content_type,
        visibility: upload.visibility.into(),
        image_id: (upload.status == UploadStatus::Completed).then_some(upload.image_id.0),
        created_at: upload.created_at,
    }
}
