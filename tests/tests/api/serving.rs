use darkroom_tests::app::{assert_problem, read_testdata, spawn_app, spawn_app_with};

#[tokio::test]
async fn variants_have_strong_etags_ranges_and_cache_headers() {
    let app = spawn_app().await;
    let me = app.register("server").await;
    let public = app
        .upload_testdata(&me, "photos/Nikon_D70.jpg", "public")
        .await;
    let private = app
        .upload_testdata(&me, "photos/Canon_40D.jpg", "private")
        .await;
    let (public_id, private_id) = (
        public["id"].as_str().unwrap(),
        private["id"].as_str().unwrap(),
    );
    app.wait_processed(&me, public_id).await;
    app.wait_processed(&me, private_id).await;

    let path = format!("/v1/images/{public_id}/variants/small?format=jpeg");
    let full = app.get(None, &path, &[]).await;
    assert_eq!(full.status(), 200);
    let etag = full.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
    assert_eq!(
        full.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(full.headers()["accept-ranges"], "bytes");
    let body = full.bytes().await.unwrap();

    let not_modified = app.get(None, &path, &[("If-None-Match", &etag)]).await;
    assert_eq!(not_modified.status(), 304);
    assert_eq!(not_modified.headers()["etag"].to_str().unwrap(), etag);
    assert_eq!(
        app.get(None, &path, &[("If-None-Match", "\"something-else\"")])
            .await
            .status(),
        200
    );

    let part = app.get(None, &path, &[("Range", "bytes=10-19")]).await;
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"].to_str().unwrap(),
        format!("bytes 10-19/{}", body.len())
    );
    assert_eq!(part.bytes().await.unwrap(), body.slice(10..20));
    let tail = app.get(None, &path, &[("Range", "bytes=-5")]).await;
    assert_eq!(tail.status(), 206);
    assert_eq!(tail.bytes().await.unwrap(), body.slice(body.len() - 5..));
    let past = app
        .get(None, &path, &[("Range", &format!("bytes={}-", body.len()))])
        .await;
    assert_eq!(
        past.headers()["content-range"].to_str().unwrap(),
        format!("bytes */{}", body.len())
    );
    assert_problem(past, 416, "range_not_satisfiable").await;

    let private_variant = app
        .get(
            Some(&me),
            &format!("/v1/images/{private_id}/variants/thumb"),
            &[],
        )
        .await;
    assert_eq!(private_variant.status(), 200);
    assert!(private_variant.headers()["cache-control"]
        .to_str()
        .unwrap()
        .starts_with("private"));
}

#[tokio::test]
async fn formats_follow_the_query_then_accept() {
    // Without AVIF variants, a client that prefers AVIF gets its next choice (see late_variants.rs for
    // AVIF itself).
    let app = spawn_app_with(|c| c.variant_formats = "jpeg,webp".into()).await;
    let me = app.register("negotiator").await;
    let image = app
        .upload_testdata(&me, "photos/Nikon_D70.jpg", "public")
        .await;
    let id = image["id"].as_str().unwrap();
    app.wait_processed(&me, id).await;
    let path = format!("/v1/images/{id}/variants/medium");
    let jpeg = app.get(None, &path, &[]).await;
    assert_eq!(jpeg.headers()["content-type"], "image/jpeg");
    assert_eq!(jpeg.headers()["vary"], "Accept");
    let webp = app
        .get(None, &path, &[("Accept", "image/avif,image/webp,*/*")])
        .await;
    assert_eq!(webp.headers()["content-type"], "image/webp");
    let forced = app
        .get(
            None,
            &format!("{path}?format=jpeg"),
            &[("Accept", "image/webp")],
        )
        .await;
    assert_eq!(forced.headers()["content-type"], "image/jpeg");
    assert_problem(
        app.get(None, &format!("/v1/images/{id}/variants/huge"), &[])
            .await,
        400,
        "bad_request",
    )
    .await;
}

#[tokio::test]
async fn the_owner_downloads_the_original_byte_for_byte() {
    let app = spawn_app().await;
    let me = app.register("keeper").await;
    let image = app
        .upload_testdata(&me, "photos/DSCN0010.jpg", "private")
        .await;
    let id = image["id"].as_str().unwrap();
    let original = app
        .get(Some(&me), &format!("/v1/images/{id}/original"), &[])
        .await;
    assert_eq!(
        original.status(),
        200,
        "the owner may download before processing ends"
    );
    assert_eq!(
        original.headers()["etag"].to_str().unwrap(),
        format!("\"{}\"", image["sha256"].as_str().unwrap())
    );
    assert_eq!(
        original.bytes().await.unwrap().to_vec(),
        read_testdata("photos/DSCN0010.jpg")
    );
}
