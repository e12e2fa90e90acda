//! `listSessions` and `revokeSession`: one's own logins, each signed out on its own, at once.

use darkroom_tests::app::{assert_problem, spawn_app, Account, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

async fn login(app: &TestApp, username: &str) -> Account {
    let (status, body) = app
        .call(
            Method::POST,
            "/v1/auth/login",
            None,
            Some(json!({ "login": username, "password": "correct horse battery" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    Account {
        username: username.to_owned(),
        access_token: body["access_token"].as_str().unwrap().to_owned(),
        refresh_token: body["refresh_token"].as_str().unwrap().to_owned(),
    }
}

/// The session a refresh token names (`{sid}.{secret}`), as the API spells ids.
fn session_of(account: &Account) -> String {
    let (sid, _) = account.refresh_token.split_once('.').unwrap();
    uuid::Uuid::parse_str(sid).unwrap().to_string()
}

async fn sessions(app: &TestApp, who: &Account, query: &str) -> Value {
    app.read_json(Some(who), &format!("/v1/me/sessions{query}"))
        .await
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn refresh_status(app: &TestApp, who: &Account) -> u16 {
    app.call(
        Method::POST,
        "/v1/auth/refresh",
        None,
        Some(json!({ "refresh_token": who.refresh_token })),
    )
    .await
    .0
}

#[tokio::test]
async fn each_login_is_a_session_listed_newest_first_with_the_current_one_marked() {
    let app = spawn_app().await;
    let laptop = app.register("traveller").await;
    let phone = login(&app, "traveller").await;
    let tablet = login(&app, "traveller").await;
    let other = app.register("neighbour").await;

    let page = sessions(&app, &phone, "").await;
    assert_eq!(
        ids(&page),
        [session_of(&tablet), session_of(&phone), session_of(&laptop)]
    );
    let current: Vec<bool> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["current"].as_bool().unwrap())
        .collect();
    assert_eq!(current, [false, true, false]);
    for session in page["items"].as_array().unwrap() {
        let started = session["started_at"].as_str().unwrap();
        let expires = session["expires_at"].as_str().unwrap();
        assert!(started < expires, "{session}");
    }
    assert!(page["next_cursor"].is_null());
    assert_eq!(ids(&sessions(&app, &other, "").await), [session_of(&other)]);

    // Pages of one, by cursor.
    let first = sessions(&app, &laptop, "?limit=1").await;
    assert_eq!(ids(&first), [session_of(&tablet)]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = sessions(&app, &laptop, &format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(ids(&second), [session_of(&phone), session_of(&laptop)]);

    // Anonymous callers have no sessions to list.
    let anonymous = app.get(None, "/v1/me/sessions", &[]).await;
    assert_problem(anonymous, 401, "unauthenticated").await;
}

#[tokio::test]
async fn revoking_a_session_signs_that_device_out_at_once_and_only_it() {
    let app = spawn_app().await;
    let laptop = app.register("careful").await;
    let stolen = login(&app, "careful").await;
    let intruder = app.register("intruder").await;
    let path = format!("/v1/me/sessions/{}", session_of(&stolen));

    // Someone else cannot end it: 404, as for a session that does not exist.
    let (status, body) = app.call(Method::DELETE, &path, Some(&intruder), None).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(app.get(Some(&stolen), "/v1/me", &[]).await.status(), 200);

    let (status, _) = app.call(Method::DELETE, &path, Some(&laptop), None).await;
    assert_eq!(status, 204);
    // The revoked device's access token is dead on its next request, and its refresh token too.
    assert_eq!(app.get(Some(&stolen), "/v1/me", &[]).await.status(), 401);
    assert_eq!(refresh_status(&app, &stolen).await, 401);
    // The device that revoked it goes on.
    assert_eq!(app.get(Some(&laptop), "/v1/me", &[]).await.status(), 200);
    assert_eq!(
        ids(&sessions(&app, &laptop, "").await),
        [session_of(&laptop)]
    );
    // Ending it again finds nothing to end.
    let (status, _) = app.call(Method::DELETE, &path, Some(&laptop), None).await;
    assert_eq!(status, 404);

    // Revoking one's own current session is logging out.
    let own = format!("/v1/me/sessions/{}", session_of(&laptop));
    let (status, _) = app.call(Method::DELETE, &own, Some(&laptop), None).await;
    assert_eq!(status, 204);
    assert_eq!(app.get(Some(&laptop), "/v1/me", &[]).await.status(), 401);
    assert_eq!(refresh_status(&app, &laptop).await, 401);
}

async fn change_password(app: &TestApp, who: &Account, current: &str, new: &str) -> (u16, Value) {
    app.call(
        Method::POST,
        "/v1/me/password",
        Some(who),
        Some(json!({ "current_password": current, "new_password": new })),
    )
    .await
}

async fn login_status(app: &TestApp, username: &str, password: &str) -> u16 {
    app.call(
        Method::POST,
        "/v1/auth/login",
        None,
        Some(json!({ "login": username, "password": password })),
    )
    .await
    .0
}

#[tokio::test]
async fn a_password_change_needs_the_current_one_and_ends_every_other_session() {
    let app = spawn_app().await;
    let desk = app.register("rotator").await;
    let forgotten = login(&app, "rotator").await;

    let (status, body) =
        change_password(&app, &desk, "not my password", "a brand new secret").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("invalid_credentials")),
        "{body}"
    );
    let (status, body) = change_password(&app, &desk, "correct horse battery", "short").await;
    // Refused by the document's own bound (8 to 128 characters), before anything is checked.
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    // Nothing changed so far: the old password logs in, both sessions live.
    assert_eq!(
        login_status(&app, "rotator", "correct horse battery").await,
        200
    );
    assert_eq!(app.get(Some(&forgotten), "/v1/me", &[]).await.status(), 200);

    let (status, body) =
        change_password(&app, &desk, "correct horse battery", "a brand new secret").await;
    assert_eq!(status, 204, "{body}");
    // Every other session ended at once (the one from the login just above too); the asking one goes on.
    assert_eq!(app.get(Some(&forgotten), "/v1/me", &[]).await.status(), 401);
    assert_eq!(refresh_status(&app, &forgotten).await, 401);
    assert_eq!(app.get(Some(&desk), "/v1/me", &[]).await.status(), 200);
    assert_eq!(ids(&sessions(&app, &desk, "").await), [session_of(&desk)]);
    assert_eq!(
        login_status(&app, "rotator", "correct horse battery").await,
        401
    );
    assert_eq!(
        login_status(&app, "rotator", "a brand new secret").await,
        200
    );
}
