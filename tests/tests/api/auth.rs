use darkroom_tests::app::{assert_problem, spawn_app};
use serde_json::{json, Value};

#[tokio::test]
async fn register_returns_the_user_and_tokens() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/v1/auth/register"))
        .json(&json!({"username": "Ada_L", "email": "Ada@Example.org", "password": "analytical engine", "display_name": "Ada"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user"]["username"], "ada_l");
    assert_eq!(body["user"]["display_name"], "Ada");
    assert_eq!(body["user"]["followers_count"], 0);
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_u64().unwrap() > 0);

    let me: Value = app
        .client
        .get(app.url("/v1/me"))
        .bearer_auth(body["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "ada_l");
    assert_eq!(me["email"], "ada@example.org");
}

#[tokio::test]
async fn usernames_and_emails_are_unique_ignoring_case() {
    let app = spawn_app().await;
    app.register("grace").await;
    let dup_name = app
        .client
        .post(app.url("/v1/auth/register"))
        .json(&json!({"username": "GRACE", "email": "other@example.org", "password": "long enough pw"}))
        .send()
        .await
        .unwrap();
    assert_problem(dup_name, 409, "already_exists").await;
    let dup_email = app
        .client
        .post(app.url("/v1/auth/register"))
        .json(&json!({"username": "other", "email": "GRACE@example.org", "password": "long enough pw"}))
        .send()
        .await
        .unwrap();
    assert_problem(dup_email, 409, "already_exists").await;
}

#[tokio::test]
async fn invalid_fields_are_refused_with_problems() {
    let app = spawn_app().await;
    for body in [
        json!({"username": "no spaces allowed", "email": "a@b.org", "password": "long enough pw"}),
        json!({"username": "fine", "email": "not-an-email", "password": "long enough pw"}),
        json!({"username": "fine", "email": "a@b.org", "password": "short"}),
        json!({"username": "fine", "email": "a@b.org"}),
    ] {
        let response = app
            .client
            .post(app.url("/v1/auth/register"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_problem(response, 400, "bad_request").await;
    }
}

#[tokio::test]
async fn login_by_username_or_email_and_refuse_wrong_passwords() {
    let app = spawn_app().await;
    app.register("linus").await;
    for login in ["linus", "LINUS", "linus@example.org"] {
        let response = app
            .client
            .post(app.url("/v1/auth/login"))
            .json(&json!({"login": login, "password": "correct horse battery"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "login as {login}");
    }
    for (login, password) in [
        ("linus", "wrong horse battery"),
        ("nobody", "correct horse battery"),
    ] {
        let response = app
            .client
            .post(app.url("/v1/auth/login"))
            .json(&json!({"login": login, "password": password}))
            .send()
            .await
            .unwrap();
        assert_problem(response, 401, "invalid_credentials").await;
    }
}

async fn refresh(app: &darkroom_tests::app::TestApp, token: &str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/auth/refresh"))
        .json(&json!({"refresh_token": token}))
        .send()
        .await
        .unwrap()
}

async fn logout(app: &darkroom_tests::app::TestApp, token: &str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/auth/logout"))
        .json(&json!({"refresh_token": token}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let account = app.register("margaret").await;

    let first = refresh(&app, &account.refresh_token).await;
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();
    let rotated = first["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rotated, account.refresh_token);

    // The old token again: reuse. The family dies, including the token it was rotated into.
    assert_problem(
        refresh(&app, &account.refresh_token).await,
        401,
        "unauthenticated",
    )
    .await;
    assert_problem(refresh(&app, &rotated).await, 401, "unauthenticated").await;
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    let account = app.register("edsger").await;
    let response = logout(&app, &account.refresh_token).await;
    assert_eq!(response.status(), 204);
    assert_problem(
        refresh(&app, &account.refresh_token).await,
        401,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn bad_access_tokens_are_401() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/v1/me"))
        .bearer_auth("not.a.token")
        .send()
        .await
        .unwrap();
    assert_problem(response, 401, "unauthenticated").await;
    let response = app
        .client
        .get(app.url("/v1/images/0190b4c4-0000-7000-8000-000000000000"))
        .bearer_auth("junk")
        .send()
        .await
        .unwrap();
    assert_problem(response, 401, "unauthenticated").await;
}

#[tokio::test]
async fn access_tokens_die_with_their_session_at_logout() {
    let app = spawn_app().await;
    let account = app.register("barbara").await;
    let other = app.register("frances").await;
    assert_eq!(app.get(Some(&account), "/v1/me", &[]).await.status(), 200);
    let response = logout(&app, &account.refresh_token).await;
    assert_eq!(response.status(), 204);
    // At once, not when the token expires.
    assert_problem(
        app.get(Some(&account), "/v1/me", &[]).await,
        401,
        "unauthenticated",
    )
    .await;
    // Another session (another account here) is untouched.
    assert_eq!(app.get(Some(&other), "/v1/me", &[]).await.status(), 200);
}

#[tokio::test]
async fn access_tokens_die_when_their_refresh_token_is_reused() {
    let app = spawn_app().await;
    let account = app.register("hedy").await;
    let rotated: Value = refresh(&app, &account.refresh_token)
        .await
        .json()
        .await
        .unwrap();
    let access = rotated["access_token"].as_str().unwrap().to_owned();
    let me = |token: String| app.client.get(app.url("/v1/me")).bearer_auth(token).send();
    assert_eq!(me(access.clone()).await.unwrap().status(), 200);
    // Someone replays the token that was already rotated: the whole session ends, access tokens included.
    assert_problem(
        refresh(&app, &account.refresh_token).await,
        401,
        "unauthenticated",
    )
    .await;
    assert_problem(me(access).await.unwrap(), 401, "unauthenticated").await;
    assert_problem(
        me(account.access_token.clone()).await.unwrap(),
        401,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn a_rotated_signing_key_keeps_sessions_until_it_is_dropped() {
    const OLD: &str = "the-old-signing-secret-32-bytes-or-more";
    const NEW: &str = "the-new-signing-secret-32-bytes-or-more";
    let app = darkroom_tests::app::spawn_app_with(|c| c.jwt_secret = Some(OLD.into())).await;
    let alice = app.register("alice").await;
    let me = |app: &darkroom_tests::app::TestApp, token: String| {
        let request = app.client.get(app.url("/v1/me")).bearer_auth(token);
        async move { request.send().await.unwrap() }
    };

    let app = app
        .restart_with(|c| {
            c.jwt_secret = Some(NEW.into());
            c.jwt_previous_secrets = OLD.into();
        })
        .await;
    assert_eq!(me(&app, alice.access_token.clone()).await.status(), 200);

    let app = app
        .restart_with(|c| c.jwt_previous_secrets = String::new())
        .await;
    assert_problem(
        me(&app, alice.access_token.clone()).await,
        401,
        "unauthenticated",
    )
    .await;
    // The refresh token is not a JWT: the session goes on under the new key.
    let refreshed: Value = refresh(&app, &alice.refresh_token)
        .await
        .json()
        .await
        .unwrap();
    let token = refreshed["access_token"].as_str().unwrap().to_owned();
    assert_eq!(me(&app, token).await.status(), 200);
}

#[tokio::test]
async fn a_session_ends_at_its_maximum_age_however_often_it_is_refreshed() {
    let app = darkroom_tests::app::spawn_app_with(|c| c.session_max_age_secs = 2).await;
    let alice = app.register("alice").await;
    let refreshed: Value = refresh(&app, &alice.refresh_token)
        .await
        .json()
        .await
        .unwrap();
    // Not the 30 days a refresh gives: the session's end is closer.
    assert!(
        refreshed["refresh_expires_in"].as_u64().unwrap() <= 2,
        "{refreshed}"
    );
    let token = refreshed["refresh_token"].as_str().unwrap().to_owned();
    let access = refreshed["access_token"].as_str().unwrap().to_owned();

    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    assert_problem(refresh(&app, &token).await, 401, "unauthenticated").await;
    // The session's access tokens end with it.
    let me = app
        .client
        .get(app.url("/v1/me"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_problem(me, 401, "unauthenticated").await;
}
