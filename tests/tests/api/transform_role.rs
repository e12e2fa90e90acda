//! `serve --role transform`: a replica that serves transformations alone, on the same backends as the API,
//! so heavy renders scale apart from it. Every other route is a 404 there.

use darkroom::config::Role;
use darkroom_core::transform::Signer;
use darkroom_tests::app::{assert_problem, spawn_app_with, Account, TestApp};
use serde_json::json;

const KEY: &str = "736563726574";
const SALT: &str = "68656C6C6F";

fn how(response: &reqwest::Response) -> &str {
    response.headers()["x-darkroom-transform"].to_str().unwrap()
}

/// The API (with the worker) and a transform replica beside it, on one set of backends.
async fn api_and_transform() -> (TestApp, TestApp) {
    let api = spawn_app_with(|c| {
        c.transform_key = KEY.into();
        c.transform_salt = SALT.into();
    })
    .await;
    let transform = api.spawn_sibling(|c| c.role = Role::Transform).await;
    (api, transform)
}

/// A processed upload of a test photo with `visibility`, by `owner` through `api`: its id.
async fn ready_photo(api: &TestApp, owner: &Account, visibility: &str) -> String {
    let image = api
        .upload_testdata(owner, "photos/landscape_1.jpg", visibility)
        .await;
    let id = image["id"].as_str().unwrap().to_owned();
    api.wait_processed(owner, &id).await;
    id
}

/// The transformation URL of `path`, signed with the key and salt both servers were given.
fn signed(path: &str) -> String {
    let signer = Signer::from_hex(KEY, SALT, 0).unwrap();
    format!("/v1/t/{}{path}", signer.sign(path).unwrap())
}

#[tokio::test]
async fn the_transform_role_renders_what_the_api_stored_and_the_api_serves_what_it_rendered() {
    let (api, transform) = api_and_transform().await;
    let owner = api.register("splitter").await;
    let id = ready_photo(&api, &owner, "public").await;
    let path = format!("/rs:fit:96:96/q:70/{id}.jpg");
    let url = signed(&path);

    let rendered = transform.get(None, &url, &[]).await;
    assert_eq!(rendered.status(), 200);
    assert_eq!(how(&rendered), "rendered");
    assert_eq!(rendered.headers()["content-type"], "image/jpeg");
    let bytes = rendered.bytes().await.unwrap();
    let pixels = image::load_from_memory(&bytes).unwrap();
    assert!(pixels.width() <= 96 && pixels.height() <= 96);
    assert_eq!(pixels.width().max(pixels.height()), 96);
    // Stored where every replica finds it: the API answers from storage, with the same bytes.
    let from_api = api.get(None, &url, &[]).await;
    assert_eq!(from_api.status(), 200);
    assert_eq!(how(&from_api), "stored");
    assert_eq!(from_api.bytes().await.unwrap(), bytes);
    // The signing key is the same config: unsigned and tampered URLs are refused there too.
    let unsigned = format!("/v1/t/_{path}");
    assert_problem(
        transform.get(None, &unsigned, &[]).await,
        403,
        "invalid_signature",
    )
    .await;
}

#[tokio::test]
async fn private_images_transform_there_for_their_owner_and_on_a_temporary_url_only() {
    let (api, transform) = api_and_transform().await;
    let owner = api.register("hermit").await;
    let id = ready_photo(&api, &owner, "private").await;
    let path = format!("/rs:fill:64:64/{id}.png");
    let url = signed(&path);

    // Tokens are checked there as on the API (the same keys): a stranger and nobody see nothing.
    assert_problem(transform.get(None, &url, &[]).await, 404, "not_found").await;
    let stranger = api.register("stranger").await;
    assert_problem(
        transform.get(Some(&stranger), &url, &[]).await,
        404,
        "not_found",
    )
    .await;
    let mine = transform.get(Some(&owner), &url, &[]).await;
    assert_eq!(mine.status(), 200);
    assert!(mine.headers()["cache-control"]
        .to_str()
        .unwrap()
        .starts_with("private"));
    // The API's temporary grant opens the transformation on the transform replica, without a token.
    let seen = api
        .get(Some(&owner), &format!("/v1/images/{id}"), &[])
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let query = seen["temporary_access"]["query"].as_str().unwrap();
    let granted = transform.get(None, &format!("{url}?{query}"), &[]).await;
    assert_eq!(granted.status(), 200);
    assert_eq!(granted.headers()["content-type"], "image/png");
}

#[tokio::test]
async fn every_other_route_is_a_404_on_the_transform_role() {
    let (api, transform) = api_and_transform().await;
    let owner = api.register("roamer").await;

    let register = transform
        .client
        .post(transform.url("/v1/auth/register"))
        .json(&json!({"username": "late", "email": "late@example.org", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_problem(register, 404, "not_found").await;
    for path in ["/v1/me/images", "/v1/timeline", "/openapi.json", "/docs"] {
        let response = transform.get(Some(&owner), path, &[]).await;
        assert_problem(response, 404, "not_found").await;
    }
    // The API still answers them: the same request, one port over.
    assert_eq!(
        api.get(Some(&owner), "/v1/me/images", &[]).await.status(),
        200
    );

    // Probes answer on real routes; readiness names the role and does not wait on the queue.
    assert_eq!(transform.get(None, "/healthz", &[]).await.status(), 200);
    let ready = transform.get(None, "/readyz", &[]).await;
    assert_eq!(ready.status(), 200);
    let ready: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(ready["role"], "transform");
    assert_eq!(ready["status"], "ready");
}

#[tokio::test]
async fn the_transform_roles_readiness_lists_no_queue_and_its_metrics_listener_serves() {
    let api = spawn_app_with(|c| c.metrics_listen = Some("127.0.0.1:0".parse().unwrap())).await;
    let transform = api.spawn_sibling(|c| c.role = Role::Transform).await;
    let detailed: serde_json::Value = transform
        .client
        .get(format!(
            "{}/readyz",
            transform.metrics_address.as_ref().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ports: Vec<&str> = detailed["backends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["port"].as_str().unwrap())
        .collect();
    assert_eq!(ports, ["database", "storage", "cache"], "{detailed}");
    let api_ready: serde_json::Value = api
        .client
        .get(format!("{}/readyz", api.metrics_address.as_ref().unwrap()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(api_ready["backends"]
        .as_array()
        .unwrap()
        .iter()
        .any(|b| b["port"] == "queue"));
    assert_eq!(transform.get(None, "/healthz", &[]).await.status(), 200);
    assert!(transform.metrics().await.contains("http_requests_total"));
}
