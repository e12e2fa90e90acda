//! `getVariant` and `downloadOriginal`: bytes with strong ETags, 304s, ranges, and cache headers a CDN can
//! rely on. Visibility is decided by the image service; here only HTTP happens.

use darkroom_core::domain::{ImageId, OutputFormat, VariantName};
use darkroom_core::services::images::{Grant, ServedBlob};
use darkroom_core::services::ServiceError;
use poem::http::{header, HeaderName};
use poem::web::Data;
use poem::Request;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::{Enum, OpenApi};

use super::blob_response::BlobResponse;
use super::conditional::{none_match, parse_range, RangeRequest};
use super::original_response::OriginalResponse;
use super::problem::ApiResult;
use super::security::MaybeAuth;
use super::{ApiTags, AppState};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "VariantName", rename_all = "lowercase")]
pub enum VariantNameParam {
    Thumb,
    Small,
    Medium,
    Large,
}

impl From<VariantNameParam> for VariantName {
    fn from(v: VariantNameParam) -> Self {
        match v {
            VariantNameParam::Thumb => Self::Thumb,
            VariantNameParam::Small => Self::Small,
            VariantNameParam::Medium => Self::Medium,
            VariantNameParam::Large => Self::Large,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "VariantFormat", rename_all = "lowercase")]
pub enum FormatParam {
    Jpeg,
    Webp,
    Avif,
}

impl From<FormatParam> for OutputFormat {
    fn from(f: FormatParam) -> Self {
        match f {
            FormatParam::Jpeg => Self::Jpeg,
            FormatParam::Webp => Self::Webp,
            FormatParam::Avif => Self::Avif,
        }
    }
}

#[derive(Debug)]
pub struct ServingApi;

#[OpenApi(tag = "ApiTags::Images")]
impl ServingApi {
    /// A named variant. The format is `?format=` when given, else the best the `Accept` header allows
    /// (AVIF, then WebP), else JPEG. A single `Range: bytes=…` is answered with 206 (416 past the end).
    #[oai(
        path = "/v1/images/:id/variants/:name",
        method = "get",
        operation_id = "getVariant"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn get_variant(
        &self,
        state: Data<&AppState>,
        auth: MaybeAuth,
        id: Path<uuid::Uuid>,
        name: Path<VariantNameParam>,
        format: Query<Option<FormatParam>>,
        /// A temporary URL's expiry (unix seconds), as `getImage` gives it for an image that is not public.
        exp: Query<Option<i64>>,
        /// A temporary URL's signature. With `exp`, it opens the variant to whoever holds the URL, no bearer
        /// token needed; expired or altered, it is 404.
        #[oai(validator(max_length = 64))]
        sig: Query<Option<String>>,
        /// Answer 304 when this matches the variant's `ETag`.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
        request: &Request,
    ) -> ApiResult<BlobResponse> {
        let viewer = auth.viewer(&state.auth)?;
        let preferred = match format.0 {
            Some(format) => vec![format.into()],
            None => negotiate(header(request, header::ACCEPT)),
        };
        let grant = presented_grant(exp.0, sig.0)?;
        let blob = state
            .images
            .variant(
                viewer,
                ImageId(id.0),
                name.0.into(),
                &preferred,
                grant.as_ref(),
            )
            .await?;
        let range = header(request, header::RANGE);
        serve(
            &state,
            blob,
            range,
            if_none_match.0.as_deref(),
            format.0.is_none(),
        )
        .await
    }

    /// The original bytes: as uploaded for the owner; for others only when the image is public, and then
    /// with its metadata (GPS above all) removed. A single `Range: bytes=…` is answered with 206. An
    /// original in the archive tier is brought back first (same bytes, same ETag); where the tier needs a
    /// restore (S3 Glacier), the answer is 202 with `Retry-After` until it is done.
    #[oai(
        path = "/v1/images/:id/original",
        method = "get",
        operation_id = "downloadOriginal"
    )]
    async fn download_original(
        &self,
        state: Data<&AppState>,
        auth: MaybeAuth,
        id: Path<uuid::Uuid>,
        /// Answer 304 when this matches the original's `ETag`.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
        request: &Request,
    ) -> ApiResult<OriginalResponse> {
        let viewer = auth.viewer(&state.auth)?;
        let blob = match state.images.original(viewer, ImageId(id.0)).await {
            Ok(blob) => blob,
            Err(err) => return Ok(OriginalResponse::restoring(err)?),
        };
        serve(
            &state,
            blob,
            header(request, header::RANGE),
            if_none_match.0.as_deref(),
            false,
        )
        .await
        .map(OriginalResponse::Blob)
    }
}

pub(super) async fn serve(
    state: &AppState,
    blob: ServedBlob,
    range: Option<&str>,
    if_none_match: Option<&str>,
    vary_accept: bool,
) -> ApiResult<BlobResponse> {
    if none_match(if_none_match, &blob.etag) {
        return Ok(BlobResponse::NotModified { blob, vary_accept });
    }
    let images = &state.images;
    if range.is_none() {
        let (meta, body) = images.open(&blob, None).await?;
        return Ok(BlobResponse::Full {
            size: meta.size,
            blob,
            body,
            vary_accept,
        });
    }
    let size = images.size(&blob).await?;
    Ok(match parse_range(range, size) {
        RangeRequest::Whole => {
            let (meta, body) = images.open(&blob, None).await?;
            BlobResponse::Full {
                size: meta.size,
                blob,
                body,
                vary_accept,
            }
        }
        RangeRequest::Part(part) => {
            let (_, body) = images.open(&blob, Some(part.clone())).await?;
            BlobResponse::Partial {
                blob,
                range: part,
                size,
                body,
                vary_accept,
            }
        }
        RangeRequest::Unsatisfiable => BlobResponse::Unsatisfiable { size },
    })
}

/// The temporary-URL grant a request presents in its query: both `exp` and `sig`, or neither. Half a grant is
/// an altered one: 404, like any grant that does not verify.
pub(super) fn presented_grant(
    expires: Option<i64>,
    signature: Option<String>,
) -> Result<Option<Grant>, ServiceError> {
    match (expires, signature) {
        (None, None) => Ok(None),
        (Some(expires), Some(signature)) => Ok(Some(Grant { expires, signature })),
        _ => Err(ServiceError::NotFound),
    }
}

pub(super) fn header(request: &Request, name: HeaderName) -> Option<&str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The formats an `Accept` header allows, best first, always ending in JPEG (which every client takes).
pub(super) fn negotiate(accept: Option<&str>) -> Vec<OutputFormat> {
    let accepts = |mime: &str| {
        accept.is_some_and(|a| {
            a.split(',').any(|part| {
                let mut pieces = part.split(';');
                let ty = pieces.next().unwrap_or_default().trim();
                let refused =
                    pieces.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
                ty.eq_ignore_ascii_case(mime) && !refused
            })
        })
    };
    let mut formats = Vec::with_capacity(3);
    if accepts("image/avif") {
        formats.push(OutputFormat::Avif);
    }
    if accepts("image/webp") {
        formats.push(OutputFormat::Webp);
    }
    formats.push(OutputFormat::Jpeg);
    formats
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_picks_the_best_allowed_format() {
        assert_eq!(negotiate(None), vec![OutputFormat::Jpeg]);
        assert_eq!(
            negotiate(Some("image/webp,*/*")),
            vec![OutputFormat::Webp, OutputFormat::Jpeg]
        );
        assert_eq!(
            negotiate(Some("image/avif,image/webp;q=0.9")),
            vec![OutputFormat::Avif, OutputFormat::Webp, OutputFormat::Jpeg]
        );
        assert_eq!(negotiate(Some("image/webp;q=0")), vec![OutputFormat::Jpeg]);
    }
}
