//! [`render`]: one decode, a [`Plan`]'s operations in order, one encode. `darkroom thumbnail`, and later
//! on-the-fly transformations and edits, come through here.
//!
//! The decode is shrunk on load for the plan's first resize (the operations before it only crop, turn
//! and mirror, so they run on the smaller buffer with their coordinates scaled to it). When the plan
//! starts with a resize that crops centrally or not at all, that resize runs on the pixels as stored and
//! only its (much smaller) output is turned upright, exactly as the upload variants are made; otherwise
//! the decoded pixels are turned upright first.

use darkroom_core::imaging::{Plan, Rendered};

use super::adjust::adjust;
use super::colour::ToSrgb;
use super::deadline::Deadline;
use super::decode::probe;
use super::encode::encode_with;
use super::filters::{blur, flatten, sharpen};
use super::operations::{crop, extend, flip, rotate};
use super::pixels::Pixels;
use super::plan_steps::{resolve, Placement, Step, Steps};
use super::render::render_upright;
use super::resize::{resize_at, CENTRE};
use super::rotate_any::rotate_by;
use super::shrink::ShrinkOnLoad;
use super::smart_crop::smart_position;
use super::variants::Target;
use super::watermark::{lay, prepare, Mark};
use super::{ImagingError, Limits};

/// How a render uses the machine. Not part of the plan: every setting gives the same size, and images
/// that differ only by the shrink-on-load rule's resampling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RenderSettings {
    /// How far a JPEG is shrunk while it is decoded (the upload variants' rule by default).
    pub shrink_on_load: ShrinkOnLoad,
    /// Cores one decode may use (a large JPEG with restart markers is split across them); 0 for all of
    /// them. Set 1 when running one render per core already.
    pub threads: usize,
}

/// Decodes `bytes` once (shrunk on load as `settings` allow), turns it upright, runs the plan's
/// operations in order, converts to sRGB and encodes in the plan's output format.
pub fn render(
    bytes: &[u8],
    plan: &Plan,
    limits: &Limits,
    settings: RenderSettings,
) -> Result<Rendered, ImagingError> {
    let deadline = Deadline::start(limits.max_duration);
    let probe = probe(bytes, limits)?;
    let (width, height) = probe.upright_dimensions();
    let steps = checked_steps(plan, width, height, limits)?;
    // Watermarks are decoded before the image, each once, whatever the number of steps that lay them.
    let marks = plan
        .overlays
        .iter()
        .map(|overlay| prepare(overlay, limits))
        .collect::<Result<Vec<_>, _>>()?;
    let threads = match settings.threads {
        0 => super::pipeline::cores(),
        n => n,
    };
    let rule = settings.shrink_on_load;

    let (pixels, _reservation) = match steps.steps.split_first() {
        // The upload variants' path: resize as stored, then turn the output upright.
        Some((
            &Step::Resize {
                width,
                height,
                crop,
            },
            rest,
        )) if crop.is_none_or(|at| at == Placement::At(CENTRE.0, CENTRE.1)) => {
            let target = Target {
                width,
                height,
                crop: crop.is_some(),
            };
            let (mut rendered, reservation) =
                render_upright(probe, &[target], rule, threads, &deadline)?;
            let pixels = rendered
                .pop()
                .ok_or_else(|| ImagingError::encode_failed("render", "nothing rendered"))?;
            (run(pixels, rest, &marks, (1.0, 1.0), None)?, reservation)
        }
        _ => {
            let orientation = probe.orientation;
            let to_srgb = ToSrgb::from_icc(probe.icc.as_deref());
            let decoded = probe.decode(steps.scale, rule, threads, &deadline)?;
            let upright = decoded.pixels.oriented(orientation);
            // What one pixel of the full-size image is in the (maybe shrunk) decode, on each axis.
            let (w, h) = upright.dimensions();
            let factor = (
                f64::from(w) / f64::from(width),
                f64::from(h) / f64::from(height),
            );
            let pixels = run(upright, &steps.steps, &marks, factor, Some(to_srgb))?;
            (pixels, decoded.reservation)
        }
    };
    deadline.check("decode and operations")?;
    let (width, height) = pixels.dimensions();
    let output = plan.output;
    let bytes =
        encode_with(&pixels, output.format, output.quality, output.effort)?.ok_or_else(|| {
            ImagingError::encode_failed(output.format.as_str(), "no encoder in this build")
        })?;
    Ok(Rendered {
        width,
        height,
        format: output.format,
        bytes,
    })
}

/// The size `plan` gives an upright `width` x `height` image, worked out without decoding anything; or
/// why it cannot run on it (`invalid_plan`) or would break `limits` at some step (`dimensions_too_large`).
pub fn check_plan(
    plan: &Plan,
    width: u32,
    height: u32,
    limits: &Limits,
) -> Result<(u32, u32), ImagingError> {
    checked_steps(plan, width, height, limits).map(|steps| steps.output)
}

fn checked_steps(
    plan: &Plan,
    width: u32,
    height: u32,
    limits: &Limits,
) -> Result<Steps, ImagingError> {
    let steps = resolve(plan, width, height)?;
    let (max_w, max_h, max_pixels) = steps.largest;
    if max_w > limits.max_width || max_h > limits.max_height || max_pixels > limits.max_pixels {
        return Err(ImagingError::DimensionsTooLarge {
            width: max_w,
            height: max_h,
            max_width: limits.max_width,
            max_height: limits.max_height,
            max_pixels: limits.max_pixels,
        });
    }
    Ok(steps)
}

/// Runs `steps` on upright `pixels`. Until the first resize, coordinates are the full-size image's and
/// `factor` maps them onto `pixels` (a shrunk decode). `finish`, when given, still has to run once the
/// image is at its output scale: dropping an unused alpha channel and converting to sRGB. Colour
/// adjustments and watermarks work on sRGB values, so `finish` runs before the first of them. `marks` are
/// the plan's decoded overlays.
fn run(
    mut pixels: Pixels,
    steps: &[Step],
    marks: &[Mark],
    mut factor: (f64, f64),
    mut finish: Option<Option<ToSrgb>>,
) -> Result<Pixels, ImagingError> {
    for step in steps {
        if matches!(step, Step::Adjust(_) | Step::Watermark { .. }) {
            if let Some(to_srgb) = finish.take() {
                pixels = finished(pixels, to_srgb.as_ref());
            }
        }
        pixels = match *step {
            Step::Resize {
                width,
                height,
                crop,
            } => {
                let at = crop.map(|placement| match placement {
                    Placement::At(x, y) => (x, y),
                    Placement::Smart => smart_position(&pixels, width, height),
                });
                let resized = resize_at(&pixels, width, height, at)?;
                factor = (1.0, 1.0);
                match finish.take() {
                    Some(to_srgb) => finished(resized, to_srgb.as_ref()),
                    None => resized,
                }
            }
            Step::Crop {
                x,
                y,
                width,
                height,
            } => {
                let (w, h) = pixels.dimensions();
                let (x, width) = scaled_span(x, width, factor.0, w);
                let (y, height) = scaled_span(y, height, factor.1, h);
                crop(&pixels, x, y, width, height)
            }
            Step::SmartCrop { width, height } => {
                let (w, h) = pixels.dimensions();
                let width = ((f64::from(width) * factor.0).round() as u32).clamp(1, w);
                let height = ((f64::from(height) * factor.1).round() as u32).clamp(1, h);
                let (px, py) = smart_position(&pixels, width, height);
                let x = (f64::from(w - width) * px).round() as u32;
                let y = (f64::from(h - height) * py).round() as u32;
                crop(&pixels, x, y, width, height)
            }
            // Sigmas are in pixels of the image at this step, so they shrink with the decode.
            Step::Blur(sigma) => blur(pixels, sigma * factor.0 as f32),
            Step::Sharpen(sigma) => sharpen(pixels, sigma * factor.0 as f32),
            Step::Background(colour) => flatten(pixels, colour),
            Step::Rotate(turns) => {
                if turns % 2 == 1 {
                    factor = (factor.1, factor.0);
                }
                rotate(pixels, turns)
            }
            Step::Flip(direction) => flip(pixels, direction),
            Step::RotateBy {
                degrees,
                background,
            } => rotate_by(&pixels, degrees, background),
            Step::Adjust(adjustment) => adjust(pixels, adjustment),
            Step::Watermark {
                overlay,
                position,
                opacity,
                layout,
            } => {
                let mark = marks.get(overlay).ok_or_else(|| {
                    ImagingError::InvalidPlan(format!("watermark {overlay} has no overlay image"))
                })?;
                lay(pixels, mark, position, opacity, layout)?
            }
            Step::Extend {
                width,
                height,
                x,
                y,
            } => {
                // In full-size pixels until the first resize, like a crop's.
                let scale = |n: u32, f: f64| (f64::from(n) * f).round() as u32;
                let (w, h) = pixels.dimensions();
                let (width, height) = (
                    scale(width, factor.0).max(w),
                    scale(height, factor.1).max(h),
                );
                let (x, y) = (
                    scale(x, factor.0).min(width - w),
                    scale(y, factor.1).min(height - h),
                );
                extend(pixels, width, height, x, y)
            }
        };
    }
    Ok(match finish {
        Some(to_srgb) => finished(pixels, to_srgb.as_ref()),
        None => pixels,
    })
}

/// The last touches every output gets, on the smallest buffer that has them.
fn finished(pixels: Pixels, to_srgb: Option<&ToSrgb>) -> Pixels {
    let mut pixels = pixels.without_unused_alpha();
    if let Some(to_srgb) = to_srgb {
        to_srgb.apply(&mut pixels);
    }
    pixels
}

/// A span of full-size pixels (`start`, `len`) in a buffer `factor` times as large, inside its `side`.
fn scaled_span(start: u32, len: u32, factor: f64, side: u32) -> (u32, u32) {
    if factor == 1.0 {
        return (start, len);
    }
    let start = ((f64::from(start) * factor).round() as u32).min(side.saturating_sub(1));
    let len = ((f64::from(len) * factor).round() as u32).clamp(1, side - start);
    (start, len)
}

#[cfg(test)]
#[path = "render_plan_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "render_steps_tests.rs"]
mod step_tests;
