//! Darkroom's image pipeline: bytes in, bytes out, no I/O. It implements core's
//! [`ImagePipeline`](darkroom_core::ports::ImagePipeline) port as [`NativePipeline`]; the composition root
//! wires it like any adapter, so core itself holds no codec.
//!
//! An upload is sniffed while it streams (core), then [`process_upload`] runs in a worker: [`read_header`]
//! refuses what breaks the [`Limits`] before a pixel is decoded, the image is decoded once and turned
//! upright (EXIF orientation), and every `UPLOAD_VARIANTS` entry is rendered and encoded. Nothing the
//! encoders write carries metadata; [`strip_metadata`] makes the public copy of the original.
//!
//! The decode happens once per image: JPEGs are shrunk in the DCT domain while decoding (to no less than
//! twice the largest output, libvips' rule), every output is resized from that one buffer with SIMD
//! Lanczos3 (fast_image_resize), then turned upright and converted to sRGB from any embedded ICC profile.
//! [`render`] is the general entry point: one decode, a [`Plan`]'s operations in order (resize with
//! fit/fill/force and gravity, crop, rotate, flip), one encode; `darkroom thumbnail` is a plan.
//!
//! This build decodes JPEG, PNG, GIF, WebP and TIFF, and encodes JPEG, WebP, AVIF (rav1e, for the
//! variants a job makes after the image is ready: [`render_upload_variants`]) and PNG. AVIF and HEIC are
//! recognised everywhere, decoded through the system libheif in the `native-codecs` build, and refused
//! with a clear `unsupported_media_type` in the default one (see [`decodable`]). JPEG goes through
//! libjpeg-turbo with the `native-codecs` feature and through pure-Rust codecs without it (see
//! docs/pipeline.md). Everything here is CPU-bound: callers run it on a blocking thread.

mod adjust;
mod budget;
mod capture;
mod colour;
mod containers;
mod deadline;
mod decode;
mod decode_error;
mod encode;
mod encode_avif;
mod exif;
mod filters;
mod frames;
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
mod native;
mod operations;
mod pipeline;
mod pixels;
mod placeholder;
mod plan_steps;
mod render;
mod render_plan;
mod resize;
mod rotate_any;
mod shrink;
mod smart_crop;
#[doc(hidden)]
pub mod stages;
mod strip;
mod strip_gif;
mod strip_heif;
mod strip_jpeg;
mod strip_png;
mod strip_webp;
mod text;
mod variants;
mod watermark;

#[cfg(test)]
mod avif_boxes;
#[cfg(test)]
mod facts_tests;
#[cfg(test)]
mod hostile_tests;
#[cfg(test)]
mod pipeline_tests;
#[cfg(test)]
mod testdata;

pub use encode::encodable;
pub use header::read_header;
pub use native::NativePipeline;
pub use pipeline::{process_upload, render_upload_variants};
pub use render_plan::{check_plan, render, RenderSettings};
pub use shrink::ShrinkOnLoad;
pub use strip::strip_metadata;
pub use watermark::decode_mark;

// Core's policy types, under the names the modules here use (`super::Limits`, `crate::domain::…`).
use darkroom_core::domain;
#[cfg(test)]
use darkroom_core::imaging::SNIFF_LEN;
use darkroom_core::imaging::{
    public_original_format, sniff, ImagingError, Limits, Processed, RenderedVariant,
    UPLOAD_VARIANTS,
};
use domain::ImageFormat;

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
    use crate::testdata;

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
    fn real_files_sniff_as_what_they_are() {
        let cases = [
            ("photos/landscape_1.jpg", ImageFormat::Jpeg),
            ("photos/Picoawards.tiff", ImageFormat::Tiff),
            ("photos/Tless0.tiff", ImageFormat::Tiff),
            ("photos/IMG_5195.HEIC", ImageFormat::Heic),
            ("broken/corrupted.jpg", ImageFormat::Jpeg),
        ];
        for (path, format) in cases {
            let bytes = testdata::read(path);
            assert_eq!(sniff(&bytes[..SNIFF_LEN]), Some(format), "{path}");
        }
    }
}
