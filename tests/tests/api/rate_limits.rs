//! Rate limits by client address and account, per class of operation, and the lockout after failed
//! logins (issue 13).

use darkroom_tests::app::{assert_problem, spawn_app_with};
use darkroom_tests::services::{require, unique_name, REDIS_URL};
use serde_json::json;

fn header(response: &reqwest::Response, name: &str) -> u64 {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no numeric {name}: {:?}", response.headers()))
}

#[tokio::test]
async fn a_class_over_its_limit_is_429_with_retry_after_and_the_others_are_not() {
    let app = spawn_app_with(|c| c.rate_limits = "reads=3,register=10".into()).await;
    for left in [2, 1, 0] {
        let response = app.get(None, "/v1/limits", &[]).await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "ratelimit-limit"), 3);
        assert_eq!(header(&response, "ratelimit-remaining"), left);
        assert!(header(&response, "ratelimit-reset") > 0);
    }
    let refused = app.get(None, "/v1/limits", &[]).await;
    assert!(header(&refused, "retry-after") >= 1);
    assert_eq!(header(&refused, "ratelimit-remaining"), 0);
    assert_problem(refused, 429, "rate_limited").await;
    // Another class counts apart, and the probes are never limited.
    app.register("writer").await;
    assert_eq!(app.get(None, "/healthz", &[]).await.status(), 200);
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_trusted_proxies_and_accounts_count_anywhere() {
    let app = spawn_app_with(|c| {
        c.rate_limits = "reads=2".into();
        c.trusted_proxies = "127.0.0.1".into();
    })
    .await;
    let me = app.register("roamer").await;
    // Two clients behind the proxy: each has its own count.
    for client in ["203.0.113.1", "203.0.113.2"] {
        for _ in 0..2 {
            let response = app
                .get(None, "/v1/limits", &[("x-forwarded-for", client)])
                .await;
            assert_eq!(response.status(), 200, "{client}");
        }
    }
    let third = app
        .get(None, "/v1/limits", &[("x-forwarded-for", "203.0.113.1")])
        .await;
    assert_eq!(third.status(), 429);
    // One account from many addresses is still one account.
    for client in ["198.51.100.1", "198.51.100.2"] {
        let response = app
            .get(Some(&me), "/v1/me", &[("x-forwarded-for", client)])
            .await;
        assert_eq!(response.status(), 200, "{client}");
    }
    let elsewhere = app
        .get(Some(&me), "/v1/me", &[("x-forwarded-for", "198.51.100.3")])
        .await;
    assert_eq!(elsewhere.status(), 429);

    // Without trusted proxies, the header is the client's say-so and changes nothing.
    let direct = spawn_app_with(|c| c.rate_limits = "reads=1".into()).await;
    assert_eq!(
        direct
            .get(None, "/v1/limits", &[("x-forwarded-for", "192.0.2.1")])
            .await
            .status(),
        200
    );
    assert_eq!(
        direct
            .get(None, "/v1/limits", &[("x-forwarded-for", "192.0.2.2")])
            .await
            .status(),
        429
    );
}

#[tokio::test]
async fn repeated_failed_logins_lock_out_that_address_only() {
    let app = spawn_app_with(|c| {
        c.trusted_proxies = "127.0.0.1".into();
        c.login_lockout_failures = 3;
    })
    .await;
    app.register("victim").await;
    let login = |password: &'static str, client: &'static str| {
        app.client
            .post(app.url("/v1/auth/login"))
            .header("x-forwarded-for", client)
            .json(&json!({"login": "victim", "password": password}))
            .send()
    };
    for _ in 0..3 {
        let response = login("wrong password!", "203.0.113.66").await.unwrap();
        assert_problem(response, 401, "invalid_credentials").await;
    }
    // Locked out from there, even with the right password.
    let locked = login("correct horse battery", "203.0.113.66")
        .await
        .unwrap();
    assert!(header(&locked, "retry-after") >= 1);
    assert_problem(locked, 429, "rate_limited").await;
    // The owner, elsewhere, is not.
    let owner = login("correct horse battery", "198.51.100.20")
        .await
        .unwrap();
    assert_eq!(owner.status(), 200);
}

#[tokio::test]
async fn replicas_on_one_redis_share_their_counts() {
    let Some(redis) = require(REDIS_URL, "rate_limits_shared") else {
        return;
    };
    let joiner = if redis.contains('?') { '&' } else { '?' };
    let url = format!("{redis}{joiner}prefix={}", unique_name("rl"));
    let first = spawn_app_with(|c| {
        c.cache_url = url.clone();
        c.rate_limits = "reads=3".into();
    })
    .await;
    let second = spawn_app_with(|c| {
        c.cache_url = url.clone();
        c.rate_limits = "reads=3".into();
    })
    .await;
    for app in [&first, &second, &first] {
        assert_eq!(app.get(None, "/v1/limits", &[]).await.status(), 200);
    }
    assert_eq!(second.get(None, "/v1/limits", &[]).await.status(), 429);
}
