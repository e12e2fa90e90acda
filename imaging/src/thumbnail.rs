//! One resized image from one upload, for `darkroom thumbnail` and anything else that wants a single size:
//! the same header checks, decode, resize, orientation, colour management and encoders as the upload job.

use super::deadline::Deadline;
use super::decode::probe;
use super::encode::encode_with;
use super::render::render_upright;
use super::shrink::ShrinkOnLoad;
use super::variants::Target;
use super::{ImagingError, Limits};
use crate::domain::OutputFormat;

/// How the image is fitted to the requested box. Never enlarges: a box larger than the image is scaled
/// down to the image first, keeping the box's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fit {
    /// Scale to fit inside the box, keeping the aspect ratio (sharp's `inside`).
    #[default]
    Inside,
    /// Fill the box exactly, cropping the centre (sharp's `cover`).
    Cover,
    /// Fill the box exactly, stretching (sharp's `fill`).
    Fill,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ThumbnailOptions {
    pub width: u32,
    /// The box height; without it, the box is as tall as the width for `Cover` and `Fill`, and unbounded
    /// for `Inside`.
    pub height: Option<u32>,
    pub fit: Fit,
    pub format: OutputFormat,
    /// 1-100 on the format's own scale; `None` for the upload variants' default.
    pub quality: Option<u8>,
    /// WebP only: libwebp's `method`, 0 (fastest) to 6 (smallest); `None` for the upload variants' 4.
    pub effort: Option<u8>,
    pub shrink_on_load: ShrinkOnLoad,
    /// Cores one decode may use (a large JPEG with restart markers is split across them); 0 for all of
    /// them. Set 1 when running one thumbnail per core already.
    pub threads: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    pub width: u32,
    pub height: u32,
    pub format: OutputFormat,
    pub bytes: Vec<u8>,
}

/// Decodes `bytes` once (shrunk on load as `options.shrink_on_load` allows), resizes, turns upright,
/// converts to sRGB and encodes.
pub fn thumbnail(
    bytes: &[u8],
    limits: &Limits,
    options: &ThumbnailOptions,
) -> Result<Thumbnail, ImagingError> {
    if options.width == 0 || options.height == Some(0) {
        return Err(ImagingError::encode_failed(
            "thumbnail",
            "width and height must be positive",
        ));
    }
    let deadline = Deadline::start(limits.max_duration);
    let probe = probe(bytes, limits)?;
    let (width, height) = probe.upright_dimensions();
    let target = target_for(width, height, options);
    let threads = match options.threads {
        0 => super::pipeline::cores(),
        n => n,
    };
    let (mut rendered, _reservation) =
        render_upright(probe, &[target], options.shrink_on_load, threads, &deadline)?;
    let pixels = rendered
        .pop()
        .ok_or_else(|| ImagingError::encode_failed("thumbnail", "nothing rendered"))?;
    deadline.check("decode and resize")?;
    let (out_w, out_h) = pixels.dimensions();
    let encoded = encode_with(&pixels, options.format, options.quality, options.effort)?
        .ok_or_else(|| {
            ImagingError::encode_failed(options.format.as_str(), "no encoder in this build")
        })?;
    Ok(Thumbnail {
        width: out_w,
        height: out_h,
        format: options.format,
        bytes: encoded,
    })
}

/// The output size for an upright `width` x `height` image.
fn target_for(width: u32, height: u32, options: &ThumbnailOptions) -> Target {
    let (w, h) = (f64::from(width), f64::from(height));
    let box_w = f64::from(options.width);
    let scaled = |side: f64, scale: f64| ((side * scale).round() as u32).max(1);
    match options.fit {
        Fit::Inside => {
            let box_h = options.height.map_or(f64::INFINITY, f64::from);
            let scale = (box_w / w).min(box_h / h).min(1.0);
            Target {
                width: scaled(w, scale),
                height: scaled(h, scale),
                crop: false,
            }
        }
        Fit::Cover | Fit::Fill => {
            let box_h = options.height.map_or(box_w, f64::from);
            // Shrink the box (keeping its shape) until the image covers it: never enlarge.
            let shrink = (w / box_w).min(h / box_h).min(1.0);
            Target {
                width: scaled(box_w, shrink),
                height: scaled(box_h, shrink),
                crop: options.fit == Fit::Cover,
            }
        }
    }
}

#[cfg(test)]
#[path = "thumbnail_tests.rs"]
mod tests;
