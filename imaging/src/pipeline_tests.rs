//! End-to-end tests of `process_upload` on the shared real-world photos and on hostile input.

use std::time::Instant;

use image::DynamicImage;

use super::pixels::Pixels;
use super::testdata;
use super::variants::render;
use super::*;
use crate::domain::{ImageFormat, OutputFormat, VariantName};

const WEB: [OutputFormat; 2] = [OutputFormat::Jpeg, OutputFormat::Webp];

fn process(bytes: &[u8], outputs: &[OutputFormat]) -> Processed {
    process_upload(bytes, &Limits::default(), outputs).unwrap()
}

fn encoding(variant: &RenderedVariant, format: OutputFormat) -> &[u8] {
    &variant
        .encodings
        .iter()
        .find(|(f, _)| *f == format)
        .unwrap_or_else(|| panic!("{format} encoding of {}", variant.name))
        .1
}

fn thumb_pixels(processed: &Processed) -> image::RgbImage {
    let thumb = &processed.variants[0];
    assert_eq!(thumb.name, VariantName::Thumb);
    image::load_from_memory(encoding(thumb, OutputFormat::Png))
        .unwrap()
        .to_rgb8()
}

/// Mean absolute channel difference after scaling both to 32x32: insensitive to the pixel or two of shift
/// that re-encoded test photos carry, very sensitive to a wrong rotation or flip.
fn mean_abs_diff(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    use image::imageops::{resize, FilterType};
    let a = resize(a, 32, 32, FilterType::Triangle);
    let b = resize(b, 32, 32, FilterType::Triangle);
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

#[test]
fn twelve_megapixel_photo_gets_every_variant() {
    let bytes = testdata::read("photos/iphone_4032x3024.jpg");
    let started = Instant::now();
    let processed = process(&bytes, &WEB);
    eprintln!(
        "process_upload(iphone_4032x3024.jpg, jpeg+webp): {:?}",
        started.elapsed()
    );

    assert_eq!(processed.format, ImageFormat::Jpeg);
    assert_eq!((processed.width, processed.height), (4032, 3024));
    let sizes: Vec<(VariantName, u32, u32)> = processed
        .variants
        .iter()
        .map(|v| (v.name, v.width, v.height))
        .collect();
    assert_eq!(
        sizes,
        [
            (VariantName::Thumb, 256, 256),
            (VariantName::Small, 640, 480),
            (VariantName::Medium, 1280, 960),
            (VariantName::Large, 2048, 1536),
        ]
    );
    for variant in &processed.variants {
        let jpeg = encoding(variant, OutputFormat::Jpeg);
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
        assert!(
            testdata::jpeg_header_segments(jpeg)
                .iter()
                .all(|(m, _)| *m != 0xE1),
            "{}: no app1",
            variant.name
        );
        let webp = encoding(variant, OutputFormat::Webp);
        assert_eq!((&webp[..4], &webp[8..12]), (&b"RIFF"[..], &b"WEBP"[..]));
        let decoded = image::load_from_memory(webp).unwrap();
        assert_eq!(
            (decoded.width(), decoded.height()),
            (variant.width, variant.height)
        );
    }
    assert_eq!(processed.blurhash.len(), 28);
    assert!(processed.dominant_color.starts_with('#') && processed.dominant_color.len() == 7);
    assert!(processed.public_original.len() <= bytes.len());
}

#[test]
fn every_orientation_comes_out_upright() {
    let thumb_of = |n: u8| {
        let processed = process(
            &testdata::read(&format!("photos/landscape_{n}.jpg")),
            &[OutputFormat::Png],
        );
        let sizes: Vec<(u32, u32)> = processed
            .variants
            .iter()
            .map(|v| (v.width, v.height))
            .collect();
        (
            (processed.width, processed.height),
            sizes,
            thumb_pixels(&processed),
        )
    };
    let (reference_size, reference_sizes, reference) = thumb_of(1);
    let (_, _, second) = thumb_of(2);
    for n in 2..=8 {
        let (size, sizes, thumb) = thumb_of(n);
        assert_eq!(size, reference_size, "landscape_{n}");
        assert_eq!(sizes, reference_sizes, "landscape_{n}");
        // landscape_2..8 are tagged "Generic RGB" (gamma 1.8) and landscape_1 is untagged, so their raw
        // values sit ~13 levels apart; a wrong rotation or flip costs 45 or more (see the next test).
        let diff = mean_abs_diff(&thumb, &reference);
        assert!(
            diff < 25.0,
            "landscape_{n} differs from landscape_1 by {diff:.1}"
        );
        // Against a file with the same profile, only the digit printed on each differs.
        let diff = mean_abs_diff(&thumb, &second);
        assert!(
            diff < 8.0,
            "landscape_{n} differs from landscape_2 by {diff:.1}"
        );
    }
}

#[test]
fn a_wrong_rotation_is_detected_by_the_orientation_check() {
    let reference = thumb_pixels(&process(
        &testdata::read("photos/landscape_1.jpg"),
        &[OutputFormat::Png],
    ));
    let upside_down = image::imageops::rotate180(&reference);
    assert!(mean_abs_diff(&upside_down, &reference) > 40.0);

    // landscape_3 is stored upside down; ignoring its orientation must show up as a large difference.
    let stored = image::load_from_memory(&testdata::read("photos/landscape_3.jpg")).unwrap();
    let thumb = render(&Pixels::from_image(stored), &UPLOAD_VARIANTS)
        .unwrap()
        .remove(0);
    let Pixels::Opaque(thumb) = thumb else {
        panic!("jpeg is opaque")
    };
    let diff = mean_abs_diff(&thumb, &reference);
    assert!(
        diff > 40.0,
        "unrotated landscape_3 differs by only {diff:.1}"
    );
}

#[test]
fn small_images_are_not_upscaled() {
    let png = testdata::png(&DynamicImage::ImageRgb8(testdata::gradient(300, 200)));
    let processed = process(&png, &WEB);
    assert_eq!(processed.format, ImageFormat::Png);
    let sizes: Vec<(u32, u32)> = processed
        .variants
        .iter()
        .map(|v| (v.width, v.height))
        .collect();
    assert_eq!(sizes, [(200, 200), (300, 200), (300, 200), (300, 200)]);
}

#[test]
fn solid_red_is_dominantly_red() {
    let red = image::RgbImage::from_pixel(500, 400, image::Rgb([255, 0, 0]));
    let processed = process(&testdata::png(&DynamicImage::ImageRgb8(red)), &WEB);
    assert_eq!(processed.dominant_color, "#ff0000");
}

#[test]
fn transparency_is_kept_in_webp_and_png_and_flattened_in_jpeg() {
    let mut logo = testdata::solid_rgba(400, 400, [0, 0, 0, 0]);
    for (x, y, p) in logo.enumerate_pixels_mut() {
        if (100..300).contains(&x) && (100..300).contains(&y) {
            *p = image::Rgba([0, 90, 200, 255]);
        }
    }
    let outputs = [OutputFormat::Jpeg, OutputFormat::Webp, OutputFormat::Png];
    let processed = process(&testdata::png(&DynamicImage::ImageRgba8(logo)), &outputs);
    let small = &processed.variants[1];
    for format in [OutputFormat::Webp, OutputFormat::Png] {
        let decoded = image::load_from_memory(encoding(small, format)).unwrap();
        assert!(decoded.color().has_alpha(), "{format}");
        assert_eq!(
            decoded.to_rgba8().get_pixel(5, 5).0[3],
            0,
            "{format} corner"
        );
    }
    let jpeg = image::load_from_memory(encoding(small, OutputFormat::Jpeg))
        .unwrap()
        .to_rgb8();
    assert!(
        jpeg.get_pixel(5, 5).0.iter().all(|&c| c > 245),
        "white corner"
    );
}

#[test]
fn outputs_keep_their_order_and_duplicates_are_ignored() {
    let png = testdata::png(&DynamicImage::ImageRgb8(testdata::gradient(50, 50)));
    let outputs = [OutputFormat::Avif, OutputFormat::Jpeg, OutputFormat::Jpeg];
    let processed = process(&png, &outputs);
    for variant in &processed.variants {
        let formats: Vec<OutputFormat> = variant.encodings.iter().map(|(f, _)| *f).collect();
        assert_eq!(formats, [OutputFormat::Avif, OutputFormat::Jpeg]);
    }
}

#[test]
fn upload_variants_alone_match_the_upload_job() {
    let bytes = testdata::read("photos/iphone_4032x3024.jpg");
    let started = Instant::now();
    let avif = render_upload_variants(&bytes, &Limits::default(), &[OutputFormat::Avif]).unwrap();
    eprintln!(
        "render_upload_variants(iphone_4032x3024.jpg, avif): {:?}",
        started.elapsed()
    );
    let web = process(&bytes, &[OutputFormat::Webp]);
    assert_eq!(avif.len(), web.variants.len());
    for (avif, web) in avif.iter().zip(&web.variants) {
        assert_eq!(
            (avif.name, avif.width, avif.height),
            (web.name, web.width, web.height)
        );
        let encoded = encoding(avif, OutputFormat::Avif);
        assert_eq!(
            avif.encodings.len(),
            1,
            "{}: only the formats asked for",
            avif.name
        );
        assert_eq!(
            super::avif_boxes::image_sizes(encoded),
            [(avif.width, avif.height)],
            "{}",
            avif.name
        );
        // The point of AVIF: fewer bytes than WebP at the same look.
        let webp = encoding(web, OutputFormat::Webp);
        assert!(
            encoded.len() < webp.len(),
            "{}: avif {} bytes, webp {}",
            avif.name,
            encoded.len(),
            webp.len()
        );
    }
}

#[test]
fn gps_never_reaches_a_served_byte() {
    for name in ["DSCN0010.jpg", "DSCN0012.jpg"] {
        let processed = process(&testdata::read(&format!("photos/{name}")), &WEB);
        assert!(
            !testdata::contains_ifd_pointer(&processed.public_original, 0x8825),
            "{name}"
        );
        for variant in &processed.variants {
            for (format, bytes) in &variant.encodings {
                assert!(
                    !testdata::contains_ifd_pointer(bytes, 0x8825),
                    "{name} {format}"
                );
                assert!(!bytes.windows(4).any(|w| w == b"Exif"), "{name} {format}");
            }
        }
    }
}

#[test]
fn every_decodable_photo_processes() {
    for (name, bytes) in testdata::all_in("photos") {
        let format = sniff(&bytes).unwrap_or_else(|| panic!("{name} sniffs"));
        match process_upload(&bytes, &Limits::default(), &WEB) {
            Ok(processed) => {
                assert!(decodable(format), "{name}");
                assert_eq!(processed.variants.len(), 4, "{name}");
                assert!(processed.variants.iter().all(|v| v.encodings.len() == 2));
            }
            Err(e) => {
                assert_eq!(format, ImageFormat::Heic, "{name}: {e}");
                assert_eq!(e.code(), "unsupported_media_type", "{name}");
            }
        }
    }
}

#[test]
fn broken_files_give_ok_or_a_clear_error() {
    for (name, bytes) in testdata::all_in("broken") {
        let outcome = process_upload(&bytes, &Limits::default(), &WEB);
        eprintln!(
            "broken/{name}: {:?}",
            outcome
                .as_ref()
                .map(|p| (p.width, p.height))
                .map_err(|e| (e.code(), e.to_string()))
        );
        if name.starts_with("image0") {
            // Their EXIF blocks are invalid, their pictures are fine: a bad EXIF must not fail them.
            assert!(outcome.is_ok(), "{name}: {:?}", outcome.err());
        }
    }
}

#[test]
fn truncated_uploads_never_panic() {
    let gif = {
        let mut out = Vec::new();
        let mut encoder = image::codecs::gif::GifEncoder::new(&mut out);
        let frame = image::Frame::new(testdata::solid_rgba(40, 30, [9, 9, 9, 255]));
        encoder.encode_frame(frame).unwrap();
        drop(encoder);
        out
    };
    let gradient = DynamicImage::ImageRgb8(testdata::gradient(90, 60));
    let samples = [
        ("Canon_40D.jpg", testdata::read("photos/Canon_40D.jpg")),
        ("Tless0.tiff", testdata::read("photos/Tless0.tiff")),
        ("gradient.png", testdata::png(&gradient)),
        (
            "gradient.webp",
            testdata::encode(&gradient, image::ImageFormat::WebP),
        ),
        ("solid.gif", gif),
    ];
    for (name, bytes) in samples {
        let step = (bytes.len() / 60).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            if let Err(e) = process_upload(&bytes[..cut], &Limits::default(), &WEB) {
                assert!(!e.code().is_empty(), "{name} cut at {cut}");
            }
        }
    }
}

#[test]
fn corrupted_bytes_never_panic() {
    // A fixed xorshift sequence: the same mutations on every run, so a failure is reproducible.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let gradient = DynamicImage::ImageRgb8(testdata::gradient(64, 48));
    let samples = [
        testdata::read("photos/Canon_40D.jpg"),
        testdata::read("photos/Picoawards.tiff"),
        testdata::png(&gradient),
        testdata::encode(&gradient, image::ImageFormat::WebP),
        testdata::encode(&gradient, image::ImageFormat::Gif),
    ];
    for original in samples {
        for _ in 0..40 {
            let mut bytes = original.clone();
            for _ in 0..1 + next() % 8 {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = next() as u8;
            }
            // Ok (damage the decoder tolerates) or a coded error; a panic fails the test.
            if let Err(e) = process_upload(&bytes, &Limits::default(), &WEB) {
                assert!(!e.code().is_empty());
            }
        }
    }
}

/// The default build has no HEIC decoder (the native one's HEIC tests are in `heif_tests.rs`).
#[cfg(not(feature = "native-codecs"))]
#[test]
fn heic_is_refused_as_unsupported() {
    let heic = testdata::read("photos/IMG_5195.HEIC");
    assert_eq!(sniff(&heic), Some(ImageFormat::Heic));
    let err = process_upload(&heic, &Limits::default(), &WEB).unwrap_err();
    assert_eq!(err.code(), "unsupported_media_type");
}
