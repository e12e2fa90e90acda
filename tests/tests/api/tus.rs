//! tus 1.0 at /v1/tus/ end to end: a real photo sent in several PATCHes (across part boundaries, so the
//! tail segments are used) and processed; an interrupted PATCH resumed from HEAD; offset and checksum
//! mismatches that change nothing; termination that leaves nothing; another account's view; the method
//! override; creation-with-upload; discovery; bad bytes refused at completion; expiry. On S3 (the shared
//! stacks) every part but the last must be 5 MiB or more: the PATCHes here are smaller on purpose.

use std::time::Duration;

use base64::Engine;
use darkroom_tests::app::{assert_problem, read_testdata, spawn_app_with, Account, TestApp};
use reqwest::{Method, Response};
use serde_json::Value;
use sha1::{Digest, Sha1};
use sha2::Sha256;

const PART: usize = 5 * 1024 * 1024;
const MIB: usize = 1024 * 1024;

async fn app() -> TestApp {
    spawn_app_with(|c| c.upload_part_max_bytes = PART as u64).await
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The 12 Mpx photo with bytes after its end (JPEG decoders stop at the end-of-image marker), so that it
/// takes three parts of S3's smallest size.
fn padded_photo() -> Vec<u8> {
    let mut photo = read_testdata("photos/iphone_4032x3024.jpg");
    photo.resize(2 * PART + 1_234_567, 0);
    photo
}

fn tus(
    app: &TestApp,
    who: Option<&Account>,
    method: Method,
    path: &str,
) -> reqwest::RequestBuilder {
    let request = app
        .client
        .request(method, app.url(path))
        .header("tus-resumable", "1.0.0");
    match who {
        Some(who) => request.bearer_auth(&who.access_token),
        None => request,
    }
}

/// Creates an upload of `length` bytes; returns its path (`/v1/tus/{id}`).
async fn create(app: &TestApp, who: &Account, length: usize, metadata: &str) -> String {
    let response = tus(app, Some(who), Method::POST, "/v1/tus/")
        .header("upload-length", length.to_string())
        .header("upload-metadata", metadata)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert!(response.headers().contains_key("upload-expires"));
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/v1/tus/"), "{location}");
    location
}

async fn patch(
    app: &TestApp,
    who: &Account,
    path: &str,
    offset: usize,
    bytes: &[u8],
    checksum: Option<String>,
) -> Response {
    let mut request = tus(app, Some(who), Method::PATCH, path)
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", offset.to_string());
    if let Some(checksum) = checksum {
        request = request.header("upload-checksum", checksum);
    }
    request.body(bytes.to_vec()).send().await.unwrap()
}

/// A HEAD answer has no body: its problem is seen by its status only.
async fn head(app: &TestApp, who: &Account, path: &str) -> Response {
    tus(app, Some(who), Method::HEAD, path)
        .send()
        .await
        .unwrap()
}

fn header(response: &Response, name: &str) -> String {
    response.headers()[name].to_str().unwrap().to_owned()
}

async fn offset(app: &TestApp, who: &Account, path: &str) -> usize {
    let response = head(app, who, path).await;
    assert_eq!(response.status(), 200);
    header(&response, "upload-offset").parse().unwrap()
}

fn sha1_header(bytes: &[u8]) -> String {
    format!("sha1 {}", b64(&Sha1::digest(bytes)))
}

/// Nothing of any tus upload left in storage (its metadata, its segments, its parts).
async fn assert_no_staging(app: &TestApp) {
    let left: Vec<String> = app
        .stored_blobs()
        .await
        .into_iter()
        .filter(|key| key.starts_with("uploads/"))
        .collect();
    assert_eq!(left, Vec::<String>::new());
    assert!(app.staged_multipart_files().is_empty());
}

#[tokio::test]
async fn a_photo_sent_in_several_patches_is_processed() {
    let app = app().await;
    let me = app.register("tusser").await;
    let photo = padded_photo();
    let metadata = format!(
        "filename {},filetype {},visibility {}",
        b64(b"iphone.jpg"),
        b64(b"image/jpeg"),
        b64(b"public")
    );
    let path = create(&app, &me, photo.len(), &metadata).await;

    let described = head(&app, &me, &path).await;
    assert_eq!(header(&described, "upload-offset"), "0");
    assert_eq!(header(&described, "upload-length"), photo.len().to_string());
    assert_eq!(header(&described, "upload-metadata"), metadata);
    assert_eq!(header(&described, "cache-control"), "no-store");
    assert_eq!(header(&described, "tus-resumable"), "1.0.0");

    // 3 MiB at a time: PATCHes that end inside a part, and ones that fill it from the segments before.
    let mut at = 0;
    let mut last = None;
    while at < photo.len() {
        let end = (at + 3 * MIB).min(photo.len());
        let chunk = &photo[at..end];
        let response = patch(&app, &me, &path, at, chunk, Some(sha1_header(chunk))).await;
        assert_eq!(response.status(), 204, "PATCH at {at}");
        assert_eq!(header(&response, "upload-offset"), end.to_string());
        assert_eq!(header(&response, "tus-resumable"), "1.0.0");
        at = end;
        last = Some(response);
    }
    let image_id = header(&last.unwrap(), "darkroom-image-id");

    let image: Value = app
        .get_image(Some(&me), &image_id)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(image["bytes"], photo.len());
    assert_eq!(image["sha256"], hex::encode(Sha256::digest(&photo)));
    assert_eq!(image["visibility"], "public");
    let processed = app.wait_processed(&me, &image_id).await;
    assert_eq!(processed["status"], "ready", "{processed}");
    assert_eq!(processed["width"], 4032);

    // A HEAD after the end says the upload is whole and what it became.
    let finished = head(&app, &me, &path).await;
    assert_eq!(header(&finished, "upload-offset"), photo.len().to_string());
    assert_eq!(header(&finished, "darkroom-image-id"), image_id);
    assert_no_staging(&app).await;
}

#[tokio::test]
async fn an_interrupted_patch_is_resumed_from_the_offset_head_gives() {
    let app = app().await;
    let me = app.register("tunnel").await;
    let photo = padded_photo();
    let path = create(&app, &me, photo.len(), "").await;

    // A PATCH of everything breaks past the first part's end: the whole part is kept, the rest is not.
    let broken = futures::stream::iter(vec![
        Ok(bytes::Bytes::copy_from_slice(&photo[..PART + MIB])),
        Err(std::io::Error::other("the train went into a tunnel")),
    ]);
    let interrupted = tus(&app, Some(&me), Method::PATCH, &path)
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", "0")
        .header("content-length", photo.len().to_string())
        .body(reqwest::Body::wrap_stream(broken))
        .send()
        .await;
    if let Ok(response) = interrupted {
        assert_ne!(response.status(), 204, "a broken PATCH is not a whole one");
    }
    // The client gave up at once; the server finishes with the broken body on its own time.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut resume_at = offset(&app, &me, &path).await;
    while resume_at == 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        resume_at = offset(&app, &me, &path).await;
    }
    assert_eq!(resume_at, PART, "the whole part before the break is kept");

    let rest = patch(&app, &me, &path, resume_at, &photo[resume_at..], None).await;
    assert_eq!(rest.status(), 204);
    let image_id = header(&rest, "darkroom-image-id");
    let processed = app.wait_processed(&me, &image_id).await;
    assert_eq!(processed["status"], "ready", "{processed}");
    assert_eq!(processed["sha256"], hex::encode(Sha256::digest(&photo)));
    assert_no_staging(&app).await;
}

#[tokio::test]
async fn offset_and_checksum_mismatches_change_nothing() {
    let app = app().await;
    let me = app.register("careful").await;
    let photo = padded_photo();
    let path = create(&app, &me, photo.len(), "").await;
    let first = &photo[..2 * MIB];
    assert_eq!(patch(&app, &me, &path, 0, first, None).await.status(), 204);

    let wrong_offset = patch(&app, &me, &path, MIB, &photo[MIB..2 * MIB], None).await;
    assert_problem(wrong_offset, 409, "offset_mismatch").await;

    // A body that would fill the first part from the stored segment, with a digest of other bytes.
    let second = &photo[2 * MIB..6 * MIB];
    let tampered = patch(
        &app,
        &me,
        &path,
        2 * MIB,
        second,
        Some(sha1_header(b"other")),
    )
    .await;
    assert_problem(tampered, 460, "checksum_mismatch").await;
    assert_eq!(offset(&app, &me, &path).await, 2 * MIB);
    let md5 = format!("md5 {}", b64(&md5::Md5::digest(b"other")));
    let tampered = patch(&app, &me, &path, 2 * MIB, &second[..MIB], Some(md5)).await;
    assert_problem(tampered, 460, "checksum_mismatch").await;
    assert_eq!(offset(&app, &me, &path).await, 2 * MIB);
    let unknown = patch(&app, &me, &path, 2 * MIB, second, Some("crc32 AAAA".into())).await;
    assert_problem(unknown, 400, "validation_failed").await;

    let sha256 = format!("sha256 {}", b64(&Sha256::digest(second)));
    let good = patch(&app, &me, &path, 2 * MIB, second, Some(sha256)).await;
    assert_eq!(good.status(), 204);
    assert_eq!(offset(&app, &me, &path).await, 6 * MIB);

    let wrong_type = tus(&app, Some(&me), Method::PATCH, &path)
        .header("content-type", "application/octet-stream")
        .header("upload-offset", (6 * MIB).to_string())
        .body(b"x".to_vec())
        .send()
        .await
        .unwrap();
    assert_problem(wrong_type, 415, "unsupported_media_type").await;
    let too_long = patch(&app, &me, &path, 6 * MIB, &vec![0; photo.len()], None).await;
    assert_problem(too_long, 400, "validation_failed").await;
    assert_eq!(offset(&app, &me, &path).await, 6 * MIB);
}

#[tokio::test]
async fn termination_leaves_nothing_behind() {
    let app = app().await;
    let me = app.register("quitter").await;
    let photo = padded_photo();
    let path = create(&app, &me, photo.len(), "").await;
    // A whole part and a segment after it.
    let sent = &photo[..PART + MIB];
    assert_eq!(patch(&app, &me, &path, 0, sent, None).await.status(), 204);
    assert_eq!(offset(&app, &me, &path).await, sent.len());

    let deleted = tus(&app, Some(&me), Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(head(&app, &me, &path).await.status(), 404);
    let late = patch(&app, &me, &path, sent.len(), b"late", None).await;
    assert_problem(late, 404, "not_found").await;
    assert_eq!(app.stored_blobs().await, Vec::<String>::new());
    assert!(app.staged_multipart_files().is_empty());
}

#[tokio::test]
async fn another_account_sees_and_touches_nothing() {
    let app = app().await;
    let owner = app.register("owner").await;
    let other = app.register("snoop").await;
    let photo = read_testdata("photos/jolla.jpg");
    let path = create(&app, &owner, photo.len(), "").await;
    assert_eq!(
        patch(&app, &owner, &path, 0, &photo[..1000], None)
            .await
            .status(),
        204
    );

    assert_eq!(head(&app, &other, &path).await.status(), 404);
    let patched = patch(&app, &other, &path, 1000, &photo[1000..], None).await;
    assert_problem(patched, 404, "not_found").await;
    let deleted = tus(&app, Some(&other), Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_problem(deleted, 404, "not_found").await;
    let anonymous = tus(&app, None, Method::HEAD, &path).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let anonymous = tus(&app, None, Method::POST, "/v1/tus/")
        .header("upload-length", "10")
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, 401, "unauthenticated").await;
    // An S3-style upload is not a tus one.
    let s3_style: Value = app
        .client
        .post(app.url("/v1/uploads"))
        .bearer_auth(&owner.access_token)
        .json(&serde_json::json!({"size": 10}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let not_tus = format!("/v1/tus/{}", s3_style["id"].as_str().unwrap());
    assert_eq!(head(&app, &owner, &not_tus).await.status(), 404);

    assert_eq!(offset(&app, &owner, &path).await, 1000);
}

#[tokio::test]
async fn method_override_carries_patch_head_and_delete_over_post() {
    let app = app().await;
    let me = app.register("proxied").await;
    let photo = read_testdata("photos/jolla.jpg");
    let path = create(&app, &me, photo.len(), "").await;
    let over = |method: &str| {
        tus(&app, Some(&me), Method::POST, &path).header("x-http-method-override", method)
    };

    let patched = over("PATCH")
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", "0")
        .body(photo[..4096].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 204);
    assert_eq!(header(&patched, "upload-offset"), "4096");
    let described = over("HEAD").send().await.unwrap();
    assert_eq!(described.status(), 200);
    assert_eq!(header(&described, "upload-offset"), "4096");
    assert_eq!(over("DELETE").send().await.unwrap().status(), 204);
    assert_eq!(head(&app, &me, &path).await.status(), 404);
}

#[tokio::test]
async fn creation_with_upload_makes_the_image_in_one_request() {
    let app = app().await;
    let me = app.register("oneshot").await;
    let photo = read_testdata("photos/jolla.jpg");
    let created = tus(&app, Some(&me), Method::POST, "/v1/tus/")
        .header("upload-length", photo.len().to_string())
        .header(
            "upload-metadata",
            format!("visibility {}", b64(b"followers")),
        )
        .header("content-type", "application/offset+octet-stream")
        .header("upload-checksum", sha1_header(&photo))
        .body(photo.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(header(&created, "upload-offset"), photo.len().to_string());
    let image_id = header(&created, "darkroom-image-id");
    let processed = app.wait_processed(&me, &image_id).await;
    assert_eq!(processed["status"], "ready", "{processed}");
    assert_eq!(processed["visibility"], "followers");

    // A part of the body only: the rest follows by PATCH.
    let partial = tus(&app, Some(&me), Method::POST, "/v1/tus/")
        .header("upload-length", photo.len().to_string())
        .header("content-type", "application/offset+octet-stream")
        .body(photo[..1000].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(partial.status(), 201);
    assert_eq!(header(&partial, "upload-offset"), "1000");
    let path = header(&partial, "location");
    let rest = patch(&app, &me, &path, 1000, &photo[1000..], None).await;
    assert_eq!(rest.status(), 204);
    assert!(rest.headers().contains_key("darkroom-image-id"));
    assert_no_staging(&app).await;
}

#[tokio::test]
async fn options_tell_what_the_server_supports_and_the_version_is_required() {
    let app = app().await;
    let me = app.register("curious").await;
    let options = app
        .client
        .request(Method::OPTIONS, app.url("/v1/tus/"))
        .send()
        .await
        .unwrap();
    assert_eq!(options.status(), 204);
    assert_eq!(header(&options, "tus-version"), "1.0.0");
    let extensions = header(&options, "tus-extension");
    for extension in [
        "creation",
        "creation-with-upload",
        "termination",
        "expiration",
        "checksum",
    ] {
        assert!(
            extensions.split(',').any(|e| e == extension),
            "{extensions}"
        );
    }
    assert_eq!(
        header(&options, "tus-max-size"),
        app.config.max_upload_bytes.to_string()
    );
    assert!(header(&options, "tus-checksum-algorithm").contains("sha1"));

    let unversioned = app
        .client
        .post(app.url("/v1/tus/"))
        .bearer_auth(&me.access_token)
        .header("upload-length", "10")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&unversioned, "tus-version"), "1.0.0");
    assert_problem(unversioned, 412, "tus_version_unsupported").await;
    let too_big = tus(&app, Some(&me), Method::POST, "/v1/tus/")
        .header(
            "upload-length",
            (app.config.max_upload_bytes + 1).to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_problem(too_big, 413, "image_too_large").await;
    let no_length = tus(&app, Some(&me), Method::POST, "/v1/tus/")
        .send()
        .await
        .unwrap();
    assert_problem(no_length, 400, "validation_failed").await;
}

#[tokio::test]
async fn bad_bytes_are_refused_at_completion_and_leave_nothing() {
    let app = app().await;
    let me = app.register("faker").await;
    let page = b"<html><body>a web page, not a photo</body></html>";
    let path = create(
        &app,
        &me,
        page.len(),
        &format!("filetype {}", b64(b"image/png")),
    )
    .await;
    let done = patch(&app, &me, &path, 0, page, None).await;
    assert_problem(done, 415, "unsupported_media_type").await;
    assert_eq!(head(&app, &me, &path).await.status(), 404);
    assert_eq!(app.stored_blobs().await, Vec::<String>::new());
    assert!(app.staged_multipart_files().is_empty());
}

#[tokio::test]
async fn an_expired_upload_is_gone() {
    let app = spawn_app_with(|c| {
        c.upload_part_max_bytes = PART as u64;
        c.upload_expiry_pass_secs = 1;
    })
    .await;
    let me = app.register("late").await;
    let path = create(&app, &me, 10 * MIB, "").await;
    assert_eq!(
        patch(&app, &me, &path, 0, &[7; 1000], None).await.status(),
        204
    );

    app.clock.advance(Duration::from_secs(24 * 3600 + 60));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let status = head(&app, &me, &path).await.status().as_u16();
        assert!(status == 410 || status == 404, "{status}");
        if status == 404 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still there after 20 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(app.stored_blobs().await, Vec::<String>::new());
    assert!(app.staged_multipart_files().is_empty());
}

#[tokio::test]
async fn past_its_time_an_upload_answers_410_until_the_pass_removes_it() {
    // The expiry pass runs every 300 s here: the upload is still there, past its time.
    let app = app().await;
    let me = app.register("tardy").await;
    let path = create(&app, &me, 10 * MIB, "").await;
    app.clock.advance(Duration::from_secs(24 * 3600 + 60));
    assert_eq!(head(&app, &me, &path).await.status(), 410);
    let late = patch(&app, &me, &path, 0, &[7; 1000], None).await;
    assert_problem(late, 410, "upload_expired").await;
}

/// A chunked body (no `Content-Length`), as tus-js-client sends its Buffers from Node.
fn chunked(bytes: &[u8]) -> reqwest::Body {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        bytes.chunks(256 * 1024).map(|c| Ok(c.to_vec())).collect();
    reqwest::Body::wrap_stream(futures::stream::iter(chunks))
}

async fn patch_chunked(
    app: &TestApp,
    who: &Account,
    path: &str,
    offset: usize,
    bytes: &[u8],
    checksum: Option<String>,
) -> Response {
    let mut request = tus(app, Some(who), Method::PATCH, path)
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", offset.to_string());
    if let Some(checksum) = checksum {
        request = request.header("upload-checksum", checksum);
    }
    request.body(chunked(bytes)).send().await.unwrap()
}

#[tokio::test]
async fn chunked_patches_are_staged_then_made_parts() {
    let app = app().await;
    let me = app.register("chunky").await;
    let photo = padded_photo();
    let path = create(&app, &me, photo.len(), "").await;

    let first = &photo[..3 * MIB];
    assert_eq!(
        patch_chunked(&app, &me, &path, 0, first, None)
            .await
            .status(),
        204
    );
    // Across the first part's end, with a digest of other bytes: nothing of it stays.
    let second = &photo[3 * MIB..7 * MIB];
    let tampered = patch_chunked(&app, &me, &path, 3 * MIB, second, Some(sha1_header(b"x"))).await;
    assert_problem(tampered, 460, "checksum_mismatch").await;
    assert_eq!(offset(&app, &me, &path).await, 3 * MIB);

    let mut at = 3 * MIB;
    let mut last = None;
    while at < photo.len() {
        let end = (at + 4 * MIB).min(photo.len());
        let chunk = &photo[at..end];
        let response = patch_chunked(&app, &me, &path, at, chunk, Some(sha1_header(chunk))).await;
        assert_eq!(response.status(), 204, "PATCH at {at}");
        assert_eq!(header(&response, "upload-offset"), end.to_string());
        at = end;
        last = Some(response);
    }
    let image_id = header(&last.unwrap(), "darkroom-image-id");
    let processed = app.wait_processed(&me, &image_id).await;
    assert_eq!(processed["status"], "ready", "{processed}");
    assert_eq!(processed["sha256"], hex::encode(Sha256::digest(&photo)));
    assert_no_staging(&app).await;
}
