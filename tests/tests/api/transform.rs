//! `transformImage`: imgproxy's URLs and signatures, results rendered once and served stored, `Accept`
//! negotiation, the policy's refusals, and who may transform what.

use darkroom_core::transform::Signer;
use darkroom_tests::app::{assert_problem, read_testdata, spawn_app, spawn_app_with, TestApp};
use futures::future::join_all;

fn has_gps(bytes: &[u8]) -> bool {
    match exif::Reader::new().read_from_container(&mut std::io::Cursor::new(bytes)) {
        Ok(exif) => exif.fields().any(|f| {
            f.tag.context() == exif::Context::Gps || f.tag == exif::Tag::GPSInfoIFDPointer
        }),
        Err(_) => false,
    }
}

fn how(response: &reqwest::Response) -> String {
    response.headers()["x-darkroom-transform"]
        .to_str()
        .unwrap()
        .to_owned()
}

async fn ready_image(
    app: &TestApp,
    photo: &str,
    visibility: &str,
) -> (String, darkroom_tests::app::Account) {
    let me = app.register("transformer").await;
    let image = app.upload_testdata(&me, photo, visibility).await;
    let id = image["id"].as_str().unwrap().to_owned();
    app.wait_processed(&me, &id).await;
    (id, me)
}

#[tokio::test]
async fn signatures_are_imgproxys_with_rotation() {
    // The new pair first (it signs), the old one still accepted.
    let app = spawn_app_with(|c| {
        c.transform_key = "0a1b2c3d,736563726574".into();
        c.transform_salt = "4e5f,68656C6C6F".into();
    })
    .await;
    let (id, _) = ready_image(&app, "photos/landscape_1.jpg", "public").await;
    let path = format!("/rs:fit:120:120/q:70/{id}.jpg");
    let new = Signer::from_hex("0a1b2c3d", "4e5f", 0).unwrap();
    let old = Signer::from_hex("736563726574", "68656C6C6F", 0).unwrap();

    for signer in [&new, &old] {
        let signature = signer.sign(&path).unwrap();
        let response = app
            .get(None, &format!("/v1/t/{signature}{path}"), &[])
            .await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "image/jpeg");
    }
    let good = new.sign(&path).unwrap();
    let mut tampered = good.clone().into_bytes();
    tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let other_path = format!("/rs:fit:121:120/q:70/{id}.jpg");
    for url in [
        format!("/v1/t/{tampered}{path}"),
        format!("/v1/t/{}{path}", &good[..good.len() - 4]),
        format!("/v1/t/_{path}"),
        format!("/v1/t/insecure{path}"),
        format!("/v1/t/{good}{other_path}"),
    ] {
        assert_problem(app.get(None, &url, &[]).await, 403, "invalid_signature").await;
    }
}

#[tokio::test]
async fn results_are_rendered_once_then_served_from_storage() {
    let app = spawn_app_with(|c| c.retention_pass_secs = 1).await;
    // DSCN0010 carries GPS coordinates.
    assert!(has_gps(&read_testdata("photos/DSCN0010.jpg")));
    let (id, me) = ready_image(&app, "photos/DSCN0010.jpg", "public").await;
    let url = format!("/v1/t/_/rs:fit:200:0/q:80/{id}.jpg");

    let first = app.get(None, &url, &[]).await;
    assert_eq!(first.status(), 200);
    assert_eq!(how(&first), "rendered");
    assert_eq!(
        first.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(first.headers().get("vary").is_none());
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let bytes = first.bytes().await.unwrap();
    assert!(!has_gps(&bytes), "the transformation kept GPS");
    let decoded = image::load_from_memory(&bytes).unwrap();
    assert_eq!(decoded.width(), 200);

    // The same rendering, spelled otherwise, is the stored one.
    let second = app
        .get(
            None,
            &format!("/v1/t/anything/resize:fit:200/quality:80/plain/{id}@jpg"),
            &[],
        )
        .await;
    assert_eq!(how(&second), "stored");
    assert_eq!(second.headers()["etag"].to_str().unwrap(), etag);
    assert_eq!(second.bytes().await.unwrap(), bytes);
    let not_modified = app.get(None, &url, &[("If-None-Match", &etag)]).await;
    assert_eq!(not_modified.status(), 304);

    // Identical requests at once: one computation.
    let crop = format!("/v1/t/_/rs:fill:150:100/g:sm/bl:1/{id}.webp");
    let responses = join_all((0..6).map(|_| app.get(None, &crop, &[]))).await;
    let mut rendered = 0;
    for response in responses {
        assert_eq!(response.status(), 200);
        rendered += usize::from(how(&response) == "rendered");
        let bytes = response.bytes().await.unwrap();
        let decoded = image::load_from_memory(&bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (150, 100));
    }
    assert_eq!(rendered, 1);

    // Stored with the image: deleting it keeps them for the retention window, the purge removes them.
    // Once the AVIF job is done too, so that the purge below is not followed by that job's files (which
    // it removes again itself, but only once its encode is over: seconds on a busy machine).
    app.wait_variant_format(&me, &id, "avif").await;
    let transforms = |keys: Vec<String>| keys.iter().filter(|k| k.contains("/transforms/")).count();
    assert_eq!(transforms(app.stored_blobs().await), 2);
    let deleted = app
        .client
        .delete(app.url(&format!("/v1/images/{id}")))
        .bearer_auth(&me.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_problem(app.get(None, &url, &[]).await, 404, "not_found").await;
    // Kept, hidden, for the retention window; purged with the image after it.
    assert_eq!(transforms(app.stored_blobs().await), 2);
    app.purge_after_retention(&id).await;
    assert_eq!(transforms(app.stored_blobs().await), 0);
}

#[tokio::test]
async fn without_a_format_accept_decides_and_caches_vary() {
    let app = spawn_app().await;
    let (id, _) = ready_image(&app, "photos/landscape_2.jpg", "public").await;
    let url = format!("/v1/t/_/rs:fill:64:64/rot:90/{id}");
    let webp = app.get(None, &url, &[("Accept", "image/webp,*/*")]).await;
    assert_eq!(webp.status(), 200);
    assert_eq!(webp.headers()["content-type"], "image/webp");
    assert_eq!(webp.headers()["vary"], "Accept");
    let jpeg = app.get(None, &url, &[("Accept", "image/*")]).await;
    assert_eq!(jpeg.headers()["content-type"], "image/jpeg");
    assert_eq!(jpeg.headers()["vary"], "Accept");
    assert_ne!(webp.headers()["etag"], jpeg.headers()["etag"]);
    let png = app
        .get(
            None,
            &format!("/v1/t/_/w:50/f:png/{id}"),
            &[("Accept", "image/webp")],
        )
        .await;
    assert_eq!(png.headers()["content-type"], "image/png");
    assert!(png.headers().get("vary").is_none());
    // Rotated a quarter turn, a landscape photo comes out portrait before its 50 px width is applied.
    let decoded = image::load_from_memory(&png.bytes().await.unwrap()).unwrap();
    assert_eq!(decoded.width(), 50);
}

#[tokio::test]
async fn options_outside_the_policy_and_unseen_images_are_refused() {
    let app = spawn_app().await;
    let (public, _) = ready_image(&app, "photos/landscape_3.jpg", "public").await;
    let owner = app.register("privateowner").await;
    let private = app
        .upload_testdata(&owner, "photos/landscape_4.jpg", "private")
        .await;
    let private = private["id"].as_str().unwrap().to_owned();
    app.wait_processed(&owner, &private).await;

    for url in [
        format!("/v1/t/_/w:100000/{public}"),
        format!("/v1/t/_/bl:1e9/{public}"),
        format!("/v1/t/_/rot:45/{public}"),
        format!("/v1/t/_/nonsense:1/{public}"),
        format!("/v1/t/_/w:10/{public}.gif"),
        "/v1/t/_/w:10/not-an-id".to_owned(),
        "/v1/t/_".to_owned(),
    ] {
        assert_problem(app.get(None, &url, &[]).await, 400, "invalid_transform").await;
    }
    let expired = format!("/v1/t/_/exp:1000/w:10/{public}");
    assert_problem(app.get(None, &expired, &[]).await, 404, "not_found").await;
    let unknown = format!("/v1/t/_/w:10/{}", uuid::Uuid::now_v7());
    assert_problem(app.get(None, &unknown, &[]).await, 404, "not_found").await;

    // A private image: nobody but those who may see it, and then `private`.
    let url = format!("/v1/t/_/w:40/{private}.jpg");
    assert_problem(app.get(None, &url, &[]).await, 404, "not_found").await;
    let stranger = app.register("stranger").await;
    assert_problem(app.get(Some(&stranger), &url, &[]).await, 404, "not_found").await;
    let mine = app.get(Some(&owner), &url, &[]).await;
    assert_eq!(mine.status(), 200);
    assert!(mine.headers()["cache-control"]
        .to_str()
        .unwrap()
        .starts_with("private"));
}

#[tokio::test]
async fn renders_past_the_budget_are_refused_with_retry_after() {
    // No render slot and no queue: any render is refused, while stored results still serve.
    let app = spawn_app_with(|c| {
        c.transform_concurrency = 1;
        c.transform_queue = 0;
    })
    .await;
    let (id, _) = ready_image(&app, "photos/landscape_5.jpg", "public").await;
    let urls: Vec<String> = (0..6)
        .map(|i| format!("/v1/t/_/w:{}/{id}.jpg", 100 + i))
        .collect();
    let responses = join_all(urls.iter().map(|url| app.get(None, url, &[]))).await;
    let mut busy = 0;
    for response in responses {
        match response.status().as_u16() {
            200 => {}
            503 => {
                busy += 1;
                assert_eq!(response.headers()["retry-after"], "1");
                assert_problem(response, 503, "busy").await;
            }
            other => panic!("status {other}"),
        }
    }
    // Six renders at once on one slot without a queue: some must have been turned away.
    assert!(busy > 0, "none refused");
}
