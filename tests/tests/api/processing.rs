use darkroom_tests::app::{spawn_app, Account, TestApp};
use serde_json::Value;

const PHOTOS: &[&str] = &[
    "Canon_40D.jpg",
    "DSCN0010.jpg",
    "DSCN0012.jpg",
    "Nikon_D70.jpg",
    "Picoawards.tiff",
    "Tless0.tiff",
    "iphone_4032x3024.jpg",
    "iphone_hdr_NO.jpg",
    "jolla.jpg",
    "landscape_1.jpg",
    "nikon-e950.jpg",
    "no_exif.jpg",
];

async fn variant_bytes(
    app: &TestApp,
    who: Option<&Account>,
    id: &str,
    name: &str,
    format: &str,
) -> Vec<u8> {
    let response = app
        .get(
            who,
            &format!("/v1/images/{id}/variants/{name}?format={format}"),
            &[],
        )
        .await;
    assert_eq!(response.status(), 200, "{id} {name} {format}");
    let expected = if format == "jpeg" {
        "image/jpeg"
    } else {
        "image/webp"
    };
    assert_eq!(response.headers()["content-type"], expected);
    response.bytes().await.unwrap().to_vec()
}

fn decode(bytes: &[u8]) -> image::DynamicImage {
    image::load_from_memory(bytes).expect("a served variant decodes")
}

/// Every photo ends `ready`, with every variant in both formats, at the right size, never upscaled.
#[tokio::test]
async fn every_photo_is_processed_into_every_variant() {
    let app = spawn_app().await;
    let me = app.register("photographer").await;
    let mut uploaded = Vec::new();
    for photo in PHOTOS {
        let image = app
            .upload_testdata(&me, &format!("photos/{photo}"), "private")
            .await;
        uploaded.push((photo, image["id"].as_str().unwrap().to_owned()));
    }
    for (photo, id) in uploaded {
        let image = app.wait_processed(&me, &id).await;
        assert_eq!(image["status"], "ready", "{photo}: {image}");
        let (w, h) = (
            image["width"].as_u64().unwrap() as u32,
            image["height"].as_u64().unwrap() as u32,
        );
        assert!(image["blurhash"].as_str().unwrap().len() >= 6, "{photo}");
        let color = image["dominant_color"].as_str().unwrap();
        assert!(
            color.len() == 7 && color.starts_with('#'),
            "{photo}: {color}"
        );
        let variants = image["variants"].as_array().unwrap();
        assert_eq!(variants.len(), 4, "{photo}");
        for variant in variants {
            let name = variant["name"].as_str().unwrap();
            let formats: Vec<&str> = variant["formats"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap())
                .collect();
            assert!(
                formats.contains(&"jpeg") && formats.contains(&"webp"),
                "{photo} {name}: {formats:?}"
            );
            for format in ["jpeg", "webp"] {
                let decoded = decode(&variant_bytes(&app, Some(&me), &id, name, format).await);
                assert_eq!(
                    decoded.width() as u64,
                    variant["width"].as_u64().unwrap(),
                    "{photo} {name} {format}"
                );
                assert_eq!(
                    decoded.height() as u64,
                    variant["height"].as_u64().unwrap(),
                    "{photo} {name} {format}"
                );
                let (vw, vh) = (decoded.width(), decoded.height());
                match name {
                    "thumb" => {
                        assert_eq!(vw, vh, "{photo}: thumbs are square");
                        assert_eq!(vw, 256.min(w.min(h)), "{photo}");
                    }
                    _ => {
                        let edge = match name {
                            "small" => 640,
                            "medium" => 1280,
                            _ => 2048,
                        };
                        let expected_long = edge.min(w.max(h));
                        assert!(
                            vw.max(vh).abs_diff(expected_long) <= 1,
                            "{photo} {name}: {vw}x{vh} for {w}x{h}"
                        );
                        let ratio = |a: u32, b: u32| a as f64 / b as f64;
                        assert!(
                            (ratio(vw, vh) - ratio(w, h)).abs() < 0.02,
                            "{photo} {name}: aspect kept"
                        );
                    }
                }
            }
        }
    }
}

/// Mean absolute difference per channel, 0 to 255.
fn difference(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| x.abs_diff(*y) as u64)
        .sum();
    total as f64 / a.as_raw().len() as f64
}

/// landscape_1..8 carry EXIF orientations 1 to 8 of one scene: all must come out upright and alike.
#[tokio::test]
async fn all_eight_exif_orientations_come_out_upright() {
    let app = spawn_app().await;
    let me = app.register("orienteer").await;
    let mut ids = Vec::new();
    for n in 1..=8 {
        let image = app
            .upload_testdata(&me, &format!("photos/landscape_{n}.jpg"), "private")
            .await;
        ids.push(image["id"].as_str().unwrap().to_owned());
    }
    let mut smalls = Vec::new();
    for id in &ids {
        let image = app.wait_processed(&me, id).await;
        assert_eq!(image["status"], "ready");
        smalls.push((
            image["width"].clone(),
            image["height"].clone(),
            decode(&variant_bytes(&app, Some(&me), id, "small", "jpeg").await).to_rgb8(),
        ));
    }
    let (w1, h1, reference) = &smalls[0];
    assert!(w1.as_u64() > h1.as_u64(), "landscape_1 is a landscape");
    // What a wrong orientation would look like: each is far from the reference.
    let wrong = [
        image::imageops::rotate180(reference),
        image::imageops::flip_horizontal(reference),
        image::imageops::flip_vertical(reference),
    ];
    for (n, (w, h, small)) in smalls.iter().enumerate() {
        assert_eq!(
            (w, h),
            (w1, h1),
            "landscape_{} has upright dimensions",
            n + 1
        );
        // The eight files are separate encodings of one scene, so "alike" allows for JPEG noise (~15).
        let diff = difference(reference, small);
        let nearest_wrong = wrong
            .iter()
            .map(|w| difference(w, small))
            .fold(f64::MAX, f64::min);
        assert!(
            diff < 20.0,
            "landscape_{} differs from landscape_1 by {diff:.1}",
            n + 1
        );
        assert!(
            diff * 3.0 < nearest_wrong,
            "landscape_{}: {diff:.1} is not far below a wrong orientation's {nearest_wrong:.1}",
            n + 1
        );
    }
}

/// A PNG that declares 100000 x 100000 pixels in a few dozen bytes.
fn pixel_flood_png() -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for byte in data {
            crc ^= *byte as u32;
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
        out
    }
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    png.extend(chunk(b"IEND", &[]));
    png
}

/// Broken files and a pixel flood end as clear failures (or, where the decoder copes, as images); the
/// server never answers 5xx and keeps serving.
#[tokio::test]
async fn hostile_and_broken_files_fail_cleanly() {
    let app = spawn_app().await;
    let me = app.register("saboteur").await;
    let flood: Value = app
        .upload_raw(&me, pixel_flood_png(), "image/png", "private")
        .await
        .json()
        .await
        .unwrap();
    let mut broken = Vec::new();
    for file in ["corrupted.jpg", "image00971.jpg", "image01088.jpg"] {
        let image = app
            .upload_testdata(&me, &format!("broken/{file}"), "private")
            .await;
        broken.push((file, image["id"].as_str().unwrap().to_owned()));
    }

    let flood = app.wait_processed(&me, flood["id"].as_str().unwrap()).await;
    assert_eq!(flood["status"], "failed", "{flood}");
    assert_eq!(
        flood["failure"]["code"], "image_dimensions_too_large",
        "{flood}"
    );
    assert!(flood["variants"].as_array().unwrap().is_empty());

    let known = [
        "corrupt_image",
        "decode_limit_exceeded",
        "unsupported_media_type",
        "image_dimensions_too_large",
    ];
    for (file, id) in broken {
        let image = app.wait_processed(&me, &id).await;
        match image["status"].as_str().unwrap() {
            "failed" => {
                let code = image["failure"]["code"].as_str().unwrap();
                assert!(known.contains(&code), "{file}: unexpected code {code}");
                let message = image["failure"]["message"].as_str().unwrap();
                assert!(!message.is_empty());
                // A fixed sentence, not the decoder's own words (which describe the server's libraries).
                if code == "corrupt_image" {
                    assert_eq!(message, "the image data is damaged or truncated", "{file}");
                }
                let variant = app
                    .get(Some(&me), &format!("/v1/images/{id}/variants/small"), &[])
                    .await;
                assert_eq!(
                    variant.status(),
                    409,
                    "{file}: a failed image has no variants"
                );
            }
            "ready" => {
                let bytes = variant_bytes(&app, Some(&me), &id, "small", "jpeg").await;
                decode(&bytes);
            }
            other => panic!("{file}: status {other}"),
        }
    }
    assert_eq!(
        app.get(None, "/healthz", &[]).await.status(),
        200,
        "the server survived"
    );
}
