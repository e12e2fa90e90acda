//! `uploadImage`, `getImage`, `listMyImages`, `updateImage`, `deleteImage`, `restoreImage`.

use darkroom_core::domain::{ImageId, ImagePatch, Visibility};
use darkroom_core::services::images::UploadRequest;
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::models::{ImagePage, ImageView, VisibilityView};
use super::pagination::page_request;
use super::problem::{ApiResult, ProblemResponse};
use super::request_limits::{read_capped, RequestLimits};
use super::security::{BearerAuth, MaybeAuth};
use super::strict_json::StrictJson;
use super::upload_body::{field_stream, raw_stream, UploadBody};
use super::upload_rate::with_rate_floor;
use super::{ApiTags, AppState};

#[derive(Debug, ApiResponse)]
pub enum UploadResponse {
    /// Stored; processing has been queued (`status` is `processing`), or this is the image an earlier
    /// request with the same `Idempotency-Key` and body made.
    #[oai(status = 202)]
    Accepted(Json<ImageView>),
}

#[derive(Debug, ApiResponse)]
pub enum DeleteResponse {
    /// The image is hidden from everyone at once; `restoreImage` brings it back within `retention_days`,
    /// after which its variants and blobs are purged for good.
    #[oai(status = 204)]
    Deleted,
}

/// The owner's changes; absent fields stay as they are, `alt_text: null` clears it.
#[derive(Debug, Object)]
pub struct ImageUpdate {
    /// `null` or absent: unchanged.
    #[oai(nullable)]
    pub visibility: Option<VisibilityView>,
    /// `null` clears it; absent: unchanged.
    #[oai(nullable, validator(max_length = 1000))]
    pub alt_text: MaybeUndefined<String>,
    /// Replaces the user tags; `null` or absent: unchanged.
    #[oai(nullable, validator(max_items = 30, unique_items))]
    pub tags: Option<Vec<Tag>>,
}

/// A user tag: 1 to 50 characters.
pub type Tag = String;

#[derive(Debug)]
pub struct ImagesApi;

#[OpenApi(tag = "ApiTags::Images")]
impl ImagesApi {
    /// Upload an image (multipart field `file`, or a raw `image/*` body). It streams to storage; processing
    /// happens in the background. Formats are recognised by their bytes, not by the declared type.
    #[oai(path = "/v1/images", method = "post", operation_id = "uploadImage")]
    async fn upload_image(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: UploadBody,
        /// Replaying a request with the same key and body returns the same image instead of a new one.
        #[oai(name = "Idempotency-Key", validator(min_length = 1, max_length = 255))]
        idempotency_key: Header<Option<String>>,
        /// Who may see the image (default `private`). A multipart `visibility` field wins over this.
        visibility: Query<Option<VisibilityView>>,
    ) -> ApiResult<UploadResponse> {
        let owner = auth.user(&state.auth)?;
        let mut visibility: Visibility =
            visibility.0.map(Into::into).unwrap_or(Visibility::Private);
        let images = &state.images;
        let limit = images.settings().limits.max_bytes;
        let limits = state.limits;
        let floor = |body| {
            with_rate_floor(
                body,
                limits.upload_min_bytes_per_sec,
                limits.upload_rate_window,
            )
        };
        let request = |body, visibility| UploadRequest {
            owner,
            visibility,
            idempotency_key: idempotency_key.0.clone(),
            body,
        };
        let image = match body {
            UploadBody::Raw(raw) => {
                if raw.declared_length.is_some_and(|len| len > limit) {
                    return Err(
                        darkroom_core::services::ServiceError::PayloadTooLarge { limit }.into(),
                    );
                }
                images
                    .upload(request(floor(raw_stream(raw.body)), visibility))
                    .await?
            }
            UploadBody::Multipart(mut form) => {
                let mut uploaded = None;
                while let Some(field) = form.0.next_field().await.map_err(bad_form)? {
                    match field.name() {
                        Some("visibility") => {
                            let text = small_field(field, state.limits).await?;
                            visibility = parse_visibility(&text)?;
                            if let Some(image) = &uploaded {
                                // Sent after the file: apply it as a change to what was just stored.
                                let patch = ImagePatch {
                                    visibility: Some(visibility),
                                    ..ImagePatch::default()
                                };
                                uploaded = Some(
                                    images
                                        .update(owner, ImageId(image_id(image)), &patch)
                                        .await?,
                                );
                            }
                        }
                        Some("file") if uploaded.is_none() => {
                            uploaded = Some(
                                images
                                    .upload(request(floor(field_stream(field)), visibility))
                                    .await?,
                            );
                        }
                        _ => {
                            // Unknown fields and extra files are read past, never stored, and
                            // capped like any small field so that they cannot tie the request up.
                            small_field(field, state.limits).await?;
                        }
                    }
                }
                uploaded.ok_or_else(|| {
                    ProblemResponse::bad_request("missing_file", "the form has no `file` field")
                })?
            }
        };
        Ok(UploadResponse::Accepted(Json(
            images.shown_one(owner, image).await?.into(),
        )))
    }

    /// An image's metadata, status and variant URLs.
    #[oai(path = "/v1/images/:id", method = "get", operation_id = "getImage")]
    async fn get_image(
        &self,
        state: Data<&AppState>,
        auth: MaybeAuth,
        id: Path<uuid::Uuid>,
    ) -> ApiResult<Json<ImageView>> {
        let viewer = auth.viewer(&state.auth)?;
        Ok(Json(state.images.show(viewer, ImageId(id.0)).await?.into()))
    }

    /// The caller's images, newest first.
    #[oai(path = "/v1/me/images", method = "get", operation_id = "listMyImages")]
    async fn list_my_images(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        /// Page size, 1 to 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
        /// `next_cursor` of the previous page (opaque; the pattern is the domain's `Cursor::PATTERN`).
        #[oai(validator(pattern = r"^[0-9]{1,16}\.[0-9a-f]{32}$"))]
        cursor: Query<Option<String>>,
        /// Only images carrying this tag, exactly: one of your own `tags` or one of the `auto_tags`
        /// (e.g. `portrait`, `color:blue`, `camera:canon`, `year:2008`). With a tag, a page may hold fewer
        /// than `limit` images while `next_cursor` is set; only a null `next_cursor` ends the list.
        #[oai(validator(min_length = 1, max_length = 50))]
        tag: Query<Option<String>>,
    ) -> ApiResult<Json<ImagePage>> {
        let owner = auth.user(&state.auth)?;
        let page = page_request(limit.0, cursor.0.as_deref())?;
        let page = state
            .images
            .list_mine(owner, tag.0.as_deref(), page)
            .await?;
        let shown = state.images.shown_to(owner, page.items).await?;
        Ok(Json(ImagePage {
            items: shown.into_iter().map(Into::into).collect(),
            next_cursor: page.next.map(|c| c.encode()),
        }))
    }

    /// Change visibility, alt text or user tags.
    #[oai(
        path = "/v1/images/:id",
        method = "patch",
        operation_id = "updateImage"
    )]
    async fn update_image(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        body: StrictJson<ImageUpdate>,
    ) -> ApiResult<Json<ImageView>> {
        let owner = auth.user(&state.auth)?;
        let body = body.0;
        if let Some(tags) = &body.tags {
            if tags.iter().any(|t| t.is_empty() || t.chars().count() > 50) {
                return Err(ProblemResponse::bad_request(
                    "validation_failed",
                    "tags must be 1 to 50 characters",
                ));
            }
        }
        let patch = ImagePatch {
            visibility: body.visibility.map(Into::into),
            alt_text: match body.alt_text {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(text) => Some(Some(text)),
            },
            tags: body.tags,
        };
        let image = state.images.update(owner, ImageId(id.0), &patch).await?;
        Ok(Json(state.images.shown_one(owner, image).await?.into()))
    }

    /// Delete an image: it is hidden at once everywhere (metadata, variants, original, transformations,
    /// listings, posts, avatars). It stays restorable by its owner for `retention_days` (7 by default);
    /// then its variants, blobs and rows are purged for good.
    #[oai(
        path = "/v1/images/:id",
        method = "delete",
        operation_id = "deleteImage"
    )]
    async fn delete_image(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
    ) -> ApiResult<DeleteResponse> {
        let owner = auth.user(&state.auth)?;
        state.images.delete(owner, ImageId(id.0)).await?;
        Ok(DeleteResponse::Deleted)
    }

    /// Bring back one of your deleted images within its retention window (`retention_days` after the
    /// delete), exactly as it was: same id, variants and ETags. Answers 200 with the image; restoring is
    /// idempotent (one of yours that is not deleted answers as it is). An image that is not yours, or deleted
    /// longer ago than the window, is 404.
    #[oai(
        path = "/v1/images/:id/restore",
        method = "post",
        operation_id = "restoreImage"
    )]
    async fn restore_image(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
    ) -> ApiResult<Json<ImageView>> {
        let owner = auth.user(&state.auth)?;
        let image = state.images.restore(owner, ImageId(id.0)).await?;
        Ok(Json(state.images.shown_one(owner, image).await?.into()))
    }
}

fn image_id(image: &darkroom_core::domain::Image) -> uuid::Uuid {
    image.id.0
}

fn parse_visibility(text: &str) -> Result<Visibility, ProblemResponse> {
    text.trim().parse().map_err(|_| {
        ProblemResponse::bad_request(
            "validation_failed",
            "visibility must be public, followers or private",
        )
    })
}

/// A multipart field other than `file`, read whole but never past `max_form_field_bytes`.
async fn small_field(
    field: poem::web::Field,
    limits: RequestLimits,
) -> Result<String, ProblemResponse> {
    let bytes = read_capped(
        field_stream(field),
        limits.max_form_field_bytes,
        limits.body_read_timeout,
    )
    .await?;
    String::from_utf8(bytes).map_err(|_| {
        ProblemResponse::bad_request("invalid_multipart", "a form field is not UTF-8 text")
    })
}

fn bad_form(err: poem::error::ParseMultipartError) -> ProblemResponse {
    ProblemResponse::new(
        StatusCode::BAD_REQUEST,
        "invalid_multipart",
        err.to_string(),
    )
}
