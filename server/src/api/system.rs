//! `/healthz`, `/readyz`, `/metrics`: for probes and scrapers, outside the versioned API.

use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{handler, IntoResponse, Response};
use serde_json::json;

use super::AppState;

/// The process is alive.
#[handler]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Every configured backend answers. 503 (with which one did not) otherwise.
#[handler]
pub async fn readyz(state: Data<&AppState>) -> Response {
    let checks = state.backends.readiness().await;
    let ready = checks.iter().all(|c| c.error.is_none());
    let body = json!({
        "status": if ready { "ready" } else { "unavailable" },
        "role": state.role,
        "backends": checks.iter().map(|c| json!({
            "port": c.port,
            "backend": c.backend,
            "ok": c.error.is_none(),
            "error": c.error,
        })).collect::<Vec<_>>(),
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    Json(body).with_status(status).into_response()
}

/// Prometheus text format.
#[handler]
pub async fn metrics() -> Response {
    Response::builder()
        .content_type("text/plain; version=0.0.4")
        .body(crate::telemetry::metrics().render())
}

/// The OpenAPI document.
#[handler]
pub async fn openapi() -> Response {
    Response::builder()
        .content_type("application/json")
        .body(super::openapi_json())
}
