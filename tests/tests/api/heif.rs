//! HEIC uploads: processed in a build that decodes them (`native-codecs`), refused with a 415 in one that
//! does not. Which build this is comes from the imaging crate at run time, so both builds test something.

use darkroom_core::domain::ImageFormat;
use darkroom_imaging::decodable;
use darkroom_tests::app::{assert_problem, read_testdata, spawn_app};

const IPHONE_HEIC: &str = "photos/IMG_5195.HEIC";

#[tokio::test]
async fn a_heic_upload_is_processed_or_refused_as_this_build_decodes() {
    let app = spawn_app().await;
    let me = app.register("iphoneuser").await;
    if !decodable(ImageFormat::Heic) {
        let response = app
            .upload_raw(&me, read_testdata(IPHONE_HEIC), "image/heic", "public")
            .await;
        let problem = assert_problem(response, 415, "unsupported_media_type").await;
        assert!(
            problem["detail"].as_str().unwrap().contains("heic"),
            "the answer names the format: {problem}"
        );
        return;
    }

    let image = app.upload_testdata(&me, IPHONE_HEIC, "public").await;
    let id = image["id"].as_str().unwrap();
    let image = app.wait_processed(&me, id).await;
    assert_eq!(image["status"], "ready", "{image}");
    assert_eq!(image["format"], "heic", "{image}");
    assert_eq!(
        (image["width"].as_u64(), image["height"].as_u64()),
        (Some(2566), Some(3313))
    );

    let large = app
        .get(
            None,
            &format!("/v1/images/{id}/variants/large?format=jpeg"),
            &[],
        )
        .await;
    assert_eq!(large.status(), 200);
    assert_eq!(large.headers()["content-type"], "image/jpeg");
    let large = image::load_from_memory(&large.bytes().await.unwrap()).unwrap();
    assert_eq!((large.width(), large.height()), (1586, 2048));

    // The owner gets the HEIC as uploaded; anyone else a JPEG rebuilt from its pixels, without the EXIF
    // (and its GPS) the HEIC carries.
    let own = app
        .get(Some(&me), &format!("/v1/images/{id}/original"), &[])
        .await;
    assert_eq!(own.headers()["content-type"], "image/heic");
    assert_eq!(
        own.bytes().await.unwrap().to_vec(),
        read_testdata(IPHONE_HEIC)
    );
    let public = app
        .get(None, &format!("/v1/images/{id}/original"), &[])
        .await;
    assert_eq!(public.status(), 200);
    assert_eq!(public.headers()["content-type"], "image/jpeg");
    let public = public.bytes().await.unwrap().to_vec();
    assert!(public.starts_with(&[0xFF, 0xD8, 0xFF]));
    assert!(!public.windows(6).any(|w| w == b"Exif\0\0"));
    let decoded = image::load_from_memory(&public).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (2566, 3313));
    assert!(app
        .stored_blobs()
        .await
        .iter()
        .any(|key| key == &format!("images/{id}/public-original.jpeg")));
}
