//! tus 1.0 at `/v1/tus/`: core, creation, creation-with-upload, termination, expiration and checksum,
//! with `X-HTTP-Method-Override`, for tus-js-client, Uppy and the other tus clients. A protocol, not
//! OpenAPI operations (it is not in the document): one catch-all route answers every method here and
//! hands the work to `UploadService`'s tus calls, the resumable uploads' own machinery.
//!
//! Authenticated like the rest of the API (`Authorization: Bearer`); another account's upload is 404.
//! Errors are problem+json like everywhere else, with tus's own statuses where it has them (412, 409, 410,
//! 415, 460). The PATCH that completes an upload answers `Darkroom-Image-Id`, the image it became (a HEAD
//! of a completed upload answers it too).

use darkroom_core::domain::{UploadId, UserId};
use darkroom_core::services::uploads::tus::{
    Appended, TusAppend, TusError, TusMetadata, UploadChecksum, CHECKSUM_ALGORITHMS,
};
use darkroom_core::services::ServiceError;
use poem::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use poem::web::Data;
use poem::{handler, Body, IntoResponse, Request, Response};

use super::problem::{problem_response, ProblemResponse};
use super::upload_body::raw_stream;
use super::upload_rate::with_rate_floor;
use super::AppState;

/// Where tus uploads live: `POST /v1/tus/` creates one at `/v1/tus/{id}`.
pub const PREFIX: &str = "/v1/tus";
static VERSION: HeaderValue = HeaderValue::from_static("1.0.0");
static EXTENSIONS: HeaderValue =
    HeaderValue::from_static("creation,creation-with-upload,termination,expiration,checksum");
const OFFSET_OCTETS: &str = "application/offset+octet-stream";
/// The image a completed upload became (its metadata: `GET /v1/images/{id}`).
pub const IMAGE_ID_HEADER: &str = "darkroom-image-id";
/// tus's status for a body that does not match its `Upload-Checksum`.
const CHECKSUM_MISMATCH: u16 = 460;

#[handler]
pub async fn tus_route(state: Data<&AppState>, request: &Request, body: Body) -> Response {
    let mut response = answer(state.0, request, body).await;
    response
        .headers_mut()
        .insert("tus-resumable", VERSION.clone());
    response
}

async fn answer(state: &AppState, request: &Request, body: Body) -> Response {
    let method = effective_method(request);
    let id = match request.uri().path().strip_prefix(PREFIX) {
        Some("" | "/") => None,
        Some(rest) => match rest.strip_prefix('/').and_then(|id| id.parse().ok()) {
            Some(id) => Some(UploadId(id)),
            None => return ProblemResponse::not_found().into_response(),
        },
        None => return ProblemResponse::not_found().into_response(),
    };
    if method == Method::OPTIONS {
        return discovery(state);
    }
    if header_of(request, "tus-resumable") != Some("1.0.0") {
        let mut response = problem_response(
            StatusCode::PRECONDITION_FAILED,
            "tus_version_unsupported",
            "send `Tus-Resumable: 1.0.0`: this server speaks tus 1.0.0",
        );
        response
            .headers_mut()
            .insert("tus-version", VERSION.clone());
        return response;
    }
    let owner = match authenticate(state, request) {
        Ok(owner) => owner,
        Err(problem) => return problem.into_response(),
    };
    let answered = match (method, id) {
        (Method::POST, None) => create(state, owner, request, body).await,
        (Method::HEAD, Some(id)) => head(state, owner, id).await,
        (Method::PATCH, Some(id)) => patch(state, owner, id, request, body).await,
        (Method::DELETE, Some(id)) => terminate(state, owner, id).await,
        (_, None) => Ok(not_allowed("OPTIONS, POST")),
        (_, Some(_)) => Ok(not_allowed("OPTIONS, HEAD, PATCH, DELETE")),
    };
    answered.unwrap_or_else(problem)
}

/// A POST carrying `X-HTTP-Method-Override` is that method (for clients behind proxies that allow only
/// GET and POST).
fn effective_method(request: &Request) -> Method {
    if request.method() == Method::POST {
        let overridden = header_of(request, "x-http-method-override")
            .and_then(|m| Method::from_bytes(m.trim().to_ascii_uppercase().as_bytes()).ok());
        if let Some(method) = overridden {
            return method;
        }
    }
    request.method().clone()
}

fn authenticate(state: &AppState, request: &Request) -> Result<UserId, ProblemResponse> {
    let token = header_of(request, header::AUTHORIZATION)
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(ServiceError::Unauthenticated)?;
    Ok(state.auth.authenticate(token)?)
}

/// OPTIONS: what this server supports.
fn discovery(state: &AppState) -> Response {
    let mut response = Response::builder().status(StatusCode::NO_CONTENT).finish();
    let headers = response.headers_mut();
    headers.insert("tus-version", VERSION.clone());
    headers.insert("tus-extension", EXTENSIONS.clone());
    headers.insert(
        "tus-max-size",
        number(state.images.settings().limits.max_bytes),
    );
    headers.insert(
        "tus-checksum-algorithm",
        HeaderValue::from_static(CHECKSUM_ALGORITHMS),
    );
    response
}

/// Creation (and creation-with-upload when the POST carries a body).
async fn create(
    state: &AppState,
    owner: UserId,
    request: &Request,
    body: Body,
) -> Result<Response, TusError> {
    if request.headers().contains_key("upload-defer-length") {
        return Err(invalid(
            "Upload-Defer-Length",
            "not supported: send Upload-Length",
        ));
    }
    let length = number_header(request, "upload-length")?
        .ok_or_else(|| invalid("Upload-Length", "required"))?;
    if length == 0 {
        return Err(invalid("Upload-Length", "must be at least 1"));
    }
    let metadata =
        TusMetadata::parse(header_of(request, "upload-metadata")).map_err(ServiceError::from)?;
    // A body of `application/offset+octet-stream` (declared or chunked) is the upload's first bytes.
    let with_body = offset_octets(request) && content_length(request) != Some(0);
    if !with_body && content_length(request).unwrap_or(0) > 0 {
        return Err(unsupported());
    }
    let upload = state.uploads.tus_create(owner, length, metadata).await?;
    let mut response = Response::builder().status(StatusCode::CREATED).finish();
    let location = format!("{PREFIX}/{}", upload.id);
    let headers = response.headers_mut();
    insert(headers, "location", &location);
    insert(headers, "upload-expires", &http_date(upload.expires_at));
    if with_body {
        let appended = append(state, owner, upload.id, 0, request, body).await;
        let offset = match appended {
            Ok(Appended::Partial { offset }) => offset,
            Ok(Appended::Completed { offset, image }) => {
                insert(
                    response.headers_mut(),
                    IMAGE_ID_HEADER,
                    &image.id.to_string(),
                );
                offset
            }
            // The upload stands, with what was kept of the body: the client resumes from there.
            Err(
                TusError::ChecksumMismatch(_)
                | TusError::Service(ServiceError::UploadInterrupted(_)),
            ) => state.uploads.tus_head(owner, upload.id).await?.offset,
            Err(refused) => return Err(refused),
        };
        response
            .headers_mut()
            .insert("upload-offset", number(offset));
    }
    Ok(response)
}

async fn head(state: &AppState, owner: UserId, id: UploadId) -> Result<Response, TusError> {
    let upload = state.uploads.tus_head(owner, id).await?;
    let mut response = Response::builder().status(StatusCode::OK).finish();
    let headers = response.headers_mut();
    headers.insert("upload-offset", number(upload.offset));
    headers.insert("upload-length", number(upload.length));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(metadata) = upload.metadata.filter(|m| !m.is_empty()) {
        insert(headers, "upload-metadata", &metadata);
    }
    if let Some(image) = upload.image {
        insert(headers, IMAGE_ID_HEADER, &image.to_string());
    } else {
        insert(
            headers,
            "upload-expires",
            &http_date(upload.upload.expires_at),
        );
    }
    Ok(response)
}

async fn patch(
    state: &AppState,
    owner: UserId,
    id: UploadId,
    request: &Request,
    body: Body,
) -> Result<Response, TusError> {
    if !offset_octets(request) {
        return Err(unsupported());
    }
    let offset = number_header(request, "upload-offset")?
        .ok_or_else(|| invalid("Upload-Offset", "required"))?;
    let appended = append(state, owner, id, offset, request, body).await?;
    let mut response = Response::builder().status(StatusCode::NO_CONTENT).finish();
    let offset = match appended {
        Appended::Partial { offset } => offset,
        Appended::Completed { offset, image } => {
            insert(
                response.headers_mut(),
                IMAGE_ID_HEADER,
                &image.id.to_string(),
            );
            offset
        }
    };
    response
        .headers_mut()
        .insert("upload-offset", number(offset));
    Ok(response)
}

async fn append(
    state: &AppState,
    owner: UserId,
    id: UploadId,
    offset: u64,
    request: &Request,
    body: Body,
) -> Result<Appended, TusError> {
    let checksum = header_of(request, "upload-checksum")
        .map(UploadChecksum::parse)
        .transpose()?;
    let limits = state.limits;
    let body = with_rate_floor(
        raw_stream(body),
        limits.upload_min_bytes_per_sec,
        limits.upload_rate_window,
    );
    state
        .uploads
        .tus_append(TusAppend {
            owner,
            upload: id,
            offset,
            length: content_length(request),
            checksum,
            idempotency_key: header_of(request, "idempotency-key").map(str::to_owned),
            body,
        })
        .await
}

async fn terminate(state: &AppState, owner: UserId, id: UploadId) -> Result<Response, TusError> {
    state.uploads.tus_terminate(owner, id).await?;
    Ok(Response::builder().status(StatusCode::NO_CONTENT).finish())
}

fn problem(err: TusError) -> Response {
    match err {
        TusError::OffsetMismatch { .. } => {
            problem_response(StatusCode::CONFLICT, "offset_mismatch", err.to_string())
        }
        TusError::Expired => problem_response(StatusCode::GONE, "upload_expired", err.to_string()),
        TusError::ChecksumMismatch(detail) => problem_response(
            StatusCode::from_u16(CHECKSUM_MISMATCH).unwrap_or(StatusCode::BAD_REQUEST),
            "checksum_mismatch",
            detail,
        ),
        TusError::Service(err) => ProblemResponse::from(err).into_response(),
        other => ProblemResponse::from(ServiceError::Internal(other.to_string())).into_response(),
    }
}

fn not_allowed(allow: &'static str) -> Response {
    let mut response = problem_response(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("this tus resource answers {allow}"),
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

fn invalid(field: &'static str, why: &str) -> TusError {
    ServiceError::Validation(darkroom_core::domain::ValidationError::new(
        field,
        why.to_owned(),
    ))
    .into()
}

fn unsupported() -> TusError {
    ServiceError::UnsupportedMediaType(format!("the body must be {OFFSET_OCTETS}")).into()
}

fn offset_octets(request: &Request) -> bool {
    header_of(request, header::CONTENT_TYPE)
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(OFFSET_OCTETS))
}

fn content_length(request: &Request) -> Option<u64> {
    header_of(request, header::CONTENT_LENGTH).and_then(|v| v.trim().parse().ok())
}

/// A header that must be a non-negative integer when present.
fn number_header(request: &Request, name: &'static str) -> Result<Option<u64>, TusError> {
    header_of(request, name)
        .map(|v| {
            v.trim()
                .parse::<u64>()
                .map_err(|_| invalid(name, "must be a non-negative integer"))
        })
        .transpose()
}

fn number(value: u64) -> HeaderValue {
    HeaderValue::from(value)
}

fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

fn header_of(request: &Request, name: impl header::AsHeaderName) -> Option<&str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

/// An RFC 9110 HTTP-date (IMF-fixdate).
fn http_date(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}
