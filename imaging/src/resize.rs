//! Downscaling with a proper convolution filter (fast_image_resize, SIMD where the CPU has it).

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::{RgbImage, RgbaImage};

use super::pixels::Pixels;
use super::ImagingError;

/// Resizes `source` to exactly `width` x `height`. With `centre_crop`, the largest centred region with the
/// target's aspect ratio is taken first (thumbnails); without it the whole image is scaled.
pub(crate) fn resize(
    source: &Pixels,
    width: u32,
    height: u32,
    centre_crop: bool,
) -> Result<Pixels, ImagingError> {
    resize_at(source, width, height, centre_crop.then_some(CENTRE))
}

/// Where a centred crop sits on each axis (see [`resize_at`]).
pub(crate) const CENTRE: (f64, f64) = (0.5, 0.5);

/// As [`resize`], with the largest region of the target's aspect ratio taken at `crop` (0 left/top,
/// 0.5 centred, 1 right/bottom on each axis) when given, before scaling.
pub(crate) fn resize_at(
    source: &Pixels,
    width: u32,
    height: u32,
    crop: Option<(f64, f64)>,
) -> Result<Pixels, ImagingError> {
    // Lanczos3 keeps downscaled photos sharp without visible ringing; alpha is premultiplied for us.
    let mut options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    if crop.is_some() {
        options = options.fit_into_destination(crop);
    }
    let mut resizer = Resizer::new();
    let failed = |e: fast_image_resize::ResizeError| ImagingError::encode_failed("variant", e);
    Ok(match source {
        Pixels::Opaque(image) => {
            let mut out = RgbImage::new(width, height);
            resizer.resize(image, &mut out, &options).map_err(failed)?;
            Pixels::Opaque(out)
        }
        Pixels::Translucent(image) => {
            let mut out = RgbaImage::new(width, height);
            resizer.resize(image, &mut out, &options).map_err(failed)?;
            Pixels::Translucent(out)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    #[test]
    fn resizes_and_centre_crops() {
        let source = Pixels::Opaque(testdata::gradient(400, 200));
        let whole = resize(&source, 200, 100, false).unwrap();
        assert_eq!(whole.dimensions(), (200, 100));

        let square = resize(&source, 100, 100, true).unwrap();
        let Pixels::Opaque(square) = square else {
            panic!("stays opaque")
        };
        assert_eq!(square.dimensions(), (100, 100));
        // The gradient's red channel runs left to right; a centred crop of 200 of 400 columns spans
        // roughly a quarter to three quarters of it.
        let left = square.get_pixel(0, 50).0[0];
        let right = square.get_pixel(99, 50).0[0];
        assert!((55..=75).contains(&left), "left edge red {left}");
        assert!((180..=200).contains(&right), "right edge red {right}");
    }

    #[test]
    fn keeps_alpha_when_resizing_translucent_pixels() {
        let source = Pixels::Translucent(testdata::solid_rgba(50, 50, [0, 0, 255, 100]));
        let Pixels::Translucent(out) = resize(&source, 10, 10, false).unwrap() else {
            panic!("stays translucent")
        };
        assert_eq!(out.get_pixel(5, 5).0, [0, 0, 255, 100]);
    }
}
