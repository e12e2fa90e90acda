//! Helpers for the social suites: JSON calls as a given account, ready images, and waiting for what the
//! event handlers make true (timelines, inboxes, the search index are eventually consistent).

use std::future::Future;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::app::{Account, TestApp};

/// How long the suites wait for an event's effect before failing.
const EVENTUAL: Duration = Duration::from_secs(30);

impl TestApp {
    /// A JSON call; answers the status and the body (`null` when there is none).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        who: Option<&Account>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.client.request(method.clone(), self.url(path));
        if let Some(who) = who {
            request = request.bearer_auth(&who.access_token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        assert!(status < 500, "{method} {path} answered {status}: {body}");
        (status, body)
    }

    /// GET as `who`, asserting 200; the body.
    pub async fn read_json(&self, who: Option<&Account>, path: &str) -> Value {
        let (status, body) = self.call(Method::GET, path, who, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// A ready image of `who`'s (a small photo), with `visibility`; its id.
    pub async fn ready_image(&self, who: &Account, visibility: &str) -> String {
        let image = self
            .upload_testdata(who, "photos/Canon_40D.jpg", visibility)
            .await;
        let id = image["id"].as_str().expect("id").to_owned();
        let image = self.wait_processed(who, &id).await;
        assert_eq!(image["status"], "ready", "{image}");
        id
    }

    /// Publishes a post of `images`; the post's JSON.
    pub async fn post(
        &self,
        who: &Account,
        images: &[&str],
        caption: &str,
        visibility: &str,
    ) -> Value {
        let (status, body) = self
            .call(
                Method::POST,
                "/v1/posts",
                Some(who),
                Some(json!({"image_ids": images, "caption": caption, "visibility": visibility})),
            )
            .await;
        assert_eq!(status, 201, "createPost: {body}");
        body
    }

    pub async fn follow(&self, who: &Account, username: &str) -> String {
        let (status, body) = self
            .call(
                Method::PUT,
                &format!("/v1/users/{username}/follow"),
                Some(who),
                None,
            )
            .await;
        assert_eq!(status, 200, "followUser: {body}");
        body["status"].as_str().expect("status").to_owned()
    }

    /// The ids of the posts on `who`'s home timeline's first page (`limit` 100), newest first.
    pub async fn timeline_ids(&self, who: &Account) -> Vec<String> {
        let page = self.read_json(Some(who), "/v1/timeline?limit=100").await;
        ids(&page)
    }

    /// `who`'s inbox: (kind, actor username) of each notification, newest first, and the unread count.
    pub async fn inbox(&self, who: &Account) -> (Vec<(String, String)>, u64) {
        let page = self
            .read_json(Some(who), "/v1/me/notifications?limit=100")
            .await;
        let items = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|n| {
                (
                    n["kind"].as_str().unwrap_or_default().to_owned(),
                    n["actor"]["username"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                )
            })
            .collect();
        (items, page["unread_count"].as_u64().expect("unread_count"))
    }
}

/// The `id`s of a page's items, in order.
pub fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["id"].as_str().expect("id").to_owned())
        .collect()
}

/// Polls `probe` until it answers `Some`, for what event handlers make true; fails after a while with
/// `what` and the last value seen.
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = tokio::time::Instant::now() + EVENTUAL;
    loop {
        match probe().await {
            Ok(value) => return value,
            Err(last) => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "{what}: still not true after {EVENTUAL:?}; last seen: {last}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// `Ok(())` when `actual == expected`, else the actual value, for `eventually`.
pub fn same<T: PartialEq + std::fmt::Debug>(actual: T, expected: T) -> Result<(), String> {
    if actual == expected {
        Ok(())
    } else {
        Err(format!("{actual:?} (expected {expected:?})"))
    }
}
