//! How big an upload may be, and the header-level check every decoder runs before a pixel is decoded.

use super::ImagingError;
use crate::domain::ImageFormat;

/// How big an upload may be, checked from its header before decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: u64,
    pub max_width: u32,
    pub max_height: u32,
    pub max_pixels: u64,
    /// The memory one decode may take, the upload's own bytes included: checked from the header (with
    /// what the format's decoder is known to hold) before decoding, and given to the decoder as its
    /// allocation cap in case a header lies about what follows it. The default keeps a worker under
    /// 256 MiB whatever it is fed.
    pub max_decode_alloc: u64,
    /// Frames of an animated GIF or WebP, counted from the container before decoding.
    pub max_frames: u32,
    /// How long one job may take, checked between its stages (decode, resize, each encode).
    pub max_duration: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 100_000_000,
            max_width: 16_384,
            max_height: 16_384,
            max_pixels: 50_000_000,
            max_decode_alloc: 192 << 20,
            max_frames: 1000,
            max_duration: std::time::Duration::from_secs(30),
        }
    }
}

/// What the header says, as stored: before EXIF orientation, so width and height may be swapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
}

/// Refuses a zero side (corrupt) and anything over `limits`' sides or pixel count.
pub fn check_dimensions(header: &Header, limits: &Limits) -> Result<(), ImagingError> {
    let (width, height) = (header.width, header.height);
    if width == 0 || height == 0 {
        return Err(ImagingError::corrupt(format!(
            "image declares a zero dimension ({width}x{height})"
        )));
    }
    let pixels = u64::from(width) * u64::from(height);
    if width > limits.max_width || height > limits.max_height || pixels > limits.max_pixels {
        return Err(ImagingError::DimensionsTooLarge {
            width,
            height,
            max_width: limits.max_width,
            max_height: limits.max_height,
            max_pixels: limits.max_pixels,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
