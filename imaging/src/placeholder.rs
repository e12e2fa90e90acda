//! What a client shows before the image arrives: a blurhash and a dominant colour.

use image::RgbImage;

use super::pixels::Pixels;
use darkroom_core::imaging::{fit_within, PaletteColour};

use super::resize::resize;
use super::ImagingError;

/// Both placeholders are computed on a tiny copy: neither needs detail, and blurhash costs
/// width x height x components.
const ANALYSIS_EDGE: u32 = 64;
const BLURHASH_X: u32 = 4;
const BLURHASH_Y: u32 = 3;
/// Bits kept per channel when bucketing colours: 8 levels each, 512 buckets, coarse enough that a
/// photo's sky or wall lands in one bucket despite noise and gradients.
const BUCKET_BITS: u32 = 3;
/// Buckets kept in the palette: enough that a colour split over neighbouring buckets still adds up.
const PALETTE_SIZE: usize = 16;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Placeholders {
    pub blurhash: String,
    pub dominant_color: String,
    pub palette: Vec<PaletteColour>,
}

/// `source` should already be small (the smallest whole-image variant): it is scaled to 64 px first.
pub(crate) fn placeholders(source: &Pixels) -> Result<Placeholders, ImagingError> {
    let (width, height) = source.dimensions();
    let (w, h) = fit_within(width, height, ANALYSIS_EDGE);
    let small = if (w, h) == (width, height) {
        source.clone()
    } else {
        resize(source, w, h, false)?
    };
    // Transparent areas count as the white a page would most likely show through them.
    let rgb = small.to_opaque();
    let palette = palette(&rgb);
    let [r, g, b] = palette.first().map_or([0; 3], |c| c.rgb);
    Ok(Placeholders {
        blurhash: blurhash(&rgb)?,
        dominant_color: format!("#{r:02x}{g:02x}{b:02x}"),
        palette,
    })
}

fn blurhash(rgb: &RgbImage) -> Result<String, ImagingError> {
    let rgba: Vec<u8> = rgb
        .pixels()
        .flat_map(|p| [p.0[0], p.0[1], p.0[2], u8::MAX])
        .collect();
    blurhash::encode(BLURHASH_X, BLURHASH_Y, rgb.width(), rgb.height(), &rgba)
        .map_err(|e| ImagingError::encode_failed("blurhash", e))
}

/// The average of the most populated colour bucket, as `#rrggbb`. Unlike the mean, a photo of a red car
/// on grey tarmac comes out grey or red, not a muddy brown neither of them is. (What `placeholders` gives.)
#[cfg(test)]
fn dominant_color(rgb: &RgbImage) -> String {
    let [r, g, b] = palette(rgb).first().map_or([0; 3], |c| c.rgb);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// The [`PALETTE_SIZE`] most populated colour buckets, most populated first, each as the average of its
/// pixels with its share of them. The first is the dominant colour; the colour tags name the rest.
pub(crate) fn palette(rgb: &RgbImage) -> Vec<PaletteColour> {
    let bucket_of = |p: &image::Rgb<u8>| {
        let shift = 8 - BUCKET_BITS;
        let [r, g, b] = p.0.map(|c| usize::from(c >> shift));
        (r << (2 * BUCKET_BITS)) | (g << BUCKET_BITS) | b
    };
    // Per bucket: pixel count and channel sums.
    let mut buckets = vec![(0u32, [0u64; 3]); 1 << (3 * BUCKET_BITS)];
    for pixel in rgb.pixels() {
        let (count, sums) = &mut buckets[bucket_of(pixel)];
        *count += 1;
        for (sum, channel) in sums.iter_mut().zip(pixel.0) {
            *sum += u64::from(channel);
        }
    }
    let total: u32 = buckets.iter().map(|(count, _)| count).sum();
    // A stable sort: the first of equally populated buckets comes first, so the result is deterministic.
    buckets.sort_by_key(|(count, _)| std::cmp::Reverse(*count));
    buckets
        .into_iter()
        .take_while(|(count, _)| *count > 0)
        .take(PALETTE_SIZE)
        .map(|(count, sums)| {
            let rgb = sums.map(|s| ((s + u64::from(count) / 2) / u64::from(count)) as u8);
            PaletteColour {
                rgb,
                share: count as f32 / total as f32,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;
    use image::Rgb;

    #[test]
    fn solid_red_is_exactly_red() {
        let red = RgbImage::from_pixel(100, 50, Rgb([255, 0, 0]));
        let out = placeholders(&Pixels::Opaque(red)).unwrap();
        assert_eq!(out.dominant_color, "#ff0000");
        assert_eq!(out.blurhash.len(), 28, "{}", out.blurhash);
    }

    #[test]
    fn dominant_is_the_biggest_area_not_the_mean() {
        // 60% grey, 40% red: the mean would be a brownish grey neither region has.
        let image = RgbImage::from_fn(100, 100, |x, _| {
            if x < 60 {
                Rgb([128, 128, 128])
            } else {
                Rgb([220, 20, 30])
            }
        });
        assert_eq!(dominant_color(&image), "#808080");
        let palette = palette(&image);
        assert_eq!(palette.len(), 2);
        assert_eq!((palette[0].rgb, palette[0].share), ([128, 128, 128], 0.6));
        assert_eq!((palette[1].rgb, palette[1].share), ([220, 20, 30], 0.4));
    }

    #[test]
    fn blurhash_has_the_length_of_four_by_three_components() {
        // 1 size flag + 1 maximum + 4 DC + 2 per AC component (11) = 28.
        let out = placeholders(&Pixels::Opaque(testdata::gradient(900, 600))).unwrap();
        assert_eq!(out.blurhash.len(), 28);
        assert!(out.dominant_color.starts_with('#') && out.dominant_color.len() == 7);
        assert_eq!(out.dominant_color, out.dominant_color.to_lowercase());
    }

    #[test]
    fn fully_transparent_images_read_as_white() {
        let clear = Pixels::Translucent(testdata::solid_rgba(10, 10, [0, 0, 0, 0]));
        assert_eq!(placeholders(&clear).unwrap().dominant_color, "#ffffff");
    }

    #[test]
    fn a_one_pixel_image_works() {
        let dot = RgbImage::from_pixel(1, 1, Rgb([1, 2, 3]));
        let out = placeholders(&Pixels::Opaque(dot)).unwrap();
        assert_eq!(out.dominant_color, "#010203");
        assert_eq!(out.blurhash.len(), 28);
    }
}
