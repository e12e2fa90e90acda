//! CORS: the origins in `cors_origins` may call the API from a browser; no one else gets the headers.

use darkroom_tests::app::spawn_app_with;

const APP_ORIGIN: &str = "https://app.example.org";

#[tokio::test]
async fn a_listed_origin_gets_its_preflight_and_readable_answers() {
    let app =
        spawn_app_with(|c| c.cors_origins = format!("{APP_ORIGIN}, http://localhost:5173")).await;
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/v1/images"))
        .header("origin", APP_ORIGIN)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, idempotency-key",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    let header = |name: &str| {
        preflight
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("access-control-allow-origin"), APP_ORIGIN);
    assert!(header("access-control-allow-methods").contains("POST"));
    let allowed = header("access-control-allow-headers");
    for needed in [
        "authorization",
        "idempotency-key",
        "upload-offset",
        "tus-resumable",
    ] {
        assert!(allowed.contains(needed), "{needed} not in {allowed}");
    }
    assert!(preflight
        .headers()
        .get("access-control-allow-credentials")
        .is_none());

    let limits = app.get(None, "/v1/limits", &[("origin", APP_ORIGIN)]).await;
    assert_eq!(limits.status(), 200);
    let allow = limits.headers().get("access-control-allow-origin").unwrap();
    assert_eq!(allow, APP_ORIGIN);
    let exposed = limits
        .headers()
        .get("access-control-expose-headers")
        .unwrap()
        .to_str()
        .unwrap();
    for needed in ["etag", "location", "retry-after", "upload-offset"] {
        assert!(exposed.contains(needed), "{needed} not in {exposed}");
    }
    assert!(limits
        .headers()
        .get_all("vary")
        .iter()
        .any(|v| v.to_str().unwrap().contains("origin")));
}

#[tokio::test]
async fn other_origins_get_no_cors_headers_but_are_still_answered() {
    let app = spawn_app_with(|c| c.cors_origins = APP_ORIGIN.into()).await;
    let foreign = app
        .get(
            None,
            "/v1/limits",
            &[("origin", "https://evil.example.org")],
        )
        .await;
    // Answered (a same-origin page or a script outside a browser may send `Origin` too); the browser keeps
    // the answer from a foreign page because no allow header names it.
    assert_eq!(foreign.status(), 200);
    assert!(foreign
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/v1/images"))
        .header("origin", "https://evil.example.org")
        .header("access-control-request-method", "DELETE")
        .send()
        .await
        .unwrap();
    assert!(preflight
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    assert!(preflight
        .headers()
        .get("access-control-allow-methods")
        .is_none());
}

#[tokio::test]
async fn no_origin_is_allowed_by_default() {
    let app = spawn_app_with(|_| {}).await;
    let response = app.get(None, "/v1/limits", &[("origin", APP_ORIGIN)]).await;
    assert_eq!(response.status(), 200);
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}
