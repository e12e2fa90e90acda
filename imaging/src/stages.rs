//! The pipeline's stages one by one, for the criterion benches (`imaging/benches/imaging.rs`) and for
//! measuring where the time goes. Not an API: the pipeline is [`super::process_upload`] and
//! [`super::render`].

use super::decode::probe;
use super::encode::encode_at;
use super::pixels::Pixels;
use super::resize::resize;
use super::shrink::{jpeg_denominator, ShrinkOnLoad};
use super::{ImagingError, Limits};
use crate::domain::OutputFormat;

/// Decoded pixels, opaque to callers.
#[derive(Debug, Clone)]
pub struct StagePixels(Pixels);

impl StagePixels {
    pub fn dimensions(&self) -> (u32, u32) {
        self.0.dimensions()
    }
}

/// Header check and decode, shrunk on load for an output `scale` times the image's size, on `threads`
/// cores (0: all).
pub fn decode(
    bytes: &[u8],
    scale: f64,
    rule: ShrinkOnLoad,
    threads: usize,
) -> Result<StagePixels, ImagingError> {
    let probe = probe(bytes, &Limits::default())?;
    let threads = if threads == 0 {
        super::pipeline::cores()
    } else {
        threads
    };
    let deadline = super::deadline::Deadline::start(Limits::default().max_duration);
    Ok(StagePixels(
        probe.decode(scale, rule, threads, &deadline)?.pixels,
    ))
}

/// The DCT denominator the pipeline would pick.
pub fn denominator(width: u32, height: u32, scale: f64, rule: ShrinkOnLoad) -> u32 {
    jpeg_denominator(width, height, scale, rule)
}

/// Lanczos3 resize to exactly `width` x `height`.
pub fn resize_to(
    pixels: &StagePixels,
    width: u32,
    height: u32,
) -> Result<StagePixels, ImagingError> {
    resize(&pixels.0, width, height, false).map(StagePixels)
}

/// Encodes at `quality` (`None`: the variants' default).
pub fn encode(
    pixels: &StagePixels,
    format: OutputFormat,
    quality: Option<u8>,
) -> Result<Option<Vec<u8>>, ImagingError> {
    encode_at(&pixels.0, format, quality)
}
