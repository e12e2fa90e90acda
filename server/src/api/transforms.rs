//! `transformImage`: GET /v1/t/{signature}/{options…}/{id}[.{ext}], imgproxy's URL format. The options
//! hold `/`s, which an OpenAPI path parameter cannot, so the operation is documented with one `path`
//! parameter while a catch-all route (`routes()` in mod.rs) answers every such URL through the same
//! function; the signature is checked over the raw path, exactly as it was signed.

use darkroom_core::domain::{OutputFormat, UserId};
use darkroom_core::services::images::Grant;
use darkroom_core::services::ServiceError;
use poem::http::{header, HeaderValue, StatusCode};
use poem::web::Data;
use poem::{handler, IntoResponse, Request, Response};
use poem_openapi::param::{Header, Path};
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, OpenApi};

use super::blob_response::BlobResponse;
use super::problem::{problem_response, ApiResult, Problem, ProblemResponse};
use super::security::MaybeAuth;
use super::serving::{header as header_of, negotiate, presented_grant, serve};
use super::{ApiTags, AppState};

/// Where transformation URLs start.
pub const PREFIX: &str = "/v1/t/";
/// Says whether this request rendered the image (`rendered`) or found it stored (`stored`).
const TRANSFORM_HEADER: &str = "x-darkroom-transform";

#[derive(Debug)]
pub struct TransformsApi;

#[OpenApi(tag = "ApiTags::Images")]
impl TransformsApi {
    /// An on-the-fly transformation in imgproxy's URL format: `/v1/t/{signature}/{option}:{args}/…/{id}`
    /// with an optional `.{ext}`, or `…/plain/{id}@{ext}`. Options: `rs`/`resize`, `s`/`size`,
    /// `w`/`width`, `h`/`height`, `el`/`enlarge`, `g`/`gravity` (compass points, `ce`, `sm` smart,
    /// `fp:x:y`), `c`/`crop`, `q`/`quality`, `f`/`format` (`jpg`, `png`, `webp`, `avif`, `auto`),
    /// `bl`/`blur`, `sh`/`sharpen`, `rot`/`rotate` (multiples of 90), `bg`/`background`,
    /// `ex`/`extend` (`ex:1:gravity[:x:y]`, also as `rs`/`s`'s trailing arguments: pads a smaller result
    /// to the requested size with `bg`, transparent where the format allows, white for JPEG;
    /// `exar`/`extend_aspect_ratio` only to its aspect ratio),
    /// `wm`/`watermark` (`wm:opacity:position:x:y:scale`, the server's configured watermark; `re` tiles
    /// it), `exp`/`expires`, `pr`/`preset`. Gravities take imgproxy's pixel offsets (`g:ea:10:0`), which
    /// move the crops. With `transform_key` set, the signature is imgproxy's: base64url
    /// of HMAC-SHA256(key, salt ‖ path) over everything after the signature segment, leading `/`
    /// included (403 otherwise). Without a format, AVIF, WebP or JPEG is chosen from `Accept`
    /// (`Vary: Accept`). Rendered once, stored, and immutable; metadata is never carried over. Images
    /// that are not public are transformed only for those who may see them, and served `private`.
    #[oai(
        path = "/v1/t/:signature/:path",
        method = "get",
        operation_id = "transformImage"
    )]
    async fn transform_image(
        &self,
        state: Data<&AppState>,
        auth: MaybeAuth,
        /// imgproxy's signature (anything, e.g. `_`, when no key is configured).
        #[oai(name = "signature")]
        _signature: Path<String>,
        /// The processing options and the image id, separated by `/`.
        #[oai(name = "path")]
        _path: Path<String>,
        /// Answer 304 when this matches the result's `ETag`.
        #[oai(name = "If-None-Match")]
        _if_none_match: Header<Option<String>>,
        request: &Request,
    ) -> ApiResult<TransformResponse> {
        let viewer = auth.viewer(&state.auth)?;
        Ok(TransformResponse(transform(state.0, viewer, request).await))
    }
}

/// The catch-all route behind `transformImage`, for paths of any number of segments.
#[handler]
pub async fn transform_route(state: Data<&AppState>, request: &Request) -> Response {
    let token = header_of(request, header::AUTHORIZATION).and_then(|v| v.strip_prefix("Bearer "));
    let viewer = match token.map(|token| state.auth.authenticate(token)) {
        None => None,
        Some(Ok(user)) => Some(user),
        Some(Err(err)) => return ProblemResponse::from(err).into_response(),
    };
    transform(state.0, viewer, request).await
}

async fn transform(state: &AppState, viewer: Option<UserId>, request: &Request) -> Response {
    let raw = request.uri().path();
    let Some((signature, path)) = raw
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.find('/').map(|at| rest.split_at(at)))
    else {
        return ProblemResponse::from(ServiceError::InvalidTransform(
            "expected /v1/t/{signature}/{options…}/{id}".into(),
        ))
        .into_response();
    };
    let accepted: Vec<OutputFormat> = negotiate(header_of(request, header::ACCEPT));
    let grant = match grant_in_query(request.uri().query()) {
        Ok(grant) => grant,
        Err(err) => return ProblemResponse::from(err).into_response(),
    };
    let transformed = match state
        .transforms
        .transform(viewer, grant.as_ref(), signature, path, &accepted)
        .await
    {
        Ok(transformed) => transformed,
        Err(ServiceError::BadSignature) => {
            return problem_response(
                StatusCode::FORBIDDEN,
                ServiceError::BadSignature.code(),
                ServiceError::BadSignature.to_string(),
            )
        }
        // A 503 (all render slots and queue places taken) gets its `Retry-After` from `safe_headers`.
        Err(err) => return ProblemResponse::from(err).into_response(),
    };
    let served = serve(
        state,
        transformed.blob,
        header_of(request, header::RANGE),
        header_of(request, header::IF_NONE_MATCH),
        transformed.negotiated,
    )
    .await;
    let mut response = match served {
        Ok(blob) => blob.into_response(),
        Err(problem) => problem.into_response(),
    };
    let how = if transformed.rendered {
        "rendered"
    } else {
        "stored"
    };
    response
        .headers_mut()
        .insert(TRANSFORM_HEADER, HeaderValue::from_static(how));
    response
}

/// A temporary URL's grant (`exp`, `sig`) in the query of a transformation URL, as `getImage` gives it for an
/// image that is not public.
fn grant_in_query(query: Option<&str>) -> Result<Option<Grant>, ServiceError> {
    let (mut expires, mut signature) = (None, None);
    // Both values are URL-safe as given (digits, base64url), so no percent-decoding is needed: an encoded
    // one does not verify, like any altered grant.
    for pair in query.unwrap_or_default().split('&') {
        match pair.split_once('=') {
            // An expiry that is not a number is an altered grant.
            Some(("exp", value)) => {
                expires = Some(value.parse::<i64>().map_err(|_| ServiceError::NotFound)?);
            }
            Some(("sig", value)) => signature = Some(value.to_owned()),
            _ => {}
        }
    }
    presented_grant(expires, signature)
}

/// A finished blob response (or problem), documented as a blob response that may also be refused with
/// 403 for a bad signature.
pub struct TransformResponse(Response);

impl std::fmt::Debug for TransformResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("TransformResponse")
            .field(&self.0.status())
            .finish()
    }
}

impl IntoResponse for TransformResponse {
    fn into_response(self) -> Response {
        self.0
    }
}

impl ApiResponse for TransformResponse {
    fn meta() -> MetaResponses {
        let mut meta = BlobResponse::meta();
        meta.responses.push(MetaResponse {
            description:
                "A signing key is configured and the signature is missing, altered or truncated.",
            status: Some(403),
            status_range: None,
            content: vec![MetaMediaType {
                content_type: "application/problem+json",
                schema: Problem::schema_ref(),
            }],
            headers: vec![],
        });
        meta
    }

    fn register(registry: &mut Registry) {
        BlobResponse::register(registry);
    }
}
