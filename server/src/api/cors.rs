//! CORS for the origins an operator lists in `cors_origins`, and for no one else.
//!
//! An origin on the list gets the headers a browser needs to call the API from it (bearer tokens, uploads,
//! conditional and range requests, tus) and may read the ones clients act on (`ETag`, `Location`,
//! `Retry-After`, the tus offsets and the image a tus upload became). A request from any other origin passes through untouched: without the
//! `Access-Control-Allow-*` headers the browser keeps the answer from the page, while same-origin pages (the
//! `/docs` UI) and non-browser clients, which also send `Origin` at times, keep working. Credentials
//! (cookies) are never allowed: the API authenticates with bearer tokens only.

use std::sync::Arc;

use poem::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN,
    VARY,
};
use poem::http::{HeaderValue, Method, StatusCode};
use poem::{Endpoint, Request, Response};

static ALLOW_METHODS: HeaderValue =
    HeaderValue::from_static("GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
/// What browser clients send: the bearer token, bodies, idempotent retries, conditional and range reads,
/// part checksums, and the tus protocol's request headers.
static ALLOW_HEADERS: HeaderValue = HeaderValue::from_static(
    "authorization, content-type, idempotency-key, if-none-match, if-match, range, content-md5, \
     x-amz-checksum-sha256, tus-resumable, upload-length, upload-offset, upload-metadata, \
     upload-defer-length, upload-checksum, upload-concat, x-http-method-override, x-requested-with",
);
/// What browser clients read: validators, where a created resource is, when to retry, rate-limit state,
/// ranges, and the tus protocol's response headers.
static EXPOSE_HEADERS: HeaderValue = HeaderValue::from_static(
    "etag, location, retry-after, content-range, content-disposition, ratelimit, ratelimit-policy, \
     tus-resumable, tus-version, tus-extension, tus-max-size, tus-checksum-algorithm, upload-offset, \
     upload-length, upload-metadata, upload-expires, darkroom-image-id",
);
/// How long a browser may reuse a preflight's answer.
static MAX_AGE: HeaderValue = HeaderValue::from_static("600");
static VARY_ORIGIN: HeaderValue = HeaderValue::from_static("origin");

/// The origins allowed to call the API from a browser, exactly as browsers send them
/// (`https://app.example.org`, scheme and host and any port, no path).
#[derive(Debug, Clone, Default)]
pub struct CorsOrigins(Arc<Vec<HeaderValue>>);

impl CorsOrigins {
    /// Parses the comma-separated `cors_origins` setting; `*` is refused, as it would hand every site on
    /// the web a logged-in user's API.
    pub fn parse(list: &str) -> Result<Self, String> {
        let origins = list
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(|origin| {
                let bare = origin.trim_end_matches('/');
                let host = bare
                    .strip_prefix("https://")
                    .or_else(|| bare.strip_prefix("http://"));
                let valid = host.is_some_and(|host| {
                    !host.is_empty() && !host.contains(['/', '*', '?', '#'].as_slice())
                });
                if !valid {
                    return Err(format!(
                        "cors_origins: `{origin}` is not an origin (scheme://host[:port], no path, no wildcard)"
                    ));
                }
                HeaderValue::from_str(bare)
                    .map_err(|_| format!("cors_origins: `{origin}` is not a valid header value"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self(Arc::new(origins)))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn allowed(&self, origin: &HeaderValue) -> bool {
        self.0.iter().any(|allowed| allowed == origin)
    }
}

/// Answers preflights from allowed origins and marks their other answers readable.
pub async fn cors<E: Endpoint>(
    next: E,
    req: Request,
    origins: CorsOrigins,
) -> poem::Result<Response> {
    let origin = req
        .headers()
        .get(ORIGIN)
        .filter(|origin| origins.allowed(origin))
        .cloned();
    let Some(origin) = origin else {
        return Ok(with_vary(next.get_response(req).await, &origins));
    };
    let preflight = req.method() == Method::OPTIONS
        && req.headers().contains_key(ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = if preflight {
        let mut response = Response::builder().status(StatusCode::NO_CONTENT).finish();
        let headers = response.headers_mut();
        headers.insert(ACCESS_CONTROL_ALLOW_METHODS, ALLOW_METHODS.clone());
        headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS.clone());
        headers.insert(ACCESS_CONTROL_MAX_AGE, MAX_AGE.clone());
        response
    } else {
        let mut response = next.get_response(req).await;
        response
            .headers_mut()
            .insert(ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSE_HEADERS.clone());
        response
    };
    response
        .headers_mut()
        .insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    Ok(with_vary(response, &origins))
}

/// With origins configured, an answer depends on the request's `Origin`: a shared cache must not hand one
/// origin's answer (with or without the allow headers) to another.
fn with_vary(mut response: Response, origins: &CorsOrigins) -> Response {
    if !origins.is_empty() {
        response.headers_mut().append(VARY, VARY_ORIGIN.clone());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_parse_and_wildcards_do_not() {
        let origins =
            CorsOrigins::parse(" https://app.example.org, http://localhost:5173/ ").unwrap();
        assert!(origins.allowed(&HeaderValue::from_static("https://app.example.org")));
        assert!(origins.allowed(&HeaderValue::from_static("http://localhost:5173")));
        assert!(!origins.allowed(&HeaderValue::from_static("https://evil.example.org")));
        assert!(CorsOrigins::parse("").unwrap().is_empty());
        for bad in [
            "*",
            "https://*.example.org",
            "app.example.org",
            "https://a.org/path",
        ] {
            assert!(CorsOrigins::parse(bad).is_err(), "{bad}");
        }
    }
}
