//! Visibility on every path a post or image surfaces: `followers` means followers, `private` means the
//! author; what a caller may not see is 404 — the post, its images, its comments, its likes.

use darkroom_tests::app::spawn_app;
use darkroom_tests::social::{eventually, ids, same};
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn followers_and_private_posts_reach_only_their_audience() {
    let app = spawn_app().await;
    let author = app.register("author").await;
    let fan = app.register("fan").await;
    let stranger = app.register("stranger").await;
    app.follow(&fan, "author").await;
    assert!(app.timeline_ids(&fan).await.is_empty());

    let for_followers = app.ready_image(&author, "private").await;
    let followers_post = app
        .post(&author, &[&for_followers], "friends only", "followers")
        .await;
    let followers_id = followers_post["id"].as_str().unwrap().to_owned();
    let secret = app.ready_image(&author, "private").await;
    let private_post = app.post(&author, &[&secret], "just me", "private").await;
    let private_id = private_post["id"].as_str().unwrap().to_owned();

    eventually(
        "the followers' post reaches the follower, the private one does not",
        || async { same(app.timeline_ids(&fan).await, vec![followers_id.clone()]) },
    )
    .await;
    // The author sees both on the grid; the follower one; strangers and anonymous callers none.
    assert_eq!(
        ids(&app.read_json(Some(&author), "/v1/users/author/posts").await),
        [private_id.clone(), followers_id.clone()]
    );
    assert_eq!(
        ids(&app.read_json(Some(&fan), "/v1/users/author/posts").await),
        vec![followers_id.clone()]
    );
    for who in [Some(&stranger), None] {
        assert!(ids(&app.read_json(who, "/v1/users/author/posts").await).is_empty());
        assert_eq!(app.get_image(who, &for_followers).await.status(), 404);
        for post in [&followers_id, &private_id] {
            let (status, _) = app
                .call(Method::GET, &format!("/v1/posts/{post}"), who, None)
                .await;
            assert_eq!(status, 404);
            let (status, _) = app
                .call(
                    Method::GET,
                    &format!("/v1/posts/{post}/comments"),
                    who,
                    None,
                )
                .await;
            assert_eq!(status, 404);
        }
    }
    // The follower's image access follows the post's widening (private → followers).
    assert_eq!(
        app.get_image(Some(&fan), &for_followers).await.status(),
        200
    );
    assert_eq!(app.get_image(Some(&fan), &secret).await.status(), 404);
    let variant = format!("/v1/images/{for_followers}/variants/thumb");
    assert_eq!(app.get(Some(&fan), &variant, &[]).await.status(), 200);
    assert_eq!(app.get(Some(&stranger), &variant, &[]).await.status(), 404);

    // What may not be seen may not be liked or commented either.
    for (method, path, body) in [
        (Method::PUT, format!("/v1/posts/{private_id}/like"), None),
        (
            Method::POST,
            format!("/v1/posts/{private_id}/comments"),
            Some(json!({"text": "hi"})),
        ),
        (Method::PUT, format!("/v1/posts/{followers_id}/like"), None),
    ] {
        let (status, body) = app.call(method, &path, Some(&stranger), body).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/v1/posts/{private_id}/like"),
            Some(&fan),
            None,
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        app.read_json(Some(&author), &format!("/v1/posts/{private_id}"))
            .await["likes_count"],
        0
    );

    // Bad input is a clear 4xx: no images, someone else's image, a caption too long.
    let others = app.ready_image(&fan, "public").await;
    for body in [
        json!({"image_ids": [], "caption": "x"}),
        json!({"image_ids": [others], "caption": "not mine"}),
        json!({"image_ids": [secret], "caption": "x".repeat(2201)}),
    ] {
        let (status, problem) = app
            .call(Method::POST, "/v1/posts", Some(&author), Some(body))
            .await;
        assert!((400..500).contains(&status), "{status} {problem}");
        assert!(problem["code"].is_string(), "{problem}");
    }
    assert_eq!(
        app.read_json(None, "/v1/users/author").await["posts_count"],
        2
    );
}
