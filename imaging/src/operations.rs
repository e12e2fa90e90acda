//! The geometric operations of a plan on decoded pixels: crop, extend, quarter-turn rotation, flip. Resizing is
//! `resize.rs`; which operations run, and where, is decided by `plan_steps.rs`.

use darkroom_core::imaging::Flip;
use image::imageops;

use super::pixels::Pixels;

/// The `width` x `height` rectangle at (`x`, `y`), which the caller has checked lies inside.
pub(crate) fn crop(pixels: &Pixels, x: u32, y: u32, width: u32, height: u32) -> Pixels {
    match pixels {
        Pixels::Opaque(image) => {
            Pixels::Opaque(imageops::crop_imm(image, x, y, width, height).to_image())
        }
        Pixels::Translucent(image) => {
            Pixels::Translucent(imageops::crop_imm(image, x, y, width, height).to_image())
        }
    }
}

/// `pixels` on a transparent `width` x `height` canvas at (`x`, `y`), which the caller has checked holds
/// them. The result keeps its alpha (what was added is transparent) until a background flattens it.
pub(crate) fn extend(pixels: Pixels, width: u32, height: u32, x: u32, y: u32) -> Pixels {
    let mut canvas = image::RgbaImage::new(width, height);
    let image = match pixels {
        Pixels::Opaque(image) => image::DynamicImage::ImageRgb8(image).into_rgba8(),
        Pixels::Translucent(image) => image,
    };
    imageops::replace(&mut canvas, &image, i64::from(x), i64::from(y));
    Pixels::Translucent(canvas)
}

/// Clockwise by `quarter_turns` x 90 degrees (modulo 4).
pub(crate) fn rotate(pixels: Pixels, quarter_turns: u8) -> Pixels {
    match (quarter_turns % 4, pixels) {
        (0, pixels) => pixels,
        (1, Pixels::Opaque(image)) => Pixels::Opaque(imageops::rotate90(&image)),
        (1, Pixels::Translucent(image)) => Pixels::Translucent(imageops::rotate90(&image)),
        (2, Pixels::Opaque(mut image)) => {
            imageops::rotate180_in_place(&mut image);
            Pixels::Opaque(image)
        }
        (2, Pixels::Translucent(mut image)) => {
            imageops::rotate180_in_place(&mut image);
            Pixels::Translucent(image)
        }
        (_, Pixels::Opaque(image)) => Pixels::Opaque(imageops::rotate270(&image)),
        (_, Pixels::Translucent(image)) => Pixels::Translucent(imageops::rotate270(&image)),
    }
}

/// Mirrors in place.
pub(crate) fn flip(mut pixels: Pixels, flip: Flip) -> Pixels {
    match (&mut pixels, flip) {
        (Pixels::Opaque(image), Flip::Horizontal) => imageops::flip_horizontal_in_place(image),
        (Pixels::Translucent(image), Flip::Horizontal) => imageops::flip_horizontal_in_place(image),
        (Pixels::Opaque(image), Flip::Vertical) => imageops::flip_vertical_in_place(image),
        (Pixels::Translucent(image), Flip::Vertical) => imageops::flip_vertical_in_place(image),
    }
    pixels
}
