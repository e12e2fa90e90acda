//! `thumbnail`: sizes for each fit, never enlarging, orientation, quality against a full-size reference.

use super::*;
use crate::imaging::testdata;

fn options(width: u32, height: Option<u32>, fit: Fit) -> ThumbnailOptions {
    ThumbnailOptions {
        width,
        height,
        fit,
        format: OutputFormat::Jpeg,
        quality: Some(80),
        effort: None,
        shrink_on_load: ShrinkOnLoad::Fast,
        threads: 0,
    }
}

fn size_of(bytes: &[u8], options: &ThumbnailOptions) -> (u32, u32) {
    let out = thumbnail(bytes, &Limits::default(), options).unwrap();
    let decoded = image::load_from_memory(&out.bytes).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (out.width, out.height));
    (out.width, out.height)
}

/// Peak signal-to-noise ratio of `a` against `b`, in dB.
fn psnr(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    let sum: f64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
        .sum();
    let mse = sum / a.as_raw().len() as f64;
    10.0 * (255.0 * 255.0 / mse).log10()
}

#[test]
fn sizes_for_each_fit() {
    let photo = testdata::read("photos/iphone_4032x3024.jpg");
    assert_eq!(
        size_of(&photo, &options(800, None, Fit::Inside)),
        (800, 600)
    );
    assert_eq!(
        size_of(&photo, &options(800, Some(300), Fit::Inside)),
        (400, 300)
    );
    assert_eq!(size_of(&photo, &options(256, None, Fit::Cover)), (256, 256));
    assert_eq!(
        size_of(&photo, &options(300, Some(100), Fit::Fill)),
        (300, 100)
    );
}

#[test]
fn never_enlarges() {
    let small = testdata::read("photos/Canon_40D.jpg"); // 100x68
    assert_eq!(size_of(&small, &options(800, None, Fit::Inside)), (100, 68));
    // A 200x100 box shrinks to 100x50 to stay covered by the image, keeping its shape.
    assert_eq!(
        size_of(&small, &options(200, Some(100), Fit::Cover)),
        (100, 50)
    );
}

#[test]
fn turns_upright() {
    let upright = testdata::read("photos/landscape_1.jpg");
    let sideways = testdata::read("photos/landscape_6.jpg");
    let box_ = options(300, Some(300), Fit::Inside);
    assert_eq!(size_of(&upright, &box_), size_of(&sideways, &box_));
}

#[test]
fn close_to_a_full_decode_resized() {
    let bytes = testdata::read("photos/iphone_4032x3024.jpg");
    let reference = image::load_from_memory(&bytes).unwrap().to_rgb8();
    let reference =
        image::imageops::resize(&reference, 800, 600, image::imageops::FilterType::Lanczos3);
    for rule in [ShrinkOnLoad::Fast, ShrinkOnLoad::Quality] {
        let opts = ThumbnailOptions {
            format: OutputFormat::Png,
            shrink_on_load: rule,
            ..options(800, None, Fit::Inside)
        };
        let out = thumbnail(&bytes, &Limits::default(), &opts).unwrap();
        let ours = image::load_from_memory(&out.bytes).unwrap().to_rgb8();
        // The reference is not colour managed (Display P3 numbers read as sRGB), ours is: compare the
        // structure, which a wrong scale, shift or orientation would ruin (those give well under 20 dB).
        let score = psnr(&ours, &reference);
        assert!(score > 25.0, "{rule:?}: {score:.1} dB");
    }
}

#[test]
fn every_output_format_or_a_clear_error() {
    let bytes = testdata::read("photos/DSCN0010.jpg");
    for format in OutputFormat::ALL.iter().copied() {
        let out = thumbnail(
            &bytes,
            &Limits::default(),
            &ThumbnailOptions {
                format,
                ..options(120, None, Fit::Inside)
            },
        )
        .unwrap();
        assert_eq!(
            crate::imaging::sniff(&out.bytes).map(|f| f.as_str()),
            Some(format.as_str())
        );
    }
    let avif = ThumbnailOptions {
        format: OutputFormat::Avif,
        ..options(120, None, Fit::Inside)
    };
    let out = thumbnail(&bytes, &Limits::default(), &avif).unwrap();
    assert_eq!((out.width, out.height), (120, 90));
    assert_eq!(
        crate::imaging::avif_boxes::image_sizes(&out.bytes),
        [(120, 90)]
    );
    let zero = options(0, None, Fit::Inside);
    assert!(thumbnail(&bytes, &Limits::default(), &zero).is_err());
}

#[test]
fn hostile_input_is_refused_with_its_code() {
    let err = thumbnail(
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        &Limits::default(),
        &options(100, None, Fit::Inside),
    )
    .unwrap_err();
    assert_eq!(err.code(), "unsupported_media_type");
}
