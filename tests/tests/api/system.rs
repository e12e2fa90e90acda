use darkroom_core::domain::ImageFormat;
use darkroom_imaging::decodable;
use darkroom_tests::app::{assert_problem, spawn_app};
use serde_json::Value;

const OPERATOR_TOKEN: &str = "operator-token-for-tests-0123456789";

/// Each backend of `/readyz`'s detailed view, as (port, backend).
fn backends_of(ready: &Value) -> Vec<(String, String)> {
    ready["backends"]
        .as_array()
        .unwrap_or_else(|| panic!("no backends in {ready}"))
        .iter()
        .map(|b| {
            (
                b["port"].as_str().unwrap().to_owned(),
                b["backend"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn expected_backends() -> Vec<(String, String)> {
    darkroom_tests::stacks::expected_backends()
        .iter()
        .map(|(port, backend)| (port.to_string(), backend.to_string()))
        .collect()
}

#[tokio::test]
async fn health_and_readiness_answer_anyone_without_details() {
    let app = spawn_app().await;
    let health = app.get(None, "/healthz", &[]).await;
    assert_eq!(health.status(), 200);

    let ready: Value = app.get(None, "/readyz", &[]).await.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["role"], "all");
    assert!(
        ready.get("backends").is_none(),
        "which backends serve, and their errors, are the operator's: {ready}"
    );
    // Without a token or a metrics listener, metrics are not served at all.
    assert_problem(app.get(None, "/metrics", &[]).await, 404, "not_found").await;
}

#[tokio::test]
async fn the_operator_token_opens_metrics_and_detailed_readiness() {
    let app = darkroom_tests::app::spawn_app_with(|c| {
        c.metrics_token = Some(OPERATOR_TOKEN.into());
    })
    .await;
    let operator = [(
        "authorization",
        "Bearer operator-token-for-tests-0123456789",
    )];
    let ready: Value = app
        .get(None, "/readyz", &operator)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        backends_of(&ready),
        expected_backends(),
        "the stack {} is what serves",
        darkroom_tests::stacks::current()
    );
    let wrong = [(
        "authorization",
        "Bearer operator-token-for-tests-0123456788",
    )];
    assert_problem(app.get(None, "/metrics", &wrong).await, 404, "not_found").await;
    let ready: Value = app.get(None, "/readyz", &wrong).await.json().await.unwrap();
    assert!(ready.get("backends").is_none(), "{ready}");

    let _ = app.get(None, "/v1/limits", &[]).await;
    let metrics = app
        .get(None, "/metrics", &operator)
        .await
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("http_requests_total"), "{metrics}");
}

#[tokio::test]
async fn metric_labels_are_route_templates_and_known_methods() {
    let app = darkroom_tests::app::spawn_app_with(|c| {
        c.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let metrics_address = app.metrics_address.clone().expect("a metrics listener");
    // Paths and methods a client makes up must not become series of their own.
    for n in 0..5 {
        let _ = app
            .get(None, &format!("/v1/images/{}", uuid_like(n)), &[])
            .await;
        let _ = app.get(None, &format!("/scan/{n}/wp-login.php"), &[]).await;
        let _ = app
            .client
            .request(
                reqwest::Method::from_bytes(format!("PROBE{n}").as_bytes()).unwrap(),
                app.url("/v1/limits"),
            )
            .send()
            .await
            .unwrap();
    }
    // On the API's port, metrics stay hidden; the operator's listener serves them and the detailed readiness.
    assert_problem(app.get(None, "/metrics", &[]).await, 404, "not_found").await;
    let ready: Value = app
        .client
        .get(format!("{metrics_address}/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(backends_of(&ready), expected_backends());
    let metrics = app.metrics().await;
    let requests: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .collect();
    assert!(
        requests
            .iter()
            .any(|l| l.contains(r#"route="/v1/images/{id}""#) && l.contains(r#"method="GET""#)),
        "{metrics}"
    );
    assert!(
        requests.iter().any(|l| l.contains(r#"route="other""#)),
        "{metrics}"
    );
    assert!(
        requests.iter().any(|l| l.contains(r#"method="other""#)),
        "{metrics}"
    );
    for line in &requests {
        assert!(
            !line.contains("PROBE") && !line.contains("wp-login") && !line.contains("0000-"),
            "{line}"
        );
    }
    assert!(
        metrics.contains("# TYPE http_request_duration_seconds histogram"),
        "{metrics}"
    );
}

fn uuid_like(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
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

/// Storage calls are timed by operation and outcome (the MeteredBlobStore port wrapper), on the metrics
/// listener, after an upload stored its original and the worker its variants.
#[tokio::test]
async fn storage_call_latency_is_measured_by_operation_and_outcome() {
    let app = darkroom_tests::app::spawn_app_with(|c| {
        c.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let me = app.register("metered").await;
    let image = app
        .upload_testdata(&me, "photos/Canon_40D.jpg", "private")
        .await;
    let id = image["id"].as_str().unwrap();
    assert_eq!(app.wait_processed(&me, id).await["status"], "ready");
    let text = app.metrics().await;
    assert!(
        text.contains("# TYPE storage_operation_duration_seconds histogram"),
        "{text}"
    );
    for operation in ["put_stream", "get"] {
        let series = format!(
            "storage_operation_duration_seconds_count{{operation=\"{operation}\",outcome=\"ok\"}}"
        );
        let count: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix(series.as_str()))
            .unwrap_or_else(|| panic!("no {series} in {text}"))
            .trim()
            .parse()
            .unwrap();
        assert!(count >= 1.0, "{series} {count}");
    }
    assert!(text.contains(
        "storage_operation_duration_seconds_bucket{operation=\"put_stream\",outcome=\"ok\",le=\""
    ));
}
