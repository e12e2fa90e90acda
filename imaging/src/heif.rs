//! HEIC and AVIF, decoded by the system libheif (`native-codecs` build only): the header checked against
//! the `Limits` from the primary image's boxes, then one full decode to 8-bit RGB(A).
//!
//! No shrink-on-load (neither codec has a cheap reduced decode): the whole image is decoded and resized
//! like a PNG. libheif applies the container's `irot`/`imir`/`clap` while decoding, so the pixels come
//! out upright and the EXIF orientation (informative only in HEIF, and often contradicting `irot` on
//! iPhone photos) is never applied on top.

use image::{DynamicImage, RgbImage, RgbaImage};

use darkroom_core::imaging::{check_dimensions, Header};

use super::heif_ffi::{has_decoder, Compression, Context, Handle, HeifError};
use super::{sniff, ImagingError, Limits};
use crate::domain::ImageFormat;

/// Whether this build's libheif decodes `format` (it has the HEVC or AV1 plugin).
pub(crate) fn decodes(format: ImageFormat) -> bool {
    match format {
        ImageFormat::Heic => has_decoder(Compression::Hevc),
        ImageFormat::Avif => has_decoder(Compression::Av1),
        _ => false,
    }
}

/// The format of `bytes` when it is a HEIC or AVIF this build decodes.
pub(crate) fn format_of(bytes: &[u8]) -> Option<ImageFormat> {
    sniff(bytes).filter(|format| decodes(*format))
}

/// The primary image of a HEIF file whose header passed every limit, ready to decode.
#[derive(Debug)]
pub(crate) struct HeifSource<'a> {
    // Declared before the context so it is released first (libheif counts references either way).
    handle: Handle<'a>,
    _context: Context<'a>,
    header: Header,
    alpha: bool,
    luma_bits: u32,
}

/// Reads the boxes of `bytes` (a `format` file, as sniffed) and refuses what breaks `limits` before any
/// pixel is decoded. Also returns the ICC profile, if any: an image described by nclx code points only
/// is treated as sRGB (what nearly all of them are, and what the outputs are read as anyway).
pub(crate) fn open<'a>(
    bytes: &'a [u8],
    format: ImageFormat,
    limits: &Limits,
) -> Result<(Header, Option<Vec<u8>>, HeifSource<'a>), ImagingError> {
    let actual = bytes.len() as u64;
    if actual > limits.max_bytes {
        return Err(ImagingError::TooManyBytes {
            actual,
            max: limits.max_bytes,
        });
    }
    // libheif's own limit covers every item it reads (alpha planes, thumbnails, grid tiles), not just the
    // primary image we check below; one more than our side limit, as it refuses sizes equal to it.
    let max_side = limits.max_width.max(limits.max_height).saturating_add(1);
    let context = Context::read(bytes, max_side).map_err(|e| from_read(e, bytes, limits))?;
    let handle = context.primary().map_err(|e| from_read(e, bytes, limits))?;
    let (width, height) = handle.dimensions();
    let header = Header {
        format,
        width,
        height,
    };
    check_dimensions(&header, limits)?;
    // From now on libheif builds nothing larger than the checked image (per side: it has no pixel limit),
    // whatever a grid or overlay box claims.
    context.set_max_side(width.max(height).saturating_add(1));
    let alpha = handle.has_alpha();
    let decoded = u64::from(width) * u64::from(height) * if alpha { 4 } else { 3 };
    if decoded > limits.max_decode_alloc {
        return Err(ImagingError::DecodeLimitExceeded(format!(
            "{width}x{height} needs {decoded} bytes decoded"
        )));
    }
    let icc = handle.icc();
    let luma_bits = handle.luma_bits().unwrap_or(8);
    let source = HeifSource {
        handle,
        _context: context,
        header,
        alpha,
        luma_bits,
    };
    Ok((header, icc, source))
}

impl HeifSource<'_> {
    /// Bytes per pixel of the decoded buffer.
    pub fn channels(&self) -> u64 {
        if self.alpha {
            4
        } else {
            3
        }
    }

    /// What libheif holds while decoding, besides the buffer we copy the pixels into: the decoded
    /// YCbCr planes (counted as 4:4:4, the worst case, at 1 or 2 bytes a sample, plus the alpha plane)
    /// and its own RGB(A) conversion of them.
    pub fn working_bytes(&self) -> u64 {
        let pixels = u64::from(self.header.width) * u64::from(self.header.height);
        let sample = if self.luma_bits > 8 { 2 } else { 1 };
        let planes = (3 + u64::from(self.alpha)) * sample;
        pixels * (planes + self.channels())
    }

    /// Decodes the whole image, upright, to 8-bit RGB or RGBA.
    pub fn decode(self) -> Result<DynamicImage, ImagingError> {
        let image = self.handle.decode(self.alpha).map_err(from_heif)?;
        let plane = image.plane().map_err(from_heif)?;
        // The pool reservation was made for the header's size: a stream that decodes to another size
        // (a lying `ispe`) is refused rather than trusted.
        if (plane.width, plane.height) != (self.header.width, self.header.height) {
            return Err(ImagingError::corrupt(format!(
                "image decodes to {}x{}, not the {}x{} its header declares",
                plane.width, plane.height, self.header.width, self.header.height
            )));
        }
        let row = plane.width as usize * plane.channels;
        let mut pixels = Vec::with_capacity(row * plane.height as usize);
        for y in 0..plane.height as usize {
            let start = y * plane.stride;
            pixels.extend_from_slice(&plane.data[start..start + row]);
        }
        let (width, height) = (plane.width, plane.height);
        let image = if self.alpha {
            RgbaImage::from_raw(width, height, pixels).map(DynamicImage::ImageRgba8)
        } else {
            RgbImage::from_raw(width, height, pixels).map(DynamicImage::ImageRgb8)
        };
        image.ok_or_else(|| ImagingError::corrupt("decoded plane does not match its size"))
    }
}

/// Translates a libheif error met while reading the boxes: a refusal by libheif's own size limit (an
/// item larger than our side limits) is reported as such, with the largest `ispe` of the file.
fn from_read(error: HeifError, bytes: &[u8], limits: &Limits) -> ImagingError {
    if error.subcode == HeifError::SECURITY_LIMIT_EXCEEDED {
        if let Some((width, height)) =
            largest_ispe(bytes).filter(|(w, h)| *w > limits.max_width || *h > limits.max_height)
        {
            return ImagingError::DimensionsTooLarge {
                width,
                height,
                max_width: limits.max_width,
                max_height: limits.max_height,
                max_pixels: limits.max_pixels,
            };
        }
    }
    from_heif(error)
}

/// Translates a libheif error into the pipeline's codes.
fn from_heif(error: HeifError) -> ImagingError {
    match (error.code, error.subcode) {
        (_, HeifError::SECURITY_LIMIT_EXCEEDED) | (HeifError::MEMORY_ALLOCATION, _) => {
            ImagingError::DecodeLimitExceeded(error.to_string())
        }
        (HeifError::UNSUPPORTED_FILETYPE | HeifError::UNSUPPORTED_FEATURE, _) => {
            ImagingError::UnsupportedFeature(error.to_string())
        }
        _ => ImagingError::corrupt(error.to_string()),
    }
}

/// The largest image size any `ispe` box of the file declares (a 20-byte full box: size, type,
/// version and flags, width, height). Only used to say why libheif refused a file.
fn largest_ispe(bytes: &[u8]) -> Option<(u32, u32)> {
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    bytes
        .windows(20)
        .filter(|w| be(&w[0..4]) == 20 && &w[4..8] == b"ispe")
        .map(|w| (be(&w[12..16]), be(&w[16..20])))
        .max_by_key(|(w, h)| u64::from(*w) * u64::from(*h))
}

#[cfg(test)]
#[path = "heif_tests.rs"]
mod tests;
