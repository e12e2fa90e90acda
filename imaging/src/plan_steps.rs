//! A plan checked against the image it will run on: every operation resolved to concrete pixel sizes
//! (what a resize box and "never enlarge" come to), before anything is decoded, so a bad plan costs no
//! decode and the decode can be shrunk for the first resize.

use darkroom_core::imaging::{Fit, Flip, ImagingError, Operation, Plan, Resize};

/// One operation with its sizes worked out, in the pixels of the image as it stands at that step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Step {
    /// To exactly `width` x `height`; with `crop`, the largest region of that aspect ratio at that
    /// position (0 left/top to 1 right/bottom) first.
    Resize {
        width: u32,
        height: u32,
        crop: Option<(f64, f64)>,
    },
    Crop {
        x: u32,
        y: u32,
        width: u32,
        height: u32,
    },
    /// 1, 2 or 3 clockwise quarter turns.
    Rotate(u8),
    Flip(Flip),
}

/// A plan's steps for an upright `width` x `height` image.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Steps {
    pub steps: Vec<Step>,
    /// Output pixels per source pixel at the first resize (1 without one): how far the decode may shrink.
    pub scale: f64,
}

/// Resolves `plan` for an upright `width` x `height` image; refuses a plan that cannot run on it.
pub(crate) fn resolve(plan: &Plan, width: u32, height: u32) -> Result<Steps, ImagingError> {
    let (mut w, mut h) = (width, height);
    let mut steps = Vec::with_capacity(plan.operations.len());
    let mut scale = None;
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
            _ => {
                return Err(ImagingError::InvalidPlan(format!(
                    "{operation:?} is not supported by this pipeline"
                )))
            }
        };
        steps.push(step);
    }
    Ok(Steps {
        steps,
        scale: scale.unwrap_or(1.0),
    })
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
    let (width, height, crop) = match resize.fit {
        Fit::Fit => {
            let box_w = resize.width.map_or(f64::INFINITY, f64::from);
            let box_h = resize.height.map_or(f64::INFINITY, f64::from);
            let scale = (box_w / w).min(box_h / h).min(1.0);
            (scaled(w, scale), scaled(h, scale), None)
        }
        Fit::Fill | Fit::Force => {
            let box_w = f64::from(resize.width.or(resize.height).unwrap_or(1));
            let box_h = f64::from(resize.height.or(resize.width).unwrap_or(1));
            // Shrink the box (keeping its shape) until the image covers it: never enlarge.
            let shrink = (w / box_w).min(h / box_h).min(1.0);
            let crop = (resize.fit == Fit::Fill).then(|| resize.gravity.position());
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
