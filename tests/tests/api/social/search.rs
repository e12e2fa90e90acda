//! `searchUsers`: ranked (exact username, prefix, then near misses on usernames and names), fed by
//! `user.created` / `user.updated` events, so a profile change is found within seconds.

use darkroom_tests::app::{spawn_app, TestApp};
use darkroom_tests::social::{eventually, same};
use reqwest::Method;
use serde_json::json;

async fn found(app: &TestApp, query: &str) -> Vec<String> {
    let page = app.read_json(None, &format!("/v1/users?q={query}")).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn search_ranks_and_follows_profile_changes() {
    let app = spawn_app().await;
    for name in ["marie", "mariette", "maria_k", "tomas"] {
        app.register(name).await;
    }
    let curie = app.register("mcurie").await;
    for name in ["marie", "mariette", "maria_k", "tomas", "mcurie"] {
        eventually("new accounts are indexed", || async {
            same(
                found(&app, name).await.first().cloned(),
                Some(name.to_owned()),
            )
        })
        .await;
    }
    // Exact first, then prefixes; `maria_k` is a near miss (one letter off), after them.
    let ranked = found(&app, "marie").await;
    assert_eq!(ranked[..2], ["marie", "mariette"], "{ranked:?}");
    assert!(ranked.contains(&"maria_k".to_owned()), "{ranked:?}");
    assert!(!ranked.contains(&"tomas".to_owned()), "{ranked:?}");
    // A typo still finds a username.
    assert_eq!(
        found(&app, "tomsa").await.first().map(String::as_str),
        Some("tomas")
    );

    // A private account is found by its new name within seconds; its old name no longer finds it.
    let (status, _) = app
        .call(
            Method::PATCH,
            "/v1/me",
            Some(&curie),
            Some(json!({"first_name": "Sklodowska", "last_name": "Curie", "is_private": true})),
        )
        .await;
    assert_eq!(status, 200);
    eventually("the new names are searchable", || async {
        same(found(&app, "sklodowska").await, vec!["mcurie".to_owned()])
    })
    .await;
    assert_eq!(
        found(&app, "curie").await.first().map(String::as_str),
        Some("mcurie")
    );
    let (status, _) = app
        .call(
            Method::PATCH,
            "/v1/me",
            Some(&curie),
            Some(json!({"first_name": null})),
        )
        .await;
    assert_eq!(status, 200);
    eventually("a cleared name is forgotten", || async {
        same(found(&app, "sklodowska").await, Vec::<String>::new())
    })
    .await;

    // Bad queries are 400s, not 500s; metacharacters are plain text.
    for query in ["%25", "_", "%27%3B--"] {
        let (status, _) = app
            .call(Method::GET, &format!("/v1/users?q={query}"), None, None)
            .await;
        assert_eq!(status, 200, "{query}");
    }
    let (status, problem) = app.call(Method::GET, "/v1/users?q=", None, None).await;
    assert_eq!(status, 400, "{problem}");
}
