//! Downscaling with a proper convolution filter (fast_image_resize, SIMD where the CPU has it).

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::{RgbImage, RgbaImage};

use super::pixels::Pixels;
use super::ImagingError;

/// The size that fits inside `edge` x `edge` with the aspect ratio kept; never larger than the source.
pub(crate) fn fit_within(width: u32, height: u32, edge: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= edge {
        return (width, height);
    }
    let scale = |side: u32| -> u32 {
        // Rounded, and never zero: a 10000x1 panorama still has a row.
        let scaled = (u64::from(side) * u64::from(edge) + u64::from(long) / 2) / u64::from(long);
        u32::try_from(scaled).unwrap_or(edge).clamp(1, edge)
    };
    if width >= height {
        (edge, scale(height))
    } else {
        (scale(width), edge)
    }
}

/// Resizes `source` to exactly `width` x `height`. With `centre_crop`, the largest centred region with the
/// target's aspect ratio is taken first (thumbnails); without it the whole image is scaled.
pub(crate) fn resize(
    source: &Pixels,
    width: u32,
    height: u32,
    centre_crop: bool,
) -> Result<Pixels, ImagingError> {
    // Lanczos3 keeps downscaled photos sharp without visible ringing; alpha is premultiplied for us.
    let mut options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    if centre_crop {
        options = options.fit_into_destination(Some((0.5, 0.5)));
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
    use crate::imaging::testdata;

    #[test]
    fn fits_inside_the_edge_keeping_aspect() {
        assert_eq!(fit_within(4032, 3024, 2048), (2048, 1536));
        assert_eq!(fit_within(3024, 4032, 1280), (960, 1280));
        assert_eq!(fit_within(4032, 3024, 640), (640, 480));
        assert_eq!(fit_within(1000, 1000, 640), (640, 640));
        assert_eq!(fit_within(10_000, 1, 640), (640, 1));
    }

    #[test]
    fn never_upscales() {
        assert_eq!(fit_within(300, 200, 2048), (300, 200));
        assert_eq!(fit_within(640, 480, 640), (640, 480));
    }

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
