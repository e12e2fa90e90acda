//! Resumable uploads end to end: a real photo sent in parts with an interruption and a resume, parts sent
//! again, checksums that do not match, abort, another account's view, a non-image completed, and expiry
//! with the server's clock moved.

use std::time::Duration;

use base64::Engine;
use darkroom_tests::app::{assert_problem, read_testdata, spawn_app_with, Account, TestApp};
use md5::{Digest, Md5};
use serde_json::{json, Value};
use sha2::Sha256;

const PART: usize = 5 * 1024 * 1024;

async fn app() -> TestApp {
    spawn_app_with(|c| c.upload_part_max_bytes = PART as u64).await
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The 12 Mpx photo with bytes after its end (JPEG decoders stop at the end-of-image marker), so that it
/// takes two parts of S3's smallest size.
fn padded_photo() -> Vec<u8> {
    let mut photo = read_testdata("photos/iphone_4032x3024.jpg");
    photo.resize(PART + 1_234_567, 0);
    photo
}

pub(crate) async fn create(app: &TestApp, who: &Account, body: Value) -> Value {
    let response = app
        .client
        .post(app.url("/v1/uploads"))
        .bearer_auth(&who.access_token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

pub(crate) async fn put_part(
    app: &TestApp,
    who: &Account,
    id: &str,
    number: u32,
    bytes: Vec<u8>,
    headers: &[(&str, String)],
) -> reqwest::Response {
    let mut request = app
        .client
        .put(app.url(&format!("/v1/uploads/{id}/parts/{number}")))
        .bearer_auth(&who.access_token)
        .header("content-type", "application/octet-stream");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.body(bytes).send().await.unwrap()
}

pub(crate) async fn send(
    app: &TestApp,
    who: &Account,
    method: reqwest::Method,
    path: &str,
) -> reqwest::Response {
    app.client
        .request(method, app.url(path))
        .bearer_auth(&who.access_token)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn get_upload(app: &TestApp, who: &Account, id: &str) -> reqwest::Response {
    send(app, who, reqwest::Method::GET, &format!("/v1/uploads/{id}")).await
}

fn part_numbers(upload: &Value) -> Vec<u64> {
    upload["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["number"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn an_interrupted_upload_resumes_and_completes_into_a_processed_image() {
    let app = app().await;
    let me = app.register("resumer").await;
    let photo = padded_photo();
    let (first, second) = photo.split_at(PART);
    let upload = create(
        &app,
        &me,
        json!({"size": photo.len(), "visibility": "public", "content_type": "image/jpeg"}),
    )
    .await;
    assert_eq!(upload["part_size"], PART);
    assert_eq!(upload["status"], "open");
    assert!(upload["max_parts"].as_u64().unwrap() >= 2);
    assert!(upload["expires_at"].is_string());
    let id = upload["id"].as_str().unwrap().to_owned();

    // Part 2 arrives whole; part 1's connection breaks half-way.
    let tail = put_part(&app, &me, &id, 2, second.to_vec(), &[]).await;
    assert_eq!(tail.status(), 200);
    let broken = futures::stream::iter(vec![
        Ok(bytes::Bytes::copy_from_slice(&first[..PART / 2])),
        Err(std::io::Error::other("the train went into a tunnel")),
    ]);
    let interrupted = app
        .client
        .put(app.url(&format!("/v1/uploads/{id}/parts/1")))
        .bearer_auth(&me.access_token)
        .header("content-type", "application/octet-stream")
        .body(reqwest::Body::wrap_stream(broken))
        .send()
        .await;
    if let Ok(response) = interrupted {
        assert_ne!(response.status(), 200, "a broken part is never taken");
    }

    // The client asks what arrived, and resumes from there.
    let seen: Value = get_upload(&app, &me, &id).await.json().await.unwrap();
    assert_eq!(part_numbers(&seen), vec![2]);
    let md5 = Md5::digest(first);
    let resumed = put_part(
        &app,
        &me,
        &id,
        1,
        first.to_vec(),
        &[("content-md5", b64(&md5))],
    )
    .await;
    assert_eq!(resumed.status(), 200);
    let etag = resumed.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", hex::encode(md5)));
    let part: Value = resumed.json().await.unwrap();
    assert_eq!(
        (part["number"].as_u64(), part["size"].as_u64()),
        (Some(1), Some(PART as u64))
    );
    let seen: Value = get_upload(&app, &me, &id).await.json().await.unwrap();
    assert_eq!(part_numbers(&seen), vec![1, 2]);

    let complete = |key: &'static str| {
        app.client
            .post(app.url(&format!("/v1/uploads/{id}/complete")))
            .bearer_auth(&me.access_token)
            .header("idempotency-key", key)
            .send()
    };
    let done = complete("resume-1").await.unwrap();
    assert_eq!(done.status(), 202);
    let image: Value = done.json().await.unwrap();
    assert_eq!(image["status"], "processing");
    assert_eq!(image["bytes"], photo.len());
    assert_eq!(image["format"], "jpeg");
    assert_eq!(image["visibility"], "public");
    assert_eq!(image["sha256"], hex::encode(Sha256::digest(&photo)));

    // Completing again answers the same image; the upload says what it became.
    let again: Value = complete("resume-1").await.unwrap().json().await.unwrap();
    assert_eq!(again["id"], image["id"]);
    let finished: Value = get_upload(&app, &me, &id).await.json().await.unwrap();
    assert_eq!(finished["status"], "completed");
    assert_eq!(finished["image_id"], image["id"]);

    let processed = app.wait_processed(&me, image["id"].as_str().unwrap()).await;
    assert_eq!(processed["status"], "ready", "{processed}");
    assert_eq!(processed["width"], 4032);
    assert!(app.staged_multipart_files().is_empty());
}

#[tokio::test]
async fn a_part_sent_again_replaces_it_and_a_checksum_mismatch_records_nothing() {
    let app = app().await;
    let me = app.register("resender").await;
    let photo = read_testdata("photos/jolla.jpg");
    let upload = create(&app, &me, json!({"visibility": "followers"})).await;
    let id = upload["id"].as_str().unwrap().to_owned();

    let junk = put_part(&app, &me, &id, 1, b"not the photo yet".to_vec(), &[]).await;
    assert_eq!(junk.status(), 200);
    let good = put_part(&app, &me, &id, 1, photo.clone(), &[]).await;
    assert_eq!(good.status(), 200);
    let good: Value = good.json().await.unwrap();

    // Wrong digests, each refused with nothing recorded: the good part stands.
    let wrong_md5 = b64(&Md5::digest(b"something else"));
    let refused = put_part(
        &app,
        &me,
        &id,
        1,
        b"tampered".to_vec(),
        &[("content-md5", wrong_md5)],
    )
    .await;
    assert_problem(refused, 400, "checksum_mismatch").await;
    let wrong_sha = b64(&Sha256::digest(b"something else"));
    let refused = put_part(
        &app,
        &me,
        &id,
        1,
        b"tampered".to_vec(),
        &[("x-amz-checksum-sha256", wrong_sha)],
    )
    .await;
    assert_problem(refused, 400, "checksum_mismatch").await;
    let right_sha = b64(&Sha256::digest(&photo));
    let checked = put_part(
        &app,
        &me,
        &id,
        1,
        photo.clone(),
        &[("x-amz-checksum-sha256", right_sha)],
    )
    .await;
    assert_eq!(checked.status(), 200);

    let seen: Value = get_upload(&app, &me, &id).await.json().await.unwrap();
    assert_eq!(seen["parts"][0]["etag"], good["etag"]);
    assert_eq!(seen["parts"][0]["size"], photo.len());

    let done = send(
        &app,
        &me,
        reqwest::Method::POST,
        &format!("/v1/uploads/{id}/complete"),
    )
    .await;
    assert_eq!(done.status(), 202);
    let image: Value = done.json().await.unwrap();
    assert_eq!(image["bytes"], photo.len());
    assert_eq!(image["visibility"], "followers");
}

#[tokio::test]
async fn abort_leaves_nothing_behind() {
    let app = app().await;
    let me = app.register("quitter").await;
    let upload = create(&app, &me, json!({})).await;
    let id = upload["id"].as_str().unwrap().to_owned();
    let part = put_part(&app, &me, &id, 1, read_testdata("photos/jolla.jpg"), &[]).await;
    assert_eq!(part.status(), 200);

    let aborted = send(
        &app,
        &me,
        reqwest::Method::DELETE,
        &format!("/v1/uploads/{id}"),
    )
    .await;
    assert_eq!(aborted.status(), 204);
    assert_problem(get_upload(&app, &me, &id).await, 404, "not_found").await;
    let late = put_part(&app, &me, &id, 2, b"late".to_vec(), &[]).await;
    assert_problem(late, 404, "not_found").await;
    assert_eq!(app.stored_blobs().await, Vec::<String>::new());
    assert!(app.staged_multipart_files().is_empty());
}

#[tokio::test]
async fn another_account_sees_and_touches_nothing() {
    let app = app().await;
    let owner = app.register("owner").await;
    let other = app.register("snoop").await;
    let upload = create(&app, &owner, json!({})).await;
    let id = upload["id"].as_str().unwrap().to_owned();
    put_part(&app, &owner, &id, 1, read_testdata("photos/jolla.jpg"), &[]).await;

    assert_problem(get_upload(&app, &other, &id).await, 404, "not_found").await;
    let part = put_part(&app, &other, &id, 1, b"mine now".to_vec(), &[]).await;
    assert_problem(part, 404, "not_found").await;
    let complete = send(
        &app,
        &other,
        reqwest::Method::POST,
        &format!("/v1/uploads/{id}/complete"),
    )
    .await;
    assert_problem(complete, 404, "not_found").await;
    let abort = send(
        &app,
        &other,
        reqwest::Method::DELETE,
        &format!("/v1/uploads/{id}"),
    )
    .await;
    assert_problem(abort, 404, "not_found").await;
    let anonymous = app
        .client
        .get(app.url(&format!("/v1/uploads/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    let mine: Value = get_upload(&app, &owner, &id).await.json().await.unwrap();
    assert_eq!(part_numbers(&mine), vec![1]);
}

#[tokio::test]
async fn a_non_image_is_refused_on_completion_and_leaves_nothing() {
    let app = app().await;
    let me = app.register("faker").await;
    let upload = create(&app, &me, json!({"content_type": "image/png"})).await;
    let id = upload["id"].as_str().unwrap().to_owned();
    let text = b"<html><body>a web page, not a photo</body></html>".to_vec();
    assert_eq!(put_part(&app, &me, &id, 1, text, &[]).await.status(), 200);

    let done = send(
        &app,
        &me,
        reqwest::Method::POST,
        &format!("/v1/uploads/{id}/complete"),
    )
    .await;
    assert_problem(done, 415, "unsupported_media_type").await;
    assert_problem(get_upload(&app, &me, &id).await, 404, "not_found").await;
    assert_eq!(app.stored_blobs().await, Vec::<String>::new());
    assert!(app.staged_multipart_files().is_empty());
    let mine: Value = app
        .get(Some(&me), "/v1/me/images", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["items"], json!([]));
}

#[tokio::test]
async fn parts_that_do_not_fit_are_refused() {
    let app = app().await;
    let me = app.register("oversize").await;
    let upload = create(&app, &me, json!({"size": 100})).await;
    let id = upload["id"].as_str().unwrap().to_owned();
    let too_big = put_part(&app, &me, &id, 1, vec![0u8; PART + 1], &[]).await;
    assert_problem(too_big, 413, "part_too_large").await;
    let beyond = upload["max_parts"].as_u64().unwrap() + 1;
    let out_of_range = put_part(&app, &me, &id, beyond as u32, b"x".to_vec(), &[]).await;
    assert_eq!(out_of_range.status(), 400);
    // A gap (no part 1) and a total unlike the declared size do not complete.
    put_part(&app, &me, &id, 2, b"tail".to_vec(), &[]).await;
    let done = send(
        &app,
        &me,
        reqwest::Method::POST,
        &format!("/v1/uploads/{id}/complete"),
    )
    .await;
    assert_problem(done, 409, "upload_incomplete").await;
    let huge = app
        .client
        .post(app.url("/v1/uploads"))
        .bearer_auth(&me.access_token)
        .json(&json!({"size": 10_000_000_000u64}))
        .send()
        .await
        .unwrap();
    assert_problem(huge, 413, "image_too_large").await;
}

#[tokio::test]
async fn abandoned_uploads_expire_when_the_clock_passes_their_time() {
    let app = spawn_app_with(|c| {
        c.upload_part_max_bytes = PART as u64;
        c.upload_expiry_pass_secs = 1;
    })
    .await;
    let me = app.register("forgetful").await;
    let upload = create(&app, &me, json!({})).await;
    let id = upload["id"].as_str().unwrap().to_owned();
    put_part(&app, &me, &id, 1, read_testdata("photos/jolla.jpg"), &[]).await;

    // A pass before the time has come leaves it alone.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(get_upload(&app, &me, &id).await.status(), 200);

    app.clock.advance(Duration::from_secs(24 * 3600 + 60));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while get_upload(&app, &me, &id).await.status() != 404 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "still there after 20 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(app.staged_multipart_files().is_empty());
    assert_eq!(app.stored_blobs().await, Vec::<String>::new());
}
