//! A plan checked against the image it will run on: every operation resolved to concrete pixel sizes
//! (what a resize box and "never enlarge" come to), before anything is decoded, so a bad plan costs no
//! decode and the decode can be shrunk for the first resize.

use darkroom_core::imaging::{
    Fit, Flip, Gravity, ImagingError, MarkLayout, MarkSize, Operation, Plan, Resize,
};

use super::adjust::Adjustment;
use super::rotate_any::rotated_size;

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
    /// Clockwise by an angle that is not a multiple of 90 (0-360), into the turned image's bounding box.
    RotateBy {
        degrees: f32,
        background: [u8; 3],
    },
    /// A colour adjustment, pixel by pixel.
    Adjust(Adjustment),
    /// The plan's `overlay`-th image laid at `position` (0 left/top to 1 right/bottom) with `opacity`.
    Watermark {
        overlay: usize,
        position: (f64, f64),
        opacity: f32,
        layout: MarkLayout,
    },
    /// Onto a transparent `width` x `height` canvas, the image's top-left corner at (`x`, `y`).
    Extend {
        width: u32,
        height: u32,
        x: u32,
        y: u32,
    },
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
    /// The size of the output.
    pub output: (u32, u32),
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
                        "crop {width}x{height} at ({x}, {y}) is outside the {w}x{h} image"
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
                offset,
            } => {
                let kept = |len: u32, side: u32| if len == 0 { side } else { len.min(side) };
                let (cw, ch) = (kept(width, w), kept(height, h));
                let step = match gravity.position() {
                    None => Step::SmartCrop {
                        width: cw,
                        height: ch,
                    },
                    Some((px, py)) => {
                        let start = |at: f64, kept: u32, side: u32, offset: i32| {
                            let p = gravity.place_offset(
                                at,
                                f64::from(kept),
                                f64::from(side),
                                f64::from(offset),
                            );
                            (f64::from(side - kept) * p).round() as u32
                        };
                        Step::Crop {
                            x: start(px, cw, w, offset.0),
                            y: start(py, ch, h, offset.1),
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
            Operation::RotateBy {
                degrees,
                background,
            } => {
                if !degrees.is_finite() {
                    return Err(ImagingError::InvalidPlan(format!(
                        "a rotation must be a finite angle, not {degrees}"
                    )));
                }
                let degrees = degrees.rem_euclid(360.0);
                if degrees % 90.0 == 0.0 {
                    // A right angle: exact quarter turns, no resampling and no background.
                    match (degrees / 90.0) as u8 {
                        0 => continue,
                        turns => {
                            if turns % 2 == 1 {
                                (w, h) = (h, w);
                            }
                            Step::Rotate(turns)
                        }
                    }
                } else {
                    (w, h) = rotated_size(w, h, degrees);
                    Step::RotateBy {
                        degrees,
                        background,
                    }
                }
            }
            Operation::Grayscale => Step::Adjust(Adjustment::Grayscale),
            Operation::Sepia => Step::Adjust(Adjustment::Sepia),
            Operation::Enhance => Step::Adjust(Adjustment::Enhance),
            Operation::Brightness { amount } => {
                Step::Adjust(Adjustment::Brightness(non_negative("brightness", amount)?))
            }
            Operation::Contrast { amount } => {
                Step::Adjust(Adjustment::Contrast(non_negative("contrast", amount)?))
            }
            Operation::Gamma { amount } => {
                Step::Adjust(Adjustment::Gamma(positive("gamma", amount)?))
            }
            Operation::Watermark {
                overlay,
                position,
                opacity,
                layout,
            } => {
                if overlay >= plan.overlays.len() {
                    return Err(ImagingError::InvalidPlan(format!(
                        "watermark {overlay} has no overlay image"
                    )));
                }
                if !(0.0..=1.0).contains(&opacity) {
                    return Err(ImagingError::InvalidPlan(format!(
                        "a watermark's opacity must be 0 to 1, not {opacity}"
                    )));
                }
                if layout.replicate && (layout.offset.0 < 0 || layout.offset.1 < 0) {
                    return Err(ImagingError::InvalidPlan(
                        "the space between replicated watermarks cannot be negative".into(),
                    ));
                }
                if let MarkSize::WidthShare(share) = layout.size {
                    if !(share.is_finite() && share > 0.0 && share <= 1.0) {
                        return Err(ImagingError::InvalidPlan(format!(
                            "a watermark's share of the width must be over 0 and at most 1, not {share}"
                        )));
                    }
                }
                Step::Watermark {
                    overlay,
                    // Smart placement has nothing to go on for a mark: it is centred.
                    position: position.position().unwrap_or((0.5, 0.5)),
                    opacity,
                    layout,
                }
            }
            Operation::Extend {
                width,
                height,
                gravity,
                offset,
                to_aspect_ratio,
            } => {
                let (cw, ch) = if to_aspect_ratio {
                    if width == 0 || height == 0 {
                        return Err(ImagingError::InvalidPlan(
                            "extending to an aspect ratio needs both sides".into(),
                        ));
                    }
                    aspect_canvas((w, h), (width, height))
                } else {
                    (width.max(w), height.max(h))
                };
                if (cw, ch) == (w, h) {
                    continue;
                }
                let (px, py) = gravity.position().unwrap_or((0.5, 0.5));
                let gravity = if gravity == Gravity::Smart {
                    Gravity::Centre
                } else {
                    gravity
                };
                let start = |at: f64, kept: u32, side: u32, offset: i32| {
                    let p = gravity.place_offset(
                        at,
                        f64::from(kept),
                        f64::from(side),
                        f64::from(offset),
                    );
                    (f64::from(side - kept) * p).round() as u32
                };
                let step = Step::Extend {
                    width: cw,
                    height: ch,
                    x: start(px, w, cw, offset.0),
                    y: start(py, h, ch, offset.1),
                };
                (w, h) = (cw, ch);
                step
            }
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
        output: (w, h),
    })
}

/// The smallest canvas of `ratio`'s shape that holds an image of `size`.
fn aspect_canvas(size: (u32, u32), ratio: (u32, u32)) -> (u32, u32) {
    let (w, h) = (u64::from(size.0), u64::from(size.1));
    let (rw, rh) = (u64::from(ratio.0), u64::from(ratio.1));
    let clamp = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    if w * rh >= h * rw {
        // Wider than the ratio: as wide, taller.
        (size.0, clamp((w * rh).div_ceil(rw)).max(size.1))
    } else {
        (clamp((h * rw).div_ceil(rh)).max(size.0), size.1)
    }
}

fn positive(what: &str, value: f32) -> Result<f32, ImagingError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(ImagingError::InvalidPlan(format!(
            "a {what} must be positive, not {value}"
        )))
    }
}

fn non_negative(what: &str, amount: f32) -> Result<f32, ImagingError> {
    if amount.is_finite() && amount >= 0.0 {
        Ok(amount)
    } else {
        Err(ImagingError::InvalidPlan(format!(
            "a {what} amount must be zero or more, not {amount}"
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
            // The region of the box's shape that the resize keeps, in source pixels; the offsets are
            // output pixels, `region` source pixels each.
            let region = (w / box_w).min(h / box_h);
            let (ox, oy) = resize.offset;
            Placement::At(
                gravity.place_offset(px, box_w * region, w, f64::from(ox) * region),
                gravity.place_offset(py, box_h * region, h, f64::from(oy) * region),
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
#[path = "plan_steps_tests.rs"]
mod tests;
