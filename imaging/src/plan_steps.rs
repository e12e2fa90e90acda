//! A plan checked against the image it will run on: every operation resolved to concrete pixel sizes
//! (what a resize box and "never enlarge" come to), before anything is decoded, so a bad plan costs no
//! decode and the decode can be shrunk for the first resize.

use darkroom_core::imaging::{Fit, Flip, ImagingError, Operation, Plan, Resize};

/// Where a crop of a given size sits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Placement {
    /// 0 left/top to 1 right/bottom on each axis.
    At(f64, f64),
    /// Where the pixels have the most detail (`smart_crop.rs`), decided once they are decoded.
    Smart,
}

/// One operation with its sizes worked out, in the pixels of the image as it stands at that step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Step {
    /// To exactly `width` x `height`; with `crop`, the largest region of that aspect ratio at that
    /// placement first.
    Resize {
        width: u32,
        height: u32,
        crop: Option<Placement>,
    },
    Crop {
        x: u32,
        y: u32,
        width: u32,
        height: u32,
    },
    /// A `width` x `height` region where the pixels have the most detail.
    SmartCrop {
        width: u32,
        height: u32,
    },
    /// 1, 2 or 3 clockwise quarter turns.
    Rotate(u8),
    Flip(Flip),
    Blur(f32),
    Sharpen(f32),
    Background([u8; 3]),
}

/// A plan's steps for an upright `width` x `height` image.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Steps {
    pub steps: Vec<Step>,
    /// Output pixels per source pixel at the first resize (1 without one): how far the decode may shrink.
    pub scale: f64,
    /// The largest size any step makes, (width, height, pixels), to check against the limits before
    /// decoding.
    pub largest: (u32, u32, u64),
}

/// Resolves `plan` for an upright `width` x `height` image; refuses a plan that cannot run on it.
pub(crate) fn resolve(plan: &Plan, width: u32, height: u32) -> Result<Steps, ImagingError> {
    let (mut w, mut h) = (width, height);
    let mut steps = Vec::with_capacity(plan.operations.len());
    let mut scale = None;
    let mut largest = (w, h, u64::from(w) * u64::from(h));
    for operation in &plan.operations {
        let step = match *operation {
            Operation::Resize(resize) => {
                let step = resize_to(&resize, w, h)?;
                if let Step::Resize { width, height, .. } = step {
                    let step_scale =
                        (f64::from(width) / f64::from(w)).max(f64::from(height) / f64::from(h));
                    scale.get_or_insert(step_scale);
                    (w, h) = (width, height);
                }
                step
            }
            Operation::Crop {
                x,
                y,
                width,
                height,
            } => {
                let inside = |start: u32, len: u32, side: u32| {
                    len > 0 && u64::from(start) + u64::from(len) <= u64::from(side)
                };
                if !inside(x, width, w) || !inside(y, height, h) {
                    return Err(ImagingError::InvalidPlan(format!(
                        "crop {width}x{height} at ({x}, {y}) is not inside the {w}x{h} image"
                    )));
                }
                (w, h) = (width, height);
                Step::Crop {
                    x,
                    y,
                    width,
                    height,
                }
            }
            Operation::CropTo {
                width,
                height,
                gravity,
            } => {
                let kept = |len: u32, side: u32| if len == 0 { side } else { len.min(side) };
                let (cw, ch) = (kept(width, w), kept(height, h));
                let step = match gravity.position() {
                    None => Step::SmartCrop {
                        width: cw,
                        height: ch,
                    },
                    Some((px, py)) => {
                        let start = |at: f64, kept: u32, side: u32| {
                            let p = gravity.place(at, f64::from(kept), f64::from(side));
                            (f64::from(side - kept) * p).round() as u32
                        };
                        Step::Crop {
                            x: start(px, cw, w),
                            y: start(py, ch, h),
                            width: cw,
                            height: ch,
                        }
                    }
                };
                (w, h) = (cw, ch);
                step
            }
            Operation::Rotate { quarter_turns } => match quarter_turns % 4 {
                0 => continue,
                turns => {
                    if turns % 2 == 1 {
                        (w, h) = (h, w);
                    }
                    Step::Rotate(turns)
                }
            },
            Operation::Flip(flip) => Step::Flip(flip),
            Operation::Blur { sigma } => Step::Blur(positive("blur", sigma)?),
            Operation::Sharpen { sigma } => Step::Sharpen(positive("sharpen", sigma)?),
            Operation::Background(colour) => Step::Background(colour),
            _ => {
                return Err(ImagingError::InvalidPlan(format!(
                    "{operation:?} is not supported by this pipeline"
                )))
            }
        };
        let pixels = u64::from(w) * u64::from(h);
        largest = (largest.0.max(w), largest.1.max(h), largest.2.max(pixels));
        steps.push(step);
    }
    Ok(Steps {
        steps,
        scale: scale.unwrap_or(1.0),
        largest,
    })
}

fn positive(what: &str, sigma: f32) -> Result<f32, ImagingError> {
    if sigma.is_finite() && sigma > 0.0 {
        Ok(sigma)
    } else {
        Err(ImagingError::InvalidPlan(format!(
            "a {what} sigma must be positive, not {sigma}"
        )))
    }
}

/// The size a resize gives a `width` x `height` image, and where it crops: a [`Step::Resize`].
fn resize_to(resize: &Resize, width: u32, height: u32) -> Result<Step, ImagingError> {
    if resize.width == Some(0) || resize.height == Some(0) {
        return Err(ImagingError::InvalidPlan(
            "a resize box must have positive sides".into(),
        ));
    }
    if resize.width.is_none() && resize.height.is_none() {
        return Err(ImagingError::InvalidPlan(
            "a resize needs a width or a height".into(),
        ));
    }
    let (w, h) = (f64::from(width), f64::from(height));
    let scaled = |side: f64, scale: f64| ((side * scale).round() as u32).max(1);
    let cap = |scale: f64| {
        if resize.enlarge {
            scale
        } else {
            scale.min(1.0)
        }
    };
    let fit = match (resize.fit, resize.width, resize.height) {
        // With one side only, covering the box is fitting it.
        (Fit::Cover | Fit::Auto, None, _) | (Fit::Cover | Fit::Auto, _, None) => Fit::Fit,
        (Fit::Auto, Some(bw), Some(bh)) if (width >= height) == (bw >= bh) => Fit::Cover,
        (Fit::Auto, ..) => Fit::Fit,
        (fit, ..) => fit,
    };
    let placement = |box_w: f64, box_h: f64| {
        let gravity = resize.gravity;
        gravity.position().map_or(Placement::Smart, |(px, py)| {
            // The region of the box's shape that the resize keeps, in source pixels.
            let region = (w / box_w).min(h / box_h);
            Placement::At(
                gravity.place(px, box_w * region, w),
                gravity.place(py, box_h * region, h),
            )
        })
    };
    let (width, height, crop) = match fit {
        Fit::Fit => {
            let box_w = resize.width.map_or(f64::INFINITY, f64::from);
            let box_h = resize.height.map_or(f64::INFINITY, f64::from);
            let scale = cap((box_w / w).min(box_h / h));
            (scaled(w, scale), scaled(h, scale), None)
        }
        Fit::Cover => {
            let box_w = f64::from(resize.width.unwrap_or(1));
            let box_h = f64::from(resize.height.unwrap_or(1));
            let scale = cap((box_w / w).max(box_h / h));
            let out_w = scaled(w, scale).min(box_w as u32);
            let out_h = scaled(h, scale).min(box_h as u32);
            let crop = placement(f64::from(out_w), f64::from(out_h));
            (out_w, out_h, Some(crop))
        }
        Fit::Fill | Fit::Force | Fit::Auto => {
            let box_w = f64::from(resize.width.or(resize.height).unwrap_or(1));
            let box_h = f64::from(resize.height.or(resize.width).unwrap_or(1));
            // Shrink the box (keeping its shape) until the image covers it, unless enlarging.
            let shrink = if resize.enlarge {
                1.0
            } else {
                (w / box_w).min(h / box_h).min(1.0)
            };
            let crop = (fit != Fit::Force).then(|| placement(box_w, box_h));
            (scaled(box_w, shrink), scaled(box_h, shrink), crop)
        }
    };
    Ok(Step::Resize {
        width,
        height,
        crop,
    })
}

#[cfg(test)]
mod tests {
    use darkroom_core::domain::OutputFormat;
    use darkroom_core::imaging::{Gravity, Output};

    use super::*;

    fn plan(operations: &[Operation]) -> Plan {
        Plan {
            operations: operations.to_vec(),
            output: Output::new(OutputFormat::Png),
        }
    }

    fn resize(width: Option<u32>, height: Option<u32>, fit: Fit) -> Operation {
        Operation::Resize(Resize {
            width,
            height,
            fit,
            gravity: Gravity::Centre,
            enlarge: false,
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
}
