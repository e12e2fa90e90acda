//! The header check: what an upload claims to be, refused before a single pixel is decoded.

use std::io::Cursor;

use image::{ImageDecoder, ImageReader};

use darkroom_core::imaging::{check_dimensions, sniff, Header, ImagingError, Limits};

use super::jpeg_markers::frame_dimensions;
use crate::domain::ImageFormat;

/// Reads only the header; refuses what breaks `limits` before any pixel is decoded.
pub fn read_header(bytes: &[u8], limits: &Limits) -> Result<Header, ImagingError> {
    #[cfg(feature = "native-codecs")]
    if let Some(format) = super::heif::format_of(bytes) {
        return super::heif::open(bytes, format, limits).map(|(header, ..)| header);
    }
    open(bytes, limits).map(|(header, _)| header)
}

/// A decoder positioned after a header that passed every limit, ready to decode the pixels.
pub(crate) type CheckedDecoder<'a> = Box<dyn ImageDecoder + 'a>;

/// Sniffs, builds the decoder, checks the header against `limits` and arms the decoder's own limits.
pub(crate) fn open<'a>(
    bytes: &'a [u8],
    limits: &Limits,
) -> Result<(Header, CheckedDecoder<'a>), ImagingError> {
    let actual = bytes.len() as u64;
    if actual > limits.max_bytes {
        return Err(ImagingError::TooManyBytes {
            actual,
            max: limits.max_bytes,
        });
    }
    let format = sniff(bytes).ok_or(ImagingError::UnrecognisedFormat)?;
    let codec = codec_for(format).ok_or(ImagingError::UnsupportedFormat(format))?;
    if let Some((width, height)) = declared_dimensions(bytes, format) {
        check_dimensions(
            &Header {
                format,
                width,
                height,
            },
            limits,
        )?;
    }

    super::containers::check_containers(bytes, format, limits)?;

    // Only the allocation cap at first: with width/height caps the PNG decoder would refuse a pixel flood
    // itself, as a generic limit error, and we want to say precisely why.
    let mut reader = ImageReader::with_format(Cursor::new(bytes), codec);
    reader.limits(decoder_limits(limits, false));
    let mut decoder: CheckedDecoder<'a> = Box::new(
        reader
            .into_decoder()
            .map_err(crate::decode_error::from_decode)?,
    );

    let (width, height) = decoder.dimensions();
    let header = Header {
        format,
        width,
        height,
    };
    check_dimensions(&header, limits)?;
    if decoder.total_bytes() > limits.max_decode_alloc {
        return Err(ImagingError::DecodeLimitExceeded(format!(
            "{width}x{height} needs {} bytes decoded",
            decoder.total_bytes()
        )));
    }
    // Now the strict caps too, so a decoder that discovers larger frames later still stops.
    decoder
        .set_limits(decoder_limits(limits, true))
        .map_err(crate::decode_error::from_decode)?;
    Ok((header, decoder))
}

/// The dimensions a header declares, read straight from the bytes for the formats whose decoders read well
/// past the header before they can tell (the PNG decoder reads up to the first IDAT, the JPEG decoder up to
/// the first scan), so a bare pixel-flood header is refused for what it is and not as truncated.
fn declared_dimensions(bytes: &[u8], format: ImageFormat) -> Option<(u32, u32)> {
    match format {
        ImageFormat::Png => {
            // IHDR is always the first chunk: length (4), type (4), then width and height.
            let ihdr = bytes.get(12..24).filter(|ihdr| ihdr.starts_with(b"IHDR"))?;
            let width = u32::from_be_bytes([ihdr[4], ihdr[5], ihdr[6], ihdr[7]]);
            let height = u32::from_be_bytes([ihdr[8], ihdr[9], ihdr[10], ihdr[11]]);
            Some((width, height))
        }
        ImageFormat::Jpeg => frame_dimensions(bytes),
        _ => None,
    }
}

/// The `image` crate's limits: always the allocation cap, and with `strict` the side caps too.
fn decoder_limits(limits: &Limits, strict: bool) -> image::Limits {
    let mut out = image::Limits::default();
    out.max_alloc = Some(limits.max_decode_alloc);
    if strict {
        out.max_image_width = Some(limits.max_width);
        out.max_image_height = Some(limits.max_height);
    }
    out
}

/// Whether this build decodes `format`: through the `image` crate, or (HEIC, AVIF) through libheif when
/// built with `native-codecs` and the system libheif has the codec's plugin.
pub(crate) fn decodes(format: ImageFormat) -> bool {
    #[cfg(feature = "native-codecs")]
    if super::heif::decodes(format) {
        return true;
    }
    codec_for(format).is_some()
}

/// The `image` codec for a format this build decodes.
pub(crate) fn codec_for(format: ImageFormat) -> Option<image::ImageFormat> {
    match format {
        ImageFormat::Jpeg => Some(image::ImageFormat::Jpeg),
        ImageFormat::Png => Some(image::ImageFormat::Png),
        ImageFormat::Gif => Some(image::ImageFormat::Gif),
        ImageFormat::Webp => Some(image::ImageFormat::WebP),
        ImageFormat::Tiff => Some(image::ImageFormat::Tiff),
        ImageFormat::Avif | ImageFormat::Heic => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    /// A PNG that is nothing but a signature and an IHDR declaring `width` x `height`, with a valid CRC.
    fn png_header_only(width: u32, height: u32) -> Vec<u8> {
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&width.to_be_bytes());
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        out.extend_from_slice(&(ihdr.len() as u32).to_be_bytes());
        out.extend_from_slice(b"IHDR");
        out.extend_from_slice(&ihdr);
        out.extend_from_slice(&testdata::crc32(&[b"IHDR", &ihdr]).to_be_bytes());
        out
    }

    /// A baseline JPEG with real tables taken from a small photo, but a frame header declaring
    /// `width` x `height` and no scan data worth the name.
    fn jpeg_declaring(width: u16, height: u16) -> Vec<u8> {
        let source = testdata::read("photos/Canon_40D.jpg");
        let mut out = vec![0xFF, 0xD8];
        for (marker, payload) in testdata::jpeg_header_segments(&source) {
            let mut payload = payload.clone();
            if marker == 0xC0 {
                payload[1..3].copy_from_slice(&height.to_be_bytes());
                payload[3..5].copy_from_slice(&width.to_be_bytes());
            }
            if (0xE0..=0xEF).contains(&marker) {
                continue;
            }
            out.extend_from_slice(&[0xFF, marker]);
            out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
            out.extend_from_slice(&payload);
        }
        out.extend_from_slice(&[0x00, 0xFF, 0xD9]);
        out
    }

    #[test]
    fn reads_real_headers_without_decoding() {
        let header = read_header(
            &testdata::read("photos/iphone_4032x3024.jpg"),
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(
            header,
            Header {
                format: ImageFormat::Jpeg,
                width: 4032,
                height: 3024
            }
        );
        let tiff = read_header(
            &testdata::read("photos/Picoawards.tiff"),
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(tiff.format, ImageFormat::Tiff);
        assert!(tiff.width > 0 && tiff.height > 0);
    }

    #[test]
    fn png_pixel_flood_is_refused_from_the_header() {
        let flood = png_header_only(100_000, 100_000);
        let err = read_header(&flood, &Limits::default()).unwrap_err();
        assert_eq!(err.code(), "image_dimensions_too_large", "{err}");
        // Within the side limits but beyond the pixel budget.
        let err = read_header(&png_header_only(16_000, 16_000), &Limits::default()).unwrap_err();
        assert_eq!(err.code(), "image_dimensions_too_large", "{err}");
        // A sane size passes the header check and only then fails for lack of image data.
        let err = read_header(&png_header_only(640, 480), &Limits::default()).unwrap_err();
        assert_eq!(err.code(), "corrupt_image", "{err}");
    }

    #[test]
    fn jpeg_pixel_flood_is_refused_from_the_header() {
        let err = read_header(&jpeg_declaring(65_000, 65_000), &Limits::default()).unwrap_err();
        assert_eq!(err.code(), "image_dimensions_too_large", "{err}");
        let err = crate::process_upload(&jpeg_declaring(65_000, 65_000), &Limits::default(), &[])
            .unwrap_err();
        assert_eq!(err.code(), "image_dimensions_too_large", "{err}");
    }

    #[test]
    fn zero_dimensions_are_corrupt() {
        let err = read_header(&png_header_only(0, 10), &Limits::default()).unwrap_err();
        assert_eq!(err.code(), "corrupt_image", "{err}");
    }

    #[test]
    fn byte_limit_is_checked_first() {
        let bytes = testdata::read("photos/Canon_40D.jpg");
        let limits = Limits {
            max_bytes: 1000,
            ..Limits::default()
        };
        let err = read_header(&bytes, &limits).unwrap_err();
        assert_eq!(err.code(), "image_too_large");
    }

    #[test]
    fn each_side_limit_applies() {
        let bytes = testdata::png(&image::DynamicImage::ImageRgb8(testdata::gradient(
            300, 200,
        )));
        for limits in [
            Limits {
                max_width: 299,
                ..Limits::default()
            },
            Limits {
                max_height: 199,
                ..Limits::default()
            },
            Limits {
                max_pixels: 59_999,
                ..Limits::default()
            },
        ] {
            let err = read_header(&bytes, &limits).unwrap_err();
            assert_eq!(err.code(), "image_dimensions_too_large", "{limits:?}");
        }
    }

    #[test]
    fn decode_allocation_cap_applies_from_the_header() {
        let bytes = testdata::png(&image::DynamicImage::ImageRgb8(testdata::gradient(
            1000, 1000,
        )));
        let limits = Limits {
            max_decode_alloc: 1_000_000,
            ..Limits::default()
        };
        let err = read_header(&bytes, &limits).unwrap_err();
        assert_eq!(err.code(), "decode_limit_exceeded", "{err}");
    }

    #[test]
    fn unknown_and_undecodable_formats_are_unsupported() {
        let err = read_header(b"hello world, not an image", &Limits::default()).unwrap_err();
        assert_eq!(err.code(), "unsupported_media_type");
        if cfg!(feature = "native-codecs") {
            return; // HEIC decodes there: see heif_tests.rs
        }
        let heic = testdata::read("photos/IMG_5195.HEIC");
        let err = read_header(&heic, &Limits::default()).unwrap_err();
        assert!(matches!(
            err,
            ImagingError::UnsupportedFormat(ImageFormat::Heic)
        ));
        assert_eq!(err.code(), "unsupported_media_type");
        let avif = testdata::fixture("landscape_320x240.avif");
        let err = read_header(&avif, &Limits::default()).unwrap_err();
        assert!(matches!(
            err,
            ImagingError::UnsupportedFormat(ImageFormat::Avif)
        ));
    }
}
