//! `render` with the steps transformations (and later edits) add: covering crops placed by gravity and
//! smart crop, crops by gravity, rotation with a resize, blur, sharpen, background, enlarging, and the
//! limits on what a plan may make.

use darkroom_core::domain::OutputFormat;
use darkroom_core::imaging::{Fit, Gravity, Operation, Output, Resize};
use image::{DynamicImage, Rgb, RgbImage};

use super::*;
use crate::testdata;

const FAST: RenderSettings = RenderSettings {
    shrink_on_load: ShrinkOnLoad::Fast,
    threads: 1,
};

/// 300x100: red, green and blue thirds from left to right.
fn thirds() -> RgbImage {
    RgbImage::from_fn(300, 100, |x, _| match x / 100 {
        0 => Rgb([255, 0, 0]),
        1 => Rgb([0, 255, 0]),
        _ => Rgb([0, 0, 255]),
    })
}

fn render_png(source: &DynamicImage, operations: &[Operation]) -> RgbImage {
    let bytes = testdata::png(source);
    let plan = Plan {
        operations: operations.to_vec(),
        output: Output::new(OutputFormat::Png),
        overlays: Vec::new(),
    };
    let out = render(&bytes, &plan, &Limits::default(), FAST).unwrap();
    image::load_from_memory(&out.bytes).unwrap().to_rgb8()
}

fn cover(width: u32, height: u32, gravity: Gravity) -> Operation {
    Operation::Resize(Resize {
        width: Some(width),
        height: Some(height),
        fit: Fit::Cover,
        gravity,
        enlarge: false,
        offset: (0, 0),
    })
}

fn centre(image: &RgbImage) -> Rgb<u8> {
    *image.get_pixel(image.width() / 2, image.height() / 2)
}

#[test]
fn a_cover_crop_keeps_the_side_its_gravity_names() {
    let source = DynamicImage::ImageRgb8(thirds());
    let west = render_png(&source, &[cover(50, 50, Gravity::West)]);
    assert_eq!(west.dimensions(), (50, 50));
    assert_eq!(centre(&west), Rgb([255, 0, 0]));
    let east = render_png(&source, &[cover(50, 50, Gravity::East)]);
    assert_eq!(centre(&east), Rgb([0, 0, 255]));
    let middle = render_png(&source, &[cover(50, 50, Gravity::Centre)]);
    assert_eq!(centre(&middle), Rgb([0, 255, 0]));
    let focus = render_png(&source, &[cover(50, 50, Gravity::Focus { x: 0.9, y: 0.5 })]);
    assert_eq!(centre(&focus), Rgb([0, 0, 255]));
}

#[test]
fn smart_crop_finds_the_detail() {
    // Flat grey, with a fine checkerboard in the right third.
    let source = RgbImage::from_fn(600, 200, |x, y| {
        let inside = (420..580).contains(&x);
        if inside && (x / 3 + y / 3) % 2 == 0 {
            Rgb([255, 255, 255])
        } else if inside {
            Rgb([0, 0, 0])
        } else {
            Rgb([128, 128, 128])
        }
    });
    let source = DynamicImage::ImageRgb8(source);
    let smart = render_png(&source, &[cover(100, 100, Gravity::Smart)]);
    assert_eq!(smart.dimensions(), (100, 100));
    let spread = |image: &RgbImage| {
        let values: Vec<u8> = image.pixels().map(|p| p.0[0]).collect();
        values.iter().max().unwrap() - values.iter().min().unwrap()
    };
    assert!(spread(&smart) > 100, "smart crop missed the detail");
    let centred = render_png(&source, &[cover(100, 100, Gravity::Centre)]);
    assert!(spread(&centred) < 10, "the control has detail");
    // The same by a crop without a resize.
    let cropped = render_png(
        &source,
        &[Operation::CropTo {
            width: 100,
            height: 100,
            gravity: Gravity::Smart,
            offset: (0, 0),
        }],
    );
    assert_eq!(cropped.dimensions(), (100, 100));
    assert!(spread(&cropped) > 100);
}

#[test]
fn crop_to_by_gravity_then_rotate_and_resize() {
    let source = DynamicImage::ImageRgb8(thirds());
    let east = render_png(
        &source,
        &[Operation::CropTo {
            width: 100,
            height: 0,
            gravity: Gravity::East,
            offset: (0, 0),
        }],
    );
    assert_eq!(east.dimensions(), (100, 100));
    assert_eq!(centre(&east), Rgb([0, 0, 255]));
    let turned = render_png(
        &source,
        &[
            Operation::Rotate { quarter_turns: 1 },
            Operation::Resize(Resize::to(30, 90, Fit::Fit)),
        ],
    );
    assert_eq!(turned.dimensions(), (30, 90));
    // A clockwise quarter turn puts the left (red) third on top.
    assert_eq!(*turned.get_pixel(15, 5), Rgb([255, 0, 0]));
}

#[test]
fn blur_and_sharpen_change_pixels_and_keep_the_size() {
    let source = DynamicImage::ImageRgb8(thirds());
    let plain = render_png(&source, &[]);
    let blurred = render_png(&source, &[Operation::Blur { sigma: 4.0 }]);
    assert_eq!(blurred.dimensions(), plain.dimensions());
    assert_ne!(blurred, plain);
    // Across the red-green boundary the colours mix.
    let edge = blurred.get_pixel(100, 50).0;
    assert!(edge[0] > 40 && edge[1] > 40, "{edge:?}");
    // Sharpening a grey step overshoots on both sides of it (a step between black and white would clip).
    let step = RgbImage::from_fn(60, 20, |x, _| Rgb(if x < 30 { [100; 3] } else { [160; 3] }));
    let sharpened = render_png(
        &DynamicImage::ImageRgb8(step),
        &[Operation::Sharpen { sigma: 1.0 }],
    );
    assert!(sharpened.get_pixel(29, 10).0[0] < 100, "no undershoot");
    assert!(sharpened.get_pixel(30, 10).0[0] > 160, "no overshoot");
}

#[test]
fn background_flattens_transparency() {
    let source = DynamicImage::ImageRgba8(testdata::solid_rgba(20, 20, [0, 0, 0, 0]));
    let flat = render_png(&source, &[Operation::Background([10, 200, 30])]);
    assert_eq!(*flat.get_pixel(5, 5), Rgb([10, 200, 30]));
}

#[test]
fn enlarging_is_held_to_the_limits() {
    let bytes = testdata::png(&DynamicImage::ImageRgb8(thirds()));
    let plan = |width: u32| Plan {
        operations: vec![Operation::Resize(Resize {
            width: Some(width),
            height: None,
            fit: Fit::Fit,
            gravity: Gravity::Centre,
            enlarge: true,
            offset: (0, 0),
        })],
        output: Output::new(OutputFormat::Png),
        overlays: Vec::new(),
    };
    let out = render(&bytes, &plan(600), &Limits::default(), FAST).unwrap();
    assert_eq!((out.width, out.height), (600, 200));
    let err = render(&bytes, &plan(16_000), &Limits::default(), FAST).unwrap_err();
    assert_eq!(err.code(), "image_dimensions_too_large");
}

#[test]
fn offsets_move_crops_inward_from_their_gravity() {
    let source = DynamicImage::ImageRgb8(thirds());
    // East, 150 px inward: the 100 px column starts at x 50, half red and half green.
    let moved = render_png(
        &source,
        &[Operation::CropTo {
            width: 100,
            height: 0,
            gravity: Gravity::East,
            offset: (150, 0),
        }],
    );
    assert_eq!(*moved.get_pixel(10, 50), Rgb([255, 0, 0]));
    assert_eq!(*moved.get_pixel(90, 50), Rgb([0, 255, 0]));
    // West, 1000 px: held inside, at the right edge.
    let held = render_png(
        &source,
        &[Operation::CropTo {
            width: 100,
            height: 0,
            gravity: Gravity::West,
            offset: (1000, 0),
        }],
    );
    assert_eq!(centre(&held), Rgb([0, 0, 255]));
    // A covering resize's offsets are output pixels: 100x100 of a 150x50 shrink, 25 px right of centre.
    let mut fill = cover(50, 50, Gravity::Centre);
    if let Operation::Resize(resize) = &mut fill {
        resize.offset = (25, 0);
    }
    let filled = render_png(&source, &[fill]);
    assert_eq!(filled.dimensions(), (50, 50));
    assert_eq!(*filled.get_pixel(45, 25), Rgb([0, 0, 255]));
    assert_eq!(*filled.get_pixel(5, 25), Rgb([0, 255, 0]));
}

#[test]
fn extend_pads_with_transparency_placed_by_gravity() {
    let source = DynamicImage::ImageRgb8(thirds());
    let plan = Plan {
        operations: vec![
            Operation::Resize(Resize::to(150, 150, Fit::Fit)),
            Operation::Extend {
                width: 150,
                height: 150,
                gravity: Gravity::South,
                offset: (0, 10),
                to_aspect_ratio: false,
            },
        ],
        output: Output::new(OutputFormat::Png),
        overlays: Vec::new(),
    };
    let out = render(&testdata::png(&source), &plan, &Limits::default(), FAST).unwrap();
    let image = image::load_from_memory(&out.bytes).unwrap().to_rgba8();
    assert_eq!(image.dimensions(), (150, 150));
    // 150x50 of picture, 10 px up from the bottom: rows 90..140.
    assert_eq!(image.get_pixel(10, 100).0, [255, 0, 0, 255]);
    assert_eq!(image.get_pixel(140, 139).0, [0, 0, 255, 255]);
    assert_eq!(image.get_pixel(75, 50).0[3], 0);
    assert_eq!(image.get_pixel(75, 145).0[3], 0);
    // Flattened onto a background afterwards.
    let mut flattened = plan.clone();
    flattened.operations.push(Operation::Background([0, 0, 0]));
    let out = render(
        &testdata::png(&source),
        &flattened,
        &Limits::default(),
        FAST,
    )
    .unwrap();
    let image = image::load_from_memory(&out.bytes).unwrap().to_rgb8();
    assert_eq!(*image.get_pixel(75, 20), Rgb([0, 0, 0]));
}

#[test]
fn extend_to_an_aspect_ratio_pads_only_the_short_side() {
    let source = DynamicImage::ImageRgb8(thirds());
    let plan = Plan {
        operations: vec![Operation::Extend {
            width: 2,
            height: 1,
            gravity: Gravity::North,
            offset: (0, 0),
            to_aspect_ratio: true,
        }],
        output: Output::new(OutputFormat::Png),
        overlays: Vec::new(),
    };
    let out = render(&testdata::png(&source), &plan, &Limits::default(), FAST).unwrap();
    let image = image::load_from_memory(&out.bytes).unwrap().to_rgba8();
    // 300x100 to 2:1 is 300x150, the picture at the top.
    assert_eq!(image.dimensions(), (300, 150));
    assert_eq!(image.get_pixel(10, 99).0, [255, 0, 0, 255]);
    assert_eq!(image.get_pixel(10, 100).0[3], 0);
}
