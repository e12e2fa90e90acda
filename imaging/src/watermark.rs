//! Watermarks: another image, or a line of text, laid over the one being rendered at a compass position
//! and an opacity. An image mark is decoded once (upright, its own metadata dropped like any source) and
//! shrunk to at most a quarter of the image on each side; text is set a tenth of the image's shorter side
//! high. Both scale with the image, so one mark suits every size of image it is laid on. A transformation's
//! mark (imgproxy's `wm`) may instead keep its own size or take a share of the image's width, move by
//! offsets, or be tiled over the whole image.

use std::sync::Arc;

use darkroom_core::imaging::{MarkLayout, MarkSize, Overlay, RgbaMark};
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

/// Decodes a mark once (upright, metadata dropped, within `limits`) for [`Overlay::Rgba`]: a watermark
/// configured at start-up and laid on many renders.
pub fn decode_mark(bytes: &[u8], limits: &Limits) -> Result<Arc<RgbaMark>, ImagingError> {
    let image = decode_upright(bytes, limits)?.into_rgba8();
    let (width, height) = image.dimensions();
    Ok(Arc::new(RgbaMark {
        width,
        height,
        data: image.into_raw(),
    }))
}

/// The overlay decoded (an image) or kept (text).
pub(crate) fn prepare(overlay: &Overlay, limits: &Limits) -> Result<Mark, ImagingError> {
    Ok(match overlay {
        Overlay::Image(bytes) => Mark::Image(decode_upright(bytes, limits)?.into_rgba8()),
        Overlay::Text(text) => Mark::Text(text.clone()),
        Overlay::Rgba(mark) => Mark::Image(
            RgbaImage::from_raw(mark.width, mark.height, mark.data.clone()).ok_or_else(|| {
                ImagingError::InvalidPlan(
                    "a decoded watermark's pixels do not fill its size".into(),
                )
            })?,
        ),
    })
}

/// `mark` over `pixels` at `position` (0 left/top to 1 right/bottom on each axis), its alpha times
/// `opacity`, sized, moved and maybe tiled as `layout` says.
pub(crate) fn lay(
    pixels: Pixels,
    mark: &Mark,
    position: (f64, f64),
    opacity: f32,
    layout: MarkLayout,
) -> Result<Pixels, ImagingError> {
    let (width, height) = pixels.dimensions();
    match mark {
        Mark::Image(image) => {
            let sized = sized(image, (width, height), layout.size, (MAX_SHARE, MAX_SHARE))?;
            lay_image(pixels, sized, position, opacity, layout)
        }
        Mark::Text(text) => {
            let set = set_text(text, width.min(height) as f32 * TEXT_HEIGHT)?;
            let sized = sized(&set, (width, height), layout.size, (MAX_TEXT_SHARE, 1.0))?;
            lay_image(pixels, sized, position, opacity, layout)
        }
    }
}

/// `mark` resized for an image of `size`: shrunk (never enlarged) to at most `share` of its width and
/// height ([`MarkSize::Quarter`]), or to fit inside it ([`MarkSize::Natural`]), or to a share of its
/// width and no more than its height ([`MarkSize::WidthShare`], which may enlarge).
fn sized(
    mark: &RgbaImage,
    size: (u32, u32),
    mark_size: MarkSize,
    share: (f64, f64),
) -> Result<RgbaImage, ImagingError> {
    let (width, height) = (f64::from(size.0), f64::from(size.1));
    let (mw, mh) = (f64::from(mark.width()), f64::from(mark.height()));
    let fit_inside = (width / mw).min(height / mh);
    let scale = match mark_size {
        MarkSize::Quarter => (width * share.0 / mw).min(height * share.1 / mh).min(1.0),
        MarkSize::Natural => fit_inside.min(1.0),
        MarkSize::WidthShare(part) => (width * f64::from(part) / mw).min(fit_inside),
    };
    let side = |side: f64| ((side * scale).round() as u32).max(1);
    let (tw, th) = (side(mw), side(mh));
    if (tw, th) == mark.dimensions() {
        return Ok(mark.clone());
    }
    Ok(
        match resize_at(&Pixels::Translucent(mark.clone()), tw, th, None)? {
            Pixels::Translucent(image) => image,
            Pixels::Opaque(image) => image::DynamicImage::ImageRgb8(image).into_rgba8(),
        },
    )
}

/// A sized `mark` laid once at `position` moved by the offsets, or tiled.
fn lay_image(
    pixels: Pixels,
    mark: RgbaImage,
    position: (f64, f64),
    opacity: f32,
    layout: MarkLayout,
) -> Result<Pixels, ImagingError> {
    let (width, height) = pixels.dimensions();
    let (tw, th) = mark.dimensions();
    let mut mark = mark;
    if opacity < 1.0 {
        for pixel in mark.pixels_mut() {
            let Rgba([r, g, b, a]) = *pixel;
            let a = (f32::from(a) * opacity).round().clamp(0.0, 255.0) as u8;
            *pixel = Rgba([r, g, b, a]);
        }
    }
    let (mark, x, y) = if layout.replicate {
        (tiled(&mark, (width, height), layout.offset), 0, 0)
    } else {
        // imgproxy's offsets: inward from an edge the mark sits on, else rightwards and downwards.
        let place = |free: u32, at: f64, offset: i32| {
            let inward = if at >= 1.0 { -offset } else { offset };
            ((f64::from(free) * at).round() as i64 + i64::from(inward)).clamp(0, i64::from(free))
        };
        let x = place(width.saturating_sub(tw), position.0, layout.offset.0);
        let y = place(height.saturating_sub(th), position.1, layout.offset.1);
        (mark, x, y)
    };
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

/// `mark` repeated over a transparent `size` canvas from its top-left corner, `gap` pixels apart: one
/// overlay of the whole image rather than one per tile, however small the mark.
fn tiled(mark: &RgbaImage, size: (u32, u32), gap: (i32, i32)) -> RgbaImage {
    let (tw, th) = mark.dimensions();
    let step_x = tw + gap.0.max(0) as u32;
    let step_y = th + gap.1.max(0) as u32;
    RgbaImage::from_fn(size.0, size.1, |x, y| {
        let (mx, my) = (x % step_x, y % step_y);
        if mx < tw && my < th {
            *mark.get_pixel(mx, my)
        } else {
            Rgba([0, 0, 0, 0])
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
        let out = lay(base, &mark, (1.0, 1.0), 1.0, MarkLayout::default()).unwrap();
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
        let out = lay(base, &mark, (0.0, 0.0), 0.5, MarkLayout::default()).unwrap();
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
        let out = lay(base, &mark, (0.0, 1.0), 1.0, MarkLayout::default()).unwrap();
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

    #[test]
    fn offsets_move_the_mark_inward_and_scale_takes_a_share_of_the_width() {
        let base = || Pixels::Opaque(RgbImage::from_pixel(400, 200, Rgb([255, 255, 255])));
        let mark = Mark::Image(RgbaImage::from_pixel(20, 10, Rgba([255, 0, 0, 255])));
        let layout = MarkLayout {
            offset: (30, 5),
            size: MarkSize::Natural,
            replicate: false,
        };
        // South-east, 30 px left and 5 up: the mark spans x 350..370, y 185..195.
        let out = lay(base(), &mark, (1.0, 1.0), 1.0, layout).unwrap();
        assert_eq!(out.rgb_at(350, 185), [255, 0, 0]);
        assert_eq!(out.rgb_at(369, 194), [255, 0, 0]);
        assert_eq!(out.rgb_at(399, 199), [255, 255, 255]);
        assert_eq!(out.rgb_at(370, 190), [255, 255, 255]);
        let half = MarkLayout {
            size: MarkSize::WidthShare(0.5),
            ..MarkLayout::default()
        };
        // Half the width: 200x100, at the top-left.
        let out = lay(base(), &mark, (0.0, 0.0), 1.0, half).unwrap();
        assert_eq!(out.rgb_at(195, 95), [255, 0, 0]);
        assert_eq!(out.rgb_at(205, 50), [255, 255, 255]);
    }

    #[test]
    fn a_replicated_mark_tiles_with_its_gaps() {
        let base = Pixels::Opaque(RgbImage::from_pixel(100, 50, Rgb([255, 255, 255])));
        let mark = Mark::Image(RgbaImage::from_pixel(10, 10, Rgba([0, 0, 255, 255])));
        let layout = MarkLayout {
            offset: (10, 5),
            size: MarkSize::Natural,
            replicate: true,
        };
        let out = lay(base, &mark, (0.5, 0.5), 1.0, layout).unwrap();
        for (x, y) in [(0, 0), (25, 5), (45, 20), (85, 35)] {
            assert_eq!(out.rgb_at(x, y), [0, 0, 255], "({x}, {y})");
        }
        for (x, y) in [(15, 0), (5, 12), (95, 49)] {
            assert_eq!(out.rgb_at(x, y), [255, 255, 255], "({x}, {y})");
        }
    }
}
