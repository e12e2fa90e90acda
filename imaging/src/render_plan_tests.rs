//! `render`: sizes for each fit, never enlarging, orientation, every operation's pixels, quality against a
//! full-size reference, metadata never carried.

use darkroom_core::domain::OutputFormat;
use darkroom_core::imaging::{Fit, Flip, Gravity, Operation, Output, Resize};
use image::{DynamicImage, Rgb, RgbImage};

use super::*;
use crate::testdata;

const FAST: RenderSettings = RenderSettings {
    shrink_on_load: ShrinkOnLoad::Fast,
    threads: 0,
};

fn resize(width: u32, height: Option<u32>, fit: Fit) -> Operation {
    Operation::Resize(Resize {
        width: Some(width),
        height,
        fit,
        gravity: Gravity::Centre,
        enlarge: false,
        offset: (0, 0),
    })
}

fn jpeg_plan(operations: &[Operation]) -> Plan {
    Plan {
        operations: operations.to_vec(),
        output: Output {
            format: OutputFormat::Jpeg,
            quality: Some(80),
            effort: None,
        },
        overlays: Vec::new(),
    }
}

fn png_plan(operations: &[Operation]) -> Plan {
    Plan {
        operations: operations.to_vec(),
        output: Output::new(OutputFormat::Png),
        overlays: Vec::new(),
    }
}

fn size_of(bytes: &[u8], plan: &Plan) -> (u32, u32) {
    let out = render(bytes, plan, &Limits::default(), FAST).unwrap();
    let decoded = image::load_from_memory(&out.bytes).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (out.width, out.height));
    (out.width, out.height)
}

/// Renders `source` (encoded as PNG) with `operations`, as PNG, decoded back.
fn rendered(source: &RgbImage, operations: &[Operation]) -> RgbImage {
    let bytes = testdata::png(&DynamicImage::ImageRgb8(source.clone()));
    let out = render(&bytes, &png_plan(operations), &Limits::default(), FAST).unwrap();
    image::load_from_memory(&out.bytes).unwrap().to_rgb8()
}

const RED: Rgb<u8> = Rgb([255, 0, 0]);
const GREEN: Rgb<u8> = Rgb([0, 255, 0]);
const BLUE: Rgb<u8> = Rgb([0, 0, 255]);
const WHITE: Rgb<u8> = Rgb([255, 255, 255]);

/// 40x20: red top left, green top right, blue bottom left, white bottom right.
fn quadrants() -> RgbImage {
    RgbImage::from_fn(40, 20, |x, y| match (x < 20, y < 10) {
        (true, true) => RED,
        (false, true) => GREEN,
        (true, false) => BLUE,
        (false, false) => WHITE,
    })
}

/// The colours at the four corners: top left, top right, bottom left, bottom right.
fn corners(image: &RgbImage) -> [Rgb<u8>; 4] {
    let (w, h) = image.dimensions();
    [
        *image.get_pixel(0, 0),
        *image.get_pixel(w - 1, 0),
        *image.get_pixel(0, h - 1),
        *image.get_pixel(w - 1, h - 1),
    ]
}

/// Peak signal-to-noise ratio of `a` against `b`, in dB.
fn psnr(a: &RgbImage, b: &RgbImage) -> f64 {
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
        size_of(&photo, &jpeg_plan(&[resize(800, None, Fit::Fit)])),
        (800, 600)
    );
    assert_eq!(
        size_of(&photo, &jpeg_plan(&[resize(800, Some(300), Fit::Fit)])),
        (400, 300)
    );
    assert_eq!(
        size_of(&photo, &jpeg_plan(&[resize(256, None, Fit::Fill)])),
        (256, 256)
    );
    assert_eq!(
        size_of(&photo, &jpeg_plan(&[resize(300, Some(100), Fit::Force)])),
        (300, 100)
    );
}

#[test]
fn never_enlarges() {
    let small = testdata::read("photos/Canon_40D.jpg"); // 100x68
    assert_eq!(
        size_of(&small, &jpeg_plan(&[resize(800, None, Fit::Fit)])),
        (100, 68)
    );
    // A 200x100 box shrinks to 100x50 to stay covered by the image, keeping its shape.
    assert_eq!(
        size_of(&small, &jpeg_plan(&[resize(200, Some(100), Fit::Fill)])),
        (100, 50)
    );
}

#[test]
fn turns_upright() {
    let upright = testdata::read("photos/landscape_1.jpg");
    let sideways = testdata::read("photos/landscape_6.jpg");
    let box_ = jpeg_plan(&[resize(300, Some(300), Fit::Fit)]);
    assert_eq!(size_of(&upright, &box_), size_of(&sideways, &box_));
}

#[test]
fn orientation_comes_before_the_first_operation() {
    // The same picture stored upright and sideways (EXIF 6): a crop of the upright top-left corner must
    // show the same pixels, whichever way the file stores them.
    let crop = Operation::Crop {
        x: 0,
        y: 0,
        width: 300,
        height: 200,
    };
    let decode = |name: &str| {
        let bytes = testdata::read(&format!("photos/{name}"));
        let out = render(&bytes, &png_plan(&[crop]), &Limits::default(), FAST).unwrap();
        image::load_from_memory(&out.bytes).unwrap().to_rgb8()
    };
    let (upright, sideways) = (decode("landscape_1.jpg"), decode("landscape_6.jpg"));
    assert_eq!(upright.dimensions(), (300, 200));
    assert_eq!(sideways.dimensions(), (300, 200));
    let score = psnr(&upright, &sideways);
    assert!(score > 25.0, "{score:.1} dB");
}

#[test]
fn crop_keeps_exactly_the_rectangle() {
    let out = rendered(
        &quadrants(),
        &[Operation::Crop {
            x: 20,
            y: 0,
            width: 20,
            height: 10,
        }],
    );
    assert_eq!(out.dimensions(), (20, 10));
    assert!(out.pixels().all(|p| *p == GREEN));

    let out = rendered(
        &quadrants(),
        &[Operation::Crop {
            x: 15,
            y: 5,
            width: 10,
            height: 10,
        }],
    );
    assert_eq!(out.dimensions(), (10, 10));
    assert_eq!(corners(&out), [RED, GREEN, BLUE, WHITE]);
}

#[test]
fn rotation_turns_clockwise_and_swaps_sides() {
    let quarter = rendered(&quadrants(), &[Operation::Rotate { quarter_turns: 1 }]);
    assert_eq!(quarter.dimensions(), (20, 40));
    assert_eq!(corners(&quarter), [BLUE, RED, WHITE, GREEN]);

    let half = rendered(&quadrants(), &[Operation::Rotate { quarter_turns: 2 }]);
    assert_eq!(half.dimensions(), (40, 20));
    assert_eq!(corners(&half), [WHITE, BLUE, GREEN, RED]);

    let three = rendered(&quadrants(), &[Operation::Rotate { quarter_turns: 3 }]);
    assert_eq!(three.dimensions(), (20, 40));
    assert_eq!(corners(&three), [GREEN, WHITE, RED, BLUE]);

    let whole = rendered(&quadrants(), &[Operation::Rotate { quarter_turns: 4 }]);
    assert_eq!(whole, quadrants());
}

#[test]
fn flips_mirror_each_axis() {
    let horizontal = rendered(&quadrants(), &[Operation::Flip(Flip::Horizontal)]);
    assert_eq!(corners(&horizontal), [GREEN, RED, WHITE, BLUE]);
    let vertical = rendered(&quadrants(), &[Operation::Flip(Flip::Vertical)]);
    assert_eq!(corners(&vertical), [BLUE, WHITE, RED, GREEN]);
    let both = rendered(
        &quadrants(),
        &[
            Operation::Flip(Flip::Horizontal),
            Operation::Flip(Flip::Vertical),
        ],
    );
    let half = rendered(&quadrants(), &[Operation::Rotate { quarter_turns: 2 }]);
    assert_eq!(both, half);
}

#[test]
fn operations_run_in_order() {
    // Crop the red quarter then rotate, or rotate then crop the same place: different pixels.
    let crop = Operation::Crop {
        x: 0,
        y: 0,
        width: 20,
        height: 10,
    };
    let turn = Operation::Rotate { quarter_turns: 1 };
    let crop_first = rendered(&quadrants(), &[crop, turn]);
    assert_eq!(crop_first.dimensions(), (10, 20));
    assert!(crop_first.pixels().all(|p| *p == RED));
    let turn_first = rendered(&quadrants(), &[turn, crop]);
    assert_eq!(turn_first.dimensions(), (20, 10));
    assert_eq!(corners(&turn_first), [BLUE, RED, BLUE, RED]);
}

/// 400x200: the left half red, the right half green.
fn halves() -> RgbImage {
    RgbImage::from_fn(400, 200, |x, _| if x < 200 { RED } else { GREEN })
}

fn is_near(pixel: &Rgb<u8>, colour: Rgb<u8>) -> bool {
    pixel
        .0
        .iter()
        .zip(colour.0)
        .all(|(a, b)| a.abs_diff(b) <= 8)
}

#[test]
fn fit_fill_and_force_give_their_sizes() {
    // 400x200 in four 100-column bands: blue, red, green, white.
    let bands = RgbImage::from_fn(400, 200, |x, _| {
        [BLUE, RED, GREEN, WHITE][(x / 100) as usize]
    });
    let fit = rendered(&bands, &[resize(100, Some(100), Fit::Fit)]);
    assert_eq!(fit.dimensions(), (100, 50));
    assert!(is_near(fit.get_pixel(10, 25), BLUE));
    assert!(is_near(fit.get_pixel(90, 25), WHITE));
    // Fill keeps the middle square: the red and green bands.
    let fill = rendered(&bands, &[resize(100, Some(100), Fit::Fill)]);
    assert_eq!(fill.dimensions(), (100, 100));
    assert!(is_near(fill.get_pixel(10, 50), RED));
    assert!(is_near(fill.get_pixel(90, 50), GREEN));
    // Force squeezes all four bands into the square.
    let force = rendered(&bands, &[resize(100, Some(100), Fit::Force)]);
    assert_eq!(force.dimensions(), (100, 100));
    assert!(is_near(force.get_pixel(10, 50), BLUE));
    assert!(is_near(force.get_pixel(90, 50), WHITE));
}

#[test]
fn gravity_picks_the_region_fill_keeps() {
    let fill = |gravity| {
        rendered(
            &halves(),
            &[Operation::Resize(Resize {
                width: Some(100),
                height: Some(100),
                fit: Fit::Fill,
                gravity,
                enlarge: false,
                offset: (0, 0),
            })],
        )
    };
    // Lanczos reads a few pixels past the kept region's edge, so the outermost columns may blend in a
    // little of what was cut off: look inside them.
    let inner = |image: &RgbImage, colour| {
        image
            .enumerate_pixels()
            .filter(|(x, y, _)| (3..97).contains(x) && (3..97).contains(y))
            .all(|(.., p)| is_near(p, colour))
    };
    for gravity in [Gravity::West, Gravity::NorthWest, Gravity::SouthWest] {
        let out = fill(gravity);
        assert_eq!(out.dimensions(), (100, 100));
        assert!(inner(&out, RED), "{gravity:?}");
    }
    for gravity in [Gravity::East, Gravity::NorthEast, Gravity::SouthEast] {
        let out = fill(gravity);
        assert!(inner(&out, GREEN), "{gravity:?}");
    }
    for gravity in [Gravity::Centre, Gravity::North, Gravity::South] {
        let out = fill(gravity);
        assert!(is_near(out.get_pixel(10, 50), RED), "{gravity:?}");
        assert!(is_near(out.get_pixel(90, 50), GREEN), "{gravity:?}");
    }
    // Vertically: a tall image keeps its top or bottom.
    let tall = RgbImage::from_fn(100, 400, |_, y| if y < 200 { BLUE } else { WHITE });
    let top = rendered(
        &tall,
        &[Operation::Resize(Resize {
            width: Some(50),
            height: Some(50),
            fit: Fit::Fill,
            gravity: Gravity::North,
            enlarge: false,
            offset: (0, 0),
        })],
    );
    assert!(top
        .enumerate_pixels()
        .filter(|(_, y, _)| *y < 47)
        .all(|(.., p)| is_near(p, BLUE)));
    let bottom = rendered(
        &tall,
        &[Operation::Resize(Resize {
            width: Some(50),
            height: Some(50),
            fit: Fit::Fill,
            gravity: Gravity::South,
            enlarge: false,
            offset: (0, 0),
        })],
    );
    assert!(bottom
        .enumerate_pixels()
        .filter(|(_, y, _)| *y > 3)
        .all(|(.., p)| is_near(p, WHITE)));
}

#[test]
fn a_crop_before_a_resize_matches_on_a_shrunk_decode() {
    // The decode is shrunk for the resize; the crop's full-size coordinates must land on the same place.
    let bytes = testdata::read("photos/iphone_4032x3024.jpg");
    let plan = png_plan(&[
        Operation::Crop {
            x: 2016,
            y: 1000,
            width: 2016,
            height: 1512,
        },
        resize(400, None, Fit::Fit),
    ]);
    let render_with = |rule| {
        let settings = RenderSettings {
            shrink_on_load: rule,
            threads: 0,
        };
        let out = render(&bytes, &plan, &Limits::default(), settings).unwrap();
        image::load_from_memory(&out.bytes).unwrap().to_rgb8()
    };
    let shrunk = render_with(ShrinkOnLoad::Fast);
    let full = render_with(ShrinkOnLoad::Off);
    assert_eq!(shrunk.dimensions(), (400, 300));
    assert_eq!(full.dimensions(), (400, 300));
    let score = psnr(&shrunk, &full);
    assert!(score > 30.0, "{score:.1} dB");
}

#[test]
fn close_to_a_full_decode_resized() {
    let bytes = testdata::read("photos/iphone_4032x3024.jpg");
    let reference = image::load_from_memory(&bytes).unwrap().to_rgb8();
    let reference =
        image::imageops::resize(&reference, 800, 600, image::imageops::FilterType::Lanczos3);
    for rule in [ShrinkOnLoad::Fast, ShrinkOnLoad::Quality] {
        let settings = RenderSettings {
            shrink_on_load: rule,
            threads: 0,
        };
        let plan = png_plan(&[resize(800, None, Fit::Fit)]);
        let out = render(&bytes, &plan, &Limits::default(), settings).unwrap();
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
        let plan = Plan {
            operations: vec![resize(120, None, Fit::Fit)],
            output: Output::new(format),
            overlays: Vec::new(),
        };
        let out = render(&bytes, &plan, &Limits::default(), FAST).unwrap();
        assert_eq!(
            crate::sniff(&out.bytes).map(|f| f.as_str()),
            Some(format.as_str())
        );
    }
    let avif = Plan {
        operations: vec![resize(120, None, Fit::Fit)],
        output: Output::new(OutputFormat::Avif),
        overlays: Vec::new(),
    };
    let out = render(&bytes, &avif, &Limits::default(), FAST).unwrap();
    assert_eq!((out.width, out.height), (120, 90));
    assert_eq!(crate::avif_boxes::image_sizes(&out.bytes), [(120, 90)]);
    let zero = jpeg_plan(&[resize(0, None, Fit::Fit)]);
    assert_eq!(
        render(&bytes, &zero, &Limits::default(), FAST)
            .unwrap_err()
            .code(),
        "invalid_plan"
    );
}

#[test]
fn metadata_is_never_carried() {
    for name in ["DSCN0010.jpg", "DSCN0012.jpg"] {
        let bytes = testdata::read(&format!("photos/{name}"));
        for plan in [
            jpeg_plan(&[]),
            jpeg_plan(&[resize(200, None, Fit::Fit)]),
            jpeg_plan(&[Operation::Rotate { quarter_turns: 1 }]),
        ] {
            let out = render(&bytes, &plan, &Limits::default(), FAST).unwrap();
            assert!(
                !testdata::contains_ifd_pointer(&out.bytes, 0x8825),
                "{name}"
            );
            assert!(!out.bytes.windows(4).any(|w| w == b"Exif"), "{name}");
        }
    }
}

#[test]
fn hostile_input_is_refused_with_its_code() {
    let err = render(
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        &jpeg_plan(&[resize(100, None, Fit::Fit)]),
        &Limits::default(),
        FAST,
    )
    .unwrap_err();
    assert_eq!(err.code(), "unsupported_media_type");
}
