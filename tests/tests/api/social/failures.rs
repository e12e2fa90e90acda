//! A processing failure reaches its owner's inbox, once, naming the image.

use darkroom_tests::app::spawn_app;
use darkroom_tests::social::{eventually, same};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_image_is_in_its_owners_inbox() {
    let app = spawn_app().await;
    let owner = app.register("unlucky").await;
    let other = app.register("bystander").await;
    // A PNG signature and nothing a decoder can use: accepted by sniffing, failed by processing.
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend([0u8; 64]);
    let response = app.upload_raw(&owner, bytes, "image/png", "public").await;
    assert_eq!(response.status(), 202);
    let image: serde_json::Value = response.json().await.unwrap();
    let id = image["id"].as_str().unwrap().to_owned();
    let image = app.wait_processed(&owner, &id).await;
    assert_eq!(image["status"], "failed", "{image}");
    eventually("the owner is told", || async {
        let page = app.read_json(Some(&owner), "/v1/me/notifications").await;
        let items = page["items"].as_array().unwrap().clone();
        let seen: Vec<(String, String, bool)> = items
            .iter()
            .map(|n| {
                (
                    n["kind"].as_str().unwrap().to_owned(),
                    n["image_id"].as_str().unwrap_or_default().to_owned(),
                    n["actor"].is_null(),
                )
            })
            .collect();
        same(
            (seen, page["unread_count"].as_u64()),
            (
                vec![("processing_failed".into(), id.clone(), true)],
                Some(1),
            ),
        )
    })
    .await;
    assert!(app.inbox(&other).await.0.is_empty());
}
