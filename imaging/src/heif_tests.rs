//! HEIC and AVIF through libheif: a real iPhone HEIC, small AVIF/HEIC fixtures (`imaging/testdata/`, made
//! with heif-enc from landscape_1.jpg at 320x240), and hostile variants of them.

use image::GenericImageView;

use super::*;
use crate::domain::{ImageFormat, OutputFormat, VariantName};
use crate::{process_upload, read_header, strip_metadata, testdata, Limits};

const IPHONE: &str = "photos/IMG_5195.HEIC";

/// `bytes` with every `ispe` box declaring `width` x `height`.
fn with_ispe(bytes: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let mut found = 0;
    for at in 0..out.len().saturating_sub(20) {
        if out[at..at + 4] == 20u32.to_be_bytes() && &out[at + 4..at + 8] == b"ispe" {
            out[at + 12..at + 16].copy_from_slice(&width.to_be_bytes());
            out[at + 16..at + 20].copy_from_slice(&height.to_be_bytes());
            found += 1;
        }
    }
    assert!(found > 0, "no ispe box");
    out
}

/// The thumbnail variant of an upload, decoded from its PNG encoding.
fn png_of(processed: &crate::Processed, name: VariantName) -> image::DynamicImage {
    let variant = processed.variants.iter().find(|v| v.name == name).unwrap();
    let (_, png) = variant
        .encodings
        .iter()
        .find(|(f, _)| *f == OutputFormat::Png)
        .unwrap();
    image::load_from_memory(png).unwrap()
}

/// Mean absolute difference per channel after scaling both to 32x24.
fn mean_abs_diff(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    use image::imageops::{resize, FilterType};
    let a = resize(a, 32, 24, FilterType::Triangle);
    let b = resize(b, 32, 24, FilterType::Triangle);
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

#[test]
fn libheif_has_the_hevc_and_av1_decoders() {
    assert!(decodes(ImageFormat::Heic));
    assert!(decodes(ImageFormat::Avif));
    assert!(!decodes(ImageFormat::Jpeg));
}

#[test]
fn an_iphone_heic_processes_upright_with_every_variant_and_a_clean_public_original() {
    let original = testdata::read(IPHONE);
    let header = read_header(&original, &Limits::default()).unwrap();
    assert_eq!(
        (header.format, header.width, header.height),
        (ImageFormat::Heic, 2566, 3313)
    );

    let outputs = [OutputFormat::Jpeg, OutputFormat::Png];
    let processed = process_upload(&original, &Limits::default(), &outputs).unwrap();
    assert_eq!(processed.format, ImageFormat::Heic);
    assert_eq!((processed.width, processed.height), (2566, 3313));
    let sizes: Vec<(VariantName, u32, u32)> = processed
        .variants
        .iter()
        .map(|v| (v.name, v.width, v.height))
        .collect();
    assert_eq!(
        sizes,
        [
            (VariantName::Thumb, 256, 256),
            (VariantName::Small, 496, 640),
            (VariantName::Medium, 991, 1280),
            (VariantName::Large, 1586, 2048),
        ]
    );
    for variant in &processed.variants {
        let (_, jpeg) = &variant.encodings[0];
        let decoded = image::load_from_memory(jpeg).unwrap();
        assert_eq!(decoded.dimensions(), (variant.width, variant.height));
    }

    // A real photo: neither black nor flat.
    let small = png_of(&processed, VariantName::Small).to_rgb8();
    let luma: Vec<f64> = small
        .pixels()
        .map(|p| f64::from(p.0[0]) * 0.3 + f64::from(p.0[1]) * 0.59 + f64::from(p.0[2]) * 0.11)
        .collect();
    let mean = luma.iter().sum::<f64>() / luma.len() as f64;
    let spread = (luma.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / luma.len() as f64).sqrt();
    assert!((30.0..230.0).contains(&mean), "mean luma {mean}");
    assert!(spread > 15.0, "luma spread {spread}");

    // The original carries EXIF with a GPS IFD and XMP; the public original is a JPEG with none of it,
    // only the Display P3 profile so its colours stay right.
    assert!(testdata::contains_ifd_pointer(&original, 0x8825));
    let public = &processed.public_original;
    assert_eq!(crate::sniff(public), Some(ImageFormat::Jpeg));
    assert_eq!(
        crate::public_original_format(ImageFormat::Heic),
        ImageFormat::Jpeg
    );
    assert!(!testdata::contains_ifd_pointer(public, 0x8825));
    assert!(!public.windows(6).any(|w| w == b"Exif\0\0"));
    assert!(!public.windows(9).any(|w| w == b"ns.adobe."));
    let segments = testdata::jpeg_header_segments(public);
    assert!(
        segments.iter().all(|(marker, _)| *marker != 0xE1),
        "no APP1"
    );
    let icc = crate::jpeg_info::jpeg_info(public).unwrap().icc;
    assert!(
        crate::colour::ToSrgb::from_icc(icc.as_deref()).is_some(),
        "a non-sRGB profile kept"
    );
    let decoded = image::load_from_memory(public).unwrap();
    assert_eq!(decoded.dimensions(), (2566, 3313));
}

#[test]
fn the_container_rotation_is_applied_once() {
    // IMG_5195 has an `irot` of 0: make it 90 degrees anticlockwise.
    let original = testdata::read(IPHONE);
    let at = original.windows(4).position(|w| w == b"irot").unwrap();
    let mut rotated = original.clone();
    rotated[at + 4] = 1;
    let header = read_header(&rotated, &Limits::default()).unwrap();
    assert_eq!((header.width, header.height), (3313, 2566));
    let probe = super::super::decode::probe(&rotated, &Limits::default()).unwrap();
    assert_eq!(
        probe.orientation,
        image::metadata::Orientation::NoTransforms
    );
    assert_eq!(probe.upright_dimensions(), (3313, 2566));
    drop(probe);

    let upright = process_upload(&original, &Limits::default(), &[OutputFormat::Png]).unwrap();
    let turned = process_upload(&rotated, &Limits::default(), &[OutputFormat::Png]).unwrap();
    assert_eq!((turned.width, turned.height), (3313, 2566));
    let large = turned
        .variants
        .iter()
        .find(|v| v.name == VariantName::Large)
        .unwrap();
    assert_eq!((large.width, large.height), (2048, 1586));
    // Its small variant is the upright one's, turned 90 degrees anticlockwise.
    let expected = image::imageops::rotate270(&png_of(&upright, VariantName::Small).to_rgb8());
    let actual = png_of(&turned, VariantName::Small).to_rgb8();
    assert!(mean_abs_diff(&expected, &actual) < 4.0);
}

#[test]
fn small_avif_and_heic_look_like_their_source() {
    let source = image::load_from_memory(&testdata::read("photos/landscape_1.jpg"))
        .unwrap()
        .to_rgb8();
    for (name, format) in [
        ("landscape_320x240.avif", ImageFormat::Avif),
        ("landscape_320x240.heic", ImageFormat::Heic),
    ] {
        let bytes = testdata::fixture(name);
        let processed = process_upload(&bytes, &Limits::default(), &[OutputFormat::Png]).unwrap();
        assert_eq!(processed.format, format, "{name}");
        assert_eq!((processed.width, processed.height), (320, 240), "{name}");
        let small = png_of(&processed, VariantName::Small);
        assert_eq!(small.dimensions(), (320, 240), "never enlarged: {name}");
        let diff = mean_abs_diff(&source, &small.to_rgb8());
        assert!(diff < 8.0, "{name}: mean difference {diff}");
        let public = strip_metadata(&bytes, format).unwrap();
        assert_eq!(crate::sniff(&public), Some(ImageFormat::Jpeg));
        assert!(!public.windows(6).any(|w| w == b"Exif\0\0"), "{name}");
        let decoded = image::load_from_memory(&public).unwrap().to_rgb8();
        assert!(mean_abs_diff(&source, &decoded) < 8.0, "{name}");
    }
}

#[test]
fn avif_alpha_is_kept() {
    // Encoded from landscape_1 with a constant alpha of 128.
    let bytes = testdata::fixture("landscape_320x240_alpha128.avif");
    let processed = process_upload(&bytes, &Limits::default(), &[OutputFormat::Png]).unwrap();
    let thumb = png_of(&processed, VariantName::Thumb);
    assert!(thumb.color().has_alpha());
    let alpha: Vec<u8> = thumb.to_rgba8().pixels().map(|p| p.0[3]).collect();
    assert!(
        alpha.iter().all(|a| a.abs_diff(128) <= 3),
        "{:?}",
        &alpha[..8]
    );
}

#[test]
fn a_pixel_flood_is_refused_from_the_header() {
    for (name, bytes) in [
        ("fixture avif", testdata::fixture("landscape_320x240.avif")),
        ("fixture heic", testdata::fixture("landscape_320x240.heic")),
        ("iphone heic", testdata::read(IPHONE)),
    ] {
        // Beyond libheif's own limit (set from ours) and beyond ours.
        let flood = with_ispe(&bytes, 100_000, 100_000);
        let err = read_header(&flood, &Limits::default()).unwrap_err();
        assert_eq!(err.code(), "image_dimensions_too_large", "{name}: {err}");
        assert!(err.to_string().contains("100000x100000"), "{name}: {err}");
        let err = process_upload(&flood, &Limits::default(), &[OutputFormat::Jpeg]).unwrap_err();
        assert_eq!(err.code(), "image_dimensions_too_large", "{name}: {err}");
        // Within the side limits, beyond the pixel count: refused by our own check.
        let flood = with_ispe(&bytes, 16_000, 16_000);
        let err = read_header(&flood, &Limits::default()).unwrap_err();
        assert_eq!(err.code(), "image_dimensions_too_large", "{name}: {err}");
    }
}

#[test]
fn limits_apply_to_heif_as_to_every_format() {
    let bytes = testdata::fixture("landscape_320x240.avif");
    let narrow = Limits {
        max_width: 319,
        ..Limits::default()
    };
    let err = read_header(&bytes, &narrow).unwrap_err();
    assert_eq!(err.code(), "image_dimensions_too_large", "{err}");
    let small_pool = Limits {
        max_decode_alloc: 1 << 20,
        ..Limits::default()
    };
    let err = process_upload(&bytes, &small_pool, &[OutputFormat::Jpeg]).unwrap_err();
    assert_eq!(err.code(), "decode_limit_exceeded", "{err}");
    let few_bytes = Limits {
        max_bytes: 1000,
        ..Limits::default()
    };
    let err = read_header(&bytes, &few_bytes).unwrap_err();
    assert_eq!(err.code(), "image_too_large", "{err}");
}

#[test]
fn truncated_and_damaged_heif_give_a_coded_error() {
    let iphone = testdata::read(IPHONE);
    let avif = testdata::fixture("landscape_320x240.avif");
    let mut cases: Vec<(String, Vec<u8>)> = [64, 600, 4000, iphone.len() / 2, iphone.len() - 10]
        .into_iter()
        .map(|len| (format!("iphone cut at {len}"), iphone[..len].to_vec()))
        .collect();
    cases.push(("avif cut in half".into(), avif[..avif.len() / 2].to_vec()));
    // The coded AV1 data overwritten (the last 4 KB of the file are in its mdat).
    let mut scrambled = avif.clone();
    let tail = scrambled.len() - 4000;
    for (i, byte) in scrambled[tail..].iter_mut().enumerate() {
        *byte = (i * 7 + 3) as u8;
    }
    cases.push(("avif with scrambled data".into(), scrambled));
    for (name, bytes) in cases {
        match process_upload(&bytes, &Limits::default(), &[OutputFormat::Jpeg]) {
            Ok(processed) => assert!(processed.width > 0, "{name}"),
            Err(err) => assert!(
                ["corrupt_image", "unsupported_media_type"].contains(&err.code()),
                "{name}: {err}"
            ),
        }
    }
    // Cut before the image data is complete, it must not pass for an image.
    let err = process_upload(&iphone[..iphone.len() / 2], &Limits::default(), &[]).unwrap_err();
    assert_eq!(err.code(), "corrupt_image", "{err}");
}

#[test]
fn a_thumbnail_of_an_avif() {
    use darkroom_core::imaging::{Fit, Operation, Output, Plan, Resize};

    use crate::{render, RenderSettings, ShrinkOnLoad};
    let bytes = testdata::fixture("landscape_320x240.avif");
    let plan = Plan::new(Output::new(OutputFormat::Jpeg)).then(Operation::Resize(Resize {
        width: Some(100),
        height: None,
        fit: Fit::Fit,
        gravity: Default::default(),
        enlarge: false,
        offset: (0, 0),
    }));
    let settings = RenderSettings {
        shrink_on_load: ShrinkOnLoad::Quality,
        threads: 1,
    };
    let thumb = render(&bytes, &plan, &Limits::default(), settings).unwrap();
    assert_eq!((thumb.width, thumb.height), (100, 75));
    let decoded = image::load_from_memory(&thumb.bytes).unwrap();
    assert_eq!(decoded.dimensions(), (100, 75));
}

#[test]
fn a_grid_larger_than_its_checked_header_is_not_built() {
    // IMG_5195 is a grid of 512x512 tiles whose `grid` box says 2566x3313. With every `ispe` (the
    // image's and its tiles') claiming 600x600, the header passes but the canvas must not be allocated at
    // the grid's size: libheif refuses it before allocating (only our own check after decoding would
    // say `corrupt_image`, too late).
    let lying = with_ispe(&testdata::read(IPHONE), 600, 600);
    let err = process_upload(&lying, &Limits::default(), &[OutputFormat::Jpeg]).unwrap_err();
    assert_eq!(err.code(), "decode_limit_exceeded", "{err}");
}
