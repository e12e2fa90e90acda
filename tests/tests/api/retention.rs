//! Retention (issue 10): `deleteImage` hides an image at once everywhere but keeps it; `restoreImage` brings
//! it back inside the window exactly as it was, for its owner only; past the window the purge pass leaves
//! nothing of it in storage or the database.

use std::time::Duration;

use darkroom_tests::app::{assert_problem, spawn_app_with, Account, TestApp};
use darkroom_tests::social::{eventually, same};
use reqwest::Method;
use serde_json::{json, Value};

/// A day, as the clock is moved.
const DAY: Duration = Duration::from_secs(86_400);

/// A ready public image of `who`'s with every late format made, so that nothing about it changes while a
/// test looks at it; its id.
async fn settled_image(app: &TestApp, who: &Account) -> String {
    let id = app.ready_image(who, "public").await;
    app.wait_variant_format(who, &id, "avif").await;
    id
}

async fn delete(app: &TestApp, who: &Account, id: &str) -> reqwest::Response {
    app.client
        .delete(app.url(&format!("/v1/images/{id}")))
        .bearer_auth(&who.access_token)
        .send()
        .await
        .unwrap()
}

async fn restore(app: &TestApp, who: &Account, id: &str) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/v1/images/{id}/restore")))
        .bearer_auth(&who.access_token)
        .send()
        .await
        .unwrap()
}

/// A binary response's status, ETag and bytes.
async fn fetched(app: &TestApp, who: Option<&Account>, path: &str) -> (u16, String, Vec<u8>) {
    let response = app.get(who, path, &[]).await;
    let status = response.status().as_u16();
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, etag, response.bytes().await.unwrap().to_vec())
}

/// The ids of the images a post shows.
fn image_ids(post: &Value) -> Vec<String> {
    post["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|image| image["id"].as_str().unwrap().to_owned())
        .collect()
}

fn listed_ids(page: &Value) -> Vec<String> {
    darkroom_tests::social::ids(page)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_image_is_hidden_everywhere_then_restored_as_it_was() {
    let app = spawn_app_with(|_| {}).await;
    let owner = app.register("keeper").await;
    let fan = app.register("fan").await;
    let stranger = app.register("stranger").await;
    assert_eq!(app.follow(&fan, "keeper").await, "following");
    let id = settled_image(&app, &owner).await;
    let other = settled_image(&app, &owner).await;
    let (status, _) = app
        .call(
            Method::PATCH,
            "/v1/me",
            Some(&owner),
            Some(json!({"avatar_image_id": id})),
        )
        .await;
    assert_eq!(status, 200);
    let post = app
        .post(&owner, &[&id, &other], "two of mine", "public")
        .await;
    let post_path = format!("/v1/posts/{}", post["id"].as_str().unwrap());
    eventually("the post on the fan's timeline", || async {
        same(
            app.timeline_ids(&fan)
                .await
                .contains(&post["id"].as_str().unwrap().to_owned()),
            true,
        )
    })
    .await;

    let before = app
        .read_json(Some(&owner), &format!("/v1/images/{id}"))
        .await;
    let thumb = format!("/v1/images/{id}/variants/thumb");
    let original = format!("/v1/images/{id}/original");
    let transform = format!("/v1/t/_/rs:fit:64:0/{id}.jpg");
    let thumb_before = fetched(&app, None, &thumb).await;
    let original_before = fetched(&app, Some(&owner), &original).await;
    assert_eq!((thumb_before.0, original_before.0), (200, 200));
    assert_eq!(fetched(&app, None, &transform).await.0, 200);
    let blobs_before = app.blobs_of(&id).await;
    assert!(blobs_before.iter().any(|k| k.contains("/transforms/")));

    assert_eq!(delete(&app, &owner, &id).await.status(), 204);

    // Hidden at once, from everyone, its owner included, on every path.
    for who in [Some(&owner), Some(&fan), None] {
        assert_problem(app.get_image(who, &id).await, 404, "not_found").await;
        assert_problem(app.get(who, &thumb, &[]).await, 404, "not_found").await;
        assert_problem(app.get(who, &original, &[]).await, 404, "not_found").await;
        assert_problem(app.get(who, &transform, &[]).await, 404, "not_found").await;
    }
    let mine = app.read_json(Some(&owner), "/v1/me/images").await;
    assert_eq!(listed_ids(&mine), vec![other.clone()]);
    for who in [Some(&owner), Some(&fan), None] {
        let shown = app.read_json(who, &post_path).await;
        assert_eq!(image_ids(&shown), vec![other.clone()], "getPost");
        let grid = app.read_json(who, "/v1/users/keeper/posts").await;
        assert_eq!(image_ids(&grid["items"][0]), vec![other.clone()], "grid");
    }
    let timeline = app.read_json(Some(&fan), "/v1/timeline").await;
    assert_eq!(image_ids(&timeline["items"][0]), vec![other.clone()]);
    // The avatar is one of the paths above (`avatar_url` is the thumb's): 404 to anyone.
    let profile = app.read_json(None, "/v1/users/keeper").await;
    assert_eq!(profile["avatar_url"], thumb.as_str());
    // Neither changed nor deleted again.
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/v1/images/{id}"),
            Some(&owner),
            Some(json!({"alt_text": "x"})),
        )
        .await;
    assert_eq!(status, 404);
    assert_problem(delete(&app, &owner, &id).await, 404, "not_found").await;
    // Storage is untouched until the purge.
    assert_eq!(app.blobs_of(&id).await, blobs_before);

    // Another account cannot restore it (nor tell it exists).
    assert_problem(restore(&app, &stranger, &id).await, 404, "not_found").await;
    assert_problem(restore(&app, &fan, &id).await, 404, "not_found").await;
    assert_problem(app.get_image(Some(&owner), &id).await, 404, "not_found").await;

    // Its owner brings it back: same id, same metadata, same bytes and validators.
    let restored = restore(&app, &owner, &id).await;
    assert_eq!(restored.status(), 200);
    let restored: Value = restored.json().await.unwrap();
    assert_eq!(restored, before);
    assert_eq!(
        app.read_json(Some(&owner), &format!("/v1/images/{id}"))
            .await,
        before
    );
    assert_eq!(fetched(&app, None, &thumb).await, thumb_before);
    assert_eq!(
        fetched(&app, Some(&owner), &original).await,
        original_before
    );
    assert_eq!(fetched(&app, None, &transform).await.0, 200);
    let mine = app.read_json(Some(&owner), "/v1/me/images").await;
    assert!(listed_ids(&mine).contains(&id));
    let shown = app.read_json(Some(&fan), &post_path).await;
    assert_eq!(image_ids(&shown), vec![id.clone(), other.clone()]);
    let timeline = app.read_json(Some(&fan), "/v1/timeline").await;
    assert_eq!(image_ids(&timeline["items"][0]), vec![id.clone(), other]);

    // Restoring again is idempotent (a retry whose answer was lost): 200 with the image as it is. What never
    // existed is 404.
    let again = restore(&app, &owner, &id).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap(), before);
    assert_problem(restore(&app, &stranger, &id).await, 404, "not_found").await;
    let unknown = uuid::Uuid::new_v4();
    assert_problem(
        restore(&app, &owner, &unknown.to_string()).await,
        404,
        "not_found",
    )
    .await;
    let anonymous = app
        .client
        .post(app.url(&format!("/v1/images/{id}/restore")))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_window_the_purge_leaves_nothing_of_it() {
    let app = spawn_app_with(|c| c.retention_pass_secs = 1).await;
    let owner = app.register("tidy").await;
    let id = settled_image(&app, &owner).await;
    let kept = settled_image(&app, &owner).await;
    assert_eq!(
        app.get(None, &format!("/v1/t/_/rs:fit:64:0/{id}.png"), &[])
            .await
            .status(),
        200
    );
    let kept_blobs = app.blobs_of(&kept).await;
    assert!(app
        .blobs_of(&id)
        .await
        .iter()
        .any(|key| key.contains("/transforms/")));
    assert_eq!(delete(&app, &owner, &id).await.status(), 204);

    // Six days on, passes run and leave it alone: it is still inside its window.
    app.clock.advance(6 * DAY);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(!app.blobs_of(&id).await.is_empty());

    // Just past the window: no restore any more, though the purge waits out its clock margin.
    app.clock.advance(DAY + Duration::from_secs(60));
    assert_problem(restore(&app, &owner, &id).await, 404, "not_found").await;
    assert!(
        !app.blobs_of(&id).await.is_empty(),
        "purged inside the margin"
    );

    // Past the margin, the pass purges its blobs, then its row.
    app.purge_after_retention(&id).await;
    let database = darkroom::backends::database::connect(&app.config.database_url(), false)
        .await
        .unwrap();
    let image_id = darkroom_core::domain::ImageId(id.parse().unwrap());
    let row_gone = eventually("the purged image's row", || async {
        let row = database.repositories.images.image(image_id).await.unwrap();
        same(row.is_none(), true)
    });
    row_gone.await;
    assert_problem(restore(&app, &owner, &id).await, 404, "not_found").await;
    assert_problem(app.get_image(Some(&owner), &id).await, 404, "not_found").await;

    // The other image lost nothing.
    assert_eq!(app.blobs_of(&kept).await, kept_blobs);
    assert_eq!(app.get_image(Some(&owner), &kept).await.status(), 200);
    let mine = app.read_json(Some(&owner), "/v1/me/images").await;
    assert_eq!(listed_ids(&mine), vec![kept]);
}
