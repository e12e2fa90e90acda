//! Watermarks: another image, or a line of text, laid over the one being rendered at a compass position
//! and an opacity. An image mark is decoded once (upright, its own metadata dropped like any source) and
//! shrunk to at most a quarter of the image on each side; text is set a tenth of the image's shorter side
//! high. Both scale with the image, so one mark suits every size of image it is laid on.

use darkroom_core::imaging::Overlay;
use image::imageops;
use image::{Rgba, RgbaImage};

use super::decode::decode_upright;
use super::pixels::Pixels;
use super::resize::resize_at;
use super::text::set_text;
use super::{ImagingError, Limits};

/// The largest share of the image's width and height an image mark covers.
const MAX_SHARE: f64 = 0.25;
/// The largest share of the image's width a line of text covers (it may not fit at its height).
const MAX_TEXT_SHARE: f64 = 0.9;
/// Text height as a share of the image's shorter side.
const TEXT_HEIGHT: f32 = 0.1;

/// A plan's overlay, ready to lay: an image decoded, or text (set once the image's size is known).
#[derive(Debug)]
pub(crate) enum Mark {
    Image(RgbaImage),
    Text(String),
}

/// The overlay decoded (an image) or kept (text).
pub(crate) fn prepare(overlay: &Overlay, limits: &Limits) -> Result<Mark, ImagingError> {
    Ok(match overlay {
        Overlay::Image(bytes) => Mark::Image(decode_upright(bytes, limits)?.into_rgba8()),
        Overlay::Text(text) => Mark::Text(text.clone()),
    })
}

/// `mark` over `pixels` at `position` (0 left/top to 1 right/bottom on each axis), its alpha times
/// `opacity`.
pub(crate) fn lay(
    pixels: Pixels,
    mark: &Mark,
    position: (f64, f64),
    opacity: f32,
) -> Result<Pixels, ImagingError> {
    let (width, height) = pixels.dimensions();
    match mark {
        Mark::Image(image) => lay_image(pixels, image, position, opacity, (MAX_SHARE, MAX_SHARE)),
        Mark::Text(text) => {
            let set = set_text(text, width.min(height) as f32 * TEXT_HEIGHT)?;
            lay_image(pixels, &set, position, opacity, (MAX_TEXT_SHARE, 1.0))
        }
    }
}

/// `mark` shrunk (never enlarged) to at most `share` of the image's width and height, then laid.
fn lay_image(
    pixels: Pixels,
    mark: &RgbaImage,
    position: (f64, f64),
    opacity: f32,
    share: (f64, f64),
) -> Result<Pixels, ImagingError> {
    let (width, height) = pixels.dimensions();
    let (mw, mh) = mark.dimensions();
    let scale = (f64::from(width) * share.0 / f64::from(mw))
        .min(f64::from(height) * share.1 / f64::from(mh))
        .min(1.0);
    let sized = |side: u32| ((f64::from(side) * scale).round() as u32).max(1);
    let (tw, th) = (sized(mw), sized(mh));
    let mark = if (tw, th) == (mw, mh) {
        mark.clone()
    } else {
        match resize_at(&Pixels::Translucent(mark.clone()), tw, th, None)? {
            Pixels::Translucent(image) => image,
            Pixels::Opaque(image) => image::DynamicImage::ImageRgb8(image).into_rgba8(),
        }
    };
    let mut mark = mark;
    if opacity < 1.0 {
        for pixel in mark.pixels_mut() {
            let Rgba([r, g, b, a]) = *pixel;
            let a = (f32::from(a) * opacity).round().clamp(0.0, 255.0) as u8;
            *pixel = Rgba([r, g, b, a]);
        }
    }
    let x = (f64::from(width - tw) * position.0).round() as i64;
    let y = (f64::from(height - th) * position.1).round() as i64;
    Ok(match pixels {
        Pixels::Opaque(image) => {
            // Blending needs an alpha channel underneath; the result is still opaque.
            let mut base = image::DynamicImage::ImageRgb8(image).into_rgba8();
            imageops::overlay(&mut base, &mark, x, y);
            Pixels::Opaque(image::DynamicImage::ImageRgba8(base).into_rgb8())
        }
        Pixels::Translucent(mut base) => {
            imageops::overlay(&mut base, &mark, x, y);
            Pixels::Translucent(base)
        }
    })
}

#[cfg(test)]
mod tests {
    use image::{Rgb, RgbImage};

    use super::*;

    #[test]
    fn the_mark_lands_at_its_position_and_nowhere_else() {
        let base = Pixels::Opaque(RgbImage::from_pixel(400, 200, Rgb([255, 255, 255])));
        let mark = Mark::Image(RgbaImage::from_pixel(20, 10, Rgba([255, 0, 0, 255])));
        let out = lay(base, &mark, (1.0, 1.0), 1.0).unwrap();
        assert_eq!(out.rgb_at(399, 199), [255, 0, 0]);
        assert_eq!(out.rgb_at(380, 190), [255, 0, 0]);
        assert_eq!(out.rgb_at(379, 199), [255, 255, 255]);
        assert_eq!(out.rgb_at(0, 0), [255, 255, 255]);
    }

    #[test]
    fn a_large_mark_shrinks_to_a_quarter_and_opacity_blends() {
        let base = Pixels::Opaque(RgbImage::from_pixel(400, 200, Rgb([0, 0, 0])));
        let mark = Mark::Image(RgbaImage::from_pixel(
            1000,
            1000,
            Rgba([255, 255, 255, 255]),
        ));
        let out = lay(base, &mark, (0.0, 0.0), 0.5).unwrap();
        // 50 px square (a quarter of the height), half white over black.
        let [r, ..] = out.rgb_at(10, 10);
        assert!((120..=135).contains(&r), "{r}");
        assert_eq!(out.rgb_at(49, 49)[0], r);
        assert_eq!(out.rgb_at(51, 10), [0, 0, 0]);
    }

    #[test]
    fn text_lands_at_its_position_a_tenth_of_the_image_high() {
        let base = Pixels::Opaque(RgbImage::from_pixel(400, 200, Rgb([0, 0, 255])));
        let mark = Mark::Text("MARK".into());
        let out = lay(base, &mark, (0.0, 1.0), 1.0).unwrap();
        let white_at = |x0: u32, y0: u32, x1: u32, y1: u32| {
            (x0..x1)
                .flat_map(|x| (y0..y1).map(move |y| (x, y)))
                .filter(|&(x, y)| out.rgb_at(x, y) == [255, 255, 255])
                .count()
        };
        // The bottom-left corner holds the text (about 20 px high); the rest of the image none.
        assert!(white_at(0, 170, 100, 200) > 40);
        assert_eq!(white_at(0, 0, 400, 160), 0);
        assert_eq!(white_at(150, 0, 400, 200), 0);
    }
}
