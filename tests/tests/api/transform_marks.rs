//! `transformImage`'s placement options, checked on the pixels of the results: the configured watermark
//! (`wm`: where it is placed and nowhere else, opacity, tiling, scale), gravity offsets moving the crops,
//! and `extend` padding with the right background on the right side. Each distinct option is a distinct
//! stored result; an option that changes nothing (`wm:0`) is the same one.

use std::path::PathBuf;

use darkroom_tests::app::{
    assert_problem, read_testdata, spawn_app, spawn_app_with, Account, TestApp,
};
use image::{Rgb, RgbImage, RgbaImage};
use tempfile::TempDir;

use crate::edits::{png, ready_png};

const GREY: [u8; 3] = [128, 128, 128];
const MAGENTA: [u8; 3] = [255, 0, 255];

/// A 20x10 opaque magenta watermark file, and the directory that holds it.
fn watermark_file() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mark.png");
    std::fs::write(&path, png(&RgbImage::from_pixel(20, 10, Rgb(MAGENTA)))).unwrap();
    (dir, path)
}

/// 300x100: red, green and blue thirds from left to right.
fn thirds() -> Vec<u8> {
    png(&RgbImage::from_fn(300, 100, |x, _| {
        Rgb(match x / 100 {
            0 => [255, 0, 0],
            1 => [0, 255, 0],
            _ => [0, 0, 255],
        })
    }))
}

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

/// The result of `options` on `id`, for its owner, as bytes and as RGBA pixels.
async fn transformed(app: &TestApp, me: &Account, options: &str, id: &str) -> (Vec<u8>, RgbaImage) {
    let response = app
        .get(Some(me), &format!("/v1/t/_/{options}/{id}"), &[])
        .await;
    assert_eq!(response.status(), 200, "{options}");
    let bytes = response.bytes().await.unwrap().to_vec();
    let pixels = image::load_from_memory(&bytes).unwrap().to_rgba8();
    (bytes, pixels)
}

fn rgb(image: &RgbaImage, x: u32, y: u32) -> [u8; 3] {
    let [r, g, b, _] = image.get_pixel(x, y).0;
    [r, g, b]
}

fn near(actual: [u8; 3], expected: [u8; 3]) -> bool {
    actual.iter().zip(expected).all(|(a, e)| a.abs_diff(e) <= 8)
}

fn count(image: &RgbaImage, colour: [u8; 3]) -> usize {
    image
        .pixels()
        .filter(|p| p.0[..3] == colour && p.0[3] == 255)
        .count()
}

#[tokio::test]
async fn the_watermark_lands_where_placed_and_nowhere_else() {
    let (_dir, mark) = watermark_file();
    let app = spawn_app_with(|c| c.transform_watermark_path = Some(mark)).await;
    let me = app.register("marker").await;
    let id = ready_png(&app, &me, png(&RgbImage::from_pixel(200, 100, Rgb(GREY)))).await;

    // South-east, 10 px in from the right and 5 up: x 170..190, y 85..95, and nothing else changed.
    let (_, marked) = transformed(&app, &me, "wm:1:soea:10:5", &format!("{id}.png")).await;
    assert_eq!(marked.dimensions(), (200, 100));
    assert_eq!(count(&marked, MAGENTA), 200);
    assert_eq!(rgb(&marked, 170, 85), MAGENTA);
    assert_eq!(rgb(&marked, 189, 94), MAGENTA);
    for (x, y) in [
        (169, 90),
        (190, 90),
        (180, 84),
        (180, 95),
        (199, 99),
        (0, 0),
        (100, 50),
    ] {
        assert_eq!(rgb(&marked, x, y), GREY, "({x}, {y})");
    }
    assert_eq!(count(&marked, GREY), 200 * 100 - 200);

    // Half opacity: half-way between the two, in the same place.
    let (_, faint) = transformed(&app, &me, "wm:0.5:soea:10:5", &format!("{id}.png")).await;
    let [r, g, b] = rgb(&faint, 180, 90);
    assert!((185..=198).contains(&r) && (60..=70).contains(&g) && (185..=198).contains(&b));
    assert_eq!(count(&faint, GREY), 200 * 100 - 200);

    // Tiled from the top-left corner, 20 px apart across and 10 down: a tile every 40 x 20 px.
    let (_, tiled) = transformed(&app, &me, "wm:1:re:20:10", &format!("{id}.png")).await;
    assert_eq!(count(&tiled, MAGENTA), 5 * 5 * 200);
    for (x, y) in [(0, 0), (45, 25), (165, 85)] {
        assert_eq!(rgb(&tiled, x, y), MAGENTA, "({x}, {y})");
    }
    for (x, y) in [(25, 5), (5, 15), (199, 99)] {
        assert_eq!(rgb(&tiled, x, y), GREY, "({x}, {y})");
    }

    // Scaled to half the result's width at the top-left: 100x50.
    let (_, scaled) = transformed(&app, &me, "wm:1:nowe:0:0:0.5", &format!("{id}.png")).await;
    assert_eq!(rgb(&scaled, 2, 2), MAGENTA);
    assert_eq!(rgb(&scaled, 97, 47), MAGENTA);
    assert_eq!(rgb(&scaled, 103, 10), GREY);
    assert_eq!(rgb(&scaled, 10, 53), GREY);

    // Opacity 0 is no watermark: the very result without one, stored under the same name.
    let (plain_bytes, _) = transformed(&app, &me, "rs:fit:150:0", &format!("{id}.png")).await;
    let zero = app
        .get(
            Some(&me),
            &format!("/v1/t/_/rs:fit:150:0/wm:0:soea/{id}.png"),
            &[],
        )
        .await;
    assert_eq!(how(&zero), "stored");
    assert_eq!(zero.bytes().await.unwrap().to_vec(), plain_bytes);

    // Each placement is its own result.
    let moved = app
        .get(Some(&me), &format!("/v1/t/_/wm:1:soea:11:5/{id}.png"), &[])
        .await;
    assert_eq!(how(&moved), "rendered");

    // Refused before anything is rendered: out of range, or tiles that would overlap.
    for bad in [
        "wm:2",
        "wm:1:sm",
        "wm:1:re:-5:0",
        "wm:1:ce:0:0:3",
        "wm:1:ce:100000:0",
    ] {
        let response = app
            .get(Some(&me), &format!("/v1/t/_/{bad}/{id}.png"), &[])
            .await;
        assert_problem(response, 400, "invalid_transform").await;
    }
}

#[tokio::test]
async fn a_watermarked_photo_keeps_no_gps() {
    let (_dir, mark) = watermark_file();
    let app = spawn_app_with(|c| c.transform_watermark_path = Some(mark)).await;
    let me = app.register("marker").await;
    let image = app
        .upload_testdata(&me, "photos/DSCN0010.jpg", "public")
        .await;
    let id = image["id"].as_str().unwrap();
    app.wait_processed(&me, id).await;
    let (bytes, pixels) =
        transformed(&app, &me, "rs:fit:300:0/wm:1:ce", &format!("{id}.jpg")).await;
    assert_eq!(pixels.width(), 300);
    assert!(
        has_gps(&read_testdata("photos/DSCN0010.jpg")),
        "the control"
    );
    assert!(!has_gps(&bytes), "the watermarked result kept GPS");
}

#[tokio::test]
async fn without_a_configured_watermark_wm_is_refused() {
    let app = spawn_app().await;
    let me = app.register("marker").await;
    let id = ready_png(&app, &me, thirds()).await;
    let response = app
        .get(Some(&me), &format!("/v1/t/_/wm:0.5:soea/{id}.png"), &[])
        .await;
    let problem = assert_problem(response, 400, "invalid_transform").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("no watermark is configured"),
        "{problem}"
    );
    // `wm:0` asks for none, which needs none configured.
    let response = app
        .get(Some(&me), &format!("/v1/t/_/wm:0/{id}.png"), &[])
        .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn gravity_offsets_move_the_crops() {
    let app = spawn_app().await;
    let me = app.register("cropper").await;
    let id = ready_png(&app, &me, thirds()).await;

    // A 100 px crop at the east edge is blue; 150 px inward it is half red, half green.
    let (_, east) = transformed(&app, &me, "c:100:0:ea", &format!("{id}.png")).await;
    assert_eq!(east.dimensions(), (100, 100));
    assert_eq!(rgb(&east, 50, 50), [0, 0, 255]);
    let (_, moved) = transformed(&app, &me, "c:100:0:ea:150:0", &format!("{id}.png")).await;
    assert_eq!(moved.dimensions(), (100, 100));
    assert_eq!(rgb(&moved, 10, 50), [255, 0, 0]);
    assert_eq!(rgb(&moved, 90, 50), [0, 255, 0]);
    // The request's gravity and its offsets apply to a crop without its own.
    let (_, by_g) = transformed(&app, &me, "g:ea:150:0/c:100:0", &format!("{id}.png")).await;
    assert_eq!(by_g, moved);

    // Filling 50x50 keeps the green middle; 25 output px to the right it reaches into the blue.
    let (_, centred) = transformed(&app, &me, "rs:fill:50:50", &format!("{id}.png")).await;
    for x in [5, 25, 45] {
        assert!(near(rgb(&centred, x, 25), [0, 255, 0]), "{x}");
    }
    let (_, shifted) =
        transformed(&app, &me, "rs:fill:50:50/g:ce:25:0", &format!("{id}.png")).await;
    assert_eq!(shifted.dimensions(), (50, 50));
    assert!(near(rgb(&shifted, 5, 25), [0, 255, 0]));
    assert!(near(rgb(&shifted, 45, 25), [0, 0, 255]));
    // From the west, positive offsets also move inward (rightwards); held inside the image.
    let (_, held) = transformed(&app, &me, "rs:fill:50:50/g:we:1000:0", &format!("{id}.png")).await;
    for x in [5, 25, 45] {
        assert!(near(rgb(&held, x, 25), [0, 0, 255]), "{x}");
    }

    let bad = app
        .get(Some(&me), &format!("/v1/t/_/g:sm:5:0/{id}.png"), &[])
        .await;
    assert_problem(bad, 400, "invalid_transform").await;
}

#[tokio::test]
async fn extend_pads_with_the_background_on_the_side_gravity_leaves() {
    let app = spawn_app().await;
    let me = app.register("extender").await;
    let id = ready_png(&app, &me, thirds()).await;

    // Fit 400x100 without enlarging keeps 300x100; extended to the box with the picture at the west,
    // the 100 px added on the right are the background.
    let (_, padded) = transformed(
        &app,
        &me,
        "rs:fit:400:100/ex:1:we/bg:255:0:255",
        &format!("{id}.png"),
    )
    .await;
    assert_eq!(padded.dimensions(), (400, 100));
    assert_eq!(rgb(&padded, 50, 50), [255, 0, 0]);
    assert_eq!(rgb(&padded, 299, 50), [0, 0, 255]);
    assert_eq!(count(&padded, MAGENTA), 100 * 100);
    assert_eq!(rgb(&padded, 300, 0), MAGENTA);
    // Without extend, the same request is 300x100.
    let (_, unpadded) = transformed(
        &app,
        &me,
        "rs:fit:400:100/bg:255:0:255",
        &format!("{id}.png"),
    )
    .await;
    assert_eq!(unpadded.dimensions(), (300, 100));

    // Centred, by `rs`'s extend argument: 50 px each side. With no background, PNG pads transparent.
    let (_, clear) = transformed(&app, &me, "rs:fit:400:100:0:1", &format!("{id}.png")).await;
    assert_eq!(clear.dimensions(), (400, 100));
    assert_eq!(clear.get_pixel(10, 50).0[3], 0);
    assert_eq!(clear.get_pixel(390, 50).0[3], 0);
    assert_eq!(clear.get_pixel(60, 50).0, [255, 0, 0, 255]);

    // South, in a JPEG without a background: white above the picture.
    let (_, jpeg) = transformed(&app, &me, "rs:fit:300:300/ex:1:so", &format!("{id}.jpg")).await;
    assert_eq!(jpeg.dimensions(), (300, 300));
    let [r, g, b] = rgb(&jpeg, 150, 100);
    assert!(r > 245 && g > 245 && b > 245, "{r} {g} {b}");
    let [r, g, b] = rgb(&jpeg, 50, 250);
    assert!(r > 200 && g < 40 && b < 40, "{r} {g} {b}");

    // To the requested aspect ratio only (`exar`): 300x100 in a 600x600 box is padded to 300x300.
    let (_, square) = transformed(
        &app,
        &me,
        "rs:fit:600:600/exar:1:no/bg:0:0:0",
        &format!("{id}.png"),
    )
    .await;
    assert_eq!(square.dimensions(), (300, 300));
    assert_eq!(rgb(&square, 250, 50), [0, 0, 255]);
    assert_eq!(count(&square, [0, 0, 0]), 300 * 200);

    let bad = app
        .get(Some(&me), &format!("/v1/t/_/w:10/ex:1:sm/{id}.png"), &[])
        .await;
    assert_problem(bad, 400, "invalid_transform").await;
}
