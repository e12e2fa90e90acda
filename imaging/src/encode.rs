//! Encoding variants. Encoders are given bare pixels, so nothing of the source's metadata can leak.

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder};

use super::encode_avif::{encode_avif, AVIF_QUALITY};
use super::jpeg_encode::encode_jpeg;
use super::pixels::Pixels;
use super::ImagingError;
use crate::domain::OutputFormat;

/// JPEG quality for variants: indistinguishable from the source at web sizes, about a tenth of the bytes.
pub(crate) const JPEG_QUALITY: u8 = 82;
/// libwebp's quality scale is not JPEG's; 80 gives about the same look at roughly 25-35% fewer bytes.
pub(crate) const WEBP_QUALITY: f32 = 80.0;
/// libwebp's `method` (0 fastest to 6 smallest) for the upload variants: libwebp's and sharp's default.
/// Variants are made once and served many times, so bytes win. Thumbnails made on demand may ask for less:
/// at 2 libwebp skips its rate-distortion search and encodes an 800 px photo 2.3x faster for ~3% more
/// bytes and ~0.2 dB less PSNR (measured with the 12 Mpx test photo, docs/pipeline.md).
pub(crate) const WEBP_VARIANT_EFFORT: u8 = 4;

/// Whether this build can encode variants in `format`. Every build encodes every output format; this stays
/// so that callers ask rather than assume should a format ever depend on a feature again.
pub fn encodable(format: OutputFormat) -> bool {
    match format {
        OutputFormat::Jpeg | OutputFormat::Webp | OutputFormat::Avif | OutputFormat::Png => true,
    }
}

/// Encodes `pixels` in `format` at the upload variants' quality, or `None` when this build cannot encode
/// it (see [`encodable`]).
pub(crate) fn encode(
    pixels: &Pixels,
    format: OutputFormat,
) -> Result<Option<Vec<u8>>, ImagingError> {
    encode_at(pixels, format, None)
}

/// Encodes at `quality` (1-100, the format's own scale; ignored for PNG), or the variants' default.
pub(crate) fn encode_at(
    pixels: &Pixels,
    format: OutputFormat,
    quality: Option<u8>,
) -> Result<Option<Vec<u8>>, ImagingError> {
    encode_with(pixels, format, quality, None)
}

/// As [`encode_at`], with WebP's encoder `effort` (libwebp's method, 0-6; `None`: [`WEBP_VARIANT_EFFORT`]).
pub(crate) fn encode_with(
    pixels: &Pixels,
    format: OutputFormat,
    quality: Option<u8>,
    effort: Option<u8>,
) -> Result<Option<Vec<u8>>, ImagingError> {
    match format {
        // JPEG has no alpha: transparency is flattened onto white.
        OutputFormat::Jpeg => {
            encode_jpeg(&pixels.to_opaque(), quality.unwrap_or(JPEG_QUALITY)).map(Some)
        }
        OutputFormat::Webp => {
            let quality = quality.map_or(WEBP_QUALITY, |q| f32::from(q.clamp(1, 100)));
            let effort = effort.unwrap_or(WEBP_VARIANT_EFFORT).min(6);
            encode_webp(pixels, quality, effort).map(Some)
        }
        OutputFormat::Png => encode_png(pixels).map(Some),
        OutputFormat::Avif => encode_avif(pixels, quality.unwrap_or(AVIF_QUALITY)).map(Some),
    }
}

/// Lossy WebP through libwebp at `effort` (its `method`); alpha is kept (compressed losslessly beside the
/// lossy colour).
fn encode_webp(pixels: &Pixels, quality: f32, effort: u8) -> Result<Vec<u8>, ImagingError> {
    let (width, height) = pixels.dimensions();
    let (bytes, layout) = match pixels {
        Pixels::Opaque(image) => (image.as_raw(), webp::PixelLayout::Rgb),
        Pixels::Translucent(image) => (image.as_raw(), webp::PixelLayout::Rgba),
    };
    let mut config = webp::WebPConfig::new()
        .map_err(|()| ImagingError::encode_failed("webp", "libwebp version mismatch"))?;
    config.quality = quality;
    config.method = i32::from(effort);
    let encoded = webp::Encoder::new(bytes, layout, width, height)
        .encode_advanced(&config)
        .map_err(|e| ImagingError::encode_failed("webp", format!("{e:?}")))?;
    Ok(encoded.to_vec())
}

fn encode_png(pixels: &Pixels) -> Result<Vec<u8>, ImagingError> {
    let (width, height) = pixels.dimensions();
    let (bytes, colour) = match pixels {
        Pixels::Opaque(image) => (image.as_raw(), ExtendedColorType::Rgb8),
        Pixels::Translucent(image) => (image.as_raw(), ExtendedColorType::Rgba8),
    };
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive)
        .write_image(bytes, width, height, colour)
        .map_err(|e| ImagingError::encode_failed("png", e))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{avif_boxes, testdata};
    use image::GenericImageView;

    fn decode(bytes: &[u8]) -> image::DynamicImage {
        image::load_from_memory(bytes).unwrap()
    }

    #[test]
    fn jpeg_has_no_app1_and_decodes_back() {
        let pixels = Pixels::Opaque(testdata::gradient(120, 80));
        let jpeg = encode(&pixels, OutputFormat::Jpeg).unwrap().unwrap();
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
        let markers: Vec<u8> = testdata::jpeg_header_segments(&jpeg)
            .into_iter()
            .map(|(m, _)| m)
            .collect();
        assert!(!markers.contains(&0xE1), "markers {markers:x?}");
        assert!(!markers.contains(&0xE2), "no icc either");
        assert_eq!(decode(&jpeg).dimensions(), (120, 80));
    }

    #[test]
    fn jpeg_flattens_transparency_onto_white() {
        let pixels = Pixels::Translucent(testdata::solid_rgba(16, 16, [0, 0, 0, 0]));
        let jpeg = encode(&pixels, OutputFormat::Jpeg).unwrap().unwrap();
        let decoded = decode(&jpeg).to_rgb8();
        let pixel = decoded.get_pixel(8, 8).0;
        assert!(pixel.iter().all(|&c| c > 250), "{pixel:?}");
    }

    #[test]
    fn webp_is_a_riff_webp_and_keeps_alpha() {
        let opaque = encode(
            &Pixels::Opaque(testdata::gradient(64, 48)),
            OutputFormat::Webp,
        )
        .unwrap()
        .unwrap();
        assert_eq!(&opaque[..4], b"RIFF");
        assert_eq!(&opaque[8..12], b"WEBP");
        assert_eq!(decode(&opaque).dimensions(), (64, 48));

        let translucent = Pixels::Translucent(testdata::solid_rgba(32, 32, [200, 0, 0, 0]));
        let webp = encode(&translucent, OutputFormat::Webp).unwrap().unwrap();
        let decoded = decode(&webp);
        assert!(decoded.color().has_alpha());
        assert_eq!(decoded.to_rgba8().get_pixel(3, 3).0[3], 0);
    }

    #[test]
    fn webp_effort_trades_bytes_for_speed() {
        let photo = decode(&testdata::read("photos/landscape_1.jpg")).to_rgb8();
        let pixels = Pixels::Opaque(photo);
        let at = |effort| {
            encode_with(&pixels, OutputFormat::Webp, None, Some(effort))
                .unwrap()
                .unwrap()
        };
        let (fast, variants) = (at(2), at(WEBP_VARIANT_EFFORT));
        assert_ne!(fast, variants, "the effort reaches libwebp");
        assert!(
            variants.len() < fast.len(),
            "{} vs {}",
            variants.len(),
            fast.len()
        );
        assert!(fast.len() * 100 < variants.len() * 110, "within 10%");
        assert_eq!(decode(&fast).dimensions(), decode(&variants).dimensions());
    }

    #[test]
    fn png_is_lossless() {
        let source = testdata::gradient(40, 30);
        let png = encode(&Pixels::Opaque(source.clone()), OutputFormat::Png)
            .unwrap()
            .unwrap();
        assert_eq!(decode(&png).to_rgb8(), source);
    }

    #[test]
    fn every_output_format_is_encodable() {
        assert!(OutputFormat::ALL.iter().all(|f| encodable(*f)));
    }

    #[test]
    fn avif_is_an_8_bit_av1_still_without_metadata_or_alpha_when_opaque() {
        let avif = encode(
            &Pixels::Opaque(testdata::gradient(64, 48)),
            OutputFormat::Avif,
        )
        .unwrap()
        .unwrap();
        assert_eq!(&avif_boxes::major_brand(&avif), b"avif");
        assert_eq!(avif_boxes::image_sizes(&avif), [(64, 48)]);
        assert_eq!(avif_boxes::item_types(&avif), [*b"av01"], "no Exif, no XMP");
        assert!(!avif_boxes::has_alpha_auxiliary(&avif));

        // An independent parser reads the same, down to the AV1 sequence header.
        let parsed = avif_parse::read_avif(&mut avif.as_slice()).unwrap();
        assert!(parsed.alpha_item.is_none());
        let av1 = parsed.primary_item_metadata().unwrap();
        assert_eq!(
            (av1.max_frame_width.get(), av1.max_frame_height.get()),
            (64, 48)
        );
        assert_eq!(av1.bit_depth, 8);
        assert!(av1.still_picture);
    }

    #[test]
    fn avif_keeps_alpha_as_an_auxiliary_image() {
        let mut image = testdata::solid_rgba(40, 30, [10, 120, 200, 255]);
        for (x, _, pixel) in image.enumerate_pixels_mut() {
            pixel.0[3] = (x * 6) as u8;
        }
        let avif = encode(&Pixels::Translucent(image), OutputFormat::Avif)
            .unwrap()
            .unwrap();
        assert_eq!(&avif_boxes::major_brand(&avif), b"avif");
        assert!(avif_boxes::has_alpha_auxiliary(&avif));
        assert_eq!(avif_boxes::item_types(&avif), [*b"av01", *b"av01"]);
        assert!(avif_boxes::image_sizes(&avif)
            .iter()
            .all(|size| *size == (40, 30)));
        let parsed = avif_parse::read_avif(&mut avif.as_slice()).unwrap();
        assert!(parsed.alpha_item.is_some());
        assert!(!parsed.premultiplied_alpha);
        let alpha = parsed.alpha_item_metadata().unwrap().unwrap();
        assert!(alpha.monochrome && alpha.bit_depth == 8);
    }

    #[test]
    fn avif_quality_is_on_its_own_scale() {
        let pixels = Pixels::Opaque(testdata::gradient(96, 96));
        let low = encode_at(&pixels, OutputFormat::Avif, Some(20))
            .unwrap()
            .unwrap();
        let high = encode_at(&pixels, OutputFormat::Avif, Some(95))
            .unwrap()
            .unwrap();
        assert!(low.len() < high.len(), "{} vs {}", low.len(), high.len());
        // Out of range is clamped, not a panic inside the encoder.
        assert!(encode_at(&pixels, OutputFormat::Avif, Some(0)).is_ok());
    }
}
