//! Decoding once, upright, into the two pixel layouts the rest of the pipeline works in.

use std::borrow::Cow;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, RgbImage, RgbaImage};

use super::header::{open, Header};
use super::{ImagingError, Limits};

/// The decoded image, upright, at its original bit depth (a TIFF's public original is re-encoded from it).
#[derive(Debug)]
pub(crate) struct Decoded {
    pub header: Header,
    pub image: DynamicImage,
}

/// Checks the header, decodes the pixels once, and applies the EXIF orientation.
pub(crate) fn decode_upright(bytes: &[u8], limits: &Limits) -> Result<Decoded, ImagingError> {
    let (header, mut decoder) = open(bytes, limits)?;
    // A broken EXIF block must not sink an otherwise good image: it only costs us the orientation.
    let orientation = decoder.orientation().unwrap_or_else(|error| {
        tracing::debug!(%error, "unreadable exif orientation, keeping the image as stored");
        Orientation::NoTransforms
    });
    let mut image = DynamicImage::from_decoder(decoder).map_err(ImagingError::from_decode)?;
    image.apply_orientation(orientation);
    Ok(Decoded { header, image })
}

/// 8-bit pixels: RGB, or RGBA when the source really has transparency.
#[derive(Debug, Clone)]
pub(crate) enum Pixels {
    Opaque(RgbImage),
    Translucent(RgbaImage),
}

impl Pixels {
    /// Converts any bit depth and colour type to 8-bit; an alpha channel that is opaque everywhere is
    /// dropped so it costs nothing in the encodings.
    pub fn from_image(image: DynamicImage) -> Self {
        if !image.color().has_alpha() {
            return Self::Opaque(image.into_rgb8());
        }
        let rgba = image.into_rgba8();
        if rgba.pixels().all(|p| p.0[3] == u8::MAX) {
            Self::Opaque(DynamicImage::ImageRgba8(rgba).into_rgb8())
        } else {
            Self::Translucent(rgba)
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

fn flatten_onto_white(image: &RgbaImage) -> RgbImage {
    RgbImage::from_fn(image.width(), image.height(), |x, y| {
        let [r, g, b, a] = image.get_pixel(x, y).0;
        let over_white = |c: u8| {
            let (c, a) = (u32::from(c), u32::from(a));
            ((c * a + 255 * (255 - a) + 127) / 255) as u8
        };
        image::Rgb([over_white(r), over_white(g), over_white(b)])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imaging::testdata;

    #[test]
    fn opaque_alpha_is_dropped_and_real_alpha_kept() {
        let opaque = testdata::solid_rgba(4, 4, [10, 20, 30, 255]);
        assert!(matches!(
            Pixels::from_image(DynamicImage::ImageRgba8(opaque)),
            Pixels::Opaque(_)
        ));
        let mut translucent = testdata::solid_rgba(4, 4, [10, 20, 30, 255]);
        translucent.put_pixel(0, 0, image::Rgba([0, 0, 0, 0]));
        assert!(matches!(
            Pixels::from_image(DynamicImage::ImageRgba8(translucent)),
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
        let reference = decode_upright(
            &testdata::read("photos/landscape_1.jpg"),
            &Limits::default(),
        )
        .unwrap();
        let rotated = decode_upright(
            &testdata::read("photos/landscape_6.jpg"),
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(
            (rotated.header.height, rotated.header.width),
            (reference.header.width, reference.header.height),
            "stored sideways"
        );
        assert_eq!(
            (rotated.image.width(), rotated.image.height()),
            (reference.image.width(), reference.image.height())
        );
    }
}
