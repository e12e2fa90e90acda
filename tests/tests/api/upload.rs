use darkroom_tests::app::{assert_problem, read_testdata, spawn_app, spawn_app_with};
use serde_json::Value;

#[tokio::test]
async fn raw_and_multipart_uploads_are_accepted_and_recorded() {
    let app = spawn_app().await;
    let me = app.register("uploader").await;
    let bytes = read_testdata("photos/Canon_40D.jpg");
    let raw = app
        .upload_raw(&me, bytes.clone(), "image/jpeg", "public")
        .await;
    assert_eq!(raw.status(), 202);
    let raw: Value = raw.json().await.unwrap();
    assert_eq!(raw["status"], "processing");
    assert_eq!(raw["owner"], "uploader");
    assert_eq!(raw["format"], "jpeg");
    assert_eq!(raw["bytes"], bytes.len());
    assert_eq!(raw["visibility"], "public");
    assert_eq!(raw["sha256"].as_str().unwrap().len(), 64);

    let multipart = app
        .upload_testdata(&me, "photos/Tless0.tiff", "followers")
        .await;
    assert_eq!(multipart["format"], "tiff");
    assert_eq!(multipart["visibility"], "followers");

    let page: Value = app
        .get(Some(&me), "/v1/me/images", &[])
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![
            multipart["id"].as_str().unwrap(),
            raw["id"].as_str().unwrap()
        ],
        "newest first"
    );
    assert!(page["next_cursor"].is_null());
}

#[tokio::test]
async fn the_declared_type_does_not_matter_the_bytes_do() {
    let app = spawn_app().await;
    let me = app.register("sniffer").await;
    let response = app
        .upload_raw(
            &me,
            b"<html>not an image at all, sorry</html>".to_vec(),
            "image/png",
            "private",
        )
        .await;
    assert_problem(response, 415, "unsupported_media_type").await;
    // A real image in a format this build does not decode: tests/tests/api/heif.rs.
    let text = app
        .client
        .post(app.url("/v1/images"))
        .bearer_auth(&me.access_token)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_problem(text, 415, "unsupported_media_type").await;
    let left = app.stored_blobs().await;
    assert!(
        left.is_empty(),
        "refused uploads leave nothing behind: {:?}",
        left
    );
}

#[tokio::test]
async fn oversized_uploads_are_413_and_leave_nothing() {
    let app = spawn_app_with(|c| c.max_upload_bytes = 100_000).await;
    let me = app.register("bigfoot").await;
    let response = app
        .upload_raw(
            &me,
            read_testdata("photos/jolla.jpg"),
            "image/jpeg",
            "private",
        )
        .await;
    assert_problem(response, 413, "image_too_large").await;

    // Multipart declares no file length up front, so this one is caught while streaming.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(read_testdata("photos/jolla.jpg")).file_name("jolla.jpg"),
    );
    let response = app
        .client
        .post(app.url("/v1/images"))
        .bearer_auth(&me.access_token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_problem(response, 413, "image_too_large").await;
    let left = app.stored_blobs().await;
    assert!(left.is_empty(), "{:?}", left);
    let page: Value = app
        .get(Some(&me), "/v1/me/images", &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(page["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn idempotency_keys_replay_the_same_image_and_refuse_another_body() {
    let app = spawn_app().await;
    let me = app.register("replayer").await;
    let send = |bytes: Vec<u8>| {
        app.client
            .post(app.url("/v1/images"))
            .bearer_auth(&me.access_token)
            .header("content-type", "image/jpeg")
            .header("Idempotency-Key", "upload-1")
            .body(bytes)
            .send()
    };
    let first: Value = send(read_testdata("photos/Canon_40D.jpg"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let again = send(read_testdata("photos/Canon_40D.jpg")).await.unwrap();
    assert_eq!(again.status(), 202);
    let again: Value = again.json().await.unwrap();
    assert_eq!(first["id"], again["id"]);
    let other = send(read_testdata("photos/Nikon_D70.jpg")).await.unwrap();
    assert_problem(other, 422, "idempotency_key_reused").await;

    let page: Value = app
        .get(Some(&me), "/v1/me/images", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let originals = app
        .stored_blobs()
        .await
        .into_iter()
        .filter(|p| p.ends_with("original"))
        .count();
    assert_eq!(originals, 1, "replays store no second copy");
}

#[tokio::test]
async fn uploads_need_an_account_and_a_file() {
    let app = spawn_app().await;
    let anonymous = app
        .client
        .post(app.url("/v1/images"))
        .header("content-type", "image/jpeg")
        .body(read_testdata("photos/Canon_40D.jpg"))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, 401, "unauthenticated").await;
    let me = app.register("formless").await;
    let form = reqwest::multipart::Form::new().text("visibility", "public");
    let response = app
        .client
        .post(app.url("/v1/images"))
        .bearer_auth(&me.access_token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_problem(response, 400, "missing_file").await;
    let empty = app
        .upload_raw(&me, Vec::new(), "image/jpeg", "public")
        .await;
    assert_problem(empty, 400, "empty_body").await;
}

#[tokio::test]
async fn listing_pages_with_cursors() {
    let app = spawn_app().await;
    let me = app.register("pager").await;
    let mut uploaded = Vec::new();
    for _ in 0..5 {
        let image: Value = app
            .upload_raw(
                &me,
                read_testdata("photos/Canon_40D.jpg"),
                "image/jpeg",
                "private",
            )
            .await
            .json()
            .await
            .unwrap();
        uploaded.push(image["id"].as_str().unwrap().to_owned());
    }
    uploaded.reverse();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/me/images?limit=2&cursor={c}"),
            None => "/v1/me/images?limit=2".to_owned(),
        };
        let page: Value = app.get(Some(&me), &path, &[]).await.json().await.unwrap();
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, uploaded);
    assert_problem(
        app.get(Some(&me), "/v1/me/images?cursor=garbage", &[])
            .await,
        400,
        "bad_request",
    )
    .await;
}
