//! The facts `process_upload` gathers for the automatic tags, on the shared photos and made-up images:
//! frames, transparency, palette and capture, all from the one decode or the container's metadata.

use image::DynamicImage;

use super::testdata;
use super::*;
use crate::domain::OutputFormat;

fn facts(bytes: &[u8]) -> darkroom_core::imaging::ImageFacts {
    process_upload(bytes, &Limits::default(), &[OutputFormat::Jpeg])
        .unwrap()
        .facts
}

#[test]
fn a_camera_photo_gives_its_capture_one_frame_and_a_palette() {
    let canon = facts(&testdata::read("photos/Canon_40D.jpg"));
    assert_eq!(canon.capture.camera_make.as_deref(), Some("Canon"));
    assert_eq!(canon.capture.camera_model.as_deref(), Some("Canon EOS 40D"));
    assert_eq!(
        canon.capture.taken_at_text().as_deref(),
        Some("2008-05-30T15:56:01")
    );
    assert_eq!((canon.frames, canon.transparent), (1, false));
    assert!(!canon.palette.is_empty() && canon.palette.len() <= 16);
    let total: f32 = canon.palette.iter().map(|c| c.share).sum();
    assert!(total > 0.0 && total <= 1.0001, "{total}");
    assert!(canon
        .palette
        .windows(2)
        .all(|pair| pair[0].share >= pair[1].share));
    let olympus = facts(&testdata::read("photos/iphone_4032x3024.jpg"));
    assert_eq!(
        olympus.capture.camera_make.as_deref(),
        Some("OLYMPUS IMAGING CORP."),
        "trailing padding trimmed"
    );
    assert!(facts(&testdata::read("photos/no_exif.jpg"))
        .capture
        .is_empty());
}

#[test]
fn transparency_counts_only_when_some_pixel_uses_it() {
    let mut used = testdata::solid_rgba(64, 48, [10, 20, 200, 255]);
    used.put_pixel(30, 20, image::Rgba([10, 20, 200, 0]));
    let used = facts(&testdata::png(&DynamicImage::ImageRgba8(used)));
    assert!(used.transparent);
    let unused = testdata::solid_rgba(64, 48, [10, 20, 200, 255]);
    assert!(!facts(&testdata::png(&DynamicImage::ImageRgba8(unused))).transparent);
}

#[test]
fn an_animated_gif_counts_its_frames() {
    let gif = crate::containers::tests::animated_gif(4);
    assert_eq!(facts(&gif).frames, 4);
}

#[cfg(feature = "native-codecs")]
#[test]
fn an_avif_with_alpha_is_transparent() {
    let avif = testdata::fixture("landscape_320x240_alpha128.avif");
    let found = facts(&avif);
    assert!(found.transparent);
    assert_eq!(found.frames, 1);
}
