//! Two-factor login (TOTP): enrolment confirmed by a code, login in two steps with codes computed here from
//! the secret at the server's (shifted) clock, wrong codes refused and counted towards the lockout, no code
//! accepted twice, recovery codes used once, turning it off, and accounts without it untouched.

use std::time::Duration;

use darkroom_core::services::auth::totp;
use darkroom_tests::app::{assert_problem, spawn_app, spawn_app_with, Account, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

/// The code the app shows at the server's current time.
fn code_now(app: &TestApp, secret: &[u8]) -> String {
    totp::code_at_step(secret, totp::step_at(app.clock.now().timestamp()))
}

/// Lets the server's clock move to the next 30-second step, so that a fresh code can be used.
fn next_step(app: &TestApp) {
    app.clock
        .advance(Duration::from_secs(totp::STEP_SECS as u64));
}

/// Starts and confirms an enrolment: the secret and the recovery codes.
async fn enrol(app: &TestApp, who: &Account) -> (Vec<u8>, Vec<String>) {
    let (status, started) = app
        .call(Method::POST, "/v1/me/mfa/totp", Some(who), None)
        .await;
    assert_eq!(status, 200, "{started}");
    let secret = totp::base32_decode(started["secret"].as_str().unwrap()).unwrap();
    assert_eq!(secret.len(), totp::SECRET_BYTES);
    let (status, confirmed) = app
        .call(
            Method::POST,
            "/v1/me/mfa/totp/confirm",
            Some(who),
            Some(json!({ "code": code_now(app, &secret) })),
        )
        .await;
    assert_eq!(status, 200, "{confirmed}");
    let codes = confirmed["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (secret, codes)
}

/// The password step; for an enrolled account, its challenge.
async fn password_step(app: &TestApp, login: &str) -> (u16, Value) {
    app.call(
        Method::POST,
        "/v1/auth/login",
        None,
        Some(json!({ "login": login, "password": PASSWORD })),
    )
    .await
}

async fn challenge(app: &TestApp, login: &str) -> String {
    let (status, body) = password_step(app, login).await;
    assert_eq!(status, 202, "{body}");
    body["challenge"].as_str().unwrap().to_owned()
}

async fn second_step(app: &TestApp, challenge: &str, code: &str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/auth/login/mfa"))
        .json(&json!({ "challenge": challenge, "code": code }))
        .send()
        .await
        .unwrap()
}

async fn status(app: &TestApp, who: &Account) -> Value {
    app.read_json(Some(who), "/v1/me/mfa").await
}

#[tokio::test]
async fn enrolment_is_confirmed_by_a_code_and_hands_out_recovery_codes_once() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    assert_eq!(
        status(&app, &alice).await,
        json!({ "totp_enabled": false, "totp_pending": false, "recovery_codes_left": 0 })
    );
    let started = app
        .client
        .post(app.url("/v1/me/mfa/totp"))
        .bearer_auth(&alice.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 200);
    assert_eq!(started.headers()["cache-control"], "no-store");
    let started: Value = started.json().await.unwrap();
    let secret_text = started["secret"].as_str().unwrap();
    let uri = started["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/Darkroom:alice?"), "{uri}");
    assert!(uri.contains(&format!("secret={secret_text}")), "{uri}");
    assert_eq!(
        (started["digits"].as_u64(), started["period"].as_u64()),
        (Some(6), Some(30))
    );
    assert_eq!(status(&app, &alice).await["totp_pending"], true);
    // Nothing changes at login until the enrolment is confirmed.
    assert_eq!(password_step(&app, "alice").await.0, 200);

    let secret = totp::base32_decode(secret_text).unwrap();
    let wrong = if code_now(&app, &secret) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let (code, problem) = app
        .call(
            Method::POST,
            "/v1/me/mfa/totp/confirm",
            Some(&alice),
            Some(json!({ "code": wrong })),
        )
        .await;
    assert_eq!(
        (code, problem["code"].as_str()),
        (403, Some("invalid_code")),
        "{problem}"
    );
    assert_eq!(status(&app, &alice).await["totp_enabled"], false);

    let (code, confirmed) = app
        .call(
            Method::POST,
            "/v1/me/mfa/totp/confirm",
            Some(&alice),
            Some(json!({ "code": code_now(&app, &secret) })),
        )
        .await;
    assert_eq!(code, 200, "{confirmed}");
    let mut codes: Vec<&str> = confirmed["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), 10, "{confirmed}");
    assert_eq!(
        status(&app, &alice).await,
        json!({ "totp_enabled": true, "totp_pending": false, "recovery_codes_left": 10 })
    );
    // On is on: neither started again nor confirmed twice (which would hand out codes again).
    let (code, _) = app
        .call(Method::POST, "/v1/me/mfa/totp", Some(&alice), None)
        .await;
    assert_eq!(code, 409);
    next_step(&app);
    let (code, _) = app
        .call(
            Method::POST,
            "/v1/me/mfa/totp/confirm",
            Some(&alice),
            Some(json!({ "code": code_now(&app, &secret) })),
        )
        .await;
    assert_eq!(code, 409);
}

#[tokio::test]
async fn login_takes_two_steps_and_no_code_is_accepted_twice() {
    let app = spawn_app().await;
    let bob = app.register("bob").await;
    let (secret, _) = enrol(&app, &bob).await;

    let (code, answer) = password_step(&app, "bob").await;
    assert_eq!(code, 202, "{answer}");
    assert_eq!(answer["mfa_required"], true);
    assert!(answer.get("access_token").is_none(), "{answer}");
    assert_eq!(answer["expires_in"], 300);
    let first = answer["challenge"].as_str().unwrap().to_owned();
    assert!(first.starts_with("mfa."), "{first}");
    // The challenge is good for nothing else: not as a bearer token, not as a refresh token.
    let as_bearer = Account {
        username: "bob".into(),
        access_token: first.clone(),
        refresh_token: first.clone(),
    };
    assert_eq!(
        app.call(Method::GET, "/v1/me", Some(&as_bearer), None)
            .await
            .0,
        401
    );
    let (code, _) = app
        .call(
            Method::POST,
            "/v1/auth/refresh",
            None,
            Some(json!({ "refresh_token": first })),
        )
        .await;
    assert_eq!(code, 401);

    // An hour later on the server's clock, the app's code of that moment logs in.
    app.clock.advance(Duration::from_secs(3600));
    let signing_in = challenge(&app, "bob").await;
    let used = code_now(&app, &secret);
    let response = second_step(&app, &signing_in, &used).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    let signed_in = Account {
        username: "bob".into(),
        access_token: tokens["access_token"].as_str().unwrap().to_owned(),
        refresh_token: tokens["refresh_token"].as_str().unwrap().to_owned(),
    };
    assert_eq!(
        app.read_json(Some(&signed_in), "/v1/me").await["username"],
        "bob"
    );

    // The same code again, within its window, with a fresh challenge: a replay.
    let again = challenge(&app, "bob").await;
    assert_problem(
        second_step(&app, &again, &used).await,
        401,
        "invalid_credentials",
    )
    .await;
    // The next step's code works, once.
    next_step(&app);
    let fresh = code_now(&app, &secret);
    assert_eq!(second_step(&app, &again, &fresh).await.status(), 200);
    assert_problem(
        second_step(&app, &again, &fresh).await,
        401,
        "invalid_credentials",
    )
    .await;

    // A challenge expires: five minutes later it is refused even with a right code.
    let stale = challenge(&app, "bob").await;
    app.clock.advance(Duration::from_secs(301));
    let problem = assert_problem(
        second_step(&app, &stale, &code_now(&app, &secret)).await,
        401,
        "unauthenticated",
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("log in again"),
        "{problem}"
    );
    // An altered one is refused too.
    let forged = format!("{}x", challenge(&app, "bob").await);
    assert_problem(
        second_step(&app, &forged, &code_now(&app, &secret)).await,
        401,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn wrong_codes_are_refused_and_count_towards_the_login_lockout() {
    let app = spawn_app_with(|c| c.login_lockout_failures = 3).await;
    let carol = app.register("carol").await;
    let (secret, _) = enrol(&app, &carol).await;
    next_step(&app);
    let challenge = challenge(&app, "carol").await;
    let right = code_now(&app, &secret);
    let wrong = if right == "123456" {
        "654321"
    } else {
        "123456"
    };
    for attempt in [wrong, "not-a-recovery-code", wrong] {
        assert_problem(
            second_step(&app, &challenge, attempt).await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    // Locked out now: the right code waits its turn, and so does the password step.
    let locked = second_step(&app, &challenge, &right).await;
    assert!(locked.headers().contains_key("retry-after"));
    assert_problem(locked, 429, "rate_limited").await;
    assert_eq!(password_step(&app, "carol").await.0, 429);
}

#[tokio::test]
async fn recovery_codes_log_in_once_each() {
    let app = spawn_app().await;
    let dave = app.register("dave").await;
    let (_, codes) = enrol(&app, &dave).await;
    let challenge = challenge(&app, "dave").await;
    // Typed in capitals, without dashes: the same code.
    let typed = codes[0].replace('-', "").to_uppercase();
    assert_eq!(second_step(&app, &challenge, &typed).await.status(), 200);
    assert_problem(
        second_step(&app, &challenge, &codes[0]).await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(second_step(&app, &challenge, &codes[1]).await.status(), 200);
    assert_eq!(status(&app, &dave).await["recovery_codes_left"], 8);
}

#[tokio::test]
async fn turning_it_off_needs_the_password_and_a_code() {
    let app = spawn_app().await;
    let erin = app.register("erin").await;
    let (secret, codes) = enrol(&app, &erin).await;
    next_step(&app);
    let disable = |password: &str, code: &str| {
        app.call(
            Method::POST,
            "/v1/me/mfa/totp/disable",
            Some(&erin),
            Some(json!({ "password": password, "code": code })),
        )
    };
    let (code, problem) = disable("not the password", &code_now(&app, &secret)).await;
    assert_eq!(
        (code, problem["code"].as_str()),
        (403, Some("invalid_credentials"))
    );
    let (code, _) = disable(PASSWORD, "nope-nope-nope-nope").await;
    assert_eq!(code, 403);
    assert_eq!(status(&app, &erin).await["totp_enabled"], true);
    let (code, body) = disable(PASSWORD, &codes[3]).await;
    assert_eq!(code, 204, "{body}");
    assert_eq!(
        status(&app, &erin).await,
        json!({ "totp_enabled": false, "totp_pending": false, "recovery_codes_left": 0 })
    );
    let (code, tokens) = password_step(&app, "erin").await;
    assert_eq!(code, 200, "{tokens}");
    assert!(tokens["access_token"].is_string());
    assert_eq!(disable(PASSWORD, &codes[4]).await.0, 409, "it is not on");
}

#[tokio::test]
async fn accounts_without_it_log_in_exactly_as_before() {
    let app = spawn_app().await;
    app.register("frank").await;
    let (code, body) = password_step(&app, "frank").await;
    assert_eq!(code, 200, "{body}");
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "access_token",
            "expires_in",
            "refresh_expires_in",
            "refresh_token",
            "token_type"
        ]
    );
    // Their login has no second step to take.
    assert_problem(
        second_step(&app, "mfa.e30.AAAA", "123456").await,
        401,
        "unauthenticated",
    )
    .await;
}
