//! The unit tests of `plan_steps.rs`.

use darkroom_core::domain::OutputFormat;
use darkroom_core::imaging::{Gravity, Output};

use super::*;

fn plan(operations: &[Operation]) -> Plan {
    Plan {
        operations: operations.to_vec(),
        output: Output::new(OutputFormat::Png),
        overlays: Vec::new(),
    }
}

fn resize(width: Option<u32>, height: Option<u32>, fit: Fit) -> Operation {
    Operation::Resize(Resize {
        width,
        height,
        fit,
        gravity: Gravity::Centre,
        enlarge: false,
        offset: (0, 0),
    })
}

fn sizes(operation: Operation, width: u32, height: u32) -> (u32, u32) {
    match resolve(&plan(&[operation]), width, height).unwrap().steps[..] {
        [Step::Resize { width, height, .. }] => (width, height),
        ref other => panic!("{other:?}"),
    }
}

#[test]
fn fit_keeps_the_aspect_ratio_inside_the_box() {
    assert_eq!(
        sizes(resize(Some(800), None, Fit::Fit), 4032, 3024),
        (800, 600)
    );
    assert_eq!(
        sizes(resize(Some(800), Some(300), Fit::Fit), 4032, 3024),
        (400, 300)
    );
    assert_eq!(
        sizes(resize(None, Some(300), Fit::Fit), 4032, 3024),
        (400, 300)
    );
}

#[test]
fn fill_and_force_give_the_box_exactly() {
    assert_eq!(
        sizes(resize(Some(256), None, Fit::Fill), 4032, 3024),
        (256, 256)
    );
    assert_eq!(
        sizes(resize(Some(300), Some(100), Fit::Force), 4032, 3024),
        (300, 100)
    );
    assert_eq!(
        sizes(resize(None, Some(120), Fit::Force), 4032, 3024),
        (120, 120)
    );
}

#[test]
fn never_enlarges() {
    assert_eq!(sizes(resize(Some(800), None, Fit::Fit), 100, 68), (100, 68));
    // A 200x100 box shrinks to 100x50 to stay covered by the image, keeping its shape.
    assert_eq!(
        sizes(resize(Some(200), Some(100), Fit::Fill), 100, 68),
        (100, 50)
    );
}

fn with(mut operation: Operation, gravity: Gravity, enlarge: bool) -> Operation {
    if let Operation::Resize(ref mut resize) = operation {
        resize.gravity = gravity;
        resize.enlarge = enlarge;
    }
    operation
}

#[test]
fn enlarge_scales_small_images_up_to_the_box() {
    let fit = with(resize(Some(800), None, Fit::Fit), Gravity::Centre, true);
    assert_eq!(sizes(fit, 100, 50), (800, 400));
    let fill = with(
        resize(Some(200), Some(100), Fit::Fill),
        Gravity::Centre,
        true,
    );
    assert_eq!(sizes(fill, 100, 68), (200, 100));
}

#[test]
fn cover_keeps_what_it_can_of_each_side_without_enlarging() {
    // imgproxy's fill: a 100x68 image in a 200x100 box stays 100x68 (fill-down would give 100x50).
    let cover = resize(Some(200), Some(100), Fit::Cover);
    assert_eq!(sizes(cover, 100, 68), (100, 68));
    assert_eq!(sizes(cover, 4000, 1000), (200, 100));
    assert_eq!(
        sizes(resize(Some(300), None, Fit::Cover), 600, 400),
        (300, 200)
    );
}

#[test]
fn auto_covers_when_the_orientations_agree_and_fits_otherwise() {
    let landscape_box = resize(Some(300), Some(200), Fit::Auto);
    assert_eq!(sizes(landscape_box, 3000, 1000), (300, 200));
    assert_eq!(sizes(landscape_box, 1000, 3000), (67, 200));
}

#[test]
fn gravity_places_the_cover_crop() {
    let placement = |gravity: Gravity| match resolve(
        &plan(&[with(
            resize(Some(100), Some(100), Fit::Cover),
            gravity,
            false,
        )]),
        400,
        100,
    )
    .unwrap()
    .steps[..]
    {
        [Step::Resize {
            crop: Some(placement),
            ..
        }] => placement,
        ref other => panic!("{other:?}"),
    };
    assert_eq!(placement(Gravity::West), Placement::At(0.0, 0.5));
    assert_eq!(placement(Gravity::SouthEast), Placement::At(1.0, 1.0));
    assert_eq!(placement(Gravity::Smart), Placement::Smart);
    // A focus point at x = 0.25 of 400 centres the 100-wide region on pixel 100: it starts at 50,
    // which is 50 / 300 of the free span.
    let Placement::At(x, _) = placement(Gravity::Focus { x: 0.25, y: 0.5 }) else {
        panic!("placed")
    };
    assert!((x - 50.0 / 300.0).abs() < 1e-9, "{x}");
    // Near an edge it is held inside.
    assert_eq!(
        placement(Gravity::Focus { x: 0.99, y: 0.5 }),
        Placement::At(1.0, 0.5)
    );
}

#[test]
fn crop_to_places_the_region_by_gravity() {
    let crop = |width, height, gravity| {
        resolve(
            &plan(&[Operation::CropTo {
                width,
                height,
                gravity,
                offset: (0, 0),
            }]),
            400,
            300,
        )
        .unwrap()
        .steps[0]
    };
    assert_eq!(
        crop(100, 100, Gravity::SouthEast),
        Step::Crop {
            x: 300,
            y: 200,
            width: 100,
            height: 100
        }
    );
    assert_eq!(
        crop(100, 0, Gravity::Centre),
        Step::Crop {
            x: 150,
            y: 0,
            width: 100,
            height: 300
        }
    );
    // Larger than the image: the whole side.
    assert_eq!(
        crop(1000, 50, Gravity::North),
        Step::Crop {
            x: 0,
            y: 0,
            width: 400,
            height: 50
        }
    );
    assert_eq!(
        crop(50, 60, Gravity::Smart),
        Step::SmartCrop {
            width: 50,
            height: 60
        }
    );
}

#[test]
fn records_the_largest_size_for_the_limits() {
    let enlarged = with(resize(Some(10_000), None, Fit::Fit), Gravity::Centre, true);
    let steps = resolve(
        &plan(&[enlarged, resize(Some(10), None, Fit::Fit)]),
        100,
        50,
    )
    .unwrap();
    assert_eq!(steps.largest, (10_000, 5_000, 50_000_000));
}

#[test]
fn the_upload_variants_plans_match_their_target_sizes() {
    for spec in darkroom_core::imaging::UPLOAD_VARIANTS {
        for (w, h) in [
            (4032, 3024),
            (3024, 4032),
            (300, 200),
            (10_000, 3),
            (2048, 2047),
        ] {
            let plan = spec.plan(Output::new(OutputFormat::Jpeg));
            let steps = resolve(&plan, w, h).unwrap().steps;
            let [Step::Resize { width, height, .. }] = steps[..] else {
                panic!("{steps:?}")
            };
            assert_eq!((width, height), spec.target_size(w, h), "{spec:?} {w}x{h}");
        }
    }
}

#[test]
fn the_first_resize_sets_the_decode_scale_after_a_crop_and_a_rotation() {
    let steps = resolve(
        &plan(&[
            Operation::Crop {
                x: 0,
                y: 0,
                width: 2000,
                height: 1000,
            },
            Operation::Rotate { quarter_turns: 1 },
            resize(Some(250), None, Fit::Fit),
            resize(Some(100), None, Fit::Fit),
        ]),
        4000,
        3000,
    )
    .unwrap();
    // Rotated, the crop is 1000 wide: 250 of it is a quarter.
    assert_eq!(steps.scale, 0.25);
    assert_eq!(
        steps.steps[2],
        Step::Resize {
            width: 250,
            height: 500,
            crop: None
        }
    );
}

#[test]
fn refuses_plans_that_cannot_run() {
    let bad = [
        resize(Some(0), None, Fit::Fit),
        resize(None, None, Fit::Fill),
        Operation::Crop {
            x: 90,
            y: 0,
            width: 20,
            height: 10,
        },
        Operation::Crop {
            x: 0,
            y: 0,
            width: 0,
            height: 10,
        },
        Operation::Blur { sigma: 0.0 },
        Operation::Sharpen { sigma: f32::NAN },
    ];
    for operation in bad {
        let err = resolve(&plan(&[operation]), 100, 100).unwrap_err();
        assert_eq!(err.code(), "invalid_plan", "{operation:?}");
    }
    // Rotating by whole turns is no step at all.
    let whole = resolve(&plan(&[Operation::Rotate { quarter_turns: 4 }]), 10, 10).unwrap();
    assert!(whole.steps.is_empty());
}

#[test]
fn right_angles_turn_exactly_and_other_angles_grow_the_box() {
    let rotate = |degrees| {
        resolve(
            &plan(&[Operation::RotateBy {
                degrees,
                background: [0, 0, 0],
            }]),
            400,
            200,
        )
        .unwrap()
    };
    assert_eq!(rotate(-90.0).steps, [Step::Rotate(3)]);
    assert_eq!(rotate(450.0).steps, [Step::Rotate(1)]);
    assert_eq!(rotate(450.0).largest, (400, 400, 80_000));
    assert!(rotate(360.0).steps.is_empty());
    let tilted = rotate(30.0);
    assert_eq!(
        tilted.steps,
        [Step::RotateBy {
            degrees: 30.0,
            background: [0, 0, 0]
        }]
    );
    // 400 cos 30 + 200 sin 30 = 446.4; 400 sin 30 + 200 cos 30 = 373.2.
    assert_eq!((tilted.largest.0, tilted.largest.1), (447, 374));
}

#[test]
fn adjustments_and_watermarks_are_checked() {
    let mut marked = plan(&[Operation::Watermark {
        overlay: 0,
        position: Gravity::SouthEast,
        opacity: 0.5,
        layout: MarkLayout::default(),
    }]);
    assert_eq!(
        resolve(&marked, 10, 10).unwrap_err().code(),
        "invalid_plan",
        "no overlay to lay"
    );
    marked
        .overlays
        .push(darkroom_core::imaging::Overlay::Text("mark".into()));
    assert_eq!(
        resolve(&marked, 10, 10).unwrap().steps,
        [Step::Watermark {
            overlay: 0,
            position: (1.0, 1.0),
            opacity: 0.5,
            layout: MarkLayout::default(),
        }]
    );
    for bad in [
        Operation::Brightness { amount: -1.0 },
        Operation::Contrast { amount: f32::NAN },
        Operation::Gamma { amount: 0.0 },
        Operation::RotateBy {
            degrees: f32::INFINITY,
            background: [0; 3],
        },
    ] {
        assert_eq!(
            resolve(&plan(&[bad]), 10, 10).unwrap_err().code(),
            "invalid_plan",
            "{bad:?}"
        );
    }
    let steps = resolve(
        &plan(&[Operation::Grayscale, Operation::Brightness { amount: 1.2 }]),
        10,
        10,
    )
    .unwrap();
    assert_eq!(
        steps.steps,
        [
            Step::Adjust(Adjustment::Grayscale),
            Step::Adjust(Adjustment::Brightness(1.2))
        ]
    );
}
