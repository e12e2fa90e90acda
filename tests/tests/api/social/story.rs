//! A story of four accounts — follows, a private account with one request accepted and one refused, a post
//! of two images, likes, comments, mentions, an unfollow, a delete — asserting every timeline, profile
//! grid, count and inbox at each step.

use darkroom_tests::app::spawn_app;
use darkroom_tests::social::{eventually, ids, same};
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_social_story() {
    let app = spawn_app().await;
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    let cyd = app.register("cyd").await;
    let dan = app.register("dan").await;

    // Profiles: names, bio, a private account.
    let (status, me) = app
        .call(
            Method::PATCH,
            "/v1/me",
            Some(&dan),
            Some(json!({"first_name": "Dan", "last_name": "Brown", "bio": "private person", "is_private": true})),
        )
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(
        (me["is_private"].as_bool(), me["first_name"].as_str()),
        (Some(true), Some("Dan"))
    );

    // Bob follows Ada (twice: idempotent); the counts move once.
    assert_eq!(app.follow(&bob, "ada").await, "following");
    assert_eq!(app.follow(&bob, "ada").await, "following");
    let ada_seen_by_bob = app.read_json(Some(&bob), "/v1/users/ada").await;
    assert_eq!(ada_seen_by_bob["followers_count"], 1);
    assert_eq!(ada_seen_by_bob["followed_by_you"], true);
    assert_eq!(ada_seen_by_bob["follows_you"], false);
    assert_eq!(
        app.read_json(None, "/v1/users/bob").await["following_count"],
        1
    );
    let followers = app.read_json(None, "/v1/users/ada/followers").await;
    assert_eq!(usernames(&followers), ["bob"]);

    // Dan is private: Bob and Cyd ask; Dan accepts Bob and refuses Cyd.
    assert_eq!(app.follow(&bob, "dan").await, "requested");
    assert_eq!(app.follow(&cyd, "dan").await, "requested");
    let dan_seen_by_bob = app.read_json(Some(&bob), "/v1/users/dan").await;
    assert_eq!(
        (
            dan_seen_by_bob["follow_requested"].as_bool(),
            dan_seen_by_bob["followers_count"].as_u64()
        ),
        (Some(true), Some(0))
    );
    let requests = app.read_json(Some(&dan), "/v1/me/follow-requests").await;
    assert_eq!(sorted(usernames(&requests)), ["bob", "cyd"]);
    eventually("dan hears of both requests", || async {
        let (inbox, unread) = app.inbox(&dan).await;
        same(
            (sorted(inbox), unread),
            (
                vec![
                    ("follow_request".into(), "bob".into()),
                    ("follow_request".into(), "cyd".into()),
                ],
                2,
            ),
        )
    })
    .await;
    let (status, _) = app
        .call(
            Method::POST,
            "/v1/me/follow-requests/bob/accept",
            Some(&dan),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .call(
            Method::POST,
            "/v1/me/follow-requests/cyd/refuse",
            Some(&dan),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .call(
            Method::POST,
            "/v1/me/follow-requests/cyd/accept",
            Some(&dan),
            None,
        )
        .await;
    assert_eq!(status, 404, "a refused request is gone");
    assert_eq!(
        app.read_json(None, "/v1/users/dan").await["followers_count"],
        1
    );
    assert_eq!(
        ids(&app.read_json(Some(&dan), "/v1/me/follow-requests").await).len(),
        0
    );
    eventually(
        "bob is told he was accepted; dan's answered requests leave his inbox",
        || async {
            let bob_inbox = app.inbox(&bob).await.0;
            let dan_inbox = app.inbox(&dan).await.0;
            same(
                (bob_inbox, dan_inbox),
                (vec![("follow_accepted".into(), "dan".into())], vec![]),
            )
        },
    )
    .await;
    eventually("ada hears of her follower", || async {
        same(
            app.inbox(&ada).await.0,
            vec![("follow".into(), "bob".into())],
        )
    })
    .await;

    // Ada posts two images, mentioning Bob and Cyd; a caption's tags are parsed.
    let first = app.ready_image(&ada, "private").await;
    let second = app.ready_image(&ada, "private").await;
    let post = app
        .post(
            &ada,
            &[&first, &second],
            "Sea at dusk #Sunset #sea with @bob and @cyd",
            "public",
        )
        .await;
    let post_id = post["id"].as_str().unwrap().to_owned();
    assert_eq!(post["hashtags"], json!(["sunset", "sea"]));
    assert_eq!(post["mentions"], json!(["bob", "cyd"]));
    assert_eq!(post["images"].as_array().unwrap().len(), 2);
    assert_eq!(
        (
            post["likes_count"].as_u64(),
            post["comments_count"].as_u64()
        ),
        (Some(0), Some(0))
    );
    // Posting widened the images to the post's visibility: anyone may load them now.
    assert_eq!(app.get_image(None, &first).await.status(), 200);
    assert_eq!(app.read_json(None, "/v1/users/ada").await["posts_count"], 1);
    assert_eq!(
        ids(&app.read_json(None, "/v1/users/ada/posts").await),
        vec![post_id.clone()]
    );

    eventually("the post reaches bob's timeline", || async {
        same(app.timeline_ids(&bob).await, vec![post_id.clone()])
    })
    .await;
    assert!(
        app.timeline_ids(&cyd).await.is_empty(),
        "cyd follows nobody"
    );
    eventually("bob and cyd are told of the mention", || async {
        same(
            (app.inbox(&bob).await.0.len(), app.inbox(&cyd).await.0),
            (2, vec![("mention".into(), "ada".into())]),
        )
    })
    .await;

    // Likes (twice: idempotent) and comments, with a mention in a comment.
    for _ in 0..2 {
        let (status, _) = app
            .call(
                Method::PUT,
                &format!("/v1/posts/{post_id}/like"),
                Some(&bob),
                None,
            )
            .await;
        assert_eq!(status, 204);
    }
    let (status, comment) = app
        .call(
            Method::POST,
            &format!("/v1/posts/{post_id}/comments"),
            Some(&cyd),
            Some(json!({"text": "lovely, @dan"})),
        )
        .await;
    assert_eq!(status, 201, "{comment}");
    assert_eq!(comment["author"]["username"], "cyd");
    let seen = app
        .read_json(Some(&bob), &format!("/v1/posts/{post_id}"))
        .await;
    assert_eq!(
        (
            seen["likes_count"].as_u64(),
            seen["comments_count"].as_u64(),
            seen["liked_by_me"].as_bool()
        ),
        (Some(1), Some(1), Some(true))
    );
    assert_eq!(
        app.read_json(Some(&cyd), &format!("/v1/posts/{post_id}"))
            .await["liked_by_me"],
        false
    );
    let comments = app
        .read_json(None, &format!("/v1/posts/{post_id}/comments"))
        .await;
    assert_eq!(comments["items"][0]["text"], "lovely, @dan");
    eventually(
        "ada hears of the like and the comment; dan of the mention",
        || async {
            let ada_inbox = app.inbox(&ada).await;
            let dan_inbox = app.inbox(&dan).await.0;
            same(
                (sorted(ada_inbox.0), ada_inbox.1, dan_inbox),
                (
                    vec![
                        ("comment".into(), "cyd".into()),
                        ("follow".into(), "bob".into()),
                        ("like".into(), "bob".into()),
                    ],
                    3,
                    vec![("mention".into(), "cyd".into())],
                ),
            )
        },
    )
    .await;

    // Inbox: mark one read, then all.
    let page = app.read_json(Some(&ada), "/v1/me/notifications").await;
    let one = page["items"][0]["id"].clone();
    let (status, body) = app
        .call(
            Method::POST,
            "/v1/me/notifications/read",
            Some(&ada),
            Some(json!({"ids": [one]})),
        )
        .await;
    assert_eq!((status, body["unread_count"].as_u64()), (200, Some(2)));
    let (status, body) = app
        .call(
            Method::POST,
            "/v1/me/notifications/read",
            Some(&ada),
            Some(json!({})),
        )
        .await;
    assert_eq!((status, body["unread_count"].as_u64()), (200, Some(0)));
    assert_eq!(app.inbox(&ada).await.1, 0);

    // Unlike; a second unlike changes nothing.
    for _ in 0..2 {
        let (status, _) = app
            .call(
                Method::DELETE,
                &format!("/v1/posts/{post_id}/like"),
                Some(&bob),
                None,
            )
            .await;
        assert_eq!(status, 204);
    }
    assert_eq!(
        app.read_json(None, &format!("/v1/posts/{post_id}")).await["likes_count"],
        0
    );

    // Dan's private account: his approved follower sees his post; the refused one sees nothing of it.
    let dans = app.ready_image(&dan, "public").await;
    let dan_post = app
        .post(&dan, &[&dans], "from the private side", "public")
        .await;
    let dan_post_id = dan_post["id"].as_str().unwrap().to_owned();
    eventually("dan's post reaches his approved follower", || async {
        same(
            app.timeline_ids(&bob).await,
            vec![dan_post_id.clone(), post_id.clone()],
        )
    })
    .await;
    for who in [Some(&cyd), None] {
        let (status, _) = app
            .call(Method::GET, &format!("/v1/posts/{dan_post_id}"), who, None)
            .await;
        assert_eq!(status, 404);
        assert_eq!(app.get_image(who, &dans).await.status(), 404);
        assert!(ids(&app.read_json(who, "/v1/users/dan/posts").await).is_empty());
        let (status, _) = app
            .call(Method::GET, "/v1/users/dan/followers", who, None)
            .await;
        assert_eq!(status, 404);
    }
    assert_eq!(app.get_image(Some(&bob), &dans).await.status(), 200);

    // Bob unfollows Ada: her post leaves his timeline; the counts move back.
    let (status, _) = app
        .call(Method::DELETE, "/v1/users/ada/follow", Some(&bob), None)
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        app.read_json(None, "/v1/users/ada").await["followers_count"],
        0
    );
    assert_eq!(
        app.read_json(None, "/v1/users/bob").await["following_count"],
        1
    );
    eventually("ada's post leaves bob's timeline", || async {
        same(app.timeline_ids(&bob).await, vec![dan_post_id.clone()])
    })
    .await;

    // Dan deletes his post: it is gone everywhere, with its count.
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/v1/posts/{dan_post_id}"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(status, 404, "only the author deletes a post");
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/v1/posts/{dan_post_id}"),
            Some(&dan),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/v1/posts/{dan_post_id}"),
            Some(&dan),
            None,
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(app.read_json(None, "/v1/users/dan").await["posts_count"], 0);
    eventually("the deleted post leaves bob's timeline", || async {
        same(app.timeline_ids(&bob).await, Vec::<String>::new())
    })
    .await;
}

fn usernames(page: &serde_json::Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_owned())
        .collect()
}

fn sorted<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort();
    items
}
