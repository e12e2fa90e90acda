//! The image pipeline port: pure CPU work over bytes (decode, render, encode), implemented by the
//! `darkroom-imaging` crate and wired by the composition root like any adapter, so that core holds no codec.

use std::fmt::Debug;

use crate::domain::{ImageFormat, OutputFormat};
use crate::imaging::{Header, ImagingError, Limits, Plan, Processed, Rendered, RenderedVariant};

/// Decodes, renders and encodes images.
///
/// # Contract
///
/// - Every method is synchronous CPU work that may take seconds: callers run it on a blocking thread
///   (`tokio::task::spawn_blocking`), never on the async runtime.
/// - Nothing here does I/O, and nothing it returns carries the source's metadata (EXIF, XMP, GPS, ICC
///   beyond what sRGB output needs); only a non-upright orientation may survive in a stripped original.
///   The one exception is `Processed::facts.capture`: camera make, model and time taken, read from the
///   EXIF block for the database (never location).
/// - The [`Limits`] are checked from the header before any pixel is decoded (bytes, width, height,
///   pixels, frames, decode memory), and `max_duration` between stages; a refusal is an [`ImagingError`]
///   whose `code()` names the reason. Hostile input yields an error, never a panic or an abort.
/// - `decodable` is fixed for the life of the pipeline: an upload in a format it refuses is turned away
///   at ingest, so `read_header`, `process_upload`, `render` and `strip_metadata` of such a format fail
///   with `unsupported_media_type`.
/// - Results are deterministic: the same bytes and arguments give the same sizes (and, for a given
///   build, the same bytes), so a job that runs twice writes the same variants.
pub trait ImagePipeline: Send + Sync + Debug {
    /// The formats this pipeline decodes, in `ImageFormat::ALL` order.
    fn decodable_formats(&self) -> Vec<ImageFormat>;

    /// Whether `format` is among [`Self::decodable_formats`].
    fn decodable(&self, format: ImageFormat) -> bool {
        self.decodable_formats().contains(&format)
    }

    /// Reads only the header; refuses what breaks `limits` before any pixel is decoded. The size is as
    /// stored, before EXIF orientation.
    fn read_header(&self, bytes: &[u8], limits: &Limits) -> Result<Header, ImagingError>;

    /// The whole upload job: header check, one decode, orientation, every `UPLOAD_VARIANTS` entry in
    /// every `outputs` format it can encode (so a variant may hold fewer encodings than `outputs`),
    /// blurhash and dominant colour, the facts the automatic tags are made of (frames, transparency,
    /// palette, capture: `ImageFacts`), and the public original (see [`Self::strip_metadata`]).
    fn process_upload(
        &self,
        original: &[u8],
        limits: &Limits,
        outputs: &[OutputFormat],
    ) -> Result<Processed, ImagingError>;

    /// Only the upload variants in `outputs`, the same sizes as [`Self::process_upload`] gives, for the
    /// formats made after an image is ready (AVIF).
    fn render_upload_variants(
        &self,
        original: &[u8],
        limits: &Limits,
        outputs: &[OutputFormat],
    ) -> Result<Vec<RenderedVariant>, ImagingError>;

    /// One decode of `source` (shrunk on load as far as the plan's output allows), EXIF orientation,
    /// the plan's operations in order, then one encode in its output format.
    fn render(&self, source: &[u8], plan: &Plan, limits: &Limits)
        -> Result<Rendered, ImagingError>;

    /// The output size of `plan` on an upright `width` x `height` image, worked out without decoding: or
    /// why it cannot run on it (`invalid_plan`), or would break `limits` at some step
    /// (`dimensions_too_large`). What [`Self::render`] checks first, for callers that validate up front.
    fn check_plan(
        &self,
        plan: &Plan,
        width: u32,
        height: u32,
        limits: &Limits,
    ) -> Result<(u32, u32), ImagingError>;

    /// The original minus every metadata block that can hold location or identity, in
    /// `public_original_format(format)`.
    fn strip_metadata(&self, bytes: &[u8], format: ImageFormat) -> Result<Vec<u8>, ImagingError>;
}
