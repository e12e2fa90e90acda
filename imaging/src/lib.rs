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
//! This build decodes JPEG, PNG, GIF, WebP and TIFF, and encodes JPEG, WebP, AVIF (rav1e, for the
//! variants a job makes after the image is ready: [`render_upload_variants`]) and PNG. AVIF and HEIC are
//! recognised everywhere, decoded through the system libheif in the `native-codecs` build, and refused
//! with a clear `unsupported_media_type` in the default one (see [`decodable`]). JPEG goes through
//! libjpeg-turbo with the `native-codecs` feature and through pure-Rust codecs without it (see
//! docs/pipeline.md). Everything here is CPU-bound: callers run it on a blocking
//! thread.

mod budget;
mod colour;
mod containers;
mod deadline;
mod decode;
mod encode;
mod encode_avif;
mod error;
mod exif;
mod header;
#[cfg(feature = "native-codecs")]
mod heif;
#[cfg(feature = "native-codecs")]
mod heif_ffi;
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
mod strip_heif;
mod strip_jpeg;
mod strip_png;
mod strip_webp;
mod thumbnail;
mod variants;

#[cfg(test)]
mod avif_boxes;
#[cfg(test)]
mod hostile_tests;
#[cfg(test)]
mod pipeline_tests;
#[cfg(test)]
mod testdata;

pub use encode::encodable;
pub use error::ImagingError;
pub use header::{read_header, Header, Limits};
pub use pipeline::{process_upload, render_upload_variants, Processed, RenderedVariant};
pub use shrink::ShrinkOnLoad;
pub use sniff::{sniff, SNIFF_LEN};
pub use strip::{public_original_format, strip_metadata};
pub use thumbnail::{thumbnail, Fit, Thumbnail, ThumbnailOptions};
pub use variants::{VariantSpec, UPLOAD_VARIANTS};

use crate::domain::ImageFormat;

/// Whether this build decodes `format`: JPEG, PNG, GIF, WebP and TIFF always; HEIC and AVIF only with
/// `native-codecs` (and a libheif that has their decoders).
pub fn decodable(format: ImageFormat) -> bool {
    header::decodes(format)
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
        let mut expected = vec![
            ImageFormat::Jpeg,
            ImageFormat::Png,
            ImageFormat::Gif,
            ImageFormat::Webp,
            ImageFormat::Tiff,
        ];
        // The native build must really have libheif's HEVC and AV1 decoders, not just link libheif
        // (in `ImageFormat::ALL` order, AVIF before HEIC).
        if cfg!(feature = "native-codecs") {
            expected.extend([ImageFormat::Avif, ImageFormat::Heic]);
        }
        assert_eq!(decodable_formats(), expected);
        let heif = cfg!(feature = "native-codecs");
        assert_eq!(decodable(ImageFormat::Avif), heif);
        assert_eq!(decodable(ImageFormat::Heic), heif);
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
