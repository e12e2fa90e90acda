//! `editImage`: every operation checked on the pixels of the result, which is a new image derived from
//! the source (with `source_image_id` and `operations`), processed into variants like an upload. The
//! refusals (each naming its step) and who may edit what are in `edits/refusals.rs`.

mod refusals;

use std::io::Cursor;
use std::time::Duration;

use darkroom_core::domain::{ImageId, Job};
use darkroom_core::ports::{Message, QueueSettings};
use darkroom_tests::app::{spawn_app, spawn_app_with, Account, TestApp};
use futures::future::join_all;
use image::{ImageFormat, Rgb, RgbImage, RgbaImage};
use serde_json::{json, Value};
use uuid::Uuid;

/// Mid tones, so that every adjustment has room to move: a reddish left half, a bluish right half and a
/// green 20 x 20 square in the top-left corner. No axis of it is symmetric.
const RED: [u8; 3] = [200, 40, 40];
const BLUE: [u8; 3] = [40, 40, 200];
const GREEN: [u8; 3] = [40, 200, 40];

pub(crate) fn source_png() -> Vec<u8> {
    let image = RgbImage::from_fn(200, 100, |x, y| {
        Rgb(match (x, y) {
            (0..20, 0..20) => GREEN,
            (0..100, _) => RED,
            _ => BLUE,
        })
    });
    png(&image)
}

pub(crate) fn png(image: &RgbImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
        .unwrap();
    bytes
}

/// Uploads `bytes` as a PNG and waits until it is ready; its id.
pub(crate) async fn ready_png(app: &TestApp, me: &Account, bytes: Vec<u8>) -> String {
    let response = app.upload_raw(me, bytes, "image/png", "private").await;
    assert_eq!(response.status(), 202);
    let image: Value = response.json().await.unwrap();
    let id = image["id"].as_str().unwrap().to_owned();
    assert_eq!(app.wait_processed(me, &id).await["status"], "ready");
    id
}

pub(crate) async fn post_edit(
    app: &TestApp,
    who: &Account,
    id: &str,
    operations: Value,
) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/v1/images/{id}/edits")))
        .bearer_auth(&who.access_token)
        .json(&json!({ "operations": operations }))
        .send()
        .await
        .unwrap()
}

/// Edits `id` with `operations` (asserting the 202 and what it says), waits for the result to be ready
/// and returns its pixels, from its original.
async fn edited(app: &TestApp, me: &Account, id: &str, operations: Value) -> RgbaImage {
    let response = post_edit(app, me, id, operations.clone()).await;
    assert_eq!(response.status(), 202, "{operations}");
    let accepted: Value = response.json().await.unwrap();
    assert_eq!(accepted["status"], "processing");
    assert_eq!(accepted["source_image_id"], id);
    let new_id = accepted["id"].as_str().unwrap();
    assert_ne!(new_id, id, "a new image");
    let done = app.wait_processed(me, new_id).await;
    assert_eq!(done["status"], "ready", "{operations}: {done}");
    assert_eq!(done["source_image_id"], id);
    assert_eq!(
        done["operations"].as_array().unwrap().len(),
        operations.as_array().unwrap().len()
    );
    assert!(
        !done["variants"].as_array().unwrap().is_empty(),
        "processed like an upload"
    );
    assert_ne!(done["sha256"], "", "the rendered original is recorded");
    let original = app
        .get(Some(me), &format!("/v1/images/{new_id}/original"), &[])
        .await;
    assert_eq!(original.status(), 200);
    let bytes = original.bytes().await.unwrap();
    assert_eq!(done["bytes"], bytes.len());
    image::load_from_memory(&bytes).unwrap().to_rgba8()
}

fn rgb(image: &RgbaImage, x: u32, y: u32) -> [u8; 3] {
    let [r, g, b, _] = image.get_pixel(x, y).0;
    [r, g, b]
}

fn near(actual: [u8; 3], expected: [u8; 3]) -> bool {
    actual.iter().zip(expected).all(|(a, e)| a.abs_diff(e) <= 6)
}

fn mean(image: &RgbaImage) -> f64 {
    let sum: u64 = image
        .pixels()
        .map(|p| u64::from(p.0[0]) + u64::from(p.0[1]) + u64::from(p.0[2]))
        .sum();
    sum as f64 / (3 * image.width() * image.height()) as f64
}

#[tokio::test]
async fn every_operation_shows_in_the_pixels() {
    let app = spawn_app().await;
    let me = app.register("editor").await;
    let id = ready_png(&app, &me, source_png()).await;
    let mark = ready_png(
        &app,
        &me,
        png(&RgbImage::from_pixel(40, 40, Rgb([255, 255, 0]))),
    )
    .await;
    let source = image::load_from_memory(&source_png()).unwrap().to_rgba8();

    let ops = [
        json!([{"op": "crop", "x": 90, "y": 10, "width": 40, "height": 30}]),
        json!([{"op": "rotate", "degrees": 90}]),
        json!([{"op": "rotate", "degrees": 30, "background": "#ffff00"}]),
        json!([{"op": "flip", "direction": "horizontal"}]),
        json!([{"op": "flip", "direction": "vertical"}]),
        json!([{"op": "grayscale"}]),
        json!([{"op": "sepia"}]),
        json!([{"op": "brightness", "amount": 1.5}]),
        json!([{"op": "contrast", "amount": 2.0}]),
        json!([{"op": "gamma", "amount": 2.2}]),
        json!([{"op": "enhance"}]),
        json!([{"op": "blur", "sigma": 4}]),
        json!([{"op": "sharpen", "sigma": 2}]),
        json!([{"op": "resize", "width": 50, "fit": "fit"}]),
        json!([{"op": "watermark", "image_id": mark, "position": "south_east", "opacity": 1}]),
        json!([{"op": "watermark", "text": "DARKROOM", "position": "north_west", "opacity": 1}]),
        json!([
            {"op": "crop", "x": 0, "y": 0, "width": 100, "height": 100},
            {"op": "rotate", "degrees": 180},
            {"op": "resize", "width": 50, "height": 50, "fit": "force"},
            {"op": "grayscale"}
        ]),
    ];
    let results = join_all(ops.iter().map(|ops| edited(&app, &me, &id, ops.clone()))).await;
    let [crop, quarter, tilted, mirrored, upside_down, grey, sepia, bright, contrast, gamma, enhanced, blurred, sharpened, resized, marked, lettered, chain] =
        &results[..]
    else {
        panic!("one result per edit")
    };

    // Crop: the size asked, from where it was asked (x 90 to 130 straddles the halves at x 100).
    assert_eq!(crop.dimensions(), (40, 30));
    assert!(near(rgb(crop, 5, 5), RED) && near(rgb(crop, 15, 5), BLUE));

    // A quarter turn clockwise swaps the sides and takes the green top-left corner to the top-right.
    assert_eq!(quarter.dimensions(), (100, 200));
    assert!(
        near(rgb(quarter, 95, 5), GREEN),
        "{:?}",
        rgb(quarter, 95, 5)
    );
    assert!(near(rgb(quarter, 50, 150), BLUE) && near(rgb(quarter, 50, 50), RED));

    // Thirty degrees: the bounding box of the turned image, its corners the background.
    assert_eq!(tilted.dimensions(), (224, 187));
    for (x, y) in [(1, 1), (222, 1), (1, 185), (222, 185)] {
        assert_eq!(rgb(tilted, x, y), [255, 255, 0], "corner {x},{y}");
    }
    assert!(near(rgb(tilted, 80, 93), RED) && near(rgb(tilted, 150, 93), BLUE));

    // Flips mirror the asymmetric image.
    assert!(near(rgb(mirrored, 195, 5), GREEN) && near(rgb(mirrored, 5, 50), BLUE));
    assert!(near(rgb(mirrored, 150, 50), RED));
    assert!(near(rgb(upside_down, 5, 95), GREEN) && near(rgb(upside_down, 5, 5), RED));

    // Grayscale has no chroma anywhere; sepia is warm everywhere.
    assert!(grey.pixels().all(|p| p.0[0] == p.0[1] && p.0[1] == p.0[2]));
    for (x, y) in [(50, 50), (150, 50), (5, 5)] {
        let [r, g, b] = rgb(sepia, x, y);
        assert!(r > g && g > b, "sepia at {x},{y}: {r} {g} {b}");
    }

    // Brightness raises the mean; contrast spreads the tones; gamma above 1 lightens; enhance stretches
    // the levels (the reddish half becomes full red).
    assert!(
        mean(bright) > mean(&source) * 1.3,
        "{} vs {}",
        mean(bright),
        mean(&source)
    );
    assert!(
        near(rgb(contrast, 50, 50), [255, 0, 0]),
        "{:?}",
        rgb(contrast, 50, 50)
    );
    assert!(mean(gamma) > mean(&source) + 20.0);
    assert!(
        near(rgb(enhanced, 50, 50), [255, 0, 0]),
        "{:?}",
        rgb(enhanced, 50, 50)
    );

    // Blur mixes the halves at their border; sharpen leaves flat areas as they were.
    let [r, _, b] = rgb(blurred, 100, 60);
    assert!(r > 60 && b > 60, "mixed at the border: {r} {b}");
    assert!(near(rgb(sharpened, 50, 60), RED));

    assert_eq!(resized.dimensions(), (50, 25));

    // The mark (40 px, shrunk to a quarter of the 100 px height) sits in the bottom-right corner only.
    assert_eq!(rgb(marked, 199, 99), [255, 255, 0]);
    assert_eq!(rgb(marked, 176, 76), [255, 255, 0]);
    assert!(near(rgb(marked, 170, 90), BLUE), "left of the mark");
    assert!(near(rgb(marked, 190, 70), BLUE), "above the mark");
    assert!(near(rgb(marked, 5, 5), GREEN) && near(rgb(marked, 50, 90), RED));

    // Text is set white (with a dark shadow) in the top-left corner, a tenth of the image high; the
    // source has no white anywhere, and the rest of the image is as it was.
    let white = |x0: u32, y0: u32, x1: u32, y1: u32| {
        (x0..x1)
            .flat_map(|x| (y0..y1).map(move |y| (x, y)))
            .filter(|&(x, y)| rgb(lettered, x, y).iter().all(|&c| c > 240))
            .count()
    };
    assert!(white(0, 0, 100, 12) > 20, "the text is there");
    assert_eq!(white(0, 14, 200, 100), 0, "and nowhere below it");
    assert!(near(rgb(lettered, 150, 50), BLUE) && near(rgb(lettered, 50, 60), RED));

    // A chain runs in order: the left half, turned over (green now bottom-right), squashed, grey.
    assert_eq!(chain.dimensions(), (50, 50));
    let [r, g, b] = rgb(chain, 47, 47);
    assert!(r == g && g == b && g > 100, "the green corner, grey: {r}");
    assert!(rgb(chain, 10, 10)[0] < 100, "the reddish rest, grey");
}

fn has_gps(bytes: &[u8]) -> bool {
    match exif::Reader::new().read_from_container(&mut Cursor::new(bytes)) {
        Ok(exif) => exif.fields().any(|f| {
            f.tag.context() == exif::Context::Gps || f.tag == exif::Tag::GPSInfoIFDPointer
        }),
        Err(_) => false,
    }
}

/// Jobs finished on `topic`, from the operator's metrics (the process's: other tests count too).
async fn finished_on(app: &TestApp, topic: &str) -> f64 {
    let text = app.metrics().await;
    text.lines()
        .filter(|l| {
            l.starts_with("worker_jobs_finished_total{")
                && l.contains(&format!("topic=\"{topic}\""))
        })
        .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_edit_of_a_photo_carries_no_metadata_and_a_redelivery_changes_nothing() {
    let app = spawn_app_with(|c| c.metrics_listen = Some("127.0.0.1:0".parse().unwrap())).await;
    let me = app.register("photoeditor").await;
    // DSCN0010 carries GPS coordinates.
    let photo = app
        .upload_testdata(&me, "photos/DSCN0010.jpg", "public")
        .await;
    let id = photo["id"].as_str().unwrap().to_owned();
    let ready = app.wait_processed(&me, &id).await;
    let (w, h) = (
        ready["width"].as_u64().unwrap(),
        ready["height"].as_u64().unwrap(),
    );
    let operations =
        json!([{"op": "resize", "width": 320, "fit": "fit"}, {"op": "sharpen", "sigma": 1}]);
    let response = post_edit(&app, &me, &id, operations).await;
    assert_eq!(response.status(), 202);
    let accepted: Value = response.json().await.unwrap();
    assert_eq!(accepted["visibility"], "public", "the source's visibility");
    assert_eq!(accepted["format"], "jpeg");
    let new_id = accepted["id"].as_str().unwrap().to_owned();
    let done = app.wait_processed(&me, &new_id).await;
    assert_eq!(done["status"], "ready");
    assert_eq!(done["width"], 320);
    assert_eq!(done["height"], (320 * h + w / 2) / w);
    assert_eq!(done["operations"][0]["op"], "resize");
    assert_eq!(done["operations"][1]["sigma"], 1.0);
    let original = app
        .get(Some(&me), &format!("/v1/images/{new_id}/original"), &[])
        .await
        .bytes()
        .await
        .unwrap();
    assert!(!has_gps(&original), "no GPS in an edit's output");
    let thumb = app
        .get(
            Some(&me),
            &format!("/v1/images/{new_id}/variants/thumb"),
            &[],
        )
        .await;
    assert_eq!(thumb.status(), 200);
    assert!(!has_gps(&thumb.bytes().await.unwrap()));

    // The edit job delivered again (as a queue does after a lost ack): no second image, nothing changed.
    // Once the late AVIF variants are in, so that nothing else is still changing the image.
    let done = app.wait_variant_format(&me, &new_id, "avif").await;
    // Only this image's: on a shared stack other tests write to the same bucket meanwhile.
    let ours = |blobs: Vec<String>| -> Vec<String> {
        blobs
            .into_iter()
            .filter(|key| key.contains(&new_id))
            .collect()
    };
    let blobs = ours(app.stored_blobs().await);
    assert!(!blobs.is_empty());
    let before = finished_on(&app, Job::EDIT_TOPIC).await;
    let queue = darkroom::backends::queue::connect(&app.config, QueueSettings::default(), false)
        .await
        .unwrap();
    let job = Job::EditImage {
        image_id: ImageId(new_id.parse().unwrap()),
    };
    let message = Message {
        id: Uuid::now_v7().to_string(),
        topic: job.topic().to_owned(),
        payload: job.to_bytes(),
    };
    queue.publish(&message).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while finished_on(&app, Job::EDIT_TOPIC).await <= before {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the copy was not handled"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let again = app.wait_processed(&me, &new_id).await;
    assert_eq!(again, done, "the edit's image is as it was");
    assert_eq!(
        ours(app.stored_blobs().await),
        blobs,
        "no blob added or lost"
    );
    let list: Value = app
        .get(Some(&me), "/v1/me/images", &[])
        .await
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "the photo and one edit of it: {list}");
    assert!(items
        .iter()
        .any(|i| i["id"] == id.as_str() && i["source_image_id"].is_null()));
}
