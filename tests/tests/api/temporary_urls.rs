//! Temporary URLs: images that are not public come with variant URLs that work without a bearer token (for
//! `<img>` tags) until they expire, and stop working when altered or when the image's visibility changes.

use std::time::Duration;

use darkroom_tests::app::{spawn_app, Account, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

fn thumb_url(image: &Value) -> String {
    image["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .find(|v| v["name"] == "thumb")
        .expect("a thumb")["url"]
        .as_str()
        .expect("url")
        .to_owned()
}

async fn status_of(app: &TestApp, who: Option<&Account>, path: &str) -> u16 {
    app.get(who, path, &[]).await.status().as_u16()
}

async fn set_visibility(app: &TestApp, owner: &Account, id: &str, visibility: &str) -> Value {
    let (status, image) = app
        .call(
            Method::PATCH,
            &format!("/v1/images/{id}"),
            Some(owner),
            Some(json!({ "visibility": visibility })),
        )
        .await;
    assert_eq!(status, 200, "{image}");
    image
}

#[tokio::test]
async fn a_private_images_url_works_without_a_token_until_it_expires() {
    let app = spawn_app().await;
    let owner = app.register("nightowl").await;
    let id = app.ready_image(&owner, "private").await;
    let image = app
        .read_json(Some(&owner), &format!("/v1/images/{id}"))
        .await;
    let url = thumb_url(&image);
    let grant = &image["temporary_access"];
    assert!(
        url.ends_with(&format!("?{}", grant["query"].as_str().unwrap())),
        "{url} carries the grant {grant}"
    );

    let anonymous = app.get(None, &url, &[]).await;
    assert_eq!(anonymous.status(), 200, "the signed URL, with no token");
    assert!(anonymous.headers()["cache-control"]
        .to_str()
        .unwrap()
        .starts_with("private"));
    let bytes = anonymous.bytes().await.unwrap();
    assert!(image::load_from_memory(&bytes).is_ok());
    // The plain URL still needs the owner, and `format=` goes after the grant.
    assert_eq!(
        status_of(&app, None, &format!("/v1/images/{id}/variants/thumb")).await,
        404
    );
    assert_eq!(
        status_of(&app, None, &format!("{url}&format=webp")).await,
        200
    );
    // Originals are never served on a grant.
    let (_, query) = url.split_once('?').unwrap();
    assert_eq!(
        status_of(&app, None, &format!("/v1/images/{id}/original?{query}")).await,
        404
    );

    // The listing and the upload answer carry grants too, and the grant opens transformations.
    let mine = app.read_json(Some(&owner), "/v1/me/images").await;
    assert_eq!(thumb_url(&mine["items"][0]), url);
    let transform = format!("/v1/t/_/rs:fit:64:64/{id}.jpg");
    assert_eq!(status_of(&app, None, &transform).await, 404);
    assert_eq!(
        status_of(&app, None, &format!("{transform}?{query}")).await,
        200
    );

    // Expiry is checked against the server's clock: move it past the grant's end.
    let expires = grant["expires_at"].as_str().unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(expires).unwrap();
    let left = (expires.timestamp() - chrono::Utc::now().timestamp()).max(0) as u64;
    app.clock.advance(Duration::from_secs(left + 1));
    assert_eq!(status_of(&app, None, &url).await, 404, "expired");
    assert_eq!(
        status_of(&app, None, &format!("{transform}?{query}")).await,
        404
    );
    // The owner, with a token, is not bothered by an expired grant on a fresh URL.
    let fresh = thumb_url(
        &app.read_json(Some(&owner), &format!("/v1/images/{id}"))
            .await,
    );
    assert_ne!(fresh, url);
    assert_eq!(status_of(&app, None, &fresh).await, 200);
}

#[tokio::test]
async fn an_altered_or_half_grant_is_refused() {
    let app = spawn_app().await;
    let owner = app.register("tamperer").await;
    let id = app.ready_image(&owner, "private").await;
    let image = app
        .read_json(Some(&owner), &format!("/v1/images/{id}"))
        .await;
    let url = thumb_url(&image);
    let (path, query) = url.split_once('?').unwrap();
    let exp = query.split('&').find(|p| p.starts_with("exp=")).unwrap();
    let sig = query.split('&').find(|p| p.starts_with("sig=")).unwrap();
    let expires: i64 = exp["exp=".len()..].parse().unwrap();
    let mut flipped = sig.to_owned();
    let last = flipped.pop().unwrap();
    flipped.push(if last == 'A' { 'B' } else { 'A' });
    for altered in [
        format!("{path}?exp={}&{sig}", expires + 900),
        format!("{path}?{exp}&{flipped}"),
        format!("{path}?{exp}"),
        format!("{path}?{sig}"),
        format!("{path}?{exp}&sig="),
    ] {
        assert_eq!(status_of(&app, None, &altered).await, 404, "{altered}");
        // Even the owner's token does not rescue a bad grant: the URL is what is wrong.
        assert_eq!(
            status_of(&app, Some(&owner), &altered).await,
            404,
            "{altered}"
        );
    }
    // Another image's grant does not open this one.
    let other = app.ready_image(&owner, "private").await;
    assert_eq!(
        status_of(
            &app,
            None,
            &format!("/v1/images/{other}/variants/thumb?{query}")
        )
        .await,
        404
    );
}

#[tokio::test]
async fn a_visibility_change_ends_the_grants_given_before() {
    let app = spawn_app().await;
    let owner = app.register("curator").await;
    let follower = app.register("fan").await;
    app.follow(&follower, "curator").await;
    let id = app.ready_image(&owner, "followers").await;

    // A follower is given a grant for a followers-only image and can put it in an <img>.
    let seen = app
        .read_json(Some(&follower), &format!("/v1/images/{id}"))
        .await;
    let shared = thumb_url(&seen);
    assert!(seen["temporary_access"].is_object());
    assert_eq!(status_of(&app, None, &shared).await, 200);

    // Turned private: the follower's URL stops working at once; the owner's new one works.
    let private = set_visibility(&app, &owner, &id, "private").await;
    assert_eq!(status_of(&app, None, &shared).await, 404);
    let owners = thumb_url(&private);
    assert_ne!(owners, shared);
    assert_eq!(status_of(&app, None, &owners).await, 200);

    // Made public: plain URLs, the same for everyone and cacheable forever, and no grant.
    let public = set_visibility(&app, &owner, &id, "public").await;
    assert!(public["temporary_access"].is_null());
    assert_eq!(
        thumb_url(&public),
        format!("/v1/images/{id}/variants/thumb")
    );
    let anonymous = app.get(None, &thumb_url(&public), &[]).await;
    assert_eq!(anonymous.status(), 200);
    assert!(anonymous.headers()["cache-control"]
        .to_str()
        .unwrap()
        .starts_with("public"));
    assert_eq!(
        status_of(&app, None, &owners).await,
        404,
        "the private grant ended"
    );
}

#[tokio::test]
async fn images_in_posts_carry_grants_for_those_who_may_see_them() {
    let app = spawn_app().await;
    let author = app.register("poster").await;
    let follower = app.register("reader").await;
    app.follow(&follower, "poster").await;
    let id = app.ready_image(&author, "followers").await;
    let post = app.post(&author, &[&id], "for friends", "followers").await;
    let post_id = post["id"].as_str().unwrap();
    let seen = app
        .read_json(Some(&follower), &format!("/v1/posts/{post_id}"))
        .await;
    let url = thumb_url(&seen["images"][0]);
    assert!(url.contains("sig="), "{url}");
    assert_eq!(status_of(&app, None, &url).await, 200);
}
