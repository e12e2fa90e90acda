//! Automatic tags (`auto_tags`): derived by processing from the real test photos (orientation, size,
//! colours, camera, year) and from made-up images for what the photos lack (animation, transparency,
//! panoramas); edits get their own. Listing by tag and who sees the capture are in `tags/listing.rs`.

mod listing;

use std::io::Cursor;

use darkroom_tests::app::{spawn_app, Account, TestApp};
use image::codecs::gif::GifEncoder;
use image::{Delay, Frame, ImageFormat, Rgba, RgbaImage};
use serde_json::{json, Value};

use crate::edits::post_edit;

/// Uploads a test photo and waits until it is ready; its JSON as the owner sees it.
pub(crate) async fn ready_photo(
    app: &TestApp,
    me: &Account,
    photo: &str,
    visibility: &str,
) -> Value {
    let image = app
        .upload_testdata(me, &format!("photos/{photo}"), visibility)
        .await;
    ready(app, me, &image).await
}

/// Uploads `bytes` raw and waits until the image is ready; its JSON.
async fn ready_bytes(app: &TestApp, me: &Account, bytes: Vec<u8>, content_type: &str) -> Value {
    let response = app.upload_raw(me, bytes, content_type, "private").await;
    assert_eq!(response.status(), 202);
    let image: Value = response.json().await.unwrap();
    assert_eq!(
        image["auto_tags"],
        json!([]),
        "nothing is derived before processing"
    );
    ready(app, me, &image).await
}

async fn ready(app: &TestApp, me: &Account, image: &Value) -> Value {
    let image = app.wait_processed(me, image["id"].as_str().unwrap()).await;
    assert_eq!(image["status"], "ready", "{image}");
    image
}

pub(crate) fn tags(image: &Value) -> Vec<String> {
    image["auto_tags"]
        .as_array()
        .unwrap_or_else(|| panic!("auto_tags is a list: {image}"))
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect()
}

/// The tags of `image` that start with `prefix`.
fn with_prefix(image: &Value, prefix: &str) -> Vec<String> {
    tags(image)
        .into_iter()
        .filter(|t| t.starts_with(prefix))
        .collect()
}

fn encode(image: &RgbaImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), format)
        .unwrap();
    bytes
}

/// A photo, tags it must carry, its `camera:` tags exactly, its `year:` tags exactly.
type Expected = (&'static str, &'static [&'static str], Tokens, Tokens);
type Tokens = &'static [&'static str];

/// What the test photos' README says about each (sizes, EXIF orientation, camera, dates) shows in their
/// tags: the upright orientation, the size class, the camera as tokens, the year taken, no `animated` or
/// `transparent`, and one to three colours.
#[tokio::test]
async fn the_test_photos_get_what_they_are_as_tags() {
    let app = spawn_app().await;
    let me = app.register("photographer").await;
    let cases: [Expected; 8] = [
        (
            "Canon_40D.jpg",
            &["landscape", "size:small"],
            &["camera:canon", "camera:canon-eos-40d"],
            &["year:2008"],
        ),
        (
            "Nikon_D70.jpg",
            &["landscape", "size:small"],
            &["camera:nikon", "camera:nikon-d70"],
            &["year:2008"],
        ),
        (
            "nikon-e950.jpg",
            &["landscape", "size:small"],
            &["camera:nikon", "camera:nikon-e950"],
            &["year:2001"],
        ),
        (
            "DSCN0010.jpg",
            &["landscape", "size:small"],
            &["camera:nikon", "camera:nikon-coolpix-p6000"],
            &["year:2008"],
        ),
        // Make and model are both "Jolla": the model does not repeat it.
        (
            "jolla.jpg",
            &["size:large"],
            &["camera:jolla"],
            &["year:2014"],
        ),
        // Stored 450x600 with EXIF orientation 6: upright it is landscape. No camera, no date.
        ("landscape_6.jpg", &["landscape", "size:small"], &[], &[]),
        ("no_exif.jpg", &["portrait", "size:small"], &[], &[]),
        (
            "iphone_4032x3024.jpg",
            &["landscape", "size:huge"],
            &["camera:olympus", "camera:olympus-e-p3"],
            &["year:2014"],
        ),
    ];
    let mut uploaded = Vec::new();
    for (photo, ..) in &cases {
        let image = app
            .upload_testdata(&me, &format!("photos/{photo}"), "private")
            .await;
        uploaded.push(image);
    }
    for ((photo, must, cameras, years), image) in cases.iter().zip(&uploaded) {
        let image = ready(&app, &me, image).await;
        let all = tags(&image);
        for tag in *must {
            assert!(
                all.contains(&(*tag).to_owned()),
                "{photo}: {tag} in {all:?}"
            );
        }
        assert_eq!(with_prefix(&image, "camera:"), *cameras, "{photo}: {all:?}");
        assert_eq!(with_prefix(&image, "year:"), *years, "{photo}: {all:?}");
        let colours = with_prefix(&image, "color:");
        assert!((1..=3).contains(&colours.len()), "{photo}: {all:?}");
        for unwanted in ["animated", "transparent", "portrait", "square"] {
            if !must.contains(&unwanted) {
                assert!(!all.contains(&unwanted.to_owned()), "{photo}: {all:?}");
            }
        }
        let mut deduplicated = all.clone();
        deduplicated.dedup();
        assert_eq!(deduplicated, all, "{photo}: no tag twice");
    }
    // The owner sees what the camera recorded, as EXIF wrote it (trimmed).
    let canon = app
        .wait_processed(&me, uploaded[0]["id"].as_str().unwrap())
        .await;
    assert_eq!(canon["camera_make"], "Canon");
    assert_eq!(canon["camera_model"], "Canon EOS 40D");
    assert_eq!(canon["taken_at"], "2008-05-30T15:56:01");
    let olympus = app
        .wait_processed(&me, uploaded[7]["id"].as_str().unwrap())
        .await;
    assert_eq!(olympus["camera_make"], "OLYMPUS IMAGING CORP.");
    assert_eq!(olympus["camera_model"], "E-P3");
    let bare = app
        .wait_processed(&me, uploaded[6]["id"].as_str().unwrap())
        .await;
    for field in ["camera_make", "camera_model", "taken_at"] {
        assert!(bare[field].is_null(), "no_exif.jpg: {field} {bare}");
    }
}

/// What no test photo has: animation, real transparency (and an alpha channel that is never used),
/// squares and panoramas, and flat colours with their names.
#[tokio::test]
async fn made_up_images_get_animation_transparency_shape_and_colours() {
    let app = spawn_app().await;
    let me = app.register("maker").await;

    // Three frames of 40x40: red, green, blue.
    let mut gif = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut gif);
        for colour in [[220, 20, 30, 255], [20, 160, 20, 255], [20, 40, 220, 255]] {
            let frame = RgbaImage::from_pixel(40, 40, Rgba(colour));
            encoder
                .encode_frame(Frame::from_parts(
                    frame,
                    0,
                    0,
                    Delay::from_numer_denom_ms(100, 1),
                ))
                .unwrap();
        }
    }
    let animated = ready_bytes(&app, &me, gif, "image/gif").await;
    assert_eq!(
        tags(&animated),
        ["square", "size:small", "color:red", "animated"],
        "the first frame's colour; animated"
    );

    // A 300x100 blue banner, its right third fully transparent.
    let banner = RgbaImage::from_fn(300, 100, |x, _| {
        Rgba(if x < 200 {
            [20, 40, 220, 255]
        } else {
            [0, 0, 0, 0]
        })
    });
    let banner = ready_bytes(&app, &me, encode(&banner, ImageFormat::Png), "image/png").await;
    assert_eq!(
        tags(&banner),
        [
            "landscape",
            "panorama",
            "size:small",
            "color:blue",
            "color:white",
            "transparent"
        ],
        "transparent areas count as white"
    );

    // An alpha channel that is opaque everywhere is no transparency.
    let opaque = RgbaImage::from_pixel(120, 200, Rgba([250, 200, 0, 255]));
    let opaque = ready_bytes(&app, &me, encode(&opaque, ImageFormat::Png), "image/png").await;
    assert_eq!(tags(&opaque), ["portrait", "size:small", "color:yellow"]);
}

/// An edit is processed like an upload: its tags come from its own pixels, and it keeps its source's
/// camera and year (its rendered original carries no EXIF).
#[tokio::test]
async fn edits_get_their_own_tags_and_keep_their_sources_camera() {
    let app = spawn_app().await;
    let me = app.register("editor").await;
    let source = ready_photo(&app, &me, "Canon_40D.jpg", "private").await;
    assert!(tags(&source).contains(&"landscape".to_owned()));
    let id = source["id"].as_str().unwrap();

    let response = post_edit(&app, &me, id, json!([{"op": "rotate", "degrees": 90}])).await;
    assert_eq!(response.status(), 202);
    let edit: Value = response.json().await.unwrap();
    assert_eq!(edit["auto_tags"], json!([]));
    let edit = ready(&app, &me, &edit).await;
    let all = tags(&edit);
    assert_eq!(all[..2], ["portrait", "size:small"], "{all:?}");
    assert_eq!(
        with_prefix(&edit, "camera:"),
        ["camera:canon", "camera:canon-eos-40d"]
    );
    assert_eq!(with_prefix(&edit, "year:"), ["year:2008"]);
    assert_eq!(edit["camera_model"], "Canon EOS 40D");
    assert_eq!(edit["taken_at"], "2008-05-30T15:56:01");
}
