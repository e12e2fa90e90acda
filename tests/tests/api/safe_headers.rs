//! Headers that make answers safe in a browser (issue 13), and tokens of accounts that no longer exist.

use darkroom_tests::app::{assert_problem, read_testdata, spawn_app, spawn_app_with};
use serde_json::{json, Value};

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} on {}", response.url()))
}

#[tokio::test]
async fn user_media_is_sandboxed_named_and_never_sniffed() {
    let app = spawn_app().await;
    let me = app.register("media").await;
    let image = app
        .upload_testdata(&me, "photos/Nikon_D70.jpg", "public")
        .await;
    let id = image["id"].as_str().unwrap();
    app.wait_processed(&me, id).await;

    let variant = app
        .get(
            None,
            &format!("/v1/images/{id}/variants/small?format=webp"),
            &[],
        )
        .await;
    assert_eq!(variant.status(), 200);
    assert_eq!(header(&variant, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(&variant, "content-security-policy"),
        "default-src 'none'; sandbox"
    );
    assert_eq!(
        header(&variant, "content-disposition"),
        format!("inline; filename=\"{id}-small.webp\"")
    );

    let original = app
        .get(Some(&me), &format!("/v1/images/{id}/original"), &[])
        .await;
    assert_eq!(original.status(), 200);
    assert_eq!(header(&original, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(&original, "content-security-policy"),
        "default-src 'none'; sandbox"
    );
    assert_eq!(
        header(&original, "content-disposition"),
        format!("inline; filename=\"{id}.jpg\"")
    );

    // Problems and every other answer are never sniffed either.
    for response in [
        app.get(None, &format!("/v1/images/{id}/variants/huge"), &[])
            .await,
        app.get(None, "/v1/limits", &[]).await,
        app.get(None, "/no/such/route", &[]).await,
    ] {
        assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    }
}

#[tokio::test]
async fn answers_with_tokens_are_never_stored() {
    let app = spawn_app().await;
    let register = app
        .client
        .post(app.url("/v1/auth/register"))
        .json(&json!({"username": "vault", "email": "vault@example.org", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(register.status(), 201);
    assert_eq!(header(&register, "cache-control"), "no-store");
    let login = app
        .client
        .post(app.url("/v1/auth/login"))
        .json(&json!({"login": "vault", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    assert_eq!(header(&login, "cache-control"), "no-store");
    let tokens: Value = login.json().await.unwrap();
    let refresh = app
        .client
        .post(app.url("/v1/auth/refresh"))
        .json(&json!({"refresh_token": tokens["refresh_token"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(refresh.status(), 200);
    assert_eq!(header(&refresh, "cache-control"), "no-store");
}

#[tokio::test]
async fn a_token_of_an_account_that_does_not_exist_is_401_never_500() {
    let secret = "a shared signing key of at least 32 bytes";
    let issuer = spawn_app_with(|c| c.jwt_secret = Some(secret.into())).await;
    let ghost = issuer.register("ghost").await;
    // Another server with the same key and none of the first one's accounts (a data dir reset, or an
    // account removed): the token is validly signed, its account missing.
    let app = spawn_app_with(|c| c.jwt_secret = Some(secret.into())).await;
    let listed = app.get(Some(&ghost), "/v1/me/images", &[]).await;
    assert_problem(listed, 401, "unauthenticated").await;
    let uploaded = app
        .upload_raw(
            &ghost,
            read_testdata("photos/Nikon_D70.jpg"),
            "image/jpeg",
            "private",
        )
        .await;
    assert_problem(uploaded, 401, "unauthenticated").await;
    // The issuing server still knows the account.
    assert_eq!(
        issuer
            .get(Some(&ghost), "/v1/me/images", &[])
            .await
            .status(),
        200
    );
}
