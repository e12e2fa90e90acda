//! The filters of a plan on decoded pixels: blur, sharpen, and flattening transparency onto a colour.
//! Geometry is `operations.rs`; which filters run, and with which sigma, is decided by `plan_steps.rs`.

use image::imageops;

use super::pixels::{flatten_onto, Pixels};

/// Threshold of the unsharp mask: differences this small are left alone, so flat areas keep no grain.
const SHARPEN_THRESHOLD: i32 = 2;

/// A Gaussian blur of `sigma` pixels, approximated by three box blurs: the cost does not grow with the
/// sigma, so a large one cannot be used to spend CPU.
pub(crate) fn blur(pixels: Pixels, sigma: f32) -> Pixels {
    let sigma = bounded(&pixels, sigma);
    match pixels {
        Pixels::Opaque(image) => Pixels::Opaque(imageops::fast_blur(&image, sigma)),
        Pixels::Translucent(image) => Pixels::Translucent(imageops::fast_blur(&image, sigma)),
    }
}

/// An unsharp mask of radius `sigma` pixels.
pub(crate) fn sharpen(pixels: Pixels, sigma: f32) -> Pixels {
    let sigma = bounded(&pixels, sigma);
    match pixels {
        Pixels::Opaque(image) => {
            Pixels::Opaque(imageops::unsharpen(&image, sigma, SHARPEN_THRESHOLD))
        }
        Pixels::Translucent(image) => {
            Pixels::Translucent(imageops::unsharpen(&image, sigma, SHARPEN_THRESHOLD))
        }
    }
}

/// Transparency composited onto `colour`; opaque pixels are returned as they are.
pub(crate) fn flatten(pixels: Pixels, colour: [u8; 3]) -> Pixels {
    match pixels {
        Pixels::Translucent(image) => Pixels::Opaque(flatten_onto(&image, colour)),
        opaque => opaque,
    }
}

/// A sigma past the image's longest side changes nothing more (everything is already one colour), so
/// it is held there; below a tenth of a pixel a filter does nothing visible.
fn bounded(pixels: &Pixels, sigma: f32) -> f32 {
    let (w, h) = pixels.dimensions();
    sigma.clamp(0.1, w.max(h).max(1) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    fn sharp_edge() -> Pixels {
        // Black left half, white right half.
        Pixels::Opaque(image::RgbImage::from_fn(40, 20, |x, _| {
            image::Rgb(if x < 20 { [0; 3] } else { [255; 3] })
        }))
    }

    fn at(pixels: &Pixels, x: u32, y: u32) -> u8 {
        match pixels {
            Pixels::Opaque(image) => image.get_pixel(x, y).0[0],
            Pixels::Translucent(image) => image.get_pixel(x, y).0[0],
        }
    }

    #[test]
    fn blur_softens_an_edge_and_keeps_the_size() {
        let blurred = blur(sharp_edge(), 3.0);
        assert_eq!(blurred.dimensions(), (40, 20));
        let (left, right) = (at(&blurred, 19, 10), at(&blurred, 20, 10));
        assert!(left > 30 && right < 225, "edge {left} {right}");
        // Far from the edge nothing changes.
        assert_eq!(at(&blurred, 0, 10), 0);
    }

    #[test]
    fn a_huge_sigma_is_harmless() {
        let blurred = blur(sharp_edge(), 1e9);
        assert_eq!(blurred.dimensions(), (40, 20));
        let sharpened = sharpen(sharp_edge(), 1e9);
        assert_eq!(sharpened.dimensions(), (40, 20));
    }

    #[test]
    fn sharpen_steepens_a_soft_edge() {
        let soft = blur(sharp_edge(), 2.0);
        let before = i32::from(at(&soft, 21, 10)) - i32::from(at(&soft, 18, 10));
        let sharpened = sharpen(soft, 1.5);
        let after = i32::from(at(&sharpened, 21, 10)) - i32::from(at(&sharpened, 18, 10));
        assert!(
            after > before,
            "contrast across the edge {before} -> {after}"
        );
    }

    #[test]
    fn flatten_composites_onto_the_colour() {
        let half_red = Pixels::Translucent(testdata::solid_rgba(4, 4, [255, 0, 0, 128]));
        let Pixels::Opaque(out) = flatten(half_red, [0, 0, 255]) else {
            panic!("comes out opaque")
        };
        let [r, g, b] = out.get_pixel(1, 1).0;
        assert!(
            (126..=130).contains(&r) && g == 0 && (125..=129).contains(&b),
            "{r} {g} {b}"
        );
    }
}
