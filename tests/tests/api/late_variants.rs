//! AVIF variants: made by a job of their own once the image is ready, then served to clients that accept
//! them, while the others keep getting WebP and JPEG.

use darkroom_tests::app::spawn_app;

/// The (width, height) the AV1 sequence header of an AVIF body declares, read by an independent parser.
fn avif_dimensions(body: &[u8]) -> (u32, u32) {
    let avif = avif_parse::read_avif(&mut &body[..]).expect("a served AVIF parses");
    let av1 = avif
        .primary_item_metadata()
        .expect("an AV1 sequence header");
    assert_eq!(av1.bit_depth, 8);
    (av1.max_frame_width.get(), av1.max_frame_height.get())
}

#[tokio::test]
async fn avif_variants_follow_a_ready_image_and_are_negotiated() {
    let app = spawn_app().await;
    let me = app.register("avif_fan").await;
    // 3264x2448: every variant a different size, medium 1280 px wide.
    let image = app.upload_testdata(&me, "photos/jolla.jpg", "public").await;
    let id = image["id"].as_str().unwrap();
    let ready = app.wait_processed(&me, id).await;
    assert_eq!(ready["status"], "ready", "{ready}");
    let path = format!("/v1/images/{id}/variants/medium");
    // Whether or not AVIF is there yet, a ready image serves WebP and JPEG at once.
    let webp = app.get(None, &path, &[("Accept", "image/webp,*/*")]).await;
    assert_eq!(webp.status(), 200);
    assert_eq!(webp.headers()["content-type"], "image/webp");

    let image = app.wait_variant_format(&me, id, "avif").await;
    let medium = image["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "medium")
        .unwrap()
        .clone();
    let expected = (
        medium["width"].as_u64().unwrap() as u32,
        medium["height"].as_u64().unwrap() as u32,
    );
    let formats: Vec<&str> = medium["formats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(
        formats.iter().filter(|f| **f == "avif").count(),
        1,
        "{formats:?}"
    );

    let avif = app
        .get(None, &path, &[("Accept", "image/avif,image/webp,*/*")])
        .await;
    assert_eq!(avif.status(), 200);
    assert_eq!(avif.headers()["content-type"], "image/avif");
    assert_eq!(avif.headers()["vary"], "Accept");
    let avif_etag = avif.headers()["etag"].to_str().unwrap().to_owned();
    let body = avif.bytes().await.unwrap();
    assert_eq!(&body[4..12], b"ftypavif");
    assert_eq!(expected.0.max(expected.1), 1280);
    assert_eq!(avif_dimensions(&body), expected);

    let webp = app.get(None, &path, &[("Accept", "image/webp,*/*")]).await;
    assert_eq!(webp.headers()["content-type"], "image/webp");
    assert_ne!(webp.headers()["etag"].to_str().unwrap(), avif_etag);
    let webp = image::load_from_memory(&webp.bytes().await.unwrap()).unwrap();
    assert_eq!((webp.width(), webp.height()), expected);
    let jpeg = app.get(None, &path, &[]).await;
    assert_eq!(jpeg.headers()["content-type"], "image/jpeg");
    let forced = app.get(None, &format!("{path}?format=avif"), &[]).await;
    assert_eq!(forced.headers()["content-type"], "image/avif");
}
