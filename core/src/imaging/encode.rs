//! Encoding variants. Encoders are given bare pixels, so nothing of the source's metadata can leak.

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder};

use super::jpeg_encode::encode_jpeg;
use super::pixels::Pixels;
use super::ImagingError;
use crate::domain::OutputFormat;

/// JPEG quality for variants: indistinguishable from the source at web sizes, about a tenth of the bytes.
pub(crate) const JPEG_QUALITY: u8 = 82;
/// libwebp's quality scale is not JPEG's; 80 gives about the same look at roughly 25-35% fewer bytes.
pub(crate) const WEBP_QUALITY: f32 = 80.0;

/// Whether this build can encode variants in `format`. AVIF needs an encoder this build does not have.
pub fn encodable(format: OutputFormat) -> bool {
    !matches!(format, OutputFormat::Avif)
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
    match format {
        // JPEG has no alpha: transparency is flattened onto white.
        OutputFormat::Jpeg => {
            encode_jpeg(&pixels.to_opaque(), quality.unwrap_or(JPEG_QUALITY)).map(Some)
        }
        OutputFormat::Webp => {
            let quality = quality.map_or(WEBP_QUALITY, |q| f32::from(q.clamp(1, 100)));
            encode_webp(pixels, quality).map(Some)
        }
        OutputFormat::Png => encode_png(pixels).map(Some),
        OutputFormat::Avif => Ok(None),
    }
}

/// Lossy WebP through libwebp; alpha is kept (compressed losslessly beside the lossy colour).
fn encode_webp(pixels: &Pixels, quality: f32) -> Result<Vec<u8>, ImagingError> {
    let (width, height) = pixels.dimensions();
    let (bytes, layout) = match pixels {
        Pixels::Opaque(image) => (image.as_raw(), webp::PixelLayout::Rgb),
        Pixels::Translucent(image) => (image.as_raw(), webp::PixelLayout::Rgba),
    };
    let encoded = webp::Encoder::new(bytes, layout, width, height)
        .encode_simple(false, quality)
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
    use crate::imaging::testdata;
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
    fn png_is_lossless() {
        let source = testdata::gradient(40, 30);
        let png = encode(&Pixels::Opaque(source.clone()), OutputFormat::Png)
            .unwrap()
            .unwrap();
        assert_eq!(decode(&png).to_rgb8(), source);
    }

    #[test]
    fn avif_is_skipped_in_this_build() {
        assert!(!encodable(OutputFormat::Avif));
        assert!(encodable(OutputFormat::Jpeg) && encodable(OutputFormat::Webp));
        let pixels = Pixels::Opaque(testdata::gradient(8, 8));
        assert!(encode(&pixels, OutputFormat::Avif).unwrap().is_none());
    }
}
