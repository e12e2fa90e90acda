//! The public original: the upload as it was, minus every metadata block that can hold location or identity.

use std::io::Cursor;

use image::{ColorType, DynamicImage};

use super::decode::decode_upright;
use super::strip_gif::strip_gif;
use super::strip_heif::public_jpeg;
use super::strip_jpeg::strip_jpeg;
use super::strip_png::strip_png;
use super::strip_webp::strip_webp;
use super::{public_original_format, sniff, ImagingError, Limits};
use crate::domain::ImageFormat;

/// The original as uploaded, minus every metadata block that can hold location or identity.
///
/// JPEG, PNG, WebP and GIF are rewritten at the container level, so the compressed pixels are the very
/// bytes that were uploaded; only an orientation other than upright survives, as a minimal EXIF block.
/// TIFF is decoded and re-encoded (uncompressed, upright), because its metadata lives in the same IFDs as
/// the image structure and a GPS IFD can hang off any of them. HEIC and AVIF (`native-codecs` build) are
/// decoded and re-encoded as a high-quality JPEG (see [`public_original_format`]); the default build
/// refuses them as unsupported.
pub fn strip_metadata(bytes: &[u8], format: ImageFormat) -> Result<Vec<u8>, ImagingError> {
    if sniff(bytes) != Some(format) {
        return Err(ImagingError::corrupt(format!(
            "data is not a {format} image"
        )));
    }
    match format {
        ImageFormat::Jpeg => strip_jpeg(bytes),
        ImageFormat::Png => strip_png(bytes),
        ImageFormat::Webp => strip_webp(bytes),
        ImageFormat::Gif => strip_gif(bytes),
        ImageFormat::Tiff => reencode_tiff(&decode_upright(bytes, &Limits::default())?),
        ImageFormat::Avif | ImageFormat::Heic => {
            let probe = super::decode::probe(bytes, &Limits::default())?;
            let icc = probe.icc.clone();
            let deadline = super::deadline::Deadline::start(Limits::default().max_duration);
            let (image, _reservation) = probe.decode_full_depth(&deadline)?;
            rebuild_original(&image, format, icc.as_deref())
        }
    }
}

/// Whether a `format` public original is rebuilt from decoded pixels (by [`rebuild_original`]) rather
/// than rewritten at the container level.
pub(crate) fn rebuilt_from_pixels(format: ImageFormat) -> bool {
    matches!(
        format,
        ImageFormat::Tiff | ImageFormat::Heic | ImageFormat::Avif
    )
}

/// The public original of a `format` upload from its upright pixels (and, for the JPEG, its ICC profile,
/// kept so wide-gamut colours stay right: a profile holds no location or identity).
pub(crate) fn rebuild_original(
    image: &DynamicImage,
    format: ImageFormat,
    icc: Option<&[u8]>,
) -> Result<Vec<u8>, ImagingError> {
    match public_original_format(format) {
        ImageFormat::Jpeg => public_jpeg(image, icc),
        _ => reencode_tiff(image),
    }
}

/// A fresh TIFF holding only the pixels (at their original bit depth where TIFF can store it).
pub(crate) fn reencode_tiff(image: &DynamicImage) -> Result<Vec<u8>, ImagingError> {
    // The TIFF encoder has no grey-with-alpha layouts; widen those to RGBA.
    let widened;
    let image = match image.color() {
        ColorType::La8 => {
            widened = DynamicImage::ImageRgba8(image.to_rgba8());
            &widened
        }
        ColorType::La16 => {
            widened = DynamicImage::ImageRgba16(image.to_rgba16());
            &widened
        }
        _ => image,
    };
    let mut out = Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Tiff)
        .map_err(|e| ImagingError::encode_failed("tiff", e))?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    #[test]
    fn tiffs_are_rebuilt_from_their_pixels() {
        for name in ["Picoawards.tiff", "Tless0.tiff"] {
            let original = testdata::read(&format!("photos/{name}"));
            let stripped = strip_metadata(&original, ImageFormat::Tiff).unwrap();
            assert_eq!(sniff(&stripped), Some(ImageFormat::Tiff), "{name}");
            let before = image::load_from_memory(&original).unwrap();
            let after = image::load_from_memory(&stripped).unwrap();
            assert_eq!(before.to_rgba8(), after.to_rgba8(), "{name}: same pixels");
            assert!(!testdata::contains_ifd_pointer(&stripped, 0x8825));
        }
    }

    #[test]
    fn grey_with_alpha_is_widened_for_tiff() {
        let grey = DynamicImage::ImageLumaA8(image::ImageBuffer::from_pixel(
            4,
            4,
            image::LumaA([100u8, 50]),
        ));
        let tiff = reencode_tiff(&grey).unwrap();
        let back = image::load_from_memory(&tiff).unwrap().to_rgba8();
        assert_eq!(back.get_pixel(0, 0).0, [100, 100, 100, 50]);
    }

    #[test]
    fn every_photo_strips_to_something_that_decodes_alike() {
        for (name, original) in testdata::all_in("photos") {
            let Some(format) = sniff(&original) else {
                continue;
            };
            let result = strip_metadata(&original, format);
            if !crate::decodable(format) {
                assert_eq!(result.unwrap_err().code(), "unsupported_media_type");
                continue;
            }
            let stripped = result.unwrap();
            // HEIC is beyond the `image` crate: its size comes from libheif's header (already upright,
            // as its JPEG rebuild is).
            let before = match image::load_from_memory(&original) {
                Ok(image) => (image.width(), image.height()),
                Err(_) => {
                    let header = crate::read_header(&original, &Limits::default()).unwrap();
                    (header.width, header.height)
                }
            };
            let after = image::load_from_memory(&stripped).unwrap();
            assert_eq!(before, (after.width(), after.height()), "{name}");
        }
    }

    #[test]
    fn a_format_that_does_not_match_the_bytes_is_refused() {
        let jpeg = testdata::read("photos/Canon_40D.jpg");
        let err = strip_metadata(&jpeg, ImageFormat::Tiff).unwrap_err();
        assert_eq!(err.code(), "corrupt_image");
    }
}
