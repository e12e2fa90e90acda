//! The colour adjustments of a plan: grayscale, sepia, brightness, contrast, gamma and automatic levels
//! (`enhance`). Each maps every pixel's colour on its own (alpha is left as it is), on the 8-bit sRGB
//! values, so they cost one pass and no extra buffer.

use super::pixels::Pixels;

/// One adjustment, with its checked argument.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Adjustment {
    Grayscale,
    Sepia,
    Brightness(f32),
    Contrast(f32),
    Gamma(f32),
    Enhance,
}

/// The outermost share of pixels `enhance` ignores at each end, so that a few specks of black or white
/// do not keep the levels from stretching.
const ENHANCE_CLIP: f64 = 0.005;

pub(crate) fn adjust(mut pixels: Pixels, adjustment: Adjustment) -> Pixels {
    match adjustment {
        Adjustment::Grayscale => map_rgb(&mut pixels, |[r, g, b]| {
            let y = luma([r, g, b]);
            [y, y, y]
        }),
        Adjustment::Sepia => map_rgb(&mut pixels, |[r, g, b]| {
            let (r, g, b) = (f32::from(r), f32::from(g), f32::from(b));
            [
                channel(0.393 * r + 0.769 * g + 0.189 * b),
                channel(0.349 * r + 0.686 * g + 0.168 * b),
                channel(0.272 * r + 0.534 * g + 0.131 * b),
            ]
        }),
        Adjustment::Brightness(amount) => {
            apply_table(&mut pixels, &table(|v| v * amount));
        }
        Adjustment::Contrast(amount) => {
            apply_table(&mut pixels, &table(|v| (v - 127.5) * amount + 127.5));
        }
        Adjustment::Gamma(amount) => {
            let exponent = 1.0 / amount;
            apply_table(&mut pixels, &table(|v| 255.0 * (v / 255.0).powf(exponent)));
        }
        Adjustment::Enhance => {
            if let Some((low, high)) = levels(&pixels) {
                let span = f32::from(high - low);
                let low = f32::from(low);
                apply_table(&mut pixels, &table(|v| (v - low) * 255.0 / span));
            }
        }
    }
    pixels
}

/// Rec. 709 luma of an sRGB colour, rounded.
pub(crate) fn luma([r, g, b]: [u8; 3]) -> u8 {
    channel(0.2126 * f32::from(r) + 0.7152 * f32::from(g) + 0.0722 * f32::from(b))
}

fn channel(value: f32) -> u8 {
    value.round().clamp(0.0, 255.0) as u8
}

/// A lookup table of `f` over the 256 channel values.
fn table(f: impl Fn(f32) -> f32) -> [u8; 256] {
    let mut out = [0; 256];
    for (value, slot) in out.iter_mut().enumerate() {
        *slot = channel(f(value as f32));
    }
    out
}

fn apply_table(pixels: &mut Pixels, table: &[u8; 256]) {
    map_rgb(pixels, |[r, g, b]| {
        [
            table[usize::from(r)],
            table[usize::from(g)],
            table[usize::from(b)],
        ]
    });
}

fn map_rgb(pixels: &mut Pixels, f: impl Fn([u8; 3]) -> [u8; 3]) {
    match pixels {
        Pixels::Opaque(image) => {
            for pixel in image.pixels_mut() {
                pixel.0 = f(pixel.0);
            }
        }
        Pixels::Translucent(image) => {
            for pixel in image.pixels_mut() {
                let [r, g, b, a] = pixel.0;
                let [r, g, b] = f([r, g, b]);
                pixel.0 = [r, g, b, a];
            }
        }
    }
}

/// The luma below which, and above which, lie `ENHANCE_CLIP` of the pixels; `None` for an image of one
/// tone (nothing to stretch).
fn levels(pixels: &Pixels) -> Option<(u8, u8)> {
    let mut histogram = [0u64; 256];
    let (width, height) = pixels.dimensions();
    for y in 0..height {
        for x in 0..width {
            histogram[usize::from(luma(pixels.rgb_at(x, y)))] += 1;
        }
    }
    let total = u64::from(width) * u64::from(height);
    let clip = (total as f64 * ENHANCE_CLIP) as u64;
    let mut seen = 0;
    let low = histogram.iter().position(|&count| {
        seen += count;
        seen > clip
    })?;
    seen = 0;
    let high = 255
        - histogram.iter().rev().position(|&count| {
            seen += count;
            seen > clip
        })?;
    (high > low).then_some((low as u8, high as u8))
}

#[cfg(test)]
mod tests {
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    use super::*;

    fn solid(colour: [u8; 3]) -> Pixels {
        Pixels::Opaque(RgbImage::from_pixel(4, 4, Rgb(colour)))
    }

    fn first(pixels: &Pixels) -> [u8; 3] {
        pixels.rgb_at(0, 0)
    }

    #[test]
    fn grayscale_leaves_no_chroma_and_sepia_is_warm() {
        let grey = first(&adjust(solid([200, 40, 90]), Adjustment::Grayscale));
        assert_eq!(grey[0], grey[1]);
        assert_eq!(grey[1], grey[2]);
        let [r, g, b] = first(&adjust(solid([120, 120, 120]), Adjustment::Sepia));
        assert!(r > g && g > b, "{r} {g} {b}");
    }

    #[test]
    fn brightness_contrast_and_gamma_move_the_tones_their_way() {
        assert_eq!(
            first(&adjust(solid([100, 50, 200]), Adjustment::Brightness(1.5))),
            [150, 75, 255]
        );
        assert_eq!(
            first(&adjust(solid([100, 50, 200]), Adjustment::Brightness(1.0))),
            [100, 50, 200]
        );
        let [dark, _, light] = first(&adjust(solid([64, 128, 192]), Adjustment::Contrast(2.0)));
        assert!(dark < 10 && light > 250, "{dark} {light}");
        let [mid, ..] = first(&adjust(solid([128, 0, 0]), Adjustment::Gamma(2.2)));
        assert!(mid > 180, "gamma above 1 lightens the mid-tones: {mid}");
    }

    #[test]
    fn enhance_stretches_the_levels_and_keeps_alpha() {
        let mut image = RgbaImage::from_pixel(10, 10, Rgba([100, 100, 100, 7]));
        for x in 0..10 {
            image.put_pixel(x, 0, Rgba([150, 150, 150, 9]));
        }
        let out = adjust(Pixels::Translucent(image), Adjustment::Enhance);
        let Pixels::Translucent(out) = out else {
            panic!("alpha kept")
        };
        assert_eq!(out.get_pixel(0, 0).0, [255, 255, 255, 9]);
        assert_eq!(out.get_pixel(5, 5).0, [0, 0, 0, 7]);
        // One tone: nothing to stretch, nothing changed.
        assert_eq!(
            first(&adjust(solid([9, 9, 9]), Adjustment::Enhance)),
            [9, 9, 9]
        );
    }
}
