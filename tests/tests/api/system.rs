use darkroom_core::domain::ImageFormat;
use darkroom_imaging::decodable;
use darkroom_tests::app::{assert_problem, spawn_app};
use serde_json::Value;

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = spawn_app().await;
    let health = app.get(None, "/healthz", &[]).await;
    assert_eq!(health.status(), 200);

    let ready: Value = app.get(None, "/readyz", &[]).await.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    let backends: Vec<(String, String)> = ready["backends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["port"].as_str().unwrap().to_owned(),
                b["backend"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = darkroom_tests::stacks::expected_backends()
        .iter()
        .map(|(port, backend)| (port.to_string(), backend.to_string()))
        .collect();
    assert_eq!(
        backends,
        expected,
        "the stack {} is what serves",
        darkroom_tests::stacks::current()
    );

    let _ = app.get(None, "/v1/limits", &[]).await;
    let metrics = app.get(None, "/metrics", &[]).await.text().await.unwrap();
    assert!(metrics.contains("http_requests_total"), "{metrics}");
}

#[tokio::test]
async fn limits_show_the_policy_in_force() {
    let app = darkroom_tests::app::spawn_app_with(|c| c.max_upload_bytes = 1234).await;
    let limits: Value = app.get(None, "/v1/limits", &[]).await.json().await.unwrap();
    assert_eq!(limits["max_bytes"], 1234);
    assert_eq!(limits["max_width"], 16384);
    assert_eq!(limits["max_pixels"], 50_000_000);
    let formats: Vec<&str> = limits["formats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    for expected in ["jpeg", "png", "gif", "webp", "tiff"] {
        assert!(formats.contains(&expected), "{formats:?}");
    }
    // HEIC and AVIF only where this build decodes them (`native-codecs`).
    for (name, format) in [("heic", ImageFormat::Heic), ("avif", ImageFormat::Avif)] {
        assert_eq!(formats.contains(&name), decodable(format), "{formats:?}");
    }
}

#[tokio::test]
async fn unknown_routes_and_bad_requests_are_problems() {
    let app = spawn_app().await;
    assert_problem(
        app.get(None, "/v1/nothing-here", &[]).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get(None, "/v1/images/not-a-uuid", &[]).await,
        400,
        "bad_request",
    )
    .await;
    let response = app
        .client
        .post(app.url("/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_problem(response, 400, "bad_request").await;
    assert_problem(app.get(None, "/v1/me", &[]).await, 401, "unauthenticated").await;
}
