//! The pure image pipeline: bytes in, bytes out, no I/O.
//!
//! An upload goes through [`sniff`] while it streams, then [`process_upload`] in a worker: [`read_header`]
//! refuses what breaks the [`Limits`] before a pixel is decoded, the image is decoded once and turned
//! upright (EXIF orientation), and every [`UPLOAD_VARIANTS`] entry is rendered and encoded. Nothing the
//! encoders write carries metadata; [`strip_metadata`] makes the public copy of the original.
//!
//! The decode happens once per image: JPEGs are shrunk in the DCT domain while decoding (to no less than
//! twice the largest output, libvips' rule), every output is resized from that one buffer with SIMD
//! Lanczos3 (fast_image_resize), then turned upright and converted to sRGB from any embedded ICC profile.
//! [`thumbnail`] is the same path for one output (`darkroom thumbnail`).
//!
//! This build decodes JPEG, PNG, GIF, WebP and TIFF, and encodes JPEG, WebP and PNG. AVIF and HEIC are
//! recognised (so they can be refused with a clear `unsupported_media_type`) but neither decoded nor,
//! for AVIF, encoded. JPEG goes through libjpeg-turbo with the `native-codecs` feature and through pure-Rust
//! codecs without it (see docs/pipeline.md). Everything here is CPU-bound: callers run it on a blocking
//! thread.

mod budget;
mod colour;
mod containers;
mod deadline;
mod decode;
mod encode;
mod error;
mod exif;
mod header;
mod jpeg_decode;
mod jpeg_encode;
mod jpeg_info;
mod jpeg_markers;
mod jpeg_strips;
mod pipeline;
mod pixels;
mod placeholder;
mod render;
mod resize;
mod shrink;
mod sniff;
#[doc(hidden)]
pub mod stages;
mod strip;
mod strip_gif;
mod strip_jpeg;
mod strip_png;
mod strip_webp;
mod thumbnail;
mod variants;

#[cfg(test)]
mod hostile_tests;
#[cfg(test)]
mod pipeline_tests;
#[cfg(test)]
mod testdata;

pub use encode::encodable;
pub use error::ImagingError;
pub use header::{read_header, Header, Limits};
pub use pipeline::{process_upload, Processed, RenderedVariant};
pub use shrink::ShrinkOnLoad;
pub use sniff::{sniff, SNIFF_LEN};
pub use strip::strip_metadata;
pub use thumbnail::{thumbnail, Fit, Thumbnail, ThumbnailOptions};
pub use variants::{VariantSpec, UPLOAD_VARIANTS};

use crate::domain::ImageFormat;

/// Whether this build decodes `format`: JPEG, PNG, GIF, WebP and TIFF yes; AVIF and HEIC no.
pub fn decodable(format: ImageFormat) -> bool {
    header::codec_for(format).is_some()
}

/// The formats this build decodes, in `ImageFormat::ALL` order.
pub fn decodable_formats() -> Vec<ImageFormat> {
    ImageFormat::ALL
        .iter()
        .copied()
        .filter(|f| decodable(*f))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_formats_of_this_build() {
        assert_eq!(
            decodable_formats(),
            [
                ImageFormat::Jpeg,
                ImageFormat::Png,
                ImageFormat::Gif,
                ImageFormat::Webp,
                ImageFormat::Tiff
            ]
        );
        assert!(!decodable(ImageFormat::Avif));
        assert!(!decodable(ImageFormat::Heic));
    }

    #[test]
    fn default_limits_are_the_documented_ones() {
        let limits = Limits::default();
        assert_eq!(limits.max_bytes, 100_000_000);
        assert_eq!((limits.max_width, limits.max_height), (16_384, 16_384));
        assert_eq!(limits.max_pixels, 50_000_000);
        assert_eq!(limits.max_decode_alloc, 192 * 1024 * 1024);
        assert_eq!(limits.max_frames, 1000);
        assert_eq!(limits.max_duration, std::time::Duration::from_secs(30));
    }
}
