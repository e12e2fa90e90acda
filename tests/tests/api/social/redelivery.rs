//! Every event handler is idempotent: each event delivered again (as a queue does after a lost ack) changes
//! nothing — no second timeline entry, no second notification, no second count.

use std::time::Duration;

use darkroom_core::domain::{CommentId, Event, PostId, UserId};
use darkroom_core::ports::{Message, QueueSettings};
use darkroom_tests::app::{spawn_app_with, Account, TestApp};
use darkroom_tests::social::{eventually, same};
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

async fn user_id(app: &TestApp, who: &Account) -> UserId {
    let user = app
        .read_json(None, &format!("/v1/users/{}", who.username))
        .await;
    UserId(user["id"].as_str().unwrap().parse().unwrap())
}

/// Everything the handlers write, as the API shows it.
async fn read_models(app: &TestApp, accounts: &[&Account], post: &str) -> Value {
    let mut seen = Vec::new();
    for who in accounts {
        seen.push(json!({
            "timeline": app.timeline_ids(who).await,
            "inbox": app.inbox(who).await.0,
            "profile": app.read_json(None, &format!("/v1/users/{}", who.username)).await,
        }));
    }
    let post = app
        .read_json(Some(accounts[0]), &format!("/v1/posts/{post}"))
        .await;
    json!({"accounts": seen, "likes": post["likes_count"], "comments": post["comments_count"]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_event_delivered_twice_changes_nothing_twice() {
    // The job counts are read from the operator's listener: the API's port answers /metrics with 404.
    let app = spawn_app_with(|c| c.metrics_listen = Some("127.0.0.1:0".parse().unwrap())).await;
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    app.follow(&bob, "ada").await;
    assert!(app.timeline_ids(&bob).await.is_empty());
    let image = app.ready_image(&ada, "public").await;
    let post = app.post(&ada, &[&image], "hello @bob", "public").await;
    let post_id = post["id"].as_str().unwrap().to_owned();
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/v1/posts/{post_id}/like"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, comment) = app
        .call(
            Method::POST,
            &format!("/v1/posts/{post_id}/comments"),
            Some(&bob),
            Some(json!({"text": "hi @ada"})),
        )
        .await;
    assert_eq!(status, 201);
    eventually("every handler has run once", || async {
        let bob_view = (app.timeline_ids(&bob).await, app.inbox(&bob).await.0.len());
        let ada_inbox = app.inbox(&ada).await.0.len();
        // bob: the post, and the mention; ada: the follow, the like, the comment and its mention.
        same((bob_view, ada_inbox), ((vec![post_id.clone()], 1), 4))
    })
    .await;
    let before = read_models(&app, &[&ada, &bob], &post_id).await;

    let (ada_id, bob_id) = (user_id(&app, &ada).await, user_id(&app, &bob).await);
    let post = PostId(post_id.parse().unwrap());
    let comment = CommentId(comment["id"].as_str().unwrap().parse().unwrap());
    let events = [
        Event::UserCreated { user_id: ada_id },
        Event::UserUpdated { user_id: bob_id },
        Event::FollowChanged {
            follower_id: bob_id,
            followee_id: ada_id,
            accepted: false,
        },
        Event::PostCreated {
            post_id: post,
            author_id: ada_id,
        },
        Event::PostLiked {
            post_id: post,
            user_id: bob_id,
        },
        Event::CommentCreated {
            comment_id: comment,
            post_id: post,
            author_id: bob_id,
        },
    ];
    let queue = darkroom::backends::queue::connect(&app.config, QueueSettings::default(), false)
        .await
        .unwrap();
    let handled_before = handled(&app).await;
    for event in &events {
        // A new message id: what a queue without de-duplication (SQS standard) delivers after a retry.
        let message = Message {
            id: Uuid::now_v7().to_string(),
            topic: event.topic().to_owned(),
            payload: event.to_bytes(),
        };
        queue.publish(&message).await.unwrap();
    }
    assert_eq!(
        events.len(),
        Event::TOPICS.len() - 1,
        "every topic but post.deleted, tested below"
    );
    // Wait until the worker has handled a message of every topic since (the metrics are the process's,
    // so other tests' jobs count too: this is a lower bound), then a little more; nothing may have changed.
    eventually("the worker handles the copies", || async {
        let now = handled(&app).await;
        let behind: Vec<&str> = events
            .iter()
            .map(Event::topic)
            .filter(|topic| now.get(*topic) <= handled_before.get(*topic))
            .collect();
        if behind.is_empty() {
            Ok(())
        } else {
            Err(format!("{behind:?}"))
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(read_models(&app, &[&ada, &bob], &post_id).await, before);

    // `post.deleted` twice: the post leaves the timeline once, and the second copy is harmless.
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/v1/posts/{post_id}"),
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let deleted = Event::PostDeleted {
        post_id: post,
        author_id: ada_id,
    };
    queue
        .publish(&Message {
            id: Uuid::now_v7().to_string(),
            topic: deleted.topic().to_owned(),
            payload: deleted.to_bytes(),
        })
        .await
        .unwrap();
    eventually("the deleted post is gone once", || async {
        same(app.timeline_ids(&bob).await, Vec::<String>::new())
    })
    .await;
    assert_eq!(app.read_json(None, "/v1/users/ada").await["posts_count"], 0);
}

/// `worker_jobs_finished_total` by topic, summed over outcomes, from `/metrics`.
async fn handled(app: &TestApp) -> std::collections::HashMap<String, f64> {
    let text = app.metrics().await;
    let mut by_topic = std::collections::HashMap::new();
    for line in text
        .lines()
        .filter(|l| l.starts_with("worker_jobs_finished_total{"))
    {
        let topic = line
            .split("topic=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next());
        let value = line.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok());
        if let (Some(topic), Some(value)) = (topic, value) {
            *by_topic.entry(topic.to_owned()).or_insert(0.0) += value;
        }
    }
    by_topic
}
