//! Rotation by any angle: into the bounding box of the turned image, sampled bilinearly, with the corners
//! the turn uncovers filled with a background colour. Quarter turns are exact in `operations.rs`.

use image::{ImageBuffer, Pixel, Rgb, Rgba};

use super::pixels::Pixels;

/// The size of the box a `width` x `height` image fills once turned by `degrees`.
pub(crate) fn rotated_size(width: u32, height: u32, degrees: f32) -> (u32, u32) {
    let (sin, cos) = f64::from(degrees).to_radians().sin_cos();
    let (w, h) = (f64::from(width), f64::from(height));
    // Rounded first so that float noise (an angle just off a right one) adds no pixel.
    let side = |v: f64| ((v * 1e6).round() / 1e6).ceil().max(1.0) as u32;
    (
        side(w * cos.abs() + h * sin.abs()),
        side(w * sin.abs() + h * cos.abs()),
    )
}

/// `pixels` turned clockwise by `degrees`, uncovered corners `background` (opaque).
pub(crate) fn rotate_by(pixels: &Pixels, degrees: f32, background: [u8; 3]) -> Pixels {
    let [r, g, b] = background;
    match pixels {
        Pixels::Opaque(image) => Pixels::Opaque(turned(image, degrees, Rgb([r, g, b]))),
        Pixels::Translucent(image) => {
            Pixels::Translucent(turned(image, degrees, Rgba([r, g, b, u8::MAX])))
        }
    }
}

fn turned<P: Pixel<Subpixel = u8>>(
    source: &ImageBuffer<P, Vec<u8>>,
    degrees: f32,
    background: P,
) -> ImageBuffer<P, Vec<u8>> {
    let (width, height) = source.dimensions();
    let (out_w, out_h) = rotated_size(width, height, degrees);
    let (sin, cos) = f64::from(degrees).to_radians().sin_cos();
    let (cx, cy) = (f64::from(width) / 2.0, f64::from(height) / 2.0);
    let (ox, oy) = (f64::from(out_w) / 2.0, f64::from(out_h) / 2.0);
    let channels = usize::from(P::CHANNEL_COUNT);
    let background = background.channels().to_vec();
    let raw = source.as_raw();
    // One source sample, or the background outside the image (so the edges blend into it smoothly).
    let sample = |x: i64, y: i64, c: usize| -> f64 {
        if x < 0 || y < 0 || x >= i64::from(width) || y >= i64::from(height) {
            f64::from(background[c])
        } else {
            let at = (y as usize * width as usize + x as usize) * channels + c;
            f64::from(raw[at])
        }
    };
    let mut out = ImageBuffer::<P, Vec<u8>>::new(out_w, out_h);
    for (x, y, pixel) in out.enumerate_pixels_mut() {
        // The centre of the output pixel, turned back (anticlockwise) into the source, in y-down axes.
        let (dx, dy) = (f64::from(x) + 0.5 - ox, f64::from(y) + 0.5 - oy);
        let sx = dx * cos + dy * sin + cx - 0.5;
        let sy = -dx * sin + dy * cos + cy - 0.5;
        let (x0, y0) = (sx.floor(), sy.floor());
        let (fx, fy) = (sx - x0, sy - y0);
        let (x0, y0) = (x0 as i64, y0 as i64);
        for (c, value) in pixel.channels_mut().iter_mut().enumerate() {
            let top = sample(x0, y0, c) * (1.0 - fx) + sample(x0 + 1, y0, c) * fx;
            let bottom = sample(x0, y0 + 1, c) * (1.0 - fx) + sample(x0 + 1, y0 + 1, c) * fx;
            *value = (top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use image::RgbImage;

    use super::*;

    #[test]
    fn the_box_grows_to_hold_the_turned_image() {
        assert_eq!(rotated_size(100, 50, 90.0), (50, 100));
        assert_eq!(rotated_size(100, 50, 180.0), (100, 50));
        assert_eq!(rotated_size(100, 100, 45.0), (142, 142));
        assert_eq!(rotated_size(100, 50, -30.0), rotated_size(100, 50, 30.0));
    }

    #[test]
    fn corners_are_background_and_the_centre_is_the_image() {
        let source = Pixels::Opaque(RgbImage::from_pixel(100, 100, Rgb([0, 0, 255])));
        let Pixels::Opaque(out) = rotate_by(&source, 45.0, [255, 0, 0]) else {
            panic!("opaque stays opaque")
        };
        assert_eq!(out.dimensions(), (142, 142));
        assert_eq!(out.get_pixel(1, 1).0, [255, 0, 0]);
        assert_eq!(out.get_pixel(140, 140).0, [255, 0, 0]);
        assert_eq!(out.get_pixel(71, 71).0, [0, 0, 255]);
    }

    #[test]
    fn a_small_turn_is_clockwise() {
        // A red left half turned clockwise by 10 degrees: the boundary leans, its top moving right and
        // its bottom left, so the red reaches further right above the centre than below it.
        let mut image = RgbImage::from_pixel(200, 100, Rgb([255, 255, 255]));
        for y in 0..100 {
            for x in 0..100 {
                image.put_pixel(x, y, Rgb([255, 0, 0]));
            }
        }
        let Pixels::Opaque(out) = rotate_by(&Pixels::Opaque(image), 10.0, [0, 0, 0]) else {
            panic!("opaque")
        };
        let (w, h) = out.dimensions();
        let red_until = |y: u32| {
            (0..w)
                .rev()
                .find(|&x| out.get_pixel(x, y).0 == [255, 0, 0])
                .unwrap_or(0)
        };
        let (top, bottom) = (red_until(h / 2 - 30), red_until(h / 2 + 30));
        assert!(
            top > bottom,
            "clockwise: the boundary leans right at the top ({top} vs {bottom})"
        );
    }
}
