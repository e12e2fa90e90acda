//! Decoding once, upright, into the two pixel layouts the rest of the pipeline works in.

use std::borrow::Cow;

use image::metadata::Orientation;
use image::{DynamicImage, RgbImage, RgbaImage};

/// 8-bit pixels: RGB, or RGBA when the source really has transparency.
#[derive(Debug, Clone)]
pub(crate) enum Pixels {
    Opaque(RgbImage),
    Translucent(RgbaImage),
}

impl Pixels {
    /// Converts any bit depth and colour type to 8-bit RGB, or RGBA when there is an alpha channel (8-bit
    /// RGB and RGBA without a copy). Whether the alpha is really used is decided on the much smaller
    /// outputs (see [`Self::without_unused_alpha`]), not with a second full-size buffer here.
    pub fn from_image(image: DynamicImage) -> Self {
        if image.color().has_alpha() {
            Self::Translucent(image.into_rgba8())
        } else {
            Self::Opaque(image.into_rgb8())
        }
    }

    /// Drops an alpha channel that is opaque everywhere, so it costs nothing in the encodings.
    pub fn without_unused_alpha(self) -> Self {
        match self {
            Self::Translucent(rgba) if rgba.pixels().all(|p| p.0[3] == u8::MAX) => {
                Self::Opaque(DynamicImage::ImageRgba8(rgba).into_rgb8())
            }
            other => other,
        }
    }

    /// Turns stored pixels upright. Done on the resized variants rather than on the decode: rotating a
    /// 12 Mpx buffer costs more than rotating all of its variants together.
    pub fn oriented(self, orientation: Orientation) -> Self {
        if orientation == Orientation::NoTransforms {
            return self;
        }
        match self {
            Self::Opaque(image) => {
                let mut image = DynamicImage::ImageRgb8(image);
                image.apply_orientation(orientation);
                Self::Opaque(image.into_rgb8())
            }
            Self::Translucent(image) => {
                let mut image = DynamicImage::ImageRgba8(image);
                image.apply_orientation(orientation);
                Self::Translucent(image.into_rgba8())
            }
        }
    }

    /// The colour channels of one pixel (which must be inside), alpha ignored.
    pub fn rgb_at(&self, x: u32, y: u32) -> [u8; 3] {
        match self {
            Self::Opaque(image) => image.get_pixel(x, y).0,
            Self::Translucent(image) => {
                let [r, g, b, _] = image.get_pixel(x, y).0;
                [r, g, b]
            }
        }
    }

    pub fn dimensions(&self) -> (u32, u32) {
        match self {
            Self::Opaque(image) => image.dimensions(),
            Self::Translucent(image) => image.dimensions(),
        }
    }

    /// RGB for formats without alpha: transparency is composited onto white, as a page would show it.
    pub fn to_opaque(&self) -> Cow<'_, RgbImage> {
        match self {
            Self::Opaque(image) => Cow::Borrowed(image),
            Self::Translucent(image) => Cow::Owned(flatten_onto_white(image)),
        }
    }
}

pub(crate) fn flatten_onto_white(image: &RgbaImage) -> RgbImage {
    flatten_onto(image, [u8::MAX; 3])
}

/// `image` composited onto a background of `colour`.
pub(crate) fn flatten_onto(image: &RgbaImage, colour: [u8; 3]) -> RgbImage {
    RgbImage::from_fn(image.width(), image.height(), |x, y| {
        let [r, g, b, a] = image.get_pixel(x, y).0;
        let over = |c: u8, under: u8| {
            let (c, a, under) = (u32::from(c), u32::from(a), u32::from(under));
            ((c * a + under * (255 - a) + 127) / 255) as u8
        };
        image::Rgb([over(r, colour[0]), over(g, colour[1]), over(b, colour[2])])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode_upright;
    use crate::testdata;
    use crate::Limits;

    #[test]
    fn opaque_alpha_is_dropped_and_real_alpha_kept() {
        let opaque = testdata::solid_rgba(4, 4, [10, 20, 30, 255]);
        assert!(matches!(
            Pixels::from_image(DynamicImage::ImageRgba8(opaque)).without_unused_alpha(),
            Pixels::Opaque(_)
        ));
        let mut translucent = testdata::solid_rgba(4, 4, [10, 20, 30, 255]);
        translucent.put_pixel(0, 0, image::Rgba([0, 0, 0, 0]));
        assert!(matches!(
            Pixels::from_image(DynamicImage::ImageRgba8(translucent)).without_unused_alpha(),
            Pixels::Translucent(_)
        ));
    }

    #[test]
    fn transparency_flattens_onto_white() {
        let half_red = testdata::solid_rgba(2, 2, [255, 0, 0, 128]);
        let flat = Pixels::Translucent(half_red).to_opaque().into_owned();
        assert_eq!(flat.get_pixel(0, 0).0, [255, 127, 127]);
        let clear = testdata::solid_rgba(2, 2, [0, 0, 0, 0]);
        let flat = Pixels::Translucent(clear).to_opaque().into_owned();
        assert_eq!(flat.get_pixel(1, 1).0, [255, 255, 255]);
    }

    #[test]
    fn sixteen_bit_and_grey_sources_become_eight_bit_rgb() {
        let grey16 = DynamicImage::ImageLuma16(image::ImageBuffer::from_pixel(
            3,
            2,
            image::Luma([65535u16]),
        ));
        match Pixels::from_image(grey16) {
            Pixels::Opaque(rgb) => {
                assert_eq!(rgb.dimensions(), (3, 2));
                assert_eq!(rgb.get_pixel(0, 0).0, [255, 255, 255]);
            }
            Pixels::Translucent(_) => panic!("grey has no alpha"),
        }
    }

    #[test]
    fn decoding_applies_exif_orientation() {
        // landscape_6 is stored rotated (portrait) with orientation 6; upright it matches landscape_1.
        let (reference, rotated) = (
            testdata::read("photos/landscape_1.jpg"),
            testdata::read("photos/landscape_6.jpg"),
        );
        let stored = crate::read_header(&rotated, &Limits::default()).unwrap();
        let reference_header = crate::read_header(&reference, &Limits::default()).unwrap();
        assert_eq!(
            (stored.height, stored.width),
            (reference_header.width, reference_header.height),
            "stored sideways"
        );
        let reference = decode_upright(&reference, &Limits::default()).unwrap();
        let rotated = decode_upright(&rotated, &Limits::default()).unwrap();
        assert_eq!(
            (rotated.width(), rotated.height()),
            (reference.width(), reference.height())
        );
    }

    #[test]
    fn orienting_pixels_matches_orienting_the_image() {
        let source = testdata::gradient(6, 4);
        for exif in 1..=8 {
            let orientation = Orientation::from_exif(exif).unwrap();
            let mut expected = DynamicImage::ImageRgb8(source.clone());
            expected.apply_orientation(orientation);
            let Pixels::Opaque(ours) = Pixels::Opaque(source.clone()).oriented(orientation) else {
                panic!("stays opaque")
            };
            assert_eq!(ours, expected.to_rgb8(), "orientation {exif}");
        }
    }
}
