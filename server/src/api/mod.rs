//! The HTTP surface: the v1 operations (poem-openapi, so the document is generated from this code), the
//! system endpoints, and one error shape for everything.

mod account;
mod auth;
mod blob_response;
pub(crate) mod client_ip;
mod conditional;
mod cors;
mod dead_tokens;
mod document;
mod edit_models;
mod edits;
mod images;
mod inbox;
mod limits;
mod login_failures;
mod mfa;
mod models;
mod original_response;
mod pagination;
mod posts;
mod problem;
pub(crate) mod rate_limits;
mod request_limits;
pub(crate) mod route_label;
mod safe_headers;
mod security;
mod serving;
mod social_models;
mod strict_json;
pub(crate) mod system;
mod transforms;
mod tus;
mod upload_body;
mod upload_rate;
mod uploads;
mod users;

use std::time::Instant;

use darkroom_core::services::auth::{AuthService, LiveAccounts};
use darkroom_core::services::images::ImageService;
use darkroom_core::services::social::{Inbox, People, Posts, Timelines};
use darkroom_core::services::transform::TransformService;
use darkroom_core::services::uploads::UploadService;
use poem::{get, Endpoint, EndpointExt, Route};
use poem_openapi::{OpenApiService, Tags};

use crate::backends::Backends;
use crate::config::Role;

pub use client_ip::Network;
pub use cors::CorsOrigins;
pub use problem::Problem;
pub use rate_limits::{Class as RateLimitClass, RateLimitSettings, RateLimits};
pub use request_limits::RequestLimits;
pub use system::OperatorAccess;

/// What handlers share. Cheap to clone: every field is a handle.
#[derive(Debug, Clone)]
pub struct AppState {
    pub auth: AuthService,
    pub live_accounts: LiveAccounts,
    pub images: ImageService,
    pub transforms: TransformService,
    pub uploads: UploadService,
    pub people: People,
    pub posts: Posts,
    pub timelines: Timelines,
    pub inbox: Inbox,
    pub backends: Backends,
    pub role: Role,
    pub limits: RequestLimits,
    pub rate_limits: RateLimits,
    /// Who sees `/metrics` and the detailed `/readyz` on the API's port.
    pub operator: OperatorAccess,
    /// The origins browsers may call the API from.
    pub cors: CorsOrigins,
}

#[derive(Debug, Tags)]
pub enum ApiTags {
    /// Accounts and sessions.
    Auth,
    /// Uploading, processing and serving images.
    Images,
    /// Profiles, follows and user search.
    Users,
    /// Posts, likes, comments and the home timeline.
    Posts,
    /// The caller's notifications.
    Inbox,
}

type Apis = (
    auth::AuthApi,
    users::UsersApi,
    images::ImagesApi,
    edits::EditsApi,
    uploads::UploadsApi,
    serving::ServingApi,
    transforms::TransformsApi,
    posts::PostsApi,
    inbox::InboxApi,
    limits::LimitsApi,
    account::AccountApi,
    mfa::MfaApi,
);

fn service() -> OpenApiService<Apis, ()> {
    let apis = (
        auth::AuthApi,
        users::UsersApi,
        images::ImagesApi,
        edits::EditsApi,
        uploads::UploadsApi,
        serving::ServingApi,
        transforms::TransformsApi,
        posts::PostsApi,
        inbox::InboxApi,
        limits::LimitsApi,
        account::AccountApi,
        mfa::MfaApi,
    );
    OpenApiService::new(apis, "Darkroom", env!("CARGO_PKG_VERSION"))
        .description(
            "A self-hostable image-sharing server. Errors are `application/problem+json` (RFC 9457) with a \
             stable machine-readable `code`.",
        )
}

/// The OpenAPI document, as `darkroom openapi` prints it, `/openapi.json` serves it and
/// `openapi/openapi.json` holds it.
pub fn openapi_json() -> &'static str {
    document::finished(generated_json)
}

fn generated_json() -> String {
    service().spec()
}

/// Every route: the API, its document and docs UI, and the system endpoints, with one error shape.
pub fn routes(state: AppState) -> impl Endpoint {
    let api = service();
    let docs = api.swagger_ui();
    let operator = state.operator.clone();
    let cors = state.cors.clone();
    let mut route = Route::new()
        .at("/healthz", get(system::healthz))
        .at("/readyz", get(system::readyz))
        .at("/metrics", get(system::metrics));
    if state.role.serves_transforms() {
        // Every transformation URL, whatever its number of segments (see `transforms`). The transform role
        // serves this route alone: anything else is a 404 problem there.
        route = route.at(
            format!("{}*path", transforms::PREFIX),
            get(transforms::transform_route),
        );
    }
    if state.role.serves_api() {
        route = route
            .at("/openapi.json", get(system::openapi))
            .nest("/docs", docs)
            // tus is a protocol of its own, outside the document (see `tus`).
            .at(tus::PREFIX, tus::tus_route)
            .at(format!("{}/", tus::PREFIX), tus::tus_route)
            .at(format!("{}/:id", tus::PREFIX), tus::tus_route)
            .nest("/", api);
    }
    let limits = state.limits;
    let auth = state.auth.clone();
    let live = state.live_accounts.clone();
    let rate_limits = state.rate_limits.clone();
    let rate_auth = state.auth.clone();
    let logged_proxies = state.rate_limits.settings.clone();
    // Boxed between layers: each `around` nests the whole type below it, which otherwise overflows the
    // compiler's query depth.
    let guarded = route
        .data(state)
        .catch_all_error(problem::framework_error)
        .around(move |next, req| {
            dead_tokens::refuse_dead_tokens(next, req, auth.clone(), live.clone())
        })
        .boxed()
        .around(move |next, req| request_limits::limit_headers(next, req, limits))
        .around(move |next, req| {
            rate_limits::rate_limit(next, req, rate_limits.clone(), rate_auth.clone())
        })
        .boxed();
    guarded
        .data(operator)
        .around(allow_on_405)
        .around(safe_headers::safe_headers)
        .around(move |next, req| cors::cors(next, req, cors.clone()))
        .around(record_metrics)
        .around(move |next, req| crate::telemetry::access_log(next, req, logged_proxies.clone()))
        // Outermost, so the access log's line is written inside the request's span, with its ids.
        .around(crate::traces::request_span)
}

/// What the metrics listener (`metrics_listen`) serves: the operator's view of `/metrics` and `/readyz`, and
/// `/healthz`, with no API beside them.
pub fn operator_routes(state: AppState) -> impl Endpoint {
    Route::new()
        .at("/healthz", get(system::healthz))
        .at("/readyz", get(system::readyz_detailed))
        .at("/metrics", get(system::metrics_open))
        .data(state)
        .catch_all_error(problem::framework_error)
        .around(safe_headers::safe_headers)
}

/// RFC 9110: a 405 says which methods the resource does answer.
async fn allow_on_405<E: Endpoint>(next: E, req: poem::Request) -> poem::Result<poem::Response> {
    let path = req.uri().path().to_owned();
    let mut response = next.get_response(req).await;
    if response.status() == poem::http::StatusCode::METHOD_NOT_ALLOWED {
        let allow = document::allowed_methods(openapi_json(), &path)
            .and_then(|m| m.join(", ").parse().ok());
        if let Some(allow) = allow {
            response
                .headers_mut()
                .insert(poem::http::header::ALLOW, allow);
        }
    }
    Ok(response)
}

/// Counts requests and their latency by route template, method and status: labels a client cannot grow.
async fn record_metrics<E: Endpoint>(next: E, req: poem::Request) -> poem::Result<poem::Response> {
    let method = route_label::method_label(req.method());
    let route = route_label::route_label(req.uri().path());
    let started = Instant::now();
    let response = next.get_response(req).await;
    let status = route_label::status_label(response.status());
    metrics::counter!("http_requests_total", "route" => route, "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "route" => route, "method" => method)
        .record(started.elapsed().as_secs_f64());
    Ok(response)
}
