//! The whole upload job: header check, one decode, orientation, variants, placeholders, public original.

use super::encode::encode;
use super::pixels::{decode_upright, Pixels};
use super::placeholder::placeholders;
use super::strip::{reencode_tiff, strip_metadata};
use super::variants::{render, UPLOAD_VARIANTS};
use super::{ImagingError, Limits};
use crate::domain::{ImageFormat, OutputFormat, VariantName};

/// One variant with its encodings, one per requested format this build can encode.
#[derive(Debug, Clone)]
pub struct RenderedVariant {
    pub name: VariantName,
    pub width: u32,
    pub height: u32,
    pub encodings: Vec<(OutputFormat, Vec<u8>)>,
}

/// Everything processing makes from one upload.
#[derive(Debug, Clone)]
pub struct Processed {
    pub format: ImageFormat,
    /// Upright, after EXIF orientation.
    pub width: u32,
    pub height: u32,
    /// One per `UPLOAD_VARIANTS` entry, in that order.
    pub variants: Vec<RenderedVariant>,
    /// 4x3 components.
    pub blurhash: String,
    /// `#rrggbb`, lowercase.
    pub dominant_color: String,
    /// The original with metadata removed (see [`strip_metadata`]).
    pub public_original: Vec<u8>,
}

/// The whole upload job: header check, one decode, orientation, every variant in every `outputs` format.
///
/// Formats this build cannot encode (AVIF: see [`super::encodable`]) are skipped, so a variant's
/// `encodings` may hold fewer entries than `outputs`. Animated GIF and WebP give still variants of their
/// first frame; the public original keeps the animation.
pub fn process_upload(
    bytes: &[u8],
    limits: &Limits,
    outputs: &[OutputFormat],
) -> Result<Processed, ImagingError> {
    let decoded = decode_upright(bytes, limits)?;
    let format = decoded.header.format;
    // Before the pixels are converted to 8-bit: a TIFF is re-encoded from the decoded image at full depth.
    let public_original = match format {
        ImageFormat::Tiff => reencode_tiff(&decoded.image)?,
        other => strip_metadata(bytes, other)?,
    };
    let upright = Pixels::from_image(decoded.image);
    let (width, height) = upright.dimensions();

    let rendered = render(&upright, &UPLOAD_VARIANTS)?;
    drop(upright);
    // The placeholders start from the smallest whole-image variant: it already is a clean downscale.
    let smallest_whole = rendered
        .iter()
        .zip(&UPLOAD_VARIANTS)
        .filter(|(_, spec)| !spec.square)
        .min_by_key(|(_, spec)| spec.edge)
        .map(|(pixels, _)| pixels)
        .ok_or_else(|| ImagingError::encode_failed("variant", "no whole-image variant"))?;
    let placeholders = placeholders(smallest_whole)?;

    let mut variants = Vec::with_capacity(UPLOAD_VARIANTS.len());
    for (spec, pixels) in UPLOAD_VARIANTS.iter().zip(&rendered) {
        let (variant_width, variant_height) = pixels.dimensions();
        let mut encodings = Vec::with_capacity(outputs.len());
        for &output in outputs {
            if encodings.iter().any(|(done, _)| *done == output) {
                continue;
            }
            if let Some(encoded) = encode(pixels, output)? {
                encodings.push((output, encoded));
            }
        }
        variants.push(RenderedVariant {
            name: spec.name,
            width: variant_width,
            height: variant_height,
            encodings,
        });
    }

    Ok(Processed {
        format,
        width,
        height,
        variants,
        blurhash: placeholders.blurhash,
        dominant_color: placeholders.dominant_color,
        public_original,
    })
}
