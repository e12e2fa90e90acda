//! `/healthz`, `/readyz`, `/metrics`: for probes and scrapers, outside the versioned API.

use std::sync::Arc;

use poem::http::header::AUTHORIZATION;
use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{handler, IntoResponse, Request, Response};
use serde_json::json;

use super::AppState;

/// The process is alive.
#[handler]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Who may see the operator's view (`/metrics`, `/readyz` with each backend's error) on the API's own port:
/// a caller presenting `metrics_token` as a bearer token. The metrics listener (`metrics_listen`) shows it to
/// anyone who can reach it; keep that address off the public network.
#[derive(Debug, Clone, Default)]
pub struct OperatorAccess {
    token: Option<Arc<str>>,
}

impl OperatorAccess {
    pub fn with_token(token: Option<&str>) -> Self {
        Self {
            token: token.filter(|t| !t.is_empty()).map(Arc::from),
        }
    }

    fn admits(&self, req: &Request) -> bool {
        let Some(expected) = &self.token else {
            return false;
        };
        let presented = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        // Constant time: the comparison must not tell a guesser how much of the token was right.
        presented.len() == expected.len()
            && presented
                .bytes()
                .zip(expected.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

/// Every configured backend answers: 200, or 503. Anyone sees the status and the role; which backend failed,
/// and why, only the operator (see [`OperatorAccess`]), since error text names hosts and users.
#[handler]
pub async fn readyz(
    req: &Request,
    state: Data<&AppState>,
    operator: Data<&OperatorAccess>,
) -> Response {
    readiness(&state, operator.admits(req)).await
}

/// `/readyz` on the metrics listener: always the operator's view.
#[handler]
pub async fn readyz_detailed(state: Data<&AppState>) -> Response {
    readiness(&state, true).await
}

async fn readiness(state: &AppState, detailed: bool) -> Response {
    let mut checks = state.backends.readiness().await;
    // A transform replica neither publishes nor consumes: a queue outage must not take it out of service.
    checks.retain(|check| state.role.uses_queue() || check.port != "queue");
    let ready = checks.iter().all(|c| c.error.is_none());
    let mut body = json!({
        "status": if ready { "ready" } else { "unavailable" },
        "role": state.role,
    });
    if detailed {
        body["backends"] = checks
            .iter()
            .map(|c| {
                json!({
                    "port": c.port,
                    "backend": c.backend,
                    "ok": c.error.is_none(),
                    "error": c.error,
                })
            })
            .collect();
    }
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    Json(body).with_status(status).into_response()
}

/// Prometheus text format, on the API's port for the operator only: to anyone else it does not exist.
#[handler]
pub async fn metrics(req: &Request, operator: Data<&OperatorAccess>) -> Response {
    if operator.admits(req) {
        metrics_text()
    } else {
        super::problem::problem_response(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }
}

/// `/metrics` on the metrics listener.
#[handler]
pub async fn metrics_open() -> Response {
    metrics_text()
}

fn metrics_text() -> Response {
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
