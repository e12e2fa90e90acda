//! Text set in type for watermarks: one line in DejaVu Sans Mono Bold (committed under `fonts/`, with its
//! licence), white with a dark shadow so that it reads on light and dark images alike.

use ab_glyph::{point, Font, FontRef, Glyph, PxScale, ScaleFont};
use image::{Rgba, RgbaImage};

use super::ImagingError;

static FONT: &[u8] = include_bytes!("../fonts/DejaVuSansMono-Bold.ttf");

/// How far the shadow falls, right and down, as a share of the text's height (at least one pixel).
const SHADOW: f32 = 0.05;

/// `text` on a transparent background, `height` pixels high (at least 8).
pub(crate) fn set_text(text: &str, height: f32) -> Result<RgbaImage, ImagingError> {
    let font = FontRef::try_from_slice(FONT)
        .map_err(|e| ImagingError::encode_failed("watermark text", e))?;
    let height = height.max(8.0);
    let scale = PxScale::from(height);
    let shadow = (height * SHADOW).round().max(1.0) as u32;
    let scaled = font.as_scaled(scale);
    let mut glyphs: Vec<Glyph> = Vec::new();
    let mut x = 0.0;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(previous) = previous {
            x += scaled.kern(previous, id);
        }
        glyphs.push(id.with_scale_and_position(scale, point(x, scaled.ascent())));
        x += scaled.h_advance(id);
        previous = Some(id);
    }
    let width = (x.ceil() as u32).max(1) + shadow;
    let line = (scaled.ascent() - scaled.descent()).ceil() as u32 + shadow;
    let mut out = RgbaImage::new(width, line.max(1));
    for (offset, colour) in [(i64::from(shadow), [0, 0, 0]), (0, [255, 255, 255])] {
        for glyph in &glyphs {
            let Some(outlined) = font.outline_glyph(glyph.clone()) else {
                continue; // a space
            };
            let bounds = outlined.px_bounds();
            outlined.draw(|gx, gy, coverage| {
                let px = bounds.min.x as i64 + i64::from(gx) + offset;
                let py = bounds.min.y as i64 + i64::from(gy) + offset;
                if let (Ok(px), Ok(py)) = (u32::try_from(px), u32::try_from(py)) {
                    if px < out.width() && py < out.height() {
                        over(out.get_pixel_mut(px, py), colour, coverage);
                    }
                }
            });
        }
    }
    Ok(out)
}

/// `colour` at `coverage` (0-1) composited over `pixel` (straight alpha).
fn over(pixel: &mut Rgba<u8>, colour: [u8; 3], coverage: f32) {
    let top = coverage.clamp(0.0, 1.0);
    let [r, g, b, a] = pixel.0;
    let below = f32::from(a) / 255.0;
    let alpha = top + below * (1.0 - top);
    if alpha <= 0.0 {
        return;
    }
    let mix = |c: u8, under: u8| {
        let value = (f32::from(c) * top + f32::from(under) * below * (1.0 - top)) / alpha;
        value.round().clamp(0.0, 255.0) as u8
    };
    pixel.0 = [
        mix(colour[0], r),
        mix(colour[1], g),
        mix(colour[2], b),
        (alpha * 255.0).round() as u8,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_white_over_a_shadow_on_transparency() {
        let mark = set_text("HI", 40.0).unwrap();
        let (w, h) = mark.dimensions();
        assert!(h >= 40 && w > 30, "{w}x{h}");
        let white = mark
            .pixels()
            .filter(|p| p.0 == [255, 255, 255, 255])
            .count();
        let dark = mark
            .pixels()
            .filter(|p| p.0[3] > 200 && p.0[0] < 60)
            .count();
        assert!(white > 50 && dark > 10, "white {white}, shadow {dark}");
        assert_eq!(
            mark.get_pixel(0, 0).0[3],
            0,
            "transparent around the glyphs"
        );
        // Longer text, wider line.
        assert!(set_text("HI THERE", 40.0).unwrap().width() > w * 3);
    }
}
