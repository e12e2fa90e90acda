//! Headers that make responses safe to hand to a browser, added once around every route (so the serving
//! code stays about bytes): `nosniff` everywhere; user media sandboxed (`Content-Security-Policy:
//! default-src 'none'; sandbox`, so an SVG or HTML disguised as an image can run nothing even when opened
//! directly) and named (`Content-Disposition: inline; filename=…`); token responses never stored; and a
//! `Retry-After` on every 503.

use poem::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE, RETRY_AFTER,
    X_CONTENT_TYPE_OPTIONS,
};
use poem::http::{HeaderValue, Method, StatusCode};
use poem::{Endpoint, Request, Response};

// Static values: cloning one copies a pointer, so each answer pays no allocation for them.
static NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");
static MEDIA_POLICY: HeaderValue = HeaderValue::from_static("default-src 'none'; sandbox");
static NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
/// Most waits behind a 503 are short (a bounded pool, a backend restarting).
static RETRY_SOON: HeaderValue = HeaderValue::from_static("1");

/// What a request's path says about the headers its answer needs.
enum Kind {
    /// A variant or the original of an image: the file name it is offered under, without extension.
    Media(Option<String>),
    /// An answer that carries tokens.
    Tokens,
    Other,
}

fn kind(method: &Method, path: &str) -> Kind {
    // A transformation's path is options a client wrote: no file name from it.
    if path.starts_with("/v1/t/") {
        return Kind::Media(None);
    }
    if let Some(rest) = path.strip_prefix("/v1/images/") {
        // Split without allocating: this runs on every image served.
        let mut segments = rest.trim_end_matches('/').split('/');
        return match (
            segments.next(),
            segments.next(),
            segments.next(),
            segments.next(),
        ) {
            (Some(id), Some("variants"), Some(name), None) => Kind::Media(safe_name(&[id, name])),
            (Some(id), Some("original"), None, None) => Kind::Media(safe_name(&[id])),
            _ => Kind::Other,
        };
    }
    match (method, path) {
        // Token pairs, and the TOTP secret and recovery codes of an enrolment.
        (
            &Method::POST,
            "/v1/auth/login"
            | "/v1/auth/register"
            | "/v1/auth/refresh"
            | "/v1/auth/login/mfa"
            | "/v1/me/mfa/totp"
            | "/v1/me/mfa/totp/confirm",
        ) => Kind::Tokens,
        _ => Kind::Other,
    }
}

/// `a-b` from path segments when each is a plain token (ids and variant names are); `None` otherwise, so
/// that nothing a client typed reaches the header unchecked.
fn safe_name(parts: &[&str]) -> Option<String> {
    let plain = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    parts.iter().all(|p| plain(p)).then(|| parts.join("-"))
}

fn extension(content_type: &str) -> Option<&'static str> {
    Some(match content_type.split(';').next()?.trim() {
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        "image/avif" => "avif",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/tiff" => "tiff",
        "image/heic" | "image/heif" => "heic",
        _ => return None,
    })
}

pub async fn safe_headers<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let kind = kind(req.method(), req.uri().path());
    let mut response = next.get_response(req).await;
    let status = response.status();
    let headers = response.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, NOSNIFF.clone());
    match kind {
        Kind::Media(name) => {
            headers.insert(CONTENT_SECURITY_POLICY, MEDIA_POLICY.clone());
            let ext = headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .and_then(extension);
            if status.is_success() {
                let disposition = match (name, ext) {
                    (Some(name), Some(ext)) => {
                        HeaderValue::from_str(&format!("inline; filename=\"{name}.{ext}\""))
                            .unwrap_or(HeaderValue::from_static("inline"))
                    }
                    _ => HeaderValue::from_static("inline"),
                };
                headers.insert(CONTENT_DISPOSITION, disposition);
            }
        }
        Kind::Tokens => {
            headers.insert(CACHE_CONTROL, NO_STORE.clone());
        }
        Kind::Other => {}
    }
    if status == StatusCode::SERVICE_UNAVAILABLE && !headers.contains_key(RETRY_AFTER) {
        headers.insert(RETRY_AFTER, RETRY_SOON.clone());
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_paths_name_their_file_from_plain_segments_only() {
        let named = |path: &str| match kind(&Method::GET, path) {
            Kind::Media(name) => name,
            _ => panic!("{path} is media"),
        };
        assert_eq!(
            named("/v1/images/abc-1/variants/thumb").as_deref(),
            Some("abc-1-thumb")
        );
        assert_eq!(named("/v1/images/abc/original").as_deref(), Some("abc"));
        assert_eq!(named("/v1/images/a%22b/original"), None);
        assert_eq!(named("/v1/t/_/w:100/abc.jpg"), None);
        assert!(matches!(
            kind(&Method::POST, "/v1/auth/login"),
            Kind::Tokens
        ));
        assert!(matches!(kind(&Method::GET, "/v1/images/abc"), Kind::Other));
    }
}
