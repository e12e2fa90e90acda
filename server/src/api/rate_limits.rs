//! Rate limits per client address and per account, by class of operation, answered with 429,
//! `Retry-After` and the `RateLimit-Limit` / `RateLimit-Remaining` / `RateLimit-Reset` headers (the IETF
//! draft's fields, in seconds). Counts live behind the rate-limit port: in Redis, shared by every replica,
//! when the cache is Redis; in the process otherwise. A limiter that cannot answer lets requests through
//! (logged), so a Redis outage degrades to no limits rather than to no service.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use darkroom_core::ports::{Decision, Quota, RateLimiter};
use darkroom_core::services::auth::AuthService;
use poem::http::header::RETRY_AFTER;
use poem::http::{HeaderMap, HeaderValue, Method, StatusCode};
use poem::{Endpoint, Request, Response};

use super::client_ip::{client_ip, Network};
use super::problem::problem_response;
use super::security::verified_bearer;

/// The classes operations are counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    Login,
    Register,
    Refresh,
    Uploads,
    Writes,
    Reads,
}

impl Class {
    pub const ALL: [Class; 6] = [
        Class::Login,
        Class::Register,
        Class::Refresh,
        Class::Uploads,
        Class::Writes,
        Class::Reads,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Register => "register",
            Self::Refresh => "refresh",
            Self::Uploads => "uploads",
            Self::Writes => "writes",
            Self::Reads => "reads",
        }
    }

    /// The class of a request; `None` for the probes and the document, which are never limited.
    fn of(method: &Method, path: &str) -> Option<Class> {
        if !path.starts_with("/v1/") {
            return None;
        }
        Some(match (method, path.trim_end_matches('/')) {
            // Both check a password: one budget for guessing it.
            (
                &Method::POST,
                "/v1/auth/login"
                | "/v1/me/password"
                | "/v1/auth/login/mfa"
                | "/v1/me/mfa/totp/confirm"
                | "/v1/me/mfa/totp/disable",
            ) => Class::Login,
            (&Method::POST, "/v1/auth/register") => Class::Register,
            (&Method::POST, "/v1/auth/refresh" | "/v1/auth/logout") => Class::Refresh,
            (&Method::POST, "/v1/images") => Class::Uploads,
            // Resumable uploads: every call that moves bytes or makes an image counts as an upload.
            (&Method::POST | &Method::PUT, p) if p.starts_with("/v1/uploads") => Class::Uploads,
            (&Method::POST | &Method::PATCH, p) if p.starts_with("/v1/tus") => Class::Uploads,
            (&Method::GET | &Method::HEAD | &Method::OPTIONS, _) => Class::Reads,
            _ => Class::Writes,
        })
    }
}

/// The limits in force (per minute, per client address and per account alike), and whom to believe
/// about client addresses.
#[derive(Debug, Clone, Default)]
pub struct RateLimitSettings {
    pub per_minute: HashMap<Class, u32>,
    pub trusted_proxies: Vec<Network>,
    /// Failed logins per account and client address before each further try waits its turn.
    pub login_failures: Option<Quota>,
}

/// The client's address as the rate limits saw it, for operations that count by it too (login).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

#[derive(Debug, Clone)]
pub struct RateLimits {
    pub settings: Arc<RateLimitSettings>,
    pub limiter: Arc<dyn RateLimiter>,
}

impl RateLimits {
    /// Counts one request against `key`; `None` when there is no limit or the limiter cannot answer.
    pub async fn take(&self, key: &str, quota: Quota, count: bool) -> Option<Decision> {
        match self.limiter.acquire(key, quota, count).await {
            Ok(decision) => Some(decision),
            Err(error) => {
                tracing::warn!(%error, "rate limiter unavailable; letting the request through");
                None
            }
        }
    }
}

/// The stricter of two decisions: a refusal over an allowance, then fewer requests left.
fn stricter(a: Decision, b: Decision) -> Decision {
    match (a.allowed, b.allowed) {
        (true, false) => b,
        (false, true) => a,
        _ if b.remaining < a.remaining => b,
        _ => a,
    }
}

fn seconds(duration: Duration) -> HeaderValue {
    HeaderValue::from(duration.as_secs() + u64::from(duration.subsec_nanos() > 0))
}

pub fn add_headers(headers: &mut HeaderMap, decision: &Decision) {
    headers.insert("ratelimit-limit", HeaderValue::from(decision.limit));
    headers.insert("ratelimit-remaining", HeaderValue::from(decision.remaining));
    headers.insert("ratelimit-reset", seconds(decision.reset_after));
    if !decision.allowed {
        headers.insert(
            RETRY_AFTER,
            seconds(decision.retry_after.max(Duration::from_secs(1))),
        );
    }
}

/// A 429 problem with its headers.
pub fn too_many(decision: &Decision, detail: &str) -> Response {
    let mut response = problem_response(StatusCode::TOO_MANY_REQUESTS, "rate_limited", detail);
    add_headers(response.headers_mut(), decision);
    response
}

pub async fn rate_limit<E: Endpoint>(
    next: E,
    mut req: Request,
    limits: RateLimits,
    auth: AuthService,
) -> poem::Result<Response> {
    let ip = client_ip(&req, &limits.settings.trusted_proxies);
    req.extensions_mut().insert(ClientIp(ip));
    let class = Class::of(req.method(), req.uri().path());
    let Some((class, limit)) =
        class.and_then(|c| limits.settings.per_minute.get(&c).map(|l| (c, *l)))
    else {
        return Ok(next.get_response(req).await);
    };
    let quota = Quota::per_minute(limit);
    let account = verified_bearer(&mut req, &auth).map(|bearer| bearer.user);
    let mut decision = None;
    if let Some(ip) = ip {
        decision = limits
            .take(&format!("ip:{}:{ip}", class.name()), quota, true)
            .await;
    }
    if let Some(user) = account {
        let by_account = limits
            .take(&format!("account:{}:{}", class.name(), user.0), quota, true)
            .await;
        decision = match (decision, by_account) {
            (Some(a), Some(b)) => Some(stricter(a, b)),
            (a, b) => a.or(b),
        };
    }
    let Some(decision) = decision else {
        return Ok(next.get_response(req).await);
    };
    if !decision.allowed {
        metrics::counter!("http_rate_limited_total", "class" => class.name()).increment(1);
        return Ok(too_many(
            &decision,
            &format!("too many {} requests; try again later", class.name()),
        ));
    }
    let mut response = next.get_response(req).await;
    if !response.headers().contains_key("ratelimit-limit") {
        add_headers(response.headers_mut(), &decision);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_fall_into_their_class() {
        assert_eq!(
            Class::of(&Method::POST, "/v1/auth/login"),
            Some(Class::Login)
        );
        assert_eq!(Class::of(&Method::POST, "/v1/images"), Some(Class::Uploads));
        assert_eq!(
            Class::of(&Method::PATCH, "/v1/images/x"),
            Some(Class::Writes)
        );
        assert_eq!(Class::of(&Method::GET, "/v1/images/x"), Some(Class::Reads));
        assert_eq!(Class::of(&Method::PATCH, "/v1/tus/x"), Some(Class::Uploads));
        assert_eq!(Class::of(&Method::HEAD, "/v1/tus/x"), Some(Class::Reads));
        assert_eq!(Class::of(&Method::GET, "/healthz"), None);
    }
}
