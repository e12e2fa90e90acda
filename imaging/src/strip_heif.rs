//! The public original of a HEIC or AVIF upload: its pixels as a high-quality JPEG, with the ICC profile
//! and nothing else (no EXIF, no XMP, no trace of the container).

use std::borrow::Cow;

use image::DynamicImage;

use super::colour::is_rgb_profile;
use super::jpeg_encode::encode_jpeg;
use super::pixels::flatten_onto_white;
use super::ImagingError;

/// High enough that the copy is hard to tell from the original at full size; the variants use 82.
pub(crate) const PUBLIC_JPEG_QUALITY: u8 = 92;

const APP0: u8 = 0xE0;
const ICC_MARKER: &[u8] = b"ICC_PROFILE\0";
/// A segment holds at most 65 535 bytes with its length field; the ICC header takes 14 of them.
const ICC_CHUNK: usize = 65_533 - ICC_MARKER.len() - 2;

/// `image` (upright, 8-bit) as a JPEG at [`PUBLIC_JPEG_QUALITY`]. Transparency is flattened onto white,
/// as for the JPEG variants. `icc` is embedded when it is an RGB profile, so a Display P3 photo keeps
/// its gamut; one too large for JPEG's 255 chunks (16 MB, never a real profile) is left out.
pub(crate) fn public_jpeg(
    image: &DynamicImage,
    icc: Option<&[u8]>,
) -> Result<Vec<u8>, ImagingError> {
    let rgb = match image {
        DynamicImage::ImageRgb8(rgb) => Cow::Borrowed(rgb),
        DynamicImage::ImageRgba8(rgba) => Cow::Owned(flatten_onto_white(rgba)),
        other if other.color().has_alpha() => Cow::Owned(flatten_onto_white(&other.to_rgba8())),
        other => Cow::Owned(other.to_rgb8()),
    };
    let jpeg = encode_jpeg(&rgb, PUBLIC_JPEG_QUALITY)?;
    match icc.filter(|icc| is_rgb_profile(icc)) {
        Some(icc) => Ok(with_icc_profile(&jpeg, icc).unwrap_or(jpeg)),
        None => Ok(jpeg),
    }
}

/// `jpeg` with `icc` in APP2 segments right after SOI and the JFIF APP0 (which must come first), or
/// `None` when the profile needs more than 255 chunks or the encoder's output does not start as expected.
fn with_icc_profile(jpeg: &[u8], icc: &[u8]) -> Option<Vec<u8>> {
    let chunks: Vec<&[u8]> = icc.chunks(ICC_CHUNK).collect();
    let count = u8::try_from(chunks.len()).ok()?;
    if !jpeg.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut insert_at = 2;
    if jpeg.get(2..4) == Some(&[0xFF, APP0]) {
        let len = usize::from(u16::from_be_bytes([*jpeg.get(4)?, *jpeg.get(5)?]));
        insert_at = 4 + len;
    }
    let head = jpeg.get(..insert_at)?;
    let mut out = Vec::with_capacity(jpeg.len() + icc.len() + 18 * chunks.len());
    out.extend_from_slice(head);
    for (index, chunk) in (1..=count).zip(&chunks) {
        let len = u16::try_from(2 + ICC_MARKER.len() + 2 + chunk.len()).ok()?;
        out.extend_from_slice(&[0xFF, 0xE2]);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(ICC_MARKER);
        out.extend_from_slice(&[index, count]);
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&jpeg[insert_at..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jpeg_info::jpeg_info;
    use crate::testdata;

    fn apple_rgb_profile() -> Vec<u8> {
        // landscape_2 carries Apple's "Generic RGB" profile: a real RGB profile that is not sRGB.
        jpeg_info(&testdata::read("photos/landscape_2.jpg"))
            .unwrap()
            .icc
            .unwrap()
    }

    #[test]
    fn the_profile_survives_and_the_pixels_decode() {
        let icc = apple_rgb_profile();
        let image = DynamicImage::ImageRgb8(testdata::gradient(64, 48));
        let jpeg = public_jpeg(&image, Some(&icc)).unwrap();
        assert_eq!(jpeg_info(&jpeg).unwrap().icc.as_deref(), Some(&icc[..]));
        let back = image::load_from_memory(&jpeg).unwrap();
        assert_eq!((back.width(), back.height()), (64, 48));
    }

    #[test]
    fn a_large_profile_is_split_into_numbered_chunks() {
        let icc: Vec<u8> = (0..150_000u32).map(|i| (i % 251) as u8).collect();
        let jpeg = encode_jpeg(&testdata::gradient(8, 8), 90).unwrap();
        let with = with_icc_profile(&jpeg, &icc).unwrap();
        let segments = testdata::jpeg_header_segments(&with);
        let chunks: Vec<&Vec<u8>> = segments
            .iter()
            .filter(|(m, p)| *m == 0xE2 && p.starts_with(ICC_MARKER))
            .map(|(_, p)| p)
            .collect();
        assert_eq!(chunks.len(), 3);
        let mut joined = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            assert_eq!(&chunk[12..14], &[i as u8 + 1, 3]);
            joined.extend_from_slice(&chunk[14..]);
        }
        assert_eq!(joined, icc);
        assert!(image::load_from_memory(&with).is_ok());
    }

    #[test]
    fn transparency_is_flattened_and_junk_profiles_are_left_out() {
        let clear = DynamicImage::ImageRgba8(testdata::solid_rgba(4, 4, [0, 0, 0, 0]));
        let jpeg = public_jpeg(&clear, Some(b"not a profile")).unwrap();
        assert!(jpeg_info(&jpeg).unwrap().icc.is_none());
        let back = image::load_from_memory(&jpeg).unwrap().to_rgb8();
        assert!(back.get_pixel(1, 1).0.iter().all(|c| *c > 250), "white");
    }
}
